//! `podmark add AUDIO`: the next episode folder, from an audio file and its tags.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};
use serde::Serialize;

use super::{ScaffoldError, io, toml_string};
use crate::audio::metadata::{self, Metadata};
use crate::check::artwork::{self, ImageKind};
use crate::formats::{Format, WriteOptions};
use crate::{Chapter, Chapters, Timestamp};

/// What [`add_episode`] is told.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddOptions {
    /// The episodes folder (with `podcast.toml`).
    pub episodes: PathBuf,
    /// The title; else the audio's title tag, else its file name.
    pub title: Option<String>,
    /// The date (see [`parse_date`]); else the audio's date tag, else its modification time.
    pub date: Option<String>,
    /// The folder name after `NNN-`; else made from the title ([`slugify`]).
    pub slug: Option<String>,
}

impl AddOptions {
    /// Adds to `episodes`, everything else from the audio.
    pub fn new(episodes: impl Into<PathBuf>) -> Self {
        AddOptions { episodes: episodes.into(), title: None, date: None, slug: None }
    }
}

/// Where a value of the new episode came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Given on the command line.
    Option,
    /// The audio's tags.
    Tag,
    /// The audio's file name.
    FileName,
    /// The audio's modification time.
    FileTime,
}

impl Origin {
    /// `from --title`, `from the audio's tags`, … for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Option => "given",
            Origin::Tag => "from the audio's tags",
            Origin::FileName => "from the file name",
            Origin::FileTime => "the file's modification time",
        }
    }
}

/// What [`add_episode`] made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddReport {
    /// The new episode folder (`episodes/NNN-slug`).
    pub dir: PathBuf,
    /// Its number (`episode` in the front matter).
    pub number: u32,
    /// The title, and where it came from.
    pub title: String,
    /// Where the title came from.
    pub title_from: Origin,
    /// The date as written in the front matter (RFC 3339).
    pub date: String,
    /// Where the date came from.
    pub date_from: Origin,
    /// The show notes written.
    pub notes: PathBuf,
    /// The copy of the audio.
    pub audio: PathBuf,
    /// Its size in bytes.
    pub audio_bytes: u64,
    /// Its duration.
    pub duration: Timestamp,
    /// The episode artwork taken from the audio's tags, if it passed Apple's rules.
    pub image: Option<PathBuf>,
    /// Chapter lines written, from the audio's embedded chapters.
    pub chapters: usize,
    /// What was noticed and not used (artwork Apple refuses, a date without a day, …).
    pub warnings: Vec<String>,
}

/// Parses a date for the front matter: RFC 3339 (`2026-12-01T09:00:00+10:00`), or a date and
/// optional time without zone, taken as UTC (`2026-12-01`, `2026-12-01 09:30`,
/// `2026-12-01T09:30:00`). Returns the date and, when part of it was assumed, a note saying so.
/// [`parse_date_in`] takes a zone-less date in another zone (`podmark add` uses the show's).
///
/// ```
/// use podmark::scaffold::parse_date;
/// assert_eq!(parse_date("2026-12-01")?.0.to_rfc3339(), "2026-12-01T00:00:00+00:00");
/// assert_eq!(parse_date("2016-09-14T09:00:00+10:00")?.1, None);
/// assert!(parse_date("2016").is_err());
/// # Ok::<(), String>(())
/// ```
pub fn parse_date(text: &str) -> Result<(DateTime<FixedOffset>, Option<String>), String> {
    parse_date_in(text, Utc.fix())
}

