//! Native FLAC: the exact sample count from `STREAMINFO`, chapters from the `VORBIS_COMMENT`
//! block (`CHAPTERxxx=`).

use std::io::{Read, Seek};

use super::{
    AudioInfo, ChapterSource, Codec, Container, DurationMethod, FoundChapters, Mime, Precision, Probe, ProbeError,
    ProbeErrorKind, Source, vorbis_comment,
};
use crate::audio::Bytes;

/// Metadata blocks larger than this are skipped without being read.
const MAX_BLOCK: usize = 16 * 1024 * 1024;

/// What `STREAMINFO` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamInfo {
    pub(crate) sample_rate: u32,
    pub(crate) channels: u16,
    pub(crate) bits_per_sample: u16,
    pub(crate) total_samples: u64,
}

/// Parses the 34-byte `STREAMINFO` block body.
pub(crate) fn stream_info(b: &[u8]) -> Option<StreamInfo> {
    let [b10, b11, b12, b13] = b.arr::<4>(10)?;
    let sample_rate = (u32::from(b10) << 12) | (u32::from(b11) << 4) | (u32::from(b12) >> 4);
    let channels = u16::from((b12 >> 1) & 7) + 1;
    let bits_per_sample = ((u16::from(b12 & 1) << 4) | u16::from(b13 >> 4)) + 1;
    let total_samples = (u64::from(b13 & 0x0f) << 32) | u64::from(b.be32(14)?);
    Some(StreamInfo { sample_rate, channels, bits_per_sample, total_samples })
}

