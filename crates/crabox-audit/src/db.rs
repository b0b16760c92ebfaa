//! Advisory databases: the RustSec advisory database as a plain directory (through the `rustsec`
//! crate), and OSV records as JSON or YAML files in a directory tree or a `.zip` export. A
//! malformed advisory file is skipped with a warning that names it.

use std::path::{Path, PathBuf};

use crabox_types::Severity;
use crabox_types::component::{Ecosystem, Package, Source};
use serde::Deserialize;

use crate::advisory::{Advisory, Event, Kind, Matcher, RustSecVersions};
use crate::error::AuditError;

/// One loaded database.
#[derive(Debug, Clone)]
pub struct Database {
    /// `rustsec` or `osv`.
    pub kind: &'static str,
    pub path: PathBuf,
    /// Every advisory when the database was read directly; through the index, only those of the
    /// wanted packages that affect one of their wanted versions.
    pub advisories: Vec<Advisory>,
    /// Advisory files that could not be read, with why (paths inside the database).
    pub skipped: Vec<(PathBuf, String)>,
    /// The database version: `sha256:` of every advisory file's path and content, in path
    /// order. The same snapshot gives the same id on any machine.
    pub id: String,
    /// Advisories in the whole database (not only those loaded for this audit).
    pub records: usize,
    /// Loaded from the on-disk index rather than parsed from the advisory files.
    pub indexed: bool,
    /// The ecosystems the whole database has at least one advisory for: the ones it covers.
    pub ecosystems: std::collections::BTreeSet<Ecosystem>,
    /// For distribution ecosystems, the releases it has advisories for (`12` of Debian): a
    /// Debian 13 image is not covered by advisories for Debian 12.
    pub releases: std::collections::BTreeSet<(Ecosystem, String)>,
}

/// Packages an audit needs advisories for: `(ecosystem, normalised name)`, with the versions the
/// lockfiles pin (borrowed from them). A load through the index keeps a package's advisories
/// that affect one of them (all of them when none is given), and deserialises only those in
/// full. Most packages are pinned at one version, held without an allocation of its own.
pub type Wanted<'a> = foldhash::HashMap<(Ecosystem, std::borrow::Cow<'a, str>), Versions<'a>>;

/// The versions of one wanted package.
pub type Versions<'a> = smallvec::SmallVec<[&'a str; 1]>;

/// How a database is laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `crates/<name>/<id>.md`.
    RustSec,
    /// OSV JSON/YAML records anywhere in a directory tree.
    OsvTree,
    /// An OSV export as osv.dev publishes it: a `.zip` of JSON records.
    OsvZip,
}

impl Layout {
    /// The layout at `path`: a `.zip` file is an OSV export; a directory whose `crates/` holds
    /// only directories is RustSec; any other directory is searched for OSV records.
    pub(crate) fn of(path: &Path) -> Result<Layout, AuditError> {
        if path.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            return Ok(Layout::OsvZip);
        }
        if !path.is_dir() {
            return Err(AuditError::NoDatabase {
                path: path.to_owned(),
            });
        }
        let crates = path.join("crates");
        let rustsec = fs_err::read_dir(&crates).is_ok_and(|entries| {
            let mut any = false;
            for entry in entries.flatten() {
                any = true;
                if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                    return false;
                }
            }
            any
        });
        Ok(if rustsec {
            Layout::RustSec
        } else {
            Layout::OsvTree
        })
    }

    pub(crate) fn kind(self) -> &'static str {
        match self {
            Layout::RustSec => "rustsec",
            Layout::OsvTree | Layout::OsvZip => "osv",
        }
    }
}

/// One advisory file as read: its path inside the database and what it gave.
pub(crate) struct Parsed {
    pub(crate) file: String,
    pub(crate) digest: [u8; 32],
    pub(crate) result: Result<Vec<Advisory>, String>,
}

