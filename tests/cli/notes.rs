//! `crabox notes`: a repository with two releases, conventional and free-form commits, a merge,
//! a reverted feature, a breaking change with a co-author, and a dependency upgrade that fixes a
//! known advisory; the notes, the CSAF documents and OpenVEX checked; overrides, template
//! errors, first releases and shallow clones.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::audit::ADVISORY;
use crate::repo;

const LOCK: &str = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"foo\"]\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

fn commit(context: &TestContext, message: &str) {
    context.git(&["commit", "-q", "--allow-empty", "-m", message]);
}

/// v1.0.0 (annotated) pins foo 1.1.0, which RUSTSEC-2099-0001 affects; v1.1.0 (lightweight)
/// upgrades it to 1.2.0.
fn project() -> TestContext {
    let context = repo();
    context.write("crabox.toml", "[product]\nname = \"app\"\n");
    context.write(".gitignore", "advisories/\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write("Cargo.lock", LOCK);
    context.git(&["add", "Cargo.lock", ".gitignore", "crabox.toml"]);
    commit(&context, "feat: first release");
    context.git(&["tag", "-a", "v1.0.0", "-m", "v1.0.0"]);
    context.git(&["remote", "add", "origin", "https://github.com/acme/app.git"]);
    commit(&context, "feat(api): add the export endpoint\n\nCloses #12");
    commit(&context, "fix: handle empty input");
    commit(&context, "Tidy the docs");
    context.write("beta.txt", "on\n");
    context.git(&["add", "beta.txt"]);
    commit(&context, "feat: add the beta switch");
    context.git(&["revert", "--no-edit", "HEAD"]);
    context.git(&["checkout", "-q", "-b", "topic"]);
    commit(&context, "perf: parse in one pass");
    context.git(&["checkout", "-q", "main"]);
    context.git(&[
        "merge",
        "-q",
        "--no-ff",
        "topic",
        "-m",
        "Merge branch 'topic'",
    ]);
    context.write("Cargo.lock", &LOCK.replace("1.1.0", "1.2.0"));
    context.git(&["add", "Cargo.lock"]);
    commit(
        &context,
        "fix(deps)!: upgrade foo to 1.2.0 for RUSTSEC-2099-0001\n\nBREAKING CHANGE: foo 1.2 drops the legacy API\nCo-authored-by: Grace Hopper <grace@example.com>",
    );
    context.git(&["tag", "v1.1.0"]);
    context
}

fn notes(context: &TestContext, args: &[&str]) -> (Option<i32>, String, String) {
    let output = context.crabox().arg("notes").args(args).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

/// The CSAF advisory for the fixed vulnerability, the release's CSAF VEX and OpenVEX documents.
fn assert_advisories(context: &TestContext) {
    let advisory: serde_json::Value =
        serde_json::from_str(&context.read("csaf/app-1_1_0-security-advisory.json")).unwrap();
    assert_eq!(advisory["document"]["category"], "csaf_security_advisory");
    assert_eq!(
        advisory["document"]["tracking"]["id"],
        "app-1.1.0-security-advisory"
    );
    let v = &advisory["vulnerabilities"][0];
    assert_eq!(v["cve"], "CVE-2099-0001");
    assert_eq!(v["ids"][0]["text"], "RUSTSEC-2099-0001");
    assert_eq!(
        v["product_status"]["known_affected"],
        serde_json::json!(["CSAFPID-app:app@1.0.0", "CSAFPID-crates.io:foo@1.1.0"])
    );
    assert_eq!(
        v["product_status"]["fixed"],
        serde_json::json!(["CSAFPID-app:app@1.1.0", "CSAFPID-crates.io:foo@1.2.0"])
    );
    assert_eq!(v["remediations"][0]["category"], "vendor_fix");
    assert_eq!(v["scores"][0]["cvss_v3"]["baseScore"], 9.8);
    assert_eq!(v["scores"][0]["cvss_v3"]["baseSeverity"], "CRITICAL");
    let vex: serde_json::Value =
        serde_json::from_str(&context.read("csaf/app-1_1_0-vex.json")).unwrap();
    assert_eq!(vex["document"]["category"], "csaf_vex");
    assert_eq!(
        vex["vulnerabilities"][0]["product_status"]["fixed"],
        serde_json::json!(["CSAFPID-app:app@1.1.0"])
    );
    let openvex: serde_json::Value =
        serde_json::from_str(&context.read("release.openvex.json")).unwrap();
    assert_eq!(openvex["statements"][0]["status"], "fixed");
    assert_eq!(
        openvex["statements"][0]["products"][0]["@id"],
        "pkg:github/acme/app@v1.1.0"
    );
}

#[test]
fn notes_group_the_range_and_the_security_section_names_the_fixed_advisory() {
    let context = project();
    let args = [
        "--db",
        "advisories",
        "--csaf-dir",
        "csaf",
        "--openvex",
        "release.openvex.json",
    ];
    let (code, text, stderr) = notes(&context, &args);
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("# app 1.1.0 ("), "{text}");
    assert!(
        text.contains("Changes since v1.0.0 ([compare](https://github.com/acme/app/compare/v1.0.0...v1.1.0)): 8 commits."),
        "{text}"
    );
    assert!(text.contains("## ⚠ Breaking changes\n\n- **deps:** foo 1.2 drops the legacy API ("));
    let feature = lines
        .iter()
        .find(|l| l.contains("add the export endpoint"))
        .unwrap();
    assert!(
        feature.starts_with("- **api:** add the export endpoint ([")
            && feature.ends_with("), [#12](https://github.com/acme/app/issues/12))"),
        "{feature}"
    );
    assert!(
        feature.contains("](https://github.com/acme/app/commit/"),
        "{feature}"
    );
    assert!(
        !text.contains("beta switch"),
        "a feature reverted in the range is left out: {text}"
    );
    assert!(
        !text.contains("Merge branch"),
        "merge commits are left out: {text}"
    );
    for (section, entry) in [
        ("## Features", "add the export endpoint"),
        ("## Bug fixes", "handle empty input"),
        ("## Performance", "parse in one pass"),
        ("## Other changes", "Tidy the docs"),
    ] {
        let at = text
            .find(section)
            .unwrap_or_else(|| panic!("{section}: {text}"));
        let next = text[at + 3..]
            .find("\n## ")
            .map_or(text.len(), |n| at + 3 + n);
        assert!(
            text[at..next].contains(entry),
            "{entry} under {section}: {text}"
        );
    }
    assert!(
        text.contains("| [RUSTSEC-2099-0001](https://rustsec.org/advisories/RUSTSEC-2099-0001) | CVE-2099-0001 | foo (crates.io) | critical (9.8) | 1.1.0 | 1.2.0 |"),
        "{text}"
    );
    assert!(text.contains("No known vulnerability is open in this release's dependencies."));
    assert!(
        text.contains(
            "Security-related commits:\n\n- **deps:** upgrade foo to 1.2.0 for RUSTSEC-2099-0001"
        ),
        "{text}"
    );
    assert!(
        text.contains("## Contributors\n\ncrabox test, Grace Hopper\n"),
        "{text}"
    );

    assert_advisories(&context);

    // The same range gives the same bytes.
    let first = [
        text.clone(),
        context.read("csaf/app-1_1_0-security-advisory.json"),
        context.read("release.openvex.json"),
    ];
    let (_, again, _) = notes(&context, &args);
    assert_eq!(
        first,
        [
            again,
            context.read("csaf/app-1_1_0-security-advisory.json"),
            context.read("release.openvex.json")
        ]
    );

    // The template context.
    let (code, json, _) = notes(&context, &["--db", "advisories", "--context"]);
    assert_eq!(code, Some(0));
    let release: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(release["previous_tag"], "v1.0.0");
    assert_eq!(release["tag"], "v1.1.0");
    assert_eq!(release["stats"]["merges"], 1);
    assert_eq!(release["stats"]["reverted"], 2);
    assert_eq!(release["security"]["fixed"][0]["fixed_version"], "1.2.0");
}

#[test]
fn without_a_database_the_notes_say_the_dependencies_were_not_audited() {
    let context = project();
    let (code, text, stderr) = notes(&context, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        text.contains("The dependencies were not audited: no advisory database"),
        "{text}"
    );
    // The security commits are still listed.
    assert!(text.contains("Security-related commits:"), "{text}");
}

#[test]
fn ranges_can_be_named_and_a_first_release_has_no_previous_tag() {
    let context = project();
    let (code, text, stderr) = notes(&context, &["--from", "v1.0.0", "--to", "HEAD~1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(text.starts_with("# app unreleased ("), "{text}");
    assert!(!text.contains("upgrade foo"), "{text}");
    assert!(text.contains("add the export endpoint"), "{text}");
    let (code, text, _) = notes(&context, &["--to", "v1.0.0"]);
    assert_eq!(code, Some(0));
    assert!(text.contains("# app 1.0.0 ("), "{text}");
    assert!(text.contains("First release: 1 commit."), "{text}");
    let (code, _, stderr) = notes(&context, &["--from", "v0.9.0"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--from `v0.9.0` does not name a commit"),
        "{stderr}"
    );
    // A tag pattern as a regular expression that matches neither tag: no previous release,
    // and the notes say which tags exist.
    context.write(
        "crabox.toml",
        "[product]\nname = \"app\"\n[notes]\ntag-pattern = \"^release-.*$\"\n",
    );
    let (_, text, _) = notes(&context, &[]);
    // Issue 19: not "First release" when tags exist that the pattern does not match.
    assert!(
        text.contains("No previous release found: 1 tag(s) exist (`v1.0.0`) but none matches")
            && text.contains("9 commits listed."),
        "{text}"
    );
}

#[test]
fn templates_are_overridden_and_errors_name_the_template_line_and_value() {
    let context = project();
    context.write(
        "templates/release-notes.md.j2",
        "{{ product }} {{ version }}: {{ sections | length }} sections\n",
    );
    let (code, text, _) = notes(&context, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(text, "app 1.1.0: 4 sections\n");
    context.write(
        "notes.j2",
        "# {{ version }}\n{% for s in sections %}{{ s.titel | upper }}\n{% endfor %}\n",
    );
    context.write(
        "crabox.toml",
        "[product]\nname = \"app\"\n[notes]\ntemplate = \"notes.j2\"\n",
    );
    let (code, _, stderr) = notes(&context, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("notes.j2:2: undefined value"), "{stderr}");
    assert!(stderr.contains("s.titel"), "{stderr}");
}

#[test]
fn a_shallow_clone_is_refused_with_the_fetch_depth_hint() {
    let context = project();
    let clone = context.path().join("shallow");
    let url = format!("file://{}", context.path().display());
    context.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let output = context
        .crabox()
        .args(["-C", "shallow", "notes"])
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("shallow clone"), "{stderr}");
    assert!(stderr.contains("fetch-depth: 0"), "{stderr}");
}
