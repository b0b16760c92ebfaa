//! `crabox watch`: the releases a manufacturer still supports, re-audited from their bundles'
//! SBOMs against today's databases (no checkout needed), and what changed since each bundle was
//! made: new vulnerabilities, newly known-exploited ones (a KEV catalogue), new fixes.
//!
//! Sources are evidence bundles (a directory with `manifest.json`, or its `.tar.gz`), and
//! directories searched for bundles and CycloneDX/SPDX files. A bundle is used only when every
//! file matches its manifest: a tampered one is reported, never audited. A release whose
//! `support_end` (from its `cra/report.json`) has passed is reported as such and not audited.
//!
//! The first time watch sees each open vulnerability, and each known-exploited one, is kept in a
//! state file, so that the Article 14 clock (awareness, the 24-hour early warning, the 72-hour
//! notification) does not move on later runs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_audit::Kind;
use crabox_audit::policy::Status;
use crabox_sbom::{Format, Inventory};
use crabox_types::{Date, Severity};
use serde::{Deserialize, Serialize};

use crate::Run;

/// How deep a source directory is searched, and how many sources are taken.
const MAX_DEPTH: usize = 6;
const MAX_SOURCES: usize = 100_000;
/// The largest SBOM or report read from a bundle directory.
const MAX_FILE: u64 = 256 << 20;

/// One thing to watch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// An evidence bundle directory (it has `manifest.json`).
    Bundle(PathBuf),
    /// An evidence bundle archive (`.tar.gz`).
    Archive(PathBuf),
    /// A CycloneDX or SPDX JSON SBOM on its own (no support period, no earlier audit).
    Sbom(PathBuf),
    /// An evidence bundle in an OCI registry (`registry/repository:tag`).
    Oci(String),
    /// The evidence bundle archive attached to a GitHub release.
    GitHub {
        /// `owner/name`
        slug: String,
        tag: String,
        asset: u64,
        name: String,
        size: u64,
    },
}

impl Source {
    /// The file or directory, for a source on disk.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Bundle(p) | Source::Archive(p) | Source::Sbom(p) => Some(p),
            Source::Oci(_) | Source::GitHub { .. } => None,
        }
    }

    /// How the source is shown when it is not a path.
    pub fn shown(&self) -> Option<String> {
        match self {
            Source::Oci(reference) => Some(format!("oci://{reference}")),
            Source::GitHub {
                slug, tag, name, ..
            } => Some(format!("github:{slug}@{tag}/{name}")),
            _ => None,
        }
    }
}

/// How to reach the remote sources: the client options of each registry that `oci://` sources
/// name (by `host[:port]`), and the GitHub API for `github:` sources.
#[derive(Default, Clone)]
pub struct Registries {
    pub oci: BTreeMap<String, crate::oci::Options>,
    /// `GITHUB_API_URL`, else `https://api.github.com`.
    pub github_api: String,
    /// `GITHUB_TOKEN`, or empty (anonymous: public repositories only). Never shown.
    pub github_token: String,
}

/// The largest release asset read.
const MAX_ASSET: u64 = 1 << 30;

/// The evidence bundle archives of a GitHub repository's published releases: of each release,
/// the `.tar.gz` asset named `<product>-<version>.tar.gz` for its tag (`v` dropped), as `crabox
/// publish` attaches it.
fn discover_github(text: &str, registries: &Registries) -> anyhow::Result<Vec<Source>> {
    let slug = text.trim_start_matches("github:");
    let valid = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match slug.split_once('/') {
        Some((owner, name)) if valid(owner) && valid(name) => {}
        _ => anyhow::bail!("`{text}`: expected github:OWNER/NAME"),
    }
    let client =
        crabox_github::Client::new(&registries.github_api, &registries.github_token, slug)?;
    let mut out = Vec::new();
    for release in client.releases()? {
        let version = release.tag_name.trim_start_matches('v');
        let suffix = format!("-{version}.tar.gz");
        for asset in release.assets.iter().filter(|a| a.name.ends_with(&suffix)) {
            out.push(Source::GitHub {
                slug: slug.to_owned(),
                tag: release.tag_name.clone(),
                asset: asset.id,
                name: asset.name.clone(),
                size: asset.size,
            });
        }
    }
    if out.is_empty() {
        tracing::warn!("{text}: no evidence bundle archive among its releases' assets");
    }
    Ok(out)
}

