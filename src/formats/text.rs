//! Plain chapter list `HH:MM:SS.mmm Title` (the `mp4chaps` "native" format).
//!
//! ```text
//! ## total-duration: 00:38:37.034
//! 00:00:00.000 Intro
//! 00:01:02.500 Podlove links <https://podlove.org/>
//! ```
//!
//! **Reading** accepts, one item per line:
//! - `TIME Title`: a timestamp with at least one colon (`HH:MM:SS.mmm`, `H:MM:SS`, `MM:SS.s`, …, see
//!   [`Timestamp`]) then a space or tab and the title. A line with only a timestamp is a chapter
//!   without title (warning `no-title`). A trailing `<scheme://…>` is the chapter's URL (Podlove's
//!   dialect); only URLs with `://` count, so a title like `a <b:c>` stays a title.
//! - `#` comment lines and blank lines are ignored; tone's `## total-duration: TIME` header sets
//!   [`Parsed::duration`].
//! - The OGM style `CHAPTER01=00:00:00.000` + `CHAPTER01NAME=Title` (any number of digits, any
//!   order of the two lines); a time without its name, or a name without its time, is an error
//!   (`ogm-pair`), and so is a number used twice (`ogm-duplicate`).
//! - Any other non-blank line is an error (`not-a-chapter`); a bad timestamp is an error
//!   (`timestamp`) pointing at the bad character.
//!
//! **Writing** prints one `HH:MM:SS.mmm Title` line per chapter, starts rounded to the nearest
//! millisecond (refused with a [`WriteError`] if two chapters would then start at the same
//! millisecond), ` <url>` appended when the chapter has a URL, and a first
//! `## total-duration: HH:MM:SS.mmm` line when the duration is known. Tabs, line breaks and other
//! control characters in titles become spaces. Ends, images and the hidden flag are not carried.

use std::collections::HashMap;

