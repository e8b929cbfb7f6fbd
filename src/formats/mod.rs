//! Chapter file formats: one module per format, each with `read(&str) -> Parsed` and
//! `write(&Chapters, &WriteOptions) -> Result<String, WriteError>`.
//!
//! [`Format`] ties them together: detection from a file name or the content, reading with
//! positions for diagnostics, and writing. Every reader reports **all** the problems it finds as
//! [`Diagnostic`]s with line and column; it never panics on any input.
//!
//! Show notes ([`notes`]: Markdown with chapter lines and TOML front matter) are a chapter format
//! too: [`Format::Notes`] reads them; the feed builder also uses their description and front matter.
//!
//! ```
//! use podmark::formats::{Format, WriteOptions};
//!
//! let parsed = Format::Text.read("00:00:00.000 Intro\n00:01:30.500 Talk\n");
//! let chapters = parsed.into_chapters()?;
//! let json = Format::Json.write(&chapters, &WriteOptions::default())?;
//! assert!(json.contains("\"startTime\": 90.5"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Location, ParseError, Position};
use crate::{Chapter, Chapters, Timestamp};

pub mod audacity;
pub mod cue;
pub mod description;
pub mod ffmetadata;
pub mod json;
pub mod notes;
pub mod psc;
pub mod text;
pub mod vtt;

