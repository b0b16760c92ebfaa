//! `crabox audit`: the packages the SBOM catalogers find, matched against RustSec and OSV
//! databases (`--db`), judged by `[audit] ignore`, OpenVEX statements and `--fail-on`; exit 1
//! when an open vulnerability is at or above the threshold or an ignore has expired.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_audit::Kind;
use crabox_audit::policy::{self, Ignore, Policy, Status};
use crabox_audit::render::{self, DatabaseInfo};
use crabox_cli::{AuditArgs, FailOn, Format};
use crabox_report::{Finding, Location, atomic};
use crabox_types::{Severity, codes};
use rayon::prelude::*;

use crate::{Context, ExitStatus, UsageError};

/// Paths named by `[audit] vex` entries: plain paths, or a `*` in the file name.
fn vex_files(root: &Path, patterns: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pattern in patterns {
        let path = root.join(pattern);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some((prefix, suffix)) = name.split_once('*') {
            let dir = path.parent().unwrap_or(root);
            let Ok(entries) = fs_err::read_dir(dir) else {
                continue;
            };
            let mut matched: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.len() >= prefix.len() + suffix.len()
                            && n.starts_with(prefix)
                            && n.ends_with(suffix)
                    })
                })
                .collect();
            matched.sort();
            out.extend(matched);
        } else if path.exists() {
            out.push(path);
        } else {
            return Err(UsageError::new(format!(
                "`[audit] vex` names `{pattern}`, which does not exist"
            ))
            .into());
        }
    }
    Ok(out)
}

fn today() -> crabox_types::Date {
    crabox_types::Date::from_unix_seconds(crabox_types::unix_now())
        .expect("the current date is in range")
}

/// Reads the lockfiles (unless `inventory` already holds them) and the databases.
fn load(
    context: &Context,
    settings: &crabox_config::Settings,
    args: &AuditArgs,
    root: &Path,
    inventory: Option<crabox_sbom::Inventory>,
) -> anyhow::Result<(crabox_sbom::Inventory, Vec<crabox_audit::Database>)> {
    let scan_path = args
        .path
        .as_ref()
        .map_or_else(|| root.to_owned(), |p| context.dir.join(p));
    // The lockfiles first: a RustSec database then reads only the crates they pin.
    let inventory = match inventory {
        Some(inventory) => inventory,
        None => {
            let inventory = crabox_sbom::scan(&crabox_sbom::Options {
                root: root.to_owned(),
                path: scan_path,
                cargo_home: None,
                selection: crabox_sbom::Selection::of(&settings.sbom),
            })?;
            crate::logging::selection(&inventory, "audit");
            inventory
        }
    };
    let databases = databases(context, settings, &args.db, &[&inventory])?;
    Ok((inventory, databases))
}

