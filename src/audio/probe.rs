//! Exact audio probing: container, codec, exact duration, byte length, enclosure MIME type and the
//! chapters a file already carries.
//!
//! ```no_run
//! let info = podmark::probe::probe_path("episode.mp3")?;
//! println!("{} samples at {} Hz = {}", info.samples, info.sample_rate, info.duration);
//! println!("<enclosure length=\"{}\" type=\"{}\"/>", info.byte_length, info.mime);
//! # Ok::<(), podmark::probe::ProbeError>(())
//! ```
//!
//! # What "duration" means
//!
//! [`AudioInfo::samples`] is the number of samples per channel a gapless player plays: encoder
//! delay and padding are removed wherever the file declares them. [`AudioInfo::precision`] says
//! whether the value is exact to the sample or only to the codec frame (an MP3 without a LAME tag
//! does not say how much delay and padding its first and last frames carry).
//!
//! | container | rule | precision |
//! |---|---|---|
//! | MP3 with Xing/Info + LAME tag | frames × samples per frame − encoder delay − padding | sample |
//! | MP3 with Xing/Info (no LAME tag) or VBRI | frames from the header × samples per frame | frame |
//! | MP3 whose Xing count the bytes cannot hold | scan of every frame header (warning) | frame |
//! | MP3 without Xing/VBRI (CBR or VBR) | scan of every frame header, resyncing past garbage | frame |
//! | MP4/M4A/M4B | `stts` sample table, with the `elst` edit list applied (AAC priming skipped, end padding cut) | sample |
//! | Ogg Opus | last granule position − pre-skip (48 kHz) | sample |
//! | Ogg Vorbis | last granule position | sample |
//! | FLAC | `STREAMINFO` total samples | sample |
//! | FLAC whose `STREAMINFO` claims more than its bytes hold (cut short) | end of the last frame header | estimate |
//! | WAV / RF64 / BW64 | `data` chunk size ÷ block align | sample |
//!
//! # Why podmark has its own scanners (and where symphonia fits)
//!
//! symphonia 0.6.1 was measured for this (research digest `crates.md` §4): it is exact for MP3 with
//! a LAME tag, FLAC and WAV, but it *estimates* MP3 without Xing from the first 16 frames (−415 s
//! on a 60-minute VBR file) and then truncates the stream at that estimate, ignores MP4 edit lists,
//! counts Opus pre-skip as audio and cannot read MP4 chapters. The headers where it is exact are
//! a few dozen bytes each, so every container here is read by a small scanner of podmark's own:
//! one code path per container, errors that name the byte offset, a bounded memory footprint
//! (one 256 KiB window plus the largest header read), and no MPL-2.0 dependency. symphonia is
//! therefore not a dependency; the independent cross-check is ffprobe, in `tests/probe.rs`
//! (packet counts, `stream=duration_ts` with the edit list, header values).
//!
//! What a file *is* is decided once, from its bytes, by [`crate::audio::sniff`] (the same answer
//! for `probe`, `chapters extract`, `tag`, `check` and `build`); known formats podmark does not read
//! (Matroska, AIFF, APE, raw AAC, …) are [`ProbeErrorKind::UnsupportedFormat`] errors.
//!
//! Every scanner streams: a 60-minute MP3 is read through the window once, and a file with a
//! Xing header is measured from its first frame in constant time.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Chapter, Chapters, ChaptersError, Timestamp};

pub use crate::mime::{Mime, UnknownMime};

use super::sniff::{self, Sniffed};
use super::{Source, flac, id3, mp4, mpeg as mp3, ogg, wav};

