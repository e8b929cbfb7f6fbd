//! MP4 chapters: `chpl` v1 and a QuickTime chapter track, on the committed fixtures
//! (`scripts/make-mp4-fixtures.sh`), read back by podmark and — in the interop tests — by
//! ffprobe, MediaInfo, mutagen and AtomicParsley.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use podmark::formats::Format;
use podmark::tag::{self, TagError, TagOptions, WriteMode, mp4};
use podmark::{Chapter, Chapters, Timestamp};
use proptest::prelude::*;

use common::{fixture, mutagen_python, node_package, require_tools, run_tool};

use common::SEED_TITLES;

const SEED_MS: [u64; 13] = [
    0, 15_856, 189_881, 433_470, 636_528, 1_007_676, 1_205_951, 1_400_151, 1_731_166, 1_859_221, 2_069_919, 2_345_470,
    2_999_433,
];

/// The 13 chapters of the seed show notes, parsed by podmark's show-notes reader.
fn seed_chapters() -> Chapters {
    let text = std::fs::read_to_string(fixture("shownotes/seed-eigencast-020.txt")).unwrap();
    let c = Format::Notes.read(&text).into_chapters().unwrap();
    assert_eq!(c.len(), 13);
    c
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ms(n: u64) -> Timestamp {
    Timestamp::from_millis(n).unwrap()
}

/// Copies a fixture into a fresh temporary folder.
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(fixture(&format!("mp4/{name}")), &path).unwrap();
    (dir, path)
}

/// Top-level boxes: (type, offset, size).
fn top_boxes(b: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= b.len() {
        let size = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let size = if size == 0 { b.len() - at } else { size };
        assert!(size >= 8, "box size {size} at {at}");
        out.push((b[at + 4..at + 8].try_into().unwrap(), at, size));
        at += size;
    }
    assert_eq!(at, b.len(), "top-level boxes cover the file");
    out
}

fn kinds(b: &[u8]) -> Vec<String> {
    top_boxes(b).iter().map(|(k, _, _)| String::from_utf8_lossy(k).into_owned()).collect()
}

/// Whether the audio of `before` is unchanged in `after`: the largest `mdat` of `after` ends with
/// the payload of the largest `mdat` of `before`. (With `moov` first, the chapter samples open
/// that `mdat`, ahead of the audio: see `layout.rs`.)
fn same_audio(after: &[u8], before: &[u8]) -> bool {
    audio_mdat(after).ends_with(audio_mdat(before))
}

/// The payload of the largest `mdat` (the audio).
fn audio_mdat(b: &[u8]) -> &[u8] {
    let (_, at, size) = top_boxes(b).into_iter().filter(|(k, _, _)| k == b"mdat").max_by_key(|&(_, _, s)| s).unwrap();
    &b[at + 8..at + size]
}

/// The bytes of the box at a path of types, searching only the containers on the way.
fn find_box<'a>(b: &'a [u8], path: &[&[u8; 4]]) -> Option<&'a [u8]> {
    let (first, rest) = path.split_first()?;
    let mut at = 0;
    while at + 8 <= b.len() {
        let size = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        if size < 8 || at + size > b.len() {
            return None;
        }
        if &&b[at + 4..at + 8] == first {
            let whole = &b[at..at + size];
            if rest.is_empty() {
                return Some(whole);
            }
            let skip = if *first == b"meta" { 12 } else { 8 };
            return find_box(&whole[skip..], rest);
        }
        at += size;
    }
    None
}

/// The total size of the chapter samples (the last track's `stsz`).
fn chapter_sample_total(b: &[u8]) -> usize {
    let moov = find_box(b, &[b"moov"]).unwrap();
    let mut at = 8;
    let mut last = None;
    while at + 8 <= moov.len() {
        let size = u32::from_be_bytes(moov[at..at + 4].try_into().unwrap()) as usize;
        if &moov[at + 4..at + 8] == b"trak" {
            last = Some(&moov[at..at + size]);
        }
        at += size.max(8);
    }
    let stsz = find_box(last.unwrap(), &[b"trak", b"mdia", b"minf", b"stbl", b"stsz"]).unwrap();
    let count = u32::from_be_bytes(stsz[16..20].try_into().unwrap()) as usize;
    (0..count).map(|i| u32::from_be_bytes(stsz[20 + 4 * i..24 + 4 * i].try_into().unwrap()) as usize).sum()
}

fn count_traks(b: &[u8]) -> usize {
    let moov = find_box(b, &[b"moov"]).unwrap();
    top_boxes_within(&moov[8..]).iter().filter(|k| *k == b"trak").count()
}

fn top_boxes_within(b: &[u8]) -> Vec<[u8; 4]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= b.len() {
        let size = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        out.push(b[at + 4..at + 8].try_into().unwrap());
        at += size.max(8);
    }
    out
}

fn assert_seed(chapters: &Chapters) {
    let titles: Vec<&str> = chapters.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, SEED_TITLES);
    let starts: Vec<Timestamp> = chapters.iter().map(|c| c.start).collect();
    assert_eq!(starts, SEED_MS.map(ms));
    assert_eq!(chapters.duration(), Some(t("51:00")));
    assert_eq!(chapters.end_of(12), Some(t("51:00")));
}

