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

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

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

/// An episode type that is not `full`, `trailer` or `bonus`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown episode type \"{0}\" (expected full, trailer or bonus)")]
pub struct UnknownEpisodeType(pub String);

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
    /// Publication date and time, with its zone (a TOML offset date-time or an RFC 3339 string).
    #[serde(default, with = "date_with_zone")]
    pub date: Option<DateTime<FixedOffset>>,
    /// Explicit content.
    pub explicit: Option<bool>,
    /// The audio file, relative to the episode folder.
    pub audio: Option<PathBuf>,
    /// Episode artwork: a path relative to the episode folder, or a URL.
    pub image: Option<String>,
    /// A GUID for the feed item; `podmark build` assigns and locks one when absent.
    pub guid: Option<String>,
    /// A one-line summary.
    pub summary: Option<String>,
}

mod date_with_zone {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        let text = match Raw::deserialize(d)? {
            Raw::Toml(dt) => {
                if dt.date.is_none() || dt.time.is_none() || dt.offset.is_none() {
                    return Err(serde::de::Error::custom(format!(
                        "date {dt} needs a date, a time and a zone, like 2016-09-15T09:00:00+10:00"
                    )));
                }
                dt.to_string()
            }
            Raw::Text(s) => s,
        };
        DateTime::parse_from_rfc3339(&text).map(Some).map_err(|e| {
            serde::de::Error::custom(format!(
                "date \"{text}\" is not an RFC 3339 date-time with zone ({e}); write it like 2016-09-15T09:00:00+10:00"
            ))
        })
    }

    #[allow(clippy::ref_option)]
    pub(super) fn serialize<S: Serializer>(v: &Option<DateTime<FixedOffset>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_rfc3339()),
            None => s.serialize_none(),
        }
    }
}
