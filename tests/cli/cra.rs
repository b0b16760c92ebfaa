//! CRA verdicts (issue 21): each scenario a generated repository, with the status of every row
//! of the report pinned. A status never claims more than its evidence.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use crabox_test::{TestContext, output_text};

use crate::audit::ADVISORY;
use crate::repo;

/// 2026-12-03T00:00:00Z: the report time of every scenario.
const NOW: &str = "1796256000";

fn bundle(context: &TestContext, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = context
        .crabox()
        .env("SOURCE_DATE_EPOCH", NOW)
        .args(["bundle", "--no-sign", "--release", "v1.0.0", "--out", "out"])
        .args(args)
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    let report = fs_err::read_dir(context.path().join("out"))
        .ok()
        .and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("cra/report.json"))
                .find(|p| p.is_file())
        })
        .map_or(serde_json::Value::Null, |p| {
            serde_json::from_str(&fs_err::read_to_string(p).unwrap()).unwrap()
        });
    (output.status.code(), report, stderr)
}

/// Every row of the report, in order: `missing` but for `others` (`(id, status)`). Pins the
/// status of every row.
fn missing_but(others: &[(&str, &str)]) -> Vec<String> {
    const IDS: [&str; 22] = [
        "I.1", "I.2(a)", "I.2(b)", "I.2(c)", "I.2(d)", "I.2(e)", "I.2(f)", "I.2(g)", "I.2(h)",
        "I.2(i)", "I.2(j)", "I.2(k)", "I.2(l)", "I.2(m)", "II.1", "II.2", "II.3", "II.4", "II.5",
        "II.6", "II.7", "II.8",
    ];
    IDS.iter()
        .map(|id| {
            let status = others
                .iter()
                .find(|(other, _)| other == id)
                .map_or("missing", |(_, status)| status);
            format!("{id}={status}")
        })
        .collect()
}

/// The first `cra/report.md` under `out/`.
fn report_md(context: &TestContext) -> String {
    fs_err::read_dir(context.path().join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("cra/report.md"))
        .find(|p| p.is_file())
        .map(|p| fs_err::read_to_string(p).unwrap())
        .unwrap_or_default()
}

/// Every row's status, in the report's order, as `id=status`.
fn statuses(report: &serde_json::Value) -> Vec<String> {
    report["requirements"]
        .as_array()
        .unwrap_or_else(|| panic!("no report: {report}"))
        .iter()
        .map(|r| {
            format!(
                "{}={}",
                r["id"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            )
        })
        .collect()
}

fn committed(context: &TestContext) {
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "release"]);
}

