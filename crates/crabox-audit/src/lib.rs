//! Vulnerability audit: matches the packages the SBOM catalogers found against RustSec and OSV
//! advisories with each ecosystem's version rules, and reports each affected package once per
//! vulnerability (the same CVE/GHSA from two databases is one finding), with severity, fix
//! advice, dependency path and lockfile line.
//!
//! Library only: no printing, no process exit. The network is touched only by [`store`], when
//! `crabox db update` asks for it.

pub mod advisory;
pub mod db;
mod distro_version;
mod error;
mod index;
mod maven_version;
pub mod policy;
pub mod render;
pub mod store;
pub mod version;
pub mod yanked;

use std::collections::VecDeque;

use crabox_types::Severity;
use crabox_types::component::{Ecosystem, Lockfile};

pub use advisory::{Advisory, Kind};
pub use db::Database;
pub use error::AuditError;

/// The HTTP client of every request crabox-audit makes: crabox's user agent, and the given
/// connect and whole-request timeouts.
fn http_client(
    connect: std::time::Duration,
    total: std::time::Duration,
) -> reqwest::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .user_agent(concat!("crabox/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One affected package and what affects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    pub kind: Kind,
    pub title: String,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub version: String,
    pub purl: String,
    /// `None`: the advisory gives no severity (policy counts it as high).
    pub severity: Option<Severity>,
    pub cvss: Option<String>,
    pub patched: Vec<String>,
    /// The smallest fixed version above the installed one.
    pub fix: Option<String>,
    /// Package names from a top-level dependency down to this package.
    pub path: Vec<String>,
    pub file: String,
    pub line: u32,
    pub url: Option<String>,
    pub source: String,
    /// When the advisory was published (`YYYY-MM-DD`), when the database says.
    pub published: Option<String>,
}

/// Shortest dependency paths from the direct dependencies of one lockfile: one breadth-first
/// search, then each path is read back from the tree it leaves.
struct Paths {
    previous: Vec<Option<usize>>,
}

impl Paths {
    fn new(lockfile: &Lockfile) -> Paths {
        let mut previous: Vec<Option<usize>> = vec![None; lockfile.packages.len()];
        let mut seen = vec![false; lockfile.packages.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &root in &lockfile.direct {
            seen[root] = true;
            queue.push_back(root);
        }
        while let Some(current) = queue.pop_front() {
            for &next in &lockfile.packages[current].dependencies {
                if !seen[next] {
                    seen[next] = true;
                    previous[next] = Some(current);
                    queue.push_back(next);
                }
            }
        }
        Paths { previous }
    }

    /// Package names from a direct dependency down to `target` (`target` alone when no direct
    /// dependency reaches it).
    fn to(&self, lockfile: &Lockfile, target: usize) -> Vec<String> {
        let mut path = vec![target];
        while let Some(p) = self.previous[*path.last().expect("non-empty")] {
            path.push(p);
        }
        path.iter()
            .rev()
            .map(|&i| lockfile.packages[i].name.clone())
            .collect()
    }
}

/// Which databases covered one ecosystem of the lockfiles: an ecosystem no database covers was
/// not checked, whatever the findings say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub ecosystem: Ecosystem,
    /// Registry packages of this ecosystem in the lockfiles (what an advisory could be about).
    pub packages: usize,
    /// The databases holding advisories for it (indices into the databases audited, in the
    /// order given), empty when none.
    pub databases: Vec<usize>,
}

impl Coverage {
    pub fn checked(&self) -> bool {
        !self.databases.is_empty()
    }
}

/// Per ecosystem present in the lockfiles (in ecosystem order), the databases that cover it.
pub fn coverage<'a>(
    lockfiles: impl IntoIterator<Item = &'a Lockfile>,
    databases: &[Database],
) -> Vec<Coverage> {
    let mut counts: std::collections::BTreeMap<Ecosystem, usize> =
        std::collections::BTreeMap::new();
    // The distribution releases the packages come from: a database covers a distribution's
    // packages when it has advisories for each of those releases.
    let mut releases: std::collections::BTreeSet<(Ecosystem, String)> =
        std::collections::BTreeSet::new();
    for package in lockfiles.into_iter().flat_map(|l| &l.packages) {
        if let Some((key, _)) = db::package_key(package) {
            *counts.entry(package.ecosystem).or_default() += 1;
            if let Some(release) = db::release_of(package.ecosystem, &key) {
                releases.insert((package.ecosystem, release.to_owned()));
            }
        }
    }
    counts
        .into_iter()
        .map(|(ecosystem, packages)| Coverage {
            ecosystem,
            packages,
            databases: databases
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    d.ecosystems.contains(&ecosystem)
                        && releases
                            .iter()
                            .filter(|(e, _)| *e == ecosystem)
                            .all(|r| d.releases.contains(r))
                })
                .map(|(i, _)| i)
                .collect(),
        })
        .collect()
}

