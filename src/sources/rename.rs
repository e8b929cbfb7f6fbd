//! `podmark mv`: renames an episode folder and moves its entry in `guids.lock` in one step, so
//! the episode keeps the GUID its subscribers know.
//!
//! Under an exclusive lock on the episodes folder (which `podmark build` also takes to save the
//! lock file), the folder is renamed first (and the rename made durable), then the lock file is
//! replaced atomically. A crash in between leaves the state a rename by hand leaves: the next
//! `podmark build` recognises the folder by its audio and keeps the GUID, and running the same
//! `podmark mv OLD NEW` again finishes the job (it moves only the lock entry when the folder has
//! already been renamed). If the lock file cannot be written, the folder is renamed back.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::sources::SourceDiagnostic;
use crate::sources::guid_lock::GuidLock;

/// Why an episode could not be renamed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// The episodes folder does not exist.
    #[error("{}: no such episodes folder (run this in the show's folder, or pass --episodes)", .0.display())]
    NoEpisodesFolder(PathBuf),
    /// A name is not fit for an episode folder.
    #[error("{name:?} cannot be an episode folder name: {why}")]
    BadName {
        /// The name given.
        name: String,
        /// Why not.
        why: &'static str,
    },
    /// OLD or NEW was given as a path outside the episodes folder.
    #[error("{}: not in the episodes folder {}; give folder names, such as 002-old 002-new", arg.display(), episodes.display())]
    NotInEpisodes {
        /// The argument.
        arg: PathBuf,
        /// The episodes folder.
        episodes: PathBuf,
    },
    /// OLD and NEW are the same name.
    #[error("{0}: the old and new names are the same")]
    SameName(String),
    /// There is no folder OLD (and no lock entry to move to an existing NEW).
    #[error("{}: no such episode folder{}", .0.display(), if *.1 { "" } else { ", and guids.lock has no entry for it" })]
    Missing(PathBuf, bool),
    /// OLD is not an episode folder.
    #[error("{}: not an episode folder (it has no episode.md)", .0.display())]
    NotAnEpisode(PathBuf),
    /// NEW exists already.
    #[error("{}: already exists; choose another name (or remove it first)", .0.display())]
    Exists(PathBuf),
    /// The lock already has an entry for NEW: an episode was published under that folder name.
    #[error(
        "guids.lock already has an entry for {name} (GUID \"{guid}\"): an episode was published with that folder name; choose another name"
    )]
    NameTaken {
        /// NEW.
        name: String,
        /// The GUID locked for it.
        guid: String,
    },
    /// The lock file is not valid.
    #[error("{0}")]
    Lock(SourceDiagnostic),
    /// A file system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What [`move_episode`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveReport {
    /// The old folder.
    pub from: PathBuf,
    /// The new folder.
    pub to: PathBuf,
    /// Whether the folder was renamed (false: it had been renamed already, only the lock entry
    /// moved).
    pub folder_moved: bool,
    /// The GUID the episode keeps, when it had one locked (false: never built, nothing to move).
    pub guid: Option<String>,
    /// The lock file.
    pub lock: PathBuf,
}

/// Why `name` cannot be an episode folder name, if it cannot: podmark uses it in file names and
/// URLs, so ASCII letters, digits, `-`, `_` and `.` only, not starting with `.`.
pub fn folder_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('.') {
        Some("it starts with '.'")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        Some("episode folder names become file names in URLs; use ASCII letters, digits, '-', '_' or '.' only")
    } else {
        None
    }
}

/// The folder name an argument names: `002-x`, or a path to it in `episodes` (`episodes/002-x`).
fn folder_name(episodes: &Path, arg: &str) -> Result<String, MoveError> {
    let trimmed = arg.trim_end_matches('/');
    let path = Path::new(trimmed);
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = match parent {
        Some(_) => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        None => trimmed.to_owned(),
    };
    if let Some(parent) = parent {
        let same =
            parent == episodes || matches!((parent.canonicalize(), episodes.canonicalize()), (Ok(a), Ok(b)) if a == b);
        if !same {
            return Err(MoveError::NotInEpisodes { arg: path.to_owned(), episodes: episodes.to_owned() });
        }
    }
    if let Some(why) = folder_name_problem(&name) {
        return Err(MoveError::BadName { name: arg.to_owned(), why });
    }
    Ok(name)
}

