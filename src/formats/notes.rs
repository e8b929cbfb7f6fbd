//! Show notes: Markdown or plain text with chapter lines, and optional TOML front matter.
//!
//! # Chapter lines
//!
//! A **chapter-like line** has a timestamp (at least one colon: `1:02`, `00:01:02.500`) at its
//! start or its end, after an optional bullet (`-` `*` `+` `•` `·` `–` `▪` `◦` `‣` `►` `▶` `→`) or
//! list number (`1.` `1)`):
//!
//! ```text
//!   • 00:23:20.151 Technology as Forcing Function     time first, any separator: space - – — | : • ·
//! - [12:30] - Germans and Car Analogies               [time] or (time)
//! - [12:00](https://example.com/t=720) Title          linked time: the link is the chapter's URL
//! **00:00** Intro                                     bold, italic or `code` time, or a bold line
//! 00:00 - 05:00 Intro                                 a range: the start counts
//! 01:00 [Rise of The Machine](https://example.com)    a link as the title: its URL, its text
//! 00:00:00.000 Intro <https://example.com>            Podlove's mp4chaps dialect
//! - Intro (00:00)    Intro [00:00]                    time last, in brackets
//! Intro - 00:00      Intro | 00:00                    time last after a separator
//! ```
//!
//! Whether such a line **is** a chapter depends on its neighbours, so that prose stays prose:
//!
//! - a list item (bulleted or numbered) is a chapter on its own, except the bare `Title - 00:00`
//!   form, which needs company;
//! - otherwise a line is a chapter only in a **block**: two or more chapter-like lines together
//!   (blank lines between lines of the same form do not break a block), or notes that hold
//!   nothing but chapter-like lines;
//! - an `H:MM` time followed by `am`, `pm`, `a.m.`, `Uhr` or `o'clock` is a clock time, never a
//!   chapter (`12:30 pm on Friday we go live`), and a time inside a sentence (`at 10:00 we…`) is
//!   not at the start or end of the line;
//! - lines inside fenced code blocks are never chapters.
//!
//! Titles are plain text: Markdown emphasis, code and links are reduced to their text, and a
//! title holding exactly one link (or a linked time) gives the chapter that link's URL. Everything
//! that is not a chapter stays the episode description, and [`ShowNotes::chapter_list`] records
//! where the chapter lines stood so the feed can show the list there.
//!
//! Front matter is TOML between two `+++` lines at the very top (see [`EpisodeMeta`]). TOML was
//! chosen over YAML because the well-kept YAML crates are deprecated or unsound (`DESIGN.md`).
//!
//! ```
//! let notes = podmark::formats::notes::parse("Intro text.\n\n  • 00:00:00.000 Intro\n  • 00:00:15.856 Episode Intro\n");
//! assert_eq!(notes.entries.len(), 2);
//! assert_eq!(notes.entries[1].chapter.start.as_millis(), 15_856);
//! assert_eq!(notes.description, "Intro text.");
//! let prose = podmark::formats::notes::parse("News.\n12:30 pm on Friday we go live.\n10:00 we start.\n");
//! assert!(prose.entries.is_empty());
//! ```

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag};
use regex::Regex;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, LineIndex, Location, Position, quote};
use crate::formats::{Entry, Parsed};
use crate::sources::episode::EpisodeMeta;
use crate::{Chapter, Timestamp};

/// What chapter lines look like, for the "no chapters found" message of the readers that find
/// chapter lines among prose (show notes and description blocks).
pub const CHAPTER_LINE_FORMS: &str = "chapter lines look like `- 00:00 Intro` or `1. 00:00 Intro` in a list, \
or two or more lines together like `00:00 Intro`, `[00:00](url) Intro`, `**00:00** Intro`, `Intro (00:00)` \
or `Intro - 00:00`";

/// Parsed show notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShowNotes {
    /// The front matter, when present and valid.
    pub meta: Option<EpisodeMeta>,
    /// The notes without front matter and chapter lines, outer blank lines trimmed.
    pub description: String,
    /// Where the chapter lines stood in [`ShowNotes::description`], when there were any.
    pub chapter_list: Option<ChapterListPlace>,
    /// Chapter lines in the order written.
    pub entries: Vec<Entry>,
    /// Every problem found (bad timestamps, bad front matter).
    pub diagnostics: Vec<Diagnostic>,
}

