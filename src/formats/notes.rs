//! Show notes: Markdown or plain text with chapter lines anywhere, and optional TOML front matter.
//!
//! A **chapter line** is a line whose first thing (after an optional bullet `•` `-` `*` `+` `·` or
//! a numbered-list marker `1.`) is a timestamp with at least one colon, optionally in brackets or
//! parentheses, followed by a separator (space, ` - `, ` – `, ` — `, `: `, ` | `) and the title:
//!
//! ```text
//!   • 00:23:20.151 Technology as Forcing Function
//! - [12:30] - Germans and Car Analogies
//! 3. (1:02:45) | [Rise of The Machine](https://example.com/machine)
//! ```
//!
//! The title-first form with the time in brackets at the end of the line works too:
//! `- Intro (00:00)`. A Markdown link as the whole title gives the chapter its URL, and so does a
//! trailing `<https://…>` (Podlove's mp4chaps dialect). Lines inside fenced code blocks are never
//! chapters. Everything that is not a chapter line stays the episode description.
//!
//! Front matter is TOML between two `+++` lines at the very top (see [`EpisodeMeta`]). TOML was
//! chosen over YAML because the well-kept YAML crates are deprecated or unsound (`DESIGN.md`).
//!
//! ```
//! let notes = podmark::formats::notes::parse("Intro text.\n\n  • 00:00:00.000 Intro\n  • 00:00:15.856 Episode Intro\n");
//! assert_eq!(notes.entries.len(), 2);
//! assert_eq!(notes.entries[1].chapter.start.as_millis(), 15_856);
//! assert_eq!(notes.description, "Intro text.");
//! ```

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, LineIndex, Location, Position, quote};
use crate::formats::{Entry, Parsed};
use crate::sources::episode::EpisodeMeta;
use crate::{Chapter, Timestamp};

/// Parsed show notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShowNotes {
    /// The front matter, when present and valid.
    pub meta: Option<EpisodeMeta>,
    /// The notes without front matter and chapter lines, outer blank lines trimmed.
    pub description: String,
    /// Chapter lines in the order written.
    pub entries: Vec<Entry>,
    /// Every problem found (bad timestamps, bad front matter).
    pub diagnostics: Vec<Diagnostic>,
}

impl ShowNotes {
    /// The chapter part, for the format-generic API.
    pub fn into_parsed(self) -> Parsed {
        Parsed {
            title: self.meta.as_ref().and_then(|m| m.title.clone()),
            entries: self.entries,
            diagnostics: self.diagnostics,
            duration: None,
        }
    }
}

/// A chapter line recognised by [`scan_line`]. Ranges are byte ranges within the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterLine<'a> {
    /// The timestamp text as written (without brackets).
    pub time_text: &'a str,
    /// Where the timestamp text is.
    pub time_range: Range<usize>,
    /// The parsed timestamp, or why it is not one.
    pub time: Result<Timestamp, crate::TimestampError>,
    /// The title (Markdown link text when the title was a link).
    pub title: &'a str,
    /// Where the title is.
    pub title_range: Range<usize>,
    /// A URL from a Markdown link title or a trailing `<url>`.
    pub url: Option<&'a str>,
}

