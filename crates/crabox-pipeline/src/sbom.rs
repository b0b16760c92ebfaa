//! What an SBOM is rendered from besides the inventory: the product as its top component (with
//! the hashed artifacts) and the document's timestamp and tool.

use std::path::PathBuf;

use anyhow::Context as _;
use crabox_sbom::{Document, Product};

use crate::Run;

/// The artifacts of a run: `--artifact` paths (relative to the working directory), then
/// `[sbom] artifacts` (relative to the repository).
pub fn artifact_paths(run: &Run<'_>, given: &[PathBuf]) -> Vec<PathBuf> {
    given
        .iter()
        .map(|a| run.scope.dir.join(a))
        .chain(
            run.settings()
                .sbom
                .artifacts
                .iter()
                .map(|a| run.scope.root.join(a)),
        )
        .collect()
}

/// The product and the document of the SBOMs of this run: artifacts hashed, the timestamp the
/// commit's (or `SOURCE_DATE_EPOCH`).
pub fn prepare(
    run: &Run<'_>,
    repo: Option<&crabox_git::Repo>,
    artifact_paths: &[PathBuf],
) -> anyhow::Result<(Product, Document)> {
    let settings = run.settings();
    let commit = match repo {
        Some(repo) => repo.head_commit()?,
        None => None,
    };
    let seconds = crate::time::build_time(run, commit.as_ref())?;
    let timestamp = crabox_types::rfc3339(seconds)
        .with_context(|| format!("timestamp {seconds} is out of range"))?;
    let mut artifacts = Vec::new();
    for path in artifact_paths {
        let artifact = crabox_sbom::artifact::describe(path)
            .with_context(|| format!("could not hash the artifact `{}`", run.scope.show(path)))?;
        artifacts.push(artifact);
    }
    let remote = repo.and_then(crabox_git::Repo::remote_url);
    let product = Product {
        name: run.product_name(),
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
    };
    let document = Document {
        timestamp,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        exclude_dev: !settings.sbom.include_dev,
    };
    Ok((product, document))
}
