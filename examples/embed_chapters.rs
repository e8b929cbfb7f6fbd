//! Library use: embed the chapters of show notes into an audio file, read them back, strip them.
//!
//! ```sh
//! cp episodes/020-containers-with-red-hat/episode.mp3 /tmp/episode.mp3
//! cargo run --example embed_chapters -- /tmp/episode.mp3 episodes/020-containers-with-red-hat/episode.md
//! cargo run --example embed_chapters -- /tmp/episode.mp3 --strip
//! ```

use std::path::Path;
use std::process::ExitCode;

use podmark::formats::{Format, WriteOptions, decode_text};
use podmark::tag::{Id3Version, TagError, TagOptions, WriteMode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [audio, source] = args.as_slice() else {
        eprintln!("usage: embed_chapters AUDIO (NOTES.md | CHAPTERS-FILE | --strip)");
        return ExitCode::from(2);
    };
    match run(Path::new(audio), source) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("embed_chapters: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(audio: &Path, source: &str) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // ID3v2.3 is the default for MP3 (Apple's players read it best); 4 KiB of padding is left
    // when the file has to be rewritten, so the next edit happens in place.
    let options = TagOptions::new().id3_version(Some(Id3Version::V23)).padding(4096);

    if source == "--strip" {
        let report = podmark::tag::strip(audio, &options)?;
        println!("{}: chapters removed ({:?})", audio.display(), report.mode);
        return Ok(ExitCode::SUCCESS);
    }

    // 1. Read the chapters: any format podmark knows, detected from the name or the content.
    let path = Path::new(source);
    let bytes = std::fs::read(path)?;
    let text = decode_text(&bytes)?;
    let format = Format::from_path(path).unwrap_or_else(|| Format::detect(text));
    let chapters = match format.read(text).into_chapters() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.with_path(path));
            return Ok(ExitCode::from(1));
        }
    };
    // Chapter images are paths relative to the chapter file.
    let chapters = podmark::tag::images_relative_to(&chapters, path.parent().unwrap_or(Path::new("")));

    // 2. Embed. The file's exact duration is probed: the last chapter ends there, and a chapter
    //    past it is an error that leaves the file untouched.
    let report = match podmark::tag::embed(audio, &chapters, &options) {
        Ok(r) => r,
        Err(e @ TagError::Chapters { .. }) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let how = match report.mode {
        WriteMode::InPlace => "in place",
        WriteMode::Rewritten => "rewritten through a temporary file",
        WriteMode::Unchanged => "unchanged: it already had these chapters",
        WriteMode::DryRun => "dry run",
    };
    println!("{}: {} chapters, {how}", audio.display(), report.chapters);
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }

    // 3. Read them back, as any chapter format.
    let back = podmark::tag::extract(audio)?;
    print!("{}", Format::Text.write(&back, &WriteOptions::default())?);
    Ok(ExitCode::SUCCESS)
}
