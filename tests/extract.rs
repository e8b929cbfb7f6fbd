//! `podmark chapters extract` on every container `podmark probe` reads, `podmark tag` on the
//! containers it cannot write, and the consistency the issue asks for: for every audio fixture,
//! `probe --json` and `chapters extract --to json` report the same chapters (or both none, or both
//! refuse the file).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{fixture, mutagen_python, run_tool};
use serde_json::Value;

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

fn audio(name: &str) -> PathBuf {
    fixture(&format!("audio/{name}"))
}

/// Exit code, stdout and stderr of a podmark run.
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = podmark().args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// What one reader says about a file's chapters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    /// (start in ms, title) of each chapter, in order.
    Chapters(Vec<(u64, String)>),
    /// The file has no chapters.
    None,
    /// The file was refused (not audio, unsupported, damaged).
    Refused,
}

/// "HH:MM:SS.mmm[mmmmmm]" as milliseconds (rounded).
fn probe_ms(s: &str) -> u64 {
    let ts: podmark::Timestamp = s.parse().unwrap();
    (ts.as_nanos() + 500_000) / 1_000_000
}

/// Seconds as milliseconds (rounded).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn secs_ms(v: &Value) -> u64 {
    (v.as_f64().unwrap() * 1000.0).round() as u64
}

fn probe_says(file: &Path) -> Said {
    let (code, stdout, _) = run(&["probe".as_ref(), "--json".as_ref(), file.as_os_str()]);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let item = &json[0];
    if code != 0 || !item["error"].is_null() {
        return Said::Refused;
    }
    match item["chapters"]["list"].as_array() {
        None => Said::None,
        Some(list) => Said::Chapters(
            list.iter().map(|c| (secs_ms(&c["start"]), c["title"].as_str().unwrap().to_owned())).collect(),
        ),
    }
}

fn extract_says(file: &Path) -> Said {
    let (code, stdout, stderr) =
        run(&["chapters".as_ref(), "extract".as_ref(), file.as_os_str(), "--to".as_ref(), "json".as_ref()]);
    match code {
        0 => {
            let json: Value = serde_json::from_str(&stdout).unwrap();
            Said::Chapters(
                json["chapters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (secs_ms(&c["startTime"]), c["title"].as_str().unwrap_or_default().to_owned()))
                    .collect(),
            )
        }
        1 if stderr.contains("the file has no chapters") => Said::None,
        _ => Said::Refused,
    }
}

/// Every audio file under tests/fixtures/ (by extension), sorted.
fn audio_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                ["mp3", "mp2", "m4a", "m4b", "mp4", "ogg", "opus", "oga", "flac", "wav", "mka", "webm"]
                    .contains(&x.to_ascii_lowercase().as_str())
            }) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&fixture(""), &mut out);
    out.sort();
    out
}

#[test]
fn probe_and_extract_agree_on_every_fixture() {
    let files = audio_fixtures();
    assert!(files.len() >= 40, "only {} audio fixtures found", files.len());
    let mut disagree = Vec::new();
    let mut with_chapters = 0;
    for file in &files {
        let (probe, extract) = (probe_says(file), extract_says(file));
        if matches!(probe, Said::Chapters(_)) {
            with_chapters += 1;
        }
        if probe != extract {
            disagree.push(format!("{}:\n  probe   {probe:?}\n  extract {extract:?}", file.display()));
        }
    }
    assert!(with_chapters >= 8, "only {with_chapters} fixtures with chapters");
    assert!(disagree.is_empty(), "probe and chapters extract disagree on:\n{}", disagree.join("\n"));
}

