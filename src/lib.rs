#![doc = include_str!("../README.md")]

pub mod build;
pub mod chapter;
pub mod check;
pub mod diagnostic;
pub mod episode;
pub mod feed;
pub mod formats;
pub mod fsutil;
pub mod probe;
#[cfg(feature = "hosting")]
pub mod publish;
#[cfg(feature = "hosting")]
pub mod serve;
pub mod show;
pub mod shownotes;
pub mod tag;
pub mod timestamp;
pub mod validate;

pub use crate::chapter::{Chapter, ChapterProblem, Chapters, ChaptersError, ProblemKind};
pub use crate::diagnostic::{Diagnostic, Location, ParseError, Position, Severity};
pub use crate::episode::{EpisodeMeta, EpisodeType};
pub use crate::formats::{Format, Parsed, WriteError, WriteOptions};
pub use crate::probe::{AudioInfo, Mime, Probe, ProbeError, ProbeErrorKind};
pub use crate::timestamp::{Timestamp, TimestampError, TimestampErrorKind};
pub use crate::validate::Profile;
