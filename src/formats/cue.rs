//! CUE sheets: one `TRACK` per chapter in a single `FILE`, times as `INDEX 01 MM:SS:FF`.
//!
//! ```text
//! PERFORMER "The Host"
//! TITLE "Episode 12"
//! FILE "episode.mp3" MP3
//!   TRACK 01 AUDIO
//!     TITLE "Intro"
//!     INDEX 01 00:00:00
//!   TRACK 02 AUDIO
//!     TITLE "Talk"
//!     INDEX 01 01:30:38
//! ```
//!
//! # Precision and rounding
//!
//! `FF` counts frames of **1/75 s** (13.33 ms). The writer rounds every start to the nearest
//! frame (`Timestamp::to_ticks(75)`) and refuses lists where two chapters would then start on the
//! same frame. Minutes are not limited to two digits (`INDEX 01 120:00:00` is two hours). The
//! reader converts frames exactly (`Timestamp::from_ticks(frames, 75)`, to the nearest ns).
//!
//! # Writer
//!
//! `PERFORMER` ([`WriteOptions::author`]) and `TITLE` ([`WriteOptions::title`]) when given, then
//! `FILE "name" TYPE` with [`WriteOptions::file_name`] (default `audio.mp3`) and the type from its
//! extension: `MP3` for `.mp3`, `AIFF` for `.aif`/`.aiff`/`.aifc`, else `WAVE` (what CD-ripping and
//! player software write for WAV, FLAC and other audio). Then per chapter `TRACK nn AUDIO`, its
//! `TITLE` and `INDEX 01`. CUE strings have no escape: a `"` in a value is written as `'`, and line
//! breaks and tabs as spaces. Track numbers are two digits in the CUE specification (01–99), so
//! more than 99 chapters is a write error rather than a sheet that CD tools reject. Explicit ends
//! are not written (CUE has none; a track ends where the next starts). Hidden chapters are
//! written like the others. The text is UTF-8.
//!
//! # Reader
//!
//! Commands are case-insensitive; values may be quoted or not (an unquoted value is the rest of
//! the line). `TITLE` before the first `TRACK` is the document title; inside a track, the
//! chapter title. `INDEX 01` is the chapter start; `INDEX 00` (pregap) and higher indexes are
//! ignored, and so are `REM`, `PERFORMER`, `SONGWRITER`, `FLAGS`, `ISRC`, `CATALOG`,
//! `CDTEXTFILE`, `PREGAP` and `POSTGAP`. Diagnostics: seconds ≥ 60 or frames ≥ 75, a `TRACK`
//! without `INDEX 01`, an `INDEX` outside a track, a second `FILE` (chapters are for one audio
//! file; times restart in each file), an unterminated quote (warning), unknown commands (warning).

use std::fmt::Write as _;

