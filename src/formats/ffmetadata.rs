//! FFmpeg's FFMETADATA1 text format (`ffmpeg -i in.mp3 -f ffmetadata meta.txt`, and
//! `ffmpeg -i in.mp3 -i meta.txt -map_metadata 1 …` to embed chapters).
//!
//! ```text
//! ;FFMETADATA1
//! title=Episode 12
//! [CHAPTER]
//! TIMEBASE=1/1000
//! START=0
//! END=90500
//! title=Intro
//! ```
//!
//! # Precision and rounding
//!
//! Times are integers in units of the chapter's `TIMEBASE` (`num/den` seconds). The writer uses
//! `TIMEBASE=1/1000` when every start and end is a whole millisecond (the common case, and what
//! ffmpeg itself writes for MP3 and MP4 chapters), else `TIMEBASE=1/1000000000` for every chapter,
//! so nothing is ever rounded. The reader converts `value × num / den` seconds with exact integer
//! arithmetic (u128), rounding to the nearest nanosecond only when the time base does not divide a
//! second evenly.
//!
//! # Writer
//!
//! `;FFMETADATA1`, an optional global `title=` ([`WriteOptions::title`]), then one section per
//! chapter: `[CHAPTER]`, `TIMEBASE`, `START`, `END`, `title`, in the order ffmpeg requires (it
//! reads `TIMEBASE`, `START` and `END` positionally). ffmpeg needs an `END` for every chapter:
//! it is the chapter's [`Chapters::end_of`]; when the last chapter's end is unknown (no explicit
//! end, no audio duration) the writer fails and asks for the duration. `=`, `;`, `#`, `\` and line
//! breaks in values are escaped with a backslash. Hidden chapters are written like the others
//! (FFMETADATA has no table of contents).
//!
//! # Reader
//!
//! It follows ffmpeg's `libavformat/ffmetadec.c`, reporting what ffmpeg would trip over:
//!
//! - the first line must be `;FFMETADATA1` (an error otherwise; reading goes on);
//! - lines starting with `;` or `#` are comments, blank lines are skipped;
//! - a backslash escapes the next character, including a line break (the value goes on on the
//!   next line with a newline in it, as in `title=Chapter\` + `5 of 5`);
//! - `[CHAPTER]` starts a chapter, `[STREAM]` a stream section (its keys are ignored), other keys
//!   before the first section are global (`title` becomes [`Parsed::title`]);
//! - the time base defaults to **1/1,000,000,000** (nanoseconds) when a chapter has no `TIMEBASE`,
//!   as ffmpeg's code does (some copies of its documentation say milliseconds);
//! - ffmpeg requires `TIMEBASE` (optional), `START`, `END` as the first lines of a section, in
//!   that order. podmark reads them in any order but warns (`ffmetadata-order`) when they are out
//!   of place, since ffmpeg would then read a different time base or no times at all. A
//!   misplaced `TIMEBASE` is still honoured: it says what the author meant;
//! - `START`/`END` must be non-negative integers that fit (errors otherwise); `END` before
//!   `START` is an error like ffmpeg's "Chapter end time X before start Y"; `END` equal to `START`
//!   is a warning and the end is dropped; a missing `END` is a warning (ffmpeg logs an error but
//!   goes on), a missing `START` an error;
//! - keys are case-sensitive except `title` (ffmpeg's dictionaries ignore case); white space
//!   around `=` is part of the key or value, so `title = x` is not a title (a warning says so).

use std::fmt::Write as _;

use super::{Entry, Format, Parsed, WriteError, WriteOptions};
use crate::diagnostic::{Diagnostic, LineIndex, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

const NANOS_PER_SEC: u128 = 1_000_000_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
/// ffmpeg reads TIMEBASE into a C `int` pair.
const I32_MAX: u64 = 0x7fff_ffff;

/// One logical line: the raw text (escapes kept, possibly spanning escaped line breaks) and the
/// byte offset where it starts in the input.
struct RawLine<'a> {
    start: usize,
    text: &'a str,
}

