//! Podlove Simple Chapters (PSC) 1.2 XML.
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <psc:chapters version="1.2" xmlns:psc="http://podlove.org/simple-chapters">
//!   <psc:chapter start="00:00:00.000" title="Intro"/>
//!   <psc:chapter start="00:01:30.500" title="Links &amp; more" href="https://example.com/"/>
//! </psc:chapters>
//! ```
//!
//! **Writing**: the XML declaration, then `<psc:chapters version="1.2">` with one empty
//! `<psc:chapter>` per chapter carrying `start` (Normal Play Time `HH:MM:SS.mmm`, rounded to the
//! nearest millisecond; two chapters that would start at the same millisecond are refused),
//! `title`, and `href` / `image` when the chapter has a URL / image. Attribute values are escaped
//! with quick-xml (`& < > " '`). Characters XML 1.0 cannot carry are never emitted: tabs and line
//! breaks (which attribute-value normalisation would turn into spaces anyway) become spaces, and
//! other control characters and the non-characters U+FFFE/U+FFFF are dropped. Ends, descriptions and
//! the hidden flag are not carried. [`write_element`] gives the `<psc:chapters>` element alone, for
//! inlining in an RSS `<item>`. An empty list gives an element without children (the spec wants at
//! least one chapter; leave the element out of feeds instead).
//!
//! **Reading**: `chapter` elements in the PSC namespace (`http://podlove.org/simple-chapters`, any
//! prefix) are found anywhere in the document, so a standalone file and an RSS feed with the
//! element inside an `<item>` both work. The spec allows one `<psc:chapters>` per document (item);
//! clients ignore extras, so only the **first** is read and every further one gets a warning
//! (`psc-multiple`); a first one without chapters is a warning (`psc-empty`). A `chapter` outside
//! any `chapters` element is read with a warning (`psc-outside`). An unbound
//! `psc:` prefix (a missing `xmlns:psc` declaration) is accepted with a warning (`psc-namespace`).
//! `start` (Normal Play Time `[[HH:]MM:]SS[.mmm]`, any timestamp form [`Timestamp`] reads) and
//! `title` are required (error `psc-missing`), `href` and `image` optional, other attributes
//! ignored. Chapters are kept in document order: the spec tells clients to sort, but order
//! problems are reported by the checks (see [`Chapters::sorted`] to sort). Malformed XML gives one
//! error (`xml`) at quick-xml's position — reading stops there — and elements still open at the end
//! are reported where they start.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{Entry, Format, Parsed, WriteError, WriteOptions, quantized_starts};
use crate::diagnostic::{Diagnostic, LineIndex, Location, Position, quote};
use crate::{Chapter, Chapters, Timestamp};

/// The Podlove Simple Chapters XML namespace.
pub const NAMESPACE: &str = "http://podlove.org/simple-chapters";

const MILLI: u64 = 1_000_000;

/// What an element's namespace is, as far as this reader cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// The PSC namespace.
    Psc,
    /// The `psc:` prefix without a namespace declaration.
    UnboundPsc,
    /// Anything else.
    Other,
}

/// What an open element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Other,
    /// The first `<psc:chapters>`, the one that is read.
    Chapters,
    /// A later `<psc:chapters>`, ignored.
    Ignored,
}

/// Reading state.
struct State<'a> {
    input: &'a str,
    index: LineIndex<'a>,
    parsed: Parsed,
    stack: Vec<(String, usize, Open)>,
    chapters_elements: usize,
    chapters_in_first: usize,
    /// Where the first `<psc:chapters>` starts.
    first_at: Position,
    warned_unbound: bool,
}

