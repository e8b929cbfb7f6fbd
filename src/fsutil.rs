//! Safe file replacement: never damage a user's file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Replaces `path` with what `fill` writes, atomically: the bytes go to a temporary file in the
/// same folder, which is flushed, fsynced and renamed over `path` (then the folder is fsynced).
///
/// Files as users expect them:
/// - a symlink is followed: the file it points to is replaced and the link stays a link;
/// - an existing file keeps its permissions;
/// - a new file gets `0666 & !umask`, as `cp` or a shell redirection would give it (the temporary
///   file is created with mode 0666 and the kernel applies the umask).
///
/// If `fill` or any step fails, `path` is untouched and the temporary file is removed.
pub(crate) fn replace_atomically<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
{
    replace(path, fill, true)
}

/// Like [`replace_atomically`] but without the fsyncs: the caller makes the file durable later,
/// with [`sync_file_system`] (a build writes thousands of files, then syncs once before its feed
/// lists any of them).
pub(crate) fn replace_unsynced<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
{
    replace(path, fill, false)
}

/// [`replace_atomically`] when `durable`, else [`replace_unsynced`].
pub(crate) fn replace<F>(path: &Path, fill: F, durable: bool) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
{
    let real = real_path(path)?;
    let path = real.as_path();
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    remove_stale_temps(dir);
    let mut tmp = temp_builder().tempfile_in(dir)?;
    // Held until the temporary file is closed: a later run sees it is alive and leaves it alone.
    let _ = try_lock(tmp.as_file());
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    if durable {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if !durable {
        return Ok(());
    }
    if let Ok(d) = File::open(dir) {
        // Make the rename durable; not every platform supports syncing a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

/// podmark's temporary files: `.podmark-XXXXXX.tmp`, created with mode `0666 & !umask` (as `cp`
/// would give the file it becomes).
fn temp_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".podmark-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// Writes `bytes` as the file `path` in a folder this process has just created, atomically (see
/// [`write_new`]; a file found at `path` is replaced) but not fsynced (see [`replace_unsynced`]):
/// there is no symlink to follow, no mode to keep and no stale temporary file to collect, which
/// saves [`replace`] most of its system calls (a website's page, a new chapter file).
pub(crate) fn write_new_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match write_new(path, "tmp", |f| f.write_all(bytes))?? {
        None => Ok(()),
        Some(tmp) => tmp.persist(path).map_err(|e| e.error),
    }
}

/// Writes a new file with what `fill` writes and gives it the name `path` once whole, if nothing
/// has that name (`Ok(Ok(None))`); never over anything. If something is there, the file is left
/// at a temporary name beside `path` (`.podmark-XXXXXX.<ext>`), returned. Mode `0666 & !umask`,
/// not fsynced. The file is an [`Unnamed`] one where the system has them, else a temporary file
/// renamed without replacing. The outer error is the file system's; the inner one `fill`'s.
pub(crate) fn write_new<E>(
    path: &Path,
    ext: &str,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> io::Result<Result<Option<tempfile::TempPath>, E>> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Some(mut file) = Unnamed::new_in(dir)? {
        if let Err(e) = fill(file.as_file_mut()) {
            return Ok(Err(e));
        }
        return file.name(path, ext).map(Ok);
    }
    let suffix = format!(".{ext}");
    let mut tmp = temp_builder().suffix(&suffix).tempfile_in(dir)?;
    if let Err(e) = fill(tmp.as_file_mut()) {
        return Ok(Err(e));
    }
    match tmp.into_temp_path().persist_noclobber(path) {
        Ok(()) => Ok(Ok(None)),
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(Ok(Some(e.path))),
        Err(e) => Err(e.error),
    }
}

/// A new file written where nothing can see it yet, then named whole ([`Unnamed::name`]): an
/// unnamed file in its folder (Linux's `O_TMPFILE`), named through `/proc/self/fd` (`linkat`).
/// A kill or an error before it is named leaves nothing behind, and it costs the folder one
/// entry instead of a temporary name's two and a rename. Its mode is `0666 & !umask`.
pub(crate) struct Unnamed {
    file: File,
}

impl Unnamed {
    /// An unnamed file in `dir`; `None` where there are none (another system, a file system
    /// without them, no `/proc`): the caller makes a named temporary file instead.
    pub(crate) fn new_in(dir: &Path) -> io::Result<Option<Unnamed>> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{Mode, OFlags};
            use rustix::io::Errno;
            use std::sync::atomic::{AtomicBool, Ordering};
            static NONE: AtomicBool = AtomicBool::new(false);
            static PROC: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| Path::new("/proc/self/fd").is_dir());
            if NONE.load(Ordering::Relaxed) || !*PROC {
                return Ok(None);
            }
            let flags = OFlags::RDWR | OFlags::TMPFILE | OFlags::CLOEXEC;
            match rustix::fs::openat(rustix::fs::CWD, dir, flags, Mode::from_raw_mode(0o666)) {
                Ok(fd) => Ok(Some(Unnamed { file: File::from(fd) })),
                // The file system (or the kernel) has no unnamed files.
                Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => {
                    NONE.store(true, Ordering::Relaxed);
                    Ok(None)
                }
                Err(e) => Err(e.into()),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = dir;
            Ok(None)
        }
    }

    /// The file, to write.
    pub(crate) fn as_file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Names the file `path` (which must be in the folder it was made in) if nothing is there:
    /// `None`. Else it gets a temporary name beside `path` (`.podmark-XXXXXX.<ext>`), returned.
    pub(crate) fn name(self, path: &Path, ext: &str) -> io::Result<Option<tempfile::TempPath>> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{AtFlags, CWD};
            use std::os::fd::AsRawFd;
            let by_fd = format!("/proc/self/fd/{}", self.file.as_raw_fd());
            let link = |to: &Path| rustix::fs::linkat(CWD, by_fd.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW);
            match link(path) {
                Ok(()) => Ok(None),
                Err(rustix::io::Errno::EXIST) => {
                    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                    let suffix = format!(".{ext}");
                    let named = temp_builder().suffix(&suffix).make_in(dir, |p| link(p).map_err(io::Error::from))?;
                    Ok(Some(named.into_temp_path()))
                }
                Err(e) => Err(e.into()),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (path, ext);
            Err(io::Error::other("no unnamed files here"))
        }
    }
}

