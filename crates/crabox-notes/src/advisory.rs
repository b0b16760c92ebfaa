//! Machine-readable advisories for a release: CSAF 2.0 (`csaf_security_advisory` for the
//! vulnerabilities the release fixes, `csaf_vex` for the status of every vulnerability known in
//! it) and OpenVEX 0.2.0. Written to pass the CSAF schema and the mandatory tests of CSAF 2.0
//! §6.1 (checked with the BSI validator in CI).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::release::{Release, Vulnerability};

/// Who publishes the advisories.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    /// A URI naming the publisher (`[product] manufacturer-contact` or the repository).
    pub namespace: String,
}

/// What the documents need besides the release.
#[derive(Debug, Clone)]
pub struct Meta {
    pub publisher: Publisher,
    /// RFC 3339 UTC: the release's date (tag, commit or `SOURCE_DATE_EPOCH`).
    pub timestamp: String,
    pub tool_version: String,
    /// The release as a product identifier (a purl): OpenVEX `@id`.
    pub product_purl: String,
}

/// CSAF's file name rule (§5.1): the tracking id, lower-cased, runs of other characters than
/// `+`, `-`, `a-z`, `0-9` replaced by `_`, then `.json`.
pub fn file_name(tracking_id: &str) -> String {
    let mut out = String::new();
    let mut last_underscore = false;
    for c in tracking_id.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' {
            out.push(c);
            last_underscore = false;
        } else if !last_underscore {
            out.push('_');
            last_underscore = true;
        }
    }
    out.push_str(".json");
    out
}

/// Version → (product id, purl).
type Versions = BTreeMap<String, (String, Option<String>)>;

/// Product ids: stable, from what they name; vendor → product name → versions.
struct Products {
    branches: BTreeMap<String, BTreeMap<String, Versions>>,
}

impl Products {
    fn new() -> Products {
        Products {
            branches: BTreeMap::new(),
        }
    }

    /// The id of `name` `version` from `vendor` (defined once however often it is asked for).
    fn id(&mut self, vendor: &str, name: &str, version: &str, purl: Option<&str>) -> String {
        let id = format!("CSAFPID-{vendor}:{name}@{version}");
        self.branches
            .entry(vendor.to_owned())
            .or_default()
            .entry(name.to_owned())
            .or_default()
            .entry(version.to_owned())
            .or_insert_with(|| (id.clone(), purl.map(str::to_owned)));
        id
    }

    fn tree(&self) -> Value {
        let vendors: Vec<Value> = self
            .branches
            .iter()
            .map(|(vendor, names)| {
                let names: Vec<Value> = names
                    .iter()
                    .map(|(name, versions)| {
                        let versions: Vec<Value> = versions
                            .iter()
                            .map(|(version, (id, purl))| {
                                let mut product = json!({
                                    "name": format!("{name} {version}"),
                                    "product_id": id,
                                });
                                if let Some(purl) = purl {
                                    product["product_identification_helper"] =
                                        json!({ "purl": purl });
                                }
                                json!({
                                    "category": "product_version",
                                    "name": version,
                                    "product": product,
                                })
                            })
                            .collect();
                        json!({ "category": "product_name", "name": name, "branches": versions })
                    })
                    .collect();
                json!({ "category": "vendor", "name": vendor, "branches": names })
            })
            .collect();
        json!({ "branches": vendors })
    }
}

/// The purl of `package` at another version.
fn purl_at(purl: &str, version: &str) -> String {
    let base = purl.split(['@', '?', '#']).next().unwrap_or(purl);
    let rest = purl.find(['?', '#']).map_or("", |i| &purl[i..]);
    format!("{base}@{version}{rest}")
}

fn severity_name(score: f64) -> &'static str {
    if score == 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// The CSAF `cvss_v3` object of a CVSS 3.x vector (CSAF 2.0 has no CVSS 4 field).
fn cvss_v3(v: &Vulnerability) -> Option<Value> {
    let vector = v.cvss.as_deref()?;
    let version = match vector.get(..9) {
        Some("CVSS:3.1/") => "3.1",
        Some("CVSS:3.0/") => "3.0",
        _ => return None,
    };
    let score = v.score?;
    Some(json!({
        "version": version,
        "vectorString": vector,
        "baseScore": score,
        "baseSeverity": severity_name(score),
    }))
}

