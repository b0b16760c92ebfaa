//! The real lockfiles in `../shared/fixtures/lockfiles`: crabox lists exactly the `name@version`
//! pairs the lockfile pins, computed here independently with a generic TOML/JSON/text reading.

use std::collections::BTreeSet;
use std::path::Path;

use crabox_sbom::Format;

/// `name@version` of `packages` and `packages-dev` in a composer.lock.
fn composer_pins(text: &str, out: &mut BTreeSet<String>) {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    for section in ["packages", "packages-dev"] {
        for entry in doc[section].as_array().into_iter().flatten() {
            out.insert(format!(
                "{}@{}",
                entry["name"].as_str().unwrap(),
                entry["version"].as_str().unwrap()
            ));
        }
    }
}

/// `name@version` of every spec line (four spaces, `name (version[-platform])`) of a Gemfile.lock.
fn gem_pins(text: &str, out: &mut BTreeSet<String>) {
    for line in text.lines() {
        if line.starts_with("    ") && !line.starts_with("     ") {
            let (name, rest) = line.trim().split_once(" (").unwrap();
            let version = rest.trim_end_matches(')').split('-').next().unwrap();
            out.insert(format!("{name}@{version}"));
        }
    }
}

/// `name@version` of every resolved package of every framework of a packages.lock.json.
fn nuget_pins(text: &str, out: &mut BTreeSet<String>) {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    for entries in doc["dependencies"].as_object().unwrap().values() {
        for (name, entry) in entries.as_object().unwrap() {
            if let Some(version) = entry.get("resolved").and_then(|v| v.as_str()) {
                out.insert(format!("{name}@{version}"));
            }
        }
    }
}

/// `name@version` of the `packages` of a pubspec.lock.
fn pub_pins(text: &str, out: &mut BTreeSet<String>) {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).unwrap();
    for (name, entry) in doc["packages"].as_mapping().unwrap() {
        out.insert(format!(
            "{}@{}",
            name.as_str().unwrap(),
            entry["version"].as_str().unwrap()
        ));
    }
}

fn expected(format: Format, text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match format {
        Format::CargoLock | Format::UvLock | Format::PoetryLock => {
            let doc: toml::Table = toml::from_str(text).unwrap();
            for p in doc["package"].as_array().unwrap() {
                let version = p.get("version").and_then(|v| v.as_str()).unwrap_or("");
                out.insert(format!("{}@{version}", p["name"].as_str().unwrap()));
            }
        }
        Format::PackageLock => {
            let doc: serde_json::Value = serde_json::from_str(text).unwrap();
            for (key, entry) in doc["packages"].as_object().unwrap() {
                if key.is_empty() || entry.get("link").is_some() {
                    continue;
                }
                let Some(version) = entry.get("version").and_then(|v| v.as_str()) else {
                    continue;
                };
                let name = entry
                    .get("name")
                    .and_then(|v| v.as_str())
                    .unwrap_or_else(|| key.rsplit("node_modules/").next().unwrap());
                out.insert(format!("{name}@{version}"));
            }
        }
        Format::PipfileLock => {
            let doc: serde_json::Value = serde_json::from_str(text).unwrap();
            for section in ["default", "develop"] {
                for (name, entry) in doc[section].as_object().unwrap() {
                    let version = entry["version"].as_str().unwrap().trim_start_matches("==");
                    out.insert(format!("{name}@{version}"));
                }
            }
        }
        Format::Requirements => {
            for line in text.lines() {
                let line = line.split('#').next().unwrap().trim();
                if let Some((name, version)) = line.split_once("==") {
                    let version = version.split([';', ' ']).next().unwrap();
                    out.insert(format!(
                        "{}@{version}",
                        name.split('[').next().unwrap().trim()
                    ));
                }
            }
        }
        Format::GoMod => {
            let mut in_block = false;
            for line in text.lines() {
                let line = line.split("//").next().unwrap().trim();
                if line == "require (" {
                    in_block = true;
                } else if line == ")" {
                    in_block = false;
                } else if in_block || line.starts_with("require ") {
                    let words: Vec<&str> = line
                        .trim_start_matches("require ")
                        .split_whitespace()
                        .collect();
                    if let [path, version] = words.as_slice() {
                        out.insert(format!("{path}@{version}"));
                    }
                }
            }
        }
        Format::YarnLock => {
            // Each block: its header's first specifier names the package; `version` pins it.
            let mut name = None;
            for line in text.lines() {
                if !line.starts_with(' ') && line.ends_with(':') && !line.starts_with('#') {
                    let first = line
                        .trim_end_matches(':')
                        .split(", ")
                        .next()
                        .unwrap()
                        .trim_matches('"');
                    let at = first[1..].find('@').unwrap() + 1;
                    let (mut n, range) = (&first[..at], &first[at + 1..]);
                    if let Some(real) = range.strip_prefix("npm:")
                        && let Some(i) = real[1..].find('@')
                    {
                        n = &real[..=i];
                    }
                    name = Some(n.to_owned());
                } else if let Some(v) = line.strip_prefix("  version ") {
                    out.insert(format!("{}@{}", name.take().unwrap(), v.trim_matches('"')));
                }
            }
        }
        Format::ComposerLock => composer_pins(text, &mut out),
        Format::GemfileLock => gem_pins(text, &mut out),
        Format::NugetLock => nuget_pins(text, &mut out),
        Format::PubspecLock => pub_pins(text, &mut out),
        Format::PnpmLock => {}
        // Not lockfile formats of ../shared: package databases of images (checked against
        // `dpkg-query -W` in .ci/validate) and the newer formats (tests/fixtures).
        other => panic!("{other:?} is not a lockfile format of ../shared/fixtures"),
    }
    out
}

