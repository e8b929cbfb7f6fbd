//! Where the new `moov` and the chapter samples go, and how the file is written.
//!
//! The **region** is the `moov` box plus the run of boxes right after it that only podmark's
//! own edits use: `free`/`skip`/`wide` padding, `mdat` boxes that hold nothing but samples of
//! the chapter tracks being replaced, and, when an `mdat` with audio follows, the start of that
//! `mdat` up to its first chunk that stays. Its place does not change, so a file whose `moov` came
//! before the audio keeps it there (progressive playback).
//!
//! The chapter samples are one chunk each (see [`track`](super::track)) and sit right after the
//! new `moov`, in the `mdat` that follows it:
//!
//! - **`moov` before the audio** (the region ends inside the audio `mdat`): the new region is the
//!   new `moov`, then a new `mdat` header whose box runs to the end of the old audio `mdat`, the
//!   chapter samples, and zeros up to the first audio chunk (the old `mdat` header among them).
//!   So the file has one `mdat` after `moov`, and it starts with the chapters: music-metadata
//!   (which reads the chapter samples of every `mdat` after `moov` in one forward pass) finds them
//!   there, and no second `mdat` sends it backwards.
//! - **`moov` after the audio**: the new `moov`, one small `mdat` with the chapter samples, and a
//!   `free` box. Readers that stream the file (music-metadata) meet the `moov` first and then the
//!   chapter `mdat`.
//!
//! - **In place**: when the new `moov` and chapter `mdat` fit in the old region exactly or with at
//!   least 8 bytes to spare (a `free` box fills the rest), only the region is rewritten; no chunk
//!   of audio moves. The whole region (content and padding) is built in memory and written with
//!   one `write` at its offset, then fsynced, so no reader or killed process ever sees the new
//!   `moov` without its padding box (a region over 64 MiB is rewritten instead).
//! - **Rewrite**: otherwise the file is copied to a temporary file in the same folder (streamed in
//!   64 KiB blocks, so memory does not grow with the file), with the new region and
//!   [`TagOptions::padding`](crate::tag::TagOptions) bytes of `free` space after it so that the
//!   next edit fits in place, then fsynced and renamed over the original. Every `stco`/`co64`
//!   entry that points past the region is moved by the change in size; a table whose entries no
//!   longer fit in 32 bits becomes a `co64`.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::boxes::{self, BoxError, Header, Node};

/// The largest region rewritten in place (it is built in memory and written with one `write`);
/// a larger one (a `moov` over 64 MiB, or a huge `free` box after it) means a rewrite.
const MAX_IN_PLACE: u64 = 64 << 20;

/// Top-level box types that are only padding.
fn is_padding(kind: &[u8; 4]) -> bool {
    matches!(kind, b"free" | b"skip" | b"wide")
}

/// Whether any of the sorted `offsets` lies in `[from, to)`.
fn any_in(offsets: &[u64], from: u64, to: u64) -> bool {
    let i = offsets.partition_point(|&o| o < from);
    offsets.get(i).is_some_and(|&o| o < to)
}

/// The part of the file the new `moov` and chapter samples replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    /// Where the old `moov` starts.
    pub(crate) start: u64,
    /// Where the region ends: at a box boundary, or at the first kept chunk of an `mdat`.
    pub(crate) end: u64,
    /// With the region ending inside an `mdat`: where that `mdat` ends. The new region then opens
    /// a new `mdat` header that runs to there.
    pub(crate) mdat_end: Option<u64>,
}

