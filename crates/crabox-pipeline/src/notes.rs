//! The release notes of a range: its commits grouped by Conventional Commit type, and the
//! security section comparing the assessments of both ends; the release's CSAF 2.0 documents and
//! OpenVEX.

use std::path::Path;

use anyhow::Context as _;
use crabox_audit::Kind;
use crabox_audit::policy::Status;
use crabox_notes::advisory::{self, Meta, Publisher};
use crabox_notes::commit::{self, Entry, Raw};
use crabox_notes::range;
use crabox_notes::release::{self, Release, Security, Vulnerability};
use crabox_notes::render::{self, Templates};
use crabox_sbom::Inventory;

use crate::assess::Assessment;
use crate::previous::{Ends, Range};
use crate::{Error, Run, Step};

/// The vulnerabilities of one end of the range, as the notes show them.
fn vulnerabilities(assessment: &Assessment) -> Vec<Vulnerability> {
    assessment
        .outcome
        .findings
        .iter()
        .filter(|(f, _)| f.kind == Kind::Vulnerability)
        .map(|(f, status)| Vulnerability {
            score: f.cvss.as_deref().and_then(crabox_audit::db::cvss_score),
            not_affected: match status {
                Status::NotAffected { justification, .. } => Some(justification.clone()),
                _ => None,
            },
            id: f.id.clone(),
            aliases: f.aliases.clone(),
            title: f.title.clone(),
            package: f.package.clone(),
            ecosystem: f.ecosystem,
            version: f.version.clone(),
            purl: f.purl.clone(),
            fixed_version: None,
            fix: f.fix.clone(),
            patched: f.patched.clone(),
            severity: f.severity.map(|s| s.to_string()),
            cvss: f.cvss.clone(),
            url: f.url.clone(),
            file: f.file.clone(),
            line: f.line,
        })
        .collect()
}

/// The assessments of both ends of the range, or why there are none.
pub struct Audited<'a> {
    pub ends: &'a Ends,
    pub assessed: Step<(Assessment, Assessment)>,
}

/// The security section: the assessments of both ends compared, or why there was none.
pub fn security(audited: &Audited<'_>, commits: Vec<Entry>) -> Security {
    let (before, after) = match &audited.assessed {
        Step::Ran(both) => both,
        Step::NotRun(reason) => {
            tracing::warn!("notes: the dependencies are not audited: {reason}");
            return Security {
                audited: false,
                not_audited: Some(reason.to_string()),
                commits,
                ..Security::default()
            };
        }
    };
    let old = vulnerabilities(before);
    let now = vulnerabilities(after);
    let after_inventory: &Inventory = &audited.ends.after;
    let pinned_now = |v: &Vulnerability| {
        after_inventory
            .lockfiles
            .iter()
            .flat_map(|l| &l.packages)
            .find(|p| p.ecosystem == v.ecosystem && p.name == v.package)
            .map(|p| p.version.clone())
    };
    let (gone, still) = release::security_diff(&old, &now, pinned_now);
    // A package that is no longer pinned is fixed only if its lockfile is still read: when the
    // lockfile itself is gone, whether it was fixed is not known.
    let (fixed, unknown): (Vec<Vulnerability>, Vec<Vulnerability>) =
        gone.into_iter().partition(|v| {
            v.fixed_version.is_some() || after_inventory.lockfiles.iter().any(|l| l.path == v.file)
        });
    let (not_affected, open) = still.into_iter().partition(|v| v.not_affected.is_some());
    let mut unchecked: Vec<String> = before
        .outcome
        .unchecked()
        .chain(after.outcome.unchecked())
        .map(|c| c.ecosystem.osv_name().to_owned())
        .collect();
    unchecked.sort();
    unchecked.dedup();
    for name in &unchecked {
        tracing::warn!(
            "notes: the {name} dependencies are NOT checked: no database given covers {name}"
        );
    }
    Security {
        audited: true,
        not_audited: None,
        unchecked,
        fixed,
        unknown,
        open,
        not_affected,
        commits,
    }
}

/// The version a tag names, as the notes show it (`v1.2.0` → `1.2.0`).
fn version_of(tag: &str) -> String {
    range::tag_version(tag)
        .map_or_else(|| tag.trim_start_matches('v').to_owned(), |v| v.to_string())
}

/// The release of the range and what its advisories need.
pub struct Prepared {
    pub release: Release,
    pub meta: Meta,
}

/// The notes' outputs: the rendered notes (or the context as JSON), the CSAF documents by file
/// name, and the OpenVEX document.
pub struct Documents {
    pub notes: String,
    pub csaf: Vec<(String, String)>,
    pub openvex: Option<String>,
}

