//! Every reader at 1×, 10× and 100× a realistic size, so the slope shows: a linear reader takes
//! about ten times longer per step, a quadratic one a hundred.
//!
//! - chapter formats: `read` plus `validate::check_all` with the strict profile (what
//!   `podmark chapters check` does), at 100, 1,000 and 10,000 chapters;
//! - the feed checker (`check::check_feed_text`: the XML reader and the feed rules), at 100, 1,000
//!   and 10,000 items.
//!
//! - the feed checker on a hostile feed nested 1,000, 100,000 and 1,000,000 elements deep inside
//!   `<channel>`: refused at the depth limit (`check::xml::MAX_DEPTH`), so the time must not grow
//!   with the depth (issue 16 asks for under 0.2 s at 100,000).
//!
//! `cargo bench --bench readers`. The inputs are generated here, never committed.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use podmark::formats::{Format, WriteOptions};
use podmark::validate::{Profile, check_all};
use podmark::{Chapter, Chapters, Timestamp};

const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn chapters(n: usize) -> Chapters {
    let list = (0..n)
        .map(|i| {
            let ms = u64::try_from(i).unwrap_or_default() * 12_345;
            Chapter::new(
                Timestamp::from_millis(ms).unwrap_or_default(),
                format!("Chapter {i}: a title with “quotes” & <xml>"),
            )
        })
        .collect();
    let end = Timestamp::from_millis(u64::try_from(n).unwrap_or_default() * 12_345).unwrap_or_default();
    Chapters::new(list).and_then(|c| c.with_duration(end)).unwrap_or_default()
}

/// The text of `n` chapters in `format`. CUE sheets are written by hand past the writer's 99
/// tracks; show notes are the text list.
fn input(format: Format, n: usize) -> String {
    let list = chapters(n);
    match format {
        Format::Cue => {
            let mut s = String::from("FILE \"a.mp3\" MP3\n");
            for (i, c) in list.as_slice().iter().enumerate() {
                let frames = c.start.as_millis() * 75 / 1000;
                let (m, sec, f) = (frames / 75 / 60, frames / 75 % 60, frames % 75);
                s.push_str(&format!(
                    "  TRACK {:02} AUDIO\n    TITLE \"{}\"\n    INDEX 01 {m:02}:{sec:02}:{f:02}\n",
                    i + 1,
                    c.title
                ));
            }
            s
        }
        Format::Notes => Format::Text.write(&list, &WriteOptions::default()).unwrap_or_default(),
        other => other.write(&list, &WriteOptions::default()).unwrap_or_default(),
    }
}

fn feed(items: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n<title>Bench</title>\n<link>https://bench.example/</link>\n<description>A large back catalogue.</description>\n<language>en</language>\n<itunes:author>Bench</itunes:author>\n<itunes:image href=\"https://bench.example/cover.jpg\"/>\n<itunes:category text=\"Technology\"/>\n<itunes:explicit>false</itunes:explicit>\n",
    );
    for i in 0..items {
        s.push_str(&format!(
            "<item>\n<title>Episode {i}</title>\n<guid isPermaLink=\"false\">0b6a2a4e-0000-4000-8000-{i:012}</guid>\n<pubDate>Wed, 14 Sep 2016 09:00:00 +1000</pubDate>\n<enclosure url=\"https://bench.example/{i}.mp3\" length=\"1000\" type=\"audio/mpeg\"/>\n<itunes:duration>3600</itunes:duration>\n<itunes:episode>{}</itunes:episode>\n<description>Notes of episode {i}, with &lt;b&gt;markup&lt;/b&gt;.</description>\n</item>\n",
            i + 1
        ));
    }
    s.push_str("</channel>\n</rss>\n");
    s
}

fn bench(c: &mut Criterion) {
    for format in Format::ALL {
        let mut group = c.benchmark_group(format!("read+check {format}"));
        group.sample_size(10);
        for n in SIZES {
            let text = input(format, n);
            let parsed = format.read(&text);
            assert_eq!(parsed.entries.len(), n, "{format} must read the {n} benchmark chapters");
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
                b.iter(|| check_all(&format.read(black_box(text)), &[Profile::Strict], None))
            });
        }
        group.finish();
    }
    let mut group = c.benchmark_group("check feed.xml");
    group.sample_size(10);
    for n in SIZES {
        let text = feed(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| podmark::check::check_feed_text(black_box(text)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("check nested feed");
    group.sample_size(10);
    for depth in [1_000, 100_000, 1_000_000] {
        let text = format!(
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>{}{}</channel></rss>\n",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        group.bench_with_input(BenchmarkId::from_parameter(depth), &text, |b, text| {
            b.iter(|| podmark::check::check_feed_text(black_box(text)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
