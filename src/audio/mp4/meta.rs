//! Title, date and cover from the iTunes metadata of an MP4 (`moov/udta/meta/ilst`: `©nam`,
//! `©day`, `covr`); see [`crate::audio::metadata`].

use std::io::{Read, Seek};

use super::boxes::{self, Node};
use crate::audio::metadata::{Metadata, Picture};

/// `data` type codes of the iTunes metadata: UTF-8, UTF-16, JPEG, PNG, BMP.
const UTF8: u32 = 1;
const UTF16: u32 = 2;
const JPEG: u32 = 13;
const PNG: u32 = 14;
const BMP: u32 = 27;

/// Reads the metadata of the file whose `moov` is loaded; none when there is no `ilst` or it
/// cannot be read.
pub(super) fn read<R: Read + Seek>(r: &mut R) -> Result<Metadata, super::Failure> {
    let s = super::load(r)?;
    Ok(from_moov(&s.moov))
}

/// Title, date and cover from `moov`.
pub(super) fn from_moov(moov: &Node) -> Metadata {
    let Some(meta) = moov.path(&[b"udta", b"meta"]) else { return Metadata::default() };
    let body = meta.data();
    let base = meta.body_offset();
    // `meta` is a full box (4 bytes of version and flags) in MP4, a plain one in QuickTime.
    let skip = if body.get(4..8) == Some(b"hdlr".as_slice()) { 0 } else { 4 };
    let Ok(children) = boxes::walk(body.get(skip..).unwrap_or_default(), base + skip as u64) else {
        return Metadata::default();
    };
    let Some((ilst_at, ilst)) = children.into_iter().find(|(h, _)| &h.kind == b"ilst") else {
        return Metadata::default();
    };
    let Ok(items) = boxes::walk(ilst, ilst_at.body_start()) else { return Metadata::default() };
    let mut out = Metadata::default();
    for (item, item_body) in items {
        let Ok(datas) = boxes::walk(item_body, item.body_start()) else { continue };
        for (h, data) in datas {
            if &h.kind != b"data" || data.len() < 8 {
                continue;
            }
            let kind = u32::from_be_bytes([0, data[1], data[2], data[3]]);
            let value = &data[8..];
            match (&item.kind, kind) {
                (b"\xa9nam", UTF8 | UTF16) if out.title.is_none() => out.title = Some(text(kind, value)),
                (b"\xa9day", UTF8 | UTF16) if out.date.is_none() => out.date = Some(text(kind, value)),
                (b"covr", JPEG | PNG | BMP | 0) if out.picture.is_none() => {
                    let mime = match kind {
                        JPEG => "image/jpeg",
                        PNG => "image/png",
                        BMP => "image/bmp",
                        _ => "",
                    };
                    out.picture = Some(Picture { mime: mime.to_owned(), data: value.to_vec() });
                }
                _ => {}
            }
        }
    }
    out
}

fn text(kind: u32, value: &[u8]) -> String {
    if kind == UTF16 {
        let units: Vec<u16> = value.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(kind: u8, value: &[u8]) -> Node {
        let mut b = vec![0, 0, 0, kind, 0, 0, 0, 0];
        b.extend_from_slice(value);
        Node::leaf(b"data", b)
    }

    fn moov(ilst: Vec<Node>, full_box: bool) -> Node {
        let mut meta = if full_box { vec![0u8; 4] } else { Vec::new() };
        Node::leaf(b"hdlr", vec![0u8; 25]).write_to(&mut meta);
        Node::container(b"ilst", ilst).write_to(&mut meta);
        let udta = Node::container(b"udta", vec![Node::leaf(b"meta", meta)]);
        let bytes = Node::container(b"moov", vec![udta]).to_bytes();
        Node::parse_root(&bytes, 0).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_name_day_and_cover_from_ilst() {
        for full_box in [true, false] {
            let m = from_moov(&moov(
                vec![
                    Node::container(b"\xa9ART", vec![data(1, b"Someone")]),
                    Node::container(b"\xa9nam", vec![data(1, "Épisode 7".as_bytes())]),
                    Node::container(b"\xa9day", vec![data(1, b"2016-09-14T09:00:00Z")]),
                    Node::container(b"covr", vec![data(14, b"PNGDATA"), data(13, b"JPEG")]),
                ],
                full_box,
            ));
            assert_eq!(m.title.as_deref(), Some("Épisode 7"));
            assert_eq!(m.date.as_deref(), Some("2016-09-14T09:00:00Z"));
            let p = m.picture.unwrap_or_else(|| panic!("no cover"));
            assert_eq!((p.mime.as_str(), p.data.as_slice()), ("image/png", b"PNGDATA".as_slice()));
        }
    }

    #[test]
    fn missing_or_damaged_ilst_gives_nothing() {
        assert_eq!(from_moov(&moov(vec![], true)), Metadata::default());
        // A `data` box too short for its type and locale, and a damaged item.
        let short = Node::container(b"\xa9nam", vec![Node::leaf(b"data", vec![0, 0, 0])]);
        let bad = Node::leaf(b"\xa9day", vec![0, 0, 0, 99, b'd', b'a', b't', b'a']);
        assert_eq!(from_moov(&moov(vec![short, bad], true)), Metadata::default());
        let bytes = Node::container(b"moov", vec![]).to_bytes();
        assert_eq!(from_moov(&Node::parse_root(&bytes, 0).unwrap_or_else(|e| panic!("{e}"))), Metadata::default());
    }
}
