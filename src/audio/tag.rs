//! Embedding chapters into audio files: ID3v2 CHAP/CTOC in MP3 ([`mp3`]), Nero `chpl` and a
//! QuickTime chapter track in MP4/M4A/M4B ([`mp4`]).
//!
//! [`embed`], [`strip`] and [`extract`] pick the container with the one sniffer,
//! [`crate::audio::sniff`]; a container podmark cannot write (FLAC, Ogg, WAV, even behind an
//! ID3v2 tag) is refused with its name and the file is not touched. Every
//! write either happens in place (when the new tag fits the old tag's space) or through a
//! temporary file in the same folder that is fsynced and renamed; an error leaves the input
//! byte-identical, except [`TagError::WriteFailed`] (an in-place write that failed once started).
//! One process writes a file at a time: writers take an exclusive lock on it
//! (`fsutil::lock_exclusive`) before reading it and keep it until the new file is in place.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Chapters;

pub use super::Container;
use super::sniff::{self, Sniff};
use super::{ProbeError, ProbeErrorKind, mp4, mpeg as mp3};

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
    /// fsync what is written (a build stages thousands of copies and syncs them once instead).
    pub(crate) durable: bool,
}

impl TagOptions {
    /// Defaults: keep the ID3 version (v2.3 for new tags), 4 KiB padding, really write.
    pub const fn new() -> Self {
        TagOptions { id3_version: None, padding: 4096, dry_run: false, durable: true }
    }

