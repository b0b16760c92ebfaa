//! vcpkg's manifest `vcpkg.json` (C and C++ libraries). The manifest names dependencies; their
//! versions come from the registry's baseline (a git commit of the vcpkg registry that crabox
//! does not fetch), from `version>=` minimums, or from `overrides`. So:
//!
//! - When the manifest has been installed, `vcpkg_installed/vcpkg/status` beside it (vcpkg's
//!   own record of the installed tree, deb822 paragraphs `Package`, `Version`, `Port-Version`,
//!   `Architecture`, `Depends`, `Status`) lists every installed port, transitive ones included,
//!   with its dependencies: complete.
//! - Otherwise each dependency pinned by `overrides` is listed with that version; one whose
//!   version only the baseline gives is said with its line and left out, and the listing is
//!   incomplete (a manifest lists direct dependencies only).
//!
//! `"host": true` dependencies (build tools) are development scope. A port from a registry other
//! than Microsoft's (`vcpkg-configuration`, embedded or in `vcpkg-configuration.json`) gets its
//! `repository_url`. Versions are written as vcpkg writes them, `VERSION#PORT_VERSION` when the
//! port version is not 0 (the purl carries it as `port_version`).

use std::collections::HashMap;

use serde_json::Value;

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Scope, Source};

const MICROSOFT: &str = "https://github.com/microsoft/vcpkg";
/// The largest installed-tree status file read (vcpkg's are kilobytes).
const MAX_STATUS: u64 = 64 << 20;

/// A version of the manifest's schemes (`version`, `version-semver`, `version-date`,
/// `version-string`) with its `port-version`.
fn version_of(object: &Value) -> Option<String> {
    let version = [
        "version",
        "version-semver",
        "version-date",
        "version-string",
    ]
    .iter()
    .find_map(|key| object.get(*key)?.as_str())?
    .trim();
    if version.is_empty() {
        return None;
    }
    Some(match object.get("port-version").and_then(Value::as_u64) {
        Some(port) if port > 0 => format!("{version}#{port}"),
        _ => version.to_owned(),
    })
}

/// The registries of the configuration: a port name pattern (`name` or `prefix*`) → the
/// registry's repository URL; and the default registry's, when it is not Microsoft's.
struct Registries {
    default: Option<String>,
    patterns: Vec<(String, Option<String>)>,
}

impl Registries {
    fn of(configuration: Option<&Value>) -> Registries {
        let repository = |registry: &Value| -> Option<String> {
            let url = registry.get("repository")?.as_str()?;
            let bare = url.trim_end_matches('/').trim_end_matches(".git");
            (!bare.eq_ignore_ascii_case(MICROSOFT)).then(|| url.to_owned())
        };
        let Some(configuration) = configuration else {
            return Registries {
                default: None,
                patterns: Vec::new(),
            };
        };
        let default = configuration.get("default-registry").and_then(repository);
        let mut patterns = Vec::new();
        for registry in configuration
            .get("registries")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for pattern in registry
                .get("packages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                patterns.push((pattern.to_owned(), repository(registry)));
            }
        }
        Registries { default, patterns }
    }

    /// The source of a port: the registry whose pattern matches it (an exact name before the
    /// longest prefix, as vcpkg chooses), else the default registry.
    fn source(&self, name: &str) -> Source {
        let exact = self.patterns.iter().find(|(p, _)| p == name);
        let prefix = || {
            self.patterns
                .iter()
                .filter(|(p, _)| p.strip_suffix('*').is_some_and(|s| name.starts_with(s)))
                .max_by_key(|(p, _)| p.len())
        };
        let url = match exact.or_else(prefix) {
            Some((_, url)) => url.clone(),
            None => self.default.clone(),
        };
        url.map_or(Source::Registry, Source::OtherRegistry)
    }
}

