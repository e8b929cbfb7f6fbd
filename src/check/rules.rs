//! The feed rules: Apple Podcasts and Podcasting 2.0, checked on the element tree of one feed.
//!
//! [`check_tree`] reports every problem it finds and returns the facts the file and HTTP checks
//! need (URLs, lengths, durations, inline chapters), each with the byte offset it came from.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, FixedOffset};

use super::xml::Element;
use crate::Timestamp;
use crate::diagnostic::{Diagnostic, LineIndex, quote};
use crate::feed::ns;

/// The GitHub alias of the Podcasting 2.0 namespace, which clients must accept too.
pub const PODCAST_ALIAS: &str = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md";

/// Enclosure MIME types Apple accepts.
pub use crate::mime::APPLE_ENCLOSURE_TYPES;

/// Apple's limit for `description`, in bytes.
pub const DESCRIPTION_LIMIT: usize = 4000;

/// A value and the byte offset it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Byte offset in the feed.
    pub offset: usize,
}

/// An item's enclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnclosureFacts {
    /// Byte offset of `<enclosure`.
    pub offset: usize,
    /// `url`.
    pub url: Option<Located<String>>,
    /// `length`, when it is a number.
    pub length: Option<Located<u64>>,
    /// `type`.
    pub mime: Option<Located<String>>,
}

/// A `podcast:alternateEnclosure`: what the file checks need.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlternateFacts {
    /// Byte offset of `<podcast:alternateEnclosure`.
    pub offset: usize,
    /// The first `podcast:source uri`.
    pub source: Option<Located<String>>,
    /// `length`, when it is a number.
    pub length: Option<Located<u64>>,
    /// `podcast:integrity value` when its type is `sri`.
    pub sri: Option<Located<String>>,
}

/// What the file and HTTP checks need from one item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemFacts {
    /// Byte offset of `<item>`.
    pub offset: usize,
    /// `guid`.
    pub guid: Option<Located<String>>,
    /// `enclosure`.
    pub enclosure: Option<EnclosureFacts>,
    /// `itunes:duration` in whole seconds, when valid.
    pub duration_secs: Option<Located<u64>>,
    /// `podcast:chapters url`.
    pub chapters_url: Option<Located<String>>,
    /// Inline `psc:chapters`: start and title of each chapter, when they all parse.
    pub psc: Option<Located<Vec<(Timestamp, String)>>>,
    /// `podcast:transcript url`s.
    pub transcripts: Vec<Located<String>>,
    /// `itunes:image href`s.
    pub images: Vec<Located<String>>,
    /// `podcast:alternateEnclosure`s.
    pub alternates: Vec<AlternateFacts>,
}

/// What the file and HTTP checks need from the whole feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedFacts {
    /// `atom:link rel="self" href`.
    pub self_url: Option<Located<String>>,
    /// Channel `itunes:image href`.
    pub image: Option<Located<String>>,
    /// Items in feed order.
    pub items: Vec<ItemFacts>,
}

/// Collects diagnostics with positions.
pub(crate) struct Out<'a> {
    idx: LineIndex<'a>,
    /// The diagnostics so far.
    pub(crate) diags: Vec<Diagnostic>,
}

impl<'a> Out<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Out { idx: LineIndex::new(text), diags: Vec::new() }
    }

    pub(crate) fn error(&mut self, code: &'static str, offset: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, self.idx.position(offset), message));
    }

    pub(crate) fn warning(&mut self, code: &'static str, offset: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic::warning(code, self.idx.position(offset), message));
    }
}

const ITUNES: Option<&str> = Some(ns::ITUNES);
const ATOM: Option<&str> = Some(ns::ATOM);
const PSC: Option<&str> = Some(ns::PSC);

fn is_podcast_ns(e: &Element) -> bool {
    matches!(e.ns.as_deref(), Some(ns::PODCAST | PODCAST_ALIAS))
}

fn podcast_child<'a>(e: &'a Element, local: &str) -> Option<&'a Element> {
    e.children.iter().find(|c| c.local == local && is_podcast_ns(c))
}

fn podcast_children<'a>(e: &'a Element, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    e.children.iter().filter(move |c| c.local == local && is_podcast_ns(c))
}

/// Where a text value starts: its first character, or the element when it is empty.
fn text_at(e: &Element) -> usize {
    if e.text.trim().is_empty() { e.offset } else { e.text_offset }
}

