//! MP4/M4A/M4B chapters: the Nero `chpl` list **and** a QuickTime chapter track, written from the
//! same chapters.
//!
//! Apple's players (Podcasts, Books, Music, AVFoundation) read only the QuickTime chapter track;
//! foobar2000, Mp3tag and mutagen read only `chpl`; FFmpeg, VLC and MediaInfo read both. So
//! [`embed`] writes both:
//!
//! - `moov/udta/chpl` version 1 in 100 ns units ([`chpl`] has the layout);
//! - a disabled `text` track with one sample per chapter in milliseconds, referenced by
//!   `tref/chap` from every enabled audio (and video) track ([`track`] has the layout).
//!
//! # Policies
//!
//! - **More than 255 chapters**: `chpl` has a one-byte count, so it gets the first 255 and the
//!   chapter track gets all of them, with a warning.
//! - **Titles longer than 255 bytes**: cut for `chpl` at the last character boundary at or
//!   before 255 bytes, with a warning; the chapter track keeps the whole title (up to 65,535
//!   bytes, its u16 length).
//! - **First chapter after 0:00**: a QuickTime chapter track has no gaps, and its first sample
//!   starts at 0 (mp4v2 issue #130 shows what goes wrong otherwise), so the first sample covers
//!   0:00 up to the second chapter, as FFmpeg and qaac do; `chpl` keeps the exact start. A warning
//!   says so.
//! - **Last chapter**: ends at the audio duration as the probe measures it (the edit list
//!   applied, rounded to the millisecond the track can express).
//! - **Starts** are rounded to the millisecond for the track (two chapters in the same
//!   millisecond are an error) and to 100 ns for `chpl`.
//! - **Hidden chapters** are left out: MP4 chapter lists have no hidden entries.
//! - **URLs** go into a 3GPP `href` box in the chapter's sample (at most 255 bytes; longer ones
//!   are left out with a warning). **Chapter images** are not written (a warning says so).
//! - **Replacing**: the text chapter tracks referenced by `tref/chap`, every `chap` reference to
//!   them and every `chpl` are removed first, so tagging twice gives the same bytes. A
//!   **chapter-image track** (a `vide` track with `jpeg`/`png ` samples that `tref/chap` names, as
//!   Auphonic and Hindenburg write) is kept with its samples and its `chap` reference; the report
//!   says so (its pictures keep their old times).
//! - **Which track holds the chapters** when reading (`track::chapter_tracks`): the text tracks
//!   the audio track's `tref/chap` names, the last of them when there are several (what ffprobe
//!   shows); never an image track. `probe` and `chapters extract` read them with the same
//!   function, `file_chapters`.
//!
//! Everything else in `moov` (`©nam`, `©ART`, `covr`, other tracks) is kept byte for byte, and
//! audio samples are never touched. [`layout`] describes where the boxes go and when the file is
//! rewritten in place or through a temporary file.

mod boxes;
mod chpl;
mod layout;
mod meta;
mod properties;
mod track;

pub use properties::*;

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use boxes::{BoxError, Header, MovieHeader, Node, ReadError};

use crate::audio::Container;
use crate::audio::tag::{TagError, TagOptions, TagReport, WriteMode};
use crate::{Chapter, Chapters, Timestamp};

/// Largest `moov` box read into memory (a 24-hour audiobook's is a few MB).
const MAX_MOOV: u64 = 256 << 20;

/// Why an operation failed, before the file name is attached.
#[derive(Debug)]
enum Failure {
    Format(BoxError),
    Chapters(String),
    Io(io::Error),
}

impl From<BoxError> for Failure {
    fn from(e: BoxError) -> Self {
        Failure::Format(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Format(b) => Failure::Format(b),
            ReadError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Failure::Format(BoxError::new(0, "the file ends in the middle of a box"))
            }
            ReadError::Io(e) => Failure::Io(e),
        }
    }
}

impl Failure {
    fn at(self, path: &Path) -> TagError {
        let path = path.to_owned();
        match self {
            Failure::Format(e) => TagError::Format { path, offset: e.offset, message: e.message },
            Failure::Chapters(message) => TagError::Chapters { path, message },
            Failure::Io(source) => TagError::Io { path, source },
        }
    }
}

/// The file's structure: its top-level boxes and the parsed `moov`.
struct Structure {
    len: u64,
    tops: Vec<Header>,
    moov_index: usize,
    moov: Node,
}

