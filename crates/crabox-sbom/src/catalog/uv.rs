//! `uv.lock`: packages with `source`, `dependencies`, optional and development dependencies, and
//! `sdist`/`wheels` hashes. The project itself (`editable` or `virtual` source) is the root.

use std::collections::HashMap;

use super::{Context, Parsed, toml_doc};
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, Package, Scope, Source};
use crate::purl::normalize_pypi;

const PYPI: &str = "https://pypi.org/simple";

/// `(name, version)` references of a dependency list.
fn references(value: Option<&toml::Value>) -> Vec<(String, Option<String>)> {
    value
        .and_then(toml::Value::as_array)
        .map(|deps| {
            deps.iter()
                .filter_map(|d| {
                    let name = d.get("name")?.as_str()?;
                    Some((
                        normalize_pypi(name),
                        d.get("version")
                            .and_then(toml::Value::as_str)
                            .map(str::to_owned),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Dependencies in a table of named lists (`optional-dependencies`, `dev-dependencies`).
fn grouped(value: Option<&toml::Value>) -> Vec<(String, Option<String>)> {
    value
        .and_then(toml::Value::as_table)
        .map(|groups| groups.values().flat_map(|g| references(Some(g))).collect())
        .unwrap_or_default()
}

fn source_of(source: Option<&toml::Value>) -> (Source, bool) {
    let Some(source) = source else {
        return (Source::Registry, false);
    };
    let get = |k: &str| source.get(k).and_then(toml::Value::as_str);
    if let Some(registry) = get("registry") {
        let default = registry.trim_end_matches('/') == PYPI;
        return (
            if default {
                Source::Registry
            } else {
                Source::OtherRegistry(registry.to_owned())
            },
            false,
        );
    }
    if let Some(git) = get("git") {
        let (url, rev) = match git.split_once('#') {
            Some((url, rev)) => (url, Some(rev.to_owned())),
            None => (git, None),
        };
        return (
            Source::Git {
                url: url.split('?').next().unwrap_or(url).to_owned(),
                rev,
            },
            false,
        );
    }
    if let Some(path) = get("editable").or_else(|| get("virtual")) {
        return (Source::Path(path.to_owned()), path == ".");
    }
    if let Some(path) = get("path").or_else(|| get("directory")) {
        return (Source::Path(path.to_owned()), false);
    }
    if let Some(url) = get("url") {
        return (Source::Url(url.to_owned()), false);
    }
    (Source::Registry, false)
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let (document, lines) = toml_doc(text, context, "uv.lock")?;
    let mut parsed = Parsed::new();
    let entries = document
        .get("package")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut normal = Vec::new();
    let mut dev = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let Some(name) = entry.get("name").and_then(toml::Value::as_str) else {
            parsed.skip(context.diagnostic(line, "a `[[package]]` entry without `name`"));
            continue;
        };
        let (source, is_project) = source_of(entry.get("source"));
        let version = entry.get("version").and_then(toml::Value::as_str);
        let Some(version) = version.or(is_project.then_some("")) else {
            parsed.skip(context.diagnostic(line, format!("`{name}` has no `version`")));
            continue;
        };
        let mut package = Package::new(Ecosystem::Pypi, name, version);
        package.line = line;
        package.source = source;
        package.is_root = is_project || matches!(package.source, Source::Path(_));
        let mut hashes: Vec<Hash> = entry
            .get("sdist")
            .and_then(|s| s.get("hash"))
            .and_then(toml::Value::as_str)
            .and_then(Hash::from_prefixed)
            .into_iter()
            .collect();
        if let Some(wheels) = entry.get("wheels").and_then(toml::Value::as_array) {
            hashes.extend(
                wheels
                    .iter()
                    .filter_map(|w| w.get("hash")?.as_str())
                    .filter_map(Hash::from_prefixed),
            );
        }
        hashes.sort();
        hashes.dedup();
        package.hashes = hashes;
        let mut deps = references(entry.get("dependencies"));
        deps.extend(grouped(entry.get("optional-dependencies")));
        normal.push(deps);
        let mut dev_deps = grouped(entry.get("dev-dependencies"));
        dev_deps.extend(grouped(entry.get("dependency-groups")));
        dev.push(dev_deps);
        parsed.packages.push(package);
    }
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in parsed.packages.iter().enumerate() {
        by_name.entry(normalize_pypi(&p.name)).or_default().push(i);
    }
    let resolve = |(name, version): &(String, Option<String>)| -> Option<usize> {
        let candidates = by_name.get(name)?;
        candidates.iter().copied().find(|&c| {
            version
                .as_ref()
                .is_none_or(|v| parsed.packages[c].version == *v)
        })
    };
    let normal_edges: Vec<Vec<usize>> = normal
        .iter()
        .map(|d| d.iter().filter_map(resolve).collect())
        .collect();
    let dev_edges: Vec<Vec<usize>> = dev
        .iter()
        .map(|d| d.iter().filter_map(resolve).collect())
        .collect();
    for (i, package) in parsed.packages.iter_mut().enumerate() {
        let mut edges: Vec<usize> = normal_edges[i]
            .iter()
            .chain(&dev_edges[i])
            .copied()
            .collect();
        edges.sort_unstable();
        edges.dedup();
        package.dependencies = edges;
    }
    // Scopes: reachable from the project through normal edges ships; the rest is development.
    let roots: Vec<usize> = (0..parsed.packages.len())
        .filter(|&i| parsed.packages[i].is_root)
        .collect();
    if !roots.is_empty() {
        let reached = super::reachable(&roots, &normal_edges);
        for (package, reached) in parsed.packages.iter_mut().zip(reached) {
            if !reached {
                package.scope = Scope::Dev;
            }
        }
    }
    parsed.direct = roots;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_edges_and_dev_groups() {
        let text = r#"version = 1
revision = 3

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "httpx" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://x/httpx-0.27.0.tar.gz", hash = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", size = 1 }
wheels = [{ url = "https://x/httpx.whl", hash = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", size = 1 }]

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
"#;
        let parsed = parse(text, &Context::default()).unwrap();
        assert_eq!(parsed.direct, [0]);
        assert!(parsed.packages[0].is_root);
        assert_eq!(parsed.packages[0].dependencies, [1, 2]);
        assert_eq!(parsed.packages[1].scope, Scope::Required);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.packages[1].hashes.len(), 2);
        assert_eq!(parsed.packages[1].line, 13);
    }
}
