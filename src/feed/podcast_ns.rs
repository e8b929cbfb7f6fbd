//! The Podcasting 2.0 tags beyond `guid`, `locked`, `medium`, `chapters` and `transcript`: written
//! from the typed values of [`crate::sources::podcast_ns`]. No `season`/`episode`: they would repeat
//! `itunes:season`/`itunes:episode` (see `DESIGN.md`, "Why no `podcast:episode`").
//!
//! Order: the namespace's own order (its `docs/1.0.md` lists the tags phase by phase), so that
//! the same sources give the same bytes: funding, soundbite, person, location, trailer, license,
//! alternateEnclosure, value, images/image, socialInteract, block, txt, podroll, updateFrequency,
//! publisher. `podcast:image` is the current artwork tag; `podcast:images srcset` (deprecated,
//! what partytime 5 and older apps read) is written next to it when every image has a width.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;

use super::{FeedError, W, err, xml_safe};
use crate::sources::podcast_ns::{
    ChannelTags, Funding, Image, ItemTags, License, Location, Person, RemoteItem, SocialInteract, Txt, Value,
};

/// A `podcast:alternateEnclosure` as the feed writes it: one published rendition, probed and
/// hashed by `podmark build`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlternateEnclosure {
    /// MIME type (from podmark's one MIME table).
    pub mime: String,
    /// Exact byte length.
    pub length: u64,
    /// Average bitrate, bits per second.
    pub bitrate: Option<u32>,
    /// Language.
    pub lang: Option<String>,
    /// Short title.
    pub title: Option<String>,
    /// Grouping.
    pub rel: Option<String>,
    /// RFC 6381 codecs.
    pub codecs: Option<String>,
    /// The default rendition.
    pub default: bool,
    /// `podcast:source uri`.
    pub url: String,
    /// `podcast:integrity` SRI value (`sha384-…`).
    pub integrity: Option<String>,
}

