//! Reading a source feed's channel and items (the tree from [`crate::check::xml`]) into what
//! `podcast.toml` and each `episode.md` need, noting everything that is dropped or fixed.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use super::Note;
use crate::check::xml::Element;
use crate::feed::ns;

const PODCAST_ALIASES: [&str; 3] = [
    ns::PODCAST,
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    "https://podcastindex.org/namespace/1.0/",
];
const GOOGLEPLAY: &str = "http://www.google.com/schemas/play-podcasts/1.0";
const MEDIA: &str = "http://search.yahoo.com/mrss/";
const DC: &str = "http://purl.org/dc/elements/1.1/";

/// The namespace an element is read as: the Podcasting 2.0 aliases are one.
fn ns_of(e: &Element) -> Option<&str> {
    match e.ns.as_deref() {
        Some(n) if PODCAST_ALIASES.contains(&n) => Some(ns::PODCAST),
        other => other,
    }
}

fn is(e: &Element, ns: Option<&str>, local: &str) -> bool {
    e.local == local && ns_of(e) == ns
}

fn child<'a>(e: &'a Element, ns: Option<&str>, local: &str) -> Option<&'a Element> {
    e.children.iter().find(|c| is(c, ns, local))
}

fn children<'a>(e: &'a Element, ns: Option<&'a str>, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    e.children.iter().filter(move |c| is(c, ns, local))
}

fn text<'a>(e: &'a Element, ns: Option<&str>, local: &str) -> Option<&'a str> {
    child(e, ns, local).map(|c| c.text.trim()).filter(|t| !t.is_empty())
}

fn attr<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attr(name).map(|a| a.value.trim()).filter(|v| !v.is_empty())
}

const IT: Option<&str> = Some(ns::ITUNES);
const PC: Option<&str> = Some(ns::PODCAST);

/// `yes`, `true`, `explicit` → true; `no`, `false`, `clean` → false.
pub(crate) fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "explicit" => Some(true),
        "no" | "false" | "clean" => Some(false),
        _ => None,
    }
}

/// An `itunes:duration` (`HH:MM:SS`, `MM:SS`, seconds, with or without fractions) in whole
/// seconds, rounded to nearest.
pub(crate) fn duration_secs(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.len() > 3 {
        return None;
    }
    for p in &parts {
        let v: f64 = p.trim().parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        total = total * 60.0 + v;
    }
    // Whole seconds of a podcast episode: far below 2^53, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(total.round() as u64)
}

/// A `pubDate`: RFC 2822 (the named zones too), then with a wrong weekday dropped, then RFC 3339.
/// The second value says what was fixed.
pub(crate) fn pub_date(s: &str) -> Option<(DateTime<FixedOffset>, Option<String>)> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some((d, None));
    }
    if let Some((_, rest)) = s.split_once(',')
        && let Ok(d) = DateTime::parse_from_rfc2822(rest.trim())
    {
        return Some((d, Some(format!("pubDate {s:?} has the wrong weekday; read as {}", d.to_rfc2822()))));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some((d, Some(format!("pubDate {s:?} is RFC 3339, not RFC 2822; read as {}", d.to_rfc2822()))));
    }
    None
}

/// One source category (and subcategory), mapped to Apple's table when it can be.
pub(crate) struct SourceCategory {
    pub(crate) name: String,
    pub(crate) sub: Option<String>,
}

/// Apple's category renames of 2019 (and common spellings) to today's names.
fn apple_name(name: &str) -> Option<String> {
    let table = crate::sources::show::apple_categories();
    if table.contains_key(name) {
        return Some(name.to_owned());
    }
    if let Some(k) = table.keys().find(|k| k.eq_ignore_ascii_case(name)) {
        return Some(k.clone());
    }
    let renamed = match name.to_ascii_lowercase().as_str() {
        "games & hobbies" => "Leisure",
        "science & medicine" => "Science",
        "sports & recreation" => "Sports",
        "society and culture" => "Society & Culture",
        "kids and family" => "Kids & Family",
        "tv and film" | "tv & films" => "TV & Film",
        "religion and spirituality" => "Religion & Spirituality",
        "health" => "Health & Fitness",
        "public radio" | "podcasting" => "News",
        _ => return None,
    };
    Some(renamed.to_owned())
}

