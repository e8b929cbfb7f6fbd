//! `podmark build` over an existing, checked `feed/` is a transaction: faults injected with strace
//! (SIGKILL, ENOSPC, EIO) into every write-side system call of a rebuild never leave a feed that
//! `podmark check` rejects or that lists a file that is missing or of another length; a build that
//! did not complete exits non-zero, one that did equals a fault-free build, and the next build
//! recovers. Builds into one folder take turns.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_podmark");
const BASE_URL: &str = "https://t.example/";

/// The write side of a build, as groups of system calls (each counted separately by strace).
const SYSCALLS: &[(&str, &str)] = &[
    ("write", "write,pwrite64,writev,copy_file_range"),
    ("fsync", "fsync,fdatasync,syncfs"),
    ("rename", "rename,renameat,renameat2"),
    ("link", "link,linkat"),
    ("unlink", "unlink,unlinkat"),
    ("openat", "openat"),
    ("mkdir", "mkdir,mkdirat"),
];
const FAULTS: &[&str] = &["signal=KILL", "error=ENOSPC", "error=EIO"];
/// Invocations of each group tried, spread evenly over all its invocations in a fault-free rebuild.
const MAX_POINTS: usize = 12;

fn episode(episodes: &Path, slug: &str, title: &str, day: u32, audio: &str, chapters: &str) {
    let dir = episodes.join(slug);
    std::fs::create_dir_all(&dir).unwrap();
    let ext = audio.rsplit_once('.').unwrap().1;
    let name = format!("episode.{ext}");
    if !dir.join(&name).exists() {
        std::fs::copy(common::fixture(&format!("audio/{audio}")), dir.join(&name)).unwrap();
    }
    std::fs::write(
        dir.join("episode.md"),
        format!("+++\ntitle = \"{title}\"\ndate = 2024-01-{day:02}T10:00:00+00:00\naudio = \"{name}\"\n+++\nNotes.\n\n{chapters}"),
    )
    .unwrap();
}

/// A show built once (and checked), then changed: episode 2's chapter list (its audio is tagged
/// again, its JSON changes), episode 1's transcript and the cover change, and episode 3 is new.
fn changed_show(root: &Path) {
    let episodes = root.join("episodes");
    std::fs::create_dir_all(&episodes).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        format!(
            "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nimage = \"cover.png\"\nbase_url = \"{BASE_URL}\"\n[category]\nname = \"Technology\"\n"
        ),
    )
    .unwrap();
    let cover = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("episodes/cover.png")).unwrap();
    std::fs::write(episodes.join("cover.png"), &cover).unwrap();
    episode(&episodes, "001-a", "One", 1, "mp3-cbr-44k-stereo-lame.mp3", "- 00:00 Start\n- 00:00.5 Middle\n");
    episode(&episodes, "002-b", "Two", 2, "aac-44k-stereo.m4a", "- 00:00 Start\n- 00:00.5 Middle\n");
    std::fs::write(episodes.join("001-a/transcript.vtt"), "WEBVTT\n\n00:00.000 --> 00:00.500\nHello\n").unwrap();
    let first = build(root);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert_checks(root, "the first build");

    episode(&episodes, "002-b", "Two", 2, "aac-44k-stereo.m4a", "- 00:00 Start\n- 00:00.4 Middle\n- 00:00.9 End\n");
    std::fs::write(episodes.join("001-a/transcript.vtt"), "WEBVTT\n\n00:00.000 --> 00:00.500\nHello there\n").unwrap();
    let mut cover = cover;
    cover.push(0);
    std::fs::write(episodes.join("cover.png"), &cover).unwrap();
    episode(&episodes, "003-c", "Three", 3, "mp3-cbr-44k-stereo-noxing.mp3", "- 00:00 Start\n- 00:00.5 Middle\n");
}