use super::{Entry, Format, Parsed, WriteError, WriteOptions};
use crate::diagnostic::{Diagnostic, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

/// Frames per second in a CUE time.
const FRAMES: u64 = 75;

/// A track being read.
struct Track {
    number: String,
    at: Position,
    line: String,
    title: Option<(String, Position)>,
    start: Option<(Timestamp, Position, String)>,
    /// An `INDEX 01` line was seen (even one with a bad time, already reported).
    indexed: bool,
}

/// The column (1-based, in characters) of byte `byte` in `line`.
fn col(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(1, |s| s.chars().count() + 1)
}

/// Splits the first word off `s`, returning it and the rest with its byte offset in `s`.
fn word(s: &str) -> (&str, &str, usize) {
    let lead = s.len() - s.trim_start().len();
    let t = &s[lead..];
    let end = t.find(char::is_whitespace).unwrap_or(t.len());
    let rest = &t[end..];
    let rest_lead = rest.len() - rest.trim_start().len();
    (&t[..end], rest.trim_start(), lead + end + rest_lead)
}

/// A CUE string value: quoted (`"a b"`) or the rest of the line. Returns the value, the byte
/// offset of its first character within `s`, and a problem when the quote is not closed or text
/// follows it.
fn value(s: &str) -> (&str, usize, Option<&'static str>) {
    let s_trim = s.trim_end();
    if let Some(inner) = s_trim.strip_prefix('"') {
        match inner.find('"') {
            Some(close) => {
                let after = inner[close + 1..].trim();
                let problem = (!after.is_empty()).then_some("text after the closing quote is ignored");
                (&inner[..close], 1, problem)
            }
            None => (inner, 1, Some("the closing quote is missing")),
        }
    } else {
        (s_trim, 0, None)
    }
}

/// Parses `MM:SS:FF` into frames, or a message and the byte offset of the bad field.
fn parse_msf(text: &str) -> Result<u64, (String, usize)> {
    let mut fields = [(0u64, 0usize); 3];
    let mut n = 0;
    let mut pos = 0;
    for part in text.split(':') {
        if n == 3 {
            return Err(("a CUE time has three fields MM:SS:FF".to_owned(), pos));
        }
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(("each field of MM:SS:FF must be digits".to_owned(), pos));
        }
        let v = part.parse::<u64>().map_err(|_| ("the minutes are too large".to_owned(), pos))?;
        if let Some(f) = fields.get_mut(n) {
            *f = (v, pos);
        }
        n += 1;
        pos += part.len() + 1;
    }
    if n != 3 {
        return Err(("a CUE time has three fields MM:SS:FF".to_owned(), 0));
    }
    let [(m, _), (s, s_at), (f, f_at)] = fields;
    if s >= 60 {
        return Err((format!("seconds must be less than 60 (found {s})"), s_at));
    }
    if f >= FRAMES {
        return Err((format!("frames must be less than 75 (found {f}; a frame is 1/75 s)"), f_at));
    }
    m.checked_mul(60)
        .and_then(|x| x.checked_add(s))
        .and_then(|x| x.checked_mul(FRAMES))
        .and_then(|x| x.checked_add(f))
        .ok_or_else(|| ("the minutes are too large".to_owned(), 0))
}

struct Reader {
    out: Parsed,
    track: Option<Track>,
    files: usize,
}

impl Reader {
    fn finish_track(&mut self) {
        let Some(t) = self.track.take() else { return };
        match t.start {
            Some((start, at, source)) => {
                let (title, title_at) = t.title.unwrap_or_else(|| (String::new(), t.at));
                self.out.entries.push(Entry { chapter: Chapter::new(start, title), at, title_at, source });
            }
            None if t.indexed => {}
            None => self.out.diagnostics.push(Diagnostic::error(
                "cue-index",
                Location::from(t.at),
                format!("TRACK {} has no INDEX 01 (its start time): {}", t.number, quote(&t.line)),
            )),
        }
    }

