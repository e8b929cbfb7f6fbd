//! Reading and writing ISO base media boxes: headers, the top-level walk, a tree for `moov`, and
//! the few tables the tagger reads or edits (`stco`/`co64`, `stsz`, `stsc`, `stts`, `elst`, headers).
//!
//! Only the boxes on the paths the tagger needs are parsed into children (`moov`, `trak`, `udta`,
//! `tref`, `edts`, `mdia`, `minf`, `stbl`); every other box is kept as its exact bytes, so whatever
//! the tagger does not touch is written back unchanged. Nesting is decided by the parent's type,
//! so depth is bounded (at most 6) whatever the input says, and every walk advances by at least 8
//! bytes per box, so no input can make it loop.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// A box type.
pub(crate) type FourCc = [u8; 4];

/// Boxes at the top of a file that the walk allows before giving up (a 1 GB file of empty boxes
/// would otherwise make a list of 100 million headers).
const MAX_TOP_LEVEL_BOXES: usize = 100_000;

/// A problem in the file, with the byte offset where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoxError {
    /// Byte offset of the problem in the file.
    pub(crate) offset: u64,
    /// What is wrong, quoting the bad values.
    pub(crate) message: String,
}

impl BoxError {
    pub(crate) fn new(offset: u64, message: impl Into<String>) -> Self {
        BoxError { offset, message: message.into() }
    }
}

impl fmt::Display for BoxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

/// Why reading failed: the file is damaged, or the reader failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The bytes are not a valid MP4 structure.
    Format(BoxError),
    /// The reader failed.
    Io(io::Error),
}

