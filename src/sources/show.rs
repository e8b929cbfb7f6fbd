//! The show (channel) configuration, `episodes/podcast.toml`.
//!
//! Typed on the way in: the category is checked against Apple's table, the language is a language
//! tag, the base URL an absolute http(s) URL; unknown keys are errors with their line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, LineIndex, Location, Position, quote};
use crate::formats::Format;

/// Apple's category table: category → subcategories.
static APPLE_CATEGORIES: LazyLock<BTreeMap<String, Vec<String>>> =
    LazyLock::new(|| serde_json::from_str(include_str!("../data/apple_categories.json")).unwrap_or_default());

/// Apple's podcast categories and their subcategories, in Apple's spelling.
pub fn apple_categories() -> &'static BTreeMap<String, Vec<String>> {
    &APPLE_CATEGORIES
}

/// An Apple Podcasts category with an optional subcategory, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    name: String,
    sub: Option<String>,
}

impl Category {
    /// Checks `name` (and `sub`) against Apple's table.
    ///
    /// ```
    /// # use podmark::sources::show::Category;
    /// assert!(Category::new("Technology", None).is_ok());
    /// assert!(Category::new("Arts", Some("Books")).is_ok());
    /// assert!(Category::new("Arts", Some("Technology")).is_err());
    /// ```
    pub fn new(name: &str, sub: Option<&str>) -> Result<Category, CategoryError> {
        let table = apple_categories();
        let Some(subs) = table.get(name) else {
            let lower = name.to_lowercase();
            let near: Vec<String> = table
                .keys()
                .filter(|k| {
                    !lower.is_empty() && (k.to_lowercase().starts_with(&lower) || k.to_lowercase().contains(&lower))
                })
                .cloned()
                .collect();
            return Err(CategoryError::Unknown { name: name.to_owned(), near });
        };
        if let Some(sub) = sub
            && !subs.iter().any(|s| s == sub)
        {
            return Err(CategoryError::UnknownSub {
                name: name.to_owned(),
                sub: sub.to_owned(),
                expected: subs.clone(),
            });
        }
        Ok(Category { name: name.to_owned(), sub: sub.map(str::to_owned) })
    }

    /// The category.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The subcategory, if any.
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
    }
}

/// Why a category is not one of Apple's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    /// Not an Apple Podcasts category.
    #[error("\"{name}\" is not an Apple Podcasts category{}", did_you_mean(near))]
    Unknown {
        /// The name given.
        name: String,
        /// Categories whose names contain it, to suggest.
        near: Vec<String>,
    },
    /// Not a subcategory of the category.
    #[error("\"{sub}\" is not a subcategory of \"{name}\"{}", one_of(name, expected))]
    UnknownSub {
        /// The category.
        name: String,
        /// The subcategory given.
        sub: String,
        /// The category's subcategories.
        expected: Vec<String>,
    },
}

fn did_you_mean(near: &[String]) -> String {
    if near.is_empty() { String::new() } else { format!(" (did you mean: {}?)", near.join(", ")) }
}

