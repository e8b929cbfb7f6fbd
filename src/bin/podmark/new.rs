//! `podmark new`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::scaffold::{NewShowOptions, NewShowReport, new_show};

/// Arguments of `podmark new`.
#[derive(Debug, clap::Args)]
pub(crate) struct NewArgs {
    /// The show folder to create (or an empty folder to fill).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The show's title.
    #[arg(long)]
    title: Option<String>,
    /// Who makes it (also the owner's name).
    #[arg(long)]
    author: Option<String>,
    /// Where the built `feed/` folder will be served from, e.g. https://example.com/show/.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Language tag: en, en-au, de, fr-ca, … [default: en]
    #[arg(long, value_name = "TAG")]
    language: Option<String>,
    /// Apple category, optionally with a subcategory: "Technology", "Arts/Books". [default:
    /// Technology]
    #[arg(long, value_name = "NAME[/SUB]")]
    category: Option<String>,
    /// The owner's e-mail address, where Apple writes about the show.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    let mut options = NewShowOptions::new();
    options.title = args.title.clone();
    options.author = args.author.clone();
    options.base_url = args.base_url.clone();
    options.language = args.language.clone();
    options.category = args.category.clone();
    options.email = args.email.clone();
    let report = new_show(&args.dir, &options)?;
    // The show is made: the exit status says so even if the report cannot be printed.
    if let Err(e) = print(&args, &report) {
        let mut err = std::io::stderr().lock();
        let _ =
            writeln!(err, "podmark: created the show in {}, but could not print the report: {e}", args.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print(args: &NewArgs, report: &NewShowReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let cd = shell_word(&args.dir.to_string_lossy());
    let next = [
        format!("cd {cd}"),
        "podmark add PATH/TO/episode.mp3 --title \"Episode 1: Hello\"".to_owned(),
        "podmark build".to_owned(),
        "podmark check feed/feed.xml".to_owned(),
        "podmark serve".to_owned(),
    ];
    if args.json {
        let mut json = serde_json::to_value(report)?;
        if let Some(map) = json.as_object_mut() {
            map.insert("next".into(), next.as_slice().into());
        }
        serde_json::to_writer_pretty(&mut out, &json)?;
        return writeln!(out);
    }
    writeln!(out, "Created a new show in {}:", args.dir.display())?;
    for f in &report.created {
        writeln!(out, "  {}", args.dir.join(f).display())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Edit {} (still placeholders: {}),",
        args.dir.join("episodes/podcast.toml").display(),
        report.placeholders.join(", ")
    )?;
    writeln!(out, "then add an episode, build, check and listen:")?;
    writeln!(out)?;
    for n in &next {
        writeln!(out, "  {n}")?;
    }
    Ok(())
}

/// `s` quoted for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./+,:@%".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
