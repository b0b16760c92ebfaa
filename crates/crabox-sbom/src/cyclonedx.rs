//! CycloneDX 1.6 JSON, with the BSI TR-03183-2 properties and compositions. No vulnerability
//! data: that goes to the audit's files.

use serde_json::{Value, json};

use crate::graph::{Component, Graph};
use crate::model::Scope;
use crate::{Document, Product};

/// The bom-ref of the product component.
pub fn product_ref(product: &Product) -> String {
    format!(
        "product:{}@{}",
        product.name,
        product.version.as_deref().unwrap_or("unversioned")
    )
}

fn licenses(component: &Component) -> Option<Value> {
    if component.licenses.is_empty() {
        return None;
    }
    if component
        .licenses
        .iter()
        .all(|l| crate::graph::is_spdx_expression(l))
    {
        let expression = if component.licenses.len() == 1 {
            component.licenses.first().expect("one licence").clone()
        } else {
            let joined: Vec<String> = component
                .licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect();
            joined.join(" AND ")
        };
        return Some(json!([{ "expression": expression }]));
    }
    // Stated, but not SPDX: kept as named licences, never dressed up as an expression.
    Some(Value::Array(
        component
            .licenses
            .iter()
            .map(|l| json!({ "license": { "name": l } }))
            .collect(),
    ))
}

fn component_json(component: &Component) -> Value {
    let package = &component.package;
    let (group, name) = match package.ecosystem {
        crate::model::Ecosystem::Npm => match package.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => {
                (Some(scope.to_owned()), name.to_owned())
            }
            _ => (None, package.name.clone()),
        },
        _ => (None, package.name.clone()),
    };
    let mut value = json!({
        "type": if package.is_root { "application" } else { "library" },
        "bom-ref": component.purl,
    });
    let object = value.as_object_mut().expect("an object");
    if let Some(group) = group {
        object.insert("group".into(), json!(group));
    }
    object.insert("name".into(), json!(name));
    if !package.version.is_empty() {
        object.insert("version".into(), json!(package.version));
    }
    object.insert(
        "scope".into(),
        json!(match component.scope {
            Scope::Required => "required",
            Scope::Optional => "optional",
            Scope::Dev => "excluded",
        }),
    );
    if !component.hashes.is_empty() {
        let hashes: Vec<Value> = component
            .hashes
            .iter()
            .map(|h| json!({ "alg": h.alg.cyclonedx(), "content": h.hex }))
            .collect();
        object.insert("hashes".into(), Value::Array(hashes));
    }
    if let Some(licenses) = licenses(component) {
        object.insert("licenses".into(), licenses);
    }
    object.insert("purl".into(), json!(component.purl));
    let mut properties: Vec<Value> = component
        .locations
        .iter()
        .map(|l| json!({ "name": "crabox:lockfile", "value": l }))
        .collect();
    if component.scope == Scope::Dev {
        properties.push(json!({ "name": "crabox:scope", "value": "development" }));
    }
    object.insert("properties".into(), Value::Array(properties));
    value
}

fn artifact_json(artifact: &crate::Artifact) -> Value {
    json!({
        "type": if artifact.executable { "application" } else { "file" },
        "bom-ref": format!("artifact:{}", artifact.file_name),
        "name": artifact.file_name,
        "hashes": [
            { "alg": "SHA-256", "content": artifact.sha256 },
            { "alg": "SHA-512", "content": artifact.sha512 },
        ],
        "properties": bsi_properties(artifact),
    })
}

fn bsi_properties(artifact: &crate::Artifact) -> Value {
    json!([
        { "name": "bsi:component:filename", "value": artifact.file_name },
        { "name": "bsi:component:executable", "value": if artifact.executable { "executable" } else { "non-executable" } },
        { "name": "bsi:component:archive", "value": if artifact.archive { "archive" } else { "no archive" } },
        { "name": "bsi:component:structured", "value": if artifact.structured() { "structured" } else { "unstructured" } },
    ])
}

