//! The Podcasting 2.0 tags a producer writes in `podcast.toml` (channel) and in an episode's front
//! matter (item), typed on the way in.
//!
//! Every value is checked while it is read, so a mistake is a TOML error at its line and column:
//! URLs must be `https:` (the namespace requires it for every hypertext URL), texts respect the
//! spec's 128-character limits, roles, groups, protocols and payment methods are enums, numbers are
//! numbers. The feed writer ([`crate::feed::podcast_ns`]) turns these into `podcast:*` elements.
//!
//! ```toml
//! [[person]]
//! name = "Justin Warren"
//! role = "host"
//! href = "https://eigencast.example.com/about"
//!
//! [[funding]]
//! url = "https://eigencast.example.com/support"
//! text = "Support the show"
//! ```

use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;

// ---------------------------------------------------------------------------------------------
// Value types

/// An absolute `https:` URL (the Podcasting 2.0 namespace requires `https` for hypertext URLs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// Checks `s`: `https://`, a host, no spaces or control characters.
    ///
    /// ```
    /// # use podmark::sources::podcast_ns::HttpsUrl;
    /// assert!(HttpsUrl::new("https://e.example/a").is_ok());
    /// assert!(HttpsUrl::new("http://e.example/a").is_err());
    /// ```
    pub fn new(s: &str) -> Result<HttpsUrl, String> {
        let host = s.strip_prefix("https://").map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        match host {
            None => Err(format!("{} is not an https:// URL (the Podcasting 2.0 namespace requires https)", q(s))),
            Some("") => Err(format!("{} has no host", q(s))),
            Some(_) if s.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                Err(format!("{} contains spaces or control characters; percent-encode them", q(s)))
            }
            Some(_) => Ok(HttpsUrl(s.to_owned())),
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for HttpsUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        HttpsUrl::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A non-empty text of at most `MAX` characters (the spec's limits: 128 for most node values,
/// 4,000 for `podcast:txt`), trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Checks `s`: not blank, at most `MAX` characters once trimmed.
    pub fn new(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let n = t.chars().count();
        if t.is_empty() {
            Err("must not be empty".to_owned())
        } else if n > MAX {
            Err(format!("{} is {n} characters; the Podcasting 2.0 namespace allows at most {MAX}", q(&short(t))))
        } else {
            Ok(Text(t.to_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Text::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn q(s: &str) -> String {
    crate::diagnostic::quote(s)
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s.to_owned() }
}

/// A time in seconds, as `podcast:soundbite` writes it: from a TOML number (`73.5`) or a timestamp
/// string (`"1:13.5"`), exact to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(Timestamp);

impl Seconds {
    /// From a [`Timestamp`] (rounded to the millisecond when written).
    pub fn new(t: Timestamp) -> Seconds {
        Seconds(t)
    }

    /// The time.
    pub fn timestamp(self) -> Timestamp {
        self.0
    }

    /// Decimal seconds, at most three decimals, no trailing zeros: `73.5`, `60`.
    pub fn decimal(self) -> String {
        let ms = self.0.as_millis();
        let (s, f) = (ms / 1000, ms % 1000);
        if f == 0 { s.to_string() } else { format!("{s}.{f:03}").trim_end_matches('0').to_owned() }
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.decimal())
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        let t = match Raw::deserialize(d)? {
            Raw::Int(n) => Timestamp::from_secs(n),
            Raw::Float(f) if f.is_finite() && f >= 0.0 => Timestamp::from_secs_f64(f),
            Raw::Float(f) => return Err(serde::de::Error::custom(format!("{f} is not a time in seconds"))),
            Raw::Text(s) => Some(s.parse::<Timestamp>().map_err(serde::de::Error::custom)?),
        };
        t.map(Seconds).ok_or_else(|| serde::de::Error::custom("the time is too large"))
    }
}

/// A decimal number kept as written (`0.00000005000`), for amounts where binary floats would change
/// the text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Decimal(String);

impl Decimal {
    /// Checks `s`: digits, at most one `.` with digits after it.
    pub fn new(s: &str) -> Result<Decimal, String> {
        let (int, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if digits(int) && frac.is_none_or(digits) {
            Ok(Decimal(s.to_owned()))
        } else {
            Err(format!("{} is not a decimal number such as 0.00000005", q(s)))
        }
    }

    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        let s = match Raw::deserialize(d)? {
            Raw::Int(n) => n.to_string(),
            Raw::Float(f) => format!("{f}"),
            Raw::Text(s) => s,
        };
        Decimal::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A date-time with a zone, written as a TOML offset date-time or an RFC 3339 string; printed as
/// RFC 2822 (`pubdate`) or RFC 3339 (`dtstart`) by the feed writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZonedDate(pub DateTime<FixedOffset>);

impl Serialize for ZonedDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for ZonedDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Toml(dt) => dt.to_string(),
            Raw::Text(s) => s,
        };
        DateTime::parse_from_rfc3339(&text).map(ZonedDate).map_err(|e| {
            serde::de::Error::custom(format!(
                "{} is not a date-time with zone ({e}); write it like 2016-09-14T09:00:00+10:00",
                q(&text)
            ))
        })
    }
}

/// Declares a string enum: its variants, their feed spellings and the error listing them.
macro_rules! slug_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The feed spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// Parses the feed spelling (ASCII case-insensitive).
            pub fn parse(s: &str) -> Result<$name, String> {
                $name::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
                    let all: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("{} is not a {}; expected one of: {}", q(s), $what, all.join(", "))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

slug_enum!(
    /// A `podcast:person` group, from the namespace's person taxonomy.
    PersonGroup, "person group" {
        /// Creative direction.
        CreativeDirection = "creative direction",
        /// Cast (the default).
        Cast = "cast",
        /// Writing.
        Writing = "writing",
        /// Audio production.
        AudioProduction = "audio production",
        /// Audio post-production.
        AudioPostProduction = "audio post-production",
        /// Administration.
        Administration = "administration",
        /// Visuals.
        Visuals = "visuals",
        /// Community.
        Community = "community",
        /// Miscellaneous.
        Misc = "misc.",
        /// Video production.
        VideoProduction = "video production",
        /// Video post-production.
        VideoPostProduction = "video post-production",
    }
);

/// The person taxonomy: each role with its group (roles are unique across groups).
const ROLES: &[(&str, PersonGroup)] = {
    use PersonGroup::*;
    &[
        ("director", CreativeDirection),
        ("assistant director", CreativeDirection),
        ("executive producer", CreativeDirection),
        ("senior producer", CreativeDirection),
        ("producer", CreativeDirection),
        ("associate producer", CreativeDirection),
        ("development producer", CreativeDirection),
        ("creative director", CreativeDirection),
        ("host", Cast),
        ("co-host", Cast),
        ("guest host", Cast),
        ("guest", Cast),
        ("voice actor", Cast),
        ("narrator", Cast),
        ("announcer", Cast),
        ("reporter", Cast),
        ("author", Writing),
        ("editorial director", Writing),
        ("co-writer", Writing),
        ("writer", Writing),
        ("songwriter", Writing),
        ("guest writer", Writing),
        ("story editor", Writing),
        ("managing editor", Writing),
        ("script editor", Writing),
        ("script coordinator", Writing),
        ("researcher", Writing),
        ("editor", Writing),
        ("fact checker", Writing),
        ("translator", Writing),
        ("transcriber", Writing),
        ("logger", Writing),
        ("studio coordinator", AudioProduction),
        ("technical director", AudioProduction),
        ("technical manager", AudioProduction),
        ("audio engineer", AudioProduction),
        ("remote recording engineer", AudioProduction),
        ("post production engineer", AudioPostProduction),
        ("audio editor", AudioPostProduction),
        ("sound designer", AudioPostProduction),
        ("foley artist", AudioPostProduction),
        ("composer", AudioPostProduction),
        ("theme music", AudioPostProduction),
        ("music production", AudioPostProduction),
        ("music contributor", AudioPostProduction),
        ("production coordinator", Administration),
        ("booking coordinator", Administration),
        ("production assistant", Administration),
        ("content manager", Administration),
        ("marketing manager", Administration),
        ("sales representative", Administration),
        ("sales manager", Administration),
        ("graphic designer", Visuals),
        ("cover art designer", Visuals),
        ("social media manager", Community),
        ("consultant", Misc),
        ("intern", Misc),
        ("camera operator", VideoProduction),
        ("lighting designer", VideoProduction),
        ("camera grip", VideoProduction),
        ("assistant camera", VideoProduction),
        ("editor", VideoPostProduction),
        ("assistant editor", VideoPostProduction),
    ]
};

/// A `podcast:person` role from the namespace's taxonomy (`host`, `guest`, `producer`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonRole(&'static str);

impl PersonRole {
    /// The default role.
    pub const HOST: PersonRole = PersonRole("host");

    /// Parses a role (ASCII case-insensitive).
    pub fn parse(s: &str) -> Result<PersonRole, String> {
        let want = s.trim().to_ascii_lowercase();
        ROLES.iter().find(|(r, _)| *r == want).map(|(r, _)| PersonRole(r)).ok_or_else(|| {
            format!(
                "{} is not a role of the Podcasting 2.0 person taxonomy (such as host, co-host, guest, producer, editor, composer; see https://github.com/Podcastindex-org/podcast-namespace/blob/main/taxonomy.json)",
                q(s)
            )
        })
    }

    /// The feed spelling.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The groups this role belongs to (`editor` is in two).
    pub fn groups(self) -> impl Iterator<Item = PersonGroup> {
        ROLES.iter().filter(move |(r, _)| *r == self.0).map(|(_, g)| *g)
    }
}

impl Serialize for PersonRole {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for PersonRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        PersonRole::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

slug_enum!(
    /// `podcast:location rel`.
    LocationRel, "location rel" {
        /// What the content is about (the default).
        Subject = "subject",
        /// Where it was made.
        Creator = "creator",
    }
);

slug_enum!(
    /// `podcast:value type`: the payment layer.
    ValueType, "value type" {
        /// Lightning.
        Lightning = "lightning",
        /// Hive.
        Hive = "hive",
        /// Web Monetization.
        WebMonetization = "webmonetization",
    }
);

slug_enum!(
    /// `podcast:value method`: how payments are sent.
    ValueMethod, "value method" {
        /// Lightning keysend.
        Keysend = "keysend",
        /// Atomic multipath payments.
        Amp = "amp",
        /// Lightning address.
        Lnaddress = "lnaddress",
    }
);

slug_enum!(
    /// `podcast:valueRecipient type`: the kind of address.
    RecipientType, "value recipient type" {
        /// A Lightning node public key.
        Node = "node",
        /// A Lightning address (`user@host`).
        Lnaddress = "lnaddress",
        /// A wallet address.
        Wallet = "wallet",
    }
);

slug_enum!(
    /// `podcast:socialInteract protocol` (the namespace's `socialprotocols.txt`).
    SocialProtocol, "social protocol" {
        /// No public comments wanted.
        Disabled = "disabled",
        /// ActivityPub (Mastodon, …).
        Activitypub = "activitypub",
        /// X / Twitter.
        Twitter = "twitter",
        /// Lightning.
        Lightning = "lightning",
        /// Nostr.
        Nostr = "nostr",
        /// Bluesky's AT Protocol.
        Atproto = "atproto",
        /// Matrix.
        Matrix = "matrix",
        /// Hive.
        Hive = "hive",
        /// XMPP.
        Xmpp = "xmpp",
    }
);

slug_enum!(
    /// `podcast:medium` (for `podcast:remoteItem medium`).
    Medium, "medium" {
        /// A podcast.
        Podcast = "podcast",
        /// Music.
        Music = "music",
        /// Video.
        Video = "video",
        /// Film.
        Film = "film",
        /// Audiobook.
        Audiobook = "audiobook",
        /// Newsletter.
        Newsletter = "newsletter",
        /// Blog.
        Blog = "blog",
        /// A publisher feed.
        Publisher = "publisher",
        /// A course.
        Course = "course",
        /// Mixed.
        Mixed = "mixed",
        /// A list of podcasts.
        PodcastL = "podcastL",
        /// A list of music.
        MusicL = "musicL",
        /// A list of videos.
        VideoL = "videoL",
        /// A list of films.
        FilmL = "filmL",
        /// A list of audiobooks.
        AudiobookL = "audiobookL",
        /// A list of newsletters.
        NewsletterL = "newsletterL",
        /// A list of blogs.
        BlogL = "blogL",
        /// A list of publishers.
        PublisherL = "publisherL",
        /// A list of courses.
        CourseL = "courseL",
    }
);

// ---------------------------------------------------------------------------------------------
// Tags

/// `podcast:person`: someone who makes or appears in the show or episode. An episode's list
/// replaces the show's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Name (node value, ≤ 128 characters).
    pub name: Text<128>,
    /// Role (default `host`).
    pub role: PersonRole,
    /// Group (default: the role's group, `cast` for `host`).
    pub group: PersonGroup,
    /// Picture.
    pub img: Option<HttpsUrl>,
    /// Page about them.
    pub href: Option<HttpsUrl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    name: Text<128>,
    role: Option<PersonRole>,
    group: Option<PersonGroup>,
    img: Option<HttpsUrl>,
    href: Option<HttpsUrl>,
}

impl<'de> Deserialize<'de> for Person {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RawPerson::deserialize(d)?;
        let role = r.role.unwrap_or(PersonRole::HOST);
        let group = match r.group {
            Some(g) if role.groups().any(|x| x == g) => g,
            Some(g) => {
                return Err(serde::de::Error::custom(format!(
                    "role \"{role}\" is not in group \"{g}\" (it is in: {})",
                    role.groups().map(PersonGroup::as_str).collect::<Vec<_>>().join(", ")
                )));
            }
            None => role.groups().next().unwrap_or(PersonGroup::Cast),
        };
        Ok(Person { name: r.name, role, group, img: r.img, href: r.href })
    }
}

impl fmt::Display for PersonRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// `podcast:funding`: where listeners can support the show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funding {
    /// The donation or membership page.
    pub url: HttpsUrl,
    /// The call to action (node value, ≤ 128 characters).
    pub text: Text<128>,
}

/// `podcast:soundbite`: a short, shareable part of an episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Soundbite {
    /// Where it starts, seconds from the start of the audio.
    pub start: Seconds,
    /// How long it lasts (the spec recommends 15 to 120 seconds).
    pub duration: Seconds,
    /// Title (node value, ≤ 128 characters).
    pub title: Option<Text<128>>,
}

/// A `geo:` URI (RFC 5870): `geo:latitude,longitude[,altitude][;u=uncertainty]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct GeoUri(String);

impl GeoUri {
    /// Checks `s`: `geo:` then latitude (−90…90) and longitude (−180…180).
    pub fn new(s: &str) -> Result<GeoUri, String> {
        let bad = || format!("{} is not a geo URI such as geo:-33.8688,151.2093 (RFC 5870)", q(s));
        let rest = s.strip_prefix("geo:").ok_or_else(bad)?;
        let coords = rest.split(';').next().unwrap_or("");
        let mut parts = coords.split(',').map(|p| p.parse::<f64>().ok());
        let (Some(Some(lat)), Some(Some(lon))) = (parts.next(), parts.next()) else { return Err(bad()) };
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) || parts.any(|p| p.is_none()) {
            return Err(bad());
        }
        Ok(GeoUri(s.to_owned()))
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for GeoUri {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        GeoUri::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An OpenStreetMap object: `N`, `W` or `R` then its number, optionally `#revision`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OsmId(String);

impl OsmId {
    /// Checks `s`, such as `R5750005`.
    pub fn new(s: &str) -> Result<OsmId, String> {
        let (id, rev) = s.split_once('#').map_or((s, None), |(a, b)| (a, Some(b)));
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let ok = matches!(id.as_bytes().first(), Some(b'N' | b'W' | b'R'))
            && id.get(1..).is_some_and(digits)
            && rev.is_none_or(digits);
        if ok {
            Ok(OsmId(s.to_owned()))
        } else {
            Err(format!("{} is not an OpenStreetMap id such as R5750005 (N node, W way, R relation)", q(s)))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for OsmId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        OsmId::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An ISO 3166-1 alpha-2 country code, written lowercase (`au`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    /// Checks `s`: two ASCII letters.
    pub fn new(s: &str) -> Result<Country, String> {
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Country(s.to_ascii_lowercase()))
        } else {
            Err(format!("{} is not a two-letter ISO 3166-1 country code such as au", q(s)))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Country::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `podcast:location`: the place the show or episode is about, or where it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Human-readable name (node value, ≤ 128 characters).
    pub name: Text<128>,
    /// Subject (default) or creator.
    pub rel: Option<LocationRel>,
    /// `geo:` URI.
    pub geo: Option<GeoUri>,
    /// OpenStreetMap id.
    pub osm: Option<OsmId>,
    /// Country code.
    pub country: Option<Country>,
}

/// A MIME type such as `audio/mpeg`: `type/subtype`, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MimeType(String);

impl MimeType {
    /// Checks `s`.
    pub fn new(s: &str) -> Result<MimeType, String> {
        let ok = s.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        });
        if ok { Ok(MimeType(s.to_owned())) } else { Err(format!("{} is not a MIME type such as audio/mpeg", q(s))) }
    }

    /// The type.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for MimeType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        MimeType::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `podcast:trailer`: a trailer for the show (or a season).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    /// Title (node value, ≤ 128 characters).
    pub title: Text<128>,
    /// The trailer's media file.
    pub url: HttpsUrl,
    /// When it was published (`pubdate`, written RFC 2822).
    pub date: ZonedDate,
    /// File size in bytes.
    pub length: Option<u64>,
    /// MIME type.
    #[serde(rename = "type")]
    pub mime: Option<MimeType>,
    /// The season it introduces.
    pub season: Option<NonZeroU32>,
}

/// `podcast:license`: an SPDX identifier (`cc-by-4.0`) or a custom name with the licence's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    /// SPDX identifier or custom name (node value, ≤ 128 characters).
    pub name: Text<128>,
    /// The licence text (required by the spec when the name is not an SPDX identifier).
    pub url: Option<HttpsUrl>,
}

/// `podcast:value`: value-for-value payments, split among recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Value {
    /// Payment layer.
    pub kind: ValueType,
    /// Transport.
    pub method: ValueMethod,
    /// Suggested amount per minute, in the layer's unit.
    pub suggested: Option<Decimal>,
    /// At least one recipient.
    pub recipients: Vec<ValueRecipient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    #[serde(rename = "type")]
    kind: ValueType,
    method: ValueMethod,
    suggested: Option<Decimal>,
    #[serde(default, rename = "recipient")]
    recipients: Vec<ValueRecipient>,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RawValue::deserialize(d)?;
        if r.recipients.is_empty() {
            return Err(serde::de::Error::custom(
                "a value block needs at least one recipient: add [[value.recipient]] with type, address and split",
            ));
        }
        Ok(Value { kind: r.kind, method: r.method, suggested: r.suggested, recipients: r.recipients })
    }
}

/// `podcast:valueRecipient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRecipient {
    /// Who this is.
    pub name: Option<Text<128>>,
    /// Kind of address.
    #[serde(rename = "type")]
    pub kind: RecipientType,
    /// The address (node public key, Lightning address, …).
    pub address: Text<256>,
    /// Shares of each payment.
    pub split: u32,
    /// A fee (hosting, app) rather than a creator.
    #[serde(default)]
    pub fee: bool,
    /// Custom record key sent with the payment.
    pub custom_key: Option<Text<128>>,
    /// Custom record value.
    pub custom_value: Option<Text<256>>,
}