/// Where the (first) chapter lines stood in the notes, so the chapter list can be shown there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChapterListPlace {
    /// Byte offset in the description: the start of the line that followed the chapter lines, or
    /// the description's length when nothing followed them.
    pub offset: usize,
    /// The notes introduce the list themselves: the last non-blank line before it is a Markdown
    /// heading, a bold line or a line ending in a colon (`Chapters:`).
    pub introduced: bool,
}

impl ShowNotes {
    /// The chapter part, for the format-generic API.
    pub fn into_parsed(self) -> Parsed {
        Parsed {
            title: self.meta.as_ref().and_then(|m| m.title.clone()),
            entries: self.entries,
            diagnostics: self.diagnostics,
            duration: None,
            forms_hint: Some(CHAPTER_LINE_FORMS),
        }
    }
}

/// How a chapter-like line is written; decides whether it may stand alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LineForm {
    /// The time first: `00:00 Intro`, `[00:00] Intro`, `**00:00** Intro`, `[00:00](url) Intro`.
    TimeFirst,
    /// The time last, in brackets: `Intro (00:00)`, `Intro [00:00]`.
    TimeLastBracketed,
    /// The time last after a separator: `Intro - 00:00`. Needs other chapter lines around it.
    TimeLastBare,
}

/// A chapter-like line recognised by [`scan_line`]. Ranges are byte ranges within the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterLine<'a> {
    /// The timestamp text as written (without brackets).
    pub time_text: &'a str,
    /// Where the timestamp text is.
    pub time_range: Range<usize>,
    /// The parsed timestamp, or why it is not one.
    pub time: Result<Timestamp, crate::TimestampError>,
    /// The title as plain text (Markdown emphasis, code and links reduced to their text).
    pub title: String,
    /// Where the title is, as written.
    pub title_range: Range<usize>,
    /// The URL of the title's one link, of a trailing `<url>`, or of a linked time.
    pub url: Option<String>,
    /// The line is a list item (bulleted or numbered).
    pub listed: bool,
    /// How the line is written.
    pub form: LineForm,
}

const BULLETS: &[char] = &['•', '-', '*', '+', '·', '▪', '◦', '‣', '–', '►', '▶', '→'];
const SEPARATORS: &[char] = &['-', '–', '—', '|', '•', '·'];
const WRAPPERS: [&str; 5] = ["**", "__", "*", "_", "`"];

