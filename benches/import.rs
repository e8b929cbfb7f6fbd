//! `podmark import` of a generated 1,000-item feed (HTML show notes with links, lists and
//! emphasis, inline chapters, remote audio: no `--download`) from a local file into a new
//! `episodes/` folder: feed read, every item mapped, notes converted to Markdown, the tree written
//! into a staging folder, synced once and renamed into place.
//!
//! Run it with `TMPDIR=/dev/shm` to measure podmark rather than the disk: on tmpfs it takes about
//! 115 ms; on a busy ext4 disk most of the time is the kernel allocating 2,000 inodes.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use podmark::import::{ImportOptions, import};

const ITEMS: usize = 1000;

fn feed() -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:psc="http://podlove.org/simple-chapters" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Bench Show</title><link>https://old.example/</link><description>A large back catalogue.</description><language>en-us</language>
<itunes:author>Bench</itunes:author><itunes:category text="Technology"/><itunes:image href="https://old.example/cover.jpg"/>
<itunes:owner><itunes:name>Bench</itunes:name><itunes:email>bench@old.example</itunes:email></itunes:owner>
"#,
    );
    for i in 0..ITEMS {
        let day = 1 + i % 28;
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(i / 28) % 12];
        let year = 2000 + i / 336;
        xml.push_str(&format!(
            r#"<item><title>Episode {i}: about things</title><guid isPermaLink="false">bench-{i}</guid><pubDate>{day:02} {month} {year} 10:00:00 -0500</pubDate>
<enclosure url="https://cdn.old.example/audio/{i}.mp3" length="{}" type="audio/mpeg"/><itunes:duration>00:{:02}:{:02}</itunes:duration><itunes:episode>{}</itunes:episode><itunes:explicit>no</itunes:explicit>
<content:encoded><![CDATA[<p>In episode {i} we talk about <strong>things</strong> and <em>other things</em>, with <a href="https://example.org/{i}">a link</a>.</p><ul><li>First topic</li><li>Second topic with <code>code</code></li><li>Third topic</li></ul><p>Thanks to our listeners. Support the show at <a href="https://example.org/support">example.org</a>.</p>]]></content:encoded>
<psc:chapters version="1.2"><psc:chapter start="0" title="Intro"/><psc:chapter start="00:05:00" title="Topic"/></psc:chapters>
<podcast:person role="host">Bench Host</podcast:person></item>
"#,
            1_000_000 + i,
            10 + i % 50,
            i % 60,
            i + 1
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

fn run(dir: &Path, feed: &Path, durable: bool) {
    let mut options = ImportOptions::new(feed.display().to_string(), dir.join("episodes"));
    options.durable = durable;
    let report = import(&options, &|_, _| {}).unwrap();
    assert_eq!(report.imported.len(), ITEMS);
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let feed_path = tmp.path().join("feed.xml");
    std::fs::write(&feed_path, feed()).unwrap();
    let mut group = c.benchmark_group("import");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    // Without the final syncfs: the import's own work (syncfs waits for whatever else the machine
    // has pending on that filesystem).
    group.bench_function("import_1000_items_no_download", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(tmp.path()).unwrap(),
            |dir| {
                run(dir.path(), &feed_path, false);
                dir
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.bench_function("import_1000_items_no_download_synced", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(tmp.path()).unwrap(),
            |dir| {
                run(dir.path(), &feed_path, true);
                dir
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
