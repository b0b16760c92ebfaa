//! crabox L2: the CRA evidence bundle.
//!
//! - [`manifest`]: `manifest.json`, every file with its size and SHA-256, the tool and inputs;
//! - [`archive`]: the bundle directory as a deterministic `.tar.gz`;
//! - [`check`]: a bundle (directory or archive) re-hashed against its manifest;
//! - [`stage`]: assembling a bundle beside its destination and swapping it into place;
//! - [`requirements`], [`article14`], [`annex`], [`report`]: the CRA's domain content, read from
//!   a typed [`requirements::Facts`].

pub mod annex;
pub mod archive;
pub mod article14;
pub mod check;
pub mod error;
pub mod manifest;
pub mod report;
pub mod requirements;
pub mod stage;

pub use error::EvidenceError;
