//! Ogg Opus, Vorbis and FLAC: the exact length from the last granule position (minus the Opus
//! pre-skip), chapters from Vorbis comments (`CHAPTERxxx=` / `CHAPTERxxxNAME=` / `CHAPTERxxxURL=`).
//!
//! Only the first logical audio stream counts. The header pages are read from the start; the last
//! page of the stream is found by searching backwards from the end and checking page CRCs, so the
//! probe reads a few kilobytes regardless of the file's length.

use std::io::{Read, Seek};

use super::{
    AudioInfo, ChapterSource, Codec, Container, DurationMethod, FoundChapters, Mime, Precision, Probe, ProbeError,
    ProbeErrorKind, ProbeWarning, Source, flac, u64_of, vorbis_comment,
};
use crate::audio::Bytes;

/// Header packets larger than this (e.g. a comment packet with cover art) are not read.
const MAX_PACKET: usize = 16 * 1024 * 1024;
/// How far back from the end the last page of the stream is searched for.
const MAX_TAIL: u64 = 4 * 1024 * 1024;

/// A parsed page header.
#[derive(Debug, Clone, Copy)]
struct Page {
    offset: u64,
    flags: u8,
    granule: u64,
    serial: u32,
    /// Header length (27 + segment count).
    header_len: usize,
    body_len: usize,
}

impl Page {
    fn end(&self) -> u64 {
        self.offset + u64_of(self.header_len) + u64_of(self.body_len)
    }
}

fn parse_page(b: &[u8], offset: u64) -> Option<Page> {
    if b.get(0..4) != Some(b"OggS") || b.get(4) != Some(&0) {
        return None;
    }
    let nsegs = usize::from(*b.get(26)?);
    let table = b.get(27..27 + nsegs)?;
    Some(Page {
        offset,
        flags: *b.get(5)?,
        granule: b.le64(6)?,
        serial: b.le32(14)?,
        header_len: 27 + nsegs,
        body_len: table.iter().map(|&s| usize::from(s)).sum(),
    })
}

/// CRC-32 of an Ogg page (polynomial 0x04c11db7, not reflected, initial value 0).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &b) in data.iter().enumerate() {
        // The CRC field itself (bytes 22..26) counts as zero.
        let b = if (22..26).contains(&i) { 0 } else { b };
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

/// The page at `offset`, read whole (header and body).
fn page_at<R: Read + Seek>(src: &mut Source<R>, offset: u64) -> Result<Page, ProbeError> {
    let head = src.read(offset, 27, "Ogg page header")?;
    if head.get(0..4) != Some(b"OggS") {
        return Err(ProbeError::corrupt(
            offset,
            "Ogg page",
            format!("capture pattern {}", super::quote_bytes(head.get(0..4).unwrap_or(&[]))),
        ));
    }
    let nsegs = usize::from(head.get(26).copied().unwrap_or(0));
    let head = src.read(offset, 27 + nsegs, "Ogg page header")?;
    let page = parse_page(head, offset).ok_or_else(|| {
        ProbeError::corrupt(offset, "Ogg page", format!("version {}", head.get(4).copied().unwrap_or(0)))
    })?;
    if page.end() > src.len() {
        return Err(ProbeError::new(
            offset,
            ProbeErrorKind::Truncated { what: "Ogg page", needed: u64_of(page.header_len + page.body_len) },
        ));
    }
    Ok(page)
}

/// What the identification header says.
#[derive(Debug, Clone, Copy)]
enum Ident {
    Opus { channels: u16, pre_skip: u16 },
    Vorbis { channels: u16, rate: u32 },
    Flac(flac::StreamInfo),
}