/// Writes `<name attrs…>text</name>` (an empty `text` makes an empty element).
fn element(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> Result<(), FeedError> {
    let mut el = BytesStart::new(name);
    for (k, v) in attrs {
        el.push_attribute((*k, xml_safe(v).as_ref()));
    }
    if text.is_empty() {
        return w.write_event(Event::Empty(el)).map_err(err);
    }
    w.write_event(Event::Start(el)).map_err(err)?;
    w.write_event(Event::Text(BytesText::new(xml_safe(text).trim()))).map_err(err)?;
    w.write_event(Event::End(BytesEnd::new(name))).map_err(err)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The channel-level tags, in spec order.
pub(crate) fn write_channel(w: &mut W, t: &ChannelTags) -> Result<(), FeedError> {
    funding(w, &t.funding)?;
    persons(w, &t.person)?;
    locations(w, &t.location)?;
    for tr in &t.trailer {
        let date = tr.date.0.to_rfc2822();
        let length = tr.length.map(|l| l.to_string());
        let season = tr.season.map(|s| s.to_string());
        let mut attrs = vec![("pubdate", date.as_str()), ("url", tr.url.as_str())];
        if let Some(l) = &length {
            attrs.push(("length", l));
        }
        if let Some(m) = &tr.mime {
            attrs.push(("type", m.as_str()));
        }
        if let Some(s) = &season {
            attrs.push(("season", s));
        }
        element(w, "podcast:trailer", &attrs, tr.title.as_str())?;
    }
    license(w, t.license.as_ref())?;
    values(w, &t.value)?;
    images(w, &t.image)?;
    social(w, &t.social_interact)?;
    for b in &t.block {
        let attrs: Vec<(&str, &str)> = b.id.iter().map(|id| ("id", id.as_str())).collect();
        element(w, "podcast:block", &attrs, yes_no(b.block))?;
    }
    txts(w, &t.txt)?;
    if !t.podroll.is_empty() {
        w.write_event(Event::Start(BytesStart::new("podcast:podroll"))).map_err(err)?;
        for r in &t.podroll {
            remote_item(w, r)?;
        }
        w.write_event(Event::End(BytesEnd::new("podcast:podroll"))).map_err(err)?;
    }
    if let Some(u) = &t.update_frequency {
        let dtstart = u.dtstart.map(|d| d.0.to_rfc3339());
        let mut attrs = Vec::new();
        if u.complete {
            attrs.push(("complete", "true"));
        }
        if let Some(d) = &dtstart {
            attrs.push(("dtstart", d.as_str()));
        }
        if let Some(r) = &u.rrule {
            attrs.push(("rrule", r.as_str()));
        }
        element(w, "podcast:updateFrequency", &attrs, u.text.as_str())?;
    }
    if let Some(p) = &t.publisher {
        w.write_event(Event::Start(BytesStart::new("podcast:publisher"))).map_err(err)?;
        let item = RemoteItem {
            feed_guid: p.feed_guid,
            feed_url: p.feed_url.clone(),
            item_guid: None,
            medium: Some(crate::sources::podcast_ns::Medium::Publisher),
            title: None,
        };
        remote_item(w, &item)?;
        w.write_event(Event::End(BytesEnd::new("podcast:publisher"))).map_err(err)?;
    }
    Ok(())
}

/// The item-level tags, in spec order.
pub(crate) fn write_item(w: &mut W, t: &ItemTags, alternates: &[AlternateEnclosure]) -> Result<(), FeedError> {
    funding(w, &t.funding)?;
    for s in &t.soundbite {
        let (start, duration) = (s.start.decimal(), s.duration.decimal());
        let title = s.title.as_ref().map_or("", |t| t.as_str());
        element(w, "podcast:soundbite", &[("startTime", &start), ("duration", &duration)], title)?;
    }
    persons(w, &t.person)?;
    locations(w, &t.location)?;
    license(w, t.license.as_ref())?;
    for a in alternates {
        alternate(w, a)?;
    }
    values(w, &t.value)?;
    images(w, &t.image)?;
    social(w, &t.social_interact)?;
    txts(w, &t.txt)
}

fn funding(w: &mut W, list: &[Funding]) -> Result<(), FeedError> {
    for f in list {
        element(w, "podcast:funding", &[("url", f.url.as_str())], f.text.as_str())?;
    }
    Ok(())
}

fn persons(w: &mut W, list: &[Person]) -> Result<(), FeedError> {
    for p in list {
        let mut attrs = vec![("role", p.role.as_str()), ("group", p.group.as_str())];
        if let Some(i) = &p.img {
            attrs.push(("img", i.as_str()));
        }
        if let Some(h) = &p.href {
            attrs.push(("href", h.as_str()));
        }
        element(w, "podcast:person", &attrs, p.name.as_str())?;
    }
    Ok(())
}

fn locations(w: &mut W, list: &[Location]) -> Result<(), FeedError> {
    for l in list {
        let mut attrs = Vec::new();
        if let Some(r) = l.rel {
            attrs.push(("rel", r.as_str()));
        }
        if let Some(g) = &l.geo {
            attrs.push(("geo", g.as_str()));
        }
        if let Some(o) = &l.osm {
            attrs.push(("osm", o.as_str()));
        }
        if let Some(c) = &l.country {
            attrs.push(("country", c.as_str()));
        }
        element(w, "podcast:location", &attrs, l.name.as_str())?;
    }
    Ok(())
}

fn license(w: &mut W, l: Option<&License>) -> Result<(), FeedError> {
    if let Some(l) = l {
        let attrs: Vec<(&str, &str)> = l.url.iter().map(|u| ("url", u.as_str())).collect();
        // Without a url it is a well-known licence, whose identifier the spec writes lower-cased.
        let name = if l.url.is_none() { l.name.as_str().to_ascii_lowercase() } else { l.name.as_str().to_owned() };
        element(w, "podcast:license", &attrs, &name)?;
    }
    Ok(())
}

fn alternate(w: &mut W, a: &AlternateEnclosure) -> Result<(), FeedError> {
    let length = a.length.to_string();
    let bitrate = a.bitrate.map(|b| b.to_string());
    let mut el = BytesStart::new("podcast:alternateEnclosure");
    el.push_attribute(("type", a.mime.as_str()));
    el.push_attribute(("length", length.as_str()));
    if let Some(b) = &bitrate {
        el.push_attribute(("bitrate", b.as_str()));
    }
    for (k, v) in [("lang", &a.lang), ("title", &a.title), ("rel", &a.rel), ("codecs", &a.codecs)] {
        if let Some(v) = v {
            el.push_attribute((k, xml_safe(v).as_ref()));
        }
    }
    if a.default {
        el.push_attribute(("default", "true"));
    }
    w.write_event(Event::Start(el)).map_err(err)?;
    element(w, "podcast:source", &[("uri", &a.url)], "")?;
    if let Some(sri) = &a.integrity {
        element(w, "podcast:integrity", &[("type", "sri"), ("value", sri)], "")?;
    }
    w.write_event(Event::End(BytesEnd::new("podcast:alternateEnclosure"))).map_err(err)
}

fn values(w: &mut W, list: &[Value]) -> Result<(), FeedError> {
    for v in list {
        let mut el = BytesStart::new("podcast:value");
        el.push_attribute(("type", v.kind.as_str()));
        el.push_attribute(("method", v.method.as_str()));
        if let Some(s) = &v.suggested {
            el.push_attribute(("suggested", s.as_str()));
        }
        w.write_event(Event::Start(el)).map_err(err)?;
        for r in &v.recipients {
            let split = r.split.to_string();
            let mut attrs = Vec::new();
            if let Some(n) = &r.name {
                attrs.push(("name", n.as_str()));
            }
            if let Some(k) = &r.custom_key {
                attrs.push(("customKey", k.as_str()));
            }
            if let Some(v) = &r.custom_value {
                attrs.push(("customValue", v.as_str()));
            }
            attrs.push(("type", r.kind.as_str()));
            attrs.push(("address", r.address.as_str()));
            attrs.push(("split", &split));
            if r.fee {
                attrs.push(("fee", "true"));
            }
            element(w, "podcast:valueRecipient", &attrs, "")?;
        }
        w.write_event(Event::End(BytesEnd::new("podcast:value"))).map_err(err)?;
    }
    Ok(())
}

fn images(w: &mut W, list: &[Image]) -> Result<(), FeedError> {
    if !list.is_empty() && list.iter().all(|i| i.width.is_some()) {
        let srcset: Vec<String> =
            list.iter().filter_map(|i| i.width.map(|wd| format!("{} {wd}w", i.href.as_str()))).collect();
        element(w, "podcast:images", &[("srcset", &srcset.join(", "))], "")?;
    }
    for i in list {
        let ratio = i.aspect_ratio.map(|a| format!("{}/{}", a.0, a.1));
        let width = i.width.map(|x| x.to_string());
        let height = i.height.map(|x| x.to_string());
        let mut attrs = vec![("href", i.href.as_str())];
        if let Some(a) = &i.alt {
            attrs.push(("alt", a.as_str()));
        }
        if let Some(r) = &ratio {
            attrs.push(("aspect-ratio", r));
        }
        if let Some(x) = &width {
            attrs.push(("width", x));
        }
        if let Some(x) = &height {
            attrs.push(("height", x));
        }
        if let Some(m) = &i.mime {
            attrs.push(("type", m.as_str()));
        }
        if let Some(p) = &i.purpose {
            attrs.push(("purpose", p.as_str()));
        }
        element(w, "podcast:image", &attrs, "")?;
    }
    Ok(())
}

fn social(w: &mut W, list: &[SocialInteract]) -> Result<(), FeedError> {
    for s in list {
        let priority = s.priority.map(|p| p.to_string());
        let mut attrs = Vec::new();
        if let Some(p) = &priority {
            attrs.push(("priority", p.as_str()));
        }
        attrs.push(("protocol", s.protocol.as_str()));
        if let Some(u) = &s.uri {
            attrs.push(("uri", u.as_str()));
        }
        if let Some(a) = &s.account_id {
            attrs.push(("accountId", a.as_str()));
        }
        if let Some(a) = &s.account_url {
            attrs.push(("accountUrl", a.as_str()));
        }
        element(w, "podcast:socialInteract", &attrs, "")?;
    }
    Ok(())
}

fn txts(w: &mut W, list: &[Txt]) -> Result<(), FeedError> {
    for t in list {
        let attrs: Vec<(&str, &str)> = t.purpose.iter().map(|p| ("purpose", p.as_str())).collect();
        element(w, "podcast:txt", &attrs, t.text.as_str())?;
    }
    Ok(())
}

fn remote_item(w: &mut W, r: &RemoteItem) -> Result<(), FeedError> {
    let guid = r.feed_guid.to_string();
    let mut attrs = vec![("feedGuid", guid.as_str())];
    if let Some(u) = &r.feed_url {
        attrs.push(("feedUrl", u.as_str()));
    }
    if let Some(i) = &r.item_guid {
        attrs.push(("itemGuid", i.as_str()));
    }
    if let Some(m) = r.medium {
        attrs.push(("medium", m.as_str()));
    }
    element(w, "podcast:remoteItem", &attrs, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: impl FnOnce(&mut W) -> Result<(), FeedError>) -> String {
        let mut w = quick_xml::Writer::new(std::io::Cursor::new(Vec::new()));
        f(&mut w).unwrap();
        String::from_utf8(w.into_inner().into_inner()).unwrap()
    }

    const CHANNEL: &str = r#"
[[funding]]
url = "https://e.example/support"
text = "Support & <share>"
[[person]]
name = "Ann"
role = "guest"
[[location]]
name = "Sydney"
geo = "geo:-33.8688,151.2093"
[[trailer]]
title = "Trailer"
url = "https://e.example/t.mp3"
date = 2016-09-01T09:00:00+10:00
length = 12
type = "audio/mpeg"
[license]
name = "CC-BY-4.0"
[[value]]
type = "lightning"
method = "keysend"
suggested = "0.00000005000"
[[value.recipient]]
name = "Host"
type = "node"
address = "02aa"
split = 95
[[value.recipient]]
name = "App"
type = "node"
address = "03bb"
split = 5
fee = true
[[image]]
href = "https://e.example/wide.png"
aspect_ratio = "16/9"
width = 1920
purpose = "social"
[[social_interact]]
protocol = "disabled"
[[block]]
id = "google"
[[txt]]
purpose = "verify"
text = "abc"
[[podroll]]
feed_guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
[update_frequency]
text = "Weekly"
rrule = "FREQ=WEEKLY"
[publisher]
feed_guid = "003af0a0-6a45-55cf-b765-68e3d349551a"
feed_url = "https://e.example/publisher.xml"
"#;

    #[test]
    fn channel_tags_are_written_in_spec_order_and_escaped() {
        let t: ChannelTags = toml::from_str(CHANNEL).unwrap();
        let xml = render(|w| write_channel(w, &t));
        let want = [
            r#"<podcast:funding url="https://e.example/support">Support &amp; &lt;share&gt;</podcast:funding>"#,
            r#"<podcast:person role="guest" group="cast">Ann</podcast:person>"#,
            r#"<podcast:location geo="geo:-33.8688,151.2093">Sydney</podcast:location>"#,
            r#"<podcast:trailer pubdate="Thu, 1 Sep 2016 09:00:00 +1000" url="https://e.example/t.mp3" length="12" type="audio/mpeg">Trailer</podcast:trailer>"#,
            r#"<podcast:license>cc-by-4.0</podcast:license>"#,
            r#"<podcast:value type="lightning" method="keysend" suggested="0.00000005000"><podcast:valueRecipient name="Host" type="node" address="02aa" split="95"/><podcast:valueRecipient name="App" type="node" address="03bb" split="5" fee="true"/></podcast:value>"#,
            r#"<podcast:images srcset="https://e.example/wide.png 1920w"/>"#,
            r#"<podcast:image href="https://e.example/wide.png" aspect-ratio="16/9" width="1920" purpose="social"/>"#,
            r#"<podcast:socialInteract protocol="disabled"/>"#,
            r#"<podcast:block id="google">yes</podcast:block>"#,
            r#"<podcast:txt purpose="verify">abc</podcast:txt>"#,
            r#"<podcast:podroll><podcast:remoteItem feedGuid="917393e3-1b1e-5cef-ace4-edaa54e1f810"/></podcast:podroll>"#,
            r#"<podcast:updateFrequency rrule="FREQ=WEEKLY">Weekly</podcast:updateFrequency>"#,
            r#"<podcast:publisher><podcast:remoteItem feedGuid="003af0a0-6a45-55cf-b765-68e3d349551a" feedUrl="https://e.example/publisher.xml" medium="publisher"/></podcast:publisher>"#,
        ];
        assert_eq!(xml, want.concat());
    }

    #[test]
    fn item_tags_with_an_alternate_enclosure() {
        let t: ItemTags = toml::from_str(
            "[[soundbite]]\nstart = 73.5\nduration = 60\ntitle = \"Cars\"\n[[person]]\nname = \"Lars\"\nrole = \"guest\"\n",
        )
        .unwrap();
        let alt = AlternateEnclosure {
            mime: "audio/opus".into(),
            length: 10,
            bitrate: Some(24_000),
            lang: None,
            title: Some("Opus".into()),
            rel: None,
            codecs: Some("opus".into()),
            default: false,
            url: "https://e.example/a.opus".into(),
            integrity: Some("sha384-xyz".into()),
        };
        let xml = render(|w| write_item(w, &t, &[alt]));
        assert_eq!(
            xml,
            concat!(
                r#"<podcast:soundbite startTime="73.5" duration="60">Cars</podcast:soundbite>"#,
                r#"<podcast:person role="guest" group="cast">Lars</podcast:person>"#,
                r#"<podcast:alternateEnclosure type="audio/opus" length="10" bitrate="24000" title="Opus" codecs="opus">"#,
                r#"<podcast:source uri="https://e.example/a.opus"/><podcast:integrity type="sri" value="sha384-xyz"/>"#,
                r#"</podcast:alternateEnclosure>"#
            )
        );
    }
}