/// Checks a feed tree; `text` is the document it was parsed from (for line:col).
pub(crate) fn check_tree(root: &Element, out: &mut Out<'_>) -> FeedFacts {
    let misspelled = check_namespaces(root, out);
    if misspelled.is_empty() {
        check_document(root, out)
    } else {
        // One cause, one problem: the misspelled namespace is reported once above; the rest of
        // the rules read the feed as if it were spelled right, so `<itunes:explicit>` under
        // `…/DTDs/Podcast-1.0.dtd` is not also reported as missing.
        let mut fixed = root.clone();
        respell(&mut fixed, &misspelled);
        check_document(&fixed, out)
    }
}

/// Renames the namespace of every element in a misspelled namespace to its exact spelling.
fn respell(root: &mut Element, misspelled: &[(String, &'static str)]) {
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        if let Some(right) = e.ns.as_deref().and_then(|ns| misspelled.iter().find(|(w, _)| w == ns)).map(|(_, r)| *r) {
            e.ns = Some(right.to_owned());
        }
        stack.extend(e.children.iter_mut());
    }
}

fn check_document(root: &Element, out: &mut Out<'_>) -> FeedFacts {
    let mut facts = FeedFacts::default();
    if root.name != "rss" {
        out.error(
            "not-rss",
            root.offset,
            format!("the root element is <{}>; a podcast feed is RSS 2.0 (<rss>)", root.name),
        );
        return facts;
    }
    match root.attr("version") {
        Some(v) if v.value == "2.0" => {}
        Some(v) => {
            out.error("rss-version", v.offset, format!("rss version is {}; it must be \"2.0\"", quote(&v.value)))
        }
        None => out.error("rss-version", root.offset, "<rss> has no version=\"2.0\""),
    }
    let channels: Vec<&Element> = root.children_named(None, "channel").collect();
    let Some(channel) = channels.first().copied() else {
        out.error("no-channel", root.offset, "<rss> has no <channel>");
        return facts;
    };
    for extra in channels.iter().skip(1) {
        out.error("channel-twice", extra.offset, "a second <channel>; a feed has exactly one");
    }
    check_channel(channel, out, &mut facts);
    let serial = channel.child(ITUNES, "type").is_some_and(|t| t.text.trim() == "serial");
    check_controls(root, out);
    check_lengths_and_flags(channel, out);
    check_podcast_https(root, out);
    let mut guids: HashMap<String, usize> = HashMap::new();
    let mut urls: HashMap<String, usize> = HashMap::new();
    // (season, episode) of each full episode → the item's offset.
    let mut numbers: HashMap<(u32, u32), usize> = HashMap::new();
    for item in channel.children_named(None, "item") {
        let f = check_item(item, serial, out);
        check_number(item, &mut numbers, out);
        if let Some(g) = &f.guid {
            if let Some(&first) = guids.get(&g.value) {
                let line = out.idx.position(first).line;
                out.error(
                    "duplicate-guid",
                    g.offset,
                    format!(
                        "guid {} is also used by the item on line {line}; every episode needs its own, forever",
                        quote(&g.value)
                    ),
                );
            } else {
                guids.insert(g.value.clone(), g.offset);
            }
        }
        if let Some(u) = f.enclosure.as_ref().and_then(|e| e.url.as_ref()) {
            if let Some(&first) = urls.get(&u.value) {
                let line = out.idx.position(first).line;
                out.error(
                    "duplicate-enclosure",
                    u.offset,
                    format!(
                        "enclosure url {} is also used on line {line}; Apple ignores duplicate enclosures",
                        quote(&u.value)
                    ),
                );
            } else {
                urls.insert(u.value.clone(), u.offset);
            }
        }
        facts.items.push(f);
    }
    facts
}

/// A full episode's season and episode numbers must not repeat those of an earlier item: apps
/// sort and list by them. Trailers and bonus episodes may share their episode's number.
fn check_number(item: &Element, numbers: &mut HashMap<(u32, u32), usize>, out: &mut Out<'_>) {
    let full = item.child(ITUNES, "episodeType").is_none_or(|t| t.text.trim() == "full");
    let number = |local: &str| item.child(ITUNES, local).and_then(|e| e.text.trim().parse::<u32>().ok());
    let (Some(episode), true) = (number("episode"), full) else { return };
    let season = number("season").unwrap_or(0);
    let at = item.child(ITUNES, "episode").map_or(item.offset, text_at);
    match numbers.get(&(season, episode)) {
        Some(&first) => {
            let line = out.idx.position(first).line;
            let which = if season == 0 {
                format!("itunes:episode {episode}")
            } else {
                format!("itunes:episode {episode} of itunes:season {season}")
            };
            let title = item.child(None, "title").map_or("", |t| t.text.trim());
            out.error(
                "duplicate-episode-number",
                at,
                format!(
                    "{which} (item {}) is also the number of the item on line {line}; every full episode needs its own number",
                    quote(title)
                ),
            );
        }
        None => {
            numbers.insert((season, episode), at);
        }
    }
}

/// Control characters other than tab and line breaks, in any text or attribute value (written
/// raw or as character references): podmark's own sources may not hold them (see
/// [`crate::validate::is_forbidden_control`]), so neither may a feed.
fn check_controls(root: &Element, out: &mut Out<'_>) {
    let bad = |s: &str| s.chars().find(|&c| crate::validate::is_forbidden_control(c));
    for e in root.descendants() {
        if let Some(c) = bad(&e.text) {
            out.error(
                "control-character",
                e.text_offset,
                format!("<{}> holds the control character U+{:04X}: {}", e.name, c as u32, quote(e.text.trim())),
            );
        }
        for a in &e.attrs {
            if let Some(c) = bad(&a.value) {
                out.error(
                    "control-character",
                    a.offset,
                    format!("{}= holds the control character U+{:04X}: {}", a.name, c as u32, quote(&a.value)),
                );
            }
        }
    }
}

/// Namespace declarations must be exact (Apple ignores every itunes tag otherwise) and every
/// prefix used must be declared. Returns the misspelled namespace URIs with their right spelling.
fn check_namespaces(root: &Element, out: &mut Out<'_>) -> Vec<(String, &'static str)> {
    let known = [ns::ITUNES, ns::PODCAST, ns::PSC, ns::CONTENT, ns::ATOM];
    let mut misspelled: Vec<(String, &'static str)> = Vec::new();
    let squash = |s: &str| s.trim().trim_end_matches('/').replace("https://", "http://").to_ascii_lowercase();
    let mut undeclared: Vec<String> = Vec::new();
    for e in root.descendants() {
        for a in e.attrs.iter().filter(|a| a.name.starts_with("xmlns")) {
            if known.contains(&a.value.as_str()) || a.value == PODCAST_ALIAS {
                continue;
            }
            if let Some(want) = known.iter().find(|k| squash(k) == squash(&a.value)) {
                let why = if *want == ns::ITUNES { " (Apple ignores every itunes tag otherwise)" } else { "" };
                if !misspelled.iter().any(|(w, _)| *w == a.value) {
                    misspelled.push((a.value.clone(), want));
                }
                out.error(
                    "namespace-uri",
                    a.offset,
                    format!("namespace {} is {}; it must be exactly \"{want}\"{why}", a.name, quote(&a.value)),
                );
            }
        }
        if let Some((prefix, _)) = e.name.split_once(':')
            && e.ns.is_none()
            && !undeclared.iter().any(|p| p == prefix)
        {
            undeclared.push(prefix.to_owned());
            out.error(
                "undeclared-prefix",
                e.offset,
                format!("<{}> uses the prefix \"{prefix}\", which no xmlns:{prefix} declares", e.name),
            );
        }
    }
    misspelled
}

fn required<'a>(
    parent: &'a Element,
    ns: Option<&str>,
    local: &str,
    shown: &str,
    out: &mut Out<'_>,
) -> Option<&'a Element> {
    let Some(e) = parent.child(ns, local) else {
        out.error("missing-tag", parent.offset, format!("<{}> has no <{shown}>, which Apple requires", parent.name));
        return None;
    };
    if e.attrs.is_empty() && e.children.is_empty() && e.text.trim().is_empty() {
        out.error("empty-tag", e.offset, format!("<{shown}> is empty"));
    }
    Some(e)
}