impl From<BoxError> for ReadError {
    fn from(e: BoxError) -> Self {
        ReadError::Format(e)
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// A box type for messages: printable ASCII as is, anything else as `\xNN`.
pub(crate) fn show(kind: FourCc) -> String {
    let mut s = String::with_capacity(6);
    for b in kind {
        if b.is_ascii_graphic() || b == b' ' {
            s.push(char::from(b));
        } else if b == 0xA9 {
            s.push('©');
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

/// A parsed box header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Byte offset of the box in the file.
    pub(crate) offset: u64,
    /// The box type.
    pub(crate) kind: FourCc,
    /// 8, or 16 for a 64-bit size.
    pub(crate) header_len: u64,
    /// Size of the whole box, header included.
    pub(crate) size: u64,
    /// The header used the 64-bit size form.
    pub(crate) large: bool,
}

impl Header {
    /// Offset just past the box.
    pub(crate) fn end(&self) -> u64 {
        self.offset.saturating_add(self.size)
    }

    /// Offset of the box's payload.
    pub(crate) fn body_start(&self) -> u64 {
        self.offset.saturating_add(self.header_len)
    }

    /// Size of the payload.
    pub(crate) fn body_len(&self) -> u64 {
        self.size.saturating_sub(self.header_len)
    }
}

/// Parses a box header from `bytes`, which start at file offset `offset`. `room` is how many bytes
/// the parent (or the file) has left from `offset`; a size of 0 means "up to the end of the
/// parent". Errors name the offset and quote the bad size.
pub(crate) fn parse_header(bytes: &[u8], offset: u64, room: u64) -> Result<Header, BoxError> {
    let Some(head) = bytes.get(..8).filter(|_| room >= 8) else {
        return Err(BoxError::new(
            offset,
            format!("truncated box header: {} byte(s) left where a box header needs 8", room.min(8)),
        ));
    };
    let size32 = be_u32(head, 0).unwrap_or(0);
    let kind: FourCc = [head[4], head[5], head[6], head[7]];
    let (size, header_len, large) = match size32 {
        0 => (room, 8, false),
        1 => {
            let Some(large) = bytes.get(8..16).filter(|_| room >= 16).and_then(|b| be_u64(b, 0)) else {
                return Err(BoxError::new(
                    offset,
                    format!("box '{}' has a 64-bit size (size field 1) but its header is cut off", show(kind)),
                ));
            };
            (large, 16, true)
        }
        n => (u64::from(n), 8, false),
    };
    if size < header_len {
        return Err(BoxError::new(
            offset,
            format!("box '{}' has size {size}, smaller than its {header_len}-byte header", show(kind)),
        ));
    }
    if size > room {
        return Err(BoxError::new(
            offset,
            format!("box '{}' claims {size} bytes but only {room} remain in its parent or the file", show(kind)),
        ));
    }
    Ok(Header { offset, kind, header_len, size, large })
}

/// Reads and parses the box header at `offset` of a stream, with `room` bytes left in the parent
/// (or the file) from there. Only the header's 8 or 16 bytes are read.
pub(crate) fn read_header<R: Read + Seek>(r: &mut R, offset: u64, room: u64) -> Result<Header, ReadError> {
    let mut buf = [0u8; 16];
    r.seek(SeekFrom::Start(offset))?;
    let want = usize::try_from(room.min(16)).unwrap_or(16);
    let got = buf.get_mut(..want).unwrap_or(&mut []);
    r.read_exact(got)?;
    Ok(parse_header(got, offset, room)?)
}

/// Walks the top-level boxes of a stream of `len` bytes, reading only their headers.
pub(crate) fn top_level<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Header>, ReadError> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    while offset < len {
        if out.len() >= MAX_TOP_LEVEL_BOXES {
            return Err(BoxError::new(offset, format!("more than {MAX_TOP_LEVEL_BOXES} top-level boxes")).into());
        }
        let h = read_header(r, offset, len - offset)?;
        offset = h.end();
        out.push(h);
    }
    Ok(out)
}

/// The boxes laid end to end in `bytes` (a payload at file offset `base`), each with its payload.
/// For the boxes the tree keeps as bytes (`stsd` entries after their 8-byte prefix, `mvex`,
/// `moof`, `traf`).
pub(crate) fn walk(bytes: &[u8], base: u64) -> Result<Vec<(Header, &[u8])>, BoxError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let at = base.saturating_add(u64::try_from(pos).unwrap_or(u64::MAX));
        let h = parse_header(rest, at, u64::try_from(rest.len()).unwrap_or(u64::MAX))?;
        let from = usize::try_from(h.header_len).unwrap_or(usize::MAX);
        let to = usize::try_from(h.size).unwrap_or(usize::MAX);
        out.push((h, rest.get(from..to).unwrap_or(&[])));
        pos = pos.saturating_add(to);
    }
    Ok(out)
}

/// Reads `len` bytes at `offset`.
pub(crate) fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
    let n = usize::try_from(len).map_err(|_| BoxError::new(offset, format!("{len} bytes do not fit in memory")))?;
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// One box of a parsed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    /// The box type.
    pub(crate) kind: FourCc,
    /// Write a 64-bit size header (kept from the input).
    pub(crate) large: bool,
    /// Where the box was in the file; `None` for boxes podmark made.
    pub(crate) offset: Option<u64>,
    /// Payload.
    pub(crate) body: Body,
}

/// A box's payload: exact bytes, or child boxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// Kept byte for byte.
    Leaf(Vec<u8>),
    /// Parsed into children.
    Container(Vec<Node>),
}

/// Whether a box of type `kind` inside `parent` is parsed into children.
fn expands(parent: FourCc, kind: FourCc) -> bool {
    matches!(
        (&parent, &kind),
        (b"moov", b"trak" | b"udta") | (b"trak", b"tref" | b"edts" | b"mdia") | (b"mdia", b"minf") | (b"minf", b"stbl")
    )
}

impl Node {
    /// A new leaf box.
    pub(crate) fn leaf(kind: &FourCc, body: Vec<u8>) -> Node {
        Node { kind: *kind, large: false, offset: None, body: Body::Leaf(body) }
    }

    /// A new container box.
    pub(crate) fn container(kind: &FourCc, children: Vec<Node>) -> Node {
        Node { kind: *kind, large: false, offset: None, body: Body::Container(children) }
    }

    /// Parses `bytes` (a whole box, header included, at file offset `offset`) as the container
    /// `kind`, expanding the children the tagger walks.
    pub(crate) fn parse_root(bytes: &[u8], offset: u64) -> Result<Node, BoxError> {
        let room = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let h = parse_header(bytes, offset, room)?;
        let from = usize::try_from(h.header_len).unwrap_or(usize::MAX);
        let to = usize::try_from(h.size).unwrap_or(usize::MAX);
        let body = bytes.get(from..to).unwrap_or(&[]);
        let children = parse_children(body, h.body_start(), h.kind)?;
        Ok(Node { kind: h.kind, large: h.large, offset: Some(offset), body: Body::Container(children) })
    }

