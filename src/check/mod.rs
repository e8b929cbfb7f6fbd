//! `podmark check`: validate a podcast feed the way Apple Podcasts and Podcasting 2.0 apps will
//! read it, and beyond what any validator can see.
//!
//! Three kinds of input:
//!
//! - **A feed file** ([`check_feed_file`]): the feed rules ([`rules`]) plus checks against the files
//!   next to it. Each URL that starts with the folder of the feed's `atom:link rel="self"` URL is
//!   mapped onto the feed's folder, so `https://example.com/audio/a.mp3` is `feed/audio/a.mp3`. Then
//!   the enclosure length must equal the file's size, `itunes:duration` the probed duration (whole
//!   seconds, ±1 s), the JSON chapters must exist, parse and lie within the audio, inline
//!   `psc:chapters` must agree with them, artwork must meet Apple's rules ([`artwork`]), transcripts
//!   and images must exist, and GUIDs must match the lock file.
//! - **A URL** ([`check_url`]): the feed rules on the fetched feed, the fetched artwork, and for each
//!   enclosure a `HEAD` (Content-Length must equal `length`) and a `Range: bytes=0-99` GET (must
//!   answer `206` with a Content-Range total equal to `length`), as Apple requires.
//! - **The sources** ([`check_sources`]): `episodes/` as `podmark build` reads it, each episode's
//!   audio probed, chapters checked against its duration, GUIDs against the lock; nothing is written.
//!
//! Every problem is a [`Diagnostic`] with a line and column in the feed (problems in a file the
//! feed points to are reported where the feed names it, and the message names the file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
#[cfg(feature = "net")]
use std::time::Duration;

use crate::diagnostic::{Diagnostic, Location, Position, quote};
use crate::formats::{Format, decode_text};
use crate::sources::guid_lock::{GuidLock, new_episode_guid};
use crate::validate::{Profile, check_all};
use crate::{Chapters, Timestamp};

pub mod artwork;
mod podcast_ns;
pub mod rules;
pub mod xml;

use rules::{FeedFacts, ItemFacts, Out};

/// What to check besides the feed itself.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The GUID lock file (`episodes/guids.lock`) to compare the feed's GUIDs with.
    pub lock: Option<PathBuf>,
}

/// Why a check could not run at all (as opposed to finding problems).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The feed could not be fetched.
    #[error("{url}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The lock file could not be read, or is not a lock file.
    #[error("{0}")]
    Lock(crate::sources::SourceDiagnostic),
    /// The sources could not be loaded.
    #[error(transparent)]
    Build(Box<crate::build::BuildError>),
    /// Checking a URL needs the `net` feature, which this build of podmark lacks.
    #[error("{url}: podmark was built without the `net` feature, so it cannot fetch URLs")]
    NetDisabled {
        /// The URL.
        url: String,
    },
}

/// The diagnostics of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file (or URL) the locations refer to.
    pub path: String,
    /// Its problems, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks feed XML text with the rules only (no files, no network).
pub fn check_feed_text(text: &str) -> Vec<Diagnostic> {
    let mut diags = parse_and_check(text).0;
    sort(&mut diags);
    diags
}

/// Parses and checks; the tree facts are `None` when the XML is not well-formed.
fn parse_and_check(text: &str) -> (Vec<Diagnostic>, Option<FeedFacts>) {
    let mut out = Out::new(text);
    if let Some(at) = xml::misplaced_declaration(text) {
        out.error(
            "xml-declaration",
            at,
            "something comes before <?xml …?>; the declaration must be the file's very first characters, and libxml2, expat and AntennaPod refuse the whole feed otherwise",
        );
    }
    match xml::parse(text) {
        Ok(root) => {
            let facts = rules::check_tree(&root, &mut out);
            (out.diags, Some(facts))
        }
        Err(e) => {
            out.error("xml", e.offset, e.message);
            (out.diags, None)
        }
    }
}

/// Decodes a feed's bytes: UTF-8 (a BOM is skipped); anything else is a diagnostic at its byte.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            "encoding",
            Location::Byte { offset: u64::try_from(e.valid_up_to()).unwrap_or(u64::MAX) },
            "the feed is not UTF-8, which Apple requires",
        )
    })
}

