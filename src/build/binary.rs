//! The build's own records in `<out>/.podmark` (the build state, the items) in a compact binary
//! form (postcard: a 10,000-episode state reads in a few milliseconds, where JSON took tens),
//! behind a first line naming the record and podmark's version and followed by a CRC-32: a file
//! another version wrote, or a torn or damaged one, is not read (the build then takes the full
//! path).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

fn magic(what: &str) -> String {
    format!("podmark {what} {}\n", env!("CARGO_PKG_VERSION"))
}

/// The `what` record in `path`, if it is one this podmark wrote whole (its CRC-32 matches).
pub(super) fn read<T: DeserializeOwned>(path: &Path, what: &str) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    let (body, crc) = bytes.split_last_chunk::<4>()?;
    if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
        return None;
    }
    match postcard::take_from_bytes::<T>(body.strip_prefix(magic(what).as_bytes())?) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// A new id for a pair of records written together (the build state and the items): each names
/// the pair, and a reader uses them only as a pair. Neither is fsynced, so after a crash either
/// could be the newer one. Random (std's per-process hash keys) and mixed with the clock.
pub(super) fn pair_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    h.finish()
}

/// Writes `value` as the `what` record in `path`, atomically but not fsynced (a record lost in a
/// crash only sends the next build down the full path), followed by the CRC-32 of all before it
/// ([`read`] takes no torn or damaged record). Streamed, the CRC taken on the way: a large show's
/// record is not held in memory whole beside what it records.
pub(super) fn write<T: Serialize>(path: &Path, what: &str, value: &T) -> std::io::Result<()> {
    /// Passes bytes on, hashing them.
    struct Crc<'w, W> {
        inner: &'w mut W,
        crc: crc32fast::Hasher,
    }
    impl<W: std::io::Write> std::io::Write for Crc<'_, W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.inner.write(buf)?;
            self.crc.update(buf.get(..n).unwrap_or_default());
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    crate::fsutil::replace_unsynced(path, |w| {
        let mut crc = Crc { inner: w, crc: crc32fast::Hasher::new() };
        // postcard writes field by field, a few bytes each: the CRC takes them buffered (one call
        // per 64 KiB, not one per field: a call each cost 10 ms of a 3 MB record).
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut crc);
        std::io::Write::write_all(&mut buffered, magic(what).as_bytes())?;
        postcard::to_io(value, &mut buffered).map_err(std::io::Error::other)?;
        std::io::Write::flush(&mut buffered)?;
        drop(buffered);
        let sum = crc.crc.finalize();
        std::io::Write::write_all(w, &sum.to_le_bytes())
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
    fn a_record_reads_back_and_a_torn_damaged_or_foreign_one_does_not() {
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
        // A changed letter still decodes ("ep-3"): only the CRC tells.
        let mut damaged = bytes.clone();
        let at = damaged.windows(4).position(|w| w == b"ep-2").expect("name") + 3;
        damaged[at] = b'3';
        std::fs::write(&path, &damaged).expect("damage");
        assert_eq!(read::<Vec<Rec>>(&path, "test"), None, "a damaged byte");
        std::fs::write(&path, &bytes).expect("restore");
        assert!(read::<Vec<Rec>>(&path, "test").is_some());
    }

    #[test]
    fn pair_ids_differ_from_call_to_call() {
        let ids: std::collections::HashSet<u64> = (0..1000).map(|_| pair_id()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