fn check_description(e: &Element, out: &mut Out<'_>) {
    let len = e.text.trim().len();
    if len > DESCRIPTION_LIMIT {
        let head: String = e.text.trim().chars().take(30).collect();
        out.error(
            "description-too-long",
            text_at(e),
            format!(
                "description {} is {len} bytes; Apple allows at most {DESCRIPTION_LIMIT}",
                quote(&format!("{head}…"))
            ),
        );
    }
}

fn check_explicit(e: &Element, out: &mut Out<'_>) {
    let v = e.text.trim();
    if matches!(v.to_ascii_lowercase().as_str(), "yes" | "no" | "clean" | "explicit") {
        // The values of Apple's older spec: Apple and the apps still read them.
        out.warning(
            "explicit",
            text_at(e),
            format!("itunes:explicit is {}, a value of Apple's older spec; write \"true\" or \"false\"", quote(v)),
        );
    } else if v != "true" && v != "false" {
        out.error(
            "explicit",
            text_at(e),
            format!("itunes:explicit is {}; Apple accepts only \"true\" or \"false\"", quote(v)),
        );
    }
}

/// Whether `s` has the shape of a language tag: ISO 639 code, optionally with subtags (`en-us`).
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn check_channel(c: &Element, out: &mut Out<'_>, facts: &mut FeedFacts) {
    super::podcast_ns::check_channel(c, out);
    required(c, None, "title", "title", out);
    if let Some(d) = required(c, None, "description", "description", out) {
        check_description(d, out);
    }
    if let Some(l) = required(c, None, "language", "language", out) {
        let v = l.text.trim();
        if !v.is_empty() && !is_language_tag(v) {
            out.error(
                "language",
                text_at(l),
                format!("language {} is not an ISO 639 language code such as \"en\" or \"en-us\"", quote(v)),
            );
        }
    }
    if let Some(img) = required(c, ITUNES, "image", "itunes:image", out) {
        match img.attr("href") {
            Some(h) if !h.value.trim().is_empty() => {
                facts.image = Some(Located { value: h.value.clone(), offset: h.offset })
            }
            _ => out.error("image-href", img.offset, "itunes:image has no href"),
        }
    }
    if c.child(ITUNES, "category").is_none() {
        out.error("missing-tag", c.offset, "<channel> has no <itunes:category>, which Apple requires");
    }
    for cat in c.children_named(ITUNES, "category") {
        check_category(cat, out);
    }
    if let Some(x) = required(c, ITUNES, "explicit", "itunes:explicit", out) {
        check_explicit(x, out);
    }
    if let Some(t) = c.child(ITUNES, "type") {
        let v = t.text.trim();
        if v != "episodic" && v != "serial" {
            out.error(
                "itunes-type",
                text_at(t),
                format!("itunes:type is {}; it must be \"episodic\" or \"serial\"", quote(v)),
            );
        }
    }
    let selfs: Vec<&Element> =
        c.children_named(ATOM, "link").filter(|l| l.attr("rel").is_some_and(|r| r.value == "self")).collect();
    match selfs.first() {
        None => out.error(
            "no-self-link",
            c.offset,
            "<channel> has no <atom:link rel=\"self\" href=\"…\"> naming the feed's own URL",
        ),
        Some(l) => match l.attr("href") {
            Some(h) if h.value.starts_with("http://") || h.value.starts_with("https://") => {
                facts.self_url = Some(Located { value: h.value.clone(), offset: h.offset });
            }
            Some(h) => out.error(
                "self-link",
                h.offset,
                format!("atom:link rel=\"self\" href {} is not an http(s) URL", quote(&h.value)),
            ),
            None => out.error("self-link", l.offset, "atom:link rel=\"self\" has no href"),
        },
    }
    if let Some(g) = podcast_child(c, "guid") {
        let v = g.text.trim();
        match uuid::Uuid::parse_str(v) {
            Err(_) => out.error("podcast-guid", text_at(g), format!("podcast:guid {} is not a UUID", quote(v))),
            Ok(u) => {
                if let Some(s) = &facts.self_url {
                    let want = crate::sources::guid_lock::podcast_guid(&s.value);
                    if u != want {
                        out.warning(
                            "podcast-guid-v5",
                            text_at(g),
                            format!("podcast:guid {} is not the UUIDv5 of the feed URL {} ({want}); fine if the feed moved, otherwise the Podcast Index expects it", quote(v), quote(&s.value)),
                        );
                    }
                }
            }
        }
    }
    if let Some(l) = podcast_child(c, "locked") {
        let v = l.text.trim();
        if v != "yes" && v != "no" {
            out.error("locked", text_at(l), format!("podcast:locked is {}; it must be \"yes\" or \"no\"", quote(v)));
        }
        if l.attr("owner").is_none() {
            out.warning(
                "locked-owner",
                l.offset,
                "podcast:locked has no owner=\"e-mail\"; partytime (and so many apps) ignore it without one",
            );
        }
    }
}

