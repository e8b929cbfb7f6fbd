//! Title, date and cover from the ID3v2.3/2.4 tag at the start of an MP3 (see
//! [`crate::audio::metadata`]).

use std::io::Read;
use std::path::Path;

use super::read::{self, Tag, decode_string, decoded_body, split_terminated};
use crate::audio::metadata::{Metadata, Picture};
use crate::audio::tag::TagError;

/// Tags larger than this are not read for metadata.
const MAX_TAG: u64 = 64 * 1024 * 1024;

/// Reads the tag at the start of the file at `path`; no tag, or one that cannot be read, gives
/// empty metadata.
pub(crate) fn read_path(path: &Path) -> Result<Metadata, TagError> {
    let io = |source| TagError::Io { path: path.to_owned(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 10];
    if len < 10 {
        return Ok(Metadata::default());
    }
    file.read_exact(&mut head).map_err(io)?;
    let Ok(Some(header)) = read::header(&head, len) else { return Ok(Metadata::default()) };
    if header.region() > MAX_TAG {
        return Ok(Metadata::default());
    }
    let mut data = head.to_vec();
    let rest = header.region().saturating_sub(10);
    (&mut file).take(rest).read_to_end(&mut data).map_err(io)?;
    Ok(read::tag(header, &data).map(|t| from_tag(&t)).unwrap_or_default())
}

/// The first value of a text frame's body.
fn text(body: &[u8]) -> Option<String> {
    let (&enc, rest) = body.split_first()?;
    let (s, _) = split_terminated(enc, rest);
    Some(decode_string(enc, s).trim_start_matches('\u{feff}').trim().to_owned()).filter(|s| !s.is_empty())
}

/// Title, date and cover from a parsed tag.
pub(crate) fn from_tag(tag: &Tag) -> Metadata {
    let tag_unsync = tag.major == 4 && tag.flags & 0x80 != 0;
    let frame_text = |id: &[u8; 4]| {
        tag.frames.iter().filter(|f| &f.id == id).find_map(|f| text(&decoded_body(f, tag.major, tag_unsync).ok()?))
    };
    let date = frame_text(b"TDRC").or_else(|| frame_text(b"TDRL")).or_else(|| {
        // ID3v2.3: the year, the day and month as DDMM, and the time as HHMM in three frames.
        let year = frame_text(b"TYER").filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))?;
        let four = |s: Option<String>| s.filter(|s| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()));
        Some(match (four(frame_text(b"TDAT")), four(frame_text(b"TIME"))) {
            (Some(d), Some(t)) => format!("{year}-{}-{}T{}:{}", &d[2..], &d[..2], &t[..2], &t[2..]),
            (Some(d), None) => format!("{year}-{}-{}", &d[2..], &d[..2]),
            _ => year,
        })
    });
    let mut pictures: Vec<(u8, Picture)> = tag
        .frames
        .iter()
        .filter(|f| &f.id == b"APIC")
        .filter_map(|f| apic(&decoded_body(f, tag.major, tag_unsync).ok()?))
        .collect();
    // The front cover (type 3) first, then the others in file order.
    pictures.sort_by_key(|(kind, _)| *kind != 3);
    Metadata { title: frame_text(b"TIT2"), date, picture: pictures.into_iter().next().map(|(_, p)| p) }
}

/// Picture type and picture of an `APIC` body.
fn apic(body: &[u8]) -> Option<(u8, Picture)> {
    let (&enc, rest) = body.split_first()?;
    let (mime, rest) = split_terminated(0, rest);
    let (&kind, rest) = rest.split_first()?;
    let (_desc, data) = split_terminated(enc, rest);
    Some((kind, Picture { mime: decode_string(0, mime), data: data.to_vec() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::id3::build_tag;

    fn meta(major: u8, frames: &[(&[u8; 4], Vec<u8>)]) -> Metadata {
        let bytes = build_tag(major, frames, 16);
        let len = u64::try_from(bytes.len()).unwrap_or(0);
        let header = read::header(&bytes, len).ok().flatten().unwrap_or_else(|| panic!("no header"));
        from_tag(&read::tag(header, &bytes).unwrap_or_else(|e| panic!("{e:?}")))
    }

    fn latin1(s: &str) -> Vec<u8> {
        let mut b = vec![0];
        b.extend(s.bytes());
        b
    }

    #[test]
    fn reads_title_date_and_front_cover() {
        let mut utf16 = vec![1, 0xFF, 0xFE];
        for u in "Épisode 1".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let mut back = b"\x00image/png\x00\x04back\x00".to_vec();
        back.extend(b"BACK");
        let mut front = b"\x00image/jpeg\x00\x03\x00".to_vec();
        front.extend(b"FRONT");
        let m = meta(4, &[(b"TIT2", utf16), (b"TDRC", latin1("2026-12-01T10:00")), (b"APIC", back), (b"APIC", front)]);
        assert_eq!(m.title.as_deref(), Some("Épisode 1"));
        assert_eq!(m.date.as_deref(), Some("2026-12-01T10:00"));
        let p = m.picture.unwrap_or_else(|| panic!("no picture"));
        assert_eq!((p.mime.as_str(), p.data.as_slice()), ("image/jpeg", b"FRONT".as_slice()));
    }

    #[test]
    fn joins_the_v23_year_day_and_time_frames() {
        let m = meta(3, &[(b"TYER", latin1("2016")), (b"TDAT", latin1("1409")), (b"TIME", latin1("0930"))]);
        assert_eq!(m.date.as_deref(), Some("2016-09-14T09:30"));
        let m = meta(3, &[(b"TYER", latin1("2016")), (b"TDAT", latin1("1409"))]);
        assert_eq!(m.date.as_deref(), Some("2016-09-14"));
        let m = meta(3, &[(b"TYER", latin1("2016")), (b"TDAT", latin1("14-9"))]);
        assert_eq!(m.date.as_deref(), Some("2016"));
        let m = meta(3, &[(b"TYER", latin1("16"))]);
        assert_eq!(m.date, None);
    }

    #[test]
    fn blank_or_missing_frames_give_nothing() {
        let m = meta(3, &[(b"TIT2", latin1("  ")), (b"TALB", latin1("Album"))]);
        assert_eq!(m, Metadata::default());
        // Cut-short bodies never panic.
        let m = meta(3, &[(b"TIT2", vec![]), (b"APIC", vec![0, b'x'])]);
        assert_eq!(m, Metadata::default());
    }
}