/// Whether `tag` matches `pattern`, where `*` matches any run of characters.
fn tag_matches(pattern: &str, tag: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == tag;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !tag.starts_with(first) || tag.len() < first.len() + last.len() || !tag.ends_with(last) {
        return false;
    }
    let mut rest = &tag[first.len()..tag.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The evidence bundles an `oci://` source names: its tag, or every tag of the repository (that
/// `*` in the tag matches) whose manifest is an evidence artifact. The referrers tag schema's
/// indexes (`sha256-…`) and other artifacts (the release images) are passed over.
fn discover_oci(text: &str, registries: &Registries) -> anyhow::Result<Vec<Source>> {
    let bare = text.trim_start_matches("oci://");
    // A `*` is not valid in a reference: parse the repository without the tag pattern.
    let (repository, pattern) = match bare.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (bare, None),
    };
    if bare.contains('@') || pattern.is_some_and(|p| !p.contains('*')) {
        crate::oci::parse_reference(bare)?;
        return Ok(vec![Source::Oci(bare.to_owned())]);
    }
    let reference = crate::oci::parse_reference(repository)?;
    let options = registries
        .oci
        .get(reference.registry())
        .cloned()
        .unwrap_or_default();
    let registry = crate::oci::Registry::new(&options)?;
    let mut out = Vec::new();
    for tag in registry.tags(repository)? {
        if tag.starts_with("sha256-") || !pattern.is_none_or(|p| tag_matches(p, &tag)) {
            continue;
        }
        let full = format!("{repository}:{tag}");
        if registry.is_evidence(&full)? {
            out.push(Source::Oci(full));
        } else {
            tracing::debug!("{full}: not an evidence artifact, passed over");
        }
    }
    if out.is_empty() {
        tracing::warn!("{text}: no evidence bundle among its tags");
    }
    Ok(out)
}

fn is_sbom_name(name: &str) -> bool {
    name.ends_with(".cdx.json") || name.ends_with(".spdx.json") || name == "bom.json"
}

/// The sources under `paths`, sorted: a bundle directory is not searched inside.
pub fn discover(paths: &[PathBuf], registries: &Registries) -> anyhow::Result<Vec<Source>> {
    let mut out = BTreeSet::new();
    for path in paths {
        let text = path.to_string_lossy();
        if text.starts_with("oci://") {
            out.extend(discover_oci(&text, registries)?);
            continue;
        }
        if text.starts_with("github:") {
            out.extend(discover_github(&text, registries)?);
            continue;
        }
        let metadata = fs_err::metadata(path).with_context(|| {
            format!(
                "`{}` is not a bundle, an SBOM or a directory",
                path.display()
            )
        })?;
        if metadata.is_file() {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with(".tar.gz") {
                out.insert(Source::Archive(path.clone()));
            } else if name.ends_with(".json") {
                out.insert(Source::Sbom(path.clone()));
            } else {
                anyhow::bail!(
                    "`{}`: expected an evidence bundle (a directory or .tar.gz), a CycloneDX/SPDX JSON SBOM, or a directory of them",
                    path.display()
                );
            }
            continue;
        }
        let mut stack = vec![(path.clone(), 0)];
        while let Some((dir, depth)) = stack.pop() {
            if dir.join(crabox_evidence::manifest::MANIFEST).is_file() {
                out.insert(Source::Bundle(dir));
                continue;
            }
            let Ok(entries) = fs_err::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                if kind.is_dir() && depth < MAX_DEPTH {
                    stack.push((entry.path(), depth + 1));
                } else if kind.is_file() && name.ends_with(".tar.gz") {
                    out.insert(Source::Archive(entry.path()));
                } else if kind.is_file() && is_sbom_name(&name) {
                    out.insert(Source::Sbom(entry.path()));
                }
            }
            anyhow::ensure!(
                out.len() <= MAX_SOURCES,
                "more than {MAX_SOURCES} sources under `{}`",
                path.display()
            );
        }
    }
    Ok(out.into_iter().collect())
}

/// `I/N` (1-based): shard I of N.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}`: expected I/N, e.g. 2/8"))?;
    let (i, n): (usize, usize) = (
        i.trim()
            .parse()
            .map_err(|_| format!("`{text}`: I is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("`{text}`: N is not a number"))?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(format!("`{text}`: expected 1 <= I <= N"));
    }
    Ok((i, n))
}

/// The sources of shard `i` of `n`: every n-th of the sorted list, so shards differ in size by
/// at most one and every source is in exactly one shard.
pub fn shard<T>(sources: Vec<T>, (i, n): (usize, usize)) -> Vec<T> {
    sources
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % n == i - 1)
        .map(|(_, s)| s)
        .collect()
}

/// A finding of an earlier audit: its advisory and package, and whether a fix was known.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Earlier {
    key: (String, String),
    fixed: bool,
}

/// What a source holds for watch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    /// The source as shown (relative to the directory watch runs in).
    pub source: String,
    pub product: String,
    pub version: String,
    pub support_end: Option<Date>,
    /// The SBOM's name in the source and its text.
    sbom: (String, String),
    /// The findings the bundle recorded (`audit/findings.json`); `None` without one.
    earlier: Option<Vec<Earlier>>,
    /// The advisories the bundle's report already knew to be exploited.
    exploited_before: BTreeSet<String>,
}

fn json_of(what: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{what}: not valid JSON: {e}"))
}

/// The product name and version an SBOM states, read without building its components (they
/// are skipped by the parser, not allocated): the catalog reads them later.
fn sbom_head(what: &str, text: &str) -> Result<(String, String), String> {
    use serde::de::IgnoredAny;
    #[derive(Deserialize)]
    struct Component {
        #[serde(default)]
        name: String,
        #[serde(default)]
        version: String,
    }
    #[derive(Deserialize)]
    struct Metadata {
        component: Option<Component>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        bom_format: Option<IgnoredAny>,
        metadata: Option<Metadata>,
        spdx_version: Option<IgnoredAny>,
        #[serde(default)]
        name: Option<String>,
    }
    let head: Head =
        serde_json::from_str(text).map_err(|e| format!("{what}: not valid JSON: {e}"))?;
    if head.bom_format.is_some() {
        let component = head.metadata.and_then(|m| m.component);
        Ok(component.map_or_else(Default::default, |c| (c.name, c.version)))
    } else if head.spdx_version.is_some() {
        Ok((head.name.unwrap_or_default(), String::new()))
    } else {
        Err("neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON document".into())
    }
}

