//! `podmark check`: a freshly built feed is clean; each broken thing is reported at its line and
//! column with the message that names it, and the exit code is 1.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

/// Runs podmark; returns (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn episode(dir: &Path, slug: &str, n: u32, date: &str, audio: &str) {
    let ep = dir.join(slug);
    std::fs::create_dir_all(&ep).unwrap();
    std::fs::copy(common::fixture(&format!("audio/{audio}")), ep.join("episode.mp3")).unwrap();
    let notes = format!(
        "+++\ntitle = \"Episode {n}\"\nepisode = {n}\nseason = 1\ndate = {date}\nexplicit = false\naudio = \"episode.mp3\"\n+++\nAbout episode {n}.\n\n- 00:00:00.000 Intro\n"
    );
    std::fs::write(ep.join("episode.md"), notes).unwrap();
}

/// A two-episode show in `dir/episodes`, built into `dir/feed` (with `base_url` if given).
struct Sample {
    _tmp: tempfile::TempDir,
    episodes: PathBuf,
    feed_dir: PathBuf,
}

impl Sample {
    fn new(base_url: Option<&str>) -> Sample {
        let tmp = tempfile::tempdir().unwrap();
        let episodes = tmp.path().join("episodes");
        std::fs::create_dir_all(&episodes).unwrap();
        std::fs::copy(Path::new(ROOT).join("episodes/podcast.toml"), episodes.join("podcast.toml")).unwrap();
        std::fs::copy(Path::new(ROOT).join("episodes/cover.png"), episodes.join("cover.png")).unwrap();
        episode(&episodes, "001-first", 1, "2024-01-01T10:00:00Z", "mp3-cbr-44k-stereo-lame.mp3");
        episode(&episodes, "002-second", 2, "2024-01-08T10:00:00Z", "mp3-vbr-44k-stereo-xing.mp3");
        let feed_dir = tmp.path().join("feed");
        let mut cmd = podmark();
        cmd.args(["build", "--quiet", "--episodes"]).arg(&episodes).arg("--out").arg(&feed_dir);
        if let Some(u) = base_url {
            cmd.args(["--base-url", u]);
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 0, "build failed: {out}{err}");
        Sample { _tmp: tmp, episodes, feed_dir }
    }

    fn feed(&self) -> PathBuf {
        self.feed_dir.join("feed.xml")
    }

    fn xml(&self) -> String {
        std::fs::read_to_string(self.feed()).unwrap()
    }

    /// Replaces the first (or, with `nth`, the n-th) occurrence of `from` in feed.xml.
    fn edit(&self, from: &str, to: &str) {
        let xml = self.xml();
        assert!(xml.contains(from), "{from:?} not in the feed:\n{xml}");
        std::fs::write(self.feed(), xml.replacen(from, to, 1)).unwrap();
    }

    fn check(&self) -> (i32, String, String) {
        run(podmark().arg("check").arg(self.feed()).arg("--lock").arg(self.episodes.join("guids.lock")))
    }

    fn check_json(&self) -> serde_json::Value {
        let (_, out, err) = run(podmark()
            .arg("check")
            .arg(self.feed())
            .arg("--json")
            .arg("--lock")
            .arg(self.episodes.join("guids.lock")));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
    }

    /// `feed.xml:LINE:COL` of the first occurrence of `needle` (column in characters).
    fn at(&self, needle: &str) -> String {
        let xml = self.xml();
        let offset = xml.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the feed"));
        let before = &xml[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
        format!("{}:{line}:{col}", self.feed().display())
    }

    /// Asserts exit 1 and that stdout has `at: error: ` followed by `message` (a substring of the
    /// message) on one line.
    fn assert_error(&self, at: &str, message: &str) {
        let (code, out, err) = self.check();
        assert_eq!(code, 1, "{out}{err}");
        let prefix = format!("{at}: error: ");
        assert!(
            out.lines().any(|l| l.starts_with(&prefix) && l.contains(message)),
            "expected `{prefix}…{message}…` in:\n{out}{err}"
        );
    }
}

#[test]
fn a_freshly_built_feed_is_clean() {
    let s = Sample::new(None);
    let (code, out, err) = s.check();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with(": 0 errors, 0 warnings\n"), "{out}");
    let json = s.check_json();
    assert_eq!(json["errors"], 0);
    assert_eq!(json["files"][0]["diagnostics"].as_array().map(Vec::len), Some(0), "{json}");
}

