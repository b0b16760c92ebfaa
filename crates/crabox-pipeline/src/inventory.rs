//! The lockfiles: of the working tree, read once per run, and of a commit, read from git
//! objects. Both read licences from the same local caches, so that the two ends of a comparison
//! differ only where the lockfiles do.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_config::EnvVars;
use crabox_report::{Finding, Location};
use crabox_sbom::{Format, Inventory};

use crate::Run;

/// Files beside a lockfile that its cataloger reads (workspace manifests, `package.json`,
/// `go.sum`, `pyproject.toml`).
const SIBLINGS: &[&str] = &["Cargo.toml", "package.json", "go.sum", "pyproject.toml"];

/// Cargo's home: `CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home(run: &Run<'_>) -> Option<PathBuf> {
    run.var(EnvVars::CARGO_HOME)
        .map(PathBuf::from)
        .or_else(|| run.var(EnvVars::HOME).map(|h| Path::new(&h).join(".cargo")))
}

/// `NuGet`'s global packages folder: `NUGET_PACKAGES`, else `~/.nuget/packages`.
pub fn nuget_packages(run: &Run<'_>) -> Option<PathBuf> {
    run.var(EnvVars::NUGET_PACKAGES)
        .map(PathBuf::from)
        .or_else(|| {
            run.var(EnvVars::HOME)
                .map(|h| Path::new(&h).join(".nuget/packages"))
        })
}

/// The scan of `path` under `root` with the caches and selection of `run`.
fn scan_options(run: &Run<'_>, root: PathBuf, path: PathBuf) -> crabox_sbom::Options {
    crabox_sbom::Options {
        root,
        path,
        cargo_home: cargo_home(run),
        nuget_packages: nuget_packages(run),
        maven_repository: run
            .var(EnvVars::HOME)
            .map(|h| crabox_sbom::catalog::maven_cache::local_repository(Path::new(&h))),
        gradle_home: run
            .var(EnvVars::GRADLE_USER_HOME)
            .map(PathBuf::from)
            .or_else(|| {
                run.var(EnvVars::HOME)
                    .map(|h| Path::new(&h).join(".gradle"))
            }),
        selection: crabox_sbom::Selection::of(&run.settings().sbom),
    }
}

/// Every lockfile of the product under the scope's `--path`, with licences from the local
/// package caches, and the package databases of the `[sbom] images`; `what` names the step in
/// the log.
pub fn read(run: &Run<'_>, what: &str) -> anyhow::Result<Inventory> {
    // `[sbom] artifacts` that are built already: an audit may run before the build.
    let artifacts: Vec<PathBuf> = run
        .settings()
        .sbom
        .artifacts
        .iter()
        .map(|a| run.scope.root.join(a))
        .filter(|a| a.is_file())
        .collect();
    read_with(
        run,
        what,
        &Inputs {
            artifacts: &artifacts,
            ..Inputs::default()
        },
    )
}

/// What a run reads besides the lockfiles and the configured images and imports.
#[derive(Debug, Default, Clone, Copy)]
pub struct Inputs<'a> {
    /// `--image`, relative to the working directory.
    pub images: &'a [PathBuf],
    /// `--import`, relative to the working directory.
    pub imports: &'a [PathBuf],
    /// Built binaries (absolute): Go build information and `cargo auditable` data in them are
    /// read as lockfiles.
    pub artifacts: &'a [PathBuf],
}

/// [`read`], with the images and suppliers' SBOMs given on the command line (`--image`,
/// `--import`, relative to the working directory) besides those of `[sbom] images` and `[sbom]
/// import` (relative to the repository root).
pub fn read_with(run: &Run<'_>, what: &str, inputs: &Inputs<'_>) -> anyhow::Result<Inventory> {
    let Inputs {
        images,
        imports,
        artifacts,
    } = *inputs;
    let _progress = run.progress.start("reading lockfiles");
    let mut inventory = crabox_sbom::scan(&scan_options(
        run,
        run.scope.root.clone(),
        run.scope.scan.clone(),
    ))?;
    let configured = run
        .settings()
        .sbom
        .images
        .iter()
        .map(|i| run.scope.root.join(i));
    let images: Vec<PathBuf> = images
        .iter()
        .map(|i| run.scope.dir.join(i))
        .chain(configured)
        .collect();
    if !images.is_empty() {
        let _progress = run.progress.start("reading images");
        let read = images
            .iter()
            .map(|image| crabox_sbom::image::scan(&run.scope.root, image))
            .collect::<Result<Vec<_>, _>>()?;
        // An image alone is a product: the lockfile search's 'no lockfile' is not a gap then.
        if read.iter().any(|scan| !scan.lockfiles.is_empty()) {
            inventory
                .diagnostics
                .retain(|d| d.code != crabox_types::codes::SBOM_NO_LOCKFILE);
        }
        for scan in read {
            inventory.lockfiles.extend(scan.lockfiles);
            inventory.diagnostics.extend(scan.diagnostics);
        }
    }
    let imports: Vec<PathBuf> = imports
        .iter()
        .map(|i| run.scope.dir.join(i))
        .chain(
            run.settings()
                .sbom
                .import
                .iter()
                .map(|i| run.scope.root.join(i)),
        )
        .collect();
    for import in &imports {
        inventory
            .lockfiles
            .push(crabox_sbom::import(&run.scope.root, import)?);
    }
    let mut linked = false;
    for artifact in artifacts {
        let read = match crabox_sbom::jar::scan(&run.scope.root, artifact)? {
            Some(lockfile) => Some(lockfile),
            None => crabox_sbom::binary::scan(&run.scope.root, artifact)?,
        };
        if let Some(lockfile) = read {
            inventory.lockfiles.push(lockfile);
            linked = true;
        }
    }
    if !imports.is_empty() || linked {
        inventory
            .diagnostics
            .retain(|d| d.code != crabox_types::codes::SBOM_NO_LOCKFILE);
    }
    log_selection(&inventory, what);
    Ok(inventory)
}

/// The lockfiles of commit `id` (and the files beside them) under the scope's `--path`, read
/// from git objects into a temporary directory and cataloged there, with the same caches as
/// [`read`].
pub fn at_commit(run: &Run<'_>, repo: &crabox_git::Repo, id: &str) -> anyhow::Result<Inventory> {
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
    let path = run
        .scope
        .relative_scan()
        .map_or_else(|| dir.path().to_owned(), |s| dir.path().join(s));
    if !path.exists() {
        return Ok(Inventory::default());
    }
    crabox_sbom::scan(&scan_options(run, dir.path().to_owned(), path)).with_context(|| {
        format!(
            "reading the lockfiles of commit {}",
            &id[..id.len().min(12)]
        )
    })
}

/// Says which lockfiles were read and which were skipped by rule: each with `-v`, a count when
/// some were skipped.
pub fn log_selection(inventory: &Inventory, what: &str) {
    for lockfile in &inventory.lockfiles {
        tracing::debug!("{what}: read {}", lockfile.path);
    }
    for skipped in &inventory.skipped {
        tracing::debug!(
            "{what}: skipped {}: {}",
            skipped.path.display(),
            skipped.rule
        );
    }
    if !inventory.skipped.is_empty() {
        tracing::info!(
            "{what}: {} lockfile(s) read, {} skipped by rule (test data, examples, `[sbom] exclude`; -v lists them)",
            inventory.lockfiles.len(),
            inventory.skipped.len()
        );
    }
}

/// The findings for what the catalogers could not read.
pub fn diagnostics(inventory: &Inventory) -> Vec<Finding> {
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