/// `ids` of a vulnerability: every id and alias but the CVE, by system.
fn ids(id: &str, aliases: &[String]) -> Vec<Value> {
    std::iter::once(id)
        .chain(aliases.iter().map(String::as_str))
        .filter(|i| !i.starts_with("CVE-"))
        .map(|i| {
            let system = i.split('-').next().unwrap_or(i);
            json!({ "system_name": system, "text": i })
        })
        .collect()
}

fn document(
    category: &str,
    title: &str,
    tracking_id: &str,
    summary: &str,
    release: &Release,
    meta: &Meta,
    references: &[Value],
) -> Value {
    json!({
        "category": category,
        "csaf_version": "2.0",
        "distribution": { "tlp": { "label": "WHITE", "url": "https://www.first.org/tlp/" } },
        "lang": "en",
        "notes": [{ "category": "summary", "title": "Summary", "text": summary }],
        "publisher": {
            "category": "vendor",
            "name": meta.publisher.name,
            "namespace": meta.publisher.namespace,
        },
        "references": references,
        "title": title,
        "tracking": {
            "current_release_date": meta.timestamp,
            "generator": {
                "date": meta.timestamp,
                "engine": { "name": "crabox", "version": meta.tool_version },
            },
            "id": tracking_id,
            "initial_release_date": meta.timestamp,
            "revision_history": [{
                "date": meta.timestamp,
                "number": "1",
                "summary": format!("Published with {} {}.", release.product, release.version),
            }],
            "status": "final",
            "version": "1",
        },
    })
}

/// References every document carries: the release (or repository) and each advisory's page.
fn references(release: &Release, meta: &Meta, vulnerabilities: &[&Vulnerability]) -> Vec<Value> {
    let mut out = Vec::new();
    let release_url = match (&release.github, &release.tag) {
        (Some(slug), Some(tag)) => Some(format!("https://github.com/{slug}/releases/tag/{tag}")),
        _ => release
            .repository
            .clone()
            .filter(|u| u.starts_with("https://")),
    };
    out.push(json!({
        "category": "external",
        "summary": format!("{} {}", release.product, release.version),
        "url": release_url.unwrap_or_else(|| meta.publisher.namespace.clone()),
    }));
    let mut urls: Vec<&str> = vulnerabilities
        .iter()
        .filter_map(|v| v.url.as_deref())
        .collect();
    urls.sort_unstable();
    urls.dedup();
    out.extend(
        urls.into_iter()
            .map(|url| json!({ "category": "external", "summary": "Advisory", "url": url })),
    );
    out
}

/// The vulnerabilities by advisory id: one CSAF vulnerability may affect several packages.
fn by_id<'a>(vulnerabilities: &[&'a Vulnerability]) -> BTreeMap<&'a str, Vec<&'a Vulnerability>> {
    let mut out: BTreeMap<&str, Vec<&Vulnerability>> = BTreeMap::new();
    for v in vulnerabilities {
        out.entry(v.id.as_str()).or_default().push(v);
    }
    out
}

/// One CSAF vulnerability with its id fields, title, description and references.
fn vulnerability(first: &Vulnerability, cves: &mut Vec<String>) -> Value {
    let mut out = json!({
        "title": if first.title.is_empty() { first.id.clone() } else { first.title.clone() },
        "notes": [{
            "category": "description",
            "title": "Description",
            "text": if first.title.is_empty() {
                format!(
                    "{} in {} ({})",
                    first.id,
                    first.package,
                    first.ecosystem.osv_name()
                )
            } else {
                format!(
                    "{}: {} in {} ({})",
                    first.id,
                    first.title,
                    first.package,
                    first.ecosystem.osv_name()
                )
            },
        }],
    });
    // A CVE names one vulnerability of the document (CSAF 6.1.23): the first advisory that
    // carries it gets it; the others keep it among their ids.
    let cve = first.cve().map(str::to_owned);
    let mut aliases = first.aliases.clone();
    match cve {
        Some(cve) if !cves.contains(&cve) => {
            out["cve"] = json!(cve);
            cves.push(cve);
        }
        Some(cve) => aliases.retain(|a| *a != cve),
        None => {}
    }
    let ids = ids(&first.id, &aliases);
    if !ids.is_empty() {
        out["ids"] = json!(ids);
    }
    if let Some(url) = &first.url {
        out["references"] = json!([{ "category": "external", "summary": "Advisory", "url": url }]);
    }
    out
}

