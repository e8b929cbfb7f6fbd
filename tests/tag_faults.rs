//! What `podmark tag` leaves behind when it is killed, when a write-side system call fails, and
//! when two of them write one file at once.
//!
//! - **Fault injection** (strace `-e inject=`): for MP3 and MP4 (moov first and moov last), in place
//!   and rewritten, every write-side system call (`write`, `pwrite64`, `copy_file_range`, `fsync`,
//!   `fdatasync`, `rename*`, `ftruncate`, `openat`) × {SIGKILL, ENOSPC, EIO} × its first calls: the
//!   file is byte-identical to the old or to the new version, exit 0 means the new one, and a
//!   message that says "nothing written" means the old one. Kills that landed after the write had
//!   started are counted and must be more than zero.
//! - **Concurrency**: pairs of simultaneous `podmark tag` on one file end as if they had run one
//!   after the other, in either order; both exit 0.
//! - **The lock**: a second writer waits (and says so), or gives up after `PODMARK_LOCK_TIMEOUT`
//!   seconds with the file unchanged.
//!
//! strace and flock(1) are external tools: skipped when missing, required with
//! `PODMARK_REQUIRE_INTEROP=1`.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{fixture, require_strace, require_tool};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("podmark")
}

/// `podmark tag FILE --chapters CHAPTERS EXTRA…`.
fn tag_cmd(file: &Path, chapters: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("tag").arg(file).arg("--chapters").arg(chapters).args(extra);
    c
}

fn run_ok(mut c: Command) -> Output {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{c:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// `n` chapters `step_ms` apart with titles of `title_len` bytes (`tag` letters vary them).
fn chapter_list(n: usize, step_ms: u64, title_len: usize, tag: char) -> String {
    let mut s = String::new();
    for i in 0..n {
        let ms = u64::try_from(i).unwrap() * step_ms;
        let (h, m, sec, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        let mut title = format!("{tag} chapter {i} ");
        while title.len() < title_len {
            title.push(tag);
        }
        s.push_str(&format!("{h}:{m:02}:{sec:02}.{milli:03} {title}\n"));
    }
    s
}

/// One scenario: the file before (`old`) and after a complete run (`new`) of
/// `podmark tag FILE --chapters CHAPTERS`.
struct Case {
    label: String,
    dir: tempfile::TempDir,
    file: PathBuf,
    chapters: PathBuf,
    old: Vec<u8>,
    new: Vec<u8>,
}

/// Tags `base` with `first` (with `--padding first_padding`) to get the old file, then with
/// `second` to get the new one, which must be written the way `mode` says (`in-place` or
/// `rewritten`).
fn case(label: &str, name: &str, base: &[u8], first: &str, first_padding: &str, second: &str, mode: &str) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, base).unwrap();
    let first_path = dir.path().join("first.txt");
    std::fs::write(&first_path, first).unwrap();
    run_ok(tag_cmd(&file, &first_path, &["--padding", first_padding]));
    let old = std::fs::read(&file).unwrap();
    let chapters = dir.path().join("chapters.txt");
    std::fs::write(&chapters, second).unwrap();
    let out = run_ok(tag_cmd(&file, &chapters, &["--json"]));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["mode"], mode, "{label}: the scenario exercises the intended write");
    let new = std::fs::read(&file).unwrap();
    assert_ne!(old, new);
    std::fs::write(&file, &old).unwrap();
    Case { label: label.to_owned(), dir, file, chapters, old, new }
}

/// The write-side system calls, as strace names them.
const SYSCALLS: [&str; 11] = [
    "write",
    "pwrite64",
    "copy_file_range",
    "fsync",
    "fdatasync",
    "rename",
    "renameat",
    "renameat2",
    "ftruncate",
    "openat",
    "sendfile",
];

const FAULTS: [&str; 3] = ["signal=KILL", "error=ENOSPC", "error=EIO"];

