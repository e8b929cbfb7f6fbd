//! `podmark add`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::scaffold::{AddOptions, AddReport, add_episode};

/// Arguments of `podmark add`.
#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    /// The episode's audio file (MP3, M4A/MP4, Ogg, Opus, FLAC or WAV). It is copied, never
    /// changed.
    #[arg(value_name = "AUDIO")]
    audio: PathBuf,
    /// The episode title [default: the audio's title tag, else its file name].
    #[arg(long)]
    title: Option<String>,
    /// Publication date: 2026-12-01T09:00:00+10:00, or 2026-12-01 / 2026-12-01T09:00 taken in the
    /// show's `timezone` (podcast.toml; default UTC) [default: the audio's date tag, else its
    /// modification time].
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// The show's episodes folder.
    #[arg(long, value_name = "DIR", default_value = "episodes")]
    episodes: PathBuf,
    /// The folder name after NNN- (ASCII letters, digits, '-', '_', '.') [default: made from the
    /// title].
    #[arg(long)]
    slug: Option<String>,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: AddArgs) -> anyhow::Result<ExitCode> {
    let mut options = AddOptions::new(&args.episodes);
    options.title = args.title.clone();
    options.date = args.date.clone();
    options.slug = args.slug.clone();
    let r = add_episode(&args.audio, &options)?;
    // The episode is in place: the exit status says so even if the report cannot be printed.
    if let Err(e) = print(&args, &r) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "podmark: added episode {} in {}, but could not print the report: {e}",
            r.number,
            r.dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print(args: &AddArgs, r: &AddReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &r)?;
        return writeln!(out);
    }
    let mut err = std::io::stderr().lock();
    for w in &r.warnings {
        writeln!(err, "podmark: warning: {w}")?;
    }
    writeln!(out, "Added episode {} in {}", r.number, r.dir.display())?;
    writeln!(out, "  title     {} ({})", r.title, r.title_from.describe())?;
    writeln!(out, "  date      {} ({})", r.date, r.date_from.describe())?;
    writeln!(
        out,
        "  audio     {} ({:#.3}, {} bytes, copied from {})",
        r.audio.display(),
        r.duration,
        r.audio_bytes,
        args.audio.display()
    )?;
    match &r.image {
        Some(i) => writeln!(out, "  artwork   {} (from the audio's tags)", i.display())?,
        None => writeln!(out, "  artwork   the show's cover")?,
    }
    if r.chapters > 0 {
        writeln!(out, "  chapters  {} (from the audio)", r.chapters)?;
    } else {
        writeln!(out, "  chapters  none in the audio: add chapter lines to the notes")?;
    }
    writeln!(out, "  notes     {}", r.notes.display())?;
    writeln!(out)?;
    writeln!(out, "Next: write the show notes in {}, then", r.notes.display())?;
    writeln!(out, "  podmark build")?;
    writeln!(out, "  podmark check feed/feed.xml")
}
