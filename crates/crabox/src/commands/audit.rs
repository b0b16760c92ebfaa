//! `crabox audit`: the packages the SBOM catalogers find, matched against RustSec and OSV
//! databases (`--db`), judged by `[audit] ignore`, OpenVEX statements and `--fail-on`; exit 1
//! when an open vulnerability is at or above the threshold or an ignore has expired.

use crabox_audit::Kind;
use crabox_audit::policy::Status;
use crabox_audit::render;
use crabox_cli::{AuditArgs, FailOn, Format};
use crabox_pipeline::{Step, assess};
use crabox_report::atomic;
use crabox_types::Severity;

use crate::progress::Spinners;
use crate::{Context, ExitStatus, UsageError};

/// `--fail-on` as the pipeline takes it: `None` leaves `[audit] fail-on`.
fn fail_on(arg: Option<FailOn>) -> assess::FailOn {
    arg.map(|f| match f {
        FailOn::None => None,
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
    })
}

pub fn run(context: &Context, args: &AuditArgs) -> anyhow::Result<ExitStatus> {
    if context.global.format == Format::Junit {
        return Err(UsageError::new("`crabox audit` has no JUnit output")
            .with_hint("use --format human, json, markdown or sarif; `crabox gate --format junit` reports the audit as test cases")
            .into());
    }
    let (scope, repo, loaded) = context.scope(args.path.as_deref())?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    // The lockfiles first: a RustSec database then reads only the crates they pin.
    let inventory = crabox_pipeline::inventory::read(&run, "audit")?;
    let (databases, notices) = crabox_pipeline::databases::open(&run, &args.db, &[&inventory])?;
    context.emit(&notices);
    let databases = match databases {
        Step::Ran(databases) => databases,
        Step::NotRun(reason) => {
            let detail = match reason {
                crabox_pipeline::Reason::NoDatabase { detail } => detail,
                _ => None,
            };
            return Err(crabox_pipeline::Error::NoDatabase { detail }.into());
        }
    };
    let policy = assess::policy(&run, fail_on(args.fail_on), args.allow_unchecked)?;
    let assessment = assess::assess(&inventory, &databases, &policy);
    let outcome = &assessment.outcome;
    context.emit(&assess::notices(
        &run,
        &inventory,
        outcome,
        args.allow_unchecked,
        context.actions.is_some(),
    ));
    let infos = &databases.info;
    let text = match context.global.format {
        Format::Human => render::human(outcome, infos),
        Format::Json => render::json(outcome, infos),
        Format::Markdown => render::markdown(outcome, infos),
        Format::Sarif | Format::Junit => render::sarif(outcome, env!("CARGO_PKG_VERSION")),
    };
    context.print(&text)?;
    if let Some(file) = &args.openvex {
        let path = context.dir.join(file);
        let commit = repo.as_ref().and_then(|r| r.head_commit().ok().flatten());
        let time = crabox_pipeline::time::build_time(&run, commit.as_ref())?;
        match assess::openvex(&run, &databases, &assessment, time)? {
            Some(document) => {
                atomic::write(&path, document.as_bytes())?;
                tracing::info!("wrote {}", context.display_path(&path));
            }
            None if path.exists() => tracing::warn!(
                "no vulnerability found, so no OpenVEX statement: {} is left from an earlier run",
                context.display_path(&path)
            ),
            None => tracing::info!(
                "no vulnerability found: no OpenVEX document written (it needs a statement)"
            ),
        }
    }
    if let Some(actions) = &context.actions {
        actions.append_summary(&render::markdown(outcome, infos))?;
        let open = outcome
            .findings
            .iter()
            .filter(|(f, s)| *s == Status::Open && f.kind == Kind::Vulnerability)
            .count();
        actions.set_output("vulnerabilities", &open.to_string())?;
        actions.set_output("failed", if outcome.failed { "true" } else { "false" })?;
    }
    let status = if outcome.failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    // The process ends after this step: the packages, advisories and findings (thousands of
    // allocations on a large lockfile) go back to the system at exit instead of being freed one
    // by one first.
    std::mem::forget((inventory, databases, assessment));
    Ok(status)
}
