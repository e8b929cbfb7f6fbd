//! Native FLAC: the exact sample count from `STREAMINFO`, chapters from the `VORBIS_COMMENT`
//! block (`CHAPTERxxx=`) or, when it has none, from a `CUESHEET` block (one chapter per track,
//! titled "Track NN", starting at the track's INDEX 01).
//!
//! `STREAMINFO` is written by the encoder; a file cut short afterwards still claims every sample.
//! So the claim is checked against the bytes: every frame holds at most the maximum block size
//! and takes at least the minimum frame size (or [`MIN_FRAME`] bytes). A claim the audio bytes
//! cannot hold is not reported as exact: the sample count is taken from the last frame header in
//! the file (its sample or frame number plus its block size), with [`Precision::Estimate`] and a
//! warning.

use std::io::{Read, Seek};

use super::{
    AudioInfo, ChapterSource, Codec, Container, DurationMethod, FoundChapters, Mime, Precision, Probe, ProbeError,
    ProbeErrorKind, ProbeWarning, Source, u64_of, vorbis_comment,
};
use crate::audio::Bytes;
use crate::{Chapter, Timestamp};

/// Metadata blocks larger than this are skipped without being read.
const MAX_BLOCK: usize = 16 * 1024 * 1024;

/// The smallest possible FLAC frame: a 6-byte header, one byte of subframe header and value,
/// and the CRC-16, rounded up.
const MIN_FRAME: u64 = 10;
/// How far back from the end the last frame header of a truncated file is searched for.
const MAX_TAIL: usize = 256 * 1024;

/// What `STREAMINFO` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamInfo {
    pub(crate) min_block: u16,
    pub(crate) max_block: u16,
    pub(crate) min_frame: u32,
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
    let min_frame = (u32::from(*b.get(4)?) << 16) | (u32::from(*b.get(5)?) << 8) | u32::from(*b.get(6)?);
    Some(StreamInfo {
        min_block: b.be16(0)?,
        max_block: b.be16(2)?,
        min_frame,
        sample_rate,
        channels,
        bits_per_sample,
        total_samples,
    })
}

/// Probes FLAC whose `fLaC` marker is at `offset` (after an ID3v2 tag, if any).
pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>, offset: u64, opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let mut pos = offset + 4;
    let mut info: Option<StreamInfo> = None;
    let mut chapters = None;
    let mut cue_chapters = Vec::new();
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
            5 if opts.chapters && len_usize <= MAX_BLOCK => {
                let body = src.read(pos + 4, len_usize, "FLAC CUESHEET block")?;
                cue_chapters = cue_sheet(body, info.map_or(0, |i| i.sample_rate));
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
    let audio_bytes = src.len().saturating_sub(pos);
    let (samples, precision) = match claim_fits(&si, audio_bytes) {
        Ok(()) => (si.total_samples, Precision::Sample),
        Err(room) => {
            let found = last_frame_end(src, pos, &si)?;
            let samples = found.map_or(0, |n| n.min(si.total_samples));
            warnings.push(ProbeWarning::new(
                offset + 8,
                format!(
                    "STREAMINFO claims {} samples ({:.3} s) but the {audio_bytes} bytes of audio hold at most {room}: \
                     the file is cut short; the duration is estimated from the last frame header ({})",
                    si.total_samples,
                    seconds(si.total_samples, si.sample_rate),
                    match found {
                        Some(_) => format!("{samples} samples, {:.3} s", seconds(samples, si.sample_rate)),
                        None => "none found: 0 samples".to_owned(),
                    }
                ),
            ));
            (samples, Precision::Estimate)
        }
    };
    let mut out = AudioInfo::new(
        Container::Flac,
        Codec::Flac,
        Mime::AudioFlac,
        si.channels,
        si.sample_rate,
        samples,
        precision,
        DurationMethod::StreamInfo,
    );
    out.bits_per_sample = Some(si.bits_per_sample);
    out.set_audio_bytes(audio_bytes);
    out.chapters = chapters.or_else(|| FoundChapters::new(ChapterSource::CueSheet, cue_chapters));
    out.warnings = warnings;
    Ok(out)
}

