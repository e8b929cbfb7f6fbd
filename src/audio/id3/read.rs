//! Reading the ID3v2 tag at the start of an MP3: the header, the frames as stored (so that every
//! frame podmark does not rewrite goes back byte for byte), and the chapters in `CHAP`/`CTOC`.
//!
//! Everything here works on bytes already in memory and returns [`Bad`] (a byte offset and a
//! message) for anything it cannot read, so it is tested without files and can never panic.

use super::{Header, HeaderError, deunsync, synchsafe};
pub(crate) use crate::audio::probe::quote_bytes;
use std::collections::{HashMap, HashSet};

use crate::{Chapter, Chapters, Timestamp};

/// Something unreadable at a byte offset of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    pub(crate) offset: u64,
    pub(crate) message: String,
}

impl Bad {
    pub(crate) fn new(offset: u64, message: impl Into<String>) -> Self {
        Bad { offset, message: message.into() }
    }
}

/// The ID3v2 versions podmark writes (major version number 3 or 4).
pub(crate) type Major = u8;

/// An ID3v2 tag at the start of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    /// 3 or 4.
    pub(crate) major: Major,
    /// Header flags (unsynchronisation 0x80, extended header 0x40, experimental 0x20, footer 0x10).
    pub(crate) flags: u8,
    /// Bytes the tag occupies at the start of the file: header, body and footer. The audio
    /// starts here.
    pub(crate) region: u64,
    /// The frames in file order, padding excluded.
    pub(crate) frames: Vec<Frame>,
}

/// One frame as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) id: [u8; 4],
    /// The two flag bytes of the frame header, in the tag's version layout.
    pub(crate) flags: [u8; 2],
    /// The body exactly as stored (after the tag-wide unsynchronisation of v2.3 is undone).
    pub(crate) body: Vec<u8>,
    /// Where the frame header is, relative to the start of the tag data it was read from.
    pub(crate) offset: u64,
}

impl Frame {
    /// The frame ID as text.
    pub(crate) fn name(&self) -> String {
        String::from_utf8_lossy(&self.id).into_owned()
    }

    /// True for `CHAP` and `CTOC`, the frames podmark owns.
    pub(crate) fn is_chapter_frame(&self) -> bool {
        &self.id == b"CHAP" || &self.id == b"CTOC"
    }
}

/// Frame format flags of v2.4 (second flag byte).
pub(crate) mod v24 {
    pub(crate) const GROUPING: u8 = 0x40;
    pub(crate) const COMPRESSION: u8 = 0x08;
    pub(crate) const ENCRYPTION: u8 = 0x04;
    pub(crate) const UNSYNC: u8 = 0x02;
    pub(crate) const LENGTH: u8 = 0x01;
}

/// Frame format flags of v2.3 (second flag byte).
pub(crate) mod v23 {
    pub(crate) const COMPRESSION: u8 = 0x80;
    pub(crate) const ENCRYPTION: u8 = 0x40;
    pub(crate) const GROUPING: u8 = 0x20;
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn arr4(b: &[u8], at: usize) -> Option<[u8; 4]> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some([s[0], s[1], s[2], s[3]])
}