static ANGLE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<text>.*?)\s*<(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]+)>$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// The length of the timestamp at the start of `s`: digits, one or two `:dd` groups, an optional
/// fraction, and then no letter, digit or colon.
fn time_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    while digit(i) {
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let mut groups = 0;
    while groups < 2 && b.get(i) == Some(&b':') && digit(i + 1) && digit(i + 2) && !digit(i + 3) {
        i += 3;
        groups += 1;
    }
    if groups == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && digit(i + 1) {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    match s.get(i..)?.chars().next() {
        Some(c) if c.is_alphanumeric() => None,
        Some(':') if digit(i + 1) => None,
        _ => Some(i),
    }
}

/// A timestamp token starting at byte `at` of `s`.
struct Token {
    time: Range<usize>,
    end: usize,
    url: Option<Range<usize>>,
    /// An emphasis opened before the time and not closed after it (`**00:00 Intro**`).
    open: Option<&'static str>,
}

/// `[time](url)`, `[time]`, `(time)` or a bare time at byte `at`.
fn plain_token(s: &str, at: usize) -> Option<Token> {
    let r = s.get(at..)?;
    let (open, close) = match r.chars().next()? {
        '[' => (1, ']'),
        '(' => (1, ')'),
        _ => {
            let n = time_len(r)?;
            return Some(Token { time: at..at + n, end: at + n, url: None, open: None });
        }
    };
    let n = time_len(&r[open..])?;
    if !r[open + n..].starts_with(close) {
        return None;
    }
    let time = at + open..at + open + n;
    let mut end = at + open + n + 1;
    let mut url = None;
    if close == ']'
        && let Some(dest) = s[end..].strip_prefix('(')
        && let Some((u, len)) = link_destination(dest)
    {
        url = Some(end + 1 + u.start..end + 1 + u.end);
        end += 1 + len;
    }
    Some(Token { time, end, url, open: None })
}

/// The URL range and total length (through the closing parenthesis) of a Markdown link
/// destination, given the text after `(`.
fn link_destination(s: &str) -> Option<(Range<usize>, usize)> {
    if let Some(rest) = s.strip_prefix('<') {
        let close = rest.find('>')?;
        let after = rest[close + 1..].find(')')?;
        return Some((1..1 + close, 1 + close + 1 + after + 1));
    }
    let mut depth = 0usize;
    let mut url_end = None;
    for (i, c) in s.char_indices() {
        match c {
            '(' if url_end.is_none() => depth += 1,
            ')' if depth > 0 && url_end.is_none() => depth -= 1,
            ')' => return (url_end.unwrap_or(i) > 0).then(|| (0..url_end.unwrap_or(i), i + 1)),
            c if c.is_whitespace() && url_end.is_none() => url_end = Some(i),
            _ => {}
        }
    }
    None
}

/// A time token with an optional emphasis wrapper, and an optional range (`00:00 - 05:00`).
fn time_token(s: &str, at: usize) -> Option<Token> {
    let r = s.get(at..)?;
    let mut tok = WRAPPERS
        .iter()
        .find_map(|w| {
            r.strip_prefix(w)?;
            let t = plain_token(s, at + w.len())?;
            Some(if s[t.end..].starts_with(w) {
                Token { end: t.end + w.len(), ..t }
            } else {
                Token { open: Some(w), ..t }
            })
        })
        .or_else(|| plain_token(s, at))?;
    // A range: the second time is skipped.
    let after = &s[tok.end..];
    let trimmed = after.trim_start();
    if let Some(c) = trimmed.chars().next().filter(|c| matches!(c, '-' | '–' | '—')) {
        let second_at = tok.end + (after.len() - trimmed.len()) + c.len_utf8();
        let second_at = second_at + (s[second_at..].len() - s[second_at..].trim_start().len());
        if let Some(second) = plain_token(s, second_at) {
            tok.end = second.end;
        }
    }
    Some(tok)
}

/// A clock time rather than a chapter start: `H:MM` (hour 0–24) followed by `am`, `pm`,
/// `a.m.`, `p.m.`, `Uhr`, `hrs` or `o'clock` (case as usually written: `AM` and `am`, not `aM`).
fn is_clock_time(time: &str, title: &str) -> bool {
    let Some((h, m)) = time.split_once(':') else { return false };
    if m.len() != 2 || h.len() > 2 || h.parse::<u32>().map_or(true, |h| h > 24) {
        return false;
    }
    starts_with_clock_word(title)
}

/// Whether `title` begins with a word that makes the time before it a clock time (`am`, `p.m.`,
/// `Uhr`, `o'clock`…): the reader's rule, shared with the writers' round-trip tests.
pub(crate) fn starts_with_clock_word(title: &str) -> bool {
    let word = title.split_whitespace().next().unwrap_or("").trim_end_matches([',', ';', '!', '?', ')']);
    matches!(
        word,
        "am" | "pm"
            | "AM"
            | "PM"
            | "a.m."
            | "p.m."
            | "A.M."
            | "P.M."
            | "a.m"
            | "p.m"
            | "Uhr"
            | "uhr"
            | "hrs"
            | "o'clock"
            | "o’clock"
    )
}

/// The start of the title after a time token ending at `end`: a separator or whitespace must
/// come first.
fn title_start(s: &str, end: usize) -> Option<usize> {
    let rest = &s[end..];
    let t = rest.trim_start();
    let ws = rest.len() - t.len();
    if t.is_empty() {
        return Some(s.len());
    }
    let c = t.chars().next()?;
    let skip_ws = |i: usize| i + (s[i..].len() - s[i..].trim_start().len());
    if SEPARATORS.contains(&c) && (ws > 0 || matches!(c, '-' | '–' | '—' | '|')) {
        return Some(skip_ws(end + ws + c.len_utf8()));
    }
    if c == ':' && t[1..].starts_with(char::is_whitespace) {
        return Some(skip_ws(end + ws + 1));
    }
    (ws > 0).then_some(end + ws)
}

/// Strips a bullet or list number at byte `at`; returns where the rest starts.
fn list_marker(s: &str, at: usize) -> Option<usize> {
    let r = &s[at..];
    let c = r.chars().next()?;
    let after = if BULLETS.contains(&c) {
        at + c.len_utf8()
    } else {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=4).contains(&digits) || !matches!(r.as_bytes().get(digits), Some(b'.' | b')')) {
            return None;
        }
        at + digits + 1
    };
    let rest = &s[after..];
    let t = rest.trim_start();
    (t.len() < rest.len()).then(|| after + rest.len() - t.len())
}

