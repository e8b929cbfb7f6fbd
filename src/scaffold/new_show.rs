//! `podmark new DIR`: a show folder that builds as it is.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ScaffoldError, io, toml_string};
use crate::sources::show::{Category, Show};

/// The fields `podmark new` fills; `None` leaves the placeholder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewShowOptions {
    /// Show title.
    pub title: Option<String>,
    /// Author, also the owner's name.
    pub author: Option<String>,
    /// Where `feed/` will be hosted.
    pub base_url: Option<String>,
    /// Language tag such as `en` or `en-au`.
    pub language: Option<String>,
    /// Apple category, `Name` or `Name/Subcategory`.
    pub category: Option<String>,
    /// The owner's e-mail address (Apple writes to it about the show).
    pub email: Option<String>,
}

impl NewShowOptions {
    /// No field given: placeholders everywhere.
    pub fn new() -> Self {
        NewShowOptions::default()
    }
}

/// What [`new_show`] made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewShowReport {
    /// The show folder.
    pub dir: PathBuf,
    /// The files created, relative to `dir`, in the order written.
    pub created: Vec<PathBuf>,
    /// The fields still holding a placeholder, to edit in `episodes/podcast.toml`.
    pub placeholders: Vec<&'static str>,
}

const PLACEHOLDER_TITLE: &str = "My Podcast";
const PLACEHOLDER_AUTHOR: &str = "Your Name";
const PLACEHOLDER_URL: &str = "https://podcast.example.com/";
const PLACEHOLDER_EMAIL: &str = "you@example.com";

/// The `podcast.toml` of a new show: every field Apple needs, commented, with `options`' values or
/// placeholders. Invalid values (a category Apple does not have, a base URL that is not http(s), a
/// malformed language tag) are errors; the text always parses with [`Show::parse`].
pub fn show_toml(options: &NewShowOptions) -> Result<String, ScaffoldError> {
    let invalid = |field, message: String| ScaffoldError::Invalid { field, message };
    let (cat, sub) = match options.category.as_deref().map(str::trim) {
        None | Some("") => ("Technology".to_owned(), None),
        Some(c) => match c.split_once(['/', '›']) {
            Some((c, s)) => (c.trim().to_owned(), Some(s.trim().to_owned())),
            None => (c.to_owned(), None),
        },
    };
    Category::new(&cat, sub.as_deref()).map_err(|e| invalid("category", e.to_string()))?;
    let title = options.title.as_deref().unwrap_or(PLACEHOLDER_TITLE);
    let author = options.author.as_deref().unwrap_or(PLACEHOLDER_AUTHOR);
    let email = options.email.as_deref().unwrap_or(PLACEHOLDER_EMAIL);
    for (field, value) in [("title", title), ("author", author), ("email", email)] {
        if value.trim().is_empty() {
            return Err(invalid(field, "must not be empty".into()));
        }
    }
    let mut base_url = options.base_url.clone().unwrap_or_else(|| PLACEHOLDER_URL.to_owned());
    if !base_url.ends_with('/') {
        base_url.push('/');
    }
    let language = options.language.as_deref().unwrap_or("en").to_ascii_lowercase();
    let sub_line = match &sub {
        Some(s) => format!("sub = {}\n", toml_string(s)),
        None => "# sub = \"Podcasting\"      # optional subcategory of the category above\n".to_owned(),
    };
    let year = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).format("%Y");
    let text = format!(
        r#"# The show: channel-level settings for `podmark build`.
# Every episode lives in its own folder next to this file (`podmark add AUDIO` makes one), with an
# `episode.md`: TOML front matter between +++ lines, then the show notes with chapter lines.
# Edit every value below; `podmark check episodes` tells you what is still wrong.

# The show's name, as apps list it.
title = {title}
# Who makes it (itunes:author).
author = {author}
# What the show is about: apps show it on the show page, and Apple searches it.
description = """
Replace this with a few sentences about the show: what it covers, who it is for, how often it \
comes out."""
# The language of the show, as a language tag: en, en-au, de, fr-ca, …
language = {language}
# true if any episode has explicit content.
explicit = false
# Show artwork next to this file: a square JPEG or PNG, RGB, 1400×1400 to 3000×3000 pixels.
# cover.png is a placeholder: replace it with your own (same name, or change this line).
image = "cover.png"
# Where the built `feed/` folder will be served from: feed.xml, audio/ and chapters/ go under it.
# Never change it once the show is published: apps subscribe to <base_url>feed.xml.
base_url = {base_url}
# The show's website, if it has one other than base_url.
# link = "https://example.com/"
copyright = {copyright}
# episodic (newest first) or serial (in order, every episode numbered).
type = "episodic"
# The time zone of episode dates written without one (`date = 2026-12-01` is midnight in it):
# UTC, or an offset such as "+10:00" or "-05:00".
timezone = "UTC"

# One of Apple's categories (see podmark's src/data/apple_categories.json).
[category]
name = {cat}
{sub_line}
# Who Apple contacts about the show (itunes:owner); not shown to listeners.
[owner]
name = {author}
email = {email}

[chapters]
# Chapter files written next to the feed, besides the Podcasting 2.0 JSON that is always written:
# any of psc, vtt, text, cue, ffmetadata, audacity.
formats = ["vtt"]

# Podcasting 2.0 tags (README, "Podcasting 2.0 namespace", lists them all). URLs must be https.
# [[podcast.funding]]
# url = "https://example.com/support"
# text = "Support the show"
#
# [[podcast.person]]
# name = "Your Name"
# role = "host"
#
# [podcast.license]
# name = "cc-by-4.0"
"#,
        title = toml_string(title),
        author = toml_string(author),
        language = toml_string(&language),
        base_url = toml_string(&base_url),
        copyright = toml_string(&format!("© {year} {author}")),
        cat = toml_string(&cat),
        email = toml_string(email),
    );
    if let Err(e) = Show::parse(&text) {
        let message = e.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; ");
        let field = if message.contains("base_url") {
            "base_url"
        } else if message.contains("language") {
            "language"
        } else {
            "podcast.toml"
        };
        return Err(invalid(field, message));
    }
    Ok(text)
}

