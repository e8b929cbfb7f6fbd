//! Every chapter format podmark writes, read back by a reader podmark did not write.
//!
//! The seed episode's show notes (`episodes/020-containers-with-red-hat/episode.md`, 13 chapters)
//! are written in each format by the library, then read by an independent tool, which must see
//! the 13 starts (to the millisecond where the format carries milliseconds, to the CUE frame for
//! CUE) and the 13 titles:
//!
//! | format | independent reader |
//! |---|---|
//! | FFMETADATA | `ffmpeg -map_chapters` muxes it into a Matroska file; `ffprobe` reads it back |
//! | WebVTT | webvtt-py (PyPI) |
//! | CUE | `cuebreakpoints` and `cueprint` (cuetools), and `mkvmerge` (mkvtoolnix) |
//! | OGM-style chapter text | `mkvextract --simple` writes it from the CUE; podmark's text reader reads it |
//! | JSON chapters | Python `jsonschema` against `tests/fixtures/schema/json-chapters-1.2.schema.json` |
//! | PSC (file and in the feed) | `xmllint` (libxml2): well-formedness, namespace, XPath |
//! | the feed | `xmllint`: well-formedness and the namespace of every prefixed element |
//!
//! mp4chaps text, Audacity labels and description blocks have no packaged independent reader;
//! DESIGN.md ("Which outputs have an independent reader?") says what is checked instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use podmark::formats::{Format, WriteOptions};
use podmark::{Chapters, Timestamp};

const SEED: &str = "episodes/020-containers-with-red-hat/episode.md";
const SEED_AUDIO: &str = "episodes/020-containers-with-red-hat/episode.mp3";

const SEED_STARTS_MS: [u64; 13] = [
    0, 15_856, 189_881, 433_470, 636_528, 1_007_676, 1_205_951, 1_400_151, 1_731_166, 1_859_221, 2_069_919, 2_345_470,
    2_999_433,
];

use common::SEED_TITLES;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The seed's chapters, read from its show notes, with the audio's duration (so the last
/// chapter has an end, which WebVTT needs).
fn seed() -> Chapters {
    let text = std::fs::read_to_string(root().join(SEED)).unwrap();
    let body = text.splitn(3, "+++").nth(2).unwrap();
    let chapters = Format::Notes.read(body).into_chapters().unwrap();
    let duration = podmark::probe::probe_path(root().join(SEED_AUDIO)).unwrap().duration;
    let chapters = chapters.with_duration(duration).unwrap();
    let starts: Vec<u64> = chapters.iter().map(|c| c.start.as_millis()).collect();
    assert_eq!(starts, SEED_STARTS_MS, "the seed's show notes changed");
    chapters
}

/// Writes the seed in `format` to `dir/name` and returns the path.
fn write_seed(format: Format, dir: &Path, name: &str) -> PathBuf {
    let options = WriteOptions {
        title: Some("The Eigencast 020".into()),
        podcast_name: Some("The Eigencast".into()),
        author: Some("Justin".into()),
        file_name: Some("episode.mp3".into()),
    };
    let text = format.write(&seed(), &options).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn titles() -> Vec<String> {
    SEED_TITLES.iter().map(|t| (*t).to_owned()).collect()
}

/// The seed's starts rounded to CUE frames (1/75 s), in frames.
fn seed_frames() -> Vec<u64> {
    SEED_STARTS_MS.iter().map(|ms| (ms * 75 + 500) / 1000).collect()
}

#[test]
fn ffprobe_reads_the_ffmetadata_chapters_ffmpeg_muxed() {
    if !common::require_tool("ffmpeg") || !common::require_tool("ffprobe") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let meta = write_seed(Format::Ffmetadata, tmp.path(), "chapters.ffmetadata.txt");
    let muxed = tmp.path().join("muxed.mka");
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(root().join(SEED_AUDIO))
        .arg("-i")
        .arg(&meta)
        .args(["-map", "0:a", "-map_chapters", "1", "-c", "copy"])
        .arg(&muxed));
    let out = run(Command::new("ffprobe").args(["-v", "error", "-of", "json", "-show_chapters"]).arg(&muxed));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let chapters = v["chapters"].as_array().unwrap();
    // Matroska keeps nanoseconds: time_base is 1/1000000000, so start / 1e6 is exact milliseconds.
    let starts: Vec<u64> = chapters
        .iter()
        .map(|c| {
            assert_eq!(c["time_base"], "1/1000000000");
            c["start"].as_u64().unwrap() / 1_000_000
        })
        .collect();
    let names: Vec<String> = chapters.iter().map(|c| c["tags"]["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(starts, SEED_STARTS_MS);
    assert_eq!(names, titles());
}

#[test]
fn webvtt_py_reads_the_webvtt_cues() {
    let Some(py) = common::python_with(&["webvtt"]) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let vtt = write_seed(Format::Vtt, tmp.path(), "chapters.vtt");
    let out = run(Command::new(py).arg(root().join("tests/clients/read_chapters.py")).arg("vtt").arg(&vtt));
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let starts: Vec<u64> = v.iter().map(|c| c["start_ms"].as_u64().unwrap()).collect();
    let names: Vec<String> = v.iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(starts, SEED_STARTS_MS);
    assert_eq!(names, titles());
}

/// `mm:ss.ff` / `mm:ss:ff` (cuetools and CUE) to frames.
fn msf_to_frames(s: &str) -> u64 {
    let parts: Vec<u64> = s.split([':', '.']).map(|p| p.parse().unwrap()).collect();
    match parts.as_slice() {
        [m, s, f] => (m * 60 + s) * 75 + f,
        [m, s] => (m * 60 + s) * 75,
        _ => panic!("not mm:ss.ff: {s:?}"),
    }
}

#[test]
fn cuetools_read_the_cue_sheet() {
    if !common::require_tool("cuebreakpoints") || !common::require_tool("cueprint") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cue = write_seed(Format::Cue, tmp.path(), "chapters.cue");
    // cuebreakpoints prints the start of every track after the first (a split point) as mm:ss.ff.
    let breaks = run(Command::new("cuebreakpoints").arg(&cue));
    let mut frames = vec![0];
    frames.extend(breaks.lines().map(msf_to_frames));
    assert_eq!(frames, seed_frames(), "cuebreakpoints printed:\n{breaks}");
    // Each frame is within half a frame (6.67 ms) of the seed's millisecond.
    for (f, ms) in frames.iter().zip(SEED_STARTS_MS) {
        assert!((f * 1000).abs_diff(ms * 75) <= 75 * 1000 / 150 + 1, "frame {f} vs {ms} ms");
    }
    let printed = run(Command::new("cueprint").args(["-d", "%N\n", "-t", "%n\t%t\n"]).arg(&cue));
    let mut lines = printed.lines();
    assert_eq!(lines.next(), Some("13"), "cueprint printed:\n{printed}");
    let tracks: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, t) = l.split_once('\t').unwrap();
            (n.to_owned(), t.to_owned())
        })
        .collect();
    let numbers: Vec<String> = (1..=13).map(|n| n.to_string()).collect();
    assert_eq!(tracks.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), numbers);
    assert_eq!(tracks.into_iter().map(|(_, t)| t).collect::<Vec<_>>(), titles());
}

