//! Episode metadata, as written in the TOML front matter of an episode's show notes.
//!
//! ```text
//! +++
//! title = "The Eigencast 020: Containers With Red Hat's Lars Herrmann"
//! episode = 20
//! season = 1
//! episode_type = "full"          # full | trailer | bonus
//! date = 2016-09-15T09:00:00+10:00
//! explicit = false
//! audio = "episode.mp3"
//! image = "cover.jpg"
//! guid = "eigencast-020"
//! summary = "Justin talks to Lars Herrmann about containers."
//! +++
//! ```

use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Position, quote};

/// The kind of episode, as Apple's `itunes:episodeType` defines it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EpisodeType {
    /// A normal episode.
    #[default]
    Full,
    /// A short promotional piece.
    Trailer,
    /// Extra content.
    Bonus,
}

impl EpisodeType {
    /// The feed spelling: `full`, `trailer` or `bonus`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EpisodeType::Full => "full",
            EpisodeType::Trailer => "trailer",
            EpisodeType::Bonus => "bonus",
        }
    }
}

impl fmt::Display for EpisodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not `full`, `trailer` or `bonus`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown episode type \"{0}\" (expected full, trailer or bonus)")]
pub struct UnknownEpisodeType(pub String);

impl FromStr for EpisodeType {
    type Err = UnknownEpisodeType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(EpisodeType::Full),
            "trailer" => Ok(EpisodeType::Trailer),
            "bonus" => Ok(EpisodeType::Bonus),
            other => Err(UnknownEpisodeType(other.to_owned())),
        }
    }
}

/// An episode's metadata from its front matter. Every field is optional in the file; the feed
/// builder says which ones it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeMeta {
    /// Episode title.
    pub title: Option<String>,
    /// Episode number (`itunes:episode`), from 1.
    pub episode: Option<NonZeroU32>,
    /// Season number (`itunes:season`), from 1.
    pub season: Option<NonZeroU32>,
    /// Full, trailer or bonus.
    #[serde(default)]
    pub episode_type: EpisodeType,
    /// Publication date: a TOML offset date-time or an RFC 3339 string keeps its zone; a local
    /// date-time or a date alone (midnight) is in the show's `timezone` (see [`PubDate::in_zone`]).
    #[serde(default, with = "date_with_zone")]
    pub date: Option<PubDate>,
    /// Explicit content.
    pub explicit: Option<bool>,
    /// The audio file, relative to the episode folder.
    pub audio: Option<PathBuf>,
    /// Audio hosted elsewhere (`[enclosure]`: url, length, type, duration), written into the
    /// feed as it is, without probing or network access. `podmark import` writes it for an
    /// episode whose audio stays on its old host; `audio` (a local file) wins when both are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<RemoteEnclosure>,
    /// Episode artwork: a path relative to the episode folder, or a URL.
    pub image: Option<String>,
    /// A GUID for the feed item; `podmark build` assigns and locks one when absent.
    pub guid: Option<String>,
    /// A one-line summary.
    pub summary: Option<String>,
    /// The episode's web page (`<link>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Podcasting 2.0 tags for this episode (`[[podcast.person]]`, `[[podcast.soundbite]]`, …).
    #[serde(default, skip_serializing_if = "crate::sources::podcast_ns::ItemTags::is_empty")]
    pub podcast: crate::sources::podcast_ns::ItemTags,
}

/// Audio hosted elsewhere, as an episode's `[enclosure]` table records it.
///
/// ```text
/// [enclosure]
/// url = "https://old-host.example/ep1.mp3"
/// length = 12345678
/// type = "audio/mpeg"
/// duration = 3723        # whole seconds, optional
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RemoteEnclosure {
    /// Absolute http(s) URL of the audio.
    pub url: String,
    /// Byte length, as the feed published it.
    pub length: u64,
    /// MIME type (`audio/mpeg`).
    #[serde(rename = "type")]
    pub mime: String,
    /// Duration in whole seconds (`itunes:duration`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
}

impl RemoteEnclosure {
    /// A remote enclosure.
    pub fn new(url: impl Into<String>, length: u64, mime: impl Into<String>, duration: Option<u64>) -> Self {
        RemoteEnclosure { url: url.into(), length, mime: mime.into(), duration }
    }

    /// What is wrong with it, if anything: a URL that is not absolute http(s), or an empty type.
    pub fn problem(&self) -> Option<String> {
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) {
            return Some(format!("enclosure url must be an absolute http(s) URL: {}", quote(&self.url)));
        }
        if !self.mime.contains('/') {
            return Some(format!("enclosure type must be a MIME type such as audio/mpeg: {}", quote(&self.mime)));
        }
        None
    }
}

