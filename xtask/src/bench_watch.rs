//! `cargo xtask bench watch`: re-auditing at fleet scale (issue 23). CycloneDX SBOMs of 200–800
//! components are made by `crabox sbom` from the shared lockfiles (`../shared/fixtures`), copied
//! under distinct product names to `CRABOX_BENCH_WATCH_COUNT` SBOMs (default 10,000), and
//! re-audited by `crabox watch` against the shared advisory databases (RustSec, `PyPA`, Go), offline. The
//! whole set and the shards 1/2 and 1/4 (`--shard`) are timed, with peak resident memory, so the
//! cost per SBOM (the slope) shows whether it is linear.
//!
//! The binary is `CRABOX_BENCH_BIN` when set, else the release build of `cargo xtask dist`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The shared lockfiles, each under the name its tool gives it.
const LOCKFILES: &[(&str, &str)] = &[
    ("cargo/ripgrep.Cargo.lock", "Cargo.lock"),
    ("cargo/uv.Cargo.lock", "Cargo.lock"),
    ("cargo/gitoxide.Cargo.lock", "Cargo.lock"),
    ("cargo/cargo-deny-2022-09.Cargo.lock", "Cargo.lock"),
    ("cargo/cargo-deny-2020-02.Cargo.lock", "Cargo.lock"),
    ("npm/actions-attest.package-lock.json", "package-lock.json"),
    (
        "npm/rust-analyzer-vscode.package-lock.json",
        "package-lock.json",
    ),
    ("yarn/git-cliff-website.yarn.lock", "yarn.lock"),
    ("python/uv.uv.lock", "uv.lock"),
];

const PLACEHOLDER: &str = "crabox-bench-product";

/// Wall time and peak resident memory (KiB) of one command, through `/usr/bin/time`.
fn timed(program: &Path, args: &[&str], dir: &Path) -> anyhow::Result<(Duration, u64, bool)> {
    let start = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .output()
        .context("could not run /usr/bin/time (Debian's `time` package)")?;
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("no peak memory from /usr/bin/time: {stderr}"))?;
    // Exit 1 is a finding (a new critical vulnerability), not a failure of the run.
    let ran = matches!(output.status.code(), Some(0 | 1));
    if !ran {
        bail!("crabox watch failed: {stderr}");
    }
    Ok((elapsed, peak, ran))
}

/// The CycloneDX SBOMs of the shared lockfiles that have 200–800 components, with the product
/// name replaced by a placeholder.
fn templates(crabox: &Path, shared: &Path, work: &Path) -> anyhow::Result<Vec<(String, usize)>> {
    let mut out = Vec::new();
    for (i, (file, name)) in LOCKFILES.iter().enumerate() {
        let source = shared.join("fixtures/lockfiles").join(file);
        if !source.is_file() {
            continue;
        }
        let dir = work.join(format!("template-{i}"));
        fs_err::create_dir_all(&dir)?;
        fs_err::copy(&source, dir.join(name))?;
        fs_err::write(
            dir.join("crabox.toml"),
            format!("[product]\nname = \"{PLACEHOLDER}\"\nversion = \"1.0.0\"\n"),
        )?;
        let status = Command::new(crabox)
            .args(["-q", "--offline", "sbom", "--output", "sbom.cdx.json"])
            .env("SOURCE_DATE_EPOCH", "1796083200")
            .current_dir(&dir)
            .status()?;
        if !status.success() {
            continue;
        }
        let text = fs_err::read_to_string(dir.join("sbom.cdx.json"))?;
        let document: serde_json::Value = serde_json::from_str(&text)?;
        let components = document["components"].as_array().map_or(0, Vec::len);
        if (200..=800).contains(&components) {
            out.push((text, components));
        }
    }
    if out.is_empty() {
        bail!("no shared lockfile gave an SBOM of 200–800 components");
    }
    Ok(out)
}

