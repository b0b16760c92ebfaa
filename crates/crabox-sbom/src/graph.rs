//! The packages of every lockfile merged into one component graph keyed by purl, the shape both
//! SBOM formats are written from. Ordered maps make the output deterministic.

use std::collections::{BTreeMap, BTreeSet};

use crate::Inventory;
use crate::model::{Hash, Package, Scope};

/// One component: a package, merged across lockfiles that pin the same purl. Everything is
/// borrowed from the inventory and the purls computed once ([`purls`]): the graph of a 50 MB
/// lockfile adds pointers, not copies.
#[derive(Debug, Clone)]
pub struct Component<'a> {
    pub purl: &'a str,
    pub package: &'a Package,
    pub scope: Scope,
    pub hashes: BTreeSet<&'a Hash>,
    pub licenses: BTreeSet<&'a str>,
    pub depends_on: BTreeSet<&'a str>,
    /// Lockfile and line of every entry that pins it.
    pub locations: BTreeSet<(&'a str, u32)>,
}

/// Everything the SBOM lists.
#[derive(Debug, Clone, Default)]
pub struct Graph<'a> {
    pub components: BTreeMap<&'a str, Component<'a>>,
    /// Components the product depends on directly.
    pub direct: BTreeSet<&'a str>,
    /// Components whose own dependencies are not recorded by their lockfile.
    pub edges_unknown: BTreeSet<&'a str>,
    /// False when a lockfile left packages out or could not be read.
    pub complete: bool,
}

impl Graph<'_> {
    /// The product's own licences: those of its package named as the product (a workspace's
    /// top crate), else the one licence all its packages (workspace members, the project) share.
    /// Empty when nothing says.
    pub fn product_licenses(&self, product_name: &str) -> BTreeSet<&str> {
        let roots: Vec<&Component> = self
            .components
            .values()
            .filter(|c| c.package.is_root)
            .collect();
        if let Some(own) = roots.iter().find(|c| c.package.name == product_name) {
            return own.licenses.clone();
        }
        let mut sets = roots.iter().map(|c| &c.licenses);
        match sets.next() {
            Some(first) if !first.is_empty() && sets.all(|s| s == first) => first.clone(),
            _ => BTreeSet::new(),
        }
    }
}

/// The purl of every package, lockfile by lockfile (what [`merge`] borrows).
pub fn purls(inventory: &Inventory) -> Vec<Vec<String>> {
    inventory
        .lockfiles
        .iter()
        .map(|l| l.packages.iter().map(Package::purl).collect())
        .collect()
}

/// Merges the inventory; `exclude_dev` leaves development-only packages out. `purls` is
/// [`purls`] of the same inventory.
pub fn merge<'a>(
    inventory: &'a Inventory,
    purls: &'a [Vec<String>],
    exclude_dev: bool,
) -> Graph<'a> {
    let mut graph = Graph {
        complete: inventory.complete(),
        ..Graph::default()
    };
    for (lockfile, purls) in inventory.lockfiles.iter().zip(purls) {
        let kept = |i: usize| !(exclude_dev && lockfile.packages[i].scope == Scope::Dev);
        for (i, package) in lockfile.packages.iter().enumerate() {
            if !kept(i) {
                continue;
            }
            let purl = purls[i].as_str();
            let component = graph.components.entry(purl).or_insert_with(|| Component {
                purl,
                package,
                scope: package.scope,
                hashes: BTreeSet::new(),
                licenses: BTreeSet::new(),
                depends_on: BTreeSet::new(),
                locations: BTreeSet::new(),
            });
            // Required in any lockfile means it ships.
            component.scope = component.scope.min(package.scope);
            component.hashes.extend(package.hashes.iter());
            component
                .licenses
                .extend(package.licenses.iter().map(String::as_str));
            component.depends_on.extend(
                package
                    .dependencies
                    .iter()
                    .filter(|&&d| kept(d))
                    .map(|&d| purls[d].as_str()),
            );
            component.depends_on.remove(purl);
            component
                .locations
                .insert((lockfile.path.as_str(), package.line));
            if !lockfile.graph_complete {
                graph.edges_unknown.insert(purl);
            }
        }
        graph.direct.extend(
            lockfile
                .direct
                .iter()
                .filter(|&&d| kept(d))
                .map(|&d| purls[d].as_str()),
        );
    }
    graph
}