fn build_command(root: &Path) -> Vec<String> {
    let at = |p: &str| root.join(p).to_string_lossy().into_owned();
    // Pages of 2: the rebuild turns one page into two (`feed.xml`, `feed-2.xml`).
    let mut cmd: Vec<String> = ["build", "--quiet", "--page-size", "2", "--episodes"].map(String::from).into();
    cmd.extend([at("episodes"), "--out".into(), at("feed")]);
    cmd.insert(0, BIN.into());
    cmd
}

fn build(root: &Path) -> Output {
    let cmd = build_command(root);
    Command::new(&cmd[0]).args(&cmd[1..]).output().unwrap()
}

/// `podmark check feed/feed.xml` passes, and every file the feed lists exists (an enclosure with
/// the length the feed declares).
fn assert_checks(root: &Path, what: &str) {
    let problems = feed_problems(root);
    assert!(problems.is_empty(), "{what}: {problems}");
}

fn feed_problems(root: &Path) -> String {
    let mut pages: Vec<_> = std::fs::read_dir(root.join("feed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("feed") && n.ends_with(".xml"))
        .collect();
    pages.sort();
    let mut problems = String::new();
    let mut enclosures = 0;
    for page in &pages {
        problems += &page_problems(root, page, &mut enclosures);
    }
    if enclosures < 2 {
        problems += &format!("the pages {pages:?} list {enclosures} enclosures\n");
    }
    problems
}

fn page_problems(root: &Path, page: &str, enclosures: &mut usize) -> String {
    let feed = root.join("feed").join(page);
    let check = Command::new(BIN).arg("check").arg(&feed).output().unwrap();
    if !check.status.success() {
        return format!("podmark check rejects {page}:\n{}", String::from_utf8_lossy(&check.stdout));
    }
    let xml = std::fs::read_to_string(&feed).unwrap();
    let mut problems = String::new();
    let url = regex::Regex::new(r#""https://t\.example/([^"]+)""#).unwrap();
    for rel in url.captures_iter(&xml).map(|c| c[1].to_owned()) {
        if !root.join("feed").join(&rel).is_file() {
            problems += &format!("{rel} is listed in {page} but missing\n");
        }
    }
    let enclosure = regex::Regex::new(r#"<enclosure url="https://t\.example/([^"]+)" length="(\d+)""#).unwrap();
    for c in enclosure.captures_iter(&xml) {
        *enclosures += 1;
        let len = std::fs::metadata(root.join("feed").join(&c[1])).map(|m| m.len()).ok();
        if len != Some(c[2].parse().unwrap()) {
            problems += &format!("{} is {len:?} bytes; {page} says {}\n", &c[1], &c[2]);
        }
    }
    problems
}

/// Every file under `feed/` but podmark's own records in `.podmark/`, with its bytes.
fn snapshot(root: &Path) -> Snapshot {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel == ".podmark" {
                continue;
            }
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    let feed = root.join("feed");
    walk(&feed, &feed, &mut out);
    out
}

type Snapshot = BTreeMap<String, Vec<u8>>;

/// Asserts that two snapshots are equal, naming the files that differ (not printing their bytes).
fn assert_same(a: &Snapshot, b: &Snapshot, what: &str) {
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(differ.is_empty(), "{what}: these files differ from a fault-free build: {differ:?}");
}

/// Copies a folder tree, keeping modification times (so the build state finds unchanged audio
/// unchanged, as it would in place).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            let mtime = e.metadata().unwrap().modified().unwrap();
            std::fs::File::options().write(true).open(&target).unwrap().set_modified(mtime).unwrap();
        }
    }
}

fn strace(args: &[&str], cmd: &[String]) -> Output {
    Command::new("strace").args(["-f", "-qq"]).args(args).args(cmd).output().unwrap()
}

/// How often the busiest process calls each system call of `set` in a fault-free rebuild.
fn invocations(template: &Path, scratch: &Path, set: &str) -> usize {
    let root = scratch.join(format!("count-{}", set.replace(',', "-")));
    copy_tree(template, &root);
    let log = root.join("strace.log");
    let out = strace(&["-o", log.to_str().unwrap(), "-e", &format!("trace={set}")], &build_command(&root));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        let mut words = line.split_whitespace();
        let (Some(pid), Some(call)) = (words.next(), words.next()) else { continue };
        let name = call.split('(').next().unwrap_or_default().to_owned();
        *counts.entry((pid.to_owned(), name)).or_default() += 1;
    }
    std::fs::remove_dir_all(&root).unwrap();
    counts.values().copied().max().unwrap_or(0)
}

