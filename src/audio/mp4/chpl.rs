//! The Nero chapter list `moov/udta/chpl`, written as version 1 the way FFmpeg and mp4v2 write it:
//!
//! ```text
//! u8 version = 1, u24 flags = 0, u32 reserved = 0, u8 count,
//! count × { u64 start in 100 ns units, u8 title length, title (UTF-8, no NUL) }
//! ```
//!
//! mutagen and MediaInfo read only version 1 (mp4ameta's version 0 shows up as garbage there).
//! The count is one byte, so a `chpl` holds at most [`MAX_ENTRIES`] chapters, and a title at most
//! [`MAX_TITLE_BYTES`] bytes; longer titles are cut at a character boundary (the caller warns).
//! Reading accepts version 0 (no reserved word) as well.

use super::boxes::{BoxError, Node};

/// Most entries a `chpl` can hold (its count is one byte).
pub(crate) const MAX_ENTRIES: usize = 255;

/// Longest title in bytes (its length is one byte).
pub(crate) const MAX_TITLE_BYTES: usize = 255;

/// One chapter as `chpl` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Start in units of 100 ns.
    pub(crate) start: u64,
    /// The title (at most [`MAX_TITLE_BYTES`] bytes when written).
    pub(crate) title: String,
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn cut_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Builds a version-1 `chpl` box from at most [`MAX_ENTRIES`] entries (extra entries and title
/// bytes are dropped here; the caller has already cut them and warned).
pub(crate) fn build(entries: &[Entry]) -> Node {
    let entries = entries.get(..MAX_ENTRIES.min(entries.len())).unwrap_or(&[]);
    let mut b = Vec::with_capacity(9 + entries.iter().map(|e| 9 + e.title.len()).sum::<usize>());
    b.extend_from_slice(&[1, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.push(u8::try_from(entries.len()).unwrap_or(u8::MAX));
    for e in entries {
        let title = cut_utf8(&e.title, MAX_TITLE_BYTES);
        b.extend_from_slice(&e.start.to_be_bytes());
        b.push(u8::try_from(title.len()).unwrap_or(u8::MAX));
        b.extend_from_slice(title.as_bytes());
    }
    Node::leaf(b"chpl", b)
}

/// Parses a `chpl` box (version 0 or 1). Titles that are not UTF-8 are decoded lossily.
pub(crate) fn parse(node: &Node) -> Result<Vec<Entry>, BoxError> {
    let mut c = node.reader();
    let version = c.u8()?;
    c.skip(3)?;
    if version != 0 {
        c.skip(4)?;
    }
    let count = c.u8()?;
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let start = c.u64()?;
        let len = c.u8()?;
        let title = c.take(usize::from(len))?;
        out.push(Entry { start, title: String::from_utf8_lossy(title).into_owned() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_version_1_like_ffmpeg() {
        // Bytes FFmpeg 5.1 wrote for these chapters (`-map_chapters`), body only.
        let ffmpeg = "010000000000000003000000000000000005496e74726f0000000009736f0011c3897069736f646520e2809cc3bc\
                      e2809d0000000011e1a300055468726565";
        let entries = [
            Entry { start: 0, title: "Intro".into() },
            Entry { start: 158_560_000, title: "Épisode “ü”".into() },
            Entry { start: 300_000_000, title: "Three".into() },
        ];
        let node = build(&entries);
        let hex: String = node.data().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, ffmpeg);
        assert_eq!(parse(&node).unwrap(), entries);
    }

    #[test]
    fn reads_version_0() {
        let body = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 10, 2, b'h', b'i'];
        let node = Node::leaf(b"chpl", body.to_vec());
        assert_eq!(parse(&node).unwrap(), vec![Entry { start: 10, title: "hi".into() }]);
    }

    #[test]
    fn truncated_chpl_is_an_error_not_a_panic() {
        let node = Node::leaf(b"chpl", vec![1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0]);
        assert!(parse(&node).unwrap_err().message.contains("too short"));
    }

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(cut_utf8("abc", 255), "abc");
        assert_eq!(cut_utf8("aé", 2), "a");
        assert_eq!(cut_utf8("€€", 5), "€");
        assert_eq!(cut_utf8("€", 2), "");
        let long = "ü".repeat(150);
        let cut = cut_utf8(&long, MAX_TITLE_BYTES).to_owned();
        assert_eq!(cut.len(), 254);
        let node = build(&[Entry { start: 0, title: long }]);
        assert_eq!(parse(&node).unwrap()[0].title, cut);
    }

    #[test]
    fn never_writes_more_than_255_entries() {
        let many: Vec<Entry> = (0..300).map(|i| Entry { start: i, title: format!("{i}") }).collect();
        let parsed = parse(&build(&many)).unwrap();
        assert_eq!(parsed.len(), 255);
        assert_eq!(parsed[254].title, "254");
    }
}