#[test]
fn seed_chapters_in_both_layouts_round_trip_and_retag_is_byte_identical() {
    for (name, moov_first) in [("seed-last.m4a", false), ("seed-first.m4b", true)] {
        let (_dir, path) = scratch(name);
        let before = std::fs::read(&path).unwrap();
        let report = tag::embed(&path, &seed_chapters(), &TagOptions::new()).unwrap();
        assert_eq!(report.chapters, 13);
        assert_eq!(report.mode, WriteMode::Rewritten, "{name}: no free space to grow into");
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let after = std::fs::read(&path).unwrap();
        assert_eq!(report.bytes_after, after.len() as u64);

        let layout = kinds(&after);
        let moov = layout.iter().position(|k| k == "moov").unwrap();
        let audio = top_boxes(&after).iter().position(|(k, _, s)| k == b"mdat" && *s > 100_000).unwrap();
        assert_eq!(moov < audio, moov_first, "{name}: {layout:?}");
        if moov_first {
            // moov, then one mdat: the chapter samples, 4 KiB of zeros, the audio.
            assert_eq!(&layout[moov..], ["moov", "mdat"], "{name}");
            let mdat = audio_mdat(&after);
            let sizes = chapter_sample_total(&after);
            assert!(mdat[sizes..sizes + 4096].iter().all(|&b| b == 0), "{name}: padding inside the mdat");
        } else {
            // New region: moov, the chapter samples' mdat, 4 KiB of padding.
            assert_eq!(&layout[moov..moov + 3], ["moov", "mdat", "free"], "{name}");
        }
        assert!(same_audio(&after, &before), "{name}: audio bytes unchanged");
        assert_eq!(find_box(&after, &[b"moov", b"udta", b"meta"]), find_box(&before, &[b"moov", b"udta", b"meta"]));

        assert_seed(&tag::extract(&path).unwrap());

        let again = tag::embed(&path, &seed_chapters(), &TagOptions::new()).unwrap();
        assert_eq!(again.mode, WriteMode::Unchanged);
        assert_eq!(std::fs::read(&path).unwrap(), after, "{name}: tagging twice is byte-identical");
    }
}

#[test]
fn metadata_cover_and_audio_survive_in_every_short_fixture() {
    let chapters = Chapters::new(vec![
        Chapter::new(ms(0), "Opening"),
        Chapter::new(ms(3_250), "Ünïcödé — “quotes” & <xml>").with_url("https://example.com/a?b=c&d"),
        Chapter::new(ms(9_999), "Last"),
    ])
    .unwrap();
    for name in ["short-first.m4a", "short-last.m4a", "short-first.m4b", "short-last.m4b"] {
        let (_dir, path) = scratch(name);
        let before = std::fs::read(&path).unwrap();
        tag::embed(&path, &chapters, &TagOptions::new()).unwrap();
        let after = std::fs::read(&path).unwrap();
        assert_eq!(after[..28], before[..28], "ftyp (M4A/M4B brand) kept");
        let ilst = find_box(&before, &[b"moov", b"udta", b"meta", b"ilst"]).unwrap();
        assert!(ilst.windows(4).any(|w| w == b"covr"), "fixture has cover art");
        assert_eq!(find_box(&after, &[b"moov", b"udta", b"meta", b"ilst"]), Some(ilst), "{name}: ©nam, ©ART, covr");
        assert!(same_audio(&after, &before), "{name}");
        assert_eq!(count_traks(&after), 2);
        let back = tag::extract(&path).unwrap();
        assert_eq!(
            back.as_slice().iter().map(|c| (&c.title, c.start)).collect::<Vec<_>>(),
            chapters.iter().map(|c| (&c.title, c.start)).collect::<Vec<_>>()
        );
        assert_eq!(back.as_slice()[1].url.as_deref(), Some("https://example.com/a?b=c&d"), "href round trip");
        assert_eq!(back.duration(), Some(t("12")));
    }
}

#[test]
fn strip_then_retag_work_in_place_and_return_to_the_same_bytes() {
    let (_dir, path) = scratch("short-first.m4a");
    tag::embed(&path, &seed_short(), &TagOptions::new()).unwrap();
    let tagged = std::fs::read(&path).unwrap();

    let r = tag::strip(&path, &TagOptions::new()).unwrap();
    assert_eq!((r.mode, r.chapters), (WriteMode::InPlace, 0));
    let stripped = std::fs::read(&path).unwrap();
    assert_eq!(stripped.len(), tagged.len(), "in place: same length");
    assert_eq!(count_traks(&stripped), 1);
    assert!(find_box(&stripped, &[b"moov", b"udta", b"chpl"]).is_none());
    assert!(find_box(&stripped, &[b"moov", b"trak", b"tref"]).is_none(), "tref/chap removed with the track");
    assert!(tag::extract(&path).unwrap().is_empty());
    assert_eq!(tag::strip(&path, &TagOptions::new()).unwrap().mode, WriteMode::Unchanged);

    let r = tag::embed(&path, &seed_short(), &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::InPlace);
    assert_eq!(std::fs::read(&path).unwrap(), tagged);

    // Longer titles still fit in the 4 KiB of padding: in place again, audio where it was.
    let longer =
        Chapters::new(seed_short().iter().map(|c| Chapter::new(c.start, c.title.repeat(20))).collect()).unwrap();
    let r = tag::embed(&path, &longer, &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::InPlace);
    let now = std::fs::read(&path).unwrap();
    assert_eq!(now.len(), tagged.len());
    let audio_at = tagged.len() - audio_mdat(&tagged).len() + chapter_sample_total(&tagged) + 4096;
    assert_eq!(now[audio_at..], tagged[audio_at..], "audio where it was");
    assert_eq!(tag::extract(&path).unwrap().as_slice()[2].title, "Three".repeat(20));
}