/// What a probe found: everything a feed, a tagger or a chapter check needs to know about a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioInfo {
    /// The container (file format).
    pub container: Container,
    /// The audio codec.
    pub codec: Codec,
    /// The MIME type for an RSS `<enclosure type>`.
    pub mime: Mime,
    /// Number of channels.
    pub channels: u16,
    /// Samples per second (per channel).
    pub sample_rate: u32,
    /// Bits per sample, for lossless and PCM audio.
    pub bits_per_sample: Option<u16>,
    /// The exact number of samples per channel a gapless player plays (see the module docs).
    pub samples: u64,
    /// `samples / sample_rate`, rounded to the nearest nanosecond.
    pub duration: Timestamp,
    /// Whether `samples` is exact to the sample or only to the codec frame.
    pub precision: Precision,
    /// Which rule produced `samples`.
    pub method: DurationMethod,
    /// Samples of encoder delay (MP3 LAME tag, AAC priming from the edit list, Opus pre-skip)
    /// removed from the start, when the file declares them.
    pub encoder_delay: Option<u32>,
    /// Samples of padding removed from the end, when the file declares them.
    pub encoder_padding: Option<u32>,
    /// Average bitrate of the audio data in bits per second (audio bytes × 8 ÷ duration).
    pub bitrate: u32,
    /// Size of the whole file in bytes: the RSS `<enclosure length>`.
    pub byte_length: u64,
    /// Bytes of audio data (frames, samples or pages) the bitrate is computed from.
    pub audio_bytes: u64,
    /// Tags found around the audio.
    pub tags: Tags,
    /// MPEG audio (MP3) details.
    pub mpeg: Option<MpegInfo>,
    /// MP4 details.
    pub mp4: Option<Mp4Info>,
    /// Chapters the file already carries.
    pub chapters: Option<FoundChapters>,
    /// Things that did not stop the probe but are worth knowing (garbage skipped, a truncated last
    /// frame, a Xing header that disagrees with the file, …).
    pub warnings: Vec<ProbeWarning>,
}

impl AudioInfo {
    /// A result with the duration filled in from `samples` and `sample_rate`, and everything
    /// optional empty.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        container: Container,
        codec: Codec,
        mime: Mime,
        channels: u16,
        sample_rate: u32,
        samples: u64,
        precision: Precision,
        method: DurationMethod,
    ) -> Self {
        AudioInfo {
            container,
            codec,
            mime,
            channels,
            sample_rate,
            bits_per_sample: None,
            samples,
            duration: Timestamp::from_ticks(samples, u64::from(sample_rate)).unwrap_or(Timestamp::MAX),
            precision,
            method,
            encoder_delay: None,
            encoder_padding: None,
            bitrate: 0,
            byte_length: 0,
            audio_bytes: 0,
            tags: Tags::default(),
            mpeg: None,
            mp4: None,
            chapters: None,
            warnings: Vec::new(),
        }
    }

    /// Sets `audio_bytes` and the average bitrate from it.
    pub(crate) fn set_audio_bytes(&mut self, bytes: u64) {
        self.audio_bytes = bytes;
        self.bitrate = bitrate(bytes, self.samples, self.sample_rate);
    }

    /// The chapters found in the file as a validated [`Chapters`] list, with this file's duration.
    /// `None` when the file has none; an error when they overlap, repeat a start or run past the
    /// end of the audio.
    ///
    /// An end time up to 1 ms past the exact duration is the container's rounding (ID3 and the MP4
    /// chapter track store milliseconds; podmark itself writes the exact end rounded), and is read as
    /// the end of the audio.
    pub fn chapter_list(&self) -> Option<Result<Chapters, ChaptersError>> {
        let found = self.chapters.as_ref()?;
        let rounding = Timestamp::from_nanos(1_000_000);
        let list = found
            .list
            .iter()
            .cloned()
            .map(|mut c| {
                if c.end.is_some_and(|e| e > self.duration && e.saturating_sub(self.duration) <= rounding) {
                    c.end = Some(self.duration);
                }
                c
            })
            .collect();
        Some(Chapters::sorted(list).and_then(|c| c.with_duration(self.duration)))
    }
}

/// Average bits per second of `bytes` played over `samples / rate` seconds, rounded.
fn bitrate(bytes: u64, samples: u64, rate: u32) -> u32 {
    if samples == 0 {
        return 0;
    }
    let bits = u128::from(bytes) * 8 * u128::from(rate);
    let bps = (bits + u128::from(samples) / 2) / u128::from(samples);
    u32::try_from(bps).unwrap_or(u32::MAX)
}

