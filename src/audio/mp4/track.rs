//! The QuickTime chapter track: a disabled text track with one sample per chapter, referenced by
//! `tref/chap` from the audio track. Apple's players (Podcasts, Books, Music, AVFoundation) read
//! chapters only from this track.
//!
//! The boxes follow what FFmpeg writes (`mov_create_chapter_track`), which Apple's players are
//! known to load (mp4ameta issue #37: "`ffmpeg -c copy` fixes it"):
//!
//! - `tkhd` flags 2 (in the movie, not enabled: never played), `edts/elst` with one edit over the
//!   whole track;
//! - `mdhd` timescale 1000, language code 0 (QuickTime's English, as FFmpeg); `hdlr` type `text`,
//!   name `Chapters` (FFmpeg: `SubtitleHandler`);
//! - `minf` with `gmhd` (`gmin` + QuickTime `text`), `dinf/dref/url ` (self-contained);
//! - `stsd` with one `text` sample entry: the 8-byte SampleEntry header (6 reserved bytes and
//!   `data_reference_index` 1, which mp4ameta omits) and FFmpeg's 43-byte text description with
//!   an `ftab` font table;
//! - one `stts` entry per sample (AVFoundation needs per-sample durations, TagLib notes), one
//!   sample per chunk (`stsc` has the one entry 1, 1, 1), per-sample sizes (`stsz`), and one
//!   `stco` (or `co64`) offset per sample. music-metadata (before 12) reads a chapter track only
//!   when it has as many chunk offsets as sample sizes; FFmpeg, Apple and mutagen read either.
//!
//! Each sample is a big-endian u16 byte length, the UTF-8 title, an `encd` box saying UTF-8
//! (`00 00 00 0C 'encd' 00 00 01 00`, as FFmpeg, mp4v2 and mp4ameta write), and, for a chapter
//! with a link, a 3GPP `href` box (TS 26.245 `TextHyperTextBox`: start and end character, URL).

use std::io::{Read, Seek};

use super::boxes::{self, BoxError, Cursor, FourCc, Node, ReadError};
use crate::Timestamp;

/// `tkhd` flags: in the movie but not enabled (not played), as FFmpeg and TagLib write it.
const TKHD_IN_MOVIE: u32 = 2;

/// Media timescale of the chapter track: milliseconds, as FFmpeg and mp4v2 write it.
pub(crate) const TIMESCALE: u32 = 1000;

/// Most samples a chapter track is read with (a u16 title length allows 65,535 bytes each).
const MAX_SAMPLES: usize = 1 << 16;

/// Largest sample read back.
const MAX_SAMPLE_BYTES: u32 = 1 << 20;

/// Longest title in a sample (its length is a u16).
pub(crate) const MAX_TITLE_BYTES: usize = u16::MAX as usize;

/// Longest URL an `href` box holds (its length is a u8).
pub(crate) const MAX_URL_BYTES: usize = 255;

/// The `encd` box FFmpeg, mp4v2 and mp4ameta append to every sample: the text is UTF-8.
const ENCD: [u8; 12] = [0, 0, 0, 12, b'e', b'n', b'c', b'd', 0, 0, 1, 0];

/// FFmpeg's text sample description after the SampleEntry header: display flags 1, justification,
/// background colour, default text box, a style record with font 1, and an `ftab` naming font 1.
const TEXT_DESCRIPTION: [u8; 43] = [
    0, 0, 0, 1, // displayFlags
    0, 0, // horizontal and vertical justification
    0, 0, 0, 0, // background colour RGBA
    0, 0, 0, 0, 0, 0, 0, 0, // default text box
    0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, // style record: chars 0..0, font 1, face 0, size 0, colour
    0, 0, 0, 13, b'f', b't', b'a', b'b', 0, 1, 0, 1, 0, // ftab: one font, id 1, empty name
];

/// The `minf/gmhd/text` payload FFmpeg writes (a QuickTime text media header: a matrix).
const GMHD_TEXT: [u8; 36] =
    [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0];

