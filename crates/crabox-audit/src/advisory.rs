//! Advisories from every source in one shape, and whether a version is affected.

use std::cmp::Ordering;

use crabox_types::Severity;
use crabox_types::component::Ecosystem;
use serde::{Deserialize, Serialize};

use crate::version::Version;

/// What kind of finding an advisory gives (the vocabulary is `crabox-types`').
pub use crabox_types::component::FindingKind as Kind;

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// A RustSec advisory's `patched` requirements (for the report), with the ranges of affected
/// versions that the `rustsec` crate derives from them and the `unaffected` ones (what its
/// `Versions::is_vulnerable` tests) computed once, not on every comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RustSecVersions {
    pub patched: Vec<rustsec::VersionReq>,
    /// `(introduced, fixed)`: from `introduced` (inclusive; no lower bound when absent) up to
    /// `fixed` (exclusive; no upper bound when absent).
    pub affected: Vec<(Option<rustsec::Version>, Option<rustsec::Version>)>,
}

impl From<&rustsec::advisory::Versions> for RustSecVersions {
    fn from(versions: &rustsec::advisory::Versions) -> Self {
        RustSecVersions {
            patched: versions.patched().to_vec(),
            affected: rustsec::osv::ranges_for_advisory(versions)
                .into_iter()
                .map(|range| (range.introduced, range.fixed))
                .collect(),
        }
    }
}

/// Whether a SemVer version is in one of the `(introduced, fixed)` ranges.
pub(crate) fn in_spans(
    spans: &[(Option<rustsec::Version>, Option<rustsec::Version>)],
    version: &str,
) -> bool {
    let Ok(version) = rustsec::Version::parse(version) else {
        return false;
    };
    spans.iter().any(|(introduced, fixed)| {
        introduced.as_ref().is_none_or(|i| version >= *i)
            && fixed.as_ref().is_none_or(|f| version < *f)
    })
}

/// How an advisory decides that a version is affected.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Matcher {
    /// RustSec: affected unless a `patched` or `unaffected` requirement matches.
    RustSec(RustSecVersions),
    /// OSV: `ECOSYSTEM`/`SEMVER` ranges of events, and an explicit `versions` list.
    Osv {
        ranges: Vec<Vec<Event>>,
        versions: Vec<String>,
    },
}

/// An advisory about one package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub title: String,
    pub ecosystem: Ecosystem,
    /// The package name as the ecosystem compares it (PyPI names normalised).
    pub package: String,
    pub kind: Kind,
    pub severity: Option<Severity>,
    /// The CVSS vector the severity was computed from.
    pub cvss: Option<String>,
    pub matcher: Matcher,
    pub url: Option<String>,
    /// The database it came from.
    pub source: String,
    /// When the advisory was published (`YYYY-MM-DD`), when the database says.
    #[serde(default)]
    pub published: Option<String>,
}

fn at_least(version: &Version, bound: &str, ecosystem: Ecosystem) -> Option<bool> {
    if bound == "0" {
        return Some(true);
    }
    let bound = Version::parse(ecosystem, bound)?;
    Some(version.compare(&bound)? != Ordering::Less)
}

impl Matcher {
    /// Whether `version` (text, in `ecosystem`) is affected.
    pub fn affects(&self, ecosystem: Ecosystem, version: &str) -> bool {
        match self {
            Matcher::RustSec(versions) => in_spans(&versions.affected, version),
            Matcher::Osv { ranges, versions } => osv_affects(ecosystem, ranges, versions, version),
        }
    }
}

/// Whether `version` is in one of an OSV record's ranges or its `versions` list.
pub(crate) fn osv_affects(
    ecosystem: Ecosystem,
    ranges: &[Vec<Event>],
    versions: &[String],
    version: &str,
) -> bool {
    let Some(parsed) = Version::parse(ecosystem, version) else {
        return versions.iter().any(|v| v == version);
    };
    let listed = versions.iter().any(|v| {
        Version::parse(ecosystem, v)
            .and_then(|v| v.compare(&parsed))
            .is_some_and(Ordering::is_eq)
    });
    listed
        || ranges
            .iter()
            .any(|events| in_range(ecosystem, &parsed, events))
}

