//! `crabox publish --tag TAG`: the GitHub release for the tag (octocrab, `GITHUB_API_URL`,
//! `GITHUB_TOKEN`), with the GitHub release notes as its body and the evidence bundle's archive,
//! SBOMs, checksums, signatures and CSAF documents as assets: a draft first, then published.
//! Idempotent: a draft for the tag is reused and assets of the same name are replaced.
//!
//! `crabox publish --oci REF --bundle BUNDLE [--subject DIGEST]`: the bundle pushed to an OCI
//! registry as an evidence artifact (`crabox-oci`), attached to the release image as a referrer
//! when a subject is given; prints the pushed `REF@sha256:…`.

use std::path::{Path, PathBuf};

use crabox_cli::PublishArgs;
use crabox_config::EnvVars;
use crabox_github::{Client, Upload};
use crabox_notes::render::{self, Templates};

use crate::progress::Spinners;
use crate::{Context, ExitStatus, UsageError};

/// The files of a bundle directory that go to the release, by asset name.
fn bundle_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["sbom", "artifacts", "notes/csaf", "attestations"] {
        let Ok(entries) = fs_err::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    let signature = dir.join(crabox_evidence::manifest::MANIFEST_SIGNATURE);
    if signature.is_file() {
        files.push(signature);
    }
    files
}

pub fn run(context: &Context, args: &PublishArgs) -> anyhow::Result<ExitStatus> {
    if let Some(reference) = &args.oci {
        oci(context, args, reference)?;
    }
    match &args.tag {
        Some(tag) => github(context, args, tag),
        None => Ok(ExitStatus::Success),
    }
}

/// `crabox publish --oci REF --bundle BUNDLE [--subject DIGEST]`: the bundle (checked against
/// its manifest first: a tampered one is not published) pushed as an evidence artifact.
fn oci(context: &Context, args: &PublishArgs, reference: &str) -> anyhow::Result<()> {
    let (scope, _repo, loaded) = context.scope(None)?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let parsed = crabox_pipeline::oci::parse_reference(reference)
        .map_err(|e| UsageError::new(format!("--oci {e}")))?;
    let bundle = match (&args.bundle, &args.tag) {
        (Some(bundle), _) => context.dir.join(bundle),
        (None, Some(tag)) => scope.root.join("crabox-evidence").join(format!(
            "{}-{}",
            run.product_name(),
            tag.trim_start_matches('v')
        )),
        (None, None) => {
            return Err(
                UsageError::new("`crabox publish --oci` needs --bundle BUNDLE")
                    .with_hint("the directory or .tar.gz that `crabox bundle` wrote")
                    .into(),
            );
        }
    };
    let shown = context.display_path(&bundle);
    if !bundle.exists() {
        return Err(UsageError::new(format!("no evidence bundle at {shown}")).into());
    }
    let files = crabox_pipeline::oci::read_bundle(&bundle, &shown)?;
    let annotations = crabox_pipeline::oci::annotations(&files)?;
    let options =
        crabox_pipeline::oci::options(&|name| run.var(name), parsed.registry(), args.plain_http);
    let registry = crabox_pipeline::oci::Registry::new(&options)?;
    let pushed = registry.push(reference, &files, &annotations, args.subject.as_deref())?;
    tracing::info!(
        "pushed {shown} ({} files, {} blobs uploaded) to {}",
        files.len(),
        pushed.uploaded,
        pushed.reference
    );
    match &pushed.referrers {
        Some(crabox_pipeline::oci::Referrers::Api) => {
            tracing::info!(
                "attached to {} (referrers API)",
                args.subject.as_deref().unwrap_or_default()
            );
        }
        Some(crabox_pipeline::oci::Referrers::TagSchema(tag)) => tracing::info!(
            "attached to {}: the registry has no referrers API, so the index under tag {tag} lists it",
            args.subject.as_deref().unwrap_or_default()
        ),
        None => {}
    }
    context.print(&format!("{}\n", pushed.reference))?;
    if let Some(actions) = &context.actions {
        actions.set_output("oci-reference", &pushed.reference)?;
        actions.set_output("oci-digest", &pushed.digest)?;
    }
    Ok(())
}