/// Parses one advisory file of a database with this layout.
fn parse_file(layout: Layout, file: &str, bytes: &[u8]) -> Result<Vec<Advisory>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if layout == Layout::RustSec {
        let advisory: rustsec::Advisory =
            text.parse().map_err(|e: rustsec::Error| e.to_string())?;
        return Ok(rustsec_advisory(&advisory).into_iter().collect());
    }
    let record: OsvRecord = if extension(file) == "json" {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?
    };
    Ok(osv_advisories(record, "osv"))
}

fn parse_bytes(layout: Layout, file: String, bytes: &[u8]) -> Parsed {
    use sha2::Digest as _;
    Parsed {
        digest: sha2::Sha256::digest(bytes).into(),
        result: parse_file(layout, &file, bytes),
        file,
    }
}

/// The files of a directory database, as `/`-separated paths below `root`, sorted.
pub(crate) fn list_files(layout: Layout, root: &Path) -> Result<Vec<String>, AuditError> {
    let read = |dir: &Path| fs_err::read_dir(dir).map_err(AuditError::read(dir));
    let mut files = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_owned()
        } else {
            root.join(&rel)
        };
        for entry in read(&dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                // RustSec: toolchain advisories under `rust/` concern rustc and cargo, not crates
                // a lockfile pins; cargo-audit leaves them out too.
                let wanted = match layout {
                    Layout::RustSec => child == "crates" || child.starts_with("crates/"),
                    _ => !name.starts_with('.'),
                };
                if wanted {
                    stack.push(child);
                }
            } else if is_record(layout, &name) && (layout != Layout::RustSec || rel.contains('/')) {
                files.push(child);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The extension of a file name, lower-cased.
fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_record(layout: Layout, name: &str) -> bool {
    let extension = extension(name);
    match layout {
        Layout::RustSec => extension == "md",
        Layout::OsvTree => matches!(extension.as_str(), "json" | "yaml" | "yml"),
        Layout::OsvZip => extension == "json",
    }
}

/// Reads and parses every advisory file of the database at `path` (in parallel).
pub(crate) fn read_all(layout: Layout, path: &Path) -> Result<Vec<Parsed>, AuditError> {
    use rayon::prelude::*;
    if layout == Layout::OsvZip {
        return read_zip(path);
    }
    let files = list_files(layout, path)?;
    Ok(files
        .into_par_iter()
        .map(|file| match fs_err::read(path.join(&file)) {
            Ok(bytes) => parse_bytes(layout, file, &bytes),
            Err(e) => Parsed {
                file,
                digest: [0; 32],
                result: Err(e.to_string()),
            },
        })
        .collect())
}

/// The largest advisory record read from a `.zip` export (16 MiB).
const MAX_RECORD: u64 = 16 << 20;

fn read_zip(path: &Path) -> Result<Vec<Parsed>, AuditError> {
    use rayon::prelude::*;
    use std::io::Read as _;
    let bad = |message: String| AuditError::Database {
        path: path.to_owned(),
        message,
    };
    let file = fs_err::File::open(path).map_err(AuditError::read(path))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| bad(format!("entry {i}: {e}")))?
            .into_owned();
        if entry.is_dir() || !is_record(Layout::OsvZip, &name) {
            continue;
        }
        // An OSV record is kilobytes; a larger entry is not one (and is not inflated whole).
        if entry.size() > MAX_RECORD {
            return Err(bad(format!(
                "`{name}` inflates to {} bytes, more than an advisory record can be",
                entry.size()
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        (&mut entry)
            .take(MAX_RECORD)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("`{name}`: {e}")))?;
        entries.push((name, bytes));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries
        .into_par_iter()
        .map(|(name, bytes)| parse_bytes(Layout::OsvZip, name, &bytes))
        .collect())
}

/// The database id of a set of parsed files.
pub(crate) fn id_of(parsed: &[Parsed]) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for file in parsed {
        hasher.update(file.file.as_bytes());
        hasher.update([0]);
        hasher.update(file.digest);
    }
    format!("sha256:{}", crabox_types::encoding::hex(&hasher.finalize()))
}

