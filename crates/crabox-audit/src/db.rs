//! Advisory databases: the RustSec advisory database as a plain directory (through the `rustsec`
//! crate), and OSV records as JSON or YAML files in a directory tree. A malformed advisory file is
//! skipped with a warning that names it.

use std::path::{Path, PathBuf};

use crabox_types::Severity;
use crabox_types::component::Ecosystem;
use serde::Deserialize;

use crate::advisory::{Advisory, Event, Kind, Matcher};
use crate::error::AuditError;

/// One loaded database.
#[derive(Debug, Clone)]
pub struct Database {
    /// `rustsec` or `osv`.
    pub kind: &'static str,
    pub path: PathBuf,
    pub advisories: Vec<Advisory>,
    /// Advisory files that could not be read, with why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Packages an audit needs advisories for: `(ecosystem, normalised name)`.
pub type Wanted = std::collections::HashSet<(Ecosystem, String)>;

impl Database {
    /// Loads every advisory of the database at `path`, deciding its kind by its layout: a
    /// `crates/` tree of Markdown advisories is RustSec, anything else is searched for OSV
    /// JSON/YAML records.
    pub fn open(path: &Path) -> Result<Database, AuditError> {
        Database::open_filtered(path, None)
    }

    /// Like [`Database::open`], but a RustSec database reads only the directories of the
    /// packages in `wanted` (the database is laid out by crate name), which is what makes an
    /// audit fast.
    pub fn open_for(path: &Path, wanted: &Wanted) -> Result<Database, AuditError> {
        Database::open_filtered(path, Some(wanted))
    }

    fn open_filtered(path: &Path, wanted: Option<&Wanted>) -> Result<Database, AuditError> {
        if !path.is_dir() {
            return Err(AuditError::NoDatabase {
                path: path.to_owned(),
            });
        }
        // RustSec keeps one directory per crate under `crates/`; its OSV export keeps files there.
        let crates = path.join("crates");
        let listing: Option<Vec<(String, bool)>> = fs_err::read_dir(&crates).ok().map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                    (e.file_name().to_string_lossy().into_owned(), is_dir)
                })
                .collect()
        });
        match listing {
            Some(listing) if !listing.is_empty() && listing.iter().all(|(_, dir)| *dir) => {
                let names = listing.into_iter().map(|(name, _)| name).collect();
                Ok(open_rustsec(path, names, wanted))
            }
            _ => open_osv(path),
        }
    }
}

fn rustsec_kind(advisory: &rustsec::Advisory) -> Kind {
    use rustsec::advisory::Informational;
    match &advisory.metadata.informational {
        None => Kind::Vulnerability,
        Some(Informational::Unmaintained) => Kind::Unmaintained,
        Some(Informational::Unsound) => Kind::Unsound,
        Some(_) => Kind::Notice,
    }
}

/// RustSec advisories, one file at a time (a malformed file is skipped and named, where
/// `rustsec::Database::open` would reject the whole database). Toolchain advisories under `rust/`
/// concern rustc and cargo, not crates a lockfile pins, so only `crates/` is read, as cargo-audit
/// does; withdrawn advisories are left out.
fn open_rustsec(path: &Path, crate_names: Vec<String>, wanted: Option<&Wanted>) -> Database {
    use rayon::prelude::*;
    let crates = path.join("crates");
    let dirs: Vec<PathBuf> = crate_names
        .into_iter()
        .filter(|name| wanted.is_none_or(|w| w.contains(&(Ecosystem::Cargo, name.clone()))))
        .map(|name| crates.join(name))
        .collect();
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| fs_err::read_dir(d).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let loaded: Vec<Result<rustsec::Advisory, (PathBuf, String)>> = files
        .par_iter()
        .map(|file| rustsec::Advisory::load_file(file).map_err(|e| (file.clone(), e.to_string())))
        .collect();
    let mut database = Database {
        kind: "rustsec",
        path: path.to_owned(),
        advisories: Vec::new(),
        skipped: Vec::new(),
    };
    for result in loaded {
        let advisory = match result {
            Ok(advisory) => advisory,
            Err(skipped) => {
                database.skipped.push(skipped);
                continue;
            }
        };
        if advisory.withdrawn() {
            continue;
        }
        let cvss = advisory.metadata.cvss.as_ref().map(ToString::to_string);
        database.advisories.push(Advisory {
            id: advisory.id().to_string(),
            aliases: advisory
                .metadata
                .aliases
                .iter()
                .map(ToString::to_string)
                .collect(),
            title: advisory.title().to_owned(),
            ecosystem: Ecosystem::Cargo,
            package: advisory.metadata.package.to_string(),
            kind: rustsec_kind(&advisory),
            severity: cvss.as_deref().and_then(severity_of_vector),
            cvss,
            matcher: Matcher::RustSec(advisory.versions.clone()),
            url: Some(format!("https://rustsec.org/advisories/{}", advisory.id())),
            source: "rustsec".to_owned(),
        });
    }
    database
}

/// The qualitative severity of a CVSS v3 or v4 vector.
pub fn severity_of_vector(vector: &str) -> Option<Severity> {
    cvss_score(vector).map(Severity::from_cvss_score)
}

