//! `crabox audit` with small hand-written databases (RustSec Markdown and OSV JSON).

// The helper below panics on a broken fixture, like the tests that call it.
#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::repo;

pub(crate) const ADVISORY: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "foo"
date = "2099-01-01"
url = "https://rustsec.example/RUSTSEC-2099-0001"
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
aliases = ["CVE-2099-0001"]

[versions]
patched = [">= 1.2.0"]
```

# Remote code execution in foo

Details.
"#;

const UNMAINTAINED: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0002"
package = "bar"
date = "2099-01-02"
informational = "unmaintained"

[versions]
patched = []
```

# bar is unmaintained
"#;

/// The same CVE through OSV (deduplicated with the RustSec one), and a PyPI advisory without
/// severity (counts as high).
const OSV_FOO: &str = r#"{"id": "GHSA-xxxx-0001", "aliases": ["CVE-2099-0001"], "summary": "foo RCE",
  "affected": [{"package": {"ecosystem": "crates.io", "name": "foo"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]}"#;
const OSV_PY: &str = r#"{"id": "PYSEC-2099-1", "summary": "requests leaks", "affected": [{"package": {"ecosystem": "PyPI", "name": "Requests"},
  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.32.0"}]}]}]}"#;

fn project() -> TestContext {
    let context = repo();
    context.write("db/rustsec/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write("db/rustsec/crates/bar/RUSTSEC-2099-0002.md", UNMAINTAINED);
    context.write("db/osv/crates/GHSA-xxxx-0001.json", OSV_FOO);
    context.write("db/osv/pypi/PYSEC-2099-1.json", OSV_PY);
    context.write("db/osv/broken.json", "{ not json");
    context.write(
        "db/rustsec/crates/foo/RUSTSEC-2099-0003.md",
        "```toml\n[advisory]\nid = \n```\n",
    );
    context.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"foo\", \"bar\"]\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"bar\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    context.write("py/requirements.txt", "requests==2.31.0\n");
    context
}

fn audit(context: &TestContext, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = context
        .crabox()
        .args(["audit", "--db", "db/rustsec", "--db", "db/osv"])
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

#[test]
fn json_findings_deduplicated_with_paths_and_lines() {
    let context = project();
    let (code, stdout, stderr) = audit(&context, &["--format", "json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("skipped a malformed advisory") && stderr.contains("db/osv/broken.json"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["databases"][0]["source"], "rustsec");
    assert_eq!(report["databases"][0]["records"], 2);
    let findings = report["findings"].as_array().unwrap();
    let summary: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["id"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "RUSTSEC-2099-0001 vulnerability foo critical",
            "RUSTSEC-2099-0002 unmaintained bar unknown",
            "PYSEC-2099-1 vulnerability requests unknown",
        ]
    );
    let foo = &findings[0];
    assert_eq!(
        foo["aliases"],
        serde_json::json!(["CVE-2099-0001", "GHSA-xxxx-0001"]),
        "one finding for both databases"
    );
    assert_eq!(foo["fix"], "1.2.0");
    assert_eq!(foo["path"], serde_json::json!(["app", "foo"]));
    assert_eq!(
        foo["location"],
        serde_json::json!({ "file": "Cargo.lock", "line": 8 })
    );
    assert_eq!(foo["package"]["purl"], "pkg:cargo/foo@1.1.0");
}

#[test]
fn fail_on_threshold_and_unknown_as_high() {
    let context = project();
    assert_eq!(
        audit(&context, &["--fail-on", "critical"]).0,
        Some(1),
        "foo is critical"
    );
    assert_eq!(audit(&context, &["--fail-on", "none"]).0, Some(0));
    context.write("crabox.toml", "[audit]\nfail-on = \"high\"\nignore = [{ id = \"CVE-2099-0001\", reason = \"foo's RCE needs a feature we disable\" }]\n");
    let (code, stdout, _) = audit(&context, &[]);
    assert_eq!(
        code,
        Some(1),
        "the PyPI advisory has no severity, which counts as high: {stdout}"
    );
    assert!(stdout.contains("status: ignored"), "{stdout}");
}

#[test]
fn an_expired_ignore_fails_and_is_named() {
    let context = project();
    context.write(
        "crabox.toml",
        "[audit]\nfail-on = \"none\"\nignore = [{ id = \"RUSTSEC-2099-0001\", reason = \"accepted\", until = \"2020-01-01\" }]\n",
    );
    let (code, _, stderr) = audit(&context, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error[audit-ignore-expired]: the ignore of `RUSTSEC-2099-0001` expired on 2020-01-01"
        ),
        "{stderr}"
    );
}

#[test]
fn vex_not_affected_suppresses_and_openvex_records_every_status() {
    let context = project();
    context.write(
        "security/vex/foo.openvex.json",
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2099-0001"}, "products": [{"@id": "pkg:cargo/foo"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#,
    );
    context.write(
        "crabox.toml",
        "[audit]\nvex = [\"security/vex/*.openvex.json\"]\n",
    );
    let (code, stdout, _) = audit(
        &context,
        &[
            "--fail-on",
            "critical",
            "--openvex",
            "out/audit.openvex.json",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}");
    let vex: serde_json::Value =
        serde_json::from_str(&context.read("out/audit.openvex.json")).unwrap();
    let statuses: Vec<String> = vex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["vulnerability"]["name"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        statuses,
        ["RUSTSEC-2099-0001 not_affected", "PYSEC-2099-1 affected"]
    );
}

#[test]
fn sarif_has_rules_locations_and_fingerprints() {
    let context = project();
    let (_, stdout, _) = audit(&context, &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["PYSEC-2099-1", "RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]
    );
    let foo = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2099-0001")
        .unwrap();
    assert_eq!(foo["level"], "error");
    assert_eq!(
        foo["locations"][0]["physicalLocation"]["region"]["startLine"],
        8
    );
    assert_eq!(
        foo["partialFingerprints"]["crabox/advisory-package/v1"],
        "RUSTSEC-2099-0001/pkg:cargo/foo@1.1.0"
    );
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "RUSTSEC-2099-0001")
        .unwrap();
    assert_eq!(rule["properties"]["security-severity"], "9.8");
}

#[test]
fn without_a_database_it_says_how_to_get_one() {
    let context = project();
    let output = context.crabox().arg("audit").output().unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("no advisory database: none given, none in the cache")
            && stderr.contains("crabox db update")
            && stderr.contains("--db")
            && stderr.contains("`rustsec` (from `[audit] sources`) is not in the cache"),
        "{stderr}"
    );
    // Filling the empty cache tried the OSV server once: unreachable, the other ecosystems'
    // exports were not tried through their retries too (eight of them took 24 s).
    assert_eq!(
        stderr.matches("could not fetch `osv/").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "`osv/Pub` not fetched into the empty cache: the OSV server could not be reached"
        ),
        "{stderr}"
    );
}

/// Audits the repository of `context` (its lockfile written) against an OSV database holding
/// `advisory` (`osv/`, not committed), expecting the finding to fail it; the JSON report.
/// `id purl file line N` of every finding of a JSON audit report, sorted.
fn id_purl_file_line(report: &serde_json::Value) -> Vec<String> {
    let mut findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} line {}",
                f["id"].as_str().unwrap(),
                f["package"]["purl"].as_str().unwrap(),
                f["location"]["file"].as_str().unwrap_or_default(),
                f["location"]["line"]
            )
        })
        .collect();
    findings.sort();
    findings
}

