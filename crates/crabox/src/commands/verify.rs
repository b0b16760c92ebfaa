//! `crabox verify FILE --bundle B`: an artifact against its Sigstore bundle. Exit 1 with the
//! reason when it does not verify.

use anyhow::Context as _;
use crabox_cli::{Format, VerifyArgs};
use crabox_sign::verify::{self, Identity, Signer};

use crate::{Context, ExitStatus, UsageError};

pub fn run(context: &Context, args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let Some(bundle_path) = &args.bundle else {
        return Err(UsageError::new(
            "verifying a whole evidence bundle is not available in this build yet",
        )
        .with_hint("to verify a signature: crabox verify FILE --bundle FILE.sigstore.json")
        .into());
    };
    let signer = signer(context, args)?;
    let bundle_path = context.dir.join(bundle_path);
    let bundle = verify::read_bundle(&bundle_path)?;
    let root = verify::trusted_root(
        args.trusted_root
            .as_ref()
            .map(|p| context.dir.join(p))
            .as_deref(),
    )?;
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

fn signer(context: &Context, args: &VerifyArgs) -> anyhow::Result<Signer> {
    if let Some(key) = &args.key {
        let path = context.dir.join(key);
        let text = fs_err::read_to_string(&path)
            .map_err(|e| UsageError::new(format!("public key: {e}")))?;
        let key = crabox_sign::keys::load_public(&context.display_path(&path), &text)
            .map_err(|e| UsageError::new(e.to_string()))?;
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
