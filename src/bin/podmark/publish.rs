//! `podmark publish`.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use podmark::publish::{Progress, S3Store, Summary, Target};

/// Arguments of `podmark publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// The folder to publish: what `podmark build` wrote.
    #[arg(value_name = "DIR", default_value = "feed")]
    dir: PathBuf,
    /// Bucket and key prefix, e.g. s3://podcasts/eigencast. Keys are PREFIX/<path in DIR>.
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    to: Target,
    /// S3-compatible server (MinIO, Ceph, Garage, Scality, R2, …), e.g. http://127.0.0.1:9000. Uses
    /// path-style addressing. Default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL, then AWS itself.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Region. Default: $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Show what would be uploaded and deleted, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Delete objects under the prefix that this publish does not use, after the new feed is up:
    /// removed files and earlier versions of changed ones. What the replaced feed points at is kept
    /// until the next publish with --delete.
    #[arg(long)]
    delete: bool,
    /// The destination's public base URL, where podcast apps will fetch the feed, e.g.
    /// https://cdn.example.com/show/. The feed's base URL (its `atom:link rel="self"`, set by
    /// `podmark build --base-url`) must be this one.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Publish even when the feed's base URL is a local address (127.0.0.1, localhost, 10.x,
    /// 192.168.x, *.local, …) or is not --public-url; a warning says so.
    #[arg(long)]
    force: bool,
    /// Uploads in flight at once (each file over 8 MiB also sends up to 4 parts at once). The feeds
    /// always go up last, one at a time, after every other file succeeded.
    #[arg(long, short, value_name = "N", default_value_t = podmark::publish::DEFAULT_JOBS,
          value_parser = jobs_in_range)]
    jobs: usize,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors (and no progress bar).
    #[arg(long, short)]
    quiet: bool,
}

/// `--jobs`: 1 to 256.
fn jobs_in_range(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n @ 1..=256) => Ok(n),
        _ => Err(format!("expected a number of uploads from 1 to 256, not {s:?}")),
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(crate) fn run(args: PublishArgs) -> anyhow::Result<ExitCode> {
    if !args.dir.is_dir() {
        anyhow::bail!("{} is not a folder (run `podmark build` first?)", args.dir.display());
    }
    // Before any request: a feed built for `podmark serve` would point podcast apps at this machine.
    if let Err(e) = podmark::publish::check_base(&args.dir, args.public_url.as_deref()) {
        match e {
            podmark::publish::PublishError::LocalBase { .. } | podmark::publish::PublishError::BaseMismatch { .. }
                if args.force =>
            {
                eprintln!("podmark: warning: publishing anyway (--force): {e}");
            }
            e => return Err(e.into()),
        }
    }
    let endpoint = args
        .endpoint
        .clone()
        .or_else(|| env_nonempty("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env_nonempty("AWS_ENDPOINT_URL"));
    let store = S3Store::new(&args.to, endpoint.as_deref(), args.region.as_deref())?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let summary = runtime.block_on(publish(&args, &store))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else if !args.quiet {
        writeln!(out, "{summary}")?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn publish(args: &PublishArgs, store: &S3Store) -> anyhow::Result<Summary> {
    let plan = podmark::publish::prepare(store, &args.dir, &args.to, args.delete).await?;
    let talk = !args.quiet && !args.json;
    if args.dry_run {
        if talk {
            let mut out = std::io::stdout().lock();
            for up in &plan.uploads {
                writeln!(
                    out,
                    "would upload {} ({:?}, {}, {} bytes, {}, {})",
                    up.key, up.reason, up.file.rel, up.file.size, up.file.content_type, up.file.cache_control
                )?;
            }
            for key in &plan.deletes {
                writeln!(out, "would delete {key}")?;
            }
        }
        return Ok(Summary::of_plan(&plan, true));
    }
    let total: u64 = plan.uploads.iter().map(|u| u.file.size).sum();
    let files = plan.uploads.len();
    let show_bar = talk && std::io::stdout().is_terminal() && std::io::stderr().is_terminal() && total > 0;
    let bar = show_bar.then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("0/{files} files"));
        bar
    });
    let mut done = 0usize;
    let mut fault = FaultHook::from_env();
    fault.check();
    let mut report = |p: Progress<'_>| {
        fault.step(&p);
        let line = match p {
            Progress::Start { .. } => None,
            Progress::Bytes { delta, .. } => {
                if let Some(bar) = &bar {
                    bar.inc(delta);
                }
                None
            }
            Progress::Uploaded { key, size } => {
                done += 1;
                if let Some(bar) = &bar {
                    bar.set_message(format!("{done}/{files} files"));
                }
                Some(format!("uploaded {key} ({size} bytes)"))
            }
            Progress::Deleted { key } => Some(format!("deleted {key}")),
        };
        if let (Some(line), true) = (line, talk) {
            match &bar {
                Some(bar) => bar.println(line),
                // A closed stdout (`| head`) must not stop (or panic) a publish halfway.
                None => {
                    let _ = writeln!(std::io::stdout(), "{line}");
                }
            }
        }
        ControlFlow::Continue(())
    };
    let result = podmark::publish::execute(store, &plan, args.jobs, &mut report).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    Ok(result?)
}

/// Fault injection for the kill tests (tests/publish.rs), in debug builds only: with
/// `PODMARK_FAULT_AFTER_STEPS=N`, the process sends itself SIGKILL (no destructors, no more
/// requests) once N steps (uploads and deletions) have completed, before anything else is sent.
/// N = 0 kills it before the first upload. Release builds ignore the variable.
struct FaultHook {
    after: Option<u64>,
    done: u64,
}

impl FaultHook {
    fn from_env() -> Self {
        let after = if cfg!(debug_assertions) {
            std::env::var("PODMARK_FAULT_AFTER_STEPS").ok().and_then(|v| v.parse().ok())
        } else {
            None
        };
        FaultHook { after, done: 0 }
    }

    fn step(&mut self, p: &Progress<'_>) {
        if matches!(p, Progress::Uploaded { .. } | Progress::Deleted { .. }) {
            self.done += 1;
            self.check();
        }
    }

    fn check(&self) {
        if self.after == Some(self.done) {
            // SIGKILL, as the user did; abort if `kill` cannot be run.
            let pid = std::process::id().to_string();
            let _ = std::process::Command::new("kill").args(["-KILL", &pid]).status();
            std::process::abort();
        }
    }
}
