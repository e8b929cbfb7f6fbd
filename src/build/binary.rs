//! The build's own records in `<out>/.podmark` (the build state, the items) in a compact binary
//! form (postcard: a 10,000-episode state reads in a few milliseconds, where JSON took tens),
//! behind a first line naming the record and podmark's version: a file another version wrote, or
//! a torn one, is not read (the build then takes the full path).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

fn magic(what: &str) -> String {
    format!("podmark {what} {}\n", env!("CARGO_PKG_VERSION"))
}

/// The `what` record in `path`, if it is one this podmark wrote whole.
pub(super) fn read<T: DeserializeOwned>(path: &Path, what: &str) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    let body = bytes.strip_prefix(magic(what).as_bytes())?;
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// Writes `value` as the `what` record in `path`, atomically but not fsynced (a record lost in a
/// crash only sends the next build down the full path).
pub(super) fn write<T: Serialize>(path: &Path, what: &str, value: &T) -> std::io::Result<()> {
    crate::fsutil::replace_unsynced(path, |w| {
        std::io::Write::write_all(w, magic(what).as_bytes())?;
        // Through the file's buffer (a call per field, no system call): a large show's record is
        // not held in memory whole beside what it records.
        postcard::to_io(value, &mut *w).map_err(std::io::Error::other)?;
        Ok(())
    })
}

/// A field kept as JSON text inside a binary record: diagnostics are internally tagged enums,
/// which only a self-describing format can read back (`#[serde(with = "json_text")]`).
pub(super) mod json_text {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(in crate::build) fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serde_json::to_string(value).map_err(S::Error::custom)?)
    }

    pub(in crate::build) fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Rec {
        name: String,
        n: Option<u64>,
    }

    #[test]
    fn a_record_reads_back_and_a_torn_or_foreign_one_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rec");
        let rec = vec![Rec { name: "ep-1".into(), n: Some(7) }, Rec { name: "ep-2".into(), n: None }];
        write(&path, "test", &rec).expect("write");
        assert_eq!(read::<Vec<Rec>>(&path, "test"), Some(rec));
        assert_eq!(read::<Vec<Rec>>(&path, "other"), None, "another record's name");
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("truncate");
        assert_eq!(read::<Vec<Rec>>(&path, "test"), None, "a torn file");
        std::fs::write(&path, [bytes.as_slice(), b"x"].concat()).expect("extend");
        assert_eq!(read::<Vec<Rec>>(&path, "test"), None, "trailing bytes");
    }
}
