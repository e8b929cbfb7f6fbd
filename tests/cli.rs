//! The `podmark` command line, end to end: exit codes, diagnostics, and the seed episode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use assert_cmd::Command;

const SEED: &str = "tests/fixtures/shownotes/seed-eigencast-020.txt";

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

fn stdout_of(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The acceptance check of issue 2: the seed's show notes become JSON chapters 1.2.0 with 13
/// chapters, exact starts, chained ends and the last end at the given duration.
#[test]
fn seed_show_notes_convert_to_json_chapters() {
    let (code, out, err) =
        stdout_of(podmark().args(["chapters", "convert", SEED, "--to", "json", "--duration", "52:00"]));
    assert_eq!(code, 0, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "1.2.0");
    let chapters = v["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 13);
    assert_eq!(chapters[0]["title"], "Intro");
    assert_eq!(chapters[0]["startTime"].as_f64(), Some(0.0));
    assert_eq!(chapters[7]["title"], "Technology as Forcing Function");
    assert_eq!(chapters[7]["startTime"].as_f64(), Some(1400.151));
    assert_eq!(chapters[4]["title"], "Containers Aren\u{2019}t New", "typographic apostrophe kept");
    assert_eq!(chapters[12]["title"], "Outtakes");
    assert_eq!(chapters[12]["startTime"].as_f64(), Some(2999.433));
    for pair in chapters.windows(2) {
        assert_eq!(pair[0]["endTime"], pair[1]["startTime"], "ends chain to the next start");
    }
    assert_eq!(chapters[12]["endTime"].as_f64(), Some(3120.0));
}

#[test]
fn check_reports_three_mistakes_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.md");
    std::fs::write(
        &path,
        "# Episode\n\n- 00:00 Intro\n- 00:10:00 Talk\n- 00:05:00 Back in time\n- 1:75 Bad time\n- 00:20:00\n",
    )
    .unwrap();
    let (code, out, _) = stdout_of(podmark().args(["chapters", "check"]).arg(&path));
    assert_eq!(code, 1, "{out}");
    let p = path.display();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(&format!("{p}:5:3: error: chapter starts at 00:05:00.000, before the previous chapter")),
        "{out}"
    );
    assert!(
        lines[1].starts_with(&format!("{p}:6:5: error: invalid timestamp \"1:75\": seconds must be less than 60")),
        "{out}"
    );
    assert!(lines[2].starts_with(&format!("{p}:7:11: error: chapter has no title")), "{out}");
    assert_eq!(lines.len(), 4, "three problems and a summary: {out}");
}

#[test]
fn check_json_has_the_same_diagnostics() {
    let (code, out, _) = stdout_of(
        podmark().args(["chapters", "check", "--json", "--from", "notes", "-"]).write_stdin("00:10 A\n00:05 B\n"),
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["files"][0]["diagnostics"];
    assert_eq!(d.as_array().map(Vec::len), Some(2), "{out}");
    assert_eq!(d[0]["code"], "first-not-zero");
    assert_eq!(d[1]["line"], 2);
    assert_eq!(d[1]["column"], 1);
    assert_eq!(d[1]["code"], "order");
}

#[test]
fn a_control_character_in_a_json_chapter_title_is_an_error() {
    let json = "{\"version\": \"1.2.0\", \"chapters\": [\n  {\"startTime\": 0, \"title\": \"Intro\\u0001\"}\n]}\n";
    let (code, out, _) = stdout_of(podmark().args(["chapters", "check", "--from", "json", "-"]).write_stdin(json));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|l| l
            == "<stdin>:2:29: error: title contains the control character U+0001; podmark allows none but tab and line breaks: \"Intro\\u{1}\""),
        "{out}"
    );
    // `convert` refuses it too, so no writer strips or keeps it on its own.
    let (code, out, err) =
        stdout_of(podmark().args(["chapters", "convert", "--from", "json", "--to", "psc", "-"]).write_stdin(json));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("<stdin>:2:29: error: title contains the control character U+0001"), "{err}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn sample_episode_is_clean_under_every_platform_profile() {
    let ep = "episodes/020-containers-with-red-hat/episode.md";
    let (code, out, _) = stdout_of(podmark().args([
        "chapters",
        "check",
        ep,
        "--profile",
        "apple,spotify,podcasting2,id3,mp4",
        "--duration",
        "52:00",
    ]));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = stdout_of(podmark().args(["chapters", "convert", SEED, "--to", "mp3"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown chapter format \"mp3\""), "{err}");
    let (code, _, err) = stdout_of(podmark().args(["chapters", "check", "no/such/file.md"]));
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no/such/file.md"), "{err}");
    let (code, _, _) = stdout_of(podmark().args(["chapters", "check", SEED, "--profile", "tiktok"]));
    assert_eq!(code, 2);
}

