//! `podmark tag` on MP3 files, checked by the readers podcast tools use: ffprobe, mutagen and eyeD3
//! (interop tests, required in CI with `PODMARK_REQUIRE_INTEROP=1`), plus the sample episode, bad
//! inputs, and a crash-safety test that SIGKILLs the tagger at random moments.
//!
//! Fixtures: `tests/fixtures/mp3/`, made by `scripts/make-mp3-fixtures.sh`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{fixture, python_script, python_with, require_tool, require_tools, run_tool};
use podmark::tag::{TagOptions, WriteMode};
use serde_json::Value;

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

/// A copy of `tests/fixtures/mp3/<name>` in `dir`.
fn copy(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(fixture(&format!("mp3/{name}")), &to).unwrap();
    to
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// (start ms, end ms, title) of every chapter ffprobe lists, in its order.
fn ffprobe_chapters(path: &Path) -> Vec<(u64, u64, String)> {
    let out = run_tool("ffprobe", &["-v", "error", "-show_chapters", "-of", "json", path.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["time_base"], "1/1000");
            (c["start"].as_u64().unwrap(), c["end"].as_u64().unwrap(), c["tags"]["title"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// The MD5 of the decoded audio.
fn audio_md5(path: &Path) -> String {
    run_tool("ffmpeg", &["-v", "error", "-i", path.to_str().unwrap(), "-map", "0:a", "-f", "md5", "-"])
}

/// Runs a Python snippet (mutagen or eyeD3) with the file as `sys.argv[1]`, returning its JSON.
fn python(r: &Readers, script: &str, path: &Path) -> Value {
    let out = run_tool(r.py.to_str().unwrap(), &["-c", script, path.to_str().unwrap()]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

const MUTAGEN: &str = r#"
import sys, json, hashlib
from mutagen.id3 import ID3
t = ID3(sys.argv[1])
out = {"version": list(t.version), "order": [f.FrameID for f in t.values()], "chap": [], "ctoc": [], "other": {}}
for f in t.getall("CHAP"):
    sub = {}
    for k, v in f.sub_frames.items():
        if k.startswith("APIC"):
            sub[k] = [v.mime, v.data.hex()]
        elif k.startswith("WXXX"):
            sub[k] = v.url
        else:
            sub[k] = str(v)
    out["chap"].append([f.element_id, f.start_time, f.end_time, f.start_offset, f.end_offset, sub])
for f in t.getall("CTOC"):
    out["ctoc"].append([f.element_id, int(f.flags), f.child_element_ids, {k: str(v) for k, v in f.sub_frames.items()}])
for k, v in t.items():
    if not (k.startswith("CHAP") or k.startswith("CTOC")):
        out["other"][k] = hashlib.md5(repr(v).encode()).hexdigest()
print(json.dumps(out))
"#;

const EYED3: &str = r#"
import sys, json, eyed3
eyed3.log.setLevel("ERROR")
a = eyed3.load(sys.argv[1])
out = {"version": list(a.tag.version), "chapters": [], "tocs": []}
for c in a.tag.chapters:
    out["chapters"].append([c.element_id.decode(), c.times.start, c.times.end, c.title, c.user_url])
for t in a.tag.table_of_contents:
    out["tocs"].append([t.element_id.decode(), t.toplevel, t.ordered, [i.decode() for i in t.child_ids], t.description])
print(json.dumps(out))
"#;

/// Three chapters for the 3-second fixture: a URL, a hidden one, Unicode beyond ISO-8859-1, an image.
const CHAPTERS_JSON: &str = r#"{"version": "1.2.0", "chapters": [
  {"startTime": 0, "title": "Intro", "url": "https://example.com/intro", "img": "chapter.png"},
  {"startTime": 0.75, "title": "sponsor marker", "toc": false},
  {"startTime": 1.234, "title": "Café — “Ünïcode” 😀"},
  {"startTime": 2.5, "title": "Outro"}
]}"#;

/// The readers the interop tests compare with: ffprobe and ffmpeg on PATH, a Python with mutagen
/// and eyeD3, and the `mid3v2` and `eyeD3` scripts installed with them.
struct Readers {
    py: PathBuf,
    mid3v2: PathBuf,
    eyed3: PathBuf,
}

/// The [`Readers`], or `None` (the test skips, with a notice) when one is missing.
fn interop_tools() -> Option<Readers> {
    let tools = require_tools(&["ffprobe", "ffmpeg"]);
    let py = python_with(&["mutagen", "eyed3"]);
    let mid3v2 = python_script("mid3v2", "mutagen");
    let eyed3 = python_script("eyeD3", "eyed3");
    Some(Readers { py: py?, mid3v2: mid3v2?, eyed3: eyed3? }).filter(|_| tools)
}

#[test]
fn ffprobe_mutagen_and_eyed3_read_our_chapters_in_v23_and_v24() {
    let Some(readers) = interop_tools() else { return };
    for id3 in ["2.3", "2.4"] {
        let dir = tempfile::tempdir().unwrap();
        let mp3 = copy(dir.path(), "lame-info.mp3");
        let png = copy(dir.path(), "chapter.png");
        let chapters = write(dir.path(), "chapters.json", CHAPTERS_JSON);
        let md5 = audio_md5(&mp3);
        podmark()
            .args(["tag", mp3.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--id3", id3])
            .assert()
            .success();

        // ffprobe: exactly our chapters, in order, exact milliseconds, the last ending at the
        // exact duration (3 s: 48 000 samples at 16 kHz, from the LAME tag).
        let got = ffprobe_chapters(&mp3);
        let want: Vec<(u64, u64, String)> = [
            (0, 750, "Intro"),
            (750, 1234, "sponsor marker"),
            (1234, 2500, "Café — “Ünïcode” 😀"),
            (2500, 3000, "Outro"),
        ]
        .iter()
        .map(|(s, e, t)| (*s, *e, (*t).to_owned()))
        .collect();
        assert_eq!(got, want, "v{id3}");
        assert_eq!(audio_md5(&mp3), md5, "decoded audio unchanged");

        let m = python(&readers, MUTAGEN, &mp3);
        assert_eq!(m["version"][1], if id3 == "2.3" { 3 } else { 4 });
        let order: Vec<&str> = m["order"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(order, ["CTOC", "CHAP", "CHAP", "CHAP", "CHAP"]);
        let chap = m["chap"].as_array().unwrap();
        let ids: Vec<&str> = chap.iter().map(|c| c[0].as_str().unwrap()).collect();
        assert_eq!(ids, ["chp0", "chp1", "chp2", "chp3"]);
        assert_eq!(chap[2][1], 1234);
        assert_eq!(chap[2][2], 2500);
        assert_eq!(chap[2][3], 0xFFFF_FFFFu32);
        assert_eq!(chap[2][4], 0xFFFF_FFFFu32);
        assert_eq!(chap[2][5]["TIT2"], "Café — “Ünïcode” 😀");
        assert_eq!(chap[0][5]["WXXX:chapter url"], "https://example.com/intro");
        let png_hex: String = std::fs::read(&png).unwrap().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(chap[0][5]["APIC:"], serde_json::json!(["image/png", png_hex]));
        let ctoc = m["ctoc"].as_array().unwrap();
        assert_eq!(ctoc.len(), 1);
        assert_eq!(ctoc[0][0], "toc");
        assert_eq!(ctoc[0][1], 3, "top-level | ordered");
        assert_eq!(ctoc[0][2], serde_json::json!(["chp0", "chp2", "chp3"]), "the hidden chapter is left out");
        assert_eq!(ctoc[0][3]["TIT2"], "Chapters");

        let e = python(&readers, EYED3, &mp3);
        let chapters = e["chapters"].as_array().unwrap();
        assert_eq!(chapters.len(), 4);
        assert_eq!(chapters[0], serde_json::json!(["chp0", 0, 750, "Intro", "https://example.com/intro"]));
        assert_eq!(chapters[2][3], "Café — “Ünïcode” 😀");
        assert_eq!(e["tocs"], serde_json::json!([["toc", true, true, ["chp0", "chp2", "chp3"], "Chapters"]]));

        // Read back by podmark itself, hidden flag included.
        let out = podmark().args(["chapters", "extract", mp3.to_str().unwrap(), "--to", "json"]).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["chapters"][1]["toc"], false);
        assert_eq!(v["chapters"][2]["title"], "Café — “Ünïcode” 😀");
    }
}

#[test]
fn tags_written_by_mid3v2_and_eyed3_survive_with_their_cover() {
    let Some(readers) = interop_tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cover = fixture("mp3/cover.jpg");
    let cover = cover.to_str().unwrap();
    let a = copy(dir.path(), "lame-info.mp3");
    run_tool(
        readers.mid3v2.to_str().unwrap(),
        &[
            "-t",
            "Episode 20",
            "-a",
            "The Eigencast",
            "-c",
            "a comment",
            "-p",
            &format!("{cover}:cover:3:image/jpeg"),
            a.to_str().unwrap(),
        ],
    );
    let b = dir.path().join("eyed3.mp3");
    std::fs::copy(fixture("mp3/lame-info.mp3"), &b).unwrap();
    run_tool(
        readers.eyed3.to_str().unwrap(),
        &[
            "--quiet",
            "-t",
            "Episode 20",
            "-a",
            "The Eigencast",
            "--add-image",
            &format!("{cover}:FRONT_COVER"),
            b.to_str().unwrap(),
        ],
    );
    let chapters = write(dir.path(), "c.txt", "0:00 One\n0:01.5 Two\n");
    for f in [&a, &b] {
        let before = python(&readers, MUTAGEN, f);
        assert!(before["other"].as_object().unwrap().keys().any(|k| k.starts_with("APIC")), "{before}");
        let md5 = audio_md5(f);
        podmark().args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap()]).assert().success();
        let after = python(&readers, MUTAGEN, f);
        assert_eq!(after["other"], before["other"], "every other frame survives: {}", f.display());
        assert_eq!(after["version"], before["version"], "the tag's version is kept");
        assert_eq!(after["chap"].as_array().unwrap().len(), 2);
        assert_eq!(audio_md5(f), md5);
        let titles: Vec<String> = ffprobe_chapters(f).into_iter().map(|c| c.2).collect();
        assert_eq!(titles, ["One", "Two"]);
        // Tagging again with other chapters replaces them, never duplicates.
        write(dir.path(), "c.txt", "0:00 Uno\n0:01 Dos\n0:02 Tres\n");
        podmark().args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap()]).assert().success();
        let again = python(&readers, MUTAGEN, f);
        assert_eq!(again["chap"].as_array().unwrap().len(), 3);
        assert_eq!(again["ctoc"].as_array().unwrap().len(), 1);
        assert_eq!(again["other"], before["other"]);
        write(dir.path(), "c.txt", "0:00 One\n0:01.5 Two\n");
    }
}

#[test]
fn ffmpeg_v24_chapters_with_plain_sizes_are_read_and_rewritten_readable() {
    let Some(readers) = interop_tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = copy(dir.path(), "ffmpeg-v24-chapters.mp3");
    // FFmpeg's own v2.4 output hides its second chapter (150-byte title) from FFmpeg itself.
    assert_eq!(ffprobe_chapters(&f).len(), 1, "the fixture shows the FFmpeg bug");
    let out = podmark().args(["chapters", "extract", f.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 3, "{text}");
    let chapters = write(dir.path(), "c.txt", &text);
    let md5 = audio_md5(&f);
    podmark()
        .args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--id3", "2.3"])
        .assert()
        .success();
    let got = ffprobe_chapters(&f);
    assert_eq!(got.len(), 3);
    assert_eq!(got[1], (1000, 2000, "L".repeat(150)));
    let m = python(&readers, MUTAGEN, &f);
    assert_eq!(m["version"], serde_json::json!([2, 3, 0]));
    assert!(m["other"]["TIT2"].is_string() && m["other"]["TPE1"].is_string(), "title and artist kept: {m}");
    assert_eq!(audio_md5(&f), md5);
}

#[test]
fn the_sample_episode_shows_the_seed_chapters_everywhere() {
    let episode = Path::new(env!("CARGO_MANIFEST_DIR")).join("episodes/020-containers-with-red-hat");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("episode.mp3");
    std::fs::copy(episode.join("episode.mp3"), &f).unwrap();
    let size = std::fs::metadata(&f).unwrap().len();
    assert!(size <= 4 * 1024 * 1024, "{size} bytes");
    let info = podmark::probe::probe_path(&f).unwrap();
    assert!(info.duration >= "50:30".parse().unwrap(), "{}", info.duration);

    // The committed file is already tagged from the show notes: tagging again changes nothing.
    let notes = episode.join("episode.md");
    let before = std::fs::read(&f).unwrap();
    let out = podmark().args(["tag", f.to_str().unwrap(), "--notes", notes.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already up to date"));
    assert_eq!(std::fs::read(&f).unwrap(), before, "byte-identical");

    let seed = podmark::shownotes::parse(&std::fs::read_to_string(&notes).unwrap());
    let starts: Vec<u64> = seed.entries.iter().map(|e| e.chapter.start.as_millis()).collect();
    assert_eq!(starts.len(), 13);
    assert_eq!(starts[12], 2_999_433, "49:59.433");
    let embedded = podmark::tag::extract(&f).unwrap();
    assert_eq!(embedded.iter().map(|c| c.start.as_millis()).collect::<Vec<_>>(), starts);
    assert_eq!(embedded.duration(), Some(info.duration.rounded_to_millis()), "last end = probed duration");

    let Some(readers) = interop_tools() else { return };
    let got = ffprobe_chapters(&f);
    assert_eq!(got.iter().map(|c| c.0).collect::<Vec<_>>(), starts);
    let titles: Vec<&str> = seed.entries.iter().map(|e| e.chapter.title.as_str()).collect();
    assert_eq!(got.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), titles);
    assert_eq!(got[12].1, info.duration.as_millis());
    let m = python(&readers, MUTAGEN, &f);
    assert_eq!(m["chap"].as_array().unwrap().len(), 13);
    assert_eq!(m["ctoc"][0][1], 3, "top-level | ordered");
    assert_eq!(m["ctoc"][0][2].as_array().unwrap().len(), 13);
    let e = python(&readers, EYED3, &f);
    assert_eq!(e["chapters"].as_array().unwrap().len(), 13);
    assert_eq!(e["chapters"][7][3], "Technology as Forcing Function");
}

#[test]
fn bad_inputs_fail_clearly_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let chapters = write(dir.path(), "c.txt", "0:00 One\n");
    let run = |audio: &Path| {
        let out = podmark()
            .args(["tag", audio.to_str().unwrap(), "--chapters", chapters.to_str().unwrap()])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.mp3", Vec::new(), "empty"),
        ("text.mp3", b"just some text, not audio".to_vec(), "not an audio file podmark can read"),
        ("past.mp3", b"ID3\x03\x00\x00\x00\x00\x7f\x7fTIT2".to_vec(), "the ID3v2 tag needs"),
    ];
    for (name, bytes, needle) in &cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let (code, err) = run(&p);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(needle) && err.contains("nothing written"), "{name}: {err}");
        assert_eq!(&std::fs::read(&p).unwrap(), bytes, "{name} untouched");
    }
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(2));
    assert!(err.contains("directory"), "{err}");

    let ro = copy(dir.path(), "lame-info.mp3");
    let mut perm = std::fs::metadata(&ro).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&ro, perm).unwrap();
    let (code, err) = run(&ro);
    assert_eq!(code, Some(2));
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(std::fs::read(&ro).unwrap(), std::fs::read(fixture("mp3/lame-info.mp3")).unwrap());

    // A chapter past the end of the 3-second audio: exit 1, named and quoted.
    let ok = copy(dir.path(), "noxing.mp3");
    let late = write(dir.path(), "late.txt", "0:00 One\n0:05 Too late\n");
    let out = podmark().args(["tag", ok.to_str().unwrap(), "--chapters", late.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chapter 2 \"Too late\"") && err.contains("after the end of the audio"), "{err}");
    assert_eq!(std::fs::read(&ok).unwrap(), std::fs::read(fixture("mp3/noxing.mp3")).unwrap());

    // Broken show notes: every problem with line:col, nothing written.
    let notes = write(dir.path(), "bad.md", "# Notes\n\n- 00:00 Intro\n- 00:61:00 Bad minute\n- 1:75 Bad second\n");
    let out = podmark().args(["tag", ok.to_str().unwrap(), "--notes", notes.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.md:4:") && err.contains("bad.md:5:"), "{err}");
    assert_eq!(std::fs::read(&ok).unwrap(), std::fs::read(fixture("mp3/noxing.mp3")).unwrap());
}

#[test]
fn cli_dry_run_json_strip_and_extract() {
    let dir = tempfile::tempdir().unwrap();
    let f = copy(dir.path(), "lame-info.mp3");
    let chapters = write(dir.path(), "c.txt", "0:00 One\n0:01.5 Two <https://example.com/2>\n");
    let fresh = std::fs::read(&f).unwrap();
    let out = podmark()
        .args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--dry-run", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["mode"], "dry-run");
    assert_eq!(report["chapters"], 2);
    assert_eq!(std::fs::read(&f).unwrap(), fresh, "dry run writes nothing");

    let out = podmark()
        .args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--padding", "100", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["mode"], "rewritten");
    assert_eq!(report["bytes_after"], std::fs::metadata(&f).unwrap().len());

    let out = podmark().args(["chapters", "extract", f.to_str().unwrap()]).output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "## total-duration: 00:00:03.000\n00:00:00.000 One\n00:00:01.500 Two <https://example.com/2>\n"
    );

    let out = podmark().args(["tag", f.to_str().unwrap(), "--strip-chapters"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("chapters removed, written in place"));
    let out = podmark().args(["chapters", "extract", f.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no chapters"));

    podmark().args(["tag", f.to_str().unwrap()]).assert().failure().code(2);
    podmark().args(["tag", f.to_str().unwrap(), "--strip-chapters", "--id3", "2.5"]).assert().failure().code(2);
}

#[test]
fn library_embed_reports_modes() {
    let dir = tempfile::tempdir().unwrap();
    let f = copy(dir.path(), "lame-info.mp3");
    let t = |s: &str| s.parse::<podmark::Timestamp>().unwrap();
    let chapters =
        podmark::Chapters::new(vec![podmark::Chapter::new(t("0"), "A"), podmark::Chapter::new(t("1"), "B")]).unwrap();
    let r = podmark::tag::embed(&f, &chapters, &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::Rewritten);
    assert_eq!(podmark::tag::embed(&f, &chapters, &TagOptions::new()).unwrap().mode, WriteMode::Unchanged);
    assert_eq!(podmark::tag::extract(&f).unwrap().len(), 2);
}

/// A file of a few MB: the fixture's MPEG frames repeated (no Xing header, so they concatenate).
fn big_mp3(dir: &Path) -> PathBuf {
    let frames = std::fs::read(fixture("mp3/noxing.mp3")).unwrap();
    let p = dir.join("big.mp3");
    std::fs::write(&p, frames.repeat(1300)).unwrap(); // about 4 MB, 65 minutes
    p
}

/// Kills `podmark tag` with SIGKILL at random moments over 40 runs; after each kill the file must
/// be byte-identical to either the version before or the version a complete run produces. Both
/// rewrites (the tag grows: a temporary file is copied and renamed) and in-place writes (it
/// shrinks) are exercised. This is a correctness test, not a timing one: the delays only spread
/// the kills over the process's lifetime.
#[test]
fn sigkill_at_random_moments_leaves_the_old_or_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = big_mp3(dir.path());
    let short = write(dir.path(), "short.txt", "0:00 A\n10:00 B\n20:00 C\n");
    let long_titles: String =
        (0..30).map(|i| format!("{}:00 A much longer chapter title number {i}\n", i * 2)).collect();
    let long = write(dir.path(), "long.txt", &long_titles);
    let tag = |file: &Path, chapters: &Path| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("podmark"))
            .args(["tag", file.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--padding", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // The outcome of a complete run from each state (deterministic), and how long a run takes.
    let reference = dir.path().join("reference.mp3");
    let mut states = vec![std::fs::read(&f).unwrap()];
    let mut slowest = Duration::ZERO;
    for chapters in [&short, &long, &short] {
        std::fs::write(&reference, states.last().unwrap()).unwrap();
        let started = Instant::now();
        assert!(tag(&reference, chapters).wait().unwrap().success());
        slowest = slowest.max(started.elapsed());
        states.push(std::fs::read(&reference).unwrap());
    }
    assert!(states[1] != states[2] && states[2] != states[3]);
    assert!(states[1].len() < states[2].len(), "the long tag does not fit: a rewrite");
    assert_eq!(states[2].len(), states[3].len(), "the short tag fits: in place");
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut kept_old, mut got_new, mut mid_rewrite) = (0, 0, 0);
    std::fs::write(&f, &states[1]).unwrap();
    for run in 0..40 {
        // Alternate: states[1] → long (rewrite, grows) and states[2] → short (in place).
        let (old, new, chapters) = if run % 2 == 0 { (1, 2, &long) } else { (2, 3, &short) };
        std::fs::write(&f, &states[old]).unwrap();
        let micros = u64::try_from(slowest.as_micros()).unwrap() * 6 / 5;
        let delay = Duration::from_micros(random() % micros.max(1));
        let mut child = tag(&f, chapters);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; fails harmlessly if it already finished
        child.wait().unwrap();
        let now = std::fs::read(&f).unwrap();
        if now == states[old] {
            kept_old += 1;
        } else if now == states[new] {
            got_new += 1;
        } else {
            panic!("run {run}: after a kill at {delay:?} the file is neither the old nor the new version");
        }
        // A kill during a rewrite leaves its temporary file behind; nothing else may appear.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with(".podmark-") && name.ends_with(".tmp") {
                mid_rewrite += 1;
                std::fs::remove_file(dir.path().join(&name)).unwrap();
            } else {
                assert!(["big.mp3", "short.txt", "long.txt", "reference.mp3"].contains(&name.as_str()), "{name}");
            }
        }
    }
    eprintln!("40 kills: {kept_old} left the old file, {got_new} the new one; {mid_rewrite} hit a rewrite mid-copy");
    assert_eq!(kept_old + got_new, 40);
    if require_tool("ffmpeg") {
        for s in &states[1..3] {
            std::fs::write(&reference, s).unwrap();
            let out = std::process::Command::new("ffmpeg")
                .args(["-v", "error", "-xerror", "-i", reference.to_str().unwrap(), "-f", "null", "-"])
                .output()
                .unwrap();
            assert!(out.status.success(), "decodable: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

#[test]
fn v24_warns_when_ffmpeg_would_drop_a_chapter_and_v23_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = copy(dir.path(), "lame-info.mp3");
    let chapters = write(dir.path(), "c.txt", &format!("0:00 Short\n0:01 {}\n", "Long title ".repeat(13)));
    let out = podmark()
        .args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--id3", "2.4"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chapter 2") && err.contains("FFmpeg") && err.contains("ID3v2.3"), "{err}");
    let out = podmark()
        .args(["tag", f.to_str().unwrap(), "--chapters", chapters.to_str().unwrap(), "--id3", "2.3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    if require_tool("ffprobe") {
        assert_eq!(ffprobe_chapters(&f).len(), 2, "v2.3 keeps every chapter readable by FFmpeg");
    }
}
