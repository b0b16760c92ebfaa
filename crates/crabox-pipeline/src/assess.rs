//! One assessment for every command that audits (`audit`, `notes`, `gate`, `bundle`): an
//! inventory matched against the databases, yanked crates added from the run's lookup, then
//! `[audit] ignore`, the `[audit] vex` documents and the threshold applied, and what no database
//! covered recorded.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_audit::Kind;
use crabox_audit::policy::{self, Ignore, Policy, Status};
use crabox_report::{Finding, Location};
use crabox_sbom::Inventory;
use crabox_types::{Severity, codes};

use crate::databases::Databases;
use crate::{Error, Run};

/// One inventory assessed.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub outcome: policy::Outcome,
}

/// The threshold: `None` takes `[audit] fail-on`; `Some(None)` never fails.
pub type FailOn = Option<Option<Severity>>;

/// Paths named by `[audit] vex` entries: plain paths, or a `*` in the file name.
fn vex_files(root: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, Error> {
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
            return Err(Error::VexMissing {
                pattern: pattern.clone(),
            });
        }
    }
    Ok(out)
}

/// The policy of a run: the threshold, `[audit] ignore` and the `[audit] vex` documents, judged
/// as of today.
pub fn policy(run: &Run<'_>, fail_on: FailOn, allow_unchecked: bool) -> anyhow::Result<Policy> {
    let settings = run.settings();
    let mut vex = Vec::new();
    for file in vex_files(&run.scope.root, &settings.audit.vex)? {
        let text = fs_err::read_to_string(&file)?;
        vex.extend(policy::read_vex(&file, &text).map_err(|e| Error::Vex {
            file: run.scope.show(&e.file),
            message: e.message,
        })?);
    }
    let fail_on =
        fail_on.unwrap_or_else(|| Some(settings.audit.fail_on).filter(|s| *s != Severity::None));
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
        today: crabox_types::Date::from_unix_seconds(crabox_types::unix_now())
            .context("the current date is out of range")?,
        allow_unchecked,
    })
}

/// `inventory` matched against `databases`, with the yanked crates the run's lookup found, judged
/// by `policy`.
pub fn assess(inventory: &Inventory, databases: &Databases, policy: &Policy) -> Assessment {
    let mut findings = crabox_audit::audit(&inventory.lockfiles, &databases.advisory);
    let candidates = crabox_audit::yanked::candidates(&inventory.lockfiles);
    let mut found = crabox_audit::yanked::Yanked::default();
    for &(l, p) in &candidates {
        let package = &inventory.lockfiles[l].packages[p];
        let key = (package.name.clone(), package.version.clone());
        if databases.yanked.answered.contains(&key) {
            found.checked += 1;
            if databases.yanked.yanked.contains(&key) {
                found.yanked.push((l, p));
            }
        } else {
            found.unchecked += 1;
        }
    }
    crabox_audit::add_yanked(&mut findings, &inventory.lockfiles, &found);
    let mut outcome = policy::apply(findings, policy);
    outcome.yanked = policy::YankedCheck {
        checked: found.checked,
        unchecked: found.unchecked,
        reason: (found.unchecked > 0)
            .then(|| databases.yanked.reason.clone())
            .flatten(),
    };
    outcome.cover(
        crabox_audit::coverage(&inventory.lockfiles, &databases.advisory),
        policy,
    );
    Assessment { outcome }
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

/// The warnings of an assessment: what no database covered, what the catalogers could not read,
/// expired ignores, and (`annotate`, for GitHub Actions) one per open finding.
pub fn notices(
    run: &Run<'_>,
    inventory: &Inventory,
    outcome: &policy::Outcome,
    allow_unchecked: bool,
    annotate: bool,
) -> Vec<Finding> {
    let mut notices = unchecked_notices(outcome, allow_unchecked);
    notices.extend(crate::inventory::diagnostics(inventory));
    let config = run
        .loaded
        .file
        .as_deref()
        .map_or_else(|| "crabox.toml".to_owned(), |f| run.scope.show(f));
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
    if annotate {
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

/// The OpenVEX document stating the status of every vulnerability found, dated `time` and
/// identified by the databases read; `None` when there is none (OpenVEX needs a statement).
pub fn openvex(
    run: &Run<'_>,
    databases: &Databases,
    assessment: &Assessment,
    time: i64,
) -> anyhow::Result<Option<String>> {
    let timestamp = crabox_types::rfc3339(time).context("timestamp out of range")?;
    let author = run
        .settings()
        .product
        .manufacturer
        .clone()
        .unwrap_or_else(|| "crabox".to_owned());
    let ids: Vec<&str> = databases.info.iter().map(|d| d.id.as_str()).collect();
    let id = format!(
        "urn:crabox:vex:{}",
        crabox_sbom::artifact::sha256_hex(ids.join(",").as_bytes())
    );
    Ok(crabox_audit::render::openvex(
        &assessment.outcome,
        &id,
        &author,
        &timestamp,
        env!("CARGO_PKG_VERSION"),
    ))
}
