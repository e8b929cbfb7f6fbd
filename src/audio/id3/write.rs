//! Encoding ID3v2 frames: `CHAP`/`CTOC` with their sub-frames, the tag header, and the
//! conversion of preserved frames when the tag changes version.

use super::read::{self, Frame, Major, v23, v24};
use super::{MAX_SYNCHSAFE, to_synchsafe};
use crate::{Chapter, Chapters, Timestamp};

/// Element ID of the top-level table of contents.
pub(crate) const TOC_ID: &str = "toc";
/// Title of the table of contents (its `TIT2`).
pub(crate) const TOC_TITLE: &str = "Chapters";
/// Description of each chapter's `WXXX` (what eyeD3 reads as `ChapterFrame.user_url`).
pub(crate) const URL_DESCRIPTION: &str = "chapter url";
/// Largest entry count of one `CTOC` (a single byte).
pub(crate) const MAX_TOC_ENTRIES: usize = 255;
/// Byte offsets written into `CHAP`: "not given, use the times".
const NO_OFFSET: [u8; 4] = [0xFF; 4];

/// A frame header + body in the given version. v2.4 sizes are synchsafe, v2.3 sizes plain.
pub(crate) fn frame(id: &[u8; 4], flags: [u8; 2], body: &[u8], major: Major) -> Result<Vec<u8>, String> {
    let size = if major == 4 {
        to_synchsafe(body.len())
    } else {
        u32::try_from(body.len()).ok().filter(|_| body.len() <= MAX_SYNCHSAFE).map(u32::to_be_bytes)
    };
    let Some(size) = size else {
        return Err(format!("frame {} is too large for ID3 ({} bytes)", String::from_utf8_lossy(id), body.len()));
    };
    let mut out = Vec::with_capacity(10 + body.len());
    out.extend_from_slice(id);
    out.extend_from_slice(&size);
    out.extend_from_slice(&flags);
    out.extend_from_slice(body);
    Ok(out)
}

/// The 10-byte tag header for a tag body of `size` bytes (frames + padding), no flags.
pub(crate) fn tag_header(major: Major, size: usize) -> Result<[u8; 10], String> {
    let Some(s) = to_synchsafe(size) else {
        return Err(format!("the ID3 tag would be {size} bytes, more than ID3v2 allows (256 MiB)"));
    };
    Ok([b'I', b'D', b'3', major, 0, 0, s[0], s[1], s[2], s[3]])
}

/// Text in the best encoding for the version: ISO-8859-1 when every character fits, else UTF-16
/// with a byte-order mark in v2.3; UTF-8 in v2.4. Returns (encoding byte, bytes).
pub(crate) fn encode_text(s: &str, major: Major) -> (u8, Vec<u8>) {
    if major == 4 {
        return (3, s.as_bytes().to_vec());
    }
    if s.chars().all(|c| u32::from(c) <= 0xFF) {
        return (0, s.chars().filter_map(|c| u8::try_from(u32::from(c)).ok()).collect());
    }
    let mut out = vec![0xFF, 0xFE];
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    (1, out)
}

/// A text frame body (`TIT2`, `TIT3`): encoding byte and the value, without a terminator.
pub(crate) fn text_body(s: &str, major: Major) -> Vec<u8> {
    let (enc, bytes) = encode_text(s, major);
    let mut body = Vec::with_capacity(1 + bytes.len());
    body.push(enc);
    body.extend_from_slice(&bytes);
    body
}

/// A URL as ISO-8859-1 text: everything outside printable ASCII is percent-encoded (UTF-8).
pub(crate) fn url_bytes(url: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(url.len());
    for &b in url.as_bytes() {
        if (0x21..0x7f).contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

/// A `WXXX` body with the description `chapter url`.
fn wxxx_body(url: &str) -> Vec<u8> {
    let mut body = vec![0];
    body.extend_from_slice(URL_DESCRIPTION.as_bytes());
    body.push(0);
    body.extend_from_slice(&url_bytes(url));
    body
}

/// A chapter image ready to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    pub(crate) mime: &'static str,
    pub(crate) data: Vec<u8>,
}

/// An `APIC` body: no description, picture type 0 ("other").
fn apic_body(image: &Image) -> Vec<u8> {
    let mut body = Vec::with_capacity(image.data.len() + 16);
    body.push(0);
    body.extend_from_slice(image.mime.as_bytes());
    body.push(0);
    body.push(0); // picture type: other
    body.push(0); // empty description
    body.extend_from_slice(&image.data);
    body
}

/// Removes NUL characters, which would end a string early for every reader.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') { s.replace('\0', "").into() } else { s.into() }
}

