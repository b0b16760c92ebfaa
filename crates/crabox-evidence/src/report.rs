//! `cra/report.json` and `cra/report.md`: the requirement map's rows for one bundle, with a
//! summary by status.

use std::fmt::Write as _;

use serde::Serialize;

use crate::article14::Article14;
use crate::requirements::{OpenVulnerability, Row, Status};

/// The version of `cra/report.json`'s layout.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// The product and version the bundle is for.
    pub product: String,
    pub version: String,
    /// When the report was made (`SOURCE_DATE_EPOCH`, else the clock; never the commit time):
    /// what freshness and the Article 14 deadlines are judged against.
    pub report_time: String,
    /// The dates of Regulation (EU) 2024/2847 that apply.
    pub legal_dates: LegalDates,
    /// `fail`, `incomplete` or `complete`, and why.
    pub verdict: Verdict,
    /// What to do, most urgent first: overdue Article 14 reports, failing rows, required rows
    /// missing, other missing rows.
    pub next_steps: Vec<String>,
    pub summary: Summary,
    pub requirements: Vec<Row>,
    /// Reporting deadlines of actively exploited vulnerabilities (Article 14).
    pub article14: Article14,
    /// The product's category (Annex III/IV) and the conformity assessment procedures open to
    /// it (Article 32); `None` when `[product] category` is not set.
    pub classification: Option<Classification>,
    /// The commit the bundle was made from, when there is a repository.
    pub commit: Option<String>,
    /// Whether the bundle is signed, or why not.
    pub signing: String,
    /// The advisory databases the audit read, with their snapshot dates.
    pub databases: Vec<DatabaseSnapshot>,
    /// The open vulnerabilities and the ignored ones with a released fix, oldest first;
    /// `None` when the audit did not run.
    pub open_vulnerabilities: Option<Vec<OpenVulnerability>>,
    /// The end of the support period (`[product] support-end`, `YYYY-MM-DD`), when declared:
    /// `crabox watch` re-audits the release until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_end: Option<String>,
}

/// An advisory database the audit read, and how recent its data is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseSnapshot {
    pub source: String,
    pub path: String,
    /// `YYYY-MM-DD`; `None` when not known (a `--db` directory outside git).
    pub snapshot: Option<String>,
}

/// What the report's header says the bundle was made from.
#[derive(Debug, Clone, Default)]
pub struct Made {
    pub commit: Option<String>,
    pub signing: String,
    pub databases: Vec<DatabaseSnapshot>,
    pub open_vulnerabilities: Option<Vec<OpenVulnerability>>,
}

/// `[product] category` as the Regulation classes it.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    pub category: &'static str,
    pub class: crabox_types::cra::Class,
    pub point: &'static str,
    pub description: &'static str,
    pub procedures: Vec<String>,
}

/// The dates of Regulation (EU) 2024/2847.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalDates {
    pub in_force: &'static str,
    /// Article 14 (reporting) applies, also to products already on the market.
    pub reporting_obligations: &'static str,
    /// Every other obligation applies.
    pub main_obligations: &'static str,
}

/// The Regulation's dates.
pub const LEGAL_DATES: LegalDates = LegalDates {
    in_force: "2024-12-10",
    reporting_obligations: "2026-09-11",
    main_obligations: "2027-12-11",
};

impl Default for LegalDates {
    fn default() -> Self {
        LEGAL_DATES
    }
}

/// The overall verdict of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A row fails, a required row is missing, or an Article 14 report is overdue: the bundle
    /// exits 1.
    Fail,
    /// Nothing fails, but rows are missing.
    #[default]
    Incomplete,
    /// Every row passes, is evidenced, declared or not applicable.
    Complete,
}

/// How many rows have each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub evidence: usize,
    pub declared: usize,
    pub missing: usize,
    pub not_applicable: usize,
}