/// The region that can be replaced: from the `moov` box at `tops[moov]` up to the end of the run
/// of padding and chapter-only `mdat` boxes after it, or into the `mdat` that holds the next kept
/// chunk, up to that chunk. `remaining` and `removed` are the sorted chunk offsets of the tracks
/// that stay and of the chapter tracks being dropped.
pub(crate) fn region(tops: &[Header], moov: usize, remaining: &[u64], removed: &[u64]) -> Result<Region, BoxError> {
    let Some(m) = tops.get(moov) else { return Err(BoxError::new(0, "no 'moov' box")) };
    if let Some(&o) = remaining.iter().find(|&&o| o >= m.offset && o < m.end()) {
        return Err(BoxError::new(o, "a chunk offset points inside the 'moov' box"));
    }
    let mut end = m.end();
    for h in tops.iter().skip(moov + 1) {
        if any_in(remaining, h.offset, h.end()) {
            if &h.kind == b"mdat" {
                let first = remaining.get(remaining.partition_point(|&o| o < h.offset)).copied().unwrap_or(h.end());
                if first >= h.body_start() {
                    return Ok(Region { start: m.offset, end: first, mdat_end: Some(h.end()) });
                }
            }
            break;
        }
        let dropped_mdat = &h.kind == b"mdat" && (any_in(removed, h.offset, h.end()) || h.body_len() == 0);
        if !(is_padding(&h.kind) || dropped_mdat) {
            break;
        }
        end = h.end();
    }
    Ok(Region { start: m.offset, end, mdat_end: None })
}

/// The header of a `free` box of `size` bytes (a 64-bit header when it does not fit in 32 bits).
pub(crate) fn free_header(size: u64) -> Vec<u8> {
    match u32::try_from(size) {
        Ok(s) => {
            let mut h = s.to_be_bytes().to_vec();
            h.extend_from_slice(b"free");
            h
        }
        Err(_) => {
            let mut h = 1u32.to_be_bytes().to_vec();
            h.extend_from_slice(b"free");
            h.extend_from_slice(&size.to_be_bytes());
            h
        }
    }
}

/// How the new region is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Over the old region; `filler` bytes (0: none) pad it to the old size: a `free` box, or
    /// zeros inside the `mdat` when the region ends inside one.
    InPlace {
        /// Size of the padding.
        filler: u64,
    },
    /// Into a new file, with `padding` bytes (0: none) after the new content, as above.
    Rewrite {
        /// Size of the padding.
        padding: u64,
    },
}

/// The new layout.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Where the region starts (the old and new `moov` offset).
    pub(crate) start: u64,
    /// Where the old region ended.
    pub(crate) old_end: u64,
    /// New `moov` and chapter `mdat`, exact bytes.
    pub(crate) content: Vec<u8>,
    /// In place or rewrite.
    pub(crate) mode: Mode,
    /// The padding is zeros inside an `mdat` (the region ends inside one), not a `free` box.
    pub(crate) pad_in_mdat: bool,
    /// Length of the file afterwards.
    pub(crate) new_len: u64,
}

/// The moov to write, before chunk offsets are final.
pub(crate) struct Draft {
    /// The new `moov`: remaining tracks with their original chunk offsets, the chapter track (if
    /// any) with a placeholder offset.
    pub(crate) moov: Node,
    /// For every remaining track: its index among `moov`'s children and its chunk offsets.
    pub(crate) tables: Vec<(usize, Vec<u64>)>,
    /// Index of the chapter track among `moov`'s children.
    pub(crate) chapter_trak: Option<usize>,
    /// The chapter samples, in order, one chunk each.
    pub(crate) chapter_data: Vec<u8>,
    /// The size of each chapter sample.
    pub(crate) chapter_sizes: Vec<u64>,
}

impl Draft {
    /// The `moov` bytes with every chunk offset at or after `moved_from` moved by `delta`, and the
    /// chapter samples, one chunk each, from `chapter_offset` on.
    fn render(&self, moved_from: u64, delta: i128, chapter_offset: u64) -> Result<Vec<u8>, BoxError> {
        let mut tables = Vec::new();
        if delta != 0 {
            for (i, offsets) in &self.tables {
                let mut moved = Vec::with_capacity(offsets.len());
                for &o in offsets {
                    if o < moved_from {
                        moved.push(o);
                        continue;
                    }
                    let n = i128::from(o) + delta;
                    moved.push(
                        u64::try_from(n).map_err(|_| BoxError::new(o, "chunk offset out of range after the edit"))?,
                    );
                }
                tables.push((*i, boxes::chunk_offset_box(&moved)));
            }
        }
        if let Some(i) = self.chapter_trak {
            let mut at = chapter_offset;
            let offsets: Vec<u64> = self
                .chapter_sizes
                .iter()
                .map(|&n| {
                    let o = at;
                    at = at.saturating_add(n);
                    o
                })
                .collect();
            tables.push((i, boxes::chunk_offset_box(&offsets)));
        }
        Ok(boxes::moov_bytes_replacing(&self.moov, &tables, usize::try_from(self.mdat_len()).unwrap_or(0)))
    }

