//! [`Timestamp`]: one exact time value for every format podmark reads or writes.
//!
//! A timestamp is a whole number of **nanoseconds** from the start of the audio. Nanoseconds are
//! the finest unit any chapter format uses (FFMETADATA without a `TIMEBASE`), so reading never
//! rounds; each writer rounds to its own unit (see `DESIGN.md`, "How does each format round?").
//!
//! ```
//! use podmark::Timestamp;
//!
//! let t: Timestamp = "00:23:20.151".parse()?;
//! assert_eq!(t.as_millis(), 1_400_151);
//! assert_eq!(t.to_string(), "00:23:20.151");
//! // Other common spellings are accepted too.
//! assert_eq!("[23:20.151]".parse::<Timestamp>()?, t);
//! assert_eq!("1400,151".parse::<Timestamp>()?, t);
//! # Ok::<(), podmark::TimestampError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A point in an episode (or a length of time), exact to the nanosecond.
///
/// `FromStr` accepts `HH:MM:SS.mmm`, `H:MM:SS`, `MM:SS`, `M:SS.s`, plain seconds `SS.mmm`, a comma
/// as the decimal mark (`00:01:02,500`) and brackets or parentheses around the value (`[00:12:30]`,
/// `(12:30)`). The first field may be any size (`75:00` is 75 minutes, `3723.5` is 3723.5 seconds);
/// later fields must be below 60. Up to nine fractional digits are kept exactly.
///
/// `Display` prints `HH:MM:SS.mmm` rounded to the nearest millisecond; a precision picks the number
/// of fractional digits (`{:.0}` gives `HH:MM:SS`, `{:.6}` microseconds), always rounding to nearest.
/// The alternate form `{:#}` prints the compact `H:MM:SS` / `M:SS` used in descriptions.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The start of the audio.
    pub const ZERO: Timestamp = Timestamp(0);
    /// The largest representable timestamp (about 584 years).
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// A timestamp from whole nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// A timestamp from whole milliseconds, or `None` on overflow.
    pub const fn from_millis(ms: u64) -> Option<Self> {
        match ms.checked_mul(NANOS_PER_MILLI) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// A timestamp from whole seconds, or `None` on overflow.
    pub const fn from_secs(secs: u64) -> Option<Self> {
        match secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// A timestamp of `ticks` units of `1/rate` seconds (a time base such as `1/1000` or a sample
    /// rate), rounded to the nearest nanosecond; `None` if `rate` is zero or the value overflows.
    ///
    /// ```
    /// # use podmark::Timestamp;
    /// assert_eq!(Timestamp::from_ticks(44_100, 44_100), Timestamp::from_secs(1));
    /// assert_eq!(Timestamp::from_ticks(1, 75).map(|t| t.as_nanos()), Some(13_333_333));
    /// ```
    pub fn from_ticks(ticks: u64, rate: u64) -> Option<Self> {
        if rate == 0 {
            return None;
        }
        let n = (u128::from(ticks) * u128::from(NANOS_PER_SEC) + u128::from(rate) / 2) / u128::from(rate);
        u64::try_from(n).ok().map(Timestamp)
    }

    /// A timestamp from a number of seconds given as a float (JSON chapters), rounded to the nearest
    /// microsecond so that `1400.151` is exactly 1,400,151 ms. `None` for negative, non-finite or
    /// too large values.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || !(0.0..=1.8e10).contains(&secs) {
            return None;
        }
        let micros = (secs * 1e6).round();
        // `micros` is finite, non-negative and below 1.8e16 < 2^64, so the conversion is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let micros = micros as u64;
        micros.checked_mul(1000).map(Timestamp)
    }

    /// Whole nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds, rounded to nearest.
    pub const fn as_millis(self) -> u64 {
        self.round_to(NANOS_PER_MILLI) / NANOS_PER_MILLI
    }

    /// Whole seconds, rounded to nearest.
    pub const fn as_secs_rounded(self) -> u64 {
        self.round_to(NANOS_PER_SEC) / NANOS_PER_SEC
    }

    /// Seconds as a float (for JSON output); exact for millisecond values up to about 285 years.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_secs_f64(self) -> f64 {
        (self.0 / NANOS_PER_SEC) as f64 + (self.0 % NANOS_PER_SEC) as f64 / 1e9
    }

    /// The value in units of `1/rate` seconds, rounded to nearest; `None` if `rate` is zero or the
    /// result does not fit in a `u64`.
    pub fn to_ticks(self, rate: u64) -> Option<u64> {
        if rate == 0 {
            return None;
        }
        let t = (u128::from(self.0) * u128::from(rate) + u128::from(NANOS_PER_SEC) / 2) / u128::from(NANOS_PER_SEC);
        u64::try_from(t).ok()
    }

    /// This value rounded to the nearest multiple of `unit` nanoseconds (ties away from zero).
    /// Saturates at the largest multiple that fits.
    pub const fn round_to(self, unit: u64) -> u64 {
        if unit <= 1 {
            return self.0;
        }
        let rem = self.0 % unit;
        let down = self.0 - rem;
        if rem >= unit - unit / 2 {
            match down.checked_add(unit) {
                Some(up) => up,
                None => down,
            }
        } else {
            down
        }
    }

    /// This value rounded to the nearest millisecond.
    pub const fn rounded_to_millis(self) -> Timestamp {
        Timestamp(self.round_to(NANOS_PER_MILLI))
    }

    /// `self + rhs`, or `None` on overflow.
    pub const fn checked_add(self, rhs: Timestamp) -> Option<Timestamp> {
        match self.0.checked_add(rhs.0) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// `self - rhs`, or `None` if `rhs` is later.
    pub const fn checked_sub(self, rhs: Timestamp) -> Option<Timestamp> {
        match self.0.checked_sub(rhs.0) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// `self - rhs`, or zero if `rhs` is later.
    pub const fn saturating_sub(self, rhs: Timestamp) -> Timestamp {
        Timestamp(self.0.saturating_sub(rhs.0))
    }

    /// Parses a timestamp; the same as `str::parse`.
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        s.parse()
    }
}

