//! One scope for every command (issue 20): `-C DIR` is the repository (git, workflows,
//! SECURITY.md, configuration); `--path` narrows the lockfiles read; without `-C` the repository
//! is the one that contains `--path`; with `-C` a `--path` outside it is an error naming both.
//! Each run starts in another repository, whose workflows, tags and lockfiles must not leak in.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::audit::ADVISORY;
use crate::repo;

fn lock(name: &str, version: &str) -> String {
    format!(
        "version = 3\n\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    )
}

/// An unpinned action, which the gate fails at its line.
fn workflow(name: &str) -> String {
    format!(
        "name: {name}\non: push\npermissions: {{}}\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    )
}

/// Repository A: SECURITY.md, `a.yml`, foo in `sub/Cargo.lock` (1.0.0 at v1.0.0, then the
/// vulnerable 1.1.0), an advisory database. Repository B, where the commands run: `b.yml`, no
/// SECURITY.md, bar in `Cargo.lock`, tagged `v7.0.0`.
fn two_repositories() -> (TestContext, TestContext) {
    let a = repo();
    a.write(
        "SECURITY.md",
        "# Security policy\n\nReport vulnerabilities to security@a.example. Include steps to reproduce. We acknowledge reports within 3 working days and publish an advisory when the fix is released. Security fixes go to the latest release.\n",
    );
    a.write(".github/workflows/a.yml", &workflow("a"));
    a.write("sub/Cargo.lock", &lock("foo", "1.0.0"));
    a.write(".gitignore", "advisories/\n");
    a.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    a.git(&["add", "-A"]);
    a.git(&["commit", "-qm", "feat: alpha one"]);
    a.git(&["tag", "v1.0.0"]);
    a.write("sub/Cargo.lock", &lock("foo", "1.1.0"));
    a.git(&["add", "-A"]);
    a.git(&["commit", "-qm", "feat: alpha two"]);

    let b = repo();
    b.write(".github/workflows/b.yml", &workflow("b"));
    b.write("Cargo.lock", &lock("bar", "3.0.0"));
    b.git(&["add", "-A"]);
    b.git(&["commit", "-qm", "feat: beta"]);
    b.git(&["tag", "v7.0.0"]);
    b.write("Cargo.lock", &lock("bar", "3.0.1"));
    b.git(&["add", "-A"]);
    b.git(&["commit", "-qm", "fix: beta two"]);
    (a, b)
}

fn run(from: &TestContext, args: &[&str]) -> (Option<i32>, String, String) {
    let output = from.crabox().args(args).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

/// A's gate report: its workflow, its SECURITY.md, its lockfile and its previous release; none
/// of B's.
fn assert_gate_of_a(stdout: &str, stderr: &str) {
    let report: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let text = report.to_string();
    assert!(text.contains(".github/workflows/a.yml"), "{text}");
    assert!(!text.contains("b.yml"), "{text}");
    let policy = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "repo-security-policy")
        .unwrap();
    assert_eq!(policy["outcome"], "pass", "{policy}");
    // The vulnerable foo of A's lockfile, new since A's v1.0.0.
    assert!(text.contains("sub/Cargo.lock"), "{text}");
    assert!(text.contains("RUSTSEC-2099-0001"), "{text}");
    assert!(text.contains("v1.0.0 (lockfiles read from git)"), "{text}");
    assert!(!text.contains("v7.0.0") && !text.contains("bar"), "{text}");
}

#[test]
fn gate_with_c_and_a_path_inside_reports_only_that_repository() {
    let (a, b) = two_repositories();
    let root = a.path().display().to_string();
    let sub = a.path().join("sub").display().to_string();
    let (code, stdout, stderr) = run(
        &b,
        &[
            "-C",
            &root,
            "--format",
            "json",
            "gate",
            "--path",
            &sub,
            "--db",
            "advisories",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_gate_of_a(&stdout, &stderr);
}

#[test]
fn gate_with_a_path_in_another_repository_checks_that_repository() {
    let (a, b) = two_repositories();
    let sub = a.path().join("sub").display().to_string();
    let db = a.path().join("advisories").display().to_string();
    let (code, stdout, stderr) = run(
        &b,
        &["--format", "json", "gate", "--path", &sub, "--db", &db],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_gate_of_a(&stdout, &stderr);
}

#[test]
fn notes_with_c_read_that_repository_tags_and_lockfiles() {
    let (a, b) = two_repositories();
    let root = a.path().display().to_string();
    let (code, stdout, stderr) = run(&b, &["-C", &root, "notes", "--db", "advisories"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Changes since v1.0.0"), "{stdout}");
    assert!(stdout.contains("alpha two"), "{stdout}");
    assert!(
        !stdout.contains("beta") && !stdout.contains("v7.0.0"),
        "{stdout}"
    );
    // The security section compares A's lockfiles: foo became vulnerable.
    assert!(stdout.contains("RUSTSEC-2099-0001"), "{stdout}");
}

#[test]
fn sbom_and_audit_with_a_path_in_another_repository_read_its_lockfiles() {
    let (a, b) = two_repositories();
    let sub = a.path().join("sub").display().to_string();
    let (code, stdout, stderr) = run(&b, &["sbom", "--path", &sub]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("pkg:cargo/foo@1.1.0"), "{stdout}");
    assert!(!stdout.contains("bar"), "{stdout}");
    let db = a.path().join("advisories").display().to_string();
    let (code, stdout, stderr) = run(
        &b,
        &["--format", "json", "audit", "--path", &sub, "--db", &db],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("RUSTSEC-2099-0001"), "{stdout}");
}

#[test]
fn a_path_outside_c_is_an_error_naming_both() {
    let (a, b) = two_repositories();
    let root = a.path().display().to_string();
    let elsewhere = b.path().display().to_string();
    for command in ["sbom", "audit", "gate", "notes", "bundle"] {
        let (code, _, stderr) = run(&b, &["-C", &root, command, "--path", &elsewhere]);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("--path `{elsewhere}` is outside `-C {root}`")),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn notes_with_a_path_in_another_repository_read_its_tags() {
    let (a, b) = two_repositories();
    let sub = a.path().join("sub").display().to_string();
    let db = a.path().join("advisories").display().to_string();
    let (code, stdout, stderr) = run(
        &b,
        &["notes", "--path", &sub, "--to", "v1.0.0", "--db", &db],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("1.0.0"), "{stdout}");
    assert!(stdout.contains("alpha one"), "{stdout}");
    assert!(!stdout.contains("beta"), "{stdout}");
}
