//! Integration tests of the catalogers: every fixture scenario under `tests/fixtures/`, and every
//! real lockfile under `../shared/fixtures/lockfiles` (skipped, with a note, when absent).

// Test helpers outside #[test] functions panic on purpose when a fixture is not what they expect.
#![allow(clippy::unwrap_used)]
// A test that cannot run says so on stdout (a SKIP line), which nextest shows (.config/nextest.toml).
#![allow(clippy::disallowed_macros)]

mod fixtures;
mod shared;

use std::path::{Path, PathBuf};

use crabox_sbom::{Options, Scope};

pub fn scan(dir: &Path) -> crabox_sbom::Inventory {
    crabox_sbom::scan(&Options {
        root: dir.to_owned(),
        path: dir.to_owned(),
        selection: crabox_sbom::Selection::default(),
        cargo_home: None,
        nuget_packages: None,
        maven_repository: None,
        gradle_home: None,
    })
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// `name@version scope` of every package, sorted.
pub fn listing(inventory: &crabox_sbom::Inventory) -> Vec<String> {
    let mut lines: Vec<String> = inventory
        .lockfiles
        .iter()
        .flat_map(|l| &l.packages)
        .map(|p| {
            let scope = match p.scope {
                Scope::Required => "required",
                Scope::Optional => "optional",
                Scope::Dev => "dev",
            };
            format!("{}@{} {scope}", p.name, p.version)
        })
        .collect();
    lines.sort();
    lines
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
