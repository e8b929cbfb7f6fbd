//! Output shared by the commands that report diagnostics (`chapters check`, `check`).

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
