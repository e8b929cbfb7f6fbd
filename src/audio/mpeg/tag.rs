//! ID3v2 chapters (`CHAP`/`CTOC`) in MP3 files.
//!
//! ```no_run
//! use podmark::tag::{TagOptions, mp3};
//! use podmark::{Chapter, Chapters, Timestamp};
//!
//! let t = |s: &str| s.parse::<Timestamp>();
//! let chapters = Chapters::new(vec![Chapter::new(t("0")?, "Intro"), Chapter::new(t("0:15.856")?, "Episode Intro")])?;
//! let report = mp3::embed("episode.mp3".as_ref(), &chapters, &TagOptions::new())?;
//! println!("{} chapters, {:?}", report.chapters, report.mode);
//! assert_eq!(mp3::extract("episode.mp3".as_ref())?.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is written
//!
//! - One `CHAP` per chapter, **in time order**, with element IDs `chp0`, `chp1`, … (short ASCII,
//!   never derived from titles), start and end in exact milliseconds, byte offsets `0xFFFFFFFF`
//!   ("use the times"), and sub-frames `TIT2` (title), `TIT3` (description, when there is one),
//!   `WXXX` (URL, description `chapter url` as eyeD3 writes it) and `APIC` (chapter image).
//! - One `CTOC` with element ID `toc`, flags `0x03` (top-level, ordered), a `TIT2`, and the
//!   visible chapters in order. Hidden chapters are `CHAP`s left out of it.
//! - The last chapter ends at the exact audio duration from [`crate::probe`]; a chapter starting
//!   at or after the end of the audio is an error.
//!
//! # Decisions
//!
//! - **Own frame code, no `id3` crate.** The `id3` crate (research digest `crates.md` §2) cannot
//!   write in place into existing padding, is not atomic (a failed write leaves half-shifted audio),
//!   wraps the `CTOC` entry count past 255 (`as u8`) and does not keep frames byte for byte. ID3v2
//!   framing is small, so podmark splits the tag into frames itself and writes the chapter frames
//!   itself.
//! - **Every other frame is kept byte for byte**, in its original order: title, artist, cover art,
//!   comments, `PRIV`, unknown frames, compressed or encrypted frames. Existing `CHAP`/`CTOC` are
//!   removed and the new ones appended, so chapters are replaced, never duplicated. Exceptions:
//!   podmark never writes unsynchronisation, so a tag that used it is stored plain (same content);
//!   the extended header and v2.4 footer are dropped (a CRC would no longer match); a v2.4 frame
//!   whose size was written as a plain integer (iTunes, FFmpeg) gets a correct synchsafe size.
//! - **Versions.** ID3v2.3 for new tags (Apple's players misread v2.4 sizes of frames over 127
//!   bytes); the existing version is kept unless [`TagOptions::id3_version`] says otherwise; v2.4
//!   uses synchsafe sizes everywhere, sub-frames included. Converting a tag between versions
//!   translates frame headers and re-encodes UTF-8/UTF-16BE text (which v2.3 lacks) as UTF-16 in
//!   the frames whose layout is known; a frame that cannot be translated is an error, not a loss.
//!   ID3v2.2 tags (which cannot hold chapters) are refused with a hint to convert them when
//!   writing; [`extract`] reads them (no chapters).
//! - **What is an MP3** is decided by the one sniffer ([`crate::audio::sniff`]), as for the
//!   probe: junk between the ID3v2 tag and the first frame is kept as part of the audio, byte for
//!   byte; a FLAC or MP4 behind an ID3v2 tag is refused.
//! - **Text encoding**: v2.3 uses ISO-8859-1 when every character fits, else UTF-16 with a
//!   byte-order mark; v2.4 uses UTF-8. URLs are ISO-8859-1 with anything else percent-encoded.
//! - **More than 255 visible chapters is an error.** A `CTOC` holds at most 255 entries; the spec
//!   allows nested tables of contents, but no player is known to show them, so podmark refuses
//!   rather than write a file that players list wrongly. Hidden chapters do not count.
//! - **Chapter images** come from [`Chapter::image`](crate::Chapter::image): a file path (relative
//!   paths are taken relative to the current directory; [`super::images_relative_to`] rebases them
//!   on the chapter file's folder, which is what `podmark tag` does). JPEG and PNG only (checked by
//!   their signature), at most [`MAX_CHAPTER_IMAGE_BYTES`] each; anything else is an error. A URL
//!   image cannot be embedded and gives a warning.
//! - **Write strategy.** When the new tag fits in the old tag's space (frames plus padding), only
//!   that space is rewritten, in one write, then synced: the audio does not move. Otherwise the
//!   new file (tag, then [`TagOptions::padding`] bytes of padding, then the audio copied through a
//!   64 KiB buffer) goes to a temporary file in the same folder, which is synced and renamed over
//!   the old one ([`crate::fsutil::replace_atomically`]). Memory use does not depend on the file's
//!   size. A symbolic link is followed, so the link stays and its target is replaced.
//! - **Re-tagging is byte-identical**: encoding is deterministic and a tag that already holds
//!   exactly the bytes podmark would write is not written at all ([`WriteMode::Unchanged`]).
//! - **Errors leave the file untouched**: everything is read, checked and encoded before the first
//!   byte is written; only a failed in-place write or fsync ([`TagError::WriteFailed`]) may have
//!   left the new tag.
//! - **One writer at a time**: the file is locked (`flock`) before it is read and until the new
//!   one is in place, so two `podmark tag` runs on one file take turns. Read-only files, folders, empty files, non-MP3 data and a tag size pointing
//!   past the end of the file are errors.
//!
//! Limits: an in-place write is a single `write` of the tag's space; a power loss during it can
//! leave that space half old, half new (the audio is never affected, its position does not
//! change). A rewrite replaces hard links with a new file. Only the first ID3v2 tag is read; a
//! second one directly after it is kept as part of the audio.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::audio::id3::{read, write};
use crate::audio::source::u64_of;
use crate::audio::tag::{Id3Version, TagError, TagOptions, TagReport, WriteMode};
use crate::audio::{Container, Sniffed};
use crate::{Chapters, ChaptersError, Timestamp};