/// [`parse_date`], with a date or date-time without zone taken in `zone` (as `podmark build` takes
/// a zone-less front-matter date in the show's `timezone`).
///
/// ```
/// use chrono::FixedOffset;
/// use podmark::scaffold::parse_date_in;
/// let sydney = FixedOffset::east_opt(10 * 3600).unwrap();
/// assert_eq!(parse_date_in("2026-12-01", sydney)?.0.to_rfc3339(), "2026-12-01T00:00:00+10:00");
/// assert_eq!(parse_date_in("2026-12-01T09:00:00Z", sydney)?.0.to_rfc3339(), "2026-12-01T09:00:00+00:00");
/// # Ok::<(), String>(())
/// ```
pub fn parse_date_in(text: &str, zone: FixedOffset) -> Result<(DateTime<FixedOffset>, Option<String>), String> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok((d, None));
    }
    let name = if zone.local_minus_utc() == 0 { "UTC".to_owned() } else { format!("the show's timezone {zone}") };
    let local = |n: NaiveDateTime| n.and_local_timezone(zone).single().unwrap_or_else(|| n.and_utc().fixed_offset());
    let t_clean = t.trim_end_matches('Z');
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t_clean, fmt) {
            if t.ends_with('Z') {
                return Ok((n.and_utc().fixed_offset(), None));
            }
            return Ok((local(n), Some(format!("date {t:?} has no zone: taken in {name}"))));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let n = d.and_hms_opt(0, 0, 0).ok_or_else(|| format!("date {t:?} is not a date"))?;
        return Ok((local(n), Some(format!("date {t:?} has no time: taken as 00:00 in {name}"))));
    }
    Err(format!(
        "{t:?} is not a date with a day; write it like 2026-12-01, 2026-12-01T09:00 or 2026-12-01T09:00:00+10:00"
    ))
}

/// The `timezone` of the show's `podcast.toml` (UTC when it has none, or it cannot be read: the
/// build reports that).
fn show_timezone(episodes: &Path) -> FixedOffset {
    let utc = Utc.fix();
    let Ok(text) = std::fs::read_to_string(episodes.join("podcast.toml")) else { return utc };
    let Ok(table) = text.parse::<toml::Table>() else { return utc };
    table.get("timezone").and_then(toml::Value::as_str).and_then(crate::sources::show::parse_timezone).unwrap_or(utc)
}

/// A folder-name slug from a title: lower-case ASCII letters and digits joined by `-`, accents
/// dropped, at most 48 characters, `episode` when nothing is left.
///
/// ```
/// assert_eq!(podmark::scaffold::slugify("Containers With Red Hat’s Lars Herrmann!"), "containers-with-red-hats-lars-herrmann");
/// assert_eq!(podmark::scaffold::slugify("Ça déménage"), "ca-demenage");
/// assert_eq!(podmark::scaffold::slugify("日本"), "episode");
/// ```
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            '\'' | '’' | '‘' => continue,
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
            'ç' | 'č' | 'ć' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' | 'ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'š' | 'ś' => "s",
            'ž' | 'ź' | 'ż' => "z",
            'ł' => "l",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        out.push_str(mapped);
    }
    let mut slug = String::new();
    for part in out.split('-').filter(|p| !p.is_empty()) {
        if !slug.is_empty() && slug.len() + 1 + part.len() > 48 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(part.get(..48).unwrap_or(part));
    }
    if slug.is_empty() { "episode".to_owned() } else { slug }
}

/// The number after the highest `NNN-` folder in `episodes` (1 for the first). Folders named by
/// date (`2016-09-14-…`) do not count.
fn next_number(episodes: &Path) -> Result<u32, ScaffoldError> {
    let mut max = 0u32;
    for entry in std::fs::read_dir(episodes).map_err(io(episodes))? {
        let entry = entry.map_err(io(episodes))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        let dated = name.len() >= 10
            && name.as_bytes().get(4) == Some(&b'-')
            && name.get(5..7).is_some_and(|m| m.bytes().all(|b| b.is_ascii_digit()));
        if digits.is_empty() || dated || !entry.path().is_dir() {
            continue;
        }
        if let Ok(n) = digits.parse::<u32>() {
            max = max.max(n);
        }
    }
    Ok(max.saturating_add(1))
}

/// The title from a file name: `the-big-one_final.mp3` → `the big one final`.
fn title_from_file(audio: &Path) -> String {
    let stem = audio.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let words: Vec<&str> = stem.split(['-', '_', ' ', '.']).filter(|w| !w.is_empty()).collect();
    if words.is_empty() { "Untitled episode".to_owned() } else { words.join(" ") }
}

