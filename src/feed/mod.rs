//! The podcast feed: a typed model of an RSS 2.0 channel with the iTunes, Podcasting 2.0, Podlove
//! Simple Chapters, `content` and Atom namespaces, and its writer.
//!
//! Every field is typed: numbers are `NonZeroU32`, dates `DateTime<FixedOffset>`, explicit a
//! `bool`, the episode type an enum. [`write()`] produces UTF-8 XML with quick-xml; text is escaped,
//! HTML goes into CDATA sections (a `]]>` inside is split safely), and characters XML 1.0 forbids
//! (C0 controls other than tab and newline) are removed.
//!
//! The Podcasting 2.0 namespace is declared with its canonical URI
//! `https://podcastindex.org/namespace/1.0` (the spec's; Apple, partytime and the Podcast Index
//! read it). gPodder's `podcastparser` only recognises the GitHub alias of that URI and so ignores
//! `podcast:*` tags; it reads the inline `psc:chapters`, which carry the same chapters.

use std::io::Cursor;
use std::num::NonZeroU32;

use chrono::{DateTime, FixedOffset};
use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;

use crate::Chapters;
use crate::sources::episode::EpisodeType;
use crate::sources::show::{Category, Owner, ShowType};

pub mod guid;
pub mod html;
pub mod paging;
pub mod podcast_ns;

pub use paging::Paging;

/// The namespace URIs podmark declares.
pub mod ns {
    /// Apple's iTunes namespace (case-sensitive).
    pub const ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
    /// Podcasting 2.0.
    pub const PODCAST: &str = "https://podcastindex.org/namespace/1.0";
    /// Podlove Simple Chapters.
    pub const PSC: &str = "http://podlove.org/simple-chapters";
    /// RSS content module (`content:encoded`).
    pub const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
    /// Atom (`atom:link`).
    pub const ATOM: &str = "http://www.w3.org/2005/Atom";
}

/// The whole feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feed {
    /// Channel-level data.
    pub channel: Channel,
    /// Items in feed order.
    pub items: Vec<Item>,
}

/// Channel-level data. Build one with [`Channel::new`] and set the optional fields:
///
/// ```
/// use podmark::feed::{Channel, Feed};
/// use podmark::sources::show::Category;
///
/// let mut channel = Channel::new(
///     "The Eigencast",
///     "https://eigencast.example.com/",
///     "Conversations about containers.",
///     "en-au",
///     "https://eigencast.example.com/feed.xml",
///     Category::new("Technology", None)?,
///     "Justin",
/// );
/// channel.explicit = false;
/// let xml = podmark::feed::write(&Feed { channel, items: Vec::new() })?;
/// assert!(xml.contains("<podcast:guid>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Channel {
    /// Show title.
    pub title: String,
    /// Show description (plain text).
    pub description: String,
    /// Website.
    pub link: String,
    /// Language tag.
    pub language: String,
    /// The feed's own URL (`atom:link rel="self"`).
    pub self_url: String,
    /// Artwork URL.
    pub image_url: Option<String>,
    /// Apple category.
    pub category: Category,
    /// Further Apple categories, written after the first.
    pub more_categories: Vec<Category>,
    /// Explicit content.
    pub explicit: bool,
    /// `itunes:author`.
    pub author: String,
    /// Episodic or serial.
    pub show_type: ShowType,
    /// `itunes:owner`.
    pub owner: Option<Owner>,
    /// Copyright line.
    pub copyright: Option<String>,
    /// `podcast:guid`.
    pub podcast_guid: uuid::Uuid,
    /// `podcast:locked`, with the owner e-mail partytime needs.
    pub locked: Option<Locked>,
    /// RFC 5005 paging links.
    pub paging: Option<Paging>,
    /// The other Podcasting 2.0 channel tags (person, funding, value, …).
    pub podcast: crate::sources::podcast_ns::ChannelTags,
}

/// `podcast:locked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Locked {
    /// Whether other platforms may import the feed.
    pub locked: bool,
    /// Owner e-mail.
    pub owner: Option<String>,
}

