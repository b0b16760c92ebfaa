//! Logs go to stderr through `tracing`: `warning: …` lines for people, more with `-v`, less with
//! `-q`, any filter with `CRABOX_LOG`.

use std::fmt;

use anstyle::{AnsiColor, Effects, Style};
use crabox_config::EnvVars;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::Context;

/// The filter for `-v`/`-q` counts.
pub fn filter_for(verbose: u8, quiet: u8) -> &'static str {
    match (verbose, quiet) {
        (0, 0) => "warn,crabox=info",
        (1, _) => "info,crabox=debug,crabox_config=debug,crabox_git=debug,crabox_report=debug",
        (2.., _) => "trace",
        (0, 1) => "error",
        (0, 2..) => "off",
    }
}

struct Human {
    color: bool,
    /// In GitHub Actions: a log line that could hold a workflow command is made inert.
    actions: bool,
}

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = *event.metadata().level();
        let (label, color) = match level {
            Level::ERROR => ("error", AnsiColor::Red),
            Level::WARN => ("warning", AnsiColor::Yellow),
            Level::INFO => ("info", AnsiColor::Green),
            Level::DEBUG => ("debug", AnsiColor::Blue),
            Level::TRACE => ("trace", AnsiColor::Magenta),
        };
        let style = if self.color {
            color.on_default().effects(Effects::BOLD)
        } else {
            Style::new()
        };
        // Formatted whole first: log messages carry data (names, paths, commit messages).
        let mut line = String::new();
        let mut buffer = Writer::new(&mut line);
        write!(buffer, "{style}{label}{style:#}: ")?;
        if level >= Level::DEBUG {
            write!(buffer, "[{}] ", event.metadata().target())?;
        }
        ctx.format_fields(buffer.by_ref(), event)?;
        writeln!(buffer)?;
        if self.actions {
            writer.write_str(&crabox_report::github::inert(&line))
        } else {
            writer.write_str(&line)
        }
    }
}

/// Installs the subscriber. Safe to call more than once (tests run many commands in one process).
pub fn init(context: &Context) {
    let filter = context
        .env
        .var(EnvVars::CRABOX_LOG)
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| {
            EnvFilter::new(filter_for(context.global.verbose, context.global.quiet))
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(context.color_stderr)
        .event_format(Human {
            color: context.color_stderr,
            actions: context.actions.is_some(),
        })
        .try_init();
}
