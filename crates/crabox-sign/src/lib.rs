//! crabox L2: Sigstore bundles v0.3 and in-toto attestations.
//!
//! - [`keys`]: cosign-format encrypted keys (generate, read) and public keys;
//! - [`sign`]: key-based bundles (message signatures and DSSE attestations);
//! - [`verify`]: verification of a bundle against an artifact, keyless or with a key.

pub mod attest;
pub mod error;
pub mod keyless;
pub mod keys;
pub mod sign;
pub mod verify;

pub use error::SignError;
pub use sigstore_crypto::KeyPair;
