//! in-toto Statement v1 attestations: the statement around a predicate, and the predicates crabox
//! writes or checks: SLSA provenance v1 for a GitHub Actions build (from the runner's
//! environment), CycloneDX and SPDX SBOMs, vulnerability reports (`vulns` v0.2, converted from
//! `crabox audit --format json`) and test results (`test-result` v0.1).

use crabox_types::env::EnvVars;
use serde_json::{Value, json};
use sigstore_types::Sha256Hash;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The kinds of attestation `crabox sign --attest` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SlsaProvenance,
    Cyclonedx,
    Spdx,
    Vulns,
    TestResult,
}

impl Kind {
    pub fn predicate_type(self) -> &'static str {
        match self {
            Kind::SlsaProvenance => "https://slsa.dev/provenance/v1",
            Kind::Cyclonedx => "https://cyclonedx.org/bom",
            Kind::Spdx => "https://spdx.dev/Document/v2.3",
            Kind::Vulns => "https://in-toto.io/attestation/vulns/v0.2",
            Kind::TestResult => "https://in-toto.io/attestation/test-result/v0.1",
        }
    }

    /// The name used in bundle file names (`FILE.<name>.sigstore.json`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::SlsaProvenance => "slsa-provenance",
            Kind::Cyclonedx => "cyclonedx",
            Kind::Spdx => "spdx",
            Kind::Vulns => "vulns",
            Kind::TestResult => "test-result",
        }
    }
}

/// The statement's JSON bytes: `subjects` (name, SHA-256) and the predicate.
pub fn statement(subjects: &[(String, Sha256Hash)], kind: Kind, predicate: &Value) -> Vec<u8> {
    let subject: Vec<Value> = subjects
        .iter()
        .map(|(name, digest)| json!({ "name": name, "digest": { "sha256": digest.to_hex() } }))
        .collect();
    serde_json::to_vec(&json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": kind.predicate_type(),
        "predicate": predicate,
    }))
    .unwrap_or_default()
}

/// The environment variables SLSA provenance of a GitHub Actions run is built from.
pub const PROVENANCE_ENV: [&str; 6] = [
    EnvVars::GITHUB_REPOSITORY,
    EnvVars::GITHUB_SHA,
    EnvVars::GITHUB_REF,
    EnvVars::GITHUB_WORKFLOW_REF,
    EnvVars::GITHUB_RUN_ID,
    EnvVars::GITHUB_RUN_ATTEMPT,
];

/// SLSA provenance v1 for the GitHub Actions run described by `env` (the build type
/// `actions/attest` uses), or the names of the variables that are missing.
pub fn provenance(env: impl Fn(&str) -> Option<String>) -> Result<Value, Vec<&'static str>> {
    let missing: Vec<&str> = PROVENANCE_ENV
        .iter()
        .copied()
        .filter(|name| env(name).is_none_or(|v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let var = |name: &str| env(name).unwrap_or_default();
    let server = env(EnvVars::GITHUB_SERVER_URL).unwrap_or_else(|| "https://github.com".to_owned());
    let repository = var(EnvVars::GITHUB_REPOSITORY);
    let workflow_ref = var(EnvVars::GITHUB_WORKFLOW_REF);
    // `owner/repo/.github/workflows/release.yml@refs/heads/main`
    let (workflow_path, workflow_at) = workflow_ref
        .strip_prefix(&format!("{repository}/"))
        .and_then(|rest| rest.split_once('@'))
        .map_or((String::new(), var(EnvVars::GITHUB_REF)), |(path, at)| {
            (path.to_owned(), at.to_owned())
        });
    let optional = |name: &str| env(name).filter(|v| !v.is_empty());
    Ok(json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "ref": workflow_at,
                    "repository": format!("{server}/{repository}"),
                    "path": workflow_path,
                }
            },
            "internalParameters": {
                "github": {
                    "event_name": optional(EnvVars::GITHUB_EVENT_NAME),
                    "repository_id": optional(EnvVars::GITHUB_REPOSITORY_ID),
                    "repository_owner_id": optional(EnvVars::GITHUB_REPOSITORY_OWNER_ID),
                    "runner_environment": optional(EnvVars::RUNNER_ENVIRONMENT),
                }
            },
            "resolvedDependencies": [{
                "uri": format!("git+{server}/{repository}@{}", var(EnvVars::GITHUB_REF)),
                "digest": { "gitCommit": var(EnvVars::GITHUB_SHA) },
            }],
        },
        "runDetails": {
            "builder": { "id": format!("{server}/{workflow_ref}") },
            "metadata": {
                "invocationId": format!(
                    "{server}/{repository}/actions/runs/{}/attempts/{}",
                    var(EnvVars::GITHUB_RUN_ID),
                    var(EnvVars::GITHUB_RUN_ATTEMPT)
                ),
            },
        },
    }))
}

