//! What the findings mean for the build: `[audit] ignore` entries (each with a reason, optionally
//! expiring), OpenVEX `not_affected` statements, and the `fail-on` threshold. Unknown severity
//! counts as high; an expired ignore fails the audit and names the entry.

use std::path::{Path, PathBuf};

use crabox_types::{Date, Severity};
use serde_json::Value;

use crate::Finding;
use crate::advisory::Kind;

/// An `[audit] ignore` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub id: String,
    pub reason: String,
    pub until: Option<Date>,
}

/// One OpenVEX `not_affected` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    pub vulnerability: Vec<String>,
    /// Product identifiers (purls); empty means every product.
    pub products: Vec<String>,
    pub justification: String,
    pub file: PathBuf,
}

/// What became of a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Counts against the threshold.
    Open,
    /// Suppressed by an ignore entry.
    Ignored { reason: String },
    /// Suppressed by a VEX statement.
    NotAffected {
        justification: String,
        file: PathBuf,
    },
}

/// The policy the findings are judged by.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `None`: nothing fails the audit (`fail-on = "none"`).
    pub fail_on: Option<Severity>,
    pub ignores: Vec<Ignore>,
    pub vex: Vec<VexStatement>,
    /// The date ignores expire against.
    pub today: Date,
    /// An ecosystem no database covers does not fail the audit (`--allow-unchecked`).
    pub allow_unchecked: bool,
}

/// The judged findings.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub findings: Vec<(Finding, Status)>,
    /// Ignore entries whose `until` has passed.
    pub expired: Vec<Ignore>,
    /// A vulnerability at or above the threshold is open, or an ignore expired.
    pub failed: bool,
    /// Whether yanked releases were looked up.
    pub yanked: YankedCheck,
    /// Per ecosystem of the lockfiles, the databases that covered it ([`Outcome::cover`]).
    pub coverage: Vec<crate::Coverage>,
}

impl Outcome {
    /// Records what the databases covered: an ecosystem none covers was not checked, which
    /// fails an audit that has a threshold unless the policy allows it.
    pub fn cover(&mut self, coverage: Vec<crate::Coverage>, policy: &Policy) {
        if coverage.iter().any(|c| !c.checked())
            && policy.fail_on.is_some()
            && !policy.allow_unchecked
        {
            self.failed = true;
        }
        self.coverage = coverage;
    }

    /// The ecosystems of the lockfiles that no database covered.
    pub fn unchecked(&self) -> impl Iterator<Item = &crate::Coverage> {
        self.coverage.iter().filter(|c| !c.checked())
    }
}

/// How far the yanked-release lookup got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YankedCheck {
    /// Packages looked up in the registry index.
    pub checked: usize,
    /// Packages that were not, and why (`offline`, an unreachable index).
    pub unchecked: usize,
    pub reason: Option<String>,
}

impl YankedCheck {
    /// One line for people: what was and was not checked.
    pub fn describe(&self) -> String {
        match (self.checked, self.unchecked, &self.reason) {
            (_, 0, _) => format!("yanked releases: checked ({} crates)", self.checked),
            (0, _, reason) => format!(
                "yanked releases: not checked ({})",
                reason.as_deref().unwrap_or("no reason given")
            ),
            (checked, unchecked, reason) => format!(
                "yanked releases: {checked} crates checked, {unchecked} not ({})",
                reason.as_deref().unwrap_or("no reason given")
            ),
        }
    }
}

/// The severity the threshold compares: unknown counts as high.
pub fn effective(severity: Option<Severity>) -> Severity {
    severity.unwrap_or(Severity::High)
}

fn names_match(finding: &Finding, name: &str) -> bool {
    finding.id.eq_ignore_ascii_case(name)
        || finding.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
}

fn product_matches(finding: &Finding, product: &str) -> bool {
    if product == finding.purl {
        return true;
    }
    // A purl without version (or qualifiers) names every version of the package.
    let base = finding
        .purl
        .split(['@', '?'])
        .next()
        .unwrap_or(&finding.purl);
    product == base
}

/// Judges findings against the policy.
pub fn apply(findings: Vec<Finding>, policy: &Policy) -> Outcome {
    let expired: Vec<Ignore> = policy
        .ignores
        .iter()
        .filter(|i| i.until.is_some_and(|u| u < policy.today))
        .cloned()
        .collect();
    let mut judged = Vec::with_capacity(findings.len());
    for finding in findings {
        let vex = policy.vex.iter().find(|s| {
            s.vulnerability.iter().any(|v| names_match(&finding, v))
                && (s.products.is_empty()
                    || s.products.iter().any(|p| product_matches(&finding, p)))
        });
        let ignore = policy
            .ignores
            .iter()
            .find(|i| names_match(&finding, &i.id) && !expired.contains(i));
        let status = match (vex, ignore) {
            (Some(statement), _) => Status::NotAffected {
                justification: statement.justification.clone(),
                file: statement.file.clone(),
            },
            (None, Some(ignore)) => Status::Ignored {
                reason: ignore.reason.clone(),
            },
            (None, None) => Status::Open,
        };
        judged.push((finding, status));
    }
    let over = judged.iter().any(|(f, status)| {
        *status == Status::Open
            && f.kind == Kind::Vulnerability
            && policy
                .fail_on
                .is_some_and(|threshold| effective(f.severity) >= threshold)
    });
    Outcome {
        failed: over || !expired.is_empty(),
        findings: judged,
        expired,
        yanked: YankedCheck::default(),
        coverage: Vec::new(),
    }
}

/// Why a VEX document could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexError {
    pub file: PathBuf,
    pub message: String,
}