fn one_of(name: &str, subs: &[String]) -> String {
    if subs.is_empty() {
        format!(", which has no subcategories in Apple's list; write \"{name}\" alone")
    } else {
        format!(" (its subcategories are: {})", subs.join(", "))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sub {
            Some(s) => write!(f, "{} › {s}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// `itunes:type`: how episodes are meant to be listened to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShowType {
    /// Newest first; any order.
    #[default]
    Episodic,
    /// Oldest first; in order.
    Serial,
}

/// The feed owner (`itunes:owner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// The show configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Show {
    /// Show title.
    pub title: String,
    /// Author (`itunes:author`).
    pub author: String,
    /// Description.
    pub description: String,
    /// Language tag, such as `en-au`.
    pub language: String,
    /// Explicit content.
    pub explicit: bool,
    /// Show artwork, relative to the episodes folder or a URL.
    pub image: Option<String>,
    /// Where `feed/` is hosted, ending in `/`.
    pub base_url: String,
    /// The show's website (`<link>`); defaults to `base_url`.
    pub link: Option<String>,
    /// `podcast:locked`: other platforms may not import the feed (default `true`).
    pub locked: bool,
    /// Copyright line.
    pub copyright: Option<String>,
    /// Episodic or serial.
    pub show_type: ShowType,
    /// Apple category (`[category]`).
    pub category: Category,
    /// Further Apple categories, in order (`[[more_categories]]` tables, each with `name` and an
    /// optional `sub`).
    pub more_categories: Vec<Category>,
    /// `podcast:guid` as published before (`guid = "…"`, kept by `podmark import`); by default
    /// podmark computes it from the feed URL.
    pub guid: Option<uuid::Uuid>,
    /// Feed owner.
    pub owner: Option<Owner>,
    /// Chapter formats written by `podmark build` besides JSON.
    pub chapter_formats: Vec<Format>,
    /// The show's time zone (`timezone = "+10:00"`, default UTC): an episode date without zone, or
    /// a date alone (midnight), is taken in it. Fixed offsets only, not IANA names.
    #[serde(serialize_with = "offset_text")]
    pub timezone: FixedOffset,
    /// Podcasting 2.0 channel tags (the `[podcast]` table: `[[podcast.person]]`, …).
    pub podcast: crate::sources::podcast_ns::ChannelTags,
    /// The website (the `[site]` table).
    pub site: crate::sources::site::SiteSettings,
}

fn offset_text<S: serde::Serializer>(z: &FixedOffset, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&z.to_string())
}

/// Parses a `timezone`: `UTC`, `Z`, or an offset `+HH:MM` / `-HH:MM` (at most 23:59).
///
/// ```
/// # use podmark::sources::show::parse_timezone;
/// assert_eq!(parse_timezone("+10:00").map(|z| z.local_minus_utc()), Some(36_000));
/// assert_eq!(parse_timezone("UTC").map(|z| z.local_minus_utc()), Some(0));
/// assert!(parse_timezone("Australia/Sydney").is_none());
/// ```
pub fn parse_timezone(text: &str) -> Option<FixedOffset> {
    if matches!(text, "UTC" | "Z" | "utc" | "z") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, text.get(1..)?),
        Some(b'-') => (-1, text.get(1..)?),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// `podcast.toml` as written: every field optional here, so that every missing one is reported
/// in one run, and the values with their spans, so that every invalid one is reported where it is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShow {
    title: Option<Spanned<String>>,
    author: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    #[serde(default)]
    explicit: bool,
    image: Option<String>,
    base_url: Option<Spanned<String>>,
    link: Option<String>,
    #[serde(default = "yes")]
    locked: bool,
    copyright: Option<String>,
    #[serde(default, rename = "type")]
    show_type: ShowType,
    category: Option<RawCategory>,
    #[serde(default)]
    more_categories: Vec<RawCategory>,
    guid: Option<Spanned<String>>,
    owner: Option<RawOwner>,
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    chapters: RawChapters,
    #[serde(default)]
    podcast: crate::sources::podcast_ns::ChannelTags,
    #[serde(default)]
    site: crate::sources::site::SiteSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwner {
    name: Option<String>,
    email: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    name: Option<Spanned<String>>,
    sub: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawChapters {
    #[serde(default)]
    formats: Vec<String>,
}

impl Show {
    /// The canonical feed URL, `<base_url>feed.xml`: what `podcast:guid` is computed from (a
    /// `--base-url` override for local testing does not change the show's identity).
    pub fn base_url_feed(&self) -> String {
        format!("{}feed.xml", self.base_url)
    }

    /// The show's `podcast:guid`: the `guid` kept in `podcast.toml` (an imported show's), else the
    /// UUIDv5 of [`Show::base_url_feed`]. Episode GUIDs are derived from it.
    pub fn podcast_guid(&self) -> uuid::Uuid {
        self.guid.unwrap_or_else(|| crate::sources::guid_lock::podcast_guid(&self.base_url_feed()))
    }

    /// Parses `podcast.toml`. Every problem is a diagnostic with its line and column.
    pub fn parse(text: &str) -> Result<Show, crate::diagnostic::ParseError> {
        Show::parse_diagnostics(text).map_err(crate::diagnostic::ParseError::new)
    }

    fn parse_diagnostics(text: &str) -> Result<Show, Vec<Diagnostic>> {
        let index = LineIndex::new(text);
        let raw: RawShow = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| Location::from(index.position(s.start)));
            vec![Diagnostic::error("show", at, e.message().trim().to_owned())]
        })?;
        let mut diags = Vec::new();
        let at = |span: std::ops::Range<usize>| Location::from(index.position(span.start));
        let find = |needle: &str| text.find(needle).map(|i| Location::from(index.position(i)));
        // A missing key is reported at the top of the file (or of its table), where it may be added.
        let mut missing = |key: &str, example: &str, table: Option<&str>| {
            let where_ = table.and_then(find).unwrap_or(Location::from(Position::new(1, 1)));
            diags.push(Diagnostic::error(
                "missing-field",
                where_,
                format!("podcast.toml has no `{key}`; add a line like {example}"),
            ));
        };
        let mut required = |v: Option<Spanned<String>>, key: &str, example: &str| {
            let v = v.map(|s| (s.span(), s.into_inner()));
            if v.is_none() {
                missing(key, example, None);
            }
            v
        };
        let title = required(raw.title, "title", "title = \"My Show\"");
        let author = required(raw.author, "author", "author = \"Your Name\"");
        let description = required(raw.description, "description", "description = \"What the show is about\"");
        let language = required(raw.language, "language", "language = \"en\"");
        let base_url = required(raw.base_url, "base_url", "base_url = \"https://example.com/podcast/\"");
        let (first, more) = (raw.category, raw.more_categories);
        let mut more_categories = Vec::new();
        let mut category_errors = Vec::new();
        for c in more {
            match c.name {
                None => missing(
                    "category.name",
                    "name = \"Technology\" under [[more_categories]]",
                    Some("[[more_categories]]"),
                ),
                Some(n) => match Category::new(n.get_ref(), c.sub.as_deref()) {
                    Ok(cat) => more_categories.push(cat),
                    Err(e) => category_errors.push(Diagnostic::error("category", at(n.span()), e.to_string())),
                },
            }
        }
        let (cat_name, cat_sub) = match first {
            None => {
                missing("category", "[category] followed by name = \"Technology\"", None);
                (None, None)
            }
            Some(RawCategory { name: None, .. }) => {
                missing("category.name", "name = \"Technology\" under [category]", Some("[category]"));
                (None, None)
            }
            Some(RawCategory { name: Some(n), sub }) => (Some((n.span(), n.into_inner())), sub),
        };
        let owner = match raw.owner {
            None => None,
            Some(RawOwner { name, email }) => {
                if name.is_none() {
                    missing("owner.name", "name = \"Your Name\" under [owner]", Some("[owner]"));
                }
                if email.is_none() {
                    missing("owner.email", "email = \"you@example.com\" under [owner]", Some("[owner]"));
                }
                name.zip(email).map(|(name, email)| Owner { name, email })
            }
        };
        let category = cat_name.and_then(|(span, name)| {
            Category::new(&name, cat_sub.as_deref())
                .map_err(|e| diags.push(Diagnostic::error("category", at(span), e.to_string())))
                .ok()
        });
        if let Some((span, url)) = &base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            diags.push(Diagnostic::error(
                "base-url",
                at(span.clone()),
                format!("base_url must be an absolute http(s) URL: {}", quote(url)),
            ));
        }
        if let Some((span, lang)) = &language {
            let lang_ok = !lang.is_empty()
                && lang
                    .split('-')
                    .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
            if !lang_ok {
                diags.push(Diagnostic::error(
                    "language",
                    at(span.clone()),
                    format!("language must be a language tag such as en or en-au: {}", quote(lang)),
                ));
            }
        }
        let timezone = match raw.timezone {
            None => FixedOffset::east_opt(0),
            Some(tz) => {
                let zone = parse_timezone(tz.get_ref());
                if zone.is_none() {
                    diags.push(Diagnostic::error(
                        "timezone",
                        at(tz.span()),
                        format!(
                            "timezone must be UTC or an offset such as +10:00 or -05:00 (IANA names such as Australia/Sydney are not read): {}",
                            quote(tz.get_ref())
                        ),
                    ));
                }
                zone
            }
        };
        diags.extend(category_errors);
        let guid = raw.guid.and_then(|g| match uuid::Uuid::parse_str(g.get_ref()) {
            Ok(u) => Some(u),
            Err(e) => {
                diags.push(Diagnostic::error(
                    "show-guid",
                    at(g.span()),
                    format!(
                        "guid must be a UUID (the podcast:guid the show was published with): {} ({e})",
                        quote(g.get_ref())
                    ),
                ));
                None
            }
        });
        let mut chapter_formats = Vec::new();
        for f in &raw.chapters.formats {
            match f.parse::<Format>() {
                Ok(Format::Notes) => {
                    diags.push(Diagnostic::error("chapters", find("formats"), "notes is not a chapter file format"))
                }
                Ok(Format::Json) => {}
                Ok(f) if !chapter_formats.contains(&f) => chapter_formats.push(f),
                Ok(_) => {}
                Err(e) => diags.push(Diagnostic::error("chapters", find("formats"), e.to_string())),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        match (title, author, description, language, base_url, category, timezone) {
            (
                Some((_, title)),
                Some((_, author)),
                Some((_, description)),
                Some((_, language)),
                Some((_, base_url)),
                Some(category),
                Some(timezone),
            ) => Ok(Show {
                title,
                author,
                description,
                language: language.to_ascii_lowercase(),
                explicit: raw.explicit,
                image: raw.image,
                base_url: if base_url.ends_with('/') { base_url } else { format!("{base_url}/") },
                link: raw.link,
                locked: raw.locked,
                copyright: raw.copyright,
                show_type: raw.show_type,
                category,
                more_categories,
                guid,
                owner,
                chapter_formats,
                timezone,
                podcast: raw.podcast,
                site: raw.site,
            }),
            _ => Err(diags),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://x.example\"\n[category]\nname = \"Technology\"\n";

    #[test]
    fn parses_the_sample_show() {
        let show = Show::parse(include_str!("../../episodes/podcast.toml"));
        let show = show.unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(show.category.name(), "Technology");
        assert_eq!(show.chapter_formats, vec![Format::Psc, Format::Vtt, Format::Text]);
    }

    #[test]
    fn reports_bad_category_and_url_with_lines() {
        let bad = OK.replace("Technology", "Tech").replace("https://x.example", "x.example");
        let d = Show::parse(&bad).err().map(|e| e.diagnostics).unwrap_or_default();
        let s: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(
            s[0].starts_with("7:8: error: \"Tech\" is not an Apple Podcasts category (did you mean: Technology?)"),
            "{s:?}"
        );
        assert!(s[1].starts_with("5:12: error: base_url must be"), "{s:?}");
    }

    #[test]
    fn every_missing_field_is_reported_in_one_run() {
        let d =
            Show::parse("explicit = false\n[owner]\nname = \"A\"\n").err().map(|e| e.diagnostics).unwrap_or_default();
        let s: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(
            s,
            [
                "1:1: error: podcast.toml has no `title`; add a line like title = \"My Show\"",
                "1:1: error: podcast.toml has no `author`; add a line like author = \"Your Name\"",
                "1:1: error: podcast.toml has no `description`; add a line like description = \"What the show is about\"",
                "1:1: error: podcast.toml has no `language`; add a line like language = \"en\"",
                "1:1: error: podcast.toml has no `base_url`; add a line like base_url = \"https://example.com/podcast/\"",
                "1:1: error: podcast.toml has no `category`; add a line like [category] followed by name = \"Technology\"",
                "2:1: error: podcast.toml has no `owner.email`; add a line like email = \"you@example.com\" under [owner]",
            ]
        );
    }

    #[test]
    fn missing_and_invalid_fields_are_reported_together_at_their_values() {
        let text = "title = \"T\"\nlanguage = \"en au\"\nbase_url = \"x.example\"\ntimezone = \"Australia/Sydney\"\n[category]\nsub = \"Books\"\n";
        let d = Show::parse(text).err().map(|e| e.diagnostics).unwrap_or_default();
        let s: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(
            s,
            [
                "1:1: error: podcast.toml has no `author`; add a line like author = \"Your Name\"",
                "1:1: error: podcast.toml has no `description`; add a line like description = \"What the show is about\"",
                "5:1: error: podcast.toml has no `category.name`; add a line like name = \"Technology\" under [category]",
                "3:12: error: base_url must be an absolute http(s) URL: \"x.example\"",
                "2:12: error: language must be a language tag such as en or en-au: \"en au\"",
                "4:12: error: timezone must be UTC or an offset such as +10:00 or -05:00 (IANA names such as Australia/Sydney are not read): \"Australia/Sydney\"",
            ]
        );
    }

    #[test]
    fn the_timezone_is_utc_unless_set() {
        let utc = Show::parse(OK).map(|s| s.timezone.local_minus_utc());
        assert_eq!(utc.ok(), Some(0));
        let syd = Show::parse(&OK.replace("[category]", "timezone = \"+10:00\"\n[category]"));
        assert_eq!(syd.map(|s| s.timezone.local_minus_utc()).ok(), Some(36_000));
        assert_eq!(parse_timezone("-05:30").map(|z| z.local_minus_utc()), Some(-19_800));
        for bad in ["", "10:00", "+24:00", "+1:00", "+10:60", "AEST"] {
            assert!(parse_timezone(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let d = Show::parse(&format!("{OK}colour = 1\n")).err().map(|e| e.diagnostics).unwrap_or_default();
        assert!(d[0].to_string().contains("unknown field `colour`"), "{:?}", d);
    }
}
