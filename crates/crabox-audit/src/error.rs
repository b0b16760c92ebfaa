//! Errors of the audit step.

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("no advisory database at `{}`", path.display())]
    NoDatabase { path: std::path::PathBuf },
    #[error("could not read `{}`", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not load the advisory database at `{}`: {message}", path.display())]
    Database {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("could not update `{source_name}`: {message}")]
    Update {
        source_name: String,
        message: String,
    },
}
