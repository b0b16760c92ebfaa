//! Catalogers: one module per lockfile format. Each reads the text of one file (plus what sits
//! beside it: workspace manifests, `package.json`, `go.sum`) and returns its packages. A bad entry
//! is a diagnostic and is skipped; only a file that cannot be read at all is an error.

// A cataloger reads its format in one pass, top to bottom; splitting that pass into helpers only
// to satisfy a line count would scatter one format's rules.
#![allow(clippy::too_many_lines)]

pub mod cargo;
pub mod gomod;
pub mod npm;
pub mod pipfile;
pub mod poetry;
pub mod requirements;
pub mod uv;
pub mod yarn;

use std::path::{Path, PathBuf};

use crabox_types::codes;

use crate::error::SbomError;
use crate::model::{Diagnostic, Format, Package};

/// What a cataloger may look at besides the lockfile text.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The directory holding the lockfile (absolute).
    pub dir: PathBuf,
    /// The lockfile as shown to users (relative, `/`-separated).
    pub display: String,
    /// Cargo's home (`CARGO_HOME` or `~/.cargo`), for licences in the local registry cache.
    pub cargo_home: Option<PathBuf>,
}

impl Context {
    pub fn diagnostic(&self, line: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: codes::SBOM_ENTRY_SKIPPED,
            file: PathBuf::from(&self.display),
            line,
            message: message.into(),
        }
    }

    pub fn parse_error(&self, line: u32, message: impl Into<String>) -> SbomError {
        SbomError::Parse {
            file: self.display.clone(),
            line,
            message: message.into(),
        }
    }
}

/// What one cataloger read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    /// Indices of the packages the product depends on directly.
    pub direct: Vec<usize>,
    /// False when something pinned could not be listed.
    pub complete: bool,
    /// False when the lockfile does not record which package depends on which (go.mod,
    /// Pipfile.lock, requirements files): the SBOM then says the edges are unknown.
    pub graph_complete: bool,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn new() -> Parsed {
        Parsed {
            complete: true,
            graph_complete: true,
            ..Parsed::default()
        }
    }

    pub fn skip(&mut self, diagnostic: Diagnostic) {
        self.complete = false;
        self.diagnostics.push(diagnostic);
    }
}

/// Reads one lockfile of the given format.
pub fn parse(format: Format, text: &str, context: &Context) -> Result<Parsed, SbomError> {
    match format {
        Format::CargoLock => cargo::parse(text, context),
        Format::PackageLock => npm::parse(text, context),
        Format::YarnLock => yarn::parse(text, context),
        Format::PoetryLock => poetry::parse(text, context),
        Format::UvLock => uv::parse(text, context),
        Format::PipfileLock => pipfile::parse(text, context),
        Format::Requirements => requirements::parse(text, context),
        Format::GoMod => gomod::parse(text, context),
        Format::PnpmLock => Err(SbomError::Unsupported {
            file: context.display.clone(),
            format: format.as_str(),
        }),
    }
}

/// Reads a file beside the lockfile, if it is there.
pub fn sibling(dir: &Path, name: &str) -> Option<String> {
    fs_err::read_to_string(dir.join(name)).ok()
}

/// A TOML lockfile as a value, with the 1-based line of each `[[package]]` entry in order.
pub fn toml_doc(
    text: &str,
    context: &Context,
    what: &str,
) -> Result<(toml::Table, Vec<u32>), SbomError> {
    let index = crate::encoding::LineIndex::new(text);
    let spanned = toml::de::DeTable::parse(text).map_err(|err| {
        let line = err.span().map_or(1, |s| index.line(s.start));
        context.parse_error(
            line,
            format!("not a valid {what} (TOML): {}", err.message()),
        )
    })?;
    let mut lines = Vec::new();
    if let Some(toml::de::DeValue::Array(items)) =
        spanned.get_ref().get("package").map(toml::Spanned::get_ref)
    {
        lines.extend(items.iter().map(|item| index.line(item.span().start)));
    }
    let table: toml::Table = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(1, |s| index.line(s.start));
        context.parse_error(
            line,
            format!("not a valid {what} (TOML): {}", err.message()),
        )
    })?;
    Ok((table, lines))
}
