//! Escaping for HTML text, attribute values and JSON inside `<script>`.
//!
//! Every piece of the sources that reaches a page goes through one of these: titles, notes and
//! descriptions render as text whatever they hold (`<`, `&`, quotes, `</script>`, emoji). Characters
//! HTML forbids (C0 controls other than tab and newline, U+FFFE/U+FFFF) are dropped.

/// Appends `s` to `out` as HTML text (`&`, `<`, `>` escaped).
pub fn text(out: &mut String, s: &str) {
    push_escaped(out, s, false);
}

/// Appends `s` to `out` as a double-quoted attribute value (`&`, `<`, `>`, `"`, `'` escaped).
pub fn attr(out: &mut String, s: &str) {
    push_escaped(out, s, true);
}

/// `s` as HTML text, in a new string.
pub fn text_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    text(&mut out, s);
    out
}

/// `s` as an attribute value, in a new string.
pub fn attr_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    attr(&mut out, s);
    out
}

/// What each byte becomes in text (0: itself, 1: `&amp;`, 2: `&lt;`, 3: `&gt;`, 4: `&quot;`, 5:
/// `&#39;`, 6: dropped); quotes only in attributes.
const fn table(quotes: bool) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        if b != b'\t' as usize && b != b'\n' as usize && b != b'\r' as usize {
            t[b] = 6;
        }
        b += 1;
    }
    t[0x7f] = 6;
    t[b'&' as usize] = 1;
    t[b'<' as usize] = 2;
    t[b'>' as usize] = 3;
    if quotes {
        t[b'"' as usize] = 4;
        t[b'\'' as usize] = 5;
    }
    t
}
const TEXT: [u8; 256] = table(false);
const ATTR: [u8; 256] = table(true);
const REPLACEMENTS: [&str; 7] = ["", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", ""];

fn push_escaped(out: &mut String, s: &str, quotes: bool) {
    let table = if quotes { &ATTR } else { &TEXT };
    let bytes = s.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let kind = table[usize::from(b)];
        if kind == 0 {
            continue;
        }
        out.push_str(s.get(last..i).unwrap_or_default());
        out.push_str(REPLACEMENTS.get(usize::from(kind)).copied().unwrap_or_default());
        last = i + 1;
    }
    let rest = s.get(last..).unwrap_or_default();
    // U+FFFE and U+FFFF (EF BF BE / EF BF BF) are rare: look for them only after an 0xEF byte.
    if rest.as_bytes().contains(&0xEF) && rest.contains(['\u{FFFE}', '\u{FFFF}']) {
        out.extend(rest.chars().filter(|c| !matches!(c, '\u{FFFE}' | '\u{FFFF}')));
    } else {
        out.push_str(rest);
    }
}

/// Appends `s` as a JSON string literal that is safe inside `<script>`: `<`, `>` and `&` are written
/// as `\u003c`, `\u003e`, `\u0026`, so no `</script>` or `<!--` can end the script early.
pub fn json(out: &mut String, s: &str) {
    out.push('"');
    let plain = |b: u8| b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xE2 | 0xEF);
    if s.bytes().all(plain) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_script_ends() {
        assert_eq!(text_string("a < b & \"c\" 🎙"), "a &lt; b &amp; \"c\" 🎙");
        assert_eq!(attr_string("it's \"x\" <y>"), "it&#39;s &quot;x&quot; &lt;y&gt;");
        assert_eq!(text_string("bell\u{7}\u{FFFF}!"), "bell!");
        let mut j = String::new();
        json(&mut j, "</script><!-- & \"q\"\n");
        assert_eq!(j, r#""\u003c/script\u003e\u003c!-- \u0026 \"q\"\n""#);
    }
}
