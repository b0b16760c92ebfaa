//! cosign-format keys: an ECDSA P-256 private key in PKCS#8, encrypted with a key derived from a
//! password by scrypt and sealed with `NaCl` secretbox (XSalsa20-Poly1305), as cosign and
//! sigstore/sigstore's `cryptoutils` write it; the public key as a PEM `PUBLIC KEY` (SPKI).
//!
//! The password never leaves this module: errors say that the password is wrong or the key is
//! damaged, never what was tried.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead, KeyInit};
use serde::{Deserialize, Serialize};
use sigstore_crypto::KeyPair;
use sigstore_types::DerPublicKey;

use crate::error::{KeyProblem, SignError, Source, source};

/// The PEM label cosign 2 writes; older cosign releases wrote [`COSIGN_LABEL`].
pub const SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label of cosign 1.x keys, still read.
pub const COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt cost written into new keys: cosign's (N = 2^15, r = 8, p = 1).
const LOG_N: u8 = 15;
const R: u32 = 8;
const P: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// A new key pair: the encrypted private key and the public key, both as PEM text.
pub struct GeneratedKey {
    pub private_pem: String,
    pub public_pem: String,
}

fn random<const N: usize>() -> Result<[u8; N], SignError> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|e| SignError::Crypto {
            operation: "read the system random number generator",
            source: Some(source(e)),
        })?;
    Ok(bytes)
}

fn derive(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32], SignError> {
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| SignError::Crypto {
        operation: "set up scrypt",
        source: Some(source(e)),
    })?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key).map_err(|e| SignError::Crypto {
        operation: "derive the key with scrypt",
        source: Some(source(e)),
    })?;
    Ok(key)
}

/// Generates an ECDSA P-256 key pair; the private key is encrypted with `password`.
pub fn generate(password: &[u8]) -> Result<GeneratedKey, SignError> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &rng,
    )
    .map_err(|e| SignError::Crypto {
        operation: "generate a P-256 key",
        source: Some(source(e)),
    })?;
    let key_pair = KeyPair::from_pkcs8_der(pkcs8.as_ref()).map_err(|e| SignError::Crypto {
        operation: "read the generated key",
        source: Some(source(e)),
    })?;
    let public = key_pair.public_key_der().map_err(|e| SignError::Crypto {
        operation: "encode the public key",
        source: Some(source(e)),
    })?;

    let salt: [u8; 32] = random()?;
    let nonce: [u8; 24] = random()?;
    let key = derive(password, &salt, LOG_N, R, P)?;
    let ciphertext = XSalsa20Poly1305::new(&key.into())
        .encrypt(&nonce.into(), pkcs8.as_ref())
        .map_err(|_| SignError::Crypto {
            operation: "encrypt the private key",
            source: None,
        })?;
    let document = Encrypted {
        kdf: Kdf {
            name: "scrypt".to_owned(),
            params: KdfParams {
                n: 1 << LOG_N,
                r: R,
                p: P,
            },
            salt: STANDARD.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".to_owned(),
            nonce: STANDARD.encode(nonce),
        },
        ciphertext: STANDARD.encode(ciphertext),
    };
    let json = serde_json::to_vec(&document).map_err(|e| SignError::Key {
        file: "(new key)".to_owned(),
        problem: KeyProblem::Encode,
        source: Some(source(e)),
    })?;
    Ok(GeneratedKey {
        private_pem: pem::encode(&pem::Pem::new(SIGSTORE_LABEL, json)),
        public_pem: public.to_pem(),
    })
}