/// Reads a bundle's files (already checked against its manifest) into a release.
fn from_bundle(source: String, files: &BTreeMap<String, Vec<u8>>) -> Result<Release, String> {
    let report = files
        .get("cra/report.json")
        .ok_or("no cra/report.json: not a crabox evidence bundle")?;
    let report = json_of("cra/report.json", report)?;
    let text = |key: &str| {
        report
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    };
    let support_end = match report
        .get("support_end")
        .and_then(serde_json::Value::as_str)
    {
        Some(end) => Some(
            end.parse::<Date>()
                .map_err(|_| format!("cra/report.json: support_end `{end}` is not a date"))?,
        ),
        None => None,
    };
    let sbom = files
        .iter()
        .find(|(name, _)| name.starts_with("sbom/") && name.ends_with(".cdx.json"))
        .or_else(|| {
            files
                .iter()
                .find(|(name, _)| name.starts_with("sbom/") && name.ends_with(".spdx.json"))
        })
        .ok_or("no SBOM (sbom/*.cdx.json or sbom/*.spdx.json) in the bundle")?;
    let sbom_text =
        String::from_utf8(sbom.1.clone()).map_err(|_| format!("{}: not UTF-8", sbom.0))?;
    let earlier = match files.get("audit/findings.json") {
        Some(bytes) => {
            let findings = json_of("audit/findings.json", bytes)?;
            Some(
                findings
                    .get("findings")
                    .and_then(serde_json::Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| {
                        let id = f.get("id")?.as_str()?.to_owned();
                        let purl = f.pointer("/package/purl")?.as_str()?.to_owned();
                        let fixed = f
                            .get("patched")
                            .and_then(serde_json::Value::as_array)
                            .is_some_and(|p| !p.is_empty());
                        Some(Earlier {
                            key: (id, purl),
                            fixed,
                        })
                    })
                    .collect(),
            )
        }
        None => None,
    };
    let exploited_before = report
        .pointer("/article14/vulnerabilities")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| Some(v.get("id")?.as_str()?.to_owned()))
        .collect();
    Ok(Release {
        source,
        product: text("product").to_owned(),
        version: text("version").to_owned(),
        support_end,
        sbom: (sbom.0.clone(), sbom_text),
        earlier,
        exploited_before,
    })
}

/// The release a source holds, or why it cannot be watched (a tampered bundle, a limit passed,
/// a file that is not an SBOM).
pub fn load(source: &Source, shown: String, registries: &Registries) -> Result<Release, String> {
    match source {
        Source::Oci(reference) => {
            let registry = crate::oci::parse_reference(reference)
                .map(|r| r.registry().to_owned())
                .map_err(|e| e.to_string())?;
            let options = registries.oci.get(&registry).cloned().unwrap_or_default();
            let (_, bundle) = crate::oci::pull(reference, &options).map_err(|e| e.to_string())?;
            let checked =
                crabox_evidence::check::in_memory(&shown, &bundle).map_err(|e| e.to_string())?;
            refuse_problems(&checked)?;
            from_bundle(shown, &bundle.files)
        }
        Source::Bundle(dir) => {
            let checked = crabox_evidence::check::directory(dir).map_err(|e| e.to_string())?;
            refuse_problems(&checked)?;
            let mut files = BTreeMap::new();
            for entry in &checked.manifest.files {
                if entry.path == "cra/report.json"
                    || entry.path == "audit/findings.json"
                    || entry.path.starts_with("sbom/")
                {
                    let path = dir.join(&entry.path);
                    let size = fs_err::metadata(&path).map_err(|e| e.to_string())?.len();
                    if size > MAX_FILE {
                        return Err(format!("{}: larger than {MAX_FILE} bytes", entry.path));
                    }
                    files.insert(
                        entry.path.clone(),
                        fs_err::read(&path).map_err(|e| e.to_string())?,
                    );
                }
            }
            from_bundle(shown, &files)
        }
        Source::GitHub {
            slug,
            asset,
            name,
            size,
            ..
        } => {
            let client =
                crabox_github::Client::new(&registries.github_api, &registries.github_token, slug)
                    .map_err(|e| e.to_string())?;
            let asset = crabox_github::Asset {
                id: *asset,
                name: name.clone(),
                size: *size,
            };
            let bytes = client
                .download(&asset, MAX_ASSET)
                .map_err(|e| e.to_string())?;
            // The archive reader takes a file: the archive is kept, never unpacked.
            let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut file, &bytes).map_err(|e| e.to_string())?;
            drop(bytes);
            let archive = crabox_evidence::archive::read(
                file.path(),
                &crabox_evidence::archive::Limits::default(),
            )
            .map_err(|e| e.to_string())?;
            let checked =
                crabox_evidence::check::in_memory(&shown, &archive).map_err(|e| e.to_string())?;
            refuse_problems(&checked)?;
            from_bundle(shown, &archive.files)
        }
        Source::Archive(path) => {
            let archive =
                crabox_evidence::archive::read(path, &crabox_evidence::archive::Limits::default())
                    .map_err(|e| e.to_string())?;
            let checked =
                crabox_evidence::check::in_memory(&shown, &archive).map_err(|e| e.to_string())?;
            refuse_problems(&checked)?;
            from_bundle(shown, &archive.files)
        }
        Source::Sbom(path) => {
            let size = fs_err::metadata(path).map_err(|e| e.to_string())?.len();
            if size > MAX_FILE {
                return Err(format!("larger than {MAX_FILE} bytes"));
            }
            let text = fs_err::read_to_string(path).map_err(|e| e.to_string())?;
            let (product, version) = sbom_head(&shown, &text)?;
            Ok(Release {
                source: shown.clone(),
                product,
                version,
                support_end: None,
                sbom: (shown, text),
                earlier: None,
                exploited_before: BTreeSet::new(),
            })
        }
    }
}

