//! The show (channel) configuration, `episodes/podcast.toml`.
//!
//! Typed on the way in: the category is checked against Apple's table, the language is a language
//! tag, the base URL an absolute http(s) URL; unknown keys are errors with their line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, LineIndex, Location, quote};
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
    #[error("\"{sub}\" is not a subcategory of \"{name}\" (expected one of: {})", one_of(expected))]
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

fn one_of(subs: &[String]) -> String {
    if subs.is_empty() { "none; it has no subcategories".to_owned() } else { subs.join(", ") }
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
    /// Apple category.
    pub category: Category,
    /// Feed owner.
    pub owner: Option<Owner>,
    /// Chapter formats written by `podmark build` besides JSON.
    pub chapter_formats: Vec<Format>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShow {
    title: String,
    author: String,
    description: String,
    language: String,
    #[serde(default)]
    explicit: bool,
    image: Option<String>,
    base_url: String,
    link: Option<String>,
    #[serde(default = "yes")]
    locked: bool,
    copyright: Option<String>,
    #[serde(default, rename = "type")]
    show_type: ShowType,
    category: RawCategory,
    owner: Option<Owner>,
    #[serde(default)]
    chapters: RawChapters,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    name: String,
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
        let find = |needle: &str| text.find(needle).map(|i| Location::from(index.position(i)));
        let category = Category::new(&raw.category.name, raw.category.sub.as_deref())
            .map_err(|e| diags.push(Diagnostic::error("category", find("[category]"), e.to_string())))
            .ok();
        if !(raw.base_url.starts_with("https://") || raw.base_url.starts_with("http://")) {
            diags.push(Diagnostic::error(
                "base-url",
                find("base_url"),
                format!("base_url must be an absolute http(s) URL: {}", quote(&raw.base_url)),
            ));
        }
        let lang_ok = !raw.language.is_empty()
            && raw
                .language
                .split('-')
                .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !lang_ok {
            diags.push(Diagnostic::error(
                "language",
                find("language"),
                format!("language must be a language tag such as en or en-au: {}", quote(&raw.language)),
            ));
        }
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
        match category {
            Some(category) if diags.is_empty() => Ok(Show {
                title: raw.title,
                author: raw.author,
                description: raw.description,
                language: raw.language.to_ascii_lowercase(),
                explicit: raw.explicit,
                image: raw.image,
                base_url: if raw.base_url.ends_with('/') { raw.base_url } else { format!("{}/", raw.base_url) },
                link: raw.link,
                locked: raw.locked,
                copyright: raw.copyright,
                show_type: raw.show_type,
                category,
                owner: raw.owner,
                chapter_formats,
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
            s[0].starts_with("6:1: error: \"Tech\" is not an Apple Podcasts category (did you mean: Technology?)"),
            "{s:?}"
        );
        assert!(s[1].starts_with("5:1: error: base_url must be"), "{s:?}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let d = Show::parse(&format!("{OK}colour = 1\n")).err().map(|e| e.diagnostics).unwrap_or_default();
        assert!(d[0].to_string().contains("unknown field `colour`"), "{:?}", d);
    }
}