/// How many times a complete run makes each of [`SYSCALLS`].
fn syscall_counts(c: &Case) -> Vec<(&'static str, usize)> {
    let trace = c.dir.path().join("trace.txt");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-o"]).arg(&trace).arg("-e").arg(format!("trace={}", SYSCALLS.join(",")));
    cmd.arg(bin()).arg("tag").arg(&c.file).arg("--chapters").arg(&c.chapters);
    run_ok(cmd);
    let text = std::fs::read_to_string(&trace).unwrap();
    std::fs::remove_file(&trace).unwrap();
    assert_eq!(std::fs::read(&c.file).unwrap(), c.new, "{}: a traced run writes the new file", c.label);
    std::fs::write(&c.file, &c.old).unwrap();
    SYSCALLS
        .iter()
        .map(|&s| {
            let n = text
                .lines()
                .filter(|l| l.split_whitespace().nth(1).is_some_and(|call| call.starts_with(&format!("{s}("))))
                .count();
            (s, n)
        })
        .collect()
}

/// Which calls to fail: all of the first `count` when there are few, else 8 spread over them
/// (the first and the last included).
fn which_calls(count: usize) -> Vec<usize> {
    const MAX: usize = 8;
    if count <= MAX {
        return (1..=count).collect();
    }
    let mut v: Vec<usize> = (0..MAX).map(|i| 1 + i * (count - 1) / (MAX - 1)).collect();
    v.dedup();
    v
}

#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    failed: usize,
    kept_old: usize,
    got_new: usize,
    /// Runs killed after the write started (the file or a temporary file had been written).
    killed_mid_write: usize,
    /// Runs that failed with the file already new and said so.
    failed_after_write: usize,
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".podmark-"))
        .collect()
}

/// Runs the fault matrix over one case and checks every outcome.
fn inject_faults(c: &Case, tally: &mut Tally) {
    for (syscall, count) in syscall_counts(c) {
        for n in which_calls(count) {
            for fault in FAULTS {
                std::fs::write(&c.file, &c.old).unwrap();
                let before = std::fs::metadata(&c.file).unwrap();
                let mut cmd = Command::new("strace");
                cmd.args(["-f", "-qq", "-o", "/dev/null", "-e"]).arg(format!("trace={syscall}")).arg("-e");
                cmd.arg(format!("inject={syscall}:{fault}:when={n}"));
                cmd.arg(bin()).arg("tag").arg(&c.file).arg("--chapters").arg(&c.chapters);
                let out = cmd.output().unwrap();
                let what = format!("{}: {syscall} call {n} with {fault}", c.label);
                let stderr = String::from_utf8_lossy(&out.stderr);
                let now = std::fs::read(&c.file).unwrap();
                let after = std::fs::metadata(&c.file).unwrap();
                let is_old = now == c.old;
                let is_new = now == c.new;
                assert!(is_old || is_new, "{what}: the file is neither the old nor the new version; stderr: {stderr}");
                if out.status.success() {
                    assert!(is_new, "{what}: exit 0 but the file is the old version");
                }
                if stderr.contains("nothing written") || stderr.contains("unchanged") {
                    assert!(is_old, "{what}: says nothing was written but the file is new: {stderr}");
                }
                let killed = out.status.code().is_none_or(|code| code == 137);
                let temps = temp_files(c.dir.path());
                if !killed {
                    assert!(temps.is_empty(), "{what}: a failed run left {temps:?}");
                }
                let touched = before.ino() != after.ino()
                    || before.mtime() != after.mtime()
                    || before.mtime_nsec() != after.mtime_nsec();
                tally.runs += 1;
                tally.failed += usize::from(!out.status.success());
                tally.kept_old += usize::from(is_old);
                tally.got_new += usize::from(is_new);
                tally.killed_mid_write += usize::from(killed && (touched || !temps.is_empty()));
                if !out.status.success() && !killed && is_new && stderr.contains("may hold the old or the new") {
                    tally.failed_after_write += 1;
                }
                for t in temps {
                    std::fs::remove_file(t).unwrap();
                }
            }
        }
    }
}

