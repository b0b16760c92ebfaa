//! The gate's report as human text, JSON, JUnit XML (a test suite per category, a test case per
//! check), SARIF 2.1.0 (a rule per code, a result per failure or warning) and Markdown.

use std::fmt::Write as _;
use std::time::Duration;

use quick_xml::escape::escape;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::{Category, Check, Outcome, Report};

/// `crabox gate --format json`.
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

fn categories(report: &Report) -> Vec<(Category, Vec<&Check>)> {
    let mut out: Vec<(Category, Vec<&Check>)> = Vec::new();
    for check in &report.checks {
        match out.last_mut() {
            Some((category, checks)) if *category == check.category => checks.push(check),
            _ => out.push((check.category, vec![check])),
        }
    }
    out
}

fn seconds(check: &Check) -> f64 {
    check
        .data
        .get("duration_ms")
        .and_then(Value::as_u64)
        .map_or(0.0, |ms| Duration::from_millis(ms).as_secs_f64())
}

/// `crabox gate --format junit`: every check a test case; a failing check a `failure`, a check
/// that does not apply `skipped`, a warning passes with its message in `system-out`.
pub fn junit(report: &Report) -> String {
    let count = |checks: &[&Check], outcome: Outcome| {
        checks.iter().filter(|c| c.outcome == outcome).count()
    };
    let all: Vec<&Check> = report.checks.iter().collect();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"crabox gate\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        all.len(),
        count(&all, Outcome::Fail),
        count(&all, Outcome::NotApplicable)
    );
    for (category, checks) in categories(report) {
        let time: f64 = checks.iter().map(|c| seconds(c)).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{time:.3}\">",
            category.as_str(),
            checks.len(),
            count(&checks, Outcome::Fail),
            count(&checks, Outcome::NotApplicable)
        );
        for check in checks {
            let _ = write!(
                out,
                "    <testcase classname=\"crabox.gate.{}\" name=\"{}\" time=\"{:.3}\"",
                category.as_str(),
                escape(&check.name),
                seconds(check)
            );
            let message = escape(&check.message);
            match check.outcome {
                Outcome::Fail => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure type=\"{}\" message=\"{message}\">{}: {message}{}</failure>\n    </testcase>",
                        check.code,
                        check.code,
                        check
                            .location
                            .as_ref()
                            .map(|l| escape(format!(" ({}:{})", l.file, l.line)).into_owned())
                            .unwrap_or_default()
                    );
                }
                Outcome::NotApplicable => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{message}\"/>\n    </testcase>"
                    );
                }
                Outcome::Pass | Outcome::Warn => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}{message}</system-out>\n    </testcase>",
                        if check.outcome == Outcome::Warn {
                            "warning: "
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `crabox gate --format sarif`: one rule per code that failed or warned, one result each.
pub fn sarif(report: &Report, tool_version: &str) -> String {
    use crabox_report::render::sarif;
    let reported: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
        .collect();
    let mut codes: Vec<crabox_types::Code> = reported.iter().map(|c| c.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<sarif::Rule> = codes
        .iter()
        .map(|code| sarif::Rule {
            id: code.id().to_owned(),
            name: Some(code.id().to_owned()),
            short_description: code.summary().to_owned(),
            help_uri: "https://github.com/crabox-dev/crabox/blob/main/docs/gate.md".to_owned(),
            properties: None,
        })
        .collect();
    let results: Vec<sarif::Finding> = reported
        .iter()
        .map(|check| sarif::Finding {
            rule_id: check.code.id().to_owned(),
            rule_index: Some(codes.iter().position(|c| *c == check.code).unwrap_or(0)),
            level: if check.outcome == Outcome::Fail {
                "error"
            } else {
                "warning"
            },
            message: format!("{}: {}", check.name, check.message),
            location: check.location.as_ref().map(|l| sarif::Location {
                file: l.file.clone(),
                line: (l.line > 0).then_some(l.line),
            }),
            fingerprint: (
                "crabox/v1",
                crabox_types::encoding::hex(&Sha256::digest(
                    format!("{}\n{}", check.code, check.name).as_bytes(),
                )),
            ),
            suppression: None,
        })
        .collect();
    sarif::document(
        &sarif::Tool {
            name: "crabox gate",
            version: tool_version,
            information_uri: "https://github.com/crabox-dev/crabox",
        },
        &rules,
        &results,
    )
}

fn symbol(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Warn => "warn",
        Outcome::Fail => "FAIL",
        Outcome::NotApplicable => "n/a",
    }
}

/// `crabox gate` on a terminal: the failures and warnings first, then a count of the rest.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    for (category, checks) in categories(report) {
        let _ = writeln!(out, "{}:", category.as_str());
        for check in checks {
            let _ = writeln!(
                out,
                "  {:>4}  {}: {}",
                symbol(check.outcome),
                check.name,
                check.message
            );
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\ngate {}: {} pass, {} fail, {} warn, {} not applicable",
        if report.passed { "passed" } else { "FAILED" },
        s.pass,
        s.fail,
        s.warn,
        s.not_applicable
    );
    out
}

