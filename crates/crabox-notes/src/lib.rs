//! crabox L2: release notes.
//!
//! - [`commit`]: one commit as the notes show it (Conventional Commits, references, co-authors,
//!   reverts, advisory ids);
//! - [`release`]: the template context: sections, breaking changes, contributors and the
//!   security section (vulnerabilities fixed between two releases and still open);
//! - [`range`]: the previous release tag and the range, from a repository's tags;
//! - [`render`]: the minijinja templates (embedded defaults, repository overrides);
//! - [`advisory`]: CSAF 2.0 security advisory and VEX documents, and OpenVEX.

pub mod advisory;
pub mod commit;
pub mod range;
pub mod release;
pub mod render;

/// What went wrong making the notes.
#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    /// A template that does not parse or render: where, and what.
    #[error("{template}:{line}: {message}")]
    Template {
        template: String,
        line: usize,
        message: String,
    },
    /// A `tag-pattern` that is not a valid glob or regular expression.
    #[error("`[notes] tag-pattern = \"{pattern}\"`: {message}")]
    TagPattern { pattern: String, message: String },
}