/// About 5 minutes of MPEG frames (no Xing header, so they concatenate).
fn mp3_base() -> Vec<u8> {
    std::fs::read(fixture("mp3/noxing.mp3")).unwrap().repeat(100)
}

/// 800 chapters: the `moov` region is over 64 KiB, more than one buffered write.
fn many(step_ms: u64, title_len: usize, tag: char) -> String {
    chapter_list(800, step_ms, title_len, tag)
}

/// 250 chapters (a CTOC lists at most 255) with long titles: a tag over 64 KiB.
fn many_mp3(title_len: usize, tag: char) -> String {
    chapter_list(250, 1000, title_len, tag)
}

#[test]
fn mp3_faults_leave_the_old_or_the_new_file_and_messages_tell_which() {
    if !require_strace() {
        return;
    }
    let started = Instant::now();
    let base = mp3_base();
    let small = chapter_list(3, 60_000, 10, 's');
    let cases = [
        case("MP3 in place", "a.mp3", &base, &many_mp3(300, 'a'), "4096", &many_mp3(280, 'b'), "in-place"),
        case("MP3 rewrite", "a.mp3", &base, &small, "0", &many_mp3(300, 'a'), "rewritten"),
    ];
    let mut tally = Tally::default();
    for c in &cases {
        inject_faults(c, &mut tally);
    }
    eprintln!("MP3: {tally:?} in {:?}", started.elapsed());
    assert!(tally.failed > 0 && tally.kept_old > 0 && tally.got_new > 0, "{tally:?}");
    assert!(tally.killed_mid_write > 0, "some kills landed after the write started: {tally:?}");
    assert!(tally.failed_after_write > 0, "a failed fsync after an in-place write is reported as such: {tally:?}");
}

#[test]
fn mp4_faults_leave_the_old_or_the_new_file_and_messages_tell_which() {
    if !require_strace() {
        return;
    }
    let started = Instant::now();
    let small = chapter_list(3, 600_000, 10, 's');
    let mut tally = Tally::default();
    for (layout, name) in [("moov first", "seed-first.m4b"), ("moov last", "seed-last.m4a")] {
        let base = std::fs::read(fixture(&format!("mp4/{name}"))).unwrap();
        let cases = [
            case(
                &format!("MP4 {layout} in place"),
                name,
                &base,
                &many(3000, 60, 'a'),
                "4096",
                &many(3000, 50, 'b'),
                "in-place",
            ),
            case(&format!("MP4 {layout} rewrite"), name, &base, &small, "0", &many(3000, 60, 'a'), "rewritten"),
        ];
        for c in &cases {
            inject_faults(c, &mut tally);
        }
    }
    eprintln!("MP4: {tally:?} in {:?}", started.elapsed());
    assert!(tally.failed > 0 && tally.kept_old > 0 && tally.got_new > 0, "{tally:?}");
    assert!(tally.killed_mid_write > 0, "some kills landed after the write started: {tally:?}");
    assert!(tally.failed_after_write > 0, "a failed fsync after an in-place write is reported as such: {tally:?}");
}

