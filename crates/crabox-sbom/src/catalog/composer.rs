//! `composer.lock` (PHP Composer): `packages` and `packages-dev` (development scope), each with
//! `name` (`vendor/package`), `version`, `require` (the edges), `dist.shasum` (SHA-1, when
//! packagist gives one) and `license`; the direct dependencies from the `composer.json` beside it
//! (`require`, `require-dev`), else the packages nothing else requires.

use std::collections::HashMap;

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package, Scope, Source};

/// A requirement on the platform (`php`, `ext-json`, `lib-icu`, `composer-plugin-api`), not on a
/// package.
fn is_platform(name: &str) -> bool {
    !name.contains('/')
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = context.json(text, "composer.lock")?;
    if !document.is_object() || document.get("packages").is_none() {
        return Err(context.parse_error(
            1,
            "expected a JSON object with `packages` (a composer.lock)",
        ));
    }
    let index = LineIndex::new(text);
    let mut parsed = Parsed::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut requires: Vec<Vec<String>> = Vec::new();
    // Entries are written in order: each `"name": "…"` is found after the previous one, so the
    // search is one pass over the text.
    let mut cursor = 0;
    for (section, scope) in [("packages", Scope::Required), ("packages-dev", Scope::Dev)] {
        let Some(entries) = document.get(section).and_then(Value::as_array) else {
            continue;
        };
        for entry in entries {
            let name = entry.get("name").and_then(Value::as_str);
            let line = name
                .and_then(|name| {
                    let needle = format!(
                        "\"name\": {}",
                        serde_json::to_string(name).expect("a string serializes")
                    );
                    let at = text[cursor..].find(&needle)? + cursor;
                    cursor = at + needle.len();
                    Some(index.line(at))
                })
                .unwrap_or(0);
            let (Some(name), Some(version)) = (name, entry.get("version").and_then(Value::as_str))
            else {
                parsed.skip(context.diagnostic(
                    line,
                    format!("an entry of `{section}` without `name` or `version`"),
                ));
                continue;
            };
            let mut package = Package::new(Ecosystem::Packagist, name, version);
            package.line = line;
            package.scope = scope;
            let dist = entry.get("dist");
            package.hashes = dist
                .and_then(|d| d.get("shasum"))
                .and_then(Value::as_str)
                .and_then(|sum| Hash::from_hex(HashAlg::Sha1, sum))
                .into_iter()
                .collect();
            // Only a package with no archive is fetched from its repository.
            if dist.is_none_or(Value::is_null)
                && let Some(source) = entry.get("source")
                && source.get("type").and_then(Value::as_str) == Some("git")
                && let Some(url) = source.get("url").and_then(Value::as_str)
            {
                package.source = Source::Git {
                    url: url.to_owned(),
                    rev: source
                        .get("reference")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                };
            }
            if let Some(Value::Array(licenses)) = entry.get("license") {
                // Composer lists the licences one may choose from.
                let names: Vec<&str> = licenses.iter().filter_map(Value::as_str).collect();
                if !names.is_empty() {
                    package.licenses.push(names.join(" OR "));
                }
            }
            requires.push(
                entry
                    .get("require")
                    .and_then(Value::as_object)
                    .map(|r| {
                        r.keys()
                            .filter(|n| !is_platform(n))
                            .map(|n| n.to_ascii_lowercase())
                            .collect()
                    })
                    .unwrap_or_default(),
            );
            by_name.insert(name.to_ascii_lowercase(), parsed.packages.len());
            parsed.packages.push(package);
        }
    }
    let depended = super::edges_by_name(&mut parsed.packages, &requires, &by_name);
    let manifest = super::sibling(&context.dir, "composer.json")
        .and_then(|t| serde_json::from_str::<Value>(&t).ok());
    parsed.direct = match manifest {
        Some(manifest) => {
            let mut direct: Vec<usize> = ["require", "require-dev"]
                .iter()
                .filter_map(|key| manifest.get(key).and_then(Value::as_object))
                .flat_map(|r| r.keys())
                .filter_map(|n| by_name.get(&n.to_ascii_lowercase()).copied())
                .collect();
            direct.sort_unstable();
            direct.dedup();
            direct
        }
        None => (0..parsed.packages.len())
            .filter(|&i| !depended[i])
            .collect(),
    };
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_readme": ["This file locks the dependencies of your project to a known state"],
    "content-hash": "0123",
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "3.5.0",
            "source": {"type": "git", "url": "https://github.com/Seldaek/monolog.git", "reference": "c915e2634718dbc8a4a15c61b0e62e7a44e14448"},
            "dist": {"type": "zip", "url": "https://api.github.com/repos/Seldaek/monolog/zipball/c915e2634718dbc8a4a15c61b0e62e7a44e14448", "reference": "c915e2634718dbc8a4a15c61b0e62e7a44e14448", "shasum": ""},
            "require": {"php": ">=8.1", "psr/log": "^2.0 || ^3.0"},
            "license": ["MIT"],
            "authors": [{"name": "Jordi Boggiano"}]
        },
        {
            "name": "psr/log",
            "version": "3.0.0",
            "dist": {"type": "zip", "url": "https://example.invalid/log.zip", "shasum": "0123456789abcdef0123456789abcdef01234567"},
            "require": {"php": ">=8.0.0"},
            "license": ["MIT", "Apache-2.0"]
        }
    ],
    "packages-dev": [
        {
            "name": "phpunit/phpunit",
            "version": "10.5.0",
            "require": {"ext-dom": "*", "psr/log": "^3.0"}
        }
    ]
}
"#;

    #[test]
    fn packages_and_dev_packages_with_edges_hashes_and_lines() {
        let parsed = parse(LOCK, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            [
                "monolog/monolog@3.5.0",
                "psr/log@3.0.0",
                "phpunit/phpunit@10.5.0"
            ]
        );
        let lines: Vec<u32> = parsed.packages.iter().map(|p| p.line).collect();
        assert_eq!(lines, [6, 15, 24]);
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.packages[2].dependencies, [1]);
        assert_eq!(parsed.packages[1].hashes.len(), 1);
        assert!(parsed.packages[0].hashes.is_empty(), "an empty shasum");
        assert_eq!(parsed.packages[1].licenses, ["MIT OR Apache-2.0"]);
        // Without composer.json: what nothing else requires.
        assert_eq!(parsed.direct, [0, 2]);
        assert_eq!(
            crate::purl::for_package(&parsed.packages[0]),
            "pkg:composer/monolog/monolog@3.5.0"
        );
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("{\n  \"packages\": [\n  oops\n]}", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
        let err = parse("[]", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("composer.lock"), "{err}");
    }
}
