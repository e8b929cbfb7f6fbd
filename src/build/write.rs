//! Writing a checked [`Plan`]: tagged audio copies, chapter files, transcripts, images, the feed
//! (in pages if asked) and the GUID lock. Files whose content is unchanged are not rewritten; the
//! rest is staged and made live by a [`Txn`] (see [`super::commit`]).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use rayon::prelude::*;

use super::commit::{self, Found, Placed, Txn};
use super::incremental::{Fragment, Record};
use super::plan::{Plan, Planned};
use super::state::{BuildState, Recorder};
use super::{BuildError, BuildOptions, EpisodeReport, Written, io};
use crate::Chapters;
use crate::diagnostic::Diagnostic;
use crate::feed::{self, Channel, Enclosure, Item, Locked, Transcript};
use crate::formats::{Format, WriteOptions};
use crate::fsutil::Piece;
use crate::probe::ProbeCache;
use crate::sources::SourceDiagnostic;
use crate::sources::show::ShowType;
use crate::tag::TagOptions;

/// What writing produced: the files, and the episodes in feed order.
pub(super) struct Outputs {
    pub(super) files: Vec<Written>,
    pub(super) episodes: Vec<EpisodeReport>,
    /// What each episode produced, in folder order (for the next build's splice).
    pub(super) records: Vec<Record>,
    /// Where the records' fragments are in `feed.xml`.
    pub(super) layout: Option<FeedLayout>,
}

/// What [`Writer::write_some`] did.
pub(super) struct Fresh {
    /// The dirty episodes' files.
    pub(super) changed: Vec<Written>,
    /// The show's files and the feed pages.
    pub(super) tail: Vec<Written>,
    /// Feed order of the records.
    pub(super) order: Vec<usize>,
    /// Slugs whose audio was tagged again.
    pub(super) tagged: std::collections::HashSet<String>,
    /// Where the records' fragments are in `feed.xml`.
    pub(super) layout: Option<FeedLayout>,
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
    /// Writes every episode's files, the show artwork and the feed pages as one transaction (see
    /// [`super::commit`]), after recording the GUIDs in `plan.lock` and saving it.
    pub(super) fn write(&mut self, plan: &mut Plan) -> Result<Outputs, BuildError> {
        let out = self.options.out.clone();
        let mut txn = Txn::new(&out);
        // (Sized for a first build, where every copy is made.)
        let count = plan.episodes.len();
        // The channel first (it stages the show artwork): each batch's website pages are made
        // with it. Its files are reported after the episodes'.
        let mut channel_files = Vec::new();
        let channel = self.channel(plan, &mut txn, &mut channel_files)?;
        // The fragments go to a file until the feed is spliced (in memory if it cannot be made).
        let spill_dir = out.join(".podmark");
        let mut acc = Batches {
            files: Vec::new(),
            reports: Vec::with_capacity(count),
            tagged_audio: Vec::with_capacity(count),
            kept: Vec::new(),
            fragments: Vec::with_capacity(count),
            ranges: Vec::with_capacity(count),
            spill: Spill::new(&spill_dir).ok(),
            spill_dir,
            pages: super::site::Pages::new(plan, &out),
            keep_all: self.options.page_size.is_some(),
            rendering: std::time::Duration::ZERO,
        };
        // The episodes go in batches (see `Writer::batch`). While one batch is staged in folder
        // order, the next one's files are made on the other cores.
        const BATCH: usize = 256;
        {
            let plan: &Plan = plan;
            // Whether each episode's audio copy is current, and its source's metadata.
            let mut looks = {
                let state = &*self.state;
                plan.episodes.par_iter().map(|p| look(state, &out, p)).collect::<Vec<_>>().into_iter()
            };
            let chunks: Vec<&[Planned]> = plan.episodes.chunks(BATCH).collect();
            let make = |chunk: &[Planned], looks: Vec<Result<Look, BuildError>>| -> Vec<Result<Made, BuildError>> {
                chunk.par_iter().zip(looks).map(|(p, look)| make_files(&out, plan, p, look)).collect()
            };
            let mut made = chunks.first().map(|c| make(c, looks.by_ref().take(c.len()).collect()));
            for (b, chunk) in chunks.iter().enumerate() {
                let this = made.take().unwrap_or_default();
                let next = chunks.get(b + 1).map(|c| (*c, looks.by_ref().take(c.len()).collect::<Vec<_>>()));
                let (next, done) = rayon::join(
                    || next.map(|(c, looks)| make(c, looks)),
                    || self.batch(plan, &channel, (b * BATCH, chunk), this, &mut txn, &mut acc),
                );
                done?;
                made = next;
            }
        }
        let Batches { mut files, reports, tagged_audio, kept, fragments, ranges, spill, pages, rendering, .. } = acc;
        super::timing::part("feed: render the items", rendering);
        let mut records: Vec<Record> = plan
            .episodes
            .iter()
            .zip(reports)
            .zip(ranges)
            .zip(fragments)
            .map(|(((p, report), range), xml)| Record::new(p, report, files.get(range).unwrap_or_default(), xml))
            .collect();
        // Dense again (by folder index) when any was kept; else empty: the feed is the fragments.
        let mut items: Vec<Option<Item>> = Vec::new();
        if !kept.is_empty() {
            items.resize_with(count, || None);
            for (n, item) in kept {
                if let Some(slot) = items.get_mut(n) {
                    *slot = Some(item);
                }
            }
        }
        files.append(&mut channel_files);
        // The GUIDs are recorded before any feed lists them.
        save_lock(plan, self.rec)?;
        let order = feed_order(plan.show.show_type, &records);
        let mut site = pages.finish(plan, &channel, &order, &mut txn, &mut files)?;
        let (written, layout) = publish(
            self.options,
            &plan.base_url,
            &channel,
            txn,
            &order,
            &mut records,
            Kept { items: &items, spill: spill.as_ref() },
        )?;
        drop(spill);
        super::site::remove_stale(&out, &site).map_err(|e| BuildError::Unfinished(Box::new(e)))?;
        for r in &mut records {
            r.card = site.cards.remove(&r.slug);
            r.page = site.pages.remove(&r.slug);
        }
        files.extend(written);
        record_tagged(self.state, plan, &out, tagged_audio)?;
        let episodes = order.iter().filter_map(|&i| records.get(i)).map(|r| r.report.clone()).collect();
        Ok(Outputs { files, episodes, records, layout })
    }

