//! MP4 / M4A / M4B / QuickTime: a box walker that reads only the boxes a probe needs.
//!
//! * MIME type: `video/mp4` when a video track other than a chapter-image track is enabled,
//!   otherwise `audio/x-m4a` whatever the `ftyp` brand (see [`crate::mime`]).
//! * The audio track's length is the sum of its `stts` sample durations, with the `elst` edit
//!   list applied the way FFmpeg applies it (`ffprobe -show_entries stream=duration`): the media
//!   time of the first edit is the encoder delay (AAC priming), the edit's duration (in the movie
//!   time scale, rounded to the nearest media tick) is the playable length, and what follows it is
//!   padding.
//! * Whether `moov` precedes `mdat` (progressive playback).
//! * Chapters from the QuickTime chapter track (`tref/chap` → text samples, what Apple reads),
//!   else from the Nero `moov/udta/chpl` box (100 ns units, as FFmpeg and mp4v2 read it).
//!
//! Boxes are walked through the windowed reader; sample tables are streamed entry by entry, so a
//! long file's `stsz` is never held in memory. Fragmented files (`moof`) are measured from their
//! `trun` sample durations.

use std::io::{Read, Seek};

use crate::audio::Bytes;
use crate::audio::{
    AudioInfo, ChapterSource, Codec, Container, DurationMethod, FoundChapters, FourCc, Mime, Mp4Info, Precision, Probe,
    ProbeError, ProbeErrorKind, ProbeWarning, Source, u64_of,
};
use crate::{Chapter, Timestamp};

/// Small boxes (headers, `stsd`, `elst`, `chpl`) are read up to this size.
const MAX_SMALL_BOX: usize = 1024 * 1024;
/// Chapter tracks with more samples than this are not read.
const MAX_CHAPTERS: u64 = 10_000;
/// Nesting depth the walker follows.
const MAX_DEPTH: usize = 16;

/// A box header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// Offset of the box in the file.
    pub offset: u64,
    /// The box type.
    pub kind: FourCc,
    /// Header length (8 or 16 bytes).
    pub header_len: u64,
    /// Total size, header included.
    pub size: u64,
}

impl BoxHeader {
    /// Where the body starts.
    pub fn body(&self) -> u64 {
        self.offset + self.header_len
    }
    /// Where the box ends.
    pub fn end(&self) -> u64 {
        self.offset + self.size
    }
    fn body_len(&self) -> u64 {
        self.size - self.header_len
    }
}

/// Reads the box header at `offset`, which must end by `parent_end`.
fn box_at<R: Read + Seek>(src: &mut Source<R>, offset: u64, parent_end: u64) -> Result<BoxHeader, ProbeError> {
    let b = src.read(offset, 8, "MP4 box header")?;
    let (Some(size32), Some(kind)) = (b.be32(0), b.arr::<4>(4)) else {
        return Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "MP4 box header", needed: 8 }));
    };
    let kind = FourCc(kind);
    let (header_len, size) = match size32 {
        0 => (8, parent_end.saturating_sub(offset)),
        1 => {
            let large = src.read(offset + 8, 8, "MP4 box header")?.be64(0).unwrap_or(0);
            (16, large)
        }
        n => (8, u64::from(n)),
    };
    if size < header_len {
        return Err(ProbeError::corrupt(
            offset,
            "MP4 box",
            format!("{kind:?} box size {size} is smaller than its header"),
        ));
    }
    if offset.saturating_add(size) > parent_end {
        if parent_end >= src.len() {
            return Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "MP4 box", needed: size }));
        }
        return Err(ProbeError::corrupt(
            offset,
            "MP4 box",
            format!("{kind:?} box of {size} bytes runs past the end of its parent at byte {parent_end}"),
        ));
    }
    Ok(BoxHeader { offset, kind, header_len, size })
}

/// The child boxes in `[start, end)`.
fn children<R: Read + Seek>(src: &mut Source<R>, start: u64, end: u64) -> Result<Vec<BoxHeader>, ProbeError> {
    let mut out = Vec::new();
    let mut at = start;
    while at + 8 <= end {
        let b = box_at(src, at, end)?;
        at = b.end();
        out.push(b);
    }
    Ok(out)
}

/// The body of a small box (at most [`MAX_SMALL_BOX`] bytes of it).
fn small_body<R: Read + Seek>(src: &mut Source<R>, b: &BoxHeader) -> Result<Vec<u8>, ProbeError> {
    let n = usize::try_from(b.body_len()).unwrap_or(usize::MAX).min(MAX_SMALL_BOX);
    Ok(src.read(b.body(), n, "MP4 box")?.to_vec())
}

/// One edit list entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edit {
    /// In the movie time scale.
    duration: u64,
    /// In the media time scale; -1 for an empty edit.
    media_time: i64,
}

/// A sample table kept in memory (only for chapter tracks, which are small).
#[derive(Debug, Default, Clone)]
struct Tables {
    stts: Vec<(u32, u32)>,
    sizes: Vec<u32>,
    stsc: Vec<(u32, u32)>,
    chunks: Vec<u64>,
}

#[derive(Debug, Default, Clone)]
struct Track {
    id: u32,
    enabled: bool,
    handler: [u8; 4],
    timescale: u32,
    edits: Vec<Edit>,
    entry: Option<[u8; 4]>,
    entry_channels: u16,
    entry_rate: u32,
    entry_bits: u16,
    /// MPEG-4 object type indication from `esds`.
    object_type: Option<u8>,
    /// Channels and sample rate from an AAC AudioSpecificConfig.
    asc: Option<(u16, u32)>,
    /// Σ count × delta of `stts`.
    media_units: u64,
    samples: u64,
    sample_bytes: u64,
    chap_refs: Vec<u32>,
    /// Sample tables, kept for tracks that might hold chapters.
    tables: Option<Tables>,
    /// `trex`/`tfhd` default sample duration, for fragmented files.
    default_duration: u32,
}

