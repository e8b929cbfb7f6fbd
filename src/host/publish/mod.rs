//! `podmark publish`: upload a built `feed/` folder to S3-compatible object storage.
//!
//! Publishing is split in two steps so each can be checked on its own:
//!
//! 1. [`plan`] compares the local files ([`scan`]) with the objects in the bucket ([`Store::list`])
//!    and decides what to upload, skip and delete. A file is unchanged when the object has the same
//!    size and the ETag S3 computes for our upload (the MD5 for a single `PUT`, the MD5 of the part
//!    MD5s plus `-N` for a multipart upload with [`PART_SIZE`] parts), or, for stores whose ETags are
//!    not MD5s (SSE-KMS, some clones), when the publish manifest ([`MANIFEST_NAME`]) records the
//!    same local MD5 for the object's current ETag.
//!    Audio, chapters, transcripts and images are never uploaded over an existing object: changed
//!    content goes under a content-addressed name (`audio/020.mp3` → `audio/020-3fa8c1d2.mp3`,
//!    [`content_rel`]), cached as [`CACHE_IMMUTABLE`], and the feeds are rewritten to point at it
//!    ([`rewrite_urls`]; `<guid>`s are left alone).
//! 2. [`execute`] carries the plan out in an order that keeps the published podcast valid at every
//!    moment: audio, chapters and images first (several at once, `jobs`: nothing points at their
//!    new names yet), then, once every one of them is up, other files (several at once), then the
//!    feeds one at a time (older pages first, `feed.xml` last), then the manifest, then deletions
//!    (only with `--delete`). If the run stops at any point, the feed in the bucket is either the old
//!    one, whose objects are all still there and unchanged, or the new one, whose objects were all
//!    uploaded before it.
//!
//! Each object gets the `Content-Type` of [`crate::mime::content_type`] and a `Cache-Control` for its
//! [`Kind`] ([`cache_control`]). The S3 side is [`S3Store`] (the `object_store` crate); tests can plug
//! in any other [`Store`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod names;
mod s3store;

pub use names::{content_rel, feed_base, rewrite_urls};
pub use s3store::{ObjectHead, PARTS_IN_FLIGHT, S3Store};

/// Size of each part of a multipart upload; files of at least this size are uploaded in parts. It
/// decides the ETag S3 computes (`md5(part MD5s)-N`), which [`scan`] predicts.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

/// Uploads in flight at once unless told otherwise (`podmark publish --jobs`): enough to hide the
/// round trips of a laptop's uplink, few enough not to starve it.
pub const DEFAULT_JOBS: usize = 8;

/// Name of the manifest object written under the prefix after each publish. It maps each published
/// file to its size, local MD5 and the ETag the store gave it.
pub const MANIFEST_NAME: &str = ".podmark-manifest.json";

/// Where to publish: a bucket and a key prefix, written `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
}

impl Target {
    /// The object key of a file at `rel` (relative, `/`-separated).
    pub fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() { rel.to_owned() } else { format!("{}/{rel}", self.prefix) }
    }

    /// The prefix to list: everything below the target.
    pub fn list_prefix(&self) -> String {
        if self.prefix.is_empty() { String::new() } else { format!("{}/", self.prefix) }
    }

    /// The key of the publish manifest.
    pub fn manifest_key(&self) -> String {
        self.key(MANIFEST_NAME)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

impl FromStr for Target {
    type Err = PublishError;

    /// ```
    /// use podmark::publish::Target;
    /// let t: Target = "s3://podcasts/shows/eigencast/".parse()?;
    /// assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("podcasts", "shows/eigencast"));
    /// assert_eq!(t.key("feed.xml"), "shows/eigencast/feed.xml");
    /// assert!("podcasts/shows".parse::<Target>().is_err());
    /// # Ok::<(), podmark::publish::PublishError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PublishError::Target(s.to_owned());
        let rest = s.strip_prefix("s3://").ok_or_else(bad)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (1..=255).contains(&bucket.len())
            && bucket.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        let prefix = prefix.trim_matches('/');
        let prefix_ok = prefix.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..") || prefix.is_empty();
        if !bucket_ok || !prefix_ok || prefix.chars().any(char::is_control) {
            return Err(bad());
        }
        Ok(Target { bucket: bucket.to_owned(), prefix: prefix.to_owned() })
    }
}

/// What a file is, which decides its upload order and `Cache-Control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Audio enclosures (`.mp3`, `.m4a`, `.m4b`, `.mp4`, `.ogg`, `.opus`, …): uploaded first.
    Audio,
    /// Chapter files and transcripts (anything in `chapters/`, `.vtt`, `.srt`, `*.chapters.json`).
    Chapters,
    /// Cover art and other images.
    Image,
    /// Anything else (HTML pages, stylesheets, …).
    Other,
    /// Feeds (`.xml`, `.rss`, except Podlove `.psc.xml` chapter files): uploaded last.
    Feed,
}

impl Kind {
    /// Classifies a file by its path relative to the feed folder.
    ///
    /// ```
    /// use podmark::publish::Kind;
    /// assert_eq!(Kind::of("feed.xml"), Kind::Feed);
    /// assert_eq!(Kind::of("audio/020.mp3"), Kind::Audio);
    /// assert_eq!(Kind::of("chapters/020.psc.xml"), Kind::Chapters);
    /// assert_eq!(Kind::of("cover.jpg"), Kind::Image);
    /// ```
    pub fn of(rel: &str) -> Kind {
        let lower = rel.to_ascii_lowercase();
        let in_chapters = lower.split('/').rev().skip(1).any(|d| d == "chapters" || d == "transcripts");
        let ct = crate::mime::content_type(&lower);
        if in_chapters
            || lower.ends_with(".psc.xml")
            || lower.ends_with(".chapters.json")
            || ct.starts_with("text/vtt")
            || ct == "application/x-subrip"
        {
            Kind::Chapters
        } else if ct.starts_with("application/rss+xml") {
            Kind::Feed
        } else if ct.starts_with("audio/") {
            Kind::Audio
        } else if ct.starts_with("image/") {
            Kind::Image
        } else {
            Kind::Other
        }
    }
}

/// `Cache-Control` for feeds: clients and CDNs see a new episode within five minutes.
pub const CACHE_FEED: &str = "public, max-age=300";
/// `Cache-Control` for audio, chapters and images whose name carries a content hash or version.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` for audio, chapters and images without a version in the name (they may be
/// re-uploaded after an edit).
pub const CACHE_MEDIA: &str = "public, max-age=86400";
/// `Cache-Control` for other files.
pub const CACHE_OTHER: &str = "public, max-age=3600";

/// The `Cache-Control` header an object gets.
///
/// ```
/// use podmark::publish::{cache_control, Kind, CACHE_FEED, CACHE_IMMUTABLE, CACHE_MEDIA};
/// assert_eq!(cache_control("feed.xml", Kind::Feed), CACHE_FEED);
/// assert_eq!(cache_control("audio/020.mp3", Kind::Audio), CACHE_MEDIA);
/// assert_eq!(cache_control("audio/020-3fa8c1d2e9.mp3", Kind::Audio), CACHE_IMMUTABLE);
/// assert_eq!(cache_control("audio/020.v2.mp3", Kind::Audio), CACHE_IMMUTABLE);
/// ```
pub fn cache_control(rel: &str, kind: Kind) -> &'static str {
    match kind {
        Kind::Feed => CACHE_FEED,
        Kind::Other => CACHE_OTHER,
        Kind::Audio | Kind::Chapters | Kind::Image if is_versioned(rel) => CACHE_IMMUTABLE,
        Kind::Audio | Kind::Chapters | Kind::Image => CACHE_MEDIA,
    }
}

