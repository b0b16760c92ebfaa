//! The bundle's files of each step, and the typed facts the CRA report reads of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_evidence::article14::{self, Awareness, Carried, Exploited, Source};
use crabox_evidence::requirements::{AuditFacts, Facts, GateFacts, OpenVulnerability};

use super::write;
use crate::assess::Assessment;
use crate::databases::Databases;
use crate::sign::Identity;
use crate::{Error, Reason, Run};

/// Writes the audit's reports (`audit/findings.json`, `.sarif`, and OpenVEX when there is a
/// vulnerability); returns its facts and the open vulnerabilities (ids and aliases, package).
pub fn audit(
    run: &Run<'_>,
    dir: &Path,
    databases: &Databases,
    assessment: &Assessment,
    times: (i64, i64),
    packages: usize,
) -> anyhow::Result<(AuditFacts, Vec<article14::Open>)> {
    let (time, report_time) = times;
    let outcome = &assessment.outcome;
    let open: Vec<_> = outcome
        .findings
        .iter()
        .filter(|(f, s)| {
            *s == crabox_audit::policy::Status::Open
                && f.kind == crabox_audit::advisory::Kind::Vulnerability
        })
        .collect();
    let mut files = vec![
        write(
            dir,
            "audit/findings.json",
            crabox_audit::render::json(outcome, &databases.info).as_bytes(),
        )?,
        write(
            dir,
            "audit/findings.sarif",
            crabox_audit::render::sarif(outcome, env!("CARGO_PKG_VERSION")).as_bytes(),
        )?,
    ];
    // OpenVEX needs a statement: with no vulnerability there is no document.
    if let Some(vex) = crate::assess::openvex(run, databases, assessment, time)? {
        files.push(write(dir, "audit/vex.openvex.json", vex.as_bytes())?);
    }
    let ids = open
        .iter()
        .map(|(f, _)| {
            let mut ids = vec![f.id.clone()];
            ids.extend(f.aliases.iter().cloned());
            (ids, format!("{}@{}", f.package, f.version))
        })
        .collect();
    let facts = AuditFacts {
        packages,
        open: open.len(),
        open_with_fix: open.iter().filter(|(f, _)| f.fix.is_some()).count(),
        ignored_with_fix: outcome
            .findings
            .iter()
            .filter(|(f, s)| {
                matches!(s, crabox_audit::policy::Status::Ignored { .. })
                    && f.kind == crabox_audit::advisory::Kind::Vulnerability
                    && f.fix.is_some()
            })
            .count(),
        database_age_days: databases
            .oldest
            .map(|date| (report_time - date).max(0) / 86_400),
        max_age_days: run.settings().audit.max_age,
        files,
        unchecked: outcome
            .unchecked()
            .map(|c| c.ecosystem.osv_name().to_owned())
            .collect(),
        vulnerabilities: open_vulnerabilities(outcome, report_time),
    };
    Ok((facts, ids))
}

/// The open vulnerabilities and the ignored ones with a released fix, each with its age at the
/// report time (a publication date after it gives no age).
fn open_vulnerabilities(
    outcome: &crabox_audit::policy::Outcome,
    report_time: i64,
) -> Vec<OpenVulnerability> {
    use crabox_audit::policy::Status;
    let today = report_time.div_euclid(86_400);
    let mut list: Vec<OpenVulnerability> = outcome
        .findings
        .iter()
        .filter(|(f, _)| f.kind == crabox_audit::advisory::Kind::Vulnerability)
        .filter_map(|(f, status)| {
            let status = match status {
                Status::Open => "open",
                Status::Ignored { .. } if f.fix.is_some() => "ignored",
                _ => return None,
            };
            let age_days = f
                .published
                .as_deref()
                .and_then(|p| p.parse::<crabox_types::Date>().ok())
                .map(|d| today - d.days_since_epoch())
                .filter(|age| *age >= 0);
            Some(OpenVulnerability {
                id: f.id.clone(),
                aliases: f.aliases.clone(),
                package: format!("{}@{}", f.package, f.version),
                ecosystem: f.ecosystem.osv_name().to_owned(),
                fix: f.fix.clone(),
                status,
                published: f.published.clone(),
                age_days,
            })
        })
        .collect();
    // Oldest first; those of unknown age last.
    list.sort_by(|a, b| {
        b.age_days
            .cmp(&a.age_days)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.package.cmp(&b.package))
    });
    list.dedup();
    list
}