/// Milliseconds of a time for `CHAP`, or an error past u32 (about 49.7 days).
fn millis(t: Timestamp, what: &str, c: &Chapter) -> Result<u32, String> {
    u32::try_from(t.as_millis())
        .map_err(|_| format!("chapter \"{}\" {what} {t} is past the ID3 limit of 2^32 ms (49.7 days)", c.title))
}

/// The `CHAP` frames (in time order) and the top-level `CTOC` for `chapters`, which must have a
/// duration (the last chapter ends there). `images[i]` is chapter i's image, if any.
///
/// Also returns warnings: in v2.4, a chapter sub-frame body of 128 bytes or more has a synchsafe
/// size that differs from a plain one, and FFmpeg (ffprobe, and players built on it) reads
/// `CHAP` sub-frame sizes as plain integers, so it drops that chapter.
pub(crate) fn chapter_frames(
    chapters: &Chapters,
    images: &[Option<Image>],
    major: Major,
) -> Result<(Vec<u8>, Vec<String>), String> {
    let Some(duration) = chapters.duration() else {
        return Err("the audio duration is unknown, so the last chapter has no end".into());
    };
    let visible = chapters.iter().filter(|c| !c.hidden).count();
    if visible == 0 {
        return Err("every chapter is hidden; a table of contents needs at least one".into());
    }
    if visible > MAX_TOC_ENTRIES {
        return Err(format!(
            "{visible} chapters are listed in the table of contents, more than the {MAX_TOC_ENTRIES} one ID3 CTOC \
             frame can hold; podmark does not nest tables of contents (players do not show them); mark some \
             chapters hidden or merge them"
        ));
    }
    let mut chaps = Vec::new();
    let mut warnings = Vec::new();
    let mut children = Vec::with_capacity(visible);
    let mut prev_start: Option<(u32, &Chapter)> = None;
    for (i, (c, end)) in chapters.spans().enumerate() {
        let start = millis(c.start, "start", c)?;
        let end = millis(end.unwrap_or(duration), "end", c)?;
        if let Some((p, pc)) = prev_start
            && start <= p
        {
            return Err(format!(
                "chapters \"{}\" ({}) and \"{}\" ({}) start in the same millisecond",
                pc.title, pc.start, c.title, c.start
            ));
        }
        if end <= start {
            return Err(format!("chapter \"{}\" at {} is shorter than a millisecond", c.title, c.start));
        }
        prev_start = Some((start, c));
        let id = format!("chp{i}");
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(id.as_bytes());
        body.push(0);
        body.extend_from_slice(&start.to_be_bytes());
        body.extend_from_slice(&end.to_be_bytes());
        body.extend_from_slice(&NO_OFFSET);
        body.extend_from_slice(&NO_OFFSET);
        let mut subs: Vec<(&[u8; 4], Vec<u8>)> = vec![(b"TIT2", text_body(&clean(&c.title), major))];
        if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
            subs.push((b"TIT3", text_body(&clean(d), major)));
        }
        if let Some(u) = c.url.as_deref().filter(|u| !u.is_empty()) {
            subs.push((b"WXXX", wxxx_body(u)));
        }
        if let Some(Some(img)) = images.get(i) {
            subs.push((b"APIC", apic_body(img)));
        }
        for (id, sub) in &subs {
            if major == 4 && sub.len() >= 0x80 {
                warnings.push(format!(
                    "chapter {} \"{}\": its {} sub-frame is {} bytes; FFmpeg-based readers (ffprobe) read ID3v2.4 \
                     chapter sub-frame sizes as plain integers and will drop this chapter; ID3v2.3 (the default) \
                     avoids this",
                    i + 1,
                    c.title,
                    String::from_utf8_lossy(*id),
                    sub.len()
                ));
            }
            body.extend_from_slice(&frame(id, [0, 0], sub, major)?);
        }
        chaps.extend_from_slice(&frame(b"CHAP", [0, 0], &body, major)?);
        if !c.hidden {
            children.push(id);
        }
    }
    let mut toc = Vec::with_capacity(8 + children.len() * 6);
    toc.extend_from_slice(TOC_ID.as_bytes());
    toc.push(0);
    toc.push(0x03); // top-level | ordered
    toc.push(u8::try_from(children.len()).map_err(|_| "too many chapters for one CTOC".to_owned())?);
    for id in &children {
        toc.extend_from_slice(id.as_bytes());
        toc.push(0);
    }
    toc.extend_from_slice(&frame(b"TIT2", [0, 0], &text_body(TOC_TITLE, major), major)?);
    let mut out = frame(b"CTOC", [0, 0], &toc, major)?;
    out.extend_from_slice(&chaps);
    Ok((out, warnings))
}