/// The audio file of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enclosure {
    /// Absolute URL.
    pub url: String,
    /// Exact byte length of the file.
    pub length: u64,
    /// MIME type.
    pub mime: String,
}

/// A transcript link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transcript {
    /// Absolute URL.
    pub url: String,
    /// `text/vtt` or `application/x-subrip`.
    pub mime: String,
    /// Language tag.
    pub language: Option<String>,
}

/// One episode. Build one with [`Item::new`] and set the optional fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Item {
    /// Title.
    pub title: String,
    /// `guid`.
    pub guid: String,
    /// `isPermaLink` of the `guid`: `false` for podmark's own GUIDs; `true` only where a feed
    /// imported from another host had a permalink GUID (kept as it was published).
    pub guid_is_permalink: bool,
    /// Publication date-time.
    pub pub_date: DateTime<FixedOffset>,
    /// Episode number.
    pub episode: Option<NonZeroU32>,
    /// Season number.
    pub season: Option<NonZeroU32>,
    /// Full, trailer or bonus.
    pub episode_type: EpisodeType,
    /// The audio.
    pub enclosure: Enclosure,
    /// Exact duration, whole seconds (rounded to nearest).
    pub duration_secs: u64,
    /// No duration is known (audio hosted elsewhere whose feed gave none): no `itunes:duration`.
    pub duration_unknown: bool,
    /// The notes as HTML: written once, in `description`, when they fit Apple's 4,000 bytes; longer
    /// notes go whole into `content:encoded`, and `description` holds their leading blocks (see
    /// [`html::fit_description`]).
    pub html: String,
    /// A short plain-text summary (`itunes:summary` is dropped by Apple; used for `itunes:subtitle`).
    pub summary: Option<String>,
    /// Episode page.
    pub link: Option<String>,
    /// Episode artwork URL.
    pub image_url: Option<String>,
    /// Explicit content.
    pub explicit: Option<bool>,
    /// URL of the JSON chapters file.
    pub chapters_url: Option<String>,
    /// Chapters, written inline as `psc:chapters`.
    pub chapters: Chapters,
    /// Transcripts.
    pub transcripts: Vec<Transcript>,
    /// The other Podcasting 2.0 item tags (person, soundbite, value, …).
    pub podcast: crate::sources::podcast_ns::ItemTags,
    /// `podcast:alternateEnclosure`s: other renditions of the audio.
    pub alternate_enclosures: Vec<podcast_ns::AlternateEnclosure>,
}

impl Channel {
    /// A channel with the fields every feed needs (title, link and description in RSS order);
    /// `podcast:guid` is computed from `self_url` (the
    /// feed's URL) as the Podcasting 2.0 namespace specifies. Everything else is empty, `false`
    /// (not explicit), episodic and not `podcast:locked`, until set.
    pub fn new(
        title: impl Into<String>,
        link: impl Into<String>,
        description: impl Into<String>,
        language: impl Into<String>,
        self_url: impl Into<String>,
        category: Category,
        author: impl Into<String>,
    ) -> Channel {
        let self_url = self_url.into();
        Channel {
            title: title.into(),
            description: description.into(),
            link: link.into(),
            language: language.into(),
            podcast_guid: crate::sources::guid_lock::podcast_guid(&self_url),
            self_url,
            image_url: None,
            category,
            more_categories: Vec::new(),
            explicit: false,
            author: author.into(),
            show_type: ShowType::default(),
            owner: None,
            copyright: None,
            locked: None,
            paging: None,
            podcast: Default::default(),
        }
    }
}