/// The README of a new show.
fn readme(title: &str) -> String {
    format!(
        r#"# {title}

A podcast built with [podmark](https://crates.io/crates/podmark).

## What to do next

1. Edit `episodes/podcast.toml`: title, author, description, language, base_url (where `feed/`
   will be hosted), category and owner e-mail.
2. Replace `episodes/cover.png` with your artwork: a square JPEG or PNG, RGB, 1400×1400 to
   3000×3000 pixels.
3. Add an episode from its audio (title, date, cover and chapters are taken from its tags):

       podmark add ~/recordings/episode-1.mp3 --title "Episode 1: Hello"

   then edit the show notes in `episodes/001-…/episode.md`.
4. Build and check the feed, and listen to it in a podcast app on this machine:

       podmark build
       podmark check feed/feed.xml
       podmark serve

5. Publish `feed/` to your host, e.g. `podmark publish --to s3://bucket/show`.

`feed/` is built output (ignored by git). Commit `episodes/`, including `episodes/guids.lock`:
it keeps every episode's GUID the same forever, so apps never download an episode twice.
Rename an episode folder with `podmark mv OLD NEW`, which moves its GUID along.
"#
    )
}

/// Makes a new show in `dir`, which must not exist or be empty: `episodes/podcast.toml`,
/// `episodes/cover.png`, `.gitignore` and `README.md`. On any error, everything it created is
/// removed again and `dir` is as it was.
pub fn new_show(dir: &Path, options: &NewShowOptions) -> Result<NewShowReport, ScaffoldError> {
    let toml = show_toml(options)?;
    let cover = placeholder()?;
    let title = options.title.as_deref().unwrap_or(PLACEHOLDER_TITLE);
    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        (PathBuf::from("episodes/podcast.toml"), toml.into_bytes()),
        (PathBuf::from("episodes/cover.png"), cover),
        (PathBuf::from(".gitignore"), b"# Built by `podmark build`: publish it, don't commit it.\n/feed/\n".to_vec()),
        (PathBuf::from("README.md"), readme(title).into_bytes()),
    ];
    let mut made = Made::default();
    match write_all(dir, &files, &mut made) {
        Ok(()) => {
            made.keep();
            let mut placeholders = Vec::new();
            for (field, given) in [
                ("title", &options.title),
                ("author", &options.author),
                ("description", &None),
                ("base_url", &options.base_url),
                ("owner.email", &options.email),
            ] {
                if given.is_none() {
                    placeholders.push(field);
                }
            }
            placeholders.push("image (cover.png)");
            Ok(NewShowReport {
                dir: dir.to_owned(),
                created: files.into_iter().map(|(p, _)| p).collect(),
                placeholders,
            })
        }
        Err(e) => {
            made.undo();
            Err(e)
        }
    }
}

fn placeholder() -> Result<Vec<u8>, ScaffoldError> {
    super::placeholder_cover().map_err(io(Path::new("cover.png")))
}

/// What [`new_show`] created so far, removed again on failure (files, then folders, newest first).
#[derive(Default)]
struct Made {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    kept: bool,
}