/// A preserved frame, re-encoded for the tag version `to` (read in version `from`).
///
/// In the same version the frame is copied byte for byte (only a v2.4 size written as a plain
/// integer is corrected to synchsafe). Between versions the header is translated (size encoding
/// and flag layout); v2.4 unsynchronisation and data length indicators are undone; UTF-16BE and
/// UTF-8 text, which v2.3 lacks, is re-encoded as UTF-16 with BOM in the frames whose layout is
/// known. A compressed, encrypted or grouped frame cannot be translated: that is an error.
pub(crate) fn preserved(frame_in: &Frame, from: Major, to: Major, tag_unsync: bool) -> Result<Vec<u8>, String> {
    let id = &frame_in.id;
    if from == to && !(from == 4 && tag_unsync && frame_in.flags[1] & v24::UNSYNC == 0) {
        return frame(id, frame_in.flags, &frame_in.body, to);
    }
    let fmt = frame_in.flags[1];
    let name = frame_in.name();
    let cannot = || {
        format!(
            "frame {name} is compressed, encrypted or grouped, so podmark cannot convert it between ID3 versions; \
             keep the file's version (do not pass --id3)"
        )
    };
    let (status, body) = if from == 4 {
        if fmt & (v24::COMPRESSION | v24::ENCRYPTION | v24::GROUPING) != 0 {
            return Err(cannot());
        }
        let body = read::decoded_body(frame_in, 4, tag_unsync).map_err(|e| e.message)?;
        (frame_in.flags[0] << 1 & 0xE0, body)
    } else {
        if fmt & (v23::COMPRESSION | v23::ENCRYPTION | v23::GROUPING) != 0 {
            return Err(cannot());
        }
        (frame_in.flags[0] >> 1 & 0x70, frame_in.body.clone())
    };
    if from == to {
        // v2.4 with the tag-wide unsynchronisation flag: store the frame plain.
        return frame(id, [frame_in.flags[0], 0], &body, to);
    }
    let body = if to == 3 { to_v23_text(id, body).map_err(|e| format!("frame {name}: {e}"))? } else { body };
    frame(id, [status, 0], &body, to)
}

/// Re-encodes the strings of a frame body that uses encoding 2 (UTF-16BE) or 3 (UTF-8), which
/// v2.3 does not have, as UTF-16 with BOM. Multiple v2.4 text values are joined with `/`.
fn to_v23_text(id: &[u8; 4], body: Vec<u8>) -> Result<Vec<u8>, String> {
    let Some(&enc) = body.first() else { return Ok(body) };
    if enc != 2 && enc != 3 {
        return Ok(body);
    }
    let rest = body.get(1..).unwrap_or_default();
    let utf16 = |s: &str| {
        let mut out = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    };
    // Reads `n` encoded strings from the front, returning them re-encoded (each terminated).
    let strings = |mut data: &[u8], n: usize| -> (Vec<u8>, Vec<u8>) {
        let mut out = Vec::new();
        for _ in 0..n {
            let (s, tail) = read::split_terminated(enc, data);
            out.extend_from_slice(&utf16(&read::decode_string(enc, s)));
            out.extend_from_slice(&[0, 0]);
            data = tail;
        }
        (out, data.to_vec())
    };
    let mut out = vec![1u8];
    match id {
        b"TXXX" => {
            let (desc, tail) = strings(rest, 1);
            out.extend_from_slice(&desc);
            out.extend_from_slice(&utf16(&read::decode_string(enc, trim_terminator(enc, &tail))));
        }
        [b'T', ..] => {
            let values: Vec<String> = split_all(enc, rest).iter().map(|v| read::decode_string(enc, v)).collect();
            out.extend_from_slice(&utf16(&values.join("/")));
        }
        b"COMM" | b"USLT" => {
            out.extend_from_slice(rest.get(..3).ok_or("cut short")?);
            let (desc, tail) = strings(rest.get(3..).unwrap_or_default(), 1);
            out.extend_from_slice(&desc);
            out.extend_from_slice(&utf16(&read::decode_string(enc, trim_terminator(enc, &tail))));
        }
        b"USER" => {
            out.extend_from_slice(rest.get(..3).ok_or("cut short")?);
            out.extend_from_slice(&utf16(&read::decode_string(
                enc,
                trim_terminator(enc, rest.get(3..).unwrap_or_default()),
            )));
        }
        b"WXXX" => {
            let (desc, tail) = strings(rest, 1);
            out.extend_from_slice(&desc);
            out.extend_from_slice(&tail);
        }
        b"APIC" => {
            let (mime, tail) = read::split_terminated(0, rest);
            out.extend_from_slice(mime);
            out.push(0);
            let (&kind, tail) = tail.split_first().ok_or("cut short")?;
            out.push(kind);
            let (desc, data) = strings(tail, 1);
            out.extend_from_slice(&desc);
            out.extend_from_slice(&data);
        }
        b"GEOB" => {
            let (mime, tail) = read::split_terminated(0, rest);
            out.extend_from_slice(mime);
            out.push(0);
            let (names, data) = strings(tail, 2);
            out.extend_from_slice(&names);
            out.extend_from_slice(&data);
        }
        _ => {
            return Err(format!(
                "it uses text encoding {enc}, which ID3v2.3 lacks, in a layout podmark does not convert; keep the \
                 file's version (do not pass --id3)"
            ));
        }
    }
    Ok(out)
}

