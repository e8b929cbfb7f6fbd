//! `podmark check` on 20 feeds in the shapes of feeds from other projects' test suites
//! (`tests/fixtures/feeds/peer/`, written by `tests/fixtures/feeds/make_peer_feeds.py`): each gets
//! the verdict a careful human gives it, and each rule of issue 16 has its own test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use podmark::check::{CheckOptions, check_feed_file};
use podmark::diagnostic::{Diagnostic, Location, Severity};

fn check(name: &str) -> Vec<Diagnostic> {
    let path = common::fixture(&format!("feeds/peer/{name}.xml"));
    check_feed_file(&path, &CheckOptions::default()).unwrap()
}

/// `(severity, code)` of every diagnostic, in the order `check` reports them.
fn verdict(name: &str) -> Vec<(Severity, &'static str)> {
    check(name).iter().map(|d| (d.severity, d.code)).collect()
}

fn line_of(d: &Diagnostic) -> usize {
    match d.location {
        Some(Location::Text { line, .. }) => line,
        ref other => panic!("no line: {other:?}"),
    }
}

use Severity::{Error as E, Warning as W};

/// Every fixture with the verdict a careful human gives it.
const VERDICTS: [(&str, &[(Severity, &str)]); 20] = [
    ("01-partytime-pc20-clean", &[]),
    ("02-partytime-example-legacy-values", &[(W, "explicit"), (W, "explicit"), (W, "chapters-type")]),
    ("03-partytime-launched-atom-slash", &[(E, "namespace-uri")]),
    ("04-namespace-example-guid-placeholder", &[(E, "podcast-guid")]),
    ("05-feedjira-itunes-blank-line-before-declaration", &[(E, "xml-declaration")]),
    ("06-itunes-namespace-misspelled", &[(E, "namespace-uri")]),
    ("07-fractional-duration", &[(W, "duration")]),
    ("08-feedjira-podcast-old-subcategory", &[(E, "category")]),
    ("09-feedjira-podcast-block-complete-values", &[(W, "itunes-flag"), (W, "itunes-flag")]),
    ("10-castopod-http-podcast-urls", &[(E, "podcast-https"), (W, "podcast-https")]),
    ("11-powerpress-long-title", &[(W, "too-long")]),
    (
        "12-antennapod-bare-funding",
        &[
            (E, "missing-tag"),
            (E, "missing-tag"),
            (E, "missing-tag"),
            (E, "missing-tag"),
            (E, "missing-tag"),
            (E, "no-self-link"),
        ],
    ),
    ("13-podlove-psc-clean", &[]),
    ("14-podlove-psc-bad-start", &[(E, "psc-start")]),
    ("15-undeclared-content-prefix", &[(E, "undeclared-prefix")]),
    ("16-duplicate-guid", &[(E, "duplicate-guid")]),
    ("17-podcast-namespace-github-alias", &[]),
    ("18-enclosure-length-zero", &[(E, "enclosure-length")]),
    ("19-wrong-weekday", &[(E, "pubdate")]),
    ("20-apple-serial-clean", &[]),
];

#[test]
fn twenty_peer_shaped_feeds_get_a_careful_humans_verdict() {
    let on_disk = std::fs::read_dir(common::fixture("feeds/peer")).unwrap().count();
    assert_eq!(on_disk, VERDICTS.len(), "a fixture without a verdict (rerun make_peer_feeds.py?)");
    for (name, want) in VERDICTS {
        assert_eq!(verdict(name), want, "{name}: {:#?}", check(name));
    }
}

#[test]
fn white_space_before_the_xml_declaration_is_an_error_at_the_declaration() {
    let d = check("05-feedjira-itunes-blank-line-before-declaration");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].location, Some(Location::Text { line: 2, column: 1 }));
    assert!(d[0].message.contains("libxml2, expat and AntennaPod refuse the whole feed"), "{}", d[0].message);
}

#[test]
fn a_misspelled_itunes_namespace_is_one_problem_not_also_missing_itunes_tags() {
    let d = check("06-itunes-namespace-misspelled");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        d[0].message,
        "namespace xmlns:itunes is \"http://www.itunes.com/DTDs/Podcast-1.0.dtd\"; it must be exactly \
         \"http://www.itunes.com/dtds/podcast-1.0.dtd\" (Apple ignores every itunes tag otherwise)"
    );
    // The same for atom: no "no atom:link rel=self" next to the namespace error.
    let d = check("03-partytime-launched-atom-slash");
    assert_eq!(d.len(), 1, "{d:#?}");
}

#[test]
fn a_fractional_itunes_duration_is_a_warning() {
    let d = check("07-fractional-duration");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(
        d[0].message.starts_with("itunes:duration is \"1014.708375\" with a fraction of a second"),
        "{}",
        d[0].message
    );
    assert!(d[0].message.contains("(\"1015\")"), "rounded to the nearest second: {}", d[0].message);
}

#[test]
fn legacy_explicit_values_and_plain_json_chapters_are_warnings() {
    let d = check("02-partytime-example-legacy-values");
    assert!(d.iter().all(|d| d.severity == Severity::Warning), "{d:#?}");
    assert!(d[0].message.contains("\"no\", a value of Apple's older spec"), "{}", d[0].message);
    assert!(d[2].message.contains("the spec asks for \"application/json+chapters\""), "{}", d[2].message);
}

#[test]
fn a_category_without_subcategories_reads_as_one_sentence() {
    let d = check("08-feedjira-podcast-old-subcategory");
    assert_eq!(
        d[0].message,
        "itunes:category: \"Gadgets\" is not a subcategory of \"Technology\", which has no subcategories in \
         Apple's list; write \"Technology\" alone"
    );
    assert!(!d[0].message.contains("expected one of"));
}

#[test]
fn itunes_block_and_complete_other_than_yes_or_no_are_warnings() {
    let d = check("09-feedjira-podcast-block-complete-values");
    let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "itunes:block is \"true\"; only \"Yes\" hides the show, and Apple ignores any other value",
            "itunes:complete is \"finished\"; only \"Yes\" marks the show as finished, and Apple ignores any other value",
        ]
    );
    // The item's <itunes:block>Yes</itunes:block> is fine.
    assert!(d.iter().all(|d| line_of(d) < 14), "{d:#?}");
}

#[test]
fn http_urls_in_typed_podcast_tags_are_errors_and_in_legacy_tags_warnings() {
    let d = check("10-castopod-http-podcast-urls");
    let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "podcast:funding url: \"http://example.com/donate\" is not an https:// URL (the Podcasting 2.0 namespace requires https)",
            "podcast:transcript url= is \"http://example.com/ep1.srt\"; the Podcasting 2.0 namespace requires https: URLs",
        ]
    );
}

#[test]
fn values_over_255_characters_are_warnings() {
    let d = check("11-powerpress-long-title");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(
        d[0].message.starts_with("<title> \"In which we talk about many th…\" is 329 characters"),
        "{}",
        d[0].message
    );
    assert!(d[0].message.ends_with("Apple limits tag values to 255 and may cut it"), "{}", d[0].message);
}

#[test]
fn a_feed_nested_a_million_deep_is_refused_with_the_depth_limit() {
    let depth = 1_000_000;
    let feed = format!("<rss version=\"2.0\"><channel>{}{}</channel></rss>", "<a>".repeat(depth), "</a>".repeat(depth));
    let d = podmark::check::check_feed_text(&feed);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "xml");
    assert!(d[0].message.starts_with("depth limit: <a> is nested more than 100 elements deep"), "{}", d[0].message);
}
