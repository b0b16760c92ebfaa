//! Finding the product's lockfiles in a monorepo: `.gitignore` honoured; `target/`,
//! `node_modules/`, `vendor/` and `.git/` never walked; lockfiles under test, example, benchmark
//! and documentation directories (`tests/`, `examples/`, `fixtures/`, …) skipped by rule and
//! listed as such; `[sbom] include` and `exclude` globs decide over the rule; sorted.

use std::path::{Path, PathBuf};

use crate::error::SbomError;
use crate::model::Format;

/// Build outputs, installed dependencies and vendored copies: never walked.
const PRUNED: &[&str] = &["target", "node_modules", "vendor", ".git"];

/// Test data, examples, benchmarks and documentation: their lockfiles are not the product's
/// (cargo-deny's 36 lockfiles under `tests/` and `examples/` are not cargo-deny). Skipped by
/// default, and said so.
const NOT_THE_PRODUCT: &[&str] = &[
    "tests",
    "test",
    "testdata",
    "test_data",
    "fixtures",
    "__fixtures__",
    "examples",
    "benches",
    "docs",
];

/// Which lockfiles are the product's: `[sbom] include` globs read a lockfile even where the
/// default rule skips it, `[sbom] exclude` globs skip one. Globs match the path relative to the
/// scanned directory, `/`-separated; `*` stays within a directory, `**` crosses them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl Selection {
    /// `[sbom] include` and `exclude`.
    pub fn of(settings: &crabox_config::SbomSettings) -> Selection {
        Selection {
            include: settings.include.clone(),
            exclude: settings.exclude.clone(),
        }
    }
}

/// A lockfile found and not read, and the rule that skipped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub rule: String,
}

fn globs(key: &'static str, patterns: &[String]) -> Result<globset::GlobSet, SbomError> {
    let mut set = globset::GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| SbomError::Glob {
                key,
                pattern: pattern.clone(),
                message: e.kind().to_string(),
            })?;
        set.add(glob);
    }
    set.build().map_err(|e| SbomError::Glob {
        key,
        pattern: patterns.join(", "),
        message: e.to_string(),
    })
}

/// Lockfiles found, with their formats.
pub type Found = Vec<(PathBuf, Format)>;

/// Every lockfile under `dir` with its format, sorted by path, and those skipped by a rule.
/// When `npm-shrinkwrap.json` and `package-lock.json` sit together, npm uses the shrinkwrap;
/// so does crabox.
pub fn discover_in_scope(
    dir: &Path,
    scope: &Selection,
) -> Result<(Found, Vec<Skipped>), SbomError> {
    let include = globs("include", &scope.include)?;
    let exclude = globs("exclude", &scope.exclude)?;
    let mut skipped = Vec::new();
    let found = discover(dir)?
        .into_iter()
        .filter(|(path, _)| {
            let relative = path.strip_prefix(dir).unwrap_or(path);
            let shown = relative.to_string_lossy().replace('\\', "/");
            if let Some(pattern) = exclude.matches(&shown).first() {
                skipped.push(Skipped {
                    path: path.clone(),
                    rule: format!("`[sbom] exclude` `{}`", scope.exclude[*pattern]),
                });
                return false;
            }
            let rule_dir = relative
                .parent()
                .into_iter()
                .flat_map(Path::components)
                .filter_map(|c| c.as_os_str().to_str())
                .find(|c| NOT_THE_PRODUCT.contains(c));
            match rule_dir {
                Some(name) if !include.is_match(&shown) => {
                    skipped.push(Skipped {
                        path: path.clone(),
                        rule: format!(
                            "under `{name}/` (not the product; `[sbom] include` reads it)"
                        ),
                    });
                    false
                }
                _ => true,
            }
        })
        .collect();
    Ok((found, skipped))
}

/// Every lockfile under `dir` with its format, sorted by path, test and example directories
/// included (`scan` keeps the product's only).
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
                    .is_some_and(|n| PRUNED.contains(&n)))
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
        let found: Vec<String> = discover_in_scope(root, &Selection::default())
            .unwrap()
            .0
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

    #[test]
    fn test_and_example_lockfiles_are_skipped_by_rule_unless_included() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "Cargo.lock",
            "tests/a/Cargo.lock",
            "examples/demo/Cargo.lock",
            "docs/site/package-lock.json",
            "benches/b/Cargo.lock",
            "test_data/x/go.mod",
            "crates/x/Cargo.lock",
        ] {
            let path = root.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, "").unwrap();
        }
        let relative = |paths: Vec<PathBuf>| -> Vec<String> {
            paths
                .into_iter()
                .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
                .collect()
        };
        let (found, skipped) = discover_in_scope(root, &Selection::default()).unwrap();
        assert_eq!(
            relative(found.into_iter().map(|f| f.0).collect()),
            ["Cargo.lock", "crates/x/Cargo.lock"]
        );
        assert_eq!(skipped.len(), 5);
        assert!(skipped[0].rule.contains("not the product"), "{skipped:?}");
        let scope = Selection {
            include: vec!["examples/**".into()],
            exclude: vec!["crates/*/Cargo.lock".into()],
        };
        let (found, skipped) = discover_in_scope(root, &scope).unwrap();
        assert_eq!(
            relative(found.into_iter().map(|f| f.0).collect()),
            ["Cargo.lock", "examples/demo/Cargo.lock"]
        );
        assert!(skipped.iter().any(|s| s.rule.contains("exclude")));
        // A scan pointed into a test directory reads it.
        let (found, _) = discover_in_scope(&root.join("tests/a"), &Selection::default()).unwrap();
        assert_eq!(found.len(), 1);
        let bad = Selection {
            include: vec!["[".into()],
            exclude: Vec::new(),
        };
        assert!(discover_in_scope(root, &bad).is_err());
    }
}
