//! `pnpm-lock.yaml`, lockfile versions 5.x, 6.0 and 9.0: package keys in each version's syntax
//! (`/name/1.0.0_peer`, `/name@1.0.0(peer)`, `name@1.0.0`), importers for workspaces, and
//! development scope from the `dev` flags (5, 6) or the importers' `devDependencies` (9).

use std::collections::{BTreeMap, HashMap};

use serde_yaml_ng::{Mapping, Value};

use super::{Context, Parsed};
use crate::catalog::npm::integrity_hashes;
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Scope, Source};

/// `name` and `version` of a package key, without peer suffixes: 5.x writes
/// `/name/1.0.0_peer@2` (a scoped name has one more segment), 6.0 `/name@1.0.0(peer@2)` and 9.0
/// `name@1.0.0(peer@2)`.
fn split_key(key: &str, v5: bool) -> Option<(String, String)> {
    let key = key.trim_start_matches('/');
    if v5 {
        let segments: Vec<&str> = key.splitn(3, '/').collect();
        let (name, rest) = match segments.as_slice() {
            [scope, name, rest] if scope.starts_with('@') => (format!("{scope}/{name}"), *rest),
            [name, rest, ..] => ((*name).to_owned(), *rest),
            _ => return None,
        };
        let version = rest.split(['_', '/']).next().unwrap_or(rest);
        return (!name.is_empty() && !version.is_empty()).then(|| (name, version.to_owned()));
    }
    let key = key.split('(').next().unwrap_or(key);
    let at = key
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '@')
        .map(|(i, _)| i)?;
    let (name, version) = (&key[..at], &key[at + 1..]);
    (!version.is_empty() && !name.is_empty()).then(|| (name.to_owned(), version.to_owned()))
}

fn string<'a>(map: &'a Mapping, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// A dependency reference (`1.0.0`, `1.0.0_peer`, `1.0.0(peer)`, `/other/2.0.0`, `link:../x`) as
/// the key of the package it points at, in the lockfile's key syntax.
fn reference_key(name: &str, reference: &str, v9: bool, v5: bool) -> Option<String> {
    if reference.starts_with("link:") || reference.starts_with("file:") {
        return None;
    }
    if reference.starts_with('/') {
        return Some(reference.to_owned());
    }
    // 6.0 and 9.0 write an alias as `other@2.0.0` (5.x as `/other/2.0.0`, handled above; its
    // peer suffixes `_peer@1` also hold `@`).
    if !v5
        && reference
            .split('(')
            .next()
            .is_some_and(|r| r.char_indices().skip(1).any(|(_, c)| c == '@'))
    {
        // An alias resolved to another package: `other@2.0.0`.
        return Some(if v9 {
            reference.to_owned()
        } else {
            format!("/{reference}")
        });
    }
    Some(if v9 {
        format!("{name}@{reference}")
    } else if v5 {
        format!("/{name}/{reference}")
    } else {
        format!("/{name}@{reference}")
    })
}

/// `name → reference` of the dependency maps of an importer or snapshot (v6/v9 importers nest
/// `{specifier, version}`).
fn dependency_refs(map: &Mapping, keys: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in keys {
        let Some(Value::Mapping(deps)) = map.get(*key) else {
            continue;
        };
        for (name, value) in deps {
            let Some(name) = name.as_str() else { continue };
            let reference = match value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Mapping(m) => string(m, "version").map(str::to_owned),
                _ => None,
            };
            if let Some(reference) = reference {
                out.push((name.to_owned(), reference));
            }
        }
    }
    out
}

/// The 1-based line of the first occurrence of each key indented by exactly two spaces
/// (`  key:`, `  key: value`, `  'key':`).
fn second_level_keys(text: &str) -> HashMap<&str, u32> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        let key = match rest.as_bytes().first() {
            Some(b' ' | b'#' | b'-') | None => continue,
            Some(&quote @ (b'\'' | b'"')) => {
                rest[1..].find(char::from(quote)).map(|end| &rest[1..=end])
            }
            Some(_) => rest
                .find(": ")
                .map(|end| &rest[..end])
                .or_else(|| rest.strip_suffix(':')),
        };
        if let Some(key) = key {
            out.entry(key)
                .or_insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    out
}