/// Checks that a predicate document fits `kind` (and converts a `crabox audit --format json`
/// report into a `vulns` predicate). `tool_version` and `now` (RFC 3339) describe the scan.
pub fn predicate(
    kind: Kind,
    document: Value,
    tool_version: &str,
    now: &str,
) -> Result<Value, String> {
    match kind {
        Kind::Cyclonedx if document["bomFormat"] == "CycloneDX" => Ok(document),
        Kind::Cyclonedx => {
            Err("not a CycloneDX JSON document (`bomFormat` is not \"CycloneDX\")".into())
        }
        Kind::Spdx if document["spdxVersion"] == "SPDX-2.3" => Ok(document),
        Kind::Spdx => {
            Err("not an SPDX 2.3 JSON document (`spdxVersion` is not \"SPDX-2.3\")".into())
        }
        Kind::Vulns if document["scanner"].is_object() => Ok(document),
        Kind::Vulns if document["findings"].is_array() => Ok(vulns(&document, tool_version, now)),
        Kind::Vulns => {
            Err("neither a `crabox audit --format json` report nor a vulns v0.2 predicate".into())
        }
        Kind::TestResult => match document["result"].as_str() {
            Some("PASSED" | "WARNED" | "FAILED") => Ok(document),
            _ => Err(
                "not a test-result v0.1 predicate (`result` must be PASSED, WARNED or FAILED)"
                    .into(),
            ),
        },
        Kind::SlsaProvenance => Ok(document),
    }
}