impl From<Duration> for Timestamp {
    /// Saturates at [`Timestamp::MAX`] (about 584 years).
    fn from(d: Duration) -> Self {
        Timestamp(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl From<Timestamp> for Duration {
    fn from(t: Timestamp) -> Self {
        Duration::from_nanos(t.0)
    }
}

/// Why a string is not a [`Timestamp`]. Its message quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp \"{input}\": {reason}")]
pub struct TimestampError {
    input: String,
    reason: TimestampErrorKind,
    /// Byte offset of the offending part within the input.
    offset: usize,
}

impl TimestampError {
    fn new(input: &str, reason: TimestampErrorKind, offset: usize) -> Self {
        let mut shown: String = input.chars().take(40).collect();
        if shown.len() < input.len() {
            shown.push('…');
        }
        TimestampError { input: shown, reason, offset }
    }

    /// What is wrong.
    pub fn kind(&self) -> &TimestampErrorKind {
        &self.reason
    }

    /// Byte offset within the parsed string of the part that is wrong.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// The ways a timestamp string can be wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampErrorKind {
    /// Nothing to parse.
    #[error("it is empty")]
    Empty,
    /// A character that cannot appear in a timestamp.
    #[error("unexpected character '{0}'")]
    Unexpected(char),
    /// A field between colons has no digits.
    #[error("a field has no digits")]
    EmptyField,
    /// More than three colon-separated fields.
    #[error("too many ':' fields (at most hours:minutes:seconds)")]
    TooManyFields,
    /// Minutes (after hours) of 60 or more.
    #[error("minutes must be less than 60 (found {0})")]
    MinutesOutOfRange(u64),
    /// Seconds (after minutes) of 60 or more.
    #[error("seconds must be less than 60 (found {0})")]
    SecondsOutOfRange(u64),
    /// More than nine fractional digits.
    #[error("more than 9 fractional digits")]
    TooPrecise,
    /// The value does not fit (about 584 years).
    #[error("the value is too large")]
    Overflow,
    /// An opening bracket without its closing bracket, or the reverse.
    #[error("unbalanced brackets")]
    Brackets,
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        use TimestampErrorKind as K;
        let err = |k, off| TimestampError::new(input, k, off);
        let trimmed_start = input.len() - input.trim_start().len();
        let mut s = input.trim();
        let mut base = trimmed_start;
        if s.is_empty() {
            return Err(err(K::Empty, 0));
        }
        // Strip one pair of brackets or parentheses.
        let first = s.as_bytes()[0];
        let last = s.as_bytes()[s.len() - 1];
        match (first, last) {
            (b'[', b']') | (b'(', b')') if s.len() >= 2 => {
                s = s[1..s.len() - 1].trim();
                base += 1;
            }
            (b'[' | b'(', _) => return Err(err(K::Brackets, base)),
            (_, b']' | b')') => return Err(err(K::Brackets, base + s.len() - 1)),
            _ => {}
        }
        if s.is_empty() {
            return Err(err(K::Empty, base));
        }
        // Split off the fraction.
        let (whole, frac, frac_at) = match s.find(['.', ',']) {
            Some(i) => (&s[..i], Some(&s[i + 1..]), base + i + 1),
            None => (s, None, 0),
        };
        let mut nanos_frac: u64 = 0;
        if let Some(frac) = frac {
            if frac.is_empty() {
                return Err(err(K::EmptyField, frac_at));
            }
            if let Some((i, c)) = frac.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
                return Err(err(K::Unexpected(c), frac_at + i));
            }
            if frac.len() > 9 {
                return Err(err(K::TooPrecise, frac_at + 9));
            }
            let mut scale = NANOS_PER_SEC;
            for b in frac.bytes() {
                scale /= 10;
                nanos_frac += u64::from(b - b'0') * scale;
            }
        }
        // Parse up to three colon-separated fields.
        let mut fields: [(u64, usize); 3] = [(0, 0); 3];
        let mut count = 0;
        let mut pos = base;
        for part in whole.split(':') {
            if count == 3 {
                return Err(err(K::TooManyFields, pos));
            }
            if part.is_empty() {
                return Err(err(K::EmptyField, pos));
            }
            let mut value: u64 = 0;
            for (i, c) in part.char_indices() {
                let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) else {
                    return Err(err(K::Unexpected(c), pos + i));
                };
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(d)))
                    .ok_or_else(|| err(K::Overflow, pos))?;
            }
            fields[count] = (value, pos);
            count += 1;
            pos += part.len() + 1;
        }
        let (h, m, sec) = match count {
            1 => (0, 0, fields[0]),
            2 => (0, fields[0].0, fields[1]),
            _ => {
                if fields[1].0 >= 60 {
                    return Err(err(K::MinutesOutOfRange(fields[1].0), fields[1].1));
                }
                (fields[0].0, fields[1].0, fields[2])
            }
        };
        if count >= 2 && sec.0 >= 60 {
            return Err(err(K::SecondsOutOfRange(sec.0), sec.1));
        }
        let total_secs = h
            .checked_mul(3600)
            .and_then(|h| m.checked_mul(60).and_then(|m| h.checked_add(m)))
            .and_then(|hm| hm.checked_add(sec.0))
            .ok_or_else(|| err(K::Overflow, base))?;
        total_secs
            .checked_mul(NANOS_PER_SEC)
            .and_then(|n| n.checked_add(nanos_frac))
            .map(Timestamp)
            .ok_or_else(|| err(K::Overflow, base))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = f.precision().unwrap_or(if f.alternate() { 0 } else { 3 }).min(9);
        let unit = 10u64.pow(9 - u32::try_from(digits).unwrap_or(9));
        let n = self.round_to(unit);
        let secs = n / NANOS_PER_SEC;
        let frac = (n % NANOS_PER_SEC) / unit;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mut out = if f.alternate() {
            if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
        } else {
            format!("{h:02}:{m:02}:{s:02}")
        };
        if digits > 0 {
            out.push_str(&format!(".{frac:0digits$}"));
        }
        match f.width() {
            Some(w) => write!(f, "{out:>w$}"),
            None => f.write_str(&out),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(NANOS_PER_MILLI) { write!(f, "{self}") } else { write!(f, "{self:.9}") }
    }
}