/// The largest chapter image podmark embeds: tags are downloaded before the audio starts.
pub const MAX_CHAPTER_IMAGE_BYTES: u64 = 512 * 1024;

/// Embeds chapters, replacing existing ones.
///
/// `chapters` need no duration: the file's exact duration is probed, the last chapter ends there,
/// and chapters past it are an error. See the module documentation for what is written and how.
pub fn embed(path: &Path, chapters: &Chapters, options: &TagOptions) -> Result<TagReport, TagError> {
    // One writer at a time, from before the file is read until the new one is in place.
    let _lock = crate::audio::tag::lock_for_writing(path, options)?;
    let src = Source::open(path)?;
    if chapters.is_empty() {
        return Err(chapters_err(path, "there are no chapters to embed (use strip to remove chapters)"));
    }
    src.check_writable(path)?;
    let duration = audio_duration(&src.real)?;
    let (frames, major, warnings) = src.frames_with(path, chapters, duration, options)?;
    src.apply(path, &frames, major, options, chapters.len(), warnings)
}

/// The file [`embed`] would leave, without writing anything: its first bytes (`head`, the new tag
/// region) and the offset in `path` from which the rest is `path`'s own bytes, to the end. A
/// build makes its tagged copy from these in one pass (the head written, then the audio copied
/// by the kernel) instead of copying the file and then tagging the copy.
///
/// `duration` is the exact duration of `path`'s audio (the caller probed it), which
/// [`embed`] would probe. `path` itself may be read-only: it is only read.
#[derive(Debug)]
pub(crate) struct Spliced {
    /// The new tag region (or the old one, when the file already holds these chapters).
    pub(crate) head: Vec<u8>,
    /// Where the audio starts in the source: the copy continues with its bytes from there…
    pub(crate) audio_from: u64,
    /// …to its end, this many bytes (the source's length when it was read).
    pub(crate) audio_len: u64,
}

/// See [`Spliced`].
pub(crate) fn spliced(
    path: &Path,
    chapters: &Chapters,
    duration: Timestamp,
    options: &TagOptions,
) -> Result<Spliced, TagError> {
    let src = Source::open(path)?;
    if chapters.is_empty() {
        return Err(chapters_err(path, "there are no chapters to embed (use strip to remove chapters)"));
    }
    src.check_version(path)?;
    let (frames, major, _warnings) = src.frames_with(path, chapters, duration, options)?;
    let (head, _in_place) = src.new_head(path, &frames, major, options)?;
    let audio_from = src.tag.as_ref().map_or(0, |t| t.region);
    Ok(Spliced { head, audio_from, audio_len: src.file_len - audio_from })
}

/// Removes chapters (`CHAP` and `CTOC` frames); every other frame stays.
pub fn strip(path: &Path, options: &TagOptions) -> Result<TagReport, TagError> {
    let _lock = crate::audio::tag::lock_for_writing(path, options)?;
    let src = Source::open(path)?;
    let has_chapters = src.tag.as_ref().is_some_and(|t| t.frames.iter().any(read::Frame::is_chapter_frame));
    if !has_chapters {
        return Ok(src.report(path, 0, WriteMode::Unchanged, src.file_len, Vec::new()));
    }
    src.check_writable(path)?;
    let major = src.target_major(options);
    let frames = src.preserved_frames(path, major)?;
    src.apply(path, &frames, major, options, 0, Vec::new())
}