#[allow(clippy::cast_precision_loss)]
fn seconds(samples: u64, rate: u32) -> f64 {
    samples as f64 / f64::from(rate.max(1))
}

/// `Ok` when `audio_bytes` can hold `STREAMINFO`'s total samples; else the most samples they can
/// hold (frames of at least the minimum frame size, each at most the maximum block size).
fn claim_fits(si: &StreamInfo, audio_bytes: u64) -> Result<(), u64> {
    let max_block = if si.max_block >= 16 { u64::from(si.max_block) } else { 65_535 };
    let min_frame = u64::from(si.min_frame).max(MIN_FRAME);
    let room = (audio_bytes / min_frame).saturating_mul(max_block);
    if si.total_samples <= room { Ok(()) } else { Err(room) }
}

/// CRC-8 of FLAC frame headers (polynomial 0x07).
fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |mut crc, &b| {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 { (crc << 1) ^ 0x07 } else { crc << 1 };
        }
        crc
    })
}

/// The frame header at the start of `b`, if it is one (CRC-8 checked): (first sample of the
/// frame, block size). `fixed_block` is the block size of a fixed-blocksize stream.
fn frame_header(b: &[u8], fixed_block: u64) -> Option<(u64, u64)> {
    let (&b0, &b1, &b2, &b3) = (b.first()?, b.get(1)?, b.get(2)?, b.get(3)?);
    if b0 != 0xff || b1 & 0xfe != 0xf8 || b3 & 1 != 0 || b3 >> 4 >= 11 || (b3 >> 1) & 7 == 3 {
        return None;
    }
    let variable = b1 & 1 != 0;
    let (bs_code, sr_code) = (b2 >> 4, b2 & 0x0f);
    if bs_code == 0 || sr_code == 15 {
        return None;
    }
    // The UTF-8-like coded frame or sample number.
    let lead = *b.get(4)?;
    let extra = match lead.leading_ones() {
        0 => 0usize,
        n @ 2..=7 => usize::try_from(n - 1).ok()?,
        _ => return None,
    };
    let mut number = u64::from(if extra == 0 { lead } else { lead & (0x7f >> (extra + 1)) });
    for i in 0..extra {
        let c = *b.get(5 + i)?;
        if c & 0xc0 != 0x80 {
            return None;
        }
        number = (number << 6) | u64::from(c & 0x3f);
    }
    let mut at = 5 + extra;
    let block = match bs_code {
        1 => 192,
        2..=5 => 576 << (bs_code - 2),
        6 => {
            at += 1;
            u64::from(*b.get(at - 1)?) + 1
        }
        7 => {
            at += 2;
            u64::from(b.be16(at - 2)?) + 1
        }
        _ => 256 << (bs_code - 8),
    };
    at += match sr_code {
        12 => 1,
        13 | 14 => 2,
        _ => 0,
    };
    if crc8(b.get(..at)?) != *b.get(at)? {
        return None;
    }
    let first = if variable { number } else { number.saturating_mul(fixed_block) };
    Some((first, block))
}

/// The end (in samples) of the last frame whose header is in the file: the sample count a
/// truncated file actually reaches, at most one frame too long.
fn last_frame_end<R: Read + Seek>(src: &mut Source<R>, audio: u64, si: &StreamInfo) -> Result<Option<u64>, ProbeError> {
    let from = src.len().saturating_sub(u64_of(MAX_TAIL)).max(audio);
    let len = usize::try_from(src.len() - from).unwrap_or(MAX_TAIL);
    let tail = src.peek(from, len)?;
    let fixed = u64::from(si.min_block.max(si.max_block).max(1));
    Ok((0..tail.len())
        .rev()
        .filter(|&i| tail.get(i) == Some(&0xff))
        .find_map(|i| tail.get(i..).and_then(|b| frame_header(b, fixed)))
        .map(|(first, block)| first.saturating_add(block)))
}