/// Copies all of `from` into the empty file `to`: a reflink (`FICLONE`: the copy shares the
/// blocks until either is written) where the file system has them (Btrfs, XFS, bcachefs), else
/// in the kernel (`copy_file_range`, which std uses for a file-to-file copy on Linux), else
/// through a buffer.
pub(crate) fn copy_into(from: &File, to: &mut File) -> io::Result<u64> {
    #[cfg(target_os = "linux")]
    if rustix::fs::ioctl_ficlone(&*to, from).is_ok() {
        return Ok(from.metadata()?.len());
    }
    let mut from = from;
    io::copy(&mut from, to)
}

/// Copies the bytes `range` of `from` to `to` at its position: in the kernel where it can
/// (`copy_file_range`, which std uses for a file-to-file copy on Linux), else through a buffer.
pub(crate) fn copy_range(from: &File, range: std::ops::Range<u64>, to: &mut File) -> io::Result<()> {
    use io::{Read as _, Seek as _};
    let mut from = from;
    from.seek(io::SeekFrom::Start(range.start))?;
    let len = range.end.saturating_sub(range.start);
    match io::copy(&mut from.take(len), to)? {
        n if n == len => Ok(()),
        _ => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file is shorter than before")),
    }
}

/// Reads exactly `buf.len()` bytes of `file` from offset `at`.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
    }
    #[cfg(not(unix))]
    {
        use io::{Read as _, Seek as _};
        let mut file = file;
        file.seek(io::SeekFrom::Start(at))?;
        file.read_exact(buf)
    }
}

