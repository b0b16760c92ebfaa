//! `crabox notes`: the release notes of a git range. The range ends at `--to` (HEAD) and starts
//! at `--from` or the previous release tag; its commits are grouped by Conventional Commit type;
//! the security section compares the audit of the lockfiles at both ends (read from git objects,
//! not from a checkout). Also the release's CSAF 2.0 documents and OpenVEX.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_audit::Kind;
use crabox_audit::policy::Status;
use crabox_cli::{AuditArgs, NotesArgs};
use crabox_notes::advisory::{self, Meta, Publisher};
use crabox_notes::commit::{self, Entry, Raw};
use crabox_notes::range::{self, TagPattern};
use crabox_notes::release::{self, Release, Security, Vulnerability};
use crabox_notes::render::{self, Templates};
use crabox_report::atomic;
use crabox_sbom::{Format, Inventory};

use crate::{Context, ExitStatus, UsageError};

/// Files beside a lockfile that its cataloger reads (workspace manifests, `package.json`,
/// `go.sum`, `pyproject.toml`).
const SIBLINGS: &[&str] = &["Cargo.toml", "package.json", "go.sum", "pyproject.toml"];

/// The lockfiles of commit `id` (and the files beside them), read from git objects into a
/// temporary directory and cataloged there.
pub(crate) fn inventory_at(
    repo: &crabox_git::Repo,
    id: &str,
    scan: Option<&Path>,
    settings: &crabox_config::Settings,
) -> anyhow::Result<Inventory> {
    let files = repo.files_at(id, |name| {
        Format::of_file_name(name).is_some() || SIBLINGS.contains(&name)
    })?;
    let dir = tempfile::tempdir().context("could not create a temporary directory")?;
    for file in &files {
        let path = dir.path().join(&file.path);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&path, &file.bytes)?;
    }
    let path = scan.map_or_else(|| dir.path().to_owned(), |s| dir.path().join(s));
    if !path.exists() {
        return Ok(Inventory::default());
    }
    let inventory = crabox_sbom::scan(&crabox_sbom::Options {
        root: dir.path().to_owned(),
        path,
        cargo_home: None,
        selection: crabox_sbom::Selection::of(&settings.sbom),
    })
    .with_context(|| {
        format!(
            "reading the lockfiles of commit {}",
            &id[..id.len().min(12)]
        )
    })?;
    Ok(inventory)
}

/// The vulnerabilities of one end of the range, as the notes show them.
fn vulnerabilities(
    inventory: &Inventory,
    databases: &[crabox_audit::Database],
    policy: &crabox_audit::policy::Policy,
) -> Vec<Vulnerability> {
    let findings = crabox_audit::audit(&inventory.lockfiles, databases);
    let outcome = crabox_audit::policy::apply(findings, policy);
    outcome
        .findings
        .into_iter()
        .filter(|(f, _)| f.kind == Kind::Vulnerability)
        .map(|(f, status)| Vulnerability {
            score: f.cvss.as_deref().and_then(crabox_audit::db::cvss_score),
            not_affected: match status {
                Status::NotAffected { justification, .. } => Some(justification),
                _ => None,
            },
            id: f.id,
            aliases: f.aliases,
            title: f.title,
            package: f.package,
            ecosystem: f.ecosystem.osv_name().to_owned(),
            version: f.version,
            purl: f.purl,
            fixed_version: None,
            fix: f.fix,
            patched: f.patched,
            severity: f.severity.map(|s| s.to_string()),
            cvss: f.cvss,
            url: f.url,
            file: f.file,
            line: f.line,
        })
        .collect()
}