/// Assembles a database from parsed files.
pub(crate) fn assemble(layout: Layout, path: &Path, parsed: &[Parsed]) -> Database {
    let mut database = Database {
        kind: layout.kind(),
        path: path.to_owned(),
        advisories: Vec::new(),
        skipped: Vec::new(),
        id: id_of(parsed),
        records: 0,
        indexed: false,
        ecosystems: std::collections::BTreeSet::new(),
        releases: std::collections::BTreeSet::new(),
    };
    let mut ids = std::collections::HashSet::new();
    for file in parsed {
        match &file.result {
            Ok(advisories) => {
                for advisory in advisories {
                    ids.insert(advisory.id.clone());
                }
                database.advisories.extend(advisories.iter().cloned());
            }
            Err(why) => database.skipped.push((path.join(&file.file), why.clone())),
        }
    }
    database.records = ids.len();
    database.ecosystems = database.advisories.iter().map(|a| a.ecosystem).collect();
    database.releases = database
        .advisories
        .iter()
        .filter_map(|a| Some((a.ecosystem, release_of(a.ecosystem, &a.package)?.to_owned())))
        .collect();
    // One order whatever the file layout, so that a loaded index gives the same result.
    database
        .advisories
        .sort_by(|a, b| (a.ecosystem, &a.package, &a.id).cmp(&(b.ecosystem, &b.package, &b.id)));
    database
}

