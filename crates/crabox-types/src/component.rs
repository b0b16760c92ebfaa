//! Components as every step sees them (the catalogers of `crabox-sbom` produce them, the audit
//! matches advisories against them): packages with their identity, source, scope, hashes, licences and
//! dependency edges, per lockfile.

use std::path::{Path, PathBuf};

use crate::Code;

/// A package ecosystem, named as the purl type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Cargo,
    Npm,
    Pypi,
    Golang,
    /// PHP Composer packages (packagist.org).
    Packagist,
    /// Ruby gems (rubygems.org).
    RubyGems,
    /// .NET packages (nuget.org).
    NuGet,
    /// Dart and Flutter packages (pub.dev).
    Pub,
    /// Java packages (Maven Central): `group:artifact`.
    Maven,
    /// Swift packages, named by repository URL (`github.com/apple/swift-nio`).
    Swift,
    /// C and C++ packages (Conan, `ConanCenter`).
    Conan,
    /// C and C++ ports of vcpkg (Microsoft's registry, or another the configuration names).
    Vcpkg,
    /// Debian packages (dpkg), of Debian or a distribution built on it.
    Debian,
    /// Alpine packages (apk).
    Alpine,
    /// RPM packages (Red Hat Enterprise Linux, `AlmaLinux`, Rocky Linux, Fedora).
    Rpm,
}

impl Ecosystem {
    /// The purl type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Golang => "golang",
            Ecosystem::Packagist => "composer",
            Ecosystem::RubyGems => "gem",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Pub => "pub",
            Ecosystem::Maven => "maven",
            Ecosystem::Swift => "swift",
            Ecosystem::Conan => "conan",
            Ecosystem::Vcpkg => "vcpkg",
            Ecosystem::Debian => "deb",
            Ecosystem::Alpine => "apk",
            Ecosystem::Rpm => "rpm",
        }
    }

    /// The name OSV uses.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "PyPI",
            Ecosystem::Golang => "Go",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Pub => "Pub",
            Ecosystem::Maven => "Maven",
            Ecosystem::Swift => "SwiftURL",
            Ecosystem::Conan => "ConanCenter",
            // OSV publishes no vcpkg ecosystem: no database covers these packages, and the
            // audit says so.
            Ecosystem::Vcpkg => "vcpkg",
            Ecosystem::Debian => "Debian",
            Ecosystem::Alpine => "Alpine",
            // OSV names each RPM distribution (`Red Hat`, `AlmaLinux`, `Rocky Linux`); crabox
            // keeps one ecosystem for the family, keyed by distribution and release.
            Ecosystem::Rpm => "RPM",
        }
    }

    pub const ALL: [Ecosystem; 15] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Pypi,
        Ecosystem::Golang,
        Ecosystem::Packagist,
        Ecosystem::RubyGems,
        Ecosystem::NuGet,
        Ecosystem::Pub,
        Ecosystem::Maven,
        Ecosystem::Swift,
        Ecosystem::Conan,
        Ecosystem::Vcpkg,
        Ecosystem::Debian,
        Ecosystem::Alpine,
        Ecosystem::Rpm,
    ];

    /// Whether the ecosystem's packages are those of an operating-system distribution (their
    /// advisories are per release of the distribution).
    pub fn is_distribution(self) -> bool {
        matches!(self, Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Rpm)
    }

    /// The ecosystem of an OSV name (`crates.io`, `npm`, `PyPI`, `Go`).
    pub fn from_osv_name(name: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.osv_name() == name)
    }

    /// The ecosystem of a purl type (`cargo`, `npm`, `pypi`, `golang`).
    pub fn from_purl_type(name: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.purl_type() == name)
    }
}

/// What kind of finding an advisory (or the registry) gives about a package.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum FindingKind {
    Vulnerability,
    Unmaintained,
    Unsound,
    Notice,
    /// The installed release was withdrawn from its registry (not an advisory).
    Yanked,
}

impl FindingKind {
    pub const ALL: [FindingKind; 5] = [
        FindingKind::Vulnerability,
        FindingKind::Unmaintained,
        FindingKind::Unsound,
        FindingKind::Notice,
        FindingKind::Yanked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Unmaintained => "unmaintained",
            FindingKind::Unsound => "unsound",
            FindingKind::Notice => "notice",
            FindingKind::Yanked => "yanked",
        }
    }

    /// The kind named by [`FindingKind::as_str`].
    pub fn parse(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Whether a package ships with the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Required,
    Optional,
    /// Used only to develop or test the product (CycloneDX `excluded`, SPDX `DEV_DEPENDENCY_OF`).
    Dev,
}

/// A hash algorithm, named as CycloneDX names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub fn cyclonedx(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }

    pub fn spdx(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
        }
    }

    /// Length of the hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 40,
            HashAlg::Sha256 => 64,
            HashAlg::Sha384 => 96,
            HashAlg::Sha512 => 128,
        }
    }
}