/// An episode's publication date as written: with its own zone, or local to the show's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PubDate {
    /// A date-time with an explicit offset, such as `2016-09-15T09:00:00+10:00`.
    Zoned(DateTime<FixedOffset>),
    /// A date-time without zone (`2026-12-01T09:00:00`), or a date alone (`2026-12-01`, midnight).
    Local(NaiveDateTime),
}

impl PubDate {
    /// The date-time, a [`PubDate::Local`] one taken in `zone` (the show's time zone).
    ///
    /// ```
    /// # use podmark::sources::episode::PubDate;
    /// # use chrono::{FixedOffset, NaiveDate};
    /// let midnight = NaiveDate::from_ymd_opt(2026, 12, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap();
    /// let zone = FixedOffset::east_opt(10 * 3600).unwrap();
    /// assert_eq!(PubDate::Local(midnight).in_zone(zone).to_rfc3339(), "2026-12-01T00:00:00+10:00");
    /// ```
    pub fn in_zone(self, zone: FixedOffset) -> DateTime<FixedOffset> {
        match self {
            PubDate::Zoned(d) => d,
            // A fixed offset has no gaps or folds: the local time maps to exactly one instant.
            PubDate::Local(n) => n.and_local_timezone(zone).single().unwrap_or_else(|| n.and_utc().fixed_offset()),
        }
    }
}

mod date_with_zone {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
    use serde::{Deserialize, Deserializer, Serializer};

    use super::PubDate;

    const EXAMPLE: &str =
        "like 2016-09-15T09:00:00+10:00, 2016-09-15T09:00:00 or 2016-09-15 (the last two in the show's timezone)";

    /// A TOML date-time as a [`PubDate`]: with offset, local date-time, or local date (midnight).
    fn from_toml(dt: &toml::value::Datetime) -> Result<PubDate, String> {
        let Some(d) = dt.date else {
            return Err(format!("date {dt} has no day; write it {EXAMPLE}"));
        };
        let day = NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day));
        let Some(day) = day else {
            return Err(format!("date {dt} is not a calendar day"));
        };
        match (dt.time, dt.offset) {
            (None, _) => Ok(PubDate::Local(day.and_time(NaiveTime::MIN))),
            (Some(_), Some(_)) => DateTime::parse_from_rfc3339(&dt.to_string())
                .map(PubDate::Zoned)
                .map_err(|e| format!("date {dt} is not an RFC 3339 date-time ({e}); write it {EXAMPLE}")),
            (Some(_), None) => NaiveDateTime::parse_from_str(&dt.to_string(), "%Y-%m-%dT%H:%M:%S%.f")
                .map(PubDate::Local)
                .map_err(|e| format!("date {dt} is not a date-time ({e}); write it {EXAMPLE}")),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PubDate>, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Toml(dt) => from_toml(&dt).map(Some).map_err(serde::de::Error::custom),
            Raw::Text(text) => match DateTime::parse_from_rfc3339(&text) {
                Ok(d) => Ok(Some(PubDate::Zoned(d))),
                Err(e) => match text.parse::<toml::value::Datetime>() {
                    Ok(dt) if dt.date.is_some() => from_toml(&dt).map(Some).map_err(serde::de::Error::custom),
                    _ => Err(serde::de::Error::custom(format!(
                        "date \"{text}\" is not an RFC 3339 date-time with zone ({e}); write it {EXAMPLE}"
                    ))),
                },
            },
        }
    }

    #[allow(clippy::ref_option)]
    pub(super) fn serialize<S: Serializer>(v: &Option<PubDate>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(PubDate::Zoned(d)) => s.serialize_str(&d.to_rfc3339()),
            Some(PubDate::Local(n)) => s.serialize_str(&n.format("%Y-%m-%dT%H:%M:%S").to_string()),
            None => s.serialize_none(),
        }
    }
}

/// The largest `episode.md` podmark reads: 1 MiB. Show notes are a few kilobytes; a larger file is
/// a mistake (a pasted transcript, a binary), and would make a feed that apps refuse.
pub const MAX_NOTES_BYTES: usize = 1 << 20;

/// An error when `bytes` (an `episode.md`) is larger than [`MAX_NOTES_BYTES`], at the line and
/// column of the first byte past the limit.
pub fn check_size(bytes: &[u8]) -> Option<Diagnostic> {
    if bytes.len() <= MAX_NOTES_BYTES {
        return None;
    }
    let head = bytes.get(..MAX_NOTES_BYTES).unwrap_or(bytes);
    let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(head.get(line_start..).unwrap_or_default()).chars().count() + 1;
    Some(Diagnostic::error(
        "notes-too-large",
        Position::new(line, column),
        format!(
            "episode.md is {} bytes; podmark reads at most {MAX_NOTES_BYTES} bytes (1 MiB) of show notes, and this is where the limit falls",
            bytes.len()
        ),
    ))
}

