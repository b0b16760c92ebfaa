//! Supplier SBOMs (`--import FILE`, `[sbom] import`): CycloneDX 1.4–1.6 and SPDX 2.2–2.3 JSON
//! documents of components the product takes from a supplier (CRA Art. 13(5), due diligence).
//! Each component with a purl of a known ecosystem and a version becomes a package of the
//! product, audited like the rest; the document's dependency edges are kept (CycloneDX
//! `dependencies`, SPDX `DEPENDS_ON`/`DEPENDENCY_OF`); CycloneDX `scope: excluded` and SPDX
//! `DEV_DEPENDENCY_OF` are development scope. A component without such a purl is named in a
//! diagnostic and the import is incomplete: it cannot be audited.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Hash, HashAlg, Scope};

fn hash_alg(name: &str) -> Option<HashAlg> {
    match name.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA1" => Some(HashAlg::Sha1),
        "SHA256" => Some(HashAlg::Sha256),
        "SHA384" => Some(HashAlg::Sha384),
        "SHA512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// Finds where each component is written, in order, to give it a line.
struct Lines<'a> {
    text: &'a str,
    index: LineIndex,
    cursor: usize,
}

impl Lines<'_> {
    fn of(&mut self, needle: &str) -> u32 {
        let quoted = serde_json::to_string(needle).expect("a string");
        // Forward only (components are met in the document's order): linear in the file; a
        // component not found after the previous one gets no line.
        self.text[self.cursor..].find(&quoted).map_or(0, |at| {
            self.cursor += at;
            self.index.line(self.cursor)
        })
    }
}

/// Adds one component (with its purl) to `parsed`, or says why it cannot be audited.
fn add(
    parsed: &mut Parsed,
    context: &Context,
    line: u32,
    label: &str,
    purl: Option<&str>,
) -> Option<usize> {
    let Some(package) = purl.and_then(crate::purl::parse_package) else {
        parsed.skip(context.diagnostic(
            line,
            match purl {
                Some(purl) => format!(
                    "`{label}` has the purl `{purl}`, not one of an ecosystem crabox audits (or without a version): it is not audited"
                ),
                None => format!("`{label}` has no purl: it cannot be audited"),
            },
        ));
        return None;
    };
    let mut package = package;
    package.line = line;
    parsed.packages.push(package);
    Some(parsed.packages.len() - 1)
}

/// A JSON value read as text when it is a string (borrowed from the document where it has no
/// escapes) and as nothing otherwise: a field of another type is ignored, as the format allows
/// crabox to, without failing the document.
#[derive(Debug, Default)]
struct Text<'a>(Option<Cow<'a, str>>);

impl Text<'_> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Text<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Text<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

/// The parts of a CycloneDX document crabox reads; everything else is skipped unread.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "bomFormat", borrow, default)]
    bom_format: Text<'a>,
    #[serde(rename = "specVersion", borrow, default)]
    spec_version: Text<'a>,
    #[serde(borrow, default)]
    components: Vec<CdxComponent<'a>>,
    #[serde(borrow, default)]
    dependencies: Option<Vec<CdxDependency<'a>>>,
}

#[derive(Deserialize)]
struct CdxComponent<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    version: Text<'a>,
    #[serde(borrow, default)]
    purl: Text<'a>,
    #[serde(borrow, default)]
    scope: Text<'a>,
    #[serde(rename = "bom-ref", borrow, default)]
    bom_ref: Text<'a>,
    #[serde(borrow, default)]
    hashes: Vec<CdxHash<'a>>,
    #[serde(borrow, default)]
    licenses: Vec<CdxLicenseChoice<'a>>,
    #[serde(borrow, default)]
    components: Vec<CdxComponent<'a>>,
}

#[derive(Deserialize)]
struct CdxHash<'a> {
    #[serde(borrow, default)]
    alg: Text<'a>,
    #[serde(borrow, default)]
    content: Text<'a>,
}

#[derive(Deserialize)]
struct CdxLicenseChoice<'a> {
    #[serde(borrow, default)]
    expression: Text<'a>,
    #[serde(borrow, default)]
    license: Option<CdxLicense<'a>>,
}

#[derive(Deserialize)]
struct CdxLicense<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
}

#[derive(Deserialize)]
struct CdxDependency<'a> {
    #[serde(rename = "ref", borrow, default)]
    reference: Text<'a>,
    #[serde(rename = "dependsOn", borrow, default)]
    depends_on: Vec<Text<'a>>,
}