/// True when the file name (without extension) has a part, split at `.`, `-` or `_`, that is a
/// content hash (8 or more hex digits, at least one of them a letter, so dates do not count) or a
/// version (`v` and digits).
pub fn is_versioned(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name.split_once('.').map_or(name, |(s, _)| s);
    let mut parts: Vec<&str> = stem.split(['-', '_']).collect();
    // Dotted parts between the stem and the extension count too: `ep.3fa8c1d2.mp3`, `ep.v2.mp3`.
    let dotted: Vec<&str> = name.split('.').collect();
    if dotted.len() > 2 {
        parts.extend(dotted.iter().skip(1).take(dotted.len() - 2));
    }
    parts.iter().any(|p| {
        let lower = p.to_ascii_lowercase();
        let hash = lower.len() >= 8
            && lower.chars().all(|c| c.is_ascii_hexdigit())
            && lower.chars().any(|c| c.is_ascii_alphabetic());
        let version = lower.len() >= 2 && lower.starts_with('v') && lower.chars().skip(1).all(|c| c.is_ascii_digit());
        hash || version
    })
}

/// A file in the local folder, hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalFile {
    /// Path relative to the folder, `/`-separated.
    pub rel: String,
    /// Path on disk.
    #[serde(skip)]
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// MD5 of the content, lower-case hex.
    pub md5: String,
    /// The ETag S3 will report after our upload (without quotes).
    pub etag: String,
    /// What it is.
    pub kind: Kind,
    /// `Content-Type` to upload with.
    pub content_type: &'static str,
    /// `Cache-Control` to upload with.
    pub cache_control: &'static str,
}

/// Lists and hashes every file below `dir`, sorted by path. Dotfiles and dot-folders are skipped,
/// and so are symlinks to folders (to avoid cycles); symlinks to files are followed.
///
/// # Errors
/// A file or folder cannot be read, or a name is not UTF-8 (it could not be an object key).
pub fn scan(dir: &Path) -> Result<Vec<LocalFile>, PublishError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&path).map_err(|e| PublishError::read(&path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| PublishError::read(&path, e))?;
            let child = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(PublishError::Name(child));
            };
            if name.starts_with('.') {
                continue;
            }
            let child_rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let file_type = entry.file_type().map_err(|e| PublishError::read(&child, e))?;
            let meta = if file_type.is_symlink() {
                match std::fs::metadata(&child) {
                    Ok(m) if m.is_file() => m,
                    _ => continue,
                }
            } else {
                entry.metadata().map_err(|e| PublishError::read(&child, e))?
            };
            if meta.is_dir() {
                stack.push((child, child_rel));
            } else if meta.is_file() {
                out.push(hash_file(&child, child_rel)?);
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// Hashes one file: its MD5 and the ETag an upload in [`PART_SIZE`] parts produces.
fn hash_file(path: &Path, rel: String) -> Result<LocalFile, PublishError> {
    let f = std::fs::File::open(path).map_err(|e| PublishError::read(path, e))?;
    let (size, md5, etag) = hash_reader(f).map_err(|e| PublishError::read(path, e))?;
    let kind = Kind::of(&rel);
    Ok(LocalFile {
        content_type: crate::mime::content_type(&rel),
        cache_control: cache_control(&rel, kind),
        path: path.to_path_buf(),
        rel,
        size,
        md5,
        etag,
        kind,
    })
}

/// Size, MD5 and S3 ETag (uploaded in [`PART_SIZE`] parts) of everything `r` reads.
fn hash_reader(mut r: impl Read) -> io::Result<(u64, String, String)> {
    let mut whole = md5::Context::new();
    let mut part = md5::Context::new();
    let mut part_len = 0u64;
    let mut part_digests: Vec<[u8; 16]> = Vec::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut chunk = buf.get(..n).unwrap_or_default();
        whole.consume(chunk);
        size = size.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        while !chunk.is_empty() {
            let room = usize::try_from(PART_SIZE - part_len).unwrap_or(usize::MAX);
            let (now, later) = chunk.split_at(room.min(chunk.len()));
            part.consume(now);
            part_len += u64::try_from(now.len()).unwrap_or(u64::MAX);
            if part_len == PART_SIZE {
                part_digests.push(std::mem::take(&mut part).finalize().0);
                part_len = 0;
            }
            chunk = later;
        }
    }
    if part_len > 0 {
        part_digests.push(part.finalize().0);
    }
    let md5 = format!("{:x}", whole.finalize());
    let etag = if size < PART_SIZE {
        md5.clone()
    } else {
        let mut of_parts = md5::Context::new();
        for d in &part_digests {
            of_parts.consume(d);
        }
        format!("{:x}-{}", of_parts.finalize(), part_digests.len())
    };
    Ok((size, md5, etag))
}

/// An object in the bucket, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    /// Full key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes, when the store reports one.
    pub etag: Option<String>,
}

/// The manifest stored at [`MANIFEST_NAME`]: what was published, by relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version, 1.
    pub version: u32,
    /// One entry per published object, by its path below the prefix (its content-addressed name for
    /// audio, chapters and images).
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One published file in the [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Size in bytes.
    pub size: u64,
    /// MD5 of the local file, hex.
    pub md5: String,
    /// ETag the store reported for the object.
    pub etag: String,
}

/// Why a file is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// No object with this key.
    New,
    /// The object differs in size or content.
    Changed,
}

/// One upload in a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    /// Object key.
    pub key: String,
    /// Why.
    pub reason: Reason,
    /// The local file. When `body` is set, its size and hashes are those of `body`.
    pub file: LocalFile,
    /// The bytes to upload instead of the file's: the file with its URLs rewritten to the
    /// content-addressed names (feeds, chapters JSON, HTML).
    #[serde(skip)]
    pub body: Option<Vec<u8>>,
}

/// What a publish will do, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Where to.
    #[serde(serialize_with = "display")]
    pub target: Target,
    /// Uploads in execution order: audio, chapters, images, others (each by local path), then feeds
    /// (older pages first, `feed.xml` last).
    pub uploads: Vec<Upload>,
    /// Files already published as they are (their keys).
    pub unchanged: Vec<String>,
    /// Keys to delete after the feeds (only with `--delete`): neither this publish nor the feeds it
    /// replaces use them.
    pub deletes: Vec<String>,
    /// Keys in the bucket under the prefix that this publish does not use, left alone: files deleted
    /// locally and earlier versions of changed files (without `--delete`), or (with it) those the
    /// feeds being replaced still point at.
    pub kept: Vec<String>,
    /// Where each local file is published: its path in the folder → its object key. Audio, chapters,
    /// transcripts and images get a content-addressed key (see [`content_rel`]).
    pub published: BTreeMap<String, String>,
    /// The manifest to store after the run, when it differs from the stored one.
    #[serde(skip)]
    pub manifest: Option<Manifest>,
}

fn display<T: fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Whether a file with content-addressed names: audio, chapters, transcripts and images. Feeds and
/// other files keep their names and are replaced in place.
fn content_addressed(kind: Kind) -> bool {
    matches!(kind, Kind::Audio | Kind::Chapters | Kind::Image)
}

/// Whether a file may hold URLs to rewrite (read as UTF-8 text).
fn is_text(file: &LocalFile) -> bool {
    let ct = file.content_type;
    ct.starts_with("text/") || ct.contains("xml") || ct.contains("json") || ct.contains("javascript")
}

/// What the bucket holds at a key, compared with a local file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// No object.
    Absent,
    /// The same content (by ETag or the manifest).
    Same,
    /// Provably other content: same-size objects have MD5 ETags that differ, or sizes differ.
    Different,
    /// An object whose ETag is not an MD5 (SSE-KMS, some clones) and no manifest entry: unknown.
    Unknown,
}