    /// Size of the box as written, header included.
    pub(crate) fn size(&self) -> u64 {
        boxed_size(self.large, self.body_len())
    }

    fn body_len(&self) -> u64 {
        match &self.body {
            Body::Leaf(b) => u64::try_from(b.len()).unwrap_or(u64::MAX),
            Body::Container(c) => c.iter().map(Node::size).fold(0u64, u64::saturating_add),
        }
    }

    /// Appends the box's bytes to `out`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        write_header(out, self.kind, self.large, self.size());
        match &self.body {
            Body::Leaf(b) => out.extend_from_slice(b),
            Body::Container(c) => c.iter().for_each(|n| n.write_to(out)),
        }
    }

    /// The box's bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::try_from(self.size()).unwrap_or(0));
        self.write_to(&mut out);
        out
    }

    /// The payload of a leaf box.
    pub(crate) fn data(&self) -> &[u8] {
        match &self.body {
            Body::Leaf(b) => b,
            Body::Container(_) => &[],
        }
    }

    /// The children of a container (empty for a leaf).
    pub(crate) fn children(&self) -> &[Node] {
        match &self.body {
            Body::Container(c) => c,
            Body::Leaf(_) => &[],
        }
    }

    /// The children of a container, to edit; `None` for a leaf.
    pub(crate) fn children_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.body {
            Body::Container(c) => Some(c),
            Body::Leaf(_) => None,
        }
    }

    /// The first child of type `kind`.
    pub(crate) fn child(&self, kind: &FourCc) -> Option<&Node> {
        self.children().iter().find(|n| &n.kind == kind)
    }

    /// The first child of type `kind`, to edit.
    pub(crate) fn child_mut(&mut self, kind: &FourCc) -> Option<&mut Node> {
        self.children_mut()?.iter_mut().find(|n| &n.kind == kind)
    }

    /// The box at a path of types below this one (`[b"mdia", b"minf", b"stbl"]`).
    pub(crate) fn path(&self, path: &[&FourCc]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.child(k))
    }

    /// The box at a path, to edit.
    #[cfg(test)]
    pub(crate) fn path_mut(&mut self, path: &[&FourCc]) -> Option<&mut Node> {
        let mut n = self;
        for k in path {
            n = n.child_mut(k)?;
        }
        Some(n)
    }

    /// File offset of the payload, for error messages (0 for new boxes).
    pub(crate) fn body_offset(&self) -> u64 {
        self.offset.map_or(0, |o| o.saturating_add(if self.large { 16 } else { 8 }))
    }

    /// A reader over the payload of a leaf, for error messages naming this box.
    pub(crate) fn reader(&self) -> Cursor<'_> {
        Cursor::new(self.data(), self.body_offset(), self.kind)
    }
}

/// Size of a box with a `body`-byte payload: a 16-byte header when asked for or needed.
fn boxed_size(large: bool, body: u64) -> u64 {
    if large || body > u64::from(u32::MAX) - 8 { body.saturating_add(16) } else { body + 8 }
}

fn write_header(out: &mut Vec<u8>, kind: FourCc, large: bool, size: u64) {
    match u32::try_from(size) {
        Ok(s) if !large => {
            out.extend_from_slice(&s.to_be_bytes());
            out.extend_from_slice(&kind);
        }
        _ => {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(&kind);
            out.extend_from_slice(&size.to_be_bytes());
        }
    }
}

/// Whether `kind` inside `parent` leads from a `trak` to its chunk offset table.
fn on_table_path(parent: FourCc, kind: FourCc) -> bool {
    matches!(
        (&parent, &kind),
        (b"trak", b"mdia") | (b"mdia", b"minf") | (b"minf", b"stbl") | (b"stbl", b"stco" | b"co64")
    )
}