/// Reads chapters; never panics. See the module documentation for what is accepted.
pub fn read(input: &str) -> Parsed {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut st = State {
        input,
        index: LineIndex::new(input),
        parsed: Parsed::default(),
        stack: Vec::new(),
        chapters_elements: 0,
        chapters_in_first: 0,
        first_at: Position::new(1, 1),
        warned_unbound: false,
    };
    let mut reader = NsReader::from_str(input);
    let mut well_formed = true;
    loop {
        let before = offset(reader.buffer_position());
        let event = reader.read_resolved_event().map(|(ns, ev)| {
            let ns = match ns {
                ResolveResult::Bound(n) if n.0 == NAMESPACE => Ns::Psc,
                ResolveResult::Unknown(p) if p == "psc" => Ns::UnboundPsc,
                _ => Ns::Other,
            };
            (ns, ev)
        });
        let after = offset(reader.buffer_position());
        match event {
            Ok((_, Event::Start(_))) if st.stack.len() >= MAX_DEPTH => {
                st.parsed.diagnostics.push(Diagnostic::error(
                    "xml",
                    Location::from(st.index.position(before)),
                    format!("elements nested more than {MAX_DEPTH} deep; podmark reads PSC files up to that depth"),
                ));
                well_formed = false;
                break;
            }
            Ok((ns, Event::Start(e))) => {
                let open = st.element(ns, &e, before, after);
                st.stack.push((e.name().0.to_owned(), before, open));
            }
            Ok((ns, Event::Empty(e))) => {
                st.element(ns, &e, before, after);
            }
            Ok((_, Event::End(_))) => {
                st.stack.pop();
            }
            Ok((_, Event::Eof)) => break,
            Ok(_) => {}
            Err(e) => {
                let at = offset(reader.error_position());
                let pos = st.index.position(at);
                let line = st.index.line(pos.line).trim();
                st.parsed.diagnostics.push(Diagnostic::error(
                    "xml",
                    Location::from(pos),
                    format!("malformed XML: {e}, in {}", quote(line)),
                ));
                well_formed = false;
                break;
            }
        }
    }
    if well_formed {
        for (name, at, _) in std::mem::take(&mut st.stack) {
            st.parsed.diagnostics.push(Diagnostic::error(
                "xml",
                Location::from(st.index.position(at)),
                format!("malformed XML: <{name}> is never closed"),
            ));
        }
    }
    if st.chapters_elements > 0 && st.chapters_in_first == 0 && well_formed {
        st.parsed.diagnostics.push(Diagnostic::warning(
            "psc-empty",
            Location::from(st.first_at),
            "<psc:chapters> has no <psc:chapter> elements (the spec asks for at least one)",
        ));
    }
    if st.chapters_elements == 0 && st.parsed.entries.is_empty() && well_formed {
        st.parsed.diagnostics.push(Diagnostic::error(
            "psc-missing",
            Location::from(Position::new(1, 1)),
            format!("no <psc:chapters> element in the Podlove Simple Chapters namespace ({NAMESPACE})"),
        ));
    }
    st.parsed.diagnostics.sort_by_key(|d| d.location);
    st.parsed
}

/// The deepest nesting of elements [`read`] follows (a PSC file is two or three levels deep): it
/// keeps the per-element look at the open elements linear overall.
pub const MAX_DEPTH: usize = 100;