    /// Leaves the written file unsynced: the caller makes it durable (with other files) later.
    #[must_use]
    pub(crate) const fn unsynced(mut self) -> Self {
        self.durable = false;
        self
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

impl TagError {
    /// Whether the file is certainly unchanged: every error but [`TagError::WriteFailed`].
    pub fn file_unchanged(&self) -> bool {
        !matches!(self, TagError::WriteFailed { .. })
    }
}

/// Takes the one-writer-per-file lock on `path` for a write (nothing for a dry run): held until
/// the returned guard is dropped, after the new file is renamed into place.
pub(crate) fn lock_for_writing(
    path: &Path,
    options: &TagOptions,
) -> Result<Option<crate::fsutil::LockGuard>, TagError> {
    if options.dry_run {
        return Ok(None);
    }
    crate::fsutil::lock_exclusive(path, &format!("writing {}", path.display()))
        .map(Some)
        .map_err(|source| TagError::Io { path: path.to_owned(), source })
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

/// Why a tag operation failed. The file is unchanged, except after
/// [`TagError::WriteFailed`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// The file could not be read, locked or opened for writing, or the new file could not be
    /// written next to it and renamed over it: nothing in the file was written.
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
    /// Writing into the file failed **after the write started** (an in-place `write` or its
    /// `fsync` failed): the file may hold the old or the new chapters (never a mix when the write
    /// itself failed before copying any byte, which is the usual case; see DESIGN.md).
    #[error(
        "{}: the write failed after it started ({source}); the file may hold the old or the new chapters: run \
         `podmark chapters extract {}` to see which",
        path.display(),
        path.display()
    )]
    WriteFailed {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
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

/// What the sniffer ([`crate::audio::sniff`]) says `path` is, with its errors as [`TagError`]s.
pub(crate) fn sniff(path: &Path) -> Result<Sniff, TagError> {
    let meta = std::fs::metadata(path).map_err(|source| TagError::Io { path: path.to_owned(), source })?;
    if meta.is_dir() {
        return Err(TagError::Format {
            path: path.to_owned(),
            offset: 0,
            message: "is a directory, not an audio file".into(),
        });
    }
    sniff::sniff_path(path).map_err(|e| probe_err(path, e))
}

/// A probe or sniffer error as a [`TagError`].
pub(crate) fn probe_err(path: &Path, e: ProbeError) -> TagError {
    match e.kind {
        ProbeErrorKind::Io(source) => TagError::Io { path: path.to_owned(), source },
        ProbeErrorKind::Empty => {
            TagError::Format { path: path.to_owned(), offset: 0, message: "the file is empty".into() }
        }
        kind => TagError::Format { path: path.to_owned(), offset: e.offset, message: kind.to_string() },
    }
}

/// The container of `path`, decided by the sniffer; an unsupported or unknown format is an error
/// that names what was found.
pub fn container_of(path: &Path) -> Result<Container, TagError> {
    let s = sniff(path)?;
    s.container().map_err(|e| probe_err(path, e))
}

/// The error for a container podmark reads but does not write chapters into.
fn cannot_tag(path: &Path, found: &Sniff) -> TagError {
    TagError::Format {
        path: path.to_owned(),
        offset: found.start,
        message: format!("this is {}; podmark writes chapters into MP3 and MP4 files only", found.describe()),
    }
}

/// The sniffed file, when podmark can write chapters into it.
fn writable(path: &Path) -> Result<Container, TagError> {
    let s = sniff(path)?;
    match s.container().map_err(|e| probe_err(path, e))? {
        Container::Mp3 => Ok(Container::Mp3),
        Container::Mp4 if s.id3_prefix == 0 => Ok(Container::Mp4),
        _ => Err(cannot_tag(path, &s)),
    }
}

/// Embeds `chapters` into the file, replacing any chapters it had.
pub fn embed(path: &Path, chapters: &Chapters, options: &TagOptions) -> Result<TagReport, TagError> {
    match writable(path)? {
        Container::Mp4 => mp4::embed(path, chapters, options),
        _ => mp3::embed(path, chapters, options),
    }
}

/// Writes to `out` (an empty file) the bytes that copying `src` and then [`embed`]ding `chapters`
/// into the copy would leave, in one pass and without touching `src` (which may be read-only):
/// for MP3 the new tag, then the audio copied by the kernel (`copy_file_range`) from after the
/// old tag; for MP4 [`mp4::embed_stream`]. `duration` is the exact duration of `src`'s audio
/// (probed by the caller; [`embed`] would probe the copy, which has the same audio). Any other
/// container, or a file the sniffer cannot place, is copied as it is (a reflink where the file
/// system has them). `out` is not synced. Returns the bytes written.
pub(crate) fn write_tagged_copy(
    src: &Path,
    out: &mut std::fs::File,
    chapters: &Chapters,
    duration: crate::Timestamp,
    options: &TagOptions,
) -> Result<u64, TagError> {
    use std::io::{Read, Seek, Write};
    let io = |source| TagError::Io { path: src.to_owned(), source };
    let mut input = std::fs::File::open(src).map_err(io)?;
    // What `embed` would be asked to do: only MP3 and MP4 copies, and only with chapters, are tagged.
    // (One sniff: `container_of`, then `writable`'s refusal of an MP4 behind an ID3v2 tag.)
    let found = if chapters.is_empty() { None } else { sniff(src).ok() };
    let Some(found) = found.filter(|s| matches!(s.container(), Ok(Container::Mp3 | Container::Mp4))) else {
        return crate::fsutil::copy_into(&input, out).map_err(io);
    };
    match found.container() {
        Ok(Container::Mp4) if found.id3_prefix != 0 => Err(cannot_tag(src, &found)),
        Ok(Container::Mp3) => {
            let spliced = mp3::spliced(src, chapters, duration, options)?;
            out.write_all(&spliced.head).map_err(io)?;
            input.seek(std::io::SeekFrom::Start(spliced.audio_from)).map_err(io)?;
            // `io::copy` from a file to a file is a `copy_file_range` on Linux.
            let copied = std::io::copy(&mut (&mut input).take(spliced.audio_len), out).map_err(io)?;
            if copied != spliced.audio_len {
                let audio_len = spliced.audio_len;
                return Err(io(std::io::Error::other(format!(
                    "the file shrank while it was being copied ({copied} of {audio_len} audio bytes)"
                ))));
            }
            Ok(u64::try_from(spliced.head.len()).unwrap_or(u64::MAX).saturating_add(copied))
        }
        _ => {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
            let report = mp4::embed_stream(&mut input, &mut w, chapters, options).map_err(|e| match e {
                TagError::Io { source, .. } => TagError::Io { path: src.to_owned(), source },
                TagError::Format { offset, message, .. } => TagError::Format { path: src.to_owned(), offset, message },
                TagError::Chapters { message, .. } => TagError::Chapters { path: src.to_owned(), message },
                other => other,
            })?;
            w.flush().map_err(io)?;
            Ok(report.bytes_after)
        }
    }
}

/// Removes all chapters from the file.
pub fn strip(path: &Path, options: &TagOptions) -> Result<TagReport, TagError> {
    match writable(path)? {
        Container::Mp4 => mp4::strip(path, options),
        _ => mp3::strip(path, options),
    }
}

/// Reads the chapters in the file: every container `podmark probe` reads. MP3 through the ID3v2
/// reader the probe uses ([`crate::audio::id3`]), MP4 through its box reader, and Ogg, FLAC and
/// WAV through the probe itself (Vorbis comments, FLAC cue sheets), so that `chapters extract`
/// and `probe` never disagree. An empty list when the file has none.
pub fn extract(path: &Path) -> Result<Chapters, TagError> {
    let s = sniff(path)?;
    match s.container().map_err(|e| probe_err(path, e))? {
        Container::Mp3 => mp3::extract(path),
        Container::Mp4 if s.id3_prefix == 0 => {
            // Refuse what the probe refuses (a damaged sample rate, a missing audio track), so that
            // `probe` and `chapters extract` never disagree about a file; the moov is small.
            crate::audio::probe::Probe::new().chapters(false).probe_path(path).map_err(|e| probe_err(path, e))?;
            mp4::extract(path)
        }
        // The probe reads these (and refuses an MP4 behind an ID3v2 tag with the same message).
        Container::Mp4 | Container::Ogg | Container::Flac | Container::Wav => {
            let info = crate::audio::probe_path(path).map_err(|e| probe_err(path, e))?;
            match info.chapter_list() {
                None => Ok(Chapters::empty()),
                Some(list) => list.map_err(|e| TagError::Chapters {
                    path: path.to_owned(),
                    message: format!("the file's chapters are not a valid list: {e}"),
                }),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chapter, Timestamp};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
    }

    fn chapters(starts: &[u64]) -> Chapters {
        let list =
            starts.iter().map(|&s| Chapter::new(Timestamp::from_millis(s).unwrap(), format!("Chapter at {s} ms")));
        Chapters::new(list.collect()).unwrap()
    }

    /// What the build did before the one-pass copy: copy the file, then embed into the copy.
    fn copy_then_embed(src: &Path, dir: &Path, chapters: &Chapters) -> Vec<u8> {
        let copy = dir.join(format!("copy-{}", src.file_name().unwrap().to_string_lossy()));
        std::fs::copy(src, &copy).unwrap();
        if !chapters.is_empty() && matches!(container_of(&copy), Ok(Container::Mp3 | Container::Mp4)) {
            embed(&copy, chapters, &TagOptions::new().unsynced()).unwrap();
        }
        std::fs::read(&copy).unwrap()
    }

    fn one_pass(src: &Path, dir: &Path, chapters: &Chapters) -> Vec<u8> {
        let out = dir.join(format!("one-pass-{}", src.file_name().unwrap().to_string_lossy()));
        let mut f = std::fs::File::create(&out).unwrap();
        let duration = crate::probe::probe_path(src).unwrap().duration;
        let n = write_tagged_copy(src, &mut f, chapters, duration, &TagOptions::new().unsynced()).unwrap();
        drop(f);
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(n, bytes.len() as u64, "{}: the length returned", src.display());
        bytes
    }

    #[test]
    fn the_one_pass_tagged_copy_has_the_bytes_of_a_copy_tagged_afterwards() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            "mp3/lame-info.mp3",
            "mp3/noxing.mp3",
            "mp3/ffmpeg-v24-chapters.mp3",
            "mp4/short-last.m4a",
            "mp4/short-first.m4b",
            "mp4/short-ffmpeg-chapters.m4a",
        ];
        for rel in files {
            let src = fixture(rel);
            for list in [chapters(&[]), chapters(&[0]), chapters(&[0, 250, 500])] {
                let expected = copy_then_embed(&src, dir.path(), &list);
                assert!(one_pass(&src, dir.path(), &list) == expected, "{rel} with {} chapters", list.len());
            }
        }
        // A tag whose padding holds the new chapters (written in place by `embed`), and a tag that
        // already holds exactly them (left as it is).
        let src = dir.path().join("tagged.mp3");
        std::fs::copy(fixture("mp3/noxing.mp3"), &src).unwrap();
        embed(&src, &chapters(&[0, 100]), &TagOptions::new().unsynced()).unwrap();
        for list in [chapters(&[0, 300]), chapters(&[0, 100])] {
            let expected = copy_then_embed(&src, dir.path(), &list);
            assert!(one_pass(&src, dir.path(), &list) == expected, "re-tagged with {} chapters", list.len());
        }
    }
}
