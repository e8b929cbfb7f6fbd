//! MP4 / M4A / M4B / QuickTime properties for the probe, read through the box walker of
//! [`boxes`](super::boxes) and the chapter readers the tagger uses.
//!
//! * MIME type: `video/mp4` when a video track other than a chapter-image track is enabled,
//!   otherwise `audio/x-m4a` whatever the `ftyp` brand (see [`crate::mime`]).
//! * The audio track's length is the sum of its `stts` sample durations, with the `elst` edit
//!   list applied the way FFmpeg applies it (`ffprobe -show_entries stream=duration`): the media
//!   time of the first edit is the encoder delay (AAC priming), the edit's duration (in the movie
//!   time scale, rounded to the nearest media tick) is the playable length, and what follows it is
//!   padding.
//! * The sample rate is the output rate: for HE-AAC (SBR, signalled explicitly with object type 5
//!   or 29, or backward-compatibly with the `0x2b7` sync extension, ISO/IEC 14496-3 §1.6.5) it is
//!   the SBR rate, twice the core rate, as ffprobe reports it. A rate of 0 or above 768 kHz is a
//!   damaged file, reported with the offset of the box that holds it.
//! * Whether `moov` precedes `mdat` (progressive playback).
//! * Chapters exactly as `chapters extract` reads them ([`file_chapters`](super::file_chapters)).
//!
//! Only box headers are read at the top level (the audio `mdat` is never loaded); the `moov` box
//! is read whole (at most 256 MiB) and parsed with [`Node`]. Fragmented files (`moof`) are
//! measured from their `trun` sample durations.

use std::io::{self, Read, Seek, SeekFrom};

use super::boxes::{self, BoxError, Header, Node};
use super::track;
use crate::audio::Bytes;
use crate::audio::{
    AudioInfo, ChapterSource, Codec, Container, DurationMethod, FoundChapters, FourCc, Mime, Mp4Info, Precision, Probe,
    ProbeError, ProbeErrorKind, ProbeWarning, Source, u64_of,
};

/// The highest sample rate any audio format uses (DXD 768 kHz); above it the file is damaged.
pub(crate) const MAX_SAMPLE_RATE: u32 = 768_000;

/// Probes an MP4 file from a reader.
pub fn probe<R: Read + Seek>(reader: R) -> Result<AudioInfo, ProbeError> {
    crate::audio::probe::probe_whole(reader, probe_source)
}

fn corrupt(e: BoxError) -> ProbeError {
    ProbeError::corrupt(e.offset, "MP4 box", e.message)
}

/// The box header at `offset`, with `room` bytes left in the file, read through the window and
/// parsed by [`boxes::parse_header`]. A box that claims more bytes than the file has is a
/// truncated file.
fn header_at<R: Read + Seek>(src: &mut Source<R>, offset: u64, room: u64) -> Result<Header, ProbeError> {
    let bytes = src.peek(offset, 16)?;
    match boxes::parse_header(bytes, offset, room) {
        Ok(h) => Ok(h),
        Err(e) => match boxes::parse_header(bytes, offset, u64::MAX) {
            Ok(h) if h.size > room => {
                Err(ProbeError::new(offset, ProbeErrorKind::Truncated { what: "MP4 box", needed: h.size }))
            }
            _ => Err(corrupt(e)),
        },
    }
}

/// A box read whole (header included) and parsed as a tree.
fn read_tree<R: Read + Seek>(src: &mut Source<R>, h: &Header) -> Result<Node, ProbeError> {
    if h.size > super::MAX_MOOV {
        return Err(ProbeError::unsupported(
            h.offset,
            format!("'{}' box of {} bytes (more than {})", boxes::show(h.kind), h.size, super::MAX_MOOV),
        ));
    }
    let n = usize::try_from(h.size).unwrap_or(usize::MAX);
    let bytes = src.read(h.offset, n, "MP4 box")?.to_vec();
    Node::parse_root(&bytes, h.offset).map_err(corrupt)
}