fn check_category(cat: &Element, out: &mut Out<'_>) {
    let Some(name) = cat.attr("text") else {
        out.error("category", cat.offset, "itunes:category has no text attribute");
        return;
    };
    let subs: Vec<&Element> = cat.children_named(ITUNES, "category").collect();
    if let Err(e) = crate::sources::show::Category::new(&name.value, None) {
        out.error("category", name.offset, format!("itunes:category: {e}"));
        return;
    }
    for sub in &subs {
        match sub.attr("text") {
            None => out.error("category", sub.offset, "itunes:category has no text attribute"),
            Some(s) => {
                if let Err(e) = crate::sources::show::Category::new(&name.value, Some(&s.value)) {
                    out.error("category", s.offset, format!("itunes:category: {e}"));
                }
                if let Some(deeper) = sub.child(ITUNES, "category") {
                    out.error(
                        "category",
                        deeper.offset,
                        "itunes:category nests only one level (category, subcategory)",
                    );
                }
            }
        }
    }
}

fn nonzero(e: &Element, shown: &str, out: &mut Out<'_>) {
    let v = e.text.trim();
    if !v.parse::<u32>().is_ok_and(|n| n > 0) {
        out.error("number", text_at(e), format!("{shown} is {}; it must be a non-zero whole number", quote(v)));
    }
}

