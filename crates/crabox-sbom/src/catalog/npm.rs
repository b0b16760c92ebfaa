//! `package-lock.json` v1, v2 and v3, and `npm-shrinkwrap.json` (the same format).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, Package, Scope, Source};

const NPM_REGISTRY: &str = "https://registry.npmjs.org/";

/// The source a `resolved` URL points at.
pub fn source_of(resolved: Option<&str>) -> Source {
    let Some(url) = resolved else {
        return Source::Registry;
    };
    if url.starts_with(NPM_REGISTRY) || url.starts_with("https://registry.yarnpkg.com/") {
        return Source::Registry;
    }
    if let Some(path) = url.strip_prefix("file:") {
        return Source::Path(path.to_owned());
    }
    if url.starts_with("git") || url.starts_with("github:") {
        let url = url.trim_start_matches("git+");
        return match url.split_once('#') {
            Some((url, rev)) => Source::Git {
                url: url.to_owned(),
                rev: Some(rev.to_owned()),
            },
            None => Source::Git {
                url: url.to_owned(),
                rev: None,
            },
        };
    }
    // A tarball from another registry: the registry is the part before the package path.
    match url.find("/-/") {
        Some(end) => {
            // `<registry>/<name>/-/…` or `<registry>/@scope/<name>/-/…`
            let mut base = url[..end].rsplit_once('/').map_or("", |(b, _)| b);
            if let Some((parent, last)) = base.rsplit_once('/')
                && last.starts_with('@')
            {
                base = parent;
            }
            Source::OtherRegistry(format!("{base}/"))
        }
        None => Source::Url(url.to_owned()),
    }
}

/// SRI `integrity` values (space-separated) as hashes.
pub fn integrity_hashes(integrity: Option<&str>) -> Vec<Hash> {
    integrity.map_or_else(Vec::new, |text| {
        text.split_whitespace()
            .filter_map(Hash::from_prefixed)
            .collect()
    })
}