/// A declared dependency: its name, whether it is a host tool, and its line.
struct Declared {
    name: String,
    host: bool,
    line: u32,
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let manifest = context.json(text, "vcpkg.json")?;
    if !manifest.is_object() {
        return Err(context.parse_error(1, "expected a vcpkg manifest (a JSON object)"));
    }
    let index = crate::encoding::LineIndex::new(text);
    // Each dependency's line: the next occurrence of its quoted name after the previous one.
    let mut cursor = text.find("\"dependencies\"").unwrap_or(0);
    let mut declared = Vec::new();
    let dependencies = match manifest.get("dependencies") {
        None => &[][..],
        Some(Value::Array(list)) => list.as_slice(),
        Some(_) => {
            return Err(context.parse_error(
                index.line(cursor),
                "`dependencies` must be an array of port names or objects",
            ));
        }
    };
    for dependency in dependencies {
        let (name, host) = match dependency {
            Value::String(name) => (name.as_str(), false),
            Value::Object(object) => (
                object.get("name").and_then(Value::as_str).unwrap_or(""),
                object.get("host").and_then(Value::as_bool) == Some(true),
            ),
            _ => ("", false),
        };
        let needle = serde_json::to_string(name).expect("a string");
        let line = text[cursor..]
            .find(&needle)
            .map_or(index.line(cursor), |at| {
                cursor += at + needle.len();
                index.line(cursor - needle.len())
            });
        if name.is_empty() {
            return Err(context.parse_error(
                line,
                "a dependency must be a port name or an object with a `name`",
            ));
        }
        declared.push(Declared {
            name: name.to_owned(),
            host,
            line,
        });
    }
    let configuration_file = context.dir.join("vcpkg-configuration.json");
    let configuration = match manifest.get("vcpkg-configuration") {
        Some(embedded) => Some(embedded.clone()),
        None => fs_err::read_to_string(&configuration_file)
            .ok()
            .and_then(|t| serde_json::from_str(crabox_types::encoding::strip_bom(&t)).ok()),
    };
    let registries = Registries::of(configuration.as_ref());

    let mut parsed = Parsed::new();
    if let Some(name) = manifest.get("name").and_then(Value::as_str) {
        let mut root = Package::new(
            Ecosystem::Vcpkg,
            name,
            version_of(&manifest).unwrap_or_default(),
        );
        root.source = Source::Path(String::new());
        root.is_root = true;
        root.line = 1;
        parsed.packages.push(root);
    }
    let status = context.dir.join("vcpkg_installed/vcpkg/status");
    match read_status(&status) {
        Some(text) => installed(&text, &declared, &registries, &mut parsed, context)?,
        None => from_overrides(&manifest, &declared, &registries, &mut parsed, context),
    }
    Ok(parsed)
}

/// The status file, when it is a plain file of bounded size.
fn read_status(path: &std::path::Path) -> Option<String> {
    let metadata = fs_err::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_STATUS {
        return None;
    }
    fs_err::read_to_string(path).ok()
}

/// Every port of the installed tree, with the edges its `Depends` gives.
fn installed(
    text: &str,
    declared: &[Declared],
    registries: &Registries,
    parsed: &mut Parsed,
    context: &Context,
) -> Result<(), SbomError> {
    let status_context = Context {
        display: format!("{}/vcpkg_installed/vcpkg/status", parent(&context.display)),
        ..context.clone()
    };
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut depends: Vec<(usize, Vec<String>)> = Vec::new();
    for paragraph in super::dpkg::paragraphs(text, &status_context)? {
        let (Some(name), Some(version)) = (paragraph.get("Package"), paragraph.get("Version"))
        else {
            continue;
        };
        // A feature's paragraph (`Feature: x`) adds to its port; a removed port is not there.
        if paragraph.get("Feature").is_some()
            || !paragraph
                .get("Status")
                .is_some_and(|s| s.ends_with(" installed"))
        {
            continue;
        }
        let version = match paragraph
            .get("Port-Version")
            .and_then(|p| p.parse::<u64>().ok())
        {
            Some(port) if port > 0 => format!("{version}#{port}"),
            _ => version.to_owned(),
        };
        if let Some(&existing) = by_name.get(name) {
            // The same port for the host and the target triplet: listed once.
            if parsed.packages[existing].version == version {
                continue;
            }
        }
        let mut package = Package::new(Ecosystem::Vcpkg, name, version);
        package.source = registries.source(name);
        package.line = paragraph.line;
        let i = parsed.packages.len();
        by_name.entry(name.to_owned()).or_insert(i);
        let names: Vec<String> = paragraph
            .get("Depends")
            .unwrap_or_default()
            .split(',')
            .filter_map(|d| d.trim().split([':', ' ', '[']).next())
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        depends.push((i, names));
        parsed.packages.push(package);
    }
    let mut requires = vec![Vec::new(); parsed.packages.len()];
    for (i, names) in depends {
        requires[i] = names;
    }
    super::edges_by_name(&mut parsed.packages, &requires, &by_name);
    // What the manifest declares is direct; a host tool and what only it needs are development.
    let root = parsed.packages.iter().position(|p| p.is_root);
    let mut direct = Vec::new();
    for dependency in declared {
        if let Some(&i) = by_name.get(&dependency.name) {
            direct.push(i);
        }
    }
    let mut roots: Vec<usize> = declared
        .iter()
        .filter(|d| !d.host)
        .filter_map(|d| by_name.get(&d.name).copied())
        .collect();
    roots.extend(root);
    super::mark_unreached_dev(&mut parsed.packages, &roots);
    if let Some(root) = root {
        parsed.packages[root].dependencies = direct;
        parsed.direct = vec![root];
    } else {
        parsed.direct = direct;
    }
    Ok(())
}

