//! Key-based signing: Sigstore bundles v0.3 carrying a public-key hint instead of a certificate,
//! for release managers and developers with a cosign-format key. Such a bundle has no
//! transparency-log entry; the caller says so.

use std::path::Path;

use sigstore_bundle::{BundleV03, VerificationMaterialV03};
use sigstore_crypto::KeyPair;
use sigstore_types::bundle::{MessageDigest, MessageSignature, SignatureContent};
use sigstore_types::{
    Bundle, DsseEnvelope, DsseSignature, HashAlgorithm, KeyId, PayloadBytes, Sha256Hash,
    SignatureBytes,
};

use crate::error::{SignError, source};

/// The DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// SHA-256 of a file, read as a stream (memory stays flat for any size).
pub fn sha256_file(path: &Path) -> Result<Sha256Hash, SignError> {
    let read_error = |source| SignError::Read {
        path: path.to_owned(),
        source,
    };
    let file = fs_err::File::open(path).map_err(read_error)?;
    let (_, digest) = crabox_types::digest::sha256_reader(file).map_err(read_error)?;
    Ok(Sha256Hash::new(digest))
}

/// The DSSE pre-authentication encoding of a payload.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The signature of `key` over an artifact's SHA-256 digest (prehashed ECDSA).
pub(crate) fn sign_digest(key: &KeyPair, digest: &Sha256Hash) -> Result<SignatureBytes, SignError> {
    key.sign_digest(digest).map_err(|e| SignError::Crypto {
        operation: "sign the digest",
        source: Some(source(e)),
    })
}

/// A DSSE envelope around an in-toto statement, signed by `key` over its pre-authentication
/// encoding.
pub(crate) fn dsse_envelope(key: &KeyPair, statement: &[u8]) -> Result<DsseEnvelope, SignError> {
    let signature = key
        .sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement))
        .map_err(|e| SignError::Crypto {
            operation: "sign the statement",
            source: Some(source(e)),
        })?;
    Ok(DsseEnvelope::new(
        IN_TOTO_PAYLOAD_TYPE,
        PayloadBytes::from_bytes(statement),
        DsseSignature::new(signature, KeyId::default()),
    ))
}

/// Signs with a cosign-format key.
pub struct KeySigner {
    key: KeyPair,
    hint: String,
}

impl KeySigner {
    pub fn new(key: KeyPair) -> Result<Self, SignError> {
        let public = key.public_key_der().map_err(|e| SignError::Crypto {
            operation: "encode the public key",
            source: Some(source(e)),
        })?;
        Ok(KeySigner {
            hint: crate::keys::hint(&public),
            key,
        })
    }

    /// The hint written into bundles (see [`crate::keys::hint`]).
    pub fn hint(&self) -> &str {
        &self.hint
    }

    /// A message-signature bundle over an artifact's SHA-256 digest.
    pub fn sign_digest(&self, digest: Sha256Hash) -> Result<Bundle, SignError> {
        let signature = sign_digest(&self.key, &digest)?;
        let content = SignatureContent::MessageSignature(
            MessageSignature::new(signature)
                .with_message_digest(MessageDigest::new(HashAlgorithm::Sha2256, digest.into())),
        );
        Ok(self.bundle(content))
    }

    /// A message-signature bundle over a file, hashed as a stream.
    pub fn sign_file(&self, path: &Path) -> Result<Bundle, SignError> {
        self.sign_digest(sha256_file(path)?)
    }

    /// A DSSE bundle over an in-toto statement (the statement's JSON bytes, signed as given).
    pub fn sign_statement(&self, statement: &[u8]) -> Result<Bundle, SignError> {
        let envelope = dsse_envelope(&self.key, statement)?;
        Ok(self.bundle(SignatureContent::DsseEnvelope(envelope)))
    }

    fn bundle(&self, content: SignatureContent) -> Bundle {
        BundleV03::new(
            VerificationMaterialV03::PublicKey {
                hint: self.hint.clone(),
            },
            content,
        )
        .into_bundle()
    }
}
