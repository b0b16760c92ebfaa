//! SPDX 3.0.1 JSON-LD (`--sbom-format spdx3-json`): the `Core`, `Software` and
//! `SimpleLicensing` profiles. One `CreationInfo` (the manufacturer as an `Organization` with its
//! e-mail or URL contact as an external identifier, and crabox as the `Tool`), an `SpdxDocument`
//! whose root is a `software_Sbom` whose root is the product's `software_Package`; each
//! component a `software_Package` with its purl, version and hashes; `dependsOn` relationships
//! that say whether the list is `complete` (SPDX 3 is the format that can say so, which BSI
//! TR-03183-2 v2.1 asks for); concluded licences as `hasConcludedLicense` to
//! `simplelicensing_LicenseExpression`s; each artifact a `software_File` with SHA-256 and SHA-512
//! and its BSI properties as purposes, linked by `hasDistributionArtifact`.
//!
//! Element identifiers are IRIs under a namespace derived from the document's content, so the
//! same inputs give the same bytes.

use serde_json::{Value, json};

use crate::graph::Graph;
use crate::model::Scope;
use crate::{Document, Product};

const PLACEHOLDER: &str = "urn:crabox:namespace-placeholder";
const CREATION: &str = "_:creationinfo";
/// SPDX 3's individual for "no assertion is made" (`Core/NoAssertionElement`).
const NO_ASSERTION: &str = "https://spdx.org/rdf/3.0.1/terms/Core/NoAssertionElement";

fn local(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `mailto:x@y`/`x@y` → an e-mail identifier; an `http(s)` URL → a URL one.
fn contact_identifier(contact: &str) -> Option<Value> {
    let bare = contact.strip_prefix("mailto:").unwrap_or(contact).trim();
    if bare.contains('@') && !bare.contains(['/', ' ']) {
        return Some(json!({
            "type": "ExternalIdentifier",
            "externalIdentifierType": "email",
            "identifier": bare,
        }));
    }
    (contact.starts_with("https://") || contact.starts_with("http://")).then(|| {
        json!({
            "type": "ExternalIdentifier",
            "externalIdentifierType": "urlScheme",
            "identifier": contact,
        })
    })
}

fn hashes<'a>(list: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Value> {
    list.into_iter()
        .map(|(algorithm, value)| json!({"type": "Hash", "algorithm": algorithm, "hashValue": value}))
        .collect()
}

/// Hashes with SPDX 3's algorithm names (SPDX 2's, in lower case).
fn spdx_hashes<'a>(list: impl IntoIterator<Item = &'a crate::model::Hash>) -> Vec<Value> {
    list.into_iter()
        .map(|h| json!({"type": "Hash", "algorithm": h.alg.spdx().to_ascii_lowercase(), "hashValue": h.hex}))
        .collect()
}

/// The elements being written.
struct Elements {
    list: Vec<Value>,
    relationships: usize,
    /// Licence expression → its element's id, written once at the end.
    licences: std::collections::BTreeMap<String, String>,
    /// A component creator's e-mail or URL → its agent's id (each written once).
    creators: std::collections::BTreeMap<String, String>,
    /// The product's artifact files: the deployable form of its own shipped packages.
    product_files: Vec<String>,
}

fn id(what: &str) -> String {
    format!("{PLACEHOLDER}#{}", local(what))
}

impl Elements {
    fn relate(&mut self, from: &str, kind: &str, to: &[String], completeness: Option<&str>) {
        self.relationships += 1;
        let mut value = json!({
            "type": "Relationship",
            "spdxId": format!("{PLACEHOLDER}#Relationship-{}", self.relationships),
            "creationInfo": CREATION,
            "from": from,
            "relationshipType": kind,
            "to": to,
        });
        if let Some(completeness) = completeness {
            value["completeness"] = json!(completeness);
        }
        self.list.push(value);
    }

    /// The tool and who created the document (an Agent); returns (tool, creators).
    fn agents(&mut self, product: &Product, document: &Document) -> (String, Vec<String>) {
        let tool = id("Tool-crabox");
        self.list.push(json!({
            "type": "Tool",
            "spdxId": tool,
            "creationInfo": CREATION,
            "name": format!("crabox-{}", document.tool_version),
        }));
        if let Some(manufacturer) = &product.manufacturer {
            let organization = id(&format!("Organization-{manufacturer}"));
            let mut value = json!({
                "type": "Organization",
                "spdxId": organization,
                "creationInfo": CREATION,
                "name": manufacturer,
            });
            if let Some(identifier) = product
                .manufacturer_contact
                .as_deref()
                .and_then(contact_identifier)
            {
                value["externalIdentifier"] = json!([identifier]);
            }
            self.list.push(value);
            return (tool, vec![organization]);
        }
        // `createdBy` needs an Agent: without `[product] manufacturer`, the software that made
        // the document (which says nothing about who answers for it).
        let agent = id("SoftwareAgent-crabox");
        self.list.push(json!({
            "type": "SoftwareAgent",
            "spdxId": agent,
            "creationInfo": CREATION,
            "name": format!("crabox-{}", document.tool_version),
        }));
        (tool, vec![agent])
    }

