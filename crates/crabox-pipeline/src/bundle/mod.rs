//! `crabox bundle` composed: the lockfiles read once; the SBOMs rendered on the calling thread
//! while the history (the release range, the lockfiles at both ends) is read on one thread and
//! the databases opened and every inventory assessed on another; then the notes, the gate, the
//! declarations, the artifacts' checksums and signatures, the attestations, the CRA report and
//! the manifest written into a staging directory that replaces the previous bundle in one step
//! ([`crabox_evidence::stage`]). A step that cannot run is a [`Step::NotRun`] in the
//! [`Facts`], and the report says why.

mod attest;
mod facts;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use crabox_config::file::{SbomFormat, SignMode};
use crabox_evidence::article14::{self, Carried};
use crabox_evidence::manifest::{
    self, Digested, Inputs, MANIFEST, MANIFEST_SIGNATURE, Manifest, Tool,
};
use crabox_evidence::report::Report;
use crabox_evidence::requirements::{self, Facts};
use crabox_report::atomic;
use crabox_sbom::Inventory;

use crate::assess::Assessment;
use crate::databases::Databases;
use crate::previous::{Ends, Range};
use crate::sign::Identity;
use crate::{Error, Reason, Run, Step};

/// What `crabox bundle` is asked for.
pub struct Options {
    /// `--release TAG`.
    pub release: Option<String>,
    /// The folder bundles go to (absolute).
    pub out: PathBuf,
    /// The artifacts (absolute): `--artifact`, then `[sbom] artifacts`.
    pub artifacts: Vec<PathBuf>,
    /// `--db` paths.
    pub db: Vec<PathBuf>,
    /// `--no-sign`.
    pub no_sign: bool,
    /// Warnings also for each open finding (annotations in GitHub Actions).
    pub annotate: bool,
}

/// A bundle written.
pub struct Bundled {
    pub directory: PathBuf,
    pub archive: PathBuf,
    pub report: Report,
    pub signed: bool,
    /// A requirement row failed.
    pub failed: bool,
    /// Warnings of the steps, for stderr.
    pub notices: Vec<crabox_report::Finding>,
}

/// Runs `step`, logging its duration on stderr.
fn timed<T>(name: &str, step: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = step();
    tracing::info!("{name}: {} ms", start.elapsed().as_millis());
    value
}

