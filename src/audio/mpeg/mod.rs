//! MPEG audio (MP3, MP2, MP1): frame-header scan, Xing/Info + LAME tag, VBRI.
//!
//! The stream is bounded by ID3v2 tags at the start and ID3v1 / APE / Lyrics3 tags at the end.
//! The first frame is found by requiring [`CHAIN`] consecutive valid headers with the same
//! version, layer and sample rate, each where the previous one's length says (or a shorter run that
//! ends exactly at the end of the stream), searched up to 1 MiB past the ID3v2 tags. The sniffer
//! ([`crate::audio::sniff`]) decides "this is MPEG audio" with the same [`first_frame`], so the
//! probe and the tagger accept exactly the same files.
//!
//! * A Xing/Info header with a frame count gives the length in constant time. With a LAME tag
//!   (LAME, FFmpeg's `Lavf`/`Lavc`, or any tag whose CRC checks) the encoder delay and padding
//!   are removed: exact to the sample. A `bytes` field that disagrees with the file (cut or
//!   concatenated after encoding) makes the probe count the frames instead.
//! * A VBRI header gives the frame count (exact to the frame).
//! * Otherwise every frame header is read (no decoding): exact to the frame. Data between frames
//!   that is not a frame header is skipped by resyncing to the next header that is followed by
//!   another valid header of the same stream, and reported in [`AudioInfo::warnings`].

mod tag;
pub(crate) use tag::spliced;
pub use tag::{MAX_CHAPTER_IMAGE_BYTES, embed, extract, strip};

use std::io::{Read, Seek};

use crate::audio::Bytes;
use crate::audio::{
    AudioInfo, ChapterSource, Codec, Container, DurationMethod, FoundChapters, Mime, MpegInfo, MpegVersion, Precision,
    Probe, ProbeError, ProbeWarning, Source, VbrHeader, id3, u64_of,
};

/// How far after the ID3v2 tags the first frame may start.
const MAX_LEADING_GARBAGE: u64 = 1024 * 1024;
/// Consecutive frame headers that make an MPEG stream (ffmpeg and mutagen require 3–4).
pub(crate) const CHAIN: usize = 4;
/// Resync warnings reported one by one before they are only counted.
const MAX_RESYNC_WARNINGS: usize = 8;

/// A parsed MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// MPEG version.
    pub version: MpegVersion,
    /// Layer 1, 2 or 3.
    pub layer: u8,
    /// Whether a 16-bit CRC follows the header.
    pub crc: bool,
    /// Bitrate in bits per second.
    pub bitrate: u32,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Whether the frame has a padding slot.
    pub padding: bool,
    /// Single-channel mode.
    pub mono: bool,
    /// Frame length in bytes, header included.
    pub len: u32,
    /// Samples per channel in the frame.
    pub samples: u32,
}

impl FrameHeader {
    /// Whether `other` belongs to the same stream (version, layer and sample rate).
    pub fn same_stream(&self, other: &FrameHeader) -> bool {
        self.version == other.version && self.layer == other.layer && self.sample_rate == other.sample_rate
    }

    /// Bytes of side information after the header (where a Xing header starts).
    fn side_info(&self) -> usize {
        match (self.version, self.mono) {
            (MpegVersion::Mpeg1, false) => 32,
            (MpegVersion::Mpeg1, true) | (_, false) => 17,
            (_, true) => 9,
        }
    }
}

