//! `crabox gate`: the security regression gate. The lockfiles and their audit against the policy
//! of `[gate]`, the baseline (the previous release's lockfiles read from git, or an earlier
//! evidence bundle), the security test commands, the repository and workflow checks, and the
//! hardening of `--artifact` binaries; exit 1 when any check fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crabox_audit::policy::Status;
use crabox_cli::{AuditArgs, Format, GateArgs};
use crabox_gate::baseline::{self, Snapshot};
use crabox_gate::policy::{self, Policy};
use crabox_gate::{Advisory, Category, Check, Outcome, Package, Report, Source};
use crabox_notes::range::TagPattern;
use crabox_sbom::Inventory;
use crabox_types::codes;

use crate::{Context, ExitStatus, UsageError};

/// Default time limit of a security test command, in seconds.
const DEFAULT_TIMEOUT: u64 = 600;

/// The packages of an inventory as the gate sees them.
fn packages(inventory: &Inventory) -> Vec<Package> {
    inventory
        .lockfiles
        .iter()
        .flat_map(|l| {
            l.packages.iter().filter(|p| !p.is_root).map(|p| Package {
                ecosystem: p.ecosystem.osv_name().to_owned(),
                name: p.name.clone(),
                version: p.version.clone(),
                source: match &p.source {
                    crabox_sbom::model::Source::Registry => Source::Registry,
                    crabox_sbom::model::Source::OtherRegistry(url) => {
                        Source::OtherRegistry(url.clone())
                    }
                    crabox_sbom::model::Source::Git { url, .. } => Source::Git(url.clone()),
                    crabox_sbom::model::Source::Path(path) => Source::Path(path.clone()),
                    crabox_sbom::model::Source::Url(url) => Source::Url(url.clone()),
                },
                licenses: p.licenses.clone(),
                file: l.path.clone(),
                line: p.line,
            })
        })
        .collect()
}

/// The audit's findings as the gate sees them.
fn advisories(findings: &[(crabox_audit::Finding, Status)]) -> Vec<Advisory> {
    findings
        .iter()
        .map(|(f, status)| Advisory {
            id: f.id.clone(),
            kind: f.kind.as_str().to_owned(),
            ecosystem: f.ecosystem.osv_name().to_owned(),
            package: f.package.clone(),
            version: f.version.clone(),
            severity: f.severity,
            open: *status == Status::Open,
            file: f.file.clone(),
            line: f.line,
        })
        .collect()
}

/// `(package, expression)` pairs the licence policy refuses.
fn license_violations(packages: &[Package], policy: &Policy) -> Vec<(String, String)> {
    if policy.allow.is_empty() && policy.deny.is_empty() {
        return Vec::new();
    }
    packages
        .iter()
        .flat_map(|p| {
            p.licenses
                .iter()
                .filter(|e| policy::license_problem(e, &policy.allow, &policy.deny).is_some())
                .map(move |e| (format!("{} {}", p.name, p.version), e.clone()))
        })
        .collect()
}

/// Whether a security policy file (where the repository check looks for one) is among `paths`.
fn has_security_policy(paths: impl IntoIterator<Item = String>) -> bool {
    paths
        .into_iter()
        .any(|p| crabox_gate::repo::SECURITY_POLICY_FILES.contains(&p.as_str()))
}

/// How far a baseline archive may expand: it is read into memory, never unpacked to disk.
const BASELINE_LIMITS: crabox_evidence::archive::Limits = crabox_evidence::archive::Limits {
    compressed: 256 << 20,
    total: 512 << 20,
    entry: 256 << 20,
    entries: 10_000,
    depth: 16,
    ratio: 200,
};

/// What the gate could tell of a baseline bundle's manifest signature.
enum BaselineSignature {
    None,
    /// Verified with the project's public key (the `.pub` beside `[sign] key`).
    Verified(String),
    /// Present and over this manifest, but there is no key to check who made it.
    Unauthenticated,
}