fn u64_of(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Reads the tag header from the first bytes of a file of `file_len` bytes. `Ok(None)` when the
/// file does not start with `ID3`. Any version is returned (the tagger refuses all but 2.3 and
/// 2.4 itself, a reader finds no chapters in 2.2); a size past the end of the file is an error.
pub(crate) fn header(head: &[u8], file_len: u64) -> Result<Option<Header>, Bad> {
    let h = match super::parse_header(head) {
        Ok(Some(h)) => h,
        Ok(None) => return Ok(None),
        Err(HeaderError::Short) => {
            return Err(Bad::new(0, format!("the ID3v2 header is cut short: the file has only {file_len} bytes")));
        }
        Err(HeaderError::Bad(at, m)) => return Err(Bad::new(at, m)),
    };
    let region = h.region();
    if region > file_len {
        return Err(Bad::new(
            6,
            format!(
                "the ID3v2 tag claims {region} bytes but the file has only {file_len}: the tag size points past \
                 the end of the file"
            ),
        ));
    }
    Ok(Some(h))
}

/// Parses a whole tag: `data` holds at least `header.region` bytes from the start of the file.
pub(crate) fn tag(header: Header, data: &[u8]) -> Result<Tag, Bad> {
    let size = usize::try_from(header.size).map_err(|_| Bad::new(6, "the ID3v2 tag is too large"))?;
    let Some(body) = data.get(10..10usize.saturating_add(size)) else {
        return Err(Bad::new(10, "the ID3v2 tag is cut short"));
    };
    if !matches!(header.major, 3 | 4) {
        return Err(Bad::new(3, format!("ID3v2.{} frames cannot be read", header.major)));
    }
    let unsync = header.flags & 0x80 != 0;
    // v2.3 applies unsynchronisation to the whole tag; v2.4 marks it per frame (and a header flag
    // that says "all frames", handled when a frame is decoded).
    let body = if unsync && header.major == 3 { deunsync(body) } else { body.to_vec() };
    let mut start = 0usize;
    if header.flags & 0x40 != 0 {
        let Some(ext) = arr4(&body, 0) else {
            return Err(Bad::new(10, "the ID3v2 extended header is cut short"));
        };
        let ext_len = if header.major == 3 {
            // v2.3: the size excludes its own 4 bytes.
            u64::from(u32::from_be_bytes(ext)) + 4
        } else {
            u64::from(synchsafe(ext).ok_or_else(|| {
                Bad::new(10, format!("the ID3v2.4 extended header size {} is not synchsafe", quote_bytes(&ext)))
            })?)
        };
        if ext_len < 4 || ext_len > u64_of(body.len()) {
            return Err(Bad::new(10, format!("the ID3v2 extended header claims {ext_len} bytes, more than the tag")));
        }
        start = usize::try_from(ext_len).unwrap_or(usize::MAX);
    }
    let frames = frames(&body, start, header.major, 10)?;
    Ok(Tag { major: header.major, flags: header.flags, region: header.region(), frames })
}

fn valid_id(id: &[u8]) -> bool {
    id.len() == 4 && id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// True if a frame may start at `pos` of `data`: the end, padding, or a valid frame ID.
fn frame_may_start(data: &[u8], pos: usize) -> bool {
    pos == data.len() || data.get(pos) == Some(&0) || data.get(pos..pos + 4).is_some_and(valid_id)
}

/// Splits `data[start..]` into frames (v2.3 or v2.4 rules) until padding or the end. `base` is
/// the offset of `data` in the file, for messages.
pub(crate) fn frames(data: &[u8], start: usize, major: Major, base: u64) -> Result<Vec<Frame>, Bad> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < data.len() {
        let at = base + u64_of(pos);
        let rest = data.get(pos..).unwrap_or_default();
        if rest.first() == Some(&0) {
            break; // padding
        }
        if rest.len() < 10 {
            return Err(Bad::new(
                at,
                format!("{} bytes of data where a 10-byte frame header should be: {}", rest.len(), quote_bytes(rest)),
            ));
        }
        let id = [rest[0], rest[1], rest[2], rest[3]];
        if !valid_id(&id) {
            return Err(Bad::new(
                at,
                format!("{} is not an ID3v2 frame ID (four capital letters or digits)", quote_bytes(&id)),
            ));
        }
        let size_bytes = [rest[4], rest[5], rest[6], rest[7]];
        let plain = u32::from_be_bytes(size_bytes);
        let size = if major == 4 {
            frame_size_v24(data, pos, size_bytes)
        } else {
            usize::try_from(plain).unwrap_or(usize::MAX)
        };
        let end = pos.saturating_add(10).saturating_add(size);
        if end > data.len() {
            return Err(Bad::new(
                at,
                format!(
                    "frame {} claims {size} bytes, past the end of the tag ({} bytes left)",
                    quote_bytes(&id),
                    data.len() - pos - 10
                ),
            ));
        }
        out.push(Frame { id, flags: [rest[8], rest[9]], body: data[pos + 10..end].to_vec(), offset: at });
        pos = end;
    }
    Ok(out)
}

/// The size of the v2.4 frame at `pos`: synchsafe as the standard says, but a plain integer
/// when the synchsafe reading lands in the middle of nothing and the plain one on a frame
/// boundary (iTunes, and FFmpeg's `CHAP`/`CTOC`, write v2.4 sizes as plain integers; TagLib and
/// mutagen read them the same way).
fn frame_size_v24(data: &[u8], pos: usize, size_bytes: [u8; 4]) -> usize {
    let plain = usize::try_from(u32::from_be_bytes(size_bytes)).unwrap_or(usize::MAX);
    let Some(safe) = synchsafe(size_bytes) else {
        return plain;
    };
    let safe = usize::try_from(safe).unwrap_or(usize::MAX);
    if safe < 0x80 {
        return safe; // both readings agree
    }
    let after = |n: usize| pos.saturating_add(10).saturating_add(n);
    if frame_may_start(data, after(safe)) || !frame_may_start(data, after(plain)) { safe } else { plain }
}

/// The body of a frame with its per-frame v2.4 unsynchronisation and data length indicator
/// removed. `tag_unsync` is the v2.4 tag header's "all frames are unsynchronised" flag.
/// Compressed or encrypted frames cannot be decoded.
pub(crate) fn decoded_body(frame: &Frame, major: Major, tag_unsync: bool) -> Result<Vec<u8>, Bad> {
    let f = frame.flags[1];
    if major == 4 {
        if f & (v24::COMPRESSION | v24::ENCRYPTION) != 0 {
            return Err(Bad::new(frame.offset, format!("frame {} is compressed or encrypted", frame.name())));
        }
        let mut body: &[u8] = &frame.body;
        if f & v24::GROUPING != 0 {
            body = body.get(1..).unwrap_or_default();
        }
        let mut body = if f & v24::UNSYNC != 0 || tag_unsync { deunsync(body) } else { body.to_vec() };
        if f & v24::LENGTH != 0 {
            body.drain(..4.min(body.len()));
        }
        Ok(body)
    } else {
        if f & (v23::COMPRESSION | v23::ENCRYPTION) != 0 {
            return Err(Bad::new(frame.offset, format!("frame {} is compressed or encrypted", frame.name())));
        }
        let skip = usize::from(f & v23::GROUPING != 0);
        Ok(frame.body.get(skip..).unwrap_or_default().to_vec())
    }
}

/// Splits at the first string terminator for `encoding` (one zero byte, or two aligned zero bytes
/// for UTF-16): (string bytes, rest after the terminator).
pub(crate) fn split_terminated(encoding: u8, data: &[u8]) -> (&[u8], &[u8]) {
    if encoding == 1 || encoding == 2 {
        let mut i = 0;
        while i + 1 < data.len() {
            if data[i] == 0 && data[i + 1] == 0 {
                return (&data[..i], &data[i + 2..]);
            }
            i += 2;
        }
        (data, &[])
    } else {
        match data.iter().position(|&b| b == 0) {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (data, &[]),
        }
    }
}

/// Decodes one string in an ID3 text encoding (0 ISO-8859-1, 1 UTF-16 with BOM, 2 UTF-16BE,
/// 3 UTF-8). Undecodable sequences become U+FFFD.
pub(crate) fn decode_string(encoding: u8, data: &[u8]) -> String {
    match encoding {
        1 | 2 => {
            let (big_endian, data) = match data {
                [0xFE, 0xFF, rest @ ..] => (true, rest),
                [0xFF, 0xFE, rest @ ..] => (false, rest),
                _ => (encoding == 2, data),
            };
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| if big_endian { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) })
                .collect();
            String::from_utf16_lossy(&units)
        }
        3 => String::from_utf8_lossy(data).into_owned(),
        _ => data.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The first value of a text frame (`TIT2`, `TIT3`, …).
fn text_value(body: &[u8]) -> Option<String> {
    let (&enc, rest) = body.split_first()?;
    let (s, _) = split_terminated(enc, rest);
    let s = decode_string(enc, s);
    Some(s.trim_start_matches('\u{feff}').to_owned())
}

/// The URL of a `WXXX` frame and its description.
fn wxxx(body: &[u8]) -> Option<(String, String)> {
    let (&enc, rest) = body.split_first()?;
    let (desc, url) = split_terminated(enc, rest);
    let url = url.split(|&b| b == 0).next().unwrap_or_default();
    Some((decode_string(enc, desc), decode_string(0, url)))
}

/// A `CHAP` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chap {
    pub(crate) element_id: Vec<u8>,
    pub(crate) start_ms: u32,
    pub(crate) end_ms: u32,
    pub(crate) start_offset: u32,
    pub(crate) end_offset: u32,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) url: Option<String>,
    /// MIME type and bytes of each `APIC` sub-frame.
    pub(crate) images: Vec<(String, Vec<u8>)>,
    /// IDs of the sub-frames, in order.
    pub(crate) sub_ids: Vec<[u8; 4]>,
}

