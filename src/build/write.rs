//! Writing a checked [`Plan`]: tagged audio copies, chapter files, transcripts, images, the feed
//! (in pages if asked) and the GUID lock. Files whose content is unchanged are not rewritten.

use std::path::Path;

use super::plan::{Plan, Planned};
use super::state::{BuildState, Recorder};
use super::{BuildError, BuildOptions, EpisodeReport, Written, io};
use crate::Chapters;
use crate::diagnostic::Diagnostic;
use crate::feed::{self, Channel, Enclosure, Item, Locked, Transcript};
use crate::formats::{Format, WriteOptions};
use crate::probe::ProbeCache;
use crate::sources::SourceDiagnostic;
use crate::sources::show::ShowType;
use crate::tag::TagOptions;

/// What writing produced: the files, and the episodes in feed order.
pub(super) struct Outputs {
    pub(super) files: Vec<Written>,
    pub(super) episodes: Vec<EpisodeReport>,
}

/// Where and with what the plan is written.
pub(super) struct Writer<'a> {
    pub(super) options: &'a BuildOptions,
    pub(super) rec: &'a mut Recorder,
    pub(super) cache: &'a mut ProbeCache,
    pub(super) state: &'a mut BuildState,
    pub(super) warnings: &'a mut Vec<SourceDiagnostic>,
}

