//! The `crabox.toml` file layer: every key optional, unknown keys rejected.
//!
//! The doc comments here are the configuration reference: `cargo xtask codegen` turns them into
//! `docs/config.md` and `docs/crabox.schema.json`.

use std::collections::BTreeMap;

use crabox_types::{Date, Severity, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `crabox.toml`: the configuration of crabox for one repository. Every section and key is
/// optional; crabox works without the file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "crabox.toml")]
pub struct ConfigFile {
    /// The product and its manufacturer: the CRA Annex II user information.
    pub product: Option<ProductConfig>,
    /// Software bill of materials (`crabox sbom`).
    pub sbom: Option<SbomConfig>,
    /// Vulnerability audit of the dependencies (`crabox audit`).
    pub audit: Option<AuditConfig>,
    /// Signing of artifacts and attestations (`crabox sign`).
    pub sign: Option<SignConfig>,
    /// Security regression gate (`crabox gate`).
    pub gate: Option<GateConfig>,
    /// Release notes and advisories (`crabox notes`).
    pub notes: Option<NotesConfig>,
    /// Manufacturer declarations: documents copied into the evidence bundle and hashed, one per
    /// CRA requirement that no tool can check.
    pub evidence: Option<EvidenceConfig>,
}

/// `[product]`: CRA Annex II user information.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProductConfig {
    /// Product name. Default: the name in the repository's manifest (`Cargo.toml`,
    /// `package.json`, `pyproject.toml`, `go.mod`), else the directory name.
    pub name: Option<String>,
    /// Product version. Default: the version in the manifest, else the release tag.
    pub version: Option<String>,
    /// Manufacturer's name (Annex II (1)).
    pub manufacturer: Option<String>,
    /// Manufacturer's postal, e-mail or web contact (Annex II (1)).
    pub manufacturer_contact: Option<String>,
    /// Single point of contact for vulnerability reports, a `mailto:` or `https:` URI or an
    /// e-mail address (Annex I Part II (6), Annex II (2)).
    #[serde(default, deserialize_with = "security_contact")]
    pub security_contact: Option<String>,
    /// Coordinated vulnerability disclosure policy, a path in the repository
    /// (Annex I Part II (5)).
    pub cvd_policy: Option<String>,
    /// End of the support period, as `YYYY-MM-DD` (Annex II (7)).
    pub support_end: Option<Date>,
    /// Intended purpose of the product (Annex II (4)).
    pub intended_purpose: Option<String>,
    /// When the product was first placed on the market, as `YYYY-MM-DD`: the support period
    /// must last at least five years from it (Article 13(8)) unless justified.
    pub placed_on_market: Option<Date>,
    /// Why a support period shorter than five years fits the product's expected use
    /// (Article 13(8)).
    pub support_period_justification: Option<String>,
    /// Known or foreseeable circumstances that may lead to significant cybersecurity risks, as
    /// text or an internet address (Annex II (5)).
    pub foreseeable_risks: Option<String>,
    /// Internet address of the EU declaration of conformity (Annex II (6)).
    pub declaration_url: Option<String>,
    /// Instructions on secure use from commissioning on (Annex II (8)(a)): text or an address.
    pub secure_use: Option<String>,
    /// How changes to the product can affect the security of data (Annex II (8)(b)).
    pub data_security_changes: Option<String>,
    /// How security-relevant updates are installed (Annex II (8)(c)).
    pub update_installation: Option<String>,
    /// Secure decommissioning and removal of user data (Annex II (8)(d)).
    pub decommissioning: Option<String>,
    /// How automatic installation of security updates is turned off (Annex II (8)(e)).
    pub automatic_updates_opt_out: Option<String>,
    /// What an integrator needs to comply with Annex I and the documentation duties, when the
    /// product is meant to be integrated into others (Annex II (8)(f)).
    pub integration: Option<String>,
    /// The notified body (name and number) that took part in the conformity assessment, when one
    /// did (Annex V (7)).
    pub notified_body: Option<String>,
    /// The product's category in Regulation (EU) 2024/2847: `default`, or an important product
    /// of Annex III (e.g. `password-manager`, `operating-system`, `firewall-ids-ips`) or a
    /// critical one of Annex IV (`smartcard`); it decides the conformity assessment procedures
    /// open to it (Article 32).
    #[serde(default, deserialize_with = "product_category")]
    pub category: Option<String>,
    /// The Member State of the manufacturer's main establishment in the Union, as its ISO 3166
    /// code (`DE`, `FR`, …): its CSIRT coordinator receives the Article 14 reports.
    #[serde(default, deserialize_with = "member_state")]
    pub member_state: Option<String>,
}