fn load<R: Read + Seek>(r: &mut R) -> Result<Structure, Failure> {
    let len = r.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Err(BoxError::new(0, "the file is empty").into());
    }
    let head = boxes::read_at(r, 0, len.min(8))?;
    if head.get(4..8) != Some(b"ftyp".as_slice()) {
        return Err(BoxError::new(0, "not an MP4 file: it does not start with an 'ftyp' box").into());
    }
    let tops = boxes::top_level(r, len)?;
    if let Some(h) = tops.iter().find(|h| &h.kind == b"moof") {
        return Err(BoxError::new(h.offset, "fragmented MP4 ('moof' box) is not supported for tagging").into());
    }
    let mut moovs = tops.iter().enumerate().filter(|(_, h)| &h.kind == b"moov");
    let Some((moov_index, m)) = moovs.next() else {
        return Err(BoxError::new(len, "no 'moov' box (the file may be an incomplete download)").into());
    };
    if let Some((_, second)) = moovs.next() {
        return Err(BoxError::new(second.offset, "a second 'moov' box").into());
    }
    if m.size > MAX_MOOV {
        return Err(BoxError::new(m.offset, format!("'moov' box of {} bytes is larger than {MAX_MOOV}", m.size)).into());
    }
    let bytes = boxes::read_at(r, m.offset, m.size)?;
    let moov = Node::parse_root(&bytes, m.offset)?;
    if let Some(mvex) = moov.child(b"mvex") {
        return Err(BoxError::new(
            mvex.offset.unwrap_or(m.offset),
            "fragmented MP4 ('mvex' box) is not supported for tagging",
        )
        .into());
    }
    Ok(Structure { len, tops, moov_index, moov })
}

/// The chapters as the two forms store them, and what had to change to fit.
struct Prepared {
    samples: Vec<track::Sample>,
    total_ms: u64,
    chpl: Vec<chpl::Entry>,
    warnings: Vec<String>,
}

fn quote(s: &str) -> String {
    let short = chpl::cut_utf8(s, 60);
    if short.len() < s.len() { format!("\"{short}…\"") } else { format!("\"{s}\"") }
}

