//! The website in a real browser: the sample is built, `podmark serve`d on a free port, and
//! Debian's chromium is driven headless through chromedriver over the W3C WebDriver protocol (plain
//! JSON over HTTP, with ureq). Screenshots go to `target/site-screenshots/`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SLUG: &str = "020-containers-with-red-hat";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser at a time: the machines that run this are small.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// Kills the child when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The built and served sample, a chromedriver and a browser session.
struct Browser {
    base: String,
    driver: String,
    session: String,
    agent: ureq::Agent,
    _serve: Proc,
    _chromedriver: Proc,
    _tmp: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// None (after reporting it) when chromium or chromedriver is missing.
    fn start() -> Option<Browser> {
        let have = [CHROMIUM, CHROMEDRIVER].iter().all(|p| Path::new(p).is_file());
        if !have {
            common::missing("Debian's chromium and chromium-driver", "apt-get install chromium chromium-driver");
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        let episodes = tmp.path().join("episodes");
        common::copy_dir(Path::new("episodes"), &episodes);
        let out = tmp.path().join("feed");
        let built = Command::new(env!("CARGO_BIN_EXE_podmark"))
            .arg("build")
            .arg("--episodes")
            .arg(&episodes)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
        let mut serve = Command::new(env!("CARGO_BIN_EXE_podmark"))
            .args(["serve", "-q", "--addr", "127.0.0.1:0"])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(serve.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
        let serve = Proc(serve);

        let port = free_port();
        let chromedriver = Proc(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let driver = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while agent.get(format!("{driver}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tmp.path().join("profile");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--autoplay-policy=no-user-gesture-required",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args, "perfLoggingPrefs": {"enableNetwork": true, "enablePage": false}},
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }}});
        let mut b = Browser {
            base,
            driver,
            session: String::new(),
            agent,
            _serve: serve,
            _chromedriver: chromedriver,
            _tmp: tmp,
        };
        let v = b.call("POST", "/session", caps);
        b.session = v["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_owned();
        Some(b)
    }

    /// A WebDriver command; returns its `value` (panics on a WebDriver error).
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.driver)
        } else {
            format!("{}/session/{}{path}", self.driver, self.session)
        };
        let mut resp = match method {
            "GET" => self.agent.get(&url).call().unwrap(),
            "DELETE" => self.agent.delete(&url).call().unwrap(),
            _ => self.agent.post(&url).header("content-type", "application/json").send(body.to_string()).unwrap(),
        };
        let text = resp.body_mut().with_config().limit(64 << 20).read_to_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if value.get("error").is_some() {
            panic!("WebDriver {method} {path}: {value}");
        }
        if path == "/session" { v.get("value").cloned().unwrap_or(v) } else { value }
    }

    fn open(&self, rel: &str) {
        self.call("POST", "/url", json!({"url": format!("{}{rel}", self.base)}));
    }

    fn js(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": script, "args": []}))
    }

    /// Runs `script` with `done` (the last argument) to call with the result.
    fn js_async(&self, script: &str) -> Value {
        let wrapped = format!("const done = arguments[arguments.length - 1]; {script}");
        self.call("POST", "/execute/async", json!({"script": wrapped, "args": []}))
    }

    /// Waits until the page's audio has its metadata.
    fn wait_for_audio(&self) {
        let r = self.js_async(
            "const a = document.getElementById('audio'); const t0 = Date.now();
             (function w() { if (a.readyState >= 1) done(a.duration); else if (Date.now() - t0 > 20000) done(-1); else setTimeout(w, 50); })();",
        );
        assert!(r.as_f64().unwrap_or(-1.0) > 2999.0, "the audio's metadata did not load: {r}");
    }

    fn chapter(&self, title: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "xpath", "value": format!("//a[@class='ch'][span[@class='title']='{title}']")}),
        );
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    fn logs(&self, kind: &str) -> Vec<Value> {
        self.call("POST", "/se/log", json!({"type": kind})).as_array().cloned().unwrap_or_default()
    }

    fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call("POST", "/goog/cdp/execute", json!({"cmd": cmd, "params": params}))
    }

    /// A screenshot of the whole page at `width` CSS pixels, written to `target/site-screenshots/`.
    fn screenshot(&self, name: &str, width: u32, dark: bool) -> PathBuf {
        let scheme = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        let metrics = json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600});
        self.cdp("Emulation.setDeviceMetricsOverride", metrics);
        let height = self.js("return document.documentElement.scrollHeight").as_u64().unwrap_or(900).min(6000);
        let metrics = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600});
        self.cdp("Emulation.setDeviceMetricsOverride", metrics);
        let png = self.call("GET", "/screenshot", Value::Null);
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{width}-{scheme}.png"));
        std::fs::write(&path, bytes).unwrap();
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}));
        self.cdp("Emulation.setEmulatedMedia", json!({"features": []}));
        path
    }

    /// axe-core's serious and critical violations on the current page.
    fn axe_serious(&self, axe: &str) -> Vec<Value> {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "const s = document.createElement('script'); s.textContent = arguments[0]; document.head.appendChild(s); return typeof axe;", "args": [axe]}),
        );
        let r = self.js_async(
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}))), e => done({error: String(e)}));",
        );
        let all = r.as_array().cloned().unwrap_or_else(|| panic!("axe failed: {r}"));
        all.into_iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.driver, self.session);
            let _ = self.agent.delete(&url).call();
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner())
}

fn episode() -> String {
    format!("episodes/{SLUG}/")
}