/// Size of `node` (a `trak` or a box below it) with its chunk offset table replaced by `table`.
fn size_replacing(node: &Node, table: &Node) -> u64 {
    match &node.body {
        Body::Leaf(_) => node.size(),
        Body::Container(children) => {
            let body = children
                .iter()
                .map(|c| {
                    if !on_table_path(node.kind, c.kind) {
                        c.size()
                    } else if matches!(&c.kind, b"stco" | b"co64") {
                        table.size()
                    } else {
                        size_replacing(c, table)
                    }
                })
                .fold(0u64, u64::saturating_add);
            boxed_size(node.large, body)
        }
    }
}

fn write_replacing(node: &Node, table: &Node, out: &mut Vec<u8>) {
    let Body::Container(children) = &node.body else { return node.write_to(out) };
    write_header(out, node.kind, node.large, size_replacing(node, table));
    for c in children {
        if !on_table_path(node.kind, c.kind) {
            c.write_to(out);
        } else if matches!(&c.kind, b"stco" | b"co64") {
            table.write_to(out);
        } else {
            write_replacing(c, table, out);
        }
    }
}

/// The bytes of `moov` with the chunk offset table of some of its `trak` children replaced:
/// `tables` holds (index among `moov`'s children, new `stco`/`co64` box). Nothing is cloned, so a
/// long file's sample tables are not copied in memory to write them. The result has room for
/// `extra` more bytes.
pub(crate) fn moov_bytes_replacing(moov: &Node, tables: &[(usize, Node)], extra: usize) -> Vec<u8> {
    let table_of = |i: usize| tables.iter().find(|(j, _)| *j == i).map(|(_, t)| t);
    let children = moov.children();
    let body = children
        .iter()
        .enumerate()
        .map(|(i, c)| table_of(i).map_or_else(|| c.size(), |t| size_replacing(c, t)))
        .fold(0u64, u64::saturating_add);
    let size = boxed_size(moov.large, body);
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(extra));
    write_header(&mut out, moov.kind, moov.large, size);
    for (i, c) in children.iter().enumerate() {
        match table_of(i) {
            Some(t) => write_replacing(c, t, &mut out),
            None => c.write_to(&mut out),
        }
    }
    out
}

fn parse_children(body: &[u8], base: u64, parent: FourCc) -> Result<Vec<Node>, BoxError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < body.len() {
        let rest = body.get(pos..).unwrap_or(&[]);
        let at = base.saturating_add(u64::try_from(pos).unwrap_or(u64::MAX));
        let h = parse_header(rest, at, u64::try_from(rest.len()).unwrap_or(u64::MAX))?;
        if be_u32(rest, 0) == Some(0) {
            return Err(BoxError::new(
                at,
                format!(
                    "box '{}' has size 0 (\"to the end of the file\"), allowed only for the last top-level box",
                    show(h.kind)
                ),
            ));
        }
        let from = usize::try_from(h.header_len).unwrap_or(usize::MAX);
        let to = usize::try_from(h.size).unwrap_or(usize::MAX);
        let payload = rest.get(from..to).unwrap_or(&[]);
        let node_body = if expands(parent, h.kind) {
            Body::Container(parse_children(payload, h.body_start(), h.kind)?)
        } else {
            Body::Leaf(payload.to_vec())
        };
        out.push(Node { kind: h.kind, large: h.large, offset: Some(at), body: node_body });
        pos = pos.saturating_add(to);
    }
    Ok(out)
}

/// A big-endian reader over a box payload whose errors name the box and the file offset.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    kind: FourCc,
}

impl<'a> Cursor<'a> {
    /// Reads `buf`, which starts at file offset `base`, inside box `kind`.
    pub(crate) fn new(buf: &'a [u8], base: u64, kind: FourCc) -> Self {
        Cursor { buf, pos: 0, base, kind }
    }