/// The channel, as `podcast.toml` will hold it.
#[derive(Default)]
pub(crate) struct SourceShow {
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) description: String,
    pub(crate) language: String,
    pub(crate) explicit: bool,
    pub(crate) image: Option<String>,
    pub(crate) link: Option<String>,
    pub(crate) copyright: Option<String>,
    pub(crate) serial: bool,
    pub(crate) categories: Vec<SourceCategory>,
    pub(crate) owner: Option<(String, String)>,
    pub(crate) guid: Option<String>,
    pub(crate) locked: Option<bool>,
    /// `[podcast]` entries as TOML tables (key → entries), each checked by the typed reader.
    pub(crate) podcast: BTreeMap<&'static str, Vec<toml::Table>>,
    pub(crate) new_feed_url: Option<String>,
    pub(crate) next_page: Option<String>,
}

/// One item, as its `episode.md` will hold it.
pub(crate) struct SourceItem {
    pub(crate) title: String,
    pub(crate) guid: String,
    /// `isPermaLink` as the source had it (absent reads as true, as RSS says).
    pub(crate) permalink: bool,
    pub(crate) date: DateTime<FixedOffset>,
    pub(crate) episode: Option<u32>,
    pub(crate) season: Option<u32>,
    pub(crate) episode_type: Option<String>,
    pub(crate) explicit: Option<bool>,
    pub(crate) summary: Option<String>,
    pub(crate) link: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) url: String,
    pub(crate) length: u64,
    pub(crate) mime: String,
    pub(crate) duration: Option<u64>,
    /// HTML (or plain text) show notes.
    pub(crate) notes: String,
    /// Inline `psc:chapters`: start, title, link.
    pub(crate) chapters: Vec<(String, String, Option<String>)>,
    /// `podcast:chapters` URL.
    pub(crate) chapters_url: Option<String>,
    /// `podcast:transcript`s: URL and type.
    pub(crate) transcripts: Vec<(String, String)>,
    pub(crate) podcast: BTreeMap<&'static str, Vec<toml::Table>>,
}

fn table(pairs: &[(&str, Option<toml::Value>)]) -> toml::Table {
    pairs.iter().filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v))).collect()
}

fn s(v: Option<&str>) -> Option<toml::Value> {
    v.map(|v| toml::Value::String(v.to_owned()))
}

/// A Podcasting 2.0 element as the `[podcast]` table entry podmark reads (key, entry), or None
/// for one podmark does not carry over.
fn podcast_entry(e: &Element) -> Option<(&'static str, toml::Table)> {
    let t = Some(e.text.trim()).filter(|t| !t.is_empty());
    let entry = match e.local.as_str() {
        "funding" => ("funding", table(&[("url", s(attr(e, "url"))), ("text", s(t))])),
        "person" => (
            "person",
            table(&[
                ("name", s(t)),
                ("role", s(attr(e, "role").map(str::to_ascii_lowercase).as_deref())),
                ("group", s(attr(e, "group").map(str::to_ascii_lowercase).as_deref())),
                ("img", s(attr(e, "img"))),
                ("href", s(attr(e, "href"))),
            ]),
        ),
        "location" => (
            "location",
            table(&[
                ("name", s(t)),
                ("rel", s(attr(e, "rel"))),
                ("geo", s(attr(e, "geo"))),
                ("osm", s(attr(e, "osm"))),
                ("country", s(attr(e, "country"))),
            ]),
        ),
        "license" => ("license", table(&[("name", s(t)), ("url", s(attr(e, "url")))])),
        "txt" => ("txt", table(&[("text", s(t)), ("purpose", s(attr(e, "purpose")))])),
        "soundbite" => (
            "soundbite",
            table(&[
                ("start", attr(e, "startTime").and_then(|v| v.parse::<f64>().ok()).map(toml::Value::Float)),
                ("duration", attr(e, "duration").and_then(|v| v.parse::<f64>().ok()).map(toml::Value::Float)),
                ("title", s(t)),
            ]),
        ),
        _ => return None,
    };
    Some(entry)
}

