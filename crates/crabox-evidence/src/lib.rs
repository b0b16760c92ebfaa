//! crabox L2: the CRA evidence bundle.
//!
//! - [`manifest`]: `manifest.json`, every file with its size and SHA-256, the tool and inputs;
//! - [`archive`]: the bundle directory as a deterministic `.tar.gz`;
//! - [`check`]: a bundle (directory or archive) re-hashed against its manifest.

pub mod archive;
pub mod article14;
pub mod check;
pub mod error;
pub mod manifest;
pub mod report;
pub mod requirements;

pub use error::EvidenceError;