impl Writer<'_> {
    /// Writes every episode's files, the show artwork and the feed pages; records the GUIDs in
    /// `plan.lock` (not yet saved: see [`save_lock`]).
    pub(super) fn write(&mut self, plan: &mut Plan) -> Result<Outputs, BuildError> {
        let mut files = Vec::new();
        let mut items = Vec::new();
        let mut reports = Vec::new();
        for p in &plan.episodes {
            let (item, report) = self.episode(plan, p, &mut files)?;
            items.push(item);
            reports.push(report);
            plan.lock.set(&p.ep.slug, &p.guid);
        }
        let (items, reports) = feed_order(plan.show.show_type, items, reports);
        let channel = self.channel(plan, &mut files)?;
        let pages = feed::paging::paginate(&channel, &items, self.options.page_size, &plan.base_url);
        let count = pages.len();
        for (name, page) in pages {
            let xml = feed::write(&page)?;
            files.push(emit(&self.options.out, &name, &xml)?);
        }
        // Pages left over from an earlier build with more pages would mislead clients: remove them.
        let mut n = count + 1;
        while self.options.out.join(feed::paging::page_name(n)).is_file() {
            let stale = self.options.out.join(feed::paging::page_name(n));
            std::fs::remove_file(&stale).map_err(io(&stale))?;
            n += 1;
        }
        Ok(Outputs { files, episodes: reports })
    }

    /// One episode's files (audio, chapters, transcript, image), its feed item and its report.
    fn episode(
        &mut self,
        plan: &Plan,
        p: &Planned,
        files: &mut Vec<Written>,
    ) -> Result<(Item, EpisodeReport), BuildError> {
        let out = &self.options.out;
        let base_url = &plan.base_url;
        let out_audio = out.join(&p.audio_out_rel);
        let tagged = copy_and_tag(&p.audio_src, &out_audio, &p.ep.chapters, self.state, &p.audio_out_rel)?;
        let out_info = self
            .cache
            .probe(&out_audio)
            .map_err(|e| BuildError::Sources(vec![super::plan::problem(&out_audio, "audio", e.to_string())]))?;
        files.push(Written { path: p.audio_out_rel.clone(), bytes: out_info.byte_length, changed: tagged });
        let json_rel = self.chapter_files(plan, p, files)?;
        let mut transcripts = Vec::new();
        if let Some((src, rel, mime)) = &p.transcript {
            let bytes = std::fs::read(src).map_err(io(src))?;
            files.push(emit_bytes(out, rel, &bytes)?);
            transcripts.push(Transcript {
                url: format!("{base_url}{rel}"),
                mime: (*mime).to_owned(),
                language: Some(plan.show.language.clone()),
            });
        }
        let image_url = match (&p.image, &p.ep.meta.image) {
            (Some((src, rel)), _) => {
                let bytes = std::fs::read(src).map_err(io(src))?;
                files.push(emit_bytes(out, rel, &bytes)?);
                Some(format!("{base_url}{rel}"))
            }
            (None, Some(url)) => Some(url.clone()),
            (None, None) => None,
        };
        let meta = &p.ep.meta;
        let enclosure = Enclosure {
            url: format!("{base_url}{}", p.audio_out_rel),
            length: out_info.byte_length,
            mime: out_info.mime.as_str().to_owned(),
        };
        let mut item = Item::new(
            p.title.clone(),
            p.guid.clone(),
            meta.date.unwrap_or_default(),
            enclosure,
            out_info.duration.as_secs_rounded(),
        );
        item.episode = meta.episode;
        item.season = meta.season;
        item.episode_type = meta.episode_type;
        item.html = feed::html::notes_to_html(&p.ep.description, &p.ep.chapters);
        if item.html.len() > feed::html::DESCRIPTION_LIMIT {
            let d = Diagnostic::warning(
                "description-shortened",
                None,
                format!(
                    "the notes are {} bytes as HTML; Apple reads at most {} in <description>, so it holds the leading paragraphs that fit, and <content:encoded> the full notes",
                    item.html.len(),
                    feed::html::DESCRIPTION_LIMIT
                ),
            );
            self.warnings.push(SourceDiagnostic::new(p.ep.dir.join("episode.md"), d));
        }
        item.summary = meta.summary.clone();
        item.image_url = image_url;
        item.explicit = meta.explicit;
        item.chapters_url = Some(format!("{base_url}{json_rel}"));
        item.chapters = p.ep.chapters.clone();
        item.transcripts = transcripts;
        let report = EpisodeReport {
            slug: p.ep.slug.clone(),
            title: p.title.clone(),
            guid: p.guid.clone(),
            chapters: p.ep.chapters.len(),
            duration: out_info.duration,
            audio_bytes: out_info.byte_length,
            audio_tagged: tagged,
        };
        Ok((item, report))
    }

    /// The chapter files: JSON (for `podcast:chapters`; its path is returned) and the show's other
    /// formats. A format that cannot hold these chapters is a warning.
    fn chapter_files(&mut self, plan: &Plan, p: &Planned, files: &mut Vec<Written>) -> Result<String, BuildError> {
        let show = &plan.show;
        let write_options = WriteOptions {
            title: Some(p.title.clone()),
            podcast_name: Some(show.title.clone()),
            author: Some(show.author.clone()),
            file_name: Path::new(&p.audio_out_rel).file_name().map(|n| n.to_string_lossy().into_owned()),
        };
        let out = &self.options.out;
        let json_rel = format!("chapters/{}.json", p.ep.slug);
        files.push(emit(out, &json_rel, &Format::Json.write(&p.ep.chapters, &write_options)?)?);
        for &f in &show.chapter_formats {
            let rel = format!("chapters/{}.{}", p.ep.slug, f.extension());
            match f.write(&p.ep.chapters, &write_options) {
                Ok(text) => files.push(emit(out, &rel, &text)?),
                Err(e) => self.warnings.push(SourceDiagnostic::new(
                    p.ep.dir.join("episode.md"),
                    Diagnostic::warning("chapter-format", None, e.to_string()),
                )),
            }
        }
        Ok(json_rel)
    }

    /// The channel, with the show artwork copied when it is a local file.
    fn channel(&mut self, plan: &Plan, files: &mut Vec<Written>) -> Result<Channel, BuildError> {
        let show = &plan.show;
        let base_url = &plan.base_url;
        let image_url = match &show.image {
            Some(img) if img.starts_with("http://") || img.starts_with("https://") => Some(img.clone()),
            Some(img) => {
                let src = self.options.episodes.join(img);
                let bytes = self.rec.read(&src).map_err(io(&src))?;
                let name = Path::new(img)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "cover".into());
                files.push(emit_bytes(&self.options.out, &name, &bytes)?);
                Some(format!("{base_url}{name}"))
            }
            None => None,
        };
        let mut channel = Channel::new(
            show.title.clone(),
            show.link.clone().unwrap_or_else(|| base_url.clone()),
            show.description.clone(),
            show.language.clone(),
            plan.feed_url.clone(),
            show.category.clone(),
            plan.show_guid,
        );
        channel.image_url = image_url;
        channel.explicit = show.explicit;
        channel.author = show.author.clone();
        channel.show_type = show.show_type;
        channel.owner = show.owner.clone();
        channel.copyright = show.copyright.clone();
        channel.locked = Some(Locked { locked: show.locked, owner: show.owner.as_ref().map(|o| o.email.clone()) });
        Ok(channel)
    }
}

