//! Key-based bundles: signed, verified, and every single-byte change detected.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

use crabox_sign::keys;
use crabox_sign::sign::{KeySigner, sha256_file};
use crabox_sign::verify::{self, Signer};
use crabox_test::each_byte_flipped;
use sigstore_types::Bundle;
use sigstore_types::bundle::SignatureContent;

fn setup() -> (KeySigner, Signer, tempfile::TempDir) {
    let generated = keys::generate(b"pw").unwrap();
    let key = keys::load_private("t.key", &generated.private_pem, b"pw").unwrap();
    let public = keys::load_public("t.pub", &generated.public_pem).unwrap();
    (
        KeySigner::new(key).unwrap(),
        Signer::Key(public),
        tempfile::tempdir().unwrap(),
    )
}

fn check(bundle: &Bundle, artifact: &[u8], signer: &Signer) -> Result<verify::Verified, String> {
    use sha2::Digest as _;
    let digest: [u8; 32] = sha2::Sha256::digest(artifact).into();
    let root = verify::trusted_root(None).unwrap();
    verify::verify_digest(
        sigstore_types::Sha256Hash::new(digest),
        bundle,
        signer,
        &root,
    )
}

#[test]
fn a_signed_file_verifies_and_any_flipped_byte_of_it_or_of_the_signature_fails() {
    let (signer, key, dir) = setup();
    let artifact: Vec<u8> = (0u8..48).collect();
    let path = dir.path().join("artifact.bin");
    fs_err::write(&path, &artifact).unwrap();
    let bundle = signer.sign_file(&path).unwrap();
    let json = bundle.to_json_pretty().unwrap();
    assert!(
        json.contains("application/vnd.dev.sigstore.bundle.v0.3+json"),
        "{json}"
    );
    assert!(json.contains(signer.hint()), "{json}");
    let bundle = Bundle::from_json(&json).unwrap();
    let verified = check(&bundle, &artifact, &key).unwrap();
    assert_eq!(verified.content, "message-signature");
    assert!(!verified.tlog);
    assert_eq!(sha256_file(&path).unwrap().to_hex().len(), 64);

    for (at, changed) in each_byte_flipped(&artifact) {
        assert!(
            check(&bundle, &changed, &key).is_err(),
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
        let reason = check(&tampered, &artifact, &key).unwrap_err();
        assert!(!reason.is_empty(), "signature byte {at}");
    }
    // Another key does not verify it.
    let (_, other, _) = setup();
    assert!(check(&bundle, &artifact, &other).is_err());
}

#[test]
fn an_attestation_verifies_only_for_its_subject_and_any_flipped_payload_byte_fails() {
    use sha2::Digest as _;
    let (signer, key, _dir) = setup();
    let artifact = b"release archive".to_vec();
    let hex = crabox_types::encoding::hex(&sha2::Sha256::digest(&artifact));
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a.tar.gz","digest":{{"sha256":"{hex}"}}}}],"predicateType":"https://example.com/p/v1","predicate":{{}}}}"#
    );
    let bundle = signer.sign_statement(statement.as_bytes()).unwrap();
    let verified = check(&bundle, &artifact, &key).unwrap();
    assert_eq!(verified.content, "dsse");
    assert_eq!(verified.subject.as_deref(), Some("a.tar.gz"));
    assert_eq!(
        verified.predicate_type.as_deref(),
        Some("https://example.com/p/v1")
    );

    let reason = check(&bundle, b"another artifact", &key).unwrap_err();
    assert!(!reason.is_empty());

    for (at, changed) in each_byte_flipped(statement.as_bytes()) {
        let mut tampered = bundle.clone();
        if let SignatureContent::DsseEnvelope(envelope) = &mut tampered.content {
            envelope.payload = sigstore_types::PayloadBytes::new(changed);
        }
        assert!(
            check(&tampered, &artifact, &key).is_err(),
            "payload byte {at}"
        );
    }
}
