//! Who signs: a cosign-format key, or keyless (an OIDC token, a Fulcio certificate, checked
//! against the trusted root before anything is written).

use std::path::Path;

use crabox_config::file::SignMode;
use crabox_config::{EnvVars, SignSettings};
use crabox_sign::keyless::{KeylessSigner, Retry, Services};
use crabox_sign::sign::KeySigner;
use crabox_sign::verify;
use sigstore_types::{Bundle, Sha256Hash};

use crate::{Error, Run};

/// A cosign key, or a Fulcio certificate with the trusted root its bundles are checked against
/// and the token's issuer.
pub enum Identity {
    Key(KeySigner),
    Keyless {
        signer: Box<KeylessSigner>,
        root: verify::TrustedRoot,
        issuer: String,
    },
}

impl Identity {
    /// A bundle over the artifact with `digest`, or over `statement` (an in-toto statement about
    /// it); a keyless bundle is verified against the trusted root before it is returned.
    pub fn sign(&self, digest: Sha256Hash, statement: Option<&[u8]>) -> anyhow::Result<Bundle> {
        Ok(match self {
            Identity::Key(signer) => match statement {
                Some(statement) => signer.sign_statement(statement)?,
                None => signer.sign_digest(digest)?,
            },
            Identity::Keyless {
                signer,
                root,
                issuer,
            } => {
                let bundle = match statement {
                    Some(statement) => signer.sign_statement(statement)?,
                    None => signer.sign_digest(digest)?,
                };
                let expected = verify::Signer::Certificate {
                    identity: Some(verify::Identity::Exact(signer.identity().to_owned())),
                    issuer: Some(issuer.clone()),
                };
                if let Err(reason) = verify::verify_digest(digest, &bundle, &expected, root) {
                    anyhow::bail!(
                        "the new bundle does not verify against the trusted root: {reason}; nothing written"
                    );
                }
                bundle
            }
        })
    }
}

fn refused(message: impl Into<String>, hint: Option<&'static str>) -> Error {
    Error::Signing {
        message: message.into(),
        hint,
    }
}

/// The key's password from `CRABOX_KEY_PASSWORD`.
pub fn password(env: &dyn crate::Environment) -> Result<String, Error> {
    env.var(EnvVars::CRABOX_KEY_PASSWORD).ok_or_else(|| {
        refused(
            "CRABOX_KEY_PASSWORD is not set",
            Some("export the key's password in CRABOX_KEY_PASSWORD (it is never logged)"),
        )
    })
}

fn load_key(run: &Run<'_>, path: &Path) -> anyhow::Result<crabox_sign::KeyPair> {
    let password = password(run.env)?;
    let text =
        fs_err::read_to_string(path).map_err(|e| refused(format!("signing key: {e}"), None))?;
    Ok(
        crabox_sign::keys::load_private(&run.scope.show(path), &text, password.as_bytes())
            .map_err(|e| refused(crabox_types::error_chain(&e), None))?,
    )
}

/// The identity `--key`, `[sign] mode` and `[sign] key` select. `auto`: an OIDC token in CI
/// first, then the configured key.
pub fn identity(
    run: &Run<'_>,
    key_arg: Option<&Path>,
    settings: &SignSettings,
) -> anyhow::Result<Identity> {
    if let Some(key) = key_arg {
        return Ok(Identity::Key(KeySigner::new(load_key(
            run,
            &run.scope.dir.join(key),
        )?)?));
    }
    let key = || -> anyhow::Result<Identity> {
        match &settings.key {
            Some(key) => Ok(Identity::Key(KeySigner::new(load_key(
                run,
                &run.scope.dir.join(key),
            )?)?)),
            None => Err(refused(
                "`[sign] mode = \"key\"` needs `[sign] key`",
                Some("create a key with `crabox sign --generate-key PREFIX`"),
            )
            .into()),
        }
    };
    match settings.mode {
        SignMode::None => Err(refused(
            "`[sign] mode = \"none\"`: nothing is signed",
            Some("pass --key KEYFILE to sign with a key anyway"),
        )
        .into()),
        SignMode::Key => key(),
        SignMode::Keyless => keyless(run, settings)?.ok_or_else(|| {
            refused(
                "keyless signing needs an OIDC token, and none is available",
                Some("in GitHub Actions, give the job `permissions: id-token: write`"),
            )
            .into()
        }),
        SignMode::Auto => match keyless(run, settings)? {
            Some(identity) => Ok(identity),
            None if settings.key.is_some() => key(),
            None => Err(refused(
                "no signing identity: no OIDC token (keyless) and no `[sign] key`",
                Some(
                    "pass --key KEYFILE or set `[sign] key` (create one with `crabox sign --generate-key PREFIX`); in GitHub Actions, `permissions: id-token: write` enables keyless signing",
                ),
            )
            .into()),
        },
    }
}

/// A keyless signer when the environment offers an OIDC token, `None` when it does not.
pub fn keyless(run: &Run<'_>, settings: &SignSettings) -> anyhow::Result<Option<Identity>> {
    if run.settings().offline {
        return Ok(None);
    }
    if !matches!(settings.rekor_version, 1 | 2) {
        return Err(refused(
            format!(
                "`[sign] rekor-version` is {}; Rekor speaks API version 1 or 2",
                settings.rekor_version
            ),
            None,
        )
        .into());
    }
    let token = match crabox_sign::keyless::ambient_token() {
        Ok(Some(token)) => token,
        Ok(None) => return Ok(None),
        // In auto mode a CI job without `id-token: write` falls back to the key, saying why.
        Err(err) if settings.mode == SignMode::Auto => {
            tracing::warn!(
                "no OIDC token for keyless signing ({err}); in GitHub Actions the job needs `permissions: id-token: write`"
            );
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    let root = verify::trusted_root(
        settings
            .trusted_root
            .as_ref()
            .map(|p| run.scope.dir.join(p))
            .as_deref(),
    )?;
    let services = Services {
        fulcio_url: settings.fulcio_url.clone(),
        rekor_url: settings.rekor_url.clone(),
        rekor_version: settings.rekor_version,
        tsa_url: Some(settings.tsa_url.clone()),
    };
    let issuer = token.issuer().to_owned();
    let signer = KeylessSigner::new(services, &token, Retry::default())?;
    tracing::info!("signing as {} (issuer {issuer})", signer.identity());
    Ok(Some(Identity::Keyless {
        signer: Box::new(signer),
        root,
        issuer,
    }))
}