/// Splits the input into logical lines: a line ends at an unescaped `\n`, `\r\n` or `\r`.
fn logical_lines(input: &str) -> Vec<RawLine<'_>> {
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => {
                // Skip the escaped byte; an escaped CR LF counts as one escaped line break.
                i += if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') { 3 } else { 2 };
            }
            Some(b'\n') | Some(b'\r') => {
                out.push(RawLine { start, text: input.get(start..i).unwrap_or("") });
                i += if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push(RawLine { start, text: input.get(start..).unwrap_or("") });
    }
    out
}

/// Removes backslash escapes: `\x` is `x`, an escaped CR LF is one newline, a lone trailing
/// backslash is dropped.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                    out.push('\n');
                }
                Some(n) => out.push(n),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The byte index of the first unescaped `=` in a raw line.
fn split_key(raw: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' {
            return Some(i);
        }
    }
    None
}

/// A time value as written: the integer, where its value starts, and its line for quoting.
#[derive(Clone)]
struct TimeKey {
    value: u64,
    at: Position,
    line: String,
}

/// A `[CHAPTER]` section being read.
struct Section {
    header_at: Position,
    /// Keys in order of appearance (for ffmpeg's positional rules).
    keys: usize,
    timebase: Option<(u64, u64)>,
    /// The key slot of the first TIMEBASE line, and of the first START line.
    timebase_slot: Option<usize>,
    start_slot: Option<usize>,
    start: Option<TimeKey>,
    start_bad: bool,
    end: Option<TimeKey>,
    end_bad: bool,
    title: Option<(String, Position)>,
}

impl Section {
    fn new(header_at: Position) -> Self {
        Section {
            header_at,
            keys: 0,
            timebase: None,
            timebase_slot: None,
            start_slot: None,
            start: None,
            start_bad: false,
            end: None,
            end_bad: false,
            title: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Global,
    Chapter,
    Stream,
}

/// Parses a non-negative decimal integer (surrounding spaces allowed, as ffmpeg's `sscanf`).
fn parse_u64(s: &str) -> Result<u64, &'static str> {
    let t = s.trim();
    if t.is_empty() {
        return Err("it is empty");
    }
    if t.starts_with('-') {
        return Err("it is negative");
    }
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it is not a whole number");
    }
    digits.parse::<u64>().map_err(|_| "the number is too large")
}

/// `value × num / den` seconds in nanoseconds, rounded to nearest; `None` on overflow.
fn to_nanos(value: u64, (num, den): (u64, u64)) -> Option<Timestamp> {
    if den == 0 {
        return None;
    }
    let scaled = u128::from(value).checked_mul(u128::from(num))?.checked_mul(NANOS_PER_SEC)?;
    let n = scaled.checked_add(u128::from(den) / 2)? / u128::from(den);
    u64::try_from(n).ok().map(Timestamp::from_nanos)
}

struct Reader<'a> {
    index: LineIndex<'a>,
    out: Parsed,
}