    fn line(&mut self, line_no: usize, line: &str) {
        let (cmd, rest, rest_at) = word(line);
        let upper = cmd.to_ascii_uppercase();
        let cmd_at = Position::new(line_no, col(line, line.len() - line.trim_start().len()));
        let shown = line.trim();
        let err = |code, byte: usize, msg: String| {
            Diagnostic::error(code, Location::from(Position::new(line_no, col(line, byte))), msg)
        };
        match upper.as_str() {
            "" | "REM" | "PERFORMER" | "SONGWRITER" | "FLAGS" | "ISRC" | "CATALOG" | "CDTEXTFILE" | "PREGAP"
            | "POSTGAP" => {}
            "FILE" => {
                self.finish_track();
                self.files += 1;
                if self.files > 1 {
                    self.out.diagnostics.push(err(
                        "cue-file",
                        line.len() - line.trim_start().len(),
                        format!(
                            "a second FILE: chapters belong to one audio file, and times restart in each FILE: {}",
                            quote(shown)
                        ),
                    ));
                }
            }
            "TITLE" => {
                let (v, off, problem) = value(rest);
                let at = Position::new(line_no, col(line, rest_at + off));
                if let Some(p) = problem {
                    self.out.diagnostics.push(Diagnostic::warning(
                        "cue-quote",
                        Location::from(at),
                        format!("{p}: {}", quote(shown)),
                    ));
                }
                match self.track.as_mut() {
                    Some(t) => t.title = Some((v.trim().to_owned(), at)),
                    None => self.out.title = Some(v.trim().to_owned()),
                }
            }
            "TRACK" => {
                self.finish_track();
                let (number, _, _) = word(rest);
                if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                    self.out.diagnostics.push(err(
                        "cue-track",
                        rest_at,
                        format!("TRACK needs a number, as in TRACK 01 AUDIO: {}", quote(shown)),
                    ));
                }
                self.track = Some(Track {
                    number: number.to_owned(),
                    at: cmd_at,
                    line: shown.to_owned(),
                    title: None,
                    start: None,
                    indexed: false,
                });
            }
            "INDEX" => {
                let (number, time, time_at) = word(rest);
                let time = time.trim_end();
                let time_at = rest_at + time_at;
                let Ok(n) = number.parse::<u32>() else {
                    self.out.diagnostics.push(err(
                        "cue-index",
                        rest_at,
                        format!("INDEX needs a number and a time, as in INDEX 01 00:00:00: {}", quote(shown)),
                    ));
                    return;
                };
                if n != 1 {
                    return; // INDEX 00 is the pregap; INDEX 02+ are sub-indexes.
                }
                let Some(track) = self.track.as_mut() else {
                    self.out.diagnostics.push(err(
                        "cue-index",
                        line.len() - line.trim_start().len(),
                        format!("INDEX 01 outside a TRACK: {}", quote(shown)),
                    ));
                    return;
                };
                if track.indexed {
                    self.out.diagnostics.push(err(
                        "cue-index",
                        time_at,
                        format!("a second INDEX 01 in TRACK {}; the first counts: {}", track.number, quote(shown)),
                    ));
                    return;
                }
                track.indexed = true;
                match parse_msf(time) {
                    Ok(frames) => match Timestamp::from_ticks(frames, FRAMES) {
                        Some(t) => {
                            track.start = Some((t, Position::new(line_no, col(line, time_at)), shown.to_owned()))
                        }
                        None => self.out.diagnostics.push(err(
                            "cue-time",
                            time_at,
                            format!("the time is too large: {}", quote(shown)),
                        )),
                    },
                    Err((msg, off)) => self.out.diagnostics.push(err(
                        "cue-time",
                        time_at + off,
                        format!("invalid CUE time {}: {msg}, in {}", quote(time), quote(shown)),
                    )),
                }
            }
            _ => self.out.diagnostics.push(Diagnostic::warning(
                "cue-command",
                Location::from(cmd_at),
                format!("unknown CUE command, ignored: {}", quote(shown)),
            )),
        }
    }
}

/// Reads a CUE sheet's tracks as chapters; never panics. See the module documentation.
pub fn read(input: &str) -> Parsed {
    let mut r = Reader { out: Parsed::default(), track: None, files: 0 };
    for (n, raw) in input.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        r.line(n + 1, line);
    }
    r.finish_track();
    r.out
}

/// A CUE string: `"` becomes `'`, line breaks and other control characters become spaces.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c == '"' {
                '\''
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The CUE `FILE` type for a file name.
fn file_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "mp3" => "MP3",
        "aif" | "aiff" | "aifc" => "AIFF",
        _ => "WAVE",
    }
}

