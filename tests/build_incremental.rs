//! Incremental rebuilds give the bytes of a clean build: a seeded run of random edits to a
//! 20-episode show (notes, chapters, dates, titles, audio, transcripts, the show's description,
//! title and base URL, new and removed episodes), each followed by a rebuild into the same folder
//! and a clean build into a fresh one, whose files must be identical. And a build on all cores
//! is deterministic: two clean builds of the same sources are byte-identical.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use podmark::build::{BuildOptions, BuildReport, build};

const AUDIO: [&str; 3] = ["mp3-cbr-44k-stereo-lame.mp3", "mp3-vbr-44k-stereo-xing.mp3", "aac-44k-stereo.m4a"];

/// A small deterministic generator (xorshift), so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

/// Gives `path` a modification time well in the past, distinct for each `tick`, so no input is
/// "racily clean" and every edit shows in size or time.
fn age(path: &Path, tick: u64) {
    let t = SystemTime::now() - Duration::from_secs(86_400) + Duration::from_secs(tick);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

fn show_toml(description: &str, title: &str, base: &str) -> String {
    show_toml_with(description, title, base, "C")
}

/// `copyright` is on every page of the website (its footer), not in the feed's items.
fn show_toml_with(description: &str, title: &str, base: &str, copyright: &str) -> String {
    format!(
        "title = \"{title}\"\nauthor = \"A\"\ncopyright = \"{copyright}\"\ndescription = \"{description}\"\nlanguage = \"en\"\nbase_url = \"{base}\"\n[category]\nname = \"Technology\"\n[chapters]\nformats = [\"psc\", \"vtt\"]\n"
    )
}

fn notes(n: usize, day: usize, title: &str, extra: &str, chapters: bool) -> String {
    let list = if chapters { "\n- 00:00 Start\n- 00:00.6 Middle\n" } else { "" };
    format!(
        "+++\ntitle = \"{title}\"\nepisode = {n}\ndate = 2024-01-{day:02}T10:00:00+00:00\naudio = \"episode.{ext}\"\n+++\nNotes for {n}. {extra}\n{list}",
        ext = "mp3"
    )
}

struct Show {
    root: tempfile::TempDir,
    tick: u64,
}

impl Show {
    /// A show of `count` episodes, its audio and dates drawn from `rng`.
    fn with_episodes(count: usize, rng: &mut Rng) -> Show {
        let mut show = Show { root: tempfile::tempdir().unwrap(), tick: 0 };
        show.write("podcast.toml", show_toml("D", "T", "https://t.example/").as_bytes());
        for n in 1..=count {
            show.episode(n, rng);
        }
        show
    }
    /// Replaces `from` with `to` in the file `rel` (which must contain it).
    fn edit(&mut self, rel: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.episodes().join(rel)).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        self.write(rel, text.replace(from, to).as_bytes());
    }
    /// `out` holds what a clean build of the show into a fresh folder writes.
    fn assert_same_as_a_clean_build(&self, out: &Path, what: &str) {
        let clean = self.root.path().join("clean");
        run(&self.episodes(), &clean);
        assert_same(&snapshot(out), &snapshot(&clean), what);
    }
    fn episodes(&self) -> PathBuf {
        self.root.path().join("episodes")
    }
    fn write(&mut self, rel: &str, bytes: &[u8]) {
        let path = self.episodes().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        self.tick += 1;
        age(&path, self.tick);
    }
    fn episode(&mut self, n: usize, rng: &mut Rng) {
        let slug = format!("ep-{n:02}");
        let audio = std::fs::read(common::fixture(&format!("audio/{}", AUDIO[rng.below(2)]))).unwrap();
        self.write(&format!("{slug}/episode.mp3"), &audio);
        let day = 1 + rng.below(28);
        self.write(&format!("{slug}/episode.md"), notes(n, day, &format!("Episode {n}"), "", true).as_bytes());
    }
}

fn options(episodes: &Path, out: &Path) -> BuildOptions {
    BuildOptions::new(episodes, out)
}

fn run(episodes: &Path, out: &Path) -> BuildReport {
    build(&options(episodes, out), &mut |_, _, _| {}).unwrap()
}

/// Every file under `dir` but the build's own state, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel == ".podmark" {
                continue;
            }
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: other files");
    for (name, bytes) in a {
        if bytes != &b[name] {
            panic!(
                "{what}: {name} differs\n--- incremental\n{}\n--- clean\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&b[name])
            );
        }
    }
}