/// An image's aspect ratio such as `16/9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AspectRatio(pub NonZeroU32, pub NonZeroU32);

impl Serialize for AspectRatio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}/{}", self.0, self.1))
    }
}

impl<'de> Deserialize<'de> for AspectRatio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let parsed =
            s.split_once('/').and_then(|(a, b)| Some(AspectRatio(a.trim().parse().ok()?, b.trim().parse().ok()?)));
        parsed.ok_or_else(|| serde::de::Error::custom(format!("{} is not an aspect ratio such as 16/9", q(&s))))
    }
}

/// `podcast:image`: artwork for a purpose (`artwork`, `social`, `canvas`, `banner`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The image (or video) URL.
    pub href: HttpsUrl,
    /// Text for screen readers.
    pub alt: Option<Text<512>>,
    /// Aspect ratio such as `1/1`.
    pub aspect_ratio: Option<AspectRatio>,
    /// Width in pixels.
    pub width: Option<NonZeroU32>,
    /// Height in pixels.
    pub height: Option<NonZeroU32>,
    /// MIME type.
    #[serde(rename = "type")]
    pub mime: Option<MimeType>,
    /// Space-separated purpose tokens (≤ 128 characters).
    pub purpose: Option<Text<128>>,
}

/// `podcast:txt`: free-form text for a purpose (`verify`, `applepodcastsverify`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Txt {
    /// The text (≤ 4,000 characters).
    pub text: Text<4000>,
    /// What it is for (≤ 128 characters).
    pub purpose: Option<Text<128>>,
}

