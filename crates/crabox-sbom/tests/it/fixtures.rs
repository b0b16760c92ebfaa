//! `tests/fixtures/<scenario>/`: lockfiles (and manifests) as a repository would hold them, with
//! `expected.txt` listing `name@version scope` of every package. One scenario per format version.

use crate::{listing, scan};

#[test]
fn every_scenario_lists_exactly_its_packages() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut scenarios: Vec<_> = fs_err::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        // SOURCES.tsv says where the real ones come from.
        .filter(|p| p.is_dir())
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 10, "fixtures missing: {scenarios:?}");
    let mut failures = Vec::new();
    for scenario in scenarios {
        let expected_path = scenario.join("expected.txt");
        let expected: Vec<String> = fs_err::read_to_string(&expected_path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        let inventory = scan(&scenario);
        let actual = listing(&inventory);
        if actual != expected_sorted {
            failures.push(format!(
                "{}:\n  expected {expected_sorted:?}\n  actual   {actual:?}",
                scenario.file_name().unwrap().to_string_lossy()
            ));
        }
        for lockfile in &inventory.lockfiles {
            for package in &lockfile.packages {
                assert!(
                    package.line > 0,
                    "{}: {} has no line",
                    lockfile.path,
                    package.name
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `tests/imports/`: suppliers' SBOMs from real projects (`SOURCES.tsv`), each with
/// `<name>.expected.txt` listing `name@version scope` as an independent reading of its purls gives.
#[test]
fn every_supplier_sbom_lists_exactly_its_components() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imports");
    let mut checked = 0;
    for entry in fs_err::read_dir(&base).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_suffix(".cdx.json")
            .or_else(|| name.strip_suffix(".spdx.json"))
        else {
            continue;
        };
        let expected: Vec<String> =
            fs_err::read_to_string(base.join(format!("{stem}.expected.txt")))
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
        let lockfile = crabox_sbom::import(&base, &path).unwrap();
        let inventory = crabox_sbom::Inventory {
            lockfiles: vec![lockfile],
            ..crabox_sbom::Inventory::default()
        };
        assert_eq!(listing(&inventory), expected, "{name}");
        assert!(
            inventory.lockfiles[0].packages.iter().all(|p| p.line > 0),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 1, "no supplier SBOM in {}", base.display());
}
