//! Diagnostics: every problem found in an input, with where it is and what it quotes.
//!
//! A [`Diagnostic`] prints as `line:col: error: message`; [`Diagnostic::with_path`] prefixes the
//! file name the way compilers do (`notes.md:14:5: error: …`), so editors can jump to it.

use std::fmt;
use std::path::Path;

use serde::Serialize;

/// A place in a text input: 1-based line and 1-based column, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters (Unicode scalar values), starting at 1.
    pub column: usize,
}

impl Position {
    /// A position from a 1-based line and column.
    pub const fn new(line: usize, column: usize) -> Self {
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where a diagnostic points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// A line and column in a text file.
    Text {
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        column: usize,
    },
    /// A byte offset in a binary file (or an undecodable text file).
    Byte {
        /// Offset from the start of the file.
        offset: u64,
    },
}

impl From<Position> for Location {
    fn from(p: Position) -> Self {
        Location::Text { line: p.line, column: p.column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Text { line, column } => write!(f, "{line}:{column}"),
            Location::Byte { offset } => write!(f, "byte {offset}"),
        }
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The input is wrong for the chosen profile; commands exit 1.
    Error,
    /// Worth a look, but allowed.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem: severity, location, a stable code and a message that quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where it is, when known.
    pub location: Option<Location>,
    /// A short stable identifier for scripts, such as `order` or `title-too-long`.
    pub code: &'static str,
    /// The human message; it quotes the offending text.
    pub message: String,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, location: impl Into<Option<Location>>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, location: location.into(), code, message: message.into() }
    }

    /// A warning.
    pub fn warning(code: &'static str, location: impl Into<Option<Location>>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, location: location.into(), code, message: message.into() }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Displays as `path:line:col: severity: message`.
    pub fn with_path<'a>(&'a self, path: &'a Path) -> impl fmt::Display + 'a {
        WithPath { d: self, path }
    }
}

impl From<Position> for Option<Location> {
    fn from(p: Position) -> Self {
        Some(p.into())
    }
}

struct WithPath<'a> {
    d: &'a Diagnostic,
    path: &'a Path,
}

impl fmt::Display for WithPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.d)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(Location::Text { line, column }) => write!(f, "{line}:{column}: ")?,
            Some(Location::Byte { offset }) => write!(f, "byte {offset}: ")?,
            None => f.write_str(" ")?,
        }
        write!(f, "{}: {}", self.severity, self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Why an input could not be read: every error found in it, each with where it is.
///
/// Displays one diagnostic per line, as [`Diagnostic`] does (`line:col: error: message`);
/// [`ParseError::with_path`] prefixes each line with the file name, the way compilers do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParseError {
    /// The errors, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl ParseError {
    /// An error made of `diagnostics`.
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        ParseError { diagnostics }
    }

    /// Displays as `path:line:col: error: message`, one diagnostic per line.
    pub fn with_path<'a>(&'a self, path: &'a Path) -> impl fmt::Display + 'a {
        ParseErrorWithPath { e: self, path }
    }
}

impl From<Vec<Diagnostic>> for ParseError {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        ParseError { diagnostics }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            // A diagnostic without a location starts with the space that follows `path:`.
            f.write_str(d.to_string().trim_start())?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

struct ParseErrorWithPath<'a> {
    e: &'a ParseError,
    path: &'a Path,
}

impl fmt::Display for ParseErrorWithPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.e.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}", d.with_path(self.path))?;
        }
        Ok(())
    }
}

/// Maps byte offsets in a text to [`Position`]s.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// `blocks[k]`: the number of characters in the first `k * BLOCK` bytes, so a column on a
    /// long line (minified JSON or XML) costs at most one block of counting, not the whole line.
    blocks: Vec<usize>,
}

/// Bytes per entry of [`LineIndex`]'s character-count table.
const BLOCK: usize = 1024;

/// The characters in `bytes` (valid UTF-8): the bytes that are not continuation bytes.
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`. Linear in its length; then each [`LineIndex::position`]
    /// takes logarithmic time plus at most two blocks of 1 KiB, so positions for every value of
    /// a one-line document stay linear overall.
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut blocks = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut total = 0;
        blocks.push(0);
        for chunk in text.as_bytes().chunks(BLOCK) {
            total += chars_in(chunk);
            blocks.push(total);
        }
        LineIndex { text, starts, blocks }
    }

    /// The number of characters before byte `offset` (at most the text's length).
    fn chars_before(&self, offset: usize) -> usize {
        let k = offset / BLOCK;
        let from = k * BLOCK;
        self.blocks.get(k).copied().unwrap_or(0) + chars_in(self.text.as_bytes().get(from..offset).unwrap_or_default())
    }

    /// The position of byte `offset` (clamped to the text; snapped back to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let column = if offset - start <= BLOCK {
            self.text[start..offset].chars().count() + 1
        } else {
            self.chars_before(offset) - self.chars_before(start) + 1
        };
        Position { line, column }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else { return "" };
        let end = self.starts.get(line).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }
}

/// Shortens `text` for quoting in a message: at most 60 characters, control characters escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let idx = LineIndex::new("ab\n• 00:01 x\r\nlast");
        assert_eq!(idx.position(0), Position::new(1, 1));
        assert_eq!(idx.position(3), Position::new(2, 1));
        // "• " is 4 bytes but 2 characters.
        assert_eq!(idx.position(7), Position::new(2, 3));
        assert_eq!(idx.line(2), "• 00:01 x");
        assert_eq!(idx.line(3), "last");
        assert_eq!(idx.line(9), "");
        assert_eq!(idx.position(999), Position::new(3, 5));
    }

    #[test]
    fn columns_on_a_long_line_count_characters() {
        let text = format!("x\n{}", "é•a".repeat(2000));
        let idx = LineIndex::new(&text);
        for offset in [2, 3, 1500, 1501, 4098, 12_000, text.len()] {
            let mut at = offset;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let want = Position::new(2, text[2..at].chars().count() + 1);
            assert_eq!(idx.position(offset), want, "{offset}");
        }
    }

    #[test]
    fn prints_like_a_compiler() {
        let d = Diagnostic::error("order", Position::new(3, 5), "out of order");
        assert_eq!(d.with_path(Path::new("a.md")).to_string(), "a.md:3:5: error: out of order");
        let d = Diagnostic::warning("x", Location::Byte { offset: 9 }, "odd");
        assert_eq!(d.to_string(), "byte 9: warning: odd");
    }

    #[test]
    fn parse_errors_print_one_diagnostic_per_line() {
        let e = ParseError::new(vec![
            Diagnostic::error("order", Position::new(3, 5), "out of order"),
            Diagnostic::error("empty", None, "no chapters"),
        ]);
        assert_eq!(e.to_string(), "3:5: error: out of order\nerror: no chapters");
        assert_eq!(
            e.with_path(Path::new("a.md")).to_string(),
            "a.md:3:5: error: out of order\na.md: error: no chapters"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("3:5: "));
    }

    #[test]
    fn quote_escapes_controls_and_truncates() {
        assert_eq!(quote("a\u{0}b"), "\"a\\u{0}b\"");
        assert_eq!(quote(&"x".repeat(100)).chars().count(), 63);
    }
}
