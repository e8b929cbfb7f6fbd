//! ID3v2 tags at the start (skipped, version noted, `CHAP`/`CTOC` chapters read) and ID3v1, APE
//! and Lyrics3 tags at the end of MPEG audio.
//!
//! A small reader of podmark's own: it reads only what a probe needs, handles v2.3 whole-tag and
//! v2.4 per-frame unsynchronisation, and accepts v2.4 frames whose size was written as a plain
//! integer instead of a synchsafe one (iTunes, and FFmpeg for `CHAP`/`CTOC`), the way TagLib does.

pub(crate) mod read;
pub(crate) mod write;

use std::collections::HashSet;
use std::io::{Read, Seek};

use crate::audio::{Bytes, Id3Version, ProbeError, ProbeErrorKind, ProbeWarning, Source};
use crate::{Chapter, Timestamp};

/// Tags larger than this are skipped without reading their chapters.
const MAX_TAG: u32 = 16 * 1024 * 1024;

/// An ID3v2 tag header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub(crate) offset: u64,
    pub(crate) version: Id3Version,
    flags: u8,
    /// Size of the tag after the 10-byte header (without a footer).
    size: u32,
}

impl Header {
    /// Header + body + footer.
    pub(crate) fn total(&self) -> u64 {
        let footer = if self.version.major == 4 && self.flags & 0x10 != 0 { 10 } else { 0 };
        10 + u64::from(self.size) + footer
    }
}

fn synchsafe(b: [u8; 4]) -> Option<u32> {
    if b.iter().any(|x| x & 0x80 != 0) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, &x| (acc << 7) | u32::from(x)))
}

/// The ID3v2 header at `offset`, if there is one.
pub(crate) fn header_at<R: Read + Seek>(src: &mut Source<R>, offset: u64) -> Result<Option<Header>, ProbeError> {
    let b = src.peek(offset, 10)?;
    if b.get(0..3) != Some(b"ID3") {
        return Ok(None);
    }
    let (Some(&major), Some(&revision), Some(&flags), Some(size)) = (b.get(3), b.get(4), b.get(5), b.arr::<4>(6))
    else {
        return Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "ID3v2 header", needed: 10 }));
    };
    if major == 0xff || revision == 0xff {
        return Err(ProbeError::corrupt(offset, "ID3v2 header", format!("version 2.{major}.{revision}")));
    }
    let Some(size) = synchsafe(size) else {
        return Err(ProbeError::corrupt(offset, "ID3v2 header", format!("size bytes {:02x?} are not synchsafe", size)));
    };
    Ok(Some(Header { offset, version: Id3Version { major, revision }, flags, size }))
}

/// The offset after every ID3v2 tag starting at `offset` (tags may be repeated).
pub(crate) fn skip_tags<R: Read + Seek>(src: &mut Source<R>, mut offset: u64) -> Result<u64, ProbeError> {
    while let Some(h) = header_at(src, offset)? {
        let next = offset.saturating_add(h.total());
        if next > src.len() {
            return Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "ID3v2 tag", needed: h.total() }));
        }
        offset = next;
    }
    Ok(offset)
}

