//! A probe cache for builds: a rebuild of a large podcast does not rescan unchanged audio.
//!
//! An entry is keyed by the file's canonical path and is valid while the file's **size**,
//! **modification time** and a **content check** (a 64-bit FNV-1a hash of the first and last
//! 64 KiB) are unchanged, and the probe options and podmark version are the same. The content
//! check catches files replaced by a copy with a preserved mtime (`cp -p`, `rsync -t`) and tools
//! that rewrite tags in place without changing the size. The cache is one JSON file, written
//! atomically (temporary file + rename).
//!
//! ```no_run
//! use podmark::probe::ProbeCache;
//!
//! let mut cache = ProbeCache::open(".podmark/probe-cache.json")?;
//! for file in ["ep1.mp3", "ep2.m4a"] {
//!     let info = cache.probe(file)?;
//!     println!("{file}: {}", info.duration);
//! }
//! cache.retain_used();
//! cache.save()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::{AudioInfo, Probe, ProbeError};

/// Version of the cache file layout and of the probe rules; a different value empties the cache.
const FORMAT: u32 = 3;
/// Bytes hashed at each end of the file.
const EDGE: u64 = 64 * 1024;

/// Why the cache file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Reading or writing the cache file failed.
    #[error("probe cache {path}: {source}")]
    Io {
        /// The cache file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The cache file is not valid JSON of the expected shape.
    #[error("probe cache {path}: {source}")]
    Json {
        /// The cache file.
        path: PathBuf,
        /// The parse error (with line and column).
        source: serde_json::Error,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ns: u64,
    content: String,
    chapters: bool,
    full_scan: bool,
    info: AudioInfo,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    podmark: String,
    entries: BTreeMap<String, Entry>,
}

/// A cache of [`AudioInfo`] per file. See the [module docs](self).
#[derive(Debug, Default)]
pub struct ProbeCache {
    path: Option<PathBuf>,
    entries: BTreeMap<String, Entry>,
    used: BTreeSet<String>,
    dirty: bool,
    hits: u64,
    misses: u64,
    /// Probes made ahead by [`ProbeCache::prefetch`], by the path given, not yet asked for.
    ahead: std::collections::HashMap<PathBuf, Looked>,
}

/// One file looked up: its key, its entry (cached or new) and whether it came from the cache.
#[derive(Debug)]
struct Looked {
    key: String,
    entry: Entry,
    hit: bool,
}

impl ProbeCache {
    /// A cache kept in memory only ([`ProbeCache::save`] does nothing).
    pub fn in_memory() -> Self {
        ProbeCache::default()
    }

    /// Opens the cache file at `path`. A missing file gives an empty cache; so does a cache
    /// written by another version of podmark. A file that is not a cache is an error (so that a
    /// wrong path does not get overwritten).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CacheError> {
        let path = path.as_ref().to_path_buf();
        let mut cache = ProbeCache { path: Some(path.clone()), ..ProbeCache::default() };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(source) => return Err(CacheError::Io { path, source }),
        };
        let file: CacheFile = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(source) => {
                // An older layout is not an error; a file that is not ours is.
                let ours = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .is_some_and(|v| v.get("format").is_some() && v.get("podmark").is_some());
                if ours {
                    return Ok(cache);
                }
                return Err(CacheError::Json { path, source });
            }
        };
        if file.format == FORMAT && file.podmark == env!("CARGO_PKG_VERSION") {
            cache.entries = file.entries;
        }
        Ok(cache)
    }

    /// Probes `audio` with the default options, from the cache when the file is unchanged.
    pub fn probe(&mut self, audio: impl AsRef<Path>) -> Result<AudioInfo, ProbeError> {
        self.probe_with(&Probe::default(), audio)
    }

    /// Probes every file of `paths` with the default options on all cores (in no particular
    /// order), so that the next [`ProbeCache::probe`] of each is answered at once (after checking
    /// that the file's size and modification time are still those probed). A file that cannot be
    /// probed is left for `probe` to report.
    pub fn prefetch(&mut self, paths: &[PathBuf]) {
        self.prefetch_with(&Probe::default(), paths);
    }

    /// [`ProbeCache::prefetch`] with `options`, for the next [`ProbeCache::probe_with`] of each
    /// file with the same options.
    pub fn prefetch_with(&mut self, options: &Probe, paths: &[PathBuf]) {
        use rayon::prelude::*;
        let looked: Vec<(PathBuf, Looked)> =
            paths.par_iter().filter_map(|p| self.look_up(options, p).ok().map(|l| (p.clone(), l))).collect();
        self.ahead.extend(looked);
    }

    /// Probes `audio` with `options`, from the cache when the file is unchanged.
    pub fn probe_with(&mut self, options: &Probe, audio: impl AsRef<Path>) -> Result<AudioInfo, ProbeError> {
        let audio = audio.as_ref();
        let fresh = |l: &Looked| {
            l.entry.chapters == options.chapters
                && l.entry.full_scan == options.full_scan
                && std::fs::metadata(audio).is_ok_and(|m| m.len() == l.entry.size && mtime_of(&m) == l.entry.mtime_ns)
        };
        let ahead = self.ahead.remove(audio);
        if self.ahead.is_empty() {
            // Every probe made ahead was asked for: the table's room goes too.
            self.ahead = std::collections::HashMap::new();
        }
        let looked = match ahead {
            Some(l) if fresh(&l) => l,
            _ => match self.look_up(options, audio) {
                Ok(l) => l,
                Err(e) => {
                    self.misses += 1;
                    return Err(e);
                }
            },
        };
        let info = looked.entry.info.clone();
        self.used.insert(looked.key.clone());
        if looked.hit {
            self.hits += 1;
        } else {
            self.misses += 1;
            self.entries.insert(looked.key, looked.entry);
            self.dirty = true;
        }
        Ok(info)
    }

    /// `audio`'s entry: the cached one if the file is unchanged, else a new probe (`&self`: many
    /// files are looked up at once by [`ProbeCache::prefetch`]).
    fn look_up(&self, options: &Probe, audio: &Path) -> Result<Looked, ProbeError> {
        let key = std::fs::canonicalize(audio).unwrap_or_else(|_| audio.to_path_buf()).to_string_lossy().into_owned();
        let mut file = File::open(audio).map_err(|e| ProbeError::io(0, e))?;
        let meta = file.metadata().map_err(|e| ProbeError::io(0, e))?;
        let size = meta.len();
        let mtime_ns = mtime_of(&meta);
        let (content, whole) = content_check(&mut file, size).map_err(|e| ProbeError::io(0, e))?;
        if let Some(e) = self.entries.get(&key)
            && e.size == size
            && e.mtime_ns == mtime_ns
            && e.content == content
            && e.chapters == options.chapters
            && e.full_scan == options.full_scan
        {
            return Ok(Looked { key, entry: e.clone(), hit: true });
        }
        // A file no larger than the edges was read whole for the check: probed from memory.
        let info = match whole {
            Some(bytes) => options.probe_reader(std::io::Cursor::new(bytes))?,
            None => {
                file.seek(SeekFrom::Start(0)).map_err(|e| ProbeError::io(0, e))?;
                options.probe_reader(file)?
            }
        };
        let entry = Entry { size, mtime_ns, content, chapters: options.chapters, full_scan: options.full_scan, info };
        Ok(Looked { key, entry, hit: false })
    }

    /// Drops the entries of files not probed since the cache was opened (deleted or renamed
    /// episodes), so the cache does not grow forever.
    pub fn retain_used(&mut self) {
        let before = self.entries.len();
        let used = &self.used;
        self.entries.retain(|k, _| used.contains(k));
        self.dirty |= self.entries.len() != before;
    }

    /// Writes the cache file if anything changed: to a temporary file in the same directory,
    /// then renamed over the old one.
    pub fn save(&mut self) -> Result<(), CacheError> {
        let Some(path) = self.path.clone() else { return Ok(()) };
        if !self.dirty {
            return Ok(());
        }
        let io = |source| CacheError::Io { path: path.clone(), source };
        let file = CacheFile {
            format: FORMAT,
            podmark: env!("CARGO_PKG_VERSION").to_owned(),
            entries: std::mem::take(&mut self.entries),
        };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            // Serialized straight into the file: a large show's cache is not held twice in memory.
            crate::fsutil::replace_atomically(&path, |w| serde_json::to_writer(w, &file).map_err(std::io::Error::other))
        });
        self.entries = file.entries;
        written.map_err(io)?;
        self.dirty = false;
        Ok(())
    }

    /// Probes answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Probes that had to read the file.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// Number of cached files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The SHA-256 of the whole file at `path`, as `sha256:<64 hex digits>`: what identifies an
