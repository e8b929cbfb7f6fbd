//! A windowed reader: random access to a file through one bounded buffer, so that a probe never
//! holds more than a window (plus the largest header it asked for) in memory.

use std::io::{Read, Seek, SeekFrom};

use super::{ProbeError, ProbeErrorKind};

/// Bytes read per refill. Sequential scans (MP3 frames, Ogg pages) walk through the file one
/// window at a time.
const WINDOW: usize = 256 * 1024;

/// Random access to a seekable stream through a single cached window.
pub(crate) struct Source<R> {
    inner: R,
    len: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
}

impl<R: Read + Seek> Source<R> {
    /// Wraps `inner`, measuring its length by seeking to the end.
    pub(crate) fn new(mut inner: R) -> Result<Self, ProbeError> {
        let len = inner.seek(SeekFrom::End(0)).map_err(|e| ProbeError::io(0, e))?;
        Ok(Source { inner, len, buf: Vec::new(), start: 0 })
    }

    /// The length of the stream in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Up to `n` bytes at `offset`: fewer only where the stream ends.
    pub(crate) fn peek(&mut self, offset: u64, n: usize) -> Result<&[u8], ProbeError> {
        let want = u64::try_from(n).unwrap_or(u64::MAX);
        let end = offset.saturating_add(want).min(self.len);
        if offset >= end {
            return Ok(&[]);
        }
        let have_end = self.start.saturating_add(u64::try_from(self.buf.len()).unwrap_or(u64::MAX));
        if offset < self.start || end > have_end {
            self.fill(offset, n)?;
        }
        let from = usize::try_from(offset - self.start).unwrap_or(usize::MAX);
        let to = usize::try_from(end - self.start).unwrap_or(usize::MAX);
        Ok(self.buf.get(from..to).unwrap_or(&[]))
    }

    /// Exactly `n` bytes at `offset`, or a [`ProbeErrorKind::Truncated`] error naming `what`.
    pub(crate) fn read(&mut self, offset: u64, n: usize, what: &'static str) -> Result<&[u8], ProbeError> {
        let len = self.len;
        let got = self.peek(offset, n)?;
        if got.len() < n {
            let needed = u64::try_from(n).unwrap_or(u64::MAX);
            return Err(ProbeError::new(offset.min(len), ProbeErrorKind::Truncated { what, needed }));
        }
        Ok(got)
    }

    fn fill(&mut self, offset: u64, n: usize) -> Result<(), ProbeError> {
        let size = n.max(WINDOW);
        let avail = usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX);
        let size = size.min(avail);
        self.inner.seek(SeekFrom::Start(offset)).map_err(|e| ProbeError::io(offset, e))?;
        self.buf.clear();
        self.buf.resize(size, 0);
        let mut filled = 0;
        while filled < size {
            let Some(rest) = self.buf.get_mut(filled..) else { break };
            match self.inner.read(rest) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let at = offset.saturating_add(u64::try_from(filled).unwrap_or(0));
                    self.buf.clear();
                    return Err(ProbeError::io(at, e));
                }
            }
        }
        // The stream may have shrunk since we measured it.
        self.buf.truncate(filled);
        self.start = offset;
        Ok(())
    }
}

/// Big-endian and little-endian reads from byte slices that return `None` instead of panicking.
pub(crate) trait Bytes {
    /// `N` bytes at `at`.
    fn arr<const N: usize>(&self, at: usize) -> Option<[u8; N]>;
    /// A big-endian `u16` at `at`.
    fn be16(&self, at: usize) -> Option<u16> {
        self.arr(at).map(u16::from_be_bytes)
    }
    /// A big-endian `u32` at `at`.
    fn be32(&self, at: usize) -> Option<u32> {
        self.arr(at).map(u32::from_be_bytes)
    }
    /// A big-endian `u64` at `at`.
    fn be64(&self, at: usize) -> Option<u64> {
        self.arr(at).map(u64::from_be_bytes)
    }
    /// A little-endian `u16` at `at`.
    fn le16(&self, at: usize) -> Option<u16> {
        self.arr(at).map(u16::from_le_bytes)
    }
    /// A little-endian `u32` at `at`.
    fn le32(&self, at: usize) -> Option<u32> {
        self.arr(at).map(u32::from_le_bytes)
    }
    /// A little-endian `u64` at `at`.
    fn le64(&self, at: usize) -> Option<u64> {
        self.arr(at).map(u64::from_le_bytes)
    }
}

impl Bytes for [u8] {
    fn arr<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        let end = at.checked_add(N)?;
        self.get(at..end)?.try_into().ok()
    }
}

/// `usize` to `u64` (lossless on every supported platform).
pub(crate) fn u64_of(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn peek_and_read_respect_the_end() {
        let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        let mut src = Source::new(Cursor::new(data.clone())).unwrap();
        assert_eq!(src.len(), 300_000);
        assert_eq!(src.peek(10, 4).unwrap(), &data[10..14]);
        // Across the window boundary.
        assert_eq!(src.peek(262_140, 8).unwrap(), &data[262_140..262_148]);
        // Backwards.
        assert_eq!(src.peek(5, 3).unwrap(), &data[5..8]);
        assert_eq!(src.peek(299_998, 10).unwrap(), &data[299_998..]);
        assert!(src.peek(300_000, 10).unwrap().is_empty());
        assert!(src.peek(u64::MAX, 10).unwrap().is_empty());
        let err = src.read(299_998, 10, "test header").unwrap_err();
        assert_eq!(err.offset, 299_998);
        assert!(matches!(err.kind, ProbeErrorKind::Truncated { what: "test header", needed: 10 }));
        // Larger than a window.
        assert_eq!(src.read(1, 290_000, "big").unwrap(), &data[1..290_001]);
    }

    #[test]
    fn byte_helpers_never_panic() {
        let b = [1u8, 2, 3, 4, 5];
        assert_eq!(b.be16(0), Some(0x0102));
        assert_eq!(b.le32(1), Some(0x0504_0302));
        assert_eq!(b.be32(2), None);
        assert_eq!(b.be64(usize::MAX), None);
    }
}
