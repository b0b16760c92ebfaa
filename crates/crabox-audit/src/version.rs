//! Versions by each ecosystem's rules: SemVer for crates.io and npm, PEP 440 for PyPI, Go module
//! versions (a `v` prefix, pseudo-versions as SemVer pre-releases, `+incompatible` ignored),
//! Composer's for Packagist (up to four numbers, then a stability: dev < alpha < beta < RC <
//! stable < patch), `RubyGems`' `Gem::Version` (numbers and letters as segments, a letter making a
//! pre-release, trailing zeros ignored), `NuGet`'s (`SemVer` 2 with a fourth number, labels without
//! case), Maven's `ComparableVersion` (`maven_version`), and Debian's and Alpine's
//! (`distro_version`).

use std::cmp::Ordering;
use std::str::FromStr;

use crabox_types::component::Ecosystem;

/// A parsed version of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Semver(rustsec::semver::Version),
    Pep440(pep440_rs::Version),
    Composer(Composer),
    Gem(Gem),
    NuGet(NuGetVersion),
    Dpkg(crate::distro_version::Dpkg),
    Apk(crate::distro_version::Apk),
    Rpm(crate::distro_version::Rpm),
    Maven(crate::maven_version::Maven),
    Conan(ConanVersion),
}

/// A Conan version (`conans.model.version.Version`): dot-separated items, numbers compared as
/// numbers and others as text (a number before text), trailing zeros not counted, a `-`
/// pre-release below its release, `+` build metadata ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConanVersion {
    main: Vec<ConanItem>,
    /// Empty for a release.
    pre: Vec<ConanItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ConanItem {
    Number(u64),
    Text(String),
}

impl ConanVersion {
    fn parse(text: &str) -> Option<ConanVersion> {
        let text = text.split('+').next().unwrap_or(text);
        if text.is_empty() || text.starts_with(['[', '~', '^']) || text.contains([' ', ',']) {
            return None;
        }
        let (main, pre) = text
            .split_once('-')
            .map_or((text, None), |(m, p)| (m, Some(p)));
        let items = |part: &str| -> Option<Vec<ConanItem>> {
            part.split('.')
                .map(|item| {
                    if item.is_empty() {
                        None
                    } else if item.bytes().all(|b| b.is_ascii_digit()) {
                        item.parse().ok().map(ConanItem::Number)
                    } else {
                        Some(ConanItem::Text(item.to_ascii_lowercase()))
                    }
                })
                .collect()
        };
        let mut main = items(main)?;
        while main.len() > 1 && main.last() == Some(&ConanItem::Number(0)) {
            main.pop();
        }
        let pre = match pre {
            Some(pre) => items(pre)?,
            None => Vec::new(),
        };
        Some(ConanVersion { main, pre })
    }

    fn compare(&self, other: &ConanVersion) -> Ordering {
        self.main
            .cmp(&other.main)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

/// A `NuGet` version: up to four numbers, then `SemVer` 2 pre-release labels compared without case
/// (build metadata ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NuGetVersion {
    numbers: [u64; 4],
    /// Empty for a release.
    pre: Vec<String>,
}

impl NuGetVersion {
    fn parse(text: &str) -> Option<NuGetVersion> {
        let text = text.split('+').next().unwrap_or(text);
        let (release, pre) = text
            .split_once('-')
            .map_or((text, None), |(r, p)| (r, Some(p)));
        let parts: Vec<&str> = release.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        let mut numbers = [0u64; 4];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => {
                let labels: Vec<String> = pre.split('.').map(str::to_ascii_lowercase).collect();
                if labels.iter().any(|l| {
                    l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                }) {
                    return None;
                }
                labels
            }
        };
        Some(NuGetVersion { numbers, pre })
    }

    fn compare(&self, other: &NuGetVersion) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let order = match (a.parse::<u64>(), b.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => a.cmp(b),
                        };
                        if order != Ordering::Equal {
                            return order;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            }
        })
    }
}

/// A segment of a `RubyGems` version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum GemSegment {
    Number(u64),
    Text(String),
}

impl PartialOrd for GemSegment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GemSegment {
    /// A number is above a text segment (`1.0.a` is a pre-release of `1.0`).
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (GemSegment::Number(a), GemSegment::Number(b)) => a.cmp(b),
            (GemSegment::Text(a), GemSegment::Text(b)) => a.cmp(b),
            (GemSegment::Number(_), GemSegment::Text(_)) => Ordering::Greater,
            (GemSegment::Text(_), GemSegment::Number(_)) => Ordering::Less,
        }
    }
}

/// A `RubyGems` version as `Gem::Version` compares it: its canonical segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gem {
    segments: Vec<GemSegment>,
}