/// The security section: the audits of both ends compared, or why there was none.
#[allow(clippy::too_many_arguments)]
fn security(
    context: &Context,
    loaded: &crabox_config::Loaded,
    args: &NotesArgs,
    root: &Path,
    repo: &crabox_git::Repo,
    from: Option<&str>,
    to: &str,
    commits: Vec<Entry>,
) -> anyhow::Result<Security> {
    let scan = match &args.path {
        Some(path) => {
            let absolute = context.dir.join(path);
            let relative = absolute
                .strip_prefix(root)
                .map_err(|_| {
                    UsageError::new(format!(
                        "--path `{}` is outside the repository",
                        path.display()
                    ))
                })?
                .to_owned();
            Some(relative)
        }
        None => None,
    };
    let settings = &loaded.settings;
    let after = inventory_at(repo, to, scan.as_deref(), settings)?;
    let before = match from {
        Some(from) => inventory_at(repo, from, scan.as_deref(), settings)?,
        None => Inventory::default(),
    };
    let databases =
        match crate::commands::audit::databases(context, settings, &args.db, &[&before, &after]) {
            Ok(databases) => databases,
            Err(err) if err.downcast_ref::<UsageError>().is_some() => {
                tracing::warn!("notes: the dependencies are not audited: {err}");
                return Ok(Security {
                    audited: false,
                    not_audited: Some(err.to_string()),
                    commits,
                    ..Security::default()
                });
            }
            Err(err) => return Err(err),
        };
    let audit_args = AuditArgs {
        path: args.path.clone(),
        db: args.db.clone(),
        fail_on: None,
        openvex: None,
        allow_unchecked: false,
    };
    let policy = crate::commands::audit::policy_of(context, settings, &audit_args, root)?;
    let old = vulnerabilities(&before, &databases, &policy);
    let now = vulnerabilities(&after, &databases, &policy);
    let pinned_now = |v: &Vulnerability| {
        after
            .lockfiles
            .iter()
            .flat_map(|l| &l.packages)
            .find(|p| p.ecosystem.osv_name() == v.ecosystem && p.name == v.package)
            .map(|p| p.version.clone())
    };
    let (fixed, still) = release::security_diff(&old, &now, pinned_now);
    let (not_affected, open) = still.into_iter().partition(|v| v.not_affected.is_some());
    let lockfiles = before.lockfiles.iter().chain(&after.lockfiles);
    let unchecked: Vec<String> = crabox_audit::coverage(lockfiles, &databases)
        .into_iter()
        .filter(|c| !c.checked())
        .map(|c| c.ecosystem.osv_name().to_owned())
        .collect();
    for name in &unchecked {
        tracing::warn!(
            "notes: the {name} dependencies are NOT checked: no database given covers {name}"
        );
    }
    Ok(Security {
        audited: true,
        not_audited: None,
        unchecked,
        fixed,
        open,
        not_affected,
        commits,
    })
}

