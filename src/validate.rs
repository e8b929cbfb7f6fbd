//! Validation of chapter lists against platform profiles.
//!
//! [`check`] looks at chapters **as read** (in source order, with positions), so it can report
//! problems that a valid [`Chapters`](crate::Chapters) value cannot even hold — out-of-order
//! lines, duplicates — each at its line and column. It reports every problem, not only the first.
//!
//! | profile | rules on top of `strict` |
//! |---|---|
//! | `strict` (default) | at least one chapter; strictly increasing unique starts; ends after starts, no overlaps; nothing at or past the audio's end; no empty titles; warnings for a first chapter after 0, chapters under 1 s, titles over 255 bytes or with tabs or line breaks, the same title twice in a row; an error for any other control character in a title |
//! | `apple` | first chapter at 00:00:00, at least 3 chapters (Apple's description rules), whole-second starts distinct |
//! | `youtube` | first at 0:00, at least 3 chapters, each at least 10 s long after rounding to seconds, no `<`/`>` in titles; warning over 49 characters (hover title cut) |
//! | `spotify` | first at 0, at least 3 chapters, whole-second starts distinct; warnings for titles of 40+ characters, chapters under 30 s, non-Latin script |
//! | `podcasting2` | `url` and `img` absolute http(s) URLs; hidden chapters allowed |
//! | `id3` | at most 255 chapters in the table of contents (one CTOC); times below 2^32 ms |
//! | `mp4` | at most 255 chapters (`chpl` count is one byte); titles over 255 bytes are cut (warning); first chapter at 0 expected by QuickTime tracks (warning) |

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::Timestamp;
use crate::diagnostic::{Diagnostic, Location, quote};
use crate::formats::{Entry, Format, Parsed};