impl Report {
    pub fn new(product: &str, version: &str, requirements: Vec<Row>) -> Report {
        let mut summary = Summary::default();
        for row in &requirements {
            *match row.status {
                Status::Pass => &mut summary.pass,
                Status::Fail => &mut summary.fail,
                Status::Evidence => &mut summary.evidence,
                Status::Declared => &mut summary.declared,
                Status::Missing => &mut summary.missing,
                Status::NotApplicable => &mut summary.not_applicable,
            } += 1;
        }
        Report {
            schema_version: SCHEMA_VERSION,
            product: product.to_owned(),
            version: version.to_owned(),
            report_time: String::new(),
            legal_dates: LEGAL_DATES,
            verdict: Verdict::Incomplete,
            next_steps: Vec::new(),
            summary,
            requirements,
            article14: Article14::default(),
            classification: None,
            commit: None,
            signing: String::new(),
            databases: Vec::new(),
            open_vulnerabilities: None,
            support_end: None,
        }
    }

    /// The report with what its header says the bundle was made from, and the open
    /// vulnerabilities.
    #[must_use]
    pub fn with_made(mut self, made: Made) -> Report {
        self.commit = made.commit;
        self.signing = made.signing;
        self.databases = made.databases;
        self.open_vulnerabilities = made.open_vulnerabilities;
        self
    }

    /// The databases in words: each with its snapshot date.
    pub fn databases_text(&self) -> String {
        if self.databases.is_empty() {
            return "none (the audit did not run)".to_owned();
        }
        self.databases
            .iter()
            .map(|d| {
                format!(
                    "{} `{}` ({})",
                    d.source,
                    d.path,
                    d.snapshot.as_deref().map_or_else(
                        || "snapshot date not known".to_owned(),
                        |s| format!("snapshot {s}")
                    )
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The report with its Article 14 section.
    #[must_use]
    pub fn with_article14(mut self, article14: Article14) -> Report {
        self.article14 = article14;
        self
    }

    /// The report with the product's classification (`[product] category`), when given.
    #[must_use]
    pub fn with_classification(
        mut self,
        category: Option<&str>,
        standards_declared: bool,
    ) -> Report {
        self.classification =
            category
                .and_then(crabox_types::cra::category_of)
                .map(|c| Classification {
                    category: c.id,
                    class: c.class,
                    point: c.point,
                    description: c.description,
                    procedures: crabox_types::cra::procedures(c.class, standards_declared),
                });
        self
    }

    /// The verdict and the next steps, as of `report_time`; a row of `require` that is missing
    /// fails the report.
    #[must_use]
    pub fn judged(mut self, report_time: &str, require: &[String]) -> Report {
        report_time.clone_into(&mut self.report_time);
        let mut steps = Vec::new();
        for (entry, deadline) in self.article14.overdue() {
            steps.push(format!(
                "OVERDUE: the Article 14 {} for {} was due {} ({}); submit it to {}",
                deadline.obligation.replace('-', " "),
                entry.id,
                deadline.due.as_deref().unwrap_or("-"),
                deadline.rule,
                self.article14.recipients()
            ));
        }
        let overdue = !steps.is_empty();
        for row in self
            .requirements
            .iter()
            .filter(|r| r.status == Status::Fail)
        {
            steps.push(format!("{} fails: {}", row.id, row.reason));
        }
        let missing = |required: bool| {
            self.requirements
                .iter()
                .filter(move |r| {
                    r.status == Status::Missing && require.iter().any(|id| id == r.id) == required
                })
                .map(move |r| {
                    format!(
                        "{} is missing{}: {}",
                        r.id,
                        if required {
                            " and required (`[evidence] require`)"
                        } else {
                            ""
                        },
                        r.reason
                    )
                })
        };
        let required_missing: Vec<String> = missing(true).collect();
        let fails = overdue || self.summary.fail > 0 || !required_missing.is_empty();
        steps.extend(required_missing);
        steps.extend(missing(false));
        self.verdict = if fails {
            Verdict::Fail
        } else if self.summary.missing > 0 {
            Verdict::Incomplete
        } else {
            Verdict::Complete
        };
        self.next_steps = steps;
        self
    }

    /// Whether the bundle fails (exit 1).
    pub fn failed(&self) -> bool {
        self.verdict == Verdict::Fail
    }

    /// `cra/report.json`: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// `cra/report.md`: the summary, the table (evidence linked relative to `cra/`), and for
    /// each missing row the `crabox.toml` lines that would declare it.
    pub fn to_markdown(&self) -> String {
        let s = &self.summary;
        let d = &self.legal_dates;
        let mut out = format!(
            "# CRA evidence: {} {}\n\n\
             Regulation (EU) 2024/2847: in force {}; Article 14 (reporting) applies from {}; the other obligations from {}. Report time: {}.\n\n\
             Commit: {}. Signing: {}. Advisory databases: {}.\n\n\
             **Verdict: {}**\n\n",
            self.product,
            self.version,
            d.in_force,
            d.reporting_obligations,
            d.main_obligations,
            self.report_time,
            self.commit
                .as_deref()
                .unwrap_or("none (not a git repository)"),
            self.signing.replace('\n', " "),
            self.databases_text(),
            verdict_name(self.verdict),
        );
        if !self.next_steps.is_empty() {
            out.push_str("Next steps, most urgent first:\n\n");
            for step in &self.next_steps {
                let _ = writeln!(out, "1. {}", step.replace('\n', " "));
            }
            out.push('\n');
        }
        let _ = write!(
            out,
            "{} pass, {} fail, {} evidence, {} declared, {} missing, {} not applicable \
             (Regulation (EU) 2024/2847, Annex I). Annex II: [user information](user-information.md); \
             Annex V: [draft EU declaration of conformity](eu-declaration-of-conformity.md); \
             Annex VII: [technical documentation](technical-documentation.md).\n\n",
            s.pass, s.fail, s.evidence, s.declared, s.missing, s.not_applicable
        );
        out.push_str(
            "| Requirement | Proposal | IEC 62443 | Status | Why | Evidence |\n|---|---|---|---|---|---|\n",
        );
        for row in &self.requirements {
            let evidence: Vec<String> = row
                .evidence
                .iter()
                .map(|path| format!("[{}](../{path})", cell(path)))
                .collect();
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} | {} |",
                row.id,
                cell(row.title),
                row.proposal,
                row.iec62443,
                status_name(row.status),
                cell(&row.reason),
                evidence.join("<br>")
            );
        }
        self.vulnerabilities_markdown(&mut out);
        self.article14_markdown(&mut out);
        out.push_str("\n## Classification and conformity assessment\n\n");
        match &self.classification {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "`{}`: {} ({}). Procedures open to it (Article 32):\n",
                    c.category, c.description, c.point
                );
                for procedure in &c.procedures {
                    let _ = writeln!(out, "- {procedure}");
                }
            }
            None => out.push_str(
                "Not given: set `[product] category` (`default`, or an Annex III or IV category) to name the conformity assessment procedures open to the product.\n",
            ),
        }
        let missing: Vec<&Row> = self
            .requirements
            .iter()
            .filter(|r| r.declare_with.is_some())
            .collect();
        if !missing.is_empty() {
            out.push_str("\n## How to declare what is missing\n\n");
            for row in missing {
                let _ = writeln!(
                    out,
                    "{} {}:\n\n```toml\n{}\n```\n",
                    row.id,
                    row.title,
                    row.declare_with.as_deref().unwrap_or_default()
                );
            }
        }
        out
    }
}

