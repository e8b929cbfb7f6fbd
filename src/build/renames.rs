//! Renamed episode folders and orphaned lock entries: what `podmark build` and `podmark check`
//! say about episode folders that have no entry in `guids.lock` while entries have no folder.
//!
//! The matching itself is [`GuidLock::match_renames`]; this module gathers what it needs from the
//! loaded episodes (the audio's SHA-256 only when there is an orphan to compare it with), applies
//! the sure renames to the lock, and words the diagnostics.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::Episode;
use crate::diagnostic::{Diagnostic, Position, quote};
use crate::sources::SourceDiagnostic;
use crate::sources::guid_lock::{GuidLock, Identity, RenameMatch, RenamedBy, Unlocked, Unsure, new_episode_guid};
use crate::sources::show::Show;

/// SHA-256 of audio files, each computed at most once per run.
#[derive(Debug, Default)]
pub(crate) struct Hashes(HashMap<PathBuf, String>);

impl Hashes {
    /// The `sha256:…` of the file at `path` (see [`crate::audio::cache::audio_hash`]).
    pub(crate) fn get(&mut self, path: &Path) -> std::io::Result<String> {
        if let Some(h) = self.0.get(path) {
            return Ok(h.clone());
        }
        let h = crate::audio::cache::audio_hash(path)?;
        self.0.insert(path.to_owned(), h.clone());
        Ok(h)
    }

    /// Hashes the files of `paths` on all cores (a file that cannot be read is left for
    /// [`Hashes::get`] to report).
    pub(crate) fn prefetch(&mut self, paths: &[&Path]) {
        use rayon::prelude::*;
        let todo: Vec<&Path> = paths.iter().copied().filter(|p| !self.0.contains_key(*p)).collect();
        let done: Vec<(PathBuf, String)> = todo
            .par_iter()
            .filter_map(|p| crate::audio::cache::audio_hash(p).ok().map(|h| (p.to_path_buf(), h)))
            .collect();
        self.0.extend(done);
    }
}

/// What [`resolve`] found.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    /// "episodes/OLD renamed to NEW: GUID kept", one warning per renamed folder.
    pub(crate) kept: Vec<SourceDiagnostic>,
    /// Folders that may be renamed ones: errors that say what to do.
    pub(crate) unsure: Vec<SourceDiagnostic>,
    /// Entries whose folder is gone and that no folder took: warnings.
    pub(crate) orphans: Vec<SourceDiagnostic>,
}

/// Code of the warning that a renamed folder kept its GUID (not repeated by an up-to-date build).
pub(crate) const KEPT: &str = "guid-renamed";