/// The databases `--db` names (else the cached `[audit] sources`), loaded for the packages of
/// `inventories`; a usage error when there is none.
pub fn databases(
    context: &Context,
    settings: &crabox_config::Settings,
    db: &[PathBuf],
    inventories: &[&crabox_sbom::Inventory],
) -> anyhow::Result<Vec<crabox_audit::Database>> {
    let paths: Vec<PathBuf> = if db.is_empty() {
        let (paths, notices) = crate::commands::db::cached(context, settings)?;
        context.emit(&notices);
        if paths.is_empty() {
            return Err(UsageError::new("no advisory database: none given, none in the cache")
                .with_hint("run `crabox db update`, or pass --db PATH (a RustSec advisory-db directory, a tree of OSV records or an OSV .zip export)")
                .into());
        }
        paths
    } else {
        db.iter().map(|p| context.dir.join(p)).collect()
    };
    let cache = context.cache_dir();
    let spinner = crate::progress::spinner(context, "loading advisory databases");
    let count = inventories
        .iter()
        .flat_map(|i| &i.lockfiles)
        .map(|l| l.packages.len())
        .sum();
    let mut wanted = crabox_audit::db::Wanted::default();
    wanted.reserve(count);
    for package in inventories
        .iter()
        .flat_map(|i| &i.lockfiles)
        .flat_map(|l| &l.packages)
    {
        let name = crabox_audit::db::normalize(package.ecosystem, &package.name);
        let versions = wanted.entry((package.ecosystem, name)).or_default();
        if !versions.contains(&package.version.as_str()) {
            versions.push(&package.version);
        }
    }
    let open = |p: &PathBuf| crabox_audit::Database::open_for(p, &wanted, cache.as_deref());
    // One indexed database loads in a millisecond: no thread pool for it.
    let databases = if paths.len() > 1 {
        paths.par_iter().map(open).collect::<Result<Vec<_>, _>>()?
    } else {
        paths.iter().map(open).collect::<Result<Vec<_>, _>>()?
    };
    spinner.finish_and_clear();
    // A database with no advisory at all covers nothing: an audit with it would pass on nothing.
    if let Some(empty) = databases.iter().find(|d| d.records == 0) {
        return Err(UsageError::new(format!(
            "`{}` holds no advisory: it is neither a RustSec advisory-db nor a tree or .zip of OSV records{}",
            context.display_path(&empty.path),
            if empty.skipped.is_empty() {
                String::new()
            } else {
                format!(" ({} files could not be read as advisories)", empty.skipped.len())
            }
        ))
        .with_hint("pass --db PATH with advisories, or run `crabox db update`")
        .into());
    }
    Ok(databases)
}

/// `--fail-on`, `[audit] ignore` and the `[audit] vex` documents.
pub fn policy_of(
    context: &Context,
    settings: &crabox_config::Settings,
    args: &AuditArgs,
    root: &Path,
) -> anyhow::Result<Policy> {
    let mut vex = Vec::new();
    for file in vex_files(root, &settings.audit.vex)? {
        let text = fs_err::read_to_string(&file)?;
        vex.extend(policy::read_vex(&file, &text).map_err(|e| {
            UsageError::new(format!("{}: {}", context.display_path(&e.file), e.message))
        })?);
    }
    let fail_on = match args.fail_on {
        Some(FailOn::None) => None,
        Some(FailOn::Low) => Some(Severity::Low),
        Some(FailOn::Medium) => Some(Severity::Medium),
        Some(FailOn::High) => Some(Severity::High),
        Some(FailOn::Critical) => Some(Severity::Critical),
        None => Some(settings.audit.fail_on).filter(|s| *s != Severity::None),
    };
    Ok(Policy {
        fail_on,
        ignores: settings
            .audit
            .ignore
            .iter()
            .map(|i| Ignore {
                id: i.id.clone(),
                reason: i.reason.clone(),
                until: i.until,
            })
            .collect(),
        vex,
        today: today(),
        allow_unchecked: args.allow_unchecked,
    })
}

/// Warnings and errors for stderr (and annotations in GitHub Actions).
fn notices(
    context: &Context,
    inventory: &crabox_sbom::Inventory,
    databases: &[crabox_audit::Database],
    outcome: &policy::Outcome,
    config_file: Option<&Path>,
) -> Vec<Finding> {
    let mut notices: Vec<Finding> = crate::commands::sbom::diagnostics_findings(inventory);
    for database in databases {
        for (file, why) in &database.skipped {
            notices.push(
                Finding::warning(
                    codes::AUDIT_ADVISORY_SKIPPED,
                    format!("skipped a malformed advisory: {why}"),
                )
                .with_location(Location::file(context.display_path(file))),
            );
        }
    }
    let config = config_file.map_or_else(|| "crabox.toml".to_owned(), |f| context.display_path(f));
    for ignore in &outcome.expired {
        notices.push(
            Finding::error(
                codes::AUDIT_IGNORE_EXPIRED,
                format!(
                    "the ignore of `{}` expired on {} (reason given: {})",
                    ignore.id,
                    ignore.until.map(|u| u.to_string()).unwrap_or_default(),
                    ignore.reason
                ),
            )
            .with_location(Location::file(config.clone()))
            .with_help(
                "fix or upgrade the dependency, or renew the entry with a new reason and date",
            ),
        );
    }
    if context.actions.is_some() {
        for (f, status) in &outcome.findings {
            if *status != Status::Open {
                continue;
            }
            let message = format!(
                "{} {} {}: {} ({})",
                f.id,
                f.package,
                f.version,
                f.title,
                f.severity.map_or("unknown severity", Severity::as_str)
            );
            let finding = if f.kind == Kind::Vulnerability {
                Finding::error(codes::AUDIT_VULNERABILITY, message)
            } else {
                Finding::warning(codes::AUDIT_INFORMATIONAL, message)
            };
            notices.push(finding.with_location(Location::line(f.file.clone(), f.line, None)));
        }
    }
    notices
}

