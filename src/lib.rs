#![doc = include_str!("../README.md")]

pub mod build;
pub mod chapter;
pub mod check;
pub mod diagnostic;
pub mod feed;
pub mod formats;
pub(crate) mod fsutil;
#[cfg(feature = "hosting")]
pub mod host;
pub mod probe;
pub mod sources;
pub mod tag;
pub mod timestamp;
pub mod validate;

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

pub use crate::chapter::{Chapter, ChapterProblem, Chapters, ChaptersError, ProblemKind};
pub use crate::diagnostic::{Diagnostic, Location, Position, Severity};
pub use crate::formats::{Format, Parsed, WriteError, WriteOptions};
pub use crate::probe::{AudioInfo, Mime, Probe, ProbeError, ProbeErrorKind};
pub use crate::sources::episode::{EpisodeMeta, EpisodeType};
pub use crate::timestamp::{Timestamp, TimestampError, TimestampErrorKind};
pub use crate::validate::Profile;
