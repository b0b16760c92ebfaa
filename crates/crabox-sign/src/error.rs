//! Errors of signing and verification.

use std::path::PathBuf;

/// What went wrong while signing or verifying. A verification that fails is not an error: it is
/// the `Err(reason)` of [`crate::verify::verify_file`].
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key file that cannot be used (the message names the file, never the password).
    #[error("{0}")]
    Key(String),
    /// The platform's cryptography failed.
    #[error("cryptography: {0}")]
    Crypto(String),
    /// A file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A Sigstore service (Fulcio, Rekor, TSA) or the OIDC provider failed, after retries when
    /// the failure was transient.
    #[error("{service}{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Service {
        service: &'static str,
        status: Option<u16>,
        message: String,
    },
    /// A bundle that is not a Sigstore bundle, or a trusted root that is not one.
    #[error("{path}: {message}")]
    Malformed { path: PathBuf, message: String },
}