fn audited_with_osv(context: &TestContext, advisory: &str) -> serde_json::Value {
    context.write("osv/advisory.json", advisory);
    context.write(".gitignore", "osv/\n");
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "feat: a lockfile"]);
    let output = context
        .crabox()
        .args(["audit", "--db", "osv", "--format", "json"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn a_composer_lock_is_audited_against_packagist_advisories() {
    // PHP (issue 22): composer.lock read, Packagist advisories matched by Composer's version
    // order (`v5.4.1` is below the fix 5.4.2; `5.4.2-RC1` too).
    let context = repo();
    context.write(
        "composer.lock",
        r#"{
    "packages": [
        {"name": "symfony/http-kernel", "version": "v5.4.1", "require": {"php": ">=7.2.5"}},
        {"name": "monolog/monolog", "version": "3.5.0"}
    ],
    "packages-dev": []
}
"#,
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "GHSA-2099-php0-0001", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "http-kernel leaks", "aliases": ["CVE-2099-7001"],
  "affected": [{"package": {"ecosystem": "Packagist", "name": "symfony/http-kernel"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "5.0.0"}, {"fixed": "5.4.2"}]}]}]}"#,
    );
    let findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}@{} {} line {}",
                f["id"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap(),
                f["package"]["purl"].as_str().unwrap(),
                f["location"]["line"]
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            "GHSA-2099-php0-0001 symfony/http-kernel@v5.4.1 pkg:composer/symfony/http-kernel@v5.4.1 line 3"
        ]
    );
    assert_eq!(report["coverage"][0]["ecosystem"], "Packagist");
    assert_eq!(report["coverage"][0]["checked"], true);
    assert_eq!(report["findings"][0]["fix"], "5.4.2");
}

