#![allow(clippy::unwrap_used)]
#![cfg(all(unix, feature = "hosting"))]
//! `podmark serve` over real sockets: the binary is started on 127.0.0.1 with a free port and spoken
//! to with raw HTTP/1.1, so nothing normalizes the request paths on the way (`..`, `%2e%2e`, `%2f`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `podmark serve` child process; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder like `podmark build` writes, plus files outside it and traps inside it.
fn site() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("feed");
    for dir in ["audio", "chapters"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("feed.xml"), "<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>\n").unwrap();
    std::fs::write(root.join("audio/ep1.mp3"), audio(300_000)).unwrap();
    std::fs::write(root.join("audio/ep2.m4a"), audio(5_000)).unwrap();
    std::fs::write(root.join("audio/ep3.m4b"), audio(10)).unwrap();
    std::fs::write(root.join("audio/ep4.opus"), audio(10)).unwrap();
    std::fs::write(root.join("chapters/ep1.json"), "{\"version\":\"1.2.0\",\"chapters\":[]}").unwrap();
    std::fs::write(root.join("chapters/ep1.vtt"), "WEBVTT\n").unwrap();
    std::fs::write(root.join(".env"), "SECRET=inside").unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), "SECRET=git").unwrap();
    std::fs::write(tmp.path().join("outside.txt"), "SECRET=outside").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(tmp.path(), root.join("up")).unwrap();
    std::os::unix::fs::symlink(root.join("audio/ep1.mp3"), root.join("latest.mp3")).unwrap();
    (tmp, root)
}

fn audio(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from((i * 7 + i / 251) % 256).unwrap()).collect()
}

fn start() -> Server {
    let (tmp, root) = site();
    start_in(tmp, root)
}

fn start_in(tmp: tempfile::TempDir, root: PathBuf) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podmark"))
        .args(["serve", root.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // "Serving DIR at http://127.0.0.1:PORT/ (Ctrl-C to stop)"
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line}"));
    let addr = url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    Server { child, addr, _tmp: tmp, root }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends `GET`/`HEAD` with the raw `target` and extra header lines; reads the whole answer.
fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    Reply { status, headers, body }
}

fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[])
}

fn file(root: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(root.join(rel)).unwrap()
}

#[test]
fn serves_podcast_mime_types() {
    let srv = start();
    for (path, mime) in [
        ("/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/audio/ep1.mp3", "audio/mpeg"),
        ("/audio/ep2.m4a", "audio/x-m4a"),
        ("/audio/ep3.m4b", "audio/x-m4a"),
        ("/audio/ep4.opus", "audio/opus"),
        ("/chapters/ep1.json", "application/json+chapters"),
        ("/chapters/ep1.vtt", "text/vtt"),
    ] {
        let r = get(srv.addr, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(mime), "{path}");
        assert_eq!(r.header("accept-ranges"), Some("bytes"), "{path}");
        assert_eq!(r.body, file(&srv.root, path.trim_start_matches('/')), "{path}");
    }
}

#[test]
fn head_has_the_headers_and_no_body() {
    let srv = start();
    let r = request(srv.addr, "HEAD", "/audio/ep1.mp3", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("300000"));
    assert_eq!(r.header("content-type"), Some("audio/mpeg"));
    assert!(r.header("etag").is_some() && r.header("last-modified").is_some());
    assert!(r.body.is_empty());
}

#[test]
fn single_ranges() {
    let srv = start();
    let all = file(&srv.root, "audio/ep1.mp3");
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=100-199")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 100-199/300000"));
    assert_eq!(r.body, &all[100..200]);

    // The probe Apple Podcasts sends first.
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=0-1")]);
    assert_eq!((r.status, r.body.as_slice()), (206, &all[..2]));

    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=-4096")]);
    assert_eq!(r.header("content-range"), Some("bytes 295904-299999/300000"));
    assert_eq!(r.body, &all[300_000 - 4096..]);

    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=299990-")]);
    assert_eq!(r.body, &all[299_990..]);

    // A suffix longer than the file is the whole file (RFC 9110 §14.1.2), not a 416.
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=-999999999")]);
    assert_eq!((r.status, r.header("content-range")), (206, Some("bytes 0-299999/300000")));
    assert_eq!(r.body, all);

    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=300000-")]);
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */300000"));

    // A header that is not a byte range is ignored.
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "pages=1-2")]);
    assert_eq!((r.status, r.body.len()), (200, 300_000));
}

#[test]
fn a_zero_length_suffix_range_is_416() {
    let srv = start();
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=-0")]);
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */300000"));
    assert!(r.body.is_empty());
}

#[test]
fn the_range_unit_is_case_insensitive() {
    let srv = start();
    let all = file(&srv.root, "audio/ep1.mp3");
    for value in ["BYTES=0-5", "Bytes=0-5"] {
        let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", value)]);
        assert_eq!((r.status, r.header("content-range")), (206, Some("bytes 0-5/300000")), "{value}");
        assert_eq!(r.body, &all[..6], "{value}");
    }
}

