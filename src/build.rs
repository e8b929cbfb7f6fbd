//! `podmark build`: turn the sources in `episodes/` into the hostable `feed/` folder.
//!
//! This first version reads and checks the show and every episode, then writes the chapter files
//! (`feed/chapters/<slug>.json` plus the formats `podcast.toml` asks for). Tagged audio and
//! `feed.xml` are added by later steps of the build (see CHANGELOG.md).
//!
//! All sources are read and checked before anything is written, so a build with an error writes
//! nothing. Output is deterministic: episodes are processed in folder-name order and nothing
//! depends on the clock.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::formats::{Format, WriteOptions};
use crate::show::Show;
use crate::validate::{Profile, check_all};
use crate::{Chapters, EpisodeMeta};

/// What to build, and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The sources: `podcast.toml` and one folder per episode.
    pub episodes: PathBuf,
    /// The output folder.
    pub out: PathBuf,
}

/// One episode as loaded from its folder.
#[derive(Debug, Clone, Serialize)]
pub struct Episode {
    /// The folder name, used in output file names.
    pub slug: String,
    /// The folder.
    pub dir: PathBuf,
    /// Front matter.
    pub meta: EpisodeMeta,
    /// The notes without chapter lines.
    pub description: String,
    /// The checked chapters.
    pub chapters: Chapters,
}

/// A file the build wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// Path, relative to the output folder.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What the build did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// The show's title.
    pub show: String,
    /// Episodes built, in order.
    pub episodes: Vec<EpisodeReport>,
    /// Files written, in order.
    pub files: Vec<Written>,
    /// Warnings met on the way (as `path:line:col: warning: …`).
    pub warnings: Vec<String>,
}

/// One episode in the report.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeReport {
    /// Folder name.
    pub slug: String,
    /// Title.
    pub title: Option<String>,
    /// Number of chapters.
    pub chapters: usize,
}

/// Why a build stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Problems in the sources, every one of them, as `path:line:col: error: …`.
    #[error("{} problem{} in the sources:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.join("\n"))]
    Sources(Vec<String>),
    /// Chapters could not be written in a format.
    #[error(transparent)]
    Write(#[from] crate::formats::WriteError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io { path: path.to_owned(), source }
}

fn render(path: &Path, diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| d.with_path(path).to_string()).collect()
}

/// Loads the show and its episodes, checking everything; returns every problem at once.
pub fn load(episodes_dir: &Path) -> Result<(Show, Vec<Episode>, Vec<String>), BuildError> {
    let show_path = episodes_dir.join("podcast.toml");
    let show_text = std::fs::read_to_string(&show_path).map_err(io(&show_path))?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let show = Show::parse(&show_text).map_err(|d| problems.extend(render(&show_path, &d))).ok();

    let mut dirs: Vec<PathBuf> = std::fs::read_dir(episodes_dir)
        .map_err(io(episodes_dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join("episode.md").is_file())
        .collect();
    dirs.sort();
    let mut episodes = Vec::new();
    for dir in dirs {
        let notes_path = dir.join("episode.md");
        let bytes = std::fs::read(&notes_path).map_err(io(&notes_path))?;
        let text = match crate::formats::decode_text(&bytes) {
            Ok(t) => t,
            Err(d) => {
                problems.extend(render(&notes_path, &[d]));
                continue;
            }
        };
        let notes = crate::shownotes::parse(text);
        let meta = notes.meta.clone();
        let description = notes.description.clone();
        let parsed = notes.into_parsed();
        let diags = check_all(&parsed, &[Profile::Strict], None);
        let (errs, warns): (Vec<Diagnostic>, Vec<Diagnostic>) = diags.into_iter().partition(Diagnostic::is_error);
        warnings.extend(render(&notes_path, &warns));
        if !errs.is_empty() {
            problems.extend(render(&notes_path, &errs));
            continue;
        }
        let Some(meta) = meta else {
            problems.push(format!(
                "{}:1:1: error: episode.md needs TOML front matter between +++ lines",
                notes_path.display()
            ));
            continue;
        };
        match parsed.into_chapters() {
            Ok(chapters) => episodes.push(Episode {
                slug: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                dir,
                meta,
                description,
                chapters,
            }),
            Err(d) => problems.extend(render(&notes_path, &d)),
        }
    }
    match show {
        Some(show) if problems.is_empty() => Ok((show, episodes, warnings)),
        _ => Err(BuildError::Sources(problems)),
    }
}

/// Builds the feed folder.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let (show, episodes, mut warnings) = load(&options.episodes)?;
    // Render everything first; write only when every episode rendered.
    let mut outputs: Vec<(String, String)> = Vec::new();
    for ep in &episodes {
        let write_options = WriteOptions {
            title: ep.meta.title.clone(),
            podcast_name: Some(show.title.clone()),
            author: Some(show.author.clone()),
            file_name: ep.meta.audio.as_ref().and_then(|a| a.file_name()).map(|n| n.to_string_lossy().into_owned()),
        };
        outputs.push((format!("chapters/{}.json", ep.slug), Format::Json.write(&ep.chapters, &write_options)?));
        for &f in &show.chapter_formats {
            match f.write(&ep.chapters, &write_options) {
                Ok(text) => outputs.push((format!("chapters/{}.{}", ep.slug, f.extension()), text)),
                // Formats that need the audio's duration (WebVTT, FFMETADATA) wait for the probe.
                Err(e) if ep.chapters.duration().is_none() => warnings.push(format!(
                    "{}: warning: skipped {f} chapters ({}); they need the audio's duration",
                    ep.dir.join("episode.md").display(),
                    e.message
                )),
                Err(e) => return Err(e.into()),
            }
        }
    }
    let mut files = Vec::new();
    for (rel, text) in outputs {
        let path = options.out.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        write_if_changed(&path, text.as_bytes())?;
        files.push(Written { path: rel, bytes: text.len() as u64 });
    }
    Ok(BuildReport {
        show: show.title,
        episodes: episodes
            .iter()
            .map(|e| EpisodeReport { slug: e.slug.clone(), title: e.meta.title.clone(), chapters: e.chapters.len() })
            .collect(),
        files,
        warnings,
    })
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    crate::fsutil::write_if_changed(path, bytes).map(|_| ()).map_err(io(path))
}
