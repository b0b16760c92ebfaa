//! `crabox gate` on fixture repositories: each policy rule, the baseline (a previous tag and an
//! earlier bundle, directory and archive), the security test commands and the repository checks,
//! each failing and then passing; the JSON, JUnit and SARIF outputs.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::audit::ADVISORY;
use crate::repo;

/// foo 1.1.0 has RUSTSEC-2099-0001 (critical); `fork` comes from a git repository and `inhouse`
/// from another registry.
const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"foo\", \"fork\", \"inhouse\"]\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"fork\"\nversion = \"0.1.0\"\nsource = \"git+https://github.com/mallory/fork#0123abcd\"\n\n[[package]]\nname = \"inhouse\"\nversion = \"2.0.0\"\nsource = \"registry+https://registry.acme.example/index\"\n";

/// left-pad (WTFPL) and gpl-thing (GPL-3.0-only).
const PACKAGE_LOCK: &str = r#"{"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {"": {"name": "web", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0", "gpl-thing": "^1.0.0"}},
    "node_modules/left-pad": {"version": "1.3.0", "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "license": "WTFPL"},
    "node_modules/gpl-thing": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/gpl-thing/-/gpl-thing-1.0.0.tgz", "license": "GPL-3.0-only"}}}"#;

pub(crate) const WORKFLOW: &str = "name: ci\non: push\npermissions: {}\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n      - run: cargo test\n";

pub(crate) const SECURITY: &str = "# Security policy\n\nReport vulnerabilities to security@acme.example. Include steps to reproduce. We acknowledge reports within 3 working days and publish an advisory when the fix is released. Security fixes go to the latest release.\n";

const STRICT: &str = "[gate]\nfail-on = \"high\"\nlicenses.allow = [\"MIT\", \"WTFPL\"]\nbans = [{ name = \"left-pad\", reason = \"unpublished once\" }]\n";

const LENIENT: &str = "[product]\ncvd-policy = \"SECURITY.md\"\n\n[gate]\nfail-on = \"high\"\nlicenses.allow = [\"MIT\", \"WTFPL\", \"GPL-3.0-only\"]\nregistries = [\"https://registry.acme.example/index\"]\ngit-sources = [\"https://github.com/mallory/\"]\n";

/// A repository that follows every practice the gate checks, with the lockfiles above.
fn project() -> TestContext {
    let context = repo();
    context.write("Cargo.lock", CARGO_LOCK);
    context.write("web/package-lock.json", PACKAGE_LOCK);
    context.write(".gitignore", "advisories/\nosv/\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write("osv/GHSA-2099-left-pad.json", crate::bundle::OSV_NPM);
    context.write("SECURITY.md", SECURITY);
    context.write("LICENSE", "MIT\n");
    context.write(".github/dependabot.yml", "version: 2\nupdates: []\n");
    context.write(".github/workflows/ci.yml", WORKFLOW);
    context.write("fuzz/Cargo.toml", "[package]\nname = \"fuzz\"\n");
    let expires = crabox_types::rfc3339(crabox_types::unix_now() + 180 * 86_400).unwrap();
    context.write(
        ".well-known/security.txt",
        &format!("Contact: mailto:security@acme.example\nExpires: {expires}\n"),
    );
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "first"]);
    context
}

pub(crate) fn gate(
    context: &TestContext,
    args: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    let output = context
        .crabox()
        .args([
            "--format",
            "json",
            "gate",
            "--db",
            "advisories",
            "--db",
            "osv",
        ])
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    let report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (output.status.code(), report, stderr)
}