/// The line ranges (0-based, end exclusive) of the YAML documents of `text`: a line that is
/// exactly `---` starts a new one. Documents with nothing but blank lines and comments are left
/// out.
fn documents(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        count = i + 1;
        if line.trim_end() == "---" {
            ranges.push((start, i));
            start = i + 1;
        }
    }
    ranges.push((start, count));
    let lines: Vec<&str> = text.lines().collect();
    ranges.retain(|&(from, to)| {
        lines[from..to.min(lines.len())]
            .iter()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    ranges
}

/// `text` with every line outside `from..to` blanked: one YAML document, at its own line numbers.
fn only(text: &str, (from, to): (usize, usize)) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if (from..to).contains(&i) {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// A pnpm-lock.yaml. pnpm 11 and later may write two YAML documents: first the "env" document
/// (the package manager's own packages and config dependencies, installed before the project),
/// then the project's lockfile. The last document is the product's graph; the packages only the
/// earlier ones pin are listed too (they are installed), as development scope: they are tooling,
/// not shipped.
pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    use crabox_types::encoding::{YAML_MAX_DEPTH, yaml_too_deep};
    if let Some((line, depth)) = yaml_too_deep(text, YAML_MAX_DEPTH) {
        return Err(context.parse_error(
            line,
            format!(
                "YAML nested {depth} levels deep here; a pnpm-lock.yaml nests a few levels, and more than {YAML_MAX_DEPTH} is refused unread"
            ),
        ));
    }
    let ranges = documents(text);
    let Some((&last, earlier)) = ranges.split_last() else {
        return parse_document(text, context);
    };
    if earlier.is_empty() {
        return parse_document(text, context);
    }
    let mut parsed = parse_document(&only(text, last), context)?;
    for &range in earlier {
        let env = parse_document(&only(text, range), context)?;
        let mut known: HashMap<(String, String), usize> = parsed
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.name.clone(), p.version.clone()), i))
            .collect();
        // Where each of the env document's packages lands in the merged list.
        let mut index = Vec::with_capacity(env.packages.len());
        let mut added = Vec::new();
        for package in &env.packages {
            let id = (package.name.clone(), package.version.clone());
            let i = *known.entry(id).or_insert_with(|| {
                added.push(index.len());
                parsed.packages.len() + added.len() - 1
            });
            index.push(i);
        }
        for &k in &added {
            let mut package = env.packages[k].clone();
            package.scope = Scope::Dev;
            package.dependencies = package.dependencies.iter().map(|&d| index[d]).collect();
            parsed.packages.push(package);
        }
        parsed.complete &= env.complete;
        parsed.diagnostics.extend(env.diagnostics);
    }
    Ok(parsed)
}

