//! Human output: rustc-style diagnostics with a source snippet where one is known.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Origin, Renderer, Snippet};
use anstyle::{AnsiColor, Effects, Style};
use crabox_types::Level;

use crate::{Finding, Report};

fn snippet_level(level: Level) -> SnippetLevel<'static> {
    match level {
        Level::Error => SnippetLevel::ERROR,
        Level::Warning => SnippetLevel::WARNING,
        Level::Note => SnippetLevel::NOTE,
    }
}

/// One finding as a diagnostic block (without a trailing newline).
pub fn finding(finding: &Finding, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut group: Group<'_> = Group::with_title(
        snippet_level(finding.level)
            .primary_title(finding.message.as_str())
            .id(finding.code.id()),
    );
    if let Some(location) = &finding.location {
        let path = location.file.to_string_lossy().replace('\\', "/");
        if let Some(source) = &location.source {
            group = group.element(
                Snippet::source(&*source.text).path(path).annotation(
                    AnnotationKind::Primary
                        .span(source.span.clone())
                        .label(source.label.as_str()),
                ),
            );
        } else {
            let mut origin = Origin::path(path);
            if let Some(line) = location.line {
                origin = origin.line(line as usize);
                if let Some(column) = location.column {
                    origin = origin.char_column(column as usize);
                }
            }
            group = group.element(origin);
        }
    }
    if let Some(help) = &finding.help {
        group = group.element(SnippetLevel::HELP.message(help.as_str()));
    }
    for note in &finding.notes {
        group = group.element(SnippetLevel::NOTE.message(note.as_str()));
    }
    if let Some(severity) = finding.severity {
        group = group.element(SnippetLevel::NOTE.message(format!("severity: {severity}")));
    }
    renderer.render(&[group])
}

/// A whole report: every finding, then a one-line summary (trailing newline included).
pub fn report(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&finding(f, color));
        out.push_str("\n\n");
    }
    let s = report.summary;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let line = format!(
        "{}: {}, {}, {}",
        report.step,
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.notes, "note")
    );
    let style = if !color {
        Style::new()
    } else if s.errors > 0 {
        AnsiColor::Red.on_default().effects(Effects::BOLD)
    } else {
        AnsiColor::Green.on_default().effects(Effects::BOLD)
    };
    let _ = writeln!(out, "{style}{line}{style:#}");
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crabox_types::codes;

    use super::*;
    use crate::{Location, SourceSpan, Tool};

    #[test]
    fn snippet_points_at_the_key() {
        let text: Arc<str> = Arc::from("[product]\nnmae = \"acme\"\n");
        let f = Finding::error(
            codes::CONFIG_UNKNOWN_KEY,
            "unknown key `nmae` in `[product]`",
        )
        .with_location(
            Location::line("crabox.toml", 2, Some(1)).with_source(SourceSpan {
                text,
                span: 10..14,
                label: "not a key of `[product]`".into(),
            }),
        )
        .with_help("did you mean `name`?");
        insta::assert_snapshot!(finding(&f, false), @r#"
        error[config-unknown-key]: unknown key `nmae` in `[product]`
         --> crabox.toml:2:1
          |
        2 | nmae = "acme"
          | ^^^^ not a key of `[product]`
          |
          = help: did you mean `name`?
        "#);
    }

    #[test]
    fn report_without_source_names_the_location_and_counts() {
        let r = Report::new(
            Tool {
                name: "crabox".into(),
                version: "0".into(),
            },
            "init",
            vec![
                Finding::error(codes::INIT_FILE_EXISTS, "`SECURITY.md` already exists")
                    .with_location(Location::file("SECURITY.md"))
                    .with_help("pass --force to overwrite it"),
            ],
        );
        insta::assert_snapshot!(report(&r, false), @r"
        error[init-file-exists]: `SECURITY.md` already exists
        --> SECURITY.md
         = help: pass --force to overwrite it

        init: 1 error, 0 warnings, 0 notes
        ");
        assert!(
            report(&r, true).contains("\u{1b}["),
            "colour requested but absent"
        );
        assert!(
            !report(&r, false).contains('\u{1b}'),
            "colour present without a request"
        );
    }
}
