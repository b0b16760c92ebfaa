//! `crabox sbom`: finds every lockfile under a directory, reads them in parallel with one
//! cataloger per format, and writes CycloneDX 1.6 or SPDX 2.3 JSON describing the product, its
//! built artifacts and every pinned package, deterministically.
//!
//! This crate never prints and never reads the process environment; the binary passes in what
//! it needs ([`Options`], [`Product`]).

pub mod artifact;
pub mod binary;
mod cache;
pub mod catalog;
pub mod cyclonedx;
mod discover;
mod error;
pub mod graph;
pub mod image;
pub mod jar;
pub mod spdx;
pub mod spdx3;

/// The component vocabulary lives in `crabox-types`, so that other steps share it.
pub use crabox_types::{component as model, encoding, purl};

use std::path::{Path, PathBuf};

use crabox_config::file::SbomFormat;
use crabox_types::codes;
use rayon::prelude::*;

pub use artifact::Artifact;
pub use discover::{Selection, Skipped, discover};
pub use error::SbomError;
pub use model::{Diagnostic, Ecosystem, Format, Lockfile, Package, Scope};

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository root: lockfile paths are shown relative to it.
    pub root: PathBuf,
    /// The directory to scan (`--path`), at or below the root.
    pub path: PathBuf,
    /// Cargo's home, for licences in the local registry cache.
    pub cargo_home: Option<PathBuf>,
    /// `NuGet`'s global packages folder, for licences and project URLs of `NuGet` packages.
    pub nuget_packages: Option<PathBuf>,
    /// Maven's local repository, for the jars and poms of Maven packages.
    pub maven_repository: Option<PathBuf>,
    /// Gradle's home, for its module cache.
    pub gradle_home: Option<PathBuf>,
    /// Which lockfiles are the product's (`[sbom] include`/`exclude`).
    pub selection: Selection,
}

/// Every lockfile read, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub lockfiles: Vec<Lockfile>,
    /// Problems outside any one lockfile's entries (no lockfile at all).
    pub diagnostics: Vec<Diagnostic>,
    /// Lockfiles found and not read (test data, examples, `[sbom] exclude`), paths relative to
    /// the root.
    pub skipped: Vec<Skipped>,
}

impl Inventory {
    /// False when a lockfile left something out.
    pub fn complete(&self) -> bool {
        self.lockfiles.iter().all(|l| l.complete)
    }

    /// Every diagnostic, lockfile by lockfile.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .chain(self.lockfiles.iter().flat_map(|l| &l.diagnostics))
    }
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Reads and catalogs one lockfile (the package caches from `caches`).
pub fn read_lockfile(
    root: &Path,
    path: &Path,
    format: Format,
    caches: &Options,
) -> Result<Lockfile, SbomError> {
    let bytes = fs_err::read(path).map_err(|source| SbomError::Read {
        path: path.to_owned(),
        source,
    })?;
    let shown = display(root, path);
    let text = String::from_utf8(bytes).map_err(|err| SbomError::Parse {
        file: shown.clone(),
        line: 1,
        message: format!("not UTF-8 text: {err}"),
    })?;
    let context = catalog::Context {
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        display: shown.clone(),
        cargo_home: caches.cargo_home.clone(),
        nuget_packages: caches.nuget_packages.clone(),
        maven_repository: caches.maven_repository.clone(),
        gradle_home: caches.gradle_home.clone(),
        distro: None,
        root: Some(root.to_owned()),
    };
    let mut parsed = catalog::parse(format, &text, &context)?;
    cache::add_licenses(&mut parsed.packages, &context.dir);
    Ok(parsed.into_lockfile(shown, format))
}

/// Reads a supplier's SBOM (`--import`, `[sbom] import`): CycloneDX or SPDX JSON, told apart by
/// the `bomFormat` key.
pub fn import(root: &Path, path: &Path) -> Result<Lockfile, SbomError> {
    let text = fs_err::read_to_string(path).map_err(|source| SbomError::Read {
        path: path.to_owned(),
        source,
    })?;
    let format = if memchr::memmem::find(text.as_bytes(), b"\"bomFormat\"").is_some() {
        Format::CycloneDxImport
    } else {
        Format::SpdxImport
    };
    let shown = display(root, path);
    let context = catalog::Context {
        display: shown.clone(),
        ..catalog::Context::default()
    };
    Ok(catalog::parse(format, &text, &context)?.into_lockfile(shown, format))
}