fn offset(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

impl State<'_> {
    /// Handles a start or empty element at bytes `before..after`; returns what it is.
    fn element(&mut self, ns: Ns, e: &BytesStart<'_>, before: usize, after: usize) -> Open {
        if ns == Ns::Other {
            return Open::Other;
        }
        let local = e.local_name().into_inner();
        if local != "chapters" && local != "chapter" {
            return Open::Other;
        }
        let at = self.index.position(before);
        if ns == Ns::UnboundPsc && !self.warned_unbound {
            self.warned_unbound = true;
            self.parsed.diagnostics.push(Diagnostic::warning(
                "psc-namespace",
                Location::from(at),
                format!("the psc: prefix is not declared; add xmlns:psc=\"{NAMESPACE}\" to <{}>", e.name().0),
            ));
        }
        let ignored = self.stack.iter().any(|(_, _, o)| *o == Open::Ignored);
        let in_first = self.stack.iter().any(|(_, _, o)| *o == Open::Chapters);
        if local == "chapters" {
            self.chapters_elements += 1;
            if self.chapters_elements == 1 {
                self.first_at = at;
                return Open::Chapters;
            }
            self.parsed.diagnostics.push(Diagnostic::warning(
                "psc-multiple",
                Location::from(at),
                format!("only one <psc:chapters> is allowed; this one (number {}) is ignored", self.chapters_elements),
            ));
            return Open::Ignored;
        }
        if ignored {
            return Open::Other;
        }
        if in_first {
            self.chapters_in_first += 1;
        } else {
            self.parsed.diagnostics.push(Diagnostic::warning(
                "psc-outside",
                Location::from(at),
                format!("<{}> is not inside <psc:chapters>; read anyway", e.name().0),
            ));
        }
        let raw = self.input.get(before..after).unwrap_or("");
        self.chapter(e, raw, before, at);
        Open::Other
    }

    /// Reads one `<psc:chapter>` whose text `raw` starts at byte `base`.
    fn chapter(&mut self, e: &BytesStart<'_>, raw: &str, base: usize, at: Position) {
        let source = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut start: Option<(String, usize)> = None;
        let mut title: Option<(String, usize)> = None;
        let mut href = None;
        let mut image = None;
        for attr in e.attributes() {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    self.parsed.diagnostics.push(Diagnostic::error(
                        "xml",
                        Location::from(at),
                        format!("malformed XML: {err}, in {}", quote(&source)),
                    ));
                    continue;
                }
            };
            let key = attr.key.0;
            let value_at = base + attr_value_offset(raw, key).unwrap_or(0);
            let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(err) => {
                    // Reported here; the raw value stands in so the attribute is not "missing".
                    self.parsed.diagnostics.push(Diagnostic::error(
                        "xml",
                        Location::from(self.index.position(value_at)),
                        format!("malformed XML: {err}, in attribute {key}={}", quote(&attr.value)),
                    ));
                    attr.value.clone().into_owned()
                }
            };
            match key {
                "start" => start = Some((value, value_at)),
                "title" => title = Some((value, value_at)),
                "href" => href = Some(value),
                "image" => image = Some(value),
                _ => {}
            }
        }
        let missing = |what: &str| {
            Diagnostic::error(
                "psc-missing",
                Location::from(at),
                format!("<psc:chapter> needs a \"{what}\" attribute: {}", quote(&source)),
            )
        };
        if title.is_none() {
            self.parsed.diagnostics.push(missing("title"));
        }
        let Some((start_text, start_at)) = start else {
            self.parsed.diagnostics.push(missing("start"));
            return;
        };
        let trimmed_at = start_at + (start_text.len() - start_text.trim_start().len());
        let start = match start_text.trim().parse::<Timestamp>() {
            Ok(t) => t,
            Err(err) => {
                self.parsed.diagnostics.push(Diagnostic::error(
                    "timestamp",
                    Location::from(self.index.position(trimmed_at + err.offset())),
                    format!("{err}, in {}", quote(&source)),
                ));
                return;
            }
        };
        let (title, title_at) = title.map_or((String::new(), at), |(t, p)| (t, self.index.position(p)));
        let mut chapter = Chapter::new(start, title.trim());
        chapter.url = href;
        chapter.image = image;
        self.parsed.entries.push(Entry { chapter, at: self.index.position(trimmed_at), title_at, source });
    }
}

/// The byte offset within a start tag `raw` of the value of attribute `key` (just after the
/// opening quote).
fn attr_value_offset(raw: &str, key: &str) -> Option<usize> {
    let bytes = raw.as_bytes();
    let mut from = 0;
    while let Some(found) = raw.get(from..).and_then(|r| r.find(key)) {
        let k = from + found;
        from = k + key.len().max(1);
        let before_ok = k > 0 && bytes.get(k - 1).is_some_and(u8::is_ascii_whitespace);
        if !before_ok {
            continue;
        }
        let mut i = k + key.len();
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if matches!(bytes.get(i), Some(b'"' | b'\'')) {
            return Some(i + 1);
        }
    }
    None
}

/// Writes a PSC document: the XML declaration and the [`write_element`] element.
pub fn write(chapters: &Chapters, _options: &WriteOptions) -> Result<String, WriteError> {
    Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", write_element(chapters)?))
}

/// The `<psc:chapters>` element alone (no XML declaration, no final line break), for inlining in an
/// RSS `<item>`; it declares its own `xmlns:psc`. Lines after the first are indented by two spaces
/// per level.
pub fn write_element(chapters: &Chapters) -> Result<String, WriteError> {
    let starts = quantized_starts(chapters, MILLI, Format::Psc)?;
    let mut out = format!("<psc:chapters version=\"1.2\" xmlns:psc=\"{NAMESPACE}\">\n");
    for (c, start) in chapters.iter().zip(starts) {
        out.push_str(&format!(
            "  <psc:chapter start=\"{}\" title=\"{}\"",
            Timestamp::from_nanos(start),
            attribute(&c.title)
        ));
        if let Some(href) = &c.url {
            out.push_str(&format!(" href=\"{}\"", attribute(href)));
        }
        if let Some(image) = &c.image {
            out.push_str(&format!(" image=\"{}\"", attribute(image)));
        }
        out.push_str("/>\n");
    }
    out.push_str("</psc:chapters>");
    Ok(out)
}