    /// Writes the episodes of `plan` (a rebuild's dirty ones), replacing their records in
    /// `records` (all episodes, folder order), and the feed spliced from every record.
    pub(super) fn write_some(&mut self, plan: &mut Plan, records: &mut [Record]) -> Result<Fresh, BuildError> {
        let out = self.options.out.clone();
        let mut txn = Txn::incremental(&out);
        let made: Vec<Result<Made, BuildError>> = {
            let state = &*self.state;
            let plan: &Plan = plan;
            plan.episodes.par_iter().map(|p| make_files(&out, plan, p, look(state, &out, p))).collect()
        };
        let made = self.stage_made(&plan.episodes, made, &mut txn)?;
        let mut items: Vec<Option<Item>> = vec![None; records.len()];
        let mut changed = Vec::new();
        let mut tagged_audio = Vec::new();
        let mut tagged = std::collections::HashSet::new();
        for (n, (p, (staged, rest))) in plan.episodes.iter().zip(made).enumerate() {
            let mut files = Vec::new();
            let (item, report, tag) = self.episode(plan, p, staged, rest, &mut txn, &mut files)?;
            let Some(i) = records.iter().position(|r| r.slug == p.ep.slug) else { continue };
            if tag.is_some() {
                tagged.insert(p.ep.slug.clone());
            }
            tagged_audio.extend(tag.map(|meta| (n, meta)));
            let xml = feed::write_item_fragment(&item)?;
            if let Some(r) = records.get_mut(i) {
                *r = Record::new(p, report, &files, xml);
            }
            if let Some(slot) = items.get_mut(i) {
                *slot = Some(item);
            }
            changed.extend(files);
        }
        let mut tail = Vec::new();
        let channel = self.channel(plan, &mut txn, &mut tail)?;
        let order = feed_order(plan.show.show_type, records);
        let fresh: Vec<(&Item, &str)> =
            order.iter().filter_map(|&i| Some((items.get(i)?.as_ref()?, records.get(i)?.slug.as_str()))).collect();
        let listed: Vec<(&str, Option<(&crate::site::Card, u64)>)> = order
            .iter()
            .filter_map(|&i| {
                let r = records.get(i)?;
                let fresh = items.get(i).is_some_and(Option::is_some);
                Some((r.slug.as_str(), if fresh { None } else { r.card.as_ref().zip(r.page) }))
            })
            .collect();
        let mut site = super::site::stage_some(plan, &channel, &fresh, listed, &mut txn, &mut tail)?;
        let (written, layout) =
            publish(self.options, &plan.base_url, &channel, txn, &order, records, Kept { items: &items, spill: None })?;
        tail.extend(written);
        super::timing::lap("feed: report the pages");
        // No page can be stale: the episodes and the `[site]` table are as the last build left
        // them (else the full path), and a build that was interrupted leaves its marker, which sends
        // the next build down the full path too (see `super::UNFINISHED`).
        for r in records.iter_mut() {
            if let Some(card) = site.cards.remove(&r.slug) {
                r.card = Some(card);
                r.page = site.pages.remove(&r.slug);
            }
        }
        record_tagged(self.state, plan, &out, tagged_audio)?;
        Ok(Fresh { changed, tail, order, tagged, layout })
    }

    /// Stages the files made for `episodes` (some of `plan.episodes`) by [`make_files`] in folder
    /// order (the first error in folder order is the one reported) and probes the copies ahead:
    /// each episode's staged audio and chapter files, for [`Writer::episode`].
    fn stage_made(
        &mut self,
        episodes: &[Planned],
        made: Vec<Result<Made, BuildError>>,
        txn: &mut Txn,
    ) -> Result<Vec<(Staged, MadeRest)>, BuildError> {
        let mut staged = Vec::with_capacity(made.len());
        for (p, m) in episodes.iter().zip(made) {
            let m = m?;
            staged.push((stage_copy(txn, &self.options.out, p, m.audio)?, m.rest));
        }
        // A versioned copy goes away at the end of the build: kept out of the probe cache.
        let ahead: Vec<std::path::PathBuf> = staged
            .iter()
            .zip(episodes)
            .filter(|((a, _), p)| !a.versioned && p.remote.is_none())
            .map(|((a, _), _)| a.path.clone())
            .collect();
        self.cache.prefetch_with(&OUTPUT_PROBE, &ahead);
        Ok(staged)
    }

