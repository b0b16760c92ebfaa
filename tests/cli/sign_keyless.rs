//! Keyless signing end to end against a fake Sigstore that the test starts on 127.0.0.1
//! (`tests/support/fake-sigstore.cjs`, over npm `@sigstore/mock`), with a GitHub Actions-style
//! OIDC token endpoint: signing, verification, every single-byte change of artifact, signature and
//! certificate detected, retries on transient failures, and a failure that names the service.
//! Needs `node` and the npm packages `.ci/run` installs (or `SIGSTORE_NODE_MODULES`); prints a
//! SKIP line without them.

// Helpers outside #[test] functions panic on setup trouble; the SKIP line goes to stdout.
#![allow(clippy::unwrap_used, clippy::disallowed_macros)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crabox_sign::verify::{self, Identity, Signer};
use crabox_test::{TestContext, each_byte_flipped, output_text};
use sigstore_types::bundle::SignatureContent;

use crate::plain_dir;

const IDENTITY: &str =
    "https://github.com/acme/gateway/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The fake services; killed when dropped.
struct FakeSigstore {
    child: Child,
    base: String,
    root: PathBuf,
}

impl Drop for FakeSigstore {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_modules() -> Option<PathBuf> {
    let dir = std::env::var_os("SIGSTORE_NODE_MODULES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-node/node_modules"),
        PathBuf::from,
    );
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (node && dir.join("@sigstore/mock").is_dir()).then_some(dir)
}

/// Starts the fake Sigstore (`faults` as in `FAKE_SIGSTORE_FAIL`), or `None` with a SKIP line.
fn start(dir: &Path, faults: &str) -> Option<FakeSigstore> {
    let Some(modules) = node_modules() else {
        println!(
            "SKIP: keyless signing test: needs node and @sigstore/mock (run .ci/run, or set SIGSTORE_NODE_MODULES)"
        );
        return None;
    };
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/fake-sigstore.cjs");
    let root = dir.join("trusted_root.json");
    let mut child = Command::new("node")
        .arg(script)
        .arg(&root)
        .env("SIGSTORE_NODE_MODULES", modules)
        .env("FAKE_SIGSTORE_FAIL", faults)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening ")
        .expect("the fake Sigstore started");
    Some(FakeSigstore {
        child,
        base: format!("http://127.0.0.1:{port}"),
        root,
    })
}

/// `crabox` as a GitHub Actions job with `id-token: write` would run it, signing against `fake`.
fn crabox(context: &TestContext, fake: &FakeSigstore) -> assert_cmd::Command {
    let mut command = context.crabox();
    command
        .env("GITHUB_ACTIONS", "true")
        .env("CRABOX_SIGN_FULCIO_URL", &fake.base)
        .env("CRABOX_SIGN_REKOR_URL", &fake.base)
        .env(
            "CRABOX_SIGN_TSA_URL",
            format!("{}/api/v1/timestamp", fake.base),
        )
        .env("CRABOX_SIGN_TRUSTED_ROOT", &fake.root)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/oidc/token?api-version=2.0", fake.base),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "fake-request-token");
    command
}

fn check(
    bundle: &sigstore_types::Bundle,
    artifact: &[u8],
    root: &verify::TrustedRoot,
) -> Result<verify::Verified, String> {
    use sha2::Digest as _;
    let digest: [u8; 32] = sha2::Sha256::digest(artifact).into();
    let signer = Signer::Certificate {
        identity: Some(Identity::Exact(IDENTITY.to_owned())),
        issuer: Some(ISSUER.to_owned()),
    };
    verify::verify_digest(
        sigstore_types::Sha256Hash::new(digest),
        bundle,
        &signer,
        root,
    )
}

