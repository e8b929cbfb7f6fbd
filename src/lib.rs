#![doc = include_str!("../README.md")]

pub mod audio;
pub mod build;
pub mod chapter;
pub mod check;
pub mod diagnostic;
pub mod episode;
pub mod feed;
pub mod formats;
pub mod fsutil;
pub mod mime;
/// Probing audio files: re-exports of [`audio`]'s probing half, kept for embedders.
pub mod probe {
    pub use crate::audio::mpeg as mp3;
    pub use crate::audio::probe::*;
    pub use crate::audio::{ProbeCache, cache, flac, mp4, ogg, wav};
}
#[cfg(feature = "hosting")]
pub mod publish;
#[cfg(feature = "hosting")]
pub mod serve;
pub mod show;
pub mod shownotes;
/// Embedding chapters into audio files: re-exports of [`audio`]'s tagging half, kept for embedders.
pub mod tag {
    pub use crate::audio::mp4;
    pub use crate::audio::mpeg as mp3;
    pub use crate::audio::tag::*;
}
pub mod timestamp;
pub mod validate;

pub use crate::audio::{AudioInfo, Mime, Probe, ProbeError, ProbeErrorKind};
pub use crate::chapter::{Chapter, ChapterProblem, Chapters, ChaptersError, ProblemKind};
pub use crate::diagnostic::{Diagnostic, Location, Position, Severity};
pub use crate::episode::{EpisodeMeta, EpisodeType};
pub use crate::formats::{Format, Parsed, WriteError, WriteOptions};
pub use crate::timestamp::{Timestamp, TimestampError, TimestampErrorKind};
pub use crate::validate::Profile;
