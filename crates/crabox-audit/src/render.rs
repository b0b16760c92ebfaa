//! The audit as documents: JSON (`schema_version` 1), SARIF 2.1.0, Markdown and a human table.
//! Pure functions of their input: the same audit gives the same bytes.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::Finding;
use crate::advisory::Kind;
use crate::policy::{Outcome, Status, effective};

/// Version of the JSON shape.
pub const SCHEMA_VERSION: u32 = 1;

/// A database as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseInfo {
    pub source: String,
    pub path: String,
    /// A fingerprint of the advisories read (`sha256:…` of the sorted ids).
    pub id: String,
    /// Advisories read: for a RustSec database, those of the crates the lockfiles pin.
    pub records: usize,
}

/// A finding's status in the JSON document.
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum StatusJson<'a> {
    Open,
    Ignored { reason: &'a str },
    NotAffected { justification: &'a str, vex: String },
}

impl<'a> StatusJson<'a> {
    fn of(status: &'a Status) -> Self {
        match status {
            Status::Open => StatusJson::Open,
            Status::Ignored { reason } => StatusJson::Ignored { reason },
            Status::NotAffected {
                justification,
                file,
            } => StatusJson::NotAffected {
                justification,
                vex: file.to_string_lossy().replace('\\', "/"),
            },
        }
    }
}

fn severity_text(finding: &Finding) -> &'static str {
    finding
        .severity
        .map_or("unknown", crabox_types::Severity::as_str)
}

/// The shape of `crabox audit --format json`, key order included.
#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    databases: Vec<Database<'a>>,
    coverage: Vec<CoverageJson>,
    expired_ignores: Vec<Expired<'a>>,
    failed: bool,
    yanked: Yanked<'a>,
    findings: Vec<FindingJson<'a>>,
}
#[derive(Serialize)]
struct Database<'a> {
    source: &'a str,
    path: &'a str,
    id: &'a str,
    records: usize,
}
/// One ecosystem of the lockfiles and the databases that covered it.
#[derive(Serialize)]
struct CoverageJson {
    ecosystem: &'static str,
    packages: usize,
    checked: bool,
    databases: Vec<String>,
}
#[derive(Serialize)]
struct Expired<'a> {
    id: &'a str,
    reason: &'a str,
    until: Option<String>,
}
#[derive(Serialize)]
struct Yanked<'a> {
    checked: bool,
    crates_checked: usize,
    crates_not_checked: usize,
    reason: Option<&'a str>,
}
#[derive(Serialize)]
struct FindingJson<'a> {
    id: &'a str,
    aliases: &'a [String],
    kind: &'a str,
    title: &'a str,
    package: Package<'a>,
    severity: &'a str,
    cvss: Option<&'a str>,
    patched: &'a [String],
    fix: Option<&'a str>,
    path: &'a [String],
    location: Location<'a>,
    url: Option<&'a str>,
    source: &'a str,
    /// When the advisory was published (`YYYY-MM-DD`); absent when the database does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<&'a str>,
    status: StatusJson<'a>,
}
#[derive(Serialize)]
struct Package<'a> {
    name: &'a str,
    version: &'a str,
    ecosystem: &'a str,
    purl: &'a str,
}
#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: u32,
}

