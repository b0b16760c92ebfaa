//! Errors of the audit step.

impl AuditError {
    /// The `map_err` for an I/O error on `path`.
    pub(crate) fn read(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
        move |source| AuditError::Read {
            path: path.to_owned(),
            source,
        }
    }
}

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
    /// The server could not be reached (no connection, or timeouts through the retries).
    #[error("could not update `{source_name}`: {message}")]
    Unreachable {
        source_name: String,
        message: String,
    },
}