/// A `CTOC` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ctoc {
    pub(crate) element_id: Vec<u8>,
    pub(crate) flags: u8,
    pub(crate) children: Vec<Vec<u8>>,
    pub(crate) title: Option<String>,
    pub(crate) sub_ids: Vec<[u8; 4]>,
}

/// Parses the body of a `CHAP` frame (already decoded).
pub(crate) fn chap(body: &[u8], major: Major, at: u64) -> Result<Chap, Bad> {
    let Some(nul) = body.iter().position(|&b| b == 0) else {
        return Err(Bad::new(at, "CHAP frame without a terminated element ID"));
    };
    let element_id = body[..nul].to_vec();
    let fixed = nul + 1;
    let (Some(start_ms), Some(end_ms), Some(start_offset), Some(end_offset)) =
        (be32(body, fixed), be32(body, fixed + 4), be32(body, fixed + 8), be32(body, fixed + 12))
    else {
        return Err(Bad::new(at, format!("CHAP frame {} is cut short", quote_bytes(&element_id))));
    };
    let subs = frames(body, fixed + 16, major, at + 10)?;
    let mut c = Chap {
        element_id,
        start_ms,
        end_ms,
        start_offset,
        end_offset,
        title: None,
        description: None,
        url: None,
        images: Vec::new(),
        sub_ids: subs.iter().map(|f| f.id).collect(),
    };
    let mut other_url = None;
    for sub in &subs {
        let Ok(b) = decoded_body(sub, major, false) else { continue };
        match &sub.id {
            b"TIT2" if c.title.is_none() => c.title = text_value(&b),
            b"TIT3" if c.description.is_none() => c.description = text_value(&b),
            b"WXXX" => {
                if let Some((desc, url)) = wxxx(&b)
                    && (c.url.is_none() || desc == "chapter url")
                {
                    c.url = Some(url);
                }
            }
            b"APIC" => {
                if let Some(img) = apic(&b) {
                    c.images.push(img);
                }
            }
            [b'W', ..] if other_url.is_none() => {
                other_url = Some(decode_string(0, b.split(|&x| x == 0).next().unwrap_or_default()));
            }
            _ => {}
        }
    }
    if c.url.is_none() {
        c.url = other_url;
    }
    Ok(c)
}

