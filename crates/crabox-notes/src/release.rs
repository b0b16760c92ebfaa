//! The release: the commits of the range grouped into sections, the breaking changes, the
//! contributors and the security section. This is the template context (`crabox notes
//! --context` prints it as JSON).

use crabox_types::component::Ecosystem;
use serde::Serialize;

use crate::commit::{Entry, person_name};

/// A vulnerability in a package the product pins, as the audit found it.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
fn osv_name<S: serde::Serializer>(ecosystem: &Ecosystem, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(ecosystem.osv_name())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    pub id: String,
    pub aliases: Vec<String>,
    pub title: String,
    pub package: String,
    /// Shown by its OSV name (`crates.io`, `npm`, `PyPI`, `Go`).
    #[serde(serialize_with = "osv_name")]
    pub ecosystem: Ecosystem,
    /// The version the product pinned where the vulnerability applies.
    pub version: String,
    pub purl: String,
    /// For a fixed vulnerability: the version pinned now (`None` when the package is gone).
    pub fixed_version: Option<String>,
    /// For an open one: the smallest upgrade that fixes it.
    pub fix: Option<String>,
    pub patched: Vec<String>,
    /// `low`, `medium`, `high`, `critical`; `None` when the advisory gives none.
    pub severity: Option<String>,
    /// CVSS vector, and the base score computed from it.
    pub cvss: Option<String>,
    pub score: Option<f64>,
    pub url: Option<String>,
    /// The lockfile and line.
    pub file: String,
    pub line: u32,
    /// Not affected, by an OpenVEX statement: its justification or impact statement.
    pub not_affected: Option<String>,
}

impl Vulnerability {
    /// The CVE among the id and aliases, if any.
    pub fn cve(&self) -> Option<&str> {
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .map(String::as_str)
            .find(|id| id.starts_with("CVE-"))
    }
}

/// The security section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Security {
    /// Whether the lockfiles were audited at both ends of the range.
    pub audited: bool,
    /// Why they were not.
    pub not_audited: Option<String>,
    /// Ecosystems of the lockfiles (at either end) that no database covered: not checked, so
    /// "no known vulnerability" does not speak for them.
    pub unchecked: Vec<String>,
    /// In the previous release, gone in this one.
    pub fixed: Vec<Vulnerability>,
    /// In the previous release, in a lockfile this release no longer has: whether it was fixed
    /// is not known (the package may have moved to a lockfile elsewhere or left the scan).
    pub unknown: Vec<Vulnerability>,
    /// Still in this release.
    pub open: Vec<Vulnerability>,
    /// In this release's dependencies, but stated not to affect the product (OpenVEX).
    pub not_affected: Vec<Vulnerability>,
    /// Commits of type `security` or naming an advisory.
    pub commits: Vec<Entry>,
}

/// A section of the notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub title: String,
    /// The section of free-form commits and types without a section of their own (whose type
    /// the notes then show).
    pub other: bool,
    pub commits: Vec<Entry>,
}

/// How many commits, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub commits: usize,
    pub conventional: usize,
    pub merges: usize,
    /// Commits and the reverts that undid them, both in the range.
    pub reverted: usize,
}

/// The template context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    pub product: String,
    /// The version released (the tag without its `v`), or `unreleased`.
    pub version: String,
    pub tag: Option<String>,
    pub previous_tag: Option<String>,
    pub previous_version: Option<String>,
    /// Without a previous release: why, when tags exist but none matches `[notes] tag-pattern`
    /// (the notes then do not call it a first release).
    pub tag_hint: Option<String>,
    /// `YYYY-MM-DD` of the tag (or the commit, or `SOURCE_DATE_EPOCH`).
    pub date: String,
    /// The range: `from` (excluded; `None` for a first release) and `to` commit ids.
    pub from: Option<String>,
    pub to: String,
    pub repository: Option<String>,
    /// `owner/name` when the remote is on GitHub.
    pub github: Option<String>,
    pub compare_url: Option<String>,
    pub breaking: Vec<Entry>,
    pub sections: Vec<Section>,
    /// Authors and co-authors, by name, sorted.
    pub contributors: Vec<String>,
    pub security: Security,
    pub stats: Stats,
}

