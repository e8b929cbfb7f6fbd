//! Podcasting 2.0 JSON chapters, version 1.2.0.
//!
//! ```json
//! {
//!   "version": "1.2.0",
//!   "chapters": [
//!     {
//!       "startTime": 0,
//!       "endTime": 90.5,
//!       "title": "Intro"
//!     }
//!   ]
//! }
//! ```
//!
//! **Writing**: `version` `"1.2.0"`, then `title`, `podcastName`, `author` and `fileName` from
//! [`WriteOptions`] when given, then `chapters`; per chapter `startTime`, `endTime` (from
//! [`Chapters::end_of`]: the explicit end, else the next start, else the audio duration — so with
//! a duration the last chapter ends there), `title` (left out when empty), `url`, `img` and
//! `"toc": false` for hidden chapters. Times are JSON numbers of seconds rounded to the nearest
//! **microsecond** (the format's [`Format::resolution_nanos`]) and printed from integers, so there is
//! never float noise: `0`, `90.5`, `1400.151`. Ends that are not the next chapter's start (the
//! audio's duration, explicit ends) round down instead, so no chapter ends after the audio. Two chapters that would start at the same
//! microsecond are refused. The output is pretty-printed with a 2-space indent, keys in that fixed
//! order, and ends with a newline.
//!
//! **Reading** is lenient: numbers given as strings (`"12.5"`, even `"1:02:03.5"`) are accepted with
//! a warning (`string-number`); missing optional fields are fine; a `version` other than `1.2.0`
//! is a warning (`version`); unknown fields and `location` are ignored; `toc: false` makes the
//! chapter hidden; `endTime` becomes the chapter's explicit end. Numbers are read from their
//! decimal text exactly (to the nanosecond), not through a float; only exponent forms (`1.4e3`)
//! and more than nine decimals go through `f64`, rounded to the microsecond. Syntax errors carry
//! `serde_json`'s line and column; a problem with a chapter (missing, negative or non-numeric
//! `startTime`, a chapter that is not an object, a field of the wrong type) points at that
//! chapter's value in the file.

use serde_json::Value;

