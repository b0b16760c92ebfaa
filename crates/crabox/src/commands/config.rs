//! `crabox config`: the resolved settings (secrets redacted), or the JSON Schema of the file.

use std::fmt::Write as _;

use crabox_cli::{ConfigArgs, Format};
use serde::Serialize;

use crate::{Context, ExitStatus, UsageError};

/// Version of the `--format json` shape.
const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Resolved<'a> {
    schema_version: u32,
    config_file: Option<String>,
    env_overrides: &'a [String],
    product_from: Option<String>,
    settings: &'a crabox_config::Settings,
}

pub fn run(context: &Context, args: &ConfigArgs) -> anyhow::Result<ExitStatus> {
    if args.schema {
        let mut text = serde_json::to_string_pretty(&crabox_config::schema::json_schema())?;
        text.push('\n');
        context.print(&text)?;
        return Ok(ExitStatus::Success);
    }
    let loaded = context.load_config()?;
    let config_file = loaded.file.as_deref().map(|p| context.display_path(p));
    let product_from = loaded
        .product_from
        .as_deref()
        .map(|p| context.display_path(p));
    match context.global.format {
        Format::Json => {
            let resolved = Resolved {
                schema_version: SCHEMA_VERSION,
                config_file: config_file.clone(),
                env_overrides: &loaded.env_overrides,
                product_from,
                settings: &loaded.settings,
            };
            let mut text = serde_json::to_string_pretty(&resolved)?;
            text.push('\n');
            context.print(&text)?;
        }
        Format::Human | Format::Markdown => {
            let mut header = String::new();
            let source = config_file.as_deref().unwrap_or("none found (defaults)");
            let _ = writeln!(header, "# crabox configuration, resolved");
            let _ = writeln!(header, "# file: {source}");
            if !loaded.env_overrides.is_empty() {
                let _ = writeln!(header, "# environment: {}", loaded.env_overrides.join(", "));
            }
            if let Some(from) = &product_from {
                let _ = writeln!(header, "# product name/version from: {from}");
            }
            let body = toml::to_string(&loaded.settings)?;
            let text = if context.global.format == Format::Markdown {
                format!("```toml\n{header}\n{body}```\n")
            } else {
                format!("{header}\n{body}")
            };
            context.print(&text)?;
        }
        Format::Sarif | Format::Junit => {
            return Err(UsageError::new(format!(
                "`crabox config` has no {} output",
                context.global.format.as_str()
            ))
            .with_hint("use --format human, json or markdown")
            .into());
        }
    }
    if let Some(actions) = &context.actions {
        actions.set_output("config-file", config_file.as_deref().unwrap_or(""))?;
    }
    Ok(ExitStatus::Success)
}