/// A `vulns` v0.2 predicate from a `crabox audit --format json` report: the vulnerabilities
/// (not the informational warnings) with their severity.
fn vulns(report: &Value, tool_version: &str, now: &str) -> Value {
    let empty = Vec::new();
    let result: Vec<Value> = report["findings"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .map(|f| {
            let mut severity = Vec::new();
            if let Some(vector) = f["cvss"].as_str() {
                let method = if vector.starts_with("CVSS:4") { "CVSSv4" } else { "CVSSv3" };
                severity.push(json!({ "method": method, "score": vector }));
            }
            if let Some(level) = f["severity"].as_str() {
                severity.push(json!({ "method": "crabox", "score": level }));
            }
            json!({
                "id": f["id"],
                "severity": severity,
                "annotations": [{ "package": f["package"]["purl"], "status": f["status"], "aliases": f["aliases"] }],
            })
        })
        .collect();
    let databases = report["databases"].as_array().unwrap_or(&empty);
    let db = databases.first().map_or(
        Value::Null,
        |d| json!({ "uri": d["source"], "version": d["id"] }),
    );
    json!({
        "scanner": {
            "uri": "https://github.com/crabox-dev/crabox",
            "version": tool_version,
            "db": db,
            "result": result,
        },
        "metadata": { "scanStartedOn": now, "scanFinishedOn": now },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github(name: &str) -> Option<String> {
        Some(
            match name {
                "GITHUB_REPOSITORY" => "acme/gateway",
                "GITHUB_SHA" => "0123456789abcdef0123456789abcdef01234567",
                "GITHUB_REF" => "refs/tags/v1.4.0",
                "GITHUB_WORKFLOW_REF" => {
                    "acme/gateway/.github/workflows/release.yml@refs/tags/v1.4.0"
                }
                "GITHUB_RUN_ID" => "42",
                "GITHUB_RUN_ATTEMPT" => "1",
                "RUNNER_ENVIRONMENT" => "github-hosted",
                _ => return None,
            }
            .to_owned(),
        )
    }

    #[test]
    fn provenance_of_a_github_actions_run() {
        let p = provenance(github).unwrap();
        let definition = &p["buildDefinition"];
        assert_eq!(
            definition["buildType"],
            "https://actions.github.io/buildtypes/workflow/v1"
        );
        assert_eq!(
            definition["externalParameters"]["workflow"],
            json!({ "ref": "refs/tags/v1.4.0", "repository": "https://github.com/acme/gateway", "path": ".github/workflows/release.yml" })
        );
        assert_eq!(
            definition["resolvedDependencies"][0]["digest"]["gitCommit"],
            "0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(
            definition["internalParameters"]["github"]["runner_environment"],
            "github-hosted"
        );
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://github.com/acme/gateway/.github/workflows/release.yml@refs/tags/v1.4.0"
        );
        assert_eq!(
            p["runDetails"]["metadata"]["invocationId"],
            "https://github.com/acme/gateway/actions/runs/42/attempts/1"
        );
        let missing =
            provenance(|name| (name != "GITHUB_SHA").then(|| github(name)).flatten()).unwrap_err();
        assert_eq!(missing, ["GITHUB_SHA"]);
    }

    #[test]
    fn predicates_are_checked_and_audit_reports_become_vulns() {
        assert!(predicate(Kind::Cyclonedx, json!({"bomFormat": "CycloneDX"}), "0", "t").is_ok());
        assert!(
            predicate(
                Kind::Cyclonedx,
                json!({"spdxVersion": "SPDX-2.3"}),
                "0",
                "t"
            )
            .is_err()
        );
        assert!(predicate(Kind::Spdx, json!({"spdxVersion": "SPDX-2.3"}), "0", "t").is_ok());
        assert!(predicate(Kind::TestResult, json!({"result": "PASSED"}), "0", "t").is_ok());
        assert!(predicate(Kind::TestResult, json!({"result": "OK"}), "0", "t").is_err());
        let report = json!({
            "schema_version": 1,
            "databases": [{"source": "rustsec", "id": "abc"}],
            "findings": [
                {"id": "RUSTSEC-2099-0001", "kind": "vulnerability", "severity": "critical",
                 "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "aliases": [],
                 "package": {"purl": "pkg:cargo/foo@1.0.0"}, "status": {"state": "open"}},
                {"id": "RUSTSEC-2099-0002", "kind": "unmaintained", "package": {"purl": "pkg:cargo/bar@1.0.0"}}
            ]
        });
        let v = predicate(Kind::Vulns, report, "0.1.0", "2026-11-28T00:00:00Z").unwrap();
        let result = v["scanner"]["result"].as_array().unwrap();
        assert_eq!(result.len(), 1);
        assert_eq!(result[0]["id"], "RUSTSEC-2099-0001");
        assert_eq!(result[0]["severity"][0]["method"], "CVSSv3");
        assert_eq!(
            v["scanner"]["db"],
            json!({"uri": "rustsec", "version": "abc"})
        );
    }

    #[test]
    fn a_statement_names_its_subjects_by_digest() {
        let digest = Sha256Hash::new([7; 32]);
        let bytes = statement(&[("app.tar.gz".to_owned(), digest)], Kind::Spdx, &json!({}));
        let s: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(s["_type"], STATEMENT_TYPE);
        assert_eq!(s["predicateType"], "https://spdx.dev/Document/v2.3");
        assert_eq!(s["subject"][0]["digest"]["sha256"], digest.to_hex());
    }
}