/// Converts chapters to samples and `chpl` entries for audio of `duration`.
fn prepare(chapters: &Chapters, duration: Timestamp) -> Result<Prepared, String> {
    let mut warnings = Vec::new();
    let hidden = chapters.iter().filter(|c| c.hidden).count();
    let visible: Vec<&Chapter> = chapters.iter().filter(|c| !c.hidden).collect();
    if hidden > 0 {
        warnings.push(format!("{hidden} hidden chapter(s) left out: MP4 chapter lists have no hidden chapters"));
    }
    if visible.is_empty() {
        return Err(format!(
            "all {} chapters are hidden; MP4 chapter lists cannot hold hidden chapters",
            chapters.len()
        ));
    }
    let total_ms = duration.as_millis();
    let mut problems = Vec::new();
    let mut starts = Vec::with_capacity(visible.len());
    for (i, c) in visible.iter().enumerate() {
        let ms = if i == 0 { 0 } else { c.start.as_millis() };
        if c.start >= duration || ms >= total_ms {
            problems.push(format!(
                "chapter {} {} starts at {}, at or after the end of the audio ({duration})",
                i + 1,
                quote(&c.title),
                c.start
            ));
        } else if let Some(&prev) = starts.last()
            && ms <= prev
        {
            problems.push(format!(
                "chapter {} {} starts at {}, in the same millisecond as the chapter before it (MP4 chapter tracks count milliseconds)",
                i + 1,
                quote(&c.title),
                c.start
            ));
        }
        starts.push(ms);
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if let Some(first) = visible.first()
        && first.start.as_millis() > 0
    {
        warnings.push(format!(
            "the first chapter {} starts at {}; the QuickTime chapter track starts it at 0:00 (its first sample always \
             starts at the beginning), chpl keeps {}",
            quote(&first.title),
            first.start,
            first.start
        ));
    }

    let mut samples = Vec::with_capacity(visible.len());
    let mut long_urls = Vec::new();
    let mut images = 0usize;
    let mut gaps = Vec::new();
    for (i, c) in visible.iter().enumerate() {
        let start = starts.get(i).copied().unwrap_or(0);
        let end = starts.get(i + 1).copied().unwrap_or(total_ms);
        let Ok(length) = u32::try_from(end - start) else {
            return Err(format!("chapter {} {} lasts longer than 49 days", i + 1, quote(&c.title)));
        };
        let title = chpl::cut_utf8(&c.title, track::MAX_TITLE_BYTES);
        if title.len() < c.title.len() {
            warnings.push(format!("chapter {} title cut to {} bytes for the chapter track", i + 1, title.len()));
        }
        let url = c.url.as_deref().filter(|u| !u.is_empty());
        if let Some(u) = url
            && u.len() > track::MAX_URL_BYTES
        {
            long_urls.push(i + 1);
        }
        images += usize::from(c.image.is_some());
        let next = visible.get(i + 1).map_or(duration_end(chapters), |n| Some(n.start));
        if let (Some(end), Some(next)) = (c.end, next)
            && end < next
        {
            gaps.push(i + 1);
        }
        samples.push(track::Sample { duration: length, bytes: track::sample_bytes(title, url) });
    }
    if !long_urls.is_empty() {
        warnings.push(format!(
            "URL(s) of chapter(s) {} are longer than {} bytes and were left out of the chapter track",
            list(&long_urls),
            track::MAX_URL_BYTES
        ));
    }
    if images > 0 {
        warnings.push(format!("{images} chapter image(s) not written: podmark does not write MP4 chapter images"));
    }
    if !gaps.is_empty() {
        warnings.push(format!(
            "chapter(s) {} end before the next one starts; MP4 chapters have no gaps, so each runs until the next",
            list(&gaps)
        ));
    }

    let mut entries = Vec::with_capacity(visible.len().min(chpl::MAX_ENTRIES));
    let mut cut = Vec::new();
    for (i, c) in visible.iter().take(chpl::MAX_ENTRIES).enumerate() {
        let title = chpl::cut_utf8(&c.title, chpl::MAX_TITLE_BYTES);
        if title.len() < c.title.len() {
            cut.push(i + 1);
        }
        entries.push(chpl::Entry { start: c.start.round_to(100) / 100, title: title.to_owned() });
    }
    if visible.len() > chpl::MAX_ENTRIES {
        warnings.push(format!(
            "{} chapters, but chpl holds at most {}: chapters {}–{} are only in the QuickTime chapter track \
             (mutagen, foobar2000 and Mp3tag show the first {})",
            visible.len(),
            chpl::MAX_ENTRIES,
            chpl::MAX_ENTRIES + 1,
            visible.len(),
            chpl::MAX_ENTRIES
        ));
    }
    if !cut.is_empty() {
        warnings.push(format!(
            "title(s) of chapter(s) {} are longer than {} bytes: cut at a character boundary in chpl (the chapter \
             track keeps them whole)",
            list(&cut),
            chpl::MAX_TITLE_BYTES
        ));
    }
    Ok(Prepared { samples, total_ms, chpl: entries, warnings })
}

fn duration_end(chapters: &Chapters) -> Option<Timestamp> {
    chapters.duration()
}

/// "1, 2, 3" (at most 10, then "…").
fn list(items: &[usize]) -> String {
    let mut s: Vec<String> = items.iter().take(10).map(ToString::to_string).collect();
    if items.len() > 10 {
        s.push(format!("… ({} in all)", items.len()));
    }
    s.join(", ")
}

/// The edited `moov` and what the layout needs to place it.
struct Edited {
    draft: layout::Draft,
    /// Chunk offsets of the tracks that stay, sorted.
    remaining: Vec<u64>,
    /// Chunk offsets of the chapter tracks removed, sorted.
    removed: Vec<u64>,
    /// Whether anything was removed or added.
    changed: bool,
    /// What was kept that the caller should know about (chapter image tracks).
    notes: Vec<String>,
}

/// Removes the chapter tracks, their `chap` references and `chpl`; then, with `new`, adds a
/// chapter track, references to it and a `chpl`.
fn edit(moov: Node, new: Option<&Prepared>) -> Result<Edited, Failure> {
    let infos = track::tracks(&moov)?;
    let mvhd = MovieHeader::read(&moov)?;
    let moov_at = moov.body_offset();
    let referenced: BTreeSet<u32> = infos.iter().flat_map(|t| t.chap_refs.iter().copied()).collect();
    // Text chapter tracks are replaced; chapter image tracks (and their references) stay.
    let removed_ids: BTreeSet<u32> =
        infos.iter().filter(|t| referenced.contains(&t.id) && t.is_text()).map(|t| t.id).collect();
    let mut notes = Vec::new();
    for t in infos.iter().filter(|t| referenced.contains(&t.id) && !t.is_text() && t.is_image()) {
        let count = moov.children().get(t.index).map_or(0, track::sample_count);
        notes.push(format!(
            "kept the chapter-image track (track {}, {count} {} image(s)); its images keep their old times",
            t.id,
            t.image_format()
        ));
    }
    let removed_index: BTreeSet<usize> =
        infos.iter().filter(|t| removed_ids.contains(&t.id)).map(|t| t.index).collect();

    let mut removed = Vec::new();
    for &i in &removed_index {
        let stbl = moov.children().get(i).and_then(|t| t.path(&[b"mdia", b"minf", b"stbl"]));
        // A damaged chapter track is dropped all the same; its chunks just are not known.
        if let Some(Ok(Some(c))) = stbl.map(boxes::chunk_offsets) {
            removed.extend(c.offsets);
        }
    }
    removed.sort_unstable();

    let mut out = moov;
    let mut changed = !removed_index.is_empty();
    let mut children: Vec<Node> = Vec::new();
    for (i, mut n) in out.children_mut().map(std::mem::take).unwrap_or_default().into_iter().enumerate() {
        if removed_index.contains(&i) {
            continue;
        }
        if &n.kind == b"trak" {
            changed |= drop_chap_refs(&mut n, &removed_ids);
        }
        if &n.kind == b"udta"
            && let Some(c) = n.children_mut()
        {
            let before = c.len();
            c.retain(|b| &b.kind != b"chpl");
            changed |= c.len() != before;
        }
        children.push(n);
    }

    let mut chapter_trak = None;
    let mut chapter_data = Vec::new();
    let mut chapter_sizes = Vec::new();
    if let Some(p) = new {
        let mut mvhd = mvhd;
        let max_id = infos.iter().filter(|t| !removed_ids.contains(&t.id)).map(|t| t.id).max().unwrap_or(0);
        let id = max_id
            .checked_add(1)
            .filter(|&i| i < u32::MAX)
            .ok_or_else(|| BoxError::new(moov_at, "no track ID left for a chapter track"))?;
        let duration_movie = rescale(p.total_ms, u64::from(mvhd.timescale), 1000);
        let trak = track::build_trak(id, duration_movie, &p.samples, 0);
        chapter_data = p.samples.iter().flat_map(|s| s.bytes.iter().copied()).collect();
        chapter_sizes = p.samples.iter().map(|s| u64::try_from(s.bytes.len()).unwrap_or(u64::MAX)).collect();

        // tref/chap from every enabled audio or video track that is not itself a chapter track
        // (else the first audio track).
        let is_av = |n: &Node| boxes::handler(n).is_ok_and(|h| &h == b"soun" || &h == b"vide");
        let enabled = |n: &Node| boxes::track_header(n).is_ok_and(|h| h.enabled && !referenced.contains(&h.id));
        let mut targets: Vec<usize> = children
            .iter()
            .enumerate()
            .filter(|(_, n)| &n.kind == b"trak" && is_av(n) && enabled(n))
            .map(|(i, _)| i)
            .collect();
        if targets.is_empty() {
            targets.extend(
                children.iter().position(|n| &n.kind == b"trak" && boxes::handler(n).is_ok_and(|h| &h == b"soun")),
            );
        }
        if targets.is_empty() {
            return Err(BoxError::new(moov_at, "no audio track to attach chapters to").into());
        }
        for &t in &targets {
            if let Some(n) = children.get_mut(t) {
                add_chap_ref(n, id);
            }
        }
        let at = children.iter().rposition(|n| &n.kind == b"trak").map_or(children.len(), |i| i + 1);
        children.insert(at, trak);
        chapter_trak = Some(at);

        let chpl = chpl::build(&p.chpl);
        match children.iter_mut().find(|n| &n.kind == b"udta").and_then(Node::children_mut) {
            Some(udta) => udta.push(chpl),
            None => children.push(Node::container(b"udta", vec![chpl])),
        }
        mvhd.next_track_id = mvhd.next_track_id.max(id + 1);
        mvhd.duration = mvhd.duration.max(duration_movie);
        if let Some(c) = out.children_mut() {
            *c = children;
        }
        mvhd.write(&mut out);
        changed = true;
    } else if let Some(c) = out.children_mut() {
        *c = children;
    }

    let mut tables = Vec::new();
    let mut remaining = Vec::new();
    for (i, n) in out.children().iter().enumerate() {
        if &n.kind != b"trak" || Some(i) == chapter_trak {
            continue;
        }
        let Some(stbl) = n.path(&[b"mdia", b"minf", b"stbl"]) else { continue };
        if let Some(c) = boxes::chunk_offsets(stbl)? {
            remaining.extend_from_slice(&c.offsets);
            tables.push((i, c.offsets));
        }
    }
    remaining.sort_unstable();
    Ok(Edited {
        draft: layout::Draft { moov: out, tables, chapter_trak, chapter_data, chapter_sizes },
        remaining,
        removed,
        changed,
        notes,
    })
}

/// `value × to / from`, rounded to nearest, saturating.
fn rescale(value: u64, to: u64, from: u64) -> u64 {
    if from == 0 {
        return 0;
    }
    let r = (u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    u64::try_from(r).unwrap_or(u64::MAX)
}

/// Removes `ids` from the track's `tref/chap`, and empty `chap`/`tref` boxes. Returns whether
/// anything changed.
fn drop_chap_refs(trak: &mut Node, ids: &BTreeSet<u32>) -> bool {
    let Some(tref) = trak.child_mut(b"tref") else { return false };
    let mut changed = false;
    if let Some(refs) = tref.children_mut() {
        for chap in refs.iter_mut().filter(|n| &n.kind == b"chap") {
            let kept: Vec<u8> = chap
                .data()
                .chunks_exact(4)
                .filter(|b| boxes::be_u32(b, 0).is_none_or(|id| !ids.contains(&id)))
                .flatten()
                .copied()
                .collect();
            if kept.len() != chap.data().len() {
                *chap = Node { kind: *b"chap", large: chap.large, offset: chap.offset, body: boxes::Body::Leaf(kept) };
                changed = true;
            }
        }
        let before = refs.len();
        refs.retain(|n| !(&n.kind == b"chap" && n.data().is_empty()));
        changed |= refs.len() != before;
    }
    if tref.children().is_empty() {
        if let Some(c) = trak.children_mut() {
            c.retain(|n| &n.kind != b"tref");
        }
        changed = true;
    }
    changed
}

/// Adds `id` to the track's `tref/chap`, creating the boxes (after `edts`, or `tkhd`) if needed.
fn add_chap_ref(trak: &mut Node, id: u32) {
    if let Some(tref) = trak.child_mut(b"tref") {
        if let Some(chap) = tref.child_mut(b"chap") {
            let mut data = chap.data().to_vec();
            data.extend_from_slice(&id.to_be_bytes());
            chap.body = boxes::Body::Leaf(data);
        } else if let Some(c) = tref.children_mut() {
            c.push(Node::leaf(b"chap", id.to_be_bytes().to_vec()));
        }
        return;
    }
    let Some(c) = trak.children_mut() else { return };
    let at = c
        .iter()
        .position(|n| &n.kind == b"edts")
        .or_else(|| c.iter().position(|n| &n.kind == b"tkhd"))
        .map_or(0, |i| i + 1);
    c.insert(at, Node::container(b"tref", vec![Node::leaf(b"chap", id.to_be_bytes().to_vec())]));
}

/// The audio duration the probe measures (edit list applied).
fn audio_duration<R: Read + Seek>(r: &mut R) -> Result<Timestamp, Failure> {
    r.seek(SeekFrom::Start(0))?;
    let info = crate::probe::Probe::new()
        .chapters(false)
        .probe_reader(&mut *r)
        .map_err(|e| Failure::Format(BoxError::new(e.offset, format!("cannot measure the audio: {}", e.kind))))?;
    Ok(info.duration)
}

/// Everything decided before writing.
struct Planned {
    layout: layout::Layout,
    unchanged: bool,
    chapters: usize,
    warnings: Vec<String>,
    len: u64,
}

fn plan<R: Read + Seek>(r: &mut R, chapters: Option<&Chapters>, options: &TagOptions) -> Result<Planned, Failure> {
    let s = load(r)?;
    // Checks the movie header even when only stripping: a 'moov' without one is not a movie.
    MovieHeader::read(&s.moov)?;
    let (prepared, count) = match chapters.filter(|c| !c.is_empty()) {
        Some(c) => {
            let duration = audio_duration(r)?;
            let p = prepare(c, duration).map_err(Failure::Chapters)?;
            let n = p.samples.len();
            (Some(p), n)
        }
        None => (None, 0),
    };
    let edited = edit(s.moov, prepared.as_ref())?;
    let region = layout::region(&s.tops, s.moov_index, &edited.remaining, &edited.removed)?;
    let padding = u64::try_from(options.padding).unwrap_or(u64::MAX);
    let layout = layout::plan(&edited.draft, &region, s.len, padding)?;
    let unchanged = !edited.changed || layout.matches(r)?;
    let mut warnings = prepared.map(|p| p.warnings).unwrap_or_default();
    warnings.extend(edited.notes);
    Ok(Planned { layout, unchanged, chapters: count, warnings, len: s.len })
}

fn report(path: &Path, p: &Planned, mode: WriteMode) -> TagReport {
    let after = if matches!(mode, WriteMode::Unchanged) { p.len } else { p.layout.new_len };
    TagReport {
        path: path.to_owned(),
        container: Container::Mp4,
        chapters: p.chapters,
        mode,
        bytes_before: p.len,
        bytes_after: after,
        warnings: p.warnings.clone(),
    }
}

fn write_path(path: &Path, chapters: Option<&Chapters>, options: &TagOptions) -> Result<TagReport, TagError> {
    // Through a symlink, the file it points to is what gets written (in place or replaced), so
    // the link stays a link, as with MP3.
    let target = std::fs::canonicalize(path).map_err(|e| Failure::Io(e).at(path))?;
    let target = target.as_path();
    // One writer at a time, from before the file is read until the new one is in place.
    let _lock = crate::audio::tag::lock_for_writing(target, options).map_err(|e| with_path(e, path))?;
    let mut file = File::open(target).map_err(|e| Failure::Io(e).at(path))?;
    let p = plan(&mut file, chapters, options).map_err(|e| e.at(path))?;
    if p.unchanged {
        return Ok(report(path, &p, WriteMode::Unchanged));
    }
    if options.dry_run {
        return Ok(report(path, &p, WriteMode::DryRun));
    }
    match p.layout.mode {
        layout::Mode::InPlace { .. } => {
            drop(file);
            // The whole new region, built in memory, goes to the file in one `write` (see
            // DESIGN.md for what that guarantees), then fsync.
            let region = p.layout.region_bytes();
            let mut f = OpenOptions::new().write(true).open(target).map_err(|e| Failure::Io(e).at(path))?;
            f.seek(SeekFrom::Start(p.layout.start)).map_err(|e| Failure::Io(e).at(path))?;
            f.write_all(&region)
                .and_then(|()| if options.durable { f.sync_all() } else { Ok(()) })
                .map_err(|source| TagError::WriteFailed { path: path.to_owned(), source })?;
            Ok(report(path, &p, WriteMode::InPlace))
        }
        layout::Mode::Rewrite { .. } => {
            crate::fsutil::replace(target, |w| p.layout.write_file(&mut file, w, p.len), options.durable)
                .map_err(|e| Failure::Io(e).at(path))?;
            Ok(report(path, &p, WriteMode::Rewritten))
        }
    }
}

/// `e` naming `path` (as given) instead of the resolved file.
fn with_path(e: TagError, path: &Path) -> TagError {
    match e {
        TagError::Io { source, .. } => TagError::Io { path: path.to_owned(), source },
        other => other,
    }
}

/// Embeds chapters, replacing existing ones: a `chpl` list and a QuickTime chapter track (see the
/// module docs for the policies). An empty list strips. The file is unchanged on any error.
pub fn embed(path: &Path, chapters: &Chapters, options: &TagOptions) -> Result<TagReport, TagError> {
    write_path(path, Some(chapters), options)
}

/// Removes the chapter tracks, their `tref/chap` references and the `chpl` list.
pub fn strip(path: &Path, options: &TagOptions) -> Result<TagReport, TagError> {
    write_path(path, None, options)
}

/// Reads chapters: titles and URLs from the QuickTime chapter track, with `chpl`'s 100 ns starts
/// where the two agree to the millisecond (and for the first chapter, which the track always
/// starts at 0); `chpl` alone when there is no track. The list carries the audio duration.
pub fn extract(path: &Path) -> Result<Chapters, TagError> {
    let mut file = File::open(path).map_err(|e| Failure::Io(e).at(path))?;
    read_chapters(&mut file).map_err(|e| e.at(path))
}

/// The title, date and cover of the iTunes metadata (`©nam`, `©day`, `covr`); see
/// [`crate::audio::metadata::read`].
pub(crate) fn read_metadata(path: &Path) -> Result<crate::audio::metadata::Metadata, TagError> {
    let mut file = File::open(path).map_err(|e| Failure::Io(e).at(path))?;
    meta::read(&mut file).map_err(|e| e.at(path))
}

/// Name used in errors and reports of the stream functions.
const STREAM: &str = "<stream>";

/// [`embed`] from a reader to a writer: writes the whole tagged file to `output` (unless
/// `options.dry_run`), exactly the bytes [`embed`] leaves on disk. An empty list strips.
pub fn embed_stream<R: Read + Seek, W: Write>(
    mut input: R,
    mut output: W,
    chapters: &Chapters,
    options: &TagOptions,
) -> Result<TagReport, TagError> {
    let path = PathBuf::from(STREAM);
    let p = plan(&mut input, Some(chapters), options).map_err(|e| e.at(&path))?;
    let mode = if options.dry_run {
        WriteMode::DryRun
    } else {
        p.layout.write_file(&mut input, &mut output, p.len).map_err(|e| Failure::Io(e).at(&path))?;
        if p.unchanged { WriteMode::Unchanged } else { WriteMode::Rewritten }
    };
    Ok(report(&path, &p, mode))
}

/// [`extract`] from a reader.
pub fn extract_from<R: Read + Seek>(mut input: R) -> Result<Chapters, TagError> {
    read_chapters(&mut input).map_err(|e| e.at(Path::new(STREAM)))
}

fn read_chapters<R: Read + Seek>(r: &mut R) -> Result<Chapters, Failure> {
    let s = load(r)?;
    let found = file_chapters(r, &s.moov)?;
    let chapters =
        Chapters::new(found.list).map_err(|e| Failure::Chapters(format!("the file's chapters are not valid: {e}")))?;
    let duration = audio_duration(r).ok();
    Ok(match duration {
        Some(d) => chapters.clone().with_duration(d).unwrap_or(chapters),
        None => chapters,
    })
}

/// Where a file's chapters were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The QuickTime chapter text track (with `chpl`'s exact starts where they agree).
    Track,
    /// The Nero `chpl` list alone.
    Nero,
}

/// A file's chapters, as both `probe` and `chapters extract` read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileChapters {
    /// The chapters, in file order (not validated).
    pub(crate) list: Vec<Chapter>,
    /// Where they came from (`None` without chapters).
    pub(crate) origin: Option<Origin>,
    /// The text track and the `chpl` list disagree on the count: (track, chpl).
    pub(crate) count_mismatch: Option<(usize, usize)>,
    /// Chapter image tracks: (track ID, images, format).
    pub(crate) images: Vec<(u32, u64, &'static str)>,
}

/// Reads the chapters of the file whose `moov` is `moov`: titles and URLs from the chapter text
/// track players choose (`track::chapter_tracks`), with `chpl`'s 100 ns starts where the two
/// agree to the millisecond (and for the first chapter, which the track always starts at 0);
/// `chpl` alone when there is no text track.
pub(crate) fn file_chapters<R: Read + Seek>(r: &mut R, moov: &Node) -> Result<FileChapters, ReadError> {
    let mvhd = MovieHeader::read(moov)?;
    let infos = track::tracks(moov)?;
    let chosen = track::chapter_tracks(&infos);
    let images = chosen
        .images
        .iter()
        .map(|t| (t.id, moov.children().get(t.index).map_or(0, track::sample_count), t.image_format()))
        .collect();
    let qt = match chosen.text.and_then(|t| moov.children().get(t.index)) {
        Some(trak) => track::read(r, trak, mvhd.timescale)?,
        None => Vec::new(),
    };
    let nero = match moov.path(&[b"udta", b"chpl"]) {
        Some(n) => chpl::parse(n)?,
        None => Vec::new(),
    };
    let nero_start = |e: &chpl::Entry| Timestamp::from_nanos(e.start.saturating_mul(100));
    let (list, origin): (Vec<Chapter>, _) = if qt.is_empty() {
        let list = nero.iter().map(|e| Chapter::new(nero_start(e), e.title.clone())).collect::<Vec<_>>();
        let origin = if list.is_empty() { None } else { Some(Origin::Nero) };
        (list, origin)
    } else {
        let list = qt
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let exact = nero.get(i).map(nero_start).filter(|&n| {
                    n.rounded_to_millis() == q.start.rounded_to_millis() || (i == 0 && q.start == Timestamp::ZERO)
                });
                let mut c = Chapter::new(exact.unwrap_or(q.start), q.title.clone());
                c.url = q.url.clone();
                c
            })
            .collect();
        (list, Some(Origin::Track))
    };
    let count_mismatch =
        (!qt.is_empty() && !nero.is_empty() && nero.len() != qt.len()).then_some((qt.len(), nero.len()));
    Ok(FileChapters { list, origin, count_mismatch, images })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn chapters(list: Vec<Chapter>) -> Chapters {
        Chapters::new(list).unwrap()
    }

    #[test]
    fn prepare_policies() {
        let c = chapters(vec![
            Chapter::new(t("0:05"), "Late start"),
            Chapter::new(t("0:10.0004"), "B").with_url("https://example.com/b"),
            Chapter::new(t("0:20"), "Hidden").hidden(true),
        ]);
        let p = prepare(&c, t("0:30")).unwrap();
        assert_eq!(p.samples.iter().map(|s| s.duration).collect::<Vec<_>>(), vec![10_000, 20_000]);
        assert_eq!(p.total_ms, 30_000);
        assert_eq!(p.chpl.iter().map(|e| e.start).collect::<Vec<_>>(), vec![50_000_000, 100_004_000]);
        assert!(p.warnings.iter().any(|w| w.contains("hidden")), "{:?}", p.warnings);
        assert!(p.warnings.iter().any(|w| w.contains("starts it at 0:00")), "{:?}", p.warnings);
        assert_eq!(track::parse_sample(&p.samples[1].bytes, 0).unwrap().1.as_deref(), Some("https://example.com/b"));
    }

    #[test]
    fn prepare_rejects_chapters_past_the_end_and_same_millisecond() {
        let c = chapters(vec![
            Chapter::new(t("0"), "A"),
            Chapter::new(t("0:01.0001"), "B"),
            Chapter::new(t("0:01.0003"), "C"),
        ]);
        let e = prepare(&c, t("0:30")).err().unwrap();
        assert!(e.contains("chapter 3 \"C\"") && e.contains("same millisecond"), "{e}");
        let c = chapters(vec![
            Chapter::new(t("0"), "A"),
            Chapter::new(t("0:40"), "Late"),
            Chapter::new(t("0:50"), "Later"),
        ]);
        let e = prepare(&c, t("0:30")).err().unwrap();
        assert!(e.contains("chapter 2 \"Late\"") && e.contains("chapter 3 \"Later\""), "{e}");
    }

    #[test]
    fn prepare_caps_chpl_and_cuts_titles_on_char_boundaries() {
        let title = "é".repeat(150); // 300 bytes
        let list: Vec<Chapter> =
            (0..300).map(|i| Chapter::new(Timestamp::from_secs(i).unwrap(), title.clone())).collect();
        let p = prepare(&chapters(list), t("10:00")).unwrap();
        assert_eq!(p.samples.len(), 300);
        assert_eq!(p.chpl.len(), 255);
        assert!(p.chpl.iter().all(|e| e.title.len() == 254));
        assert_eq!(track::parse_sample(&p.samples[299].bytes, 0).unwrap().0, title);
        let w = p.warnings.join("\n");
        assert!(w.contains("chapters 256–300 are only in the QuickTime chapter track"), "{w}");
        assert!(w.contains("cut at a character boundary"), "{w}");
        // mutagen 1.48 reads chpl in fixed 100 ns units, whatever the movie timescale: no warning.
        assert!(!w.contains("timescale"), "{w}");
    }
}