/// The public key beside `[sign] key` (`release.key` -> `release.pub`), if there is one.
fn project_public_key(settings: &crabox_config::Settings, root: &Path) -> Option<PathBuf> {
    let key = root.join(settings.sign.key.as_ref()?);
    let public = key.with_extension("pub");
    public.is_file().then_some(public)
}

/// An earlier bundle (a directory or a `.tar.gz`) as a baseline: checked against its manifest
/// first (a bundle that does not verify, or has entries its manifest does not list, is refused),
/// then the files the baseline needs read into memory. Its signature is credited only when it
/// verifies with the project's public key; a signature that does not sign this manifest, or that
/// the key does not verify, refuses the baseline.
fn baseline_bundle(
    path: &Path,
    shown: &str,
    public_key: Option<&Path>,
) -> anyhow::Result<(baseline::BundleFiles, BaselineSignature)> {
    let refuse = |message: String| UsageError::new(format!("--baseline `{shown}`: {message}"));
    let (checked, mut files) = if path.is_dir() {
        let checked = crabox_evidence::check::directory(path).map_err(|e| refuse(e.to_string()))?;
        let mut files = std::collections::BTreeMap::new();
        let listed = checked.manifest.files.iter().map(|f| f.path.as_str());
        for name in baseline::wanted_files(listed) {
            let bytes = fs_err::read(path.join(name)).map_err(|e| refuse(e.to_string()))?;
            files.insert(name.to_owned(), bytes);
        }
        (checked, files)
    } else {
        let archive = crabox_evidence::archive::read(path, &BASELINE_LIMITS)
            .map_err(|e| refuse(e.to_string()))?;
        let checked = crabox_evidence::check::in_memory(shown, &archive)
            .map_err(|e| refuse(e.to_string()))?;
        (checked, archive.files)
    };
    if !checked.problems.is_empty() {
        let problems: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
        return Err(refuse(format!(
            "the bundle does not verify against its manifest, so it is not used: {}",
            problems.join("; ")
        ))
        .into());
    }
    let listed = checked.manifest.files.iter().map(|f| f.path.as_str());
    let wanted: BTreeSet<&str> = baseline::wanted_files(listed).into_iter().collect();
    files.retain(|name, _| wanted.contains(name.as_str()));
    let signed = match &checked.signature {
        None => BaselineSignature::None,
        Some(bytes) => {
            let (_, digest) =
                crabox_types::digest::sha256_reader(checked.manifest_bytes.as_slice())?;
            let bundle = sigstore_types::Bundle::from_json(&String::from_utf8_lossy(bytes))
                .map_err(|e| {
                    refuse(format!(
                        "manifest.sigstore.json: not a Sigstore bundle: {e}"
                    ))
                })?;
            let digest = sigstore_types::Sha256Hash::new(digest);
            crabox_sign::verify::signs_digest(&bundle, &digest)
                .map_err(|e| refuse(format!("manifest.sigstore.json: {e}")))?;
            match public_key {
                None => BaselineSignature::Unauthenticated,
                Some(public) => {
                    let text = fs_err::read_to_string(public)?;
                    let key = crabox_sign::keys::load_public(&public.display().to_string(), &text)
                        .map_err(|e| refuse(e.to_string()))?;
                    // Key-based bundles without a log entry need no trusted root; one with a
                    // log entry is checked against the public-good root.
                    let root = crabox_sign::verify::trusted_root(None)?;
                    let signer = crabox_sign::verify::Signer::Key(key);
                    crabox_sign::verify::verify_digest(digest, &bundle, &signer, &root).map_err(
                        |e| {
                            refuse(format!(
                                "manifest.sigstore.json does not verify with {}: {e}",
                                public.display()
                            ))
                        },
                    )?;
                    BaselineSignature::Verified(public.display().to_string())
                }
            }
        }
    };
    let bundle = baseline::BundleFiles {
        label: shown.to_owned(),
        files,
        signature_verified: matches!(signed, BaselineSignature::Verified(_)),
    };
    Ok((bundle, signed))
}

