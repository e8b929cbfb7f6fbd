//! Tests of the MP3 tagger on files built in memory: a few hundred silent MPEG-1 Layer III
//! frames behind hand-made ID3v2 tags.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::Chapter;
use crate::audio::id3::read::{self, Tag};
use crate::audio::id3::write;

/// One silent MPEG-1 Layer III frame: 128 kbit/s, 44.1 kHz, mono, 417 bytes, 1152 samples.
fn silent_frames(n: usize) -> Vec<u8> {
    let mut frame = vec![0u8; 417];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0xC4]);
    frame.repeat(n)
}

/// Audio of `n` frames lasts n × 1152 / 44100 s.
fn frames_duration(n: u64) -> Timestamp {
    Timestamp::from_ticks(n * 1152, 44_100).unwrap()
}

fn frame(id: &[u8; 4], body: &[u8], major: u8) -> Vec<u8> {
    write::frame(id, [0, 0], body, major).unwrap()
}

/// A tag holding `frames` (already encoded) and `padding` zero bytes.
fn tag_bytes(major: u8, frames: &[Vec<u8>], padding: usize) -> Vec<u8> {
    let body: Vec<u8> = frames.concat();
    let mut out = write::tag_header(major, body.len() + padding).unwrap().to_vec();
    out.extend_from_slice(&body);
    out.resize(out.len() + padding, 0);
    out
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn chapters(list: &[(&str, &str)]) -> Chapters {
    Chapters::new(list.iter().map(|(s, title)| Chapter::new(t(s), *title)).collect()).unwrap()
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn parse(bytes: &[u8]) -> Tag {
    let h = read::header(bytes, bytes.len() as u64).unwrap().unwrap();
    read::tag(h, bytes).unwrap()
}

/// Frames podmark must keep: text, comment, cover art, PRIV and an unknown frame.
fn others(major: u8) -> Vec<Vec<u8>> {
    let title = if major == 4 { b"\x03Episode \xc3\xbc".to_vec() } else { b"\x00Episode".to_vec() };
    vec![
        frame(b"TIT2", &title, major),
        frame(b"TPE1", b"\x00The Eigencast", major),
        frame(b"COMM", b"\x00engdesc\x00a comment", major),
        frame(b"APIC", b"\x00image/png\x00\x03cover\x00\x89PNG\r\n\x1a\nfakepng", major),
        frame(b"PRIV", b"com.example\x00\x01\x02\x03\xff\x00", major),
        frame(b"ZZZZ", b"unknown frame kept as is", major),
    ]
}

const N: usize = 600; // 15.673 s of audio

#[test]
fn first_write_rewrites_with_padding_then_retagging_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let audio = silent_frames(N);
    let p = file(dir.path(), "a.mp3", &audio);
    let ch = chapters(&[("0", "Intro"), ("5.5", "Talk"), ("10.25", "Outro")]);
    let r = embed(&p, &ch, &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::Rewritten);
    assert_eq!(r.chapters, 3);
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(r.bytes_after, bytes.len() as u64);
    let tag = parse(&bytes);
    assert_eq!(tag.major, 3, "v2.3 for new tags");
    let region = usize::try_from(tag.region).unwrap();
    assert_eq!(&bytes[region..], &audio[..], "audio untouched");
    let used: usize = tag.frames.iter().map(|f| f.body.len() + 10).sum();
    assert_eq!(region - 10 - used, 4096, "default padding");

    let again = embed(&p, &ch, &TagOptions::new()).unwrap();
    assert_eq!(again.mode, WriteMode::Unchanged);
    assert_eq!(std::fs::read(&p).unwrap(), bytes, "byte-identical");

    let other = chapters(&[("0", "Intro!"), ("6", "Talk")]);
    let r = embed(&p, &other, &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::InPlace);
    let after = std::fs::read(&p).unwrap();
    assert_eq!(after.len(), bytes.len());
    assert_eq!(&after[region..], &audio[..]);
    let back = extract(&p).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back.as_slice()[0].title, "Intro!");
    assert_eq!(back.duration().unwrap(), frames_duration(N as u64).rounded_to_millis());
}