/// `crabox gate --format markdown`, for a job summary: a table of what failed or warned, the
/// rest collapsed.
pub fn markdown(report: &Report) -> String {
    let s = &report.summary;
    let mut out = format!(
        "## crabox gate: {}\n\n{} pass, {} fail, {} warn, {} not applicable.\n\n",
        if report.passed { "passed" } else { "failed" },
        s.pass,
        s.fail,
        s.warn,
        s.not_applicable
    );
    let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    let table = |checks: &[&Check]| {
        let mut t = String::from("| | Category | Check | Why |\n|---|---|---|---|\n");
        for c in checks {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} |",
                symbol(c.outcome),
                c.category.as_str(),
                cell(&c.name),
                cell(&c.message)
            );
        }
        t
    };
    let (attention, rest): (Vec<&Check>, Vec<&Check>) = report
        .checks
        .iter()
        .partition(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn));
    if !attention.is_empty() {
        out.push_str(&table(&attention));
        out.push('\n');
    }
    if !rest.is_empty() {
        let _ = write!(
            out,
            "<details><summary>{} passing or not applicable</summary>\n\n{}\n</details>\n",
            rest.len(),
            table(&rest)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crabox_types::codes;

    fn report() -> Report {
        Report::new(vec![
            Check::new(
                Category::Repository,
                codes::REPO_LICENSE,
                "licence file",
                Outcome::Pass,
                "LICENSE",
            ),
            Check::new(
                Category::Policy,
                codes::GATE_BANNED_PACKAGE,
                "Cargo.lock: openssl 0.10.1",
                Outcome::Fail,
                "banned <now> & \"then\"",
            )
            .at("Cargo.lock", 12),
            Check::new(
                Category::Repository,
                codes::REPO_SECURITY_TXT,
                "security.txt",
                Outcome::NotApplicable,
                "none",
            ),
        ])
    }

    #[test]
    fn junit_counts_and_escapes() {
        let xml = junit(&report());
        assert!(xml.contains("<testsuites name=\"crabox gate\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"), "{xml}");
        assert!(xml.contains("<failure type=\"gate-banned-package\" message=\"banned &lt;now&gt; &amp; &quot;then&quot;\">"), "{xml}");
        assert!(xml.contains("<skipped message=\"none\"/>"), "{xml}");
        let parsed = crate::commands::parse_junit(&xml).unwrap();
        assert_eq!(parsed.len(), 3);
    }

    #[test]
    fn sarif_has_a_rule_per_code_and_located_results() {
        let doc: Value = serde_json::from_str(&sarif(&report(), "0.1.0")).unwrap();
        let run = &doc["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["id"],
            "gate-banned-package"
        );
        assert_eq!(run["results"].as_array().unwrap().len(), 1);
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            12
        );
        assert!(!report().passed);
        assert!(markdown(&report()).contains("| FAIL | policy | Cargo.lock: openssl 0.10.1 |"));
        assert!(
            human(&report()).ends_with("gate FAILED: 1 pass, 1 fail, 0 warn, 1 not applicable\n")
        );
    }
}