fn refuse_problems(checked: &crabox_evidence::check::Checked) -> Result<(), String> {
    if checked.problems.is_empty() {
        return Ok(());
    }
    let problems: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
    Err(format!(
        "does not match its manifest, not audited: {}",
        problems.join("; ")
    ))
}

/// The packages of a release's SBOM.
fn inventory(release: &Release) -> Result<Inventory, String> {
    let format = if release.sbom.1.contains("\"bomFormat\"") {
        Format::CycloneDxImport
    } else {
        Format::SpdxImport
    };
    let context = crabox_sbom::catalog::Context {
        display: format!("{}:{}", release.source, release.sbom.0),
        ..crabox_sbom::catalog::Context::default()
    };
    let parsed = crabox_sbom::catalog::parse(format, &release.sbom.1, &context)
        .map_err(|e| e.to_string())?;
    Ok(Inventory {
        lockfiles: vec![parsed.into_lockfile(context.display.clone(), format)],
        ..Inventory::default()
    })
}

/// What watch remembers between runs: when it first saw each open vulnerability, and each
/// known-exploited one, per release.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub schema_version: u32,
    /// `product@version` → `ID purl` → first seen (RFC 3339).
    #[serde(default)]
    pub seen: BTreeMap<String, BTreeMap<String, String>>,
    /// `product@version` → `ID` → first seen as exploited (RFC 3339): the Article 14 awareness.
    #[serde(default)]
    pub exploited: BTreeMap<String, BTreeMap<String, String>>,
}

impl State {
    pub fn read(path: &Path) -> anyhow::Result<State> {
        match fs_err::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{}: not a crabox watch state file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                schema_version: 1,
                ..State::default()
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the state serializes") + "\n"
    }
}

/// One vulnerability in a watched release.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub version: String,
    pub purl: String,
    pub severity: Option<Severity>,
    pub fix: Option<String>,
    /// Listed in the KEV catalogue (by its id or an alias).
    pub exploited: bool,
    /// When watch first saw it (RFC 3339).
    pub first_seen: String,
    /// For an exploited one: the Article 14 deadlines from the awareness (`first_seen` as
    /// exploited): early warning (24 h) and notification (72 h).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article14: Option<Clock>,
}

/// Article 14 deadlines of an actively exploited vulnerability.
#[derive(Debug, Clone, Serialize)]
pub struct Clock {
    pub aware_since: String,
    pub early_warning_due: String,
    pub notification_due: String,
}

/// How a release fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Re-audited.
    Audited,
    /// Its support period ended: not audited.
    PastSupport,
    /// The source could not be used (tampered, unreadable): not audited.
    Refused,
}

/// One watched release.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    pub source: String,
    pub product: String,
    pub version: String,
    pub support_end: Option<String>,
    pub outcome: Outcome,
    /// Why it was not audited, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether an earlier audit (the bundle's) was there to compare with.
    pub compared_with_bundle: bool,
    /// Open vulnerabilities that the bundle's audit did not report (all of them without one).
    pub new: Vec<Entry>,
    /// Known-exploited now and not in the bundle's Article 14 list.
    pub newly_exploited: Vec<Entry>,
    /// Reported by the bundle without a fix, and with one now.
    pub new_fixes: Vec<Entry>,
    /// Every open vulnerability now.
    pub open: usize,
    /// Those vulnerabilities, for the documents `--out` writes (not in the JSON output, which
    /// lists what changed).
    #[serde(skip)]
    pub open_entries: Vec<Entry>,
    /// Ecosystems of the SBOM no database covered: not checked.
    pub unchecked: Vec<String>,
}

impl Watched {
    /// A new exploited or critical vulnerability in a supported release, or a source refused.
    pub fn fails(&self) -> bool {
        self.outcome == Outcome::Refused
            || !self.newly_exploited.is_empty()
            || self
                .new
                .iter()
                .any(|e| e.exploited || e.severity == Some(Severity::Critical))
    }
}

/// Everything one run of watch found.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    pub schema_version: u32,
    /// When watch ran (RFC 3339): support periods and first-seen times are judged by it.
    pub time: String,
    pub shard: Option<String>,
    pub releases: Vec<Watched>,
}

impl Watch {
    pub fn failed(&self) -> bool {
        self.releases.iter().any(Watched::fails)
    }
}

fn add_hours(time: i64, hours: i64) -> String {
    crabox_types::rfc3339(time + hours * 3600).unwrap_or_default()
}

/// A release as the first pass leaves it: what is needed to report it, without its SBOM.
struct Summary {
    source: String,
    product: String,
    version: String,
    support_end: Option<Date>,
    /// Why it is not audited (refused or past its support period), when it is not.
    skipped: Option<(Outcome, String)>,
}

/// What the bundle's own audit said of a vulnerability found now.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    /// The bundle has no audit to compare with.
    Unknown,
    /// The bundle's audit did not report it.
    Absent,
    /// Reported, with or without a fix.
    Reported { fixed: bool },
}