impl Reader<'_> {
    fn pos(&self, offset: usize) -> Position {
        self.index.position(offset)
    }

    fn error(&mut self, code: &'static str, at: Position, msg: String) {
        self.out.diagnostics.push(Diagnostic::error(code, Location::from(at), msg));
    }

    fn warning(&mut self, code: &'static str, at: Position, msg: String) {
        self.out.diagnostics.push(Diagnostic::warning(code, Location::from(at), msg));
    }

    /// Reads one `KEY=value` line inside a `[CHAPTER]` section.
    fn chapter_key(&mut self, sec: &mut Section, line: &RawLine<'_>, key: &str, eq: usize) {
        let value_raw = line.text.get(eq + 1..).unwrap_or("");
        let value_at = self.pos(line.start + eq + 1);
        let shown = line.text.trim();
        let slot = sec.keys;
        sec.keys += 1;
        match key {
            "TIMEBASE" => {
                if sec.timebase_slot.is_some() {
                    self.warning(
                        "ffmetadata-duplicate",
                        value_at,
                        format!("second TIMEBASE in this chapter; the first one counts: {}", quote(shown)),
                    );
                    return;
                }
                sec.timebase_slot = Some(slot);
                if slot != 0 {
                    self.warning(
                        "ffmetadata-order",
                        self.pos(line.start),
                        format!(
                            "TIMEBASE must be the first line of a [CHAPTER] section; ffmpeg ignores it here and \
                             reads START/END as nanoseconds (podmark honours it): {}",
                            quote(shown)
                        ),
                    );
                }
                let value = unescape(value_raw);
                let parsed = value.split_once('/').and_then(|(n, d)| {
                    let n = parse_u64(n).ok()?;
                    let d = parse_u64(d).ok()?;
                    (n > 0 && d > 0 && n <= I32_MAX && d <= I32_MAX).then_some((n, d))
                });
                match parsed {
                    Some(tb) => sec.timebase = Some(tb),
                    None => self.error(
                        "ffmetadata-timebase",
                        value_at,
                        format!(
                            "TIMEBASE must be two positive whole numbers num/den, such as 1/1000: {}",
                            quote(shown)
                        ),
                    ),
                }
            }
            "START" | "END" => {
                let is_start = key == "START";
                let existing =
                    if is_start { sec.start.is_some() || sec.start_bad } else { sec.end.is_some() || sec.end_bad };
                if existing {
                    self.warning(
                        "ffmetadata-duplicate",
                        value_at,
                        format!("second {key} in this chapter; the first one counts: {}", quote(shown)),
                    );
                    return;
                }
                // ffmpeg reads [CHAPTER], then an optional TIMEBASE, then START, then END.
                let first = usize::from(sec.timebase_slot == Some(0));
                let misplaced = if is_start {
                    sec.start_slot = Some(slot);
                    slot != first
                } else {
                    // Only when START itself was in place; otherwise its warning says it all.
                    sec.start_slot == Some(first) && slot != first + 1
                };
                if misplaced {
                    let rule = if is_start {
                        "START must follow [CHAPTER] (or its TIMEBASE line) directly"
                    } else {
                        "END must follow START directly"
                    };
                    self.warning(
                        "ffmetadata-order",
                        self.pos(line.start),
                        format!("{rule}; ffmpeg reads the times positionally and misses this one: {}", quote(shown)),
                    );
                }
                let value = unescape(value_raw);
                match parse_u64(&value) {
                    Ok(v) => {
                        let t = TimeKey { value: v, at: value_at, line: shown.to_owned() };
                        if is_start {
                            sec.start = Some(t);
                        } else {
                            sec.end = Some(t);
                        }
                    }
                    Err(why) => {
                        if is_start {
                            sec.start_bad = true;
                        } else {
                            sec.end_bad = true;
                        }
                        self.error(
                            "ffmetadata-time",
                            value_at,
                            format!("{key} must be a whole number of TIMEBASE units, but {why}: {}", quote(shown)),
                        );
                    }
                }
            }
            _ => {
                if key.eq_ignore_ascii_case("title") {
                    let title = unescape(value_raw);
                    sec.title = Some((title.trim().to_owned(), value_at));
                } else {
                    self.key_with_spaces(key, line);
                }
            }
        }
    }

    /// Warns about `title = x` style keys (white space is part of the key in FFMETADATA).
    fn key_with_spaces(&mut self, key: &str, line: &RawLine<'_>) {
        let trimmed = key.trim();
        if trimmed != key && ["title", "TIMEBASE", "START", "END"].iter().any(|k| k.eq_ignore_ascii_case(trimmed)) {
            self.warning(
                "ffmetadata-key",
                self.pos(line.start),
                format!(
                    "the key \"{key}\" has white space around it, which FFMETADATA keeps, so this is not {trimmed}: {}",
                    quote(line.text.trim())
                ),
            );
        }
    }

    /// Turns a finished `[CHAPTER]` section into an entry, or diagnostics.
    fn finish(&mut self, sec: Section) {
        let tb = sec.timebase.unwrap_or((1, 1_000_000_000));
        let Some(start) = sec.start else {
            if !sec.start_bad {
                self.error(
                    "ffmetadata-start",
                    sec.header_at,
                    "this [CHAPTER] section has no START= line (ffmpeg: \"Expected chapter start timestamp\")"
                        .to_owned(),
                );
            }
            return;
        };
        let Some(start_ts) = to_nanos(start.value, tb) else {
            self.error(
                "ffmetadata-time",
                start.at,
                format!("START is too large for this TIMEBASE (over 584 years): {}", quote(&start.line)),
            );
            return;
        };
        let mut end_ts = None;
        match &sec.end {
            None if !sec.end_bad => self.warning(
                "ffmetadata-end",
                sec.header_at,
                format!(
                    "this chapter has no END= line; ffmpeg requires one (\"Expected chapter end timestamp\"): {}",
                    quote(&start.line)
                ),
            ),
            None => {}
            Some(end) => match to_nanos(end.value, tb) {
                None => self.error(
                    "ffmetadata-time",
                    end.at,
                    format!("END is too large for this TIMEBASE (over 584 years): {}", quote(&end.line)),
                ),
                Some(_) if end.value < start.value => self.error(
                    "ffmetadata-end",
                    end.at,
                    format!("chapter end time {} before start {}: {}", end.value, start.value, quote(&end.line)),
                ),
                Some(_) if end.value == start.value => self.warning(
                    "ffmetadata-end",
                    end.at,
                    format!("END equals START (an empty chapter); the end is ignored: {}", quote(&end.line)),
                ),
                Some(e) => end_ts = Some(e),
            },
        }
        let (title, title_at) = sec.title.unwrap_or_else(|| (String::new(), sec.header_at));
        let mut chapter = Chapter::new(start_ts, title);
        chapter.end = end_ts;
        self.out.entries.push(Entry { chapter, at: start.at, title_at, source: start.line });
    }
}

