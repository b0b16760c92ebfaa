//! Every environment variable crabox reads, in one registry, and the `CRABOX_<SECTION>_<KEY>`
//! overrides of `crabox.toml` keys.
//!
//! Each scalar key of the file (and each array of scalars) has an environment twin: the dotted
//! path in upper case with `_` for `.` and `-`, e.g. `audit.fail-on` → `CRABOX_AUDIT_FAIL_ON`.
//! Arrays are given comma-separated.

use crate::schema::{self, Key, Shape};

pub use crabox_types::env::EnvVars;

/// A configuration key that an environment variable can set.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvKey {
    /// `CRABOX_AUDIT_FAIL_ON`
    pub var: String,
    /// `["audit", "fail-on"]`
    pub path: Vec<String>,
    pub key: &'static Key,
}

/// The environment variable for the key at a dotted path.
pub fn var_name(path: &[&str]) -> String {
    let mut name = String::from("CRABOX");
    for segment in path {
        name.push('_');
        name.extend(segment.chars().map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        }));
    }
    name
}

/// Every configuration key that an environment variable can set, in file order.
pub fn config_keys() -> Vec<EnvKey> {
    fn walk(path: &mut Vec<String>, keys: &'static [Key], out: &mut Vec<EnvKey>) {
        for key in keys {
            path.push(key.name.clone());
            if let Shape::Table(inner) = &key.shape {
                walk(path, inner, out);
            } else if key.shape.is_env_settable() && path.len() > 1 {
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                out.push(EnvKey {
                    var: var_name(&segments),
                    path: path.clone(),
                    key,
                });
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&mut Vec::new(), schema::root(), &mut out);
    out
}

/// An environment value that does not fit its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValueError {
    pub message: String,
    pub suggestion: Option<String>,
}

/// Parses an environment value into the TOML value its key expects.
pub fn parse_value(shape: &Shape, raw: &str) -> Result<toml::Value, EnvValueError> {
    let plain = |message: String| EnvValueError {
        message,
        suggestion: None,
    };
    match shape {
        Shape::String => Ok(toml::Value::String(raw.to_owned())),
        Shape::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "false" | "0" | "no" | "off" | "" => Ok(toml::Value::Boolean(false)),
            _ => Err(plain(format!(
                "`{raw}` is not a boolean; expected `true` or `false`"
            ))),
        },
        Shape::Integer => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| plain(format!("`{raw}` is not an integer"))),
        Shape::Enum(variants) => {
            let value = raw.trim();
            if variants.iter().any(|v| v == value) {
                Ok(toml::Value::String(value.to_owned()))
            } else {
                Err(EnvValueError {
                    message: format!(
                        "`{value}` is not one of {}",
                        variants
                            .iter()
                            .map(|v| format!("`{v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    suggestion: crate::suggest::nearest(value, variants.iter().map(String::as_str))
                        .map(str::to_owned),
                })
            }
        }
        Shape::Array(item) => raw
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| parse_value(item, part))
            .collect::<Result<Vec<_>, _>>()
            .map(toml::Value::Array),
        Shape::Table(_) | Shape::Map(_) => Err(plain(
            "tables cannot be set from the environment".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_key_paths() {
        let keys = config_keys();
        let names: Vec<&str> = keys.iter().map(|k| k.var.as_str()).collect();
        for expected in [
            "CRABOX_PRODUCT_NAME",
            "CRABOX_SBOM_INCLUDE_DEV",
            "CRABOX_SBOM_FORMATS",
            "CRABOX_AUDIT_FAIL_ON",
            "CRABOX_SIGN_MODE",
            "CRABOX_GATE_LICENSES_ALLOW",
            "CRABOX_NOTES_TAG_PATTERN",
            "CRABOX_EVIDENCE_RISK_ASSESSMENT",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        // Arrays of tables and maps are file-only.
        assert!(!names.contains(&"CRABOX_AUDIT_IGNORE"));
        assert!(!names.contains(&"CRABOX_EVIDENCE_NOT_APPLICABLE"));
    }

    #[test]
    fn names_are_unique_and_distinct_from_the_registry() {
        let mut seen = std::collections::HashSet::new();
        for (name, _) in EnvVars::ALL {
            assert!(seen.insert((*name).to_owned()), "{name} twice");
        }
        for key in config_keys() {
            assert!(seen.insert(key.var.clone()), "{} collides", key.var);
        }
    }

    #[test]
    fn values_are_parsed_by_shape() {
        let shape = |p: &[&str]| &schema::key_at(p).unwrap().shape;
        assert_eq!(
            parse_value(shape(&["sbom", "include-dev"]), "no").unwrap(),
            toml::Value::Boolean(false)
        );
        assert_eq!(
            parse_value(shape(&["sbom", "formats"]), "spdx-json, cyclonedx-json").unwrap(),
            toml::Value::Array(vec!["spdx-json".into(), "cyclonedx-json".into()])
        );
        let err = parse_value(shape(&["audit", "fail-on"]), "hihg").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("high"), "{err:?}");
        assert!(parse_value(shape(&["sbom", "include-dev"]), "maybe").is_err());
        assert!(parse_value(shape(&["gate", "commands", "timeout"]), "ten").is_err());
    }
}