/// The version of the ID3v2 tag at the start of the file.
pub(crate) fn version<R: Read + Seek>(src: &mut Source<R>) -> Result<Option<Id3Version>, ProbeError> {
    Ok(header_at(src, 0)?.map(|h| h.version))
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

/// A frame inside a tag body (or inside a `CHAP`/`CTOC`): its ID and decoded body.
struct Frame {
    id: [u8; 4],
    body: Vec<u8>,
}

fn valid_id(id: &[u8]) -> bool {
    id.len() == 4 && id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Removes unsynchronisation (`FF 00` → `FF`). Shared with the MP3 tagger.
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

/// Splits `data` into frames of an ID3v2.3 or v2.4 tag.
fn frames(data: &[u8], major: u8) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while let (Some(id), Some(size_bytes), Some(flags)) =
        (data.arr::<4>(pos), data.arr::<4>(pos + 4), data.arr::<2>(pos + 8))
    {
        if !valid_id(&id) {
            break;
        }
        let plain = u32::from_be_bytes(size_bytes);
        let size = if major == 4 {
            match synchsafe(size_bytes) {
                Some(s) if s != plain => {
                    // Written as a plain integer by some taggers: take whichever size lands on
                    // the next frame, the padding or the end.
                    let lands = |n: u32| {
                        let next = pos.saturating_add(10).saturating_add(usize::try_from(n).unwrap_or(usize::MAX));
                        next == data.len()
                            || data.get(next) == Some(&0)
                            || data.get(next..next.saturating_add(4)).is_some_and(valid_id)
                    };
                    if lands(s) || !lands(plain) { s } else { plain }
                }
                Some(s) => s,
                None => plain,
            }
        } else {
            plain
        };
        let start = pos + 10;
        let end = start.saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
        let Some(raw) = data.get(start..end) else { break };
        pos = end;
        let [_, f2] = flags;
        let mut body: &[u8] = raw;
        let owned;
        if major == 4 {
            if f2 & 0x0c != 0 {
                continue; // compressed or encrypted
            }
            if f2 & 0x40 != 0 {
                body = body.get(1..).unwrap_or(&[]);
            }
            if f2 & 0x01 != 0 {
                body = body.get(4..).unwrap_or(&[]);
            }
            if f2 & 0x02 != 0 {
                owned = deunsync(body);
                body = &owned;
            }
        } else {
            if f2 & 0xc0 != 0 {
                continue; // compressed or encrypted
            }
            if f2 & 0x20 != 0 {
                body = body.get(1..).unwrap_or(&[]);
            }
        }
        out.push(Frame { id, body: body.to_vec() });
    }
    out
}

/// A NUL-terminated ISO-8859-1 string at the start of `data`, and the rest after the NUL.
fn latin1_z(data: &[u8]) -> (String, &[u8]) {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let s = data.get(..end).unwrap_or(&[]).iter().map(|&b| char::from(b)).collect();
    (s, data.get(end + 1..).unwrap_or(&[]))
}

/// A string in `encoding`, up to its terminator, and the rest after it.
fn decode(encoding: u8, data: &[u8]) -> (String, &[u8]) {
    match encoding {
        0 => latin1_z(data),
        3 => {
            let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
            (String::from_utf8_lossy(data.get(..end).unwrap_or(&[])).into_owned(), data.get(end + 1..).unwrap_or(&[]))
        }
        1 | 2 => {
            let mut units = Vec::new();
            let mut rest: &[u8] = &[];
            let mut big = encoding == 2;
            let mut i = 0;
            if encoding == 1 {
                match data.get(0..2) {
                    Some([0xff, 0xfe]) => i = 2,
                    Some([0xfe, 0xff]) => {
                        big = true;
                        i = 2;
                    }
                    _ => {}
                }
            }
            while let Some(pair) = data.arr::<2>(i) {
                i += 2;
                let u = if big { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) };
                if u == 0 {
                    rest = data.get(i..).unwrap_or(&[]);
                    break;
                }
                units.push(u);
            }
            (String::from_utf16_lossy(&units), rest)
        }
        _ => (String::new(), &[]),
    }
}

/// The text of a `T***` frame (the first string).
fn text_frame(body: &[u8]) -> String {
    let Some((&enc, rest)) = body.split_first() else { return String::new() };
    decode(enc, rest).0.trim().to_owned()
}

/// The URL of a `WXXX` frame.
fn wxxx(body: &[u8]) -> String {
    let Some((&enc, rest)) = body.split_first() else { return String::new() };
    let (_, url) = decode(enc, rest);
    latin1_z(url).0.trim().to_owned()
}

/// Reads the chapters of the ID3v2 tag at the start of the file. `Ok(None)` when there is no tag
/// or it has no `CHAP` frames.
pub(crate) fn read_chapters<R: Read + Seek>(
    src: &mut Source<R>,
    warnings: &mut Vec<ProbeWarning>,
) -> Result<Option<Vec<Chapter>>, ProbeError> {
    let Some(h) = header_at(src, 0)? else { return Ok(None) };
    if !matches!(h.version.major, 3 | 4) {
        return Ok(None); // ID3v2.2 has no chapter frames
    }
    if h.size > MAX_TAG {
        warnings.push(ProbeWarning::new(h.offset, format!("ID3v2 tag of {} bytes: chapters not read", h.size)));
        return Ok(None);
    }
    let size = usize::try_from(h.size).unwrap_or(usize::MAX);
    let raw = src.read(h.offset + 10, size, "ID3v2 tag")?;
    let mut body = if h.version.major == 3 && h.flags & 0x80 != 0 { deunsync(raw) } else { raw.to_vec() };
    if h.flags & 0x40 != 0 {
        // Extended header: v2.3 size excludes its own 4 bytes, v2.4 includes them (synchsafe).
        let skip = if h.version.major == 3 {
            body.be32(0).map(|n| u64::from(n) + 4)
        } else {
            body.arr::<4>(0).and_then(synchsafe).map(u64::from)
        };
        let skip = skip.and_then(|s| usize::try_from(s).ok()).unwrap_or(usize::MAX);
        body = body.get(skip..).map(<[u8]>::to_vec).unwrap_or_default();
    }
    let mut chapters = Vec::new();
    let mut in_toc: Option<HashSet<String>> = None;
    for frame in frames(&body, h.version.major) {
        match &frame.id {
            b"CHAP" => {
                let (id, rest) = latin1_z(&frame.body);
                let (Some(start), Some(end)) = (rest.be32(0), rest.be32(4)) else {
                    warnings.push(ProbeWarning::new(h.offset, format!("CHAP frame {id:?} is too short; skipped")));
                    continue;
                };
                let mut chapter =
                    Chapter::new(Timestamp::from_millis(u64::from(start)).unwrap_or(Timestamp::ZERO), String::new());
                if end > start {
                    chapter.end = Timestamp::from_millis(u64::from(end));
                }
                for sub in frames(rest.get(16..).unwrap_or(&[]), h.version.major) {
                    match &sub.id {
                        b"TIT2" => chapter.title = text_frame(&sub.body),
                        b"TIT3" => chapter.description = Some(text_frame(&sub.body)).filter(|s| !s.is_empty()),
                        b"WXXX" => chapter.url = Some(wxxx(&sub.body)).filter(|s| !s.is_empty()),
                        [b'W', ..] if chapter.url.is_none() => {
                            chapter.url = Some(latin1_z(&sub.body).0.trim().to_owned()).filter(|s| !s.is_empty());
                        }
                        _ => {}
                    }
                }
                chapters.push((id, chapter));
            }
            b"CTOC" => {
                let (_, rest) = latin1_z(&frame.body);
                let (Some(_flags), Some(&count)) = (rest.first(), rest.get(1)) else { continue };
                let mut children = rest.get(2..).unwrap_or(&[]);
                let set = in_toc.get_or_insert_with(HashSet::new);
                for _ in 0..count {
                    let (child, next) = latin1_z(children);
                    set.insert(child);
                    children = next;
                }
            }
            _ => {}
        }
    }
    if chapters.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        chapters
            .into_iter()
            .map(|(id, c)| {
                let hidden = in_toc.as_ref().is_some_and(|set| !set.contains(&id));
                c.hidden(hidden)
            })
            .collect(),
    ))
}