#[test]
fn last_chapter_ends_at_the_probed_duration_in_exact_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    embed(&p, &chapters(&[("0", "A"), ("1.001", "B")]), &TagOptions::new()).unwrap();
    let (chaps, tocs) = read::chapter_frames(&parse(&std::fs::read(&p).unwrap())).unwrap();
    assert_eq!(chaps.len(), 2);
    assert_eq!((chaps[0].start_ms, chaps[0].end_ms), (0, 1001));
    // 600 × 1152 / 44100 s = 15.673469… s
    assert_eq!((chaps[1].start_ms, chaps[1].end_ms), (1001, 15_673));
    assert!(chaps.iter().all(|c| c.start_offset == u32::MAX && c.end_offset == u32::MAX));
    assert_eq!(chaps.iter().map(|c| c.element_id.as_slice()).collect::<Vec<_>>(), [b"chp0", b"chp1"]);
    assert_eq!(tocs.len(), 1);
    assert_eq!(tocs[0].flags, 0x03);
    assert_eq!(tocs[0].element_id, b"toc");
    assert_eq!(tocs[0].children, vec![b"chp0".to_vec(), b"chp1".to_vec()]);
    assert_eq!(tocs[0].title.as_deref(), Some("Chapters"));
    assert_eq!(tocs[0].sub_ids, vec![*b"TIT2"]);
}

const NEW: [&str; 3] = [
    "New chapter one, with a title long enough not to fit the old space",
    "New chapter two, with a title long enough not to fit the old space",
    "New chapter three",
];

#[test]
fn other_frames_survive_byte_for_byte_and_old_chapters_are_replaced() {
    for major in [3u8, 4] {
        let dir = tempfile::tempdir().unwrap();
        let mut frames = others(major);
        // Old chapters from another tool, between the other frames.
        let old = write::chapter_frames(
            &chapters(&[("0", "Old 1"), ("3", "Old 2")]).with_duration(t("9")).unwrap(),
            &[],
            major,
        )
        .unwrap()
        .0;
        frames.insert(2, old);
        let audio = silent_frames(N);
        let mut bytes = tag_bytes(major, &frames, 100);
        bytes.extend_from_slice(&audio);
        let p = file(dir.path(), "a.mp3", &bytes);
        let r = embed(&p, &chapters(&[("0", NEW[0]), ("4", NEW[1]), ("8", NEW[2])]), &TagOptions::new()).unwrap();
        assert_eq!(r.mode, WriteMode::Rewritten, "did not fit in 100 bytes of padding");
        let out = std::fs::read(&p).unwrap();
        let tag = parse(&out);
        assert_eq!(tag.major, major, "version kept");
        let kept: Vec<Vec<u8>> = tag
            .frames
            .iter()
            .filter(|f| !f.is_chapter_frame())
            .map(|f| write::frame(&f.id, f.flags, &f.body, major).unwrap())
            .collect();
        assert_eq!(kept, others(major), "every other frame byte for byte, in order");
        assert_eq!(tag.frames.iter().filter(|f| &f.id == b"CTOC").count(), 1);
        assert_eq!(tag.frames.iter().filter(|f| &f.id == b"CHAP").count(), 3);
        let titles: Vec<String> = extract(&p).unwrap().iter().map(|c| c.title.clone()).collect();
        assert_eq!(titles, NEW);
        assert_eq!(&out[usize::try_from(tag.region).unwrap()..], &audio[..]);
    }
}

/// Walks a v2.4 tag with strict synchsafe sizes (no plain-size fallback), CHAP/CTOC sub-frames
/// included, and returns how many frames it saw.
fn strict_v24_walk(data: &[u8], mut pos: usize, end: usize) -> usize {
    let mut n = 0;
    while pos < end && data[pos] != 0 {
        let id = &data[pos..pos + 4];
        let size_bytes: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
        let size = crate::audio::id3::synchsafe(size_bytes).expect("synchsafe frame size") as usize;
        let body = pos + 10;
        assert!(body + size <= end, "frame {id:?} overruns");
        n += 1;
        if id == b"CHAP" {
            let nul = data[body..].iter().position(|&b| b == 0).unwrap();
            n += strict_v24_walk(data, body + nul + 17, body + size);
        } else if id == b"CTOC" {
            let mut p = body + data[body..].iter().position(|&b| b == 0).unwrap() + 1;
            let count = data[p + 1];
            p += 2;
            for _ in 0..count {
                p += data[p..].iter().position(|&b| b == 0).unwrap() + 1;
            }
            n += strict_v24_walk(data, p, body + size);
        }
        pos = body + size;
    }
    n
}