/// Elements podmark reads itself, beside the `[podcast]` ones.
fn known_channel(e: &Element) -> bool {
    match ns_of(e) {
        None => matches!(
            e.local.as_str(),
            "title"
                | "link"
                | "description"
                | "language"
                | "copyright"
                | "image"
                | "item"
                | "generator"
                | "lastBuildDate"
                | "pubDate"
                | "managingEditor"
                | "webMaster"
                | "docs"
                | "ttl"
        ),
        Some(ns::ITUNES) => matches!(
            e.local.as_str(),
            "author"
                | "summary"
                | "subtitle"
                | "explicit"
                | "image"
                | "category"
                | "owner"
                | "type"
                | "new-feed-url"
                | "keywords"
        ),
        Some(ns::PODCAST) => matches!(e.local.as_str(), "guid" | "locked" | "medium"),
        Some(ns::ATOM) => e.local == "link",
        _ => false,
    }
}

fn known_item(e: &Element) -> bool {
    match ns_of(e) {
        None => matches!(
            e.local.as_str(),
            "title" | "link" | "description" | "guid" | "pubDate" | "enclosure" | "author" | "comments"
        ),
        Some(ns::ITUNES) => matches!(
            e.local.as_str(),
            "title"
                | "author"
                | "summary"
                | "subtitle"
                | "explicit"
                | "image"
                | "duration"
                | "episode"
                | "season"
                | "episodeType"
                | "keywords"
        ),
        Some(ns::PODCAST) => matches!(e.local.as_str(), "chapters" | "transcript" | "season" | "episode" | "guid"),
        Some(ns::CONTENT) => e.local == "encoded",
        Some(ns::PSC) => e.local == "chapters",
        _ => false,
    }
}

/// Counts of elements podmark drops, by qualified name.
pub(crate) type Unknown = BTreeMap<String, usize>;

fn note_unknown(e: &Element, unknown: &mut Unknown, podcast_ok: bool) {
    // Namespaces that only repeat what podmark writes from other fields.
    if matches!(ns_of(e), Some(GOOGLEPLAY | MEDIA | DC)) {
        *unknown.entry(e.name.clone()).or_default() += 1;
        return;
    }
    if !(podcast_ok && ns_of(e) == PC && podcast_entry(e).is_some()) {
        *unknown.entry(e.name.clone()).or_default() += 1;
    }
}

/// Reads the channel (everything but the items).
pub(crate) fn channel(ch: &Element, unknown: &mut Unknown, notes: &mut Vec<Note>) -> SourceShow {
    let mut show = SourceShow {
        title: text(ch, None, "title").unwrap_or_default().to_owned(),
        description: text(ch, None, "description")
            .or_else(|| text(ch, IT, "summary"))
            .or_else(|| text(ch, IT, "subtitle"))
            .unwrap_or_default()
            .to_owned(),
        language: text(ch, None, "language").unwrap_or_default().to_ascii_lowercase(),
        explicit: text(ch, IT, "explicit").and_then(yes_no).unwrap_or(false),
        image: child(ch, IT, "image")
            .and_then(|i| attr(i, "href"))
            .or_else(|| child(ch, None, "image").and_then(|i| text(i, None, "url")))
            .map(str::to_owned),
        link: text(ch, None, "link").map(str::to_owned),
        copyright: text(ch, None, "copyright").map(str::to_owned),
        serial: text(ch, IT, "type").is_some_and(|t| t.eq_ignore_ascii_case("serial")),
        guid: text(ch, PC, "guid").map(str::to_owned),
        locked: text(ch, PC, "locked").and_then(yes_no),
        new_feed_url: text(ch, IT, "new-feed-url").map(str::to_owned),
        ..SourceShow::default()
    };
    show.owner = child(ch, IT, "owner").and_then(|o| {
        let name = text(o, IT, "name").map(str::to_owned);
        let email = text(o, IT, "email").map(str::to_owned);
        match (name, email) {
            (Some(n), Some(e)) => Some((n, e)),
            _ => {
                notes
                    .push(Note::show("owner-incomplete", "itunes:owner needs a name and an e-mail; dropped it".into()));
                None
            }
        }
    });
    show.author = text(ch, IT, "author")
        .map(str::to_owned)
        .or_else(|| show.owner.as_ref().map(|o| o.0.clone()))
        .unwrap_or_else(|| show.title.clone());
    if show.language.is_empty() {
        notes.push(Note::show("language-missing", "the channel has no <language>; wrote \"en\"".into()));
        show.language = "en".into();
    }
    for c in children(ch, IT, "category") {
        let Some(name) = attr(c, "text") else { continue };
        let subs: Vec<Option<&str>> = children(c, IT, "category").filter_map(|s| attr(s, "text")).map(Some).collect();
        let subs = if subs.is_empty() { vec![None] } else { subs };
        for sub in subs {
            match apple_name(name) {
                Some(apple) => {
                    let sub = sub.and_then(|s| {
                        let ok = crate::sources::show::Category::new(&apple, Some(s)).is_ok();
                        if !ok {
                            notes.push(Note::show(
                                "category-unknown",
                                format!("subcategory {s:?} of {apple:?} is not in Apple's table; kept {apple:?} alone"),
                            ));
                        }
                        ok.then(|| s.to_owned())
                    });
                    if apple != name && !show.categories.iter().any(|k| k.name == apple) {
                        notes.push(Note::show(
                            "category-renamed",
                            format!("category {name:?} is {apple:?} in Apple's table today"),
                        ));
                    }
                    if !show.categories.iter().any(|k| k.name == apple && k.sub == sub) {
                        show.categories.push(SourceCategory { name: apple, sub });
                    }
                }
                None => notes.push(Note::show(
                    "category-unknown",
                    format!("category {name:?} is not in Apple's table; dropped it"),
                )),
            }
        }
    }
    for l in children(ch, Some(ns::ATOM), "link") {
        if attr(l, "rel") == Some("next") {
            show.next_page = attr(l, "href").map(str::to_owned);
        }
    }
    for e in &ch.children {
        if ns_of(e) == PC
            && let Some((key, entry)) = podcast_entry(e)
        {
            show.podcast.entry(key).or_default().push(entry);
        } else if !known_channel(e) {
            note_unknown(e, unknown, false);
        }
    }
    show
}