/// The previous release: the highest release tag reachable from `to` and not on it. The history
/// is walked only when some release tag could be the one.
pub(crate) fn previous_release(
    repo: &crabox_git::Repo,
    tags: &[crabox_git::history::Tag],
    pattern: &TagPattern,
    to: &str,
) -> anyhow::Result<Option<crabox_git::history::Tag>> {
    let candidates = tags
        .iter()
        .any(|t| t.commit != to && pattern.matches(&t.name));
    if !candidates {
        return Ok(None);
    }
    let ancestors = repo.ancestors(to)?;
    Ok(range::previous(tags, pattern, |c| ancestors.contains(c), to).cloned())
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

/// The range, its commits and the security section, with the publisher and dates of the
/// advisories.
#[allow(clippy::too_many_lines)] // the step, in order
pub fn prepare(
    context: &Context,
    loaded: &crabox_config::Loaded,
    repo: &crabox_git::Repo,
    root: &Path,
    args: &NotesArgs,
) -> anyhow::Result<Prepared> {
    let settings = &loaded.settings;
    let pattern =
        TagPattern::new(&settings.notes.tag_pattern).map_err(|e| UsageError::new(e.to_string()))?;
    let resolve = |flag: &str, rev: &str| {
        repo.resolve(rev).map_err(|e| {
            let why = std::error::Error::source(&e).map_or_else(String::new, |s| format!(": {s}"));
            UsageError::new(format!("{flag} `{rev}` does not name a commit{why}"))
        })
    };
    let to = resolve("--to", args.to.as_deref().unwrap_or("HEAD"))?;
    let tags = repo.tags()?;
    let tag = range::release_at(&tags, &pattern, &to).cloned();
    let (from, previous_tag) = match &args.from {
        Some(rev) => {
            let from = resolve("--from", rev)?;
            let name = range::release_at(&tags, &pattern, &from)
                .map_or_else(|| rev.clone(), |t| t.name.clone());
            (Some(from), Some(name))
        }
        None => {
            if repo.is_shallow() {
                return Err(UsageError::new(
                    "the repository is a shallow clone: the previous release tag and the commits since cannot be found",
                )
                .with_hint("fetch the whole history: `fetch-depth: 0` with actions/checkout, or `git fetch --unshallow --tags`; or name the range with --from")
                .into());
            }
            let previous = previous_release(repo, &tags, &pattern, &to)?;
            (
                previous.as_ref().map(|t| t.commit.clone()),
                previous.map(|t| t.name),
            )
        }
    };
    let tag_hint = if previous_tag.is_none() {
        let others: Vec<&str> = tags
            .iter()
            .filter(|t| t.commit != to && !pattern.matches(&t.name))
            .map(|t| t.name.as_str())
            .collect();
        others.first().map(|first| {
            let hint = format!(
                "{} tag(s) exist (`{first}`{}) but none matches `[notes] tag-pattern = \"{}\"`; for bare SemVer tags such as `1.2.0` set `tag-pattern = \"[0-9]*\"`, or name the range with --from",
                others.len(),
                if others.len() > 1 { ", …" } else { "" },
                settings.notes.tag_pattern
            );
            tracing::warn!("notes: no previous release tag: {hint}");
            hint
        })
    } else {
        None
    };
    let product = crate::commands::sbom::product_name(settings, root);
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
    let time = match context.env.var(crabox_config::EnvVars::SOURCE_DATE_EPOCH) {
        Some(_) => crate::commands::sbom::build_time(context, None)?,
        None => match &tag {
            Some(tag) => tag.time,
            None => repo.commit_time(&to)?,
        },
    };
    let timestamp = crabox_types::rfc3339(time).context("the release date is out of range")?;
    let repository = repo.remote_url();
    let github = repository.as_deref().and_then(crabox_git::github_slug);

    let raw = repo.commits(&to, from.as_deref())?;
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
    let security = security(
        context,
        loaded,
        args,
        root,
        repo,
        from.as_deref(),
        &to,
        security_commits,
    )?;
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
        tag_hint,
        date: timestamp[..10].to_owned(),
        from,
        to,
        repository: repository.clone(),
        github: github.clone(),
        compare_url,
        breaking,
        sections,
        contributors,
        security,
        stats,
    };

    let publisher = Publisher {
        name: settings
            .product
            .manufacturer
            .clone()
            .unwrap_or_else(|| product.clone()),
        namespace: settings
            .product
            .manufacturer_contact
            .clone()
            .filter(|c| c.starts_with("https://") || c.starts_with("http://"))
            .or_else(|| {
                github
                    .as_ref()
                    .map(|slug| format!("https://github.com/{slug}"))
            })
            .or_else(|| repository.clone().filter(|r| r.starts_with("https://")))
            .unwrap_or_else(|| format!("urn:crabox:{product}")),
    };
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
        render::render(&templates, render::RELEASE_NOTES, release)
            .map_err(|e| UsageError::new(e.to_string()))?
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

pub fn run(context: &Context, args: &NotesArgs) -> anyhow::Result<ExitStatus> {
    let loaded = context.load_config()?;
    let (repo, root) = context.repository()?;
    let Some(repo) = repo else {
        return Err(UsageError::new("`crabox notes` needs a git repository").into());
    };
    let prepared = prepare(context, &loaded, &repo, &root, args)?;
    let advisories = args.csaf_dir.is_some() || args.openvex.is_some();
    let documents = documents(&loaded.settings, &root, &prepared, args.context, advisories)?;
    if let Some(dir) = &args.csaf_dir {
        let dir = context.dir.join(dir);
        if documents.csaf.is_empty() {
            tracing::warn!(
                "no CSAF document: no vulnerability is known in this release or the previous one"
            );
        }
        for (name, json) in &documents.csaf {
            let path: PathBuf = atomic::write_under(&dir, name, json.as_bytes())?;
            tracing::info!("wrote {}", context.display_path(&path));
        }
    }
    if let Some(file) = &args.openvex {
        match &documents.openvex {
            Some(json) => atomic::write(&context.dir.join(file), json.as_bytes())?,
            None => tracing::warn!(
                "no OpenVEX document: no vulnerability is known in this release or the previous one"
            ),
        }
    }
    match &args.output {
        Some(output) => atomic::write(&context.dir.join(output), documents.notes.as_bytes())?,
        None => context.print(&documents.notes)?,
    }
    if let Some(actions) = &context.actions {
        let security = &prepared.release.security;
        actions.append_summary(&documents.notes)?;
        actions.set_output("version", &prepared.release.version)?;
        actions.set_output(
            "previous-tag",
            prepared.release.previous_tag.as_deref().unwrap_or(""),
        )?;
        actions.set_output("fixed", &security.fixed.len().to_string())?;
        actions.set_output("open", &security.open.len().to_string())?;
        if let Some(output) = &args.output {
            actions.set_output("notes", &context.display_path(&context.dir.join(output)))?;
        }
    }
    Ok(ExitStatus::Success)
}
