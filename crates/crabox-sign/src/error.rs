//! Errors of signing and verification: typed variants with structured fields; the underlying
//! error is the `source`, never repeated in the message.

use std::path::PathBuf;

/// The error beneath one of ours.
pub type Source = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong while signing or verifying. A verification that fails is not an error: it is
/// the `Err(reason)` of [`crate::verify::verify_file`].
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key file that cannot be used (names the file, never the password).
    #[error("{file}: {problem}")]
    Key {
        file: String,
        problem: KeyProblem,
        #[source]
        source: Option<Source>,
    },
    /// The platform's cryptography failed.
    #[error("cryptography: could not {operation}")]
    Crypto {
        operation: &'static str,
        #[source]
        source: Option<Source>,
    },
    /// A file could not be read.
    #[error("could not read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Sigstore service (Fulcio, Rekor, TSA) or the OIDC provider failed, after retries when
    /// the failure was transient.
    #[error("{service}{}: failed{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), if *attempts > 1 { format!(" after {attempts} attempts") } else { String::new() })]
    Service {
        service: &'static str,
        status: Option<u16>,
        attempts: u32,
        #[source]
        source: Source,
    },
    /// A service answered with something that cannot be used.
    #[error("{service}: {what}")]
    Response {
        service: &'static str,
        what: &'static str,
        #[source]
        source: Source,
    },
    /// A bundle that is not a Sigstore bundle, or a trusted root that is not one.
    #[error("{}: not a {what}", path.display())]
    Malformed {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: Source,
    },
    /// The services asked for cannot be used together.
    #[error("Rekor v2 needs a timestamp authority (`[sign] tsa-url`)")]
    RekorV2WithoutTsa,
    #[error("Rekor API version {0} is not supported (1 or 2)")]
    RekorVersion(u8),
}

/// Why a key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyProblem {
    #[error("not a PEM file; expected a cosign private key")]
    NotPem,
    #[error("a PEM `{0}` block; expected `ENCRYPTED SIGSTORE PRIVATE KEY` (a cosign-format key)")]
    Label(String),
    #[error("the encrypted key is not the cosign JSON layout")]
    Layout,
    #[error("encrypted with {kdf} + {cipher}; only scrypt + nacl/secretbox is supported")]
    Algorithms { kdf: String, cipher: String },
    #[error("scrypt N = {0} is not a power of two up to 2^22")]
    ScryptCost(u64),
    #[error("unsupported scrypt parameters")]
    ScryptParameters,
    #[error("`{0}` is not base64")]
    NotBase64(&'static str),
    #[error("`cipher.nonce` is not 24 bytes")]
    Nonce,
    #[error("wrong password (CRABOX_KEY_PASSWORD) or a damaged key")]
    WrongPassword,
    #[error("the decrypted key is not a PKCS#8 key")]
    NotPkcs8,
    #[error("not a PEM `PUBLIC KEY`; expected the `.pub` file written with the key")]
    NotPublicKey,
    #[error("could not encode the encrypted key")]
    Encode,
    #[error("not a JWT")]
    NotJwt,
}

/// Boxes an error as a [`Source`].
pub(crate) fn source(err: impl std::error::Error + Send + Sync + 'static) -> Source {
    Box::new(err)
}