/// `(code, outcome)` of every check that is not a pass.
pub(crate) fn problems(report: &serde_json::Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass" && c["outcome"] != "not-applicable")
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_owned(),
                c["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn fails(report: &serde_json::Value) -> Vec<String> {
    let mut codes: Vec<String> = problems(report)
        .into_iter()
        .filter(|(_, o)| o == "fail")
        .map(|(c, _)| c)
        .collect();
    codes.sort();
    codes
}

#[test]
fn each_policy_rule_fails_on_a_violation_and_passes_once_allowed() {
    let context = project();
    context.write("crabox.toml", STRICT);
    let (code, report, stderr) = gate(&context, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(report["passed"], false);
    assert_eq!(
        fails(&report),
        [
            "gate-banned-package",
            "gate-git-source-disallowed",
            "gate-license-denied",
            "gate-registry-disallowed",
            "gate-vulnerability"
        ]
    );
    let licence = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "gate-license-denied" && c["outcome"] == "fail")
        .unwrap();
    assert_eq!(licence["location"]["file"], "web/package-lock.json");
    assert!(
        licence["location"]["line"].as_u64().unwrap() > 1,
        "{licence}"
    );
    // Allowed, and foo upgraded: everything passes.
    context.write("crabox.toml", LENIENT);
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.1.0", "1.2.0"));
    let (code, report, stderr) = gate(&context, &[]);
    assert_eq!(fails(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(code, Some(0), "{stderr}");
    let passing: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["category"] == "repository" && c["outcome"] == "pass")
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        passing.len(),
        6,
        "every repository check passes: {passing:?}"
    );
    // A vulnerability below the threshold is a warning, not a failure.
    context.write(
        "crabox.toml",
        &LENIENT.replace("fail-on = \"high\"", "fail-on = \"none\""),
    );
    context.write("Cargo.lock", CARGO_LOCK);
    let (code, report, _) = gate(&context, &[]);
    assert_eq!(code, Some(0));
    assert!(problems(&report).contains(&("gate-vulnerability".into(), "warn".into())));
}

#[test]
fn the_baseline_finds_regressions_and_improvements_from_a_tag_and_from_a_bundle() {
    let context = project();
    context.write("crabox.toml", LENIENT);
    // v1.0.0: foo 1.2.0 (no advisory) and SECURITY.md.
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.1.0", "1.2.0"));
    context.git(&["commit", "-qam", "upgrade"]);
    context.git(&["tag", "v1.0.0"]);
    let bundle = context
        .crabox()
        .args([
            "bundle",
            "--no-sign",
            "--release",
            "v1.0.0",
            "--db",
            "advisories",
            "--db",
            "osv",
            "--out",
            "evidence",
        ])
        .output()
        .unwrap();
    assert!(
        bundle.status.code().is_some_and(|c| c <= 1),
        "{}",
        output_text(&bundle).1
    );
    let dir = format!(
        "evidence/{}-1.0.0",
        context.path().file_name().unwrap().to_string_lossy()
    );
    // Now: foo back at 1.1.0 and no SECURITY.md.
    context.write("Cargo.lock", CARGO_LOCK);
    context.git(&["rm", "-q", "SECURITY.md"]);
    context.git(&["commit", "-qam", "regress"]);
    let expected = [
        "gate-regression-evidence",
        "gate-regression-vulnerability",
        "gate-vulnerability",
        "repo-security-policy",
    ];
    let (code, report, stderr) = gate(&context, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(fails(&report), expected, "{report:#}");
    // The same against the bundle, as a directory and as an archive.
    for baseline in [dir.clone(), format!("{dir}.tar.gz")] {
        let (code, report, stderr) = gate(&context, &["--baseline", &baseline]);
        assert_eq!(code, Some(1), "{baseline}: {stderr}");
        assert_eq!(fails(&report), expected, "{baseline}: {report:#}");
    }
    // Reversed: v1.1.0 has the vulnerability, the new commit fixes it: an improvement.
    context.git(&["tag", "v1.1.0"]);
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.1.0", "1.2.0"));
    context.write("SECURITY.md", SECURITY);
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "fix"]);
    let (code, report, stderr) = gate(&context, &[]);
    assert_eq!(fails(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(code, Some(0), "{stderr}");
    let improvement = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "gate-improvement")
        .unwrap();
    assert!(
        improvement["name"]
            .as_str()
            .unwrap()
            .contains("RUSTSEC-2099-0001"),
        "{improvement}"
    );
    // A first release has nothing to compare with, and says so.
    let (_, report, _) = gate(&context, &["--baseline", "previous-release"]);
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "gate-regression-vulnerability")
    );
    let bad = context
        .crabox()
        .args([
            "gate",
            "--db",
            "advisories",
            "--db",
            "osv",
            "--baseline",
            "no-such-tag",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        output_text(&bad)
            .1
            .contains("neither an evidence bundle nor a git revision")
    );
}