/// One open vulnerability as the second pass finds it.
struct Open {
    entry: Entry,
    before: Before,
    exploited_before: bool,
}

/// A release audited by the second pass: its open vulnerabilities, the ecosystems no database
/// covered, and whether the bundle had an audit to compare with.
struct Audited {
    open: Vec<Open>,
    unchecked: Vec<String>,
    compared: bool,
}

/// The packages of every release, each `(ecosystem, name, version)` once: what the databases
/// are opened for.
/// The distinct packages of many inventories, gathered as they come (in parallel folds, then
/// merged), so that memory holds the distinct packages, not every release's.
#[derive(Default)]
struct Union {
    seen: std::collections::HashSet<(crabox_types::component::Ecosystem, String, String)>,
    packages: Vec<crabox_types::component::Package>,
}

impl Union {
    fn add(&mut self, packages: impl IntoIterator<Item = crabox_types::component::Package>) {
        for package in packages {
            if self.seen.insert((
                package.ecosystem,
                package.name.clone(),
                package.version.clone(),
            )) {
                self.packages.push(package);
            }
        }
    }

    fn into_inventory(self) -> Inventory {
        Inventory {
            lockfiles: vec![crabox_types::component::Lockfile {
                path: "watched SBOMs".into(),
                format: Format::CycloneDxImport,
                packages: self.packages,
                direct: Vec::new(),
                complete: true,
                graph_complete: false,
                diagnostics: Vec::new(),
            }],
            ..Inventory::default()
        }
    }
}

