//! `crabox bundle`: the steps in one process (SBOM and audit side by side), their outputs, the
//! manufacturer's declarations and the CRA report assembled in a temporary directory beside the
//! destination, the manifest signed, then the directory renamed into place and archived. A step
//! that cannot run is recorded in the report with the reason.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use crabox_cli::{AuditArgs, BundleArgs};
use crabox_config::file::{SbomFormat, SignMode};
use crabox_evidence::article14;
use crabox_evidence::manifest::{
    self, Digested, Inputs, MANIFEST, MANIFEST_SIGNATURE, Manifest, Tool,
};
use crabox_evidence::report::Report;
use crabox_evidence::requirements::{self, AuditFacts, Facts, Status};
use crabox_report::atomic;

use crate::commands::sign::{self as signing, Identity};
use crate::{Context, ExitStatus, UsageError};

/// Runs `step`, logging its duration on stderr.
fn timed<T>(name: &str, step: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = step();
    tracing::info!("{name}: {} ms", start.elapsed().as_millis());
    value
}

/// The bundle's directory name: the product and version as one safe path component (both are
/// untrusted text: a product name of `../../x` must not leave `--out`).
fn bundle_name(product: &str, version: &str) -> String {
    crabox_types::file_name::component(&format!("{product}-{version}"))
}

/// Writes one file of the bundle; `relative` is checked to stay under `dir`.
fn write(dir: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<String> {
    atomic::write_under(dir, relative, bytes)?;
    Ok(relative.to_owned())
}

/// Puts the finished directory `new` at `destination` and the bundle that was there at
/// `previous`. On Linux one `renameat2(RENAME_EXCHANGE)`: there is no moment without a whole
/// bundle at `destination`. Elsewhere two renames; a run killed between them leaves the previous
/// bundle at `previous`, which the next run puts back.
fn swap_into_place(new: &Path, destination: &Path, previous: &Path) -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        renameat_with(CWD, new, CWD, destination, RenameFlags::EXCHANGE).with_context(|| {
            format!(
                "could not put the bundle in place at {}",
                destination.display()
            )
        })?;
        fs_err::rename(new, previous)?;
    }
    #[cfg(not(target_os = "linux"))]
    {
        fs_err::rename(destination, previous)?;
        if let Err(err) = fs_err::rename(new, destination) {
            let _ = fs_err::rename(previous, destination);
            let _ = fs_err::remove_dir_all(new);
            return Err(err.into());
        }
    }
    Ok(())
}

