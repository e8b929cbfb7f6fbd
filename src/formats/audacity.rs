//! Audacity label tracks (`File › Export › Export Labels…`, `File › Import › Labels…`).
//!
//! ```text
//! 0.000000→90.500000→Intro
//! 90.500000→600.000000→Talk
//! ```
//!
//! (`→` is a tab.)
//!
//! # Precision and rounding
//!
//! Times are seconds with six decimals (microseconds), as Audacity writes them. The writer rounds
//! each time to the nearest microsecond and prints it with integer arithmetic (no floats); it
//! refuses lists where two chapters would then start at the same microsecond. The reader parses
//! the decimal string exactly (up to nine decimals, to the nanosecond).
//!
//! # Writer
//!
//! One `start<TAB>end<TAB>label` line per chapter. The end is the chapter's
//! [`Chapters::end_of`] (explicit end, next start or the audio duration); when nothing says where
//! the last chapter ends it is a point label (`end = start`). Tabs and line breaks in titles
//! become spaces. Hidden chapters are written like the others.
//!
//! # Reader
//!
//! - `start<TAB>end<TAB>label`, or the legacy (Audacity 1.2) `start<TAB>label`: as in Audacity, a
//!   second field that is not a number is the label;
//! - numbers are plain decimal seconds (`12`, `12.5`, `12,5`); anything else is an error;
//! - a point label (`end == start`) has no explicit end; `end < start` is an error;
//! - spectral-selection lines (`\<TAB>low<TAB>high`, Audacity 2.1+) and blank lines are skipped;
//! - the label is the rest of the line after the times, trimmed.

use std::fmt::Write as _;