/// Whether text is an SPDX licence expression over the SPDX licence list (or `LicenseRef-`).
pub fn is_spdx_expression(text: &str) -> bool {
    spdx::Expression::parse(text).is_ok()
}

/// The UUID that stands in for the content-derived one while the content is hashed.
pub const PLACEHOLDER_UUID: &str = "00000000-0000-5000-8000-000000000000";
/// [`PLACEHOLDER_UUID`] as a URN.
pub const PLACEHOLDER_URN: &str = "urn:uuid:00000000-0000-5000-8000-000000000000";

/// Pretty JSON of a document whose `key` holds `prefix` + [`PLACEHOLDER_UUID`], with the
/// placeholder replaced by a UUID derived from the rest of the text: the same content always
/// gets the same identifier, in one serialization.
pub fn seal(document: &impl serde::Serialize, key: &str, prefix: &str) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("JSON serializes");
    text.push('\n');
    let needle = format!("\"{key}\": \"{prefix}{PLACEHOLDER_UUID}\"");
    let at = text
        .find(&needle)
        .expect("the placeholder is in the document")
        + needle.len()
        - PLACEHOLDER_UUID.len()
        - 1;
    let uuid = content_uuid(text.as_bytes());
    text.replace_range(at..at + PLACEHOLDER_UUID.len(), &uuid);
    text
}

/// Where a sealed document goes: returned as text, or written to a stream.
pub enum Target<'w> {
    Text,
    Stream(&'w mut dyn std::io::Write),
}

/// A document's content-derived identifier, serialized from a cell so that the same document
/// can be written twice: with the placeholder (to hash), then with the identifier.
pub struct Serial<'a>(pub &'a std::cell::RefCell<String>);

impl serde::Serialize for Serial<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.borrow())
    }
}

/// Counts what is written through it into a SHA-256.
struct Hashing(sha2::Sha256);

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Seals `document`, whose `key` is serialized from `serial` (holding `prefix` +
/// [`PLACEHOLDER_UUID`]), into `target`. As text: [`seal`]. To a stream: the document is
/// serialized once into a hash (the same bytes [`seal`] hashes), `serial` is set to the
/// identifier, and the document is serialized again into the stream, so that the text is never
/// held whole (a 50 MB lockfile's SPDX is 220 MB).
pub fn seal_into(
    document: &impl serde::Serialize,
    serial: &std::cell::RefCell<String>,
    key: &str,
    prefix: &str,
    target: Target,
) -> std::io::Result<Option<String>> {
    match target {
        Target::Text => Ok(Some(seal(document, key, prefix))),
        Target::Stream(out) => {
            let mut hashing = Hashing(sha2::Sha256::default());
            serde_json::to_writer_pretty(&mut hashing, document)?;
            std::io::Write::write_all(&mut hashing, b"\n")?;
            let digest = crabox_types::encoding::hex(&sha2::Digest::finalize(hashing.0));
            *serial.borrow_mut() = format!("{prefix}{}", uuid_of_digest(&digest));
            serde_json::to_writer_pretty(&mut *out, document)?;
            out.write_all(b"\n")?;
            Ok(None)
        }
    }
}

/// A UUID (version 5 layout) from a SHA-256 of content: stable for the same content.
pub fn content_uuid(content: &[u8]) -> String {
    uuid_of_digest(&crate::artifact::sha256_hex(content))
}

/// The UUID of [`content_uuid`] from the content's SHA-256 in hex.
fn uuid_of_digest(digest: &str) -> String {
    let mut hex: Vec<char> = digest[..32].chars().collect();
    hex[12] = '5';
    let variant = u8::from_str_radix(&hex[16].to_string(), 16).expect("hex digit");
    hex[16] = char::from_digit(u32::from(8 | (variant & 0x3)), 16).expect("a hex digit");
    let hex: String = hex.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_layout() {
        let uuid = content_uuid(b"x");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "5");
        assert!("89ab".contains(&uuid[19..20]), "{uuid}");
        assert_eq!(uuid, content_uuid(b"x"));
        assert_ne!(uuid, content_uuid(b"y"));
    }
}