#[test]
fn security_test_commands_are_run_timed_and_reported_as_junit_and_sarif() {
    let context = project();
    context.write(
        "crabox.toml",
        &format!(
            "{LENIENT}commands = [\n  {{ name = \"unit\", run = \"echo 'test parser::fuzz_regressions ... ok'\" }},\n  {{ name = \"broken\", run = \"echo 'test auth::rejects_expired ... FAILED'; exit 101\" }},\n  {{ name = \"slow\", run = \"sleep 20\", timeout = 1 }},\n  {{ name = \"missing\", run = \"no-such-tool --scan\" }},\n]\n"
        ),
    );
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.1.0", "1.2.0"));
    let (code, report, _) = gate(&context, &[]);
    assert_eq!(code, Some(1));
    let command = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == "commands" && c["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(command("unit")["outcome"], "pass");
    assert_eq!(
        command("unit")["data"]["tests"][0]["name"],
        "parser::fuzz_regressions"
    );
    assert_eq!(
        command("unit")["data"]["output_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(
        command("broken")["message"]
            .as_str()
            .unwrap()
            .contains("exit status 101; failed tests: auth::rejects_expired")
    );
    assert!(
        command("slow")["message"]
            .as_str()
            .unwrap()
            .contains("time limit of 1 s")
    );
    assert!(command("slow")["data"]["duration_ms"].as_u64().unwrap() < 10_000);
    assert!(
        command("missing")["message"]
            .as_str()
            .unwrap()
            .contains("could not start")
    );
    let junit = context
        .crabox()
        .args([
            "--format",
            "junit",
            "gate",
            "--db",
            "advisories",
            "--db",
            "osv",
        ])
        .output()
        .unwrap();
    let xml = output_text(&junit).0;
    assert!(
        xml.contains("<testsuite name=\"commands\" tests=\"4\" failures=\"3\""),
        "{xml}"
    );
    let sarif = context
        .crabox()
        .args([
            "--format",
            "sarif",
            "gate",
            "--db",
            "advisories",
            "--db",
            "osv",
        ])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&output_text(&sarif).0).unwrap();
    let errors = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert_eq!(errors, 3, "{sarif:#}");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"],
        "gate-command"
    );
}

#[test]
fn repository_checks_fail_in_a_bare_repository_and_a_missing_database_fails_the_vulnerability_check()
 {
    let context = repo();
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.1.0", "1.2.0"));
    context.write(".github/workflows/bad.yml", "on: pull_request_target\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - run: echo ${{ github.event.pull_request.title }}\n");
    context.write("tool.exe", "MZ\u{90}\0binary");
    context.write(
        ".well-known/security.txt",
        "Contact: mailto:security@acme.example\nExpires: 2020-01-01T00:00:00Z\n",
    );
    context.write("crabox.toml", LENIENT);
    let output = context
        .crabox()
        .args(["--format", "json", "gate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&output_text(&output).0).unwrap();
    assert_eq!(
        fails(&report),
        [
            "gate-vulnerability",
            "repo-binary-artifact",
            "repo-dependency-updates",
            "repo-fuzzing",
            "repo-license",
            "repo-security-policy",
            "repo-security-txt",
            "repo-workflow-dangerous-trigger",
            "repo-workflow-injection",
            "repo-workflow-permissions",
            "repo-workflow-unpinned",
        ]
    );
    let vulnerability = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "gate-vulnerability")
        .unwrap();
    assert!(
        vulnerability["message"]
            .as_str()
            .unwrap()
            .contains("could not be checked: no advisory database"),
        "{vulnerability}"
    );
}

/// Issue 20: the previous release's lockfiles were catalogued without the Cargo cache while the
/// current ones were read with it, so a licence known only from the cache looked new.
#[test]
fn a_licence_read_from_the_cargo_cache_at_both_releases_is_not_a_regression() {
    let context = repo();
    context.write(
        "crabox.toml",
        "[gate]\nfail-on = \"critical\"\nlicenses.allow = [\"MIT\"]\n",
    );
    let lock = |extra: &str| {
        format!(
            "version = 3\n\n[[package]]\nname = \"copyleft\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n{extra}"
        )
    };
    context.write("Cargo.lock", &lock(""));
    context.write(".gitignore", "cargo-home/\nadvisories/\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "first"]);
    context.git(&["tag", "v1.0.0"]);
    context.write(
        "Cargo.lock",
        &lock("\n[[package]]\nname = \"other\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"),
    );
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "second"]);
    // The crate's licence is known only from the registry cache.
    context.write(
        "cargo-home/registry/src/index.crates.io-1949cf8c6b5b557f/copyleft-1.0.0/Cargo.toml",
        "[package]\nname = \"copyleft\"\nversion = \"1.0.0\"\nlicense = \"GPL-3.0-only\"\n",
    );
    let output = context
        .crabox()
        .env("CARGO_HOME", context.path().join("cargo-home"))
        .args(["--format", "json", "gate", "--db", "advisories"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let licence = |code: &str| -> Vec<String> {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["code"] == code)
            .map(|c| format!("{}: {}", c["outcome"], c["message"]))
            .collect()
    };
    // The licence is refused now, as it was at v1.0.0: a policy failure, not a regression.
    assert!(
        licence("gate-license-denied")
            .iter()
            .any(|c| c.contains("fail") && c.contains("GPL-3.0-only")),
        "{stdout}"
    );
    assert_eq!(
        licence("gate-regression-license"),
        ["\"pass\": \"no refused licence that v1.0.0 (lockfiles read from git) did not have\""],
        "{stdout}"
    );
}