fn seed_short() -> Chapters {
    Chapters::new(vec![Chapter::new(ms(0), "One"), Chapter::new(ms(4_000), "Two"), Chapter::new(ms(8_123), "Three")])
        .unwrap()
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let (_dir, path) = scratch("short-last.m4b");
    let before = std::fs::read(&path).unwrap();
    let r = tag::embed(&path, &seed_short(), &TagOptions::new().dry_run(true)).unwrap();
    assert_eq!(r.mode, WriteMode::DryRun);
    assert!(r.bytes_after > r.bytes_before);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn replaces_ffmpeg_chapters_and_keeps_one_chapter_track() {
    let (_dir, path) = scratch("short-ffmpeg-chapters.m4a");
    let theirs = tag::extract(&path).unwrap();
    assert_eq!(
        theirs.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["FFmpeg one", "FFmpeg two", "FFmpeg three"]
    );
    tag::embed(&path, &seed_short(), &TagOptions::new()).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(count_traks(&after), 2, "FFmpeg's chapter track was replaced, not added to");
    let ours = tag::extract(&path).unwrap();
    assert_eq!(ours.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["One", "Two", "Three"]);
    // Only one chpl, version 1.
    let chpl = find_box(&after, &[b"moov", b"udta", b"chpl"]).unwrap();
    assert_eq!(chpl[8], 1);
    assert_eq!(chpl[16], 3);
}

#[test]
fn three_hundred_chapters_with_300_byte_titles_follow_the_documented_policy() {
    let (_dir, path) = scratch("seed-last.m4a");
    let title = |i: usize| format!("{i:03} {}", "€".repeat(99)); // 4 + 297 = 301 bytes
    let list: Vec<Chapter> = (0..300).map(|i| Chapter::new(ms(i as u64 * 10_000), title(i))).collect();
    let r = tag::embed(&path, &Chapters::new(list).unwrap(), &TagOptions::new()).unwrap();
    assert_eq!(r.chapters, 300);
    let w = r.warnings.join("\n");
    assert!(w.contains("chpl holds at most 255: chapters 256–300 are only in the QuickTime chapter track"), "{w}");
    assert!(w.contains("longer than 255 bytes: cut at a character boundary"), "{w}");
    // The chapter track has all 300, with whole titles.
    let back = tag::extract(&path).unwrap();
    assert_eq!(back.len(), 300);
    assert_eq!(back.as_slice()[299].title, title(299));
    // chpl: count 255, titles cut to 253 bytes (4 + 83 × 3): the last whole '€' before byte 255.
    let after = std::fs::read(&path).unwrap();
    let chpl = find_box(&after, &[b"moov", b"udta", b"chpl"]).unwrap();
    assert_eq!(chpl[16], 255);
    assert_eq!(chpl[25], 253);
    assert_eq!(std::str::from_utf8(&chpl[26..26 + 253]).unwrap(), &title(0)[..253]);
}

#[test]
fn first_chapter_after_zero_keeps_its_start_in_chpl() {
    let (_dir, path) = scratch("short-first.m4a");
    let c = Chapters::new(vec![Chapter::new(ms(2_000), "Late"), Chapter::new(ms(6_000), "Later")]).unwrap();
    let r = tag::embed(&path, &c, &TagOptions::new()).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("starts it at 0:00")), "{:?}", r.warnings);
    let back = tag::extract(&path).unwrap();
    assert_eq!(back.as_slice().iter().map(|c| c.start).collect::<Vec<_>>(), [ms(2_000), ms(6_000)]);
}