#[test]
fn white_space_around_commas_and_equals_keeps_a_multi_range() {
    let srv = start();
    let all = file(&srv.root, "audio/ep1.mp3");
    for value in ["bytes=0-5 , 10-15", "bytes = 0-5,10-15", "bytes=0-5\t,\t10-15"] {
        let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", value)]);
        assert_eq!(r.status, 206, "{value}");
        assert_eq!(
            parts(&r),
            [
                ("bytes 0-5/300000".to_owned(), all[..6].to_vec()),
                ("bytes 10-15/300000".to_owned(), all[10..16].to_vec()),
            ],
            "{value}"
        );
    }
}

/// Splits a `multipart/byteranges` body into (Content-Range, bytes) parts.
fn parts(reply: &Reply) -> Vec<(String, Vec<u8>)> {
    let ct = reply.header("content-type").unwrap();
    let boundary = ct.strip_prefix("multipart/byteranges; boundary=").unwrap();
    let delim = format!("\r\n--{boundary}");
    let body = &reply.body;
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let start = at + body[at..].windows(delim.len()).position(|w| w == delim.as_bytes()).unwrap() + delim.len();
        if body[start..].starts_with(b"--") {
            assert_eq!(&body[start..], b"--\r\n");
            return out;
        }
        let head_end = start + body[start..].windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(body[start..head_end].to_vec()).unwrap();
        let range = head.lines().find_map(|l| l.strip_prefix("Content-Range: ")).unwrap().to_owned();
        assert!(head.contains("Content-Type: audio/mpeg"), "{head}");
        let (s, e) = range.strip_prefix("bytes ").unwrap().split_once('/').unwrap().0.split_once('-').unwrap();
        let len = e.parse::<usize>().unwrap() - s.parse::<usize>().unwrap() + 1;
        let data_start = head_end + 4;
        out.push((range, body[data_start..data_start + len].to_vec()));
        at = data_start + len;
    }
}

#[test]
fn multiple_ranges_are_multipart_byteranges() {
    let srv = start();
    let all = file(&srv.root, "audio/ep1.mp3");
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=0-9, 1000-1099, -5")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-length").unwrap().parse::<usize>().unwrap(), r.body.len());
    assert!(r.header("etag").is_some());
    let got = parts(&r);
    assert_eq!(
        got,
        [
            ("bytes 0-9/300000".to_owned(), all[..10].to_vec()),
            ("bytes 1000-1099/300000".to_owned(), all[1000..1100].to_vec()),
            ("bytes 299995-299999/300000".to_owned(), all[299_995..].to_vec()),
        ]
    );
    // HEAD: same headers, no body.
    let h = request(srv.addr, "HEAD", "/audio/ep1.mp3", &[("Range", "bytes=0-9,1000-1099")]);
    assert_eq!(h.status, 206);
    assert!(h.header("content-type").unwrap().starts_with("multipart/byteranges; boundary="));
    assert!(h.body.is_empty());
    // Ranges that add up to more than the file are not amplified: the file is sent once.
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=0-299999,0-299999")]);
    assert_eq!((r.status, r.body.len()), (200, 300_000));
    // Unsatisfiable parts are dropped; all unsatisfiable is 416.
    let r = request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=400000-400010,500000-")]);
    assert_eq!(r.status, 416);
}

#[test]
fn conditional_requests() {
    let srv = start();
    let first = get(srv.addr, "/feed.xml");
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "strong ETag: {etag}");

    let r = request(srv.addr, "GET", "/feed.xml", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = request(srv.addr, "GET", "/feed.xml", &[("If-Modified-Since", &modified)]);
    assert_eq!(r.status, 304);
    let r = request(srv.addr, "GET", "/feed.xml", &[("If-None-Match", "\"something-else\"")]);
    assert_eq!(r.status, 200);
    // A multi-range request honours If-None-Match too.
    let r = request(srv.addr, "GET", "/feed.xml", &[("If-None-Match", &etag), ("Range", "bytes=0-1,3-4")]);
    assert_eq!(r.status, 304);

    // If-Range: ranges only while the validator matches.
    let r = request(srv.addr, "GET", "/feed.xml", &[("Range", "bytes=0-4"), ("If-Range", &etag)]);
    assert_eq!((r.status, r.body.as_slice()), (206, &b"<?xml"[..]));
    let r = request(srv.addr, "GET", "/feed.xml", &[("Range", "bytes=0-4"), ("If-Range", &modified)]);
    assert_eq!(r.status, 206);
    let r = request(srv.addr, "GET", "/feed.xml", &[("Range", "bytes=0-4"), ("If-Range", "\"stale\"")]);
    assert_eq!((r.status, r.body), (200, file(&srv.root, "feed.xml")));

    // A changed file has a new ETag, and the old one no longer gives 304.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(srv.root.join("feed.xml"), "<rss version=\"2.0\"><channel/></rss>\n").unwrap();
    let r = request(srv.addr, "GET", "/feed.xml", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 200);
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.body, b"<rss version=\"2.0\"><channel/></rss>\n");
}