fn verdict(file: &LocalFile, key_rel: &str, obj: Option<&RemoteObject>, manifest: Option<&Manifest>) -> Verdict {
    let Some(obj) = obj else { return Verdict::Absent };
    if obj.size != file.size {
        return Verdict::Different;
    }
    if same_content(file, key_rel, obj, manifest) {
        return Verdict::Same;
    }
    let md5_like = obj.etag.as_deref().is_some_and(|e| {
        let (hex, parts) = e.split_once('-').unwrap_or((e, "1"));
        hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && parts.bytes().all(|b| b.is_ascii_digit())
    });
    if md5_like { Verdict::Different } else { Verdict::Unknown }
}

/// A file's content hash, as put in its name: the first 8 hex digits of its MD5.
const NAME_HASH_LEN: usize = 8;

/// Compares `local` files with the `remote` listing (and the stored `manifest`, if any) and orders
/// the work. With `delete`, remote objects under the prefix that this publish does not use are
/// deleted after the feeds are uploaded, except those in `live` (the keys the feeds now in the
/// bucket point at: a podcast app or CDN that read them a moment ago may still fetch them; the next
/// publish with `delete` removes them); the rest are only listed in [`Plan::kept`].
///
/// Audio, chapters, transcripts and images are never uploaded over an existing object: a file whose
/// plain key (`PREFIX/REL`) holds the same content keeps it; any other content goes to
/// `PREFIX/`[`content_rel`]`(REL, first 8 hex digits of its MD5)` (all 32 digits in the unlikely case
/// that name holds other bytes), with [`CACHE_IMMUTABLE`]. Feeds and other text files are rewritten
/// to point at those keys ([`rewrite_urls`], with the base URL of each feed's self link) and then
/// compared with the bucket.
///
/// # Errors
/// A text file cannot be read; a feed whose URLs must be rewritten has no usable
/// `<atom:link rel="self">` ([`PublishError::NoBase`]) or an item without a `<guid>` whose enclosure
/// would move ([`PublishError::NoGuid`]).
pub fn plan(
    local: Vec<LocalFile>,
    remote: &[RemoteObject],
    manifest: Option<&Manifest>,
    target: &Target,
    delete: bool,
    live: &BTreeSet<String>,
) -> Result<Plan, PublishError> {
    let by_key: BTreeMap<&str, &RemoteObject> = remote.iter().map(|r| (r.key.as_str(), r)).collect();
    let prefix = target.list_prefix();
    let rel_of = |key: &str| key.strip_prefix(prefix.as_str()).unwrap_or(key).to_owned();

    // Feeds say where they are served from; their URLs to renamed files are rewritten below it.
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for file in local.iter().filter(|f| is_text(f)) {
        let bytes = std::fs::read(&file.path).map_err(|e| PublishError::read(&file.path, e))?;
        if let Ok(text) = String::from_utf8(bytes) {
            texts.insert(file.rel.clone(), text);
        }
    }
    let bases: Vec<String> = local
        .iter()
        .filter(|f| f.kind == Kind::Feed)
        .filter_map(|f| names::feed_base(texts.get(&f.rel)?, &f.rel))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    let mut uploads = Vec::new();
    let mut unchanged = Vec::new();
    let mut published = BTreeMap::new();
    // Binary media first, then text media (chapters JSON may point at images), then the rest.
    let mut order: Vec<LocalFile> = local;
    order.sort_by_key(|f| (!content_addressed(f.kind), is_text(f), f.rel.clone()));
    for mut file in order {
        let mut body = None;
        if let Some(text) = texts.get(&file.rel)
            && let Some(new) = names::rewrite_urls(text, &bases, &renames)
        {
            if file.kind == Kind::Feed
                && let Some(url) = names::guidless_item_moved(text, &new)
            {
                return Err(PublishError::NoGuid { feed: file.rel.clone(), url });
            }
            let (size, md5, etag) = hash_reader(new.as_bytes()).map_err(|e| PublishError::read(&file.path, e))?;
            (file.size, file.md5, file.etag) = (size, md5, etag);
            body = Some(new.into_bytes());
        }
        if file.kind == Kind::Feed
            && bases.is_empty()
            && let Some(text) = texts.get(&file.rel)
            && names::mentions_any(text, renames.keys())
        {
            return Err(PublishError::NoBase(file.rel.clone()));
        }
        let plain = target.key(&file.rel);
        let plain_verdict = verdict(&file, &file.rel, by_key.get(plain.as_str()).copied(), manifest);
        let (key, upload) = if !content_addressed(file.kind) || plain_verdict == Verdict::Same {
            (plain, plain_verdict != Verdict::Same)
        } else {
            let short = file.md5.get(..NAME_HASH_LEN).unwrap_or(&file.md5);
            let mut chosen = None;
            for hash in [short, file.md5.as_str()] {
                let rel = names::content_rel(&file.rel, hash);
                let key = target.key(&rel);
                match verdict(&file, &rel, by_key.get(key.as_str()).copied(), manifest) {
                    Verdict::Same => chosen = Some((key, false)),
                    // An upload of these bytes under their own name cannot change what it serves.
                    Verdict::Absent | Verdict::Unknown => chosen = Some((key, true)),
                    Verdict::Different => continue,
                }
                break;
            }
            let Some(chosen) = chosen else {
                return Err(PublishError::Other(format!(
                    "{}: the bucket already holds other content under both of its content-addressed names",
                    file.rel
                )));
            };
            file.cache_control = CACHE_IMMUTABLE;
            renames.insert(file.rel.clone(), rel_of(&chosen.0));
            chosen
        };
        published.insert(file.rel.clone(), key.clone());
        if upload {
            let earlier = by_key.contains_key(target.key(&file.rel).as_str())
                || remote.iter().any(|r| names::is_version_of(&rel_of(&r.key), &file.rel));
            let reason = if earlier { Reason::Changed } else { Reason::New };
            uploads.push(Upload { key, reason, file, body });
        } else {
            unchanged.push(key);
        }
    }
    uploads.sort_by_key(|u| (u.file.kind, feed_rank(&u.file), u.file.rel.clone()));
    unchanged.sort();
    let used: BTreeSet<&String> = published.values().collect();
    let manifest_key = target.manifest_key();
    let extra = remote.iter().map(|r| r.key.clone()).filter(|k| !used.contains(k) && *k != manifest_key);
    // What the feeds being replaced point at stays one more publish: apps and CDNs may still hold them.
    let (deletes, kept) = if delete { extra.partition(|k| !live.contains(k)) } else { (Vec::new(), extra.collect()) };
    Ok(Plan { target: target.clone(), uploads, unchanged, deletes, kept, published, manifest: None })
}

/// Orders feeds: other feeds, then RFC 5005 pages from the oldest (`feed-N.xml`, N descending) to
/// `feed.xml`, the newest, last. A reader paging through while pages are replaced may then see an
/// episode twice (the same GUID), never miss one, and every page points only at objects uploaded
/// before it.
fn feed_rank(file: &LocalFile) -> u64 {
    if file.kind != Kind::Feed {
        return 0;
    }
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    if name == "feed.xml" {
        return u64::MAX;
    }
    match name.strip_prefix("feed-").and_then(|n| n.strip_suffix(".xml")).and_then(|n| n.parse::<u64>().ok()) {
        Some(page) => u64::MAX - page.min(u64::MAX - 1),
        None => 0,
    }
}

