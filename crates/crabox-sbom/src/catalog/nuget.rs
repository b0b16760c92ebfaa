//! `packages.lock.json` (`NuGet`, `RestorePackagesWithLockFile`): per target framework (and
//! runtime), each package with `type` (`Direct`, `Transitive`, `CentralTransitive`, `Project`),
//! `resolved` version, `contentHash` (base64 SHA-512) and `dependencies`. A package resolved for
//! several frameworks is one package per version; `Project` entries are the product's own
//! projects, not components.

use std::collections::HashMap;

use serde_json::Value;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package};

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let document: Value = context.json(text, "packages.lock.json")?;
    let Some(frameworks) = document.get("dependencies").and_then(Value::as_object) else {
        return Err(context.parse_error(
            1,
            "expected a JSON object with `dependencies` by target framework (a NuGet packages.lock.json)",
        ));
    };
    let index = LineIndex::new(text);
    let mut parsed = Parsed::new();
    // NuGet ids compare without case.
    let mut by_id: HashMap<(String, String), usize> = HashMap::new();
    let mut requires: Vec<Vec<usize>> = Vec::new();
    let mut direct = Vec::new();
    // Each framework's entries are found in order after the framework's own key.
    let mut cursor = 0;
    for (framework, entries) in frameworks {
        let Some(entries) = entries.as_object() else {
            continue;
        };
        let key = format!("{}:", serde_json::to_string(framework).expect("a string"));
        if let Some(at) = text[cursor..].find(&key) {
            cursor += at + key.len();
        }
        // Within this framework: name (lower case) → the package it resolved to.
        let mut resolved_here: HashMap<String, usize> = HashMap::new();
        let mut pending: Vec<(usize, Vec<String>)> = Vec::new();
        for (name, entry) in entries {
            let needle = format!("{}:", serde_json::to_string(name).expect("a string"));
            let line = text[cursor..].find(&needle).map_or(0, |at| {
                cursor += at + needle.len();
                index.line(cursor - needle.len())
            });
            let kind = entry
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if kind == "Project" {
                continue;
            }
            let Some(version) = entry.get("resolved").and_then(Value::as_str) else {
                parsed.skip(context.diagnostic(
                    line,
                    format!("`{name}` ({framework}) has no `resolved` version"),
                ));
                continue;
            };
            let id = (name.to_ascii_lowercase(), version.to_ascii_lowercase());
            let i = *by_id.entry(id).or_insert_with(|| {
                let mut package = Package::new(Ecosystem::NuGet, name.as_str(), version);
                package.line = line;
                package.hashes = entry
                    .get("contentHash")
                    .and_then(Value::as_str)
                    .and_then(|hash| Hash::from_prefixed(&format!("sha512-{hash}")))
                    .filter(|hash| hash.alg == HashAlg::Sha512)
                    .into_iter()
                    .collect();
                parsed.packages.push(package);
                requires.push(Vec::new());
                parsed.packages.len() - 1
            });
            if kind == "Direct" {
                direct.push(i);
            }
            resolved_here.insert(name.to_ascii_lowercase(), i);
            let names = entry
                .get("dependencies")
                .and_then(Value::as_object)
                .map(|d| d.keys().map(|k| k.to_ascii_lowercase()).collect())
                .unwrap_or_default();
            pending.push((i, names));
        }
        for (from, names) in pending {
            requires[from].extend(names.iter().filter_map(|n| resolved_here.get(n)).copied());
        }
    }
    for (package, mut edges) in parsed.packages.iter_mut().zip(requires) {
        edges.sort_unstable();
        edges.dedup();
        package.dependencies = edges;
    }
    direct.sort_unstable();
    direct.dedup();
    parsed.direct = direct;
    describe(&mut parsed.packages, context);
    Ok(parsed)
}

/// The largest `.nuspec` read (they are kilobytes).
const MAX_NUSPEC: u64 = 1 << 20;

/// BSI component fields of `NuGet` packages whose lockfile gives the `.nupkg`'s SHA-512: the file
/// as nuget.org names it (`id.version.nupkg`, lower case); and, from the global packages folder,
/// the creator (`projectUrl`, else the `repository` URL) and licence (`license
/// type="expression"`) of the `.nuspec`, used only when the folder's `.nupkg.sha512` is the
/// lockfile's hash (the same package, not another build of the version).
pub fn describe(packages: &mut [Package], context: &Context) {
    for package in packages.iter_mut() {
        let Some(sha512) = package.hashes.iter().find(|h| h.alg == HashAlg::Sha512) else {
            continue;
        };
        let (id, version) = (
            package.name.to_ascii_lowercase(),
            package.version.to_ascii_lowercase(),
        );
        let nuspec = context.nuget_packages.as_ref().and_then(|root| {
            let dir = root.join(&id).join(&version);
            let recorded = read_small(&dir.join(format!("{id}.{version}.nupkg.sha512")))?;
            let recorded = Hash::from_prefixed(&format!("sha512-{}", recorded.trim()))?;
            (recorded.hex == sha512.hex).then(|| read_small(&dir.join(format!("{id}.nuspec"))))?
        });
        if let Some(about) = nuspec.as_deref().map(nuspec_about) {
            if package.licenses.is_empty() {
                package.licenses.extend(about.license);
            }
            package.origin_mut().creator = about.creator;
        }
        package.origin_mut().file_name = Some(format!("{id}.{version}.nupkg"));
    }
}

fn read_small(path: &std::path::Path) -> Option<String> {
    let metadata = fs_err::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_NUSPEC {
        return None;
    }
    fs_err::read_to_string(path)
        .ok()
        .map(crabox_types::encoding::without_bom)
}

