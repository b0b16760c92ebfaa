//! Renderers: a [`Report`] or a single [`Finding`](crate::Finding) as human text, JSON or Markdown;
//! [`sarif`], the one SARIF writer of every step.
//!
//! Every renderer is a pure function of its input, so output is deterministic.

mod human;
mod markdown;
pub mod sarif;

pub use human::{finding as human_finding, report as human};
pub use markdown::{escape_cell as markdown_escape, report as markdown};

use crate::Report;

/// Pretty JSON with a trailing newline.
pub fn json(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("a report always serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use crabox_types::codes;

    use super::*;
    use crate::{Finding, Location, Tool};

    #[test]
    fn json_has_schema_version_and_stable_codes() {
        let report = Report::new(
            Tool {
                name: "crabox".into(),
                version: "1.2.3".into(),
            },
            "config",
            vec![
                Finding::error(codes::CONFIG_UNKNOWN_KEY, "unknown key `nmae`")
                    .with_location(Location::line("crabox.toml", 2, Some(1)))
                    .with_help("did you mean `name`?"),
            ],
        );
        insta::assert_snapshot!(json(&report), @r#"
        {
          "schema_version": 1,
          "tool": {
            "name": "crabox",
            "version": "1.2.3"
          },
          "step": "config",
          "summary": {
            "errors": 1,
            "warnings": 0,
            "notes": 0
          },
          "findings": [
            {
              "code": "config-unknown-key",
              "level": "error",
              "message": "unknown key `nmae`",
              "location": {
                "file": "crabox.toml",
                "line": 2,
                "column": 1
              },
              "help": "did you mean `name`?"
            }
          ]
        }
        "#);
    }
}