    fn data_len(&self) -> u64 {
        u64::try_from(self.chapter_data.len()).unwrap_or(u64::MAX)
    }

    /// Size of a chapter-only `mdat` (0 without chapters).
    fn mdat_len(&self) -> u64 {
        if self.chapter_data.is_empty() { 0 } else { 8 + self.data_len() }
    }

    /// The region's content for a `moov` at `region.start`. With `moved`, = `(old_len, extra)`, the
    /// file is rewritten: every chunk offset past the old region moves by the change in size, given
    /// `extra` bytes of padding after the content; without it nothing outside the region moves and
    /// `extra` is the filler. Inside an `mdat` (`region.mdat_end`), the content ends with a new
    /// `mdat` header that runs to the old `mdat`'s end, and the chapter samples.
    fn content(&self, region: &Region, moved: Option<(u64, u64)>, extra: u64) -> Result<Vec<u8>, BoxError> {
        let start = region.start;
        let mut moov_len = self.moov.size();
        // Bytes of the `mdat` that follow the region (0 for a chapter-only mdat).
        let rest = region.mdat_end.map_or(0, |e| e.saturating_sub(region.end));
        let merged = region.mdat_end.is_some();
        let body = self.data_len().saturating_add(if merged { extra.saturating_add(rest) } else { 0 });
        let mdat_header: u64 = if !merged && self.chapter_data.is_empty() {
            0
        } else if body > u64::from(u32::MAX) - 8 {
            16
        } else {
            8
        };
        let mdat_len = if mdat_header == 0 { 0 } else { mdat_header + self.data_len() };
        for _ in 0..8 {
            let delta = match moved {
                Some((old_len, extra)) => {
                    let new_len = moov_len.saturating_add(mdat_len).saturating_add(extra);
                    i128::from(new_len) - i128::from(old_len)
                }
                None => 0,
            };
            let chapter_offset = start.saturating_add(moov_len).saturating_add(mdat_header);
            let moov = self.render(region.end, delta, chapter_offset)?;
            let got = u64::try_from(moov.len()).unwrap_or(u64::MAX);
            if got == moov_len {
                let mut out = moov;
                if mdat_header > 0 {
                    let size = mdat_header + body;
                    match u32::try_from(size) {
                        Ok(s) if mdat_header == 8 => {
                            out.extend_from_slice(&s.to_be_bytes());
                            out.extend_from_slice(b"mdat");
                        }
                        _ => {
                            out.extend_from_slice(&1u32.to_be_bytes());
                            out.extend_from_slice(b"mdat");
                            out.extend_from_slice(&size.to_be_bytes());
                        }
                    }
                    out.extend_from_slice(&self.chapter_data);
                }
                return Ok(out);
            }
            moov_len = got;
        }
        Err(BoxError::new(start, "the new 'moov' size does not settle"))
    }
}

