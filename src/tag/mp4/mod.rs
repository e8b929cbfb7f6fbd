//! MP4 chapters: Nero `chpl` and a QuickTime chapter track.

use std::path::Path;

use super::{TagError, TagOptions, TagReport};
use crate::Chapters;

/// Embeds chapters, replacing existing ones.
pub fn embed(path: &Path, _chapters: &Chapters, _options: &TagOptions) -> Result<TagReport, TagError> {
    Err(TagError::Chapters { path: path.to_owned(), message: "not implemented yet".into() })
}

/// Removes chapters.
pub fn strip(path: &Path, _options: &TagOptions) -> Result<TagReport, TagError> {
    Err(TagError::Chapters { path: path.to_owned(), message: "not implemented yet".into() })
}

/// Reads chapters.
pub fn extract(path: &Path) -> Result<Chapters, TagError> {
    Err(TagError::Chapters { path: path.to_owned(), message: "not implemented yet".into() })
}