/// The 27 Member States, by ISO 3166-1 alpha-2 code (Greece as `GR`).
pub const MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

fn product_category<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if crabox_types::cra::category_of(&value).is_some() {
        Ok(Some(value))
    } else {
        let ids: Vec<&str> = crabox_types::cra::CATEGORIES.iter().map(|c| c.id).collect();
        Err(serde::de::Error::custom(format!(
            "`{}` is not a category of Annex III or IV; one of: {}",
            value.escape_debug(),
            ids.join(", ")
        )))
    }
}

fn member_state<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if MEMBER_STATES.contains(&value.as_str()) {
        Ok(Some(value))
    } else {
        Err(serde::de::Error::custom(format!(
            "`{}` is not the ISO 3166 code of a Member State of the Union (e.g. `DE`, `FR`, `NL`)",
            value.escape_debug()
        )))
    }
}

/// An SBOM output format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SPDX 3.0.1 JSON-LD.
    Spdx3Json,
}

/// `[sbom]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SbomConfig {
    /// Formats to write (`crabox sbom` writes the first; the evidence bundle holds CycloneDX and
    /// SPDX 2.3, not yet SPDX 3.0.1). Default: `["cyclonedx-json"]`.
    pub formats: Option<Vec<SbomFormat>>,
    /// List development-only packages (CycloneDX scope `excluded`). Default: `true`.
    pub include_dev: Option<bool>,
    /// Built artifacts to hash (SHA-256, SHA-512) and describe as the product.
    pub artifacts: Option<Vec<String>>,
    /// Container images or root file systems whose operating-system packages (dpkg, apk) are
    /// components of the product: a root directory, an OCI image layout directory, or a `docker
    /// save` / OCI archive (`.tar`, `.tar.gz`), relative to the repository root. Example:
    /// `["target/image.tar"]`. Default: none.
    pub images: Option<Vec<String>>,
    /// Suppliers' SBOMs (CycloneDX 1.4–1.6 or SPDX 2.2–2.3 JSON) whose components are components
    /// of the product and are audited with it (CRA Art. 13(5)), relative to the repository root.
    /// Example: `["third-party/vendor-sdk.cdx.json"]`. Default: none.
    pub import: Option<Vec<String>>,
    /// Globs of lockfiles to read even under the directories skipped by default (`tests/`,
    /// `test/`, `testdata/`, `test_data/`, `fixtures/`, `examples/`, `benches/`, `docs/`),
    /// relative to the scanned directory; `*` stays within a directory, `**` crosses them.
    /// Example: `["examples/server/**"]`. Default: none.
    pub include: Option<Vec<String>>,
    /// Globs of lockfiles not to read, relative to the scanned directory. Example:
    /// `["tools/**"]`. Default: none.
    pub exclude: Option<Vec<String>>,
}

/// An advisory database.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AdvisorySource {
    /// The RustSec advisory database.
    Rustsec,
    /// OSV exports (crates.io, npm, PyPI, Go, Packagist).
    Osv,
}

/// `[audit]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuditConfig {
    /// Databases to audit against. Default: `["rustsec", "osv"]`.
    pub sources: Option<Vec<AdvisorySource>>,
    /// Lowest severity that fails the audit; `none` never fails. Unknown severity counts as
    /// high. Default: `low` (any known vulnerability fails).
    pub fail_on: Option<Severity>,
    /// Advisories to ignore, each with the reason and an optional expiry date.
    pub ignore: Option<Vec<IgnoreEntry>>,
    /// OpenVEX documents (paths or globs) whose `not_affected` statements suppress findings.
    pub vex: Option<Vec<String>>,
    /// Git URL `crabox db update` fetches the RustSec database from. Default:
    /// `https://github.com/rustsec/advisory-db.git`.
    pub rustsec_url: Option<String>,
    /// Base URL of the OSV exports (`<osv-url>/<ecosystem>/all.zip`). Default:
    /// `https://osv-vulnerabilities.storage.googleapis.com`.
    pub osv_url: Option<String>,
    /// OSV ecosystems `crabox db update` fetches, as osv.dev names them. Default: `["crates.io",
    /// "npm", "PyPI", "Go", "Packagist", "RubyGems", "NuGet", "Pub", "Maven", "SwiftURL",
    /// "ConanCenter"]`, and `"Debian"`, `"Ubuntu"`, `"Alpine"`, `"Red Hat"`, `"AlmaLinux"`,
    /// `"Rocky Linux"` when `[sbom] images` names an image.
    pub osv_ecosystems: Option<Vec<String>>,
    /// Sparse index that says which crates.io releases were yanked (looked up unless
    /// `--offline`). Default: `https://index.crates.io`.
    pub index_url: Option<String>,
    /// Days an advisory database may be old, before the report time, and still give the CRA
    /// row I.2(a) a pass. Default: 7.
    pub max_age: Option<u32>,
}