    /// One batch of a full build's episodes (`first` is the folder index of `episodes`' first):
    /// their files, made by [`make_files`], staged in folder order; their items made in order;
    /// the items' fragments and website pages rendered on all cores. A large show never holds
    /// every item, fragment and page at once. The items are kept only where they serve again: all
    /// of them for a paged feed, else those of the episodes with a file at a versioned name (the
    /// switch that lists those names renders them again); the others' fragments are the feed.
    fn batch(
        &mut self,
        plan: &Plan,
        channel: &Channel,
        (first, episodes): (usize, &[Planned]),
        made: Vec<Result<Made, BuildError>>,
        txn: &mut Txn,
        acc: &mut Batches,
    ) -> Result<(), BuildError> {
        let staged = self.stage_made(episodes, made, txn)?;
        let mut batch: Vec<(usize, Item, bool)> = Vec::with_capacity(episodes.len());
        for (i, (p, (staged, rest))) in episodes.iter().zip(staged).enumerate() {
            let n = first + i;
            let start = acc.files.len();
            let versioned_before = txn.versioned();
            let audio_versioned = staged.versioned;
            let (item, report, tagged) = self.episode(plan, p, staged, rest, txn, &mut acc.files)?;
            acc.ranges.push(start..acc.files.len());
            batch.push((n, item, acc.keep_all || audio_versioned || txn.versioned() > versioned_before));
            acc.reports.push(report);
            acc.tagged_audio.extend(tagged.map(|meta| (n, meta)));
        }
        // Each item rendered once: the feed is spliced from these fragments, and the next build
        // keeps those of unchanged episodes (see `incremental`).
        let t = std::time::Instant::now();
        let spilled = acc.spill.is_some();
        let rendered: Vec<String> = batch
            .par_iter()
            .map(|(_, item, _)| {
                // Kept until the splice: without the slack of a growing string.
                feed::write_item_fragment(item).map(|mut xml| {
                    if !spilled {
                        xml.shrink_to_fit();
                    }
                    xml
                })
            })
            .collect::<Result<_, feed::FeedError>>()?;
        acc.rendering += t.elapsed();
        match acc.spill.as_mut() {
            Some(s) => {
                s.push(&rendered).map_err(io(&acc.spill_dir))?;
                acc.fragments.extend(rendered.iter().map(|_| String::new()));
            }
            None => acc.fragments.extend(rendered),
        }
        let items: Vec<(usize, &Item)> = batch.iter().map(|(n, item, _)| (*n, item)).collect();
        acc.pages.episodes(plan, channel, &items, txn)?;
        drop(items);
        acc.kept.extend(batch.into_iter().filter_map(|(n, item, keep)| keep.then_some((n, item))));
        // What is staged so far goes to the disk while the next batches are made.
        txn.write_back();
        Ok(())
    }

    /// One episode's files (audio, chapters, transcript, image), its feed item and its report.
    fn episode(
        &mut self,
        plan: &Plan,
        p: &Planned,
        audio: Staged,
        made: MadeRest,
        txn: &mut Txn,
        files: &mut Vec<Written>,
    ) -> Result<(Item, EpisodeReport, Option<TaggedAudio>), BuildError> {
        let base_url = &plan.base_url;
        // The enclosure, its duration, and the audio to tag (a local file that changed).
        let (enclosure, duration, tagged) = match &p.remote {
            Some(r) => {
                let enclosure = Enclosure { url: r.url.clone(), length: r.length, mime: r.mime.clone() };
                (enclosure, crate::Timestamp::from_secs(r.duration.unwrap_or(0)).unwrap_or_default(), None)
            }
            None => self.local_audio(plan, p, audio, files)?,
        };
        // An episode without chapters gets no chapter files and no `podcast:chapters`.
        let json_rel = match made.chapters {
            Some(c) => Some(self.stage_chapters(p, c, txn, files)?),
            None => None,
        };
        let mut transcripts = Vec::new();
        if let Some((src, rel, mime)) = &p.transcript {
            let bytes = std::fs::read(src).map_err(io(src))?;
            files.push(emit(txn, rel, &bytes, true)?);
            transcripts.push(Transcript {
                url: format!("{base_url}{rel}"),
                mime: (*mime).to_owned(),
                language: Some(plan.show.language.clone()),
            });
        }
        let image_url = match (&p.image, &p.ep.meta.image) {
            (Some((src, rel)), _) => {
                let bytes = std::fs::read(src).map_err(io(src))?;
                files.push(emit(txn, rel, &bytes, true)?);
                Some(format!("{base_url}{rel}"))
            }
            (None, Some(url)) => Some(url.clone()),
            (None, None) => None,
        };
        let meta = &p.ep.meta;
        let audio_bytes = enclosure.length;
        let mut item = Item::new(p.title.clone(), p.guid.clone(), p.date, enclosure, duration.as_secs_rounded());
        item.guid_is_permalink = p.permalink;
        item.duration_unknown = p.remote.as_ref().is_some_and(|r| r.duration.is_none());
        item.episode = meta.episode;
        item.season = meta.season;
        item.episode_type = meta.episode_type;
        item.html = made.html;
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
        item.link = meta.link.clone();
        item.image_url = image_url;
        item.explicit = meta.explicit;
        item.chapters_url = json_rel.map(|rel| format!("{base_url}{rel}"));
        item.chapters = p.ep.chapters.clone();
        item.transcripts = transcripts;
        item.podcast = meta.podcast.clone();
        item.alternate_enclosures = alternate_enclosures(p, txn, files, base_url)?;
        let report = EpisodeReport {
            slug: p.ep.slug.clone(),
            title: p.title.clone(),
            guid: p.guid.clone(),
            chapters: p.ep.chapters.len(),
            duration,
            audio_bytes,
            audio_tagged: tagged.is_some(),
        };
        Ok((item, report, tagged))
    }

