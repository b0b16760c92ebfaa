//! SPDX 2.3 JSON: the product and every component as packages, `DEPENDS_ON` edges, and
//! `DEV_DEPENDENCY_OF` for development-only packages.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::cyclonedx::Lazy;

use crate::graph::{Component, Graph};
use crate::model::Scope;
use crate::{Document, Product};

const PRODUCT_ID: &str = "SPDXRef-Product";

/// `SPDXRef-…` ids: `[A-Za-z0-9.-]` only, unique.
fn ids<'a>(graph: &Graph<'a>) -> BTreeMap<&'a str, String> {
    let mut out = BTreeMap::new();
    let mut used = std::collections::HashSet::new();
    for component in graph.components.values() {
        let package = &component.package;
        let base: String = format!(
            "{}-{}-{}",
            package.ecosystem.purl_type(),
            package.name,
            package.version
        )
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
        let mut id = format!("SPDXRef-Package-{base}");
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("SPDXRef-Package-{base}-{n}");
            n += 1;
        }
        out.insert(component.purl, id);
    }
    out
}

/// The declared licence as an SPDX expression, when every licence the lockfile or cache states is
/// a valid expression over the SPDX licence list; otherwise the SBOM says NOASSERTION (and keeps
/// the text in a comment) rather than guessing.
fn spdx_expression(component: &Component) -> Option<String> {
    if component.licenses.is_empty()
        || !component
            .licenses
            .iter()
            .all(|l| crate::graph::is_spdx_expression(l))
    {
        return None;
    }
    Some(if component.licenses.len() == 1 {
        (*component.licenses.first().expect("one")).to_owned()
    } else {
        component
            .licenses
            .iter()
            .map(|l| format!("({l})"))
            .collect::<Vec<_>>()
            .join(" AND ")
    })
}

#[derive(Serialize)]
struct ExternalRef<'a> {
    #[serde(rename = "referenceCategory")]
    category: &'static str,
    #[serde(rename = "referenceType")]
    kind: &'static str,
    #[serde(rename = "referenceLocator")]
    locator: &'a str,
}

#[derive(Serialize)]
struct Checksum<'a> {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    value: &'a str,
}

/// One component as an SPDX package, borrowed from the graph and written as it is made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PackageJson<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: &'a str,
    name: &'a str,
    version_info: &'a str,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    external_refs: [ExternalRef<'a>; 1],
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
}

fn package_json<'a>(component: &Component<'a>, id: &'a str) -> PackageJson<'a> {
    let package = component.package;
    let expression = spdx_expression(component);
    let license_comments = (expression.is_none() && !component.licenses.is_empty()).then(|| {
        let stated: Vec<&str> = component.licenses.iter().copied().collect();
        format!(
            "stated licence, not an SPDX expression: {}",
            stated.join("; ")
        )
    });
    PackageJson {
        spdx_id: id,
        name: &package.name,
        version_info: &package.version,
        download_location: "NOASSERTION",
        files_analyzed: false,
        license_concluded: "NOASSERTION",
        license_declared: expression.unwrap_or_else(|| "NOASSERTION".to_owned()),
        copyright_text: "NOASSERTION",
        external_refs: [ExternalRef {
            category: "PACKAGE-MANAGER",
            kind: "purl",
            locator: component.purl,
        }],
        primary_package_purpose: if package.is_root {
            "APPLICATION"
        } else {
            "LIBRARY"
        },
        checksums: component
            .hashes
            .iter()
            .map(|h| Checksum {
                algorithm: h.alg.spdx(),
                value: &h.hex,
            })
            .collect(),
        comment: (!component.locations.is_empty()).then(|| {
            let pinned: Vec<String> = component
                .locations
                .iter()
                .map(|(file, line)| format!("{file}:{line}"))
                .collect();
            format!("pinned by {}", pinned.join(", "))
        }),
        license_comments,
    }
}

/// A relationship between two SPDX elements.
#[derive(Serialize)]
struct Edge<'a> {
    #[serde(rename = "spdxElementId")]
    from: &'a str,
    #[serde(rename = "relationshipType")]
    kind: &'static str,
    #[serde(rename = "relatedSpdxElement")]
    to: &'a str,
}

/// `from` depends on `to` (`DEPENDS_ON`), or `to` is a development dependency of `from`.
fn edge<'a>(graph: &Graph, ids: &'a BTreeMap<&str, String>, from: &'a str, to: &str) -> Edge<'a> {
    let to_id = ids[to].as_str();
    if graph.components[to].scope == Scope::Dev {
        Edge {
            from: to_id,
            kind: "DEV_DEPENDENCY_OF",
            to: from,
        }
    } else {
        Edge {
            from,
            kind: "DEPENDS_ON",
            to: to_id,
        }
    }
}

/// A package or relationship given as a value (the product, artifacts) or written lazily.
#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a, T> {
    Value(&'a Value),
    Typed(T),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo<'a> {
    created: &'a str,
    creators: Vec<String>,
}

#[derive(Serialize)]
struct SpdxDocument<'a, P, R> {
    #[serde(rename = "spdxVersion")]
    spdx_version: &'static str,
    #[serde(rename = "dataLicense")]
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    #[serde(rename = "documentNamespace")]
    namespace: crate::graph::Serial<'a>,
    #[serde(rename = "creationInfo")]
    creation_info: CreationInfo<'a>,
    #[serde(rename = "documentDescribes")]
    describes: [&'static str; 1],
    packages: P,
    relationships: R,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'static str>,
}