/// The chapter lines for the show notes: `- HH:MM:SS.mmm Title`, as [`Format::Text`] writes them.
fn chapter_lines(chapters: &Chapters, warnings: &mut Vec<String>) -> String {
    // Chapters without a title cannot be built; name them by number. A title that starts like a
    // separator (`- `, `: `) would read back without it, so that part goes.
    let mut named = 0;
    let list: Vec<Chapter> = chapters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            c.title = c.title.trim_start_matches(|ch: char| "-–—|:".contains(ch) || ch.is_whitespace()).to_owned();
            if c.title.trim().is_empty() {
                c.title = format!("Chapter {}", i + 1);
                named += 1;
            }
            c
        })
        .collect();
    if named > 0 {
        warnings.push(format!("{named} chapter(s) without a title in the audio were named \"Chapter N\""));
    }
    let Ok(list) = Chapters::new(list) else { return String::new() };
    match Format::Text.write(&list, &WriteOptions::default()) {
        Ok(text) => text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("- {l}\n")).collect(),
        Err(e) => {
            warnings.push(format!("the audio's chapters cannot be written as lines: {e}"));
            String::new()
        }
    }
}

/// The `episode.md` of a new episode.
fn notes_text(number: u32, title: &str, date: &str, audio: &str, image: Option<&str>, chapters: &str) -> String {
    let image = image.map(|i| format!("image = {}\n", toml_string(i))).unwrap_or_default();
    let chapters = if chapters.is_empty() {
        "Chapters: write one line per chapter, a time then a title, like `00:00 Intro`.\n".to_owned()
    } else {
        format!("Chapters:\n\n{chapters}")
    };
    format!(
        "+++\ntitle = {title}\nepisode = {number}\ndate = {date}\nexplicit = false\naudio = {audio}\n{image}+++\n\
         Show notes for this episode: replace this paragraph with what it is about, who is on it and \
         links to what you mention. Everything here but the chapter lines becomes the episode's \
         description in podcast apps.\n\n{chapters}",
        title = toml_string(title),
        audio = toml_string(audio),
    )
}

/// An error message for a problem with the audio.
fn audio_err(audio: &Path, message: impl Into<String>) -> ScaffoldError {
    ScaffoldError::Audio { path: audio.to_owned(), message: message.into() }
}