/// The identity matrix of `tkhd`.
const MATRIX: [u8; 36] =
    [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0];

/// One chapter sample: how long it lasts (ms) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sample {
    /// Duration in milliseconds.
    pub(crate) duration: u32,
    /// Length-prefixed title and modifier boxes.
    pub(crate) bytes: Vec<u8>,
}

/// The bytes of one sample: u16 length, title, `encd`, and an `href` when there is a URL.
/// `title` must be at most [`MAX_TITLE_BYTES`] and `url` at most [`MAX_URL_BYTES`] bytes.
pub(crate) fn sample_bytes(title: &str, url: Option<&str>) -> Vec<u8> {
    let len = u16::try_from(title.len()).unwrap_or(u16::MAX);
    let title = title.as_bytes().get(..usize::from(len)).unwrap_or(&[]);
    let mut b = Vec::with_capacity(2 + title.len() + ENCD.len());
    b.extend_from_slice(&len.to_be_bytes());
    b.extend_from_slice(title);
    b.extend_from_slice(&ENCD);
    if let Some(url) = url.filter(|u| u.len() <= MAX_URL_BYTES) {
        let chars = u16::try_from(String::from_utf8_lossy(title).chars().count()).unwrap_or(u16::MAX);
        let size = u32::try_from(8 + 2 + 2 + 1 + url.len() + 1).unwrap_or(u32::MAX);
        b.extend_from_slice(&size.to_be_bytes());
        b.extend_from_slice(b"href");
        b.extend_from_slice(&0u16.to_be_bytes());
        b.extend_from_slice(&chars.to_be_bytes());
        b.push(u8::try_from(url.len()).unwrap_or(u8::MAX));
        b.extend_from_slice(url.as_bytes());
        b.push(0); // no alternate text
    }
    b
}

fn full_box(kind: &[u8; 4], version: u8, flags: u32, rest: &[u8]) -> Node {
    let mut b = Vec::with_capacity(4 + rest.len());
    b.push(version);
    b.extend_from_slice(flags.to_be_bytes().get(1..).unwrap_or(&[0, 0, 0]));
    b.extend_from_slice(rest);
    Node::leaf(kind, b)
}

