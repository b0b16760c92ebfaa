//! Errors of writing and reading evidence bundles.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Something in or about the bundle that is not what a bundle holds.
    #[error("{what}: {message}")]
    Malformed { what: String, message: String },
}