/// A chapter format podmark reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// Show notes (Markdown or plain text with chapter lines, optional TOML front matter).
    /// Read only: writing gives the [`Format::Text`] list.
    Notes,
    /// Plain list `HH:MM:SS.mmm Title`, compatible with `mp4chaps` (and Podlove's `<url>` suffix).
    Text,
    /// Podcasting 2.0 JSON chapters 1.2.0.
    Json,
    /// Podlove Simple Chapters XML.
    Psc,
    /// WebVTT chapters.
    Vtt,
    /// FFmpeg's FFMETADATA1.
    Ffmetadata,
    /// CUE sheet (75 frames per second).
    Cue,
    /// Audacity label track.
    Audacity,
    /// A YouTube description block.
    Youtube,
    /// A Spotify description block.
    Spotify,
    /// An Apple Podcasts description block.
    Apple,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 11] = [
        Format::Notes,
        Format::Text,
        Format::Json,
        Format::Psc,
        Format::Vtt,
        Format::Ffmetadata,
        Format::Cue,
        Format::Audacity,
        Format::Youtube,
        Format::Spotify,
        Format::Apple,
    ];

    /// The formats `write` produces (everything but [`Format::Notes`]).
    pub const WRITABLE: [Format; 10] = [
        Format::Text,
        Format::Json,
        Format::Psc,
        Format::Vtt,
        Format::Ffmetadata,
        Format::Cue,
        Format::Audacity,
        Format::Youtube,
        Format::Spotify,
        Format::Apple,
    ];

    /// The name used on the command line (`text`, `json`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Format::Notes => "notes",
            Format::Text => "text",
            Format::Json => "json",
            Format::Psc => "psc",
            Format::Vtt => "vtt",
            Format::Ffmetadata => "ffmetadata",
            Format::Cue => "cue",
            Format::Audacity => "audacity",
            Format::Youtube => "youtube",
            Format::Spotify => "spotify",
            Format::Apple => "apple",
        }
    }

    /// The usual file extension for this format's files.
    pub const fn extension(self) -> &'static str {
        match self {
            Format::Notes => "md",
            Format::Text => "chapters.txt",
            Format::Json => "json",
            Format::Psc => "psc.xml",
            Format::Vtt => "vtt",
            Format::Ffmetadata => "ffmetadata.txt",
            Format::Cue => "cue",
            Format::Audacity => "labels.txt",
            Format::Youtube => "youtube.txt",
            Format::Spotify => "spotify.txt",
            Format::Apple => "apple.txt",
        }
    }

    /// The MIME type to serve this format's files with.
    pub const fn mime(self) -> &'static str {
        match self {
            Format::Json => "application/json+chapters",
            Format::Psc => "application/xml",
            Format::Vtt => "text/vtt",
            Format::Notes => "text/markdown; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        }
    }

    /// Guesses the format from a file name, or `None` when the name says nothing.
    ///
    /// ```
    /// # use podmark::formats::Format;
    /// assert_eq!(Format::from_path("ep.chapters.json"), Some(Format::Json));
    /// assert_eq!(Format::from_path("episode.md"), Some(Format::Notes));
    /// assert_eq!(Format::from_path("x.psc.xml"), Some(Format::Psc));
    /// assert_eq!(Format::from_path("chapters.txt"), None); // ask the content
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Option<Format> {
        let name = path.as_ref().file_name()?.to_str()?.to_ascii_lowercase();
        let ends = |s: &str| name.ends_with(s);
        Some(if ends(".json") {
            Format::Json
        } else if ends(".psc") || ends(".psc.xml") || ends(".xml") {
            Format::Psc
        } else if ends(".vtt") {
            Format::Vtt
        } else if ends(".cue") {
            Format::Cue
        } else if ends(".md") || ends(".markdown") {
            Format::Notes
        } else if ends(".ffmetadata") || ends(".ffmetadata.txt") || ends(".ffmeta") || ends(".meta") {
            Format::Ffmetadata
        } else if ends(".labels.txt") || ends(".audacity.txt") {
            Format::Audacity
        } else if ends(".youtube.txt") {
            Format::Youtube
        } else if ends(".spotify.txt") {
            Format::Spotify
        } else if ends(".apple.txt") {
            Format::Apple
        } else {
            return None;
        })
    }

    /// Guesses the format from the content (used when the file name says nothing).
    /// Falls back to [`Format::Notes`], which finds chapter lines in any text.
    pub fn detect(content: &str) -> Format {
        let body = content.trim_start_matches('\u{feff}').trim_start();
        let first_line = body.lines().next().unwrap_or("");
        if body.starts_with(";FFMETADATA") {
            Format::Ffmetadata
        } else if first_line.starts_with("WEBVTT") {
            Format::Vtt
        } else if body.starts_with('{') {
            Format::Json
        } else if body.starts_with('<') {
            Format::Psc
        } else if body.lines().any(|l| l.trim_start().starts_with("TRACK ") && l.contains("AUDIO"))
            || first_line.starts_with("FILE ")
        {
            Format::Cue
        } else if audacity::looks_like(body) {
            Format::Audacity
        } else if text::looks_like(body) {
            Format::Text
        } else {
            Format::Notes
        }
    }

    /// Reads chapters from text in this format. Never panics; all problems become diagnostics.
    pub fn read(self, input: &str) -> Parsed {
        let input = input.strip_prefix('\u{feff}').unwrap_or(input);
        match self {
            Format::Notes => crate::formats::notes::parse(input).into_parsed(),
            Format::Text => text::read(input),
            Format::Json => json::read(input),
            Format::Psc => psc::read(input),
            Format::Vtt => vtt::read(input),
            Format::Ffmetadata => ffmetadata::read(input),
            Format::Cue => cue::read(input),
            Format::Audacity => audacity::read(input),
            Format::Youtube | Format::Spotify | Format::Apple => description::read(input, self),
        }
    }

    /// Writes chapters in this format. [`Format::Notes`] writes the plain [`Format::Text`] list.
    pub fn write(self, chapters: &Chapters, options: &WriteOptions) -> Result<String, WriteError> {
        match self {
            Format::Notes | Format::Text => text::write(chapters, options),
            Format::Json => json::write(chapters, options),
            Format::Psc => psc::write(chapters, options),
            Format::Vtt => vtt::write(chapters, options),
            Format::Ffmetadata => ffmetadata::write(chapters, options),
            Format::Cue => cue::write(chapters, options),
            Format::Audacity => audacity::write(chapters, options),
            Format::Youtube | Format::Spotify | Format::Apple => description::write(chapters, options, self),
        }
    }

    /// The smallest time step this format can represent, in nanoseconds (its precision).
    pub const fn resolution_nanos(self) -> u64 {
        match self {
            Format::Ffmetadata => 1,
            Format::Audacity | Format::Json => 1_000,
            Format::Cue => 13_333_334,
            Format::Youtube | Format::Spotify | Format::Apple => 1_000_000_000,
            _ => 1_000_000,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "md" | "markdown" | "shownotes" | "show-notes" => Some(Format::Notes),
            "txt" | "mp4chaps" | "native" => Some(Format::Text),
            "podcasting2" | "podcast" | "json-chapters" => Some(Format::Json),
            "podlove" | "xml" => Some(Format::Psc),
            "webvtt" => Some(Format::Vtt),
            "ffmeta" | "ffmpeg" => Some(Format::Ffmetadata),
            "labels" => Some(Format::Audacity),
            _ => None,
        };
        alias.or_else(|| Format::ALL.into_iter().find(|f| f.name() == lower)).ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// A format name that podmark does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown chapter format \"{0}\" (expected one of: notes, text, json, psc, vtt, ffmetadata, cue, audacity, youtube, spotify, apple)"
)]
pub struct UnknownFormat(pub String);

