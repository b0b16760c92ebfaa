//! `yarn.lock`, classic (v1) and berry (v2+). Both are indentation blocks: a header of
//! comma-separated specifiers, fields, and dependency sub-blocks. Development scope comes from
//! `package.json` beside the lockfile.

use std::collections::HashMap;

use super::{Context, Parsed};
use crate::catalog::npm::{integrity_hashes, source_of};
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Source};

#[derive(Default)]
struct Entry {
    specifiers: Vec<String>,
    line: u32,
    fields: HashMap<String, String>,
    dependencies: Vec<(String, String)>,
}

fn unquote(text: &str) -> String {
    let text = text.trim();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .to_owned()
}

/// `key value` (classic) or `key: value` (berry).
fn field(text: &str, berry: bool) -> Option<(String, String)> {
    let text = text.trim();
    if berry {
        let (key, value) = text
            .split_once(": ")
            .or_else(|| text.strip_suffix(':').map(|k| (k, "")))?;
        Some((unquote(key), unquote(value)))
    } else {
        // A quoted key may contain spaces: `"@a/b" "^1.0.0"`.
        if let Some(rest) = text.strip_prefix('"') {
            let end = rest.find('"')?;
            return Some((rest[..end].to_owned(), unquote(&rest[end + 1..])));
        }
        let (key, value) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        Some((key.trim_end_matches(':').to_owned(), unquote(value)))
    }
}

/// The package name of a specifier `name@range` (names may start with `@`).
fn spec_name(spec: &str) -> &str {
    match spec.char_indices().skip(1).find(|&(_, c)| c == '@') {
        Some((at, _)) => &spec[..at],
        None => spec,
    }
}

/// The range of a specifier: what follows the name and its `@`.
fn spec_range(spec: &str) -> &str {
    spec.get(spec_name(spec).len() + 1..).unwrap_or("")
}

