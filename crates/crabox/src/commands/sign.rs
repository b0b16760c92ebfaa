//! `crabox sign`: Sigstore bundles for artifacts, and `--generate-key` for a cosign-format key
//! pair. Key-based signing works offline; keyless signing (Fulcio, Rekor, TSA) is not in this
//! build yet and says so instead of writing anything.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_cli::{Format, SignArgs};
use crabox_config::EnvVars;
use crabox_config::file::SignMode;
use crabox_report::atomic;
use crabox_sign::sign::KeySigner;

use crate::{Context, ExitStatus, UsageError};

pub fn run(context: &Context, args: &SignArgs) -> anyhow::Result<ExitStatus> {
    if let Some(prefix) = &args.generate_key {
        return generate_key(context, prefix);
    }
    let loaded = context.load_config()?;
    let settings = &loaded.settings.sign;
    let key = match (&args.key, &settings.key, settings.mode) {
        (Some(key), _, _) => context.dir.join(key),
        (None, _, SignMode::None) => {
            return Err(
                UsageError::new("`[sign] mode = \"none\"`: nothing is signed")
                    .with_hint("pass --key KEYFILE to sign with a key anyway")
                    .into(),
            );
        }
        (None, Some(key), SignMode::Key | SignMode::Auto) => context.dir.join(key),
        (None, _, _) => {
            return Err(UsageError::new(
                "no signing key: keyless signing (Fulcio, Rekor) is not available in this build yet",
            )
            .with_hint(
                "pass --key KEYFILE or set `[sign] key` (create one with `crabox sign --generate-key PREFIX`)",
            )
            .into());
        }
    };
    let signer = KeySigner::new(load_key(context, &key)?)?;
    let mut written = Vec::new();
    for file in &args.files {
        let file = context.dir.join(file);
        let bundle = signer
            .sign_file(&file)
            .with_context(|| format!("could not sign {}", context.display_path(&file)))?;
        let json = bundle
            .to_json_pretty()
            .context("could not encode the bundle")?;
        let out = bundle_path(
            &file,
            args.output_dir.as_deref().map(|d| context.dir.join(d)),
        )?;
        atomic::write(&out, format!("{json}\n").as_bytes())?;
        written.push((context.display_path(&file), context.display_path(&out)));
    }
    tracing::warn!(
        "key-based bundles carry no transparency-log entry or timestamp: they prove the key, not the signing time"
    );
    let text = match context.global.format {
        Format::Json => {
            let entries: Vec<_> = written
                .iter()
                .map(|(file, bundle)| {
                    serde_json::json!({ "file": file, "bundle": bundle, "key-hint": signer.hint() })
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

/// `FILE.sigstore.json`, beside the file or in `dir`.
fn bundle_path(file: &Path, dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let name = file
        .file_name()
        .with_context(|| format!("{}: not a file name", file.display()))?;
    let mut name = name.to_owned();
    name.push(".sigstore.json");
    Ok(match dir {
        Some(dir) => dir.join(name),
        None => file.with_file_name(name),
    })
}

fn password(context: &Context) -> anyhow::Result<String> {
    context
        .env
        .var(EnvVars::CRABOX_KEY_PASSWORD)
        .ok_or_else(|| {
            UsageError::new("CRABOX_KEY_PASSWORD is not set")
                .with_hint("export the key's password in CRABOX_KEY_PASSWORD (it is never logged)")
                .into()
        })
}

fn load_key(context: &Context, path: &Path) -> anyhow::Result<crabox_sign::KeyPair> {
    let password = password(context)?;
    let text =
        fs_err::read_to_string(path).map_err(|e| UsageError::new(format!("signing key: {e}")))?;
    crabox_sign::keys::load_private(&context.display_path(path), &text, password.as_bytes())
        .map_err(|e| UsageError::new(e.to_string()).into())
}

fn generate_key(context: &Context, prefix: &Path) -> anyhow::Result<ExitStatus> {
    let password = password(context)?;
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
