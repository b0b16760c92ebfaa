//! The layering of ARCHITECTURE.md, enforced: a crate depends only on crates of lower layers;
//! `crabox-test` only as a dev-dependency.

use anyhow::bail;
use cargo_metadata::{DependencyKind, MetadataCommand};

/// Every workspace crate and its layer. A new crate must be added here (and to ARCHITECTURE.md).
const LAYERS: &[(&str, u8)] = &[
    ("crabox-types", 0),
    ("crabox-config", 1),
    ("crabox-report", 1),
    ("crabox-git", 1),
    ("crabox-sbom", 2),
    ("crabox-audit", 2),
    ("crabox-sign", 2),
    ("crabox-evidence", 2),
    ("crabox-notes", 2),
    ("crabox-gate", 2),
    ("crabox-github", 2),
    ("crabox-oci", 2),
    ("crabox-cli", 3),
    ("crabox-pipeline", 3),
    ("crabox", 4),
];

/// Crates outside the layering: test support and developer tooling.
const DEV_ONLY: &[&str] = &["crabox-test"];
const TOOLING: &[&str] = &["xtask"];

fn layer(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

pub fn run() -> anyhow::Result<()> {
    let metadata = MetadataCommand::new()
        .manifest_path(super::root().join("Cargo.toml"))
        .no_deps()
        .exec()?;
    let members: Vec<&str> = metadata
        .workspace_packages()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut problems = Vec::new();
    for package in metadata.workspace_packages() {
        let name = package.name.as_str();
        if TOOLING.contains(&name) {
            continue;
        }
        let own = if DEV_ONLY.contains(&name) {
            None
        } else if let Some(own) = layer(name) {
            Some(own)
        } else {
            problems.push(format!(
                "`{name}` has no layer: add it to xtask/src/check_deps.rs and ARCHITECTURE.md"
            ));
            continue;
        };
        for dep in &package.dependencies {
            let dep_name = dep.name.as_str();
            if !members.contains(&dep_name) {
                continue;
            }
            if DEV_ONLY.contains(&dep_name) {
                if dep.kind != DependencyKind::Development {
                    problems.push(format!(
                        "`{name}` depends on `{dep_name}` outside dev-dependencies"
                    ));
                }
                continue;
            }
            let Some(dep_layer) = layer(dep_name) else {
                continue;
            };
            if let Some(own) = own
                && dep_layer >= own
            {
                let direction = if dep_layer == own {
                    "sideways"
                } else {
                    "upward"
                };
                problems.push(format!(
                    "`{name}` (L{own}) depends {direction} on `{dep_name}` (L{dep_layer})"
                ));
            }
        }
    }
    if problems.is_empty() {
        eprintln!(
            "xtask: check-deps: {} crates layered correctly",
            members.len()
        );
        Ok(())
    } else {
        bail!("crate layering violated:\n  {}", problems.join("\n  "))
    }
}