/// A service slug (`podcast:block id`): lowercase letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ServiceSlug(String);

impl ServiceSlug {
    /// Checks `s`, such as `google` or `amazon`.
    pub fn new(s: &str) -> Result<ServiceSlug, String> {
        if !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            Ok(ServiceSlug(s.to_owned()))
        } else {
            Err(format!(
                "{} is not a service slug (lowercase, such as google, amazon, spotify; see the namespace's serviceslugs.txt)",
                q(s)
            ))
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ServiceSlug {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ServiceSlug::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `podcast:block`: whether platforms (all, or the one named) may list the show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// The platform, or every platform when absent.
    pub id: Option<ServiceSlug>,
    /// `yes` (block, the default) or `no`.
    #[serde(default = "yes")]
    pub block: bool,
}

fn yes() -> bool {
    true
}

/// `podcast:remoteItem`: another feed (or an item of it), for `podroll` and `publisher`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteItem {
    /// The other feed's `podcast:guid`.
    pub feed_guid: uuid::Uuid,
    /// Its URL.
    pub feed_url: Option<HttpsUrl>,
    /// One of its items' `guid`.
    pub item_guid: Option<Text<256>>,
    /// Its medium (default `podcast`).
    pub medium: Option<Medium>,
    /// A name for it, for people reading `podcast.toml` (not written to the feed).
    pub title: Option<String>,
}

/// An iCalendar recurrence rule (RFC 5545 §3.3.10): `FREQ=…` and `KEY=VALUE` parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RRule(String);

impl RRule {
    const KEYS: &'static [&'static str] = &[
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    ];
    const FREQS: &'static [&'static str] = &["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"];

    /// Checks `s`, such as `FREQ=WEEKLY;BYDAY=WE`.
    pub fn new(s: &str) -> Result<RRule, String> {
        let mut freq = false;
        for part in s.split(';') {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!("{} is not a recurrence rule: {} has no =", q(s), q(part)));
            };
            if !RRule::KEYS.contains(&k) {
                return Err(format!("{} is not a recurrence rule: unknown part {} (RFC 5545 §3.3.10)", q(s), q(k)));
            }
            if k == "FREQ" {
                if !RRule::FREQS.contains(&v) {
                    return Err(format!("FREQ={v} is not one of {}", RRule::FREQS.join(", ")));
                }
                freq = true;
            }
            if v.is_empty() {
                return Err(format!("{} is not a recurrence rule: {k} has no value", q(s)));
            }
        }
        if freq { Ok(RRule(s.to_owned())) } else { Err(format!("{} has no FREQ= (such as FREQ=WEEKLY)", q(s))) }
    }

    /// The rule.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it limits the recurrence with `COUNT=`.
    pub fn has_count(&self) -> bool {
        self.0.split(';').any(|p| p.starts_with("COUNT="))
    }
}