/// One ignored advisory.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct IgnoreEntry {
    /// Advisory id or alias (`RUSTSEC-…`, `GHSA-…`, `CVE-…`).
    pub id: String,
    /// Why the advisory does not apply. Required.
    pub reason: String,
    /// Date (`YYYY-MM-DD`) after which the ignore expires and the audit fails naming it.
    pub until: Option<Date>,
}

/// How `crabox sign` obtains an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignMode {
    /// Keyless with an OIDC token in CI, the key when `key` is set, otherwise unsigned with a
    /// loud warning.
    Auto,
    /// Keyless (Sigstore Fulcio certificate and Rekor entry); fails without an OIDC token.
    Keyless,
    /// The cosign-format key named by `key`.
    Key,
    /// Do not sign; the evidence report records that nothing is signed.
    None,
}

/// `[sign]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SignConfig {
    /// Identity mode. Default: `auto`.
    pub mode: Option<SignMode>,
    /// cosign-format encrypted private key; its password comes from `CRABOX_KEY_PASSWORD`.
    pub key: Option<String>,
    /// Fulcio (certificate authority) for keyless signing. Default: `https://fulcio.sigstore.dev`.
    pub fulcio_url: Option<String>,
    /// Rekor (transparency log) for keyless signing. Default: `https://rekor.sigstore.dev`.
    pub rekor_url: Option<String>,
    /// Rekor API version of `rekor-url`: 1 or 2 (v2 needs a timestamp authority). Default: 1.
    pub rekor_version: Option<u8>,
    /// RFC 3161 timestamp authority. Default:
    /// `https://timestamp.sigstore.dev/api/v1/timestamp`.
    pub tsa_url: Option<String>,
    /// Sigstore trusted root (JSON) that keyless bundles are checked against after signing and
    /// by `crabox verify`. Default: the public-good root built into crabox.
    pub trusted_root: Option<String>,
}

/// `[gate]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct GateConfig {
    /// What to compare against: `previous-release` or the path of an earlier evidence bundle.
    /// Default: `previous-release`.
    pub baseline: Option<String>,
    /// Security test commands, run with a time limit.
    pub commands: Option<Vec<GateCommand>>,
    /// Licence policy.
    pub licenses: Option<LicensePolicy>,
    /// Open vulnerabilities at or above this severity fail the gate. Default: `[audit] fail-on`.
    pub fail_on: Option<Severity>,
    /// Packages that must not be used, at any version or at versions matching a SemVer range.
    pub bans: Option<Vec<BanEntry>>,
    /// Registries allowed besides each ecosystem's default one (URLs). Default: none.
    pub registries: Option<Vec<String>>,
    /// Git repositories dependencies may come from (URL prefixes). Default: none.
    pub git_sources: Option<Vec<String>>,
}

/// One banned package.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BanEntry {
    /// Package name as its ecosystem spells it.
    pub name: String,
    /// Only in this ecosystem (`crates.io`, `npm`, `PyPI`, `Go`). Default: any.
    pub ecosystem: Option<String>,
    /// SemVer requirement (`< 0.10.55`, `>= 1, < 1.4`) of the banned versions. Default: all.
    pub versions: Option<String>,
    /// Why it is banned. Required.
    pub reason: String,
}

/// One security test command.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct GateCommand {
    /// Short name, used in reports.
    pub name: String,
    /// The command line, run by the shell from the repository root.
    pub run: String,
    /// Time limit in seconds. Default: 600.
    pub timeout: Option<u64>,
    /// A JUnit XML file the command writes (relative to the repository root): its test cases
    /// are recorded. libtest output on stdout is read without it.
    pub junit: Option<String>,
}