/// Recognises one chapter-like line, or returns `None` for any other line. Whether a chapter-like
/// line is a chapter depends on the lines around it: see [`chapter_lines`].
///
/// ```
/// use podmark::formats::notes::scan_line;
/// let l = scan_line("  • 00:23:20.151 Technology as Forcing Function").unwrap();
/// assert_eq!(l.title, "Technology as Forcing Function");
/// assert_eq!(l.time.unwrap().as_millis(), 1_400_151);
/// let l = scan_line("[12:00](https://example.com/t) **The** talk").unwrap();
/// assert_eq!((l.title.as_str(), l.url.as_deref()), ("The talk", Some("https://example.com/t")));
/// assert!(scan_line("2016 was a good year").is_none());
/// assert!(scan_line("12:30 pm on Friday we go live").is_none());
/// ```
pub fn scan_line(line: &str) -> Option<ChapterLine<'_>> {
    let at = line.len() - line.trim_start().len();
    let (at, listed) = match list_marker(line, at) {
        Some(i) => (i, true),
        None => (at, false),
    };
    time_first(line, at, listed).or_else(|| time_last(line, at, listed))
}

fn time_first(line: &str, at: usize, listed: bool) -> Option<ChapterLine<'_>> {
    let tok = time_token(line, at)?;
    let start = title_start(line, tok.end)?;
    let mut end = line.trim_end().len().max(start);
    if let Some(w) = tok.open {
        // `**00:00 Intro**`: the wrapper closes at the end of the line.
        if !line[start..end].ends_with(w) {
            return None;
        }
        end -= w.len();
    }
    let raw = line[start..end].trim_end();
    if is_clock_time(&line[tok.time.clone()], raw) {
        return None;
    }
    let (title, url) = plain_title(raw);
    Some(ChapterLine {
        time_text: &line[tok.time.clone()],
        time: line[tok.time.clone()].parse(),
        time_range: tok.time,
        title,
        title_range: start..start + raw.len(),
        url: url.or_else(|| tok.url.map(|u| line[u].to_owned())),
        listed,
        form: LineForm::TimeFirst,
    })
}

fn time_last(line: &str, at: usize, listed: bool) -> Option<ChapterLine<'_>> {
    let body_end = line.trim_end().len();
    let body = line.get(at..body_end)?;
    let (time, title_end, form) = if let Some(open) = match body.chars().last()? {
        ')' => body.rfind('('),
        ']' => body.rfind('['),
        _ => None,
    } {
        let inner = &body[open + 1..body.len() - 1];
        if time_len(inner)? != inner.len() {
            return None;
        }
        (at + open + 1..at + open + 1 + inner.len(), at + open, LineForm::TimeLastBracketed)
    } else {
        let last = body.char_indices().rev().find(|(_, c)| c.is_whitespace()).map(|(i, c)| i + c.len_utf8())?;
        let word = &body[last..];
        let (inner_at, inner) = WRAPPERS
            .iter()
            .find_map(|w| Some((last + w.len(), word.strip_prefix(w)?.strip_suffix(w)?)))
            .unwrap_or((last, word));
        if time_len(inner)? != inner.len() {
            return None;
        }
        let before = body[..last].trim_end();
        if !before.ends_with(SEPARATORS) {
            return None;
        }
        (at + inner_at..at + inner_at + inner.len(), at + before.len(), LineForm::TimeLastBare)
    };
    let raw = line[at..title_end].trim_end().trim_end_matches(|c| SEPARATORS.contains(&c) || c == ':').trim_end();
    if raw.is_empty() || time_len(raw).is_some() {
        return None;
    }
    let (title, url) = plain_title(raw);
    Some(ChapterLine {
        time_text: &line[time.clone()],
        time: line[time.clone()].parse(),
        time_range: time,
        title,
        title_range: at..at + raw.len(),
        url,
        listed,
        form,
    })
}