/// The dependencies `overrides` pins; the rest said and left out.
fn from_overrides(
    manifest: &Value,
    declared: &[Declared],
    registries: &Registries,
    parsed: &mut Parsed,
    context: &Context,
) {
    let overrides: HashMap<&str, String> = manifest
        .get("overrides")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| Some((o.get("name")?.as_str()?, version_of(o)?)))
        .collect();
    let baseline = manifest
        .get("builtin-baseline")
        .and_then(Value::as_str)
        .map_or_else(
            || "the default registry's baseline".to_owned(),
            |b| format!("the baseline `{}`", b.get(..12).unwrap_or(b)),
        );
    let root = parsed.packages.iter().position(|p| p.is_root);
    let mut direct = Vec::new();
    for dependency in declared {
        let Some(version) = overrides.get(dependency.name.as_str()) else {
            parsed.skip(context.diagnostic(
                dependency.line,
                format!(
                    "`{}`: left out, its version is what {baseline} of the vcpkg registry says, which crabox does not read (pin it in `overrides`, or run `vcpkg install`: crabox reads vcpkg_installed/vcpkg/status)",
                    dependency.name
                ),
            ));
            continue;
        };
        let mut package = Package::new(Ecosystem::Vcpkg, &dependency.name, version.clone());
        package.source = registries.source(&dependency.name);
        package.line = dependency.line;
        if dependency.host {
            package.scope = Scope::Dev;
        }
        direct.push(parsed.packages.len());
        parsed.packages.push(package);
    }
    // A manifest names direct dependencies only: theirs are not in it.
    parsed.complete = false;
    parsed.graph_complete = false;
    if let Some(root) = root {
        parsed.packages[root].dependencies = direct;
        parsed.direct = vec![root];
    } else {
        parsed.direct = direct;
    }
}