/// Chapters from a `CUESHEET` block: one per track (the lead-out excluded), at its INDEX 01 (or
/// its first index), titled "Track NN".
fn cue_sheet(b: &[u8], rate: u32) -> Vec<Chapter> {
    let Some(&count) = b.get(395) else { return Vec::new() };
    let mut pos = 396usize;
    let mut out = Vec::new();
    for _ in 0..count {
        let (Some(offset), Some(&number), Some(&points)) = (b.be64(pos), b.get(pos + 8), b.get(pos + 35)) else {
            break;
        };
        let mut index_at = None;
        for k in 0..usize::from(points) {
            let p = pos + 36 + k * 12;
            let (Some(ioff), Some(&inum)) = (b.be64(p), b.get(p + 8)) else { break };
            if index_at.is_none() || inum == 1 {
                index_at = Some(ioff);
            }
        }
        pos += 36 + usize::from(points) * 12;
        if number == 170 || number == 255 || rate == 0 {
            continue; // lead-out
        }
        let start = offset.saturating_add(index_at.unwrap_or(0));
        if let Some(t) = Timestamp::from_ticks(start, u64::from(rate)) {
            out.push(Chapter::new(t, format!("Track {number:02}")));
        }
    }
    out
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
        // Fake frames: enough bytes for the claimed samples (10 bytes per 4096-sample block).
        d.extend_from_slice(&[0xff, 0xf8, 0, 0, 0, 0, 0, 0]);
        let room = usize::try_from((total / 4096 + 1) * 10).unwrap_or(usize::MAX).min(1 << 20);
        d.resize(d.len() + room, 0);
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
        assert_eq!(info.precision, Precision::Sample);
        let data = flac(192_000, 8, 24, (1 << 35) + 7, &[]);
        let si = stream_info(&data[8..42]).unwrap();
        assert_eq!(
            (si.total_samples, si.sample_rate, si.channels, si.bits_per_sample),
            ((1 << 35) + 7, 192_000, 8, 24)
        );
    }

    /// A frame header (fixed block size 4096 when `variable` is false) with a valid CRC-8.
    fn frame_header_bytes(number: u8, variable: bool) -> Vec<u8> {
        let mut h = vec![0xff, 0xf8 | u8::from(variable), 0xc9, 0x18, number];
        h.push(crc8(&h));
        h
    }

    #[test]
    fn a_streaminfo_claim_the_bytes_cannot_hold_is_an_estimate_from_the_last_frame() {
        // 10 s claimed at 44.1 kHz, but only three 4096-sample frames (numbers 0, 1, 2) are there.
        let mut data = flac(44_100, 2, 16, 441_000, &[]);
        let audio = data.len() - usize::try_from((441_000 / 4096 + 1) * 10).unwrap() - 8;
        data.truncate(audio);
        for n in 0..3 {
            data.extend(frame_header_bytes(n, false));
            data.extend_from_slice(&[0x11; 20]);
        }
        let info = crate::audio::probe_reader(Cursor::new(data)).unwrap();
        assert_eq!(info.precision, Precision::Estimate);
        assert_eq!(info.samples, 3 * 4096, "the end of the last frame");
        assert_eq!(info.warnings.len(), 1);
        assert!(info.warnings[0].message.contains("claims 441000 samples"), "{}", info.warnings[0]);
        // Variable block size: the coded number is the first sample.
        assert_eq!(frame_header(&frame_header_bytes(100, true), 4096), Some((100, 4096)));
        assert_eq!(frame_header(&[0xff, 0xf8, 0xc9, 0x18, 0, 0], 4096), None, "bad CRC-8");
    }

    #[test]
    fn cue_sheet_tracks_are_chapters() {
        let mut cue = vec![0u8; 396];
        cue[395] = 3;
        for (number, offset) in [(1u8, 0u64), (2, 88_200), (170, 441_000)] {
            cue.extend_from_slice(&offset.to_be_bytes());
            cue.push(number);
            cue.extend_from_slice(&[0; 26]);
            cue.push(if number == 170 { 0 } else { 1 });
            if number != 170 {
                cue.extend_from_slice(&588u64.to_be_bytes());
                cue.push(1);
                cue.extend_from_slice(&[0; 3]);
            }
        }
        let got = cue_sheet(&cue, 44_100);
        assert_eq!(got.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["Track 01", "Track 02"]);
        assert_eq!(got[1].start.as_millis(), 2_013);
        assert!(cue_sheet(&cue[..400], 44_100).is_empty());
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