fn ident(packet: &[u8]) -> Option<Ident> {
    if packet.get(0..8) == Some(b"OpusHead") {
        return Some(Ident::Opus { channels: u16::from(*packet.get(9)?), pre_skip: packet.le16(10)? });
    }
    if packet.get(0..7) == Some(b"\x01vorbis") {
        return Some(Ident::Vorbis { channels: u16::from(*packet.get(11)?), rate: packet.le32(12)? });
    }
    if packet.get(0..5) == Some(b"\x7fFLAC") && packet.get(9..13) == Some(b"fLaC") {
        return flac::stream_info(packet.get(17..)?).map(Ident::Flac);
    }
    None
}

/// Probes an Ogg file.
pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>, opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let mut warnings = Vec::new();
    // Find the first stream whose first packet is a known identification header.
    let mut pos = 0u64;
    let (serial, id) = loop {
        if pos >= src.len() && pos > 0 {
            return Err(ProbeError::unsupported(0, "no Opus, Vorbis or FLAC stream in the Ogg file"));
        }
        let page = page_at(src, pos)?;
        if page.flags & 2 == 0 {
            return Err(ProbeError::unsupported(0, "no Opus, Vorbis or FLAC stream at the start of the Ogg file"));
        }
        let body = src.read(pos + u64_of(page.header_len), page.body_len, "Ogg page")?;
        if let Some(id) = ident(body) {
            break (page.serial, id);
        }
        pos = page.end();
    };

    // Reassemble the stream's second packet (the comment header) and find where audio starts.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut too_big = false;
    let mut at = pos;
    let mut audio_start = src.len();
    let header_packets = if matches!(id, Ident::Vorbis { .. }) { 3 } else { 2 };
    while at < src.len() && packets.len() < header_packets {
        let page = page_at(src, at)?;
        if page.serial == serial {
            let table = src.read(at + 27, page.header_len - 27, "Ogg segment table")?.to_vec();
            let mut body_at = at + u64_of(page.header_len);
            for seg in table {
                let n = usize::from(seg);
                if !too_big && current.len() + n <= MAX_PACKET {
                    current.extend_from_slice(src.read(body_at, n, "Ogg packet")?);
                } else {
                    too_big = true;
                }
                body_at += u64::from(seg);
                if seg < 255 {
                    packets.push(std::mem::take(&mut current));
                    too_big = false;
                    if packets.len() == header_packets {
                        break;
                    }
                }
            }
        }
        at = page.end();
        audio_start = at;
    }

    let tail = last_granule(src, serial, audio_start.min(src.len()))?;
    let (codec, mime, channels, rate, samples, delay) = match id {
        Ident::Opus { channels, pre_skip } => {
            if tail < u64::from(pre_skip) {
                warnings.push(ProbeWarning::new(
                    0,
                    format!("last granule position {tail} is below the pre-skip {pre_skip}"),
                ));
            }
            (
                Codec::Opus,
                Mime::AudioOpus,
                channels,
                48_000,
                tail.saturating_sub(u64::from(pre_skip)),
                Some(u32::from(pre_skip)),
            )
        }
        Ident::Vorbis { channels, rate } => (Codec::Vorbis, Mime::AudioOgg, channels, rate, tail, None),
        Ident::Flac(si) => (Codec::Flac, Mime::AudioOgg, si.channels, si.sample_rate, tail, None),
    };
    if rate == 0 {
        return Err(ProbeError::corrupt(pos, "Ogg identification header", "sample rate 0"));
    }
    let mut info = AudioInfo::new(
        Container::Ogg,
        codec,
        mime,
        channels,
        rate,
        samples,
        Precision::Sample,
        DurationMethod::GranulePosition,
    );
    info.encoder_delay = delay;
    if let Ident::Flac(si) = id {
        info.bits_per_sample = Some(si.bits_per_sample);
    }
    info.set_audio_bytes(src.len().saturating_sub(audio_start));
    if opts.chapters {
        let comment = packets.get(1).and_then(|p| match id {
            Ident::Opus { .. } => p.strip_prefix(b"OpusTags"),
            Ident::Vorbis { .. } => p.strip_prefix(b"\x03vorbis"),
            Ident::Flac(_) => None,
        });
        if let Some(c) = comment {
            let list = vorbis_comment::chapters(c, pos, &mut warnings);
            info.chapters = FoundChapters::new(ChapterSource::VorbisComment, list);
        }
    }
    info.warnings = warnings;
    Ok(info)
}

