//! The rough edges a producer meets in the first hour: platform rules when converting, help texts
//! whose examples are never split, JSON that scripts can rely on (also on failure), and `add`/`check`
//! of sources the way `build` sees them.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_podmark");
const AUDIO: &str = "tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3";

fn podmark(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("COLUMNS", "80").output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: stdout {:?}", text(&out.stdout)))
}

/// A show folder with one episode whose notes are `notes` (front matter and all).
fn show(notes: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let episodes = tmp.path().join("episodes");
    std::fs::create_dir_all(episodes.join("001-one")).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://t.example/\"\n\
         timezone = \"+10:00\"\n[category]\nname = \"Technology\"\n",
    )
    .unwrap();
    std::fs::copy(AUDIO, episodes.join("001-one/audio.mp3")).unwrap();
    std::fs::write(episodes.join("001-one/episode.md"), notes).unwrap();
    tmp
}

#[test]
fn convert_to_youtube_refuses_a_list_youtube_rejects_naming_each_rule_and_force_writes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes.md");
    std::fs::write(&notes, "- 0:02 Intro\n- 0:05 Two\n").unwrap();
    let out_file = tmp.path().join("yt.txt");
    let n = notes.to_str().unwrap();
    let o = out_file.to_str().unwrap();

    let refused = podmark(&["chapters", "convert", n, "--to", "youtube", "-o", o]);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(err.contains("needs at least 3 chapters"), "{err}");
    assert!(err.contains("at least 10 s"), "{err}");
    assert!(err.contains("not at 0") && err.contains("youtube requires 0"), "{err}");
    assert!(err.contains("nothing written") && err.contains("--force"), "{err}");
    assert!(!out_file.exists());

    let forced = podmark(&["chapters", "convert", n, "--to", "youtube", "-o", o, "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(text(&forced.stderr).contains("needs at least 3 chapters"));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "0:02 Intro\n0:05 Two\n");

    // Apple and Spotify have their rules too; a plain list format has none.
    for to in ["apple", "spotify"] {
        let out = podmark(&["chapters", "convert", n, "--to", to]);
        assert_eq!(out.status.code(), Some(1), "{to}");
        assert!(text(&out.stderr).contains("needs at least 3 chapters"), "{to}");
    }
    assert!(podmark(&["chapters", "convert", n, "--to", "text"]).status.success());

    // A list YouTube takes converts quietly.
    std::fs::write(&notes, "- 0:00 Intro\n- 0:15 Two\n- 0:40 Three\n").unwrap();
    let ok = podmark(&["chapters", "convert", n, "--to", "youtube"]);
    assert!(ok.status.success() && ok.stderr.is_empty(), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout), "0:00 Intro\n0:15 Two\n0:40 Three\n");
}

/// Every command with a long help, as `podmark <args> --help` runs it.
const COMMANDS: [&[&str]; 12] = [
    &[],
    &["new"],
    &["add"],
    &["build"],
    &["chapters", "check"],
    &["chapters", "convert"],
    &["chapters", "extract"],
    &["check"],
    &["probe"],
    &["tag"],
    &["serve"],
    &["publish"],
];

#[test]
fn help_examples_are_never_split_on_an_80_column_terminal() {
    for cmd in COMMANDS {
        let out = podmark(&[cmd, &["--help"]].concat());
        assert!(out.status.success(), "{cmd:?}");
        let help = text(&out.stdout);
        let mut in_examples = false;
        let mut continued = false;
        for line in help.lines() {
            if line == "Examples:" {
                in_examples = true;
                continue;
            }
            if !in_examples {
                continue;
            }
            if line.is_empty() {
                in_examples = false;
                continue;
            }
            assert!(line.chars().count() <= 80, "{cmd:?}: an example line wider than 80 columns: {line:?}");
            let command = ["  podmark ", "  cat ", "  curl "].iter().any(|p| line.starts_with(p));
            if continued {
                assert!(line.starts_with("      "), "{cmd:?}: a continuation is indented: {line:?}");
            } else {
                assert!(command, "{cmd:?}: each example line is a command, not a split one: {line:?}\n{help}");
            }
            continued = line.ends_with(" \\");
        }
    }
}

#[test]
fn build_help_says_what_it_writes_and_has_examples() {
    let help = text(&podmark(&["build", "--help"]).stdout);
    for what in ["feed.xml", "audio/", "chapters/", "guids.lock", "transcripts/", "cover", "Examples:"] {
        assert!(help.contains(what), "build --help does not mention {what}:\n{help}");
    }
}