/// Reads the chapters of the file's ID3v2 tag; an empty list when it has none (an ID3v2.2 tag
/// has no chapter frames, so its chapters are an empty list too).
///
/// The list is [`read::to_chapters`] over [`read::chapter_entries`], the same function the probe
/// lists chapters with.
///
/// Chapters come back sorted by start, with titles, descriptions and URLs; a `CHAP` that no
/// table of contents lists is hidden; the last chapter's end becomes the list's duration.
/// Chapter images are not returned ([`Chapter::image`](crate::Chapter::image) holds a path).
pub fn extract(path: &Path) -> Result<Chapters, TagError> {
    let src = Source::open(path)?;
    let Some(tag) = &src.tag else { return Ok(Chapters::empty()) };
    let (chaps, tocs) = read::chapter_frames(tag).map_err(|b| format_err(path, b))?;
    read::to_chapters(&chaps, &tocs).map_err(|m| chapters_err(path, m))
}

/// The exact duration of the audio, from the probe.
fn audio_duration(path: &Path) -> Result<Timestamp, TagError> {
    let info = crate::probe::probe_path(path).map_err(|e| TagError::Format {
        path: path.to_owned(),
        offset: e.offset,
        message: format!("cannot measure the audio: {}", e.kind),
    })?;
    Ok(info.duration)
}

fn chapters_err(path: &Path, message: impl Into<String>) -> TagError {
    TagError::Chapters { path: path.to_owned(), message: message.into() }
}

fn format_err(path: &Path, bad: read::Bad) -> TagError {
    TagError::Format { path: path.to_owned(), offset: bad.offset, message: bad.message }
}

fn io_err(path: &Path, source: io::Error) -> TagError {
    TagError::Io { path: path.to_owned(), source }
}

/// Every problem of a chapter list, each naming the chapter by number and title.
fn describe(e: &ChaptersError, chapters: &Chapters) -> String {
    let parts: Vec<String> = e
        .problems()
        .iter()
        .map(|p| {
            let title = chapters.as_slice().get(p.index).map(|c| c.title.as_str()).unwrap_or_default();
            format!("chapter {} \"{title}\" {}", p.index + 1, p.kind)
        })
        .collect();
    parts.join("; ")
}

/// Reads each chapter's image file (JPEG or PNG, size-checked). URLs are skipped with a warning.
fn load_images(path: &Path, chapters: &Chapters) -> Result<(Vec<Option<write::Image>>, Vec<String>), TagError> {
    let mut images = Vec::with_capacity(chapters.len());
    let mut warnings = Vec::new();
    for (i, c) in chapters.iter().enumerate() {
        let Some(img) = c.image.as_deref().filter(|s| !s.is_empty()) else {
            images.push(None);
            continue;
        };
        let which = format!("chapter {} \"{}\": image \"{img}\"", i + 1, c.title);
        if img.contains("://") {
            warnings.push(format!("{which} is a URL; only image files can be embedded, so it was left out"));
            images.push(None);
            continue;
        }
        let bad = |m: String| chapters_err(path, format!("{which}: {m}"));
        let meta = std::fs::metadata(img).map_err(|e| bad(format!("cannot read it: {e}")))?;
        if !meta.is_file() {
            return Err(bad("is not a file".into()));
        }
        if meta.len() > MAX_CHAPTER_IMAGE_BYTES {
            return Err(bad(format!(
                "is {} bytes; chapter images may be at most {MAX_CHAPTER_IMAGE_BYTES} bytes (they are downloaded \
                 before the audio plays)",
                meta.len()
            )));
        }
        let data = std::fs::read(img).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let mime = if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else {
            let head = data.get(..8).unwrap_or(&data);
            return Err(bad(format!("is not a JPEG or PNG file (it starts with {})", read::quote_bytes(head))));
        };
        images.push(Some(write::Image { mime, data }));
    }
    Ok((images, warnings))
}

/// A file opened for tagging: its tag read and checked, nothing written yet.
struct Source {
    /// The file (symbolic links resolved).
    real: PathBuf,
    file_len: u64,
    read_only: bool,
    tag: Option<read::Tag>,
    /// The bytes of the tag's region, as on disk.
    raw: Vec<u8>,
    /// The major version of an ID3v2 tag podmark cannot rewrite (2.2, which has no chapter
    /// frames, or an unknown one). Such a tag has no chapters to read or strip.
    other_version: Option<u8>,
}

