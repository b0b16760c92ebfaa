//! `crabox sbom`: catalogs the repository's lockfiles and writes one SBOM (CycloneDX 1.6 or SPDX
//! 2.3 JSON) to `--output` or stdout. Entries that could not be read are warnings with their
//! lockfile line; the SBOM then says it is incomplete.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_cli::{SbomArgs, SbomFormatArg};
use crabox_config::EnvVars;
use crabox_config::file::SbomFormat;
use crabox_report::{Finding, Location, atomic};
use crabox_sbom::{Document, Inventory, Options, Product};

use crate::{Context, ExitStatus, UsageError};

/// The time every timestamp of this run uses: `SOURCE_DATE_EPOCH`, else the HEAD commit's time,
/// else now (said in a warning, since the output is then not reproducible).
pub fn build_time(context: &Context, commit: Option<&crabox_git::Commit>) -> anyhow::Result<i64> {
    if let Some(raw) = context.env.var(EnvVars::SOURCE_DATE_EPOCH) {
        return raw.trim().parse::<i64>().map_err(|_| {
            UsageError::new(format!("SOURCE_DATE_EPOCH=`{raw}` is not a Unix timestamp")).into()
        });
    }
    if let Some(commit) = commit {
        return Ok(commit.time);
    }
    tracing::warn!(
        "no git commit and no SOURCE_DATE_EPOCH: the timestamp is the current time, so the output is not reproducible"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(i64::try_from(now).unwrap_or(i64::MAX))
}

fn cargo_home(context: &Context) -> Option<PathBuf> {
    context
        .env
        .var(EnvVars::CARGO_HOME)
        .map(PathBuf::from)
        .or_else(|| {
            context
                .env
                .var(EnvVars::HOME)
                .map(|h| Path::new(&h).join(".cargo"))
        })
}

/// The findings for what the catalogers could not read.
pub fn diagnostics_findings(inventory: &Inventory) -> Vec<Finding> {
    inventory
        .all_diagnostics()
        .map(|d| {
            let location = if d.line > 0 {
                Location::line(d.file.clone(), d.line, None)
            } else {
                Location::file(d.file.clone())
            };
            Finding::warning(d.code, d.message.clone()).with_location(location)
        })
        .collect()
}

/// The job summary: one row per lockfile, then the warnings.
fn summary_markdown(inventory: &Inventory, findings: Vec<Finding>) -> String {
    use std::fmt::Write as _;
    let mut out =
        String::from("### crabox sbom\n\n| lockfile | packages | complete |\n|---|---:|---|\n");
    for lockfile in &inventory.lockfiles {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            crabox_report::render::markdown_escape(&lockfile.path),
            lockfile.packages.len(),
            if lockfile.complete { "yes" } else { "no" }
        );
    }
    out.push('\n');
    if !findings.is_empty() {
        let report = crabox_report::Report::new(
            crabox_report::Tool {
                name: "crabox".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            "sbom warnings",
            findings,
        );
        out.push_str(&crabox_report::render::markdown(&report));
    }
    out
}

/// The product as the SBOM's top component.
pub fn product(
    settings: &crabox_config::Settings,
    root: &Path,
    repo: Option<&crabox_git::Repo>,
    commit: Option<crabox_git::Commit>,
    artifacts: Vec<crabox_sbom::Artifact>,
) -> Product {
    let remote = repo.and_then(crabox_git::Repo::remote_url);
    Product {
        name: product_name(settings, root),
        version: settings.product.version.clone(),
        manufacturer: settings.product.manufacturer.clone(),
        manufacturer_contact: settings.product.manufacturer_contact.clone(),
        security_contact: settings.product.security_contact.clone(),
        commit: commit.map(|c| c.id),
        repository_url: remote
            .as_deref()
            .and_then(crabox_git::github_slug)
            .map(|s| format!("https://github.com/{s}")),
        artifacts,
    }
}

/// The lockfiles read and the SBOM documents written from them, one per format.
pub struct Sboms {
    pub inventory: Inventory,
    pub documents: Vec<(SbomFormat, String)>,
}

/// Reads every lockfile of the product under `scan_path`, with licences from the local package
/// caches.
pub fn scan(
    context: &Context,
    settings: &crabox_config::Settings,
    root: &Path,
    scan_path: PathBuf,
) -> anyhow::Result<Inventory> {
    let spinner = crate::progress::spinner(context, "reading lockfiles");
    let inventory = crabox_sbom::scan(&Options {
        root: root.to_owned(),
        path: scan_path,
        cargo_home: cargo_home(context),
        selection: crabox_sbom::Selection::of(&settings.sbom),
    })?;
    spinner.finish_and_clear();
    crate::logging::selection(&inventory, "lockfiles");
    Ok(inventory)
}

/// Hashes the artifacts, reads the lockfiles under `scan_path` (unless `inventory` already holds
/// them) and describes the document: what every SBOM format is rendered from. The timestamp is
/// the commit's (or `SOURCE_DATE_EPOCH`).
#[allow(clippy::too_many_arguments)] // the step's inputs, each from a different source
pub fn prepare(
    context: &Context,
    settings: &crabox_config::Settings,
    root: &Path,
    repo: Option<&crabox_git::Repo>,
    scan_path: PathBuf,
    inventory: Option<Inventory>,
    artifact_paths: &[PathBuf],
) -> anyhow::Result<(Product, Inventory, Document)> {
    let commit = match repo {
        Some(repo) => repo.head_commit()?,
        None => None,
    };
    let timestamp_seconds = build_time(context, commit.as_ref())?;
    let timestamp = crabox_types::rfc3339(timestamp_seconds)
        .with_context(|| format!("timestamp {timestamp_seconds} is out of range"))?;
    let mut artifacts = Vec::new();
    for path in artifact_paths {
        let artifact = crabox_sbom::artifact::describe(path).with_context(|| {
            format!(
                "could not hash the artifact `{}`",
                context.display_path(path)
            )
        })?;
        artifacts.push(artifact);
    }
    let inventory = match inventory {
        Some(inventory) => inventory,
        None => scan(context, settings, root, scan_path)?,
    };
    let product = product(settings, root, repo, commit, artifacts);
    let document = Document {
        timestamp,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        exclude_dev: !settings.sbom.include_dev,
    };
    Ok((product, inventory, document))
}

/// [`prepare`], then each format rendered as text.
#[allow(clippy::too_many_arguments)] // the step's inputs, each from a different source
pub fn generate(
    context: &Context,
    settings: &crabox_config::Settings,
    root: &Path,
    repo: Option<&crabox_git::Repo>,
    scan_path: PathBuf,
    inventory: Option<Inventory>,
    artifact_paths: &[PathBuf],
    formats: &[SbomFormat],
) -> anyhow::Result<Sboms> {
    let (product, inventory, document) = prepare(
        context,
        settings,
        root,
        repo,
        scan_path,
        inventory,
        artifact_paths,
    )?;
    let documents = formats
        .iter()
        .map(|&format| {
            (
                format,
                crabox_sbom::render(format, &product, &inventory, &document),
            )
        })
        .collect();
    Ok(Sboms {
        inventory,
        documents,
    })
}

/// `[product] name`, else the repository directory's name.
pub fn product_name(settings: &crabox_config::Settings, root: &Path) -> String {
    settings.product.name.clone().unwrap_or_else(|| {
        root.file_name().map_or_else(
            || "product".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    })
}

/// `--path` resolved against the working directory, or the repository root.
pub fn scan_path(context: &Context, path: Option<&Path>, root: &Path) -> PathBuf {
    path.map_or_else(|| root.to_owned(), |p| context.dir.join(p))
}

pub fn run(context: &Context, args: &SbomArgs) -> anyhow::Result<ExitStatus> {
    let loaded = context.load_config()?;
    let settings = &loaded.settings;
    let (repo, root) = context.repository()?;
    let scan_path = scan_path(context, args.path.as_deref(), &root);
    if !scan_path.exists() {
        return Err(
            UsageError::new(format!("--path `{}` does not exist", scan_path.display())).into(),
        );
    }
    let format = match args.sbom_format {
        Some(SbomFormatArg::CyclonedxJson) => SbomFormat::CyclonedxJson,
        Some(SbomFormatArg::SpdxJson) => SbomFormat::SpdxJson,
        None => settings
            .sbom
            .formats
            .first()
            .copied()
            .unwrap_or(SbomFormat::CyclonedxJson),
    };
    let mut artifact_paths: Vec<PathBuf> =
        args.artifact.iter().map(|a| context.dir.join(a)).collect();
    artifact_paths.extend(settings.sbom.artifacts.iter().map(|a| root.join(a)));
    let (product, inventory, document) = prepare(
        context,
        settings,
        &root,
        repo.as_ref(),
        scan_path,
        None,
        &artifact_paths,
    )?;
    let findings = diagnostics_findings(&inventory);
    context.emit(&findings);
    let packages: usize = inventory.lockfiles.iter().map(|l| l.packages.len()).sum();
    tracing::info!(
        "{} packages from {} lockfile(s){}",
        packages,
        inventory.lockfiles.len(),
        if inventory.complete() {
            ""
        } else {
            "; incomplete, see the warnings"
        }
    );

    // Written as it is serialized, never held whole (the SBOM of a 50 MB lockfile is four times
    // its size). A JSON document has no line a workflow command could start.
    match &args.output {
        Some(output) => {
            let path = context.dir.join(output);
            atomic::write_with(&path, atomic::WriteOptions::default(), |out| {
                crabox_sbom::write(format, &product, &inventory, &document, out)
            })?;
            tracing::info!("wrote {}", context.display_path(&path));
            if let Some(actions) = &context.actions {
                actions.set_output("sbom", &context.display_path(&path))?;
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            crabox_sbom::write(format, &product, &inventory, &document, &mut out)?;
            std::io::Write::flush(&mut out)?;
        }
    }
    if let Some(actions) = &context.actions {
        actions.append_summary(&summary_markdown(&inventory, findings))?;
        actions.set_output("components", &packages.to_string())?;
        actions.set_output(
            "complete",
            if inventory.complete() {
                "true"
            } else {
                "false"
            },
        )?;
    }
    Ok(ExitStatus::Success)
}
