//! Catalogers: one module per lockfile format. Each reads the text of one file (plus what sits
//! beside it: workspace manifests, `package.json`, `go.sum`) and returns its packages. A bad entry
//! is a diagnostic and is skipped; only a file that cannot be read at all is an error.

// A cataloger reads its format in one pass, top to bottom; splitting that pass into helpers only
// to satisfy a line count would scatter one format's rules.
#![allow(clippy::too_many_lines)]

pub mod apk;
pub mod cargo;
pub mod composer;
pub mod conan;
pub mod deps_json;
pub mod dpkg;
pub mod gemfile;
pub mod gomod;
pub mod gradle;
pub mod import;
pub mod maven_cache;
pub mod npm;
pub mod nuget;
pub mod packages_config;
pub mod pipfile;
pub mod pnpm;
pub mod poetry;
pub mod pom;
pub mod pub_lock;
pub mod requirements;
pub mod rpm;
pub mod swift;
pub mod uv;
pub mod vcpkg;
pub mod yarn;

use std::path::{Path, PathBuf};

use crabox_types::codes;

use crate::error::SbomError;
use crate::model::{Diagnostic, Format, Package};

/// What a cataloger may look at besides the lockfile text.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The directory holding the lockfile (absolute).
    pub dir: PathBuf,
    /// The lockfile as shown to users (relative, `/`-separated).
    pub display: String,
    /// Cargo's home (`CARGO_HOME` or `~/.cargo`), for licences in the local registry cache.
    pub cargo_home: Option<PathBuf>,
    /// `NuGet`'s global packages folder (`NUGET_PACKAGES` or `~/.nuget/packages`), for the
    /// `.nuspec` of each package.
    pub nuget_packages: Option<PathBuf>,
    /// Maven's local repository (`~/.m2/repository`), for the jars and poms of Maven packages.
    pub maven_repository: Option<PathBuf>,
    /// Gradle's home (`GRADLE_USER_HOME` or `~/.gradle`), for its module cache.
    pub gradle_home: Option<PathBuf>,
    /// `ID` and `VERSION_ID` of the `os-release` of the image or root file system the package
    /// database is in.
    pub distro: Option<(String, String)>,
    /// The repository root (absolute): files a lockfile names (a Maven parent's
    /// `relativePath`) are read only below it.
    pub root: Option<PathBuf>,
}

impl Context {
    /// `path` when it resolves (links followed) to a file below the repository root.
    pub fn within_root(&self, path: &Path) -> Option<PathBuf> {
        let root = fs_err::canonicalize(self.root.as_ref()?).ok()?;
        let path = fs_err::canonicalize(path).ok()?;
        (path.starts_with(&root) && path.is_file()).then_some(path)
    }
}

impl Context {
    pub fn diagnostic(&self, line: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: codes::SBOM_ENTRY_SKIPPED,
            file: PathBuf::from(&self.display),
            line,
            message: message.into(),
        }
    }

    /// The JSON document of a lockfile, or an error naming the line where it stops being JSON.
    pub fn json(&self, text: &str, what: &str) -> Result<serde_json::Value, SbomError> {
        serde_json::from_str(text).map_err(|err| {
            self.parse_error(
                u32::try_from(err.line()).unwrap_or(0),
                format!("not a valid {what} (JSON): {err}"),
            )
        })
    }

    pub fn parse_error(&self, line: u32, message: impl Into<String>) -> SbomError {
        SbomError::Parse {
            file: self.display.clone(),
            line,
            message: message.into(),
        }
    }
}

/// What one cataloger read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    /// Indices of the packages the product depends on directly.
    pub direct: Vec<usize>,
    /// False when something pinned could not be listed.
    pub complete: bool,
    /// False when the lockfile does not record which package depends on which (go.mod,
    /// Pipfile.lock, requirements files): the SBOM then says the edges are unknown.
    pub graph_complete: bool,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn new() -> Parsed {
        Parsed {
            complete: true,
            graph_complete: true,
            ..Parsed::default()
        }
    }

    /// `name@version` of every package, in order (for tests and messages).
    pub fn names(&self) -> Vec<String> {
        self.packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect()
    }

    /// The lockfile these packages were read from.
    pub fn into_lockfile(self, path: String, format: Format) -> crate::model::Lockfile {
        crate::model::Lockfile {
            path,
            format,
            packages: self.packages,
            direct: self.direct,
            complete: self.complete,
            graph_complete: self.graph_complete,
            diagnostics: self.diagnostics,
        }
    }

    pub fn skip(&mut self, diagnostic: Diagnostic) {
        self.complete = false;
        self.diagnostics.push(diagnostic);
    }
}

