//! `podmark import`: feeds shaped like other hosts' served on 127.0.0.1, imported, built again and
//! read back with feedparser and podcastparser; paging, redirects, `itunes:new-feed-url`,
//! `--download` with a dropped connection, `--update`, and bad inputs that write nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use assert_cmd::cargo::CommandCargoExt;

/// What the test server answers for one path.
#[derive(Clone)]
enum Route {
    Body {
        status: u16,
        kind: &'static str,
        bytes: Vec<u8>,
    },
    Redirect(String),
    /// The body, but the first request gets only `cut` bytes before the connection closes.
    DropOnce {
        bytes: Vec<u8>,
        cut: usize,
        dropped: bool,
    },
}

/// Requests seen: path and Range header.
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

#[derive(Clone, Default)]
struct Server {
    base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    /// Every request: path and Range header.
    log: Log,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server { base: format!("http://{}", listener.local_addr().unwrap()), ..Server::default() };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.answer(stream));
            }
        });
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    fn feed(&self, path: &str, xml: &str) {
        let xml = xml.replace("{BASE}", &self.base);
        self.set(path, Route::Body { status: 200, kind: "application/rss+xml", bytes: xml.into_bytes() });
    }

    fn answer(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut first = String::new();
        if reader.read_line(&mut first).is_err() {
            return;
        }
        let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut range = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("range")
            {
                range = Some(v.trim().to_owned());
            }
        }
        self.log.lock().unwrap().push((path.clone(), range.clone()));
        let route = {
            let mut routes = self.routes.lock().unwrap();
            let r = routes.get(&path).cloned();
            if let Some(Route::DropOnce { bytes, cut, dropped: false }) = &r {
                routes.insert(path.clone(), Route::DropOnce { bytes: bytes.clone(), cut: *cut, dropped: true });
            }
            r
        };
        let mut out = stream;
        let head = |status: &str, extra: &str, len: usize| {
            format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {len}\r\nConnection: close\r\n\r\n")
        };
        let _ = match route {
            None => out.write_all(head("404 Not Found", "", 0).as_bytes()),
            Some(Route::Redirect(to)) => {
                out.write_all(head("301 Moved Permanently", &format!("Location: {to}\r\n"), 0).as_bytes())
            }
            Some(Route::Body { status, kind, bytes }) => {
                let status = match status {
                    200 => "200 OK",
                    500 => "500 Internal Server Error",
                    _ => "404 Not Found",
                };
                out.write_all(head(status, &format!("Content-Type: {kind}\r\n"), bytes.len()).as_bytes())
                    .and_then(|()| out.write_all(&bytes))
            }
            Some(Route::DropOnce { bytes, cut, dropped }) => {
                let from: usize = range
                    .as_deref()
                    .and_then(|r| r.strip_prefix("bytes="))
                    .and_then(|r| r.trim_end_matches('-').parse().ok())
                    .unwrap_or(0);
                let body = &bytes[from.min(bytes.len())..];
                let status = if from > 0 { "206 Partial Content" } else { "200 OK" };
                let extra = if from > 0 {
                    format!(
                        "Content-Range: bytes {from}-{}/{}\r\nContent-Type: audio/mpeg\r\n",
                        bytes.len() - 1,
                        bytes.len()
                    )
                } else {
                    "Content-Type: audio/mpeg\r\n".to_owned()
                };
                let send = if dropped { body } else { &body[..cut.min(body.len())] };
                out.write_all(head(status, &extra, body.len()).as_bytes()).and_then(|()| out.write_all(send))
            }
        };
        let _ = out.flush();
    }
}

