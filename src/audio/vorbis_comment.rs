//! Vorbis comments (`vendor`, then `KEY=value` pairs), as Ogg Opus/Vorbis/FLAC and native FLAC
//! carry them: the chapters in `CHAPTERxxx=` / `CHAPTERxxxNAME=` / `CHAPTERxxxURL=` (the
//! convention of Auphonic, foobar2000 and the Xiph wiki). One parser for `ogg.rs` and `flac.rs`,
//! so `probe` and `chapters extract` read the same chapters from both.

use std::collections::BTreeMap;

use super::ProbeWarning;
use crate::audio::Bytes;
use crate::{Chapter, Timestamp};

/// Chapters from a Vorbis comment block (`vendor`, then `KEY=value` comments).
pub(crate) fn chapters(data: &[u8], offset: u64, warnings: &mut Vec<ProbeWarning>) -> Vec<Chapter> {
    #[derive(Default)]
    struct Parts {
        start: Option<Timestamp>,
        name: Option<String>,
        url: Option<String>,
    }
    let mut by_index: BTreeMap<u32, Parts> = BTreeMap::new();
    let Some(vendor) = data.le32(0).and_then(|n| usize::try_from(n).ok()) else { return Vec::new() };
    let mut p = 4usize.saturating_add(vendor);
    let Some(count) = data.le32(p) else { return Vec::new() };
    p += 4;
    for _ in 0..count {
        let Some(n) = data.le32(p).and_then(|n| usize::try_from(n).ok()) else { break };
        p += 4;
        let Some(raw) = data.get(p..p.saturating_add(n)) else { break };
        p += n;
        let text = String::from_utf8_lossy(raw);
        let Some((key, value)) = text.split_once('=') else { continue };
        let key = key.to_ascii_uppercase();
        let Some(rest) = key.strip_prefix("CHAPTER") else { continue };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (num, suffix) = rest.split_at(digits);
        let Ok(index) = num.parse::<u32>() else { continue };
        let parts = by_index.entry(index).or_default();
        match suffix {
            "" => match value.trim().parse::<Timestamp>() {
                Ok(t) => parts.start = Some(t),
                Err(e) => warnings.push(ProbeWarning::new(offset, format!("comment {text:?}: {e}"))),
            },
            "NAME" => parts.name = Some(value.trim().to_owned()),
            "URL" => parts.url = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    by_index
        .into_values()
        .filter_map(|p| {
            let mut c = Chapter::new(p.start?, p.name.unwrap_or_default());
            c.url = p.url.filter(|u| !u.is_empty());
            Some(c)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Vorbis comment block with vendor "vendor" and `comments`.
    pub(crate) fn block(comments: &[&str]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(b"vendor");
        b.extend_from_slice(&u32::try_from(comments.len()).unwrap().to_le_bytes());
        for c in comments {
            b.extend_from_slice(&u32::try_from(c.len()).unwrap().to_le_bytes());
            b.extend_from_slice(c.as_bytes());
        }
        b
    }

    #[test]
    fn comment_parsing_survives_garbage() {
        let mut w = Vec::new();
        assert!(chapters(&[], 0, &mut w).is_empty());
        assert!(chapters(&[0xff, 0xff, 0xff, 0xff, 1], 0, &mut w).is_empty());
        let c = block(&["CHAPTER1=nope", "CHAPTERX=1", "chapter2=00:00:01.5", "CHAPTER2NAME=B"]);
        let got = chapters(&c, 99, &mut w);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].title, "B");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].offset, 99);
        assert!(w[0].message.contains("CHAPTER1=nope"), "{}", w[0].message);
    }
}