/// Section titles by commit type, in the order the notes show them.
const SECTIONS: &[(&str, &[&str])] = &[
    ("Features", &["feat"]),
    ("Bug fixes", &["fix"]),
    ("Security", &["security"]),
    ("Performance", &["perf"]),
    ("Reverts", &["revert"]),
    ("Documentation", &["docs"]),
    ("Refactoring", &["refactor"]),
    ("Tests", &["test", "tests"]),
    ("Build and CI", &["build", "ci"]),
    ("Maintenance", &["chore", "style", "deps"]),
];

/// Groups the commits (newest first) into sections: conventional ones by type, free-form ones
/// and types without a section under `other`; merge commits and commits reverted within
/// the range (with their reverts) are left out.
pub fn group(commits: &[Entry], other: &str) -> (Vec<Entry>, Vec<Section>, Stats) {
    let mut stats = Stats {
        commits: commits.len(),
        conventional: commits.iter().filter(|c| c.conventional).count(),
        merges: commits.iter().filter(|c| c.merge).count(),
        reverted: 0,
    };
    // A revert and the commit it reverts, both in the range, cancel out.
    let mut cancelled: Vec<&str> = Vec::new();
    for revert in commits.iter().filter(|c| c.revert) {
        let Some(target) = &revert.reverts else {
            continue;
        };
        if let Some(reverted) = commits.iter().find(|c| c.id.starts_with(target.as_str())) {
            cancelled.push(&reverted.id);
            cancelled.push(&revert.id);
        }
    }
    stats.reverted = cancelled.len();
    let shown: Vec<&Entry> = commits
        .iter()
        .filter(|c| !c.merge && !cancelled.contains(&c.id.as_str()))
        .collect();
    let breaking = shown
        .iter()
        .filter(|c| c.breaking)
        .map(|c| (*c).clone())
        .collect();
    let mut sections: Vec<Section> = SECTIONS
        .iter()
        .map(|(title, _)| Section {
            title: (*title).to_owned(),
            other: false,
            commits: Vec::new(),
        })
        .collect();
    let mut others = Section {
        title: other.to_owned(),
        other: true,
        commits: Vec::new(),
    };
    for commit in shown {
        let index = match commit.kind.as_deref() {
            Some(kind) if commit.revert => SECTIONS
                .iter()
                .position(|(_, kinds)| kinds.contains(&"revert"))
                .or_else(|| SECTIONS.iter().position(|(_, kinds)| kinds.contains(&kind))),
            Some(kind) => SECTIONS.iter().position(|(_, kinds)| kinds.contains(&kind)),
            None if commit.revert => SECTIONS
                .iter()
                .position(|(_, kinds)| kinds.contains(&"revert")),
            None => None,
        };
        match index {
            Some(i) => sections[i].commits.push(commit.clone()),
            None => others.commits.push(commit.clone()),
        }
    }
    sections.push(others);
    sections.retain(|s| !s.commits.is_empty());
    (breaking, sections, stats)
}

/// Authors and co-authors by name, each once, sorted case-insensitively.
pub fn contributors(commits: &[Entry]) -> Vec<String> {
    let mut names: Vec<String> = commits
        .iter()
        .flat_map(|c| {
            std::iter::once(c.author.as_str()).chain(c.co_authors.iter().map(|w| person_name(w)))
        })
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort_by_key(|n| (n.to_lowercase(), n.clone()));
    names.dedup();
    names
}