/// Matches the episode folders without a lock entry against the entries without a folder, and
/// moves the entries of the sure renames to their new folder name in `lock`. `applied`: the lock
/// will be saved (build), or not (check), which only changes the wording.
pub(crate) fn resolve(
    lock: &mut GuidLock,
    lock_path: &Path,
    episodes: &[Episode],
    show: &Show,
    show_guid: Uuid,
    hashes: &mut Hashes,
    applied: bool,
) -> Renames {
    let mut out = Renames::default();
    let present: BTreeSet<&str> = episodes.iter().map(|e| e.slug.as_str()).collect();
    let orphans: Vec<String> = lock.orphans(&present).into_iter().map(|(s, _)| s.to_owned()).collect();
    let new: Vec<&Episode> = episodes.iter().filter(|e| !lock.episodes.contains_key(&e.slug)).collect();
    if !orphans.is_empty() && !new.is_empty() {
        let unlocked: Vec<Unlocked> = new
            .iter()
            .map(|ep| Unlocked {
                slug: ep.slug.clone(),
                guid: ep.meta.guid.clone(),
                identity: identity(ep, show, hashes),
            })
            .collect();
        let orphan_refs: Vec<&str> = orphans.iter().map(String::as_str).collect();
        let matches = lock.match_renames(&orphan_refs, &unlocked);
        for (ep, m) in new.iter().zip(matches) {
            let notes = ep.dir.join("episode.md");
            match m {
                RenameMatch::New => {}
                RenameMatch::Renamed { from, by } => {
                    let guid = lock.episodes.get(&from).map(|e| e.guid.clone()).unwrap_or_default();
                    if !lock.rename(&from, &ep.slug) {
                        continue;
                    }
                    let how = match by {
                        RenamedBy::Audio => "same audio",
                        RenamedBy::Guid => "its guid line",
                    };
                    let what = if applied {
                        format!("its entry in {} moved; commit it", lock_path.display())
                    } else {
                        "`podmark build` moves its lock entry".to_owned()
                    };
                    let message = format!(
                        "{} renamed to {}: GUID {} kept ({how}); {what}",
                        folder(ep, &from).display(),
                        ep.slug,
                        quote(&guid)
                    );
                    out.kept.push(SourceDiagnostic::new(lock_path, Diagnostic::warning(KEPT, None, message)));
                }
                RenameMatch::Unsure { candidates, why } => {
                    let own = new_episode_guid(show_guid, &ep.slug);
                    let message = unsure_message(lock, &ep.slug, &candidates, why, &own);
                    out.unsure.push(SourceDiagnostic::new(
                        &notes,
                        Diagnostic::error("guid-rename", Position::new(1, 1), message),
                    ));
                }
            }
        }
    }
    let present: BTreeSet<&str> = episodes.iter().map(|e| e.slug.as_str()).collect();
    for (slug, entry) in lock.orphans(&present) {
        let dir = lock_path.parent().unwrap_or(Path::new("")).join(slug);
        let message = format!(
            "episode {slug} (GUID {}) has no folder {}: restore the folder; or, if it was renamed, run `podmark mv {slug} NEW` with its new name; or, if the episode is gone for good, delete its entry (keeping it is harmless)",
            quote(&entry.guid),
            dir.display()
        );
        out.orphans.push(SourceDiagnostic::new(lock_path, Diagnostic::warning("guid-orphan", None, message)));
    }
    out
}

/// The old folder of a renamed episode, beside its new one.
fn folder(ep: &Episode, slug: &str) -> PathBuf {
    ep.dir.parent().unwrap_or(Path::new("")).join(slug)
}

/// What the lock would record about `ep` (the audio hashed only if it can be read).
fn identity(ep: &Episode, show: &Show, hashes: &mut Hashes) -> Identity {
    Identity {
        audio: match (&ep.meta.audio, &ep.meta.enclosure) {
            (Some(a), _) => hashes.get(&ep.dir.join(a)).ok(),
            (None, Some(remote)) => Some(format!("url:{}", remote.url)),
            (None, None) => None,
        },
        date: ep.meta.date.map(|d| d.in_zone(show.timezone).to_rfc3339()),
        title: ep.meta.title.clone(),
    }
}

/// The error for a folder that may be a renamed one: what podmark saw, and the two ways on.
fn unsure_message(lock: &GuidLock, slug: &str, candidates: &[String], why: Unsure, own_guid: &str) -> String {
    let listed = candidates
        .iter()
        .map(|c| {
            let guid = lock.episodes.get(c).map(|e| e.guid.as_str()).unwrap_or_default();
            format!("{c} (GUID {})", quote(guid))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (one, them) = if candidates.len() == 1 {
        ("episode", "whose folder is gone")
    } else {
        ("episodes", "whose folders are gone")
    };
    let seen = match why {
        Unsure::SeveralOrphans => format!("has the same audio as {one} {listed}, {them}"),
        Unsure::SeveralFolders => {
            format!("has the same audio as {one} {listed}, {them}, and so does another new folder")
        }
        Unsure::DateAndTitle => {
            format!("has the date and title of {one} {listed}, {them}, but other audio")
        }
        Unsure::NotRecorded => format!(
            "may be {one} {listed}, {them}, renamed: an older podmark locked {} without audio, date or title to compare",
            if candidates.len() == 1 { "it" } else { "them" }
        ),
    };
    let old = if candidates.len() == 1 { candidates.first().map_or("OLD", String::as_str) } else { "OLD" };
    format!(
        "episode {slug} has no GUID in guids.lock yet and {seen}. If it is {} renamed, run `podmark mv {old} {slug}` to keep the GUID subscribers have; if it is another episode, add `guid = {}` to its front matter",
        if candidates.len() == 1 { old } else { "one of them" },
        quote(own_guid)
    )
}