/// Parses `itunes:duration`: whole seconds, `M:SS`/`MM:SS` or `H:MM:SS`.
pub fn parse_duration(s: &str) -> Option<u64> {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = s.split(':').collect();
    if !parts.iter().all(|p| digits(p)) {
        return None;
    }
    let n = |p: &str| p.parse::<u64>().ok();
    match parts.as_slice() {
        [secs] => n(secs),
        [m, s] if s.len() == 2 && n(s)? < 60 => n(m)?.checked_mul(60)?.checked_add(n(s)?),
        [h, m, s] if m.len() == 2 && s.len() == 2 && n(m)? < 60 && n(s)? < 60 => {
            n(h)?.checked_mul(3600)?.checked_add(n(m)? * 60 + n(s)?)
        }
        _ => None,
    }
}

/// A duration with a fraction of a second (`1014.708375`, `16:54.7`): the whole seconds, rounded
/// to the nearest, when the part before the `.` is a valid [`parse_duration`] and the fraction
/// is digits.
fn fractional_duration(s: &str) -> Option<u64> {
    let (whole, fraction) = s.split_once('.')?;
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = parse_duration(whole)?;
    Some(if fraction.as_bytes().first().is_some_and(|b| *b >= b'5') { secs.checked_add(1)? } else { secs })
}

/// Checks an RFC 2822 date as Apple wants it (`Wed, 15 Jun 2019 19:00:00 GMT`): it must parse,
/// carry the day of the week, and that day must be right. Returns the date or why not.
pub fn check_rfc2822(s: &str) -> Result<DateTime<FixedOffset>, DateError> {
    let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let (day, rest) = match s.split_once(',') {
        Some((d, rest)) if names.contains(&d.trim()) => (d.trim(), rest),
        _ => {
            DateTime::parse_from_rfc2822(s).map_err(DateError::Syntax)?;
            return Err(DateError::NoWeekday);
        }
    };
    // Without the day of the week first, so that a wrong day gets its own message.
    let date = DateTime::parse_from_rfc2822(rest.trim()).map_err(DateError::Syntax)?;
    let want = names.get(usize::try_from(date.weekday().num_days_from_monday()).unwrap_or(0)).copied().unwrap_or("");
    if day != want {
        return Err(DateError::WrongWeekday { actual: want, written: day.to_owned() });
    }
    Ok(date)
}

/// Why a date is not an RFC 2822 date as Apple wants it (see [`check_rfc2822`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not an RFC 2822 date at all.
    #[error("not an RFC 2822 date ({0})")]
    Syntax(chrono::ParseError),
    /// A valid date, but without the day of the week first.
    #[error("RFC 2822 as Apple wants it starts with the day of the week (\"Sat, 15 Jun 2019 19:00:00 GMT\")")]
    NoWeekday,
    /// The day of the week is not the date's.
    #[error("the date is a {actual}, not a {written}")]
    WrongWeekday {
        /// The date's day of the week.
        actual: &'static str,
        /// The day of the week written.
        written: String,
    },
}