/// episode's audio in the GUID lock ([`crate::sources::guid_lock`]). Unlike the probe cache's
/// content check (size and both ends), it covers every byte, so two episodes that share an intro,
/// an outro and a length still differ. It reads the whole file: the build computes it once per
/// episode, when the episode is first locked.
pub fn audio_hash(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    // Up to 1 MiB at a time, but no larger than the file: a new episode's 40 KB file does not zero
    // (and fault in) a megabyte of buffer, which cost a 10,000-episode first build 2.5 s.
    let len = file.metadata().map_or(0, |m| m.len());
    let mut buf = vec![0u8; usize::try_from(len.saturating_add(1)).unwrap_or(usize::MAX).clamp(8 << 10, 1 << 20)];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

/// Modification time in ns since the epoch (0 when unknown).
fn mtime_of(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

/// FNV-1a 64 of the size and the first and last [`EDGE`] bytes, as 16 hex digits; and the file's
/// bytes when it is no larger than [`EDGE`] (both ends are then the whole file, read once).
fn content_check(file: &mut File, size: u64) -> std::io::Result<(String, Option<Vec<u8>>)> {
    // FNV-1a over 8-byte little-endian words (then the odd tail bytes): a byte at a time was most of
    // a large rebuild's CPU time.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut le = [0u8; 8];
            le.copy_from_slice(w);
            h ^= u64::from_le_bytes(le);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in words.remainder() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&size.to_le_bytes());
    if size <= EDGE {
        let mut whole = vec![0u8; usize::try_from(size).unwrap_or(0)];
        file.seek(SeekFrom::Start(0))?;
        file.read_exact(&mut whole)?;
        eat(&whole);
        eat(&whole);
        return Ok((format!("{h:016x}"), Some(whole)));
    }
    let mut buf = vec![0u8; usize::try_from(EDGE).unwrap_or(65_536)];
    for start in [0, size.saturating_sub(EDGE)] {
        file.seek(SeekFrom::Start(start))?;
        let n = usize::try_from(EDGE.min(size - start)).unwrap_or(0);
        let part = buf.get_mut(..n).unwrap_or_default();
        file.read_exact(part)?;
        eat(part);
    }
    Ok((format!("{h:016x}"), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny valid WAV file with `n` mono 8-bit samples.
    fn wav(n: u32, fill: u8) -> Vec<u8> {
        let mut d = b"RIFF".to_vec();
        d.extend_from_slice(&(36 + n).to_le_bytes());
        d.extend_from_slice(b"WAVEfmt ");
        d.extend_from_slice(&16u32.to_le_bytes());
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&8000u32.to_le_bytes());
        d.extend_from_slice(&8000u32.to_le_bytes());
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&8u16.to_le_bytes());
        d.extend_from_slice(b"data");
        d.extend_from_slice(&n.to_le_bytes());
        d.extend(std::iter::repeat_n(fill, usize::try_from(n).unwrap()));
        d
    }

    #[test]
    fn audio_hash_is_the_sha256_of_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.bin");
        std::fs::write(&a, b"abc").unwrap();
        assert_eq!(audio_hash(&a).unwrap(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // Same size and ends, one byte different in the middle: another hash.
        let mut long = vec![0u8; 3 << 20];
        std::fs::write(&a, &long).unwrap();
        let before = audio_hash(&a).unwrap();
        long[3 << 19] = 1;
        std::fs::write(&a, &long).unwrap();
        assert_ne!(audio_hash(&a).unwrap(), before);
    }

    #[test]
    fn hits_until_the_file_changes_and_survives_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let audio = dir.path().join("a.wav");
        let cache_path = dir.path().join("sub/cache.json");
        std::fs::write(&audio, wav(8000, 0x80)).unwrap();

        let mut cache = ProbeCache::open(&cache_path).unwrap();
        assert!(cache.is_empty());
        assert_eq!(cache.probe(&audio).unwrap().samples, 8000);
        assert_eq!(cache.probe(&audio).unwrap().samples, 8000);
        assert_eq!((cache.hits(), cache.misses()), (1, 1));
        cache.save().unwrap();

        let mut cache = ProbeCache::open(&cache_path).unwrap();
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.probe(&audio).unwrap().samples, 8000);
        assert_eq!((cache.hits(), cache.misses()), (1, 0));

        // Same size, same mtime, different content: the content check notices.
        let meta = std::fs::metadata(&audio).unwrap();
        std::fs::write(&audio, wav(8000, 0x81)).unwrap();
        let f = File::options().write(true).open(&audio).unwrap();
        f.set_modified(meta.modified().unwrap()).unwrap();
        drop(f);
        cache.probe(&audio).unwrap();
        assert_eq!(cache.misses(), 1);

        // A different length.
        std::fs::write(&audio, wav(4000, 0x80)).unwrap();
        assert_eq!(cache.probe(&audio).unwrap().samples, 4000);
        assert_eq!(cache.misses(), 2);

        // Other options are another entry.
        cache.probe_with(&Probe::new().chapters(false), &audio).unwrap();
        assert_eq!(cache.misses(), 3);
    }

    #[test]
    fn retain_used_drops_stale_entries_and_foreign_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cache_path = dir.path().join("cache.json");
        let a = dir.path().join("a.wav");
        let b = dir.path().join("b.wav");
        std::fs::write(&a, wav(10, 0)).unwrap();
        std::fs::write(&b, wav(20, 0)).unwrap();
        let mut cache = ProbeCache::open(&cache_path).unwrap();
        cache.probe(&a).unwrap();
        cache.probe(&b).unwrap();
        cache.save().unwrap();
        let mut cache = ProbeCache::open(&cache_path).unwrap();
        cache.probe(&a).unwrap();
        cache.retain_used();
        cache.save().unwrap();
        assert_eq!(ProbeCache::open(&cache_path).unwrap().len(), 1);

        std::fs::write(&cache_path, "{\"format\": 0, \"podmark\": \"0.0.0\", \"entries\": 5}").unwrap();
        assert!(ProbeCache::open(&cache_path).unwrap().is_empty(), "an old layout is just empty");
        std::fs::write(&cache_path, "not json").unwrap();
        let err = ProbeCache::open(&cache_path).unwrap_err();
        assert!(err.to_string().contains("cache.json"), "{err}");
    }

    #[test]
    fn errors_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.mp3");
        std::fs::write(&bad, b"not audio at all").unwrap();
        let mut cache = ProbeCache::in_memory();
        assert!(cache.probe(&bad).is_err());
        assert!(cache.probe(&bad).is_err());
        assert_eq!((cache.misses(), cache.len()), (2, 0));
        assert!(cache.probe(dir.path().join("missing.mp3")).is_err());
        cache.save().unwrap();
    }
}
