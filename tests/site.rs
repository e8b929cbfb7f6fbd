//! The website `podmark build` writes beside the feed: golden pages for the sample, escaping,
//! HTML validity (tidy), page weight, `[site] enabled = false`, paging and stale pages.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const SLUG: &str = "020-containers-with-red-hat";

fn podmark() -> Command {
    Command::cargo_bin("podmark").unwrap()
}

/// A copy of the sample's sources in a temporary folder: (tempdir, episodes, out).
fn sample() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let episodes = dir.path().join("episodes");
    common::copy_dir(Path::new("episodes"), &episodes);
    let out = dir.path().join("feed");
    (dir, episodes, out)
}

/// Builds and returns stdout.
fn build(episodes: &Path, out: &Path) -> String {
    let o = podmark().arg("build").arg("--episodes").arg(episodes).arg("--out").arg(out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// Every `.html` file under `out`.
fn pages(out: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![out.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// `tidy -errors -q` finds no error in any page (skips when tidy is missing).
fn assert_tidy(out: &Path) {
    if !common::require_tool("tidy") {
        return;
    }
    for page in pages(out) {
        let o = std::process::Command::new("tidy").args(["-errors", "-q"]).arg(&page).output().unwrap();
        let report = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.code() != Some(2), "tidy errors in {}:\n{report}", page.display());
        assert!(!report.contains("Error:"), "tidy errors in {}:\n{report}", page.display());
    }
}

/// The JSON-LD of a page, parsed.
fn json_ld(html: &str) -> serde_json::Value {
    let start = html.find("<script type=\"application/ld+json\">").unwrap() + 35;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn sample_site_matches_the_golden_pages_passes_tidy_and_stays_under_40_kb() {
    let (_dir, episodes, out) = sample();
    build(&episodes, &out);
    let golden = Path::new("tests/fixtures/golden/site");
    for rel in ["index.html", &format!("episodes/{SLUG}/index.html")] {
        let built = read(out.join(rel));
        let want = golden.join(rel);
        if std::env::var_os("PODMARK_BLESS").is_some() {
            std::fs::create_dir_all(want.parent().unwrap()).unwrap();
            std::fs::write(&want, &built).unwrap();
        }
        assert_eq!(built, read(&want), "{rel} differs from {}; if intended, run with PODMARK_BLESS=1", want.display());
    }
    assert_tidy(&out);

    let page = read(out.join(format!("episodes/{SLUG}/index.html")));
    // Page weight without audio and images: the page, its stylesheet and its script.
    let weight = page.len() + read(out.join("site.css")).len() + read(out.join("player.js")).len();
    assert!(weight < 40_000, "episode page weighs {weight} bytes");
    assert!(read(out.join("player.js")).len() < 10_000);
    // The chapter the browser test clicks, as a Media Fragment link to the audio.
    assert!(page.contains(&format!("href=\"../../audio/{SLUG}.mp3#t=1400.151\" data-t=\"1400.151\"")), "{page}");
    let ld = json_ld(&page);
    assert_eq!(ld["@type"], "PodcastEpisode");
    assert_eq!(ld["partOfSeries"]["@type"], "PodcastSeries");
    assert_eq!(ld["associatedMedia"]["contentUrl"], format!("https://eigencast.example.com/audio/{SLUG}.mp3"));
    let index = read(out.join("index.html"));
    assert!(index.contains(r#"<link rel="alternate" type="application/rss+xml" title="The Eigencast" href="https://eigencast.example.com/feed.xml">"#));
    assert_eq!(json_ld(&index)["@type"], "PodcastSeries");
    assert!(index.contains(&format!("href=\"episodes/{SLUG}/\"")));
}

#[test]
fn titles_and_notes_with_markup_quotes_script_ends_and_emoji_render_as_text() {
    let (_dir, episodes, out) = sample();
    let md = episodes.join(SLUG).join("episode.md");
    let text = read(&md)
        .replace(
            "title = \"The Eigencast 020: Containers With Red Hat’s Lars Herrmann\"",
            r#"title = "Tags <b>bold</b> & \"quotes\" 'single' </script><script>alert(1)</script> 🎙️""#,
        )
        .replace(
            "\nThe Eigencast\n",
            "\nNotes with <i>tags</i>, </script><!-- & \"quotes\" 🎉 and [a link](https://example.com/?a=1&b=2).\n",
        );
    std::fs::write(&md, text).unwrap();
    let toml = episodes.join("podcast.toml");
    let show = read(&toml).replace("title = \"The Eigencast\"", "title = \"Show </script> & <Co> 🎧\"");
    std::fs::write(&toml, show).unwrap();
    build(&episodes, &out);
    assert_tidy(&out);
    for rel in ["index.html".to_owned(), format!("episodes/{SLUG}/index.html")] {
        let page = read(out.join(&rel));
        assert!(!page.contains("<b>bold") && !page.contains("<script>alert"), "{rel}: markup passed through");
        assert!(!page.contains("<Co>") && !page.contains("<i>tags"), "{rel}: markup passed through");
        assert_eq!(page.matches("</script>").count(), page.matches("<script").count(), "{rel}: a script ended early");
        assert!(page.contains("Show &lt;/script&gt; &amp; &lt;Co&gt; 🎧"), "{rel}");
        let ld = json_ld(&page);
        let series = if ld["@type"] == "PodcastSeries" { &ld } else { &ld["partOfSeries"] };
        assert_eq!(series["name"], "Show </script> & <Co> 🎧");
    }
    let page = read(out.join(format!("episodes/{SLUG}/index.html")));
    let title = r#"Tags <b>bold</b> & "quotes" 'single' </script><script>alert(1)</script> 🎙️"#;
    assert!(page.contains("<h1>Tags &lt;b&gt;bold&lt;/b&gt; &amp; \"quotes\" 'single' &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; 🎙️</h1>"), "{page}");
    assert!(
        page.contains("data-episode=\"Tags &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; &#39;single&#39;"),
        "{page}"
    );
    assert_eq!(json_ld(&page)["name"], title);
    assert!(page.contains("Notes with &lt;i&gt;tags&lt;/i&gt;, &lt;/script&gt;&lt;!-- &amp; \"quotes\" 🎉"), "{page}");
    assert!(page.contains("<a href=\"https://example.com/?a=1&amp;b=2\">a link</a>"), "{page}");
}

#[test]
fn site_enabled_false_writes_no_pages_and_removes_the_earlier_ones() {
    let (_dir, episodes, out) = sample();
    build(&episodes, &out);
    assert!(out.join("index.html").is_file());
    std::fs::write(out.join("episodes/notes.txt"), "mine").unwrap();
    let toml = episodes.join("podcast.toml");
    std::fs::write(&toml, read(&toml) + "\n[site]\nenabled = false\n").unwrap();
    build(&episodes, &out);
    for gone in ["index.html", "site.css", "player.js", &format!("episodes/{SLUG}/index.html")] {
        assert!(!out.join(gone).exists(), "{gone} is still there");
    }
    assert!(out.join("feed.xml").is_file());
    assert_eq!(read(out.join("episodes/notes.txt")), "mine", "a file podmark did not write stays");
    let again = build(&episodes, &out);
    assert!(again.contains(" 0 written"), "{again}");
}

#[test]
fn deleted_episode_page_and_surplus_index_pages_are_removed_and_a_rebuild_writes_nothing() {
    let (_dir, episodes, out) = sample();
    common::copy_dir(&episodes.join(SLUG), &episodes.join("021-second"));
    let md = episodes.join("021-second/episode.md");
    let text = read(&md)
        .replace("The Eigencast 020: Containers With Red Hat’s Lars Herrmann", "The Eigencast 021: A second one")
        .replace("episode = 20", "episode = 21")
        .replace("date = 2016-09-14T09:00:00+10:00", "date = 2016-09-28T09:00:00+10:00");
    std::fs::write(&md, text).unwrap();
    let toml = episodes.join("podcast.toml");
    let plain = read(&toml);
    let links = "\n[site]\npage_size = 1\napple = \"https://podcasts.apple.com/podcast/id1\"\n\n[[site.link]]\nname = \"Podcast Index\"\nurl = \"https://podcastindex.org/podcast/{guid}\"\n";
    std::fs::write(&toml, plain.clone() + links).unwrap();
    build(&episodes, &out);
    assert_tidy(&out);
    let index = read(out.join("index.html"));
    assert!(index.contains("The Eigencast 021") && !index.contains("The Eigencast 020"), "newest first, one a page");
    assert!(index.contains("href=\"page/2/\""), "{index}");
    assert!(index.contains(">Apple Podcasts</a>"));
    let guid = read(out.join("feed.xml")).split("<podcast:guid>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(index.contains(&format!("https://podcastindex.org/podcast/{guid}")), "{index}");
    assert!(read(out.join("page/2/index.html")).contains("The Eigencast 020"));
    assert!(out.join("episodes/021-second/index.html").is_file());
    let again = build(&episodes, &out);
    assert!(again.contains(" 0 written"), "{again}");

    std::fs::remove_dir_all(episodes.join("021-second")).unwrap();
    std::fs::write(&toml, plain).unwrap();
    build(&episodes, &out);
    assert!(!out.join("episodes/021-second").exists(), "the deleted episode's page stays");
    assert!(!out.join("page/2").exists(), "the surplus index page stays");
    assert!(out.join(format!("episodes/{SLUG}/index.html")).is_file());
    let again = build(&episodes, &out);
    assert!(again.contains(" 0 written"), "{again}");
}

#[test]
fn transcript_renders_with_timestamps_that_seek() {
    let (_dir, episodes, out) = sample();
    std::fs::write(
        episodes.join(SLUG).join("transcript.vtt"),
        "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n<v Justin Warren>Welcome to <i>The Eigencast</i> & hello.\n\n00:23:20.151 --> 00:23:25.000\n<v Lars Herrmann>Technology forces the process.\n",
    )
    .unwrap();
    build(&episodes, &out);
    assert_tidy(&out);
    let page = read(out.join(format!("episodes/{SLUG}/index.html")));
    assert!(page.contains("<h2 id=\"transcript-h\">Transcript</h2>"), "{page}");
    assert!(page.contains(&format!("<p><a class=\"ts\" href=\"../../audio/{SLUG}.mp3#t=1400.151\" data-t=\"1400.151\">23:20</a> <b>Lars Herrmann:</b> Technology forces the process.</p>")), "{page}");
    assert!(page.contains("<b>Justin Warren:</b> Welcome to The Eigencast &amp; hello."), "{page}");
}
