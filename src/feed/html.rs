//! Show notes to HTML for `description` and `content:encoded`.
//!
//! Markdown is rendered with pulldown-cmark. Raw HTML in the notes is escaped, not passed through
//! (podcast apps render what they get; a `<script>` in notes stays text). The chapter list follows
//! as `HH:MM:SS Title` lines, the form Apple Podcasts recognises in descriptions (first chapter at
//! `00:00:00`).

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