impl Item {
    /// An item with the fields every feed item needs: title, GUID, publication date, the audio and
    /// its duration in whole seconds. Everything else is empty (no description, no chapters) until
    /// set; the episode type is `full`.
    ///
    /// ```
    /// use podmark::feed::{Enclosure, Item};
    ///
    /// let date = chrono::DateTime::parse_from_rfc3339("2016-09-15T09:00:00+10:00")?;
    /// let audio = Enclosure { url: "https://e.example/1.mp3".into(), length: 1234, mime: "audio/mpeg".into() };
    /// let mut item = Item::new("Episode 1", "e-1", date, audio, 61);
    /// item.html = "<p>Notes.</p>".into();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        title: impl Into<String>,
        guid: impl Into<String>,
        pub_date: DateTime<FixedOffset>,
        enclosure: Enclosure,
        duration_secs: u64,
    ) -> Item {
        Item {
            title: title.into(),
            guid: guid.into(),
            guid_is_permalink: false,
            pub_date,
            episode: None,
            season: None,
            episode_type: EpisodeType::default(),
            enclosure,
            duration_secs,
            duration_unknown: false,
            html: String::new(),
            summary: None,
            link: None,
            image_url: None,
            explicit: None,
            chapters_url: None,
            chapters: Chapters::default(),
            transcripts: Vec::new(),
            podcast: Default::default(),
            alternate_enclosures: Vec::new(),
        }
    }
}

/// Why a feed could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the feed: {0}")]
pub struct FeedError(String);

type W = Writer<Cursor<Vec<u8>>>;

fn err(e: impl std::fmt::Display) -> FeedError {
    FeedError(e.to_string())
}

/// Removes characters XML 1.0 cannot hold (C0 controls except tab, newline, carriage return; and
/// U+FFFE/U+FFFF).
pub fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (c as u32) < 0x20) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if s.chars().any(bad) { s.chars().filter(|&c| !bad(c)).collect::<String>().into() } else { s.into() }
}

fn text(w: &mut W, name: &str, value: &str) -> Result<(), FeedError> {
    let value = xml_safe(value);
    w.create_element(name).write_text_content(BytesText::new(value.trim())).map_err(err)?;
    Ok(())
}

