//! The audit core against cargo-audit and the real databases in `../shared`: for every shared
//! Cargo.lock, the vulnerabilities found with the RustSec database are exactly those cargo-audit
//! 0.22.2 reports (`../shared/fixtures/expected/cargo-audit/`); the Python and Go lockfiles are
//! audited with the OSV databases. Skipped, with a SKIP line, when `../shared` is absent.
//! (The `crabox audit` command arrives with the rest of its issue; this checks the library.)

// Helpers outside #[test] functions panic on fixture trouble; SKIP and count lines go to stdout.
#![allow(clippy::unwrap_used, clippy::disallowed_macros)]

use std::path::{Path, PathBuf};

use crabox_audit::{Database, Kind};

fn shared() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    path.is_dir().then_some(path)
}

fn inventory_of(file: &Path, real_name: &str, sum: Option<&Path>) -> crabox_sbom::Inventory {
    let dir = tempfile::tempdir().unwrap();
    fs_err::copy(file, dir.path().join(real_name)).unwrap();
    if let Some(sum) = sum {
        fs_err::copy(sum, dir.path().join("go.sum")).unwrap();
    }
    let inventory = crabox_sbom::scan(&crabox_sbom::Options {
        root: dir.path().to_owned(),
        path: dir.path().to_owned(),
        cargo_home: None,
        nuget_packages: None,
        maven_repository: None,
        gradle_home: None,
        selection: crabox_sbom::Selection::default(),
    })
    .unwrap();
    drop(dir);
    inventory
}

#[test]
fn real_cargo_lockfiles_match_cargo_audit() {
    let Some(shared) = shared() else {
        println!("SKIP: ../shared is absent; cargo-audit parity not checked");
        return;
    };
    let db = Database::open(&shared.join("data/rustsec-advisory-db")).unwrap();
    assert!(
        db.advisories.len() > 1000,
        "{} advisories",
        db.advisories.len()
    );
    let expected_dir = shared.join("fixtures/expected/cargo-audit");
    let mut checked = 0;
    for entry in fs_err::read_dir(shared.join("fixtures/lockfiles/cargo")).unwrap() {
        let file = entry.unwrap().path();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Some(project) = name.strip_suffix(".Cargo.lock") else {
            continue;
        };
        let inventory = inventory_of(&file, "Cargo.lock", None);
        let findings = crabox_audit::audit(&inventory.lockfiles, std::slice::from_ref(&db));
        let mut actual: Vec<String> = findings
            .iter()
            .filter(|f| f.kind == Kind::Vulnerability)
            .map(|f| format!("{} {} {}", f.id, f.package, f.version))
            .collect();
        actual.sort();
        let expected_text =
            fs_err::read_to_string(expected_dir.join(format!("{project}.vulns.txt"))).unwrap();
        let mut expected: Vec<String> = expected_text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        expected.sort();
        assert_eq!(actual, expected, "{name}");
        for finding in &findings {
            assert!(finding.line > 0 && !finding.path.is_empty(), "{finding:?}");
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
    println!("checked {checked} Cargo.lock files against cargo-audit");
}

#[test]
fn python_and_go_lockfiles_with_osv_databases() {
    let Some(shared) = shared() else {
        println!("SKIP: ../shared is absent; OSV audits not checked");
        return;
    };
    let pypa = Database::open(&shared.join("data/pypa-advisory-db")).unwrap();
    let go = Database::open(&shared.join("data/go-vulndb")).unwrap();
    assert!(
        pypa.skipped.is_empty() && go.skipped.is_empty(),
        "{:?} {:?}",
        pypa.skipped.first(),
        go.skipped.first()
    );
    let databases = [pypa, go];
    let lockfiles = shared.join("fixtures/lockfiles");
    let mut total = 0;
    for (file, real, sum) in [
        (
            "python/in-toto-attestation.requirements.txt",
            "requirements.txt",
            None,
        ),
        ("python/osv-schema-ghsa.Pipfile.lock", "Pipfile.lock", None),
        ("python/uv.uv.lock", "uv.lock", None),
        ("go/grype.go.mod", "go.mod", Some("go/grype.go.sum")),
        ("go/vulndb.go.mod", "go.mod", Some("go/vulndb.go.sum")),
    ] {
        let sum = sum.map(|s| lockfiles.join(s));
        let inventory = inventory_of(&lockfiles.join(file), real, sum.as_deref());
        let findings = crabox_audit::audit(&inventory.lockfiles, &databases);
        for finding in &findings {
            let package = inventory.lockfiles[0]
                .packages
                .iter()
                .find(|p| p.name == finding.package && p.version == finding.version)
                .expect("a finding is about a listed package");
            let advisory = databases
                .iter()
                .flat_map(|d| &d.advisories)
                .find(|a| {
                    a.id == finding.id
                        && a.package
                            == crabox_audit::db::normalize(package.ecosystem, &package.name)
                })
                .expect("the advisory exists");
            assert!(advisory.affects(&finding.version), "{finding:?}");
        }
        println!("{file}: {} findings", findings.len());
        total += findings.len();
    }
    assert!(
        total > 0,
        "the shared Go and Python lockfiles are old enough to have known vulnerabilities"
    );

    // A known-vulnerable pin, written by name in another spelling: PEP 503 names must still match.
    let dir = tempfile::tempdir().unwrap();
    let requirements = dir.path().join("requirements.txt");
    fs_err::write(&requirements, "AccessControl==4.2\n").unwrap();
    let inventory = inventory_of(&requirements, "requirements.txt", None);
    let findings = crabox_audit::audit(&inventory.lockfiles, &databases);
    assert!(
        findings
            .iter()
            .any(|f| f.id == "PYSEC-2021-335" && f.fix.as_deref() == Some("4.3")),
        "{findings:?}"
    );
}
