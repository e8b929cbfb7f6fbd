//! `podmark import`: an existing podcast (a feed URL or file from another host) as an
//! `episodes/` tree that `podmark build` turns back into the same podcast.
//!
//! - The feed is fetched ([`fetch`]: redirects one by one, `itunes:new-feed-url`, RFC 5005
//!   `atom:link rel="next"` pages, gzip, a User-Agent, a size limit) and read with the one XML
//!   reader ([`crate::check::xml`]).
//! - `podcast.toml` gets the channel; each item becomes `YYYY-MM-DD-slug/episode.md` with its
//!   front matter, notes converted from HTML to Markdown (htmd) and chapter lines; the audio stays
//!   where it is (`[enclosure]`) unless [`ImportOptions::download`] fetches it ([`download`]).
//! - Every GUID goes into `guids.lock` exactly as published, with its `isPermaLink`.
//! - Everything is written into a staging folder beside the target and renamed into place at the
//!   end; bad input writes nothing. [`ImportOptions::update`] adds new items to an existing tree
//!   and never rewrites an `episode.md` or a GUID.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::LineIndex;
use crate::sources::guid_lock::GuidLock;

pub mod download;
pub mod fetch;
mod source;

use source::{SourceItem, SourceShow};

/// The largest feed page podmark reads: 32 MiB.
pub const MAX_FEED_BYTES: u64 = 32 << 20;
/// The largest chapters file or transcript podmark fetches: 4 MiB.
pub const MAX_SIDE_FILE_BYTES: u64 = 4 << 20;
/// The most feed pages (RFC 5005) one import follows.
pub const MAX_PAGES: usize = 1000;

/// What to import and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportOptions {
    /// A feed URL (`https://…`) or a local feed file.
    pub source: String,
    /// The `episodes/` folder to write.
    pub episodes: PathBuf,
    /// Fetch every enclosure into its episode folder (else the audio stays on the old host).
    pub download: bool,
    /// Parallel transfers for [`download`](Self::download).
    pub jobs: usize,
    /// Read and report only; write nothing.
    pub dry_run: bool,
    /// Add new items to an existing `episodes/` (never rewriting an `episode.md` or a GUID).
    pub update: bool,
    /// `base_url` for `podcast.toml` (where `feed/` will be hosted); default: the source's folder.
    pub base_url: Option<String>,
    /// Flush the written tree to disk (one `syncfs(2)`) before it is renamed into place (default
    /// true). `syncfs` flushes everything pending on that filesystem, so on a machine busy writing
    /// it can take seconds; without it a crash right after an import may leave empty files.
    pub durable: bool,
}

impl ImportOptions {
    /// Import `source` into `episodes`, audio left where it is.
    pub fn new(source: impl Into<String>, episodes: impl Into<PathBuf>) -> Self {
        ImportOptions {
            source: source.into(),
            episodes: episodes.into(),
            download: false,
            jobs: 4,
            dry_run: false,
            update: false,
            base_url: None,
            durable: true,
        }
    }
}

/// Something dropped, changed or worth knowing, about the show or one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The item's title (`None`: the show).
    pub item: Option<String>,
    /// A stable code (`no-enclosure`, `date-fixed`, `guid-duplicate`, …).
    pub code: &'static str,
    /// What happened and why.
    pub message: String,
}

impl Note {
    fn show(code: &'static str, message: String) -> Note {
        Note { item: None, code, message }
    }
    fn item(title: &str, code: &'static str, message: String) -> Note {
        Note { item: Some(title.to_owned()), code, message }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.item {
            Some(i) => write!(f, "{}: {} [{}]", crate::diagnostic::quote(i), self.message, self.code),
            None => write!(f, "show: {} [{}]", self.message, self.code),
        }
    }
}