/// Writes the gate's report (`gate/results.json`, `gate/junit.xml`, and the repository and
/// workflow checks as `gate/repo-checks.json`) and sums it up for the CRA report.
pub fn gate(dir: &Path, report: &crabox_gate::Report) -> anyhow::Result<GateFacts> {
    use crabox_gate::{Category, Outcome};
    use crabox_types::codes;
    let mut files = vec![
        write(
            dir,
            "gate/results.json",
            crabox_gate::render::json(report).as_bytes(),
        )?,
        write(
            dir,
            "gate/junit.xml",
            crabox_gate::render::junit(report).as_bytes(),
        )?,
    ];
    let repository = crabox_gate::Report::new(
        report
            .checks
            .iter()
            .filter(|c| matches!(c.category, Category::Repository | Category::Workflows))
            .cloned()
            .collect(),
    );
    files.push(write(
        dir,
        "gate/repo-checks.json",
        crabox_gate::render::json(&repository).as_bytes(),
    )?);
    let count = |keep: &dyn Fn(&crabox_gate::Check) -> bool| {
        let checked: Vec<_> = report
            .checks
            .iter()
            .filter(|c| keep(c) && c.outcome != Outcome::NotApplicable)
            .collect();
        (
            checked
                .iter()
                .filter(|c| c.outcome == Outcome::Fail)
                .count(),
            checked.len(),
        )
    };
    let attack_surface =
        count(&|c| c.category == Category::Workflows || c.code == codes::REPO_BINARY_ARTIFACT);
    let hardening = count(&|c| c.category == Category::Hardening);
    let commands = count(&|c| c.category == Category::Commands);
    // A file's check, when the file exists (a missing file is missing evidence, not a failure
    // of the file).
    // Only a pass is a pass: a SECURITY.md the gate warns about lacks an element.
    let outcome_of = |code| {
        report
            .checks
            .iter()
            .find(|c| c.code == code && c.outcome != Outcome::NotApplicable && c.location.is_some())
            .map(|c| c.outcome == Outcome::Pass)
    };
    Ok(GateFacts {
        files,
        attack_surface,
        hardening: (hardening.1 > 0).then_some(hardening),
        commands: (commands.1 > 0).then_some(commands),
        // With no workflow at all the workflow checks are one `not-applicable`.
        ci_workflow: report
            .checks
            .iter()
            .any(|c| c.category == Category::Workflows && c.outcome != Outcome::NotApplicable),
        security_policy: outcome_of(codes::REPO_SECURITY_POLICY),
        security_txt: outcome_of(codes::REPO_SECURITY_TXT),
        failures: report.summary.fail,
    })
}

/// Copies the declared documents, the CVD policy and the security contact into the bundle.
pub fn declarations(
    run: &Run<'_>,
    dir: &Path,
    declarations: &[(String, PathBuf)],
    facts: &mut Facts,
) -> anyhow::Result<()> {
    let settings = run.settings();
    for (key, source) in declarations {
        let file_name = source
            .file_name()
            .map_or_else(|| key.clone(), |n| n.to_string_lossy().into_owned());
        let bytes = fs_err::read(source)?;
        let path = write(
            dir,
            &format!(
                "declarations/{}/{}",
                crabox_types::file_name::component(key),
                crabox_types::file_name::component(&file_name)
            ),
            &bytes,
        )?;
        facts.declarations.insert(key.clone(), path);
    }
    facts.not_applicable = settings.evidence.not_applicable.clone();
    if let Some(policy) = &settings.product.cvd_policy {
        let source = run.scope.root.join(policy);
        if let Ok(bytes) = fs_err::read(&source) {
            let file_name = source.file_name().map_or_else(
                || "cvd-policy".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            );
            facts.cvd_policy = Some(write(
                dir,
                &format!(
                    "declarations/cvd-policy/{}",
                    crabox_types::file_name::component(&file_name)
                ),
                &bytes,
            )?);
        }
    }
    facts
        .security_contact
        .clone_from(&settings.product.security_contact);
    Ok(())
}