#[test]
fn v24_uses_synchsafe_sizes_everywhere_including_sub_frames() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    let long = format!("A long chapter title — “ünïcode” that passes 127 bytes{}", " in one frame body".repeat(4));
    let list: Vec<Chapter> = (0..40u64)
        .map(|i| {
            Chapter::new(Timestamp::from_millis(i * 300).unwrap(), format!("{long} {i}"))
                .with_url(format!("https://example.com/{i}"))
        })
        .collect();
    let ch = Chapters::new(list).unwrap();
    let r = embed(&p, &ch, &TagOptions::new().id3_version(Some(Id3Version::V24))).unwrap();
    assert_eq!(r.warnings.len(), 40, "each long title warns about FFmpeg: {:?}", r.warnings.first());
    assert!(r.warnings[0].contains("FFmpeg") && r.warnings[0].contains("TIT2"));
    let bytes = std::fs::read(&p).unwrap();
    let tag = parse(&bytes);
    assert_eq!(tag.major, 4);
    // 40 CHAP × (TIT2 + WXXX) + CTOC × TIT2
    assert_eq!(strict_v24_walk(&bytes, 10, usize::try_from(tag.region).unwrap()), 40 * 3 + 2);
    let back = extract(&p).unwrap();
    assert_eq!(back.as_slice()[39].title, format!("{long} 39"));
    assert_eq!(back.as_slice()[39].url.as_deref(), Some("https://example.com/39"));
}

#[test]
fn v23_text_is_latin1_when_it_fits_else_utf16_with_bom() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    embed(&p, &chapters(&[("0", "Café"), ("1", "Ünïcode — “quoted” 😀")]), &TagOptions::new()).unwrap();
    let tag = parse(&std::fs::read(&p).unwrap());
    let chap_bodies: Vec<&[u8]> = tag.frames.iter().filter(|f| &f.id == b"CHAP").map(|f| f.body.as_slice()).collect();
    let tit2 = |body: &[u8]| {
        let i = body.windows(4).position(|w| w == b"TIT2").unwrap();
        body[i + 10..].to_vec()
    };
    assert_eq!(&tit2(chap_bodies[0])[..5], b"\x00Caf\xe9");
    assert_eq!(&tit2(chap_bodies[1])[..3], b"\x01\xff\xfe");
    let back = extract(&p).unwrap();
    assert_eq!(back.as_slice()[1].title, "Ünïcode — “quoted” 😀");
}

#[test]
fn hidden_chapters_are_left_out_of_the_toc_and_read_back_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    let ch = Chapters::new(vec![
        Chapter::new(t("0"), "A"),
        Chapter::new(t("2"), "ad marker").hidden(true),
        Chapter::new(t("4"), "B"),
    ])
    .unwrap();
    embed(&p, &ch, &TagOptions::new()).unwrap();
    let (chaps, tocs) = read::chapter_frames(&parse(&std::fs::read(&p).unwrap())).unwrap();
    assert_eq!(chaps.len(), 3);
    assert_eq!(tocs[0].children, vec![b"chp0".to_vec(), b"chp2".to_vec()]);
    let hidden: Vec<bool> = extract(&p).unwrap().iter().map(|c| c.hidden).collect();
    assert_eq!(hidden, [false, true, false]);
}

fn many(n: u64, hidden_every: Option<u64>) -> Chapters {
    Chapters::new(
        (0..n)
            .map(|i| {
                Chapter::new(Timestamp::from_millis(i * 40).unwrap(), format!("c{i}"))
                    .hidden(hidden_every.is_some_and(|k| i % k == k - 1))
            })
            .collect(),
    )
    .unwrap()
}

#[test]
fn more_than_255_listed_chapters_is_a_clear_error_and_hidden_ones_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    let before = std::fs::read(&p).unwrap();
    let e = embed(&p, &many(256, None), &TagOptions::new()).unwrap_err();
    assert!(matches!(e, TagError::Chapters { .. }));
    assert!(e.to_string().contains("256 chapters") && e.to_string().contains("255"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), before, "untouched");
    embed(&p, &many(255, None), &TagOptions::new()).unwrap();
    assert_eq!(extract(&p).unwrap().len(), 255);
    // 300 chapters, every third hidden: 200 listed.
    embed(&p, &many(300, Some(3)), &TagOptions::new()).unwrap();
    let (chaps, tocs) = read::chapter_frames(&parse(&std::fs::read(&p).unwrap())).unwrap();
    assert_eq!((chaps.len(), tocs[0].children.len()), (300, 200));
}