/// A title as plain text, and the URL of its one link or trailing `<url>`.
fn plain_title(raw: &str) -> (String, Option<String>) {
    let (raw, mut url) = match ANGLE_URL.captures(raw) {
        Some(c) => match (c.name("text"), c.name("url")) {
            (Some(t), Some(u)) => (t.as_str(), Some(u.as_str().to_owned())),
            _ => (raw, None),
        },
        None => (raw, None),
    };
    if !raw.contains(['*', '_', '[', '`', '<', '&', '\\', '~', '!']) {
        return (raw.trim().to_owned(), url);
    }
    // "x " first keeps a title such as `1. Intro` or `# 1` from being read as a block.
    let marked = format!("x {raw}");
    let mut text = String::new();
    let mut links = Vec::new();
    for event in Parser::new_ext(&marked, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) | Event::Html(t) | Event::InlineMath(t) => {
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.into_string()),
            _ => {}
        }
    }
    if url.is_none() && links.len() == 1 {
        url = links.pop();
    }
    let title = text.strip_prefix("x ").unwrap_or(&text).trim().to_owned();
    (title, url)
}

impl ChapterLine<'_> {
    /// The chapter this line describes, as an [`Entry`] with positions on line `line_no` of
    /// `line`, or the error diagnostic for its bad timestamp.
    pub(crate) fn to_entry(&self, line: &str, line_no: usize) -> Result<Entry, Diagnostic> {
        let col = |byte: usize| line.get(..byte).map_or(1, |s| s.chars().count() + 1);
        match &self.time {
            Ok(start) => {
                let mut chapter = Chapter::new(*start, self.title.as_str());
                chapter.url = self.url.clone();
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

/// The chapter lines among `lines` (each without its line break), with their indexes, following
/// the block rules of this module: list items, two or more chapter-like lines together, or
/// nothing but chapter-like lines. Lines inside fenced code blocks are skipped.
pub fn chapter_lines<'a>(lines: &[&'a str]) -> Vec<(usize, ChapterLine<'a>)> {
    let mut fence: Option<&str> = None;
    let mut found: Vec<Option<ChapterLine<'a>>> = Vec::with_capacity(lines.len());
    for line in lines {
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            found.push(None);
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = trimmed.get(..3);
            found.push(None);
            continue;
        }
        found.push(scan_line(line));
    }
    let blank = |i: usize| lines[i].trim().is_empty();
    let only_chapters = found.iter().any(Option::is_some) && (0..lines.len()).all(|i| blank(i) || found[i].is_some());
    let mut keep = vec![only_chapters; lines.len()];
    if !only_chapters {
        // Runs of chapter-like lines: adjacent, or across blank lines when written alike.
        let mut run: Vec<usize> = Vec::new();
        let flush = |run: &mut Vec<usize>, keep: &mut Vec<bool>| {
            let alone = |i: usize| found[i].as_ref().is_some_and(|l| l.listed && l.form != LineForm::TimeLastBare);
            for &i in run.iter() {
                keep[i] = run.len() >= 2 || alone(i);
            }
            run.clear();
        };
        for i in 0..lines.len() {
            let Some(l) = &found[i] else {
                if !blank(i) {
                    flush(&mut run, &mut keep);
                }
                continue;
            };
            if let Some(&prev) = run.last() {
                let p = found[prev].as_ref();
                let alike = p.is_some_and(|p| p.listed == l.listed && p.form == l.form);
                if prev + 1 != i && !alike {
                    flush(&mut run, &mut keep);
                }
            }
            run.push(i);
        }
        flush(&mut run, &mut keep);
    }
    found.into_iter().enumerate().filter_map(|(i, l)| l.filter(|_| keep[i]).map(|l| (i, l))).collect()
}