fn cdata(w: &mut W, name: &str, value: &str) -> Result<(), FeedError> {
    let value = xml_safe(value);
    w.write_event(Event::Start(BytesStart::new(name))).map_err(err)?;
    // `]]>` cannot appear inside one CDATA section: split it across two.
    let mut parts = value.split("]]>").peekable();
    while let Some(part) = parts.next() {
        let chunk = if parts.peek().is_some() { format!("{part}]]") } else { part.to_owned() };
        w.write_event(Event::CData(BytesCData::new(chunk))).map_err(err)?;
        if parts.peek().is_some() {
            w.write_event(Event::Text(BytesText::new(">"))).map_err(err)?;
        }
    }
    w.write_event(Event::End(BytesEnd::new(name))).map_err(err)?;
    Ok(())
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> Result<(), FeedError> {
    let mut el = BytesStart::new(name);
    for (k, v) in attrs {
        el.push_attribute((*k, xml_safe(v).as_ref()));
    }
    w.write_event(Event::Empty(el)).map_err(err)?;
    Ok(())
}

/// A PSC chapter start in the shortest Normal Play Time that every PSC reader podmark tests reads
/// to the same millisecond: `MM:SS` below an hour, `HH:MM:SS` from an hour, and `.mmm` only when
/// the milliseconds are not zero. Shorter NPT (`2`, `1400.151`, `7:48`) is valid PSC, but
/// feedparser reads only `[HH:]MM:SS[.mmm]` with two-digit fields (`start_parsed` is `None`
/// otherwise).
///
/// ```
/// # use podmark::Timestamp;
/// let npt = |s: &str| podmark::feed::npt(s.parse::<Timestamp>().unwrap());
/// assert_eq!(npt("0"), "00:00");
/// assert_eq!(npt("2"), "00:02");
/// assert_eq!(npt("1400.151"), "23:20.151");
/// assert_eq!(npt("1:02:03.5"), "01:02:03.500");
/// ```
pub fn npt(t: crate::Timestamp) -> String {
    // `Timestamp`'s own `HH:MM:SS.mmm`, less a zero hour and zero milliseconds.
    let full = format!("{t:.3}");
    let out = full.strip_prefix("00:").unwrap_or(&full);
    out.strip_suffix(".000").unwrap_or(out).to_owned()
}

fn yes_no(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// Writes the feed as XML. Deterministic: the same feed gives the same bytes. It is
/// [`write_head`], then [`write_item_fragment`] of each item, then [`TAIL`], so a writer that
/// keeps the fragments of unchanged items can splice a feed with the same bytes.
pub fn write(feed: &Feed) -> Result<String, FeedError> {
    let mut out = write_head(&feed.channel)?;
    for item in &feed.items {
        out.push_str(&write_item_fragment(item)?);
    }
    out.push_str(TAIL);
    Ok(out)
}

/// The layout of what [`write_item_fragment`] writes: it changes whenever the same item would give
/// different bytes (2: one element a line without indentation, no `podcast:episode`/`season`, no
/// `itunes:episodeType` for full episodes, short PSC starts). A cache of rendered fragments should key
/// on it as well as on podmark's version, so that a rebuild never splices fragments of two layouts.
pub const ITEM_LAYOUT: u32 = 2;

/// What ends a feed after its last item.
pub const TAIL: &str = "\n</channel>\n</rss>\n";

/// A writer that puts every element on its own line, without indentation: a feed is read by
/// programs, and two spaces a level cost about 150 bytes an item (see `DESIGN.md`, "Why is the
/// feed lean?").
fn writer() -> W {
    Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 0)
}

/// The feed up to its first item: the XML declaration, `rss` and the channel's own elements.
pub fn write_head(channel: &Channel) -> Result<String, FeedError> {
    let mut w = writer();
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(err)?;
    open_rss(&mut w)?;
    write_channel(&mut w, channel)?;
    String::from_utf8(w.into_inner().into_inner()).map_err(err)
}

/// One item as it stands in a feed (one element a line, with the line break before it).
pub fn write_item_fragment(item: &Item) -> Result<String, FeedError> {
    let mut w = writer();
    open_rss(&mut w)?;
    let start = w.get_ref().get_ref().len();
    write_item(&mut w, item)?;
    let bytes = w.into_inner().into_inner();
    String::from_utf8(bytes.get(start..).unwrap_or_default().to_vec()).map_err(err)
}

/// `<rss …>` with the namespaces, and `<channel>`.
fn open_rss(w: &mut W) -> Result<(), FeedError> {
    let mut rss = BytesStart::new("rss");
    rss.push_attribute(("version", "2.0"));
    rss.push_attribute(("xmlns:itunes", ns::ITUNES));
    rss.push_attribute(("xmlns:podcast", ns::PODCAST));
    rss.push_attribute(("xmlns:psc", ns::PSC));
    rss.push_attribute(("xmlns:content", ns::CONTENT));
    rss.push_attribute(("xmlns:atom", ns::ATOM));
    w.write_event(Event::Start(rss)).map_err(err)?;
    w.write_event(Event::Start(BytesStart::new("channel"))).map_err(err)?;
    Ok(())
}

fn write_channel(w: &mut W, c: &Channel) -> Result<(), FeedError> {
    text(w, "title", &c.title)?;
    text(w, "link", &c.link)?;
    empty(w, "atom:link", &[("href", &c.self_url), ("rel", "self"), ("type", "application/rss+xml")])?;
    if let Some(p) = &c.paging {
        empty(w, "atom:link", &[("href", &p.first), ("rel", "first")])?;
        empty(w, "atom:link", &[("href", &p.last), ("rel", "last")])?;
        if let Some(next) = &p.next {
            empty(w, "atom:link", &[("href", next), ("rel", "next")])?;
        }
        if let Some(prev) = &p.prev {
            empty(w, "atom:link", &[("href", prev), ("rel", "previous")])?;
        }
    }
    text(w, "description", &c.description)?;
    text(w, "language", &c.language)?;
    if let Some(copy) = &c.copyright {
        text(w, "copyright", copy)?;
    }
    text(w, "itunes:author", &c.author)?;
    text(w, "itunes:explicit", yes_no(c.explicit))?;
    text(
        w,
        "itunes:type",
        match c.show_type {
            ShowType::Episodic => "episodic",
            ShowType::Serial => "serial",
        },
    )?;
    if let Some(img) = &c.image_url {
        empty(w, "itunes:image", &[("href", img)])?;
    }
    for category in std::iter::once(&c.category).chain(&c.more_categories) {
        match category.sub() {
            Some(sub) => {
                let mut el = BytesStart::new("itunes:category");
                el.push_attribute(("text", category.name()));
                w.write_event(Event::Start(el)).map_err(err)?;
                empty(w, "itunes:category", &[("text", sub)])?;
                w.write_event(Event::End(BytesEnd::new("itunes:category"))).map_err(err)?;
            }
            None => empty(w, "itunes:category", &[("text", category.name())])?,
        }
    }
    if let Some(o) = &c.owner {
        w.write_event(Event::Start(BytesStart::new("itunes:owner"))).map_err(err)?;
        text(w, "itunes:name", &o.name)?;
        text(w, "itunes:email", &o.email)?;
        w.write_event(Event::End(BytesEnd::new("itunes:owner"))).map_err(err)?;
    }
    text(w, "podcast:guid", &c.podcast_guid.to_string())?;
    if let Some(l) = &c.locked {
        let mut el = BytesStart::new("podcast:locked");
        if let Some(owner) = &l.owner {
            el.push_attribute(("owner", owner.as_str()));
        }
        w.write_event(Event::Start(el)).map_err(err)?;
        w.write_event(Event::Text(BytesText::new(if l.locked { "yes" } else { "no" }))).map_err(err)?;
        w.write_event(Event::End(BytesEnd::new("podcast:locked"))).map_err(err)?;
    }
    text(w, "podcast:medium", "podcast")?;
    podcast_ns::write_channel(w, &c.podcast)?;
    text(w, "generator", concat!("podmark ", env!("CARGO_PKG_VERSION")))?;
    Ok(())
}

fn write_item(w: &mut W, it: &Item) -> Result<(), FeedError> {
    w.write_event(Event::Start(BytesStart::new("item"))).map_err(err)?;
    // No `itunes:title`: it would repeat `title`, which Apple reads when it is absent.
    text(w, "title", &it.title)?;
    if let Some(e) = it.episode {
        text(w, "itunes:episode", &e.to_string())?;
    }
    if let Some(s) = it.season {
        text(w, "itunes:season", &s.to_string())?;
    }
    // `full` is what Apple assumes when the tag is absent; only trailers and bonus episodes say so.
    if it.episode_type != EpisodeType::Full {
        text(w, "itunes:episodeType", it.episode_type.as_str())?;
    }
    let mut guid = BytesStart::new("guid");
    guid.push_attribute(("isPermaLink", yes_no(it.guid_is_permalink)));
    w.write_event(Event::Start(guid)).map_err(err)?;
    w.write_event(Event::Text(BytesText::new(&xml_safe(&it.guid)))).map_err(err)?;
    w.write_event(Event::End(BytesEnd::new("guid"))).map_err(err)?;
    text(w, "pubDate", &it.pub_date.to_rfc2822())?;
    if let Some(link) = &it.link {
        text(w, "link", link)?;
    }
    let length = it.enclosure.length.to_string();
    empty(w, "enclosure", &[("url", &it.enclosure.url), ("length", &length), ("type", &it.enclosure.mime)])?;
    // A remote enclosure whose source feed gave no duration has none to write.
    if !it.duration_unknown {
        text(w, "itunes:duration", &it.duration_secs.to_string())?;
    }
    if let Some(s) = &it.summary {
        text(w, "itunes:subtitle", s)?;
    }
    // The notes once: `description` (which every client reads) holds the whole HTML when it fits
    // Apple's limit; only longer notes add `content:encoded` for the full text.
    let description = html::fit_description(&it.html);
    cdata(w, "description", &description)?;
    if description.len() != it.html.len() {
        cdata(w, "content:encoded", &it.html)?;
    }
    if let Some(img) = &it.image_url {
        empty(w, "itunes:image", &[("href", img)])?;
    }
    if let Some(x) = it.explicit {
        text(w, "itunes:explicit", yes_no(x))?;
    }
    // No `podcast:season`/`podcast:episode`: with a whole number and no `name`/`display` (which
    // podmark's sources do not have) they repeat `itunes:season`/`itunes:episode`, which the
    // Podcasting 2.0 readers (partytime, the Podcast Index) read too.
    if let Some(url) = &it.chapters_url {
        empty(w, "podcast:chapters", &[("url", url), ("type", "application/json+chapters")])?;
    }
    for t in &it.transcripts {
        let mut attrs = vec![("url", t.url.as_str()), ("type", t.mime.as_str())];
        if let Some(lang) = &t.language {
            attrs.push(("language", lang.as_str()));
        }
        if t.mime == "text/vtt" || t.mime == "application/x-subrip" {
            attrs.push(("rel", "captions"));
        }
        empty(w, "podcast:transcript", &attrs)?;
    }
    podcast_ns::write_item(w, &it.podcast, &it.alternate_enclosures)?;
    if !it.chapters.is_empty() {
        let mut el = BytesStart::new("psc:chapters");
        el.push_attribute(("version", "1.2"));
        w.write_event(Event::Start(el)).map_err(err)?;
        for c in it.chapters.iter().filter(|c| !c.hidden) {
            let start = npt(c.start);
            let mut attrs = vec![("start", start.as_str()), ("title", c.title.as_str())];
            if let Some(u) = &c.url {
                attrs.push(("href", u.as_str()));
            }
            if let Some(i) = &c.image {
                attrs.push(("image", i.as_str()));
            }
            empty(w, "psc:chapter", &attrs)?;
        }
        w.write_event(Event::End(BytesEnd::new("psc:chapters"))).map_err(err)?;
    }
    w.write_event(Event::End(BytesEnd::new("item"))).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chapter, Timestamp};

    pub(crate) fn sample() -> Feed {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        Feed {
            channel: Channel {
                title: "Show & <Tell>".into(),
                description: "About \u{1}things".into(),
                link: "https://e.example/".into(),
                language: "en".into(),
                self_url: "https://e.example/feed.xml".into(),
                image_url: Some("https://e.example/cover.png".into()),
                category: Category::new("Arts", Some("Books")).unwrap(),
                more_categories: Vec::new(),
                explicit: false,
                author: "A".into(),
                show_type: ShowType::Episodic,
                owner: None,
                copyright: None,
                podcast_guid: guid::podcast_guid("https://e.example/feed.xml"),
                locked: Some(Locked { locked: true, owner: Some("a@e.example".into()) }),
                paging: None,
                podcast: Default::default(),
            },
            items: vec![Item {
                title: "Ep ]]> one".into(),
                guid: "g-1".into(),
                guid_is_permalink: false,
                pub_date: DateTime::parse_from_rfc3339("2016-09-14T09:00:00+10:00").unwrap(),
                episode: NonZeroU32::new(1),
                season: None,
                episode_type: EpisodeType::Full,
                enclosure: Enclosure { url: "https://e.example/a.mp3".into(), length: 123, mime: "audio/mpeg".into() },
                duration_secs: 60,
                duration_unknown: false,
                html: "<p>x ]]> y <script>alert(1)</script></p>".into(),
                summary: None,
                link: None,
                image_url: None,
                explicit: None,
                chapters_url: Some("https://e.example/chapters/a.json".into()),
                chapters: Chapters::new(vec![Chapter::new(t("0"), "Intro \"&\""), Chapter::new(t("30.5"), "B")])
                    .unwrap(),
                transcripts: vec![],
                podcast: Default::default(),
                alternate_enclosures: Vec::new(),
            }],
        }
    }

    /// The texts of the elements inside each `<item>` of `xml`, one list an item.
    fn item_texts(xml: &str) -> Vec<Vec<String>> {
        let mut r = quick_xml::Reader::from_str(xml);
        let (mut items, mut in_item) = (Vec::new(), false);
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == "item" => {
                    in_item = true;
                    items.push(Vec::new());
                }
                Event::End(e) if e.name().as_ref() == "item" => in_item = false,
                Event::Text(t) if in_item => {
                    let t = t.xml10_content().trim().to_owned();
                    if !t.is_empty() {
                        items.last_mut().unwrap().push(t);
                    }
                }
                Event::CData(t) if in_item => items.last_mut().unwrap().push(t.xml10_content().into_owned()),
                Event::Eof => break,
                _ => {}
            }
        }
        items
    }

    #[test]
    fn no_element_content_appears_twice_in_an_item() {
        let mut feed = sample();
        let item = &mut feed.items[0];
        (item.episode, item.season) = (NonZeroU32::new(20), NonZeroU32::new(3));
        item.summary = Some("Short.".into());
        let xml = write(&feed).unwrap();
        let golden = include_str!("../../tests/fixtures/golden/feed.xml");
        for xml in [xml.as_str(), golden] {
            let items = item_texts(xml);
            assert!(!items.is_empty() && items.iter().all(|t| t.len() >= 5), "{items:?}");
            for texts in items {
                let mut seen = std::collections::HashSet::new();
                for t in &texts {
                    assert!(seen.insert(t), "{t:?} appears twice in an item: {texts:?}");
                }
            }
        }
        assert!(xml.contains("<itunes:episode>20</itunes:episode>") && !xml.contains("podcast:episode"), "{xml}");
        assert!(xml.contains("<itunes:season>3</itunes:season>") && !xml.contains("podcast:season"), "{xml}");
        assert!(!xml.contains("episodeType"), "full is Apple's default: {xml}");
        feed.items[0].episode_type = EpisodeType::Bonus;
        assert!(write(&feed).unwrap().contains("<itunes:episodeType>bonus</itunes:episodeType>"));
    }

    #[test]
    fn items_are_written_one_element_a_line_without_indentation() {
        let fragment = write_item_fragment(&sample().items[0]).unwrap();
        assert!(fragment.starts_with("\n<item>\n<title>"), "{fragment}");
        assert!(fragment.lines().all(|l| !l.starts_with(' ')), "{fragment}");
        assert!(fragment.contains("\n<psc:chapter start=\"00:00\" title="), "{fragment}");
    }

    #[test]
    fn psc_starts_are_the_shortest_two_digit_npt() {
        let short = |ms: u64| npt(crate::Timestamp::from_millis(ms).unwrap());
        assert_eq!(short(0), "00:00");
        assert_eq!(short(2_000), "00:02");
        assert_eq!(short(1_400_151), "23:20.151");
        assert_eq!(short(3_599_999), "59:59.999");
        assert_eq!(short(3_600_000), "01:00:00");
        assert_eq!(short(36_000_001), "10:00:00.001");
        // Nanoseconds round to the nearest millisecond, as every chapter writer does.
        assert_eq!(npt(crate::Timestamp::from_nanos(1_999_999_600)), "00:02");
    }

    #[test]
    fn writes_well_formed_xml_with_escapes() {
        let xml = write(&sample()).unwrap();
        assert!(xml.contains("<title>Show &amp; &lt;Tell&gt;</title>"), "{xml}");
        assert!(xml.contains("<description>About things</description>"), "control char dropped: {xml}");
        // `]]>` is split: CDATA "…]]", the text "&gt;", then CDATA again; readers join them back.
        assert!(xml.contains("<![CDATA[<p>x ]]]]>&gt;<![CDATA[ y <script>"), "{xml}");
        assert!(xml.contains(r#"<psc:chapter start="00:30.500" title="B"/>"#), "{xml}");
        assert!(xml.contains(r#"<podcast:locked owner="a@e.example">yes</podcast:locked>"#), "{xml}");
        assert!(xml.contains("<pubDate>Wed, 14 Sep 2016 09:00:00 +1000</pubDate>"), "{xml}");
        assert!(xml.contains(r#"<itunes:category text="Arts">"#), "{xml}");
        // Round trip through a strict XML reader: every event parses.
        let mut r = quick_xml::Reader::from_str(&xml);
        let mut depth = 0i32;
        loop {
            match r.read_event().unwrap() {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
    }
}
