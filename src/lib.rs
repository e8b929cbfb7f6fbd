#![doc = include_str!("../README.md")]

pub mod audio;
pub mod build;
pub mod chapter;
pub mod check;
pub mod diagnostic;
pub mod feed;
pub mod formats;
pub(crate) mod fsutil;
#[cfg(feature = "hosting")]
pub mod host;
#[cfg(feature = "import")]
pub mod import;
pub mod mime;
pub mod scaffold;
pub mod site;
pub mod sources;
pub mod timestamp;
pub mod validate;

/// Probing audio files: re-exports of [`audio`]'s probing half, kept for embedders.
pub mod probe {
    pub use crate::audio::mpeg as mp3;
    pub use crate::audio::probe::*;
    pub use crate::audio::{ProbeCache, cache, flac, mp4, ogg, wav};
}
/// Embedding chapters into audio files: re-exports of [`audio`]'s tagging half, kept for embedders.
pub mod tag {
    pub use crate::audio::mp4;
    pub use crate::audio::mpeg as mp3;
    pub use crate::audio::tag::*;
}

/// Show notes with chapter lines: moved to [`formats::notes`].
pub use crate::formats::notes as shownotes;
/// `podmark publish`: moved to [`host::publish`].
#[cfg(feature = "hosting")]
pub use crate::host::publish;
/// `podmark serve`: moved to [`host::serve`].
#[cfg(feature = "hosting")]
pub use crate::host::serve;
/// The episode front matter: moved to [`sources::episode`].
pub use crate::sources::episode;
/// The show configuration: moved to [`sources::show`].
pub use crate::sources::show;

pub use crate::audio::{AudioInfo, Mime, Probe, ProbeError, ProbeErrorKind};
pub use crate::chapter::{Chapter, ChapterProblem, Chapters, ChaptersError, ProblemKind};
pub use crate::diagnostic::{Diagnostic, Location, ParseError, Position, Severity};
pub use crate::formats::{Format, Parsed, WriteError, WriteOptions};
pub use crate::sources::episode::{EpisodeMeta, EpisodeType};
pub use crate::timestamp::{Timestamp, TimestampError, TimestampErrorKind};
pub use crate::validate::Profile;