fn check_item(item: &Element, serial: bool, out: &mut Out<'_>) -> ItemFacts {
    let mut f = ItemFacts { offset: item.offset, ..ItemFacts::default() };
    f.alternates = super::podcast_ns::check_item(item, out);
    required(item, None, "title", "title", out);
    match item.child(None, "guid") {
        None => {
            out.error("missing-guid", item.offset, "<item> has no <guid>; Apple requires one and it must never change")
        }
        Some(g) if g.text.trim().is_empty() => out.error("empty-tag", g.offset, "<guid> is empty"),
        Some(g) => {
            let value = g.text.trim();
            if value.chars().any(char::is_whitespace) {
                out.error("guid", g.text_offset, format!("guid {}: a GUID must not contain white space", quote(value)));
            }
            f.guid = Some(Located { value: value.to_owned(), offset: g.text_offset });
        }
    }
    match item.child(None, "enclosure") {
        None => out.error("missing-enclosure", item.offset, "<item> has no <enclosure url length type>"),
        Some(e) => f.enclosure = Some(check_enclosure(e, out)),
    }
    match item.child(None, "pubDate") {
        None => out.warning("missing-pubdate", item.offset, "<item> has no <pubDate>"),
        Some(d) => {
            if let Err(why) = check_rfc2822(d.text.trim()) {
                out.error("pubdate", text_at(d), format!("pubDate {}: {why}", quote(d.text.trim())));
            }
        }
    }
    if let Some(d) = item.child(None, "description") {
        check_description(d, out);
    }
    if let Some(x) = item.child(ITUNES, "explicit") {
        check_explicit(x, out);
    }
    for (local, shown) in [("episode", "itunes:episode"), ("season", "itunes:season")] {
        if let Some(e) = item.child(ITUNES, local) {
            nonzero(e, shown, out);
        }
    }
    if serial && item.child(ITUNES, "episode").is_none() {
        out.error("serial-episode", item.offset, "the show is serial, so every <item> needs <itunes:episode>");
    }
    if let Some(t) = item.child(ITUNES, "episodeType") {
        let v = t.text.trim();
        if !matches!(v, "full" | "trailer" | "bonus") {
            out.error(
                "episode-type",
                text_at(t),
                format!("itunes:episodeType is {}; it must be full, trailer or bonus", quote(v)),
            );
        }
    }
    if let Some(d) = item.child(ITUNES, "duration") {
        let v = d.text.trim();
        match parse_duration(v) {
            Some(secs) => f.duration_secs = Some(Located { value: secs, offset: text_at(d) }),
            None if fractional_duration(v).is_some() => {
                f.duration_secs = fractional_duration(v).map(|secs| Located { value: secs, offset: text_at(d) });
                out.warning(
                    "duration",
                    text_at(d),
                    format!(
                        "itunes:duration is {} with a fraction of a second; apps read it, but Apple documents whole seconds (\"{}\") or H:MM:SS",
                        quote(v),
                        fractional_duration(v).unwrap_or(0)
                    ),
                );
            }
            None => out.error(
                "duration",
                text_at(d),
                format!("itunes:duration is {}; write whole seconds (\"3120\") or H:MM:SS", quote(v)),
            ),
        }
    }
    for img in item.children_named(ITUNES, "image") {
        match img.attr("href") {
            Some(h) => f.images.push(Located { value: h.value.clone(), offset: h.offset }),
            None => out.error("image-href", img.offset, "itunes:image has no href"),
        }
    }
    if let Some(ch) = podcast_child(item, "chapters") {
        match ch.attr("url") {
            Some(u) => f.chapters_url = Some(Located { value: u.value.clone(), offset: u.offset }),
            None => out.error("chapters-url", ch.offset, "podcast:chapters has no url"),
        }
        match ch.attr("type") {
            Some(t) if t.value == "application/json+chapters" => {}
            Some(t) if t.value == "application/json" => out.warning(
                "chapters-type",
                t.offset,
                "podcast:chapters type is \"application/json\"; apps read it, but the spec asks for \"application/json+chapters\"",
            ),
            Some(t) => out.error(
                "chapters-type",
                t.offset,
                format!("podcast:chapters type is {}; it must be \"application/json+chapters\"", quote(&t.value)),
            ),
            None => out.error("chapters-type", ch.offset, "podcast:chapters has no type=\"application/json+chapters\""),
        }
    }
    for t in podcast_children(item, "transcript") {
        match t.attr("url") {
            Some(u) => f.transcripts.push(Located { value: u.value.clone(), offset: u.offset }),
            None => out.error("transcript-url", t.offset, "podcast:transcript has no url"),
        }
        if t.attr("type").is_none() {
            out.error("transcript-type", t.offset, "podcast:transcript has no type");
        }
    }
    if let Some(p) = item.child(PSC, "chapters") {
        let mut list = Vec::new();
        let mut ok = true;
        for c in p.children_named(PSC, "chapter") {
            let title = c.attr("title").map(|t| t.value.clone()).unwrap_or_default();
            match c.attr("start") {
                Some(s) => match s.value.trim().parse::<Timestamp>() {
                    Ok(t) => list.push((t, title)),
                    Err(e) => {
                        ok = false;
                        out.error("psc-start", s.offset, format!("psc:chapter start {}: {e}", quote(&s.value)));
                    }
                },
                None => {
                    ok = false;
                    out.error("psc-start", c.offset, "psc:chapter has no start");
                }
            }
        }
        if ok {
            f.psc = Some(Located { value: list, offset: p.offset });
        }
    }
    f
}