#[test]
fn a_repository_without_a_lockfile_passes_nothing() {
    let context = repo();
    context.write("README.md", "# nothing to pin\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write(".gitignore", "out/\n");
    committed(&context);
    let (code, report, stderr) = bundle(&context, &["--db", "advisories"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        statuses(&report),
        [
            "I.1=missing",
            "I.2(a)=missing",
            "I.2(b)=missing",
            "I.2(c)=missing",
            "I.2(d)=missing",
            "I.2(e)=missing",
            "I.2(f)=missing",
            "I.2(g)=missing",
            "I.2(h)=missing",
            "I.2(i)=missing",
            "I.2(j)=missing",
            "I.2(k)=missing",
            "I.2(l)=missing",
            "I.2(m)=missing",
            "II.1=missing",
            "II.2=missing",
            "II.3=missing",
            "II.4=missing",
            "II.5=missing",
            "II.6=missing",
            "II.7=missing",
            "II.8=missing",
        ]
    );
    let reason = |id: &str| {
        report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        reason("I.2(a)").contains("no package was read"),
        "{}",
        reason("I.2(a)")
    );
    assert!(
        reason("II.1").contains("no lockfile was read"),
        "{}",
        reason("II.1")
    );
    assert_eq!(report["verdict"], "incomplete");
    assert_eq!(report["report_time"], "2026-12-03T00:00:00Z");
    assert_eq!(report["legal_dates"]["reporting_obligations"], "2026-09-11");
}

#[test]
fn an_npm_lockfile_with_only_a_rustsec_database_is_not_checked() {
    let context = repo();
    context.write(
        "package-lock.json",
        r#"{"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {"": {"name": "web", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}},
    "node_modules/left-pad": {"version": "1.3.0", "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "license": "WTFPL"}}}"#,
    );
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write(".gitignore", "out/\nadvisories/\n");
    committed(&context);
    let (code, report, stderr) = bundle(&context, &["--db", "advisories"]);
    assert_eq!(code, Some(0), "{stderr}");
    // Only II.1 passes: the SBOM lists the npm packages; neither the audit rows nor the
    // disclosure rows can rest on a database that does not cover npm.
    assert_eq!(statuses(&report), missing_but(&[("II.1", "pass")]));
}

#[test]
fn declared_exploited_vulnerabilities_get_deadlines_only_once_article_14_applies() {
    let context = repo();
    context.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"foo\"\nversion = \"1.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write(".gitignore", "out/\nadvisories/\n");
    context.write(
        "crabox.toml",
        "[product]\nmember-state = \"DE\"\n\n[evidence]\nexploited = [\n  { id = \"CVE-2026-1000\", aware-since = \"2026-10-01T12:00:00Z\" },\n  { id = \"CVE-2026-0800\", aware-since = \"2026-08-01T12:00:00Z\" },\n]\n",
    );
    committed(&context);
    let (code, report, stderr) = bundle(&context, &["--db", "advisories"]);
    // Overdue since 2026-10-02: the run fails although no row does.
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(report["summary"]["fail"], 0, "{report:#}");
    assert_eq!(statuses(&report), missing_but(&[("II.1", "pass")]));
    assert_eq!(report["verdict"], "fail");
    let entries = report["article14"]["vulnerabilities"].as_array().unwrap();
    let before = &entries[0];
    assert_eq!(before["id"], "CVE-2026-0800");
    assert_eq!(before["deadlines"], serde_json::json!([]));
    assert!(
        before["note"]
            .as_str()
            .unwrap()
            .contains("before 2026-09-11"),
        "{before}"
    );
    let after = &entries[1];
    assert_eq!(after["id"], "CVE-2026-1000");
    let due: Vec<(&str, bool)> = after["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| Some((d["due"].as_str()?, d["passed"].as_bool()?)))
        .collect();
    assert_eq!(
        due,
        [
            ("2026-10-02T12:00:00Z", true),
            ("2026-10-04T12:00:00Z", true)
        ]
    );
    let steps: Vec<&str> = report["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps[0].starts_with("OVERDUE: the Article 14 early warning for CVE-2026-1000"),
        "{steps:?}"
    );
    assert!(
        steps[1].starts_with("OVERDUE: the Article 14 notification for CVE-2026-1000"),
        "{steps:?}"
    );
    assert!(
        steps.iter().all(|s| !s.contains("CVE-2026-0800")),
        "{steps:?}"
    );
}

#[test]
fn report_time_is_the_clock_without_source_date_epoch_never_the_commit() {
    let context = repo();
    context.write("README.md", "# x\n");
    context.write(".gitignore", "out/\n");
    // The harness dates commits 2023-11-14.
    committed(&context);
    let output = context
        .crabox()
        .args(["bundle", "--no-sign", "--out", "out"])
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    let report_path = fs_err::read_dir(context.path().join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("cra/report.json"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{stderr}"));
    let report: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(report_path).unwrap()).unwrap();
    let time = report["report_time"].as_str().unwrap();
    assert!(!time.starts_with("2023-"), "the commit's time: {time}");
    let now = crabox_types::rfc3339(crabox_types::unix_now()).unwrap();
    assert_eq!(&time[..10], &now[..10], "{time}");
}

#[test]
fn not_applicable_is_only_for_where_applicable_items_and_names_the_line() {
    let context = repo();
    for (table, id) in [
        ("{ \"II.2\" = \"we do not patch\" }", "II.2"),
        ("{ \"I.2(z)\" = \"no such item\" }", "I.2(z)"),
    ] {
        context.write(
            "crabox.toml",
            &format!("[product]\nname = \"app\"\n\n[evidence]\nnot-applicable = {table}\n"),
        );
        let output = context.crabox().arg("config").output().unwrap();
        let (_, stderr) = output_text(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("crabox.toml:5"), "{stderr}");
        assert!(stderr.contains(&format!("`{id}`")), "{stderr}");
        assert!(stderr.contains("I.2(b) to I.2(m)"), "{stderr}");
    }
    context.write("crabox.toml", "[evidence]\nrequire = [\"II.9\"]\n");
    let output = context.crabox().arg("config").output().unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`II.9` is not a requirement"), "{stderr}");
}

#[test]
fn a_required_row_that_is_missing_fails_the_bundle() {
    let context = repo();
    context.write("README.md", "# x\n");
    context.write(".gitignore", "out/\n");
    context.write("crabox.toml", "[evidence]\nrequire = [\"I.1\"]\n");
    committed(&context);
    let (code, report, stderr) = bundle(&context, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(report["verdict"], "fail");
    assert!(
        report["next_steps"].as_array().unwrap().iter().any(|s| s
            .as_str()
            .unwrap()
            .starts_with("I.1 is missing and required")),
        "{report:#}"
    );
}

/// A RustSec advisory for `name` with a fix at 2.0.0 (or none), and its CVE alias.
fn advisory(id: &str, cve: &str, name: &str, patched: Option<&str>) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{name}\"\ndate = \"2099-01-01\"\nurl = \"https://rustsec.example/{id}\"\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\naliases = [\"{cve}\"]\n\n[versions]\npatched = [{}]\n```\n\n# {name} is vulnerable\n\nDetails.\n",
        patched.map(|p| format!("\"{p}\"")).unwrap_or_default()
    )
}

fn crates(names: &[(&str, &str)]) -> String {
    let mut lock = String::from("version = 3\n");
    for (name, version) in names {
        let _ = write!(
            lock,
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        );
    }
    lock
}

#[test]
fn a_vulnerable_release_with_an_ignore_and_a_vex_statement() {
    let context = repo();
    context.write(
        "Cargo.lock",
        &crates(&[("ignored", "1.0.0"), ("vexed", "1.0.0")]),
    );
    context.write(
        "advisories/crates/ignored/RUSTSEC-2099-0101.md",
        // Published 60 days before the report.
        &advisory(
            "RUSTSEC-2099-0101",
            "CVE-2099-0101",
            "ignored",
            Some(">= 2.0.0"),
        )
        .replace("2099-01-01", "2026-10-04"),
    );
    context.write(
        "advisories/crates/vexed/RUSTSEC-2099-0102.md",
        &advisory("RUSTSEC-2099-0102", "CVE-2099-0102", "vexed", None),
    );
    context.write(
        "vex/vexed.openvex.json",
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2099-0102"}, "products": [{"@id": "pkg:cargo/vexed"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#,
    );
    context.write(
        "crabox.toml",
        "[audit]\nvex = [\"vex/*.openvex.json\"]\nignore = [{ id = \"RUSTSEC-2099-0101\", reason = \"the affected function is not called\" }]\n",
    );
    context.write(".gitignore", "out/\nadvisories/\n");
    committed(&context);
    // A directory that is not a git clone: its date is not known, so freshness cannot be
    // shown and I.2(a) does not pass although nothing is open.
    let (code, report, stderr) = bundle(&context, &["--db", "advisories"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        statuses(&report),
        missing_but(&[("II.1", "pass"), ("II.2", "fail")])
    );
    let a = report["requirements"][1]["reason"].as_str().unwrap();
    assert!(a.contains("date is not known"), "{a}");
    assert_eq!(report["databases"][0]["snapshot"], serde_json::Value::Null);

    // A clone committed the day before the report: the ignore and the VEX statement leave
    // nothing open, so I.2(a) passes on its own terms; but the ignored vulnerability has a
    // released fix not applied: II.2 fails, and the run.
    context.database_clone("advisories", Some(NOW.parse::<i64>().unwrap() - 86_400));
    let (code, report, stderr) = bundle(&context, &["--db", "advisories"]);
    assert_eq!(code, Some(1), "{stderr}");
    // No earlier release: II.4 is evidence (nothing fixed can be disclosed yet); the CSAF
    // document of the known vulnerabilities is II.8's evidence.
    assert_eq!(
        statuses(&report),
        missing_but(&[
            ("I.2(a)", "pass"),
            ("II.1", "pass"),
            ("II.2", "fail"),
            ("II.4", "evidence"),
            ("II.8", "evidence"),
        ])
    );
    assert_eq!(report["databases"][0]["snapshot"], "2026-12-02");
    let remediation = report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "II.2")
        .unwrap();
    assert_eq!(
        remediation["reason"],
        "1 vulnerability with a released fix not applied (1 of them ignored); the oldest, RUSTSEC-2099-0101, was published 60 day(s) before this report"
    );
    // The ignored one with a fix is listed, with its age; the VEX'd one is not.
    assert_eq!(
        report["open_vulnerabilities"],
        serde_json::json!([{
            "id": "RUSTSEC-2099-0101",
            "aliases": ["CVE-2099-0101"],
            "package": "ignored@1.0.0",
            "ecosystem": "crates.io",
            "fix": "2.0.0",
            "status": "ignored",
            "published": "2026-10-04",
            "age_days": 60
        }])
    );
    let md = report_md(&context);
    assert!(
        md.contains("| RUSTSEC-2099-0101 | ignored@1.0.0 | 2.0.0 | 2026-10-04 | 60 | ignored |"),
        "{md}"
    );
}

#[test]
fn a_stale_cached_database_gives_no_pass() {
    // A RustSec repository whose only commit is dated 2023-11-14 (the harness's commit date).
    let remote = repo();
    remote.write(
        "crates/foo/RUSTSEC-2099-0001.md",
        &advisory(
            "RUSTSEC-2099-0001",
            "CVE-2099-0001",
            "foo",
            Some(">= 2.0.0"),
        ),
    );
    remote.git(&["add", "-A"]);
    remote.git(&["commit", "-qm", "advisories"]);
    let context = repo();
    context.write("Cargo.lock", &crates(&[("bar", "1.0.0")]));
    context.write(".gitignore", "out/\n");
    context.write(
        "crabox.toml",
        &format!(
            "[audit]\nsources = [\"rustsec\"]\nrustsec-url = \"file://{}\"\n",
            remote.path().display()
        ),
    );
    committed(&context);
    let update = context
        .crabox()
        .env_remove("CRABOX_AUDIT_RUSTSEC_URL")
        .args(["db", "update"])
        .output()
        .unwrap();
    assert_eq!(update.status.code(), Some(0), "{}", output_text(&update).1);
    let (code, report, stderr) = bundle(&context, &["--offline"]);
    assert_eq!(code, Some(0), "{stderr}");
    // II.2, II.4 and II.8 rest on the same audit: a stale database passes none of them.
    assert_eq!(statuses(&report), missing_but(&[("II.1", "pass")]));
    let a = report["requirements"][1]["reason"].as_str().unwrap();
    assert!(
        a.contains("days old, older than `[audit] max-age = 7`"),
        "{a}"
    );
    // A larger max-age accepts it.
    context.write(
        "crabox.toml",
        &format!(
            "[audit]\nsources = [\"rustsec\"]\nmax-age = 36500\nrustsec-url = \"file://{}\"\n",
            remote.path().display()
        ),
    );
    let (_, report, stderr) = bundle(&context, &["--offline"]);
    assert_eq!(report["requirements"][1]["status"], "pass", "{stderr}");
}

#[test]
#[allow(clippy::too_many_lines)] // one repository that meets every row, then every row pinned
fn a_clean_signed_release_with_every_declaration_is_complete() {
    let context = repo();
    let keys = [
        "risk-assessment",
        "secure-defaults",
        "security-updates",
        "access-control",
        "confidentiality",
        "integrity",
        "data-minimisation",
        "availability",
        "network-impact",
        "attack-surface",
        "exploit-mitigation",
        "monitoring",
        "data-removal",
        "test-plan",
        "update-distribution",
        "advisory-policy",
    ];
    let mut evidence = String::from("[evidence]\n");
    for key in keys {
        context.write(&format!("docs/security/{key}.md"), &format!("# {key}\n"));
        let _ = writeln!(evidence, "{key} = \"docs/security/{key}.md\"");
    }
    context.write(
        "crabox.toml",
        &format!(
            "[product]\nname = \"app\"\ncategory = \"password-manager\"\nsecurity-contact = \"mailto:security@acme.example\"\ncvd-policy = \"SECURITY.md\"\n\n[sign]\nmode = \"key\"\nkey = \"release.key\"\n\n[gate]\ncommands = [{{ name = \"unit tests\", run = \"true\" }}]\n\n{evidence}"
        ),
    );
    context.write("SECURITY.md", crate::gate::SECURITY);
    context.write(".github/workflows/ci.yml", crate::gate::WORKFLOW);
    // What the gate's repository checks ask for: a clean release passes every one.
    context.write("LICENSE", "MIT\n");
    context.write(".github/dependabot.yml", "version: 2\nupdates: []\n");
    context.write("fuzz/Cargo.toml", "[package]\nname = \"fuzz\"\n");
    context.write("Cargo.lock", &crates(&[("foo", "2.0.0")]));
    context.write(
        "advisories/crates/foo/RUSTSEC-2099-0001.md",
        &advisory(
            "RUSTSEC-2099-0001",
            "CVE-2099-0001",
            "foo",
            Some(">= 2.0.0"),
        ),
    );
    context.write("dist/app.tar.gz", "release archive\n");
    context.write(".gitignore", "out/\nadvisories/\ndist/\nrelease.key\n");
    committed(&context);
    context.git(&["tag", "v0.9.0"]);
    context.write("CHANGELOG.md", "1.0.0\n");
    committed(&context);
    context.database_clone("advisories", Some(NOW.parse::<i64>().unwrap() - 86_400));
    let generate = context
        .crabox()
        .env("CRABOX_KEY_PASSWORD", "correct horse")
        .args(["sign", "--generate-key", "release"])
        .output()
        .unwrap();
    assert_eq!(
        generate.status.code(),
        Some(0),
        "{}",
        output_text(&generate).1
    );
    let output = context
        .crabox()
        .env("SOURCE_DATE_EPOCH", NOW)
        .env("CRABOX_KEY_PASSWORD", "correct horse")
        .args([
            "bundle",
            "--release",
            "v1.0.0",
            "--out",
            "out",
            "--db",
            "advisories",
            "--artifact",
            "dist/app.tar.gz",
        ])
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    let report: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(context.path().join("out/app-1.0.0/cra/report.json"))
            .unwrap_or_else(|e| panic!("{e}: {stderr}")),
    )
    .unwrap();
    assert_eq!(
        statuses(&report),
        [
            "I.1=declared",
            "I.2(a)=pass",
            "I.2(b)=declared",
            "I.2(c)=declared",
            "I.2(d)=declared",
            "I.2(e)=declared",
            "I.2(f)=declared",
            "I.2(g)=declared",
            "I.2(h)=declared",
            "I.2(i)=declared",
            "I.2(j)=declared",
            "I.2(k)=declared",
            "I.2(l)=declared",
            "I.2(m)=declared",
            "II.1=pass",
            "II.2=pass",
            "II.3=declared",
            "II.4=pass",
            "II.5=pass",
            "II.6=pass",
            "II.7=declared",
            "II.8=declared",
        ],
        "{stderr}\n{}",
        fs_err::read_to_string(context.path().join("out/app-1.0.0/gate/results.json")).unwrap()
    );
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(report["verdict"], "complete");
    assert_eq!(report["next_steps"], serde_json::json!([]));
    // Class I: module A only with harmonised standards applied in full, and none is listed.
    assert_eq!(report["classification"]["class"], "important-class-i");
    assert!(
        report["classification"]["procedures"][0]
            .as_str()
            .unwrap()
            .contains("module A is not open"),
        "{report:#}"
    );
    // Annex II names every item, given or missing; Annex V is a draft naming what it lacks.
    let user = fs_err::read_to_string(context.path().join("out/app-1.0.0/cra/user-information.md"))
        .unwrap();
    assert!(
        user.contains("2 of 16 items given") || user.contains("of 16 items given"),
        "{user}"
    );
    for item in [
        "(5) Known or foreseeable",
        "(8)(a) Secure use",
        "(8)(f) For integration",
    ] {
        assert!(user.contains(item), "{item}: {user}");
    }
    assert!(
        user.contains("**missing**: set `[product] automatic-updates-opt-out`"),
        "{user}"
    );
    let declaration = fs_err::read_to_string(
        context
            .path()
            .join("out/app-1.0.0/cra/eu-declaration-of-conformity.md"),
    )
    .unwrap();
    assert!(
        declaration.starts_with("# DRAFT: EU declaration of conformity"),
        "{declaration}"
    );
    assert!(
        declaration.contains("**missing**: set `[evidence] standards`"),
        "{declaration}"
    );
    assert!(
        declaration.contains("**missing**: set `[product] manufacturer`"),
        "{declaration}"
    );
    let index = fs_err::read_to_string(
        context
            .path()
            .join("out/app-1.0.0/cra/technical-documentation.md"),
    )
    .unwrap();
    assert!(
        index.contains("[gate/junit.xml](../gate/junit.xml)"),
        "item 6 holds the gate's test reports: {index}"
    );
}

#[test]
fn a_vulnerable_package_whose_lockfile_was_deleted_is_not_fixed() {
    let context = repo();
    context.write("app/Cargo.lock", &crates(&[("foo", "1.0.0")]));
    context.write("tool/Cargo.lock", &crates(&[("bar", "1.0.0")]));
    context.write(
        "advisories/crates/foo/RUSTSEC-2099-0001.md",
        &advisory(
            "RUSTSEC-2099-0001",
            "CVE-2099-0001",
            "foo",
            Some(">= 2.0.0"),
        ),
    );
    context.write(".gitignore", "out/\nadvisories/\n");
    committed(&context);
    context.git(&["tag", "v1.0.0"]);
    fs_err::remove_file(context.path().join("app/Cargo.lock")).unwrap();
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "chore: move the app"]);
    let output = context
        .crabox()
        .args(["notes", "--db", "advisories"])
        .output()
        .unwrap();
    let (notes, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !notes.contains("Vulnerabilities fixed in this release"),
        "{notes}"
    );
    assert!(
        notes.contains("Not known to be fixed: their lockfile is not in this release"),
        "{notes}"
    );
    assert!(
        notes.contains("| RUSTSEC-2099-0001 | foo (crates.io) |"),
        "{notes}"
    );
    // The bundle's II.4 says so, and counts nothing as fixed.
    context.database_clone("advisories", Some(NOW.parse::<i64>().unwrap() - 86_400));
    let (_, report, stderr) = bundle(&context, &["--db", "advisories"]);
    let disclosure = report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "II.4")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(
        disclosure["reason"],
        "both releases audited (v1.0.0 and this one); the release notes disclose 0 fixed vulnerabilities and 1 not known to be fixed (its lockfile is gone)"
    );
}