#[test]
fn a_gemfile_lock_is_audited_against_rubygems_advisories() {
    // Ruby (issue 22): Gemfile.lock read, RubyGems advisories matched by Gem::Version's order
    // (`7.0.4.2` is below the fix `7.0.4.3`; the platform variant is the same gem).
    let context = repo();
    context.write(
        "Gemfile.lock",
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.10)\n      racc (~> 1.4)\n    nokogiri (1.13.10-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.2)\n    rails (7.0.4.2)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri\n  rails (~> 7.0)\n\nBUNDLED WITH\n   2.4.6\n",
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "GHSA-2099-ruby-0001", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "rails leaks", "aliases": ["CVE-2099-7002"],
  "affected": [{"package": {"ecosystem": "RubyGems", "name": "rails"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "7.0.0"}, {"fixed": "7.0.4.3"}]}]}]}"#,
    );
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["id"], "GHSA-2099-ruby-0001");
    assert_eq!(findings[0]["package"]["purl"], "pkg:gem/rails@7.0.4.2");
    assert_eq!(findings[0]["location"]["line"], 9);
    assert_eq!(findings[0]["fix"], "7.0.4.3");
    assert_eq!(report["coverage"][0]["ecosystem"], "RubyGems");
    assert_eq!(report["coverage"][0]["packages"], 3);
}