fn check_enclosure(e: &Element, out: &mut Out<'_>) -> EnclosureFacts {
    let mut f = EnclosureFacts { offset: e.offset, url: None, length: None, mime: None };
    match e.attr("url") {
        None => out.error("enclosure-url", e.offset, "enclosure has no url"),
        Some(u) => {
            if let Some(bad) =
                u.value.chars().find(|c| !c.is_ascii() || c.is_ascii_whitespace() || c.is_ascii_control())
            {
                out.error(
                    "enclosure-ascii",
                    u.offset,
                    format!("enclosure url {} contains {}; Apple wants ASCII file names and URLs (percent-encode or rename)", quote(&u.value), quote(&bad.to_string())),
                );
            }
            if !(u.value.starts_with("http://") || u.value.starts_with("https://")) {
                out.error(
                    "enclosure-url",
                    u.offset,
                    format!("enclosure url {} is not an http(s) URL", quote(&u.value)),
                );
            }
            f.url = Some(Located { value: u.value.clone(), offset: u.offset });
        }
    }
    match e.attr("length") {
        None => out.error("enclosure-length", e.offset, "enclosure has no length (the file size in bytes)"),
        Some(l) => match l.value.trim().parse::<u64>() {
            Ok(0) => {
                out.error("enclosure-length", l.offset, "enclosure length is 0; it must be the file size in bytes")
            }
            Ok(n) => f.length = Some(Located { value: n, offset: l.offset }),
            Err(_) => out.error(
                "enclosure-length",
                l.offset,
                format!("enclosure length {} is not a number of bytes", quote(&l.value)),
            ),
        },
    }
    match e.attr("type") {
        None => out.error("enclosure-type", e.offset, "enclosure has no type"),
        Some(t) => {
            let known = t.value.parse::<crate::mime::Mime>().ok();
            if known.is_some_and(|m| !m.apple_accepts()) {
                out.warning(
                    "enclosure-type",
                    t.offset,
                    format!(
                        "enclosure type {} plays in Podcasting 2.0 apps, but Apple Podcasts accepts only {}",
                        quote(&t.value),
                        APPLE_ENCLOSURE_TYPES.join(", ")
                    ),
                );
            } else if !APPLE_ENCLOSURE_TYPES.contains(&t.value.as_str()) {
                out.error(
                    "enclosure-type",
                    t.offset,
                    format!(
                        "enclosure type {} is not one Apple accepts ({})",
                        quote(&t.value),
                        APPLE_ENCLOSURE_TYPES.join(", ")
                    ),
                );
            }
            f.mime = Some(Located { value: t.value.clone(), offset: t.offset });
        }
    }
    f
}

/// Apple: "tag values limited to 255 characters unless otherwise specified" (descriptions and
/// summaries have their own 4000). The W3C feed validator checks the same tags.
pub const TAG_VALUE_LIMIT: usize = 255;

/// The tags Apple's 255-character limit is checked on, as (namespace, local name, shown).
const LIMITED: [(Option<&str>, &str, &str); 5] = [
    (None, "title", "title"),
    (ITUNES, "title", "itunes:title"),
    (ITUNES, "author", "itunes:author"),
    (ITUNES, "subtitle", "itunes:subtitle"),
    (ITUNES, "keywords", "itunes:keywords"),
];

