//! The sources of a podcast, as the producer writes them in `episodes/`: the show
//! (`podcast.toml`), each episode's front matter (`episode.md`) and the GUID lock
//! (`guids.lock`).
//!
//! Everything here is typed on the way in, and every problem is a [`Diagnostic`] with its line and
//! column where the input has one, wrapped in a [`SourceDiagnostic`] that names the file. The feed
//! builder ([`crate::build`]) and `podmark check` read sources through this module; nothing in it
//! knows about feeds, audio or hosting.
//!
//! | File | Module |
//! |---|---|
//! | `episodes/podcast.toml` | [`show`] |
//! | `episodes/<slug>/episode.md` front matter | [`episode`] (the notes themselves: [`crate::formats::notes`]) |
//! | `episodes/guids.lock` | [`guid_lock`] (`podmark mv`, which renames a folder with its entry: [`rename`]) |
//! | `[podcast]` tables of both | [`podcast_ns`] (Podcasting 2.0 tags) |
//! | `[site]` table of `podcast.toml` | [`site`] (the website) |

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Location, Severity};

pub mod episode;
pub mod guid_lock;
pub mod podcast_ns;
pub mod rename;
pub mod show;
pub mod site;

/// A [`Diagnostic`] in a named source file: prints as `path:line:col: error: message` (or
/// `path: error: message` when it has no location), the way compilers do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDiagnostic {
    /// The file the diagnostic is about.
    pub path: PathBuf,
    /// The problem, with its location in that file.
    pub diagnostic: Diagnostic,
}

impl SourceDiagnostic {
    /// A diagnostic about the file at `path`.
    pub fn new(path: impl Into<PathBuf>, diagnostic: Diagnostic) -> Self {
        SourceDiagnostic { path: path.into(), diagnostic }
    }

    /// Every diagnostic of `diags`, about the file at `path`.
    pub fn all(path: &Path, diags: impl IntoIterator<Item = Diagnostic>) -> Vec<SourceDiagnostic> {
        diags.into_iter().map(|d| SourceDiagnostic::new(path, d)).collect()
    }

    /// True for an error.
    pub fn is_error(&self) -> bool {
        self.diagnostic.is_error()
    }
}

impl fmt::Display for SourceDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic.with_path(&self.path).fmt(f)
    }
}

impl std::error::Error for SourceDiagnostic {}

/// The serialized form: `{"path", "severity", "location", "code", "message"}`, the fields of
/// [`Diagnostic`] (whose own types only serialize) plus the path.
#[derive(Serialize, Deserialize)]
struct Stored {
    path: PathBuf,
    severity: StoredSeverity,
    location: Option<StoredLocation>,
    code: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredSeverity {
    Error,
    Warning,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StoredLocation {
    Text { line: usize, column: usize },
    Byte { offset: u64 },
}

impl From<Location> for StoredLocation {
    fn from(l: Location) -> Self {
        match l {
            Location::Text { line, column } => StoredLocation::Text { line, column },
            Location::Byte { offset } => StoredLocation::Byte { offset },
        }
    }
}

impl From<StoredLocation> for Location {
    fn from(l: StoredLocation) -> Self {
        match l {
            StoredLocation::Text { line, column } => Location::Text { line, column },
            StoredLocation::Byte { offset } => Location::Byte { offset },
        }
    }
}

impl Serialize for SourceDiagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = &self.diagnostic;
        Stored {
            path: self.path.clone(),
            severity: match d.severity {
                Severity::Error => StoredSeverity::Error,
                Severity::Warning => StoredSeverity::Warning,
            },
            location: d.location.map(StoredLocation::from),
            code: d.code.to_owned(),
            message: d.message.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SourceDiagnostic {
    /// Reads back what [`Serialize`] wrote (the build state keeps the last build's warnings).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Stored::deserialize(d)?;
        let severity = match s.severity {
            StoredSeverity::Error => Severity::Error,
            StoredSeverity::Warning => Severity::Warning,
        };
        let location = s.location.map(Location::from);
        let diagnostic = Diagnostic { severity, location, code: intern(&s.code), message: s.message };
        Ok(SourceDiagnostic { path: s.path, diagnostic })
    }
}

/// The `&'static str` for a diagnostic code read back from a file. Codes are a small fixed set
/// (podmark's own), so each distinct one is allocated once for the life of the process.
fn intern(code: &str) -> &'static str {
    static CODES: LazyLock<Mutex<std::collections::BTreeSet<&'static str>>> = LazyLock::new(Mutex::default);
    let mut codes = CODES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match codes.get(code) {
        Some(c) => c,
        None => {
            let c: &'static str = Box::leak(code.to_owned().into_boxed_str());
            codes.insert(c);
            c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Position;

    #[test]
    fn prints_with_its_path_and_round_trips_through_json() {
        let d = SourceDiagnostic::new("e/a.md", Diagnostic::warning("short", Position::new(3, 5), "x"));
        assert_eq!(d.to_string(), "e/a.md:3:5: warning: x");
        let json = serde_json::to_string(&d).unwrap_or_default();
        assert!(json.contains("\"code\":\"short\""), "{json}");
        let back: SourceDiagnostic = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        let nowhere = SourceDiagnostic::new("e/b", Diagnostic::error("io", None, "gone"));
        assert_eq!(nowhere.to_string(), "e/b: error: gone");
    }
}