/// Reads one item; `Err` says why it is dropped.
pub(crate) fn item(it: &Element, unknown: &mut Unknown, notes: &mut Vec<Note>) -> Result<SourceItem, Note> {
    let title = text(it, None, "title").or_else(|| text(it, IT, "title")).unwrap_or_default().to_owned();
    let name = if title.is_empty() { "(untitled)".to_owned() } else { title.clone() };
    let drop = |code: &'static str, message: String| Note::item(&name, code, message);
    let Some(enc) = child(it, None, "enclosure") else {
        return Err(drop("no-enclosure", "the item has no <enclosure> (no audio): not an episode".into()));
    };
    let Some(url) = attr(enc, "url") else {
        return Err(drop("no-enclosure", "the <enclosure> has no url".into()));
    };
    if title.is_empty() {
        return Err(drop("no-title", "the item has no <title>".into()));
    }
    let length = match attr(enc, "length").map(str::parse::<u64>) {
        Some(Ok(n)) => n,
        other => {
            notes.push(Note::item(
                &name,
                "enclosure-length",
                format!(
                    "enclosure length {:?} is not a byte count; wrote 0 (run with --download to measure it)",
                    other.map(|_| attr(enc, "length").unwrap_or(""))
                ),
            ));
            0
        }
    };
    let mime = attr(enc, "type").map(str::to_owned).unwrap_or_else(|| {
        let ext = url.rsplit('.').next().unwrap_or("").split(['?', '#']).next().unwrap_or("");
        let m = crate::mime::Mime::from_extension(&ext.to_ascii_lowercase()).map_or("audio/mpeg", |m| m.as_str());
        notes.push(Note::item(&name, "enclosure-type", format!("enclosure has no type; wrote {m} from its extension")));
        m.to_owned()
    });
    let guid_el = child(it, None, "guid");
    let (guid, permalink) = match guid_el.map(|g| g.text.trim()).filter(|g| !g.is_empty()) {
        Some(g) => (g.to_owned(), guid_el.and_then(|g| attr(g, "isPermaLink")) != Some("false")),
        None => {
            notes.push(Note::item(
                &name,
                "guid-missing",
                "the item has no <guid>; locked its enclosure URL, which apps use in its place".into(),
            ));
            (url.to_owned(), false)
        }
    };
    if let Some(why) = crate::sources::guid_lock::guid_problem(&guid) {
        return Err(drop("guid-invalid", format!("GUID {guid:?}: {why}")));
    }
    let date = match text(it, None, "pubDate").map(|d| (d, pub_date(d))) {
        Some((_, Some((d, fixed)))) => {
            if let Some(f) = fixed {
                notes.push(Note::item(&name, "date-fixed", f));
            }
            d
        }
        Some((raw, None)) => {
            return Err(drop("date-invalid", format!("pubDate {raw:?} is not a date podmark can read")));
        }
        None => return Err(drop("date-missing", "the item has no <pubDate>".into())),
    };
    let number = |local: &str| {
        text(it, IT, local)
            .or_else(|| text(it, PC, local))
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| *v >= 1.0 && v.fract() == 0.0 && *v < 4e9)
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (episode, season) = (number("episode").map(|v| v as u32), number("season").map(|v| v as u32));
    let notes_html = text(it, Some(ns::CONTENT), "encoded")
        .or_else(|| text(it, None, "description"))
        .or_else(|| text(it, IT, "summary"))
        .unwrap_or_default()
        .to_owned();
    let mut chapters = Vec::new();
    if let Some(pc) = child(it, Some(ns::PSC), "chapters") {
        for c in children(pc, Some(ns::PSC), "chapter") {
            if let (Some(start), Some(t)) = (attr(c, "start"), attr(c, "title")) {
                chapters.push((start.to_owned(), t.to_owned(), attr(c, "href").map(str::to_owned)));
            }
        }
    }
    let mut item = SourceItem {
        guid,
        permalink,
        date,
        episode,
        season,
        episode_type: text(it, IT, "episodeType")
            .map(str::to_ascii_lowercase)
            .filter(|t| matches!(t.as_str(), "full" | "trailer" | "bonus")),
        explicit: text(it, IT, "explicit").and_then(yes_no),
        summary: text(it, IT, "subtitle").map(str::to_owned),
        link: text(it, None, "link").map(str::to_owned),
        image: child(it, IT, "image").and_then(|i| attr(i, "href")).map(str::to_owned),
        url: url.to_owned(),
        length,
        mime,
        duration: text(it, IT, "duration").and_then(duration_secs),
        notes: notes_html,
        chapters,
        chapters_url: child(it, PC, "chapters").and_then(|c| attr(c, "url")).map(str::to_owned),
        transcripts: children(it, PC, "transcript")
            .filter_map(|t| Some((attr(t, "url")?.to_owned(), attr(t, "type").unwrap_or("").to_owned())))
            .collect(),
        podcast: BTreeMap::new(),
        title,
    };
    for e in &it.children {
        if ns_of(e) == PC
            && let Some((key, entry)) = podcast_entry(e)
        {
            item.podcast.entry(key).or_default().push(entry);
        } else if !known_item(e) {
            note_unknown(e, unknown, false);
        }
    }
    Ok(item)
}