fn trim_terminator(enc: u8, data: &[u8]) -> &[u8] {
    read::split_terminated(enc, data).0
}

fn split_all(enc: u8, mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (s, tail) = read::split_terminated(enc, data);
        out.push(s);
        data = tail;
    }
    if out.len() > 1 && out.last().is_some_and(|s| s.is_empty()) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchsafe_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 16_383, 16_384, MAX_SYNCHSAFE] {
            let b = to_synchsafe(n).unwrap();
            assert!(b.iter().all(|x| x & 0x80 == 0));
            assert_eq!(usize::try_from(crate::audio::id3::synchsafe(b).unwrap()).unwrap(), n);
        }
        assert_eq!(to_synchsafe(MAX_SYNCHSAFE + 1), None);
    }

    #[test]
    fn text_encodings_follow_the_version() {
        assert_eq!(encode_text("Café", 3), (0, b"Caf\xe9".to_vec()));
        assert_eq!(encode_text("€", 3), (1, vec![0xFF, 0xFE, 0xAC, 0x20]));
        assert_eq!(encode_text("😀", 3).1.len(), 6, "surrogate pair");
        assert_eq!(encode_text("Café", 4), (3, "Café".as_bytes().to_vec()));
    }

    #[test]
    fn urls_are_percent_encoded() {
        assert_eq!(url_bytes("https://e.com/ä b"), b"https://e.com/%C3%A4%20b".to_vec());
    }

    #[test]
    fn v24_text_becomes_utf16_in_v23() {
        let f = Frame { id: *b"TPE1", flags: [0, 0], body: b"\x03A\0B\xc3\xbc".to_vec(), offset: 0 };
        let out = preserved(&f, 4, 3, false).unwrap();
        assert_eq!(&out[..4], b"TPE1");
        let body = &out[10..];
        assert_eq!(body[0], 1);
        assert_eq!(read::decode_string(1, &body[1..]), "A/Bü");
        let comm = Frame { id: *b"COMM", flags: [0, 0], body: b"\x03engd\0text".to_vec(), offset: 0 };
        let out = preserved(&comm, 4, 3, false).unwrap();
        assert_eq!(&out[10..14], b"\x01eng");
        let odd = Frame { id: *b"SYLT", flags: [0, 0], body: b"\x03engxx".to_vec(), offset: 0 };
        assert!(preserved(&odd, 4, 3, false).is_err());
        let compressed = Frame { id: *b"TIT2", flags: [0, v23::COMPRESSION], body: vec![0; 8], offset: 0 };
        assert!(preserved(&compressed, 3, 4, false).unwrap_err().contains("compressed"));
        assert_eq!(preserved(&compressed, 3, 3, false).unwrap()[10..], [0; 8], "same version: as is");
    }

    #[test]
    fn status_flags_are_translated() {
        let f = Frame { id: *b"TIT2", flags: [0x40, 0], body: b"\0x".to_vec(), offset: 0 };
        assert_eq!(preserved(&f, 3, 4, false).unwrap()[8..10], [0x20, 0]);
        let f = Frame { id: *b"TIT2", flags: [0x20, 0], body: b"\0x".to_vec(), offset: 0 };
        assert_eq!(preserved(&f, 4, 3, false).unwrap()[8..10], [0x40, 0]);
    }
}