    /// File offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(u64::try_from(self.pos).unwrap_or(u64::MAX))
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], BoxError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(BoxError::new(
                self.offset(),
                format!("box '{}' is too short: {n} more byte(s) needed, {} left", show(self.kind), self.remaining()),
            )),
        }
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), BoxError> {
        self.take(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, BoxError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, BoxError> {
        Ok(be_u16(self.take(2)?, 0).unwrap_or(0))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, BoxError> {
        Ok(be_u32(self.take(4)?, 0).unwrap_or(0))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, BoxError> {
        Ok(be_u64(self.take(8)?, 0).unwrap_or(0))
    }

    /// A count of entries of `entry_size` bytes each that must fit in what is left.
    pub(crate) fn count(&mut self, entry_size: usize) -> Result<usize, BoxError> {
        let at = self.offset();
        let n = self.u32()?;
        let fits =
            usize::try_from(n).ok().filter(|&k| k.checked_mul(entry_size).is_some_and(|b| b <= self.remaining()));
        fits.ok_or_else(|| {
            BoxError::new(
                at,
                format!(
                    "box '{}' says it holds {n} entries of {entry_size} bytes, but only {} bytes follow",
                    show(self.kind),
                    self.remaining()
                ),
            )
        })
    }

    /// An error at the current position inside this box.
    pub(crate) fn error(&self, message: impl fmt::Display) -> BoxError {
        BoxError::new(self.offset(), format!("box '{}': {message}", show(self.kind)))
    }
}

pub(crate) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?).and_then(|s| s.try_into().ok()).map(u16::from_be_bytes)
}

pub(crate) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes)
}

pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?).and_then(|s| s.try_into().ok()).map(u64::from_be_bytes)
}

/// Overwrites 4 bytes at `at`, if they exist.
pub(crate) fn set_u32(b: &mut [u8], at: usize, v: u32) {
    if let Some(s) = at.checked_add(4).and_then(|e| b.get_mut(at..e)) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

/// Overwrites 8 bytes at `at`, if they exist.
pub(crate) fn set_u64(b: &mut [u8], at: usize, v: u64) {
    if let Some(s) = at.checked_add(8).and_then(|e| b.get_mut(at..e)) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

/// A chunk offset table (`stco` with 32-bit or `co64` with 64-bit entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkOffsets {
    /// The entries, widened to 64 bits.
    pub(crate) offsets: Vec<u64>,
}

/// Reads the chunk offsets of a `stbl`; `None` when it has neither `stco` nor `co64`.
pub(crate) fn chunk_offsets(stbl: &Node) -> Result<Option<ChunkOffsets>, BoxError> {
    if let Some(n) = stbl.child(b"stco") {
        let mut c = n.reader();
        c.skip(4)?;
        let count = c.count(4)?;
        let mut offsets = Vec::with_capacity(count);
        for _ in 0..count {
            offsets.push(u64::from(c.u32()?));
        }
        return Ok(Some(ChunkOffsets { offsets }));
    }
    if let Some(n) = stbl.child(b"co64") {
        let mut c = n.reader();
        c.skip(4)?;
        let count = c.count(8)?;
        let mut offsets = Vec::with_capacity(count);
        for _ in 0..count {
            offsets.push(c.u64()?);
        }
        return Ok(Some(ChunkOffsets { offsets }));
    }
    Ok(None)
}

/// A chunk offset table as a box: `stco` when every offset fits in 32 bits, else `co64`.
pub(crate) fn chunk_offset_box(offsets: &[u64]) -> Node {
    let wide = offsets.iter().any(|&o| o > u64::from(u32::MAX));
    let count = u32::try_from(offsets.len()).unwrap_or(u32::MAX);
    let mut b = Vec::with_capacity(8 + offsets.len() * if wide { 8 } else { 4 });
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&count.to_be_bytes());
    for &o in offsets {
        match u32::try_from(o) {
            Ok(small) if !wide => b.extend_from_slice(&small.to_be_bytes()),
            _ => b.extend_from_slice(&o.to_be_bytes()),
        }
    }
    Node::leaf(if wide { b"co64" } else { b"stco" }, b)
}

/// Replaces the `stco`/`co64` of `stbl` with `offsets`, keeping its place among the children.
/// Returns false (and changes nothing) when `stbl` has no chunk offset table.
#[cfg(test)]
pub(crate) fn set_chunk_offsets(stbl: &mut Node, offsets: &[u64]) -> bool {
    let Some(children) = stbl.children_mut() else { return false };
    let Some(slot) = children.iter_mut().find(|n| &n.kind == b"stco" || &n.kind == b"co64") else {
        return false;
    };
    let offset = slot.offset;
    *slot = chunk_offset_box(offsets);
    slot.offset = offset;
    true
}

