//! CycloneDX 1.6 JSON, with the BSI TR-03183-2 properties and compositions. No vulnerability
//! data: that goes to the audit's files.

use serde::Serialize;
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

/// A component's licences: one SPDX expression when every stated licence is one, else each as a
/// named licence (stated, but not SPDX: never dressed up as an expression).
#[derive(Serialize)]
#[serde(untagged)]
enum Licenses<'a> {
    Expression([ExpressionJson; 1]),
    Named(Vec<NamedJson<'a>>),
}

#[derive(Serialize)]
struct ExpressionJson {
    expression: String,
}

#[derive(Serialize)]
struct NamedJson<'a> {
    license: NameJson<'a>,
}

#[derive(Serialize)]
struct NameJson<'a> {
    name: &'a str,
}

fn licenses<'a>(component: &Component<'a>) -> Option<Licenses<'a>> {
    if component.licenses.is_empty() {
        return None;
    }
    if component
        .licenses
        .iter()
        .all(|l| crate::graph::is_spdx_expression(l))
    {
        let expression = if component.licenses.len() == 1 {
            (*component.licenses.first().expect("one licence")).to_owned()
        } else {
            let joined: Vec<String> = component
                .licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect();
            joined.join(" AND ")
        };
        return Some(Licenses::Expression([ExpressionJson { expression }]));
    }
    Some(Licenses::Named(
        component
            .licenses
            .iter()
            .map(|l| NamedJson {
                license: NameJson { name: l },
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct HashJson<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct PropertyJson<'a> {
    name: &'static str,
    value: std::borrow::Cow<'a, str>,
}

/// One component as CycloneDX writes it, borrowed from the graph and written as it is made (a
/// `serde_json::Value` per component took the memory of a 50 MB lockfile 40 times over).
#[derive(Serialize)]
struct ComponentJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    scope: &'static str,
    /// Who made it (BSI TR-03183-2's component creator), where its own metadata says.
    #[serde(skip_serializing_if = "Option::is_none")]
    manufacturer: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<HashJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    licenses: Option<Licenses<'a>>,
    purl: &'a str,
    properties: Vec<PropertyJson<'a>>,
}

fn component_json<'a>(component: &Component<'a>) -> ComponentJson<'a> {
    let package = &component.package;
    let (group, name) = match package.ecosystem {
        crate::model::Ecosystem::Npm => match package.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => (Some(scope), name),
            _ => (None, package.name.as_str()),
        },
        // `groupId:artifactId`: CycloneDX's group and name, as Maven tools write them.
        crate::model::Ecosystem::Maven => match package.name.split_once(':') {
            Some((group, artifact)) => (Some(group), artifact),
            None => (None, package.name.as_str()),
        },
        _ => (None, package.name.as_str()),
    };
    let mut properties: Vec<PropertyJson> = component
        .locations
        .iter()
        .map(|(file, line)| PropertyJson {
            name: "crabox:lockfile",
            value: format!("{file}:{line}").into(),
        })
        .collect();
    if component.scope == Scope::Dev {
        properties.push(PropertyJson {
            name: "crabox:scope",
            value: "development".into(),
        });
    }
    let origin = package.origin.as_deref();
    if let Some(file_name) = origin.and_then(|o| o.file_name.as_deref()) {
        // The file the package is distributed as; its hashes are the component's.
        properties.push(PropertyJson {
            name: "bsi:component:filename",
            value: file_name.into(),
        });
    }
    ComponentJson {
        kind: if package.is_root {
            "application"
        } else {
            "library"
        },
        bom_ref: component.purl,
        group,
        name,
        version: &package.version,
        scope: match component.scope {
            Scope::Required => "required",
            Scope::Optional => "optional",
            Scope::Dev => "excluded",
        },
        manufacturer: origin
            .and_then(|o| o.creator.as_deref())
            .map(creator_entity),
        hashes: component
            .hashes
            .iter()
            .map(|h| HashJson {
                alg: h.alg.cyclonedx(),
                content: &h.hex,
            })
            .collect(),
        licenses: licenses(component),
        purl: component.purl,
        properties,
    }
}

/// A sequence written from an iterator as it is serialized, never held whole.
pub(crate) struct Lazy<F>(pub F);

impl<F, I> Serialize for Lazy<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

#[derive(Serialize)]
struct DependencyJson<'a, D: Serialize> {
    #[serde(rename = "ref")]
    reference: &'a str,
    #[serde(rename = "dependsOn")]
    depends_on: D,
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

/// A component's creator (an e-mail address or its project's URL) as an organizational entity
/// without a name: the metadata gives only the address.
fn creator_entity(creator: &str) -> Value {
    if creator.starts_with("http://") || creator.starts_with("https://") {
        json!({ "url": [creator] })
    } else {
        json!({ "contact": [{ "email": creator }] })
    }
}

/// The product's dependency entry or a component's.
#[derive(Serialize)]
#[serde(untagged)]
enum Either<'a, P: Serialize, C: Serialize> {
    Product(DependencyJson<'a, P>),
    Component(DependencyJson<'a, C>),
}

#[derive(Serialize)]
struct Bom<'a, C, D> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: crate::graph::Serial<'a>,
    version: u32,
    metadata: Value,
    components: C,
    dependencies: D,
    compositions: Vec<Composition<'a>>,
}

#[derive(Serialize)]
struct Composition<'a> {
    aggregate: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    assemblies: Option<[&'a str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dependencies: Option<Vec<&'a str>>,
}

/// The CycloneDX 1.6 JSON document, pretty-printed with a trailing newline, into `target`:
/// returned as text, or written to a stream without holding it.
pub fn render_into(
    product: &Product,
    graph: &Graph,
    document: &Document,
    target: crate::graph::Target,
) -> std::io::Result<Option<String>> {
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
    let components = Lazy(|| graph.components.values().map(component_json));
    let dependencies = Lazy(|| {
        let product = DependencyJson {
            reference: product_ref.as_str(),
            depends_on: Lazy(|| graph.direct.iter()),
        };
        std::iter::once(Either::Product(product)).chain(
            graph
                .components
                .values()
                // Unknown, not "none": said in the compositions.
                .filter(|c| !(graph.edges_unknown.contains(&c.purl) && c.depends_on.is_empty()))
                .map(|c| {
                    Either::Component(DependencyJson {
                        reference: c.purl,
                        depends_on: &c.depends_on,
                    })
                }),
        )
    });
    let known: Vec<&str> = graph
        .components
        .keys()
        .filter(|p| !graph.edges_unknown.contains(*p))
        .copied()
        .collect();
    let mut compositions = vec![Composition {
        aggregate: if graph.complete {
            "complete"
        } else {
            "incomplete"
        },
        assemblies: Some([product_ref.as_str()]),
        dependencies: None,
    }];
    if !known.is_empty() {
        compositions.push(Composition {
            aggregate: "complete",
            assemblies: None,
            dependencies: Some(known),
        });
    }
    if !graph.edges_unknown.is_empty() {
        compositions.push(Composition {
            aggregate: "unknown",
            assemblies: None,
            dependencies: Some(graph.edges_unknown.iter().copied().collect()),
        });
    }
    let serial = std::cell::RefCell::new(crate::graph::PLACEHOLDER_URN.to_owned());
    let bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        format: "CycloneDX",
        spec_version: "1.6",
        serial_number: crate::graph::Serial(&serial),
        version: 1,
        metadata,
        components,
        dependencies,
        compositions,
    };
    crate::graph::seal_into(&bom, &serial, "serialNumber", "urn:uuid:", target)
}
