//! `--download`: enclosures fetched with parallel transfers (std threads), HTTP Range resume
//! (also when a connection drops mid-file), length verification and retries with backoff.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::Progress;
use super::fetch::Fetcher;

/// One enclosure to fetch.
#[derive(Debug, Clone)]
pub struct Job {
    /// Where it is.
    pub url: String,
    /// Where it goes, relative to the staging folder.
    pub path: PathBuf,
    /// The byte length the feed gives (0: unknown, then not verified).
    pub length: u64,
}

/// How many times one download is tried (a dropped connection resumes where it stopped).
pub const ATTEMPTS: u32 = 6;

/// Fetches every job into `root` with `jobs` threads; `(files, bytes)` downloaded.
pub fn run(list: &[Job], root: &Path, jobs: usize, progress: &Progress<'_>) -> Result<(usize, u64), String> {
    let fetcher = Fetcher::new();
    let total: u64 = list.iter().map(|j| j.length).sum();
    let done = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(list.len()).max(1) {
            s.spawn(|| {
                while let Some(job) = list.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let tick = |n: u64| progress(done.fetch_add(n, Ordering::Relaxed) + n, total);
                    if let Err(e) = one(&fetcher, job, &root.join(&job.path), &tick) {
                        errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(e);
                    }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(first) = errors.first() {
        return Err(if errors.len() == 1 {
            first.clone()
        } else {
            format!("{first} (and {} more downloads failed)", errors.len() - 1)
        });
    }
    let bytes = list.iter().filter_map(|j| std::fs::metadata(root.join(&j.path)).ok()).map(|m| m.len()).sum();
    Ok((list.len(), bytes))
}

/// One file: resumed from what is already there with `Range`, retried with backoff.
fn one(fetcher: &Fetcher, job: &Job, path: &Path, tick: &dyn Fn(u64)) -> Result<(), String> {
    let fail = |m: String| format!("{}: {m}", job.url);
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(100 << attempt.min(5)));
        }
        match attempt_once(fetcher, job, path, tick) {
            Ok(()) => return Ok(()),
            Err((e, retry)) => {
                last = e;
                if !retry {
                    break;
                }
            }
        }
    }
    Err(fail(last))
}

/// One try: `Err((why, worth retrying))`.
fn attempt_once(fetcher: &Fetcher, job: &Job, path: &Path, tick: &dyn Fn(u64)) -> Result<(), (String, bool)> {
    let have = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if job.length > 0 && have == job.length {
        return Ok(());
    }
    let mut url = job.url.clone();
    let mut resp = None;
    for _ in 0..=super::fetch::MAX_REDIRECTS {
        let mut req = fetcher.agent().get(&url);
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
        }
        let r = req.call().map_err(|e| (e.to_string(), true))?;
        if matches!(r.status().as_u16(), 301 | 302 | 303 | 307 | 308)
            && let Some(to) = r.headers().get("location").and_then(|v| v.to_str().ok())
        {
            url = super::fetch::resolve(&url, to);
            continue;
        }
        resp = Some(r);
        break;
    }
    let Some(mut resp) = resp else { return Err(("too many redirects".into(), false)) };
    let status = resp.status().as_u16();
    let append = match status {
        206 => true,
        200 => false,
        416 if have > 0 => {
            // Asked past the end: what is there is the whole file, or too much.
            return if job.length == 0 || have == job.length {
                Ok(())
            } else {
                let _ = std::fs::remove_file(path);
                Err((format!("the server refused the range from byte {have}; starting again"), true))
            };
        }
        s => return Err((format!("the server answered {s}"), (500..600).contains(&s) || s == 429)),
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(|e| (format!("{}: {e}", path.display()), false))?;
    if !append && have > 0 {
        tick(0);
    }
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; 64 << 10];
    let mut got = if append { have } else { 0 };
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = file.flush();
                return Err((format!("connection dropped after {got} bytes ({e}); resuming"), true));
            }
        };
        file.write_all(buf.get(..n).unwrap_or_default()).map_err(|e| (format!("{}: {e}", path.display()), false))?;
        got += n as u64;
        tick(n as u64);
    }
    file.flush().map_err(|e| (e.to_string(), false))?;
    if job.length > 0 && got != job.length {
        if got < job.length {
            return Err((format!("got {got} of {} bytes; resuming", job.length), true));
        }
        return Err((format!("the file is {got} bytes but the feed says {}", job.length), false));
    }
    Ok(())
}