fn podmark(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("podmark").unwrap().current_dir(dir).args(args).output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "podmark failed:\n{text}");
    text
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(common::fixture(&format!("import/{name}"))).unwrap()
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_owned(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Imports `path` from the server, builds, and compares source and built feed with both readers.
fn round_trip(server: &Server, path: &str, extra: &[&str]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let report = ok(&podmark(tmp.path(), &["import", &server.url(path), "--json"]));
    ok(&podmark(tmp.path(), &["build", "--quiet"]));
    let source = tmp.path().join("source.xml");
    let xml = server.routes.lock().unwrap().get(path).map(|r| match r {
        Route::Body { bytes, .. } => bytes.clone(),
        _ => Vec::new(),
    });
    std::fs::write(&source, xml.unwrap()).unwrap();
    let Some(py) = common::python_with(&["feedparser", "podcastparser"]) else { return (tmp, report) };
    let mut cmd = Command::new(py);
    cmd.arg("tests/clients/compare_feeds.py").arg(&source).arg(tmp.path().join("feed/feed.xml")).args(extra);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "feeds differ:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, report)
}

#[test]
fn a_libsyn_shaped_feed_round_trips_through_import_and_build() {
    let server = Server::start();
    server.feed("/libsyn.xml", &fixture("libsyn-style.xml"));
    let (tmp, report) = round_trip(&server, "/libsyn.xml", &["--rename-category", "Games & Hobbies=Leisure"]);
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(r["imported"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(r["dropped"][0]["code"], "no-enclosure", "{report}");
    let lock = std::fs::read_to_string(tmp.path().join("episodes/guids.lock")).unwrap();
    assert!(lock.contains("guid = \"a1b2c3d4-libsyn-0003\""), "{lock}");
    let md = std::fs::read_to_string(tmp.path().join("episodes/2020-03-03-compost-briefly/episode.md")).unwrap();
    assert!(md.contains("**start a heap**") && md.contains("[compost guide](https://example.org/compost)"), "{md}");
    assert!(md.contains("date = 2020-03-03T08:00:00+00:00"), "{md}");
    assert!(
        md.contains(
            "[enclosure]\nurl = \"https://traffic.libsyn.example/secure/gardenhour/compost.mp3?dest-id=12345\""
        ),
        "{md}"
    );
    let feed = std::fs::read_to_string(tmp.path().join("feed/feed.xml")).unwrap();
    assert!(feed.contains("<guid isPermaLink=\"false\">a1b2c3d4-libsyn-0003</guid>"), "{feed}");
    // A GUID without isPermaLink is a permalink in RSS: kept one, in guids.lock and in the feed.
    assert!(lock.contains("guid = \"https://gardenhour.example.com/trailer\"\ncheck = "), "{lock}");
    assert!(lock.contains("permalink = true"), "{lock}");
    assert!(feed.contains("<guid isPermaLink=\"true\">https://gardenhour.example.com/trailer</guid>"), "{feed}");
    assert!(feed.contains("<link>https://gardenhour.example.com/compost-briefly</link>"), "{feed}");
    // The remote-audio sources pass `check episodes/`, which checks the recorded URL.
    ok(&podmark(tmp.path(), &["check", "episodes"]));
    let md_path = tmp.path().join("episodes/2020-03-03-compost-briefly/episode.md");
    std::fs::write(&md_path, md.replace("url = \"https://traffic", "url = \"ftp://traffic")).unwrap();
    let out = podmark(tmp.path(), &["check", "episodes"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("enclosure url must be an absolute http(s) URL"), "{text}");
}

#[test]
fn an_anchor_shaped_feed_keeps_non_uuid_guids_and_drops_a_duplicate_guid() {
    let server = Server::start();
    server.feed("/anchor.xml", &fixture("anchor-style.xml"));
    let (tmp, report) = round_trip(&server, "/anchor.xml", &[]);
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(r["imported"].as_array().unwrap().len(), 2, "{report}");
    assert!(r["dropped"].as_array().unwrap().iter().any(|d| d["code"] == "guid-duplicate"), "{report}");
    let show = std::fs::read_to_string(tmp.path().join("episodes/podcast.toml")).unwrap();
    assert!(show.contains("guid = \"2d6e4a8c-5b1f-5e3a-9c7d-0f1e2d3c4b5a\""), "{show}");
    assert!(show.contains("[[podcast.funding]]") && show.contains("[[podcast.person]]"), "{show}");
    let feed = std::fs::read_to_string(tmp.path().join("feed/feed.xml")).unwrap();
    assert!(feed.contains("<podcast:guid>2d6e4a8c-5b1f-5e3a-9c7d-0f1e2d3c4b5a</podcast:guid>"), "{feed}");
    assert!(feed.contains(">spotify:episode:4kXc9Z</guid>"), "{feed}");
    assert!(feed.contains("Heinrich Olbers</podcast:person>"), "{feed}");
}

#[test]
fn a_buzzsprout_shaped_serial_feed_brings_its_chapters_and_transcript() {
    let server = Server::start();
    server.feed("/buzz.xml", &fixture("buzzsprout-style.xml"));
    let chapters = r#"{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},{"startTime":95.5,"title":"The postmark","url":"https://detective.example/postmark"}]}"#;
    server.set("/chapters/1001.json", Route::Body { status: 200, kind: "application/json", bytes: chapters.into() });
    server.set(
        "/transcripts/1001.vtt",
        Route::Body {
            status: 200,
            kind: "text/vtt",
            bytes: b"WEBVTT\n\n00:00.000 --> 00:02.000\nA letter.\n".to_vec(),
        },
    );
    let (tmp, report) = round_trip(&server, "/buzz.xml", &["--drop-category", "Mystery Theatre"]);
    assert!(report.contains("Mystery Theatre"), "{report}");
    let dir = tmp.path().join("episodes/2024-04-03-part-1-the-letter");
    assert!(dir.join("transcript.vtt").is_file());
    let md = std::fs::read_to_string(dir.join("episode.md")).unwrap();
    assert!(md.contains("- 00:01:35.500 [The postmark](https://detective.example/postmark)"), "{md}");
    let feed = std::fs::read_to_string(tmp.path().join("feed/feed.xml")).unwrap();
    assert!(feed.contains(r#"<psc:chapter start="12:05.500" title="Signal box"/>"#), "{feed}");
    assert!(feed.contains("transcripts/2024-04-03-part-1-the-letter.vtt"), "{feed}");
}

/// A show with `n` items on `pages` pages linked by `atom:link rel="next"`, audio at `/audio/<i>.mp3`.
fn generated(server: &Server, n: usize, pages: usize, audio_len: usize, chapters: bool) -> Vec<String> {
    let per = n.div_ceil(pages);
    let mut out = Vec::new();
    for p in 0..pages {
        let mut xml = String::from(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:psc="http://podlove.org/simple-chapters"><channel><title>Gen</title><description>d</description><language>en</language><itunes:author>A</itunes:author><itunes:category text="Technology"/>"#,
        );
        if p + 1 < pages {
            xml.push_str(&format!(r#"<atom:link rel="next" href="{}/page{}.xml"/>"#, server.base, p + 2));
        }
        for i in (p * per)..((p + 1) * per).min(n) {
            let day = 1 + i % 28;
            let month = 1 + (i / 28) % 12;
            xml.push_str(&format!(
                r#"<item><title>Episode {i}</title><guid isPermaLink="false">gen-{i}</guid><pubDate>{}</pubDate><enclosure url="{}/audio/{i}.mp3" length="{audio_len}" type="audio/mpeg"/><itunes:duration>1</itunes:duration><description>&lt;p&gt;Notes {i}&lt;/p&gt;</description>{}</item>"#,
                chrono_date(2000 + i / 336, month, day),
                server.base,
                if chapters { r#"<psc:chapters version="1.2"><psc:chapter start="0" title="Start"/><psc:chapter start="00:00:00.600" title="Later"/></psc:chapters>"# } else { "" }
            ));
        }
        xml.push_str("</channel></rss>");
        let path = if p == 0 { "/feed.xml".to_owned() } else { format!("/page{}.xml", p + 1) };
        server.feed(&path, &xml);
        out.push(path);
    }
    out
}

fn chrono_date(year: usize, month: usize, day: usize) -> String {
    const M: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{day:02} {} {year} 10:00:00 +0000", M[month - 1])
}

#[test]
fn a_feed_on_three_pages_imports_every_item() {
    let server = Server::start();
    generated(&server, 9, 3, 1000, false);
    let tmp = tempfile::tempdir().unwrap();
    let report = ok(&podmark(tmp.path(), &["import", &server.url("/feed.xml"), "--json"]));
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(r["pages"], 3, "{report}");
    assert_eq!(r["imported"].as_array().unwrap().len(), 9, "{report}");
}

#[test]
fn redirects_and_new_feed_url_are_followed_and_a_loop_is_an_error() {
    let server = Server::start();
    generated(&server, 2, 1, 1000, false);
    server.set("/old.xml", Route::Redirect(server.url("/moved.xml")));
    server.set("/moved.xml", Route::Redirect("/feed.xml".into()));
    let tmp = tempfile::tempdir().unwrap();
    let report = ok(&podmark(tmp.path(), &["import", &server.url("/old.xml"), "--json"]));
    assert!(report.contains(&format!("\"feed\": \"{}\"", server.url("/feed.xml"))), "{report}");
    // itunes:new-feed-url on the old host's feed.
    server.feed(
        "/host-a.xml",
        &format!(
            r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Old</title><itunes:new-feed-url>{}</itunes:new-feed-url></channel></rss>"#,
            server.url("/feed.xml")
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let report = ok(&podmark(tmp.path(), &["import", &server.url("/host-a.xml"), "--json"]));
    assert!(report.contains("new-feed-url"), "{report}");
    assert!(report.contains("\"title\": \"Episode 1\""), "{report}");
    server.set("/loop-a", Route::Redirect(server.url("/loop-b")));
    server.set("/loop-b", Route::Redirect(server.url("/loop-a")));
    let tmp = tempfile::tempdir().unwrap();
    let out = podmark(tmp.path(), &["import", &server.url("/loop-a")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("redirect loop"), "{out:?}");
    assert!(!tmp.path().join("episodes").exists());
}

#[test]
fn bad_inputs_are_clear_errors_and_write_nothing() {
    let server = Server::start();
    let html = b"<!DOCTYPE html><html><body>My podcast</body></html>".to_vec();
    server.set("/page", Route::Body { status: 200, kind: "text/html", bytes: html });
    server.set(
        "/bad.xml",
        Route::Body {
            status: 200,
            kind: "application/xml",
            bytes: b"<rss>\n<channel><title>x</channel></rss>".to_vec(),
        },
    );
    server.set("/500", Route::Body { status: 500, kind: "text/plain", bytes: b"oops".to_vec() });
    server.set(
        "/empty.xml",
        Route::Body {
            status: 200,
            kind: "application/xml",
            bytes: b"<rss version=\"2.0\"><channel><title>T</title></channel></rss>".to_vec(),
        },
    );
    let big = format!("<rss><channel><title>{}</title></channel></rss>", "x".repeat(33 << 20));
    server.set("/big.xml", Route::Body { status: 200, kind: "application/xml", bytes: big.into_bytes() });
    for (path, expect) in [
        ("/page", "HTML page, not a feed"),
        ("/bad.xml", "bad.xml:2:"),
        ("/500", "500"),
        ("/404", "404"),
        ("/empty.xml", "no episodes"),
        ("/big.xml", "larger than"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = podmark(tmp.path(), &["import", &server.url(path)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expect), "{path}: {err}");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "{path} wrote something");
    }
    // An existing episodes/ is refused without --update.
    generated(&server, 1, 1, 1000, false);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("episodes")).unwrap();
    std::fs::write(tmp.path().join("episodes/podcast.toml"), "x").unwrap();
    let out = podmark(tmp.path(), &["import", &server.url("/feed.xml")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--update"), "{out:?}");
}

#[test]
fn download_fetches_20_enclosures_in_parallel_resumes_a_dropped_one_and_builds_exact_durations() {
    let server = Server::start();
    let audio = std::fs::read(common::fixture("audio/mp3-cbr-44k-stereo-lame.mp3")).unwrap();
    generated(&server, 20, 1, audio.len(), true);
    for i in 0..20 {
        let cut = if i == 7 { 2000 } else { usize::MAX };
        server.set(&format!("/audio/{i}.mp3"), Route::DropOnce { bytes: audio.clone(), cut, dropped: i != 7 });
    }
    let tmp = tempfile::tempdir().unwrap();
    let report = ok(&podmark(tmp.path(), &["import", &server.url("/feed.xml"), "--download", "--jobs", "4", "--json"]));
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(r["downloaded"], 20, "{report}");
    let log = server.log.lock().unwrap().clone();
    assert!(log.iter().any(|(p, range)| p == "/audio/7.mp3" && range.as_deref() == Some("bytes=2000-")), "{log:?}");
    for (rel, bytes) in tree(&tmp.path().join("episodes")) {
        if rel.extension().is_some_and(|e| e == "mp3") {
            assert_eq!(bytes, audio, "{}", rel.display());
        }
    }
    ok(&podmark(tmp.path(), &["build", "--quiet"]));
    let feed = std::fs::read_to_string(tmp.path().join("feed/feed.xml")).unwrap();
    assert_eq!(feed.matches("<itunes:duration>1</itunes:duration>").count(), 20, "{feed}");
    assert_eq!(feed.matches(r#"<psc:chapter start="00:00.600" title="Later"/>"#).count(), 20);
    let built =
        std::fs::read(tmp.path().join("feed/audio").read_dir().unwrap().next().unwrap().unwrap().path()).unwrap();
    assert!(built.windows(4).any(|w| w == b"CHAP"), "chapters embedded in the built audio");
}

#[test]
fn update_after_one_new_item_adds_exactly_one_folder_and_touches_nothing_else() {
    let server = Server::start();
    generated(&server, 3, 1, 1000, false);
    let tmp = tempfile::tempdir().unwrap();
    ok(&podmark(tmp.path(), &["import", &server.url("/feed.xml")]));
    let episodes = tmp.path().join("episodes");
    // The user edits one episode.
    let edited = episodes.join("2000-01-01-episode-0/episode.md");
    let text = std::fs::read_to_string(&edited).unwrap() + "\nMy own words.\n";
    std::fs::write(&edited, text).unwrap();
    let before = tree(&episodes);
    generated(&server, 4, 1, 1000, false);
    let report = ok(&podmark(tmp.path(), &["import", &server.url("/feed.xml"), "--update", "--json"]));
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(r["imported"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(r["changed"].as_array().unwrap().len(), 1, "{report}");
    let after = tree(&episodes);
    let new: Vec<_> = after.iter().filter(|f| !before.contains(f)).map(|f| f.0.clone()).collect();
    assert_eq!(new, [PathBuf::from("2000-01-04-episode-3/episode.md"), PathBuf::from("guids.lock")], "{new:?}");
    let lock_before =
        String::from_utf8(before.iter().find(|f| f.0 == Path::new("guids.lock")).unwrap().1.clone()).unwrap();
    let lock_after = std::fs::read_to_string(episodes.join("guids.lock")).unwrap();
    assert!(lock_after.starts_with(lock_before.trim_end()), "old entries unchanged");
    ok(&podmark(tmp.path(), &["build", "--quiet"]));
}

#[test]
fn a_local_feed_file_imports_too() {
    let tmp = tempfile::tempdir().unwrap();
    let xml = fixture("libsyn-style.xml").replace("{BASE}", "https://example.com");
    std::fs::write(tmp.path().join("old.xml"), xml).unwrap();
    let out = ok(&podmark(tmp.path(), &["import", "old.xml"]));
    assert!(out.contains("imported 3 episodes"), "{out}");
    let mut buf = String::new();
    std::fs::File::open(tmp.path().join("episodes/podcast.toml")).unwrap().read_to_string(&mut buf).unwrap();
    assert!(buf.contains("[[more_categories]]\nname = \"Education\""), "{buf}");
}

/// The staging folder is renamed into place as `episodes/`: it and its files get the modes `mkdir`
/// and `cp` give (`0777 & !umask`, `0666 & !umask`), not a private temporary folder's.
#[cfg(unix)]
#[test]
fn an_imported_episodes_folder_gets_the_modes_mkdir_and_cp_give() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let xml = fixture("libsyn-style.xml").replace("{BASE}", "https://example.com");
    std::fs::write(tmp.path().join("old.xml"), xml).unwrap();
    ok(&podmark(tmp.path(), &["import", "old.xml"]));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    std::fs::create_dir(tmp.path().join("like-mkdir")).unwrap();
    std::fs::write(tmp.path().join("like-cp"), b"x").unwrap();
    let (dir_mode, file_mode) = (mode(&tmp.path().join("like-mkdir")), mode(&tmp.path().join("like-cp")));
    assert_eq!(mode(&tmp.path().join("episodes")), dir_mode);
    assert_eq!(mode(&tmp.path().join("episodes/podcast.toml")), file_mode);
    assert_eq!(mode(&tmp.path().join("episodes/guids.lock")), file_mode);
}
