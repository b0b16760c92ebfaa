//! `crabox.toml`: discovery, parsing with precise errors, the `CRABOX_*` environment registry and
//! the resolved [`Settings`] every step reads.
//!
//! Precedence: defaults < `crabox.toml` < `CRABOX_*` variables < command-line flags (applied by
//! the binary on the returned [`Settings`]).

mod env;
mod error;
pub mod file;
mod load;
pub mod manifest;
pub mod schema;
mod settings;
mod suggest;

pub use env::{EnvKey, EnvVars, config_keys as env_config_keys, var_name as env_var_name};
pub use error::{ConfigError, InvalidConfig, InvalidKind};
pub use file::ConfigFile;
pub use load::{FILE_NAME, LoadOptions, Loaded, discover, load, parse, repo_root};
pub use settings::{
    AuditSettings, DEFAULT_BASELINE, DEFAULT_FAIL_ON, DEFAULT_TAG_PATTERN, EvidenceSettings,
    GateSettings, LicenseSettings, NotesSettings, ProductSettings, SbomSettings, Secrets, Settings,
    SignSettings,
};
pub use suggest::nearest as suggest_nearest;
