//! Hosting a built `feed/` folder: [`serve`] previews it over HTTP the way podcast apps fetch it,
//! [`publish`] uploads it to S3-compatible object storage. Both need the `hosting` feature
//! (tokio, axum, the S3 client).
//!
//! What both use lives here, below them: [`content_type`], the `Content-Type` a file is served
//! and uploaded with. `publish` does not depend on `serve`.

pub mod publish;
pub mod serve;

/// The `Content-Type` podmark serves and uploads a file with, from its path relative to the feed
/// folder (`/`-separated).
///
/// ```
/// use podmark::host::content_type;
/// assert_eq!(content_type("feed.xml"), "application/rss+xml; charset=utf-8");
/// assert_eq!(content_type("chapters/020-ep.json"), "application/json+chapters");
/// assert_eq!(content_type("data.json"), "application/json");
/// assert_eq!(content_type("audio/ep1.M4A"), "audio/x-m4a");
/// assert_eq!(content_type("chapters/020-ep.psc.xml"), "application/xml");
/// ```
pub fn content_type(rel: &str) -> &'static str {
    let lower = rel.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let in_chapters = lower.split('/').rev().nth(1) == Some("chapters");
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "xml" if name.ends_with(".psc.xml") => "application/xml",
        "xml" | "rss" => "application/rss+xml; charset=utf-8",
        "json" if in_chapters || name.ends_with(".chapters.json") => "application/json+chapters",
        "json" => "application/json",
        "vtt" => "text/vtt",
        "srt" => "application/x-subrip",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/x-m4a",
        "m4b" | "mp4" => "audio/mp4",
        "aac" => "audio/aac",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "txt" | "md" | "cue" | "ffmetadata" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