#[test]
fn chapters_extract_reads_vorbis_comments_and_cue_sheets() {
    let vc = Said::Chapters(vec![(0, "Intro".into()), (500, "Main topic — “ü”".into())]);
    for file in [
        "vorbis-44k-mono-chapters.ogg",
        "opus-48k-mono-vorbis-chapters.opus",
        "flac-8k-mono-chapters.flac",
        "opus-48k-stereo-chapters.opus",
    ] {
        let want = if file.starts_with("opus-48k-stereo") {
            Said::Chapters(vec![(0, "Intro".into()), (400, "Main topic — “ü”".into())])
        } else {
            vc.clone()
        };
        assert_eq!(extract_says(&audio(file)), want, "{file}");
    }
    assert_eq!(
        extract_says(&audio("flac-8k-mono-cuesheet.flac")),
        Said::Chapters(vec![(0, "Track 01".into()), (500, "Track 02".into())])
    );
}

#[test]
fn extract_reads_an_id3v22_mp3_instead_of_refusing_it() {
    let file = audio("mp3-id3v22.mp3");
    let (code, _, stderr) = run(&["chapters".as_ref(), "extract".as_ref(), file.as_os_str()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the file has no chapters"), "{stderr}");
    assert!(!stderr.contains("convert"), "{stderr}");
}

#[test]
fn extract_names_what_it_cannot_read() {
    let cases = [
        ("matroska-stray-sync.mka", "Matroska/WebM audio is not supported by podmark"),
        ("zeros-one-mpeg-frame.mp3", "not an audio file podmark can read"),
        ("not-audio.txt", "not an audio file podmark can read"),
    ];
    for (file, message) in cases {
        let p = audio(file);
        let (code, _, stderr) = run(&["chapters".as_ref(), "extract".as_ref(), p.as_os_str()]);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(stderr.contains(message), "{file}: {stderr}");
    }
}

/// A copy of a fixture in a temporary folder, writable.
fn copy(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(audio(name), &to).unwrap();
    to
}

#[test]
fn tag_refuses_containers_it_cannot_write_and_leaves_them_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let chapters = dir.path().join("ch.txt");
    std::fs::write(&chapters, "00:00:00 One\n00:00:00.300 Two\n").unwrap();
    let cases = [
        ("flac-8k-mono-chapters.flac", "this is FLAC audio;"),
        ("flac-8k-mono-id3v2-prefix.flac", "this is FLAC audio behind an ID3v2 tag;"),
        ("vorbis-44k-mono-chapters.ogg", "this is Ogg audio;"),
        ("opus-48k-mono-vorbis-chapters.opus", "this is Ogg audio;"),
        ("wav-8k-mono-u8.wav", "this is WAV audio;"),
        ("matroska-stray-sync.mka", "Matroska/WebM audio is not supported by podmark"),
        ("zeros-one-mpeg-frame.mp3", "not an audio file podmark can read"),
    ];
    for (name, message) in cases {
        let file = copy(dir.path(), name);
        let before = std::fs::read(&file).unwrap();
        for args in [
            vec!["tag".as_ref(), "--chapters".as_ref(), chapters.as_os_str(), file.as_os_str()],
            vec!["tag".as_ref(), "--strip-chapters".as_ref(), file.as_os_str()],
        ] {
            let (code, _, stderr) = run(&args);
            assert_eq!(code, 2, "{name} {args:?}: {stderr}");
            assert!(stderr.contains(message), "{name}: {stderr}");
            assert_eq!(std::fs::read(&file).unwrap(), before, "{name} must stay byte-identical");
        }
    }
}

/// The bytes after the ID3v2 tag at the start of `data`.
fn after_id3(data: &[u8]) -> &[u8] {
    assert_eq!(&data[..3], b"ID3");
    let size = data[6..10].iter().fold(0usize, |a, &b| (a << 7) | usize::from(b));
    &data[10 + size..]
}

#[test]
fn tag_accepts_junk_before_the_first_frame_like_the_probe_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy(dir.path(), "mp3-junk-before-first-frame.mp3");
    let before = std::fs::read(&file).unwrap();
    let info_before = podmark::probe::probe_path(&file).unwrap();
    let chapters = dir.path().join("ch.txt");
    std::fs::write(&chapters, "00:00:00 One\n00:00:00.500 Two\n").unwrap();
    let (code, _, stderr) = run(&["tag".as_ref(), "--chapters".as_ref(), chapters.as_os_str(), file.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::read(&file).unwrap();
    assert_eq!(after_id3(&after), &before[..], "the junk and the audio are unchanged");
    let info = podmark::probe::probe_path(&file).unwrap();
    assert_eq!((info.samples, info.mpeg.unwrap().garbage_bytes), (info_before.samples, 300));
    assert_eq!(
        extract_says(&file),
        Said::Chapters(vec![(0, "One".into()), (500, "Two".into())]),
        "extract reads what tag wrote"
    );
    assert_eq!(probe_says(&file), extract_says(&file));
    let (code, _, stderr) = run(&["tag".as_ref(), "--strip-chapters".as_ref(), file.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(after_id3(&std::fs::read(&file).unwrap()), &before[..]);
    assert_eq!(extract_says(&file), Said::None);
}

#[test]
fn interop_mutagen_reads_the_same_vorbis_comments_and_mp3_length() {
    let Some(py) = mutagen_python() else { return };
    let py = py.to_str().unwrap();
    let script = r#"
import sys, json, mutagen
f = mutagen.File(sys.argv[1])
print(json.dumps({"length": f.info.length, "tags": {k.upper(): v[0] for k, v in (f.tags or {}).items() if k.upper().startswith("CHAPTER")}}))
"#;
    for file in ["vorbis-44k-mono-chapters.ogg", "opus-48k-mono-vorbis-chapters.opus", "flac-8k-mono-chapters.flac"] {
        let p = audio(file);
        let out: Value = serde_json::from_str(&run_tool(py, &["-c", script, p.to_str().unwrap()])).unwrap();
        let tags = &out["tags"];
        let Said::Chapters(got) = extract_says(&p) else { panic!("{file}: no chapters") };
        for (i, (ms, title)) in got.iter().enumerate() {
            let key = format!("CHAPTER{:03}", i + 1);
            assert_eq!(probe_ms(tags[&key].as_str().unwrap()), *ms, "{file} {key}");
            assert_eq!(tags[format!("{key}NAME")].as_str().unwrap(), title, "{file} {key}NAME");
        }
    }
    // mutagen skips the junk before the first frame too, and measures the same frames.
    let p = audio("mp3-junk-before-first-frame.mp3");
    let out: Value = serde_json::from_str(&run_tool(py, &["-c", script, p.to_str().unwrap()])).unwrap();
    let info = podmark::probe::probe_path(&p).unwrap();
    let diff = (out["length"].as_f64().unwrap() - info.duration.as_secs_f64()).abs();
    assert!(diff < 0.03, "mutagen {} s, podmark {}", out["length"], info.duration);
}

/// Regression: `AudioInfo::chapter_list` refused an MP3 podmark had tagged itself whenever the audio
/// was not a whole number of milliseconds long, because ID3 stores the last chapter's end rounded to
/// the millisecond (past the exact duration).
#[test]
fn chapter_list_reads_an_end_rounded_past_the_exact_duration_as_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy(dir.path(), "mp3-cbr-44k-stereo-lame.mp3");
    let exact = podmark::probe::probe_path(&path).unwrap().duration;
    assert_ne!(exact.as_nanos() % 1_000_000, 0, "the fixture must not be a whole number of milliseconds");
    let chapters = podmark::Chapters::new(vec![
        podmark::Chapter::new(podmark::Timestamp::ZERO, "Start"),
        podmark::Chapter::new(podmark::Timestamp::from_millis(500).unwrap(), "Middle"),
    ])
    .unwrap()
    .with_duration(exact)
    .unwrap();
    podmark::tag::embed(&path, &chapters, &podmark::tag::TagOptions::new()).unwrap();
    let info = podmark::probe::probe_path(&path).unwrap();
    let list = info.chapter_list().expect("chapters found").expect("a valid list");
    assert_eq!(list.len(), 2);
    assert_eq!(list.end_of(1), Some(exact));
}
