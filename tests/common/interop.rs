//! What the interop tests need from the machine, one helper per requirement.
//!
//! Each helper checks the EXACT requirement a test has (a Python that can `import mutagen`, not just
//! a `python3` on PATH; the moto version pinned in `.ci/requirements.txt`, not any `moto_server`;
//! node AND `tests/clients/node_modules/podcast-partytime`), and when it is missing:
//!
//! - without `PODMARK_REQUIRE_INTEROP=1` the test skips: the helper returns `None`/`false` after
//!   writing one line to the process's stderr — directly, not with `eprintln!`, which libtest
//!   captures and hides for passing tests — so `cargo test` shows
//!   `SKIPPED <test>: needs <what> — install: <how>`;
//! - with `PODMARK_REQUIRE_INTEROP=1` (as in `.ci/run`) the helper panics with the same text, so an
//!   interop test can never pass by not running.
//!
//! A missing tool therefore never fails a test on a newcomer's machine, and cargo's fail-fast never
//! hides the other test binaries because of one.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// How to install the Python packages the tests use (pinned in `.ci/requirements.txt`).
pub const PIP_HINT: &str = "python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt";
/// How to install the npm packages the tests use (pinned in `tests/clients/package-lock.json`).
pub const NPM_HINT: &str = "npm ci --prefix tests/clients";

/// Whether interop tests must run (`PODMARK_REQUIRE_INTEROP=1`), so a missing requirement fails.
pub fn interop_required() -> bool {
    std::env::var("PODMARK_REQUIRE_INTEROP").is_ok_and(|v| v == "1")
}

/// The running test's name: libtest runs each test on a thread named after it.
fn test_name() -> String {
    std::thread::current().name().unwrap_or("(unnamed test)").to_owned()
}

