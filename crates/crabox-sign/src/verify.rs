//! Verification of a Sigstore bundle against an artifact: signature, certificate chain and
//! identity (keyless) or the given public key, transparency-log inclusion and timestamps (through
//! `sigstore-verify`), and for attestations the in-toto subjects against the artifact's digest,
//! checked here as well (some verifiers skip it).

use std::path::Path;

pub use sigstore_trust_root::TrustedRoot;
use sigstore_types::bundle::SignatureContent;
use sigstore_types::{Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

use crate::error::{SignError, source};

/// Whom the signature must come from.
pub enum Signer {
    /// The holder of this public key (key-based bundles).
    Key(DerPublicKey),
    /// A Fulcio certificate whose identity and issuer match (either may be left open).
    Certificate {
        identity: Option<Identity>,
        issuer: Option<String>,
    },
}

/// A certificate identity: exact (an e-mail address or URI) or a regular expression.
pub enum Identity {
    Exact(String),
    Regex(String),
}

/// What a successful verification established.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    /// `message-signature` or `dsse`.
    pub content: &'static str,
    /// The certificate's identity (keyless), or the key hint.
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// Whether a transparency-log entry was verified (inclusion proof or promise).
    pub tlog: bool,
    /// Verified signed timestamps, RFC 3339.
    pub timestamps: Vec<String>,
    /// For attestations: the predicate type and the subject that matched the artifact.
    pub predicate_type: Option<String>,
    pub subject: Option<String>,
}

/// Reads a bundle file.
pub fn read_bundle(path: &Path) -> Result<Bundle, SignError> {
    let text = fs_err::read_to_string(path).map_err(|source| SignError::Read {
        path: path.to_owned(),
        source,
    })?;
    Bundle::from_json(&text).map_err(|e| SignError::Malformed {
        path: path.to_owned(),
        what: "Sigstore bundle",
        source: source(e),
    })
}

/// The JSON of the trusted root at `path`, or of the public-good root embedded in the binary:
/// what an evidence bundle carries beside keyless signatures.
pub fn trusted_root_json(path: Option<&Path>) -> Result<String, SignError> {
    match path {
        Some(path) => fs_err::read_to_string(path).map_err(|source| SignError::Read {
            path: path.to_owned(),
            source,
        }),
        None => Ok(sigstore_trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT.to_owned()),
    }
}

/// Reads a trusted root, or takes the public-good instance's root embedded in the binary.
pub fn trusted_root(path: Option<&Path>) -> Result<TrustedRoot, SignError> {
    match path {
        Some(path) => {
            let text = fs_err::read_to_string(path).map_err(|source| SignError::Read {
                path: path.to_owned(),
                source,
            })?;
            TrustedRoot::from_json(&text).map_err(|e| SignError::Malformed {
                path: path.to_owned(),
                what: "Sigstore trusted root",
                source: source(e),
            })
        }
        None => TrustedRoot::from_json(sigstore_trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT)
            .map_err(|e| SignError::Malformed {
                path: "(embedded public-good trusted root)".into(),
                what: "Sigstore trusted root",
                source: source(e),
            }),
    }
}

/// Verifies `bundle` for the artifact at `artifact` (read as a stream). `Err` is an error that
/// stopped the check (unreadable file); `Ok(Err(reason))` a verification that failed, with why.
pub fn verify_file(
    artifact: &Path,
    bundle: &Bundle,
    signer: &Signer,
    root: &TrustedRoot,
) -> Result<Result<Verified, String>, SignError> {
    let digest = crate::sign::sha256_file(artifact)?;
    Ok(verify_digest(digest, bundle, signer, root))
}

/// Verifies `bundle` for an artifact with SHA-256 `digest`.
pub fn verify_digest(
    digest: Sha256Hash,
    bundle: &Bundle,
    signer: &Signer,
    root: &TrustedRoot,
) -> Result<Verified, String> {
    let material = &bundle.verification_material;
    if let Signer::Key(key) = signer
        && material.tlog_entries.is_empty()
        && material
            .timestamp_verification_data
            .rfc3161_timestamps
            .is_empty()
    {
        return verify_with_key_only(digest, bundle, key);
    }
    let verifier = Verifier::new(root).map_err(|e| format!("trusted root: {e}"))?;
    let artifact = sigstore_types::Artifact::Digest(digest.into());
    let (result, hint) = match signer {
        Signer::Key(key) => {
            let has_tlog = !bundle.verification_material.tlog_entries.is_empty();
            let mut policy = PublicKeyVerificationPolicy::new(key.clone());
            if !has_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            (
                verifier.verify(artifact, bundle, &policy),
                Some(crate::keys::hint(key)),
            )
        }
        Signer::Certificate { identity, issuer } => {
            let mut policy = VerificationPolicy::any_identity();
            if let Some(Identity::Exact(text)) = identity {
                policy = policy.require_identity(text.as_str());
            }
            if let Some(issuer) = issuer {
                policy = policy.require_issuer(issuer.clone());
            }
            let result = verifier.verify(artifact, bundle, &policy);
            if let (Some(Identity::Regex(pattern)), Ok(verified)) = (identity, &result) {
                // The whole identity must match, as cosign's `--certificate-identity-regexp`.
                let regex = regex::Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| format!("--certificate-identity-regexp: {e}"))?;
                let found = verified.identity().map(ToString::to_string);
                if !found.as_deref().is_some_and(|id| regex.is_match(id)) {
                    return Err(format!(
                        "the certificate identity {} does not match --certificate-identity-regexp `{pattern}`",
                        found.as_deref().unwrap_or("(none)")
                    ));
                }
            }
            (result, None)
        }
    };
    let result = result.map_err(|e| e.to_string())?;
    let (content, predicate_type, subject) = match &bundle.content {
        SignatureContent::DsseEnvelope(envelope) => {
            let (predicate_type, subject) = check_subjects(envelope.payload.as_bytes(), &digest)?;
            ("dsse", Some(predicate_type), Some(subject))
        }
        _ => ("message-signature", None, None),
    };
    Ok(Verified {
        content,
        identity: result.identity().map(ToString::to_string).or(hint),
        issuer: result.issuer().map(ToOwned::to_owned),
        tlog: result.tlog_verified(),
        timestamps: result
            .verified_timestamps()
            .iter()
            .map(ToString::to_string)
            .collect(),
        predicate_type,
        subject,
    })
}

