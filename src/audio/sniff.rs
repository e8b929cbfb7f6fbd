//! The one place podmark decides what a file is, from its bytes, for every command: `probe`,
//! `chapters extract`, `tag`, `tag --strip-chapters`, `check` and `build`.
//!
//! 1. ID3v2 tags at the start are skipped (any number of them): an ID3v2 prefix says nothing
//!    about the container, so a FLAC file behind an ID3v2 tag is FLAC.
//! 2. The bytes after them are matched against the signatures of the containers podmark reads
//!    (`fLaC`, `OggS`, `RIFF`/`RF64`/`BW64` + `WAVE`, an MP4 box type at offset 4) and of audio
//!    formats it knows but does not read (Matroska/WebM, AIFF/AIFC, APE, ADTS AAC, WavPack, CAF,
//!    MIDI): those are named in the error rather than guessed at.
//! 3. Otherwise the file is MPEG audio only where [`mpeg::CHAIN`](super::mpeg) consecutive frame
//!    headers chain (each where the previous one's length says), searched up to 1 MiB past the
//!    ID3v2 tags, as ffmpeg and mutagen do: a stray `FF Ex` in other data is not a stream, and junk
//!    before the first frame is skipped. The probe measures from the same first frame.
//! 4. Anything else is [`Sniffed::Unknown`].

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use serde::Serialize;

use super::{Container, ProbeError, ProbeErrorKind, Source, id3, mpeg};

/// An audio format podmark recognises but does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unsupported {
    /// Matroska or WebM (EBML header `1A 45 DF A3`).
    Matroska,
    /// AIFF or AIFF-C (`FORM` … `AIFF`/`AIFC`).
    Aiff,
    /// Monkey's Audio (`MAC `).
    Ape,
    /// Raw AAC in ADTS frames.
    Adts,
    /// WavPack (`wvpk`).
    WavPack,
    /// Apple Core Audio Format (`caff`).
    Caf,
    /// Standard MIDI file (`MThd`).
    Midi,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unsupported::Matroska => "Matroska/WebM",
            Unsupported::Aiff => "AIFF",
            Unsupported::Ape => "Monkey's Audio (APE)",
            Unsupported::Adts => "raw AAC (ADTS)",
            Unsupported::WavPack => "WavPack",
            Unsupported::Caf => "Core Audio Format (CAF)",
            Unsupported::Midi => "MIDI",
        })
    }
}

/// What the sniffer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sniffed {
    /// A container podmark reads.
    Supported(Container),
    /// An audio format podmark knows but does not read.
    Unsupported(Unsupported),
    /// Nothing podmark recognises.
    Unknown,
}

/// The sniffer's answer for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniff {
    /// What the file is.
    pub kind: Sniffed,
    /// Bytes of ID3v2 tags before the container (0 when there are none).
    pub id3_prefix: u64,
    /// Where the container starts: after the ID3v2 tags, or for MPEG audio the first frame of the
    /// chain of headers (junk between the tags and that frame is part of the audio region).
    pub start: u64,
    /// The first bytes after the ID3v2 tags, quoted for messages.
    pub head: String,
}

impl Sniff {
    /// The container, or the error every command reports for a file podmark cannot read.
    pub fn container(&self) -> Result<Container, ProbeError> {
        match self.kind {
            Sniffed::Supported(c) => Ok(c),
            Sniffed::Unsupported(u) => Err(ProbeError::new(self.id3_prefix, ProbeErrorKind::UnsupportedFormat(u))),
            Sniffed::Unknown => {
                Err(ProbeError::new(self.id3_prefix, ProbeErrorKind::NotAudio { start: self.head.clone() }))
            }
        }
    }

    /// "FLAC audio", or "FLAC audio behind an ID3v2 tag": what messages call the file.
    pub fn describe(&self) -> String {
        let name = match self.kind {
            Sniffed::Supported(c) => c.to_string(),
            Sniffed::Unsupported(u) => u.to_string(),
            Sniffed::Unknown => "unknown".to_owned(),
        };
        if self.id3_prefix > 0 && self.kind != Sniffed::Supported(Container::Mp3) {
            format!("{name} audio behind an ID3v2 tag")
        } else {
            format!("{name} audio")
        }
    }
}

