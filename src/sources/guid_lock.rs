//! GUIDs: the show's `podcast:guid`, episode GUIDs, and the lock file that keeps them forever.
//!
//! A changed `<guid>` makes podcast apps list and download an episode twice, so podmark records
//! each episode's GUID in `episodes/guids.lock` the first time it is built (commit that file) and
//! refuses a build that would change or duplicate one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::diagnostic::{Diagnostic, LineIndex, Location};
use crate::sources::SourceDiagnostic;

/// The Podcasting 2.0 namespace for `podcast:guid` (UUIDv5 namespace).
pub const PODCAST_GUID_NAMESPACE: Uuid = Uuid::from_u128(0xead4c236_bf58_58c6_a2c6_a6b28d128cb6);

/// `podcast:guid` of a feed URL, as the namespace spec defines it: UUIDv5 of the URL without its
/// scheme and without trailing slashes.
///
/// ```
/// use podmark::sources::guid_lock::podcast_guid;
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

/// The lock file as written, with the span of each GUID for messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    #[serde(default)]
    episodes: BTreeMap<String, RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    guid: toml::Spanned<String>,
    check: String,
}

/// Why `guid` cannot be an episode GUID, if it cannot: it must be non-empty, without white space
/// or control characters (a feed reader compares GUIDs byte for byte, and these are invisible).
pub fn guid_problem(guid: &str) -> Option<&'static str> {
    if guid.is_empty() {
        Some("a GUID must not be empty")
    } else if guid.chars().any(char::is_control) {
        Some("a GUID must not contain control characters")
    } else if guid.chars().any(char::is_whitespace) {
        Some("a GUID must not contain white space")
    } else {
        None
    }
}

/// The check value of a lock entry: 12 hex digits of UUIDv5(folder name + GUID).
fn check(slug: &str, guid: &str) -> String {
    let u = Uuid::new_v5(&PODCAST_GUID_NAMESPACE, format!("podmark-guid-lock\n{slug}\n{guid}").as_bytes());
    u.simple().to_string().chars().take(12).collect()
}

const HEADER: &str = "# podmark GUID lock: the GUID each episode was first published with.\n\
# Commit this file. Never edit a GUID: podcast apps would list and download the episode again.\n\n";

impl GuidLock {
    /// Reads the lock file; a missing file is an empty lock. A file that cannot be read, or is
    /// not a lock file, is an error diagnostic (with line and column for a TOML error).
    pub fn load(path: &Path) -> Result<GuidLock, SourceDiagnostic> {
        match std::fs::read_to_string(path) {
            Ok(text) => GuidLock::parse(&text).map_err(|d| SourceDiagnostic::new(path, d)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(GuidLock::default()),
            Err(e) => Err(SourceDiagnostic::new(path, Diagnostic::error("io", None, e.to_string()))),
        }
    }

    /// Parses the text of a lock file. A GUID may be any non-empty string without white space or
    /// control characters: podmark makes UUIDs, but a feed imported from elsewhere keeps its own
    /// GUIDs (`tag:…`, URLs, numbers). Anything else is an error at the GUID's line and column.
    pub fn parse(text: &str) -> Result<GuidLock, Diagnostic> {
        let at = |offset: usize| Location::from(LineIndex::new(text).position(offset));
        let raw: RawLock = toml::from_str(text).map_err(|e| {
            Diagnostic::error("guid-lock", e.span().map(|s| at(s.start)), e.message().trim().to_owned())
        })?;
        let mut episodes = BTreeMap::new();
        for (slug, entry) in raw.episodes {
            let span = entry.guid.span();
            let guid = entry.guid.into_inner();
            if let Some(why) = guid_problem(&guid) {
                return Err(Diagnostic::error(
                    "guid-lock",
                    at(span.start),
                    format!("the GUID of episode {slug} is {}: {why}", crate::diagnostic::quote(&guid)),
                ));
            }
            episodes.insert(slug, LockEntry { guid, check: entry.check });
        }
        Ok(GuidLock { episodes })
    }

    /// The locked GUID of an episode; an error if the entry was edited by hand.
    pub fn get(&self, slug: &str) -> Result<Option<String>, Diagnostic> {
        match self.episodes.get(slug) {
            None => Ok(None),
            Some(e) if e.check == check(slug, &e.guid) => Ok(Some(e.guid.clone())),
            Some(e) => Err(Diagnostic::error(
                "guid-lock",
                None,
                format!(
                    "the GUID of episode {slug} (\"{}\") was edited in the lock file; a published GUID must never change. Restore it, or pass --allow-guid-change to publish this one",
                    e.guid
                ),
            )),
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
        assert!(edited.get("020-a \"b\"").unwrap_err().message.contains("was edited"));
    }

    #[test]
    fn a_broken_lock_file_is_a_diagnostic_at_its_line_and_column() {
        let d = GuidLock::parse("[episodes.a]\nguid = \"x\"\ncheck = \n").unwrap_err();
        assert_eq!(d.location, Some(Location::Text { line: 3, column: 9 }), "{d}");
        assert_eq!(d.code, "guid-lock");
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("guids.lock");
        std::fs::write(&path, "[episodes]\nx = 1\n").unwrap();
        let d = GuidLock::load(&path).unwrap_err();
        assert!(d.to_string().starts_with(&format!("{}:2:", path.display())), "{d}");
        assert!(GuidLock::load(&tmp.path().join("none.lock")).unwrap().episodes.is_empty());
    }

    #[test]
    fn a_syntax_error_in_the_lock_prints_path_line_col_and_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("guids.lock");
        std::fs::write(&path, "[episodes.a]\nguid = \"x\"\ncheck = \n").unwrap();
        let d = GuidLock::load(&path).unwrap_err();
        assert_eq!(
            d.to_string(),
            format!("{}:3:9: error: string values must be quoted, expected literal string", path.display())
        );
    }

    #[test]
    fn any_guid_without_white_space_is_accepted() {
        for guid in ["not-a-uuid", "tag:example.com,2016:020", "https://example.com/ep/20", "20"] {
            let mut lock = GuidLock::default();
            lock.set("a", guid);
            assert_eq!(GuidLock::parse(&lock.to_toml()).unwrap(), lock, "{guid}");
        }
    }

    #[test]
    fn an_empty_or_blank_guid_in_the_lock_is_an_error_at_its_line() {
        for (guid, shown, why) in [
            ("", "\"\"", "a GUID must not be empty"),
            ("  ", "\"  \"", "a GUID must not contain white space"),
            ("a b", "\"a b\"", "a GUID must not contain white space"),
            ("a\u{1}", "\"a\\u{1}\"", "a GUID must not contain control characters"),
        ] {
            let mut lock = GuidLock::default();
            lock.set("020-x", guid);
            let d = GuidLock::parse(&lock.to_toml()).unwrap_err();
            assert_eq!(d.to_string(), format!("5:8: error: the GUID of episode 020-x is {shown}: {why}"), "{guid:?}");
        }
    }
}