/// One imported episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Its folder name.
    pub folder: String,
    /// Its GUID, as published.
    pub guid: String,
    /// Its title.
    pub title: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// The feed URL (or file) finally read, after redirects and `itunes:new-feed-url`.
    pub feed: String,
    /// Feed pages read.
    pub pages: usize,
    /// Episodes written (new ones only, with `--update`).
    pub imported: Vec<Imported>,
    /// Episodes already in `episodes/` and unchanged (`--update`).
    pub unchanged: usize,
    /// Episodes already in `episodes/` whose source differs from what is there: not rewritten.
    pub changed: Vec<Note>,
    /// Items not imported, and why.
    pub dropped: Vec<Note>,
    /// What was fixed or left out on the way (unknown elements, fixed dates, categories).
    pub notes: Vec<Note>,
    /// Enclosures downloaded (`--download`) and their bytes.
    pub downloaded: usize,
    /// Bytes downloaded.
    pub downloaded_bytes: u64,
    /// Nothing was written (`--dry-run`).
    pub dry_run: bool,
}

/// Why an import stopped (nothing was written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The source could not be fetched (HTTP status, redirect loop, size limit, network).
    #[error("{url}: {message}")]
    Fetch {
        /// What was fetched.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// The source is not a podcast feed (an HTML page, invalid XML, no channel, no episodes).
    #[error("{url}: {message}")]
    NotAFeed {
        /// The feed (with `:line:col` for invalid XML).
        url: String,
        /// Why it is not a feed.
        message: String,
    },
    /// `episodes/` exists and `--update` was not given.
    #[error("{}: already exists; pass --update to add new episodes to it (nothing is overwritten), or choose another folder with --episodes", .0.display())]
    Exists(PathBuf),
    /// `--update` on a folder without `podcast.toml`.
    #[error("{}: no podcast.toml here to update; run without --update to import into a new folder", .0.display())]
    NothingToUpdate(PathBuf),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A download failed (after its retries).
    #[error("{0}")]
    Download(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io { path: path.to_owned(), source }
}

/// A progress callback: `(done, total)` bytes of the downloads.
pub type Progress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// The whole source: channel (of the first page) and every item of every page.
struct Source {
    url: String,
    original: String,
    pages: usize,
    show: SourceShow,
    items: Vec<SourceItem>,
}

/// Reads the source: redirects, `itunes:new-feed-url` and pages followed.
fn read_source(fetcher: &fetch::Fetcher, source: &str, report: &mut ImportReport) -> Result<Source, ImportError> {
    let mut unknown = source::Unknown::new();
    let mut notes = Vec::new();
    let mut dropped = Vec::new();
    let mut url = source.to_owned();
    let mut moved = HashSet::new();
    let (show, first_items, final_url) = loop {
        let fetched = fetcher.get(&url, MAX_FEED_BYTES)?;
        let root = parse_feed(&fetched.url, &fetched.bytes)?;
        let ch = channel_of(&fetched.url, &root)?;
        let show = source::channel(ch, &mut unknown, &mut notes);
        if let Some(new) = show.new_feed_url.clone().filter(|n| *n != fetched.url && fetch::is_url(n))
            && moved.insert(fetched.url.clone())
            && !moved.contains(&new)
        {
            notes.push(Note::show(
                "new-feed-url",
                format!("{} moved to {new} (itunes:new-feed-url); read it there", fetched.url),
            ));
            url = new;
            continue;
        }
        break (show, ch.children.clone(), fetched.url);
    };
    let mut items = Vec::new();
    let mut read_items = |children: &[crate::check::xml::Element], items: &mut Vec<SourceItem>| {
        for it in children.iter().filter(|c| c.is(None, "item")) {
            match source::item(it, &mut unknown, &mut notes) {
                Ok(i) => items.push(i),
                Err(n) => dropped.push(n),
            }
        }
    };
    read_items(&first_items, &mut items);
    let mut pages = 1;
    let mut next = show.next_page.clone().map(|n| fetch::resolve(&final_url, &n));
    let mut seen = HashSet::from([final_url.clone()]);
    while let Some(page) = next.take() {
        if !seen.insert(page.clone()) || pages >= MAX_PAGES {
            notes.push(Note::show(
                "paging-loop",
                format!("page {page} was already read; stopped following rel=\"next\""),
            ));
            break;
        }
        let fetched = fetcher.get(&page, MAX_FEED_BYTES)?;
        let root = parse_feed(&fetched.url, &fetched.bytes)?;
        let ch = channel_of(&fetched.url, &root)?;
        let mut ignored = Vec::new();
        let p = source::channel(ch, &mut source::Unknown::new(), &mut ignored);
        read_items(&ch.children, &mut items);
        pages += 1;
        next = p.next_page.map(|n| fetch::resolve(&fetched.url, &n));
    }
    for (name, n) in unknown {
        notes.push(Note::show("unknown-element", format!("<{name}> ({n}×) is not something podmark writes; left out")));
    }
    report.notes.extend(notes);
    report.dropped.extend(dropped);
    if show.title.is_empty() {
        return Err(ImportError::NotAFeed { url: final_url, message: "the channel has no <title>".into() });
    }
    if items.is_empty() {
        return Err(ImportError::NotAFeed {
            url: final_url,
            message: "the channel has no episodes (no <item> with an <enclosure>)".into(),
        });
    }
    Ok(Source { url: final_url, original: source.to_owned(), pages, show, items })
}

fn parse_feed(url: &str, bytes: &[u8]) -> Result<crate::check::xml::Element, ImportError> {
    let not = |message: String| ImportError::NotAFeed { url: url.to_owned(), message };
    let text = crate::check::decode(bytes).map_err(|d| not(d.message))?;
    if source::looks_like_html(text) {
        return Err(not(
            "this is an HTML page, not a feed; use the feed's own URL (often linked as RSS on the page)".into()
        ));
    }
    crate::check::xml::parse(text).map_err(|e| {
        let at = LineIndex::new(text).position(e.offset);
        ImportError::NotAFeed { url: format!("{url}:{at}"), message: format!("invalid XML: {}", e.message) }
    })
}

fn channel_of<'a>(
    url: &str,
    root: &'a crate::check::xml::Element,
) -> Result<&'a crate::check::xml::Element, ImportError> {
    if !root.is(None, "rss") {
        return Err(ImportError::NotAFeed {
            url: url.to_owned(),
            message: format!("the root element is <{}>, not <rss>: podmark imports RSS podcast feeds", root.name),
        });
    }
    root.child(None, "channel")
        .ok_or_else(|| ImportError::NotAFeed { url: url.to_owned(), message: "<rss> has no <channel>".into() })
}