use super::{Entry, Format, Parsed, WriteError, WriteOptions, quantized_starts};
use crate::diagnostic::{Diagnostic, LineIndex, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

/// The version this module writes.
pub const VERSION: &str = "1.2.0";

const MICRO: u64 = 1_000;

/// Reads chapters; never panics. See the module documentation for what is accepted.
pub fn read(input: &str) -> Parsed {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let index = LineIndex::new(input);
    let mut parsed = Parsed::default();
    let root: Value = match serde_json::from_str(input) {
        Ok(v) => v,
        Err(e) => {
            parsed.diagnostics.push(syntax_error(&e, &index));
            return parsed;
        }
    };
    let root_at = skip_ws(input.as_bytes(), 0);
    let pos = |offset: usize| index.position(offset);
    let Value::Object(map) = &root else {
        parsed.diagnostics.push(Diagnostic::error(
            "json-structure",
            Location::from(pos(root_at)),
            format!(
                "JSON chapters must be an object with a \"chapters\" array, found {}",
                quote(&one_line(input.get(root_at..).unwrap_or("")))
            ),
        ));
        return parsed;
    };
    let fields = members(input, root_at);
    let field_at = |name: &str| fields.iter().rev().find(|(k, _)| k == name).map(|(_, r)| r.0);

    match map.get("version") {
        Some(Value::String(v)) if v == VERSION => {}
        Some(other) => parsed.diagnostics.push(Diagnostic::warning(
            "version",
            Location::from(pos(field_at("version").unwrap_or(root_at))),
            format!("version {} is not \"{VERSION}\"; reading it as {VERSION}", quote(&shown(other))),
        )),
        None => parsed.diagnostics.push(Diagnostic::warning(
            "version",
            Location::from(pos(root_at)),
            format!("no \"version\" field (expected \"{VERSION}\")"),
        )),
    }
    if let Some(Value::String(t)) = map.get("title") {
        parsed.title = Some(t.clone());
    }

    let Some(list) = map.get("chapters") else {
        parsed.diagnostics.push(Diagnostic::error(
            "json-structure",
            Location::from(pos(root_at)),
            "no \"chapters\" array in the JSON object",
        ));
        return parsed;
    };
    let list_at = field_at("chapters").unwrap_or(root_at);
    let Value::Array(items) = list else {
        parsed.diagnostics.push(Diagnostic::error(
            "json-structure",
            Location::from(pos(list_at)),
            format!("\"chapters\" must be an array, found {}", quote(&list.to_string())),
        ));
        return parsed;
    };
    let spans = elements(input, list_at);
    for (i, item) in items.iter().enumerate() {
        let (start, end) = spans.get(i).copied().unwrap_or((list_at, list_at));
        let raw = input.get(start..end).unwrap_or("");
        let ctx = ChapterCtx { n: i + 1, at: pos(start), source: one_line(raw) };
        if let Some(entry) = read_chapter(item, input, start, &ctx, &index, &mut parsed.diagnostics) {
            parsed.entries.push(entry);
        }
    }
    parsed
}

/// A chapter being read: its number (from 1), where its value starts and its text on one line.
struct ChapterCtx {
    n: usize,
    at: Position,
    source: String,
}

fn read_chapter(
    item: &Value,
    input: &str,
    start: usize,
    ctx: &ChapterCtx,
    index: &LineIndex<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Entry> {
    let Value::Object(obj) = item else {
        diags.push(Diagnostic::error(
            "json-structure",
            Location::from(ctx.at),
            format!("chapter {} must be an object with a \"startTime\", found {}", ctx.n, quote(&ctx.source)),
        ));
        return None;
    };
    let fields = members(input, start);
    let span_of = |name: &str| fields.iter().rev().find(|(k, _)| k == name).map(|(_, r)| *r);
    let at_of = |name: &str| span_of(name).map_or(ctx.at, |r| index.position(r.0));
    let raw_of = |name: &str| span_of(name).and_then(|r| input.get(r.0..r.1)).unwrap_or("");

    let start_time = match obj.get("startTime") {
        None | Some(Value::Null) => {
            diags.push(Diagnostic::error(
                "start-time",
                Location::from(ctx.at),
                format!("chapter {} has no \"startTime\": {}", ctx.n, quote(&ctx.source)),
            ));
            None
        }
        Some(v) => seconds(v, raw_of("startTime"), "startTime", ctx.n, at_of("startTime"), diags),
    };
    let end_time = match obj.get("endTime") {
        None | Some(Value::Null) => None,
        Some(v) => seconds(v, raw_of("endTime"), "endTime", ctx.n, at_of("endTime"), diags),
    };
    let mut text = |name: &str| match obj.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            diags.push(Diagnostic::warning(
                "json-type",
                Location::from(at_of(name)),
                format!("chapter {}: \"{name}\" must be a string, found {}; ignored", ctx.n, quote(&other.to_string())),
            ));
            None
        }
    };
    let title = text("title");
    let url = text("url");
    let img = text("img");
    let hidden = match obj.get("toc") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => !b,
        Some(other) => {
            let as_text = other.as_str().map(str::trim);
            let value = match as_text {
                Some("false") => Some(true),
                Some("true") => Some(false),
                _ => None,
            };
            diags.push(Diagnostic::warning(
                "json-type",
                Location::from(at_of("toc")),
                format!(
                    "chapter {}: \"toc\" must be true or false, found {}{}",
                    ctx.n,
                    quote(&shown(other)),
                    if value.is_some() { "" } else { "; ignored" }
                ),
            ));
            value.unwrap_or(false)
        }
    };
    let mut chapter = Chapter::new(start_time?, title.unwrap_or_default().trim());
    chapter.end = end_time;
    chapter.url = url;
    chapter.image = img;
    chapter.hidden = hidden;
    let title_at = if obj.contains_key("title") { at_of("title") } else { ctx.at };
    Some(Entry { chapter, at: at_of("startTime"), title_at, source: ctx.source.clone() })
}