impl<'de> Deserialize<'de> for RRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RRule::new(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `podcast:updateFrequency`: the release schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateFrequency {
    /// Human-readable schedule (node value, ≤ 128 characters).
    pub text: Text<128>,
    /// Recurrence rule.
    pub rrule: Option<RRule>,
    /// When the rule starts.
    pub dtstart: Option<ZonedDate>,
    /// No more episodes are planned.
    pub complete: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpdateFrequency {
    text: Text<128>,
    rrule: Option<RRule>,
    dtstart: Option<ZonedDate>,
    #[serde(default)]
    complete: bool,
}

impl<'de> Deserialize<'de> for UpdateFrequency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RawUpdateFrequency::deserialize(d)?;
        if r.rrule.as_ref().is_some_and(RRule::has_count) && r.dtstart.is_none() {
            return Err(serde::de::Error::custom("an rrule with COUNT= needs a dtstart (the spec requires it)"));
        }
        Ok(UpdateFrequency { text: r.text, rrule: r.rrule, dtstart: r.dtstart, complete: r.complete })
    }
}

/// `podcast:socialInteract`: where the comments on the show or episode are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocialInteract {
    /// Protocol (`disabled` turns comments off).
    pub protocol: SocialProtocol,
    /// The root post (required unless `disabled`).
    pub uri: Option<HttpsUrl>,
    /// The account that posted it.
    pub account_id: Option<Text<128>>,
    /// That account's public page.
    pub account_url: Option<HttpsUrl>,
    /// Order among several (lower first).
    pub priority: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSocialInteract {
    protocol: SocialProtocol,
    uri: Option<HttpsUrl>,
    account_id: Option<Text<128>>,
    account_url: Option<HttpsUrl>,
    priority: Option<u32>,
}