impl Gem {
    fn parse(text: &str) -> Option<Gem> {
        // Gem::Version's pattern: digits, letters, dots and (as `.pre.`) dashes.
        if text.is_empty()
            || !text.starts_with(|c: char| c.is_ascii_digit())
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return None;
        }
        let text = text.replace('-', ".pre.");
        let mut segments = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            // `1a2` is three segments.
            let mut rest = part;
            while !rest.is_empty() {
                let digits = rest.starts_with(|c: char| c.is_ascii_digit());
                let end = rest
                    .find(|c: char| c.is_ascii_digit() != digits)
                    .unwrap_or(rest.len());
                let (piece, tail) = rest.split_at(end);
                segments.push(if digits {
                    GemSegment::Number(piece.parse().ok()?)
                } else {
                    GemSegment::Text(piece.to_owned())
                });
                rest = tail;
            }
        }
        // Canonical: trailing zeros dropped, of the release part and of the whole.
        let release_end = segments
            .iter()
            .position(|s| matches!(s, GemSegment::Text(_)))
            .unwrap_or(segments.len());
        let (release, pre) = segments.split_at(release_end);
        let mut release = release.to_vec();
        while release.last() == Some(&GemSegment::Number(0)) {
            release.pop();
        }
        let mut pre = pre.to_vec();
        while pre.last() == Some(&GemSegment::Number(0)) {
            pre.pop();
        }
        release.extend(pre);
        Some(Gem { segments: release })
    }

    fn compare(&self, other: &Gem) -> Ordering {
        let zero = GemSegment::Number(0);
        let len = self.segments.len().max(other.segments.len());
        (0..len)
            .map(|i| {
                let a = self.segments.get(i).unwrap_or(&zero);
                let b = other.segments.get(i).unwrap_or(&zero);
                a.cmp(b)
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
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
            Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Pub | Ecosystem::Swift => {
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
            Ecosystem::RubyGems => Gem::parse(text).map(Version::Gem),
            Ecosystem::NuGet => NuGetVersion::parse(text).map(Version::NuGet),
            Ecosystem::Maven => crate::maven_version::Maven::parse(text).map(Version::Maven),
            Ecosystem::Conan => ConanVersion::parse(text).map(Version::Conan),
            Ecosystem::Debian => crate::distro_version::Dpkg::parse(text).map(Version::Dpkg),
            Ecosystem::Alpine => crate::distro_version::Apk::parse(text).map(Version::Apk),
            Ecosystem::Rpm => crate::distro_version::Rpm::parse(text).map(Version::Rpm),
            // No advisory database publishes vcpkg ports' versions to compare with.
            Ecosystem::Vcpkg => None,
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
            (Version::Gem(a), Version::Gem(b)) => Some(a.compare(b)),
            (Version::NuGet(a), Version::NuGet(b)) => Some(a.compare(b)),
            (Version::Dpkg(a), Version::Dpkg(b)) => Some(a.compare(b)),
            (Version::Apk(a), Version::Apk(b)) => Some(a.compare(b)),
            (Version::Rpm(a), Version::Rpm(b)) => Some(a.compare(b)),
            (Version::Maven(a), Version::Maven(b)) => Some(a.compare(b)),
            (Version::Conan(a), Version::Conan(b)) => Some(a.compare(b)),
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

    #[test]
    fn gem_versions_as_gem_version_orders_them() {
        use Ordering::{Equal, Greater, Less};
        let c = |a, b| cmp(Ecosystem::RubyGems, a, b);
        // From Gem::Version's documentation and tests.
        assert_eq!(c("1.0", "1.0.0"), Equal);
        assert_eq!(c("1.9.3", "1.10.0"), Less);
        assert_eq!(c("1.0.a", "1.0"), Less, "a letter makes a pre-release");
        assert_eq!(c("1.0.0.pre1", "1.0.0"), Less);
        assert_eq!(c("1.0.a", "1.0.b"), Less);
        assert_eq!(c("2.0.0.beta.2", "2.0.0.beta.10"), Less);
        assert_eq!(c("2.0.0.rc1", "2.0.0.beta10"), Greater);
        assert_eq!(c("1.0-1", "1.0.pre.1"), Equal, "a dash is `.pre.`");
        assert_eq!(c("5.2.4.3", "5.2.4.10"), Less);
        assert!(Version::parse(Ecosystem::RubyGems, "junk!").is_none());
        assert!(Version::parse(Ecosystem::RubyGems, "").is_none());
    }

    #[test]
    fn conan_versions_as_conan_orders_them() {
        use Ordering::{Equal, Greater, Less};
        let c = |a, b| cmp(Ecosystem::Conan, a, b);
        // conans/test/unittests/model/version: numbers as numbers, trailing zeros, pre-releases.
        assert_eq!(c("1.2.13", "1.2.3"), Greater);
        assert_eq!(c("1.2", "1.2.0"), Equal);
        assert_eq!(c("1.2.0", "1.2.0.0"), Equal);
        assert_eq!(c("1.0-pre", "1.0"), Less);
        assert_eq!(c("1.0-alpha", "1.0-beta"), Less);
        assert_eq!(c("1.1.1t", "1.1.1u"), Less, "openssl letters");
        assert_eq!(c("1.1.1", "1.1.1t"), Less, "a number before text");
        assert_eq!(c("3.0.0+build1", "3.0.0"), Equal);
        assert_eq!(c("cci.20230101", "cci.20230201"), Less);
        assert!(Version::parse(Ecosystem::Conan, "[>=1.0 <2]").is_none());
    }

    #[test]
    fn nuget_versions_as_nuget_orders_them() {
        use Ordering::{Equal, Less};
        let c = |a, b| cmp(Ecosystem::NuGet, a, b);
        // NuGet's rules: a fourth number, missing numbers are 0, labels without case, build
        // metadata ignored, SemVer 2 label order.
        assert_eq!(c("1.0", "1.0.0.0"), Equal);
        assert_eq!(c("4.3.0", "4.3.0.1"), Less);
        assert_eq!(c("1.0.0-beta", "1.0.0"), Less);
        assert_eq!(c("1.0.0-Beta", "1.0.0-beta"), Equal);
        assert_eq!(c("1.0.0-beta.2", "1.0.0-beta.10"), Less);
        assert_eq!(c("1.0.0-alpha", "1.0.0-alpha.1"), Less);
        assert_eq!(c("1.0.0-1", "1.0.0-alpha"), Less, "numeric labels first");
        assert_eq!(c("2.1.0+build.7", "2.1.0"), Equal);
        assert!(Version::parse(Ecosystem::NuGet, "1.2.3.4.5").is_none());
        assert!(Version::parse(Ecosystem::NuGet, "[1.0, )").is_none());
    }
}