    /// A local audio file copied (tagged with the chapters) into `feed/audio/`, probed: its
    /// enclosure, exact duration, and what to record as tagged.
    fn local_audio(
        &mut self,
        plan: &Plan,
        p: &Planned,
        audio: Staged,
        files: &mut Vec<Written>,
    ) -> Result<(Enclosure, crate::Timestamp, Option<TaggedAudio>), BuildError> {
        let rel = &p.audio_out_rel;
        let Staged { src_meta, current, changed, path: staged, versioned } = audio;
        // A versioned copy goes away at the end of the build: keep it out of the probe cache.
        let probed =
            if versioned { OUTPUT_PROBE.probe_path(&staged) } else { self.cache.probe_with(&OUTPUT_PROBE, &staged) };
        let out_info =
            probed.map_err(|e| BuildError::Sources(vec![super::plan::problem(&staged, "audio", e.to_string())]))?;
        files.push(Written { path: rel.clone(), bytes: out_info.byte_length, changed });
        let tagged = (!current).then_some(src_meta);
        let enclosure = Enclosure {
            url: format!("{}{rel}", plan.base_url),
            length: out_info.byte_length,
            mime: out_info.mime.as_str().to_owned(),
        };
        Ok((enclosure, out_info.duration, tagged))
    }

    /// Stages the chapter files made by [`make_files`] in folder order; returns the JSON's path.
    fn stage_chapters(
        &mut self,
        p: &Planned,
        made: ChapterFiles,
        txn: &mut Txn,
        files: &mut Vec<Written>,
    ) -> Result<String, BuildError> {
        let json_rel = made.json.rel.clone();
        for f in std::iter::once(Ok(made.json)).chain(made.others) {
            match f {
                Ok(f) => {
                    let changed = txn.stage(&f.rel, &f.bytes, f.listed, f.found)?;
                    files.push(Written { path: f.rel, bytes: f.len, changed });
                }
                Err(warning) => self.warnings.push(SourceDiagnostic::new(
                    p.ep.dir.join("episode.md"),
                    Diagnostic::warning("chapter-format", None, warning),
                )),
            }
        }
        Ok(json_rel)
    }

    /// The channel, with the show artwork copied when it is a local file.
    fn channel(&mut self, plan: &Plan, txn: &mut Txn, files: &mut Vec<Written>) -> Result<Channel, BuildError> {
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
                files.push(emit(txn, &name, &bytes, true)?);
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
            show.author.clone(),
        );
        channel.image_url = image_url;
        channel.explicit = show.explicit;
        channel.show_type = show.show_type;
        channel.owner = show.owner.clone();
        channel.copyright = show.copyright.clone();
        channel.locked = Some(Locked { locked: show.locked, owner: show.owner.as_ref().map(|o| o.email.clone()) });
        channel.podcast = show.podcast.clone();
        channel.more_categories = show.more_categories.clone();
        // `Channel::new` derives `podcast:guid` from the feed URL being built (a `--base-url` test
        // build gets its own); a GUID kept in `podcast.toml` is the show's whatever the URL.
        if show.guid.is_some() {
            channel.podcast_guid = plan.show_guid;
        }
        Ok(channel)
    }
}

/// The feed order of `records` (indices): episodic newest first, serial oldest first (by season
/// and episode number); ties by folder name.
pub(super) fn feed_order(show_type: ShowType, records: &[Record]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    let r = |i: usize| &records[i];
    match show_type {
        ShowType::Episodic => order.sort_by(|&a, &b| r(b).date.cmp(&r(a).date).then(r(b).slug.cmp(&r(a).slug))),
        ShowType::Serial => order
            .sort_by(|&a, &b| (r(a).season, r(a).episode, &r(a).slug).cmp(&(r(b).season, r(b).episode, &r(b).slug))),
    }
    order
}

