//! A build as a transaction over the output folder: at every instant, the live feed (`feed.xml` and
//! its pages) lists only files that exist with the bytes and length it declares.
//!
//! 1. **Stage.** Each output is compared with what is there. Unchanged: nothing to do. A **new**
//!    file (nothing at its name) is written in place at once, atomically (no live feed can list a
//!    file that does not exist). A **changed** file that a feed lists (audio, chapters JSON,
//!    transcript, artwork) cannot be replaced before the new feed is live (the old feed describes
//!    the old bytes) nor after (the new feed describes the new ones): its new bytes go to a
//!    versioned name, `<folder>/v-<hash>/<name>` (same file name, so the slug and type read from
//!    the URL stay). Changed files no feed lists (other chapter formats) wait for step 3. Staged
//!    files are not fsynced one by one: one `syncfs` (an fsync of each elsewhere) makes them all
//!    durable before any feed lists them, and another the settled plain names before switch 2.
//! 2. **Switch 1.** If anything was versioned, the pages are written listing the versioned names
//!    (each page atomically, `feed.xml` last): the new content is live. Pages beyond the new last
//!    one are removed.
//! 3. **Settle.** Each versioned file is hard-linked (copied where links are not supported) to a
//!    temporary name beside the plain name and renamed over it: the plain names now hold the new
//!    bytes, while the live feed still lists the versioned ones. Unlisted changed files are written.
//! 4. **Switch 2.** The pages are written with the plain names (the output a fresh build gives, so
//!    output does not depend on history), then every versioned folder and leftover temporary file
//!    is removed (and pages beyond the last, if there was no switch 1).
//!
//! A failure before switch 1 leaves the previous feed live and intact; after it, the new feed is
//! live and complete, and [`super::BuildError::Unfinished`] says so. The next build picks up
//! whatever is there (a versioned file with the same bytes is reused).

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{BuildError, io};

/// Prefix of podmark's temporary files in the output folder (removed by the next build if a crash
/// leaves one behind).
const TEMP_PREFIX: &str = ".podmark-";

/// How many files staged since the last early write-back start another (see [`Txn::write_back`]).
const WRITE_BACK_AFTER: usize = 256;

/// What [`prepare`] found at an output's name.
pub(super) enum Found {
    /// The same bytes: nothing to do.
    Same,
    /// Nothing: the new file was written there.
    New(PathBuf),
    /// Other bytes: left for [`Txn::stage`].
    Other,
}

/// Where a finished file was left ([`crate::fsutil::write_new`]).
pub(super) enum Placed {
    /// At its name, where nothing was.
    New(PathBuf),
    /// Still at its temporary name: something is at its name, for [`Txn::file`] to compare.
    Taken(tempfile::TempPath),
}

/// Plain name → versioned name, relative to the output folder, for the feed's URLs.
pub(super) type Redirects = HashMap<String, String>;

/// The changes staged so far, and how to make them live.
pub(super) struct Txn {
    out: PathBuf,
    /// Changed files a feed lists, now at a versioned name: (plain, versioned), relative to `out`.
    moved: Vec<(String, String)>,
    /// Changed files no feed lists: written in step 3.
    unlisted: Vec<(String, Vec<u8>)>,
    /// Files written (or renamed into place) without an fsync, made durable together by
    /// [`Txn::sync`] before a feed lists them.
    unsynced: Vec<PathBuf>,
    /// Whether leftovers of earlier builds may be about (see [`Txn::incremental`]).
    leftovers: bool,
    /// The write-back started by [`Txn::write_back`] (it may still run), and how many files had
    /// been staged when it started.
    early: Option<std::thread::JoinHandle<()>>,
    written_back: usize,
}

impl Txn {
    pub(super) fn new(out: &Path) -> Txn {
        Txn {
            out: out.to_owned(),
            moved: Vec::new(),
            unlisted: Vec::new(),
            unsynced: Vec::new(),
            leftovers: true,
            early: None,
            written_back: 0,
        }
    }

    /// The transaction of an incremental build, which follows a build that finished (else it takes
    /// the full path): the only leftovers to collect at the end are its own versioned files.
    pub(super) fn incremental(out: &Path) -> Txn {
        Txn { leftovers: false, ..Txn::new(out) }
    }

    /// Makes every file staged so far durable (one `syncfs` on Linux; see
    /// [`crate::fsutil::sync_file_system`]).
    fn sync(&mut self) -> Result<(), BuildError> {
        if let Some(early) = self.early.take() {
            let _ = early.join();
        }
        if self.unsynced.is_empty() {
            return Ok(());
        }
        crate::fsutil::sync_file_system(&self.out, &self.unsynced).map_err(io(&self.out))?;
        self.unsynced.clear();
        Ok(())
    }