/// A container format podmark probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// An MPEG audio elementary stream (`.mp3`), possibly wrapped in ID3/APE tags.
    Mp3,
    /// ISO base media / QuickTime (`.m4a`, `.m4b`, `.mp4`, `.mov`).
    Mp4,
    /// Ogg (`.ogg`, `.oga`, `.opus`).
    Ogg,
    /// Native FLAC (`.flac`).
    Flac,
    /// RIFF WAVE, RF64 or BW64 (`.wav`).
    Wav,
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Container::Mp3 => "MP3",
            Container::Mp4 => "MP4",
            Container::Ogg => "Ogg",
            Container::Flac => "FLAC",
            Container::Wav => "WAV",
        })
    }
}

/// An audio codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Codec {
    /// MPEG audio layer I.
    Mp1,
    /// MPEG audio layer II.
    Mp2,
    /// MPEG audio layer III.
    Mp3,
    /// AAC (any profile).
    Aac,
    /// Apple Lossless.
    Alac,
    /// Opus.
    Opus,
    /// Vorbis.
    Vorbis,
    /// FLAC.
    Flac,
    /// Integer PCM.
    Pcm,
    /// Floating-point PCM.
    PcmFloat,
    /// G.711 A-law.
    Alaw,
    /// G.711 µ-law.
    Mulaw,
    /// AC-3 (Dolby Digital).
    Ac3,
    /// E-AC-3 (Dolby Digital Plus).
    Eac3,
    /// Something else; the container still gave an exact duration.
    Other,
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Mp1 => "MP1",
            Codec::Mp2 => "MP2",
            Codec::Mp3 => "MP3",
            Codec::Aac => "AAC",
            Codec::Alac => "ALAC",
            Codec::Opus => "Opus",
            Codec::Vorbis => "Vorbis",
            Codec::Flac => "FLAC",
            Codec::Pcm => "PCM",
            Codec::PcmFloat => "PCM float",
            Codec::Alaw => "A-law",
            Codec::Mulaw => "µ-law",
            Codec::Ac3 => "AC-3",
            Codec::Eac3 => "E-AC-3",
            Codec::Other => "other",
        })
    }
}

/// How exact [`AudioInfo::samples`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Exact to the sample: encoder delay and padding are known and removed.
    Sample,
    /// Exact to the codec frame: every frame is counted, but the file does not declare its
    /// encoder delay and padding, so the value includes them (typically 1–2 frames, 30–50 ms).
    Frame,
    /// Only an estimate: a header claims more audio than the file's bytes can hold (a truncated
    /// or edited file), so the value cannot be trusted; [`AudioInfo::warnings`] says why.
    Estimate,
}

/// Which rule produced [`AudioInfo::samples`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationMethod {
    /// MP3: Xing/Info frame count with the LAME tag's encoder delay and padding removed.
    LameTag,
    /// MP3: Xing/Info frame count (no LAME tag).
    XingHeader,
    /// MP3: Fraunhofer VBRI frame count.
    VbriHeader,
    /// MP3: every frame header counted.
    FrameScan,
    /// MP4: the edit list of the audio track.
    EditList,
    /// MP4 without an edit list: the `stts` sample table.
    SampleTable,
    /// Ogg: the last granule position (minus Opus pre-skip).
    GranulePosition,
    /// FLAC: `STREAMINFO` total samples.
    StreamInfo,
    /// WAV: the `data` chunk size.
    DataChunk,
}

/// Tags found in or around the audio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    /// The version of the ID3v2 tag at the start of the file, if any.
    pub id3v2: Option<Id3Version>,
    /// An ID3v1 tag (`TAG`, 128 bytes) at the end of the file.
    pub id3v1: bool,
    /// An APEv1/v2 tag at the end of the file.
    pub ape: bool,
}

/// An ID3v2 version, e.g. 2.3.0 (`major` 3, `revision` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Id3Version {
    /// 2, 3 or 4.
    pub major: u8,
    /// Almost always 0.
    pub revision: u8,
}

impl fmt::Display for Id3Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ID3v2.{}.{}", self.major, self.revision)
    }
}

/// MPEG audio version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MpegVersion {
    /// MPEG-1 (32, 44.1, 48 kHz).
    #[serde(rename = "1")]
    Mpeg1,
    /// MPEG-2 LSF (16, 22.05, 24 kHz).
    #[serde(rename = "2")]
    Mpeg2,
    /// MPEG-2.5 (8, 11.025, 12 kHz).
    #[serde(rename = "2.5")]
    Mpeg25,
}