/// The signing key in a cosign-format encrypted private key file (`text`), decrypted with
/// `password`. `name` is how errors refer to the file.
pub fn load_private(name: &str, text: &str, password: &[u8]) -> Result<KeyPair, SignError> {
    let bad = |problem: KeyProblem, source: Option<Source>| SignError::Key {
        file: name.to_owned(),
        problem,
        source,
    };
    let block = pem::parse(text).map_err(|e| bad(KeyProblem::NotPem, Some(source(e))))?;
    if block.tag() != SIGSTORE_LABEL && block.tag() != COSIGN_LABEL {
        return Err(bad(KeyProblem::Label(block.tag().to_owned()), None));
    }
    let document: Encrypted = serde_json::from_slice(block.contents())
        .map_err(|e| bad(KeyProblem::Layout, Some(source(e))))?;
    if document.kdf.name != "scrypt" || document.cipher.name != "nacl/secretbox" {
        return Err(bad(
            KeyProblem::Algorithms {
                kdf: document.kdf.name.clone(),
                cipher: document.cipher.name.clone(),
            },
            None,
        ));
    }
    let params = &document.kdf.params;
    if !params.n.is_power_of_two() || params.n < 2 || params.n > 1 << 22 {
        return Err(bad(KeyProblem::ScryptCost(params.n), None));
    }
    let log_n = u8::try_from(params.n.trailing_zeros()).unwrap_or(u8::MAX);
    scrypt::Params::new(log_n, params.r, params.p)
        .map_err(|e| bad(KeyProblem::ScryptParameters, Some(source(e))))?;
    let decode = |field: &'static str, value: &str| {
        STANDARD
            .decode(value)
            .map_err(|_| bad(KeyProblem::NotBase64(field), None))
    };
    let salt = decode("kdf.salt", &document.kdf.salt)?;
    let nonce: [u8; 24] = decode("cipher.nonce", &document.cipher.nonce)?
        .try_into()
        .map_err(|_| bad(KeyProblem::Nonce, None))?;
    let ciphertext = decode("ciphertext", &document.ciphertext)?;
    let key = derive(password, &salt, log_n, params.r, params.p)?;
    let pkcs8 = XSalsa20Poly1305::new(&key.into())
        .decrypt(&nonce.into(), ciphertext.as_slice())
        .map_err(|_| bad(KeyProblem::WrongPassword, None))?;
    KeyPair::from_pkcs8_der(&pkcs8).map_err(|e| bad(KeyProblem::NotPkcs8, Some(source(e))))
}

/// A public key from a PEM `PUBLIC KEY` file. `name` is how errors refer to the file.
pub fn load_public(name: &str, text: &str) -> Result<DerPublicKey, SignError> {
    DerPublicKey::from_pem(text).map_err(|e| SignError::Key {
        file: name.to_owned(),
        problem: KeyProblem::NotPublicKey,
        source: Some(source(e)),
    })
}

/// The hint a bundle carries for a public key: the lowercase hex SHA-256 of its DER (SPKI)
/// encoding, so that a verifier can tell which key to use.
pub fn hint(public: &DerPublicKey) -> String {
    use sha2::Digest as _;
    crabox_types::encoding::hex(&sha2::Sha256::digest(public.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_loads_with_its_password_only() {
        let generated = generate(b"correct horse").unwrap();
        assert!(
            generated
                .private_pem
                .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
        );
        assert!(
            generated
                .public_pem
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        let key = load_private("k.key", &generated.private_pem, b"correct horse").unwrap();
        let public = load_public("k.pub", &generated.public_pem).unwrap();
        assert_eq!(key.public_key_der().unwrap().as_bytes(), public.as_bytes());

        let err = load_private("k.key", &generated.private_pem, b"wrong").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("wrong password"), "{message}");
        assert!(!message.contains("correct horse") && !message.contains("wrong\""));
    }

    #[test]
    fn a_key_that_is_not_cosign_format_is_named() {
        let err = load_private("k.key", "not pem", b"x").unwrap_err();
        assert!(
            err.to_string().starts_with("k.key: not a PEM file"),
            "{err}"
        );
        let other = pem::encode(&pem::Pem::new("PRIVATE KEY", vec![1, 2, 3]));
        let err = load_private("k.key", &other, b"x").unwrap_err();
        assert!(
            err.to_string().contains("a PEM `PRIVATE KEY` block"),
            "{err}"
        );
    }
}
