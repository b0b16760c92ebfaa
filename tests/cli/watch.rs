//! `crabox watch` (issue 23): a bundle made with an older advisory snapshot, watched with a
//! newer one, reports exactly the new vulnerability; the Article 14 awareness does not move on
//! a second run; a release past its support period is not audited; a tampered bundle is refused.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::bundle::{BUNDLE, bundle_name, project};

/// A second advisory for left-pad 1.3.0 (the bundle's npm package), published after the bundle.
const NEW_ADVISORY: &str = r#"{"id": "GHSA-2099-lpad-0002", "aliases": ["CVE-2099-0002"], "summary": "left-pad pads too far", "modified": "2099-02-01T00:00:00Z",
  "database_specific": {"severity": "HIGH"},
  "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.1"}]}]}]}"#;

fn watch(
    context: &TestContext,
    epoch: &str,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    let output = context
        .crabox()
        .env("SOURCE_DATE_EPOCH", epoch)
        .args([
            "--format",
            "json",
            "watch",
            "crabox-evidence",
            "--db",
            "advisories",
            "--db",
            "osv-new",
        ])
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (output.status.code(), json, stderr)
}

/// A bundle of v1.1.0 (support until `support_end`), and a newer OSV snapshot with one more
/// advisory, which the KEV catalogue lists.
pub(crate) fn bundled(support_end: &str) -> TestContext {
    let context = project();
    context.write(
        "crabox.toml",
        &format!("[product]\nsupport-end = \"{support_end}\"\n"),
    );
    // The bundle's time: 2026-11-22T08:00:00Z.
    let output = context
        .crabox()
        .args(BUNDLE)
        .env("SOURCE_DATE_EPOCH", "1795334400")
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert!(
        context
            .path()
            .join(format!("crabox-evidence/{}", bundle_name(&context)))
            .is_dir(),
        "{stderr}"
    );
    for file in fs_err::read_dir(context.path().join("osv")).unwrap() {
        let file = file.unwrap();
        context.write(
            &format!("osv-new/{}", file.file_name().to_string_lossy()),
            &fs_err::read_to_string(file.path()).unwrap(),
        );
    }
    context.write("osv-new/GHSA-2099-lpad-0002.json", NEW_ADVISORY);
    context.write(
        "kev.json",
        r#"{"vulnerabilities": [{"cveID": "CVE-2099-0002", "dateAdded": "2026-11-30"}]}"#,
    );
    context
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, run by run
fn a_newer_snapshot_reports_exactly_the_new_vulnerability_and_the_clock_holds() {
    let context = bundled("2031-12-31");
    // 2026-12-01T00:00:00Z
    let (code, report, stderr) = watch(
        &context,
        "1796083200",
        &["--kev", "kev.json", "--out", "watch-documents"],
    );
    assert_eq!(
        code,
        Some(1),
        "a new exploited vulnerability fails: {stderr}"
    );
    // Per release: the CSAF VEX document of the open vulnerabilities, and the Article 14 drafts
    // of the newly exploited one, due from the awareness.
    let product = report["releases"][0]["product"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = format!("watch-documents/{product}-1.1.0");
    let vex_name = format!(
        "{}-1_1_0-vex.json",
        product.to_lowercase().replace('.', "_")
    );
    let vex: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/{vex_name}"))).unwrap();
    assert_eq!(vex["document"]["category"], "csaf_vex");
    let ids: Vec<&str> = vex["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["ids"][0]["text"].as_str().or(v["cve"].as_str()))
        .collect();
    assert!(!ids.is_empty(), "{vex:#}");
    let early = context.read(&format!(
        "{dir}/article14/GHSA-2099-lpad-0002-early-warning.md"
    ));
    assert!(
        early.contains("Aware since: 2026-12-01T00:00:00Z"),
        "{early}"
    );
    assert!(early.contains("Due: 2026-12-02T00:00:00Z"), "{early}");
    assert!(
        context
            .path()
            .join(format!(
                "{dir}/article14/GHSA-2099-lpad-0002-notification.md"
            ))
            .is_file()
    );
    let releases = report["releases"].as_array().unwrap();
    assert_eq!(
        releases.len(),
        2,
        "the directory and its .tar.gz: {report:#}"
    );
    for release in releases {
        assert_eq!(release["outcome"], "audited", "{release:#}");
        assert_eq!(release["compared_with_bundle"], true);
        let new: Vec<&str> = release["new"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(new, ["GHSA-2099-lpad-0002"], "{release:#}");
        let exploited = &release["newly_exploited"][0];
        assert_eq!(exploited["id"], "GHSA-2099-lpad-0002");
        assert_eq!(
            exploited["article14"]["aware_since"],
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(
            exploited["article14"]["early_warning_due"],
            "2026-12-02T00:00:00Z"
        );
        assert_eq!(
            exploited["article14"]["notification_due"],
            "2026-12-04T00:00:00Z"
        );
        assert_eq!(release["support_end"], "2031-12-31");
    }
    // A day later: the awareness and the first sighting stay where they were.
    let (code, report, _) = watch(&context, "1796169600", &["--kev", "kev.json"]);
    assert_eq!(code, Some(1));
    let exploited = &report["releases"][0]["newly_exploited"][0];
    assert_eq!(
        exploited["article14"]["aware_since"],
        "2026-12-01T00:00:00Z"
    );
    assert_eq!(exploited["first_seen"], "2026-12-01T00:00:00Z");
    assert!(
        context
            .read("crabox-watch-state.json")
            .contains("GHSA-2099-lpad-0002")
    );
    // Without the KEV catalogue a new high (not critical) vulnerability is reported, exit 0,
    // and the missing catalogue is said.
    let (code, report, stderr) = watch(&context, "1796169600", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("active exploitation NOT checked"),
        "{stderr}"
    );
    assert_eq!(report["releases"][0]["new"][0]["exploited"], false);
    // Sharded over a matrix: each source exactly once.
    let (_, first, _) = watch(&context, "1796169600", &["--shard", "1/2"]);
    let (_, second, _) = watch(&context, "1796169600", &["--shard", "2/2"]);
    let sources: Vec<String> = [first, second]
        .iter()
        .flat_map(|r| r["releases"].as_array().unwrap().clone())
        .map(|r| r["source"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sources.len(), 2);
    assert_ne!(sources[0], sources[1]);
}

#[test]
fn past_support_is_not_audited_and_a_tampered_bundle_is_refused() {
    let context = bundled("2027-06-30");
    // 2027-07-01: the support period has ended.
    let (code, report, stderr) = watch(&context, "1814486400", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    for release in report["releases"].as_array().unwrap() {
        assert_eq!(release["outcome"], "past-support", "{release:#}");
        assert!(release["new"].as_array().unwrap().is_empty());
        assert!(release["reason"].as_str().unwrap().contains("2027-06-30"));
    }
    // Tampered: the SBOM of the directory bundle no longer matches its manifest.
    let name = bundle_name(&context);
    let sbom = format!(
        "crabox-evidence/{name}/sbom/{}.cdx.json",
        &name[..name.len() - 6]
    );
    let text = context.read(&sbom);
    context.write(&sbom, &text.replace("left-pad", "right-pad"));
    let (code, report, _) = watch(&context, "1796083200", &[]);
    assert_eq!(code, Some(1));
    let refused: Vec<&serde_json::Value> = report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1, "{report:#}");
    assert!(
        refused[0]["reason"].as_str().unwrap().contains(".cdx.json"),
        "{report:#}"
    );
}

/// The fleet workflow's matrix: its plan step (run as written in
/// `.github/workflows/crabox-watch.yml`) lists the shards `I/N`, and `crabox watch --shard` over
/// them covers every source exactly once.
#[test]
fn the_fleet_workflow_shards_cover_every_source_once() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = fs_err::read_to_string(root.join(".github/workflows/crabox-watch.yml")).unwrap();
    let workflow: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let jobs = &workflow["jobs"];
    assert_eq!(
        jobs["watch"]["strategy"]["matrix"]["shard"].as_str(),
        Some("${{ fromJSON(needs.plan.outputs.shards) }}")
    );
    let script = jobs["plan"]["steps"][0]["run"].as_str().unwrap();
    let context = crate::plain_dir();
    let plan = |shards: &str| {
        let output = context.path().join("plan-output");
        let _ = fs_err::remove_file(&output);
        let status = std::process::Command::new("bash")
            .args(["-e", "-c", script])
            .env("SHARDS", shards)
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        (
            status.status.success(),
            fs_err::read_to_string(&output).unwrap_or_default(),
        )
    };
    assert!(!plan("0").0 && !plan("65").0 && !plan("2; echo x").0);
    let (ok, output) = plan("3");
    assert!(ok);
    let shards: Vec<String> =
        serde_json::from_str(output.trim().strip_prefix("shards=").unwrap()).unwrap();
    assert_eq!(shards, ["1/3", "2/3", "3/3"]);

    // Seven SBOMs of one npm package each, watched shard by shard.
    context.write(
        "osv/GHSA-2099-lpad-0001.json",
        r#"{"id": "GHSA-2099-lpad-0001", "modified": "2099-01-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.1"}]}]}]}"#,
    );
    for i in 0..7 {
        context.write(
            &format!("fleet/product-{i}.cdx.json"),
            &format!(
                r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6",
  "metadata": {{"component": {{"name": "product-{i}", "version": "1.0.{i}"}}}},
  "components": [{{"name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}}]}}"#
            ),
        );
    }
    let mut seen = Vec::new();
    for shard in &shards {
        let output = context
            .crabox()
            .env("SOURCE_DATE_EPOCH", "1796083200")
            .args([
                "--format", "json", "watch", "fleet", "--db", "osv", "--shard", shard,
            ])
            .output()
            .unwrap();
        let (stdout, stderr) = output_text(&output);
        let report: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        let releases = report["releases"].as_array().unwrap();
        assert!(
            (2..=3).contains(&releases.len()),
            "shards differ by at most one: {report:#}"
        );
        for release in releases {
            assert_eq!(
                release["new"][0]["id"], "GHSA-2099-lpad-0001",
                "{release:#}"
            );
            assert_eq!(release["open"], 1, "{release:#}");
            seen.push(release["product"].as_str().unwrap().to_owned());
        }
    }
    seen.sort();
    let all: Vec<String> = (0..7).map(|i| format!("product-{i}")).collect();
    assert_eq!(seen, all, "each source exactly once");
}

/// `github:OWNER/NAME`: the bundle archives attached to a repository's published releases (a
/// draft's left out, other archives passed over), downloaded through the API (a redirect to
/// storage followed without the token, a 503 retried) and watched like any archive.
#[test]
#[allow(clippy::too_many_lines)] // the fake API, then what crabox asked of it
fn the_releases_of_a_github_repository_are_watched() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let context = bundled("2031-12-31");
    let name = bundle_name(&context);
    let product = name.strip_suffix("-1.1.0").unwrap().to_owned();
    let archive = fs_err::read(
        context
            .path()
            .join(format!("crabox-evidence/{name}.tar.gz")),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let releases = serde_json::json!([
        {"id": 1, "tag_name": "v1.1.0", "draft": false, "upload_url": "u", "assets": [
            {"id": 11, "name": format!("{name}.tar.gz"), "size": archive.len()},
            {"id": 12, "name": "widget-x86_64-linux.tar.gz", "size": 3}]},
        {"id": 2, "tag_name": "v1.2.0", "draft": true, "upload_url": "u", "assets": [
            {"id": 21, "name": format!("{product}-1.2.0.tar.gz"), "size": 3}]},
    ]);
    runtime.block_on(async {
        Mock::given(method("GET"))
            .and(path("/repos/acme/widget/releases"))
            .respond_with(ResponseTemplate::new(200).set_body_json(releases))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/widget/releases/assets/11"))
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("Location", format!("{}/storage/bundle", server.uri())),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/storage/bundle"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/storage/bundle"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(archive.clone()))
            .with_priority(2)
            .mount(&server)
            .await;
    });
    let output = context
        .crabox()
        .env("SOURCE_DATE_EPOCH", "1796083200")
        .env("GITHUB_API_URL", server.uri())
        .env("GITHUB_TOKEN", "ghp_secret_token_value")
        .args([
            "--format",
            "json",
            "watch",
            "github:acme/widget",
            "--db",
            "advisories",
            "--db",
            "osv-new",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let releases = report["releases"].as_array().unwrap();
    assert_eq!(
        releases.len(),
        1,
        "the draft and the binaries left out: {report:#}"
    );
    assert_eq!(
        releases[0]["source"],
        format!("github:acme/widget@v1.1.0/{name}.tar.gz")
    );
    assert_eq!(releases[0]["outcome"], "audited", "{report:#}");
    assert_eq!(releases[0]["new"][0]["id"], "GHSA-2099-lpad-0002");
    assert!(!stderr.contains("ghp_secret_token_value"));
    let requests = runtime.block_on(server.received_requests()).unwrap();
    let storage: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/storage/bundle")
        .collect();
    // One 503, then the archive, once: the second pass reads what the first spooled.
    assert_eq!(storage.len(), 2, "one 503, then the archive");
    assert!(
        storage
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "the token stays with the API"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.url.path().starts_with("/repos/"))
            .all(|r| r.headers.contains_key("authorization"))
    );
}
