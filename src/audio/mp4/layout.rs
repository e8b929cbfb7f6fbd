//! Where the new `moov` and the chapter samples go, and how the file is written.
//!
//! The **region** is the `moov` box plus the run of boxes right after it that only podmark's
//! own edits use: `free`/`skip`/`wide` padding, and `mdat` boxes that hold nothing but samples of
//! the chapter tracks being replaced. The new region is, in this order: the new `moov`, one small
//! `mdat` with every chapter sample (one chunk), and a `free` box. Its place does not change, so
//! a file whose `moov` came before the audio keeps it there (progressive playback), and the
//! chapter samples sit right after `moov`, before the audio.
//!
//! - **In place**: when the new `moov` and chapter `mdat` fit in the old region exactly or with at
//!   least 8 bytes to spare (a `free` box fills the rest), only the region is rewritten; no chunk
//!   of audio moves.
//! - **Rewrite**: otherwise the file is copied to a temporary file in the same folder (streamed in
//!   64 KiB blocks, so memory does not grow with the file), with the new region and
//!   [`TagOptions::padding`](crate::tag::TagOptions) bytes of `free` space after it so that the
//!   next edit fits in place, then fsynced and renamed over the original. Every `stco`/`co64`
//!   entry that points past the region is moved by the change in size; a table whose entries no
//!   longer fit in 32 bits becomes a `co64`.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::boxes::{self, BoxError, Header, Node};

/// Top-level box types that are only padding.
fn is_padding(kind: &[u8; 4]) -> bool {
    matches!(kind, b"free" | b"skip" | b"wide")
}

/// Whether any of the sorted `offsets` lies in `[from, to)`.
fn any_in(offsets: &[u64], from: u64, to: u64) -> bool {
    let i = offsets.partition_point(|&o| o < from);
    offsets.get(i).is_some_and(|&o| o < to)
}

/// The region that can be replaced: from the `moov` box at `tops[moov]` up to the end of the run
/// of padding and chapter-only `mdat` boxes after it. `remaining` and `removed` are the sorted
/// chunk offsets of the tracks that stay and of the chapter tracks being dropped.
pub(crate) fn region(tops: &[Header], moov: usize, remaining: &[u64], removed: &[u64]) -> Result<(u64, u64), BoxError> {
    let Some(m) = tops.get(moov) else { return Err(BoxError::new(0, "no 'moov' box")) };
    if let Some(&o) = remaining.iter().find(|&&o| o >= m.offset && o < m.end()) {
        return Err(BoxError::new(o, "a chunk offset points inside the 'moov' box"));
    }
    let mut end = m.end();
    for h in tops.iter().skip(moov + 1) {
        if any_in(remaining, h.offset, h.end()) {
            break;
        }
        let dropped_mdat = &h.kind == b"mdat" && (any_in(removed, h.offset, h.end()) || h.body_len() == 0);
        if !(is_padding(&h.kind) || dropped_mdat) {
            break;
        }
        end = h.end();
    }
    Ok((m.offset, end))
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
    /// Over the old region; a `free` box of `filler` bytes (0: none) pads it to the old size.
    InPlace {
        /// Size of the padding box.
        filler: u64,
    },
    /// Into a new file, with a `free` box of `padding` bytes (0: none) after the new content.
    Rewrite {
        /// Size of the padding box.
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
    /// The chapter samples, in order (one chunk).
    pub(crate) chapter_data: Vec<u8>,
}

impl Draft {
    /// The `moov` bytes with every chunk offset at or after `moved_from` moved by `delta`, and the
    /// chapter chunk at `chapter_offset`.
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
            tables.push((i, boxes::chunk_offset_box(&[chapter_offset])));
        }
        Ok(boxes::moov_bytes_replacing(&self.moov, &tables, usize::try_from(self.mdat_len()).unwrap_or(0)))
    }

    fn mdat_len(&self) -> u64 {
        if self.chapter_data.is_empty() { 0 } else { 8 + u64::try_from(self.chapter_data.len()).unwrap_or(u64::MAX) }
    }

    /// The region's content for a `moov` at `start`. With `moved`, = `(old_len, extra)`, the file
    /// is rewritten: every chunk offset past the old region moves by the change in size, given
    /// `extra` bytes of padding after the content; without it nothing outside the region moves.
    fn content(&self, start: u64, old_end: u64, moved: Option<(u64, u64)>) -> Result<Vec<u8>, BoxError> {
        let mut moov_len = self.moov.size();
        for _ in 0..8 {
            let delta = match moved {
                Some((old_len, extra)) => {
                    let new_len = moov_len.saturating_add(self.mdat_len()).saturating_add(extra);
                    i128::from(new_len) - i128::from(old_len)
                }
                None => 0,
            };
            let chapter_offset = start.saturating_add(moov_len).saturating_add(8);
            let moov = self.render(old_end, delta, chapter_offset)?;
            let got = u64::try_from(moov.len()).unwrap_or(u64::MAX);
            if got == moov_len {
                let mut out = moov;
                if !self.chapter_data.is_empty() {
                    out.extend_from_slice(&u32::try_from(self.mdat_len()).unwrap_or(u32::MAX).to_be_bytes());
                    out.extend_from_slice(b"mdat");
                    out.extend_from_slice(&self.chapter_data);
                }
                return Ok(out);
            }
            moov_len = got;
        }
        Err(BoxError::new(start, "the new 'moov' size does not settle"))
    }
}