#[test]
fn random_edits_then_an_incremental_rebuild_equal_a_clean_build() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut show = Show { root: tempfile::tempdir().unwrap(), tick: 0 };
    let (mut description, mut title, mut base) = ("D".to_owned(), "T".to_owned(), "https://t.example/".to_owned());
    let mut copyright = "C".to_owned();
    let mut site = "";
    show.write("podcast.toml", show_toml_with(&description, &title, &base, &copyright).as_bytes());
    let mut present: Vec<usize> = (1..=20).collect();
    for &n in &present {
        show.episode(n, &mut rng);
    }
    let out = show.root.path().join("feed");
    run(&show.episodes(), &out);
    let mut incremental = 0;
    for step in 0..40 {
        let n = present[rng.below(present.len())];
        let slug = format!("ep-{n:02}");
        let what = match rng.below(13) {
            0..=3 => {
                let extra = format!("Edit {step}: {}", "more words ".repeat(rng.below(5)));
                let day = 1 + rng.below(28);
                let chapters = rng.below(4) != 0;
                show.write(
                    &format!("{slug}/episode.md"),
                    notes(n, day, &format!("Episode {n}"), &extra, chapters).as_bytes(),
                );
                format!("notes of {slug}")
            }
            4 => {
                let text = notes(n, 1 + rng.below(28), &format!("Episode {n}, retitled {step}"), "", true);
                show.write(&format!("{slug}/episode.md"), text.as_bytes());
                format!("title of {slug}")
            }
            5 => {
                let audio = std::fs::read(common::fixture(&format!("audio/{}", AUDIO[rng.below(2)]))).unwrap();
                show.write(&format!("{slug}/episode.mp3"), &audio);
                format!("audio of {slug}")
            }
            6 => {
                show.write(
                    &format!("{slug}/transcript.vtt"),
                    format!("WEBVTT\n\n00:00.000 --> 00:01.000\nHello {step}\n").as_bytes(),
                );
                format!("transcript of {slug}")
            }
            7 => {
                let what = if rng.below(2) == 0 {
                    description = format!("D {step}");
                    "the show's description"
                } else {
                    copyright = format!("C {step}");
                    "the show's copyright (every page's footer)"
                };
                let toml = show_toml_with(&description, &title, &base, &copyright) + site;
                show.write("podcast.toml", toml.as_bytes());
                what.to_owned()
            }
            8 => {
                title = format!("T {step}");
                let toml = show_toml_with(&description, &title, &base, &copyright) + site;
                show.write("podcast.toml", toml.as_bytes());
                "the show's title".to_owned()
            }
            9 => {
                base = format!("https://t{step}.example/");
                let toml = show_toml_with(&description, &title, &base, &copyright) + site;
                show.write("podcast.toml", toml.as_bytes());
                "the base URL".to_owned()
            }
            11 => {
                site = if site.is_empty() { "[site]\nenabled = false\n" } else { "" };
                let toml = show_toml_with(&description, &title, &base, &copyright) + site;
                show.write("podcast.toml", toml.as_bytes());
                format!("the website turned {}", if site.is_empty() { "on" } else { "off" })
            }
            10 if present.len() > 10 => {
                std::fs::remove_dir_all(show.episodes().join(&slug)).unwrap();
                present.retain(|&m| m != n);
                format!("{slug} removed")
            }
            _ => {
                let new = (1..=30).find(|m| !present.contains(m)).unwrap();
                show.episode(new, &mut rng);
                present.push(new);
                format!("ep-{new:02} added")
            }
        };
        let report = run(&show.episodes(), &out);
        if report.probe_cache.hits + report.probe_cache.misses < 2 * present.len() as u64 {
            incremental += 1;
        }
        let clean_dir = tempfile::tempdir().unwrap();
        let clean = clean_dir.path().join("feed");
        let clean_report = run(&show.episodes(), &clean);
        // The report lists the files a clean build lists (the kept episode pages too, each of
        // which the next build's check then stamps).
        let listed = |r: &BuildReport| r.files.iter().map(|f| (f.path.clone(), f.bytes)).collect::<Vec<_>>();
        assert_eq!(listed(&report), listed(&clean_report), "step {step} ({what}): the files reported");
        // Outputs no longer produced (a removed episode's, chapter files of notes that lost their
        // chapters) stay, as after any build (podmark removes no output), unlisted by the feed.
        let mut built = snapshot(&out);
        let clean_files = snapshot(&clean);
        let feed = String::from_utf8(built["feed.xml"].clone()).unwrap();
        built.retain(|name, _| {
            clean_files.contains_key(name) || {
                assert!(!feed.contains(name.as_str()), "step {step} ({what}): the feed lists the stale {name}");
                false
            }
        });
        assert_same(&built, &clean_files, &format!("step {step} ({what})"));
        // And the rebuild after it changes nothing.
        let again = run(&show.episodes(), &out);
        assert!(again.up_to_date, "step {step} ({what}): a second rebuild is not up to date");
    }
    assert!(incremental >= 10, "only {incremental} of 40 rebuilds took the incremental path");
}