const BITRATES_V1: [[u16; 15]; 3] = [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BITRATES_V2: [[u16; 15]; 2] = [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

/// Parses a 4-byte MPEG audio frame header. `None` for anything that is not a valid header,
/// including free-format frames (bitrate index 0), whose length cannot be known from the header.
pub fn parse_header(b: [u8; 4]) -> Option<FrameHeader> {
    let [b0, b1, b2, b3] = b;
    if b0 != 0xff || b1 & 0xe0 != 0xe0 {
        return None;
    }
    let version = match (b1 >> 3) & 3 {
        0 => MpegVersion::Mpeg25,
        2 => MpegVersion::Mpeg2,
        3 => MpegVersion::Mpeg1,
        _ => return None,
    };
    let layer = match (b1 >> 1) & 3 {
        1 => 3u8,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    let crc = b1 & 1 == 0;
    let br_index = usize::from(b2 >> 4);
    let sr_index = (b2 >> 2) & 3;
    let padding = b2 & 2 != 0;
    let mono = (b3 >> 6) == 3;
    if b3 & 3 == 2 {
        return None; // reserved emphasis
    }
    let kbps = match version {
        MpegVersion::Mpeg1 => BITRATES_V1.get(usize::from(layer - 1))?.get(br_index)?,
        _ => BITRATES_V2.get(usize::from(layer != 1))?.get(br_index)?,
    };
    if *kbps == 0 {
        return None;
    }
    let base = match sr_index {
        0 => 44_100,
        1 => 48_000,
        2 => 32_000,
        _ => return None,
    };
    let sample_rate = match version {
        MpegVersion::Mpeg1 => base,
        MpegVersion::Mpeg2 => base / 2,
        MpegVersion::Mpeg25 => base / 4,
    };
    let bitrate = u32::from(*kbps) * 1000;
    let pad = u32::from(padding);
    let (len, samples) = match (layer, version) {
        (1, _) => ((12 * bitrate / sample_rate + pad) * 4, 384),
        (2, _) => (144 * bitrate / sample_rate + pad, 1152),
        (_, MpegVersion::Mpeg1) => (144 * bitrate / sample_rate + pad, 1152),
        _ => (72 * bitrate / sample_rate + pad, 576),
    };
    Some(FrameHeader { version, layer, crc, bitrate, sample_rate, padding, mono, len, samples })
}

/// What a Xing/Info or VBRI header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VbrInfo {
    kind: VbrHeader,
    frames: Option<u32>,
    bytes: Option<u32>,
    /// Encoder delay and padding from a LAME tag.
    lame: Option<(u32, u32)>,
}

/// CRC-16/ARC, as LAME uses for its tag.
fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xa001 } else { crc >> 1 };
        }
    }
    crc
}

/// Finds a Xing/Info or VBRI header in the first frame.
fn vbr_header(frame: &[u8], h: &FrameHeader) -> Option<VbrInfo> {
    if h.layer != 3 {
        return None;
    }
    let base = 4 + h.side_info();
    for at in [base, base + 2] {
        let Some(tag) = frame.get(at..at + 4) else { continue };
        let kind = match tag {
            b"Xing" => VbrHeader::Xing,
            b"Info" => VbrHeader::Info,
            _ => continue,
        };
        let flags = frame.be32(at + 4)?;
        let mut p = at + 8;
        let mut frames = None;
        let mut bytes = None;
        if flags & 1 != 0 {
            frames = frame.be32(p);
            p += 4;
        }
        if flags & 2 != 0 {
            bytes = frame.be32(p);
            p += 4;
        }
        if flags & 4 != 0 {
            p += 100;
        }
        if flags & 8 != 0 {
            p += 4;
        }
        let lame = frame.get(p..p + 36).and_then(|tag| {
            let encoder = tag.get(0..4)?;
            let known = [&b"LAME"[..], b"Lavf", b"Lavc", b"L3.9", b"GOGO"].contains(&encoder);
            let crc_ok = frame.get(..p + 34).map(crc16) == tag.be16(34);
            if !(known || crc_ok) {
                return None;
            }
            let [d0, d1, d2] = tag.arr::<3>(21)?;
            let delay = (u32::from(d0) << 4) | (u32::from(d1) >> 4);
            let padding = ((u32::from(d1) & 0x0f) << 8) | u32::from(d2);
            Some((delay, padding))
        });
        return Some(VbrInfo { kind, frames, bytes, lame });
    }
    if frame.get(36..40) == Some(b"VBRI") {
        return Some(VbrInfo {
            kind: VbrHeader::Vbri,
            frames: frame.be32(36 + 14),
            bytes: frame.be32(36 + 10),
            lame: None,
        });
    }
    None
}

/// The header at `pos` if it is valid, belongs to the stream `like` (when given) and fits before `end`.
fn header_at<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
    end: u64,
    like: Option<&FrameHeader>,
) -> Result<Option<FrameHeader>, ProbeError> {
    if pos.saturating_add(4) > end {
        return Ok(None);
    }
    let Some(b) = src.peek(pos, 4)?.arr::<4>(0) else { return Ok(None) };
    Ok(parse_header(b).filter(|h| like.is_none_or(|l| l.same_stream(h))))
}

