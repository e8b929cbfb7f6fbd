//! The `podmark` command line: a thin layer over the library.
//!
//! Arguments are parsed by clap, each subcommand validates them into what it needs, and every
//! error reaches one printer here. Exit codes: 0 success, 1 problems found in the input (check,
//! probe failures), 2 usage or I/O errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod build;
mod chapters;
mod probe;

/// podmark: chapters, exact probing, tagging and feeds for podcasts.
///
/// Turns show notes with chapter timestamps into everything a podcast needs: chapter files in every
/// common format, chapters embedded in MP3 and MP4 audio, and an iTunes + Podcasting 2.0 feed.
#[derive(Debug, Parser)]
#[command(name = "podmark", version, about, long_about, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the podcast in `episodes/` into the hostable `feed/` folder.
    ///
    /// Reads `episodes/podcast.toml` and every `episodes/*/episode.md`, checks them all, and writes
    /// the chapter files (`feed/chapters/<episode>.json` and the formats the show asks for). Source
    /// files are never modified. Nothing is written if any source has an error.
    Build(build::BuildArgs),
    /// Check and convert chapter lists (show notes, JSON, PSC, WebVTT, FFMETADATA, CUE, …).
    #[command(subcommand)]
    Chapters(chapters::ChaptersCommand),
    /// Measure audio files exactly: duration, byte length, MIME type, chapters present.
    Probe(probe::ProbeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Chapters(cmd) => chapters::run(cmd),
        Command::Probe(args) => probe::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if err
                .chain()
                .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("podmark: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
