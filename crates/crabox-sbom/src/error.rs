//! Errors of the SBOM step.

/// Why an SBOM could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("could not read `{}`", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Parse {
        file: String,
        line: u32,
        message: String,
    },
    #[error("`[sbom] {key}` pattern `{pattern}` is not a glob: {message}")]
    Glob {
        key: &'static str,
        pattern: String,
        message: String,
    },
    #[error("could not list the files under `{}`", path.display())]
    Walk {
        path: std::path::PathBuf,
        #[source]
        source: ignore::Error,
    },
}
