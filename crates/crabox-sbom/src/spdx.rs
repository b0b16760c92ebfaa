//! SPDX 2.3 JSON: the product and every component as packages, `DEPENDS_ON` edges, and
//! `DEV_DEPENDENCY_OF` for development-only packages.

use std::collections::BTreeMap;

use serde_json::{Value, json};

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

fn package_json(component: &Component, id: &str) -> Value {
    let package = &component.package;
    let mut value = json!({
        "SPDXID": id,
        "name": package.name,
        "versionInfo": package.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": spdx_expression(component).unwrap_or_else(|| "NOASSERTION".to_owned()),
        "copyrightText": "NOASSERTION",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": component.purl,
        }],
        "primaryPackagePurpose": if package.is_root { "APPLICATION" } else { "LIBRARY" },
    });
    if !component.hashes.is_empty() {
        value["checksums"] = Value::Array(
            component
                .hashes
                .iter()
                .map(|h| json!({ "algorithm": h.alg.spdx(), "checksumValue": h.hex }))
                .collect(),
        );
    }
    if !component.locations.is_empty() {
        let pinned: Vec<String> = component
            .locations
            .iter()
            .map(|(file, line)| format!("{file}:{line}"))
            .collect();
        value["comment"] = json!(format!("pinned by {}", pinned.join(", ")));
    }
    if spdx_expression(component).is_none() && !component.licenses.is_empty() {
        let stated: Vec<&str> = component.licenses.iter().copied().collect();
        value["licenseComments"] = json!(format!(
            "stated licence, not an SPDX expression: {}",
            stated.join("; ")
        ));
    }
    value
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
        value["supplier"] = json!(format!("Organization: {manufacturer}"));
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

/// The SPDX 2.3 JSON document, pretty-printed with a trailing newline.
pub fn render(product: &Product, graph: &Graph, document: &Document) -> String {
    let ids = ids(graph);
    let mut packages = vec![product_json(product)];
    // Several artifacts: each is a package the product contains.
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": PRODUCT_ID,
    })];
    if product.artifacts.len() > 1 {
        for (i, artifact) in product.artifacts.iter().enumerate() {
            let id = format!("SPDXRef-Artifact-{}", i + 1);
            packages.push(json!({
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
            relationships.push(json!({ "spdxElementId": PRODUCT_ID, "relationshipType": "CONTAINS", "relatedSpdxElement": id }));
        }
    }
    for component in graph.components.values() {
        packages.push(package_json(component, &ids[component.purl]));
    }
    let edge = |from: &str, to: &Component, to_id: &str| {
        if to.scope == Scope::Dev {
            json!({ "spdxElementId": to_id, "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": from })
        } else {
            json!({ "spdxElementId": from, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": to_id })
        }
    };
    for purl in &graph.direct {
        relationships.push(edge(PRODUCT_ID, &graph.components[purl], &ids[purl]));
    }
    for component in graph.components.values() {
        let from = &ids[component.purl];
        for target in &component.depends_on {
            relationships.push(edge(from, &graph.components[target], &ids[target]));
        }
    }
    let mut creators = vec![format!("Tool: crabox-{}", document.tool_version)];
    if let Some(manufacturer) = &product.manufacturer {
        creators.push(format!("Organization: {manufacturer}"));
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}-{}", product.name, product.version.as_deref().unwrap_or("unversioned")),
        "documentNamespace": "",
        "creationInfo": { "created": document.timestamp, "creators": creators },
        "documentDescribes": [PRODUCT_ID],
        "packages": packages,
        "relationships": relationships,
    });
    if !graph.complete {
        doc["comment"] = json!(
            "Incomplete: some lockfile entries could not be read or are not pinned; see crabox sbom's diagnostics."
        );
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
    doc["documentNamespace"] = json!(format!("{prefix}{}", crate::graph::PLACEHOLDER_UUID));
    crate::graph::seal(&doc, "documentNamespace", &prefix)
}
