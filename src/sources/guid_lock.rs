//! GUIDs: the show's `podcast:guid`, episode GUIDs, and the lock file that keeps them forever.
//!
//! A changed `<guid>` makes podcast apps list and download an episode twice, so podmark records
//! each episode's GUID in `episodes/guids.lock` the first time it is built (commit that file) and
//! refuses a build that would change or duplicate one.
//!
//! Each entry also records what identifies the episode beyond its folder name ([`Identity`]: the
//! SHA-256 of its audio, its date and title as first built), so that a renamed folder is
//! recognised: [`GuidLock::match_renames`] pairs a folder that has no entry with the entry whose
//! folder is gone ("orphaned"), and `podmark build` keeps the GUID when the audio is the same, or
//! stops and says what to do when the evidence is weaker or ambiguous.

use std::collections::{BTreeMap, BTreeSet};
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

/// One episode's locked GUID, and what identifies the episode (absent in lock files written
/// before podmark recorded it; the next build fills it in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The GUID.
    pub guid: String,
    /// `check(slug, guid)`: detects hand edits.
    pub check: String,
    /// `sha256:<hex>` of the episode's audio file as first built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    /// The publication date as first built (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The title as first built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The `isPermaLink` attribute of the `<guid>` as first published, when it was not podmark's
    /// `false` (a feed imported from another host keeps its own: `true`, or absent, which RSS
    /// reads as `true`). `None`: podmark's `isPermaLink="false"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<bool>,
}

impl LockEntry {
    /// What the entry records about its episode.
    pub fn identity(&self) -> Identity {
        Identity { audio: self.audio.clone(), date: self.date.clone(), title: self.title.clone() }
    }

    /// Whether every identity field is recorded.
    pub fn has_identity(&self) -> bool {
        self.audio.is_some() && self.date.is_some() && self.title.is_some()
    }
}

/// What identifies an episode beyond its folder name: enough to recognise it after a rename.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `sha256:<hex>` of the audio file (see [`crate::audio::cache::audio_hash`]).
    pub audio: Option<String>,
    /// Publication date, RFC 3339.
    pub date: Option<String>,
    /// Title.
    pub title: Option<String>,
}

impl Identity {
    /// Same date (the same instant, whatever the offset it is written with) and same title.
    fn same_date_and_title(&self, other: &Identity) -> bool {
        let instant = |d: &Option<String>| d.as_deref().and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok());
        matches!((instant(&self.date), instant(&other.date)), (Some(a), Some(b)) if a == b)
            && matches!((&self.title, &other.title), (Some(a), Some(b)) if a == b)
    }

    /// Same audio bytes.
    fn same_audio(&self, other: &Identity) -> bool {
        matches!((&self.audio, &other.audio), (Some(a), Some(b)) if a == b)
    }
}

/// An episode folder that has no entry in the lock, as [`GuidLock::match_renames`] sees it.
#[derive(Debug, Clone)]
pub struct Unlocked {
    /// The folder name.
    pub slug: String,
    /// The `guid` of its front matter, if it has one.
    pub guid: Option<String>,
    /// Its audio hash, date and title (the audio may be `None` when there is nothing to compare
    /// it with).
    pub identity: Identity,
}

/// How an episode folder without a lock entry relates to the orphaned entries (entries whose
/// folder is gone): see [`GuidLock::match_renames`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameMatch {
    /// Nothing suggests a rename: a new episode.
    New,
    /// The folder was renamed from this one: same audio as exactly this orphan (and no other
    /// folder has that audio), or a front matter `guid` equal to its GUID. The GUID is kept.
    Renamed {
        /// The old folder name.
        from: String,
        /// Why podmark is sure.
        by: RenamedBy,
    },
    /// It may be a renamed folder, but podmark cannot be sure: the user must say.
    Unsure {
        /// The orphaned entries it may be (folder names).
        candidates: Vec<String>,
        /// Why it is unsure.
        why: Unsure,
    },
}

/// How a renamed folder was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenamedBy {
    /// The audio file has the same SHA-256.
    Audio,
    /// The front matter's `guid` is the orphan's GUID.
    Guid,
}

