//! `crabox watch SOURCE...`: every supported release's SBOM re-audited against today's
//! databases, and what changed since its bundle was made. Exit 1 when a supported release has a
//! new exploited or critical vulnerability, or a source could not be used (a tampered bundle).

use anyhow::Context as _;
use crabox_cli::{Format, WatchArgs};
use crabox_pipeline::watch;
use crabox_report::atomic;

use crate::progress::Spinners;
use crate::{Context, ExitStatus, UsageError};

pub fn run(context: &Context, args: &WatchArgs) -> anyhow::Result<ExitStatus> {
    if context.global.format == Format::Junit {
        return Err(UsageError::new("`crabox watch` has no JUnit output")
            .with_hint("use --format human, json, markdown or sarif")
            .into());
    }
    let shard = match &args.shard {
        Some(text) => Some(
            watch::parse_shard(text).map_err(|why| UsageError::new(format!("--shard {why}")))?,
        ),
        None => None,
    };
    let (scope, _repo, loaded) = context.scope(None)?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let (paths, registries) = paths_and_registries(context, &run, args);
    let sources =
        watch::discover(&paths, &registries).map_err(|e| UsageError::new(format!("{e:#}")))?;
    let sources = match shard {
        Some(shard) => watch::shard(sources, shard),
        None => sources,
    };
    tracing::info!("watching {} source(s)", sources.len());
    let sources: Vec<_> = sources
        .into_iter()
        .map(|source| {
            let shown = match source.path() {
                Some(path) => context.display_path(path),
                None => source.shown().unwrap_or_default(),
            };
            (shown, source)
        })
        .collect();
    let kev_path = args.kev.as_ref().map(|p| context.dir.join(p)).or_else(|| {
        run.settings()
            .evidence
            .kev_catalog
            .as_ref()
            .map(|p| run.scope.root.join(p))
    });
    let kev = match &kev_path {
        Some(path) => {
            let text = fs_err::read_to_string(path)?;
            Some(crabox_evidence::article14::read_kev(
                &context.display_path(path),
                &text,
            )?)
        }
        None => {
            tracing::warn!(
                "no KEV catalogue (--kev FILE or `[evidence] kev-catalog`): active exploitation NOT checked"
            );
            None
        }
    };
    let state_path = context.dir.join(&args.state);
    let mut state = watch::State::read(&state_path)?;
    let result = watch::watch(
        &run,
        &args.db,
        &sources,
        kev.as_ref(),
        &mut state,
        args.shard.clone(),
        &registries,
    )?;
    if let Some(out) = &args.out {
        write_documents(context, &run, &context.dir.join(out), &result, kev.as_ref())?;
    }
    atomic::write(&state_path, state.to_json().as_bytes())
        .with_context(|| format!("could not write {}", context.display_path(&state_path)))?;
    let text = match context.global.format {
        Format::Json => serde_json::to_string_pretty(&result)? + "\n",
        Format::Markdown => watch::markdown(&result),
        Format::Sarif => watch::sarif(&result),
        Format::Human | Format::Junit => watch::human(&result),
    };
    context.print(&text)?;
    if let Some(actions) = &context.actions {
        actions.append_summary(&watch::markdown(&result))?;
        actions.set_output("failed", if result.failed() { "true" } else { "false" })?;
    }
    Ok(if result.failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// `--out DIR`: per release with something new, its VEX document and Article 14 drafts.
fn write_documents(
    context: &Context,
    run: &crabox_pipeline::Run<'_>,
    out: &std::path::Path,
    result: &watch::Watch,
    kev: Option<&std::collections::BTreeMap<String, crabox_types::Date>>,
) -> anyhow::Result<()> {
    let settings = run.settings();
    let product = run.product_name();
    let meta = watch::DocumentsMeta {
        publisher: crabox_pipeline::notes::publisher(settings, &product, None),
        member_state: settings.product.member_state.clone(),
    };
    let documents = watch::documents(result, kev, &meta);
    for (relative, text) in &documents {
        atomic::write_under(out, relative, text.as_bytes())?;
    }
    tracing::info!(
        "wrote {} document(s) under {}",
        documents.len(),
        context.display_path(out)
    );
    Ok(())
}

/// The sources as paths (an `oci://` source stays as written; the others are relative to -C),
/// and the client options of each registry the `oci://` ones name.
fn paths_and_registries(
    context: &Context,
    run: &crabox_pipeline::Run<'_>,
    args: &WatchArgs,
) -> (Vec<std::path::PathBuf>, watch::Registries) {
    let mut registries = watch::Registries {
        github_api: run
            .var(crabox_config::EnvVars::GITHUB_API_URL)
            .unwrap_or_else(|| "https://api.github.com".to_owned()),
        github_token: run
            .settings()
            .secrets
            .github_token
            .as_ref()
            .map(|t| t.expose().to_owned())
            .unwrap_or_default(),
        ..watch::Registries::default()
    };
    let mut paths = Vec::new();
    for source in &args.sources {
        let text = source.to_string_lossy();
        if text.starts_with("github:") {
            paths.push(source.clone());
        } else if text.starts_with("oci://") {
            let reference = text.trim_start_matches("oci://");
            let host = reference.split('/').next().unwrap_or_default().to_owned();
            let options =
                crabox_pipeline::oci::options(&|name| run.var(name), &host, args.plain_http);
            registries.oci.insert(host, options);
            paths.push(source.clone());
        } else {
            paths.push(context.dir.join(source));
        }
    }
    (paths, registries)
}
