//! The built sample podcast, read by real podcast clients: Python feedparser, gPodder's
//! podcastparser and the Podcast Index's podcast-partytime (npm). Each must see the episode with
//! its exact enclosure length and type, its duration, its GUID and its 13 chapters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use podmark::build::{BuildOptions, BuildReport, build};

fn build_sample(out: &Path) -> BuildReport {
    let dir = out.join("episodes");
    common::copy_dir(Path::new("episodes"), &dir);
    build(&BuildOptions::new(&dir, out.join("feed")), &mut |_, _, _| {}).unwrap()
}

const SEED_STARTS_MS: [u64; 13] = [
    0, 15_856, 189_881, 433_470, 636_528, 1_007_676, 1_205_951, 1_400_151, 1_731_166, 1_859_221, 2_069_919, 2_345_470,
    2_999_433,
];

fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{:?} failed: {}", cmd, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn feed_path(tmp: &Path) -> PathBuf {
    tmp.join("feed/feed.xml")
}

#[test]
fn feedparser_and_podcastparser_read_the_episode_and_chapters() {
    let Some(py) = common::python_with(&["feedparser", "podcastparser"]) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let report = build_sample(tmp.path());
    let ep = &report.episodes[0];
    let v = run_json(Command::new(py).arg("tests/clients/read_feed.py").arg(feed_path(tmp.path())));

    let fp = &v["feedparser"]["items"][0];
    assert_eq!(fp["title"], ep.title);
    assert_eq!(fp["guid"], ep.guid.as_str());
    assert_eq!(fp["enclosures"][0]["length"], ep.audio_bytes);
    assert_eq!(fp["enclosures"][0]["type"], "audio/mpeg");
    assert_eq!(fp["duration"], ep.duration.as_secs_rounded().to_string());
    let starts: Vec<u64> =
        fp["psc_chapters"].as_array().unwrap().iter().map(|c| c["start_ms"].as_u64().unwrap()).collect();
    assert_eq!(starts, SEED_STARTS_MS, "feedparser keeps PSC milliseconds");
    assert_eq!(fp["psc_chapters"][4]["title"], "Containers Aren\u{2019}t New");

    let pp = &v["podcastparser"]["items"][0];
    assert_eq!(pp["title"], ep.title);
    assert_eq!(pp["guid"], ep.guid.as_str());
    assert_eq!(pp["enclosures"][0]["length"], ep.audio_bytes);
    assert_eq!(pp["total_time"], ep.duration.as_secs_rounded());
    let chapters = pp["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 13);
    // podcastparser truncates PSC starts to whole seconds.
    let secs: Vec<u64> = chapters.iter().map(|c| c["start"].as_u64().unwrap()).collect();
    assert_eq!(secs, SEED_STARTS_MS.map(|ms| ms / 1000));
    assert_eq!(chapters[12]["title"], "Outtakes");
}

#[test]
fn partytime_reads_podcasting20_tags() {
    if common::node_package("podcast-partytime").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let report = build_sample(tmp.path());
    let ep = &report.episodes[0];
    let v = run_json(Command::new("node").arg("tests/clients/partytime.js").arg(feed_path(tmp.path())));
    assert_eq!(v["locked"], true);
    assert_eq!(v["guid"], podmark::feed::guid::podcast_guid("https://eigencast.example.com/feed.xml").to_string());
    let item = &v["items"][0];
    assert_eq!(item["guid"], ep.guid.as_str());
    assert_eq!(item["duration"], ep.duration.as_secs_rounded());
    assert_eq!(item["enclosure"]["length"], ep.audio_bytes);
    assert_eq!(item["chapters"]["type"], "application/json+chapters");
    let url = item["chapters"]["url"].as_str().unwrap();
    let name = url.rsplit('/').next().unwrap();
    // The JSON file the feed points at exists and holds the 13 chapters, the last ending at the audio's end.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("feed/chapters").join(name)).unwrap()).unwrap();
    let chapters = json["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 13);
    let end_ms = (chapters[12]["endTime"].as_f64().unwrap() * 1000.0).round();
    assert_eq!(end_ms, ep.duration.as_millis() as f64, "the last chapter ends at the exact audio duration");
    let support = v["pc20support"].to_string();
    for tag in ["chapters", "locked", "guid", "season", "episode"] {
        assert!(support.contains(tag), "partytime did not recognise podcast:{tag}: {support}");
    }
}
