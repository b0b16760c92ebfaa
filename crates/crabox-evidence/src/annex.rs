//! The documents of Annex II (information and instructions to the user) and Annex VII
//! (technical documentation), written from the product's declared facts and the bundle's
//! [`Facts`].

use crate::report::{UserItem, technical_documentation, user_information};
use crate::requirements::Facts;

/// The product as the documents name it: what the manufacturer declares in `[product]`, the
/// name and version of this release, its commit, and the standards applied.
#[derive(Debug, Clone, Default)]
pub struct Product {
    pub name: String,
    pub version: String,
    /// `[product]` as configured.
    pub declared: crabox_config::ProductSettings,
    /// Harmonised standards and specifications applied (`[evidence] standards`).
    pub standards: Vec<String>,
    /// The commit the release is built from.
    pub commit: Option<String>,
}

impl Product {
    /// The support period as Article 13(8) judges it.
    pub fn support(&self) -> Support {
        Support {
            end: self.declared.support_end,
            placed_on_market: self.declared.placed_on_market,
            justified: self.declared.support_period_justification.is_some(),
        }
    }
}

/// The support period as Article 13(8) judges it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Support {
    pub end: Option<crabox_types::Date>,
    pub placed_on_market: Option<crabox_types::Date>,
    pub justified: bool,
}

impl Support {
    /// Whether the period meets Article 13(8), and why; `None` when there is nothing to judge.
    pub fn judged(self) -> Option<String> {
        let end = self.end?;
        let Some(placed) = self.placed_on_market else {
            return Some(format!(
                "{end}; not checked against Article 13(8): set `[product] placed-on-market`"
            ));
        };
        // Five years later, 29 February falling back to 28 February.
        let five = crabox_types::Date::new(placed.year() + 5, placed.month(), placed.day())
            .or_else(|| crabox_types::Date::new(placed.year() + 5, placed.month(), 28))?;
        Some(if end >= five {
            format!("{end}; at least five years from {placed} (Article 13(8))")
        } else if self.justified {
            format!(
                "{end}; under five years from {placed}, justified in `[product] support-period-justification` (Article 13(8))"
            )
        } else {
            format!(
                "{end}; **under five years** from {placed} and not justified: Article 13(8) asks for at least {five} unless `[product] support-period-justification` says why"
            )
        })
    }
}

/// `cra/user-information.md`: the items of Annex II, (1) to (9) with (8)(a) to (f), each given
/// or flagged as missing with the `crabox.toml` key that supplies it.
pub fn user_information_md(product: &Product, facts: &Facts) -> String {
    let item = |item, value: Option<String>, key| UserItem { item, value, key };
    let p = &product.declared;
    user_information(
        &product.name,
        &product.version,
        &[
            item(
                "(1) Manufacturer: name",
                p.manufacturer.clone(),
                "[product] manufacturer",
            ),
            item(
                "(1) Manufacturer: postal address, e-mail or other contact, website",
                p.manufacturer_contact.clone(),
                "[product] manufacturer-contact",
            ),
            item(
                "(2) Single point of contact for reporting vulnerabilities",
                p.security_contact.clone(),
                "[product] security-contact",
            ),
            item(
                "(2) Coordinated vulnerability disclosure policy",
                facts.cvd_policy.clone(),
                "[product] cvd-policy",
            ),
            item(
                "(3) Product name, type and unique identification",
                Some(format!(
                    "{} {}{}",
                    product.name,
                    product.version,
                    product
                        .commit
                        .as_deref()
                        .map(|c| format!(" (commit {c})"))
                        .unwrap_or_default()
                )),
                "[product] name, version",
            ),
            item(
                "(4) Intended purpose, security environment, essential functionalities and security properties",
                p.intended_purpose.clone(),
                "[product] intended-purpose",
            ),
            item(
                "(5) Known or foreseeable circumstances that may lead to significant cybersecurity risks",
                p.foreseeable_risks.clone(),
                "[product] foreseeable-risks",
            ),
            item(
                "(6) Internet address of the EU declaration of conformity",
                p.declaration_url.clone(),
                "[product] declaration-url",
            ),
            item(
                "(7) Technical security support and the end of the support period",
                product.support().judged(),
                "[product] support-end",
            ),
            item(
                "(8)(a) Secure use from initial commissioning throughout the lifetime",
                p.secure_use.clone(),
                "[product] secure-use",
            ),
            item(
                "(8)(b) How changes to the product can affect the security of data",
                p.data_security_changes.clone(),
                "[product] data-security-changes",
            ),
            item(
                "(8)(c) How security-relevant updates can be installed",
                p.update_installation.clone(),
                "[product] update-installation",
            ),
            item(
                "(8)(d) Secure decommissioning, including secure removal of user data",
                p.decommissioning.clone(),
                "[product] decommissioning",
            ),
            item(
                "(8)(e) How to turn off the automatic installation of security updates",
                p.automatic_updates_opt_out.clone(),
                "[product] automatic-updates-opt-out",
            ),
            item(
                "(8)(f) For integration into other products: what the integrator needs",
                p.integration.clone(),
                "[product] integration",
            ),
            item(
                "(9) Where the software bill of materials can be accessed",
                facts.sboms.first().cloned(),
                "(written by crabox sbom)",
            ),
        ],
    )
}