/// A warning per ecosystem of the lockfiles that no database covered.
pub fn unchecked_notices(outcome: &policy::Outcome, allowed: bool) -> Vec<Finding> {
    outcome
        .unchecked()
        .map(|c| {
            let name = c.ecosystem.osv_name();
            let finding = Finding::warning(
                codes::AUDIT_ECOSYSTEM_UNCHECKED,
                format!(
                    "{name}: {} packages NOT checked: no database given covers {name}",
                    c.packages
                ),
            );
            if allowed {
                finding
            } else {
                finding.with_help(format!(
                    "add an OSV database that covers {name} (`[audit] sources`, then `crabox db update`, or --db PATH); --allow-unchecked accepts the gap"
                ))
            }
        })
        .collect()
}

/// Looks up yanked crates unless offline; says on stderr what was not checked.
fn yanked(
    context: &Context,
    settings: &crabox_config::Settings,
    inventory: &crabox_sbom::Inventory,
    findings: &mut Vec<crabox_audit::Finding>,
) -> policy::YankedCheck {
    let crates = crabox_audit::yanked::candidates(&inventory.lockfiles).len();
    let check = if crates == 0 {
        policy::YankedCheck::default()
    } else if settings.offline {
        policy::YankedCheck {
            checked: 0,
            unchecked: crates,
            reason: Some("offline".to_owned()),
        }
    } else {
        let spinner = crate::progress::spinner(context, "looking up yanked crates");
        let found = crabox_audit::yanked::check(&inventory.lockfiles, &settings.audit.index_url);
        spinner.finish_and_clear();
        crabox_audit::add_yanked(findings, &inventory.lockfiles, &found);
        policy::YankedCheck {
            checked: found.checked,
            unchecked: found.unchecked,
            reason: found.reason,
        }
    };
    if check.unchecked > 0 {
        let finding = Finding::warning(codes::AUDIT_YANKED_UNCHECKED, check.describe());
        context.emit(&[if settings.offline {
            finding
        } else {
            finding.with_help(format!(
                "the index at {} did not answer; `[audit] index-url` names another",
                settings.audit.index_url
            ))
        }]);
    }
    check
}

/// One audit, assessed against the policy: what `crabox audit` prints and `crabox bundle` keeps.
pub struct Assessment {
    pub outcome: policy::Outcome,
    pub databases: Vec<DatabaseInfo>,
    /// What the outcome was computed from: kept rather than dropped inside [`assess`], so that
    /// `crabox audit`, whose process ends next, can leave it to the exit.
    #[expect(dead_code, reason = "held for when it is dropped, not read")]
    inputs: (crabox_sbom::Inventory, Vec<crabox_audit::Database>),
}

/// Reads the lockfiles and databases, matches, checks yanked releases and applies the policy;
/// warnings go to stderr.
pub fn assess(
    context: &Context,
    loaded: &crabox_config::Loaded,
    args: &AuditArgs,
    root: &Path,
    inventory: Option<crabox_sbom::Inventory>,
) -> anyhow::Result<Assessment> {
    let settings = &loaded.settings;
    let (inventory, databases) = load(context, settings, args, root, inventory)?;
    let mut findings = crabox_audit::audit(&inventory.lockfiles, &databases);
    let yanked = yanked(context, settings, &inventory, &mut findings);
    let policy = policy_of(context, settings, args, root)?;
    let mut outcome = policy::apply(findings, &policy);
    outcome.yanked = yanked;
    outcome.cover(
        crabox_audit::coverage(&inventory.lockfiles, &databases),
        &policy,
    );
    context.emit(&unchecked_notices(&outcome, args.allow_unchecked));
    context.emit(&notices(
        context,
        &inventory,
        &databases,
        &outcome,
        loaded.file.as_deref(),
    ));
    let infos = databases
        .iter()
        .map(|d| DatabaseInfo {
            source: d.kind.to_owned(),
            path: context.display_path(&d.path),
            id: d.id.clone(),
            records: d.records,
        })
        .collect();
    Ok(Assessment {
        outcome,
        databases: infos,
        inputs: (inventory, databases),
    })
}

