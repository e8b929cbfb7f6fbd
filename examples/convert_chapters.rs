//! Library use: read show notes, check them against Apple's rules, write Podcasting 2.0 JSON.
//!
//! ```sh
//! cargo run --example convert_chapters -- episodes/020-containers-with-red-hat/episode.md 52:00
//! ```

use std::process::ExitCode;

use podmark::Timestamp;
use podmark::formats::{Format, WriteOptions, decode_text};
use podmark::validate::{Profile, check_all};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), duration) = (args.next(), args.next()) else {
        eprintln!("usage: convert_chapters NOTES.md [DURATION]");
        return ExitCode::from(2);
    };
    match run(&path, duration.as_deref()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("convert_chapters: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(path: &str, duration: Option<&str>) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    let text = decode_text(&bytes)?;
    let duration: Option<Timestamp> = duration.map(str::parse).transpose()?;

    // 1. Read: show notes are Markdown with chapter lines anywhere.
    let mut parsed = Format::Notes.read(text);
    parsed.duration = duration;

    // 2. Check: every problem, with line and column.
    let problems = check_all(&parsed, &[Profile::Apple], duration);
    for d in &problems {
        eprintln!("{}", d.with_path(path.as_ref()));
    }
    if problems.iter().any(|d| d.is_error()) {
        return Ok(ExitCode::from(1));
    }

    // 3. Convert: a valid `Chapters` value, then any format.
    let title = parsed.title.clone();
    let chapters = parsed.into_chapters()?;
    let json = Format::Json.write(&chapters, &WriteOptions { title, ..WriteOptions::default() })?;
    print!("{json}");
    Ok(ExitCode::SUCCESS)
}
