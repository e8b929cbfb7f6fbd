//! `podmark probe`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `podmark probe`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProbeArgs {
    /// Audio files to measure.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print stable JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let _ = (&args.files, args.json);
    anyhow::bail!("podmark probe is not implemented yet")
}
