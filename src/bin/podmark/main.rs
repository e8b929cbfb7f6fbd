//! The `podmark` command line: a thin layer over the library.
//!
//! Arguments are parsed by clap, each subcommand validates them into what it needs, and every
//! error reaches one printer here. Exit codes: 0 success, 1 problems found in the input (check,
//! probe failures), 2 usage or I/O errors. A closed standard output (`podmark … | head`) is not an
//! error: the command ends quietly with status 0, as if the reader had read everything (Rust
//! ignores SIGPIPE, so every write to stdout returns `BrokenPipe`, which the printer drops).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod add;
mod build;
mod chapters;
mod check;
#[cfg(feature = "import")]
mod import;
mod mv;
mod new;
mod probe;
#[cfg(feature = "hosting")]
mod publish;
mod report;
#[cfg(feature = "hosting")]
mod serve;
mod tag;

/// podmark: chapters, exact probing, tagging and feeds for podcasts.
///
/// Turns show notes with chapter timestamps into everything a podcast needs: chapter files in every
/// common format, chapters embedded in MP3 and MP4 audio, and an iTunes + Podcasting 2.0 feed.
#[derive(Debug, Parser)]
#[command(name = "podmark", version, about, long_about, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a show: podcast.toml, a placeholder cover, a README and a .gitignore.
    ///
    /// Makes DIR (new or empty; a non-empty folder is refused) with `episodes/podcast.toml` holding
    /// every field Apple needs, commented, with placeholders for what the options do not give;
    /// `episodes/cover.png`, a 1400×1400 RGB placeholder that passes Apple's artwork rules;
    /// `.gitignore` (feed/) and `README.md` with the next steps. The folder builds as it is.
    ///
    /// Examples:
    ///   podmark new my-show
    ///   podmark new my-show --title "My Show" --author "Ana Lee" \
    ///       --base-url https://example.com/show/
    ///   podmark new . --category "Society & Culture/Documentary" \
    ///       --language en-gb --json
    #[command(verbatim_doc_comment)]
    New(new::NewArgs),
    /// Add an episode from its audio file: the next `episodes/NNN-slug/` folder.
    ///
    /// Copies AUDIO into a new folder numbered after the highest one, and writes its
    /// `episode.md`: title (--title, else the audio's title tag, else its file name), number,
    /// date (--date, else the audio's date tag, else its modification time; a date without zone is
    /// in the show's `timezone`), the audio's
    /// embedded chapters as chapter lines, and show notes to edit. The audio's cover becomes the
    /// episode artwork when it meets Apple's rules. Run it in the show folder (or pass
    /// --episodes); the folder appears whole or not at all.
    ///
    /// Examples:
    ///   podmark add ~/recordings/ep1.mp3
    ///   podmark add interview.m4a --title "Episode 2: Containers" \
    ///       --date 2026-12-01T09:00:00+10:00
    ///   podmark add final.mp3 --slug pilot --episodes shows/mine/episodes --json
    #[command(verbatim_doc_comment)]
    Add(add::AddArgs),
    /// Build the podcast in `episodes/` into the hostable `feed/` folder.
    ///
    /// Reads `episodes/podcast.toml` and every `episodes/*/episode.md`, checks them all (chapters
    /// against the exact audio duration), and reports every problem at once; nothing is written if
    /// any source has an error. Then it writes, into `feed/`:
    ///   feed.xml                   the RSS feed (iTunes + Podcasting 2.0); with --page-size
    ///                              also feed-2.xml, feed-3.xml… for older episodes
    ///   cover.png                  the show artwork (podcast.toml `image`, same name)
    ///   audio/<episode>.<ext>      a copy of each audio file with its chapters embedded
    ///   chapters/<episode>.json    Podcasting 2.0 chapters (+ psc, vtt, … as podcast.toml asks)
    ///   images/<episode>.<ext>     an episode's own artwork, when its front matter names one
    ///   transcripts/<episode>.vtt  when the episode folder has a transcript
    ///   .podmark/                  build state: probe cache, lock (not served)
    /// and records each episode's GUID in `episodes/guids.lock` (commit it: GUIDs must never
    /// change). Episode sources are never modified; unchanged files are not rewritten, and a
    /// rebuild with no change returns at once. The feed switches as a whole: a failed build leaves
    /// the previous one in place.
    ///
    /// Examples:
    ///   podmark build
    ///   podmark build --base-url http://127.0.0.1:8080/ && podmark serve
    ///   podmark build --episodes shows/mine/episodes --out public --page-size 100
    ///   podmark build --json | jq '.files[] | select(.changed) | .path'
    #[command(verbatim_doc_comment)]
    Build(build::BuildArgs),
    /// Rename an episode folder and keep its GUID: moves its entry in episodes/guids.lock too.
    ///
    /// An episode's GUID is locked under its folder name in `episodes/guids.lock`; renaming the
    /// folder by hand leaves the entry behind, and a new GUID would make every subscriber's app
    /// download the episode again (`podmark build` stops or keeps the GUID when it recognises the
    /// audio). `podmark mv` renames the folder, then moves the entry, holding a lock on the episodes
    /// folder. If the folder was already renamed by hand, it moves only the entry. Refuses when OLD
    /// does not exist, NEW exists, or NEW was once an episode's folder (it has a lock entry).
    ///
    /// Examples:
    ///   podmark mv 002-draft 002-containers
    ///   podmark mv episodes/002-draft episodes/002-containers --json
    ///   podmark mv 002-draft 002-containers --episodes shows/mine/episodes
    ///   git add -A episodes && git commit -m "Rename episode 2"    (commit the lock with it)
    #[command(verbatim_doc_comment)]
    Mv(mv::MvArgs),
    /// Bring an existing podcast in from another host: every GUID, date and enclosure kept.
    ///
    /// Reads SOURCE (a feed URL, or a feed file) and writes an episodes folder that `podmark build`
    /// turns back into the same podcast: `podcast.toml` from the channel, one `YYYY-MM-DD-title`
    /// folder per episode with an `episode.md` (front matter, and the show notes converted from
    /// HTML to Markdown with chapter lines), and `guids.lock` with every GUID exactly as it was
    /// published, so no app downloads an episode twice.
    ///
    /// Redirects, `itunes:new-feed-url` and RFC 5005 pages (`atom:link rel="next"`) are followed.
    /// The audio stays where it is (each episode's `[enclosure]` table: url, length, type,
    /// duration), unless --download fetches it into the episode folders. Nothing is written when
    /// the source is not a podcast feed, and an existing folder is only added to with --update.
    /// The report says what was dropped or changed and why.
    ///
    /// Examples:
    ///   podmark import https://old-host.example/feed.rss          (audio stays on the old host)
    ///   podmark import https://old-host.example/feed.rss --download --jobs 8
    ///   podmark import old-feed.xml --episodes shows/mine/episodes --dry-run
    ///   podmark import https://old-host.example/feed.rss --update  (add new episodes only)
    ///   podmark build && podmark check feed/feed.xml             (then publish, and redirect)
    #[cfg(feature = "import")]
    #[command(verbatim_doc_comment)]
    Import(import::ImportArgs),
    /// Check and convert chapter lists (show notes, JSON, PSC, WebVTT, FFMETADATA, CUE, …).
    #[command(subcommand)]
    Chapters(chapters::ChaptersCommand),
    /// Validate a feed the way Apple Podcasts and Podcasting 2.0 apps read it, and check it against
    /// its files.
    ///
    /// FEED.xml: Apple and Podcasting 2.0 rules (required tags, exact namespaces, categories,
    /// explicit true/false, RFC 2822 dates, unique GUIDs and enclosures, artwork 1400-3000 px RGB,
    /// ...), then every URL under the feed's own folder (from atom:link rel="self") is checked
    /// against the file next to the feed: enclosure length = file size, itunes:duration = probed
    /// duration, chapters JSON parses and fits the audio, psc:chapters agree, GUIDs = lock file.
    /// URL: the same rules on the fetched feed, plus HEAD and a byte-range GET on every enclosure
    /// (Apple requires 206 Partial Content). EPISODES_DIR: the sources as `podmark build` reads
    /// them, audio probed, nothing written. Prints `path:line:col: error|warning: message`; exit 0
    /// clean, 1 problems found, 2 usage or I/O error.
    ///
    /// Examples:
    ///   podmark check feed/feed.xml
    ///   podmark check https://example.com/feed.xml --json
    ///   podmark check episodes
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
    /// Measure audio files exactly: duration, byte length, MIME type, chapters present.
    Probe(probe::ProbeArgs),
    /// Embed chapters into an MP3 or MP4 file, or strip them; every other tag stays.
    ///
    /// MP3 gets ID3v2.3 CHAP frames in time order plus one top-level, ordered CTOC (what Apple
    /// Podcasts, Overcast, Pocket Casts, VLC and ffmpeg read); the last chapter ends at the exact
    /// duration of the audio. The audio itself is never touched. When the new tag fits in the old
    /// one's space it is written in place; otherwise a new file is written next to the old one,
    /// synced and renamed over it. An error before the write leaves the file exactly as it was
    /// ("nothing written"); a failed in-place write says the file may hold the old or the new
    /// chapters. One podmark writes a file at a time; another waits up to 30 s
    /// (PODMARK_LOCK_TIMEOUT). Tagging twice gives a byte-identical file.
    ///
    /// Examples:
    ///   podmark tag episode.mp3 --notes episode.md
    ///   podmark tag episode.mp3 --chapters chapters.json --id3 2.4 --dry-run
    ///   podmark tag episode.mp3 --strip-chapters
    ///   podmark chapters extract episode.mp3 --to json   (read them back)
    #[command(verbatim_doc_comment)]
    Tag(tag::TagArgs),
    /// Preview the built feed over HTTP, the way podcast apps fetch it.
    ///
    /// Serves DIR (default `feed/`) with byte ranges (206, multipart/byteranges, 416), ETag and
    /// Last-Modified with 304 on conditional GET, and podcast MIME types (`application/rss+xml` for
    /// feeds, `audio/mpeg`, `audio/x-m4a`, `audio/opus`, `application/json+chapters`, `text/vtt`). One
    /// access-log line per request goes to stderr. Only this machine can connect unless --addr says
    /// otherwise. Paths that leave DIR (`..`, `%2e%2e`, `%2f`, symlinks) and dotfiles answer 404.
    ///
    /// Examples:
    ///   podmark serve                          # http://127.0.0.1:8080/feed.xml
    ///   podmark serve feed --addr 0.0.0.0:8080 # a phone on your network can subscribe
    ///   curl -r 100-199 http://127.0.0.1:8080/audio/020.mp3 -o part.bin
    #[cfg(feature = "hosting")]
    #[command(verbatim_doc_comment)]
    Serve(serve::ServeArgs),
    /// Upload the built feed to S3 or any S3-compatible storage (MinIO, Ceph, Garage, Scality, R2).
    ///
    /// Uploads only what changed (size and MD5/ETag, or the publish manifest), audio and chapters
    /// before the feed so the published feed never points at a missing file, with a Content-Type and
    /// Cache-Control per kind (feed 5 minutes; audio, chapters and images 1 day, or 1 year and
    /// `immutable` when the name has a content hash or version). Large audio goes up in 8 MiB parts.
    /// Nothing is deleted unless --delete. Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or
    /// ~/.aws/credentials (AWS_PROFILE). podmark does not create buckets. A feed built for this
    /// machine (base URL on 127.0.0.1, localhost, a private network or *.local) is refused before
    /// any request unless --force; --public-url makes sure the feed's base URL is the destination's.
    ///
    /// Examples:
    ///   podmark publish --to s3://podcasts/eigencast --dry-run
    ///   podmark publish --to s3://podcasts/eigencast \
    ///       --public-url https://cdn.example.com/eigencast/
    ///   podmark publish feed --to s3://podcasts/eigencast --region eu-central-1
    ///   podmark publish --to s3://podcasts/show --endpoint http://127.0.0.1:9000 \
    ///       --delete --json
    #[cfg(feature = "hosting")]
    #[command(verbatim_doc_comment)]
    Publish(publish::PublishArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::New(args) => new::run(args),
        Command::Add(args) => add::run(args),
        Command::Build(args) => build::run(args),
        Command::Chapters(cmd) => chapters::run(cmd),
        Command::Check(args) => check::run(args),
        Command::Mv(args) => mv::run(args),
        #[cfg(feature = "import")]
        Command::Import(args) => import::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Tag(args) => tag::run(args),
        #[cfg(feature = "hosting")]
        Command::Serve(args) => serve::run(args),
        #[cfg(feature = "hosting")]
        Command::Publish(args) => publish::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let broken_pipe = |c: &(dyn std::error::Error + 'static)| {
                let pipe = Some(std::io::ErrorKind::BrokenPipe);
                c.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == pipe
                    // serde_json's error hides the io::Error from `source()`.
                    || c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind) == pipe
            };
            if err.chain().any(broken_pipe) {
                return ExitCode::SUCCESS;
            }
            eprintln!("podmark: error: {err:#}");
            // A script that asked for JSON gets JSON on failure too (the shape of `check --json`).
            if std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json") {
                let _ = report::print_json_failure(&[], Some(&format!("{err:#}")));
            }
            ExitCode::from(2)
        }
    }
}