/// One faulted build: the group of system calls, the set strace injects into, the fault, and which
/// invocation.
type Case = (&'static str, &'static str, &'static str, usize);

/// The faults to try: for each group, up to [`MAX_POINTS`] of the `calls(set)` invocations a
/// fault-free build makes, spread evenly, each with every fault.
fn cases(mut calls: impl FnMut(&str) -> usize) -> Vec<Case> {
    let mut cases = Vec::new();
    for &(group, set) in SYSCALLS {
        let n = calls(set);
        eprintln!("{group}: {n} calls");
        let step = n.div_ceil(MAX_POINTS).max(1);
        for when in (1..=n).step_by(step) {
            for &fault in FAULTS {
                cases.push((group, set, fault, when));
            }
        }
    }
    cases
}

/// Most of the `cases` faulted builds stopped (`stopped`), and none went wrong (`failures`).
fn assert_faults_held(cases: usize, stopped: usize, failures: &[String]) {
    assert!(stopped > cases / 3, "most faults stop the build ({stopped} of {cases})");
    assert!(failures.is_empty(), "{} of {cases} faulted builds went wrong:\n{}", failures.len(), failures.join("\n"));
}

/// What is wrong after a faulted build `out` of the show at `root` (built by `cmd`): a feed that
/// `check` rejects or that lists a missing file, an output other than `expected` from a build that
/// exited 0, or a next build (without faults) that fails or gives other output. Empty if nothing.
fn faulted_case_problems(root: &Path, cmd: &[String], out: &Output, expected: &Snapshot) -> String {
    let mut problems = feed_problems(root);
    if out.status.success() {
        if snapshot(root) != *expected {
            problems += "the build exited 0 but its output differs from a fault-free build\n";
        }
    } else {
        // The next build, without faults, finishes the job.
        let again = Command::new(&cmd[0]).args(&cmd[1..]).output().unwrap();
        if !again.status.success() {
            problems += &format!("the next build failed: {}\n", String::from_utf8_lossy(&again.stderr));
        } else if snapshot(root) != *expected {
            problems += "the next build's output differs from a fault-free build\n";
        }
    }
    problems
}

#[test]
fn faults_in_a_rebuild_never_leave_a_feed_that_check_rejects_or_lists_missing_files() {
    if !common::require_strace() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let template = scratch.path().join("template");
    changed_show(&template);
    let clean = scratch.path().join("clean");
    copy_tree(&template, &clean);
    let out = build(&clean);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_checks(&clean, "the fault-free rebuild");
    let expected = snapshot(&clean);
    assert!(expected != snapshot(&template), "the rebuild changes the feed");

    let cases = cases(|set| invocations(&template, scratch.path(), set));
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let (completed, stopped) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(group, set, fault, when)) = cases.get(i) else { break };
                    let root = scratch.path().join(format!("case-{i}"));
                    copy_tree(&template, &root);
                    let inject = format!("inject={set}:{fault}:when={when}");
                    let cmd = build_command(&root);
                    let out = strace(&["-o", "/dev/null", "-e", &inject], &cmd);
                    let what = format!("{group} #{when} {fault}");
                    match out.status.success() {
                        true => completed.fetch_add(1, Ordering::Relaxed),
                        false => stopped.fetch_add(1, Ordering::Relaxed),
                    };
                    let problems = faulted_case_problems(&root, &cmd, &out, &expected);
                    if !problems.is_empty() {
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        failures.lock().unwrap().push(format!("{what} (exit {:?}; {stderr}):\n{problems}", out.status));
                    } else {
                        std::fs::remove_dir_all(&root).unwrap();
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let (completed, stopped) = (completed.into_inner(), stopped.into_inner());
    eprintln!("{} faulted builds: {completed} completed, {stopped} stopped", cases.len());
    assert_faults_held(cases.len(), stopped, &failures);
}

#[test]
fn two_builds_into_one_folder_take_turns_and_both_succeed() {
    if !common::require_strace() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("show");
    changed_show(&root);
    let expected = {
        let clean = scratch.path().join("clean");
        copy_tree(&root, &clean);
        assert!(build(&clean).status.success());
        snapshot(&clean)
    };
    // The first build is slowed down (every fsync takes 50 ms more) so that the second starts while
    // it runs.
    let cmd = build_command(&root);
    let slow = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "inject=fsync:delay_exit=50000"])
        .args(&cmd)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Not --quiet: it says that it waits.
    let loud: Vec<&String> = cmd.iter().filter(|a| *a != "--quiet").collect();
    let second = Command::new(loud[0]).args(&loud[1..]).output().unwrap();
    let first = slow.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_checks(&root, "after two builds");
    assert_same(&snapshot(&root), &expected, "after two builds");
    let waiting = String::from_utf8_lossy(&second.stderr);
    assert!(waiting.contains("waiting for another build"), "the second build waited: {waiting:?}");
}