/// `text` as a TOML basic string.
fn q(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A folder name: the date and an ASCII slug of the title.
fn slug(date: &chrono::DateTime<chrono::FixedOffset>, title: &str) -> String {
    let mut out = date.format("%Y-%m-%d-").to_string();
    let mut dash = true;
    let mut n = 0;
    for c in title.to_lowercase().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ß' => 's',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
            n += 1;
        } else if !dash {
            out.push('-');
            dash = true;
        }
        if n >= 48 {
            break;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if n == 0 {
        out.push_str("-episode");
    }
    out
}

/// The `podcast.toml` text.
fn show_toml(src: &Source, base_url: &str, report: &mut ImportReport) -> String {
    let s = &src.show;
    let mut t = String::new();
    let _ = writeln!(t, "# Imported by podmark {} from {}", env!("CARGO_PKG_VERSION"), src.url);
    let _ = writeln!(t, "title = {}", q(&s.title));
    let _ = writeln!(t, "author = {}", q(&s.author));
    let _ = writeln!(t, "description = {}", q(&s.description));
    let _ = writeln!(t, "language = {}", q(&s.language));
    let _ = writeln!(t, "explicit = {}", s.explicit);
    if let Some(i) = &s.image {
        let _ = writeln!(t, "image = {}", q(i));
    }
    let _ = writeln!(t, "# Where feed/ will be hosted: change it to the new address before you publish.");
    let _ = writeln!(t, "base_url = {}", q(base_url));
    if let Some(l) = &s.link {
        let _ = writeln!(t, "link = {}", q(l));
    }
    if let Some(c) = &s.copyright {
        let _ = writeln!(t, "copyright = {}", q(c));
    }
    if s.serial {
        let _ = writeln!(t, "type = \"serial\"");
    }
    // podcast:guid as published, or the one the Podcast Index derives from the old feed URL.
    let guid = match s.guid.as_deref().map(uuid::Uuid::parse_str) {
        Some(Ok(g)) => g,
        Some(Err(_)) | None => {
            if let Some(g) = &s.guid {
                report.notes.push(Note::show(
                    "show-guid",
                    format!("podcast:guid {g:?} is not a UUID; computed one from the feed URL"),
                ));
            }
            crate::sources::guid_lock::podcast_guid(if fetch::is_url(&src.original) { &src.original } else { &src.url })
        }
    };
    let _ = writeln!(t, "guid = {}", q(&guid.to_string()));
    let _ = writeln!(t, "locked = {}", s.locked.unwrap_or(false));
    if let Some((name, email)) = &s.owner {
        let _ = writeln!(t, "\n[owner]\nname = {}\nemail = {}", q(name), q(email));
    }
    let mut cats = s.categories.iter();
    match cats.next() {
        Some(c) => {
            let _ = writeln!(t, "\n[category]\nname = {}", q(&c.name));
            if let Some(sub) = &c.sub {
                let _ = writeln!(t, "sub = {}", q(sub));
            }
        }
        None => {
            report.notes.push(Note::show(
                "category-missing",
                "the channel has no Apple category podmark knows; wrote \"Society & Culture\": change it".into(),
            ));
            let _ = writeln!(t, "\n[category]\nname = \"Society & Culture\"");
        }
    }
    for c in cats {
        let _ = writeln!(t, "\n[[more_categories]]\nname = {}", q(&c.name));
        if let Some(sub) = &c.sub {
            let _ = writeln!(t, "sub = {}", q(sub));
        }
    }
    push_podcast_tables(&mut t, &s.podcast, None, &mut report.notes, true);
    t
}

/// Appends the `[podcast]` entries that podmark's typed reader accepts; each refused one is a note.
fn push_podcast_tables(
    t: &mut String,
    tables: &BTreeMap<&'static str, Vec<toml::Table>>,
    item: Option<&str>,
    notes: &mut Vec<Note>,
    channel: bool,
) {
    for (key, entries) in tables {
        let single = *key == "license";
        for (i, entry) in entries.iter().enumerate() {
            if single && i > 0 {
                break;
            }
            let value = if single {
                toml::Value::Table(entry.clone())
            } else {
                toml::Value::Array(vec![toml::Value::Table(entry.clone())])
            };
            let mut probe = toml::Table::new();
            probe.insert((*key).to_owned(), value);
            let ok = if channel {
                toml::Value::Table(probe).try_into::<crate::sources::podcast_ns::ChannelTags>().err()
            } else {
                toml::Value::Table(probe).try_into::<crate::sources::podcast_ns::ItemTags>().err()
            };
            if let Some(e) = ok {
                let msg =
                    format!("podcast:{key} {}: {}; left out", toml::Value::Table(entry.clone()), e.message().trim());
                notes.push(match item {
                    Some(i) => Note::item(i, "podcast-tag", msg),
                    None => Note::show("podcast-tag", msg),
                });
                continue;
            }
            let header = if single { format!("\n[podcast.{key}]\n") } else { format!("\n[[podcast.{key}]]\n") };
            t.push_str(&header);
            t.push_str(&toml::to_string(entry).unwrap_or_default());
        }
    }
}

/// HTML show notes as Markdown (plain text stays as it is).
fn markdown(converter: &htmd::HtmlToMarkdown, notes: &str) -> String {
    if !notes.contains('<') {
        return notes.trim().to_owned();
    }
    converter.convert(notes).map(|m| m.trim().to_owned()).unwrap_or_else(|_| notes.trim().to_owned())
}

/// What one episode folder gets: `episode.md` and side files.
struct EpisodeFiles {
    folder: String,
    notes: String,
    /// Transcript: file name and bytes.
    transcript: Option<(String, Vec<u8>)>,
}

/// The `episode.md` text of an item.
fn episode_md(
    it: &SourceItem,
    notes_md: &str,
    chapters: &[(String, String, Option<String>)],
    audio: Option<&str>,
) -> String {
    let mut t = String::from("+++\n");
    let _ = writeln!(t, "title = {}", q(&it.title));
    let _ = writeln!(t, "date = {}", it.date.to_rfc3339());
    if let Some(e) = it.episode {
        let _ = writeln!(t, "episode = {e}");
    }
    if let Some(s) = it.season {
        let _ = writeln!(t, "season = {s}");
    }
    if let Some(ty) = &it.episode_type {
        let _ = writeln!(t, "episode_type = {}", q(ty));
    }
    if let Some(x) = it.explicit {
        let _ = writeln!(t, "explicit = {x}");
    }
    if let Some(s) = &it.summary {
        let _ = writeln!(t, "summary = {}", q(s));
    }
    if let Some(i) = &it.image {
        let _ = writeln!(t, "image = {}", q(i));
    }
    if let Some(l) = &it.link {
        let _ = writeln!(t, "link = {}", q(l));
    }
    if let Some(a) = audio {
        let _ = writeln!(t, "audio = {}", q(a));
    } else {
        let _ = writeln!(t, "\n[enclosure]\nurl = {}\nlength = {}\ntype = {}", q(&it.url), it.length, q(&it.mime));
        if let Some(d) = it.duration {
            let _ = writeln!(t, "duration = {d}");
        }
    }
    let mut sink = Vec::new();
    push_podcast_tables(&mut t, &it.podcast, Some(&it.title), &mut sink, false);
    t.push_str("+++\n");
    if !notes_md.is_empty() {
        t.push('\n');
        t.push_str(notes_md);
        t.push('\n');
    }
    if !chapters.is_empty() {
        t.push_str("\n## Chapters\n\n");
        for (start, title, href) in chapters {
            match href {
                Some(h) => {
                    let _ = writeln!(t, "- {start} [{}]({h})", title.replace(['[', ']'], ""));
                }
                None => {
                    let _ = writeln!(t, "- {start} {title}");
                }
            }
        }
    }
    t
}

/// Chapters of an item: inline `psc:chapters`, else its `podcast:chapters` JSON (fetched).
fn chapters_of(
    fetcher: &fetch::Fetcher,
    feed_url: &str,
    it: &SourceItem,
    notes: &mut Vec<Note>,
) -> Vec<(String, String, Option<String>)> {
    let norm = |start: &str| start.parse::<crate::Timestamp>().ok().map(|t| t.to_string());
    if !it.chapters.is_empty() {
        return it.chapters.iter().filter_map(|(s, t, h)| Some((norm(s)?, t.clone(), h.clone()))).collect();
    }
    let Some(url) = &it.chapters_url else { return Vec::new() };
    let url = fetch::resolve(feed_url, url);
    let got = fetcher.get(&url, MAX_SIDE_FILE_BYTES).map_err(|e| e.to_string()).and_then(|f| {
        let text = String::from_utf8(f.bytes).map_err(|e| e.to_string())?;
        crate::Format::Json.read(&text).into_chapters().map_err(|e| e.to_string())
    });
    match got {
        Ok(ch) => {
            ch.iter().filter(|c| !c.hidden).map(|c| (c.start.to_string(), c.title.clone(), c.url.clone())).collect()
        }
        Err(e) => {
            notes.push(Note::item(&it.title, "chapters-fetch", format!("podcast:chapters {url}: {e}; left out")));
            Vec::new()
        }
    }
}

/// Runs an import (see the module docs).
pub fn import(options: &ImportOptions, progress: &Progress<'_>) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport { dry_run: options.dry_run, ..ImportReport::default() };
    let target = &options.episodes;
    let exists =
        target.join("podcast.toml").exists() || std::fs::read_dir(target).is_ok_and(|mut d| d.next().is_some());
    if exists && !options.update {
        return Err(ImportError::Exists(target.clone()));
    }
    if options.update && !target.join("podcast.toml").is_file() {
        return Err(ImportError::NothingToUpdate(target.clone()));
    }
    let fetcher = fetch::Fetcher::new();
    let mut src = read_source(&fetcher, &options.source, &mut report)?;
    report.feed = src.url.clone();
    report.pages = src.pages;
    let base_url = options.base_url.clone().unwrap_or_else(|| {
        if fetch::is_url(&src.url) {
            fetch::resolve(&src.url, "./").trim_end_matches("./").to_owned()
        } else {
            "https://example.com/podcast/".to_owned()
        }
    });
    let mut lock = if options.update {
        GuidLock::load(&target.join("guids.lock"))
            .map_err(|d| ImportError::NotAFeed { url: d.path.display().to_string(), message: d.diagnostic.message })?
    } else {
        GuidLock::default()
    };
    let by_guid: HashMap<String, String> =
        lock.episodes.iter().map(|(slug, e)| (e.guid.clone(), slug.clone())).collect();
    let mut used: HashSet<String> = lock.episodes.keys().cloned().collect();
    if options.update {
        for entry in std::fs::read_dir(target).map_err(io(target))? {
            used.insert(entry.map_err(io(target))?.file_name().to_string_lossy().into_owned());
        }
    }
    // Oldest first, so a folder name never depends on items published after it.
    let mut items = std::mem::take(&mut src.items);
    items.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.guid.cmp(&b.guid)));
    let mut guids = HashSet::new();
    let converter = htmd::HtmlToMarkdown::builder().skip_tags(vec!["script", "style", "head"]).build();
    let mut files: Vec<EpisodeFiles> = Vec::new();
    let mut downloads: Vec<download::Job> = Vec::new();
    let mut notes = Vec::new();
    for it in &items {
        if !guids.insert(it.guid.clone()) {
            report.dropped.push(Note::item(
                &it.title,
                "guid-duplicate",
                format!("GUID {:?} is also another item's; kept the first (oldest) one", it.guid),
            ));
            continue;
        }
        let notes_md = markdown(&converter, &it.notes);
        let chapters = chapters_of(&fetcher, &src.url, it, &mut notes);
        if let Some(folder) = by_guid.get(&it.guid) {
            let path = target.join(folder).join("episode.md");
            let ext = audio_ext(it);
            let local = target.join(folder).join(format!("audio.{ext}")).is_file().then(|| format!("audio.{ext}"));
            let now = episode_md(it, &notes_md, &chapters, local.as_deref());
            match std::fs::read_to_string(&path) {
                Ok(old) if old == now => report.unchanged += 1,
                Ok(_) => report.changed.push(Note::item(
                    &it.title,
                    "changed",
                    format!(
                        "{} differs from the source (changed there, or edited here); left as it is",
                        path.display()
                    ),
                )),
                Err(_) => report.changed.push(Note::item(
                    &it.title,
                    "missing",
                    format!("{} is gone; not written again (its GUID stays locked)", path.display()),
                )),
            }
            continue;
        }
        let mut folder = slug(&it.date, &it.title);
        if used.contains(&folder) {
            let base = folder.clone();
            let mut n = 2;
            while used.contains(&folder) {
                folder = format!("{base}-{n}");
                n += 1;
            }
        }
        used.insert(folder.clone());
        let audio = options.download.then(|| format!("audio.{}", audio_ext(it)));
        if let Some(a) = &audio {
            downloads.push(download::Job {
                url: it.url.clone(),
                path: PathBuf::from(&folder).join(a),
                length: it.length,
            });
        }
        let transcript = transcript_of(&fetcher, &src.url, it, &mut notes);
        lock.set(&folder, &it.guid);
        lock.set_permalink(&folder, Some(it.permalink));
        report.imported.push(Imported { folder: folder.clone(), guid: it.guid.clone(), title: it.title.clone() });
        files.push(EpisodeFiles { notes: episode_md(it, &notes_md, &chapters, audio.as_deref()), folder, transcript });
    }
    report.notes.extend(notes);
    if options.dry_run {
        return Ok(report);
    }
    let show_text = (!options.update).then(|| show_toml(&src, &base_url, &mut report));
    write_tree(target, options, show_text.as_deref(), &files, &lock, &downloads, progress, &mut report)?;
    Ok(report)
}

