//! WebVTT chapters (`<track kind="chapters">`).
//!
//! ```text
//! WEBVTT
//!
//! 1
//! 00:00:00.000 --> 00:01:30.500
//! Intro
//!
//! 2
//! 00:01:30.500 --> 00:10:00.000
//! Talk
//! ```
//!
//! **Writing**: `WEBVTT`, a blank line, then one cue per chapter: a number from 1, the timing line
//! `HH:MM:SS.mmm --> HH:MM:SS.mmm` and the title, each cue followed by a blank line. Times are
//! rounded to the nearest millisecond (two chapters that would start at the same millisecond are
//! refused). WebVTT cues need an end: each cue ends at [`Chapters::end_of`] (the explicit end, else
//! the next start, else the audio duration); when the last chapter has no end, writing fails and
//! asks for the audio duration (`--duration`). Titles are kept on one line (control characters such
//! as line breaks and tabs become spaces, so no blank line can end the cue early) and `-->`, which
//! cue text must not contain, becomes `→`. Images, URLs and the hidden flag are not carried.
//!
//! **Reading**: the `WEBVTT` header line is required (an error otherwise, though the cues are still
//! read); header metadata lines, `NOTE`, `STYLE` and `REGION` blocks are skipped; each cue has an
//! optional identifier line, then `start --> end` with optional cue settings after the end, then
//! payload lines, joined with single spaces into the title. The entry's explicit end is the cue's
//! end. Timestamps in the strict WebVTT form (`HH:MM:SS.mmm` or `MM:SS.mmm`, hours of two or more
//! digits, exactly three decimals after a `.`) are read silently; other forms our [`Timestamp`]
//! parser understands (`00:01:02,500`, `1:02:03`, `62.5`, …) are accepted with a warning
//! (`vtt-timestamp`); anything else is an error (`timestamp`).

use super::{Entry, Format, Parsed, WriteError, WriteOptions, quantized_starts};
use crate::diagnostic::{Diagnostic, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

const MILLI: u64 = 1_000_000;

/// One input line: its number (from 1) and its text without the line break.
#[derive(Clone, Copy)]
struct Line<'a> {
    no: usize,
    text: &'a str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    fn pos(&self, byte: usize) -> Position {
        Position::new(self.no, column(self.text, byte))
    }
}

/// Reads WebVTT chapters; never panics. See the module documentation for what is accepted.
pub fn read(input: &str) -> Parsed {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut parsed = Parsed::default();
    let lines: Vec<Line<'_>> = input
        .split('\n')
        .enumerate()
        .map(|(i, l)| Line { no: i + 1, text: l.strip_suffix('\r').unwrap_or(l) })
        .collect();
    let first = lines.first().map_or("", |l| l.text);
    let header_ok = first.strip_prefix("WEBVTT").is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
    if !header_ok {
        parsed.diagnostics.push(Diagnostic::error(
            "vtt-header",
            Location::from(Position::new(1, 1)),
            format!("a WebVTT file must start with a \"WEBVTT\" line, found {}", quote(first)),
        ));
    }
    // The header block (the WEBVTT line and metadata lines) runs to the first blank line; without
    // a header, a first line that is not a timing line is taken as a broken header.
    let mut i = if header_ok || !first.contains("-->") {
        lines.iter().position(Line::is_blank).unwrap_or(lines.len())
    } else {
        0
    };
    while i < lines.len() {
        if lines.get(i).is_some_and(Line::is_blank) {
            i += 1;
            continue;
        }
        let end = lines.iter().skip(i).position(Line::is_blank).map_or(lines.len(), |n| i + n);
        if let Some(block) = lines.get(i..end) {
            read_block(block, &mut parsed);
        }
        i = end;
    }
    parsed
}