/// The OSV evaluation: events in version order; `introduced` opens, `fixed` and `last_affected`
/// close.
fn in_range(ecosystem: Ecosystem, version: &Version, events: &[Event]) -> bool {
    let mut sorted: Vec<(Option<Version>, &Event)> = events
        .iter()
        .map(|e| (Version::parse(ecosystem, e.version()), e))
        .filter(|(v, e)| v.is_some() || e.version() == "0")
        .collect();
    sorted.sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.compare(b).unwrap_or(Ordering::Equal),
    });
    let mut affected = false;
    for (_, event) in sorted {
        match event {
            Event::Introduced(bound) => {
                if at_least(version, bound, ecosystem) == Some(true) {
                    affected = true;
                }
            }
            Event::Fixed(bound) | Event::Limit(bound) => {
                if at_least(version, bound, ecosystem) == Some(true) {
                    affected = false;
                }
            }
            Event::LastAffected(bound) => {
                let above = Version::parse(ecosystem, bound)
                    .and_then(|b| version.compare(&b))
                    .is_some_and(Ordering::is_gt);
                if above {
                    affected = false;
                }
            }
        }
    }
    affected
}

impl Advisory {
    /// Whether `version` (text, in this advisory's ecosystem) is affected.
    pub fn affects(&self, version: &str) -> bool {
        self.matcher.affects(self.ecosystem, version)
    }