/// What a `.nuspec` says of its package's licence and maker.
#[derive(Debug, Default, PartialEq, Eq)]
struct NuspecAbout {
    license: Option<String>,
    creator: Option<String>,
}

fn nuspec_about(text: &str) -> NuspecAbout {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut about = NuspecAbout::default();
    let (mut project_url, mut repository_url) = (None, None);
    // The element being read and, for `license`, whether it is an expression.
    let mut current: Option<(String, bool)> = None;
    let url = |text: &str| {
        let text = text.trim();
        ((text.starts_with("https://") || text.starts_with("http://"))
            && !text.contains(char::is_whitespace))
        .then(|| text.to_owned())
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let attribute = |key: &[u8]| {
                    start
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == key)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                };
                if name == "repository" {
                    repository_url = repository_url.or_else(|| url(&attribute(b"url")?));
                }
                let expression = attribute(b"type").as_deref() == Some("expression");
                current = Some((name, expression));
            }
            Ok(Event::Empty(start)) if start.local_name().as_ref() == b"repository" => {
                let value = start
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == b"url")
                    .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                repository_url = repository_url.or_else(|| url(&value?));
            }
            Ok(Event::Text(text)) => {
                let Ok(text) = text.decode() else { continue };
                match current.as_ref() {
                    Some((name, _)) if name == "projectUrl" => project_url = url(&text),
                    Some((name, true)) if name == "license" => {
                        let text = text.trim();
                        about.license = spdx::Expression::parse(text)
                            .is_ok()
                            .then(|| text.to_owned());
                    }
                    _ => {}
                }
            }
            Ok(Event::End(_)) => current = None,
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    about.creator = project_url.or(repository_url);
    about
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[13.0.3, )",
        "resolved": "13.0.3",
        "contentHash": "HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ=="
      },
      "System.Text.Json": {
        "type": "Transitive",
        "resolved": "8.0.5",
        "dependencies": {
          "newtonsoft.json": "13.0.3"
        }
      },
      "MyApp.Core": {
        "type": "Project",
        "dependencies": {"Newtonsoft.Json": "[13.0.3, )"}
      }
    },
    "net8.0/linux-x64": {
      "System.Text.Json": {
        "type": "Transitive",
        "resolved": "8.0.5"
      }
    }
  }
}
"#;

    #[test]
    fn packages_of_every_framework_once_with_hashes_edges_and_lines() {
        let parsed = parse(LOCK, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["Newtonsoft.Json@13.0.3", "System.Text.Json@8.0.5"]
        );
        let lines: Vec<u32> = parsed.packages.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 11]);
        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[1].dependencies, [0]);
        assert_eq!(parsed.direct, [0]);
        assert_eq!(
            crate::purl::for_package(&parsed.packages[0]),
            "pkg:nuget/Newtonsoft.Json@13.0.3"
        );
    }

    #[test]
    fn the_nupkg_and_its_nuspec_in_the_global_packages_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("packages");
        let package = folder.join("newtonsoft.json/13.0.3");
        fs_err::create_dir_all(&package).unwrap();
        fs_err::write(
            package.join("newtonsoft.json.nuspec"),
            r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Newtonsoft.Json</id>
    <version>13.0.3</version>
    <authors>James Newton-King</authors>
    <license type="expression">MIT</license>
    <projectUrl>https://www.newtonsoft.com/json</projectUrl>
    <repository type="git" url="https://github.com/JamesNK/Newtonsoft.Json.git" />
  </metadata>
</package>"#,
        )
        .unwrap();
        let hash = "HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==";
        fs_err::write(package.join("newtonsoft.json.13.0.3.nupkg.sha512"), hash).unwrap();
        let context = Context {
            dir: dir.path().to_owned(),
            display: "packages.lock.json".into(),
            nuget_packages: Some(folder.clone()),
            ..Context::default()
        };
        let parsed = parse(LOCK, &context).unwrap();
        let json = &parsed.packages[0];
        assert_eq!(json.licenses, ["MIT"]);
        let origin = json.origin.as_deref().unwrap();
        assert_eq!(
            origin.creator.as_deref(),
            Some("https://www.newtonsoft.com/json")
        );
        assert_eq!(
            origin.file_name.as_deref(),
            Some("newtonsoft.json.13.0.3.nupkg")
        );
        // No hash in the lockfile: nothing said of its file.
        assert!(parsed.packages[1].origin.is_none());
        // Another build of the version (its SHA-512 is not the lockfile's): the file name and
        // hash stand, the nuspec is not used.
        let other = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==";
        fs_err::write(package.join("newtonsoft.json.13.0.3.nupkg.sha512"), other).unwrap();
        let parsed = parse(LOCK, &context).unwrap();
        assert!(parsed.packages[0].licenses.is_empty());
        let origin = parsed.packages[0].origin.as_deref().unwrap();
        assert_eq!(origin.creator, None);
        assert_eq!(
            origin.file_name.as_deref(),
            Some("newtonsoft.json.13.0.3.nupkg")
        );
        // Only the repository URL; a licence that is no SPDX expression is not taken.
        let about = nuspec_about(
            r#"<package><metadata><license type="expression">not a licence (x</license><repository url="https://git.example/r" /></metadata></package>"#,
        );
        assert_eq!(about.license, None);
        assert_eq!(about.creator.as_deref(), Some("https://git.example/r"));
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("{\n  \"dependencies\": [\n oops", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
        let err = parse("{\"version\": 1}", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("packages.lock.json"), "{err}");
    }
}
