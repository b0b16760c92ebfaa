//! `Pipfile.lock` (pipenv): `default` and `develop` sections, pinned with `==`, with hashes.

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, Package, Scope, Source};

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = serde_json::from_str(text).map_err(|err| {
        context.parse_error(
            u32::try_from(err.line()).unwrap_or(0),
            format!("not a valid Pipfile.lock (JSON): {err}"),
        )
    })?;
    let index = LineIndex::new(text);
    let mut parsed = Parsed::new();
    let mut seen = std::collections::HashMap::new();
    for (section, scope) in [("default", Scope::Required), ("develop", Scope::Dev)] {
        let Some(Value::Object(entries)) = document.get(section) else {
            continue;
        };
        let section_offset = text.find(&format!("\"{section}\":")).unwrap_or(0);
        for (name, entry) in entries {
            let needle = format!(
                "{}:",
                serde_json::to_string(name).expect("a string serializes")
            );
            let line = text[section_offset..]
                .find(&needle)
                .map_or(0, |o| index.line(section_offset + o));
            let (version, source) = match (
                entry.get("version").and_then(Value::as_str),
                entry.get("git").and_then(Value::as_str),
            ) {
                (Some(v), _) => match v.strip_prefix("==").or_else(|| v.strip_prefix("===")) {
                    Some(version) => (version.trim().to_owned(), Source::Registry),
                    None => {
                        parsed.skip(
                            context.diagnostic(line, format!("`{name}` is not pinned (`{v}`)")),
                        );
                        continue;
                    }
                },
                (None, Some(git)) => {
                    let rev = entry.get("ref").and_then(Value::as_str).map(str::to_owned);
                    (
                        rev.clone().unwrap_or_default(),
                        Source::Git {
                            url: git.to_owned(),
                            rev,
                        },
                    )
                }
                (None, None) => {
                    parsed.skip(context.diagnostic(line, format!("`{name}` has no `version`")));
                    continue;
                }
            };
            let key = crate::purl::normalize_pypi(name);
            if let Some(&existing) = seen.get(&key) {
                // In both sections: it ships.
                let package: &mut Package = &mut parsed.packages[existing];
                if scope == Scope::Required {
                    package.scope = Scope::Required;
                }
                continue;
            }
            let mut package = Package::new(Ecosystem::Pypi, name.clone(), version);
            package.source = source;
            package.scope = scope;
            package.line = line;
            if let Some(Value::Array(hashes)) = entry.get("hashes") {
                package.hashes = hashes
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(Hash::from_prefixed)
                    .collect();
                package.hashes.sort();
                package.hashes.dedup();
            }
            seen.insert(key, parsed.packages.len());
            parsed.packages.push(package);
        }
    }
    // Pipfile.lock lists what the Pipfile requires and everything below it, without the graph.
    parsed.direct = (0..parsed.packages.len()).collect();
    parsed.graph_complete = false;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_sections() {
        let text = r#"{
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "requests": {"hashes": ["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], "version": "==2.31.0"},
        "loose": {"version": ">=1"}
    },
    "develop": {
        "pytest": {"version": "==8.0.0"},
        "requests": {"version": "==2.31.0"},
        "tool": {"git": "https://github.com/x/tool.git", "ref": "abc123"}
    }
}"#;
        let parsed = parse(text, &Context::default()).unwrap();
        let names = parsed.names();
        assert_eq!(names, ["requests@2.31.0", "pytest@8.0.0", "tool@abc123"]);
        assert_eq!(parsed.packages[0].scope, Scope::Required);
        assert_eq!(parsed.packages[1].scope, Scope::Dev);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[0].line, 4);
        assert!(!parsed.complete, "the unpinned entry is reported");
    }
}
