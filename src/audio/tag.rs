//! Embedding chapters into audio files: ID3v2 CHAP/CTOC in MP3 ([`mp3`]), Nero `chpl` and a
//! QuickTime chapter track in MP4/M4A/M4B ([`mp4`]).
//!
//! [`embed`], [`strip`] and [`extract`] pick the container from the file's first bytes. Every
//! write either happens in place (when the new tag fits the old tag's space) or through a
//! temporary file in the same folder that is fsynced and renamed; an error leaves the input
//! byte-identical.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Chapters;

pub use super::Container;
use super::{mp4, mpeg as mp3};

/// ID3v2 version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Id3Version {
    /// ID3v2.3: the default, read correctly by Apple's players.
    V23,
    /// ID3v2.4 with synchsafe sizes everywhere, sub-frames included.
    V24,
}

/// How to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagOptions {
    /// ID3 version; `None` keeps the file's existing version, or writes v2.3 when it has none.
    pub id3_version: Option<Id3Version>,
    /// Padding to leave after a rewritten tag, so that the next edit fits in place.
    pub padding: usize,
    /// Compute and report, but write nothing.
    pub dry_run: bool,
}

impl TagOptions {
    /// Defaults: keep the ID3 version (v2.3 for new tags), 4 KiB padding, really write.
    pub const fn new() -> Self {
        TagOptions { id3_version: None, padding: 4096, dry_run: false }
    }

    /// Sets the ID3 version.
    #[must_use]
    pub const fn id3_version(mut self, v: Option<Id3Version>) -> Self {
        self.id3_version = v;
        self
    }

    /// Sets the padding.
    #[must_use]
    pub const fn padding(mut self, bytes: usize) -> Self {
        self.padding = bytes;
        self
    }

    /// Sets dry-run.
    #[must_use]
    pub const fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }
}

impl Default for TagOptions {
    fn default() -> Self {
        TagOptions::new()
    }
}

/// How a file was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WriteMode {
    /// The new tag fit the old tag's space: only the tag bytes were rewritten.
    InPlace,
    /// A new file was written next to the old one and renamed over it.
    Rewritten,
    /// The file already held exactly these chapters: nothing written.
    Unchanged,
    /// `--dry-run`: nothing written.
    DryRun,
}

/// What a tag operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagReport {
    /// The file.
    pub path: PathBuf,
    /// Its container.
    pub container: Container,
    /// Chapters now in the file.
    pub chapters: usize,
    /// How it was written.
    pub mode: WriteMode,
    /// File size before.
    pub bytes_before: u64,
    /// File size after.
    pub bytes_after: u64,
    /// Non-fatal notes (a title cut to 255 bytes, …).
    pub warnings: Vec<String>,
}

/// Why a tag operation failed. The file is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not MP3 or MP4, or is damaged; `offset` is where reading failed.
    #[error("{}: {message} (at byte {offset})", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The chapters cannot be written to this container (too many, beyond the audio, …).
    #[error("{}: {message}", path.display())]
    Chapters {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Sniffs the container from the first bytes of `path`.
pub fn container_of(path: &Path) -> Result<Container, TagError> {
    use std::io::Read;
    let io_err = |source| TagError::Io { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(TagError::Format {
            path: path.to_owned(),
            offset: 0,
            message: "is a directory, not an audio file".into(),
        });
    }
    let mut head = [0u8; 12];
    let mut f = std::fs::File::open(path).map_err(io_err)?;
    let n = f.read(&mut head).map_err(io_err)?;
    let head = &head[..n];
    if n == 0 {
        return Err(TagError::Format { path: path.to_owned(), offset: 0, message: "the file is empty".into() });
    }
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return Ok(Container::Mp4);
    }
    if head.starts_with(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        return Ok(Container::Mp3);
    }
    Err(TagError::Format {
        path: path.to_owned(),
        offset: 0,
        message: "not an MP3 (no ID3 tag or MPEG frame sync) or MP4 (no ftyp box) file".into(),
    })
}

/// The error for a container podmark reads but does not write chapters into.
fn cannot_tag(path: &Path, container: Container) -> TagError {
    TagError::Format {
        path: path.to_owned(),
        offset: 0,
        message: format!("this is {container} audio; podmark writes chapters into MP3 and MP4 files only"),
    }
}

/// Embeds `chapters` into the file, replacing any chapters it had.
pub fn embed(path: &Path, chapters: &Chapters, options: &TagOptions) -> Result<TagReport, TagError> {
    match container_of(path)? {
        Container::Mp3 => mp3::embed(path, chapters, options),
        Container::Mp4 => mp4::embed(path, chapters, options),
        other => Err(cannot_tag(path, other)),
    }
}

/// Removes all chapters from the file.
pub fn strip(path: &Path, options: &TagOptions) -> Result<TagReport, TagError> {
    match container_of(path)? {
        Container::Mp3 => mp3::strip(path, options),
        Container::Mp4 => mp4::strip(path, options),
        other => Err(cannot_tag(path, other)),
    }
}

/// Reads the chapters in the file.
pub fn extract(path: &Path) -> Result<Chapters, TagError> {
    match container_of(path)? {
        Container::Mp3 => mp3::extract(path),
        Container::Mp4 => mp4::extract(path),
        other => Err(cannot_tag(path, other)),
    }
}

/// The same chapters with every relative image path taken relative to `base` (usually the folder
/// of the chapter file or show notes they came from). URLs and absolute paths are kept.
///
/// ```
/// use podmark::{Chapter, Chapters, Timestamp};
/// let c = Chapters::new(vec![Chapter::new(Timestamp::ZERO, "Intro").with_image("img/intro.png")])?;
/// let c = podmark::tag::images_relative_to(&c, std::path::Path::new("episodes/020"));
/// assert_eq!(c.as_slice()[0].image.as_deref(), Some("episodes/020/img/intro.png"));
/// # Ok::<(), podmark::ChaptersError>(())
/// ```
pub fn images_relative_to(chapters: &Chapters, base: &Path) -> Chapters {
    let list: Vec<crate::Chapter> = chapters
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(img) = c.image.as_deref()
                && !img.contains("://")
                && Path::new(img).is_relative()
                && !img.is_empty()
            {
                c.image = Some(base.join(img).to_string_lossy().into_owned());
            }
            c
        })
        .collect();
    // Only images changed, so the list is as valid as before.
    let rebuilt = Chapters::new(list).and_then(|c| match chapters.duration() {
        Some(d) => c.with_duration(d),
        None => Ok(c),
    });
    rebuilt.unwrap_or_else(|_| chapters.clone())
}
