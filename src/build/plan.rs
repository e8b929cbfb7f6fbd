//! Reading and checking the sources into a [`Plan`]: the show, every episode's notes and chapters,
//! GUIDs against the lock, each audio file probed and the chapters checked against its exact
//! duration. Every problem is collected; nothing is written.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

use super::state::{FileStat, Listing, Recorder};
use super::{BuildError, BuildOptions, Episode, io};
use crate::diagnostic::{Diagnostic, Location, Position, quote};
use crate::probe::{AudioInfo, ProbeCache};
use crate::sources::SourceDiagnostic;
use crate::sources::episode::{self, EpisodeType};
use crate::sources::guid_lock::{GuidLock, Identity, guid_problem, new_episode_guid};
use crate::sources::show::{Show, ShowType};
use crate::validate::{Profile, check_all};

/// Where the output folder is served, ending in `/`: `--base-url` if given, else the show's.
pub(super) fn base_url(options: &BuildOptions, show: &Show) -> String {
    match &options.base_url {
        Some(u) if u.ends_with('/') => u.clone(),
        Some(u) => format!("{u}/"),
        None => show.base_url.clone(),
    }
}

/// An error about the file at `path`, without a line.
pub(super) fn problem(path: &Path, code: &'static str, message: impl Into<String>) -> SourceDiagnostic {
    SourceDiagnostic::new(path, Diagnostic::error(code, None, message))
}

/// An error about the front matter of the notes at `path` (line 1, column 1).
fn front_matter(path: &Path, message: impl Into<String>) -> SourceDiagnostic {
    SourceDiagnostic::new(path, Diagnostic::error("front-matter", Position::new(1, 1), message))
}

/// The sources, loaded: the show, its episodes in folder order, and the warnings met.
pub(super) type Loaded = (Show, Vec<Episode>, Vec<SourceDiagnostic>);

