//! The `[site]` table of `podcast.toml`: whether `podmark build` writes the website, and the
//! subscribe links it shows.
//!
//! ```toml
//! [site]
//! enabled = true            # the default; false writes no website
//! page_size = 50            # episodes per index page (the default)
//! apple = "https://podcasts.apple.com/podcast/id1234567890"
//! spotify = "https://open.spotify.com/show/…"
//! overcast = "https://overcast.fm/itunes1234567890"
//! pocket_casts = "https://pca.st/…"
//!
//! [[site.link]]             # any other link; `{guid}` becomes the show's podcast:guid
//! name = "Podcast Index"
//! url = "https://podcastindex.org/podcast/{guid}"
//! ```

use serde::{Deserialize, Serialize};

/// The website settings (the `[site]` table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SiteSettings {
    /// Whether the build writes the website (`index.html`, `episodes/<folder>/index.html`).
    pub enabled: bool,
    /// Episodes per index page: `index.html` holds the newest, `page/2/index.html`… the older.
    pub page_size: std::num::NonZeroUsize,
    /// Apple Podcasts page.
    pub apple: Option<String>,
    /// Spotify page.
    pub spotify: Option<String>,
    /// Overcast page.
    pub overcast: Option<String>,
    /// Pocket Casts page.
    pub pocket_casts: Option<String>,
    /// Other subscribe links, in order.
    #[serde(rename = "link")]
    pub links: Vec<SiteLink>,
}

/// One subscribe link (`[[site.link]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SiteLink {
    /// What the link says.
    pub name: String,
    /// Where it goes; `{guid}` is replaced by the show's `podcast:guid`.
    pub url: String,
}

impl SiteLink {
    /// A link named `name` to `url`.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> SiteLink {
        SiteLink { name: name.into(), url: url.into() }
    }
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            enabled: true,
            page_size: std::num::NonZeroUsize::new(50).unwrap_or(std::num::NonZeroUsize::MIN),
            apple: None,
            spotify: None,
            overcast: None,
            pocket_casts: None,
            links: Vec::new(),
        }
    }
}

impl SiteSettings {
    /// The subscribe links besides the RSS feed, as (name, URL), `{guid}` filled in with `guid`.
    pub fn subscribe_links(&self, guid: &str) -> Vec<(String, String)> {
        let named = [
            ("Apple Podcasts", &self.apple),
            ("Spotify", &self.spotify),
            ("Overcast", &self.overcast),
            ("Pocket Casts", &self.pocket_casts),
        ];
        let mut out: Vec<(String, String)> = named
            .into_iter()
            .filter_map(|(n, u)| u.as_ref().map(|u| (n.to_owned(), u.replace("{guid}", guid))))
            .collect();
        out.extend(self.links.iter().map(|l| (l.name.clone(), l.url.replace("{guid}", guid))));
        out
    }
}