/// An attribute value: characters XML 1.0 cannot carry removed (tabs and line breaks become
/// spaces, other control characters and U+FFFE/U+FFFF are dropped), then escaped by quick-xml.
fn attribute(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            '\u{FFFE}' | '\u{FFFF}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::formats::testutil;
    use crate::formats::testutil::diagnostics as diags;

    const PEER: &str = include_str!("../../tests/fixtures/chapters/peer/podlove-simple-chapters.xml");

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms).unwrap_or_default()
    }

    #[test]
    fn reads_the_chaptertool_rss_sample() {
        let p = read(PEER);
        assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
        let got: Vec<_> =
            p.entries.iter().map(|e| (e.chapter.start, e.chapter.title.as_str(), e.chapter.url.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (t(0), "Welcome", None),
                (t(187_000), "Introducing Podlove", Some("http://podlove.org/")),
                (t(506_250), "Podlove WordPress Plugin", Some("http://podlove.org/podlove-podcast-publisher")),
                (t(762_000), "Resumée", None),
            ]
        );
        assert_eq!(p.entries[0].at, Position::new(15, 29));
        assert_eq!(p.entries[0].title_at, Position::new(15, 39));
        assert_eq!(p.entries[0].source, "<psc:chapter start=\"0\" title=\"Welcome\" />");
        assert_eq!(p.into_chapters().map(|c| c.len()), Ok(4));
    }

    #[test]
    fn reads_escapes_other_prefixes_and_single_quotes() {
        let p = read(
            "<c:chapters xmlns:c='http://podlove.org/simple-chapters'>\n<c:chapter title='A &amp; B &#233;' start = ' 1:02.5' image='i.jpg'/>\n<chapter start='9' title='not psc'/>\n</c:chapters>",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
        assert_eq!(p.entries.len(), 1);
        let e = &p.entries[0];
        assert_eq!((e.chapter.start, e.chapter.title.as_str()), (t(62_500), "A & B é"));
        assert_eq!(e.chapter.image.as_deref(), Some("i.jpg"));
        assert_eq!(e.at, Position::new(2, 47));
        assert_eq!(e.title_at, Position::new(2, 19));
    }

    #[test]
    fn missing_attributes_and_bad_times_are_reported() {
        let p = read(concat!(
            "<psc:chapters version=\"1.2\" xmlns:psc=\"http://podlove.org/simple-chapters\">\n",
            "  <psc:chapter title=\"No start\"/>\n",
            "  <psc:chapter start=\"00:01:00\"/>\n",
            "  <psc:chapter start=\"1:75\" title=\"Bad\"/>\n",
            "  <psc:chapter start=\"2:00\" title=\"&bogus;\"/>\n",
            "</psc:chapters>\n",
        ));
        assert_eq!(
            diags(&p),
            vec![
                "2:3: error: <psc:chapter> needs a \"start\" attribute: \"<psc:chapter title=\"No start\"/>\"",
                "3:3: error: <psc:chapter> needs a \"title\" attribute: \"<psc:chapter start=\"00:01:00\"/>\"",
                "4:25: error: invalid timestamp \"1:75\": seconds must be less than 60 (found 75), in \"<psc:chapter start=\"1:75\" title=\"Bad\"/>\"",
                "5:36: error: malformed XML: at 1..6: unrecognized entity `bogus`, in attribute title=\"&bogus;\"",
            ]
        );
    }

    #[test]
    fn malformed_xml_and_unclosed_elements() {
        let p = read(
            "<psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\">\n  <psc:chapter start=\"0\" title=\"A\">\n</psc:chapters>\n",
        );
        assert_eq!(
            diags(&p),
            vec![
                "3:1: error: malformed XML: ill-formed document: expected `</psc:chapter>`, but `</psc:chapters>` was found, in \"</psc:chapters>\""
            ]
        );
        let p = read(
            "<psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\">\n  <psc:chapter start=\"0\" title=\"A\"/>\n",
        );
        assert_eq!(diags(&p), vec!["1:1: error: malformed XML: <psc:chapters> is never closed"]);
        assert_eq!(p.entries.len(), 1);
        let p = read("<a><b attr=\"x></a>");
        assert_eq!(
            diags(&p),
            vec![
                "1:4: error: malformed XML: syntax error: attribute value not closed: `\"` not found before end of input, in \"<a><b attr=\"x></a>\""
            ]
        );
        let p = read("not xml at all");
        assert_eq!(
            diags(&p),
            vec![
                "1:1: error: no <psc:chapters> element in the Podlove Simple Chapters namespace (http://podlove.org/simple-chapters)"
            ]
        );
    }

    #[test]
    fn only_the_first_chapters_element_is_read() {
        let p = read(concat!(
            "<rss xmlns:psc=\"http://podlove.org/simple-chapters\"><channel>\n",
            "<item><psc:chapters version=\"1.2\"><psc:chapter start=\"0\" title=\"A\"/></psc:chapters></item>\n",
            "<item><psc:chapters version=\"1.2\"><psc:chapter start=\"5\" title=\"B\"/></psc:chapters></item>\n",
            "<psc:chapter start=\"7\" title=\"Stray\"/>\n",
            "</channel></rss>\n",
        ));
        assert_eq!(
            diags(&p),
            vec![
                "3:7: warning: only one <psc:chapters> is allowed; this one (number 2) is ignored",
                "4:1: warning: <psc:chapter> is not inside <psc:chapters>; read anyway",
            ]
        );
        let titles: Vec<_> = p.entries.iter().map(|e| e.chapter.title.as_str()).collect();
        assert_eq!(titles, vec!["A", "Stray"]);
    }

    #[test]
    fn an_empty_chapters_element_is_a_warning() {
        let p = read(&write(&Chapters::empty(), &WriteOptions::default()).unwrap());
        assert_eq!(
            diags(&p),
            vec!["2:1: warning: <psc:chapters> has no <psc:chapter> elements (the spec asks for at least one)"]
        );
        let p = read("<x>\n  <psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\"/></x>");
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].location, Some(Location::Text { line: 2, column: 3 }));
    }

    #[test]
    fn unbound_prefix_is_a_warning() {
        let p = read("<psc:chapters><psc:chapter start=\"0\" title=\"A\"/></psc:chapters>");
        assert_eq!(
            diags(&p),
            vec![
                "1:1: warning: the psc: prefix is not declared; add xmlns:psc=\"http://podlove.org/simple-chapters\" to <psc:chapters>"
            ]
        );
        assert_eq!(p.entries.len(), 1);
    }

    #[test]
    fn writes_the_exact_document() {
        let c = Chapters::new(vec![
            Chapter::new(t(0), "Intro & \"Hello\" <world> it's").with_image("https://e.com/a.jpg?x=1&y=2"),
            Chapter::new(Timestamp::from_nanos(90_500_400_000), "Tab\there\u{1}\nnext\u{FFFF}")
                .with_url("https://e.com/?a=1&b=2"),
        ])
        .unwrap();
        assert_eq!(
            write(&c, &WriteOptions::default()).unwrap(),
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<psc:chapters version=\"1.2\" xmlns:psc=\"http://podlove.org/simple-chapters\">\n",
                "  <psc:chapter start=\"00:00:00.000\" title=\"Intro &amp; &quot;Hello&quot; &lt;world&gt; it&apos;s\" image=\"https://e.com/a.jpg?x=1&amp;y=2\"/>\n",
                "  <psc:chapter start=\"00:01:30.500\" title=\"Tab here next\" href=\"https://e.com/?a=1&amp;b=2\"/>\n",
                "</psc:chapters>\n",
            )
        );
        assert_eq!(
            write_element(&Chapters::empty()).unwrap(),
            "<psc:chapters version=\"1.2\" xmlns:psc=\"http://podlove.org/simple-chapters\">\n</psc:chapters>"
        );
    }

    proptest! {
        #[test]
        fn round_trip(c in testutil::chapters(20, MILLI, "[A-Za-z0-9][A-Za-z0-9 ,.!?&<>;#'\"éß€😀-]{0,30}", true)) {
            let text = write(&c, &WriteOptions::default()).unwrap();
            let back = read(&text);
            prop_assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
            let back = back.into_chapters().unwrap();
            prop_assert_eq!(back.len(), c.len());
            for (a, b) in c.iter().zip(back.iter()) {
                prop_assert_eq!(a.start, b.start);
                prop_assert_eq!(&a.title, &b.title);
                prop_assert_eq!(&a.url, &b.url);
            }
        }

        #[test]
        fn quick_never_panics(s in "\\PC*") {
            let _ = read(&s);
        }

        #[test]
        fn quick_never_panics_on_xml_like_input(s in "[<>/=\"' a-z:!?&;#-]{0,60}") {
            let _ = read(&s);
            let _ = read(&format!("<psc:chapters xmlns:psc=\"{NAMESPACE}\"><psc:chapter {s}/></psc:chapters>"));
        }
    }
}