impl<'de> Deserialize<'de> for SocialInteract {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RawSocialInteract::deserialize(d)?;
        match (r.protocol, &r.uri) {
            (SocialProtocol::Disabled, Some(_)) => {
                Err(serde::de::Error::custom("protocol = \"disabled\" takes no uri (it turns comments off)"))
            }
            (SocialProtocol::Disabled, None) | (_, Some(_)) => Ok(SocialInteract {
                protocol: r.protocol,
                uri: r.uri,
                account_id: r.account_id,
                account_url: r.account_url,
                priority: r.priority,
            }),
            (p, None) => Err(serde::de::Error::custom(format!("protocol \"{p}\" needs the uri of the root post"))),
        }
    }
}

/// `podcast:publisher`: the publisher feed this show belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publisher {
    /// The publisher feed's `podcast:guid`.
    pub feed_guid: uuid::Uuid,
    /// Its URL (recommended).
    pub feed_url: Option<HttpsUrl>,
}

/// `podcast:alternateEnclosure` as written in front matter: another rendition of the episode's
/// audio, a file in the episode folder that `podmark build` probes (type, length, bitrate),
/// hashes (`podcast:integrity`, SHA-384) and publishes next to the main audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlternateEnclosureSource {
    /// The file, relative to the episode folder.
    pub file: PathBuf,
    /// A short name for people (the spec suggests ≤ 32 characters).
    pub title: Option<Text<32>>,
    /// Language (BCP 47).
    pub lang: Option<String>,
    /// Grouping (`default` = an alternative of the main enclosure).
    pub rel: Option<Text<32>>,
    /// RFC 6381 codecs string such as `opus` or `mp4a.40.2`.
    pub codecs: Option<Text<128>>,
    /// This is the rendition to play by default.
    #[serde(default)]
    pub default: bool,
}