#[test]
fn wrong_enclosure_length() {
    let s = Sample::new(None);
    let xml = s.xml();
    // The enclosure's length (the channel's podcast:trailer has one too).
    let enclosure = xml.find("<enclosure ").unwrap();
    let start = enclosure + xml[enclosure..].find("length=\"").unwrap() + "length=\"".len();
    let len: u64 = xml[start..].split('"').next().unwrap().parse().unwrap();
    s.edit(&format!("length=\"{len}\""), &format!("length=\"{}\"", len + 1));
    let at = s.at(&format!("{}\" type=", len + 1));
    s.assert_error(&at, &format!("enclosure length \"{}\" differs from the size of audio/", len + 1));
    s.assert_error(&at, &format!(": {len} bytes"));
}

#[test]
fn duplicate_guid() {
    let s = Sample::new(None);
    let xml = s.xml();
    let guids: Vec<&str> =
        xml.split("<guid isPermaLink=\"false\">").skip(1).map(|p| p.split('<').next().unwrap()).collect();
    assert_eq!(guids.len(), 2);
    let (first, second) = (guids[0].to_owned(), guids[1].to_owned());
    let first_line = s.at(&first).split(':').nth(1).unwrap().to_owned();
    s.edit(&format!(">{second}<"), &format!(">{first}<"));
    let xml = s.xml();
    let second_at = xml.match_indices(&first).nth(1).unwrap().0;
    let line = xml[..second_at].matches('\n').count() + 1;
    let col = xml[..second_at].rsplit('\n').next().unwrap().chars().count() + 1;
    s.assert_error(
        &format!("{}:{line}:{col}", s.feed().display()),
        &format!("guid \"{first}\" is also used by the item on line {first_line}"),
    );
    // The lock file knows the second episode's real GUID.
    s.assert_error(
        &format!("{}:{line}:{col}", s.feed().display()),
        &format!("differs from \"{second}\" locked for episode 001-first"),
    );
}

#[test]
fn bad_category() {
    let s = Sample::new(None);
    s.edit("text=\"Technology\"", "text=\"Tech\"");
    s.assert_error(
        &s.at("Tech\""),
        "itunes:category: \"Tech\" is not an Apple Podcasts category (did you mean: Technology?)",
    );
}

#[test]
fn explicit_yes_is_a_warning_and_maybe_an_error() {
    let s = Sample::new(None);
    s.edit("<itunes:explicit>false</itunes:explicit>", "<itunes:explicit>yes</itunes:explicit>");
    let (code, out, err) = s.check();
    assert_eq!(code, 0, "{out}{err}");
    let at = s.at("yes</itunes:explicit>");
    assert!(
        out.contains(&format!(
            "{at}: warning: itunes:explicit is \"yes\", a value of Apple's older spec; write \"true\" or \"false\""
        )),
        "{out}"
    );
    s.edit("<itunes:explicit>yes</itunes:explicit>", "<itunes:explicit>maybe</itunes:explicit>");
    s.assert_error(
        &s.at("maybe</itunes:explicit>"),
        "itunes:explicit is \"maybe\"; Apple accepts only \"true\" or \"false\"",
    );
}

#[test]
fn pub_date_not_rfc_2822() {
    let s = Sample::new(None);
    let xml = s.xml();
    let start = xml.find("<pubDate>").unwrap() + "<pubDate>".len();
    let date = xml[start..].split('<').next().unwrap().to_owned();
    s.edit(&date, "2024-01-08T10:00:00Z");
    s.assert_error(&s.at("2024-01-08T10:00:00Z"), "pubDate \"2024-01-08T10:00:00Z\": not an RFC 2822 date");
    // A wrong day of the week is caught too.
    let s = Sample::new(None);
    s.edit(&date, &date.replacen("Mon", "Tue", 1));
    s.assert_error(&s.at(&date.replacen("Mon", "Tue", 1)), "the date is a Mon, not a Tue");
}

