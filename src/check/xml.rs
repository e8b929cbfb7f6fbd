//! A small XML element tree with byte offsets, for checking feeds.
//!
//! quick-xml's `NsReader` reads the events and resolves the prefixes; this module keeps, for every
//! element, its qualified name, the namespace URI its prefix resolves to, its attributes with the
//! byte offset of each value, its text (character and entity references resolved, CDATA included)
//! and the byte offset of its `<`. [`LineIndex`](crate::diagnostic::LineIndex) turns offsets into
//! line:col. Malformed XML stops the parse with the offset quick-xml reports.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// One attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// The qualified name as written (`xmlns:itunes`, `href`).
    pub name: String,
    /// The value, entity references resolved.
    pub value: String,
    /// Byte offset of the value's first character (just after the opening quote).
    pub offset: usize,
}

/// One element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The qualified name as written (`itunes:category`).
    pub name: String,
    /// The namespace URI the prefix (or the default namespace) resolves to, if any.
    pub ns: Option<String>,
    /// The local name (`category`).
    pub local: String,
    /// Attributes in document order.
    pub attrs: Vec<Attr>,
    /// Text content of this element itself (not of its children): text and CDATA concatenated.
    pub text: String,
    /// Byte offset of the first character of the text (the element's end when it has none).
    pub text_offset: usize,
    /// Byte offset of the `<` that opens the element.
    pub offset: usize,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The value of attribute `name` (qualified name as written).
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Whether the element is `local` in namespace `ns` (`None`: no namespace).
    pub fn is(&self, ns: Option<&str>, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == ns
    }

    /// Children that are `local` in namespace `ns`.
    pub fn children_named<'a>(&'a self, ns: Option<&'a str>, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, local))
    }

    /// The first child that is `local` in namespace `ns`.
    pub fn child(&self, ns: Option<&str>, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, local))
    }

    /// Every element of the subtree (this one first), depth first.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = vec![self];
        let mut i = 0;
        while let Some(e) = out.get(i).copied() {
            out.extend(e.children.iter());
            i += 1;
        }
        out
    }
}

/// Why a document could not be read as XML: byte offset and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {message}")]
pub struct XmlError {
    /// Byte offset where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Parses the attributes of a start tag by hand, keeping the offset of every value.
fn attributes(e: &BytesStart<'_>, tag_offset: usize) -> Result<Vec<Attr>, XmlError> {
    let raw = e.attributes_raw();
    let base = tag_offset + 1 + e.name().as_ref().len();
    let bytes = raw.as_bytes();
    let mut out: Vec<Attr> = Vec::new();
    // A set, so a tag with many attributes stays linear.
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    let fail = |at: usize, message: String| XmlError { offset: base + at, message };
    loop {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if i >= bytes.len() || (bytes.get(i) == Some(&b'/') && i + 1 == bytes.len()) {
            return Ok(out);
        }
        let key_start = i;
        while bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace() && *b != b'=') {
            i += 1;
        }
        let key = raw.get(key_start..i).unwrap_or_default().to_owned();
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(fail(
                key_start,
                format!("attribute {} has no value (`name=\"value\"`)", crate::diagnostic::quote(&key)),
            ));
        }
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let Some(&quote) = bytes.get(i).filter(|q| **q == b'"' || **q == b'\'') else {
            return Err(fail(i, format!("the value of attribute {} must be quoted", crate::diagnostic::quote(&key))));
        };
        i += 1;
        let value_start = i;
        while bytes.get(i).is_some_and(|b| *b != quote) {
            i += 1;
        }
        if i >= bytes.len() {
            return Err(fail(
                value_start,
                format!("the value of attribute {} has no closing quote", crate::diagnostic::quote(&key)),
            ));
        }
        let raw_value = raw.get(value_start..i).unwrap_or_default();
        i += 1;
        let value = quick_xml::escape::unescape(raw_value)
            .map_err(|err| fail(value_start, format!("attribute {}: {err}", crate::diagnostic::quote(&key))))?
            .into_owned();
        if !seen.insert(key.clone()) {
            return Err(fail(key_start, format!("attribute {} appears twice", crate::diagnostic::quote(&key))));
        }
        out.push(Attr { name: key, value, offset: base + value_start });
    }
}

