//! Hostile sizes: every reader either processes a huge input or refuses it with a clear limit
//! error; none hangs, overflows its stack or panics. Not timed (the slopes are in
//! `benches/readers.rs`), but each case runs in a few seconds even in a debug build, which a
//! quadratic reader could not.
#![allow(clippy::unwrap_used)]

use podmark::formats::Format;
use podmark::validate::{Profile, check_all};

fn json_chapters(n: usize, sep: &str) -> String {
    let list: Vec<String> =
        (0..n).map(|i| format!("{{\"startTime\": {i}.5,{sep}\"title\": \"Chapter {i}\"}}")).collect();
    format!("{{\"version\": \"1.2.0\",{sep}\"chapters\": [{sep}{}{sep}]}}", list.join(&format!(",{sep}")))
}

#[test]
fn a_200000_chapter_json_file_is_read_and_checked() {
    let text = json_chapters(200_000, "\n");
    let parsed = Format::Json.read(&text);
    assert_eq!(parsed.entries.len(), 200_000);
    let diags = check_all(&parsed, &[Profile::Strict], None);
    assert!(diags.iter().all(|d| !d.is_error()), "{:?}", diags.first());
    // Each chapter is 0.5 s after a whole second: no warnings either.
    assert_eq!(parsed.into_chapters().unwrap().len(), 200_000);
}

#[test]
fn a_one_line_json_file_with_a_warning_per_chapter_has_every_position() {
    // Minified, every chapter a string number: 50,000 warnings, each with its column on line 1.
    let list: Vec<String> = (0..50_000).map(|i| format!("{{\"startTime\":\"{i}\",\"title\":\"C\"}}")).collect();
    let text = format!("{{\"version\":\"1.2.0\",\"chapters\":[{}]}}", list.join(","));
    let parsed = Format::Json.read(&text);
    let diags = check_all(&parsed, &[Profile::Strict, Profile::Podcasting2], None);
    let strings = diags.iter().filter(|d| d.code == "string-number").count();
    assert_eq!(strings, 50_000);
    let last = diags.iter().rfind(|d| d.code == "string-number").unwrap();
    let want = text.rfind("\"startTime\"").unwrap() + "\"startTime\":".len() + 1;
    assert_eq!(last.location.unwrap().to_string(), format!("1:{want}"));
}

#[test]
fn deeply_nested_json_is_a_syntax_error_not_a_stack_overflow() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let parsed = Format::Json.read(&text);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.to_string(), format!("1:128: error: invalid JSON: recursion limit exceeded: \"{}…\"", "[".repeat(60)));
}

#[test]
fn deeply_nested_xml_is_refused_at_the_depth_limit() {
    let deep =
        format!("<rss version=\"2.0\"><channel>{}{}</channel></rss>", "<x>".repeat(100_000), "</x>".repeat(100_000));
    let diags = podmark::check::check_feed_text(&deep);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let col = "<rss version=\"2.0\"><channel>".len() + 98 * 3 + 1;
    assert_eq!(
        diags[0].to_string(),
        format!(
            "1:{col}: error: depth limit: <x> is nested more than 100 elements deep (a podcast feed needs about 6); podmark stops reading here"
        )
    );
    let psc = format!(
        "<psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\" version=\"1.2\">{}{}</psc:chapters>",
        "<x xmlns:y=\"u\">".repeat(100_000),
        "</x>".repeat(100_000)
    );
    let parsed = Format::Psc.read(&psc);
    let col = psc.find("<x").unwrap() + 99 * "<x xmlns:y=\"u\">".len() + 1;
    assert_eq!(
        parsed.diagnostics[0].to_string(),
        format!("1:{col}: error: elements nested more than 100 deep; podmark reads PSC files up to that depth")
    );
}

#[test]
fn a_feed_with_50000_items_is_checked() {
    let mut xml = String::from(
        "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><title>T</title>",
    );
    for i in 0..50_000 {
        xml.push_str(&format!("<item><title>E</title><guid>g{i}</guid><itunes:episode>1</itunes:episode></item>"));
    }
    xml.push_str("</channel></rss>");
    let diags = podmark::check::check_feed_text(&xml);
    let dups = diags.iter().filter(|d| d.code == "duplicate-episode-number").count();
    assert_eq!(dups, 49_999);
}

#[test]
fn every_text_format_reads_20000_chapters() {
    let list: Vec<podmark::Chapter> = (0..20_000u64)
        .map(|i| podmark::Chapter::new(podmark::Timestamp::from_secs(i * 20).unwrap(), format!("Chapter {i}")))
        .collect();
    let end = podmark::Timestamp::from_secs(20_000 * 20).unwrap();
    let chapters = podmark::Chapters::new(list).unwrap().with_duration(end).unwrap();
    for format in Format::WRITABLE {
        if format == Format::Cue {
            continue; // CUE sheets hold 99 tracks.
        }
        let text = format
            .write(&chapters, &podmark::formats::WriteOptions::default())
            .unwrap_or_else(|e| panic!("{format}: {e}"));
        let parsed = format.read(&text);
        assert_eq!(parsed.entries.len(), 20_000, "{format}");
        let _ = check_all(&parsed, &[Profile::Strict], None);
    }
}