/// Reads a time in seconds: a JSON number (from its exact decimal text `raw`) or, with a warning,
/// a string holding a number or a timestamp.
fn seconds(v: &Value, raw: &str, name: &str, n: usize, at: Position, diags: &mut Vec<Diagnostic>) -> Option<Timestamp> {
    let err = |diags: &mut Vec<Diagnostic>, why: &str, shown: &str| {
        diags.push(Diagnostic::error(
            "start-time",
            Location::from(at),
            format!("chapter {n}: \"{name}\" {why}, found {}", quote(shown)),
        ));
        None
    };
    match v {
        Value::Number(num) => {
            let f = num.as_f64().unwrap_or(f64::NAN);
            if raw.starts_with('-') || f < 0.0 {
                return if f == 0.0 { Some(Timestamp::ZERO) } else { err(diags, "must not be negative", raw) };
            }
            let exact = if raw.contains(['e', 'E']) { None } else { raw.parse::<Timestamp>().ok() };
            match exact.or_else(|| Timestamp::from_secs_f64(f)) {
                Some(t) => Some(t),
                None => err(diags, "is too large", raw),
            }
        }
        Value::String(s) => {
            let text = s.trim();
            if text.starts_with('-') {
                return err(diags, "must not be negative", s);
            }
            let t = text
                .parse::<Timestamp>()
                .ok()
                .or_else(|| text.parse::<f64>().ok().filter(|f| f.is_finite()).and_then(Timestamp::from_secs_f64));
            match t {
                Some(t) => {
                    diags.push(Diagnostic::warning(
                        "string-number",
                        Location::from(at),
                        format!("chapter {n}: \"{name}\" is a string {}; it should be a JSON number", quote(s)),
                    ));
                    Some(t)
                }
                None => err(diags, "must be a number of seconds", s),
            }
        }
        other => err(diags, "must be a number of seconds", &other.to_string()),
    }
}

/// A `serde_json` syntax error as a diagnostic at its line and column (converted from bytes to
/// characters), quoting the line.
fn syntax_error(e: &serde_json::Error, index: &LineIndex<'_>) -> Diagnostic {
    let line_no = e.line().max(1);
    let line = index.line(line_no);
    let mut byte = e.column().saturating_sub(1).min(line.len());
    while !line.is_char_boundary(byte) {
        byte -= 1;
    }
    let column = line.get(..byte).map_or(0, |s| s.chars().count()) + 1;
    let full = e.to_string();
    let message = full.rfind(" at line ").and_then(|i| full.get(..i)).unwrap_or(&full);
    let shown = if line.trim().is_empty() { String::new() } else { format!(": {}", quote(line.trim())) };
    Diagnostic::error(
        "json-syntax",
        Location::from(Position::new(line_no, column)),
        format!("invalid JSON: {message}{shown}"),
    )
}