fn audio_ext(it: &SourceItem) -> String {
    crate::mime::Mime::from_mime_type(&it.mime).map_or_else(
        || {
            let path = it.url.split(['?', '#']).next().unwrap_or("");
            path.rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .filter(|e| e.len() <= 4 && e.chars().all(|c| c.is_ascii_alphanumeric()))
                .unwrap_or_else(|| "mp3".into())
        },
        |m| m.extension().to_owned(),
    )
}

/// A `podcast:transcript` in a format `build` reads (WebVTT or SRT), fetched.
fn transcript_of(
    fetcher: &fetch::Fetcher,
    feed_url: &str,
    it: &SourceItem,
    notes: &mut Vec<Note>,
) -> Option<(String, Vec<u8>)> {
    let mut others = Vec::new();
    for (url, ty) in &it.transcripts {
        let ext = match ty.as_str() {
            "text/vtt" => "vtt",
            "application/x-subrip" | "application/srt" | "text/srt" => "srt",
            _ => {
                others.push(format!("{url} ({ty})"));
                continue;
            }
        };
        let url = fetch::resolve(feed_url, url);
        match fetcher.get(&url, MAX_SIDE_FILE_BYTES) {
            Ok(f) => return Some((format!("transcript.{ext}"), f.bytes)),
            Err(e) => {
                notes.push(Note::item(&it.title, "transcript-fetch", format!("podcast:transcript: {e}; left out")))
            }
        }
    }
    if !others.is_empty() {
        notes.push(Note::item(
            &it.title,
            "transcript-type",
            format!("transcripts {} are not WebVTT or SRT, which podmark publishes; left out", others.join(", ")),
        ));
    }
    None
}

