//! The show's home page, `index.html`, and its older pages `page/<n>/index.html`.

use std::borrow::Borrow;
use std::fmt::Write as _;

use super::escape::{attr, json, text};
use super::{Card, EpisodePage, Site, index_path, local};

/// The index pages: the show, subscribe links and the episodes (`cards`, in feed order, owned or
/// borrowed), `page_size` a page.
pub(super) fn render<'a, C: Borrow<Card>>(
    site: &'a Site<'a>,
    cards: &'a [C],
) -> impl Iterator<Item = (String, String)> + 'a {
    let size = site.settings.page_size.get();
    let pages = cards.len().div_ceil(size).max(1);
    (1..=pages).map(move |n| {
        let from = (n - 1) * size;
        let eps = cards.get(from..(from + size).min(cards.len())).unwrap_or_default();
        (index_path(n), page(site, n, pages, eps))
    })
}

/// What the index lists of `ep`.
pub(super) fn card(ep: &EpisodePage<'_>) -> Card {
    let it = ep.item;
    let mut meta_html = String::new();
    super::episode::meta_line(&mut meta_html, it);
    Card {
        slug: ep.slug.to_owned(),
        title: it.title.clone(),
        meta_html,
        chapters: it.chapters.iter().filter(|c| !c.hidden).count(),
        summary: it.summary.clone(),
    }
}

/// The footer every page shares.
pub(super) fn footer(site: &Site<'_>, prefix: &str) -> String {
    let c = site.channel;
    let mut o = String::from("<footer class=\"site\">\n<p>");
    if let Some(copy) = &c.copyright {
        text(&mut o, copy);
        o.push_str(" · ");
    }
    o.push_str("<a href=\"");
    attr(&mut o, &local(&c.self_url, site.base_url, prefix));
    o.push_str("\">RSS feed</a> · Published with podmark</p>\n</footer>\n");
    o
}

