//! `podmark build`: turn the sources in `episodes/` into the hostable `feed/` folder.
//!
//! ```text
//! episodes/podcast.toml            the show            →  feed/feed.xml
//! episodes/cover.png               show artwork        →  feed/cover.png
//! episodes/<slug>/episode.md       notes + chapters    →  feed/chapters/<slug>.json (+ psc, vtt, … as asked)
//! episodes/<slug>/<audio>          audio (never modified) →  feed/audio/<slug>.<ext>, a tagged copy
//! episodes/<slug>/transcript.vtt  transcript (or .srt) →  feed/transcripts/<slug>.vtt (`podcast:transcript`)
//! episodes/guids.lock              GUIDs, forever      (written on first build; commit it)
//! ```
//!
//! The build reads and checks **every** source first (show, notes, chapters against the exact
//! audio duration, GUIDs) and reports all problems at once; only then does it write. Source files
//! are never modified (except `guids.lock`, which records new GUIDs). Output is deterministic:
//! episodes are processed in folder order, the feed lists them as `itunes:type` demands, nothing
//! depends on the clock, and files whose content is unchanged are not rewritten. Unchanged audio is
//! neither re-probed (probe cache) nor re-tagged (build state), so a no-change rebuild is fast.
//!
//! A rebuild in which **nothing** changed is faster still: the build state records the size and
//! modification time of every input it read and every output it wrote (plus the podmark
//! executable and the options). When all of them are as recorded, the build only stats files and
//! returns the previous report with [`BuildReport::up_to_date`] set. An input modified within a
//! clock tick of the build ("racily clean", as git calls it) is recorded with a hash of the bytes
//! the build read, or, for audio and other files the build does not read whole, keeps the next
//! build on the full path.
//!
//! Inside: `plan` loads and checks the sources into a plan, `write` renders the outputs, `commit`
//! stages them and switches the feed (the build as a transaction), `state` keeps the build state
//! and the no-change fast path.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::probe::ProbeCache;
use crate::sources::SourceDiagnostic;
use crate::sources::show::Show;
use crate::{Chapters, EpisodeMeta, Timestamp};

mod binary;
mod commit;
mod incremental;
mod plan;
pub(crate) mod renames;
mod site;
mod state;
mod timing;
mod write;

use state::{BuildState, Recorder};

/// What to build, and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The sources: `podcast.toml` and one folder per episode.
    pub episodes: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// Overrides the show's `base_url` (e.g. `http://127.0.0.1:8080/` to test on loopback).
    pub base_url: Option<String>,
    /// Accept GUIDs that differ from the lock file (re-records them). Apps will re-download.
    pub allow_guid_change: bool,
    /// Split the feed into pages of this many items (RFC 5005 paged feed: `feed.xml` holds the
    /// newest page, `feed-2.xml`… the older ones, linked with `atom:link rel="next"` etc.).
    pub page_size: Option<std::num::NonZeroUsize>,
    /// How long to wait for another build into the same output folder to finish (builds into one
    /// folder take turns: see [`build`]). Ten minutes by default.
    pub lock_timeout: std::time::Duration,
}

impl BuildOptions {
    /// Sources in `episodes`, output in `out`, everything else default.
    pub fn new(episodes: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        BuildOptions {
            episodes: episodes.into(),
            out: out.into(),
            base_url: None,
            allow_guid_change: false,
            page_size: None,
            lock_timeout: std::time::Duration::from_secs(600),
        }
    }
}

/// One episode as loaded from its folder.
#[derive(Debug, Clone, Serialize)]
pub struct Episode {
    /// The folder name, used in output file names and the GUID lock.
    pub slug: String,
    /// The folder.
    pub dir: PathBuf,
    /// Front matter.
    pub meta: EpisodeMeta,
    /// The notes without chapter lines (Markdown).
    pub description: String,
    /// Where the chapter lines stood in `description`, for the chapter list in the feed.
    pub chapter_list: Option<crate::formats::notes::ChapterListPlace>,
    /// The checked chapters (with the audio's duration once probed).
    pub chapters: Chapters,
}

/// A file the build wrote or kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Written {
    /// Path, relative to the output folder.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// False when the file already had this content.
    pub changed: bool,
}

/// What the build did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildReport {
    /// The show's title.
    pub show: String,
    /// The feed URL.
    pub feed_url: String,
    /// Episodes built, in feed order.
    pub episodes: Vec<EpisodeReport>,
    /// Files written or kept, in order.
    pub files: Vec<Written>,
    /// Warnings met on the way (each prints as `path:line:col: warning: …`).
    pub warnings: Vec<SourceDiagnostic>,
    /// How the probe cache served this build.
    pub probe_cache: ProbeCacheStats,
    /// True when no input or output changed since the last build, which therefore did nothing but
    /// check file sizes and modification times (`files` are then all unchanged, nothing was probed).
    #[serde(default)]
    pub up_to_date: bool,
}

