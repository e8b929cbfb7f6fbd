//! WebVTT chapters.

use super::{Format, Parsed, WriteError, WriteOptions};
use crate::Chapters;

/// Reads chapters; never panics.
pub fn read(_input: &str) -> Parsed {
    Parsed::default()
}

/// Writes chapters.
pub fn write(_chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    Err(WriteError::new(Format::Vtt, "not implemented yet"))
}