/// Probes an MP4 file from a reader.
pub fn probe<R: Read + Seek>(reader: R) -> Result<AudioInfo, ProbeError> {
    let mut src = Source::new(reader)?;
    let len = src.len();
    let mut info = probe_source(&mut src, &Probe::default())?;
    info.byte_length = len;
    Ok(info)
}

pub(crate) fn probe_source<R: Read + Seek>(src: &mut Source<R>, opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let len = src.len();
    let mut warnings = Vec::new();
    let mut brand = FourCc(*b"    ");
    let mut moov: Option<BoxHeader> = None;
    let mut mdat: Option<BoxHeader> = None;
    let mut moofs: Vec<BoxHeader> = Vec::new();
    let mut at = 0u64;
    while at < len {
        if len - at < 8 {
            warnings.push(ProbeWarning::new(at, format!("{} stray bytes after the last box", len - at)));
            break;
        }
        let b = box_at(src, at, len)?;
        match &b.kind.0 {
            b"ftyp" => {
                if let Some(major) = src.read(b.body(), 4, "ftyp box")?.arr::<4>(0) {
                    brand = FourCc(major);
                }
            }
            b"moov" => {
                moov.get_or_insert(b);
            }
            b"mdat" => {
                mdat.get_or_insert(b);
            }
            b"moof" => moofs.push(b),
            _ => {}
        }
        at = b.end();
    }
    let Some(moov) = moov else {
        return Err(ProbeError::corrupt(len, "MP4 file", "no moov box (the file may be an incomplete download)"));
    };
    let moov_before_mdat = mdat.is_none_or(|m| moov.offset < m.offset);

    let mut movie_timescale = 0u32;
    let mut tracks: Vec<Track> = Vec::new();
    let mut nero: Option<Vec<Chapter>> = None;
    let mut fragmented = !moofs.is_empty();
    for b in children(src, moov.body(), moov.end())? {
        match &b.kind.0 {
            b"mvhd" => {
                let body = small_body(src, &b)?;
                let ts = if body.first() == Some(&1) { body.be32(20) } else { body.be32(12) };
                movie_timescale = ts.unwrap_or(0);
            }
            b"trak" => tracks.push(read_trak(src, &b)?),
            b"udta" if opts.chapters => {
                for u in children(src, b.body(), b.end())? {
                    if &u.kind.0 == b"chpl" {
                        nero = Some(read_chpl(&small_body(src, &u)?));
                    }
                }
            }
            b"mvex" => {
                fragmented = true;
                for t in children(src, b.body(), b.end())? {
                    if &t.kind.0 == b"trex" {
                        let body = small_body(src, &t)?;
                        if let (Some(id), Some(dur)) = (body.be32(4), body.be32(12))
                            && let Some(tr) = tracks.iter_mut().find(|tr| tr.id == id)
                        {
                            tr.default_duration = dur;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if fragmented {
        add_fragments(src, &moofs, &mut tracks)?;
    }

    let chapter_ids: Vec<u32> = tracks.iter().flat_map(|t| t.chap_refs.iter().copied()).collect();
    let Some(audio) = tracks
        .iter()
        .find(|t| &t.handler == b"soun" && t.enabled)
        .or_else(|| tracks.iter().find(|t| &t.handler == b"soun"))
    else {
        return Err(ProbeError::corrupt(moov.offset, "MP4 moov box", "no audio track"));
    };
    if audio.timescale == 0 {
        return Err(ProbeError::corrupt(moov.offset, "MP4 mdhd box", "media time scale 0"));
    }
    let has_video = tracks.iter().any(|t| &t.handler == b"vide" && t.enabled && !chapter_ids.contains(&t.id));
    let mime = if has_video {
        Mime::VideoMp4
    } else {
        // Audio-only MP4 is `audio/x-m4a` whatever the brand (`isom`, `mp42`, `dash`, …): the
        // type Apple accepts, and what every podcast app plays.
        Mime::AudioXM4a
    };

    // The edit list, applied as FFmpeg does.
    let total = audio.media_units;
    let mut method = DurationMethod::SampleTable;
    let (mut delay, mut units) = (0u64, total);
    let real: Vec<&Edit> = audio.edits.iter().filter(|e| e.media_time >= 0).collect();
    if let Some(first) = real.first() {
        method = DurationMethod::EditList;
        delay = u64::try_from(first.media_time).unwrap_or(0).min(total);
        let available = total - delay;
        units = if real.iter().all(|e| e.duration == 0) || movie_timescale == 0 {
            available
        } else {
            let sum: u64 =
                real.iter().map(|e| rescale(e.duration, u64::from(audio.timescale), u64::from(movie_timescale))).sum();
            if sum > available {
                warnings.push(ProbeWarning::new(
                    moov.offset,
                    format!("edit list asks for {sum} media ticks but the track has {available} after the delay"),
                ));
            }
            sum.min(available)
        };
    }
    let padding = total - delay - units;

    let codec = codec_of(audio);
    // Sample rate: the media time scale is the sample rate in every audio MP4 writer we know;
    // otherwise convert media ticks to the sample entry's rate.
    let rate = if audio.timescale >= 8000 { audio.timescale } else { audio.asc.map_or(audio.entry_rate, |a| a.1) };
    let to_samples = |u: u64| rescale(u, u64::from(rate), u64::from(audio.timescale));
    let channels = audio.asc.map(|a| a.0).filter(|&c| c > 0).unwrap_or(audio.entry_channels);
    let mut info =
        AudioInfo::new(Container::Mp4, codec, mime, channels, rate, to_samples(units), Precision::Sample, method);
    if method == DurationMethod::EditList {
        info.encoder_delay = u32::try_from(to_samples(delay)).ok();
        info.encoder_padding = u32::try_from(to_samples(padding)).ok();
    }
    if matches!(codec, Codec::Pcm | Codec::Alac | Codec::Flac) && audio.entry_bits > 0 {
        info.bits_per_sample = Some(audio.entry_bits);
    }
    let audio_bytes = if audio.sample_bytes > 0 { audio.sample_bytes } else { mdat.map_or(0, |m| m.body_len()) };
    info.set_audio_bytes(audio_bytes);
    info.mp4 = Some(Mp4Info {
        major_brand: brand,
        sample_entry: FourCc(audio.entry.unwrap_or(*b"    ")),
        moov_before_mdat,
        fragmented,
    });

    if opts.chapters {
        let track = audio.chap_refs.iter().find_map(|id| tracks.iter().find(|t| t.id == *id && t.tables.is_some()));
        let qt = match track {
            Some(t) => read_chapter_track(src, t, &mut warnings)?,
            None => Vec::new(),
        };
        let nero_count = nero.as_ref().map_or(0, Vec::len);
        if !qt.is_empty() {
            if nero_count > 0 && nero_count != qt.len() {
                warnings.push(ProbeWarning::new(
                    moov.offset,
                    format!("the chapter track has {} chapters but the chpl box has {nero_count}", qt.len()),
                ));
            }
            info.chapters = FoundChapters::new(ChapterSource::QuickTime, qt);
        } else if let Some(list) = nero {
            info.chapters = FoundChapters::new(ChapterSource::Nero, list);
        }
    }
    info.warnings = warnings;
    Ok(info)
}

/// `value × to / from`, rounded to nearest (ties away from zero), saturating.
fn rescale(value: u64, to: u64, from: u64) -> u64 {
    if from == 0 {
        return 0;
    }
    let r = (u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    u64::try_from(r).unwrap_or(u64::MAX)
}

fn codec_of(t: &Track) -> Codec {
    match &t.entry.unwrap_or(*b"    ") {
        b"mp4a" => match t.object_type {
            Some(0x69 | 0x6b) => Codec::Mp3,
            Some(0xa5) => Codec::Ac3,
            Some(0xa6) => Codec::Eac3,
            Some(0xad) => Codec::Opus,
            _ => Codec::Aac,
        },
        b"alac" => Codec::Alac,
        b"Opus" => Codec::Opus,
        b"fLaC" => Codec::Flac,
        b"ac-3" => Codec::Ac3,
        b"ec-3" => Codec::Eac3,
        b".mp3" => Codec::Mp3,
        b"lpcm" | b"sowt" | b"twos" | b"in24" | b"in32" | b"raw " => Codec::Pcm,
        b"fl32" | b"fl64" => Codec::PcmFloat,
        b"alaw" => Codec::Alaw,
        b"ulaw" => Codec::Mulaw,
        _ => Codec::Other,
    }
}

fn read_trak<R: Read + Seek>(src: &mut Source<R>, trak: &BoxHeader) -> Result<Track, ProbeError> {
    let mut t = Track::default();
    walk_trak(src, trak.body(), trak.end(), &mut t, 0)?;
    Ok(t)
}

fn walk_trak<R: Read + Seek>(
    src: &mut Source<R>,
    start: u64,
    end: u64,
    t: &mut Track,
    depth: usize,
) -> Result<(), ProbeError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for b in children(src, start, end)? {
        match &b.kind.0 {
            b"mdia" | b"minf" | b"stbl" | b"edts" | b"tref" => walk_trak(src, b.body(), b.end(), t, depth + 1)?,
            b"tkhd" => {
                let body = small_body(src, &b)?;
                t.enabled = body.get(3).is_some_and(|f| f & 1 != 0);
                t.id = if body.first() == Some(&1) { body.be32(20) } else { body.be32(12) }.unwrap_or(0);
            }
            b"mdhd" => {
                let body = small_body(src, &b)?;
                t.timescale = if body.first() == Some(&1) { body.be32(20) } else { body.be32(12) }.unwrap_or(0);
            }
            b"hdlr" => {
                t.handler = small_body(src, &b)?.arr::<4>(8).unwrap_or([0; 4]);
                if &t.handler != b"soun" {
                    t.tables.get_or_insert_with(Tables::default);
                }
            }
            b"elst" => {
                let body = small_body(src, &b)?;
                let v1 = body.first() == Some(&1);
                let count = body.be32(4).unwrap_or(0);
                let step = if v1 { 20 } else { 12 };
                for i in 0..usize::try_from(count).unwrap_or(0) {
                    let at = 8 + i * step;
                    let edit = if v1 {
                        body.be64(at)
                            .zip(body.be64(at + 8))
                            .map(|(d, m)| Edit { duration: d, media_time: i64::from_be_bytes(m.to_be_bytes()) })
                    } else {
                        body.be32(at).zip(body.be32(at + 4)).map(|(d, m)| Edit {
                            duration: u64::from(d),
                            media_time: i64::from(i32::from_be_bytes(m.to_be_bytes())),
                        })
                    };
                    match edit {
                        Some(e) => t.edits.push(e),
                        None => break,
                    }
                }
            }
            b"chap" => {
                let body = small_body(src, &b)?;
                t.chap_refs.extend(body.chunks_exact(4).filter_map(|c| c.be32(0)));
            }
            b"stsd" => read_stsd(src, &b, t)?,
            b"stts" => {
                let mut keep = t.tables.as_ref().map(|_| Vec::new());
                let (units, samples) = stream_pairs(src, &b, 4, |count, delta| {
                    if let Some(k) = keep.as_mut().filter(|k| u64_of(k.len()) < MAX_CHAPTERS) {
                        k.push((count, delta));
                    }
                })?;
                t.media_units = units;
                t.samples = samples;
                if let (Some(tables), Some(k)) = (t.tables.as_mut(), keep) {
                    tables.stts = k;
                }
            }
            b"stsz" => {
                let head = src.read(b.body(), 12.min(usize::try_from(b.body_len()).unwrap_or(0)), "stsz box")?;
                let (Some(size), Some(count)) = (head.be32(4), head.be32(8)) else { continue };
                let keep_sizes = t.tables.is_some() && u64::from(count) <= MAX_CHAPTERS;
                let mut kept = Vec::new();
                if size != 0 {
                    t.sample_bytes = u64::from(size) * u64::from(count);
                    if keep_sizes {
                        kept = vec![size; usize::try_from(count).unwrap_or(0)];
                    }
                } else {
                    let mut sum = 0u64;
                    stream_u32s(src, b.body() + 12, count, b.end(), |s| {
                        sum += u64::from(s);
                        if keep_sizes {
                            kept.push(s);
                        }
                    })?;
                    t.sample_bytes = sum;
                }
                if let Some(tables) = t.tables.as_mut() {
                    tables.sizes = kept;
                }
            }
            b"stsc" if t.tables.is_some() => {
                let body = small_body(src, &b)?;
                let count = body.be32(4).unwrap_or(0);
                let list: Vec<(u32, u32)> = (0..usize::try_from(count).unwrap_or(0))
                    .map_while(|i| body.be32(8 + i * 12).zip(body.be32(12 + i * 12)))
                    .collect();
                if let Some(tables) = t.tables.as_mut() {
                    tables.stsc = list;
                }
            }
            b"stco" | b"co64" if t.tables.is_some() => {
                let wide = &b.kind.0 == b"co64";
                let body = small_body(src, &b)?;
                let count = body.be32(4).unwrap_or(0);
                let list: Vec<u64> = (0..usize::try_from(count).unwrap_or(0))
                    .map_while(|i| if wide { body.be64(8 + i * 8) } else { body.be32(8 + i * 4).map(u64::from) })
                    .collect();
                if let Some(tables) = t.tables.as_mut() {
                    tables.chunks = list;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Streams the `(count, value)` pairs of an `stts`-like box whose entry count is at `count_at`
/// of the body; returns `(Σ count × value, Σ count)`.
fn stream_pairs<R: Read + Seek>(
    src: &mut Source<R>,
    b: &BoxHeader,
    count_at: u64,
    mut each: impl FnMut(u32, u32),
) -> Result<(u64, u64), ProbeError> {
    let head = src.read(b.body(), 8.min(usize::try_from(b.body_len()).unwrap_or(0)), "MP4 sample table")?;
    let Some(count) = head.be32(usize::try_from(count_at).unwrap_or(4)) else { return Ok((0, 0)) };
    let mut units = 0u64;
    let mut samples = 0u64;
    let mut pending: Option<u32> = None;
    stream_u32s(src, b.body() + 8, count.saturating_mul(2), b.end(), |v| match pending.take() {
        None => pending = Some(v),
        Some(c) => {
            units = units.saturating_add(u64::from(c) * u64::from(v));
            samples = samples.saturating_add(u64::from(c));
            each(c, v);
        }
    })?;
    Ok((units, samples))
}

/// Calls `each` for `count` big-endian u32 values from `at`, which must end by `end`.
fn stream_u32s<R: Read + Seek>(
    src: &mut Source<R>,
    at: u64,
    count: u32,
    end: u64,
    mut each: impl FnMut(u32),
) -> Result<(), ProbeError> {
    let bytes = u64::from(count) * 4;
    if at.saturating_add(bytes) > end {
        return Err(ProbeError::corrupt(at, "MP4 sample table", format!("{count} entries do not fit in the box")));
    }
    let mut pos = at;
    let stop = at + bytes;
    while pos < stop {
        let n = usize::try_from((stop - pos).min(64 * 1024)).unwrap_or(64 * 1024);
        let chunk = src.read(pos, n, "MP4 sample table")?;
        for c in chunk.chunks_exact(4) {
            if let Some(v) = c.be32(0) {
                each(v);
            }
        }
        pos += u64_of(n);
    }
    Ok(())
}

fn read_stsd<R: Read + Seek>(src: &mut Source<R>, b: &BoxHeader, t: &mut Track) -> Result<(), ProbeError> {
    let body = small_body(src, b)?;
    let Some(entry_size) = body.be32(8) else { return Ok(()) };
    t.entry = body.arr::<4>(12);
    if &t.handler != b"soun" {
        return Ok(());
    }
    let e = 8usize;
    let entry_end = e.saturating_add(usize::try_from(entry_size).unwrap_or(0)).min(body.len());
    // AudioSampleEntry: 8 box header + 8 SampleEntry + QuickTime version(2) revision(2) vendor(4).
    let version = body.be16(e + 16).unwrap_or(0);
    t.entry_channels = body.be16(e + 24).unwrap_or(0);
    t.entry_bits = body.be16(e + 26).unwrap_or(0);
    t.entry_rate = body.be32(e + 32).map_or(0, |r| r >> 16);
    let kids = match version {
        1 => e + 52,
        2 => {
            // QuickTime sound description v2: 64-bit float rate and 32-bit channel count.
            if let Some(rate) = body.be64(e + 40).map(f64::from_bits).filter(|r| r.is_finite() && *r >= 1.0 && *r < 1e7)
            {
                t.entry_rate = format!("{rate:.0}").parse().unwrap_or(t.entry_rate);
            }
            t.entry_channels = body.be32(e + 48).and_then(|c| u16::try_from(c).ok()).unwrap_or(t.entry_channels);
            e + 72
        }
        _ => e + 36,
    };
    let mut at = kids;
    while let (Some(size), Some(kind)) = (body.be32(at), body.arr::<4>(at + 4)) {
        let size = usize::try_from(size).unwrap_or(0);
        if size < 8 || at + size > entry_end {
            break;
        }
        let inner = body.get(at + 8..at + size).unwrap_or(&[]);
        if &kind == b"esds" {
            esds(inner.get(4..).unwrap_or(&[]), t);
        } else if &kind == b"dOps"
            && let Some(&ch) = inner.get(1)
        {
            t.entry_channels = u16::from(ch);
        }
        at += size;
    }
    Ok(())
}

/// An MPEG-4 descriptor at `at`: (tag, body range).
fn descriptor(d: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *d.get(at)?;
    let mut len = 0usize;
    let mut p = at + 1;
    for _ in 0..4 {
        let b = *d.get(p)?;
        p += 1;
        len = (len << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
    }
    Some((tag, p, p.saturating_add(len).min(d.len())))
}

fn esds(d: &[u8], t: &mut Track) {
    let Some((0x03, body, end)) = descriptor(d, 0) else { return };
    let Some(&flags) = d.get(body + 2) else { return };
    let mut p = body + 3;
    if flags & 0x80 != 0 {
        p += 2;
    }
    if flags & 0x40 != 0 {
        p += 1 + usize::from(d.get(p).copied().unwrap_or(0));
    }
    if flags & 0x20 != 0 {
        p += 2;
    }
    let Some((0x04, dc, dc_end)) = descriptor(d, p).filter(|x| x.2 <= end) else { return };
    t.object_type = d.get(dc).copied();
    if let Some((0x05, asc, asc_end)) = descriptor(d, dc + 13).filter(|x| x.2 <= dc_end) {
        t.asc = audio_specific_config(d.get(asc..asc_end).unwrap_or(&[]));
    }
}

/// Channels and sample rate from an AAC AudioSpecificConfig.
fn audio_specific_config(a: &[u8]) -> Option<(u16, u32)> {
    const RATES: [u32; 13] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
    if a.len() < 2 {
        return None;
    }
    let bits = a.iter().take(8).fold(0u64, |acc, &b| (acc << 8) | u64::from(b)) << (8 * (8 - a.len().min(8)));
    let mut pos = 0u32;
    let mut take = |n: u32| {
        let v = (bits >> (64 - pos - n)) & ((1 << n) - 1);
        pos += n;
        v
    };
    let aot = take(5);
    if aot == 31 {
        take(6);
    }
    let index = take(4);
    let rate = if index == 15 { u32::try_from(take(24)).ok()? } else { *RATES.get(usize::try_from(index).ok()?)? };
    let channels = u16::try_from(take(4)).ok()?;
    Some((channels, rate))
}

/// Chapters of a Nero `chpl` box body.
fn read_chpl(body: &[u8]) -> Vec<Chapter> {
    let version = body.first().copied().unwrap_or(0);
    let mut p = if version == 0 { 4 } else { 8 };
    let count = body.get(p).copied().unwrap_or(0);
    p += 1;
    let mut out = Vec::new();
    for _ in 0..count {
        let (Some(start), Some(&n)) = (body.be64(p), body.get(p + 8)) else { break };
        let n = usize::from(n);
        let Some(title) = body.get(p + 9..p + 9 + n) else { break };
        p += 9 + n;
        let start = Timestamp::from_nanos(start.saturating_mul(100));
        out.push(Chapter::new(start, String::from_utf8_lossy(title).trim().to_owned()));
    }
    out
}

/// Chapters from the text samples of a QuickTime chapter track.
fn read_chapter_track<R: Read + Seek>(
    src: &mut Source<R>,
    t: &Track,
    warnings: &mut Vec<ProbeWarning>,
) -> Result<Vec<Chapter>, ProbeError> {
    let Some(tables) = t.tables.as_ref() else { return Ok(Vec::new()) };
    if t.samples > MAX_CHAPTERS || t.timescale == 0 {
        return Ok(Vec::new());
    }
    // Start time of every sample.
    let mut starts = Vec::new();
    let mut time = 0u64;
    for &(count, delta) in &tables.stts {
        for _ in 0..count {
            if u64_of(starts.len()) >= MAX_CHAPTERS {
                break;
            }
            starts.push(time);
            time = time.saturating_add(u64::from(delta));
        }
    }
    // File offset of every sample, from the chunk offsets and the sample-to-chunk runs.
    let mut offsets = Vec::new();
    let mut sample = 0usize;
    for (ci, &chunk_offset) in tables.chunks.iter().enumerate() {
        let chunk_no = u32::try_from(ci + 1).unwrap_or(u32::MAX);
        let per_chunk = tables.stsc.iter().rev().find(|(first, _)| *first <= chunk_no).map_or(1, |r| r.1);
        let mut at = chunk_offset;
        for _ in 0..per_chunk {
            let Some(&size) = tables.sizes.get(sample) else { break };
            offsets.push((at, size));
            at = at.saturating_add(u64::from(size));
            sample += 1;
        }
    }
    let mut out = Vec::new();
    for (&start, &(offset, size)) in starts.iter().zip(&offsets) {
        let n = usize::try_from(size).unwrap_or(0).min(64 * 1024);
        let Ok(data) = src.read(offset, n, "MP4 chapter sample") else {
            warnings.push(ProbeWarning::new(offset, "chapter text sample lies outside the file; skipped"));
            continue;
        };
        let Some(len) = data.be16(0) else { continue };
        let text = data.get(2..2 + usize::from(len)).unwrap_or(data.get(2..).unwrap_or(&[]));
        let title = match text {
            [0xfe, 0xff, rest @ ..] => utf16(rest, true),
            [0xff, 0xfe, rest @ ..] => utf16(rest, false),
            _ => String::from_utf8_lossy(text).into_owned(),
        };
        let mut chapter =
            Chapter::new(Timestamp::from_ticks(start, u64::from(t.timescale)).unwrap_or(Timestamp::MAX), title.trim());
        chapter.url = href(data.get(2 + usize::from(len)..).unwrap_or(&[]));
        out.push(chapter);
    }
    Ok(out)
}

fn utf16(b: &[u8], big: bool) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .filter_map(|c| c.arr::<2>(0))
        .map(|p| if big { u16::from_be_bytes(p) } else { u16::from_le_bytes(p) })
        .collect();
    String::from_utf16_lossy(&units)
}

/// The URL of an `href` modifier box after a text sample's string (3GPP timed text).
fn href(mut b: &[u8]) -> Option<String> {
    while let (Some(size), Some(kind)) = (b.be32(0), b.arr::<4>(4)) {
        let size = usize::try_from(size).ok()?;
        let inner = b.get(8..size)?;
        if &kind == b"href" {
            let n = usize::from(*inner.get(4)?);
            let url = inner.get(5..5 + n)?;
            return Some(String::from_utf8_lossy(url).into_owned()).filter(|u| !u.is_empty());
        }
        b = b.get(size.max(8)..)?;
    }
    None
}

/// Adds the sample durations of movie fragments (`moof/traf/trun`) to the tracks.
fn add_fragments<R: Read + Seek>(
    src: &mut Source<R>,
    moofs: &[BoxHeader],
    tracks: &mut [Track],
) -> Result<(), ProbeError> {
    for moof in moofs {
        for traf in children(src, moof.body(), moof.end())? {
            if &traf.kind.0 != b"traf" {
                continue;
            }
            let mut track: Option<usize> = None;
            let mut default_duration = 0u32;
            let mut default_size = 0u32;
            for b in children(src, traf.body(), traf.end())? {
                match &b.kind.0 {
                    b"tfhd" => {
                        let body = small_body(src, &b)?;
                        let flags = body.be32(0).unwrap_or(0) & 0x00ff_ffff;
                        let id = body.be32(4).unwrap_or(0);
                        track = tracks.iter().position(|t| t.id == id);
                        default_duration = track.and_then(|i| tracks.get(i)).map_or(0, |t| t.default_duration);
                        let mut p = 8;
                        for (flag, width) in [(0x01, 8), (0x02, 4), (0x08, 4), (0x10, 4)] {
                            if flags & flag != 0 {
                                match flag {
                                    0x08 => default_duration = body.be32(p).unwrap_or(default_duration),
                                    0x10 => default_size = body.be32(p).unwrap_or(0),
                                    _ => {}
                                }
                                p += width;
                            }
                        }
                    }
                    b"trun" => {
                        let Some(t) = track.and_then(|i| tracks.get_mut(i)) else { continue };
                        let body = small_body(src, &b)?;
                        let flags = body.be32(0).unwrap_or(0) & 0x00ff_ffff;
                        let count = body.be32(4).unwrap_or(0);
                        let mut p = 8;
                        if flags & 0x01 != 0 {
                            p += 4;
                        }
                        if flags & 0x04 != 0 {
                            p += 4;
                        }
                        let fields = [0x100, 0x200, 0x400, 0x800];
                        let per: usize = fields.iter().filter(|&&f| flags & f != 0).count() * 4;
                        for i in 0..usize::try_from(count).unwrap_or(0) {
                            let mut q = p + i * per;
                            let mut dur = default_duration;
                            let mut size = default_size;
                            if flags & 0x100 != 0 {
                                let Some(d) = body.be32(q) else { break };
                                dur = d;
                                q += 4;
                            }
                            if flags & 0x200 != 0 {
                                size = body.be32(q).unwrap_or(size);
                            }
                            t.media_units = t.media_units.saturating_add(u64::from(dur));
                            t.samples += 1;
                            t.sample_bytes = t.sample_bytes.saturating_add(u64::from(size));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    pub(crate) fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn full(version: u8, flags: u32, rest: &[u8]) -> Vec<u8> {
        let mut b = vec![version];
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        b.extend_from_slice(rest);
        b
    }

    fn be(vals: &[u32]) -> Vec<u8> {
        vals.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// An `mp4a` sample entry with an `esds` for AAC-LC at `rate`.
    fn mp4a(channels: u16, rate: u32) -> Vec<u8> {
        let mut e = vec![0u8; 6];
        e.extend_from_slice(&1u16.to_be_bytes());
        e.extend_from_slice(&[0; 8]);
        e.extend_from_slice(&channels.to_be_bytes());
        e.extend_from_slice(&16u16.to_be_bytes());
        e.extend_from_slice(&[0; 4]);
        e.extend_from_slice(&(rate << 16).to_be_bytes());
        let index =
            [96000u32, 88200, 64000, 48000, 44100, 32000, 24000, 22050].iter().position(|&r| r == rate).unwrap();
        let index = u8::try_from(index).unwrap();
        let asc = [(2 << 3) | (index >> 1), ((index & 1) << 7) | (u8::try_from(channels).unwrap() << 3)];
        let mut dsi = vec![0x05, 2];
        dsi.extend_from_slice(&asc);
        let mut dc = vec![0x04, u8::try_from(13 + dsi.len()).unwrap(), 0x40, 0x15, 0, 0, 0];
        dc.extend_from_slice(&[0; 8]);
        dc.extend(dsi);
        let mut es = vec![0x03, u8::try_from(3 + dc.len()).unwrap(), 0, 1, 0];
        es.extend(dc);
        e.extend(bx(b"esds", &full(0, 0, &es)));
        bx(b"mp4a", &e)
    }

    #[allow(clippy::too_many_arguments)]
    fn trak(
        id: u32,
        enabled: bool,
        handler: &[u8; 4],
        timescale: u32,
        stts: &[(u32, u32)],
        extra: &[Vec<u8>],
        stbl_extra: &[Vec<u8>],
        entry: Vec<u8>,
    ) -> Vec<u8> {
        let mut tkhd = vec![0u8; 8];
        tkhd.extend_from_slice(&id.to_be_bytes());
        tkhd.resize(80, 0);
        let mut mdhd = vec![0u8; 8];
        mdhd.extend_from_slice(&timescale.to_be_bytes());
        mdhd.extend_from_slice(&[0; 8]);
        let hdlr = full(0, 0, &[&[0u8; 4][..], handler, &[0; 12], b"h\0"].concat());
        let mut stts_body = be(&[u32::try_from(stts.len()).unwrap()]);
        for &(c, d) in stts {
            stts_body.extend(be(&[c, d]));
        }
        let stsd = full(0, 0, &[be(&[1]), entry].concat());
        let mut stbl = bx(b"stsd", &stsd);
        stbl.extend(bx(b"stts", &full(0, 0, &stts_body)));
        for s in stbl_extra {
            stbl.extend_from_slice(s);
        }
        let minf = bx(b"stbl", &stbl);
        let mdia = [bx(b"mdhd", &full(0, 0, &mdhd)), bx(b"hdlr", &hdlr), bx(b"minf", &minf)].concat();
        let mut body = bx(b"tkhd", &full(0, u32::from(enabled) | 2, &tkhd));
        for x in extra {
            body.extend_from_slice(x);
        }
        body.extend(bx(b"mdia", &mdia));
        bx(b"trak", &body)
    }

    fn elst(duration: u32, media_time: i32) -> Vec<u8> {
        let mut e = be(&[1, duration]);
        e.extend_from_slice(&media_time.to_be_bytes());
        e.extend_from_slice(&[0, 1, 0, 0]);
        bx(b"edts", &bx(b"elst", &full(0, 0, &e)))
    }

    fn mvhd(timescale: u32) -> Vec<u8> {
        let mut b = vec![0u8; 8];
        b.extend_from_slice(&timescale.to_be_bytes());
        b.resize(96, 0);
        bx(b"mvhd", &full(0, 0, &b))
    }

    fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        bx(b"ftyp", &[&brand[..], &[0, 0, 2, 0], b"isomiso2"].concat())
    }

    /// 1.234567 s of AAC at 44.1 kHz as FFmpeg writes it: 1024 priming samples, an edit of
    /// 1234 ms (mvhd time scale 1000).
    fn ffmpeg_like(moov_first: bool, extra_moov: &[Vec<u8>]) -> Vec<u8> {
        let audio = trak(1, true, b"soun", 44_100, &[(54, 1024), (1, 172)], &[elst(1234, 1024)], &[], mp4a(2, 44_100));
        let mut moov_body = mvhd(1000);
        moov_body.extend(audio);
        for x in extra_moov {
            moov_body.extend_from_slice(x);
        }
        let moov = bx(b"moov", &moov_body);
        let mdat = bx(b"mdat", &[0u8; 500]);
        let mut d = ftyp(b"M4A ");
        if moov_first {
            d.extend(moov);
            d.extend(mdat);
        } else {
            d.extend(mdat);
            d.extend(moov);
        }
        d
    }

    #[test]
    fn edit_list_is_applied_like_ffprobe() {
        let info = crate::audio::probe_reader(Cursor::new(ffmpeg_like(false, &[]))).unwrap();
        // 1234 ms at 44.1 kHz = 54 419.4 → 54 419 (ffprobe: duration_ts=54419).
        assert_eq!(info.samples, 54_419);
        assert_eq!(info.method, DurationMethod::EditList);
        assert_eq!((info.encoder_delay, info.encoder_padding), (Some(1024), Some(55_468 - 1024 - 54_419)));
        assert_eq!((info.channels, info.sample_rate, info.codec, info.mime), (2, 44_100, Codec::Aac, Mime::AudioXM4a));
        let mp4 = info.mp4.unwrap();
        assert!(!mp4.moov_before_mdat);
        assert_eq!(mp4.major_brand, FourCc(*b"M4A "));
        let info = crate::audio::probe_reader(Cursor::new(ffmpeg_like(true, &[]))).unwrap();
        assert!(info.mp4.unwrap().moov_before_mdat);
    }

    #[test]
    fn without_an_edit_list_the_sample_table_counts() {
        let audio = trak(1, true, b"soun", 48_000, &[(10, 1024)], &[], &[], mp4a(1, 48_000));
        let d = [ftyp(b"mp42"), bx(b"moov", &[mvhd(600), audio].concat())].concat();
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        assert_eq!((info.samples, info.method, info.mime), (10_240, DurationMethod::SampleTable, Mime::AudioXM4a));
        assert_eq!(info.channels, 1);
    }

    #[test]
    fn nero_and_quicktime_chapters() {
        let mut chpl = full(1, 0, &[0, 0, 0, 0, 2]);
        for (t, title) in [(0u64, "Intro"), (12_345_000_000u64, "Main")] {
            chpl.extend_from_slice(&(t / 100).to_be_bytes());
            chpl.push(u8::try_from(title.len()).unwrap());
            chpl.extend_from_slice(title.as_bytes());
        }
        let udta = bx(b"udta", &bx(b"chpl", &chpl));
        let d = ffmpeg_like(true, std::slice::from_ref(&udta));
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        let ch = info.chapters.unwrap();
        assert_eq!(ch.source, ChapterSource::Nero);
        assert_eq!(ch.list[1].start.as_millis(), 12_345);
        assert_eq!(ch.list[1].title, "Main");

        // A QuickTime chapter track: samples in the file, referenced by the audio track.
        let mut prefix = ftyp(b"M4A ");
        let text_at = u32::try_from(prefix.len() + 8).unwrap();
        let samples: Vec<Vec<u8>> = ["Intro", "Main"]
            .iter()
            .map(|t| {
                let mut s = u16::try_from(t.len()).unwrap().to_be_bytes().to_vec();
                s.extend_from_slice(t.as_bytes());
                s.extend(bx(b"encd", &[0, 0, 1, 0]));
                s
            })
            .collect();
        let mdat_body = samples.concat();
        prefix.extend(bx(b"mdat", &mdat_body));
        let sizes = [u32::try_from(samples[0].len()).unwrap(), u32::try_from(samples[1].len()).unwrap()];
        let stsz = bx(b"stsz", &full(0, 0, &be(&[0, 2, sizes[0], sizes[1]])));
        let stsc = bx(b"stsc", &full(0, 0, &be(&[1, 1, 2, 1])));
        let stco = bx(b"stco", &full(0, 0, &be(&[1, text_at])));
        let text =
            trak(2, false, b"text", 1000, &[(1, 12_345), (1, 1000)], &[], &[stsz, stsc, stco], bx(b"text", &[0; 8]));
        let tref = bx(b"tref", &bx(b"chap", &be(&[2])));
        let audio =
            trak(1, true, b"soun", 44_100, &[(54, 1024), (1, 172)], &[tref, elst(1234, 1024)], &[], mp4a(2, 44_100));
        let moov = bx(b"moov", &[mvhd(1000), audio, text, udta].concat());
        let d = [prefix, moov].concat();
        let info = crate::audio::probe_reader(Cursor::new(d)).unwrap();
        let ch = info.chapters.clone().unwrap();
        assert_eq!(ch.source, ChapterSource::QuickTime);
        assert_eq!(
            ch.list.iter().map(|c| (c.start.as_millis(), c.title.as_str())).collect::<Vec<_>>(),
            [(0, "Intro"), (12_345, "Main")]
        );
        assert_eq!(info.mime, Mime::AudioXM4a);
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);
    }

    #[test]
    fn video_track_makes_video_mp4_but_chapter_images_do_not() {
        let audio = trak(
            1,
            true,
            b"soun",
            44_100,
            &[(10, 1024)],
            &[bx(b"tref", &bx(b"chap", &be(&[3])))],
            &[],
            mp4a(2, 44_100),
        );
        let images = trak(3, true, b"vide", 1000, &[(1, 1000)], &[], &[], bx(b"jpeg", &[0; 8]));
        let d = [ftyp(b"M4A "), bx(b"moov", &[mvhd(1000), audio.clone(), images].concat())].concat();
        assert_eq!(crate::audio::probe_reader(Cursor::new(d)).unwrap().mime, Mime::AudioXM4a);
        let video = trak(4, true, b"vide", 1000, &[(1, 1000)], &[], &[], bx(b"avc1", &[0; 8]));
        let d = [ftyp(b"isom"), bx(b"moov", &[mvhd(1000), audio, video].concat())].concat();
        assert_eq!(crate::audio::probe_reader(Cursor::new(d)).unwrap().mime, Mime::VideoMp4);
    }

    #[test]
    fn truncated_and_corrupt_files_name_offsets() {
        let d = ffmpeg_like(false, &[]);
        // Cut inside mdat: the moov at the end is lost.
        let err = crate::audio::probe_reader(Cursor::new(d[..300].to_vec())).unwrap_err();
        assert_eq!(err.to_string(), "truncated: the MP4 box needs 508 bytes but the file ends at byte 24");
        // A box smaller than its header.
        let mut bad = ftyp(b"M4A ");
        bad.extend_from_slice(&[0, 0, 0, 4, b'f', b'r', b'e', b'e']);
        let err = crate::audio::probe_reader(Cursor::new(bad)).unwrap_err();
        assert_eq!(err.offset, 24);
        assert!(err.to_string().contains("'free' box size 4 is smaller than its header"), "{err}");
        // A child running past its parent.
        let moov = bx(b"moov", &[0, 0, 0, 100, b'm', b'v', b'h', b'd']);
        let err = crate::audio::probe_reader(Cursor::new([ftyp(b"M4A "), moov, vec![0; 200]].concat())).unwrap_err();
        assert!(err.to_string().contains("runs past the end of its parent"), "{err}");
        // No moov at all.
        let err =
            crate::audio::probe_reader(Cursor::new([ftyp(b"M4A "), bx(b"mdat", &[1, 2, 3])].concat())).unwrap_err();
        assert!(err.to_string().contains("no moov box"), "{err}");
        let err =
            crate::audio::probe_reader(Cursor::new([ftyp(b"M4A "), bx(b"moov", &mvhd(1000))].concat())).unwrap_err();
        assert!(err.to_string().contains("no audio track"), "{err}");
    }

    #[test]
    fn asc_parsing() {
        assert_eq!(audio_specific_config(&[0x12, 0x10]), Some((2, 44_100)));
        assert_eq!(audio_specific_config(&[0x11, 0x88]), Some((1, 48_000)));
        assert_eq!(audio_specific_config(&[0x12]), None);
        // Explicit frequency (index 15): 00010 1111 + 24-bit 64000 + channels 2.
        assert_eq!(audio_specific_config(&[0x17, 0x80, 0x7d, 0x00, 0x10]), Some((2, 64_000)));
        assert_eq!(audio_specific_config(&[]), None);
    }

    #[test]
    fn rescale_rounds_to_nearest() {
        assert_eq!(rescale(1234, 44_100, 1000), 54_419);
        assert_eq!(rescale(1, 3, 2), 2);
        assert_eq!(rescale(5, 1, 0), 0);
        assert_eq!(rescale(u64::MAX, u64::MAX, 1), u64::MAX);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_mutated_files(
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 0..12),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut d = ffmpeg_like(true, &[]);
            for (i, b) in flips {
                let i = i.index(d.len());
                d[i] = b;
            }
            let n = cut.index(d.len() + 1);
            d.truncate(n);
            let _ = crate::audio::probe_reader(Cursor::new(d));
        }
    }
}
