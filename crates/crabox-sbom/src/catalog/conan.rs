//! Conan's `conan.lock`: Conan 2 (`version` `0.5`: `requires`, `build_requires`,
//! `python_requires` as references `name/version[@user/channel][#revision[%timestamp]]`) and
//! Conan 1 (`version` `0.4`: `graph_lock.nodes`, node `0` the consumer, each node's `ref`,
//! `requires`/`build_requires` by node id and `context` `host` or `build`). Build requirements
//! (tools) are development scope; Conan 1 gives the edges, Conan 2 records none.

use std::collections::HashMap;

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Scope};

/// `zlib/1.2.13@user/channel#rrev%123` → (`zlib`, `1.2.13`).
fn reference(text: &str) -> Option<(&str, &str)> {
    let text = text.split('#').next()?;
    let text = text.split('@').next()?;
    let (name, version) = text.split_once('/')?;
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// [`reference`], or a diagnostic at `line` saying the reference is not one.
fn named<'a>(
    ref_text: &'a str,
    line: u32,
    parsed: &mut Parsed,
    context: &Context,
) -> Option<(&'a str, &'a str)> {
    let named = reference(ref_text);
    if named.is_none() {
        parsed.skip(context.diagnostic(line, format!("`{ref_text}` is not `name/version`")));
    }
    named
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = context.json(text, "conan.lock")?;
    let index = LineIndex::new(text);
    // A forward cursor (references are met in the document's order): linear in the file.
    let mut cursor = 0;
    let mut line_of = |needle: &str| {
        let quoted = serde_json::to_string(needle).expect("a string");
        text[cursor..].find(&quoted).map_or(0, |at| {
            cursor += at + quoted.len();
            index.line(cursor - quoted.len())
        })
    };
    let mut parsed = Parsed::new();
    if let Some(nodes) = document
        .pointer("/graph_lock/nodes")
        .and_then(Value::as_object)
    {
        // Conan 1.
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        let mut pending: Vec<(usize, Vec<String>)> = Vec::new();
        let mut consumer: Vec<String> = Vec::new();
        for (id, node) in nodes {
            let requires: Vec<String> = ["requires", "build_requires"]
                .iter()
                .filter_map(|k| node.get(*k).and_then(Value::as_array))
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            if id == "0" {
                consumer = requires;
                continue;
            }
            let Some(ref_text) = node.get("ref").and_then(Value::as_str) else {
                continue;
            };
            let line = line_of(ref_text);
            let Some((name, version)) = named(ref_text, line, &mut parsed, context) else {
                continue;
            };
            let mut package = Package::new(Ecosystem::Conan, name, version);
            package.line = line;
            if node.get("context").and_then(Value::as_str) == Some("build") {
                package.scope = Scope::Dev;
            }
            by_id.insert(id.as_str(), parsed.packages.len());
            pending.push((parsed.packages.len(), requires));
            parsed.packages.push(package);
        }
        for (from, requires) in pending {
            let mut to: Vec<usize> = requires
                .iter()
                .filter_map(|r| by_id.get(r.as_str()).copied())
                .collect();
            to.sort_unstable();
            to.dedup();
            parsed.packages[from].dependencies = to;
        }
        parsed.direct = consumer
            .iter()
            .filter_map(|r| by_id.get(r.as_str()).copied())
            .collect();
        parsed.direct.sort_unstable();
        parsed.direct.dedup();
        return Ok(parsed);
    }
    let lists = [
        ("requires", Scope::Required),
        ("build_requires", Scope::Dev),
        ("python_requires", Scope::Dev),
    ];
    if !lists
        .iter()
        .any(|(k, _)| document.get(*k).is_some_and(Value::is_array))
    {
        return Err(context.parse_error(
            1,
            "expected a conan.lock with `requires` (Conan 2) or `graph_lock.nodes` (Conan 1)",
        ));
    }
    parsed.graph_complete = false;
    // A reference both required and a build requirement is one package, shipped.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (key, scope) in lists {
        for item in document
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(ref_text) = item.as_str() else {
                continue;
            };
            let line = line_of(ref_text);
            let Some((name, version)) = named(ref_text, line, &mut parsed, context) else {
                continue;
            };
            if let Some(&i) = seen.get(&(name.to_owned(), version.to_owned())) {
                if scope == Scope::Required {
                    parsed.packages[i].scope = Scope::Required;
                }
                continue;
            }
            seen.insert((name.to_owned(), version.to_owned()), parsed.packages.len());
            let mut package = Package::new(Ecosystem::Conan, name, version);
            package.line = line;
            package.scope = scope;
            parsed.packages.push(package);
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conan_2_requires_and_build_requires() {
        let lock = r#"{
    "version": "0.5",
    "requires": [
        "zlib/1.2.13#97d5730b529b4224045fe7090592d4c1%1692672717.049",
        "openssl/3.1.2#cdd4f0e7d6a5b2b7c1f9b5c0e3e1d2a4%1692672717.068"
    ],
    "build_requires": [
        "cmake/3.27.4#0ea4e0b5f5e6f2f1c8a0a2d2b4c6e8f0%1692672717.1",
        "zlib/1.2.13#97d5730b529b4224045fe7090592d4c1%1692672717.049"
    ],
    "python_requires": []
}"#;
        let parsed = parse(lock, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["zlib@1.2.13", "openssl@3.1.2", "cmake@3.27.4"]
        );
        assert_eq!(parsed.packages[1].line, 5);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(
            parsed.packages[0].scope,
            Scope::Required,
            "also a build requirement"
        );
        assert_eq!(parsed.packages[0].purl(), "pkg:conan/zlib@1.2.13");
    }

    #[test]
    fn conan_1_graph_lock() {
        let lock = r#"{
 "graph_lock": {
  "nodes": {
   "0": {"options": "", "requires": ["1"], "build_requires": ["3"], "path": "conanfile.txt", "context": "host"},
   "1": {"ref": "openssl/1.1.1t#9a8c2a3f", "options": "", "requires": ["2"], "context": "host"},
   "2": {"ref": "zlib/1.2.13@demo/stable#1a2b", "context": "host"},
   "3": {"ref": "cmake/3.25.3", "context": "build"}
  },
  "revisions_enabled": true
 },
 "version": "0.4",
 "profile_host": "[settings]\n"
}"#;
        let parsed = parse(lock, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["openssl@1.1.1t", "zlib@1.2.13", "cmake@3.25.3"]
        );
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.direct, [0, 2]);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("{\n\"requires\": [\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
        let err = parse("{}", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("Conan"), "{err}");
    }
}