pub use crate::validate::is_forbidden_control;

/// An error at the line and column of every forbidden control character in `text` (see
/// [`is_forbidden_control`]); after 20, one more error says how many were left out.
pub fn check_controls(text: &str) -> Vec<Diagnostic> {
    const SHOWN: usize = 20;
    let mut out = Vec::new();
    let mut more = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        for (col, c) in line.chars().enumerate().filter(|(_, c)| is_forbidden_control(*c)) {
            if out.len() == SHOWN {
                more += 1;
                continue;
            }
            out.push(Diagnostic::error(
                "control-character",
                Position::new(n + 1, col + 1),
                format!(
                    "control character U+{:04X} in {}; podmark allows no control characters but tab and line breaks",
                    c as u32,
                    quote(line.trim())
                ),
            ));
        }
    }
    if more > 0 {
        out.push(Diagnostic::error("control-character", None, format!("{more} more control characters")));
    }
    out
}

/// Where `key = …` is written in the TOML front matter of `notes` (line and column of the key), if
/// it is written on a line of its own there.
pub fn front_matter_key(notes: &str, key: &str) -> Option<Position> {
    let mut lines = notes.split('\n').enumerate();
    if lines.next().map(|(_, l)| l.trim_end()) != Some("+++") {
        return None;
    }
    for (n, line) in lines {
        if line.trim_end() == "+++" {
            return None;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(Position::new(n + 1, line.len() - trimmed.len() + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_over_1_mib_are_an_error_where_the_limit_falls() {
        assert!(check_size(&vec![b'a'; MAX_NOTES_BYTES]).is_none());
        let mut big = b"+++\n+++\n".to_vec();
        big.resize(MAX_NOTES_BYTES + 10, b'x');
        let d = check_size(&big).unwrap();
        assert_eq!(
            d.to_string(),
            format!(
                "3:{}: error: episode.md is {} bytes; podmark reads at most 1048576 bytes (1 MiB) of show notes, and this is where the limit falls",
                MAX_NOTES_BYTES - 8 + 1,
                MAX_NOTES_BYTES + 10
            )
        );
    }

    #[test]
    fn control_characters_are_errors_at_their_line_and_column() {
        let d = check_controls("ok\ttab\r\n• 00:01 Intro\u{1}x\n");
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "2:14: error: control character U+0001 in \"• 00:01 Intro\\u{1}x\"; podmark allows no control characters but tab and line breaks"
        );
        assert_eq!(check_controls(&"\u{7}".repeat(25)).len(), 21);
    }

    fn date(toml: &str) -> Result<Option<PubDate>, String> {
        toml::from_str::<EpisodeMeta>(toml).map(|m| m.date).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn a_date_without_zone_is_taken_in_the_show_zone() {
        let syd = FixedOffset::east_opt(10 * 3600).unwrap();
        let at = |t: &str| date(t).unwrap().map(|d| d.in_zone(syd).to_rfc3339());
        assert_eq!(at("date = 2026-12-01").as_deref(), Some("2026-12-01T00:00:00+10:00"));
        assert_eq!(at("date = 2026-12-01T09:00:00").as_deref(), Some("2026-12-01T09:00:00+10:00"));
        assert_eq!(at("date = \"2026-12-01\"").as_deref(), Some("2026-12-01T00:00:00+10:00"));
        // An explicit offset is kept, whatever the show's zone.
        assert_eq!(at("date = 2016-09-15T09:00:00-05:00").as_deref(), Some("2016-09-15T09:00:00-05:00"));
        assert_eq!(at("date = \"2016-09-15T09:00:00Z\"").as_deref(), Some("2016-09-15T09:00:00+00:00"));
        assert!(date("date = \"next tuesday\"").unwrap_err().contains("is not an RFC 3339 date-time with zone"));
    }

    #[test]
    fn finds_front_matter_keys() {
        let notes = "+++\ntitle = \"x\"\n  episode=20\n+++\nepisode = 3\n";
        assert_eq!(front_matter_key(notes, "episode"), Some(Position::new(3, 3)));
        assert_eq!(front_matter_key(notes, "season"), None);
        assert_eq!(front_matter_key("episode = 1\n", "episode"), None);
    }
}
