//! `crabox gate`: the security regression gate. The lockfiles and their audit against the policy
//! of `[gate]`, the baseline (the previous release's lockfiles read from git, or an earlier
//! evidence bundle), the security test commands, the repository and workflow checks, and the
//! hardening of `--artifact` binaries; exit 1 when any check fails. The checks are composed in
//! `crabox_pipeline::gate`; this module renders them.

use std::path::PathBuf;

use crabox_cli::{Format, GateArgs};
use crabox_gate::Outcome;

use crate::progress::Spinners;
use crate::{Context, ExitStatus};

pub fn run(context: &Context, args: &GateArgs) -> anyhow::Result<ExitStatus> {
    let (scope, repo, loaded) = context.scope(args.path.as_deref())?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let artifacts: Vec<PathBuf> = args.artifact.iter().map(|a| context.dir.join(a)).collect();
    let (report, notices) = crabox_pipeline::gate::standalone(
        &run,
        repo.as_ref(),
        args.baseline.as_deref(),
        &args.db,
        &artifacts,
    )?;
    context.emit(&notices);
    let text = match context.global.format {
        Format::Human => crabox_gate::render::human(&report),
        Format::Json => crabox_gate::render::json(&report),
        Format::Junit => crabox_gate::render::junit(&report),
        Format::Sarif => crabox_gate::render::sarif(&report, env!("CARGO_PKG_VERSION")),
        Format::Markdown => crabox_gate::render::markdown(&report),
    };
    context.print(&text)?;
    if let Some(actions) = &context.actions {
        // Annotations on the lines that fail or warn, the Markdown report as the job summary,
        // and the counts as step outputs.
        let findings: Vec<crabox_report::Finding> = report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
            .map(|c| {
                let level = if c.outcome == Outcome::Fail {
                    crabox_types::Level::Error
                } else {
                    crabox_types::Level::Warning
                };
                let mut finding = crabox_report::Finding::new(
                    c.code,
                    level,
                    format!("{}: {}", c.name, c.message),
                );
                finding.location = c.location.as_ref().map(|l| {
                    if l.line > 0 {
                        crabox_report::Location::line(&l.file, l.line, None)
                    } else {
                        crabox_report::Location::file(&l.file)
                    }
                });
                finding
            })
            .collect();
        context.emit(&findings);
        actions.append_summary(&crabox_gate::render::markdown(&report))?;
        actions.set_output("passed", if report.passed { "true" } else { "false" })?;
        actions.set_output("failures", &report.summary.fail.to_string())?;
        actions.set_output("warnings", &report.summary.warn.to_string())?;
    }
    Ok(if report.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