/// The `license` of a package.json or lockfile entry: a string, or the old `{ "type": … }` form.
pub(crate) fn license_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn flag(entry: &Map<String, Value>, key: &str) -> bool {
    entry.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn scope_of(entry: &Map<String, Value>) -> Scope {
    if flag(entry, "dev") || flag(entry, "devOptional") {
        Scope::Dev
    } else if flag(entry, "optional") {
        Scope::Optional
    } else {
        Scope::Required
    }
}

fn dependency_names(entry: &Map<String, Value>, keys: &[&str]) -> Vec<String> {
    let mut names = Vec::new();
    for key in keys {
        if let Some(Value::Object(deps)) = entry.get(*key) {
            names.extend(deps.keys().cloned());
        }
    }
    names
}

/// The line of `"key":` in the text, searching from `from`.
fn line_of(text: &str, index: &LineIndex, key: &str, from: usize) -> (u32, usize) {
    let needle = format!(
        "{}:",
        serde_json::to_string(key).expect("a string serializes")
    );
    // Keys come in file order, so the search usually starts just before the match; a miss (an
    // escaped key) falls back to the whole text.
    if let Some(offset) = text.get(from..).and_then(|rest| rest.find(&needle)) {
        return (index.line(from + offset), from + offset);
    }
    match text.find(&needle) {
        Some(offset) => (index.line(offset), offset),
        None => (0, from),
    }
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Lock = serde_json::from_str(text).map_err(|err| {
        context.parse_error(
            u32::try_from(err.line()).unwrap_or(0),
            format!("not a valid package-lock.json (JSON): {err}"),
        )
    })?;
    let index = LineIndex::new(text);
    match (&document.packages, &document.dependencies) {
        (Some(Value::Object(packages)), _) => Ok(parse_v2(packages, text, &index, context)),
        (_, Some(Value::Object(dependencies))) => Ok(parse_v1(dependencies, text, &index, context)),
        _ => Ok(Parsed::new()),
    }
}

/// The keys of a `packages` entry the cataloger reads; the others (`engines`, `bin`, `funding`,
/// …) are skipped while parsing, so that a 60 MB lockfile is not held as a whole JSON tree.
const ENTRY_KEYS: &[&str] = &[
    "name",
    "version",
    "resolved",
    "integrity",
    "license",
    "dev",
    "optional",
    "devOptional",
    "link",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "devDependencies",
];

/// The parts of a package-lock.json the cataloger reads: `packages` (v2, v3) with each entry
/// pruned to [`ENTRY_KEYS`], or else the v1 `dependencies` tree. Anything else is skipped.
struct Lock {
    packages: Option<Value>,
    dependencies: Option<Value>,
}

impl<'de> serde::Deserialize<'de> for Lock {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Lock, D::Error> {
        struct Top;
        impl<'de> serde::de::Visitor<'de> for Top {
            type Value = Lock;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object at the top level")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Lock, A::Error> {
                let mut lock = Lock {
                    packages: None,
                    dependencies: None,
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "packages" => {
                            lock.packages =
                                map.next_value::<Pruned<AllEntries>>()?.0.map(Value::Object);
                        }
                        // The v1 tree; v2 has both, and reads `packages`.
                        "dependencies" if lock.packages.is_none() => {
                            lock.dependencies = Some(map.next_value()?);
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                // v2 has both and reads `packages`; an object of them, that is (a `packages`
                // that is not one leaves the v1 tree to read).
                if lock.packages.is_some() {
                    lock.dependencies = None;
                }
                Ok(lock)
            }
        }
        deserializer.deserialize_map(Top)
    }
}

/// Which keys of a JSON object [`Pruned`] keeps, and how it reads their values.
trait Pruning {
    type Item: for<'de> serde::Deserialize<'de>;
    fn keep(key: &str) -> bool;
    fn value(item: Self::Item) -> Value;
}

/// `packages`: every entry, each pruned to [`ENTRY_KEYS`].
struct AllEntries;

impl Pruning for AllEntries {
    type Item = Pruned<EntryKeys>;
    fn keep(_: &str) -> bool {
        true
    }
    /// An entry that is not an object is `null` (the cataloger reports it).
    fn value(item: Pruned<EntryKeys>) -> Value {
        item.0.map_or(Value::Null, Value::Object)
    }
}

/// One `packages` entry: the keys the cataloger reads.
struct EntryKeys;

impl Pruning for EntryKeys {
    type Item = Value;
    fn keep(key: &str) -> bool {
        ENTRY_KEYS.contains(&key)
    }
    fn value(item: Value) -> Value {
        item
    }
}

/// A JSON object with only the keys `P` keeps (the others skipped while parsing), or `None`
/// when the value is not an object (skipped too).
struct Pruned<P>(Option<Map<String, Value>>, std::marker::PhantomData<P>);

impl<'de, P: Pruning> serde::Deserialize<'de> for Pruned<P> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Pruned<P>, D::Error> {
        struct Object<P>(std::marker::PhantomData<P>);
        impl<'de, P: Pruning> serde::de::Visitor<'de> for Object<P> {
            type Value = Pruned<P>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Pruned<P>, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if P::keep(&key) {
                        let item = map.next_value::<P::Item>()?;
                        out.insert(key.into_owned(), P::value(item));
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Pruned(Some(out), std::marker::PhantomData))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Pruned<P>, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Pruned(None, std::marker::PhantomData))
            }
            fn visit_unit<E>(self) -> Result<Pruned<P>, E> {
                Ok(Pruned(None, std::marker::PhantomData))
            }
            fn visit_str<E>(self, _: &str) -> Result<Pruned<P>, E> {
                Ok(Pruned(None, std::marker::PhantomData))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Pruned<P>, E> {
                Ok(Pruned(None, std::marker::PhantomData))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Pruned<P>, E> {
                Ok(Pruned(None, std::marker::PhantomData))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Pruned<P>, E> {
                Ok(Pruned(None, std::marker::PhantomData))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Pruned<P>, E> {
                Ok(Pruned(None, std::marker::PhantomData))
            }
        }
        deserializer.deserialize_any(Object(std::marker::PhantomData))
    }
}

/// The package name of a `packages` key: the part after the last `node_modules/`.
fn name_from_key(key: &str) -> &str {
    key.rfind("node_modules/")
        .map_or(key, |i| &key[i + "node_modules/".len()..])
}

fn parse_v2(
    packages: &Map<String, Value>,
    text: &str,
    index: &LineIndex,
    context: &Context,
) -> Parsed {
    let mut parsed = Parsed::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut keys: Vec<&str> = Vec::new();
    let mut root: Option<&Map<String, Value>> = None;
    // Workspace packages are named by the links that point at them.
    let link_names: HashMap<&str, &str> = packages
        .iter()
        .filter(|(_, e)| e.get("link").and_then(Value::as_bool) == Some(true))
        .filter_map(|(key, e)| Some((e.get("resolved")?.as_str()?, name_from_key(key))))
        .collect();
    let mut cursor = 0;
    for (key, entry) in packages {
        let (line, offset) = line_of(text, index, key, cursor);
        cursor = offset;
        let Value::Object(entry) = entry else {
            parsed.skip(context.diagnostic(line, format!("`{key}` is not an object")));
            continue;
        };
        if key.is_empty() {
            root = Some(entry);
            continue;
        }
        if flag(entry, "link") {
            continue; // A symlink to a workspace package, which has its own entry.
        }
        let is_workspace = !key.contains("node_modules/");
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| {
                is_workspace
                    .then(|| link_names.get(key.as_str()).copied())
                    .flatten()
            })
            .unwrap_or_else(|| name_from_key(key));
        let Some(version) = entry.get("version").and_then(Value::as_str) else {
            if is_workspace {
                continue;
            }
            parsed.skip(context.diagnostic(line, format!("`{key}` has no `version`")));
            continue;
        };
        let mut package = Package::new(Ecosystem::Npm, name, version);
        package.line = line;
        package.scope = scope_of(entry);
        package.hashes = integrity_hashes(entry.get("integrity").and_then(Value::as_str));
        package.source = if is_workspace {
            Source::Path(key.clone())
        } else {
            source_of(entry.get("resolved").and_then(Value::as_str))
        };
        package.is_root = is_workspace;
        let cached = cached_about(context, key, &package.version);
        let license = license_of(entry.get("license")).or(cached.0);
        package.licenses.extend(license);
        if let Some(creator) = cached.1 {
            package.origin_mut().creator = Some(creator);
        }
        // The registry tarball the integrity hashes are of (`…/-/name-1.0.0.tgz`).
        if let Some(file) = entry
            .get("resolved")
            .and_then(Value::as_str)
            .filter(|_| !package.hashes.is_empty())
            .and_then(tarball_name)
        {
            package.origin_mut().file_name = Some(file.to_owned());
        }
        by_key.insert(key.as_str(), parsed.packages.len());
        keys.push(key.as_str());
        parsed.packages.push(package);
    }
    // Edges by Node's resolution: the nearest node_modules up the tree.
    let resolve = |from: &str, name: &str| -> Option<usize> {
        let mut base = from.to_owned();
        loop {
            let candidate = if base.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{base}/node_modules/{name}")
            };
            if let Some(&i) = by_key.get(candidate.as_str()) {
                return Some(i);
            }
            if base.is_empty() {
                return None;
            }
            base = match base.rfind("/node_modules/") {
                Some(i) => base[..i].to_owned(),
                None => String::new(),
            };
        }
    };
    let dependency_keys = [
        "dependencies",
        "optionalDependencies",
        "peerDependencies",
        "devDependencies",
    ];
    for (i, key) in keys.iter().enumerate() {
        let Some(Value::Object(entry)) = packages.get(*key) else {
            continue;
        };
        let is_workspace = !key.contains("node_modules/");
        let wanted: &[&str] = if is_workspace {
            &dependency_keys
        } else {
            &dependency_keys[..3]
        };
        let mut edges: Vec<usize> = dependency_names(entry, wanted)
            .iter()
            .filter_map(|n| resolve(key, n))
            .collect();
        edges.sort_unstable();
        edges.dedup();
        parsed.packages[i].dependencies = edges;
    }
    if let Some(root) = root {
        let mut direct: Vec<usize> = dependency_names(root, &dependency_keys)
            .iter()
            .filter_map(|n| resolve("", n))
            .collect();
        // Workspace members are part of the product too.
        direct.extend((0..parsed.packages.len()).filter(|&i| parsed.packages[i].is_root));
        direct.sort_unstable();
        direct.dedup();
        parsed.direct = direct;
    }
    parsed
}

/// Licence from `node_modules/…/package.json` when the package is installed.
fn cached_about(context: &Context, key: &str, version: &str) -> (Option<String>, Option<String>) {
    if context.dir.as_os_str().is_empty() || !key.contains("node_modules/") {
        return (None, None);
    }
    let Some(text) = fs_err::read_to_string(context.dir.join(key).join("package.json"))
        .ok()
        .map(crabox_types::encoding::without_bom)
    else {
        return (None, None);
    };
    let Ok(manifest) = serde_json::from_str::<Value>(&text) else {
        return (None, None);
    };
    // Another version installed there than the lockfile pins says nothing of this one.
    if manifest.get("version").and_then(Value::as_str) != Some(version) {
        return (None, None);
    }
    (license_of(manifest.get("license")), creator_of(&manifest))
}

/// The file name of a registry tarball URL (`https://registry.npmjs.org/a/-/a-1.0.0.tgz`).
fn tarball_name(url: &str) -> Option<&str> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    (name.len() > 4 && name.get(name.len() - 4..)?.eq_ignore_ascii_case(".tgz")).then_some(name)
}

