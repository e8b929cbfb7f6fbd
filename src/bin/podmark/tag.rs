//! `podmark tag`: embed chapters into audio files, or strip them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use podmark::formats::{Format, Parsed, decode_text};
use podmark::tag::{Id3Version, TagError, TagOptions, TagReport, WriteMode};
use podmark::{Chapters, Diagnostic};

/// Arguments of `podmark tag`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["chapters", "notes", "strip_chapters"])))]
pub(crate) struct TagArgs {
    /// The audio file (MP3 or MP4/M4A/M4B), changed in place.
    #[arg(value_name = "AUDIO")]
    audio: PathBuf,
    /// Chapters from a chapter file in any format podmark reads (detected from the name or content).
    #[arg(long, value_name = "FILE")]
    chapters: Option<PathBuf>,
    /// Chapters from show notes (an `episode.md` with chapter lines).
    #[arg(long, value_name = "EPISODE.md")]
    notes: Option<PathBuf>,
    /// Remove all chapters; every other tag stays.
    #[arg(long)]
    strip_chapters: bool,
    /// Read the chapter file as this format instead of detecting it.
    #[arg(long, value_name = "FORMAT", requires = "chapters")]
    from: Option<Format>,
    /// ID3 version for MP3 files: 2.3 (default for new tags; what Apple's players read best) or
    /// 2.4. Without it an existing tag keeps its version.
    #[arg(long, value_name = "VERSION", value_parser = parse_id3)]
    id3: Option<Id3Version>,
    /// Padding to leave after the tag when the file has to be rewritten, so that the next edit
    /// happens in place.
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    padding: usize,
    /// Check everything and report what would happen, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_id3(s: &str) -> Result<Id3Version, String> {
    match s.trim().trim_start_matches(['v', 'V']) {
        "2.3" | "3" | "23" => Ok(Id3Version::V23),
        "2.4" | "4" | "24" => Ok(Id3Version::V24),
        other => Err(format!("unknown ID3 version \"{other}\" (expected 2.3 or 2.4)")),
    }
}

pub(crate) fn run(args: TagArgs) -> anyhow::Result<ExitCode> {
    let options = TagOptions::new().id3_version(args.id3).padding(args.padding).dry_run(args.dry_run);
    let result = if args.strip_chapters {
        podmark::tag::strip(&args.audio, &options)
    } else {
        let (source, format) = match (&args.chapters, &args.notes) {
            (Some(c), _) => (c, args.from),
            (None, Some(n)) => (n, Some(Format::Notes)),
            (None, None) => anyhow::bail!("give --chapters FILE, --notes EPISODE.md or --strip-chapters"),
        };
        let chapters = match load_chapters(source, format)? {
            Ok(c) => c,
            Err(code) => return Ok(code),
        };
        let base = source.parent().unwrap_or(Path::new(""));
        let chapters = podmark::tag::images_relative_to(&chapters, base);
        podmark::tag::embed(&args.audio, &chapters, &options)
    };
    let report = match result {
        Ok(r) => r,
        Err(e @ TagError::Chapters { .. }) => {
            eprintln!("podmark: error: {e}; nothing written");
            return Ok(ExitCode::from(1));
        }
        // Written in part or whole: saying "nothing written" would be false.
        Err(e) if !e.file_unchanged() => return Err(anyhow::Error::new(e)),
        Err(e) => return Err(anyhow::Error::new(e).context("nothing written")),
    };
    if !args.json {
        for w in &report.warnings {
            eprintln!("{}: warning: {w}", report.path.display());
        }
    }
    // The file is written: an error now is only about the report.
    print_report(&report, args.json, args.strip_chapters).map_err(|e| {
        let done = match report.mode {
            WriteMode::InPlace | WriteMode::Rewritten => "the file was written",
            WriteMode::Unchanged | WriteMode::DryRun => "nothing was written",
        };
        anyhow::Error::new(e).context(format!("{}: {done}, but the report could not be printed", report.path.display()))
    })?;
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &TagReport, json: bool, strip: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", summary(report, strip))?;
    }
    out.flush()
}

/// One line saying what happened.
fn summary(r: &TagReport, strip: bool) -> String {
    let what = if strip { "chapters removed".to_owned() } else { format!("{} chapters", r.chapters) };
    let how = match r.mode {
        WriteMode::InPlace => "written in place".to_owned(),
        WriteMode::Rewritten => format!("rewritten, {} → {} bytes", r.bytes_before, r.bytes_after),
        WriteMode::Unchanged => "already up to date, nothing written".to_owned(),
        WriteMode::DryRun => format!("dry run, nothing written ({} → {} bytes)", r.bytes_before, r.bytes_after),
    };
    format!("{}: {what}, {how}", r.path.display())
}

/// Reads and checks a chapter file; on errors prints every diagnostic and gives exit code 1.
fn load_chapters(path: &Path, from: Option<Format>) -> anyhow::Result<Result<Chapters, ExitCode>> {
    if path.is_dir() {
        anyhow::bail!("{}: is a directory, not a chapter file", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let parsed = match decode_text(&bytes) {
        Ok(text) => {
            let format = from.or_else(|| Format::from_path(path)).unwrap_or_else(|| Format::detect(text));
            format.read(text)
        }
        Err(d) => Parsed { diagnostics: vec![d], ..Parsed::default() },
    };
    let warnings: Vec<Diagnostic> = parsed.diagnostics.iter().filter(|d| !d.is_error()).cloned().collect();
    let none_found = parsed.no_chapters_message();
    let chapters = match parsed.into_chapters() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.with_path(path));
            let n = e.diagnostics.len();
            eprintln!("podmark: {n} error{} in {}; nothing written", if n == 1 { "" } else { "s" }, path.display());
            return Ok(Err(ExitCode::from(1)));
        }
    };
    for d in &warnings {
        eprintln!("{}", d.with_path(path));
    }
    if chapters.is_empty() {
        eprintln!("{}: error: {none_found}; nothing written", path.display());
        return Ok(Err(ExitCode::from(1)));
    }
    Ok(Ok(chapters))
}