    /// A `hasConcludedLicense` from `from` to each licence expression.
    fn conclude<'a>(&mut self, from: &str, licences: impl IntoIterator<Item = &'a str>) {
        for licence in licences {
            let licence_id = self
                .licences
                .entry(licence.to_owned())
                .or_insert_with(|| id(&format!("LicenseExpression-{licence}")))
                .clone();
            self.relate(from, "hasConcludedLicense", &[licence_id], None);
        }
    }

    /// The agent of a component's creator (an e-mail address: a `Person`; a project's URL: an
    /// `Organization`, the project), written once; its id.
    fn creator(&mut self, creator: &str) -> Option<String> {
        if let Some(existing) = self.creators.get(creator) {
            return Some(existing.clone());
        }
        let identifier = contact_identifier(creator)?;
        let is_email = identifier["externalIdentifierType"] == "email";
        let agent = id(&format!("Agent-{creator}"));
        self.list.push(json!({
            "type": if is_email { "Person" } else { "Organization" },
            "spdxId": agent,
            "creationInfo": CREATION,
            "name": creator,
            "externalIdentifier": [identifier],
        }));
        self.creators.insert(creator.to_owned(), agent.clone());
        Some(agent)
    }

    /// The product's package and its artifacts' files; returns the package's id.
    fn product(&mut self, product: &Product, created_by: &[String]) -> String {
        let product_id = id("Package-product");
        let mut value = json!({
            "type": "software_Package",
            "spdxId": product_id,
            "creationInfo": CREATION,
            "name": product.name,
            "software_packageVersion": product.version.as_deref().unwrap_or("unversioned"),
            "software_primaryPurpose": "application",
        });
        if let Some(url) = &product.repository_url {
            value["software_downloadLocation"] = json!(format!("git+{url}"));
        }
        if product.manufacturer.is_some() {
            value["originatedBy"] = json!(created_by);
            value["suppliedBy"] = json!(created_by[0]);
        }
        self.list.push(value);
        let mut files = Vec::new();
        for (i, artifact) in product.artifacts.iter().enumerate() {
            let file = id(&format!("File-{}-{}", i + 1, artifact.file_name));
            let mut purposes = Vec::new();
            if artifact.executable {
                purposes.push("executable");
            }
            if artifact.archive {
                purposes.push("archive");
            }
            // BSI: structured (an executable or archive, with metadata inside) is `container`;
            // anything else is `firmware` (unstructured).
            purposes.push(if artifact.structured() {
                "container"
            } else {
                "firmware"
            });
            self.list.push(json!({
                "type": "software_File",
                "spdxId": file,
                "creationInfo": CREATION,
                "name": artifact.file_name,
                "software_primaryPurpose": "application",
                "software_additionalPurpose": purposes,
                "verifiedUsing": hashes([("sha256", artifact.sha256.as_str()), ("sha512", artifact.sha512.as_str())]),
            }));
            files.push(file);
        }
        if !files.is_empty() {
            self.relate(&product_id, "hasDistributionArtifact", &files, None);
        }
        self.product_files = files;
        product_id
    }

    /// A component's distribution file (a `.crate`, a `.nupkg`): its name and hashes, an
    /// archive with metadata inside (BSI: `archive`, structured as `container`).
    fn distribution_file(&mut self, spdx_id: &str, file_name: &str, hashes: &[Value]) {
        let file = format!("{spdx_id}-File");
        self.list.push(json!({
            "type": "software_File",
            "spdxId": file,
            "creationInfo": CREATION,
            "name": file_name,
            "software_primaryPurpose": "library",
            "software_additionalPurpose": ["archive", "container"],
            "verifiedUsing": hashes,
        }));
        self.relate(spdx_id, "hasDistributionArtifact", &[file], None);
    }

    /// Each component's package, its creator, its distribution file and its concluded licences.
    fn components(&mut self, graph: &Graph) {
        for component in graph.components.values() {
            let package = component.package;
            let spdx_id = component_id(component.purl);
            let mut value = json!({
                "type": "software_Package",
                "spdxId": spdx_id,
                "creationInfo": CREATION,
                "name": package.name,
                "software_packageVersion": package.version,
                "software_packageUrl": component.purl,
                "software_primaryPurpose": "library",
                "externalIdentifier": [{
                    "type": "ExternalIdentifier",
                    "externalIdentifierType": "packageUrl",
                    "identifier": component.purl,
                }],
            });
            if !component.hashes.is_empty() {
                value["verifiedUsing"] = json!(spdx_hashes(component.hashes.iter().copied()));
            }
            let origin = package.origin.as_deref();
            if let Some(agent) = origin
                .and_then(|o| o.creator.as_deref())
                .and_then(|c| self.creator(c))
            {
                value["originatedBy"] = json!([agent]);
            }
            self.list.push(value);
            if let Some(file_name) = origin.and_then(|o| o.file_name.as_deref()) {
                // The package's own hashes are its distribution file's (`Origin::file_name`).
                self.distribution_file(&spdx_id, file_name, &spdx_hashes(&package.hashes));
            } else if package.is_root
                && component.scope == Scope::Required
                && !self.product_files.is_empty()
            {
                // The product's own shipped package (a workspace member built by default) is
                // deployed as the product's artifacts.
                let files = self.product_files.clone();
                self.relate(&spdx_id, "hasDistributionArtifact", &files, None);
            }
            self.conclude(&spdx_id, component.licenses.iter().copied());
        }
    }

    /// The licence expressions, each once.
    fn licence_elements(&mut self) {
        for (licence, licence_id) in std::mem::take(&mut self.licences) {
            self.list.push(json!({
                "type": "simplelicensing_LicenseExpression",
                "spdxId": licence_id,
                "creationInfo": CREATION,
                "simplelicensing_licenseExpression": licence,
            }));
        }
    }

    /// What contains and depends on what, each list saying whether it is complete.
    fn dependencies(&mut self, graph: &Graph, product_id: &str) {
        let completeness = |known: bool| {
            if known && graph.complete {
                "complete"
            } else {
                "incomplete"
            }
        };
        let direct: Vec<String> = graph.direct.iter().map(|p| component_id(p)).collect();
        if !direct.is_empty() {
            self.relate(product_id, "dependsOn", &direct, Some(completeness(true)));
        }
        // Every component is in the product, whether or not its lockfile says who depends on it.
        if !graph.components.is_empty() {
            let all: Vec<String> = graph.components.keys().map(|p| component_id(p)).collect();
            self.relate(product_id, "contains", &all, Some(completeness(true)));
        }
        for component in graph.components.values() {
            let from = component_id(component.purl);
            if graph.edges_unknown.contains(component.purl) {
                // The lockfile does not record this component's dependencies: said, not guessed.
                self.relate(
                    &from,
                    "dependsOn",
                    &[NO_ASSERTION.to_owned()],
                    Some("noAssertion"),
                );
            } else if !component.depends_on.is_empty() {
                let to: Vec<String> = component
                    .depends_on
                    .iter()
                    .map(|p| component_id(p))
                    .collect();
                self.relate(&from, "dependsOn", &to, Some(completeness(true)));
            }
        }
    }
}