/// Whether the process `pid` is gone (only known where `/proc` exists; elsewhere assumed alive,
/// so nothing of a concurrent run is touched).
fn gone(pid: u32) -> bool {
    cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Leftovers of runs that were killed: a previous bundle moved aside is put back when the bundle
/// is missing (else removed), and temporary directories and archives are removed.
fn recover(out: &Path, name: &str) -> anyhow::Result<()> {
    let destination = out.join(name);
    let prefix = format!(".{name}.");
    for entry in fs_err::read_dir(out)? {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let (previous, pid) = match (rest.strip_prefix("previous-"), rest.strip_prefix("tmp-")) {
            (Some(pid), _) => (true, pid),
            (None, Some(rest)) => (false, rest.split('-').next().unwrap_or_default()),
            (None, None) => continue,
        };
        if !pid.parse().is_ok_and(gone) {
            continue;
        }
        let path = entry.path();
        if previous && !destination.exists() {
            tracing::warn!("putting back the bundle an interrupted run had moved aside");
            fs_err::rename(&path, &destination)?;
        } else if path.is_dir() {
            fs_err::remove_dir_all(&path)?;
        } else {
            fs_err::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Writes the gate's report (`gate/results.json`, `gate/junit.xml`, and the repository and
/// workflow checks as `gate/repo-checks.json`) and sums it up for the CRA report.
fn gate_facts(dir: &Path, report: &crabox_gate::Report) -> anyhow::Result<requirements::GateFacts> {
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
    let outcome_of = |code| {
        report
            .checks
            .iter()
            .find(|c| c.code == code && c.outcome != Outcome::NotApplicable && c.location.is_some())
            .map(|c| c.outcome != Outcome::Fail)
    };
    Ok(requirements::GateFacts {
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
    })
}

/// The attestations about the artifacts, signed: the SBOMs (CycloneDX and SPDX predicates), the
/// audit (`vulns`) and, in GitHub Actions, SLSA provenance. Each statement names every artifact
/// as a subject. What cannot be attested is recorded in `skipped` with the reason.
#[allow(clippy::too_many_arguments)]
fn attest(
    context: &Context,
    dir: &Path,
    signer: &Identity,
    subjects: &[(String, sigstore_types::Sha256Hash)],
    sboms: &[(SbomFormat, String)],
    audit_json: Option<&Path>,
    gate: Option<&crabox_gate::Report>,
    time: i64,
    skipped: &mut std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Vec<String>> {
    use crabox_sign::attest::{self as attestation, Kind};
    let Some((_, first)) = subjects.first() else {
        skipped.insert(
            "attest".into(),
            "no artifact to attest (`--artifact` or `[sbom] artifacts`)".into(),
        );
        return Ok(Vec::new());
    };
    let now = crabox_types::rfc3339(time).context("timestamp out of range")?;
    let version = env!("CARGO_PKG_VERSION");
    let mut predicates: Vec<(Kind, serde_json::Value)> = Vec::new();
    match attestation::provenance(|name| context.env.var(name)) {
        Ok(predicate) => predicates.push((Kind::SlsaProvenance, predicate)),
        Err(missing) => {
            skipped.insert(
                "provenance".into(),
                format!(
                    "SLSA provenance describes a GitHub Actions run ({} not set)",
                    missing.join(", ")
                ),
            );
        }
    }
    for (format, text) in sboms {
        let kind = match format {
            SbomFormat::CyclonedxJson => Kind::Cyclonedx,
            SbomFormat::SpdxJson => Kind::Spdx,
        };
        predicates.push((kind, serde_json::from_str(text)?));
    }
    if let Some(path) = audit_json {
        let report: serde_json::Value = serde_json::from_str(&fs_err::read_to_string(path)?)?;
        let predicate = attestation::predicate(Kind::Vulns, report, version, &now)
            .map_err(|why| anyhow::anyhow!("the audit report: {why}"))?;
        predicates.push((Kind::Vulns, predicate));
    }
    if let Some(report) = gate {
        // test-result v0.1: every gate check a test; the gate's JSON report, by digest, is the
        // configuration that produced them.
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
        predicates.push((
            Kind::TestResult,
            serde_json::json!({
                "result": result,
                "configuration": [{
                    "name": "gate/results.json",
                    "digest": { "sha256": crabox_types::encoding::hex(&digest) },
                }],
                "passedTests": names(crabox_gate::Outcome::Pass),
                "warnedTests": names(crabox_gate::Outcome::Warn),
                "failedTests": names(crabox_gate::Outcome::Fail),
            }),
        ));
    }
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

/// The Article 14 section: the declared actively exploited vulnerabilities, and the open
/// findings whose CVE the KEV catalogue lists (aware since the bundle's time unless declared).
fn article14(
    root: &Path,
    evidence: &crabox_config::EvidenceSettings,
    open: &[(Vec<String>, String)],
    audit_skipped: Option<&String>,
    as_of: i64,
) -> anyhow::Result<article14::Article14> {
    let packages_of = |id: &str| -> Vec<String> {
        let mut packages: Vec<String> = open
            .iter()
            .filter(|(ids, _)| ids.iter().any(|i| i == id))
            .map(|(_, package)| package.clone())
            .collect();
        packages.sort();
        packages.dedup();
        packages
    };
    let mut exploited: Vec<article14::Exploited> = evidence
        .exploited
        .iter()
        .map(|e| article14::Exploited {
            id: e.id.clone(),
            packages: packages_of(&e.id),
            source: article14::Source::Declared,
            aware_since: e.aware_since.unix_seconds(),
            fix_available: e.fix_available.map(crabox_types::Timestamp::unix_seconds),
        })
        .collect();
    let mut sources = vec![format!(
        "`[evidence] exploited` ({} declared)",
        exploited.len()
    )];
    let mut unchecked = Vec::new();
    match &evidence.kev_catalog {
        Some(path) => {
            let file = root.join(path);
            let text = fs_err::read_to_string(&file).map_err(|e| {
                UsageError::new(format!("`[evidence] kev-catalog = \"{path}\"`: {e}"))
            })?;
            let kev = article14::read_kev(path, &text)
                .map_err(|e| UsageError::new(format!("`[evidence] kev-catalog`: {e}")))?;
            sources.push(format!("KEV catalogue {path} ({} CVEs)", kev.len()));
            for (ids, _) in open {
                let Some((cve, added)) = ids.iter().find_map(|id| kev.get_key_value(id)) else {
                    continue;
                };
                if exploited
                    .iter()
                    .any(|e| ids.contains(&e.id) || e.id == *cve)
                {
                    continue;
                }
                exploited.push(article14::Exploited {
                    id: cve.clone(),
                    packages: packages_of(cve),
                    source: article14::Source::Kev {
                        date_added: added.to_string(),
                    },
                    aware_since: as_of.max(added.days_since_epoch() * 86_400),
                    fix_available: None,
                });
            }
        }
        None => unchecked.push(
            "a CISA Known Exploited Vulnerabilities catalogue \
             (`[evidence] kev-catalog = \"known_exploited_vulnerabilities.json\"`)"
                .to_owned(),
        ),
    }
    if let Some(why) = audit_skipped {
        unchecked.push(format!(
            "the audit's findings (it did not run: {why}), so none was matched"
        ));
    }
    Ok(article14::deadlines(exploited, as_of, sources, unchecked))
}

#[allow(clippy::too_many_lines)] // the pipeline, step by step
pub fn run(context: &Context, args: &BundleArgs) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let loaded = context.load_config()?;
    let settings = &loaded.settings;
    let (repo, root) = context.repository()?;
    let scan_path = crate::commands::sbom::scan_path(context, args.path.as_deref(), &root);
    let product = crate::commands::sbom::product_name(settings, &root);
    let version = args
        .release
        .as_deref()
        .map(|t| t.trim_start_matches('v').to_owned())
        .or_else(|| settings.product.version.clone())
        .unwrap_or_else(|| "unversioned".to_owned());
    let name = bundle_name(&product, &version);
    let out = context
        .dir
        .join(args.out.as_deref().unwrap_or(Path::new("crabox-evidence")));
    fs_err::create_dir_all(&out)?;

    // The declarations must exist before anything runs: a named document that is missing is a
    // configuration error.
    let mut declarations = Vec::new();
    for (key, path) in &settings.evidence.documents {
        let source = root.join(path);
        if !source.is_file() {
            return Err(UsageError::new(format!(
                "`[evidence] {key} = \"{path}\"`: no such file in the repository"
            ))
            .into());
        }
        declarations.push((key.clone(), source));
    }
    let signer: Option<Identity> = if args.no_sign {
        None
    } else {
        match settings.sign.mode {
            SignMode::None => None,
            SignMode::Auto if settings.sign.key.is_none() => {
                signing::keyless(context, &settings.sign)?
            }
            _ => Some(signing::identity(context, None, &settings.sign)?),
        }
    };
    let unsigned_reason = if args.no_sign {
        "--no-sign"
    } else if settings.sign.mode == SignMode::None {
        "`[sign] mode = \"none\"`"
    } else {
        "no signing identity (no OIDC token and no `[sign] key`)"
    };

    recover(&out, &name)?;
    let pid = std::process::id();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-{pid}-"))
        .tempdir_in(&out)
        .with_context(|| format!("could not create a directory in {}", out.display()))?;
    let dir = temp.path();
    let mut facts = Facts::default();

    // SBOM and audit side by side.
    let artifact_paths: Vec<PathBuf> = args
        .artifact
        .iter()
        .map(|a| context.dir.join(a))
        .chain(settings.sbom.artifacts.iter().map(|a| root.join(a)))
        .collect();
    let audit_args = AuditArgs {
        path: args.path.clone(),
        db: args.db.clone(),
        fail_on: None,
        openvex: None,
        allow_unchecked: false,
    };
    // (The repository handle is not shared between threads: the SBOM, which reads it, runs
    // here, the audit beside it.)
    // The lockfiles are read once, for both steps.
    let inventory = timed("lockfiles", || {
        crate::commands::sbom::scan(context, settings, &root, scan_path.clone())
    })?;
    let audit_inventory = inventory.clone();
    let notes_args = crabox_cli::NotesArgs {
        path: args.path.clone(),
        from: None,
        to: None,
        db: args.db.clone(),
        output: None,
        csaf_dir: None,
        openvex: None,
        context: false,
    };
    let (sboms, assessment, notes) = std::thread::scope(|scope| {
        // The notes read the history with a repository handle of their own.
        let notes = scope.spawn(|| {
            timed("notes", || -> anyhow::Result<_> {
                let Some(repo) = crabox_git::Repo::discover(&root)? else {
                    return Err(UsageError::new("not a git repository").into());
                };
                let prepared =
                    crate::commands::notes::prepare(context, &loaded, &repo, &root, &notes_args)?;
                Ok(prepared)
            })
        });
        let audit = scope.spawn(|| {
            timed("audit", || {
                crate::commands::audit::assess(
                    context,
                    &loaded,
                    &audit_args,
                    &root,
                    Some(audit_inventory),
                )
            })
        });
        let sboms = timed("sbom", || {
            crate::commands::sbom::generate(
                context,
                settings,
                &root,
                repo.as_ref(),
                scan_path.clone(),
                Some(inventory),
                &artifact_paths,
                &[SbomFormat::CyclonedxJson, SbomFormat::SpdxJson],
            )
        });
        let assessment = audit
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the audit stopped unexpectedly")));
        let notes = notes
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the notes stopped unexpectedly")));
        (sboms, assessment, notes)
    });
    let sboms = sboms?;
    facts.skipped_lockfiles = sboms.inventory.skipped.len();
    let sbom_name = crabox_types::file_name::component(&product);
    for (format, text) in &sboms.documents {
        let extension = match format {
            SbomFormat::CyclonedxJson => "cdx.json",
            SbomFormat::SpdxJson => "spdx.json",
        };
        facts.sboms.push(write(
            dir,
            &format!("sbom/{sbom_name}.{extension}"),
            text.as_bytes(),
        )?);
    }
    let mut databases = Vec::new();
    // Open vulnerabilities: ids and aliases, and the package they are in.
    let mut open_ids: Vec<(Vec<String>, String)> = Vec::new();
    let mut audit_findings = None;
    match assessment {
        Ok(assessment) => {
            audit_findings = Some(assessment.outcome.clone());
            let outcome = &assessment.outcome;
            let version = env!("CARGO_PKG_VERSION");
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
                    crabox_audit::render::json(outcome, &assessment.databases).as_bytes(),
                )?,
                write(
                    dir,
                    "audit/findings.sarif",
                    crabox_audit::render::sarif(outcome, version).as_bytes(),
                )?,
            ];
            // OpenVEX needs a statement: with no vulnerability there is no document.
            if let Some(vex) =
                crate::commands::audit::openvex(context, settings, repo.as_ref(), &assessment)?
            {
                files.push(write(dir, "audit/vex.openvex.json", vex.as_bytes())?);
            }
            open_ids = open
                .iter()
                .map(|(f, _)| {
                    let mut ids = vec![f.id.clone()];
                    ids.extend(f.aliases.iter().cloned());
                    (ids, format!("{}@{}", f.package, f.version))
                })
                .collect();
            facts.audit = Some(AuditFacts {
                open: open.len(),
                open_with_fix: open.iter().filter(|(f, _)| f.fix.is_some()).count(),
                files,
                unchecked: outcome
                    .unchecked()
                    .map(|c| c.ecosystem.osv_name().to_owned())
                    .collect(),
            });
            databases = assessment
                .databases
                .iter()
                .map(|d| manifest::Database {
                    source: d.source.clone(),
                    id: d.id.clone(),
                })
                .collect();
        }
        Err(err) if err.downcast_ref::<UsageError>().is_some() => {
            tracing::warn!("audit: not run: {err}");
            facts.skipped.insert("audit".into(), err.to_string());
        }
        Err(err) => return Err(err.context("the audit failed")),
    }

    match notes {
        Ok(mut prepared) => {
            // The bundle's release names the version, tagged yet or not.
            prepared.release.version.clone_from(&version);
            let documents =
                crate::commands::notes::documents(settings, &root, &prepared, false, true)?;
            facts.notes.push(write(
                dir,
                "notes/release-notes.md",
                documents.notes.as_bytes(),
            )?);
            for (name, json) in &documents.csaf {
                facts
                    .csaf
                    .push(write(dir, &format!("notes/csaf/{name}"), json.as_bytes())?);
            }
            if let Some(json) = &documents.openvex {
                facts
                    .notes
                    .push(write(dir, "notes/release.openvex.json", json.as_bytes())?);
            }
            let security = &prepared.release.security;
            facts.notes_security = Some(requirements::NotesFacts {
                not_audited: security.not_audited.clone(),
                fixed: security.fixed.len(),
                known: security.open.len() + security.not_affected.len(),
            });
        }
        Err(err) if err.downcast_ref::<UsageError>().is_some() => {
            tracing::warn!("notes: not run: {err}");
            facts.skipped.insert("notes".into(), err.to_string());
        }
        Err(err) => return Err(err.context("the release notes failed")),
    }

    // The gate, with the audit's findings and the bundle's artifacts.
    let gate_args = crabox_cli::GateArgs {
        path: args.path.clone(),
        baseline: None,
        db: args.db.clone(),
        artifact: artifact_paths.clone(),
    };
    let gate_report = timed("gate", || {
        crate::commands::gate::evaluate(
            context,
            &loaded,
            repo.as_ref(),
            &root,
            &gate_args,
            &sboms.inventory,
            audit_findings.as_ref(),
        )
    })?;
    facts.gate = Some(gate_facts(dir, &gate_report)?);

    for (key, source) in &declarations {
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
        let source = root.join(policy);
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

    let commit = repo.as_ref().and_then(|r| r.head_commit().ok().flatten());
    let mtime = crate::commands::sbom::build_time(context, commit.as_ref())?;

    // Artifacts: checksums, and signatures when there is a signer.
    let mut subjects = Vec::new();
    if !artifact_paths.is_empty() {
        let mut sums = String::new();
        for path in &artifact_paths {
            // One read per artifact serves the checksum and the signature.
            let digest = crabox_sign::sign::sha256_file(path)?;
            let file_name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            // The name goes into SHA256SUMS lines and a file name of the bundle as it is.
            if !crabox_types::file_name::is_contained(&file_name) {
                return Err(UsageError::new(format!(
                    "artifact `{}`: its file name has a control character or a back-slash",
                    file_name.escape_debug()
                ))
                .into());
            }
            let _ = writeln!(sums, "{}  {file_name}", digest.to_hex());
            subjects.push((file_name.clone(), digest));
            if let Some(signer) = &signer {
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
    }
    if let Some(signer) = &signer {
        let audit_json = facts
            .audit
            .as_ref()
            .map(|_| dir.join("audit/findings.json"));
        facts.provenance = attest(
            context,
            dir,
            signer,
            &subjects,
            &sboms.documents,
            audit_json.as_deref(),
            Some(&gate_report),
            mtime,
            &mut facts.skipped,
        )?;
    }
    if signer.is_none() {
        facts
            .skipped
            .insert("sign".into(), unsigned_reason.to_owned());
    }

    let article14 = article14(
        &root,
        &settings.evidence,
        &open_ids,
        facts.skipped.get("audit"),
        mtime,
    )?;
    let rows = requirements::evaluate_all(&facts);
    let failed = rows.iter().any(|r| r.status == Status::Fail);
    let report = Report::new(&product, &version, rows).with_article14(article14);
    write(dir, "cra/report.json", report.to_json().as_bytes())?;
    write(dir, "cra/report.md", report.to_markdown().as_bytes())?;
    let p = &settings.product;
    let item =
        |item, value: Option<String>, key| crabox_evidence::report::UserItem { item, value, key };
    let user = crabox_evidence::report::user_information(
        &product,
        &version,
        &[
            item(
                "(1) Manufacturer: name",
                p.manufacturer.clone(),
                "[product] manufacturer",
            ),
            item(
                "(1) Manufacturer: contact address",
                p.manufacturer_contact.clone(),
                "[product] manufacturer-contact",
            ),
            item(
                "(2) Single point of contact for reporting vulnerabilities",
                p.security_contact.clone(),
                "[product] security-contact",
            ),
            item(
                "(2) Coordinated vulnerability disclosure policy",
                facts.cvd_policy.clone(),
                "[product] cvd-policy",
            ),
            item(
                "(3) Product name and version",
                Some(format!("{product} {version}")),
                "[product] name, version",
            ),
            item(
                "(4) Intended purpose",
                p.intended_purpose.clone(),
                "[product] intended-purpose",
            ),
            item(
                "(7) End of the support period",
                p.support_end.map(|d| d.to_string()),
                "[product] support-end",
            ),
            item(
                "(9) Software bill of materials",
                facts.sboms.first().cloned(),
                "(written by crabox sbom)",
            ),
        ],
    );
    write(dir, "cra/user-information.md", user.as_bytes())?;
    let declared = |key: &str| {
        facts
            .declarations
            .get(key)
            .cloned()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let mut process = facts.sboms.clone();
    process.extend(facts.cvd_policy.clone());
    process.extend(facts.signatures.iter().cloned());
    process.extend(facts.notes.iter().cloned());
    process.extend(facts.csaf.iter().cloned());
    let tests: Vec<String> = facts
        .audit
        .as_ref()
        .map(|a| a.files.clone())
        .unwrap_or_default();
    let index = crabox_evidence::report::technical_documentation(
        &product,
        &version,
        &[
            (
                "1. General description, intended purpose, versions",
                vec!["cra/user-information.md".to_owned()],
            ),
            (
                "2. Design, development and vulnerability handling (SBOM, disclosure policy, update distribution)",
                process,
            ),
            (
                "3. Cybersecurity risk assessment",
                declared("risk-assessment"),
            ),
            (
                "4. Support period",
                vec!["cra/user-information.md".to_owned()],
            ),
            (
                "5. Harmonised standards and specifications applied",
                Vec::new(),
            ),
            (
                "6. Reports of the tests carried out (vulnerability audit; security tests)",
                tests,
            ),
            ("7. EU declaration of conformity", Vec::new()),
            ("8. Software bill of materials", facts.sboms.clone()),
        ],
    );
    write(dir, "cra/technical-documentation.md", index.as_bytes())?;
    write(
        dir,
        "cra/report.html",
        report.to_html(env!("CARGO_PKG_VERSION")).as_bytes(),
    )?;
    if let Some(Identity::Keyless { .. }) = &signer {
        let root_path = settings.sign.trusted_root.as_ref().map(|p| root.join(p));
        let json = crabox_sign::verify::trusted_root_json(root_path.as_deref())?;
        write(dir, "trust/trusted_root.json", json.as_bytes())?;
    }

    let mut lockfiles = Vec::new();
    for lockfile in &sboms.inventory.lockfiles {
        let (_, sha256) = manifest::digest_file(&root.join(&lockfile.path))?;
        lockfiles.push(Digested {
            path: lockfile.path.clone(),
            sha256,
        });
    }
    let dirty = match repo.as_ref().map(crabox_git::Repo::is_dirty) {
        Some(Ok(dirty)) => {
            if dirty {
                tracing::warn!(
                    "the working tree has uncommitted changes: the bundle is marked dirty and \
                     describes more than its commit"
                );
            }
            Some(dirty)
        }
        Some(Err(err)) => {
            tracing::warn!("could not tell whether the working tree is dirty: {err}");
            None
        }
        None => None,
    };
    let inputs = Inputs {
        repository: repo.as_ref().and_then(crabox_git::Repo::remote_url),
        commit: commit.as_ref().map(|c| c.id.clone()),
        tag: args.release.clone(),
        dirty,
        lockfiles,
        databases,
        skipped_lockfiles: sboms
            .inventory
            .skipped
            .iter()
            .map(|s| manifest::SkippedInput {
                path: s.path.to_string_lossy().replace('\\', "/"),
                rule: s.rule.clone(),
            })
            .collect(),
    };
    let tool = Tool {
        name: "crabox".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let manifest = Manifest::of_directory(dir, tool, inputs)?;
    let manifest_bytes = manifest.to_bytes();
    write(dir, MANIFEST, &manifest_bytes)?;
    match &signer {
        Some(signer) => {
            let (_, digest) = crabox_types::digest::sha256_reader(manifest_bytes.as_slice())?;
            let bundle = signer.sign(sigstore_types::Sha256Hash::new(digest), None)?;
            let json = bundle
                .to_json_pretty()
                .context("could not encode the bundle")?;
            write(dir, MANIFEST_SIGNATURE, format!("{json}\n").as_bytes())?;
        }
        None => tracing::warn!("the bundle is not signed: {unsigned_reason}"),
    }

    // The archive first, from the finished directory; then both renamed into place. The new
    // directory replaces the previous one only once it is complete, and the previous one is
    // moved aside (not deleted) until then: a run killed at any point leaves a whole bundle.
    let archive_temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-{pid}-"))
        .suffix(".tar.gz")
        .tempfile_in(&out)?;
    {
        let mut writer = std::io::BufWriter::new(archive_temp.as_file());
        crabox_evidence::archive::write(
            dir,
            &name,
            u64::try_from(mtime).unwrap_or(0),
            &mut writer,
        )?;
        std::io::Write::flush(&mut writer)?;
    }
    // Temporary files and directories are private (0600, 0700); the bundle is not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        archive_temp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        fs_err::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    }
    archive_temp.as_file().sync_all()?;
    let destination = out.join(&name);
    let archive = out.join(format!("{name}.tar.gz"));
    let temp_path = temp.keep();
    let previous = out.join(format!(".{name}.previous-{pid}"));
    let had_previous = destination.exists();
    if had_previous {
        swap_into_place(&temp_path, &destination, &previous)?;
    } else if let Err(err) = fs_err::rename(&temp_path, &destination) {
        let _ = fs_err::remove_dir_all(&temp_path);
        return Err(err.into());
    }
    archive_temp
        .persist(&archive)
        .with_context(|| format!("could not write {}", archive.display()))?;
    if had_previous {
        fs_err::remove_dir_all(&previous)?;
    }
    tracing::info!(
        "bundle: {} ms; {} pass, {} fail, {} declared, {} missing",
        started.elapsed().as_millis(),
        report.summary.pass,
        report.summary.fail,
        report.summary.declared,
        report.summary.missing
    );
    context.print(&format!(
        "{}\n{}\n",
        context.display_path(&destination),
        context.display_path(&archive)
    ))?;
    if let Some(actions) = &context.actions {
        actions.append_summary(&report.to_markdown())?;
        actions.set_output("bundle", &context.display_path(&destination))?;
        actions.set_output("archive", &context.display_path(&archive))?;
        actions.set_output("signed", if signer.is_some() { "true" } else { "false" })?;
        for (name, count) in [
            ("pass", report.summary.pass),
            ("fail", report.summary.fail),
            ("missing", report.summary.missing),
        ] {
            actions.set_output(name, &count.to_string())?;
        }
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
