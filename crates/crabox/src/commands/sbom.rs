//! `crabox sbom`: catalogs the repository's lockfiles and writes one SBOM (CycloneDX 1.6 or SPDX
//! 2.3 JSON) to `--output` or stdout. Entries that could not be read are warnings with their
//! lockfile line; the SBOM then says it is incomplete.

use crabox_cli::{SbomArgs, SbomFormatArg};
use crabox_config::file::SbomFormat;
use crabox_report::{Finding, atomic};
use crabox_sbom::Inventory;

use crate::progress::Spinners;
use crate::{Context, ExitStatus};

/// The job summary: one row per lockfile, then the warnings.
fn summary_markdown(inventory: &Inventory, findings: Vec<Finding>) -> String {
    use std::fmt::Write as _;
    let mut out =
        String::from("### crabox sbom\n\n| lockfile | packages | complete |\n|---|---:|---|\n");
    for lockfile in &inventory.lockfiles {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            crabox_report::render::markdown_escape(&lockfile.path),
            lockfile.packages.len(),
            if lockfile.complete { "yes" } else { "no" }
        );
    }
    out.push('\n');
    if !findings.is_empty() {
        let report = crabox_report::Report::new(
            crabox_report::Tool {
                name: "crabox".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            "sbom warnings",
            findings,
        );
        out.push_str(&crabox_report::render::markdown(&report));
    }
    out
}

pub fn run(context: &Context, args: &SbomArgs) -> anyhow::Result<ExitStatus> {
    let (scope, repo, loaded) = context.scope(args.path.as_deref())?;
    let settings = &loaded.settings;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let format = match args.sbom_format {
        Some(SbomFormatArg::CyclonedxJson) => SbomFormat::CyclonedxJson,
        Some(SbomFormatArg::SpdxJson) => SbomFormat::SpdxJson,
        Some(SbomFormatArg::Spdx3Json) => SbomFormat::Spdx3Json,
        None => settings
            .sbom
            .formats
            .first()
            .copied()
            .unwrap_or(SbomFormat::CyclonedxJson),
    };
    let artifact_paths = crabox_pipeline::sbom::artifact_paths(&run, &args.artifact);
    let (product, document) = crabox_pipeline::sbom::prepare(&run, repo.as_ref(), &artifact_paths)?;
    let inventory = crabox_pipeline::inventory::read_with(
        &run,
        "lockfiles",
        &crabox_pipeline::inventory::Inputs {
            images: &args.image,
            imports: &args.import,
            artifacts: &artifact_paths,
        },
    )?;
    let findings = crabox_pipeline::inventory::diagnostics(&inventory);
    context.emit(&findings);
    let packages: usize = inventory.lockfiles.iter().map(|l| l.packages.len()).sum();
    tracing::info!(
        "{} packages from {} lockfile(s){}",
        packages,
        inventory.lockfiles.len(),
        if inventory.complete() {
            ""
        } else {
            "; incomplete, see the warnings"
        }
    );

    // Written as it is serialized, never held whole (the SBOM of a 50 MB lockfile is four times
    // its size). A JSON document has no line a workflow command could start.
    match &args.output {
        Some(output) => {
            let path = context.dir.join(output);
            atomic::write_with(&path, atomic::WriteOptions::default(), |out| {
                crabox_sbom::write(format, &product, &inventory, &document, out)
            })?;
            tracing::info!("wrote {}", context.display_path(&path));
            if let Some(actions) = &context.actions {
                actions.set_output("sbom", &context.display_path(&path))?;
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            crabox_sbom::write(format, &product, &inventory, &document, &mut out)?;
            std::io::Write::flush(&mut out)?;
        }
    }
    if let Some(actions) = &context.actions {
        actions.append_summary(&summary_markdown(&inventory, findings))?;
        actions.set_output("components", &packages.to_string())?;
        actions.set_output(
            "complete",
            if inventory.complete() {
                "true"
            } else {
                "false"
            },
        )?;
    }
    Ok(ExitStatus::Success)
}
