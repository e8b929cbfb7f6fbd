//! Output shared by the commands that report diagnostics (`chapters check`, `check`, `build`), and
//! what every `--json` command prints when it fails.

use std::io::Write;

use podmark::sources::SourceDiagnostic;
use podmark::{Diagnostic, Location, Severity};
use serde::Serialize;

/// A diagnostic as `--json` prints it: flat line/column/byte fields, the stable code and message.
#[derive(Debug, Serialize)]
pub(crate) struct JsonDiagnostic {
    severity: Severity,
    line: Option<usize>,
    column: Option<usize>,
    byte: Option<u64>,
    code: &'static str,
    message: String,
}

impl From<&Diagnostic> for JsonDiagnostic {
    fn from(d: &Diagnostic) -> Self {
        let (line, column, byte) = match d.location {
            Some(Location::Text { line, column }) => (Some(line), Some(column), None),
            Some(Location::Byte { offset }) => (None, None, Some(offset)),
            None => (None, None, None),
        };
        JsonDiagnostic { severity: d.severity, line, column, byte, code: d.code, message: d.message.clone() }
    }
}

/// One file's diagnostics in a `--json` report: `{"path", "errors", "warnings", "diagnostics"}`.
#[derive(Debug, Serialize)]
pub(crate) struct JsonFile {
    pub(crate) path: String,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) diagnostics: Vec<JsonDiagnostic>,
}

impl JsonFile {
    /// The report of `path`: counts over all of `diags`, the listed ones filtered by `shown`.
    pub(crate) fn new<'a>(
        path: String,
        diags: impl IntoIterator<Item = &'a Diagnostic>,
        shown: impl Fn(&Diagnostic) -> bool,
    ) -> Self {
        let mut file = JsonFile { path, errors: 0, warnings: 0, diagnostics: Vec::new() };
        for d in diags {
            if d.is_error() {
                file.errors += 1;
            } else {
                file.warnings += 1;
            }
            if shown(d) {
                file.diagnostics.push(JsonDiagnostic::from(d));
            }
        }
        file
    }

    /// Source diagnostics grouped by file, in the order the files first appear.
    pub(crate) fn from_sources(problems: &[SourceDiagnostic]) -> Vec<JsonFile> {
        let mut paths: Vec<&std::path::Path> = Vec::new();
        for p in problems {
            if !paths.contains(&p.path.as_path()) {
                paths.push(&p.path);
            }
        }
        paths
            .into_iter()
            .map(|path| {
                let diags = problems.iter().filter(|p| p.path == path).map(|p| &p.diagnostic);
                JsonFile::new(path.display().to_string(), diags, |_| true)
            })
            .collect()
    }
}

/// Prints what a `--json` command prints when it fails: the shape of `podmark check --json`,
/// `{"errors", "warnings", "files": [{"path", "errors", "warnings", "diagnostics"}]}`, plus
/// `"error"`: the message of a failure that is not about a line of a file (else null).
pub(crate) fn print_json_failure(files: &[JsonFile], error: Option<&str>) -> std::io::Result<()> {
    let errors = files.iter().map(|f| f.errors).sum::<usize>() + usize::from(error.is_some());
    let warnings: usize = files.iter().map(|f| f.warnings).sum();
    let value = serde_json::json!({ "errors": errors, "warnings": warnings, "files": files, "error": error });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &value)?;
    writeln!(out)?;
    out.flush()
}
