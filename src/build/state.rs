//! The build state in `<out>/.podmark/build-state` (binary: [`super::binary`]), and the no-change
//! fast path.
//!
//! The state records what each tagged audio copy was made from (so unchanged audio is neither
//! copied nor tagged again) and the [`Fingerprint`] of the last successful build: the size and
//! modification time of every input it read and output it wrote. When all are as recorded, the
//! build only stats files and returns the previous report. A [`Recorder`] collects the inputs'
//! stamps as the build reads them.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{BuildError, BuildOptions, BuildReport, io};
use crate::Chapters;

/// The build state kept in `<out>/.podmark/build-state`: what each tagged audio copy was
/// made from, so unchanged audio is not copied and tagged again.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct BuildState {
    audio: AudioStates,
    /// What the last successful build read and wrote; `None` while a build is under way.
    #[serde(default)]
    fingerprint: Option<Fingerprint>,
}

/// The [`AudioState`]s by output path: a table sorted by path, stored column by column (the paths
/// in one string, so that a state read costs a handful of allocations, not one per episode), and
/// those recorded since it was read.
#[derive(Debug, Default, Serialize, Deserialize)]
struct AudioStates {
    keys: StrColumn,
    states: Vec<AudioState>,
    #[serde(skip)]
    added: BTreeMap<String, AudioState>,
}

impl AudioStates {
    fn get(&self, key: &str) -> Option<&AudioState> {
        if let Some(state) = self.added.get(key) {
            return Some(state);
        }
        self.keys.search(key).ok().and_then(|i| self.states.get(i))
    }

    fn insert(&mut self, key: String, state: AudioState) {
        self.added.insert(key, state);
    }

    /// The table with the recorded states merged in (sorted by path).
    fn merged(&self) -> AudioStates {
        let mut out = AudioStates::default();
        let mut push = |key: &str, state: &AudioState| {
            out.keys.push(key);
            out.states.push(state.clone());
        };
        let n = self.keys.len().min(self.states.len());
        let mut added = self.added.iter().peekable();
        for i in 0..n {
            let key = self.keys.get(i);
            while let Some((k, state)) = added.next_if(|(k, _)| k.as_str() <= key) {
                push(k, state);
            }
            if !self.added.contains_key(key) {
                push(key, &self.states[i]);
            }
        }
        for (k, state) in added {
            push(k, state);
        }
        out
    }
}

/// Strings stored one after another in one string, with where each ends: a column of tens of
/// thousands of paths is read with one allocation, not one each.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StrColumn {
    text: String,
    ends: Vec<u64>,
}