/// Sets the modification time of every file and folder under `dir` (and of `dir`) to `t`.
fn set_times(dir: &Path, t: std::time::SystemTime) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            set_times(&p, t);
        } else {
            std::fs::File::options().write(true).open(&p).unwrap().set_modified(t).unwrap();
        }
    }
    std::fs::File::open(dir).unwrap().set_modified(t).unwrap();
}

/// Like [`copy_tree`], and the folders keep their modification times too (the build state stamps
/// the episode folders).
fn copy_tree_exactly(from: &Path, to: &Path) {
    copy_tree(from, to);
    fn folders(from: &Path, to: &Path) {
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                folders(&e.path(), &to.join(e.file_name()));
            }
        }
        let mtime = std::fs::metadata(from).unwrap().modified().unwrap();
        std::fs::File::open(to).unwrap().set_modified(mtime).unwrap();
    }
    folders(from, to);
}

fn unpaged_command(root: &Path) -> Vec<String> {
    let at = |p: &str| root.join(p).to_string_lossy().into_owned();
    let args = ["build", "--quiet", "--episodes", &at("episodes"), "--out", &at("feed")];
    std::iter::once(BIN.to_owned()).chain(args.map(String::from)).collect()
}

/// A three-episode show (sources an hour old, so none is "racily clean") built once, unpaged,
/// then changed in place so that the next build takes the incremental path: episode 2's notes
/// (its item is rendered again, the others are copied from the old feed) and episode 1's chapters
/// (its chapters JSON, which the feed lists, changes: a switch through versioned names).
fn edited_show(root: &Path) {
    let episodes = root.join("episodes");
    std::fs::create_dir_all(&episodes).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        format!("title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nimage = \"cover.png\"\nbase_url = \"{BASE_URL}\"\n[category]\nname = \"Technology\"\n"),
    )
    .unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("episodes/cover.png"), episodes.join("cover.png"))
        .unwrap();
    for (slug, title, day) in [("001-a", "One", 1), ("002-b", "Two", 2), ("003-c", "Three", 3)] {
        episode(&episodes, slug, title, day, "mp3-cbr-44k-stereo-lame.mp3", "- 00:00 Start\n- 00:00.5 Middle\n");
    }
    let now = std::time::SystemTime::now();
    set_times(&episodes, now - std::time::Duration::from_secs(7200));
    let first = Command::new(BIN).args(&unpaged_command(root)[1..]).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert_checks(root, "the first build");
    let edit = |slug: &str, text: &str| {
        let notes = episodes.join(slug).join("episode.md");
        std::fs::write(&notes, text).unwrap();
        let t = now - std::time::Duration::from_secs(3600);
        std::fs::File::options().write(true).open(&notes).unwrap().set_modified(t).unwrap();
    };
    let two = std::fs::read_to_string(episodes.join("002-b/episode.md")).unwrap();
    edit("002-b", &format!("{two}\nOne more paragraph, edited in.\n"));
    let one = std::fs::read_to_string(episodes.join("001-a/episode.md")).unwrap();
    edit("001-a", &one.replace("00:00.5 Middle", "00:00.4 Middle"));
}