/// Bad inputs of every kind: a diagnostic, a non-zero exit, never a panic (exit 101).
#[test]
fn bad_input_corpus_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long_line = format!("00:00 {}\n", "x".repeat(10 * 1024 * 1024));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("nines.md", b"99:99 Chapter\n".to_vec(), "seconds must be less than 60"),
        ("overflow.md", b"99999999999999999999:00 Big\n".to_vec(), "too large"),
        ("overflow.json", br#"{"version":"1.2.0","chapters":[{"startTime":1e300}]}"#.to_vec(), "error"),
        ("nul.md", b"00:00 In\0tro\n".to_vec(), "NUL byte at byte 8"),
        ("latin1.md", b"00:00 Caf\xe9\n".to_vec(), "invalid UTF-8 at byte 9"),
        ("utf16.txt", vec![0xFF, 0xFE, b'0', 0, b':', 0], "UTF-16"),
        ("long.md", long_line.into_bytes(), "title is 10485760 bytes"),
        ("empty.md", Vec::new(), "no chapters found"),
        ("binary.mp3", vec![0xFF, 0xFB, 0x90, 0x00, 0x00, 0x01, 0x02], "error"),
        ("empty.json", b"{}".to_vec(), "error"),
        ("broken.xml", b"<psc:chapters><psc:chapter start=".to_vec(), "error"),
        ("bad.vtt", b"WEBVTT\n\n00:00.000 --> \nx\n".to_vec(), "error"),
        ("bad.cue", b"TRACK 01 AUDIO\n  INDEX 01 00:00:99\n".to_vec(), "error"),
        ("bad.ffmetadata", b";FFMETADATA1\n[CHAPTER]\nSTART=5\nEND=1\n".to_vec(), "error"),
    ];
    for (name, bytes, expect) in &cases {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, out, err) = stdout_of(podmark().args(["chapters", "check"]).arg(&path));
        assert_ne!(code, 101, "{name} panicked: {err}");
        assert_eq!(code, if *name == "long.md" { 0 } else { 1 }, "{name}: {out} {err}");
        assert!(out.contains(expect), "{name}: expected {expect:?} in {out}");
        let (code, _, err) = stdout_of(podmark().args(["chapters", "convert", "--to", "json"]).arg(&path));
        assert_ne!(code, 101, "{name} panicked in convert: {err}");
    }
    // A directory is an I/O error.
    let (code, _, err) = stdout_of(podmark().args(["chapters", "check"]).arg(d));
    assert_eq!(code, 2);
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn convert_writes_a_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.txt");
    let (code, _, err) = stdout_of(podmark().args(["chapters", "convert", SEED, "--to", "text", "-o"]).arg(&out));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("00:00:00.000 Intro\n"), "{text}");
    assert_eq!(text.lines().count(), 13);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp files left behind");
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The README's main job on a copy of the sample podcast: builds, prints a summary, and the
/// same sources build byte-identical output (audio, chapters, feed) in two separate folders.
#[test]
fn build_is_deterministic_and_matches_the_golden_feed() {
    let dir = tempfile::tempdir().unwrap();
    let episodes = dir.path().join("episodes");
    common::copy_dir(Path::new("episodes"), &episodes);
    let run = |out: &Path| {
        let (code, stdout, err) =
            stdout_of(podmark().arg("build").arg("--episodes").arg(&episodes).arg("--out").arg(out));
        assert_eq!(code, 0, "{err}");
        assert!(stdout.contains("020-containers-with-red-hat  13 chapters"), "{stdout}");
        stdout
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&a);
    run(&b);
    let (ta, tb) = (tree(&a), tree(&b));
    let names: Vec<&str> = ta.iter().map(|(n, _)| n.as_str()).collect();
    for want in
        ["feed.xml", "cover.png", "audio/020-containers-with-red-hat.mp3", "chapters/020-containers-with-red-hat.json"]
    {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for ((na, ba), (nb, bb)) in ta.iter().zip(&tb) {
        assert_eq!(na, nb);
        if !na.starts_with(".podmark") {
            assert!(ba == bb, "{na} differs between two builds of the same sources");
        }
    }
    // A rebuild writes nothing.
    let again = run(&a);
    assert!(again.contains(" 0 written"), "{again}");
    // The sources' GUID lock is what the repository holds: building changes no committed file.
    assert_eq!(std::fs::read(episodes.join("guids.lock")).unwrap(), std::fs::read("episodes/guids.lock").unwrap());

    let golden = Path::new("tests/fixtures/golden/feed.xml");
    let built = std::fs::read_to_string(a.join("feed.xml")).unwrap();
    if std::env::var_os("PODMARK_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(golden, &built).unwrap();
    }
    assert_eq!(
        built,
        std::fs::read_to_string(golden).unwrap(),
        "feed.xml differs from {}; if intended, run with PODMARK_BLESS=1",
        golden.display()
    );
}

/// Without --duration, `chapters check` of show notes measures the audio their front matter names
/// (relative to the notes' folder), so a chapter past its end is an error; a missing audio file is
/// a warning that says so.
#[test]
fn chapters_check_of_notes_measures_their_audio_and_warns_when_it_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("episode.md");
    std::fs::write(&path, "+++\ntitle = \"Ep\"\naudio = \"episode.mp3\"\n+++\n\n- 00:00 Intro\n- 00:05 Past the end\n")
        .unwrap();
    let p = path.display();

    let (code, out, _) = stdout_of(podmark().args(["chapters", "check"]).arg(&path));
    assert_eq!(code, 0, "{out}");
    let audio = dir.path().join("episode.mp3");
    assert_eq!(
        out,
        format!(
            "{p}:3:1: warning: audio {} is missing: chapters are not checked against its end; pass --duration \
             to check them\n{p}: 2 chapters (notes), 0 errors, 1 warning\n",
            audio.display()
        )
    );

    // The 1.2 s fixture: the chapter at 0:05 starts after its end.
    std::fs::copy(Path::new("tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3"), &audio).unwrap();
    let (code, out, _) = stdout_of(podmark().args(["chapters", "check"]).arg(&path));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("{p}:7:3: error: chapter starts at 00:00:05.000, at or after the end of the audio (")),
        "{out}"
    );

    // --duration still wins over the audio.
    let (code, out, _) = stdout_of(podmark().args(["chapters", "check", "--duration", "10:00"]).arg(&path));
    assert_eq!(code, 0, "{out}");
}

/// `podmark … | head`: a reader that goes away ends the command quietly, without "Broken pipe".
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let bin = assert_cmd::cargo::cargo_bin("podmark");
    // Output larger than a pipe's buffer (64 KiB), so podmark writes after `head` left: the report
    // on 2,000 copies of the seed, as text and as JSON (serde_json's errors hide the io::Error).
    let bin = bin.display();
    let script = format!(
        "'{bin}' chapters convert {SEED} --to json --duration 52:00 | head -c 10 >/dev/null; \
         '{bin}' chapters check \"$@\" | head -c 10 >/dev/null; \
         '{bin}' chapters check --json \"$@\" | head -c 10 >/dev/null"
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script, "sh"])
        .args(std::iter::repeat_n(SEED, 2000))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
