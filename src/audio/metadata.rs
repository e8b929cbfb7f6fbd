//! The few tags a producer's audio usually carries that an episode can start from: its title, its
//! date and its cover picture. ID3v2.3/2.4 in MP3 (`TIT2`; `TDRC`, `TDRL` or `TYER`+`TDAT`+`TIME`;
//! `APIC`) and the iTunes `ilst` atoms in MP4 (`©nam`, `©day`, `covr`). `podmark add` reads them.
//!
//! Reading is best effort: a tag that is absent, of another kind (ID3v2.2, Vorbis comments) or
//! unreadable gives empty [`Metadata`]; only an unreadable file is an error.

use std::path::Path;

use serde::Serialize;

use super::Container;
use super::tag::TagError;

/// A picture embedded in the audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Picture {
    /// The MIME type the tag gives (may be wrong or empty; check the bytes).
    pub mime: String,
    /// The image bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// Title, date and cover read from an audio file's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The title (`TIT2`, `©nam`), trimmed; `None` when absent or blank.
    pub title: Option<String>,
    /// The date as the tag writes it (`2016-09-14`, `2016-09-14T09:00:00Z`, `2016`), trimmed.
    pub date: Option<String>,
    /// The cover (`APIC` of type "front cover" first, else the first one; the first `covr`).
    pub picture: Option<Picture>,
}

impl Metadata {
    /// Blank values become `None`; others are trimmed.
    pub(crate) fn cleaned(self) -> Metadata {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Metadata {
            title: clean(self.title),
            date: clean(self.date),
            picture: self.picture.filter(|p| !p.data.is_empty()),
        }
    }
}

/// Reads the title, date and cover of the audio file at `path` (see the module documentation).
pub fn read(path: &Path) -> Result<Metadata, TagError> {
    let found = super::tag::sniff(path)?;
    let meta = match found.container() {
        Ok(Container::Mp3) => super::id3::meta::read_path(path)?,
        Ok(Container::Mp4) if found.id3_prefix == 0 => super::mp4::read_metadata(path)?,
        _ => Metadata::default(),
    };
    Ok(meta.cleaned())
}
