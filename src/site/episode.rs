//! An episode's page, `episodes/<folder>/index.html`.

use std::fmt::Write as _;

use super::escape::{attr, json, text};
use super::{
    EpisodePage, Site, human_duration, iso_duration, local, push_clock, push_long_date, push_rfc3339, push_secs,
    snippet,
};

/// Episode pages sit two folders down.
const PREFIX: &str = "../../";

/// The parts every episode page shares, escaped once.
pub(super) struct Shared<'a> {
    site: &'a Site<'a>,
    /// `<header>` with the show's name and artwork.
    header: String,
    /// `<footer>`.
    footer: String,
    /// `<link rel="alternate">`, stylesheet and script tags, generator.
    head_links: String,
    /// ` · Show title` (escaped), for `<title>`.
    title_suffix: String,
    /// The JSON-LD `partOfSeries` object.
    series_json: String,
    /// The show's artwork, relative to an episode page, escaped (fallback for episodes without one).
    show_art_rel: Option<String>,
    /// The show's title as an attribute.
    show_attr: String,
    /// The language as an attribute.
    lang_attr: String,
}

impl<'a> Shared<'a> {
    pub(super) fn new(site: &'a Site<'a>) -> Shared<'a> {
        let c = site.channel;
        let show_art_rel = c.image_url.as_deref().map(|u| super::escape::attr_string(&local(u, site.base_url, PREFIX)));
        let mut header = String::from("<header class=\"site\"><a class=\"brand\" href=\"../../\">");
        if let Some(art) = &show_art_rel {
            let _ = write!(header, "<img src=\"{art}\" alt=\"\" width=\"40\" height=\"40\">");
        }
        text(&mut header, &c.title);
        header.push_str("</a><a class=\"rss\" href=\"");
        attr(&mut header, &local(&c.self_url, site.base_url, PREFIX));
        header.push_str("\">RSS feed</a></header>\n");
        let mut head_links = String::from("<link rel=\"alternate\" type=\"application/rss+xml\" title=\"");
        attr(&mut head_links, &c.title);
        head_links.push_str("\" href=\"");
        attr(&mut head_links, &c.self_url);
        head_links.push_str("\">\n<link rel=\"icon\" href=\"");
        head_links.push_str(show_art_rel.as_deref().unwrap_or("data:,"));
        head_links.push_str(
            "\">\n<link rel=\"stylesheet\" href=\"../../site.css\">\n<script src=\"../../player.js\" defer></script>\n",
        );
        let mut series_json = String::from("{\"@type\":\"PodcastSeries\",\"name\":");
        json(&mut series_json, &c.title);
        series_json.push_str(",\"url\":");
        json(&mut series_json, site.base_url);
        series_json.push_str(",\"webFeed\":");
        json(&mut series_json, &c.self_url);
        series_json.push('}');
        let mut title_suffix = String::from(" · ");
        text(&mut title_suffix, &c.title);
        Shared {
            site,
            header,
            footer: super::index::footer(site, PREFIX),
            head_links,
            title_suffix,
            series_json,
            show_art_rel,
            show_attr: super::escape::attr_string(&c.title),
            lang_attr: super::escape::attr_string(&c.language),
        }
    }

    /// The page of one episode.
    pub(super) fn page(&self, ep: &EpisodePage<'_>) -> String {
        let site = self.site;
        let it = ep.item;
        let base = site.base_url;
        let transcript_len = ep.transcript.as_ref().map_or(0, |t| t.iter().map(|c| c.text.len() + 160).sum());
        let mut o = String::with_capacity(
            6_500
                + self.footer.len()
                + self.header.len()
                + ep.notes_html.len()
                + it.chapters.len() * 260
                + transcript_len,
        );
        let page_url = format!("{base}episodes/{}/", ep.slug);
        let audio_rel = local(&it.enclosure.url, base, PREFIX);
        let description = match it.summary.as_deref() {
            Some(s) => snippet(s, 200),
            None => snippet(&super::strip_tags(first_paragraph(&ep.notes_html)), 200),
        };
        let art_raw = it.image_url.as_deref().or(site.channel.image_url.as_deref());
        let art_abs = art_raw.map(super::escape::attr_string);
        let art_rel = it
            .image_url
            .as_deref()
            .map(|u| super::escape::attr_string(&local(u, base, PREFIX)))
            .or_else(|| self.show_art_rel.clone());

        let title_a = super::escape::attr_string(&it.title);
        let desc_a = super::escape::attr_string(&description);
        let url_a = super::escape::attr_string(&page_url);
        let audio_a = super::escape::attr_string(&it.enclosure.url);
        let mime_a = super::escape::attr_string(&it.enclosure.mime);
        // <head>
        o.push_str("<!DOCTYPE html>\n<html lang=\"");
        o.push_str(&self.lang_attr);
        o.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
        text(&mut o, &it.title);
        o.push_str(&self.title_suffix);
        o.push_str("</title>\n<meta name=\"description\" content=\"");
        o.push_str(&desc_a);
        o.push_str("\">\n<meta name=\"generator\" content=\"podmark\">\n<link rel=\"canonical\" href=\"");
        o.push_str(&url_a);
        o.push_str("\">\n");
        o.push_str(&self.head_links);
        // Open Graph and Twitter player card.
        o.push_str("<meta property=\"og:type\" content=\"website\">\n<meta property=\"og:site_name\" content=\"");
        o.push_str(&self.show_attr);
        o.push_str("\">\n<meta property=\"og:title\" content=\"");
        o.push_str(&title_a);
        o.push_str("\">\n<meta property=\"og:description\" content=\"");
        o.push_str(&desc_a);
        o.push_str("\">\n<meta property=\"og:url\" content=\"");
        o.push_str(&url_a);
        o.push_str("\">\n");
        if let Some(art) = &art_abs {
            let _ = writeln!(o, "<meta property=\"og:image\" content=\"{art}\">");
        }
        o.push_str("<meta property=\"og:audio\" content=\"");
        o.push_str(&audio_a);
        o.push_str("\">\n<meta property=\"og:audio:type\" content=\"");
        o.push_str(&mime_a);
        o.push_str("\">\n<meta name=\"twitter:card\" content=\"player\">\n<meta name=\"twitter:title\" content=\"");
        o.push_str(&title_a);
        o.push_str("\">\n<meta name=\"twitter:description\" content=\"");
        o.push_str(&desc_a);
        o.push_str("\">\n");
        if let Some(art) = &art_abs {
            let _ = writeln!(o, "<meta name=\"twitter:image\" content=\"{art}\">");
        }
        o.push_str("<meta name=\"twitter:player\" content=\"");
        o.push_str(&url_a);
        o.push_str("\">\n<meta name=\"twitter:player:width\" content=\"480\">\n<meta name=\"twitter:player:height\" content=\"270\">\n<meta name=\"twitter:player:stream\" content=\"");
        o.push_str(&audio_a);
        o.push_str("\">\n<meta name=\"twitter:player:stream:content_type\" content=\"");
        o.push_str(&mime_a);
        o.push_str("\">\n");
        self.json_ld(&mut o, ep, &page_url, &description, art_raw);
        o.push_str("</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
        o.push_str(&self.header);

        // The episode.
        o.push_str("<main id=\"main\">\n<article class=\"episode\" data-episode=\"");
        o.push_str(&title_a);
        o.push_str("\" data-show=\"");
        o.push_str(&self.show_attr);
        o.push('"');
        if let Some(art) = &art_rel {
            let _ = write!(o, " data-art=\"{art}\"");
        }
        o.push_str(">\n<div class=\"hero\">\n");
        if let Some(art) = &art_rel {
            o.push_str("<img class=\"art\" src=\"");
            o.push_str(art);
            o.push_str("\" alt=\"\" width=\"280\" height=\"280\">\n");
        }
        o.push_str("<div class=\"head\">\n<p class=\"meta\">");
        meta_line(&mut o, it);
        o.push_str("</p>\n<h1>");
        text(&mut o, &it.title);
        o.push_str("</h1>\n");
        if let Some(s) = &it.summary {
            o.push_str("<p class=\"summary\">");
            text(&mut o, s);
            o.push_str("</p>\n");
        }
        o.push_str("</div>\n</div>\n");
        self.player(&mut o, ep, &audio_rel);
        self.chapters(&mut o, ep, &audio_rel);
        if !ep.notes_html.trim().is_empty() {
            o.push_str("<section class=\"notes\" aria-labelledby=\"notes-h\">\n<h2 id=\"notes-h\">Show notes</h2>\n");
            o.push_str(&ep.notes_html);
            o.push_str("</section>\n");
        }
        if let Some(cues) = ep.transcript.as_ref().filter(|c| !c.is_empty()) {
            o.push_str("<section class=\"transcript\" aria-labelledby=\"transcript-h\">\n<h2 id=\"transcript-h\">Transcript</h2>\n<div class=\"cues\">\n");
            for cue in cues {
                o.push_str("<p><a class=\"ts\" href=\"");
                attr(&mut o, &audio_rel);
                o.push_str("#t=");
                push_secs(&mut o, cue.start);
                o.push_str("\" data-t=\"");
                push_secs(&mut o, cue.start);
                o.push_str("\">");
                push_clock(&mut o, cue.start);
                o.push_str("</a> ");
                if let Some(sp) = &cue.speaker {
                    o.push_str("<b>");
                    text(&mut o, sp);
                    o.push_str(":</b> ");
                }
                text(&mut o, &cue.text);
                o.push_str("</p>\n");
            }
            o.push_str("</div>\n</section>\n");
        }
        o.push_str("</article>\n</main>\n");
        o.push_str(&self.footer);
        o.push_str("</body>\n</html>\n");
        o
    }

    fn player(&self, o: &mut String, ep: &EpisodePage<'_>, audio_rel: &str) {
        let it = ep.item;
        o.push_str("<section class=\"player\" aria-label=\"Player\">\n<audio id=\"audio\" controls preload=\"metadata\" src=\"");
        attr(o, audio_rel);
        o.push_str("\"><a href=\"");
        attr(o, audio_rel);
        o.push_str("\">Download the episode</a></audio>\n<div class=\"now\" id=\"now\" aria-live=\"polite\"></div>\n<div class=\"tools\">\n");
        if it.chapters.iter().any(|c| !c.hidden) {
            o.push_str(concat!(
                "<button type=\"button\" id=\"prev\" hidden>",
                "<svg aria-hidden=\"true\" focusable=\"false\" width=\"14\" height=\"14\" viewBox=\"0 0 16 16\"><path d=\"M2 2h2.5v12H2zM14 2v12L5.5 8z\"/></svg>",
                " Previous chapter</button>\n<button type=\"button\" id=\"next\" hidden>Next chapter ",
                "<svg aria-hidden=\"true\" focusable=\"false\" width=\"14\" height=\"14\" viewBox=\"0 0 16 16\"><path d=\"M11.5 2H14v12h-2.5zM2 2v12l8.5-6z\"/></svg>",
                "</button>\n"
            ));
        }
        o.push_str(
            "<button type=\"button\" id=\"share\" hidden>Share at current time</button>\n<a class=\"dl\" href=\"",
        );
        attr(o, audio_rel);
        let mb = it.enclosure.length as f64 / 1_000_000.0;
        let kind = it.enclosure.mime.rsplit('/').next().unwrap_or("audio").to_ascii_uppercase();
        let kind = if kind == "MPEG" { "MP3".to_owned() } else { kind };
        let _ = writeln!(o, "\" download>Download {} ({mb:.1} MB)</a>", super::escape::text_string(&kind));
        o.push_str("</div>\n<p class=\"status\" id=\"status\" role=\"status\"></p>\n</section>\n");
    }

    fn chapters(&self, o: &mut String, ep: &EpisodePage<'_>, audio_rel: &str) {
        let visible: Vec<_> = ep.item.chapters.iter().filter(|c| !c.hidden).collect();
        if visible.is_empty() {
            return;
        }
        let _ = write!(
            o,
            "<section class=\"chapters\" aria-labelledby=\"chapters-h\">\n<h2 id=\"chapters-h\">Chapters <span class=\"count\">{}</span></h2>\n<ol id=\"chapters\">\n",
            visible.len()
        );
        let audio = super::escape::attr_string(audio_rel);
        for c in visible {
            o.push_str("<li>");
            if let Some(img) = &c.image {
                o.push_str("<img src=\"");
                attr(o, &local(img, self.site.base_url, PREFIX));
                o.push_str("\" alt=\"\" width=\"48\" height=\"48\" loading=\"lazy\">");
            }
            o.push_str("<a class=\"ch\" href=\"");
            o.push_str(&audio);
            o.push_str("#t=");
            push_secs(o, c.start);
            o.push_str("\" data-t=\"");
            push_secs(o, c.start);
            o.push_str("\"><span class=\"t\">");
            push_clock(o, c.start);
            o.push_str("</span> <span class=\"title\">");
            text(o, &c.title);
            o.push_str("</span></a>");
            if let Some(url) = &c.url {
                o.push_str("<a class=\"ext\" href=\"");
                attr(o, url);
                o.push_str("\" rel=\"noopener\">Link<span class=\"sr\"> for ");
                text(o, &c.title);
                o.push_str("</span></a>");
            }
            o.push_str("</li>\n");
        }
        o.push_str("</ol>\n</section>\n");
    }

    fn json_ld(&self, o: &mut String, ep: &EpisodePage<'_>, page_url: &str, description: &str, art: Option<&str>) {
        let it = ep.item;
        o.push_str("<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"PodcastEpisode\",\"name\":");
        json(o, &it.title);
        o.push_str(",\"url\":");
        json(o, page_url);
        o.push_str(",\"datePublished\":");
        o.push('"');
        push_rfc3339(o, &it.pub_date);
        o.push('"');
        o.push_str(",\"description\":");
        json(o, description);
        let _ = write!(o, ",\"timeRequired\":\"{}\"", iso_duration(it.duration_secs));
        if let Some(n) = it.episode {
            let _ = write!(o, ",\"episodeNumber\":{n}");
        }
        if let Some(art) = art {
            o.push_str(",\"image\":");
            json(o, art);
        }
        o.push_str(",\"associatedMedia\":{\"@type\":\"MediaObject\",\"contentUrl\":");
        json(o, &it.enclosure.url);
        o.push_str(",\"encodingFormat\":");
        json(o, &it.enclosure.mime);
        let _ = write!(o, ",\"contentSize\":\"{}\"}}", it.enclosure.length);
        o.push_str(",\"partOfSeries\":");
        o.push_str(&self.series_json);
        o.push_str("}</script>\n");
    }
}

/// `Season 1 · Episode 20 · <time>14 September 2016</time> · 52 min`.
pub(super) fn meta_line(o: &mut String, it: &crate::feed::Item) {
    if let Some(s) = it.season {
        let _ = write!(o, "Season {s} · ");
    }
    if let Some(e) = it.episode {
        let _ = write!(o, "Episode {e} · ");
    }
    match it.episode_type {
        crate::EpisodeType::Trailer => o.push_str("Trailer · "),
        crate::EpisodeType::Bonus => o.push_str("Bonus · "),
        crate::EpisodeType::Full => {}
    }
    o.push_str("<time datetime=\"");
    push_rfc3339(o, &it.pub_date);
    o.push_str("\">");
    push_long_date(o, &it.pub_date);
    o.push_str("</time> · ");
    o.push_str(&human_duration(it.duration_secs));
}

/// The first paragraph of an HTML fragment (for a description when there is no summary).
fn first_paragraph(html: &str) -> &str {
    // The first paragraph is enough for a description; the caller shortens it.
    let start = html.find("<p>").map_or(0, |i| i + 3);
    let end = html.get(start..).and_then(|r| r.find("</p>")).map_or(html.len(), |i| start + i);
    html.get(start..end).unwrap_or_default()
}