impl Report {
    fn vulnerabilities_markdown(&self, out: &mut String) {
        out.push_str("\n## Open vulnerabilities\n\n");
        match &self.open_vulnerabilities {
            None => out.push_str("Not known: the audit did not run.\n"),
            Some(list) if list.is_empty() => out.push_str(
                "None open after VEX statements and ignores, and none ignored with a released fix.\n",
            ),
            Some(list) => {
                out.push_str("Oldest first; the age counts from the advisory's publication to the report time.\n\n| Vulnerability | Package | Fix | Published | Age (days) | Status |\n|---|---|---|---|---|---|\n");
                for v in list {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} |",
                        cell(&v.id),
                        cell(&v.package),
                        cell(v.fix.as_deref().unwrap_or("none released")),
                        v.published.as_deref().map_or_else(|| "not known".to_owned(), cell),
                        v.age_days.map_or_else(|| "-".to_owned(), |a| a.to_string()),
                        v.status
                    );
                }
            }
        }
    }

    fn article14_markdown(&self, out: &mut String) {
        let a = &self.article14;
        out.push_str("\n## Actively exploited vulnerabilities (Article 14)\n\n");
        if a.vulnerabilities.is_empty() {
            let _ = write!(
                out,
                "None known as of {}. Consulted: {}.",
                a.as_of,
                if a.sources.is_empty() {
                    "nothing".to_owned()
                } else {
                    a.sources.join("; ")
                }
            );
        } else {
            let _ = writeln!(
                out,
                "Deadlines as of {}; consulted: {}.\n\n| Vulnerability | Packages | Known from | Aware since | Early warning (24 h) | Notification (72 h) | Final report (14 days after a fix) | Note |\n|---|---|---|---|---|---|---|---|",
                a.as_of,
                a.sources.join("; ")
            );
            for v in &a.vulnerabilities {
                let source = match &v.source {
                    crate::article14::Source::Declared => "declared".to_owned(),
                    crate::article14::Source::Incident => "severe incident (declared)".to_owned(),
                    crate::article14::Source::Kev { date_added } => {
                        format!("KEV catalogue, added {date_added}")
                    }
                };
                let mut due: Vec<String> = v
                    .deadlines
                    .iter()
                    .map(|d| match (&d.due, d.passed) {
                        (Some(due), true) => format!("{due} (**OVERDUE**)"),
                        (Some(due), false) => due.clone(),
                        (None, _) => "when a fix is available".to_owned(),
                    })
                    .collect();
                if due.is_empty() {
                    due = vec!["no deadline".to_owned(); 3];
                }
                let _ = write!(
                    out,
                    "| {} | {} | {source} | {} ({}) | {} | {} |",
                    cell(&v.id),
                    cell(&v.packages.join(", ")),
                    v.aware_since,
                    cell(&v.awareness.describe()),
                    due.join(" | "),
                    cell(v.note.as_deref().unwrap_or_default())
                );
                out.push('\n');
            }
        }
        for unchecked in &a.unchecked {
            let _ = write!(out, "\n\nNot consulted: {unchecked}.");
        }
        out.push('\n');
    }
}