/// A small xorshift generator: deterministic delays.
fn rng(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// `pairs` times: from the same start, A (few chapters, fits in place) and B (many, a rewrite)
/// start together, in a random order up to 20 ms apart. Both succeed and the file ends as A
/// after B or B after A, byte for byte.
fn concurrent_pairs(label: &str, name: &str, base: &[u8], step_ms: u64, pairs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    let write_list = |n: &str, text: &str| {
        let p = dir.path().join(n);
        std::fs::write(&p, text).unwrap();
        p
    };
    let start_list = write_list("start.txt", &chapter_list(10, step_ms, 30, 's'));
    let x = write_list("x.txt", &chapter_list(3, step_ms, 10, 'x'));
    let y = write_list("y.txt", &chapter_list(40, step_ms, 40, 'y'));
    std::fs::write(&file, base).unwrap();
    run_ok(tag_cmd(&file, &start_list, &["--padding", "0"]));
    let start = std::fs::read(&file).unwrap();
    let sequential = |first: &Path, second: &Path| {
        std::fs::write(&file, &start).unwrap();
        run_ok(tag_cmd(&file, first, &[]));
        run_ok(tag_cmd(&file, second, &[]));
        std::fs::read(&file).unwrap()
    };
    let a_after_b = sequential(&y, &x);
    let b_after_a = sequential(&x, &y);
    assert_ne!(a_after_b, b_after_a);
    let mut random = rng(0x2545_F491_4F6C_DD1D);
    let (mut a_last, mut b_last) = (0, 0);
    for pair in 0..pairs {
        std::fs::write(&file, &start).unwrap();
        let gap = Duration::from_micros(random() % 20_000);
        let (first, second) = if random() & 1 == 0 { (&x, &y) } else { (&y, &x) };
        let spawn =
            |list: &Path| tag_cmd(&file, list, &[]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let one = spawn(first);
        std::thread::sleep(gap);
        let two = spawn(second);
        for child in [one, two] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{label} pair {pair}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let now = std::fs::read(&file).unwrap();
        if now == a_after_b {
            a_last += 1;
        } else if now == b_after_a {
            b_last += 1;
        } else {
            panic!("{label} pair {pair} ({gap:?} apart): the file is neither A after B nor B after A");
        }
    }
    eprintln!("{label}: {pairs} pairs: A last {a_last}, B last {b_last}");
}

#[test]
fn simultaneous_tags_on_one_file_end_as_if_run_one_after_the_other() {
    let mp4 = std::fs::read(fixture("mp4/seed-first.m4b")).unwrap();
    concurrent_pairs("MP4 moov first", "a.m4b", &mp4, 20_000, 50);
    let mp4 = std::fs::read(fixture("mp4/seed-last.m4a")).unwrap();
    concurrent_pairs("MP4 moov last", "a.m4a", &mp4, 20_000, 20);
    concurrent_pairs("MP3", "a.mp3", &mp3_base(), 5_000, 20);
}

#[test]
fn a_second_writer_waits_for_the_lock_or_gives_up_with_the_file_unchanged() {
    if !require_tool("flock") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.m4a");
    std::fs::copy(fixture("mp4/short-first.m4a"), &file).unwrap();
    let chapters = dir.path().join("c.txt");
    std::fs::write(&chapters, "0:00 One\n0:01 Two\n").unwrap();
    let old = std::fs::read(&file).unwrap();
    // flock(1) holds the same flock(2) lock podmark takes.
    let mut holder = Command::new("flock").arg(&file).args(["sleep", "3"]).spawn().unwrap();
    let held = Instant::now();
    while Command::new("flock").arg("-n").arg(&file).arg("true").status().unwrap().success() {
        assert!(held.elapsed() < Duration::from_secs(5), "flock(1) never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = tag_cmd(&file, &chapters, &[]).env("PODMARK_LOCK_TIMEOUT", "0.3").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("gave up after") && stderr.contains("nothing written"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), old);
    let out = tag_cmd(&file, &chapters, &[]).env("PODMARK_LOCK_TIMEOUT", "30").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("waiting for another podmark writing"), "{stderr}");
    assert!(held.elapsed() >= Duration::from_millis(2500), "podmark wrote only after the holder let go");
    holder.wait().unwrap();
    assert_ne!(std::fs::read(&file).unwrap(), old);
}

#[test]
fn a_report_that_cannot_be_printed_does_not_claim_nothing_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.mp3");
    std::fs::write(&file, mp3_base()).unwrap();
    let chapters = dir.path().join("c.txt");
    std::fs::write(&chapters, "0:00 One\n0:01 Two\n").unwrap();
    let old = std::fs::read(&file).unwrap();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = tag_cmd(&file, &chapters, &[]).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(std::fs::read(&file).unwrap(), old, "the file was tagged");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("nothing written"), "{stderr}");
    assert!(stderr.contains("the file was written, but the report could not be printed"), "{stderr}");
}
