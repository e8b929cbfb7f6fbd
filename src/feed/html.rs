//! Show notes to HTML for `description` and `content:encoded`.
//!
//! Markdown is rendered with pulldown-cmark. Raw HTML in the notes is escaped, not passed through
//! (podcast apps render what they get; a `<script>` in notes stays text). The chapter list is an
//! `<ul>` of `HH:MM:SS Title` lines, the form Apple Podcasts recognises in descriptions (first
//! chapter at `00:00:00`), placed where the notes had their chapter lines
//! ([`ChapterListPlace`]), after `<p>Chapters:</p>` unless the notes introduce it themselves.
//!
//! Times are **floored** to the second (15.856 s is `00:00:15`): apps that make timecodes in
//! descriptions into links seek there, and a rounded time would skip the chapter's first moment.

use std::borrow::Cow;
use std::fmt::Write as _;

use pulldown_cmark::{CowStr, Event, Options, Parser, html};

use crate::Chapters;
use crate::formats::notes::ChapterListPlace;

const SECOND: u64 = 1_000_000_000;

/// Renders notes (Markdown) and the chapter list to HTML. The list goes at `place` (see
/// [`crate::formats::notes::ShowNotes::chapter_list`]), or after the notes when it is `None`.
///
/// ```
/// use podmark::formats::notes::parse;
/// let html = podmark::feed::html::notes_to_html("Hi <b>*there*</b>", &podmark::Chapters::empty(), None);
/// assert_eq!(html, "<p>Hi &lt;b&gt;<em>there</em>&lt;/b&gt;</p>\n");
///
/// let notes = parse("Hello.\n\n- 00:00 Intro\n- 00:15.856 Talk\n\nThanks!\n");
/// let chapters = notes.clone().into_parsed().into_chapters()?;
/// let html = podmark::feed::html::notes_to_html(&notes.description, &chapters, notes.chapter_list);
/// assert_eq!(
///     html,
///     "<p>Hello.</p>\n<p>Chapters:</p>\n<ul>\n<li>00:00:00 Intro</li>\n<li>00:00:15 Talk</li>\n</ul>\n<p>Thanks!</p>\n"
/// );
/// # Ok::<(), podmark::diagnostic::ParseError>(())
/// ```
pub fn notes_to_html(markdown: &str, chapters: &Chapters, place: Option<ChapterListPlace>) -> String {
    let list = chapter_list(chapters, place.is_some_and(|p| p.introduced));
    let at = place.map_or(markdown.len(), |p| p.offset);
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut depth = 0usize;
    let mut list = Some(list).filter(|l| !l.is_empty());
    for (event, range) in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).into_offset_iter() {
        if depth == 0
            && range.start >= at
            && let Some(l) = list.take()
        {
            events.push(Event::Html(CowStr::from(l)));
        }
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        events.push(match event {
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            other => other,
        });
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    if let Some(l) = list {
        out.push_str(&l);
    }
    out
}

/// The visible chapters as HTML, with floored `HH:MM:SS` times; empty when none is visible.
fn chapter_list(chapters: &Chapters, introduced: bool) -> String {
    let visible: Vec<_> = chapters.iter().filter(|c| !c.hidden).collect();
    if visible.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if !introduced {
        out.push_str("<p>Chapters:</p>\n");
    }
    out.push_str("<ul>\n");
    for c in visible {
        let secs = c.start.as_nanos() / SECOND;
        let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        let title = escape(&c.title);
        let _ = match &c.url {
            Some(u) => writeln!(out, "<li>{time} <a href=\"{}\">{title}</a></li>", escape(u)),
            None => writeln!(out, "<li>{time} {title}</li>"),
        };
    }
    out.push_str("</ul>\n");
    out
}

/// Apple's limit for an item's `description`, in bytes.
pub const DESCRIPTION_LIMIT: usize = 4000;

/// The end of a shortened description.
const MORE: &str = "<p>…</p>\n";