fn product_json(product: &Product) -> Value {
    let mut value = json!({
        "type": "application",
        "bom-ref": product_ref(product),
        "name": product.name,
        "version": product.version.as_deref().unwrap_or("unversioned"),
    });
    let object = value.as_object_mut().expect("an object");
    if let Some(manufacturer) = &product.manufacturer {
        object.insert(
            "supplier".into(),
            organization(manufacturer, product.manufacturer_contact.as_deref()),
        );
    }
    if let [artifact] = product.artifacts.as_slice() {
        // One deployable file: its hashes and BSI properties are the product's.
        object.insert("hashes".into(), artifact_json(artifact)["hashes"].clone());
    }
    let mut references = Vec::new();
    if let Some(url) = &product.repository_url {
        references.push(json!({ "type": "vcs", "url": url }));
    }
    if let Some(contact) = &product.security_contact {
        references.push(json!({ "type": "security-contact", "url": contact }));
    }
    if !references.is_empty() {
        object.insert("externalReferences".into(), Value::Array(references));
    }
    let mut properties = match product.artifacts.as_slice() {
        [artifact] => bsi_properties(artifact)
            .as_array()
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if let Some(commit) = &product.commit {
        properties.push(json!({ "name": "crabox:git:commit", "value": commit }));
    }
    object.insert("properties".into(), Value::Array(properties));
    if product.artifacts.len() > 1 {
        object.insert(
            "components".into(),
            Value::Array(product.artifacts.iter().map(artifact_json).collect()),
        );
    }
    value
}

fn organization(name: &str, contact: Option<&str>) -> Value {
    let mut value = json!({ "name": name });
    if let Some(contact) = contact {
        if contact.starts_with("http://") || contact.starts_with("https://") {
            value["url"] = json!([contact]);
        } else if let Some(email) = contact
            .strip_prefix("mailto:")
            .or(contact.contains('@').then_some(contact))
        {
            value["contact"] = json!([{ "email": email }]);
        }
    }
    value
}

/// The CycloneDX 1.6 JSON document, pretty-printed with a trailing newline.
pub fn render(product: &Product, graph: &Graph, document: &Document) -> String {
    let product_ref = product_ref(product);
    let mut metadata = json!({
        "timestamp": document.timestamp,
        "lifecycles": [{ "phase": "build" }],
        "tools": { "components": [{
            "type": "application",
            "name": "crabox",
            "version": document.tool_version,
            "externalReferences": [{ "type": "vcs", "url": env!("CARGO_PKG_REPOSITORY") }],
        }] },
        "component": product_json(product),
    });
    if let Some(manufacturer) = &product.manufacturer {
        metadata["manufacturer"] =
            organization(manufacturer, product.manufacturer_contact.as_deref());
    }
    let components: Vec<Value> = graph.components.values().map(component_json).collect();
    let mut dependencies = vec![json!({
        "ref": product_ref,
        "dependsOn": graph.direct.iter().collect::<Vec<_>>(),
    })];
    for component in graph.components.values() {
        if graph.edges_unknown.contains(&component.purl) && component.depends_on.is_empty() {
            continue; // Unknown, not "none": said in the compositions.
        }
        dependencies.push(json!({ "ref": component.purl, "dependsOn": component.depends_on }));
    }
    let known: Vec<&String> = graph
        .components
        .keys()
        .filter(|p| !graph.edges_unknown.contains(*p))
        .collect();
    let mut compositions = vec![json!({
        "aggregate": if graph.complete { "complete" } else { "incomplete" },
        "assemblies": [product_ref],
    })];
    if !known.is_empty() {
        compositions.push(json!({ "aggregate": "complete", "dependencies": known }));
    }
    if !graph.edges_unknown.is_empty() {
        compositions.push(json!({ "aggregate": "unknown", "dependencies": graph.edges_unknown }));
    }
    let bom = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": crate::graph::PLACEHOLDER_URN,
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
        "compositions": compositions,
    });
    crate::graph::seal(&bom, "serialNumber", "urn:uuid:")
}
