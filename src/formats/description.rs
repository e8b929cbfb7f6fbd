//! Description blocks for YouTube, Spotify and Apple Podcasts: chapter lines in an episode
//! description, each platform with its own rules.

use super::{Format, Parsed, WriteError, WriteOptions};
use crate::Chapters;

/// Reads chapter lines from a description block; never panics.
pub fn read(_input: &str, _platform: Format) -> Parsed {
    Parsed::default()
}

/// Writes a description block following `platform`'s rules.
pub fn write(_chapters: &Chapters, _options: &WriteOptions, platform: Format) -> Result<String, WriteError> {
    Err(WriteError::new(platform, "not implemented yet"))
}