#[test]
fn description_over_4000_bytes() {
    let s = Sample::new(None);
    let xml = s.xml();
    let start = xml.find("<description>").unwrap() + "<description>".len();
    let desc = xml[start..].split('<').next().unwrap().to_owned();
    // 4001 bytes: 2000 two-byte characters and one more byte.
    let long = format!("{}x", "é".repeat(2000));
    s.edit(&format!("<description>{desc}<"), &format!("<description>{long}<"));
    s.assert_error(&s.at(&long), "is 4001 bytes; Apple allows at most 4000");
}

#[test]
fn truncated_audio() {
    let s = Sample::new(None);
    let audio = s.feed_dir.join("audio/001-first.mp3");
    let len = std::fs::metadata(&audio).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&audio).unwrap();
    f.set_len(len - 1000).unwrap();
    s.assert_error(
        &s.at(&format!("{len}\" type=")),
        &format!("differs from the size of audio/001-first.mp3: {} bytes", len - 1000),
    );
}

#[test]
fn deleted_chapters_file() {
    let s = Sample::new(None);
    std::fs::remove_file(s.feed_dir.join("chapters/002-second.json")).unwrap();
    let url_at = s.xml().find("chapters/002-second.json").unwrap();
    let xml = s.xml();
    let value_start = xml[..url_at].rfind('"').unwrap() + 1;
    let at = s.at(&xml[value_start..url_at + 10]);
    s.assert_error(&at, "should be the file chapters/002-second.json");
}

#[test]
fn chapters_past_the_end_of_the_audio_or_unlike_psc() {
    let s = Sample::new(None);
    let path = s.feed_dir.join("chapters/001-first.json");
    let json = std::fs::read_to_string(&path).unwrap();
    let end = json.find("\"endTime\": ").unwrap();
    let value = json[end..].split([',', '\n']).next().unwrap().to_owned();
    std::fs::write(&path, json.replacen(&value, "\"endTime\": 9.5", 1)).unwrap();
    let at = s.at("https://eigencast.example.com/chapters/001-first.json");
    s.assert_error(&at, "chapters/001-first.json:");
    s.assert_error(&at, "after the end of the audio");
    std::fs::write(&path, json.replacen("\"title\": \"Intro\"", "\"title\": \"Outro\"", 1)).unwrap();
    let psc = s.xml().match_indices("<psc:chapters").nth(1).unwrap().0;
    let xml = s.xml();
    let line = xml[..psc].matches('\n').count() + 1;
    let col = xml[..psc].rsplit('\n').next().unwrap().chars().count() + 1;
    s.assert_error(
        &format!("{}:{line}:{col}", s.feed().display()),
        "psc:chapters has 00:00:00.000 \"Intro\" where chapters/001-first.json has 00:00:00.000 \"Outro\"",
    );
}

/// A valid PNG (stored deflate blocks): `width`×`height`, colour type 0 (grey) or 2 (RGB).
fn png(width: u32, height: u32, colour_type: u8) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let channels = if colour_type == 2 { 3 } else { 1 };
    let row = 1 + usize::try_from(width).unwrap() * channels;
    let rows = usize::try_from(height).unwrap();
    let raw: Vec<u8> = (0..rows * row).map(|i| if i % row == 0 { 0 } else { u8::try_from(i % 251).unwrap() }).collect();
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let n = u16::try_from(block.len()).unwrap();
        z.extend(n.to_le_bytes());
        z.extend((!n).to_le_bytes());
        z.extend(*block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, colour_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn the_png_writer_makes_images_a_decoder_accepts() {
    if !common::require_tool("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.png");
    std::fs::write(&p, png(3, 2, 2)).unwrap();
    let out = common::run_tool(
        "ffprobe",
        &["-v", "error", "-show_entries", "stream=width,height,pix_fmt", "-of", "csv=p=0", p.to_str().unwrap()],
    );
    assert_eq!(out.trim(), "3,2,rgb24");
}

#[test]
fn cover_too_small_or_greyscale() {
    let s = Sample::new(None);
    std::fs::write(s.feed_dir.join("cover.png"), png(500, 500, 2)).unwrap();
    let at = s.at("https://eigencast.example.com/cover.png");
    s.assert_error(&at, "artwork cover.png is 500×500 pixels; Apple requires 1400×1400 to 3000×3000");
    std::fs::write(s.feed_dir.join("cover.png"), png(1400, 1400, 0)).unwrap();
    s.assert_error(&at, "artwork cover.png is greyscale; Apple requires the RGB colour space");
    let (_, out, _) = s.check();
    assert_eq!(out.matches(": error: ").count(), 1, "{out}");
}

#[test]
fn three_problems_give_three_diagnostics() {
    let s = Sample::new(None);
    s.edit("<itunes:explicit>false</itunes:explicit>", "<itunes:explicit>nope</itunes:explicit>");
    s.edit("<language>en-au</language>", "<language>Australian English</language>");
    s.edit("<itunes:episode>2</itunes:episode>", "<itunes:episode>0</itunes:episode>");
    let json = s.check_json();
    assert_eq!(json["errors"], 3, "{json}");
    let diags = json["files"][0]["diagnostics"].as_array().unwrap();
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["language", "explicit", "number"], "in line order: {json}");
    let lines: Vec<u64> = diags.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    let want = |needle: &str| s.at(needle).split(':').nth(1).unwrap().parse::<u64>().unwrap();
    assert_eq!(lines, [want("Australian English"), want("nope</itunes:explicit>"), want("0</itunes:episode>")]);
    assert!(diags[0]["message"].as_str().unwrap().contains("\"Australian English\""));
}

