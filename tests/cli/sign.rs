//! `crabox sign` and `crabox verify` with a cosign-format key: generate, sign, verify, and the
//! failures (tampered artifact, wrong password, missing key) with their exit statuses.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::plain_dir;

const PASSWORD: &str = "pa55-w0rd-not-in-logs";

fn run(
    context: &TestContext,
    password: Option<&str>,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let mut command = context.crabox();
    command.env_remove("CRABOX_KEY_PASSWORD");
    if let Some(password) = password {
        command.env("CRABOX_KEY_PASSWORD", password);
    }
    let output = command.args(args).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "the password leaked: {stdout}{stderr}"
    );
    (output.status.code(), stdout, stderr)
}

#[test]
fn generate_key_writes_an_owner_only_encrypted_key_and_never_overwrites_one() {
    let context = plain_dir();
    let (code, stdout, _) = run(
        &context,
        Some(PASSWORD),
        &["sign", "--generate-key", "release"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(stdout, "release.key\nrelease.pub\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs_err::metadata(context.path().join("release.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = context.read("release.key");
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    assert!(!key.contains(PASSWORD));
    // An existing key is never overwritten.
    let (code, _, stderr) = run(
        &context,
        Some(PASSWORD),
        &["sign", "--generate-key", "release"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("release.key exists"), "{stderr}");
}

#[test]
fn a_generated_key_signs_and_the_bundle_verifies_until_the_artifact_changes() {
    let context = plain_dir();
    run(
        &context,
        Some(PASSWORD),
        &["sign", "--generate-key", "release"],
    );
    context.write("dist/app.tar.gz", "the release archive\n");
    context.write("dist/app.sbom.json", "{}\n");
    let (code, stdout, stderr) = run(
        &context,
        Some(PASSWORD),
        &[
            "sign",
            "dist/app.tar.gz",
            "dist/app.sbom.json",
            "--key",
            "release.key",
            "--output-dir",
            "out",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "out/app.tar.gz.sigstore.json\nout/app.sbom.json.sigstore.json\n"
    );
    assert!(stderr.contains("no transparency-log entry"), "{stderr}");
    let bundle: serde_json::Value =
        serde_json::from_str(&context.read("out/app.tar.gz.sigstore.json")).unwrap();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert!(bundle["verificationMaterial"]["publicKey"]["hint"].is_string());

    let verify = [
        "verify",
        "dist/app.tar.gz",
        "--bundle",
        "out/app.tar.gz.sigstore.json",
        "--key",
        "release.pub",
    ];
    let (code, stdout, stderr) = run(&context, None, &verify);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with("dist/app.tar.gz: verified (message-signature)"),
        "{stdout}"
    );

    // The other file's bundle does not verify this one.
    let (code, _, stderr) = run(
        &context,
        None,
        &[
            "verify",
            "dist/app.tar.gz",
            "--bundle",
            "out/app.sbom.json.sigstore.json",
            "--key",
            "release.pub",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("verification failed: the bundle signs another artifact"),
        "{stderr}"
    );

    context.write("dist/app.tar.gz", "the release archive!\n");
    let (code, stdout, stderr) = run(
        &context,
        None,
        &[&["--format", "json"][..], &verify].concat(),
    );
    assert_eq!(code, Some(1), "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["verified"], false);
    assert!(
        result["reason"]
            .as_str()
            .unwrap()
            .contains("another artifact")
    );
}

#[test]
fn a_wrong_or_missing_password_and_a_missing_key_are_usage_errors() {
    let context = plain_dir();
    run(&context, Some(PASSWORD), &["sign", "--generate-key", "k"]);
    context.write("a.bin", "a");
    let (code, _, stderr) = run(
        &context,
        Some("not-the-password"),
        &["sign", "a.bin", "--key", "k.key"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("k.key: wrong password (CRABOX_KEY_PASSWORD) or a damaged key"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password"));
    let (code, _, stderr) = run(&context, None, &["sign", "a.bin", "--key", "k.key"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("CRABOX_KEY_PASSWORD is not set"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&context, Some(PASSWORD), &["sign", "a.bin"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no signing identity"), "{stderr}");
    assert!(!context.exists("a.bin.sigstore.json"));
    // `[sign] key` from crabox.toml is used when --key is not given.
    context.write("crabox.toml", "[sign]\nkey = \"k.key\"\n");
    let (code, stdout, stderr) = run(&context, Some(PASSWORD), &["sign", "a.bin"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "a.bin.sigstore.json\n");
}

#[test]
fn verify_needs_a_key_or_a_certificate_identity_and_issuer() {
    let context = plain_dir();
    context.write("a.bin", "a");
    context.write("a.bin.sigstore.json", "{}");
    let (code, _, stderr) = run(
        &context,
        None,
        &["verify", "a.bin", "--bundle", "a.bin.sigstore.json"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--key PUBFILE"), "{stderr}");
    let (code, _, stderr) = run(
        &context,
        None,
        &[
            "verify",
            "a.bin",
            "--bundle",
            "a.bin.sigstore.json",
            "--certificate-identity",
            "x@example.com",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--certificate-oidc-issuer is required"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &context,
        None,
        &[
            "verify",
            "a.bin",
            "--bundle",
            "a.bin.sigstore.json",
            "--certificate-identity",
            "x@example.com",
            "--certificate-oidc-issuer",
            "https://issuer.example",
        ],
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("a.bin.sigstore.json: not a Sigstore bundle"),
        "{stderr}"
    );
}

/// A directory with the key pair `k`, `app.tar.gz` and a CycloneDX SBOM `app.cdx.json`.
fn with_key_and_sbom() -> TestContext {
    let context = plain_dir();
    run(&context, Some(PASSWORD), &["sign", "--generate-key", "k"]);
    context.write("app.tar.gz", "archive");
    context.write(
        "app.cdx.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}"#,
    );
    context
}

#[test]
fn attestations_carry_the_file_as_subject_and_check_their_predicate() {
    let context = with_key_and_sbom();
    context.write(
        "audit.json",
        r#"{"schema_version": 1, "databases": [], "findings": []}"#,
    );
    context.write(
        "tests.json",
        r#"{"result": "PASSED", "passedTests": ["unit"]}"#,
    );
    for (kind, predicate, predicate_type) in [
        ("cyclonedx", "app.cdx.json", "https://cyclonedx.org/bom"),
        (
            "vulns",
            "audit.json",
            "https://in-toto.io/attestation/vulns/v0.2",
        ),
        (
            "test-result",
            "tests.json",
            "https://in-toto.io/attestation/test-result/v0.1",
        ),
    ] {
        let args = [
            "sign",
            "app.tar.gz",
            "--key",
            "k.key",
            "--attest",
            kind,
            "--predicate",
            predicate,
        ];
        let (code, stdout, stderr) = run(&context, Some(PASSWORD), &args);
        assert_eq!(code, Some(0), "{kind}: {stderr}");
        let bundle = format!("app.tar.gz.{kind}.sigstore.json");
        assert_eq!(stdout, format!("{bundle}\n"));
        let verify = [
            "verify",
            "app.tar.gz",
            "--bundle",
            &bundle,
            "--key",
            "k.pub",
        ];
        let (code, stdout, stderr) = run(&context, None, &verify);
        assert_eq!(code, Some(0), "{kind}: {stderr}");
        assert!(
            stdout.contains("verified (dsse)") && stdout.contains(predicate_type),
            "{stdout}"
        );
        // The statement names app.tar.gz by digest: another file does not verify with it.
        context.write("other.tar.gz", "another archive");
        let other = [
            "verify",
            "other.tar.gz",
            "--bundle",
            &bundle,
            "--key",
            "k.pub",
        ];
        let (code, _, stderr) = run(&context, None, &other);
        assert_eq!(code, Some(1), "{kind}: {stderr}");
        assert!(stderr.contains("no subject of the attestation"), "{stderr}");
    }
}

#[test]
fn attestation_usage_errors_name_the_predicate_or_the_missing_variables() {
    let context = with_key_and_sbom();
    // A predicate of the wrong kind or none, and provenance outside GitHub Actions: usage errors
    // that name the file or the missing variables.
    let cases: [(&[&str], &str); 3] = [
        (
            &["--attest", "spdx", "--predicate", "app.cdx.json"],
            "app.cdx.json: not an SPDX 2.3 JSON document",
        ),
        (
            &["--attest", "cyclonedx"],
            "--attest cyclonedx needs --predicate FILE",
        ),
        (
            &["--attest", "slsa-provenance"],
            "GITHUB_REPOSITORY, GITHUB_SHA",
        ),
    ];
    for (extra, expected) in cases {
        let args = [&["sign", "app.tar.gz", "--key", "k.key"][..], extra].concat();
        let (code, _, stderr) = run(&context, Some(PASSWORD), &args);
        assert_eq!(code, Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
}

#[test]
fn slsa_provenance_describes_the_github_actions_run() {
    let context = plain_dir();
    run(&context, Some(PASSWORD), &["sign", "--generate-key", "k"]);
    context.write("app.tar.gz", "archive");
    let output = context
        .crabox()
        .env("CRABOX_KEY_PASSWORD", PASSWORD)
        .env("GITHUB_REPOSITORY", "acme/gateway")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/tags/v1.4.0")
        .env(
            "GITHUB_WORKFLOW_REF",
            "acme/gateway/.github/workflows/release.yml@refs/tags/v1.4.0",
        )
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .args([
            "sign",
            "app.tar.gz",
            "--key",
            "k.key",
            "--attest",
            "slsa-provenance",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output).1);
    let bundle: serde_json::Value =
        serde_json::from_str(&context.read("app.tar.gz.slsa-provenance.sigstore.json")).unwrap();
    let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
    let statement: serde_json::Value =
        serde_json::from_slice(&crabox_types::encoding::base64_decode(payload).unwrap()).unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(statement["subject"][0]["name"], "app.tar.gz");
    assert_eq!(
        statement["predicate"]["runDetails"]["metadata"]["invocationId"],
        "https://github.com/acme/gateway/actions/runs/42/attempts/2"
    );
}
