//! Description blocks for YouTube, Spotify and Apple Podcasts: chapter lines in an episode
//! description, each platform with its own rules.
//!
//! | platform | line | first line | hours |
//! |---|---|---|---|
//! | YouTube | `M:SS Title` | `0:00` | `H:MM:SS` on every line when the episode runs an hour or more |
//! | Spotify | `MM:SS Title` | `00:00` | `HH:MM:SS` on every line when the episode runs an hour or more |
//! | Apple Podcasts | `HH:MM:SS Title` | `00:00:00` | always |
//!
//! # Precision and rounding
//!
//! The platforms read **whole seconds**. The writer rounds every start to the nearest second
//! (halves up) and refuses lists where two visible chapters would then start in the same second.
//! "The episode runs an hour or more" means its duration, or else its last visible chapter start,
//! is at least 1:00:00 after rounding; one format for every line keeps the block consistent.
//!
//! # Writer
//!
//! One line per visible chapter (hidden chapters are not part of the table of contents and are
//! left out), the time, one space, the title. Spotify allows at most one punctuation mark between
//! time and title, so none is written. Line breaks, tabs and other control characters in titles
//! become spaces; for YouTube `<` and `>` are removed (YouTube rejects descriptions containing
//! angle brackets). The platforms want the first chapter at zero and at least three chapters; the
//! writer does not invent a chapter to satisfy that — it writes what it has, and
//! `podmark chapters check --profile youtube|spotify|apple` reports what a platform would reject.
//!
//! # Reader
//!
//! A description block is usually surrounded by prose, so the reader follows the show-notes
//! chapter-line rules ([`chapter_lines`]: bullets, brackets, separators, `Title (12:30)`, and a
//! chapter line needs a list or other chapter lines around it) and ignores every other line, so
//! `12:30 pm on Friday we go live` stays prose. A chapter-like line with an
//! impossible time (`1:75 Title`) is an error at the offending character. A fraction of a second
//! is kept but warned about: the platforms read whole seconds only.

use std::fmt::Write as _;

use super::{Format, Parsed, WriteError, WriteOptions, quantized_starts};
use crate::Chapters;
use crate::diagnostic::{Diagnostic, Location, quote};
use crate::formats::notes::{CHAPTER_LINE_FORMS, chapter_lines};

const SECOND: u64 = 1_000_000_000;

/// The platform's name as people write it.
fn platform_name(platform: Format) -> &'static str {
    match platform {
        Format::Youtube => "YouTube",
        Format::Spotify => "Spotify",
        Format::Apple => "Apple Podcasts",
        _ => "this platform",
    }
}

/// Reads the chapter lines of a description block; never panics. Other lines are ignored.
pub fn read(input: &str, platform: Format) -> Parsed {
    let mut out = Parsed { forms_hint: Some(CHAPTER_LINE_FORMS), ..Parsed::default() };
    let lines: Vec<&str> = input.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    for (n, m) in chapter_lines(&lines) {
        let line_no = n + 1;
        let line = lines[n];
        match m.to_entry(line, line_no) {
            Ok(entry) => {
                if entry.chapter.start.as_nanos() % SECOND != 0 {
                    out.diagnostics.push(Diagnostic::warning(
                        "description-fraction",
                        Location::from(entry.at),
                        format!(
                            "{} chapter times are whole seconds; the fraction in {} may keep it from reading this line",
                            platform_name(platform),
                            quote(m.time_text)
                        ),
                    ));
                }
                out.entries.push(entry);
            }
            Err(d) => out.diagnostics.push(d),
        }
    }
    out
}

/// A whole number of seconds in the platform's style.
fn time_text(secs: u64, platform: Format, hours: bool) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (platform, hours) {
        (Format::Youtube, true) => format!("{h}:{m:02}:{s:02}"),
        (Format::Youtube, false) => format!("{}:{s:02}", secs / 60),
        (Format::Spotify, false) => format!("{:02}:{s:02}", secs / 60),
        _ => format!("{h:02}:{m:02}:{s:02}"),
    }
}

