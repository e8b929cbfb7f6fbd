//! Files as users expect them: every file podmark creates gets `0666 & !umask` (as `cp` would give
//! it), an existing file keeps its mode, and a symlink is followed for every container it tags.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

const SEED: &str = "tests/fixtures/shownotes/seed-eigencast-020.txt";

/// Runs podmark with `args` under `umask 027`, so a correct file mode (0640) differs from both
/// tempfile's private 0600 and the common 0644.
fn podmark_with_umask_027(args: &[&std::ffi::OsStr]) {
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 027 && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_podmark"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "podmark {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(files(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn every_file_build_writes_gets_0666_less_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let episodes = dir.path().join("episodes");
    common::copy_dir(Path::new("episodes"), &episodes);
    let out = dir.path().join("feed");
    podmark_with_umask_027(&[
        "build".as_ref(),
        "--episodes".as_ref(),
        episodes.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let written = files(&out);
    for want in
        ["feed.xml", "cover.png", "audio/020-containers-with-red-hat.mp3", "chapters/020-containers-with-red-hat.json"]
    {
        assert!(written.contains(&out.join(want)), "{want} not written: {written:?}");
    }
    for f in &written {
        assert_eq!(mode(f), 0o640, "{} has mode {:o}", f.display(), mode(f));
    }
}

#[test]
fn chapters_convert_output_gets_0666_less_the_umask_and_an_existing_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.json");
    podmark_with_umask_027(&[
        "chapters".as_ref(),
        "convert".as_ref(),
        SEED.as_ref(),
        "--to".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        new.as_os_str(),
    ]);
    assert_eq!(mode(&new), 0o640);
    let old = dir.path().join("old.txt");
    std::fs::write(&old, "old").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o604)).unwrap();
    podmark_with_umask_027(&[
        "chapters".as_ref(),
        "convert".as_ref(),
        SEED.as_ref(),
        "--to".as_ref(),
        "text".as_ref(),
        "-o".as_ref(),
        old.as_os_str(),
    ]);
    assert_eq!(mode(&old), 0o604);
    assert!(std::fs::read_to_string(&old).unwrap().starts_with("00:00:00.000 Intro"));
}

/// Tags `fixture` through a symlink (both ways: fitting in place, and a rewrite that must grow the
/// file), and checks the link is still a link and the target holds the chapters.
fn tag_through_symlink(fixture: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real").join(name);
    std::fs::copy(common::fixture(fixture), &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o664)).unwrap();
    let link = dir.path().join(name);
    symlink(Path::new("real").join(name), &link).unwrap();
    let before = std::fs::read(&target).unwrap();
    let chapters = dir.path().join("chapters.txt");
    std::fs::write(&chapters, "00:00:00.000 Start\n00:00:00.500 Middle\n").unwrap();
    // Padding 0 and a long title on the second run force the rewrite path after the first.
    podmark_with_umask_027(&["tag".as_ref(), link.as_os_str(), "--chapters".as_ref(), chapters.as_os_str()]);
    std::fs::write(&chapters, format!("00:00:00.000 Start\n00:00:00.500 {}\n", "Long ".repeat(400))).unwrap();
    podmark_with_umask_027(&[
        "tag".as_ref(),
        link.as_os_str(),
        "--chapters".as_ref(),
        chapters.as_os_str(),
        "--padding".as_ref(),
        "0".as_ref(),
    ]);
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "{name}: the link was replaced by a file"
    );
    assert_ne!(std::fs::read(&target).unwrap(), before, "{name}: the target was not tagged");
    assert_eq!(mode(&target), 0o664, "{name}: the target lost its mode");
    assert_eq!(std::fs::read_dir(dir.path().join("real")).unwrap().count(), 1, "{name}: temp files left");
    let back = podmark::tag::extract(&link).unwrap();
    assert_eq!(back.len(), 2, "{name}: chapters read back through the link");
}

#[test]
fn tagging_an_mp3_through_a_symlink_updates_the_target_and_keeps_the_link() {
    tag_through_symlink("mp3/lame-info.mp3", "episode.mp3");
}

#[test]
fn tagging_an_m4a_through_a_symlink_updates_the_target_and_keeps_the_link() {
    tag_through_symlink("mp4/short-last.m4a", "episode.m4a");
    tag_through_symlink("mp4/short-first.m4b", "episode.m4b");
}
