//! `podmark build` on small generated podcasts: GUIDs never change, paged feeds, episode order,
//! hostile text in sources, and sources left untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use podmark::build::{BuildError, BuildOptions, BuildReport, build};

const AUDIO: &str = "tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3";

struct Show {
    _tmp: tempfile::TempDir,
    episodes: PathBuf,
    out: PathBuf,
}

fn show(kind: &str, n: usize) -> Show {
    let tmp = tempfile::tempdir().unwrap();
    let episodes = tmp.path().join("episodes");
    std::fs::create_dir_all(&episodes).unwrap();
    std::fs::write(
        episodes.join("podcast.toml"),
        format!(
            "title = \"Test Show\"\nauthor = \"A\"\ndescription = \"D\"\nlanguage = \"en\"\nbase_url = \"https://t.example/\"\ntype = \"{kind}\"\n[category]\nname = \"Technology\"\n"
        ),
    )
    .unwrap();
    for i in 1..=n {
        episode(&episodes, &format!("{i:03}-ep"), &format!("Episode {i}"), i, "");
    }
    let out = tmp.path().join("feed");
    Show { _tmp: tmp, episodes, out }
}

fn episode(episodes: &Path, slug: &str, title: &str, number: usize, extra: &str) {
    let dir = episodes.join(slug);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(AUDIO, dir.join("audio.mp3")).unwrap();
    std::fs::write(
        dir.join("episode.md"),
        format!(
            "+++\ntitle = {}\nepisode = {number}\ndate = 2024-01-{number:02}T10:00:00+00:00\naudio = \"audio.mp3\"\n{extra}+++\nNotes for {slug}.\n\n- 00:00 Start\n- 00:00.6 Middle\n",
            toml_str(title)
        ),
    )
    .unwrap();
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out + "\""
}

fn run(s: &Show) -> Result<BuildReport, BuildError> {
    build(&BuildOptions::new(&s.episodes, &s.out), &mut |_, _, _| {})
}