/// A title fit for one description line on `platform`.
fn clean_title(title: &str, platform: Format) -> String {
    title
        .chars()
        .filter(|&c| platform != Format::Youtube || (c != '<' && c != '>'))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Writes a description block following `platform`'s rules ([`Format::Youtube`],
/// [`Format::Spotify`] or [`Format::Apple`]; any other format is an error).
///
/// ```
/// # use podmark::{Chapter, Chapters, Timestamp, formats::{description, Format, WriteOptions}};
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let chapters = Chapters::new(vec![
///     Chapter::new(t("0"), "Intro"),
///     Chapter::new(t("1:29.6"), "Talk"),
///     Chapter::new(t("12:00"), "Outro"),
/// ])?;
/// let block = description::write(&chapters, &WriteOptions::default(), Format::Youtube)?;
/// assert_eq!(block, "0:00 Intro\n1:30 Talk\n12:00 Outro\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(chapters: &Chapters, _options: &WriteOptions, platform: Format) -> Result<String, WriteError> {
    if !matches!(platform, Format::Youtube | Format::Spotify | Format::Apple) {
        return Err(WriteError::new(platform, "not a description platform (youtube, spotify or apple)"));
    }
    // A subsequence of a valid list is valid; the check only guards the invariant.
    let visible = Chapters::new(chapters.iter().filter(|c| !c.hidden).cloned().collect())
        .map_err(|e| WriteError::new(platform, e.to_string()))?;
    let starts: Vec<u64> = quantized_starts(&visible, SECOND, platform)?.into_iter().map(|n| n / SECOND).collect();
    let longest = starts.last().copied().unwrap_or(0).max(chapters.duration().map_or(0, |d| d.as_secs_rounded()));
    let hours = longest >= 3600;
    let mut out = String::new();
    for (c, secs) in visible.iter().zip(starts) {
        let time = time_text(secs, platform, hours);
        let title = clean_title(&c.title, platform);
        if title.is_empty() {
            let _ = writeln!(out, "{time}");
        } else {
            let _ = writeln!(out, "{time} {title}");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Chapter;
    use crate::Timestamp;
    use crate::diagnostic::Position;
    use crate::formats::notes::starts_with_clock_word;
    use crate::formats::testutil;
    use crate::formats::testutil::coded_diagnostics as diags;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_chaptertool_youtube_sample() {
        let p = read(include_str!("../../tests/fixtures/chapters/peer/youtube-chapters.txt"), Format::Youtube);
        assert_eq!(diags(&p), Vec::<String>::new());
        let got: Vec<(u64, &str)> =
            p.entries.iter().map(|e| (e.chapter.start.as_nanos() / SECOND, e.chapter.title.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (0, "Chapter 1 of 5"),
                (131, "Chapter 2 of 5"),
                (231, "Chapter 3 of 5"),
                (376, "Chapter 4 of 5"),
                (542, "Chapter 5 of 5")
            ]
        );
        assert_eq!(p.entries[4].at, Position::new(5, 1));
        assert_eq!(p.entries[4].title_at, Position::new(5, 7));
        assert_eq!(p.entries[4].source, "09:02 Chapter 5 of 5");
        assert_eq!(p.into_chapters().map(|c| c.len()), Ok(5));
    }

    #[test]
    fn prose_is_ignored_and_bad_times_are_reported() {
        let text = "Welcome to the show!\r\n\r\nChapters:\r\n0:00 Intro\r\n1:75 Bad seconds\r\n- 00:61:00 Worse\r\n\
                    (01:02.5) Fraction\r\nFollow us at 12:30 daily.\r\n• 2:00 - Outro <https://example.com>\r\n";
        let p = read(text, Format::Spotify);
        assert_eq!(
            diags(&p),
            vec![
                "5:3 timestamp invalid timestamp \"1:75\": seconds must be less than 60 (found 75), in chapter line \"1:75 Bad seconds\"",
                "6:6 timestamp invalid timestamp \"00:61:00\": minutes must be less than 60 (found 61), in chapter line \"- 00:61:00 Worse\"",
                "7:2 description-fraction Spotify chapter times are whole seconds; the fraction in \"01:02.5\" may keep it from reading this line",
            ]
        );
        let got: Vec<(u64, &str, Option<&str>)> = p
            .entries
            .iter()
            .map(|e| (e.chapter.start.as_millis(), e.chapter.title.as_str(), e.chapter.url.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![(0, "Intro", None), (62_500, "Fraction", None), (120_000, "Outro", Some("https://example.com"))]
        );
        assert_eq!(p.entries[2].at, Position::new(9, 3));
        assert_eq!(p.entries[2].title_at, Position::new(9, 10));
    }

    fn long_list() -> Chapters {
        Chapters::new(vec![
            Chapter::new(t("0"), "Intro"),
            Chapter::new(t("1:30.4"), "Talk <live>\nnow"),
            Chapter::new(t("1:40"), "Ad marker").hidden(true),
            Chapter::new(t("1:02:05.6"), "Late"),
        ])
        .unwrap()
    }

    #[test]
    fn writes_each_platform_exactly() {
        let o = WriteOptions::default();
        let c = long_list();
        assert_eq!(write(&c, &o, Format::Youtube).unwrap(), "0:00:00 Intro\n0:01:30 Talk live now\n1:02:06 Late\n");
        assert_eq!(
            write(&c, &o, Format::Spotify).unwrap(),
            "00:00:00 Intro\n00:01:30 Talk <live> now\n01:02:06 Late\n"
        );
        assert_eq!(write(&c, &o, Format::Apple).unwrap(), "00:00:00 Intro\n00:01:30 Talk <live> now\n01:02:06 Late\n");
        let short =
            Chapters::new(vec![Chapter::new(t("0"), "A"), Chapter::new(t("75"), "B"), Chapter::new(t("600"), "C")])
                .unwrap();
        assert_eq!(write(&short, &o, Format::Youtube).unwrap(), "0:00 A\n1:15 B\n10:00 C\n");
        assert_eq!(write(&short, &o, Format::Spotify).unwrap(), "00:00 A\n01:15 B\n10:00 C\n");
        assert_eq!(write(&short, &o, Format::Apple).unwrap(), "00:00:00 A\n00:01:15 B\n00:10:00 C\n");
        // An hour-long episode uses hours on every line, even when no chapter starts past 1:00:00.
        let long = short.with_duration(t("1:00:00")).unwrap();
        assert_eq!(write(&long, &o, Format::Youtube).unwrap(), "0:00:00 A\n0:01:15 B\n0:10:00 C\n");
        assert_eq!(write(&long, &o, Format::Spotify).unwrap(), "00:00:00 A\n00:01:15 B\n00:10:00 C\n");
    }

    #[test]
    fn refuses_collapses_but_not_because_of_hidden_chapters() {
        let o = WriteOptions::default();
        let c = Chapters::new(vec![Chapter::new(t("0"), "a"), Chapter::new(t("0.4"), "b")]).unwrap();
        let e = write(&c, &o, Format::Apple).unwrap_err().to_string();
        assert!(e.starts_with("cannot write apple: chapters \"a\""), "{e}");
        let c =
            Chapters::new(vec![Chapter::new(t("10"), "a"), Chapter::new(t("10.2"), "hidden").hidden(true)]).unwrap();
        assert_eq!(write(&c, &o, Format::Youtube).unwrap(), "0:10 a\n");
        assert!(write(&c, &o, Format::Json).is_err());
    }

    proptest! {
        #[test]
        fn round_trips_in_seconds(
            c in testutil::chapters(30, SECOND, "[a-zA-Z0-9é][a-zA-Z0-9é ,.!?']{0,20}", false),
            platform in prop_oneof![Just(Format::Youtube), Just(Format::Spotify), Just(Format::Apple)],
        ) {
            // `1:00 pm` or `0:00 a.m` is a clock time to the reader, not a chapter (see `notes`).
            prop_assume!(c.iter().all(|c| !starts_with_clock_word(&c.title)));
            let text = write(&c, &WriteOptions::default(), platform).unwrap();
            let back = read(&text, platform);
            prop_assert!(back.diagnostics.is_empty(), "{text}\n{:?}", back.diagnostics);
            let back = back.into_chapters();
            prop_assert!(back.is_ok(), "{text}\n{back:?}");
            let a: Vec<_> = c.iter().map(|c| (c.start, c.title.clone())).collect();
            let b: Vec<_> = back.unwrap().iter().map(|c| (c.start, c.title.clone())).collect();
            prop_assert_eq!(a, b);
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            for p in [Format::Youtube, Format::Spotify, Format::Apple] {
                let _ = read(&s, p);
                let _ = read(&format!("0:{s}"), p);
            }
        }
    }
}