/// An SPDX 2.3 organization: `Organization: NAME (EMAIL)` when the contact is an e-mail address
/// (a `mailto:` URL or a bare address), as the specification's creator and supplier fields
/// write the contact; `Organization: NAME` otherwise.
fn organization(name: &str, contact: Option<&str>) -> String {
    let email = contact
        .map(|c| c.strip_prefix("mailto:").unwrap_or(c).trim())
        .filter(|c| c.contains('@') && !c.contains(['/', ' ', '(', ')']));
    match email {
        Some(email) => format!("Organization: {name} ({email})"),
        None => format!("Organization: {name}"),
    }
}

fn product_json(product: &Product) -> Value {
    let mut value = json!({
        "SPDXID": PRODUCT_ID,
        "name": product.name,
        "versionInfo": product.version.as_deref().unwrap_or("unversioned"),
        "downloadLocation": product.repository_url.as_deref().map_or_else(|| "NOASSERTION".to_owned(), |u| format!("git+{u}")),
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
    });
    if let Some(manufacturer) = &product.manufacturer {
        value["supplier"] = json!(organization(
            manufacturer,
            product.manufacturer_contact.as_deref()
        ));
    }
    if let [artifact] = product.artifacts.as_slice() {
        value["packageFileName"] = json!(artifact.file_name);
        value["checksums"] = json!([
            { "algorithm": "SHA256", "checksumValue": artifact.sha256 },
            { "algorithm": "SHA512", "checksumValue": artifact.sha512 },
        ]);
    }
    if let Some(commit) = &product.commit {
        value["sourceInfo"] = json!(format!("built from git commit {commit}"));
    }
    value
}

/// The SPDX 2.3 JSON document, pretty-printed with a trailing newline, into `target`: returned
/// as text, or written to a stream without holding it. The components' packages and
/// relationships are written as they are serialized, never held as a value tree.
pub fn render_into(
    product: &Product,
    graph: &Graph,
    document: &Document,
    target: crate::graph::Target,
) -> std::io::Result<Option<String>> {
    let ids = ids(graph);
    let mut head = vec![product_json(product)];
    // Several artifacts: each is a package the product contains.
    let mut head_edges = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": PRODUCT_ID,
    })];
    if product.artifacts.len() > 1 {
        for (i, artifact) in product.artifacts.iter().enumerate() {
            let id = format!("SPDXRef-Artifact-{}", i + 1);
            head.push(json!({
                "SPDXID": id,
                "name": artifact.file_name,
                "packageFileName": artifact.file_name,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "checksums": [
                    { "algorithm": "SHA256", "checksumValue": artifact.sha256 },
                    { "algorithm": "SHA512", "checksumValue": artifact.sha512 },
                ],
                "primaryPackagePurpose": if artifact.executable { "APPLICATION" } else { "FILE" },
            }));
            head_edges.push(json!({ "spdxElementId": PRODUCT_ID, "relationshipType": "CONTAINS", "relatedSpdxElement": id }));
        }
    }
    let packages = Lazy(|| {
        head.iter().map(Item::Value).chain(
            graph
                .components
                .values()
                .map(|c| Item::Typed(package_json(c, &ids[c.purl]))),
        )
    });
    let edge = |from, to| edge(graph, &ids, from, to);
    let relationships = Lazy(|| {
        head_edges
            .iter()
            .map(Item::Value)
            .chain(
                graph
                    .direct
                    .iter()
                    .map(|purl| Item::Typed(edge(PRODUCT_ID, purl))),
            )
            .chain(graph.components.values().flat_map(|component| {
                let from = ids[component.purl].as_str();
                component
                    .depends_on
                    .iter()
                    .map(move |target| Item::Typed(edge(from, target)))
            }))
    });
    let mut creators = vec![format!("Tool: crabox-{}", document.tool_version)];
    if let Some(manufacturer) = &product.manufacturer {
        creators.push(organization(
            manufacturer,
            product.manufacturer_contact.as_deref(),
        ));
    }
    let prefix = format!(
        "https://spdx.org/spdxdocs/{}-",
        product
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            })
            .collect::<String>()
    );
    let serial = std::cell::RefCell::new(format!("{prefix}{}", crate::graph::PLACEHOLDER_UUID));
    let doc = SpdxDocument {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: format!(
            "{}-{}",
            product.name,
            product.version.as_deref().unwrap_or("unversioned")
        ),
        namespace: crate::graph::Serial(&serial),
        creation_info: CreationInfo {
            created: &document.timestamp,
            creators,
        },
        describes: [PRODUCT_ID],
        packages,
        relationships,
        comment: (!graph.complete).then_some(
            "Incomplete: some lockfile entries could not be read or are not pinned; see crabox sbom's diagnostics.",
        ),
    };
    crate::graph::seal_into(&doc, &serial, "documentNamespace", &prefix, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_organization_names_its_email_contact() {
        // SPDX 2.3 §6.8: `Organization: ExampleCodeInspect (contact@example.com)`.
        assert_eq!(
            organization("ACME GmbH", Some("mailto:psirt@acme.example")),
            "Organization: ACME GmbH (psirt@acme.example)"
        );
        assert_eq!(
            organization("ACME GmbH", Some("psirt@acme.example")),
            "Organization: ACME GmbH (psirt@acme.example)"
        );
        assert_eq!(
            organization("ACME GmbH", Some("https://acme.example/security")),
            "Organization: ACME GmbH"
        );
        assert_eq!(organization("ACME GmbH", None), "Organization: ACME GmbH");
    }
}