/// Makes the staged files and the feed live ([`Txn::commit`]) and returns the pages written. The
/// final feed is spliced from the records' fragments in `order`; `fresh` holds the items of the
/// records rendered by this build, by slug, which are all a feed listing versioned names (switch
/// 1) or a paged feed needs… and every record when a page must be rendered whole.
pub(super) fn publish(
    options: &BuildOptions,
    base_url: &str,
    channel: &Channel,
    txn: Txn,
    order: &[usize],
    records: &mut [Record],
    kept: Kept<'_>,
) -> Result<(Vec<Written>, Option<FeedLayout>), BuildError> {
    let Kept { items, spill } = kept;
    let out = &options.out;
    let paged = options.page_size.is_some();
    let count = options.page_size.map_or(1, |size| records.len().div_ceil(size.get()).max(1));
    // What a paged feed's pages held, as (length, hash): a large feed is not kept in memory for
    // the report. (A single feed.xml is compared as it is written.)
    let before: HashMap<String, Option<(u64, u32)>> = match paged {
        true => (1..=count)
            .map(feed::paging::page_name)
            .map(|name| {
                let old = content_hash(&out.join(&name)).ok();
                (name, old)
            })
            .collect(),
        false => HashMap::new(),
    };
    let mut spans: Vec<Option<(u64, u64)>> = vec![None; records.len()];
    let mut layout = None;
    // The single feed.xml: what it held before a switch 1 (`None`: no switch 1), and whether the
    // final switch wrote it.
    let mut original: Option<Option<(u64, u32)>> = None;
    let mut final_wrote = false;
    super::timing::lap("feed: read the old feed");
    let pages = txn.commit(&mut |map| {
        if !paged {
            let path = out.join("feed.xml");
            if !map.is_empty() && original.is_none() {
                original = Some(content_hash(&path).ok());
            }
            // Head, fragments, tail; the items of this build with their versioned URLs, if any.
            let head = feed::write_head(&redirect_channel(channel, map, base_url))?;
            let mut pieces = vec![Piece::Bytes(head.into_bytes().into())];
            let mut at = pieces.iter().map(Piece::len).sum::<u64>();
            for &i in order {
                let spilled = spill.and_then(|s| s.spans.get(i));
                let piece = match (items.get(i), records.get(i), spill.zip(spilled)) {
                    (Some(Some(item)), _, _) if !map.is_empty() => Piece::Bytes(
                        feed::write_item_fragment(&redirect_item(item, map, base_url))?.into_bytes().into(),
                    ),
                    (_, _, Some((s, &(at, len)))) => {
                        Piece::Copy { from: &s.file, range: at..at + len as u64, ours: true }
                    }
                    (_, Some(r), None) => match &r.xml {
                        Fragment::Rendered(xml) => Piece::Bytes(xml.as_bytes().into()),
                        Fragment::Kept(old, range) => {
                            Piece::Copy { from: &old.file, range: range.clone(), ours: false }
                        }
                    },
                    _ => continue,
                };
                let len = piece.len();
                if let Some(span) = spans.get_mut(i) {
                    *span = Some((at, len));
                }
                at += len;
                push_piece(&mut pieces, piece);
            }
            pieces.push(Piece::Bytes(feed::TAIL.as_bytes().into()));
            let wrote = write_feed(&path, &pieces).map_err(io(&path))?;
            if map.is_empty() {
                // The final switch writes the plain names: where each fragment is, for the next build.
                final_wrote = wrote;
                layout = Some(FeedLayout { len: at + feed::TAIL.len() as u64 });
            }
            return Ok(vec!["feed.xml".to_owned()]);
        }
        let sorted: Vec<Item> = order.iter().filter_map(|&i| items.get(i).cloned().flatten()).collect();
        let pages = feed::paging::paginate(channel, &sorted, options.page_size, base_url);
        let mut rendered = Vec::new();
        for (name, page) in &pages {
            rendered.push((name.clone(), feed::write(&redirect(page, map, base_url))?));
        }
        // Older pages first, `feed.xml` (the one apps poll) last.
        rendered.sort_by_key(|(name, _)| name == "feed.xml");
        for (name, xml) in &rendered {
            let path = out.join(name);
            crate::fsutil::write_if_changed(&path, xml.as_bytes()).map_err(io(&path))?;
        }
        Ok(rendered.into_iter().map(|(name, _)| name).collect())
    })?;
    let mut pages = pages;
    pages.sort_by_key(|name| {
        name.strip_prefix("feed-")
            .and_then(|n| n.strip_suffix(".xml"))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(1)
    });
    let mut files = Vec::new();
    for name in pages {
        let path = out.join(&name);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or_default();
        let changed = match (paged, &original, before.get(&name)) {
            (false, None, _) => final_wrote,
            (false, Some(old), _) | (true, _, Some(old)) => {
                old.is_none_or(|old| old.0 != size || content_hash(&path).ok() != Some(old))
            }
            (true, _, None) => true,
        };
        files.push(Written { path: name, bytes: size, changed });
    }
    if layout.is_some() {
        for (r, span) in records.iter_mut().zip(spans) {
            r.span = span;
        }
    }
    Ok((files, layout))
}

/// What [`publish`] splices the feed from besides the records' fragments.
pub(super) struct Kept<'a> {
    /// The items kept (by folder index): those with a file at a versioned name, or all of them
    /// for a paged feed.
    pub(super) items: &'a [Option<Item>],
    /// The fragments, when they wait in a file rather than in the records.
    pub(super) spill: Option<&'a Spill>,
}

/// A first build's feed fragments, in folder order, in a temporary file (in the state folder) from
/// when they are rendered until the feed is spliced: a large show's feed is not held in memory
/// beside everything else the build keeps.
pub(super) struct Spill {
    file: std::fs::File,
    /// (Offset, length) of each fragment, by folder index.
    spans: Vec<(u64, usize)>,
    len: u64,
}

impl Spill {
    fn new(dir: &Path) -> std::io::Result<Spill> {
        Ok(Spill { file: tempfile::tempfile_in(dir)?, spans: Vec::new(), len: 0 })
    }

    /// Appends the next fragments (in folder order).
    fn push(&mut self, fragments: &[String]) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(fragments.iter().map(String::len).sum());
        for xml in fragments {
            self.spans.push((self.len + bytes.len() as u64, xml.len()));
            bytes.extend_from_slice(xml.as_bytes());
        }
        self.file.write_all(&bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }
}

/// Appends `piece`, joining a range to the one before it when they are adjacent in the same file
/// (unchanged neighbours in the old feed stay neighbours): one copy for each run of unchanged items.
fn push_piece<'a>(pieces: &mut Vec<Piece<'a>>, piece: Piece<'a>) {
    if let (Some(Piece::Copy { from: prev_from, range: prev, .. }), Piece::Copy { from, range, .. }) =
        (pieces.last_mut(), &piece)
        && std::ptr::eq(*prev_from, *from)
        && prev.end == range.start
    {
        prev.end = range.end;
        return;
    }
    pieces.push(piece);
}

/// Ranges shorter than this (a spilled fragment) are read into the writer's buffer; longer ones
/// (a run of unchanged items) are copied by the kernel.
const KERNEL_COPY_FROM: u64 = 1 << 16;

