//! The shape of `crabox.toml`, derived from the JSON Schema of [`ConfigFile`]: which keys each
//! table has, their types and documentation. Used for key suggestions in errors, the
//! `CRABOX_*` variable registry and the generated configuration reference.

use std::sync::OnceLock;

use serde_json::Value;

use crate::ConfigFile;

/// What a key holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    String,
    Boolean,
    Integer,
    /// One of the listed strings.
    Enum(Vec<String>),
    Array(Box<Shape>),
    /// A table with known keys.
    Table(Vec<Key>),
    /// A table whose keys are free and whose values have one shape.
    Map(Box<Shape>),
}

impl Shape {
    /// The type as the configuration reference names it.
    pub fn describe(&self) -> String {
        match self {
            Shape::String => "string".to_owned(),
            Shape::Boolean => "boolean".to_owned(),
            Shape::Integer => "integer".to_owned(),
            Shape::Enum(variants) => variants
                .iter()
                .map(|v| format!("`\"{v}\"`"))
                .collect::<Vec<_>>()
                .join(" | "),
            Shape::Array(item) => match **item {
                Shape::Table(_) => "array of tables".to_owned(),
                _ => format!("array of {}", item.describe()),
            },
            Shape::Table(_) => "table".to_owned(),
            Shape::Map(value) => format!("table of {}", value.describe()),
        }
    }

    /// A scalar or an array of scalars: something an environment variable can carry.
    pub fn is_env_settable(&self) -> bool {
        match self {
            Shape::String | Shape::Boolean | Shape::Integer | Shape::Enum(_) => true,
            Shape::Array(item) => {
                matches!(**item, Shape::String | Shape::Integer | Shape::Enum(_))
            }
            Shape::Table(_) | Shape::Map(_) => false,
        }
    }
}

/// One key of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub description: String,
    pub shape: Shape,
}

/// The keys of the top-level table of `crabox.toml`.
pub fn root() -> &'static [Key] {
    static ROOT: OnceLock<Vec<Key>> = OnceLock::new();
    ROOT.get_or_init(|| {
        let schema = json_schema();
        match shape_of(&schema, &schema) {
            Shape::Table(keys) => keys,
            other => unreachable!("the config schema is a table, not {other:?}"),
        }
    })
}

/// The JSON Schema of `crabox.toml` (draft 2020-12).
pub fn json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ConfigFile)).expect("a schema is JSON")
}

/// The keys of the table at `path` (table names; array indices are skipped), if it is a table.
pub fn table_keys<'a>(path: impl IntoIterator<Item = &'a str>) -> Option<&'static [Key]> {
    let mut keys = root();
    for segment in path {
        let key = keys.iter().find(|k| k.name == segment)?;
        keys = match &key.shape {
            Shape::Table(inner) => inner,
            Shape::Array(item) => match &**item {
                Shape::Table(inner) => inner,
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(keys)
}

/// The key at `path`, if there is one.
pub fn key_at(path: &[&str]) -> Option<&'static Key> {
    let (last, parent) = path.split_last()?;
    table_keys(parent.iter().copied())?
        .iter()
        .find(|k| k.name == *last)
}

/// Every key in the file, with its dotted path, depth first in declaration order.
pub fn all_keys() -> Vec<(String, &'static Key)> {
    fn walk(prefix: &str, keys: &'static [Key], out: &mut Vec<(String, &'static Key)>) {
        for key in keys {
            let path = if prefix.is_empty() {
                key.name.clone()
            } else {
                format!("{prefix}.{}", key.name)
            };
            out.push((path.clone(), key));
            match &key.shape {
                Shape::Table(inner) => walk(&path, inner, out),
                Shape::Array(item) => {
                    if let Shape::Table(inner) = &**item {
                        walk(&format!("{path}[]"), inner, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk("", root(), &mut out);
    out
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .expect("schemars refs are local");
            resolve(root, root.pointer(pointer).expect("schemars refs resolve"))
        }
        None => schema,
    }
}

/// Strips `Option` (an `anyOf` with `null`, or a type list with `null`).
fn non_null<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(root, schema);
    if let Some(any_of) = schema.get("anyOf").and_then(Value::as_array) {
        let rest: Vec<&Value> = any_of
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [only] = rest.as_slice() {
            return non_null(root, only);
        }
    }
    schema
}

fn type_name(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(name) => Some(name),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .find(|n| *n != "null"),
        _ => None,
    }
}

fn shape_of(root: &Value, schema: &Value) -> Shape {
    let schema = non_null(root, schema);
    if let Some(variants) = schema.get("enum").and_then(Value::as_array) {
        return Shape::Enum(
            variants
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        );
    }
    if let Some(one_of) = schema.get("oneOf").and_then(Value::as_array) {
        let variants: Vec<String> = one_of
            .iter()
            .filter_map(|v| resolve(root, v).get("const").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        if variants.len() == one_of.len() {
            return Shape::Enum(variants);
        }
    }
    match type_name(schema) {
        Some("boolean") => Shape::Boolean,
        Some("integer") => Shape::Integer,
        Some("array") => Shape::Array(Box::new(
            schema
                .get("items")
                .map_or(Shape::String, |items| shape_of(root, items)),
        )),
        Some("object") => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                Shape::Table(
                    properties
                        .iter()
                        .map(|(name, property)| Key {
                            name: name.clone(),
                            description: property
                                .get("description")
                                .or_else(|| non_null(root, property).get("description"))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                            shape: shape_of(root, property),
                        })
                        .collect(),
                )
            } else {
                Shape::Map(Box::new(
                    schema
                        .get("additionalProperties")
                        .map_or(Shape::String, |value| shape_of(root, value)),
                ))
            }
        }
        _ => Shape::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_sections_and_their_keys() {
        let sections: Vec<&str> = root().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            sections,
            [
                "product", "sbom", "audit", "sign", "gate", "notes", "evidence"
            ]
        );
        let audit: Vec<&str> = table_keys(["audit"])
            .unwrap()
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        assert_eq!(
            audit,
            [
                "sources",
                "fail-on",
                "ignore",
                "vex",
                "rustsec-url",
                "osv-url",
                "osv-ecosystems",
                "index-url",
                "max-age"
            ]
        );
        let ignore: Vec<&str> = table_keys(["audit", "ignore"])
            .unwrap()
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        assert_eq!(ignore, ["id", "reason", "until"]);
        assert!(table_keys(["audit", "fail-on"]).is_none());
    }

    #[test]
    fn shapes_follow_the_types() {
        let shape = |path: &[&str]| key_at(path).unwrap().shape.clone();
        assert_eq!(
            shape(&["audit", "fail-on"]),
            Shape::Enum(
                ["none", "low", "medium", "high", "critical"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            shape(&["sbom", "formats"]),
            Shape::Array(Box::new(Shape::Enum(vec![
                "cyclonedx-json".into(),
                "spdx-json".into(),
                "spdx3-json".into()
            ])))
        );
        assert_eq!(shape(&["sbom", "include-dev"]), Shape::Boolean);
        assert_eq!(shape(&["gate", "commands", "timeout"]), Shape::Integer);
        assert_eq!(shape(&["product", "support-end"]), Shape::String);
        assert_eq!(
            shape(&["evidence", "not-applicable"]),
            Shape::Map(Box::new(Shape::String))
        );
        assert!(
            key_at(&["sbom", "include-dev"])
                .unwrap()
                .description
                .contains("development-only")
        );
    }
}
