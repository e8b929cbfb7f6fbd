//! The website in the build: pages are rendered from the same channel and items as the feed and
//! staged in the build's transaction (see [`super::commit`]) as files no feed lists, so they change
//! with the feed: a new page is written at once, a changed one after the new feed's files are in
//! place, an unchanged one not at all. Pages of episodes that are gone (deleted or renamed
//! folders) and index pages beyond the last are removed once the new feed is live; with
//! `[site] enabled = false` every page podmark wrote is removed.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::commit::Txn;
use super::plan::Plan;
use super::{BuildError, Written, io};
use crate::feed::{Channel, Item};
use crate::site::{Card, EpisodePage, Site};

/// What [`stage`] wrote, for [`remove_stale`].
pub(super) struct Staged {
    enabled: bool,
    paths: HashSet<String>,
    /// The index cards of the episodes rendered, by slug (kept for the next incremental build).
    pub(super) cards: HashMap<String, Card>,
    /// The size of each episode page, by slug (kept too: a later build reports the pages it
    /// does not render again).
    pub(super) pages: HashMap<String, u64>,
    /// The page folders (`episodes/`, `page/`) did not exist before this build: it wrote
    /// everything in them, so nothing there is stale.
    fresh: bool,
}

impl Staged {
    /// The website is off: nothing staged.
    fn off() -> Staged {
        Staged { enabled: false, paths: HashSet::new(), cards: HashMap::new(), pages: HashMap::new(), fresh: false }
    }
}

/// A first build's website, staged as the episodes are written: each batch's episode pages are
/// rendered and staged while its items are at hand (so that no item is kept for the site), the
/// index pages at the end from the cards.
pub(super) struct Pages {
    enabled: bool,
    /// Each episode's card and page, by folder index.
    cards: Vec<Option<Card>>,
    written: Vec<Option<Written>>,
    paths: HashSet<String>,
    rendering: std::time::Duration,
    /// Time spent rendering and staging episode pages (within the episodes' loop), for
    /// `PODMARK_TIMINGS`.
    staging: std::time::Duration,
    /// See [`Staged`].
    fresh: bool,
}

impl Pages {
    /// Made before any page is written into `out`.
    pub(super) fn new(plan: &Plan, out: &Path) -> Pages {
        let enabled = plan.show.site.enabled;
        let fresh = PAGE_DIRS
            .iter()
            .all(|d| std::fs::symlink_metadata(out.join(d)).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound));
        let count = if enabled { plan.episodes.len() } else { 0 };
        Pages {
            enabled,
            cards: vec![None; count],
            written: vec![None; count],
            paths: HashSet::with_capacity(count),
            rendering: std::time::Duration::ZERO,
            staging: std::time::Duration::ZERO,
            fresh,
        }
    }

    /// Renders and stages the pages of `batch` ((folder index, item) of some of `plan.episodes`).
    pub(super) fn episodes(
        &mut self,
        plan: &Plan,
        channel: &Channel,
        batch: &[(usize, &Item)],
        txn: &mut Txn,
    ) -> Result<(), BuildError> {
        if !self.enabled {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let episodes: Vec<(&Item, &super::plan::Planned)> =
            batch.iter().filter_map(|&(n, item)| Some((item, plan.episodes.get(n)?))).collect();
        let mut files = Vec::with_capacity(episodes.len());
        let cards = render_batch(plan, channel, &episodes, txn, &mut files, &mut self.paths, &mut self.rendering)?;
        let slots = batch.iter().filter(|&&(n, _)| n < plan.episodes.len()).map(|&(n, _)| n);
        for ((n, card), written) in slots.zip(cards).zip(files) {
            if let (Some(c), Some(w)) = (self.cards.get_mut(n), self.written.get_mut(n)) {
                *c = Some(card);
                *w = Some(written);
            }
        }
        self.staging += started.elapsed();
        Ok(())
    }

    /// Stages the index pages (listing the episodes in `order`, folder indices) and records every
    /// page in `files` (the index pages, then the episode pages in `order`).
    pub(super) fn finish(
        mut self,
        plan: &Plan,
        channel: &Channel,
        order: &[usize],
        txn: &mut Txn,
        files: &mut Vec<Written>,
    ) -> Result<Staged, BuildError> {
        // The episode pages were made in the episodes' loop: their time is the website's.
        super::timing::part("site: episode pages", self.staging);
        super::timing::lap("episodes: files and items");
        if !self.enabled {
            return Ok(Staged::off());
        }
        self.rendering = std::time::Duration::ZERO;
        let cards: Vec<Card> = order.iter().filter_map(|&n| self.cards.get_mut(n)?.take()).collect();
        let site = Site::new(channel, &plan.show.site, &plan.base_url);
        stage_index(txn, &site, &cards, files, &mut self.paths, &mut self.rendering)?;
        super::timing::part("site: render", self.rendering);
        let mut pages = HashMap::new();
        for &n in order {
            if let (Some(page), Some(p)) = (self.written.get_mut(n).and_then(Option::take), plan.episodes.get(n)) {
                pages.insert(p.ep.slug.clone(), page.bytes);
                files.push(page);
            }
        }
        let cards = cards.into_iter().map(|c| (c.slug.clone(), c)).collect();
        super::timing::lap("site: pages");
        Ok(Staged { enabled: true, paths: self.paths, cards, pages, fresh: self.fresh })
    }
}