/// A value for quoting: a string's text, or the JSON text of anything else.
fn shown(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Collapses all white space runs to single spaces (for quoting multi-line JSON values).
fn one_line(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

// A small scanner over (already validated) JSON text that finds where values are, so messages can
// point at a chapter instead of at 1:1. It never panics and always advances, even on bad input.

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// `i` is at an opening quote; returns the index after the closing quote.
fn skip_string(s: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    s.len()
}

/// `i` is at the first byte of a value; returns the index just after it.
fn skip_value(s: &[u8], mut i: usize) -> usize {
    match s.get(i) {
        None => s.len(),
        Some(b'"') => skip_string(s, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while let Some(&b) = s.get(i) {
                match b {
                    b'"' => {
                        i = skip_string(s, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            s.len()
        }
        Some(_) => {
            while s.get(i).is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r')) {
                i += 1;
            }
            i
        }
    }
}

/// The members of the object whose `{` is at `open`: each key with the byte range of its value.
fn members(text: &str, open: usize) -> Vec<(String, (usize, usize))> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    if s.get(open) != Some(&b'{') {
        return out;
    }
    let mut i = open + 1;
    loop {
        i = skip_ws(s, i);
        match s.get(i) {
            Some(b'"') => {}
            _ => return out,
        }
        let key_end = skip_string(s, i);
        let key = text.get(i..key_end).and_then(|k| serde_json::from_str::<String>(k).ok()).unwrap_or_default();
        i = skip_ws(s, key_end);
        if s.get(i) != Some(&b':') {
            return out;
        }
        let value_start = skip_ws(s, i + 1);
        let value_end = skip_value(s, value_start).max(value_start + 1);
        out.push((key, (value_start, value_end)));
        i = skip_ws(s, value_end);
        if s.get(i) != Some(&b',') {
            return out;
        }
        i += 1;
    }
}

/// The byte ranges of the elements of the array whose `[` is at `open`.
fn elements(text: &str, open: usize) -> Vec<(usize, usize)> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    if s.get(open) != Some(&b'[') {
        return out;
    }
    let mut i = skip_ws(s, open + 1);
    if s.get(i) == Some(&b']') {
        return out;
    }
    loop {
        let start = skip_ws(s, i);
        if start >= s.len() {
            return out;
        }
        let end = skip_value(s, start).max(start + 1);
        out.push((start, end));
        i = skip_ws(s, end);
        if s.get(i) != Some(&b',') {
            return out;
        }
        i += 1;
    }
}

/// Writes Podcasting 2.0 JSON chapters (see the module documentation).
pub fn write(chapters: &Chapters, options: &WriteOptions) -> Result<String, WriteError> {
    let starts = quantized_starts(chapters, MICRO, Format::Json)?;
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"version\": \"{VERSION}\",\n"));
    for (key, value) in [
        ("title", &options.title),
        ("podcastName", &options.podcast_name),
        ("author", &options.author),
        ("fileName", &options.file_name),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("  \"{key}\": {},\n", string(v)?));
        }
    }
    if chapters.is_empty() {
        out.push_str("  \"chapters\": []\n}\n");
        return Ok(out);
    }
    out.push_str("  \"chapters\": [\n");
    for (i, (c, start)) in chapters.iter().zip(starts).enumerate() {
        let mut fields: Vec<String> = vec![format!("\"startTime\": {}", seconds_text(start))];
        if let Some(end) = chapters.end_of(i) {
            // An end that is the next start rounds like that start, so ends still chain; any
            // other end (the audio's duration, an explicit end) rounds down, so a chapter never
            // ends after the audio does.
            let end = if chapters.as_slice().get(i + 1).is_some_and(|n| n.start == end) {
                end.round_to(MICRO)
            } else {
                end.as_nanos() / MICRO * MICRO
            };
            if end <= start {
                return Err(WriteError::new(
                    Format::Json,
                    format!("chapter \"{}\" ({}) would end at its start at microsecond precision", c.title, c.start),
                ));
            }
            fields.push(format!("\"endTime\": {}", seconds_text(end)));
        }
        if !c.title.is_empty() {
            fields.push(format!("\"title\": {}", string(&c.title)?));
        }
        if let Some(url) = &c.url {
            fields.push(format!("\"url\": {}", string(url)?));
        }
        if let Some(img) = &c.image {
            fields.push(format!("\"img\": {}", string(img)?));
        }
        if c.hidden {
            fields.push("\"toc\": false".to_owned());
        }
        out.push_str("    {\n      ");
        out.push_str(&fields.join(",\n      "));
        out.push_str(if i + 1 == chapters.len() { "\n    }\n" } else { "\n    },\n" });
    }
    out.push_str("  ]\n}\n");
    Ok(out)
}

/// A JSON string literal.
fn string(s: &str) -> Result<String, WriteError> {
    serde_json::to_string(s).map_err(|e| WriteError::new(Format::Json, e.to_string()))
}