#[test]
fn a_chapter_past_the_end_is_an_error_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    let before = std::fs::read(&p).unwrap();
    let e = embed(&p, &chapters(&[("0", "A"), ("20", "Too late")]), &TagOptions::new()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("chapter 2 \"Too late\"") && msg.contains("after the end of the audio"), "{msg}");
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

#[test]
fn bad_inputs_are_clear_errors_and_leave_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let ch = chapters(&[("0", "A")]);
    let check = |name: &str, bytes: &[u8], needle: &str| {
        let p = file(dir.path(), name, bytes);
        let e = embed(&p, &ch, &TagOptions::new()).unwrap_err().to_string();
        assert!(e.contains(needle), "{name}: {e}");
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{name} untouched");
        // Strip fails, or (an ID3v2.2 tag, which holds no chapters) has nothing to do.
        let stripped = strip(&p, &TagOptions::new());
        assert!(
            stripped.as_ref().is_err() || stripped.as_ref().is_ok_and(|r| r.mode == WriteMode::Unchanged),
            "{name}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{name} untouched by strip");
    };
    check("empty.mp3", b"", "empty");
    check("text.mp3", b"hello, not audio", "not an audio file podmark can read");
    let mut past = tag_bytes(3, &others(3), 0);
    past.truncate(past.len() - 20);
    check("past.mp3", &past, "the ID3v2 tag needs");
    let mut v22 = b"ID3\x02\x00\x00\x00\x00\x00\x10".to_vec();
    v22.extend_from_slice(&[0; 16]);
    v22.extend_from_slice(&silent_frames(10));
    check("v22.mp3", &v22, "ID3v2.2");
    let mut bad_frame = tag_bytes(3, &[b"TIT2\x00\x00\x10\x00\x00\x00\x00abc".to_vec()], 0);
    bad_frame.extend_from_slice(&silent_frames(10));
    check("frame.mp3", &bad_frame, "past the end of the tag");

    let e = embed(dir.path(), &ch, &TagOptions::new()).unwrap_err().to_string();
    assert!(e.contains("directory"), "{e}");

    let p = file(dir.path(), "ro.mp3", &silent_frames(N));
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&p, perm).unwrap();
    let e = embed(&p, &ch, &TagOptions::new()).unwrap_err().to_string();
    assert!(e.contains("read-only"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), silent_frames(N));
}

#[test]
fn dry_run_writes_nothing_but_reports_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    let r = embed(&p, &chapters(&[("0", "A")]), &TagOptions::new().dry_run(true)).unwrap();
    assert_eq!(r.mode, WriteMode::DryRun);
    assert!(r.bytes_after > r.bytes_before + 4096);
    assert_eq!(std::fs::read(&p).unwrap(), silent_frames(N));
}

#[test]
fn strip_removes_only_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = tag_bytes(3, &others(3), 0);
    bytes.extend_from_slice(&silent_frames(N));
    let p = file(dir.path(), "a.mp3", &bytes);
    assert_eq!(strip(&p, &TagOptions::new()).unwrap().mode, WriteMode::Unchanged);
    embed(&p, &chapters(&[("0", "A"), ("3", "B")]), &TagOptions::new()).unwrap();
    let tagged = std::fs::read(&p).unwrap();
    let r = strip(&p, &TagOptions::new()).unwrap();
    assert_eq!(r.mode, WriteMode::InPlace);
    let out = std::fs::read(&p).unwrap();
    assert_eq!(out.len(), tagged.len());
    let tag = parse(&out);
    assert!(tag.frames.iter().all(|f| !f.is_chapter_frame()));
    assert_eq!(tag.frames.len(), others(3).len());
    assert!(extract(&p).unwrap().is_empty());
    embed(&p, &chapters(&[("0", "A"), ("3", "B")]), &TagOptions::new()).unwrap();
    assert!(std::fs::read(&p).unwrap() == tagged, "strip then re-tag restores the same bytes");
    let p2 = file(dir.path(), "plain.mp3", &silent_frames(N));
    assert_eq!(strip(&p2, &TagOptions::new()).unwrap().mode, WriteMode::Unchanged);
}