/// The item `description` for notes rendered as `html`: the HTML itself when it fits Apple's
/// [`DESCRIPTION_LIMIT`] (the feed then has no `content:encoded`). Longer HTML keeps as many
/// whole top-level blocks (paragraphs, lists, …) from the start as fit, then `<p>…</p>`. When not
/// even the first block fits, its text (tags removed) is cut at a word boundary. The result is
/// always well-formed HTML of at most [`DESCRIPTION_LIMIT`] bytes.
///
/// ```
/// use podmark::feed::html::{DESCRIPTION_LIMIT, fit_description};
/// assert_eq!(fit_description("<p>Short.</p>\n"), "<p>Short.</p>\n");
/// let long = "<p>A paragraph of notes.</p>\n".repeat(200);
/// let short = fit_description(&long);
/// assert!(short.len() <= DESCRIPTION_LIMIT && short.ends_with("</p>\n<p>…</p>\n"));
/// ```
pub fn fit_description(html: &str) -> Cow<'_, str> {
    if html.len() <= DESCRIPTION_LIMIT {
        return Cow::Borrowed(html);
    }
    let room = DESCRIPTION_LIMIT - MORE.len();
    // Top-level block ends: where the tag depth returns to 0 at a line break. pulldown-cmark
    // escapes `<` and `>` in text and attributes, so every `<` opens a tag.
    let bytes = html.as_bytes();
    let (mut depth, mut i, mut cut) = (0usize, 0usize, 0usize);
    while i < bytes.len() && i <= room {
        match bytes[i] {
            b'<' => {
                let end = html[i..].find('>').map_or(bytes.len(), |e| i + e);
                let tag = &html[i..end];
                if tag.starts_with("</") {
                    depth = depth.saturating_sub(1);
                } else if !tag.ends_with('/') && !tag.starts_with("<!") {
                    depth += 1;
                }
                i = end + 1;
            }
            b'\n' if depth == 0 => {
                if i < room {
                    cut = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if cut > 0 {
        return Cow::Owned(format!("{}{MORE}", &html[..cut]));
    }
    // One block longer than the limit: its text, cut at a word boundary.
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            _ if in_tag => {}
            c => text.push(c),
        }
        if text.len() > room {
            break;
        }
    }
    let limit = room - "<p></p>\n".len() - "…".len();
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // A word boundary is never inside an entity (`&amp;` holds no space).
    let mut end = text[..end].rfind(char::is_whitespace).unwrap_or(end);
    if let Some(amp) = text[..end].rfind('&')
        && !text[amp..end].contains(';')
    {
        end = amp;
    }
    Cow::Owned(format!("<p>{}…</p>\n{MORE}", text[..end].trim_end()))
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::notes::parse;

    fn render(notes: &str) -> String {
        let n = parse(notes);
        let chapters = n.clone().into_parsed().into_chapters().unwrap();
        notes_to_html(&n.description, &chapters, n.chapter_list)
    }

    #[test]
    fn times_are_floored_never_rounded_up() {
        let html = render("- 00:00 A\n- 00:15.856 B\n- 00:59.999 C\n- 59:59.5 D\n");
        assert_eq!(
            html,
            "<p>Chapters:</p>\n<ul>\n<li>00:00:00 A</li>\n<li>00:00:15 B</li>\n<li>00:00:59 C</li>\n<li>00:59:59 D</li>\n</ul>\n"
        );
    }

    #[test]
    fn the_list_stays_where_the_notes_had_it() {
        let html = render(
            "# Ep\n\nBefore.\n\n- 00:00 A\n- 01:00 [B](https://e.com/?a=1&b=2)\n\nAfter [x][1].\n\n[1]: https://x.example\n",
        );
        assert_eq!(
            html,
            "<h1>Ep</h1>\n<p>Before.</p>\n<p>Chapters:</p>\n<ul>\n<li>00:00:00 A</li>\n\
             <li>00:01:00 <a href=\"https://e.com/?a=1&amp;b=2\">B</a></li>\n</ul>\n\
             <p>After <a href=\"https://x.example\">x</a>.</p>\n"
        );
        // At the top, and at the end.
        assert!(render("- 00:00 A\n- 01:00 B\n\nAfter.\n").starts_with("<p>Chapters:</p>\n<ul>"));
        assert!(render("Before.\n- 00:00 A\n- 01:00 B\n").ends_with("<li>00:01:00 B</li>\n</ul>\n"));
    }

    #[test]
    fn a_heading_in_the_notes_replaces_ours() {
        let html = render("Intro.\n\n## Chapters\n\n00:00 A\n01:00 B\n\nBye.\n");
        assert_eq!(
            html,
            "<p>Intro.</p>\n<h2>Chapters</h2>\n<ul>\n<li>00:00:00 A</li>\n<li>00:01:00 B</li>\n</ul>\n<p>Bye.</p>\n"
        );
        let html = render("Timestamps:\n0:00 A\n1:00 B\n");
        assert_eq!(html, "<p>Timestamps:</p>\n<ul>\n<li>00:00:00 A</li>\n<li>00:01:00 B</li>\n</ul>\n");
    }

    #[test]
    fn hidden_chapters_and_no_chapters_give_no_list() {
        assert_eq!(render("Just prose at 10:00.\n"), "<p>Just prose at 10:00.</p>\n");
        let c = Chapters::new(vec![crate::Chapter::new(crate::Timestamp::ZERO, "ad").hidden(true)]).unwrap();
        assert_eq!(notes_to_html("x", &c, None), "<p>x</p>\n");
    }

    #[test]
    fn a_long_description_keeps_whole_leading_blocks() {
        let html = notes_to_html(&"A paragraph of show notes, *emphasised*.\n\n".repeat(300), &Chapters::empty(), None);
        assert!(html.len() > DESCRIPTION_LIMIT);
        let short = fit_description(&html);
        assert!(short.len() <= DESCRIPTION_LIMIT, "{}", short.len());
        assert!(short.len() > DESCRIPTION_LIMIT - 100, "{}", short.len());
        let body = short.strip_suffix(MORE).unwrap();
        assert!(html.starts_with(body) && body.ends_with("</p>\n"), "{body}");
        assert_eq!(body.matches("<p>").count(), body.matches("</p>").count());
    }

    #[test]
    fn one_huge_paragraph_is_cut_at_a_word_boundary() {
        let html = notes_to_html(&"word &amp; more ".repeat(1000), &Chapters::empty(), None);
        let short = fit_description(&html);
        assert!(short.len() <= DESCRIPTION_LIMIT, "{}", short.len());
        assert!(short.starts_with("<p>word &amp; more"), "{short}");
        assert!(short.ends_with("…</p>\n<p>…</p>\n"), "{short}");
        let text = short.trim_end_matches("…</p>\n<p>…</p>\n");
        assert!(text.ends_with("word") || text.ends_with("&amp;") || text.ends_with("more"), "{text}");
    }
}
