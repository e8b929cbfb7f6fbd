//! The rules of the Podcasting 2.0 tags beyond guid/locked/chapters/transcript: where each may
//! appear (channel or item) and how often, its required attributes, its allowed values, `https`
//! for hypertext URLs and the spec's 128-character (4,000 for `txt`) limits.
//!
//! Values are judged by the same parsers `podcast.toml` is read with
//! ([`crate::sources::podcast_ns`]), so what podmark accepts and what it checks cannot differ.
//! A broken rule the spec states with "must"/"required" is an error; a length over the spec's
//! "please do not exceed", an unknown slug in an open list, or a missing recommended attribute
//! is a warning.

use super::rules::{AlternateFacts, Located, Out, check_rfc2822};
use super::xml::{Attr, Element};
use crate::diagnostic::quote;
use crate::feed::ns;
use crate::sources::podcast_ns::{
    GeoUri, HttpsUrl, LocationRel, Medium, OsmId, PersonGroup, PersonRole, RRule, RecipientType, ServiceSlug,
    SocialProtocol, ValueMethod, ValueType,
};

fn is_podcast(e: &Element) -> bool {
    matches!(e.ns.as_deref(), Some(ns::PODCAST | super::rules::PODCAST_ALIAS))
}

fn tags<'a>(parent: &'a Element, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    parent.children.iter().filter(move |c| is_podcast(c) && c.local == local)
}

fn text_at(e: &Element) -> usize {
    if e.text.trim().is_empty() { e.offset } else { e.text_offset }
}

/// Tags only a `<channel>` may hold, and tags only an `<item>` may hold.
const CHANNEL_ONLY: &[&str] =
    &["trailer", "block", "podroll", "updateFrequency", "publisher", "guid", "locked", "medium"];
const ITEM_ONLY: &[&str] = &["soundbite", "alternateEnclosure", "chapters", "transcript", "season", "episode"];
/// Tags at most one of which a parent may hold.
const SINGLE: &[&str] = &["license", "podroll", "updateFrequency", "publisher"];

/// Checks the channel's Podcasting 2.0 tags (not `guid`/`locked`, checked with the channel).
pub(crate) fn check_channel(c: &Element, out: &mut Out<'_>) {
    placement(c, "channel", ITEM_ONLY, out);
    common(c, out);
    for t in tags(c, "trailer") {
        trailer(t, out);
    }
    for b in tags(c, "block") {
        let v = b.text.trim();
        if v != "yes" && v != "no" {
            out.error(
                "podcast-block",
                text_at(b),
                format!("podcast:block is {}; it must be \"yes\" or \"no\"", quote(v)),
            );
        }
        if let Some(id) = b.attr("id")
            && let Err(e) = ServiceSlug::new(&id.value)
        {
            out.warning("podcast-block", id.offset, format!("podcast:block id: {e}"));
        }
    }
    for p in tags(c, "podroll") {
        let items: Vec<&Element> = tags(p, "remoteItem").collect();
        if items.is_empty() {
            out.error(
                "podcast-podroll",
                p.offset,
                "podcast:podroll holds no podcast:remoteItem; it needs at least one",
            );
        }
        for r in items {
            remote_item(r, out);
        }
    }
    for u in tags(c, "updateFrequency") {
        update_frequency(u, out);
    }
    for p in tags(c, "publisher") {
        let items: Vec<&Element> = tags(p, "remoteItem").collect();
        if items.len() != 1 {
            out.error(
                "podcast-publisher",
                p.offset,
                format!(
                    "podcast:publisher holds {} podcast:remoteItem elements; it must hold exactly one",
                    items.len()
                ),
            );
        }
        for r in items {
            remote_item(r, out);
            if r.attr("medium").is_none_or(|m| m.value != "publisher") {
                out.error(
                    "podcast-publisher",
                    r.offset,
                    "the podcast:remoteItem in podcast:publisher must have medium=\"publisher\"",
                );
            }
        }
    }
}

