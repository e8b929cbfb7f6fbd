//! `podmark chapters check|convert`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use podmark::formats::{Format, Parsed, WriteOptions, decode_text};
use podmark::validate::{Profile, check_all};
use podmark::{Diagnostic, Timestamp};
use serde::Serialize;

use crate::report::JsonDiagnostic;

/// `podmark chapters …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ChaptersCommand {
    /// Check chapter files or show notes and report every problem.
    ///
    /// Each problem is printed as `path:line:col: error|warning: message`, quoting the offending
    /// text. Show notes whose front matter names their audio (`audio = "episode.mp3"`, relative to
    /// the notes' folder) are checked against its exact duration unless --duration is given; a
    /// missing audio file is a warning. Exit code 0 when no errors were found (warnings allowed), 1
    /// when any file has errors, 2 on usage or I/O errors.
    ///
    /// Examples:
    ///   podmark chapters check episodes/*/episode.md
    ///   podmark chapters check chapters.json --profile podcasting2 --duration 52:00
    ///   podmark chapters check notes.md --profile apple,spotify,youtube --json
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Convert chapters from one format to another (stdout by default).
    ///
    /// The input format is detected from the file name or the content (show notes are the
    /// fallback: any text with chapter lines); `--from` overrides it. `-` reads standard input.
    ///
    /// Formats: notes (read only), text, json, psc, vtt, ffmetadata, cue, audacity, youtube,
    /// spotify, apple.
    ///
    /// A list the platform of --to would not take as chapters is refused, naming each rule it
    /// breaks (youtube: first at 0:00, at least 3 chapters, each at least 10 s; apple and spotify:
    /// first at 0, at least 3; json: absolute URLs), and nothing is written; --force writes it
    /// anyway. The platform's warnings are printed either way.
    ///
    /// Examples:
    ///   podmark chapters convert episodes/020-containers-with-red-hat/episode.md \
    ///       --to json --duration 52:00
    ///   podmark chapters convert chapters.vtt --to ffmetadata -o chapters.ffmeta
    ///   cat notes.txt | podmark chapters convert - --to youtube
    #[command(verbatim_doc_comment)]
    Convert(ConvertArgs),
    /// Read the chapters embedded in an audio file and write them in any format.
    ///
    /// MP3: ID3v2 CHAP frames (a CHAP that no CTOC lists comes back hidden); MP4/M4A/M4B: the
    /// chapter list. The last chapter's end is the duration. Standard output by default.
    ///
    /// Examples:
    ///   podmark chapters extract episode.mp3
    ///   podmark chapters extract episode.mp3 --to json -o chapters.json
    #[command(verbatim_doc_comment)]
    Extract(ExtractArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ExtractArgs {
    /// The audio file.
    #[arg(value_name = "AUDIO")]
    audio: PathBuf,
    /// The output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    to: Format,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "OUT")]
    output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InputArgs {
    /// Read the input as this format instead of detecting it.
    #[arg(long, value_name = "FORMAT")]
    from: Option<Format>,
    /// The audio's duration (e.g. 52:00 or 3120.5): chapters must end by then, and the last
    /// chapter ends there.
    #[arg(long, value_name = "TIME")]
    duration: Option<Timestamp>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Files to check (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// Rules to apply: strict, apple, youtube, spotify, podcasting2, id3, mp4 (comma-separated
    /// or repeated). `strict` always applies.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    profile: Vec<Profile>,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
    /// Do not print warnings.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ConvertArgs {
    /// The input file (`-` for standard input).
    #[arg(value_name = "IN")]
    input_path: PathBuf,
    /// The output format.
    #[arg(long, value_name = "FORMAT")]
    to: Format,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "OUT")]
    output: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// Episode title for formats that carry one (JSON, CUE, FFMETADATA); defaults to the show
    /// notes' front matter title.
    #[arg(long)]
    title: Option<String>,
    /// Audio file name for formats that carry one (CUE `FILE`, JSON `fileName`).
    #[arg(long, value_name = "NAME")]
    file_name: Option<String>,
    /// Write the list even when the platform of --to (youtube, spotify, apple; json: Podcasting
    /// 2.0) would reject it; its problems are still printed.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(cmd: ChaptersCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ChaptersCommand::Check(args) => check(args),
        ChaptersCommand::Convert(args) => convert(args),
        ChaptersCommand::Extract(args) => extract(args),
    }
}