/// Whether a run of `need` frames of one stream starts at `pos` (a shorter run that ends exactly
/// at `end` also counts).
fn confirmed<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
    end: u64,
    first: &FrameHeader,
    need: usize,
) -> Result<bool, ProbeError> {
    let mut at = pos.saturating_add(u64::from(first.len));
    for _ in 1..need {
        if at == end {
            return Ok(true);
        }
        match header_at(src, at, end, Some(first))? {
            Some(h) => at = at.saturating_add(u64::from(h.len)),
            None => return Ok(false),
        }
    }
    Ok(at <= end)
}

/// The next frame at or after `from` (before `limit`) that is confirmed by `need` frames.
fn sync<R: Read + Seek>(
    src: &mut Source<R>,
    from: u64,
    limit: u64,
    end: u64,
    like: Option<&FrameHeader>,
    need: usize,
) -> Result<Option<(u64, FrameHeader)>, ProbeError> {
    const CHUNK: usize = 64 * 1024;
    let mut at = from;
    while at < limit.min(end) {
        let chunk = src.peek(at, CHUNK)?;
        if chunk.is_empty() {
            break;
        }
        // The next candidate only: the first one is nearly always the frame (collecting every 0xFF
        // of the chunk first was a quarter of a large first build's CPU time).
        let Some(i) = chunk.iter().position(|&b| b == 0xff) else {
            at += u64_of(chunk.len());
            continue;
        };
        let pos = at + u64_of(i);
        if pos >= limit.min(end) {
            return Ok(None);
        }
        if let Some(h) = header_at(src, pos, end, like)?
            && pos + u64::from(h.len) <= end
            && confirmed(src, pos, end, &h, need)?
        {
            return Ok(Some((pos, h)));
        }
        at = pos + 1;
    }
    Ok(None)
}

/// Probes MPEG audio from a reader (ID3v2 tags at the start are skipped).
pub fn probe<R: Read + Seek>(reader: R) -> Result<AudioInfo, ProbeError> {
    crate::audio::probe::probe_whole(reader, probe_source)
}

/// Where an MPEG stream is: the audio start after the ID3v2 tags, the trailing tags, and the
/// first frame of the chain with its header (`None`: no stream).
pub(crate) type Stream = (u64, id3::Trailing, Option<(u64, FrameHeader)>);

/// The first frame of the MPEG stream after the ID3v2 tags: where [`CHAIN`] headers chain, at
/// most 1 MiB past the tags. Returns (start of the audio after the tags, end of the stream before
/// the trailing tags, the first frame and its header).
pub(crate) fn first_frame<R: Read + Seek>(
    src: &mut Source<R>,
    warnings: &mut Vec<ProbeWarning>,
) -> Result<Stream, ProbeError> {
    let start = id3::skip_tags(src, 0)?;
    let trailing = id3::trailing(src, start, src.len(), warnings)?;
    let found = sync(src, start, start.saturating_add(MAX_LEADING_GARBAGE), trailing.end, None, CHAIN)?;
    Ok((start, trailing, found))
}