#[test]
fn chapters_past_the_audio_are_an_error_and_change_nothing() {
    let (_dir, path) = scratch("short-last.m4a");
    let before = std::fs::read(&path).unwrap();
    let c = Chapters::new(vec![
        Chapter::new(ms(0), "In"),
        Chapter::new(ms(12_000), "At the end"),
        Chapter::new(ms(60_000), "Out"),
    ])
    .unwrap();
    let e = tag::embed(&path, &c, &TagOptions::new()).unwrap_err();
    let TagError::Chapters { message, .. } = &e else { panic!("{e}") };
    assert!(message.contains("chapter 2 \"At the end\" starts at 00:00:12.000"), "{message}");
    assert!(message.contains("chapter 3 \"Out\""), "every problem is reported: {message}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn stream_api_writes_the_same_bytes_as_the_file_api() {
    let (_dir, path) = scratch("seed-first.m4b");
    let input = std::fs::read(&path).unwrap();
    let mut out = Vec::new();
    let r = mp4::embed_stream(Cursor::new(&input), &mut out, &seed_chapters(), &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::Rewritten);
    tag::embed(&path, &seed_chapters(), &TagOptions::new()).unwrap();
    assert_eq!(out, std::fs::read(&path).unwrap());
    assert_seed(&mp4::extract_from(Cursor::new(&out)).unwrap());
}

/// A damaged copy of `short-last.m4a`: `edit` changes its bytes.
fn damaged(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = std::fs::read(fixture("mp4/short-last.m4a")).unwrap();
    edit(&mut b);
    b
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

#[test]
fn bad_input_is_an_error_with_a_byte_offset_and_leaves_the_file_untouched() {
    let clean = std::fs::read(fixture("mp4/short-last.m4a")).unwrap();
    let tops = top_boxes(&clean);
    let (_, moov_at, moov_size) = *tops.iter().find(|(k, _, _)| k == b"moov").unwrap();
    let (_, mdat_at, _) = *tops.iter().find(|(k, _, _)| k == b"mdat").unwrap();
    let cases: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        ("truncated in moov", clean[..moov_at + 500].to_vec(), moov_at as u64, "claims"),
        ("truncated header", clean[..moov_at + 5].to_vec(), moov_at as u64, "truncated box header"),
        ("size past the end", damaged(|b| set_u32(b, mdat_at, 0x7fff_ffff)), mdat_at as u64, "claims 2147483647 bytes"),
        ("size below header", damaged(|b| set_u32(b, mdat_at, 3)), mdat_at as u64, "smaller than its 8-byte header"),
        (
            "64-bit size too small",
            damaged(|b| {
                set_u32(b, moov_at, 1);
                b[moov_at + 8..moov_at + 16].copy_from_slice(&8u64.to_be_bytes());
            }),
            moov_at as u64,
            "smaller than its 16-byte header",
        ),
        (
            "child past its parent",
            damaged(|b| set_u32(b, moov_at + 8, u32::try_from(moov_size).unwrap())),
            moov_at as u64 + 8,
            "remain in its parent",
        ),
        ("size 0 on moov's first child", damaged(|b| set_u32(b, moov_at + 8, 0)), moov_at as u64 + 8, "mvhd"),
        ("not MP4", b"ID3\x04\x00\x00\x00\x00\x00\x00 not an mp4 file at all".to_vec(), 0, "not an MP4 file"),
        ("text", b"just some text that is long enough".to_vec(), 0, "not an MP4 file"),
        ("empty", Vec::new(), 0, "empty"),
        (
            "no moov",
            damaged(|b| b[moov_at + 4..moov_at + 8].copy_from_slice(b"free")),
            clean.len() as u64,
            "no 'moov' box",
        ),
        (
            "fragmented",
            damaged(|b| b[mdat_at - 8 + 4..mdat_at - 8 + 8].copy_from_slice(b"moof")),
            (mdat_at - 8) as u64,
            "fragmented",
        ),
        (
            "moov inside moov",
            {
                let mut b = clean[..moov_at].to_vec();
                let inner = &clean[moov_at..moov_at + moov_size];
                b.extend_from_slice(&u32::try_from(moov_size + 8).unwrap().to_be_bytes());
                b.extend_from_slice(b"moov");
                b.extend_from_slice(inner);
                b
            },
            (moov_at + 8) as u64,
            "mvhd",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, bytes, offset, needle) in cases {
        let path = dir.path().join("bad.m4a");
        std::fs::write(&path, &bytes).unwrap();
        for result in [
            mp4::embed(&path, &seed_short(), &TagOptions::new()).map(|_| ()),
            mp4::strip(&path, &TagOptions::new()).map(|_| ()),
            mp4::extract(&path).map(|_| ()),
        ] {
            match result {
                Err(TagError::Format { offset: o, message, .. }) => {
                    assert!(message.contains(needle), "{what}: {message}");
                    if !needle.is_empty() {
                        assert_eq!(o, offset, "{what}: {message}");
                    }
                }
                other => panic!("{what}: expected a format error, got {other:?}"),
            }
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{what}: file untouched");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{what}: no temporary file left");
    }
}

#[test]
fn a_read_only_file_is_an_io_error_and_unchanged() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = scratch("short-first.m4a");
    let before = std::fs::read(&path).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let r = tag::embed(&path, &seed_short(), &TagOptions::new());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    if nix_is_root() {
        return; // root writes anywhere
    }
    assert!(matches!(r, Err(TagError::Io { .. })), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

fn nix_is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"))
}

fn arb_chapters() -> impl Strategy<Value = Chapters> {
    let title = prop_oneof![
        "[a-zA-Z0-9 ]{0,20}",
        "\\PC{0,100}",
        Just("é".repeat(140)), // 280 bytes: cut in chpl
    ];
    let url = proptest::option::of("https://[a-z]{1,20}\\.example/[a-z0-9]{0,40}");
    proptest::collection::vec((1u64..40, title, url), 1..40).prop_map(|items| {
        let mut at = 0u64;
        let list = items
            .into_iter()
            .enumerate()
            .map(|(i, (gap, title, url))| {
                // Starts at exact milliseconds or at 100 ns steps, all inside the 12 s audio.
                if i > 0 {
                    at += gap * 7;
                }
                let mut c =
                    Chapter::new(Timestamp::from_nanos(at * 1_000_000 + (gap % 3) * 100 * u64::from(i > 0)), title);
                c.url = url;
                c
            })
            .collect();
        Chapters::new(list).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_chapters_round_trip_and_retag_identically(chapters in arb_chapters()) {
        let input = std::fs::read(fixture("mp4/short-first.m4a")).unwrap();
        let mut out = Vec::new();
        mp4::embed_stream(Cursor::new(&input), &mut out, &chapters, &TagOptions::new()).unwrap();
        let back = mp4::extract_from(Cursor::new(&out)).unwrap();
        prop_assert_eq!(back.len(), chapters.len());
        for (a, b) in back.iter().zip(chapters.iter()) {
            prop_assert_eq!(&a.title, &b.title);
            prop_assert_eq!(a.start, b.start);
            prop_assert_eq!(&a.url, &b.url);
        }
        let mut again = Vec::new();
        let r = mp4::embed_stream(Cursor::new(&out), &mut again, &chapters, &TagOptions::new()).unwrap();
        prop_assert_eq!(r.mode, WriteMode::Unchanged);
        prop_assert_eq!(again, out);
    }

    #[test]
    fn damaged_files_never_panic(flips in proptest::collection::vec((0usize..30_000, any::<u8>()), 1..8), cut in 0usize..30_000) {
        let mut b = std::fs::read(fixture("mp4/short-first.m4a")).unwrap();
        for (at, v) in flips {
            if let Some(x) = b.get_mut(at) { *x = v; }
        }
        b.truncate(cut.max(8));
        let _ = mp4::extract_from(Cursor::new(&b));
        let mut out = Vec::new();
        if mp4::embed_stream(Cursor::new(&b), &mut out, &seed_short(), &TagOptions::new()).is_ok() {
            prop_assert!(mp4::extract_from(Cursor::new(&out)).is_ok());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Interop: what other readers see.

/// `(start ms, title)` of ffprobe's chapters, and the last chapter's end in ms.
fn ffprobe_chapters(path: &Path) -> (Vec<(u64, String)>, u64) {
    let out = run_tool("ffprobe", &["-v", "error", "-show_chapters", "-of", "json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = v["chapters"].as_array().unwrap();
    let secs_ms = |s: &serde_json::Value| s.as_str().unwrap().parse::<Timestamp>().unwrap().as_millis();
    let chapters =
        list.iter().map(|c| (secs_ms(&c["start_time"]), c["tags"]["title"].as_str().unwrap().to_owned())).collect();
    let end = list.last().map_or(0, |c| secs_ms(&c["end_time"]));
    (chapters, end)
}

/// MediaInfo's menus: each a list of `(HH:MM:SS.mmm, title)`.
fn mediainfo_menus(path: &Path) -> Vec<Vec<(String, String)>> {
    let out = run_tool("mediainfo", &[path.to_str().unwrap()]);
    let mut menus: Vec<Vec<(String, String)>> = Vec::new();
    let mut in_menu = false;
    for line in out.lines() {
        if line == "Menu" || line.starts_with("Menu #") {
            in_menu = true;
            menus.push(Vec::new());
            continue;
        }
        if line.trim().is_empty() || !in_menu {
            continue;
        }
        let Some((key, value)) = line.split_once(" : ") else { continue };
        let key = key.trim();
        if key.len() == 12 && key.as_bytes()[2] == b':' && key.as_bytes()[8] == b'.' {
            menus.last_mut().unwrap().push((key.to_owned(), value.trim().to_owned()));
        }
    }
    menus
}

/// `(start ms, title)` as mutagen reads them from `chpl`.
fn mutagen_chapters(py: &Path, path: &Path) -> Vec<(u64, String)> {
    let script = "import sys, json\nfrom mutagen.mp4 import MP4\nm = MP4(sys.argv[1])\n\
                  print(json.dumps([[round(c.start * 1000), c.title] for c in (m.chapters or [])]))";
    let out = run_tool(py.to_str().unwrap(), &["-c", script, path.to_str().unwrap()]);
    let v: Vec<(u64, String)> = serde_json::from_str(out.trim()).unwrap();
    v
}

fn hms(ms: u64) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

fn packet_md5(path: &Path, decode: bool) -> String {
    let p = path.to_str().unwrap();
    let mut args = vec!["-v", "error", "-i", p, "-map", "0:a"];
    if !decode {
        args.extend(["-c", "copy"]);
    }
    args.extend(["-f", "md5", "-"]);
    run_tool("ffmpeg", &args)
}

#[test]
fn interop_seed_chapters_in_ffprobe_mediainfo_mutagen_atomicparsley() {
    if !require_tools(&["ffprobe", "ffmpeg", "mediainfo", "AtomicParsley"]) {
        return;
    }
    let Some(py) = mutagen_python() else { return };
    let expected: Vec<(u64, String)> = SEED_MS.iter().zip(SEED_TITLES).map(|(&m, t)| (m, t.to_owned())).collect();
    for name in ["seed-last.m4a", "seed-first.m4b"] {
        let (dir, path) = scratch(name);
        tag::embed(&path, &seed_chapters(), &TagOptions::new()).unwrap();

        let (ff, end) = ffprobe_chapters(&path);
        assert_eq!(ff, expected, "{name}: ffprobe");
        assert_eq!(end, 3_060_000, "{name}: the last chapter ends at the audio's end");

        let menus = mediainfo_menus(&path);
        let want: Vec<(String, String)> = expected.iter().map(|(m, t)| (hms(*m), t.clone())).collect();
        assert_eq!(menus.len(), 2, "{name}: MediaInfo shows the chapter track and chpl: {menus:?}");
        assert!(menus.iter().all(|m| *m == want), "{name}: MediaInfo {menus:?}");

        assert_eq!(mutagen_chapters(&py, &path), expected, "{name}: mutagen reads chpl");

        let ap = Command::new("AtomicParsley").arg(&path).arg("-T").output().unwrap();
        let text =
            String::from_utf8_lossy(&ap.stdout).to_lowercase() + &String::from_utf8_lossy(&ap.stderr).to_lowercase();
        assert!(ap.status.success() && !text.contains("error") && !text.contains("warning"), "{name}: {text}");
        assert!(text.contains("atom chpl"), "{name}: AtomicParsley walks to chpl");

        let original = fixture(&format!("mp4/{name}"));
        assert_eq!(packet_md5(&path, false), packet_md5(&original, false), "{name}: audio packets");
        assert_eq!(packet_md5(&path, true), packet_md5(&original, true), "{name}: decoded audio");

        // ffmpeg -c copy of the tagged file keeps the chapters.
        let copy = dir.path().join("copy.m4a");
        run_tool("ffmpeg", &["-v", "error", "-i", path.to_str().unwrap(), "-c", "copy", copy.to_str().unwrap()]);
        assert_eq!(ffprobe_chapters(&copy).0, expected, "{name}: after ffmpeg -c copy");
    }
}

#[test]
fn interop_300_chapters_and_300_byte_titles() {
    if !require_tools(&["ffprobe", "mediainfo"]) {
        return;
    }
    let Some(py) = mutagen_python() else { return };
    let (_dir, path) = scratch("seed-first.m4b");
    let title = |i: usize| format!("{i:03} {}", "ü".repeat(148)); // 4 + 296 = 300 bytes
    let list: Vec<Chapter> = (0..300).map(|i| Chapter::new(ms(i as u64 * 10_000), title(i))).collect();
    tag::embed(&path, &Chapters::new(list).unwrap(), &TagOptions::new()).unwrap();

    let (ff, end) = ffprobe_chapters(&path);
    assert_eq!(ff.len(), 300, "ffprobe reads the chapter track");
    assert_eq!(ff[299], (2_990_000, title(299)));
    assert_eq!(end, 3_060_000);

    let m = mutagen_chapters(&py, &path);
    assert_eq!(m.len(), 255, "chpl holds the first 255");
    assert_eq!(m[254].1, title(254)[..254], "cut at a character boundary (254 bytes: 4 + 125 × 2)");

    let menus = mediainfo_menus(&path);
    assert_eq!(
        menus.iter().map(Vec::len).collect::<Vec<_>>(),
        [300, 255],
        "{:?}",
        menus.iter().map(Vec::len).collect::<Vec<_>>()
    );
}

#[test]
fn interop_href_and_late_first_chapter_do_not_confuse_readers() {
    if !require_tools(&["ffprobe", "mediainfo"]) {
        return;
    }
    let Some(py) = mutagen_python() else { return };
    let (_dir, path) = scratch("short-last.m4b");
    let c = Chapters::new(vec![
        Chapter::new(ms(1_500), "Late start").with_url("https://example.com/one"),
        Chapter::new(ms(6_000), "Second").with_url("https://example.com/two"),
    ])
    .unwrap();
    tag::embed(&path, &c, &TagOptions::new()).unwrap();
    // The track starts the first chapter at 0 (ffprobe prefers the track); chpl keeps 1.5 s.
    assert_eq!(ffprobe_chapters(&path).0, [(0, "Late start".to_owned()), (6_000, "Second".to_owned())]);
    assert_eq!(mutagen_chapters(&py, &path), [(1_500, "Late start".to_owned()), (6_000, "Second".to_owned())]);
    let menus = mediainfo_menus(&path);
    assert_eq!(
        menus[0],
        [("00:00:00.000".to_owned(), "Late start".to_owned()), ("00:00:06.000".to_owned(), "Second".to_owned())]
    );
}

#[test]
fn cli_tags_strips_and_extracts_m4b() {
    let (dir, path) = scratch("short-first.m4b");
    let chapters = dir.path().join("chapters.txt");
    std::fs::write(&chapters, "00:00:00.000 Intro\n00:00:05.250 Zweites Kapitel – „Ü“\n").unwrap();
    let tag = assert_cmd::Command::cargo_bin("podmark")
        .unwrap()
        .args(["tag", path.to_str().unwrap(), "--chapters", chapters.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(tag.status.success(), "{}", String::from_utf8_lossy(&tag.stderr));
    let out = assert_cmd::Command::cargo_bin("podmark")
        .unwrap()
        .args(["chapters", "extract", path.to_str().unwrap(), "--to", "text"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("00:00:05.250 Zweites Kapitel – „Ü“"), "{text}");
    let strip = assert_cmd::Command::cargo_bin("podmark")
        .unwrap()
        .args(["tag", path.to_str().unwrap(), "--strip-chapters"])
        .output()
        .unwrap();
    assert!(strip.status.success());
    assert!(tag::extract(&path).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Files with the structure of Auphonic's and Hindenburg's (chapter image tracks, several text
// chapter tracks), an `isom` brand, and music-metadata.

/// Three chapters for the 3-second fixtures.
fn tiny_chapters() -> Chapters {
    Chapters::new(vec![Chapter::new(ms(0), "One"), Chapter::new(ms(1_000), "Two"), Chapter::new(ms(2_250), "Three")])
        .unwrap()
}

/// `(title, start, url)` of chapters, to compare lists.
fn triples(list: &[Chapter]) -> Vec<(String, Timestamp, Option<String>)> {
    list.iter().map(|c| (c.title.clone(), c.start, c.url.clone())).collect()
}

/// The chapters `podmark probe` lists.
fn probed(path: &Path) -> Vec<Chapter> {
    podmark::probe::probe_path(path).unwrap().chapters.map(|c| c.list).unwrap_or_default()
}

/// The `trak` boxes of the file's `moov`, whole.
fn traks(b: &[u8]) -> Vec<&[u8]> {
    let moov = find_box(b, &[b"moov"]).unwrap();
    let mut out = Vec::new();
    let mut at = 8;
    while at + 8 <= moov.len() {
        let size = u32::from_be_bytes(moov[at..at + 4].try_into().unwrap()) as usize;
        if &moov[at + 4..at + 8] == b"trak" {
            out.push(&moov[at..at + size]);
        }
        at += size.max(8);
    }
    out
}

/// A track's handler type.
fn handler(trak: &[u8]) -> [u8; 4] {
    let h = find_box(trak, &[b"trak", b"mdia", b"hdlr"]).unwrap();
    h[16..20].try_into().unwrap()
}

/// A track's ID.
fn track_id(trak: &[u8]) -> u32 {
    let h = find_box(trak, &[b"trak", b"tkhd"]).unwrap();
    u32::from_be_bytes(h[20..24].try_into().unwrap())
}

/// The 32-bit entries of a box after `skip` bytes of its payload (8 for stco: flags and count).
fn table(b: &[u8], skip: usize) -> Vec<u32> {
    b[8 + skip..].chunks_exact(4).map(|c| u32::from_be_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn probe_and_extract_read_the_same_chapters_from_every_mp4_fixture() {
    for name in [
        "auphonic-like.m4a",
        "hindenburg-like.m4a",
        "short-ffmpeg-chapters.m4a",
        "short-first.m4a",
        "isom-brand.mp4",
        "he-aac.m4a",
    ] {
        let path = fixture(&format!("mp4/{name}"));
        let extracted = tag::extract(&path).unwrap();
        assert_eq!(triples(&probed(&path)), triples(extracted.as_slice()), "{name}");
    }
    // Auphonic: titles from the text track, never the JPEG samples of the image track.
    let titles: Vec<String> = probed(&fixture("mp4/auphonic-like.m4a")).into_iter().map(|c| c.title).collect();
    assert_eq!(titles, ["Chapter 1 - ❤️😊", "Chapter 2 - ßöÄ", "Chapter 3 - 爱"]);
    // Hindenburg: two text tracks named by tref/chap [1, 3, 4]; the last one, as ffprobe.
    let list = probed(&fixture("mp4/hindenburg-like.m4a"));
    assert_eq!(
        list.iter().map(|c| (c.title.as_str(), c.url.as_deref())).collect::<Vec<_>>(),
        [
            ("URL Title for Chapter 1", Some("https://example.com/chapter1url")),
            ("URL Title for Chapter 2", Some("https://example.com/chapter2url"))
        ]
    );
}

#[test]
fn retagging_keeps_the_chapter_image_track_and_lists_only_the_new_chapters() {
    for (name, image_id, images) in [("auphonic-like.m4a", 4, 3), ("hindenburg-like.m4a", 4, 2)] {
        let (_dir, path) = scratch(name);
        let before = std::fs::read(&path).unwrap();
        let r = tag::embed(&path, &tiny_chapters(), &TagOptions::new()).unwrap();
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains(&format!("kept the chapter-image track (track {image_id}, {images} JPEG"))),
            "{name}: {:?}",
            r.warnings
        );
        let after = std::fs::read(&path).unwrap();
        // In place, and nothing from the first image sample on changed (images and audio).
        assert_eq!(r.mode, WriteMode::InPlace, "{name}");
        let old_image = traks(&before).into_iter().find(|t| handler(t) == *b"vide").unwrap();
        let first = table(find_box(old_image, &[b"trak", b"mdia", b"minf", b"stbl", b"stco"]).unwrap(), 8)[0] as usize;
        assert_eq!(after[first..], before[first..], "{name}");

        // Only the new chapters, in probe and extract alike.
        let want: Vec<(String, Timestamp, Option<String>)> =
            tiny_chapters().iter().map(|c| (c.title.clone(), c.start, None)).collect();
        assert_eq!(triples(&probed(&path)), want, "{name}: probe");
        assert_eq!(triples(tag::extract(&path).unwrap().as_slice()), want, "{name}: extract");

        // Audio, the image track and the new text track; the text tracks are gone.
        let tracks = traks(&after);
        let kinds: Vec<[u8; 4]> = tracks.iter().map(|t| handler(t)).collect();
        assert_eq!(kinds.iter().filter(|k| *k == b"vide").count(), 1, "{name}");
        assert_eq!(kinds.iter().filter(|k| *k == b"text").count(), 1, "{name}");
        let image = tracks.iter().find(|t| handler(t) == *b"vide").unwrap();
        assert_eq!(track_id(image), image_id);
        assert_eq!(image, &traks(&before).into_iter().find(|t| handler(t) == *b"vide").unwrap(), "{name}: image trak");
        // Its samples are still JPEG pictures where its chunk table says.
        let stco = find_box(image, &[b"trak", b"mdia", b"minf", b"stbl", b"stco"]).unwrap();
        let offsets = table(stco, 8);
        assert_eq!(offsets.len(), images, "{name}");
        for o in offsets {
            assert_eq!(after[o as usize..o as usize + 2], [0xFF, 0xD8], "{name}: JPEG at {o}");
        }
        // The audio track still names the image track, and the new text track, in tref/chap.
        let audio = tracks.iter().find(|t| handler(t) == *b"soun").unwrap();
        let chap = table(find_box(audio, &[b"trak", b"tref", b"chap"]).unwrap(), 0);
        let text = tracks.iter().find(|t| handler(t) == *b"text").unwrap();
        assert_eq!(chap, [image_id, track_id(text)], "{name}");

        let again = tag::embed(&path, &tiny_chapters(), &TagOptions::new()).unwrap();
        assert_eq!(again.mode, WriteMode::Unchanged, "{name}");
    }
}

#[test]
fn an_isom_brand_mp4_is_tagged_and_keeps_its_brand() {
    let (_dir, path) = scratch("isom-brand.mp4");
    let before = std::fs::read(&path).unwrap();
    tag::embed(&path, &tiny_chapters(), &TagOptions::new()).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(after[..28], before[..28], "ftyp kept");
    let info = podmark::probe::probe_path(&path).unwrap();
    assert_eq!(info.mime, podmark::probe::Mime::AudioXM4a, "audio-only MP4 of any brand: the type Apple accepts");
    assert_eq!(triples(&probed(&path)).len(), 3);
    assert_eq!(kinds(&after), ["ftyp", "moov", "mdat"], "moov first: one mdat, the chapters at its start");
}

#[cfg(unix)]
#[test]
fn tagging_an_m4a_through_a_symlink_updates_its_target_and_keeps_the_link() {
    for name in ["short-first.m4a", "short-last.m4a"] {
        let (dir, target) = scratch(name);
        let link = dir.path().join("link.m4a");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        // Rewritten (no room in place), then in place (padding left by the rewrite).
        for expected in [WriteMode::Rewritten, WriteMode::InPlace] {
            let chapters = if expected == WriteMode::Rewritten {
                tiny_chapters()
            } else {
                Chapters::new(vec![Chapter::new(ms(0), "Only")]).unwrap()
            };
            let r = tag::embed(&link, &chapters, &TagOptions::new()).unwrap();
            assert_eq!(r.mode, expected, "{name}");
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "{name}: still a link");
            assert_eq!(std::fs::read_link(&link).unwrap(), target, "{name}");
            assert_eq!(tag::extract(&target).unwrap().len(), chapters.len(), "{name}: the target has the chapters");
        }
    }
}

/// music-metadata's view of a file (tests/clients/read_audio.mjs), or `None` (skipped) when node
/// or the package is missing; with `PODMARK_REQUIRE_INTEROP=1` a missing one fails.
fn music_metadata(path: &Path) -> Option<serde_json::Value> {
    node_package("music-metadata")?;
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let out = run_tool("node", &[clients.join("read_audio.mjs").to_str().unwrap(), path.to_str().unwrap()]);
    Some(serde_json::from_str(&out).unwrap())
}

/// `(start ms, title)` of music-metadata's chapters.
fn mm_chapters(v: &serde_json::Value) -> Vec<(u64, String)> {
    v["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let scale = c["timeScale"].as_u64().unwrap().max(1);
            (c["start"].as_u64().unwrap() * 1000 / scale, c["title"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn interop_music_metadata_reads_the_chapters_with_moov_first_and_last() {
    let expected: Vec<(u64, String)> = SEED_MS.iter().zip(SEED_TITLES).map(|(&m, t)| (m, t.to_owned())).collect();
    for name in ["seed-last.m4a", "seed-first.m4b"] {
        let (_dir, path) = scratch(name);
        tag::embed(&path, &seed_chapters(), &TagOptions::new()).unwrap();
        let Some(v) = music_metadata(&path) else { return };
        assert_eq!(mm_chapters(&v), expected, "{name}: {v}");
        assert_eq!(v["warnings"], serde_json::json!([]), "{name}");
        // Re-tagged in place, it still reads them.
        let fewer = Chapters::new(seed_chapters().iter().take(5).cloned().collect()).unwrap();
        assert_eq!(tag::embed(&path, &fewer, &TagOptions::new()).unwrap().mode, WriteMode::InPlace);
        let v = music_metadata(&path).unwrap();
        assert_eq!(mm_chapters(&v), expected[..5], "{name}: after an in-place re-tag");
    }
    for (name, chapters) in [
        ("short-first.m4a", seed_short()),
        ("short-last.m4b", seed_short()),
        ("short-ffmpeg-chapters.m4a", seed_short()),
        ("isom-brand.mp4", tiny_chapters()),
    ] {
        let short: Vec<(u64, String)> = chapters.iter().map(|c| (c.start.as_millis(), c.title.clone())).collect();
        let (_dir, path) = scratch(name);
        tag::embed(&path, &chapters, &TagOptions::new()).unwrap();
        let Some(v) = music_metadata(&path) else { return };
        assert_eq!(mm_chapters(&v), short, "{name}: {v}");
    }
}

#[test]
fn interop_readers_see_the_new_chapters_and_the_kept_image_track() {
    if !require_tools(&["ffprobe", "mediainfo", "AtomicParsley"]) {
        return;
    }
    let Some(py) = mutagen_python() else { return };
    let want: Vec<(u64, String)> = tiny_chapters().iter().map(|c| (c.start.as_millis(), c.title.clone())).collect();
    for name in ["auphonic-like.m4a", "hindenburg-like.m4a"] {
        let (_dir, path) = scratch(name);
        tag::embed(&path, &tiny_chapters(), &TagOptions::new()).unwrap();
        assert_eq!(ffprobe_chapters(&path).0, want, "{name}: ffprobe");
        let streams = run_tool(
            "ffprobe",
            &["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path.to_str().unwrap()],
        );
        assert!(streams.lines().any(|l| l == "mjpeg,video"), "{name}: the image track is still a stream: {streams}");
        assert_eq!(mutagen_chapters(&py, &path), want, "{name}: mutagen");
        let wanted: Vec<(String, String)> = want.iter().map(|(m, t)| (hms(*m), t.clone())).collect();
        let menus = mediainfo_menus(&path);
        assert!(!menus.is_empty() && menus.iter().all(|m| *m == wanted), "{name}: MediaInfo {menus:?}");
        let ap = Command::new("AtomicParsley").arg(&path).arg("-T").output().unwrap();
        let text = String::from_utf8_lossy(&ap.stdout).to_lowercase();
        assert!(ap.status.success() && text.contains("atom chpl"), "{name}: {text}");
        // music-metadata before 12 reads a chapter track only when the audio track names exactly
        // one (here it names the image track too): it must still parse the file, and whatever
        // chapters it shows are the new ones (from 12 on it reads them).
        if let Some(v) = music_metadata(&path) {
            let mm = mm_chapters(&v);
            assert!(mm.is_empty() || mm == want, "{name}: music-metadata {v}");
        }
    }
}