/// Who made an npm package, from its `package.json`: the `repository` URL, else `homepage`,
/// else the author's e-mail or URL.
pub fn creator_of(manifest: &Value) -> Option<String> {
    let url = |text: &str| {
        let text = text.trim();
        let text = text.strip_prefix("git+").unwrap_or(text);
        ((text.starts_with("https://") || text.starts_with("http://"))
            && !text.contains(char::is_whitespace))
        .then(|| text.to_owned())
    };
    let repository = match manifest.get("repository") {
        Some(Value::String(text)) => url(text),
        Some(Value::Object(object)) => object.get("url").and_then(Value::as_str).and_then(url),
        _ => None,
    };
    let author = || match manifest.get("author")? {
        // `Name <e-mail> (url)`
        Value::String(text) => {
            let email = text
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(email, _)| email.trim())
                .filter(|e| e.contains('@') && !e.contains(char::is_whitespace));
            email.map(str::to_owned).or_else(|| {
                let (_, rest) = text.split_once('(')?;
                url(rest.split_once(')')?.0)
            })
        }
        Value::Object(object) => object
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| e.contains('@') && !e.contains(char::is_whitespace))
            .map(str::to_owned)
            .or_else(|| object.get("url").and_then(Value::as_str).and_then(url)),
        _ => None,
    };
    repository
        .or_else(|| {
            manifest
                .get("homepage")
                .and_then(Value::as_str)
                .and_then(url)
        })
        .or_else(author)
}

