//! Content-addressed object names and the URL rewriting that points the feeds at them.
//!
//! Audio, chapters, transcripts and images are published under a name that carries a short hash of
//! their content (`audio/020.mp3` → `audio/020-3fa8c1d2.mp3`), so an object a feed points at is never
//! replaced by other bytes. The feeds (and other text files) are rewritten to those names: every
//! absolute URL `BASE` + `REL` of a renamed file becomes `BASE` + its new name, where `BASE` is where
//! the feed says it lives (its `<atom:link rel="self">` minus its own path). `<guid>`s are never
//! rewritten: podcast apps identify an episode by its GUID, not by its enclosure URL.

use std::collections::{BTreeMap, BTreeSet};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped when a relative path is written in a URL (as a browser does for a path).
const PATH: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`');

/// Where the content hash goes in a relative path: before the first `.` of the file name (so
/// `chapters/020.psc.xml` → `chapters/020-HASH.psc.xml` keeps its compound extension), or at the end.
fn split_for_hash(rel: &str) -> (&str, &str) {
    let name_start = rel.rfind('/').map_or(0, |i| i + 1);
    match rel.get(name_start + 1..).and_then(|name| name.find('.')) {
        Some(dot) => rel.split_at(name_start + 1 + dot),
        None => (rel, ""),
    }
}

/// The path of `rel` with `hash` in its name.
///
/// ```
/// use podmark::publish::content_rel;
/// assert_eq!(content_rel("audio/020.mp3", "3fa8c1d2"), "audio/020-3fa8c1d2.mp3");
/// assert_eq!(content_rel("chapters/020.psc.xml", "3fa8c1d2"), "chapters/020-3fa8c1d2.psc.xml");
/// assert_eq!(content_rel("LICENSE", "3fa8c1d2"), "LICENSE-3fa8c1d2");
/// ```
pub fn content_rel(rel: &str, hash: &str) -> String {
    let (head, tail) = split_for_hash(rel);
    format!("{head}-{hash}{tail}")
}

/// True when `key_rel` is `rel` with a content hash (8 or 32 hex digits) in its name: an earlier or
/// current version of the same file.
pub(super) fn is_version_of(key_rel: &str, rel: &str) -> bool {
    let (head, tail) = split_for_hash(rel);
    key_rel
        .strip_prefix(head)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_suffix(tail))
        .is_some_and(|h| matches!(h.len(), 8 | 32) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The attribute `name` of one tag's text (`<atom:link href="…" rel="self"/>`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before_ok = rest.get(..i).and_then(|b| b.chars().last()).is_some_and(char::is_whitespace);
        let after = rest.get(i + name.len()..)?.trim_start();
        rest = rest.get(i + name.len()..)?;
        let Some(value) = after.strip_prefix('=') else { continue };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if !before_ok || !matches!(quote, '"' | '\'') {
            continue;
        }
        let value = value.get(1..)?;
        return value.find(quote).and_then(|end| value.get(..end));
    }
    None
}

/// The base URL a feed at `feed_rel` is served from, from its `<atom:link rel="self" href="…">`: the
/// `href` minus `feed_rel`. `None` when there is no such link or it points elsewhere.
///
/// ```
/// use podmark::publish::feed_base;
/// let feed = r#"<rss><channel><atom:link href="https://cdn.example/show/feed-2.xml" rel="self"/>"#;
/// assert_eq!(feed_base(feed, "feed-2.xml").as_deref(), Some("https://cdn.example/show/"));
/// assert_eq!(feed_base(feed, "feed.xml"), None);
/// ```
pub fn feed_base(text: &str, feed_rel: &str) -> Option<String> {
    let encoded = utf8_percent_encode(feed_rel, PATH).to_string();
    text.match_indices('<').find_map(|(i, _)| {
        let tag = text.get(i..)?;
        let tag = tag.get(..tag.find('>')?)?;
        let name = tag.get(1..)?.split(|c: char| c.is_whitespace() || c == '/').next()?;
        if !(name == "link" || name.ends_with(":link")) || attribute(tag, "rel") != Some("self") {
            return None;
        }
        let href = attribute(tag, "href")?;
        let base = href.strip_suffix(feed_rel).or_else(|| href.strip_suffix(encoded.as_str()))?;
        (base.ends_with('/') && (base.starts_with("http://") || base.starts_with("https://"))).then(|| base.to_owned())
    })
}

