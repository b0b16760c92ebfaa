//! The crabox binary's library: parses the command line, sets up logging, runs one step and
//! turns its outcome into an exit status. This is the only crate that prints, exits or composes
//! steps.

mod commands;
mod context;
mod errors;
mod exit;
mod logging;
pub mod progress;

use std::process::ExitCode;

use clap::Parser;
use crabox_cli::Cli;

pub use context::{Context, Env};
pub use errors::UsageError;
pub use exit::ExitStatus;

/// Runs crabox with the process's arguments and environment.
pub fn main() -> ExitCode {
    let env = Env::from_process();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return errors::clap_error(&err).into(),
    };
    run(cli, env).into()
}

/// Runs one parsed command line.
pub fn run(cli: Cli, env: Env) -> ExitStatus {
    let context = match Context::new(cli.global, env) {
        Ok(context) => context,
        Err(err) => return errors::report(&err, None),
    };
    logging::init(&context);
    match commands::run(&context, cli.command) {
        Ok(status) => status,
        Err(err) => errors::report(&err, Some(&context)),
    }
}