/// Plans the new region over `[start, old_end)` of a file of `file_len` bytes: in place when it
/// fits, else a rewrite with `padding` bytes of free space.
pub(crate) fn plan(draft: &Draft, start: u64, old_end: u64, file_len: u64, padding: u64) -> Result<Layout, BoxError> {
    if draft.mdat_len() > u64::from(u32::MAX) {
        return Err(BoxError::new(start, "chapter samples do not fit in one 'mdat' box"));
    }
    let old_len = old_end - start;
    let content = draft.content(start, old_end, None)?;
    let len = u64::try_from(content.len()).unwrap_or(u64::MAX);
    if len == old_len || len.saturating_add(8) <= old_len {
        return Ok(Layout {
            start,
            old_end,
            content,
            mode: Mode::InPlace { filler: old_len - len },
            new_len: file_len,
        });
    }
    drop(content);
    let padding = if padding == 0 { 0 } else { padding.max(8) };
    let content = draft.content(start, old_end, Some((old_len, padding)))?;
    let len = u64::try_from(content.len()).unwrap_or(u64::MAX);
    let new_len = (file_len - old_len).saturating_add(len).saturating_add(padding);
    Ok(Layout { start, old_end, content, mode: Mode::Rewrite { padding }, new_len })
}

/// Writes `size` bytes of a `free` box (header and zeros).
fn write_free<W: Write>(w: &mut W, size: u64) -> io::Result<()> {
    if size == 0 {
        return Ok(());
    }
    let header = free_header(size);
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
        write_free(w, self.tail())
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
        assert_eq!(region(&tops, 1, &[208, 500], &[128]).unwrap(), (20, 200));
        // Without the removed chunk that mdat is unknown data and stays.
        assert_eq!(region(&tops, 1, &[208, 500], &[]).unwrap(), (20, 120));
        // Audio inside the free box: it stays.
        assert_eq!(region(&tops, 1, &[128, 160], &[]).unwrap(), (20, 120));
        let e = region(&tops, 1, &[50], &[]).unwrap_err();
        assert_eq!(e.offset, 50);
    }

    #[test]
    fn free_headers_widen_past_4_gib() {
        assert_eq!(free_header(8), [0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        assert_eq!(free_header(1 << 33).len(), 16);
        let mut v = Vec::new();
        write_free(&mut v, 20_000).unwrap();
        assert_eq!(v.len(), 20_000);
    }

    #[test]
    fn plan_fits_in_place_or_rewrites_and_moves_offsets() {
        let stco = boxes::chunk_offset_box(&[1000]);
        let stbl = Node::container(b"stbl", vec![stco]);
        let trak = Node::container(b"trak", vec![Node::container(b"mdia", vec![Node::container(b"minf", vec![stbl])])]);
        let moov = Node::container(b"moov", vec![trak]);
        let moov_len = moov.size();
        let draft = Draft { moov, tables: vec![(0, vec![1000])], chapter_trak: None, chapter_data: vec![] };
        // Old region: moov + 100 bytes of free space.
        let p = plan(&draft, 100, 100 + moov_len + 100, 5000, 4096).unwrap();
        assert_eq!(p.mode, Mode::InPlace { filler: 100 });
        assert_eq!(p.new_len, 5000);
        // 1..7 bytes to spare cannot hold a free box: rewrite, moving the audio chunk.
        let p = plan(&draft, 100, 100 + moov_len + 4, 5000, 4096).unwrap();
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
        let draft = Draft { moov, tables: vec![(0, vec![four_gib])], chapter_trak: None, chapter_data: vec![] };
        let p = plan(&draft, 10, 10, four_gib + 100, 4096).unwrap();
        let moov = Node::parse_root(&p.content, 10).unwrap();
        let stbl = moov.path(&[b"trak", b"mdia", b"minf", b"stbl"]).unwrap();
        assert!(stbl.child(b"co64").is_some());
        // The moov grew by 4 bytes for the wider entry: offsets moved by the whole new region.
        let region = u64::try_from(p.content.len()).unwrap() + 4096;
        assert_eq!(boxes::chunk_offsets(stbl).unwrap().unwrap().offsets, vec![four_gib + region]);
    }
}
