//! `podmark build`.

use std::io::Write;
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
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let options = BuildOptions { episodes: args.episodes.clone(), out: args.out.clone() };
    let report = match build(&options) {
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
        writeln!(out, "Built \"{}\" from {} into {}:", report.show, args.episodes.display(), args.out.display())?;
        for e in &report.episodes {
            writeln!(out, "  {:<40} {:>3} chapters  {}", e.slug, e.chapters, e.title.as_deref().unwrap_or(""))?;
        }
        let bytes: u64 = report.files.iter().map(|f| f.bytes).sum();
        writeln!(out, "Wrote {} files ({bytes} bytes):", report.files.len())?;
        for f in &report.files {
            writeln!(out, "  {}/{} ({} bytes)", args.out.display(), f.path, f.bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