/// The base score of a CVSS v3 or v4 vector.
pub fn cvss_score(vector: &str) -> Option<f64> {
    if vector.starts_with("CVSS:4") {
        Some(vector.parse::<cvss::v4::Vector>().ok()?.score().value())
    } else if vector.starts_with("CVSS:3") {
        Some(vector.parse::<cvss::v3::Vector>().ok()?.score().value())
    } else {
        None
    }
}

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    withdrawn: Option<serde_json::Value>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvAffected {
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
    #[serde(default)]
    versions: Vec<serde_json::Value>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ecosystem_of(name: &str) -> Option<Ecosystem> {
    match name.split(':').next()? {
        "crates.io" => Some(Ecosystem::Cargo),
        "npm" => Some(Ecosystem::Npm),
        "PyPI" => Some(Ecosystem::Pypi),
        "Go" => Some(Ecosystem::Golang),
        _ => None,
    }
}

/// A package name as the ecosystem compares it.
pub fn normalize(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Pypi => crabox_types::purl::normalize_pypi(name),
        _ => name.to_owned(),
    }
}

fn word_severity(value: Option<&serde_json::Value>) -> Option<Severity> {
    match value?
        .get("severity")?
        .as_str()?
        .to_ascii_lowercase()
        .as_str()
    {
        "low" => Some(Severity::Low),
        "moderate" | "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

fn osv_advisories(record: OsvRecord, source: &str) -> Vec<Advisory> {
    if record.withdrawn.as_ref().is_some_and(|w| !w.is_null()) {
        return Vec::new();
    }
    let record_vector = record
        .severity
        .iter()
        .filter(|s| s.kind.starts_with("CVSS_V"))
        .max_by_key(|s| s.kind.clone())
        .map(|s| s.score.clone());
    let informational = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("informational"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let title = record
        .summary
        .clone()
        .or_else(|| {
            record
                .details
                .as_ref()
                .map(|d| d.lines().next().unwrap_or_default().to_owned())
        })
        .unwrap_or_default();
    let url = record.references.iter().find_map(|r| {
        r.get("url")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    });
    let mut out = Vec::new();
    for affected in record.affected {
        let Some(package) = affected.package else {
            continue;
        };
        let Some(ecosystem) = ecosystem_of(&package.ecosystem) else {
            continue;
        };
        let ranges: Vec<Vec<Event>> = affected
            .ranges
            .iter()
            .filter(|r| r.kind == "ECOSYSTEM" || r.kind == "SEMVER")
            .map(|r| {
                r.events
                    .iter()
                    .filter_map(|e| {
                        let (key, value) = e.iter().next()?;
                        let value = text(value)?;
                        Some(match key.as_str() {
                            "introduced" => Event::Introduced(value),
                            "fixed" => Event::Fixed(value),
                            "last_affected" => Event::LastAffected(value),
                            "limit" => Event::Limit(value),
                            _ => return None,
                        })
                    })
                    .collect()
            })
            .collect();
        let vector = affected
            .severity
            .iter()
            .filter(|s| s.kind.starts_with("CVSS_V"))
            .map(|s| s.score.clone())
            .next()
            .or_else(|| record_vector.clone());
        let severity = vector
            .as_deref()
            .and_then(severity_of_vector)
            .or_else(|| word_severity(affected.database_specific.as_ref()))
            .or_else(|| word_severity(record.database_specific.as_ref()));
        let kind = match informational.as_deref() {
            None => Kind::Vulnerability,
            Some("unmaintained") => Kind::Unmaintained,
            Some("unsound") => Kind::Unsound,
            Some(_) => Kind::Notice,
        };
        out.push(Advisory {
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            title: title.clone(),
            ecosystem,
            package: normalize(ecosystem, &package.name),
            kind,
            severity,
            cvss: vector,
            matcher: Matcher::Osv {
                ranges,
                versions: affected.versions.iter().filter_map(text).collect(),
            },
            url: url.clone(),
            source: source.to_owned(),
        });
    }
    out
}

fn open_osv(path: &Path) -> Result<Database, AuditError> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = fs_err::read_dir(&dir).map_err(|source| AuditError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let file = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(file);
            } else if file
                .extension()
                .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
            {
                files.push(file);
            }
        }
    }
    files.sort();
    let results: Vec<Result<Vec<Advisory>, (PathBuf, String)>> = files
        .par_iter()
        .map(|file| {
            let text = fs_err::read_to_string(file).map_err(|e| (file.clone(), e.to_string()))?;
            let record: OsvRecord = if file.extension().is_some_and(|e| e == "json") {
                serde_json::from_str(&text).map_err(|e| (file.clone(), e.to_string()))?
            } else {
                serde_yaml_ng::from_str(&text).map_err(|e| (file.clone(), e.to_string()))?
            };
            Ok(osv_advisories(record, "osv"))
        })
        .collect();
    let mut database = Database {
        kind: "osv",
        path: path.to_owned(),
        advisories: Vec::new(),
        skipped: Vec::new(),
    };
    for result in results {
        match result {
            Ok(advisories) => database.advisories.extend(advisories),
            Err(skipped) => database.skipped.push(skipped),
        }
    }
    Ok(database)
}