fn same_content(file: &LocalFile, key_rel: &str, obj: &RemoteObject, manifest: Option<&Manifest>) -> bool {
    let Some(etag) = obj.etag.as_deref() else { return false };
    if etag.eq_ignore_ascii_case(&file.etag) {
        return true;
    }
    manifest
        .and_then(|m| m.files.get(key_rel))
        .is_some_and(|e| e.etag == etag && e.md5 == file.md5 && e.size == file.size)
}

/// Progress reported by [`execute`]. The callback returns [`ControlFlow::Break`] to stop the run
/// (what was uploaded stays uploaded; the published feed stays consistent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// An upload starts.
    Start {
        /// Object key.
        key: &'a str,
        /// Its size.
        size: u64,
    },
    /// More bytes of an upload were read to be sent (several uploads may be in flight).
    Bytes {
        /// Object key.
        key: &'a str,
        /// Bytes since the last report.
        delta: u64,
    },
    /// An upload finished.
    Uploaded {
        /// Object key.
        key: &'a str,
        /// Its size.
        size: u64,
    },
    /// An object was deleted.
    Deleted {
        /// Object key.
        key: &'a str,
    },
}

/// The outcome of a publish, for people (`Display`) and scripts (`--json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Where to.
    pub target: String,
    /// True when nothing was changed (`--dry-run`).
    pub dry_run: bool,
    /// Number of objects uploaded (or to upload, in a dry run).
    pub uploaded: usize,
    /// Number of files skipped because they were already published.
    pub skipped: usize,
    /// Number of objects deleted (or to delete).
    pub deleted: usize,
    /// Bytes uploaded (or to upload).
    pub bytes: u64,
    /// The uploaded keys, in order.
    pub uploaded_keys: Vec<String>,
    /// The deleted keys.
    pub deleted_keys: Vec<String>,
    /// Keys under the prefix this publish does not use, left alone.
    pub kept_keys: Vec<String>,
    /// Where each local file is published: its path in the folder → its object key.
    pub published: BTreeMap<String, String>,
}