/// v1: nested `dependencies`, edges by `requires` resolved through the nesting.
fn parse_v1(top: &Map<String, Value>, text: &str, index: &LineIndex, context: &Context) -> Parsed {
    struct Node<'a> {
        entry: &'a Map<String, Value>,
        parent: Option<usize>,
        /// Child scope: name → node.
        children: HashMap<String, usize>,
    }
    let mut parsed = Parsed::new();
    let mut nodes: Vec<Node<'_>> = Vec::new();
    let mut top_children = HashMap::new();
    // Breadth-first over the nesting, keeping for each node its package index (same as node index).
    let mut stack: Vec<(Option<usize>, &Map<String, Value>, usize)> = vec![(None, top, 0)];
    while let Some((parent, deps, from)) = stack.pop() {
        for (name, entry) in deps {
            let (line, offset) = line_of(text, index, name, from);
            let Value::Object(entry) = entry else {
                parsed.skip(context.diagnostic(line, format!("`{name}` is not an object")));
                continue;
            };
            let Some(raw_version) = entry.get("version").and_then(Value::as_str) else {
                parsed.skip(context.diagnostic(line, format!("`{name}` has no `version`")));
                continue;
            };
            // An alias is written `"version": "npm:real-name@1.2.3"`.
            let (real_name, version) = match raw_version.strip_prefix("npm:").and_then(|a| {
                let at = a.rfind('@').filter(|&i| i > 0)?;
                Some((&a[..at], &a[at + 1..]))
            }) {
                Some((real, version)) => (real.to_owned(), version.to_owned()),
                None => (name.clone(), raw_version.to_owned()),
            };
            let mut package = Package::new(Ecosystem::Npm, real_name, version.clone());
            package.line = line;
            package.scope = scope_of(entry);
            package.hashes = integrity_hashes(entry.get("integrity").and_then(Value::as_str));
            package.source = if raw_version.starts_with("file:") {
                Source::Path(raw_version.trim_start_matches("file:").to_owned())
            } else {
                source_of(entry.get("resolved").and_then(Value::as_str).or(Some(raw_version).filter(|v| v.contains("://") || v.starts_with("git"))))
            };
            package.licenses.extend(license_of(entry.get("license")));
            let id = nodes.len();
            nodes.push(Node {
                entry,
                parent,
                children: HashMap::new(),
            });
            match parent {
                Some(p) => nodes[p].children.insert(name.clone(), id),
                None => top_children.insert(name.clone(), id),
            };
            parsed.packages.push(package);
            if let Some(Value::Object(nested)) = entry.get("dependencies") {
                stack.push((Some(id), nested, offset));
            }
        }
    }
    for id in 0..nodes.len() {
        let mut edges = Vec::new();
        for name in dependency_names(nodes[id].entry, &["requires"]) {
            let mut scope = Some(id);
            let found = loop {
                match scope {
                    Some(s) => {
                        if let Some(&target) = nodes[s].children.get(&name) {
                            break Some(target);
                        }
                        scope = nodes[s].parent;
                    }
                    None => break top_children.get(&name).copied(),
                }
            };
            edges.extend(found);
        }
        edges.sort_unstable();
        edges.dedup();
        parsed.packages[id].dependencies = edges;
    }
    // v1 does not say which packages the project requires directly; the top level is the closest.
    let mut direct: Vec<usize> = top_children.values().copied().collect();
    direct.sort_unstable();
    parsed.direct = direct;
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            display: "package-lock.json".into(),
            ..Context::default()
        }
    }

    #[test]
    fn the_tarball_and_the_installed_manifests_creator() {
        let dir = tempfile::tempdir().unwrap();
        let installed = dir.path().join("node_modules/a");
        fs_err::create_dir_all(&installed).unwrap();
        fs_err::write(
            installed.join("package.json"),
            r#"{"name": "a", "version": "1.0.0", "license": "ISC", "repository": {"type": "git", "url": "git+https://github.com/o/a.git"}}"#,
        )
        .unwrap();
        let installed_b = dir.path().join("node_modules/b");
        fs_err::create_dir_all(&installed_b).unwrap();
        fs_err::write(
            installed_b.join("package.json"),
            r#"{"name": "b", "version": "9.9.9", "license": "MIT", "author": "B <b@b.example>"}"#,
        )
        .unwrap();
        let lock = r#"{"lockfileVersion": 3, "packages": {
          "": {"name": "app", "dependencies": {"a": "1", "b": "1"}},
          "node_modules/a": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz", "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="},
          "node_modules/b": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/b/-/b-1.0.0.tgz"}}}"#;
        let context = Context {
            dir: dir.path().to_owned(),
            ..context()
        };
        let parsed = parse(lock, &context).unwrap();
        let by_name = |n: &str| parsed.packages.iter().find(|p| p.name == n).unwrap();
        let a = by_name("a");
        assert_eq!(a.licenses, ["ISC"]);
        let origin = a.origin.as_deref().unwrap();
        assert_eq!(
            origin.creator.as_deref(),
            Some("https://github.com/o/a.git")
        );
        assert_eq!(origin.file_name.as_deref(), Some("a-1.0.0.tgz"));
        // b: no integrity, so no file; the installed b is another version, so nothing of it.
        let b = by_name("b");
        assert!(b.origin.is_none() && b.licenses.is_empty());
        assert_eq!(
            creator_of(&serde_json::json!({"author": {"name": "x", "url": "https://x.example"}}))
                .as_deref(),
            Some("https://x.example")
        );
        assert_eq!(
            creator_of(&serde_json::json!({"repository": "github:o/a"})),
            None
        );
    }

    #[test]
    fn entries_are_pruned_and_a_packages_that_is_not_an_object_leaves_the_v1_tree() {
        let v1 = r#"{"lockfileVersion": 1, "packages": null,
          "dependencies": {"foo": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/foo/-/foo-1.0.0.tgz"}}}"#;
        let parsed = parse(v1, &context()).unwrap();
        assert_eq!(parsed.packages.len(), 1, "{parsed:?}");
        let v3 = r#"{"dependencies": {"old": {"version": "9.9.9"}}, "lockfileVersion": 3, "packages": {"": {"name": "x"},
          "node_modules/foo": {"version": "1.0.0", "engines": {"node": ">=1"}, "bin": {"x": "y"}}}}"#;
        let parsed = parse(v3, &context()).unwrap();
        let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["foo"]);
        assert!(parse("[1, 2]", &context()).is_err());
    }

    const V3: &str = r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "app",
      "dependencies": { "@scope/a": "^1.0.0", "alias": "npm:real@^2" },
      "devDependencies": { "jest": "^29" }
    },
    "node_modules/@scope/a": {
      "version": "1.0.0",
      "resolved": "https://registry.npmjs.org/@scope/a/-/a-1.0.0.tgz",
      "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
      "license": "MIT",
      "dependencies": { "b": "^1" }
    },
    "node_modules/@scope/a/node_modules/b": { "version": "1.5.0" },
    "node_modules/b": { "version": "2.0.0" },
    "node_modules/alias": { "name": "real", "version": "2.1.0" },
    "node_modules/jest": { "version": "29.0.0", "dev": true, "dependencies": { "b": "*" } }
  }
}"#;

    #[test]
    fn reads_v3() {
        let parsed = parse(V3, &context()).unwrap();
        let names = parsed.names();
        assert_eq!(
            names,
            [
                "@scope/a@1.0.0",
                "b@1.5.0",
                "b@2.0.0",
                "real@2.1.0",
                "jest@29.0.0"
            ]
        );
        assert_eq!(
            parsed.packages[0].dependencies,
            [1],
            "nested node_modules wins"
        );
        assert_eq!(
            parsed.packages[4].dependencies,
            [2],
            "hoisted copy for jest"
        );
        assert_eq!(parsed.packages[4].scope, Scope::Dev);
        assert_eq!(
            parsed.packages[0].hashes[0].alg,
            crate::model::HashAlg::Sha512
        );
        assert_eq!(parsed.packages[0].licenses, ["MIT"]);
        assert_eq!(parsed.packages[0].line, 10);
        assert_eq!(parsed.direct, [0, 3, 4]);
    }

    #[test]
    fn reads_v1_with_nesting_and_aliases() {
        let text = r#"{
  "lockfileVersion": 1,
  "dependencies": {
    "a": { "version": "1.0.0", "requires": { "b": "^1" },
      "dependencies": { "b": { "version": "1.1.0" } } },
    "b": { "version": "2.0.0", "dev": true },
    "c": { "version": "npm:real-c@3.0.0", "integrity": "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }
  }
}"#;
        let parsed = parse(text, &context()).unwrap();
        let names = parsed.names();
        assert!(names.contains(&"real-c@3.0.0".to_owned()), "{names:?}");
        let a = parsed.packages.iter().position(|p| p.name == "a").unwrap();
        let target = parsed.packages[a].dependencies[0];
        assert_eq!(parsed.packages[target].version, "1.1.0");
        let b2 = parsed
            .packages
            .iter()
            .find(|p| p.version == "2.0.0")
            .unwrap();
        assert_eq!(b2.scope, Scope::Dev);
    }

    #[test]
    fn other_registries_and_git() {
        assert_eq!(
            source_of(Some("https://npm.acme.example/repo/@s/x/-/x-1.0.0.tgz")),
            Source::OtherRegistry("https://npm.acme.example/repo/".into())
        );
        assert_eq!(
            source_of(Some("git+ssh://git@github.com/x/y.git#abc")),
            Source::Git {
                url: "ssh://git@github.com/x/y.git".into(),
                rev: Some("abc".into())
            }
        );
    }
}
