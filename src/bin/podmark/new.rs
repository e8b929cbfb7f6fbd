//! `podmark new`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use podmark::scaffold::{NewShowOptions, new_show};

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
    options.title = args.title;
    options.author = args.author;
    options.base_url = args.base_url;
    options.language = args.language;
    options.category = args.category;
    options.email = args.email;
    let report = new_show(&args.dir, &options)?;
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
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "created": report, "next": next }))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
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
    Ok(ExitCode::SUCCESS)
}

/// `s` quoted for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./+,:@%".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
