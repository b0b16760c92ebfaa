//! `packages.lock.json` (`NuGet`, `RestorePackagesWithLockFile`): per target framework (and
//! runtime), each package with `type` (`Direct`, `Transitive`, `CentralTransitive`, `Project`),
//! `resolved` version, `contentHash` (base64 SHA-512) and `dependencies`. A package resolved for
//! several frameworks is one package per version; `Project` entries are the product's own
//! projects, not components.

use std::collections::HashMap;

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package};

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = context.json(text, "packages.lock.json")?;
    let Some(frameworks) = document.get("dependencies").and_then(Value::as_object) else {
        return Err(context.parse_error(
            1,
            "expected a JSON object with `dependencies` by target framework (a NuGet packages.lock.json)",
        ));
    };
    let index = LineIndex::new(text);
    let mut parsed = Parsed::new();
    // NuGet ids compare without case.
    let mut by_id: HashMap<(String, String), usize> = HashMap::new();
    let mut requires: Vec<Vec<usize>> = Vec::new();
    let mut direct = Vec::new();
    // Each framework's entries are found in order after the framework's own key.
    let mut cursor = 0;
    for (framework, entries) in frameworks {
        let Some(entries) = entries.as_object() else {
            continue;
        };
        let key = format!("{}:", serde_json::to_string(framework).expect("a string"));
        if let Some(at) = text[cursor..].find(&key) {
            cursor += at + key.len();
        }
        // Within this framework: name (lower case) → the package it resolved to.
        let mut resolved_here: HashMap<String, usize> = HashMap::new();
        let mut pending: Vec<(usize, Vec<String>)> = Vec::new();
        for (name, entry) in entries {
            let needle = format!("{}:", serde_json::to_string(name).expect("a string"));
            let line = text[cursor..].find(&needle).map_or(0, |at| {
                cursor += at + needle.len();
                index.line(cursor - needle.len())
            });
            let kind = entry
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if kind == "Project" {
                continue;
            }
            let Some(version) = entry.get("resolved").and_then(Value::as_str) else {
                parsed.skip(context.diagnostic(
                    line,
                    format!("`{name}` ({framework}) has no `resolved` version"),
                ));
                continue;
            };
            let id = (name.to_ascii_lowercase(), version.to_ascii_lowercase());
            let i = *by_id.entry(id).or_insert_with(|| {
                let mut package = Package::new(Ecosystem::NuGet, name.as_str(), version);
                package.line = line;
                package.hashes = entry
                    .get("contentHash")
                    .and_then(Value::as_str)
                    .and_then(|hash| Hash::from_prefixed(&format!("sha512-{hash}")))
                    .filter(|hash| hash.alg == HashAlg::Sha512)
                    .into_iter()
                    .collect();
                parsed.packages.push(package);
                requires.push(Vec::new());
                parsed.packages.len() - 1
            });
            if kind == "Direct" {
                direct.push(i);
            }
            resolved_here.insert(name.to_ascii_lowercase(), i);
            let names = entry
                .get("dependencies")
                .and_then(Value::as_object)
                .map(|d| d.keys().map(|k| k.to_ascii_lowercase()).collect())
                .unwrap_or_default();
            pending.push((i, names));
        }
        for (from, names) in pending {
            requires[from].extend(names.iter().filter_map(|n| resolved_here.get(n)).copied());
        }
    }
    for (package, mut edges) in parsed.packages.iter_mut().zip(requires) {
        edges.sort_unstable();
        edges.dedup();
        package.dependencies = edges;
    }
    direct.sort_unstable();
    direct.dedup();
    parsed.direct = direct;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[13.0.3, )",
        "resolved": "13.0.3",
        "contentHash": "HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ=="
      },
      "System.Text.Json": {
        "type": "Transitive",
        "resolved": "8.0.5",
        "dependencies": {
          "newtonsoft.json": "13.0.3"
        }
      },
      "MyApp.Core": {
        "type": "Project",
        "dependencies": {"Newtonsoft.Json": "[13.0.3, )"}
      }
    },
    "net8.0/linux-x64": {
      "System.Text.Json": {
        "type": "Transitive",
        "resolved": "8.0.5"
      }
    }
  }
}
"#;

    #[test]
    fn packages_of_every_framework_once_with_hashes_edges_and_lines() {
        let parsed = parse(LOCK, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["Newtonsoft.Json@13.0.3", "System.Text.Json@8.0.5"]
        );
        let lines: Vec<u32> = parsed.packages.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 11]);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[1].dependencies, [0]);
        assert_eq!(parsed.direct, [0]);
        assert_eq!(
            crate::purl::for_package(&parsed.packages[0]),
            "pkg:nuget/Newtonsoft.Json@13.0.3"
        );
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("{\n  \"dependencies\": [\n oops", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
        let err = parse("{\"version\": 1}", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("packages.lock.json"), "{err}");
    }
}