/// A CycloneDX 1.4–1.6 JSON document, read into typed parts that borrow from the text (the
/// components' other fields are skipped without being built).
pub fn cyclonedx(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Document<'_> = serde_json::from_str(text).map_err(|err| {
        context.parse_error(
            u32::try_from(err.line()).unwrap_or(0),
            format!("not a valid CycloneDX SBOM (JSON): {err}"),
        )
    })?;
    let spec = document.spec_version.get().unwrap_or_default();
    if document.bom_format.get() != Some("CycloneDX") || !matches!(spec, "1.4" | "1.5" | "1.6") {
        return Err(context.parse_error(
            1,
            format!("expected a CycloneDX 1.4–1.6 JSON document (`bomFormat`, `specVersion`), found specVersion `{spec}`"),
        ));
    }
    let mut lines = Lines {
        text,
        index: LineIndex::new(text),
        cursor: 0,
    };
    let mut parsed = Parsed::new();
    let mut by_ref: HashMap<&str, usize> = HashMap::new();
    // Components and their nested components, depth first, with a depth limit.
    let mut stack: Vec<(&CdxComponent<'_>, usize)> =
        document.components.iter().rev().map(|c| (c, 0)).collect();
    while let Some((component, depth)) = stack.pop() {
        let name = component.name.get().unwrap_or_default();
        let purl = component.purl.get();
        let line = lines.of(purl.unwrap_or(name));
        let label = match component.version.get() {
            Some(v) => format!("{name}@{v}"),
            None => name.to_owned(),
        };
        if let Some(i) = add(&mut parsed, context, line, &label, purl) {
            let package = &mut parsed.packages[i];
            package.scope = match component.scope.get() {
                Some("excluded") => Scope::Dev,
                Some("optional") => Scope::Optional,
                _ => Scope::Required,
            };
            package.hashes = component
                .hashes
                .iter()
                .filter_map(|h| Hash::from_hex(hash_alg(h.alg.get()?)?, h.content.get()?))
                .collect();
            package.licenses = component
                .licenses
                .iter()
                .filter_map(|l| {
                    l.expression
                        .get()
                        .or_else(|| l.license.as_ref().and_then(|l| l.id.get()))
                        .map(str::to_owned)
                })
                .collect();
            if let Some(bom_ref) = component.bom_ref.get() {
                by_ref.insert(bom_ref, i);
            }
        }
        if depth < 16 {
            for nested in component.components.iter().rev() {
                stack.push((nested, depth + 1));
            }
        }
    }
    let mut depended = vec![false; parsed.packages.len()];
    for dependency in document.dependencies.iter().flatten() {
        let Some(&from) = dependency.reference.get().and_then(|r| by_ref.get(r)) else {
            continue;
        };
        let mut to: Vec<usize> = dependency
            .depends_on
            .iter()
            .filter_map(|d| by_ref.get(d.get()?).copied())
            .collect();
        to.sort_unstable();
        to.dedup();
        for &t in &to {
            depended[t] = true;
        }
        parsed.packages[from].dependencies = to;
    }
    parsed.graph_complete = document.dependencies.is_some();
    parsed.direct = super::not_depended(&depended);
    Ok(parsed)
}