/// Probe cache use in one build: audio whose measurement was reused, and audio that was probed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCacheStats {
    /// Audio files whose size and modification time matched the cache: not read.
    pub hits: u64,
    /// Audio files probed (new or changed).
    pub misses: u64,
}

/// One episode in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpisodeReport {
    /// Folder name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// GUID.
    pub guid: String,
    /// Number of chapters.
    pub chapters: usize,
    /// Exact duration.
    pub duration: Timestamp,
    /// Bytes of the tagged audio.
    pub audio_bytes: u64,
    /// Whether the audio was (re)tagged in this build.
    pub audio_tagged: bool,
}

/// Why a build stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Problems in the sources, every one of them (each prints as `path:line:col: error: …`).
    #[error("{} problem{} in the sources:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, lines(.0))]
    Sources(Vec<SourceDiagnostic>),
    /// Chapters could not be written in a format.
    #[error(transparent)]
    Write(#[from] crate::formats::WriteError),
    /// Tagging the audio copy failed.
    #[error(transparent)]
    Tag(#[from] crate::tag::TagError),
    /// The feed could not be written.
    #[error(transparent)]
    Feed(#[from] crate::feed::FeedError),
    /// Another build into the same output folder held its lock for longer than
    /// [`BuildOptions::lock_timeout`]; nothing was written.
    #[error("{}: another build into this folder is still running after {} s; nothing written", path.display(), waited.as_secs())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// How long the build waited.
        waited: std::time::Duration,
    },
    /// The build stopped after the new feed went live: the feed and every file it lists are in
    /// place and complete, but leftovers remain (versioned copies, temporary files, an old page) or
    /// the build state was not saved. Building again finishes the job.
    #[error("{0} (the new feed is live and every file it lists is in place; build again to finish)")]
    Unfinished(Box<BuildError>),
}

impl BuildError {
    /// Whether the feed that was live before the build still is (the build stopped before switching
    /// it): false only for [`BuildError::Unfinished`].
    pub fn previous_feed_is_live(&self) -> bool {
        !matches!(self, BuildError::Unfinished(_))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io { path: path.to_owned(), source }
}

fn lines(diags: &[SourceDiagnostic]) -> String {
    diags.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

pub(crate) use plan::missing_front_matter;

/// Loads the show and its episodes, checking notes and chapters; returns every problem at once.
/// Chapters are not yet checked against the audio (see [`build`]). The warnings are the notes'
/// (strict profile), each with its file, line and column.
pub fn load(episodes_dir: &Path) -> Result<(Show, Vec<Episode>, Vec<SourceDiagnostic>), BuildError> {
    plan::load_recorded(episodes_dir, &mut Recorder::new())
}

/// `total` passed to the `progress` of [`build`] while it waits for another build into the same
/// output folder to finish (`what` then says so).
pub const WAITING_FOR_LOCK: usize = usize::MAX;

/// Builds the feed folder. `progress` is called with (done, total, what) as episodes are handled,
/// and with `total` = [`WAITING_FOR_LOCK`] if another build holds the output folder.
///
/// A build is a transaction: the feed and the files it lists change only by renames of complete,
/// fsynced files, the feed last, so that at every instant `feed.xml` lists files that exist with
/// the bytes it describes (see `DESIGN.md`, "How is a build a transaction?"). Builds into one
/// output folder take turns, under an exclusive lock on `<out>/.podmark/build.lock`.
pub fn build(options: &BuildOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> Result<BuildReport, BuildError> {
    timing::start();
    let state_dir = options.out.join(".podmark");
    std::fs::create_dir_all(&state_dir).map_err(io(&state_dir))?;
    let lock_path = state_dir.join("build.lock");
    let mut on_wait = || {
        let what = format!("waiting for another build into {} to finish", options.out.display());
        progress(0, WAITING_FOR_LOCK, &what);
    };
    let _lock = crate::fsutil::lock_exclusive_waiting(&lock_path, options.lock_timeout, &mut on_wait).map_err(|e| {
        match e.kind() {
            std::io::ErrorKind::TimedOut => {
                BuildError::Locked { path: lock_path.clone(), waited: options.lock_timeout }
            }
            _ => BuildError::Io { path: lock_path.clone(), source: e },
        }
    })?;
    let state_path = state_dir.join("build-state");
    let items_path = state_dir.join("items");
    // The items, which only a rebuild with something to do reads, are read on another core while
    // the state is read and its stamps are checked, if they are small enough that a no-change
    // build's memory does not suffer. A no-change build does not wait for them, and the thread
    // runs at the lowest priority: it takes a core the state's reading leaves idle, not the
    // stats' cores (measured: at normal priority it made a no-change build 5 % slower).
    let small = std::fs::metadata(&items_path).is_ok_and(|m| m.len() <= READ_AHEAD_ITEMS);
    let items_ahead = small.then(|| {
        std::thread::spawn(move || {
            #[cfg(target_os = "linux")]
            let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
            incremental::Items::read(&items_path)
        })
    });
    let mut state = BuildState::read(&state_path);
    timing::lap("state: read");
    let key = state::fingerprint_key(options);
    let changes = state.changes(&key, &options.episodes, &options.out);
    timing::lap("state: stat inputs and outputs");
    if let Some(report) = changes.as_ref().filter(|c| c.is_empty()).and_then(|_| state.up_to_date()) {
        return Ok(report);
    }
    // Only some episodes (or only the channel) changed: rebuild those, splice the rest, unless a
    // build was interrupted since the last one finished (it may have left files the incremental
    // path does not look for: temporary pages).
    let unfinished = state_dir.join(UNFINISHED);
    let interrupted = unfinished.exists();
    if let Some(changed) = changes.as_ref().filter(|_| !interrupted) {
        let cx = incremental::Context { options, state_dir: &state_dir, key: &key, changed };
        let items = items_ahead.and_then(|h| h.join().ok().flatten());
        if let Some(report) = incremental::build(&cx, &mut state, items)? {
            return Ok(report);
        }
    }
    // A build that fails half-way leaves the old fingerprint, which no longer matches: whatever changed
    // since still differs, and any output written since has a new modification time.
    let mut rec = Recorder::new();
    let (show, episodes, mut warnings) = plan::load_recorded(&options.episodes, &mut rec)?;
    let mut cache = ProbeCache::open(state_dir.join("probe-cache.json")).unwrap_or_else(|_| ProbeCache::in_memory());
    let mut plan = plan::plan(options, show, episodes, &mut rec, &mut cache, progress)?;
    warnings.append(&mut plan.warnings);
    timing::lap("episodes: load and plan");

    mark_unfinished(&unfinished)?;
    let outputs =
        write::Writer { options, rec: &mut rec, cache: &mut cache, state: &mut state, warnings: &mut warnings }
            .write(&mut plan)?;

    // Records (the GUIDs were saved before the feed went live): probe cache and build state.
    cache.retain_used();
    let (hits, misses) = (cache.hits(), cache.misses());
    if let Err(e) = cache.save() {
        let cause = std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string);
        warnings.push(SourceDiagnostic::new(
            state_dir.join("probe-cache.json"),
            crate::Diagnostic::warning("probe-cache", None, format!("could not save the probe cache: {cause}")),
        ));
    }
    drop(cache);
    let pair = binary::pair_id();
    incremental::save(
        &state_dir,
        &key,
        &plan.show,
        outputs.records,
        &warnings,
        &options.episodes,
        outputs.layout,
        pair,
    );
    // The plan goes before the state is saved (a large show's plan is most of what a build holds).
    let (show_title, feed_url) = {
        let plan = plan;
        (plan.show.title, plan.feed_url)
    };
    let report = BuildReport {
        show: show_title,
        feed_url,
        episodes: outputs.episodes,
        files: outputs.files,
        warnings,
        probe_cache: ProbeCacheStats { hits, misses },
        up_to_date: false,
    };
    timing::lap("state: save the probe cache and the items");
    // One after the other here (the items' records are dropped before the state is made).
    state.save(&state_path, rec, key, &options.out, &report, pair).map_err(|e| BuildError::Unfinished(Box::new(e)))?;
    mark_finished(&unfinished)?;
    timing::lap("state: save");
    Ok(report)
}

/// The largest items file read beside the build state, before the build knows it needs it
/// (about 25,000 episodes; decoded it takes about seven times its size in memory).
const READ_AHEAD_ITEMS: u64 = 8 << 20;

/// The marker file in `<out>/.podmark` that a build creates before it writes anything and removes
/// once it has saved its state: a marker found at the start means a build was interrupted, and the
/// build takes the full path (which collects what that build left).
const UNFINISHED: &str = "unfinished";

fn mark_unfinished(path: &Path) -> Result<(), BuildError> {
    // Not fsynced: a marker lost in a crash can only leave a stray temporary page.
    std::fs::File::create(path).map(drop).map_err(io(path))
}

fn mark_finished(path: &Path) -> Result<(), BuildError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BuildError::Unfinished(Box::new(io(path)(e)))),
        _ => Ok(()),
    }
}