#[test]
fn a_keyless_bundle_verifies_and_any_flipped_byte_of_artifact_signature_or_certificate_fails() {
    let context = plain_dir();
    let Some(fake) = start(context.path(), "") else {
        return;
    };
    let artifact: Vec<u8> = b"crabox release archive, 40 bytes long..".to_vec();
    fs_err::write(context.path().join("app.tar.gz"), &artifact).unwrap();
    let output = crabox(&context, &fake)
        .args(["sign", "app.tar.gz"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "app.tar.gz.sigstore.json\n");

    let root_arg = fake.root.to_string_lossy().into_owned();
    let verify_args = [
        "verify",
        "app.tar.gz",
        "--bundle",
        "app.tar.gz.sigstore.json",
        "--trusted-root",
        &root_arg,
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let output = context.crabox().args(verify_args).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!("signer {IDENTITY}, issuer {ISSUER}")),
        "{stdout}"
    );
    // Another identity or issuer is refused, with the reason.
    let mut other = verify_args.map(str::to_owned);
    other[7] =
        "https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main".to_owned();
    let output = context.crabox().args(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output_text(&output).1.contains("verification failed"));

    let bundle = verify::read_bundle(&context.path().join("app.tar.gz.sigstore.json")).unwrap();
    let root = verify::trusted_root(Some(&fake.root)).unwrap();
    let verified = check(&bundle, &artifact, &root).unwrap();
    assert!(verified.tlog, "the Rekor entry was verified");
    assert_eq!(
        verified.timestamps.len(),
        2,
        "Rekor's integrated time and the TSA's: {verified:?}"
    );

    for (at, changed) in each_byte_flipped(&artifact) {
        assert!(
            check(&bundle, &changed, &root).is_err(),
            "artifact byte {at}"
        );
    }
    let SignatureContent::MessageSignature(signature) = &bundle.content else {
        panic!("not a message signature")
    };
    for (at, changed) in each_byte_flipped(signature.signature.as_bytes()) {
        let mut tampered = bundle.clone();
        if let SignatureContent::MessageSignature(s) = &mut tampered.content {
            s.signature = sigstore_types::SignatureBytes::new(changed);
        }
        assert!(
            check(&tampered, &artifact, &root).is_err(),
            "signature byte {at}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&bundle.to_json().unwrap()).unwrap();
    let certificate = json["verificationMaterial"]["certificate"]["rawBytes"]
        .as_str()
        .unwrap();
    let der = base64_decode(certificate);
    let mut parsed = 0;
    for (at, changed) in each_byte_flipped(&der) {
        let mut tampered = json.clone();
        tampered["verificationMaterial"]["certificate"]["rawBytes"] =
            base64_encode(&changed).into();
        // A certificate that no longer parses is refused when the bundle is read.
        if let Ok(tampered) = sigstore_types::Bundle::from_json(&tampered.to_string()) {
            assert!(
                check(&tampered, &artifact, &root).is_err(),
                "certificate byte {at}"
            );
            parsed += 1;
        }
    }
    // Most changed certificates still parse, and so reach the verifier.
    assert!(parsed > der.len() / 2, "{parsed} of {} parsed", der.len());
}

#[test]
fn a_keyless_attestation_verifies_for_its_subject_and_any_flipped_payload_byte_fails() {
    let context = plain_dir();
    let Some(fake) = start(context.path(), "") else {
        return;
    };
    let artifact = b"crabox release archive".to_vec();
    fs_err::write(context.path().join("app.tar.gz"), &artifact).unwrap();
    context.write(
        "audit.json",
        r#"{"schema_version": 1, "databases": [{"source": "rustsec", "id": "x"}], "findings": []}"#,
    );
    let output = crabox(&context, &fake)
        .args([
            "sign",
            "app.tar.gz",
            "--attest",
            "vulns",
            "--predicate",
            "audit.json",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "app.tar.gz.vulns.sigstore.json\n");

    let bundle =
        verify::read_bundle(&context.path().join("app.tar.gz.vulns.sigstore.json")).unwrap();
    let root = verify::trusted_root(Some(&fake.root)).unwrap();
    let verified = check(&bundle, &artifact, &root).unwrap();
    assert_eq!(verified.content, "dsse");
    assert_eq!(
        verified.predicate_type.as_deref(),
        Some("https://in-toto.io/attestation/vulns/v0.2")
    );
    assert!(check(&bundle, b"another archive", &root).is_err());
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        panic!("not a DSSE envelope")
    };
    for (at, changed) in each_byte_flipped(envelope.payload.as_bytes()) {
        let mut tampered = bundle.clone();
        if let SignatureContent::DsseEnvelope(e) = &mut tampered.content {
            e.payload = sigstore_types::PayloadBytes::new(changed);
        }
        assert!(
            check(&tampered, &artifact, &root).is_err(),
            "payload byte {at}"
        );
    }
}

#[test]
fn rekor_v2_bundles_carry_a_v2_entry_and_verify() {
    let context = plain_dir();
    let Some(fake) = start(context.path(), "") else {
        return;
    };
    context.write("a.bin", "artifact");
    context.write(
        "bom.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6"}"#,
    );
    for args in [
        &["sign", "a.bin"][..],
        &[
            "sign",
            "a.bin",
            "--attest",
            "cyclonedx",
            "--predicate",
            "bom.json",
        ],
    ] {
        let output = crabox(&context, &fake)
            .env("CRABOX_SIGN_REKOR_VERSION", "2")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", output_text(&output).1);
    }
    let root = verify::trusted_root(Some(&fake.root)).unwrap();
    for name in ["a.bin.sigstore.json", "a.bin.cyclonedx.sigstore.json"] {
        let bundle = verify::read_bundle(&context.path().join(name)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&bundle.to_json().unwrap()).unwrap();
        assert_eq!(
            json["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"], "0.0.2",
            "{name}"
        );
        let verified = check(&bundle, b"artifact", &root).unwrap();
        assert!(verified.tlog, "{name}");
        assert!(check(&bundle, b"artifacT", &root).is_err(), "{name}");
    }
    // An unknown Rekor API version is a configuration error.
    let output = crabox(&context, &fake)
        .env("CRABOX_SIGN_REKOR_VERSION", "3")
        .args(["sign", "a.bin"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output_text(&output)
            .1
            .contains("`[sign] rekor-version` is 3")
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    crabox_types::encoding::base64_decode(text).unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    sigstore_types::SignatureBytes::new(bytes.to_vec()).to_base64()
}

/// Signs `a.bin` against a fake Sigstore with `faults`: exit status and stderr, or `None` when
/// the fake cannot start.
fn sign_with_faults(context: &TestContext, faults: &str) -> Option<(Option<i32>, String)> {
    let fake = start(context.path(), faults)?;
    let output = crabox(context, &fake)
        .args(["sign", "a.bin"])
        .output()
        .unwrap();
    Some((output.status.code(), output_text(&output).1))
}

#[test]
fn transient_failures_are_retried_and_a_lasting_one_names_the_service_and_leaves_no_bundle() {
    let context = plain_dir();
    context.write("a.bin", "a");
    let Some((code, stderr)) = sign_with_faults(&context, "fulcio=503;rekor=429;tsa=500") else {
        return;
    };
    assert_eq!(code, Some(0), "{stderr}");
    for service in ["Fulcio", "Rekor", "TSA"] {
        assert!(
            stderr.contains(&format!("{service}: ")) && stderr.contains("trying again"),
            "{stderr}"
        );
    }
    assert!(context.exists("a.bin.sigstore.json"));
    fs_err::remove_file(context.path().join("a.bin.sigstore.json")).unwrap();

    let (code, stderr) = sign_with_faults(&context, "rekor=503,503,503,503").unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("Rekor (HTTP 503)") && stderr.contains("after 4 attempts"),
        "{stderr}"
    );
    assert!(!context.exists("a.bin.sigstore.json"));

    // A refusal (4xx other than 429) is not retried.
    let (code, stderr) = sign_with_faults(&context, "fulcio=401").unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("Fulcio (HTTP 401)") && !stderr.contains("trying again"),
        "{stderr}"
    );
}