pub(crate) fn probe_source<R: Read + Seek>(src: &mut Source<R>, opts: &Probe) -> Result<AudioInfo, ProbeError> {
    let mut warnings = Vec::new();
    let (start, trailing, found) = first_frame(src, &mut warnings)?;
    let end = trailing.end;
    let Some((first, h)) = found else {
        let bytes = src.peek(start, 8)?.to_vec();
        return Err(ProbeError::corrupt(
            start,
            "MPEG audio",
            format!("no MPEG audio frame found (data starts with {})", super::quote_bytes(&bytes)),
        ));
    };
    if first > start {
        warnings.push(ProbeWarning::new(
            start,
            format!("{} bytes before the first MPEG audio frame skipped", first - start),
        ));
    }
    let first_len = usize::try_from(h.len).unwrap_or(usize::MAX);
    let frame = src.read(first, first_len, "first MPEG audio frame")?.to_vec();
    let vbr = vbr_header(&frame, &h);
    let stream_len = end - first;

    let mut mpeg = MpegInfo {
        version: h.version,
        layer: h.layer,
        frames: 0,
        samples_per_frame: h.samples,
        vbr: None,
        vbr_header: vbr.map(|v| v.kind),
        lame_tag: vbr.is_some_and(|v| v.lame.is_some()),
        first_frame: first,
        garbage_bytes: first - start,
    };
    let spf = u64::from(h.samples);

    // Constant time: trust a header frame count that agrees with the file.
    let header_count = vbr.and_then(|v| v.frames.map(|f| (v, u64::from(f))));
    let mut result = None;
    if let Some((v, frames)) = header_count {
        // Writers count the stream from the VBR frame (FFmpeg) or from the start of the file
        // (LAME, which may have written the ID3v2 tag): accept either, within a few frames.
        const SLACK: u64 = 8 * 1024;
        let bytes_ok = v.bytes.is_none_or(|b| {
            let b = u64::from(b);
            b.abs_diff(stream_len) <= SLACK || b.abs_diff(end) <= SLACK
        });
        // The smallest frame this stream can have (lowest bitrate, no padding): a count the
        // bytes cannot hold is a header from before the file was cut.
        let head = src.peek(first, 4)?.arr::<4>(0).unwrap_or_default();
        let min_len =
            parse_header([head[0], head[1], (head[2] & 0x0d) | 0x10, head[3]]).map_or(1, |m| u64::from(m.len));
        let holds = stream_len / min_len.max(1) + 1;
        if bytes_ok && frames > holds {
            warnings.push(ProbeWarning::new(
                first,
                format!(
                    "{} header claims {frames} frames but the {stream_len} bytes of the stream hold at most {holds}: \
                     the file was cut after encoding; counting frames",
                    kind_name(v.kind)
                ),
            ));
        } else if !bytes_ok {
            warnings.push(ProbeWarning::new(
                first,
                format!(
                    "{} header says {} bytes but the stream has {stream_len}: the file was edited after encoding; counting frames",
                    kind_name(v.kind),
                    v.bytes.unwrap_or(0)
                ),
            ));
        } else if frames > 0 && !opts.full_scan {
            mpeg.frames = frames;
            mpeg.vbr = Some(v.kind != VbrHeader::Info);
            let audio_bytes = stream_len.saturating_sub(u64::from(h.len));
            result = Some(match v.lame {
                Some((delay, padding)) => {
                    let total = frames * spf;
                    let trim = u64::from(delay) + u64::from(padding);
                    let trims = (Some(delay), Some(padding));
                    (total.saturating_sub(trim), Precision::Sample, DurationMethod::LameTag, trims, audio_bytes)
                }
                None => {
                    let method =
                        if v.kind == VbrHeader::Vbri { DurationMethod::VbriHeader } else { DurationMethod::XingHeader };
                    (frames * spf, Precision::Frame, method, (None, None), audio_bytes)
                }
            });
        }
    }

    let (samples, precision, method, trim, audio_bytes) = match result {
        Some(r) => r,
        None => {
            // The VBR header frame carries no audio.
            let from = if vbr.is_some() { first + u64::from(h.len) } else { first };
            let scan = scan(src, from, end, &h, &mut warnings)?;
            mpeg.frames = scan.frames;
            mpeg.vbr = Some(scan.vbr || (vbr.is_some() && h.bitrate != scan.first_bitrate.unwrap_or(h.bitrate)));
            mpeg.garbage_bytes += scan.garbage;
            let total = scan.frames * spf;
            match (vbr, header_count) {
                (Some(VbrInfo { lame: Some((delay, padding)), .. }), Some((_, n))) if n == scan.frames => {
                    let trim = u64::from(delay) + u64::from(padding);
                    let trims = (Some(delay), Some(padding));
                    (total.saturating_sub(trim), Precision::Sample, DurationMethod::LameTag, trims, scan.bytes)
                }
                (Some(VbrInfo { lame: Some((delay, _)), .. }), _) => {
                    // Frames were added or removed after encoding: the padding no longer applies.
                    let trims = (Some(delay), None);
                    (
                        total.saturating_sub(u64::from(delay)),
                        Precision::Frame,
                        DurationMethod::FrameScan,
                        trims,
                        scan.bytes,
                    )
                }
                _ => (total, Precision::Frame, DurationMethod::FrameScan, (None, None), scan.bytes),
            }
        }
    };
    if samples == 0 && mpeg.frames == 0 {
        return Err(ProbeError::corrupt(first, "MPEG audio", "no complete audio frame"));
    }

    let codec = match h.layer {
        1 => Codec::Mp1,
        2 => Codec::Mp2,
        _ => Codec::Mp3,
    };
    let mut info = AudioInfo::new(
        Container::Mp3,
        codec,
        Mime::AudioMpeg,
        if h.mono { 1 } else { 2 },
        h.sample_rate,
        samples,
        precision,
        method,
    );
    (info.encoder_delay, info.encoder_padding) = trim;
    info.set_audio_bytes(audio_bytes);
    info.mpeg = Some(mpeg);
    info.tags.id3v2 = id3::version(src)?;
    info.tags.id3v1 = trailing.id3v1;
    info.tags.ape = trailing.ape;
    if opts.chapters
        && let Some(list) = id3::read_chapters(src, &mut warnings)?
    {
        info.chapters = FoundChapters::new(ChapterSource::Id3, list);
    }
    info.warnings = warnings;
    Ok(info)
}