/// The commits of the range, the security section from `audited`, and the publisher and dates
/// of the advisories.
#[allow(clippy::too_many_lines)] // the step, in order
pub fn prepare(
    run: &Run<'_>,
    repo: &crabox_git::Repo,
    range: &Range,
    audited: &Audited<'_>,
) -> anyhow::Result<Prepared> {
    let settings = run.settings();
    let Range {
        to,
        tag,
        from,
        tag_hint,
        ..
    } = range;
    let product = run.product_name();
    let version = tag.as_ref().map_or_else(
        || {
            settings
                .product
                .version
                .clone()
                .unwrap_or_else(|| "unreleased".to_owned())
        },
        |t| version_of(&t.name),
    );
    let time = match crate::time::source_date_epoch(run)? {
        Some(time) => time,
        None => match tag {
            Some(tag) => tag.time,
            None => repo.commit_time(to)?,
        },
    };
    let timestamp = crabox_types::rfc3339(time).context("the release date is out of range")?;
    let repository = repo.remote_url();
    let github = repository.as_deref().and_then(crabox_git::github_slug);
    let previous_tag = from.as_ref().map(|(_, name)| name.clone());

    let raw = repo.commits(to, from.as_ref().map(|(c, _)| c.as_str()))?;
    let entries: Vec<Entry> = raw
        .iter()
        .map(|c| {
            commit::parse(
                &Raw {
                    id: &c.id,
                    message: &c.message,
                    author: &c.author,
                    time: c.time,
                    parents: c.parents,
                },
                github.as_deref(),
            )
        })
        .collect();
    let (breaking, sections, stats) = release::group(&entries, &settings.notes.other_section);
    let security_commits: Vec<Entry> = entries
        .iter()
        .filter(|e| e.security && !e.merge)
        .cloned()
        .collect();
    let contributors = release::contributors(
        &entries
            .iter()
            .filter(|e| !e.merge)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let security = security(audited, security_commits);
    let compare_url = match (&github, &previous_tag) {
        (Some(slug), Some(previous)) => Some(format!(
            "https://github.com/{slug}/compare/{previous}...{}",
            tag.as_ref().map_or(to.as_str(), |t| t.name.as_str())
        )),
        _ => None,
    };
    let release = Release {
        product: product.clone(),
        version: version.clone(),
        tag: tag.as_ref().map(|t| t.name.clone()),
        previous_version: previous_tag.as_deref().map(version_of),
        previous_tag,
        tag_hint: tag_hint.clone(),
        date: timestamp[..10].to_owned(),
        from: from.as_ref().map(|(c, _)| c.clone()),
        to: to.clone(),
        repository: repository.clone(),
        github: github.clone(),
        compare_url,
        breaking,
        sections,
        contributors,
        security,
        stats,
    };

    let publisher = publisher(
        settings,
        &product,
        github
            .as_ref()
            .map(|slug| format!("https://github.com/{slug}"))
            .or_else(|| repository.clone().filter(|r| r.starts_with("https://"))),
    );
    let meta = Meta {
        publisher,
        timestamp,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        product_purl: match &github {
            Some(slug) => format!(
                "pkg:github/{slug}@{}",
                release.tag.as_deref().unwrap_or(&release.to)
            ),
            None => format!("pkg:generic/{product}@{version}"),
        },
    };
    Ok(Prepared { release, meta })
}

/// Who publishes the advisories: `[product] manufacturer` (else the product), named by
/// `[product] manufacturer-contact` when it is a URL, else by `fallback` (the repository), else
/// by a `urn:crabox:` URN.
pub fn publisher(
    settings: &crabox_config::Settings,
    product: &str,
    fallback: Option<String>,
) -> Publisher {
    Publisher {
        name: settings
            .product
            .manufacturer
            .clone()
            .unwrap_or_else(|| product.to_owned()),
        namespace: settings
            .product
            .manufacturer_contact
            .clone()
            .filter(|c| c.starts_with("https://") || c.starts_with("http://"))
            .or(fallback)
            .unwrap_or_else(|| format!("urn:crabox:{product}")),
    }
}

/// Renders the notes (or the context), and the advisories (CSAF and OpenVEX) when they are
/// wanted: left empty otherwise.
pub fn documents(
    settings: &crabox_config::Settings,
    root: &Path,
    prepared: &Prepared,
    context_json: bool,
    advisories: bool,
) -> anyhow::Result<Documents> {
    let Prepared { release, meta } = prepared;
    let notes = if context_json {
        let mut json = serde_json::to_string_pretty(release)?;
        json.push('\n');
        json
    } else {
        let templates = Templates {
            dir: Some(root.join("templates")).filter(|d| d.is_dir()),
            release_notes: settings.notes.template.as_ref().map(|t| root.join(t)),
        };
        render::render(&templates, render::RELEASE_NOTES, release).map_err(|e| Error::Template {
            message: e.to_string(),
        })?
    };
    let (csaf, openvex) = if advisories {
        (
            advisory::security_advisory(release, meta)
                .into_iter()
                .chain(advisory::vex(release, meta))
                .collect(),
            advisory::openvex(release, meta),
        )
    } else {
        (Vec::new(), None)
    };
    Ok(Documents {
        notes,
        csaf,
        openvex,
    })
}

/// The notes of the range `from`..`to` on their own: the range found, its ends read and
/// assessed with the same databases (`db`, else the cache), the release prepared. Returns the
/// warnings about the databases too.
pub fn compose(
    run: &Run<'_>,
    repo: &crabox_git::Repo,
    from: Option<&str>,
    to: Option<&str>,
    db: &[std::path::PathBuf],
) -> anyhow::Result<(Prepared, Vec<crabox_report::Finding>)> {
    let range = match crate::previous::range(run, repo, from, to)? {
        Step::Ran(range) => range,
        Step::NotRun(_) => return Err(Error::Shallow.into()),
    };
    let ends = crate::previous::ends(run, repo, &range)?;
    let (databases, notices) = crate::databases::open(run, db, &[&ends.before, &ends.after])?;
    let assessed = match databases {
        Step::Ran(databases) => {
            let policy = crate::assess::policy(run, None, false)?;
            Step::Ran((
                crate::assess::assess(&ends.before, &databases, &policy),
                crate::assess::assess(&ends.after, &databases, &policy),
            ))
        }
        Step::NotRun(reason) => Step::NotRun(reason),
    };
    let prepared = prepare(
        run,
        repo,
        &range,
        &Audited {
            ends: &ends,
            assessed,
        },
    )?;
    Ok((prepared, notices))
}