impl fmt::Display for MpegVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MpegVersion::Mpeg1 => "MPEG-1",
            MpegVersion::Mpeg2 => "MPEG-2",
            MpegVersion::Mpeg25 => "MPEG-2.5",
        })
    }
}

/// The VBR header in the first MP3 frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VbrHeader {
    /// `Xing` (VBR).
    Xing,
    /// `Info` (CBR, written by LAME and FFmpeg).
    Info,
    /// Fraunhofer `VBRI`.
    Vbri,
}

/// Details of an MPEG audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpegInfo {
    /// MPEG version.
    pub version: MpegVersion,
    /// Layer (1, 2 or 3).
    pub layer: u8,
    /// Audio frames (the Xing/VBRI frame itself excluded).
    pub frames: u64,
    /// Samples per frame (384, 576 or 1152).
    pub samples_per_frame: u32,
    /// Whether the frames use more than one bitrate (`None` when only a header was read).
    pub vbr: Option<bool>,
    /// The VBR header found in the first frame.
    pub vbr_header: Option<VbrHeader>,
    /// Whether a LAME tag (encoder delay and padding) follows the Xing/Info header.
    pub lame_tag: bool,
    /// Byte offset of the first audio frame.
    pub first_frame: u64,
    /// Bytes skipped while resyncing past data that is not MPEG audio.
    pub garbage_bytes: u64,
}

/// A four-character code (MP4 box types and brands).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            let c = if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '?' };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{self}'")
    }
}

impl Serialize for FourCc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FourCc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes: [u8; 4] = s
            .as_bytes()
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("not a four-character code: {s:?}")))?;
        Ok(FourCc(bytes))
    }
}

/// Details of an MP4 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mp4Info {
    /// The `ftyp` major brand (`M4A `, `M4B `, `isom`, …).
    pub major_brand: FourCc,
    /// The audio track's sample entry type (`mp4a`, `alac`, `Opus`, …).
    pub sample_entry: FourCc,
    /// Whether `moov` comes before `mdat`, so players can start before the whole file has loaded
    /// ("fast start", progressive playback).
    pub moov_before_mdat: bool,
    /// Whether the file is fragmented (`moof` boxes).
    pub fragmented: bool,
}

/// Where chapters found in a file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChapterSource {
    /// ID3v2 `CHAP` frames (MP3); chapters left out of every `CTOC` are marked hidden.
    Id3,
    /// A QuickTime chapter text track (MP4), what Apple's players read.
    QuickTime,
    /// The Nero `chpl` box (MP4), read when there is no chapter track.
    Nero,
    /// Vorbis comments `CHAPTERxxx=` / `CHAPTERxxxNAME=` (Ogg, FLAC).
    VorbisComment,
    /// A FLAC `CUESHEET` block: one chapter per track.
    CueSheet,
}

/// Chapters a file already carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundChapters {
    /// Where they were read from.
    pub source: ChapterSource,
    /// How many.
    pub count: usize,
    /// The chapters in start order, exactly as stored (not validated: see
    /// [`AudioInfo::chapter_list`]).
    pub list: Vec<Chapter>,
}

impl FoundChapters {
    /// Chapters from `source`, sorted by start. `None` when the list is empty.
    pub(crate) fn new(source: ChapterSource, mut list: Vec<Chapter>) -> Option<Self> {
        if list.is_empty() {
            return None;
        }
        list.sort_by_key(|c| c.start);
        Some(FoundChapters { source, count: list.len(), list })
    }
}

/// Something a probe noticed that did not stop it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeWarning {
    /// Where in the file.
    pub offset: u64,
    /// What it was.
    pub message: String,
}

impl ProbeWarning {
    pub(crate) fn new(offset: u64, message: impl Into<String>) -> Self {
        ProbeWarning { offset, message: message.into() }
    }
}

impl fmt::Display for ProbeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// Why a file could not be probed, and where.
#[derive(Debug, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct ProbeError {
    /// Byte offset in the file where the problem is.
    pub offset: u64,
    /// What the problem is.
    pub kind: ProbeErrorKind,
}

