//! crabox L2: release notes.
//!
//! - [`commit`]: one commit as the notes show it (Conventional Commits, references, co-authors,
//!   reverts, advisory ids);
//! - [`release`]: the template context: sections, breaking changes, contributors and the
//!   security section (vulnerabilities fixed between two releases and still open);
//! - [`range`]: the previous release tag and the range, from a repository's tags;
//! - [`render`]: the minijinja templates (embedded defaults, repository overrides);
//! - [`advisory`]: CSAF 2.0 security advisory and VEX documents, and OpenVEX.

mod error;

pub use error::NotesError;

pub mod advisory;
pub mod commit;
pub mod range;
pub mod release;
pub mod render;
