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
    read_with_id(path, what).map(|(value, _)| value)
}

/// [`read`], and the record's id (what [`write`] returned).
pub(super) fn read_with_id<T: DeserializeOwned>(path: &Path, what: &str) -> Option<(T, u64)> {
    let bytes = std::fs::read(path).ok()?;
    let body = bytes.strip_prefix(magic(what).as_bytes())?;
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Some((value, id_of(&bytes))),
        _ => None,
    }
}

/// A record's id: its length and CRC-32. Another record can name this one, so that a pair of
/// records written one after the other (neither fsynced) is used only as a pair.
fn id_of(bytes: &[u8]) -> u64 {
    ((bytes.len() as u64) << 32) | u64::from(crc32fast::hash(bytes))
}

/// Writes `value` as the `what` record in `path`, atomically but not fsynced (a record lost in a
/// crash only sends the next build down the full path), and returns its id (see [`read_with_id`]).
/// Streamed through the file's buffer (a call per field, no system call each), its length and
/// CRC-32 taken on the way: a large show's record is not held in memory whole beside what it
/// records.
pub(super) fn write<T: Serialize>(path: &Path, what: &str, value: &T) -> std::io::Result<u64> {
    /// Passes bytes on, counting and hashing them.
    struct Tally<'w, W> {
        inner: &'w mut W,
        len: u64,
        crc: crc32fast::Hasher,
    }
    impl<W: std::io::Write> std::io::Write for Tally<'_, W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.inner.write(buf)?;
            let written = buf.get(..n).unwrap_or_default();
            self.crc.update(written);
            self.len += n as u64;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let mut id = 0;
    crate::fsutil::replace_unsynced(path, |w| {
        let mut tally = Tally { inner: w, len: 0, crc: crc32fast::Hasher::new() };
        std::io::Write::write_all(&mut tally, magic(what).as_bytes())?;
        postcard::to_io(value, &mut tally).map_err(std::io::Error::other)?;
        id = (tally.len << 32) | u64::from(tally.crc.finalize());
        Ok(())
    })?;
    Ok(id)
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

/// A date with its UTC offset as numbers (seconds and nanoseconds since the epoch, offset in
/// seconds), not as RFC 3339 text, which chrono formats and parses at a cost that showed in a
/// 10,000-episode rebuild (`#[serde(with = "compact_date")]`).
pub(super) mod compact_date {
    use chrono::{DateTime, FixedOffset};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(in crate::build) fn serialize<S: Serializer>(date: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        (date.timestamp(), date.timestamp_subsec_nanos(), date.offset().local_minus_utc()).serialize(s)
    }

    pub(in crate::build) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let (secs, nanos, offset) = <(i64, u32, i32)>::deserialize(d)?;
        let offset = FixedOffset::east_opt(offset).ok_or_else(|| D::Error::custom("UTC offset out of range"))?;
        let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| D::Error::custom("date out of range"))?;
        Ok(utc.with_timezone(&offset))
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

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Dated {
        #[serde(with = "compact_date")]
        date: chrono::DateTime<chrono::FixedOffset>,
        duration: crate::Timestamp,
    }

    #[test]
    fn dates_and_durations_keep_their_offset_and_nanoseconds_as_numbers() {
        let dated = Dated {
            date: chrono::DateTime::parse_from_rfc3339("2024-03-31T01:59:59.123456789-09:30").expect("date"),
            duration: crate::Timestamp::from_nanos(1_400_151_000_007),
        };
        let bytes = postcard::to_allocvec(&dated).expect("serialize");
        let back: Dated = postcard::from_bytes(&bytes).expect("deserialize");
        assert_eq!(back, dated);
        assert_eq!(back.date.offset().local_minus_utc(), -(9 * 3600 + 1800));
        assert_eq!(back.date.to_rfc3339(), dated.date.to_rfc3339());
        // Numbers, not text: far shorter than "2024-03-31T01:59:59.123456789-09:30" and "00:23:20.151000007".
        assert!(bytes.len() < 24, "{} bytes", bytes.len());
        // JSON keeps the readable form.
        assert!(serde_json::to_string(&dated.duration).expect("json").contains("00:23:20.151000007"));
    }

    #[test]
    fn a_record_reads_back_and_a_torn_or_foreign_one_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rec");
        let rec = vec![Rec { name: "ep-1".into(), n: Some(7) }, Rec { name: "ep-2".into(), n: None }];
        let id = write(&path, "test", &rec).expect("write");
        // The id written is the one read: length and CRC-32 of the whole file.
        assert_eq!(read_with_id::<Vec<Rec>>(&path, "test").map(|(_, found)| found), Some(id));
        assert_eq!(id >> 32, std::fs::metadata(&path).expect("stat").len());
        assert_eq!(read::<Vec<Rec>>(&path, "test"), Some(rec));
        assert_eq!(read::<Vec<Rec>>(&path, "other"), None, "another record's name");
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("truncate");
        assert_eq!(read::<Vec<Rec>>(&path, "test"), None, "a torn file");
        std::fs::write(&path, [bytes.as_slice(), b"x"].concat()).expect("extend");
        assert_eq!(read::<Vec<Rec>>(&path, "test"), None, "trailing bytes");
    }
}
