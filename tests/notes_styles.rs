//! Show-notes chapter detection against a table of real-world note styles (issue 12): each case
//! gives the exact chapters (start, title, URL) and the prose that must stay in the description.
//! The notes are written for these tests in the styles of YouTube, Apple Podcasts and Spotify
//! descriptions, Podlove, Auphonic exports and hand-written notes.
#![allow(clippy::unwrap_used)]

use podmark::formats::notes::parse;

/// One note style: the notes, the chapters `(start in ms, title, url)`, and text that must stay
/// in the description (and so was not read as a chapter).
struct Case {
    name: &'static str,
    notes: &'static str,
    chapters: &'static [(u64, &'static str, Option<&'static str>)],
    prose: &'static [&'static str],
}

const fn case(
    name: &'static str,
    notes: &'static str,
    chapters: &'static [(u64, &'static str, Option<&'static str>)],
    prose: &'static [&'static str],
) -> Case {
    Case { name, notes, chapters, prose }
}

const M: u64 = 60_000;
const S: u64 = 1_000;

static CASES: &[Case] = &[
    // --- YouTube descriptions ---
    case(
        "youtube: bare M:SS lines under a heading",
        "In this video we build a synth.\n\nTimestamps:\n0:00 Intro\n1:23 Oscillators\n12:05 Filters\n1:02:03 Outro\n\n#synth #diy\n",
        &[
            (0, "Intro", None),
            (83 * S, "Oscillators", None),
            (12 * M + 5 * S, "Filters", None),
            (3_723 * S, "Outro", None),
        ],
        &["In this video we build a synth.", "Timestamps:", "#synth #diy"],
    ),
    case(
        "youtube: dash separators and a range",
        "0:00 - Intro\n0:45 – Sponsor\n2:10 - 5:00 Main topic\n",
        &[(0, "Intro", None), (45 * S, "Sponsor", None), (130 * S, "Main topic", None)],
        &[],
    ),
    case(
        "youtube: emoji heading, prose with a clock time afterwards",
        "⏱ CHAPTERS\n00:00 Welcome\n03:30 Q&A\n\nWe go live every Friday at 18:00 CET.\n",
        &[(0, "Welcome", None), (210 * S, "Q&A", None)],
        &["⏱ CHAPTERS", "We go live every Friday at 18:00 CET."],
    ),
    // --- Apple Podcasts ---
    case(
        "apple: HH:MM:SS lines",
        "Episode notes.\n\n00:00:00 Intro\n00:05:12 Interview\n00:41:00 Wrap-up\n",
        &[(0, "Intro", None), (312 * S, "Interview", None), (41 * M, "Wrap-up", None)],
        &["Episode notes."],
    ),
    case(
        "apple: time last in parentheses",
        "Guests and links below.\n\nIntro (00:00)\nThe big question (12:30)\nListener mail (45:10)\n",
        &[(0, "Intro", None), (750 * S, "The big question", None), (2_710 * S, "Listener mail", None)],
        &["Guests and links below."],
    ),
    // --- Spotify / Anchor ---
    case(
        "spotify: (MM:SS) first, double-spaced",
        "This week on the show.\n\n(00:00) Intro\n\n(04:20) News\n\n(31:00) Picks\n\nSupport us on Patreon.\n",
        &[(0, "Intro", None), (260 * S, "News", None), (31 * M, "Picks", None)],
        &["This week on the show.", "Support us on Patreon."],
    ),
    case(
        "spotify: bracketed times with pipes",
        "[00:00] | Cold open\n[02:15] | Headlines\n",
        &[(0, "Cold open", None), (135 * S, "Headlines", None)],
        &[],
    ),
    // --- Podlove and Auphonic ---
    case(
        "podlove: mp4chaps with <url>",
        "00:00:00.000 Intro\n00:01:30.250 Sponsor <https://sponsor.example>\n00:10:00.000 Talk\n",
        &[(0, "Intro", None), (90_250, "Sponsor", Some("https://sponsor.example")), (10 * M, "Talk", None)],
        &[],
    ),
    case(
        "auphonic: chapter export pasted under prose",
        "Recorded live in Berlin.\n\n00:00:00.000 Begrüßung\n00:02:13.480 Kapitel – „Ü“\n00:15:00.000 Ende\n\nDanke fürs Zuhören!\n",
        &[(0, "Begrüßung", None), (133_480, "Kapitel – „Ü“", None), (15 * M, "Ende", None)],
        &["Recorded live in Berlin.", "Danke fürs Zuhören!"],
    ),
    case(
        "auphonic: comma fraction",
        "00:00:00,000 Intro\n00:00:12,500 Next\n",
        &[(0, "Intro", None), (12_500, "Next", None)],
        &[],
    ),
    // --- Markdown lists ---
    case(
        "markdown: bulleted list",
        "## Chapters\n\n- 00:00 Intro\n- 05:00 Talk\n",
        &[(0, "Intro", None), (5 * M, "Talk", None)],
        &["## Chapters"],
    ),
    case(
        "markdown: numbered list",
        "1. 00:00 Intro\n2. 10:00 Part two\n3) 20:00 Part three\n",
        &[(0, "Intro", None), (10 * M, "Part two", None), (20 * M, "Part three", None)],
        &[],
    ),
    case(
        "markdown: one list item is enough",
        "Notes.\n\n- 00:00 Only chapter\n",
        &[(0, "Only chapter", None)],
        &["Notes."],
    ),
    case(
        "markdown: linked timestamps",
        "- [00:00](https://youtu.be/x?t=0) Intro\n- [12:00](https://youtu.be/x?t=720) Title\n",
        &[(0, "Intro", Some("https://youtu.be/x?t=0")), (12 * M, "Title", Some("https://youtu.be/x?t=720"))],
        &[],
    ),
    case(
        "markdown: one linked timestamp in a list",
        "Show notes:\n\n- [12:00](https://example.com/a) Title\n",
        &[(12 * M, "Title", Some("https://example.com/a"))],
        &["Show notes:"],
    ),
    case(
        "markdown: unbulleted link titles",
        "01:00 [Rise of The Machine](https://example.com/machine)\n02:00 [Wiki](https://en.wikipedia.org/wiki/Rust_(language))\n",
        &[
            (M, "Rise of The Machine", Some("https://example.com/machine")),
            (2 * M, "Wiki", Some("https://en.wikipedia.org/wiki/Rust_(language)")),
        ],
        &[],
    ),
    case(
        "markdown: bold timestamps",
        "**00:00** Intro\n**04:30** *The* interview\n",
        &[(0, "Intro", None), (270 * S, "The interview", None)],
        &[],
    ),
    case(
        "markdown: bold lines and code times",
        "**00:00 Intro**\n`01:00` Setup\n_02:00_ Wrap\n",
        &[(0, "Intro", None), (M, "Setup", None), (2 * M, "Wrap", None)],
        &[],
    ),
    case(
        "markdown: title with one inline link",
        "- 00:00 Intro\n- 03:00 Talking about [Rust](https://rust-lang.org) today\n- 09:00 Two [a](https://a.example) [b](https://b.example)\n",
        &[
            (0, "Intro", None),
            (3 * M, "Talking about Rust today", Some("https://rust-lang.org")),
            (9 * M, "Two a b", None),
        ],
        &[],
    ),
    case(
        "markdown: chapter lines in a fenced code block are not chapters",
        "```\n00:00 code\n00:01 more code\n```\n- 00:00 Real\n- 01:00 Also real\n",
        &[(0, "Real", None), (M, "Also real", None)],
        &["00:00 code", "00:01 more code"],
    ),
    // --- Time last ---
    case(
        "hand-written: Title - 00:00 lines",
        "Intro - 00:00\nThe news - 04:10\nGoodbye – 58:00\n",
        &[(0, "Intro", None), (250 * S, "The news", None), (58 * M, "Goodbye", None)],
        &[],
    ),
    case(
        "hand-written: bulleted Title [00:00]",
        "* Intro [00:00]\n* Main [10:00]\n",
        &[(0, "Intro", None), (10 * M, "Main", None)],
        &[],
    ),
    case(
        "hand-written: lone Title - 00:00 in a list is prose",
        "Schedule:\n\n- Doors open - 19:00\n\nSee you there.\n",
        &[],
        &["- Doors open - 19:00", "See you there."],
    ),
    // --- Prose that looks like chapters ---
    case(
        "prose: clock time at the start of a line",
        "Big news!\n12:30 pm on Friday we go live on Twitch.\nBring snacks.\n\n- 00:00 Intro\n- 02:00 News\n",
        &[(0, "Intro", None), (2 * M, "News", None)],
        &["12:30 pm on Friday we go live on Twitch.", "Bring snacks."],
    ),
    case(
        "prose: a lone time-first line in running text",
        "Recording notes.\n10:00 we started, and it went well.\nThanks to all.\n\n00:00 Intro\n01:00 Main\n",
        &[(0, "Intro", None), (M, "Main", None)],
        &["10:00 we started, and it went well."],
    ),
    case(
        "prose: a time inside a sentence",
        "We meet at 10:00 every day, and at 14:30 on Sundays.\n",
        &[],
        &["We meet at 10:00 every day, and at 14:30 on Sundays."],
    ),
    case(
        "prose: clock times in a schedule block",
        "10:00 am Breakfast\n12:30 pm Lunch\n7:00 p.m. Dinner\n18:00 Uhr Abendbrot\n",
        &[],
        &["10:00 am Breakfast", "12:30 pm Lunch", "7:00 p.m. Dinner", "18:00 Uhr Abendbrot"],
    ),
    case(
        "prose: numbers, ratios and versions",
        "2016 was a year.\n1. First point\nVersion 1.2 is out.\n3:1 odds, 24/7.\nJohn 3:16 says.\n",
        &[],
        &["2016 was a year.", "1. First point", "Version 1.2 is out.", "3:1 odds, 24/7.", "John 3:16 says."],
    ),
    case(
        "prose: a time in brackets ending a sentence, alone",
        "The stream starts soon (19:30).\n",
        &[],
        &["The stream starts soon (19:30)."],
    ),
    case(
        "prose: a lone time-first line beside another paragraph",
        "Show notes for this week.\n\n21:00 is when the live show starts.\n",
        &[],
        &["21:00 is when the live show starts."],
    ),
    // --- Mixed and edge cases ---
    case(
        "notes that are only chapter lines: one line is a chapter",
        "00:00:00.000 Intro\n",
        &[(0, "Intro", None)],
        &[],
    ),
    case(
        "bullets of every kind",
        "• 00:00 A\n· 00:01 B\n▪ 00:02 C\n– 00:03 D\n► 00:04 E\n+ 00:05 F\n",
        &[
            (0, "A", None),
            (S, "B", None),
            (2 * S, "C", None),
            (3 * S, "D", None),
            (4 * S, "E", None),
            (5 * S, "F", None),
        ],
        &[],
    ),
    case(
        "separators of every kind",
        "00:00 | A\n00:01 — B\n00:02: C\n00:03-D\n00:04 • E\n",
        &[(0, "A", None), (S, "B", None), (2 * S, "C", None), (3 * S, "D", None), (4 * S, "E", None)],
        &[],
    ),
    case(
        "the seed's indented bullets with milliseconds",
        "Intro text.\n\n\n  • 00:00:00.000 Intro\n  • 00:23:20.151 Technology as Forcing Function\n\n\n\nSponsor line.",
        &[(0, "Intro", None), (1_400_151, "Technology as Forcing Function", None)],
        &["Intro text.", "Sponsor line."],
    ),
    case(
        "titles keep typography and literal asterisks",
        "- 00:00 5 * 3 = 15\n- 00:10 Rock ’n’ Roll & more\n- 00:20 my_var_name\n",
        &[(0, "5 * 3 = 15", None), (10 * S, "Rock ’n’ Roll & more", None), (20 * S, "my_var_name", None)],
        &[],
    ),
    case(
        "a links list that also holds the chapters",
        "Links:\n- [Rust](https://rust-lang.org)\n- 00:00 Intro\n- 01:00 Main\n- Our [Patreon](https://patreon.example)\n",
        &[(0, "Intro", None), (M, "Main", None)],
        &["- [Rust](https://rust-lang.org)", "- Our [Patreon](https://patreon.example)"],
    ),
    case(
        "time last in bold after a separator",
        "Intro - **00:00**\nOutro - **10:00**\n",
        &[(0, "Intro", None), (10 * M, "Outro", None)],
        &[],
    ),
    case(
        "podlove: bulleted link titles with milliseconds",
        "* 00:00:00.000 [Intro](https://example.com/intro)\n* 00:00:42.042 Chat <https://example.com/chat>\n",
        &[(0, "Intro", Some("https://example.com/intro")), (42_042, "Chat", Some("https://example.com/chat"))],
        &[],
    ),
    case("CRLF line ends", "Intro.\r\n\r\n00:00 A\r\n01:00 B\r\n", &[(0, "A", None), (M, "B", None)], &["Intro."]),
];

