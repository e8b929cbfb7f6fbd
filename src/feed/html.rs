//! Show notes to HTML for `description` and `content:encoded`.
//!
//! Markdown is rendered with pulldown-cmark. Raw HTML in the notes is escaped, not passed through
//! (podcast apps render what they get; a `<script>` in notes stays text). The chapter list follows
//! as `HH:MM:SS Title` lines, the form Apple Podcasts recognises in descriptions (first chapter at
//! `00:00:00`).

use std::borrow::Cow;

use pulldown_cmark::{Event, Options, Parser, html};

use crate::Chapters;

/// Renders notes (Markdown) and the chapter list to HTML.
///
/// ```
/// let html = podmark::feed::html::notes_to_html("Hi <b>*there*</b>", &podmark::Chapters::empty());
/// assert_eq!(html, "<p>Hi &lt;b&gt;<em>there</em>&lt;/b&gt;</p>\n");
/// ```
pub fn notes_to_html(markdown: &str, chapters: &Chapters) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    let visible: Vec<_> = chapters.iter().filter(|c| !c.hidden).collect();
    if !visible.is_empty() {
        out.push_str("<p>Chapters:</p>\n<ul>\n");
        for c in visible {
            let title = escape(&c.title);
            let line = match &c.url {
                Some(u) => format!("{:.0} <a href=\"{}\">{title}</a>", c.start, escape(u)),
                None => format!("{:.0} {title}", c.start),
            };
            out.push_str(&format!("<li>{line}</li>\n"));
        }
        out.push_str("</ul>\n");
    }
    out
}

/// Apple's limit for an item's `description`, in bytes.
pub const DESCRIPTION_LIMIT: usize = 4000;

/// The end of a shortened description.
const MORE: &str = "<p>…</p>\n";

/// The item `description` for notes rendered as `html`: the HTML itself when it fits Apple's
/// [`DESCRIPTION_LIMIT`] (the full notes always go to `content:encoded`). Longer HTML keeps as many
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

    #[test]
    fn a_long_description_keeps_whole_leading_blocks() {
        let html = notes_to_html(&"A paragraph of show notes, *emphasised*.\n\n".repeat(300), &Chapters::empty());
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
        let html = notes_to_html(&"word &amp; more ".repeat(1000), &Chapters::empty());
        let short = fit_description(&html);
        assert!(short.len() <= DESCRIPTION_LIMIT, "{}", short.len());
        assert!(short.starts_with("<p>word &amp; more"), "{short}");
        assert!(short.ends_with("…</p>\n<p>…</p>\n"), "{short}");
        let text = short.trim_end_matches("…</p>\n<p>…</p>\n");
        assert!(text.ends_with("word") || text.ends_with("&amp;") || text.ends_with("more"), "{text}");
    }
}