/// Every channel-level Podcasting 2.0 tag `podcast.toml` can set (besides `guid`, `locked` and
/// `medium`, which podmark always writes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelTags {
    /// `podcast:funding`.
    pub funding: Vec<Funding>,
    /// `podcast:person`.
    pub person: Vec<Person>,
    /// `podcast:location`.
    pub location: Vec<Location>,
    /// `podcast:trailer`.
    pub trailer: Vec<Trailer>,
    /// `podcast:license`.
    pub license: Option<License>,
    /// `podcast:value`.
    pub value: Vec<Value>,
    /// `podcast:image`.
    pub image: Vec<Image>,
    /// `podcast:socialInteract`.
    pub social_interact: Vec<SocialInteract>,
    /// `podcast:block`.
    pub block: Vec<Block>,
    /// `podcast:txt`.
    pub txt: Vec<Txt>,
    /// `podcast:podroll` (`podcast:remoteItem`s).
    pub podroll: Vec<RemoteItem>,
    /// `podcast:updateFrequency`.
    pub update_frequency: Option<UpdateFrequency>,
    /// `podcast:publisher`.
    pub publisher: Option<Publisher>,
}

/// Every item-level Podcasting 2.0 tag an episode's front matter can set (besides `season`,
/// `episode`, `chapters` and `transcript`, which podmark writes from the episode itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ItemTags {
    /// `podcast:funding`.
    pub funding: Vec<Funding>,
    /// `podcast:soundbite`.
    pub soundbite: Vec<Soundbite>,
    /// `podcast:person` (replaces the show's list for this episode).
    pub person: Vec<Person>,
    /// `podcast:location`.
    pub location: Vec<Location>,
    /// `podcast:license`.
    pub license: Option<License>,
    /// `podcast:alternateEnclosure`.
    pub alternate_enclosure: Vec<AlternateEnclosureSource>,
    /// `podcast:value`.
    pub value: Vec<Value>,
    /// `podcast:image`.
    pub image: Vec<Image>,
    /// `podcast:socialInteract`.
    pub social_interact: Vec<SocialInteract>,
    /// `podcast:txt`.
    pub txt: Vec<Txt>,
}