/// A digest in lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash {
    pub alg: HashAlg,
    pub hex: String,
}

impl Hash {
    /// A hash from hex text, if it has the algorithm's length and only hex digits.
    pub fn from_hex(alg: HashAlg, hex: &str) -> Option<Hash> {
        let hex = hex.trim_ascii();
        if hex.len() != alg.hex_len() {
            return None;
        }
        // Lower case is what lockfiles hold: then the text is copied as it is. Every byte is
        // looked at (a fold, not `all`), which the compiler turns into a vector loop: a ninth of
        // the instructions for a 64-digit SHA-256.
        let lower = hex.bytes().fold(true, |ok, b| {
            ok & (b.is_ascii_digit() | (b'a'..=b'f').contains(&b))
        });
        if lower {
            return Some(Hash {
                alg,
                hex: hex.to_owned(),
            });
        }
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then(|| Hash {
            alg,
            hex: hex.to_ascii_lowercase(),
        })
    }

    /// A hash from an algorithm-prefixed text: `sha256:…` (hex) or an SRI `sha512-…` (base64).
    pub fn from_prefixed(text: &str) -> Option<Hash> {
        let text = text.trim();
        if let Some((alg, value)) = text.split_once(':') {
            return Hash::from_hex(alg_named(alg)?, value);
        }
        let (alg, value) = text.split_once('-')?;
        let bytes = crate::encoding::base64_decode(value)?;
        Hash::from_hex(alg_named(alg)?, &crate::encoding::hex(&bytes))
    }
}

fn alg_named(name: &str) -> Option<HashAlg> {
    match name.to_ascii_lowercase().as_str() {
        "sha1" => Some(HashAlg::Sha1),
        "sha256" => Some(HashAlg::Sha256),
        "sha384" => Some(HashAlg::Sha384),
        "sha512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The ecosystem's default registry (crates.io, registry.npmjs.org, pypi.org, proxy.golang.org).
    Registry,
    /// Another registry, by URL.
    OtherRegistry(String),
    /// A git repository at a revision.
    Git { url: String, rev: Option<String> },
    /// A local path (workspace members, path dependencies).
    Path(String),
    /// A direct download URL.
    Url(String),
    /// A package installed from an operating-system distribution (in an image or a root file
    /// system).
    Distribution(Box<Distribution>),
}

/// The distribution an installed operating-system package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Distribution {
    /// `ID` of `os-release` (`debian`, `alpine`, `ubuntu`): the purl namespace.
    pub id: String,
    /// `VERSION_ID` of `os-release` (`12`, `3.20.3`); empty when it has none (testing, edge).
    pub version_id: String,
    /// The package's architecture (`amd64`, `x86_64`, `all`).
    pub arch: Option<String>,
    /// The source package it was built from (Debian `Source:`, Alpine origin), when its name
    /// differs: advisories of distributions name source packages.
    pub upstream: Option<String>,
    /// The source package's version, when it differs from the binary package's (a binNMU).
    pub upstream_version: Option<String>,
}

impl Distribution {
    /// The release as OSV names it after the ecosystem (`Debian:12`, `Alpine:v3.20`), for the
    /// distribution the ecosystem is named after; another distribution (Ubuntu's dpkg packages)
    /// gets `ID:VERSION_ID`, which no Debian or Alpine advisory names.
    pub fn osv_release(&self, ecosystem: Ecosystem) -> String {
        match (ecosystem, self.id.as_str()) {
            (Ecosystem::Debian, "debian") => self
                .version_id
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned(),
            (Ecosystem::Alpine, "alpine") => {
                let mut parts = self.version_id.split(['.', '_']);
                match (parts.next(), parts.next()) {
                    (Some(major), Some(minor)) if !major.is_empty() => format!("v{major}.{minor}"),
                    _ => String::new(),
                }
            }
            // `Red Hat:enterprise_linux:9::appstream`, `AlmaLinux:9`, `Rocky Linux:9` all become
            // `ID:MAJOR` of os-release (`rhel:9`, `almalinux:9`, `rocky:9`).
            (Ecosystem::Rpm, _) => format!(
                "{}:{}",
                self.id,
                self.version_id.split('.').next().unwrap_or_default()
            ),
            _ => format!("{}:{}", self.id, self.version_id),
        }
    }
}

/// One package pinned by a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// The real package name (an npm alias is resolved to the package it stands for).
    pub name: String,
    pub version: String,
    pub source: Source,
    pub scope: Scope,
    pub hashes: Vec<Hash>,
    /// SPDX licence expressions, as stated by the lockfile or the local package cache.
    pub licenses: Vec<String>,
    /// Indices of the packages this one depends on, in the same lockfile.
    pub dependencies: Vec<usize>,
    /// 1-based line of the package's entry in the lockfile.
    pub line: u32,
    /// The package is part of the product itself (a workspace member, the project).
    pub is_root: bool,
    /// Who made it and the file it is distributed as, where its own metadata says so.
    pub origin: Option<Box<Origin>>,
}

