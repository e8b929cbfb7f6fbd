//! `podmark mv`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::sources::rename::{MoveReport, move_episode};

/// Arguments of `podmark mv`.
#[derive(Debug, clap::Args)]
pub(crate) struct MvArgs {
    /// The episode folder's current name (`002-old`, or `episodes/002-old`).
    #[arg(value_name = "OLD")]
    old: String,
    /// Its new name: ASCII letters, digits, '-', '_' and '.'.
    #[arg(value_name = "NEW")]
    new: String,
    /// The show's episodes folder.
    #[arg(long, value_name = "DIR", default_value = "episodes")]
    episodes: PathBuf,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: MvArgs) -> anyhow::Result<ExitCode> {
    let report = move_episode(&args.episodes, &args.old, &args.new)?;
    // The rename is done: the exit status says so even if the report cannot be printed.
    if let Err(e) = print(&args, &report) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "podmark: renamed {} to {}, but could not print the report: {e}",
            report.from.display(),
            report.to.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print(args: &MvArgs, r: &MoveReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, r)?;
        return writeln!(out);
    }
    match (r.folder_moved, &r.guid) {
        (true, Some(guid)) => {
            writeln!(out, "Renamed {} to {}: GUID \"{guid}\" kept", r.from.display(), r.to.display())?;
            writeln!(out, "  {} updated: commit it with the folder", r.lock.display())?;
        }
        (true, None) => {
            writeln!(out, "Renamed {} to {}", r.from.display(), r.to.display())?;
            writeln!(out, "  never built: no GUID locked yet, nothing to move in {}", r.lock.display())?;
        }
        (false, guid) => {
            let guid = guid.as_deref().unwrap_or_default();
            writeln!(
                out,
                "{} was already renamed to {}: moved its entry in {}, GUID \"{guid}\" kept",
                r.from.display(),
                r.to.display(),
                r.lock.display()
            )?;
        }
    }
    Ok(())
}