impl ProbeError {
    pub(crate) fn new(offset: u64, kind: ProbeErrorKind) -> Self {
        ProbeError { offset, kind }
    }

    pub(crate) fn io(offset: u64, err: std::io::Error) -> Self {
        ProbeError { offset, kind: ProbeErrorKind::Io(err) }
    }

    pub(crate) fn corrupt(offset: u64, what: &'static str, detail: impl Into<String>) -> Self {
        ProbeError { offset, kind: ProbeErrorKind::Corrupt { what, detail: detail.into() } }
    }

    pub(crate) fn unsupported(offset: u64, what: impl Into<String>) -> Self {
        ProbeError { offset, kind: ProbeErrorKind::Unsupported(what.into()) }
    }
}

/// The kinds of [`ProbeError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeErrorKind {
    /// Reading failed.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    /// The file is empty.
    #[error("empty file")]
    Empty,
    /// No known audio container or MPEG audio frames were found.
    #[error("not an audio file podmark can read (starts with {start})")]
    NotAudio {
        /// The first bytes of the file, quoted (printable ASCII as is, the rest as `\xNN`).
        start: String,
    },
    /// The file ends inside a structure.
    #[error("truncated: the {what} needs {needed} bytes but the file ends")]
    Truncated {
        /// The structure that was cut off.
        what: &'static str,
        /// Bytes it needs from the offset.
        needed: u64,
    },
    /// A structure is invalid.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// The structure.
        what: &'static str,
        /// What is wrong with it, quoting the bad value.
        detail: String,
    },
    /// A known audio format podmark does not read (Matroska, AIFF, APE, raw AAC, …).
    #[error("{0} audio is not supported by podmark")]
    UnsupportedFormat(super::sniff::Unsupported),
    /// A valid file using something podmark does not measure (free-format MP3, unknown total
    /// samples in FLAC, chained Ogg streams, …).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl ProbeErrorKind {
    /// A stable name for the kind (`io`, `empty`, `not_audio`, `truncated`, `corrupt`,
    /// `unsupported`, `unsupported_format`), used in JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeErrorKind::Io(_) => "io",
            ProbeErrorKind::Empty => "empty",
            ProbeErrorKind::NotAudio { .. } => "not_audio",
            ProbeErrorKind::Truncated { .. } => "truncated",
            ProbeErrorKind::Corrupt { .. } => "corrupt",
            ProbeErrorKind::Unsupported(_) => "unsupported",
            ProbeErrorKind::UnsupportedFormat(_) => "unsupported_format",
        }
    }
}

/// Probe options. [`Probe::default`] is what `podmark probe` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Read chapters (ID3 `CHAP`, MP4 chapter track / `chpl`, Vorbis comments). Default `true`.
    pub chapters: bool,
    /// Count every MP3 frame even when a Xing/Info or VBRI header gives the count (verifies the
    /// header; costs a read of the whole file). Default `false`.
    pub full_scan: bool,
}

impl Default for Probe {
    fn default() -> Self {
        Probe { chapters: true, full_scan: false }
    }
}

impl Probe {
    /// The default options.
    pub fn new() -> Self {
        Probe::default()
    }

    /// Sets [`Probe::chapters`].
    #[must_use]
    pub fn chapters(mut self, yes: bool) -> Self {
        self.chapters = yes;
        self
    }

    /// Sets [`Probe::full_scan`].
    #[must_use]
    pub fn full_scan(mut self, yes: bool) -> Self {
        self.full_scan = yes;
        self
    }

    /// Probes the file at `path`.
    pub fn probe_path(&self, path: impl AsRef<Path>) -> Result<AudioInfo, ProbeError> {
        let file = File::open(path).map_err(|e| ProbeError::io(0, e))?;
        self.probe_reader(file)
    }

