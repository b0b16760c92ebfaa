//! `crabox verify FILE --bundle B`: an artifact against its Sigstore bundle; `crabox verify
//! BUNDLE`: an evidence bundle (directory or `.tar.gz`) against its manifest and the manifest's
//! signature. Exit 1 with the reasons when it does not verify.

use anyhow::Context as _;
use crabox_cli::{Format, VerifyArgs};
use crabox_sign::verify::{self, Identity, Signer};

use crabox_evidence::manifest::MANIFEST_SIGNATURE;

use crate::{Context, ExitStatus, UsageError};

pub fn run(context: &Context, args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let Some(bundle_path) = &args.bundle else {
        return evidence(context, args);
    };
    let signer = signer(context, args)?;
    let bundle_path = context.dir.join(bundle_path);
    let bundle = verify::read_bundle(&bundle_path)?;
    let root = trusted_root(context, args)?;
    let file = context.dir.join(&args.file);
    let shown = context.display_path(&file);
    match verify::verify_file(&file, &bundle, &signer, &root)? {
        Ok(verified) => {
            let text = match context.global.format {
                Format::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "file": shown,
                        "bundle": context.display_path(&bundle_path),
                        "verified": true,
                        "result": verified,
                    }))?
                ),
                _ => {
                    let mut parts = vec![format!("{shown}: verified ({})", verified.content)];
                    let labelled = [
                        ("signer", &verified.identity),
                        ("issuer", &verified.issuer),
                        ("predicate", &verified.predicate_type),
                    ];
                    for (label, value) in labelled {
                        if let Some(value) = value {
                            parts.push(format!("{label} {value}"));
                        }
                    }
                    format!("{}\n", parts.join(", "))
                }
            };
            if !verified.tlog {
                tracing::warn!(
                    "{shown}: no transparency-log entry was verified: the signature proves the key, not when it was made"
                );
            }
            context.print(&text)?;
            Ok(ExitStatus::Success)
        }
        Err(reason) => {
            tracing::error!("{shown}: verification failed: {reason}");
            if context.global.format == Format::Json {
                context.print(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "file": shown,
                        "bundle": context.display_path(&bundle_path),
                        "verified": false,
                        "reason": reason,
                    }))
                    .context("could not encode the result")?
                ))?;
            }
            Ok(ExitStatus::Failure)
        }
    }
}