use super::{Entry, Format, Parsed, WriteError, WriteOptions, quantized_starts};
use crate::diagnostic::{Diagnostic, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

const MILLI: u64 = 1_000_000;

/// Reads chapters; never panics. See the module documentation for what is accepted.
pub fn read(input: &str) -> Parsed {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut parsed = Parsed::default();
    let mut items: Vec<Item> = Vec::new();
    let mut ogm: Vec<OgmSlot> = Vec::new();
    let mut ogm_index: HashMap<String, usize> = HashMap::new();

    for (n, raw) in input.split('\n').enumerate() {
        let line_no = n + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let col = |byte: usize| column(line, byte);
        let body = body.trim_end();
        if body.is_empty() {
            continue;
        }
        if let Some(comment) = body.strip_prefix('#') {
            header(comment, indent + 1, line, line_no, &mut parsed);
            continue;
        }
        if let Some(o) = ogm_line(body) {
            let value_at = indent + o.value_start;
            let pos = Position::new(line_no, col(value_at));
            let slot = *ogm_index.entry(o.number.to_owned()).or_insert_with(|| {
                ogm.push(OgmSlot { number: o.number.to_owned(), ..OgmSlot::default() });
                items.push(Item::Ogm(ogm.len() - 1));
                ogm.len() - 1
            });
            let Some(s) = ogm.get_mut(slot) else { continue };
            let (already, key) = if o.is_name { (s.name.is_some(), "NAME") } else { (s.time.is_some(), "") };
            if already {
                parsed.diagnostics.push(Diagnostic::error(
                    "ogm-duplicate",
                    Location::from(Position::new(line_no, col(indent))),
                    format!("CHAPTER{}{key} is given twice: {}", o.number, quote(body)),
                ));
                continue;
            }
            if o.is_name {
                s.name = Some((o.value.trim().to_owned(), pos, line_no));
                continue;
            }
            match o.value.parse::<Timestamp>() {
                Ok(t) => s.time = Some((t, pos, body.to_owned(), line_no)),
                Err(e) => {
                    // Mark the time as seen so the pair check does not add a second error.
                    s.bad_time = true;
                    parsed.diagnostics.push(Diagnostic::error(
                        "timestamp",
                        Location::from(Position::new(line_no, col(value_at + e.offset()))),
                        format!("{e}, in {}", quote(body)),
                    ));
                }
            }
            continue;
        }
        let split = body.find([' ', '\t']).unwrap_or(body.len());
        let (time_text, rest) = body.split_at(split);
        if !time_text.contains(':') || !time_text.starts_with(|c: char| c.is_ascii_digit() || c == '[' || c == '(') {
            parsed.diagnostics.push(Diagnostic::error(
                "not-a-chapter",
                Location::from(Position::new(line_no, col(indent))),
                format!("not a chapter line (expected \"HH:MM:SS.mmm Title\"): {}", quote(body)),
            ));
            continue;
        }
        let start = match time_text.parse::<Timestamp>() {
            Ok(t) => t,
            Err(e) => {
                parsed.diagnostics.push(Diagnostic::error(
                    "timestamp",
                    Location::from(Position::new(line_no, col(indent + e.offset()))),
                    format!("{e}, in chapter line {}", quote(body)),
                ));
                continue;
            }
        };
        let title_text = rest.trim_start();
        let title_at = indent + body.len() - title_text.len();
        let (title, url) = split_url(title_text);
        if title.is_empty() && url.is_none() {
            parsed.diagnostics.push(Diagnostic::warning(
                "no-title",
                Location::from(Position::new(line_no, col(indent))),
                format!("chapter without a title: {}", quote(body)),
            ));
        }
        let mut chapter = Chapter::new(start, title);
        chapter.url = url.map(str::to_owned);
        items.push(Item::Entry(Entry {
            chapter,
            at: Position::new(line_no, col(indent)),
            title_at: Position::new(line_no, col(title_at)),
            source: body.to_owned(),
        }));
    }

    for item in items {
        match item {
            Item::Entry(e) => parsed.entries.push(e),
            Item::Ogm(i) => {
                let Some(slot) = ogm.get(i) else { continue };
                match (&slot.time, &slot.name) {
                    (Some((start, at, source, _)), Some((title, title_at, _))) => parsed.entries.push(Entry {
                        chapter: Chapter::new(*start, title.clone()),
                        at: *at,
                        title_at: *title_at,
                        source: source.clone(),
                    }),
                    (Some((_, _, source, line)), None) => parsed.diagnostics.push(Diagnostic::error(
                        "ogm-pair",
                        Location::from(Position::new(*line, 1)),
                        format!("{} has no CHAPTER{}NAME= line", quote(source), slot.number),
                    )),
                    (None, Some((_, _, line))) if !slot.bad_time => parsed.diagnostics.push(Diagnostic::error(
                        "ogm-pair",
                        Location::from(Position::new(*line, 1)),
                        format!("CHAPTER{0}NAME has no CHAPTER{0}= time line", slot.number),
                    )),
                    _ => {}
                }
            }
        }
    }
    parsed.diagnostics.sort_by_key(|d| d.location);
    parsed
}

/// One thing the reader found, kept in source order until OGM pairs are complete.
enum Item {
    Entry(Entry),
    Ogm(usize),
}

/// An OGM chapter number with what has been seen of it so far.
#[derive(Default)]
struct OgmSlot {
    number: String,
    /// Start, its position, the line's text and the line number.
    time: Option<(Timestamp, Position, String, usize)>,
    /// Title, its position and the line number.
    name: Option<(String, Position, usize)>,
    bad_time: bool,
}

/// A `CHAPTERnn=value` or `CHAPTERnnNAME=value` line.
struct OgmLine<'a> {
    number: &'a str,
    is_name: bool,
    value: &'a str,
    /// Byte offset of the value within the (trimmed) line.
    value_start: usize,
}

fn ogm_line(body: &str) -> Option<OgmLine<'_>> {
    let head = body.get(..7)?;
    if !head.eq_ignore_ascii_case("chapter") {
        return None;
    }
    let rest = body.get(7..)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (number, after) = rest.split_at(digits);
    let (is_name, value_off) = if after.starts_with('=') {
        (false, 1)
    } else if after.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("name=")) {
        (true, 5)
    } else {
        return None;
    };
    let value_start = 7 + digits + value_off;
    Some(OgmLine { number, is_name, value: body.get(value_start..)?, value_start })
}

/// A `#` comment line: reads tone's `## total-duration: …` header, ignores everything else.
/// `comment_at` is the byte offset of `comment` within `line`.
fn header(comment: &str, comment_at: usize, line: &str, line_no: usize, parsed: &mut Parsed) {
    let Some(rest) = comment.strip_prefix('#') else { return };
    let Some((key, value)) = rest.split_once(':') else { return };
    if !key.trim().eq_ignore_ascii_case("total-duration") {
        return;
    }
    let value_at = comment_at + 1 + key.len() + 1 + (value.len() - value.trim_start().len());
    match value.trim().parse::<Timestamp>() {
        Ok(d) => parsed.duration = Some(d),
        Err(e) => parsed.diagnostics.push(Diagnostic::error(
            "timestamp",
            Location::from(Position::new(line_no, column(line, value_at + e.offset()))),
            format!("{e}, in the total-duration header {}", quote(line.trim())),
        )),
    }
}

