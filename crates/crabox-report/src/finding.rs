//! The findings model: what every step reports, with a stable code and a location.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crabox_types::{Code, Level, Severity};
use serde::Serialize;

/// Version of the JSON shape of [`Report`]; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// One thing a step wants the user to know about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub level: Level,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Finding {
    pub fn new(code: Code, level: Level, message: impl Into<String>) -> Self {
        Finding {
            code,
            level,
            message: message.into(),
            severity: None,
            location: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Finding::new(code, Level::Error, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Finding::new(code, Level::Warning, message)
    }

    #[must_use]
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// Where a finding points: a file, and a 1-based line and column when known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    /// The file as the user would name it (relative to the repository root where possible).
    pub file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The source text and byte range, for a snippet in human output. Not serialized.
    #[serde(skip)]
    pub source: Option<SourceSpan>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location {
            file: file.into(),
            line: None,
            column: None,
            source: None,
        }
    }

    pub fn line(file: impl Into<PathBuf>, line: u32, column: Option<u32>) -> Self {
        Location {
            file: file.into(),
            line: Some(line),
            column,
            source: None,
        }
    }

    #[must_use]
    pub fn with_source(mut self, source: SourceSpan) -> Self {
        self.source = Some(source);
        self
    }

    /// `file:line:column`, as far as known, with `/` separators on every platform.
    pub fn display(&self) -> String {
        let mut out = self.file.to_string_lossy().replace('\\', "/");
        if let Some(line) = self.line {
            let _ = write!(out, ":{line}");
            if let Some(column) = self.column {
                let _ = write!(out, ":{column}");
            }
        }
        out
    }
}

/// A byte range of a source text, with the label shown under it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpan {
    pub text: Arc<str>,
    pub span: Range<usize>,
    pub label: String,
}

/// The program that made a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// Counts of findings by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

/// What one step reports: its findings and the tool that found them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// The step, e.g. `config` or `audit`.
    pub step: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Report {
    /// A report whose findings are sorted into a stable order (location, then code, then message),
    /// so that the same input always renders the same bytes.
    pub fn new(tool: Tool, step: impl Into<String>, mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| {
            let key = |f: &Finding| {
                f.location
                    .as_ref()
                    .map(|l| (l.file.clone(), l.line.unwrap_or(0), l.column.unwrap_or(0)))
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.message.cmp(&b.message))
        });
        let mut summary = Summary::default();
        for finding in &findings {
            match finding.level {
                Level::Error => summary.errors += 1,
                Level::Warning => summary.warnings += 1,
                Level::Note => summary.notes += 1,
            }
        }
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            tool,
            step: step.into(),
            summary,
            findings,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }
}

#[cfg(test)]
mod tests {
    use crabox_types::codes;

    use super::*;

    fn tool() -> Tool {
        Tool {
            name: "crabox".into(),
            version: "0.0.0".into(),
        }
    }

    #[test]
    fn report_sorts_and_counts() {
        let report = Report::new(
            tool(),
            "config",
            vec![
                Finding::warning(codes::CONFIG_INVALID_VALUE, "b")
                    .with_location(Location::line("z.toml", 1, None)),
                Finding::error(codes::CONFIG_UNKNOWN_KEY, "a").with_location(Location::line(
                    "a.toml",
                    9,
                    Some(2),
                )),
                Finding::error(codes::CONFIG_UNKNOWN_KEY, "c").with_location(Location::line(
                    "a.toml",
                    3,
                    Some(1),
                )),
            ],
        );
        let messages: Vec<_> = report.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, ["c", "a", "b"]);
        assert_eq!(
            report.summary,
            Summary {
                errors: 2,
                warnings: 1,
                notes: 0
            }
        );
        assert!(report.has_errors());
    }

    #[test]
    fn location_display_uses_forward_slashes() {
        assert_eq!(
            Location::line("a\\b.toml", 3, Some(7)).display(),
            "a/b.toml:3:7"
        );
        assert_eq!(Location::line("a.toml", 3, None).display(), "a.toml:3");
        assert_eq!(Location::file("a.toml").display(), "a.toml");
    }
}