/// A set of rules to check chapters against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Structural soundness; what every other profile builds on.
    #[default]
    Strict,
    /// Apple Podcasts description chapters.
    Apple,
    /// YouTube description chapters.
    Youtube,
    /// Spotify description chapters.
    Spotify,
    /// Podcasting 2.0 JSON chapters.
    Podcasting2,
    /// ID3v2 CHAP/CTOC in MP3 files.
    Id3,
    /// MP4 `chpl` and QuickTime chapter tracks.
    Mp4,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 7] = [
        Profile::Strict,
        Profile::Apple,
        Profile::Youtube,
        Profile::Spotify,
        Profile::Podcasting2,
        Profile::Id3,
        Profile::Mp4,
    ];

    /// The command-line name.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Strict => "strict",
            Profile::Apple => "apple",
            Profile::Youtube => "youtube",
            Profile::Spotify => "spotify",
            Profile::Podcasting2 => "podcasting2",
            Profile::Id3 => "id3",
            Profile::Mp4 => "mp4",
        }
    }

    /// The platform profile whose rules a list written in `format` must meet to be accepted
    /// there: `youtube`, `spotify` and `apple` for their description blocks, `podcasting2` for
    /// JSON chapters; `None` for formats without a platform's rules.
    pub const fn for_format(format: Format) -> Option<Profile> {
        match format {
            Format::Youtube => Some(Profile::Youtube),
            Format::Spotify => Some(Profile::Spotify),
            Format::Apple => Some(Profile::Apple),
            Format::Json => Some(Profile::Podcasting2),
            _ => None,
        }
    }

    /// What `profile`'s rules add to `strict` for `parsed`: the problems the platform has with a
    /// list that is otherwise sound (see [`check`]).
    pub fn platform_problems(self, parsed: &Parsed, duration: Option<Timestamp>) -> Vec<Diagnostic> {
        let strict: std::collections::HashSet<Diagnostic> =
            check(parsed, Profile::Strict, duration).into_iter().collect();
        check(parsed, self, duration).into_iter().filter(|d| !strict.contains(d)).collect()
    }

    const fn is_description(self) -> bool {
        matches!(self, Profile::Apple | Profile::Youtube | Profile::Spotify)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        Profile::ALL.into_iter().find(|p| p.name() == lower).ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

/// A validation profile name that podmark does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile \"{0}\" (expected one of: strict, apple, youtube, spotify, podcasting2, id3, mp4)")]
pub struct UnknownProfile(pub String);

const SECOND: u64 = 1_000_000_000;

/// Checks what a reader found against `profile`. `duration` is the audio's length when known (it
/// overrides a duration recorded in the source). The reader's own diagnostics are not repeated;
/// combine them with [`check_all`].
pub fn check(parsed: &Parsed, profile: Profile, duration: Option<Timestamp>) -> Vec<Diagnostic> {
    let duration = duration.or(parsed.duration);
    let mut out = Vec::new();
    let entries: Vec<&Entry> = if profile.is_description() {
        parsed.entries.iter().filter(|e| !e.chapter.hidden).collect()
    } else {
        parsed.entries.iter().collect()
    };
    let at = |e: &Entry| Some(Location::from(e.at));
    let title_at = |e: &Entry| Some(Location::from(e.title_at));
    let p = profile.name();

    if entries.is_empty() {
        out.push(Diagnostic::error("no-chapters", None, parsed.no_chapters_message()));
        return out;
    }

    // Count.
    let min_count = if profile.is_description() { 3 } else { 1 };
    if entries.len() < min_count {
        out.push(Diagnostic::error(
            "too-few",
            at(entries[0]),
            format!("{p} needs at least {min_count} chapters, found {}", entries.len()),
        ));
    }
    if matches!(profile, Profile::Id3 | Profile::Mp4) {
        let listed = entries.iter().filter(|e| profile == Profile::Mp4 || !e.chapter.hidden).count();
        if listed > 255 {
            let what = if profile == Profile::Id3 { "an ID3 CTOC lists" } else { "an MP4 chpl box holds" };
            out.push(Diagnostic::error(
                "too-many",
                at(entries[255]),
                format!(
                    "{listed} chapters, but {what} at most 255; this is chapter 256: {}",
                    quote(&entries[255].source)
                ),
            ));
        }
    }

    // First chapter at zero.
    let first = entries[0];
    let first_start =
        if profile.is_description() { first.chapter.start.round_to(SECOND) } else { first.chapter.start.as_nanos() };
    if first_start != 0 {
        let msg = format!("the first chapter starts at {}, not at 0: {}", first.chapter.start, quote(&first.source));
        match profile {
            Profile::Apple | Profile::Youtube | Profile::Spotify => {
                out.push(Diagnostic::error("first-not-zero", at(first), format!("{msg} ({p} requires 0)")));
            }
            Profile::Mp4 => out.push(Diagnostic::warning(
                "first-not-zero",
                at(first),
                format!("{msg}; a QuickTime chapter track starts at 0, so podmark adds an untitled lead-in"),
            )),
            _ => out.push(Diagnostic::warning(
                "first-not-zero",
                at(first),
                format!("{msg}; players show no chapter before it"),
            )),
        }
    }

    // Order, duplicates, overlaps, lengths.
    let mut seen: std::collections::HashMap<Timestamp, usize> = std::collections::HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let c = &e.chapter;
        let earlier = seen.insert(c.start, e.at.line);
        if let Some(prev) = i.checked_sub(1).map(|j| entries[j]) {
            if let Some(line) = earlier {
                out.push(Diagnostic::error(
                    "duplicate",
                    at(e),
                    format!(
                        "chapter starts at {}, the same time as the chapter on line {line}: {}",
                        c.start,
                        quote(&e.source)
                    ),
                ));
            } else if c.start < prev.chapter.start {
                out.push(Diagnostic::error(
                    "order",
                    at(e),
                    format!(
                        "chapter starts at {}, before the previous chapter at {} (line {}): {}",
                        c.start,
                        prev.chapter.start,
                        prev.at.line,
                        quote(&e.source)
                    ),
                ));
            } else if profile.is_description() && c.start.round_to(SECOND) == prev.chapter.start.round_to(SECOND) {
                out.push(Diagnostic::error(
                    "same-second",
                    at(e),
                    format!(
                        "chapter starts at {}, in the same whole second as the chapter on line {} ({p} uses whole seconds): {}",
                        c.start,
                        prev.at.line,
                        quote(&e.source)
                    ),
                ));
            }
            if let Some(prev_end) = prev.chapter.end
                && prev_end > c.start
                && c.start > prev.chapter.start
            {
                out.push(Diagnostic::error(
                    "overlap",
                    at(prev),
                    format!(
                        "chapter ends at {prev_end}, after the next chapter starts at {}: {}",
                        c.start,
                        quote(&prev.source)
                    ),
                ));
            }
        }
        if let Some(end) = c.end
            && end <= c.start
        {
            out.push(Diagnostic::error(
                "end-before-start",
                at(e),
                format!("chapter ends at {end}, not after its start {}: {}", c.start, quote(&e.source)),
            ));
        }
        if let Some(d) = duration {
            if c.start >= d {
                out.push(Diagnostic::error(
                    "beyond-duration",
                    at(e),
                    format!(
                        "chapter starts at {}, at or after the end of the audio ({d}): {}",
                        c.start,
                        quote(&e.source)
                    ),
                ));
            } else if let Some(end) = c.end
                && end > d
            {
                out.push(Diagnostic::error(
                    "beyond-duration",
                    at(e),
                    format!("chapter ends at {end}, after the end of the audio ({d}): {}", quote(&e.source)),
                ));
            }
        }
        // Length, when the next start (or the duration) says where this chapter ends.
        let next_start = entries.get(i + 1).map(|n| n.chapter.start).filter(|&n| n > c.start);
        let end = c.end.or(next_start).or(duration.filter(|&d| d > c.start));
        if let Some(end) = end {
            check_length(&mut out, profile, e, end);
        }
        if profile == Profile::Id3 && c.end.unwrap_or(c.start).as_millis() > u64::from(u32::MAX) {
            out.push(Diagnostic::error(
                "time-range",
                at(e),
                format!("ID3 chapter times are 32-bit milliseconds (at most 49.7 days): {}", quote(&e.source)),
            ));
        }
        check_title(&mut out, profile, e, title_at(e));
        if let Some(prev) = i.checked_sub(1).map(|j| entries[j])
            && !c.title.is_empty()
            && prev.chapter.title == c.title
        {
            out.push(Diagnostic::warning(
                "duplicate-title",
                title_at(e),
                format!("the same title as the chapter before: {}", quote(&c.title)),
            ));
        }
        if profile == Profile::Podcasting2 {
            for (what, value) in [("url", &c.url), ("img", &c.image)] {
                if let Some(v) = value
                    && !(v.starts_with("https://") || v.starts_with("http://"))
                {
                    out.push(Diagnostic::error(
                        "relative-url",
                        title_at(e),
                        format!("`{what}` must be an absolute http(s) URL in JSON chapters: {}", quote(v)),
                    ));
                }
            }
        }
    }
    out.sort_by_key(|d| d.location);
    out
}