#[test]
fn build_json_on_failure_prints_every_error_with_file_line_column_and_code() {
    let tmp = show("+++\nseason = 1\n+++\nNotes.\n");
    let episodes = tmp.path().join("episodes");
    let out = podmark(&[
        "build",
        "--json",
        "--episodes",
        episodes.to_str().unwrap(),
        "--out",
        tmp.path().join("feed").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["errors"], 3, "{v:#}");
    assert_eq!(v["error"], Value::Null);
    let file = &v["files"][0];
    assert!(file["path"].as_str().unwrap().ends_with("episode.md"), "{v:#}");
    let codes: Vec<&str> =
        file["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 3, "{v:#}");
    for d in file["diagnostics"].as_array().unwrap() {
        assert_eq!(
            (d["severity"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
            (Some("error"), Some(1), Some(1))
        );
        assert!(d["message"].as_str().unwrap().contains("front matter has no"), "{d}");
    }
    assert!(text(&out.stderr).contains("front matter has no `title`"), "the text goes to stderr as before");
}

#[test]
fn every_json_command_prints_json_with_an_error_count_on_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let m = missing.to_str().unwrap();
    std::fs::write(tmp.path().join("full"), "x").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", m, "--json"],
        vec!["chapters", "check", m, "--json"],
        vec!["tag", m, "--strip-chapters", "--json"],
        vec!["add", AUDIO, "--episodes", m, "--json"],
        vec!["new", tmp.path().to_str().unwrap(), "--json"],
        vec!["build", "--episodes", m, "--json"],
    ];
    for args in cases {
        let out = podmark(&args);
        assert!(!out.status.success(), "{args:?}");
        let v = json(&out);
        assert!(v["errors"].as_u64().unwrap() >= 1, "{args:?}: {v:#}");
        assert!(v["files"].is_array(), "{args:?}: {v:#}");
        assert!(!text(&out.stderr).is_empty(), "{args:?}: the message is on stderr too");
    }
    // probe reports a failed file in its array, with its error.
    let out = podmark(&["probe", "--json", m]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)[0]["error"]["kind"], "io");
}

#[test]
fn chapters_check_json_counts_errors_and_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes.md");
    std::fs::write(&notes, "- 0:00 Intro\n- 0:00 Again\n- 0:00.5 Tiny\n").unwrap();
    let out = podmark(&["chapters", "check", notes.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let file = &v["files"][0];
    assert!(v["errors"].as_u64().unwrap() >= 1, "{v:#}");
    assert_eq!(v["errors"], file["errors"]);
    assert_eq!(v["warnings"], file["warnings"]);
    let listed = file["diagnostics"].as_array().unwrap().len() as u64;
    assert_eq!(listed, file["errors"].as_u64().unwrap() + file["warnings"].as_u64().unwrap());
}

#[test]
fn build_json_names_the_probe_cache_counts_and_probe_json_gives_chapter_times_in_seconds() {
    let tmp = show("+++\ntitle = \"One\"\ndate = 2026-12-01\naudio = \"audio.mp3\"\n+++\nNotes.\n");
    let episodes = tmp.path().join("episodes");
    let out = podmark(&[
        "build",
        "--json",
        "--episodes",
        episodes.to_str().unwrap(),
        "--out",
        tmp.path().join("feed").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cache = &json(&out)["probe_cache"];
    assert_eq!(cache["hits"], 0, "{cache}");
    assert!(cache["misses"].as_u64().unwrap() >= 1, "{cache}");

    let tagged = Path::new("episodes/020-containers-with-red-hat/episode.mp3");
    let v = json(&podmark(&["probe", "--json", tagged.to_str().unwrap()]));
    let list = v[0]["chapters"]["list"].as_array().unwrap();
    assert!((list[1]["start"].as_f64().unwrap() - 15.856).abs() < 1e-9, "{}", list[1]);
    assert!(list[1]["end"].is_number(), "{}", list[1]);
    assert!(v[0]["duration"].is_string(), "the documented HH:MM:SS.mmm duration stays");
}

#[test]
fn check_of_sources_reports_every_missing_front_matter_field_in_one_run() {
    let tmp = show("+++\nseason = 1\n+++\nNotes.\n");
    let out = podmark(&["check", tmp.path().join("episodes").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    for field in ["`title`", "`date`", "`audio`"] {
        assert!(report.contains(&format!("front matter has no {field}")), "{field}: {report}");
    }
}

#[test]
fn add_takes_a_zoneless_date_in_the_show_timezone() {
    let tmp = show("+++\ntitle = \"One\"\ndate = 2026-12-01\naudio = \"audio.mp3\"\n+++\nNotes.\n");
    let episodes = tmp.path().join("episodes");
    let e = episodes.to_str().unwrap();
    let out = podmark(&["add", AUDIO, "--episodes", e, "--date", "2026-12-08", "--title", "Two", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json(&out)["date"], "2026-12-08T00:00:00+10:00");
    let out = podmark(&["add", AUDIO, "--episodes", e, "--date", "2026-12-15T09:30", "--title", "Three", "--json"]);
    assert_eq!(json(&out)["date"], "2026-12-15T09:30:00+10:00");
    let out = podmark(&["add", AUDIO, "--episodes", e, "--date", "2026-12-22T09:30:00Z", "--title", "Four", "--json"]);
    assert_eq!(json(&out)["date"], "2026-12-22T09:30:00Z");
}