    /// Versions that fix it, as the advisory states them.
    pub fn patched(&self) -> Vec<String> {
        match &self.matcher {
            Matcher::RustSec(versions) => {
                versions.patched.iter().map(ToString::to_string).collect()
            }
            Matcher::Osv { ranges, .. } => ranges
                .iter()
                .flatten()
                .filter_map(|e| match e {
                    Event::Fixed(v) => Some(v.clone()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The smallest fixed version above `installed`, if the advisory names one.
    pub fn smallest_fix(&self, installed: &str) -> Option<String> {
        let current = Version::parse(self.ecosystem, installed)?;
        let candidates: Vec<String> = match &self.matcher {
            Matcher::RustSec(versions) => versions
                .patched
                .iter()
                .flat_map(|req| req.comparators.iter())
                .filter(|c| {
                    !matches!(
                        c.op,
                        rustsec::semver::Op::Less | rustsec::semver::Op::LessEq
                    )
                })
                .map(|c| {
                    let mut text = format!(
                        "{}.{}.{}",
                        c.major,
                        c.minor.unwrap_or(0),
                        c.patch.unwrap_or(0)
                    );
                    if !c.pre.is_empty() {
                        text.push('-');
                        text.push_str(c.pre.as_str());
                    }
                    text
                })
                .collect(),
            Matcher::Osv { .. } => self.patched(),
        };
        candidates
            .into_iter()
            .filter_map(|c| Version::parse(self.ecosystem, &c).map(|v| (v, c)))
            .filter(|(v, _)| v.compare(&current).is_some_and(Ordering::is_gt))
            .min_by(|(a, _), (b, _)| a.compare(b).unwrap_or(Ordering::Equal))
            .map(|(_, text)| text)
    }

    /// The id and every alias.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osv(ecosystem: Ecosystem, events: Vec<Event>, versions: &[&str]) -> Advisory {
        Advisory {
            id: "TEST-1".into(),
            aliases: vec![],
            title: String::new(),
            ecosystem,
            package: "p".into(),
            kind: Kind::Vulnerability,
            severity: None,
            cvss: None,
            matcher: Matcher::Osv {
                ranges: vec![events],
                versions: versions.iter().map(|v| (*v).to_owned()).collect(),
            },
            url: None,
            source: "test".into(),
            published: None,
        }
    }

    use Event::{Fixed, Introduced, LastAffected};

    #[test]
    fn ranges_with_several_introduced_and_fixed() {
        let a = osv(
            Ecosystem::Pypi,
            vec![
                Introduced("4.0".into()),
                Fixed("4.3".into()),
                Introduced("5.0".into()),
                Fixed("5.2".into()),
            ],
            &[],
        );
        for (v, want) in [
            ("3.9", false),
            ("4.0", true),
            ("4.2.post1", true),
            ("4.3", false),
            ("4.9", false),
            ("5.1rc1", true),
            ("5.2", false),
            ("1!0.1", false),
        ] {
            assert_eq!(a.affects(v), want, "{v}");
        }
        assert_eq!(a.smallest_fix("4.1").as_deref(), Some("4.3"));
        assert_eq!(a.smallest_fix("5.0").as_deref(), Some("5.2"));
    }

    #[test]
    fn introduced_zero_last_affected_and_versions_list() {
        let a = osv(
            Ecosystem::Npm,
            vec![Introduced("0".into()), LastAffected("1.2.3".into())],
            &["2.0.0"],
        );
        assert!(a.affects("0.0.1"));
        assert!(a.affects("1.2.3"));
        assert!(!a.affects("1.2.4"));
        assert!(a.affects("2.0.0"), "listed explicitly");
        assert!(a.affects("1.0.0-beta.1"), "pre-releases are in range");
    }

    #[test]
    fn go_pseudo_versions_in_ranges() {
        let a = osv(
            Ecosystem::Golang,
            vec![Introduced("0".into()), Fixed("0.17.0".into())],
            &[],
        );
        assert!(a.affects("v0.0.0-20220101000000-abcdefabcdef"));
        assert!(a.affects("v0.16.0"));
        assert!(!a.affects("v0.17.0"));
        assert!(!a.affects("v0.17.1-0.20230101000000-abcdefabcdef"));
        let b = osv(
            Ecosystem::Golang,
            vec![Introduced("2.0.0".into()), Fixed("2.1.0".into())],
            &[],
        );
        assert!(b.affects("v2.0.5+incompatible"));
    }

    #[test]
    fn pep440_epoch_and_dev_releases() {
        let a = osv(
            Ecosystem::Pypi,
            vec![Introduced("1!1.0".into()), Fixed("1!1.5".into())],
            &[],
        );
        assert!(!a.affects("2.0"), "no epoch sorts below epoch 1");
        assert!(a.affects("1!1.2"));
        let b = osv(
            Ecosystem::Pypi,
            vec![Introduced("0".into()), Fixed("2.0".into())],
            &[],
        );
        assert!(
            b.affects("2.0.dev3"),
            "a dev release of the fix is still affected"
        );
        assert!(b.affects("2.0rc1"));
        assert!(!b.affects("2.0"));
        assert!(!b.affects("2.0+local"));
    }

    #[test]
    fn rustsec_ranges_decide_as_the_rustsec_crate_does() {
        let req = |r: &str| -> rustsec::VersionReq { r.parse().unwrap() };
        let cases = [
            (vec![">= 1.2.0"], vec![]),
            (vec![">= 0.9.11", "^0.8.6"], vec!["< 0.5.0"]),
            (vec![">= 1.0.0-beta.3"], vec!["< 0.1.0"]),
            (
                vec!["^0.3.1", ">= 0.4.0-alpha.2, < 0.4.0", ">= 0.4.2"],
                vec![],
            ),
            (vec![], vec!["> 2.0.0"]),
            (vec![], vec![]),
        ];
        let versions = [
            "0.0.1",
            "0.1.0",
            "0.3.0",
            "0.3.1",
            "0.3.9",
            "0.4.0-alpha.1",
            "0.4.0-alpha.2",
            "0.4.0",
            "0.4.1",
            "0.4.2",
            "0.5.0",
            "0.8.5",
            "0.8.6",
            "0.9.10",
            "0.9.11",
            "1.0.0-alpha",
            "1.0.0-beta.3",
            "1.0.0",
            "1.1.9",
            "1.2.0",
            "2.0.0",
            "2.0.1",
            "9.0.0",
        ];
        for (patched, unaffected) in cases {
            let theirs = rustsec::advisory::Versions::new(
                patched.iter().map(|r| req(r)).collect(),
                unaffected.iter().map(|r| req(r)).collect(),
            )
            .unwrap();
            let ours = RustSecVersions::from(&theirs);
            for version in versions {
                let expected = theirs.is_vulnerable(&version.parse().unwrap());
                assert_eq!(
                    in_spans(&ours.affected, version),
                    expected,
                    "{version} with patched {patched:?}, unaffected {unaffected:?}"
                );
            }
        }
        assert!(!in_spans(&[(None, None)], "not a version"));
    }

    #[test]
    fn rustsec_patched_and_unaffected() {
        let versions = rustsec::advisory::Versions::new(
            vec![">= 0.9.11".parse().unwrap(), "^0.8.6".parse().unwrap()],
            vec!["< 0.5.0".parse().unwrap()],
        )
        .unwrap();
        let mut a = osv(Ecosystem::Cargo, vec![], &[]);
        a.matcher = Matcher::RustSec(RustSecVersions::from(&versions));
        assert!(!a.affects("0.4.0"));
        assert!(a.affects("0.8.5"));
        assert!(!a.affects("0.8.6"));
        assert!(a.affects("0.9.10"));
        assert!(!a.affects("0.9.11"));
        assert_eq!(a.smallest_fix("0.8.5").as_deref(), Some("0.8.6"));
        assert_eq!(a.smallest_fix("0.9.0").as_deref(), Some("0.9.11"));
    }
}
