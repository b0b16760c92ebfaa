//! Configuration errors, with the file, line, column and key they concern.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// What is wrong with a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// Not valid TOML.
    Syntax,
    /// A key crabox does not know.
    UnknownKey,
    /// A value of the wrong type, or not one of the allowed values.
    InvalidValue,
    /// A required key is absent.
    MissingKey,
}

/// A configuration file that could not be used, located precisely.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidConfig {
    pub kind: InvalidKind,
    /// The file, as given or discovered.
    pub path: PathBuf,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// Byte range in [`InvalidConfig::source_text`].
    pub span: Range<usize>,
    /// Dotted path of the key concerned, e.g. `audit.ignore[0].reason`.
    pub key: Option<String>,
    /// What is wrong, in one line.
    pub message: String,
    /// Short label for the span.
    pub label: String,
    /// How to fix it (`did you mean …`).
    pub help: Option<String>,
    /// The file's text, for snippets.
    pub source_text: Arc<str>,
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Box<InvalidConfig>),
    #[error("environment variable `{var}`: {message}")]
    Env {
        var: String,
        key: String,
        message: String,
        help: Option<String>,
    },
}
