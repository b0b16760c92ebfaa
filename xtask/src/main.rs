//! `cargo xtask`: developer tasks. `ci` runs exactly what CI runs; `codegen` writes the generated
//! references (`--check` fails when they are stale); `check-deps` enforces the crate layering.

// xtask is a developer tool that talks to its user on stderr; the ban on print macros is for
// crabox's crates.
#![allow(clippy::disallowed_macros)]

mod bench;
mod check_deps;
mod codegen;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "crabox developer tasks")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// What CI runs: fmt check, clippy -D warnings, codegen --check, check-deps, docs, tests
    /// (with cargo-nextest when installed)
    Ci,
    /// Generate docs/cli.md, docs/config.md and docs/crabox.schema.json
    Codegen {
        /// Fail if a generated file is stale instead of writing it
        #[arg(long, conflicts_with = "write")]
        check: bool,
        /// Write the generated files (the default)
        #[arg(long)]
        write: bool,
    },
    /// Fail when a crate depends sideways or upward in the layering
    CheckDeps,
    /// Benchmarks against the peers, as whole-process ratios (`sbom`, `audit`), and `bundle`
    /// timed on all shared lockfiles
    Bench {
        /// What to benchmark
        target: String,
    },
}

/// The workspace root (the parent of `xtask/`).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .with_context(|| format!("could not run `{cargo}`"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn has_nextest() -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args(["nextest", "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ci() -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    codegen::run(true)?;
    check_deps::run()?;
    cargo(
        &["doc", "--workspace", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    // Doc tests first, so that the run closes on the test runner's summary of every test.
    let no_update = [("INSTA_UPDATE", "no")];
    cargo(&["test", "--workspace", "--locked", "--doc"], &no_update)?;
    if has_nextest() {
        cargo(&["nextest", "run", "--workspace", "--locked"], &no_update)?;
    } else {
        eprintln!("xtask: cargo-nextest not found; running the tests with cargo test");
        cargo(
            &["test", "--workspace", "--locked", "--all-targets"],
            &no_update,
        )?;
    }
    eprintln!("xtask: ci passed");
    Ok(())
}

fn main() -> ExitCode {
    let xtask = Xtask::parse();
    let result = match xtask.task {
        Task::Ci => ci(),
        Task::Codegen { check, write: _ } => codegen::run(check),
        Task::CheckDeps => check_deps::run(),
        Task::Bench { target } => bench::run(&target),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
