//! Versions by each ecosystem's rules: SemVer for crates.io and npm, PEP 440 for PyPI, Go module
//! versions (a `v` prefix, pseudo-versions as SemVer pre-releases, `+incompatible` ignored),
//! Composer's for Packagist (up to four numbers, then a stability: dev < alpha < beta < RC <
//! stable < patch).

use std::cmp::Ordering;
use std::str::FromStr;

use crabox_types::component::Ecosystem;

/// A parsed version of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Semver(rustsec::semver::Version),
    Pep440(pep440_rs::Version),
    Composer(Composer),
}

/// A Composer version as its `VersionParser` normalises it: four numbers, a stability and its
/// number (`1.2-RC3` is 1.2.0.0, RC, 3). Branches (`dev-main`) are not versions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Composer {
    numbers: [u64; 4],
    /// 0 dev, 1 alpha, 2 beta, 3 RC, 4 stable, 5 patch.
    stability: u8,
    stability_number: u64,
}

impl Composer {
    fn parse(text: &str) -> Option<Composer> {
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (numeric, rest) = text.split_at(split);
        let mut numbers = [0u64; 4];
        let parts: Vec<&str> = numeric.trim_end_matches('.').split('.').collect();
        if parts.is_empty() || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = part.parse().ok()?;
        }
        let rest = rest
            .trim_start_matches(['-', '.', '_'])
            .to_ascii_lowercase();
        if rest.is_empty() {
            return Some(Composer {
                numbers,
                stability: 4,
                stability_number: 0,
            });
        }
        let words: [(&str, u8); 10] = [
            ("stable", 4),
            ("alpha", 1),
            ("beta", 2),
            ("patch", 5),
            ("dev", 0),
            ("rc", 3),
            ("pl", 5),
            ("a", 1),
            ("b", 2),
            ("p", 5),
        ];
        let (word, stability) = words.iter().find(|(w, _)| rest.starts_with(w))?;
        let tail = rest[word.len()..].trim_start_matches(['-', '.']);
        let digits = tail
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        let stability_number = if digits == 0 {
            0
        } else {
            tail[..digits].parse().ok()?
        };
        // What may follow: a `-dev` of that pre-release, nothing else.
        let after = tail[digits..].trim_start_matches(['-', '.']);
        if !after.is_empty() && after != "dev" {
            return None;
        }
        Some(Composer {
            numbers,
            stability: *stability,
            stability_number,
        })
    }
}

impl Version {
    /// Parses `text` by the rules of `ecosystem`; `None` when it is not a version there.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Option<Version> {
        let text = text.trim();
        match ecosystem {
            Ecosystem::Cargo | Ecosystem::Npm => {
                rustsec::semver::Version::parse(text.strip_prefix('v').unwrap_or(text))
                    .ok()
                    .map(Version::Semver)
            }
            Ecosystem::Golang => {
                let text = text.strip_prefix('v').unwrap_or(text);
                let text = text.strip_suffix("+incompatible").unwrap_or(text);
                rustsec::semver::Version::parse(text)
                    .ok()
                    .map(Version::Semver)
            }
            Ecosystem::Pypi => pep440_rs::Version::from_str(text).ok().map(Version::Pep440),
            Ecosystem::Packagist => Composer::parse(text).map(Version::Composer),
        }
    }

    /// Orders two versions of the same scheme.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            // Build metadata does not order versions (SemVer 2.0 §10); `Version::cmp` breaks ties
            // with it, so compare without it.
            (Version::Semver(a), Version::Semver(b)) => Some(
                (a.major, a.minor, a.patch)
                    .cmp(&(b.major, b.minor, b.patch))
                    .then_with(|| a.pre.cmp(&b.pre)),
            ),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Composer(a), Version::Composer(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
        Version::parse(ecosystem, a)
            .unwrap()
            .compare(&Version::parse(ecosystem, b).unwrap())
            .unwrap()
    }

    #[test]
    fn semver_with_pre_releases() {
        assert_eq!(
            cmp(Ecosystem::Cargo, "1.0.0-alpha.1", "1.0.0"),
            Ordering::Less
        );
        assert_eq!(
            cmp(Ecosystem::Cargo, "1.0.0-alpha.2", "1.0.0-alpha.10"),
            Ordering::Less
        );
        assert_eq!(
            cmp(Ecosystem::Npm, "1.2.3+build.5", "1.2.3"),
            Ordering::Equal
        );
    }

    #[test]
    fn pep440_epochs_pre_post_dev_local() {
        assert_eq!(
            cmp(Ecosystem::Pypi, "1!1.0", "2.0"),
            Ordering::Greater,
            "epoch wins"
        );
        assert_eq!(cmp(Ecosystem::Pypi, "1.0rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp(Ecosystem::Pypi, "1.0.dev1", "1.0a1"), Ordering::Less);
        assert_eq!(cmp(Ecosystem::Pypi, "1.0.post1", "1.0"), Ordering::Greater);
        assert_eq!(
            cmp(Ecosystem::Pypi, "1.0+local.1", "1.0"),
            Ordering::Greater
        );
        assert_eq!(cmp(Ecosystem::Pypi, "1.0", "1.0.0"), Ordering::Equal);
        assert!(Version::parse(Ecosystem::Pypi, "not a version").is_none());
    }

    #[test]
    fn go_pseudo_versions_and_incompatible() {
        assert_eq!(
            cmp(
                Ecosystem::Golang,
                "v0.0.0-20210101000000-abcdefabcdef",
                "v0.0.1"
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp(
                Ecosystem::Golang,
                "v1.2.4-0.20210101000000-abcdefabcdef",
                "v1.2.3"
            ),
            Ordering::Greater,
            "a pseudo-version after v1.2.3 sorts above it"
        );
        assert_eq!(
            cmp(Ecosystem::Golang, "v2.0.0+incompatible", "v2.0.0"),
            Ordering::Equal
        );
        assert_eq!(
            cmp(Ecosystem::Golang, "v1.10.0", "1.9.0"),
            Ordering::Greater
        );
    }

    #[test]
    fn composer_versions_as_composer_orders_them() {
        use Ordering::{Equal, Less};
        let c = |a, b| cmp(Ecosystem::Packagist, a, b);
        // Composer's normalisation: a `v` prefix, missing numbers, four parts.
        assert_eq!(c("v1.2.3", "1.2.3"), Equal);
        assert_eq!(c("1.0", "1.0.0.0"), Equal);
        assert_eq!(c("2.0.0", "2.0.0.1"), Less);
        assert_eq!(c("1.9.9", "1.10.0"), Less);
        // Stabilities: dev < alpha < beta < RC < stable < patch.
        assert_eq!(c("1.0.0-dev", "1.0.0-alpha"), Less);
        assert_eq!(c("1.0.0-alpha2", "1.0.0-beta1"), Less);
        assert_eq!(c("1.0.0-beta", "1.0.0-RC1"), Less);
        assert_eq!(c("1.0.0-RC1", "1.0.0-rc2"), Less);
        assert_eq!(c("1.0.0-RC2", "1.0.0"), Less);
        assert_eq!(c("1.0.0", "1.0.0-pl1"), Less);
        assert_eq!(c("1.0.0-b2", "1.0.0-beta.2"), Equal);
        // Branches and junk are not versions.
        assert!(Version::parse(Ecosystem::Packagist, "dev-main").is_none());
        assert!(Version::parse(Ecosystem::Packagist, "1.0.0-foo").is_none());
        assert!(Version::parse(Ecosystem::Packagist, "1.2.3.4.5").is_none());
    }
}
