//! The security regression gate composed: the policy of `[gate]` over the inventory and its
//! assessment, the baseline (the previous release, a git revision, or an earlier evidence bundle
//! read into memory within limits and checked against its manifest and signature), the security
//! test commands, the repository and workflow checks, and the hardening of the artifacts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crabox_audit::policy::Status;
use crabox_config::EnvVars;
use crabox_gate::baseline::{self, Snapshot};
use crabox_gate::policy::{self, Policy};
use crabox_gate::{Advisory, Category, Check, Outcome, Package, Report};
use crabox_sbom::Inventory;
use crabox_types::codes;

use crate::assess::Assessment;
use crate::{Error, Run, Step};

/// Default time limit of a security test command, in seconds.
const DEFAULT_TIMEOUT: u64 = 600;

/// The packages of an inventory as the gate sees them: each with its lockfile.
pub fn packages(inventory: &Inventory) -> Vec<Package<'_>> {
    inventory
        .lockfiles
        .iter()
        .flat_map(|l| {
            l.packages.iter().filter(|p| !p.is_root).map(|p| Package {
                package: std::borrow::Cow::Borrowed(p),
                file: std::borrow::Cow::Borrowed(l.path.as_str()),
            })
        })
        .collect()
}

/// The assessment's findings as the gate sees them.
fn advisories(assessment: &Assessment) -> Vec<Advisory> {
    assessment
        .outcome
        .findings
        .iter()
        .map(|(f, status)| Advisory {
            id: f.id.clone(),
            kind: f.kind,
            ecosystem: f.ecosystem,
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
fn license_violations(packages: &[Package<'_>], policy: &Policy) -> Vec<(String, String)> {
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

/// Whether commit `id` has a security policy file.
pub fn security_policy_at(repo: &crabox_git::Repo, id: &str) -> anyhow::Result<bool> {
    let files = repo.files_at(id, |n| {
        crabox_gate::repo::SECURITY_POLICY_FILES
            .iter()
            .any(|f| f.rsplit('/').next() == Some(n))
    })?;
    Ok(has_security_policy(files.into_iter().map(|f| f.path)))
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
pub enum BaselineSignature {
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
pub fn read_bundle(
    path: &Path,
    shown: &str,
    public_key: Option<&Path>,
) -> anyhow::Result<(baseline::BundleFiles, BaselineSignature)> {
    let refuse = |message: String| Error::Baseline {
        baseline: shown.to_owned(),
        message,
    };
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
                        .map_err(|e| refuse(crabox_types::error_chain(&e)))?;
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

/// What the baseline is, as `--baseline` (else `[gate] baseline`) names it.
pub enum Wanted {
    /// The previous release tag (`previous-release`).
    PreviousRelease,
    /// An earlier evidence bundle: its path and the name given.
    Bundle(PathBuf, String),
    /// A git revision.
    Revision(String),
}

/// What `--baseline` (else `[gate] baseline`) names.
pub fn wanted(run: &Run<'_>, arg: Option<&str>) -> Wanted {
    let name = arg.map_or_else(|| run.settings().gate.baseline.clone(), str::to_owned);
    if name == crabox_config::DEFAULT_BASELINE {
        return Wanted::PreviousRelease;
    }
    let path = run.scope.dir.join(&name);
    if path.is_dir() || name.ends_with(".tar.gz") {
        Wanted::Bundle(path, name)
    } else {
        Wanted::Revision(name)
    }
}

/// The earlier state the gate compares with.
pub enum Baseline<'a> {
    /// Nothing to compare with, and why.
    None(String),
    /// An earlier evidence bundle, read and checked.
    Bundle {
        files: baseline::BundleFiles,
        signature: BaselineSignature,
    },
    /// The lockfiles of a commit (the previous release or a revision) read from git, and their
    /// assessment.
    Commit {
        label: String,
        inventory: &'a Inventory,
        assessment: Option<&'a Assessment>,
        security_policy: bool,
    },
}

/// What the gate judges.
pub struct Inputs<'a> {
    pub inventory: &'a Inventory,
    /// The inventory's assessment, or why there is none.
    pub assessment: Step<&'a Assessment>,
    pub baseline: Baseline<'a>,
    /// Binaries whose hardening is checked.
    pub artifacts: &'a [PathBuf],
}

/// Every check of the gate.
#[allow(clippy::too_many_lines)] // the gate, group by group
pub fn evaluate(run: &Run<'_>, inputs: Inputs<'_>) -> anyhow::Result<Report> {
    let settings = run.settings();
    let root = &run.scope.root;
    let gate = &settings.gate;
    let policy = Policy {
        fail_on: Some(gate.fail_on),
        allow: gate.licenses.allow.clone(),
        deny: gate.licenses.deny.clone(),
        bans: gate.bans.clone(),
        registries: gate.registries.clone(),
        git_sources: gate.git_sources.clone(),
    };
    let now_packages = packages(inputs.inventory);
    let mut checks: Vec<Check> = Vec::new();

    // The assessment, and the policy.
    let now_advisories = match &inputs.assessment {
        Step::Ran(assessment) => {
            for c in assessment.outcome.unchecked() {
                let name = c.ecosystem.osv_name();
                checks.push(Check::new(
                    Category::Policy,
                    codes::GATE_VULNERABILITY,
                    "vulnerabilities",
                    Outcome::Fail,
                    format!(
                        "{name}: could not be checked: no advisory database given covers {name}"
                    ),
                ));
            }
            Some(advisories(assessment))
        }
        Step::NotRun(reason) => {
            checks.push(Check::new(
                Category::Policy,
                codes::GATE_VULNERABILITY,
                "vulnerabilities",
                Outcome::Fail,
                format!("could not be checked: {reason}"),
            ));
            None
        }
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
    let now = Snapshot {
        label: "this release".to_owned(),
        advisories: now_advisories.clone().unwrap_or_default(),
        license_violations: license_violations(&now_packages, &policy),
        evidence: {
            let mut evidence = BTreeSet::new();
            if !inputs.inventory.lockfiles.is_empty() {
                evidence.insert(baseline::SBOM);
            }
            let signing = settings.sign.mode != crabox_config::file::SignMode::None
                && (settings.sign.key.is_some()
                    || run.var(EnvVars::ACTIONS_ID_TOKEN_REQUEST_URL).is_some());
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
    let before: Result<Snapshot, String> = match inputs.baseline {
        Baseline::None(why) => Err(why),
        Baseline::Bundle { files, signature } => {
            match signature {
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
                        "the baseline bundle `{}` has a signature over its manifest, but no key to check who made it (`[sign] key` with its `.pub` beside it): its signature is not credited, so a signature missing now is not reported as lost",
                        files.label
                    ),
                )),
            }
            let refuse = |p: &Package<'_>| {
                p.licenses
                    .iter()
                    .filter(|e| policy::license_problem(e, &policy.allow, &policy.deny).is_some())
                    .cloned()
                    .collect()
            };
            let mut snapshot =
                baseline::from_bundle(&files, refuse).map_err(|e| Error::Baseline {
                    baseline: files.label.clone(),
                    message: e.to_string(),
                })?;
            snapshot.label = format!("the baseline bundle {}", files.label);
            Ok(snapshot)
        }
        Baseline::Commit {
            label,
            inventory,
            assessment,
            security_policy,
        } => {
            let mut evidence = BTreeSet::new();
            if security_policy {
                evidence.insert(baseline::SECURITY_POLICY);
            }
            Ok(Snapshot {
                label: format!("{label} (lockfiles read from git)"),
                // The advisories of the baseline only count when there are some now to
                // compare with.
                advisories: match (&now_advisories, assessment) {
                    (Some(_), Some(assessment)) => advisories(assessment),
                    _ => Vec::new(),
                },
                license_violations: license_violations(&packages(inventory), &policy),
                evidence,
            })
        }
    };
    match before {
        Ok(before) => checks.extend(baseline::compare(&before, &now)),
        Err(why) => checks.push(Check::new(
            Category::Baseline,
            codes::GATE_BASELINE_MISSING,
            "baseline",
            Outcome::NotApplicable,
            why,
        )),
    }

    // Security test commands.
    for command in &gate.commands {
        let limit = Duration::from_secs(command.timeout.unwrap_or(DEFAULT_TIMEOUT));
        tracing::info!("gate: running `{}`", command.name);
        checks.push(crabox_gate::commands::check(
            &command.name,
            &command.run,
            root,
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
    checks.extend(crabox_gate::repo::checks(root, crabox_types::unix_now()));
    checks.extend(crabox_gate::workflows::checks(root));

    // Binary hardening.
    for path in inputs.artifacts {
        let bytes = fs_err::read(path).map_err(|e| Error::Artifact {
            path: run.scope.show(path),
            message: e.to_string(),
        })?;
        checks.extend(crabox_gate::hardening::checks(
            &run.scope.show(path),
            &bytes,
        ));
    }

    Ok(Report::new(checks))
}

/// Why there is no baseline when no previous release was found.
pub fn no_previous_release(run: &Run<'_>) -> String {
    if run.scope.git {
        format!(
            "no previous release tag matching `{}` reachable from HEAD: a first release has nothing to compare with",
            run.settings().notes.tag_pattern
        )
    } else {
        "not a git repository and no baseline bundle: nothing to compare with".to_owned()
    }
}

/// `crabox gate` on its own: the inventory read, the baseline found and read, the databases
/// opened once for both, both assessed, then [`evaluate`]. Returns the report and the warnings
/// for stderr.
pub fn standalone(
    run: &Run<'_>,
    repo: Option<&crabox_git::Repo>,
    baseline_arg: Option<&str>,
    db: &[PathBuf],
    artifacts: &[PathBuf],
) -> anyhow::Result<(Report, Vec<crabox_report::Finding>)> {
    let inventory = crate::inventory::read(run, "lockfiles")?;
    let wanted = wanted(run, baseline_arg);
    // The baseline's commit, when it is one.
    let commit: Option<(String, String)> = match &wanted {
        Wanted::Bundle(..) => None,
        Wanted::PreviousRelease => match repo {
            Some(repo) => match repo.resolve("HEAD").ok() {
                Some(head) => {
                    let pattern = crate::previous::pattern(run)?;
                    crate::previous::previous_release(repo, &repo.tags()?, &pattern, &head)?
                        .map(|t| (t.commit, t.name))
                }
                None => None,
            },
            None => None,
        },
        Wanted::Revision(name) => {
            let commit =
                repo.and_then(|r| r.resolve(name).ok())
                    .ok_or_else(|| Error::Baseline {
                        baseline: name.clone(),
                        message: "is neither an evidence bundle nor a git revision".to_owned(),
                    })?;
            Some((commit, name.clone()))
        }
    };
    let old = match (&commit, repo) {
        (Some((id, _)), Some(repo)) => Some(crate::inventory::at_commit(run, repo, id)?),
        _ => None,
    };
    let mut inventories = vec![&inventory];
    inventories.extend(old.as_ref());
    let (databases, mut notices) = crate::databases::open(run, db, &inventories)?;
    let policy = crate::assess::policy(run, None, false)?;
    let assessed = databases.as_ref().map(|databases| {
        let now = crate::assess::assess(&inventory, databases, &policy);
        let before = old
            .as_ref()
            .map(|old| crate::assess::assess(old, databases, &policy));
        (now, before)
    });
    if let Step::Ran((now, _)) = &assessed {
        notices.extend(crate::assess::notices(
            run,
            &inventory,
            &now.outcome,
            false,
            false,
        ));
    }
    let baseline = match (&wanted, &commit, &old) {
        (Wanted::Bundle(path, name), _, _) => bundle_baseline(run, path, name)?,
        (_, Some((id, name)), Some(old)) => Baseline::Commit {
            label: name.clone(),
            inventory: old,
            assessment: assessed.ran().and_then(|(_, before)| before.as_ref()),
            security_policy: match repo {
                Some(repo) => security_policy_at(repo, id)?,
                None => false,
            },
        },
        _ => Baseline::None(no_previous_release(run)),
    };
    let report = evaluate(
        run,
        Inputs {
            inventory: &inventory,
            assessment: match &assessed {
                Step::Ran((now, _)) => Step::Ran(now),
                Step::NotRun(reason) => Step::NotRun(reason.clone()),
            },
            baseline,
            artifacts,
        },
    )?;
    Ok((report, notices))
}

/// Reads a bundle baseline with the project's key.
pub fn bundle_baseline(
    run: &Run<'_>,
    path: &Path,
    name: &str,
) -> anyhow::Result<Baseline<'static>> {
    let public_key = project_public_key(run.settings(), &run.scope.root);
    let (files, signature) = read_bundle(path, name, public_key.as_deref())?;
    Ok(Baseline::Bundle { files, signature })
}
