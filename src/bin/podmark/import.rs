//! `podmark import`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::import::{ImportOptions, ImportReport, import};

/// Arguments of `podmark import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// The feed to import: its URL (http:// or https://) or a feed file.
    #[arg(value_name = "URL|FILE")]
    source: String,
    /// The episodes folder to write (must not exist yet, unless --update).
    #[arg(long, value_name = "DIR", default_value = "episodes")]
    episodes: PathBuf,
    /// Download every enclosure into its episode folder (else the audio stays on the old host and
    /// the feed keeps pointing there).
    #[arg(long)]
    download: bool,
    /// Parallel downloads with --download.
    #[arg(long, value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// Read the feed and report what would be imported; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Add the source's new episodes to an existing episodes folder. Never rewrites an
    /// episode.md or a recorded GUID; episodes that differ from the source are reported.
    #[arg(long)]
    update: bool,
    /// `base_url` for podcast.toml: where feed/ will be hosted (default: the source's folder;
    /// change it before you publish).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let mut options = ImportOptions::new(args.source.clone(), args.episodes.clone());
    options.download = args.download;
    options.jobs = args.jobs.max(1);
    options.dry_run = args.dry_run;
    options.update = args.update;
    options.base_url = args.base_url.clone();
    let bar = (args.download && !args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{wide_bar} {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let result = import(&options, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &args, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(out: &mut impl Write, args: &ImportArgs, r: &ImportReport) -> std::io::Result<()> {
    let verb = if r.dry_run { "would import" } else { "imported" };
    writeln!(
        out,
        "{verb} {} episodes from {} ({} page{}) into {}",
        r.imported.len(),
        r.feed,
        r.pages,
        if r.pages == 1 { "" } else { "s" },
        args.episodes.display()
    )?;
    if args.update {
        writeln!(out, "{} already there and unchanged, {} changed (not rewritten)", r.unchanged, r.changed.len())?;
    }
    if r.downloaded > 0 {
        writeln!(out, "downloaded {} enclosures ({} bytes)", r.downloaded, r.downloaded_bytes)?;
    }
    for (head, list) in [("changed", &r.changed), ("dropped", &r.dropped), ("notes", &r.notes)] {
        if !list.is_empty() {
            writeln!(out, "{head}:")?;
            for n in list {
                writeln!(out, "  {n}")?;
            }
        }
    }
    if !r.dry_run && !args.update {
        writeln!(
            out,
            "next: set base_url in {}/podcast.toml to the new address, then podmark build, podmark check, podmark publish",
            args.episodes.display()
        )?;
    }
    Ok(())
}