/// Builds the chapter `trak`: track `id`, lasting `duration_movie` in the movie timescale and
/// the samples' total in milliseconds, each sample its own chunk, laid end to end from
/// `chunk_offset`.
pub(crate) fn build_trak(id: u32, duration_movie: u64, samples: &[Sample], chunk_offset: u64) -> Node {
    let total_ms: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
    let long = duration_movie > u64::from(u32::MAX) || total_ms > u64::from(u32::MAX);
    let v = u8::from(long);

    let mut tkhd = Vec::with_capacity(96);
    if long {
        tkhd.extend_from_slice(&[0; 16]);
        tkhd.extend_from_slice(&id.to_be_bytes());
        tkhd.extend_from_slice(&[0; 4]);
        tkhd.extend_from_slice(&duration_movie.to_be_bytes());
    } else {
        tkhd.extend_from_slice(&[0; 8]);
        tkhd.extend_from_slice(&id.to_be_bytes());
        tkhd.extend_from_slice(&[0; 4]);
        tkhd.extend_from_slice(&u32::try_from(duration_movie).unwrap_or(u32::MAX).to_be_bytes());
    }
    tkhd.extend_from_slice(&[0; 16]); // reserved, layer, alternate group, volume, reserved
    tkhd.extend_from_slice(&MATRIX);
    tkhd.extend_from_slice(&[0; 8]); // width, height
    let tkhd = full_box(b"tkhd", v, TKHD_IN_MOVIE, &tkhd);

    let mut elst = Vec::with_capacity(24);
    elst.extend_from_slice(&1u32.to_be_bytes());
    if long {
        elst.extend_from_slice(&duration_movie.to_be_bytes());
        elst.extend_from_slice(&0u64.to_be_bytes());
    } else {
        elst.extend_from_slice(&u32::try_from(duration_movie).unwrap_or(u32::MAX).to_be_bytes());
        elst.extend_from_slice(&0u32.to_be_bytes());
    }
    elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    let edts = Node::container(b"edts", vec![full_box(b"elst", v, 0, &elst)]);

    let mut mdhd = Vec::with_capacity(32);
    if long {
        mdhd.extend_from_slice(&[0; 16]);
        mdhd.extend_from_slice(&TIMESCALE.to_be_bytes());
        mdhd.extend_from_slice(&total_ms.to_be_bytes());
    } else {
        mdhd.extend_from_slice(&[0; 8]);
        mdhd.extend_from_slice(&TIMESCALE.to_be_bytes());
        mdhd.extend_from_slice(&u32::try_from(total_ms).unwrap_or(u32::MAX).to_be_bytes());
    }
    mdhd.extend_from_slice(&0u16.to_be_bytes()); // language 0: QuickTime's code for English, as FFmpeg writes
    mdhd.extend_from_slice(&[0, 0]);
    let mdhd = full_box(b"mdhd", v, 0, &mdhd);

    let mut hdlr = Vec::with_capacity(32);
    hdlr.extend_from_slice(&[0; 4]);
    hdlr.extend_from_slice(b"text");
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"Chapters\0");
    let hdlr = full_box(b"hdlr", 0, 0, &hdlr);

    let mut gmin = Vec::with_capacity(12);
    gmin.extend_from_slice(&0x0040u16.to_be_bytes());
    for _ in 0..3 {
        gmin.extend_from_slice(&0x8000u16.to_be_bytes());
    }
    gmin.extend_from_slice(&[0; 4]);
    let gmhd = Node::container(b"gmhd", vec![full_box(b"gmin", 0, 0, &gmin), Node::leaf(b"text", GMHD_TEXT.to_vec())]);

    let url = full_box(b"url ", 0, 1, &[]);
    let mut dref = 1u32.to_be_bytes().to_vec();
    dref.extend_from_slice(&url.to_bytes());
    let dinf = Node::container(b"dinf", vec![full_box(b"dref", 0, 0, &dref)]);

    let mut entry = vec![0u8; 6];
    entry.extend_from_slice(&1u16.to_be_bytes());
    entry.extend_from_slice(&TEXT_DESCRIPTION);
    let mut stsd = 1u32.to_be_bytes().to_vec();
    stsd.extend_from_slice(&Node::leaf(b"text", entry).to_bytes());
    let stsd = full_box(b"stsd", 0, 0, &stsd);

    let count = u32::try_from(samples.len()).unwrap_or(u32::MAX);
    let mut stts = count.to_be_bytes().to_vec();
    let mut stsz = Vec::with_capacity(8 + samples.len() * 4);
    stsz.extend_from_slice(&0u32.to_be_bytes());
    stsz.extend_from_slice(&count.to_be_bytes());
    for s in samples {
        stts.extend_from_slice(&1u32.to_be_bytes());
        stts.extend_from_slice(&s.duration.to_be_bytes());
        stsz.extend_from_slice(&u32::try_from(s.bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    }
    let mut stsc = 1u32.to_be_bytes().to_vec();
    for v in [1u32, 1, 1] {
        stsc.extend_from_slice(&v.to_be_bytes());
    }
    let mut at = chunk_offset;
    let offsets: Vec<u64> = samples
        .iter()
        .map(|s| {
            let o = at;
            at = at.saturating_add(u64::try_from(s.bytes.len()).unwrap_or(u64::MAX));
            o
        })
        .collect();
    let stbl = Node::container(
        b"stbl",
        vec![
            stsd,
            full_box(b"stts", 0, 0, &stts),
            full_box(b"stsc", 0, 0, &stsc),
            full_box(b"stsz", 0, 0, &stsz),
            boxes::chunk_offset_box(&offsets),
        ],
    );
    let minf = Node::container(b"minf", vec![gmhd, dinf, stbl]);
    let mdia = Node::container(b"mdia", vec![mdhd, hdlr, minf]);
    Node::container(b"trak", vec![tkhd, edts, mdia])
}

/// What a track is, for deciding which tracks are the audio, the chapter titles and the chapter
/// images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackInfo {
    /// Index among `moov`'s children.
    pub(crate) index: usize,
    /// `track_ID`.
    pub(crate) id: u32,
    /// The `track_enabled` flag.
    pub(crate) enabled: bool,
    /// `hdlr` handler type.
    pub(crate) handler: FourCc,
    /// Type of the first sample entry (`    ` when there is none).
    pub(crate) entry: FourCc,
    /// The IDs `tref/chap` names, in order.
    pub(crate) chap_refs: Vec<u32>,
}