/// Splits a trailing `<scheme://…>` off a title.
fn split_url(text: &str) -> (&str, Option<&str>) {
    let Some(inner_end) = text.strip_suffix('>') else { return (text, None) };
    let Some(open) = inner_end.rfind('<') else { return (text, None) };
    let url = inner_end.get(open + 1..).unwrap_or("");
    let scheme_ok = url.split_once("://").is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if !scheme_ok || url.chars().any(char::is_whitespace) {
        return (text, None);
    }
    (inner_end.get(..open).unwrap_or("").trim_end(), Some(url))
}

/// 1-based character column of byte `byte` in `line`.
fn column(line: &str, byte: usize) -> usize {
    let mut b = byte.min(line.len());
    while !line.is_char_boundary(b) {
        b -= 1;
    }
    line.get(..b).map_or(0, |s| s.chars().count()) + 1
}

/// Writes chapters as `HH:MM:SS.mmm Title` lines (see the module documentation).
pub fn write(chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    let starts = quantized_starts(chapters, MILLI, Format::Text)?;
    let mut out = String::new();
    if let Some(d) = chapters.duration() {
        out.push_str(&format!("## total-duration: {d}\n"));
    }
    for (c, start) in chapters.iter().zip(starts) {
        let title = super::one_line(&c.title);
        out.push_str(&Timestamp::from_nanos(start).to_string());
        if !title.is_empty() {
            out.push(' ');
            out.push_str(&title);
        }
        if let Some(url) = &c.url {
            out.push_str(" <");
            out.push_str(&super::one_line(url).replace(' ', "%20"));
            out.push('>');
        }
        out.push('\n');
    }
    Ok(out)
}

