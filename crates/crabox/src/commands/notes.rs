//! `crabox notes`: the release notes of a git range. The range ends at `--to` (HEAD) and starts
//! at `--from` or the previous release tag; its commits are grouped by Conventional Commit type;
//! the security section compares the assessments of the lockfiles at both ends (read from git
//! objects, not from a checkout). Also the release's CSAF 2.0 documents and OpenVEX. The notes
//! are composed in `crabox_pipeline::notes`; this module writes them.

use std::path::PathBuf;

use crabox_cli::NotesArgs;
use crabox_pipeline::notes;
use crabox_report::atomic;

use crate::progress::Spinners;
use crate::{Context, ExitStatus};

pub fn run(context: &Context, args: &NotesArgs) -> anyhow::Result<ExitStatus> {
    let (scope, repo, loaded) = context.scope(args.path.as_deref())?;
    let Some(repo) = repo else {
        return Err(crabox_pipeline::Error::NotARepository { command: "notes" }.into());
    };
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let (prepared, notices) = notes::compose(
        &run,
        &repo,
        args.from.as_deref(),
        args.to.as_deref(),
        &args.db,
    )?;
    context.emit(&notices);
    let advisories = args.csaf_dir.is_some() || args.openvex.is_some();
    let documents = notes::documents(
        &loaded.settings,
        &scope.root,
        &prepared,
        args.context,
        advisories,
    )?;
    if let Some(dir) = &args.csaf_dir {
        let dir = context.dir.join(dir);
        if documents.csaf.is_empty() {
            tracing::warn!(
                "no CSAF document: no vulnerability is known in this release or the previous one"
            );
        }
        for (name, json) in &documents.csaf {
            let path: PathBuf = atomic::write_under(&dir, name, json.as_bytes())?;
            tracing::info!("wrote {}", context.display_path(&path));
        }
    }
    if let Some(file) = &args.openvex {
        match &documents.openvex {
            Some(json) => atomic::write(&context.dir.join(file), json.as_bytes())?,
            None => tracing::warn!(
                "no OpenVEX document: no vulnerability is known in this release or the previous one"
            ),
        }
    }
    match &args.output {
        Some(output) => atomic::write(&context.dir.join(output), documents.notes.as_bytes())?,
        None => context.print(&documents.notes)?,
    }
    if let Some(actions) = &context.actions {
        let security = &prepared.release.security;
        actions.append_summary(&documents.notes)?;
        actions.set_output("version", &prepared.release.version)?;
        actions.set_output(
            "previous-tag",
            prepared.release.previous_tag.as_deref().unwrap_or(""),
        )?;
        actions.set_output("fixed", &security.fixed.len().to_string())?;
        actions.set_output("open", &security.open.len().to_string())?;
        if let Some(output) = &args.output {
            actions.set_output("notes", &context.display_path(&context.dir.join(output)))?;
        }
    }
    Ok(ExitStatus::Success)
}