fn page<C: Borrow<Card>>(site: &Site<'_>, n: usize, pages: usize, eps: &[C]) -> String {
    let c = site.channel;
    let base = site.base_url;
    let prefix = if n == 1 { "" } else { "../../" };
    let url = if n == 1 { base.to_owned() } else { format!("{base}page/{n}/") };
    let mut o = String::with_capacity(6_000 + eps.len() * 600);
    let description = super::snippet(&c.description, 200);
    o.push_str("<!DOCTYPE html>\n<html lang=\"");
    attr(&mut o, &c.language);
    o.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    text(&mut o, &c.title);
    if n > 1 {
        let _ = write!(o, " · page {n}");
    }
    o.push_str("</title>\n<meta name=\"description\" content=\"");
    attr(&mut o, &description);
    o.push_str("\">\n<meta name=\"generator\" content=\"podmark\">\n<link rel=\"canonical\" href=\"");
    attr(&mut o, &url);
    o.push_str("\">\n<link rel=\"alternate\" type=\"application/rss+xml\" title=\"");
    attr(&mut o, &c.title);
    o.push_str("\" href=\"");
    attr(&mut o, &c.self_url);
    o.push_str("\">\n<link rel=\"icon\" href=\"");
    match &c.image_url {
        Some(img) => attr(&mut o, &local(img, base, prefix)),
        None => o.push_str("data:,"),
    }
    let _ = write!(o, "\">\n<link rel=\"stylesheet\" href=\"{prefix}site.css\">\n");
    o.push_str("<meta property=\"og:type\" content=\"website\">\n<meta property=\"og:title\" content=\"");
    attr(&mut o, &c.title);
    o.push_str("\">\n<meta property=\"og:description\" content=\"");
    attr(&mut o, &description);
    o.push_str("\">\n<meta property=\"og:url\" content=\"");
    attr(&mut o, &url);
    o.push_str("\">\n");
    if let Some(img) = &c.image_url {
        o.push_str("<meta property=\"og:image\" content=\"");
        attr(&mut o, img);
        o.push_str("\">\n");
    }
    o.push_str("<meta name=\"twitter:card\" content=\"summary\">\n");
    o.push_str("<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"PodcastSeries\",\"name\":");
    json(&mut o, &c.title);
    o.push_str(",\"description\":");
    json(&mut o, &c.description);
    o.push_str(",\"url\":");
    json(&mut o, base);
    o.push_str(",\"webFeed\":");
    json(&mut o, &c.self_url);
    o.push_str(",\"inLanguage\":");
    json(&mut o, &c.language);
    if let Some(img) = &c.image_url {
        o.push_str(",\"image\":");
        json(&mut o, img);
    }
    o.push_str(",\"author\":{\"@type\":\"Person\",\"name\":");
    json(&mut o, &c.author);
    o.push_str("}}</script>\n</head>\n<body class=\"home\">\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");

    // The show.
    o.push_str("<header class=\"show\">\n");
    if let Some(img) = &c.image_url {
        o.push_str("<img class=\"art\" src=\"");
        attr(&mut o, &local(img, base, prefix));
        o.push_str("\" alt=\"\" width=\"220\" height=\"220\">\n");
    }
    o.push_str("<div class=\"head\">\n<h1>");
    text(&mut o, &c.title);
    o.push_str("</h1>\n<p class=\"by\">by ");
    text(&mut o, &c.author);
    o.push_str("</p>\n<p class=\"description\">");
    text(&mut o, c.description.trim());
    o.push_str("</p>\n<nav aria-label=\"Subscribe\">\n<ul class=\"subscribe\">\n<li><a class=\"feed\" href=\"");
    attr(&mut o, &local(&c.self_url, base, prefix));
    o.push_str("\">RSS feed</a></li>\n");
    for (name, link) in site.settings.subscribe_links(&c.podcast_guid.to_string()) {
        o.push_str("<li><a href=\"");
        attr(&mut o, &link);
        o.push_str("\">");
        text(&mut o, &name);
        o.push_str("</a></li>\n");
    }
    o.push_str("</ul>\n</nav>\n</div>\n</header>\n");

    // The episodes.
    o.push_str("<main id=\"main\">\n<h2>Episodes</h2>\n");
    if eps.is_empty() {
        o.push_str("<p>No episodes yet.</p>\n");
    } else {
        o.push_str("<ol class=\"episodes\">\n");
        for ep in eps {
            let ep = ep.borrow();
            o.push_str("<li>\n<h3><a href=\"");
            let _ = write!(o, "{prefix}episodes/");
            attr(&mut o, &ep.slug);
            o.push_str("/\">");
            text(&mut o, &ep.title);
            o.push_str("</a></h3>\n<p class=\"meta\">");
            o.push_str(&ep.meta_html);
            let chapters = ep.chapters;
            if chapters > 0 {
                let _ = write!(o, " · {chapters} chapter{}", if chapters == 1 { "" } else { "s" });
            }
            o.push_str("</p>\n");
            if let Some(s) = &ep.summary {
                o.push_str("<p>");
                text(&mut o, s);
                o.push_str("</p>\n");
            }
            o.push_str("</li>\n");
        }
        o.push_str("</ol>\n");
    }
    if pages > 1 {
        o.push_str("<nav class=\"pages\" aria-label=\"Pages\">\n");
        if n > 1 {
            let newer = if n == 2 { prefix.to_owned() } else { format!("{prefix}page/{}/", n - 1) };
            let newer = if newer.is_empty() { "./".to_owned() } else { newer };
            let _ = writeln!(o, "<a rel=\"prev\" href=\"{newer}\">Newer episodes</a>");
        }
        let _ = writeln!(o, "<span>Page {n} of {pages}</span>");
        if n < pages {
            let _ = writeln!(o, "<a rel=\"next\" href=\"{prefix}page/{}/\">Older episodes</a>", n + 1);
        }
        o.push_str("</nav>\n");
    }
    o.push_str("</main>\n");
    o.push_str(&footer(site, prefix));
    o.push_str("</body>\n</html>\n");
    o
}