/// Length of the tag at the start, for tests.
#[cfg(test)]
pub(crate) fn tag_len<R: Read + Seek>(src: &mut Source<R>) -> u64 {
    header_at(src, 0).ok().flatten().map_or(0, |h| h.total())
}

/// Builds an ID3v2 tag from frames (for tests of every reader that meets one).
#[cfg(test)]
pub(crate) fn build_tag(major: u8, frames: &[(&[u8; 4], Vec<u8>)], padding: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, data) in frames {
        body.extend_from_slice(*id);
        let n = u32::try_from(data.len()).unwrap();
        body.extend_from_slice(&if major == 4 { to_synchsafe(n) } else { n.to_be_bytes() });
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(data);
    }
    body.resize(body.len() + padding, 0);
    let mut tag = b"ID3".to_vec();
    tag.extend_from_slice(&[major, 0, 0]);
    tag.extend_from_slice(&to_synchsafe(u32::try_from(body.len()).unwrap()));
    tag.extend_from_slice(&body);
    tag
}

#[cfg(test)]
pub(crate) fn to_synchsafe(n: u32) -> [u8; 4] {
    [
        u8::try_from((n >> 21) & 0x7f).unwrap(),
        u8::try_from((n >> 14) & 0x7f).unwrap(),
        u8::try_from((n >> 7) & 0x7f).unwrap(),
        u8::try_from(n & 0x7f).unwrap(),
    ]
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
        second.extend_from_slice(&to_synchsafe(u32::try_from(b2.len()).unwrap()));
        second.extend_from_slice(&[0, 0]);
        second.extend_from_slice(&b2);
        let mut all = frame;
        all.extend_from_slice(&second);
        all.resize(all.len() + 20, 0);
        let mut tag = b"ID3\x04\x00\x00".to_vec();
        tag.extend_from_slice(&to_synchsafe(u32::try_from(all.len()).unwrap()));
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
        tag[6..10].copy_from_slice(&to_synchsafe(u32::try_from(unsynced.len()).unwrap()));
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
        // Frames running past the body end are ignored.
        assert!(frames(b"CHAP\x00\x00\x00\xffxx", 3).is_empty());
        assert!(frames(b"CHAP\x7f\x7f\x7f\x7f\x00\x02x", 4).is_empty());
    }

    #[test]
    fn decode_handles_every_encoding() {
        assert_eq!(decode(0, b"caf\xe9\0rest"), ("café".to_owned(), &b"rest"[..]));
        assert_eq!(decode(3, "ü\0".as_bytes()).0, "ü");
        assert_eq!(decode(2, b"\x00A\x00B\x00\x00z").0, "AB");
        assert_eq!(decode(1, b"\xfe\xff\x00A").0, "A");
        assert_eq!(decode(1, b"A\x00\x00").0, "A");
        assert_eq!(decode(9, b"x").0, "");
        assert_eq!(text_frame(&[]), "");
        assert_eq!(wxxx(&[0, b'd', 0, b'u']), "u");
    }
}