/// Re-audits the releases of `sources` (shown path, source) with the databases `db` names (else
/// the cached ones), updating `state`; `kev` is the KEV catalogue (CVE → date added), when
/// given. Two passes, each in parallel and one release at a time, so that memory does not grow
/// with the number of releases: the first lists every package (the databases are opened for
/// them) and what each release is; the second re-reads each supported release and audits it.
#[allow(clippy::too_many_lines)]
pub fn watch(
    run: &Run<'_>,
    db: &[PathBuf],
    sources: &[(String, Source)],
    kev: Option<&BTreeMap<String, Date>>,
    state: &mut State,
    shard: Option<String>,
    registries: &Registries,
) -> anyhow::Result<Watch> {
    use rayon::prelude::*;
    let now = crate::time::report_time(run)?;
    let now_text = crabox_types::rfc3339(now).context("the time is out of range")?;
    let today = Date::from_unix_seconds(now).context("the time is out of range")?;
    // A remote bundle (OCI, GitHub) is downloaded once: what the first pass read of it is
    // spooled to a temporary file (not kept in memory) for the second.
    let spool = if sources.iter().any(|(_, s)| s.path().is_none()) {
        Some(tempfile::tempdir().context("could not make a temporary directory")?)
    } else {
        None
    };
    let spooled = |k: usize| spool.as_ref().map(|d| d.path().join(format!("{k}.json")));
    // The first pass over one source: what it is, and its packages when it is audited.
    let read = |k: usize, shown: &String, source: &Source| -> (Summary, Option<Inventory>) {
        let summary = |release: Option<&Release>, skipped| Summary {
            source: shown.clone(),
            product: release.map(|r| r.product.clone()).unwrap_or_default(),
            version: release.map(|r| r.version.clone()).unwrap_or_default(),
            support_end: release.and_then(|r| r.support_end),
            skipped,
        };
        let release = match load(source, shown.clone(), registries) {
            Ok(release) => release,
            Err(why) => return (summary(None, Some((Outcome::Refused, why))), None),
        };
        if let Some(end) = release.support_end.filter(|end| *end < today) {
            let why = format!("its support period ended on {end}: not audited");
            return (
                summary(Some(&release), Some((Outcome::PastSupport, why))),
                None,
            );
        }
        if let (None, Some(file)) = (source.path(), spooled(k))
            && let Ok(bytes) = serde_json::to_vec(&release)
        {
            let _ = fs_err::write(file, bytes);
        }
        match inventory(&release) {
            Ok(inventory) => (summary(Some(&release), None), Some(inventory)),
            Err(why) => (summary(Some(&release), Some((Outcome::Refused, why))), None),
        }
    };
    let (mut first, all) = sources
        .par_iter()
        .enumerate()
        .map(|(k, (shown, source))| (k, read(k, shown, source)))
        .fold(
            || (Vec::new(), Union::default()),
            |(mut summaries, mut union), (index, (summary, inventory))| {
                summaries.push((index, summary));
                if let Some(inventory) = inventory {
                    union.add(inventory.lockfiles.into_iter().flat_map(|l| l.packages));
                }
                (summaries, union)
            },
        )
        .reduce(
            || (Vec::new(), Union::default()),
            |(mut summaries, mut union), (more, other)| {
                summaries.extend(more);
                union.add(other.packages);
                (summaries, union)
            },
        );
    first.sort_by_key(|(index, _)| *index);
    let summaries: Vec<Summary> = first.into_iter().map(|(_, summary)| summary).collect();
    let all = all.into_inventory();
    let audited = summaries.iter().filter(|s| s.skipped.is_none()).count();
    let mut findings: Vec<Option<Audited>> = Vec::new();
    if audited > 0 {
        let (databases, notices) = crate::databases::open(run, db, &[&all])?;
        drop(all);
        for notice in notices {
            tracing::warn!("{}", notice.message);
        }
        let databases = match databases {
            crate::Step::Ran(databases) => databases,
            crate::Step::NotRun(_) => {
                return Err(crate::Error::NoDatabase { detail: None }.into());
            }
        };
        let policy = crate::assess::policy(run, Some(None), true)?;
        let exploited = |finding: &crabox_audit::Finding| {
            kev.is_some_and(|kev| {
                std::iter::once(&finding.id)
                    .chain(&finding.aliases)
                    .any(|id| kev.contains_key(id))
            })
        };
        findings = sources
            .par_iter()
            .enumerate()
            .zip(&summaries)
            .map(|((k, (shown, source)), summary)| {
                if summary.skipped.is_some() {
                    return None;
                }
                // Read again (the first pass kept nothing of it); it was whole a moment ago. A
                // remote one from the spool, where the first pass left it.
                let release = match spooled(k)
                    .and_then(|file| fs_err::read(file).ok())
                    .and_then(|bytes| serde_json::from_slice::<Release>(&bytes).ok())
                {
                    Some(release) => release,
                    None => load(source, shown.clone(), registries).ok()?,
                };
                let inventory = inventory(&release).ok()?;
                let assessment = crate::assess::assess(&inventory, &databases, &policy);
                let earlier: Option<BTreeMap<(String, String), bool>> = release
                    .earlier
                    .as_ref()
                    .map(|e| e.iter().map(|e| (e.key.clone(), e.fixed)).collect());
                let mut listed = BTreeSet::new();
                let mut open = Vec::new();
                for (finding, status) in &assessment.outcome.findings {
                    if finding.kind != Kind::Vulnerability || *status != Status::Open {
                        continue;
                    }
                    let key = (finding.id.clone(), finding.purl.clone());
                    if !listed.insert(key.clone()) {
                        continue;
                    }
                    open.push(Open {
                        before: match earlier.as_ref().map(|e| e.get(&key).copied()) {
                            None => Before::Unknown,
                            Some(None) => Before::Absent,
                            Some(Some(fixed)) => Before::Reported { fixed },
                        },
                        exploited_before: release.exploited_before.contains(&finding.id),
                        entry: Entry {
                            id: finding.id.clone(),
                            aliases: finding.aliases.clone(),
                            package: finding.package.clone(),
                            version: finding.version.clone(),
                            purl: finding.purl.clone(),
                            severity: finding.severity,
                            fix: finding.fix.clone(),
                            exploited: exploited(finding),
                            first_seen: String::new(),
                            article14: None,
                        },
                    });
                }
                let unchecked = assessment
                    .outcome
                    .unchecked()
                    .map(|c| c.ecosystem.osv_name().to_owned())
                    .collect();
                Some(Audited {
                    open,
                    unchecked,
                    compared: release.earlier.is_some(),
                })
            })
            .collect();
    }
    let mut out = Vec::new();
    for (k, summary) in summaries.into_iter().enumerate() {
        let mut watched = Watched {
            source: summary.source,
            product: summary.product,
            version: summary.version,
            support_end: summary.support_end.map(|d| d.to_string()),
            outcome: Outcome::Audited,
            reason: None,
            compared_with_bundle: false,
            new: Vec::new(),
            newly_exploited: Vec::new(),
            new_fixes: Vec::new(),
            open: 0,
            open_entries: Vec::new(),
            unchecked: Vec::new(),
        };
        if let Some((outcome, why)) = summary.skipped {
            watched.outcome = outcome;
            watched.reason = Some(why);
            out.push(watched);
            continue;
        }
        let Some(Some(Audited {
            open,
            unchecked,
            compared,
        })) = findings.get_mut(k).map(Option::take)
        else {
            watched.outcome = Outcome::Refused;
            watched.reason = Some("changed while it was being watched".into());
            out.push(watched);
            continue;
        };
        watched.compared_with_bundle = compared;
        watched.unchecked = unchecked;
        watched.open = open.len();
        let key = format!("{}@{}", watched.product, watched.version);
        let seen = state.seen.entry(key.clone()).or_default();
        let exploited_seen = state.exploited.entry(key).or_default();
        for Open {
            mut entry,
            before,
            exploited_before,
        } in open
        {
            entry.first_seen.clone_from(
                seen.entry(format!("{} {}", entry.id, entry.purl))
                    .or_insert_with(|| now_text.clone()),
            );
            if entry.exploited {
                let aware = exploited_seen
                    .entry(entry.id.clone())
                    .or_insert_with(|| now_text.clone())
                    .clone();
                let aware_time = aware
                    .parse::<crabox_types::Timestamp>()
                    .map_or(now, crabox_types::Timestamp::unix_seconds);
                entry.article14 = Some(Clock {
                    early_warning_due: add_hours(aware_time, 24),
                    notification_due: add_hours(aware_time, 72),
                    aware_since: aware,
                });
            }
            if entry.exploited && !exploited_before {
                watched.newly_exploited.push(entry.clone());
            }
            if before == (Before::Reported { fixed: false }) && entry.fix.is_some() {
                watched.new_fixes.push(entry.clone());
            }
            if matches!(before, Before::Unknown | Before::Absent) {
                watched.new.push(entry.clone());
            }
            watched.open_entries.push(entry);
        }
        out.push(watched);
    }
    out.sort_by(|a, b| {
        (&a.product, &a.version, &a.source).cmp(&(&b.product, &b.version, &b.source))
    });
    Ok(Watch {
        schema_version: 1,
        time: now_text,
        shard,
        releases: out,
    })
}

