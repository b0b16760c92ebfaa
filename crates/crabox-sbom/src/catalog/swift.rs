//! Swift Package Manager's `Package.resolved`: version 1 (`object.pins`, each with `package`,
//! `repositoryURL` and `state`) and versions 2 and 3 (`pins`, each with `identity`, `kind`,
//! `location`, `state`). A package is named by its repository URL without scheme and `.git`
//! (`github.com/apple/swift-nio`), as OSV's `SwiftURL` ecosystem and the purl `swift` type name
//! it; a pin on a branch or revision without a version is a git source at that revision. The
//! file records no edges.

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Source};

/// `https://github.com/apple/swift-nio.git` → `github.com/apple/swift-nio`.
pub fn name_of_url(url: &str) -> Option<String> {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/');
    // `git@github.com:apple/swift-nio.git`
    let rest = match rest.split_once('@') {
        Some((user, host)) if !user.contains('/') => host.replacen(':', "/", 1),
        _ => rest.to_owned(),
    };
    let rest = rest.strip_suffix(".git").unwrap_or(&rest).to_owned();
    (rest.contains('/') && !rest.starts_with('/')).then_some(rest)
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = context.json(text, "Package.resolved")?;
    let version = document.get("version").and_then(Value::as_u64);
    let pins = match version {
        Some(1) => document.pointer("/object/pins"),
        Some(2 | 3) => document.get("pins"),
        _ => None,
    }
    .and_then(Value::as_array)
    .ok_or_else(|| {
        context.parse_error(
            1,
            "expected a Package.resolved of version 1 (`object.pins`) or 2–3 (`pins`)",
        )
    })?;
    let index = LineIndex::new(text);
    let mut parsed = Parsed::new();
    parsed.graph_complete = false;
    let mut cursor = 0;
    for pin in pins {
        let url = pin
            .get("location")
            .or_else(|| pin.get("repositoryURL"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let needle = serde_json::to_string(url).expect("a string");
        let line = text[cursor..].find(&needle).map_or(0, |at| {
            cursor += at + needle.len();
            index.line(cursor - needle.len())
        });
        let kind = pin
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("remoteSourceControl");
        let state = pin.get("state");
        let version = state.and_then(|s| s.get("version")).and_then(Value::as_str);
        let revision = state
            .and_then(|s| s.get("revision"))
            .and_then(Value::as_str);
        if kind == "fileSystem" || kind == "localSourceControl" {
            // The product's own packages beside it.
            continue;
        }
        let Some(name) = name_of_url(url) else {
            parsed.skip(context.diagnostic(
                line,
                format!("a pin whose location `{url}` is not a repository URL"),
            ));
            continue;
        };
        let mut package = match (version, revision) {
            (Some(version), _) => Package::new(Ecosystem::Swift, name, version),
            (None, Some(revision)) => {
                let mut package = Package::new(Ecosystem::Swift, name, revision);
                package.source = Source::Git {
                    url: url.to_owned(),
                    rev: Some(revision.to_owned()),
                };
                package
            }
            (None, None) => {
                parsed
                    .skip(context.diagnostic(line, format!("`{url}` has no version or revision")));
                continue;
            }
        };
        package.line = line;
        parsed.packages.push(package);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_one_to_three() {
        let v1 = r#"{
  "object": {
    "pins": [
      {
        "package": "swift-nio",
        "repositoryURL": "https://github.com/apple/swift-nio.git",
        "state": { "branch": null, "revision": "abc", "version": "2.62.0" }
      }
    ]
  },
  "version": 1
}"#;
        let v3 = r#"{
  "originHash" : "x",
  "pins" : [
    {
      "identity" : "swift-log",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/apple/swift-log",
      "state" : { "revision" : "e97a", "version" : "1.5.4" }
    },
    {
      "identity" : "swift-argument-parser",
      "kind" : "remoteSourceControl",
      "location" : "git@github.com:apple/swift-argument-parser.git",
      "state" : { "branch" : "main", "revision" : "0fbc884" }
    },
    {
      "identity" : "local",
      "kind" : "fileSystem",
      "location" : "/src/local"
    }
  ],
  "version" : 3
}"#;
        let parsed = parse(v1, &Context::default()).unwrap();
        assert_eq!(parsed.names(), ["github.com/apple/swift-nio@2.62.0"]);
        assert_eq!(parsed.packages[0].line, 6);
        assert_eq!(
            parsed.packages[0].purl(),
            "pkg:swift/github.com/apple/swift-nio@2.62.0"
        );
        let parsed = parse(v3, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            [
                "github.com/apple/swift-log@1.5.4",
                "github.com/apple/swift-argument-parser@0fbc884"
            ]
        );
        assert!(matches!(parsed.packages[1].source, Source::Git { .. }));
        assert!(!parsed.graph_complete);
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("{\n\"pins\": [\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
        let err = parse(r#"{"version": 9, "pins": []}"#, &Context::default()).unwrap_err();
        assert!(err.to_string().contains("version 1"), "{err}");
    }
}