/// What a package's own metadata says of where it comes from (BSI TR-03183-2's component
/// creator and distribution file name). Only set from data read, never guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Who made it: an e-mail address, or an `http(s)` URL of its project (home page or
    /// repository), from the package's manifest.
    pub creator: Option<String>,
    /// The file it is distributed as (`serde-1.0.219.crate`). When set, the package's `hashes`
    /// are that file's hashes.
    pub file_name: Option<String>,
}

impl Package {
    /// The origin, created empty when absent.
    pub fn origin_mut(&mut self) -> &mut Origin {
        self.origin.get_or_insert_with(Box::default)
    }
}

impl Package {
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            source: Source::Registry,
            scope: Scope::Required,
            hashes: Vec::new(),
            licenses: Vec::new(),
            dependencies: Vec::new(),
            line: 0,
            is_root: false,
            origin: None,
        }
    }
}

/// The lockfile formats crabox reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    CargoLock,
    PackageLock,
    YarnLock,
    PnpmLock,
    PoetryLock,
    UvLock,
    PipfileLock,
    Requirements,
    GoMod,
    ComposerLock,
    GemfileLock,
    NugetLock,
    PubspecLock,
    /// Gradle's `gradle.lockfile`.
    GradleLockfile,
    /// Maven's `pom.xml` (declared dependencies).
    PomXml,
    /// .NET's `*.deps.json` (beside a built application).
    DepsJson,
    /// `NuGet`'s legacy `packages.config`.
    PackagesConfig,
    /// Swift Package Manager's `Package.resolved`.
    PackageResolved,
    /// Conan's `conan.lock`.
    ConanLock,
    /// vcpkg's manifest `vcpkg.json` (with its installed tree's status, when installed).
    VcpkgJson,
    /// A supplier's CycloneDX JSON SBOM (`--import`).
    CycloneDxImport,
    /// A supplier's SPDX JSON SBOM (`--import`).
    SpdxImport,
    /// A Java archive (`.jar`, `.war`, `.ear`) given as an artifact.
    JavaArchive,
    /// Go build information of a binary (`--artifact`).
    GoBinary,
    /// `cargo auditable` data of a Rust binary (`--artifact`).
    RustAuditable,
    /// dpkg's `var/lib/dpkg/status` (or a file of `status.d/`) in an image or root file system.
    DpkgStatus,
    /// apk's `lib/apk/db/installed` in an image or root file system.
    ApkInstalled,
    /// rpm's `rpmdb.sqlite` in an image or root file system.
    RpmSqlite,
}

impl Format {
    /// The format of a file, by its name.
    pub fn of_file_name(name: &str) -> Option<Format> {
        Some(match name {
            "Cargo.lock" => Format::CargoLock,
            "package-lock.json" | "npm-shrinkwrap.json" => Format::PackageLock,
            "yarn.lock" => Format::YarnLock,
            "pnpm-lock.yaml" => Format::PnpmLock,
            "poetry.lock" => Format::PoetryLock,
            "uv.lock" => Format::UvLock,
            "Pipfile.lock" => Format::PipfileLock,
            "go.mod" => Format::GoMod,
            "composer.lock" => Format::ComposerLock,
            "Gemfile.lock" | "gems.locked" => Format::GemfileLock,
            "packages.lock.json" => Format::NugetLock,
            "pubspec.lock" => Format::PubspecLock,
            "gradle.lockfile" => Format::GradleLockfile,
            "pom.xml" => Format::PomXml,
            "packages.config" => Format::PackagesConfig,
            "Package.resolved" => Format::PackageResolved,
            "conan.lock" => Format::ConanLock,
            "vcpkg.json" => Format::VcpkgJson,
            _ if name.len() > ".deps.json".len() && name.ends_with(".deps.json") => {
                Format::DepsJson
            }
            // pip reads any name; `requirements*.txt` is the convention crabox recognises.
            _ if name.starts_with("requirements")
                && Path::new(name)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("txt")) =>
            {
                Format::Requirements
            }
            _ => return None,
        })
    }
}

/// Something a cataloger could not read, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub file: PathBuf,
    pub line: u32,
    pub message: String,
}

/// Everything read from one lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockfile {
    /// Path relative to the scanned root, `/`-separated.
    pub path: String,
    pub format: Format,
    pub packages: Vec<Package>,
    /// Indices of the packages the product depends on directly (for Cargo: the workspace members).
    pub direct: Vec<usize>,
    /// False when the lockfile leaves something out (unpinned requirements, skipped entries).
    pub complete: bool,
    /// False when the lockfile does not record the dependency graph.
    pub graph_complete: bool,
    pub diagnostics: Vec<Diagnostic>,
}