impl Summary {
    /// What `plan` would do, without doing it.
    pub fn of_plan(plan: &Plan, dry_run: bool) -> Summary {
        Summary {
            target: plan.target.to_string(),
            dry_run,
            uploaded: plan.uploads.len(),
            skipped: plan.unchanged.len(),
            deleted: plan.deletes.len(),
            bytes: plan.uploads.iter().map(|u| u.file.size).fold(0, u64::saturating_add),
            uploaded_keys: plan.uploads.iter().map(|u| u.key.clone()).collect(),
            deleted_keys: plan.deletes.clone(),
            kept_keys: plan.kept.clone(),
            published: plan.published.clone(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would upload" } else { "uploaded" };
        let del = if self.dry_run { "would delete" } else { "deleted" };
        write!(
            f,
            "{}: {verb} {} ({} bytes), skipped {} unchanged, {del} {}",
            self.target, self.uploaded, self.bytes, self.skipped, self.deleted
        )?;
        if !self.kept_keys.is_empty() {
            write!(f, ", kept {} remote-only (use --delete to remove)", self.kept_keys.len())?;
        }
        Ok(())
    }
}

/// Object storage as publishing needs it. [`S3Store`] is the real one. [`execute`] has several
/// calls in flight at once, polled on one thread (the futures need not be `Send`).
pub trait Store {
    /// Every object whose key starts with `prefix`.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<RemoteObject>, PublishError>>;
    /// A small object's content, or `None` when it does not exist.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, PublishError>>;
    /// Uploads `file` to `key` with its content type and cache control, calling `on_read` with each
    /// number of bytes read; a [`ControlFlow::Break`] abandons the upload (no object is created).
    fn put_file(
        &self,
        key: &str,
        file: &LocalFile,
        on_read: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> impl Future<Output = Result<(), PublishError>>;
    /// Uploads a small object.
    fn put_bytes(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> impl Future<Output = Result<(), PublishError>>;
    /// Deletes an object.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), PublishError>>;
}

/// Reads the stored manifest; a missing or unreadable one counts as none (everything is then compared
/// by ETag only).
pub async fn load_manifest<S: Store>(store: &S, target: &Target) -> Result<Option<Manifest>, PublishError> {
    Ok(store.get(&target.manifest_key()).await?.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Lists the bucket, reads the manifest and plans a publish of `dir` to `target` (see [`plan`]).
///
/// # Errors
/// The folder cannot be read, the store cannot be listed, or [`plan`] fails.
pub async fn prepare<S: Store>(store: &S, dir: &Path, target: &Target, delete: bool) -> Result<Plan, PublishError> {
    let local = scan(dir)?;
    let remote = store.list(&target.list_prefix()).await?;
    let manifest = load_manifest(store, target).await?;
    let live = if delete { live_references(store, target, &remote).await? } else { BTreeSet::new() };
    plan(local, &remote, manifest.as_ref(), target, delete, &live)
}

/// Checks where the feeds in `dir` say they are served from (the base URL of each one's
/// `<atom:link rel="self">`, see [`feed_base`]) before anything is sent. With `public_url` (the
/// destination's public base URL), every feed's base must be it (a missing trailing `/` is added).
/// Without, no base may be local: loopback (`127.0.0.0/8`, `::1`, `localhost`), private
/// (`10/8`, `172.16/12`, `192.168/16`, `fc00::/7`), link-local (`169.254/16`, `fe80::/10`),
/// unspecified or a `*.local` name. Feeds without a self link are not checked.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// use podmark::publish::{check_base, PublishError};
/// let feed = r#"<rss><channel><atom:link href="http://127.0.0.1:8080/feed.xml" rel="self"/>"#;
/// std::fs::write(dir.path().join("feed.xml"), feed)?;
/// assert!(matches!(check_base(dir.path(), None), Err(PublishError::LocalBase { .. })));
/// assert!(check_base(dir.path(), Some("http://127.0.0.1:8080")).is_ok());
/// assert!(matches!(check_base(dir.path(), Some("https://cdn.example/")), Err(PublishError::BaseMismatch { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// The first feed whose base is wrong ([`PublishError::LocalBase`], [`PublishError::BaseMismatch`]),
/// or a folder or feed that cannot be read.
pub fn check_base(dir: &Path, public_url: Option<&str>) -> Result<(), PublishError> {
    let public = public_url.map(|u| if u.ends_with('/') { u.to_owned() } else { format!("{u}/") });
    for (rel, path) in feed_files(dir)? {
        let bytes = std::fs::read(&path).map_err(|e| PublishError::read(&path, e))?;
        let Some(base) = names::feed_base(&String::from_utf8_lossy(&bytes), &rel) else { continue };
        match &public {
            Some(public) if !base.eq_ignore_ascii_case(public) => {
                return Err(PublishError::BaseMismatch { feed: rel, base, public: public.clone() });
            }
            Some(_) => {}
            None if names::is_local_url(&base) => return Err(PublishError::LocalBase { feed: rel, base }),
            None => {}
        }
    }
    Ok(())
}

/// The feeds below `dir` (relative path, path on disk), sorted, skipping what [`scan`] skips.
fn feed_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, PublishError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        for entry in std::fs::read_dir(&path).map_err(|e| PublishError::read(&path, e))? {
            let entry = entry.map_err(|e| PublishError::read(&path, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if name.starts_with('.') {
                continue;
            }
            let child = entry.path();
            let child_rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let is_link = entry.file_type().map_err(|e| PublishError::read(&child, e))?.is_symlink();
            let Ok(meta) = std::fs::metadata(&child) else { continue };
            if meta.is_dir() && !is_link {
                stack.push((child, child_rel));
            } else if meta.is_file() && Kind::of(&child_rel) == Kind::Feed {
                out.push((child_rel, child));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The keys the feeds in the bucket point at (below the base URL of their self links).
///
/// # Errors
/// A feed cannot be read.
pub async fn live_references<S: Store>(
    store: &S,
    target: &Target,
    remote: &[RemoteObject],
) -> Result<BTreeSet<String>, PublishError> {
    let prefix = target.list_prefix();
    let mut live = BTreeSet::new();
    for obj in remote.iter().filter(|r| Kind::of(&r.key) == Kind::Feed) {
        let rel = obj.key.strip_prefix(prefix.as_str()).unwrap_or(&obj.key);
        let Some(bytes) = store.get(&obj.key).await? else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let Some(base) = names::feed_base(&text, rel) else { continue };
        live.extend(names::referenced_paths(&text, &[base]).iter().map(|p| target.key(p)));
    }
    Ok(live)
}

/// Carries out `plan` with up to `jobs` uploads in flight (at least one): first every audio,
/// chapters and image file (several at once: their new names are not used by anything yet), then,
/// only when all of them succeeded, the other files (several at once), then the feeds one at a time
/// in the plan's order (`feed.xml` last), then the manifest, then deletions (several at once).
///
/// # Errors
/// A failed request stops the run: no new upload starts, those in flight finish (so what is reported
/// as uploaded is), and the first error is returned. A [`ControlFlow::Break`] from `progress` stops it
/// the same way ([`PublishError::Aborted`]). Nothing of a later stage is uploaded, so the feed is never
/// ahead of its files.
pub async fn execute<S: Store>(
    store: &S,
    plan: &Plan,
    jobs: usize,
    progress: &mut dyn FnMut(Progress<'_>) -> ControlFlow<()>,
) -> Result<Summary, PublishError> {
    let progress = std::cell::RefCell::new(progress);
    let (media, rest): (Vec<&Upload>, Vec<&Upload>) = plan.uploads.iter().partition(|u| content_addressed(u.file.kind));
    let (feeds, others): (Vec<&Upload>, Vec<&Upload>) = rest.into_iter().partition(|u| u.file.kind == Kind::Feed);
    in_parallel(media, jobs, |up| upload(store, up, &progress)).await?;
    in_parallel(others, jobs, |up| upload(store, up, &progress)).await?;
    in_parallel(feeds, 1, |up| upload(store, up, &progress)).await?;
    if !plan.uploads.is_empty() || !plan.deletes.is_empty() {
        write_manifest(store, plan).await?;
    }
    in_parallel(&plan.deletes, jobs, |key| async {
        store.delete(key).await?;
        match (progress.borrow_mut())(Progress::Deleted { key }) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(PublishError::Aborted),
        }
    })
    .await?;
    Ok(Summary::of_plan(plan, false))
}

/// The progress callback, shared by the uploads in flight (on one thread).
type SharedProgress<'p> = std::cell::RefCell<&'p mut dyn FnMut(Progress<'_>) -> ControlFlow<()>>;

/// Runs `task` on each item, at most `jobs` at once. After the first failure no new task starts and
/// those running finish; the first failure is returned (a real error before an [`PublishError::Aborted`]).
async fn in_parallel<T, F, Fut>(
    items: impl IntoIterator<Item = T>,
    jobs: usize,
    mut task: F,
) -> Result<(), PublishError>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<(), PublishError>>,
{
    use futures_util::StreamExt;
    let mut pending = items.into_iter();
    // A task pushed before a failure may be polled for the first time after it: it must not start.
    let failed = std::cell::Cell::new(false);
    let mut running = futures_util::stream::FuturesUnordered::new();
    let mut failure: Option<PublishError> = None;
    loop {
        while failure.is_none() && running.len() < jobs.max(1) {
            let Some(item) = pending.next() else { break };
            let (failed, fut) = (&failed, task(item));
            running.push(async move { if failed.get() { Ok(()) } else { fut.await } });
        }
        match running.next().await {
            None => break,
            Some(Ok(())) => {}
            Some(Err(e)) => {
                failed.set(true);
                if failure.as_ref().is_none_or(|f| matches!(f, PublishError::Aborted)) {
                    failure = Some(e);
                }
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// One upload, reported to `progress`.
async fn upload<S: Store>(store: &S, up: &Upload, progress: &SharedProgress<'_>) -> Result<(), PublishError> {
    let report = |p: Progress<'_>| (progress.borrow_mut())(p);
    if report(Progress::Start { key: &up.key, size: up.file.size }).is_break() {
        return Err(PublishError::Aborted);
    }
    let mut stopped = false;
    let mut on_read = |delta: u64| {
        let flow = report(Progress::Bytes { key: &up.key, delta });
        stopped |= flow.is_break();
        flow
    };
    let result = match &up.body {
        Some(body) => match on_read(up.file.size) {
            ControlFlow::Continue(()) => {
                store.put_bytes(&up.key, body.clone(), up.file.content_type, up.file.cache_control).await
            }
            ControlFlow::Break(()) => Err(PublishError::Aborted),
        },
        None => store.put_file(&up.key, &up.file, &mut on_read).await,
    };
    if stopped {
        return Err(PublishError::Aborted);
    }
    result?;
    if report(Progress::Uploaded { key: &up.key, size: up.file.size }).is_break() {
        return Err(PublishError::Aborted);
    }
    Ok(())
}

/// Records what is now published: the current listing's ETags for every uploaded object, by its path
/// below the prefix, and the old entries of the unchanged ones.
async fn write_manifest<S: Store>(store: &S, plan: &Plan) -> Result<(), PublishError> {
    let remote = store.list(&plan.target.list_prefix()).await?;
    let etags: BTreeMap<&str, &RemoteObject> = remote.iter().map(|r| (r.key.as_str(), r)).collect();
    let old = load_manifest(store, &plan.target).await?.unwrap_or_default();
    let mut files = BTreeMap::new();
    let prefix = plan.target.list_prefix();
    for up in &plan.uploads {
        if let Some(etag) = etags.get(up.key.as_str()).and_then(|r| r.etag.clone()) {
            let rel = up.key.strip_prefix(&prefix).unwrap_or(&up.key);
            files.insert(rel.to_owned(), ManifestEntry { size: up.file.size, md5: up.file.md5.clone(), etag });
        }
    }
    // Unchanged files keep their entries (when they had one).
    for key in &plan.unchanged {
        let rel = key.strip_prefix(&prefix).unwrap_or(key);
        if let Some(e) = old.files.get(rel) {
            files.insert(rel.to_owned(), e.clone());
        }
    }
    let manifest = Manifest { version: 1, files };
    if manifest == old {
        return Ok(());
    }
    let body = serde_json::to_vec_pretty(&manifest).map_err(|e| PublishError::Other(e.to_string()))?;
    store.put_bytes(&plan.target.manifest_key(), body, "application/json", "no-store").await
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The `--to` value is not `s3://BUCKET[/PREFIX]`.
    #[error("invalid target {0:?}: expected s3://BUCKET or s3://BUCKET/PREFIX")]
    Target(String),
    /// A local file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file name that cannot be an object key.
    #[error("file name is not valid UTF-8: {}", .0.display())]
    Name(PathBuf),
    /// No credentials anywhere.
    #[error(
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put them in \
         ~/.aws/credentials (AWS_PROFILE picks the profile, AWS_SHARED_CREDENTIALS_FILE the file)"
    )]
    NoCredentials,
    /// The server rejected the credentials.
    #[error(
        "the storage server at {endpoint} rejected the credentials: {code}: {message} (check \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE and ~/.aws/credentials)"
    )]
    Credentials {
        /// The server.
        endpoint: String,
        /// S3 error code (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, …).
        code: String,
        /// The server's message.
        message: String,
    },
    /// The credentials are valid but may not do this.
    #[error("access denied for {op} {key}: {message} (the credentials lack permission for this bucket)")]
    AccessDenied {
        /// The operation.
        op: &'static str,
        /// The key or bucket.
        key: String,
        /// The server's message.
        message: String,
    },
    /// The bucket does not exist.
    #[error("bucket {0:?} does not exist (podmark does not create buckets; create it with your provider's tools)")]
    NoBucket(String),
    /// Any other error answer from the server.
    #[error("{op} {key} failed: HTTP {status} {code}: {message}")]
    Server {
        /// The operation.
        op: &'static str,
        /// The key.
        key: String,
        /// HTTP status.
        status: u16,
        /// S3 error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server could not be reached, or the request failed on the way.
    #[error("{op} {key}: {message}")]
    Transport {
        /// The operation.
        op: &'static str,
        /// The key.
        key: String,
        /// What went wrong.
        message: String,
    },
    /// A feed points at files publish gives new names, but says nowhere where it is served from.
    #[error(
        "{0} has no <atom:link rel=\"self\" href=\"…/{0}\">: publish cannot tell which of its URLs point into \
         the bucket, so it cannot point them at the new, content-addressed names of changed files (podmark \
         build writes this link)"
    )]
    NoBase(String),
    /// An item without a `<guid>` whose enclosure URL publish would change.
    #[error(
        "{feed}: the item with enclosure {url} has no <guid>; podcast apps would take it for a new episode \
         when its enclosure moves to a content-addressed name. Give it a <guid> (podmark build writes one \
         from guids.lock)"
    )]
    NoGuid {
        /// The feed, relative to the folder.
        feed: String,
        /// The item's enclosure URL.
        url: String,
    },
    /// A feed says it is served from this machine or a private network (its `--base-url` was
    /// `http://127.0.0.1:…/`, `localhost`, `10.…`, `192.168.…`, `*.local`, …): podcast apps could
    /// not fetch it or its episodes from the bucket.
    #[error(
        "{feed} says it is served from {base}, a local address that podcast apps cannot reach; rebuild \
         without --base-url (or with the public URL of the destination), or pass --force to publish anyway"
    )]
    LocalBase {
        /// The feed, relative to the folder.
        feed: String,
        /// Its base URL (from its self link).
        base: String,
    },
    /// A feed says it is served from another place than the destination's public URL.
    #[error(
        "{feed} says it is served from {base}, not from --public-url {public}; rebuild with --base-url \
         {public}, or pass --force to publish anyway"
    )]
    BaseMismatch {
        /// The feed, relative to the folder.
        feed: String,
        /// Its base URL (from its self link).
        base: String,
        /// The destination's public base URL.
        public: String,
    },
    /// The progress callback stopped the run.
    #[error("publish stopped before it finished; the published feed is unchanged or complete")]
    Aborted,
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl PublishError {
    fn read(path: &Path, source: io::Error) -> Self {
        PublishError::Read { path: path.to_path_buf(), source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn targets() {
        let t: Target = "s3://b".parse().unwrap();
        assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("b", ""));
        assert_eq!(t.key("feed.xml"), "feed.xml");
        assert_eq!(t.list_prefix(), "");
        let t: Target = "s3://b/a/b/".parse().unwrap();
        assert_eq!(t.list_prefix(), "a/b/");
        assert_eq!(t.manifest_key(), "a/b/.podmark-manifest.json");
        for bad in ["b", "s3://", "s3:///x", "s3://b/../x", "s3://b/a//b", "s3://b c/x", "http://b/x"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_and_caching() {
        assert_eq!(Kind::of("feed.xml"), Kind::Feed);
        assert_eq!(Kind::of("shows/a.rss"), Kind::Feed);
        assert_eq!(Kind::of("chapters/a.json"), Kind::Chapters);
        assert_eq!(Kind::of("chapters/a.psc.xml"), Kind::Chapters);
        assert_eq!(Kind::of("ep.vtt"), Kind::Chapters);
        assert_eq!(Kind::of("a.m4b"), Kind::Audio);
        assert_eq!(Kind::of("index.html"), Kind::Other);
        assert!(!is_versioned("audio/020-containers-with-red-hat.mp3"));
        assert!(!is_versioned("audio/episode-20160914.mp3"));
        assert!(is_versioned("audio/ep-3fa8c1d2.mp3"));
        assert!(is_versioned("audio/ep.3FA8C1D2.mp3"));
        assert!(is_versioned("audio/ep_v12.mp3"));
        assert!(!is_versioned("audio/v.mp3"));
        assert!(!is_versioned("audio/vacation.mp3"));
    }

    fn write(dir: &Path, rel: &str, bytes: &[u8]) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn etags_follow_the_s3_rules() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "small.mp3", b"hello");
        let big: Vec<u8> = (0..PART_SIZE * 2 + 10).map(|i| u8::try_from(i % 251).unwrap()).collect();
        write(tmp.path(), "big.mp3", &big);
        let exact = vec![7u8; usize::try_from(PART_SIZE).unwrap()];
        write(tmp.path(), "exact.mp3", &exact);
        write(tmp.path(), ".hidden", b"x");
        write(tmp.path(), ".git/config", b"x");
        let files = scan(tmp.path()).unwrap();
        let rels: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["big.mp3", "exact.mp3", "small.mp3"]);
        assert_eq!(files[2].etag, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(files[2].md5, files[2].etag);
        let parts: Vec<[u8; 16]> = big.chunks(8 * 1024 * 1024).map(|c| md5::compute(c).0).collect();
        assert_eq!(files[0].etag, format!("{:x}-3", md5::compute(parts.concat())));
        assert_eq!(files[0].md5, format!("{:x}", md5::compute(&big)));
        assert_eq!(files[1].etag, format!("{:x}-1", md5::compute(md5::compute(&exact).0)));
    }

    /// An object in memory: content, content type, cache control.
    type Stored = (Vec<u8>, String, String);

    /// A store in memory.
    #[derive(Default)]
    struct MemStore {
        objects: RefCell<BTreeMap<String, Stored>>,
        log: RefCell<Vec<String>>,
    }

    impl MemStore {
        /// Stores an object; logs `OVERWRITE` when audio, chapters or an image get other bytes.
        fn put(&self, key: &str, body: Vec<u8>, ct: &str, cc: &str) {
            let old = self.objects.borrow_mut().insert(key.to_owned(), (body.clone(), ct.to_owned(), cc.to_owned()));
            let replaced = old.is_some_and(|(old, _, _)| old != body);
            let verb = if replaced && content_addressed(Kind::of(key)) { "OVERWRITE" } else { "put" };
            self.log.borrow_mut().push(format!("{verb} {key}"));
        }
    }

    impl Store for MemStore {
        async fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>, PublishError> {
            Ok(self
                .objects
                .borrow()
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, (v, _, _))| RemoteObject {
                    key: k.clone(),
                    size: u64::try_from(v.len()).unwrap(),
                    etag: Some(format!("{:x}", md5::compute(v))),
                })
                .collect())
        }
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PublishError> {
            Ok(self.objects.borrow().get(key).map(|o| o.0.clone()))
        }
        async fn put_file(
            &self,
            key: &str,
            file: &LocalFile,
            on_read: &mut dyn FnMut(u64) -> ControlFlow<()>,
        ) -> Result<(), PublishError> {
            let body = std::fs::read(&file.path).unwrap();
            if on_read(u64::try_from(body.len()).unwrap()).is_break() {
                return Err(PublishError::Aborted);
            }
            self.put(key, body, file.content_type, file.cache_control);
            Ok(())
        }
        async fn put_bytes(&self, key: &str, body: Vec<u8>, ct: &str, cc: &str) -> Result<(), PublishError> {
            self.put(key, body, ct, cc);
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), PublishError> {
            self.log.borrow_mut().push(format!("delete {key}"));
            self.objects.borrow_mut().remove(key);
            Ok(())
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    const BASE: &str = "https://cdn.example/p/";

    /// Writes a podcast like `podmark build` makes: audio, chapters JSON, and a feed (with a self link
    /// and GUIDs) whose enclosures and chapters point at them below [`BASE`].
    fn podcast(dir: &Path, episodes: &[(&str, &str)]) {
        let _ = std::fs::remove_dir_all(dir);
        let mut feed = format!("<rss><channel><atom:link href=\"{BASE}feed.xml\" rel=\"self\"/>\n");
        for (slug, audio) in episodes {
            write(dir, &format!("audio/{slug}.mp3"), audio.as_bytes());
            write(dir, &format!("chapters/{slug}.json"), format!("{{\"c\":\"{audio}\"}}").as_bytes());
            feed.push_str(&format!(
                "<item><guid>{slug}</guid><enclosure url=\"{BASE}audio/{slug}.mp3\" length=\"{}\"/>\
                 <podcast:chapters url=\"{BASE}chapters/{slug}.json\"/></item>\n",
                audio.len()
            ));
        }
        feed.push_str("</channel></rss>\n");
        write(dir, "feed.xml", feed.as_bytes());
    }

    /// The stored feed's URLs below [`BASE`], with the `length` each enclosure gives (if any).
    fn feed_urls(feed: &str) -> Vec<(String, Option<u64>)> {
        feed.split("url=\"")
            .skip(1)
            .filter_map(|s| {
                let rel = s.split('"').next()?.strip_prefix(BASE)?.to_owned();
                let len = s.split_once("length=\"").map(|(_, l)| l.split('"').next().unwrap().parse().unwrap());
                let is_enclosure = s.starts_with(&format!("{BASE}{rel}\" length"));
                Some((rel, len.filter(|_| is_enclosure)))
            })
            .collect()
    }

    /// Every object the stored feed points at exists, and each enclosure has the length the feed says.
    fn feed_is_complete(store: &MemStore, prefix: &str) -> Result<(), String> {
        let objects = store.objects.borrow();
        let Some((feed, _, _)) = objects.get(&format!("{prefix}feed.xml")) else { return Err("no feed".into()) };
        for (rel, len) in feed_urls(&String::from_utf8_lossy(feed)) {
            let Some((body, _, _)) = objects.get(&format!("{prefix}{rel}")) else {
                return Err(format!("{rel} missing"));
            };
            if len.is_some_and(|l| l != u64::try_from(body.len()).unwrap()) {
                return Err(format!("{rel} has {} bytes, the feed says {len:?}", body.len()));
            }
        }
        Ok(())
    }

    fn publish(store: &MemStore, dir: &Path, target: &Target, delete: bool) -> Summary {
        block_on(async {
            let plan = prepare(store, dir, target, delete).await.unwrap();
            execute(store, &plan, 3, &mut |_| ControlFlow::Continue(())).await.unwrap()
        })
    }

    fn hashed(dir: &Path, rel: &str) -> String {
        let md5 = format!("{:x}", md5::compute(std::fs::read(dir.join(rel)).unwrap()));
        content_rel(rel, &md5[..8])
    }

    #[test]
    fn publishes_only_what_changed_under_content_names_feed_last() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("feed");
        let target: Target = "s3://b/p".parse().unwrap();
        let store = MemStore::default();
        podcast(&dir, &[("ep1", "one"), ("ep2", "two")]);
        let h = |rel: &str| format!("p/{}", hashed(&dir, rel));
        let (a1, a2, c1, c2) = (h("audio/ep1.mp3"), h("audio/ep2.mp3"), h("chapters/ep1.json"), h("chapters/ep2.json"));
        let first = publish(&store, &dir, &target, false);
        assert_eq!(first.uploaded_keys, [a1.as_str(), a2.as_str(), c1.as_str(), c2.as_str(), "p/feed.xml"]);
        assert_eq!(first.published["audio/ep1.mp3"], a1);
        assert_eq!(store.log.borrow().last().unwrap(), "put p/.podmark-manifest.json");
        feed_is_complete(&store, "p/").unwrap();
        let objects = store.objects.borrow().clone();
        assert_eq!(objects["p/feed.xml"].1, "application/rss+xml; charset=utf-8");
        assert_eq!(objects["p/feed.xml"].2, CACHE_FEED);
        assert_eq!(objects[&a1].1, "audio/mpeg");
        assert_eq!(objects[&a1].2, CACHE_IMMUTABLE);
        assert_eq!(objects[&c1].1, "application/json+chapters");
        assert_eq!(objects[&c1].2, CACHE_IMMUTABLE);
        // The feed is the local one with its URLs moved to the new names, GUIDs untouched.
        let local_feed = std::fs::read_to_string(dir.join("feed.xml")).unwrap();
        let stored_feed = String::from_utf8(objects["p/feed.xml"].0.clone()).unwrap();
        assert_eq!(
            stored_feed,
            local_feed
                .replace(&format!("{BASE}audio/ep1.mp3"), &format!("{BASE}{}", &a1[2..]))
                .replace(&format!("{BASE}audio/ep2.mp3"), &format!("{BASE}{}", &a2[2..]))
                .replace(&format!("{BASE}chapters/ep1.json"), &format!("{BASE}{}", &c1[2..]))
                .replace(&format!("{BASE}chapters/ep2.json"), &format!("{BASE}{}", &c2[2..]))
        );
        assert!(stored_feed.contains("<guid>ep1</guid>"));

        store.log.borrow_mut().clear();
        let again = publish(&store, &dir, &target, false);
        assert_eq!((again.uploaded, again.skipped, again.deleted), (0, 5, 0));
        assert!(store.log.borrow().is_empty(), "{:?}", store.log.borrow());

        podcast(&dir, &[("ep1", "one"), ("ep2", "two, remastered")]);
        let (a2new, c2new) = (h("audio/ep2.mp3"), h("chapters/ep2.json"));
        let changed = publish(&store, &dir, &target, false);
        assert_eq!(changed.uploaded_keys, [a2new.as_str(), c2new.as_str(), "p/feed.xml"]);
        assert_eq!(changed.kept_keys, [a2.as_str(), c2.as_str()], "the old versions stay until --delete");
        feed_is_complete(&store, "p/").unwrap();
        assert!(store.log.borrow().iter().all(|l| !l.starts_with("OVERWRITE")), "{:?}", store.log.borrow());

        // Dropping an episode deletes nothing without --delete, and deletes after the feed with it.
        podcast(&dir, &[("ep2", "two, remastered")]);
        let kept = publish(&store, &dir, &target, false);
        assert_eq!(kept.kept_keys, [a1.as_str(), a2.as_str(), c1.as_str(), c2.as_str()]);
        assert!(store.objects.borrow().contains_key(&a1));
        store.log.borrow_mut().clear();
        let deleted = publish(&store, &dir, &target, true);
        assert_eq!(deleted.deleted_keys, [a1.as_str(), a2.as_str(), c1.as_str(), c2.as_str()]);
        assert!(!store.objects.borrow().contains_key(&a1));
        assert!(store.log.borrow().iter().all(|l| l.starts_with("delete") || l.contains("manifest")));
        feed_is_complete(&store, "p/").unwrap();
    }

    /// `--delete` leaves what the replaced feed points at for one more publish (a CDN may serve that
    /// feed for minutes), then removes it.
    #[test]
    fn delete_keeps_what_the_replaced_feed_uses_for_one_publish() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("feed");
        let target: Target = "s3://b/p".parse().unwrap();
        let store = MemStore::default();
        podcast(&dir, &[("ep1", "one")]);
        publish(&store, &dir, &target, true);
        let old = [format!("p/{}", hashed(&dir, "audio/ep1.mp3")), format!("p/{}", hashed(&dir, "chapters/ep1.json"))];
        podcast(&dir, &[("ep1", "one, re-tagged")]);
        let first = publish(&store, &dir, &target, true);
        assert_eq!(first.deleted_keys, Vec::<String>::new());
        assert_eq!(first.kept_keys, old);
        let second = publish(&store, &dir, &target, true);
        assert_eq!(second.deleted_keys, old);
        assert_eq!(second.uploaded, 0);
        feed_is_complete(&store, "p/").unwrap();
    }

    /// A bucket published by an older podmark (plain names): unchanged files keep their objects,
    /// changed ones get a new name instead of replacing the object the live feed points at.
    #[test]
    fn plain_names_from_older_publishes_are_kept_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("feed");
        let target: Target = "s3://b/p".parse().unwrap();
        let store = MemStore::default();
        podcast(&dir, &[("ep1", "one"), ("ep2", "two")]);
        for f in scan(&dir).unwrap() {
            store.put(&target.key(&f.rel), std::fs::read(&f.path).unwrap(), f.content_type, f.cache_control);
        }
        let first = publish(&store, &dir, &target, false);
        assert_eq!(first.uploaded_keys, Vec::<String>::new(), "everything is already there under its plain name");
        podcast(&dir, &[("ep1", "one"), ("ep2", "two, re-tagged")]);
        store.log.borrow_mut().clear();
        let p = block_on(prepare(&store, &dir, &target, false)).unwrap();
        assert!(p.uploads.iter().all(|u| u.reason == Reason::Changed), "{:?}", p.uploads);
        let changed = publish(&store, &dir, &target, false);
        let a2 = format!("p/{}", hashed(&dir, "audio/ep2.mp3"));
        assert_eq!(changed.uploaded_keys[0], a2);
        assert_eq!(store.objects.borrow()["p/audio/ep2.mp3"].0, b"two", "the old object is untouched");
        assert!(store.log.borrow().iter().all(|l| !l.starts_with("OVERWRITE")), "{:?}", store.log.borrow());
        feed_is_complete(&store, "p/").unwrap();
        let feed = String::from_utf8(store.objects.borrow()["p/feed.xml"].0.clone()).unwrap();
        assert!(feed.contains(&format!("{BASE}audio/ep1.mp3\"")), "unchanged audio keeps its URL: {feed}");
    }

    #[test]
    fn feeds_that_cannot_be_rewritten_safely_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("feed");
        let target: Target = "s3://b/p".parse().unwrap();
        let store = MemStore::default();
        podcast(&dir, &[("ep1", "one")]);
        let feed = std::fs::read_to_string(dir.join("feed.xml")).unwrap();
        write(&dir, "feed.xml", feed.replace("rel=\"self\"", "rel=\"alternate\"").as_bytes());
        let err = block_on(prepare(&store, &dir, &target, false)).unwrap_err();
        assert!(matches!(err, PublishError::NoBase(ref f) if f == "feed.xml"), "{err}");
        write(&dir, "feed.xml", feed.replace("<guid>ep1</guid>", "").as_bytes());
        let err = block_on(prepare(&store, &dir, &target, false)).unwrap_err();
        assert!(matches!(err, PublishError::NoGuid { ref url, .. } if url == &format!("{BASE}audio/ep1.mp3")), "{err}");
        assert!(store.log.borrow().is_empty());
    }

    #[test]
    fn pages_go_up_oldest_first_and_feed_xml_last() {
        let tmp = tempfile::tempdir().unwrap();
        for page in ["feed.xml", "feed-2.xml", "feed-10.xml", "feed-3.xml", "other.rss"] {
            write(tmp.path(), page, b"<rss/>");
        }
        let target: Target = "s3://b".parse().unwrap();
        let p = plan(scan(tmp.path()).unwrap(), &[], None, &target, false, &BTreeSet::new()).unwrap();
        let keys: Vec<&str> = p.uploads.iter().map(|u| u.key.as_str()).collect();
        assert_eq!(keys, ["other.rss", "feed-10.xml", "feed-3.xml", "feed-2.xml", "feed.xml"]);
    }

    #[test]
    fn manifest_covers_stores_without_md5_etags() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "a.mp3", b"abc");
        let target: Target = "s3://b".parse().unwrap();
        let local = scan(tmp.path()).unwrap();
        let remote = [RemoteObject { key: "a.mp3".into(), size: 3, etag: Some("opaque-kms-etag".into()) }];
        let p = plan(local.clone(), &remote, None, &target, false, &BTreeSet::new()).unwrap();
        assert_eq!(p.uploads.len(), 1);
        assert_eq!(p.uploads[0].key, format!("a-{}.mp3", &local[0].md5[..8]), "never over a.mp3");
        let mut manifest = Manifest { version: 1, files: BTreeMap::new() };
        let entry = ManifestEntry { size: 3, md5: local[0].md5.clone(), etag: "opaque-kms-etag".into() };
        manifest.files.insert("a.mp3".into(), entry);
        let p = plan(local.clone(), &remote, Some(&manifest), &target, false, &BTreeSet::new()).unwrap();
        assert_eq!((p.uploads.len(), p.unchanged.len()), (0, 1));
        // A manifest entry for other content does not hide a change.
        manifest.files.get_mut("a.mp3").unwrap().md5 = "0".repeat(32);
        assert_eq!(plan(local, &remote, Some(&manifest), &target, false, &BTreeSet::new()).unwrap().uploads.len(), 1);
    }