/// Adds `audio` as the next episode of the show in `options.episodes`: a folder
/// `NNN-slug/` with a copy of the audio, `episode.md` (front matter with title, number, date and
/// audio; a placeholder description; the audio's chapters as chapter lines) and the audio's cover
/// when it meets Apple's rules. The folder is filled under a hidden temporary name and renamed
/// into place, so a build never sees half of it; on any error nothing is left.
pub fn add_episode(audio: &Path, options: &AddOptions) -> Result<AddReport, ScaffoldError> {
    let episodes = &options.episodes;
    if !episodes.join("podcast.toml").is_file() {
        return Err(ScaffoldError::NoEpisodes { path: episodes.clone() });
    }
    let info = crate::audio::probe_path(audio).map_err(|e| audio_err(audio, e.to_string()))?;
    let audio_meta = std::fs::metadata(audio).map_err(io(audio))?;
    let mut warnings = Vec::new();
    let tags = metadata::read(audio).unwrap_or_else(|e| {
        warnings.push(format!("the audio's tags were not read: {e}"));
        Metadata::default()
    });
    let chapters = crate::audio::tag::extract(audio).unwrap_or_else(|e| {
        warnings.push(format!("the audio's chapters were not read: {e}"));
        Chapters::empty()
    });

    // A title is one line: runs of white space (new lines from a tag editor) become one space.
    let one_line = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let (title, title_from) = match (&options.title, &tags.title) {
        (Some(t), _) if !t.trim().is_empty() => (one_line(t), Origin::Option),
        (Some(_), _) => return Err(ScaffoldError::Invalid { field: "title", message: "must not be empty".into() }),
        (None, Some(t)) => (one_line(t), Origin::Tag),
        (None, None) => (title_from_file(audio), Origin::FileName),
    };
    let zone = show_timezone(episodes);
    let (date, date_from) = match (&options.date, &tags.date) {
        (Some(d), _) => {
            let (d, note) =
                parse_date_in(d, zone).map_err(|message| ScaffoldError::Invalid { field: "date", message })?;
            warnings.extend(note);
            (d, Origin::Option)
        }
        (None, tag) => match tag.as_deref().map(|t| parse_date_in(t, zone)) {
            Some(Ok((d, note))) => {
                warnings.extend(note);
                (d, Origin::Tag)
            }
            other => {
                if let Some(Err(e)) = other {
                    warnings.push(format!("the date tag is not used: {e}"));
                }
                let modified = audio_meta.modified().map_err(io(audio))?;
                let d: DateTime<Utc> = modified.into();
                (d.fixed_offset(), Origin::FileTime)
            }
        },
    };
    let date = date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let slug = match &options.slug {
        Some(s) => {
            let ok = !s.is_empty()
                && !s.starts_with('.')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(ScaffoldError::Invalid {
                    field: "slug",
                    message: format!("{s:?}: use ASCII letters, digits, '-', '_' or '.' (it becomes part of URLs)"),
                });
            }
            s.clone()
        }
        None => slugify(&title),
    };

    // The copy is named with its type's extension, as the build names the published file.
    let src_ext = audio.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let ext = match crate::mime::Mime::from_extension(&src_ext) {
        Some(m) if m.same_media(info.mime) => src_ext,
        _ => info.mime.extension().to_owned(),
    };
    let audio_name = format!("episode.{ext}");
    let image = tags.picture.as_ref().and_then(|p| match artwork::inspect(&p.data) {
        Ok(a) => {
            let name = if a.kind == ImageKind::Png { "cover.png" } else { "cover.jpg" };
            let problems = artwork::check(name, &p.data);
            let errors: Vec<&str> = problems.iter().filter(|(e, _, _)| *e).map(|(_, _, m)| m.as_str()).collect();
            if errors.is_empty() {
                Some((name, &p.data))
            } else {
                warnings.push(format!("the audio's cover is not used: {}", errors.join("; ")));
                None
            }
        }
        Err(e) => {
            warnings.push(format!("the audio's cover is not used: {}", e.message));
            None
        }
    });
    let lines = chapter_lines(&chapters, &mut warnings);
    let number = next_number(episodes)?;
    let notes = notes_text(number, &title, &date, &audio_name, image.map(|(n, _)| n), &lines);
    let final_dir = episodes.join(format!("{number:03}-{slug}"));
    if std::fs::symlink_metadata(&final_dir).is_ok() {
        return Err(ScaffoldError::EpisodeExists { path: final_dir });
    }
    let tmp = tempfile::Builder::new().prefix(".podmark-add-").tempdir_in(episodes).map_err(io(episodes))?;
    let audio_bytes = fill(tmp.path(), &final_dir, audio, &audio_name, image, &notes)?;
    if std::fs::symlink_metadata(&final_dir).is_ok() {
        return Err(ScaffoldError::EpisodeExists { path: final_dir });
    }
    // The folder appears whole, without its episode.md; then episode.md appears whole: a build in
    // between sees either no episode or the complete one.
    let tmp_path = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp_path, &final_dir) {
        let _ = std::fs::remove_dir_all(&tmp_path);
        return Err(io(&final_dir)(e));
    }
    let notes_path = final_dir.join("episode.md");
    if let Err(e) = std::fs::rename(final_dir.join(PARTIAL_NOTES), &notes_path) {
        let _ = std::fs::remove_dir_all(&final_dir);
        return Err(io(&notes_path)(e));
    }
    for d in [&final_dir, episodes] {
        if let Ok(f) = File::open(d) {
            let _ = f.sync_all();
        }
    }
    Ok(AddReport {
        number,
        title,
        title_from,
        date,
        date_from,
        notes: notes_path,
        audio: final_dir.join(&audio_name),
        audio_bytes,
        duration: info.duration,
        image: image.map(|(n, _)| final_dir.join(n)),
        chapters: lines.lines().count(),
        warnings,
        dir: final_dir,
    })
}

/// The notes' name in the temporary folder, until the folder is in place.
const PARTIAL_NOTES: &str = ".episode.md.part";

