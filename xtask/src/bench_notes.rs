//! `cargo xtask bench notes`: release notes over the whole history of a generated 10,000-commit
//! repository, by crabox and by git-cliff (`cargo install git-cliff`, its built-in default
//! configuration), run alternately in one process, as whole-process medians and a ratio.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use crate::bench::{peak_kib, time_alternately, which};

const COMMITS: usize = 10_000;

/// Commit subjects, cycled: mostly Conventional Commits, some free-form, with scopes, issue
/// references and breaking changes, as real histories have.
const SUBJECTS: &[&str] = &[
    "feat(api): add the export endpoint (#{n})",
    "fix: handle empty input in the parser",
    "docs: explain the configuration keys",
    "chore(deps): bump serde from 1.0.{n} to 1.0.{m}",
    "refactor(core): split the scheduler",
    "fix(cli)!: rename --out to --output\n\nBREAKING CHANGE: scripts must use --output",
    "perf: cache the index between runs",
    "test: cover the retry path",
    "ci: pin the actions by SHA",
    "Update README.md",
    "feat: support YAML input\n\nCloses #{n}\nCo-authored-by: Grace Hopper <grace@example.com>",
    "fix(security): reject oversized headers (GHSA-abcd-efgh-{n4})",
];

/// A repository of `COMMITS` commits at `repo`, written with `git fast-import` (a Cargo.lock
/// at the root, one file changed per commit).
fn generate(repo: &Path) -> anyhow::Result<()> {
    fs_err::create_dir_all(repo)?;
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new("git")
            .args(args)
            .current_dir(repo)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .context("could not run git")?;
        anyhow::ensure!(status.success(), "git {} failed", args.join(" "));
        Ok(())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["remote", "add", "origin", "https://github.com/acme/app.git"])?;
    let mut stream = Vec::new();
    let lock = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";
    for i in 0..COMMITS {
        let subject = SUBJECTS[i % SUBJECTS.len()]
            .replace("{n4}", &format!("{:04}", i % 10_000))
            .replace("{n}", &(i + 1).to_string())
            .replace("{m}", &(i + 2).to_string());
        let time = 1_600_000_000 + i * 60;
        writeln!(stream, "commit refs/heads/main")?;
        writeln!(
            stream,
            "author Dev {} <dev{}@example.com> {time} +0000",
            i % 37,
            i % 37
        )?;
        writeln!(stream, "committer CI <ci@example.com> {time} +0000")?;
        writeln!(stream, "data {}\n{subject}", subject.len())?;
        if i == 0 {
            writeln!(
                stream,
                "M 100644 inline Cargo.lock\ndata {}\n{lock}",
                lock.len()
            )?;
        }
        let content = format!("change {i}\n");
        writeln!(
            stream,
            "M 100644 inline src/file{}.txt\ndata {}\n{content}",
            i % 200,
            content.len()
        )?;
        writeln!(stream)?;
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .context("could not run git fast-import")?;
    child
        .stdin
        .take()
        .context("git fast-import's stdin")?
        .write_all(&stream)?;
    anyhow::ensure!(child.wait()?.success(), "git fast-import failed");
    git(&["reset", "-q", "--hard", "main"])?;
    Ok(())
}

pub fn run() -> anyhow::Result<()> {
    let crabox = crate::dist::build(None)?;
    let work = std::env::temp_dir().join(format!("crabox-bench-notes-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    let repo = work.join("repo");
    generate(&repo)?;
    let cliff = which("git-cliff");
    if cliff.is_none() {
        eprintln!("xtask: git-cliff not found (cargo install git-cliff): crabox timed alone");
    }
    // No release tag: both render the whole history as one release.
    let ours: [&str; 3] = ["-q", "--offline", "notes"];
    let theirs: [&str; 1] = ["--unreleased"];
    let (crabox_time, cliff_time) = time_alternately(
        (&crabox, &ours, &[]),
        cliff.as_deref().map(|c| (c, &theirs[..])),
        &repo,
    )?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mib = |k: Option<u64>| {
        k.map_or_else(
            || "n/a".to_owned(),
            |k| format!("{}.{} MiB", k / 1024, k % 1024 * 10 / 1024),
        )
    };
    println!(
        "| input | crabox notes | peak | git-cliff --unreleased | peak | git-cliff / crabox |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let (cliff_cell, cliff_peak, ratio) = match (&cliff, cliff_time) {
        (Some(path), Some(t)) => (
            format!("{:.0} ms", ms(t)),
            mib(peak_kib(path, &theirs, &repo, &[])),
            format!("{:.1}x", ms(t) / ms(crabox_time)),
        ),
        _ => ("not installed".into(), String::new(), "n/a".into()),
    };
    println!(
        "| {COMMITS} commits, whole history | {:.0} ms | {} | {cliff_cell} | {cliff_peak} | {ratio} |",
        ms(crabox_time),
        mib(peak_kib(&crabox, &ours, &repo, &[])),
    );
    let _ = fs_err::remove_dir_all(&work);
    Ok(())
}