/// Whether `a` and `b` are the metadata of the same file (device and inode; never elsewhere).
pub(crate) fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Makes every file written (and renamed) so far durable: a few `files` by an fsync of each and of
/// their folders; many (a first build's thousands) on Linux by one `syncfs` of the file system
/// holding `dir`, which costs one journal commit where an fsync per file costs one each, but also
/// waits for everything else dirty on that file system (other programs' writes too): for an edit
/// rebuild's handful of pages it cost up to 100 ms where their fsyncs take a few.
pub(crate) fn sync_file_system(dir: &Path, files: &[std::path::PathBuf]) -> io::Result<()> {
    /// Up to this many files, fsyncs.
    const FEW: usize = 32;
    #[cfg(target_os = "linux")]
    if files.len() > FEW {
        return rustix::fs::syncfs(File::open(dir)?).map_err(io::Error::from);
    }
    // Each file, then the folders that name it, up to `dir`: a folder the build created is named
    // in its parent.
    let mut dirs = std::collections::BTreeSet::new();
    for f in files {
        File::open(f)?.sync_all()?;
        for d in f.ancestors().skip(1) {
            dirs.insert(d.to_path_buf());
            if d == dir || !d.starts_with(dir) {
                break;
            }
        }
    }
    for d in dirs {
        if let Ok(d) = File::open(d) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Starts writing the dirty data of `dir`'s file system to the disk on a new thread: a `syncfs`
/// whose result is not needed, as a later [`sync_file_system`] makes the files durable (with less
/// left to write then). `None` where there is no `syncfs`.
pub(crate) fn start_write_back(dir: &Path) -> Option<std::thread::JoinHandle<()>> {
    #[cfg(target_os = "linux")]
    {
        let dir = File::open(dir).ok()?;
        std::thread::Builder::new()
            .name("podmark-write-back".into())
            .spawn(move || {
                let _ = rustix::fs::syncfs(dir);
            })
            .ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        None
    }
}

/// How old an unlocked temporary file must be before it counts as left by a killed run. The age
/// only covers the instant between creating a temporary file and locking it.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Removes the temporary files (`.podmark-*.tmp`) that a killed podmark left in `dir`: those that
/// no process holds a lock on and that are older than a minute. Runs once per folder per process;
/// errors are ignored (a file that cannot be removed is only clutter).
pub(crate) fn remove_stale_temps(dir: &Path) {
    static DONE: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<std::path::PathBuf>>> =
        std::sync::LazyLock::new(Default::default);
    {
        let mut done = DONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !done.insert(dir.to_path_buf()) {
            return;
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(".podmark-") && name.ends_with(".tmp")) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        let old = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age >= STALE_AFTER);
        if !meta.is_file() || !old {
            continue;
        }
        if let Ok(f) = File::open(&path)
            && try_lock(&f).is_ok()
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The file a write to `path` should replace: symlinks followed (also dangling ones, which are
/// created at their target), `path` itself when it is not a link.
pub(crate) fn real_path(path: &Path) -> io::Result<std::path::PathBuf> {
    let mut current = path.to_path_buf();
    // A chain of links longer than this is a loop; the OS would say ELOOP.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("{}: too many levels of symbolic links", path.display())))
}

/// Writes `bytes` to `path` atomically unless the file already holds exactly those bytes (so a
/// rebuild leaves modification times alone). Returns whether it wrote.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if holds(path, &[Piece::Bytes(bytes.into())]).unwrap_or(false) {
        return Ok(false);
    }
    replace_atomically(path, |w| w.write_all(bytes))?;
    Ok(true)
}

/// A part of a file's content: bytes, or a range of another open file (`ours`: a file this
/// process wrote, e.g. the build's spilled feed fragments, as against the last build's feed).
pub(crate) enum Piece<'a> {
    /// These bytes.
    Bytes(std::borrow::Cow<'a, [u8]>),
    /// The bytes `range` of `from`.
    Copy { from: &'a File, range: std::ops::Range<u64>, ours: bool },
}

impl Piece<'_> {
    /// Its length in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Piece::Bytes(b) => b.len() as u64,
            Piece::Copy { range, .. } => range.end - range.start,
        }
    }
}

/// Whether the file at `path` holds exactly the bytes of `pieces`, read in order through a 64 KB
/// buffer (a large file is not held in memory); a range of the file itself (same device and
/// inode) that is where it was is skipped, not compared.
pub(crate) fn holds(path: &Path, pieces: &[Piece<'_>]) -> io::Result<bool> {
    use std::io::Read as _;
    let live = File::open(path)?;
    let live_meta = live.metadata()?;
    if live_meta.len() != pieces.iter().map(Piece::len).sum::<u64>() {
        return Ok(false);
    }
    let mut reader = io::BufReader::with_capacity(1 << 16, live);
    let mut at = 0;
    let (mut buf, mut theirs) = (Vec::new(), Vec::new());
    for piece in pieces {
        match piece {
            Piece::Bytes(bytes) => {
                for chunk in bytes.chunks(1 << 16) {
                    buf.resize(chunk.len(), 0);
                    reader.read_exact(&mut buf)?;
                    if buf != chunk {
                        return Ok(false);
                    }
                }
            }
            Piece::Copy { from, range, .. } if range.start == at && same_file(&from.metadata()?, &live_meta) => {
                reader.seek_relative(i64::try_from(piece.len()).map_err(io::Error::other)?)?;
            }
            Piece::Copy { from, range, .. } => {
                let mut pos = range.start;
                while pos < range.end {
                    let n = usize::try_from((range.end - pos).min(1 << 16)).map_err(io::Error::other)?;
                    buf.resize(n, 0);
                    theirs.resize(n, 0);
                    read_exact_at(from, &mut theirs, pos)?;
                    reader.read_exact(&mut buf)?;
                    if buf != theirs {
                        return Ok(false);
                    }
                    pos += n as u64;
                }
            }
        }
        at += piece.len();
    }
    Ok(true)
}

/// How long [`lock_exclusive`] waits for another podmark before it gives up, unless the
/// environment variable `PODMARK_LOCK_TIMEOUT` gives a number of seconds.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// After this long waiting, [`lock_exclusive`] says on stderr what it is waiting for.
const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);

