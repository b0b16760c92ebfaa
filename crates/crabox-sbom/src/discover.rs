//! Finding lockfiles in a monorepo: `.gitignore` honoured; `target/`, `node_modules/`,
//! `vendor/`, `.git/` and test-data directories (`testdata/`, `fixtures/`) skipped; sorted.

use std::path::{Path, PathBuf};

use crate::error::SbomError;
use crate::model::Format;

/// Build outputs, installed dependencies, vendored copies, and test data (Go's `testdata`
/// convention and `fixtures`): their lockfiles are not the product's.
const SKIPPED: &[&str] = &[
    "target",
    "node_modules",
    "vendor",
    ".git",
    "testdata",
    "fixtures",
    "__fixtures__",
];

/// Every lockfile under `dir` with its format, sorted by path. When `npm-shrinkwrap.json` and
/// `package-lock.json` sit together, npm uses the shrinkwrap; so does crabox.
pub fn discover(dir: &Path) -> Result<Vec<(PathBuf, Format)>, SbomError> {
    if dir.is_file() {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        return Ok(Format::of_file_name(name)
            .map(|f| vec![(dir.to_owned(), f)])
            .unwrap_or_default());
    }
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        // `.gitignore` and `.git/info/exclude` decide; no `.ignore` files, no global excludes
        // (the same SBOM on every machine).
        .ignore(false)
        .git_global(false)
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED.contains(&n)))
        })
        .build();
    let mut found = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|source| SbomError::Walk {
            path: dir.to_owned(),
            source,
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(format) = entry.file_name().to_str().and_then(Format::of_file_name) else {
            continue;
        };
        found.push((entry.into_path(), format));
    }
    found.sort();
    let shrinkwrapped: Vec<PathBuf> = found
        .iter()
        .filter(|(p, _)| p.file_name().is_some_and(|n| n == "npm-shrinkwrap.json"))
        .filter_map(|(p, _)| p.parent().map(Path::to_path_buf))
        .collect();
    found.retain(|(p, _)| {
        !(p.file_name().is_some_and(|n| n == "package-lock.json")
            && p.parent()
                .is_some_and(|d| shrinkwrapped.iter().any(|s| s == d)))
    });
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lockfiles_and_skips_the_usual_places() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "Cargo.lock",
            "web/package-lock.json",
            "web/npm-shrinkwrap.json",
            "web/node_modules/x/package-lock.json",
            "target/debug/Cargo.lock",
            "vendor/go.mod",
            "py/requirements-dev.txt",
            "py/requirements.in",
            "ignored/uv.lock",
            "go/go.mod",
            "go/go.sum",
            "tests/fixtures/npm/package-lock.json",
            "pkg/testdata/go.mod",
        ] {
            let path = root.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, "").unwrap();
        }
        fs_err::write(root.join(".gitignore"), "ignored/\n").unwrap();
        let found: Vec<String> = discover(root)
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            found,
            [
                "Cargo.lock",
                "go/go.mod",
                "py/requirements-dev.txt",
                "web/npm-shrinkwrap.json"
            ]
        );
    }
}