/// Sniffs the file at `path`.
pub fn sniff_path(path: impl AsRef<Path>) -> Result<Sniff, ProbeError> {
    let file = File::open(path).map_err(|e| ProbeError::io(0, e))?;
    sniff_reader(file)
}

/// Sniffs a seekable stream.
pub fn sniff_reader<R: Read + Seek>(reader: R) -> Result<Sniff, ProbeError> {
    sniff_source(&mut Source::new(reader)?)
}

/// Sniffs a source: the only container detection in podmark.
pub(crate) fn sniff_source<R: Read + Seek>(src: &mut Source<R>) -> Result<Sniff, ProbeError> {
    if src.len() == 0 {
        return Err(ProbeError::new(0, ProbeErrorKind::Empty));
    }
    let prefix = id3::skip_tags(src, 0)?;
    let head = src.peek(prefix, 12)?.to_vec();
    let quoted = super::probe::quote_bytes(&head);
    let at = |kind| Sniff { kind, id3_prefix: prefix, start: prefix, head: quoted.clone() };
    if let Some(kind) = signature(&head) {
        return Ok(at(kind));
    }
    if adts_chain(src, prefix)? {
        return Ok(at(Sniffed::Unsupported(Unsupported::Adts)));
    }
    let (_, _, found) = mpeg::first_frame(src, &mut Vec::new())?;
    Ok(match found {
        Some((first, _)) => {
            Sniff { kind: Sniffed::Supported(Container::Mp3), id3_prefix: prefix, start: first, head: quoted }
        }
        None => at(Sniffed::Unknown),
    })
}

/// The format a signature at the start of `head` announces.
fn signature(head: &[u8]) -> Option<Sniffed> {
    let a = head.get(0..4)?;
    let b = head.get(4..8);
    let c = head.get(8..12);
    let supported = |c| Some(Sniffed::Supported(c));
    let unsupported = |u| Some(Sniffed::Unsupported(u));
    match a {
        b"fLaC" => supported(Container::Flac),
        b"OggS" => supported(Container::Ogg),
        b"RIFF" | b"RF64" | b"BW64" if c == Some(b"WAVE") => supported(Container::Wav),
        [0x1a, 0x45, 0xdf, 0xa3] => unsupported(Unsupported::Matroska),
        b"FORM" if matches!(c, Some(b"AIFF" | b"AIFC")) => unsupported(Unsupported::Aiff),
        b"MAC " => unsupported(Unsupported::Ape),
        b"wvpk" => unsupported(Unsupported::WavPack),
        b"caff" => unsupported(Unsupported::Caf),
        b"MThd" => unsupported(Unsupported::Midi),
        _ if matches!(b, Some(b"ftyp" | b"moov" | b"mdat" | b"free" | b"wide" | b"skip" | b"pnot")) => {
            supported(Container::Mp4)
        }
        _ => None,
    }
}

