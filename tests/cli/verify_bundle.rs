//! `crabox verify BUNDLE`: an evidence bundle (directory or `.tar.gz`) against its manifest and
//! the manifest's signature. The bundles are assembled here from crabox-evidence's parts (the
//! `crabox bundle` command comes later in issue 6).

#![allow(clippy::unwrap_used)]

use crabox_evidence::manifest::{Inputs, MANIFEST, MANIFEST_SIGNATURE, Manifest, Tool};
use crabox_test::{TestContext, output_text};

use crate::plain_dir;

const PASSWORD: &str = "bundle-test-password";
const FILES: &[(&str, &str)] = &[
    ("b/cra/report.json", "{\"rows\": []}\n"),
    ("b/sbom/app.cdx.json", "{\"bomFormat\": \"CycloneDX\"}\n"),
    ("b/audit/findings.json", "{\"findings\": []}\n"),
];

/// A signed bundle directory `b` and the key pair `k` that signed its manifest.
pub(crate) fn signed_bundle() -> TestContext {
    let context = plain_dir();
    for (path, text) in FILES {
        context.write(path, text);
    }
    let dir = context.path().join("b");
    let tool = Tool {
        name: "crabox".into(),
        version: "0.1.0".into(),
    };
    let manifest = Manifest::of_directory(&dir, tool, Inputs::default()).unwrap();
    fs_err::write(dir.join(MANIFEST), manifest.to_bytes()).unwrap();
    let sign = |args: &[&str]| {
        let output = context
            .crabox()
            .env("CRABOX_KEY_PASSWORD", PASSWORD)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", output_text(&output).1);
    };
    sign(&["sign", "--generate-key", "k"]);
    sign(&["sign", "--key", "k.key", "b/manifest.json"]);
    fs_err::rename(
        dir.join("manifest.json.sigstore.json"),
        dir.join(MANIFEST_SIGNATURE),
    )
    .unwrap();
    context
}

fn verify(context: &TestContext, args: &[&str]) -> (Option<i32>, String, String) {
    let output = context.crabox().arg("verify").args(args).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

#[test]
fn a_signed_bundle_verifies_as_a_directory_and_as_an_archive() {
    let context = signed_bundle();
    let (code, stdout, stderr) = verify(&context, &["b", "--key", "k.pub"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with("b: verified (3 files; manifest signature: verified, signer "),
        "{stdout}"
    );
    let archive = context.path().join("b.tar.gz");
    let file = fs_err::File::create(&archive).unwrap();
    crabox_evidence::archive::write(&context.path().join("b"), "b", 1_700_000_000, file).unwrap();
    let (code, stdout, stderr) = verify(&context, &["b.tar.gz", "--key", "k.pub"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("manifest signature: verified"), "{stdout}");
    // Without a key the digests are still checked, and the unchecked signature is said so.
    let (code, _, stderr) = verify(&context, &["b"]);
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("the manifest signature was not checked"),
        "{stderr}"
    );
}

#[test]
fn each_tampered_file_is_named_and_a_rewritten_manifest_fails_its_signature() {
    for (path, _) in FILES {
        let context = signed_bundle();
        let target = context.path().join(path);
        let mut bytes = fs_err::read(&target).unwrap();
        bytes[1] ^= 0x20;
        fs_err::write(&target, &bytes).unwrap();
        let (code, _, stderr) = verify(&context, &["b", "--key", "k.pub"]);
        assert_eq!(code, Some(1), "{path}: {stderr}");
        let inner = path.strip_prefix("b/").unwrap();
        assert!(
            stderr.contains(&format!("{inner}: changed: sha256 ")),
            "{stderr}"
        );
    }
    // A manifest rewritten to match a tampered file no longer matches its signature.
    let context = signed_bundle();
    let dir = context.path().join("b");
    context.write("b/audit/findings.json", "{\"findings\": [\"hidden\"]}\n");
    let manifest = Manifest::of_directory(
        &dir,
        Tool {
            name: "crabox".into(),
            version: "0.1.0".into(),
        },
        Inputs::default(),
    )
    .unwrap();
    fs_err::write(dir.join(MANIFEST), manifest.to_bytes()).unwrap();
    let (code, _, stderr) = verify(&context, &["b", "--key", "k.pub", "--format", "json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("manifest.sigstore.json: the bundle signs another artifact"),
        "{stderr}"
    );
}
