//! `podmark build` on a generated podcast of 1,000 episodes (notes with 4 chapters, one short MP3
//! each), in a temporary directory:
//! - `no_change_rebuild_1000`: a rebuild in which nothing changed (the fast path: the build state's
//!   fingerprint is checked by stats only);
//! - `one_edit_rebuild_1000`: a rebuild after one episode.md changed (the full path: every episode
//!   loaded and checked, probes from the cache, chapter files and the feed rendered and compared).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use podmark::build::{BuildOptions, build};

const AUDIO: &str = "tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3";
const EPISODES: usize = 1000;

fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("podcast.toml"),
        "title = \"Bench Show\"\nauthor = \"Bench\"\ndescription = \"A large back catalogue.\"\nlanguage = \"en\"\nbase_url = \"https://bench.example/\"\n[category]\nname = \"Technology\"\n",
    )
    .unwrap();
    let audio = std::fs::read(AUDIO).unwrap();
    for i in 1..=EPISODES {
        let d = dir.join(format!("{i:05}-episode"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("audio.mp3"), &audio).unwrap();
        std::fs::write(d.join("episode.md"), notes(i, "a title")).unwrap();
    }
}

fn notes(i: usize, title: &str) -> String {
    format!(
        "+++\ntitle = \"Episode {i}: {title}\"\nepisode = {i}\ndate = 2020-01-01T10:00:00+00:00\naudio = \"audio.mp3\"\n+++\nIn episode {i} we talk about *things*.\n\n- 00:00 Intro\n- 00:00.3 Topic one\n- 00:00.6 Topic two\n- 00:00.9 Outro\n"
    )
}

/// Makes every file look an hour old, as sources usually are (fresh ones are checked by content).
fn age(dir: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            age(&p);
        }
        std::fs::File::open(&p).unwrap().set_modified(old).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let episodes = tmp.path().join("episodes");
    generate(&episodes);
    age(&episodes);
    let options = BuildOptions::new(&episodes, tmp.path().join("feed"));
    build(&options, &mut |_, _, _| {}).unwrap();
    assert!(build(&options, &mut |_, _, _| {}).unwrap().up_to_date);

    let mut g = c.benchmark_group("build");
    g.sample_size(20);
    g.bench_function("no_change_rebuild_1000", |b| {
        b.iter(|| {
            let r = build(&options, &mut |_, _, _| {}).unwrap();
            assert!(r.up_to_date);
            r
        });
    });
    let edited = episodes.join("00001-episode/episode.md");
    let mut n = 0usize;
    g.sample_size(10);
    g.bench_function("one_edit_rebuild_1000", |b| {
        b.iter(|| {
            n += 1;
            std::fs::write(&edited, notes(1, &format!("edit {n}"))).unwrap();
            let r = build(&options, &mut |_, _, _| {}).unwrap();
            assert!(!r.up_to_date);
            r
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
