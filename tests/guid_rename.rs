//! GUIDs survive a renamed episode folder: `podmark build` keeps the GUID when the audio is the
//! same, or stops and says what to do; `podmark mv` renames a folder with its lock entry; orphaned
//! lock entries are reported by `build` and `check`; an old lock file still loads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A show with three episodes, each with its own audio, built once.
struct Show {
    _tmp: tempfile::TempDir,
    episodes: PathBuf,
    out: PathBuf,
}

const AUDIO: [&str; 3] = ["mp3-cbr-44k-stereo-lame.mp3", "mp3-vbr-44k-stereo-xing.mp3", "mp3-id3v22.mp3"];

fn show() -> Show {
    let tmp = tempfile::tempdir().unwrap();
    let episodes = tmp.path().join("episodes");
    std::fs::create_dir_all(&episodes).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        "title = \"Test Show\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://t.example/\"\n[category]\nname = \"Technology\"\n",
    )
    .unwrap();
    for (i, (slug, audio)) in ["001-a", "002-b", "003-c"].iter().zip(AUDIO).enumerate() {
        let n = i + 1;
        let dir = episodes.join(slug);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(common::fixture(&format!("audio/{audio}")), dir.join("audio.mp3")).unwrap();
        std::fs::write(
            dir.join("episode.md"),
            format!(
                "+++\ntitle = \"Episode {n}\"\nepisode = {n}\ndate = 2024-01-0{n}T10:00:00+00:00\naudio = \"audio.mp3\"\n+++\nNotes.\n"
            ),
        )
        .unwrap();
    }
    let out = tmp.path().join("feed");
    let s = Show { _tmp: tmp, episodes, out };
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    s
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

impl Show {
    fn build(&self) -> (i32, String, String) {
        run(podmark().arg("build").arg("--episodes").arg(&self.episodes).arg("--out").arg(&self.out))
    }

    fn mv(&self, old: &str, new: &str) -> (i32, String, String) {
        run(podmark().args(["mv", old, new]).arg("--episodes").arg(&self.episodes))
    }

    fn check(&self) -> (i32, String, String) {
        run(podmark().arg("check").arg(&self.episodes))
    }

    /// Each feed item's title → GUID.
    fn guids(&self) -> Vec<(String, String)> {
        let feed = std::fs::read_to_string(self.out.join("feed.xml")).unwrap();
        let mut items: Vec<(String, String)> = feed
            .split("<item>")
            .skip(1)
            .map(|item| {
                let between = |open: &str, close: &str| {
                    let start = item.find(open).unwrap() + open.len();
                    let rest = &item[start..];
                    let rest = &rest[rest.find('>').unwrap() + 1..];
                    rest[..rest.find(close).unwrap()].to_owned()
                };
                (between("<title", "</title>"), between("<guid", "</guid>"))
            })
            .collect();
        items.sort();
        assert_eq!(items.len(), 3, "{feed}");
        items
    }

    fn lock(&self) -> String {
        std::fs::read_to_string(self.episodes.join("guids.lock")).unwrap()
    }

    fn rename(&self, old: &str, new: &str) {
        std::fs::rename(self.episodes.join(old), self.episodes.join(new)).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.episodes.join(rel)
    }
}

fn set_notes_line(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_folder_renamed_by_hand_keeps_its_guid_and_the_build_says_so() {
    let s = show();
    let before = s.guids();
    s.rename("002-b", "002-bee");
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    let old = before.iter().find(|(t, _)| t == "Episode 2").unwrap().1.clone();
    let episodes = s.episodes.display();
    assert!(
        err.contains(&format!("warning: {episodes}/002-b renamed to 002-bee: GUID \"{old}\" kept (same audio)")),
        "{err}"
    );
    assert_eq!(s.guids(), before, "the feed's GUIDs are the same after the rename");
    let lock = s.lock();
    assert!(lock.contains("[episodes.\"002-bee\"]") && !lock.contains("[episodes.\"002-b\"]"), "{lock}");
    // Done: the next build and a check say nothing more about it.
    let (code, _, err) = s.build();
    assert_eq!(code, 0);
    assert!(!err.contains("renamed") && !err.contains("no folder"), "{err}");
    let (code, out, _) = s.check();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 errors, 0 warnings"), "{out}");
}

#[test]
fn a_renamed_folder_with_other_audio_stops_the_build_with_what_to_do_and_mv_finishes_it() {
    let s = show();
    let before = s.guids();
    let feed_before = std::fs::read(s.out.join("feed.xml")).unwrap();
    s.rename("002-b", "002-bee");
    std::fs::copy(common::fixture("audio/mp3-cbr-44k-stereo-noxing.mp3"), s.path("002-bee/audio.mp3")).unwrap();
    let (code, _, err) = s.build();
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("002-bee/episode.md:1:1: error: episode 002-bee has no GUID in guids.lock yet and has the date and title of episode 002-b (GUID \""), "{err}");
    assert!(err.contains("If it is 002-b renamed, run `podmark mv 002-b 002-bee` to keep the GUID"), "{err}");
    assert!(err.contains("if it is another episode, add `guid = \""), "{err}");
    assert_eq!(std::fs::read(s.out.join("feed.xml")).unwrap(), feed_before, "nothing published");
    // `podmark check` says the same.
    let (code, out, _) = s.check();
    assert_eq!(code, 1);
    assert!(out.contains("run `podmark mv 002-b 002-bee`"), "{out}");
    // What the message says: the folder is renamed already, so mv moves the lock entry.
    let (code, out, err) = s.mv("002-b", "002-bee");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("was already renamed to"), "{out}");
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.guids(), before);
}

