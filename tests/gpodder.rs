//! gPodder end to end: build the sample podcast for a loopback URL, serve it with `podmark serve`,
//! subscribe, update and download with gPodder's `gpo`, then compare what gPodder stored with what
//! podmark built: the downloaded file is the tagged audio byte for byte, and gPodder's database
//! holds the GUID, exact size, duration and the 13 chapters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use podmark::build::{BuildOptions, build};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn gpo(home: &Path, args: &[&str]) -> String {
    let out = Command::new("gpo")
        .args(args)
        .env("GPODDER_HOME", home.join("home"))
        .env("GPODDER_DOWNLOAD_DIR", home.join("downloads"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "gpo {args:?} failed: {text}");
    text
}

#[test]
fn gpodder_subscribes_downloads_and_stores_the_chapters() {
    let have_gpo = common::require_tool("gpo");
    let Some(py) = common::python_with(&["sqlite3"]) else { return };
    if !have_gpo {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}/");
    let episodes = tmp.path().join("episodes");
    common::copy_dir(Path::new("episodes"), &episodes);
    let feed_dir = tmp.path().join("feed");
    let mut options = BuildOptions::new(&episodes, &feed_dir);
    options.base_url = Some(base.clone());
    let report = build(&options, &mut |_, _, _| {}).unwrap();
    let ep = &report.episodes[0];

    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_podmark"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .arg(&feed_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "podmark serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let feed_url = format!("{base}feed.xml");
    gpo(tmp.path(), &["subscribe", &feed_url]);
    let listed = gpo(tmp.path(), &["episodes", "--guid"]);
    assert!(listed.contains(&ep.guid), "{listed}");
    gpo(tmp.path(), &["update"]);
    let done = gpo(tmp.path(), &["download"]);
    assert!(done.contains("1 episodes downloaded"), "{done}");

    // The download is the tagged audio, byte for byte.
    let downloads = tmp.path().join("downloads");
    let show_dir = std::fs::read_dir(&downloads).unwrap().next().unwrap().unwrap().path();
    let got = std::fs::read(show_dir.join("020-containers-with-red-hat.mp3")).unwrap();
    assert_eq!(got, std::fs::read(feed_dir.join("audio/020-containers-with-red-hat.mp3")).unwrap());

    // gPodder's database: GUID, size, duration and the PSC chapters (whole seconds in gPodder).
    let db = tmp.path().join("home/Database");
    let out = Command::new(py)
        .arg("-c")
        .arg("import json,sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute('select guid,file_size,total_time,chapters from episode').fetchone(); print(json.dumps({'guid':r[0],'size':r[1],'time':r[2],'chapters':json.loads(r[3])}))")
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["guid"], ep.guid.as_str());
    assert_eq!(v["size"], ep.audio_bytes);
    assert_eq!(v["time"], ep.duration.as_secs_rounded());
    let chapters = v["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 13);
    assert_eq!(chapters[7]["title"], "Technology as Forcing Function");
    assert_eq!(chapters[7]["start"], 1400);
}