impl ItemTags {
    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == ItemTags::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct One<T> {
        v: T,
    }

    fn parse<T: for<'de> Deserialize<'de>>(toml_text: &str) -> Result<T, String> {
        toml::from_str::<One<T>>(toml_text).map(|o| o.v).map_err(|e| e.to_string())
    }

    #[test]
    fn urls_must_be_https() {
        assert!(parse::<HttpsUrl>("v = \"https://e.example/x\"").is_ok());
        let e = parse::<HttpsUrl>("v = \"http://e.example/x\"").unwrap_err();
        assert!(e.contains("line 1, column 5"), "{e}");
        assert!(e.contains("is not an https:// URL"), "{e}");
        assert!(HttpsUrl::new("https:///x").is_err());
        assert!(HttpsUrl::new("https://e.example/a b").is_err());
    }

    #[test]
    fn texts_have_the_spec_limits() {
        assert!(Text::<128>::new(&"x".repeat(128)).is_ok());
        let e = Text::<128>::new(&"x".repeat(129)).unwrap_err();
        assert!(e.contains("129 characters; the Podcasting 2.0 namespace allows at most 128"), "{e}");
        assert!(Text::<128>::new("  ").is_err());
    }

    #[test]
    fn person_role_and_group_are_checked_and_the_group_defaults_to_the_roles() {
        let p: Person = parse("v = { name = \"A\" }").unwrap();
        assert_eq!((p.role.as_str(), p.group.as_str()), ("host", "cast"));
        let p: Person = parse("v = { name = \"A\", role = \"Composer\" }").unwrap();
        assert_eq!((p.role.as_str(), p.group), ("composer", PersonGroup::AudioPostProduction));
        let e = parse::<Person>("v = { name = \"A\", role = \"boss\" }").unwrap_err();
        assert!(e.contains("\"boss\" is not a role of the Podcasting 2.0 person taxonomy"), "{e}");
        let e = parse::<Person>("v = { name = \"A\", role = \"guest\", group = \"writing\" }").unwrap_err();
        assert!(e.contains("role \"guest\" is not in group \"writing\" (it is in: cast)"), "{e}");
        let e = parse::<Person>("v = { name = \"A\", group = \"band\" }").unwrap_err();
        assert!(e.contains("\"band\" is not a person group; expected one of: creative direction, cast"), "{e}");
    }

    #[test]
    fn seconds_read_numbers_and_timestamps() {
        assert_eq!(parse::<Seconds>("v = 73.5").unwrap().decimal(), "73.5");
        assert_eq!(parse::<Seconds>("v = 60").unwrap().decimal(), "60");
        assert_eq!(parse::<Seconds>("v = \"1:02:03.250\"").unwrap().decimal(), "3723.25");
        assert!(parse::<Seconds>("v = -1.0").is_err());
    }

