//! Versions by each ecosystem's rules: SemVer for crates.io and npm, PEP 440 for PyPI, Go module
//! versions (a `v` prefix, pseudo-versions as SemVer pre-releases, `+incompatible` ignored).

use std::cmp::Ordering;
use std::str::FromStr;

use crabox_types::component::Ecosystem;

/// A parsed version of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Semver(rustsec::semver::Version),
    Pep440(pep440_rs::Version),
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
}