static TIME_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^\s*(?:(?:[•\-*+·▪◦‣]|\d{1,4}[.)])\s+)?",
        r"(?:\[(?P<tb>\d+(?::\d{2}){1,2}(?:[.,]\d+)?)\]|\((?P<tp>\d+(?::\d{2}){1,2}(?:[.,]\d+)?)\)|(?P<t>\d+(?::\d{2}){1,2}(?:[.,]\d+)?))",
        r"(?:\s*[-–—|:]\s+|\s*[-–—|]\s*|\s+|$)(?P<title>.*?)\s*$"
    ))
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static TIME_LAST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^\s*(?:(?:[•\-*+·▪◦‣]|\d{1,4}[.)])\s+)?(?P<title>\S.*?)\s*(?:[-–—|:]\s*)?",
        r"(?:\[(?P<tb>\d+(?::\d{2}){1,2}(?:[.,]\d+)?)\]|\((?P<tp>\d+(?::\d{2}){1,2}(?:[.,]\d+)?)\))\s*$"
    ))
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static MD_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+[^)]*)?\)$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static ANGLE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<text>.*?)\s*<(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]+)>$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Recognises one chapter line, or returns `None` for any other line.
///
/// ```
/// use podmark::formats::notes::scan_line;
/// let l = scan_line("  • 00:23:20.151 Technology as Forcing Function").unwrap();
/// assert_eq!(l.title, "Technology as Forcing Function");
/// assert_eq!(l.time.unwrap().as_millis(), 1_400_151);
/// assert!(scan_line("2016 was a good year").is_none());
/// ```
pub fn scan_line(line: &str) -> Option<ChapterLine<'_>> {
    let caps = TIME_FIRST.captures(line).or_else(|| TIME_LAST.captures(line))?;
    let time_m = caps.name("t").or_else(|| caps.name("tb")).or_else(|| caps.name("tp"))?;
    let title_m = caps.name("title")?;
    let mut title = title_m.as_str();
    let mut title_range = title_m.range();
    let mut url = None;
    if let Some(link) = MD_LINK.captures(title) {
        if let (Some(text), Some(u)) = (link.name("text"), link.name("url")) {
            url = Some(u.as_str());
            title_range = title_range.start + text.start()..title_range.start + text.end();
            title = text.as_str();
        }
    } else if let Some(link) = ANGLE_URL.captures(title)
        && let (Some(text), Some(u)) = (link.name("text"), link.name("url"))
    {
        url = Some(u.as_str());
        title_range = title_range.start..title_range.start + text.end();
        title = text.as_str();
    }
    Some(ChapterLine {
        time_text: time_m.as_str(),
        time_range: time_m.range(),
        time: time_m.as_str().parse(),
        title: title.trim(),
        title_range,
        url,
    })
}

impl ChapterLine<'_> {
    /// The chapter this line describes, as an [`Entry`] with positions on line `line_no` of
    /// `line`, or the error diagnostic for its bad timestamp.
    pub(crate) fn to_entry(&self, line: &str, line_no: usize) -> Result<Entry, Diagnostic> {
        let col = |byte: usize| line.get(..byte).map_or(1, |s| s.chars().count() + 1);
        match &self.time {
            Ok(start) => {
                let mut chapter = Chapter::new(*start, self.title);
                chapter.url = self.url.map(str::to_owned);
                Ok(Entry {
                    chapter,
                    at: Position::new(line_no, col(self.time_range.start)),
                    title_at: Position::new(line_no, col(self.title_range.start)),
                    source: line.trim().to_owned(),
                })
            }
            Err(e) => Err(Diagnostic::error(
                "timestamp",
                Location::from(Position::new(line_no, col(self.time_range.start + e.offset()))),
                format!("{e}, in chapter line {}", quote(line.trim())),
            )),
        }
    }
}

/// Parses show notes. Never panics; problems are collected in [`ShowNotes::diagnostics`].
pub fn parse(input: &str) -> ShowNotes {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let index = LineIndex::new(input);
    let mut notes = ShowNotes::default();
    let (body_start, meta) = front_matter(input, &index, &mut notes.diagnostics);
    notes.meta = meta;

    let mut description: Vec<&str> = Vec::new();
    let mut fence: Option<&str> = None;
    let first_line = index.position(body_start).line;
    for (n, raw) in input[body_start..].split('\n').enumerate() {
        let line_no = first_line + n;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            description.push(line);
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            description.push(line);
            continue;
        }
        let Some(m) = scan_line(line) else {
            description.push(line);
            continue;
        };
        match m.to_entry(line, line_no) {
            Ok(entry) => notes.entries.push(entry),
            Err(d) => notes.diagnostics.push(d),
        }
    }
    notes.description = trim_blank_lines(&description);
    notes
}

fn trim_blank_lines(lines: &[&str]) -> String {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..=b].join("\n"),
        _ => String::new(),
    }
}

