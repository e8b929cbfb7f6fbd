//! `podmark chapters check|convert`.

use std::process::ExitCode;

/// `podmark chapters …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ChaptersCommand {}

pub(crate) fn run(cmd: ChaptersCommand) -> anyhow::Result<ExitCode> {
    match cmd {}
}