/// Audits the lockfiles against the databases. Findings are sorted (file, line, id).
pub fn audit(lockfiles: &[Lockfile], databases: &[Database]) -> Vec<Finding> {
    // foldhash: one lookup per pinned package, keyed by short names.
    let mut index: foldhash::HashMap<(Ecosystem, &str), Vec<&Advisory>> =
        foldhash::HashMap::default();
    for advisory in databases.iter().flat_map(|d| &d.advisories) {
        index
            .entry((advisory.ecosystem, advisory.package.as_str()))
            .or_default()
            .push(advisory);
    }
    let mut findings: Vec<Finding> = Vec::new();
    for lockfile in lockfiles {
        let mut paths: Option<Paths> = None;
        for (i, package) in lockfile.packages.iter().enumerate() {
            // Advisories describe registry releases and distribution packages; git and path
            // sources are other code.
            let Some((name, version)) = db::package_key(package) else {
                continue;
            };
            let Some(candidates) = index.get(&(package.ecosystem, name.as_ref())) else {
                continue;
            };
            let mut here: Vec<Finding> = Vec::new();
            for advisory in candidates {
                if !advisory.affects(version) {
                    continue;
                }
                // The same vulnerability from another database (shared id or alias) is one finding.
                if let Some(existing) = here.iter_mut().find(|f| {
                    advisory
                        .names()
                        .any(|n| n == f.id || f.aliases.iter().any(|a| a == n))
                }) {
                    for name in advisory.names() {
                        if name != existing.id && !existing.aliases.iter().any(|a| a == name) {
                            existing.aliases.push(name.to_owned());
                        }
                    }
                    existing.severity = existing.severity.or(advisory.severity);
                    existing.cvss = existing.cvss.clone().or_else(|| advisory.cvss.clone());
                    continue;
                }
                here.push(Finding {
                    id: advisory.id.clone(),
                    aliases: advisory.aliases.clone(),
                    kind: advisory.kind,
                    title: advisory.title.clone(),
                    ecosystem: package.ecosystem,
                    package: package.name.clone(),
                    version: package.version.clone(),
                    purl: package.purl(),
                    severity: advisory.severity,
                    cvss: advisory.cvss.clone(),
                    patched: advisory.patched(),
                    fix: advisory.smallest_fix(&package.version),
                    path: paths
                        .get_or_insert_with(|| Paths::new(lockfile))
                        .to(lockfile, i),
                    file: lockfile.path.clone(),
                    line: package.line,
                    url: advisory.url.clone(),
                    source: advisory.source.clone(),
                    published: advisory.published.clone(),
                });
            }
            findings.extend(here);
        }
    }
    for finding in &mut findings {
        finding.aliases.sort();
        finding.aliases.dedup();
    }
    sort(&mut findings);
    findings
}

/// The order of findings: by file, line, then id.
fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
}

/// Adds findings for the yanked packages a [`yanked::check`] found to those of [`audit`], in
/// the same order.
pub fn add_yanked(findings: &mut Vec<Finding>, lockfiles: &[Lockfile], yanked: &yanked::Yanked) {
    let found = yanked
        .yanked
        .iter()
        .map(|&(l, p)| {
            let lockfile = &lockfiles[l];
            let package = &lockfile.packages[p];
            Finding {
                id: "yanked".to_owned(),
                aliases: Vec::new(),
                kind: Kind::Yanked,
                title: format!(
                    "{} {} was yanked from crates.io",
                    package.name, package.version
                ),
                ecosystem: package.ecosystem,
                package: package.name.clone(),
                version: package.version.clone(),
                purl: package.purl(),
                severity: None,
                cvss: None,
                patched: Vec::new(),
                fix: None,
                path: Paths::new(lockfile).to(lockfile, p),
                file: lockfile.path.clone(),
                line: package.line,
                url: Some(format!(
                    "https://crates.io/crates/{}/versions",
                    package.name
                )),
                source: "crates.io index".to_owned(),
                published: None,
            }
        })
        .collect::<Vec<_>>();
    findings.extend(found);
    sort(findings);
}