/// Parses show notes. Never panics; problems are collected in [`ShowNotes::diagnostics`].
pub fn parse(input: &str) -> ShowNotes {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let index = LineIndex::new(input);
    let mut notes = ShowNotes::default();
    let (body_start, meta) = front_matter(input, &index, &mut notes.diagnostics);
    notes.meta = meta;

    let first_line = index.position(body_start).line;
    let lines: Vec<&str> = input[body_start..].split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let chapters = chapter_lines(&lines);
    let mut description: Vec<&str> = Vec::with_capacity(lines.len());
    let mut list_at = None;
    let mut next = chapters.iter().peekable();
    for (i, line) in lines.iter().enumerate() {
        match next.peek() {
            Some((n, m)) if *n == i => {
                list_at.get_or_insert(description.len());
                match m.to_entry(line, first_line + i) {
                    Ok(entry) => notes.entries.push(entry),
                    Err(d) => notes.diagnostics.push(d),
                }
                next.next();
            }
            _ => description.push(line),
        }
    }
    let (text, place) = trim_blank_lines(&description, list_at);
    notes.description = text;
    notes.chapter_list = place;
    notes
}

/// A line that introduces the list after it: a Markdown heading, a bold line or a line ending in a colon.
fn introduces_list(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('#')
        || t.ends_with(':')
        || t.ends_with(":**")
        || (t.len() > 4 && ((t.starts_with("**") && t.ends_with("**")) || (t.starts_with("__") && t.ends_with("__"))))
}

/// The lines joined without outer blank lines, and where line `list_at` (if any) then starts.
fn trim_blank_lines(lines: &[&str], list_at: Option<usize>) -> (String, Option<ChapterListPlace>) {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let (Some(a), Some(b)) = (first, last) else {
        return (String::new(), list_at.map(|_| ChapterListPlace::default()));
    };
    let text = lines[a..=b].join("\n");
    let place = list_at.map(|k| {
        let offset = if k <= a {
            0
        } else if k > b {
            text.len()
        } else {
            lines[a..k].iter().map(|l| l.len() + 1).sum()
        };
        let introduced = lines[..k].iter().rev().find(|l| !l.trim().is_empty()).is_some_and(|l| introduces_list(l));
        ChapterListPlace { offset, introduced }
    });
    (text, place)
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
                // Unless the message already shows the value (the Podcasting 2.0 types quote it).
                if !bad.is_empty() && !msg.contains(&quote(bad.trim_matches('"'))) {
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
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn never_panics(s in "[0-9:.,\\[\\]()*_`<>!&\\\\ \\-–•|\n\tax#é\u{2006}]{0,80}", t in "\\PC{0,80}") {
            let _ = parse(&s);
            let _ = parse(&t);
            let _ = parse(&format!("- 0:{t}\n00:00 {s}\n"));
        }
    }

    fn one(line: &str) -> (u64, String, Option<String>) {
        let m = scan_line(line);
        let m = m.as_ref();
        (
            m.and_then(|m| m.time.clone().ok()).map_or(u64::MAX, Timestamp::as_millis),
            m.map(|m| m.title.to_owned()).unwrap_or_default(),
            m.and_then(|m| m.url.clone()),
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
        let n =
            parse("+++\ntitle = \"Ep\"\nepisode = 20\ndate = 2016-09-15T09:00:00+10:00\n+++\nBody\n- 00:00 Intro\n");
        assert_eq!(n.meta.as_ref().and_then(|m| m.title.as_deref()), Some("Ep"));
        assert_eq!(n.entries[0].at, Position::new(7, 3));
        assert_eq!(n.description, "Body");
        let n = parse("+++\ntitle = \"Ep\"\nepisod = 20\n+++\n");
        assert_eq!(n.diagnostics.len(), 1);
        assert!(
            n.diagnostics[0].to_string().starts_with("3:1: error: front matter: unknown field `episod`"),
            "{}",
            n.diagnostics[0]
        );
        let n = parse("+++\ndate = 09:00:00\n+++\n");
        assert_eq!(
            n.diagnostics[0].to_string(),
            "2:8: error: front matter: date 09:00:00 has no day; write it like 2016-09-15T09:00:00+10:00, 2016-09-15T09:00:00 or 2016-09-15 (the last two in the show's timezone): \"09:00:00\""
        );
    }

    #[test]
    fn code_fences_are_skipped() {
        let n = parse("```\n00:00 not a chapter\n00:01 nor this\n```\n- 00:01 Yes\n");
        assert_eq!(n.entries.len(), 1);
    }
}
