//! Incremental rebuilds: what each episode produced (its feed item, already rendered, its files,
//! report and warnings) is kept in `<out>/.podmark/items`, and a rebuild in which only some
//! episodes' inputs changed re-reads, re-checks and re-renders only those, splicing the other
//! items' fragments into the feed. The output is byte-identical to a full build's (the feed is
//! always written as head, fragments, tail: [`crate::feed::write`]).
//!
//! Which episodes changed comes from the build state's fingerprint ([`super::state`]): every input
//! and output is stamped (size, modification time, and a hash when racily clean). A changed stamp
//! under `episodes/<slug>/` or among the files of `<slug>` makes that episode dirty. A change to
//! anything else sends the build down the full path, except `podcast.toml` when the fields items
//! depend on ([`items_key`]) are unchanged: then only the channel is rendered again. So do a new
//! or removed episode folder, a paged feed, any problem in a dirty episode (the full path reports
//! it with all the others), a GUID the lock does not already hold, and another podmark version or
//! executable (the fingerprint's key).
//!
//! The file ([`super::binary`]) holds a header, then the records in folder order, each with the
//! span (offset, length) of its item's XML fragment in the `feed.xml` that build wrote; the header
//! holds that feed's length. The fingerprint has found the feed as that build left it (size and
//! modification time); a rebuild then writes the new feed from the fragments it rendered and
//! ranges of the old feed, which the kernel copies (`copy_file_range`): the unchanged items are
//! neither read nor held in memory. It is read only when a rebuild has something to do, and
//! written after every successful build.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::plan::{Plan, Planned};
use super::state::{BuildState, Recorder};
use super::write::FeedLayout;
use super::{BuildError, BuildOptions, BuildReport, EpisodeReport, ProbeCacheStats, Written};
use crate::probe::ProbeCache;
use crate::sources::SourceDiagnostic;
use crate::sources::episode::EpisodeType;
use crate::sources::guid_lock::GuidLock;
use crate::sources::show::Show;

/// A record's feed item: rendered by this build, or kept in the last build's `feed.xml` (a range
/// of it, copied from there by the kernel when the new feed is written).
#[derive(Debug, Clone)]
pub(super) enum Fragment {
    Rendered(String),
    Kept(Arc<OldFeed>, std::ops::Range<u64>),
}

impl Default for Fragment {
    fn default() -> Fragment {
        Fragment::Rendered(String::new())
    }
}

/// The `feed.xml` the last build wrote, kept open: a rebuild's new feed copies the unchanged
/// items' bytes from it, even after the new feed has been renamed over it.
#[derive(Debug)]
pub(super) struct OldFeed {
    pub(super) file: std::fs::File,
}

/// Layout version of the items file.
const FORMAT: u32 = 5;

/// What one episode produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Record {
    pub(super) slug: String,
    pub(super) guid: String,
    #[serde(with = "super::binary::compact_date")]
    pub(super) date: DateTime<FixedOffset>,
    pub(super) season: Option<NonZeroU32>,
    pub(super) episode: Option<NonZeroU32>,
    pub(super) episode_type: EpisodeType,
    pub(super) report: EpisodeReport,
    /// Its files, relative to the output folder (`changed` false).
    pub(super) files: Vec<Written>,
    /// Warnings about its sources.
    #[serde(with = "super::binary::json_text")]
    pub(super) warnings: Vec<SourceDiagnostic>,
    /// What the website's index lists of it (when the site is on).
    pub(super) card: Option<crate::site::Card>,
    /// The size of its episode page (when the site is on).
    pub(super) page: Option<u64>,
    /// Where `xml` is in the `feed.xml` the build wrote (offset, length): the fragments are kept
    /// there, not in the items file.
    pub(super) span: Option<(u64, u64)>,
    /// The rendered item ([`crate::feed::write_item_fragment`]).
    #[serde(skip)]
    pub(super) xml: Fragment,
}