/// `Read + Seek` over the probe's windowed source, for the chapter readers the tagger shares.
struct Reader<'a, R> {
    src: &'a mut Source<R>,
    pos: u64,
}

impl<R: Read + Seek> Read for Reader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(1 << 16);
        let got = self.src.peek(self.pos, n).map_err(|e| io::Error::other(e.to_string()))?;
        let k = got.len();
        if let Some(dst) = buf.get_mut(..k) {
            dst.copy_from_slice(got);
        }
        self.pos = self.pos.saturating_add(u64_of(k));
        Ok(k)
    }
}

impl<R: Read + Seek> Seek for Reader<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, delta) = match to {
            SeekFrom::Start(n) => (n, 0),
            SeekFrom::End(d) => (self.src.len(), d),
            SeekFrom::Current(d) => (self.pos, d),
        };
        let pos = i128::from(base) + i128::from(delta);
        self.pos = u64::try_from(pos).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek before 0"))?;
        Ok(self.pos)
    }
}

/// An AAC AudioSpecificConfig, as far as the probe needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asc {
    /// Channels (a channel configuration; 2 for parametric stereo).
    pub(crate) channels: u16,
    /// The core sampling rate.
    pub(crate) rate: u32,
    /// The SBR output rate, when SBR is signalled.
    pub(crate) sbr_rate: Option<u32>,
    /// The core audio object type (2 for AAC-LC).
    pub(crate) object_type: u32,
}

/// What the probe reads of a track.
#[derive(Debug, Default, Clone)]
struct Track {
    index: usize,
    timescale: u32,
    /// File offset of `mdhd`, for errors about its time scale.
    mdhd_at: u64,
    edits: Vec<(u64, i64)>,
    entry: Option<[u8; 4]>,
    /// File offset of `stsd`, for errors about the sample entry.
    stsd_at: u64,
    entry_channels: u16,
    entry_rate: u32,
    entry_bits: u16,
    /// MPEG-4 object type indication from `esds`.
    object_type: Option<u8>,
    asc: Option<Asc>,
    /// Σ count × delta of `stts`.
    media_units: u64,
    samples: u64,
    sample_bytes: u64,
    /// `trex`/`tfhd` default sample duration, for fragmented files.
    default_duration: u32,
}

