//! The only ID3v2 code in podmark: one header parser, one synchsafe decoder and encoder, one
//! unsynchronisation routine, one frame reader ([`read`]) and one writer ([`write`]). The probe,
//! `chapters extract` and the MP3 tagger all read `CHAP`/`CTOC` chapters through
//! [`read::chapter_entries`].
//!
//! This module also finds the ID3v1, APE and Lyrics3 tags at the end of MPEG audio.
//!
//! The reader handles v2.3 whole-tag and v2.4 per-frame unsynchronisation, and accepts v2.4 frames
//! whose size was written as a plain integer instead of a synchsafe one (iTunes, and FFmpeg for
//! `CHAP`/`CTOC`), the way TagLib does.

pub(crate) mod meta;
pub(crate) mod read;
pub(crate) mod write;

use std::io::{Read, Seek};

use crate::Chapter;
use crate::audio::{Bytes, Id3Version, ProbeError, ProbeErrorKind, ProbeWarning, Source};

/// Tags larger than this are skipped by the probe without reading their chapters.
const MAX_TAG: u32 = 16 * 1024 * 1024;

/// Largest value a synchsafe integer holds (28 bits): the limit of every ID3v2 tag and v2.4 frame.
pub(crate) const MAX_SYNCHSAFE: usize = 0x0FFF_FFFF;

/// Decodes a synchsafe integer (7 bits per byte); `None` if a byte has its top bit set.
pub(crate) fn synchsafe(b: [u8; 4]) -> Option<u32> {
    if b.iter().any(|x| x & 0x80 != 0) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, &x| (acc << 7) | u32::from(x)))
}

/// Encodes `n` as a synchsafe integer; `None` when it does not fit in 28 bits.
pub(crate) fn to_synchsafe(n: usize) -> Option<[u8; 4]> {
    if n > MAX_SYNCHSAFE {
        return None;
    }
    let n = u32::try_from(n).ok()?;
    Some([
        u8::try_from((n >> 21) & 0x7f).ok()?,
        u8::try_from((n >> 14) & 0x7f).ok()?,
        u8::try_from((n >> 7) & 0x7f).ok()?,
        u8::try_from(n & 0x7f).ok()?,
    ])
}

/// Removes unsynchronisation (`FF 00` → `FF`).
pub(crate) fn deunsync(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut prev_ff = false;
    for &b in data {
        if prev_ff && b == 0 {
            prev_ff = false;
            continue;
        }
        out.push(b);
        prev_ff = b == 0xff;
    }
    out
}

/// An ID3v2 tag header (the first 10 bytes of the tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// 2, 3 or 4 (other values are read, and refused by whoever needs to understand the frames).
    pub(crate) major: u8,
    /// Almost always 0.
    pub(crate) revision: u8,
    /// Unsynchronisation 0x80, extended header 0x40, experimental 0x20, footer 0x10 (v2.4).
    pub(crate) flags: u8,
    /// Size of the tag after the 10-byte header (without a footer).
    pub(crate) size: u32,
}

impl Header {
    /// Header + body + footer: the bytes the tag occupies.
    pub(crate) fn region(&self) -> u64 {
        let footer = if self.major == 4 && self.flags & 0x10 != 0 { 10 } else { 0 };
        10 + u64::from(self.size) + footer
    }

    /// The version as the probe reports it.
    pub(crate) fn version(&self) -> Id3Version {
        Id3Version { major: self.major, revision: self.revision }
    }
}

/// Why a header could not be parsed: a byte offset relative to the header and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// Fewer than 10 bytes.
    Short,
    /// A bad byte at this offset from the start of the header.
    Bad(u64, String),
}

/// Parses the ID3v2 header at the start of `head`. `Ok(None)` when it does not start with `ID3`.
pub(crate) fn parse_header(head: &[u8]) -> Result<Option<Header>, HeaderError> {
    if head.get(0..3) != Some(b"ID3") {
        return Ok(None);
    }
    let (Some(&major), Some(&revision), Some(&flags), Some(size)) =
        (head.get(3), head.get(4), head.get(5), head.arr::<4>(6))
    else {
        return Err(HeaderError::Short);
    };
    if major == 0xff || revision == 0xff {
        return Err(HeaderError::Bad(3, format!("unknown ID3 version 2.{major}.{revision}")));
    }
    let Some(size) = synchsafe(size) else {
        return Err(HeaderError::Bad(
            6,
            format!("the ID3v2 tag size bytes {} are not synchsafe", crate::audio::probe::quote_bytes(&size)),
        ));
    };
    Ok(Some(Header { major, revision, flags, size }))
}