#[test]
fn wrong_case_itunes_namespace() {
    let s = Sample::new(None);
    s.edit("http://www.itunes.com/dtds/podcast-1.0.dtd", "http://www.itunes.com/DTDs/podcast-1.0.dtd");
    s.assert_error(
        &s.at("http://www.itunes.com/DTDs"),
        "namespace xmlns:itunes is \"http://www.itunes.com/DTDs/podcast-1.0.dtd\"; it must be exactly",
    );
}

#[test]
fn malformed_xml_and_usage_errors() {
    let s = Sample::new(None);
    s.edit("</channel>", "");
    let (code, out, _) = s.check();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(": error: "), "{out}");
    let (code, _, err) = run(podmark().args(["check", "/nonexistent/feed.xml"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/feed.xml"), "{err}");
}

#[test]
fn sources_are_checked_without_writing() {
    let s = Sample::new(None);
    let (code, out, err) = run(podmark().arg("check").arg(&s.episodes));
    assert_eq!(code, 0, "{out}{err}");
    let before: Vec<_> = walk(&s.episodes);
    // A chapter after the end of the audio (1.23 s).
    let notes = s.episodes.join("002-second/episode.md");
    let text = std::fs::read_to_string(&notes).unwrap();
    std::fs::write(&notes, text.replace("00:00:00.000 Intro\n", "00:00:00.000 Intro\n- 00:00:05.000 The end\n"))
        .unwrap();
    let (code, out, err) = run(podmark().arg("check").arg(&s.episodes));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("002-second/episode.md") && out.contains("00:00:05.000"), "{out}");
    let after: Vec<_> = walk(&s.episodes);
    assert_eq!(before.len(), after.len(), "nothing written");
}

#[test]
fn source_problems_keep_their_file_line_column_and_code() {
    let s = Sample::new(None);
    // A broken lock file: reported on the lock, at the TOML error, not as a failure to check.
    let lock = s.episodes.join("guids.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, format!("{text}[episodes.x]\nguid = \n")).unwrap();
    let (code, out, err) = run(podmark().arg("check").arg(&s.episodes));
    assert_eq!(code, 1, "{out}{err}");
    let lines = text.lines().count();
    assert!(out.contains(&format!("guids.lock:{}:8: error:", lines + 2)), "{out}");
    std::fs::write(&lock, text).unwrap();
    // A bad episode type: the notes parser's own code and position, not a re-parsed string.
    let notes = s.episodes.join("001-first/episode.md");
    let notes_text = std::fs::read_to_string(&notes).unwrap();
    std::fs::write(&notes, notes_text.replace("episode = 1\n", "episode = 1\nepisode_type = \"pilot\"\n")).unwrap();
    let (code, out, err) = run(podmark().args(["check", "--json"]).arg(&s.episodes));
    assert_eq!(code, 1, "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("001-first/episode.md"));
    let d = &file.unwrap()["diagnostics"][0];
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(4), Some(16)), "{out}");
    assert_eq!((d["code"].as_str(), d["severity"].as_str()), (Some("front-matter"), Some("error")), "{out}");
}

#[test]
fn an_estimated_duration_is_a_warning_in_check() {
    let s = Sample::new(None);
    // The audio is a FLAC file cut short: STREAMINFO claims more than the bytes hold.
    std::fs::copy(common::fixture("audio/truncated-audio.flac"), s.episodes.join("001-first/episode.mp3")).unwrap();
    let (code, out, err) = run(podmark().arg("check").arg(&s.episodes));
    assert_eq!(code, 0, "a warning only: {out}{err}");
    assert!(
        out.lines()
            .any(|l| l.contains("001-first/episode.mp3") && l.contains("warning: STREAMINFO claims 4800 samples")),
        "{out}{err}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A tiny HTTP/1.0 file server that, like `python3 -m http.server`, ignores `Range`.
fn serve_without_ranges(listener: TcpListener, dir: PathBuf) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let mut parts = request.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
            let file = dir.join(path.trim_start_matches('/'));
            match std::fs::File::open(&file) {
                Ok(mut f) => {
                    let mut body = Vec::new();
                    f.read_to_end(&mut body).unwrap();
                    let _ = write!(
                        stream,
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    if method != "HEAD" {
                        let _ = stream.write_all(&body);
                    }
                }
                Err(_) => {
                    let _ = stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                }
            }
        }
    });
}

