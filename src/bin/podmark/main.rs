//! The `podmark` command line: a thin layer over the library.
//!
//! Arguments are parsed by clap, each subcommand validates them into what it needs, and every
//! error reaches one printer here. Exit codes: 0 success, 1 problems found in the input (check,
//! probe failures), 2 usage or I/O errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod build;
mod chapters;
mod check;
mod probe;
mod tag;

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
    /// Validate a feed the way Apple Podcasts and Podcasting 2.0 apps read it, and check it against
    /// its files.
    ///
    /// FEED.xml: Apple and Podcasting 2.0 rules (required tags, exact namespaces, categories,
    /// explicit true/false, RFC 2822 dates, unique GUIDs and enclosures, artwork 1400-3000 px RGB,
    /// ...), then every URL under the feed's own folder (from atom:link rel="self") is checked
    /// against the file next to the feed: enclosure length = file size, itunes:duration = probed
    /// duration, chapters JSON parses and fits the audio, psc:chapters agree, GUIDs = lock file.
    /// URL: the same rules on the fetched feed, plus HEAD and a byte-range GET on every enclosure
    /// (Apple requires 206 Partial Content). EPISODES_DIR: the sources as `podmark build` reads
    /// them, audio probed, nothing written. Prints `path:line:col: error|warning: message`; exit 0
    /// clean, 1 problems found, 2 usage or I/O error.
    ///
    /// Examples:
    ///   podmark check feed/feed.xml
    ///   podmark check https://example.com/feed.xml --json
    ///   podmark check episodes
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
    /// Measure audio files exactly: duration, byte length, MIME type, chapters present.
    Probe(probe::ProbeArgs),
    /// Embed chapters into an MP3 or MP4 file, or strip them; every other tag stays.
    ///
    /// MP3 gets ID3v2.3 CHAP frames in time order plus one top-level, ordered CTOC (what Apple
    /// Podcasts, Overcast, Pocket Casts, VLC and ffmpeg read); the last chapter ends at the exact
    /// duration of the audio. The audio itself is never touched. When the new tag fits in the old
    /// one's space it is written in place; otherwise a new file is written next to the old one,
    /// synced and renamed over it. On any error the file is left exactly as it was. Tagging twice
    /// gives a byte-identical file.
    ///
    /// Examples:
    ///   podmark tag episode.mp3 --notes episode.md
    ///   podmark tag episode.mp3 --chapters chapters.json --id3 2.4 --dry-run
    ///   podmark tag episode.mp3 --strip-chapters
    ///   podmark chapters extract episode.mp3 --to json   (read them back)
    #[command(verbatim_doc_comment)]
    Tag(tag::TagArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Chapters(cmd) => chapters::run(cmd),
        Command::Check(args) => check::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Tag(args) => tag::run(args),
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
