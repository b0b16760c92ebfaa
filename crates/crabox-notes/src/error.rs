//! Errors of making the notes.

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
