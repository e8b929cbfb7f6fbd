//! Audacity label tracks.

use super::{Format, Parsed, WriteError, WriteOptions};
use crate::Chapters;

/// Reads chapters; never panics.
pub fn read(_input: &str) -> Parsed {
    Parsed::default()
}

/// Writes chapters.
pub fn write(_chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    Err(WriteError::new(Format::Audacity, "not implemented yet"))
}

/// True when the first line is `number<TAB>number<TAB>label` (used by format detection).
pub(crate) fn looks_like(_body: &str) -> bool {
    false
}