#[test]
fn a_nuget_lock_is_audited_against_nuget_advisories() {
    // .NET (issue 22): packages.lock.json read once per package across frameworks, NuGet
    // advisories matched without case and by NuGet's version order (a fourth number).
    let context = repo();
    context.write(
        "src/App/packages.lock.json",
        r#"{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "System.Text.Encodings.Web": {"type": "Direct", "requested": "[4.5.0, )", "resolved": "4.5.0"},
      "Newtonsoft.Json": {"type": "Transitive", "resolved": "13.0.3"}
    },
    "net8.0/linux-x64": {
      "System.Text.Encodings.Web": {"type": "Direct", "requested": "[4.5.0, )", "resolved": "4.5.0"}
    }
  }
}
"#,
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "GHSA-2099-net0-0001", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "encoder escapes", "aliases": ["CVE-2099-7003"],
  "affected": [{"package": {"ecosystem": "NuGet", "name": "system.text.encodings.web"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.0.0"}, {"fixed": "4.5.1"}]}]}]}"#,
    );
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(
        findings[0]["package"]["purl"],
        "pkg:nuget/System.Text.Encodings.Web@4.5.0"
    );
    assert_eq!(
        findings[0]["location"]["file"],
        "src/App/packages.lock.json"
    );
    assert_eq!(findings[0]["location"]["line"], 5);
    assert_eq!(findings[0]["fix"], "4.5.1");
    assert_eq!(report["coverage"][0]["packages"], 2);
}

#[test]
fn a_pubspec_lock_is_audited_against_pub_advisories() {
    // Dart (issue 22): pubspec.lock read, Pub advisories matched by SemVer; the lockfile has no
    // edges, and the report does not pretend it has.
    let context = repo();
    context.write(
        "pubspec.lock",
        "packages:\n  http:\n    dependency: \"direct main\"\n    description:\n      name: http\n      url: \"https://pub.dev\"\n    source: hosted\n    version: \"0.13.5\"\nsdks:\n  dart: \">=3.0.0 <4.0.0\"\n",
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "GHSA-2099-dart-0001", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "http header injection",
  "affected": [{"package": {"ecosystem": "Pub", "name": "http"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.13.6"}]}]}]}"#,
    );
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["package"]["purl"], "pkg:pub/http@0.13.5");
    assert_eq!(findings[0]["location"]["line"], 2);
    assert_eq!(findings[0]["fix"], "0.13.6");
}

#[test]
fn the_os_packages_of_images_are_audited_against_distribution_advisories() {
    // Images (issue 22): `[sbom] images` names a Debian root file system and an Alpine one.
    // Debian advisories name the source package and a release: libssl3 (source openssl) at
    // 3.0.11-1~deb12u1 is below the fix of Debian:12 and not touched by the Debian:11 record;
    // Alpine's name the origin (busybox, 1.36.1-r29 below r30).
    let context = repo();
    context.write(
        "crabox.toml",
        "[sbom]\nimages = [\"images/debian\", \"images/alpine\"]\n",
    );
    context.write(
        "images/debian/etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    );
    context.write(
        "images/debian/var/lib/dpkg/status",
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\n\n\
         Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\n\
         Version: 3.0.11-1~deb12u1\nDepends: libc6 (>= 2.34)\n",
    );
    context.write(
        "images/alpine/etc/os-release",
        "ID=alpine\nVERSION_ID=3.20.3\n",
    );
    context.write(
        "images/alpine/lib/apk/db/installed",
        "P:busybox\nV:1.36.1-r29\nA:x86_64\no:busybox\n\nP:ssl_client\nV:1.36.1-r29\nA:x86_64\no:busybox\n",
    );
    context.write(
        "osv/DEBIAN-CVE-2099-0001.json",
        r#"{"id": "DSA-9999-1", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "openssl: a flaw", "aliases": ["CVE-2099-0001"],
  "affected": [{"package": {"ecosystem": "Debian:11", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1w-0+deb11u2"}]}]}]}"#,
    );
    context.write(
        "osv/ALPINE-CVE-2099-0002.json",
        r#"{"id": "ALPINE-CVE-2099-0002", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "busybox: a flaw",
  "affected": [{"package": {"ecosystem": "Alpine:v3.20", "name": "busybox"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.36.1-r30"}]}]}]}"#,
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "DEBIAN-CVE-2099-0001", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "openssl: a flaw", "aliases": ["CVE-2099-0001"],
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}]}]}"#,
    );
    let findings = id_purl_file_line(&report);
    assert_eq!(
        findings,
        [
            "ALPINE-CVE-2099-0002 pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3 images/alpine/lib/apk/db/installed line 1",
            "ALPINE-CVE-2099-0002 pkg:apk/alpine/ssl_client@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3&upstream=busybox images/alpine/lib/apk/db/installed line 6",
            "DEBIAN-CVE-2099-0001 pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl images/debian/var/lib/dpkg/status line 6",
        ],
        "{report:#}"
    );
    let coverage: Vec<String> = report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["ecosystem"], c["packages"], c["checked"]))
        .collect();
    assert_eq!(coverage, ["\"Debian\" 2 true", "\"Alpine\" 2 true"]);
}

#[test]
fn an_image_of_a_release_no_database_has_advisories_for_is_not_covered() {
    // Advisories for Debian 12 say nothing about a Debian 13 image: its packages are not checked.
    let context = repo();
    context.write("crabox.toml", "[sbom]\nimages = [\"root\"]\n");
    context.write("root/etc/os-release", "ID=debian\nVERSION_ID=\"13\"\n");
    context.write(
        "root/var/lib/dpkg/status",
        "Package: libssl3t64\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.5.1-1\n",
    );
    // Exit 1: what was not checked does not pass.
    let report = audited_with_osv(
        &context,
        r#"{"id": "DEBIAN-CVE-2099-0001", "modified": "2026-10-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}]}]}"#,
    );
    assert_eq!(report["coverage"][0]["ecosystem"], "Debian");
    assert_eq!(report["coverage"][0]["checked"], false);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn maven_and_gradle_builds_are_audited_against_maven_advisories() {
    // JVM (issue 22): a pom.xml's declared dependency (version from a property) and a
    // gradle.lockfile's module, matched by Maven's version order (`2.14.1` below the fix
    // `2.15.0`; `2.17.1.RELEASE`-style qualifiers are not a problem either).
    let context = repo();
    context.write(
        "service/pom.xml",
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>service</artifactId>
  <version>1.0.0</version>
  <properties><jackson.version>2.13.4</jackson.version></properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
  </dependencies>
</project>
"#,
    );
    context.write(
        "app/gradle.lockfile",
        "# Gradle lockfile\norg.apache.logging.log4j:log4j-core:2.14.1=compileClasspath,runtimeClasspath\nempty=\n",
    );
    context.write(
        "osv/GHSA-jfh8-c2jp-5v3q.json",
        r#"{"id": "GHSA-jfh8-c2jp-5v3q", "modified": "2026-10-01T00:00:00Z", "published": "2021-12-10T00:00:00Z",
  "summary": "Remote code injection in Log4j", "aliases": ["CVE-2021-44228"],
  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]}]}]}"#,
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "GHSA-2099-jvm0-0001", "modified": "2026-10-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
  "summary": "jackson-databind flaw",
  "affected": [{"package": {"ecosystem": "Maven", "name": "com.fasterxml.jackson.core:jackson-databind"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.13.4.1"}]}]}]}"#,
    );
    let findings = id_purl_file_line(&report);
    assert_eq!(
        findings,
        [
            "GHSA-2099-jvm0-0001 pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4 service/pom.xml line 8",
            "GHSA-jfh8-c2jp-5v3q pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 app/gradle.lockfile line 2",
        ],
        "{report:#}"
    );
    assert_eq!(report["coverage"][0]["ecosystem"], "Maven");
    assert_eq!(report["coverage"][0]["checked"], true);
}

#[test]
fn swift_conan_and_packages_config_are_audited_against_their_advisories() {
    // Swift, C/C++ and legacy .NET (issue 22): Package.resolved pins named by repository URL
    // (OSV SwiftURL, SemVer), conan.lock references (OSV ConanCenter, Conan's order:
    // `1.1.1t` is below the fix `1.1.1u`), packages.config (NuGet).
    let context = repo();
    context.write(
        "ios/Package.resolved",
        r#"{
  "pins" : [
    {
      "identity" : "swift-nio",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/apple/swift-nio.git",
      "state" : { "revision" : "abc", "version" : "2.41.0" }
    }
  ],
  "version" : 2
}
"#,
    );
    context.write(
        "firmware/conan.lock",
        r#"{
    "version": "0.5",
    "requires": ["openssl/1.1.1t#9a8c%1692672717.049"],
    "build_requires": ["cmake/3.27.4#0ea4%1692672717.1"],
    "python_requires": []
}
"#,
    );
    context.write(
        "legacy/packages.config",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n  <package id=\"Newtonsoft.Json\" version=\"12.0.1\" targetFramework=\"net48\" />\n</packages>\n",
    );
    context.write(
        "osv/GHSA-2099-swift-0001.json",
        r#"{"id": "GHSA-2099-swft-0001", "modified": "2026-10-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "SwiftURL", "name": "github.com/apple/swift-nio"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"fixed": "2.42.0"}]}]}]}"#,
    );
    context.write(
        "osv/GHSA-5crp-9r3c-p9vr.json",
        r#"{"id": "GHSA-5crp-9r3c-p9vr", "modified": "2026-10-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "NuGet", "name": "newtonsoft.json"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "13.0.1"}]}]}]}"#,
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "CONAN-2099-0001", "modified": "2026-10-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "ConanCenter", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.1.1"}, {"fixed": "1.1.1u"}]}]}]}"#,
    );
    let findings = id_purl_file_line(&report);
    assert_eq!(
        findings,
        [
            "CONAN-2099-0001 pkg:conan/openssl@1.1.1t firmware/conan.lock line 3",
            "GHSA-2099-swft-0001 pkg:swift/github.com/apple/swift-nio@2.41.0 ios/Package.resolved line 6",
            "GHSA-5crp-9r3c-p9vr pkg:nuget/Newtonsoft.Json@12.0.1 legacy/packages.config line 3",
        ],
        "{report:#}"
    );
}