/// The ID3v2 header at `offset` of a source, if there is one.
pub(crate) fn header_at<R: Read + Seek>(src: &mut Source<R>, offset: u64) -> Result<Option<Header>, ProbeError> {
    let b = src.peek(offset, 10)?;
    match parse_header(b) {
        Ok(h) => Ok(h),
        Err(HeaderError::Short) => {
            Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "ID3v2 header", needed: 10 }))
        }
        Err(HeaderError::Bad(_, m)) => Err(ProbeError::corrupt(offset, "ID3v2 header", m)),
    }
}

/// The offset after every ID3v2 tag starting at `offset` (tags may be repeated).
pub(crate) fn skip_tags<R: Read + Seek>(src: &mut Source<R>, mut offset: u64) -> Result<u64, ProbeError> {
    while let Some(h) = header_at(src, offset)? {
        let next = offset.saturating_add(h.region());
        if next > src.len() {
            return Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "ID3v2 tag", needed: h.region() }));
        }
        offset = next;
    }
    Ok(offset)
}

/// The version of the ID3v2 tag at the start of the file.
pub(crate) fn version<R: Read + Seek>(src: &mut Source<R>) -> Result<Option<Id3Version>, ProbeError> {
    Ok(header_at(src, 0)?.map(|h| h.version()))
}

/// Tags found at the end of an MPEG stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trailing {
    /// Where the audio ends (the first trailing tag starts).
    pub(crate) end: u64,
    pub(crate) id3v1: bool,
    pub(crate) ape: bool,
}

/// Finds ID3v1 (and `TAG+`), APE and Lyrics3v2 tags before `end`, in any order.
pub(crate) fn trailing<R: Read + Seek>(
    src: &mut Source<R>,
    start: u64,
    mut end: u64,
    warnings: &mut Vec<ProbeWarning>,
) -> Result<Trailing, ProbeError> {
    let mut t = Trailing::default();
    loop {
        let room = end.saturating_sub(start);
        if room >= 128 && src.peek(end - 128, 3)? == b"TAG" {
            t.id3v1 = true;
            end -= 128;
            if end.saturating_sub(start) >= 227 && src.peek(end - 227, 4)? == b"TAG+" {
                end -= 227;
            }
            continue;
        }
        if room >= 32 && src.peek(end - 32, 8)? == b"APETAGEX" {
            let footer = src.read(end - 32, 32, "APE tag footer")?;
            let size = u64::from(footer.le32(12).unwrap_or(0));
            let flags = footer.le32(20).unwrap_or(0);
            let header = if flags & 0x8000_0000 != 0 { 32 } else { 0 };
            let total = size + header;
            if total < 32 || total > room {
                warnings.push(ProbeWarning::new(end - 32, format!("APE tag footer claims {total} bytes; ignored")));
                break;
            }
            t.ape = true;
            end -= total;
            continue;
        }
        if room >= 15 && src.peek(end - 9, 9)? == b"LYRICS200" {
            let digits = src.read(end - 15, 6, "Lyrics3 size")?;
            let size = std::str::from_utf8(digits).ok().and_then(|s| s.parse::<u64>().ok());
            match size {
                Some(size) if size + 15 <= room => {
                    end -= size + 15;
                    continue;
                }
                _ => break,
            }
        }
        break;
    }
    t.end = end;
    Ok(t)
}

/// Reads the chapters of the ID3v2 tag at the start of the file, for the probe: the same
/// [`read::chapter_entries`] that `chapters extract` uses. `Ok(None)` when there is no tag, it is
/// ID3v2.2 (which has no chapter frames) or it has no `CHAP` frames; a tag whose frames cannot be
/// read gives a warning and no chapters.
pub(crate) fn read_chapters<R: Read + Seek>(
    src: &mut Source<R>,
    warnings: &mut Vec<ProbeWarning>,
) -> Result<Option<Vec<Chapter>>, ProbeError> {
    let Some(h) = header_at(src, 0)? else { return Ok(None) };
    if !matches!(h.major, 3 | 4) {
        return Ok(None);
    }
    if h.size > MAX_TAG {
        warnings.push(ProbeWarning::new(0, format!("ID3v2 tag of {} bytes: chapters not read", h.size)));
        return Ok(None);
    }
    let region = usize::try_from(h.region()).unwrap_or(usize::MAX);
    let raw = src.read(0, region, "ID3v2 tag")?;
    let entries = read::tag(h, raw).and_then(|tag| read::chapter_frames(&tag));
    match entries {
        Ok((chaps, tocs)) if !chaps.is_empty() => Ok(Some(read::chapter_entries(&chaps, &tocs))),
        Ok(_) => Ok(None),
        Err(bad) => {
            warnings.push(ProbeWarning::new(bad.offset, format!("ID3v2 chapters not read: {}", bad.message)));
            Ok(None)
        }
    }
}