/// Writes the tree into a staging folder beside `target` and renames it into place (or, with
/// `--update`, moves each new folder in and replaces `guids.lock`).
#[allow(clippy::too_many_arguments)]
fn write_tree(
    target: &Path,
    options: &ImportOptions,
    show: Option<&str>,
    files: &[EpisodeFiles],
    lock: &GuidLock,
    downloads: &[download::Job],
    progress: &Progress<'_>,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = target.file_name().map_or_else(|| "episodes".into(), |n| n.to_string_lossy().into_owned());
    let staging =
        tempfile::Builder::new().prefix(&format!(".{name}.import-")).tempdir_in(&parent).map_err(io(&parent))?;
    let stage = staging.path();
    if let Some(show) = show {
        std::fs::write(stage.join("podcast.toml"), show).map_err(io(stage))?;
    }
    for f in files {
        let dir = stage.join(&f.folder);
        std::fs::create_dir(&dir).map_err(io(&dir))?;
        std::fs::write(dir.join("episode.md"), &f.notes).map_err(io(&dir))?;
        if let Some((name, bytes)) = &f.transcript {
            std::fs::write(dir.join(name), bytes).map_err(io(&dir))?;
        }
    }
    std::fs::write(stage.join("guids.lock"), lock.to_toml()).map_err(io(stage))?;
    if !downloads.is_empty() {
        let (n, bytes) =
            download::run(downloads, stage, options.jobs.max(1), progress).map_err(ImportError::Download)?;
        report.downloaded = n;
        report.downloaded_bytes = bytes;
    }
    // One filesystem sync for everything written, instead of one per file.
    if let Some(dir) = options.durable.then(|| std::fs::File::open(stage).ok()).flatten() {
        rustix::fs::syncfs(&dir).map_err(|e| ImportError::Io { path: stage.to_owned(), source: e.into() })?;
    }
    if !options.update {
        let stage = staging.keep();
        let moved = std::fs::rename(&stage, target);
        if let Err(e) = moved {
            // An empty target folder: replace it.
            if std::fs::remove_dir(target).is_ok() {
                std::fs::rename(&stage, target).map_err(io(target))?;
            } else {
                let _ = std::fs::remove_dir_all(&stage);
                return Err(ImportError::Io { path: target.to_owned(), source: e });
            }
        }
        return Ok(());
    }
    for f in files {
        let to = target.join(&f.folder);
        std::fs::rename(stage.join(&f.folder), &to).map_err(io(&to))?;
    }
    let lock_path = target.join("guids.lock");
    crate::fsutil::replace_atomically(&lock_path, |w| std::io::Write::write_all(w, lock.to_toml().as_bytes()))
        .map_err(io(&lock_path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_date_and_ascii_slug() {
        let d = chrono::DateTime::parse_from_rfc3339("2016-09-15T23:30:00-07:00").unwrap();
        assert_eq!(slug(&d, "Épisode 12: Café & Crème!"), "2016-09-15-episode-12-cafe-creme");
        assert_eq!(slug(&d, "日本語"), "2016-09-15-episode");
    }
}
