//! Audio files: one module per container, each holding both its reading and its writing.
//!
//! ```text
//! audio/
//!   probe.rs        format-agnostic core: AudioInfo, Container, Codec, errors, `Probe`
//!   sniff.rs        the one container sniffer every command uses (supported, unsupported, unknown)
//!   vorbis_comment.rs  Vorbis comments (chapters) shared by Ogg and FLAC
//!   metadata.rs     title, date and cover from ID3 and MP4 tags (`podmark add`)
//!   tag.rs          embedding chapters: TagOptions, TagReport, `embed` / `strip` / `extract`
//!   id3/            the only ID3v2 reader and writer (synchsafe integers, unsynchronisation)
//!   mpeg/           MPEG audio frames (Xing/LAME/VBRI) and MP3 tagging
//!   mp4/            the only MP4 box walker: properties, chpl, chapter track, layout
//!   ogg.rs, flac.rs, wav.rs
//!   cache.rs        the probe cache used by `podmark build`
//! ```
//!
//! `podmark::probe` and `podmark::tag` re-export this module's probing and tagging halves.

pub mod cache;
pub mod flac;
pub(crate) mod id3;
pub mod metadata;
pub mod mp4;
pub mod mpeg;
pub mod ogg;
pub mod probe;
pub mod sniff;
mod source;
pub mod tag;
mod vorbis_comment;
pub mod wav;

pub use cache::ProbeCache;
pub use probe::*;
pub use sniff::{Sniff, Sniffed, Unsupported, sniff_path};
pub(crate) use source::{Bytes, Source, u64_of};
pub use tag::{TagError, TagOptions, TagReport, WriteMode};