fn problems(r: Result<BuildReport, BuildError>) -> String {
    match r {
        Err(BuildError::Sources(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        other => panic!("expected source problems, got {other:?}"),
    }
}

#[test]
fn changing_a_title_keeps_the_guid() {
    let s = show("episodic", 2);
    let first = run(&s).unwrap();
    episode(&s.episodes, "001-ep", "A brand new title", 1, "");
    let second = run(&s).unwrap();
    let guid = |r: &BuildReport| r.episodes.iter().find(|e| e.slug == "001-ep").map(|e| e.guid.clone()).unwrap();
    assert_eq!(guid(&first), guid(&second));
    assert_eq!(second.episodes.iter().find(|e| e.slug == "001-ep").unwrap().title, "A brand new title");
}

#[test]
fn editing_the_lock_file_makes_the_build_refuse() {
    let s = show("episodic", 1);
    let report = run(&s).unwrap();
    let lock = s.episodes.join("guids.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    let guid = &report.episodes[0].guid;
    assert!(text.contains(guid.as_str()), "{text}");
    std::fs::write(&lock, text.replace(guid.as_str(), "00000000-0000-0000-0000-000000000000")).unwrap();
    let before = std::fs::read(s.out.join("feed.xml")).unwrap();
    let p = problems(run(&s));
    assert!(p.contains("was edited in the lock file"), "{p}");
    assert_eq!(std::fs::read(s.out.join("feed.xml")).unwrap(), before, "a refused build writes nothing");
    // Explicitly overridden, the build goes ahead and records the new GUID.
    let mut options = BuildOptions::new(&s.episodes, &s.out);
    options.allow_guid_change = true;
    build(&options, &mut |_, _, _| {}).unwrap();
}

#[test]
fn a_front_matter_guid_that_differs_from_the_lock_is_refused() {
    let s = show("episodic", 1);
    run(&s).unwrap();
    episode(&s.episodes, "001-ep", "Episode 1", 1, "guid = \"something-else\"\n");
    let p = problems(run(&s));
    assert!(p.contains("differs from the published GUID"), "{p}");
}

#[test]
fn duplicate_guids_are_refused() {
    let s = show("episodic", 0);
    episode(&s.episodes, "001-a", "A", 1, "guid = \"same\"\n");
    episode(&s.episodes, "002-b", "B", 2, "guid = \"same\"\n");
    let p = problems(run(&s));
    assert!(p.contains("GUID \"same\" is also used by episode 001-a"), "{p}");
    assert!(!s.out.join("feed.xml").exists());
}

#[test]
fn episodic_is_newest_first_and_serial_oldest_first() {
    let s = show("episodic", 3);
    let titles: Vec<String> = run(&s).unwrap().episodes.into_iter().map(|e| e.title).collect();
    assert_eq!(titles, ["Episode 3", "Episode 2", "Episode 1"]);
    let s = show("serial", 3);
    let titles: Vec<String> = run(&s).unwrap().episodes.into_iter().map(|e| e.title).collect();
    assert_eq!(titles, ["Episode 1", "Episode 2", "Episode 3"]);
}

#[test]
fn paged_feeds_link_every_page() {
    let s = show("episodic", 5);
    let mut options = BuildOptions::new(&s.episodes, &s.out);
    options.page_size = std::num::NonZeroUsize::new(2);
    build(&options, &mut |_, _, _| {}).unwrap();
    let page = |n: &str| std::fs::read_to_string(s.out.join(n)).unwrap();
    let (p1, p2, p3) = (page("feed.xml"), page("feed-2.xml"), page("feed-3.xml"));
    assert!(p1.contains(r#"<atom:link href="https://t.example/feed-2.xml" rel="next"/>"#), "{p1}");
    assert!(p1.contains(r#"<atom:link href="https://t.example/feed-3.xml" rel="last"/>"#), "{p1}");
    assert!(
        p2.contains(r#"rel="previous""#)
            && p2.contains(r#"<atom:link href="https://t.example/feed-3.xml" rel="next"/>"#),
        "{p2}"
    );
    assert!(!p3.contains(r#"rel="next""#), "{p3}");
    assert_eq!(p1.matches("<item>").count() + p2.matches("<item>").count() + p3.matches("<item>").count(), 5);
    assert!(p1.contains("Episode 5") && p3.contains("Episode 1"), "newest first across pages");
    // Fewer pages on the next build: stale pages are removed.
    options.page_size = None;
    build(&options, &mut |_, _, _| {}).unwrap();
    assert!(!s.out.join("feed-2.xml").exists());
}

#[test]
fn hostile_text_gives_well_formed_xml() {
    let s = show("episodic", 0);
    episode(&s.episodes, "001-x", "Ends ]]> here <script>alert(1)</script> & bell", 1, "");
    let dir = s.episodes.join("001-x");
    let notes = std::fs::read_to_string(dir.join("episode.md")).unwrap();
    std::fs::write(dir.join("episode.md"), notes.replace("Notes for", "<script>x</script> ]]> notes for")).unwrap();
    run(&s).unwrap();
    let xml = std::fs::read_to_string(s.out.join("feed.xml")).unwrap();
    assert!(xml.contains("<title>Ends ]]&gt; here &lt;script&gt;alert(1)&lt;/script&gt; &amp; bell</title>"), "{xml}");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}\n{xml}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0);
    // Raw HTML in notes is shown as text, not passed to apps.
    assert!(xml.contains("&lt;script&gt;x&lt;/script&gt;"), "{xml}");
}

#[test]
fn sources_are_never_modified() {
    let s = show("episodic", 2);
    let snapshot = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                for f in std::fs::read_dir(&p).unwrap() {
                    let f = f.unwrap().path();
                    v.push((f.clone(), std::fs::read(&f).unwrap()));
                }
            } else if p.file_name().is_some_and(|n| n != "guids.lock") {
                v.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
        v.sort();
        v
    };
    let before = snapshot(&s.episodes);
    run(&s).unwrap();
    assert_eq!(snapshot(&s.episodes), before, "the audio in episodes/ is untouched; tagged copies go to feed/audio");
    let tagged = std::fs::read(s.out.join("audio/001-ep.mp3")).unwrap();
    assert_ne!(tagged, std::fs::read(AUDIO).unwrap(), "the copy carries the chapters");
}

#[test]
fn chapters_past_the_audio_stop_the_build_with_every_problem() {
    let s = show("episodic", 0);
    episode(&s.episodes, "001-a", "A", 1, "");
    episode(&s.episodes, "002-b", "B", 2, "");
    for slug in ["001-a", "002-b"] {
        let p = s.episodes.join(slug).join("episode.md");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.replace("- 00:00.6 Middle", "- 00:05 Too late")).unwrap();
    }
    let p = problems(run(&s));
    assert_eq!(p.matches("at or after the end of the audio").count(), 2, "{p}");
    assert!(!s.out.exists() || !s.out.join("feed.xml").exists());
}

#[test]
fn a_build_waits_for_another_build_into_the_same_folder_then_gives_up_writing_nothing() {
    let s = show("episodic", 1);
    run(&s).unwrap();
    let before = std::fs::read(s.out.join("feed.xml")).unwrap();
    // Another build holds the output folder's lock.
    let held = std::fs::File::open(s.out.join(".podmark/build.lock")).unwrap();
    fs4::FileExt::try_lock(&held).unwrap();
    episode(&s.episodes, "002-ep", "Episode 2", 2, "");
    let mut options = BuildOptions::new(&s.episodes, &s.out);
    options.lock_timeout = std::time::Duration::from_millis(200);
    let mut waits = Vec::new();
    let r = build(&options, &mut |_, total, what| {
        if total == podmark::build::WAITING_FOR_LOCK {
            waits.push(what.to_owned());
        }
    });
    assert!(matches!(r, Err(BuildError::Locked { .. })), "{r:?}");
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(waits[0].contains("waiting for another build"), "{waits:?}");
    assert_eq!(std::fs::read(s.out.join("feed.xml")).unwrap(), before, "nothing written");
    fs4::FileExt::unlock(&held).unwrap();
    assert_eq!(run(&s).unwrap().episodes.len(), 2);
}

#[test]
fn a_rebuild_after_changes_writes_what_a_fresh_build_writes() {
    let s = show("episodic", 2);
    run(&s).unwrap();
    // Changed chapters (the audio is tagged again, its JSON changes) and a new episode.
    let notes = s.episodes.join("002-ep/episode.md");
    let text = std::fs::read_to_string(&notes).unwrap().replace("00:00.6 Middle", "00:00.4 Middle");
    std::fs::write(&notes, text).unwrap();
    episode(&s.episodes, "003-ep", "Episode 3", 3, "");
    run(&s).unwrap();
    let fresh = s.out.with_file_name("fresh");
    build(&BuildOptions::new(&s.episodes, &fresh), &mut |_, _, _| {}).unwrap();
    let list = |dir: &Path| {
        let mut files = Vec::new();
        for sub in ["", "audio", "chapters"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_file() {
                    files
                        .push((format!("{sub}/{}", e.file_name().to_string_lossy()), std::fs::read(e.path()).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let (rebuilt, fresh) = (list(&s.out), list(&fresh));
    assert_eq!(
        rebuilt.iter().map(|f| &f.0).collect::<Vec<_>>(),
        fresh.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "no versioned or temporary file is left"
    );
    assert!(rebuilt == fresh, "same bytes");
    let feed = std::fs::read_to_string(s.out.join("feed.xml")).unwrap();
    assert!(!feed.contains("/v-"), "the feed lists plain names");
    for sub in ["audio", "chapters"] {
        assert_eq!(std::fs::read_dir(s.out.join(sub)).unwrap().count(), 3, "{sub}/ holds one file per episode");
    }
}

/// The notes of `slug` with `from` replaced by `to`.
fn edit_notes(s: &Show, slug: &str, from: &str, to: &str) -> PathBuf {
    let path = s.episodes.join(slug).join("episode.md");
    let notes = std::fs::read_to_string(&path).unwrap();
    assert!(notes.contains(from), "{notes}");
    std::fs::write(&path, notes.replacen(from, to, 1)).unwrap();
    path
}

#[test]
fn notes_over_1_mib_stop_the_build_at_the_line_where_the_limit_falls() {
    let s = show("episodic", 1);
    let notes = edit_notes(&s, "001-ep", "Notes for", &format!("{}\nNotes for", "x".repeat(10 << 20)));
    let p = problems(run(&s));
    assert_eq!(
        p,
        format!(
            "{}:7:1048484: error: episode.md is 10485904 bytes; podmark reads at most 1048576 bytes (1 MiB) of show notes, and this is where the limit falls",
            notes.display()
        )
    );
    assert!(!s.out.join("feed.xml").exists());
}

#[test]
fn long_notes_give_a_4000_byte_description_and_the_full_content() {
    let s = show("episodic", 1);
    let para = "A long paragraph of show notes that goes on and on about the topic at hand.\n\n";
    let notes = edit_notes(&s, "001-ep", "Notes for", &format!("{}Notes for", para.repeat(100)));
    let report = run(&s).unwrap();
    let w: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert!(
        w.contains(&format!(
            "{}: warning: the notes are 8402 bytes as HTML; Apple reads at most 4000 in <description>, so it holds the leading paragraphs that fit, and <content:encoded> the full notes",
            notes.display()
        )),
        "{w:?}"
    );
    let xml = std::fs::read_to_string(s.out.join("feed.xml")).unwrap();
    let between = |open: &str, close: &str| {
        let start = xml.find(open).unwrap() + open.len();
        xml[start..start + xml[start..].find(close).unwrap()].to_owned()
    };
    let description = between("<description><![CDATA[", "]]></description>");
    let content = between("<content:encoded><![CDATA[", "]]></content:encoded>");
    assert!(description.len() <= 4000 && description.ends_with("</p>\n<p>…</p>\n"), "{}", description.len());
    assert!(content.len() > 8000 && content.contains("Middle"), "{}", content.len());
    let diags = podmark::check::check_feed_text(&xml);
    assert!(diags.iter().all(|d| d.code != "description-too-long"), "{diags:?}");
}

#[test]
fn control_characters_in_notes_and_titles_stop_the_build_at_their_line_and_column() {
    let s = show("episodic", 2);
    let notes = edit_notes(&s, "001-ep", "- 00:00.6 Middle", "- 00:00.6 Mid\u{1}dle");
    let p = problems(run(&s));
    assert_eq!(
        p,
        format!(
            "{}:10:14: error: control character U+0001 in \"- 00:00.6 Mid\\u{{1}}dle\"; podmark allows no control characters but tab and line breaks",
            notes.display()
        )
    );
    episode(&s.episodes, "001-ep", "Episode 1", 1, "");
    let notes = edit_notes(&s, "002-ep", "title = \"Episode 2\"", "title = \"Episode\\u0007 2\"");
    let p = problems(run(&s));
    assert_eq!(
        p,
        format!(
            "{}:2:1: error: title holds the control character U+0007; podmark allows none but tab and line breaks",
            notes.display()
        )
    );
}

#[test]
fn two_full_episodes_with_the_same_season_and_number_are_refused_naming_both() {
    let s = show("episodic", 0);
    episode(&s.episodes, "001-a", "A", 20, "season = 1\n");
    episode(&s.episodes, "002-b", "B", 20, "season = 1\n");
    // Another season, or a bonus episode, may share the number.
    episode(&s.episodes, "003-c", "C", 20, "season = 2\n");
    episode(&s.episodes, "004-d", "D", 20, "season = 1\nepisode_type = \"bonus\"\n");
    let p = problems(run(&s));
    let a = s.episodes.join("001-a").join("episode.md");
    let b = s.episodes.join("002-b").join("episode.md");
    assert_eq!(
        p,
        format!(
            "{}:3:1: error: episode 20 of season 1 is also {}:3:1; every full episode needs its own number (apps sort and list by it)",
            b.display(),
            a.display()
        )
    );
    assert!(!s.out.join("feed.xml").exists());
}

#[test]
fn a_blank_front_matter_guid_is_refused_at_its_line() {
    let s = show("episodic", 0);
    episode(&s.episodes, "001-a", "A", 1, "guid = \"a b\"\n");
    let p = problems(run(&s));
    let a = s.episodes.join("001-a").join("episode.md");
    assert_eq!(p, format!("{}:6:1: error: guid \"a b\": a GUID must not contain white space", a.display()));
}

#[test]
fn an_episode_without_chapters_builds_with_no_chapter_files_and_a_feed_check_passes() {
    let s = show("episodic", 1);
    let dir = s.episodes.join("002-plain");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(AUDIO, dir.join("audio.mp3")).unwrap();
    std::fs::write(
        dir.join("episode.md"),
        "+++\ntitle = \"Plain\"\nepisode = 2\ndate = 2024-01-02T10:00:00+00:00\naudio = \"audio.mp3\"\n+++\nJust notes, at 12:30 pm.\n",
    )
    .unwrap();
    let report = run(&s).unwrap();
    assert_eq!(report.episodes.len(), 2);
    assert!(s.out.join("chapters/001-ep.json").exists());
    assert!(!s.out.join("chapters/002-plain.json").exists(), "no chapter file for an episode without chapters");
    let xml = std::fs::read_to_string(s.out.join("feed.xml")).unwrap();
    let item = &xml[xml.find("<title>Plain</title>").unwrap()..];
    let item = &item[..item.find("</item>").unwrap()];
    assert!(!item.contains("podcast:chapters") && !item.contains("psc:chapters"), "{item}");
    assert!(item.contains("Just notes, at 12:30 pm."), "{item}");
    assert!(podmark::tag::extract(&s.out.join("audio/002-plain.mp3")).unwrap().is_empty());
    // This test show has no artwork; nothing else may be wrong with the feed.
    let diags = podmark::check::check_feed_text(&xml);
    assert!(diags.iter().all(|d| !d.is_error() || d.message.contains("itunes:image")), "{diags:?}");
}

#[test]
fn every_missing_podcast_toml_field_is_reported_in_one_build() {
    let s = show("episodic", 1);
    let toml = s.episodes.join("podcast.toml");
    std::fs::write(&toml, "title = \"Test Show\"\nlanguage = \"en\"\ntimezone = \"AEST\"\n").unwrap();
    let p = problems(run(&s));
    let t = toml.display();
    assert_eq!(
        p,
        [
            format!("{t}:1:1: error: podcast.toml has no `author`; add a line like author = \"Your Name\""),
            format!("{t}:1:1: error: podcast.toml has no `description`; add a line like description = \"What the show is about\""),
            format!("{t}:1:1: error: podcast.toml has no `base_url`; add a line like base_url = \"https://example.com/podcast/\""),
            format!("{t}:1:1: error: podcast.toml has no `category`; add a line like [category] followed by name = \"Technology\""),
            format!("{t}:3:12: error: timezone must be UTC or an offset such as +10:00 or -05:00 (IANA names such as Australia/Sydney are not read): \"AEST\""),
        ]
        .join("\n")
    );
}

#[test]
fn missing_title_date_and_audio_are_reported_together() {
    let s = show("serial", 0);
    let dir = s.episodes.join("001-bare");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("episode.md"), "+++\nseason = 1\n+++\nNotes.\n").unwrap();
    let p = problems(run(&s));
    let n = dir.join("episode.md");
    let n = n.display();
    assert_eq!(
        p,
        [
            format!("{n}:1:1: error: front matter has no `title`"),
            format!("{n}:1:1: error: front matter has no `date` (publication date, such as 2026-12-01 or 2026-12-01T09:00:00+10:00)"),
            format!("{n}:1:1: error: front matter has no `audio` file (or `[enclosure]` table for audio hosted elsewhere); every feed item needs one"),
            format!("{n}:1:1: error: a serial show needs an `episode` number on every episode"),
        ]
        .join("\n")
    );
}

#[test]
fn a_date_alone_is_midnight_and_a_zoneless_time_is_in_the_show_timezone() {
    let s = show("episodic", 0);
    let toml = s.episodes.join("podcast.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let pub_dates = |s: &Show| {
        let xml = std::fs::read_to_string(s.out.join("feed.xml")).unwrap();
        xml.split("<pubDate>").skip(1).map(|p| p[..p.find('<').unwrap()].to_owned()).collect::<Vec<_>>()
    };
    for (slug, n, date) in
        [("001-a", 1, "2026-12-01"), ("002-b", 2, "2026-12-02T09:30:00"), ("003-c", 3, "2026-12-03T09:00:00-05:00")]
    {
        episode(&s.episodes, slug, slug, n, "");
        let notes = s.episodes.join(slug).join("episode.md");
        let md = std::fs::read_to_string(&notes).unwrap();
        std::fs::write(&notes, md.replace(&format!("2024-01-{n:02}T10:00:00+00:00"), date)).unwrap();
    }
    // Without a timezone, UTC; an explicit offset is kept.
    run(&s).unwrap();
    assert_eq!(
        pub_dates(&s),
        ["Thu, 3 Dec 2026 09:00:00 -0500", "Wed, 2 Dec 2026 09:30:00 +0000", "Tue, 1 Dec 2026 00:00:00 +0000"]
    );
    std::fs::write(&toml, text.replace("[category]", "timezone = \"+10:00\"\n[category]")).unwrap();
    run(&s).unwrap();
    assert_eq!(
        pub_dates(&s),
        ["Thu, 3 Dec 2026 09:00:00 -0500", "Wed, 2 Dec 2026 09:30:00 +1000", "Tue, 1 Dec 2026 00:00:00 +1000"]
    );
}

#[test]
fn a_soundbite_past_the_end_of_the_audio_stops_the_build() {
    let s = show("episodic", 0);
    episode(&s.episodes, "001-a", "A", 1, "[[podcast.soundbite]]\nstart = 0.5\nduration = 30\n");
    let p = problems(run(&s));
    assert!(p.contains("error: the soundbite at 0.5s lasting 30s ends after the audio"), "{p}");
    assert!(!s.out.join("feed.xml").exists());
}