/// Whether three ADTS frames chain from `pos` (sync `FFF`, layer 0; MPEG audio has layer ≠ 0).
fn adts_chain<R: Read + Seek>(src: &mut Source<R>, mut pos: u64) -> Result<bool, ProbeError> {
    for _ in 0..3 {
        let h = src.peek(pos, 7)?;
        let &[b0, b1, _, b3, b4, b5, _] = h else { return Ok(false) };
        if b0 != 0xff || b1 & 0xf6 != 0xf0 {
            return Ok(false);
        }
        let len = (u64::from(b3 & 3) << 11) | (u64::from(b4) << 3) | (u64::from(b5) >> 5);
        if len < 7 {
            return Ok(false);
        }
        pos += len;
        if pos == src.len() {
            return Ok(true);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn sniff(data: &[u8]) -> Sniffed {
        sniff_reader(Cursor::new(data.to_vec())).unwrap().kind
    }

    fn mpeg_frame() -> Vec<u8> {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes.
        let mut f = vec![0xff, 0xfb, 0x90, 0x00];
        f.resize(417, 0x55);
        f
    }

    #[test]
    fn signatures_name_every_known_format() {
        let pad = |s: &[u8]| {
            let mut v = s.to_vec();
            v.resize(64, 0);
            v
        };
        assert_eq!(sniff(&pad(b"fLaC")), Sniffed::Supported(Container::Flac));
        assert_eq!(sniff(&pad(b"OggS")), Sniffed::Supported(Container::Ogg));
        assert_eq!(sniff(&pad(b"RIFF\0\0\0\0WAVE")), Sniffed::Supported(Container::Wav));
        assert_eq!(sniff(&pad(b"\0\0\0\x20ftypM4A ")), Sniffed::Supported(Container::Mp4));
        assert_eq!(sniff(&pad(b"\x1a\x45\xdf\xa3")), Sniffed::Unsupported(Unsupported::Matroska));
        assert_eq!(sniff(&pad(b"FORM\0\0\0\0AIFC")), Sniffed::Unsupported(Unsupported::Aiff));
        assert_eq!(sniff(&pad(b"MAC \x96\x0f")), Sniffed::Unsupported(Unsupported::Ape));
        assert_eq!(sniff(&pad(b"wvpk")), Sniffed::Unsupported(Unsupported::WavPack));
        assert_eq!(sniff(&pad(b"caff")), Sniffed::Unsupported(Unsupported::Caf));
        assert_eq!(sniff(&pad(b"MThd")), Sniffed::Unsupported(Unsupported::Midi));
        assert_eq!(sniff(&pad(b"RIFF\0\0\0\0AVI ")), Sniffed::Unknown);
        assert_eq!(sniff(b"hello"), Sniffed::Unknown);
    }

    #[test]
    fn an_id3v2_prefix_does_not_hide_the_container() {
        let mut data = id3::build_tag(3, &[(b"TIT2", vec![0, b'x'])], 20);
        let prefix = u64::try_from(data.len()).unwrap();
        data.extend_from_slice(b"fLaC");
        data.resize(200, 0);
        let s = sniff_reader(Cursor::new(data)).unwrap();
        assert_eq!(s.kind, Sniffed::Supported(Container::Flac));
        assert_eq!((s.id3_prefix, s.start), (prefix, prefix));
        assert_eq!(s.describe(), "FLAC audio behind an ID3v2 tag");
    }

    #[test]
    fn mpeg_needs_a_chain_of_frames_and_skips_junk() {
        let mut one = vec![0u8; 3000];
        one.extend(mpeg_frame());
        one.resize(8000, 0);
        assert_eq!(sniff(&one), Sniffed::Unknown, "one frame in zeros is not a stream");
        let mut junk = b"junk before the audio".repeat(10);
        let first = u64::try_from(junk.len()).unwrap();
        for _ in 0..6 {
            junk.extend(mpeg_frame());
        }
        let s = sniff_reader(Cursor::new(junk)).unwrap();
        assert_eq!(s.kind, Sniffed::Supported(Container::Mp3));
        assert_eq!(s.start, first);
    }

    #[test]
    fn adts_is_named_not_taken_for_mpeg() {
        let mut data = Vec::new();
        for _ in 0..4 {
            // ADTS header, frame length 100.
            let len: u16 = 100;
            let mut f = vec![0xff, 0xf1, 0x50, 0x80 | u8::try_from(len >> 11).unwrap(), 0, 0, 0xfc];
            f[4] = u8::try_from((len >> 3) & 0xff).unwrap();
            f[5] = u8::try_from((len & 7) << 5).unwrap() | 0x1f;
            f.resize(100, 0);
            data.extend(f);
        }
        assert_eq!(sniff(&data), Sniffed::Unsupported(Unsupported::Adts));
    }

    #[test]
    fn errors_name_the_format() {
        let mut mkv = b"\x1a\x45\xdf\xa3".to_vec();
        mkv.resize(100, 0);
        let err = sniff_reader(Cursor::new(mkv)).unwrap().container().unwrap_err();
        assert_eq!(err.to_string(), "Matroska/WebM audio is not supported by podmark at byte 0");
        assert!(matches!(sniff_reader(Cursor::new(Vec::new())).unwrap_err().kind, ProbeErrorKind::Empty));
    }
}