#[test]
fn real_lockfiles_list_exactly_what_they_pin() {
    let shared = crate::workspace_root().join("../shared/fixtures/lockfiles");
    if !shared.is_dir() {
        println!(
            "SKIP: {} is absent; real-lockfile checks not run",
            shared.display()
        );
        return;
    }
    let mut checked = 0;
    for ecosystem in fs_err::read_dir(&shared).unwrap() {
        let ecosystem = ecosystem.unwrap().path();
        if !ecosystem.is_dir() {
            continue;
        }
        let mut files: Vec<_> = fs_err::read_dir(&ecosystem)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            // `project.Cargo.lock` → `Cargo.lock`; go.sum travels with its go.mod.
            let Some((project, real_name)) = name.split_once('.') else {
                continue;
            };
            let Some(format) = Format::of_file_name(real_name) else {
                continue;
            };
            let dir = tempfile::tempdir().unwrap();
            fs_err::copy(&file, dir.path().join(real_name)).unwrap();
            let sum = ecosystem.join(format!("{project}.go.sum"));
            if format == Format::GoMod && sum.exists() {
                fs_err::copy(&sum, dir.path().join("go.sum")).unwrap();
            }
            let text = fs_err::read_to_string(&file).unwrap();
            let inventory = crate::scan(dir.path());
            let actual: BTreeSet<String> = inventory
                .lockfiles
                .iter()
                .flat_map(|l| &l.packages)
                .map(|p| format!("{}@{}", p.name, p.version))
                .collect();
            let want = expected(format, &text);
            assert!(
                !want.is_empty(),
                "{name}: the independent reading found nothing"
            );
            let missing: Vec<_> = want.difference(&actual).collect();
            let extra: Vec<_> = actual.difference(&want).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{name}: missing {missing:?}, extra {extra:?}"
            );
            if format == Format::GoMod && sum.exists() {
                let hashed = inventory.lockfiles[0]
                    .packages
                    .iter()
                    .filter(|p| !p.hashes.is_empty())
                    .count();
                assert!(hashed > 0, "{name}: no go.sum hash attached");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} shared lockfiles checked");
    println!("checked {checked} shared lockfiles");
}

#[test]
fn cyclonedx_of_a_real_lockfile_is_deterministic() {
    let file =
        crate::workspace_root().join("../shared/fixtures/lockfiles/cargo/ripgrep.Cargo.lock");
    if !file.exists() {
        println!("SKIP: {} is absent", file.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs_err::copy(&file, dir.path().join("Cargo.lock")).unwrap();
    let render = || {
        let inventory = crate::scan(dir.path());
        let product = crabox_sbom::Product {
            name: "ripgrep".into(),
            version: Some("14".into()),
            ..Default::default()
        };
        let document = crabox_sbom::Document {
            timestamp: "2024-01-01T00:00:00Z".into(),
            tool_version: "0".into(),
            exclude_dev: false,
        };
        crabox_sbom::render(
            crabox_config::file::SbomFormat::CyclonedxJson,
            &product,
            &inventory,
            &document,
        )
    };
    let first = render();
    assert_eq!(first, render());
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["components"].as_array().unwrap().len(), 63);
    let _ = Path::new("");
}
