//! `crabox bundle`: the evidence bundle of the repository, composed by
//! `crabox_pipeline::bundle`; this module turns the arguments into its options, prints where
//! the bundle went and sets the exit status (1 when a CRA requirement row fails).

use std::path::Path;

use crabox_cli::BundleArgs;

use crate::progress::Spinners;
use crate::{Context, ExitStatus};

pub fn run(context: &Context, args: &BundleArgs) -> anyhow::Result<ExitStatus> {
    let (scope, repo, loaded) = context.scope(args.path.as_deref())?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let options = crabox_pipeline::bundle::Options {
        release: args.release.clone(),
        out: context
            .dir
            .join(args.out.as_deref().unwrap_or(Path::new("crabox-evidence"))),
        artifacts: crabox_pipeline::sbom::artifact_paths(&run, &args.artifact),
        db: args.db.clone(),
        no_sign: args.no_sign,
        annotate: context.actions.is_some(),
    };
    let bundled = crabox_pipeline::bundle::run(&run, repo.as_ref(), &options)?;
    context.emit(&bundled.notices);
    let (directory, archive) = (
        context.display_path(&bundled.directory),
        context.display_path(&bundled.archive),
    );
    context.print(&format!("{directory}\n{archive}\n"))?;
    if let Some(actions) = &context.actions {
        let report = &bundled.report;
        actions.append_summary(&report.to_markdown())?;
        actions.set_output("bundle", &directory)?;
        actions.set_output("archive", &archive)?;
        actions.set_output("signed", if bundled.signed { "true" } else { "false" })?;
        for (name, count) in [
            ("pass", report.summary.pass),
            ("fail", report.summary.fail),
            ("missing", report.summary.missing),
        ] {
            actions.set_output(name, &count.to_string())?;
        }
    }
    Ok(if bundled.failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
