//! The baseline: the previous release against this one. A new vulnerability, a new unmaintained
//! or yanked dependency, a new licence the policy refuses, or evidence that existed and is now
//! missing is a regression and fails the gate; what the previous release had and this one does
//! not is listed as an improvement.

use std::collections::BTreeSet;

use serde::Deserialize;

use crabox_types::codes;

use crabox_types::component::{self, Ecosystem, FindingKind};

use crate::{Advisory, Category, Check, Outcome, Package};

/// Kinds of evidence whose disappearance is a regression.
pub const SBOM: &str = "SBOM";
pub const SIGNATURE: &str = "signed manifest";
pub const SECURITY_POLICY: &str = "SECURITY.md";

/// What one release had.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// What it is: `v1.3.0 (lockfiles read from git)`, `crabox-evidence/app-1.3.0`.
    pub label: String,
    pub advisories: Vec<Advisory>,
    /// `(package, expression)` the licence policy refuses.
    pub license_violations: Vec<(String, String)>,
    /// The kinds of evidence it had; `None` when it cannot be told (lockfiles carry no
    /// evidence but SECURITY.md).
    pub evidence: BTreeSet<&'static str>,
}

fn key(a: &Advisory) -> (FindingKind, Ecosystem, &str, &str) {
    (a.kind, a.ecosystem, a.id.as_str(), a.package.as_str())
}

/// The baseline checks: regressions fail, improvements pass, and each kind of regression that
/// did not happen passes once.
#[allow(clippy::too_many_lines)] // one block per kind of regression
pub fn compare(before: &Snapshot, after: &Snapshot) -> Vec<Check> {
    let mut checks = Vec::new();
    let open = |s: &Snapshot, kind: FindingKind| -> Vec<Advisory> {
        s.advisories
            .iter()
            .filter(|a| a.open && a.kind == kind)
            .cloned()
            .collect()
    };
    for (kind, code, what) in [
        (
            FindingKind::Vulnerability,
            codes::GATE_REGRESSION_VULNERABILITY,
            "vulnerability",
        ),
        (
            FindingKind::Unmaintained,
            codes::GATE_REGRESSION_UNMAINTAINED,
            "unmaintained dependency",
        ),
        (
            FindingKind::Yanked,
            codes::GATE_REGRESSION_YANKED,
            "yanked dependency",
        ),
    ] {
        let old = open(before, kind);
        let new = open(after, kind);
        let mut regressions = 0;
        for a in &new {
            if old.iter().any(|o| key(o) == key(a)) {
                continue;
            }
            regressions += 1;
            checks.push(
                Check::new(
                    Category::Baseline,
                    code,
                    format!("new {what}: {} in {} {}", a.id, a.package, a.version),
                    Outcome::Fail,
                    format!(
                        "{} affects {} {}, and {} did not have it",
                        a.id, a.package, a.version, before.label
                    ),
                )
                .at(&a.file, a.line),
            );
        }
        for o in &old {
            if new.iter().any(|a| key(a) == key(o)) {
                continue;
            }
            checks.push(Check::new(
                Category::Baseline,
                codes::GATE_IMPROVEMENT,
                format!("fixed {what}: {} in {} {}", o.id, o.package, o.version),
                Outcome::Pass,
                format!(
                    "{} had {} in {} {}; this release does not",
                    before.label, o.id, o.package, o.version
                ),
            ));
        }
        if regressions == 0 {
            checks.push(Check::new(
                Category::Baseline,
                code,
                format!("no new {what}"),
                Outcome::Pass,
                format!("no {what} that {} did not have", before.label),
            ));
        }
    }
    let mut licence_regressions = 0;
    for (package, expression) in &after.license_violations {
        if before
            .license_violations
            .iter()
            .any(|(p, e)| p == package && e == expression)
        {
            continue;
        }
        licence_regressions += 1;
        checks.push(Check::new(
            Category::Baseline,
            codes::GATE_REGRESSION_LICENSE,
            format!("new refused licence: {package}"),
            Outcome::Fail,
            format!("{package} is under `{expression}`, which the policy refuses, and {} had no such package", before.label),
        ));
    }
    if licence_regressions == 0 {
        checks.push(Check::new(
            Category::Baseline,
            codes::GATE_REGRESSION_LICENSE,
            "no new refused licence",
            Outcome::Pass,
            format!("no refused licence that {} did not have", before.label),
        ));
    }
    for kind in [SBOM, SIGNATURE, SECURITY_POLICY] {
        let name = format!("evidence: {kind}");
        let check = match (
            before.evidence.contains(kind),
            after.evidence.contains(kind),
        ) {
            (true, false) => Check::new(
                Category::Baseline,
                codes::GATE_REGRESSION_EVIDENCE,
                name,
                Outcome::Fail,
                format!("{} had a {kind}; this release has none", before.label),
            ),
            (true, true) => Check::new(
                Category::Baseline,
                codes::GATE_REGRESSION_EVIDENCE,
                name,
                Outcome::Pass,
                format!("present, as in {}", before.label),
            ),
            (false, present) => Check::new(
                Category::Baseline,
                codes::GATE_REGRESSION_EVIDENCE,
                name,
                Outcome::NotApplicable,
                format!(
                    "{} {} no {kind} to compare with{}",
                    before.label,
                    if before.label.contains("git") {
                        "records"
                    } else {
                        "has"
                    },
                    if present {
                        " (this release has one)"
                    } else {
                        ""
                    }
                ),
            ),
        };
        checks.push(check);
    }
    checks
}

