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