impl Database {
    /// Loads every advisory of the database at `path`, without the on-disk index. Its kind comes
    /// from its layout: a `.zip` file is an OSV export, a directory whose `crates/` holds only
    /// directories is RustSec, any other directory is searched for OSV records.
    pub fn open(path: &Path) -> Result<Database, AuditError> {
        let layout = Layout::of(path)?;
        let parsed = read_all(layout, path)?;
        Ok(assemble(layout, path, &parsed))
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

/// One RustSec advisory in the common shape; `None` when withdrawn.
fn rustsec_advisory(advisory: &rustsec::Advisory) -> Option<Advisory> {
    if advisory.withdrawn() {
        return None;
    }
    let cvss = advisory.metadata.cvss.as_ref().map(ToString::to_string);
    Some(Advisory {
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
        kind: rustsec_kind(advisory),
        severity: cvss.as_deref().and_then(severity_of_vector),
        cvss,
        matcher: Matcher::RustSec(RustSecVersions::from(&advisory.versions)),
        url: Some(format!("https://rustsec.org/advisories/{}", advisory.id())),
        source: "rustsec".to_owned(),
        published: Some(advisory.metadata.date.to_string()),
    })
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
    #[serde(default)]
    published: Option<String>,
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
        "Packagist" => Some(Ecosystem::Packagist),
        "RubyGems" => Some(Ecosystem::RubyGems),
        "NuGet" => Some(Ecosystem::NuGet),
        "Pub" => Some(Ecosystem::Pub),
        "Maven" => Some(Ecosystem::Maven),
        "SwiftURL" => Some(Ecosystem::Swift),
        "ConanCenter" => Some(Ecosystem::Conan),
        // Ubuntu's dpkg packages, keyed by its own releases (`ubuntu:22.04/…`).
        "Debian" | "Ubuntu" => Some(Ecosystem::Debian),
        "Alpine" => Some(Ecosystem::Alpine),
        "Red Hat" | "AlmaLinux" | "Rocky Linux" => Some(Ecosystem::Rpm),
        _ => None,
    }
}

/// The key and version advisories list a package under: the name as the ecosystem compares it
/// (`normalize`), and for a distribution's package its source package prefixed by the release
/// (`12/openssl`, `v3.20/busybox`), since distributions publish advisories per release and per
/// source package. `None` for what no advisory is about: git, path and URL sources, and other
/// registries (whose packages need not be the default registry's of that name).
pub fn package_key(package: &Package) -> Option<(std::borrow::Cow<'_, str>, &str)> {
    match &package.source {
        Source::Registry => Some((
            normalize(package.ecosystem, &package.name),
            &package.version,
        )),
        // RPM distributions publish advisories per binary package.
        Source::Distribution(d) if package.ecosystem == Ecosystem::Rpm => Some((
            format!("{}/{}", d.osv_release(package.ecosystem), package.name).into(),
            &package.version,
        )),
        Source::Distribution(d) if package.ecosystem.is_distribution() => {
            let name = d.upstream.as_deref().unwrap_or(&package.name);
            let version = d.upstream_version.as_deref().unwrap_or(&package.version);
            Some((
                format!("{}/{name}", d.osv_release(package.ecosystem)).into(),
                version,
            ))
        }
        _ => None,
    }
}

/// The release part of a distribution package's key (`12` of `12/openssl`).
pub fn release_of(ecosystem: Ecosystem, key: &str) -> Option<&str> {
    if ecosystem.is_distribution() {
        key.rsplit_once('/').map(|(release, _)| release)
    } else {
        None
    }
}

/// The key of an OSV record's package: its name, and for a distribution the release named
/// after the ecosystem (`Debian:12` → `12/openssl`).
fn osv_key(ecosystem: Ecosystem, osv_ecosystem: &str, name: &str) -> String {
    if ecosystem == Ecosystem::Rpm {
        // As `Distribution::osv_release` names them: `rhel:9`, `almalinux:9`, `rocky:9`.
        let release = match osv_ecosystem.split(':').collect::<Vec<_>>().as_slice() {
            ["Red Hat", product, version, ..] if product.starts_with("enterprise_linux") => {
                format!("rhel:{}", version.split('.').next().unwrap_or_default())
            }
            ["AlmaLinux", version, ..] => format!("almalinux:{version}"),
            ["Rocky Linux", version, ..] => format!("rocky:{version}"),
            _ => String::new(),
        };
        return format!("{release}/{name}");
    }
    if ecosystem.is_distribution() {
        // `Ubuntu:22.04:LTS` is Ubuntu 22.04, as `Distribution::osv_release` names it
        // (`ubuntu:22.04`); `Ubuntu:Pro:…` concerns Ubuntu Pro systems only and is left out.
        if let Some(rest) = osv_ecosystem.strip_prefix("Ubuntu:") {
            let release = rest.split(':').next().unwrap_or_default();
            if release.is_empty() || release == "Pro" {
                return String::new();
            }
            return format!("ubuntu:{release}/{name}");
        }
        let release = osv_ecosystem.split_once(':').map_or("", |(_, r)| r);
        format!("{release}/{name}")
    } else {
        normalize(ecosystem, name).into_owned()
    }
}

/// A package name as the ecosystem compares it.
pub fn normalize(ecosystem: Ecosystem, name: &str) -> std::borrow::Cow<'_, str> {
    match ecosystem {
        Ecosystem::Pypi => crabox_types::purl::normalize_pypi(name).into(),
        // NuGet ids compare without case.
        Ecosystem::NuGet => name.to_ascii_lowercase().into(),
        _ => name.into(),
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

/// The day of an RFC 3339 time (what the reports show), when it is one.
fn day_of(time: Option<&str>) -> Option<String> {
    time.and_then(|t| t.get(..10))
        .filter(|day| day.parse::<crabox_types::Date>().is_ok())
        .map(str::to_owned)
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
    let published = day_of(record.published.as_deref());
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
            package: osv_key(ecosystem, &package.ecosystem, &package.name),
            kind,
            severity,
            cvss: vector,
            matcher: Matcher::Osv {
                ranges,
                versions: affected.versions.iter().filter_map(text).collect(),
            },
            url: url.clone(),
            source: source.to_owned(),
            published: published.clone(),
        });
    }
    out
}
