//! From errors to what the user sees and the exit status: configuration errors as located
//! diagnostics (exit 2), usage errors (exit 2), a closed stdout (exit 0), anything else as
//! `error:` with its `caused by:` chain (exit 3).

use std::fmt::Write as _;
use std::io::Write as _;

use crabox_config::{ConfigError, InvalidConfig, InvalidKind};
use crabox_report::{Finding, Location, SourceSpan, github};
use crabox_types::codes;

use crate::{Context, ExitStatus};

/// The command line asks for something that cannot be done; exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            hint: None,
        }
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Findings that stop a command before it runs (`crabox init` refusing to overwrite); exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) stopped the command", findings.len())]
pub struct Refused {
    pub findings: Vec<Finding>,
}

/// Prints a clap error or help text; `--help` and `--version` exit 0, usage errors 2.
pub fn clap_error(err: &clap::Error) -> ExitStatus {
    let printed = err.print();
    if printed
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        return ExitStatus::Success;
    }
    if err.use_stderr() {
        ExitStatus::Usage
    } else {
        ExitStatus::Success
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The finding for a configuration error, located in the file.
pub fn config_finding(err: &ConfigError, context: Option<&Context>) -> Option<Finding> {
    match err {
        ConfigError::Invalid(invalid) => Some(invalid_finding(invalid, context)),
        ConfigError::Env {
            var,
            message,
            help,
            key,
        } => {
            let mut finding = Finding::error(
                codes::CONFIG_INVALID_ENV,
                format!("environment variable `{var}`: {message}"),
            );
            if !key.is_empty() {
                finding = finding.with_note(format!("`{var}` sets `{key}` of crabox.toml"));
            }
            if let Some(help) = help {
                finding = finding.with_help(help.clone());
            }
            Some(finding)
        }
        ConfigError::Read { .. } => None,
    }
}

fn invalid_finding(invalid: &InvalidConfig, context: Option<&Context>) -> Finding {
    let code = match invalid.kind {
        InvalidKind::Syntax => codes::CONFIG_INVALID_TOML,
        InvalidKind::UnknownKey => codes::CONFIG_UNKNOWN_KEY,
        InvalidKind::InvalidValue => codes::CONFIG_INVALID_VALUE,
        InvalidKind::MissingKey => codes::CONFIG_MISSING_KEY,
    };
    let file = context.map_or_else(
        || invalid.path.to_string_lossy().into_owned(),
        |c| c.display_path(&invalid.path),
    );
    let location =
        Location::line(file, invalid.line, Some(invalid.column)).with_source(SourceSpan {
            text: invalid.source_text.clone(),
            span: invalid.span.clone(),
            label: invalid.label.clone(),
        });
    let mut finding = Finding::error(code, invalid.message.clone()).with_location(location);
    if let Some(help) = &invalid.help {
        finding = finding.with_help(help.clone());
    }
    finding
}

pub(crate) fn emit(findings: &[Finding], context: Option<&Context>) {
    let color = context.is_some_and(|c| c.color_stderr);
    let actions = context.is_some_and(|c| c.actions.is_some());
    let mut text = String::new();
    for finding in findings {
        let human = format!(
            "{}\n\n",
            crabox_report::render::human_finding(finding, color)
        );
        if actions {
            // The finding's text is data; only the annotation crabox writes is a command
            // (escaped onto one line).
            text.push_str(&github::inert(&human));
            // Workflow commands are read from stderr too; stdout stays data only.
            let _ = writeln!(text, "{}", github::annotation(finding));
        } else {
            text.push_str(&human);
        }
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Reports an error on stderr and returns the exit status it calls for.
pub fn report(err: &anyhow::Error, context: Option<&Context>) -> ExitStatus {
    if is_broken_pipe(err) {
        return ExitStatus::Success;
    }
    if let Some(config) = err.downcast_ref::<ConfigError>()
        && let Some(finding) = config_finding(config, context)
    {
        emit(&[finding], context);
        return ExitStatus::Usage;
    }
    if let Some(refused) = err.downcast_ref::<Refused>() {
        emit(&refused.findings, context);
        return ExitStatus::Usage;
    }
    let color = context.is_some_and(|c| c.color_stderr);
    let (red, bold) = if color {
        (
            anstyle::AnsiColor::Red
                .on_default()
                .effects(anstyle::Effects::BOLD),
            anstyle::Style::new().effects(anstyle::Effects::BOLD),
        )
    } else {
        (anstyle::Style::new(), anstyle::Style::new())
    };
    let mut text = format!("{red}error{red:#}: {err}\n");
    for cause in err.chain().skip(1) {
        let _ = writeln!(text, "  {bold}caused by{bold:#}: {cause}");
    }
    let usage = err.downcast_ref::<UsageError>();
    // A pipeline step refused its input: the command line or the configuration asks for
    // something that cannot be done.
    let refused = err.downcast_ref::<crabox_pipeline::Error>();
    let hint = usage
        .and_then(|u| u.hint.clone())
        .or_else(|| refused.and_then(crabox_pipeline::Error::hint));
    if let Some(hint) = hint {
        let _ = writeln!(text, "  {bold}hint{bold:#}: {hint}");
    }
    let is_config_read = matches!(
        err.downcast_ref::<ConfigError>(),
        Some(ConfigError::Read { .. })
    );
    if context.is_some_and(|c| c.actions.is_some()) {
        text = github::inert(&text).into_owned();
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    if usage.is_some() || refused.is_some() || is_config_read {
        ExitStatus::Usage
    } else {
        ExitStatus::Error
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;

    fn rendered(text: &str) -> Option<String> {
        let err = crabox_config::parse(Path::new("crabox.toml"), text).err()?;
        let finding = config_finding(&err, None)?;
        Some(crabox_report::render::human_finding(&finding, false))
    }

    #[test]
    fn edge_spans_render() {
        for text in [
            "[product",
            "x = ",
            "\"é\" = 1",
            "[product]\nname = 'a'\nname = 'b'",
            "a = [1,\n",
        ] {
            let out = rendered(text).unwrap();
            assert!(out.contains("crabox.toml:"), "{text:?}: {out}");
        }
    }

    proptest! {
        #[test]
        fn any_config_error_renders(text in "[\\[\\]{}=a-z.'\" é\n-]{0,40}") {
            let _ = rendered(&text);
        }
    }
}