/// The `csaf_security_advisory` for the vulnerabilities the release fixes; `None` when it
/// fixes none.
pub fn security_advisory(release: &Release, meta: &Meta) -> Option<(String, String)> {
    if release.security.fixed.is_empty() {
        return None;
    }
    let previous = release.previous_version.as_deref()?;
    let vendor = meta.publisher.name.as_str();
    let mut products = Products::new();
    let before = products.id(vendor, &release.product, previous, None);
    let after = products.id(vendor, &release.product, &release.version, None);
    let fixed: Vec<&Vulnerability> = release.security.fixed.iter().collect();
    let mut cves = Vec::new();
    let mut vulnerabilities = Vec::new();
    for (_, group) in by_id(&fixed) {
        let first = group[0];
        let mut affected = vec![before.clone()];
        let mut fixed_ids = vec![after.clone()];
        let mut steps = Vec::new();
        for v in &group {
            affected.push(products.id(
                v.ecosystem.osv_name(),
                &v.package,
                &v.version,
                Some(&v.purl),
            ));
            match &v.fixed_version {
                Some(now) => {
                    fixed_ids.push(products.id(
                        v.ecosystem.osv_name(),
                        &v.package,
                        now,
                        Some(&purl_at(&v.purl, now)),
                    ));
                    steps.push(format!("{} {} to {now}", v.package, v.version));
                }
                None => steps.push(format!("{} {} removed", v.package, v.version)),
            }
        }
        affected.sort();
        affected.dedup();
        fixed_ids.sort();
        fixed_ids.dedup();
        let mut entry = vulnerability(first, &mut cves);
        entry["product_status"] = json!({ "known_affected": affected, "fixed": fixed_ids });
        entry["remediations"] = json!([{
            "category": "vendor_fix",
            "details": format!(
                "Upgrade {} to {} ({}).",
                release.product,
                release.version,
                steps.join("; ")
            ),
            "product_ids": [before.clone()],
        }]);
        if let Some(cvss) = cvss_v3(first) {
            entry["scores"] = json!([{ "cvss_v3": cvss, "products": [before.clone()] }]);
        }
        vulnerabilities.push(entry);
    }
    let tracking_id = format!("{}-{}-security-advisory", release.product, release.version);
    let summary = format!(
        "{} {} fixes {} vulnerabilit{} in its dependencies that {} {} had.",
        release.product,
        release.version,
        vulnerabilities.len(),
        if vulnerabilities.len() == 1 {
            "y"
        } else {
            "ies"
        },
        release.product,
        previous
    );
    let doc = json!({
        "document": document(
            "csaf_security_advisory",
            &format!("{} {}: fixed vulnerabilities", release.product, release.version),
            &tracking_id,
            &summary,
            release,
            meta,
            &references(release, meta, &fixed),
        ),
        "product_tree": products.tree(),
        "vulnerabilities": vulnerabilities,
    });
    Some((file_name(&tracking_id), pretty(&doc)))
}

