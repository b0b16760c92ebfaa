//! `crabox init`: writes starter `crabox.toml`, `SECURITY.md` (a coordinated vulnerability
//! disclosure policy with the ISO/IEC 29147 elements) and `.github/workflows/crabox.yml`,
//! filled with what can be detected. Never overwrites a file without `--force`: an existing one is
//! kept (and said so), the others are written.

use std::path::{Path, PathBuf};

use crabox_cli::{Format, InitArgs};
use crabox_report::{Finding, Location, atomic};
use crabox_types::codes;
use minijinja::{Environment, context};
use serde::Serialize;

use crate::{Context, ExitStatus};

/// The crabox repository, for the workflow's install step.
const CRABOX_REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

const CONFIG_TEMPLATE: &str = include_str!("../../../../templates/init/crabox.toml.j2");
const SECURITY_TEMPLATE: &str = include_str!("../../../../templates/init/SECURITY.md.j2");
const WORKFLOW_TEMPLATE: &str = include_str!("../../../../templates/init/crabox.yml.j2");

/// Text standing in for a contact crabox could not detect; the gate's SECURITY.md check flags it.
const CONTACT_TO_FILL: &str = "[add your security contact: an e-mail address or web form]";

/// A step the generated workflow runs. Only steps that work are listed.
#[derive(Serialize)]
struct WorkflowStep {
    name: &'static str,
    run: &'static str,
}

const WORKFLOW_STEPS: &[WorkflowStep] = &[
    WorkflowStep {
        name: "Check crabox.toml",
        run: "crabox config",
    },
    WorkflowStep {
        name: "SBOM",
        run: "crabox sbom --output sbom.cdx.json",
    },
    WorkflowStep {
        name: "Advisory databases",
        run: "crabox db update",
    },
    WorkflowStep {
        name: "Vulnerability audit",
        run: "crabox audit --openvex audit.openvex.json",
    },
];

/// What `crabox init` found out about the repository.
#[derive(Debug, Serialize)]
struct Detected {
    name: String,
    version: Option<String>,
    manifest: Option<String>,
    repository_url: Option<String>,
    github: Option<String>,
    branch: String,
    security_contact: Option<String>,
}

fn detect(context: &Context, root: &Path, repo: Option<&crabox_git::Repo>) -> Detected {
    let manifest = crabox_config::manifest::detect(root);
    let dir_name = root.file_name().map_or_else(
        || "product".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let remote = repo.and_then(crabox_git::Repo::remote_url);
    let github = remote.as_deref().and_then(crabox_git::github_slug);
    let repository_url = match (&github, &remote) {
        (Some(slug), _) => Some(format!("https://github.com/{slug}")),
        (None, Some(url)) if url.starts_with("https://") => Some(url.clone()),
        _ => None,
    };
    Detected {
        name: manifest
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or(dir_name),
        version: manifest.as_ref().and_then(|m| m.version.clone()),
        manifest: manifest.as_ref().map(|m| context.display_path(&m.file)),
        repository_url,
        security_contact: github
            .as_ref()
            .map(|slug| format!("https://github.com/{slug}/security/advisories/new")),
        github,
        branch: repo
            .and_then(crabox_git::Repo::head_branch)
            .unwrap_or_else(|| "main".to_owned()),
    }
}

fn render(detected: &Detected) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    // The templates quote what they interpolate themselves (`tojson`); no automatic escaping.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_template("crabox.toml", CONFIG_TEMPLATE)?;
    env.add_template("SECURITY.md", SECURITY_TEMPLATE)?;
    env.add_template("crabox.yml", WORKFLOW_TEMPLATE)?;
    let ctx = context! {
        name => &detected.name,
        version => &detected.version,
        manifest => &detected.manifest,
        repository_url => &detected.repository_url,
        security_contact => &detected.security_contact,
        advisory_url => &detected.security_contact,
        contact_text => CONTACT_TO_FILL,
        support_end => Option::<String>::None,
        branch => &detected.branch,
        crabox_repository => CRABOX_REPOSITORY,
        steps => minijinja::value::Serde(WORKFLOW_STEPS),
    };
    Ok(vec![
        (
            "crabox.toml",
            env.get_template("crabox.toml")?.render(&ctx)?,
        ),
        (
            "SECURITY.md",
            env.get_template("SECURITY.md")?.render(&ctx)?,
        ),
        (
            ".github/workflows/crabox.yml",
            env.get_template("crabox.yml")?.render(&ctx)?,
        ),
    ])
}

#[derive(Serialize)]
struct InitOutput<'a> {
    schema_version: u32,
    written: Vec<String>,
    detected: &'a Detected,
}