/// An incremental build's site: the pages of `episodes` (the changed ones) and the index pages,
/// which list `listed` (every episode in feed order with its kept card and the size of its page;
/// `None` for the changed ones, whose cards are made now). The other episodes' pages stay as they
/// are, and are reported as a full build reports them.
pub(super) fn stage_some(
    plan: &Plan,
    channel: &Channel,
    episodes: &[(&Item, &str)],
    listed: Vec<(&str, Option<(&Card, u64)>)>,
    txn: &mut Txn,
    files: &mut Vec<Written>,
) -> Result<Staged, BuildError> {
    super::timing::lap("episodes: files and items");
    let settings = &plan.show.site;
    if !settings.enabled {
        return Ok(Staged::off());
    }
    let planned: HashMap<&str, &super::plan::Planned> = plan.episodes.iter().map(|p| (p.ep.slug.as_str(), p)).collect();
    // The episode pages in batches, each rendered on all cores, staged and dropped: a large show
    // never holds every page at once.
    const BATCH: usize = 256;
    let mut fresh: Vec<Card> = Vec::with_capacity(episodes.len());
    let mut episode_files = Vec::with_capacity(episodes.len());
    let mut paths: HashSet<String> = HashSet::new();
    let mut rendering = std::time::Duration::ZERO;
    for batch in episodes.chunks(BATCH) {
        let batch: Vec<(&Item, &super::plan::Planned)> =
            batch.iter().filter_map(|&(item, slug)| Some((item, *planned.get(slug)?))).collect();
        fresh.extend(render_batch(plan, channel, &batch, txn, &mut episode_files, &mut paths, &mut rendering)?);
    }
    // The index pages, from every card (kept ones for the episodes not rendered now).
    let site = Site::new(channel, settings, &plan.base_url);
    let t = std::time::Instant::now();
    // The fresh cards and pages were made in the same order.
    let mut by_slug: HashMap<&str, (&Card, Written)> =
        fresh.iter().zip(episode_files).map(|(c, page)| (c.slug.as_str(), (c, page))).collect();
    let mut cards: Vec<&Card> = Vec::with_capacity(listed.len());
    let mut pages_listed = Vec::with_capacity(listed.len());
    let mut pages = HashMap::new();
    for (slug, kept) in listed {
        match kept {
            Some((card, bytes)) => {
                let path = crate::site::episode_path(slug);
                paths.insert(path.clone());
                pages_listed.push(Written { path, bytes, changed: false });
                cards.push(card);
            }
            None => {
                if let Some((card, page)) = by_slug.remove(slug) {
                    cards.push(card);
                    pages.insert(slug.to_owned(), page.bytes);
                    pages_listed.push(page);
                }
            }
        }
    }
    rendering += t.elapsed();
    stage_index(txn, &site, &cards, files, &mut paths, &mut rendering)?;
    super::timing::part("site: render", rendering);
    files.append(&mut pages_listed);
    let cards = fresh.into_iter().map(|c| (c.slug.clone(), c)).collect();
    super::timing::lap("site: pages");
    Ok(Staged { enabled: true, paths, cards, pages, fresh: false })
}

/// Renders the pages of `episodes` (on all cores), stages them in `txn`, records them in `files`
/// and `paths` (in the order of `episodes`) and returns their index cards.
fn render_batch(
    plan: &Plan,
    channel: &Channel,
    episodes: &[(&Item, &super::plan::Planned)],
    txn: &mut Txn,
    files: &mut Vec<Written>,
    paths: &mut HashSet<String>,
    rendering: &mut std::time::Duration,
) -> Result<Vec<Card>, BuildError> {
    use rayon::prelude::*;
    let mut site = Site::new(channel, &plan.show.site, &plan.base_url);
    // (On all cores: the notes' Markdown, and the transcripts' reading.)
    let made: Vec<Result<EpisodePage<'_>, BuildError>> = episodes
        .par_iter()
        .map(|&(item, p)| {
            // The feed's notes HTML (same Markdown, same sanitiser), without the plain chapter
            // list: the page has the chapter list with links that seek.
            let notes = crate::feed::html::notes_to_html(&p.ep.description, &crate::Chapters::empty(), None);
            let mut page = EpisodePage::new(&p.ep.slug, item, notes);
            if let Some((src, _, _)) = &p.transcript {
                let text = std::fs::read(src).map_err(io(src))?;
                page.transcript = Some(crate::site::read_transcript(&String::from_utf8_lossy(&text)));
            }
            Ok(page)
        })
        .collect();
    for page in made {
        site.episodes.push(page?);
    }
    let cards = site.episodes.iter().map(crate::site::card).collect();
    let t = std::time::Instant::now();
    let rendered = crate::site::render_episodes(&site);
    *rendering += t.elapsed();
    stage_pages(txn, rendered, files, paths)?;
    Ok(cards)
}