pub fn spdx(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document = context.json(text, "SPDX SBOM")?;
    let version = document
        .get("spdxVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !matches!(version, "SPDX-2.2" | "SPDX-2.3") {
        return Err(context.parse_error(
            1,
            format!("expected an SPDX 2.2 or 2.3 JSON document (`spdxVersion`), found `{version}`"),
        ));
    }
    let mut lines = Lines {
        text,
        index: LineIndex::new(text),
        cursor: 0,
    };
    let mut parsed = Parsed::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for package in document
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = package
            .get("SPDXID")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = package
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let purl = package
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator"))
            .and_then(Value::as_str);
        let line = lines.of(id);
        let label = match package.get("versionInfo").and_then(Value::as_str) {
            Some(v) => format!("{name}@{v}"),
            None => name.to_owned(),
        };
        // The document's own subject without a purl (the supplier's product as a whole) says
        // nothing an audit can use, and is not a gap.
        let described = document
            .get("documentDescribes")
            .and_then(Value::as_array)
            .is_some_and(|d| d.iter().any(|x| x.as_str() == Some(id)));
        if purl.is_none() && described {
            continue;
        }
        if let Some(i) = add(&mut parsed, context, line, &label, purl) {
            parsed.packages[i].hashes = package
                .get("checksums")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    Hash::from_hex(
                        hash_alg(c.get("algorithm")?.as_str()?)?,
                        c.get("checksumValue")?.as_str()?,
                    )
                })
                .collect();
            if let Some(license) = ["licenseConcluded", "licenseDeclared"]
                .iter()
                .filter_map(|k| package.get(*k).and_then(Value::as_str))
                .find(|l| !matches!(*l, "NOASSERTION" | "NONE" | ""))
            {
                parsed.packages[i].licenses.push(license.to_owned());
            }
            by_id.insert(id.to_owned(), i);
        }
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); parsed.packages.len()];
    let mut depended = vec![false; parsed.packages.len()];
    for relationship in document
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let get = |k: &str| {
            relationship
                .get(k)
                .and_then(Value::as_str)
                .and_then(|id| by_id.get(id))
                .copied()
        };
        let (Some(a), Some(b)) = (get("spdxElementId"), get("relatedSpdxElement")) else {
            continue;
        };
        match relationship.get("relationshipType").and_then(Value::as_str) {
            Some("DEPENDS_ON") => edges[a].push(b),
            Some("DEPENDENCY_OF") => edges[b].push(a),
            Some("DEV_DEPENDENCY_OF") => {
                edges[b].push(a);
                parsed.packages[a].scope = Scope::Dev;
            }
            _ => {}
        }
    }
    for (package, mut to) in parsed.packages.iter_mut().zip(edges) {
        to.sort_unstable();
        to.dedup();
        for &t in &to {
            depended[t] = true;
        }
        package.dependencies = to;
    }
    parsed.direct = super::not_depended(&depended);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cyclonedx_sbom_with_nested_components_and_edges() {
        let text = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "components": [
    {
      "bom-ref": "a",
      "type": "library",
      "name": "openssl",
      "version": "3.0.11",
      "purl": "pkg:conan/openssl@3.0.11",
      "hashes": [{"alg": "SHA-256", "content": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],
      "licenses": [{"license": {"id": "Apache-2.0"}}],
      "components": [
        {"bom-ref": "b", "name": "zlib", "version": "1.3", "purl": "pkg:conan/zlib@1.3"}
      ]
    },
    {"name": "firmware-blob", "version": "7"},
    {"bom-ref": "c", "name": "gtest", "version": "1.14.0", "purl": "pkg:conan/gtest@1.14.0", "scope": "excluded"}
  ],
  "dependencies": [{"ref": "a", "dependsOn": ["b"]}]
}"#;
        let parsed = cyclonedx(text, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["openssl@3.0.11", "zlib@1.3", "gtest@1.14.0"]
        );
        assert_eq!(parsed.packages[0].line, 10, "where its purl is written");
        assert_eq!(parsed.packages[1].line, 14);
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert_eq!(parsed.packages[0].licenses, ["Apache-2.0"]);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.direct, [0, 2]);
        assert!(!parsed.complete, "the blob without a purl is a gap");
        assert!(parsed.diagnostics[0].message.contains("firmware-blob@7"));
    }

    #[test]
    fn an_spdx_sbom_with_relationships() {
        let text = r#"{
  "spdxVersion": "SPDX-2.3",
  "SPDXID": "SPDXRef-DOCUMENT",
  "documentDescribes": ["SPDXRef-root"],
  "packages": [
    {"SPDXID": "SPDXRef-root", "name": "supplier-sdk", "versionInfo": "2.0"},
    {"SPDXID": "SPDXRef-a", "name": "left-pad", "versionInfo": "1.3.0",
     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/left-pad@1.3.0"}],
     "checksums": [{"algorithm": "SHA1", "checksumValue": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],
     "licenseConcluded": "MIT"},
    {"SPDXID": "SPDXRef-b", "name": "jest", "versionInfo": "29.0.0",
     "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/jest@29.0.0"}]}
  ],
  "relationships": [
    {"spdxElementId": "SPDXRef-b", "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-a"}
  ]
}"#;
        let parsed = spdx(text, &Context::default()).unwrap();
        assert_eq!(parsed.names(), ["left-pad@1.3.0", "jest@29.0.0"]);
        assert_eq!(parsed.packages[0].licenses, ["MIT"]);
        assert_eq!(parsed.packages[1].scope, Scope::Dev);
        assert_eq!(parsed.packages[0].dependencies, [1]);
        assert!(
            parsed.complete,
            "the described root without a purl is not a gap"
        );
    }

    #[test]
    fn other_documents_are_refused() {
        let err = cyclonedx(
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.2"}"#,
            &Context::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("1.4–1.6"), "{err}");
        let err = spdx(r#"{"spdxVersion": "SPDX-3.0"}"#, &Context::default()).unwrap_err();
        assert!(err.to_string().contains("2.2 or 2.3"), "{err}");
        let err = cyclonedx("{\n[", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":2"), "{err}");
    }
}