fn parse_document(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = serde_yaml_ng::from_str(text).map_err(|err| {
        let line = err
            .location()
            .map_or(1, |l| u32::try_from(l.line()).unwrap_or(0));
        context.parse_error(line, format!("not a valid pnpm-lock.yaml (YAML): {err}"))
    })?;
    let Value::Mapping(document) = document else {
        return Err(context.parse_error(1, "expected a YAML mapping at the top level"));
    };
    let version = match document.get("lockfileVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(context.parse_error(1, "expected `lockfileVersion`")),
    };
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let (v5, v9) = (major <= 5, major >= 9);
    // The line of each key indented by two spaces, in one pass (a search per package from the
    // start of the text was quadratic: 2 minutes for a 7.5 MB lockfile).
    let key_lines = second_level_keys(text);
    let mut parsed = Parsed::new();
    let empty = Mapping::new();
    let packages = match document.get("packages") {
        Some(Value::Mapping(m)) => m,
        _ => &empty,
    };
    let snapshots = match document.get("snapshots") {
        Some(Value::Mapping(m)) => m,
        _ => &empty,
    };
    // One package per name@version; every key (peer variants, snapshots) maps onto it.
    let mut by_id: HashMap<(String, String), usize> = HashMap::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut dev_flags: BTreeMap<usize, bool> = BTreeMap::new();
    for (key, entry) in packages {
        let Some(key) = key.as_str() else { continue };
        let line = key_lines.get(key).copied().unwrap_or(0);
        let Value::Mapping(entry) = entry else {
            parsed.skip(context.diagnostic(line, format!("`{key}` is not a mapping")));
            continue;
        };
        let explicit = string(entry, "name").zip(string(entry, "version"));
        let Some((name, version)) = explicit
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .or_else(|| split_key(key, v5))
        else {
            parsed.skip(context.diagnostic(
                line,
                format!("`{key}`: expected `name@version` or `/name/version`"),
            ));
            continue;
        };
        let id = (name.clone(), version.clone());
        let i = match by_id.get(&id) {
            Some(&i) => i,
            None => {
                let mut package = Package::new(Ecosystem::Npm, name, version);
                package.line = line;
                if let Some(Value::Mapping(resolution)) = entry.get("resolution") {
                    package.hashes = integrity_hashes(string(resolution, "integrity"));
                    if let Some(tarball) = string(resolution, "tarball") {
                        package.source = crate::catalog::npm::source_of(Some(tarball));
                    }
                    if let (Some(repo), Some(commit)) =
                        (string(resolution, "repo"), string(resolution, "commit"))
                    {
                        package.source = Source::Git {
                            url: repo.to_owned(),
                            rev: Some(commit.to_owned()),
                        };
                    }
                    if let Some(directory) = string(resolution, "directory") {
                        package.source = Source::Path(directory.to_owned());
                    }
                }
                by_id.insert(id, parsed.packages.len());
                parsed.packages.push(package);
                parsed.packages.len() - 1
            }
        };
        by_key.insert(key.to_owned(), i);
        if let Some(dev) = entry.get("dev").and_then(Value::as_bool) {
            let merged = dev_flags.get(&i).map_or(dev, |&d| d && dev);
            dev_flags.insert(i, merged);
        }
    }
    for key in snapshots.keys().filter_map(Value::as_str) {
        if let Some((name, version)) = split_key(key, v5)
            && let Some(&i) = by_id.get(&(name, version))
        {
            by_key.insert(key.to_owned(), i);
        }
    }
    let resolve = |name: &str, reference: &str| -> Option<usize> {
        let key = reference_key(name, reference, v9, v5)?;
        by_key.get(&key).copied().or_else(|| {
            let (n, v) = split_key(&key, v5)?;
            by_id.get(&(n, v)).copied()
        })
    };
    let edge_keys = ["dependencies", "optionalDependencies"];
    let graph_source = if v9 { snapshots } else { packages };
    let mut edges = vec![Vec::new(); parsed.packages.len()];
    for (key, entry) in graph_source {
        let (Some(key), Value::Mapping(entry)) = (key.as_str(), entry) else {
            continue;
        };
        let Some(&from) = by_key.get(key) else {
            continue;
        };
        edges[from].extend(
            dependency_refs(entry, &edge_keys)
                .iter()
                .filter_map(|(n, r)| resolve(n, r)),
        );
    }
    for (package, mut list) in parsed.packages.iter_mut().zip(edges) {
        list.sort_unstable();
        list.dedup();
        package.dependencies = list;
    }
    // Importers: the workspace projects (5.x and 6.0 single projects keep them at the top level).
    let mut importers: Vec<&Mapping> = Vec::new();
    if let Some(Value::Mapping(map)) = document.get("importers") {
        importers.extend(map.values().filter_map(Value::as_mapping));
    } else {
        importers.push(&document);
    }
    let mut prod = Vec::new();
    let mut dev = Vec::new();
    for importer in importers {
        prod.extend(
            dependency_refs(importer, &edge_keys)
                .iter()
                .filter_map(|(n, r)| resolve(n, r)),
        );
        dev.extend(
            dependency_refs(importer, &["devDependencies"])
                .iter()
                .filter_map(|(n, r)| resolve(n, r)),
        );
    }
    if dev_flags.is_empty() {
        // 9.0 has no flags: what the production roots reach ships.
        if !prod.is_empty() || !dev.is_empty() {
            super::mark_unreached_dev(&mut parsed.packages, &prod);
        }
    } else {
        for (i, is_dev) in dev_flags {
            if is_dev {
                parsed.packages[i].scope = Scope::Dev;
            }
        }
    }
    let mut direct: Vec<usize> = prod.into_iter().chain(dev).collect();
    direct.sort_unstable();
    direct.dedup();
    parsed.direct = direct;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_version() {
        let pair = |n: &str, v: &str| Some((n.to_owned(), v.to_owned()));
        assert_eq!(
            split_key("/lodash/4.17.21", true),
            pair("lodash", "4.17.21")
        );
        assert_eq!(
            split_key("/@babel/core/7.20.0_react@18.0.0", true),
            pair("@babel/core", "7.20.0")
        );
        assert_eq!(
            split_key("/@babel/core@7.20.0(react@18.0.0)", false),
            pair("@babel/core", "7.20.0")
        );
        assert_eq!(
            split_key("react-dom@18.2.0(react@18.2.0)", false),
            pair("react-dom", "18.2.0")
        );
        assert_eq!(split_key("nothing", false), None);
        assert_eq!(split_key("nothing", true), None);
    }

    #[test]
    fn a_pnpm_11_lockfile_with_an_env_document_lists_both() {
        // The env document first (pnpm itself, as packageManagerDependencies), then the
        // project's lockfile; a single-document read refused this.
        let text = "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n    packageManagerDependencies:\n      pnpm:\n        specifier: 12.0.0\n        version: 12.0.0\n\npackages:\n\n  pnpm@12.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  pnpm@12.0.0: {}\n\n---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      react:\n        specifier: ^18.2.0\n        version: 18.2.0\n\npackages:\n\n  react@18.2.0:\n    resolution: {integrity: sha512-BBBB}\n\nsnapshots:\n\n  react@18.2.0: {}\n";
        let parsed = parse(text, &Context::default()).unwrap();
        assert_eq!(parsed.names(), ["react@18.2.0", "pnpm@12.0.0"]);
        let react = &parsed.packages[0];
        assert_eq!(react.scope, Scope::Required);
        assert_eq!(react.line, 35, "the line in the second document");
        assert_eq!(parsed.packages[1].scope, Scope::Dev, "tooling, not shipped");
        assert_eq!(parsed.packages[1].line, 15);
        assert_eq!(parsed.direct, [0]);
    }

    #[test]
    fn reads_v9_with_importers() {
        let text = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      react-dom:\n        specifier: ^18.2.0\n        version: 18.2.0(react@18.2.0)\n    devDependencies:\n      typescript:\n        specifier: ^5.0.0\n        version: 5.3.3\n\npackages:\n\n  react-dom@18.2.0:\n    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}\n    peerDependencies:\n      react: ^18.2.0\n\n  react@18.2.0:\n    resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}\n\n  typescript@5.3.3:\n    resolution: {integrity: sha512-pXWcraxM0uxAS+tN0AG/BF2TyqmHO014Z070UsJ+pFvYuRSq8KH8DmWpnbXe0pEPDHXZV3FcAbJkijJ5oNEnWw==}\n\nsnapshots:\n\n  react-dom@18.2.0(react@18.2.0):\n    dependencies:\n      react: 18.2.0\n\n  react@18.2.0: {}\n\n  typescript@5.3.3: {}\n";
        let parsed = parse(text, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["react-dom@18.2.0", "react@18.2.0", "typescript@5.3.3"]
        );
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.packages[1].scope, Scope::Required);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.packages[0].line, 17);
        assert_eq!(parsed.direct, [0, 2]);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
    }

    #[test]
    fn reads_v5_and_v6_dev_flags() {
        let v5 = "lockfileVersion: 5.4\n\nspecifiers:\n  a: ^1.0.0\n\ndependencies:\n  a: 1.0.0\n\npackages:\n\n  /a/1.0.0:\n    resolution: {integrity: sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=}\n    dependencies:\n      '@s/b': 2.0.0_a@1.0.0\n    dev: false\n\n  /@s/b/2.0.0_a@1.0.0:\n    resolution: {integrity: sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=}\n    dev: true\n";
        let parsed = parse(v5, &Context::default()).unwrap();
        assert_eq!(parsed.names(), ["a@1.0.0", "@s/b@2.0.0"]);
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.packages[1].scope, Scope::Dev);
        let v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  a:\n    specifier: ^1.0.0\n    version: 1.0.0\n\npackages:\n\n  /a@1.0.0:\n    resolution: {integrity: sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=}\n    dev: false\n";
        let parsed = parse(v6, &Context::default()).unwrap();
        assert_eq!(parsed.names(), ["a@1.0.0"]);
        assert_eq!(parsed.direct, [0]);
    }
}
