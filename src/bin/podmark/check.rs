//! `podmark check`: validate a feed file, a feed URL or the episode sources.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use podmark::Diagnostic;
use podmark::check::{CheckOptions, FileReport, check_feed_file, check_sources, check_url};

use crate::report::JsonFile;

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Feed files, feed URLs (http:// or https://) or episode source folders (with
    /// `podcast.toml`). A folder with a `feed.xml` checks that feed. Default: `feed/feed.xml`.
    #[arg(value_name = "FEED.xml|URL|EPISODES_DIR")]
    targets: Vec<String>,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
    /// The GUID lock file to compare a feed's GUIDs with. Default: `episodes/guids.lock` when it
    /// exists (for a source folder: its own `guids.lock`).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// Do not print warnings.
    #[arg(long, short)]
    quiet: bool,
}

fn check_one(target: &str, lock: Option<&PathBuf>) -> anyhow::Result<Vec<FileReport>> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(vec![FileReport { path: target.to_owned(), diagnostics: check_url(target)? }]);
    }
    let path = Path::new(target);
    if !path.exists() {
        anyhow::bail!("{target}: no such file or folder");
    }
    if path.is_dir() && path.join("podcast.toml").is_file() {
        return Ok(check_sources(path, &CheckOptions { lock: lock.cloned() })?);
    }
    let feed = if path.is_dir() { path.join("feed.xml") } else { path.to_owned() };
    let default_lock = PathBuf::from("episodes/guids.lock");
    let lock = lock.cloned().or_else(|| default_lock.is_file().then_some(default_lock));
    let diagnostics = check_feed_file(&feed, &CheckOptions { lock })?;
    Ok(vec![FileReport { path: feed.display().to_string(), diagnostics }])
}

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let targets = if args.targets.is_empty() { vec!["feed/feed.xml".to_owned()] } else { args.targets.clone() };
    let mut files = Vec::new();
    for t in &targets {
        files.extend(check_one(t, args.lock.as_ref())?);
    }
    let shown = |d: &&Diagnostic| !args.quiet || d.is_error();
    let errors: usize = files.iter().map(|f| f.diagnostics.iter().filter(|d| d.is_error()).count()).sum();
    let warnings: usize = files.iter().map(|f| f.diagnostics.len()).sum::<usize>() - errors;
    let mut out = std::io::stdout().lock();
    if args.json {
        let report: Vec<JsonFile> =
            files.iter().map(|f| JsonFile::new(f.path.clone(), &f.diagnostics, |d| shown(&d))).collect();
        let json = serde_json::to_string_pretty(
            &serde_json::json!({ "errors": errors, "warnings": warnings, "files": report }),
        )?;
        writeln!(out, "{json}")?;
    } else {
        for f in &files {
            for d in f.diagnostics.iter().filter(shown) {
                writeln!(out, "{}", d.with_path(Path::new(&f.path)))?;
            }
        }
        if !args.quiet {
            writeln!(
                out,
                "{}: {errors} error{}, {warnings} warning{}",
                targets.join(", "),
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            )?;
        }
    }
    Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
