//! `poetry.lock`: `[[package]]` entries with `[package.dependencies]`, hashes in `files` (or the
//! older `[metadata.files]`), development packages by `category` or `groups`.

use std::collections::HashMap;

use super::{Context, Parsed, toml_doc};
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, Package, Scope, Source};
use crate::purl::normalize_pypi;

fn file_hashes(files: Option<&toml::Value>) -> Vec<Hash> {
    let mut hashes: Vec<Hash> = files
        .and_then(toml::Value::as_array)
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.get("hash").and_then(toml::Value::as_str))
                .filter_map(Hash::from_prefixed)
                .collect()
        })
        .unwrap_or_default();
    hashes.sort();
    hashes.dedup();
    hashes
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let (document, lines) = toml_doc(text, context, "poetry.lock")?;
    let mut parsed = Parsed::new();
    let legacy_files = document.get("metadata").and_then(|m| m.get("files"));
    let entries = document
        .get("package")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut deps_by_package = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let (Some(name), Some(version)) = (
            entry.get("name").and_then(toml::Value::as_str),
            entry.get("version").and_then(toml::Value::as_str),
        ) else {
            parsed.skip(
                context.diagnostic(line, "a `[[package]]` entry without `name` or `version`"),
            );
            continue;
        };
        let mut package = Package::new(Ecosystem::Pypi, name, version);
        package.line = line;
        let category = entry.get("category").and_then(toml::Value::as_str);
        let groups: Vec<&str> = entry
            .get("groups")
            .and_then(toml::Value::as_array)
            .map(|g| g.iter().filter_map(toml::Value::as_str).collect())
            .unwrap_or_default();
        package.scope =
            if category == Some("dev") || (!groups.is_empty() && !groups.contains(&"main")) {
                Scope::Dev
            } else if entry.get("optional").and_then(toml::Value::as_bool) == Some(true) {
                Scope::Optional
            } else {
                Scope::Required
            };
        package.hashes = file_hashes(
            entry
                .get("files")
                .or_else(|| legacy_files.and_then(|f| f.get(name))),
        );
        if let Some(source) = entry.get("source") {
            let url = source
                .get("url")
                .and_then(toml::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            package.source = match source.get("type").and_then(toml::Value::as_str) {
                Some("git") => Source::Git {
                    url,
                    rev: source
                        .get("resolved_reference")
                        .or_else(|| source.get("reference"))
                        .and_then(toml::Value::as_str)
                        .map(str::to_owned),
                },
                Some("directory" | "file") => Source::Path(url),
                Some("url") => Source::Url(url),
                Some("legacy") if !url.is_empty() => Source::OtherRegistry(url),
                _ => Source::Registry,
            };
        }
        let deps: Vec<String> = entry
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .map(|t| t.keys().map(|k| normalize_pypi(k)).collect())
            .unwrap_or_default();
        deps_by_package.push(deps);
        parsed.packages.push(package);
    }
    let by_name: HashMap<String, usize> = parsed
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (normalize_pypi(&p.name), i))
        .collect();
    let mut depended = vec![false; parsed.packages.len()];
    for (i, deps) in deps_by_package.iter().enumerate() {
        let mut edges: Vec<usize> = deps
            .iter()
            .filter_map(|d| by_name.get(d).copied())
            .collect();
        edges.sort_unstable();
        edges.dedup();
        for &e in &edges {
            depended[e] = true;
        }
        parsed.packages[i].dependencies = edges;
    }
    // The project's own requirements are in pyproject.toml; the lockfile's roots approximate them.
    let declared = super::sibling(&context.dir, "pyproject.toml").map(|t| pyproject_names(&t));
    parsed.direct = (0..parsed.packages.len())
        .filter(|&i| match &declared {
            Some(names) if !names.is_empty() => {
                names.contains(&normalize_pypi(&parsed.packages[i].name))
            }
            _ => !depended[i],
        })
        .collect();
    Ok(parsed)
}

/// The dependency names a `pyproject.toml` declares (PEP 621 and Poetry tables).
pub fn pyproject_names(text: &str) -> Vec<String> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let pep508_name = |spec: &str| {
        spec.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .next()
            .map(normalize_pypi)
    };
    if let Some(deps) = doc
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(toml::Value::as_array)
    {
        names.extend(
            deps.iter()
                .filter_map(toml::Value::as_str)
                .filter_map(pep508_name),
        );
    }
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    for table in ["dependencies", "dev-dependencies"] {
        if let Some(deps) = poetry
            .and_then(|p| p.get(table))
            .and_then(toml::Value::as_table)
        {
            names.extend(
                deps.keys()
                    .filter(|k| *k != "python")
                    .map(|k| normalize_pypi(k)),
            );
        }
    }
    if let Some(groups) = poetry
        .and_then(|p| p.get("group"))
        .and_then(toml::Value::as_table)
    {
        for group in groups.values() {
            if let Some(deps) = group.get("dependencies").and_then(toml::Value::as_table) {
                names.extend(deps.keys().map(|k| normalize_pypi(k)));
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_packages_edges_and_groups() {
        let text = r#"
[[package]]
name = "Requests"
version = "2.31.0"
optional = false
files = [
    {file = "requests-2.31.0.tar.gz", hash = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
]
groups = ["main"]

[package.dependencies]
urllib3 = ">=1.21.1,<3"

[[package]]
name = "urllib3"
version = "2.0.0"
groups = ["main"]

[[package]]
name = "pytest"
version = "8.0.0"
category = "dev"

[[package]]
name = "broken"

[metadata]
content-hash = "x"
"#;
        let parsed = parse(text, &Context::default()).unwrap();
        let names = parsed.names();
        assert_eq!(names, ["Requests@2.31.0", "urllib3@2.0.0", "pytest@8.0.0"]);
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[0].line, 2);
        assert_eq!(parsed.direct, [0, 2]);
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 24);
    }
}