/// `artifacts/SHA256SUMS`, and a signature per artifact when there is a signer; returns the
/// artifacts as attestation subjects.
pub fn artifacts(
    dir: &Path,
    paths: &[PathBuf],
    signer: Option<&Identity>,
    facts: &mut Facts,
) -> anyhow::Result<Vec<(String, sigstore_types::Sha256Hash)>> {
    let mut subjects = Vec::new();
    if paths.is_empty() {
        return Ok(subjects);
    }
    let mut sums = String::new();
    for path in paths {
        // One read per artifact serves the checksum and the signature.
        let digest = crabox_sign::sign::sha256_file(path)?;
        let file_name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        // The name goes into SHA256SUMS lines and a file name of the bundle as it is.
        if !crabox_types::file_name::is_contained(&file_name) {
            return Err(Error::Artifact {
                path: file_name.escape_debug().to_string(),
                message: "its file name has a control character or a back-slash".to_owned(),
            }
            .into());
        }
        let _ = writeln!(sums, "{}  {file_name}", digest.to_hex());
        subjects.push((file_name.clone(), digest));
        if let Some(signer) = signer {
            let bundle = signer.sign(digest, None)?;
            let json = bundle
                .to_json_pretty()
                .context("could not encode the bundle")?;
            facts.signatures.push(write(
                dir,
                &format!("artifacts/{file_name}.sigstore.json"),
                format!("{json}\n").as_bytes(),
            )?);
        }
    }
    facts.checksums = Some(write(dir, "artifacts/SHA256SUMS", sums.as_bytes())?);
    Ok(subjects)
}

/// The Article 14 section from `[evidence] exploited`, the KEV catalogue the repository carries,
/// the open findings and what earlier bundles recorded.
pub fn article14(
    run: &Run<'_>,
    open: &[article14::Open],
    audit_not_run: Option<&Reason>,
    carried: &BTreeMap<String, Carried>,
    as_of: i64,
) -> anyhow::Result<article14::Article14> {
    let evidence = &run.settings().evidence;
    let declared = evidence
        .exploited
        .iter()
        .map(|e| Exploited {
            id: e.id.clone(),
            packages: Vec::new(),
            source: Source::Declared,
            aware_since: e.aware_since.unix_seconds(),
            fix_available: e.fix_available.map(crabox_types::Timestamp::unix_seconds),
            awareness: Awareness::Declared,
            note: None,
        })
        .chain(evidence.incidents.iter().map(|i| Exploited {
            id: i.id.clone(),
            packages: Vec::new(),
            source: Source::Incident,
            aware_since: i.aware_since.unix_seconds(),
            fix_available: None,
            awareness: Awareness::Declared,
            note: None,
        }))
        .collect();
    let kev = match &evidence.kev_catalog {
        Some(path) => {
            let text =
                fs_err::read_to_string(run.scope.root.join(path)).map_err(|e| Error::Kev {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            let kev = article14::read_kev(path, &text).map_err(|e| Error::Kev {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Some((path.as_str(), kev))
        }
        None => None,
    };
    let mut section = article14::assess(article14::Inputs {
        declared,
        kev: kev.as_ref().map(|(path, kev)| (*path, kev)),
        open,
        audit_not_run,
        carried,
        as_of,
    });
    section
        .member_state
        .clone_from(&run.settings().product.member_state);
    Ok(section)
}