pub use crate::error::BaselineError;

#[derive(Deserialize)]
struct Manifest {
    files: Vec<ManifestFile>,
}

#[derive(Deserialize)]
struct ManifestFile {
    path: String,
}

#[derive(Deserialize)]
struct Findings {
    findings: Vec<FindingJson>,
}

#[derive(Deserialize)]
struct FindingJson {
    id: String,
    kind: String,
    package: PackageJson,
    severity: String,
    status: StatusJson,
    location: Option<LocationJson>,
}

#[derive(Deserialize)]
struct StatusJson {
    state: String,
}

#[derive(Deserialize)]
struct PackageJson {
    name: String,
    version: String,
    ecosystem: String,
}

#[derive(Deserialize)]
struct LocationJson {
    file: String,
    line: u32,
}

/// An earlier evidence bundle, already checked against its manifest by the caller: the files
/// the baseline reads (`manifest.json`, `audit/findings.json`, the CycloneDX SBOM), by path, and
/// whether its manifest's signature was verified against a named signer.
#[derive(Debug, Default)]
pub struct BundleFiles {
    /// What it is, for messages: the path given.
    pub label: String,
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
    /// The signature was verified; a signature merely present is not credited.
    pub signature_verified: bool,
}

/// The files [`from_bundle`] reads of a bundle whose manifest lists `listed`.
pub fn wanted_files<'a>(listed: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut wanted = vec!["manifest.json"];
    let mut sbom = false;
    for path in listed {
        // The CRA report carries Article 14 awareness forward to the next bundle.
        if path == "audit/findings.json" || path == "cra/report.json" {
            wanted.push(path);
        } else if !sbom && path.starts_with("sbom/") && path.ends_with(".cdx.json") {
            sbom = true;
            wanted.push(path);
        }
    }
    wanted
}

/// The findings of a bundle's `audit/findings.json` as the gate sees them.
fn advisories(
    text: &str,
    err: &dyn Fn(&str, String) -> BaselineError,
) -> Result<Vec<Advisory>, BaselineError> {
    let findings: Findings = serde_json::from_str(text).map_err(|e| {
        err(
            "audit/findings.json",
            format!("not a crabox audit report: {e}"),
        )
    })?;
    let mut advisories = Vec::with_capacity(findings.findings.len());
    for f in findings.findings {
        let kind = FindingKind::parse(&f.kind).ok_or_else(|| {
            err(
                "audit/findings.json",
                format!("finding `{}`: unknown kind `{}`", f.id, f.kind),
            )
        })?;
        let ecosystem = Ecosystem::from_osv_name(&f.package.ecosystem).ok_or_else(|| {
            err(
                "audit/findings.json",
                format!(
                    "finding `{}`: unknown ecosystem `{}`",
                    f.id, f.package.ecosystem
                ),
            )
        })?;
        advisories.push(Advisory {
            open: f.status.state == "open",
            id: f.id,
            kind,
            ecosystem,
            package: f.package.name,
            version: f.package.version,
            severity: f.severity.parse().ok(),
            file: f
                .location
                .as_ref()
                .map(|l| l.file.clone())
                .unwrap_or_default(),
            line: f.location.map_or(0, |l| l.line),
        });
    }
    Ok(advisories)
}