#[test]
fn mkvmerge_reads_the_cue_sheet_and_its_ogm_text_matches_podmarks_reader() {
    if !common::require_tool("mkvmerge") || !common::require_tool("mkvextract") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cue = write_seed(Format::Cue, tmp.path(), "chapters.cue");
    let mka = tmp.path().join("chapters.mka");
    run(Command::new("mkvmerge")
        .args(["-q", "--cue-chapter-name-format", "%t", "-o"])
        .arg(&mka)
        .arg("--chapters")
        .arg(&cue)
        .arg(root().join(SEED_AUDIO)));
    // mkvextract prints the chapters in the OGM "simple" style: CHAPTERnn=HH:MM:SS.mmm, CHAPTERnnNAME=…
    let ogm = run(Command::new("mkvextract").arg(&mka).args(["chapters", "--simple", "-"]));
    let mut starts = Vec::new();
    let mut names = Vec::new();
    for line in ogm.lines() {
        let (key, value) = line.split_once('=').unwrap();
        if key.ends_with("NAME") {
            names.push(value.to_owned());
        } else {
            let t = Timestamp::parse(value).unwrap();
            starts.push(t.as_nanos());
        }
    }
    // mkvmerge converts CUE frames to nanoseconds and prints them to the millisecond: each start
    // is the seed's frame, shown in whole milliseconds (truncated, as mkvextract does).
    let expected: Vec<u64> = seed_frames().iter().map(|f| f * 1_000_000_000 / 75 / 1_000_000 * 1_000_000).collect();
    assert_eq!(starts, expected, "mkvextract printed:\n{ogm}");
    assert_eq!(names, titles());
    // podmark's text reader reads mkvmerge's OGM text as the same chapters.
    let back = Format::detect(&ogm).read(&ogm).into_chapters().unwrap();
    assert_eq!(back.iter().map(|c| c.start.as_nanos()).collect::<Vec<_>>(), expected);
    assert_eq!(back.iter().map(|c| c.title.clone()).collect::<Vec<_>>(), titles());
}

