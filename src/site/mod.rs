//! The podcast's website: `index.html` (paged for large catalogues) and one page per episode,
//! `episodes/<folder>/index.html`, with a chapter-aware player.
//!
//! Rendering is pure: a [`Site`] (the feed's channel and items, each episode's folder name, notes
//! and transcript) goes in, a list of (path, bytes) comes out, in a fixed order, the same bytes for
//! the same input. [`crate::build`] stages them with the feed, so that pages and feed change
//! together (see `DESIGN.md`, "How does the website stay in step with the feed?").
//!
//! Pages carry no framework and make no third-party request: one stylesheet (`site.css`) and one
//! small script (`player.js`), both written beside `index.html`. Links to the site's own files
//! (audio, artwork, pages) are relative, so the site works from any address; the canonical URL,
//! Open Graph / Twitter cards and the schema.org JSON-LD use the absolute `base_url`.
//!
//! The player works without JavaScript: each chapter is a link to the audio with a Media Fragment
//! time (`audio.mp3#t=1400.151`), which browsers open at that time. The script turns those links
//! into seeks of the page's `<audio>`, marks the current chapter with `aria-current="true"`, seeks
//! to `#t=SECONDS` or `#t=MM:SS` given in the page address, shares a link at the current time and
//! feeds the Media Session API (titles, previous/next chapter).

use crate::Timestamp;
use crate::feed::{Channel, Item};
use crate::sources::site::SiteSettings;

mod episode;
pub mod escape;
mod index;

/// The site's stylesheet (written as `site.css`).
pub const CSS: &str = include_str!("assets/site.css");
/// The player script (written as `player.js`).
pub const PLAYER_JS: &str = include_str!("assets/player.js");

/// Everything the site is made from. Build one with [`Site::new`] and push [`EpisodePage`]s.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Site<'a> {
    /// The feed's channel: title, description, artwork, feed URL, `podcast:guid`…
    pub channel: &'a Channel,
    /// The `[site]` settings.
    pub settings: &'a SiteSettings,
    /// Where the output folder is served, ending in `/` (page URLs are made from it).
    pub base_url: &'a str,
    /// The episodes, in feed order (the index lists them in this order).
    pub episodes: Vec<EpisodePage<'a>>,
}

/// One episode's page.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EpisodePage<'a> {
    /// The episode's folder name: the page is `episodes/<slug>/index.html`.
    pub slug: &'a str,
    /// The episode as the feed has it.
    pub item: &'a Item,
    /// The notes as HTML (the feed's sanitised HTML).
    pub notes_html: std::borrow::Cow<'a, str>,
    /// The transcript's cues, when there is one.
    pub transcript: Option<Vec<Cue>>,
}

/// What the index lists of one episode ([`card`]): kept between builds, so that an incremental
/// build renders the index without every episode's [`EpisodePage`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Card {
    /// The episode's folder name.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// The date and duration line, as HTML.
    pub meta_html: String,
    /// How many listed chapters it has.
    pub chapters: usize,
    /// Its plain-text summary.
    pub summary: Option<String>,
}

/// The index card of `ep`.
pub fn card(ep: &EpisodePage<'_>) -> Card {
    index::card(ep)
}

/// One transcript cue: where it starts, who speaks (WebVTT `<v Name>`) and what is said.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cue {
    /// Start time.
    pub start: Timestamp,
    /// The speaker, when the cue names one.
    pub speaker: Option<String>,
    /// The words, as plain text.
    pub text: String,
}