/// Loads the show and its episodes, recording every file read in `rec` (see [`super::load`]).
pub(super) fn load_recorded(episodes_dir: &Path, rec: &mut Recorder) -> Result<Loaded, BuildError> {
    let show_path = episodes_dir.join("podcast.toml");
    let show_bytes = rec.read(&show_path).map_err(io(&show_path))?;
    let show_text = String::from_utf8(show_bytes).map_err(|e| BuildError::Io {
        path: show_path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let show =
        Show::parse(&show_text).map_err(|e| problems.extend(SourceDiagnostic::all(&show_path, e.diagnostics))).ok();

    let listing = Listing::read(episodes_dir).map_err(io(episodes_dir))?;
    let mut dirs = Vec::new();
    for p in listing.maybe_dirs(episodes_dir) {
        if p.is_dir() && p.join("episode.md").is_file() {
            dirs.push(p);
        } else {
            // Not an episode now; it becomes one when an episode.md appears.
            rec.observe(&p.join("episode.md"));
        }
    }
    rec.listing = Some(listing.digest);
    let mut episodes = Vec::new();
    let mut numbers = Numbers::new();
    // Read and checked on all cores a batch at a time, recorded in folder order.
    const BATCH: usize = 1024;
    for chunk in dirs.chunks(BATCH) {
        use rayon::prelude::*;
        let read: Vec<NotesRead> = chunk.par_iter().map(|dir| read_notes(dir.clone())).collect();
        for notes in read {
            let notes_path = notes.notes_path.clone();
            if let Some((ep, text)) = notes.finish(rec, &mut problems, &mut warnings)? {
                if let Some(d) = duplicate_number(&ep, &notes_path, &text, &mut numbers) {
                    problems.push(d);
                }
                episodes.push(ep);
            }
        }
    }
    match show {
        Some(show) if problems.is_empty() => Ok((show, episodes, warnings)),
        _ => Err(BuildError::Sources(problems)),
    }
}

/// The episode in `dir` and the text of its notes, or `None` with its problems in `problems`.
pub(super) fn load_dir(
    dir: PathBuf,
    rec: &mut Recorder,
    problems: &mut Vec<SourceDiagnostic>,
    warnings: &mut Vec<SourceDiagnostic>,
) -> Result<Option<(Episode, String)>, BuildError> {
    read_notes(dir).finish(rec, problems, warnings)
}

/// An episode folder's `episode.md` read and checked on any thread ([`read_notes`]), for
/// [`NotesRead::finish`] to record in folder order.
pub(super) struct NotesRead {
    notes_path: PathBuf,
    /// Its stat before it was read.
    stat: FileStat,
    bytes: std::io::Result<Vec<u8>>,
    /// The episode and its text (`None` if it has problems that keep it from loading).
    episode: Option<(Episode, String)>,
    problems: Vec<SourceDiagnostic>,
    warnings: Vec<SourceDiagnostic>,
}

/// Reads and checks the `episode.md` in `dir` (see [`NotesRead`]).
pub(super) fn read_notes(dir: PathBuf) -> NotesRead {
    let notes_path = dir.join("episode.md");
    let stat = Recorder::stat(&notes_path);
    let bytes = std::fs::read(&notes_path);
    let mut read = NotesRead {
        notes_path,
        stat,
        bytes: Ok(Vec::new()),
        episode: None,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    if let Ok(b) = &bytes {
        read.check(dir, b);
    }
    read.bytes = bytes;
    read
}

impl NotesRead {
    fn check(&mut self, dir: PathBuf, bytes: &[u8]) {
        let notes_path = &self.notes_path;
        let problems = &mut self.problems;
        if let Some(d) = episode::check_size(bytes) {
            problems.push(SourceDiagnostic::new(notes_path, d));
            return;
        }
        match load_episode(dir, notes_path, bytes, &mut self.warnings) {
            Ok(ep) => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                for (key, value) in [("title", &ep.meta.title), ("summary", &ep.meta.summary)] {
                    if let Some(c) =
                        value.as_deref().and_then(|v| v.chars().find(|&c| episode::is_forbidden_control(c)))
                    {
                        let at = episode::front_matter_key(&text, key).map(Location::from);
                        let d = Diagnostic::error(
                            "control-character",
                            at,
                            format!(
                                "{key} holds the control character U+{:04X}; podmark allows none but tab and line breaks",
                                c as u32
                            ),
                        );
                        problems.push(SourceDiagnostic::new(notes_path, d));
                    }
                }
                if let Some(why) = ep.meta.guid.as_deref().and_then(guid_problem) {
                    let at = episode::front_matter_key(&text, "guid").map(Location::from);
                    let guid = ep.meta.guid.as_deref().unwrap_or_default();
                    let d = Diagnostic::error("guid", at, format!("guid {}: {why}", quote(guid)));
                    problems.push(SourceDiagnostic::new(notes_path, d));
                }
                // Returned even with problems, so that its duplicate number is found too.
                self.episode = Some((ep, text));
            }
            Err(d) => problems.extend(d),
        }
    }

    /// Records the notes read in `rec` (an error if they could not be read) and hands over the
    /// episode and its text, its problems and its warnings.
    pub(super) fn finish(
        self,
        rec: &mut Recorder,
        problems: &mut Vec<SourceDiagnostic>,
        warnings: &mut Vec<SourceDiagnostic>,
    ) -> Result<Option<(Episode, String)>, BuildError> {
        let bytes = self.bytes.map_err(io(&self.notes_path))?;
        rec.record(&self.notes_path, self.stat, Some(&bytes));
        problems.extend(self.problems);
        warnings.extend(self.warnings);
        Ok(self.episode)
    }
}

/// (season, episode) of each full episode → its notes and where the number is written.
type Numbers = HashMap<(Option<NonZeroU32>, NonZeroU32), (PathBuf, Option<Position>)>;

/// An error when `ep`, a full episode, has the season and episode numbers of one loaded before
/// (recorded in `numbers`). Trailers and bonus episodes may share their episode's number.
fn duplicate_number(ep: &Episode, notes_path: &Path, text: &str, numbers: &mut Numbers) -> Option<SourceDiagnostic> {
    let number = ep.meta.episode.filter(|_| ep.meta.episode_type == EpisodeType::Full)?;
    let at = episode::front_matter_key(text, "episode");
    let season = ep.meta.season;
    let Some((other, other_at)) = numbers.get(&(season, number)) else {
        numbers.insert((season, number), (notes_path.to_owned(), at));
        return None;
    };
    let which = match season {
        Some(s) => format!("episode {number} of season {s}"),
        None => format!("episode {number}"),
    };
    let other_at = other_at.map_or_else(String::new, |p| format!(":{}:{}", p.line, p.column));
    let d = Diagnostic::error(
        "duplicate-episode-number",
        at.map(Location::from),
        format!(
            "{which} is also {}{other_at}; every full episode needs its own number (apps sort and list by it)",
            other.display()
        ),
    );
    Some(SourceDiagnostic::new(notes_path, d))
}

/// One episode from the bytes of its `episode.md`: notes checked with the strict profile (warnings
/// go to `warnings`), front matter present, a folder name fit for URLs.
fn load_episode(
    dir: PathBuf,
    notes_path: &Path,
    bytes: &[u8],
    warnings: &mut Vec<SourceDiagnostic>,
) -> Result<Episode, Vec<SourceDiagnostic>> {
    let text = crate::formats::decode_text(bytes).map_err(|d| vec![SourceDiagnostic::new(notes_path, d)])?;
    let controls = episode::check_controls(text);
    if !controls.is_empty() {
        return Err(SourceDiagnostic::all(notes_path, controls));
    }
    let notes = crate::formats::notes::parse(text);
    let meta = notes.meta.clone();
    let description = notes.description.clone();
    let chapter_list = notes.chapter_list;
    let parsed = notes.into_parsed();
    // Chapters are optional: most episodes have none. Notes without chapter lines are checked for
    // everything but the list itself.
    let diags: Vec<Diagnostic> = if parsed.entries.is_empty() {
        parsed.diagnostics.clone()
    } else {
        check_all(&parsed, &[Profile::Strict], None)
    };
    let (errs, warns): (Vec<Diagnostic>, Vec<Diagnostic>) = diags.into_iter().partition(Diagnostic::is_error);
    warnings.extend(SourceDiagnostic::all(notes_path, warns));
    if !errs.is_empty() {
        return Err(SourceDiagnostic::all(notes_path, errs));
    }
    let Some(meta) = meta else {
        return Err(vec![front_matter(notes_path, "episode.md needs TOML front matter between +++ lines")]);
    };
    let slug = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !slug.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(vec![problem(
            &dir,
            "folder-name",
            "episode folder names become file names in URLs; use ASCII letters, digits, '-', '_' or '.' only",
        )]);
    }
    let chapters = parsed.into_chapters().map_err(|e| SourceDiagnostic::all(notes_path, e.diagnostics))?;
    Ok(Episode { slug, dir, meta, description, chapter_list, chapters })
}

/// Per-episode facts gathered before writing.
pub(super) struct Planned {
    /// The episode, its chapters checked against the audio's duration.
    pub(super) ep: Episode,
    pub(super) guid: String,
    /// `isPermaLink` of the GUID (true only for a permalink GUID kept from an imported feed).
    pub(super) permalink: bool,
    /// The local audio (the episode folder itself for a remote one).
    pub(super) audio_src: PathBuf,
    /// Audio hosted elsewhere (`[enclosure]`), written into the feed as recorded.
    pub(super) remote: Option<crate::sources::episode::RemoteEnclosure>,
    /// `audio/<slug>.<ext>`.
    pub(super) audio_out_rel: String,
    pub(super) title: String,
    /// Publication date, in the show's time zone when the front matter gives none.
    pub(super) date: DateTime<FixedOffset>,
    /// Source, output path and MIME type.
    pub(super) transcript: Option<(PathBuf, String, &'static str)>,
    /// A local image: source and output path.
    pub(super) image: Option<(PathBuf, String)>,
    /// `podcast:alternateEnclosure` renditions: source, output path and probe.
    pub(super) alternates: Vec<(PathBuf, String, crate::audio::AudioInfo)>,
}

/// Everything the build writes, checked.
pub(super) struct Plan {
    pub(super) show: Show,
    /// Where `feed/` is served from, ending in `/` (the show's, or the `--base-url` override).
    pub(super) base_url: String,
    /// `<base_url>feed.xml`.
    pub(super) feed_url: String,
    /// `podcast:guid`, from the show's own feed URL.
    pub(super) show_guid: Uuid,
    pub(super) lock: GuidLock,
    pub(super) lock_path: PathBuf,
    /// The lock file's stat before it was read.
    pub(super) lock_stat: FileStat,
    /// Episodes in folder order.
    pub(super) episodes: Vec<Planned>,
    /// Warnings met while checking the episodes (an audio duration that is only an estimate).
    pub(super) warnings: Vec<SourceDiagnostic>,
}

impl Plan {
    /// The plan of `episodes` for `show`: the base URL (the `--base-url` override or the show's),
    /// feed URL and `podcast:guid` follow from them. `lock` is the GUID lock, its path and its stat
    /// before it was read.
    pub(super) fn new(
        options: &BuildOptions,
        show: Show,
        lock: (GuidLock, PathBuf, FileStat),
        episodes: Vec<Planned>,
        warnings: Vec<SourceDiagnostic>,
    ) -> Plan {
        let base_url = base_url(options, &show);
        let (lock, lock_path, lock_stat) = lock;
        Plan {
            feed_url: format!("{base_url}feed.xml"),
            base_url,
            show_guid: show.podcast_guid(),
            lock,
            lock_path,
            lock_stat,
            episodes,
            show,
            warnings,
        }
    }
}

/// Checks every loaded episode (GUIDs, audio, chapters within the audio, artwork, required front
/// matter) into a [`Plan`]; all problems at once if there are any.
pub(super) fn plan(
    options: &BuildOptions,
    show: Show,
    episodes: Vec<Episode>,
    rec: &mut Recorder,
    cache: &mut ProbeCache,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<Plan, BuildError> {
    // GUIDs: the lock decides; front matter may set a GUID on first build only.
    let lock_path = options.episodes.join("guids.lock");
    let lock_stat = Recorder::stat(&lock_path);
    let mut lock = GuidLock::load(&lock_path).map_err(|d| BuildError::Sources(vec![d]))?;
    let show_guid = show.podcast_guid();
    // Renamed folders take their entry along (or stop the build); orphaned entries are reported.
    let mut hashes = super::renames::Hashes::default();
    let renames = super::renames::resolve(&mut lock, &lock_path, &episodes, &show, show_guid, &mut hashes, true);
    let mut planner = Planner {
        options,
        show: &show,
        show_guid,
        lock: &lock,
        lock_path: &lock_path,
        seen: HashMap::new(),
        rec,
        cache,
        warnings: Vec::new(),
    };
    let mut problems = renames.unsure;
    planner.warnings.extend(renames.kept.into_iter().chain(renames.orphans));
    // Every audio file probed on all cores a batch ahead (in folder order below, each is then at
    // hand; a large show's probes are not all waiting at once): episode `i`'s files are
    // `audio[firsts[i]..firsts[i + 1]]`.
    let mut audio: Vec<PathBuf> = Vec::with_capacity(episodes.len());
    let mut firsts = Vec::with_capacity(episodes.len() + 1);
    for ep in &episodes {
        firsts.push(audio.len());
        let alternates = ep.meta.podcast.alternate_enclosure.iter().map(|alt| ep.dir.join(&alt.file));
        audio.extend(ep.meta.audio.iter().map(|a| ep.dir.join(a)).chain(alternates));
    }
    firsts.push(audio.len());
    const AHEAD: usize = 256;
    let total = episodes.len();
    // (Sized once: a large show's plan is not held in a vector with room for twice as many.)
    let mut planned = Vec::with_capacity(total);
    for (i, ep) in episodes.into_iter().enumerate() {
        if i % AHEAD == 0 {
            let (from, to) = (firsts.get(i).copied(), firsts.get((i + AHEAD).min(total)).copied());
            planner.cache.prefetch(from.zip(to).and_then(|(from, to)| audio.get(from..to)).unwrap_or_default());
        }
        progress(i, total, &ep.slug);
        match planner.episode(ep) {
            Ok(p) => planned.push(p),
            Err(d) => problems.extend(d),
        }
    }
    if !problems.is_empty() {
        return Err(BuildError::Sources(problems));
    }
    progress(total, total, "writing");
    let warnings = std::mem::take(&mut planner.warnings);
    // The lock as it will be saved: every GUID, with what identifies its episode (recorded once,
    // when the episode is first locked or by the first build that knows how).
    for p in &planned {
        lock.set(&p.ep.slug, &p.guid);
    }
    // The audio of each newly locked episode is hashed on all cores.
    let unhashed: Vec<&Path> =
        planned.iter().filter(|p| lock.needs_identity(&p.ep.slug)).map(|p| p.audio_src.as_path()).collect();
    hashes.prefetch(&unhashed);
    for p in &planned {
        lock.fill_identity(&p.ep.slug, || {
            Ok::<_, BuildError>(Identity {
                audio: Some(match &p.remote {
                    Some(r) => format!("url:{}", r.url),
                    None => hashes.get(&p.audio_src).map_err(io(&p.audio_src))?,
                }),
                date: Some(p.date.to_rfc3339()),
                title: Some(p.title.clone()),
            })
        })?;
    }
    Ok(Plan::new(options, show, (lock, lock_path, lock_stat), planned, warnings))
}

/// Checks `episodes` (a rebuild's dirty ones) like [`plan`] does, against `lock` and the GUIDs
/// `seen` in the other episodes; `None` at the first problem (the full path reports them all).
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_some(
    options: &BuildOptions,
    show: &Show,
    lock: &GuidLock,
    lock_path: &Path,
    seen: HashMap<String, String>,
    episodes: Vec<Episode>,
    rec: &mut Recorder,
    cache: &mut ProbeCache,
    warnings: &mut Vec<SourceDiagnostic>,
) -> Option<Vec<Planned>> {
    let show_guid = show.podcast_guid();
    let mut planner = Planner { options, show, show_guid, lock, lock_path, seen, rec, cache, warnings: Vec::new() };
    let mut planned = Vec::new();
    for ep in episodes {
        planned.push(planner.episode(ep).ok()?);
    }
    warnings.append(&mut planner.warnings);
    Some(planned)
}

/// What checking one episode needs.
struct Planner<'a> {
    options: &'a BuildOptions,
    show: &'a Show,
    show_guid: Uuid,
    lock: &'a GuidLock,
    lock_path: &'a Path,
    /// GUID → the episode that has it.
    seen: HashMap<String, String>,
    warnings: Vec<SourceDiagnostic>,
    rec: &'a mut Recorder,
    cache: &'a mut ProbeCache,
}

impl Planner<'_> {
    /// One episode checked, or its problems (the first one found, or every chapter problem).
    fn episode(&mut self, ep: Episode) -> Result<Planned, Vec<SourceDiagnostic>> {
        let notes_path = ep.dir.join("episode.md");
        let guid = self.guid(&ep, &notes_path).map_err(|d| vec![d])?;
        let (title, date, audio_rel) = self.required_front_matter(&ep, &notes_path)?;
        let permalink = self.lock.permalink(&ep.slug).unwrap_or(false);
        let Some(audio_rel) = audio_rel else {
            return self.remote(ep, &notes_path, guid, permalink, title, date);
        };
        let audio_src = ep.dir.join(&audio_rel);
        self.rec.observe(&audio_src);
        let info = self.cache.probe(&audio_src).map_err(|e| vec![problem(&audio_src, "audio", e.to_string())])?;
        if info.precision == crate::audio::Precision::Estimate {
            // The duration (and the feed's itunes:duration) is only an estimate: say why.
            for w in &info.warnings {
                let d = Diagnostic::warning("audio-estimate", None, w.to_string());
                self.warnings.push(SourceDiagnostic::new(&audio_src, d));
            }
        }
        // The copy is named with its type's extension (`.m4a` for an audio-only `.mp4`, `.opus` for
        // Opus in `.ogg`), so the server's and the bucket's Content-Type agree with the feed's type.
        let src_ext = audio_src.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let ext = match crate::mime::Mime::from_extension(&src_ext) {
            Some(m) if m.same_media(info.mime) => src_ext,
            _ => info.mime.extension().to_owned(),
        };
        let chapters = within_audio(&ep, &notes_path, &audio_src, &info)?;
        let (transcript, image) = self.extras(&ep, &notes_path).map_err(|d| vec![d])?;
        let audio_out_rel = format!("audio/{}.{ext}", ep.slug);
        let alternates = self.alternates(&ep)?;
        soundbites_within(&ep, &notes_path, info.duration)?;
        Ok(Planned {
            ep: Episode { chapters, ..ep },
            guid,
            permalink,
            audio_src,
            remote: None,
            audio_out_rel,
            title,
            date,
            transcript,
            image,
            alternates,
        })
    }

    /// An episode whose audio is hosted elsewhere (`[enclosure]`): nothing to probe or copy; its
    /// chapters and soundbites are checked against the recorded duration when there is one.
    fn remote(
        &mut self,
        ep: Episode,
        notes_path: &Path,
        guid: String,
        permalink: bool,
        title: String,
        date: DateTime<FixedOffset>,
    ) -> Result<Planned, Vec<SourceDiagnostic>> {
        let Some(remote) = ep.meta.enclosure.clone() else {
            return Err(vec![front_matter(notes_path, "front matter has no `audio` file; every feed item needs one")]);
        };
        if let Some(why) = remote.problem() {
            return Err(vec![problem(notes_path, "enclosure", why)]);
        }
        let chapters = match remote.duration.and_then(crate::Timestamp::from_secs) {
            Some(duration) => {
                let info_text = format!("the enclosure's duration is {duration}");
                let checked = ep.chapters.clone().with_duration(duration).map_err(|e| {
                    e.problems()
                        .iter()
                        .map(|p| problem(notes_path, "chapters", format!("{p} ({info_text})")))
                        .collect::<Vec<_>>()
                })?;
                soundbites_within(&ep, notes_path, duration)?;
                checked
            }
            None => ep.chapters.clone(),
        };
        let (transcript, image) = self.extras(&ep, notes_path).map_err(|d| vec![d])?;
        let alternates = self.alternates(&ep)?;
        Ok(Planned {
            audio_src: ep.dir.clone(),
            ep: Episode { chapters, ..ep },
            guid,
            permalink,
            remote: Some(remote),
            audio_out_rel: String::new(),
            title,
            date,
            transcript,
            image,
            alternates,
        })
    }

    /// The episode's `podcast:alternateEnclosure` files, each probed like the main audio and
    /// published as `audio/<slug>-alt<n>.<ext>`.
    fn alternates(
        &mut self,
        ep: &Episode,
    ) -> Result<Vec<(PathBuf, String, crate::audio::AudioInfo)>, Vec<SourceDiagnostic>> {
        let mut out = Vec::new();
        for (n, alt) in ep.meta.podcast.alternate_enclosure.iter().enumerate() {
            let src = ep.dir.join(&alt.file);
            self.rec.observe(&src);
            let info = self.cache.probe(&src).map_err(|e| {
                vec![problem(&src, "alternate-enclosure", format!("podcast.alternate_enclosure file: {e}"))]
            })?;
            let rel = format!("audio/{}-alt{}.{}", ep.slug, n + 1, info.mime.extension());
            out.push((src, rel, info));
        }
        Ok(out)
    }

    /// The episode's GUID: the locked one, or the front matter's on first build, or a new one; and
    /// not another episode's.
    fn guid(&mut self, ep: &Episode, notes_path: &Path) -> Result<String, SourceDiagnostic> {
        let allow_change = self.options.allow_guid_change;
        let guid = match (self.lock.get(&ep.slug), ep.meta.guid.clone()) {
            (Ok(Some(locked)), Some(front)) if locked != front && !allow_change => {
                return Err(problem(
                    notes_path,
                    "guid-lock",
                    format!(
                        "guid \"{front}\" differs from the published GUID \"{locked}\" in {}; GUIDs must never change (apps would download the episode again). Remove the guid line, or pass --allow-guid-change",
                        self.lock_path.display()
                    ),
                ));
            }
            (Ok(Some(locked)), None) => locked,
            (Ok(Some(_) | None), Some(front)) => front,
            (Ok(None), None) => new_episode_guid(self.show_guid, &ep.slug),
            (Err(_), _) if allow_change => {
                ep.meta.guid.clone().unwrap_or_else(|| new_episode_guid(self.show_guid, &ep.slug))
            }
            (Err(d), _) => return Err(SourceDiagnostic::new(self.lock_path, d)),
        };
        if let Some(other) = self.seen.insert(guid.clone(), ep.slug.clone()) {
            return Err(problem(
                notes_path,
                "guid-duplicate",
                format!("GUID \"{guid}\" is also used by episode {other}; every episode needs its own"),
            ));
        }
        Ok(guid)
    }

    /// The episode's transcript (`transcript.vtt` or `.srt`, if there is one) and local image.
    #[allow(clippy::type_complexity)]
    fn extras(
        &mut self,
        ep: &Episode,
        notes_path: &Path,
    ) -> Result<(Option<(PathBuf, String, &'static str)>, Option<(PathBuf, String)>), SourceDiagnostic> {
        // The folder's modification time changes when a transcript appears or goes.
        self.rec.observe_dir(&ep.dir);
        let transcript = ["vtt", "srt"].iter().find_map(|x| {
            let p = ep.dir.join(format!("transcript.{x}"));
            self.rec.observe_if_exists(&p).is_some_and(|m| m.is_file()).then(|| {
                let mime = if *x == "vtt" { "text/vtt" } else { "application/x-subrip" };
                (p, format!("transcripts/{}.{x}", ep.slug), mime)
            })
        });
        let image = match &ep.meta.image {
            Some(img) if !img.starts_with("http://") && !img.starts_with("https://") => {
                let p = ep.dir.join(img);
                if !self.rec.observe(&p).is_some_and(|m| m.is_file()) {
                    return Err(problem(notes_path, "missing-file", format!("image {} does not exist", p.display())));
                }
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("img").to_ascii_lowercase();
                Some((p, format!("images/{}.{ext}", ep.slug)))
            }
            _ => None,
        };
        Ok((transcript, image))
    }

    /// The front matter a feed item needs: a title, a date (taken in the show's time zone when
    /// written without one) and an audio file (returned), and an episode number in a serial show.
    /// Every one missing is reported at once (see [`missing_front_matter`]).
    fn required_front_matter(
        &self,
        ep: &Episode,
        notes_path: &Path,
    ) -> Result<(String, DateTime<FixedOffset>, Option<PathBuf>), Vec<SourceDiagnostic>> {
        let missing = missing_front_matter(self.show, ep, notes_path);
        match (&ep.meta.title, ep.meta.date) {
            (Some(title), Some(date)) if missing.is_empty() => {
                Ok((title.clone(), date.in_zone(self.show.timezone), ep.meta.audio.clone()))
            }
            _ => Err(missing),
        }
    }
}

/// Every front-matter key a feed item needs that `ep` lacks (title, date, audio, and the episode
/// number in a serial show), each an error at 1:1 of its notes: what `build` and `check` of the
/// sources report, all in one run.
pub(crate) fn missing_front_matter(show: &Show, ep: &Episode, notes_path: &Path) -> Vec<SourceDiagnostic> {
    let mut missing = Vec::new();
    if ep.meta.title.is_none() {
        missing.push(front_matter(notes_path, "front matter has no `title`"));
    }
    if ep.meta.date.is_none() {
        missing.push(front_matter(
            notes_path,
            "front matter has no `date` (publication date, such as 2026-12-01 or 2026-12-01T09:00:00+10:00)",
        ));
    }
    if ep.meta.audio.is_none() && ep.meta.enclosure.is_none() {
        missing.push(front_matter(
            notes_path,
            "front matter has no `audio` file (or `[enclosure]` table for audio hosted elsewhere); every feed item needs one",
        ));
    }
    if show.show_type == ShowType::Serial && ep.meta.episode.is_none() {
        missing.push(front_matter(notes_path, "a serial show needs an `episode` number on every episode"));
    }
    missing
}

/// The episode's chapters with the audio's exact duration: every chapter problem at once.
fn within_audio(
    ep: &Episode,
    notes_path: &Path,
    audio_src: &Path,
    info: &AudioInfo,
) -> Result<crate::Chapters, Vec<SourceDiagnostic>> {
    ep.chapters.clone().with_duration(info.duration).map_err(|e| {
        e.problems()
            .iter()
            .map(|p| {
                problem(notes_path, "chapters", format!("{p} (audio {} is {})", audio_src.display(), info.duration))
            })
            .collect()
    })
}

/// Every `podcast.soundbite` must end within the audio: an app would seek past its end.
fn soundbites_within(ep: &Episode, notes_path: &Path, duration: crate::Timestamp) -> Result<(), Vec<SourceDiagnostic>> {
    let bad: Vec<SourceDiagnostic> = ep
        .meta
        .podcast
        .soundbite
        .iter()
        .filter(|s| {
            s.start.timestamp().as_nanos().saturating_add(s.duration.timestamp().as_nanos()) > duration.as_nanos()
        })
        .map(|s| {
            problem(
                notes_path,
                "soundbite",
                format!(
                    "the soundbite at {}s lasting {}s ends after the audio ({duration})",
                    s.start.decimal(),
                    s.duration.decimal()
                ),
            )
        })
        .collect();
    if bad.is_empty() { Ok(()) } else { Err(bad) }
}