/// Renames the episode folder `old` to `new` in `episodes` and moves its entry in
/// `episodes/guids.lock` (see the [module docs](self)). `old` and `new` are folder names, or
/// paths to them in `episodes`.
///
/// When `old` no longer exists but `new` does and the lock still has `old`'s entry (the folder
/// was renamed by hand, or a previous run stopped half-way), only the entry is moved.
pub fn move_episode(episodes: &Path, old: &str, new: &str) -> Result<MoveReport, MoveError> {
    if !episodes.is_dir() {
        return Err(MoveError::NoEpisodesFolder(episodes.to_owned()));
    }
    let old = folder_name(episodes, old)?;
    let new = folder_name(episodes, new)?;
    if old == new {
        return Err(MoveError::SameName(old));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| MoveError::Io { path, source }
    };
    let _held = crate::fsutil::lock_exclusive(episodes, "renaming an episode").map_err(io(episodes))?;
    let lock_path = episodes.join("guids.lock");
    let mut lock = GuidLock::load(&lock_path).map_err(MoveError::Lock)?;
    let (from, to) = (episodes.join(&old), episodes.join(&new));
    let guid = lock.episodes.get(&old).map(|e| e.guid.clone());
    let from_exists = from.symlink_metadata().is_ok();
    let to_exists = to.symlink_metadata().is_ok();
    if from_exists && to_exists {
        return Err(MoveError::Exists(to));
    }
    if let Some(taken) = lock.episodes.get(&new) {
        return Err(MoveError::NameTaken { name: new, guid: taken.guid.clone() });
    }
    let folder_moved = match (from_exists, to_exists) {
        (true, true) => return Err(MoveError::Exists(to)),
        // Renamed by hand, or a run stopped after the rename: move the entry.
        (false, true) if guid.is_some() => false,
        (false, _) => return Err(MoveError::Missing(from, guid.is_some())),
        (true, false) => {
            if !from.join("episode.md").is_file() {
                return Err(MoveError::NotAnEpisode(from));
            }
            true
        }
    };
    if folder_moved {
        std::fs::rename(&from, &to).map_err(io(&from))?;
        if let Ok(d) = std::fs::File::open(episodes) {
            // The rename is durable before the lock says so; not every platform syncs folders.
            let _ = d.sync_all();
        }
    }
    if guid.is_some() {
        lock.rename(&old, &new);
        if let Err(e) = crate::fsutil::write_if_changed(&lock_path, lock.to_toml().as_bytes()) {
            if folder_moved {
                // Back as it was: the folder and its entry agree again.
                let _ = std::fs::rename(&to, &from);
            }
            return Err(MoveError::Io { path: lock_path, source: e });
        }
    }
    Ok(MoveReport { from, to, folder_moved, guid, lock: lock_path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let episodes = tmp.path().join("episodes");
        std::fs::create_dir_all(episodes.join("001-old")).unwrap();
        std::fs::write(episodes.join("001-old/episode.md"), "+++\ntitle = \"A\"\n+++\n").unwrap();
        let mut lock = GuidLock::default();
        lock.set("001-old", "guid-1");
        std::fs::write(episodes.join("guids.lock"), lock.to_toml()).unwrap();
        (tmp, episodes)
    }

    #[test]
    fn moves_the_folder_and_its_lock_entry() {
        let (_tmp, episodes) = show();
        let r = move_episode(&episodes, "001-old", "episodes/001-new").unwrap_err();
        assert!(matches!(r, MoveError::NotInEpisodes { .. }), "{r}");
        let r = move_episode(&episodes, "001-old", &episodes.join("001-new").display().to_string()).unwrap();
        assert!(r.folder_moved);
        assert_eq!(r.guid.as_deref(), Some("guid-1"));
        assert!(episodes.join("001-new/episode.md").is_file());
        assert!(!episodes.join("001-old").exists());
        let lock = GuidLock::load(&episodes.join("guids.lock")).unwrap();
        assert_eq!(lock.get("001-new").unwrap().as_deref(), Some("guid-1"));
        assert!(!lock.episodes.contains_key("001-old"));
    }

    #[test]
    fn a_folder_renamed_by_hand_gets_its_entry_moved() {
        let (_tmp, episodes) = show();
        std::fs::rename(episodes.join("001-old"), episodes.join("001-new")).unwrap();
        let r = move_episode(&episodes, "001-old", "001-new").unwrap();
        assert!(!r.folder_moved);
        let lock = GuidLock::load(&episodes.join("guids.lock")).unwrap();
        assert_eq!(lock.get("001-new").unwrap().as_deref(), Some("guid-1"));
    }

    #[test]
    fn refuses_what_it_cannot_do_and_changes_nothing() {
        let (_tmp, episodes) = show();
        let lock_before = std::fs::read(episodes.join("guids.lock")).unwrap();
        let err = |old: &str, new: &str| move_episode(&episodes, old, new).unwrap_err().to_string();
        assert!(err("002-none", "002-x").contains("no such episode folder, and guids.lock has no entry"));
        assert!(err("001-old", "001-old").contains("the same"));
        assert!(err("001-old", "bad name").contains("cannot be an episode folder name"));
        assert!(err("001-old", "..").contains("starts with '.'"));
        std::fs::create_dir(episodes.join("001-taken")).unwrap();
        assert!(err("001-old", "001-taken").contains("already exists"));
        std::fs::create_dir(episodes.join("002-plain")).unwrap();
        assert!(err("002-plain", "002-x").contains("not an episode folder"));
        let mut lock = GuidLock::load(&episodes.join("guids.lock")).unwrap();
        lock.set("009-gone", "guid-9");
        std::fs::write(episodes.join("guids.lock"), lock.to_toml()).unwrap();
        assert!(err("001-old", "009-gone").contains("already has an entry for 009-gone (GUID \"guid-9\")"));
        lock.episodes.remove("009-gone");
        std::fs::write(episodes.join("guids.lock"), lock.to_toml()).unwrap();
        assert_eq!(std::fs::read(episodes.join("guids.lock")).unwrap(), lock_before);
        assert!(episodes.join("001-old/episode.md").is_file());
        let missing = move_episode(&episodes.join("nope"), "a", "b").unwrap_err();
        assert!(matches!(missing, MoveError::NoEpisodesFolder(_)));
    }
}
