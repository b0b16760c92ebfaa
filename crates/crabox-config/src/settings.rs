//! Resolved settings: the configuration with every default applied. Steps read these, never
//! the file layer.

use std::collections::BTreeMap;

use crabox_types::{SecretString, Severity};
use serde::Serialize;

use crate::env::EnvVars;
use crate::file::{
    AdvisorySource, BanEntry, ConfigFile, EvidenceConfig, ExploitedEntry, GateCommand, IgnoreEntry,
    SbomFormat, SignMode,
};

/// Everything a step may read, defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// `--offline` / `CRABOX_OFFLINE`: never touch the network.
    pub offline: bool,
    pub product: ProductSettings,
    pub sbom: SbomSettings,
    pub audit: AuditSettings,
    pub sign: SignSettings,
    pub gate: GateSettings,
    pub notes: NotesSettings,
    pub evidence: EvidenceSettings,
    /// Secrets read from the environment, shown only as `<redacted>`.
    pub secrets: Secrets,
}

/// `[product]` has no defaults in the file layer; the manifest fills `name` and `version` when
/// [`crate::load`] resolves them.
pub type ProductSettings = crate::file::ProductConfig;
/// The OSV ecosystems of the operating-system packages of images, fetched by default when `[sbom]
/// images` names one.
pub const IMAGE_OSV_ECOSYSTEMS: [&str; 6] = [
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "AlmaLinux",
    "Rocky Linux",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SbomSettings {
    pub formats: Vec<SbomFormat>,
    pub include_dev: bool,
    pub artifacts: Vec<String>,
    pub images: Vec<String>,
    pub import: Vec<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// Where the RustSec database is fetched from.
pub const DEFAULT_RUSTSEC_URL: &str = "https://github.com/rustsec/advisory-db.git";
/// The public-good Sigstore services (keyless signing).
pub const DEFAULT_FULCIO_URL: &str = "https://fulcio.sigstore.dev";
pub const DEFAULT_REKOR_URL: &str = "https://rekor.sigstore.dev";
pub const DEFAULT_TSA_URL: &str = "https://timestamp.sigstore.dev/api/v1/timestamp";
/// The crates.io sparse index.
pub const DEFAULT_INDEX_URL: &str = "https://index.crates.io";
/// Where osv.dev publishes its exports.
pub const DEFAULT_OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The OSV ecosystems of the lockfiles crabox reads.
pub const DEFAULT_OSV_ECOSYSTEMS: [&str; 11] = [
    "crates.io",
    "npm",
    "PyPI",
    "Go",
    "Packagist",
    "RubyGems",
    "NuGet",
    "Pub",
    "Maven",
    "SwiftURL",
    "ConanCenter",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuditSettings {
    pub sources: Vec<AdvisorySource>,
    pub fail_on: Severity,
    pub ignore: Vec<IgnoreEntry>,
    pub vex: Vec<String>,
    pub rustsec_url: String,
    pub osv_url: String,
    pub osv_ecosystems: Vec<String>,
    pub index_url: String,
    /// Days a database may be old and still give I.2(a) a pass.
    pub max_age: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SignSettings {
    pub mode: SignMode,
    pub key: Option<String>,
    pub fulcio_url: String,
    pub rekor_url: String,
    pub rekor_version: u8,
    pub tsa_url: String,
    pub trusted_root: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct GateSettings {
    pub baseline: String,
    pub commands: Vec<GateCommand>,
    pub licenses: LicenseSettings,
    pub fail_on: Severity,
    pub bans: Vec<BanEntry>,
    pub registries: Vec<String>,
    pub git_sources: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LicenseSettings {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct NotesSettings {
    pub tag_pattern: String,
    pub template: Option<String>,
    pub other_section: String,
}

/// `[evidence]` as written: each declaration document by key, and the not-applicable reasons.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EvidenceSettings {
    /// Declaration documents by their `[evidence]` key, sorted.
    pub documents: BTreeMap<String, String>,
    pub not_applicable: BTreeMap<String, String>,
    /// Rows that fail the bundle when `missing`.
    pub require: Vec<String>,
    /// Harmonised standards and specifications applied.
    pub standards: Vec<String>,
    pub exploited: Vec<ExploitedEntry>,
    pub incidents: Vec<crate::file::IncidentEntry>,
    pub kev_catalog: Option<String>,
}

/// Secrets from the environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Secrets {
    /// `CRABOX_KEY_PASSWORD`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_password: Option<SecretString>,
    /// `GITHUB_TOKEN`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_token: Option<SecretString>,
}

/// Default of `[audit] fail-on`: any known vulnerability fails, as with `cargo audit`.
pub const DEFAULT_FAIL_ON: Severity = Severity::Low;
/// Default of `[notes] other-section`.
pub const DEFAULT_OTHER_SECTION: &str = "Other changes";
/// Default of `[notes] tag-pattern`.
pub const DEFAULT_TAG_PATTERN: &str = "v*";
/// Default of `[gate] baseline`.
pub const DEFAULT_BASELINE: &str = "previous-release";

impl Settings {
    /// Applies the defaults to a file layer (already merged with the environment overrides).
    pub fn resolve(file: ConfigFile, env: &dyn Fn(&str) -> Option<String>) -> Settings {
        let product = file.product.unwrap_or_default();
        let sbom = file.sbom.unwrap_or_default();
        let sbom_images_given = sbom.images.as_ref().is_some_and(|i| !i.is_empty());
        let audit = file.audit.unwrap_or_default();
        let sign = file.sign.unwrap_or_default();
        let gate = file.gate.unwrap_or_default();
        let notes = file.notes.unwrap_or_default();
        let secret = |name: &str| env(name).filter(|v| !v.is_empty()).map(SecretString::new);
        let audit_fail_on = audit.fail_on.unwrap_or(DEFAULT_FAIL_ON);
        Settings {
            offline: false,
            product,
            sbom: SbomSettings {
                formats: sbom
                    .formats
                    .unwrap_or_else(|| vec![SbomFormat::CyclonedxJson]),
                include_dev: sbom.include_dev.unwrap_or(true),
                artifacts: sbom.artifacts.unwrap_or_default(),
                images: sbom.images.unwrap_or_default(),
                import: sbom.import.unwrap_or_default(),
                include: sbom.include.unwrap_or_default(),
                exclude: sbom.exclude.unwrap_or_default(),
            },
            audit: AuditSettings {
                sources: audit
                    .sources
                    .unwrap_or_else(|| vec![AdvisorySource::Rustsec, AdvisorySource::Osv]),
                fail_on: audit_fail_on,
                ignore: audit.ignore.unwrap_or_default(),
                vex: audit.vex.unwrap_or_default(),
                rustsec_url: audit
                    .rustsec_url
                    .unwrap_or_else(|| DEFAULT_RUSTSEC_URL.to_owned()),
                osv_url: audit.osv_url.unwrap_or_else(|| DEFAULT_OSV_URL.to_owned()),
                osv_ecosystems: audit.osv_ecosystems.unwrap_or_else(|| {
                    let images = sbom_images_given;
                    DEFAULT_OSV_ECOSYSTEMS
                        .iter()
                        .chain(if images {
                            &IMAGE_OSV_ECOSYSTEMS[..]
                        } else {
                            &[]
                        })
                        .map(|e| (*e).to_owned())
                        .collect()
                }),
                index_url: audit
                    .index_url
                    .unwrap_or_else(|| DEFAULT_INDEX_URL.to_owned()),
                max_age: audit.max_age.unwrap_or(7),
            },
            sign: SignSettings {
                mode: sign.mode.unwrap_or(SignMode::Auto),
                key: sign.key,
                fulcio_url: sign
                    .fulcio_url
                    .unwrap_or_else(|| DEFAULT_FULCIO_URL.to_owned()),
                rekor_url: sign
                    .rekor_url
                    .unwrap_or_else(|| DEFAULT_REKOR_URL.to_owned()),
                rekor_version: sign.rekor_version.unwrap_or(1),
                tsa_url: sign.tsa_url.unwrap_or_else(|| DEFAULT_TSA_URL.to_owned()),
                trusted_root: sign.trusted_root,
            },
            gate: GateSettings {
                baseline: gate.baseline.unwrap_or_else(|| DEFAULT_BASELINE.to_owned()),
                commands: gate.commands.unwrap_or_default(),
                licenses: LicenseSettings {
                    allow: gate
                        .licenses
                        .as_ref()
                        .and_then(|l| l.allow.clone())
                        .unwrap_or_default(),
                    deny: gate.licenses.and_then(|l| l.deny).unwrap_or_default(),
                },
                fail_on: gate.fail_on.unwrap_or(audit_fail_on),
                bans: gate.bans.unwrap_or_default(),
                registries: gate.registries.unwrap_or_default(),
                git_sources: gate.git_sources.unwrap_or_default(),
            },
            notes: NotesSettings {
                tag_pattern: notes
                    .tag_pattern
                    .unwrap_or_else(|| DEFAULT_TAG_PATTERN.to_owned()),
                template: notes.template,
                other_section: notes
                    .other_section
                    .unwrap_or_else(|| DEFAULT_OTHER_SECTION.to_owned()),
            },
            evidence: evidence_settings(&file.evidence.unwrap_or_default()),
            secrets: Secrets {
                key_password: secret(EnvVars::CRABOX_KEY_PASSWORD),
                github_token: secret(EnvVars::GITHUB_TOKEN),
            },
        }
    }
}

fn evidence_settings(evidence: &EvidenceConfig) -> EvidenceSettings {
    let not_applicable = evidence.not_applicable.clone().unwrap_or_default();
    // Every key but `not-applicable` names a document; go through the serialized form so that a
    // key added to `EvidenceConfig` needs no change here.
    let mut documents = BTreeMap::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(evidence) {
        for (key, value) in map {
            if key == "kev-catalog" || key == "require" {
                continue;
            }
            if let serde_json::Value::String(path) = value {
                documents.insert(key, path);
            }
        }
    }
    EvidenceSettings {
        documents,
        not_applicable,
        require: evidence.require.clone().unwrap_or_default(),
        standards: evidence.standards.clone().unwrap_or_default(),
        exploited: evidence.exploited.clone().unwrap_or_default(),
        incidents: evidence.incidents.clone().unwrap_or_default(),
        kev_catalog: evidence.kev_catalog.clone(),
    }
}