/// Whether an `http(s)://` URL's host is this machine, a private network or a link-local address:
/// loopback, `localhost` and `*.localhost`, `*.local`, RFC 1918 and unique-local IPv6, link-local,
/// unspecified (`0.0.0.0`, `::`), and IPv4-mapped IPv6 forms of these.
pub(crate) fn is_local_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") {
        return true;
    }
    let v4_local =
        |ip: std::net::Ipv4Addr| ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified();
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => v4_local(ip),
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments().first().copied().unwrap_or(0);
            ip.is_loopback()
                || ip.is_unspecified()
                || first & 0xfe00 == 0xfc00
                || first & 0xffc0 == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(v4_local)
        }
        Err(_) => false,
    }
}

/// The byte ranges of `<guid …>…</guid>` elements, which are never rewritten.
fn guid_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text.get(from..).and_then(|t| t.find("<guid")).map(|i| i + from) {
        let end = text.get(start..).and_then(|t| t.find("</guid>")).map_or(text.len(), |i| start + i + 7);
        out.push((start, end));
        from = end;
    }
    out
}

/// The ways a relative path may be spelled in a URL inside XML or HTML: as is, percent-encoded, and
/// with `&` escaped.
fn spellings(rel: &str) -> BTreeSet<String> {
    let encoded = utf8_percent_encode(rel, PATH).to_string();
    [rel.to_owned(), rel.replace('&', "&amp;"), encoded.clone(), encoded.replace('&', "&amp;")].into_iter().collect()
}