/// Reads FFMETADATA1 chapters; never panics. See the module documentation for the rules.
pub fn read(input: &str) -> Parsed {
    let mut r = Reader { index: LineIndex::new(input), out: Parsed::default() };
    let first = input.lines().next().unwrap_or("");
    if !first.starts_with(";FFMETADATA") {
        r.error(
            "ffmetadata-header",
            Position::new(1, 1),
            format!("the first line must be ;FFMETADATA1, found {}", quote(first)),
        );
    } else if first.trim_end() != ";FFMETADATA1" {
        r.warning(
            "ffmetadata-header",
            Position::new(1, 1),
            format!("expected the header ;FFMETADATA1, found {}", quote(first)),
        );
    }
    let mut place = Place::Global;
    let mut section: Option<Section> = None;
    for line in logical_lines(input) {
        let text = line.text;
        if text.trim().is_empty() || text.starts_with(';') || text.starts_with('#') {
            continue;
        }
        if text.starts_with("[CHAPTER]") || text.starts_with("[STREAM]") {
            if let Some(done) = section.take() {
                r.finish(done);
            }
            if text.starts_with("[CHAPTER]") {
                place = Place::Chapter;
                section = Some(Section::new(r.pos(line.start)));
            } else {
                place = Place::Stream;
            }
            continue;
        }
        let Some(eq) = split_key(text) else {
            let at = r.pos(line.start);
            let what = if text.starts_with('[') { "an unknown section" } else { "not a key=value line" };
            r.warning("ffmetadata-line", at, format!("{what}; ffmpeg ignores it: {}", quote(text.trim())));
            continue;
        };
        let key = unescape(text.get(..eq).unwrap_or(""));
        match (place, section.as_mut()) {
            (Place::Chapter, Some(sec)) => r.chapter_key(sec, &line, &key, eq),
            (Place::Global, _) => {
                if key.eq_ignore_ascii_case("title") {
                    r.out.title = Some(unescape(text.get(eq + 1..).unwrap_or("")).trim().to_owned());
                } else {
                    r.key_with_spaces(&key, &line);
                }
            }
            _ => {}
        }
    }
    if let Some(done) = section.take() {
        r.finish(done);
    }
    r.out
}

