//! Licences from local package caches, offline: installed npm packages (`node_modules`, flat,
//! nested or pnpm's `.pnpm` store) and Python distributions in a project virtual environment
//! (`.venv`/`venv`, `*.dist-info/METADATA`). Cargo's registry cache is read by the Cargo
//! cataloger. Only a package whose installed version matches the lockfile's is used.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::{Ecosystem, Package};
use crate::purl::normalize_pypi;

/// Adds licences to packages that have none, from the caches beside the lockfile in `dir`.
pub fn add_licenses(packages: &mut [Package], dir: &Path) {
    let missing = |e: Ecosystem| {
        packages
            .iter()
            .any(|p| p.ecosystem == e && p.licenses.is_empty())
    };
    if !missing(Ecosystem::Npm) && !missing(Ecosystem::Pypi) {
        return; // Cargo's cache is read by its cataloger; Go's has no licence statements.
    }
    // The virtualenv is listed once, and only when a Python package needs it.
    let python = if missing(Ecosystem::Pypi) {
        python_licenses(dir)
    } else {
        HashMap::new()
    };
    for package in packages.iter_mut().filter(|p| p.licenses.is_empty()) {
        let license = match package.ecosystem {
            Ecosystem::Npm => npm_license(dir, &package.name, &package.version),
            Ecosystem::Pypi => python
                .get(&(normalize_pypi(&package.name), package.version.clone()))
                .cloned(),
            Ecosystem::Cargo
            | Ecosystem::Golang
            | Ecosystem::Packagist
            | Ecosystem::RubyGems
            | Ecosystem::NuGet
            | Ecosystem::Pub
            | Ecosystem::Maven
            | Ecosystem::Swift
            | Ecosystem::Conan
            | Ecosystem::Vcpkg
            | Ecosystem::Debian
            | Ecosystem::Alpine
            | Ecosystem::Rpm => None,
        };
        package.licenses.extend(license);
    }
}

fn npm_license(dir: &Path, name: &str, version: &str) -> Option<String> {
    let candidates = [
        dir.join("node_modules").join(name).join("package.json"),
        dir.join("node_modules/.pnpm")
            .join(format!("{}@{version}", name.replace('/', "+")))
            .join("node_modules")
            .join(name)
            .join("package.json"),
    ];
    candidates.iter().find_map(|path| {
        let manifest: serde_json::Value = serde_json::from_str(crabox_types::encoding::strip_bom(
            &fs_err::read_to_string(path).ok()?,
        ))
        .ok()?;
        if manifest.get("version")?.as_str()? != version {
            return None;
        }
        crate::catalog::npm::license_of(manifest.get("license"))
    })
}

/// `(normalized name, version) → licence` of the distributions in the project's virtual
/// environment: `License-Expression` (PEP 639), else `License` when it is one line.
fn python_licenses(dir: &Path) -> HashMap<(String, String), String> {
    let mut out = HashMap::new();
    for venv in [".venv", "venv"] {
        let Ok(lib) = fs_err::read_dir(dir.join(venv).join("lib")) else {
            continue;
        };
        let site_packages: Vec<PathBuf> = lib
            .flatten()
            .map(|e| e.path().join("site-packages"))
            .filter(|p| p.is_dir())
            .collect();
        for site in site_packages {
            let Ok(entries) = fs_err::read_dir(&site) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(text) = fs_err::read_to_string(entry.path().join("METADATA")) else {
                    continue;
                };
                let header = |key: &str| {
                    text.lines()
                        .take_while(|l| !l.is_empty())
                        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
                };
                let (Some(name), Some(version)) = (header("Name:"), header("Version:")) else {
                    continue;
                };
                let license = header("License-Expression:")
                    .or_else(|| header("License:"))
                    .filter(|l| !l.is_empty() && l != "UNKNOWN");
                if let Some(license) = license {
                    out.insert((normalize_pypi(&name), version), license);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_node_modules_pnpm_store_and_venv() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        };
        write(
            "node_modules/left-pad/package.json",
            r#"{"version": "1.3.0", "license": "WTFPL"}"#,
        );
        write(
            "node_modules/.pnpm/@s+x@2.0.0/node_modules/@s/x/package.json",
            r#"{"version": "2.0.0", "license": {"type": "MIT"}}"#,
        );
        write(
            "node_modules/stale/package.json",
            r#"{"version": "0.1.0", "license": "MIT"}"#,
        );
        write(
            ".venv/lib/python3.12/site-packages/Requests-2.31.0.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: Requests\nVersion: 2.31.0\nLicense-Expression: Apache-2.0\n\nbody\nLicense: no\n",
        );
        let mut packages = vec![
            Package::new(Ecosystem::Npm, "left-pad", "1.3.0"),
            Package::new(Ecosystem::Npm, "@s/x", "2.0.0"),
            Package::new(Ecosystem::Npm, "stale", "0.2.0"),
            Package::new(Ecosystem::Pypi, "requests", "2.31.0"),
        ];
        add_licenses(&mut packages, dir.path());
        let licenses: Vec<Vec<String>> = packages.iter().map(|p| p.licenses.clone()).collect();
        assert_eq!(
            licenses,
            [
                vec!["WTFPL".to_owned()],
                vec!["MIT".to_owned()],
                vec![],
                vec!["Apache-2.0".to_owned()]
            ]
        );
    }
}