/// `crabox audit --format json`, written from typed structs (`Document`): a
/// `serde_json::Value` tree, built and then written, took five times the instructions.
pub fn json(outcome: &Outcome, databases: &[DatabaseInfo]) -> String {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        databases: databases
            .iter()
            .map(|d| Database {
                source: &d.source,
                path: &d.path,
                id: &d.id,
                records: d.records,
            })
            .collect(),
        coverage: outcome
            .coverage
            .iter()
            .map(|c| CoverageJson {
                ecosystem: c.ecosystem.osv_name(),
                packages: c.packages,
                checked: c.checked(),
                databases: c
                    .databases
                    .iter()
                    .filter_map(|&i| databases.get(i).map(|d| d.path.clone()))
                    .collect(),
            })
            .collect(),
        expired_ignores: outcome
            .expired
            .iter()
            .map(|i| Expired {
                id: &i.id,
                reason: &i.reason,
                until: i.until.map(|u| u.to_string()),
            })
            .collect(),
        failed: outcome.failed,
        yanked: Yanked {
            checked: outcome.yanked.unchecked == 0,
            crates_checked: outcome.yanked.checked,
            crates_not_checked: outcome.yanked.unchecked,
            reason: outcome.yanked.reason.as_deref(),
        },
        findings: outcome
            .findings
            .iter()
            .map(|(f, status)| FindingJson {
                id: &f.id,
                aliases: &f.aliases,
                kind: f.kind.as_str(),
                title: &f.title,
                package: Package {
                    name: &f.package,
                    version: &f.version,
                    ecosystem: f.ecosystem.osv_name(),
                    purl: &f.purl,
                },
                severity: severity_text(f),
                cvss: f.cvss.as_deref(),
                patched: &f.patched,
                fix: f.fix.as_deref(),
                path: &f.path,
                location: Location {
                    file: &f.file,
                    line: f.line,
                },
                url: f.url.as_deref(),
                source: &f.source,
                published: f.published.as_deref(),
                status: StatusJson::of(status),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("JSON serializes");
    text.push('\n');
    text
}

/// The numeric `security-severity` GitHub code scanning sorts by.
fn security_severity(finding: &Finding) -> String {
    let score = finding
        .cvss
        .as_deref()
        .and_then(crate::db::cvss_score)
        .unwrap_or(match effective(finding.severity) {
            crabox_types::Severity::Critical => 9.5,
            crabox_types::Severity::High => 8.0,
            crabox_types::Severity::Medium => 5.5,
            crabox_types::Severity::Low => 2.0,
            crabox_types::Severity::None => 0.0,
        });
    format!("{score:.1}")
}

/// `crabox audit --format sarif`: one rule per advisory, results at the package's lockfile line,
/// stable fingerprints.
pub fn sarif(outcome: &Outcome, tool_version: &str) -> String {
    use crabox_report::render::sarif;
    let mut rules: std::collections::BTreeMap<&str, sarif::Rule> =
        std::collections::BTreeMap::new();
    let mut results = Vec::new();
    for (f, status) in &outcome.findings {
        rules.entry(f.id.as_str()).or_insert_with(|| sarif::Rule {
            id: f.id.clone(),
            name: None,
            short_description: if f.title.is_empty() {
                f.id.clone()
            } else {
                f.title.clone()
            },
            help_uri: f
                .url
                .clone()
                .unwrap_or_else(|| format!("https://osv.dev/vulnerability/{}", f.id)),
            properties: Some(json!({
                "security-severity": security_severity(f),
                "tags": ["security", f.kind.as_str()],
            })),
        });
        let level = match (status, f.kind) {
            (Status::Open, Kind::Vulnerability) => "error",
            (Status::Open, _) => "warning",
            _ => "note",
        };
        let mut message = format!("{} {} is affected by {}", f.package, f.version, f.id);
        if !f.title.is_empty() {
            let _ = write!(message, ": {}", f.title);
        }
        match &f.fix {
            Some(fix) => {
                let _ = write!(message, ". Upgrade to {fix} or later.");
            }
            None => message.push_str(". No fixed version is known."),
        }
        results.push(sarif::Finding {
            rule_id: f.id.clone(),
            rule_index: None,
            level,
            message,
            location: Some(sarif::Location {
                file: f.file.clone(),
                line: Some(f.line.max(1)),
            }),
            fingerprint: ("crabox/advisory-package/v1", format!("{}/{}", f.id, f.purl)),
            suppression: match status {
                Status::Open => None,
                Status::Ignored { reason } => Some(reason.clone()),
                Status::NotAffected { justification, .. } => Some(justification.clone()),
            },
        });
    }
    let rules: Vec<sarif::Rule> = rules.into_values().collect();
    sarif::document(
        &sarif::Tool {
            name: "crabox",
            version: tool_version,
            information_uri: env!("CARGO_PKG_REPOSITORY"),
        },
        &rules,
        &results,
    )
}

fn state(status: &Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::Ignored { .. } => "ignored",
        Status::NotAffected { .. } => "not affected (VEX)",
    }
}

/// `failed`, `passed`, or when an ecosystem was not checked `passed for what was checked
/// (NOT checked: npm)`: a pass never covers what no database covered.
fn verdict(outcome: &Outcome) -> String {
    let unchecked: Vec<&str> = outcome
        .unchecked()
        .map(|c| c.ecosystem.osv_name())
        .collect();
    match (outcome.failed, unchecked.is_empty()) {
        (true, _) => "failed".to_owned(),
        (false, true) => "passed".to_owned(),
        (false, false) => format!(
            "passed for what was checked (NOT checked: {})",
            unchecked.join(", ")
        ),
    }
}

/// One line per ecosystem of the lockfiles: which databases covered it, or that none did.
pub fn coverage_lines(outcome: &Outcome, databases: &[DatabaseInfo]) -> Vec<String> {
    outcome
        .coverage
        .iter()
        .map(|c| {
            if c.checked() {
                format!(
                    "{}: {} packages checked against {}",
                    c.ecosystem.osv_name(),
                    c.packages,
                    c.databases
                        .iter()
                        .filter_map(|&i| databases
                            .get(i)
                            .map(|d| format!("{} {}", d.source, d.path)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!(
                    "{}: {} packages NOT checked: no database given covers {}",
                    c.ecosystem.osv_name(),
                    c.packages,
                    c.ecosystem.osv_name()
                )
            }
        })
        .collect()
}

/// `crabox audit --format markdown` (job summaries).
pub fn markdown(outcome: &Outcome, databases: &[DatabaseInfo]) -> String {
    let open = outcome
        .findings
        .iter()
        .filter(|(f, s)| *s == Status::Open && f.kind == Kind::Vulnerability)
        .count();
    let mut out = format!(
        "### crabox audit\n\n{} {}, {open} open vulnerabilit{}\n\n",
        if outcome.failed {
            "❌"
        } else if outcome.unchecked().next().is_some() {
            "⚠️"
        } else {
            "✅"
        },
        verdict(outcome),
        if open == 1 { "y" } else { "ies" }
    );
    let _ = writeln!(out, "- {}", outcome.yanked.describe());
    for line in coverage_lines(outcome, databases) {
        let _ = writeln!(out, "- {line}");
    }
    for ignore in &outcome.expired {
        let _ = writeln!(
            out,
            "- ❌ ignore of `{}` expired ({})",
            ignore.id,
            ignore.until.map(|u| u.to_string()).unwrap_or_default()
        );
    }
    // A blank line ends the list: a table right after it would render inside its last item.
    out.push('\n');
    if outcome.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| advisory | package | severity | kind | status | fix | location |\n|---|---|---|---|---|---|---|\n");
    for (f, status) in &outcome.findings {
        let _ = writeln!(
            out,
            "| {} | `{}` {} | {} | {} | {} | {} | `{}:{}` |",
            f.url
                .as_ref()
                .map_or_else(|| f.id.clone(), |u| format!("[{}]({u})", f.id)),
            f.package,
            f.version,
            severity_text(f),
            f.kind.as_str(),
            state(status),
            f.fix.as_deref().unwrap_or("none known"),
            f.file,
            f.line
        );
    }
    out
}

/// The human table.
pub fn human(outcome: &Outcome, databases: &[DatabaseInfo]) -> String {
    let mut out = String::new();
    for (f, status) in &outcome.findings {
        let _ = writeln!(
            out,
            "{:<20} {:<10} {:<13} {} {}",
            f.id,
            severity_text(f),
            f.kind.as_str(),
            f.package,
            f.version
        );
        let _ = writeln!(
            out,
            "    {}",
            if f.title.is_empty() {
                "(no title)"
            } else {
                &f.title
            }
        );
        let _ = writeln!(
            out,
            "    path: {}   at {}:{}",
            f.path.join(" > "),
            f.file,
            f.line
        );
        let _ = writeln!(
            out,
            "    fix: {}   status: {}",
            f.fix.as_deref().map_or_else(
                || "no fixed version known".to_owned(),
                |v| format!("upgrade to {v}")
            ),
            state(status)
        );
    }
    for ignore in &outcome.expired {
        let _ = writeln!(
            out,
            "expired ignore: {} (until {}): {}",
            ignore.id,
            ignore.until.map(|u| u.to_string()).unwrap_or_default(),
            ignore.reason
        );
    }
    let open = outcome
        .findings
        .iter()
        .filter(|(f, s)| *s == Status::Open && f.kind == Kind::Vulnerability)
        .count();
    let warnings = outcome
        .findings
        .iter()
        .filter(|(f, _)| f.kind != Kind::Vulnerability)
        .count();
    let _ = writeln!(out, "{}", outcome.yanked.describe());
    for line in coverage_lines(outcome, databases) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "audit {}: {open} open vulnerabilities, {warnings} warnings, {} suppressed",
        verdict(outcome),
        outcome
            .findings
            .iter()
            .filter(|(_, s)| *s != Status::Open)
            .count()
    );
    out
}

/// An OpenVEX 0.2.0 document stating the status of every vulnerability finding.
pub fn openvex(
    outcome: &Outcome,
    id: &str,
    author: &str,
    timestamp: &str,
    tool_version: &str,
) -> Option<String> {
    let statements: Vec<Value> = outcome
        .findings
        .iter()
        .filter(|(f, _)| f.kind == Kind::Vulnerability)
        .map(|(f, status)| {
            let mut statement = json!({
                "vulnerability": { "name": f.id, "aliases": f.aliases },
                "products": [{ "@id": f.purl }],
            });
            match status {
                Status::NotAffected { justification, .. } => {
                    statement["status"] = json!("not_affected");
                    if is_vex_justification(justification) {
                        statement["justification"] = json!(justification);
                    } else {
                        statement["impact_statement"] = json!(justification);
                    }
                }
                Status::Ignored { reason } => {
                    statement["status"] = json!("affected");
                    statement["action_statement"] =
                        json!(format!("accepted in crabox.toml: {reason}"));
                }
                Status::Open => {
                    statement["status"] = json!("affected");
                    statement["action_statement"] = json!(match &f.fix {
                        Some(fix) => format!("upgrade {} to {fix} or later", f.package),
                        None => "no fixed version is known".to_owned(),
                    });
                }
            }
            statement
        })
        .collect();
    // OpenVEX requires at least one statement: with no vulnerability there is no document.
    if statements.is_empty() {
        return None;
    }
    let document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": id,
        "author": author,
        "timestamp": timestamp,
        "version": 1,
        "tooling": format!("crabox {tool_version}"),
        "statements": statements,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON serializes");
    text.push('\n');
    Some(text)
}

fn is_vex_justification(text: &str) -> bool {
    matches!(
        text,
        "component_not_present"
            | "vulnerable_code_not_present"
            | "vulnerable_code_not_in_execute_path"
            | "vulnerable_code_cannot_be_controlled_by_adversary"
            | "inline_mitigations_already_exist"
    )
}