/// Whether the text is an HTML page rather than a feed.
pub(crate) fn looks_like_html(text: &str) -> bool {
    let head: String =
        text.trim_start_matches('\u{feff}').trim_start().chars().take(200).collect::<String>().to_ascii_lowercase();
    let head =
        head.strip_prefix("<?xml").map_or(head.as_str(), |r| r.split_once("?>").map_or("", |(_, b)| b.trim_start()));
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_durations_dates_and_flags() {
        assert_eq!(duration_secs("1:02:03"), Some(3723));
        assert_eq!(duration_secs("62:03"), Some(3723));
        assert_eq!(duration_secs("3723.4"), Some(3723));
        assert_eq!(duration_secs("x"), None);
        assert_eq!(yes_no("Explicit"), Some(true));
        assert_eq!(yes_no("clean"), Some(false));
        let (d, fixed) = pub_date("Mon, 15 Sep 2016 09:00:00 +1000").unwrap();
        assert_eq!(d.to_rfc3339(), "2016-09-15T09:00:00+10:00");
        assert!(fixed.is_some(), "15 Sep 2016 was a Thursday");
        assert_eq!(pub_date("Thu, 15 Sep 2016 09:00:00 PDT").unwrap().0.to_rfc3339(), "2016-09-15T09:00:00-07:00");
        assert!(looks_like_html("<!DOCTYPE html><html>"));
        assert!(!looks_like_html("<?xml version='1.0'?><rss/>"));
    }
}