/// Checks an item's Podcasting 2.0 tags (not `chapters`/`transcript`, checked with the item);
/// returns its alternate enclosures for the file checks.
pub(crate) fn check_item(item: &Element, out: &mut Out<'_>) -> Vec<AlternateFacts> {
    placement(item, "item", CHANNEL_ONLY, out);
    common(item, out);
    for s in tags(item, "soundbite") {
        for name in ["startTime", "duration"] {
            match required(s, name, out) {
                Some(a) if a.value.trim().parse::<f64>().ok().is_none_or(|x| !x.is_finite() || x < 0.0) => out.error(
                    "podcast-soundbite",
                    a.offset,
                    format!("podcast:soundbite {name} is {}; it must be seconds such as 73.5", quote(&a.value)),
                ),
                _ => {}
            }
        }
        limit(s, 128, out);
    }
    tags(item, "alternateEnclosure").map(|a| alternate_enclosure(a, out)).collect()
}

/// An alternate enclosure published next to the feed: the file exists, has the `length`, and
/// hashes to the `integrity` SRI value.
pub(super) fn check_local_alternates(map: &super::Mapper<'_>, list: &[AlternateFacts], out: &mut Out<'_>) {
    use base64::Engine as _;
    use sha2::Digest as _;
    for a in list {
        let Some(src) = &a.source else { continue };
        let Some(file) = map.file(&src.value) else { continue };
        let shown = map.show(&file);
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                out.error(
                    "missing-file",
                    src.offset,
                    format!("podcast:source {} should be the file {shown}: {e}", quote(&src.value)),
                );
                continue;
            }
        };
        if let Some(len) = &a.length
            && len.value != bytes.len() as u64
        {
            out.error(
                "podcast-alternate-enclosure",
                len.offset,
                format!(
                    "alternateEnclosure length \"{}\" differs from the size of {shown}: {} bytes",
                    len.value,
                    bytes.len()
                ),
            );
        }
        if let Some(sri) = &a.sri {
            let b64 = base64::engine::general_purpose::STANDARD;
            let actual = match sri.value.split_once('-').map(|(alg, _)| alg) {
                Some("sha256") => format!("sha256-{}", b64.encode(sha2::Sha256::digest(&bytes))),
                Some("sha384") => format!("sha384-{}", b64.encode(sha2::Sha384::digest(&bytes))),
                Some("sha512") => format!("sha512-{}", b64.encode(sha2::Sha512::digest(&bytes))),
                _ => continue,
            };
            if actual != sri.value.trim() {
                out.error(
                    "podcast-integrity",
                    sri.offset,
                    format!(
                        "podcast:integrity {} does not match {shown}, which hashes to {}",
                        quote(&sri.value),
                        quote(&actual)
                    ),
                );
            }
        }
    }
}

/// Tags under both parents: funding, person, location, license, value, image(s), socialInteract, txt.
fn common(parent: &Element, out: &mut Out<'_>) {
    for name in SINGLE {
        if let Some(second) = tags(parent, name).nth(1) {
            out.error(
                "podcast-count",
                second.offset,
                format!("a second podcast:{name} in <{}>; the spec allows one", parent.local),
            );
        }
    }
    for f in tags(parent, "funding") {
        if let Some(u) = required(f, "url", out) {
            https(f, u, out);
        }
        non_empty(f, out);
        limit(f, 128, out);
    }
    for p in tags(parent, "person") {
        person(p, out);
    }
    for l in tags(parent, "location") {
        location(l, out);
    }
    for l in tags(parent, "license") {
        non_empty(l, out);
        limit(l, 128, out);
        match l.attr("url") {
            Some(u) => https(l, u, out),
            None if l.text.trim().chars().any(char::is_uppercase) => out.warning(
                "podcast-license",
                text_at(l),
                format!(
                    "podcast:license {} has no url: a well-known licence is its lower-case identifier (such as cc-by-4.0), a custom one needs url=\"…\"",
                    quote(l.text.trim())
                ),
            ),
            None => {}
        }
    }
    for v in tags(parent, "value") {
        value(v, out);
    }
    for i in tags(parent, "image") {
        image(i, out);
    }
    for i in tags(parent, "images") {
        required(i, "srcset", out);
    }
    for s in tags(parent, "socialInteract") {
        social_interact(s, out);
    }
    for t in tags(parent, "txt") {
        non_empty(t, out);
        limit(t, 4000, out);
        if let Some(p) = t.attr("purpose") {
            attr_limit(t, p, 128, out);
        }
    }
}