impl Source {
    fn open(path: &Path) -> Result<Source, TagError> {
        let real = std::fs::canonicalize(path).map_err(|e| io_err(path, e))?;
        let meta = std::fs::metadata(&real).map_err(|e| io_err(path, e))?;
        if meta.is_dir() {
            return Err(TagError::Format {
                path: path.to_owned(),
                offset: 0,
                message: "is a directory, not an audio file".into(),
            });
        }
        let file_len = meta.len();
        if file_len == 0 {
            return Err(TagError::Format { path: path.to_owned(), offset: 0, message: "the file is empty".into() });
        }
        // The one sniffer decides; junk before the first frame is part of the audio region.
        let found = crate::audio::tag::sniff(&real)?;
        if found.kind != Sniffed::Supported(Container::Mp3) {
            return Err(TagError::Format {
                path: path.to_owned(),
                offset: found.start,
                message: match found.container() {
                    Ok(_) => format!("not an MP3 file: this is {}", found.describe()),
                    Err(e) => e.kind.to_string(),
                },
            });
        }
        let mut f = File::open(&real).map_err(|e| io_err(path, e))?;
        let mut head = Vec::with_capacity(10);
        (&mut f).take(10).read_to_end(&mut head).map_err(|e| io_err(path, e))?;
        let header = read::header(&head, file_len).map_err(|b| format_err(path, b))?;
        let (tag, raw, other_version) = match header {
            Some(h) if !matches!(h.major, 3 | 4) => (None, Vec::new(), Some(h.major)),
            Some(h) => {
                let mut raw = Vec::new();
                f.seek(SeekFrom::Start(0)).map_err(|e| io_err(path, e))?;
                (&mut f).take(h.region()).read_to_end(&mut raw).map_err(|e| io_err(path, e))?;
                if u64::try_from(raw.len()).ok() != Some(h.region()) {
                    return Err(TagError::Format {
                        path: path.to_owned(),
                        offset: 6,
                        message: "the file is shorter than its ID3v2 tag".into(),
                    });
                }
                (Some(read::tag(h, &raw).map_err(|b| format_err(path, b))?), raw, None)
            }
            None => (None, Vec::new(), None),
        };
        Ok(Source { real, file_len, read_only: meta.permissions().readonly(), tag, raw, other_version })
    }

    /// The tag is one podmark rewrites (not ID3v2.2 or an unknown version).
    fn check_version(&self, path: &Path) -> Result<(), TagError> {
        match self.other_version {
            Some(2) => Err(TagError::Format {
                path: path.to_owned(),
                offset: 3,
                message: "the file has an ID3v2.2 tag, which cannot hold chapters; convert it to ID3v2.3 first \
                          (for example `eyeD3 --to-v2.3 FILE`)"
                    .into(),
            }),
            Some(major) => Err(TagError::Format {
                path: path.to_owned(),
                offset: 3,
                message: format!("unknown ID3 version 2.{major}; podmark writes ID3v2.3 and v2.4"),
            }),
            None => Ok(()),
        }
    }

    fn check_writable(&self, path: &Path) -> Result<(), TagError> {
        self.check_version(path)?;
        if self.read_only {
            return Err(io_err(
                path,
                io::Error::new(io::ErrorKind::PermissionDenied, "the file is read-only; nothing was changed"),
            ));
        }
        Ok(())
    }

    fn target_major(&self, options: &TagOptions) -> read::Major {
        match (options.id3_version, &self.tag) {
            (Some(Id3Version::V23), _) | (None, None) => 3,
            (Some(Id3Version::V24), _) => 4,
            (None, Some(t)) => t.major,
        }
    }

    /// The frames of the new tag (the preserved ones, then the chapters ending at `duration`), its
    /// version and the warnings.
    fn frames_with(
        &self,
        path: &Path,
        chapters: &Chapters,
        duration: Timestamp,
        options: &TagOptions,
    ) -> Result<(Vec<u8>, read::Major, Vec<String>), TagError> {
        let chapters =
            chapters.clone().with_duration(duration).map_err(|e| chapters_err(path, describe(&e, chapters)))?;
        let major = self.target_major(options);
        let (images, mut warnings) = load_images(path, &chapters)?;
        let mut frames = self.preserved_frames(path, major)?;
        let (chapter_frames, more) =
            write::chapter_frames(&chapters, &images, major).map_err(|m| chapters_err(path, m))?;
        frames.extend_from_slice(&chapter_frames);
        warnings.extend(more);
        Ok((frames, major, warnings))
    }

