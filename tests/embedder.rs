//! podmark as another publishing tool embeds it: `default-features = false` builds and works (the
//! package in `tests/embedder/` parses notes, writes JSON chapters, tags an MP3 and probes it), and
//! pulls in no CLI, network, TLS or async runtime crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates an embedder without default features must not compile.
const FORBIDDEN: [&str; 10] =
    ["clap", "indicatif", "anyhow", "ureq", "rustls", "ring", "tokio", "axum", "hyper", "object_store"];

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The target folder this test was built in: it runs as `<target>/<profile>/deps/embedder-…`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).map_or_else(|| manifest_dir().join("target"), Path::to_path_buf)
}

/// The crate names in `cargo tree -e normal` of podmark with `features`.
fn normal_dependencies(features: &[&str]) -> Vec<String> {
    let out = cargo()
        .current_dir(manifest_dir())
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none", "-p", "podmark"])
        .args(features)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut names: Vec<String> = text.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn no_default_features_pull_in_no_cli_network_tls_or_async_crate() {
    let lean = normal_dependencies(&["--no-default-features"]);
    assert!(lean.iter().any(|n| n == "podmark"), "{lean:?}");
    let found: Vec<&String> = lean.iter().filter(|n| FORBIDDEN.contains(&n.as_str())).collect();
    assert!(found.is_empty(), "podmark --no-default-features depends on {found:?}");
    // The default build does use them, so the list above is not vacuous.
    let full = normal_dependencies(&[]);
    for name in ["clap", "indicatif", "ureq", "rustls", "tokio"] {
        assert!(full.iter().any(|n| n == name), "default features lack {name}: {full:?}");
    }
}

/// Builds and runs `tests/embedder/` against this checkout. It is copied under the target folder
/// with this package's `Cargo.lock`, so it builds offline with the versions podmark is tested
/// with and nothing is written into the sources; its own target folder is `<target>/embedder`.
#[test]
fn an_embedder_without_default_features_builds_and_runs() {
    let work = target_dir().join("embedder");
    let pkg = work.join("pkg");
    std::fs::create_dir_all(pkg.join("src")).unwrap();
    let src = manifest_dir().join("tests/embedder");
    let manifest = std::fs::read_to_string(src.join("Cargo.toml")).unwrap();
    let podmark = manifest_dir().to_str().unwrap();
    let manifest = manifest.replace("path = \"../..\"", &format!("path = {podmark:?}"));
    assert!(manifest.contains(&format!("{podmark:?}")), "{manifest}");
    write_if_changed(&pkg.join("Cargo.toml"), manifest.as_bytes());
    write_if_changed(&pkg.join("src/main.rs"), &std::fs::read(src.join("src/main.rs")).unwrap());
    std::fs::copy(manifest_dir().join("Cargo.lock"), pkg.join("Cargo.lock")).unwrap();

    let out = tempfile::tempdir().unwrap();
    let run = cargo()
        .current_dir(&pkg)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .args(["run", "--offline", "--quiet", "--"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "the embedder failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let json = std::fs::read_to_string(out.path().join("chapters.json")).unwrap();
    assert!(json.contains("\"title\": \"Interview\""), "{json}");
    let info = podmark::probe::probe_path(out.path().join("episode.mp3")).unwrap();
    assert_eq!(info.duration, podmark::Timestamp::from_ticks(1149 * 1152, 44_100).unwrap());
}

/// Writes `bytes` unless the file already holds them, so that cargo sees no change between runs.
fn write_if_changed(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes).unwrap();
    }
}