/// The HTML report's template: one self-contained page (inline style, no scripts, no external
/// resources).
const HTML_TEMPLATE: &str = include_str!("../../../templates/evidence/report.html.j2");

impl Report {
    /// `cra/report.html`: the same rows as one self-contained page, readable offline.
    pub fn to_html(&self, tool_version: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_filter("code", code_spans);
        let rendered = env
            .add_template("report.html", HTML_TEMPLATE)
            .and_then(|()| {
                env.get_template("report.html")?
                    .render(minijinja::context! {
                        report => minijinja::value::Serde(self),
                        databases => self.databases_text(),
                        tool_version => tool_version,
                    })
            });
        // The template is part of the binary and tested: a failure here is a bug.
        rendered.unwrap_or_else(|e| format!("<!DOCTYPE html><title>report</title><p>{e}</p>"))
    }
}

/// Text with its `inline code` spans as `<code>`: the text is HTML-escaped first, so only the
/// spans become markup.
fn code_spans(text: &str) -> minijinja::Value {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    let mut parts = escaped.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    // An odd backtick is left as it is.
    let pairs = rest.len() / 2 * 2;
    for (i, part) in rest.iter().enumerate() {
        if i < pairs {
            out.push_str(if i % 2 == 0 { "<code>" } else { "</code>" });
        } else {
            out.push('`');
        }
        out.push_str(part);
    }
    minijinja::Value::from_safe_string(out)
}

/// The verdict as the report writes it.
pub fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Fail => "fail",
        Verdict::Incomplete => "incomplete",
        Verdict::Complete => "complete",
    }
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Evidence => "evidence",
        Status::Declared => "declared",
        Status::Missing => "missing",
        Status::NotApplicable => "not-applicable",
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// One item of the user information of Annex II: its wording, the value from `crabox.toml` (or
/// the bundle file that carries it), and the key that would declare it when missing.
pub struct UserItem {
    pub item: &'static str,
    pub value: Option<String>,
    pub key: &'static str,
}