fn placement(parent: &Element, here: &str, wrong: &[&str], out: &mut Out<'_>) {
    for c in parent.children.iter().filter(|c| is_podcast(c) && wrong.contains(&c.local.as_str())) {
        let belongs = if here == "channel" { "<item>" } else { "<channel>" };
        out.error(
            "podcast-placement",
            c.offset,
            format!("podcast:{} belongs in {belongs}, not in <{here}>; apps ignore it here", c.local),
        );
    }
}

fn required<'a>(e: &'a Element, name: &str, out: &mut Out<'_>) -> Option<&'a Attr> {
    let a = e.attr(name);
    if a.is_none() {
        out.error(
            "podcast-attribute",
            e.offset,
            format!("podcast:{} has no {name}=\"…\", which the spec requires", e.local),
        );
    }
    a
}

fn https(e: &Element, a: &Attr, out: &mut Out<'_>) {
    if let Err(msg) = HttpsUrl::new(a.value.trim()) {
        out.error("podcast-https", a.offset, format!("podcast:{} {}: {msg}", e.local, a.name));
    }
}

fn non_empty(e: &Element, out: &mut Out<'_>) {
    if e.text.trim().is_empty() {
        out.error("podcast-empty", e.offset, format!("podcast:{} is empty; the spec requires a value", e.local));
    }
}

fn limit(e: &Element, max: usize, out: &mut Out<'_>) {
    let n = e.text.trim().chars().count();
    if n > max {
        out.warning(
            "podcast-length",
            text_at(e),
            format!("podcast:{} is {n} characters; the spec asks for at most {max} (aggregators may cut it)", e.local),
        );
    }
}

fn attr_limit(e: &Element, a: &Attr, max: usize, out: &mut Out<'_>) {
    let n = a.value.chars().count();
    if n > max {
        out.warning(
            "podcast-length",
            a.offset,
            format!("podcast:{} {} is {n} characters; the spec asks for at most {max}", e.local, a.name),
        );
    }
}

fn integer(e: &Element, name: &str, out: &mut Out<'_>) {
    if let Some(a) = e.attr(name)
        && a.value.trim().parse::<u64>().is_err()
    {
        out.error(
            "podcast-number",
            a.offset,
            format!("podcast:{} {name} is {}; it must be a whole number", e.local, quote(&a.value)),
        );
    }
}

fn boolean(e: &Element, name: &str, out: &mut Out<'_>) {
    if let Some(a) = e.attr(name)
        && a.value != "true"
        && a.value != "false"
    {
        out.error(
            "podcast-boolean",
            a.offset,
            format!("podcast:{} {name} is {}; it must be \"true\" or \"false\"", e.local, quote(&a.value)),
        );
    }
}

/// An attribute from a closed list: an error when it is not in it.
fn one_of<T>(e: &Element, name: &str, parse: fn(&str) -> Result<T, String>, out: &mut Out<'_>) {
    if let Some(a) = e.attr(name)
        && let Err(msg) = parse(&a.value)
    {
        out.error("podcast-value", a.offset, format!("podcast:{} {name}: {msg}", e.local));
    }
}

/// An attribute from an open list (new slugs appear): a warning when podmark does not know it.
fn known<T>(e: &Element, name: &str, parse: fn(&str) -> Result<T, String>, out: &mut Out<'_>) {
    if let Some(a) = e.attr(name)
        && let Err(msg) = parse(&a.value)
    {
        out.warning("podcast-value", a.offset, format!("podcast:{} {name}: {msg}", e.local));
    }
}