    /// The new tag region for `frames`: the old region's size when they fit it (`true`: the
    /// audio does not move), else the tag with `options.padding` bytes of padding.
    fn new_head(
        &self,
        path: &Path,
        frames: &[u8],
        major: read::Major,
        options: &TagOptions,
    ) -> Result<(Vec<u8>, bool), TagError> {
        let fail = |m: String| chapters_err(path, m);
        let region = self.tag.as_ref().map_or(0, |t| t.region);
        let region_len = usize::try_from(region).unwrap_or(usize::MAX);
        if self.tag.is_some() && frames.len().saturating_add(10) <= region_len {
            let mut new = Vec::with_capacity(region_len);
            new.extend_from_slice(&write::tag_header(major, region_len - 10).map_err(fail)?);
            new.extend_from_slice(frames);
            new.resize(region_len, 0);
            return Ok((new, true));
        }
        let size = frames.len().saturating_add(options.padding);
        let mut new = Vec::with_capacity(size.saturating_add(10));
        new.extend_from_slice(&write::tag_header(major, size).map_err(fail)?);
        new.extend_from_slice(frames);
        new.resize(size.saturating_add(10), 0);
        Ok((new, false))
    }

    /// Every frame but `CHAP`/`CTOC`, encoded for version `major`.
    fn preserved_frames(&self, path: &Path, major: read::Major) -> Result<Vec<u8>, TagError> {
        let mut out = Vec::new();
        let Some(tag) = &self.tag else { return Ok(out) };
        let tag_unsync = tag.major == 4 && tag.flags & 0x80 != 0;
        for f in tag.frames.iter().filter(|f| !f.is_chapter_frame()) {
            let bytes = write::preserved(f, tag.major, major, tag_unsync).map_err(|m| TagError::Format {
                path: path.to_owned(),
                offset: f.offset,
                message: m,
            })?;
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }

    fn report(&self, path: &Path, chapters: usize, mode: WriteMode, after: u64, warnings: Vec<String>) -> TagReport {
        TagReport {
            path: path.to_owned(),
            container: Container::Mp3,
            chapters,
            mode,
            bytes_before: self.file_len,
            bytes_after: after,
            warnings,
        }
    }

    /// Writes `frames` as the file's tag: in place when they fit the old tag's space, else
    /// through a temporary file with `options.padding` bytes of padding.
    fn apply(
        &self,
        path: &Path,
        frames: &[u8],
        major: read::Major,
        options: &TagOptions,
        chapters: usize,
        warnings: Vec<String>,
    ) -> Result<TagReport, TagError> {
        let region = self.tag.as_ref().map_or(0, |t| t.region);
        let (new, in_place) = self.new_head(path, frames, major, options)?;
        if in_place {
            if new == self.raw {
                return Ok(self.report(path, chapters, WriteMode::Unchanged, self.file_len, warnings));
            }
            if options.dry_run {
                return Ok(self.report(path, chapters, WriteMode::DryRun, self.file_len, warnings));
            }
            let mut f = OpenOptions::new().write(true).open(&self.real).map_err(|e| io_err(path, e))?;
            // One `write` of the whole region at offset 0, then fsync; once it has started, a
            // failure may have left the old or the new tag.
            f.write_all(&new)
                .and_then(|()| if options.durable { f.sync_data() } else { Ok(()) })
                .map_err(|source| TagError::WriteFailed { path: path.to_owned(), source })?;
            return Ok(self.report(path, chapters, WriteMode::InPlace, self.file_len, warnings));
        }
        let audio = self.file_len - region;
        let after = u64_of(new.len()).saturating_add(audio);
        if options.dry_run {
            return Ok(self.report(path, chapters, WriteMode::DryRun, after, warnings));
        }
        let mut src = File::open(&self.real).map_err(|e| io_err(path, e))?;
        src.seek(SeekFrom::Start(region)).map_err(|e| io_err(path, e))?;
        crate::fsutil::replace(
            &self.real,
            |w| {
                w.write_all(&new)?;
                let copied = io::copy(&mut (&mut src).take(audio), w)?;
                if copied != audio {
                    return Err(io::Error::other(format!(
                        "the file shrank while it was being copied ({copied} of {audio} audio bytes)"
                    )));
                }
                Ok(())
            },
            options.durable,
        )
        .map_err(|e| io_err(path, e))?;
        Ok(self.report(path, chapters, WriteMode::Rewritten, after, warnings))
    }
}

#[cfg(test)]
#[path = "tag_tests.rs"]
mod tests;