impl TrackInfo {
    /// Whether this track can hold chapter titles: a text handler (`text`, `sbtl`, `subt`) or a
    /// text sample entry (`text`, `tx3g`), and not a video track.
    pub(crate) fn is_text(&self) -> bool {
        &self.handler != b"vide"
            && (matches!(&self.handler, b"text" | b"sbtl" | b"subt") || matches!(&self.entry, b"text" | b"tx3g"))
    }

    /// Whether this track holds pictures (chapter images when `tref/chap` names it): a `vide`
    /// handler or a `jpeg`/`png ` sample entry.
    pub(crate) fn is_image(&self) -> bool {
        &self.handler == b"vide" || matches!(&self.entry, b"jpeg" | b"png " | b"mjpg")
    }

    /// The picture format of an image track, for messages.
    pub(crate) fn image_format(&self) -> &'static str {
        match &self.entry {
            b"jpeg" | b"mjpg" => "JPEG",
            b"png " => "PNG",
            _ => "video",
        }
    }
}

/// The tracks of `moov`, in order.
pub(crate) fn tracks(moov: &Node) -> Result<Vec<TrackInfo>, BoxError> {
    let mut out = Vec::new();
    for (index, trak) in moov.children().iter().enumerate() {
        if &trak.kind != b"trak" {
            continue;
        }
        let h = boxes::track_header(trak)?;
        let handler = boxes::handler(trak)?;
        let chap_refs = trak
            .path(&[b"tref", b"chap"])
            .map(|c| c.data().chunks_exact(4).filter_map(|b| boxes::be_u32(b, 0)).collect())
            .unwrap_or_default();
        let entry = boxes::sample_entry(trak).unwrap_or(*b"    ");
        out.push(TrackInfo { index, id: h.id, enabled: h.enabled, handler, entry, chap_refs });
    }
    Ok(out)
}

/// The audio track: the first enabled `soun` track, else the first `soun` track.
pub(crate) fn audio_track(tracks: &[TrackInfo]) -> Option<&TrackInfo> {
    let soun = |t: &&TrackInfo| &t.handler == b"soun";
    tracks.iter().filter(soun).find(|t| t.enabled).or_else(|| tracks.iter().find(soun))
}

/// The chapter tracks of a file, as players choose them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChapterTracks<'a> {
    /// The text track the chapters are read from.
    pub(crate) text: Option<&'a TrackInfo>,
    /// Every text track the audio track names in `tref/chap` (the chosen one among them).
    pub(crate) texts: Vec<&'a TrackInfo>,
    /// Chapter image tracks the audio track names.
    pub(crate) images: Vec<&'a TrackInfo>,
}