fn person(p: &Element, out: &mut Out<'_>) {
    non_empty(p, out);
    limit(p, 128, out);
    known(p, "role", PersonRole::parse, out);
    known(p, "group", PersonGroup::parse, out);
    for name in ["img", "href"] {
        if let Some(a) = p.attr(name) {
            https(p, a, out);
        }
    }
}

fn location(l: &Element, out: &mut Out<'_>) {
    non_empty(l, out);
    limit(l, 128, out);
    one_of(l, "rel", LocationRel::parse, out);
    one_of(l, "geo", GeoUri::new, out);
    one_of(l, "osm", OsmId::new, out);
    if let Some(c) = l.attr("country")
        && !(c.value.len() == 2 && c.value.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        out.error(
            "podcast-value",
            c.offset,
            format!(
                "podcast:location country is {}; it must be a two-letter ISO 3166-1 code such as \"au\"",
                quote(&c.value)
            ),
        );
    }
}

fn trailer(t: &Element, out: &mut Out<'_>) {
    if let Some(u) = required(t, "url", out) {
        https(t, u, out);
    }
    if let Some(d) = required(t, "pubdate", out)
        && let Err(e) = check_rfc2822(d.value.trim())
    {
        out.error("podcast-trailer", d.offset, format!("podcast:trailer pubdate {}: {e}", quote(&d.value)));
    }
    integer(t, "length", out);
    integer(t, "season", out);
    non_empty(t, out);
    limit(t, 128, out);
}

fn alternate_enclosure(a: &Element, out: &mut Out<'_>) -> AlternateFacts {
    let mut facts = AlternateFacts { offset: a.offset, ..AlternateFacts::default() };
    facts.length =
        a.attr("length").and_then(|l| l.value.trim().parse().ok().map(|value| Located { value, offset: l.offset }));
    if let Some(u) = tags(a, "source").find_map(|s| s.attr("uri")) {
        facts.source = Some(Located { value: u.value.clone(), offset: u.offset });
    }
    let sri = tags(a, "integrity").next().filter(|i| i.attr("type").is_some_and(|t| t.value == "sri"));
    if let Some(v) = sri.and_then(|i| i.attr("value")) {
        facts.sri = Some(Located { value: v.value.clone(), offset: v.offset });
    }
    required(a, "type", out);
    for n in ["length", "bitrate", "height"] {
        integer(a, n, out);
    }
    boolean(a, "default", out);
    if let Some(t) = a.attr("title") {
        attr_limit(a, t, 32, out);
    }
    let sources: Vec<&Element> = tags(a, "source").collect();
    if sources.is_empty() {
        out.error(
            "podcast-alternate-enclosure",
            a.offset,
            "podcast:alternateEnclosure holds no podcast:source; it needs at least one with a uri",
        );
    }
    for s in sources {
        if let Some(u) = required(s, "uri", out)
            && u.value.starts_with("http://")
        {
            https(s, u, out);
        }
    }
    let integrity: Vec<&Element> = tags(a, "integrity").collect();
    if let Some(second) = integrity.get(1) {
        out.error(
            "podcast-count",
            second.offset,
            "a second podcast:integrity; the spec allows one per alternateEnclosure",
        );
    }
    for i in integrity {
        if let Some(t) = required(i, "type", out)
            && t.value != "sri"
            && t.value != "pgp-signature"
        {
            out.error(
                "podcast-value",
                t.offset,
                format!("podcast:integrity type is {}; it must be \"sri\" or \"pgp-signature\"", quote(&t.value)),
            );
        }
        if let Some(v) = required(i, "value", out)
            && i.attr("type").is_some_and(|t| t.value == "sri")
            && !["sha256-", "sha384-", "sha512-"].iter().any(|p| v.value.starts_with(p))
        {
            out.error(
                "podcast-value",
                v.offset,
                format!(
                    "podcast:integrity value {} is not an SRI hash (sha256-, sha384- or sha512- then base64)",
                    quote(&v.value)
                ),
            );
        }
    }
    facts
}

