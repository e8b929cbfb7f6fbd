//! GUIDs: the show's `podcast:guid`, episode GUIDs, and the lock file that keeps them forever.
//!
//! A changed `<guid>` makes podcast apps list and download an episode twice, so podmark records
//! each episode's GUID in `episodes/guids.lock` the first time it is built (commit that file) and
//! refuses a build that would change or duplicate one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The Podcasting 2.0 namespace for `podcast:guid` (UUIDv5 namespace).
pub const PODCAST_GUID_NAMESPACE: Uuid = Uuid::from_u128(0xead4c236_bf58_58c6_a2c6_a6b28d128cb6);

/// `podcast:guid` of a feed URL, as the namespace spec defines it: UUIDv5 of the URL without its
/// scheme and without trailing slashes.
///
/// ```
/// use podmark::feed::guid::podcast_guid;
/// assert_eq!(podcast_guid("https://podnews.net/rss").to_string(), "9b024349-ccf0-5f69-a609-6b82873eab3c");
/// ```
pub fn podcast_guid(feed_url: &str) -> Uuid {
    let no_scheme = feed_url.split_once("://").map_or(feed_url, |(_, rest)| rest);
    Uuid::new_v5(&PODCAST_GUID_NAMESPACE, no_scheme.trim_end_matches('/').as_bytes())
}

/// A new episode GUID: UUIDv5 of the episode's folder name in the show's namespace, so that a
/// first build is deterministic too.
pub fn new_episode_guid(show: Uuid, slug: &str) -> String {
    Uuid::new_v5(&show, slug.as_bytes()).to_string()
}

/// The lock file: episode folder → GUID, each with a check value so that an edited GUID is
/// noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidLock {
    /// Episode folder name → entry.
    #[serde(default)]
    pub episodes: BTreeMap<String, LockEntry>,
}

/// One episode's locked GUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The GUID.
    pub guid: String,
    /// `check(slug, guid)`: detects hand edits.
    pub check: String,
}

/// The check value of a lock entry: 12 hex digits of UUIDv5(folder name + GUID).
fn check(slug: &str, guid: &str) -> String {
    let u = Uuid::new_v5(&PODCAST_GUID_NAMESPACE, format!("podmark-guid-lock\n{slug}\n{guid}").as_bytes());
    u.simple().to_string().chars().take(12).collect()
}

const HEADER: &str = "# podmark GUID lock: the GUID each episode was first published with.\n\
# Commit this file. Never edit a GUID: podcast apps would list and download the episode again.\n\n";

/// Why the lock file could not be read, or an entry of it cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum GuidLockError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid lock file.
    #[error("{}: {message}", path.display())]
    Syntax {
        /// The lock file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An entry's GUID no longer matches its check value: it was edited by hand.
    #[error(
        "the GUID of episode {slug} (\"{guid}\") was edited in the lock file; a published GUID must never change. Restore it, or pass --allow-guid-change to publish this one"
    )]
    Edited {
        /// The episode folder name.
        slug: String,
        /// The GUID now in the file.
        guid: String,
    },
}

impl GuidLock {
    /// Reads the lock file; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<GuidLock, GuidLockError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| GuidLockError::Syntax { path: path.to_owned(), message: e.message().trim().to_owned() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(GuidLock::default()),
            Err(source) => Err(GuidLockError::Io { path: path.to_owned(), source }),
        }
    }

    /// The locked GUID of an episode; an error if the entry was edited by hand.
    pub fn get(&self, slug: &str) -> Result<Option<String>, GuidLockError> {
        match self.episodes.get(slug) {
            None => Ok(None),
            Some(e) if e.check == check(slug, &e.guid) => Ok(Some(e.guid.clone())),
            Some(e) => Err(GuidLockError::Edited { slug: slug.to_owned(), guid: e.guid.clone() }),
        }
    }

    /// Records an episode's GUID.
    pub fn set(&mut self, slug: &str, guid: &str) {
        self.episodes.insert(slug.to_owned(), LockEntry { guid: guid.to_owned(), check: check(slug, guid) });
    }

    /// The file's text (sorted, stable).
    pub fn to_toml(&self) -> String {
        let mut out = String::from(HEADER);
        for (k, v) in &self.episodes {
            out.push_str(&format!(
                "[episodes.{}]\nguid = {}\ncheck = {}\n\n",
                toml_string(k),
                toml_string(&v.guid),
                toml_string(&v.check)
            ));
        }
        out
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The namespace spec's published examples.
    #[test]
    fn podcast_guid_matches_the_spec_examples() {
        assert_eq!(podcast_guid("https://podnews.net/rss").to_string(), "9b024349-ccf0-5f69-a609-6b82873eab3c");
        assert_eq!(podcast_guid("podnews.net/rss/").to_string(), "9b024349-ccf0-5f69-a609-6b82873eab3c");
        assert_eq!(
            podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml").to_string(),
            "917393e3-1b1e-5cef-ace4-edaa54e1f810"
        );
    }

    #[test]
    fn lock_round_trips_and_notices_edits() {
        let mut lock = GuidLock::default();
        lock.set("020-a \"b\"", "x");
        let text = lock.to_toml();
        let back = toml::from_str::<GuidLock>(&text).unwrap();
        assert_eq!(back, lock);
        assert_eq!(back.get("020-a \"b\"").unwrap().as_deref(), Some("x"));
        let edited = toml::from_str::<GuidLock>(&text.replace("guid = \"x\"", "guid = \"y\"")).unwrap();
        assert!(edited.get("020-a \"b\"").unwrap_err().to_string().contains("was edited"));
    }
}