/// Which tracks hold the chapters: those the audio track's `tref/chap` names (else those of the
/// first track with a `tref/chap`), split into text tracks (titles) and image tracks (`vide`,
/// `jpeg`/`png `). The titles come from the **last** text track named: FFmpeg reads every named
/// text track in turn and each overwrites the titles of the one before (`avpriv_new_chapter` with
/// the same chapter IDs), so the last one is what ffprobe shows. An image track is never read as
/// titles.
pub(crate) fn chapter_tracks(tracks: &[TrackInfo]) -> ChapterTracks<'_> {
    let referrer = audio_track(tracks)
        .filter(|a| !a.chap_refs.is_empty())
        .or_else(|| tracks.iter().find(|t| &t.handler == b"soun" && !t.chap_refs.is_empty()))
        .or_else(|| tracks.iter().find(|t| !t.chap_refs.is_empty()));
    let Some(referrer) = referrer else { return ChapterTracks::default() };
    let mut out = ChapterTracks::default();
    for id in &referrer.chap_refs {
        let Some(t) = tracks.iter().find(|t| t.id == *id && t.id != referrer.id) else { continue };
        if t.is_text() {
            if !out.texts.contains(&t) {
                out.texts.push(t);
            }
        } else if t.is_image() && !out.images.contains(&t) {
            out.images.push(t);
        }
    }
    out.text = out.texts.last().copied();
    out
}

/// How many samples a track has (`stsz` count), 0 when unknown.
pub(crate) fn sample_count(trak: &Node) -> u64 {
    let Some(stsz) = trak.path(&[b"mdia", b"minf", b"stbl", b"stsz"]) else { return 0 };
    boxes::be_u32(stsz.data(), 8).map_or(0, u64::from)
}

/// A chapter read back from a chapter track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackChapter {
    /// Start in the movie.
    pub(crate) start: Timestamp,
    /// Title.
    pub(crate) title: String,
    /// `href` URL, if any.
    pub(crate) url: Option<String>,
}

/// Reads the chapters of a text chapter track: sample times from `stts` (shifted by a leading
/// empty edit), sample bytes through `stsc`/`stsz`/`stco` from `r`.
pub(crate) fn read<R: Read + Seek>(
    r: &mut R,
    trak: &Node,
    movie_timescale: u32,
) -> Result<Vec<TrackChapter>, ReadError> {
    let (timescale, _) = boxes::media_header(trak)?;
    if timescale == 0 {
        return Err(BoxError::new(trak.body_offset(), "chapter track 'mdhd' has a timescale of 0").into());
    }
    let Some(stbl) = trak.path(&[b"mdia", b"minf", b"stbl"]) else {
        return Err(BoxError::new(trak.body_offset(), "chapter track has no sample table").into());
    };
    let sizes = boxes::sample_sizes(stbl, MAX_SAMPLES)?;
    let stsc = boxes::sample_to_chunk(stbl)?;
    let chunks = boxes::chunk_offsets(stbl)?.map(|c| c.offsets).unwrap_or_default();
    let stts = boxes::time_to_sample(stbl)?;

    // Where each sample is: walk the chunks, taking samples-per-chunk from the stsc run in force.
    let mut offsets = Vec::with_capacity(sizes.len());
    let mut run = 0usize;
    for (i, &chunk) in chunks.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        while stsc.get(run + 1).is_some_and(|&(first, _)| first <= number) {
            run += 1;
        }
        let per = stsc.get(run).map_or(0, |&(_, per)| per);
        let mut at = chunk;
        for _ in 0..per {
            let Some(&size) = sizes.get(offsets.len()) else { break };
            offsets.push(at);
            at = at.saturating_add(u64::from(size));
        }
        if offsets.len() >= sizes.len() {
            break;
        }
    }

    // Start times: a leading empty edit delays the track; a media time skips into it.
    let edits = boxes::edit_list(trak)?;
    let delay: u64 = edits.iter().take_while(|&&(_, t)| t == -1).map(|&(d, _)| d).fold(0, u64::saturating_add);
    let skip = edits.iter().find(|&&(_, t)| t >= 0).map_or(0, |&(_, t)| u64::try_from(t).unwrap_or(0));
    let delay_ns = Timestamp::from_ticks(delay, u64::from(movie_timescale)).unwrap_or(Timestamp::ZERO);

    let mut out = Vec::with_capacity(offsets.len());
    let mut t = 0u64;
    let mut durations = stts.iter().flat_map(|&(n, d)| std::iter::repeat_n(d, usize::try_from(n).unwrap_or(0)));
    for (&offset, &size) in offsets.iter().zip(&sizes) {
        let media = t.saturating_sub(skip);
        let start = Timestamp::from_ticks(media, u64::from(timescale))
            .and_then(|s| s.checked_add(delay_ns))
            .unwrap_or(Timestamp::MAX);
        t = t.saturating_add(u64::from(durations.next().unwrap_or(0)));
        if size > MAX_SAMPLE_BYTES {
            return Err(BoxError::new(offset, format!("chapter sample of {size} bytes is too large")).into());
        }
        let bytes = boxes::read_at(r, offset, u64::from(size))?;
        let (title, url) = parse_sample(&bytes, offset)?;
        out.push(TrackChapter { start, title, url });
    }
    Ok(out)
}