/// The snapshot of an evidence bundle: its audit findings, the packages of its CycloneDX SBOM
/// (for the licence policy, by `refused`) and which evidence it holds (a signed manifest only
/// when the signature was verified).
pub fn from_bundle(
    bundle: &BundleFiles,
    refused: impl Fn(&Package<'_>) -> Vec<String>,
) -> Result<Snapshot, BaselineError> {
    let err = |path: &str, message: String| BaselineError {
        path: format!("{}/{path}", bundle.label),
        message,
    };
    let read = |name: &str| -> Result<String, BaselineError> {
        let bytes = bundle
            .files
            .get(name)
            .ok_or_else(|| err(name, "not in the bundle".into()))?;
        String::from_utf8(bytes.clone()).map_err(|_| err(name, "not UTF-8".into()))
    };
    let manifest: Manifest = serde_json::from_str(&read("manifest.json")?)
        .map_err(|e| err("manifest.json", format!("not a bundle manifest: {e}")))?;
    let files: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let mut snapshot = Snapshot {
        label: format!("the baseline bundle {}", bundle.label),
        ..Snapshot::default()
    };
    if files.iter().any(|f| f.starts_with("sbom/")) {
        snapshot.evidence.insert(SBOM);
    }
    if bundle.signature_verified {
        snapshot.evidence.insert(SIGNATURE);
    }
    if files
        .iter()
        .any(|f| f.starts_with("declarations/cvd-policy/"))
    {
        snapshot.evidence.insert(SECURITY_POLICY);
    }
    if files.contains(&"audit/findings.json") {
        snapshot.advisories = advisories(&read("audit/findings.json")?, &err)?;
    }
    if let Some(sbom) = files
        .iter()
        .find(|f| f.starts_with("sbom/") && f.ends_with(".cdx.json"))
    {
        let document: serde_json::Value =
            serde_json::from_str(&read(sbom)?).map_err(|e| err(sbom, format!("not JSON: {e}")))?;
        for component in document["components"].as_array().into_iter().flatten() {
            let licenses: Vec<String> = component["licenses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| {
                    l["expression"]
                        .as_str()
                        .or_else(|| l["license"]["id"].as_str())
                        .map(str::to_owned)
                })
                .collect();
            // The ecosystem from the purl (`pkg:cargo/…`); a component without one is not a
            // package of a lockfile (the product itself, an artifact).
            let Some(ecosystem) = component["purl"]
                .as_str()
                .and_then(|p| p.strip_prefix("pkg:"))
                .and_then(|p| p.split('/').next())
                .and_then(Ecosystem::from_purl_type)
            else {
                continue;
            };
            // The package its purl names (a Maven group, a distribution); the component's name
            // and version when the purl does not parse back.
            let mut package = component["purl"]
                .as_str()
                .and_then(crabox_types::purl::parse_package)
                .unwrap_or_else(|| {
                    component::Package::new(
                        ecosystem,
                        component["name"].as_str().unwrap_or_default(),
                        component["version"].as_str().unwrap_or_default(),
                    )
                });
            package.licenses = licenses;
            let package = Package {
                package: std::borrow::Cow::Owned(package),
                file: std::borrow::Cow::Borrowed(*sbom),
            };
            for expression in refused(&package) {
                snapshot
                    .license_violations
                    .push((format!("{} {}", package.name, package.version), expression));
            }
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use crabox_types::Code;

    use super::*;

    fn advisory(kind: &str, id: &str, package: &str) -> Advisory {
        Advisory {
            id: id.into(),
            kind: FindingKind::parse(kind).unwrap(),
            ecosystem: Ecosystem::Cargo,
            package: package.into(),
            version: "1.0.0".into(),
            severity: None,
            open: true,
            file: "Cargo.lock".into(),
            line: 3,
        }
    }

    #[test]
    fn regressions_fail_and_improvements_are_listed() {
        let before = Snapshot {
            label: "v1.0.0".into(),
            advisories: vec![advisory("vulnerability", "R-1", "foo")],
            license_violations: vec![],
            evidence: [SBOM, SIGNATURE, SECURITY_POLICY].into_iter().collect(),
        };
        let same = Snapshot {
            label: "now".into(),
            ..before.clone()
        };
        assert!(
            compare(&before, &same)
                .iter()
                .all(|c| c.outcome != Outcome::Fail)
        );
        let after = Snapshot {
            label: "now".into(),
            advisories: vec![
                advisory("vulnerability", "R-2", "bar"),
                advisory("unmaintained", "R-3", "baz"),
                advisory("yanked", "yanked", "qux"),
            ],
            license_violations: vec![("gpl 1.0.0".into(), "GPL-3.0-only".into())],
            evidence: [SBOM].into_iter().collect(),
        };
        let checks = compare(&before, &after);
        let failed: Vec<Code> = checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| c.code)
            .collect();
        assert_eq!(
            failed,
            [
                codes::GATE_REGRESSION_VULNERABILITY,
                codes::GATE_REGRESSION_UNMAINTAINED,
                codes::GATE_REGRESSION_YANKED,
                codes::GATE_REGRESSION_LICENSE,
                codes::GATE_REGRESSION_EVIDENCE,
                codes::GATE_REGRESSION_EVIDENCE
            ]
        );
        assert!(
            checks
                .iter()
                .any(|c| c.code == codes::GATE_IMPROVEMENT && c.name.contains("R-1"))
        );
    }
}