#[test]
fn converting_v24_to_v23_re_encodes_utf8_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = tag_bytes(4, &others(4), 64);
    bytes.extend_from_slice(&silent_frames(N));
    let p = file(dir.path(), "a.mp3", &bytes);
    embed(&p, &chapters(&[("0", "A")]), &TagOptions::new().id3_version(Some(Id3Version::V23))).unwrap();
    let tag = parse(&std::fs::read(&p).unwrap());
    assert_eq!(tag.major, 3);
    let tit2 = tag.frames.iter().find(|f| &f.id == b"TIT2").unwrap();
    assert_eq!(tit2.body[0], 1, "UTF-16 with BOM");
    assert_eq!(read::decode_string(1, &tit2.body[1..]), "Episode ü");
    let priv_ = tag.frames.iter().find(|f| &f.id == b"PRIV").unwrap();
    assert_eq!(priv_.body, b"com.example\x00\x01\x02\x03\xff\x00", "binary frames unchanged");
}

#[test]
fn unsynchronised_v23_tags_with_extended_headers_are_read_and_stored_plain() {
    let dir = tempfile::tempdir().unwrap();
    // A PRIV holding FF E0 must be unsynchronised to FF 00 E0 in the file.
    let priv_ = frame(b"PRIV", b"x\x00\xff\xe0\xff", 3);
    let mut body = vec![0, 0, 0, 6, 0, 0, 0, 0, 0, 0]; // extended header, 6 bytes after the size
    let mut unsynced = Vec::new();
    for (i, &b) in priv_.iter().enumerate() {
        unsynced.push(b);
        if b == 0xFF && (priv_.get(i + 1).is_none_or(|&n| n & 0xE0 == 0xE0 || n == 0)) {
            unsynced.push(0);
        }
    }
    body.extend_from_slice(&unsynced);
    body.extend_from_slice(&[0; 20]);
    let mut bytes = write::tag_header(3, body.len()).unwrap().to_vec();
    bytes[5] = 0x80 | 0x40;
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(&silent_frames(N));
    let p = file(dir.path(), "a.mp3", &bytes);
    embed(&p, &chapters(&[("0", "A")]), &TagOptions::new()).unwrap();
    let out = std::fs::read(&p).unwrap();
    assert_eq!(out[5], 0, "no unsynchronisation, no extended header");
    let tag = parse(&out);
    assert_eq!(tag.frames[0].body, b"x\x00\xff\xe0\xff");
}

#[test]
fn ffmpeg_style_v24_chapters_with_plain_sizes_are_read() {
    // FFmpeg writes v2.4 CHAP/CTOC sizes as plain integers; with a long title they differ.
    let title = "T".repeat(150);
    let mut tit2 = vec![3];
    tit2.extend_from_slice(title.as_bytes());
    tit2.push(0);
    let mut chap = b"ch0\x00\x00\x00\x00\x00\x00\x00\x03\xe8\xff\xff\xff\xff\xff\xff\xff\xff".to_vec();
    chap.extend_from_slice(&frame(b"TIT2", &tit2, 4));
    let plain = |id: &[u8; 4], body: &[u8]| {
        let mut f = id.to_vec();
        f.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(body);
        f
    };
    let ctoc = b"toc\x00\x03\x01ch0\x00".to_vec();
    let frames = vec![frame(b"TSSE", b"\x03Lavf59", 4), plain(b"CTOC", &ctoc), plain(b"CHAP", &chap)];
    let mut bytes = tag_bytes(4, &frames, 0);
    bytes.extend_from_slice(&silent_frames(N));
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &bytes);
    let back = extract(&p).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back.as_slice()[0].title, title);
    assert_eq!(back.duration(), Some(t("1")));
}

