//! Parse a 5,000-chapter show-notes file and write it to every format.
//!
//! `cargo bench --bench chapters`. The input is generated here, never committed.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use podmark::formats::{Format, WriteOptions};

fn notes(n: u64) -> String {
    let mut s = String::from("+++\ntitle = \"Benchmark\"\n+++\nA long episode with many chapters.\n\n");
    for i in 0..n {
        let ms = i * 12_345;
        let (h, m, sec, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        s.push_str(&format!("  • {h:02}:{m:02}:{sec:02}.{milli:03} Chapter {i}: a title with “quotes” & <xml>\n"));
        if i % 10 == 0 {
            s.push_str("Some prose between chapter lines, as real show notes have.\n");
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = notes(5_000);
    let mut group = c.benchmark_group("5000 chapters");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse show notes", |b| b.iter(|| Format::Notes.read(black_box(&text)).into_chapters()));
    let chapters = Format::Notes
        .read(&text)
        .into_chapters()
        .ok()
        .and_then(|c| c.with_duration(podmark::Timestamp::from_secs(5_000 * 13).unwrap_or_default()).ok())
        .unwrap_or_default();
    assert_eq!(chapters.len(), 5_000);
    let options = WriteOptions::default();
    // CUE sheets hold at most 99 tracks: that format is measured on the first 99 chapters.
    let first_99 = podmark::Chapters::new(chapters.as_slice()[..99].to_vec()).unwrap_or_default();
    for format in Format::WRITABLE {
        // Description blocks round to whole seconds; 12.345 s apart never collapse.
        let input = if format == Format::Cue { &first_99 } else { &chapters };
        assert!(format.write(input, &options).is_ok(), "{format} must write the benchmark input");
        group.bench_function(format!("write {format}"), |b| b.iter(|| format.write(black_box(input), &options)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