/// Splits off `+++` TOML front matter. Returns the byte offset where the body starts.
fn front_matter(input: &str, index: &LineIndex<'_>, diags: &mut Vec<Diagnostic>) -> (usize, Option<EpisodeMeta>) {
    let first = input.lines().next().unwrap_or("");
    if first.trim_end() != "+++" {
        if first.trim_end() == "---" {
            diags.push(Diagnostic::warning(
                "front-matter",
                Position::new(1, 1),
                "YAML front matter (---) is not read; podmark reads TOML front matter between +++ lines",
            ));
        }
        return (0, None);
    }
    let toml_start = input.find('\n').map_or(input.len(), |i| i + 1);
    let mut pos = toml_start;
    let mut close = None;
    for line in input[toml_start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            close = Some((pos, pos + line.len()));
            break;
        }
        pos += line.len();
    }
    let Some((toml_end, body_start)) = close else {
        diags.push(Diagnostic::error(
            "front-matter",
            Position::new(1, 1),
            "front matter opened with +++ is never closed",
        ));
        return (input.len(), None);
    };
    let toml_text = &input[toml_start..toml_end];
    match toml::from_str::<EpisodeMeta>(toml_text) {
        Ok(meta) => (body_start, Some(meta)),
        Err(e) => {
            let at = e.span().map_or(toml_start, |s| toml_start + s.start);
            let mut msg = e.message().trim().to_owned();
            if let Some(span) = e.span() {
                let bad = toml_text.get(span).unwrap_or("").lines().next().unwrap_or("");
                if !bad.is_empty() {
                    msg = format!("{msg}: {}", quote(bad));
                }
            }
            diags.push(Diagnostic::error(
                "front-matter",
                Location::from(index.position(at)),
                format!("front matter: {msg}"),
            ));
            (body_start, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> (u64, String, Option<String>) {
        let m = scan_line(line);
        let m = m.as_ref();
        (
            m.and_then(|m| m.time.clone().ok()).map_or(u64::MAX, Timestamp::as_millis),
            m.map(|m| m.title.to_owned()).unwrap_or_default(),
            m.and_then(|m| m.url.map(str::to_owned)),
        )
    }

    #[test]
    fn every_bullet_and_separator() {
        for line in [
            "00:01:02 Title",
            "• 00:01:02 Title",
            "- 00:01:02 - Title",
            "* 00:01:02 – Title",
            "+ 00:01:02 — Title",
            "1. 00:01:02: Title",
            "12) 00:01:02 | Title",
            "[00:01:02] Title",
            "(1:02) Title",
            "  - [1:02] Title",
            "- Title (1:02)",
            "Title [00:01:02]",
            "1:02 - Title",
            "1:02-Title",
        ] {
            assert_eq!(one(line), (62_000, "Title".to_owned(), None), "{line}");
        }
    }

    #[test]
    fn links_become_urls() {
        assert_eq!(one("- 00:10 [Docs](https://e.com/x)"), (10_000, "Docs".into(), Some("https://e.com/x".into())));
        assert_eq!(one("00:10 Docs <https://e.com>"), (10_000, "Docs".into(), Some("https://e.com".into())));
    }

    #[test]
    fn milliseconds_are_not_title_text() {
        // The rssblue `chapters` crate reads this as 00:23:20 "151 Technology …".
        assert_eq!(
            one("00:23:20.151 Technology as Forcing Function"),
            (1_400_151, "Technology as Forcing Function".into(), None)
        );
    }

    #[test]
    fn prose_is_not_a_chapter() {
        for line in ["2016 was a year", "Version 1.2 is out", "Call at 5pm", "1. First point", "$180 million", ""] {
            assert!(scan_line(line).is_none(), "{line}");
        }
    }

    #[test]
    fn bad_timestamps_are_reported_with_position() {
        let n = parse("text\n- 1:75 Bad\n- 00:61:00 Worse\n");
        let msgs: Vec<String> = n.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].starts_with("2:5: error: invalid timestamp \"1:75\""), "{msgs:?}");
        assert!(msgs[1].starts_with("3:6: error: invalid timestamp \"00:61:00\""), "{msgs:?}");
    }

    #[test]
    fn front_matter_is_read_and_errors_have_lines() {
        let n = parse("+++\ntitle = \"Ep\"\nepisode = 20\ndate = 2016-09-15T09:00:00+10:00\n+++\nBody\n00:00 Intro\n");
        assert_eq!(n.meta.as_ref().and_then(|m| m.title.as_deref()), Some("Ep"));
        assert_eq!(n.entries[0].at, Position::new(7, 1));
        assert_eq!(n.description, "Body");
        let n = parse("+++\ntitle = \"Ep\"\nepisod = 20\n+++\n");
        assert_eq!(n.diagnostics.len(), 1);
        assert!(
            n.diagnostics[0].to_string().starts_with("3:1: error: front matter: unknown field `episod`"),
            "{}",
            n.diagnostics[0]
        );
        let n = parse("+++\ndate = 2016-09-15T09:00:00\n+++\n");
        assert!(n.diagnostics[0].to_string().contains("needs a date, a time and a zone"), "{}", n.diagnostics[0]);
    }

    #[test]
    fn code_fences_are_skipped() {
        let n = parse("```\n00:00 not a chapter\n```\n00:01 Yes\n");
        assert_eq!(n.entries.len(), 1);
    }
}