fn kind_name(kind: VbrHeader) -> &'static str {
    match kind {
        VbrHeader::Xing => "Xing",
        VbrHeader::Info => "Info",
        VbrHeader::Vbri => "VBRI",
    }
}

/// What a frame scan counted.
#[derive(Debug, Default)]
struct Scan {
    frames: u64,
    bytes: u64,
    garbage: u64,
    vbr: bool,
    first_bitrate: Option<u32>,
}

/// Counts every frame from `from` to `end`, resyncing past garbage.
fn scan<R: Read + Seek>(
    src: &mut Source<R>,
    from: u64,
    end: u64,
    stream: &FrameHeader,
    warnings: &mut Vec<ProbeWarning>,
) -> Result<Scan, ProbeError> {
    let mut s = Scan::default();
    let mut pos = from;
    let mut resyncs = 0usize;
    while pos < end {
        if let Some(h) = header_at(src, pos, end, Some(stream))? {
            let next = pos + u64::from(h.len);
            if next > end {
                warnings.push(ProbeWarning::new(
                    pos,
                    format!("last frame truncated ({} of {} bytes); not counted", end - pos, h.len),
                ));
                break;
            }
            match s.first_bitrate {
                None => s.first_bitrate = Some(h.bitrate),
                Some(b) if b != h.bitrate => s.vbr = true,
                Some(_) => {}
            }
            s.frames += 1;
            s.bytes += u64::from(h.len);
            pos = next;
            continue;
        }
        match sync(src, pos + 1, end, end, Some(stream), 2)? {
            Some((next, _)) => {
                resyncs += 1;
                if resyncs <= MAX_RESYNC_WARNINGS {
                    warnings.push(ProbeWarning::new(pos, format!("{} bytes of non-audio data skipped", next - pos)));
                }
                s.garbage += next - pos;
                pos = next;
            }
            None => {
                let rest = end - pos;
                warnings.push(ProbeWarning::new(pos, format!("{rest} bytes after the last frame ignored")));
                s.garbage += rest;
                break;
            }
        }
    }
    if resyncs > MAX_RESYNC_WARNINGS {
        warnings.push(ProbeWarning::new(from, format!("{resyncs} resyncs in total")));
    }
    Ok(s)
}

/// Test helpers: synthetic MPEG audio streams.
#[cfg(test)]
pub(crate) mod synth {
    use super::parse_header;

    /// A frame header for MPEG-1 layer III 44.1 kHz stereo at `kbps`.
    pub(crate) fn header(b1: u8, br_index: u8, sr_index: u8, padding: bool, mono: bool) -> [u8; 4] {
        [0xff, b1, (br_index << 4) | (sr_index << 2) | (u8::from(padding) << 1), if mono { 0xc0 } else { 0x00 }]
    }