    #[test]
    fn value_needs_recipients_and_known_slugs() {
        let ok = "[v]\ntype = \"lightning\"\nmethod = \"keysend\"\nsuggested = \"0.00000005000\"\n[[v.recipient]]\ntype = \"node\"\naddress = \"02abc\"\nsplit = 90\n";
        let v: Value = parse(ok).unwrap();
        assert_eq!(v.suggested.as_ref().map(Decimal::as_str), Some("0.00000005000"));
        assert_eq!(v.recipients[0].split, 90);
        let e = parse::<Value>("[v]\ntype = \"lightning\"\nmethod = \"keysend\"\n").unwrap_err();
        assert!(e.contains("needs at least one recipient"), "{e}");
        let e = parse::<Value>(&ok.replace("keysend", "paypal")).unwrap_err();
        assert!(e.contains("\"paypal\" is not a value method; expected one of: keysend, amp, lnaddress"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn locations_check_geo_osm_and_country() {
        let l: Location =
            parse("v = { name = \"Sydney\", geo = \"geo:-33.8688,151.2093\", osm = \"R5750005\", country = \"AU\" }")
                .unwrap();
        assert_eq!(l.country.map(|c| c.as_str().to_owned()).as_deref(), Some("au"));
        assert!(GeoUri::new("geo:95,0").is_err());
        assert!(GeoUri::new("-33,151").is_err());
        assert!(OsmId::new("X12").is_err());
        assert!(OsmId::new("R12#3").is_ok());
        assert!(Country::new("aus").is_err());
    }

    #[test]
    fn update_frequency_rules() {
        let u: UpdateFrequency = parse("v = { text = \"Weekly\", rrule = \"FREQ=WEEKLY;BYDAY=WE\" }").unwrap();
        assert_eq!(u.rrule.map(|r| r.as_str().to_owned()).as_deref(), Some("FREQ=WEEKLY;BYDAY=WE"));
        let e = parse::<UpdateFrequency>("v = { text = \"x\", rrule = \"FREQ=WEEKLY;COUNT=3\" }").unwrap_err();
        assert!(e.contains("needs a dtstart"), "{e}");
        assert!(RRule::new("BYDAY=MO").is_err());
        assert!(RRule::new("FREQ=FORTNIGHTLY").is_err());
        assert!(RRule::new("FREQ=WEEKLY;COLOUR=RED").is_err());
    }

    #[test]
    fn social_interact_needs_a_uri_unless_disabled() {
        assert!(parse::<SocialInteract>("v = { protocol = \"disabled\" }").is_ok());
        let e = parse::<SocialInteract>("v = { protocol = \"activitypub\" }").unwrap_err();
        assert!(e.contains("protocol \"activitypub\" needs the uri of the root post"), "{e}");
        let e = parse::<SocialInteract>("v = { protocol = \"disabled\", uri = \"https://x.example/1\" }").unwrap_err();
        assert!(e.contains("takes no uri"), "{e}");
    }

    #[test]
    fn mistakes_in_podcast_toml_and_front_matter_are_reported_at_their_line_and_column() {
        let show = "title = \"T\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://x.example\"\n[category]\nname = \"Technology\"\n[[podcast.funding]]\nurl = \"http://x.example/give\"\ntext = \"Give\"\n";
        let d = crate::sources::show::Show::parse(show).err().map(|e| e.diagnostics).unwrap_or_default();
        let s: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            s[0].starts_with("9:7: error: \"http://x.example/give\" is not an https:// URL (the Podcasting 2.0 namespace requires https)"),
            "{s:?}"
        );
        let notes = "+++\ntitle = \"A\"\n[[podcast.soundbite]]\nstart = 10\nduration = \"soon\"\n+++\nNotes.\n";
        let parsed = crate::formats::notes::parse(notes);
        let d: Vec<String> = parsed.diagnostics.iter().map(ToString::to_string).collect();
        assert!(d.iter().any(|m| m.starts_with("5:12: error: front matter:")), "{d:?}");
    }

    #[test]
    fn decimals_and_aspect_ratios() {
        assert!(Decimal::new("0.5").is_ok());
        assert!(Decimal::new("1e-8").is_err());
        assert!(Decimal::new(".5").is_err());
        assert_eq!(parse::<Decimal>("v = 0.00000005").unwrap().as_str(), "0.00000005");
        let a: AspectRatio = parse("v = \"16/9\"").unwrap();
        assert_eq!((a.0.get(), a.1.get()), (16, 9));
        assert!(parse::<AspectRatio>("v = \"wide\"").is_err());
    }
}
