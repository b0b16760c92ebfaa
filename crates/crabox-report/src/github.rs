//! GitHub Actions output: step outputs (`$GITHUB_OUTPUT`), the job summary
//! (`$GITHUB_STEP_SUMMARY`, capped at 1 MiB) and workflow-command annotations.
//!
//! Only active when `GITHUB_ACTIONS=true`; the caller passes the environment in, so that tests
//! never depend on the process environment.

use crabox_types::env::EnvVars;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crabox_types::Level;

use crate::Finding;

/// GitHub's limit for one step's summary file.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// The note that ends a summary cut at [`SUMMARY_LIMIT`].
pub const TRUNCATION_NOTE: &str = "\n\n> [!WARNING]\n> This summary was cut at GitHub's 1 MiB limit; the complete report is in the step's output files.\n";

/// The GitHub Actions files of the running step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actions {
    output: Option<PathBuf>,
    summary: Option<PathBuf>,
}

/// What [`Actions::append_summary`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryWrite {
    /// No `$GITHUB_STEP_SUMMARY` is set.
    Skipped,
    Written,
    /// The text did not fit and was cut, with [`TRUNCATION_NOTE`] at the end.
    Truncated,
}

impl Actions {
    /// The Actions context when `GITHUB_ACTIONS=true`, reading variables through `var`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<Actions> {
        if var(EnvVars::GITHUB_ACTIONS).as_deref() != Some("true") {
            return None;
        }
        let path = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Some(Actions {
            output: path(EnvVars::GITHUB_OUTPUT),
            summary: path(EnvVars::GITHUB_STEP_SUMMARY),
        })
    }

    /// Appends `name=value` to `$GITHUB_OUTPUT`, in the `name<<DELIMITER` form (safe for any
    /// value, multi-line included).
    pub fn set_output(&self, name: &str, value: &str) -> std::io::Result<()> {
        let Some(path) = &self.output else {
            return Ok(());
        };
        append(path, output_entry(name, value).as_bytes())
    }

    /// Appends Markdown to the job summary, cut at a line boundary so that the file stays within
    /// [`SUMMARY_LIMIT`] together with what earlier steps of the job wrote to it.
    pub fn append_summary(&self, markdown: &str) -> std::io::Result<SummaryWrite> {
        let Some(path) = &self.summary else {
            return Ok(SummaryWrite::Skipped);
        };
        let existing = match fs_err::metadata(path) {
            Ok(meta) => usize::try_from(meta.len()).unwrap_or(usize::MAX),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => 0,
            Err(err) => return Err(err),
        };
        let room = SUMMARY_LIMIT.saturating_sub(existing);
        let (text, outcome) = fit_summary(markdown, room);
        append(path, text.as_bytes())?;
        Ok(outcome)
    }
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// One `$GITHUB_OUTPUT` entry with a delimiter that occurs nowhere in the value.
pub fn output_entry(name: &str, value: &str) -> String {
    let state = RandomState::new();
    let mut salt = 0u64;
    let delimiter = loop {
        let candidate = format!("ghadelimiter_{:016x}", state.hash_one((value, salt)));
        if !value.contains(&candidate) && !name.contains(&candidate) {
            break candidate;
        }
        salt += 1;
    };
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// The part of `markdown` that fits in `room` bytes, with the truncation note when cut.
fn fit_summary(markdown: &str, room: usize) -> (String, SummaryWrite) {
    if markdown.len() <= room {
        return (markdown.to_owned(), SummaryWrite::Written);
    }
    let budget = room.saturating_sub(TRUNCATION_NOTE.len());
    let mut cut = budget.min(markdown.len());
    while !markdown.is_char_boundary(cut) {
        cut -= 1;
    }
    // Prefer a line boundary, so a table row or code fence line is never half written.
    if let Some(newline) = markdown[..cut].rfind('\n') {
        cut = newline + 1;
    }
    if room < TRUNCATION_NOTE.len() {
        return (String::new(), SummaryWrite::Truncated);
    }
    let mut text = markdown[..cut].to_owned();
    text.push_str(TRUNCATION_NOTE);
    (text, SummaryWrite::Truncated)
}

/// Whether the runner could read a workflow command from `text`: a line that starts with `::`
/// once trimmed (as the runner trims it), or that holds the old `##[` form anywhere.
fn could_command(text: &str) -> bool {
    text.lines()
        .any(|line| line.trim_start().starts_with("::") || line.contains("##["))
}

/// A token for `::stop-commands::`: 128 bits from the standard library's per-process random
/// hash keys (seeded by the operating system), so data cannot guess it to resume commands.
pub fn stop_token() -> String {
    let state = RandomState::new();
    format!(
        "crabox-{:016x}{:016x}",
        state.hash_one(0x5eed_u64),
        RandomState::new().hash_one(std::process::id())
    )
}

/// `text` made inert for the runner: unchanged when no line could be a workflow command,
/// otherwise between `::stop-commands::TOKEN` and `::TOKEN::` (GitHub's way to print untrusted
/// data), so that nothing crabox prints from data (commit messages, names, configuration
/// values) is run as a command.
pub fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    if !could_command(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let token = stop_token();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    std::borrow::Cow::Owned(format!(
        "::stop-commands::{token}\n{text}{newline}::{token}::\n"
    ))
}

/// Escapes the message of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`file=`, `title=`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command that annotates a finding (`::error file=…,line=…::message`).
pub fn annotation(finding: &Finding) -> String {
    let command = match finding.level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    };
    let mut properties = Vec::new();
    if let Some(location) = &finding.location {
        let file = location.file.to_string_lossy().replace('\\', "/");
        properties.push(format!("file={}", escape_property(&file)));
        if let Some(line) = location.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = location.column {
            properties.push(format!("col={column}"));
        }
    }
    properties.push(format!("title={}", escape_property(finding.code.id())));
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crabox_types::codes;

    use super::*;
    use crate::Location;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn inactive_outside_actions() {
        assert_eq!(Actions::from_env(env(&[])), None);
        assert_eq!(Actions::from_env(env(&[("GITHUB_ACTIONS", "false")])), None);
        assert!(Actions::from_env(env(&[("GITHUB_ACTIONS", "true")])).is_some());
    }

    #[test]
    fn outputs_use_a_delimiter_absent_from_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let path = out.to_str().unwrap();
        let actions =
            Actions::from_env(env(&[("GITHUB_ACTIONS", "true"), ("GITHUB_OUTPUT", path)])).unwrap();
        actions.set_output("count", "3").unwrap();
        actions.set_output("paths", "a\nb\nghadelimiter_x").unwrap();
        let written = fs_err::read_to_string(&out).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 8, "{written}");
        let delimiter = lines[0].strip_prefix("count<<").unwrap();
        assert_eq!((lines[1], lines[2]), ("3", delimiter));
        let delimiter = lines[3].strip_prefix("paths<<").unwrap();
        assert_eq!(&lines[4..7], ["a", "b", "ghadelimiter_x"]);
        assert_eq!(lines[7], delimiter);
        assert_ne!(delimiter, "ghadelimiter_x");
    }

    #[test]
    fn summary_is_capped_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let summary = dir.path().join("summary.md");
        let path = summary.to_str().unwrap();
        let actions = Actions::from_env(env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", path),
        ]))
        .unwrap();
        assert_eq!(
            actions.append_summary("# small\n").unwrap(),
            SummaryWrite::Written
        );
        let row = "| é | some long cell text that repeats |\n";
        let big = row.repeat(SUMMARY_LIMIT / row.len() + 100);
        assert_eq!(
            actions.append_summary(&big).unwrap(),
            SummaryWrite::Truncated
        );
        let written = fs_err::read_to_string(&summary).unwrap();
        assert!(written.len() <= SUMMARY_LIMIT, "{} bytes", written.len());
        assert!(written.starts_with("# small\n"));
        assert!(written.ends_with(TRUNCATION_NOTE));
        let body = &written[..written.len() - TRUNCATION_NOTE.len()];
        assert!(body.ends_with(row), "cut mid-line");
        // A full file takes nothing more but the step still succeeds.
        assert_eq!(
            actions.append_summary(&big).unwrap(),
            SummaryWrite::Truncated
        );
        assert!(fs_err::metadata(&summary).unwrap().len() <= SUMMARY_LIMIT as u64);
    }

    #[test]
    fn annotations_escape_properties_and_data() {
        let f = Finding::error(codes::CONFIG_UNKNOWN_KEY, "100% bad\r\nsecond line")
            .with_location(Location::line("dir,a:b/crabox.toml", 2, Some(5)))
            .with_help("did you mean `name`?");
        assert_eq!(
            annotation(&f),
            "::error file=dir%2Ca%3Ab/crabox.toml,line=2,col=5,title=config-unknown-key::100%25 bad%0D%0Asecond line%0Ahelp: did you mean `name`?"
        );
        let w = Finding::warning(codes::CONFIG_INVALID_VALUE, "x");
        assert_eq!(annotation(&w), "::warning title=config-invalid-value::x");
    }

    #[test]
    fn data_that_could_be_a_command_is_made_inert() {
        for text in [
            "::warning::x\n",
            "notes\n  ::set-output name=a::b",
            "a line with ##[error] inside\n",
        ] {
            let out = inert(text);
            let lines: Vec<&str> = out.lines().collect();
            let token = lines[0].strip_prefix("::stop-commands::").unwrap();
            assert!(token.len() > 30, "{token}");
            assert_eq!(lines.last().unwrap(), &format!("::{token}::"));
            assert!(out.contains(text.trim_end()));
        }
        assert_eq!(inert("plain: text\n a::b\n"), "plain: text\n a::b\n");
        assert_ne!(stop_token(), stop_token());
    }
}