#[test]
fn a_guid_line_tells_a_new_episode_from_a_renamed_one() {
    let s = show();
    let before = s.guids();
    s.rename("002-b", "002-bee");
    std::fs::copy(common::fixture("audio/mp3-cbr-44k-stereo-noxing.mp3"), s.path("002-bee/audio.mp3")).unwrap();
    let (_, _, err) = s.build();
    let suggested = err.split("add `guid = \"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    set_notes_line(&s.path("002-bee/episode.md"), "audio = ", &format!("guid = \"{suggested}\"\naudio = "));
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: episode 002-b (GUID"), "the old entry is an orphan now: {err}");
    let after = s.guids();
    assert_eq!(after.iter().find(|(t, _)| t == "Episode 2").unwrap().1, suggested);
    assert_eq!(after.iter().filter(|g| before.contains(g)).count(), 2);
}

#[test]
fn two_folders_with_the_audio_of_one_gone_folder_stop_the_build() {
    let s = show();
    s.rename("002-b", "002-x");
    common::copy_dir(&s.path("002-x"), &s.path("002-y"));
    set_notes_line(&s.path("002-y/episode.md"), "episode = 2", "episode = 4");
    let (code, _, err) = s.build();
    assert_eq!(code, 1, "{err}");
    for slug in ["002-x", "002-y"] {
        assert!(
            err.contains(&format!(
                "episode {slug} has no GUID in guids.lock yet and has the same audio as episode 002-b (GUID"
            )),
            "{err}"
        );
    }
    assert!(err.contains("and so does another new folder"), "{err}");
}

#[test]
fn podmark_mv_renames_the_folder_and_its_entry_and_the_next_build_keeps_the_guid() {
    let s = show();
    let before = s.guids();
    let (code, out, err) = run(podmark().args(["mv", "002-b", "002-bee", "--json", "--episodes"]).arg(&s.episodes));
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let old = before.iter().find(|(t, _)| t == "Episode 2").unwrap().1.clone();
    assert_eq!(json["guid"], old.as_str());
    assert_eq!(json["folder_moved"], true);
    assert!(s.path("002-bee/episode.md").is_file() && !s.path("002-b").exists());
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("renamed") && !err.contains("no folder"), "{err}");
    assert_eq!(s.guids(), before);
    // Clear refusals, nothing changed.
    let lock = s.lock();
    let (code, _, err) = s.mv("002-b", "002-c");
    assert_eq!(code, 2);
    assert!(err.contains("002-b: no such episode folder, and guids.lock has no entry for it"), "{err}");
    let (code, _, err) = s.mv("002-bee", "003-c");
    assert_eq!(code, 2);
    assert!(err.contains("003-c: already exists; choose another name"), "{err}");
    let (code, _, err) = s.mv("002-bee", "002 bee");
    assert_eq!(code, 2);
    assert!(err.contains("cannot be an episode folder name"), "{err}");
    assert_eq!(s.lock(), lock);
    // The help teaches, with an example.
    let (_, help, _) = run(podmark().args(["mv", "--help"]));
    assert!(help.contains("podmark mv 002-draft 002-containers"), "{help}");
}

#[test]
fn an_orphaned_entry_is_reported_by_build_and_check() {
    let s = show();
    std::fs::remove_dir_all(s.path("003-c")).unwrap();
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    let want = "warning: episode 003-c (GUID \"";
    assert!(err.contains(want), "{err}");
    assert!(err.contains("has no folder"), "{err}");
    assert!(err.contains("run `podmark mv 003-c NEW`"), "{err}");
    assert!(err.contains("keeping it is harmless"), "{err}");
    let (code, out, _) = s.check();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("guids.lock: {want}")), "{out}");
    assert!(out.contains("0 errors, 1 warning"), "{out}");
}

#[test]
fn an_old_lock_without_identity_loads_and_the_next_build_fills_it_in_the_same_way() {
    let s = show();
    let full = s.lock();
    let before = s.guids();
    let old: String = full
        .lines()
        .filter(|l| !l.starts_with("audio =") && !l.starts_with("date =") && !l.starts_with("title ="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, full);
    std::fs::write(s.path("guids.lock"), &old).unwrap();
    let (code, out, _) = s.check();
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = s.build();
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.lock(), full, "filled in as a first build records it");
    assert_eq!(s.guids(), before);
}

#[test]
fn a_folder_renamed_before_an_old_lock_was_filled_in_stops_the_build() {
    let s = show();
    let before = s.guids();
    let old: String = s
        .lock()
        .lines()
        .filter(|l| !l.starts_with("audio =") && !l.starts_with("date =") && !l.starts_with("title ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(s.path("guids.lock"), &old).unwrap();
    s.rename("002-b", "002-bee");
    let (code, _, err) = s.build();
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("an older podmark locked it without audio, date or title to compare"), "{err}");
    assert!(err.contains("run `podmark mv 002-b 002-bee`"), "{err}");
    assert_eq!(s.mv("002-b", "002-bee").0, 0);
    assert_eq!(s.build().0, 0);
    assert_eq!(s.guids(), before);
}