    /// Probes a seekable stream from its start to its end.
    pub fn probe_reader<R: Read + Seek>(&self, reader: R) -> Result<AudioInfo, ProbeError> {
        let mut src = Source::new(reader)?;
        let len = src.len();
        let sniff = sniff::sniff_source(&mut src)?;
        let container = match sniff.container() {
            Ok(c) => c,
            // ID3v2 tags with no MPEG frames after them: the MPEG reader says what is there.
            Err(_) if sniff.kind == Sniffed::Unknown && sniff.id3_prefix > 0 => {
                return Err(mp3::probe_source(&mut src, self).err().unwrap_or_else(|| {
                    ProbeError::new(sniff.id3_prefix, ProbeErrorKind::NotAudio { start: sniff.head.clone() })
                }));
            }
            Err(e) => return Err(e),
        };
        let prefixed = |what: &str| {
            ProbeError::unsupported(0, format!("{what} file behind an ID3v2 tag ({} bytes)", sniff.id3_prefix))
        };
        let mut info = match container {
            Container::Flac => {
                let mut info = flac::probe(&mut src, sniff.start, self)?;
                info.tags.id3v2 = id3::version(&mut src)?;
                info
            }
            Container::Mp3 => mp3::probe_source(&mut src, self)?,
            _ if sniff.id3_prefix > 0 => return Err(prefixed(&container.to_string())),
            Container::Ogg => ogg::probe(&mut src, self)?,
            Container::Wav => wav::probe(&mut src, self)?,
            Container::Mp4 => mp4::probe_source(&mut src, self)?,
        };
        info.byte_length = len;
        Ok(info)
    }
}

/// Bytes quoted for a message: printable ASCII as is, everything else as `\xNN`.
pub(crate) fn quote_bytes(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// Probes a whole stream with one container's scanner and the default options: what the
/// per-container `probe` functions (`mp4::probe`, `mpeg::probe`) share.
pub(crate) fn probe_whole<R: Read + Seek>(
    reader: R,
    scan: fn(&mut Source<R>, &Probe) -> Result<AudioInfo, ProbeError>,
) -> Result<AudioInfo, ProbeError> {
    let mut src = Source::new(reader)?;
    let len = src.len();
    let mut info = scan(&mut src, &Probe::default())?;
    info.byte_length = len;
    Ok(info)
}

/// Probes the file at `path` with the default options.
pub fn probe_path(path: impl AsRef<Path>) -> Result<AudioInfo, ProbeError> {
    Probe::default().probe_path(path)
}

/// Probes a seekable stream with the default options.
pub fn probe_reader<R: Read + Seek>(reader: R) -> Result<AudioInfo, ProbeError> {
    Probe::default().probe_reader(reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn bitrate_is_rounded_bits_per_second() {
        // 16 000 bytes over one second at 8 kHz: 128 kbit/s.
        assert_eq!(bitrate(16_000, 8_000, 8_000), 128_000);
        assert_eq!(bitrate(1, 3, 1), 3);
        assert_eq!(bitrate(100, 0, 44_100), 0);
        assert_eq!(bitrate(u64::MAX, 1, u32::MAX), u32::MAX);
    }

    #[test]
    fn empty_and_foreign_files_are_errors_with_offsets() {
        let err = probe_reader(Cursor::new(Vec::new())).unwrap_err();
        assert!(matches!(err.kind, ProbeErrorKind::Empty));
        let err = probe_reader(Cursor::new(b"Hello, world! This is text, not audio.\n".repeat(50))).unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(err.to_string(), "not an audio file podmark can read (starts with \"Hello, world\") at byte 0");
        let err = probe_reader(Cursor::new(vec![0xffu8; 10])).unwrap_err();
        assert!(matches!(err.kind, ProbeErrorKind::NotAudio { .. }), "{err}");
    }

    #[test]
    fn quote_bytes_escapes_binary() {
        assert_eq!(quote_bytes(b"ab\x00\xff\"\\"), r#""ab\x00\xff\"\\""#);
    }

    #[test]
    fn fourcc_serializes_as_text() {
        let f = FourCc(*b"M4A ");
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"M4A \"");
        assert_eq!(serde_json::from_str::<FourCc>("\"M4A \"").unwrap(), f);
        assert!(serde_json::from_str::<FourCc>("\"M4A\"").is_err());
        assert_eq!(FourCc([0, b'a', 0xff, b' ']).to_string(), "?a? ");
    }
}
