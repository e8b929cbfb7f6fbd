//! Plain chapter list `HH:MM:SS.mmm Title` (mp4chaps native format).

use super::{Format, Parsed, WriteError, WriteOptions};
use crate::Chapters;

/// Reads chapters; never panics.
pub fn read(_input: &str) -> Parsed {
    Parsed::default()
}

/// Writes chapters.
pub fn write(_chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    Err(WriteError::new(Format::Text, "not implemented yet"))
}

/// True when most non-empty, non-comment lines start with a timestamp (used by format detection).
pub(crate) fn looks_like(_body: &str) -> bool {
    false
}
