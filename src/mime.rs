//! The one MIME table: what podmark calls every file it probes, publishes, serves or checks.
//!
//! Two questions, one table:
//! - **which enclosure type does this audio get?** [`Mime`], decided by the probe from the bytes
//!   (an audio-only MP4 is `audio/x-m4a` whatever its brand: the spelling Apple accepts);
//! - **which `Content-Type` does this file get?** [`content_type`], from the file name, used by
//!   `podmark serve` and `podmark publish`. For audio it answers from [`Mime::from_extension`],
//!   and `podmark build` names every audio copy with its type's extension ([`Mime::extension`]),
//!   so the feed, the server and the bucket always say the same thing.
//!
//! ```
//! use podmark::mime::{Mime, content_type};
//! assert_eq!(Mime::from_extension("opus"), Some(Mime::AudioOpus));
//! assert_eq!(content_type("audio/020.opus"), "audio/opus");
//! assert_eq!(content_type("audio/020.m4b"), Mime::AudioXM4a.as_str());
//! assert!(Mime::AudioXM4a.apple_accepts() && !Mime::AudioOgg.apple_accepts());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The MIME type of an RSS `<enclosure>`. Serialized as the MIME string (`"audio/mpeg"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mime {
    /// `audio/mpeg` (MP3, MP2).
    AudioMpeg,
    /// `audio/x-m4a`: audio-only MP4 (`.m4a`, `.m4b`, or any other brand), Apple's spelling.
    AudioXM4a,
    /// `audio/mp4`: the IANA spelling of the same thing. podmark never writes it (Apple rejects
    /// it) but reads it in other feeds, where it means the same as [`Mime::AudioXM4a`].
    AudioMp4,
    /// `video/mp4`: an MP4 file with a video track (other than chapter images).
    VideoMp4,
    /// `audio/ogg`: Ogg Vorbis (and Ogg FLAC).
    AudioOgg,
    /// `audio/opus`: Ogg Opus.
    AudioOpus,
    /// `audio/flac`.
    AudioFlac,
    /// `audio/wav`.
    AudioWav,
}

/// Every enclosure type with its string, its canonical extension, the other extensions that map
/// to it, and whether Apple Podcasts accepts it. The one place these facts live.
const ENCLOSURES: [(Mime, &str, &str, &[&str], bool); 8] = [
    (Mime::AudioMpeg, "audio/mpeg", "mp3", &["mp2", "mpga"], true),
    (Mime::AudioXM4a, "audio/x-m4a", "m4a", &["m4b", "m4p"], true),
    (Mime::AudioMp4, "audio/mp4", "m4a", &[], false),
    (Mime::VideoMp4, "video/mp4", "mp4", &[], true),
    (Mime::AudioOgg, "audio/ogg", "ogg", &["oga"], false),
    (Mime::AudioOpus, "audio/opus", "opus", &[], false),
    (Mime::AudioFlac, "audio/flac", "flac", &[], false),
    (Mime::AudioWav, "audio/wav", "wav", &[], false),
];

/// Every enclosure type Apple Podcasts accepts, including the ones podmark does not produce.
pub const APPLE_ENCLOSURE_TYPES: [&str; 6] =
    ["audio/x-m4a", "audio/mpeg", "video/quicktime", "video/mp4", "video/x-m4v", "application/pdf"];

