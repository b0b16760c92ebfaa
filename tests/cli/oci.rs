//! Evidence bundles in a real OCI registry (Debian's `docker-registry` on 127.0.0.1, which has
//! no referrers API): `publish --oci` (and `--subject`), `verify oci://`, `watch oci://` (every
//! tag, a tag pattern); a tampered layer is refused with its digest named, and a bundle that
//! does not match its manifest is not published.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, TestRegistry, output_text};

use crate::bundle::bundle_name;
use crate::watch::bundled;

fn crabox(context: &TestContext, args: &[&str]) -> (Option<i32>, String, String) {
    let output = context
        .crabox()
        .env("SOURCE_DATE_EPOCH", "1796083200")
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

#[test]
#[allow(clippy::too_many_lines)] // one registry, the whole round trip in order
fn publish_verify_and_watch_through_a_registry() {
    let Some(registry) = TestRegistry::start("publish_verify_and_watch_through_a_registry") else {
        return;
    };
    let context = bundled("2031-12-31");
    let name = bundle_name(&context);
    let dir = format!("crabox-evidence/{name}");
    let archive = format!("{dir}.tar.gz");
    let repo = format!("{}/acme/widget-evidence", registry.address);

    // The directory, then the archive attached to it as a referrer.
    let tag = format!("{repo}:v1.1.0");
    let (code, stdout, stderr) = crabox(
        &context,
        &["publish", "--oci", &tag, "--bundle", &dir, "--plain-http"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let (pushed, digest) = stdout.trim().split_once('@').unwrap();
    assert_eq!(pushed, tag);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{stdout}"
    );
    let archive_tag = format!("{repo}:v1.1.0-archive");
    let (code, stdout, stderr) = crabox(
        &context,
        &[
            "publish",
            "--oci",
            &archive_tag,
            "--bundle",
            &archive,
            "--subject",
            digest,
            "--plain-http",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&digest.replace(':', "-")),
        "the tag schema is said: {stderr}"
    );
    assert!(stdout.contains(":v1.1.0-archive@sha256:"), "{stdout}");

    // Verified from the registry, in memory.
    let (code, stdout, stderr) = crabox(
        &context,
        &["verify", &format!("oci://{tag}"), "--plain-http"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("verified"), "{stdout}");

    // Watched from the registry: both tags (not the referrers index), each with the one new
    // vulnerability; a tag pattern narrows it.
    let watch = |source: &str| {
        crabox(
            &context,
            &[
                "--format",
                "json",
                "watch",
                source,
                "--plain-http",
                "--db",
                "advisories",
                "--db",
                "osv-new",
                "--kev",
                "kev.json",
            ],
        )
    };
    let (code, stdout, stderr) = watch(&format!("oci://{repo}"));
    assert_eq!(code, Some(1), "a new exploited vulnerability: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let releases = report["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 2, "{report:#}");
    for release in releases {
        assert_eq!(release["outcome"], "audited", "{release:#}");
        assert!(release["source"].as_str().unwrap().starts_with("oci://"));
        assert_eq!(
            release["new"][0]["id"], "GHSA-2099-lpad-0002",
            "{release:#}"
        );
        assert_eq!(release["new"].as_array().unwrap().len(), 1, "{release:#}");
    }
    let (_, stdout, _) = watch(&format!("oci://{repo}:v1.1.0-*"));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["releases"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );

    // A tampered layer: verify refuses it and names its digest; watch refuses the release.
    let manifest: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/manifest.json"))).unwrap();
    let report_sha = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "cra/report.json")
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let blob = registry.blob_path(&format!("sha256:{report_sha}"));
    let text = fs_err::read_to_string(&blob).unwrap();
    fs_err::write(&blob, text + " ").unwrap();
    let (code, _, stderr) = crabox(
        &context,
        &["verify", &format!("oci://{tag}"), "--plain-http"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&format!("sha256:{report_sha}")), "{stderr}");
    assert!(stderr.contains("tampered"), "{stderr}");
    let (code, stdout, _) = watch(&format!("oci://{tag}"));
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["releases"][0]["outcome"], "refused", "{report:#}");

    // A bundle that no longer matches its manifest is not published.
    let sbom = format!("{dir}/sbom/{}.cdx.json", &name[..name.len() - 6]);
    let text = context.read(&sbom);
    context.write(&sbom, &text.replace("left-pad", "right-pad"));
    let bad = format!("{repo}:v1.1.0-bad");
    let (code, _, stderr) = crabox(
        &context,
        &["publish", "--oci", &bad, "--bundle", &dir, "--plain-http"],
    );
    assert_ne!(code, Some(0));
    assert!(stderr.contains("not published"), "{stderr}");
}

#[test]
fn a_reference_without_a_registry_is_a_usage_error() {
    let context = crate::plain_dir();
    let (code, _, stderr) = crabox(
        &context,
        &["publish", "--oci", "acme/evidence:v1", "--bundle", "b"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("registry named"), "{stderr}");
}