fn value(v: &Element, out: &mut Out<'_>) {
    if required(v, "type", out).is_some() {
        known(v, "type", ValueType::parse, out);
    }
    if required(v, "method", out).is_some() {
        known(v, "method", ValueMethod::parse, out);
    }
    one_of(v, "suggested", crate::sources::podcast_ns::Decimal::new, out);
    let recipients: Vec<&Element> = tags(v, "valueRecipient").collect();
    if recipients.is_empty() {
        out.error(
            "podcast-value-recipient",
            v.offset,
            "podcast:value holds no podcast:valueRecipient; it needs at least one",
        );
    }
    for r in recipients {
        if required(r, "type", out).is_some() {
            known(r, "type", RecipientType::parse, out);
        }
        if let Some(a) = required(r, "address", out)
            && a.value.trim().is_empty()
        {
            out.error("podcast-value-recipient", a.offset, "podcast:valueRecipient address is empty");
        }
        if required(r, "split", out).is_some() {
            integer(r, "split", out);
        }
        boolean(r, "fee", out);
    }
}

fn image(i: &Element, out: &mut Out<'_>) {
    if let Some(h) = required(i, "href", out) {
        https(i, h, out);
    }
    integer(i, "width", out);
    integer(i, "height", out);
    if let Some(r) = i.attr("aspect-ratio") {
        let ok = r.value.split_once('/').is_some_and(|(a, b)| {
            a.trim().parse::<f64>().is_ok_and(|x| x > 0.0) && b.trim().parse::<f64>().is_ok_and(|x| x > 0.0)
        });
        if !ok {
            out.error(
                "podcast-value",
                r.offset,
                format!("podcast:image aspect-ratio is {}; write it like 16/9", quote(&r.value)),
            );
        }
    }
    if let Some(p) = i.attr("purpose") {
        attr_limit(i, p, 128, out);
    }
}

fn social_interact(s: &Element, out: &mut Out<'_>) {
    let Some(p) = required(s, "protocol", out) else { return };
    known(s, "protocol", SocialProtocol::parse, out);
    match (p.value.as_str(), s.attr("uri")) {
        ("disabled", _) => {}
        (_, None) => {
            required(s, "uri", out);
        }
        (_, Some(u)) if u.value.starts_with("http://") => https(s, u, out),
        _ => {}
    }
    if let Some(a) = s.attr("accountUrl") {
        https(s, a, out);
    }
    integer(s, "priority", out);
}

fn remote_item(r: &Element, out: &mut Out<'_>) {
    if let Some(g) = required(r, "feedGuid", out)
        && uuid::Uuid::parse_str(g.value.trim()).is_err()
    {
        out.warning(
            "podcast-remote-item",
            g.offset,
            format!("podcast:remoteItem feedGuid {} is not a UUID (a feed's podcast:guid is one)", quote(&g.value)),
        );
    }
    if let Some(u) = r.attr("feedUrl") {
        https(r, u, out);
    }
    one_of(r, "medium", Medium::parse, out);
}

