//! `podmark build`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::build::{BuildError, BuildOptions, build};

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
    let mut progress = |done: usize, total: usize, what: &str| {
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
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for w in &report.warnings {
        eprintln!("{w}");
    }
    if !args.quiet {
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
            report.probe_cache.0,
            report.probe_cache.1
        )?;
        for f in changed {
            writeln!(out, "  wrote {}/{} ({} bytes)", args.out.display(), f.path, f.bytes)?;
        }
        writeln!(out, "Feed: {}/feed.xml (to be served at {})", args.out.display(), report.feed_url)?;
    }
    Ok(ExitCode::SUCCESS)
}