fn severity_text(severity: Option<Severity>) -> String {
    severity.map_or_else(|| "unknown".to_owned(), |s| s.to_string())
}

/// Human-readable text: one paragraph per release.
pub fn human(watch: &Watch) -> String {
    let mut out = String::new();
    for r in &watch.releases {
        let name = format!("{} {}", r.product, r.version);
        match r.outcome {
            Outcome::Refused => {
                let _ = writeln!(
                    out,
                    "{} ({}): NOT audited: {}",
                    name.trim(),
                    r.source,
                    r.reason.as_deref().unwrap_or_default()
                );
            }
            Outcome::PastSupport => {
                let _ = writeln!(
                    out,
                    "{name} ({}): {}",
                    r.source,
                    r.reason.as_deref().unwrap_or_default()
                );
            }
            Outcome::Audited => {
                let _ = writeln!(
                    out,
                    "{name} ({}): {} open, {} new{}, {} newly exploited, {} new fixes{}",
                    r.source,
                    r.open,
                    r.new.len(),
                    if r.compared_with_bundle {
                        ""
                    } else {
                        " (no earlier audit to compare with)"
                    },
                    r.newly_exploited.len(),
                    r.new_fixes.len(),
                    if r.unchecked.is_empty() {
                        String::new()
                    } else {
                        format!("; NOT checked: {}", r.unchecked.join(", "))
                    }
                );
                for e in &r.new {
                    let _ = writeln!(
                        out,
                        "  new: {} {}@{} ({}){}{}",
                        e.id,
                        e.package,
                        e.version,
                        severity_text(e.severity),
                        e.fix
                            .as_deref()
                            .map(|f| format!(", fixed in {f}"))
                            .unwrap_or_default(),
                        if e.exploited { ", KNOWN EXPLOITED" } else { "" }
                    );
                }
                for e in &r.newly_exploited {
                    if let Some(clock) = &e.article14 {
                        let _ = writeln!(
                            out,
                            "  exploited: {} {}@{}: aware since {}, early warning due {}, notification due {}",
                            e.id,
                            e.package,
                            e.version,
                            clock.aware_since,
                            clock.early_warning_due,
                            clock.notification_due
                        );
                    }
                }
                for e in &r.new_fixes {
                    let _ = writeln!(
                        out,
                        "  fix available: {} {}@{} → {}",
                        e.id,
                        e.package,
                        e.version,
                        e.fix.as_deref().unwrap_or_default()
                    );
                }
            }
        }
    }
    if watch.releases.is_empty() {
        out.push_str("no release to watch\n");
    }
    out
}

/// A Markdown table (the job summary): one row per release.
pub fn markdown(watch: &Watch) -> String {
    let mut out = String::from(
        "## crabox watch\n\n| release | source | status | open | new | newly exploited | new fixes |\n|---|---|---|---|---|---|---|\n",
    );
    let cell = |text: &str| text.replace('|', "\\|").replace(['\n', '\r'], " ");
    for r in &watch.releases {
        let status = match r.outcome {
            Outcome::Audited if r.fails() => "**FAIL**".to_owned(),
            Outcome::Audited => "audited".to_owned(),
            Outcome::PastSupport => "past support".to_owned(),
            Outcome::Refused => format!(
                "**not audited**: {}",
                cell(r.reason.as_deref().unwrap_or_default())
            ),
        };
        let _ = writeln!(
            out,
            "| {} {} | `{}` | {status} | {} | {} | {} | {} |",
            cell(&r.product),
            cell(&r.version),
            cell(&r.source),
            r.open,
            r.new.len(),
            r.newly_exploited.len(),
            r.new_fixes.len()
        );
    }
    out
}

/// SARIF 2.1.0: a result per new vulnerability and per source not audited.
pub fn sarif(watch: &Watch) -> String {
    let mut results = Vec::new();
    for r in &watch.releases {
        let location = serde_json::json!([{ "physicalLocation": { "artifactLocation": { "uri": r.source } } }]);
        if r.outcome == Outcome::Refused {
            results.push(serde_json::json!({
                "ruleId": "crabox-watch-refused",
                "level": "error",
                "message": { "text": format!("not audited: {}", r.reason.as_deref().unwrap_or_default()) },
                "locations": location,
            }));
        }
        for e in &r.new {
            let level = if e.exploited || e.severity == Some(Severity::Critical) {
                "error"
            } else {
                "warning"
            };
            results.push(serde_json::json!({
                "ruleId": e.id,
                "level": level,
                "message": { "text": format!("{} {} {}: new {} in {}@{}", r.product, r.version, e.id, severity_text(e.severity), e.package, e.version) },
                "locations": location,
            }));
        }
    }
    let document = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "crabox", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/crabox-dev/crabox" } },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&document).expect("SARIF serializes") + "\n"
}

/// Who the per-release documents name as their publisher, and where Article 14 reports go.
pub struct DocumentsMeta {
    pub publisher: crabox_notes::advisory::Publisher,
    /// `[product] member-state`.
    pub member_state: Option<String>,
}