use super::{Entry, Format, Parsed, WriteError, WriteOptions, quantized_starts};
use crate::diagnostic::{Diagnostic, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

/// True for a plain decimal number of seconds: digits, optionally `.` or `,` and more digits.
fn is_number(s: &str) -> bool {
    let (whole, frac) = match s.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses a field of seconds exactly, or says why it is not one.
fn seconds(field: &str) -> Result<Timestamp, String> {
    let t = field.trim();
    if t.starts_with('-') {
        return Err("negative times are not chapter starts".to_owned());
    }
    if !is_number(t) {
        return Err("expected a number of seconds such as 12.500000".to_owned());
    }
    t.parse::<Timestamp>().map_err(|e| e.kind().to_string())
}

/// Reads an Audacity label track; never panics. See the module documentation.
pub fn read(input: &str) -> Parsed {
    let mut out = Parsed::default();
    for (n, raw) in input.split('\n').enumerate() {
        let line_no = n + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let shown = line.trim();
        if shown.is_empty() || line.starts_with("\\\t") || shown == "\\" {
            continue;
        }
        let err =
            |code, col: usize, msg: String| Diagnostic::error(code, Location::from(Position::new(line_no, col)), msg);
        let mut fields = line.splitn(3, '\t');
        let first = fields.next().unwrap_or("");
        let Some(second) = fields.next() else {
            out.diagnostics.push(err(
                "audacity-line",
                1,
                format!("expected start<TAB>end<TAB>label (tab-separated): {}", quote(shown)),
            ));
            continue;
        };
        let third = fields.next();
        let start = match seconds(first) {
            Ok(t) => t,
            Err(why) => {
                out.diagnostics.push(err(
                    "audacity-time",
                    1,
                    format!("invalid start {}: {why}, in {}", quote(first), quote(shown)),
                ));
                continue;
            }
        };
        let second_col = first.chars().count() + 2;
        let second_trim = second.trim();
        // As in Audacity: a second field that is not a number is the label (legacy format).
        let (end_text, label, label_col) = if is_number(second_trim) || second_trim.starts_with('-') {
            (Some(second), third.unwrap_or(""), second_col + second.chars().count() + 1)
        } else {
            (None, line.get(first.len() + 1..).unwrap_or(second), second_col)
        };
        let mut chapter = Chapter::new(start, label.trim());
        if let Some(end_text) = end_text {
            match seconds(end_text) {
                Ok(e) if e < start => out.diagnostics.push(err(
                    "audacity-end",
                    second_col,
                    format!(
                        "the end {} is before the start {}: {}",
                        quote(end_text.trim()),
                        quote(first.trim()),
                        quote(shown)
                    ),
                )),
                Ok(e) if e == start => {} // a point label
                Ok(e) => chapter.end = Some(e),
                Err(why) => {
                    out.diagnostics.push(err(
                        "audacity-time",
                        second_col,
                        format!("invalid end {}: {why}, in {}", quote(end_text), quote(shown)),
                    ));
                    continue;
                }
            }
        }
        let lead = label.chars().take_while(|c| c.is_whitespace()).count();
        out.entries.push(Entry {
            chapter,
            at: Position::new(line_no, 1),
            title_at: Position::new(line_no, label_col + lead),
            source: shown.to_owned(),
        });
    }
    out
}

/// Seconds with six decimals, from a time rounded to the nearest microsecond.
fn micros_text(t: Timestamp) -> String {
    let us = t.round_to(1_000) / 1_000;
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// Writes an Audacity label track (see the module documentation).
///
/// ```
/// # use podmark::{Chapter, Chapters, Timestamp, formats::{audacity, WriteOptions}};
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let chapters = Chapters::new(vec![Chapter::new(t("0"), "Intro"), Chapter::new(t("1:30.5"), "Talk")])?;
/// let labels = audacity::write(&chapters, &WriteOptions::default())?;
/// assert_eq!(labels, "0.000000\t90.500000\tIntro\n90.500000\t90.500000\tTalk\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    quantized_starts(chapters, 1_000, Format::Audacity)?;
    let mut out = String::new();
    for (c, end) in chapters.spans() {
        let label: String = c.title.chars().map(|ch| if ch.is_control() { ' ' } else { ch }).collect();
        let end = end.unwrap_or(c.start);
        let _ = writeln!(out, "{}\t{}\t{}", micros_text(c.start), micros_text(end), label.trim());
    }
    Ok(out)
}

/// True when the first line is `number<TAB>number<TAB>label` or `number<TAB>label` (used by
/// format detection).
pub(crate) fn looks_like(body: &str) -> bool {
    let first = body.lines().next().unwrap_or("");
    let mut fields = first.split('\t');
    let start = fields.next().unwrap_or("");
    fields.next().is_some() && is_number(start.trim())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::formats::testutil;
    use crate::formats::testutil::coded_diagnostics as diags;

    #[test]
    fn reads_labels_exactly() {
        let p = read(
            "0.000000\t0.000000\tIntro\r\n\\\t1000.000000\t20000.000000\r\n12,5\tLegacy title\r\n30.25\t40.000000001\t Spaced label\r\n\r\n",
        );
        assert_eq!(diags(&p), Vec::<String>::new());
        let got: Vec<(u64, Option<u64>, &str)> = p
            .entries
            .iter()
            .map(|e| (e.chapter.start.as_nanos(), e.chapter.end.map(Timestamp::as_nanos), e.chapter.title.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, None, "Intro"),
                (12_500_000_000, None, "Legacy title"),
                (30_250_000_000, Some(40_000_000_001), "Spaced label")
            ]
        );
        let title_at: Vec<Position> = p.entries.iter().map(|e| e.title_at).collect();
        assert_eq!(title_at, vec![Position::new(1, 19), Position::new(3, 6), Position::new(4, 21)]);
        assert_eq!(p.entries[2].at, Position::new(4, 1));
    }

    #[test]
    fn reports_every_bad_line() {
        let p = read("abc\t1\tx\n5.0\t4.0\tback\nno tabs here\n1.0\t-2\tneg\n1.1234567891\t2\tx\n2\t3\tok\n");
        assert_eq!(
            diags(&p),
            vec![
                "1:1 audacity-time invalid start \"abc\": expected a number of seconds such as 12.500000, in \"abc\\t1\\tx\"",
                "2:5 audacity-end the end \"4.0\" is before the start \"5.0\": \"5.0\\t4.0\\tback\"",
                "3:1 audacity-line expected start<TAB>end<TAB>label (tab-separated): \"no tabs here\"",
                "4:5 audacity-time invalid end \"-2\": negative times are not chapter starts, in \"1.0\\t-2\\tneg\"",
                "5:1 audacity-time invalid start \"1.1234567891\": more than 9 fractional digits, in \"1.1234567891\\t2\\tx\"",
            ]
        );
        assert!(p.diagnostics.iter().all(Diagnostic::is_error));
        assert_eq!(p.entries.last().map(|e| e.chapter.title.as_str()), Some("ok"));
    }

    #[test]
    fn writes_exactly_in_microseconds() {
        let c = Chapters::new(vec![
            Chapter::new(Timestamp::ZERO, "Intro"),
            Chapter::new(Timestamp::from_millis(90_500).unwrap(), "Talk\twith\ntabs"),
            Chapter::new(Timestamp::from_nanos(7_200_000_000_500), "Late"),
        ])
        .and_then(|c| c.with_duration(Timestamp::from_secs(7300).unwrap()))
        .unwrap();
        assert_eq!(
            write(&c, &WriteOptions::default()).unwrap(),
            "0.000000\t90.500000\tIntro\n90.500000\t7200.000001\tTalk with tabs\n7200.000001\t7300.000000\tLate\n"
        );
        let close =
            Chapters::new(vec![Chapter::new(Timestamp::ZERO, "a"), Chapter::new(Timestamp::from_nanos(400), "b")])
                .unwrap();
        assert!(write(&close, &WriteOptions::default()).is_err());
    }

    #[test]
    fn detection() {
        assert!(looks_like("0.000000\t1.000000\tIntro\n"));
        assert!(looks_like("12\tIntro"));
        assert!(!looks_like("00:00:00.000\tIntro"));
        assert!(!looks_like("Intro\t1"));
        assert!(!looks_like("1.5"));
        assert_eq!(Format::detect("0.000000\t0.000000\tIntro\n"), Format::Audacity);
    }

    proptest! {
        #[test]
        fn round_trips_in_microseconds(c in testutil::chapters(50, 1_000, "[a-zA-Z0-9 ,.!?'é-]{0,20}", false)) {
            let text = write(&c, &WriteOptions::default()).unwrap();
            let back = read(&text).into_chapters();
            prop_assert!(back.is_ok(), "{text}\n{back:?}");
            let a: Vec<_> = c.iter().map(|c| (c.start, c.title.clone())).collect();
            let b: Vec<_> = back.unwrap().iter().map(|c| (c.start, c.title.clone())).collect();
            prop_assert_eq!(a, b);
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = read(&s);
            let _ = looks_like(&s);
            let _ = read(&format!("1\t{s}\t{s}"));
        }
    }
}