pub fn run(context: &Context, args: &InitArgs) -> anyhow::Result<ExitStatus> {
    let (repo, root) = context.repository()?;
    let detected = detect(context, &root, repo.as_ref());
    let files = render(&detected)?;
    let targets: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|(rel, text)| (root.join(rel), text))
        .collect();

    // Files that exist are kept (a repository's own SECURITY.md is usually better than the
    // starter) and said so; the others are written. --force overwrites.
    let mut kept = Vec::new();
    let mut written = Vec::new();
    for (path, text) in &targets {
        let shown = context.display_path(path);
        if !args.force && path.exists() {
            kept.push(
                Finding::warning(
                    codes::INIT_FILE_EXISTS,
                    format!("kept `{shown}`: it already exists"),
                )
                .with_location(Location::file(shown))
                .with_help("pass --force to overwrite it with the starter"),
            );
            continue;
        }
        atomic::write(path, text.as_bytes())?;
        tracing::info!("wrote {shown}");
        written.push(shown);
    }
    context.emit(&kept);
    if detected.security_contact.is_none() {
        tracing::warn!(
            "no security contact detected (no GitHub remote): fill in SECURITY.md and \
             `[product] security-contact` in crabox.toml"
        );
    }
    if repo.is_none() {
        tracing::warn!(
            "not in a git repository: wrote the files in {}",
            root.display()
        );
    }

    // Human, Markdown and SARIF readers all get the list of files; JSON gets the details too.
    let mut text = if context.global.format == Format::Json {
        let out = InitOutput {
            schema_version: 1,
            written,
            detected: &detected,
        };
        serde_json::to_string_pretty(&out)?
    } else {
        written.join("\n")
    };
    text.push('\n');
    context.print(&text)?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(github: bool) -> Detected {
        Detected {
            name: "acme-gateway".into(),
            version: Some("1.4.0".into()),
            manifest: Some("Cargo.toml".into()),
            repository_url: github.then(|| "https://github.com/acme/gw".into()),
            github: github.then(|| "acme/gw".into()),
            branch: "main".into(),
            security_contact: github
                .then(|| "https://github.com/acme/gw/security/advisories/new".into()),
        }
    }

    #[test]
    fn the_starter_config_parses_and_names_every_key() {
        for github in [true, false] {
            let files = render(&detected(github)).unwrap();
            let (_, config) = &files[0];
            let file = crabox_config::parse(Path::new("crabox.toml"), config)
                .unwrap_or_else(|e| panic!("{e}\n{config}"));
            let product = file.product.unwrap();
            assert_eq!(product.name.as_deref(), Some("acme-gateway"));
            assert_eq!(product.security_contact.is_some(), github);
            // Every key of the reference appears in the starter, set or commented.
            for (path, key) in crabox_config::schema::all_keys() {
                let last = path.rsplit(['.', ']']).next().unwrap();
                let present = if matches!(key.shape, crabox_config::schema::Shape::Table(_)) {
                    config.contains(&format!("[{path}]")) || config.contains(&format!("{last}."))
                } else {
                    config.contains(&format!("{last} ="))
                };
                assert!(present, "`{path}` missing from the starter");
            }
        }
    }

    #[test]
    fn security_policy_has_the_29147_elements() {
        for github in [true, false] {
            let files = render(&detected(github)).unwrap();
            let (_, policy) = &files[1];
            for heading in [
                "## Reporting a vulnerability",
                "## Scope",
                "## What to include",
                "## What happens next",
                "## Coordinated disclosure",
                "## Safe harbour",
            ] {
                assert!(policy.contains(heading), "{heading} missing");
            }
            assert!(policy.contains("acknowledge"));
            assert_eq!(policy.contains("security/advisories/new"), github);
            assert_eq!(policy.contains(CONTACT_TO_FILL), !github);
        }
    }

    #[test]
    fn workflow_is_least_privilege_and_pinned() {
        let files = render(&detected(true)).unwrap();
        let (_, workflow) = &files[2];
        assert!(workflow.contains("permissions: {}"));
        assert!(workflow.contains("persist-credentials: false"));
        for line in workflow
            .lines()
            .filter(|l| l.trim_start().starts_with("run:"))
        {
            assert!(!line.contains("${{"), "expression inside run: {line}");
        }
        assert!(workflow.contains("group: ${{ github.workflow }}-${{ github.ref }}"));
        for line in workflow.lines().filter(|l| l.contains("uses:")) {
            let reference = line.split('@').nth(1).unwrap();
            assert!(
                reference.len() >= 40 && reference[..40].chars().all(|c| c.is_ascii_hexdigit()),
                "{line}"
            );
        }
        assert!(workflow.contains("branches: [\"main\"]"));
    }
}
