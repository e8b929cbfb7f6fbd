//! `podmark probe`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use podmark::probe::{AudioInfo, Precision, Probe, ProbeCache, ProbeError};
use serde::Serialize;

const JSON_HELP: &str = "\
Exit status: 0 when every file was probed, 1 when any failed (the others are still reported),
2 on usage errors. Errors go to stderr as `PATH: error: MESSAGE at byte N`.

JSON output (--json) is an array with one object per FILE, in order. A probed file has:
  path              the path as given
  duration_secs     duration in seconds (float, for feeds)
  container         \"mp3\", \"mp4\", \"ogg\", \"flac\" or \"wav\"
  codec             \"mp3\", \"mp2\", \"mp1\", \"aac\", \"alac\", \"opus\", \"vorbis\", \"flac\", \"pcm\",
                    \"pcm_float\", \"alaw\", \"mulaw\", \"ac3\", \"eac3\" or \"other\"
  mime              enclosure type: \"audio/mpeg\", \"audio/x-m4a\" (any audio-only MP4), \"video/mp4\",
                    \"audio/ogg\", \"audio/opus\", \"audio/flac\" or \"audio/wav\"
  channels          number of channels
  sample_rate       samples per second
  bits_per_sample   for lossless and PCM audio, else null
  samples           exact samples per channel a gapless player plays
  duration          samples / sample_rate as \"HH:MM:SS.mmm\" (nine decimals when not whole ms)
  precision         \"sample\" (exact) or \"frame\" (exact to the codec frame: the file does not
                    declare its encoder delay and padding, which are then included) or
                    \"estimate\" (a header claims more than the bytes hold: see the warnings)
  method            \"lame_tag\", \"xing_header\", \"vbri_header\", \"frame_scan\", \"edit_list\",
                    \"sample_table\", \"granule_position\", \"stream_info\" or \"data_chunk\"
  encoder_delay     samples removed at the start (LAME delay, AAC priming, Opus pre-skip) or null
  encoder_padding   samples removed at the end, or null
  bitrate           average bits per second of the audio data
  byte_length       file size in bytes: the enclosure length
  audio_bytes       bytes of audio data the bitrate is computed from
  tags              {\"id3v2\": {\"major\": 3, \"revision\": 0} or null, \"id3v1\": bool, \"ape\": bool}
  mpeg              MP3 only, else null: {\"version\": \"1\"|\"2\"|\"2.5\", \"layer\", \"frames\",
                    \"samples_per_frame\", \"vbr\": bool or null, \"vbr_header\": \"xing\"|\"info\"|\"vbri\"
                    or null, \"lame_tag\": bool, \"first_frame\": byte offset, \"garbage_bytes\"}
  mp4               MP4 only, else null: {\"major_brand\", \"sample_entry\", \"moov_before_mdat\": bool,
                    \"fragmented\": bool}
  chapters          null, or {\"source\": \"id3\"|\"quick_time\"|\"nero\"|\"vorbis_comment\"|\"cue_sheet\",
                    \"count\",
                    \"list\": [{\"start\", \"end\" (seconds, numbers; end may be null), \"title\",
                    \"url\", \"image\", \"description\", \"hidden\"}]}
  warnings          [{\"offset\": byte, \"message\"}]: problems that did not stop the probe
A file that failed has:
  path              the path as given
  error             {\"kind\": \"io\"|\"empty\"|\"not_audio\"|\"truncated\"|\"corrupt\"|\"unsupported\"
                    |\"unsupported_format\" (Matroska, AIFF, APE, raw AAC, WavPack, CAF, MIDI),
                    \"offset\": byte, \"message\": the text printed on stderr}";

/// Arguments of `podmark probe`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = JSON_HELP)]
pub(crate) struct ProbeArgs {
    /// Audio files to measure (MP3, M4A/M4B/MP4, Ogg Opus/Vorbis, FLAC, WAV).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print stable JSON instead of a table (fields: see --help).
    #[arg(long)]
    json: bool,
    /// Count every MP3 frame even when a Xing/VBRI header gives the count.
    #[arg(long)]
    full_scan: bool,
    /// Do not read chapters.
    #[arg(long)]
    no_chapters: bool,
    /// Reuse and update a probe cache file (JSON), keyed by path, size, mtime and content.
    #[arg(long, value_name = "FILE")]
    cache: Option<PathBuf>,
}

#[derive(Serialize)]
struct JsonOk<'a> {
    path: String,
    duration_secs: f64,
    #[serde(flatten)]
    info: &'a AudioInfo,
}

#[derive(Serialize)]
struct JsonErr {
    path: String,
    error: JsonError,
}

#[derive(Serialize)]
struct JsonError {
    kind: &'static str,
    offset: u64,
    message: String,
}

pub(crate) fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let options = Probe::new().chapters(!args.no_chapters).full_scan(args.full_scan);
    let mut cache = match &args.cache {
        Some(path) => ProbeCache::open(path)?,
        None => ProbeCache::in_memory(),
    };
    let mut results: Vec<(String, Result<AudioInfo, ProbeError>)> = Vec::new();
    for file in &args.files {
        let result = if args.cache.is_some() { cache.probe_with(&options, file) } else { options.probe_path(file) };
        results.push((file.display().to_string(), result));
    }
    if args.cache.is_some() {
        cache.save()?;
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for (path, result) in &results {
        if let Err(e) = result {
            failed = true;
            eprintln!("{path}: error: {e}");
        }
    }
    if args.json {
        let values: Vec<serde_json::Value> = results
            .iter()
            .map(|(path, r)| match r {
                Ok(info) => serde_json::to_value(JsonOk {
                    path: path.clone(),
                    duration_secs: info.duration.as_secs_f64(),
                    info,
                })
                .map(|v| chapter_times_in_seconds(v, info)),
                Err(e) => serde_json::to_value(JsonErr {
                    path: path.clone(),
                    error: JsonError { kind: e.kind.code(), offset: e.offset, message: e.to_string() },
                }),
            })
            .collect::<Result<_, _>>()?;
        serde_json::to_writer_pretty(&mut out, &values)?;
        writeln!(out)?;
    } else {
        let mut first = true;
        for (path, result) in &results {
            let Ok(info) = result else { continue };
            if !first {
                writeln!(out)?;
            }
            first = false;
            write_table(&mut out, path, info)?;
        }
    }
    out.flush().context("writing the output")?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Chapter `start` and `end` as numbers of seconds (like `duration_secs` and JSON chapters'
/// `startTime`), not the `HH:MM:SS.mmm` strings a [`podmark::Timestamp`] serializes to.
fn chapter_times_in_seconds(mut value: serde_json::Value, info: &AudioInfo) -> serde_json::Value {
    let (Some(chapters), Some(list)) = (&info.chapters, value.pointer_mut("/chapters/list")) else { return value };
    let Some(list) = list.as_array_mut() else { return value };
    for (json, chapter) in list.iter_mut().zip(&chapters.list) {
        if let Some(obj) = json.as_object_mut() {
            obj.insert("start".to_owned(), serde_json::json!(chapter.start.as_secs_f64()));
            obj.insert("end".to_owned(), serde_json::json!(chapter.end.map(|e| e.as_secs_f64())));
        }
    }
    value
}

fn write_table(out: &mut impl Write, path: &str, info: &AudioInfo) -> std::io::Result<()> {
    writeln!(out, "{path}")?;
    let mut format = format!("{}", info.container);
    if let Some(m) = &info.mpeg {
        format.push_str(&format!(" ({} layer {}", m.version, m.layer));
        if let Some(vbr) = m.vbr {
            format.push_str(if vbr { ", VBR" } else { ", CBR" });
        }
        if let Some(h) = m.vbr_header {
            format.push_str(&format!(", {h:?} header"));
        }
        if m.lame_tag {
            format.push_str(" + LAME tag");
        }
        format.push(')');
    }
    if let Some(m) = &info.mp4 {
        format.push_str(&format!(
            " (brand {}, {})",
            m.major_brand,
            if m.moov_before_mdat { "moov before mdat: fast start" } else { "moov after mdat: no fast start" }
        ));
    }
    writeln!(out, "  format     {format}")?;
    let bits = info.bits_per_sample.map(|b| format!(", {b}-bit")).unwrap_or_default();
    writeln!(
        out,
        "  audio      {}, {} ch, {} Hz{bits}, {} kbit/s",
        info.codec,
        info.channels,
        info.sample_rate,
        (u64::from(info.bitrate) + 500) / 1000
    )?;
    let precision = match info.precision {
        Precision::Sample => "exact",
        Precision::Frame => "exact to the frame",
        Precision::Estimate => "an estimate only (see the warnings)",
    };
    writeln!(out, "  duration   {:.3} = {} samples ({precision}, {:?})", info.duration, info.samples, info.method)?;
    if info.encoder_delay.is_some() || info.encoder_padding.is_some() {
        let show = |v: Option<u32>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        writeln!(
            out,
            "  trimmed    {} delay + {} padding samples",
            show(info.encoder_delay),
            show(info.encoder_padding)
        )?;
    }
    writeln!(out, "  length     {} bytes", info.byte_length)?;
    writeln!(out, "  type       {}", info.mime)?;
    let mut tags = Vec::new();
    if let Some(v) = info.tags.id3v2 {
        tags.push(v.to_string());
    }
    if info.tags.id3v1 {
        tags.push("ID3v1".to_owned());
    }
    if info.tags.ape {
        tags.push("APE".to_owned());
    }
    if !tags.is_empty() {
        writeln!(out, "  tags       {}", tags.join(", "))?;
    }
    match &info.chapters {
        None => writeln!(out, "  chapters   none")?,
        Some(c) => {
            writeln!(out, "  chapters   {} ({:?})", c.count, c.source)?;
            for ch in &c.list {
                let hidden = if ch.hidden { " (hidden)" } else { "" };
                writeln!(out, "    {}  {}{hidden}", ch.start, ch.title)?;
            }
        }
    }
    for w in &info.warnings {
        writeln!(out, "  warning    {w}")?;
    }
    Ok(())
}