/// Document-level facts some formats carry (JSON `title`, CUE `TITLE`, FFMETADATA `title`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteOptions {
    /// Episode title.
    pub title: Option<String>,
    /// Podcast (show) name.
    pub podcast_name: Option<String>,
    /// Author or performer.
    pub author: Option<String>,
    /// The audio file's name (CUE `FILE`, JSON `fileName`).
    pub file_name: Option<String>,
}

/// A chapter as read from a source, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The chapter.
    pub chapter: Chapter,
    /// Where its start time was written.
    pub at: Position,
    /// Where its title was written (the same as `at` when the format has no separate place).
    pub title_at: Position,
    /// The source text of the entry (usually its line), for quoting in messages.
    pub source: String,
}

/// What a reader found: the entries in source order, document metadata and every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// Chapters in the order the source lists them (not yet checked).
    pub entries: Vec<Entry>,
    /// Problems found while reading; any error means the input is not usable as is.
    pub diagnostics: Vec<Diagnostic>,
    /// The audio duration, when the format records it (e.g. tone's `## total-duration`).
    pub duration: Option<Timestamp>,
    /// The document's title, when the format has one.
    pub title: Option<String>,
    /// What chapter lines look like, for readers that find them among prose (show notes and
    /// description blocks): added to the "no chapters found" message.
    #[serde(skip)]
    pub forms_hint: Option<&'static str>,
}

impl Parsed {
    /// "no chapters found", with what chapter lines look like when the format finds them among prose.
    pub fn no_chapters_message(&self) -> String {
        match self.forms_hint {
            Some(hint) => format!("no chapters found; {hint}"),
            None => "no chapters found".to_owned(),
        }
    }

    /// True if reading produced at least one error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The chapters, checked: any read error, any structural problem of the list (order,
    /// duplicates, overlaps), or a title with a control character other than tab or a line break,
    /// gives a [`ParseError`] holding every diagnostic with its position.
    pub fn into_chapters(self) -> Result<Chapters, ParseError> {
        let mut diags: Vec<Diagnostic> = self.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
        // The one control-character policy (see `validate::is_forbidden_control`): no writer gets a
        // title that PSC would strip and JSON keep.
        for e in &self.entries {
            if let Some(c) = e.chapter.title.chars().find(|&c| crate::validate::is_forbidden_control(c)) {
                diags.push(Diagnostic::error(
                    "control-characters",
                    Location::from(e.title_at),
                    format!(
                        "title contains the control character U+{:04X}; podmark allows none but tab and line breaks: {}",
                        c as u32,
                        crate::diagnostic::quote(&e.chapter.title)
                    ),
                ));
            }
        }
        let positions: Vec<(Position, String)> = self.entries.iter().map(|e| (e.at, e.source.clone())).collect();
        let list: Vec<Chapter> = self.entries.into_iter().map(|e| e.chapter).collect();
        let mut chapters = match Chapters::new(list) {
            Ok(c) => Some(c),
            Err(e) => {
                diags.extend(e.problems().iter().map(|p| {
                    let (at, src) = positions.get(p.index).cloned().unwrap_or((Position::new(1, 1), String::new()));
                    Diagnostic::error(
                        "chapters",
                        Location::from(at),
                        format!("{}: {}", p.kind, crate::diagnostic::quote(&src)),
                    )
                }));
                None
            }
        };
        if let Some(d) = self.duration
            && let Some(c) = chapters.take()
        {
            match c.clone().with_duration(d) {
                Ok(c) => chapters = Some(c),
                Err(e) => {
                    for p in e.problems() {
                        let (at, src) = positions.get(p.index).cloned().unwrap_or((Position::new(1, 1), String::new()));
                        diags.push(Diagnostic::error(
                            "beyond-duration",
                            Location::from(at),
                            format!("{}: {}", p.kind, crate::diagnostic::quote(&src)),
                        ));
                    }
                }
            }
        }
        match chapters {
            Some(c) if diags.is_empty() => Ok(c),
            _ => Err(ParseError::new(diags)),
        }
    }
}

/// Writes the text of a chapter file (what [`Format::write`] returns) to `path` atomically: the
/// bytes go to a temporary file in the same folder, which is fsynced and renamed over `path`, so an
/// existing file is never left half-written and keeps its permissions.
///
/// ```
/// use podmark::formats::{Format, WriteOptions, write_file};
///
/// let chapters = Format::Text.read("00:00 Intro\n01:30 Talk\n").into_chapters().map_err(|d| format!("{d:?}"))?;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("chapters.json");
/// write_file(&path, &Format::Json.write(&chapters, &WriteOptions::default())?)?;
/// assert!(std::fs::read_to_string(&path)?.contains("\"startTime\": 90"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    crate::fsutil::replace_atomically(path, |w| std::io::Write::write_all(w, text.as_bytes()))
}

