//! Getting a feed (or a chapters file, a transcript): a local file, or HTTP with redirects
//! followed one by one (so a loop is caught and named), a real User-Agent, gzip, and a size limit.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use super::ImportError;

/// The User-Agent podmark sends: `podmark/<version> (+https://crates.io/crates/podmark)`.
pub const USER_AGENT: &str = concat!("podmark/", env!("CARGO_PKG_VERSION"), " (+https://crates.io/crates/podmark)");

/// How many redirects one fetch follows before it gives up.
pub const MAX_REDIRECTS: usize = 10;

/// A blocking HTTP client for the import: every status is an answer (none is an error), no
/// automatic redirects (they are followed here), gzip accepted.
#[derive(Clone)]
pub(crate) struct Fetcher {
    agent: ureq::Agent,
}

/// A fetched body and the URL it finally came from (after redirects).
pub(crate) struct Fetched {
    pub(crate) url: String,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// `reference` resolved against `base` (absolute, scheme-relative, root-relative or relative).
pub(crate) fn resolve(base: &str, reference: &str) -> String {
    let reference = reference.trim();
    if is_url(reference) {
        return reference.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(r) = reference.strip_prefix("//") {
        return format!("{scheme}://{r}");
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if reference.starts_with('/') {
        return format!("{scheme}://{host}{reference}");
    }
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let dir = path.rfind('/').map_or(host, |i| &path[..i]);
    format!("{scheme}://{dir}/{reference}")
}

impl Fetcher {
    pub(crate) fn new() -> Fetcher {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Fetcher { agent }
    }

    pub(crate) fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// `source` (a URL, or a local file path), at most `limit` bytes.
    pub(crate) fn get(&self, source: &str, limit: u64) -> Result<Fetched, ImportError> {
        if !is_url(source) {
            return read_local(Path::new(source), limit);
        }
        let mut url = source.to_owned();
        let mut seen = HashSet::new();
        for _ in 0..=MAX_REDIRECTS {
            if !seen.insert(url.clone()) {
                return Err(ImportError::Fetch {
                    url: source.to_owned(),
                    message: format!("redirect loop: {url} redirects back to itself (through {} hops)", seen.len()),
                });
            }
            let fail = |message: String| ImportError::Fetch { url: url.clone(), message };
            let mut resp = self.agent.get(&url).call().map_err(|e| fail(e.to_string()))?;
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let Some(to) = resp.headers().get("location").and_then(|v| v.to_str().ok()) else {
                    return Err(fail(format!("the server answered {} without a Location", resp.status())));
                };
                url = resolve(&url, to);
                continue;
            }
            if status != 200 {
                return Err(fail(format!("the server answered {}", resp.status())));
            }
            let bytes = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => fail(format!(
                    "larger than {limit} bytes, the most podmark reads here (a real feed, even with thousands of episodes, is a few MiB)"
                )),
                e => fail(e.to_string()),
            })?;
            return Ok(Fetched { url, bytes });
        }
        Err(ImportError::Fetch {
            url: source.to_owned(),
            message: format!("more than {MAX_REDIRECTS} redirects (last: {url})"),
        })
    }
}

fn read_local(path: &Path, limit: u64) -> Result<Fetched, ImportError> {
    let io = |source| ImportError::Io { path: path.to_owned(), source };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limit {
        return Err(ImportError::Fetch {
            url: path.display().to_string(),
            message: format!("the file is {len} bytes, more than {limit}, the most podmark reads here"),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok(Fetched { url: path.display().to_string(), bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_references() {
        let b = "https://h.example/a/feed.xml?x=1";
        assert_eq!(resolve(b, "https://o.example/f"), "https://o.example/f");
        assert_eq!(resolve(b, "//o.example/f"), "https://o.example/f");
        assert_eq!(resolve(b, "/f"), "https://h.example/f");
        assert_eq!(resolve(b, "p2.xml"), "https://h.example/a/p2.xml");
        assert_eq!(resolve("http://h.example", "p2.xml"), "http://h.example/p2.xml");
    }
}