/// Reads one lockfile of the given format.
pub fn parse(format: Format, text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let text = crabox_types::encoding::strip_bom(text);
    match format {
        Format::CargoLock => cargo::parse(text, context),
        Format::PackageLock => npm::parse(text, context),
        Format::YarnLock => yarn::parse(text, context),
        Format::PoetryLock => poetry::parse(text, context),
        Format::UvLock => uv::parse(text, context),
        Format::PipfileLock => pipfile::parse(text, context),
        Format::Requirements => requirements::parse(text, context),
        Format::GoMod => gomod::parse(text, context),
        Format::PnpmLock => pnpm::parse(text, context),
        Format::ComposerLock => composer::parse(text, context),
        Format::GemfileLock => gemfile::parse(text, context),
        Format::NugetLock => nuget::parse(text, context),
        Format::PubspecLock => pub_lock::parse(text, context),
        Format::GradleLockfile => gradle::parse(text, context),
        Format::PomXml => pom::parse(text, context),
        Format::DepsJson => deps_json::parse(text, context),
        Format::PackagesConfig => packages_config::parse(text, context),
        Format::PackageResolved => swift::parse(text, context),
        Format::ConanLock => conan::parse(text, context),
        Format::VcpkgJson => vcpkg::parse(text, context),
        Format::CycloneDxImport => import::cyclonedx(text, context),
        Format::SpdxImport => import::spdx(text, context),
        // Binaries are read as bytes by `crate::binary`, not as text.
        Format::GoBinary | Format::RustAuditable | Format::JavaArchive | Format::RpmSqlite => {
            Err(context.parse_error(
                0,
                "a binary is read with crabox_sbom::binary::scan, not as text",
            ))
        }
        Format::DpkgStatus => dpkg::parse(text, context),
        Format::ApkInstalled => apk::parse(text, context),
    }
}

/// Sets each package's edges from the names it requires (`requires[i]`, looked up in `by_name`;
/// names not in the lockfile are left out); returns which packages something depends on.
pub fn edges_by_name<S: std::hash::BuildHasher>(
    packages: &mut [Package],
    requires: &[Vec<String>],
    by_name: &std::collections::HashMap<String, usize, S>,
) -> Vec<bool> {
    let mut depended = vec![false; packages.len()];
    for (package, names) in packages.iter_mut().zip(requires) {
        let mut edges: Vec<usize> = names
            .iter()
            .filter_map(|n| by_name.get(n).copied())
            .collect();
        edges.sort_unstable();
        edges.dedup();
        for &e in &edges {
            depended[e] = true;
        }
        package.dependencies = edges;
    }
    depended
}

/// The packages nothing depends on (`depended` as [`edges_by_name`] returns it): what was
/// installed for itself.
pub fn not_depended(depended: &[bool]) -> Vec<usize> {
    depended
        .iter()
        .enumerate()
        .filter(|(_, d)| !**d)
        .map(|(i, _)| i)
        .collect()
}

/// Which packages are reachable from `roots` following `edges` (breadth first).
pub fn reachable(roots: &[usize], edges: &[Vec<usize>]) -> Vec<bool> {
    let mut reached = vec![false; edges.len()];
    let mut queue: std::collections::VecDeque<usize> = roots.iter().copied().collect();
    for &root in roots {
        reached[root] = true;
    }
    while let Some(current) = queue.pop_front() {
        for &next in &edges[current] {
            if !reached[next] {
                reached[next] = true;
                queue.push_back(next);
            }
        }
    }
    reached
}

/// Marks every package that the shipped roots do not reach as development-only.
pub fn mark_unreached_dev(packages: &mut [Package], roots: &[usize]) {
    let edges: Vec<Vec<usize>> = packages.iter().map(|p| p.dependencies.clone()).collect();
    let reached = reachable(roots, &edges);
    for (package, reached) in packages.iter_mut().zip(reached) {
        if !reached {
            package.scope = crate::model::Scope::Dev;
        }
    }
}

/// Reads a file beside the lockfile, if it is there.
pub fn sibling(dir: &Path, name: &str) -> Option<String> {
    fs_err::read_to_string(dir.join(name))
        .ok()
        .map(crabox_types::encoding::without_bom)
}