fn parent(display: &str) -> &str {
    match display.rsplit_once('/') {
        Some((dir, _)) => dir,
        None => ".",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(dir: &std::path::Path) -> Context {
        Context {
            dir: dir.to_owned(),
            display: "vcpkg.json".into(),
            ..Context::default()
        }
    }

    const MANIFEST: &str = r#"{
  "name": "app",
  "version-semver": "1.2.0",
  "dependencies": [
    { "name": "openssl", "default-features": false, "features": ["tools"] },
    "zlib",
    { "name": "vcpkg-cmake", "host": true },
    "acme-lib"
  ],
  "overrides": [
    { "name": "zlib", "version": "1.3.1", "port-version": 2 },
    { "name": "acme-lib", "version-string": "2024-01" },
    { "name": "vcpkg-cmake", "version-date": "2024-04-23" }
  ],
  "builtin-baseline": "ec20452cd73280bac2952cf749d3caec5a237490",
  "vcpkg-configuration": {
    "registries": [
      { "kind": "git", "repository": "https://git.acme.example/ports.git", "baseline": "00", "packages": ["acme-*"] }
    ]
  }
}
"#;

    #[test]
    fn overrides_pin_versions_and_the_baseline_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let parsed = parse(MANIFEST, &context(dir.path())).unwrap();
        assert_eq!(
            parsed.names(),
            [
                "app@1.2.0",
                "zlib@1.3.1#2",
                "vcpkg-cmake@2024-04-23",
                "acme-lib@2024-01"
            ]
        );
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].line, 5);
        assert!(parsed.diagnostics[0].message.contains("`openssl`"));
        assert!(parsed.diagnostics[0].message.contains("`ec20452cd732`"));
        let by_name = |n: &str| parsed.packages.iter().find(|p| p.name == n).unwrap();
        assert_eq!(by_name("zlib").line, 6);
        assert_eq!(by_name("vcpkg-cmake").scope, Scope::Dev);
        assert_eq!(
            by_name("acme-lib").source,
            Source::OtherRegistry("https://git.acme.example/ports.git".into())
        );
        assert_eq!(by_name("zlib").source, Source::Registry);
        assert_eq!(
            crabox_types::purl::for_package(by_name("zlib")),
            "pkg:vcpkg/zlib@1.3.1?port_version=2"
        );
        assert_eq!(parsed.packages[0].dependencies, [1, 2, 3]);
        // The purl reads back to the same package (port version included).
        let back =
            crabox_types::purl::parse_package("pkg:vcpkg/zlib@1.3.1?port_version=2").unwrap();
        assert_eq!(
            (back.ecosystem, back.version.as_str()),
            (Ecosystem::Vcpkg, "1.3.1#2")
        );
    }

    #[test]
    fn the_installed_tree_lists_every_port_with_its_edges() {
        let dir = tempfile::tempdir().unwrap();
        let installed = dir.path().join("vcpkg_installed/vcpkg");
        fs_err::create_dir_all(&installed).unwrap();
        fs_err::write(
            installed.join("status"),
            "Package: zlib\nVersion: 1.3.1\nPort-Version: 2\nArchitecture: x64-linux\nMulti-Arch: same\nAbi: aa\nStatus: install ok installed\n\n\
             Package: openssl\nVersion: 3.4.0\nDepends: vcpkg-cmake:x64-linux, zlib\nArchitecture: x64-linux\nStatus: install ok installed\n\n\
             Package: openssl\nFeature: tools\nArchitecture: x64-linux\nStatus: install ok installed\n\n\
             Package: vcpkg-cmake\nVersion: 2024-04-23\nArchitecture: x64-linux\nStatus: install ok installed\n\n\
             Package: removed\nVersion: 1\nArchitecture: x64-linux\nStatus: purge ok not-installed\n",
        )
        .unwrap();
        let manifest = r#"{"name": "app", "dependencies": ["openssl", {"name": "vcpkg-cmake", "host": true}]}"#;
        let parsed = parse(manifest, &context(dir.path())).unwrap();
        assert_eq!(
            parsed.names(),
            [
                "app@",
                "zlib@1.3.1#2",
                "openssl@3.4.0",
                "vcpkg-cmake@2024-04-23"
            ]
        );
        assert!(parsed.complete && parsed.diagnostics.is_empty());
        let by_name = |n: &str| parsed.packages.iter().find(|p| p.name == n).unwrap();
        assert_eq!(by_name("openssl").dependencies, [1, 3]);
        assert_eq!(by_name("openssl").line, 9);
        assert_eq!(by_name("zlib").scope, Scope::Required, "openssl needs it");
        assert_eq!(
            by_name("vcpkg-cmake").scope,
            Scope::Required,
            "openssl needs it too"
        );
        assert_eq!(parsed.direct, [0]);
        assert_eq!(parsed.packages[0].dependencies, [2, 3]);
    }

    #[test]
    fn bad_manifests_are_errors_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        for (text, line) in [
            ("{\"dependencies\": [1]}", 1),
            ("{\n\"dependencies\": \"zlib\"}", 2),
            ("[]", 1),
            ("{\"dependencies\": [\n", 2),
        ] {
            let error = parse(text, &context(dir.path())).unwrap_err();
            let SbomError::Parse { line: got, .. } = error else {
                panic!("{text}: {error}");
            };
            assert_eq!(got, line, "{text}");
        }
    }
}