/// As text (`HH:MM:SS.mmm`) in human-readable formats such as JSON; as whole nanoseconds in
/// binary ones (postcard: the build's records), where formatting and parsing text would cost more
/// than the rest of the record.
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            s.serialize_u64(self.0)
        } else if self.0.is_multiple_of(NANOS_PER_MILLI) {
            s.collect_str(self)
        } else {
            s.collect_str(&format_args!("{self:.9}"))
        }
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if !d.is_human_readable() {
            return u64::deserialize(d).map(Timestamp);
        }
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> u64 {
        s.parse::<Timestamp>().map(|t| t.as_nanos() / NANOS_PER_MILLI).unwrap_or(u64::MAX)
    }

    fn msg(s: &str) -> String {
        s.parse::<Timestamp>().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn accepts_every_documented_form() {
        assert_eq!(ms("00:23:20.151"), 1_400_151);
        assert_eq!(ms("1:02:03"), 3_723_000);
        assert_eq!(ms("12:30"), 750_000);
        assert_eq!(ms("2:05.5"), 125_500);
        assert_eq!(ms("37.25"), 37_250);
        assert_eq!(ms("37"), 37_000);
        assert_eq!(ms("00:01:02,500"), 62_500);
        assert_eq!(ms("[00:12:30]"), 750_000);
        assert_eq!(ms("(12:30)"), 750_000);
        assert_eq!(ms(" 75:00 "), 4_500_000);
        assert_eq!(ms("100:00:00"), 360_000_000);
    }

    #[test]
    fn keeps_nanoseconds_exactly() {
        let t: Timestamp = "0.123456789".parse().unwrap_or_default();
        assert_eq!(t.as_nanos(), 123_456_789);
        assert_eq!(format!("{t:.9}"), "00:00:00.123456789");
        assert_eq!(t.to_string(), "00:00:00.123");
    }

    #[test]
    fn errors_quote_the_input() {
        assert_eq!(msg("1:75"), "invalid timestamp \"1:75\": seconds must be less than 60 (found 75)");
        assert_eq!(msg("00:61:00"), "invalid timestamp \"00:61:00\": minutes must be less than 60 (found 61)");
        assert_eq!(msg("99999999999999999999"), "invalid timestamp \"99999999999999999999\": the value is too large");
        assert_eq!(msg("18446744073709551615"), "invalid timestamp \"18446744073709551615\": the value is too large");
        assert_eq!(msg(""), "invalid timestamp \"\": it is empty");
        assert_eq!(
            msg("1:2:3:4"),
            "invalid timestamp \"1:2:3:4\": too many ':' fields (at most hours:minutes:seconds)"
        );
        assert_eq!(msg("1:x"), "invalid timestamp \"1:x\": unexpected character 'x'");
        assert_eq!(msg("[1:00"), "invalid timestamp \"[1:00\": unbalanced brackets");
        assert_eq!(msg("1:00.1234567890"), "invalid timestamp \"1:00.1234567890\": more than 9 fractional digits");
        assert_eq!(msg("1::00"), "invalid timestamp \"1::00\": a field has no digits");
        assert_eq!(msg("١:٠٠"), "invalid timestamp \"١:٠٠\": unexpected character '١'");
    }

    #[test]
    fn error_offsets_point_at_the_bad_part() {
        let e = "00:61:00".parse::<Timestamp>().err();
        assert_eq!(e.map(|e| e.offset()), Some(3));
        let e = " [1:75]".parse::<Timestamp>().err();
        assert_eq!(e.map(|e| e.offset()), Some(4));
    }

    #[test]
    fn display_rounds_to_nearest() {
        let t = Timestamp::from_nanos(1_999_600_000);
        assert_eq!(t.to_string(), "00:00:02.000");
        assert_eq!(format!("{t:.0}"), "00:00:02");
        assert_eq!(format!("{:#}", Timestamp::from_nanos(3_723_000_000_000)), "1:02:03");
        assert_eq!(format!("{:#.0}", Timestamp::from_nanos(62_400_000_000)), "1:02");
    }

    #[test]
    fn ticks_round_trip() {
        let t = Timestamp::from_nanos(1_400_151_000_000);
        assert_eq!(t.to_ticks(1000), Some(1_400_151));
        assert_eq!(t.to_ticks(75), Some(105_011));
        assert_eq!(Timestamp::from_secs_f64(1400.151).map(|t| t.as_nanos()), Some(1_400_151_000_000));
        assert_eq!(Timestamp::from_secs_f64(-1.0), None);
        assert_eq!(Timestamp::from_secs_f64(f64::NAN), None);
    }

    proptest::proptest! {
        #[test]
        fn display_then_parse_is_identity_at_millis(ms in 0u64..10_000_000_000u64) {
            let t = Timestamp::from_nanos(ms * NANOS_PER_MILLI);
            proptest::prop_assert_eq!(t.to_string().parse::<Timestamp>().ok(), Some(t));
        }

        #[test]
        fn full_precision_round_trips(n in 0u64..u64::MAX / 2) {
            let t = Timestamp::from_nanos(n);
            proptest::prop_assert_eq!(format!("{t:.9}").parse::<Timestamp>().ok(), Some(t));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = s.parse::<Timestamp>();
        }
    }
}
