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

    // partytime 5 reads neither podcast:image (it reads the older podcast:images) nor
    // podcast:updateFrequency: feedparser keeps their attributes.
    let ch = &v["feedparser"]["podcast"];
    assert_eq!(ch["podcast_updatefrequency"]["rrule"], "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE");
    assert_eq!(ch["podcast_image"]["href"], "https://eigencast.example.com/cover.png");
    assert_eq!(ch["podcast_image"]["alt"], "The Eigencast logo");
    assert_eq!(ch["podcast_image"]["aspect-ratio"], "1/1");
    assert_eq!(ch["podcast_image"]["width"], "1400");
    assert_eq!(ch["podcast_image"]["purpose"], "artwork");

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
    for tag in ["chapters", "locked", "guid"] {
        assert!(support.contains(tag), "partytime did not recognise podcast:{tag}: {support}");
    }
    // The numbers are written once, in the iTunes namespace (a whole `podcast:episode` or
    // `podcast:season` would repeat them), and partytime reads them there; a full episode has no
    // `itunes:episodeType` and partytime reports none.
    assert_eq!((&item["itunesEpisode"], &item["itunesSeason"]), (&20.into(), &1.into()));
    assert!(item["episode"].is_null() && item["season"].is_null(), "{item}");
    assert!(item["itunesEpisodeType"].is_null(), "{item}");
}

