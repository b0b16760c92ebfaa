//! One module per subcommand; each takes the [`Context`] and its arguments and returns the exit
//! status.

mod audit;
mod bundle;
mod config;
mod db;
mod gate;
mod init;
mod notes;
mod publish;
mod sbom;
mod sign;
mod verify;
mod watch;

use crabox_cli::Command;

use crate::{Context, ExitStatus};

pub fn run(context: &Context, command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Init(args) => init::run(context, &args),
        Command::Config(args) => config::run(context, &args),
        Command::Sbom(args) => sbom::run(context, &args),
        Command::Audit(args) => audit::run(context, &args),
        Command::Db(args) => db::run(context, &args),
        Command::Sign(args) => sign::run(context, &args),
        Command::Verify(args) => verify::run(context, &args),
        Command::Gate(args) => gate::run(context, &args),
        Command::Notes(args) => notes::run(context, &args),
        Command::Bundle(args) => bundle::run(context, &args),
        Command::Publish(args) => publish::run(context, &args),
        Command::Watch(args) => watch::run(context, &args),
    }
}