#[test]
fn faults_in_an_incremental_rebuild_that_copies_the_unchanged_items_leave_old_or_new() {
    if !common::require_strace() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    // The build state records the show's paths: each case runs where its template was built, in
    // one of two slots (one per worker), from a copy that keeps every modification time.
    let slots: Vec<_> = (0..2).map(|k| scratch.path().join(format!("slot-{k}"))).collect();
    let templates: Vec<_> = (0..2).map(|k| scratch.path().join(format!("template-{k}"))).collect();
    for (slot, template) in slots.iter().zip(&templates) {
        edited_show(slot);
        copy_tree_exactly(slot, template);
        std::fs::remove_dir_all(slot).unwrap();
    }
    let fresh = |k: usize| {
        let _ = std::fs::remove_dir_all(&slots[k]);
        copy_tree_exactly(&templates[k], &slots[k]);
        unpaged_command(&slots[k])
    };
    // The fault-free rebuild takes the incremental path (PODMARK_TIMINGS names its phases).
    let cmd = fresh(0);
    let out = Command::new(&cmd[0]).args(&cmd[1..]).env("PODMARK_TIMINGS", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("feed: read the kept fragments"), "the incremental path: {stderr}");
    assert_checks(&slots[0], "the fault-free rebuild");
    let expected = snapshot(&slots[0]);
    let feed = std::fs::read_to_string(slots[0].join("feed/feed.xml")).unwrap();
    let chapters = std::fs::read_to_string(slots[0].join("feed/chapters/001-a.json")).unwrap();
    assert!(feed.contains("One more paragraph") && chapters.contains("\"startTime\": 0.4,"), "both edits are in");

    let cases = cases(|set| {
        let cmd = fresh(0);
        let log = scratch.path().join("strace.log");
        let out = Command::new("strace")
            .args(["-f", "-qq", "-o", log.to_str().unwrap(), "-e", &format!("trace={set}")])
            .args(&cmd)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(&log).unwrap().lines().filter(|l| !l.contains("+++") && !l.contains("---")).count()
    });
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let stopped = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for k in 0..2 {
            let (next, failures, stopped, cases, expected, fresh, slots) =
                (&next, &failures, &stopped, &cases, &expected, &fresh, &slots);
            s.spawn(move || {
                while let Some(&(group, set, fault, when)) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let cmd = fresh(k);
                    let out = strace(&["-o", "/dev/null", "-e", &format!("inject={set}:{fault}:when={when}")], &cmd);
                    if !out.status.success() {
                        stopped.fetch_add(1, Ordering::Relaxed);
                    }
                    let problems = faulted_case_problems(&slots[k], &cmd, &out, expected);
                    if !problems.is_empty() {
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        let what = format!("{group} #{when} {fault}");
                        failures.lock().unwrap().push(format!("{what} (exit {:?}; {stderr}):\n{problems}", out.status));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let stopped = stopped.into_inner();
    eprintln!("{} faulted incremental builds: {stopped} stopped", cases.len());
    assert_faults_held(cases.len(), stopped, &failures);
}