impl<'a> Site<'a> {
    /// A site with no episodes yet.
    pub fn new(channel: &'a Channel, settings: &'a SiteSettings, base_url: &'a str) -> Site<'a> {
        Site { channel, settings, base_url, episodes: Vec::new() }
    }
}

impl<'a> EpisodePage<'a> {
    /// The page of `item`, from the folder `slug`, with its notes as HTML and no transcript.
    pub fn new(slug: &'a str, item: &'a Item, notes_html: impl Into<std::borrow::Cow<'a, str>>) -> EpisodePage<'a> {
        EpisodePage { slug, item, notes_html: notes_html.into(), transcript: None }
    }
}

/// Reads a transcript (WebVTT or SRT) into cues, with the WebVTT reader of [`crate::formats::vtt`]
/// (an SRT file is read as cues without the header). Tags in cue text are dropped; a leading
/// `<v Name>` becomes the speaker.
pub fn read_transcript(text: &str) -> Vec<Cue> {
    let parsed = crate::formats::vtt::read(text);
    parsed
        .entries
        .into_iter()
        .map(|e| {
            let raw = e.chapter.title;
            // `<v Name>` or `<v.class Name>`.
            let speaker = raw
                .strip_prefix("<v ")
                .or_else(|| raw.strip_prefix("<v.").and_then(|r| r.split_once(' ')).map(|(_, r)| r))
                .and_then(|r| r.split_once('>'))
                .map(|(name, _)| name.trim().to_owned())
                .filter(|n| !n.is_empty());
            Cue { start: e.chapter.start, speaker, text: strip_tags(&raw) }
        })
        .collect()
}

/// `s` without its tags, the five entities pulldown-cmark writes decoded.
pub(crate) fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    if out.contains('&') {
        out = out
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
    }
    out.trim().to_owned()
}

/// The relative path of an episode's page.
pub fn episode_path(slug: &str) -> String {
    format!("episodes/{slug}/index.html")
}

/// The relative path of index page `n` (from 1): `index.html`, then `page/2/index.html`…
pub fn index_path(n: usize) -> String {
    if n <= 1 { "index.html".to_owned() } else { format!("page/{n}/index.html") }
}

/// Renders the whole site: the assets, the index pages, then every episode page, as (path relative
/// to the output folder, content). Deterministic; episode pages are rendered on all cores.
pub fn render(site: &Site<'_>) -> Vec<(String, String)> {
    let cards: Vec<Card> = site.episodes.iter().map(card).collect();
    let mut out = render_index(site, &cards);
    out.extend(render_episodes(site));
    out
}

/// The assets and the index pages, listing `cards` (in feed order).
pub fn render_index(site: &Site<'_>, cards: &[Card]) -> Vec<(String, String)> {
    index_pages(site, cards).collect()
}

/// [`render_index`], each page rendered when the iterator is advanced (a large show's index
/// pages need not be held at once); the cards owned or borrowed (`&[Card]` or `&[&Card]`).
pub fn index_pages<'a, C: std::borrow::Borrow<Card>>(
    site: &'a Site<'a>,
    cards: &'a [C],
) -> impl Iterator<Item = (String, String)> + 'a {
    let assets = [("site.css".to_owned(), CSS.to_owned()), ("player.js".to_owned(), PLAYER_JS.to_owned())];
    assets.into_iter().chain(index::render(site, cards))
}