/// Reports a missing requirement: panics under `PODMARK_REQUIRE_INTEROP=1`, else writes the skip
/// notice straight to stderr (past libtest's capture) and returns, for the caller to skip.
pub fn missing(what: &str, install: &str) {
    let test = test_name();
    if interop_required() {
        panic!("PODMARK_REQUIRE_INTEROP=1 but {test} needs {what} — install: {install}");
    }
    let line = format!("SKIPPED {test}: needs {what} — install: {install}\n");
    // One write of the whole line, so parallel tests do not interleave inside it.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The apt package (Debian/Ubuntu) that provides the program `name`.
fn apt_hint(name: &str) -> String {
    let package = match name {
        "ffmpeg" | "ffprobe" => "ffmpeg",
        "AtomicParsley" => "atomicparsley",
        "gpo" => "gpodder",
        "flock" => "util-linux",
        "node" => "nodejs",
        other => other,
    };
    format!("apt-get install {package} (or run .ci/run as root)")
}

/// Whether the external program `name` is on `PATH`; if not, reports it (see the module docs).
pub fn require_tool(name: &str) -> bool {
    if on_path(name).is_some() {
        return true;
    }
    missing(&format!("the program `{name}` on PATH"), &apt_hint(name));
    false
}

/// Whether all of `names` are on `PATH`, reporting every missing one.
pub fn require_tools(names: &[&str]) -> bool {
    let mut all = true;
    for name in names {
        all &= require_tool(name); // not `all()`: every missing one is reported
    }
    all
}

/// The full path of the program `name` on `PATH`, if any.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Pythons the tests consider, best first: the crate's `.venv` (what `.ci/run` makes), the
/// main checkout's `.venv` for a git worktree next to it, then `python3` on PATH.
fn python_candidates() -> Vec<PathBuf> {
    let root = crate_root();
    let mut list = vec![root.join(".venv/bin/python"), root.join("../main/.venv/bin/python")];
    if let Some(py) = on_path("python3") {
        list.push(py);
    }
    list
}

/// The first candidate Python that runs `code` successfully, printing its stdout; cached per code.
fn python_running(code: &str) -> Option<(PathBuf, String)> {
    type Found = Option<(PathBuf, String)>;
    static CACHE: OnceLock<Mutex<HashMap<String, Found>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap().get(code) {
        return hit.clone();
    }
    let found = python_candidates().into_iter().find_map(|py| {
        let out = Command::new(&py).args(["-c", code]).stdin(Stdio::null()).output().ok()?;
        out.status.success().then(|| (py, String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    });
    cache.lock().unwrap().insert(code.to_owned(), found.clone());
    found
}

/// A Python that can import every one of `modules` (e.g. `["feedparser", "podcastparser"]`).
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let code = format!("import {}", modules.join(", "));
    if let Some((py, _)) = python_running(&code) {
        return Some(py);
    }
    missing(&format!("a Python that can `{code}` (.venv/bin/python or python3)"), PIP_HINT);
    None
}

/// A Python with mutagen (`.venv`, or `python3` on PATH if it has mutagen).
pub fn mutagen_python() -> Option<PathBuf> {
    python_with(&["mutagen"])
}

/// A console script (`mid3v2`, `eyeD3`) installed with `module` next to a Python that imports
/// it: Debian's `/usr/bin/mid3v2` beside a `python3` without mutagen is not taken for the venv's.
pub fn python_script(script: &str, module: &str) -> Option<PathBuf> {
    let code = format!("import sys, {module}; print(sys.executable)");
    let found = python_running(&code).and_then(|(_, exe)| {
        let path = Path::new(&exe).parent()?.join(script);
        is_executable(&path).then_some(path)
    });
    if found.is_none() {
        missing(&format!("`{script}` installed with the Python package `{module}`"), PIP_HINT);
    }
    found
}

/// The moto version the publish tests were written for: `moto[server]==X` in `.ci/requirements.txt`.
pub fn pinned_moto_version() -> String {
    let text = std::fs::read_to_string(crate_root().join(".ci/requirements.txt")).unwrap();
    let line = text.lines().find_map(|l| l.trim().strip_prefix("moto[server]=="));
    line.expect(".ci/requirements.txt pins moto[server]==VERSION").trim().to_owned()
}

/// A command that starts moto's S3 server (`python -m moto.server`, append `-H`/`-p`), from a Python
/// whose moto is exactly the pinned version (moto 5.2.1, for one, names the multipart-upload reply
/// `…Response` where S3 says `…Result`, which rust-s3 refused) and has the server extras.
pub fn moto_server() -> Option<Command> {
    let want = pinned_moto_version();
    let code = format!(
        "import moto, moto.server, flask, flask_cors\nif moto.__version__ != {want:?}: raise SystemExit(1)\nprint(moto.__version__)"
    );
    if let Some((py, _)) = python_running(&code) {
        let mut cmd = Command::new(py);
        cmd.args(["-m", "moto.server"]);
        return Some(cmd);
    }
    let seen = python_running("import moto; print(moto.__version__)")
        .map(|(py, v)| format!("; found moto {v} in {}", py.display()));
    missing(
        &format!("moto[server]=={want} (the S3 server these tests were written for{})", seen.unwrap_or_default()),
        PIP_HINT,
    );
    None
}

/// `tests/clients/node_modules/<package>`, when node is on PATH and the package is installed.
pub fn node_package(package: &str) -> Option<PathBuf> {
    let dir = crate_root().join("tests/clients/node_modules").join(package);
    if on_path("node").is_some() && dir.join("package.json").is_file() {
        return Some(dir);
    }
    let hint = if on_path("node").is_some() {
        NPM_HINT.to_owned()
    } else {
        format!("apt-get install nodejs npm, then {NPM_HINT}")
    };
    missing(&format!("node with the npm package `{package}` in tests/clients/node_modules"), &hint);
    None
}

/// Whether strace is on PATH AND may trace here with fault injection (`-e inject=`, strace ≥ 4.16):
/// a container without `CAP_SYS_PTRACE` has the program but cannot use it.
pub fn require_strace() -> bool {
    if !require_tool("strace") {
        return false;
    }
    static WORKS: OnceLock<Result<(), String>> = OnceLock::new();
    let works = WORKS.get_or_init(|| {
        let out = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-o",
                "/dev/null",
                "-e",
                "trace=getpid",
                "-e",
                "inject=getpid:retval=1:when=999",
                "true",
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()) }
    });
    match works {
        Ok(()) => true,
        Err(why) => {
            missing(
                &format!("strace that can trace and inject faults here (it said: {why})"),
                "apt-get install strace (4.16 or later); in a container, run it with --cap-add=SYS_PTRACE",
            );
            false
        }
    }
}
