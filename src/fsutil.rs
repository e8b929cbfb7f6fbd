//! Safe file replacement: never damage a user's file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

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
    let real = real_path(path)?;
    let path = real.as_path();
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".podmark-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = File::open(dir) {
        // Make the rename durable; not every platform supports syncing a directory.
        let _ = d.sync_all();
    }
    Ok(())
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
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    replace_atomically(path, |w| w.write_all(bytes))?;
    Ok(true)
}

/// Takes an exclusive advisory lock (`flock`) on `path`, creating the file if needed, and returns the
/// open file that holds it: the lock lasts until the file is dropped (or the process ends, however it
/// ends). While another process holds it, calls `on_wait` once and tries again every 50 ms; after
/// `timeout` it gives up with [`io::ErrorKind::TimedOut`].
pub(crate) fn lock_exclusive_waiting(
    path: &Path,
    timeout: std::time::Duration,
    on_wait: &mut dyn FnMut(),
) -> io::Result<File> {
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    let start = std::time::Instant::now();
    let mut waited = false;
    loop {
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => return Ok(file),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        if !waited {
            waited = true;
            on_wait();
        }
        if start.elapsed() >= timeout {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("still locked by another process after {} s", timeout.as_secs()),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