/// `count` copies of the templates, each under its own product name, a hundred per directory as
/// a fleet's store would spread them; the number of components and of bytes written.
fn write_sboms(
    templates: &[(String, usize)],
    count: usize,
    sboms: &Path,
) -> anyhow::Result<(usize, usize)> {
    let mut components = 0;
    let mut bytes = 0;
    for i in 0..count {
        let (text, n) = &templates[i % templates.len()];
        let text = text.replace(PLACEHOLDER, &format!("product-{i:05}"));
        bytes += text.len();
        components += n;
        let dir = sboms.join(format!("{:03}", i / 100));
        fs_err::create_dir_all(&dir)?;
        fs_err::write(dir.join(format!("product-{i:05}.cdx.json")), text)?;
    }
    Ok((components, bytes))
}

/// Least-squares slope and intercept of `y` against `x`.
#[allow(clippy::cast_precision_loss)] // three points
fn fit(points: &[(f64, f64)]) -> (f64, f64) {
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let slope = points
        .iter()
        .map(|p| (p.0 - mean_x) * (p.1 - mean_y))
        .sum::<f64>()
        / points.iter().map(|p| (p.0 - mean_x).powi(2)).sum::<f64>();
    (slope, mean_y - slope * mean_x)
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
pub fn run() -> anyhow::Result<()> {
    let root = crate::root();
    let shared = root.join("../shared");
    let databases: Vec<PathBuf> = ["rustsec-advisory-db", "pypa-advisory-db", "go-vulndb"]
        .iter()
        .map(|d| shared.join("data").join(d))
        .filter(|d| d.is_dir())
        .collect();
    if databases.is_empty() || !shared.join("fixtures/lockfiles").is_dir() {
        eprintln!("xtask: SKIP bench watch: ../shared (lockfiles, advisory databases) is absent");
        return Ok(());
    }
    let count: usize = std::env::var("CRABOX_BENCH_WATCH_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000);
    let crabox = match std::env::var_os("CRABOX_BENCH_BIN") {
        Some(path) => PathBuf::from(path),
        None => crate::dist::build(None)?,
    };
    let work = std::env::temp_dir().join(format!("crabox-bench-watch-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    fs_err::create_dir_all(&work)?;
    let templates = templates(&crabox, &shared, &work)?;
    let (components, bytes) = write_sboms(&templates, count, &work.join("sboms"))?;
    let mut args: Vec<String> = [
        "-q",
        "--offline",
        "--format",
        "json",
        "watch",
        "sboms",
        "--state",
        "state.json",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for db in &databases {
        args.push("--db".into());
        args.push(db.display().to_string());
    }
    let mut table = String::from(
        "| SBOMs | components | wall time | per SBOM | peak RSS |\n|---|---|---|---|---|\n",
    );
    let mut points = Vec::new();
    for shard in ["1/4", "1/2", ""] {
        let mut run_args: Vec<&str> = args.iter().map(String::as_str).collect();
        if !shard.is_empty() {
            run_args.extend(["--shard", shard]);
        }
        let _ = fs_err::remove_file(work.join("state.json"));
        let (time, peak, _) = timed(&crabox, &run_args, &work)?;
        let n = match shard {
            "1/4" => count.div_ceil(4),
            "1/2" => count.div_ceil(2),
            _ => count,
        };
        points.push((n as f64, time.as_secs_f64()));
        let _ = writeln!(
            table,
            "| {n} | {} | {:.1} s | {:.2} ms | {} MiB |",
            components * n / count,
            time.as_secs_f64(),
            time.as_secs_f64() * 1000.0 / n as f64,
            peak / 1024
        );
    }
    let (slope, intercept) = fit(&points);
    println!(
        "crabox watch, {count} CycloneDX SBOMs ({:.1} GiB, {} templates of {} components) against {}:\n",
        bytes as f64 / (1u64 << 30) as f64,
        templates.len(),
        templates
            .iter()
            .map(|(_, n)| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        databases
            .iter()
            .map(|d| d
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("{table}");
    println!(
        "slope {:.2} ms per SBOM, intercept {:.2} s (least squares over the three runs)",
        slope * 1000.0,
        intercept
    );
    fs_err::remove_dir_all(&work)?;
    Ok(())
}