/// The namespace URI quick-xml resolved for an element: `None` for no namespace, and for a
/// prefix nothing declares (the rules report that prefix by its name).
fn namespace(resolved: &ResolveResult<'_>) -> Option<String> {
    match resolved {
        ResolveResult::Bound(ns) if !ns.as_ref().is_empty() => Some(ns.as_ref().to_owned()),
        _ => None,
    }
}

fn open(e: &BytesStart<'_>, ns: Option<String>, offset: usize) -> Result<Element, XmlError> {
    let attrs = attributes(e, offset)?;
    let name = e.name().as_ref().to_owned();
    let local = e.local_name().as_ref().to_owned();
    Ok(Element { ns, local, attrs, text_offset: usize::MAX, offset, children: Vec::new(), text: String::new(), name })
}

/// The deepest nesting of elements [`parse`] reads. A feed is five or six levels deep (`rss`,
/// `channel`, `item`, `psc:chapters`, `psc:chapter`); HTML in descriptions is text, not
/// elements. Deeper documents are refused at the first element past the limit, so a hostile
/// million-deep file costs a hundred elements of work, and the tree stays shallow enough to
/// drop without deep recursion.
pub const MAX_DEPTH: usize = 100;

/// Parses `text` into its root element; elements nested deeper than [`MAX_DEPTH`] are an error.
///
/// quick-xml's [`NsReader`] reads the events and resolves every prefix (in time linear in the
/// document: its bindings are a stack popped at each end tag); this function only builds the
/// tree and keeps the byte offsets.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let err = |reader: &NsReader<&[u8]>, e: quick_xml::Error| XmlError {
        offset: to_usize(reader.error_position()),
        message: format!("not well-formed XML: {e}"),
    };
    loop {
        let start = to_usize(reader.buffer_position());
        let (resolved, event) = match reader.read_resolved_event() {
            Ok((r, ev)) => (namespace(&r), ev),
            Err(e) => return Err(err(&reader, e)),
        };
        let end = to_usize(reader.buffer_position());
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError {
                        offset: start,
                        message: format!(
                            "depth limit: <{}> is nested more than {MAX_DEPTH} elements deep (a podcast feed needs about 6); podmark stops reading here",
                            e.name().as_ref()
                        ),
                    });
                }
                stack.push(open(&e, resolved, start)?);
            }
            Event::Empty(e) => {
                let mut el = open(&e, resolved, start)?;
                el.text_offset = end;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(XmlError { offset: start, message: "a second root element".into() }),
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err(XmlError { offset: start, message: "an end tag without a start tag".into() });
                };
                if el.text_offset == usize::MAX {
                    el.text_offset = start;
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(XmlError { offset: start, message: "a second root element".into() }),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    let content = t.xml10_content();
                    if el.text_offset == usize::MAX && !content.trim().is_empty() {
                        el.text_offset = start + (content.len() - content.trim_start().len());
                    }
                    el.text.push_str(&content);
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    if el.text_offset == usize::MAX {
                        el.text_offset = start + "<![CDATA[".len();
                    }
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err(XmlError {
                                offset: start,
                                message: format!("unknown entity {}", crate::diagnostic::quote(&format!("&{};", &*r))),
                            });
                        }
                    },
                    Err(e) => return Err(XmlError { offset: start, message: format!("bad character reference: {e}") }),
                };
                if let Some(el) = stack.last_mut() {
                    if el.text_offset == usize::MAX {
                        el.text_offset = start;
                    }
                    el.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError { offset: open.offset, message: format!("element <{}> is never closed", open.name) });
    }
    root.ok_or_else(|| XmlError { offset: 0, message: "no root element".into() })
}

