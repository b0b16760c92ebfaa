//! Markdown output, as GitHub renders it (job summaries, release notes, PR comments).

use std::fmt::Write as _;

use crabox_types::Level;

use crate::Report;

/// Escapes text for a Markdown table cell: pipes, line breaks and HTML-significant characters.
pub fn escape_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

fn level_badge(level: Level) -> &'static str {
    match level {
        Level::Error => "❌ error",
        Level::Warning => "⚠️ warning",
        Level::Note => "ℹ️ note",
    }
}

/// A report as a Markdown section: heading, counts, and a table of findings.
pub fn report(report: &Report) -> String {
    let mut out = String::new();
    let s = report.summary;
    let _ = writeln!(out, "### crabox {}\n", escape_cell(&report.step));
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s)\n",
        s.errors, s.warnings, s.notes
    );
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| level | code | message | location |\n|---|---|---|---|\n");
    for f in &report.findings {
        let mut message = escape_cell(&f.message);
        if let Some(help) = &f.help {
            let _ = write!(message, "<br>*help:* {}", escape_cell(help));
        }
        let location = f
            .location
            .as_ref()
            .map(|l| format!("`{}`", l.display().replace('`', "'")))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            level_badge(f.level),
            f.code,
            message,
            escape_cell(&location)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crabox_types::codes;

    use super::*;
    use crate::{Finding, Location, Tool};

    #[test]
    fn table_escapes_cells() {
        let r = Report::new(
            Tool {
                name: "crabox".into(),
                version: "0".into(),
            },
            "config",
            vec![
                Finding::error(codes::CONFIG_INVALID_VALUE, "a | b\n<script>")
                    .with_location(Location::line("crabox.toml", 4, Some(2)))
                    .with_help("use `x`"),
            ],
        );
        insta::assert_snapshot!(report(&r), @r"
        ### crabox config

        1 error(s), 0 warning(s), 0 note(s)

        | level | code | message | location |
        |---|---|---|---|
        | ❌ error | `config-invalid-value` | a \| b<br>&lt;script&gt;<br>*help:* use `x` | `crabox.toml:4:2` |
        ");
    }

    #[test]
    fn empty_report_says_so() {
        let r = Report::new(
            Tool {
                name: "crabox".into(),
                version: "0".into(),
            },
            "gate",
            vec![],
        );
        assert!(report(&r).ends_with("No findings.\n"));
    }
}