impl Made {
    fn keep(&mut self) {
        self.kept = true;
    }

    fn undo(&mut self) {
        if self.kept {
            return;
        }
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            // Only if still empty: never remove what someone else put there meanwhile.
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Creates `dir` (and missing parents) unless it exists, recording what it created.
fn create_dirs(dir: &Path, made: &mut Made) -> Result<(), ScaffoldError> {
    let mut missing = Vec::new();
    let mut p = dir;
    while !p.as_os_str().is_empty() && std::fs::symlink_metadata(p).is_err() {
        missing.push(p.to_owned());
        match p.parent() {
            Some(parent) => p = parent,
            None => break,
        }
    }
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(&d) {
            Ok(()) => made.dirs.push(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(io(&d)(e)),
        }
    }
    Ok(())
}

fn write_all(dir: &Path, files: &[(PathBuf, Vec<u8>)], made: &mut Made) -> Result<(), ScaffoldError> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() || (m.file_type().is_symlink() && dir.is_dir()) => {
            let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
            if entries.next().is_some() {
                return Err(ScaffoldError::NotEmpty { path: dir.to_owned() });
            }
        }
        Ok(_) => return Err(ScaffoldError::NotEmpty { path: dir.to_owned() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(dir)(e)),
    }
    create_dirs(dir, made)?;
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            create_dirs(parent, made)?;
        }
        // create_new: never replace a file that appeared since the folder was found empty.
        let mut f: File = OpenOptions::new().write(true).create_new(true).open(&path).map_err(io(&path))?;
        made.files.push(path.clone());
        f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(&path))?;
    }
    for d in [dir.join("episodes"), dir.to_owned()] {
        if let Ok(f) = File::open(&d) {
            let _ = f.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_with_placeholders_and_with_every_flag() {
        let show = Show::parse(&show_toml(&NewShowOptions::new()).unwrap_or_default());
        let show = show.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((show.title.as_str(), show.category.name()), (PLACEHOLDER_TITLE, "Technology"));
        let options = NewShowOptions {
            title: Some("Quote \" and \\ backslash".into()),
            author: Some("Ana".into()),
            base_url: Some("https://ana.example/show".into()),
            language: Some("en-AU".into()),
            category: Some("Arts/Books".into()),
            email: Some("ana@ana.example".into()),
        };
        let show = Show::parse(&show_toml(&options).unwrap_or_default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(show.title, "Quote \" and \\ backslash");
        assert_eq!(show.base_url, "https://ana.example/show/");
        assert_eq!(show.language, "en-au");
        assert_eq!((show.category.name(), show.category.sub()), ("Arts", Some("Books")));
        assert_eq!(show.owner.map(|o| o.email).as_deref(), Some("ana@ana.example"));
    }

    #[test]
    fn bad_flags_are_refused_with_the_field_named() {
        let field = |o: NewShowOptions| match show_toml(&o) {
            Err(ScaffoldError::Invalid { field, message }) => format!("{field}: {message}"),
            other => format!("{other:?}"),
        };
        let c = field(NewShowOptions { category: Some("Tech".into()), ..NewShowOptions::new() });
        assert!(c.starts_with("category: \"Tech\" is not an Apple Podcasts category"), "{c}");
        let u = field(NewShowOptions { base_url: Some("example.com".into()), ..NewShowOptions::new() });
        assert!(u.starts_with("base_url: base_url must be an absolute http(s) URL"), "{u}");
        let l = field(NewShowOptions { language: Some("english please".into()), ..NewShowOptions::new() });
        assert!(l.starts_with("language: "), "{l}");
        let t = field(NewShowOptions { title: Some(" ".into()), ..NewShowOptions::new() });
        assert_eq!(t, "title: must not be empty");
    }

    #[test]
    fn refuses_a_non_empty_folder_and_leaves_it_alone() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
        let err = new_show(tmp.path(), &NewShowOptions::new());
        assert!(matches!(err, Err(ScaffoldError::NotEmpty { .. })), "{err:?}");
        let names: Vec<_> =
            std::fs::read_dir(tmp.path()).into_iter().flatten().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["notes.txt"]);
    }

    #[test]
    fn makes_the_show_in_a_new_or_empty_folder() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap_or_else(|e| panic!("{e}"));
        for dir in [tmp.path().join("a/b/show"), empty] {
            let r = new_show(&dir, &NewShowOptions::new()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.created.len(), 4);
            for f in &r.created {
                assert!(dir.join(f).is_file(), "{}", f.display());
            }
            let err = new_show(&dir, &NewShowOptions::new());
            assert!(matches!(err, Err(ScaffoldError::NotEmpty { .. })), "{err:?}");
        }
    }
}