/// The 255-character limit on the channel's and every item's short tags (and the owner's name),
/// and the values of `itunes:block` and `itunes:complete`: only "Yes" has an effect.
fn check_lengths_and_flags(channel: &Element, out: &mut Out<'_>) {
    let owner_name = channel.child(ITUNES, "owner").and_then(|o| o.child(ITUNES, "name"));
    let items = channel.children_named(None, "item");
    for parent in std::iter::once(channel).chain(items) {
        let limited = LIMITED.iter().filter_map(|(ns, local, shown)| parent.child(*ns, local).map(|e| (e, *shown)));
        let owner = owner_name.filter(|_| std::ptr::eq(parent, channel)).map(|e| (e, "itunes:name"));
        for (e, shown) in limited.chain(owner) {
            let n = e.text.trim().chars().count();
            if n > TAG_VALUE_LIMIT {
                let head: String = e.text.trim().chars().take(30).collect();
                out.warning(
                    "too-long",
                    text_at(e),
                    format!(
                        "<{shown}> {} is {n} characters; Apple limits tag values to {TAG_VALUE_LIMIT} and may cut it",
                        quote(&format!("{head}…"))
                    ),
                );
            }
        }
        let flags: &[&str] = if std::ptr::eq(parent, channel) { &["block", "complete"] } else { &["block"] };
        for local in flags {
            let Some(e) = parent.child(ITUNES, local) else { continue };
            let v = e.text.trim();
            if !v.eq_ignore_ascii_case("yes") && !v.eq_ignore_ascii_case("no") {
                let what = if *local == "block" {
                    if std::ptr::eq(parent, channel) { "hides the show" } else { "hides the episode" }
                } else {
                    "marks the show as finished"
                };
                out.warning(
                    "itunes-flag",
                    text_at(e),
                    format!("itunes:{local} is {}; only \"Yes\" {what}, and Apple ignores any other value", quote(v)),
                );
            }
        }
    }
}

/// The Podcasting 2.0 namespace: "hypertext URLs must be https". Every URL attribute of a
/// `podcast:*` element (and the text of one that holds only a URL) written with `http:`.
fn check_podcast_https(root: &Element, out: &mut Out<'_>) {
    let is_http = |v: &str| v.trim().get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://"));
    // The tags `check::podcast_ns` validates in full (their https rule is an error there) are left to it.
    const TYPED: &[&str] = &[
        "funding",
        "person",
        "soundbite",
        "location",
        "trailer",
        "license",
        "alternateEnclosure",
        "source",
        "integrity",
        "value",
        "valueRecipient",
        "image",
        "images",
        "socialInteract",
        "block",
        "txt",
        "podroll",
        "remoteItem",
        "updateFrequency",
        "publisher",
    ];
    for e in root.descendants().into_iter().filter(|e| is_podcast_ns(e) && !TYPED.contains(&e.local.as_ref())) {
        for a in e.attrs.iter().filter(|a| is_http(&a.value)) {
            out.warning(
                "podcast-https",
                a.offset,
                format!(
                    "podcast:{} {}= is {}; the Podcasting 2.0 namespace requires https: URLs",
                    e.local,
                    a.name,
                    quote(a.value.trim())
                ),
            );
        }
        let text = e.text.trim();
        if e.children.is_empty() && is_http(text) && !text.contains(char::is_whitespace) {
            out.warning(
                "podcast-https",
                text_at(e),
                format!("<podcast:{}> is {}; the Podcasting 2.0 namespace requires https: URLs", e.local, quote(text)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2822_as_apple_wants_it() {
        assert!(check_rfc2822("Wed, 14 Sep 2016 09:00:00 +1000").is_ok());
        assert!(check_rfc2822("Sat, 15 Jun 2019 19:00:00 GMT").is_ok());
        // Apple's own example has the wrong day of the week.
        assert_eq!(
            check_rfc2822("Wed, 15 Jun 2019 19:00:00 GMT").unwrap_err().to_string(),
            "the date is a Sat, not a Wed"
        );
        assert!(check_rfc2822("2016-09-14T09:00:00+10:00").unwrap_err().to_string().contains("not an RFC 2822 date"));
        assert!(check_rfc2822("14 Sep 2016 09:00:00 +1000").unwrap_err().to_string().contains("day of the week"));
        assert_eq!(
            check_rfc2822("Thu, 14 Sep 2016 09:00:00 +1000").unwrap_err().to_string(),
            "the date is a Wed, not a Thu"
        );
        assert!(check_rfc2822("Wed, 31 Sep 2016 09:00:00 +1000").is_err());
        assert!(check_rfc2822("Wed, 14 Sep 2016 25:00:00 +1000").is_err());
        assert!(check_rfc2822("").is_err());
    }

    #[test]
    fn durations_whole_seconds_or_clock() {
        assert_eq!(parse_duration("3120"), Some(3120));
        assert_eq!(parse_duration("52:00"), Some(3120));
        assert_eq!(parse_duration("1:02:03"), Some(3723));
        assert_eq!(parse_duration("3120.5"), None);
        assert_eq!(parse_duration("1:2:3"), None);
        assert_eq!(parse_duration("1:60"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("99999999999999999999"), None);
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "en-us", "en-AU", "haw", "zh-Hant-TW"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "english", "en_US", "e", "en-", "12"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