/// True when the first non-blank, non-`#` line starts with a timestamp (with a colon) followed by a
/// space or tab, or with `CHAPTER01=` (used by format detection).
pub(crate) fn looks_like(body: &str) -> bool {
    let Some(first) = body.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')) else {
        return false;
    };
    if first.get(..10).is_some_and(|s| s.eq_ignore_ascii_case("chapter01=")) {
        return true;
    }
    match first.split_once([' ', '\t']) {
        Some((time, _)) => {
            time.contains(':') && time.starts_with(|c: char| c.is_ascii_digit()) && time.parse::<Timestamp>().is_ok()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::formats::testutil;
    use crate::formats::testutil::diagnostics as diags;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms).unwrap_or_default()
    }

    #[test]
    fn reads_native_lines_comments_and_tone_header() {
        let p = read(
            "## total-duration: 00:38:37.034\n# a comment\n\n00:00:00.000 Intro\n00:23:20.151\tTechnology as Forcing Function\r\n0:30:03 Late <https://e.com/x?a=1>\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
        assert_eq!(p.duration, Some(t(2_317_034)));
        let got: Vec<_> = p.entries.iter().map(|e| (e.chapter.start, e.chapter.title.as_str())).collect();
        assert_eq!(
            got,
            vec![(t(0), "Intro"), (t(1_400_151), "Technology as Forcing Function"), (t(1_803_000), "Late")]
        );
        assert_eq!(p.entries[2].chapter.url.as_deref(), Some("https://e.com/x?a=1"));
        assert_eq!(p.entries[1].at, Position::new(5, 1));
        assert_eq!(p.entries[1].title_at, Position::new(5, 14));
        assert_eq!(p.entries[1].source, "00:23:20.151\tTechnology as Forcing Function");
        let c = p.into_chapters().unwrap();
        assert_eq!(c.duration(), Some(t(2_317_034)));
    }

    #[test]
    fn angle_text_without_scheme_stays_in_the_title() {
        let p = read("00:00 a <b:c>\n00:01 x <https://e.com>\n");
        assert_eq!(p.entries[0].chapter.title, "a <b:c>");
        assert_eq!(p.entries[0].chapter.url, None);
        assert_eq!(p.entries[1].chapter.title, "x");
    }

    #[test]
    fn reads_ogm_pairs() {
        let p = read("CHAPTER01=00:00:00.000\nCHAPTER01NAME=Intro\nCHAPTER02NAME=Talk\nchapter02=00:01:30.5\n");
        assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
        let got: Vec<_> = p.entries.iter().map(|e| (e.chapter.start, e.chapter.title.as_str())).collect();
        assert_eq!(got, vec![(t(0), "Intro"), (t(90_500), "Talk")]);
        assert_eq!(p.entries[1].at, Position::new(4, 11));
        assert_eq!(p.entries[1].title_at, Position::new(3, 15));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_column() {
        let p = read(
            "00:00:00.000 Intro\nthis is prose\n  00:61:00.000 Bad minutes\nCHAPTER01=00:00:01\nCHAPTER02NAME=Lonely\nCHAPTER03=1:7x\n## total-duration: 1:99\n00:01:00 Ok\n",
        );
        assert_eq!(
            diags(&p),
            vec![
                "2:1: error: not a chapter line (expected \"HH:MM:SS.mmm Title\"): \"this is prose\"",
                "3:6: error: invalid timestamp \"00:61:00.000\": minutes must be less than 60 (found 61), in chapter line \"00:61:00.000 Bad minutes\"",
                "4:1: error: \"CHAPTER01=00:00:01\" has no CHAPTER01NAME= line",
                "5:1: error: CHAPTER02NAME has no CHAPTER02= time line",
                "6:14: error: invalid timestamp \"1:7x\": unexpected character 'x', in \"CHAPTER03=1:7x\"",
                "7:22: error: invalid timestamp \"1:99\": seconds must be less than 60 (found 99), in the total-duration header \"## total-duration: 1:99\"",
            ]
        );
        assert_eq!(p.entries.len(), 2);
    }

    #[test]
    fn duplicate_ogm_numbers_and_missing_titles() {
        let p = read("CHAPTER01=00:00\nCHAPTER01=00:05\nCHAPTER01NAME=A\n00:10\n");
        assert_eq!(
            diags(&p),
            vec![
                "2:1: error: CHAPTER01 is given twice: \"CHAPTER01=00:05\"",
                "4:1: warning: chapter without a title: \"00:10\"",
            ]
        );
        assert_eq!(p.entries.len(), 2);
    }

    #[test]
    fn writes_the_exact_list() {
        let c = Chapters::new(vec![
            Chapter::new(t(0), "Intro"),
            Chapter::new(Timestamp::from_nanos(90_500_400_000), "Talk\twith\nbreaks").with_url("https://e.com/a"),
            Chapter::new(t(3_723_000), "Out"),
        ])
        .unwrap()
        .with_duration(t(4_000_000))
        .unwrap();
        assert_eq!(
            write(&c, &WriteOptions::default()).unwrap(),
            "## total-duration: 01:06:40.000\n00:00:00.000 Intro\n00:01:30.500 Talk with breaks <https://e.com/a>\n01:02:03.000 Out\n"
        );
    }

    #[test]
    fn refuses_chapters_that_collapse_at_millisecond_precision() {
        let c = Chapters::new(vec![
            Chapter::new(Timestamp::from_nanos(1_000_000), "a"),
            Chapter::new(Timestamp::from_nanos(1_200_000), "b"),
        ])
        .unwrap();
        let e = write(&c, &WriteOptions::default()).unwrap_err();
        assert!(e.message.contains("same time"), "{e}");
    }

    #[test]
    fn detection() {
        assert!(looks_like("# comment\n\n00:00:00.000 Intro\n"));
        assert!(looks_like("0:00\tIntro"));
        assert!(looks_like("CHAPTER01=00:00:00.000\nCHAPTER01NAME=x"));
        assert!(!looks_like("2016 was a year\n00:00 Intro"));
        assert!(!looks_like("00:00:00.000\n"));
        assert!(!looks_like("# only comments"));
    }

    proptest! {
        #[test]
        fn round_trip(c in testutil::chapters(20, MILLI, "[A-Za-z0-9][A-Za-z0-9 ,.!?&'\"()éß€-]{0,30}", true)) {
            let text = write(&c, &WriteOptions::default()).unwrap();
            let back = read(&text).into_chapters().unwrap();
            prop_assert_eq!(back.len(), c.len());
            for (a, b) in c.iter().zip(back.iter()) {
                prop_assert_eq!(a.start, b.start);
                prop_assert_eq!(&a.title, &b.title);
                prop_assert_eq!(&a.url, &b.url);
            }
        }

        #[test]
        fn quick_never_panics(s in "\\PC*") {
            let _ = read(&s);
            let _ = looks_like(&s);
        }
    }
}