/// A feed whose chapters start at zero, on whole seconds, with milliseconds, at and past an hour:
/// the short PSC starts (`00:02`, `59:59.999`, `01:00:00`) are read to the same millisecond by
/// feedparser and to the same second by podcastparser.
#[test]
fn feedparser_and_podcastparser_read_the_short_psc_starts_exactly() {
    use podmark::feed::{Channel, Enclosure, Feed, Item};
    use podmark::{Chapter, Chapters, Timestamp};
    let Some(py) = common::python_with(&["feedparser", "podcastparser"]) else { return };
    let starts_ms: [u64; 7] = [0, 2_000, 1_400_151, 3_599_999, 3_600_000, 3_723_500, 36_000_001];
    let chapters =
        starts_ms.iter().map(|&ms| Chapter::new(Timestamp::from_millis(ms).unwrap(), format!("At {ms}"))).collect();
    let category = podmark::sources::show::Category::new("Technology", None).unwrap();
    let channel = Channel::new("S", "https://e.example/", "D", "en", "https://e.example/feed.xml", category, "A");
    let date = chrono::DateTime::parse_from_rfc3339("2024-01-01T10:00:00+00:00").unwrap();
    let audio = Enclosure { url: "https://e.example/a.mp3".into(), length: 10, mime: "audio/mpeg".into() };
    let mut item = Item::new("E", "g", date, audio, 40_000);
    item.chapters = Chapters::new(chapters).unwrap();
    let xml = podmark::feed::write(&Feed { channel, items: vec![item] }).unwrap();
    for short in [r#"start="00:00""#, r#"start="00:02""#, r#"start="23:20.151""#, r#"start="01:00:00""#] {
        assert!(xml.contains(short), "{short} in {xml}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("feed.xml");
    std::fs::write(&path, xml).unwrap();
    let v = run_json(Command::new(py).arg("tests/clients/read_feed.py").arg(&path));
    let fp: Vec<u64> = v["feedparser"]["items"][0]["psc_chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["start_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(fp, starts_ms, "feedparser reads every start to the millisecond");
    let pp: Vec<u64> = v["podcastparser"]["items"][0]["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["start"].as_u64().unwrap())
        .collect();
    assert_eq!(pp, starts_ms.map(|ms| ms / 1000), "podcastparser reads whole seconds");
}

/// Runs partytime on the built feed under `tmp`, or `None` (after a notice) when it is missing.
fn partytime(tmp: &Path) -> Option<serde_json::Value> {
    if !common::require_tool("node") {
        return None;
    }
    if !Path::new("tests/clients/node_modules/podcast-partytime").is_dir() {
        assert!(
            std::env::var("PODMARK_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "podcast-partytime missing: run `npm ci --prefix tests/clients`"
        );
        eprintln!("skipped: podcast-partytime not installed (npm ci --prefix tests/clients)");
        return None;
    }
    Some(run_json(Command::new("node").arg("tests/clients/partytime.js").arg(feed_path(tmp))))
}

#[test]
fn partytime_reads_every_new_podcasting20_tag_of_the_sample() {
    let tmp = tempfile::tempdir().unwrap();
    build_sample(tmp.path());
    let Some(v) = partytime(tmp.path()) else { return };
    let support = v["pc20support"].to_string();
    for tag in [
        "funding",
        "soundbite",
        "person",
        "location",
        "trailer",
        "license",
        "value",
        "images",
        "socialInteract",
        "txt",
        "podroll",
        "publisher",
    ] {
        assert!(support.contains(&format!("\"{tag}\"")), "partytime did not recognise podcast:{tag}: {support}");
    }
    // Channel.
    assert_eq!(
        v["funding"],
        serde_json::json!([{"message": "Support The Eigencast", "url": "https://eigencast.example.com/support"}])
    );
    assert_eq!(
        v["people"],
        serde_json::json!([{"name": "Justin Warren", "role": "Host", "group": "Cast",
            "img": "https://eigencast.example.com/justin.jpg", "href": "https://eigencast.example.com/about"}])
    );
    assert_eq!(
        v["location"],
        serde_json::json!({"name": "Melbourne, Australia", "osm": "R4246124", "geo": "geo:-37.8136,144.9631"})
    );
    assert_eq!(
        v["trailers"],
        serde_json::json!([{"title": "Welcome to The Eigencast", "url": "https://eigencast.example.com/trailer.mp3",
            "pubdate": "2016-01-04T23:00:00.000Z", "type": "audio/mpeg", "length": 498_723, "season": 1}])
    );
    assert_eq!(
        v["license"],
        serde_json::json!({"identifier": "cc-by-4.0", "url": "https://creativecommons.org/licenses/by/4.0/"})
    );
    let value = &v["value"];
    assert_eq!((value["type"].as_str(), value["method"].as_str()), (Some("lightning"), Some("keysend")));
    assert_eq!(value["suggested"].as_f64(), Some(0.000_000_05));
    assert_eq!(
        value["recipients"],
        serde_json::json!([
            {"name": "Justin Warren", "type": "node", "address": "02d5c1bf8b940dc9cadca86d1b0a3c37fbe39cee4c7e839e33bef9174531d27f52", "split": 95, "fee": false},
            {"name": "Podcast Index", "type": "node", "address": "03ae9f91a0cb8ff43840e3c322c4c61f019d8c1c3cea15a25cfc425ac605e61a4a", "split": 5, "fee": true}
        ])
    );
    assert_eq!(
        v["images"][0]["parsed"],
        serde_json::json!({"url": "https://eigencast.example.com/cover.png", "width": 1400})
    );
    assert_eq!(v["txt"], serde_json::json!([{"value": "S6lpp-7ZCn8-dZfGc-OoyaG", "purpose": "verify"}]));
    assert_eq!(
        v["podroll"],
        serde_json::json!([{"feedGuid": "917393e3-1b1e-5cef-ace4-edaa54e1f810", "feedUrl": "https://mp3s.nashownotes.com/pc20rss.xml"}])
    );
    assert_eq!(
        v["publisher"],
        serde_json::json!({"feedGuid": "003af0a0-6a45-55cf-b765-68e3d349551a", "feedUrl": "https://pivotnine.example.com/publisher.xml"})
    );
    // Item: its people replace the show's.
    let item = &v["items"][0];
    assert_eq!(
        item["soundbites"],
        serde_json::json!([{"duration": 60, "startTime": 1859.221, "title": "Germans and car analogies"}])
    );
    assert_eq!(
        item["people"],
        serde_json::json!([
            {"name": "Justin Warren", "role": "Host", "group": "Cast", "href": "https://eigencast.example.com/about"},
            {"name": "Lars Herrmann", "role": "Guest", "group": "Cast"}
        ])
    );
    assert_eq!(item["location"], serde_json::json!({"name": "Red Hat, Raleigh", "geo": "geo:35.7746,-78.6404"}));
    assert_eq!(
        item["social"],
        serde_json::json!([{"platform": "activitypub", "id": "@eigencast@social.example.com",
            "url": "https://social.example.com/@eigencast/20", "priority": 1, "profileUrl": "https://social.example.com/@eigencast"}])
    );
    assert_eq!(item["txt"], serde_json::json!([{"value": "2016-09-14T09:00:00+10:00", "purpose": "release"}]));
}

/// A one-episode show: an MP3 and an Opus rendition of it listed as `podcast:alternateEnclosure`,
/// plus tags the sample does not use (item funding, license and image; channel block and a
/// disabled socialInteract, which partytime 5 reads only on items), built into `<tmp>/feed`.
fn build_alternate_show(tmp: &Path) {
    let episodes = tmp.join("episodes");
    let ep = episodes.join("001-a");
    std::fs::create_dir_all(&ep).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://t.example/\"\nimage = \"cover.png\"\n\
         [category]\nname = \"Technology\"\n[owner]\nname = \"A\"\nemail = \"a@t.example\"\n\
         [[podcast.block]]\nid = \"google\"\n[[podcast.social_interact]]\nprotocol = \"disabled\"\n",
    )
    .unwrap();
    std::fs::copy("episodes/cover.png", episodes.join("cover.png")).unwrap();
    std::fs::copy(common::fixture("audio/mp3-cbr-44k-stereo-lame.mp3"), ep.join("episode.mp3")).unwrap();
    std::fs::copy(common::fixture("audio/opus-48k-stereo-chapters.opus"), ep.join("episode.opus")).unwrap();
    std::fs::write(
        ep.join("episode.md"),
        "+++\ntitle = \"A\"\ndate = 2024-01-01T10:00:00+00:00\naudio = \"episode.mp3\"\n\
         [[podcast.alternate_enclosure]]\nfile = \"episode.opus\"\ntitle = \"Opus\"\ncodecs = \"opus\"\nlang = \"en\"\n\
         [[podcast.funding]]\nurl = \"https://t.example/give\"\ntext = \"Give\"\n\
         [podcast.license]\nname = \"cc0-1.0\"\n\
         [[podcast.image]]\nhref = \"https://t.example/ep.png\"\nwidth = 1400\n\
         +++\nNotes.\n",
    )
    .unwrap();
    build(&BuildOptions::new(&episodes, tmp.join("feed")), &mut |_, _, _| {}).unwrap();
}

#[test]
fn partytime_reads_an_alternate_enclosure_with_its_probed_length_bitrate_and_sha384() {
    let tmp = tempfile::tempdir().unwrap();
    build_alternate_show(tmp.path());
    let published = tmp.path().join("feed/audio/001-a-alt1.opus");
    let bytes = std::fs::read(&published).unwrap();
    assert_eq!(bytes, std::fs::read(common::fixture("audio/opus-48k-stereo-chapters.opus")).unwrap());
    let info = podmark::probe::probe_path(&published).unwrap();
    let Some(v) = partytime(tmp.path()) else { return };
    let item = &v["items"][0];
    let alt = &item["alternateEnclosures"][0];
    assert_eq!(alt["type"], "audio/opus");
    assert_eq!(alt["length"], bytes.len());
    assert_eq!(alt["bitrate"].as_f64(), Some(f64::from(info.bitrate)));
    assert_eq!(
        (alt["title"].as_str(), alt["codecs"].as_str(), alt["lang"].as_str()),
        (Some("Opus"), Some("opus"), Some("en"))
    );
    assert_eq!(alt["default"], false);
    assert_eq!(
        alt["source"],
        serde_json::json!([{"uri": "https://t.example/audio/001-a-alt1.opus", "contentType": "audio/opus"}])
    );
    // The SRI hash, computed by node's own crypto from the published file.
    let sri = Command::new("node")
        .args(["-e", "const c=require('crypto');process.stdout.write('sha384-'+c.createHash('sha384').update(require('fs').readFileSync(process.argv[1])).digest('base64'))"])
        .arg(&published)
        .output()
        .unwrap();
    assert_eq!(alt["integrity"], serde_json::json!({"type": "sri", "value": String::from_utf8(sri.stdout).unwrap()}));
    // The tags the sample does not use.
    // An SPDX identifier without url: partytime knows it and fills in the SPDX page.
    assert_eq!(
        item["license"],
        serde_json::json!({"identifier": "cc0-1.0", "url": "https://spdx.org/licenses/CC0-1.0.html"})
    );
    assert_eq!(item["images"][0]["parsed"], serde_json::json!({"url": "https://t.example/ep.png", "width": 1400}));
    assert_eq!(v["blockedPlatforms"]["google"], true, "{}", v["blockedPlatforms"]);
    // And podmark's own check finds nothing wrong with any of it.
    let diags = podmark::check::check_feed_text(&std::fs::read_to_string(feed_path(tmp.path())).unwrap());
    assert!(diags.iter().all(|d| !d.code.starts_with("podcast-")), "{diags:#?}");
}

#[test]
fn check_verifies_an_alternate_enclosures_file_length_and_sha384() {
    let tmp = tempfile::tempdir().unwrap();
    build_alternate_show(tmp.path());
    let feed = feed_path(tmp.path());
    let options = podmark::check::CheckOptions::default();
    let diags = podmark::check::check_feed_file(&feed, &options).unwrap();
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    // One byte changed in the published Opus file: same length, another hash.
    let published = tmp.path().join("feed/audio/001-a-alt1.opus");
    let mut bytes = std::fs::read(&published).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&published, &bytes).unwrap();
    let diags = podmark::check::check_feed_file(&feed, &options).unwrap();
    let bad: Vec<String> = diags.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert!(bad[0].contains("error: podcast:integrity \"sha384-"), "{bad:?}");
    assert!(bad[0].contains("does not match audio/001-a-alt1.opus, which hashes to \"sha384-"), "{bad:?}");
    // And a shorter file: the length too.
    std::fs::write(&published, &bytes[..10]).unwrap();
    let diags = podmark::check::check_feed_file(&feed, &options).unwrap();
    assert!(
        diags.iter().any(|d| d.message.contains("alternateEnclosure length") && d.message.contains(": 10 bytes")),
        "{diags:#?}"
    );
}