/// Writes a CUE sheet (see the module documentation for rounding and limits).
///
/// ```
/// # use podmark::{Chapter, Chapters, Timestamp, formats::{cue, WriteOptions}};
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let chapters = Chapters::new(vec![Chapter::new(t("0"), "Intro"), Chapter::new(t("1:30.5"), "Talk")])?;
/// let sheet = cue::write(&chapters, &WriteOptions::default())?;
/// assert!(sheet.ends_with("  TRACK 02 AUDIO\n    TITLE \"Talk\"\n    INDEX 01 01:30:38\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(chapters: &Chapters, options: &WriteOptions) -> Result<String, WriteError> {
    if chapters.len() > 99 {
        return Err(WriteError::new(
            Format::Cue,
            format!("a CUE sheet holds at most 99 tracks, and there are {} chapters", chapters.len()),
        ));
    }
    let mut frames: Vec<u64> = Vec::with_capacity(chapters.len());
    let mut prev: Option<&Chapter> = None;
    for c in chapters {
        let f = c.start.to_ticks(FRAMES).unwrap_or(u64::MAX);
        if let (Some(&last), Some(p)) = (frames.last(), prev)
            && f <= last
        {
            return Err(WriteError::new(
                Format::Cue,
                format!(
                    "chapters \"{}\" ({}) and \"{}\" ({}) fall on the same CUE frame (1/75 s)",
                    p.title, p.start, c.title, c.start
                ),
            ));
        }
        frames.push(f);
        prev = Some(c);
    }
    let mut out = String::new();
    if let Some(a) = &options.author {
        let _ = writeln!(out, "PERFORMER \"{}\"", clean(a));
    }
    if let Some(t) = &options.title {
        let _ = writeln!(out, "TITLE \"{}\"", clean(t));
    }
    let file = options.file_name.as_deref().unwrap_or("audio.mp3");
    let _ = writeln!(out, "FILE \"{}\" {}", clean(file), file_type(file));
    for (i, (c, f)) in chapters.iter().zip(frames).enumerate() {
        let (secs, ff) = (f / FRAMES, f % FRAMES);
        let _ = write!(
            out,
            "  TRACK {:02} AUDIO\n    TITLE \"{}\"\n    INDEX 01 {:02}:{:02}:{ff:02}\n",
            i + 1,
            clean(&c.title),
            secs / 60,
            secs % 60
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

    const SHEET: &str = "REM GENRE Podcast\r\nPERFORMER \"Host\"\r\nTITLE \"Episode 12\"\r\nFILE \"ep.mp3\" MP3\r\n  \
        TRACK 01 AUDIO\r\n    TITLE \"Intro\"\r\n    INDEX 01 00:00:00\r\n  TRACK 02 AUDIO\r\n    TITLE Talk\r\n    \
        INDEX 00 01:29:00\r\n    INDEX 01 01:30:38\r\n  track 03 audio\r\n    title \"Long one\"\r\n    index 01 \
        125:00:74\r\n";

    #[test]
    fn reads_a_sheet_exactly() {
        let p = read(SHEET);
        assert_eq!(diags(&p), Vec::<String>::new());
        assert_eq!(p.title.as_deref(), Some("Episode 12"));
        let got: Vec<(u64, &str)> =
            p.entries.iter().map(|e| (e.chapter.start.as_nanos(), e.chapter.title.as_str())).collect();
        assert_eq!(got, vec![(0, "Intro"), (90_506_666_667, "Talk"), (7_500_986_666_667, "Long one")]);
        assert_eq!(p.entries[1].at, Position::new(11, 14));
        assert_eq!(p.entries[1].title_at, Position::new(9, 11));
        assert_eq!(p.entries[2].title_at, Position::new(13, 12));
        assert_eq!(p.entries[1].source, "INDEX 01 01:30:38");
    }

    #[test]
    fn bad_times_missing_index_and_second_file() {
        let text = "FILE \"a.mp3\" MP3\n  TRACK 01 AUDIO\n    INDEX 01 00:60:00\n  TRACK 02 AUDIO\n    TITLE \"x\"\n  \
                    TRACK 03 AUDIO\n    INDEX 01 01:00:75\nFILE \"b.mp3\" MP3\nINDEX 01 00:00:00\n";
        let p = read(text);
        assert_eq!(
            diags(&p),
            vec![
                "3:17 cue-time invalid CUE time \"00:60:00\": seconds must be less than 60 (found 60), in \"INDEX 01 00:60:00\"",
                "4:3 cue-index TRACK 02 has no INDEX 01 (its start time): \"TRACK 02 AUDIO\"",
                "7:20 cue-time invalid CUE time \"01:00:75\": frames must be less than 75 (found 75; a frame is 1/75 s), in \"INDEX 01 01:00:75\"",
                "8:1 cue-file a second FILE: chapters belong to one audio file, and times restart in each FILE: \"FILE \"b.mp3\" MP3\"",
                "9:1 cue-index INDEX 01 outside a TRACK: \"INDEX 01 00:00:00\"",
            ]
        );
        assert!(p.entries.is_empty());
    }

    #[test]
    fn quotes_and_unknown_commands() {
        let p = read(
            "FILE a.wav WAVE\nTRACK 01 AUDIO\nTITLE \"open\nINDEX 01 0:1:2 \nWHATEVER 1\nTRACK x AUDIO\nINDEX 01 1:2\n",
        );
        assert_eq!(
            diags(&p),
            vec![
                "3:8 cue-quote the closing quote is missing: \"TITLE \"open\"",
                "5:1 cue-command unknown CUE command, ignored: \"WHATEVER 1\"",
                "6:7 cue-track TRACK needs a number, as in TRACK 01 AUDIO: \"TRACK x AUDIO\"",
                "7:10 cue-time invalid CUE time \"1:2\": a CUE time has three fields MM:SS:FF, in \"INDEX 01 1:2\"",
            ]
        );
        assert_eq!(p.entries[0].chapter.title, "open");
        assert_eq!(p.entries[0].chapter.start, Timestamp::from_ticks(77, 75).unwrap());
    }

    #[test]
    fn writes_exactly() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let c = Chapters::new(vec![
            Chapter::new(t("0"), "Intro"),
            Chapter::new(t("1:30.5"), "Say \"hi\"\nnow"),
            Chapter::new(t("2:00:00.006"), "Late"),
        ])
        .unwrap();
        let opts = WriteOptions {
            title: Some("Ep 1".into()),
            author: Some("Host".into()),
            file_name: Some("ep.FLAC".into()),
            ..WriteOptions::default()
        };
        assert_eq!(
            write(&c, &opts).unwrap(),
            "PERFORMER \"Host\"\nTITLE \"Ep 1\"\nFILE \"ep.FLAC\" WAVE\n  TRACK 01 AUDIO\n    TITLE \"Intro\"\n    \
             INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    TITLE \"Say 'hi' now\"\n    INDEX 01 01:30:38\n  TRACK 03 \
             AUDIO\n    TITLE \"Late\"\n    INDEX 01 120:00:00\n"
        );
        assert_eq!(file_type("x.aiff"), "AIFF");
        assert_eq!(write(&Chapters::empty(), &WriteOptions::default()).unwrap(), "FILE \"audio.mp3\" MP3\n");
    }

    #[test]
    fn refuses_collapses_and_too_many_tracks() {
        let c = Chapters::new(vec![
            Chapter::new(Timestamp::ZERO, "a"),
            Chapter::new(Timestamp::from_nanos(5_000_000), "b"),
        ])
        .unwrap();
        let e = write(&c, &WriteOptions::default()).unwrap_err().to_string();
        assert!(e.contains("same CUE frame"), "{e}");
        let many =
            Chapters::new((0..100).map(|i| Chapter::new(Timestamp::from_secs(i).unwrap(), "x")).collect()).unwrap();
        let e = write(&many, &WriteOptions::default()).unwrap_err().to_string();
        assert_eq!(e, "cannot write cue: a CUE sheet holds at most 99 tracks, and there are 100 chapters");
    }

    proptest! {
        #[test]
        fn round_trips_on_whole_frames(c in testutil::chapters(99, 40_000_000, "[a-zA-Z0-9 ,.!?'é-]{0,20}", false)) {
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
            let _ = read(&format!("TRACK 01 AUDIO\nINDEX 01 {s}\nTITLE {s}"));
        }
    }
}