/// Renders the assets and the index pages listing `cards` and stages them in `txn`, a few at a
/// time (a large show's index pages are not held at once).
fn stage_index<C: std::borrow::Borrow<Card>>(
    txn: &mut Txn,
    site: &Site<'_>,
    cards: &[C],
    files: &mut Vec<Written>,
    paths: &mut HashSet<String>,
    rendering: &mut std::time::Duration,
) -> Result<(), BuildError> {
    const CHUNK: usize = 16;
    let mut pages = crate::site::index_pages(site, cards);
    loop {
        let t = std::time::Instant::now();
        let chunk: Vec<(String, String)> = pages.by_ref().take(CHUNK).collect();
        *rendering += t.elapsed();
        if chunk.is_empty() {
            return Ok(());
        }
        stage_pages(txn, chunk, files, paths)?;
    }
}

/// Stages `rendered` pages (path, HTML) in `txn`, recording each in `files` and `paths`.
fn stage_pages(
    txn: &mut Txn,
    rendered: Vec<(String, String)>,
    files: &mut Vec<Written>,
    paths: &mut HashSet<String>,
) -> Result<(), BuildError> {
    let pages: Vec<(String, &[u8])> = rendered.iter().map(|(rel, html)| (rel.clone(), html.as_bytes())).collect();
    let changed = txn.bytes_many(&pages, false)?;
    for ((rel, html), changed) in rendered.iter().zip(changed) {
        files.push(Written { path: rel.clone(), bytes: html.len() as u64, changed });
        paths.insert(rel.clone());
    }
    Ok(())
}

/// The folders of the pages (episode pages, index pages after the first).
const PAGE_DIRS: [&str; 2] = ["episodes", "page"];

/// Removes the pages podmark wrote earlier that this build did not: episodes gone, index pages
/// beyond the last, or all of them when the site is disabled. Only files podmark made are removed
/// (pages carrying its generator tag, its own assets).
pub(super) fn remove_stale(out: &Path, staged: &Staged) -> Result<(), BuildError> {
    let mut candidates = Vec::new();
    for dir in PAGE_DIRS.iter().filter(|_| !staged.fresh) {
        let Ok(entries) = std::fs::read_dir(out.join(dir)) else { continue };
        for e in entries.flatten() {
            if let Some(name) = e.file_name().to_str() {
                candidates.push(format!("{dir}/{name}/index.html"));
                remove_temp_files(&e.path())?;
            }
        }
    }
    if !staged.enabled {
        candidates.extend(["index.html", "site.css", "player.js"].map(String::from));
    }
    candidates.sort();
    for rel in candidates {
        if staged.paths.contains(&rel) {
            continue;
        }
        let path = out.join(&rel);
        if !made_by_podmark(&path) {
            continue;
        }
        std::fs::remove_file(&path).map_err(io(&path))?;
        if let Some(parent) = path.parent().filter(|p| *p != out) {
            // Only an empty folder goes; anything else the user put there stays.
            let _ = std::fs::remove_dir(parent);
        }
    }
    super::timing::lap("site: stale pages");
    Ok(())
}

/// Removes the temporary files an interrupted build left in a page's folder (the build's garbage
/// collection covers the folders the feed lists).
fn remove_temp_files(dir: &Path) -> Result<(), BuildError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for e in entries.flatten() {
        let is_temp = e.file_name().to_str().is_some_and(super::commit::is_temp_name);
        if is_temp && e.file_type().is_ok_and(|t| t.is_file()) {
            let path = e.path();
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

fn made_by_podmark(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else { return false };
    let head = bytes.get(..bytes.len().min(2048)).unwrap_or_default();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match name {
        "site.css" => head.starts_with(b"/* podmark site"),
        "player.js" => head.starts_with(b"// podmark player"),
        _ => {
            head.windows(40).any(|w| w == b"<meta name=\"generator\" content=\"podmark\"".get(..40).unwrap_or_default())
        }
    }
}