fn blocks(text: &str) -> (Vec<Entry>, bool) {
    let berry = text.lines().any(|l| l.starts_with("__metadata:"));
    let mut entries = Vec::new();
    let mut current: Option<Entry> = None;
    let mut in_dependencies = false;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        if indent == 0 {
            entries.extend(current.take());
            let header = raw.trim_end().trim_end_matches(':');
            if header == "__metadata" {
                continue;
            }
            let specifiers = header.split(", ").map(unquote).collect();
            current = Some(Entry {
                specifiers,
                line,
                ..Entry::default()
            });
            in_dependencies = false;
            continue;
        }
        let Some(entry) = current.as_mut() else {
            continue;
        };
        let Some((key, value)) = field(raw, berry) else {
            continue;
        };
        if indent <= 2 {
            in_dependencies =
                value.is_empty() && matches!(key.as_str(), "dependencies" | "optionalDependencies");
            if !value.is_empty() {
                entry.fields.insert(key, value);
            }
        } else if in_dependencies {
            entry.dependencies.push((key, value));
        }
    }
    entries.extend(current);
    (entries, berry)
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    if !text.contains("yarn lockfile v1")
        && !text.contains("__metadata:")
        && text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        return Err(context.parse_error(
            1,
            "not a yarn.lock: expected `# yarn lockfile v1` or a `__metadata:` block",
        ));
    }
    let (entries, berry) = blocks(text);
    let mut parsed = Parsed::new();
    let mut by_spec: HashMap<String, usize> = HashMap::new();
    let mut by_id: HashMap<(String, String), usize> = HashMap::new();
    let mut pending = Vec::new();
    let mut root_entries = Vec::new();
    for entry in &entries {
        let Some(first) = entry.specifiers.first() else {
            continue;
        };
        let Some(version) = entry.fields.get("version") else {
            parsed.skip(context.diagnostic(entry.line, format!("`{first}` has no `version`")));
            continue;
        };
        let resolution = entry.fields.get("resolution");
        // The root workspace is the product itself, not one of its components (as npm's `""`):
        // what it depends on is what the product depends on directly.
        if resolution.is_some_and(|r| r.ends_with("@workspace:.")) {
            root_entries.push(entry);
            continue;
        }
        if resolution.is_some_and(|r| r.contains("@patch:")) {
            // A patched copy of a package listed on its own; map its specifiers to that package.
            pending.push(entry);
            continue;
        }
        let name = match resolution {
            Some(resolution) => spec_name(resolution).to_owned(),
            None => {
                let name = spec_name(first);
                // An alias `alias@npm:real@^1` is listed under the real package.
                let range = spec_range(first);
                match range
                    .strip_prefix("npm:")
                    .filter(|r| spec_name(r).len() < r.len())
                {
                    Some(real) => spec_name(real).to_owned(),
                    None => name.to_owned(),
                }
            }
        };
        let key = (name.clone(), version.clone());
        let index = match by_id.get(&key) {
            Some(&index) => index,
            None => {
                let mut package = Package::new(Ecosystem::Npm, name, version.clone());
                package.line = entry.line;
                package.is_root = resolution.is_some_and(|r| r.contains("@workspace:"));
                if package.is_root {
                    package.source = Source::Path(resolution.map_or_else(String::new, |r| {
                        r.rsplit(':').next().unwrap_or(".").to_owned()
                    }));
                } else if berry {
                    package.source = match resolution.map(String::as_str) {
                        Some(r) if r.contains("@npm:") => Source::Registry,
                        Some(r) if r.contains("@git") || r.contains("@https://github.com") => {
                            let spec = spec_range(r);
                            let (url, rev) = spec
                                .split_once("#commit=")
                                .or_else(|| spec.split_once('#'))
                                .map_or((spec, None), |(u, c)| (u, Some(c.to_owned())));
                            Source::Git {
                                url: url.to_owned(),
                                rev,
                            }
                        }
                        Some(r)
                            if r.contains("@file:")
                                || r.contains("@link:")
                                || r.contains("@portal:") =>
                        {
                            Source::Path(spec_range(r).to_owned())
                        }
                        _ => Source::Registry,
                    };
                } else {
                    package.source = source_of(entry.fields.get("resolved").map(String::as_str));
                    package.hashes =
                        integrity_hashes(entry.fields.get("integrity").map(String::as_str));
                }
                by_id.insert(key, parsed.packages.len());
                parsed.packages.push(package);
                parsed.packages.len() - 1
            }
        };
        for spec in &entry.specifiers {
            by_spec.insert(spec.clone(), index);
        }
    }
    for entry in pending {
        let (Some(resolution), Some(version)) =
            (entry.fields.get("resolution"), entry.fields.get("version"))
        else {
            continue;
        };
        if let Some(&index) = by_id.get(&(spec_name(resolution).to_owned(), version.clone())) {
            for spec in &entry.specifiers {
                by_spec.insert(spec.clone(), index);
            }
        }
    }
    let lookup = |name: &str, range: &str| -> Option<usize> {
        by_spec
            .get(&format!("{name}@{range}"))
            .or_else(|| by_spec.get(&format!("{name}@npm:{range}")))
            .copied()
    };
    let mut edges_of = vec![Vec::new(); parsed.packages.len()];
    for entry in &entries {
        let Some(&from) = entry.specifiers.first().and_then(|s| by_spec.get(s)) else {
            continue;
        };
        for (name, range) in &entry.dependencies {
            edges_of[from].extend(lookup(name, range));
        }
    }
    let mut depended = vec![false; parsed.packages.len()];
    for (package, mut edges) in parsed.packages.iter_mut().zip(edges_of) {
        edges.sort_unstable();
        edges.dedup();
        for &e in &edges {
            depended[e] = true;
        }
        package.dependencies = edges;
    }
    let product: Vec<usize> = root_entries
        .iter()
        .flat_map(|entry| &entry.dependencies)
        .filter_map(|(name, range)| lookup(name, range))
        .collect();
    apply_manifest(&mut parsed, &depended, context, &lookup, &product);
    Ok(parsed)
}