pub(crate) fn probe_source<R: Read + Seek>(src: &mut Source<R>, opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let len = src.len();
    let mut warnings = Vec::new();
    let mut brand = FourCc(*b"    ");
    let mut moov: Option<Header> = None;
    let mut mdat: Option<Header> = None;
    let mut moofs: Vec<Header> = Vec::new();
    let mut at = 0u64;
    while at < len {
        if len - at < 8 {
            warnings.push(ProbeWarning::new(at, format!("{} stray bytes after the last box", len - at)));
            break;
        }
        let b = header_at(src, at, len - at)?;
        match &b.kind {
            b"ftyp" => {
                if let Some(major) = src.read(b.body_start(), 4, "ftyp box")?.arr::<4>(0) {
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
    let Some(moov_header) = moov else {
        return Err(ProbeError::corrupt(len, "MP4 file", "no moov box (the file may be an incomplete download)"));
    };
    let moov_before_mdat = mdat.is_none_or(|m| moov_header.offset < m.offset);
    let moov = read_tree(src, &moov_header)?;

    let movie_timescale = boxes::MovieHeader::read(&moov).map_or(0, |m| m.timescale);
    let infos = track::tracks(&moov).map_err(corrupt)?;
    let mut tracks: Vec<Track> = Vec::new();
    for info in &infos {
        let Some(trak) = moov.children().get(info.index) else { continue };
        match read_track(trak, info.index, &info.handler) {
            Ok(t) => tracks.push(t),
            Err(e) if &info.handler == b"soun" => return Err(corrupt(e)),
            Err(_) => {}
        }
    }
    let mut fragmented = !moofs.is_empty();
    if let Some(mvex) = moov.child(b"mvex") {
        fragmented = true;
        for (h, body) in boxes::walk(mvex.data(), mvex.body_offset()).map_err(corrupt)? {
            if &h.kind == b"trex"
                && let (Some(id), Some(dur)) = (body.be32(4), body.be32(12))
                && let Some(tr) =
                    infos.iter().find(|i| i.id == id).and_then(|i| tracks.iter_mut().find(|t| t.index == i.index))
            {
                tr.default_duration = dur;
            }
        }
    }
    if fragmented {
        add_fragments(src, &moofs, &infos, &mut tracks)?;
    }

    let chapter_ids: Vec<u32> = infos.iter().flat_map(|t| t.chap_refs.iter().copied()).collect();
    let Some(audio) = track::audio_track(&infos).and_then(|a| tracks.iter().find(|t| t.index == a.index)) else {
        return Err(ProbeError::corrupt(moov_header.offset, "MP4 moov box", "no audio track"));
    };
    if audio.timescale == 0 {
        return Err(ProbeError::corrupt(audio.mdhd_at, "MP4 mdhd box", "media time scale 0"));
    }
    let has_video = infos.iter().any(|t| &t.handler == b"vide" && t.enabled && !chapter_ids.contains(&t.id));
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
    let real: Vec<&(u64, i64)> = audio.edits.iter().filter(|e| e.1 >= 0).collect();
    if let Some(first) = real.first() {
        method = DurationMethod::EditList;
        delay = u64::try_from(first.1).unwrap_or(0).min(total);
        let available = total - delay;
        units = if real.iter().all(|e| e.0 == 0) || movie_timescale == 0 {
            available
        } else {
            let sum: u64 =
                real.iter().map(|e| rescale(e.0, u64::from(audio.timescale), u64::from(movie_timescale))).sum();
            if sum > available {
                warnings.push(ProbeWarning::new(
                    moov_header.offset,
                    format!("edit list asks for {sum} media ticks but the track has {available} after the delay"),
                ));
            }
            sum.min(available)
        };
    }
    let padding = total - delay - units;

    let codec = codec_of(audio);
    let (rate, rate_at) = sample_rate(audio);
    if rate == 0 || rate > MAX_SAMPLE_RATE {
        return Err(ProbeError::corrupt(
            rate_at,
            "MP4 audio track",
            format!("sample rate of {rate} Hz is impossible (0, or above {MAX_SAMPLE_RATE} Hz): the file is damaged"),
        ));
    }
    let to_samples = |u: u64| rescale(u, u64::from(rate), u64::from(audio.timescale));
    let channels = audio.asc.map(|a| a.channels).filter(|&c| c > 0).unwrap_or(audio.entry_channels);
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
        let mut reader = Reader { src, pos: 0 };
        match super::file_chapters(&mut reader, &moov) {
            Ok(found) => {
                if let Some((qt, nero)) = found.count_mismatch {
                    warnings.push(ProbeWarning::new(
                        moov_header.offset,
                        format!("the chapter track has {qt} chapters but the chpl box has {nero}"),
                    ));
                }
                for (id, count, format) in &found.images {
                    warnings.push(ProbeWarning::new(
                        moov_header.offset,
                        format!("track {id} holds {count} chapter image(s) ({format}); podmark does not read them"),
                    ));
                }
                let source = match found.origin {
                    Some(super::Origin::Nero) => ChapterSource::Nero,
                    _ => ChapterSource::QuickTime,
                };
                info.chapters = FoundChapters::new(source, found.list);
            }
            Err(super::boxes::ReadError::Format(e)) => {
                warnings.push(ProbeWarning::new(e.offset, format!("chapters not read: {}", e.message)));
            }
            Err(super::boxes::ReadError::Io(e)) => {
                warnings.push(ProbeWarning::new(moov_header.offset, format!("chapters not read: {e}")));
            }
        }
    }
    info.warnings = warnings;
    Ok(info)
}

/// The output sample rate of the audio track and the offset of the box it comes from: the SBR
/// rate of HE-AAC; else the media time scale (the sample rate in every audio MP4 writer we know);
/// else the AAC configuration's or the sample entry's rate. An AAC-LC configuration at 24 kHz or
/// less whose sample entry says twice that rate is HE-AAC signalled only in the bitstream
/// ("implicit" SBR, which ffprobe finds by decoding): the entry's rate.
fn sample_rate(t: &Track) -> (u32, u64) {
    if let Some(sbr) = t.asc.and_then(|a| a.sbr_rate) {
        return (sbr, t.stsd_at);
    }
    if let Some(a) = t.asc
        && a.object_type == 2
        && a.rate <= 24_000
        && t.entry_rate == a.rate.saturating_mul(2)
    {
        return (t.entry_rate, t.stsd_at);
    }
    if t.timescale >= 8000 {
        return (t.timescale, t.mdhd_at);
    }
    (t.asc.map_or(t.entry_rate, |a| a.rate), t.stsd_at)
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

/// Reads what the probe needs of a track. Only audio tracks get their sample entry parsed.
fn read_track(trak: &Node, index: usize, handler: &[u8; 4]) -> Result<Track, BoxError> {
    let mut t = Track { index, ..Track::default() };
    let (timescale, _) = boxes::media_header(trak)?;
    t.timescale = timescale;
    t.mdhd_at = trak.path(&[b"mdia", b"mdhd"]).and_then(|n| n.offset).unwrap_or(0);
    t.edits = boxes::edit_list(trak)?;
    let Some(stbl) = trak.path(&[b"mdia", b"minf", b"stbl"]) else {
        return Err(BoxError::new(trak.body_offset(), "track has no 'mdia/minf/stbl' box"));
    };
    if let Some(stts) = stbl.child(b"stts") {
        let mut c = stts.reader();
        c.skip(4)?;
        let n = c.count(8)?;
        for _ in 0..n {
            let (count, delta) = (c.u32()?, c.u32()?);
            t.media_units = t.media_units.saturating_add(u64::from(count) * u64::from(delta));
            t.samples = t.samples.saturating_add(u64::from(count));
        }
    }
    if let Some(stsz) = stbl.child(b"stsz") {
        let mut c = stsz.reader();
        c.skip(4)?;
        let fixed = c.u32()?;
        if fixed != 0 {
            t.sample_bytes = u64::from(fixed).saturating_mul(u64::from(c.u32()?));
        } else {
            let n = c.count(4)?;
            for _ in 0..n {
                t.sample_bytes = t.sample_bytes.saturating_add(u64::from(c.u32()?));
            }
        }
    }
    if let Some(stsd) = stbl.child(b"stsd") {
        t.stsd_at = stsd.offset.unwrap_or(0);
        read_stsd(stsd.data(), stsd.body_offset(), handler, &mut t);
    }
    Ok(t)
}

/// The first sample entry of `stsd` (`body` at file offset `base`): its type, and for an audio
/// track its channels, rate and bits, and the `esds`/`dOps` inside it.
fn read_stsd(body: &[u8], base: u64, handler: &[u8; 4], t: &mut Track) {
    let Some(entry_size) = body.be32(8) else { return };
    t.entry = body.arr::<4>(12);
    if handler != b"soun" {
        return;
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
    let inner = body.get(kids..entry_end).unwrap_or(&[]);
    // A damaged child box ends the scan: the entry's own fields are still good.
    let Ok(children) = boxes::walk(inner, base.saturating_add(u64_of(kids))) else { return };
    for (h, payload) in children {
        if &h.kind == b"esds" {
            esds(payload.get(4..).unwrap_or(&[]), t);
        } else if &h.kind == b"dOps"
            && let Some(&ch) = payload.get(1)
        {
            t.entry_channels = u16::from(ch);
        }
    }
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

/// A most-significant-bit-first reader over bytes; reading past the end gives `None`.
struct Bits<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.b.get(self.pos / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }

    fn left(&self) -> usize {
        (self.b.len() * 8).saturating_sub(self.pos)
    }

    /// `GetAudioObjectType()`.
    fn object_type(&mut self) -> Option<u32> {
        let aot = self.take(5)?;
        if aot == 31 { Some(32 + self.take(6)?) } else { Some(aot) }
    }

    /// A sampling frequency index, or an explicit 24-bit rate after index 15.
    fn rate(&mut self) -> Option<u32> {
        const RATES: [u32; 13] =
            [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
        let index = self.take(4)?;
        if index == 15 { self.take(24) } else { RATES.get(usize::try_from(index).ok()?).copied() }
    }
}

/// An AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1): channels, core rate, and the SBR
/// output rate when SBR is signalled explicitly (object type 5 or 29, "hierarchical") or
/// backward-compatibly (the `0x2b7` sync extension after the GASpecificConfig).
pub(crate) fn audio_specific_config(a: &[u8]) -> Option<Asc> {
    if a.len() < 2 {
        return None;
    }
    let mut r = Bits { b: a, pos: 0 };
    let mut aot = r.object_type()?;
    let rate = r.rate()?;
    let mut channels = u16::try_from(r.take(4)?).ok()?;
    let mut sbr_rate = None;
    let explicit = aot == 5 || aot == 29;
    if explicit {
        if aot == 29 && channels == 1 {
            channels = 2; // parametric stereo: a mono core decoded to stereo
        }
        sbr_rate = r.rate();
        aot = r.object_type().unwrap_or(2);
    }
    // GASpecificConfig of the AAC object types, then the sync extension.
    if !explicit && matches!(aot, 1..=4 | 6 | 7 | 17 | 19..=23) && channels != 0 {
        let parsed = (|| {
            r.take(1)?; // frameLengthFlag
            if r.take(1)? == 1 {
                r.take(14)?; // coreCoderDelay
            }
            let extension = r.take(1)?;
            if matches!(aot, 6 | 20) {
                r.take(3)?; // layerNr
            }
            if extension == 1 {
                if aot == 22 {
                    r.take(16)?;
                }
                if matches!(aot, 17 | 19 | 20 | 23) {
                    r.take(3)?;
                }
                r.take(1)?; // extensionFlag3
            }
            Some(())
        })();
        if parsed.is_some()
            && r.left() >= 16
            && r.take(11) == Some(0x2b7)
            && r.object_type() == Some(5)
            && r.take(1) == Some(1)
        {
            sbr_rate = r.rate();
        }
    }
    Some(Asc { channels, rate, sbr_rate, object_type: aot })
}

/// Adds the sample durations of movie fragments (`moof/traf/trun`) to the tracks.
fn add_fragments<R: Read + Seek>(
    src: &mut Source<R>,
    moofs: &[Header],
    infos: &[track::TrackInfo],
    tracks: &mut [Track],
) -> Result<(), ProbeError> {
    for moof in moofs {
        let moof = read_tree(src, moof)?;
        for traf in moof.children().iter().filter(|n| &n.kind == b"traf") {
            let mut track: Option<usize> = None;
            let mut default_duration = 0u32;
            let mut default_size = 0u32;
            for (h, body) in boxes::walk(traf.data(), traf.body_offset()).map_err(corrupt)? {
                match &h.kind {
                    b"tfhd" => {
                        let flags = body.be32(0).unwrap_or(0) & 0x00ff_ffff;
                        let id = body.be32(4).unwrap_or(0);
                        let index = infos.iter().find(|i| i.id == id).map(|i| i.index);
                        track = index.and_then(|x| tracks.iter().position(|t| t.index == x));
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
                        if per == 0 {
                            // Every sample takes the defaults: no need to count them one by one.
                            let n = u64::from(count);
                            t.media_units = t.media_units.saturating_add(n.saturating_mul(u64::from(default_duration)));
                            t.samples = t.samples.saturating_add(n);
                            t.sample_bytes = t.sample_bytes.saturating_add(n.saturating_mul(u64::from(default_size)));
                            continue;
                        }
                        for i in 0..usize::try_from(count).unwrap_or(0) {
                            let mut q = p + i * per;
                            if q >= body.len() {
                                break;
                            }
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
        assert!(err.to_string().contains("box 'free' has size 4, smaller than its 8-byte header"), "{err}");
        // A child running past its parent.
        let moov = bx(b"moov", &[0, 0, 0, 100, b'm', b'v', b'h', b'd']);
        let err = crate::audio::probe_reader(Cursor::new([ftyp(b"M4A "), moov, vec![0; 200]].concat())).unwrap_err();
        assert!(err.to_string().contains("box 'mvhd' claims 100 bytes but only 8 remain"), "{err}");
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
        let cr = |a: &[u8]| audio_specific_config(a).map(|a| (a.channels, a.rate));
        assert_eq!(cr(&[0x12, 0x10]), Some((2, 44_100)));
        assert_eq!(cr(&[0x11, 0x88]), Some((1, 48_000)));
        assert_eq!(cr(&[0x12]), None);
        // Explicit frequency (index 15): 00010 1111 + 24-bit 64000 + channels 2.
        assert_eq!(cr(&[0x17, 0x80, 0x7d, 0x00, 0x10]), Some((2, 64_000)));
        assert_eq!(cr(&[]), None);
        assert_eq!(audio_specific_config(&[0x12, 0x10]).unwrap().sbr_rate, None);
    }

    #[test]
    fn he_aac_reports_the_sbr_output_rate() {
        // Explicit (hierarchical): object type 5, core 22,050 Hz stereo, SBR at 44,100 Hz, AAC-LC.
        let a = audio_specific_config(&[0x2b, 0x92, 0x08, 0x00]).unwrap();
        assert_eq!((a.channels, a.rate, a.sbr_rate, a.object_type), (2, 22_050, Some(44_100), 2));
        // Backward compatible: AAC-LC 22,050 Hz, then sync extension 0x2b7, SBR, 44,100 Hz.
        let a = audio_specific_config(&[0x13, 0x90, 0x56, 0xe5, 0xa0]).unwrap();
        assert_eq!((a.channels, a.rate, a.sbr_rate), (2, 22_050, Some(44_100)));
        // HE-AAC v2 (parametric stereo, object type 29): a mono core decodes to stereo.
        let a = audio_specific_config(&[0xeb, 0x8a, 0x08, 0x00]).unwrap();
        assert_eq!((a.channels, a.sbr_rate), (2, Some(44_100)));
    }

    #[test]
    fn sample_rates_prefer_sbr_then_the_time_scale() {
        let asc = |rate, sbr_rate| Some(Asc { channels: 2, rate, sbr_rate, object_type: 2 });
        let t = |timescale, entry_rate, asc| Track {
            timescale,
            entry_rate,
            asc,
            mdhd_at: 10,
            stsd_at: 20,
            ..Track::default()
        };
        // Explicit SBR: the output rate, even with a core-rate time scale.
        assert_eq!(sample_rate(&t(22_050, 22_050, asc(22_050, Some(44_100)))), (44_100, 20));
        // Implicit: an AAC-LC core at 22,050 Hz in an entry that says 44,100 Hz.
        assert_eq!(sample_rate(&t(22_050, 44_100, asc(22_050, None))), (44_100, 20));
        // Plain AAC: the time scale.
        assert_eq!(sample_rate(&t(48_000, 48_000, asc(48_000, None))), (48_000, 10));
        // A damaged time scale is reported as is (the caller rejects it, naming mdhd).
        assert_eq!(sample_rate(&t(134_261_828, 22_050, asc(22_050, None))), (134_261_828, 10));
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