/// `[gate.licenses]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LicensePolicy {
    /// SPDX licence identifiers that dependencies may use. Default: any (no allow list).
    pub allow: Option<Vec<String>>,
    /// SPDX licence identifiers that dependencies must not use.
    pub deny: Option<Vec<String>>,
}

/// `[notes]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NotesConfig {
    /// Glob that release tags match. Default: `v*`.
    pub tag_pattern: Option<String>,
    /// Release-notes template (minijinja). Default: `templates/release-notes.md.j2` in the
    /// repository if present, else the built-in template.
    pub template: Option<String>,
    /// Section for commits that do not follow Conventional Commits. Default: `Other changes`.
    pub other_section: Option<String>,
}

/// `[evidence]`: one document per CRA requirement that is declared rather than checked.
/// Paths are relative to the repository root.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EvidenceConfig {
    /// Cybersecurity risk assessment (Annex I Part I (1), Article 13(2)).
    pub risk_assessment: Option<String>,
    /// Secure-by-default configuration and reset to the original state (Annex I Part I (2)(b)).
    pub secure_defaults: Option<String>,
    /// How security updates reach users (Annex I Part I (2)(c)).
    pub security_updates: Option<String>,
    /// Protection from unauthorised access (Annex I Part I (2)(d)).
    pub access_control: Option<String>,
    /// Confidentiality of data (Annex I Part I (2)(e)).
    pub confidentiality: Option<String>,
    /// Integrity of data, programs and configuration (Annex I Part I (2)(f)).
    pub integrity: Option<String>,
    /// Data minimisation (Annex I Part I (2)(g)).
    pub data_minimisation: Option<String>,
    /// Availability and resilience against denial of service (Annex I Part I (2)(h)).
    pub availability: Option<String>,
    /// Minimising the impact on other devices and networks (Annex I Part I (2)(i)).
    pub network_impact: Option<String>,
    /// Limiting attack surfaces (Annex I Part I (2)(j)).
    pub attack_surface: Option<String>,
    /// Exploitation mitigation (Annex I Part I (2)(k)).
    pub exploit_mitigation: Option<String>,
    /// Recording and monitoring of security-relevant activity (Annex I Part I (2)(l)).
    pub monitoring: Option<String>,
    /// Secure removal and transfer of data and settings (Annex I Part I (2)(m)).
    pub data_removal: Option<String>,
    /// The plan of security tests and reviews (Annex I Part II (3)).
    pub test_plan: Option<String>,
    /// How updates are distributed securely (Annex I Part II (7)).
    pub update_distribution: Option<String>,
    /// How security updates and advisories are published, free of charge (Annex I Part II (8)).
    pub advisory_policy: Option<String>,
    /// Requirements that do not apply to this product, each with the reason, keyed by the
    /// requirement's number in Regulation (EU) 2024/2847, e.g. `"I.2(g)" = "stores no data"`.
    /// Only the items of Annex I Part I (2)(b) to (m) ("where applicable") can be.
    #[serde(default, deserialize_with = "not_applicable")]
    pub not_applicable: Option<BTreeMap<String, String>>,
    /// Requirement ids whose row fails the bundle (exit 1) when it is `missing`, e.g.
    /// `["I.1", "II.5"]`.
    #[serde(default, deserialize_with = "required_rows")]
    pub require: Option<Vec<String>>,
    /// Harmonised standards, common specifications or certifications applied, by reference
    /// (Annex V (6), Annex VII (5)), e.g. `["EN 18031-1:2024"]`.
    pub standards: Option<Vec<String>>,
    /// Actively exploited vulnerabilities the manufacturer knows of (Article 14): the report
    /// gives the early-warning, notification and final-report deadlines of each.
    pub exploited: Option<Vec<ExploitedEntry>>,
    /// Severe incidents having an impact on the security of the product (Article 14(3)): the
    /// report gives the 24 h, 72 h and one-month reporting deadlines of each.
    pub incidents: Option<Vec<IncidentEntry>>,
    /// A copy of CISA's Known Exploited Vulnerabilities catalogue
    /// (`known_exploited_vulnerabilities.json`): open findings whose CVE it lists are treated as
    /// actively exploited. Read from the repository; never fetched.
    pub kev_catalog: Option<String>,
}