    /// A frame with header `h` and a payload that contains no sync bytes.
    pub(crate) fn frame(h: [u8; 4]) -> Vec<u8> {
        let len = parse_header(h).map_or(4, |p| usize::try_from(p.len).unwrap());
        let mut f = h.to_vec();
        f.resize(len, 0x11);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::synth::{frame, header};
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    const V1L3: u8 = 0xfb; // MPEG-1, layer III, no CRC
    const V2L3: u8 = 0xf3; // MPEG-2
    const V25L3: u8 = 0xe3; // MPEG-2.5

    fn stream(b1: u8, brs: &[u8], sr: u8, mono: bool) -> Vec<u8> {
        brs.iter().flat_map(|&br| frame(header(b1, br, sr, false, mono))).collect()
    }

    fn run(data: Vec<u8>) -> Result<AudioInfo, ProbeError> {
        crate::audio::probe_reader(Cursor::new(data))
    }

    #[test]
    fn header_lengths_match_the_spec() {
        let h = parse_header(header(V1L3, 9, 0, false, false)).unwrap(); // 128 kbps 44.1 kHz
        assert_eq!((h.len, h.samples, h.sample_rate, h.bitrate), (417, 1152, 44_100, 128_000));
        let h = parse_header(header(V1L3, 9, 0, true, false)).unwrap();
        assert_eq!(h.len, 418);
        let h = parse_header(header(V2L3, 8, 0, false, true)).unwrap(); // 64 kbps 22.05 kHz
        assert_eq!((h.len, h.samples, h.sample_rate, h.mono), (208, 576, 22_050, true));
        let h = parse_header(header(V25L3, 1, 2, false, true)).unwrap(); // 8 kbps 8 kHz
        assert_eq!((h.len, h.samples, h.sample_rate), (72, 576, 8_000));
        let h = parse_header(header(0xfd, 12, 1, false, false)).unwrap(); // MPEG-1 layer II 256k 48k
        assert_eq!((h.layer, h.len, h.samples), (2, 768, 1152));
        let h = parse_header(header(0xff, 12, 1, false, false)).unwrap(); // layer I 384k 48k
        assert_eq!((h.layer, h.len, h.samples), (1, 384, 384));
        assert_eq!(parse_header(header(V1L3, 0, 0, false, false)), None, "free format");
        assert_eq!(parse_header(header(V1L3, 15, 0, false, false)), None);
        assert_eq!(parse_header(header(V1L3, 9, 3, false, false)), None);
        assert_eq!(parse_header([0xff, 0xeb, 0x90, 0]), None, "reserved version");
        assert_eq!(parse_header([0xff, 0xf9, 0x90, 0]), None, "reserved layer");
        assert_eq!(parse_header([0xff, 0xfb, 0x90, 2]), None, "reserved emphasis");
    }

    #[test]
    fn counts_every_frame_of_cbr_and_vbr_streams() {
        let brs: Vec<u8> = (0..500u32).map(|i| 1 + u8::try_from(i * 7 % 14).unwrap()).collect();
        let info = run(stream(V1L3, &brs, 0, false)).unwrap();
        assert_eq!(info.samples, 500 * 1152);
        assert_eq!(info.precision, Precision::Frame);
        assert_eq!(info.method, DurationMethod::FrameScan);
        assert_eq!(info.mpeg.unwrap().vbr, Some(true));
        assert_eq!((info.channels, info.sample_rate), (2, 44_100));
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);

        let info = run(stream(V25L3, &[2; 37], 1, true)).unwrap();
        assert_eq!(info.samples, 37 * 576);
        assert_eq!((info.channels, info.sample_rate), (1, 12_000));
        assert_eq!(info.mpeg.unwrap().vbr, Some(false));
        assert_eq!(info.mpeg.unwrap().version, MpegVersion::Mpeg25);
        assert_eq!(info.bitrate, 16_000);
    }

