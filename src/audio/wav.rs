//! RIFF WAVE, RF64 and BW64: the exact length from the `data` chunk size (the `ds64` chunk's
//! 64-bit size in RF64/BW64), `WAVE_FORMAT_EXTENSIBLE` included. Compressed WAV uses the `fact`
//! chunk's sample count.

use std::io::{Read, Seek};

use super::{AudioInfo, Codec, Container, DurationMethod, Mime, Precision, Probe, ProbeError, ProbeWarning, Source};
use crate::audio::Bytes;

#[derive(Debug, Clone, Copy)]
struct Fmt {
    tag: u16,
    channels: u16,
    rate: u32,
    block_align: u16,
    bits: u16,
}

/// Probes a WAV file.
pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>, _opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let len = src.len();
    let riff = src.read(0, 12, "RIFF header")?.to_vec();
    let is_64 = riff.get(0..4) != Some(b"RIFF");
    let mut ds64_data: Option<u64> = None;
    let mut ds64_samples: Option<u64> = None;
    let mut fmt: Option<Fmt> = None;
    let mut fact: Option<u64> = None;
    let mut data: Option<(u64, u64)> = None;
    let mut warnings = Vec::new();
    let mut pos = 12u64;
    while pos + 8 <= len {
        let head = src.read(pos, 8, "WAV chunk header")?;
        let (Some(id), Some(size32)) = (head.arr::<4>(0), head.le32(4)) else { break };
        let mut size = u64::from(size32);
        let body = pos + 8;
        match &id {
            b"ds64" => {
                let b = src.read(body, 16, "ds64 chunk")?;
                ds64_data = b.le64(8);
                let b = src.peek(body, 24)?;
                ds64_samples = b.le64(16).filter(|&n| n > 0);
            }
            b"fmt " => {
                let b = src.read(body, 16.min(usize::try_from(size).unwrap_or(16)), "fmt chunk")?.to_vec();
                if b.len() < 16 {
                    return Err(ProbeError::corrupt(
                        pos,
                        "WAV fmt chunk",
                        format!("{size} bytes, expected at least 16"),
                    ));
                }
                let mut tag = b.le16(0).unwrap_or(0);
                if tag == 0xfffe && size >= 40 {
                    // WAVE_FORMAT_EXTENSIBLE: the format is the first two bytes of the sub-format GUID.
                    tag = src.read(body + 24, 2, "fmt chunk")?.le16(0).unwrap_or(tag);
                }
                fmt = Some(Fmt {
                    tag,
                    channels: b.le16(2).unwrap_or(0),
                    rate: b.le32(4).unwrap_or(0),
                    block_align: b.le16(12).unwrap_or(0),
                    bits: b.le16(14).unwrap_or(0),
                });
            }
            b"fact" => {
                fact = src.read(body, 4, "fact chunk")?.le32(0).map(u64::from);
            }
            b"data" => {
                if is_64 && size32 == u32::MAX {
                    size = ds64_data.unwrap_or(size);
                }
                let avail = len - body;
                if size > avail {
                    if size32 != u32::MAX || !is_64 {
                        warnings.push(ProbeWarning::new(
                            pos,
                            format!("data chunk says {size} bytes but only {avail} follow; using {avail}"),
                        ));
                    }
                    size = avail;
                }
                data = Some((body, size));
                if fmt.is_some() {
                    break;
                }
            }
            _ => {}
        }
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    let Some(f) = fmt else {
        return Err(ProbeError::corrupt(12, "WAV file", "no fmt chunk"));
    };
    let Some((data_at, data_len)) = data else {
        return Err(ProbeError::corrupt(12, "WAV file", "no data chunk"));
    };
    if f.rate == 0 || f.channels == 0 {
        return Err(ProbeError::corrupt(12, "WAV fmt chunk", format!("{} channels at {} Hz", f.channels, f.rate)));
    }
    let (codec, pcm) = match f.tag {
        1 => (Codec::Pcm, true),
        3 => (Codec::PcmFloat, true),
        6 => (Codec::Alaw, true),
        7 => (Codec::Mulaw, true),
        0x50 => (Codec::Mp2, false),
        0x55 => (Codec::Mp3, false),
        _ => (Codec::Other, false),
    };
    let samples = if pcm {
        if f.block_align == 0 {
            return Err(ProbeError::corrupt(12, "WAV fmt chunk", "block align 0"));
        }
        let whole = data_len / u64::from(f.block_align);
        if let Some(n) = ds64_samples.filter(|&n| n <= whole) {
            // FFmpeg counts the pad byte of an odd-sized data chunk in the ds64 data size; the
            // ds64 sample count is exact.
            n
        } else if data_len % u64::from(f.block_align) != 0 {
            warnings.push(ProbeWarning::new(data_at, "data chunk ends with a partial sample frame; ignored"));
            whole
        } else {
            whole
        }
    } else {
        fact.ok_or_else(|| {
            ProbeError::unsupported(12, format!("compressed WAV (format {:#06x}) without a fact chunk", f.tag))
        })?
    };
    let mut info = AudioInfo::new(
        Container::Wav,
        codec,
        Mime::AudioWav,
        f.channels,
        f.rate,
        samples,
        Precision::Sample,
        DurationMethod::DataChunk,
    );
    info.bits_per_sample = Some(f.bits).filter(|_| pcm);
    info.set_audio_bytes(data_len);
    info.warnings = warnings;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = id.to_vec();
        c.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        c.extend_from_slice(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn fmt(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let align = channels * bits / 8;
        let mut b = Vec::new();
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        b.extend_from_slice(&align.to_le_bytes());
        b.extend_from_slice(&bits.to_le_bytes());
        b
    }

    fn wav(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut d = b"RIFF".to_vec();
        d.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
        d.extend_from_slice(b"WAVE");
        d.extend(body);
        d
    }

    #[test]
    fn pcm_samples_from_the_data_chunk() {
        let d = wav(&[
            chunk(b"fmt ", &fmt(1, 2, 44_100, 16)),
            chunk(b"LIST", b"odd"),
            chunk(b"data", &vec![0; 4 * 54_444]),
        ]);
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        assert_eq!(
            (info.samples, info.channels, info.sample_rate, info.bits_per_sample),
            (54_444, 2, 44_100, Some(16))
        );
        assert_eq!(info.bitrate, 1_411_200);
        assert_eq!(info.mime, Mime::AudioWav);
    }

    #[test]
    fn extensible_and_rf64() {
        let mut ext = fmt(0xfffe, 1, 48_000, 24);
        ext.extend_from_slice(&22u16.to_le_bytes());
        ext.extend_from_slice(&24u16.to_le_bytes());
        ext.extend_from_slice(&4u32.to_le_bytes());
        ext.extend_from_slice(&3u16.to_le_bytes()); // IEEE float sub-format
        ext.extend_from_slice(&[0; 14]);
        let mut ds64 = Vec::new();
        ds64.extend_from_slice(&0u64.to_le_bytes());
        ds64.extend_from_slice(&(3u64 * 1000).to_le_bytes());
        ds64.extend_from_slice(&1000u64.to_le_bytes());
        ds64.extend_from_slice(&0u32.to_le_bytes());
        let mut data = b"data".to_vec();
        data.extend_from_slice(&u32::MAX.to_le_bytes());
        data.extend(vec![0u8; 3000]);
        let mut d = wav(&[chunk(b"ds64", &ds64), chunk(b"fmt ", &ext)]);
        d[0..4].copy_from_slice(b"RF64");
        d.extend(data);
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        assert_eq!((info.samples, info.codec, info.channels), (1000, Codec::PcmFloat, 1));
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);
    }

    #[test]
    fn oversized_data_is_clamped_with_a_warning_and_missing_chunks_are_errors() {
        let mut data = b"data".to_vec();
        data.extend_from_slice(&1_000_000u32.to_le_bytes());
        data.extend(vec![0u8; 400]);
        let d = [wav(&[chunk(b"fmt ", &fmt(1, 1, 8000, 16))]), data].concat();
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        assert_eq!(info.samples, 200);
        assert_eq!(info.warnings.len(), 1);
        let err = crate::audio::probe_reader(Cursor::new(wav(&[chunk(b"data", &[0; 8])]))).unwrap_err();
        assert_eq!(err.to_string(), "corrupt WAV file: no fmt chunk at byte 12");
        let err = crate::audio::probe_reader(Cursor::new(wav(&[chunk(b"fmt ", &[1, 0])]))).unwrap_err();
        assert!(err.to_string().starts_with("corrupt WAV fmt chunk: 2 bytes"), "{err}");
        let err = crate::audio::probe_reader(Cursor::new(wav(&[
            chunk(b"fmt ", &fmt(0x55, 1, 8000, 0)),
            chunk(b"data", &[0; 8]),
        ])))
        .unwrap_err();
        assert!(err.to_string().contains("without a fact chunk"), "{err}");
    }
}