/// One actively exploited vulnerability (Article 14 of Regulation (EU) 2024/2847).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExploitedEntry {
    /// Vulnerability id or alias (`CVE-…`, `GHSA-…`, `RUSTSEC-…`).
    pub id: String,
    /// When the manufacturer became aware of the active exploitation: the deadlines count from
    /// here. RFC 3339 time in quotes, or a date (read as 00:00 UTC).
    pub aware_since: Timestamp,
    /// When a corrective or mitigating measure became available: the final report is due 14 days
    /// later.
    pub fix_available: Option<Timestamp>,
}

/// One severe incident (Article 14(3) of Regulation (EU) 2024/2847).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct IncidentEntry {
    /// The manufacturer's name for the incident.
    pub id: String,
    /// When the manufacturer became aware of it: the deadlines count from here.
    pub aware_since: Timestamp,
}

/// `[product] security-contact`: an `https:` or `mailto:` URI, or a bare e-mail address; anything
/// else (`http:`, `javascript:`, a name) is refused where it is written.
fn security_contact<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if is_security_contact(&value) {
        Ok(Some(value))
    } else {
        Err(serde::de::Error::custom(format!(
            "`{}` is not an https: URL, a mailto: URL or an e-mail address",
            value.escape_debug()
        )))
    }
}

/// The requirements of Annex I Part I (2) that apply "where applicable": the only ones
/// `[evidence] not-applicable` may name.
pub const WHERE_APPLICABLE: [&str; 12] = [
    "I.2(b)", "I.2(c)", "I.2(d)", "I.2(e)", "I.2(f)", "I.2(g)", "I.2(h)", "I.2(i)", "I.2(j)",
    "I.2(k)", "I.2(l)", "I.2(m)",
];

/// Every requirement id of the CRA report.
pub const REQUIREMENT_IDS: [&str; 22] = [
    "I.1", "I.2(a)", "I.2(b)", "I.2(c)", "I.2(d)", "I.2(e)", "I.2(f)", "I.2(g)", "I.2(h)",
    "I.2(i)", "I.2(j)", "I.2(k)", "I.2(l)", "I.2(m)", "II.1", "II.2", "II.3", "II.4", "II.5",
    "II.6", "II.7", "II.8",
];

/// `[evidence] not-applicable`: only the "where applicable" items, each with a reason.
fn not_applicable<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let map = BTreeMap::<String, String>::deserialize(deserializer)?;
    for (id, reason) in &map {
        if !WHERE_APPLICABLE.contains(&id.as_str()) {
            let what = if REQUIREMENT_IDS.contains(&id.as_str()) {
                "applies to every product"
            } else {
                "is not a requirement of Regulation (EU) 2024/2847"
            };
            return Err(serde::de::Error::custom(format!(
                "`{}` {what}: only Annex I Part I (2)(b) to (m), I.2(b) to I.2(m), can be not applicable",
                id.escape_debug()
            )));
        }
        if reason.trim().is_empty() {
            return Err(serde::de::Error::custom(format!("`{id}` needs a reason")));
        }
    }
    Ok(Some(map))
}

/// `[evidence] require`: known requirement ids.
fn required_rows<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    let ids = Vec::<String>::deserialize(deserializer)?;
    if let Some(unknown) = ids
        .iter()
        .find(|id| !REQUIREMENT_IDS.contains(&id.as_str()))
    {
        return Err(serde::de::Error::custom(format!(
            "`{}` is not a requirement of Regulation (EU) 2024/2847 (I.1, I.2(a) to I.2(m), II.1 to II.8)",
            unknown.escape_debug()
        )));
    }
    Ok(Some(ids))
}

/// Whether `value` is an acceptable security contact.
pub fn is_security_contact(value: &str) -> bool {
    let printable =
        !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    let email = |text: &str| {
        text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
    };
    printable
        && (value
            .strip_prefix("https://")
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
            || value.strip_prefix("mailto:").is_some_and(email)
            || (!value.contains(':') && email(value)))
}

#[cfg(test)]
mod contact_tests {
    #[test]
    fn security_contacts() {
        for good in [
            "https://acme.example/security",
            "mailto:security@acme.example",
            "security@acme.example",
        ] {
            assert!(super::is_security_contact(good), "{good}");
        }
        for bad in [
            "http://acme.example",
            "javascript:alert(1)",
            "Security Team",
            "",
            "https://",
            "mailto:",
            "a@b",
            "::warning::x@y.z",
        ] {
            assert!(!super::is_security_contact(bad), "{bad}");
        }
    }
}