#[test]
fn chapter_images_are_embedded_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(dir.path(), "a.mp3", &silent_frames(N));
    let png = file(dir.path(), "c.png", b"\x89PNG\r\n\x1a\nrest of a png");
    let gif = file(dir.path(), "c.gif", b"GIF89a....");
    let big = file(dir.path(), "big.jpg", &[0xFF; 600 * 1024]);
    let with = |img: &Path| {
        Chapters::new(vec![Chapter::new(t("0"), "A").with_image(img.to_string_lossy().into_owned())]).unwrap()
    };
    embed(&p, &with(&png), &TagOptions::new()).unwrap();
    let (chaps, _) = read::chapter_frames(&parse(&std::fs::read(&p).unwrap())).unwrap();
    assert_eq!(chaps[0].images, vec![("image/png".to_owned(), b"\x89PNG\r\n\x1a\nrest of a png".to_vec())]);
    let tagged = std::fs::read(&p).unwrap();
    let e = embed(&p, &with(&gif), &TagOptions::new()).unwrap_err().to_string();
    assert!(e.contains("not a JPEG or PNG") && e.contains("GIF89a"), "{e}");
    let e = embed(&p, &with(&big), &TagOptions::new()).unwrap_err().to_string();
    assert!(e.contains("at most 524288 bytes"), "{e}");
    let e = embed(&p, &with(&dir.path().join("missing.png")), &TagOptions::new()).unwrap_err().to_string();
    assert!(e.contains("cannot read"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), tagged, "errors leave the file as it was");
    let url = Chapters::new(vec![Chapter::new(t("0"), "A").with_image("https://example.com/a.png")]).unwrap();
    let r = embed(&p, &url, &TagOptions::new()).unwrap();
    assert!(r.warnings[0].contains("is a URL"), "{:?}", r.warnings);
}

#[test]
fn symbolic_links_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let target = file(dir.path(), "real.mp3", &silent_frames(N));
    let link = dir.path().join("link.mp3");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    embed(&link, &chapters(&[("0", "A")]), &TagOptions::new()).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(extract(&target).unwrap().len(), 1);
}

/// Chapters with random titles (any script), URLs, descriptions and hidden flags, on a 1 ms grid.
fn rich_chapters() -> impl Strategy<Value = Chapters> {
    (
        crate::formats::testutil::chapters(40, 1_000_000, "[a-zA-Z0-9 äöüßéÆ€—“”😀中文]{0,60}", true),
        prop::collection::vec((any::<bool>(), proptest::option::of("[a-z é€]{1,30}")), 40),
    )
        .prop_map(|(chapters, extras)| {
            let list: Vec<Chapter> = chapters
                .into_vec()
                .into_iter()
                .zip(extras)
                .enumerate()
                .map(|(i, (mut c, (hidden, desc)))| {
                    c.hidden = hidden && i > 0;
                    c.description = desc.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
                    c
                })
                .collect();
            Chapters::new(list).unwrap_or_default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chapters_round_trip_through_frames(chapters in rich_chapters(), v24 in any::<bool>()) {
        prop_assume!(!chapters.is_empty());
        let major = if v24 { 4 } else { 3 };
        let last = chapters.as_slice().last().unwrap().start;
        let chapters = chapters.with_duration(last.checked_add(t("1")).unwrap()).unwrap();
        let frames = write::chapter_frames(&chapters, &[], major).unwrap().0;
        let bytes = tag_bytes(major, &[frames], 10);
        let (chaps, tocs) = read::chapter_frames(&parse(&bytes)).unwrap();
        let back = read::to_chapters(&chaps, &tocs).unwrap();
        prop_assert_eq!(back.duration(), chapters.duration());
        prop_assert_eq!(back.len(), chapters.len());
        for (a, b) in back.iter().zip(chapters.iter()) {
            prop_assert_eq!(a.start, b.start);
            prop_assert_eq!(&a.title, &b.title);
            prop_assert_eq!(&a.url, &b.url);
            prop_assert_eq!(&a.description, &b.description);
            prop_assert_eq!(a.hidden, b.hidden);
        }
    }

    #[test]
    fn reading_arbitrary_bytes_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..400), v in 3u8..=4, flags in any::<u8>()) {
        let mut head = write::tag_header(v, bytes.len()).unwrap().to_vec();
        head[5] = flags;
        head.append(&mut bytes);
        if let Ok(Some(h)) = read::header(&head, head.len() as u64)
            && let Ok(tag) = read::tag(h, &head)
        {
            if let Ok((chaps, tocs)) = read::chapter_frames(&tag) {
                let _ = read::to_chapters(&chaps, &tocs);
            }
            for f in &tag.frames {
                let _ = write::preserved(f, tag.major, 7 - tag.major, false);
            }
        }
    }
}