    /// The 8-digit name taken by other bytes (a hash-prefix collision): the full MD5 name is used.
    #[test]
    fn a_taken_short_name_falls_back_to_the_full_hash() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "a.mp3", b"abc");
        let target: Target = "s3://b".parse().unwrap();
        let local = scan(tmp.path()).unwrap();
        let md5 = local[0].md5.clone();
        let other = format!("{:x}", md5::compute(b"xyz"));
        let remote = [RemoteObject { key: format!("a-{}.mp3", &md5[..8]), size: 3, etag: Some(other) }];
        let p = plan(local, &remote, None, &target, false, &BTreeSet::new()).unwrap();
        assert_eq!(p.uploads[0].key, format!("a-{md5}.mp3"));
    }

    /// Stop the second publish after every possible step: the stored feed is always complete, with
    /// the lengths it gives.
    #[test]
    fn stopping_at_any_point_keeps_the_feed_complete() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("feed");
        let target: Target = "s3://b/p".parse().unwrap();
        for stop_at in 0.. {
            let store = MemStore::default();
            podcast(&dir, &[("ep1", "one"), ("ep2", "two")]);
            publish(&store, &dir, &target, false);
            podcast(&dir, &[("ep2", "two, longer"), ("ep3", "three")]);
            let mut events = 0;
            let result = block_on(async {
                let plan = prepare(&store, &dir, &target, true).await.unwrap();
                execute(&store, &plan, 2, &mut |_| {
                    events += 1;
                    if events > stop_at { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
                })
                .await
            });
            if let Err(e) = feed_is_complete(&store, "p/") {
                panic!("stopped after {stop_at} events: {e}");
            }
            assert!(store.log.borrow().iter().all(|l| !l.starts_with("OVERWRITE")), "{:?}", store.log.borrow());
            if result.is_ok() {
                assert!(stop_at > 10, "the run has more steps than {stop_at}");
                break;
            }
            assert!(matches!(result, Err(PublishError::Aborted)));
        }
    }
}