/// An exclusive advisory lock ([`lock_exclusive`]); released when dropped (the file is closed).
#[derive(Debug)]
pub(crate) struct LockGuard {
    /// The locked file or folder, kept open: closing it releases the lock.
    _file: File,
}

/// Takes an exclusive advisory lock (`flock(2)`, through `fs4`) on the file or folder `path`, so
/// that two podmark processes never write it at once. `what` names it in messages ("writing
/// episode.mp3", "building feed").
///
/// The lock is on the object `path` names, not on a lock file beside it, so that nothing is left
/// behind. A file that podmark replaces by rename is a new object afterwards; so after getting the
/// lock this checks that `path` still names the locked object (same device and inode) and, when
/// it does not (another writer renamed a new file in while this one waited), locks the new one.
/// Writers must therefore take the lock **before** reading what they plan from, and keep it
/// until the new file is renamed into place.
///
/// Waits up to 30 s (`PODMARK_LOCK_TIMEOUT` seconds when set) and, after 1 s, prints
/// `podmark: waiting for another podmark … <what>` on stderr once; then fails with
/// [`io::ErrorKind::TimedOut`]. `path` must exist (a folder is locked through a read-only handle).
/// Symbolic links are followed: the lock is on what they point to. Unix only (elsewhere this
/// only checks that `path` can be opened).
pub(crate) fn lock_exclusive(path: &Path, what: &str) -> io::Result<LockGuard> {
    let timeout = std::env::var("PODMARK_LOCK_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(LOCK_TIMEOUT);
    lock_exclusive_within(path, what, timeout)
}

/// [`lock_exclusive`] with its timeout given.
fn lock_exclusive_within(path: &Path, what: &str, timeout: Duration) -> io::Result<LockGuard> {
    let mut notice = || eprintln!("podmark: waiting for another podmark {what}…");
    let file = acquire(path, false, what, timeout, LOCK_NOTICE_AFTER, &mut notice)?;
    Ok(LockGuard { _file: file })
}

/// Takes an exclusive advisory lock (`flock`) on `path`, creating the file if needed, and returns the
/// open file that holds it: the lock lasts until the file is dropped (or the process ends, however it
/// ends). While another process holds it, calls `on_wait` once and tries again; after `timeout` it
/// gives up with [`io::ErrorKind::TimedOut`]. `build` locks `feed/.podmark/build.lock` with it.
pub(crate) fn lock_exclusive_waiting(path: &Path, timeout: Duration, on_wait: &mut dyn FnMut()) -> io::Result<File> {
    acquire(path, true, "building", timeout, Duration::ZERO, on_wait)
}

/// The one lock loop: open `path` (creating it when `create`), `flock` it without blocking, check it
/// is still what `path` names, and retry every 20 ms; `on_wait` once after `notice_after`.
fn acquire(
    path: &Path,
    create: bool,
    what: &str,
    timeout: Duration,
    notice_after: Duration,
    on_wait: &mut dyn FnMut(),
) -> io::Result<File> {
    let started = Instant::now();
    let mut told = false;
    loop {
        let file = if create {
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?
        } else {
            File::open(path)?
        };
        match try_lock(&file) {
            Ok(()) => {
                if same_object(&file, path)? {
                    return Ok(file);
                }
                // Replaced while we waited: lock what the path names now.
                continue;
            }
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "gave up after {:.1} s waiting for another podmark {what}; try again when it has finished",
                    timeout.as_secs_f64()
                ),
            ));
        }
        if !told && waited >= notice_after {
            on_wait();
            told = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `flock(LOCK_EX | LOCK_NB)`.
#[cfg(unix)]
fn try_lock(file: &File) -> Result<(), fs4::TryLockError> {
    fs4::FileExt::try_lock(file)
}

/// On Windows a lock is mandatory (it would make the in-place write through another handle
/// fail), so there is none: podmark's one-writer rule holds on Unix only.
#[cfg(not(unix))]
fn try_lock(_file: &File) -> Result<(), fs4::TryLockError> {
    Ok(())
}

/// Whether the open `file` is still what `path` names.
#[cfg(unix)]
fn same_object(file: &File, path: &Path) -> io::Result<bool> {
    let open = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) => Ok(same_file(&open, &now)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Elsewhere files are not replaced under an open handle (Windows refuses the rename).
#[cfg(not(unix))]
fn same_object(_file: &File, _path: &Path) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_compares_bytes_and_ranges_of_other_files_and_skips_its_own_ranges_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (live, other) = (dir.path().join("live"), dir.path().join("other"));
        std::fs::write(&live, b"head<item>a</item><item>b</item>tail").expect("write");
        std::fs::write(&other, b"xx<item>b</item>yy").expect("write");
        let (live_file, other_file) = (File::open(&live).expect("open"), File::open(&other).expect("open"));
        let bytes = |b: &'static [u8]| Piece::Bytes(b.into());
        let copy = |from, range| Piece::Copy { from, range, ours: false };
        // Its own range where it was, another file's equal range, bytes.
        let same = [bytes(b"head"), copy(&live_file, 4..18), copy(&other_file, 2..16), bytes(b"tail")];
        assert!(holds(&live, &same).expect("holds"));
        // Another file's range with other bytes; bytes that differ; another length.
        let other_bytes = [bytes(b"head"), copy(&live_file, 4..18), copy(&other_file, 4..18), bytes(b"tail")];
        assert!(!holds(&live, &other_bytes).expect("holds"));
        assert!(!holds(&live, &[bytes(b"head<item>a</item><item>c</item>tail")]).expect("holds"));
        assert!(!holds(&live, &[bytes(b"head")]).expect("holds"));
        // Its own range moved elsewhere is not taken as equal.
        assert!(!holds(&live, &[copy(&live_file, 0..4), copy(&live_file, 0..32)]).expect("holds"));
        assert!(holds(&live, &[bytes(b"head<item>a</item><item>b</item>tail")]).expect("holds"));
    }

    #[test]
    fn failure_leaves_the_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"old").unwrap();
        let r = replace_atomically(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temp file removed");
        assert!(write_if_changed(&p, b"new").unwrap());
        assert!(!write_if_changed(&p, b"new").unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// The umask of this process, read the way the kernel applies it: create a file with 0666.
    #[cfg(unix)]
    fn umask_mode(dir: &Path) -> u32 {
        let probe = dir.join("umask-probe");
        std::fs::write(&probe, b"").unwrap();
        let m = mode(&probe);
        std::fs::remove_file(probe).unwrap();
        m
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_0666_less_umask_and_existing_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let expected = umask_mode(dir.path());
        let new = dir.path().join("new.xml");
        replace_atomically(&new, |w| w.write_all(b"x")).unwrap();
        assert_eq!(mode(&new), expected, "like a file created by cp or a shell redirection");
        assert_ne!(mode(&new), 0o600, "not tempfile's private mode");
        let old = dir.path().join("old.mp3");
        std::fs::write(&old, b"old").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace_atomically(&old, |w| w.write_all(b"new")).unwrap();
        assert_eq!(mode(&old), 0o640);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_unnamed_file_takes_a_free_name_whole_else_a_temporary_name_and_gets_0666_less_umask() {
        let dir = tempfile::tempdir().unwrap();
        let expected = umask_mode(dir.path());
        let path = dir.path().join("020.mp3");
        let mut file = Unnamed::new_in(dir.path()).unwrap().expect("ext4 and tmpfs have O_TMPFILE");
        file.as_file_mut().write_all(b"new").unwrap();
        // Nothing in the folder until it is named.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(file.name(&path, "mp3").unwrap().is_none());
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), expected);
        // The name is taken: the file gets a temporary name beside it, and the old file stays.
        let mut file = Unnamed::new_in(dir.path()).unwrap().unwrap();
        file.as_file_mut().write_all(b"newer").unwrap();
        let tmp = file.name(&path, "mp3").unwrap().expect("a temporary name");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read(&tmp).unwrap(), b"newer");
        let name = tmp.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with(".podmark-") && name.ends_with(".mp3"), "{name}");
        // Dropped unnamed files leave nothing; a dropped temporary name is removed.
        drop(Unnamed::new_in(dir.path()).unwrap());
        drop(tmp);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_new_never_replaces_and_a_failed_fill_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        assert!(write_new(&path, "json", |f| f.write_all(b"one")).unwrap().unwrap().is_none());
        let tmp = write_new(&path, "json", |f| f.write_all(b"two")).unwrap().unwrap().expect("the name is taken");
        assert_eq!((std::fs::read(&path).unwrap(), std::fs::read(&tmp).unwrap()), (b"one".to_vec(), b"two".to_vec()));
        drop(tmp);
        let failed = write_new(&dir.path().join("b.json"), "json", |_| Err::<(), _>("no")).unwrap();
        assert_eq!(failed.err(), Some("no"));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/episode.m4a");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.m4a");
        std::os::unix::fs::symlink("real/episode.m4a", &link).unwrap();
        replace_atomically(&link, |w| w.write_all(b"new")).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path().join("real")).unwrap().count(), 1, "no temp file left");
    }

    #[test]
    fn a_second_lock_waits_and_times_out_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let held = lock_exclusive_within(&p, "writing f", Duration::from_secs(1)).unwrap();
        // flock(2) locks belong to the open file: a second open in this process conflicts too.
        let started = Instant::now();
        let e = lock_exclusive_within(&p, "writing f", Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains("waiting for another podmark writing f"), "{e}");
        assert!(started.elapsed() >= Duration::from_millis(100));
        drop(held);
        let _again = lock_exclusive_within(&p, "writing f", Duration::from_millis(100)).unwrap();
        // A folder can be locked too (what `build` locks).
        let _folder = lock_exclusive_within(dir.path(), "building", Duration::from_millis(100)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_taken_on_a_file_renamed_away_moves_to_the_new_file() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"old").unwrap();
        let old_inode = std::fs::metadata(&p).unwrap().ino();
        let first = lock_exclusive_within(&p, "writing f", Duration::from_secs(1)).unwrap();
        let waiter = {
            let p = p.clone();
            std::thread::spawn(move || {
                let guard = lock_exclusive_within(&p, "writing f", Duration::from_secs(10)).unwrap();
                let locked = guard._file.metadata().unwrap().ino();
                (locked, std::fs::read(&p).unwrap())
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        // The first writer replaces the file by rename, then lets go of the old one.
        replace_atomically(&p, |w| w.write_all(b"new")).unwrap();
        drop(first);
        let (locked, content) = waiter.join().unwrap();
        assert_ne!(locked, old_inode, "the waiter holds the new file, not the replaced one");
        assert_eq!(locked, std::fs::metadata(&p).unwrap().ino());
        assert_eq!(content, b"new");
    }

    #[cfg(unix)]
    #[test]
    fn stale_temp_files_of_a_killed_run_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let at = |n: &str| dir.path().join(n);
        let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        for n in [".podmark-stale.tmp", ".podmark-held.tmp", "notes.tmp"] {
            let f = File::create(at(n)).unwrap();
            f.set_modified(an_hour_ago).unwrap();
        }
        std::fs::write(at(".podmark-fresh.tmp"), b"being created").unwrap();
        // A live writer holds its temporary file locked, through its own open file description.
        let held = File::open(at(".podmark-held.tmp")).unwrap();
        fs4::FileExt::try_lock(&held).unwrap();
        replace_atomically(&at("feed.xml"), |w| w.write_all(b"<rss/>")).unwrap();
        assert!(!at(".podmark-stale.tmp").exists(), "left by a killed run: removed");
        assert!(at(".podmark-held.tmp").exists(), "locked by a live writer: kept");
        assert!(at(".podmark-fresh.tmp").exists(), "too young to tell: kept");
        assert!(at("notes.tmp").exists(), "not podmark's: kept");
        assert_eq!(std::fs::read(at("feed.xml")).unwrap(), b"<rss/>");
    }

    #[test]
    fn a_second_lock_waits_and_times_out_while_the_first_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lock");
        let first = lock_exclusive_waiting(&p, std::time::Duration::ZERO, &mut || panic!("free")).unwrap();
        let mut waits = 0;
        let err = lock_exclusive_waiting(&p, std::time::Duration::from_millis(120), &mut || waits += 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(waits, 1);
        drop(first);
        lock_exclusive_waiting(&p, std::time::Duration::ZERO, &mut || panic!("free again")).unwrap();
    }
}