/// Rewrites every URL `BASE` + `OLD` in `text` (outside `<guid>`s) to `BASE` + `NEW`, for each
/// `OLD` → `NEW` in `renames` (relative paths) and each base in `bases`. A URL matches only as a
/// whole path: it must end at a quote, `<`, whitespace, `?`, `#` or the end of the text. Returns
/// `None` when nothing changed.
///
/// ```
/// use std::collections::BTreeMap;
/// use podmark::publish::rewrite_urls;
/// let renames = BTreeMap::from([("audio/1.mp3".to_owned(), "audio/1-3fa8c1d2.mp3".to_owned())]);
/// let bases = ["https://cdn.example/".to_owned()];
/// let feed = r#"<guid>https://cdn.example/audio/1.mp3</guid><enclosure url="https://cdn.example/audio/1.mp3"/>
/// <a href="https://cdn.example/audio/1.mp3.html">"#;
/// assert_eq!(
///     rewrite_urls(feed, &bases, &renames).unwrap(),
///     r#"<guid>https://cdn.example/audio/1.mp3</guid><enclosure url="https://cdn.example/audio/1-3fa8c1d2.mp3"/>
/// <a href="https://cdn.example/audio/1.mp3.html">"#
/// );
/// ```
pub fn rewrite_urls(text: &str, bases: &[String], renames: &BTreeMap<String, String>) -> Option<String> {
    if renames.is_empty() || !bases.iter().any(|b| text.contains(b.as_str())) {
        return None;
    }
    // Every spelling of an old path, with the new path spelled the same way.
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    for (old, new) in renames {
        let (old_head, _) = split_for_hash(old);
        let Some(inserted) = new.strip_prefix(old_head).and_then(|r| r.strip_suffix(split_for_hash(old).1)) else {
            continue;
        };
        for spelled in spellings(old) {
            let (head, tail) = split_for_hash(&spelled);
            paths.insert(spelled.clone(), format!("{head}{inserted}{tail}"));
        }
    }
    let guids = guid_ranges(text);
    let mut hits: Vec<(usize, usize, &str)> = Vec::new(); // start of the path, its end, the new path
    for base in bases {
        for (i, _) in text.match_indices(base.as_str()) {
            // The ranges are sorted and disjoint: the one that may hold `i` starts last at or before it.
            let before = guids.partition_point(|&(s, _)| s <= i);
            if before > 0 && guids.get(before - 1).is_some_and(|&(_, e)| i < e) {
                continue;
            }
            let start = i + base.len();
            let Some(rest) = text.get(start..) else { continue };
            let end = rest.find(['"', '\'', '<', '>', '?', '#', ' ', '\t', '\r', '\n']).unwrap_or(rest.len());
            if let Some(new) = rest.get(..end).and_then(|path| paths.get(path)) {
                hits.push((start, start + end, new));
            }
        }
    }
    if hits.is_empty() {
        return None;
    }
    hits.sort_unstable();
    hits.dedup_by_key(|h| h.0);
    let mut out = String::with_capacity(text.len() + hits.len() * 12);
    let mut at = 0;
    for (start, end, new) in hits {
        if start < at {
            continue;
        }
        out.push_str(text.get(at..start)?);
        out.push_str(new);
        at = end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// The paths below any of `bases` that `text` has URLs for (percent-decoded, `&amp;` unescaped),
/// `<guid>`s included: what a feed in the bucket points at.
pub(super) fn referenced_paths(text: &str, bases: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for base in bases {
        for (i, _) in text.match_indices(base.as_str()) {
            let Some(rest) = text.get(i + base.len()..) else { continue };
            let end = rest.find(['"', '\'', '<', '>', '?', '#', ' ', '\t', '\r', '\n']).unwrap_or(rest.len());
            let Some(path) = rest.get(..end).filter(|p| !p.is_empty()) else { continue };
            let path = path.replace("&amp;", "&");
            out.insert(percent_encoding::percent_decode_str(&path).decode_utf8_lossy().into_owned());
        }
    }
    out
}

/// The `<item>`s of a feed, as text.
fn items(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text.get(from..).and_then(|t| t.find("<item")).map(|i| i + from) {
        let after = text.get(start + 5..).and_then(|t| t.chars().next());
        if !matches!(after, Some('>' | ' ' | '\t' | '\r' | '\n')) {
            from = start + 5;
            continue;
        }
        let end = text.get(start..).and_then(|t| t.find("</item>")).map_or(text.len(), |i| start + i + 7);
        if let Some(item) = text.get(start..end) {
            out.push(item);
        }
        from = end;
    }
    out
}

/// The enclosure URL of an item (as written).
fn enclosure_url(item: &str) -> Option<&str> {
    let i = item.find("<enclosure")?;
    let tag = item.get(i..)?;
    attribute(tag.get(..tag.find('>')?)?, "url")
}

/// The first item of `old` without a `<guid>` whose enclosure URL differs in `new`: its enclosure URL.
/// Podcast apps identify such an item by its enclosure URL, so a new URL would make it a new episode.
pub(super) fn guidless_item_moved(old: &str, new: &str) -> Option<String> {
    items(old).into_iter().zip(items(new)).find_map(|(a, b)| {
        let url = enclosure_url(a)?;
        (!a.contains("<guid") && Some(url) != enclosure_url(b)).then(|| url.to_owned())
    })
}

/// True when `text` has a URL ending in `/REL` for one of `rels` (to tell whether a feed without a
/// self link points at files publish renames).
pub(super) fn mentions_any<'a>(text: &str, rels: impl IntoIterator<Item = &'a String>) -> bool {
    rels.into_iter().any(|rel| {
        spellings(rel).iter().any(|spelled| {
            let needle = format!("/{spelled}");
            text.match_indices(needle.as_str()).any(|(i, _)| {
                let end = i + needle.len();
                text.get(end..).and_then(|t| t.chars().next()).is_none_or(|c| "\"'<>?# \t\r\n".contains(c))
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_names_keep_compound_extensions() {
        assert_eq!(content_rel("a/b/ep.chapters.json", "0123abcd"), "a/b/ep-0123abcd.chapters.json");
        assert_eq!(content_rel(".x/y", "0123abcd"), ".x/y-0123abcd");
        assert!(is_version_of("audio/020-0123abcd.mp3", "audio/020.mp3"));
        assert!(is_version_of(&format!("audio/020-{}.mp3", "a".repeat(32)), "audio/020.mp3"));
        assert!(!is_version_of("audio/020-0123abcd.mp3", "audio/02.mp3"));
        assert!(!is_version_of("audio/020-extra.mp3", "audio/020.mp3"));
        assert!(!is_version_of("audio/020.mp3", "audio/020.mp3"));
    }

    #[test]
    fn bases_come_from_the_self_link_only() {
        let feed = "<rss><channel><link>https://site.example/</link>\
                    <atom:link rel='self' type='application/rss+xml' href='https://c.example/p/feed.xml'/>";
        assert_eq!(feed_base(feed, "feed.xml").as_deref(), Some("https://c.example/p/"));
        let elsewhere = r#"<atom:link href="https://feeds.example/x" rel="self"/>"#;
        assert_eq!(feed_base(elsewhere, "feed.xml"), None);
        let other_rel = r#"<atom:link href="https://c.example/feed.xml" rel="next"/>"#;
        assert_eq!(feed_base(other_rel, "feed.xml"), None);
        assert_eq!(feed_base("<rss/>", "feed.xml"), None);
    }

    #[test]
    fn local_urls_are_loopback_private_link_local_and_local_names() {
        for url in [
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/show/",
            "http://[::1]:8080/",
            "http://localhost/",
            "https://LOCALHOST.:8443/x/",
            "http://app.localhost/",
            "http://10.0.0.5/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.10:8080/",
            "http://169.254.1.1/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0:8080/",
            "http://studio.local/",
            "http://user:pw@127.0.0.1/",
        ] {
            assert!(is_local_url(url), "{url}");
        }
        for url in [
            "https://cdn.example.com/show/",
            "http://172.32.0.1/",
            "http://8.8.8.8/",
            "http://[2001:db8::1]/",
            "https://local.example.com/",
            "https://localhost.example.com/",
        ] {
            assert!(!is_local_url(url), "{url}");
        }
    }

    #[test]
    fn rewriting_matches_whole_urls_in_every_spelling() {
        let renames = BTreeMap::from([
            ("audio/my ep.mp3".to_owned(), "audio/my ep-0123abcd.mp3".to_owned()),
            ("cover.png".to_owned(), "cover-89abcdef.png".to_owned()),
        ]);
        let bases = vec!["http://h/b/".to_owned()];
        let text = "<enclosure url=\"http://h/b/audio/my%20ep.mp3\"/><image><url>http://h/b/cover.png</url>\
                    </image><a href='http://h/b/cover.png?x=1'>http://h/b/cover.pngx http://other/cover.png";
        assert_eq!(
            rewrite_urls(text, &bases, &renames).unwrap(),
            "<enclosure url=\"http://h/b/audio/my%20ep-0123abcd.mp3\"/><image><url>http://h/b/cover-89abcdef.png\
             </url></image><a href='http://h/b/cover-89abcdef.png?x=1'>http://h/b/cover.pngx http://other/cover.png"
        );
        assert_eq!(rewrite_urls("nothing here", &bases, &renames), None);
        assert!(mentions_any("<x url=\"http://other/cover.png\"/>", renames.keys()));
        assert!(!mentions_any("<x url=\"http://other/cover.pngx\"/>", renames.keys()));
    }

    #[test]
    fn references_are_read_back_decoded() {
        let bases = vec!["http://h/b/".to_owned()];
        let feed = "<enclosure url=\"http://h/b/audio/my%20ep-0123abcd.mp3\"/><url>http://h/b/c&amp;d.png</url>\
                    <a href='http://h/other'/><x href=\"http://h/b/\"/>";
        let refs: Vec<String> = referenced_paths(feed, &bases).into_iter().collect();
        assert_eq!(refs, ["audio/my ep-0123abcd.mp3", "c&d.png"]);
    }

    #[test]
    fn items_without_guid_are_caught_when_their_enclosure_moves() {
        let old = "<item><title>a</title><enclosure url=\"http://h/a.mp3\"/></item>\
                   <item><guid>g</guid><enclosure url=\"http://h/b.mp3\"/></item>";
        let new = old.replace("b.mp3", "b-0123abcd.mp3");
        assert_eq!(guidless_item_moved(old, &new), None);
        let new = old.replace("a.mp3", "a-0123abcd.mp3");
        assert_eq!(guidless_item_moved(old, &new).as_deref(), Some("http://h/a.mp3"));
        assert_eq!(items("<itemx/><item>1</item>"), ["<item>1</item>"]);
    }
}