    /// Starts writing the files staged so far to the disk on another thread (see
    /// [`crate::fsutil::start_write_back`]), unless the last one is still at work or fewer than
    /// [`WRITE_BACK_AFTER`] files were staged since: a large build's data goes to the disk while
    /// it makes the rest, instead of all at once in [`Txn::sync`], which still makes everything
    /// durable.
    pub(super) fn write_back(&mut self) {
        if self.early.as_ref().is_some_and(|t| !t.is_finished())
            || self.unsynced.len() < self.written_back + WRITE_BACK_AFTER
        {
            return;
        }
        if let Some(done) = self.early.take() {
            let _ = done.join();
        }
        self.written_back = self.unsynced.len();
        self.early = crate::fsutil::start_write_back(&self.out);
    }

    /// Stages `bytes` as the content of `rel` (see the module docs); `listed`: a feed refers to it.
    /// Returns whether the content changes.
    pub(super) fn bytes(&mut self, rel: &str, bytes: &[u8], listed: bool) -> Result<bool, BuildError> {
        let changed = self.bytes_many(&[(rel.to_owned(), bytes)], listed)?;
        Ok(changed.first().copied().unwrap_or(true))
    }

    /// Stages `bytes` as the new content of `rel`, which exists with other bytes (see
    /// [`Txn::bytes`]).
    fn changed(&mut self, rel: &str, bytes: &[u8], listed: bool) -> Result<bool, BuildError> {
        let path = self.out.join(rel);
        if !listed {
            self.unlisted.push((rel.to_owned(), bytes.to_vec()));
            return Ok(true);
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write(bytes);
        let vrel = versioned(rel, h.finish());
        let vpath = self.out.join(&vrel);
        match std::fs::read(&vpath) {
            Ok(old) if old == bytes => {}
            Ok(_) => return Err(collision(&vpath)),
            Err(_) => {
                mkdirs(&vpath)?;
                crate::fsutil::replace_unsynced(&vpath, |w| w.write_all(bytes)).map_err(io(&vpath))?;
                keep_mode(&path, &vpath)?;
                self.unsynced.push(vpath);
            }
        }
        self.moved.push((rel.to_owned(), vrel));
        Ok(true)
    }

    /// [`Txn::bytes`] for many files (the website's pages): whether each is unchanged, new or
    /// changed is found, and the new ones written, on all cores; the changed ones are then staged in
    /// order. Returns whether each file's content changes. On an error, new files after the first
    /// failing one may have been written (as new files, no feed lists them).
    pub(super) fn bytes_many(&mut self, files: &[(String, &[u8])], listed: bool) -> Result<Vec<bool>, BuildError> {
        use rayon::prelude::*;
        let out = &self.out;
        let found: Vec<Result<Found, BuildError>> =
            files.par_iter().map(|(rel, bytes)| prepare(out, rel, bytes)).collect();
        let mut changed = Vec::with_capacity(files.len());
        for ((rel, bytes), found) in files.iter().zip(found) {
            changed.push(self.stage(rel, bytes, listed, found?)?);
        }
        Ok(changed)
    }

    /// Stages what [`prepare`] found for `rel` (holding `bytes`); `listed`: a feed refers to
    /// it. Returns whether the content changes.
    pub(super) fn stage(&mut self, rel: &str, bytes: &[u8], listed: bool, found: Found) -> Result<bool, BuildError> {
        Ok(match found {
            Found::Same => false,
            Found::New(path) => {
                self.unsynced.push(path);
                true
            }
            Found::Other => self.changed(rel, bytes, listed)?,
        })
    }

    /// Stages a finished file (made durable with the rest before the switch), as placed (see
    /// [`Placed`]), as the content of `rel`, a file a feed lists. Returns whether the content
    /// changes.
    pub(super) fn file(&mut self, rel: &str, placed: Placed) -> Result<bool, BuildError> {
        let staged = match placed {
            Placed::New(path) => {
                self.unsynced.push(path);
                return Ok(true);
            }
            Placed::Taken(staged) => staged,
        };
        let path = self.out.join(rel);
        if same_bytes(&path, &staged).map_err(io(&path))? {
            return Ok(false);
        }
        let vrel = versioned(rel, hash_file(&staged).map_err(io(&staged))?);
        let vpath = self.out.join(&vrel);
        if exists(&vpath)? {
            if !same_bytes(&vpath, &staged).map_err(io(&vpath))? {
                return Err(collision(&vpath));
            }
        } else {
            mkdirs(&vpath)?;
            keep_mode(&path, &staged)?;
            staged.persist(&vpath).map_err(|e| BuildError::Io { path: vpath.clone(), source: e.error })?;
            self.unsynced.push(vpath);
        }
        self.moved.push((rel.to_owned(), vrel));
        Ok(true)
    }

    /// How many files were staged at a versioned name so far.
    pub(super) fn versioned(&self) -> usize {
        self.moved.len()
    }

    /// Where the bytes staged for `rel` are now: the versioned name while it is one.
    pub(super) fn staged_path(&self, rel: &str) -> (PathBuf, bool) {
        match self.moved.iter().find(|(p, _)| p == rel) {
            Some((_, v)) => (self.out.join(v), true),
            None => (self.out.join(rel), false),
        }
    }

    /// Makes the staged changes live: `write_pages(map)` writes every feed page with the URLs of the
    /// plain names in `map` replaced by their versioned names (`feed.xml` last). Returns the page
    /// names written by the final switch. See the module docs for the order.
    pub(super) fn commit(
        mut self,
        write_pages: &mut dyn FnMut(&Redirects) -> Result<Vec<String>, BuildError>,
    ) -> Result<Vec<String>, BuildError> {
        let unfinished = |e: BuildError| BuildError::Unfinished(Box::new(e));
        // Everything staged is durable before any feed lists it: one sync for the whole build.
        self.sync()?;
        super::timing::lap("commit: sync the staged files");
        if !self.moved.is_empty() {
            let map: Redirects = self.moved.iter().cloned().collect();
            let count = write_pages(&map)?.len();
            // Pages left over from an earlier build with more pages would mislead clients, and would
            // soon list plain names with old lengths: remove them once the new pages are live.
            remove_pages_after(&self.out, count).map_err(unfinished)?;
        }
        for (rel, vrel) in &self.moved {
            let path = self.out.join(rel);
            link_over(&self.out.join(vrel), &path).map_err(unfinished)?;
            self.unsynced.push(path);
        }
        // Changed files no feed lists (a rebuilt website's pages): on all cores.
        let out = &self.out;
        let written: Vec<Result<PathBuf, BuildError>> = {
            use rayon::prelude::*;
            self.unlisted
                .par_iter()
                .map(|(rel, bytes)| {
                    let path = out.join(rel);
                    crate::fsutil::replace_unsynced(&path, |w| w.write_all(bytes)).map_err(io(&path))?;
                    Ok(path)
                })
                .collect()
        };
        for path in written {
            self.unsynced.push(path.map_err(unfinished)?);
        }
        // The plain names hold their new bytes durably before the final feed lists them.
        self.sync().map_err(unfinished)?;
        let was_switched = !self.moved.is_empty();
        super::timing::lap("commit: settle");
        let pages = write_pages(&HashMap::new()).map_err(|e| if was_switched { unfinished(e) } else { e })?;
        super::timing::lap("feed: write and switch");
        remove_pages_after(&self.out, pages.len()).map_err(unfinished)?;
        if self.leftovers || was_switched {
            collect_garbage(&self.out).map_err(unfinished)?;
        }
        super::timing::lap("commit: collect garbage");
        Ok(pages)
    }
}

/// The first half of [`Txn::bytes`], which needs only the output folder `out` (so it runs on all
/// cores, beside a staging transaction): finds whether `bytes` are new, unchanged or changed for
/// `rel`, and writes a new file at once. [`Txn::stage`] does the rest, in order.
pub(super) fn prepare(out: &Path, rel: &str, bytes: &[u8]) -> Result<Found, BuildError> {
    let path = out.join(rel);
    match std::fs::read(&path) {
        Ok(old) if old == *bytes => Ok(Found::Same),
        Ok(_) => Ok(Found::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A page's own folder, new: nothing in it to follow, keep or collect.
            let parent = path.parent().unwrap_or(out);
            match std::fs::create_dir(parent) {
                Ok(()) => crate::fsutil::write_new_unsynced(&path, bytes).map_err(io(&path))?,
                Err(_) => {
                    mkdirs(&path)?;
                    // Nothing at all at the name: a new file. (A dangling symlink is written
                    // through, at its target.)
                    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
                        crate::fsutil::write_new_unsynced(&path, bytes).map_err(io(&path))?;
                    } else {
                        crate::fsutil::replace_unsynced(&path, |w| w.write_all(bytes)).map_err(io(&path))?;
                    }
                }
            }
            Ok(Found::New(path))
        }
        Err(e) => Err(BuildError::Io { path, source: e }),
    }
}