#[test]
fn every_real_world_style_gives_exactly_its_chapters_and_keeps_its_prose() {
    assert!(CASES.len() >= 30, "the table holds {} styles", CASES.len());
    let mut failures = Vec::new();
    for c in CASES {
        let notes = parse(c.notes);
        let got: Vec<(u64, String, Option<String>)> = notes
            .entries
            .iter()
            .map(|e| (e.chapter.start.as_millis(), e.chapter.title.clone(), e.chapter.url.clone()))
            .collect();
        let want: Vec<(u64, String, Option<String>)> =
            c.chapters.iter().map(|&(ms, t, u)| (ms, t.to_owned(), u.map(str::to_owned))).collect();
        if got != want {
            failures.push(format!("{}:\n  got  {got:?}\n  want {want:?}", c.name));
        }
        if !notes.diagnostics.is_empty() {
            failures.push(format!("{}: diagnostics {:?}", c.name, notes.diagnostics));
        }
        for p in c.prose {
            if !notes.description.contains(p) {
                failures.push(format!("{}: prose {p:?} missing from description {:?}", c.name, notes.description));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_seed_show_notes_give_exactly_thirteen_chapters() {
    let notes = parse(include_str!("fixtures/shownotes/seed-eigencast-020.txt"));
    assert_eq!(notes.entries.len(), 13);
    assert_eq!((notes.entries[0].chapter.start.as_millis(), notes.entries[0].chapter.title.as_str()), (0, "Intro"));
    assert_eq!(notes.entries[12].chapter.title, "Outtakes");
    assert!(notes.diagnostics.is_empty(), "{:?}", notes.diagnostics);
    // Its prose with times and numbers stays prose.
    assert!(notes.description.contains("tipped over $180 million"));
    assert!(
        notes
            .description
            .ends_with("This episode of The Eigencast was sponsored by PivotNine. Research, analysis, advice.")
    );
}

#[test]
fn no_chapters_found_names_the_accepted_forms() {
    let parsed = parse("Title - 00:00\n\n**Chapters** are below, honest.\n").into_parsed();
    assert!(parsed.entries.is_empty());
    let msg = parsed.no_chapters_message();
    assert!(msg.starts_with("no chapters found; chapter lines look like `- 00:00 Intro`"), "{msg}");
    for form in ["`00:00 Intro`", "two or more lines together", "`[00:00](url) Intro`", "`Intro (00:00)`"] {
        assert!(msg.contains(form), "{form} missing from {msg}");
    }
}

#[test]
fn the_chapter_list_place_is_where_the_chapter_lines_were() {
    let n = parse("Before.\n\n- 00:00 A\n- 01:00 B\n\nAfter.\n");
    assert_eq!(n.description, "Before.\n\n\nAfter.");
    let place = n.chapter_list.unwrap();
    assert_eq!(&n.description[place.offset..], "\nAfter.");
    assert!(!place.introduced);
    let n = parse("Chapters:\n00:00 A\n01:00 B\n");
    assert_eq!(n.chapter_list.map(|p| (p.offset, p.introduced)), Some((n.description.len(), true)));
    assert_eq!(parse("No chapters.").chapter_list, None);
}
