//! Errors of the GitHub API.

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("could not set up the GitHub client: {0}")]
    Client(String),
    #[error("{method} {url}: HTTP {status}: {message}{}", if *.attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() })]
    Status {
        method: String,
        url: String,
        status: u16,
        message: String,
        attempts: u32,
    },
    #[error("{method} {url}: {message} (after {attempts} attempts)")]
    Transport {
        method: String,
        url: String,
        message: String,
        attempts: u32,
    },
    #[error("{what}: unexpected response: {message}")]
    Response { what: String, message: String },
}
