//! Errors of the gate.

/// Why a bundle could not be read as a baseline.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BaselineError {
    pub path: String,
    pub message: String,
}