/// Finds and reads every lockfile under `options.path`, in parallel. An unreadable or malformed
/// lockfile is an error naming file and line; a bad entry inside one is a diagnostic.
pub fn scan(options: &Options) -> Result<Inventory, SbomError> {
    let (found, skipped) = discover::discover_in_scope(&options.path, &options.selection)?;
    let read =
        |(path, format): &(PathBuf, Format)| read_lockfile(&options.root, path, *format, options);
    // One lockfile is read on this thread: starting the thread pool costs more than it saves.
    let lockfiles: Result<Vec<Lockfile>, SbomError> = if found.len() > 1 {
        found.par_iter().map(read).collect()
    } else {
        found.iter().map(read).collect()
    };
    let mut inventory = Inventory {
        lockfiles: lockfiles?,
        diagnostics: Vec::new(),
        skipped: skipped
            .into_iter()
            .map(|s| Skipped {
                path: PathBuf::from(display(&options.root, &s.path)),
                rule: s.rule,
            })
            .collect(),
    };
    if found.is_empty() {
        let message = if inventory.skipped.is_empty() {
            "no lockfile found: the SBOM lists the product alone".to_owned()
        } else {
            format!(
                "no lockfile of the product found ({} skipped by rule, e.g. `{}`: {}): the SBOM lists the product alone",
                inventory.skipped.len(),
                inventory.skipped[0].path.display(),
                inventory.skipped[0].rule
            )
        };
        inventory.diagnostics.push(Diagnostic {
            code: codes::SBOM_NO_LOCKFILE,
            file: PathBuf::from(display(&options.root, &options.path)),
            line: 0,
            message,
        });
    }
    Ok(inventory)
}

/// The product the SBOM describes.
#[derive(Debug, Clone, Default)]
pub struct Product {
    pub name: String,
    pub version: Option<String>,
    pub manufacturer: Option<String>,
    pub manufacturer_contact: Option<String>,
    pub security_contact: Option<String>,
    /// The git commit the SBOM was made from.
    pub commit: Option<String>,
    pub repository_url: Option<String>,
    pub artifacts: Vec<Artifact>,
}

/// Document-level facts.
#[derive(Debug, Clone)]
pub struct Document {
    /// RFC 3339 UTC.
    pub timestamp: String,
    pub tool_version: String,
    /// Leave development-only packages out (`include-dev = false`).
    pub exclude_dev: bool,
}

/// The SBOM of an inventory in the chosen format.
pub fn render(
    format: SbomFormat,
    product: &Product,
    inventory: &Inventory,
    document: &Document,
) -> String {
    render_into(format, product, inventory, document, graph::Target::Text)
        .ok()
        .flatten()
        .expect("a document serializes to text")
}

/// [`render`] written to `out` as it is serialized (twice: once into a hash for the
/// content-derived identifier, then into `out`), never held whole: the same bytes.
pub fn write(
    format: SbomFormat,
    product: &Product,
    inventory: &Inventory,
    document: &Document,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    render_into(
        format,
        product,
        inventory,
        document,
        graph::Target::Stream(out),
    )
    .map(drop)
}

/// The graph of `inventory`, rendered in `format` into `target`.
fn render_into(
    format: SbomFormat,
    product: &Product,
    inventory: &Inventory,
    document: &Document,
    target: graph::Target,
) -> std::io::Result<Option<String>> {
    let purls = graph::purls(inventory);
    let graph = graph::merge(inventory, &purls, document.exclude_dev);
    match format {
        SbomFormat::CyclonedxJson => cyclonedx::render_into(product, &graph, document, target),
        SbomFormat::SpdxJson => spdx::render_into(product, &graph, document, target),
        SbomFormat::Spdx3Json => {
            let text = spdx3::render(product, &graph, document);
            match target {
                graph::Target::Text => Ok(Some(text)),
                graph::Target::Stream(out) => out.write_all(text.as_bytes()).map(|()| None),
            }
        }
    }
}
