//! Evidence bundles in OCI registries: the client options (credentials from
//! `CRABOX_OCI_USERNAME`/`CRABOX_OCI_PASSWORD`, else the Docker config), a bundle read for a
//! push (refused unless every file matches its manifest) with its annotations, and a pulled
//! bundle checked against its manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_config::EnvVars;
use crabox_evidence::archive::{InMemory, Limits, Refusal};
use crabox_evidence::manifest::{MANIFEST, MANIFEST_SIGNATURE, Manifest};

pub use crabox_oci::{OciError, Options, Pushed, Referrers, Registry, parse_reference};

/// The annotation keys crabox writes on an evidence artifact besides the OCI ones.
pub const PRODUCT: &str = "dev.crabox.product";
pub const VERSION: &str = "dev.crabox.version";
pub const COMMIT: &str = "dev.crabox.commit";
pub const VERDICT: &str = "dev.crabox.verdict";

/// The options for `registry` (`host[:port]`): credentials from the environment, else from the
/// Docker config (`DOCKER_CONFIG`, else `~/.docker`), else none.
pub fn options(var: &dyn Fn(&str) -> Option<String>, registry: &str, plain_http: bool) -> Options {
    let auth = match (
        var(EnvVars::CRABOX_OCI_USERNAME),
        var(EnvVars::CRABOX_OCI_PASSWORD),
    ) {
        (Some(username), Some(password)) => crabox_oci::Auth::Basic { username, password },
        _ => var(EnvVars::DOCKER_CONFIG)
            .map(PathBuf::from)
            .or_else(|| var(EnvVars::HOME).map(|home| Path::new(&home).join(".docker")))
            .and_then(|dir| crabox_oci::Auth::from_docker_config(&dir, registry))
            .unwrap_or_default(),
    };
    Options { plain_http, auth }
}

/// A bundle's files (manifest, signature and every file the manifest lists), read from its
/// directory or `.tar.gz` and checked against the manifest: a bundle that does not match is
/// refused, so nothing tampered is published.
pub fn read_bundle(path: &Path, shown: &str) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    if path.is_dir() {
        let checked = crabox_evidence::check::directory(path)?;
        refuse(shown, &checked)?;
        let mut files = BTreeMap::new();
        files.insert(MANIFEST.to_owned(), checked.manifest_bytes.clone());
        if let Some(signature) = checked.signature {
            files.insert(MANIFEST_SIGNATURE.to_owned(), signature);
        }
        for entry in &checked.manifest.files {
            files.insert(entry.path.clone(), fs_err::read(path.join(&entry.path))?);
        }
        Ok(files)
    } else {
        let archive = crabox_evidence::archive::read(path, &Limits::default())?;
        let checked = crabox_evidence::check::in_memory(shown, &archive)?;
        refuse(shown, &checked)?;
        Ok(archive.files)
    }
}

fn refuse(shown: &str, checked: &crabox_evidence::check::Checked) -> anyhow::Result<()> {
    if checked.problems.is_empty() {
        return Ok(());
    }
    let problems: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
    anyhow::bail!(
        "{shown}: does not match its manifest, not published: {}",
        problems.join("; ")
    )
}

/// The annotations of a bundle's artifact: product, version, commit and verdict from its
/// report, and the OCI `created`, `version`, `revision` and (for a URL) `source`.
pub fn annotations(files: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<BTreeMap<String, String>> {
    let manifest = Manifest::from_bytes(
        MANIFEST,
        files
            .get(MANIFEST)
            .context("no manifest.json in the bundle")?,
    )?;
    let mut out = BTreeMap::new();
    if let Some(bytes) = files.get("cra/report.json") {
        let report: serde_json::Value =
            serde_json::from_slice(bytes).context("cra/report.json is not JSON")?;
        let text = |key: &str| report.get(key).and_then(serde_json::Value::as_str);
        for (annotation, key) in [
            (PRODUCT, "product"),
            (VERSION, "version"),
            (VERDICT, "verdict"),
        ] {
            if let Some(value) = text(key) {
                out.insert(annotation.to_owned(), value.to_owned());
            }
        }
        if let Some(version) = text("version") {
            out.insert(
                "org.opencontainers.image.version".into(),
                version.to_owned(),
            );
        }
        if let Some(time) = text("report_time") {
            out.insert("org.opencontainers.image.created".into(), time.to_owned());
        }
    }
    if let Some(commit) = &manifest.inputs.commit {
        out.insert(COMMIT.to_owned(), commit.clone());
        out.insert("org.opencontainers.image.revision".into(), commit.clone());
    }
    if let Some(repository) = manifest
        .inputs
        .repository
        .as_ref()
        .filter(|r| r.starts_with("https://"))
    {
        out.insert("org.opencontainers.image.source".into(), repository.clone());
    }
    Ok(out)
}

/// Pulls the bundle at `reference` into memory, within the archive limits: the artifact's digest
/// and the bundle as an archive read into memory (for `crabox_evidence::check::in_memory`).
pub fn pull(reference: &str, options: &Options) -> Result<(String, InMemory), OciError> {
    let archive = Limits::default();
    let limits = crabox_oci::Limits {
        total: archive.total,
        entry: archive.entry,
        entries: archive.entries,
        depth: archive.depth,
    };
    let pulled = Registry::new(options)?.pull(reference, &limits)?;
    Ok((
        pulled.digest,
        InMemory {
            files: pulled.files,
            refused: pulled
                .refused
                .into_iter()
                .map(|(path, why)| Refusal { path, why })
                .collect(),
        },
    ))
}
