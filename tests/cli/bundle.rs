//! `crabox bundle` end to end: a git repository with Cargo and npm lockfiles and two tags, an
//! unsigned bundle that verifies, each tampered file named, byte-identical archives from two
//! runs, declarations copied, zero configuration, and a missing declaration named by its key.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::audit::ADVISORY;
use crate::repo;

const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"foo\"]\n\n[[package]]\nname = \"foo\"\nversion = \"1.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

const PACKAGE_LOCK: &str = r#"{"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {"": {"name": "web", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}},
    "node_modules/left-pad": {"version": "1.3.0", "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEfDMIGOJjaUuY6dmG9ihnsgoe2OZSIbuYxRVYBmnNsUcWw==", "license": "WTFPL"}}}"#;

/// A repository with a Cargo and an npm lockfile, an advisory database outside the scan, and
/// the tags v1.0.0 and v1.1.0.
pub(crate) fn project() -> TestContext {
    let context = repo();
    context.write("Cargo.lock", CARGO_LOCK);
    context.write("web/package-lock.json", PACKAGE_LOCK);
    context.write(".gitignore", "crabox-evidence/\nadvisories/\nosv/\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    // npm is covered too (by an advisory that does not affect left-pad 1.3.0): an ecosystem no
    // database covers is not checked, and the audit rows do not pass on it.
    context.write("osv/GHSA-2099-left-pad.json", OSV_NPM);
    context.git(&["add", "Cargo.lock", "web", ".gitignore"]);
    context.git(&["commit", "-qm", "first release"]);
    context.git(&["tag", "v1.0.0"]);
    context.write("README.md", "# web\n");
    context.git(&["add", "README.md"]);
    context.git(&["commit", "-qm", "docs"]);
    context.git(&["tag", "-a", "v1.1.0", "-m", "v1.1.0"]);
    context
}

pub(crate) const OSV_NPM: &str = r#"{"id": "GHSA-2099-lpad-0001", "summary": "left-pad pads left", "modified": "2099-01-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]}]}"#;

/// `crabox bundle`, unsigned, for v1.1.0 with the test databases.
pub(crate) const BUNDLE: [&str; 8] = [
    "bundle",
    "--no-sign",
    "--release",
    "v1.1.0",
    "--db",
    "advisories",
    "--db",
    "osv",
];

fn bundle(context: &TestContext, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = context.crabox().args(BUNDLE).args(extra).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

/// The bundle's name: the repository directory's (no `[product] name`) and the release.
pub(crate) fn bundle_name(context: &TestContext) -> String {
    let dir = context.path().file_name().unwrap().to_string_lossy();
    format!("{dir}-1.1.0")
}

/// The row of requirement `id` in a `cra/report.json`.
fn requirement(report: &serde_json::Value, id: &str) -> serde_json::Value {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
        .clone()
}

/// Nothing but the bundle and its archive in `crabox-evidence/`: no temporary or previous copy.
fn assert_only_the_bundle(context: &TestContext, name: &str) {
    let mut entries: Vec<String> = fs_err::read_dir(context.path().join("crabox-evidence"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, [name.to_owned(), format!("{name}.tar.gz")]);
}

fn verify(context: &TestContext, bundle: &str) -> (Option<i32>, String) {
    let output = context.crabox().args(["verify", bundle]).output().unwrap();
    (output.status.code(), output_text(&output).1)
}

/// The report's header: the commit, the signing status and each database's snapshot date; and
/// the (empty) list of open vulnerabilities.
fn assert_header(report: &serde_json::Value, md: &str) {
    assert_eq!(report["open_vulnerabilities"], serde_json::json!([]));
    let snapshot = report["databases"][0]["snapshot"].as_str().unwrap();
    assert_eq!(snapshot.len(), 10, "a date: {snapshot}");
    assert_eq!(report["commit"].as_str().unwrap().len(), 40);
    assert_eq!(report["signing"], "not signed: --no-sign");
    assert!(
        md.contains(&format!(
            "Signing: not signed: --no-sign. Advisory databases: rustsec `advisories` (snapshot {snapshot})"
        )),
        "{md}"
    );
}

#[test]
fn a_bundle_verifies_and_each_tampered_file_is_named() {
    let context = project();
    // Clones of the databases, committed a day ago: their snapshot date is known.
    context.database_clone("advisories", None);
    context.database_clone("osv", None);
    let (code, stdout, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    assert_eq!(stdout, format!("{dir}\n{dir}.tar.gz\n"));
    assert!(
        stderr.contains("sbom: ") && stderr.contains("audit: "),
        "per-step timing: {stderr}"
    );
    assert!(
        stderr.contains("the bundle is not signed: --no-sign"),
        "{stderr}"
    );
    for file in [
        "manifest.json",
        "cra/report.json",
        "cra/report.md",
        "cra/report.html",
        "cra/user-information.md",
        "cra/technical-documentation.md",
        "audit/findings.json",
        "audit/findings.sarif",
        "gate/results.json",
        "gate/junit.xml",
        "gate/repo-checks.json",
        "notes/release-notes.md",
    ] {
        assert!(context.exists(&format!("{dir}/{file}")), "{file}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    // No workflow at all: nothing shows the attack surface (issue 21: it used to pass).
    let surface = requirement(&report, "I.2(j)");
    assert_eq!(surface["status"], "missing", "{surface}");
    assert!(
        surface["evidence"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("gate/repo-checks.json"))
    );
    let tests = requirement(&report, "II.3");
    assert_eq!(tests["status"], "missing", "{tests}");
    assert!(
        tests["reason"]
            .as_str()
            .unwrap()
            .contains("[gate] commands"),
        "{tests}"
    );
    // No vulnerability, so no OpenVEX statement and no (schema-invalid, empty) VEX document.
    assert!(!context.exists(&format!("{dir}/audit/vex.openvex.json")));
    let manifest: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/manifest.json"))).unwrap();
    assert_eq!(manifest["schema_version"], 1);
    assert_eq!(manifest["inputs"]["tag"], "v1.1.0");
    // Untracked files (the advisory database) do not make the tree dirty.
    assert_eq!(manifest["inputs"]["dirty"], false);
    let lockfiles: Vec<&str> = manifest["inputs"]["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(lockfiles, ["Cargo.lock", "web/package-lock.json"]);
    assert_eq!(manifest["inputs"]["databases"][0]["source"], "rustsec");
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let status = |id: &str| requirement(&report, id)["status"].clone();
    assert_eq!(status("I.2(a)"), "pass", "foo 1.2.0 is patched");
    assert_header(&report, &context.read(&format!("{dir}/cra/report.md")));
    assert_eq!(status("II.1"), "pass");
    assert_eq!(status("I.2(f)"), "missing");

    for target in [dir.clone(), format!("{dir}.tar.gz")] {
        let (code, stderr) = verify(&context, &target);
        assert_eq!(code, Some(0), "{target}: {stderr}");
    }
    let files: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(files.len() >= 7, "{files:?}");
    for file in &files {
        let path = context.path().join(&dir).join(file);
        let original = fs_err::read(&path).unwrap();
        let mut changed = original.clone();
        changed[0] ^= 0x01;
        fs_err::write(&path, &changed).unwrap();
        let (code, stderr) = verify(&context, &dir);
        assert_eq!(code, Some(1), "{file}");
        assert!(
            stderr.contains(&format!("{file}: changed: sha256 ")),
            "{file}: {stderr}"
        );
        fs_err::write(&path, &original).unwrap();
    }
}

#[test]
fn two_unsigned_runs_give_byte_identical_archives_and_replace_the_previous_bundle() {
    let context = project();
    let name = bundle_name(&context);
    let archive = format!("crabox-evidence/{name}.tar.gz");
    // Byte-identical for the same inputs and SOURCE_DATE_EPOCH: without it the report is dated
    // by the clock, and two runs a second apart differ in their report time.
    let run = || {
        context
            .crabox()
            .args(BUNDLE)
            .env("SOURCE_DATE_EPOCH", "1796256000")
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(), Some(0));
    let first = fs_err::read(context.path().join(&archive)).unwrap();
    assert_eq!(run(), Some(0));
    let second = fs_err::read(context.path().join(&archive)).unwrap();
    assert_eq!(first, second);
    // Nothing else is left beside the bundle: no temporary or previous copy.
    assert_only_the_bundle(&context, &name);
}

#[test]
fn declarations_are_copied_and_zero_configuration_says_what_would_declare_each_row() {
    let context = project();
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    // Without crabox.toml: the bundle is written, and missing rows name the lines to add.
    assert_eq!(bundle(&context, &[]).0, Some(0));
    let report = context.read(&format!("{dir}/cra/report.md"));
    assert!(
        report.contains(
            "```toml\n[evidence]\nrisk-assessment = \"docs/security/risk-assessment.md\"\n```"
        ),
        "{report}"
    );
    context.write("docs/risk.md", "# Risk assessment\n");
    context.write(
        "crabox.toml",
        "[product]\nsecurity-contact = \"mailto:psirt@acme.example\"\n\n[evidence]\nrisk-assessment = \"docs/risk.md\"\nnot-applicable = { \"I.2(g)\" = \"stores no data\" }\n",
    );
    let (code, _, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        context.read(&format!("{dir}/declarations/risk-assessment/risk.md")),
        "# Risk assessment\n"
    );
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let row = |id: &str| requirement(&report, id);
    assert_eq!(row("I.1")["status"], "declared");
    assert_eq!(
        row("I.1")["evidence"][0],
        "declarations/risk-assessment/risk.md"
    );
    assert_eq!(row("I.2(g)")["status"], "not-applicable");
    // An https:/mailto: contact checked when read, and no invalid security.txt.
    assert_eq!(row("II.6")["status"], "pass");
    let index = context.read(&format!("{dir}/cra/technical-documentation.md"));
    assert!(
        index.contains("| 3. Cybersecurity risk assessment | [declarations/risk-assessment/risk.md](../declarations/risk-assessment/risk.md) |"),
        "{index}"
    );
    assert!(
        index.contains(
            "| 7. EU declaration of conformity (a draft until the manufacturer signs it) | [cra/eu-declaration-of-conformity.md](../cra/eu-declaration-of-conformity.md) |"
        ),
        "{index}"
    );
    let user = context.read(&format!("{dir}/cra/user-information.md"));
    assert!(
        user.contains("| (2) Single point of contact for reporting vulnerabilities | mailto:psirt@acme.example |"),
        "{user}"
    );
    assert!(
        user.contains("| (1) Manufacturer: name | **missing**: set `[product] manufacturer` |"),
        "{user}"
    );
    // A named document that does not exist stops the run, naming the key; the bundle stays.
    context.write(
        "crabox.toml",
        "[evidence]\nsecure-defaults = \"docs/nope.md\"\n",
    );
    let (code, _, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("`[evidence] secure-defaults = \"docs/nope.md\"`: no such file"),
        "{stderr}"
    );
    assert_eq!(
        verify(&context, &dir).0,
        Some(0),
        "the previous bundle is intact"
    );
}

#[test]
fn a_run_killed_at_any_point_leaves_a_whole_bundle_and_the_next_run_cleans_up() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let context = project();
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    let archive = format!("{dir}.tar.gz");
    let start = Instant::now();
    assert_eq!(bundle(&context, &[]).0, Some(0));
    let run = start.elapsed();
    // Kill points spread over a whole run, each shifted by a pseudo-random part of a slice.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..24u32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let slice = run / 24;
        let jitter = slice * u32::try_from(seed % 1000).unwrap() / 1000;
        let delay = slice * i + jitter;
        let mut child = context
            .crabox_std()
            .args(BUNDLE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        for target in [&dir, &archive] {
            let (code, stderr) = verify(&context, target);
            assert_eq!(code, Some(0), "killed after {delay:?}: {target}: {stderr}");
        }
    }
    assert!(run > Duration::ZERO);
    assert_eq!(bundle(&context, &[]).0, Some(0));
    assert_only_the_bundle(&context, &name);
}

#[test]
fn actively_exploited_vulnerabilities_get_their_article_14_deadlines() {
    let context = project();
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    // foo 1.1.0 has RUSTSEC-2099-0001 (CVE-2099-0001), which the KEV catalogue lists.
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.2.0", "1.1.0"));
    context.write(
        "kev.json",
        r#"{"vulnerabilities": [{"cveID": "CVE-2099-0001", "dateAdded": "2026-11-01"}, {"cveID": "CVE-2000-0001", "dateAdded": "2000-01-01"}]}"#,
    );
    context.write(
        "crabox.toml",
        "[evidence]\nkev-catalog = \"kev.json\"\nexploited = [{ id = \"CVE-2026-0002\", aware-since = \"2026-11-20T08:00:00Z\", fix-available = \"2026-11-21\" }]\n",
    );
    // The bundle's time: 2026-11-22T08:00:00Z.
    let output = context
        .crabox()
        .args(BUNDLE)
        .env("SOURCE_DATE_EPOCH", "1795334400")
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an open vulnerability: {stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let a = &report["article14"];
    assert_eq!(a["as_of"], "2026-11-22T08:00:00Z");
    assert_eq!(a["unchecked"], serde_json::json!([]));
    let entries = a["vulnerabilities"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{a:#}");
    assert!(stderr.contains("uncommitted changes"), "{stderr}");
    let manifest: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/manifest.json"))).unwrap();
    assert_eq!(manifest["inputs"]["dirty"], true, "Cargo.lock was changed");
    // Sorted by id. From the KEV catalogue: awareness is the bundle's time, so nothing has passed yet.
    assert_eq!(entries[1]["id"], "CVE-2099-0001");
    assert_eq!(entries[1]["packages"], serde_json::json!(["foo@1.1.0"]));
    assert_eq!(entries[1]["source"]["kev"]["date_added"], "2026-11-01");
    assert_eq!(entries[1]["deadlines"][0]["due"], "2026-11-23T08:00:00Z");
    assert_eq!(entries[1]["deadlines"][2]["due"], serde_json::Value::Null);
    // Declared: aware 48 h before the bundle, so the 24 h early warning has passed.
    assert_eq!(entries[0]["id"], "CVE-2026-0002");
    assert_eq!(entries[0]["source"], "declared");
    let due: Vec<(&str, bool)> = entries[0]["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["due"].as_str().unwrap(), d["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        due,
        [
            ("2026-11-21T08:00:00Z", true),
            ("2026-11-23T08:00:00Z", false),
            ("2026-12-05T00:00:00Z", false)
        ]
    );
    let md = context.read(&format!("{dir}/cra/report.md"));
    assert!(
        md.contains("| CVE-2026-0002 |  | declared | 2026-11-20T08:00:00Z (declared) | 2026-11-21T08:00:00Z (**OVERDUE**) |"),
        "{md}"
    );
    // An overdue report is the first next step, and fails the run.
    assert_eq!(report["verdict"], "fail");
    assert!(
        report["next_steps"][0].as_str().unwrap().starts_with(
            "OVERDUE: the Article 14 early warning for CVE-2026-0002 was due 2026-11-21T08:00:00Z"
        ),
        "{report:#}"
    );
    let html = context.read(&format!("{dir}/cra/report.html"));
    assert!(html.contains("KEV catalogue, added 2026-11-01"), "{html}");

    // Without a catalogue the report says what it did not consult.
    context.write("crabox.toml", "");
    bundle(&context, &[]);
    let md = context.read(&format!("{dir}/cra/report.md"));
    assert!(
        md.contains("Not consulted: a CISA Known Exploited Vulnerabilities catalogue (`[evidence] kev-catalog"),
        "{md}"
    );
    // A catalogue that is not one is an error naming the file and line.
    context.write("kev.json", "{\n  \"vulnerabilities\": 3\n}");
    context.write("crabox.toml", "[evidence]\nkev-catalog = \"kev.json\"\n");
    let (code, _, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("kev.json: line 2"), "{stderr}");
}

#[test]
#[allow(clippy::too_many_lines)] // one product, bundle after bundle
fn article_14_awareness_is_carried_forward_from_earlier_bundles() {
    let context = project();
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.2.0", "1.1.0"));
    context.write(
        "kev.json",
        r#"{"vulnerabilities": [{"cveID": "CVE-2099-0001", "dateAdded": "2026-11-01"}]}"#,
    );
    context.write(
        "crabox.toml",
        "[evidence]\nkev-catalog = \"kev.json\"\nexploited = [{ id = \"CVE-2026-0002\", aware-since = \"2026-11-20T08:00:00Z\", fix-available = \"2026-11-21\" }]\n",
    );
    // First seen at 2026-11-22T08:00:00Z.
    let output = context
        .crabox()
        .args(BUNDLE)
        .env("SOURCE_DATE_EPOCH", "1795334400")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));

    // Three days later the clocks do not restart: the awareness of the KEV match is carried
    // forward from the bundle already in the output directory, so its early warning (due
    // 2026-11-23T08:00:00Z) is overdue.
    let later = |context: &TestContext| {
        let output = context
            .crabox()
            .args(BUNDLE)
            .env("SOURCE_DATE_EPOCH", "1795593600")
            .output()
            .unwrap();
        let report: serde_json::Value =
            serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
        (output.status.code(), report)
    };
    let (code, report) = later(&context);
    assert_eq!(code, Some(1));
    let kev = &report["article14"]["vulnerabilities"][1];
    assert_eq!(kev["id"], "CVE-2099-0001");
    assert_eq!(kev["aware_since"], "2026-11-22T08:00:00Z", "{kev:#}");
    assert_eq!(kev["awareness"]["carried"]["from"], name.as_str());
    assert_eq!(kev["deadlines"][0]["passed"], true, "{kev:#}");
    assert!(
        report["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with(
                "OVERDUE: the Article 14 early warning for CVE-2099-0001 was due 2026-11-23T08:00:00Z"
            )),
        "{report:#}"
    );
    // Fixed in the next release: its duties go on, the final report due 14 days after this
    // release made the fix available.
    context.write("Cargo.lock", CARGO_LOCK);
    let (_, report) = later(&context);
    let kev = &report["article14"]["vulnerabilities"][1];
    assert_eq!(kev["id"], "CVE-2099-0001");
    assert_eq!(kev["aware_since"], "2026-11-22T08:00:00Z", "{kev:#}");
    assert_eq!(kev["fix_available"], "2026-11-25T08:00:00Z", "{kev:#}");
    assert_eq!(
        kev["deadlines"][2]["due"], "2026-12-09T08:00:00Z",
        "{kev:#}"
    );
    assert!(
        kev["note"]
            .as_str()
            .unwrap()
            .contains("not open in this release"),
        "{kev:#}"
    );
    // A copy of this bundle, for the baseline below.
    let copied = std::process::Command::new("cp")
        .args(["-R", &dir, "previous-bundle"])
        .current_dir(context.path())
        .status()
        .unwrap();
    assert!(copied.success());
    // A tampered earlier bundle is not carried forward.
    let tampered = context.path().join(format!("{dir}/cra/report.json"));
    let text = fs_err::read_to_string(&tampered).unwrap();
    fs_err::write(
        &tampered,
        text.replace("2026-11-22T08:00:00Z", "2026-01-01T00:00:00Z"),
    )
    .unwrap();
    let (_, report) = later(&context);
    assert_eq!(
        report["article14"]["vulnerabilities"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the declared one: {report:#}"
    );

    // In CI the output directory starts empty: the bundle `[gate] baseline` names (the previous
    // release's) carries the awareness.
    fs_err::remove_dir_all(context.path().join("crabox-evidence")).unwrap();
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.2.0", "1.1.0"));
    context.write(
        "crabox.toml",
        "[gate]\nbaseline = \"previous-bundle\"\n\n[evidence]\nkev-catalog = \"kev.json\"\n",
    );
    let (_, report) = later(&context);
    let kev = report["article14"]["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "CVE-2099-0001")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(kev["aware_since"], "2026-11-22T08:00:00Z", "{kev:#}");
    assert_eq!(kev["awareness"]["carried"]["from"], "previous-bundle");
}

#[test]
fn a_key_signed_bundle_carries_verifiable_signatures_and_attestations_of_the_artifacts() {
    const PASSWORD: &str = "bundle-signing-password";
    let context = project();
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    let crabox = || {
        let mut command = context.crabox();
        command.env("CRABOX_KEY_PASSWORD", PASSWORD);
        command
    };
    assert!(
        crabox()
            .args(["sign", "--generate-key", "release"])
            .output()
            .unwrap()
            .status
            .success()
    );
    context.write("dist/app.tar.gz", "the release archive\n");
    context.write("crabox.toml", "[sign]\nkey = \"release.key\"\n");
    let output = crabox()
        .args(&BUNDLE[..1])
        .args(&BUNDLE[2..])
        .args(["--artifact", "dist/app.tar.gz"])
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(PASSWORD));
    for file in [
        "manifest.sigstore.json",
        "artifacts/SHA256SUMS",
        "artifacts/app.tar.gz.sigstore.json",
        "attestations/cyclonedx.sigstore.json",
        "attestations/spdx.sigstore.json",
        "attestations/vulns.sigstore.json",
        "attestations/test-result.sigstore.json",
    ] {
        assert!(context.exists(&format!("{dir}/{file}")), "{file}");
    }
    // Outside GitHub Actions there is no provenance, and the report says why.
    assert!(!context.exists(&format!("{dir}/attestations/slsa-provenance.sigstore.json")));
    let verify_artifact = |bundle: &str| {
        let output = crabox()
            .args([
                "verify",
                "dist/app.tar.gz",
                "--key",
                "release.pub",
                "--bundle",
            ])
            .arg(format!("{dir}/{bundle}"))
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{bundle}: {}",
            output_text(&output).1
        );
    };
    verify_artifact("artifacts/app.tar.gz.sigstore.json");
    for kind in ["cyclonedx", "spdx", "vulns", "test-result"] {
        verify_artifact(&format!("attestations/{kind}.sigstore.json"));
    }
    // The attestation carries the bundle's SBOM as its predicate.
    let attestation: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/attestations/cyclonedx.sigstore.json")))
            .unwrap();
    let payload = attestation["dsseEnvelope"]["payload"].as_str().unwrap();
    let statement: serde_json::Value =
        serde_json::from_slice(&crabox_types::encoding::base64_decode(payload).unwrap()).unwrap();
    assert_eq!(statement["subject"][0]["name"], "app.tar.gz");
    let sbom: serde_json::Value = serde_json::from_str(
        &context.read(&format!("{dir}/sbom/{}.cdx.json", &name[..name.len() - 6])),
    )
    .unwrap();
    assert_eq!(statement["predicate"], sbom);
    // The whole bundle verifies with the public key, and the report counts the attestations.
    let (code, stdout) = {
        let output = crabox()
            .args(["verify", &dir, "--key", "release.pub"])
            .output()
            .unwrap();
        (output.status.code(), output_text(&output).0)
    };
    assert_eq!(code, Some(0), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let row = requirement(&report, "II.7");
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("1 signature bundle(s) and 4 signed attestation(s)"),
        "{row}"
    );
    assert!(
        row["evidence"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("attestations/vulns.sigstore.json")),
        "{row}"
    );
}

#[test]
fn the_bundle_carries_the_release_notes_and_the_advisories_of_a_fixed_vulnerability() {
    // v1.0.0 pins foo 1.1.0 (RUSTSEC-2099-0001); v1.1.0 upgrades it.
    let context = repo();
    context.write(".gitignore", "crabox-evidence/\nadvisories/\nosv/\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    // npm is covered too (by an advisory that does not affect left-pad 1.3.0): an ecosystem no
    // database covers is not checked, and the audit rows do not pass on it.
    context.write("osv/GHSA-2099-left-pad.json", OSV_NPM);
    context.write("Cargo.lock", &CARGO_LOCK.replace("1.2.0", "1.1.0"));
    context.git(&["add", "Cargo.lock", ".gitignore"]);
    context.git(&["commit", "-qm", "feat: first release"]);
    context.git(&["tag", "v1.0.0"]);
    context.write("Cargo.lock", CARGO_LOCK);
    context.git(&["add", "Cargo.lock"]);
    context.git(&[
        "commit",
        "-qm",
        "fix(deps): upgrade foo for RUSTSEC-2099-0001",
    ]);
    context.git(&["tag", "v1.1.0"]);
    context.database_clone("advisories", None);
    context.database_clone("osv", None);
    let (code, _, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("notes: "), "per-step timing: {stderr}");
    let dir = format!("crabox-evidence/{}", bundle_name(&context));
    let notes = context.read(&format!("{dir}/notes/release-notes.md"));
    assert!(notes.contains("Changes since v1.0.0"), "{notes}");
    assert!(
        notes.contains("| foo (crates.io) | critical (9.8) | 1.1.0 | 1.2.0 |"),
        "{notes}"
    );
    let advisory = fs_err::read_dir(context.path().join(&dir).join("notes/csaf"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-security-advisory.json"))
        .unwrap();
    let advisory: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(advisory).unwrap()).unwrap();
    assert_eq!(advisory["vulnerabilities"][0]["cve"], "CVE-2099-0001");
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let disclosure = requirement(&report, "II.4");
    assert_eq!(disclosure["status"], "pass", "{disclosure}");
    assert!(
        disclosure["reason"]
            .as_str()
            .unwrap()
            .contains("disclose 1 fixed vulnerability"),
        "{disclosure}"
    );
    // Advisories written support II.8; their publication is the manufacturer's to declare.
    let advisories = requirement(&report, "II.8");
    assert_eq!(advisories["status"], "evidence", "{advisories}");
    assert!(
        advisories["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("notes/csaf/")),
        "{advisories}"
    );
    assert_eq!(verify(&context, &dir).0, Some(0));
    // Without a database the notes are written but say they could not audit: not a pass.
    let output = context
        .crabox()
        .args(["bundle", "--no-sign", "--release", "v1.1.0"])
        .output()
        .unwrap();
    assert!(output.status.code().is_some_and(|c| c <= 1));
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let disclosure = requirement(&report, "II.4");
    assert_eq!(disclosure["status"], "missing", "{disclosure}");
    assert!(
        disclosure["reason"]
            .as_str()
            .unwrap()
            .contains("the dependencies were not audited"),
        "{disclosure}"
    );
}

#[test]
fn spdx_3_joins_the_bundle_when_sbom_formats_names_it() {
    // SPDX 3.0.1 (issue 22): written into the bundle beside CycloneDX and SPDX 2.3 when
    // `[sbom] formats` names it, listed in the manifest (so `verify` checks it), not otherwise.
    let context = project();
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    let sbom = |extension: &str| {
        context.path().join(format!(
            "{dir}/sbom/{}.{extension}",
            &name[..name.len() - 6]
        ))
    };
    let (code, _, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(sbom("cdx.json").exists() && sbom("spdx.json").exists());
    assert!(!sbom("spdx3.json").exists());
    context.write(
        "crabox.toml",
        "[sbom]\nformats = [\"cyclonedx-json\", \"spdx3-json\"]\n",
    );
    let (code, _, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let text = fs_err::read_to_string(sbom("spdx3.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    assert!(
        context
            .read(&format!("{dir}/manifest.json"))
            .contains(".spdx3.json")
    );
    let (code, stderr) = verify(&context, &dir);
    assert_eq!(code, Some(0), "{stderr}");
    // A tampered SPDX 3 file is named by verify.
    fs_err::write(sbom("spdx3.json"), text.replace("3.0.1", "3.0.2")).unwrap();
    let (code, stderr) = verify(&context, &dir);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(".spdx3.json"), "{stderr}");
}
