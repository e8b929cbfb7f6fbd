//! Another publishing tool using podmark with `default-features = false`: show notes to checked
//! chapters, JSON chapters, an MP3 tagged with them, and the MP3 probed, all with `?` on
//! `Box<dyn Error>`.
//!
//! ```sh
//! cargo run -- OUT-DIR
//! ```

use std::error::Error;
use std::path::PathBuf;

use podmark::formats::{Format, WriteOptions};
use podmark::probe::Probe;
use podmark::tag::TagOptions;
use podmark::{Chapters, Timestamp};

const NOTES: &str = "\
Our show about containers.

- 00:00 Intro
- 00:10 [Interview](https://example.com/guest)
- 00:20 Outtakes
";

/// Samples in one MPEG-1 Layer III frame, and the sample rate of [`silent_mp3`].
const FRAME_SAMPLES: u64 = 1152;
const RATE: u64 = 44_100;

/// `frames` silent MPEG-1 Layer III frames: 128 kbit/s, 44.1 kHz, mono, 417 bytes each.
fn silent_mp3(frames: usize) -> Vec<u8> {
    let mut frame = vec![0u8; 417];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0xC4]);
    frame.repeat(frames)
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: podmark-embedder OUT-DIR")?);
    std::fs::create_dir_all(&out)?;

    // 1. Show notes → a checked chapter list; a bad list is a `ParseError` that `?` can carry.
    let chapters: Chapters = Format::Notes.read(NOTES).into_chapters()?;
    let bad = Format::Notes.read("- 00:20 B\n- 00:10 A\n").into_chapters();
    let bad: Box<dyn Error> = Box::new(bad.err().ok_or("out-of-order chapters were accepted")?);
    if !bad.to_string().contains("2:3: error:") {
        return Err(format!("unexpected parse error: {bad}").into());
    }

    // 2. Podcasting 2.0 JSON chapters.
    let json = Format::Json.write(&chapters, &WriteOptions::default())?;
    std::fs::write(out.join("chapters.json"), &json)?;

    // 3. An MP3 of 30 s (1149 frames), tagged with the chapters.
    let frames: u64 = 1149;
    let mp3 = out.join("episode.mp3");
    std::fs::write(&mp3, silent_mp3(usize::try_from(frames)?))?;
    let report = podmark::tag::embed(&mp3, &chapters, &TagOptions::new())?;

    // 4. Probed: the exact duration; and the chapters read back from the tag.
    let info = Probe::new().probe_path(&mp3)?;
    let expected = Timestamp::from_ticks(frames * FRAME_SAMPLES, RATE).ok_or("duration out of range")?;
    if info.duration != expected {
        return Err(format!("probed {} but the file has {expected}", info.duration).into());
    }
    let back = podmark::tag::extract(&mp3)?;
    let titles: Vec<&str> = back.iter().map(|c| c.title.as_str()).collect();
    if titles != ["Intro", "Interview", "Outtakes"] {
        return Err(format!("chapters read back as {titles:?}").into());
    }

    println!(
        "{} chapters, {} bytes of JSON, {} ({}, {:?}), {}",
        chapters.len(),
        json.len(),
        mp3.display(),
        info.mime,
        report.mode,
        info.duration
    );
    Ok(())
}