/// The granule position of the last page of stream `serial` with one, found by searching
/// backwards from the end (CRC-checked). `min` is where the search stops.
fn last_granule<R: Read + Seek>(src: &mut Source<R>, serial: u32, min: u64) -> Result<u64, ProbeError> {
    const STEP: u64 = 64 * 1024;
    let len = src.len();
    let floor = len.saturating_sub(MAX_TAIL).max(min);
    let mut hi = len;
    let mut other_serial = None;
    while hi > floor {
        let lo = hi.saturating_sub(STEP).max(floor);
        // Read a little past `hi` so a page header straddling the boundary is seen.
        let want = usize::try_from(hi - lo + 27).unwrap_or(usize::MAX);
        let chunk = src.peek(lo, want)?.to_vec();
        let mut i = usize::try_from(hi - lo).unwrap_or(0);
        while i > 0 {
            i -= 1;
            if chunk.get(i..i + 4) != Some(b"OggS") {
                continue;
            }
            let offset = lo + u64_of(i);
            let Some(page) = src.peek(offset, 27 + 255).ok().and_then(|b| parse_page(b, offset)) else { continue };
            if page.end() > len {
                continue;
            }
            let whole = src.read(offset, page.header_len + page.body_len, "Ogg page")?;
            if whole.le32(22) != Some(crc32(whole)) {
                continue;
            }
            if page.serial != serial {
                // The file ends with another logical stream: chained (several episodes or
                // sections one after the other) or multiplexed.
                other_serial.get_or_insert(page.serial);
                break;
            }
            if page.granule != u64::MAX {
                return Ok(page.granule);
            }
        }
        if other_serial.is_some() {
            break;
        }
        hi = lo;
    }
    match other_serial {
        Some(other) => Err(ProbeError::unsupported(
            min,
            format!(
                "the Ogg file ends with stream {other:#x}, not the audio stream {serial:#x} (chained or multiplexed Ogg)"
            ),
        )),
        None => Err(ProbeError::corrupt(min, "Ogg stream", "no page with a granule position after the headers")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// One page holding `packets` (each shorter than 255 × 255 bytes), with a valid CRC.
    pub(crate) fn page(serial: u32, seq: u32, flags: u8, granule: u64, packets: &[&[u8]]) -> Vec<u8> {
        let mut table = Vec::new();
        let mut body = Vec::new();
        for p in packets {
            let mut n = p.len();
            while n >= 255 {
                table.push(255u8);
                n -= 255;
            }
            table.push(u8::try_from(n).unwrap());
            body.extend_from_slice(p);
        }
        let mut d = b"OggS\0".to_vec();
        d.push(flags);
        d.extend_from_slice(&granule.to_le_bytes());
        d.extend_from_slice(&serial.to_le_bytes());
        d.extend_from_slice(&seq.to_le_bytes());
        d.extend_from_slice(&[0; 4]);
        d.push(u8::try_from(table.len()).unwrap());
        d.extend(table);
        d.extend(body);
        let crc = crc32(&d);
        d[22..26].copy_from_slice(&crc.to_le_bytes());
        d
    }

    fn opus_file(pre_skip: u16, last: u64, comments: &[&str]) -> Vec<u8> {
        let mut head = b"OpusHead\x01\x02".to_vec();
        head.extend_from_slice(&pre_skip.to_le_bytes());
        head.extend_from_slice(&44_100u32.to_le_bytes());
        head.extend_from_slice(&[0, 0, 0]);
        let mut tags = b"OpusTags".to_vec();
        tags.extend(vorbis_comment::tests::block(comments));
        let mut d = page(7, 0, 2, 0, &[&head]);
        d.extend(page(7, 1, 0, 0, &[&tags]));
        d.extend(page(7, 2, 0, 48_000, &[&[0xaa; 300], &[0xbb; 100]]));
        d.extend(page(7, 3, 0, u64::MAX, &[&[0xcc; 255]]));
        d.extend(page(7, 4, 4, last, &[&[0xdd; 10]]));
        d
    }

    #[test]
    fn opus_is_granule_minus_pre_skip() {
        let data = opus_file(
            312,
            59_571,
            &[
                "CHAPTER000=00:00:00.000",
                "CHAPTER000NAME=Intro",
                "CHAPTER001=0:01.0",
                "CHAPTER001NAME=Main",
                "CHAPTER001URL=https://x",
            ],
        );
        let info = crate::audio::probe_reader(Cursor::new(data)).unwrap();
        assert_eq!((info.samples, info.sample_rate, info.channels), (59_259, 48_000, 2));
        assert_eq!(info.encoder_delay, Some(312));
        assert_eq!((info.codec, info.mime), (Codec::Opus, Mime::AudioOpus));
        let ch = info.chapters.unwrap();
        assert_eq!(ch.count, 2);
        assert_eq!(ch.list[1].url.as_deref(), Some("https://x"));
        assert_eq!(ch.list[1].start.as_millis(), 1000);
    }

    #[test]
    fn vorbis_is_the_last_granule_and_trailing_junk_is_ignored() {
        let mut id = b"\x01vorbis".to_vec();
        id.extend_from_slice(&0u32.to_le_bytes());
        id.push(1);
        id.extend_from_slice(&22_050u32.to_le_bytes());
        id.extend_from_slice(&[0; 13]);
        let mut comment = b"\x03vorbis".to_vec();
        comment.extend(vorbis_comment::tests::block(&[]));
        let mut d = page(1, 0, 2, 0, &[&id]);
        d.extend(page(1, 1, 0, 0, &[&comment, b"\x05vorbis-setup"]));
        d.extend(page(1, 2, 4, 12_345, &[&[1; 100]]));
        // Junk containing a fake capture pattern with a bad CRC.
        d.extend_from_slice(b"OggS\0\x04junkjunkjunkjunkjunkjunkjunkjunk");
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        assert_eq!((info.samples, info.sample_rate, info.channels), (12_345, 22_050, 1));
        assert_eq!((info.codec, info.mime), (Codec::Vorbis, Mime::AudioOgg));
        assert!(info.chapters.is_none());
    }

    #[test]
    fn errors_name_offsets() {
        let data = opus_file(312, 1000, &[]);
        let err = crate::audio::probe_reader(Cursor::new(data[..40].to_vec())).unwrap_err();
        assert!(matches!(err.kind, ProbeErrorKind::Truncated { what: "Ogg page", .. }), "{err}");
        assert_eq!(err.offset, 0);
        // Chained: the file ends with another stream.
        let mut chained = opus_file(312, 1000, &[]);
        chained.extend(page(9, 0, 2, 0, &[b"OpusHead\x01\x02\0\0\0\0\0\0\0\0\0"]));
        let err = crate::audio::probe_reader(Cursor::new(chained)).unwrap_err();
        assert!(matches!(err.kind, ProbeErrorKind::Unsupported(_)), "{err}");
        assert!(err.to_string().contains("chained or multiplexed"), "{err}");
        let err = crate::audio::probe_reader(Cursor::new(page(1, 0, 2, 0, &[b"Speex   "]))).unwrap_err();
        assert!(err.to_string().contains("no Opus, Vorbis or FLAC stream"), "{err}");
    }

    #[test]
    fn crc_matches_a_known_page() {
        // The CRC of a page computed with the field zeroed must verify after being stored.
        let p = page(3, 0, 2, 0, &[b"hello"]);
        assert_eq!(p.le32(22), Some(crc32(&p)));
    }
}
