//! The signed attestations about the artifacts: the SBOMs (CycloneDX and SPDX predicates), the
//! audit (`vulns`), the gate (`test-result`) and, in GitHub Actions, SLSA provenance. Each
//! statement names every artifact as a subject.

use std::path::Path;

use anyhow::Context as _;
use crabox_config::file::SbomFormat;
use crabox_sign::attest::{self as attestation, Kind};

use super::write;
use crate::Run;
use crate::sign::Identity;

/// The test-result v0.1 predicate of the gate: every check a test; the gate's JSON report, by
/// digest, is the configuration that produced them.
fn test_result(report: &crabox_gate::Report) -> anyhow::Result<serde_json::Value> {
    let names = |outcome: crabox_gate::Outcome| -> Vec<String> {
        report
            .checks
            .iter()
            .filter(|c| c.outcome == outcome)
            .map(|c| format!("{}: {}", c.code, c.name))
            .collect()
    };
    let (_, digest) =
        crabox_types::digest::sha256_reader(crabox_gate::render::json(report).as_bytes())?;
    let result = if !report.passed {
        "FAILED"
    } else if report.summary.warn > 0 {
        "WARNED"
    } else {
        "PASSED"
    };
    Ok(serde_json::json!({
        "result": result,
        "configuration": [{
            "name": "gate/results.json",
            "digest": { "sha256": crabox_types::encoding::hex(&digest) },
        }],
        "passedTests": names(crabox_gate::Outcome::Pass),
        "warnedTests": names(crabox_gate::Outcome::Warn),
        "failedTests": names(crabox_gate::Outcome::Fail),
    }))
}

/// Signs one attestation per predicate; with no artifact there is no subject and nothing is
/// attested (said in the log).
#[allow(clippy::too_many_arguments)]
pub fn attest(
    run: &Run<'_>,
    dir: &Path,
    signer: &Identity,
    subjects: &[(String, sigstore_types::Sha256Hash)],
    sboms: &[(SbomFormat, String)],
    audit_json: Option<&Path>,
    gate: &crabox_gate::Report,
    time: i64,
) -> anyhow::Result<Vec<String>> {
    let Some((_, first)) = subjects.first() else {
        tracing::info!(
            "attestations: none, no artifact to attest (`--artifact` or `[sbom] artifacts`)"
        );
        return Ok(Vec::new());
    };
    let now = crabox_types::rfc3339(time).context("timestamp out of range")?;
    let version = env!("CARGO_PKG_VERSION");
    let mut predicates: Vec<(Kind, serde_json::Value)> = Vec::new();
    match attestation::provenance(|name| run.var(name)) {
        Ok(predicate) => predicates.push((Kind::SlsaProvenance, predicate)),
        Err(missing) => tracing::info!(
            "attestations: no SLSA provenance, which describes a GitHub Actions run ({} not set)",
            missing.join(", ")
        ),
    }
    for (format, text) in sboms {
        let kind = match format {
            SbomFormat::CyclonedxJson => Kind::Cyclonedx,
            SbomFormat::SpdxJson => Kind::Spdx,
            // One SPDX attestation (of SPDX 2.3, which attestation verifiers read); the SPDX
            // 3.0.1 file is covered by the signed manifest.
            SbomFormat::Spdx3Json => continue,
        };
        predicates.push((kind, serde_json::from_str(text)?));
    }
    if let Some(path) = audit_json {
        let report: serde_json::Value = serde_json::from_str(&fs_err::read_to_string(path)?)?;
        let predicate = attestation::predicate(Kind::Vulns, report, version, &now)
            .map_err(|why| anyhow::anyhow!("the audit report: {why}"))?;
        predicates.push((Kind::Vulns, predicate));
    }
    predicates.push((Kind::TestResult, test_result(gate)?));
    let mut files = Vec::new();
    for (kind, predicate) in predicates {
        let statement = attestation::statement(subjects, kind, &predicate);
        let bundle = signer.sign(*first, Some(&statement))?;
        let json = bundle
            .to_json_pretty()
            .context("could not encode the bundle")?;
        files.push(write(
            dir,
            &format!("attestations/{}.sigstore.json", kind.name()),
            format!("{json}\n").as_bytes(),
        )?);
    }
    Ok(files)
}