/// Content types of the other files a podcast folder holds, by extension.
const OTHER_FILES: [(&str, &str); 20] = [
    ("xml", "application/rss+xml; charset=utf-8"),
    ("rss", "application/rss+xml; charset=utf-8"),
    ("json", "application/json"),
    ("vtt", "text/vtt"),
    ("srt", "application/x-subrip"),
    ("aac", "audio/aac"),
    ("m4v", "video/x-m4v"),
    ("mov", "video/quicktime"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("gif", "image/gif"),
    ("svg", "image/svg+xml"),
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/plain; charset=utf-8"),
];

impl Mime {
    /// Every value, for tests and documentation.
    pub const ALL: [Mime; 8] = [
        Mime::AudioMpeg,
        Mime::AudioXM4a,
        Mime::AudioMp4,
        Mime::VideoMp4,
        Mime::AudioOgg,
        Mime::AudioOpus,
        Mime::AudioFlac,
        Mime::AudioWav,
    ];

    const fn row(self) -> &'static (Mime, &'static str, &'static str, &'static [&'static str], bool) {
        &ENCLOSURES[self as usize]
    }

    /// The MIME string.
    pub const fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The extension a file of this type is published with (`mp3`, `m4a`, `opus`, …).
    pub const fn extension(self) -> &'static str {
        self.row().2
    }

    /// Whether Apple Podcasts accepts this enclosure type.
    pub const fn apple_accepts(self) -> bool {
        self.row().4
    }

    /// The type named by a MIME string (`audio/mpeg`, any case, parameters ignored).
    pub fn from_mime_type(mime: &str) -> Option<Mime> {
        let mime = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        ENCLOSURES.iter().find(|row| row.1 == mime).map(|row| row.0)
    }

    /// The type a file named with this extension (any case, no dot) is published as.
    pub fn from_extension(ext: &str) -> Option<Mime> {
        let ext = ext.to_ascii_lowercase();
        ENCLOSURES
            .iter()
            .find(|(m, _, canonical, others, _)| {
                *m != Mime::AudioMp4 && (*canonical == ext || others.contains(&ext.as_str()))
            })
            .map(|row| row.0)
    }

    /// Whether two types name the same media (`audio/mp4` and `audio/x-m4a` do).
    pub fn same_media(self, other: Mime) -> bool {
        let norm = |m: Mime| if m == Mime::AudioMp4 { Mime::AudioXM4a } else { m };
        norm(self) == norm(other)
    }
}

impl fmt::Display for Mime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not one of the MIME types in [`Mime`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown enclosure MIME type {0:?}")]
pub struct UnknownMime(pub String);

impl FromStr for Mime {
    type Err = UnknownMime;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mime::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| UnknownMime(s.to_owned()))
    }
}

impl Serialize for Mime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Mime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The `Content-Type` of a file in a built podcast folder, from its path relative to the folder
/// (`/`-separated). Audio gets its enclosure type; `chapters/*.json` gets
/// `application/json+chapters` (Podcasting 2.0); unknown files `application/octet-stream`.
///
/// ```
/// use podmark::mime::content_type;
/// assert_eq!(content_type("feed.xml"), "application/rss+xml; charset=utf-8");
/// assert_eq!(content_type("chapters/020-ep.json"), "application/json+chapters");
/// assert_eq!(content_type("data.json"), "application/json");
/// assert_eq!(content_type("audio/ep1.M4A"), "audio/x-m4a");
/// assert_eq!(content_type("chapters/020-ep.psc.xml"), "application/xml");
/// ```
pub fn content_type(rel: &str) -> &'static str {
    let lower = rel.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let in_chapters = lower.split('/').rev().nth(1) == Some("chapters");
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if let Some(m) = Mime::from_extension(ext) {
        return m.as_str();
    }
    match ext {
        "xml" if name.ends_with(".psc.xml") => "application/xml",
        "json" if in_chapters || name.ends_with(".chapters.json") => "application/json+chapters",
        "cue" | "ffmetadata" => "text/plain; charset=utf-8",
        _ => OTHER_FILES.iter().find(|(e, _)| *e == ext).map_or("application/octet-stream", |(_, t)| t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_strings_round_trip() {
        for m in Mime::ALL {
            assert_eq!(m.as_str().parse::<Mime>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.as_str()));
            assert_eq!(serde_json::from_str::<Mime>(&json).unwrap(), m);
        }
        assert!("audio/m4a".parse::<Mime>().is_err());
    }

    #[test]
    fn table_rows_are_in_enum_order() {
        for (i, m) in Mime::ALL.into_iter().enumerate() {
            assert_eq!(ENCLOSURES[i].0, m);
        }
    }

    #[test]
    fn the_extension_of_every_written_type_maps_back_to_it() {
        for m in Mime::ALL.into_iter().filter(|m| *m != Mime::AudioMp4) {
            assert_eq!(Mime::from_extension(m.extension()), Some(m));
            assert_eq!(content_type(&format!("audio/x.{}", m.extension())), m.as_str());
        }
    }

    #[test]
    fn apple_accepts_exactly_its_listed_types() {
        for m in Mime::ALL {
            assert_eq!(m.apple_accepts(), APPLE_ENCLOSURE_TYPES.contains(&m.as_str()), "{m}");
        }
    }

    #[test]
    fn opus_is_audio_opus_everywhere() {
        assert_eq!(content_type("audio/a.opus"), "audio/opus");
        assert_eq!(content_type("audio/a.ogg"), "audio/ogg");
        assert!(Mime::AudioMp4.same_media(Mime::AudioXM4a));
        assert!(!Mime::AudioOgg.same_media(Mime::AudioOpus));
    }
}
