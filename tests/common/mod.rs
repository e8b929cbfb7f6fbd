//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

mod interop;

use std::path::{Path, PathBuf};

#[allow(unused_imports)]
pub use interop::*;

/// The path of a committed fixture under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Runs `program` with `args` and returns its stdout, panicking with its stderr on failure.
pub fn run_tool(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Copies a folder tree (files and sub-folders) into `to`, creating it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The titles of the seed episode's 13 chapters (`episodes/020-…/episode.md`).
pub const SEED_TITLES: [&str; 13] = [
    "Intro",
    "Episode Intro",
    "Interview",
    "RHEL7",
    "Containers Aren’t New",
    "Duplication and Isolation",
    "Change is Constant",
    "Technology as Forcing Function",
    "ITIL for Cloud",
    "Germans and Car Analogies",
    "Non-malicious Snowflakes",
    "Rise of The Machine",
    "Outtakes",
];