/// Escapes `=`, `;`, `#`, `\` and line breaks with a backslash.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '=' | ';' | '#' | '\\' | '\n' | '\r') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes FFMETADATA1 with one `[CHAPTER]` section per chapter (see the module documentation).
///
/// ```
/// # use podmark::{Chapter, Chapters, Timestamp, formats::{ffmetadata, WriteOptions}};
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let chapters = Chapters::new(vec![Chapter::new(t("0"), "Intro"), Chapter::new(t("1:30.5"), "Talk")])?
///     .with_duration(t("10:00"))?;
/// let text = ffmetadata::write(&chapters, &WriteOptions::default())?;
/// assert!(text.ends_with("[CHAPTER]\nTIMEBASE=1/1000\nSTART=90500\nEND=600000\ntitle=Talk\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(chapters: &Chapters, options: &WriteOptions) -> Result<String, WriteError> {
    let mut spans = Vec::with_capacity(chapters.len());
    for (i, c) in chapters.iter().enumerate() {
        let Some(end) = chapters.end_of(i) else {
            return Err(WriteError::new(
                Format::Ffmetadata,
                format!(
                    "the last chapter \"{}\" ({}) has no end, and ffmpeg needs END for every chapter: give the \
                     audio duration (or an explicit end)",
                    c.title, c.start
                ),
            ));
        };
        spans.push((c, end));
    }
    let whole_ms =
        spans.iter().all(|(c, end)| c.start.as_nanos() % NANOS_PER_MILLI == 0 && end.as_nanos() % NANOS_PER_MILLI == 0);
    let (timebase, unit) = if whole_ms { ("1/1000", NANOS_PER_MILLI) } else { ("1/1000000000", 1) };
    let mut out = String::from(";FFMETADATA1\n");
    if let Some(title) = &options.title {
        let _ = writeln!(out, "title={}", escape(title));
    }
    for (c, end) in spans {
        let _ = write!(
            out,
            "[CHAPTER]\nTIMEBASE={timebase}\nSTART={}\nEND={}\ntitle={}\n",
            c.start.as_nanos() / unit,
            end.as_nanos() / unit,
            escape(&c.title)
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::formats::testutil;
    use crate::formats::testutil::coded_diagnostics as diags;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v).unwrap()
    }

    #[test]
    fn reads_the_chaptertool_sample() {
        let p = read(include_str!("../../tests/fixtures/chapters/peer/FFMetadata.txt"));
        assert_eq!(diags(&p), Vec::<String>::new());
        assert_eq!(p.title.as_deref(), Some("this is a episode title!"));
        let got: Vec<(u64, Option<u64>, &str)> = p
            .entries
            .iter()
            .map(|e| (e.chapter.start.as_millis(), e.chapter.end.map(Timestamp::as_millis), e.chapter.title.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (6202, Some(131_761), "Chapter 1 of 5"),
                (131_762, Some(231_001), "Chapter 2 of 5"),
                (231_002, Some(376_881), "Chapter 3 of 5"),
                (376_882, Some(542_001), "Chapter 4 of 5"),
                (542_002, Some(658_241), "Chapter\n5 of 5"),
            ]
        );
        assert_eq!(p.entries[0].at, Position::new(6, 7));
        assert_eq!(p.entries[0].title_at, Position::new(8, 7));
        assert_eq!(p.entries[4].at, Position::new(30, 7));
        assert_eq!(p.entries[4].source, "START=542002");
        assert_eq!(p.into_chapters().map(|c| c.len()), Ok(5));
    }

    #[test]
    fn header_bad_numbers_and_end_before_start() {
        let p = read(
            "[CHAPTER]\nTIMEBASE=1/1000\nSTART=abc\nEND=5\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=9000\nEND=8000\ntitle=x\n",
        );
        assert_eq!(
            diags(&p),
            vec![
                "1:1 ffmetadata-header the first line must be ;FFMETADATA1, found \"[CHAPTER]\"",
                "3:7 ffmetadata-time START must be a whole number of TIMEBASE units, but it is not a whole number: \"START=abc\"",
                "8:5 ffmetadata-end chapter end time 8000 before start 9000: \"END=8000\"",
            ]
        );
        assert!(p.diagnostics.iter().all(Diagnostic::is_error));
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entries[0].chapter.start, ms(9000));
    }

    #[test]
    fn misplaced_timebase_is_honoured_with_a_warning() {
        let p = read(";FFMETADATA1\n[CHAPTER]\ntitle=Intro\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\n");
        assert_eq!(
            diags(&p),
            vec![
                "4:1 ffmetadata-order TIMEBASE must be the first line of a [CHAPTER] section; ffmpeg ignores it here \
                 and reads START/END as nanoseconds (podmark honours it): \"TIMEBASE=1/1000\"",
                "5:1 ffmetadata-order START must follow [CHAPTER] (or its TIMEBASE line) directly; ffmpeg reads the \
                 times positionally and misses this one: \"START=1500\"",
            ]
        );
        assert!(!p.has_errors());
        assert_eq!(p.entries[0].chapter.start, ms(1500));
        assert_eq!(p.entries[0].chapter.end, Some(ms(3000)));
        assert_eq!(p.entries[0].title_at, Position::new(3, 7));
    }

    #[test]
    fn default_timebase_is_nanoseconds_and_overflow_is_reported() {
        let p = read(";FFMETADATA1\ntitle = Ep\n[CHAPTER]\nSTART=1500\nEND=18446744073709551616\n[CHAPTER]\nEND=5\n");
        assert_eq!(
            diags(&p),
            vec![
                "2:1 ffmetadata-key the key \"title \" has white space around it, which FFMETADATA keeps, so this is \
                 not title: \"title = Ep\"",
                "5:5 ffmetadata-time END must be a whole number of TIMEBASE units, but the number is too large: \
                 \"END=18446744073709551616\"",
                "6:1 ffmetadata-start this [CHAPTER] section has no START= line (ffmpeg: \"Expected chapter start \
                 timestamp\")",
            ]
        );
        assert_eq!(p.title, None);
        assert_eq!(p.entries[0].chapter.start, Timestamp::from_nanos(1500));
        // A time base that does not divide a second: 1/3 s ticks, rounded to the nearest ns.
        let p = read(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/3\nSTART=1\nEND=2\n");
        assert_eq!(p.entries[0].chapter.start, Timestamp::from_nanos(333_333_333));
        assert_eq!(p.entries[0].chapter.end, Some(Timestamp::from_nanos(666_666_667)));
        let p = read(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/0\nSTART=1\nEND=2\n");
        assert_eq!(
            diags(&p).first().map(String::as_str),
            Some(
                "3:10 ffmetadata-timebase TIMEBASE must be two positive whole numbers num/den, such as 1/1000: \"TIMEBASE=1/0\""
            )
        );
        // Missing END: a warning (ffmpeg logs it); equal END: warning, end dropped.
        let p = read(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=5\nEND=5\n");
        assert_eq!(
            p.diagnostics.iter().map(|d| (d.code, d.is_error())).collect::<Vec<_>>(),
            vec![("ffmetadata-end", false), ("ffmetadata-end", false)]
        );
        assert_eq!(p.entries[1].chapter.end, None);
    }

    #[test]
    fn escapes_and_crlf() {
        let p = read(
            ";FFMETADATA1\r\ntitle=a\\=b\\;c\\#d\\\\e\r\n[CHAPTER]\r\nTIMEBASE=1/1000\r\nSTART=0\r\nEND=1\r\ntitle=x\\\r\ny\r\n# note\r\n",
        );
        assert_eq!(diags(&p), Vec::<String>::new());
        assert_eq!(p.title.as_deref(), Some("a=b;c#d\\e"));
        assert_eq!(p.entries[0].chapter.title, "x\ny");
    }

    fn sample() -> Chapters {
        Chapters::new(vec![Chapter::new(ms(0), "Intro"), Chapter::new(ms(90_500), "Talk = fun; #1 \\ ok\nmore")])
            .and_then(|c| c.with_duration(ms(600_000)))
            .unwrap()
    }

    #[test]
    fn writes_exactly() {
        let opts = WriteOptions { title: Some("Ep 1".into()), ..WriteOptions::default() };
        assert_eq!(
            write(&sample(), &opts).unwrap(),
            ";FFMETADATA1\ntitle=Ep 1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=90500\ntitle=Intro\n[CHAPTER]\n\
             TIMEBASE=1/1000\nSTART=90500\nEND=600000\ntitle=Talk \\= fun\\; \\#1 \\\\ ok\\\nmore\n"
        );
        // A time that is not a whole millisecond switches every chapter to nanoseconds.
        let c = Chapters::new(vec![Chapter::new(ms(0), "A"), Chapter::new(Timestamp::from_nanos(1_000_000_500), "B")])
            .and_then(|c| c.with_duration(ms(2000)))
            .unwrap();
        assert_eq!(
            write(&c, &WriteOptions::default()).unwrap(),
            ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000000000\nSTART=0\nEND=1000000500\ntitle=A\n[CHAPTER]\n\
             TIMEBASE=1/1000000000\nSTART=1000000500\nEND=2000000000\ntitle=B\n"
        );
        let no_end = Chapters::new(vec![Chapter::new(ms(0), "A")]).unwrap();
        let err = write(&no_end, &WriteOptions::default()).unwrap_err();
        assert!(err.to_string().contains("give the audio duration"), "{err}");
        let back = read(&write(&sample(), &opts).unwrap());
        assert_eq!(back.entries[1].chapter.title, "Talk = fun; #1 \\ ok\nmore");
    }

    fn round_trip(chapters: &Chapters) -> Result<(), TestCaseError> {
        let last = chapters.as_slice().last().map_or(Timestamp::ZERO, |c| c.start);
        let with_d = chapters.clone().with_duration(Timestamp::from_nanos(last.as_nanos() + 1)).unwrap();
        let text = write(&with_d, &WriteOptions::default()).unwrap();
        let back = read(&text).into_chapters();
        prop_assert!(back.is_ok(), "{text}\n{back:?}");
        let back = back.unwrap();
        let a: Vec<_> = chapters.iter().map(|c| (c.start, c.title.clone())).collect();
        let b: Vec<_> = back.iter().map(|c| (c.start, c.title.clone())).collect();
        prop_assert_eq!(a, b);
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trips_nanoseconds(c in testutil::chapters(12, 7, "[a-zA-Z0-9 =;#\\\\\n\r\u{e9}]{0,16}", false)) {
            round_trip(&c)?;
        }

        #[test]
        fn round_trips_milliseconds(c in testutil::chapters(12, 1_000_000, "[a-zA-Z0-9 =;#]{0,16}", false)) {
            round_trip(&c)?;
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = read(&s);
            let _ = read(&format!(";FFMETADATA1\n[CHAPTER]\n{s}"));
        }
    }
}