fn check_length(out: &mut Vec<Diagnostic>, profile: Profile, e: &Entry, end: Timestamp) {
    let c = &e.chapter;
    let len = end.saturating_sub(c.start);
    let at = Some(Location::from(e.at));
    let (min, severity_error, why) = match profile {
        Profile::Youtube => (10 * SECOND, true, "YouTube requires chapters of at least 10 s"),
        Profile::Spotify => (30 * SECOND, false, "Spotify recommends chapters of at least 30 s"),
        _ => (SECOND, false, "a chapter shorter than 1 s is hard to hit"),
    };
    let len_q = if profile.is_description() {
        end.round_to(SECOND).saturating_sub(c.start.round_to(SECOND))
    } else {
        len.as_nanos()
    };
    if len_q < min {
        let msg = format!("chapter is {:.3} s long; {why}: {}", len.as_secs_f64(), quote(&e.source));
        out.push(if severity_error {
            Diagnostic::error("too-short", at, msg)
        } else {
            Diagnostic::warning("too-short", at, msg)
        });
    }
}

fn check_title(out: &mut Vec<Diagnostic>, profile: Profile, e: &Entry, at: Option<Location>) {
    let title = &e.chapter.title;
    if title.trim().is_empty() {
        // A hidden chapter (JSON `"toc": false`) is not listed, so it needs no title: the
        // Podcasting 2.0 spec makes `title` optional, and its exampleComplex.json has such chapters.
        if !e.chapter.hidden {
            out.push(Diagnostic::error("empty-title", at, format!("chapter has no title: {}", quote(&e.source))));
        }
        return;
    }
    if let Some(c) = title.chars().find(|&c| is_forbidden_control(c)) {
        // One policy for every output (PSC would drop it, JSON keep it): refused.
        out.push(Diagnostic::error(
            "control-characters",
            at,
            format!(
                "title contains the control character U+{:04X}; podmark allows none but tab and line breaks: {}",
                c as u32,
                quote(title)
            ),
        ));
    } else if title.chars().any(char::is_control) {
        out.push(Diagnostic::warning(
            "control-characters",
            at,
            format!("title contains control characters (tabs, newlines): {}", quote(title)),
        ));
    }
    let chars = title.chars().count();
    match profile {
        Profile::Youtube => {
            if title.contains(['<', '>']) {
                out.push(Diagnostic::error(
                    "angle-brackets",
                    at,
                    format!("YouTube rejects < and > in descriptions: {}", quote(title)),
                ));
            }
            if chars > 49 {
                out.push(Diagnostic::warning(
                    "title-too-long",
                    at,
                    format!(
                        "title is {chars} characters; YouTube cuts chapter titles after 49 when hovering: {}",
                        quote(title)
                    ),
                ));
            }
        }
        Profile::Spotify => {
            if chars >= 40 {
                out.push(Diagnostic::warning(
                    "title-too-long",
                    at,
                    format!("title is {chars} characters; Spotify recommends under 40: {}", quote(title)),
                ));
            }
            if title.chars().any(|c| c.is_alphabetic() && !is_latin(c)) {
                out.push(Diagnostic::warning(
                    "non-latin",
                    at,
                    format!("Spotify reads description chapters only in Latin-script languages: {}", quote(title)),
                ));
            }
        }
        Profile::Mp4 if title.len() > 255 => out.push(Diagnostic::warning(
            "title-too-long",
            at,
            format!(
                "title is {} bytes; MP4 chpl titles hold 255 bytes, so it will be cut: {}",
                title.len(),
                quote(title)
            ),
        )),
        _ if title.len() > 255 => out.push(Diagnostic::warning(
            "title-too-long",
            at,
            format!("title is {} bytes; many players cut titles at 255 bytes: {}", title.len(), quote(title)),
        )),
        _ => {}
    }
}