impl Record {
    pub(super) fn new(p: &Planned, mut report: EpisodeReport, files: &[Written], xml: String) -> Record {
        report.audio_tagged = false;
        let files = files.iter().map(|f| Written { changed: false, ..f.clone() }).collect();
        Record {
            slug: p.ep.slug.clone(),
            guid: p.guid.clone(),
            date: p.date,
            season: p.ep.meta.season,
            episode: p.ep.meta.episode,
            episode_type: p.ep.meta.episode_type,
            report,
            files,
            warnings: Vec::new(),
            card: None,
            page: None,
            span: None,
            xml: Fragment::Rendered(xml),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    /// [`crate::feed::ITEM_LAYOUT`] of the fragments.
    item_layout: u32,
    podmark: String,
    /// The build state fingerprint's key (podmark executable, options).
    key: String,
    /// [`items_key`] of the show the items were rendered for.
    items_key: u64,
    /// [`pages_key`] of the show the episode pages were rendered for.
    pages_key: u64,
    /// Warnings about no episode (an orphaned GUID-lock entry).
    #[serde(with = "super::binary::json_text")]
    warnings: Vec<SourceDiagnostic>,
    /// The `feed.xml` the records' spans point into.
    feed: Option<FeedLayout>,
    /// The pair it forms with the build state the same build wrote ([`super::binary::pair_id`]).
    pair: u64,
}

/// The items file: records in folder order (written as [`ItemsRef`]).
#[derive(Deserialize)]
pub(super) struct Items {
    header: Header,
    pub(super) records: Vec<Record>,
}

impl Items {
    /// The file at `path`, unchecked (see [`Items::check`]).
    pub(super) fn read(path: &Path) -> Option<Items> {
        super::binary::read(path, "items")
    }

    /// These items if they were written for `key` and form `pair` with the build state.
    fn check(self, key: &str, pair: Option<u64>) -> Option<Items> {
        let h = &self.header;
        let current = h.format == FORMAT && h.item_layout == crate::feed::ITEM_LAYOUT;
        (current && h.podmark == env!("CARGO_PKG_VERSION") && h.key == key && pair == Some(h.pair)).then_some(self)
    }

    /// Points each record's fragment at its span in `feed` (the live feed.xml), if it is the feed
    /// the records were saved with (its length; its size and modification time are in the build
    /// state's fingerprint, and the bytes at each copied range's ends are checked as they are
    /// copied); `None` if not (the full path).
    fn fill_fragments(&mut self, feed: &Path) -> Option<()> {
        let file = std::fs::File::open(feed).ok()?;
        let len = file.metadata().ok()?.len();
        if self.header.feed.map(|l| l.len) != Some(len) {
            return None;
        }
        let old = Arc::new(OldFeed { file });
        for r in &mut self.records {
            let (start, span) = r.span?;
            let range = start..start.checked_add(span).filter(|&end| end <= len)?;
            r.xml = Fragment::Kept(Arc::clone(&old), range);
        }
        Some(())
    }
}

/// A hash of what the show gives every item and episode file (everything in `podcast.toml` but
/// the channel's own description, artwork, owner, category, copyright, link, explicit and locked
/// flags): when it is unchanged, a `podcast.toml` edit re-renders only the channel.
pub(super) fn items_key(show: &Show) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        show.title,
        show.author,
        show.language,
        show.base_url,
        show.show_type,
        show.chapter_formats,
        show.timezone,
        show.podcast
    )
    .hash(&mut h);
    h.finish()
}

/// A hash of what the show gives every page of the website beyond [`items_key`] (the `[site]`
/// table, the artwork and the copyright line; title, language and base URL are in [`items_key`]):
/// when both are unchanged, the pages of unchanged episodes stay as they are, and no page can have
/// gone stale. The index pages are always rendered again. With the site off, only that it is off.
pub(super) fn pages_key(show: &Show) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match show.site.enabled {
        true => format!("{} {:?} {:?} {:?}", items_key(show), show.site, show.image, show.copyright).hash(&mut h),
        false => "site off".hash(&mut h),
    }
    h.finish()
}

