//! What stops a pipeline step before it runs: the command line or the configuration asks for
//! something that cannot be done (the binary exits 2 and shows the hint). Anything that breaks
//! while running (I/O, malformed data) is an `anyhow::Error` with its context.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--path `{}` does not exist", path.display())]
    PathMissing { path: PathBuf },
    #[error("--path `{}` is outside `-C {}`", path.display(), root.display())]
    PathOutside { path: PathBuf, root: PathBuf },
    #[error("no advisory database: none given, none in the cache{}", detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    NoDatabase { detail: Option<String> },
    #[error("`{path}` holds no advisory: it is neither a RustSec advisory-db nor a tree or .zip of OSV records{}", if *skipped == 0 { String::new() } else { format!(" ({skipped} files could not be read as advisories)") })]
    EmptyDatabase { path: String, skipped: usize },
    #[error("`[audit] vex` names `{pattern}`, which does not exist")]
    VexMissing { pattern: String },
    #[error("{file}: {message}")]
    Vex { file: String, message: String },
    #[error("{flag} `{rev}` does not name a commit{}", why.as_ref().map(|w| format!(": {w}")).unwrap_or_default())]
    Revision {
        flag: &'static str,
        rev: String,
        why: Option<String>,
    },
    #[error(
        "the repository is a shallow clone: the previous release tag and the commits since cannot be found"
    )]
    Shallow,
    #[error("`crabox {command}` needs a git repository")]
    NotARepository { command: &'static str },
    #[error("`[notes] tag-pattern`: {message}")]
    TagPattern { message: String },
    #[error("{message}")]
    Template { message: String },
    #[error("SOURCE_DATE_EPOCH=`{raw}` is not a Unix timestamp")]
    SourceDateEpoch { raw: String },
    #[error("`[evidence] {key} = \"{path}\"`: no such file in the repository")]
    Declaration { key: String, path: String },
    #[error("`[evidence] kev-catalog = \"{path}\"`: {message}")]
    Kev { path: String, message: String },
    #[error("--artifact `{path}`: {message}")]
    Artifact { path: String, message: String },
    #[error("--baseline `{baseline}`: {message}")]
    Baseline { baseline: String, message: String },
    #[error("signing: {message}")]
    Signing {
        message: String,
        hint: Option<&'static str>,
    },
    #[error("cache directory: none for advisory databases")]
    NoCacheDir,
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NoDatabase { .. } => Some("run `crabox db update`, or pass --db PATH (a RustSec advisory-db directory, a tree of OSV records or an OSV .zip export)".into()),
            Error::EmptyDatabase { .. } => {
                Some("pass --db PATH with advisories, or run `crabox db update`".into())
            }
            Error::Shallow => Some("fetch the whole history: `fetch-depth: 0` with actions/checkout, or `git fetch --unshallow --tags`; or name the range with --from".into()),
            Error::PathOutside { .. } => Some(
                "with -C, --path names a directory inside that repository; without -C, the repository is the one that contains --path"
                    .into(),
            ),
            Error::Signing { hint, .. } => hint.map(str::to_owned),
            Error::NoCacheDir => Some("set CRABOX_CACHE_DIR (or XDG_CACHE_HOME or HOME)".into()),
            _ => None,
        }
    }
}