#[test]
fn a_suppliers_sbom_is_audited_as_components_of_the_product() {
    // Supplier SBOMs (issue 22, Art. 13(5)): `[sbom] import` names a supplier's CycloneDX
    // document; its components are audited with the product's own. Its component without a purl
    // is said, not silently passed.
    let context = repo();
    context.write(
        "crabox.toml",
        "[sbom]\nimport = [\"vendor/sdk.cdx.json\"]\n",
    );
    context.write(
        "vendor/sdk.cdx.json",
        r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "components": [
    {"bom-ref": "lodash", "type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"},
    {"type": "firmware", "name": "dsp-blob", "version": "7"}
  ]
}
"#,
    );
    let report = audited_with_osv(
        &context,
        r#"{"id": "GHSA-35jh-r3h4-6jhm", "modified": "2026-10-01T00:00:00Z",
  "summary": "Command injection in lodash",
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#,
    );
    assert_eq!(
        id_purl_file_line(&report),
        ["GHSA-35jh-r3h4-6jhm pkg:npm/lodash@4.17.20 vendor/sdk.cdx.json line 5"]
    );
}

#[test]
fn an_sbom_crabox_wrote_imports_back_to_the_same_components() {
    // The SPDX and CycloneDX documents crabox writes, given back as a supplier's SBOM, list the
    // same purls (the import reads what other tools read).
    let context = repo();
    context.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b\"\n\n[[package]]\nname = \"ryu\"\nversion = \"1.0.18\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"f3cb5ba0dc43242ce17de99c180e96db90b235b8a9fdc9e5bd2c3c7ac3e1d1f0\"\n",
    );
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "feat: a lockfile"]);
    for format in ["cyclonedx-json", "spdx-json"] {
        let written = context
            .crabox()
            .args(["sbom", "--sbom-format", format])
            .output()
            .unwrap();
        let (sbom, stderr) = output_text(&written);
        assert!(written.status.success(), "{stderr}");
        let other = repo();
        other.write("supplier.json", &sbom);
        other.git(&["add", "-A"]);
        other.git(&["commit", "-qm", "feat: a supplier's SBOM"]);
        let imported = other
            .crabox()
            .args(["sbom", "--import", "supplier.json"])
            .output()
            .unwrap();
        let (text, stderr) = output_text(&imported);
        assert!(imported.status.success(), "{format}: {stderr}");
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut purls: Vec<&str> = document["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .collect();
        purls.sort_unstable();
        assert_eq!(
            purls,
            ["pkg:cargo/itoa@1.0.11", "pkg:cargo/ryu@1.0.18"],
            "{format}: {stderr}"
        );
    }
}