/// The newly exploited vulnerabilities of a watched release, for Article 14: awareness from the
/// state file's first sighting, the KEV catalogue's date as the source.
fn newly_exploited(
    watched: &Watched,
    kev: Option<&BTreeMap<String, Date>>,
    now: i64,
) -> Vec<crabox_evidence::article14::Exploited> {
    watched
        .newly_exploited
        .iter()
        .filter_map(|e| {
            let clock = e.article14.as_ref()?;
            let aware_since = clock
                .aware_since
                .parse::<crabox_types::Timestamp>()
                .ok()?
                .unix_seconds();
            let date_added = std::iter::once(&e.id)
                .chain(&e.aliases)
                .find_map(|id| kev.and_then(|k| k.get(id)))
                .map(ToString::to_string)
                .unwrap_or_default();
            Some(crabox_evidence::article14::Exploited {
                id: e.id.clone(),
                packages: vec![format!("{}@{}", e.package, e.version)],
                source: crabox_evidence::article14::Source::Kev { date_added },
                aware_since,
                fix_available: None,
                awareness: if aware_since < now {
                    crabox_evidence::article14::Awareness::Carried {
                        from: "the crabox watch state file (first seen exploited)".into(),
                    }
                } else {
                    crabox_evidence::article14::Awareness::ThisReport
                },
                note: None,
            })
        })
        .collect()
}

/// The documents `crabox watch --out DIR` writes for each audited release with a new
/// vulnerability, a newly exploited one or a new fix, under `<product>-<version>/` (a sanitised
/// file name): the CSAF 2.0 VEX document of every open vulnerability as of the watch, and an
/// Article 14 draft record per report due for each newly exploited one, its clock from the
/// state file. Relative paths and contents, sorted.
pub fn documents(
    result: &Watch,
    kev: Option<&BTreeMap<String, Date>>,
    meta: &DocumentsMeta,
) -> Vec<(String, String)> {
    use crabox_notes::release::{Release, Security, Stats, Vulnerability};
    let now = result
        .time
        .parse::<crabox_types::Timestamp>()
        .map_or(0, crabox_types::Timestamp::unix_seconds);
    let mut out = Vec::new();
    for watched in &result.releases {
        if watched.outcome != Outcome::Audited
            || (watched.new.is_empty()
                && watched.newly_exploited.is_empty()
                && watched.new_fixes.is_empty())
        {
            continue;
        }
        let dir =
            crabox_types::file_name::component(&format!("{}-{}", watched.product, watched.version));
        let open: Vec<Vulnerability> = watched
            .open_entries
            .iter()
            .filter_map(|e| {
                let ecosystem = crabox_types::purl::parse_package(&e.purl)?.ecosystem;
                Some(Vulnerability {
                    id: e.id.clone(),
                    aliases: e.aliases.clone(),
                    title: e.id.clone(),
                    package: e.package.clone(),
                    ecosystem,
                    version: e.version.clone(),
                    purl: e.purl.clone(),
                    fixed_version: None,
                    fix: e.fix.clone(),
                    patched: Vec::new(),
                    severity: e.severity.map(|s| s.to_string()),
                    cvss: None,
                    score: None,
                    url: None,
                    file: watched.source.clone(),
                    line: 0,
                    not_affected: None,
                })
            })
            .collect();
        let release = Release {
            product: watched.product.clone(),
            version: watched.version.clone(),
            tag: None,
            previous_tag: None,
            previous_version: None,
            tag_hint: None,
            date: result.time.get(..10).unwrap_or_default().to_owned(),
            from: None,
            to: String::new(),
            repository: None,
            github: None,
            compare_url: None,
            breaking: Vec::new(),
            sections: Vec::new(),
            contributors: Vec::new(),
            security: Security {
                audited: true,
                unchecked: watched.unchecked.clone(),
                open,
                ..Security::default()
            },
            stats: Stats::default(),
        };
        let advisory_meta = crabox_notes::advisory::Meta {
            publisher: meta.publisher.clone(),
            timestamp: result.time.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            product_purl: format!("pkg:generic/{}@{}", watched.product, watched.version),
        };
        if let Some((name, text)) = crabox_notes::advisory::vex(&release, &advisory_meta) {
            out.push((format!("{dir}/{name}"), text));
        }
        let exploited = newly_exploited(watched, kev, now);
        if !exploited.is_empty() {
            let mut article14 = crabox_evidence::article14::deadlines(
                exploited,
                now,
                vec!["the KEV catalogue given to crabox watch".into()],
                Vec::new(),
            );
            article14.member_state.clone_from(&meta.member_state);
            for (name, text) in article14.drafts() {
                out.push((format!("{dir}/article14/{name}"), text));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_pattern_matches_with_stars() {
        assert!(tag_matches("v1.*", "v1.4.0"));
        assert!(!tag_matches("v1.*", "v2.0.0"));
        assert!(tag_matches("*-evidence", "v1.0.0-evidence"));
        assert!(tag_matches("v*-rc*", "v2-rc1"));
        assert!(!tag_matches("v*-rc*", "v2"));
        assert!(tag_matches("*", "anything"));
        assert!(tag_matches("v1", "v1"));
        assert!(!tag_matches("v1", "v10"));
        assert!(!tag_matches("ab*ba", "aba"));
    }

    #[test]
    fn shards_split_evenly_and_cover_everything_once() {
        let all: Vec<usize> = (0..10).collect();
        let mut seen = Vec::new();
        for i in 1..=3 {
            let part = shard(all.clone(), (i, 3));
            assert!(part.len() == 3 || part.len() == 4);
            seen.extend(part);
        }
        seen.sort_unstable();
        assert_eq!(seen, all);
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        for bad in ["0/2", "3/2", "1/0", "x/2", "2"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