impl StrColumn {
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`th string (empty if there is none, or if a damaged column's ends disagree).
    fn get(&self, i: usize) -> &str {
        let start = i.checked_sub(1).and_then(|j| self.ends.get(j)).map_or(0, |&e| e);
        let end = self.ends.get(i).copied().unwrap_or(start);
        let range = usize::try_from(start).ok().zip(usize::try_from(end).ok());
        range.and_then(|(a, b)| self.text.get(a..b)).unwrap_or_default()
    }

    fn push(&mut self, s: &str) {
        self.push_joined("", s);
    }

    /// Appends `prefix` and `rest` as one string.
    fn push_joined(&mut self, prefix: &str, rest: &str) {
        self.text.push_str(prefix);
        self.text.push_str(rest);
        self.ends.push(self.text.len() as u64);
    }

    /// Where `key` is in a column sorted in ascending order (`Err`: where it would go).
    fn search(&self, key: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }
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

impl BuildState {
    /// The state in `path`; an empty state if there is none or it cannot be read.
    pub(super) fn read(path: &Path) -> BuildState {
        super::binary::read(path, "build state").unwrap_or_default()
    }

    /// The inputs and outputs of the last build made with the same `key` (see [`fingerprint_key`])
    /// that changed since (their paths as stamped); `None` when that cannot be told (no such
    /// build, or the episodes folder has other entries).
    pub(super) fn changes(&self, key: &str, episodes_dir: &Path, out: &Path) -> Option<Vec<String>> {
        self.fingerprint.as_ref().filter(|fp| fp.key == key)?.changes(episodes_dir, out)
    }

    /// The last build's report, marked up to date (call when [`BuildState::changes`] found none;
    /// it is taken from the state, which the build then drops).
    pub(super) fn up_to_date(&mut self) -> Option<BuildReport> {
        let stored: StoredReport = postcard::from_bytes(&self.fingerprint.take()?.report).ok()?;
        let mut report = BuildReport {
            show: stored.show,
            feed_url: stored.feed_url,
            episodes: stored.episodes,
            files: stored.files,
            warnings: stored.warnings,
            probe_cache: super::ProbeCacheStats::default(),
            up_to_date: true,
        };
        // Nothing was written or tagged by this build.
        for f in &mut report.files {
            f.changed = false;
        }
        for e in &mut report.episodes {
            e.audio_tagged = false;
        }
        // A rename was handled by that build; only the orphans remain worth repeating.
        report.warnings.retain(|w| w.diagnostic.code != super::renames::KEPT);
        Some(report)
    }

    /// Records the finished build's fingerprint and writes the state to `path`.
    pub(super) fn save(
        &mut self,
        path: &Path,
        rec: Recorder,
        key: String,
        out: &Path,
        report: &BuildReport,
        pair: u64,
    ) -> Result<(), BuildError> {
        self.fingerprint = rec.finish(key, out, report, pair);
        if !self.audio.added.is_empty() {
            self.audio = self.audio.merged();
        }
        // Not fsynced: a state lost in a crash only sends the next build down the full path.
        super::binary::write(path, "build state", self).map_err(io(path))?;
        // What podmark before 0.1's binary records kept (JSON), now unused.
        let _ = std::fs::remove_file(path.with_file_name("build-state.json"));
        Ok(())
    }

    /// The id of the pair this state and the last build's items file form
    /// ([`super::binary::pair_id`]).
    pub(super) fn pair(&self) -> Option<u64> {
        Some(self.fingerprint.as_ref()?.pair)
    }

    /// Whether `out` is still the tagged copy of `src` with `chapters` that the state records
    /// under `key`.
    pub(super) fn audio_is_current(&self, key: &str, src: &std::fs::Metadata, out: &Path, chapters: &Chapters) -> bool {
        match (std::fs::metadata(out), self.audio.get(key)) {
            (Ok(out_meta), Some(old)) => &AudioState::new(src, chapters, &out_meta) == old,
            _ => false,
        }
    }

    /// Records that `out` (just written) is the tagged copy of `src` with `chapters`.
    pub(super) fn record_audio(
        &mut self,
        key: &str,
        src: &std::fs::Metadata,
        out: &Path,
        chapters: &Chapters,
    ) -> Result<(), BuildError> {
        let out_meta = std::fs::metadata(out).map_err(io(out))?;
        self.audio.insert(key.to_owned(), AudioState::new(src, chapters, &out_meta));
        Ok(())
    }
}

impl AudioState {
    fn new(src: &std::fs::Metadata, chapters: &Chapters, out: &std::fs::Metadata) -> AudioState {
        AudioState {
            source_len: src.len(),
            source_mtime_ns: mtime_ns(src),
            chapters: chapters_digest(chapters),
            out_len: out.len(),
            out_mtime_ns: mtime_ns(out),
        }
    }
}

/// Stat of one file: `None` when it does not exist.
pub(super) type FileStat = Option<(u64, u64)>;

/// One input or output of a build, as it was when the build used it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    path: String,
    /// Size and modification time (ns since the epoch); `None`: the file did not exist.
    stat: FileStat,
    /// For an input modified too recently to trust its modification time: a hash of the bytes the
    /// build read.
    hash: Option<u64>,
    /// A folder: `hash` is that of its listing.
    dir: bool,
}

/// [`Stamp`]s stored column by column, their paths in one string: a state of 60,000 stamps is read
/// with a handful of allocations, where a string each took most of a rebuild's 20–30 ms of reading.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stamps {
    paths: StrColumn,
    stats: Vec<FileStat>,
    hashes: Vec<Option<u64>>,
    dirs: Vec<bool>,
}

/// One of [`Stamps`], borrowed.
#[derive(Debug, Clone, Copy)]
struct StampRef<'a> {
    path: &'a str,
    stat: FileStat,
    hash: Option<u64>,
    dir: bool,
}

impl Stamps {
    fn len(&self) -> usize {
        self.paths.len()
    }

    /// The `i`th stamp (a record whose columns disagree reads as missing paths, which never match).
    fn get(&self, i: usize) -> StampRef<'_> {
        StampRef {
            path: self.paths.get(i),
            stat: self.stats.get(i).copied().flatten(),
            hash: self.hashes.get(i).copied().flatten(),
            dir: self.dirs.get(i).copied().unwrap_or(false),
        }
    }

    fn iter(&self) -> impl Iterator<Item = StampRef<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// An output's stamp, its path `prefix` and `rel` joined.
    fn push_joined(&mut self, prefix: &str, rel: &str, stat: FileStat) {
        self.paths.push_joined(prefix, rel);
        self.push_columns(StampRef { path: "", stat, hash: None, dir: false });
    }

    fn push(&mut self, s: StampRef<'_>) {
        self.paths.push(s.path);
        self.push_columns(s);
    }

    /// Everything of `s` but its path.
    fn push_columns(&mut self, s: StampRef<'_>) {
        self.stats.push(s.stat);
        self.hashes.push(s.hash);
        self.dirs.push(s.dir);
    }
}

impl Stamp {
    fn as_ref(&self) -> StampRef<'_> {
        StampRef { path: &self.path, stat: self.stat, hash: self.hash, dir: self.dir }
    }
}

/// What a successful build read and wrote, and what it reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Fingerprint {
    /// podmark's version and executable, the options and the working directory.
    key: String,
    /// Hash of the names and types in the episodes folder.
    listing: u64,
    inputs: Stamps,
    outputs: Stamps,
    /// The report ([`StoredReport`], postcard), returned again by a no-change build: kept as
    /// bytes, decoded only then.
    #[serde(with = "serde_bytes")]
    report: Vec<u8>,
    /// The id of the pair it forms with the items file the same build wrote
    /// ([`super::binary::pair_id`]).
    pair: u64,
}

/// [`BuildReport`] as the state keeps it (its warnings as JSON text, see
/// [`super::binary::json_text`]).
#[derive(Debug, Clone, Deserialize)]
struct StoredReport {
    show: String,
    feed_url: String,
    episodes: Vec<super::EpisodeReport>,
    files: Vec<super::Written>,
    #[serde(with = "super::binary::json_text")]
    warnings: Vec<crate::sources::SourceDiagnostic>,
}

/// [`StoredReport`] as it is written, borrowed from the build's report (same fields, same order).
#[derive(Serialize)]
struct StoredReportRef<'a> {
    show: &'a str,
    feed_url: &'a str,
    episodes: &'a [super::EpisodeReport],
    files: &'a [super::Written],
    #[serde(with = "super::binary::json_text")]
    warnings: &'a Vec<crate::sources::SourceDiagnostic>,
}

impl Fingerprint {
    /// The paths of the inputs and outputs that are no longer as recorded; `None` when the
    /// episodes folder's listing changed.
    fn changes(&self, episodes_dir: &Path, out: &Path) -> Option<Vec<String>> {
        if !Listing::read(episodes_dir).is_ok_and(|l| l.digest == self.listing) {
            return None;
        }
        let stat = Stater::new(&[episodes_dir, out]);
        let unchanged = |s: StampRef<'_>| {
            let path = Path::new(s.path);
            stat.stat(s.path) == s.stat
                && s.hash.is_none_or(|h| match s.dir {
                    true => Listing::read(path).is_ok_and(|l| l.digest == h),
                    false => std::fs::read(path).is_ok_and(|b| hash_bytes(&b) == h),
                })
        };
        // Tens of thousands of stats: spread them over the cores (then back in stamp order).
        use rayon::prelude::*;
        let (inputs, outputs) = (self.inputs.len(), self.outputs.len());
        let stamp = |i: usize| if i < inputs { self.inputs.get(i) } else { self.outputs.get(i - inputs) };
        Some(
            (0..inputs + outputs)
                .into_par_iter()
                .map(stamp)
                .filter(|s| !unchanged(*s))
                .map(|s| s.path.to_owned())
                .collect(),
        )
    }
}

/// Stats the stamped paths, those under one of a few folders (the episodes, the output) relative
/// to that folder's descriptor: the kernel then walks one or two path components instead of the
/// whole path (measured: about a tenth off the tens of thousands of stats a rebuild makes).
struct Stater {
    #[cfg(target_os = "linux")]
    roots: Vec<(String, std::os::fd::OwnedFd)>,
}

impl Stater {
    fn new(roots: &[&Path]) -> Stater {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{Mode, OFlags};
            let roots = roots
                .iter()
                .filter_map(|root| {
                    let fd = rustix::fs::open(*root, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty());
                    let prefix = format!("{}/", root.to_str()?.trim_end_matches('/'));
                    Some((prefix, fd.ok()?))
                })
                .collect();
            Stater { roots }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = roots;
            Stater {}
        }
    }

    /// What [`Recorder::stat`] gives for `path`.
    fn stat(&self, path: &str) -> FileStat {
        #[cfg(target_os = "linux")]
        for (prefix, fd) in &self.roots {
            if let Some(rel) = path.strip_prefix(prefix.as_str()).filter(|r| !r.is_empty()) {
                use rustix::fs::{AtFlags, StatxFlags};
                let st = rustix::fs::statx(fd, rel, AtFlags::empty(), StatxFlags::SIZE | StatxFlags::MTIME).ok()?;
                // As `mtime_ns` reads it from std's metadata: 0 before the epoch.
                let mtime = u64::try_from(st.stx_mtime.tv_sec).map_or(0, |secs| {
                    secs.saturating_mul(1_000_000_000).saturating_add(u64::from(st.stx_mtime.tv_nsec))
                });
                return Some((st.stx_size, mtime));
            }
        }
        Recorder::stat(Path::new(path))
    }
}

pub(super) fn fingerprint_key(options: &BuildOptions) -> String {
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
pub(super) struct Listing {
    entries: Vec<(std::ffi::OsString, Option<std::fs::FileType>)>,
    pub(super) digest: u64,
}

impl Listing {
    pub(super) fn read(dir: &Path) -> std::io::Result<Listing> {
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
    pub(super) fn maybe_dirs<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = PathBuf> + 'a {
        self.entries.iter().filter(|(_, k)| k.is_none_or(|k| !k.is_file())).map(|(name, _)| dir.join(name))
    }
}

/// Collects the [`Stamp`]s of a build's inputs, each taken before the input is used.
pub(super) struct Recorder {
    /// Modification times from here on are too recent to trust (a change within the same clock tick
    /// would not show).
    racy_from_ns: u64,
    coarse_racy_from_ns: u64,
    inputs: Vec<Stamp>,
    pub(super) listing: Option<u64>,
    /// An input that the build does not read whole was modified too recently: record nothing.
    unsettled: bool,
    /// The last build's stamps that an incremental build keeps (see [`Recorder::adopt_unchanged`]).
    adopted: Option<Adopted>,
}

/// The stamps an incremental build takes over from the last build.
struct Adopted {
    /// The last build's inputs, and which of them stand for inputs this build did not read.
    inputs: Stamps,
    keep: Vec<bool>,
    /// Its outputs, and which were found unchanged before this build (with their stats).
    outputs: Stamps,
    known: Vec<bool>,
}

impl Recorder {
    pub(super) fn new() -> Self {
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
            adopted: None,
        }
    }

    pub(super) fn stat(path: &Path) -> FileStat {
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
    pub(super) fn observe(&mut self, path: &Path) -> Option<std::fs::Metadata> {
        let meta = std::fs::metadata(path).ok();
        let stat = meta.as_ref().map(|m| (m.len(), u64::try_from(mtime_ns(m)).unwrap_or(u64::MAX)));
        self.record(path, stat, None);
        meta
    }

    /// Reads `path` whole, recording its stat from before the read and, if racy, a hash of the bytes.
    pub(super) fn read(&mut self, path: &Path) -> std::io::Result<Vec<u8>> {
        let stat = Recorder::stat(path);
        let bytes = std::fs::read(path)?;
        self.record(path, stat, Some(&bytes));
        Ok(bytes)
    }

    /// Records `path` as of `stat` (taken before): its bytes are read, for a hash, only if `stat`
    /// is too recent to trust.
    pub(super) fn read_if_racy(&mut self, path: &Path, stat: FileStat) -> std::io::Result<()> {
        match self.is_racy(stat) {
            true => {
                let bytes = std::fs::read(path)?;
                self.record(path, stat, Some(&bytes));
            }
            false => self.record(path, stat, None),
        }
        Ok(())
    }

    pub(super) fn record(&mut self, path: &Path, stat: FileStat, bytes: Option<&[u8]>) {
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
    pub(super) fn observe_dir(&mut self, path: &Path) {
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
    pub(super) fn observe_if_exists(&mut self, path: &Path) -> Option<std::fs::Metadata> {
        let meta = std::fs::metadata(path).ok()?;
        let stat = Some((meta.len(), u64::try_from(mtime_ns(&meta)).unwrap_or(u64::MAX)));
        self.record(path, stat, None);
        Some(meta)
    }

    /// Takes over the stamps of `state`'s last build for every input this build did not read
    /// (the clean episodes of an incremental build), except those under `dirty` folders, and its
    /// listing.
    pub(super) fn adopt_unchanged(
        &mut self,
        state: &mut BuildState,
        dirty: &std::collections::HashSet<PathBuf>,
        changed: &[String],
    ) {
        // Taken, not cloned: `BuildState::save` gives the state its new fingerprint.
        let Some(fp) = state.fingerprint.take() else { return };
        let changed: std::collections::HashSet<&str> = changed.iter().map(String::as_str).collect();
        let known = fp.outputs.iter().map(|s| !changed.contains(s.path)).collect();
        let now: std::collections::HashSet<&str> = self.inputs.iter().map(|s| s.path.as_str()).collect();
        // Under a dirty folder: the folder itself or a path below it (compared as text: the stamps
        // and the folders are joined from the same episodes path).
        let dirty: Vec<String> = dirty.iter().map(|d| d.to_string_lossy().into_owned()).collect();
        let under_dirty = |path: &str| {
            dirty.iter().any(|d| path.strip_prefix(d.as_str()).is_some_and(|r| r.is_empty() || r.starts_with('/')))
        };
        let keep = fp.inputs.iter().map(|s| !now.contains(s.path) && !under_dirty(s.path)).collect();
        self.listing = Some(fp.listing);
        self.adopted = Some(Adopted { inputs: fp.inputs, keep, outputs: fp.outputs, known });
    }

    /// The fingerprint of a finished build, or `None` if it cannot be trusted next time.
    fn finish(self, key: String, out: &Path, report: &BuildReport, pair: u64) -> Option<Fingerprint> {
        if self.unsettled {
            return None;
        }
        let stater = Stater::new(&[out]);
        let prefix = format!("{}/", out.to_string_lossy().trim_end_matches('/'));
        let path = |f: &super::Written| format!("{prefix}{}", f.path);
        let mut outputs = Stamps::default();
        match &self.adopted {
            // Tens of thousands after a full build: on all cores, in report order.
            None => {
                use rayon::prelude::*;
                let stats: Vec<FileStat> = report.files.par_iter().map(|f| stater.stat(&path(f))).collect();
                for (f, stat) in report.files.iter().zip(stats) {
                    outputs.push_joined(&prefix, &f.path, stat);
                }
            }
            // An output this build did not write is as the check before it found it: found at
            // the same place in the last build's list (a rebuild lists the files in the same
            // order), else by its path.
            Some(a) => {
                let mut by_path: Option<std::collections::HashMap<&str, FileStat>> = None;
                for (i, f) in report.files.iter().enumerate() {
                    let known = |i: usize| a.known.get(i).copied().unwrap_or(false);
                    let old = a.outputs.get(i);
                    let stat = if f.changed {
                        stater.stat(&path(f))
                    } else if known(i) && old.path.strip_prefix(prefix.as_str()) == Some(f.path.as_str()) {
                        old.stat
                    } else {
                        let by_path = by_path.get_or_insert_with(|| {
                            a.outputs
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| known(*i))
                                .map(|(_, s)| (s.path, s.stat))
                                .collect()
                        });
                        let p = path(f);
                        by_path.get(p.as_str()).copied().unwrap_or_else(|| stater.stat(&p))
                    };
                    outputs.push_joined(&prefix, &f.path, stat);
                }
            }
        }
        let mut inputs = Stamps::default();
        for s in &self.inputs {
            inputs.push(s.as_ref());
        }
        if let Some(a) = &self.adopted {
            for (s, _) in a.inputs.iter().zip(&a.keep).filter(|(_, k)| **k) {
                inputs.push(s);
            }
        }
        let stored = StoredReportRef {
            show: &report.show,
            feed_url: &report.feed_url,
            episodes: &report.episodes,
            files: &report.files,
            warnings: &report.warnings,
        };
        let report = postcard::to_allocvec(&stored).ok()?;
        Some(Fingerprint { key, listing: self.listing?, inputs, outputs, report, pair })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;
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
        assert_eq!(second.probe_cache, crate::build::ProbeCacheStats::default());
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

    #[test]
    fn audio_states_merge_recorded_ones_into_the_sorted_table() {
        let st = |n: u64| AudioState { source_len: n, source_mtime_ns: 1, chapters: 2, out_len: 3, out_mtime_ns: 4 };
        let mut a = AudioStates::default();
        for (k, n) in [("audio/b.mp3", 2), ("audio/d.mp3", 4), ("audio/a.mp3", 1)] {
            a.insert(k.to_owned(), st(n));
        }
        assert_eq!(a.get("audio/d.mp3"), Some(&st(4)));
        let mut a: AudioStates = postcard::from_bytes(&postcard::to_allocvec(&a.merged()).unwrap()).unwrap();
        assert!(a.added.is_empty());
        assert_eq!((a.keys.get(0), a.keys.get(1), a.keys.get(2)), ("audio/a.mp3", "audio/b.mp3", "audio/d.mp3"));
        assert_eq!([a.get("audio/a.mp3"), a.get("audio/c.mp3"), a.get("audio/e.mp3")], [Some(&st(1)), None, None]);
        // One replaced, one before, between and after the table's keys.
        for (k, n) in [("audio/b.mp3", 20), ("audio/0.mp3", 0), ("audio/c.mp3", 3), ("audio/z.mp3", 9)] {
            a.insert(k.to_owned(), st(n));
        }
        assert_eq!(a.get("audio/b.mp3"), Some(&st(20)));
        let m = a.merged();
        let keys: Vec<&str> = (0..m.keys.len()).map(|i| m.keys.get(i)).collect();
        assert_eq!(keys, ["audio/0.mp3", "audio/a.mp3", "audio/b.mp3", "audio/c.mp3", "audio/d.mp3", "audio/z.mp3"]);
        let lens: Vec<u64> = m.states.iter().map(|s| s.source_len).collect();
        assert_eq!(lens, [0, 1, 20, 3, 4, 9]);
        assert!(keys.iter().all(|k| m.get(k).is_some()));
    }
}
