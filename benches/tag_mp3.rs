//! Tag a 60-minute 128 kbit/s MP3 with the sample episode's 13 chapters: first write (the file has
//! no tag: a rewrite through a temporary file), re-write with changed titles (in place), re-tag
//! with the same chapters (nothing written), and read them back.
//!
//! `cargo bench --bench tag_mp3`. The input is `target/bench-audio/long.mp3`, made by
//! `scripts/bench-tag-mp3.sh` (or here, with ffmpeg, when it is missing); never committed. The
//! whole-process comparison with mutagen and an ffmpeg remux is in that script.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use podmark::Chapters;
use podmark::tag::{TagOptions, WriteMode};

fn input() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-audio");
    let long = dir.join("long.mp3");
    if !long.exists() {
        std::fs::create_dir_all(&dir).ok()?;
        eprintln!("generating {} with ffmpeg ...", long.display());
        let ok = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
            .arg("sine=frequency=440:duration=3600:sample_rate=44100")
            .args(["-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "0"])
            .arg(&long)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: ffmpeg could not make the input; run scripts/bench-tag-mp3.sh");
            return None;
        }
    }
    Some(long)
}

fn seed_chapters(suffix: &str) -> Chapters {
    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("episodes/020-containers-with-red-hat/episode.md");
    let text = std::fs::read_to_string(notes).unwrap_or_default();
    let list = podmark::shownotes::parse(&text)
        .entries
        .into_iter()
        .map(|e| {
            let mut c = e.chapter;
            c.title.push_str(suffix);
            c
        })
        .collect();
    Chapters::new(list).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let Some(long) = input() else { return };
    let work = long.with_file_name("criterion-work.mp3");
    let (a, b) = (seed_chapters(""), seed_chapters(" (take 2)"));
    assert_eq!(a.len(), 13);
    let options = TagOptions::new();
    let mut group = c.benchmark_group("mp3 60 min, 13 chapters");
    group.sample_size(10);
    group.bench_function("first write (rewrite + fsync)", |bench| {
        bench.iter_batched(
            || std::fs::copy(&long, &work).map(|_| ()),
            |_| {
                let r = podmark::tag::embed(black_box(&work), &a, &options);
                assert!(r.is_ok_and(|r| r.mode == WriteMode::Rewritten));
            },
            BatchSize::PerIteration,
        );
    });
    let _ = podmark::tag::embed(&work, &a, &options);
    let mut flip = false;
    group.bench_function("re-write in place", |bench| {
        bench.iter(|| {
            flip = !flip;
            let r = podmark::tag::embed(black_box(&work), if flip { &b } else { &a }, &options);
            assert!(r.is_ok_and(|r| r.mode == WriteMode::InPlace));
        });
    });
    group.bench_function("re-tag unchanged", |bench| {
        let _ = podmark::tag::embed(&work, &a, &options);
        bench.iter(|| podmark::tag::embed(black_box(&work), &a, &options));
    });
    group.bench_function("extract", |bench| bench.iter(|| podmark::tag::extract(black_box(&work))));
    group.finish();
    let _ = std::fs::remove_file(&work);
}

criterion_group!(benches, bench);
criterion_main!(benches);