/// MIME type and data of an `APIC` body.
fn apic(body: &[u8]) -> Option<(String, Vec<u8>)> {
    let (&enc, rest) = body.split_first()?;
    let (mime, rest) = split_terminated(0, rest);
    let (_kind, rest) = rest.split_first()?;
    let (_desc, data) = split_terminated(enc, rest);
    Some((decode_string(0, mime), data.to_vec()))
}

/// Parses the body of a `CTOC` frame (already decoded).
pub(crate) fn ctoc(body: &[u8], major: Major, at: u64) -> Result<Ctoc, Bad> {
    let Some(nul) = body.iter().position(|&b| b == 0) else {
        return Err(Bad::new(at, "CTOC frame without a terminated element ID"));
    };
    let element_id = body[..nul].to_vec();
    let (Some(&flags), Some(&count)) = (body.get(nul + 1), body.get(nul + 2)) else {
        return Err(Bad::new(at, format!("CTOC frame {} is cut short", quote_bytes(&element_id))));
    };
    let mut rest = body.get(nul + 3..).unwrap_or_default();
    let mut children = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let Some(n) = rest.iter().position(|&b| b == 0) else {
            return Err(Bad::new(
                at,
                format!("CTOC frame {} lists fewer children than it claims", quote_bytes(&element_id)),
            ));
        };
        children.push(rest[..n].to_vec());
        rest = &rest[n + 1..];
    }
    let consumed = body.len() - rest.len();
    let subs = frames(body, consumed, major, at + 10)?;
    let title = subs
        .iter()
        .find(|f| &f.id == b"TIT2")
        .and_then(|f| decoded_body(f, major, false).ok())
        .and_then(|b| text_value(&b));
    Ok(Ctoc { element_id, flags, children, title, sub_ids: subs.iter().map(|f| f.id).collect() })
}