    #[test]
    fn resyncs_past_garbage_and_skips_tags() {
        let mut data = id3::build_tag(3, &[(b"TIT2", vec![0, b'x'])], 50);
        let tag_len = data.len() as u64;
        data.extend_from_slice(&[0xff, 0xfb, 0x00, 0x12, 0xff, 0x00, 0x55]); // junk with false syncs
        data.extend(stream(V1L3, &[9; 10], 0, false));
        let junk_at = data.len() as u64;
        data.extend_from_slice(&[0xffu8; 333]);
        data.extend(stream(V1L3, &[9; 10], 0, false));
        // A frame of another stream (48 kHz) in the middle is garbage too.
        data.extend(frame(header(V1L3, 9, 1, false, false)));
        data.extend(stream(V1L3, &[9; 5], 0, false));
        let mut ape = b"APETAGEX".to_vec();
        ape.extend_from_slice(&2000u32.to_le_bytes());
        ape.extend_from_slice(&32u32.to_le_bytes());
        ape.extend_from_slice(&[0; 16]);
        data.extend_from_slice(&ape);
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, 0);
        data.extend(v1);
        let info = run(data).unwrap();
        assert_eq!(info.samples, 25 * 1152);
        let mpeg = info.mpeg.unwrap();
        assert_eq!(mpeg.first_frame, tag_len + 7);
        assert_eq!(mpeg.garbage_bytes, 7 + 333 + 384);
        assert!(info.tags.id3v1 && info.tags.ape);
        assert_eq!(info.tags.id3v2.map(|v| v.major), Some(3));
        assert!(
            info.warnings.iter().any(|w| w.offset == junk_at && w.message.contains("333 bytes")),
            "{:?}",
            info.warnings
        );
    }

    #[test]
    fn truncated_last_frame_is_reported_not_counted() {
        let mut data = stream(V1L3, &[9; 20], 0, false);
        data.truncate(data.len() - 100);
        let info = run(data).unwrap();
        assert_eq!(info.samples, 19 * 1152);
        assert!(info.warnings.iter().any(|w| w.message.contains("truncated")));
    }

    #[allow(clippy::too_many_arguments)]
    fn xing_frame(
        b1: u8,
        br: u8,
        sr: u8,
        mono: bool,
        kind: &[u8; 4],
        frames: u32,
        bytes: u32,
        lame: Option<(u32, u32)>,
    ) -> Vec<u8> {
        let h = header(b1, br, sr, false, mono);
        let p = parse_header(h).unwrap();
        let mut f = frame(h);
        f[4..].fill(0);
        let at = 4 + p.side_info();
        f[at..at + 4].copy_from_slice(kind);
        f[at + 4..at + 8].copy_from_slice(&3u32.to_be_bytes());
        f[at + 8..at + 12].copy_from_slice(&frames.to_be_bytes());
        f[at + 12..at + 16].copy_from_slice(&bytes.to_be_bytes());
        if let Some((delay, padding)) = lame {
            let l = at + 16;
            f[l..l + 9].copy_from_slice(b"LAME3.100");
            f[l + 21] = u8::try_from(delay >> 4).unwrap();
            f[l + 22] = u8::try_from(((delay & 0xf) << 4) | (padding >> 8)).unwrap();
            f[l + 23] = u8::try_from(padding & 0xff).unwrap();
        }
        f
    }

    #[test]
    fn lame_tag_gives_exact_samples_in_constant_time() {
        let body = stream(V1L3, &[9; 100], 0, false);
        let bytes = u32::try_from(body.len() + 417).unwrap();
        let mut data = xing_frame(V1L3, 9, 0, false, b"Info", 100, bytes, Some((576, 1000)));
        data.extend(&body);
        let info = run(data.clone()).unwrap();
        assert_eq!(info.samples, 100 * 1152 - 576 - 1000);
        assert_eq!(info.precision, Precision::Sample);
        assert_eq!(info.method, DurationMethod::LameTag);
        assert_eq!((info.encoder_delay, info.encoder_padding), (Some(576), Some(1000)));
        assert_eq!(info.mpeg.unwrap().vbr_header, Some(VbrHeader::Info));
        // A full scan agrees.
        let scanned = Probe::new().full_scan(true).probe_reader(Cursor::new(data.clone())).unwrap();
        assert_eq!(scanned.samples, info.samples);
        assert_eq!(scanned.precision, Precision::Sample);
        // The header's count is trusted without reading the frames: corrupt all but the few
        // that confirm the first frame.
        let mut lying = data.clone();
        for b in &mut lying[417 * 4..] {
            *b = 0;
        }
        assert_eq!(run(lying).unwrap().samples, info.samples);
        // Frames appended after encoding: the bytes field disagrees, so frames are counted and
        // the padding no longer applies.
        data.extend(stream(V1L3, &[9; 50], 0, false));
        let info = run(data).unwrap();
        assert_eq!(info.samples, 150 * 1152 - 576);
        assert_eq!(info.precision, Precision::Frame);
        assert!(info.warnings.iter().any(|w| w.message.contains("edited after encoding")));
    }

    #[test]
    fn xing_without_lame_and_vbri_are_exact_to_the_frame() {
        let mut data = xing_frame(V2L3, 8, 0, true, b"Xing", 40, 0, None);
        // bytes field 0 disagrees: use a header without the bytes flag instead.
        let at = 4 + 9;
        data[at + 4..at + 8].copy_from_slice(&1u32.to_be_bytes());
        data.extend(stream(V2L3, &[8; 40], 0, true));
        let info = run(data).unwrap();
        assert_eq!(info.samples, 40 * 576);
        assert_eq!(info.method, DurationMethod::XingHeader);
        assert_eq!(info.precision, Precision::Frame);

        let h = header(V1L3, 9, 0, false, false);
        let mut vbri = frame(h);
        vbri[4..].fill(0);
        vbri[36..40].copy_from_slice(b"VBRI");
        vbri[36 + 14..36 + 18].copy_from_slice(&30u32.to_be_bytes());
        vbri[36 + 10..36 + 14].copy_from_slice(&(31u32 * 417).to_be_bytes());
        vbri.extend(stream(V1L3, &[9; 30], 0, false));
        let info = run(vbri).unwrap();
        assert_eq!(info.samples, 30 * 1152);
        assert_eq!(info.method, DurationMethod::VbriHeader);
        assert_eq!(info.mpeg.unwrap().vbr_header, Some(VbrHeader::Vbri));
    }

    #[test]
    fn a_xing_frame_count_the_bytes_cannot_hold_is_not_trusted() {
        // The header claims 100 000 frames (43 min); 40 frames are there.
        let mut data = xing_frame(V2L3, 8, 0, true, b"Xing", 100_000, 0, None);
        let at = 4 + 9;
        data[at + 4..at + 8].copy_from_slice(&1u32.to_be_bytes()); // frames flag only
        data.extend(stream(V2L3, &[8; 40], 0, true));
        let info = run(data).unwrap();
        assert_eq!(info.samples, 40 * 576);
        assert_eq!(info.method, DurationMethod::FrameScan);
        assert!(info.warnings.iter().any(|w| w.message.contains("claims 100000 frames")), "{:?}", info.warnings);
    }

    #[test]
    fn lame_crc_is_crc16_arc() {
        assert_eq!(crc16(b"123456789"), 0xbb3d);
    }

    #[test]
    fn no_frames_is_an_error_with_an_offset() {
        let mut data = id3::build_tag(4, &[], 10);
        data.extend_from_slice(b"definitely not audio");
        let err = run(data).unwrap_err();
        assert_eq!(err.offset, 20);
        assert!(err.to_string().contains("no MPEG audio frame found"), "{err}");
        // A tag that claims more bytes than the file has.
        let mut data = id3::build_tag(3, &[], 1000);
        data.truncate(500);
        let err = run(data).unwrap_err();
        assert!(err.to_string().starts_with("truncated: the ID3v2 tag needs 1010 bytes"), "{err}");
    }

    #[test]
    fn chapters_come_from_id3() {
        let mut data = id3::build_tag(
            3,
            &[
                (b"CHAP", id3::chap(3, "ch0", 0, 1000, "Intro", None)),
                (b"CHAP", id3::chap(3, "ch1", 1000, 2612, "Talk", None)),
            ],
            64,
        );
        data.extend(stream(V1L3, &[9; 100], 0, false));
        let info = run(data).unwrap();
        let ch = info.chapters.clone().unwrap();
        assert_eq!((ch.source, ch.count), (ChapterSource::Id3, 2));
        assert_eq!(ch.list[1].title, "Talk");
        let list = info.chapter_list().unwrap().unwrap();
        assert_eq!(list.end_of(1), Some(crate::Timestamp::from_millis(2612).unwrap()));
    }

    proptest! {
        #[test]
        fn never_panics_on_mutated_streams(
            brs in proptest::collection::vec(1u8..15, 1..60),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..20),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut data = stream(V1L3, &brs, 0, false);
            for (i, b) in flips {
                let i = i.index(data.len());
                data[i] = b;
            }
            let n = cut.index(data.len() + 1);
            data.truncate(n);
            let _ = run(data);
        }

        #[test]
        fn clean_streams_count_exactly(brs in proptest::collection::vec(1u8..15, 3..200), sr in 0u8..3, mono: bool) {
            let info = run(stream(V1L3, &brs, sr, mono)).unwrap();
            prop_assert_eq!(info.samples, brs.len() as u64 * 1152);
            prop_assert_eq!(info.mpeg.unwrap().frames, brs.len() as u64);
        }
    }
}