/// The GitHub release for `tag`.
#[allow(clippy::too_many_lines)] // the step, in order: who, what body, which files, publish
fn github(context: &Context, args: &PublishArgs, tag: &str) -> anyhow::Result<ExitStatus> {
    let (scope, repo, loaded) = context.scope(None)?;
    let settings = &loaded.settings;
    let root = scope.root.clone();
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let token = settings.secrets.github_token.as_ref().ok_or_else(|| {
        UsageError::new("`crabox publish` needs GITHUB_TOKEN").with_hint(
            "in GitHub Actions: `env: GITHUB_TOKEN: ${{ github.token }}` and `permissions: contents: write`",
        )
    })?;
    let api = context
        .env
        .var(EnvVars::GITHUB_API_URL)
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let slug = context
        .env
        .var(EnvVars::GITHUB_REPOSITORY)
        .or_else(|| {
            repo.as_ref()
                .and_then(crabox_git::Repo::remote_url)
                .as_deref()
                .and_then(crabox_git::github_slug)
        })
        .ok_or_else(|| {
            UsageError::new(
                "no GitHub repository: set GITHUB_REPOSITORY (owner/name) or a GitHub remote",
            )
        })?;

    // The body: the GitHub release template over the range that ends at the tag.
    let version = tag.trim_start_matches('v').to_owned();
    let body = match &repo {
        Some(repo) => {
            let to = repo.resolve(tag).ok().map(|_| tag);
            let (mut prepared, notices) =
                crabox_pipeline::notes::compose(&run, repo, None, to, &[])?;
            context.emit(&notices);
            prepared.release.version.clone_from(&version);
            let templates = Templates {
                dir: Some(root.join("templates")).filter(|d| d.is_dir()),
                release_notes: None,
            };
            render::render(&templates, render::GITHUB_RELEASE, &prepared.release)
                .map_err(|e| UsageError::new(e.to_string()))?
        }
        None => String::new(),
    };

    // The bundle's files.
    let product = run.product_name();
    let bundle = args.bundle.as_ref().map_or_else(
        || {
            root.join("crabox-evidence")
                .join(format!("{product}-{version}"))
        },
        |b| context.dir.join(b),
    );
    let (dir, archive) = match bundle.to_string_lossy().strip_suffix(".tar.gz") {
        Some(stem) => (PathBuf::from(stem), bundle.clone()),
        None => (
            bundle.clone(),
            PathBuf::from(format!("{}.tar.gz", bundle.display())),
        ),
    };
    if !archive.is_file() && !dir.is_dir() {
        return Err(UsageError::new(format!(
            "no evidence bundle at {}",
            context.display_path(&bundle)
        ))
        .with_hint(format!(
            "run `crabox bundle --release {tag}` first, or name one with --bundle"
        ))
        .into());
    }
    let mut paths = Vec::new();
    if archive.is_file() {
        paths.push(archive);
    }
    if dir.is_dir() {
        paths.extend(bundle_files(&dir));
    }
    for asset in &args.asset {
        let path = context.dir.join(asset);
        if !path.is_file() {
            return Err(
                UsageError::new(format!("--asset `{}`: no such file", asset.display())).into(),
            );
        }
        paths.push(path);
    }
    let mut uploads: Vec<Upload> = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if uploads.iter().any(|u| u.name == name) {
            continue;
        }
        uploads.push(Upload {
            name,
            bytes: fs_err::read(&path)?,
        });
    }

    let client = Client::new(&api, token.expose(), &slug)?;
    let title = format!("{product} {version}");
    let published = crabox_github::publish(&client, tag, &title, &body, &uploads)?;
    if published.already_published {
        tracing::warn!(
            "{tag} is already published; nothing was changed (a published release is immutable)"
        );
    } else {
        tracing::info!(
            "{} {} assets ({} replaced){}",
            if published.reused_draft {
                "updated the draft and uploaded"
            } else {
                "created a draft and uploaded"
            },
            published.uploaded.len(),
            published.replaced.len(),
            ", then published"
        );
    }
    context.print(&format!("{}\n", published.url))?;
    if let Some(actions) = &context.actions {
        actions.set_output("url", &published.url)?;
        actions.set_output("assets", &published.uploaded.len().to_string())?;
    }
    Ok(ExitStatus::Success)
}