/// Seconds from nanoseconds (already a multiple of 1 µs), printed without float noise.
fn seconds_text(nanos: u64) -> String {
    let micros = nanos / MICRO;
    let (whole, frac) = (micros / 1_000_000, micros % 1_000_000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:06}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::formats::testutil;
    use crate::formats::testutil::diagnostics as diags;

    const PEER: &str = include_str!("../../tests/fixtures/chapters/peer/chapters.json");

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms).unwrap_or_default()
    }

    #[test]
    fn reads_the_chaptertool_sample() {
        let p = read(PEER);
        assert_eq!(diags(&p), vec!["135:14: warning: version \"1.0.0\" is not \"1.2.0\"; reading it as 1.2.0"]);
        assert_eq!(p.title.as_deref(), Some("this is a episode title!"));
        assert_eq!(p.entries.len(), 26);
        assert_eq!(p.entries[0].chapter.start, t(6_202));
        assert_eq!(p.entries[0].chapter.title, "Chapter 1 of 26");
        assert_eq!(p.entries[0].chapter.image.as_deref(), Some("chapter_001.jpg"));
        assert_eq!(p.entries[0].at, Position::new(6, 20));
        assert_eq!(p.entries[0].title_at, Position::new(5, 16));
        assert_eq!(p.entries[8].chapter.start, t(1_102_880));
        assert_eq!(p.entries[25].chapter.start, t(5_166_240));
        let c = p.into_chapters().unwrap();
        assert_eq!(c.len(), 26);
    }

    #[test]
    fn reads_every_field_leniently() {
        let p = read(
            r#"{"version":"1.2.0","chapters":[
  {"startTime": "12.5", "title": " A ", "url": "https://e.com", "toc": false, "location": {"name": "x", "geo": "geo:1,2"}},
  {"startTime": 1400.151, "endTime": 1500, "title": "B", "unknown": [1, {"a": "}"}]},
  {"startTime": 0.123456789, "title": "C", "toc": "false"},
  {"startTime": 2e3, "img": "i.jpg"}
]}"#,
        );
        assert_eq!(
            diags(&p),
            vec![
                "2:17: warning: chapter 1: \"startTime\" is a string \"12.5\"; it should be a JSON number",
                "4:51: warning: chapter 3: \"toc\" must be true or false, found \"false\"",
            ]
        );
        let e = &p.entries;
        assert_eq!((e[0].chapter.start, e[0].chapter.title.as_str(), e[0].chapter.hidden), (t(12_500), "A", true));
        assert_eq!(e[0].chapter.url.as_deref(), Some("https://e.com"));
        assert_eq!((e[1].chapter.start, e[1].chapter.end), (t(1_400_151), Some(t(1_500_000))));
        assert_eq!(e[2].chapter.start, Timestamp::from_nanos(123_456_789));
        assert!(e[2].chapter.hidden);
        assert_eq!((e[3].chapter.start, e[3].chapter.title.as_str()), (t(2_000_000), ""));
        assert_eq!(e[3].chapter.image.as_deref(), Some("i.jpg"));
        assert_eq!(e[1].at, Position::new(3, 17));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let p =
            read("{\n  \"version\": \"1.2.0\",\n  \"chapters\": [\n    {\"startTime\": 1 \"title\": \"é\"}\n  ]\n}\n");
        assert_eq!(
            diags(&p),
            vec!["4:21: error: invalid JSON: expected `,` or `}`: \"{\"startTime\": 1 \"title\": \"é\"}\""]
        );
        let p = read("");
        assert_eq!(diags(&p), vec!["1:1: error: invalid JSON: EOF while parsing a value"]);
        let p = read("{\"é\": 1,}");
        assert_eq!(diags(&p), vec!["1:9: error: invalid JSON: trailing comma: \"{\"é\": 1,}\""]);
    }

    #[test]
    fn semantic_errors_point_at_the_chapter() {
        let p = read(
            "{\"version\": \"1.2.0\", \"chapters\": [\n  {\"title\": \"no start\"},\n  {\"startTime\": -5},\n  \"oops\",\n  {\"startTime\": \"abc\"},\n  {\"startTime\": true, \"title\": 3},\n  {\"startTime\": 1, \"endTime\": \"x\"}\n]}",
        );
        assert_eq!(
            diags(&p),
            vec![
                "2:3: error: chapter 1 has no \"startTime\": \"{\"title\": \"no start\"}\"",
                "3:17: error: chapter 2: \"startTime\" must not be negative, found \"-5\"",
                "4:3: error: chapter 3 must be an object with a \"startTime\", found \"\"oops\"\"",
                "5:17: error: chapter 4: \"startTime\" must be a number of seconds, found \"abc\"",
                "6:17: error: chapter 5: \"startTime\" must be a number of seconds, found \"true\"",
                "6:32: warning: chapter 5: \"title\" must be a string, found \"3\"; ignored",
                "7:31: error: chapter 6: \"endTime\" must be a number of seconds, found \"x\"",
            ]
        );
        // Only chapter 6 has a usable start; its bad endTime is still an error.
        assert_eq!(p.entries.len(), 1);
        assert!(p.into_chapters().is_err());
    }

    #[test]
    fn structure_errors() {
        assert_eq!(
            diags(&read("  [1, 2]")),
            vec!["1:3: error: JSON chapters must be an object with a \"chapters\" array, found \"[1, 2]\""]
        );
        assert_eq!(
            diags(&read("{\"version\": \"1.2.0\"}")),
            vec!["1:1: error: no \"chapters\" array in the JSON object"]
        );
        assert_eq!(
            diags(&read("{\"version\": \"1.2.0\",\n \"chapters\": {\"a\": 1}}")),
            vec!["2:14: error: \"chapters\" must be an array, found \"{\"a\":1}\""]
        );
        assert_eq!(diags(&read("{\"chapters\": []}")), vec!["1:1: warning: no \"version\" field (expected \"1.2.0\")"]);
    }

    #[test]
    fn writes_the_exact_document() {
        let c = Chapters::new(vec![
            Chapter::new(t(0), "Intro \"quoted\"").with_url("https://e.com/a?b=1&c=2"),
            Chapter::new(t(90_500), "Ad").hidden(true).with_end(t(100_000)),
            Chapter::new(Timestamp::from_nanos(1_400_151_000_400), "Talk").with_image("https://e.com/i.jpg"),
        ])
        .unwrap()
        .with_duration(t(1_500_000))
        .unwrap();
        let options =
            WriteOptions { title: Some("Ep 1".into()), podcast_name: Some("Show".into()), ..WriteOptions::default() };
        assert_eq!(
            write(&c, &options).unwrap(),
            r#"{
  "version": "1.2.0",
  "title": "Ep 1",
  "podcastName": "Show",
  "chapters": [
    {
      "startTime": 0,
      "endTime": 90.5,
      "title": "Intro \"quoted\"",
      "url": "https://e.com/a?b=1&c=2"
    },
    {
      "startTime": 90.5,
      "endTime": 100,
      "title": "Ad",
      "toc": false
    },
    {
      "startTime": 1400.151,
      "endTime": 1500,
      "title": "Talk",
      "img": "https://e.com/i.jpg"
    }
  ]
}
"#
        );
        assert_eq!(
            write(&Chapters::empty(), &WriteOptions::default()).unwrap(),
            "{\n  \"version\": \"1.2.0\",\n  \"chapters\": []\n}\n"
        );
    }

    #[test]
    fn numbers_have_no_float_noise() {
        assert_eq!(seconds_text(0), "0");
        assert_eq!(seconds_text(90_500_000_000), "90.5");
        assert_eq!(seconds_text(1_400_151_000_000), "1400.151");
        assert_eq!(seconds_text(100_000), "0.0001");
        assert_eq!(seconds_text(3_000_000_000_001_000), "3000000.000001");
    }

    proptest! {
        #[test]
        fn round_trip(
            c in testutil::chapters(20, MICRO, "[A-Za-z0-9][A-Za-z0-9 ,.!?&'\"\\\\/<>(){}éß€😀-]{0,30}", true),
            hide in prop::collection::vec(any::<bool>(), 20),
        ) {
            let list: Vec<Chapter> =
                c.into_vec().into_iter().zip(hide).map(|(ch, h)| ch.hidden(h)).collect();
            let c = Chapters::new(list).unwrap();
            let text = write(&c, &WriteOptions::default()).unwrap();
            let back = read(&text);
            prop_assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
            let back = back.into_chapters().unwrap();
            prop_assert_eq!(back.len(), c.len());
            for (i, (a, b)) in c.iter().zip(back.iter()).enumerate() {
                prop_assert_eq!(a.start, b.start);
                prop_assert_eq!(&a.title, &b.title);
                prop_assert_eq!(&a.url, &b.url);
                prop_assert_eq!(a.hidden, b.hidden);
                prop_assert_eq!(b.end, c.end_of(i));
            }
        }

        #[test]
        fn quick_never_panics(s in "\\PC*") {
            let _ = read(&s);
        }

        #[test]
        fn quick_never_panics_on_json_like_input(s in "[\\[\\]{}\",: 0-9a-zA-Z\\\\.-]{0,40}") {
            let _ = read(&format!("{{\"chapters\": [{s}]}}"));
            let _ = read(&s);
        }
    }
}
