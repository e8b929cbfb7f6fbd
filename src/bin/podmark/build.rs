//! `podmark build`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::build::{BuildError, BuildOptions, WAITING_FOR_LOCK, build};
use podmark::sources::SourceDiagnostic;

use crate::report::{JsonFile, print_json_failure};

/// Arguments of `podmark build`.
#[derive(Debug, clap::Args)]
pub(crate) struct BuildArgs {
    /// The sources: `podcast.toml` and one folder per episode with an `episode.md`.
    #[arg(long, value_name = "DIR", default_value = "episodes")]
    episodes: PathBuf,
    /// Where to write the hostable output.
    #[arg(long, value_name = "DIR", default_value = "feed")]
    out: PathBuf,
    /// Serve the feed from this URL instead of the show's `base_url` (e.g. to test on
    /// http://127.0.0.1:8080/). The show's `podcast:guid` stays the same.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Accept GUIDs that differ from `episodes/guids.lock` and record them. Podcast apps will list
    /// and download those episodes again.
    #[arg(long)]
    allow_guid_change: bool,
    /// Split the feed into pages of N episodes (RFC 5005): `feed.xml` holds the newest N, and
    /// `feed-2.xml`, `feed-3.xml`… the older ones, linked with `atom:link rel="next"`. Apps such as
    /// gPodder follow the links; use it for large back catalogues.
    #[arg(long, value_name = "N")]
    page_size: Option<std::num::NonZeroUsize>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let mut options = BuildOptions::new(&args.episodes, &args.out);
    options.base_url = args.base_url.clone();
    options.allow_guid_change = args.allow_guid_change;
    options.page_size = args.page_size;
    let bar = (!args.quiet && !args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} episodes {wide_bar} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let quiet = args.quiet;
    let mut progress = |done: usize, total: usize, what: &str| {
        if total == WAITING_FOR_LOCK {
            if !quiet {
                eprintln!("podmark: {what}");
            }
            return;
        }
        if let Some(bar) = &bar
            && total > 3
        {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(what.to_owned());
        }
    };
    let result = build(&options, &mut progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(BuildError::Sources(problems)) => {
            if args.json {
                print_json_failure(&JsonFile::from_sources(&problems), None)?;
            }
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "podmark: build stopped: {} problem{} in the sources; nothing written",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            if args.json {
                print_json_failure(&[], Some(&format!("build failed: {e}")))?;
            }
            eprintln!("podmark: build failed: {e}");
            if e.previous_feed_is_live() {
                eprintln!(
                    "podmark: {}/feed.xml is still the previous feed, and every file it lists is as it was",
                    args.out.display()
                );
            }
            return Ok(ExitCode::from(1));
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_warnings(&report.warnings, &args.episodes);
    if !args.quiet {
        if report.up_to_date {
            writeln!(out, "Up to date: no source or output changed since the last build (nothing probed or read)")?;
        }
        writeln!(out, "Built \"{}\" from {} into {}", report.show, args.episodes.display(), args.out.display())?;
        for e in &report.episodes {
            writeln!(
                out,
                "  {}  {} chapters, {:#.3}, {} bytes{}  {}",
                e.slug,
                e.chapters,
                e.duration,
                e.audio_bytes,
                if e.audio_tagged { ", tagged" } else { "" },
                e.title
            )?;
        }
        let changed: Vec<_> = report.files.iter().filter(|f| f.changed).collect();
        writeln!(
            out,
            "{} files, {} written, {} unchanged; probe cache {} hits, {} misses",
            report.files.len(),
            changed.len(),
            report.files.len() - changed.len(),
            report.probe_cache.hits,
            report.probe_cache.misses
        )?;
        for f in changed {
            writeln!(out, "  wrote {}/{} ({} bytes)", args.out.display(), f.path, f.bytes)?;
        }
        writeln!(out, "Feed: {}/feed.xml (to be served at {})", args.out.display(), report.feed_url)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Warnings shown in full before the rest are summed up by kind.
const WARNINGS_SHOWN: usize = 20;

/// Prints the first [`WARNINGS_SHOWN`] warnings, then one line per kind of warning for the rest (a
/// generated back catalogue can have tens of thousands, all alike). `--json` lists them all.
fn print_warnings(warnings: &[SourceDiagnostic], episodes: &std::path::Path) {
    let mut err = std::io::stderr().lock();
    for w in warnings.iter().take(WARNINGS_SHOWN) {
        let _ = writeln!(err, "{w}");
    }
    let rest = warnings.get(WARNINGS_SHOWN..).unwrap_or_default();
    if rest.is_empty() {
        return;
    }
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for w in rest {
        let kind = warning_kind(&w.diagnostic.message);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind, 1)),
        }
    }
    for (kind, n) in &kinds {
        let _ = writeln!(err, "warning: …and {} more like \"{kind}\"", thousands(*n));
    }
    let _ = writeln!(
        err,
        "podmark: {} warnings in all ({} not shown); `podmark check {}` or `podmark build --json` lists them all",
        thousands(warnings.len()),
        thousands(rest.len()),
        episodes.display()
    );
}

/// What a warning's message says without the numbers and quoted text that vary: `chapter is 0.300 s
/// long; … "- 00:00 Intro"` → `chapter is # s long; …`.
fn warning_kind(message: &str) -> String {
    let message = message.split_once('"').map_or(message, |(m, _)| m).trim_end_matches([' ', ':']);
    let mut kind = String::with_capacity(message.len());
    let mut in_number = false;
    for c in message.chars() {
        if c.is_ascii_digit() || (in_number && c == '.') {
            if !in_number {
                kind.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            kind.push(c);
        }
    }
    kind
}

/// `29980` → `29,980`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_of_one_kind_differ_only_in_place_numbers_and_quotes() {
        let a = warning_kind("chapter is 0.300 s long; a chapter shorter than 1 s is hard to hit: \"- 00:00 Intro\"");
        let b = warning_kind("chapter is 12.5 s long; a chapter shorter than 1 s is hard to hit: \"- x\"");
        assert_eq!(a, "chapter is # s long; a chapter shorter than # s is hard to hit");
        assert_eq!(a, b);
        assert_ne!(a, warning_kind("title is empty"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(29_980), "29,980");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
