//! Probe speed on 60-minute files.
//!
//! Always measured, on synthetic files written to a temporary directory (valid frame headers and
//! sample tables around filler payloads, which the probe never decodes):
//! - `mp3_vbr_noxing_60min`: 137 813 VBR frames, no Xing header: the full frame scan;
//! - `mp3_vbr_xing_60min`: the same with a Xing + LAME header: constant time;
//! - `m4a_60min`: an AAC-shaped M4A with its `moov` at the end (155 040 samples in `stsz`).
//!
//! With `PODMARK_BENCH_AUDIO=DIR` (as set by `scripts/bench-probe.sh`), the real ffmpeg-encoded
//! files in DIR are measured too.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};

const FRAMES: u32 = 137_813; // 3600 s × 44 100 Hz ÷ 1152

/// MPEG-1 layer III 44.1 kHz joint stereo frame of bitrate index `br` (no padding).
fn frame(br: u8) -> Vec<u8> {
    const KBPS: [u32; 15] = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    let len = 144 * KBPS[usize::from(br)] * 1000 / 44_100;
    let mut f = vec![0xff, 0xfb, br << 4, 0x40];
    f.resize(usize::try_from(len).unwrap(), 0x5a);
    f
}

fn write_mp3(path: &Path, xing: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    // A deterministic VBR pattern averaging ~100 kbit/s (indices 5..=10: 64..160 kbit/s).
    let brs: Vec<u8> = (0..FRAMES).map(|i| 5 + u8::try_from((i * 7 + i / 13) % 6).unwrap()).collect();
    if xing {
        let mut f = frame(9);
        f[4..].fill(0);
        let at = 4 + 32;
        f[at..at + 4].copy_from_slice(b"Xing");
        f[at + 4..at + 8].copy_from_slice(&3u32.to_be_bytes());
        f[at + 8..at + 12].copy_from_slice(&FRAMES.to_be_bytes());
        let bytes: usize = f.len() + brs.iter().map(|&b| frame(b).len()).sum::<usize>();
        f[at + 12..at + 16].copy_from_slice(&u32::try_from(bytes).unwrap().to_be_bytes());
        f[at + 16..at + 25].copy_from_slice(b"LAME3.100");
        f[at + 16 + 21..at + 16 + 24].copy_from_slice(&[0x24, 0x02, 0x6f]); // 576 / 623
        out.write_all(&f).unwrap();
    }
    let frames: Vec<Vec<u8>> = (0..15).map(|b| if b == 0 { Vec::new() } else { frame(b) }).collect();
    for b in brs {
        out.write_all(&frames[usize::from(b)]).unwrap();
    }
    out.flush().unwrap();
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

fn be(vals: &[u32]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// An M4A shaped like FFmpeg's 60-minute AAC output: mdat first, then a moov whose stsz lists
/// every sample.
fn write_m4a(path: &Path) {
    let samples: u32 = 155_040; // ceil((158 760 000 + 1024) / 1024)
    let sizes: Vec<u32> = (0..samples).map(|i| 360 + (i * 37) % 50).collect();
    let mdat_len: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(&bx(b"ftyp", b"M4A \x00\x00\x02\x00isomiso2")).unwrap();
    out.write_all(&u32::try_from(mdat_len + 8).unwrap().to_be_bytes()).unwrap();
    out.write_all(b"mdat").unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut left = mdat_len;
    while left > 0 {
        let n = left.min(1 << 20);
        out.write_all(&chunk[..usize::try_from(n).unwrap()]).unwrap();
        left -= n;
    }
    let mut stsz = be(&[0, 0, samples]);
    stsz.extend(be(&sizes));
    let mut mp4a = vec![0u8; 6];
    mp4a.extend_from_slice(&[0, 1]);
    mp4a.extend_from_slice(&[0; 8]);
    mp4a.extend_from_slice(&[0, 2, 0, 16, 0, 0, 0, 0]);
    mp4a.extend(be(&[44_100 << 16]));
    let stbl = [
        bx(b"stsd", &[be(&[0, 1]), bx(b"mp4a", &mp4a)].concat()),
        bx(b"stts", &be(&[0, 2, samples - 1, 1024, 1, 360])),
        bx(b"stsz", &stsz),
    ]
    .concat();
    let mdhd = be(&[0, 0, 0, 44_100, 0, 0]);
    let hdlr = [be(&[0, 0]), b"soun".to_vec(), be(&[0, 0, 0]), b"\0".to_vec()].concat();
    let mdia = [bx(b"mdhd", &mdhd), bx(b"hdlr", &hdlr), bx(b"minf", &bx(b"stbl", &stbl))].concat();
    let mut tkhd = be(&[3, 0, 0, 1]);
    tkhd.resize(84, 0);
    let elst = bx(b"edts", &bx(b"elst", &be(&[0, 1, 3_600_000, 1024, 0x0001_0000])));
    let trak = bx(b"trak", &[bx(b"tkhd", &tkhd), elst, bx(b"mdia", &mdia)].concat());
    let mut mvhd = be(&[0, 0, 0, 1000, 3_600_000]);
    mvhd.resize(100, 0);
    out.write_all(&bx(b"moov", &[bx(b"mvhd", &mvhd), trak].concat())).unwrap();
    out.flush().unwrap();
}

fn bench_files(c: &mut Criterion, group: &str, files: &[(String, PathBuf)]) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for (name, path) in files {
        // Check once that the probe succeeds, so a broken file cannot look fast.
        let info = podmark::probe::probe_path(path).unwrap();
        eprintln!("{name}: {} samples = {}", info.samples, info.duration);
        g.bench_function(name.as_str(), |b| b.iter(|| podmark::probe::probe_path(path).unwrap()));
    }
    g.finish();
}

fn probe(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let noxing = dir.path().join("vbr_noxing.mp3");
    let xing = dir.path().join("vbr_xing.mp3");
    let m4a = dir.path().join("long.m4a");
    write_mp3(&noxing, false);
    write_mp3(&xing, true);
    write_m4a(&m4a);
    let synthetic = [
        ("mp3_vbr_noxing_60min".to_owned(), noxing),
        ("mp3_vbr_xing_60min".to_owned(), xing),
        ("m4a_60min".to_owned(), m4a),
    ];
    bench_files(c, "probe_synthetic", &synthetic);

    if let Some(real) = std::env::var_os("PODMARK_BENCH_AUDIO") {
        let real = PathBuf::from(real);
        let files: Vec<(String, PathBuf)> = ["long_vbr_noxing.mp3", "long_vbr.mp3", "long.m4a"]
            .iter()
            .map(|n| (n.replace('.', "_"), real.join(n)))
            .filter(|(_, p)| p.exists())
            .collect();
        bench_files(c, "probe_real", &files);
    }
}

criterion_group!(benches, probe);
criterion_main!(benches);