pub fn run(context: &Context, args: &GateArgs) -> anyhow::Result<ExitStatus> {
    let loaded = context.load_config()?;
    let (repo, root) = context.repository()?;
    let scan_path = crate::commands::sbom::scan_path(context, args.path.as_deref(), &root);
    let inventory = crate::commands::sbom::scan(context, &loaded.settings, &root, scan_path)?;
    let report = evaluate(
        context,
        &loaded,
        repo.as_ref(),
        &root,
        args,
        &inventory,
        None,
    )?;
    let text = match context.global.format {
        Format::Human => crabox_gate::render::human(&report),
        Format::Json => crabox_gate::render::json(&report),
        Format::Junit => crabox_gate::render::junit(&report),
        Format::Sarif => crabox_gate::render::sarif(&report, env!("CARGO_PKG_VERSION")),
        Format::Markdown => crabox_gate::render::markdown(&report),
    };
    context.print(&text)?;
    if let Some(actions) = &context.actions {
        // Annotations on the lines that fail or warn, the Markdown report as the job summary,
        // and the counts as step outputs.
        let findings: Vec<crabox_report::Finding> = report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
            .map(|c| {
                let level = if c.outcome == Outcome::Fail {
                    crabox_types::Level::Error
                } else {
                    crabox_types::Level::Warning
                };
                let mut finding = crabox_report::Finding::new(
                    c.code,
                    level,
                    format!("{}: {}", c.name, c.message),
                );
                finding.location = c.location.as_ref().map(|l| {
                    if l.line > 0 {
                        crabox_report::Location::line(&l.file, l.line, None)
                    } else {
                        crabox_report::Location::file(&l.file)
                    }
                });
                finding
            })
            .collect();
        context.emit(&findings);
        actions.append_summary(&crabox_gate::render::markdown(&report))?;
        actions.set_output("passed", if report.passed { "true" } else { "false" })?;
        actions.set_output("failures", &report.summary.fail.to_string())?;
        actions.set_output("warnings", &report.summary.warn.to_string())?;
    }
    Ok(if report.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Every check of the gate for the lockfiles of `inventory`; the audit's `findings` when the
/// caller already has them (else the audit runs here).
#[allow(clippy::too_many_lines, clippy::too_many_arguments)] // the gate, group by group
pub fn evaluate(
    context: &Context,
    loaded: &crabox_config::Loaded,
    repo: Option<&crabox_git::Repo>,
    root: &Path,
    args: &GateArgs,
    inventory: &Inventory,
    audited: Option<&crabox_audit::policy::Outcome>,
) -> anyhow::Result<Report> {
    let settings = &loaded.settings;
    let root = root.to_owned();
    let gate = &settings.gate;
    let policy = Policy {
        fail_on: Some(gate.fail_on),
        allow: gate.licenses.allow.clone(),
        deny: gate.licenses.deny.clone(),
        bans: gate.bans.clone(),
        registries: gate.registries.clone(),
        git_sources: gate.git_sources.clone(),
    };
    let now_packages = packages(inventory);
    let mut checks: Vec<Check> = Vec::new();

    // The audit now, and the policy.
    let audit_args = AuditArgs {
        path: args.path.clone(),
        db: args.db.clone(),
        fail_on: None,
        openvex: None,
        allow_unchecked: false,
    };
    let unchecked = |outcome: &crabox_audit::policy::Outcome| -> Vec<String> {
        outcome
            .unchecked()
            .map(|c| c.ecosystem.osv_name().to_owned())
            .collect()
    };
    let assessed = match audited {
        Some(outcome) => Ok((advisories(&outcome.findings), unchecked(outcome))),
        None => crate::commands::audit::assess(
            context,
            loaded,
            &audit_args,
            &root,
            Some(inventory.clone()),
        )
        .map(|a| (advisories(&a.outcome.findings), unchecked(&a.outcome))),
    };
    let assessed = assessed.map(|(advisories, unchecked)| {
        for name in unchecked {
            checks.push(Check::new(
                Category::Policy,
                codes::GATE_VULNERABILITY,
                "vulnerabilities",
                Outcome::Fail,
                format!("{name}: could not be checked: no advisory database given covers {name}"),
            ));
        }
        advisories
    });
    let now_advisories = match assessed {
        Ok(advisories) => Some(advisories),
        Err(err) if err.downcast_ref::<UsageError>().is_some() => {
            checks.push(Check::new(
                Category::Policy,
                codes::GATE_VULNERABILITY,
                "vulnerabilities",
                Outcome::Fail,
                format!("could not be checked: {err}"),
            ));
            None
        }
        Err(err) => return Err(err),
    };
    let mut policy_checks = policy::check(
        &now_packages,
        now_advisories.as_deref().unwrap_or_default(),
        &policy,
    );
    if now_advisories.is_none() {
        policy_checks.retain(|c| c.code != codes::GATE_VULNERABILITY);
    }
    checks.extend(policy_checks);

    // The baseline.
    let wanted = args
        .baseline
        .clone()
        .unwrap_or_else(|| gate.baseline.clone());
    let now_snapshot = |label: &str| Snapshot {
        label: label.to_owned(),
        advisories: now_advisories.clone().unwrap_or_default(),
        license_violations: license_violations(&now_packages, &policy),
        evidence: {
            let mut evidence = BTreeSet::new();
            if !inventory.lockfiles.is_empty() {
                evidence.insert(baseline::SBOM);
            }
            let signing = settings.sign.mode != crabox_config::file::SignMode::None
                && (settings.sign.key.is_some()
                    || context.env.var("ACTIONS_ID_TOKEN_REQUEST_URL").is_some());
            if signing {
                evidence.insert(baseline::SIGNATURE);
            }
            let present = crabox_gate::repo::SECURITY_POLICY_FILES
                .iter()
                .filter(|p| root.join(p).is_file())
                .map(|p| (*p).to_owned());
            if has_security_policy(present) {
                evidence.insert(baseline::SECURITY_POLICY);
            }
            evidence
        },
    };
    let bundle_path = context.dir.join(&wanted);
    let before: Option<Snapshot> = if wanted != crabox_config::DEFAULT_BASELINE
        && (bundle_path.is_dir() || wanted.ends_with(".tar.gz"))
    {
        let public_key = project_public_key(settings, &root);
        let (bundle, signed) = baseline_bundle(&bundle_path, &wanted, public_key.as_deref())?;
        match signed {
            BaselineSignature::None => {}
            BaselineSignature::Verified(key) => tracing::info!(
                "gate: the baseline bundle's manifest signature verifies with {key}"
            ),
            BaselineSignature::Unauthenticated => checks.push(Check::new(
                Category::Baseline,
                codes::GATE_BASELINE_UNTRUSTED,
                "baseline signature",
                Outcome::Warn,
                format!(
                    "the baseline bundle `{wanted}` has a signature over its manifest, but no key to check who made it (`[sign] key` with its `.pub` beside it): its signature is not credited, so a signature missing now is not reported as lost"
                ),
            )),
        }
        let refuse = |p: &Package| {
            p.licenses
                .iter()
                .filter(|e| policy::license_problem(e, &policy.allow, &policy.deny).is_some())
                .cloned()
                .collect()
        };
        let mut snapshot = baseline::from_bundle(&bundle, refuse)
            .map_err(|e| UsageError::new(format!("--baseline: {e}")))?;
        snapshot.label = format!("the baseline bundle {wanted}");
        Some(snapshot)
    } else {
        match repo {
            None => None,
            Some(repo) => {
                let head = repo.resolve("HEAD").ok();
                let base = if wanted == crabox_config::DEFAULT_BASELINE {
                    let pattern = TagPattern::new(&settings.notes.tag_pattern)
                        .map_err(|e| UsageError::new(e.to_string()))?;
                    match &head {
                        Some(head) => crate::commands::notes::previous_release(
                            repo,
                            &repo.tags()?,
                            &pattern,
                            head,
                        )?
                        .map(|t| (t.commit, t.name)),
                        None => None,
                    }
                } else {
                    let commit = repo.resolve(&wanted).map_err(|_| {
                        UsageError::new(format!(
                            "--baseline `{wanted}` is neither an evidence bundle nor a git revision"
                        ))
                    })?;
                    Some((commit, wanted.clone()))
                };
                match base {
                    None => None,
                    Some((commit, name)) => {
                        let scan = args
                            .path
                            .as_ref()
                            .map(|p| context.dir.join(p))
                            .and_then(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf));
                        let old = crate::commands::notes::inventory_at(
                            repo,
                            &commit,
                            scan.as_deref(),
                            settings,
                        )?;
                        let old_packages = packages(&old);
                        let old_advisories = match &now_advisories {
                            Some(_) => {
                                let databases = crate::commands::audit::databases(
                                    context,
                                    settings,
                                    &args.db,
                                    &[&old],
                                )?;
                                let audit_policy = crate::commands::audit::policy_of(
                                    context,
                                    settings,
                                    &audit_args,
                                    &root,
                                )?;
                                let findings = crabox_audit::audit(&old.lockfiles, &databases);
                                advisories(
                                    &crabox_audit::policy::apply(findings, &audit_policy).findings,
                                )
                            }
                            None => Vec::new(),
                        };
                        let files = repo.files_at(&commit, |n| {
                            crabox_gate::repo::SECURITY_POLICY_FILES
                                .iter()
                                .any(|f| f.rsplit('/').next() == Some(n))
                        })?;
                        let mut evidence = BTreeSet::new();
                        if has_security_policy(files.into_iter().map(|f| f.path)) {
                            evidence.insert(baseline::SECURITY_POLICY);
                        }
                        Some(Snapshot {
                            label: format!("{name} (lockfiles read from git)"),
                            advisories: old_advisories,
                            license_violations: license_violations(&old_packages, &policy),
                            evidence,
                        })
                    }
                }
            }
        }
    };
    match &before {
        Some(before) => checks.extend(baseline::compare(before, &now_snapshot("this release"))),
        None => checks.push(Check::new(
            Category::Baseline,
            codes::GATE_BASELINE_MISSING,
            "baseline",
            Outcome::NotApplicable,
            if repo.is_none() {
                "not a git repository and no baseline bundle: nothing to compare with".to_owned()
            } else {
                format!(
                    "no previous release tag matching `{}` reachable from HEAD: a first release has nothing to compare with",
                    settings.notes.tag_pattern
                )
            },
        )),
    }

    // Security test commands.
    for command in &gate.commands {
        let limit = Duration::from_secs(command.timeout.unwrap_or(DEFAULT_TIMEOUT));
        tracing::info!("gate: running `{}`", command.name);
        checks.push(crabox_gate::commands::check(
            &command.name,
            &command.run,
            &root,
            limit,
            command.junit.as_deref(),
        ));
    }
    if gate.commands.is_empty() {
        checks.push(Check::new(
            Category::Commands,
            codes::GATE_COMMAND,
            "security test commands",
            Outcome::NotApplicable,
            "no `[gate] commands`",
        ));
    }

    // Repository practices and workflows, as of now (security.txt expiry is real time).
    checks.extend(crabox_gate::repo::checks(&root, crabox_types::unix_now()));
    checks.extend(crabox_gate::workflows::checks(&root));

    // Binary hardening.
    for artifact in &args.artifact {
        let path = context.dir.join(artifact);
        let bytes = fs_err::read(&path).map_err(|e| UsageError::new(format!("--artifact: {e}")))?;
        checks.extend(crabox_gate::hardening::checks(
            &context.display_path(&path),
            &bytes,
        ));
    }

    Ok(Report::new(checks))
}
