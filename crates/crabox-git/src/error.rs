//! Errors of reading a repository and of keeping mirrors.

use std::path::PathBuf;

/// Why the repository could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not open the git repository at `{}`", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("could not read `{what}` in the git repository at `{}`", path.display())]
    Read {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Cloning, fetching or exporting a mirror failed.
    #[error("{0}")]
    Mirror(String),
}