/// The pages of `site.episodes`, rendered on all cores, in order.
pub fn render_episodes(site: &Site<'_>) -> Vec<(String, String)> {
    let shared = episode::Shared::new(site);
    let mut out = Vec::with_capacity(site.episodes.len());
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8);
    let chunk = site.episodes.len().div_ceil(threads).max(64);
    let pages: Vec<Vec<(String, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = site
            .episodes
            .chunks(chunk)
            .map(|eps| {
                let shared = &shared;
                s.spawn(move || eps.iter().map(|ep| (episode_path(ep.slug), shared.page(ep))).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    out.extend(pages.into_iter().flatten());
    out
}

/// `url` relative to a page `prefix` (`""` or `"../../"`) when it is under `base_url`.
pub(crate) fn local<'u>(url: &'u str, base_url: &str, prefix: &str) -> std::borrow::Cow<'u, str> {
    match url.strip_prefix(base_url) {
        Some(rest) => format!("{prefix}{rest}").into(),
        None => url.into(),
    }
}

/// `1400.151`: seconds with up to three decimals, for `#t=` and `data-t`.
#[cfg(test)]
pub(crate) fn secs(t: Timestamp) -> String {
    let mut s = String::new();
    push_secs(&mut s, t);
    s
}

/// Appends `n` in decimal.
pub(crate) fn push_u64(o: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + u8::try_from(n % 10).unwrap_or(0);
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    o.push_str(std::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default());
}

/// Appends `t` as seconds with up to three decimals (`1400.151`, `15.8`, `0`).
pub(crate) fn push_secs(o: &mut String, t: Timestamp) {
    let ms = t.to_ticks(1000).unwrap_or(0);
    let (s, frac) = (ms / 1000, ms % 1000);
    push_u64(o, s);
    if frac != 0 {
        let digits = [frac / 100, frac / 10 % 10, frac % 10];
        let keep = if frac % 10 != 0 {
            3
        } else if frac % 100 != 0 {
            2
        } else {
            1
        };
        o.push('.');
        for d in digits.iter().take(keep) {
            o.push(char::from(b'0' + u8::try_from(*d).unwrap_or(0)));
        }
    }
}

/// `23:20` or `1:02:03`: a time floored to the second, as players show it.
#[cfg(test)]
pub(crate) fn clock(t: Timestamp) -> String {
    let mut s = String::new();
    push_clock(&mut s, t);
    s
}

/// Appends `t` floored to the second as `MM:SS` or `H:MM:SS`.
pub(crate) fn push_clock(o: &mut String, t: Timestamp) {
    let s = t.to_ticks(1000).unwrap_or(0) / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let two = |o: &mut String, n: u64| {
        o.push(char::from(b'0' + u8::try_from(n / 10 % 10).unwrap_or(0)));
        o.push(char::from(b'0' + u8::try_from(n % 10).unwrap_or(0)));
    };
    if h > 0 {
        push_u64(o, h);
        o.push(':');
    }
    two(o, m);
    o.push(':');
    two(o, s);
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Appends `d` as RFC 3339 (`2016-09-14T09:00:00+10:00`), as `DateTime::to_rfc3339` writes it.
pub(crate) fn push_rfc3339(o: &mut String, d: &chrono::DateTime<chrono::FixedOffset>) {
    use chrono::{Datelike as _, Timelike as _};
    use std::fmt::Write as _;
    if d.nanosecond() != 0 || !(0..=9999).contains(&d.year()) {
        o.push_str(&d.to_rfc3339());
        return;
    }
    let off = d.offset().local_minus_utc();
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    let _ = write!(
        o,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        a / 3600,
        a / 60 % 60
    );
}

/// Appends `d` as `14 September 2016`.
pub(crate) fn push_long_date(o: &mut String, d: &chrono::DateTime<chrono::FixedOffset>) {
    use chrono::Datelike as _;
    use std::fmt::Write as _;
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or_default();
    let _ = write!(o, "{} {month} {}", d.day(), d.year());
}

/// `52 min` / `1 h 5 min` / `45 s`.
pub(crate) fn human_duration(secs: u64) -> String {
    let (h, m) = (secs / 3600, (secs % 3600 + 30) / 60);
    match (h, m) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// ISO 8601 duration, `PT52M3S`.
pub(crate) fn iso_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

/// The first `max` characters of `s` as one line (for `<meta name="description">`).
pub(crate) fn snippet(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_links_and_display() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap_or_default();
        assert_eq!(secs(t("00:23:20.151")), "1400.151");
        assert_eq!(secs(t("00:00:15.800")), "15.8");
        assert_eq!(secs(t("0")), "0");
        assert_eq!(clock(t("00:23:20.951")), "23:20");
        assert_eq!(clock(t("01:02:03")), "1:02:03");
        assert_eq!(iso_duration(3123), "PT52M3S");
        assert_eq!(human_duration(3123), "52 min");
        assert_eq!(snippet("one two  three", 7), "one…");
        assert_eq!(secs(t("00:00:15.050")), "15.05");
        assert_eq!(secs(t("12345:00:00.001")), "44442000.001");
        for d in ["2016-09-14T09:00:00+10:00", "2020-01-01T00:00:00-05:30", "2020-01-01T00:00:00.5+00:00"] {
            let d = chrono::DateTime::parse_from_rfc3339(d).unwrap_or_default();
            let mut s = String::new();
            push_rfc3339(&mut s, &d);
            assert_eq!(s, d.to_rfc3339());
            let mut s = String::new();
            push_long_date(&mut s, &d);
            assert_eq!(s, d.format("%-d %B %Y").to_string());
        }
    }

    #[test]
    fn transcript_cues_keep_speakers_and_drop_tags() {
        let cues = read_transcript(
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Lars Herrmann>Hi <b>there</b> &amp; all\n\n1\n00:00:03,500 --> 00:00:04,000\nPlain\n",
        );
        assert_eq!(cues.len(), 2, "{cues:?}");
        assert_eq!(cues[0].speaker.as_deref(), Some("Lars Herrmann"));
        assert_eq!(cues[0].text, "Hi there & all");
        assert_eq!(cues[1].text, "Plain");
    }
}