/// The `not_affected` statements of an OpenVEX document. A `not_affected` statement without a
/// justification or impact statement is an error: OpenVEX requires one.
pub fn read_vex(file: &Path, text: &str) -> Result<Vec<VexStatement>, VexError> {
    let error = |message: String| VexError {
        file: file.to_owned(),
        message,
    };
    let document: Value =
        serde_json::from_str(text).map_err(|e| error(format!("not JSON: {e}")))?;
    let statements = document
        .get("statements")
        .and_then(Value::as_array)
        .ok_or_else(|| error("expected a `statements` array (OpenVEX)".to_owned()))?;
    let mut out = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        if statement.get("status").and_then(Value::as_str) != Some("not_affected") {
            continue;
        }
        let vulnerability = statement.get("vulnerability");
        let mut names: Vec<String> = Vec::new();
        match vulnerability {
            Some(Value::String(name)) => names.push(name.clone()),
            Some(Value::Object(v)) => {
                names.extend(v.get("name").and_then(Value::as_str).map(str::to_owned));
                names.extend(v.get("@id").and_then(Value::as_str).map(str::to_owned));
                if let Some(Value::Array(aliases)) = v.get("aliases") {
                    names.extend(aliases.iter().filter_map(Value::as_str).map(str::to_owned));
                }
            }
            _ => {}
        }
        if names.is_empty() {
            return Err(error(format!(
                "statement {i}: expected a `vulnerability` name"
            )));
        }
        let products = statement
            .get("products")
            .and_then(Value::as_array)
            .map(|products| {
                products
                    .iter()
                    .filter_map(|p| match p {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) => o.get("@id").and_then(Value::as_str).map(str::to_owned),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let justification = statement
            .get("justification")
            .or_else(|| statement.get("impact_statement"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                error(format!(
                    "statement {i}: `not_affected` needs a `justification` or `impact_statement`"
                ))
            })?;
        out.push(VexStatement {
            vulnerability: names,
            products,
            justification: justification.to_owned(),
            file: file.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crabox_types::component::Ecosystem;

    fn finding(id: &str, severity: Option<Severity>) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec!["CVE-2023-0001".into()],
            kind: Kind::Vulnerability,
            title: String::new(),
            ecosystem: Ecosystem::Cargo,
            package: "rsa".into(),
            version: "0.9.10".into(),
            purl: "pkg:cargo/rsa@0.9.10".into(),
            severity,
            cvss: None,
            patched: vec![],
            fix: None,
            path: vec!["rsa".into()],
            file: "Cargo.lock".into(),
            line: 1,
            url: None,
            source: "rustsec".into(),
            published: None,
        }
    }

    fn policy(fail_on: Option<Severity>) -> Policy {
        Policy {
            fail_on,
            ignores: vec![],
            vex: vec![],
            today: "2026-11-28".parse().unwrap(),
            allow_unchecked: false,
        }
    }

    #[test]
    fn threshold_with_unknown_as_high() {
        assert!(
            apply(
                vec![finding("A", Some(Severity::Medium))],
                &policy(Some(Severity::Medium))
            )
            .failed
        );
        assert!(
            !apply(
                vec![finding("A", Some(Severity::Medium))],
                &policy(Some(Severity::High))
            )
            .failed
        );
        assert!(
            apply(vec![finding("A", None)], &policy(Some(Severity::High))).failed,
            "unknown counts as high"
        );
        assert!(!apply(vec![finding("A", None)], &policy(Some(Severity::Critical))).failed);
        assert!(!apply(vec![finding("A", Some(Severity::Critical))], &policy(None)).failed);
        let mut warning = finding("A", Some(Severity::Critical));
        warning.kind = Kind::Unmaintained;
        assert!(
            !apply(vec![warning], &policy(Some(Severity::Low))).failed,
            "warnings do not fail"
        );
    }

    #[test]
    fn ignores_and_their_expiry() {
        let mut p = policy(Some(Severity::Low));
        p.ignores.push(Ignore {
            id: "cve-2023-0001".into(),
            reason: "not reachable".into(),
            until: Some("2027-01-01".parse().unwrap()),
        });
        let outcome = apply(vec![finding("A", Some(Severity::High))], &p);
        assert!(!outcome.failed);
        assert_eq!(
            outcome.findings[0].1,
            Status::Ignored {
                reason: "not reachable".into()
            }
        );
        p.ignores[0].until = Some("2026-11-27".parse().unwrap());
        let outcome = apply(vec![finding("A", Some(Severity::High))], &p);
        assert!(outcome.failed);
        assert_eq!(outcome.expired.len(), 1);
        assert_eq!(
            outcome.findings[0].1,
            Status::Open,
            "an expired ignore suppresses nothing"
        );
    }

    #[test]
    fn openvex_not_affected_statements() {
        let text = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-2023-0001"}, "products": [{"@id": "pkg:cargo/rsa"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "CVE-2023-0002"}, "products": [{"@id": "pkg:cargo/rsa@0.9.10"}], "status": "affected"}
        ]}"#;
        let statements = read_vex(Path::new("vex.json"), text).unwrap();
        assert_eq!(statements.len(), 1);
        let mut p = policy(Some(Severity::Low));
        p.vex = statements;
        let outcome = apply(vec![finding("A", Some(Severity::High))], &p);
        assert!(!outcome.failed);
        assert!(
            matches!(&outcome.findings[0].1, Status::NotAffected { justification, .. } if justification == "vulnerable_code_not_in_execute_path")
        );
        let bad = r#"{"statements": [{"vulnerability": {"name": "X"}, "status": "not_affected"}]}"#;
        assert!(
            read_vex(Path::new("v.json"), bad)
                .unwrap_err()
                .message
                .contains("justification")
        );
    }
}
