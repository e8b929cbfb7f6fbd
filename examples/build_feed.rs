//! Library use: the whole `podmark build` as one call, then a look at what it made.
//!
//! ```sh
//! cargo run --example build_feed -- episodes /tmp/feed
//! ```

use std::process::ExitCode;

use podmark::build::{BuildError, BuildOptions, build};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let episodes = args.next().unwrap_or_else(|| "episodes".into());
    let out = args.next().unwrap_or_else(|| "feed".into());
    let options = BuildOptions::new(&episodes, &out);
    let mut progress = |done: usize, total: usize, what: &str| eprintln!("[{done}/{total}] {what}");
    match build(&options, &mut progress) {
        Ok(report) => {
            println!("{} -> {}", report.show, report.feed_url);
            for e in &report.episodes {
                println!(
                    "  {} {} ({} chapters, {}, {} bytes, GUID {})",
                    e.slug, e.title, e.chapters, e.duration, e.audio_bytes, e.guid
                );
            }
            ExitCode::SUCCESS
        }
        Err(BuildError::Sources(problems)) => {
            // Every problem at once, as path:line:col: error: message.
            for p in problems {
                eprintln!("{p}");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("build_feed: {e}");
            ExitCode::from(2)
        }
    }
}
