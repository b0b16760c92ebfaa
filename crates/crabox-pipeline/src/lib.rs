//! crabox L3: the steps composed. One [`Inventory`](crabox_sbom::Inventory) read once, one
//! [`assess`](assess::assess) for every command that audits, the previous release read once and
//! shared by the notes and the gate, and typed outcomes: a step that could not run is a
//! [`Step::NotRun`] with its [`Reason`], never a downcast error or a string key.
//!
//! The binary turns arguments into these inputs, renders the outcomes and picks the exit
//! status; nothing here prints, parses a command line or exits.

pub mod assess;
pub mod bundle;
pub mod databases;
mod error;
pub mod gate;
pub mod inventory;
pub mod notes;
pub mod oci;
pub mod previous;
pub mod sbom;
pub mod scope;
pub mod sign;
pub mod time;
pub mod watch;

use std::path::PathBuf;

pub use crabox_types::{Reason, Step, StepName};
pub use error::Error;
pub use scope::Scope;

/// Shows that long work is under way (a spinner on a terminal); the returned guard ends it when
/// dropped.
pub trait Progress: Sync {
    fn start(&self, message: &str) -> Box<dyn std::any::Any + Send>;
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str) -> Box<dyn std::any::Any + Send> {
        Box::new(())
    }
}

/// The environment variables of a run (a snapshot the binary takes once).
pub trait Environment: Sync {
    fn var(&self, name: &str) -> Option<String>;
}

/// What every step runs with: where, with which settings, the environment, the cache.
pub struct Run<'a> {
    pub scope: &'a Scope,
    pub loaded: &'a crabox_config::Loaded,
    pub env: &'a dyn Environment,
    /// The cache directory of advisory databases and indexes.
    pub cache_dir: Option<PathBuf>,
    pub progress: &'a dyn Progress,
}

impl Run<'_> {
    pub fn settings(&self) -> &crabox_config::Settings {
        &self.loaded.settings
    }

    pub fn var(&self, name: &str) -> Option<String> {
        self.env.var(name)
    }

    /// `[product] name`, else the repository directory's name.
    pub fn product_name(&self) -> String {
        self.settings().product.name.clone().unwrap_or_else(|| {
            self.scope.root.file_name().map_or_else(
                || "product".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
    }
}
