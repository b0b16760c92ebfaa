//! The documents of Annex II (information and instructions to the user) and Annex VII
//! (technical documentation), written from the product's declared facts and the bundle's
//! [`Facts`].

use crate::report::{UserItem, technical_documentation, user_information};
use crate::requirements::Facts;

/// What the manufacturer declares about the product (`[product]` of `crabox.toml`).
#[derive(Debug, Clone, Default)]
pub struct Product {
    pub name: String,
    pub version: String,
    pub manufacturer: Option<String>,
    pub manufacturer_contact: Option<String>,
    pub security_contact: Option<String>,
    pub intended_purpose: Option<String>,
    /// The end of the support period, as a date.
    pub support_end: Option<String>,
}

/// `cra/user-information.md`: the Annex II items.
pub fn user_information_md(product: &Product, facts: &Facts) -> String {
    let item = |item, value: Option<String>, key| UserItem { item, value, key };
    user_information(
        &product.name,
        &product.version,
        &[
            item(
                "(1) Manufacturer: name",
                product.manufacturer.clone(),
                "[product] manufacturer",
            ),
            item(
                "(1) Manufacturer: contact address",
                product.manufacturer_contact.clone(),
                "[product] manufacturer-contact",
            ),
            item(
                "(2) Single point of contact for reporting vulnerabilities",
                product.security_contact.clone(),
                "[product] security-contact",
            ),
            item(
                "(2) Coordinated vulnerability disclosure policy",
                facts.cvd_policy.clone(),
                "[product] cvd-policy",
            ),
            item(
                "(3) Product name and version",
                Some(format!("{} {}", product.name, product.version)),
                "[product] name, version",
            ),
            item(
                "(4) Intended purpose",
                product.intended_purpose.clone(),
                "[product] intended-purpose",
            ),
            item(
                "(7) End of the support period",
                product.support_end.clone(),
                "[product] support-end",
            ),
            item(
                "(9) Software bill of materials",
                facts.sboms.first().cloned(),
                "(written by crabox sbom)",
            ),
        ],
    )
}

/// `cra/technical-documentation.md`: the Annex VII items, each with the bundle files that
/// carry it.
pub fn technical_documentation_md(product: &Product, facts: &Facts) -> String {
    let declared = |key: &str| {
        facts
            .declarations
            .get(key)
            .cloned()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let mut process = facts.sboms.clone();
    process.extend(facts.cvd_policy.clone());
    process.extend(facts.signatures.iter().cloned());
    process.extend(facts.notes.iter().cloned());
    process.extend(facts.csaf.iter().cloned());
    let tests: Vec<String> = facts
        .audit
        .ran()
        .map(|a| a.files.clone())
        .unwrap_or_default();
    technical_documentation(
        &product.name,
        &product.version,
        &[
            (
                "1. General description, intended purpose, versions",
                vec!["cra/user-information.md".to_owned()],
            ),
            (
                "2. Design, development and vulnerability handling (SBOM, disclosure policy, update distribution)",
                process,
            ),
            (
                "3. Cybersecurity risk assessment",
                declared("risk-assessment"),
            ),
            (
                "4. Support period",
                vec!["cra/user-information.md".to_owned()],
            ),
            (
                "5. Harmonised standards and specifications applied",
                Vec::new(),
            ),
            (
                "6. Reports of the tests carried out (vulnerability audit; security tests)",
                tests,
            ),
            ("7. EU declaration of conformity", Vec::new()),
            ("8. Software bill of materials", facts.sboms.clone()),
        ],
    )
}