/// Where a document has something before its XML declaration (`<?xml …?>` must be its very first
/// characters; only a byte order mark may come before it): the byte offset of the declaration.
/// libxml2, expat and AntennaPod refuse such a document outright; quick-xml reads it.
pub fn misplaced_declaration(text: &str) -> Option<usize> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = body.trim_start();
    let at = body.len() - rest.len();
    let is_decl = rest.strip_prefix("<?xml").and_then(|r| r.chars().next()).is_some_and(char::is_whitespace);
    (is_decl && at > 0).then_some(text.len() - body.len() + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_offsets_namespaces_and_text() {
        let doc = "<?xml version=\"1.0\"?>\n<rss xmlns:i=\"urn:i\">\n  <i:a  href = 'x&amp;y'>t&lt;<![CDATA[<b>]]></i:a>\n  <c/>\n</rss>\n";
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "rss");
        assert_eq!(root.offset, doc.find("<rss").unwrap());
        let a = &root.children[0];
        assert_eq!((a.ns.as_deref(), a.local.as_str()), (Some("urn:i"), "a"));
        assert_eq!(a.offset, doc.find("<i:a").unwrap());
        let href = a.attr("href").unwrap();
        assert_eq!(href.value, "x&y");
        assert_eq!(href.offset, doc.find("x&amp;").unwrap());
        assert_eq!(a.text, "t<<b>");
        assert_eq!(a.text_offset, doc.find("t&lt;").unwrap());
        assert!(root.children[1].is(None, "c"));
        assert_eq!(root.descendants().len(), 3);
    }

    #[test]
    fn reports_malformed_xml_with_an_offset() {
        let doc = "<rss>\n<a></b>\n</rss>";
        let e = parse(doc).unwrap_err();
        assert!(e.message.contains("not well-formed"), "{e:?}");
        assert!(e.offset >= 6, "{e:?}");
        let e = parse("<rss><a href=x/></rss>").unwrap_err();
        assert!(e.message.contains("must be quoted"), "{e:?}");
        assert_eq!(e.offset, "<rss><a href=".len());
        assert!(parse("<rss>&nbsp;</rss>").unwrap_err().message.contains("&nbsp;"));
        assert!(parse("<rss><a>").is_err());
    }

    #[test]
    fn resolves_default_nested_and_undeclared_namespaces() {
        let doc = "<rss xmlns='urn:d' xmlns:a='urn:a'><a:x><y xmlns='urn:e'/><b:z/></a:x><w xmlns=''/><xml:q/></rss>";
        let root = parse(doc).unwrap();
        assert_eq!(root.ns.as_deref(), Some("urn:d"));
        let x = &root.children[0];
        assert_eq!((x.ns.as_deref(), x.local.as_str(), x.name.as_str()), (Some("urn:a"), "x", "a:x"));
        assert_eq!(x.children[0].ns.as_deref(), Some("urn:e"));
        assert_eq!((x.children[1].ns.as_deref(), x.children[1].name.as_str()), (None, "b:z"));
        assert_eq!(root.children[1].ns, None);
        assert_eq!(root.children[2].ns.as_deref(), Some("http://www.w3.org/XML/1998/namespace"));
    }

    #[test]
    fn a_million_deep_document_stops_at_the_depth_limit() {
        let depth = 1_000_000;
        let doc = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let e = parse(&doc).unwrap_err();
        assert_eq!(e.offset, MAX_DEPTH * 3);
        assert!(e.message.starts_with("depth limit: <a> is nested more than 100 elements deep"), "{e:?}");
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn finds_white_space_before_the_declaration() {
        assert_eq!(misplaced_declaration("\n  <?xml version=\"1.0\"?><rss/>"), Some(3));
        assert_eq!(misplaced_declaration("\u{feff}\n<?xml version=\"1.0\"?><rss/>"), Some(4));
        assert_eq!(misplaced_declaration("<?xml version=\"1.0\"?><rss/>"), None);
        assert_eq!(misplaced_declaration("\u{feff}<?xml version=\"1.0\"?><rss/>"), None);
        assert_eq!(misplaced_declaration("\n<rss/>"), None);
        assert_eq!(misplaced_declaration("<rss><?xml-stylesheet href='a'?></rss>"), None);
    }
}
