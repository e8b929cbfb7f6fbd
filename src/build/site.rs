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
}

/// Renders the site (when enabled) and stages every page in `txn`.
pub(super) fn stage(
    plan: &Plan,
    channel: &Channel,
    episodes: &[(&Item, &str)],
    txn: &mut Txn,
    files: &mut Vec<Written>,
) -> Result<Staged, BuildError> {
    stage_with(plan, channel, episodes, None, txn, files)
}

/// An incremental build's site: the pages of `episodes` (the changed ones) and the index pages,
/// which list `listed` (every episode in feed order with its kept card; `None` for the changed
/// ones, whose cards are made now). The other episodes' pages stay as they are.
pub(super) fn stage_some(
    plan: &Plan,
    channel: &Channel,
    episodes: &[(&Item, &str)],
    listed: Vec<(String, Option<Card>)>,
    txn: &mut Txn,
    files: &mut Vec<Written>,
) -> Result<Staged, BuildError> {
    stage_with(plan, channel, episodes, Some(listed), txn, files)
}

fn stage_with(
    plan: &Plan,
    channel: &Channel,
    episodes: &[(&Item, &str)],
    listed: Option<Vec<(String, Option<Card>)>>,
    txn: &mut Txn,
    files: &mut Vec<Written>,
) -> Result<Staged, BuildError> {
    super::timing::lap("episodes: files and items");
    let settings = &plan.show.site;
    if !settings.enabled {
        return Ok(Staged { enabled: false, paths: HashSet::new(), cards: HashMap::new() });
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
        let mut site = Site::new(channel, settings, &plan.base_url);
        for &(item, slug) in batch {
            let Some(p) = planned.get(slug) else { continue };
            // The feed's notes HTML (same Markdown, same sanitiser), without the plain chapter
            // list: the page has the chapter list with links that seek.
            let notes = crate::feed::html::notes_to_html(&p.ep.description, &crate::Chapters::empty(), None);
            let mut page = EpisodePage::new(slug, item, notes);
            if let Some((src, _, _)) = &p.transcript {
                let text = std::fs::read(src).map_err(io(src))?;
                page.transcript = Some(crate::site::read_transcript(&String::from_utf8_lossy(&text)));
            }
            site.episodes.push(page);
        }
        fresh.extend(site.episodes.iter().map(crate::site::card));
        let t = std::time::Instant::now();
        let rendered = crate::site::render_episodes(&site);
        rendering += t.elapsed();
        stage_pages(txn, rendered, &mut episode_files, &mut paths)?;
    }
    // The index pages, from every card (kept ones for the episodes not rendered now).
    let site = Site::new(channel, settings, &plan.base_url);
    let t = std::time::Instant::now();
    let index = match listed {
        None => crate::site::render_index(&site, &fresh),
        Some(listed) => {
            let by_slug: HashMap<&str, &Card> = fresh.iter().map(|c| (c.slug.as_str(), c)).collect();
            let mut cards = Vec::with_capacity(listed.len());
            for (slug, card) in listed {
                match card {
                    Some(card) => {
                        paths.insert(crate::site::episode_path(&slug));
                        cards.push(card);
                    }
                    None => cards.extend(by_slug.get(slug.as_str()).map(|c| (*c).clone())),
                }
            }
            crate::site::render_index(&site, &cards)
        }
    };
    rendering += t.elapsed();
    super::timing::part("site: render", rendering);
    stage_pages(txn, index, files, &mut paths)?;
    files.append(&mut episode_files);
    let cards = fresh.into_iter().map(|c| (c.slug.clone(), c)).collect();
    super::timing::lap("site: pages");
    Ok(Staged { enabled: true, paths, cards })
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

/// Removes the pages podmark wrote earlier that this build did not: episodes gone, index pages
/// beyond the last, or all of them when the site is disabled. Only files podmark made are removed
/// (pages carrying its generator tag, its own assets).
pub(super) fn remove_stale(out: &Path, staged: &Staged) -> Result<(), BuildError> {
    let mut candidates = Vec::new();
    for dir in ["episodes", "page"] {
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
