//! `podmark serve`: preview a built `feed/` folder over HTTP the way podcast apps fetch it.
//!
//! The server answers `GET` and `HEAD` with what podcast clients rely on:
//!
//! - single byte ranges (`206 Partial Content`, `416` when nothing is satisfiable) and multiple
//!   ranges (`multipart/byteranges`), `If-Range`;
//! - a strong `ETag` and `Last-Modified`, with `304 Not Modified` on conditional requests;
//! - podcast MIME types ([`content_type`], from [`crate::mime`]): `application/rss+xml; charset=utf-8` for feeds,
//!   `audio/mpeg`, `audio/x-m4a`, `audio/opus`, `application/json+chapters`, `text/vtt`;
//! - an access log line per request ([`AccessRecord`]).
//!
//! Files are read by tower-http's `ServeFile` (ranges, validators, conditional requests). This module
//! decides *which* file: it percent-decodes each path segment on its own, so `%2f` and `%5c` can never
//! become separators, refuses `.`/`..` segments and dotfiles, canonicalizes the result (resolving
//! symlinks) and answers `404 Not Found` unless the real file lies inside the served folder. Nothing
//! outside the folder is opened. It also adds what `ServeFile` lacks: multi-range responses,
//! `If-Range`, and suffix ranges longer than the file (served whole, as RFC 9110 asks).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let app = podmark::serve::router("feed".as_ref(), None)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! podmark::serve::serve(listener, app, async { let _ = tokio::signal::ctrl_c().await; }, std::time::Duration::from_secs(5)).await
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use super::content_type;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::net::TcpListener;
use tower_http::services::ServeFile;

/// The most ranges one request may ask for; a longer list is ignored and the whole file is sent.
pub const MAX_RANGES: usize = 32;

/// Size of each read when streaming a multi-range response.
const CHUNK: u64 = 64 * 1024;

/// One served request, as passed to the access log.
#[derive(Debug, Clone)]
pub struct AccessRecord {
    /// The client's address, when known.
    pub client: Option<SocketAddr>,
    /// Request method.
    pub method: String,
    /// Request target as received (path and query, still percent-encoded).
    pub target: String,
    /// HTTP version, e.g. `HTTP/1.1`.
    pub version: String,
    /// Response status code.
    pub status: u16,
    /// The response's `Content-Length`, when it has one.
    pub bytes: Option<u64>,
    /// The request's `Range` header, when it had one.
    pub range: Option<String>,
    /// Time until the response headers were ready.
    pub elapsed: Duration,
}

impl fmt::Display for AccessRecord {
    /// `127.0.0.1:50312 "GET /feed.xml HTTP/1.1" 200 2265 range="bytes=0-1" 0.4ms`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.client {
            Some(addr) => write!(f, "{addr}")?,
            None => f.write_str("-")?,
        }
        write!(f, " \"{} {} {}\" {} ", self.method, self.target.escape_debug(), self.version, self.status)?;
        match self.bytes {
            Some(n) => write!(f, "{n}")?,
            None => f.write_str("-")?,
        }
        if let Some(r) = &self.range {
            write!(f, " range=\"{}\"", r.escape_debug())?;
        }
        write!(f, " {:.1}ms", self.elapsed.as_secs_f64() * 1000.0)
    }
}

/// Receives one [`AccessRecord`] per request.
pub type AccessLog = Arc<dyn Fn(&AccessRecord) + Send + Sync>;

struct Config {
    /// The served folder, canonical (no symlinks, absolute).
    root: PathBuf,
}