#[test]
fn json_chapters_validate_against_the_schema_from_the_spec() {
    let Some(py) = common::python_with(&["jsonschema"]) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let json = write_seed(Format::Json, tmp.path(), "chapters.json");
    let schema = root().join("tests/fixtures/schema/json-chapters-1.2.schema.json");
    let out =
        run(Command::new(&py).arg(root().join("tests/clients/read_chapters.py")).arg("json").arg(&schema).arg(&json));
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let starts: Vec<u64> = v.iter().map(|c| c["start_ms"].as_u64().unwrap()).collect();
    let names: Vec<String> = v.iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(starts, SEED_STARTS_MS);
    assert_eq!(names, titles());

    // The schema accepts the shape of the spec's exampleComplex.json (hidden chapters without a
    // title, locations, waypoints).
    let complex = root().join("tests/fixtures/chapters/complex-untitled-hidden.json");
    run(Command::new(&py).arg(root().join("tests/clients/read_chapters.py")).arg("json").arg(&schema).arg(&complex));

    // The schema is not a rubber stamp: it rejects a chapter without startTime and a string time.
    for bad in
        [r#"{"version":"1.2.0","chapters":[{"title":"x"}]}"#, r#"{"version":"1.2.0","chapters":[{"startTime":"0"}]}"#]
    {
        let p = tmp.path().join("bad.json");
        std::fs::write(&p, bad).unwrap();
        let out = Command::new(&py)
            .arg(root().join("tests/clients/read_chapters.py"))
            .arg("json")
            .arg(&schema)
            .arg(&p)
            .output()
            .unwrap();
        assert!(!out.status.success(), "the schema accepted {bad}");
    }
}

/// Runs `xmllint --xpath EXPR FILE` and returns its output.
fn xpath(file: &Path, expr: &str) -> String {
    run(Command::new("xmllint").args(["--noout", "--nonet"]).arg(file)); // well-formed first
    run(Command::new("xmllint").args(["--nonet", "--xpath", expr]).arg(file)).trim_end_matches('\n').to_owned()
}

/// `xmllint --xpath 'string(…)'` one value per chapter, in document order.
fn psc_values(file: &Path, scope: &str) -> (Vec<u64>, Vec<String>) {
    let ns = "namespace-uri()='http://podlove.org/simple-chapters'";
    let count: usize =
        xpath(file, &format!("count({scope}//*[local-name()='chapter' and {ns}])")).trim().parse().unwrap();
    let mut starts = Vec::new();
    let mut names = Vec::new();
    for i in 1..=count {
        let el = format!("({scope}//*[local-name()='chapter' and {ns}])[{i}]");
        starts.push(Timestamp::parse(xpath(file, &format!("string({el}/@start)")).trim()).unwrap().as_millis());
        names.push(xpath(file, &format!("string({el}/@title)")));
    }
    (starts, names)
}

#[test]
fn xmllint_reads_the_psc_file_in_its_namespace() {
    if !common::require_tool("xmllint") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let psc = write_seed(Format::Psc, tmp.path(), "chapters.psc.xml");
    let root_ns = xpath(&psc, "namespace-uri(/*)");
    assert_eq!(root_ns, "http://podlove.org/simple-chapters");
    assert_eq!(xpath(&psc, "string(/*/@version)"), "1.2");
    let (starts, names) = psc_values(&psc, "");
    assert_eq!(starts, SEED_STARTS_MS);
    assert_eq!(names, titles());
}

#[test]
fn xmllint_reads_the_built_feed_its_namespaces_and_the_inline_psc() {
    if !common::require_tool("xmllint") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("episodes");
    common::copy_dir(&root().join("episodes"), &dir);
    podmark::build::build(&podmark::build::BuildOptions::new(&dir, tmp.path().join("feed")), &mut |_, _, _| {})
        .unwrap();
    let feed = tmp.path().join("feed/feed.xml");
    // Every prefix resolves to its namespace (xmllint --noout fails on an undeclared prefix).
    for (prefix, uri) in [
        ("itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
        ("podcast", "https://podcastindex.org/namespace/1.0"),
        ("atom", "http://www.w3.org/2005/Atom"),
        ("psc", "http://podlove.org/simple-chapters"),
    ] {
        let bad = xpath(&feed, &format!("count(//*[starts-with(name(), '{prefix}:') and namespace-uri() != '{uri}'])"));
        assert_eq!(bad, "0", "elements with prefix {prefix}: outside {uri}");
        let good = xpath(&feed, &format!("count(//*[namespace-uri() = '{uri}'])"));
        assert_ne!(good, "0", "no element in {uri}");
    }
    let chapters_url = xpath(
        &feed,
        "string(//item/*[local-name()='chapters' and namespace-uri()='https://podcastindex.org/namespace/1.0']/@type)",
    );
    assert_eq!(chapters_url, "application/json+chapters");
    let (starts, names) = psc_values(&feed, "//item");
    assert_eq!(starts, SEED_STARTS_MS);
    assert_eq!(names, titles());
}