fn component_id(purl: &str) -> String {
    id(&format!("Package-{purl}"))
}

/// The SPDX 3.0.1 JSON-LD document as text (pretty-printed, trailing newline).
pub fn render(product: &Product, graph: &Graph, document: &Document) -> String {
    let mut elements = Elements {
        list: Vec::new(),
        relationships: 0,
        licences: std::collections::BTreeMap::new(),
        creators: std::collections::BTreeMap::new(),
        product_files: Vec::new(),
    };
    let (tool, created_by) = elements.agents(product, document);
    let product_id = elements.product(product, &created_by);
    elements.conclude(&product_id, graph.product_licenses(&product.name));
    elements.components(graph);
    elements.licence_elements();
    elements.dependencies(graph, &product_id);

    let sbom = id("Sbom");
    let all: Vec<Value> = elements
        .list
        .iter()
        .filter_map(|e| e.get("spdxId").cloned())
        .collect();
    let mut graph_items = vec![
        json!({
            "type": "CreationInfo",
            "@id": CREATION,
            "specVersion": "3.0.1",
            "created": document.timestamp,
            "createdBy": created_by,
            "createdUsing": [tool],
        }),
        json!({
            "type": "SpdxDocument",
            "spdxId": id("Document"),
            "creationInfo": CREATION,
            "name": format!("SBOM of {}", product.name),
            "profileConformance": ["core", "software", "simpleLicensing"],
            "rootElement": [sbom],
            "element": all,
        }),
        json!({
            "type": "software_Sbom",
            "spdxId": sbom,
            "creationInfo": CREATION,
            "software_sbomType": ["build"],
            "rootElement": [product_id],
            "element": all,
        }),
    ];
    graph_items.extend(elements.list);
    let value = json!({
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": graph_items,
    });
    let text = serde_json::to_string_pretty(&value).expect("a JSON value serializes") + "\n";
    // The namespace from the content (placeholder included), so that it is stable.
    let namespace = format!(
        "https://spdx.org/spdxdocs/{}-{}",
        local(&product.name),
        crate::graph::content_uuid(text.as_bytes())
    );
    text.replace(PLACEHOLDER, &namespace)
}
