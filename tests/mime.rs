//! One MIME table: the enclosure type `build` writes, the `Content-Type` `serve`/`publish` send and
//! what `check` accepts all come from `podmark::mime`, so they cannot disagree.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A one-episode show whose audio is the fixture `audio` copied as `name`, built into `feed/`.
fn build_show_with(audio: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let episodes = tmp.path().join("episodes");
    std::fs::create_dir_all(episodes.join("001-a")).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://t.example/\"\nimage = \"cover.png\"\n\
         [category]\nname = \"Technology\"\n[owner]\nname = \"A\"\nemail = \"a@t.example\"\n",
    )
    .unwrap();
    std::fs::copy(common::fixture(audio), episodes.join("001-a").join(name)).unwrap();
    std::fs::copy("episodes/cover.png", episodes.join("cover.png")).unwrap();
    std::fs::write(
        episodes.join("001-a/episode.md"),
        format!(
            "+++\ntitle = \"A\"\ndate = 2024-01-01T10:00:00+00:00\naudio = \"{name}\"\n+++\nNotes.\n\n- 00:00 Start\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("feed");
    let r = Command::new(env!("CARGO_BIN_EXE_podmark"))
        .args(["build", "--episodes"])
        .arg(&episodes)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "build: {}", String::from_utf8_lossy(&r.stderr));
    (tmp, out)
}

fn enclosure(feed: &Path) -> (String, String) {
    let xml = std::fs::read_to_string(feed.join("feed.xml")).unwrap();
    let at = xml.find("<enclosure ").unwrap();
    let tag = &xml[at..at + xml[at..].find("/>").unwrap()];
    let attr = |name: &str| {
        let from = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[from..from + tag[from..].find('"').unwrap()].to_owned()
    };
    (attr("url"), attr("type"))
}

fn check(feed: &Path) -> (i32, String) {
    let r = Command::new(env!("CARGO_BIN_EXE_podmark")).arg("check").arg(feed.join("feed.xml")).output().unwrap();
    (r.status.code().unwrap(), String::from_utf8_lossy(&r.stdout).into_owned() + &String::from_utf8_lossy(&r.stderr))
}

#[test]
fn an_isom_branded_audio_mp4_is_published_as_audio_x_m4a_and_passes_check() {
    let (_tmp, feed) = build_show_with("audio/aac-22k-mono.mp4", "episode.mp4");
    let (url, mime) = enclosure(&feed);
    assert_eq!(mime, "audio/x-m4a");
    assert!(url.ends_with("/audio/001-a.m4a"), "{url}");
    assert_eq!(podmark::mime::content_type("audio/001-a.m4a"), mime, "the server sends the feed's type");
    let (code, out) = check(&feed);
    assert!(!out.contains("error:"), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn opus_is_audio_opus_in_the_feed_and_on_the_server_and_check_only_warns_about_apple() {
    let (_tmp, feed) = build_show_with("audio/opus-48k-stereo-chapters.opus", "episode.ogg");
    let (url, mime) = enclosure(&feed);
    assert_eq!(mime, "audio/opus");
    assert!(url.ends_with("/audio/001-a.opus"), "Opus in .ogg is published as .opus: {url}");
    assert_eq!(podmark::mime::content_type("audio/001-a.opus"), "audio/opus");
    let (code, out) = check(&feed);
    assert!(!out.contains("error:"), "{out}");
    assert!(out.contains("warning:") && out.contains("Apple Podcasts accepts only"), "{out}");
    assert_eq!(code, 0, "warnings alone do not fail check: {out}");
}