#[test]
fn two_clean_builds_on_all_cores_are_byte_identical() {
    let show = Show::with_episodes(24, &mut Rng(42));
    let a = show.root.path().join("a");
    let b = show.root.path().join("b");
    run(&show.episodes(), &a);
    run(&show.episodes(), &b);
    assert_same(&snapshot(&a), &snapshot(&b), "two clean builds");
}

/// A build that is killed leaves temporary files (here, one in an episode page's folder, where the
/// feed's garbage collection does not look) and its `unfinished` marker: the next build, though
/// only one episode changed, takes the full path and leaves the folder as a clean build would.
#[test]
fn a_rebuild_after_an_interrupted_build_removes_its_temporary_pages() {
    let mut show = Show::with_episodes(6, &mut Rng(7));
    let out = show.root.path().join("feed");
    run(&show.episodes(), &out);
    // What a build killed while staging pages leaves.
    let stray = out.join("episodes/ep-03/.podmark-a1B2c3.tmp");
    std::fs::write(&stray, "<!doctype html>half a page").unwrap();
    std::fs::write(out.join(".podmark/unfinished"), "").unwrap();
    show.write("ep-05/episode.md", notes(5, 9, "Episode 5", "Edited.", true).as_bytes());
    let report = run(&show.episodes(), &out);
    assert!(!report.up_to_date);
    assert!(!stray.exists(), "the interrupted build's temporary page is still there");
    assert!(!out.join(".podmark/unfinished").exists(), "the finished build left its marker");
    show.assert_same_as_a_clean_build(&out, "after the interrupted build");
}

/// The build state and the items file are written side by side, neither fsynced: after a crash
/// either may be the older one. The two carry the same pair id, so an older items file (here an
/// edit of the same length, whose spans still fit the feed) is not used.
#[test]
fn items_the_build_state_does_not_name_are_not_used() {
    let mut show = Show::with_episodes(4, &mut Rng(11));
    let out = show.root.path().join("feed");
    run(&show.episodes(), &out);
    let old_items = std::fs::read(out.join(".podmark/items")).unwrap();
    // A title of the same length: the feed keeps its length and every item its span.
    show.edit("ep-02/episode.md", "Episode 2", "Episode X");
    assert!(!run(&show.episodes(), &out).up_to_date);
    std::fs::write(out.join(".podmark/items"), &old_items).unwrap();
    show.edit("ep-04/episode.md", "Notes for 4.", "Notes for 4, edited.");
    run(&show.episodes(), &out);
    show.assert_same_as_a_clean_build(&out, "after a stale items file");
}

/// Regression: an incremental rebuild reported (and so stamped) only the episode pages it
/// rendered, so a kept page deleted after it went unnoticed by the next build.
#[test]
fn a_kept_episode_page_deleted_after_an_incremental_rebuild_is_written_again() {
    let mut show = Show::with_episodes(3, &mut Rng(5));
    let out = show.root.path().join("feed");
    let first = run(&show.episodes(), &out);
    show.edit("ep-02/episode.md", "Notes for 2.", "Notes for 2, edited.");
    let edited = run(&show.episodes(), &out);
    assert!(edited.probe_cache.misses < 3, "the edit took the full path: {:?}", edited.probe_cache);
    let pages = |r: &BuildReport| r.files.iter().filter(|f| f.path.starts_with("episodes/")).count();
    assert_eq!(pages(&edited), pages(&first));
    let page = out.join("episodes/ep-01/index.html");
    let bytes = std::fs::read(&page).unwrap();
    std::fs::remove_file(&page).unwrap();
    let again = run(&show.episodes(), &out);
    assert!(!again.up_to_date, "the deleted page went unnoticed");
    assert_eq!(std::fs::read(&page).unwrap(), bytes);
}