/// All `CHAP` and `CTOC` frames of a tag, decoded.
pub(crate) fn chapter_frames(tag: &Tag) -> Result<(Vec<Chap>, Vec<Ctoc>), Bad> {
    let tag_unsync = tag.major == 4 && tag.flags & 0x80 != 0;
    let mut chaps = Vec::new();
    let mut tocs = Vec::new();
    for f in &tag.frames {
        match &f.id {
            b"CHAP" => chaps.push(chap(&decoded_body(f, tag.major, tag_unsync)?, tag.major, f.offset)?),
            b"CTOC" => tocs.push(ctoc(&decoded_body(f, tag.major, tag_unsync)?, tag.major, f.offset)?),
            _ => {}
        }
    }
    Ok((chaps, tocs))
}

/// The chapters of `CHAP`/`CTOC` frames, sorted by start, as stored: what `podmark probe` lists
/// and what [`to_chapters`] validates for `chapters extract` (one function for both).
///
/// A chapter is hidden when the file has a table of contents and no `CTOC` reachable from the
/// top-level one lists it. A chapter's end is kept when it is after its start.
pub(crate) fn chapter_entries(chaps: &[Chap], tocs: &[Ctoc]) -> Vec<Chapter> {
    let mut visible: Option<HashSet<&[u8]>> = None;
    if !tocs.is_empty() {
        let by_id: HashMap<&[u8], &Ctoc> = tocs.iter().map(|t| (t.element_id.as_slice(), t)).collect();
        let roots: Vec<&Ctoc> = match tocs.iter().filter(|t| t.flags & 0x02 != 0).collect::<Vec<_>>() {
            r if r.is_empty() => tocs.iter().collect(),
            r => r,
        };
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let mut listed: HashSet<&[u8]> = HashSet::new();
        let mut stack: Vec<&Ctoc> = roots;
        while let Some(t) = stack.pop() {
            if !seen.insert(t.element_id.as_slice()) {
                continue;
            }
            for child in &t.children {
                match by_id.get(child.as_slice()) {
                    Some(sub) => stack.push(sub),
                    None => {
                        listed.insert(child.as_slice());
                    }
                }
            }
        }
        visible = Some(listed);
    }
    let mut sorted: Vec<&Chap> = chaps.iter().collect();
    sorted.sort_by_key(|c| (c.start_ms, c.end_ms));
    sorted
        .iter()
        .map(|c| {
            let start = Timestamp::from_millis(u64::from(c.start_ms)).unwrap_or(Timestamp::ZERO);
            let mut ch = Chapter::new(start, c.title.clone().unwrap_or_default());
            ch.url = c.url.clone().filter(|u| !u.is_empty());
            ch.description = c.description.clone().filter(|d| !d.is_empty());
            ch.hidden = visible.as_ref().is_some_and(|v| !v.contains(c.element_id.as_slice()));
            if c.end_ms > c.start_ms {
                ch.end = Timestamp::from_millis(u64::from(c.end_ms));
            }
            ch
        })
        .collect()
}

