//! The website against the feed for a 10,000-episode catalogue: rendering every page
//! (`site_10000`: `podmark::site::render`, index pages and one page per episode) and the feed
//! (`feed_10000`: `podmark::feed::write`) from the same in-memory channel and items (notes of about
//! 1.5 KB, 13 chapters each). The site must take no longer than the feed.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use podmark::feed::{Channel, Enclosure, Feed, Item};
use podmark::site::{EpisodePage, Site};
use podmark::sources::show::Category;
use podmark::sources::site::SiteSettings;
use podmark::{Chapter, Chapters, Timestamp};

const EPISODES: usize = 10_000;

fn catalogue() -> (Channel, Vec<Item>, Vec<String>, Vec<String>) {
    let mut channel = Channel::new(
        "Bench Show",
        "https://bench.example/",
        "A large back catalogue about <things> & more.",
        "en",
        "https://bench.example/feed.xml",
        Category::new("Technology", None).unwrap(),
        "Bench",
    );
    channel.image_url = Some("https://bench.example/cover.png".into());
    let date = chrono::DateTime::parse_from_rfc3339("2020-01-01T10:00:00+00:00").unwrap();
    let paragraph = "In this episode we talk about containers, clouds & the people who run them: why \"boring\" \
                     technology wins, what the <b>factory</b> of IT looks like, and how to tell. ";
    let mut items = Vec::with_capacity(EPISODES);
    let mut slugs = Vec::with_capacity(EPISODES);
    let mut notes = Vec::with_capacity(EPISODES);
    for i in (1..=EPISODES).rev() {
        let slug = format!("{i:05}-episode");
        let audio = Enclosure {
            url: format!("https://bench.example/audio/{slug}.mp3"),
            length: 48_000_000,
            mime: "audio/mpeg".into(),
        };
        let mut item = Item::new(format!("Episode {i}: a title"), format!("guid-{i}"), date, audio, 3_123);
        let chapters: Vec<Chapter> = (0..13u32)
            .map(|k| Chapter::new(Timestamp::from_secs_f64(f64::from(k) * 230.5).unwrap(), format!("Topic {k} of {i}")))
            .collect();
        item.chapters = Chapters::new(chapters).unwrap();
        let markdown = format!("{p}\n\n{p}\n\n{p}\n\n{p}\n\n{p}\n\n{p}\n", p = paragraph);
        let html = podmark::feed::html::notes_to_html(&markdown, &Chapters::empty(), None);
        item.html = podmark::feed::html::notes_to_html(&markdown, &item.chapters, None);
        item.summary = Some(format!("Episode {i}, in one line."));
        items.push(item);
        slugs.push(slug);
        notes.push(html);
    }
    (channel, items, slugs, notes)
}

fn bench(c: &mut Criterion) {
    let (channel, items, slugs, notes) = catalogue();
    let settings = SiteSettings::default();
    let mut g = c.benchmark_group("render");
    g.sample_size(10);
    let feed = Feed { channel: channel.clone(), items: items.clone() };
    g.bench_function("feed_10000", |b| b.iter(|| podmark::feed::write(&feed).unwrap()));
    g.bench_function("site_10000", |b| {
        b.iter(|| {
            let mut site = Site::new(&channel, &settings, "https://bench.example/");
            for ((item, slug), html) in items.iter().zip(&slugs).zip(&notes) {
                site.episodes.push(EpisodePage::new(slug, item, html.as_str()));
            }
            podmark::site::render(&site)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