/// Decodes one text sample: the title (UTF-8, or UTF-16 with a byte-order mark) and the URL of an
/// `href` box, if any.
pub(crate) fn parse_sample(bytes: &[u8], offset: u64) -> Result<(String, Option<String>), BoxError> {
    if bytes.is_empty() {
        return Ok((String::new(), None));
    }
    let mut c = Cursor::new(bytes, offset, *b"text");
    let len = c.u16()?;
    let text = c.take(usize::from(len))?;
    let title = if let Some(utf16) = text.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = utf16.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        String::from_utf16_lossy(&units)
    } else if let Some(utf16) = text.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = utf16.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(text).into_owned()
    };
    let mut url = None;
    while c.remaining() >= 8 {
        let size = usize::try_from(c.u32()?).unwrap_or(usize::MAX);
        let kind = c.take(4)?;
        let Some(body_len) = size.checked_sub(8).filter(|&n| n <= c.remaining()) else { break };
        let body = c.take(body_len)?;
        if kind == b"href" {
            let mut h = Cursor::new(body, 0, *b"href");
            if h.skip(4).is_ok()
                && let Ok(n) = h.u8()
                && let Ok(u) = h.take(usize::from(n))
            {
                url = Some(String::from_utf8_lossy(u).into_owned());
            }
        }
    }
    Ok((title, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn samples_match_ffmpeg_and_carry_links() {
        // FFmpeg 5.1's first chapter sample for the title "Intro".
        assert_eq!(hex(&sample_bytes("Intro", None)), "0005496e74726f0000000c656e636400000100");
        let s = sample_bytes("Ünï", Some("https://e.x/"));
        let (title, url) = parse_sample(&s, 0).unwrap();
        assert_eq!((title.as_str(), url.as_deref()), ("Ünï", Some("https://e.x/")));
        // A URL too long for href's one-byte length is left out (the caller warns).
        let long = format!("https://e.x/{}", "a".repeat(300));
        assert_eq!(parse_sample(&sample_bytes("t", Some(&long)), 0).unwrap().1, None);
    }

    #[test]
    fn utf16_and_damaged_samples() {
        let s = [0, 6, 0xFE, 0xFF, 0, b'h', 0, b'i'];
        assert_eq!(parse_sample(&s, 0).unwrap().0, "hi");
        assert!(parse_sample(&[0, 9, b'a'], 40).unwrap_err().message.contains("too short"));
        // A modifier box with a bad size ends the scan without an error.
        assert_eq!(parse_sample(&[0, 1, b'a', 0, 0, 0, 3, b'x', b'x', b'x', b'x'], 0).unwrap().0, "a");
    }

    #[test]
    fn trak_has_the_sample_entry_header_and_per_sample_durations() {
        let samples = vec![
            Sample { duration: 15_856, bytes: sample_bytes("Intro", None) },
            Sample { duration: 44_144, bytes: sample_bytes("Two", None) },
        ];
        let trak = build_trak(7, 60_000, &samples, 1234);
        let stbl = trak.path(&[b"mdia", b"minf", b"stbl"]).unwrap();
        let stsd = stbl.child(b"stsd").unwrap().data();
        // version/flags, count 1, entry size 59, 'text', 6 reserved bytes, data_reference_index 1.
        assert_eq!(hex(stsd.get(..24).unwrap()), "00000000000000010000003b74657874000000000000".to_owned() + "0001");
        assert_eq!(boxes::time_to_sample(stbl).unwrap(), vec![(1, 15_856), (1, 44_144)]);
        // One sample per chunk, chunks end to end.
        assert_eq!(boxes::sample_to_chunk(stbl).unwrap(), vec![(1, 1)]);
        assert_eq!(boxes::chunk_offsets(stbl).unwrap().unwrap().offsets, vec![1234, 1234 + 19]);
        assert_eq!(boxes::media_header(&trak).unwrap(), (1000, 60_000));
        assert_eq!(boxes::handler(&trak).unwrap(), *b"text");
        let h = boxes::track_header(&trak).unwrap();
        assert_eq!((h.id, h.enabled), (7, false));
        assert_eq!(boxes::edit_list(&trak).unwrap(), vec![(60_000, 0)]);
        // The same sizes FFmpeg writes for these boxes.
        assert_eq!(trak.child(b"tkhd").unwrap().size(), 92);
        assert_eq!(trak.path(&[b"mdia", b"minf", b"gmhd"]).unwrap().size(), 76);
        assert_eq!(stbl.child(b"stsd").unwrap().size(), 75);
    }

    #[test]
    fn long_tracks_use_version_1_headers() {
        let samples = vec![Sample { duration: u32::MAX, bytes: sample_bytes("a", None) }; 2];
        let trak = build_trak(2, u64::from(u32::MAX) * 2, &samples, 0);
        assert_eq!(boxes::media_header(&trak).unwrap(), (1000, u64::from(u32::MAX) * 2));
        assert_eq!(boxes::edit_list(&trak).unwrap(), vec![(u64::from(u32::MAX) * 2, 0)]);
        assert_eq!(boxes::track_header(&trak).unwrap().id, 2);
    }

    fn info(id: u32, handler: &[u8; 4], entry: &[u8; 4], refs: &[u32]) -> TrackInfo {
        TrackInfo { index: 0, id, enabled: true, handler: *handler, entry: *entry, chap_refs: refs.to_vec() }
    }

    #[test]
    fn chapter_titles_come_from_the_last_named_text_track_never_from_images() {
        // Hindenburg: text 1, audio 2 naming [1, 3, 4], text 3, jpeg 4.
        let tracks = [
            info(1, b"text", b"tx3g", &[]),
            info(2, b"soun", b"mp4a", &[1, 3, 4]),
            info(3, b"text", b"tx3g", &[]),
            info(4, b"vide", b"jpeg", &[]),
        ];
        let c = chapter_tracks(&tracks);
        assert_eq!(c.text.map(|t| t.id), Some(3));
        assert_eq!(c.texts.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(c.images.iter().map(|t| t.id).collect::<Vec<_>>(), [4]);
        // Only an image track named: no titles.
        let tracks = [info(1, b"soun", b"mp4a", &[2]), info(2, b"vide", b"jpeg", &[])];
        assert_eq!(chapter_tracks(&tracks).text, None);
        // A text sample entry under another handler still holds text; a png entry is an image.
        let tracks =
            [info(1, b"soun", b"mp4a", &[2, 3]), info(2, b"sdsm", b"tx3g", &[]), info(3, b"mdir", b"png ", &[])];
        let c = chapter_tracks(&tracks);
        assert_eq!((c.text.map(|t| t.id), c.images.len()), (Some(2), 1));
        // No tref/chap at all.
        assert_eq!(chapter_tracks(&[info(1, b"soun", b"mp4a", &[])]), ChapterTracks::default());
    }
}