/// Saves the records of a build (full or incremental) for the next one, as one of `pair` with the
/// build state (atomically; it is a cache: no fsync, and a torn file or one that does not form a
/// pair with the build state is simply not used). A file that could not be written is removed (the
/// next build takes the full path).
#[allow(clippy::too_many_arguments)]
pub(super) fn save(
    state_dir: &Path,
    key: &str,
    show: &Show,
    mut records: Vec<Record>,
    warnings: &[SourceDiagnostic],
    episodes_dir: &Path,
    feed: Option<FeedLayout>,
    pair: u64,
) {
    let global = assign_warnings(&mut records, warnings, episodes_dir);
    write_items(state_dir, key, show, &records, global, feed, pair);
}

/// Gives each warning to the episode whose folder holds its file, and returns the rest (the
/// show's).
fn assign_warnings(
    records: &mut [Record],
    warnings: &[SourceDiagnostic],
    episodes_dir: &Path,
) -> Vec<SourceDiagnostic> {
    // The folders are mapped only when there are warnings (10,000 paths).
    let by_dir: HashMap<PathBuf, usize> = match warnings.is_empty() {
        true => HashMap::new(),
        false => records.iter().enumerate().map(|(i, r)| (episodes_dir.join(&r.slug), i)).collect(),
    };
    let mut global = Vec::new();
    for r in records.iter_mut() {
        r.warnings.clear();
    }
    for w in warnings {
        let owner = w.path.ancestors().find_map(|a| by_dir.get(a)).copied();
        match owner.and_then(|i| records.get_mut(i)) {
            Some(r) => r.warnings.push(w.clone()),
            None if w.diagnostic.code != super::renames::KEPT => global.push(w.clone()),
            None => {}
        }
    }
    global
}

/// [`Items`] as they are written, the records borrowed (same fields, same order).
#[derive(Serialize)]
struct ItemsRef<'a> {
    header: Header,
    records: &'a [Record],
}

/// Writes the items file (see [`save`]).
fn write_items(
    state_dir: &Path,
    key: &str,
    show: &Show,
    records: &[Record],
    global: Vec<SourceDiagnostic>,
    feed: Option<FeedLayout>,
    pair: u64,
) {
    let header = Header {
        format: FORMAT,
        item_layout: crate::feed::ITEM_LAYOUT,
        podmark: env!("CARGO_PKG_VERSION").to_owned(),
        key: key.to_owned(),
        items_key: items_key(show),
        pages_key: pages_key(show),
        warnings: global,
        feed,
        pair,
    };
    let path = state_dir.join("items");
    if super::binary::write(&path, "items", &ItemsRef { header, records }).is_err() {
        let _ = std::fs::remove_file(&path);
    }
}

/// What an incremental build needs from [`super::build`].
pub(super) struct Context<'a> {
    pub(super) options: &'a BuildOptions,
    pub(super) state_dir: &'a Path,
    pub(super) key: &'a str,
    /// The changed inputs and outputs (paths as stamped).
    pub(super) changed: &'a [String],
}