/// The `csaf_vex` document of the release: fixed, known affected (with the action to take) and
/// known not affected (with the VEX justification); `None` when no vulnerability is known.
pub fn vex(release: &Release, meta: &Meta) -> Option<(String, String)> {
    let s = &release.security;
    let all: Vec<&Vulnerability> = s
        .fixed
        .iter()
        .chain(&s.open)
        .chain(&s.not_affected)
        .collect();
    if all.is_empty() {
        return None;
    }
    let vendor = meta.publisher.name.as_str();
    let mut products = Products::new();
    let product = products.id(vendor, &release.product, &release.version, None);
    let mut cves = Vec::new();
    let mut vulnerabilities = Vec::new();
    for (_, group) in by_id(&all) {
        let first = group[0];
        let mut entry = vulnerability(first, &mut cves);
        let is_fixed = s.fixed.iter().any(|f| f.id == first.id);
        let open: Vec<&&Vulnerability> = group
            .iter()
            .filter(|v| s.open.iter().any(|o| std::ptr::eq(o, **v)))
            .collect();
        if !open.is_empty() {
            let details: Vec<String> = open
                .iter()
                .map(|v| match &v.fix {
                    Some(fix) => {
                        format!("upgrade {} from {} to {fix} or later", v.package, v.version)
                    }
                    None => format!("no fixed version of {} is known", v.package),
                })
                .collect();
            entry["product_status"] = json!({ "known_affected": [product.clone()] });
            entry["remediations"] = json!([{
                "category": if open.iter().any(|v| v.fix.is_some()) { "none_available" } else { "no_fix_planned" },
                "details": format!(
                    "{} {} pins an affected version: {}.",
                    release.product,
                    release.version,
                    details.join("; ")
                ),
                "product_ids": [product.clone()],
            }]);
            if let Some(cvss) = cvss_v3(first) {
                entry["scores"] = json!([{ "cvss_v3": cvss, "products": [product.clone()] }]);
            }
        } else if let Some(justification) = group.iter().find_map(|v| v.not_affected.as_deref()) {
            entry["product_status"] = json!({ "known_not_affected": [product.clone()] });
            entry["threats"] = json!([{
                "category": "impact",
                "details": justification,
                "product_ids": [product.clone()],
            }]);
            if let Some(label) = csaf_flag(justification) {
                entry["flags"] = json!([{ "label": label, "product_ids": [product.clone()] }]);
            }
        } else if is_fixed {
            entry["product_status"] = json!({ "fixed": [product.clone()] });
        }
        vulnerabilities.push(entry);
    }
    let tracking_id = format!("{}-{}-vex", release.product, release.version);
    let summary = format!(
        "The status of {} {} for each vulnerability known in its dependencies: {} fixed, {} affected, {} not affected.",
        release.product,
        release.version,
        s.fixed.len(),
        s.open.len(),
        s.not_affected.len()
    );
    let doc = json!({
        "document": document(
            "csaf_vex",
            &format!("{} {}: vulnerability status", release.product, release.version),
            &tracking_id,
            &summary,
            release,
            meta,
            &references(release, meta, &all),
        ),
        "product_tree": products.tree(),
        "vulnerabilities": vulnerabilities,
    });
    Some((file_name(&tracking_id), pretty(&doc)))
}

/// The CSAF flag of an OpenVEX justification (they map one to one).
fn csaf_flag(justification: &str) -> Option<&'static str> {
    Some(match justification {
        "component_not_present" => "component_not_present",
        "vulnerable_code_not_present" => "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path" => "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary" => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        "inline_mitigations_already_exist" => "inline_mitigations_already_exist",
        _ => return None,
    })
}

/// The OpenVEX 0.2.0 document of the release; `None` when no vulnerability is known (OpenVEX
/// needs a statement).
pub fn openvex(release: &Release, meta: &Meta) -> Option<String> {
    let s = &release.security;
    let product = |v: &Vulnerability| json!({ "@id": meta.product_purl, "subcomponents": [{ "@id": v.purl }] });
    let mut statements = Vec::new();
    for v in &s.fixed {
        statements.push(json!({
            "vulnerability": { "name": v.id, "aliases": v.aliases },
            "products": [product(v)],
            "status": "fixed",
        }));
    }
    for v in &s.open {
        statements.push(json!({
            "vulnerability": { "name": v.id, "aliases": v.aliases },
            "products": [product(v)],
            "status": "affected",
            "action_statement": match &v.fix {
                Some(fix) => format!("upgrade {} to {fix} or later", v.package),
                None => "no fixed version is known".to_owned(),
            },
        }));
    }
    for v in &s.not_affected {
        let justification = v.not_affected.as_deref().unwrap_or_default();
        let mut statement = json!({
            "vulnerability": { "name": v.id, "aliases": v.aliases },
            "products": [product(v)],
            "status": "not_affected",
        });
        if csaf_flag(justification).is_some() {
            statement["justification"] = json!(justification);
        } else {
            statement["impact_statement"] = json!(justification);
        }
        statements.push(statement);
    }
    if statements.is_empty() {
        return None;
    }
    Some(pretty(&json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:crabox:vex:{}:{}", release.product, release.version),
        "author": meta.publisher.name,
        "timestamp": meta.timestamp,
        "version": 1,
        "tooling": format!("crabox {}", meta.tool_version),
        "statements": statements,
    })))
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_the_csaf_rule() {
        assert_eq!(
            file_name("ACME app 1.2.0-security advisory"),
            "acme_app_1_2_0-security_advisory.json"
        );
    }

    #[test]
    fn purls_move_to_another_version() {
        assert_eq!(
            purl_at("pkg:cargo/foo@1.0.0", "1.2.0"),
            "pkg:cargo/foo@1.2.0"
        );
        assert_eq!(
            purl_at("pkg:npm/%40a/b@1.0.0?repository_url=x", "2.0.0"),
            "pkg:npm/%40a/b@2.0.0?repository_url=x"
        );
    }
}