/// Sample sizes from `stsz` (the `stz2` compact form is not supported for chapter tracks).
pub(crate) fn sample_sizes(stbl: &Node, limit: usize) -> Result<Vec<u32>, BoxError> {
    let Some(n) = stbl.child(b"stsz") else {
        return Err(BoxError::new(stbl.body_offset(), "sample table has no 'stsz' box"));
    };
    let mut c = n.reader();
    c.skip(4)?;
    let fixed = c.u32()?;
    if fixed != 0 {
        let count = c.u32()?;
        let count = usize::try_from(count).ok().filter(|&k| k <= limit).ok_or_else(|| c.error("too many samples"))?;
        return Ok(vec![fixed; count]);
    }
    let count = c.count(4)?;
    if count > limit {
        return Err(c.error(format!("{count} samples is more than the {limit} a chapter track may hold")));
    }
    (0..count).map(|_| c.u32()).collect()
}

/// `stsc` entries: (first chunk, samples per chunk).
pub(crate) fn sample_to_chunk(stbl: &Node) -> Result<Vec<(u32, u32)>, BoxError> {
    let Some(n) = stbl.child(b"stsc") else {
        return Err(BoxError::new(stbl.body_offset(), "sample table has no 'stsc' box"));
    };
    let mut c = n.reader();
    c.skip(4)?;
    let count = c.count(12)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let first = c.u32()?;
        let per = c.u32()?;
        c.skip(4)?;
        out.push((first, per));
    }
    Ok(out)
}

/// `stts` entries: (sample count, sample delta).
pub(crate) fn time_to_sample(stbl: &Node) -> Result<Vec<(u32, u32)>, BoxError> {
    let Some(n) = stbl.child(b"stts") else {
        return Err(BoxError::new(stbl.body_offset(), "sample table has no 'stts' box"));
    };
    let mut c = n.reader();
    c.skip(4)?;
    let count = c.count(8)?;
    (0..count).map(|_| Ok((c.u32()?, c.u32()?))).collect()
}

/// One `elst` entry: segment duration (movie timescale), media time (−1 for an empty edit).
pub(crate) fn edit_list(trak: &Node) -> Result<Vec<(u64, i64)>, BoxError> {
    let Some(n) = trak.path(&[b"edts", b"elst"]) else { return Ok(Vec::new()) };
    let mut c = n.reader();
    let version = c.u8()?;
    c.skip(3)?;
    let count = c.count(if version == 1 { 20 } else { 12 })?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if version == 1 {
            let d = c.u64()?;
            let t = i64::from_be_bytes(c.u64()?.to_be_bytes());
            out.push((d, t));
        } else {
            let d = u64::from(c.u32()?);
            let t = i64::from(i32::from_be_bytes(c.u32()?.to_be_bytes()));
            out.push((d, t));
        }
        c.skip(4)?;
    }
    Ok(out)
}

/// What a track header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackHeader {
    /// `track_ID`.
    pub(crate) id: u32,
    /// The `track_enabled` flag.
    pub(crate) enabled: bool,
}

/// Reads `tkhd`.
pub(crate) fn track_header(trak: &Node) -> Result<TrackHeader, BoxError> {
    let Some(n) = trak.child(b"tkhd") else {
        return Err(BoxError::new(trak.body_offset(), "track has no 'tkhd' box"));
    };
    let mut c = n.reader();
    let version = c.u8()?;
    let flags = c.take(3)?;
    c.skip(if version == 1 { 16 } else { 8 })?;
    let id = c.u32()?;
    Ok(TrackHeader { id, enabled: flags.get(2).is_some_and(|f| f & 1 == 1) })
}

/// The handler type of a track (`soun`, `vide`, `text`, …), from `mdia/hdlr`.
pub(crate) fn handler(trak: &Node) -> Result<FourCc, BoxError> {
    let Some(n) = trak.path(&[b"mdia", b"hdlr"]) else {
        return Err(BoxError::new(trak.body_offset(), "track has no 'mdia/hdlr' box"));
    };
    let mut c = n.reader();
    c.skip(8)?;
    let t = c.take(4)?;
    Ok([t[0], t[1], t[2], t[3]])
}

/// The type of the track's first sample entry (`mp4a`, `text`, `tx3g`, `jpeg`, …), from `stsd`.
pub(crate) fn sample_entry(trak: &Node) -> Option<FourCc> {
    let stsd = trak.path(&[b"mdia", b"minf", b"stbl", b"stsd"])?;
    stsd.data().get(12..16).and_then(|b| b.try_into().ok())
}