/// Rebuilds only the dirty episodes, or returns `None` when the build must take the full path
/// (see the module docs). Errors are those of writing.
///
/// `ahead`: the items file, if it was already read.
pub(super) fn build(
    cx: &Context<'_>,
    state: &mut BuildState,
    ahead: Option<Items>,
) -> Result<Option<BuildReport>, BuildError> {
    let options = cx.options;
    if options.page_size.is_some() || cx.changed.is_empty() {
        return Ok(None);
    }
    let items = ahead.or_else(|| Items::read(&cx.state_dir.join("items")));
    let Some(mut items) = items.and_then(|i| i.check(cx.key, state.pair())) else { return Ok(None) };
    super::timing::lap("state: read the items");
    // Which episodes are dirty; anything else changed (but podcast.toml) means the full path.
    let episodes_dir = options.episodes.to_string_lossy().trim_end_matches('/').to_owned();
    let show_path = options.episodes.join("podcast.toml");
    let show_str = show_path.to_string_lossy().into_owned();
    let slugs: HashMap<&str, usize> = items.records.iter().enumerate().map(|(i, r)| (r.slug.as_str(), i)).collect();
    // Which record wrote each output: made only if an output changed (tens of thousands of paths).
    let mut outputs: Option<HashMap<String, usize>> = None;
    let mut dirty = std::collections::BTreeSet::new();
    let mut show_changed = false;
    for path in cx.changed {
        if *path == show_str {
            show_changed = true;
            continue;
        }
        let under = path.strip_prefix(&episodes_dir).and_then(|p| p.strip_prefix('/'));
        let slug = under.map(|p| p.split('/').next().unwrap_or(p));
        if let Some(&i) = slug.and_then(|s| slugs.get(s)) {
            dirty.insert(i);
            continue;
        }
        let outputs = outputs.get_or_insert_with(|| {
            let mut map = HashMap::new();
            for (i, r) in items.records.iter().enumerate() {
                for f in &r.files {
                    map.insert(options.out.join(&f.path).to_string_lossy().into_owned(), i);
                }
            }
            map
        });
        match outputs.get(path) {
            Some(&i) => {
                dirty.insert(i);
            }
            None => return Ok(None),
        }
    }
    let mut rec = Recorder::new();
    let show_bytes = rec.read(&show_path).map_err(super::io(&show_path))?;
    let Some(show) = std::str::from_utf8(&show_bytes).ok().and_then(|t| Show::parse(t).ok()) else {
        return Ok(None);
    };
    // Every episode page of the website shows the show's title, artwork and copyright: with the
    // site on, a change to them renders every page (the full path), as do a missing index card or
    // page size and turning the site on or off (the full path removes the pages).
    let _ = show_changed;
    if items_key(&show) != items.header.items_key
        || pages_key(&show) != items.header.pages_key
        || (show.site.enabled
            && items
                .records
                .iter()
                .enumerate()
                .any(|(i, r)| (r.card.is_none() || r.page.is_none()) && !dirty.contains(&i)))
    {
        return Ok(None);
    }

    // The clean episodes' fragments, from the live feed.
    if items.fill_fragments(&options.out.join("feed.xml")).is_none() {
        return Ok(None);
    }
    super::timing::lap("feed: read the kept fragments");
    // Load and check the dirty episodes as the full path would; any problem: the full path.
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut loaded = Vec::new();
    for &i in &dirty {
        let Some(r) = items.records.get(i) else { return Ok(None) };
        let dir = options.episodes.join(&r.slug);
        if !dir.join("episode.md").is_file() {
            return Ok(None);
        }
        match super::plan::load_dir(dir, &mut rec, &mut problems, &mut warnings)? {
            Some((ep, _)) if problems.is_empty() => loaded.push((i, ep)),
            _ => return Ok(None),
        }
    }
    // Season and episode numbers, and GUIDs, still unique among all episodes.
    let clean = |i: &usize| !dirty.contains(i);
    let mut numbers: HashSet<(Option<NonZeroU32>, NonZeroU32)> = items
        .records
        .iter()
        .enumerate()
        .filter(|(i, _)| clean(i))
        .filter(|(_, r)| r.episode_type == EpisodeType::Full)
        .filter_map(|(_, r)| r.episode.map(|n| (r.season, n)))
        .collect();
    for (_, ep) in &loaded {
        if let Some(n) = ep.meta.episode.filter(|_| ep.meta.episode_type == EpisodeType::Full)
            && !numbers.insert((ep.meta.season, n))
        {
            return Ok(None);
        }
    }
    // GUID → the clean episode that has it, for the dirty episodes' GUIDs only: a dirty episode
    // must keep its recorded GUID (checked after planning, else the full path), so no other GUID
    // can collide on this path (and 10,000 pairs of strings are not copied).
    let dirty_guids: HashSet<&str> =
        loaded.iter().filter_map(|(i, _)| items.records.get(*i)).map(|r| r.guid.as_str()).collect();
    let seen: HashMap<String, String> = items
        .records
        .iter()
        .enumerate()
        .filter(|(i, r)| clean(i) && dirty_guids.contains(r.guid.as_str()))
        .map(|(_, r)| (r.guid.clone(), r.slug.clone()))
        .collect();
    // The lock is unchanged (else the full path): it holds each dirty episode's recorded GUID.
    let mut lock = GuidLock::default();
    for (i, _) in &loaded {
        if let Some(r) = items.records.get(*i) {
            lock.set(&r.slug, &r.guid);
        }
    }
    let state_dir = cx.state_dir;
    // The dirty episodes' audio is probed afresh: reading the whole probe cache (an entry per audio
    // file of the show) costs more than probing a few files.
    let mut cache = ProbeCache::in_memory();
    let lock_path = options.episodes.join("guids.lock");
    let Some(planned) = super::plan::plan_some(
        options,
        &show,
        &lock,
        &lock_path,
        seen,
        loaded.into_iter().map(|(_, ep)| ep).collect(),
        &mut rec,
        &mut cache,
        &mut warnings,
    ) else {
        return Ok(None);
    };
    if planned.iter().any(|p| items.records.iter().find(|r| r.slug == p.ep.slug).is_none_or(|r| r.guid != p.guid)) {
        return Ok(None);
    }
    // Stamped; read whole (unparsed) only if written within a clock tick, to stamp its bytes.
    let lock_stat = Recorder::stat(&lock_path);
    rec.read_if_racy(&lock_path, lock_stat).map_err(super::io(&lock_path))?;
    let mut plan = Plan::new(options, show, (lock, lock_path, lock_stat), planned, Vec::new());
    super::timing::lap("episodes: load and plan the changed ones");
    super::mark_unfinished(&state_dir.join(super::UNFINISHED))?;
    let fresh = super::write::Writer { options, rec: &mut rec, cache: &mut cache, state, warnings: &mut warnings }
        .write_some(&mut plan, &mut items.records)?;

    let (hits, misses) = (cache.hits(), cache.misses());
    let mut all_warnings: Vec<SourceDiagnostic> = items.header.warnings.clone();
    // Warnings in folder order: the clean episodes' as recorded, the dirty ones' from this build.
    let dirty_dirs: HashSet<PathBuf> =
        dirty.iter().filter_map(|&i| items.records.get(i)).map(|r| options.episodes.join(&r.slug)).collect();
    for (i, r) in items.records.iter().enumerate() {
        if dirty.contains(&i) {
            let dir = options.episodes.join(&r.slug);
            all_warnings.extend(warnings.iter().filter(|w| w.path.starts_with(&dir)).cloned());
        } else {
            all_warnings.extend(r.warnings.iter().cloned());
        }
    }
    all_warnings.extend(warnings.iter().filter(|w| !dirty_dirs.iter().any(|d| w.path.starts_with(d))).cloned());
    let global = assign_warnings(&mut items.records, &all_warnings, &options.episodes);
    super::timing::lap("state: warnings");
    // The new fingerprint: the clean episodes' stamps as they were, the rest as read now.
    rec.adopt_unchanged(state, &dirty_dirs, cx.changed);
    // On one core the items are written; on the other the report is made from them (a copy: the
    // records are saved too) and the build state that holds it is written.
    let pair = super::binary::pair_id();
    let (records, show) = (&items.records, &plan.show);
    let ((), saved) = rayon::join(
        || write_items(state_dir, cx.key, show, records, global, fresh.layout, pair),
        || {
            let mut files: Vec<Written> = Vec::new();
            for r in records {
                files.extend(r.files.iter().cloned());
            }
            // The dirty episodes' files say whether they changed.
            for f in &mut files {
                if let Some(w) = fresh.changed.iter().find(|w| w.path == f.path) {
                    f.changed = w.changed;
                }
            }
            files.extend(fresh.tail);
            let report = BuildReport {
                show: show.title.clone(),
                feed_url: plan.feed_url.clone(),
                episodes: fresh
                    .order
                    .iter()
                    .filter_map(|&i| records.get(i))
                    .map(|r| {
                        let mut e = r.report.clone();
                        e.audio_tagged = fresh.tagged.contains(&r.slug);
                        e
                    })
                    .collect(),
                files,
                warnings: all_warnings,
                probe_cache: ProbeCacheStats { hits, misses },
                up_to_date: false,
            };
            let saved = state.save(&state_dir.join("build-state"), rec, cx.key.to_owned(), &options.out, &report, pair);
            saved.map(|()| report)
        },
    );
    let report = saved.map_err(|e| BuildError::Unfinished(Box::new(e)))?;
    super::mark_finished(&state_dir.join(super::UNFINISHED))?;
    super::timing::lap("state: save the items and the state");
    Ok(Some(report))
}
