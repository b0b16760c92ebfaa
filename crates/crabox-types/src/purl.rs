//! Package URLs per the purl specification: type-specific namespaces and name normalisation,
//! percent-encoding, and qualifiers for non-default registries, git and path sources.

use std::fmt::Write as _;

use crate::component::{Ecosystem, Package, Source};

impl Package {
    /// The package URL of this package (defined here, beside the rules, so that the component
    /// vocabulary does not depend on this module).
    pub fn purl(&self) -> String {
        for_package(self)
    }
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~')
}

/// Percent-encodes a purl component (namespace segment, name, version).
pub fn encode(text: &str) -> String {
    encode_keeping(text, &[])
}

fn encode_keeping(text: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unreserved(c) || keep.contains(&c) {
            out.push(c);
        } else {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// PyPI project name normalisation (PEP 503), which purl requires: lower case, runs of `-_.` as `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The purl of a package.
pub fn for_package(package: &Package) -> String {
    let kind = package.ecosystem.purl_type();
    let (namespace, name) = match package.ecosystem {
        Ecosystem::Npm => match package.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => {
                (Some(scope.to_owned()), name.to_owned())
            }
            _ => (None, package.name.clone()),
        },
        Ecosystem::Golang | Ecosystem::Swift => match package.name.rsplit_once('/') {
            Some((namespace, name)) => (Some(namespace.to_owned()), name.to_owned()),
            None => (None, package.name.clone()),
        },
        Ecosystem::Pypi => (None, normalize_pypi(&package.name)),
        // `vendor/name`: the vendor is the namespace (purl spec, composer type).
        Ecosystem::Packagist => match package.name.split_once('/') {
            Some((vendor, name)) => (Some(vendor.to_owned()), name.to_owned()),
            None => (None, package.name.clone()),
        },
        Ecosystem::Cargo
        | Ecosystem::RubyGems
        | Ecosystem::NuGet
        | Ecosystem::Pub
        | Ecosystem::Conan
        | Ecosystem::Vcpkg => (None, package.name.clone()),
        // `group:artifact`: the group is the namespace (purl spec, maven type).
        Ecosystem::Maven => match package.name.split_once(':') {
            Some((group, artifact)) => (Some(group.to_owned()), artifact.to_owned()),
            None => (None, package.name.clone()),
        },
        // The distribution is the namespace (`pkg:deb/debian/…`, `pkg:apk/alpine/…`).
        Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Rpm => match &package.source {
            Source::Distribution(d) => (Some(d.id.to_ascii_lowercase()), package.name.clone()),
            _ => (None, package.name.clone()),
        },
    };
    let mut purl = format!("pkg:{kind}/");
    if let Some(namespace) = namespace {
        let segments: Vec<String> = namespace.split('/').map(encode).collect();
        purl.push_str(&segments.join("/"));
        purl.push('/');
    }
    purl.push_str(&encode(&name));
    // An rpm's epoch is a qualifier, not part of the version (purl spec, rpm type).
    let (epoch, version) = match (package.ecosystem, package.version.split_once(':')) {
        (Ecosystem::Rpm, Some((epoch, version))) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(epoch), version)
        }
        _ => (None, package.version.as_str()),
    };
    // A vcpkg port version (`1.3.1#2`) is the `port_version` qualifier (purl spec, vcpkg type).
    let (version, port_version) = match (package.ecosystem, version.split_once('#')) {
        (Ecosystem::Vcpkg, Some((version, port))) => (version, Some(port)),
        _ => (version, None),
    };
    if !version.is_empty() {
        purl.push('@');
        purl.push_str(&encode(version));
    }
    // Qualifiers sorted by key, as the purl spec's canonical form has them.
    let mut qualifiers: Vec<(&str, String)> = match &package.source {
        Source::Registry | Source::Path(_) => Vec::new(),
        Source::OtherRegistry(url) => vec![("repository_url", url.clone())],
        Source::Git { url, rev } => vec![(
            "vcs_url",
            match rev {
                Some(rev) => format!("git+{}@{rev}", url.trim_start_matches("git+")),
                None => format!("git+{}", url.trim_start_matches("git+")),
            },
        )],
        Source::Url(url) => vec![("download_url", url.clone())],
        Source::Distribution(d) => {
            let mut q = Vec::new();
            if let Some(arch) = &d.arch {
                q.push(("arch", arch.clone()));
            }
            if let Some(epoch) = epoch {
                q.push(("epoch", epoch.to_owned()));
            }
            if d.version_id.is_empty() {
                q.push(("distro", d.id.clone()));
            } else {
                q.push(("distro", format!("{}-{}", d.id, d.version_id)));
            }
            match (&d.upstream, &d.upstream_version) {
                (Some(name), Some(version)) => q.push(("upstream", format!("{name}@{version}"))),
                (Some(name), None) => q.push(("upstream", name.clone())),
                (None, Some(version)) => {
                    q.push(("upstream", format!("{}@{version}", package.name)));
                }
                (None, None) => {}
            }
            q.sort_by_key(|(key, _)| *key);
            q
        }
    };
    if let Some(port) = port_version {
        qualifiers.push(("port_version", port.to_owned()));
        qualifiers.sort_by_key(|(key, _)| *key);
    }
    for (i, (key, value)) in qualifiers.iter().enumerate() {
        purl.push(if i == 0 { '?' } else { '&' });
        purl.push_str(key);
        purl.push('=');
        purl.push_str(&encode_keeping(value, &[':', '/']));
    }
    purl
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The package a purl names, when its type is an ecosystem crabox knows and it has a version:
/// the name as the ecosystem writes it (`@scope/name`, `group:artifact`, `vendor/name`,
/// `github.com/owner/repo`), the registry source, or for `deb` and `apk` the distribution of
/// its `distro` qualifier (`debian-12`) with `arch` and `upstream`.
pub fn parse_package(purl: &str) -> Option<Package> {
    let rest = purl.strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.split('#').next()?;
    let (rest, qualifiers) = rest.split_once('?').unwrap_or((rest, ""));
    let (path, version) = rest.rsplit_once('@')?;
    let (kind, path) = path.split_once('/')?;
    let ecosystem = Ecosystem::from_purl_type(&kind.to_ascii_lowercase())?;
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let (name, namespace) = segments.split_last()?;
    let name = match (ecosystem, namespace) {
        // The namespace of a distribution's package is the distribution, not part of the name.
        (Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Rpm, _) | (_, []) => name.clone(),
        (Ecosystem::Maven, ns) => format!("{}:{name}", ns.join(".")),
        (_, ns) => format!("{}/{name}", ns.join("/")),
    };
    let mut version = decode(version);
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let qualifier = |key: &str| {
        qualifiers
            .split('&')
            .filter_map(|q| q.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| decode(v))
    };
    if let Some(epoch) = qualifier("epoch").filter(|e| ecosystem == Ecosystem::Rpm && e != "0") {
        version = format!("{epoch}:{version}");
    }
    if let Some(port) =
        qualifier("port_version").filter(|p| ecosystem == Ecosystem::Vcpkg && p != "0")
    {
        version = format!("{version}#{port}");
    }
    let mut package = Package::new(ecosystem, name, version);
    if ecosystem.is_distribution() {
        let distro = qualifier("distro").unwrap_or_default();
        let (id, version_id) = distro.split_once('-').unwrap_or((&distro, ""));
        let id = if id.is_empty() {
            namespace.first().cloned().unwrap_or_default()
        } else {
            id.to_owned()
        };
        let (upstream, upstream_version) = match qualifier("upstream") {
            Some(u) => match u.split_once('@') {
                Some((n, v)) => (Some(n.to_owned()), Some(v.to_owned())),
                None => (Some(u), None),
            },
            None => (None, None),
        };
        package.source = Source::Distribution(Box::new(crate::component::Distribution {
            id,
            version_id: version_id.to_owned(),
            arch: qualifier("arch"),
            upstream: upstream.filter(|u| *u != package.name),
            upstream_version,
        }));
    } else if let Some(url) = qualifier("repository_url") {
        package.source = Source::OtherRegistry(url);
    } else if let Some(vcs) = qualifier("vcs_url") {
        let vcs = vcs.trim_start_matches("git+").to_owned();
        let (url, rev) = match vcs.rsplit_once('@') {
            Some((u, r)) if !u.ends_with(':') && u.contains("://") => {
                (u.to_owned(), Some(r.to_owned()))
            }
            _ => (vcs, None),
        };
        package.source = Source::Git { url, rev };
    } else if let Some(url) = qualifier("download_url") {
        package.source = Source::Url(url);
    }
    Some(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purl_parses_back_to_its_package() {
        for purl in [
            "pkg:cargo/rand@0.7.2",
            "pkg:npm/%40babel/core@7.24.0",
            "pkg:golang/github.com/pkg/errors@v0.9.1",
            "pkg:pypi/django-allauth@0.1",
            "pkg:maven/com.google.guava/guava@31.1-jre",
            "pkg:composer/symfony/http-kernel@v5.4.1",
            "pkg:swift/github.com/apple/swift-nio@2.62.0",
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
            "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2",
            "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.20.3",
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=almalinux-9.4&epoch=1&upstream=openssl",
            "pkg:npm/left-pad@1.3.0?repository_url=https://npm.acme.example",
        ] {
            let package = parse_package(purl).unwrap_or_else(|| panic!("{purl}"));
            assert_eq!(package.purl(), purl, "round trip");
        }
        let maven = parse_package("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        assert_eq!(maven.name, "org.apache.logging.log4j:log4j-core");
        assert!(
            parse_package("pkg:generic/openssl@3.0").is_none(),
            "an unknown type"
        );
        assert!(parse_package("pkg:npm/left-pad").is_none(), "no version");
        assert!(parse_package("not a purl").is_none());
    }

    #[test]
    fn distribution_packages_name_their_distribution() {
        let mut package = Package::new(Ecosystem::Debian, "libssl3", "3.0.11-1~deb12u2");
        package.source = Source::Distribution(Box::new(crate::component::Distribution {
            id: "debian".into(),
            version_id: "12".into(),
            arch: Some("amd64".into()),
            upstream: Some("openssl".into()),
            upstream_version: None,
        }));
        assert_eq!(
            package.purl(),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        let mut package = Package::new(Ecosystem::Alpine, "busybox", "1.36.1-r15");
        package.source = Source::Distribution(Box::new(crate::component::Distribution {
            id: "alpine".into(),
            version_id: "3.20.3".into(),
            arch: Some("x86_64".into()),
            upstream: None,
            upstream_version: None,
        }));
        assert_eq!(
            package.purl(),
            "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.20.3"
        );
    }

    fn purl(ecosystem: Ecosystem, name: &str, version: &str, source: Source) -> String {
        let mut package = Package::new(ecosystem, name, version);
        package.source = source;
        package.purl()
    }

    #[test]
    fn follows_the_specification_examples() {
        assert_eq!(
            purl(Ecosystem::Cargo, "rand", "0.7.2", Source::Registry),
            "pkg:cargo/rand@0.7.2"
        );
        assert_eq!(
            purl(
                Ecosystem::Npm,
                "@angular/animation",
                "12.3.1",
                Source::Registry
            ),
            "pkg:npm/%40angular/animation@12.3.1"
        );
        assert_eq!(
            purl(
                Ecosystem::Golang,
                "github.com/gorilla/context",
                "v1.1.1",
                Source::Registry
            ),
            "pkg:golang/github.com/gorilla/context@v1.1.1"
        );
        assert_eq!(
            purl(Ecosystem::Pypi, "Django_Allauth", "0.1", Source::Registry),
            "pkg:pypi/django-allauth@0.1"
        );
        assert_eq!(
            purl(
                Ecosystem::Cargo,
                "semver",
                "1.0.0+build.1",
                Source::Registry
            ),
            "pkg:cargo/semver@1.0.0%2Bbuild.1"
        );
    }

    #[test]
    fn qualifies_other_sources() {
        assert_eq!(
            purl(
                Ecosystem::Cargo,
                "gix",
                "0.1.0",
                Source::Git {
                    url: "https://github.com/x/y".into(),
                    rev: Some("abc".into())
                }
            ),
            "pkg:cargo/gix@0.1.0?vcs_url=git%2Bhttps://github.com/x/y%40abc"
        );
        assert_eq!(
            purl(
                Ecosystem::Npm,
                "left-pad",
                "1.0.0",
                Source::OtherRegistry("https://npm.acme.example/".into())
            ),
            "pkg:npm/left-pad@1.0.0?repository_url=https://npm.acme.example/"
        );
    }

    #[test]
    fn pep_503() {
        assert_eq!(normalize_pypi("Friendly-Bard"), "friendly-bard");
        assert_eq!(normalize_pypi("FRIENDLY._-BARD"), "friendly-bard");
    }
}