/// `mdhd` timescale and duration.
pub(crate) fn media_header(trak: &Node) -> Result<(u32, u64), BoxError> {
    let Some(n) = trak.path(&[b"mdia", b"mdhd"]) else {
        return Err(BoxError::new(trak.body_offset(), "track has no 'mdia/mdhd' box"));
    };
    let mut c = n.reader();
    let version = c.u8()?;
    c.skip(3)?;
    if version == 1 {
        c.skip(16)?;
        Ok((c.u32()?, c.u64()?))
    } else {
        c.skip(8)?;
        Ok((c.u32()?, u64::from(c.u32()?)))
    }
}

/// `mvhd` fields the tagger reads or updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MovieHeader {
    /// `version` (0 or 1).
    pub(crate) version: u8,
    /// Movie timescale.
    pub(crate) timescale: u32,
    /// Movie duration in the movie timescale.
    pub(crate) duration: u64,
    /// `next_track_ID`.
    pub(crate) next_track_id: u32,
}

impl MovieHeader {
    /// Reads `mvhd` from `moov`.
    pub(crate) fn read(moov: &Node) -> Result<Self, BoxError> {
        let Some(n) = moov.child(b"mvhd") else {
            return Err(BoxError::new(moov.body_offset(), "'moov' has no 'mvhd' box"));
        };
        let mut c = n.reader();
        let version = c.u8()?;
        c.skip(3)?;
        let (timescale, duration) = if version == 1 {
            c.skip(16)?;
            (c.u32()?, c.u64()?)
        } else {
            c.skip(8)?;
            (c.u32()?, u64::from(c.u32()?))
        };
        // rate, volume, reserved, matrix, pre_defined.
        c.skip(4 + 2 + 10 + 36 + 24)?;
        let next_track_id = c.u32()?;
        if timescale == 0 {
            return Err(BoxError::new(n.body_offset(), "'mvhd' has a timescale of 0"));
        }
        Ok(MovieHeader { version, timescale, duration, next_track_id })
    }