/// Whether `bundle` signs the SHA-256 `digest` at all, without checking who signed it: the
/// message digest of a message signature, or a subject of a DSSE statement. This is no
/// authentication (anyone can sign anything), only a check that a signature present beside a
/// file is about that file; with a key or an identity, [`verify_digest`] checks both.
pub fn signs_digest(bundle: &Bundle, digest: &Sha256Hash) -> Result<(), String> {
    match &bundle.content {
        SignatureContent::MessageSignature(signature) => match &signature.message_digest {
            Some(message) if message.digest.as_bytes() == digest.as_slice() => Ok(()),
            Some(message) => Err(format!(
                "the signature signs another digest ({}), not the manifest's sha256:{}",
                crabox_types::encoding::hex(message.digest.as_bytes()),
                digest.to_hex()
            )),
            None => Err(
                "the signature names no message digest: what it signs cannot be told without a key"
                    .into(),
            ),
        },
        SignatureContent::DsseEnvelope(envelope) => {
            check_subjects(envelope.payload.as_bytes(), digest).map(|_| ())
        }
        _ => Err("the bundle holds neither a message signature nor a DSSE envelope".into()),
    }
}

/// The predicate type and the name of the subject whose SHA-256 is `digest`, or why not.
fn check_subjects(payload: &[u8], digest: &Sha256Hash) -> Result<(String, String), String> {
    let statement: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the DSSE payload is not JSON: {e}"))?;
    if statement["_type"] != "https://in-toto.io/Statement/v1" {
        return Err(format!(
            "the DSSE payload is not an in-toto Statement v1 (`_type` is {})",
            statement["_type"]
        ));
    }
    let predicate_type = statement["predicateType"]
        .as_str()
        .ok_or("the statement has no `predicateType`")?
        .to_owned();
    let subjects = statement["subject"]
        .as_array()
        .ok_or("the statement has no `subject` list")?;
    let wanted = digest.to_hex();
    subjects
        .iter()
        .find(|s| s["digest"]["sha256"].as_str() == Some(wanted.as_str()))
        .map(|s| (predicate_type, s["name"].as_str().unwrap_or_default().to_owned()))
        .ok_or_else(|| {
            format!(
                "no subject of the attestation has the artifact's digest sha256:{wanted} ({} subject(s))",
                subjects.len()
            )
        })
}

/// A key-based bundle without a transparency-log entry or timestamp (a developer's local
/// signature): `sigstore-verify` requires evidence of the signing time, so the signature is
/// checked here directly against the key, and the result says that no log or time backs it.
fn verify_with_key_only(
    digest: Sha256Hash,
    bundle: &Bundle,
    key: &DerPublicKey,
) -> Result<Verified, String> {
    use sigstore_types::bundle::VerificationMaterialContent;
    let hint = crate::keys::hint(key);
    if let VerificationMaterialContent::PublicKey(identifier) =
        &bundle.verification_material.content
        && !identifier.hint.is_empty()
        && identifier.hint != hint
    {
        return Err(format!(
            "the bundle names the key {}, not the given key {hint}",
            identifier.hint
        ));
    }
    let verification_key = sigstore_crypto::VerificationKey::from_spki(key)
        .map_err(|e| format!("the public key cannot verify: {e}"))?;
    let (content, predicate_type, subject) = match &bundle.content {
        SignatureContent::MessageSignature(signature) => {
            if let Some(message) = &signature.message_digest
                && message.digest.as_bytes() != digest.as_slice()
            {
                return Err(format!(
                    "the bundle signs another artifact (digest {}), not sha256:{}",
                    crabox_types::encoding::hex(message.digest.as_bytes()),
                    digest.to_hex()
                ));
            }
            verification_key
                .verify_prehashed(digest.as_slice(), &signature.signature)
                .map_err(|e| format!("the signature does not verify with the given key: {e}"))?;
            ("message-signature", None, None)
        }
        SignatureContent::DsseEnvelope(envelope) => {
            let pae = crate::sign::pae(&envelope.payload_type, envelope.payload.as_bytes());
            verification_key
                .verify(&pae, &envelope.signature.sig)
                .map_err(|e| {
                    format!("the DSSE signature does not verify with the given key: {e}")
                })?;
            if envelope.payload_type != crate::sign::IN_TOTO_PAYLOAD_TYPE {
                return Err(format!(
                    "the DSSE payload type is {}, not {}",
                    envelope.payload_type,
                    crate::sign::IN_TOTO_PAYLOAD_TYPE
                ));
            }
            let (predicate_type, subject) = check_subjects(envelope.payload.as_bytes(), &digest)?;
            ("dsse", Some(predicate_type), Some(subject))
        }
        _ => return Err("the bundle holds neither a message signature nor a DSSE envelope".into()),
    };
    Ok(Verified {
        content,
        identity: Some(hint),
        issuer: None,
        tlog: false,
        timestamps: Vec::new(),
        predicate_type,
        subject,
    })
}