/// A TOML lockfile as a value, with the 1-based line of each `[[package]]` entry in order.
pub fn toml_doc(
    text: &str,
    context: &Context,
    what: &str,
) -> Result<(toml::Table, Vec<u32>), SbomError> {
    let index = crate::encoding::LineIndex::new(text);
    let spanned = toml::de::DeTable::parse(text).map_err(|err| {
        let line = err.span().map_or(1, |s| index.line(s.start));
        context.parse_error(
            line,
            format!("not a valid {what} (TOML): {}", err.message()),
        )
    })?;
    let mut lines = Vec::new();
    if let Some(toml::de::DeValue::Array(items)) =
        spanned.get_ref().get("package").map(toml::Spanned::get_ref)
    {
        lines.extend(items.iter().map(|item| index.line(item.span().start)));
    }
    let table: toml::Table = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(1, |s| index.line(s.start));
        context.parse_error(
            line,
            format!("not a valid {what} (TOML): {}", err.message()),
        )
    })?;
    Ok((table, lines))
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const FORMATS: [Format; 24] = [
        Format::CargoLock,
        Format::PackageLock,
        Format::YarnLock,
        Format::PnpmLock,
        Format::PoetryLock,
        Format::UvLock,
        Format::PipfileLock,
        Format::Requirements,
        Format::GoMod,
        Format::ComposerLock,
        Format::GemfileLock,
        Format::NugetLock,
        Format::PubspecLock,
        Format::GradleLockfile,
        Format::PomXml,
        Format::DepsJson,
        Format::PackagesConfig,
        Format::PackageResolved,
        Format::ConanLock,
        Format::VcpkgJson,
        Format::CycloneDxImport,
        Format::SpdxImport,
        Format::DpkgStatus,
        Format::ApkInstalled,
    ];

    /// Text made of the pieces lockfiles are made of, in any order.
    fn lockfile_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("[[package]]\n".to_owned()),
            Just("name = \"a\"\n".to_owned()),
            Just("version = \"1.0.0\"\n".to_owned()),
            Just("dependencies = [\"a\", \"b 1.0.0 (x)\"]\n".to_owned()),
            Just("source = \"git+https://x/y?rev=1#abc\"\n".to_owned()),
            Just("{\"packages\": {\"\": {}, \"node_modules/a\": {\"version\": \"1\"}}}".to_owned()),
            Just("{\"dependencies\": {\"a\": {\"version\": \"npm:@s/b@1\", \"requires\": {\"a\": \"1\"}}}}".to_owned()),
            Just("# yarn lockfile v1\n".to_owned()),
            Just("__metadata:\n  version: 8\n".to_owned()),
            Just("\"a@^1\", a@npm:b@1:\n  version \"1\"\n  dependencies:\n    a \"^1\"\n".to_owned()),
            Just("module x\nrequire (\n a v1 // indirect\n)\nreplace a => b\n".to_owned()),
            Just("a==1 --hash=sha256:zz \\\n".to_owned()),
            Just("x @ git+https://h/r@\n".to_owned()),
            Just("{\"default\": {\"a\": {\"version\": \"==1\", \"hashes\": [\"sha256:\"]}}}".to_owned()),
            "[ -~é€\n\t]{0,16}",
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn every_parser_returns_ok_or_err_on_lockfile_like_text(text in lockfile_like()) {
            for format in FORMATS {
                let _ = parse(format, &text, &Context::default());
            }
        }

        #[test]
        fn every_parser_returns_ok_or_err_on_arbitrary_text(text in "\\PC{0,80}") {
            for format in FORMATS {
                let _ = parse(format, &text, &Context::default());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// Deep nesting, as each format can write it, is read or refused by every parser without
        /// running out of stack or time (a stack overflow aborts the test process).
        #[test]
        fn every_parser_survives_deep_nesting(depth in 1_000usize..60_000, open in 0usize..4) {
            let (a, b) = [("[", "]"), ("{", "}"), ("[{\"a\":", "}]"), ("{\"a\":", "}")][open];
            let nested = format!("{}1{}", a.repeat(depth), b.repeat(depth));
            let texts = [
                format!("version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1\"\nx = {nested}\n"),
                format!("{{\"lockfileVersion\": 3, \"packages\": {{\"node_modules/a\": {nested}}}}}"),
                format!("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {nested}\n"),
                format!("a@^1:\n  version {nested}\n"),
                nested.clone(),
            ];
            let start = std::time::Instant::now();
            for format in FORMATS {
                for text in &texts {
                    let _ = parse(format, text, &Context::default());
                }
            }
            prop_assert!(start.elapsed() < std::time::Duration::from_secs(30));
        }
    }
}