/// Why chapters cannot be written in a format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write {format}: {message}")]
pub struct WriteError {
    /// The format being written.
    pub format: Format,
    /// What went wrong.
    pub message: String,
}

impl WriteError {
    /// A write error for `format`.
    pub fn new(format: Format, message: impl Into<String>) -> Self {
        WriteError { format, message: message.into() }
    }
}

/// A title on one line: control characters (tabs, line breaks, …) become spaces, runs of them
/// collapse to one, and the ends are trimmed. Writers of line-based formats call this.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_control() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out.trim().to_owned()
}

/// Quantizes every start (and explicit end) to `unit` nanoseconds, failing if two chapters would
/// then start at the same time. Writers of coarse formats call this first.
pub(crate) fn quantized_starts(chapters: &Chapters, unit: u64, format: Format) -> Result<Vec<u64>, WriteError> {
    let mut out: Vec<u64> = Vec::with_capacity(chapters.len());
    for (i, c) in chapters.iter().enumerate() {
        let q = c.start.round_to(unit);
        if let Some(&prev) = out.last()
            && q <= prev
        {
            let prev_c = &chapters.as_slice()[i - 1];
            return Err(WriteError::new(
                format,
                format!(
                    "chapters \"{}\" ({}) and \"{}\" ({}) fall on the same time at this format's precision",
                    prev_c.title, prev_c.start, c.title, c.start
                ),
            ));
        }
        out.push(q);
    }
    Ok(out)
}

/// Decodes a file's bytes as UTF-8 text (a UTF-8 byte-order mark is dropped). Invalid UTF-8, NUL
/// bytes or UTF-16 input give one error diagnostic with the byte offset.
pub fn decode_text(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Diagnostic::error(
            "encoding",
            Location::Byte { offset: 0 },
            "the file is UTF-16 (byte-order mark found); save it as UTF-8",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            "encoding",
            Location::Byte { offset: e.valid_up_to() as u64 },
            format!("invalid UTF-8 at byte {}: the file is not UTF-8 text", e.valid_up_to()),
        )
    })?;
    if let Some(nul) = text.find('\0') {
        return Err(Diagnostic::error(
            "encoding",
            Location::Byte { offset: nul as u64 },
            format!("NUL byte at byte {nul}: this looks like a binary file, not chapter text"),
        ));
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert!("mp3".parse::<Format>().is_err());
    }

    #[test]
    fn decode_rejects_binary_and_bad_utf8() {
        assert!(decode_text(b"ok\xff").is_err());
        assert!(decode_text(b"a\0b").is_err());
        assert!(decode_text(&[0xFF, 0xFE, b'a', 0]).is_err());
        assert_eq!(decode_text("\u{feff}x".as_bytes()).ok(), Some("x"));
    }
}

/// Shared helpers for the formats' tests.
#[cfg(test)]
pub(crate) mod testutil {
    use proptest::prelude::*;

    use super::Parsed;
    use crate::{Chapter, Chapters, Timestamp};

    /// A reader's diagnostics as printed (`line:col: severity: message`).
    pub(crate) fn diagnostics(p: &Parsed) -> Vec<String> {
        p.diagnostics.iter().map(ToString::to_string).collect()
    }

    /// A reader's diagnostics as `line:col code message`, for asserting the stable codes.
    pub(crate) fn coded_diagnostics(p: &Parsed) -> Vec<String> {
        p.diagnostics
            .iter()
            .map(|d| format!("{} {} {}", d.location.map(|l| l.to_string()).unwrap_or_default(), d.code, d.message))
            .collect()
    }

    /// Valid chapter lists: 1..=max chapters, starts strictly increasing on a grid of `unit_ns`
    /// (so a format with that precision can represent them exactly), gaps of 1..=600 units, titles
    /// drawn from `title_re` (a proptest regex), optional `url`s when `urls` is true.
    pub(crate) fn chapters(
        max: usize,
        unit_ns: u64,
        title_re: &'static str,
        urls: bool,
    ) -> impl Strategy<Value = Chapters> {
        prop::collection::vec((1u64..=600, title_re, proptest::option::of("[a-z]{1,8}")), 1..=max).prop_map(
            move |items| {
                let mut t = 0u64;
                let list: Vec<Chapter> = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, (gap, title, url))| {
                        if i > 0 {
                            t += gap * unit_ns;
                        }
                        let mut c = Chapter::new(Timestamp::from_nanos(t), title.trim().to_owned());
                        if urls {
                            c.url = url.map(|u| format!("https://example.com/{u}?a=1&b=2"));
                        }
                        c
                    })
                    .collect();
                Chapters::new(list).unwrap_or_default()
            },
        )
    }
}
