//! `crabox db update` and `crabox db status`: the advisory databases of `[audit] sources` in the
//! cache directory.

use std::fmt::Write as _;

use crabox_audit::store::{State, Store};
use crabox_cli::{DbArgs, DbCommand, Format};
use crabox_pipeline::databases::{
    self, STALE_DAYS, age_days, missing_source, source_names, stale_warning, store,
};
use crabox_report::Finding;
use crabox_report::render::markdown_escape as escape_cell;
use crabox_types::codes;

use crate::progress::Spinners;
use crate::{Context, ExitStatus, UsageError};

pub fn run(context: &Context, args: &DbArgs) -> anyhow::Result<ExitStatus> {
    match args.command {
        DbCommand::Update => update(context),
        DbCommand::Status => status(context),
    }
}

fn update(context: &Context) -> anyhow::Result<ExitStatus> {
    let (scope, _, loaded) = context.scope(None)?;
    let settings = &loaded.settings;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    if settings.offline {
        return Err(UsageError::new(
            "`crabox db update` fetches databases, and --offline forbids the network",
        )
        .with_hint(
            "drop --offline (or CRABOX_OFFLINE), or audit with the cached copies or --db PATH",
        )
        .into());
    }
    let store = store(&run)?;
    let mut failures = Vec::new();
    let mut updated = Vec::new();
    for name in source_names(settings) {
        let started = std::time::Instant::now();
        let result = databases::update(&run, &store, &name);
        match result {
            Ok(state) => {
                tracing::info!(
                    "{name}: {} advisories ({:.1} s)",
                    state.records,
                    started.elapsed().as_secs_f64()
                );
                updated.push(state);
            }
            Err(err) => failures.push(
                Finding::error(codes::DB_UPDATE_FAILED, err.to_string())
                    .with_help("the previous copy, if any, stays current"),
            ),
        }
    }
    context.emit(&failures);
    context.print(&render(&store, &store.states(), context.global.format)?)?;
    Ok(if failures.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    })
}

fn status(context: &Context) -> anyhow::Result<ExitStatus> {
    let (scope, _, loaded) = context.scope(None)?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let store = store(&run)?;
    let states = store.states();
    let mut notices: Vec<Finding> = states.iter().filter_map(stale_warning).collect();
    for name in source_names(&loaded.settings) {
        if !states.iter().any(|s| s.name == name) {
            notices.push(missing_source(&name, false));
        }
    }
    context.emit(&notices);
    context.print(&render(&store, &states, context.global.format)?)?;
    Ok(ExitStatus::Success)
}

/// The commit, or the content id, abbreviated to 12 hex digits.
fn version(state: &State) -> String {
    match &state.commit {
        Some(commit) => commit.chars().take(12).collect(),
        None => state.id.chars().take("sha256:".len() + 12).collect(),
    }
}

fn date(seconds: i64) -> String {
    crabox_types::rfc3339(seconds).unwrap_or_else(|| seconds.to_string())
}

fn render(store: &Store, states: &[State], format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => {
            let sources: Vec<serde_json::Value> = states
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "name": s.name,
                        "origin": s.origin,
                        "path": store.path(s),
                        "commit": s.commit,
                        "id": s.id,
                        "date": date(s.date),
                        "fetched": date(s.fetched),
                        "records": s.records,
                        "age_days": age_days(s),
                        "stale": age_days(s) > STALE_DAYS,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(
                &serde_json::json!({ "schema_version": 1, "sources": sources }),
            )?;
            text.push('\n');
            text
        }
        Format::Markdown => {
            let mut text = String::from(
                "| source | origin | version | date | records | age |\n|---|---|---|---|---:|---:|\n",
            );
            for s in states {
                let _ = writeln!(
                    text,
                    "| {} | {} | `{}` | {} | {} | {} days |",
                    escape_cell(&s.name),
                    escape_cell(&s.origin),
                    version(s),
                    date(s.date),
                    s.records,
                    age_days(s)
                );
            }
            text
        }
        Format::Human => {
            if states.is_empty() {
                return Ok(
                    "no advisory database in the cache: run `crabox db update`\n".to_owned(),
                );
            }
            let rows: Vec<[String; 6]> = states
                .iter()
                .map(|s| {
                    [
                        s.name.clone(),
                        version(s),
                        date(s.date),
                        s.records.to_string(),
                        format!("{} days", age_days(s)),
                        s.origin.clone(),
                    ]
                })
                .collect();
            table(
                &["SOURCE", "VERSION", "DATE", "RECORDS", "AGE", "ORIGIN"],
                &rows,
            )
        }
        Format::Sarif | Format::Junit => {
            return Err(
                UsageError::new(format!("`crabox db` has no {} output", format.as_str()))
                    .with_hint("use --format human, json or markdown")
                    .into(),
            );
        }
    })
}

/// A plain text table with columns padded to their widest cell.
fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}