/// Why [`RenameMatch::Unsure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsure {
    /// The audio is that of several orphans.
    SeveralOrphans,
    /// Another new folder has the same audio as the orphan.
    SeveralFolders,
    /// The date and title are an orphan's, the audio is not.
    DateAndTitle,
    /// The orphans were locked by an older podmark, without audio, date or title to compare.
    NotRecorded,
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
    #[serde(default)]
    audio: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    permalink: Option<bool>,
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
# Commit this file. Never edit a GUID: podcast apps would list and download the episode again.\n\
# Rename an episode folder with `podmark mv OLD NEW`, which moves its entry too.\n\n";

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
            let RawEntry { check, audio, date, title, permalink, .. } = entry;
            episodes.insert(slug, LockEntry { guid, check, audio, date, title, permalink });
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

    /// Records an episode's GUID. An entry that already has this GUID keeps its identity.
    pub fn set(&mut self, slug: &str, guid: &str) {
        let same = self.episodes.get(slug).filter(|e| e.guid == guid);
        let permalink = same.and_then(|e| e.permalink);
        let kept = same.map(LockEntry::identity).unwrap_or_default();
        let entry = LockEntry {
            guid: guid.to_owned(),
            check: check(slug, guid),
            audio: kept.audio,
            date: kept.date,
            title: kept.title,
            permalink,
        };
        self.episodes.insert(slug.to_owned(), entry);
    }

    /// Records the `isPermaLink` value the source feed gave the GUID of `slug` (see
    /// [`LockEntry::permalink`]); `Some(false)` is podmark's own default and is stored as `None`.
    pub fn set_permalink(&mut self, slug: &str, permalink: Option<bool>) {
        if let Some(e) = self.episodes.get_mut(slug) {
            e.permalink = permalink.filter(|p| *p);
        }
    }

    /// The `isPermaLink` value recorded for `slug`'s GUID: `Some(true)` when the source feed had
    /// a permalink GUID, else `None` (podmark's `false`).
    pub fn permalink(&self, slug: &str) -> Option<bool> {
        self.episodes.get(slug).and_then(|e| e.permalink)
    }

    /// Whether `slug` has an entry that [`GuidLock::fill_identity`] would complete.
    pub fn needs_identity(&self, slug: &str) -> bool {
        self.episodes.get(slug).is_some_and(|e| !e.has_identity())
    }

    /// Fills in the identity fields the entry of `slug` lacks (an entry written by an older
    /// podmark, or a new one) from `identity()`, which is only called when one is missing.
    /// Recorded fields never change: they describe the episode as first built.
    pub fn fill_identity<E>(&mut self, slug: &str, identity: impl FnOnce() -> Result<Identity, E>) -> Result<(), E> {
        let Some(entry) = self.episodes.get_mut(slug).filter(|e| !e.has_identity()) else { return Ok(()) };
        let Identity { audio, date, title } = identity()?;
        entry.audio = entry.audio.take().or(audio);
        entry.date = entry.date.take().or(date);
        entry.title = entry.title.take().or(title);
        Ok(())
    }

    /// Moves the entry of `old` to `new` (with its GUID and identity; the check value is made
    /// for the new name, unless the entry was edited by hand: then it stays an edited entry). Returns false, changing nothing, when `old` has no entry or `new` has
    /// one.
    pub fn rename(&mut self, old: &str, new: &str) -> bool {
        if self.episodes.contains_key(new) {
            return false;
        }
        let Some(mut entry) = self.episodes.remove(old) else { return false };
        // A hand-edited entry stays detectably edited under its new name.
        if entry.check == check(old, &entry.guid) {
            entry.check = check(new, &entry.guid);
        }
        self.episodes.insert(new.to_owned(), entry);
        true
    }

    /// The entries whose folder is not among `present` (folder names), in name order.
    pub fn orphans<'a>(&'a self, present: &BTreeSet<&str>) -> Vec<(&'a str, &'a LockEntry)> {
        self.episodes
            .iter()
            .filter(|(slug, _)| !present.contains(slug.as_str()))
            .map(|(s, e)| (s.as_str(), e))
            .collect()
    }

    /// For each folder of `unlocked` (folders without a lock entry), whether it is one of the
    /// `orphans` (entries without a folder, see [`GuidLock::orphans`]) renamed:
    ///
    /// - a front matter `guid` equal to an orphan's GUID: renamed (the user said so);
    /// - any other front matter `guid`: new (the user chose its GUID);
    /// - the same audio (SHA-256) as exactly one orphan, and no other folder of `unlocked` with
    ///   that audio: renamed, the GUID is kept;
    /// - the same audio as several orphans, or an orphan's audio in several folders: unsure;
    /// - otherwise the same date and title as one or more orphans: unsure (the audio was
    ///   replaced, or it is another episode with the same title on the same day);
    /// - otherwise, while orphans recorded by an older podmark (nothing to compare) remain:
    ///   unsure;
    /// - otherwise new.
    ///
    /// The answers are in the order of `unlocked`.
    pub fn match_renames(&self, orphans: &[&str], unlocked: &[Unlocked]) -> Vec<RenameMatch> {
        let orphans: Vec<(&str, &LockEntry)> =
            orphans.iter().filter_map(|s| self.episodes.get(*s).map(|e| (*s, e))).collect();
        let audio_matches = |u: &Unlocked| -> Vec<String> {
            orphans.iter().filter(|(_, e)| e.identity().same_audio(&u.identity)).map(|(s, _)| (*s).to_owned()).collect()
        };
        unlocked
            .iter()
            .map(|u| {
                if let Some(guid) = &u.guid {
                    return match orphans.iter().find(|(_, e)| &e.guid == guid) {
                        Some((s, _)) => RenameMatch::Renamed { from: (*s).to_owned(), by: RenamedBy::Guid },
                        None => RenameMatch::New,
                    };
                }
                let by_audio = audio_matches(u);
                if by_audio.len() > 1 {
                    return RenameMatch::Unsure { candidates: by_audio, why: Unsure::SeveralOrphans };
                }
                if let Some(from) = by_audio.into_iter().next() {
                    let others = unlocked
                        .iter()
                        .filter(|o| o.slug != u.slug && o.guid.is_none() && audio_matches(o).contains(&from))
                        .count();
                    if others > 0 {
                        return RenameMatch::Unsure { candidates: vec![from], why: Unsure::SeveralFolders };
                    }
                    return RenameMatch::Renamed { from, by: RenamedBy::Audio };
                }
                let by_date_title: Vec<String> = orphans
                    .iter()
                    .filter(|(_, e)| e.identity().same_date_and_title(&u.identity))
                    .map(|(s, _)| (*s).to_owned())
                    .collect();
                if !by_date_title.is_empty() {
                    return RenameMatch::Unsure { candidates: by_date_title, why: Unsure::DateAndTitle };
                }
                let unknown: Vec<String> =
                    orphans.iter().filter(|(_, e)| e.audio.is_none()).map(|(s, _)| (*s).to_owned()).collect();
                if !unknown.is_empty() {
                    return RenameMatch::Unsure { candidates: unknown, why: Unsure::NotRecorded };
                }
                RenameMatch::New
            })
            .collect()
    }

    /// The file's text (sorted, stable).
    pub fn to_toml(&self) -> String {
        // Measured first, then written into a string of that size: a large show's lock is held
        // while it is saved, without the room a growing string keeps.
        let mut entry = String::new();
        let mut len = HEADER.len();
        for (k, v) in &self.episodes {
            entry.clear();
            Self::push_entry(&mut entry, k, v);
            len += entry.len();
        }
        let mut out = String::with_capacity(len);
        out.push_str(HEADER);
        for (k, v) in &self.episodes {
            Self::push_entry(&mut out, k, v);
        }
        out
    }

    /// Appends the lock's entry for episode `k`.
    fn push_entry(out: &mut String, k: &str, v: &LockEntry) {
        out.push_str(&format!(
            "[episodes.{}]\nguid = {}\ncheck = {}\n",
            toml_string(k),
            toml_string(&v.guid),
            toml_string(&v.check)
        ));
        for (key, value) in [("audio", &v.audio), ("date", &v.date), ("title", &v.title)] {
            if let Some(value) = value {
                out.push_str(&format!("{key} = {}\n", toml_string(value)));
            }
        }
        if let Some(p) = v.permalink {
            out.push_str(&format!("permalink = {p}\n"));
        }
        out.push('\n');
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
            assert_eq!(d.to_string(), format!("6:8: error: the GUID of episode 020-x is {shown}: {why}"), "{guid:?}");
        }
    }

    fn entry(lock: &mut GuidLock, slug: &str, guid: &str, audio: Option<&str>, date: &str, title: &str) {
        lock.set(slug, guid);
        let identity =
            Identity { audio: audio.map(str::to_owned), date: Some(date.to_owned()), title: Some(title.to_owned()) };
        lock.fill_identity(slug, || Ok::<_, ()>(identity)).unwrap();
    }

    fn unlocked(slug: &str, audio: &str, date: &str, title: &str) -> Unlocked {
        Unlocked {
            slug: slug.to_owned(),
            guid: None,
            identity: Identity {
                audio: Some(audio.to_owned()),
                date: Some(date.to_owned()),
                title: Some(title.to_owned()),
            },
        }
    }

    const D1: &str = "2026-12-01T09:00:00+00:00";

    #[test]
    fn the_same_audio_as_one_orphan_is_a_rename() {
        let mut lock = GuidLock::default();
        entry(&mut lock, "001-old", "g1", Some("sha256:a"), D1, "One");
        entry(&mut lock, "002-kept", "g2", Some("sha256:b"), D1, "Two");
        let present = BTreeSet::from(["002-kept", "001-new"]);
        let orphans: Vec<&str> = lock.orphans(&present).into_iter().map(|(s, _)| s).collect();
        assert_eq!(orphans, ["001-old"]);
        // Title and date edited along with the rename: the audio decides.
        let m = lock.match_renames(&orphans, &[unlocked("001-new", "sha256:a", "2027-01-01T00:00:00Z", "One!")]);
        assert_eq!(m, [RenameMatch::Renamed { from: "001-old".into(), by: RenamedBy::Audio }]);
        assert!(lock.rename("001-old", "001-new"));
        assert_eq!(lock.get("001-new").unwrap().as_deref(), Some("g1"));
        assert_eq!(lock.episodes["001-new"].audio.as_deref(), Some("sha256:a"));
        assert!(!lock.rename("001-old", "001-x"), "no entry left to move");
        let mut edited = lock.clone();
        edited.episodes.get_mut("001-new").unwrap().guid = "g9".into();
        assert!(edited.rename("001-new", "001-newer"));
        assert!(edited.get("001-newer").unwrap_err().message.contains("was edited"));
        assert!(!lock.rename("001-new", "002-kept"), "never over another entry");
    }

    #[test]
    fn weaker_or_ambiguous_evidence_is_unsure() {
        let mut lock = GuidLock::default();
        entry(&mut lock, "001-a", "g1", Some("sha256:same"), D1, "One");
        entry(&mut lock, "002-b", "g2", Some("sha256:same"), D1, "Two");
        entry(&mut lock, "003-c", "g3", Some("sha256:c"), "2026-12-03T10:00:00+01:00", "Three");
        let orphans = ["001-a", "002-b", "003-c"];
        // Same audio as two orphans.
        assert_eq!(
            lock.match_renames(&orphans, &[unlocked("x", "sha256:same", D1, "X")]),
            [RenameMatch::Unsure { candidates: vec!["001-a".into(), "002-b".into()], why: Unsure::SeveralOrphans }]
        );
        // One orphan's audio in two new folders.
        let two = [unlocked("x", "sha256:c", D1, "X"), unlocked("y", "sha256:c", D1, "Y")];
        let m = lock.match_renames(&orphans, &two);
        assert!(
            m.iter()
                .all(|m| *m == RenameMatch::Unsure { candidates: vec!["003-c".into()], why: Unsure::SeveralFolders })
        );
        // Same date (another offset, same instant) and title, other audio.
        assert_eq!(
            lock.match_renames(&orphans, &[unlocked("x", "sha256:new", "2026-12-03T09:00:00Z", "Three")]),
            [RenameMatch::Unsure { candidates: vec!["003-c".into()], why: Unsure::DateAndTitle }]
        );
        // Nothing in common: a new episode.
        assert_eq!(lock.match_renames(&orphans, &[unlocked("x", "sha256:new", D1, "Three")]), [RenameMatch::New]);
    }

    #[test]
    fn a_guid_line_decides_and_legacy_orphans_make_a_new_folder_unsure() {
        let mut lock = GuidLock::default();
        lock.set("001-legacy", "g1");
        let orphans = ["001-legacy"];
        assert_eq!(
            lock.match_renames(&orphans, &[unlocked("x", "sha256:a", D1, "X")]),
            [RenameMatch::Unsure { candidates: vec!["001-legacy".into()], why: Unsure::NotRecorded }]
        );
        let mut with_guid = unlocked("x", "sha256:a", D1, "X");
        with_guid.guid = Some("g1".into());
        assert_eq!(
            lock.match_renames(&orphans, std::slice::from_ref(&with_guid)),
            [RenameMatch::Renamed { from: "001-legacy".into(), by: RenamedBy::Guid }]
        );
        with_guid.guid = Some("another".into());
        assert_eq!(lock.match_renames(&orphans, &[with_guid]), [RenameMatch::New]);
    }

    #[test]
    fn an_old_lock_without_identity_loads_and_is_filled_in_once() {
        let old = "[episodes.\"001-a\"]\nguid = \"g1\"\ncheck = \"".to_owned() + &check("001-a", "g1") + "\"\n";
        let mut lock = GuidLock::parse(&old).unwrap();
        assert_eq!(lock.get("001-a").unwrap().as_deref(), Some("g1"));
        assert!(!lock.episodes["001-a"].has_identity());
        let identity = Identity { audio: Some("sha256:a".into()), date: Some(D1.into()), title: Some("A".into()) };
        lock.fill_identity("001-a", || Ok::<_, ()>(identity.clone())).unwrap();
        assert_eq!(lock.episodes["001-a"].identity(), identity);
        // Recorded fields never change, and a complete entry is not even asked about.
        lock.fill_identity("001-a", || Err(())).unwrap();
        lock.set("001-a", "g1");
        assert_eq!(lock.episodes["001-a"].identity(), identity);
        let text = lock.to_toml();
        assert!(text.contains("audio = \"sha256:a\"\ndate = \"2026-12-01T09:00:00+00:00\"\ntitle = \"A\"\n"), "{text}");
        assert_eq!(GuidLock::parse(&text).unwrap(), lock);
    }
}
