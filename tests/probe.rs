//! `podmark probe` and `podmark::probe` on the committed fixtures (`tests/fixtures/audio/`, made by
//! `scripts/make-audio-fixtures.sh`, whose README lists how each expected value was measured), the
//! command line, and cross-checks against ffprobe.
#![allow(clippy::unwrap_used)]

mod common;

use assert_cmd::Command;
use common::{fixture, require_tool, run_tool};
use podmark::probe::{ChapterSource, Codec, Container, DurationMethod, Mime, MpegVersion, Precision, ProbeErrorKind};
use podmark::{Probe, Timestamp};

struct Expect {
    file: &'static str,
    container: Container,
    codec: Codec,
    mime: Mime,
    rate: u32,
    channels: u16,
    samples: u64,
    precision: Precision,
    method: DurationMethod,
}

#[allow(clippy::too_many_arguments)]
const fn e(
    file: &'static str,
    container: Container,
    codec: Codec,
    mime: Mime,
    rate: u32,
    channels: u16,
    samples: u64,
    precision: Precision,
    method: DurationMethod,
) -> Expect {
    Expect { file, container, codec, mime, rate, channels, samples, precision, method }
}

use Container as C;
use DurationMethod as M;
use Precision::{Frame, Sample};

/// Every fixture and the exact value its rule promises (see tests/fixtures/audio/README.md).
const EXPECTED: &[Expect] = &[
    // MP3 with a LAME tag: the input's exact sample count (54 444 = 1.234567 s at 44.1 kHz).
    e("mp3-cbr-44k-stereo-lame.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 44_100, 2, 54_444, Sample, M::LameTag),
    e("mp3-vbr-44k-stereo-xing.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 44_100, 2, 54_444, Sample, M::LameTag),
    e("mp3-vbr-48k-mono-xing.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 48_000, 1, 59_259, Sample, M::LameTag),
    e("mp3-mpeg2-22k-mono-lame.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 22_050, 1, 27_222, Sample, M::LameTag),
    e("mp3-mpeg25-8k-mono-lame.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 8_000, 1, 9_877, Sample, M::LameTag),
    // MP3 without Xing: frames × samples per frame (frame counts from ffprobe -count_packets).
    e("mp3-cbr-44k-stereo-noxing.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 44_100, 2, 49 * 1152, Frame, M::FrameScan),
    e("mp3-vbr-48k-mono-noxing.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 48_000, 1, 53 * 1152, Frame, M::FrameScan),
    e("mp3-mpeg2-24k-stereo-noxing.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 24_000, 2, 54 * 576, Frame, M::FrameScan),
    e("mp3-mpeg25-11k-mono-noxing.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 11_025, 1, 26 * 576, Frame, M::FrameScan),
    e(
        "mp3-chapters-garbage-ape-id3v1.mp3",
        C::Mp3,
        Codec::Mp3,
        Mime::AudioMpeg,
        44_100,
        1,
        (49 + 49) * 1152,
        Frame,
        M::FrameScan,
    ),
    e("mp2-48k-mono.mp2", C::Mp3, Codec::Mp2, Mime::AudioMpeg, 48_000, 1, 52 * 1152, Frame, M::FrameScan),
    // AAC: the edit list as ffprobe applies it (stream duration_ts).
    e("aac-44k-stereo.m4a", C::Mp4, Codec::Aac, Mime::AudioXM4a, 44_100, 2, 54_419, Sample, M::EditList),
    e(
        "aac-48k-mono-faststart-chapters.m4a",
        C::Mp4,
        Codec::Aac,
        Mime::AudioXM4a,
        48_000,
        1,
        59_232,
        Sample,
        M::EditList,
    ),
    e("aac-22k-mono.mp4", C::Mp4, Codec::Aac, Mime::AudioXM4a, 22_050, 1, 27_210, Sample, M::EditList),
    // Ogg: last granule (minus the Opus pre-skip).
    e(
        "opus-48k-stereo-chapters.opus",
        C::Ogg,
        Codec::Opus,
        Mime::AudioOpus,
        48_000,
        2,
        59_259,
        Sample,
        M::GranulePosition,
    ),
    e("vorbis-44k-mono.ogg", C::Ogg, Codec::Vorbis, Mime::AudioOgg, 44_100, 1, 54_444, Sample, M::GranulePosition),
    // FLAC and WAV: the header.
    e("flac-44k-stereo.flac", C::Flac, Codec::Flac, Mime::AudioFlac, 44_100, 2, 54_444, Sample, M::StreamInfo),
    e("wav-8k-mono-u8.wav", C::Wav, Codec::Pcm, Mime::AudioWav, 8_000, 1, 9_877, Sample, M::DataChunk),
    e("wav-rf64-8k-mono.wav", C::Wav, Codec::Pcm, Mime::AudioWav, 8_000, 1, 9_877, Sample, M::DataChunk),
    e("wav-extensible-8k-s24.wav", C::Wav, Codec::Pcm, Mime::AudioWav, 8_000, 1, 9_877, Sample, M::DataChunk),
    // Issue 10: chapters in every container, an ID3v2 prefix, junk before the first frame, ID3v2.2.
    e(
        "vorbis-44k-mono-chapters.ogg",
        C::Ogg,
        Codec::Vorbis,
        Mime::AudioOgg,
        44_100,
        1,
        54_444,
        Sample,
        M::GranulePosition,
    ),
    e(
        "opus-48k-mono-vorbis-chapters.opus",
        C::Ogg,
        Codec::Opus,
        Mime::AudioOpus,
        48_000,
        1,
        59_259,
        Sample,
        M::GranulePosition,
    ),
    e("flac-8k-mono-chapters.flac", C::Flac, Codec::Flac, Mime::AudioFlac, 8_000, 1, 4_800, Sample, M::StreamInfo),
    e("flac-8k-mono-cuesheet.flac", C::Flac, Codec::Flac, Mime::AudioFlac, 8_000, 1, 4_800, Sample, M::StreamInfo),
    e("flac-8k-mono-id3v2-prefix.flac", C::Flac, Codec::Flac, Mime::AudioFlac, 8_000, 1, 4_800, Sample, M::StreamInfo),
    e("mp3-junk-before-first-frame.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 44_100, 1, 56_448, Frame, M::FrameScan),
    e("mp3-id3v22.mp3", C::Mp3, Codec::Mp3, Mime::AudioMpeg, 44_100, 1, 56_448, Frame, M::FrameScan),
];

fn audio(name: &str) -> std::path::PathBuf {
    fixture(&format!("audio/{name}"))
}

#[test]
fn every_fixture_has_its_exact_duration() {
    let mut failures = Vec::new();
    for x in EXPECTED {
        let path = audio(x.file);
        let info = match podmark::probe::probe_path(&path) {
            Ok(info) => info,
            Err(err) => {
                failures.push(format!("{}: {err}", x.file));
                continue;
            }
        };
        let got = (info.container, info.codec, info.mime, info.sample_rate, info.channels, info.samples);
        let want = (x.container, x.codec, x.mime, x.rate, x.channels, x.samples);
        if got != want || info.precision != x.precision || info.method != x.method {
            failures.push(format!(
                "{}: got {got:?} {:?} {:?}, want {want:?} {:?} {:?}",
                x.file, info.precision, info.method, x.precision, x.method
            ));
        }
        if info.duration != Timestamp::from_ticks(info.samples, u64::from(info.sample_rate)).unwrap()
            || info.byte_length != std::fs::metadata(&path).unwrap().len()
            || info.bitrate == 0
        {
            failures.push(format!(
                "{}: duration {}, length {}, bitrate {}",
                x.file, info.duration, info.byte_length, info.bitrate
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_table_matches_the_expectations() {
    let readme = std::fs::read_to_string(audio("README.md")).unwrap();
    for x in EXPECTED {
        let row = readme.lines().find(|l| l.starts_with(&format!("| `{}` |", x.file)));
        let row = row.unwrap_or_else(|| panic!("{} is not in the fixture README", x.file));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[4], x.samples.to_string(), "{}", x.file);
    }
}

#[test]
fn lame_tag_delay_and_padding_are_reported() {
    let info = podmark::probe::probe_path(audio("mp3-cbr-44k-stereo-lame.mp3")).unwrap();
    // 49 frames of 1152 = 56 448 = 54 444 + 576 delay + 1428 padding.
    assert_eq!((info.encoder_delay, info.encoder_padding), (Some(576), Some(1428)));
    let mpeg = info.mpeg.unwrap();
    assert_eq!((mpeg.frames, mpeg.version, mpeg.lame_tag), (49, MpegVersion::Mpeg1, true));
    assert_eq!(mpeg.vbr, Some(false));
    // Counting the frames gives the same exact answer.
    let scanned = Probe::new().full_scan(true).probe_path(audio("mp3-cbr-44k-stereo-lame.mp3")).unwrap();
    assert_eq!((scanned.samples, scanned.precision), (54_444, Sample));

    let vbr = podmark::probe::probe_path(audio("mp3-vbr-44k-stereo-xing.mp3")).unwrap();
    assert_eq!(vbr.mpeg.unwrap().vbr, Some(true));
    let low = podmark::probe::probe_path(audio("mp3-mpeg25-8k-mono-lame.mp3")).unwrap();
    assert_eq!(low.mpeg.unwrap().version, MpegVersion::Mpeg25);
    assert_eq!(low.mpeg.unwrap().samples_per_frame, 576);
}

#[test]
fn tags_chapters_and_garbage_in_the_mp3() {
    let info = podmark::probe::probe_path(audio("mp3-chapters-garbage-ape-id3v1.mp3")).unwrap();
    assert_eq!(info.tags.id3v2.map(|v| (v.major, v.revision)), Some((3, 0)));
    assert!(info.tags.id3v1 && info.tags.ape);
    let mpeg = info.mpeg.unwrap();
    assert_eq!(mpeg.garbage_bytes, 765 + 1234, "{:?}", info.warnings);
    assert_eq!(info.warnings.len(), 2, "{:?}", info.warnings);
    let ch = info.chapters.clone().unwrap();
    assert_eq!(ch.source, ChapterSource::Id3);
    let got: Vec<(u64, Option<u64>, &str)> =
        ch.list.iter().map(|c| (c.start.as_millis(), c.end.map(Timestamp::as_millis), c.title.as_str())).collect();
    assert_eq!(got, [(0, Some(400), "Intro"), (400, Some(1234), "Main topic — “ü”")]);
    assert!(info.chapter_list().unwrap().is_ok());
}

#[test]
fn mp4_layout_and_chapters() {
    let end = podmark::probe::probe_path(audio("aac-44k-stereo.m4a")).unwrap();
    let mp4 = end.mp4.unwrap();
    assert!(!mp4.moov_before_mdat);
    assert_eq!(mp4.major_brand.to_string(), "M4A ");
    assert_eq!(mp4.sample_entry.to_string(), "mp4a");
    assert_eq!(end.encoder_delay, Some(1024));
    assert!(end.chapters.is_none());

    let fast = podmark::probe::probe_path(audio("aac-48k-mono-faststart-chapters.m4a")).unwrap();
    assert!(fast.mp4.unwrap().moov_before_mdat);
    let ch = fast.chapters.unwrap();
    assert_eq!(ch.source, ChapterSource::QuickTime);
    let got: Vec<(u64, &str)> = ch.list.iter().map(|c| (c.start.as_millis(), c.title.as_str())).collect();
    assert_eq!(got, [(0, "Intro"), (400, "Main topic — “ü”")]);

    let mp4 = podmark::probe::probe_path(audio("aac-22k-mono.mp4")).unwrap();
    assert_eq!(mp4.mp4.unwrap().major_brand.to_string(), "isom");
}

#[test]
fn ogg_chapters_and_pre_skip() {
    let info = podmark::probe::probe_path(audio("opus-48k-stereo-chapters.opus")).unwrap();
    assert_eq!(info.encoder_delay, Some(312));
    let ch = info.chapters.unwrap();
    assert_eq!(ch.source, ChapterSource::VorbisComment);
    let got: Vec<(u64, &str)> = ch.list.iter().map(|c| (c.start.as_millis(), c.title.as_str())).collect();
    assert_eq!(got, [(0, "Intro"), (400, "Main topic — “ü”")]);
}

#[test]
fn vorbis_comment_and_cue_sheet_chapters_in_ogg_and_flac() {
    let titles = [(0, "Intro"), (500, "Main topic — “ü”")];
    for file in ["vorbis-44k-mono-chapters.ogg", "opus-48k-mono-vorbis-chapters.opus", "flac-8k-mono-chapters.flac"] {
        let ch = podmark::probe::probe_path(audio(file)).unwrap().chapters.unwrap();
        assert_eq!(ch.source, ChapterSource::VorbisComment, "{file}");
        let got: Vec<(u64, &str)> = ch.list.iter().map(|c| (c.start.as_millis(), c.title.as_str())).collect();
        assert_eq!(got, titles, "{file}");
    }
    let ch = podmark::probe::probe_path(audio("flac-8k-mono-cuesheet.flac")).unwrap().chapters.unwrap();
    assert_eq!(ch.source, ChapterSource::CueSheet);
    let got: Vec<(u64, &str)> = ch.list.iter().map(|c| (c.start.as_millis(), c.title.as_str())).collect();
    assert_eq!(got, [(0, "Track 01"), (500, "Track 02")]);
}

#[test]
fn a_flac_behind_an_id3v2_tag_is_flac_and_an_id3v22_mp3_is_read() {
    let info = podmark::probe::probe_path(audio("flac-8k-mono-id3v2-prefix.flac")).unwrap();
    assert_eq!((info.container, info.tags.id3v2.map(|v| v.major)), (Container::Flac, Some(3)));
    let info = podmark::probe::probe_path(audio("mp3-id3v22.mp3")).unwrap();
    assert_eq!(info.tags.id3v2.map(|v| v.major), Some(2));
    assert_eq!(info.chapters, None, "ID3v2.2 has no chapter frames");
}

#[test]
fn junk_before_the_first_frame_is_skipped_with_a_warning() {
    let info = podmark::probe::probe_path(audio("mp3-junk-before-first-frame.mp3")).unwrap();
    let mpeg = info.mpeg.unwrap();
    assert_eq!((mpeg.first_frame, mpeg.garbage_bytes), (300, 300));
    assert_eq!(info.warnings[0].message, "300 bytes before the first MPEG audio frame skipped");
}

#[test]
fn a_truncated_flac_is_an_estimate_with_a_warning_never_sample_exact() {
    let info = podmark::probe::probe_path(audio("truncated-audio.flac")).unwrap();
    assert_eq!(info.precision, Precision::Estimate);
    assert!(info.samples < 4_800, "{} samples: less than STREAMINFO's 4800", info.samples);
    assert!(info.samples > 0);
    assert_eq!(info.warnings.len(), 1, "{:?}", info.warnings);
    assert!(info.warnings[0].message.starts_with("STREAMINFO claims 4800 samples (0.600 s)"), "{}", info.warnings[0]);
}

#[test]
fn what_a_file_is_comes_from_a_chain_of_frames_or_a_signature() {
    let err = podmark::probe::probe_path(audio("zeros-one-mpeg-frame.mp3")).unwrap_err();
    assert!(matches!(err.kind, ProbeErrorKind::NotAudio { .. }), "{err}");
    let err = podmark::probe::probe_path(audio("matroska-stray-sync.mka")).unwrap_err();
    assert_eq!(err.kind.code(), "unsupported_format");
    assert_eq!(err.to_string(), "Matroska/WebM audio is not supported by podmark at byte 0");
    let out = podmark().arg("probe").arg("--json").arg(audio("matroska-stray-sync.mka")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["error"]["kind"], "unsupported_format", "{json}");
    assert!(String::from_utf8(out.stderr).unwrap().contains("Matroska/WebM audio is not supported"));
}

#[test]
fn interop_ffprobe_agrees_on_what_the_new_fixtures_are() {
    if !require_tool("ffprobe") {
        return;
    }
    let format = |f: &str| {
        let p = audio(f);
        run_tool(
            "ffprobe",
            &["-v", "error", "-show_entries", "format=format_name", "-of", "csv=p=0", p.to_str().unwrap()],
        )
    };
    assert_eq!(format("matroska-stray-sync.mka").trim().trim_matches('"'), "matroska,webm");
    assert_eq!(format("flac-8k-mono-id3v2-prefix.flac").trim(), "flac");
    // ffprobe reads the Vorbis-comment chapters of Ogg as podmark does.
    for file in ["vorbis-44k-mono-chapters.ogg", "opus-48k-mono-vorbis-chapters.opus"] {
        let p = audio(file);
        let out = run_tool(
            "ffprobe",
            &[
                "-v",
                "error",
                "-show_entries",
                "chapter=start_time:chapter_tags=title",
                "-of",
                "csv=p=0",
                p.to_str().unwrap(),
            ],
        );
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got, ["0.000000,Intro", "0.500000,Main topic — “ü”"], "{file}");
    }
}

#[test]
fn broken_files_give_errors_with_byte_offsets() {
    let cases: [(&str, &str, u64); 4] = [
        ("not-audio.txt", "not an audio file podmark can read (starts with \"This is a te\")", 0),
        ("truncated-moov-at-end.m4a", "truncated: the MP4 box needs 4853 bytes but the file ends", 36),
        ("truncated-id3.mp3", "truncated: the ID3v2 tag needs 168 bytes but the file ends", 0),
        ("truncated-streaminfo.flac", "truncated: the FLAC STREAMINFO needs 34 bytes but the file ends", 8),
    ];
    for (file, message, offset) in cases {
        let err = podmark::probe::probe_path(audio(file)).unwrap_err();
        assert!(err.to_string().starts_with(message), "{file}: {err}");
        assert_eq!(err.offset, offset, "{file}: {err}");
        assert!(err.to_string().ends_with(&format!(" at byte {offset}")), "{file}: {err}");
    }
    let err = podmark::probe::probe_path(audio("does-not-exist.mp3")).unwrap_err();
    assert!(matches!(err.kind, ProbeErrorKind::Io(_)));
}

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

#[test]
fn cli_probes_every_file_and_exits_1_when_one_fails() {
    let good = audio("mp3-cbr-44k-stereo-lame.mp3");
    let bad = audio("truncated-moov-at-end.m4a");
    let flac = audio("flac-44k-stereo.flac");
    let out = podmark().arg("probe").arg("--json").arg(&good).arg(&bad).arg(&flac).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim_end(),
        format!("{}: error: truncated: the MP4 box needs 4853 bytes but the file ends at byte 36", bad.display())
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["samples"], 54_444);
    assert_eq!(items[0]["sample_rate"], 44_100);
    assert_eq!(items[0]["mime"], "audio/mpeg");
    assert_eq!(items[0]["container"], "mp3");
    assert_eq!(items[0]["precision"], "sample");
    assert_eq!(items[0]["method"], "lame_tag");
    assert_eq!(items[0]["duration"], "00:00:01.234557823");
    assert_eq!(items[0]["duration_secs"], 1.234557823);
    assert_eq!(items[0]["byte_length"], std::fs::metadata(&good).unwrap().len());
    assert_eq!(items[0]["mpeg"]["vbr_header"], "info");
    assert_eq!(items[1]["error"]["kind"], "truncated");
    assert_eq!(items[1]["error"]["offset"], 36);
    assert_eq!(items[2]["codec"], "flac");
    assert_eq!(items[2]["bits_per_sample"], 16);
}

#[test]
fn cli_table_and_usage() {
    let out = podmark().arg("probe").arg(audio("aac-48k-mono-faststart-chapters.m4a")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  type       audio/x-m4a\n"), "{text}");
    assert!(text.contains("moov before mdat: fast start"), "{text}");
    assert!(text.contains("  duration   00:00:01.234 = 59232 samples (exact, EditList)\n"), "{text}");
    assert!(
        text.contains("  chapters   2 (QuickTime)\n    00:00:00.000  Intro\n    00:00:00.400  Main topic"),
        "{text}"
    );

    let out = podmark().arg("probe").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = podmark().args(["probe", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for field in ["duration_secs", "moov_before_mdat", "precision", "encoder_delay", "byte_length", "warnings"] {
        assert!(help.contains(field), "--help does not document {field}");
    }
}

#[test]
fn cli_cache_gives_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.json");
    let file = audio("mp3-vbr-48k-mono-noxing.mp3");
    let run = || {
        let out = podmark().arg("probe").arg("--json").arg("--cache").arg(&cache).arg(&file).output().unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = run();
    assert!(cache.exists());
    assert_eq!(run(), first);
    assert_eq!(first[0]["samples"], 53 * 1152);
}

// ---- cross-checks against ffprobe --------------------------------------------------------------

fn ffprobe_stream(file: &std::path::Path, entries: &str, count_packets: bool) -> Vec<String> {
    let path = file.to_str().unwrap();
    let show = format!("stream={entries}");
    let mut args = vec!["-v", "error", "-select_streams", "a:0", "-show_entries", &show, "-of", "csv=p=0"];
    if count_packets {
        args.insert(2, "-count_packets");
    }
    args.push(path);
    run_tool("ffprobe", &args).trim().split(',').map(str::to_owned).collect()
}

#[test]
fn interop_ffprobe_agrees_where_it_is_exact() {
    if !require_tool("ffprobe") {
        return;
    }
    for x in EXPECTED {
        let path = audio(x.file);
        let info = podmark::probe::probe_path(&path).unwrap();
        let stream = ffprobe_stream(&path, "sample_rate,channels", false);
        assert_eq!(stream, [x.rate.to_string(), x.channels.to_string()], "{}", x.file);
        match x.method {
            // ffprobe applies the MP4 edit list exactly as podmark does.
            M::EditList => {
                assert_eq!(ffprobe_stream(&path, "duration_ts", false), [info.samples.to_string()], "{}", x.file);
            }
            // ffprobe's packet count is the frame count (it skips the Xing/Info frame). In the file
            // with garbage between two streams it also makes a packet of the 1234 junk bytes.
            M::FrameScan | M::LameTag if !x.file.contains("garbage") => {
                let packets: u64 = ffprobe_stream(&path, "nb_read_packets", true)[0].parse().unwrap();
                assert_eq!(packets, info.mpeg.unwrap().frames, "{}", x.file);
            }
            // (FFmpeg 5.1 counts the pad byte of the odd-sized RF64 data chunk as a sample: 9878.)
            M::StreamInfo | M::DataChunk if !x.file.contains("rf64") => {
                assert_eq!(ffprobe_stream(&path, "duration_ts", false), [info.samples.to_string()], "{}", x.file);
            }
            _ => {}
        }
    }
}

#[test]
fn he_aac_is_reported_at_its_sbr_output_rate() {
    let info = Probe::new().probe_path(fixture("mp4/he-aac.m4a")).unwrap();
    // Explicit SBR signalling: 22,050 Hz core, 44,100 Hz output, as ffprobe reports it.
    assert_eq!((info.codec, info.sample_rate, info.channels), (Codec::Aac, 44_100, 1));
    assert_eq!(info.duration.as_millis(), 3_000);
    if require_tool("ffprobe") {
        let p = fixture("mp4/he-aac.m4a");
        let out = run_tool(
            "ffprobe",
            &["-v", "error", "-show_entries", "stream=sample_rate", "-of", "csv=p=0", p.to_str().unwrap()],
        );
        assert_eq!(out.trim(), "44100");
    }
}

#[test]
fn an_impossible_mp4_sample_rate_is_a_corrupt_file_with_its_offset() {
    let err = Probe::new().probe_path(fixture("mp4/damaged-rate.m4a")).unwrap_err();
    assert!(matches!(err.kind, ProbeErrorKind::Corrupt { .. }), "{err}");
    // The audio track's mdhd box.
    assert_eq!(err.offset, 6666, "{err}");
    assert!(err.to_string().contains("134261828 Hz"), "{err}");
}