/// Probes FLAC whose `fLaC` marker is at `offset` (after an ID3v2 tag, if any).
pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>, offset: u64, opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let mut pos = offset + 4;
    let mut info: Option<StreamInfo> = None;
    let mut chapters = None;
    let mut warnings = Vec::new();
    loop {
        let head = src.read(pos, 4, "FLAC metadata block header")?;
        let (Some(&kind), Some(len)) = (head.first(), head.arr::<4>(0)) else {
            return Err(ProbeError::new(
                pos,
                ProbeErrorKind::Truncated { what: "FLAC metadata block header", needed: 4 },
            ));
        };
        let last = kind & 0x80 != 0;
        let kind = kind & 0x7f;
        let len = u32::from_be_bytes(len) & 0x00ff_ffff;
        let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
        if kind == 127 {
            return Err(ProbeError::corrupt(pos, "FLAC metadata block", "invalid block type 127"));
        }
        if info.is_none() && kind != 0 {
            return Err(ProbeError::corrupt(
                pos,
                "FLAC metadata",
                format!("first block has type {kind}, not STREAMINFO"),
            ));
        }
        match kind {
            0 => {
                if len < 34 {
                    return Err(ProbeError::corrupt(pos, "FLAC STREAMINFO", format!("{len} bytes, expected 34")));
                }
                let body = src.read(pos + 4, 34, "FLAC STREAMINFO")?;
                info = stream_info(body);
            }
            4 if opts.chapters && len_usize <= MAX_BLOCK => {
                let body = src.read(pos + 4, len_usize, "FLAC VORBIS_COMMENT block")?;
                let list = vorbis_comment::chapters(body, pos + 4, &mut warnings);
                chapters = FoundChapters::new(ChapterSource::VorbisComment, list);
            }
            _ => {}
        }
        pos = pos + 4 + u64::from(len);
        if pos > src.len() {
            return Err(ProbeError::new(
                pos - 4 - u64::from(len),
                ProbeErrorKind::Truncated { what: "FLAC metadata block", needed: 4 + u64::from(len) },
            ));
        }
        if last {
            break;
        }
    }
    let Some(si) = info else {
        return Err(ProbeError::corrupt(offset, "FLAC metadata", "no STREAMINFO block"));
    };
    if si.sample_rate == 0 {
        return Err(ProbeError::corrupt(offset + 8, "FLAC STREAMINFO", "sample rate 0"));
    }
    if si.total_samples == 0 {
        return Err(ProbeError::unsupported(
            offset + 8,
            "FLAC STREAMINFO does not give the total number of samples (a stream written without seeking back)",
        ));
    }
    let mut out = AudioInfo::new(
        Container::Flac,
        Codec::Flac,
        Mime::AudioFlac,
        si.channels,
        si.sample_rate,
        si.total_samples,
        Precision::Sample,
        DurationMethod::StreamInfo,
    );
    out.bits_per_sample = Some(si.bits_per_sample);
    out.set_audio_bytes(src.len().saturating_sub(pos));
    out.chapters = chapters;
    out.warnings = warnings;
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// A minimal FLAC file: `STREAMINFO`, an optional comment block and fake frames.
    pub(crate) fn flac(rate: u32, channels: u8, bits: u8, total: u64, comments: &[&str]) -> Vec<u8> {
        let mut d = b"fLaC".to_vec();
        d.push(if comments.is_empty() { 0x80 } else { 0 });
        d.extend_from_slice(&[0, 0, 34]);
        let mut si = vec![0u8; 34];
        si[0..2].copy_from_slice(&4096u16.to_be_bytes());
        si[2..4].copy_from_slice(&4096u16.to_be_bytes());
        si[10] = u8::try_from(rate >> 12).unwrap();
        si[11] = u8::try_from((rate >> 4) & 0xff).unwrap();
        si[12] =
            u8::try_from(((rate & 0xf) << 4) | (u32::from(channels - 1) << 1) | u32::from((bits - 1) >> 4)).unwrap();
        si[13] = (((bits - 1) & 0xf) << 4) | u8::try_from(total >> 32).unwrap();
        si[14..18].copy_from_slice(&u32::try_from(total & 0xffff_ffff).unwrap().to_be_bytes());
        d.extend(si);
        if !comments.is_empty() {
            let body = vorbis_comment::tests::block(comments);
            d.push(0x84);
            let n = u32::try_from(body.len()).unwrap().to_be_bytes();
            d.extend_from_slice(&n[1..]);
            d.extend(body);
        }
        d.extend_from_slice(&[0xff, 0xf8, 0, 0, 0, 0, 0, 0]);
        d
    }

    #[test]
    fn streaminfo_gives_exact_samples() {
        let data = flac(44_100, 2, 16, 54_444, &[]);
        let info = crate::audio::probe_reader(Cursor::new(data)).unwrap();
        assert_eq!(
            (info.samples, info.sample_rate, info.channels, info.bits_per_sample),
            (54_444, 44_100, 2, Some(16))
        );
        assert_eq!(info.mime, Mime::AudioFlac);
        assert_eq!(info.duration.as_nanos(), 1_234_557_823);
        let data = flac(192_000, 8, 24, (1 << 35) + 7, &[]);
        let info = crate::audio::probe_reader(Cursor::new(data)).unwrap();
        assert_eq!(
            (info.samples, info.sample_rate, info.channels, info.bits_per_sample),
            ((1 << 35) + 7, 192_000, 8, Some(24))
        );
    }

    #[test]
    fn chapters_from_vorbis_comments() {
        let data = flac(
            48_000,
            1,
            16,
            480_000,
            &[
                "TITLE=x",
                "CHAPTER002=00:00:05.500",
                "CHAPTER002NAME=Two",
                "CHAPTER001=00:00:00.000",
                "CHAPTER001NAME=One",
            ],
        );
        let info = crate::audio::probe_reader(Cursor::new(data)).unwrap();
        let ch = info.chapters.unwrap();
        assert_eq!(ch.source, ChapterSource::VorbisComment);
        assert_eq!(ch.list.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["One", "Two"]);
        assert_eq!(ch.list[1].start.as_millis(), 5_500);
    }

    #[test]
    fn unknown_total_and_truncation_are_errors() {
        let err = crate::audio::probe_reader(Cursor::new(flac(44_100, 2, 16, 0, &[]))).unwrap_err();
        assert!(matches!(err.kind, ProbeErrorKind::Unsupported(_)), "{err}");
        assert_eq!(err.offset, 8);
        let mut data = flac(44_100, 2, 16, 10, &[]);
        data.truncate(20);
        let err = crate::audio::probe_reader(Cursor::new(data)).unwrap_err();
        assert_eq!(err.to_string(), "truncated: the FLAC STREAMINFO needs 34 bytes but the file ends at byte 8");
        let err = crate::audio::probe_reader(Cursor::new(b"fLaC\x04\x00\x00\x02ab".to_vec())).unwrap_err();
        assert!(err.to_string().contains("first block has type 4"), "{err}");
    }
}