/// Items and reports in feed order: episodic newest first, serial oldest first (by season and
/// episode number); ties by folder name.
fn feed_order(show_type: ShowType, items: Vec<Item>, reports: Vec<EpisodeReport>) -> (Vec<Item>, Vec<EpisodeReport>) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    match show_type {
        ShowType::Episodic => order
            .sort_by(|&a, &b| items[b].pub_date.cmp(&items[a].pub_date).then(reports[b].slug.cmp(&reports[a].slug))),
        ShowType::Serial => order.sort_by(|&a, &b| {
            (items[a].season, items[a].episode, &reports[a].slug).cmp(&(
                items[b].season,
                items[b].episode,
                &reports[b].slug,
            ))
        }),
    }
    let sorted_items = order.iter().filter_map(|&i| items.get(i).cloned()).collect();
    let sorted_reports = order.iter().filter_map(|&i| reports.get(i).cloned()).collect();
    (sorted_items, sorted_reports)
}

/// Writes the GUID lock if its text changed (it is a source: commit it) and records it in `rec`.
pub(super) fn save_lock(plan: &Plan, rec: &mut Recorder) -> Result<(), BuildError> {
    let lock_path = &plan.lock_path;
    let lock_text = plan.lock.to_toml();
    let lock_stat = if std::fs::read_to_string(lock_path).ok().as_deref() != Some(lock_text.as_str()) {
        crate::fsutil::write_if_changed(lock_path, lock_text.as_bytes()).map_err(io(lock_path))?;
        Recorder::stat(lock_path)
    } else {
        plan.lock_stat
    };
    rec.record(lock_path, lock_stat, Some(lock_text.as_bytes()));
    Ok(())
}

/// Copies `src` to `out` and embeds the chapters (MP3 and MP4), unless the build state shows that `out` is
/// already exactly that. Returns whether it wrote.
fn copy_and_tag(
    src: &Path,
    out: &Path,
    chapters: &Chapters,
    state: &mut BuildState,
    key: &str,
) -> Result<bool, BuildError> {
    let src_meta = std::fs::metadata(src).map_err(io(src))?;
    if state.audio_is_current(key, &src_meta, out, chapters) {
        return Ok(false);
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    crate::fsutil::replace_atomically(out, |w| {
        let mut f = std::fs::File::open(src)?;
        std::io::copy(&mut f, w).map(|_| ())
    })
    .map_err(io(out))?;
    // Chapters go into the containers podmark writes (MP3, MP4); Ogg, FLAC and WAV copies are
    // published as they are, their chapters in the feed's chapter files.
    let writable =
        matches!(crate::tag::container_of(out), Ok(crate::audio::Container::Mp3 | crate::audio::Container::Mp4));
    if writable && let Err(e) = crate::tag::embed(out, chapters, &TagOptions::new()) {
        let _ = std::fs::remove_file(out);
        return Err(e.into());
    }
    state.record_audio(key, &src_meta, out, chapters)?;
    Ok(true)
}

fn emit(out: &Path, rel: &str, text: &str) -> Result<Written, BuildError> {
    emit_bytes(out, rel, text.as_bytes())
}

fn emit_bytes(out: &Path, rel: &str, bytes: &[u8]) -> Result<Written, BuildError> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let changed = crate::fsutil::write_if_changed(&path, bytes).map_err(io(&path))?;
    Ok(Written { path: rel.to_owned(), bytes: bytes.len() as u64, changed })
}