/// Length of the tag at the start, for tests.
#[cfg(test)]
pub(crate) fn tag_len<R: Read + Seek>(src: &mut Source<R>) -> u64 {
    header_at(src, 0).ok().flatten().map_or(0, |h| h.region())
}

/// Builds an ID3v2 tag from frames (for tests of every reader that meets one).
#[cfg(test)]
pub(crate) fn build_tag(major: u8, frames: &[(&[u8; 4], Vec<u8>)], padding: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, data) in frames {
        body.extend_from_slice(*id);
        let n = u32::try_from(data.len()).unwrap();
        body.extend_from_slice(&if major == 4 { to_synchsafe(data.len()).unwrap() } else { n.to_be_bytes() });
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(data);
    }
    body.resize(body.len() + padding, 0);
    let mut tag = b"ID3".to_vec();
    tag.extend_from_slice(&[major, 0, 0]);
    tag.extend_from_slice(&to_synchsafe(body.len()).unwrap());
    tag.extend_from_slice(&body);
    tag
}

/// A `CHAP` frame body with a UTF-8 `TIT2` (and optional `WXXX`) in `major`'s frame format.
#[cfg(test)]
pub(crate) fn chap(major: u8, id: &str, start: u32, end: u32, title: &str, url: Option<&str>) -> Vec<u8> {
    let mut b = id.as_bytes().to_vec();
    b.push(0);
    for v in [start, end, u32::MAX, u32::MAX] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    let mut subs: Vec<(&[u8; 4], Vec<u8>)> = Vec::new();
    let mut t = vec![3u8];
    t.extend_from_slice(title.as_bytes());
    subs.push((b"TIT2", t));
    if let Some(url) = url {
        let mut w = vec![0u8, 0];
        w.extend_from_slice(url.as_bytes());
        subs.push((b"WXXX", w));
    }
    // Sub-frames are the tag body without the 10-byte tag header.
    let tag = build_tag(major, &subs, 0);
    b.extend_from_slice(&tag[10..]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use std::io::Cursor;

    fn src(data: Vec<u8>) -> Source<Cursor<Vec<u8>>> {
        Source::new(Cursor::new(data)).unwrap()
    }

    fn ctoc(children: &[&str]) -> Vec<u8> {
        let mut b = b"toc\0".to_vec();
        b.push(3);
        b.push(u8::try_from(children.len()).unwrap());
        for c in children {
            b.extend_from_slice(c.as_bytes());
            b.push(0);
        }
        b
    }

    #[test]
    fn reads_chap_and_ctoc_in_v23_and_v24() {
        for major in [3u8, 4] {
            let long_title = "A title long enough that the CHAP body crosses 128 bytes — “quoted” ü".repeat(2);
            let frames: Vec<(&[u8; 4], Vec<u8>)> = vec![
                (b"TIT2", vec![3, b'E', b'p']),
                (b"CTOC", ctoc(&["ch0", "ch2"])),
                (b"CHAP", chap(major, "ch2", 90_500, 120_000, "Outro", Some("https://example.com/x"))),
                (b"CHAP", chap(major, "ch0", 0, 60_000, &long_title, None)),
                (b"CHAP", chap(major, "ch1", 60_000, 90_500, "Hidden marker", None)),
            ];
            let tag = build_tag(major, &frames, 100);
            let mut s = src(tag.clone());
            assert_eq!(tag_len(&mut s), u64::try_from(tag.len()).unwrap());
            let mut warnings = Vec::new();
            let mut got = read_chapters(&mut s, &mut warnings).unwrap().unwrap();
            got.sort_by_key(|c| c.start);
            assert!(warnings.is_empty());
            assert_eq!(got.len(), 3);
            assert_eq!(got[0].title, long_title);
            assert_eq!(got[0].end, Timestamp::from_millis(60_000));
            assert!(!got[0].hidden);
            assert_eq!(got[1].title, "Hidden marker");
            assert!(got[1].hidden);
            assert_eq!(got[2].start, Timestamp::from_millis(90_500).unwrap());
            assert_eq!(got[2].url.as_deref(), Some("https://example.com/x"));
        }
    }

    #[test]
    fn v24_chap_with_plain_size_like_ffmpeg_writes() {
        // A CHAP body over 127 bytes whose size is written as a plain integer in a v2.4 tag.
        let body = chap(4, "ch0", 1000, 2000, &"x".repeat(150), None);
        let mut frame = b"CHAP".to_vec();
        frame.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&body);
        let mut second = b"CHAP".to_vec();
        let b2 = chap(4, "ch1", 2000, 3000, "Two", None);
        second.extend_from_slice(&to_synchsafe(b2.len()).unwrap());
        second.extend_from_slice(&[0, 0]);
        second.extend_from_slice(&b2);
        let mut all = frame;
        all.extend_from_slice(&second);
        all.resize(all.len() + 20, 0);
        let mut tag = b"ID3\x04\x00\x00".to_vec();
        tag.extend_from_slice(&to_synchsafe(all.len()).unwrap());
        tag.extend_from_slice(&all);
        let got = read_chapters(&mut src(tag), &mut Vec::new()).unwrap().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].title, "x".repeat(150));
        assert_eq!(got[1].title, "Two");
    }

    #[test]
    fn utf16_titles_and_unsynchronised_v23_tags() {
        let mut t = vec![1u8, 0xff, 0xfe];
        for u in "Kapitel ü".encode_utf16() {
            t.extend_from_slice(&u.to_le_bytes());
        }
        let mut body = b"c\0".to_vec();
        for v in [5u32, 0, u32::MAX, u32::MAX] {
            body.extend_from_slice(&v.to_be_bytes());
        }
        let sub = build_tag(3, &[(b"TIT2", t)], 0);
        body.extend_from_slice(&sub[10..]);
        let mut tag = build_tag(3, &[(b"CHAP", body)], 0);
        // Apply unsynchronisation to the body (insert 00 after every FF) and set the flag.
        let mut unsynced = Vec::new();
        for &b in &tag[10..] {
            unsynced.push(b);
            if b == 0xff {
                unsynced.push(0);
            }
        }
        tag.truncate(10);
        tag[5] = 0x80;
        tag[6..10].copy_from_slice(&to_synchsafe(unsynced.len()).unwrap());
        tag.extend_from_slice(&unsynced);
        let got = read_chapters(&mut src(tag), &mut Vec::new()).unwrap().unwrap();
        assert_eq!(got[0].title, "Kapitel ü");
        assert_eq!(got[0].start, Timestamp::from_millis(5).unwrap());
        assert_eq!(got[0].end, None, "end 0 before the start is dropped");
    }

    #[test]
    fn trailing_tags_are_peeled_in_any_order() {
        let mut data = vec![0x55u8; 1000];
        // Lyrics3v2, then APEv2 with header, then ID3v1.
        data.extend_from_slice(b"LYRICSBEGIN");
        data.extend_from_slice(b"IND0000200");
        data.extend_from_slice(b"000021LYRICS200");
        let mut ape = b"APETAGEX".to_vec();
        ape.extend_from_slice(&2000u32.to_le_bytes());
        ape.extend_from_slice(&32u32.to_le_bytes());
        ape.extend_from_slice(&0u32.to_le_bytes());
        ape.extend_from_slice(&0xa000_0000u32.to_le_bytes());
        ape.extend_from_slice(&[0; 8]);
        data.extend_from_slice(&ape);
        let mut footer = ape.clone();
        footer[20..24].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        data.extend_from_slice(&footer);
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b' ');
        data.extend_from_slice(&v1);
        let len = u64::try_from(data.len()).unwrap();
        let mut s = src(data);
        let t = trailing(&mut s, 0, len, &mut Vec::new()).unwrap();
        assert_eq!(t, Trailing { end: 1000, id3v1: true, ape: true });
    }

    #[test]
    fn bad_headers_are_errors_or_ignored_never_panics() {
        assert!(header_at(&mut src(b"ID3\x03\x00\x00\x80\x00\x00\x00".to_vec()), 0).is_err());
        assert!(header_at(&mut src(b"ID3\x03".to_vec()), 0).is_err());
        let err = skip_tags(&mut src(b"ID3\x03\x00\x00\x00\x00\x01\x00rest".to_vec()), 0).unwrap_err();
        assert_eq!(err.offset, 0);
        assert!(matches!(err.kind, ProbeErrorKind::Truncated { what: "ID3v2 tag", needed: 138 }));
        // Frames running past the body end are errors, never panics.
        assert!(read::frames(b"CHAP\x00\x00\x00\xffxx", 0, 3, 0).is_err());
        assert!(read::frames(b"CHAP\x7f\x7f\x7f\x7f\x00\x02x", 0, 4, 0).is_err());
    }
}