/// Plans the new region over `region` of a file of `file_len` bytes: in place when it fits, else
/// a rewrite with `padding` bytes of free space.
pub(crate) fn plan(draft: &Draft, region: &Region, file_len: u64, padding: u64) -> Result<Layout, BoxError> {
    let (start, old_end) = (region.start, region.end);
    if draft.mdat_len() > u64::from(u32::MAX) {
        return Err(BoxError::new(start, "chapter samples do not fit in one 'mdat' box"));
    }
    let pad_in_mdat = region.mdat_end.is_some();
    let old_len = old_end - start;
    // The content's length does not depend on the filler (only the mdat size field does).
    let content = draft.content(region, None, 0)?;
    let len = u64::try_from(content.len()).unwrap_or(u64::MAX);
    // Zeros inside an mdat can be any length; a free box needs at least 8 bytes.
    let fits = len == old_len || len.saturating_add(if pad_in_mdat { 0 } else { 8 }) <= old_len;
    let filler = old_len.saturating_sub(len);
    let content = if fits && pad_in_mdat { draft.content(region, None, filler)? } else { content };
    // (An mdat near 4 GiB may need a 16-byte header once the filler is counted: then rewrite.)
    // In place, the region is built in memory and written at once: a huge one is rewritten.
    if fits && old_len <= MAX_IN_PLACE && u64::try_from(content.len()).unwrap_or(u64::MAX) == len {
        return Ok(Layout { start, old_end, content, mode: Mode::InPlace { filler }, pad_in_mdat, new_len: file_len });
    }
    drop(content);
    let padding = if padding == 0 || pad_in_mdat { padding } else { padding.max(8) };
    let content = draft.content(region, Some((old_len, padding)), padding)?;
    let len = u64::try_from(content.len()).unwrap_or(u64::MAX);
    let new_len = (file_len - old_len).saturating_add(len).saturating_add(padding);
    Ok(Layout { start, old_end, content, mode: Mode::Rewrite { padding }, pad_in_mdat, new_len })
}

/// Writes `size` bytes of a `free` box (header and zeros), or only zeros with `bare`.
fn write_free<W: Write>(w: &mut W, size: u64, bare: bool) -> io::Result<()> {
    if size == 0 {
        return Ok(());
    }
    let header = if bare { Vec::new() } else { free_header(size) };
    w.write_all(&header)?;
    let mut left = size.saturating_sub(u64::try_from(header.len()).unwrap_or(0));
    let zeros = [0u8; 8192];
    while left > 0 {
        let n = usize::try_from(left.min(8192)).unwrap_or(8192);
        w.write_all(zeros.get(..n).unwrap_or(&[]))?;
        left -= u64::try_from(n).unwrap_or(0);
    }
    Ok(())
}

/// Copies `len` bytes at `offset` of `r` to `w`.
fn copy_range<R: Read + Seek, W: Write>(r: &mut R, w: &mut W, offset: u64, len: u64) -> io::Result<()> {
    r.seek(SeekFrom::Start(offset))?;
    let copied = io::copy(&mut r.take(len), w)?;
    if copied != len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file got shorter while it was being copied"));
    }
    Ok(())
}

impl Layout {
    /// The new region's bytes after the content: the padding box size.
    fn tail(&self) -> u64 {
        match self.mode {
            Mode::InPlace { filler } => filler,
            Mode::Rewrite { padding } => padding,
        }
    }

    /// Writes the whole new file: the bytes before the region, the new region, the bytes after.
    pub(crate) fn write_file<R: Read + Seek, W: Write>(&self, r: &mut R, w: &mut W, file_len: u64) -> io::Result<()> {
        copy_range(r, w, 0, self.start)?;
        self.write_region(w)?;
        copy_range(r, w, self.old_end, file_len - self.old_end)
    }

    /// Writes the new region only (content and padding).
    pub(crate) fn write_region<W: Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(&self.content)?;
        write_free(w, self.tail(), self.pad_in_mdat)
    }

    /// The new region's bytes (content and padding), for one write in place.
    pub(crate) fn region_bytes(&self) -> Vec<u8> {
        let len = usize::try_from(self.old_end - self.start).unwrap_or(0);
        let mut out = Vec::with_capacity(len);
        // Writing into a Vec cannot fail.
        let _ = self.write_region(&mut out);
        out
    }

    /// Whether the file already holds exactly this region (only meaningful in place).
    pub(crate) fn matches<R: Read + Seek>(&self, r: &mut R) -> io::Result<bool> {
        if !matches!(self.mode, Mode::InPlace { .. }) {
            return Ok(false);
        }
        // Compared block by block, so that a large free box costs no memory.
        r.seek(SeekFrom::Start(self.start))?;
        let mut same = Compare { r, same: true };
        self.write_region(&mut same)?;
        Ok(same.same)
    }
}

