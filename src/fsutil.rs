//! Safe file replacement: never damage a user's file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Replaces `path` with what `fill` writes, atomically: the bytes go to a temporary file in the
/// same folder, which is flushed, fsynced and renamed over `path` (then the folder is fsynced).
/// The original permissions are kept. If `fill` or any step fails, `path` is untouched and the
/// temporary file is removed.
pub(crate) fn replace_atomically<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
{
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".podmark-").suffix(".tmp").tempfile_in(dir)?;
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

/// Writes `bytes` to `path` atomically unless the file already holds exactly those bytes (so a
/// rebuild leaves modification times alone). Returns whether it wrote.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    replace_atomically(path, |w| w.write_all(bytes))?;
    Ok(true)
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
}