/// Reads one block (lines between blank lines): a cue, or a NOTE/STYLE/REGION block.
fn read_block(block: &[Line<'_>], parsed: &mut Parsed) {
    let Some(head) = block.first() else { return };
    let word = head.text.trim_start().split([' ', '\t']).next().unwrap_or("");
    if matches!(word, "NOTE" | "STYLE" | "REGION") && !head.text.contains("-->") {
        return;
    }
    let timing_index = if head.text.contains("-->") {
        0
    } else if block.get(1).is_some_and(|l| l.text.contains("-->")) {
        1
    } else {
        parsed.diagnostics.push(Diagnostic::error(
            "vtt-syntax",
            Location::from(head.pos(head.text.len() - head.text.trim_start().len())),
            format!(
                "expected a cue (an optional identifier, then \"00:00:00.000 --> 00:01:00.000\"), found {}",
                quote(head.text.trim())
            ),
        ));
        return;
    };
    let Some(timing) = block.get(timing_index) else { return };
    let (left, right) = timing.text.split_once("-->").unwrap_or((timing.text, ""));
    let start_at = left.len() - left.trim_start().len();
    let right_at = left.len() + 3;
    let end_at = right_at + right.len() - right.trim_start().len();
    let end_text = right.trim_start().split([' ', '\t']).next().unwrap_or("");
    let start = vtt_time(left.trim(), timing, start_at, "start", &mut parsed.diagnostics);
    let end = vtt_time(end_text, timing, end_at, "end", &mut parsed.diagnostics);

    let mut title_parts: Vec<&str> = Vec::new();
    let mut title_at = None;
    for line in block.get(timing_index + 1..).unwrap_or(&[]) {
        if line.text.contains("-->") {
            parsed.diagnostics.push(Diagnostic::error(
                "vtt-syntax",
                Location::from(line.pos(0)),
                format!(
                    "cue text must not contain \"-->\" (is a blank line missing before this cue?): {}",
                    quote(line.text.trim())
                ),
            ));
            continue;
        }
        let text = line.text.trim();
        if !text.is_empty() {
            title_at.get_or_insert_with(|| line.pos(line.text.len() - line.text.trim_start().len()));
            title_parts.push(text);
        }
    }
    let (Some(start), Some(end)) = (start, end) else { return };
    let at = timing.pos(start_at);
    if title_parts.is_empty() {
        parsed.diagnostics.push(Diagnostic::warning(
            "no-title",
            Location::from(at),
            format!("cue without a title: {}", quote(timing.text.trim())),
        ));
    }
    parsed.entries.push(Entry {
        chapter: Chapter::new(start, title_parts.join(" ")).with_end(end),
        at,
        title_at: title_at.unwrap_or(at),
        source: timing.text.trim().to_owned(),
    });
}

/// Reads a cue timestamp; `at` is its byte offset in `line`. Pushes a warning for a non-WebVTT form
/// that still reads, an error for anything else.
fn vtt_time(text: &str, line: &Line<'_>, at: usize, which: &str, diags: &mut Vec<Diagnostic>) -> Option<Timestamp> {
    match text.parse::<Timestamp>() {
        Ok(t) => {
            if !is_strict(text) {
                let why = if text.contains(',') {
                    "uses ',' before the milliseconds; WebVTT requires '.'"
                } else {
                    "is not in the WebVTT form HH:MM:SS.mmm or MM:SS.mmm"
                };
                diags.push(Diagnostic::warning(
                    "vtt-timestamp",
                    Location::from(line.pos(at)),
                    format!("cue {which} time {} {why}; read as {t}", quote(text)),
                ));
            }
            Some(t)
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                "timestamp",
                Location::from(line.pos(at + e.offset())),
                format!("{e}, in cue timing {}", quote(line.text.trim())),
            ));
            None
        }
    }
}

/// True for the WebVTT timestamp grammar: `[HH+:]MM:SS.ttt`.
fn is_strict(text: &str) -> bool {
    let Some((whole, frac)) = text.split_once('.') else { return false };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(frac, 3) {
        return false;
    }
    let parts: Vec<&str> = whole.split(':').collect();
    match parts.as_slice() {
        [m, s] => digits(m, 2) && digits(s, 2),
        [h, m, s] => h.len() >= 2 && digits(h, h.len()) && digits(m, 2) && digits(s, 2),
        _ => false,
    }
}