#[test]
fn url_mode_reports_a_server_without_byte_ranges() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let s = Sample::new(Some(&base));
    serve_without_ranges(listener, s.feed_dir.clone());
    let url = format!("{base}feed.xml");
    let (code, out, err) = run(podmark().args(["check", &url]));
    assert_eq!(code, 1, "{out}{err}");
    let ranges: Vec<&str> = out.lines().filter(|l| l.contains("instead of 206 Partial Content")).collect();
    assert_eq!(ranges.len(), 2, "one per enclosure:\n{out}");
    assert!(ranges[0].starts_with(&format!("{url}:")), "{out}");
    assert!(!out.contains("Content-Length is"), "HEAD lengths agree: {out}");
}

#[cfg(feature = "hosting")]
#[test]
fn url_mode_is_clean_against_podmark_serve() {
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", std_listener.local_addr().unwrap());
    let s = Sample::new(Some(&base));
    let app = podmark::serve::router(&s.feed_dir, None).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            std_listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            podmark::serve::serve(listener, app, async { drop(stopped.await) }, std::time::Duration::from_secs(1))
                .await
                .unwrap();
        });
    });
    let url = format!("{base}feed.xml");
    let (code, out, err) = run(podmark().args(["check", &url]));
    // The show's podcast:guid is made from its real base URL, not the loopback one: a warning.
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 errors"), "{out}");
    // Break one enclosure length: HEAD and the range GET both disagree with it.
    let xml = s.xml();
    // The enclosure's length (the channel's podcast:trailer has one too).
    let enclosure = xml.find("<enclosure ").unwrap();
    let start = enclosure + xml[enclosure..].find("length=\"").unwrap() + "length=\"".len();
    let len: u64 = xml[start..].split('"').next().unwrap().parse().unwrap();
    s.edit(&format!("length=\"{len}\""), &format!("length=\"{}\"", len + 7));
    let (code, out, _) = run(podmark().args(["check", &url]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("Content-Length is \"{len}\" but the enclosure length is {}", len + 7)), "{out}");
    assert!(out.contains(&format!("Content-Range is \"bytes 0-99/{len}\"")), "{out}");
    stop.send(()).unwrap();
    server.join().unwrap();
}

#[test]
fn a_repeated_season_and_episode_number_in_a_feed_names_both_items() {
    let s = Sample::new(None);
    s.edit("<itunes:episode>2</itunes:episode>", "<itunes:episode>1</itunes:episode>");
    let first_line = s.at("<itunes:episode>1</itunes:episode>").split(':').nth(1).unwrap().to_owned();
    // Episodic: newest first, so the edited item (Episode 2) comes first in the feed.
    let xml = s.xml();
    let second = xml.match_indices("<itunes:episode>1<").nth(1).unwrap().0 + "<itunes:episode>".len();
    let line = xml[..second].matches('\n').count() + 1;
    let col = xml[..second].rsplit('\n').next().unwrap().chars().count() + 1;
    s.assert_error(
        &format!("{}:{line}:{col}", s.feed().display()),
        &format!(
            "itunes:episode 1 of itunes:season 1 (item \"Episode 1\") is also the number of the item on line {first_line}; every full episode needs its own number"
        ),
    );
}

