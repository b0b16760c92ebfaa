//! Vocabulary shared by every crabox step: severities, finding levels and codes, secrets.
//!
//! This crate is pure data and pure functions over it: no I/O, no printing, no configuration.

pub mod codes;
pub mod component;
pub mod cra;
mod date;
pub mod digest;
pub mod encoding;
pub mod env;
pub mod file_name;
pub mod purl;
mod secret;
mod severity;
mod step;

pub use codes::Code;
pub use date::{Date, ParseDateError, Timestamp, parse_http_date, rfc3339, unix_now};
pub use secret::{REDACTED, SecretString};
pub use severity::{Level, ParseSeverityError, Severity};
pub use step::{Reason, Step, StepName};

/// An error and its sources on one line (`a: b: c`), for where an error becomes text.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
