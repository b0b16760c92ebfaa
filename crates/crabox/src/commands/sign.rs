//! `crabox sign`: Sigstore bundles for artifacts, keyless (an OIDC token in CI: Fulcio, Rekor,
//! TSA) or with a cosign-format key, and `--generate-key` for a key pair.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_cli::{AttestType, Format, SignArgs};
use crabox_report::atomic;
use crabox_sign::attest::Kind;
use serde_json::Value;

use crabox_pipeline::sign::{Identity, identity};

use crate::progress::Spinners;
use crate::{Context, ExitStatus, UsageError};

pub fn run(context: &Context, args: &SignArgs) -> anyhow::Result<ExitStatus> {
    if let Some(prefix) = &args.generate_key {
        return generate_key(context, prefix);
    }
    let (scope, _, loaded) = context.scope(None)?;
    let progress = Spinners::new(context);
    let run = context.pipeline(&scope, &loaded, &progress);
    let settings = &loaded.settings.sign;
    let signer = identity(&run, args.key.as_deref(), settings)?;
    let attestation = match args.attest {
        Some(kind) => Some(attestation(context, &run, args, kind)?),
        None => None,
    };
    // Sign (and for keyless, check against the trusted root) everything before writing
    // anything: a failed run leaves no bundle behind.
    let mut signed = Vec::new();
    for file in &args.files {
        let file = context.dir.join(file);
        let digest = crabox_sign::sign::sha256_file(&file)?;
        let statement = attestation.as_ref().map(|(kind, predicate)| {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            crabox_sign::attest::statement(&[(name, digest)], *kind, predicate)
        });
        let bundle = signer
            .sign(digest, statement.as_deref())
            .with_context(|| format!("could not sign {}", context.display_path(&file)))?;
        let json = bundle
            .to_json_pretty()
            .context("could not encode the bundle")?;
        let suffix = attestation.as_ref().map(|(kind, _)| kind.name());
        let out = bundle_path(
            &file,
            suffix,
            args.output_dir.as_deref().map(|d| context.dir.join(d)),
        )?;
        signed.push((file, out, json));
    }
    let mut written = Vec::new();
    for (file, out, json) in signed {
        atomic::write(&out, format!("{json}\n").as_bytes())?;
        written.push((context.display_path(&file), context.display_path(&out)));
    }
    let signed_by = match &signer {
        Identity::Key(signer) => {
            tracing::warn!(
                "key-based bundles carry no transparency-log entry or timestamp: they prove the key, not the signing time"
            );
            format!("key {}", signer.hint())
        }
        Identity::Keyless { signer, .. } => signer.identity().to_owned(),
    };
    let text = match context.global.format {
        Format::Json => {
            let entries: Vec<_> = written
                .iter()
                .map(|(file, bundle)| {
                    serde_json::json!({ "file": file, "bundle": bundle, "signer": signed_by })
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&entries)?)
        }
        _ => written.iter().fold(String::new(), |mut text, (_, bundle)| {
            text.push_str(bundle);
            text.push('\n');
            text
        }),
    };
    context.print(&text)?;
    Ok(ExitStatus::Success)
}

/// The attestation kind and its predicate: SLSA provenance from the GitHub Actions environment,
/// or the `--predicate` document checked (and an audit report converted) for its kind.
fn attestation(
    context: &Context,
    run: &crabox_pipeline::Run<'_>,
    args: &SignArgs,
    kind: AttestType,
) -> anyhow::Result<(Kind, Value)> {
    let kind = match kind {
        AttestType::SlsaProvenance => Kind::SlsaProvenance,
        AttestType::Cyclonedx => Kind::Cyclonedx,
        AttestType::Spdx => Kind::Spdx,
        AttestType::Vulns => Kind::Vulns,
        AttestType::TestResult => Kind::TestResult,
    };
    if kind == Kind::SlsaProvenance {
        let predicate =
            crabox_sign::attest::provenance(|name| context.env.var(name)).map_err(|missing| {
                UsageError::new(format!(
                    "SLSA provenance describes a GitHub Actions run, and {} {} not set",
                    missing.join(", "),
                    if missing.len() == 1 { "is" } else { "are" }
                ))
                .with_hint("run `crabox sign --attest slsa-provenance` in a GitHub Actions job")
            })?;
        return Ok((kind, predicate));
    }
    let Some(path) = &args.predicate else {
        return Err(
            UsageError::new(format!("--attest {} needs --predicate FILE", kind.name())).into(),
        );
    };
    let path = context.dir.join(path);
    let shown = context.display_path(&path);
    let text =
        fs_err::read_to_string(&path).map_err(|e| UsageError::new(format!("--predicate: {e}")))?;
    let document: Value = serde_json::from_str(&text).map_err(|e| {
        UsageError::new(format!(
            "{shown}:{}:{}: not JSON: {e}",
            e.line(),
            e.column()
        ))
    })?;
    // The scan time of a converted audit report: the commit's (or SOURCE_DATE_EPOCH), as the
    // audit's own documents.
    let now = if kind == Kind::Vulns && document["findings"].is_array() {
        let repo = run.scope.open_repo()?;
        let commit = repo.as_ref().and_then(|r| r.head_commit().ok().flatten());
        crabox_types::rfc3339(crabox_pipeline::time::build_time(run, commit.as_ref())?)
            .context("timestamp out of range")?
    } else {
        String::new()
    };
    let predicate = crabox_sign::attest::predicate(kind, document, env!("CARGO_PKG_VERSION"), &now)
        .map_err(|why| UsageError::new(format!("{shown}: {why}")))?;
    Ok((kind, predicate))
}

/// `FILE.sigstore.json` (`FILE.<kind>.sigstore.json` for an attestation), beside the file or in
/// `dir`.
fn bundle_path(file: &Path, kind: Option<&str>, dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let name = file
        .file_name()
        .with_context(|| format!("{}: not a file name", file.display()))?;
    let mut name = name.to_owned();
    if let Some(kind) = kind {
        name.push(format!(".{kind}"));
    }
    name.push(".sigstore.json");
    Ok(match dir {
        Some(dir) => dir.join(name),
        None => file.with_file_name(name),
    })
}

fn generate_key(context: &Context, prefix: &Path) -> anyhow::Result<ExitStatus> {
    let password = crabox_pipeline::sign::password(&context.env)?;
    // An empty password encrypts the private key with a key anyone can derive.
    if password.is_empty() {
        return Err(UsageError::new(
            "CRABOX_KEY_PASSWORD is empty: the private key would be as good as unencrypted",
        )
        .with_hint("export a password in CRABOX_KEY_PASSWORD (it is never logged)")
        .into());
    }
    let prefix = context.dir.join(prefix);
    let with = |extension: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(extension);
        PathBuf::from(name)
    };
    let (private, public) = (with(".key"), with(".pub"));
    for path in [&private, &public] {
        if path.exists() {
            return Err(UsageError::new(format!(
                "{} exists; crabox does not overwrite keys",
                context.display_path(path)
            ))
            .with_hint("choose another PREFIX or remove the old key pair")
            .into());
        }
    }
    let generated = crabox_sign::keys::generate(password.as_bytes())?;
    atomic::write_with(
        &private,
        atomic::WriteOptions { mode: Some(0o600) },
        |file| file.write_all(generated.private_pem.as_bytes()),
    )?;
    atomic::write(&public, generated.public_pem.as_bytes())?;
    context.print(&format!(
        "{}\n{}\n",
        context.display_path(&private),
        context.display_path(&public)
    ))?;
    Ok(ExitStatus::Success)
}