/// Whether there is something at `path` (a dangling symlink counts); an error other than "not found"
/// is an error.
fn exists(path: &Path) -> Result<bool, BuildError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(BuildError::Io { path: path.to_owned(), source: e }),
    }
}

/// Removes the pages after the first `count` (`feed-<count+1>.xml`…) left by an earlier build.
fn remove_pages_after(out: &Path, count: usize) -> Result<(), BuildError> {
    let mut n = count + 1;
    loop {
        let stale = out.join(crate::feed::paging::page_name(n));
        if !stale.is_file() {
            return Ok(());
        }
        std::fs::remove_file(&stale).map_err(io(&stale))?;
        n += 1;
    }
}

/// `audio/020.mp3` → `audio/v-<16 hex>/020.mp3`.
fn versioned(rel: &str, hash: u64) -> String {
    match rel.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/v-{hash:016x}/{name}"),
        None => format!("v-{hash:016x}/{rel}"),
    }
}

fn is_version_dir(name: &str) -> bool {
    name.strip_prefix("v-").is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A temporary file of podmark's: `.podmark-` then tempfile's six random characters and an
/// extension, or `.podmark-link-<pid>.tmp`.
pub(super) fn is_temp_name(name: &str) -> bool {
    let Some((stem, _ext)) = name.strip_prefix(TEMP_PREFIX).and_then(|rest| rest.split_once('.')) else {
        return false;
    };
    (stem.len() == 6 && stem.bytes().all(|b| b.is_ascii_alphanumeric()))
        || stem.strip_prefix("link-").is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

fn collision(path: &Path) -> BuildError {
    BuildError::Io {
        path: path.to_owned(),
        source: std::io::Error::other("a different file already has this versioned name; remove it and build again"),
    }
}

fn mkdirs(path: &Path) -> Result<(), BuildError> {
    match path.parent() {
        Some(parent) => std::fs::create_dir_all(parent).map_err(io(parent)),
        None => Ok(()),
    }
}

/// Gives `to` the permissions of `from`, if `from` exists (a rebuilt file keeps its mode).
fn keep_mode(from: &Path, to: &Path) -> Result<(), BuildError> {
    if let Ok(meta) = std::fs::metadata(from) {
        std::fs::set_permissions(to, meta.permissions()).map_err(io(to))?;
    }
    Ok(())
}

fn hash_file(path: &Path) -> std::io::Result<u64> {
    let mut f = std::fs::File::open(path)?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finish());
        }
        h.write(buf.get(..n).unwrap_or_default());
    }
}

fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0; 1 << 16], vec![0; 1 << 16]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        let chunk = ba.get(..n).unwrap_or_default();
        let other = bb.get_mut(..n).unwrap_or_default();
        fb.read_exact(other)?;
        if chunk != other {
            return Ok(false);
        }
    }
}

/// Replaces `path` with the file `from` (which stays): a hard link (or, where the file system has
/// none, a copy) at a temporary name, renamed over `path` (made durable by the next [`Txn::sync`]).
fn link_over(from: &Path, path: &Path) -> Result<(), BuildError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!("{TEMP_PREFIX}link-{}.tmp", std::process::id()));
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(BuildError::Io { path: tmp, source: e }),
        _ => {}
    }
    if std::fs::hard_link(from, &tmp).is_err() {
        let copied = std::fs::copy(from, &tmp);
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&tmp);
            return Err(BuildError::Io { path: tmp, source: e });
        }
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(BuildError::Io { path: path.to_owned(), source: e });
    }
    Ok(())
}

/// Removes every versioned folder and temporary file podmark left in the output's folders (none
/// is listed by the feed once it lists only plain names).
fn collect_garbage(out: &Path) -> Result<(), BuildError> {
    for sub in ["", "audio", "chapters", "transcripts", "images"] {
        let dir = out.join(sub);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BuildError::Io { path: dir, source: e }),
        };
        for e in entries {
            let e = e.map_err(io(&dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let kind = e.file_type().map_err(io(&path))?;
            if kind.is_dir() && is_version_dir(&name) {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            } else if kind.is_file() && is_temp_name(&name) {
                std::fs::remove_file(&path).map_err(io(&path))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_keep_the_file_name() {
        assert_eq!(versioned("audio/020.mp3", 0xab), "audio/v-00000000000000ab/020.mp3");
        assert_eq!(versioned("cover.png", 1), "v-0000000000000001/cover.png");
        assert!(is_version_dir("v-00000000000000ab"));
        assert!(!is_version_dir("v-0000000000000g0b") && !is_version_dir("v-ab") && !is_version_dir("020"));
        assert!(is_temp_name(".podmark-a1B2c3.tmp") && is_temp_name(".podmark-a1B2c3.mp3"));
        assert!(is_temp_name(".podmark-link-123.tmp"));
        assert!(
            !is_temp_name(".podmark-manifest.json") && !is_temp_name(".podmark") && !is_temp_name("podmark-a1B2c3.tmp")
        );
    }
}