/// `crabox verify BUNDLE`: every file re-hashed against `manifest.json`, and the manifest's
/// signature checked when a key or certificate identity is given. Fails closed: with a key or an
/// identity a missing signature fails; without one, a signature over another digest fails and
/// an unsigned bundle is said to be checked for integrity only, NOT authenticated.
fn evidence(context: &Context, args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let text = args.file.to_string_lossy();
    let (shown, checked) = if let Some(reference) = text.strip_prefix("oci://") {
        (text.clone().into_owned(), pulled(context, args, reference)?)
    } else {
        let path = context.dir.join(&args.file);
        let checked = if path.is_dir() {
            crabox_evidence::check::directory(&path)
        } else {
            crabox_evidence::check::archive(&path)
        };
        (context.display_path(&path), checked)
    };
    // A bundle that cannot be read as one (a damaged archive, a limit passed, no manifest) is
    // refused: exit 1 like any other failed verification.
    let checked = match checked {
        Ok(checked) => checked,
        Err(err @ crabox_evidence::error::EvidenceError::Malformed { .. }) => {
            tracing::error!("{shown}: refused: {err}");
            if context.global.format == Format::Json {
                context.print(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "bundle": shown,
                        "verified": false,
                        "problems": [err.to_string()],
                    }))?
                ))?;
            }
            return Ok(ExitStatus::Failure);
        }
        Err(err) => return Err(err.into()),
    };
    let mut problems: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
    let signature = manifest_signature(context, args, &shown, &checked, &mut problems)?;
    let files = checked.manifest.files.len();
    let text = if context.global.format == Format::Json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "bundle": shown,
                "verified": problems.is_empty(),
                // Only a signature checked against a named key or identity authenticates.
                "authenticated": problems.is_empty() && signature.starts_with("verified"),
                "files": files,
                "signature": signature,
                "problems": problems,
            }))?
        )
    } else if problems.is_empty() {
        format!("{shown}: verified ({files} files; manifest signature: {signature})\n")
    } else {
        String::new()
    };
    for problem in &problems {
        tracing::error!("{shown}: {problem}");
    }
    context.print(&text)?;
    Ok(if problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The bundle at `oci://reference`, pulled into memory (never unpacked to disk) and checked
/// against its manifest. A layer whose content does not match its digest, or an artifact that
/// is not evidence, is refused like a damaged archive.
fn pulled(
    context: &Context,
    args: &VerifyArgs,
    reference: &str,
) -> anyhow::Result<Result<crabox_evidence::check::Checked, crabox_evidence::error::EvidenceError>>
{
    let parsed = crabox_pipeline::oci::parse_reference(reference)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let options = crabox_pipeline::oci::options(
        &|name| context.env.var(name),
        parsed.registry(),
        args.plain_http,
    );
    match crabox_pipeline::oci::pull(reference, &options) {
        Ok((digest, bundle)) => {
            tracing::info!("oci://{reference}: artifact {digest}");
            Ok(crabox_evidence::check::in_memory(
                &format!("oci://{reference}"),
                &bundle,
            ))
        }
        Err(
            error @ (crabox_pipeline::oci::OciError::Layer { .. }
            | crabox_pipeline::oci::OciError::NotEvidence { .. }),
        ) => Ok(Err(crabox_evidence::error::EvidenceError::Malformed {
            what: format!("oci://{reference}"),
            message: error.to_string(),
        })),
        Err(error) => Err(error.into()),
    }
}

/// The manifest signature's status; what fails it is pushed onto `problems`. With a key or an
/// identity named, a missing signature fails; without one, a signature over another digest fails
/// and the others are said to be integrity only.
fn manifest_signature(
    context: &Context,
    args: &VerifyArgs,
    shown: &str,
    checked: &crabox_evidence::check::Checked,
    problems: &mut Vec<String>,
) -> anyhow::Result<String> {
    let named = args.key.is_some()
        || args.certificate_identity.is_some()
        || args.certificate_identity_regexp.is_some();
    let (_, digest) = crabox_types::digest::sha256_reader(checked.manifest_bytes.as_slice())?;
    let digest = sigstore_types::Sha256Hash::new(digest);
    let parsed = checked.signature.as_ref().map(|bytes| {
        sigstore_types::Bundle::from_json(&String::from_utf8_lossy(bytes))
            .map_err(|e| format!("not a Sigstore bundle: {e}"))
    });
    Ok(match (parsed, named) {
        // A key or an identity was named: only a signature by it passes (fail closed).
        (None, true) => {
            problems.push(format!(
                "{MANIFEST_SIGNATURE}: missing: the manifest is not signed, so it cannot come from the named signer"
            ));
            "missing".to_owned()
        }
        (None, false) => {
            tracing::warn!(
                "{shown}: integrity only: NOT authenticated (no signature, no manifest.sigstore.json)"
            );
            "integrity only: NOT authenticated (no signature)".to_owned()
        }
        (Some(Err(reason)), _) => {
            problems.push(format!("{MANIFEST_SIGNATURE}: {reason}"));
            "failed".to_owned()
        }
        (Some(Ok(bundle)), false) => match verify::signs_digest(&bundle, &digest) {
            Ok(()) => {
                tracing::warn!(
                    "{shown}: the manifest signature was not checked against a signer: pass --key PUBFILE, or --certificate-identity[-regexp] with --certificate-oidc-issuer"
                );
                "present, signs this manifest; signer NOT checked (integrity only)".to_owned()
            }
            Err(reason) => {
                problems.push(format!("{MANIFEST_SIGNATURE}: {reason}"));
                "failed".to_owned()
            }
        },
        (Some(Ok(bundle)), true) => {
            let signer = signer(context, args)?;
            let root = trusted_root(context, args)?;
            match verify::verify_digest(digest, &bundle, &signer, &root) {
                Ok(verified) => {
                    format!("verified, signer {}", verified.identity.unwrap_or_default())
                }
                Err(reason) => {
                    problems.push(format!("{MANIFEST_SIGNATURE}: {reason}"));
                    "failed".to_owned()
                }
            }
        }
    })
}

/// `--trusted-root`, or the public-good root built into crabox.
fn trusted_root(context: &Context, args: &VerifyArgs) -> anyhow::Result<verify::TrustedRoot> {
    let path = args.trusted_root.as_ref().map(|p| context.dir.join(p));
    Ok(verify::trusted_root(path.as_deref())?)
}

fn signer(context: &Context, args: &VerifyArgs) -> anyhow::Result<Signer> {
    if let Some(key) = &args.key {
        let path = context.dir.join(key);
        let text = fs_err::read_to_string(&path)
            .map_err(|e| UsageError::new(format!("public key: {e}")))?;
        let key = crabox_sign::keys::load_public(&context.display_path(&path), &text)
            .map_err(|e| UsageError::new(crabox_types::error_chain(&e)))?;
        return Ok(Signer::Key(key));
    }
    let identity = match (
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    ) {
        (Some(exact), _) => Identity::Exact(exact.clone()),
        (None, Some(regex)) => Identity::Regex(regex.clone()),
        (None, None) => {
            return Err(UsageError::new("whom should the signature come from?")
                .with_hint("pass --key PUBFILE, or --certificate-identity[-regexp] with --certificate-oidc-issuer")
                .into());
        }
    };
    let Some(issuer) = args.certificate_oidc_issuer.clone() else {
        return Err(UsageError::new(
            "--certificate-oidc-issuer is required with a certificate identity",
        )
        .with_hint(
            "GitHub Actions: --certificate-oidc-issuer https://token.actions.githubusercontent.com",
        )
        .into());
    };
    Ok(Signer::Certificate {
        identity: Some(identity),
        issuer: Some(issuer),
    })
}