/// The vulnerabilities of the previous release that this one no longer has (matched by id and
/// package), each with the version pinned now; and those it still has.
pub fn security_diff(
    before: &[Vulnerability],
    after: &[Vulnerability],
    pinned_now: impl Fn(&Vulnerability) -> Option<String>,
) -> (Vec<Vulnerability>, Vec<Vulnerability>) {
    let key = |v: &Vulnerability| (v.id.clone(), v.ecosystem, v.package.clone());
    let mut fixed: Vec<Vulnerability> = before
        .iter()
        .filter(|b| !after.iter().any(|a| key(a) == key(b)))
        .map(|b| Vulnerability {
            fixed_version: pinned_now(b),
            ..b.clone()
        })
        .collect();
    fixed.sort_by(|a, b| (&a.id, &a.package, &a.version).cmp(&(&b.id, &b.package, &b.version)));
    fixed.dedup_by(|a, b| key(a) == key(b));
    let mut open = after.to_vec();
    open.sort_by(|a, b| (&a.id, &a.package, &a.version).cmp(&(&b.id, &b.package, &b.version)));
    (fixed, open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{Raw, parse};

    fn commit(id: &str, message: &str, author: &str, parents: usize) -> Entry {
        parse(
            &Raw {
                id,
                message,
                author,
                time: 0,
                parents,
            },
            None,
        )
    }

    #[test]
    fn commits_are_grouped_and_reverted_pairs_cancel_out() {
        let commits = vec![
            commit(
                "a1a1a1a",
                "Revert \"feat: add X\"\n\nThis reverts commit b2b2b2b.",
                "Ada",
                1,
            ),
            commit("b2b2b2b", "feat: add X", "Ada", 1),
            commit("c3c3c3c", "Merge pull request #4 from acme/y", "Ada", 2),
            commit("d4d4d4d", "fix(parser): handle CRLF", "Grace", 1),
            commit("e5e5e5e", "Tidy up", "Linus", 1),
            commit(
                "f6f6f6f",
                "feat!: new config format\n\nCo-authored-by: Barbara Liskov <b@example.com>",
                "Grace",
                1,
            ),
            commit("a7a7a7a", "chore(release): 1.1.0", "Ada", 1),
            commit("b8b8b8b", "wip: whatever", "Ada", 1),
        ];
        let (breaking, sections, stats) = group(&commits, "Other changes");
        let titles: Vec<(&str, Vec<&str>)> = sections
            .iter()
            .map(|s| {
                (
                    s.title.as_str(),
                    s.commits.iter().map(|c| c.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            titles,
            [
                ("Features", vec!["f6f6f6f"]),
                ("Bug fixes", vec!["d4d4d4d"]),
                ("Maintenance", vec!["a7a7a7a"]),
                ("Other changes", vec!["e5e5e5e", "b8b8b8b"]),
            ]
        );
        assert_eq!(breaking.len(), 1);
        assert_eq!(
            stats,
            Stats {
                commits: 8,
                conventional: 5,
                merges: 1,
                reverted: 2
            }
        );
        assert_eq!(
            contributors(&commits),
            ["Ada", "Barbara Liskov", "Grace", "Linus"]
        );
    }

    #[test]
    fn a_vulnerability_gone_from_the_lockfile_is_fixed() {
        let v = |id: &str, package: &str, version: &str| Vulnerability {
            id: id.into(),
            aliases: vec![],
            title: String::new(),
            package: package.into(),
            ecosystem: Ecosystem::Cargo,
            version: version.into(),
            purl: String::new(),
            fixed_version: None,
            fix: None,
            patched: vec![],
            severity: None,
            cvss: None,
            score: None,
            url: None,
            file: "Cargo.lock".into(),
            line: 1,
            not_affected: None,
        };
        let before = [v("R-1", "foo", "1.0.0"), v("R-2", "bar", "0.1.0")];
        let after = [v("R-2", "bar", "0.1.0"), v("R-3", "baz", "2.0.0")];
        let (fixed, open) = security_diff(&before, &after, |_| Some("1.2.0".into()));
        assert_eq!(fixed.len(), 1);
        assert_eq!(fixed[0].id, "R-1");
        assert_eq!(fixed[0].fixed_version.as_deref(), Some("1.2.0"));
        assert_eq!(
            open.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
            ["R-2", "R-3"]
        );
    }
}
