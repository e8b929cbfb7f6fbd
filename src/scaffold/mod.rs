//! Starting a show and adding episodes to it: what `podmark new` and `podmark add` do.
//!
//! [`new_show`] makes a show folder that builds as it is: `episodes/podcast.toml` with every field
//! Apple needs (placeholders the producer edits), a placeholder cover that passes Apple's artwork
//! rules, a `.gitignore` and a README saying what to do next. [`add_episode`] turns an audio file
//! into the next episode folder, `episodes/NNN-slug/`, taking its title, date, cover and chapters
//! from the audio's tags.
//!
//! Both write only new files, and leave nothing behind when they fail: [`new_show`] removes what
//! it created; [`add_episode`] fills a hidden temporary folder and renames it into place, so a
//! build never sees half an episode.

mod add;
mod cover;
mod new_show;

pub use add::{AddOptions, AddReport, Origin, add_episode, parse_date, parse_date_in, slugify};
pub use cover::placeholder_cover;
pub use new_show::{NewShowOptions, NewShowReport, new_show, show_toml};

use std::path::PathBuf;

/// Why [`new_show`] or [`add_episode`] wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaffoldError {
    /// A value given for a field is not valid (a category Apple does not have, a bad URL, …).
    #[error("{field}: {message}")]
    Invalid {
        /// The field (`category`, `base_url`, `date`, …).
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The show folder exists and is not empty.
    #[error("{} already exists and is not empty; podmark new makes a show in a new or empty folder", path.display())]
    NotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// The episodes folder does not exist or has no `podcast.toml`.
    #[error(
        "{} is not a show's episodes folder (it has no podcast.toml): run `podmark add` in a show folder made by \
         `podmark new`, or pass --episodes DIR",
        path.display()
    )]
    NoEpisodes {
        /// The folder.
        path: PathBuf,
    },
    /// The audio file cannot be read as audio.
    #[error("{}: {message}", path.display())]
    Audio {
        /// The audio file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The episode folder to create exists already.
    #[error("{} already exists; pass another --slug", path.display())]
    EpisodeExists {
        /// The folder.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause (printed in the message, so not also a `source`).
        error: std::io::Error,
    },
}

/// A closure that wraps an I/O error with its path.
fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ScaffoldError + '_ {
    move |error| ScaffoldError::Io { path: path.to_owned(), error }
}

/// A TOML basic string for `s`.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