/// Writes one file of the bundle; `relative` is checked to stay under `dir`.
fn write(dir: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<String> {
    atomic::write_under(dir, relative, bytes)?;
    Ok(relative.to_owned())
}

/// The history of the release: its range and the lockfiles at both ends, and the lockfiles of a
/// `[gate] baseline` revision.
struct History {
    range: Step<(Range, Ends)>,
    revision: Option<(String, String, Inventory)>,
}

fn history(run: &Run<'_>, wanted: &crate::gate::Wanted) -> anyhow::Result<History> {
    let Some(repo) = run.scope.open_repo()? else {
        return Ok(History {
            range: Step::NotRun(Reason::NotARepository),
            revision: None,
        });
    };
    let range = match crate::previous::range(run, &repo, None, None)? {
        Step::Ran(range) => {
            let ends = crate::previous::ends(run, &repo, &range)?;
            Step::Ran((range, ends))
        }
        Step::NotRun(reason) => Step::NotRun(reason),
    };
    let revision = match wanted {
        crate::gate::Wanted::Revision(name) => {
            let commit = repo.resolve(name).map_err(|_| Error::Baseline {
                baseline: name.clone(),
                message: "is neither an evidence bundle nor a git revision".to_owned(),
            })?;
            let inventory = crate::inventory::at_commit(run, &repo, &commit)?;
            Some((commit, name.clone(), inventory))
        }
        _ => None,
    };
    Ok(History { range, revision })
}

/// Every inventory of the run assessed with the same databases and policy.
struct Assessed {
    databases: Databases,
    notices: Vec<crabox_report::Finding>,
    now: Assessment,
    before: Option<Assessment>,
    after: Option<Assessment>,
    revision: Option<Assessment>,
}

fn assess_all(
    run: &Run<'_>,
    db: &[PathBuf],
    inventory: &Inventory,
    history: &History,
) -> anyhow::Result<Step<Assessed>> {
    let mut inventories = vec![inventory];
    if let Step::Ran((_, ends)) = &history.range {
        inventories.push(&ends.before);
        inventories.push(&ends.after);
    }
    if let Some((_, _, revision)) = &history.revision {
        inventories.push(revision);
    }
    let (databases, notices) = crate::databases::open(run, db, &inventories)?;
    let databases = match databases {
        Step::Ran(databases) => databases,
        Step::NotRun(reason) => {
            for notice in &notices {
                tracing::warn!("{}", notice.message);
            }
            return Ok(Step::NotRun(reason));
        }
    };
    let policy = crate::assess::policy(run, None, false)?;
    let assess = |i: &Inventory| crate::assess::assess(i, &databases, &policy);
    let (before, after) = match &history.range {
        Step::Ran((_, ends)) => (Some(assess(&ends.before)), Some(assess(&ends.after))),
        Step::NotRun(_) => (None, None),
    };
    let revision = history.revision.as_ref().map(|(_, _, i)| assess(i));
    let now = assess(inventory);
    Ok(Step::Ran(Assessed {
        databases,
        notices,
        now,
        before,
        after,
        revision,
    }))
}

/// The signer the settings select, or why there is none.
fn signer(run: &Run<'_>, no_sign: bool) -> anyhow::Result<Step<Identity>> {
    let settings = &run.settings().sign;
    if no_sign {
        return Ok(Step::NotRun(Reason::SigningOff { by: "--no-sign" }));
    }
    let identity = match settings.mode {
        SignMode::None => {
            return Ok(Step::NotRun(Reason::SigningOff {
                by: "`[sign] mode = \"none\"`",
            }));
        }
        SignMode::Auto if settings.key.is_none() => crate::sign::keyless(run, settings)?,
        _ => Some(crate::sign::identity(run, None, settings)?),
    };
    Ok(match identity {
        Some(identity) => Step::Ran(identity),
        None => Step::NotRun(Reason::NoSigningIdentity),
    })
}

/// The declared documents, checked before anything runs: a named document that is missing is a
/// configuration error.
fn declarations(run: &Run<'_>) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut declarations = Vec::new();
    for (key, path) in &run.settings().evidence.documents {
        let source = run.scope.root.join(path);
        if !source.is_file() {
            return Err(Error::Declaration {
                key: key.clone(),
                path: path.clone(),
            });
        }
        declarations.push((key.clone(), source));
    }
    Ok(declarations)
}

/// The version of the bundle: `--release` without its `v`, else `[product] version`.
fn version(run: &Run<'_>, release: Option<&str>) -> String {
    release
        .map(|t| t.trim_start_matches('v').to_owned())
        .or_else(|| run.settings().product.version.clone())
        .unwrap_or_else(|| "unversioned".to_owned())
}

/// Writes the evidence bundle.
#[allow(clippy::too_many_lines)] // the pipeline, step by step
pub fn run(
    run: &Run<'_>,
    repo: Option<&crabox_git::Repo>,
    options: &Options,
) -> anyhow::Result<Bundled> {
    let started = Instant::now();
    let settings = run.settings();
    let product = run.product_name();
    let version = version(run, options.release.as_deref());
    // The product and version are untrusted text: one safe path component.
    let name = crabox_types::file_name::component(&format!("{product}-{version}"));
    let declarations = declarations(run)?;
    let signer = signer(run, options.no_sign)?;
    let staging = crabox_evidence::stage::Staging::begin(&options.out, &name)
        .with_context(|| format!("could not stage the bundle in {}", options.out.display()))?;
    let dir = staging.dir().to_owned();
    let dir = dir.as_path();
    let mut facts = Facts::default();
    let mut notices = Vec::new();

    // What `[gate] baseline` names: a bundle, a revision, or the previous release.
    let wanted = crate::gate::wanted(run, None);
    let inventory = timed("lockfiles", || {
        crate::inventory::read_with(
            run,
            "lockfiles",
            &crate::inventory::Inputs {
                artifacts: &options.artifacts,
                ..crate::inventory::Inputs::default()
            },
        )
    })?;
    let (sboms, history, assessed) = std::thread::scope(|scope| {
        let history = scope.spawn(|| timed("notes", || history(run, &wanted)));
        let audit = scope.spawn(|| {
            let history = history.join().unwrap_or_else(|_| {
                Err(anyhow::anyhow!("reading the history stopped unexpectedly"))
            });
            let assessed = history
                .as_ref()
                .map_err(|e| anyhow::anyhow!("{e:#}"))
                .and_then(|h| timed("audit", || assess_all(run, &options.db, &inventory, h)));
            (history, assessed)
        });
        let sboms = timed("sbom", || -> anyhow::Result<Vec<(SbomFormat, String)>> {
            let (product, document) = crate::sbom::prepare(run, repo, &options.artifacts)?;
            // CycloneDX and SPDX 2.3 always; SPDX 3.0.1 too when `[sbom] formats` names it.
            let spdx3 = run
                .settings()
                .sbom
                .formats
                .contains(&SbomFormat::Spdx3Json)
                .then_some(SbomFormat::Spdx3Json);
            Ok([SbomFormat::CyclonedxJson, SbomFormat::SpdxJson]
                .into_iter()
                .chain(spdx3)
                .map(|format| {
                    (
                        format,
                        crabox_sbom::render(format, &product, &inventory, &document),
                    )
                })
                .collect())
        });
        let (history, assessed) = audit.join().unwrap_or_else(|_| {
            (
                Err(anyhow::anyhow!("the audit stopped unexpectedly")),
                Err(anyhow::anyhow!("the audit stopped unexpectedly")),
            )
        });
        (sboms, history, assessed)
    });
    let sboms = sboms?;
    let history = history.context("reading the release history failed")?;
    let assessed = assessed.context("the audit failed")?;

    facts.skipped_lockfiles = inventory.skipped.len();
    let sbom_name = crabox_types::file_name::component(&product);
    for (format, text) in &sboms {
        let extension = match format {
            SbomFormat::CyclonedxJson => "cdx.json",
            SbomFormat::SpdxJson => "spdx.json",
            SbomFormat::Spdx3Json => "spdx3.json",
        };
        facts.sboms.push(write(
            dir,
            &format!("sbom/{sbom_name}.{extension}"),
            text.as_bytes(),
        )?);
    }

    let commit = repo.and_then(|r| r.head_commit().ok().flatten());
    // Files are dated by the commit (or SOURCE_DATE_EPOCH); the report is judged at the report
    // time (SOURCE_DATE_EPOCH, else now).
    let mtime = crate::time::build_time(run, commit.as_ref())?;
    let report_time = crate::time::report_time(run)?;
    facts.packages = inventory
        .lockfiles
        .iter()
        .flat_map(|l| &l.packages)
        .filter(|p| !p.is_root)
        .count();

    // The audit.
    let mut open_ids = Vec::new();
    let mut databases = Vec::new();
    let mut snapshots = Vec::new();
    match &assessed {
        Step::Ran(assessed) => {
            notices.extend(assessed.notices.iter().cloned());
            notices.extend(crate::assess::notices(
                run,
                &inventory,
                &assessed.now.outcome,
                false,
                options.annotate,
            ));
            let (audit, ids) = facts::audit(
                run,
                dir,
                &assessed.databases,
                &assessed.now,
                (mtime, report_time),
                facts.packages,
            )?;
            facts.audit = Step::Ran(audit);
            open_ids = ids;
            databases = assessed
                .databases
                .info
                .iter()
                .map(|d| manifest::Database {
                    source: d.source.clone(),
                    id: d.id.clone(),
                })
                .collect();
            snapshots = assessed
                .databases
                .info
                .iter()
                .zip(&assessed.databases.snapshots)
                .map(|(d, date)| crabox_evidence::report::DatabaseSnapshot {
                    source: d.source.clone(),
                    path: d.path.clone(),
                    snapshot: date
                        .and_then(crabox_types::Date::from_unix_seconds)
                        .map(|d| d.to_string()),
                })
                .collect();
        }
        Step::NotRun(reason) => {
            tracing::warn!("audit: not run: {reason}");
            facts.audit = Step::NotRun(reason.clone());
        }
    }

    // The notes, from the range and the assessments of its ends.
    match &history.range {
        Step::Ran((range, ends)) => {
            let repo = run.scope.open_repo()?.context("the repository is gone")?;
            let audited = crate::notes::Audited {
                ends,
                assessed: match &assessed {
                    Step::Ran(a) => match (&a.before, &a.after) {
                        (Some(before), Some(after)) => Step::Ran((before.clone(), after.clone())),
                        _ => Step::NotRun(Reason::NotRequested),
                    },
                    Step::NotRun(reason) => Step::NotRun(reason.clone()),
                },
            };
            let mut prepared = crate::notes::prepare(run, &repo, range, &audited)?;
            // The bundle's release names the version, tagged yet or not.
            prepared.release.version.clone_from(&version);
            let documents =
                crate::notes::documents(settings, &run.scope.root, &prepared, false, true)?;
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
            facts.notes_security = Step::Ran(requirements::NotesFacts {
                not_audited: security.not_audited.clone(),
                fixed: security.fixed.len(),
                known: security.open.len() + security.not_affected.len(),
                packages: [&ends.before, &ends.after]
                    .iter()
                    .flat_map(|i| &i.lockfiles)
                    .map(|l| l.packages.len())
                    .sum(),
                unknown: security.unknown.len(),
                previous: range.from.as_ref().map(|(_, name)| name.clone()),
            });
        }
        Step::NotRun(reason) => {
            tracing::warn!("notes: not run: {reason}");
            facts.notes_security = Step::NotRun(reason.clone());
        }
    }

    // The gate, with the same assessment and the previous release the notes compared with.
    let baseline = baseline(run, repo, &wanted, &history, &assessed)?;
    let carried = earlier_article14(&product, &options.out, &baseline);
    let gate_report = timed("gate", || {
        crate::gate::evaluate(
            run,
            crate::gate::Inputs {
                inventory: &inventory,
                assessment: match &assessed {
                    Step::Ran(a) => Step::Ran(&a.now),
                    Step::NotRun(reason) => Step::NotRun(reason.clone()),
                },
                baseline,
                artifacts: &options.artifacts,
            },
        )
    })?;
    facts.gate = Step::Ran(facts::gate(dir, &gate_report)?);

    facts::declarations(run, dir, &declarations, &mut facts)?;

    // Artifacts: checksums, and signatures when there is a signer.
    let subjects = facts::artifacts(dir, &options.artifacts, signer.ran(), &mut facts)?;
    match &signer {
        Step::Ran(signer) => {
            let audit_json = facts.audit.ran().map(|_| dir.join("audit/findings.json"));
            facts.provenance = attest::attest(
                run,
                dir,
                signer,
                &subjects,
                &sboms,
                audit_json.as_deref(),
                &gate_report,
                mtime,
            )?;
            facts.sign = Step::Ran(());
        }
        Step::NotRun(reason) => facts.sign = Step::NotRun(reason.clone()),
    }

    let article14 = facts::article14(run, &open_ids, facts.audit.reason(), &carried, report_time)?;
    let rows = requirements::evaluate_all(&facts);
    let made = crabox_evidence::report::Made {
        commit: commit.as_ref().map(|c| c.id.clone()),
        signing: match (&facts.sign, &signer) {
            (Step::Ran(()), Step::Ran(identity)) => format!(
                "signed {} (`manifest.sigstore.json` over the manifest; {} artifact signature(s), {} attestation(s))",
                match identity {
                    Identity::Key(_) => "with the project's key".to_owned(),
                    Identity::Keyless { issuer, .. } => format!("keyless (OIDC issuer {issuer})"),
                },
                facts.signatures.len(),
                facts.provenance.len()
            ),
            (Step::NotRun(reason), _) | (_, Step::NotRun(reason)) => {
                format!("not signed: {reason}")
            }
        },
        databases: snapshots,
        open_vulnerabilities: facts.audit.ran().map(|a| a.vulnerabilities.clone()),
    };
    let mut report = Report::new(&product, &version, rows)
        .with_made(made)
        .with_article14(article14)
        .with_classification(
            settings.product.category.as_deref(),
            !settings.evidence.standards.is_empty(),
        )
        .judged(
            &crabox_types::rfc3339(report_time).context("the report time is out of range")?,
            &settings.evidence.require,
        );
    report.support_end = settings.product.support_end.map(|d| d.to_string());
    let failed = report.failed();
    for (name, text) in report.article14.drafts() {
        write(dir, &format!("cra/article14/{name}"), text.as_bytes())?;
    }
    write(dir, "cra/report.json", report.to_json().as_bytes())?;
    write(dir, "cra/report.md", report.to_markdown().as_bytes())?;
    let declared = crabox_evidence::annex::Product {
        name: product.clone(),
        version: version.clone(),
        declared: settings.product.clone(),
        standards: settings.evidence.standards.clone(),
        commit: commit.as_ref().map(|c| c.id.clone()),
    };
    write(
        dir,
        "cra/user-information.md",
        crabox_evidence::annex::user_information_md(&declared, &facts).as_bytes(),
    )?;
    write(
        dir,
        "cra/technical-documentation.md",
        crabox_evidence::annex::technical_documentation_md(&declared, &facts).as_bytes(),
    )?;
    write(
        dir,
        "cra/eu-declaration-of-conformity.md",
        crabox_evidence::annex::declaration_of_conformity_md(
            &declared,
            report.verdict == crabox_evidence::report::Verdict::Complete,
        )
        .as_bytes(),
    )?;
    write(
        dir,
        "cra/report.html",
        report.to_html(env!("CARGO_PKG_VERSION")).as_bytes(),
    )?;
    if let Step::Ran(Identity::Keyless { .. }) = &signer {
        let root_path = settings
            .sign
            .trusted_root
            .as_ref()
            .map(|p| run.scope.root.join(p));
        let json = crabox_sign::verify::trusted_root_json(root_path.as_deref())?;
        write(dir, "trust/trusted_root.json", json.as_bytes())?;
    }

    let inputs = manifest_inputs(run, repo, commit.as_ref(), options, &inventory, databases)?;
    let tool = Tool {
        name: "crabox".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let manifest = Manifest::of_directory(dir, tool, inputs)?;
    let manifest_bytes = manifest.to_bytes();
    write(dir, MANIFEST, &manifest_bytes)?;
    match &signer {
        Step::Ran(signer) => {
            let (_, digest) = crabox_types::digest::sha256_reader(manifest_bytes.as_slice())?;
            let bundle = signer.sign(sigstore_types::Sha256Hash::new(digest), None)?;
            let json = bundle
                .to_json_pretty()
                .context("could not encode the bundle")?;
            write(dir, MANIFEST_SIGNATURE, format!("{json}\n").as_bytes())?;
        }
        Step::NotRun(reason) => tracing::warn!("the bundle is not signed: {reason}"),
    }

    let placed = staging.finish(u64::try_from(mtime).unwrap_or(0))?;
    tracing::info!(
        "bundle: {} ms; verdict {}: {} pass, {} fail, {} evidence, {} declared, {} missing",
        started.elapsed().as_millis(),
        crabox_evidence::report::verdict_name(report.verdict),
        report.summary.pass,
        report.summary.fail,
        report.summary.evidence,
        report.summary.declared,
        report.summary.missing
    );
    Ok(Bundled {
        directory: placed.directory,
        archive: placed.archive,
        report,
        signed: signer.ran().is_some(),
        failed,
        notices,
    })
}

/// The bytes of `name` in the bundle directory `dir`, checked against the size and SHA-256 its
/// manifest lists (`None` when the manifest does not list it). Only that file is read: the rest
/// of an earlier bundle is not needed here, and hashing it all on every run would be wasted.
fn listed_file(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, String> {
    let manifest_bytes = fs_err::read(dir.join(MANIFEST)).map_err(|e| e.to_string())?;
    let manifest = Manifest::from_bytes(MANIFEST, &manifest_bytes).map_err(|e| e.to_string())?;
    let Some(entry) = manifest.files.iter().find(|f| f.path == name) else {
        return Ok(None);
    };
    let bytes = fs_err::read(dir.join(name)).map_err(|e| e.to_string())?;
    let (size, digest) =
        crabox_types::digest::sha256_reader(bytes.as_slice()).map_err(|e| e.to_string())?;
    let digest = crabox_types::encoding::hex(&digest);
    if size != entry.size || digest != entry.sha256 {
        return Err(format!(
            "{name} does not match its manifest (sha256 {digest}, the manifest says {})",
            entry.sha256
        ));
    }
    Ok(Some(bytes))
}

/// The Article 14 entries that earlier bundles of `product` recorded: the `[gate] baseline`
/// bundle's (already checked against its manifest), and those of the bundles in `out`, each
/// used only when its report matches its manifest. An earlier bundle that cannot be used is
/// named in a warning and left out.
fn earlier_article14(
    product: &str,
    out: &Path,
    baseline: &crate::gate::Baseline<'_>,
) -> BTreeMap<String, Carried> {
    const REPORT: &str = "cra/report.json";
    let mut carried = BTreeMap::new();
    let mut read = |from: &str, bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        if let Err(err) = article14::carried(from, product, &text, &mut carried) {
            tracing::warn!("Article 14: an earlier bundle is not carried forward: {err}");
        }
    };
    if let crate::gate::Baseline::Bundle { files, .. } = baseline
        && let Some(bytes) = files.files.get(REPORT)
    {
        read(&files.label, bytes);
    }
    let Ok(entries) = fs_err::read_dir(out) else {
        return carried;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        // Directories only (not through a link); staging and previous copies start with `.`.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.join(MANIFEST).is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        // Its name, not its path: the report stays the same wherever `--out` is.
        let shown = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match listed_file(&dir, REPORT) {
            Ok(Some(bytes)) => read(&shown, &bytes),
            Ok(None) => {}
            Err(why) => tracing::warn!("Article 14: {shown} is not carried forward: {why}"),
        }
    }
    carried
}

/// The gate's baseline in a bundle: `[gate] baseline` when it names a bundle or a revision, else
/// the previous release the notes compared with.
fn baseline<'a>(
    run: &Run<'_>,
    repo: Option<&crabox_git::Repo>,
    wanted: &crate::gate::Wanted,
    history: &'a History,
    assessed: &'a Step<Assessed>,
) -> anyhow::Result<crate::gate::Baseline<'a>> {
    use crate::gate::{Baseline, Wanted};
    let assessed = assessed.ran();
    let security_policy_at = |commit: &str| match repo {
        Some(repo) => crate::gate::security_policy_at(repo, commit),
        None => Ok(false),
    };
    Ok(match wanted {
        Wanted::Bundle(path, name) => crate::gate::bundle_baseline(run, path, name)?,
        Wanted::Revision(_) => match &history.revision {
            Some((commit, name, inventory)) => Baseline::Commit {
                label: name.clone(),
                inventory,
                assessment: assessed.and_then(|a| a.revision.as_ref()),
                security_policy: security_policy_at(commit)?,
            },
            None => Baseline::None(crate::gate::no_previous_release(run)),
        },
        Wanted::PreviousRelease => match &history.range {
            Step::Ran((range, ends)) if range.from_is_previous_release => match &range.from {
                Some((commit, name)) => Baseline::Commit {
                    label: name.clone(),
                    inventory: &ends.before,
                    assessment: assessed.and_then(|a| a.before.as_ref()),
                    security_policy: security_policy_at(commit)?,
                },
                None => Baseline::None(crate::gate::no_previous_release(run)),
            },
            _ => Baseline::None(crate::gate::no_previous_release(run)),
        },
    })
}

/// What the manifest says the bundle was made from.
fn manifest_inputs(
    run: &Run<'_>,
    repo: Option<&crabox_git::Repo>,
    commit: Option<&crabox_git::Commit>,
    options: &Options,
    inventory: &Inventory,
    databases: Vec<manifest::Database>,
) -> anyhow::Result<Inputs> {
    let mut lockfiles = Vec::new();
    for lockfile in &inventory.lockfiles {
        let (_, sha256) = manifest::digest_file(&run.scope.root.join(&lockfile.path))?;
        lockfiles.push(Digested {
            path: lockfile.path.clone(),
            sha256,
        });
    }
    let dirty = match repo.map(crabox_git::Repo::is_dirty) {
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
    Ok(Inputs {
        repository: repo.and_then(crabox_git::Repo::remote_url),
        commit: commit.map(|c| c.id.clone()),
        tag: options.release.clone(),
        dirty,
        lockfiles,
        databases,
        skipped_lockfiles: inventory
            .skipped
            .iter()
            .map(|s| manifest::SkippedInput {
                path: s.path.to_string_lossy().replace('\\', "/"),
                rule: s.rule.clone(),
            })
            .collect(),
    })
}