/// Turns `CHAP`/`CTOC` frames into a validated chapter list ([`chapter_entries`], then ends).
///
/// An end equal to the next start (or to the last chapter's end, which becomes the duration) is
/// implied rather than explicit; an end that overlaps the next chapter is dropped, since
/// [`Chapters`] cannot hold overlaps.
pub(crate) fn to_chapters(chaps: &[Chap], tocs: &[Ctoc]) -> Result<Chapters, String> {
    let mut list = chapter_entries(chaps, tocs);
    let starts: Vec<Timestamp> = list.iter().map(|c| c.start).collect();
    let mut last_end = None;
    let n = list.len();
    for (i, ch) in list.iter_mut().enumerate() {
        match starts.get(i + 1) {
            Some(next) if ch.end.is_some_and(|e| e < *next) => {}
            Some(_) => ch.end = None,
            None => last_end = ch.end.take().filter(|_| i + 1 == n),
        }
    }
    let chapters = Chapters::new(list).map_err(|e| format!("the file's chapters are not a valid list: {e}"))?;
    match last_end {
        Some(d) => chapters.with_duration(d).map_err(|e| format!("the file's chapters are not a valid list: {e}")),
        None => Ok(chapters),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rejects_sizes_past_the_end_and_reads_v22() {
        let h = [b'I', b'D', b'3', 3, 0, 0, 0, 0, 1, 0];
        assert_eq!(header(&h, 500).unwrap().unwrap().region(), 138);
        let e = header(&h, 100).unwrap_err();
        assert!(e.message.contains("past the end"), "{e:?}");
        let v22 = [b'I', b'D', b'3', 2, 0, 0, 0, 0, 0, 0];
        assert_eq!(header(&v22, 100).unwrap().unwrap().major, 2, "v2.2 is read; the tagger refuses it");
        assert!(header(b"ID3\x03", 4).is_err());
        assert_eq!(header(b"\xff\xfb\x90\x00", 4).unwrap(), None);
    }

    #[test]
    fn v24_plain_sizes_are_recognised() {
        // A 200-byte TIT2 with a plain size, then a TALB: synchsafe reading would land inside.
        let mut data = Vec::new();
        data.extend_from_slice(b"TIT2");
        data.extend_from_slice(&200u32.to_be_bytes());
        data.extend_from_slice(&[0, 0]);
        data.push(3);
        data.extend_from_slice(&[b'a'; 199]);
        data.extend_from_slice(b"TALB\x00\x00\x00\x02\x00\x00\x03b");
        let f = frames(&data, 0, 4, 0).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].body.len(), 200);
        assert_eq!(&f[1].id, b"TALB");
    }

    #[test]
    fn strings_in_every_encoding() {
        assert_eq!(decode_string(0, b"caf\xe9"), "café");
        assert_eq!(decode_string(1, &[0xFF, 0xFE, b'h', 0, 0xAC, 0x20]), "h€");
        assert_eq!(decode_string(1, &[0xFE, 0xFF, 0, b'h']), "h");
        assert_eq!(decode_string(2, &[0, b'h']), "h");
        assert_eq!(decode_string(3, "ü".as_bytes()), "ü");
        assert_eq!(split_terminated(1, &[b'a', 0, 0, 0, b'b']), (&[b'a', 0][..], &[b'b'][..]));
        assert_eq!(split_terminated(0, b"ab\0cd"), (&b"ab"[..], &b"cd"[..]));
    }

    #[test]
    fn bad_frames_are_reported_with_offsets() {
        let e = frames(b"TIT2\x00\x00\x00\x50\x00\x00abc", 0, 3, 10).unwrap_err();
        assert_eq!(e.offset, 10);
        assert!(e.message.contains("past the end"), "{e:?}");
        let e = frames(b"ti t\x00\x00\x00\x01\x00\x00a", 0, 3, 10).unwrap_err();
        assert!(e.message.contains("\"ti t\""), "{e:?}");
        assert!(frames(b"\0\0\0garbage", 0, 3, 0).unwrap().is_empty());
    }
}