/// Direct dependencies and development scope from `package.json`.
/// `product`: what the root workspace's entry depends on (yarn berry), when the lockfile has
/// one.
fn apply_manifest(
    parsed: &mut Parsed,
    depended: &[bool],
    context: &Context,
    lookup: &dyn Fn(&str, &str) -> Option<usize>,
    product: &[usize],
) {
    let roots: Vec<usize> = (0..parsed.packages.len())
        .filter(|&i| parsed.packages[i].is_root)
        .collect();
    let manifest = super::sibling(&context.dir, "package.json")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(manifest) = manifest else {
        let mut direct: Vec<usize> = if product.is_empty() {
            (0..parsed.packages.len())
                .filter(|&i| !depended[i] || parsed.packages[i].is_root)
                .collect()
        } else {
            product.iter().chain(&roots).copied().collect()
        };
        direct.sort_unstable();
        direct.dedup();
        parsed.direct = direct;
        return;
    };
    let declared = |key: &str| -> Vec<usize> {
        manifest
            .get(key)
            .and_then(serde_json::Value::as_object)
            .map(|deps| {
                deps.iter()
                    .filter_map(|(n, r)| lookup(n, r.as_str()?))
                    .collect()
            })
            .unwrap_or_default()
    };
    let prod: Vec<usize> = ["dependencies", "optionalDependencies", "peerDependencies"]
        .iter()
        .flat_map(|k| declared(k))
        .collect();
    let dev = declared("devDependencies");
    let shipped: Vec<usize> = prod.iter().chain(&roots).copied().collect();
    super::mark_unreached_dev(&mut parsed.packages, &shipped);
    let mut direct: Vec<usize> = prod.into_iter().chain(dev).chain(roots).collect();
    direct.sort_unstable();
    direct.dedup();
    parsed.direct = direct;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/core@^7.0.0", "@babel/core@^7.1.0":
  version "7.2.0"
  resolved "https://registry.yarnpkg.com/@babel/core/-/core-7.2.0.tgz#abc"
  integrity sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==
  dependencies:
    debug "^4.1.0"

debug@^4.1.0:
  version "4.3.4"

jest@^29:
  version "29.0.0"
  dependencies:
    debug "^4.1.0"

alias@npm:real-pkg@^1.0.0:
  version "1.0.3"
"#;

    #[test]
    fn reads_classic_with_package_json() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("package.json"),
            r#"{"dependencies": {"@babel/core": "^7.0.0", "alias": "npm:real-pkg@^1.0.0"}, "devDependencies": {"jest": "^29"}}"#,
        )
        .unwrap();
        let context = Context {
            dir: dir.path().to_owned(),
            display: "yarn.lock".into(),
            cargo_home: None,
            ..Context::default()
        };
        let parsed = parse(CLASSIC, &context).unwrap();
        let names = parsed.names();
        assert_eq!(
            names,
            [
                "@babel/core@7.2.0",
                "debug@4.3.4",
                "jest@29.0.0",
                "real-pkg@1.0.3"
            ]
        );
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.packages[0].line, 5);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[1].scope, Scope::Required);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.direct, [0, 2, 3]);
    }

    #[test]
    fn reads_berry() {
        let text = r#"# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    lodash: "npm:^4.17.0"
  languageName: unknown
  linkType: soft

"lodash@npm:^4.17.0":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  checksum: 10c0/d8cbea072bb08655bb4c989da418994b073a608dffa608b09ac04b43a791b12aeae7cd7ad919aa4c925f33b48490b5cfe6c1f71d827956071dae2e7bb3a6b74c
  languageName: node
  linkType: hard
"#;
        let parsed = parse(text, &Context::default()).unwrap();
        // The root workspace is the product, not a component of it: its dependency is the
        // product's direct one.
        assert_eq!(parsed.names(), ["lodash@4.17.21"]);
        assert_eq!(parsed.direct, [0]);
    }
}