#[test]
fn path_traversal_in_every_form_is_404() {
    let srv = start();
    for target in [
        "/../outside.txt",
        "/../../../../etc/passwd",
        "/chapters/../../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/.%2e/outside.txt",
        "/..%2foutside.txt",
        "/..%2Foutside.txt",
        "/chapters%2f..%2f..%2foutside.txt",
        "/..%5coutside.txt",
        "/..\\outside.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/escape.txt",
        "/up/outside.txt",
        "/feed.xml%00.mp3",
        "/%c0%ae%c0%ae/outside.txt",
        "http://127.0.0.1/../outside.txt",
    ] {
        let r = get(srv.addr, target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!String::from_utf8_lossy(&r.body).contains("SECRET"), "{target}");
    }
    // Symlinks that stay inside are fine.
    let r = get(srv.addr, "/latest.mp3");
    assert_eq!((r.status, r.header("content-type")), (200, Some("audio/mpeg")));
}

#[test]
fn dotfiles_are_not_served() {
    let srv = start();
    for target in ["/.env", "/.git/config", "/%2eenv", "/.git/", "/chapters/.", "/audio/./ep1.mp3"] {
        let r = get(srv.addr, target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!String::from_utf8_lossy(&r.body).contains("SECRET"), "{target}");
    }
}

#[test]
fn only_get_and_head() {
    let srv = start();
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let r = request(srv.addr, method, "/feed.xml", &[("Content-Length", "0")]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
}

#[test]
fn folders_serve_index_html() {
    let (tmp, root) = site();
    std::fs::write(root.join("index.html"), "<h1>show</h1>").unwrap();
    let srv = start_in(tmp, root);
    let r = get(srv.addr, "/");
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert_eq!(r.body, b"<h1>show</h1>");
    assert_eq!(get(srv.addr, "/audio/").status, 404, "no listings");
}

/// Sends SIGINT the way Ctrl-C does and waits (bounded) for the process to end.
fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    // The shell's built-in `kill`: a minimal Debian has no /bin/kill (procps).
    let ok = Command::new("sh").args(["-c", "kill -INT \"$1\"", "sh", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "podmark serve did not stop after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn access_log_and_clean_ctrl_c() {
    let mut srv = start();
    let targets = ["/feed.xml", "/audio/ep1.mp3", "/nope", "/../outside.txt"];
    for t in targets {
        get(srv.addr, t);
    }
    request(srv.addr, "GET", "/audio/ep1.mp3", &[("Range", "bytes=100-199")]);
    let status = interrupt(&mut srv.child);
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    srv.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("\"GET ")).collect();
    assert_eq!(lines.len(), 5, "{log}");
    assert!(lines[0].starts_with("127.0.0.1:") && lines[0].contains("\"GET /feed.xml HTTP/1.1\" 200 "), "{log}");
    assert!(lines[2].contains("\"GET /nope HTTP/1.1\" 404"), "{log}");
    assert!(lines[3].contains("\"GET /../outside.txt HTTP/1.1\" 404"), "{log}");
    assert!(lines[4].contains("\" 206 100 range=\"bytes=100-199\""), "{log}");
    assert!(log.contains("stopping"), "{log}");
    // The port is free again.
    assert!(TcpStream::connect(srv.addr).is_err());
}

#[test]
fn ctrl_c_with_a_download_in_flight_still_stops() {
    let (tmp, root) = site();
    std::fs::write(root.join("audio/big.mp3"), vec![0u8; 64 << 20]).unwrap();
    let mut srv = start_in(tmp, root);
    // Start a large download and read only its first bytes, so the response stays in flight.
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.write_all(format!("GET /audio/big.mp3 HTTP/1.1\r\nHost: {}\r\n\r\n", srv.addr).as_bytes()).unwrap();
    let mut first = [0u8; 16];
    s.read_exact(&mut first).unwrap();
    let started = Instant::now();
    let status = interrupt(&mut srv.child);
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn listens_on_loopback_by_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_podmark")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("[default: 127.0.0.1:8080]"), "{help}");
}

#[test]
fn a_missing_folder_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_podmark"))
        .args(["serve", "/nonexistent/podmark-feed", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot serve /nonexistent/podmark-feed"), "{err}");
}

/// The issue's acceptance checks, with curl itself.
#[test]
fn curl_acceptance() {
    if !common::require_tool("curl") {
        return;
    }
    let srv = start();
    let base = format!("http://{}", srv.addr);
    let out = Command::new("curl")
        .args(["-s", "-r", "100-199", "-w", "\n%{http_code}", &format!("{base}/audio/ep1.mp3")])
        .output()
        .unwrap();
    let (body, code) = out.stdout.split_at(out.stdout.len() - 4);
    assert_eq!(code, b"\n206");
    assert_eq!(body, &file(&srv.root, "audio/ep1.mp3")[100..200]);
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--path-as-is", &format!("{base}/../../etc/passwd")])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"404");
}