/// The OpenVEX document stating the status of every vulnerability found, dated by the commit
/// (or `SOURCE_DATE_EPOCH`) and identified by the databases read; `None` when there is none
/// (OpenVEX needs at least one statement).
pub fn openvex(
    context: &Context,
    settings: &crabox_config::Settings,
    repo: Option<&crabox_git::Repo>,
    assessment: &Assessment,
) -> anyhow::Result<Option<String>> {
    let commit = repo.and_then(|r| r.head_commit().ok().flatten());
    let timestamp =
        crabox_types::rfc3339(crate::commands::sbom::build_time(context, commit.as_ref())?)
            .context("timestamp out of range")?;
    let author = settings
        .product
        .manufacturer
        .clone()
        .unwrap_or_else(|| "crabox".to_owned());
    let ids: Vec<&str> = assessment.databases.iter().map(|d| d.id.as_str()).collect();
    let id = format!(
        "urn:crabox:vex:{}",
        crabox_sbom::artifact::sha256_hex(ids.join(",").as_bytes())
    );
    Ok(render::openvex(
        &assessment.outcome,
        &id,
        &author,
        &timestamp,
        env!("CARGO_PKG_VERSION"),
    ))
}

pub fn run(context: &Context, args: &AuditArgs) -> anyhow::Result<ExitStatus> {
    let loaded = context.load_config()?;
    let settings = &loaded.settings;
    let (repo, root) = context.repository()?;
    let assessment = assess(context, &loaded, args, &root, None)?;
    let (outcome, infos) = (&assessment.outcome, &assessment.databases);
    let tool_version = env!("CARGO_PKG_VERSION");
    let text = match context.global.format {
        Format::Human => render::human(outcome, infos),
        Format::Json => render::json(outcome, infos),
        Format::Markdown => render::markdown(outcome, infos),
        Format::Sarif => render::sarif(outcome, tool_version),
        Format::Junit => {
            return Err(UsageError::new("`crabox audit` has no JUnit output")
                .with_hint("use --format human, json, markdown or sarif; `crabox gate --format junit` reports the audit as test cases")
                .into());
        }
    };
    context.print(&text)?;
    if let Some(file) = &args.openvex {
        let path = context.dir.join(file);
        match openvex(context, settings, repo.as_ref(), &assessment)? {
            Some(document) => {
                atomic::write(&path, document.as_bytes())?;
                tracing::info!("wrote {}", context.display_path(&path));
            }
            None if path.exists() => tracing::warn!(
                "no vulnerability found, so no OpenVEX statement: {} is left from an earlier run",
                context.display_path(&path)
            ),
            None => tracing::info!(
                "no vulnerability found: no OpenVEX document written (it needs a statement)"
            ),
        }
    }
    if let Some(actions) = &context.actions {
        actions.append_summary(&render::markdown(outcome, infos))?;
        let open = outcome
            .findings
            .iter()
            .filter(|(f, s)| *s == Status::Open && f.kind == Kind::Vulnerability)
            .count();
        actions.set_output("vulnerabilities", &open.to_string())?;
        actions.set_output("failed", if outcome.failed { "true" } else { "false" })?;
    }
    let status = if outcome.failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    // The process ends after this step: the packages, advisories and findings (thousands of
    // allocations on a large lockfile) go back to the system at exit instead of being freed one
    // by one first.
    std::mem::forget(assessment);
    Ok(status)
}
