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

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::feed::guid::{GuidLock, new_episode_guid, podcast_guid};
use crate::feed::{self, Channel, Enclosure, Feed, Item, Locked, Transcript};
use crate::formats::{Format, WriteOptions};
use crate::probe::ProbeCache;
use crate::show::{Show, ShowType};
use crate::tag::TagOptions;
use crate::validate::{Profile, check_all};
use crate::{Chapters, EpisodeMeta, Timestamp};

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
    /// Warnings met on the way (as `path:line:col: warning: …`).
    pub warnings: Vec<String>,
    /// Probe cache hits and misses.
    pub probe_cache: (u64, u64),
    /// True when no input or output changed since the last build, which therefore did nothing but
    /// check file sizes and modification times (`files` are then all unchanged, nothing was probed).
    #[serde(default)]
    pub up_to_date: bool,
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
    /// Problems in the sources, every one of them, as `path:line:col: error: …`.
    #[error("{} problem{} in the sources:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.join("\n"))]
    Sources(Vec<String>),
    /// Chapters could not be written in a format.
    #[error(transparent)]
    Write(#[from] crate::formats::WriteError),
    /// Tagging the audio copy failed.
    #[error(transparent)]
    Tag(#[from] crate::tag::TagError),
    /// The feed could not be written.
    #[error(transparent)]
    Feed(#[from] crate::feed::FeedError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io { path: path.to_owned(), source }
}

fn render(path: &Path, diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| d.with_path(path).to_string()).collect()
}

/// Loads the show and its episodes, checking notes and chapters; returns every problem at once.
/// Chapters are not yet checked against the audio (see [`build`]).
pub fn load(episodes_dir: &Path) -> Result<(Show, Vec<Episode>, Vec<String>), BuildError> {
    load_recorded(episodes_dir, &mut Recorder::new())
}

fn load_recorded(episodes_dir: &Path, rec: &mut Recorder) -> Result<(Show, Vec<Episode>, Vec<String>), BuildError> {
    let show_path = episodes_dir.join("podcast.toml");
    let show_bytes = rec.read(&show_path).map_err(io(&show_path))?;
    let show_text = String::from_utf8(show_bytes).map_err(|e| BuildError::Io {
        path: show_path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let show = Show::parse(&show_text).map_err(|e| problems.extend(render(&show_path, &e.diagnostics))).ok();

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
    for dir in dirs {
        let notes_path = dir.join("episode.md");
        let bytes = rec.read(&notes_path).map_err(io(&notes_path))?;
        let text = match crate::formats::decode_text(&bytes) {
            Ok(t) => t,
            Err(d) => {
                problems.extend(render(&notes_path, &[d]));
                continue;
            }
        };
        let notes = crate::shownotes::parse(text);
        let meta = notes.meta.clone();
        let description = notes.description.clone();
        let parsed = notes.into_parsed();
        let diags = check_all(&parsed, &[Profile::Strict], None);
        let (errs, warns): (Vec<Diagnostic>, Vec<Diagnostic>) = diags.into_iter().partition(Diagnostic::is_error);
        warnings.extend(render(&notes_path, &warns));
        if !errs.is_empty() {
            problems.extend(render(&notes_path, &errs));
            continue;
        }
        let Some(meta) = meta else {
            problems.push(format!(
                "{}:1:1: error: episode.md needs TOML front matter between +++ lines",
                notes_path.display()
            ));
            continue;
        };
        let slug = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !slug.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            problems.push(format!(
                "{}: error: episode folder names become file names in URLs; use ASCII letters, digits, '-', '_' or '.' only",
                dir.display()
            ));
            continue;
        }
        match parsed.into_chapters() {
            Ok(chapters) => episodes.push(Episode { slug, dir, meta, description, chapters }),
            Err(e) => problems.extend(render(&notes_path, &e.diagnostics)),
        }
    }
    match show {
        Some(show) if problems.is_empty() => Ok((show, episodes, warnings)),
        _ => Err(BuildError::Sources(problems)),
    }
}

/// Per-episode facts gathered before writing.
struct Planned {
    ep: Episode,
    guid: String,
    audio_src: PathBuf,
    audio_out_rel: String,
    title: String,
    transcript: Option<(PathBuf, String, &'static str)>,
    image: Option<(PathBuf, String)>,
}

/// The build state kept in `<out>/.podmark/build-state.json`: what each tagged audio copy was
/// made from, so unchanged audio is not copied and tagged again.
#[derive(Debug, Default, Serialize, Deserialize)]
struct BuildState {
    audio: BTreeMap<String, AudioState>,
    /// What the last successful build read and wrote; `None` while a build is under way.
    #[serde(default)]
    fingerprint: Option<Fingerprint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AudioState {
    source_len: u64,
    source_mtime_ns: u128,
    chapters: u64,
    out_len: u64,
    out_mtime_ns: u128,
}

fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
}

fn chapters_digest(chapters: &Chapters) -> u64 {
    // Only compared with itself from an earlier build of the same podmark; not persisted across versions
    // in any way that matters (a mismatch just re-tags).
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    for (c, end) in chapters.spans() {
        (c.start, end, &c.title, &c.url, &c.image, &c.description, c.hidden).hash(&mut h);
    }
    h.finish()
}

/// Builds the feed folder. `progress` is called with (done, total, what) as episodes are handled.
pub fn build(options: &BuildOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> Result<BuildReport, BuildError> {
    let state_dir = options.out.join(".podmark");
    let state_path = state_dir.join("build-state.json");
    let mut state: BuildState =
        std::fs::read(&state_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let key = fingerprint_key(options);
    if let Some(fp) = &state.fingerprint
        && fp.key == key
        && fp.still_valid(&options.episodes)
    {
        let mut report = fp.report.clone();
        report.up_to_date = true;
        report.probe_cache = (0, 0);
        return Ok(report);
    }
    // A build that fails half-way leaves the old fingerprint, which no longer matches: whatever changed
    // since still differs, and any output written since has a new modification time.
    let mut rec = Recorder::new();
    let (show, episodes, mut warnings) = load_recorded(&options.episodes, &mut rec)?;
    let base_url = match &options.base_url {
        Some(u) if u.ends_with('/') => u.clone(),
        Some(u) => format!("{u}/"),
        None => show.base_url.clone(),
    };
    let feed_url = format!("{base_url}feed.xml");
    let show_guid = podcast_guid(&show.base_url_feed());
    let mut cache = ProbeCache::open(state_dir.join("probe-cache.json")).unwrap_or_else(|_| ProbeCache::in_memory());
    let mut problems: Vec<String> = Vec::new();

    // GUIDs: the lock decides; front matter may set a GUID on first build only.
    let lock_path = options.episodes.join("guids.lock");
    let lock_stat = Recorder::stat(&lock_path);
    let mut lock = GuidLock::load(&lock_path).map_err(|e| BuildError::Sources(vec![format!("{e}")]))?;
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut planned = Vec::new();
    let total = episodes.len();
    for (i, ep) in episodes.into_iter().enumerate() {
        progress(i, total, &ep.slug);
        let notes_path = ep.dir.join("episode.md");
        let at = notes_path.display().to_string();
        let guid = match (lock.get(&ep.slug), ep.meta.guid.clone()) {
            (Ok(Some(locked)), Some(front)) if locked != front && !options.allow_guid_change => {
                problems.push(format!(
                    "{at}: error: guid \"{front}\" differs from the published GUID \"{locked}\" in {}; GUIDs must never change (apps would download the episode again). Remove the guid line, or pass --allow-guid-change",
                    lock_path.display()
                ));
                continue;
            }
            (Ok(Some(locked)), None) => locked,
            (Ok(Some(_)) | Ok(None), Some(front)) => front,
            (Ok(None), None) => new_episode_guid(show_guid, &ep.slug),
            (Err(e), _) if options.allow_guid_change => {
                let _ = e;
                ep.meta.guid.clone().unwrap_or_else(|| new_episode_guid(show_guid, &ep.slug))
            }
            (Err(e), _) => {
                problems.push(format!("{}: error: {e}", lock_path.display()));
                continue;
            }
        };
        if let Some(other) = seen.insert(guid.clone(), ep.slug.clone()) {
            problems.push(format!(
                "{at}: error: GUID \"{guid}\" is also used by episode {other}; every episode needs its own"
            ));
            continue;
        }
        let Some(audio_rel) = ep.meta.audio.clone() else {
            problems.push(format!("{at}:1:1: error: front matter has no `audio` file; every feed item needs one"));
            continue;
        };
        let audio_src = ep.dir.join(&audio_rel);
        rec.observe(&audio_src);
        let info = match cache.probe(&audio_src) {
            Ok(info) => info,
            Err(e) => {
                problems.push(format!("{}: error: {e}", audio_src.display()));
                continue;
            }
        };
        let ext = audio_src.extension().and_then(|e| e.to_str()).unwrap_or("bin").to_ascii_lowercase();
        let chapters = match ep.chapters.clone().with_duration(info.duration) {
            Ok(c) => c,
            Err(e) => {
                for p in e.problems() {
                    problems.push(format!("{at}: error: {p} (audio {} is {})", audio_src.display(), info.duration));
                }
                continue;
            }
        };
        // The folder's modification time changes when a transcript appears or goes.
        rec.observe_dir(&ep.dir);
        let transcript = ["vtt", "srt"].iter().find_map(|x| {
            let p = ep.dir.join(format!("transcript.{x}"));
            rec.observe_if_exists(&p).is_some_and(|m| m.is_file()).then(|| {
                let mime = if *x == "vtt" { "text/vtt" } else { "application/x-subrip" };
                (p, format!("transcripts/{}.{x}", ep.slug), mime)
            })
        });
        let image = match &ep.meta.image {
            Some(img) if !img.starts_with("http://") && !img.starts_with("https://") => {
                let p = ep.dir.join(img);
                if !rec.observe(&p).is_some_and(|m| m.is_file()) {
                    problems.push(format!("{at}: error: image {} does not exist", p.display()));
                    continue;
                }
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("img").to_ascii_lowercase();
                Some((p, format!("images/{}.{ext}", ep.slug)))
            }
            _ => None,
        };
        let Some(title) = ep.meta.title.clone() else {
            problems.push(format!("{at}:1:1: error: front matter has no `title`"));
            continue;
        };
        if ep.meta.date.is_none() {
            problems.push(format!("{at}:1:1: error: front matter has no `date` (publication date-time with zone)"));
            continue;
        }
        if show.show_type == ShowType::Serial && ep.meta.episode.is_none() {
            problems.push(format!("{at}:1:1: error: a serial show needs an `episode` number on every episode"));
            continue;
        }
        let audio_out_rel = format!("audio/{}.{ext}", ep.slug);
        planned.push(Planned {
            ep: Episode { chapters, ..ep },
            guid,
            audio_src,
            audio_out_rel,
            title,
            transcript,
            image,
        });
    }
    if !problems.is_empty() {
        return Err(BuildError::Sources(problems));
    }
    progress(total, total, "writing");

    // Write: audio copies (tagged), chapter files, transcripts, images, feed.
    let mut files = Vec::new();
    let mut items = Vec::new();
    let mut reports = Vec::new();
    for p in &planned {
        let out_audio = options.out.join(&p.audio_out_rel);
        let tagged = copy_and_tag(&p.audio_src, &out_audio, &p.ep.chapters, &mut state, &p.audio_out_rel)?;
        let out_info =
            cache.probe(&out_audio).map_err(|e| BuildError::Sources(vec![format!("{}: {e}", out_audio.display())]))?;
        files.push(Written { path: p.audio_out_rel.clone(), bytes: out_info.byte_length, changed: tagged });

        let write_options = WriteOptions {
            title: Some(p.title.clone()),
            podcast_name: Some(show.title.clone()),
            author: Some(show.author.clone()),
            file_name: Path::new(&p.audio_out_rel).file_name().map(|n| n.to_string_lossy().into_owned()),
        };
        let json_rel = format!("chapters/{}.json", p.ep.slug);
        files.push(emit(&options.out, &json_rel, &Format::Json.write(&p.ep.chapters, &write_options)?)?);
        for &f in &show.chapter_formats {
            let rel = format!("chapters/{}.{}", p.ep.slug, f.extension());
            match f.write(&p.ep.chapters, &write_options) {
                Ok(text) => files.push(emit(&options.out, &rel, &text)?),
                Err(e) => warnings.push(format!("{}: warning: {e}", p.ep.dir.join("episode.md").display())),
            }
        }
        let mut transcripts = Vec::new();
        if let Some((src, rel, mime)) = &p.transcript {
            let bytes = std::fs::read(src).map_err(io(src))?;
            files.push(emit_bytes(&options.out, rel, &bytes)?);
            transcripts.push(Transcript {
                url: format!("{base_url}{rel}"),
                mime: (*mime).to_owned(),
                language: Some(show.language.clone()),
            });
        }
        let image_url = match (&p.image, &p.ep.meta.image) {
            (Some((src, rel)), _) => {
                let bytes = std::fs::read(src).map_err(io(src))?;
                files.push(emit_bytes(&options.out, rel, &bytes)?);
                Some(format!("{base_url}{rel}"))
            }
            (None, Some(url)) => Some(url.clone()),
            (None, None) => None,
        };
        let html = feed::html::notes_to_html(&p.ep.description, &p.ep.chapters);
        items.push(Item {
            title: p.title.clone(),
            guid: p.guid.clone(),
            pub_date: p.ep.meta.date.unwrap_or_default(),
            episode: p.ep.meta.episode,
            season: p.ep.meta.season,
            episode_type: p.ep.meta.episode_type,
            enclosure: Enclosure {
                url: format!("{base_url}{}", p.audio_out_rel),
                length: out_info.byte_length,
                mime: out_info.mime.as_str().to_owned(),
            },
            duration_secs: out_info.duration.as_secs_rounded(),
            html,
            summary: p.ep.meta.summary.clone(),
            link: None,
            image_url,
            explicit: p.ep.meta.explicit,
            chapters_url: Some(format!("{base_url}{json_rel}")),
            chapters: p.ep.chapters.clone(),
            transcripts,
        });
        reports.push(EpisodeReport {
            slug: p.ep.slug.clone(),
            title: p.title.clone(),
            guid: p.guid.clone(),
            chapters: p.ep.chapters.len(),
            duration: out_info.duration,
            audio_bytes: out_info.byte_length,
            audio_tagged: tagged,
        });
        lock.set(&p.ep.slug, &p.guid);
    }

    // Feed order: episodic newest first, serial oldest first (by episode number).
    let mut order: Vec<usize> = (0..items.len()).collect();
    match show.show_type {
        ShowType::Episodic => order
            .sort_by(|&a, &b| items[b].pub_date.cmp(&items[a].pub_date).then(reports[b].slug.cmp(&reports[a].slug))),
        ShowType::Serial => order.sort_by(|&a, &b| {
            (items[a].season, items[a].episode, &reports[a].slug).cmp(&(
                items[b].season,
                items[b].episode,
                &reports[b].slug,
            ))
        }),
    }
    let items: Vec<Item> = order.iter().filter_map(|&i| items.get(i).cloned()).collect();
    let reports: Vec<EpisodeReport> = order.iter().filter_map(|&i| reports.get(i).cloned()).collect();

    let image_url = match &show.image {
        Some(img) if img.starts_with("http://") || img.starts_with("https://") => Some(img.clone()),
        Some(img) => {
            let src = options.episodes.join(img);
            let bytes = rec.read(&src).map_err(io(&src))?;
            let name =
                Path::new(img).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "cover".into());
            files.push(emit_bytes(&options.out, &name, &bytes)?);
            Some(format!("{base_url}{name}"))
        }
        None => None,
    };
    let channel = Channel {
        title: show.title.clone(),
        description: show.description.clone(),
        link: show.link.clone().unwrap_or_else(|| base_url.clone()),
        language: show.language.clone(),
        self_url: feed_url.clone(),
        image_url,
        category: show.category.clone(),
        explicit: show.explicit,
        author: show.author.clone(),
        show_type: show.show_type,
        owner: show.owner.clone(),
        copyright: show.copyright.clone(),
        podcast_guid: show_guid,
        locked: Some(Locked { locked: show.locked, owner: show.owner.as_ref().map(|o| o.email.clone()) }),
        paging: None,
    };
    let page_size = options.page_size.map_or(items.len().max(1), std::num::NonZeroUsize::get);
    let pages: Vec<&[Item]> = if items.is_empty() { vec![&items[..]] } else { items.chunks(page_size).collect() };
    let page_name = |n: usize| if n == 1 { "feed.xml".to_owned() } else { format!("feed-{n}.xml") };
    let page_url = |n: usize| format!("{base_url}{}", page_name(n));
    for (i, page) in pages.iter().enumerate() {
        let n = i + 1;
        let mut channel = channel.clone();
        if pages.len() > 1 {
            channel.self_url = page_url(n);
            channel.paging = Some(feed::Paging {
                first: page_url(1),
                last: page_url(pages.len()),
                next: (n < pages.len()).then(|| page_url(n + 1)),
                prev: (n > 1).then(|| page_url(n - 1)),
            });
        }
        let xml = feed::write(&Feed { channel, items: page.to_vec() })?;
        files.push(emit(&options.out, &page_name(n), &xml)?);
    }
    // Pages left over from an earlier build with more pages would mislead clients: remove them.
    let mut n = pages.len() + 1;
    while options.out.join(page_name(n)).is_file() {
        let stale = options.out.join(page_name(n));
        std::fs::remove_file(&stale).map_err(io(&stale))?;
        n += 1;
    }

    // Records: GUIDs (in the sources; commit it), probe cache and build state (in the output).
    let lock_text = lock.to_toml();
    let lock_stat = if std::fs::read_to_string(&lock_path).ok().as_deref() != Some(lock_text.as_str()) {
        crate::fsutil::write_if_changed(&lock_path, lock_text.as_bytes()).map_err(io(&lock_path))?;
        Recorder::stat(&lock_path)
    } else {
        lock_stat
    };
    rec.record(&lock_path, lock_stat, Some(lock_text.as_bytes()));
    std::fs::create_dir_all(&state_dir).map_err(io(&state_dir))?;
    cache.retain_used();
    let (hits, misses) = (cache.hits(), cache.misses());
    if let Err(e) = cache.save() {
        warnings.push(format!("warning: {e}"));
    }
    let report = BuildReport {
        show: show.title,
        feed_url,
        episodes: reports,
        files,
        warnings,
        probe_cache: (hits, misses),
        up_to_date: false,
    };
    state.fingerprint = rec.finish(key, &options.out, &report);
    let state_json = serde_json::to_vec(&state).unwrap_or_default();
    crate::fsutil::write_if_changed(&state_path, &state_json).map_err(io(&state_path))?;
    Ok(report)
}

/// Copies `src` to `out` and embeds the chapters, unless the build state shows that `out` is
/// already exactly that. Returns whether it wrote.
fn copy_and_tag(
    src: &Path,
    out: &Path,
    chapters: &Chapters,
    state: &mut BuildState,
    key: &str,
) -> Result<bool, BuildError> {
    let src_meta = std::fs::metadata(src).map_err(io(src))?;
    let want = |out_meta: &std::fs::Metadata| AudioState {
        source_len: src_meta.len(),
        source_mtime_ns: mtime_ns(&src_meta),
        chapters: chapters_digest(chapters),
        out_len: out_meta.len(),
        out_mtime_ns: mtime_ns(out_meta),
    };
    if let (Ok(out_meta), Some(old)) = (std::fs::metadata(out), state.audio.get(key))
        && &want(&out_meta) == old
    {
        return Ok(false);
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    crate::fsutil::replace_atomically(out, |w| {
        let mut f = std::fs::File::open(src)?;
        std::io::copy(&mut f, w).map(|_| ())
    })
    .map_err(io(out))?;
    if let Err(e) = crate::tag::embed(out, chapters, &TagOptions::new()) {
        let _ = std::fs::remove_file(out);
        return Err(e.into());
    }
    let out_meta = std::fs::metadata(out).map_err(io(out))?;
    state.audio.insert(key.to_owned(), want(&out_meta));
    Ok(true)
}

fn emit(out: &Path, rel: &str, text: &str) -> Result<Written, BuildError> {
    emit_bytes(out, rel, text.as_bytes())
}

fn emit_bytes(out: &Path, rel: &str, bytes: &[u8]) -> Result<Written, BuildError> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let changed = crate::fsutil::write_if_changed(&path, bytes).map_err(io(&path))?;
    Ok(Written { path: rel.to_owned(), bytes: bytes.len() as u64, changed })
}

/// Stat of one file: `None` when it does not exist.
type FileStat = Option<(u64, u64)>;

/// One input or output of a build, as it was when the build used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    path: String,
    /// Size and modification time (ns since the epoch); `None`: the file did not exist.
    stat: FileStat,
    /// For an input modified too recently to trust its modification time: a hash of the bytes the
    /// build read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hash: Option<u64>,
    /// A folder: `hash` is that of its listing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    dir: bool,
}

/// What a successful build read and wrote, and what it reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Fingerprint {
    /// podmark's version and executable, the options and the working directory.
    key: String,
    /// Hash of the names and types in the episodes folder.
    listing: u64,
    inputs: Vec<Stamp>,
    outputs: Vec<Stamp>,
    report: BuildReport,
}

impl Fingerprint {
    /// Whether every input and output is still as recorded.
    fn still_valid(&self, episodes_dir: &Path) -> bool {
        if !Listing::read(episodes_dir).is_ok_and(|l| l.digest == self.listing) {
            return false;
        }
        let unchanged = |s: &Stamp| {
            let path = Path::new(&s.path);
            Recorder::stat(path) == s.stat
                && s.hash.is_none_or(|h| match s.dir {
                    true => Listing::read(path).is_ok_and(|l| l.digest == h),
                    false => std::fs::read(path).is_ok_and(|b| hash_bytes(&b) == h),
                })
        };
        // Tens of thousands of stats: spread them over the cores (the order does not matter).
        let stamps: Vec<&Stamp> = self.inputs.iter().chain(&self.outputs).collect();
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).clamp(1, 4);
        let chunk = stamps.len().div_ceil(threads).max(1024);
        let failed = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for part in stamps.chunks(chunk) {
                let failed = &failed;
                scope.spawn(move || {
                    for s in part {
                        if failed.load(std::sync::atomic::Ordering::Relaxed) {
                            return;
                        }
                        if !unchanged(s) {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        !failed.into_inner()
    }
}

fn fingerprint_key(options: &BuildOptions) -> String {
    let exe = std::env::current_exe().ok().map(|p| Recorder::stat(&p));
    let cwd = std::env::current_dir().unwrap_or_default();
    format!(
        "{} {exe:?} {cwd:?} {:?} {:?} {:?} {} {:?}",
        env!("CARGO_PKG_VERSION"),
        options.episodes,
        options.out,
        options.base_url,
        options.allow_guid_change,
        options.page_size
    )
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// The entries of the episodes folder, sorted, with a digest of their names and types.
struct Listing {
    entries: Vec<(std::ffi::OsString, Option<std::fs::FileType>)>,
    digest: u64,
}

impl Listing {
    fn read(dir: &Path) -> std::io::Result<Listing> {
        let mut entries: Vec<_> =
            std::fs::read_dir(dir)?.filter_map(Result::ok).map(|e| (e.file_name(), e.file_type().ok())).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        // guids.lock has its own stamp; the build itself may create it.
        for (name, kind) in entries.iter().filter(|(name, _)| name != "guids.lock") {
            name.hash(&mut h);
            kind.map(|k| (k.is_dir(), k.is_file(), k.is_symlink())).hash(&mut h);
        }
        Ok(Listing { digest: h.finish(), entries })
    }

    /// Entries that are, or may point to, folders.
    fn maybe_dirs<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = PathBuf> + 'a {
        self.entries.iter().filter(|(_, k)| k.is_none_or(|k| !k.is_file())).map(|(name, _)| dir.join(name))
    }
}

/// Collects the [`Stamp`]s of a build's inputs, each taken before the input is used.
struct Recorder {
    /// Modification times from here on are too recent to trust (a change within the same clock tick
    /// would not show).
    racy_from_ns: u64,
    coarse_racy_from_ns: u64,
    inputs: Vec<Stamp>,
    listing: Option<u64>,
    /// An input that the build does not read whole was modified too recently: record nothing.
    unsettled: bool,
}

impl Recorder {
    fn new() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| u64::try_from(d.as_nanos()).ok())
            .unwrap_or(u64::MAX);
        // Kernel file times lag the clock by up to a tick; file systems with whole-second (or 2 s, FAT)
        // times are recognised by a zero sub-second part.
        Recorder {
            racy_from_ns: now.saturating_sub(100_000_000),
            coarse_racy_from_ns: now.saturating_sub(3_000_000_000),
            inputs: Vec::new(),
            listing: None,
            unsettled: false,
        }
    }

    fn stat(path: &Path) -> FileStat {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.len(), u64::try_from(mtime_ns(&meta)).unwrap_or(u64::MAX)))
    }

    fn is_racy(&self, stat: FileStat) -> bool {
        stat.is_some_and(
            |(_, m)| {
                if m % 1_000_000_000 == 0 { m >= self.coarse_racy_from_ns } else { m >= self.racy_from_ns }
            },
        )
    }

    /// Records `path` as it is now (stat taken before the caller uses it), for a file not read whole.
    fn observe(&mut self, path: &Path) -> Option<std::fs::Metadata> {
        let meta = std::fs::metadata(path).ok();
        let stat = meta.as_ref().map(|m| (m.len(), u64::try_from(mtime_ns(m)).unwrap_or(u64::MAX)));
        self.record(path, stat, None);
        meta
    }

    /// Reads `path` whole, recording its stat from before the read and, if racy, a hash of the bytes.
    fn read(&mut self, path: &Path) -> std::io::Result<Vec<u8>> {
        let stat = Recorder::stat(path);
        let bytes = std::fs::read(path)?;
        self.record(path, stat, Some(&bytes));
        Ok(bytes)
    }

    fn record(&mut self, path: &Path, stat: FileStat, bytes: Option<&[u8]>) {
        let hash = match (self.is_racy(stat), bytes) {
            (false, _) => None,
            (true, Some(b)) => Some(hash_bytes(b)),
            (true, None) => {
                self.unsettled = true;
                None
            }
        };
        self.inputs.push(Stamp { path: path.to_string_lossy().into_owned(), stat, hash, dir: false });
    }

    /// Records a folder (whose modification time changes when an entry is added, removed or renamed),
    /// with a hash of its listing if that time is too recent to trust.
    fn observe_dir(&mut self, path: &Path) {
        let stat = Recorder::stat(path);
        let hash = match self.is_racy(stat) {
            false => None,
            true => match Listing::read(path) {
                Ok(l) => Some(l.digest),
                Err(_) => {
                    self.unsettled = true;
                    None
                }
            },
        };
        self.inputs.push(Stamp { path: path.to_string_lossy().into_owned(), stat, hash, dir: true });
    }

    /// Like [`Recorder::observe`], but a missing file is not recorded (its folder is).
    fn observe_if_exists(&mut self, path: &Path) -> Option<std::fs::Metadata> {
        let meta = std::fs::metadata(path).ok()?;
        let stat = Some((meta.len(), u64::try_from(mtime_ns(&meta)).unwrap_or(u64::MAX)));
        self.record(path, stat, None);
        Some(meta)
    }

    /// The fingerprint of a finished build, or `None` if it cannot be trusted next time.
    fn finish(self, key: String, out: &Path, report: &BuildReport) -> Option<Fingerprint> {
        if self.unsettled {
            return None;
        }
        let outputs = report
            .files
            .iter()
            .map(|f| {
                let path = out.join(&f.path);
                Stamp { stat: Recorder::stat(&path), path: path.to_string_lossy().into_owned(), hash: None, dir: false }
            })
            .collect();
        let mut report = report.clone();
        for f in &mut report.files {
            f.changed = false;
        }
        for e in &mut report.episodes {
            e.audio_tagged = false;
        }
        Some(Fingerprint { key, listing: self.listing?, inputs: self.inputs, outputs, report })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    const AUDIO: &str = "tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3";

    fn episode(episodes: &Path, slug: &str, n: usize) {
        let dir = episodes.join(slug);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(AUDIO, dir.join("audio.mp3")).unwrap();
        std::fs::write(
            dir.join("episode.md"),
            format!("+++\ntitle = \"Episode {n}\"\nepisode = {n}\ndate = 2024-01-{n:02}T10:00:00+00:00\naudio = \"audio.mp3\"\n+++\nNotes.\n\n- 00:00 Start\n- 00:00.6 Middle\n"),
        )
        .unwrap();
    }

    /// A two-episode show whose files all look an hour old (so none is "racily clean").
    fn show() -> (tempfile::TempDir, BuildOptions) {
        let tmp = tempfile::tempdir().unwrap();
        let episodes = tmp.path().join("episodes");
        std::fs::create_dir_all(&episodes).unwrap();
        std::fs::write(
            episodes.join("podcast.toml"),
            "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://t.example/\"\n[category]\nname = \"Technology\"\n",
        )
        .unwrap();
        episode(&episodes, "001-a", 1);
        episode(&episodes, "002-b", 2);
        age(&episodes);
        let options = BuildOptions::new(&episodes, tmp.path().join("feed"));
        (tmp, options)
    }

    fn set_mtime(path: &Path, t: SystemTime) {
        std::fs::File::open(path).unwrap().set_modified(t).unwrap();
    }

    fn age(dir: &Path) {
        let old = SystemTime::now() - Duration::from_secs(3600);
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                age(&p);
            }
            set_mtime(&p, old);
        }
        set_mtime(dir, old);
    }

    fn run(options: &BuildOptions) -> BuildReport {
        build(options, &mut |_, _, _| {}).unwrap()
    }

    #[test]
    fn a_no_change_rebuild_only_checks_and_reports_the_same() {
        let (_tmp, o) = show();
        let first = run(&o);
        assert!(!first.up_to_date);
        // The first build wrote guids.lock just now: its hash is recorded, so the next one can trust it.
        let second = run(&o);
        assert!(second.up_to_date, "{second:?}");
        assert_eq!(second.probe_cache, (0, 0));
        assert_eq!(second.files.len(), first.files.len());
        assert!(second.files.iter().all(|f| !f.changed));
        assert_eq!(second.episodes.iter().map(|e| &e.guid).collect::<Vec<_>>(), {
            first.episodes.iter().map(|e| &e.guid).collect::<Vec<_>>()
        });
        assert_eq!(second.warnings, first.warnings);
        assert!(run(&o).up_to_date);
    }

    #[test]
    fn any_changed_input_or_output_takes_the_full_path() {
        let (_tmp, o) = show();
        run(&o);
        assert!(run(&o).up_to_date);
        let notes = o.episodes.join("002-b/episode.md");
        let old_mtime = std::fs::metadata(&notes).unwrap().modified().unwrap();
        let old_feed = std::fs::read_to_string(o.out.join("feed.xml")).unwrap();

        // An edit of the same size: the new modification time shows it.
        let text = std::fs::read_to_string(&notes).unwrap().replace("Episode 2", "Episode X");
        std::fs::write(&notes, text).unwrap();
        set_mtime(&notes, old_mtime + Duration::from_secs(1));
        let r = run(&o);
        assert!(!r.up_to_date);
        let feed = std::fs::read_to_string(o.out.join("feed.xml")).unwrap();
        assert!(feed.contains("Episode X") && !old_feed.contains("Episode X"));
        assert!(run(&o).up_to_date);

        // A deleted output is rebuilt.
        std::fs::remove_file(o.out.join("chapters/001-a.json")).unwrap();
        assert!(!run(&o).up_to_date);
        assert!(o.out.join("chapters/001-a.json").is_file());
        assert!(run(&o).up_to_date);

        // A transcript that appears (the folder's listing changes).
        std::fs::write(o.episodes.join("001-a/transcript.vtt"), "WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n").unwrap();
        age(&o.episodes);
        let r = run(&o);
        assert!(!r.up_to_date);
        assert!(r.files.iter().any(|f| f.path == "transcripts/001-a.vtt"), "{:?}", r.files);

        // A new episode folder.
        episode(&o.episodes, "003-c", 3);
        age(&o.episodes);
        let r = run(&o);
        assert!(!r.up_to_date);
        assert_eq!(r.episodes.len(), 3);

        // Other options.
        let mut paged = o.clone();
        paged.page_size = std::num::NonZeroUsize::new(1);
        assert!(!run(&paged).up_to_date);
        assert!(!run(&o).up_to_date, "the paged build replaced the fingerprint");
    }

    #[test]
    fn a_racily_clean_input_is_checked_by_content() {
        let (_tmp, o) = show();
        run(&o);
        // Notes written "now" (within a clock tick of the build): the build hashes what it read.
        let notes = o.episodes.join("001-a/episode.md");
        let text = std::fs::read_to_string(&notes).unwrap();
        std::fs::write(&notes, text.replace("Notes.", "Notez")).unwrap();
        let mtime = std::fs::metadata(&notes).unwrap().modified().unwrap();
        assert!(!run(&o).up_to_date);
        assert!(run(&o).up_to_date, "same bytes, same stat: trusted");
        // Another edit of the same size that keeps the modification time (same clock tick).
        std::fs::write(&notes, text.replace("Notes.", "Notey")).unwrap();
        set_mtime(&notes, mtime);
        assert!(!run(&o).up_to_date, "a racy stamp compares the bytes");
        assert!(std::fs::read_to_string(o.out.join("feed.xml")).unwrap().contains("Notey"));
    }

    #[test]
    fn fresh_audio_is_not_trusted_on_its_modification_time() {
        let (_tmp, o) = show();
        std::fs::copy(AUDIO, o.episodes.join("001-a/audio.mp3")).unwrap();
        run(&o);
        assert!(!run(&o).up_to_date, "audio modified within a tick of the build: no fingerprint");
    }
}