/// Writes the feed at `path` from `pieces` (atomically, fsynced), unless it already holds those
/// bytes; returns whether it wrote. Long ranges are copied by the kernel (`copy_file_range`), and
/// a range of the old feed that is where it was needs no comparing: an edit rebuild neither reads
/// the unchanged items nor holds the feed in memory.
fn write_feed(path: &Path, pieces: &[Piece<'_>]) -> std::io::Result<bool> {
    if crate::fsutil::holds(path, pieces).unwrap_or(false) {
        return Ok(false);
    }
    let mut buf = Vec::new();
    crate::fsutil::replace_atomically(path, |w| {
        for piece in pieces {
            match piece {
                Piece::Bytes(bytes) => w.write_all(bytes)?,
                Piece::Copy { from, range, ours } => {
                    if !ours {
                        check_run(from, range)?;
                    }
                    if range.end - range.start < KERNEL_COPY_FROM {
                        buf.resize(usize::try_from(range.end - range.start).map_err(std::io::Error::other)?, 0);
                        crate::fsutil::read_exact_at(from, &mut buf, range.start)?;
                        w.write_all(&buf)?;
                    } else {
                        w.flush()?;
                        crate::fsutil::copy_range(from, range.clone(), w.get_mut())?;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(true)
}

/// Checks that a run of kept items in the old feed starts and ends as an item does (the span was
/// recorded for this file, whose size and modification time the build state checked): a feed
/// changed behind podmark's back within one clock tick is an error, and the next build the full one.
fn check_run(old: &std::fs::File, range: &std::ops::Range<u64>) -> std::io::Result<()> {
    const OPEN: &[u8] = b"\n<item>";
    const CLOSE: &[u8] = b"</item>";
    let (mut head, mut tail) = ([0; OPEN.len()], [0; CLOSE.len()]);
    let ok = range.end - range.start >= (OPEN.len() + CLOSE.len()) as u64
        && crate::fsutil::read_exact_at(old, &mut head, range.start).is_ok()
        && crate::fsutil::read_exact_at(old, &mut tail, range.end - CLOSE.len() as u64).is_ok()
        && head == OPEN
        && tail == CLOSE;
    match ok {
        true => Ok(()),
        false => Err(std::io::Error::other("the previous feed.xml was changed while podmark read it; build again")),
    }
}

/// How long a feed a build wrote is, to tell the next build that the `feed.xml` it finds is that
/// one (its records' spans point at their fragments). Only a feed whose size and modification time
/// are as that build left them gets this far (else the full path); the bytes at the ends of each
/// range copied from it are checked as well ([`check_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct FeedLayout {
    pub(super) len: u64,
}

/// The length and CRC-32 of the file at `path`, read through a small buffer.
fn content_hash(path: &Path) -> std::io::Result<(u64, u32)> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path)?;
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0; 1 << 16];
    let mut len = 0u64;
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok((len, h.finalize())),
            Ok(n) => {
                h.update(buf.get(..n).unwrap_or_default());
                len += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes the GUID lock if its text changed (it is a source: commit it) and records it in `rec`.
pub(super) fn save_lock(plan: &Plan, rec: &mut Recorder) -> Result<(), BuildError> {
    let lock_path = &plan.lock_path;
    let lock_text = plan.lock.to_toml();
    // `podmark mv` changes the lock under the same lock on the episodes folder: the lock file must
    // still be the one this build read, or already what it would write.
    let dir = lock_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let _held = crate::fsutil::lock_exclusive(dir, "saving guids.lock").map_err(io(dir))?;
    let on_disk_same = crate::fsutil::holds(lock_path, &[Piece::Bytes(lock_text.as_bytes().into())]).unwrap_or(false);
    if !on_disk_same && Recorder::stat(lock_path) != plan.lock_stat {
        return Err(BuildError::Sources(vec![super::plan::problem(
            lock_path,
            "guid-lock",
            "changed while the build ran (podmark mv, or another build?); nothing was published: build again",
        )]));
    }
    let lock_stat = if !on_disk_same {
        crate::fsutil::write_if_changed(lock_path, lock_text.as_bytes()).map_err(io(lock_path))?;
        Recorder::stat(lock_path)
    } else {
        plan.lock_stat
    };
    rec.record(lock_path, lock_stat, Some(lock_text.as_bytes()));
    Ok(())
}

/// What [`Writer::batch`] gathers, batch after batch, for the rest of a full build.
struct Batches {
    files: Vec<Written>,
    reports: Vec<EpisodeReport>,
    /// (Folder index, source metadata) of the audio copies made.
    tagged_audio: Vec<(usize, TaggedAudio)>,
    /// (Folder index, item): sparse, as most are not kept without the website.
    kept: Vec<(usize, Item)>,
    /// Each episode's fragment (empty when spilled) and its files' range in `files`.
    fragments: Vec<String>,
    ranges: Vec<std::ops::Range<usize>>,
    spill: Option<Spill>,
    spill_dir: std::path::PathBuf,
    pages: super::site::Pages,
    /// Every item is kept (a paged feed).
    keep_all: bool,
    /// Time spent rendering fragments, for `PODMARK_TIMINGS`.
    rendering: std::time::Duration,
}

/// An episode's files made on all cores ([`make_files`]), before they are staged in folder order.
struct Made {
    audio: Copy,
    rest: MadeRest,
}

/// What [`make_files`] made beside the audio, for [`Writer::episode`].
struct MadeRest {
    /// `None` without chapters.
    chapters: Option<ChapterFiles>,
    /// The notes as the feed's HTML.
    html: String,
}

/// An episode's chapter files: JSON (for `podcast:chapters`) and the show's other formats (a
/// format that cannot hold these chapters gives a warning instead).
struct ChapterFiles {
    json: Prepared,
    others: Vec<Result<Prepared, String>>,
}

/// A file whose bytes [`commit::prepare`] compared with (or wrote at) its output; the bytes are kept
/// only when they differ from the output's, for [`Txn::stage`].
struct Prepared {
    rel: String,
    len: u64,
    listed: bool,
    found: Found,
    bytes: Vec<u8>,
}

impl Prepared {
    fn new(out: &Path, rel: String, bytes: Vec<u8>, listed: bool) -> Result<Prepared, BuildError> {
        let found = commit::prepare(out, &rel, &bytes)?;
        let len = bytes.len() as u64;
        let bytes = if matches!(found, Found::Other) { bytes } else { Vec::new() };
        Ok(Prepared { rel, len, listed, found, bytes })
    }
}

/// An episode's audio copy, made (on any thread) unless the output is current.
struct Copy {
    src_meta: std::fs::Metadata,
    /// `None`: the output is still the tagged copy of this source.
    staged: Option<Placed>,
}

/// An episode's audio copy as staged by the transaction.
struct Staged {
    src_meta: std::fs::Metadata,
    /// The output was already this copy.
    current: bool,
    /// The output's content changes.
    changed: bool,
    /// Where the copy is now.
    path: std::path::PathBuf,
    /// At a versioned name (until the build ends).
    versioned: bool,
}

/// The metadata of `p`'s audio source, and whether the build state says its output is still
/// the tagged copy of it (or the audio is hosted elsewhere: nothing to copy).
type Look = (std::fs::Metadata, bool);

/// See [`Look`].
fn look(state: &BuildState, out: &Path, p: &Planned) -> Result<Look, BuildError> {
    let src_meta = std::fs::metadata(&p.audio_src).map_err(io(&p.audio_src))?;
    let current = p.remote.is_some()
        || state.audio_is_current(&p.audio_out_rel, &src_meta, &out.join(&p.audio_out_rel), &p.ep.chapters);
    Ok((src_meta, current))
}

/// `p`'s files, made on any thread: the tagged audio copy (unless `look` says the output is
/// current) and the chapter files, each placed at its name in `out` if nothing is there (see
/// [`tagged_copy`], [`commit::prepare`]).
fn make_files(out: &Path, plan: &Plan, p: &Planned, look: Result<Look, BuildError>) -> Result<Made, BuildError> {
    let (src_meta, current) = look?;
    let staged = match current {
        true => None,
        false => Some(tagged_copy(out, &p.audio_src, &p.audio_out_rel, &p.ep.chapters)?),
    };
    let chapters = if p.ep.chapters.is_empty() { None } else { Some(chapter_files(out, plan, p)?) };
    let html = feed::html::notes_to_html(&p.ep.description, &p.ep.chapters, p.ep.chapter_list);
    Ok(Made { audio: Copy { src_meta, staged }, rest: MadeRest { chapters, html } })
}

/// Stages `p`'s audio copy (made by [`copy_audio`]) in `txn`, in folder order.
fn stage_copy(txn: &mut Txn, out: &Path, p: &Planned, copy: Copy) -> Result<Staged, BuildError> {
    let Copy { src_meta, staged } = copy;
    let rel = &p.audio_out_rel;
    Ok(match staged {
        None => Staged { src_meta, current: true, changed: false, path: out.join(rel), versioned: false },
        Some(placed) => {
            let changed = txn.file(rel, placed)?;
            let (path, versioned) = txn.staged_path(rel);
            Staged { src_meta, current: false, changed, path, versioned }
        }
    })
}

/// `p`'s chapter files, made on any thread (see [`Prepared`]).
fn chapter_files(out: &Path, plan: &Plan, p: &Planned) -> Result<ChapterFiles, BuildError> {
    let show = &plan.show;
    let write_options = WriteOptions {
        title: Some(p.title.clone()),
        podcast_name: Some(show.title.clone()),
        author: Some(show.author.clone()),
        file_name: Path::new(&p.audio_out_rel).file_name().map(|n| n.to_string_lossy().into_owned()),
    };
    let json = Format::Json.write(&p.ep.chapters, &write_options)?;
    let json = Prepared::new(out, format!("chapters/{}.json", p.ep.slug), json.into_bytes(), true)?;
    let mut others = Vec::new();
    for &f in &show.chapter_formats {
        let rel = format!("chapters/{}.{}", p.ep.slug, f.extension());
        others.push(match f.write(&p.ep.chapters, &write_options) {
            Ok(text) => Ok(Prepared::new(out, rel, text.into_bytes(), false)?),
            Err(e) => Err(e.to_string()),
        });
    }
    Ok(ChapterFiles { json, others })
}

/// How a copy in the output folder is probed: for its length, type and duration (its chapters are
/// the episode's, not read back: a large show's probe cache does not hold them twice).
const OUTPUT_PROBE: crate::probe::Probe = crate::probe::Probe { chapters: false, full_scan: false };

/// What an audio copy was made from (the source's metadata), recorded in the build state once the
/// copy is in place.
type TaggedAudio = std::fs::Metadata;

/// Records in `state` the audio copies made (folder index in `plan.episodes`, source metadata),
/// now in place.
fn record_tagged(
    state: &mut BuildState,
    plan: &Plan,
    out: &Path,
    tagged: Vec<(usize, TaggedAudio)>,
) -> Result<(), BuildError> {
    for (n, src_meta) in tagged {
        let Some(p) = plan.episodes.get(n) else { continue };
        let key = &p.audio_out_rel;
        state
            .record_audio(key, &src_meta, &out.join(key), &p.ep.chapters)
            .map_err(|e| BuildError::Unfinished(Box::new(e)))?;
    }
    Ok(())
}

/// A copy of `src` with the chapters embedded (MP3 and MP4) for the output `rel`, written where
/// nothing sees it until it is whole, then given the output's name if nothing has it, else left at
/// a temporary name beside it for [`Txn::file`] (see [`crate::fsutil::write_new`]). It is made
/// durable with the rest by the transaction.
///
/// One pass: the tagged file is written straight from the source (the new tag, then the audio
/// copied by the kernel), the bytes a copy tagged by [`crate::tag::embed`] would hold. Chapters
/// go into the containers podmark writes (MP3, MP4); Ogg, FLAC and WAV copies are published as
/// they are (a reflink where the file system has them), their chapters in the feed's chapter
/// files. Notes without chapters leave the audio as it is (whatever chapters it carries itself).
fn tagged_copy(out_dir: &Path, src: &Path, rel: &str, chapters: &Chapters) -> Result<Placed, BuildError> {
    let out = out_dir.join(rel);
    let dir = out.parent().unwrap_or(Path::new("."));
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("audio");
    // The plan measured the source and gave the chapters its exact duration.
    let duration = match chapters.duration() {
        Some(d) => d,
        None if chapters.is_empty() => crate::Timestamp::ZERO,
        None => {
            crate::probe::probe_path(src)
                .map_err(|e| super::plan::problem(src, "audio", e.to_string()))
                .map_err(|d| BuildError::Sources(vec![d]))?
                .duration
        }
    };
    let options = TagOptions::new().unsynced();
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let written = crate::fsutil::write_new(&out, ext, |f| {
        crate::tag::write_tagged_copy(src, f, chapters, duration, &options).map(drop)
    })
    .map_err(io(&out))??;
    Ok(match written {
        None => Placed::New(out),
        Some(tmp) => Placed::Taken(tmp),
    })
}

/// Stages `bytes` as the output `rel` (`listed`: a feed refers to it).
fn emit(txn: &mut Txn, rel: &str, bytes: &[u8], listed: bool) -> Result<Written, BuildError> {
    let changed = txn.bytes(rel, bytes, listed)?;
    Ok(Written { path: rel.to_owned(), bytes: bytes.len() as u64, changed })
}

/// `page` with the URLs of the files in `map` (plain → versioned name, relative to `base_url`)
/// pointing at their versioned names.
fn redirect(page: &feed::Feed, map: &HashMap<String, String>, base_url: &str) -> feed::Feed {
    feed::Feed {
        channel: redirect_channel(&page.channel, map, base_url),
        items: page.items.iter().map(|item| redirect_item(item, map, base_url)).collect(),
    }
}

/// [`redirect`] for the channel (its artwork).
fn redirect_channel(channel: &Channel, map: &HashMap<String, String>, base_url: &str) -> Channel {
    let mut channel = channel.clone();
    if let Some(u) = channel.image_url.as_mut() {
        fix_url(u, map, base_url);
    }
    channel
}

/// [`redirect`] for one item.
fn redirect_item(item: &Item, map: &HashMap<String, String>, base_url: &str) -> Item {
    let mut item = item.clone();
    if map.is_empty() {
        return item;
    }
    let fix = |url: &mut String| fix_url(url, map, base_url);
    fix(&mut item.enclosure.url);
    item.chapters_url.iter_mut().for_each(fix);
    item.image_url.iter_mut().for_each(fix);
    item.transcripts.iter_mut().for_each(|t| fix(&mut t.url));
    item.alternate_enclosures.iter_mut().for_each(|a| fix(&mut a.url));
    item
}

fn fix_url(url: &mut String, map: &HashMap<String, String>, base_url: &str) {
    if let Some(v) = url.strip_prefix(base_url).and_then(|rel| map.get(rel)) {
        *url = format!("{base_url}{v}");
    }
}

/// The episode's `podcast:alternateEnclosure`s: each file published as it is (no chapters are
/// embedded), with its probed type and bitrate, exact length and SHA-384 SRI `integrity`.
fn alternate_enclosures(
    p: &Planned,
    txn: &mut Txn,
    files: &mut Vec<Written>,
    base_url: &str,
) -> Result<Vec<feed::podcast_ns::AlternateEnclosure>, BuildError> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut out = Vec::new();
    for ((src, rel, info), alt) in p.alternates.iter().zip(&p.ep.meta.podcast.alternate_enclosure) {
        let bytes = std::fs::read(src).map_err(io(src))?;
        let integrity =
            format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&bytes)));
        files.push(emit(txn, rel, &bytes, true)?);
        out.push(feed::podcast_ns::AlternateEnclosure {
            mime: info.mime.as_str().to_owned(),
            length: bytes.len() as u64,
            bitrate: (info.bitrate > 0).then_some(info.bitrate),
            lang: alt.lang.clone(),
            title: alt.title.as_ref().map(|t| t.as_str().to_owned()),
            rel: alt.rel.as_ref().map(|t| t.as_str().to_owned()),
            codecs: alt.codecs.as_ref().map(|t| t.as_str().to_owned()),
            default: alt.default,
            url: format!("{base_url}{rel}"),
            integrity: Some(integrity),
        });
    }
    Ok(out)
}