#[test]
fn clicking_a_chapter_seeks_to_its_start_and_playing_across_a_boundary_moves_aria_current() {
    let _one = lock();
    let Some(b) = Browser::start() else { return };
    b.open(&episode());
    b.wait_for_audio();
    b.js("document.getElementById('audio').muted = true;");
    let link = b.chapter("Technology as Forcing Function");
    b.call("POST", &format!("/element/{link}/click"), json!({}));
    let r = b.js_async(
        "const a = document.getElementById('audio'); const t0 = Date.now();
         (function w() { if (Math.abs(a.currentTime - 1400.151) < 0.25 || Date.now() - t0 > 10000) { a.pause();
           done({t: a.currentTime, current: [...document.querySelectorAll('a.ch[aria-current=\"true\"]')].map(e => e.textContent)}); }
           else setTimeout(w, 10); })();",
    );
    let t = r["t"].as_f64().unwrap();
    assert!((t - 1400.151).abs() <= 0.25, "currentTime after the click: {r}");
    assert_eq!(r["current"], json!(["23:20 Technology as Forcing Function"]), "{r}");

    // Just before the next chapter ("ITIL for Cloud", 28:51.166), then play across its start.
    let r = b.js_async(
        "const a = document.getElementById('audio'); a.muted = true;
         const cur = () => [...document.querySelectorAll('a.ch[aria-current=\"true\"]')].map(e => e.querySelector('.title').textContent);
         a.addEventListener('seeked', () => {
           const before = cur(); const t0 = Date.now();
           a.play().catch(e => done({error: String(e)}));
           (function w() { if (a.currentTime > 1731.5 || Date.now() - t0 > 15000) { a.pause(); done({before, after: cur(), t: a.currentTime}); } else setTimeout(w, 50); })();
         }, {once: true});
         a.currentTime = 1730.6;",
    );
    assert_eq!(r["before"], json!(["Technology as Forcing Function"]), "{r}");
    assert!(r["t"].as_f64().unwrap() > 1731.5, "the audio did not play: {r}");
    assert_eq!(r["after"], json!(["ITIL for Cloud"]), "{r}");
}

#[test]
fn opening_the_page_at_t_1400_or_23_20_seeks_there() {
    let _one = lock();
    let Some(b) = Browser::start() else { return };
    for (fragment, want) in [("#t=1400", 1400.0), ("#t=23:20", 1400.0), ("#t=1731.2", 1731.2)] {
        b.open("");
        b.open(&format!("{}{fragment}", episode()));
        b.wait_for_audio();
        let r = b.js_async(
            "const a = document.getElementById('audio'); const t0 = Date.now();
             (function w() { if (a.currentTime > 1 || Date.now() - t0 > 10000) done({t: a.currentTime, current: [...document.querySelectorAll('a.ch[aria-current=\"true\"]')].map(e => e.querySelector('.title').textContent)}); else setTimeout(w, 20); })();",
        );
        let t = r["t"].as_f64().unwrap();
        assert!((t - want).abs() <= 0.25, "{fragment}: {r}");
        // 1400 s is just before "Technology as Forcing Function" (1400.151 s).
        let chapter = if want < 1731.166 { "Change is Constant" } else { "ITIL for Cloud" };
        assert_eq!(r["current"], json!([chapter]), "{fragment}: {r}");
    }
}

#[test]
fn pages_log_no_console_errors_request_nothing_outside_the_site_and_pass_axe() {
    let _one = lock();
    let Some(b) = Browser::start() else { return };
    let axe = common::node_package("axe-core").map(|dir| std::fs::read_to_string(dir.join("axe.min.js")).unwrap());
    for page in [episode(), String::new()] {
        b.open(&page);
        if !page.is_empty() {
            b.wait_for_audio();
            // Use the player: a chapter click, the buttons, sharing.
            let link = b.chapter("Germans and Car Analogies");
            b.js("document.getElementById('audio').muted = true;");
            b.call("POST", &format!("/element/{link}/click"), json!({}));
            for id in ["next", "prev", "share"] {
                let v = b.call("POST", "/element", json!({"using": "css selector", "value": format!("#{id}")}));
                b.call("POST", &format!("/element/{}/click", v[ELEMENT].as_str().unwrap()), json!({}));
            }
            b.js("document.getElementById('audio').pause();");
            let status = b.js("return document.getElementById('status').textContent");
            assert!(status.as_str().unwrap().contains("#t="), "the share button says nothing: {status}");
        }
        if let Some(axe) = &axe {
            for dark in [false, true] {
                let scheme = if dark { "dark" } else { "light" };
                b.cdp(
                    "Emulation.setEmulatedMedia",
                    json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
                );
                let serious = b.axe_serious(axe);
                assert!(serious.is_empty(), "axe on /{page} ({scheme}): {serious:#?}");
            }
            b.cdp("Emulation.setEmulatedMedia", json!({"features": []}));
        }
        let name = if page.is_empty() { "index" } else { "episode" };
        for width in [375, 1280] {
            b.screenshot(name, width, false);
        }
        b.screenshot(name, 1280, true);
    }
    let errors: Vec<Value> = b.logs("browser").into_iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let mut outside = Vec::new();
    let mut seen = 0;
    for entry in b.logs("performance") {
        let msg: Value = serde_json::from_str(entry["message"].as_str().unwrap_or("{}")).unwrap_or_default();
        if msg["message"]["method"] == "Network.requestWillBeSent" {
            let url = msg["message"]["params"]["request"]["url"].as_str().unwrap_or_default().to_owned();
            seen += usize::from(url.starts_with(&b.base));
            // chrome:// and the like are the browser's own new-tab page, not the network.
            let network = ["http:", "https:", "ws:", "wss:", "ftp:"].iter().any(|s| url.starts_with(s));
            if network && !url.starts_with(&b.base) {
                outside.push(url);
            }
        }
    }
    assert!(seen >= 4, "the performance log saw {seen} requests");
    assert!(outside.is_empty(), "requests outside {}: {outside:#?}", b.base);
}