/// Reads a file or stdin as bytes.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).context("cannot read standard input")?;
        return Ok(buf);
    }
    if path.is_dir() {
        anyhow::bail!("{}: is a directory, not a chapter file", path.display());
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn display_name(path: &Path) -> PathBuf {
    if path == Path::new("-") { PathBuf::from("<stdin>") } else { path.to_owned() }
}

/// Reads and parses one input; a decoding failure becomes a diagnostic.
fn load(path: &Path, from: Option<Format>) -> anyhow::Result<(Format, Parsed)> {
    let bytes = read_input(path)?;
    let text = match decode_text(&bytes) {
        Ok(t) => t,
        Err(d) => return Ok((from.unwrap_or(Format::Notes), Parsed { diagnostics: vec![d], ..Parsed::default() })),
    };
    let format = from.or_else(|| Format::from_path(path)).unwrap_or_else(|| Format::detect(text));
    Ok((format, format.read(text)))
}

/// The duration of the audio that show notes name in their front matter (`audio = "…"`, relative
/// to the notes' folder), probed exactly; or, when it cannot be read, a warning at the `audio` key
/// that says why and that chapters were not checked against the audio's end.
fn notes_audio_duration(path: &Path) -> (Option<Timestamp>, Option<Diagnostic>) {
    if path == Path::new("-") {
        return (None, None);
    }
    let Ok(bytes) = std::fs::read(path) else { return (None, None) };
    let Ok(text) = decode_text(&bytes) else { return (None, None) };
    let Some(audio) = podmark::shownotes::parse(text).meta.and_then(|m| m.audio) else { return (None, None) };
    let file = path.parent().unwrap_or(Path::new("")).join(&audio);
    let at = podmark::episode::front_matter_key(text, "audio").map(podmark::diagnostic::Location::from);
    let why = match podmark::probe::probe_path(&file) {
        Ok(info) => return (Some(info.duration), None),
        Err(_) if !file.exists() => "is missing".to_owned(),
        Err(e) => format!("cannot be probed ({e})"),
    };
    let message = format!(
        "audio {} {why}: chapters are not checked against its end; pass --duration to check them",
        file.display()
    );
    (None, Some(Diagnostic::warning("audio-missing", at, message)))
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    format: Format,
    chapters: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic>,
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut profiles = vec![Profile::Strict];
    profiles.extend(args.profile.iter().copied().filter(|p| *p != Profile::Strict));
    let mut reports = Vec::new();
    let mut any_errors = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &args.files {
        let (format, parsed) = load(path, args.input.from)?;
        let (duration, audio_warning) = match args.input.duration {
            Some(d) => (Some(d), None),
            None if format == Format::Notes => notes_audio_duration(path),
            None => (None, None),
        };
        let mut diags = check_all(&parsed, &profiles, duration);
        diags.extend(audio_warning);
        let errors = diags.iter().filter(|d| d.is_error()).count();
        any_errors |= errors > 0;
        let name = display_name(path);
        if args.json {
            reports.push(FileReport {
                path: name.display().to_string(),
                format,
                chapters: parsed.entries.len(),
                errors,
                warnings: diags.len() - errors,
                diagnostics: diags.iter().filter(|d| !args.quiet || d.is_error()).map(JsonDiagnostic::from).collect(),
            });
        } else {
            for d in diags.iter().filter(|d| !args.quiet || d.is_error()) {
                writeln!(out, "{}", d.with_path(&name))?;
            }
            if !args.quiet {
                let warnings = diags.len() - errors;
                writeln!(
                    out,
                    "{}: {} chapters ({format}), {errors} error{}, {warnings} warning{}",
                    name.display(),
                    parsed.entries.len(),
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" },
                )?;
            }
        }
    }
    if args.json {
        let profiles: Vec<&str> = profiles.iter().map(|p| p.name()).collect();
        let errors: usize = reports.iter().map(|r| r.errors).sum();
        let warnings: usize = reports.iter().map(|r| r.warnings).sum();
        let value =
            serde_json::json!({ "errors": errors, "warnings": warnings, "profiles": profiles, "files": reports });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    }
    Ok(if any_errors { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn convert(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let (_format, parsed) = load(&args.input_path, args.input.from)?;
    let name = display_name(&args.input_path);
    let title = args.title.clone().or_else(|| parsed.title.clone());
    let duration = args.input.duration.or(parsed.duration);
    let warnings: Vec<Diagnostic> = parsed.diagnostics.iter().filter(|d| !d.is_error()).cloned().collect();
    let mut parsed = parsed;
    parsed.duration = duration;
    let none_found = parsed.no_chapters_message();
    let platform = Profile::for_format(args.to);
    let platform_problems = platform.map(|p| p.platform_problems(&parsed, duration)).unwrap_or_default();
    let chapters = match parsed.into_chapters() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.with_path(&name));
            let n = e.diagnostics.len();
            eprintln!("podmark: {n} error{} in {}; nothing written", if n == 1 { "" } else { "s" }, name.display());
            return Ok(ExitCode::from(1));
        }
    };
    for d in &warnings {
        eprintln!("{}", d.with_path(&name));
    }
    if chapters.is_empty() {
        eprintln!("{}: error: {none_found}", name.display());
        return Ok(ExitCode::from(1));
    }
    for d in &platform_problems {
        eprintln!("{}", d.with_path(&name));
    }
    let rejected = platform_problems.iter().filter(|d| d.is_error()).count();
    if let (Some(platform), true) = (platform, rejected > 0) {
        let s = if rejected == 1 { "" } else { "s" };
        if !args.force {
            eprintln!(
                "podmark: {rejected} problem{s} the {platform} profile rejects; nothing written \
                 (--force writes the list anyway; `podmark chapters check --profile {platform}` shows the rules)"
            );
            return Ok(ExitCode::from(1));
        }
        eprintln!("podmark: writing anyway (--force): {platform} will not accept this list as chapters");
    }
    let options = WriteOptions { title, file_name: args.file_name.clone(), ..WriteOptions::default() };
    let text = args.to.write(&chapters, &options)?;
    emit(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `path` atomically (temporary file in the same folder, fsync, rename), or to
/// standard output when there is no path.
fn emit(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            podmark::formats::write_file(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

fn extract(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let chapters = podmark::tag::extract(&args.audio)?;
    if chapters.is_empty() {
        eprintln!("{}: error: the file has no chapters", args.audio.display());
        return Ok(ExitCode::from(1));
    }
    let file_name = args.audio.file_name().map(|n| n.to_string_lossy().into_owned());
    let options = WriteOptions { file_name, ..WriteOptions::default() };
    let text = args.to.write(&chapters, &options)?;
    emit(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