/// A writer that compares what is written with what a reader holds.
struct Compare<'a, R> {
    r: &'a mut R,
    same: bool,
}

impl<R: Read> Write for Compare<'_, R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.same {
            let mut have = vec![0u8; buf.len()];
            match self.r.read_exact(&mut have) {
                Ok(()) => self.same = have == buf,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => self.same = false,
                Err(e) => return Err(e),
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(offset: u64, kind: &[u8; 4], size: u64) -> Header {
        Header { offset, kind: *kind, header_len: 8, size, large: false }
    }

    #[test]
    fn region_takes_padding_and_chapter_only_mdat() {
        let tops =
            [h(0, b"ftyp", 20), h(20, b"moov", 100), h(120, b"mdat", 30), h(150, b"free", 50), h(200, b"mdat", 1000)];
        // The 30-byte mdat holds a removed chapter chunk; the audio starts at 208.
        // The region runs into the audio mdat, up to its first chunk.
        let r = region(&tops, 1, &[208, 500], &[128]).unwrap();
        assert_eq!((r.start, r.end, r.mdat_end), (20, 208, Some(1200)));
        let r = region(&tops, 1, &[300, 500], &[128, 210]).unwrap();
        assert_eq!((r.start, r.end, r.mdat_end), (20, 300, Some(1200)));
        // Without the removed chunk that mdat is unknown data and stays.
        let r = region(&tops, 1, &[208, 500], &[]).unwrap();
        assert_eq!((r.start, r.end, r.mdat_end), (20, 120, None));
        // Audio in the first mdat and in the free box: up to the first audio chunk.
        let r = region(&tops, 1, &[128, 160], &[]).unwrap();
        assert_eq!((r.start, r.end, r.mdat_end), (20, 128, Some(150)));
        // Audio inside the free box: it stays.
        let r = region(&tops, 1, &[160], &[128]).unwrap();
        assert_eq!((r.start, r.end, r.mdat_end), (20, 150, None));
        // moov last: the region ends at the end of the file.
        let tops = [h(0, b"ftyp", 20), h(20, b"mdat", 100), h(120, b"moov", 100)];
        assert_eq!(region(&tops, 2, &[28], &[]).unwrap(), Region { start: 120, end: 220, mdat_end: None });
        let e = region(&tops, 1, &[50], &[]).unwrap_err();
        assert_eq!(e.offset, 50);
    }

    #[test]
    fn free_headers_widen_past_4_gib() {
        assert_eq!(free_header(8), [0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        assert_eq!(free_header(1 << 33).len(), 16);
        let mut v = Vec::new();
        write_free(&mut v, 20_000, false).unwrap();
        assert_eq!(v.len(), 20_000);
    }

    #[test]
    fn plan_fits_in_place_or_rewrites_and_moves_offsets() {
        let stco = boxes::chunk_offset_box(&[1000]);
        let stbl = Node::container(b"stbl", vec![stco]);
        let trak = Node::container(b"trak", vec![Node::container(b"mdia", vec![Node::container(b"minf", vec![stbl])])]);
        let moov = Node::container(b"moov", vec![trak]);
        let moov_len = moov.size();
        let draft = Draft {
            moov,
            tables: vec![(0, vec![1000])],
            chapter_trak: None,
            chapter_data: vec![],
            chapter_sizes: vec![],
        };
        let at = |end| Region { start: 100, end, mdat_end: None };
        // Old region: moov + 100 bytes of free space.
        let p = plan(&draft, &at(100 + moov_len + 100), 5000, 4096).unwrap();
        assert_eq!(p.mode, Mode::InPlace { filler: 100 });
        assert_eq!(p.new_len, 5000);
        // 1..7 bytes to spare cannot hold a free box: rewrite, moving the audio chunk.
        let p = plan(&draft, &at(100 + moov_len + 4), 5000, 4096).unwrap();
        assert_eq!(p.mode, Mode::Rewrite { padding: 4096 });
        let moov = Node::parse_root(&p.content, 100).unwrap();
        let stbl = moov.path(&[b"trak", b"mdia", b"minf", b"stbl"]).unwrap();
        assert_eq!(boxes::chunk_offsets(stbl).unwrap().unwrap().offsets, vec![1000 + 4096 - 4]);
        assert_eq!(p.new_len, 5000 + 4096 - 4);
    }

    #[test]
    fn offsets_past_4_gib_switch_to_co64() {
        let four_gib = u64::from(u32::MAX) - 10;
        let stbl = Node::container(b"stbl", vec![boxes::chunk_offset_box(&[four_gib])]);
        let trak = Node::container(b"trak", vec![Node::container(b"mdia", vec![Node::container(b"minf", vec![stbl])])]);
        let moov = Node::container(b"moov", vec![trak]);
        let draft = Draft {
            moov,
            tables: vec![(0, vec![four_gib])],
            chapter_trak: None,
            chapter_data: vec![],
            chapter_sizes: vec![],
        };
        let p = plan(&draft, &Region { start: 10, end: 10, mdat_end: None }, four_gib + 100, 4096).unwrap();
        let moov = Node::parse_root(&p.content, 10).unwrap();
        let stbl = moov.path(&[b"trak", b"mdia", b"minf", b"stbl"]).unwrap();
        assert!(stbl.child(b"co64").is_some());
        // The moov grew by 4 bytes for the wider entry: offsets moved by the whole new region.
        let region = u64::try_from(p.content.len()).unwrap() + 4096;
        assert_eq!(boxes::chunk_offsets(stbl).unwrap().unwrap().offsets, vec![four_gib + region]);
    }

    #[test]
    fn inside_an_mdat_the_chapters_open_it_and_zeros_pad_it() {
        let stbl = Node::container(b"stbl", vec![boxes::chunk_offset_box(&[1000])]);
        let trak = Node::container(b"trak", vec![Node::container(b"mdia", vec![Node::container(b"minf", vec![stbl])])]);
        let chap = Node::container(
            b"trak",
            vec![Node::container(
                b"mdia",
                vec![Node::container(b"minf", vec![Node::container(b"stbl", vec![boxes::chunk_offset_box(&[0])])])],
            )],
        );
        let moov = Node::container(b"moov", vec![trak, chap]);
        let draft = Draft {
            moov,
            tables: vec![(0, vec![1000])],
            chapter_trak: Some(1),
            chapter_data: vec![7; 30],
            chapter_sizes: vec![10, 20],
        };
        // moov at 100, the audio mdat at 800..5000 with its first chunk at 1000.
        let region = Region { start: 100, end: 1000, mdat_end: Some(5000) };
        let p = plan(&draft, &region, 5000, 4096).unwrap();
        assert!(matches!(p.mode, Mode::InPlace { .. }) && p.pad_in_mdat);
        let moov = Node::parse_root(&p.content, 100).unwrap();
        let moov_end = 100 + moov.size();
        let mdat = p.content.get(usize::try_from(moov.size()).unwrap()..).unwrap();
        assert_eq!(&mdat[4..8], b"mdat");
        // The new mdat runs from right after moov to the old mdat's end.
        assert_eq!(u64::from(boxes::be_u32(mdat, 0).unwrap()), 5000 - moov_end);
        let stbl = moov.children()[1].path(&[b"mdia", b"minf", b"stbl"]).unwrap();
        assert_eq!(boxes::chunk_offsets(stbl).unwrap().unwrap().offsets, vec![moov_end + 8, moov_end + 18]);
        let mut v = Vec::new();
        p.write_region(&mut v).unwrap();
        assert_eq!(v.len(), 900);
        assert!(v[p.content.len()..].iter().all(|&b| b == 0));
    }
}