/// Writes the episode's files into `dir` (synced); returns the audio's size. Errors name the files
/// as they will be called in `final_dir`.
fn fill(
    dir: &Path,
    final_dir: &Path,
    audio: &Path,
    audio_name: &str,
    image: Option<(&str, &Vec<u8>)>,
    notes: &str,
) -> Result<u64, ScaffoldError> {
    let copy = dir.join(audio_name);
    let bytes = std::fs::copy(audio, &copy).map_err(|e| {
        let e = std::io::Error::new(e.kind(), format!("copying it to {}: {e}", final_dir.join(audio_name).display()));
        io(audio)(e)
    })?;
    File::open(&copy).and_then(|f| f.sync_all()).map_err(io(&final_dir.join(audio_name)))?;
    let mut files: Vec<(&str, &[u8])> = Vec::new();
    if let Some((name, data)) = image {
        files.push((name, data));
    }
    files.push((PARTIAL_NOTES, notes.as_bytes()));
    for (name, data) in files {
        let shown = final_dir.join(if name == PARTIAL_NOTES { "episode.md" } else { name });
        let mut f = File::create_new(dir.join(name)).map_err(io(&shown))?;
        f.write_all(data).and_then(|()| f.sync_all()).map_err(io(&shown))?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_and_without_time_and_zone() {
        let d = |s: &str| parse_date(s).map(|(d, n)| (d.to_rfc3339(), n.is_some()));
        assert_eq!(d("2016-09-14T09:00:00+10:00"), Ok(("2016-09-14T09:00:00+10:00".into(), false)));
        assert_eq!(d("2016-09-14T09:00:00Z"), Ok(("2016-09-14T09:00:00+00:00".into(), false)));
        assert_eq!(d("2016-09-14T09:30Z"), Ok(("2016-09-14T09:30:00+00:00".into(), false)));
        assert_eq!(d("2016-09-14 09:30"), Ok(("2016-09-14T09:30:00+00:00".into(), true)));
        assert_eq!(d("2026-12-01"), Ok(("2026-12-01T00:00:00+00:00".into(), true)));
        let syd = FixedOffset::east_opt(10 * 3600).unwrap();
        let z = |s: &str| parse_date_in(s, syd).map(|(d, n)| (d.to_rfc3339(), n));
        assert_eq!(
            z("2026-12-01"),
            Ok((
                "2026-12-01T00:00:00+10:00".into(),
                Some("date \"2026-12-01\" has no time: taken as 00:00 in the show's timezone +10:00".into())
            ))
        );
        assert_eq!(z("2026-12-01 09:30").unwrap().0, "2026-12-01T09:30:00+10:00");
        assert_eq!(z("2016-09-14T09:30Z"), Ok(("2016-09-14T09:30:00+00:00".into(), None)));
        for bad in ["2016", "2016-09", "2016-13-01", "yesterday", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_url_safe_and_short() {
        assert_eq!(slugify("The Eigencast 020: Containers"), "the-eigencast-020-containers");
        assert_eq!(slugify("  --  "), "episode");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= 48 && !long.ends_with('-'), "{long}");
        assert_eq!(slugify(&"x".repeat(60)).len(), 48);
    }

    #[test]
    fn numbers_follow_the_highest_numbered_folder() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next_number(tmp.path()).ok(), Some(1));
        for d in ["002-a", "010-b", "2016-09-14-dated", "notes"] {
            std::fs::create_dir(tmp.path().join(d)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(tmp.path().join("099-file"), "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next_number(tmp.path()).ok(), Some(11));
    }

    #[test]
    fn chapter_lines_read_back_as_the_same_chapters() {
        let chapters = Chapters::new(vec![
            Chapter::new(Timestamp::ZERO, "Intro"),
            Chapter::new(Timestamp::from_nanos(15_856_000_000), "").with_url("https://e.example/x"),
            Chapter::new(Timestamp::from_nanos(3_600_001_000_000), "- Odd: title [1]"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let mut warnings = Vec::new();
        let lines = chapter_lines(&chapters, &mut warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let text = notes_text(3, "T", "2026-12-01T00:00:00Z", "episode.mp3", None, &lines);
        let notes = crate::formats::notes::parse(&text);
        assert!(notes.diagnostics.is_empty(), "{:?}", notes.diagnostics);
        let got: Vec<(u64, &str, Option<&str>)> = notes
            .entries
            .iter()
            .map(|e| (e.chapter.start.as_millis(), e.chapter.title.as_str(), e.chapter.url.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "Intro", None),
                (15_856, "Chapter 2", Some("https://e.example/x")),
                (3_600_001, "Odd: title [1]", None)
            ]
        );
        let meta = notes.meta.unwrap_or_default();
        assert_eq!((meta.episode.map(|n| n.get()), meta.title.as_deref()), (Some(3), Some("T")));
        assert!(!notes.description.contains("00:00"), "{}", notes.description);
    }
}
