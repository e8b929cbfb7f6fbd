//! A producer's first hour: `podmark new`, `podmark add`, then `podmark build` and `podmark check`
//! pass with no hand edits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use podmark::{Chapter, Chapters, Timestamp};

fn podmark(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("podmark").unwrap();
    c.current_dir(dir);
    c
}

/// An ID3v2.3 frame.
fn frame(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut f = id.to_vec();
    f.extend(u32::try_from(body.len()).unwrap().to_be_bytes());
    f.extend([0, 0]);
    f.extend(body);
    f
}

/// A text frame body in UTF-16 with a byte-order mark, as ID3v2.3 stores non-Latin-1 text.
fn utf16(s: &str) -> Vec<u8> {
    let mut b = vec![1, 0xFF, 0xFE];
    for u in s.encode_utf16() {
        b.extend(u.to_le_bytes());
    }
    b
}

fn latin1(s: &str) -> Vec<u8> {
    let mut b = vec![0];
    b.extend(s.as_bytes());
    b
}

/// `audio` with an ID3v2.3 tag of `frames` in front.
fn with_id3v23(audio: &[u8], frames: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = frames.concat();
    let n = body.len();
    let size = [(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f].map(|b| u8::try_from(b).unwrap());
    let mut out = b"ID3\x03\x00\x00".to_vec();
    out.extend(size);
    out.extend(body);
    out.extend(audio);
    out
}

const TITLE: &str = "Épisode 1: Hello & <Welcome>";

/// An MP3 as a producer's editor leaves it: title, date and a 1400 px cover in its ID3 tag, and
/// two chapters embedded by `podmark::tag::embed`.
fn tagged_mp3(dir: &Path) -> PathBuf {
    let audio = std::fs::read(common::fixture("audio/mp3-cbr-44k-stereo-lame.mp3")).unwrap();
    let mut apic = b"\x00image/png\x00\x03\x00".to_vec();
    apic.extend(podmark::scaffold::placeholder_cover().unwrap());
    let frames = [
        frame(b"TIT2", &utf16(TITLE)),
        frame(b"TYER", &latin1("2016")),
        frame(b"TDAT", &latin1("1409")),
        frame(b"TIME", &latin1("0930")),
        frame(b"APIC", &apic),
    ];
    let path = dir.join("Final Mix (v3).mp3");
    std::fs::write(&path, with_id3v23(&audio, &frames)).unwrap();
    let chapters = Chapters::new(vec![
        Chapter::new(Timestamp::ZERO, "Welcome"),
        Chapter::new(Timestamp::from_nanos(600_000_000), "The news"),
    ])
    .unwrap();
    podmark::tag::embed(&path, &chapters, &podmark::tag::TagOptions::new()).unwrap();
    path
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

#[test]
fn new_add_build_check_pass_with_no_hand_edits_and_the_feed_has_the_audios_title_chapters_and_cover() {
    let tmp = tempfile::tempdir().unwrap();
    let mp3 = tagged_mp3(tmp.path());

    let out = podmark(tmp.path()).args(["new", "show", "--json"]).assert().success().get_output().stdout.clone();
    let created = json(&out);
    assert_eq!(created["created"].as_array().map(Vec::len), Some(4), "{created}");
    assert_eq!(created["next"][0], "cd show", "{created}");
    let show = tmp.path().join("show");
    for f in ["episodes/podcast.toml", "episodes/cover.png", ".gitignore", "README.md"] {
        assert!(show.join(f).is_file(), "{f}");
    }

    let out =
        podmark(&show).args(["add", mp3.to_str().unwrap(), "--json"]).assert().success().get_output().stdout.clone();
    let added = json(&out);
    assert_eq!(added["dir"], "episodes/001-episode-1-hello-welcome", "{added}");
    assert_eq!((&added["title"], &added["title_from"]), (&TITLE.into(), &"tag".into()), "{added}");
    assert_eq!((&added["date"], &added["date_from"]), (&"2016-09-14T09:30:00Z".into(), &"tag".into()), "{added}");
    assert_eq!(added["chapters"], 2, "{added}");
    assert_eq!(added["image"], "episodes/001-episode-1-hello-welcome/cover.png", "{added}");
    let ep = show.join("episodes/001-episode-1-hello-welcome");
    assert_eq!(
        std::fs::read(ep.join("episode.mp3")).unwrap(),
        std::fs::read(&mp3).unwrap(),
        "the audio is copied as is"
    );
    let names: Vec<String> = std::fs::read_dir(show.join("episodes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with('.')), "no temporary folder left: {names:?}");

    podmark(&show).arg("build").assert().success();
    podmark(&show).args(["check", "feed/feed.xml"]).assert().success();
    podmark(&show).args(["check", "episodes"]).assert().success();

    let feed = std::fs::read_to_string(show.join("feed/feed.xml")).unwrap();
    assert!(feed.contains("<title>Épisode 1: Hello &amp; &lt;Welcome&gt;</title>"), "{feed}");
    assert!(feed.contains(r#"<psc:chapter start="00:00" title="Welcome"/>"#), "{feed}");
    assert!(feed.contains(r#"<psc:chapter start="00:00.600" title="The news"/>"#), "{feed}");
    assert!(feed.contains("<pubDate>Wed, 14 Sep 2016 09:30:00 +0000</pubDate>"), "{feed}");
    assert!(feed.contains("images/001-episode-1-hello-welcome.png"), "{feed}");
    let chapters = std::fs::read_to_string(show.join("feed/chapters/001-episode-1-hello-welcome.json")).unwrap();
    assert!(chapters.contains("\"The news\""), "{chapters}");
}

#[test]
fn add_without_tags_takes_the_file_name_and_modification_time_and_numbers_after_the_last_episode() {
    let tmp = tempfile::tempdir().unwrap();
    podmark(tmp.path()).args(["new", "show", "--title", "Plain"]).assert().success();
    let show = tmp.path().join("show");
    let mp3 = tmp.path().join("my_first-take.mp3");
    std::fs::copy(common::fixture("audio/mp3-cbr-44k-stereo-lame.mp3"), &mp3).unwrap();
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_590_400); // 2025-12-01T12:00:00Z
    std::fs::File::options().write(true).open(&mp3).unwrap().set_modified(when).unwrap();
    std::fs::create_dir(show.join("episodes/007-older")).unwrap();

    let out =
        podmark(&show).args(["add", mp3.to_str().unwrap(), "--json"]).assert().success().get_output().stdout.clone();
    let added = json(&out);
    assert_eq!(added["dir"], "episodes/008-my-first-take", "{added}");
    assert_eq!((&added["title"], &added["title_from"]), (&"my first take".into(), &"file-name".into()), "{added}");
    assert_eq!((&added["date"], &added["date_from"]), (&"2025-12-01T12:00:00Z".into(), &"file-time".into()), "{added}");
    let notes = std::fs::read_to_string(show.join("episodes/008-my-first-take/episode.md")).unwrap();
    assert!(notes.contains("\ndate = 2025-12-01T12:00:00Z\n") && notes.contains("\nepisode = 8\n"), "{notes}");

    // Options win over everything.
    let out = podmark(&show)
        .args(["add", mp3.to_str().unwrap(), "--title", "Two", "--date", "2026-12-01", "--slug", "second", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let added = json(&out);
    assert_eq!((&added["dir"], &added["date"]), (&"episodes/009-second".into(), &"2026-12-01T00:00:00Z".into()));
}

#[test]
fn new_refuses_a_non_empty_folder_and_add_refuses_a_missing_episodes_folder_or_bad_audio() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let out = podmark(tmp.path()).args(["new", "."]).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("is not empty"), "{}", String::from_utf8_lossy(&out));
    let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["keep.txt"]);

    let out = podmark(tmp.path()).args(["add", "keep.txt"]).assert().code(2).get_output().stderr.clone();
    assert!(
        String::from_utf8_lossy(&out).contains("episodes is not a show's episodes folder (it has no podcast.toml)"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    std::fs::create_dir(tmp.path().join("episodes")).unwrap();
    std::fs::write(tmp.path().join("episodes/podcast.toml"), "").unwrap();
    let out = podmark(tmp.path()).args(["add", "keep.txt"]).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("keep.txt: "), "{}", String::from_utf8_lossy(&out));
    let out = podmark(tmp.path()).args(["new", "x", "--category", "Tech"]).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("did you mean: Technology"), "{}", String::from_utf8_lossy(&out));
    assert!(!tmp.path().join("x").exists());
    assert_eq!(std::fs::read_dir(tmp.path().join("episodes")).unwrap().count(), 1, "nothing left behind");
}

#[test]
fn add_reads_title_date_cover_and_chapters_from_an_m4a_and_the_show_builds_and_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let m4a = tmp.path().join("take.m4a");
    std::fs::copy(common::fixture("audio/aac-44k-stereo.m4a"), &m4a).unwrap();
    let mut tag = mp4ameta::Tag::read_from_path(&m4a).unwrap();
    tag.set_title("Ünïcode MP4 title");
    tag.set_year("2020-05-06T07:08:09Z");
    tag.set_artwork(mp4ameta::Img::png(podmark::scaffold::placeholder_cover().unwrap()));
    tag.write_to_path(&m4a).unwrap();
    let chapters = Chapters::new(vec![
        Chapter::new(Timestamp::ZERO, "Cold open"),
        Chapter::new(Timestamp::from_nanos(500_000_000), "Main topic"),
    ])
    .unwrap();
    podmark::tag::embed(&m4a, &chapters, &podmark::tag::TagOptions::new()).unwrap();

    podmark(tmp.path()).args(["new", "show"]).assert().success();
    let show = tmp.path().join("show");
    let out =
        podmark(&show).args(["add", m4a.to_str().unwrap(), "--json"]).assert().success().get_output().stdout.clone();
    let added = json(&out);
    assert_eq!((&added["title"], &added["title_from"]), (&"Ünïcode MP4 title".into(), &"tag".into()), "{added}");
    assert_eq!(added["date"], "2020-05-06T07:08:09Z", "{added}");
    assert_eq!(added["chapters"], 2, "{added}");
    assert_eq!(added["image"], "episodes/001-unicode-mp4-title/cover.png", "{added}");
    assert_eq!(added["audio"], "episodes/001-unicode-mp4-title/episode.m4a", "{added}");

    podmark(&show).arg("build").assert().success();
    podmark(&show).args(["check", "feed/feed.xml"]).assert().success();
    let feed = std::fs::read_to_string(show.join("feed/feed.xml")).unwrap();
    assert!(feed.contains("<title>Ünïcode MP4 title</title>"), "{feed}");
    assert!(feed.contains(r#"title="Main topic""#), "{feed}");
}

/// Runs `podmark ARGS` in `dir` under strace, failing the `n`-th call of `syscall` with ENOSPC.
fn podmark_failing(dir: &Path, syscall: &str, n: u32, args: &[&str]) -> std::process::Output {
    let inject = format!("inject={syscall}:error=ENOSPC:when={n}");
    std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", &format!("trace={syscall}"), "-e", &inject])
        .arg(assert_cmd::cargo::cargo_bin("podmark"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn a_failed_write_leaves_no_half_made_show_or_episode() {
    if !common::require_strace() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mp3 = tagged_mp3(tmp.path());
    // new: the first write (podcast.toml), the second (cover.png), the fsync of a file, the mkdir of
    // episodes/: DIR does not exist afterwards, and the exit status says it failed.
    for (syscall, n) in [("write", 1), ("write", 2), ("fsync", 3), ("mkdir", 2)] {
        let out = podmark_failing(tmp.path(), syscall, n, &["new", "show"]);
        assert_eq!(out.status.code(), Some(2), "{syscall} #{n}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("No space left on device"), "{syscall} #{n}");
        assert!(!tmp.path().join("show").exists(), "{syscall} #{n} left {:?}", listing(&tmp.path().join("show")));
    }
    podmark(tmp.path()).args(["new", "show"]).assert().success();
    let show = tmp.path().join("show");
    let before = listing(&show.join("episodes"));
    // add: the copy, the cover, the notes, an fsync, the folder's rename, the notes' rename.
    let mp3 = mp3.to_str().unwrap();
    for (syscall, n) in [("copy_file_range", 1), ("write", 1), ("write", 2), ("fsync", 1), ("rename", 1), ("rename", 2)]
    {
        let out = podmark_failing(&show, syscall, n, &["add", mp3]);
        assert_eq!(out.status.code(), Some(2), "{syscall} #{n}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(listing(&show.join("episodes")), before, "{syscall} #{n}");
    }
    // A failure to print the report after the episode is in place still exits 0.
    let out = podmark_failing(&show, "write", 3, &["add", mp3]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(show.join("episodes/001-episode-1-hello-welcome/episode.md").is_file());
}