/// `cra/user-information.md`: the Annex II items, each with its value or flagged as missing
/// with the `crabox.toml` key that would supply it.
pub fn user_information(product: &str, version: &str, items: &[UserItem]) -> String {
    let missing = items.iter().filter(|i| i.value.is_none()).count();
    let mut out = format!(
        "# User information (CRA Annex II): {product} {version}\n\n{} of {} items given{}.\n\n| Item | Value |\n|---|---|\n",
        items.len() - missing,
        items.len(),
        if missing == 0 {
            ""
        } else {
            "; the missing ones say which `crabox.toml` key supplies them"
        }
    );
    for item in items {
        let value = match &item.value {
            Some(value) => cell(value),
            None => format!("**missing**: set `{}`", item.key),
        };
        let _ = writeln!(out, "| {} | {value} |", cell(item.item));
    }
    out
}

/// `cra/technical-documentation.md`: the items of Annex VII, each pointing at the bundle files
/// that carry it, or saying that the bundle does not (the manufacturer supplies it).
pub fn technical_documentation(
    product: &str,
    version: &str,
    items: &[(&str, Vec<String>)],
) -> String {
    let mut out = format!(
        "# Technical documentation index (CRA Annex VII): {product} {version}\n\n| Item | In this bundle |\n|---|---|\n"
    );
    for (item, files) in items {
        let carried = if files.is_empty() {
            "not in this bundle: supplied by the manufacturer".to_owned()
        } else {
            files
                .iter()
                .map(|f| format!("[{}](../{f})", cell(f)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(out, "| {} | {carried} |", cell(item));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::{Facts, evaluate_all};

    #[test]
    fn the_report_counts_rows_and_tells_how_to_declare_the_missing_ones() {
        let facts = Facts {
            sboms: vec!["sbom/app.cdx.json".into()],
            packages: 12,
            ..Facts::default()
        };
        let report = Report::new("acme-gateway", "1.4.0", evaluate_all(&facts))
            .judged("2026-12-03T00:00:00Z", &[]);
        assert_eq!(report.summary.pass, 1);
        assert_eq!(report.verdict, Verdict::Incomplete);
        assert!(
            report.next_steps[0].starts_with("I.1 is missing"),
            "{:?}",
            report.next_steps
        );
        let required = Report::new("acme-gateway", "1.4.0", evaluate_all(&facts))
            .judged("2026-12-03T00:00:00Z", &["I.1".to_owned()]);
        assert_eq!(required.verdict, Verdict::Fail);
        assert_eq!(report.summary.missing, report.requirements.len() - 1);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["requirements"][14]["id"], "II.1");
        assert_eq!(json["requirements"][14]["status"], "pass");
        let md = report.to_markdown();
        assert!(md.contains(
            "| II.1 Identify and document components, including an SBOM | II.1 | GAP | pass |"
        ));
        assert!(md.contains("[sbom/app.cdx.json](../sbom/app.cdx.json)"));
        assert!(md.contains(
            "```toml\n[evidence]\nrisk-assessment = \"docs/security/risk-assessment.md\"\n```"
        ));
        let html = report.to_html("0.1.0");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            html.contains(r#"<td class="status pass">pass</td>"#),
            "{html}"
        );
        // Attribute values are entity-escaped (`/` as `&#x2f;`), which browsers decode.
        assert!(
            html.contains(r#"<a href="../sbom&#x2f;app.cdx.json">sbom&#x2f;app.cdx.json</a>"#),
            "{html}"
        );
        assert!(
            !html.contains("http://") && !html.contains("<script"),
            "self-contained"
        );
        assert!(
            html.contains("&quot;docs&#x2f;security&#x2f;risk-assessment.md&quot;"),
            "{html}"
        );
    }

    #[test]
    fn inline_code_renders_as_code_and_text_stays_escaped() {
        assert_eq!(
            code_spans("set `[product] name` & <b>").to_string(),
            "set <code>[product] name</code> &amp; &lt;b&gt;"
        );
        assert_eq!(code_spans("a ` b").to_string(), "a ` b");
        assert_eq!(
            code_spans("`<script>`").to_string(),
            "<code>&lt;script&gt;</code>"
        );
    }
}