/// Checks a feed file and the files it points to (see the module docs).
pub fn check_feed_file(path: &Path, options: &CheckOptions) -> Result<Vec<Diagnostic>, CheckError> {
    let bytes = std::fs::read(path).map_err(|source| CheckError::Io { path: path.to_owned(), source })?;
    let text = match decode(&bytes) {
        Ok(t) => t,
        Err(d) => return Ok(vec![d]),
    };
    let (mut diags, facts) = parse_and_check(text);
    let Some(facts) = facts else { return Ok(diags) };
    let lock = match &options.lock {
        Some(p) => Some((p.clone(), GuidLock::load(p).map_err(CheckError::Lock)?)),
        None => None,
    };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut out = Out::new(text);
    local_checks(&facts, dir, lock.as_ref().map(|(p, l)| (p.as_path(), l)), &mut out);
    diags.extend(out.diags);
    sort(&mut diags);
    Ok(diags)
}

/// Maps feed URLs onto the folder that holds the feed.
struct Mapper<'a> {
    prefix: Option<String>,
    dir: &'a Path,
}

impl Mapper<'_> {
    /// The local file of `url`, when the URL is under the feed's own folder.
    fn file(&self, url: &str) -> Option<PathBuf> {
        let rest = url.strip_prefix(self.prefix.as_deref()?)?;
        let rest = rest.split(['?', '#']).next().unwrap_or(rest);
        let decoded = percent_decode(rest)?;
        if decoded.split('/').any(|seg| seg == "..") {
            return None;
        }
        Some(self.dir.join(decoded))
    }

    /// The path of `file` relative to the feed folder, for messages.
    fn show(&self, file: &Path) -> String {
        file.strip_prefix(self.dir).unwrap_or(file).display().to_string()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The folder of a URL: everything up to and including the last `/` of its path.
fn url_dir(url: &str) -> String {
    let path_start = url.find("://").map_or(0, |i| i + 3);
    match url.get(path_start..).and_then(|rest| rest.rfind('/')) {
        Some(i) => url.get(..path_start + i + 1).unwrap_or(url).to_owned(),
        None => format!("{url}/"),
    }
}

fn local_checks(facts: &FeedFacts, dir: &Path, lock: Option<(&Path, &GuidLock)>, out: &mut Out<'_>) {
    let map = Mapper { prefix: facts.self_url.as_ref().map(|s| url_dir(&s.value)), dir };
    if let Some(img) = &facts.image {
        check_local_image(&map, img, out);
    }
    for item in &facts.items {
        check_local_item(&map, item, out);
        if let Some((lock_path, lock)) = lock {
            check_lock(item, lock_path, lock, out);
        }
    }
}

fn check_local_image(map: &Mapper<'_>, img: &rules::Located<String>, out: &mut Out<'_>) {
    let Some(file) = map.file(&img.value) else { return };
    match std::fs::read(&file) {
        Ok(bytes) => {
            for (is_error, code, msg) in artwork::check(&map.show(&file), &bytes) {
                if is_error { out.error(code, img.offset, msg) } else { out.warning(code, img.offset, msg) }
            }
        }
        Err(e) => {
            out.error("missing-file", img.offset, format!("artwork {} is {}: {e}", quote(&img.value), map.show(&file)))
        }
    }
}

fn check_exists(map: &Mapper<'_>, what: &str, url: &rules::Located<String>, out: &mut Out<'_>) {
    if let Some(file) = map.file(&url.value)
        && !file.is_file()
    {
        out.error(
            "missing-file",
            url.offset,
            format!("{what} {} should be the file {}, which does not exist", quote(&url.value), map.show(&file)),
        );
    }
}

fn check_local_item(map: &Mapper<'_>, item: &ItemFacts, out: &mut Out<'_>) {
    podcast_ns::check_local_alternates(map, &item.alternates, out);
    for t in &item.transcripts {
        check_exists(map, "transcript", t, out);
    }
    for img in &item.images {
        check_local_image(map, img, out);
    }
    let mut duration: Option<Timestamp> = None;
    if let Some(enc) = &item.enclosure
        && let Some(url) = &enc.url
        && let Some(file) = map.file(&url.value)
    {
        let shown = map.show(&file);
        match std::fs::metadata(&file) {
            Err(e) => out.error(
                "missing-file",
                url.offset,
                format!("enclosure {} should be the file {shown}: {e}", quote(&url.value)),
            ),
            Ok(meta) => {
                if let Some(len) = &enc.length
                    && len.value != meta.len()
                {
                    out.error(
                        "enclosure-length",
                        len.offset,
                        format!(
                            "enclosure length \"{}\" differs from the size of {shown}: {} bytes",
                            len.value,
                            meta.len()
                        ),
                    );
                }
                match crate::probe::probe_path(&file) {
                    Err(e) => out.error("audio", url.offset, format!("{shown}: {e}")),
                    Ok(info) => {
                        duration = Some(info.duration);
                        if info.precision == crate::probe::Precision::Estimate {
                            for w in &info.warnings {
                                out.warning("audio-estimate", url.offset, format!("{shown}: {w}"));
                            }
                        }
                        if let Some(mime) = &enc.mime
                            && !mime.value.parse::<crate::mime::Mime>().is_ok_and(|m| m.same_media(info.mime))
                        {
                            out.error(
                                "enclosure-type",
                                mime.offset,
                                format!("enclosure type {} but {shown} is {}", quote(&mime.value), info.mime),
                            );
                        }
                        if let Some(d) = &item.duration_secs {
                            let exact = info.duration.as_secs_f64();
                            #[allow(clippy::cast_precision_loss)]
                            let declared = d.value as f64;
                            if (declared - exact).abs() > 1.0 {
                                out.error(
                                    "duration",
                                    d.offset,
                                    format!(
                                        "itunes:duration \"{}\" differs from the audio {shown}: {} ({} s)",
                                        d.value,
                                        info.duration,
                                        info.duration.as_secs_rounded()
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(ch) = &item.chapters_url
        && let Some(file) = map.file(&ch.value)
    {
        let shown = map.show(&file);
        let json = match std::fs::read(&file) {
            Err(e) => {
                out.error(
                    "chapters-file",
                    ch.offset,
                    format!("podcast:chapters {} should be the file {shown}: {e}", quote(&ch.value)),
                );
                None
            }
            Ok(bytes) => match decode_text(&bytes) {
                Err(d) => {
                    out.error("chapters-file", ch.offset, format!("{shown}:{d}"));
                    None
                }
                Ok(text) => {
                    let parsed = Format::Json.read(text);
                    let mut problems = parsed.diagnostics.clone();
                    // JSON times are decimal seconds rounded to the microsecond, so a last chapter that
                    // ends exactly with the audio may be written a fraction of a millisecond past it:
                    // compare against the duration rounded up to the next millisecond.
                    let limit = duration.and_then(|d| Timestamp::from_millis(d.as_nanos().div_ceil(1_000_000)));
                    problems.extend(check_all(&parsed, &[Profile::Strict, Profile::Podcasting2], limit));
                    for d in &problems {
                        let msg = format!("{shown}:{d}");
                        if d.is_error() {
                            out.error("chapters-file", ch.offset, msg)
                        } else {
                            out.warning("chapters-file", ch.offset, msg)
                        }
                    }
                    if problems.iter().any(Diagnostic::is_error) { None } else { parsed.into_chapters().ok() }
                }
            },
        };
        if let (Some(json), Some(psc)) = (json, &item.psc) {
            compare_psc(&json, psc, &shown, out);
        }
    }
}

/// Inline `psc:chapters` must list the JSON's visible chapters: same starts (to the millisecond)
/// and titles.
fn compare_psc(json: &Chapters, psc: &rules::Located<Vec<(Timestamp, String)>>, shown: &str, out: &mut Out<'_>) {
    let visible: Vec<(Timestamp, &str)> =
        json.iter().filter(|c| !c.hidden).map(|c| (c.start, c.title.as_str())).collect();
    if visible.len() != psc.value.len() {
        out.error(
            "psc-mismatch",
            psc.offset,
            format!("psc:chapters lists {} chapters but {shown} has {}", psc.value.len(), visible.len()),
        );
        return;
    }
    for ((js, jt), (ps, pt)) in visible.iter().zip(&psc.value) {
        if js.as_millis() != ps.as_millis() || *jt != pt.as_str() {
            out.error(
                "psc-mismatch",
                psc.offset,
                format!("psc:chapters has {ps} {} where {shown} has {js} {}", quote(pt), quote(jt)),
            );
            return;
        }
    }
}

/// The episode folder an item came from: the file stem of its enclosure URL (`audio/<slug>.mp3`).
fn slug_of(item: &ItemFacts) -> Option<String> {
    let url = &item.enclosure.as_ref()?.url.as_ref()?.value;
    let name = url.split(['?', '#']).next()?.rsplit('/').next()?;
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    percent_decode(stem)
}

fn check_lock(item: &ItemFacts, lock_path: &Path, lock: &GuidLock, out: &mut Out<'_>) {
    let (Some(guid), Some(slug)) = (&item.guid, slug_of(item)) else { return };
    match lock.get(&slug) {
        Ok(Some(locked)) if locked != guid.value => out.error(
            "guid-lock",
            guid.offset,
            format!(
                "guid {} differs from {} locked for episode {slug} in {}; apps would download the episode again",
                quote(&guid.value),
                quote(&locked),
                lock_path.display()
            ),
        ),
        Ok(Some(_)) => {}
        Ok(None) => out.warning(
            "guid-unlocked",
            guid.offset,
            format!("episode {slug} (guid {}) is not in {}", quote(&guid.value), lock_path.display()),
        ),
        Err(d) => out.error(d.code, guid.offset, d.message),
    }
}

/// A blocking HTTP agent that reports every status (no status is an error) and gives up after 30 s.
#[cfg(feature = "net")]
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

#[cfg(feature = "net")]
fn header<'a>(resp: &'a ureq::http::Response<ureq::Body>, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Fetches a feed and checks it, its artwork and every enclosure over HTTP (see the module docs).
///
/// Without the `net` feature this is always [`CheckError::NetDisabled`].
#[cfg(not(feature = "net"))]
pub fn check_url(url: &str) -> Result<Vec<Diagnostic>, CheckError> {
    Err(CheckError::NetDisabled { url: url.to_owned() })
}

/// The largest feed body [`check_url`] reads: 16 MiB. Real feeds are far smaller (an item with
/// full show notes is a few KiB, so even a thousand episodes make a few MiB), so a larger body is
/// almost certainly not a feed, and reading it would only cost memory.
pub const MAX_FEED_BYTES: u64 = 16 << 20;

/// Fetches a feed and checks it, its artwork and every enclosure over HTTP (see the module docs).
///
/// Needs the `net` feature (on by default); without it this is always [`CheckError::NetDisabled`].
#[cfg(feature = "net")]
pub fn check_url(url: &str) -> Result<Vec<Diagnostic>, CheckError> {
    let agent = agent();
    let http = |message: String| CheckError::Http { url: url.to_owned(), message };
    let mut resp = agent.get(url).call().map_err(|e| http(e.to_string()))?;
    if resp.status().as_u16() != 200 {
        return Err(http(format!("the server answered {}", resp.status())));
    }
    let bytes = resp.body_mut().with_config().limit(MAX_FEED_BYTES).read_to_vec().map_err(|e| match e {
        ureq::Error::BodyExceedsLimit(_) => http(format!(
            "the feed is larger than {} MiB, the most podmark reads (real feeds, even with thousands of episodes, are a few MiB)",
            MAX_FEED_BYTES >> 20
        )),
        e => http(e.to_string()),
    })?;
    let text = match decode(&bytes) {
        Ok(t) => t,
        Err(d) => return Ok(vec![d]),
    };
    let (mut diags, facts) = parse_and_check(text);
    let Some(facts) = facts else { return Ok(diags) };
    let mut out = Out::new(text);
    if let Some(img) = &facts.image {
        remote_image(&agent, img, &mut out);
    }
    for item in &facts.items {
        for img in &item.images {
            remote_image(&agent, img, &mut out);
        }
        if let Some(enc) = &item.enclosure
            && let (Some(u), Some(len)) = (&enc.url, &enc.length)
        {
            remote_enclosure(&agent, &u.value, len.value, enc.offset, &mut out);
        }
    }
    diags.extend(out.diags);
    sort(&mut diags);
    Ok(diags)
}

/// Orders diagnostics by where they are (stable: same place keeps the order found).
fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| d.location);
}

#[cfg(feature = "net")]
fn remote_image(agent: &ureq::Agent, img: &rules::Located<String>, out: &mut Out<'_>) {
    match agent.get(&img.value).call() {
        Err(e) => out.error("artwork-fetch", img.offset, format!("artwork {}: {e}", quote(&img.value))),
        Ok(mut resp) if resp.status().as_u16() == 200 => {
            match resp.body_mut().with_config().limit(32 << 20).read_to_vec() {
                Ok(bytes) => {
                    for (is_error, code, msg) in artwork::check(&img.value, &bytes) {
                        if is_error { out.error(code, img.offset, msg) } else { out.warning(code, img.offset, msg) }
                    }
                }
                Err(e) => out.error("artwork-fetch", img.offset, format!("artwork {}: {e}", quote(&img.value))),
            }
        }
        Ok(resp) => out.error(
            "artwork-fetch",
            img.offset,
            format!("artwork {}: the server answered {}", quote(&img.value), resp.status()),
        ),
    }
}

#[cfg(feature = "net")]
fn remote_enclosure(agent: &ureq::Agent, url: &str, length: u64, at: usize, out: &mut Out<'_>) {
    match agent.head(url).call() {
        Err(e) => out.error("enclosure-head", at, format!("HEAD {}: {e}", quote(url))),
        Ok(resp) if resp.status().as_u16() != 200 => {
            out.error(
                "enclosure-head",
                at,
                format!("HEAD {}: the server answered {}; Apple needs HEAD to work", quote(url), resp.status()),
            );
        }
        Ok(resp) => match header(&resp, "content-length").map(|v| (v, v.trim().parse::<u64>())) {
            Some((_, Ok(n))) if n == length => {}
            Some((v, _)) => out.error(
                "enclosure-length",
                at,
                format!("HEAD {}: Content-Length is {} but the enclosure length is {length}", quote(url), quote(v)),
            ),
            None => out.warning("enclosure-head", at, format!("HEAD {}: no Content-Length", quote(url))),
        },
    }
    match agent.get(url).header("Range", "bytes=0-99").call() {
        Err(e) => out.error("enclosure-range", at, format!("GET {} with Range: {e}", quote(url))),
        Ok(resp) if resp.status().as_u16() != 206 => out.error(
            "enclosure-range",
            at,
            format!(
                "GET {} with \"Range: bytes=0-99\" answered {} instead of 206 Partial Content; Apple requires byte-range requests",
                quote(url),
                resp.status()
            ),
        ),
        Ok(resp) => {
            let range = header(&resp, "content-range").unwrap_or_default().to_owned();
            let total = range.strip_prefix("bytes 0-").and_then(|r| r.split_once('/')).map(|(_, t)| t.trim().parse::<u64>());
            match total {
                Some(Ok(t)) if t == length => {}
                _ => out.error(
                    "enclosure-range",
                    at,
                    format!("GET {} with Range: Content-Range is {} but the enclosure length is {length}", quote(url), quote(&range)),
                ),
            }
        }
    }
}

/// Checks the sources in `episodes/` without writing anything: what `podmark build` reads, each
/// episode's audio probed, chapters within its duration, artwork, and GUIDs against `guids.lock`
/// (or `options.lock`).
pub fn check_sources(dir: &Path, options: &CheckOptions) -> Result<Vec<FileReport>, CheckError> {
    let mut reports: Vec<FileReport> = Vec::new();
    let push = |reports: &mut Vec<FileReport>, path: &Path, d: Diagnostic| {
        let path = path.display().to_string();
        match reports.iter_mut().find(|r| r.path == path) {
            Some(r) => r.diagnostics.push(d),
            None => reports.push(FileReport { path, diagnostics: vec![d] }),
        }
    };
    let (show, episodes, warnings) = match crate::build::load(dir) {
        Ok(x) => x,
        Err(crate::build::BuildError::Sources(list)) => {
            for s in list {
                push(&mut reports, &s.path, s.diagnostic);
            }
            return Ok(reports);
        }
        Err(crate::build::BuildError::Io { path, source }) => return Err(CheckError::Io { path, source }),
        Err(e) => return Err(CheckError::Build(Box::new(e))),
    };
    for s in warnings {
        push(&mut reports, &s.path, s.diagnostic);
    }
    // Local artwork (not a URL): the file must exist and pass Apple's artwork rules. A problem in the
    // image is reported on the image; a missing image on the file that names it.
    let check_image = |reports: &mut Vec<FileReport>, img: &str, base: &Path, named_in: &Path, at: Option<Location>| {
        if img.starts_with("http://") || img.starts_with("https://") {
            return;
        }
        let file = base.join(img);
        match std::fs::read(&file) {
            Ok(bytes) => {
                for (is_error, code, msg) in artwork::check(img, &bytes) {
                    let d = if is_error {
                        Diagnostic::error(code, None, msg)
                    } else {
                        Diagnostic::warning(code, None, msg)
                    };
                    push(reports, &file, d);
                }
            }
            Err(e) => {
                push(reports, named_in, Diagnostic::error("missing-file", at, format!("image {}: {e}", quote(img))))
            }
        }
    };
    if let Some(img) = &show.image {
        check_image(&mut reports, img, dir, &dir.join("podcast.toml"), None);
    }
    let lock_path = options.lock.clone().unwrap_or_else(|| dir.join("guids.lock"));
    let mut lock = match GuidLock::load(&lock_path) {
        Ok(lock) => lock,
        Err(s) => {
            push(&mut reports, &s.path, s.diagnostic);
            return Ok(reports);
        }
    };
    let show_guid = show.podcast_guid();
    // Renamed folders (as the build would take them), folders that may be renamed ones, orphans.
    let mut hashes = crate::build::renames::Hashes::default();
    let renames =
        crate::build::renames::resolve(&mut lock, &lock_path, &episodes, &show, show_guid, &mut hashes, false);
    for s in renames.kept.into_iter().chain(renames.unsure).chain(renames.orphans) {
        push(&mut reports, &s.path, s.diagnostic);
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    for ep in &episodes {
        let notes = ep.dir.join("episode.md");
        let guid = match (lock.get(&ep.slug), &ep.meta.guid) {
            (Err(d), _) => {
                push(&mut reports, &lock_path, d);
                None
            }
            (Ok(Some(locked)), Some(front)) if &locked != front => {
                push(
                    &mut reports,
                    &notes,
                    Diagnostic::error(
                        "guid-lock",
                        Position::new(1, 1),
                        format!(
                            "guid {} differs from {} locked in {}; GUIDs must never change",
                            quote(front),
                            quote(&locked),
                            lock_path.display()
                        ),
                    ),
                );
                None
            }
            (Ok(Some(locked)), _) => Some(locked),
            (Ok(None), Some(front)) => Some(front.clone()),
            (Ok(None), None) => Some(new_episode_guid(show_guid, &ep.slug)),
        };
        if let Some(g) = guid
            && let Some(other) = seen.insert(g.clone(), ep.slug.clone())
        {
            push(
                &mut reports,
                &notes,
                Diagnostic::error(
                    "duplicate-guid",
                    Position::new(1, 1),
                    format!("GUID {} is also used by episode {other}", quote(&g)),
                ),
            );
        }
        let missing = crate::build::missing_front_matter(&show, ep, &notes);
        for s in &missing {
            push(&mut reports, &s.path, s.diagnostic.clone());
        }
        let Some(audio) = &ep.meta.audio else {
            // Audio hosted elsewhere: its recorded URL and type, and chapters within its duration.
            if let Some(remote) = &ep.meta.enclosure {
                let text = std::fs::read_to_string(&notes).unwrap_or_default();
                let at = crate::sources::episode::front_matter_key(&text, "url").unwrap_or(Position::new(1, 1));
                if let Some(why) = remote.problem() {
                    push(&mut reports, &notes, Diagnostic::error("enclosure", at, why));
                }
                let duration = remote.duration.and_then(crate::Timestamp::from_secs);
                if let Some(Err(e)) = duration.map(|d| ep.chapters.clone().with_duration(d)) {
                    for p in e.problems() {
                        push(
                            &mut reports,
                            &notes,
                            Diagnostic::error("chapters", at, format!("{p} (the enclosure's duration)")),
                        );
                    }
                }
            }
            continue;
        };
        let audio = ep.dir.join(audio);
        let info = match crate::probe::probe_path(&audio) {
            Ok(i) => i,
            Err(e) => {
                push(
                    &mut reports,
                    &audio,
                    Diagnostic::error(e.kind.code(), Location::Byte { offset: e.offset }, e.kind.to_string()),
                );
                continue;
            }
        };
        if info.precision == crate::probe::Precision::Estimate {
            for w in &info.warnings {
                push(
                    &mut reports,
                    &audio,
                    Diagnostic::warning("audio-estimate", Location::Byte { offset: w.offset }, &w.message),
                );
            }
        }
        if let Err(e) = ep.chapters.clone().with_duration(info.duration) {
            for p in e.problems() {
                push(
                    &mut reports,
                    &notes,
                    Diagnostic::error(
                        "duration",
                        None,
                        format!("{p} (audio {} is {})", audio.display(), info.duration),
                    ),
                );
            }
        }
        if let Some(img) = &ep.meta.image {
            check_image(&mut reports, img, &ep.dir, &notes, Some(Location::from(Position::new(1, 1))));
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_onto_the_feed_folder() {
        assert_eq!(url_dir("https://e.example/pod/feed.xml"), "https://e.example/pod/");
        assert_eq!(url_dir("https://e.example"), "https://e.example/");
        let map = Mapper { prefix: Some("https://e.example/pod/".into()), dir: Path::new("/f") };
        assert_eq!(map.file("https://e.example/pod/audio/a%20b.mp3?x=1"), Some(PathBuf::from("/f/audio/a b.mp3")));
        assert_eq!(map.file("https://cdn.example/pod/a.mp3"), None);
        assert_eq!(map.file("https://e.example/pod/../etc/passwd"), None);
        assert_eq!(map.file("https://e.example/pod/%zz"), None);
    }

    #[test]
    fn reports_every_rule_on_a_bad_feed_with_positions() {
        let feed = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/DTDs/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
<title>T</title>
<language>english</language>
<podcast:locked>maybe</podcast:locked>
<podcast:guid>nope</podcast:guid>
<item><title>A</title><guid>g</guid><enclosure url="https://e.example/é.mp3" length="x" type="audio/ogg"/><pubDate>yesterday</pubDate><itunes:duration>1.5</itunes:duration></item>
<item><title>B</title><guid>g</guid><enclosure url="https://e.example/é.mp3" length="1" type="audio/mpeg"/></item>
</channel>
</rss>
"#;
        let diags = check_feed_text(feed);
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        for code in [
            "namespace-uri",
            "missing-tag",
            "language",
            "locked",
            "locked-owner",
            "podcast-guid",
            "no-self-link",
            "enclosure-ascii",
            "enclosure-length",
            "enclosure-type",
            "pubdate",
            "duplicate-guid",
            "duplicate-enclosure",
            "missing-pubdate",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        let lang = diags.iter().find(|d| d.code == "language").unwrap();
        assert_eq!(lang.location, Some(Location::Text { line: 5, column: 11 }));
        assert!(lang.message.contains("\"english\""), "{}", lang.message);
        let dup = diags.iter().find(|d| d.code == "duplicate-guid").unwrap();
        assert_eq!(dup.location, Some(Location::Text { line: 9, column: 29 }));
        assert!(dup.message.contains("line 8"), "{}", dup.message);
        // The wrong-case itunes URI is one problem: the itunes tags are still read (a fractional
        // duration is a warning), and none is reported missing because of the spelling.
        assert_eq!(codes.iter().filter(|c| **c == "namespace-uri").count(), 1, "{codes:?}");
        let duration = diags.iter().find(|d| d.code == "duration").unwrap();
        assert_eq!(duration.severity, crate::diagnostic::Severity::Warning);
        let ok_ns = feed.replace("DTDs", "dtds");
        let fixed = check_feed_text(&ok_ns);
        assert!(!fixed.iter().any(|d| d.code == "namespace-uri"));
        assert_eq!(fixed.len(), diags.len() - 1, "only the namespace problem goes: {fixed:?}");
    }

    #[test]
    fn malformed_and_non_utf8_feeds_are_diagnostics() {
        let d = check_feed_text("<rss>\n<channel>\n</rss>");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "xml");
        assert!(matches!(decode(b"<rss>\xff</rss>"), Err(d) if d.location == Some(Location::Byte { offset: 5 })));
    }
}
