//! Writes chapters with mp4ameta 0.13 (both its Nero `chpl` list and its QuickTime chapter track),
//! for `scripts/bench-tag-mp4.sh` to compare with `podmark tag` and FFmpeg. Not part of podmark:
//! mp4ameta is only a dev-dependency, used here and nowhere else.
//!
//! ```sh
//! cargo run --release --example mp4ameta_chapters -- episode.m4a chapters.txt
//! ```
//!
//! The chapter file is read by podmark (any format it reads).

use std::process::ExitCode;
use std::time::Duration;

use podmark::formats::{Format, decode_text};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [audio, chapters] = args.as_slice() else {
        eprintln!("usage: mp4ameta_chapters AUDIO.m4a CHAPTERS");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(chapters) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{chapters}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(text) = decode_text(&bytes) else {
        eprintln!("{chapters}: not UTF-8");
        return ExitCode::FAILURE;
    };
    let format = Format::from_path(chapters).unwrap_or_else(|| Format::detect(text));
    let list = match format.read(text).into_chapters() {
        Ok(c) => c,
        Err(d) => {
            eprintln!("{chapters}: {} problem(s)", d.diagnostics.len());
            return ExitCode::FAILURE;
        }
    };
    let mut tag = match mp4ameta::Tag::read_from_path(audio) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{audio}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let converted: Vec<mp4ameta::Chapter> = list
        .iter()
        .map(|c| mp4ameta::Chapter::new(Duration::from_nanos(c.start.as_nanos()), c.title.clone()))
        .collect();
    tag.chapter_list_mut().clear();
    tag.chapter_list_mut().extend(converted.iter().cloned());
    tag.chapter_track_mut().clear();
    tag.chapter_track_mut().extend(converted);
    if let Err(e) = tag.write_to_path(audio) {
        eprintln!("{audio}: {e}");
        return ExitCode::FAILURE;
    }
    println!("{audio}: {} chapters written by mp4ameta", list.len());
    ExitCode::SUCCESS
}
