//! .NET `*.deps.json` (written by the SDK beside a built application): `libraries` lists every
//! library the application runs with, `type` `package` (a `NuGet` package, with its SHA-512),
//! `project` (the product's own) or a reference assembly; `targets` holds, per target framework
//! (and runtime), each library's `dependencies` by name and version, which give the edges. The
//! project libraries' dependencies are the direct ones.

use std::collections::HashMap;

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package, Scope};

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = context.json(text, ".deps.json")?;
    let (Some(libraries), Some(targets)) = (
        document.get("libraries").and_then(Value::as_object),
        document.get("targets").and_then(Value::as_object),
    ) else {
        return Err(context.parse_error(
            1,
            "expected a JSON object with `targets` and `libraries` (a .NET deps.json)",
        ));
    };
    let index = LineIndex::new(text);
    // The libraries section comes after the targets: find each key after its start.
    // A forward cursor (the map keeps the document's order): linear in the file.
    let mut cursor = text.find("\"libraries\"").unwrap_or(0);
    let mut parsed = Parsed::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut projects: Vec<String> = Vec::new();
    for (key, library) in libraries {
        let needle = format!("{}:", serde_json::to_string(key).expect("a string"));
        let line = text[cursor..].find(&needle).map_or(0, |at| {
            cursor += at + needle.len();
            index.line(cursor - needle.len())
        });
        let kind = library
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind == "project" {
            projects.push(key.to_ascii_lowercase());
            continue;
        }
        if kind != "package" {
            // Reference assemblies of the framework itself.
            continue;
        }
        let Some((name, version)) = key.split_once('/') else {
            parsed.skip(context.diagnostic(line, format!("`{key}` is not `name/version`")));
            continue;
        };
        let mut package = Package::new(Ecosystem::NuGet, name, version);
        package.line = line;
        package.hashes = library
            .get("sha512")
            .and_then(Value::as_str)
            .and_then(Hash::from_prefixed)
            .filter(|h| h.alg == HashAlg::Sha512)
            .into_iter()
            .collect();
        by_key.insert(key.to_ascii_lowercase(), parsed.packages.len());
        parsed.packages.push(package);
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); parsed.packages.len()];
    let mut direct = Vec::new();
    for target in targets.values().filter_map(Value::as_object) {
        for (key, entry) in target {
            let Some(dependencies) = entry.get("dependencies").and_then(Value::as_object) else {
                continue;
            };
            let to: Vec<usize> = dependencies
                .iter()
                .filter_map(|(name, version)| {
                    let key = format!("{name}/{}", version.as_str()?).to_ascii_lowercase();
                    by_key.get(&key).copied()
                })
                .collect();
            let key = key.to_ascii_lowercase();
            if projects.contains(&key) {
                direct.extend(to);
            } else if let Some(&from) = by_key.get(&key) {
                edges[from].extend(to);
            }
        }
    }
    for (package, mut to) in parsed.packages.iter_mut().zip(edges) {
        to.sort_unstable();
        to.dedup();
        package.dependencies = to;
    }
    direct.sort_unstable();
    direct.dedup();
    // Everything listed runs with the application: what the projects do not reach is still
    // shipped (a runtime pack, a transitive the SDK flattened), so no development scope here.
    for package in &mut parsed.packages {
        package.scope = Scope::Required;
    }
    parsed.direct = direct;
    super::nuget::describe(&mut parsed.packages, context);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPS: &str = r#"{
  "runtimeTarget": {
    "name": ".NETCoreApp,Version=v8.0",
    "signature": ""
  },
  "targets": {
    ".NETCoreApp,Version=v8.0": {
      "Gateway/1.4.0": {
        "dependencies": {
          "Serilog.Sinks.Console": "5.0.1",
          "Core": "1.4.0"
        },
        "runtime": { "Gateway.dll": {} }
      },
      "Serilog/3.1.1": {
        "runtime": { "lib/net7.0/Serilog.dll": {} }
      },
      "Serilog.Sinks.Console/5.0.1": {
        "dependencies": { "Serilog": "3.1.1" }
      },
      "Core/1.4.0": {
        "runtime": { "Core.dll": {} }
      }
    }
  },
  "libraries": {
    "Gateway/1.4.0": {
      "type": "project",
      "serviceable": false,
      "sha512": ""
    },
    "Serilog/3.1.1": {
      "type": "package",
      "serviceable": true,
      "sha512": "sha512-P6G4/4Kt9bT635bhuwdXlJ2SCqqn2nhh4gqFqQueCOr9bK/e7W9ll/IoX1Ter948cV2Z/5+5v8pAfJYUISY03A==",
      "path": "serilog/3.1.1"
    },
    "Serilog.Sinks.Console/5.0.1": {
      "type": "package",
      "serviceable": true,
      "sha512": "sha512-6Jt8jl9y2ey8VV7nVEUAyjjyxjAQuvd5+qj4XYAT9CwcsvR70HHULGBeD+K2WCALFXf7CFsNQT4lON6qXcu2AA==",
      "path": "serilog.sinks.console/5.0.1"
    },
    "Core/1.4.0": {
      "type": "project",
      "serviceable": false,
      "sha512": ""
    }
  }
}"#;

    #[test]
    fn packages_with_hashes_and_edges_projects_left_out() {
        let parsed = parse(DEPS, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["Serilog@3.1.1", "Serilog.Sinks.Console@5.0.1"]
        );
        assert_eq!(parsed.packages[0].line, 32);
        assert_eq!(parsed.packages[1].dependencies, [0]);
        assert_eq!(parsed.direct, [1]);
        assert_eq!(parsed.packages[0].hashes[0].alg, HashAlg::Sha512);
        assert_eq!(parsed.packages[0].purl(), "pkg:nuget/Serilog@3.1.1");
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("{\n\"targets\": [\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
        let err = parse("{}", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("deps.json"), "{err}");
    }
}