/// Whether podmark refuses `c` in chapter titles, show notes and GUIDs: a control character other
/// than tab, line feed and carriage return (C0, DEL and C1). XML 1.0 forbids most of them and the
/// outputs disagree on the rest (PSC drops them, JSON keeps them), so one policy holds for every
/// output: an error where they are written.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Latin letters: ASCII, Latin-1 Supplement, Latin Extended A/B, IPA, Latin Extended Additional.
fn is_latin(c: char) -> bool {
    matches!(c as u32, 0x41..=0x5A | 0x61..=0x7A | 0xAA | 0xBA | 0xC0..=0x24F | 0x250..=0x2AF | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xFB00..=0xFB06)
}

/// The reader's diagnostics plus every profile's checks, de-duplicated and sorted by position.
pub fn check_all(parsed: &Parsed, profiles: &[Profile], duration: Option<Timestamp>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = parsed.diagnostics.clone();
    // A set, not `out.contains`: a list with a warning on every chapter must stay linear.
    let mut seen: std::collections::HashSet<Diagnostic> = out.iter().cloned().collect();
    for &p in profiles {
        for d in check(parsed, p, duration) {
            if seen.insert(d.clone()) {
                out.push(d);
            }
        }
    }
    out.sort_by(|a, b| a.location.cmp(&b.location).then(a.severity.cmp(&b.severity)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Format;

    fn codes(text: &str, profile: Profile) -> Vec<String> {
        let parsed = Format::Notes.read(text);
        check_all(&parsed, &[profile], None)
            .iter()
            .map(|d| format!("{} {} {}", d.location.map(|l| l.to_string()).unwrap_or_default(), d.severity, d.code))
            .collect()
    }

    #[test]
    fn three_mistakes_three_reports() {
        let text = "Notes\n- 00:00 Intro\n- 00:10:00 Talk\n- 00:05:00 Back in time\n- 00:10:00 Same time\n- 00:12:00\n";
        assert_eq!(
            codes(text, Profile::Strict),
            vec!["4:3 error order", "5:3 error duplicate", "6:11 error empty-title"]
        );
    }

    #[test]
    fn youtube_rules() {
        let text = "00:05 A\n00:12 B <x>\n";
        let got = codes(text, Profile::Youtube);
        assert!(got.contains(&"1:1 error too-few".to_owned()), "{got:?}");
        assert!(got.contains(&"1:1 error first-not-zero".to_owned()), "{got:?}");
        assert!(got.contains(&"1:1 error too-short".to_owned()), "{got:?}");
        assert!(got.contains(&"2:7 error angle-brackets".to_owned()), "{got:?}");
    }

    #[test]
    fn spotify_same_second_and_script() {
        let text = "00:00 Intro\n00:00:40.2 Один\n00:00:40.4 Two\n01:00 Three\n";
        let got = codes(text, Profile::Spotify);
        assert!(got.contains(&"2:12 warning non-latin".to_owned()), "{got:?}");
        assert!(got.contains(&"3:1 error same-second".to_owned()), "{got:?}");
    }

    #[test]
    fn duration_bounds() {
        let parsed = Format::Notes.read("00:00 A\n10:00 B\n");
        let d = check(&parsed, Profile::Strict, Timestamp::from_secs(600));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "beyond-duration");
        assert!(d[0].message.contains("\"10:00 B\""));
    }

    #[test]
    fn profile_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
        }
    }
}