/// `cra/eu-declaration-of-conformity.md`: a DRAFT of the EU declaration of conformity of
/// Annex V, with every field it still lacks; never a declaration by itself (the manufacturer
/// signs one, under its sole responsibility, once the product conforms).
pub fn declaration_of_conformity_md(product: &Product, conforms: bool) -> String {
    use std::fmt::Write as _;
    let p = &product.declared;
    let missing = |key: &str| format!("**missing**: set `{key}`");
    let or_missing =
        |value: &Option<String>, key: &str| value.clone().unwrap_or_else(|| missing(key));
    let mut out = format!(
        "# DRAFT: EU declaration of conformity (Regulation (EU) 2024/2847, Annex V): {} {}\n\n\
         **DRAFT, not a declaration.** crabox prepares it from `crabox.toml`; the manufacturer \
         completes, checks and signs it.{}\n\n",
        product.name,
        product.version,
        if conforms {
            ""
        } else {
            " The CRA report of this bundle has failing or missing rows: the product is not shown to conform yet (`cra/report.md`)."
        }
    );
    let standards = if product.standards.is_empty() {
        missing("[evidence] standards")
    } else {
        product.standards.join("; ")
    };
    let rows = [
        (
            "1. Name and type of the product and what identifies it uniquely",
            format!(
                "{} {}{}",
                product.name,
                product.version,
                product
                    .commit
                    .as_deref()
                    .map(|c| format!(", built from commit {c}"))
                    .unwrap_or_default()
            ),
        ),
        (
            "2. Name and address of the manufacturer or its authorised representative",
            match (&p.manufacturer, &p.manufacturer_contact) {
                (Some(name), Some(contact)) => format!("{name}, {contact}"),
                (Some(name), None) => format!("{name}; {}", missing("[product] manufacturer-contact")),
                (None, _) => missing("[product] manufacturer"),
            },
        ),
        (
            "3. Sole responsibility",
            "This declaration of conformity is issued under the sole responsibility of the manufacturer."
                .to_owned(),
        ),
        (
            "4. Object of the declaration",
            format!("{} {} (identified as in 1.)", product.name, product.version),
        ),
        (
            "5. Conformity",
            "The object of the declaration described above is in conformity with the relevant Union harmonisation legislation: Regulation (EU) 2024/2847."
                .to_owned(),
        ),
        (
            "6. Harmonised standards, common specifications or cybersecurity certification applied",
            standards,
        ),
        (
            "7. Notified body, conformity assessment procedure and certificate (where applicable)",
            or_missing(&p.notified_body, "[product] notified-body"),
        ),
        (
            "8. Additional information; signed for and on behalf of; place and date; name, function, signature",
            "**to be completed and signed by the manufacturer**".to_owned(),
        ),
    ];
    out.push_str("| Item | Content |\n|---|---|\n");
    for (item, content) in rows {
        let _ = writeln!(
            out,
            "| {item} | {} |",
            content.replace('|', "\\|").replace('\n', " ")
        );
    }
    out
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
    // The vulnerability audit and the gate's results (JSON and JUnit).
    let mut tests: Vec<String> = facts
        .audit
        .ran()
        .map(|a| a.files.clone())
        .unwrap_or_default();
    tests.extend(
        facts
            .gate
            .ran()
            .map(|g| g.files.clone())
            .unwrap_or_default(),
    );
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
            (
                "7. EU declaration of conformity (a draft until the manufacturer signs it)",
                vec!["cra/eu-declaration-of-conformity.md".to_owned()],
            ),
            ("8. Software bill of materials", facts.sboms.clone()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> crabox_types::Date {
        text.parse().unwrap()
    }

    #[test]
    fn the_support_period_is_judged_against_five_years_from_the_market() {
        let support = |end: &str, placed: Option<&str>, justified| Support {
            end: Some(date(end)),
            placed_on_market: placed.map(date),
            justified,
        };
        assert!(
            support("2031-06-01", Some("2026-06-01"), false)
                .judged()
                .unwrap()
                .contains("at least five years")
        );
        let short = support("2029-12-31", Some("2026-06-01"), false)
            .judged()
            .unwrap();
        assert!(
            short.contains("**under five years**") && short.contains("2031-06-01"),
            "{short}"
        );
        assert!(
            support("2029-12-31", Some("2026-06-01"), true)
                .judged()
                .unwrap()
                .contains("justified")
        );
        // 29 February: five years later is 28 February.
        assert!(
            support("2033-02-28", Some("2028-02-29"), false)
                .judged()
                .unwrap()
                .contains("at least five years")
        );
        assert!(
            support("2031-01-01", None, false)
                .judged()
                .unwrap()
                .contains("set `[product] placed-on-market`")
        );
        assert_eq!(Support::default().judged(), None);
    }
}