    /// Writes `duration` and `next_track_id` back into `moov`'s `mvhd`; a duration too large for
    /// a version-0 header is capped (a 136-year movie is not a podcast).
    pub(crate) fn write(&self, moov: &mut Node) {
        let Some(Body::Leaf(b)) = moov.child_mut(b"mvhd").map(|n| &mut n.body) else { return };
        if self.version == 1 {
            set_u64(b, 24, self.duration);
            set_u32(b, 108, self.next_track_id);
        } else {
            set_u32(b, 16, u32::try_from(self.duration).unwrap_or(u32::MAX));
            set_u32(b, 96, self.next_track_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn headers_reject_bad_sizes_with_offsets() {
        assert_eq!(parse_header(&bx(b"free", &[]), 0, 8).unwrap().size, 8);
        let e = parse_header(&[0, 0, 0, 4, b'f', b'r', b'e', b'e'], 100, 50).unwrap_err();
        assert_eq!(e.offset, 100);
        assert!(e.message.contains("size 4"), "{}", e.message);
        let e = parse_header(&[0, 0, 0, 99, b'm', b'd', b'a', b't'], 7, 20).unwrap_err();
        assert!(e.message.contains("claims 99 bytes but only 20 remain"), "{}", e.message);
        // Size 0: up to the end of the parent.
        assert_eq!(parse_header(&[0, 0, 0, 0, b'm', b'd', b'a', b't'], 0, 1000).unwrap().size, 1000);
        // Size 1: a 64-bit size follows; cut off, too small, too large.
        let e = parse_header(&[0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0], 0, 10).unwrap_err();
        assert!(e.message.contains("64-bit"), "{}", e.message);
        let mut h = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
        h.extend_from_slice(&8u64.to_be_bytes());
        assert!(parse_header(&h, 0, 100).unwrap_err().message.contains("smaller than its 16-byte header"));
        let mut h = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
        h.extend_from_slice(&32u64.to_be_bytes());
        let ok = parse_header(&h, 0, 32).unwrap();
        assert!(ok.large && ok.header_len == 16 && ok.size == 32);
        assert!(parse_header(&[0, 0, 0], 5, 3).unwrap_err().message.contains("truncated box header"));
    }

    #[test]
    fn trees_round_trip_byte_for_byte_and_keep_large_headers() {
        let stco = bx(b"stco", &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 44]);
        let stbl = bx(b"stbl", &stco);
        let minf = bx(b"minf", &stbl);
        let mdia = bx(b"mdia", &minf);
        let trak = bx(b"trak", &mdia);
        let mut large_free = vec![0, 0, 0, 1, b'f', b'r', b'e', b'e'];
        large_free.extend_from_slice(&20u64.to_be_bytes());
        large_free.extend_from_slice(&[9, 9, 9, 9]);
        let mut body = trak.clone();
        body.extend_from_slice(&large_free);
        let moov = bx(b"moov", &body);
        let node = Node::parse_root(&moov, 1000).unwrap();
        assert_eq!(node.to_bytes(), moov);
        let stbl = node.path(&[b"trak", b"mdia", b"minf", b"stbl"]).unwrap();
        assert_eq!(chunk_offsets(stbl).unwrap().unwrap().offsets, vec![44]);
        assert_eq!(stbl.child(b"stco").unwrap().offset, Some(1000 + 8 + 8 + 8 + 8 + 8));
    }

    #[test]
    fn replacing_a_chunk_table_matches_editing_a_clone() {
        let stbl = Node::container(b"stbl", vec![Node::leaf(b"stsz", vec![1; 12]), chunk_offset_box(&[10, 20])]);
        let trak = Node::container(
            b"trak",
            vec![
                Node::leaf(b"tkhd", vec![0; 84]),
                Node::container(b"mdia", vec![Node::container(b"minf", vec![stbl])]),
            ],
        );
        let moov = Node::container(b"moov", vec![Node::leaf(b"mvhd", vec![0; 100]), trak.clone(), trak]);
        let table = chunk_offset_box(&[u64::from(u32::MAX) + 5, 7]);
        let mut edited = moov.clone();
        let stbl = edited.children_mut().unwrap()[2].path_mut(&[b"mdia", b"minf", b"stbl"]).unwrap();
        assert!(set_chunk_offsets(stbl, &[u64::from(u32::MAX) + 5, 7]));
        assert_eq!(moov_bytes_replacing(&moov, &[(2, table)], 0), edited.to_bytes());
        assert_eq!(moov_bytes_replacing(&moov, &[], 10), moov.to_bytes());
    }

    #[test]
    fn chunk_offsets_widen_to_co64_only_when_needed() {
        assert_eq!(&chunk_offset_box(&[1, 2]).kind, b"stco");
        let wide = chunk_offset_box(&[1, u64::from(u32::MAX) + 1]);
        assert_eq!(&wide.kind, b"co64");
        assert_eq!(wide.size(), 8 + 8 + 16);
        let stbl = Node::container(b"stbl", vec![wide]);
        assert_eq!(chunk_offsets(&stbl).unwrap().unwrap().offsets, vec![1, u64::from(u32::MAX) + 1]);
    }

    #[test]
    fn counts_that_overrun_the_box_are_errors() {
        let stco = Node {
            kind: *b"stco",
            large: false,
            offset: Some(50),
            body: Body::Leaf(vec![0, 0, 0, 0, 255, 255, 255, 255]),
        };
        let stbl = Node::container(b"stbl", vec![stco]);
        let e = chunk_offsets(&stbl).unwrap_err();
        assert_eq!(e.offset, 62);
        assert!(e.message.contains("4294967295 entries"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_bounded_by_parent_types() {
        // A 'moov' inside a 'moov' is a leaf, not parsed again.
        let inner = bx(b"moov", &bx(b"moov", &bx(b"moov", &[])));
        let node = Node::parse_root(&bx(b"moov", &inner), 0).unwrap();
        assert!(matches!(node.children()[0].body, Body::Leaf(_)));
    }

    #[test]
    fn show_escapes_binary_types() {
        assert_eq!(show(*b"moov"), "moov");
        assert_eq!(show([0xA9, b'n', b'a', b'm']), "©nam");
        assert_eq!(show([0, 1, b'a', b'b']), "\\x00\\x01ab");
    }
}