#[test]
fn a_go_binarys_modules_and_standard_library_are_audited() {
    // Binaries (issue 22): `[sbom] artifacts` names a built Go binary; its build information's
    // standard library (go1.21.0, below the fix 1.21.1 of a Go `stdlib` advisory) is audited.
    let context = repo();
    context.write("crabox.toml", "[sbom]\nartifacts = [\"dist/server\"]\n");
    let mut binary = b"\x7fELF".to_vec();
    binary.resize(16, 0); // The header is 16-byte aligned, as Go's linker writes it.
    binary.extend_from_slice(b"\xff Go buildinf:\x08\x02");
    binary.resize(binary.len() + 16, 0);
    binary.push(8);
    binary.extend_from_slice(b"go1.21.0");
    let modules = "path\texample.com/server\nmod\texample.com/server\t(devel)\t\ndep\tgolang.org/x/net\tv0.17.0\th1:x=\n";
    let mut info = b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
    info.extend_from_slice(modules.as_bytes());
    info.extend_from_slice(b"\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2");
    binary.push(u8::try_from(info.len()).unwrap());
    binary.extend_from_slice(&info);
    fs_err::create_dir_all(context.path().join("dist")).unwrap();
    fs_err::write(context.path().join("dist/server"), &binary).unwrap();
    context.write(".gitignore", "dist/\n");
    let report = audited_with_osv(
        &context,
        r#"{"id": "GO-2099-0001", "modified": "2026-10-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "stdlib"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.21.1"}]}]}]}"#,
    );
    assert_eq!(
        id_purl_file_line(&report),
        ["GO-2099-0001 pkg:golang/stdlib@1.21.0 dist/server line 1"]
    );
}

#[test]
fn an_ubuntu_image_is_audited_against_ubuntu_advisories_of_its_release() {
    // Ubuntu (issue 22): dpkg packages of an Ubuntu root match OSV `Ubuntu:22.04:LTS` records
    // by source package; `Ubuntu:20.04:LTS` and `Ubuntu:Pro:22.04:LTS` records do not apply.
    let context = repo();
    context.write("crabox.toml", "[sbom]\nimages = [\"root\"]\n");
    context.write(
        "root/etc/os-release",
        "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\n",
    );
    context.write(
        "root/var/lib/dpkg/status",
        "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.2-0ubuntu1.10\n",
    );
    for (id, ecosystem) in [
        ("UBUNTU-CVE-2099-0002", "Ubuntu:20.04:LTS"),
        ("UBUNTU-CVE-2099-0003", "Ubuntu:Pro:22.04:LTS"),
    ] {
        context.write(
            &format!("osv/{id}.json"),
            &format!(
                r#"{{"id": "{id}", "modified": "2026-10-01T00:00:00Z",
  "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "openssl"}},
    "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "3.0.2-0ubuntu1.12"}}]}}]}}]}}"#
            ),
        );
    }
    let report = audited_with_osv(
        &context,
        r#"{"id": "UBUNTU-CVE-2099-0001", "modified": "2026-10-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.12"}]}]}]}"#,
    );
    assert_eq!(
        id_purl_file_line(&report),
        [
            "UBUNTU-CVE-2099-0001 pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04&upstream=openssl root/var/lib/dpkg/status line 1"
        ]
    );
    assert_eq!(report["coverage"][0]["checked"], true);
}