fn update_frequency(u: &Element, out: &mut Out<'_>) {
    non_empty(u, out);
    limit(u, 128, out);
    boolean(u, "complete", out);
    if let Some(r) = u.attr("rrule") {
        match RRule::new(&r.value) {
            Err(msg) => out.error("podcast-value", r.offset, format!("podcast:updateFrequency rrule: {msg}")),
            Ok(rule) if rule.has_count() && u.attr("dtstart").is_none() => out.error(
                "podcast-attribute",
                r.offset,
                "podcast:updateFrequency rrule has COUNT=, so the spec requires a dtstart",
            ),
            Ok(_) => {}
        }
    }
    if let Some(d) = u.attr("dtstart") {
        let v = d.value.trim();
        let ok =
            chrono::DateTime::parse_from_rfc3339(v).is_ok() || chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok();
        if !ok {
            out.error(
                "podcast-value",
                d.offset,
                format!("podcast:updateFrequency dtstart is {}; it must be an ISO 8601 date or date-time", quote(v)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::check_feed_text;
    use crate::diagnostic::{Diagnostic, Location, Severity};

    /// A feed whose channel holds `channel` and whose one item holds `item`, all else valid.
    fn feed(channel: &str, item: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>T</title><link>https://e.example/</link><description>D</description><language>en</language>
<atom:link href="https://e.example/feed.xml" rel="self" type="application/rss+xml"/>
<itunes:image href="https://e.example/c.png"/><itunes:category text="Technology"/><itunes:explicit>false</itunes:explicit>
{channel}
<item><title>A</title><guid isPermaLink="false">g</guid><pubDate>Wed, 14 Sep 2016 09:00:00 +1000</pubDate><enclosure url="https://e.example/a.mp3" length="10" type="audio/mpeg"/><itunes:duration>60</itunes:duration>
{item}
</item>
</channel>
</rss>
"#
        )
    }

    /// The podcast-namespace diagnostics (code, severity, message) of a feed.
    fn podcast_diags(channel: &str, item: &str) -> Vec<Diagnostic> {
        check_feed_text(&feed(channel, item)).into_iter().filter(|d| d.code.starts_with("podcast-")).collect()
    }

    fn one(channel: &str, item: &str) -> Diagnostic {
        let d = podcast_diags(channel, item);
        assert_eq!(d.len(), 1, "{d:#?}");
        d.into_iter().next().unwrap()
    }

    #[test]
    fn a_feed_with_every_tag_podmark_writes_passes() {
        let show = crate::sources::show::Show::parse(include_str!("../../episodes/podcast.toml")).unwrap();
        let mut w = quick_xml::Writer::new(std::io::Cursor::new(Vec::new()));
        crate::feed::podcast_ns::write_channel(&mut w, &show.podcast).unwrap();
        let channel = String::from_utf8(w.into_inner().into_inner()).unwrap();
        assert!(channel.matches("<podcast:").count() > 12, "{channel}");
        assert!(podcast_diags(&channel, "").is_empty(), "{:#?}", podcast_diags(&channel, ""));
    }

    #[test]
    fn required_attributes_are_errors_at_the_element() {
        let d = one(r#"<podcast:funding>Give</podcast:funding>"#, "");
        assert_eq!((d.severity, d.code), (Severity::Error, "podcast-attribute"));
        assert_eq!(d.message, "podcast:funding has no url=\"…\", which the spec requires");
        assert_eq!(d.location, Some(Location::Text { line: 7, column: 1 }));
        let d = one("", r#"<podcast:soundbite duration="30"/>"#);
        assert!(d.message.contains("podcast:soundbite has no startTime"), "{}", d.message);
        let d = one(r#"<podcast:trailer url="https://e.example/t.mp3">T</podcast:trailer>"#, "");
        assert!(d.message.contains("has no pubdate"), "{}", d.message);
    }

    #[test]
    fn hypertext_urls_must_be_https() {
        let d = one(r#"<podcast:funding url="http://e.example/give">Give</podcast:funding>"#, "");
        assert_eq!((d.severity, d.code), (Severity::Error, "podcast-https"));
        assert!(
            d.message.starts_with("podcast:funding url: \"http://e.example/give\" is not an https:// URL"),
            "{}",
            d.message
        );
        assert_eq!(d.location, Some(Location::Text { line: 7, column: 23 }));
        one(r#"<podcast:person img="http://e.example/p.jpg">Ann</podcast:person>"#, "");
        one(r#"<podcast:image href="http://e.example/w.png"/>"#, "");
        // A source may be any scheme (IPFS, magnet) but not plain http.
        let alt = |uri: &str| {
            format!(
                r#"<podcast:alternateEnclosure type="audio/opus" length="1"><podcast:source uri="{uri}"/></podcast:alternateEnclosure>"#
            )
        };
        assert!(podcast_diags("", &alt("ipfs://QmX")).is_empty());
        assert_eq!(one("", &alt("http://e.example/a.opus")).code, "podcast-https");
    }

    #[test]
    fn values_outside_the_spec_lists_are_reported() {
        let d = one(r#"<podcast:location rel="home">Here</podcast:location>"#, "");
        assert!(
            d.message.contains("\"home\" is not a location rel; expected one of: subject, creator"),
            "{}",
            d.message
        );
        let d = one(r#"<podcast:block>maybe</podcast:block>"#, "");
        assert_eq!(d.message, "podcast:block is \"maybe\"; it must be \"yes\" or \"no\"");
        let d = one(r#"<podcast:person role="boss">Ann</podcast:person>"#, "");
        assert_eq!(d.severity, Severity::Warning, "the taxonomy grows: an unknown role is a warning");
        let d = one(r#"<podcast:updateFrequency rrule="FREQ=WEEKLY;COUNT=4">Four weeks</podcast:updateFrequency>"#, "");
        assert!(d.message.contains("COUNT=, so the spec requires a dtstart"), "{}", d.message);
        let d = one("", r#"<podcast:soundbite startTime="soon" duration="30"/>"#);
        assert!(d.message.contains("startTime is \"soon\""), "{}", d.message);
        let d = one(
            "",
            r#"<podcast:alternateEnclosure type="audio/opus"><podcast:source uri="https://e.example/a.opus"/><podcast:integrity type="md5" value="x"/></podcast:alternateEnclosure>"#,
        );
        assert!(d.message.contains("it must be \"sri\" or \"pgp-signature\""), "{}", d.message);
    }

    #[test]
    fn placement_and_cardinality() {
        let d = one(
            "",
            r#"<podcast:trailer url="https://e.example/t.mp3" pubdate="Wed, 14 Sep 2016 09:00:00 +1000">T</podcast:trailer>"#,
        );
        assert_eq!(d.message, "podcast:trailer belongs in <channel>, not in <item>; apps ignore it here");
        let d = one(r#"<podcast:soundbite startTime="1" duration="20"/>"#, "");
        assert_eq!(d.code, "podcast-placement");
        let d = one(r#"<podcast:license>cc-by-4.0</podcast:license><podcast:license>mit</podcast:license>"#, "");
        assert_eq!(d.message, "a second podcast:license in <channel>; the spec allows one");
        let d = one(r#"<podcast:podroll></podcast:podroll>"#, "");
        assert!(d.message.contains("needs at least one"), "{}", d.message);
        let d = one(
            r#"<podcast:publisher><podcast:remoteItem feedGuid="003af0a0-6a45-55cf-b765-68e3d349551a"/></podcast:publisher>"#,
            "",
        );
        assert!(d.message.contains("must have medium=\"publisher\""), "{}", d.message);
        let d = one(r#"<podcast:value type="lightning" method="keysend"></podcast:value>"#, "");
        assert!(d.message.contains("holds no podcast:valueRecipient"), "{}", d.message);
    }

    #[test]
    fn a_license_without_url_is_a_lower_case_identifier() {
        assert!(podcast_diags("<podcast:license>cc-by-4.0</podcast:license>", "").is_empty());
        let d = one("<podcast:license>My-License</podcast:license>", "");
        assert_eq!((d.severity, d.code), (Severity::Warning, "podcast-license"));
        assert!(d.message.contains("a custom one needs url"), "{}", d.message);
        assert!(
            podcast_diags(r#"<podcast:license url="https://e.example/l">My-License</podcast:license>"#, "").is_empty()
        );
    }

    #[test]
    fn the_spec_length_limits_are_warnings() {
        let long = "x".repeat(129);
        let d = one(&format!(r#"<podcast:funding url="https://e.example/">{long}</podcast:funding>"#), "");
        assert_eq!((d.severity, d.code), (Severity::Warning, "podcast-length"));
        assert_eq!(
            d.message,
            "podcast:funding is 129 characters; the spec asks for at most 128 (aggregators may cut it)"
        );
        assert!(podcast_diags(&format!("<podcast:txt>{}</podcast:txt>", "x".repeat(4000)), "").is_empty());
        assert_eq!(one(&format!("<podcast:txt>{}</podcast:txt>", "x".repeat(4001)), "").code, "podcast-length");
    }
}