/// Builds the router that serves `dir`. `log`, when given, receives one record per request.
///
/// # Errors
/// `dir` does not exist or is not a folder.
pub fn router(dir: &Path, log: Option<AccessLog>) -> io::Result<Router> {
    let root = std::fs::canonicalize(dir)?;
    if !root.is_dir() {
        return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a folder", dir.display())));
    }
    let app = Router::new().fallback(handle).with_state(Arc::new(Config { root }));
    Ok(match log {
        Some(log) => app.layer(middleware::from_fn_with_state(log, access_log)),
        None => app,
    })
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting connections and
/// waits up to `grace` for requests in flight (a long download) before returning.
///
/// # Errors
/// Accepting connections failed.
pub async fn serve<F>(listener: TcpListener, app: Router, shutdown: F, grace: Duration) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = tx.send(());
        })
        .into_future();
    tokio::select! {
        result = server => result,
        () = async {
            if rx.await.is_err() {
                // The server ended without a shutdown signal; its own branch returns.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        } => Ok(()),
    }
}

async fn access_log(State(log): State<AccessLog>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let client = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let method = req.method().to_string();
    let target = req.uri().path_and_query().map_or_else(|| req.uri().to_string(), |p| p.as_str().to_owned());
    let version = format!("{:?}", req.version());
    let range = req.headers().get(header::RANGE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let res = next.run(req).await;
    let bytes = res.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    log(&AccessRecord {
        client,
        method,
        target,
        version,
        status: res.status().as_u16(),
        bytes,
        range,
        elapsed: started.elapsed(),
    });
    res
}

fn status(code: StatusCode) -> Response {
    let mut res = Response::new(Body::from(code.canonical_reason().map_or_else(String::new, |r| format!("{r}\n"))));
    *res.status_mut() = code;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

async fn handle(State(cfg): State<Arc<Config>>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = status(StatusCode::METHOD_NOT_ALLOWED);
        res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let root = cfg.root.clone();
    let path = req.uri().path().to_owned();
    let resolved = tokio::task::spawn_blocking(move || resolve(&root, &path)).await.unwrap_or(Resolved::NotFound);
    match resolved {
        Resolved::NotFound => status(StatusCode::NOT_FOUND),
        Resolved::Redirect(location) => {
            let mut res = status(StatusCode::PERMANENT_REDIRECT);
            if let Ok(v) = HeaderValue::from_str(&location) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Resolved::File { path, rel, len } => serve_file(req, path, content_type(&rel), len).await,
    }
}

/// What a request path names.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// A regular file inside the root: its canonical path, the requested relative path (for the
    /// MIME type) and its length.
    File { path: PathBuf, rel: String, len: u64 },
    /// A folder requested without its trailing slash: redirect here.
    Redirect(String),
    /// Anything else.
    NotFound,
}

/// Maps a request path to a file inside `root` (canonical), refusing every way out of it.
fn resolve(root: &Path, uri_path: &str) -> Resolved {
    let Some(rest) = uri_path.strip_prefix('/') else {
        return Resolved::NotFound;
    };
    let mut rel = PathBuf::new();
    let mut rel_str = String::new();
    for raw in rest.split('/') {
        if raw.is_empty() {
            continue;
        }
        let Ok(seg) = percent_encoding::percent_decode_str(raw).decode_utf8() else {
            return Resolved::NotFound;
        };
        // A segment is one plain name: no separators of any platform, no NUL, no `.`/`..`, no dotfile.
        if seg.starts_with('.') || seg.contains(['/', '\\', '\0']) {
            return Resolved::NotFound;
        }
        if !matches!(Path::new(&*seg).components().next(), Some(Component::Normal(_)))
            || Path::new(&*seg).components().count() != 1
        {
            return Resolved::NotFound;
        }
        rel.push(&*seg);
        if !rel_str.is_empty() {
            rel_str.push('/');
        }
        rel_str.push_str(&seg);
    }
    let trailing_slash = rest.is_empty() || rest.ends_with('/');
    let Some(real) = inside(root, &root.join(&rel)) else {
        return Resolved::NotFound;
    };
    let Ok(meta) = std::fs::metadata(&real) else {
        return Resolved::NotFound;
    };
    if meta.is_dir() {
        let Some(index) = inside(root, &real.join("index.html")) else {
            return Resolved::NotFound;
        };
        let Ok(index_meta) = std::fs::metadata(&index) else {
            return Resolved::NotFound;
        };
        if !index_meta.is_file() {
            return Resolved::NotFound;
        }
        if !trailing_slash {
            return Resolved::Redirect(format!("{uri_path}/"));
        }
        let rel = if rel_str.is_empty() { "index.html".to_owned() } else { format!("{rel_str}/index.html") };
        return Resolved::File { path: index, rel, len: index_meta.len() };
    }
    if !meta.is_file() || trailing_slash {
        return Resolved::NotFound;
    }
    Resolved::File { path: real, rel: rel_str, len: meta.len() }
}

/// Canonicalizes `candidate` and returns it when it lies inside `root` with no dotfile on the way.
fn inside(root: &Path, candidate: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(candidate).ok()?;
    let below = real.strip_prefix(root).ok()?;
    let hidden = below.components().any(|c| match c {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => true,
    });
    if hidden { None } else { Some(real) }
}

/// How to answer a `Range` header for a file of a known length.
#[derive(Debug, PartialEq, Eq)]
enum RangePlan {
    /// Ignore the header and send the whole file (bad syntax, too many ranges, overlap abuse).
    Ignore,
    /// One satisfiable range, inclusive.
    Single(u64, u64),
    /// Several satisfiable ranges, inclusive, in request order.
    Multi(Vec<(u64, u64)>),
    /// Nothing satisfiable: 416.
    Unsatisfiable,
}

/// One `range-spec` of a `bytes` Range header (RFC 9110 §14.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeSpec {
    /// `first-last` or `first-` (`None`: to the end).
    Int(u64, Option<u64>),
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// A run of ASCII digits as a number; a number too large for `u64` saturates (it can only mean
/// "past the end"). `None` for anything but digits (`+5`, ` 5`, empty).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

/// Parses a Range header value per RFC 9110 §14.1.1 and the list rule of §5.6.1: the unit is
/// case-insensitive (`BYTES=0-5`), optional white space may surround `=` and the commas
/// (`bytes=0-5 , 10-15`), and empty list elements are skipped. `None` for any other unit or any
/// invalid `range-spec` (including `last < first`): the header is then ignored.
fn parse_ranges(value: &str) -> Option<Vec<RangeSpec>> {
    const OWS: &[char] = &[' ', '\t'];
    let (unit, set) = value.split_once('=')?;
    if !unit.trim_matches(OWS).eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut out = Vec::new();
    for spec in set.split(',').map(|s| s.trim_matches(OWS)).filter(|s| !s.is_empty()) {
        let (first, last) = spec.split_once('-')?;
        out.push(if first.is_empty() {
            RangeSpec::Suffix(digits(last)?)
        } else {
            let first = digits(first)?;
            let last = if last.is_empty() { None } else { Some(digits(last)?) };
            if last.is_some_and(|l| l < first) {
                return None;
            }
            RangeSpec::Int(first, last)
        });
    }
    (!out.is_empty()).then_some(out)
}

/// Applies RFC 9110 §14: unsatisfiable ranges are dropped (a `first-pos` at or past the end, a
/// suffix of length 0, any range of an empty file), a suffix longer than the file means the whole
/// file, an invalid header is ignored. Overlapping ranges are served as asked unless they add up
/// to more than the file (then the whole file is sent once).
fn plan_ranges(value: &str, len: u64) -> RangePlan {
    let Some(specs) = parse_ranges(value) else {
        return RangePlan::Ignore;
    };
    if specs.len() > MAX_RANGES {
        return RangePlan::Ignore;
    }
    let Some(last) = len.checked_sub(1) else {
        return RangePlan::Unsatisfiable;
    };
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let (start, end) = match spec {
            RangeSpec::Int(s, e) => (s, e.unwrap_or(u64::MAX)),
            // RFC 9110 §14.1.1: a suffix-range is satisfiable only with a non-zero length.
            RangeSpec::Suffix(0) => continue,
            RangeSpec::Suffix(n) => (len.saturating_sub(n), u64::MAX),
        };
        if start > last {
            continue;
        }
        out.push((start, end.min(last)));
    }
    let total: u64 = out.iter().map(|(s, e)| e - s + 1).fold(0u64, u64::saturating_add);
    match out.as_slice() {
        [] => RangePlan::Unsatisfiable,
        [(s, e)] => RangePlan::Single(*s, *e),
        _ if total > len => RangePlan::Ignore,
        _ => RangePlan::Multi(out),
    }
}

fn file_service(path: &Path, mime: &'static str) -> ServeFile {
    match mime.parse::<mime::Mime>() {
        Ok(m) => ServeFile::new_with_mime(path, &m),
        Err(_) => ServeFile::new(path),
    }
}

/// Runs `req` through `ServeFile` and converts the result.
async fn run_file(req: Request, path: &Path, mime: &'static str) -> Response {
    match file_service(path, mime).try_call(req).await {
        Ok(res) => res.map(Body::new),
        Err(err) if err.kind() == io::ErrorKind::NotFound => status(StatusCode::NOT_FOUND),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// A `HEAD` through `ServeFile` carrying only the given headers from `from`: the file's current
/// validators, or the answer to the request's preconditions (304, 412).
async fn head_with(from: &HeaderMap, keep: &[header::HeaderName], path: &Path, mime: &'static str) -> Response {
    let mut head = Request::new(Body::empty());
    *head.method_mut() = Method::HEAD;
    for name in keep {
        for v in from.get_all(name) {
            head.headers_mut().append(name.clone(), v.clone());
        }
    }
    run_file(head, path, mime).await
}

fn header_str<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn serve_file(mut req: Request, path: PathBuf, mime: &'static str, len: u64) -> Response {
    if req.headers().contains_key(header::RANGE)
        && let Some(if_range) = req.headers().get(header::IF_RANGE).cloned()
    {
        // RFC 9110 §13.1.5: send ranges only if the validator still matches (strong comparison).
        let current = head_with(&HeaderMap::new(), &[], &path, mime).await;
        let etag = header_str(current.headers(), &header::ETAG);
        let modified = header_str(current.headers(), &header::LAST_MODIFIED);
        let matches = match if_range.to_str() {
            Ok(v) if v.starts_with("W/") => false,
            Ok(v) if v.starts_with('"') => etag == Some(v),
            Ok(v) => modified == Some(v),
            Err(_) => false,
        };
        if !matches {
            req.headers_mut().remove(header::RANGE);
        }
    }
    let plan = match req.headers().get(header::RANGE).map(|v| v.to_str()) {
        None => None,
        Some(Err(_)) => Some(RangePlan::Ignore),
        Some(Ok(v)) => Some(plan_ranges(v, len)),
    };
    match plan {
        Some(RangePlan::Ignore) => {
            req.headers_mut().remove(header::RANGE);
        }
        Some(RangePlan::Single(s, e)) => {
            // Normalized, so a suffix longer than the file is served whole instead of 416.
            if let Ok(v) = HeaderValue::from_str(&format!("bytes={s}-{e}")) {
                req.headers_mut().insert(header::RANGE, v);
            }
        }
        Some(RangePlan::Multi(ranges)) => return multi_range(req, &path, mime, ranges).await,
        Some(RangePlan::Unsatisfiable) => {
            // Normalized to a range `ServeFile` also finds unsatisfiable, so it answers 416 with
            // `Content-Range: bytes */len` after the preconditions (it would serve `bytes=-0`).
            if let Ok(v) = HeaderValue::from_str(&format!("bytes={len}-")) {
                req.headers_mut().insert(header::RANGE, v);
            }
        }
        None => {}
    }
    run_file(req, &path, mime).await
}

static BOUNDARY_COUNTER: AtomicU64 = AtomicU64::new(0);

fn boundary() -> String {
    let n = BOUNDARY_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("podmark-byteranges-{t:08x}{n:08x}")
}

/// A `206` with `multipart/byteranges`: the preconditions and validators come from `ServeFile`
/// (a `HEAD` with the request's conditional headers), the parts are streamed from the file.
async fn multi_range(req: Request, path: &Path, mime: &'static str, ranges: Vec<(u64, u64)>) -> Response {
    use header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE};
    let head =
        head_with(req.headers(), &[IF_MATCH, IF_NONE_MATCH, IF_MODIFIED_SINCE, IF_UNMODIFIED_SINCE], path, mime).await;
    if head.status() != StatusCode::OK {
        return head;
    }
    let Some(len) = header_str(head.headers(), &header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok()) else {
        return status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    // The file may have changed since the plan was made; keep only what still fits.
    let ranges: Vec<(u64, u64)> = ranges.into_iter().filter(|&(_, e)| e < len).collect();
    if ranges.is_empty() {
        let mut res = status(StatusCode::RANGE_NOT_SATISFIABLE);
        if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        return res;
    }
    let boundary = boundary();
    let part_head = |s: u64, e: u64| {
        format!("\r\n--{boundary}\r\nContent-Type: {mime}\r\nContent-Range: bytes {s}-{e}/{len}\r\n\r\n")
    };
    let closing = format!("\r\n--{boundary}--\r\n");
    let body_len = ranges
        .iter()
        .map(|&(s, e)| u64::try_from(part_head(s, e).len()).unwrap_or(u64::MAX).saturating_add(e - s + 1))
        .fold(u64::try_from(closing.len()).unwrap_or(u64::MAX), u64::saturating_add);

    let mut builder = Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header(header::CONTENT_TYPE, format!("multipart/byteranges; boundary={boundary}"))
        .header(header::CONTENT_LENGTH, body_len)
        .header(header::ACCEPT_RANGES, "bytes");
    for name in [header::ETAG, header::LAST_MODIFIED] {
        if let Some(v) = head.headers().get(&name) {
            builder = builder.header(name, v.clone());
        }
    }
    let body = if req.method() == Method::HEAD {
        Body::empty()
    } else {
        let file = match tokio::fs::File::open(path).await {
            Ok(f) => f,
            Err(_) => return status(StatusCode::NOT_FOUND),
        };
        let parts: Vec<(Bytes, u64, u64)> = ranges.iter().map(|&(s, e)| (Bytes::from(part_head(s, e)), s, e)).collect();
        let state = PartsState { file, parts: parts.into_iter(), remaining: 0, closing: Some(Bytes::from(closing)) };
        Body::from_stream(futures_util::stream::try_unfold(state, next_chunk))
    };
    builder.body(body).unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

struct PartsState {
    file: tokio::fs::File,
    parts: std::vec::IntoIter<(Bytes, u64, u64)>,
    /// Bytes of the current part still to send.
    remaining: u64,
    closing: Option<Bytes>,
}

async fn next_chunk(mut st: PartsState) -> io::Result<Option<(Bytes, PartsState)>> {
    if st.remaining > 0 {
        let n = usize::try_from(st.remaining.min(CHUNK)).unwrap_or(64 * 1024);
        let mut buf = vec![0u8; n];
        st.file.read_exact(&mut buf).await?;
        st.remaining = st.remaining.saturating_sub(u64::try_from(n).unwrap_or(u64::MAX));
        return Ok(Some((Bytes::from(buf), st)));
    }
    if let Some((head, s, e)) = st.parts.next() {
        st.file.seek(io::SeekFrom::Start(s)).await?;
        st.remaining = e - s + 1;
        return Ok(Some((head, st)));
    }
    Ok(st.closing.take().map(|c| (c, st)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mime_types() {
        assert_eq!(content_type("feed.xml"), "application/rss+xml; charset=utf-8");
        assert_eq!(content_type("show.rss"), "application/rss+xml; charset=utf-8");
        assert_eq!(content_type("chapters/a.json"), "application/json+chapters");
        assert_eq!(content_type("x/ep.chapters.json"), "application/json+chapters");
        assert_eq!(content_type("ep.json"), "application/json");
        assert_eq!(content_type("chapters/a.vtt"), "text/vtt");
        assert_eq!(content_type("a.mp3"), "audio/mpeg");
        assert_eq!(content_type("a.m4a"), "audio/x-m4a");
        assert_eq!(content_type("a.m4b"), "audio/x-m4a");
        assert_eq!(content_type("a.mp4"), "video/mp4");
        assert_eq!(content_type("a.opus"), "audio/opus", "the same type the feed gives Opus");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn ranges() {
        assert_eq!(plan_ranges("bytes=100-199", 1000), RangePlan::Single(100, 199));
        assert_eq!(plan_ranges("bytes=-100", 1000), RangePlan::Single(900, 999));
        assert_eq!(plan_ranges("bytes=-5000", 1000), RangePlan::Single(0, 999));
        assert_eq!(plan_ranges("bytes=990-", 1000), RangePlan::Single(990, 999));
        assert_eq!(plan_ranges("bytes=990-5000", 1000), RangePlan::Single(990, 999));
        assert_eq!(plan_ranges("bytes=1000-", 1000), RangePlan::Unsatisfiable);
        assert_eq!(plan_ranges("bytes=0-0", 0), RangePlan::Unsatisfiable);
        assert_eq!(plan_ranges("bytes=0-1,5-6", 10), RangePlan::Multi(vec![(0, 1), (5, 6)]));
        assert_eq!(plan_ranges("bytes=0-1,50-60", 10), RangePlan::Single(0, 1));
        assert_eq!(plan_ranges("bytes=5-2", 10), RangePlan::Ignore);
        assert_eq!(plan_ranges("items=0-1", 10), RangePlan::Ignore);
        assert_eq!(plan_ranges("bytes=0-9,0-9", 10), RangePlan::Ignore);
        let many = (0..40).map(|i| format!("{i}-{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(plan_ranges(&format!("bytes={many}"), 100), RangePlan::Ignore);
    }

    #[test]
    fn ranges_follow_rfc_9110_syntax() {
        // A suffix of length 0 is unsatisfiable (§14.1.1), alone or in a list.
        assert_eq!(plan_ranges("bytes=-0", 1000), RangePlan::Unsatisfiable);
        assert_eq!(plan_ranges("bytes=-0,5-6", 10), RangePlan::Single(5, 6));
        // The unit is case-insensitive; white space around `=` and commas; empty elements.
        assert_eq!(plan_ranges("BYTES=0-5", 10), RangePlan::Single(0, 5));
        assert_eq!(plan_ranges("Bytes = 0-5", 10), RangePlan::Single(0, 5));
        assert_eq!(plan_ranges("bytes=0-5 , 7-8", 10), RangePlan::Multi(vec![(0, 5), (7, 8)]));
        assert_eq!(plan_ranges("bytes=0-1,\t, 3-4,", 10), RangePlan::Multi(vec![(0, 1), (3, 4)]));
        // Not a range-spec: ignored.
        assert_eq!(plan_ranges("bytes=0 - 5", 10), RangePlan::Ignore);
        assert_eq!(plan_ranges("bytes=+0-5", 10), RangePlan::Ignore);
        assert_eq!(plan_ranges("bytes=", 10), RangePlan::Ignore);
        assert_eq!(plan_ranges("bytes=5", 10), RangePlan::Ignore);
        assert_eq!(plan_ranges("bytes 0-5", 10), RangePlan::Ignore);
        // Numbers past u64 mean "past the end".
        assert_eq!(plan_ranges("bytes=-99999999999999999999999", 10), RangePlan::Single(0, 9));
        assert_eq!(plan_ranges("bytes=99999999999999999999999-", 10), RangePlan::Unsatisfiable);
    }

    proptest! {
        #[test]
        fn planned_ranges_lie_inside_the_file(value in "bytes=[0-9,-]{1,30}", len in 0u64..5000) {
            match plan_ranges(&value, len) {
                RangePlan::Single(s, e) => prop_assert!(s <= e && e < len),
                RangePlan::Multi(rs) => {
                    prop_assert!(rs.len() >= 2);
                    let total: u64 = rs.iter().map(|(s, e)| e - s + 1).sum();
                    prop_assert!(total <= len);
                    for (s, e) in rs { prop_assert!(s <= e && e < len); }
                }
                RangePlan::Ignore | RangePlan::Unsatisfiable => {}
            }
        }
    }

    fn tree() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("feed");
        std::fs::create_dir_all(root.join("chapters")).unwrap();
        std::fs::write(root.join("feed.xml"), "<rss/>").unwrap();
        std::fs::write(root.join("chapters/a.json"), "{}").unwrap();
        std::fs::write(root.join(".secret"), "x").unwrap();
        std::fs::write(tmp.path().join("outside.txt"), "x").unwrap();
        let root = std::fs::canonicalize(root).unwrap();
        (tmp, root)
    }

    #[test]
    fn resolves_inside_only() {
        let (_tmp, root) = tree();
        let file = |rel: &str, len| Resolved::File { path: root.join(rel), rel: rel.to_owned(), len };
        assert_eq!(resolve(&root, "/feed.xml"), file("feed.xml", 6));
        assert_eq!(resolve(&root, "/chapters/a.json"), file("chapters/a.json", 2));
        assert_eq!(resolve(&root, "/chapters//a.json"), file("chapters/a.json", 2));
        assert_eq!(resolve(&root, "/%66eed.xml"), file("feed.xml", 6));
        for bad in [
            "/../outside.txt",
            "/chapters/../../outside.txt",
            "/%2e%2e/outside.txt",
            "/%2E%2E/outside.txt",
            "/..%2foutside.txt",
            "/..%2Foutside.txt",
            "/..%5coutside.txt",
            "/.secret",
            "/%2esecret",
            "/./feed.xml",
            "/feed.xml/",
            "/chapters",
            "/",
            "feed.xml",
            "/%ff",
            "/feed.xml%00",
        ] {
            assert_eq!(resolve(&root, bad), Resolved::NotFound, "{bad}");
        }
    }

    #[test]
    fn symlinks_must_stay_inside() {
        let (tmp, root) = tree();
        std::os::unix::fs::symlink(tmp.path().join("outside.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("feed.xml"), root.join("latest.xml")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), root.join("up")).unwrap();
        std::os::unix::fs::symlink(root.join(".secret"), root.join("visible")).unwrap();
        assert_eq!(resolve(&root, "/link.txt"), Resolved::NotFound);
        assert_eq!(resolve(&root, "/up/outside.txt"), Resolved::NotFound);
        assert_eq!(resolve(&root, "/visible"), Resolved::NotFound);
        assert_eq!(
            resolve(&root, "/latest.xml"),
            Resolved::File { path: root.join("feed.xml"), rel: "latest.xml".into(), len: 6 }
        );
    }

    #[test]
    fn folders_serve_their_index() {
        let (_tmp, root) = tree();
        std::fs::create_dir(root.join("site")).unwrap();
        std::fs::write(root.join("site/index.html"), "hi").unwrap();
        assert_eq!(resolve(&root, "/site"), Resolved::Redirect("/site/".into()));
        assert_eq!(
            resolve(&root, "/site/"),
            Resolved::File { path: root.join("site/index.html"), rel: "site/index.html".into(), len: 2 }
        );
    }

    #[test]
    fn access_record_quotes_the_target() {
        let rec = AccessRecord {
            client: Some("127.0.0.1:5000".parse().unwrap()),
            method: "GET".into(),
            target: "/a\"b".into(),
            version: "HTTP/1.1".into(),
            status: 206,
            bytes: Some(100),
            range: Some("bytes=0-99".into()),
            elapsed: Duration::from_micros(1500),
        };
        assert_eq!(rec.to_string(), "127.0.0.1:5000 \"GET /a\\\"b HTTP/1.1\" 206 100 range=\"bytes=0-99\" 1.5ms");
    }
}