/// 1-based character column of byte `byte` in `line`.
fn column(line: &str, byte: usize) -> usize {
    let mut b = byte.min(line.len());
    while !line.is_char_boundary(b) {
        b -= 1;
    }
    line.get(..b).map_or(0, |s| s.chars().count()) + 1
}

/// Writes WebVTT chapters (see the module documentation).
pub fn write(chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    let starts = quantized_starts(chapters, MILLI, Format::Vtt)?;
    let mut out = String::from("WEBVTT\n\n");
    for (i, (c, start)) in chapters.iter().zip(starts).enumerate() {
        let Some(end) = chapters.end_of(i) else {
            return Err(WriteError::new(
                Format::Vtt,
                format!(
                    "the last chapter \"{}\" ({}) has no end, and WebVTT cues need one: pass the audio duration (--duration)",
                    c.title, c.start
                ),
            ));
        };
        let end = end.round_to(MILLI);
        if end <= start {
            return Err(WriteError::new(
                Format::Vtt,
                format!("chapter \"{}\" ({}) would end at its start at millisecond precision", c.title, c.start),
            ));
        }
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            Timestamp::from_nanos(start),
            Timestamp::from_nanos(end),
            cue_text(&c.title)
        ));
    }
    Ok(out)
}

/// A title as cue text: one line (control characters become spaces, runs collapse), no `-->`.
fn cue_text(title: &str) -> String {
    super::one_line(title).replace("-->", "→")
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
    fn reads_cues_notes_and_settings() {
        let p = read(
            "\u{feff}WEBVTT - chapters\nKind: chapters\n\nNOTE written by hand\n--> not a cue\n\nSTYLE\n::cue { color: red }\n\nintro\n00:00.000 --> 00:01:30.500 align:start\nWelcome\n  to the show \n\n00:01:30.500 --> 01:00:00.000\r\nTalk\r\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
        let got: Vec<_> =
            p.entries.iter().map(|e| (e.chapter.start, e.chapter.end, e.chapter.title.as_str())).collect();
        assert_eq!(got, vec![(t(0), Some(t(90_500)), "Welcome to the show"), (t(90_500), Some(t(3_600_000)), "Talk")]);
        assert_eq!(p.entries[0].at, Position::new(11, 1));
        assert_eq!(p.entries[0].title_at, Position::new(12, 1));
        assert_eq!(p.entries[1].source, "00:01:30.500 --> 01:00:00.000");
        assert!(p.into_chapters().is_ok());
    }

    #[test]
    fn lenient_timestamps_are_warnings() {
        let p = read("WEBVTT\n\n1\n00:00:00,000 --> 1:00.5\nA\n");
        assert_eq!(
            diags(&p),
            vec![
                "4:1: warning: cue start time \"00:00:00,000\" uses ',' before the milliseconds; WebVTT requires '.'; read as 00:00:00.000",
                "4:18: warning: cue end time \"1:00.5\" is not in the WebVTT form HH:MM:SS.mmm or MM:SS.mmm; read as 00:01:00.500",
            ]
        );
        assert_eq!(p.entries[0].chapter.end, Some(t(60_500)));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_column() {
        let p = read(
            "WEBVTT-ish\n\n00:00.000 --> 00:61.000\nBad end\n\njust text\nmore\n\n  00:10.000 --> 00:20.000\n\n00:20.000 --> 00:30.000\nA\n00:30.000 --> 00:40.000\nB\n",
        );
        assert_eq!(
            diags(&p),
            vec![
                "1:1: error: a WebVTT file must start with a \"WEBVTT\" line, found \"WEBVTT-ish\"",
                "3:18: error: invalid timestamp \"00:61.000\": seconds must be less than 60 (found 61), in cue timing \"00:00.000 --> 00:61.000\"",
                "6:1: error: expected a cue (an optional identifier, then \"00:00:00.000 --> 00:01:00.000\"), found \"just text\"",
                "9:3: warning: cue without a title: \"00:10.000 --> 00:20.000\"",
                "13:1: error: cue text must not contain \"-->\" (is a blank line missing before this cue?): \"00:30.000 --> 00:40.000\"",
            ]
        );
        let got: Vec<_> = p.entries.iter().map(|e| (e.chapter.start, e.chapter.title.as_str())).collect();
        assert_eq!(got, vec![(t(10_000), ""), (t(20_000), "A B")]);
    }

    #[test]
    fn header_missing_but_cues_are_read() {
        let p = read("00:00.000 --> 00:05.000\nA\n");
        assert_eq!(
            diags(&p),
            vec!["1:1: error: a WebVTT file must start with a \"WEBVTT\" line, found \"00:00.000 --> 00:05.000\""]
        );
        assert_eq!(p.entries.len(), 1);
        assert_eq!(diags(&read("")), vec!["1:1: error: a WebVTT file must start with a \"WEBVTT\" line, found \"\""]);
    }

    #[test]
    fn end_before_start_is_caught_when_checking() {
        let p = read("WEBVTT\n\n00:05.000 --> 00:04.000\nA\n");
        let e = p.into_chapters().unwrap_err().diagnostics;
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().starts_with("3:1: error: ends at 00:00:04.000, not after its start"), "{}", e[0]);
    }

    #[test]
    fn writes_the_exact_file() {
        let c = Chapters::new(vec![
            Chapter::new(t(0), "Intro --> start"),
            Chapter::new(Timestamp::from_nanos(90_500_400_000), "Talk\n\nwith a blank line").with_end(t(3_000_000)),
            Chapter::new(t(3_723_000), "Out"),
        ])
        .unwrap()
        .with_duration(t(4_000_000))
        .unwrap();
        assert_eq!(
            write(&c, &WriteOptions::default()).unwrap(),
            "WEBVTT\n\n1\n00:00:00.000 --> 00:01:30.500\nIntro → start\n\n2\n00:01:30.500 --> 00:50:00.000\nTalk with a blank line\n\n3\n01:02:03.000 --> 01:06:40.000\nOut\n\n"
        );
    }

    #[test]
    fn the_last_end_needs_a_duration() {
        let c = Chapters::new(vec![Chapter::new(t(0), "A"), Chapter::new(t(1000), "B")]).unwrap();
        let e = write(&c, &WriteOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot write vtt: the last chapter \"B\" (00:00:01.000) has no end, and WebVTT cues need one: pass the audio duration (--duration)"
        );
        let c = c.with_duration(Timestamp::from_nanos(1_000_400_000)).unwrap();
        assert!(write(&c, &WriteOptions::default()).unwrap_err().message.contains("would end at its start"));
    }

    #[test]
    fn strict_grammar() {
        for ok in ["00:00.000", "00:00:00.000", "123:59:59.999"] {
            assert!(is_strict(ok), "{ok}");
        }
        for bad in ["0:00.000", "1:00:00.000", "00:00,000", "00:00.00", "00:00", "00:00:00:00.000", "aa:00.000"] {
            assert!(!is_strict(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(
            c in testutil::chapters(20, MILLI, "[A-Za-z0-9][A-Za-z0-9 ,.!?&<>'\"éß€😀-]{0,30}", false),
            tail in 1u64..10_000,
        ) {
            let last = c.as_slice().last().map_or(0, |l| l.start.as_nanos());
            let c = c.with_duration(Timestamp::from_nanos(last + tail * MILLI)).unwrap();
            let text = write(&c, &WriteOptions::default()).unwrap();
            let back = read(&text);
            prop_assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
            let back = back.into_chapters().unwrap();
            prop_assert_eq!(back.len(), c.len());
            for (i, (a, b)) in c.iter().zip(back.iter()).enumerate() {
                prop_assert_eq!(a.start, b.start);
                prop_assert_eq!(&a.title.replace("-->", "→"), &b.title);
                prop_assert_eq!(b.end, c.end_of(i));
            }
        }

        #[test]
        fn quick_never_panics(s in "\\PC*") {
            let _ = read(&s);
            let _ = read(&format!("WEBVTT\n\n{s}"));
        }
    }
}