#[test]
fn a_control_character_in_a_feed_is_an_error_at_its_position() {
    let s = Sample::new(None);
    s.edit("<title>Episode 1</title>", "<title>Episode&#1; 1</title>");
    let at = s.at("Episode&#1; 1");
    s.assert_error(&at, "<title> holds the control character U+0001: \"Episode\\u{1} 1\"");
}

#[test]
fn a_guid_with_white_space_in_a_feed_is_an_error() {
    let s = Sample::new(None);
    let xml = s.xml();
    let start = xml.find("<guid isPermaLink=\"false\">").unwrap() + "<guid isPermaLink=\"false\">".len();
    let guid = xml[start..].split('<').next().unwrap().to_owned();
    s.edit(&format!(">{guid}<"), ">a b<");
    s.assert_error(&s.at("a b</guid>"), "guid \"a b\": a GUID must not contain white space");
}

#[test]
fn sources_check_reports_duplicate_numbers_and_blank_lock_guids() {
    let s = Sample::new(None);
    let notes = s.episodes.join("002-second/episode.md");
    let text = std::fs::read_to_string(&notes).unwrap();
    std::fs::write(&notes, text.replace("episode = 2\n", "episode = 1\n")).unwrap();
    let (code, out, err) = run(podmark().arg("check").arg(&s.episodes));
    assert_eq!(code, 1, "{out}{err}");
    let first = s.episodes.join("001-first/episode.md");
    let want = format!(
        "{}:3:1: error: episode 1 of season 1 is also {}:3:1; every full episode needs its own number (apps sort and list by it)",
        notes.display(),
        first.display()
    );
    assert!(out.lines().any(|l| l == want), "expected {want}\nin:\n{out}");
    std::fs::write(&notes, text).unwrap();
    // An empty GUID in the lock: at its line and column.
    let lock = s.episodes.join("guids.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    let guid_line = text.lines().position(|l| l.starts_with("guid = ")).unwrap() + 1;
    let edited: String =
        text.lines()
            .map(|l| {
                if l.starts_with("guid = ") && l == text.lines().nth(guid_line - 1).unwrap() {
                    "guid = \"\""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
    std::fs::write(&lock, edited).unwrap();
    let (code, out, err) = run(podmark().arg("check").arg(&s.episodes));
    assert_eq!(code, 1, "{out}{err}");
    let want = format!(
        "{}:{guid_line}:8: error: the GUID of episode 001-first is \"\": a GUID must not be empty",
        lock.display()
    );
    assert!(out.lines().any(|l| l == want), "expected {want}\nin:\n{out}");
}

#[test]
fn url_mode_refuses_a_body_over_the_feed_size_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let limit = usize::try_from(podmark::check::MAX_FEED_BYTES).unwrap();
    std::fs::write(dir.path().join("huge.xml"), vec![b' '; limit + 1]).unwrap();
    serve_without_ranges(listener, dir.path().to_owned());
    let (code, out, err) = run(podmark().args(["check", &format!("{base}huge.xml")]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("the feed is larger than 16 MiB, the most podmark reads"), "{err}");
}

#[test]
fn chapters_check_accepts_hidden_chapters_without_a_title_as_in_the_specs_example_complex() {
    let path = common::fixture("chapters/complex-untitled-hidden.json");
    let (code, out, err) = run(podmark().args(["chapters", "check"]).arg(&path));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("5 chapters (json), 0 errors, 0 warnings\n"), "{out}");
    // A visible chapter without a title is still an error.
    let visible = r#"{"version":"1.2.0","chapters":[{"startTime":0,"title":"A"},{"startTime":5}]}"#;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("visible.json");
    std::fs::write(&file, visible).unwrap();
    let (code, out, err) = run(podmark().args(["chapters", "check"]).arg(&file));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("error: chapter has no title"), "{out}");
}
