//! `cargo xtask bench sbom`: whole-process timings of `crabox sbom` against its peers on the same
//! inputs, in one run, as ratios. `cargo cyclonedx` on a Cargo workspace; `cdxgen` (npm
//! `@cyclonedx/cdxgen`, `FETCH_LICENSE=false`, no installs) on the same lockfiles. A peer that is
//! not installed is reported as skipped, never as a win.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

const RUNS: usize = 7;

/// Median wall time of `RUNS` runs (after one warm-up) of a command; fails if it fails.
fn time(name: &str, mut make: impl FnMut() -> Command) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(RUNS);
    for run in 0..=RUNS {
        let mut command = make();
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let start = Instant::now();
        let output = command
            .output()
            .with_context(|| format!("could not start {name}"))?;
        let elapsed = start.elapsed();
        if !output.status.success() {
            bail!("{name} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        if run > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    Ok(times[RUNS / 2])
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if matches!(name.to_str(), Some("target" | ".git" | "node_modules")) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

pub(crate) fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

struct Row {
    input: String,
    crabox: Duration,
    peer: &'static str,
    peer_time: Option<Duration>,
}

pub fn run(target: &str) -> anyhow::Result<()> {
    match target {
        "sbom" => run_sbom(),
        "audit" => run_audit(),
        "bundle" => run_bundle(),
        "notes" => crate::bench_notes::run(),
        "scaling" => crate::bench_scaling::run(),
        "watch" => crate::bench_watch::run(),
        _ => bail!(
            "unknown benchmark `{target}`; available: sbom, audit, bundle, notes, scaling, watch"
        ),
    }
}

/// Peak resident memory of one run, in KiB, through `/usr/bin/time` when it is there.
pub(crate) fn peak_kib(
    program: &Path,
    args: &[&str],
    dir: &Path,
    env: &[(&str, &Path)],
) -> Option<u64> {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

/// A Cargo.lock with `count` packages, a few hundred of them named like crates the database
/// has advisories for, with edges.
fn synthetic_lockfile(db: &Path, count: usize) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let mut names: Vec<String> = fs_err::read_dir(db.join("crates"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.truncate(300);
    let packages: Vec<(String, String)> = (0..count)
        .map(|i| match names.get(i) {
            Some(name) => (name.clone(), "0.1.0".to_owned()),
            None => (
                format!("synthetic-crate-{i}"),
                format!("1.{}.{}", i % 50, i % 7),
            ),
        })
        .collect();
    let mut out = String::from(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for (name, version) in packages.iter().take(2000) {
        let _ = writeln!(out, " \"{name} {version}\",");
    }
    out.push_str("]\n");
    for (i, (name, version)) in packages.iter().enumerate() {
        let _ = write!(
            out,
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{i:064x}\"\n"
        );
        if i % 3 == 0
            && let Some((next, next_version)) = packages.get(i + 1)
        {
            let _ = writeln!(out, "dependencies = [\"{next} {next_version}\"]");
        }
    }
    Ok(out)
}

/// Runs of each command in the audit benchmark (after one warm-up each).
const AUDIT_RUNS: usize = 15;

/// One timed run of a command that may exit non-zero (cargo audit exits 1 on findings).
fn run_once(
    program: &Path,
    args: &[&str],
    dir: &Path,
    env: &[(&str, &Path)],
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("could not start {}", program.display()))?;
    Ok(start.elapsed())
}

/// Median wall times of two commands run alternately (ours, then theirs, `AUDIT_RUNS` times after
/// a warm-up), so that a machine that speeds up or slows down meanwhile weighs on both alike.
pub(crate) fn time_alternately(
    ours: (&Path, &[&str], &[(&str, &Path)]),
    theirs: Option<(&Path, &[&str])>,
    dir: &Path,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    let (mut our_times, mut their_times) = (Vec::new(), Vec::new());
    for run in 0..=AUDIT_RUNS {
        let a = run_once(ours.0, ours.1, dir, ours.2)?;
        let b = match theirs {
            Some((program, args)) => Some(run_once(program, args, dir, &[])?),
            None => None,
        };
        if run > 0 {
            our_times.push(a);
            their_times.extend(b);
        }
    }
    our_times.sort();
    their_times.sort();
    Ok((
        our_times[AUDIT_RUNS / 2],
        their_times.get(AUDIT_RUNS / 2).copied(),
    ))
}

/// `crabox audit` against `cargo audit --no-fetch --no-yanked` (like for like: offline) on the
/// same lockfile and RustSec database, and a 20,000-package synthetic lockfile.
fn run_audit() -> anyhow::Result<()> {
    let root = super::root();
    let db = root.join("../shared/data/rustsec-advisory-db");
    let lockfile = root.join("../shared/fixtures/lockfiles/cargo/uv.Cargo.lock");
    if !db.is_dir() || !lockfile.is_file() {
        eprintln!("xtask: SKIP bench audit: ../shared (RustSec database, uv.Cargo.lock) is absent");
        return Ok(());
    }
    let crabox = crate::dist::build(None)?;
    let work = std::env::temp_dir().join(format!("crabox-bench-audit-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    let uv = work.join("uv");
    let synthetic = work.join("synthetic");
    fs_err::create_dir_all(&uv)?;
    fs_err::create_dir_all(&synthetic)?;
    fs_err::copy(&lockfile, uv.join("Cargo.lock"))?;
    fs_err::write(
        synthetic.join("Cargo.lock"),
        synthetic_lockfile(&db, 20_000)?,
    )?;
    // The cargo-audit binary itself (not through `cargo`, whose wrapper would add its own start-up
    // and hide the child's memory from the measurement).
    let cargo_audit = which("cargo-audit");
    if cargo_audit.is_none() {
        eprintln!("xtask: SKIP cargo-audit: not installed (cargo install cargo-audit --locked)");
    }
    println!("| input | crabox audit | peak | cargo audit | peak | cargo audit / crabox |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut first_runs = Vec::new();
    for (label, dir) in [
        ("uv.Cargo.lock (753 packages)", &uv),
        ("synthetic Cargo.lock (20,000 packages)", &synthetic),
    ] {
        first_runs.push((
            label,
            audit_row(label, dir, &crabox, cargo_audit.as_deref(), &db)?,
        ));
    }
    println!();
    for (label, elapsed) in first_runs {
        println!(
            "First crabox run on {label}, building the database index: {:.1} ms",
            elapsed.as_secs_f64() * 1000.0
        );
    }
    let _ = fs_err::remove_dir_all(&work);
    Ok(())
}

/// Fails unless the binary being timed reports the vulnerabilities cargo-audit reports (id,
/// package, version): a faster audit that finds something else is no result.
fn same_vulnerabilities(
    dir: &Path,
    (crabox, crabox_args, env): (&Path, &[&str], &[(&str, &Path)]),
    (cargo_audit, audit_args): (&Path, &[&str]),
) -> anyhow::Result<()> {
    let json = |program: &Path, args: &[&str], env: &[(&str, &Path)]| -> anyhow::Result<Value> {
        let output = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stderr(Stdio::null())
            .output()
            .with_context(|| format!("could not run {}", program.display()))?;
        serde_json::from_slice(&output.stdout)
            .with_context(|| format!("{} wrote no JSON report", program.display()))
    };
    let key = |id: &Value, package: &Value| {
        (
            id.as_str().unwrap_or_default().to_owned(),
            package["name"].as_str().unwrap_or_default().to_owned(),
            package["version"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let ours = json(crabox, crabox_args, env)?;
    let mut ours: Vec<_> = ours["findings"]
        .as_array()
        .context("crabox's report has no findings list")?
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .map(|f| key(&f["id"], &f["package"]))
        .collect();
    let theirs = json(cargo_audit, audit_args, &[])?;
    let mut theirs: Vec<_> = theirs["vulnerabilities"]["list"]
        .as_array()
        .context("cargo-audit's report has no vulnerabilities list")?
        .iter()
        .map(|v| key(&v["advisory"]["id"], &v["package"]))
        .collect();
    ours.sort();
    theirs.sort();
    anyhow::ensure!(
        ours == theirs,
        "crabox and cargo-audit report different vulnerabilities in {}: {ours:?} against {theirs:?}",
        dir.display()
    );
    Ok(())
}

/// One table row: crabox (offline, index already built) against cargo-audit (no fetch, no
/// yanked check) on the lockfile in `dir`. Returns the time of crabox's first run, which builds
/// the index.
fn audit_row(
    label: &str,
    dir: &Path,
    crabox: &Path,
    cargo_audit: Option<&Path>,
    db: &Path,
) -> anyhow::Result<Duration> {
    let db_text = db.to_string_lossy().into_owned();
    let crabox_args = [
        "-q",
        "--offline",
        "audit",
        "--db",
        db_text.as_str(),
        "--format",
        "json",
        "--fail-on",
        "none",
    ];
    let audit_args = [
        "audit",
        "--no-fetch",
        "--no-yanked",
        "--stale",
        "--db",
        db_text.as_str(),
        "-f",
        "Cargo.lock",
        "--json",
    ];
    // Beside the lockfile's directory, not in it (as `~/.cache` is): the audit's own walk for
    // lockfiles should not go through its index.
    let cache = dir.with_extension("cache");
    let env = [("CRABOX_CACHE_DIR", cache.as_path())];
    let start = Instant::now();
    let first = Command::new(crabox)
        .args(crabox_args)
        .envs(env)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    anyhow::ensure!(first.success(), "crabox audit failed");
    let first = start.elapsed();
    if let Some(program) = cargo_audit {
        same_vulnerabilities(dir, (crabox, &crabox_args, &env), (program, &audit_args))?;
    }
    let (ours, theirs) = time_alternately(
        (crabox, &crabox_args, &env),
        cargo_audit.map(|program| (program, &audit_args[..])),
        dir,
    )?;
    let our_peak = peak_kib(crabox, &crabox_args, dir, &env);
    let their_peak = cargo_audit.and_then(|program| peak_kib(program, &audit_args, dir, &[]));
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let mib = |k: Option<u64>| {
        k.map_or_else(
            || "n/a".to_owned(),
            |k| format!("{}.{} MiB", k / 1024, k % 1024 * 10 / 1024),
        )
    };
    println!(
        "| {label} | {} | {} | {} | {} | {} |",
        ms(ours),
        mib(our_peak),
        theirs.map_or_else(|| "not installed".to_owned(), ms),
        mib(their_peak),
        theirs.map_or_else(
            || "n/a".to_owned(),
            |t| format!("{:.1}x", t.as_secs_f64() / ours.as_secs_f64())
        )
    );
    Ok(first)
}

fn run_sbom() -> anyhow::Result<()> {
    let root = super::root();
    let crabox = crate::dist::build(None)?;
    let work = std::env::temp_dir().join(format!("crabox-bench-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    fs_err::create_dir_all(&work)?;
    let mut rows = vec![bench_workspace(&root, &crabox, &work)?];
    rows.extend(bench_lockfiles(&root, &crabox, &work)?);
    rows.extend(bench_breadth(&root, &crabox, &work)?);
    let _ = fs_err::remove_dir_all(&work);
    print_table(&rows);
    Ok(())
}

/// A Cargo workspace (crabox's own, copied so that cargo-cyclonedx's outputs stay out of it)
/// against `cargo cyclonedx`.
fn bench_workspace(root: &Path, crabox: &Path, work: &Path) -> anyhow::Result<Row> {
    let workspace = work.join("workspace");
    copy_tree(root, &workspace)?;
    let crabox_time = time("crabox sbom", || {
        let mut c = Command::new(crabox);
        c.args(["-q", "-C"])
            .arg(&workspace)
            .args(["sbom", "--path", "."]);
        c
    })?;
    let cargo_cyclonedx = if Command::new("cargo")
        .args(["cyclonedx", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some(time("cargo cyclonedx", || {
            let mut c = Command::new("cargo");
            c.args(["cyclonedx", "--format", "json", "--manifest-path"])
                .arg(workspace.join("Cargo.toml"));
            c.env("CARGO_NET_OFFLINE", "true");
            c
        })?)
    } else {
        eprintln!(
            "xtask: SKIP cargo-cyclonedx: not installed (cargo install cargo-cyclonedx --locked)"
        );
        None
    };
    Ok(Row {
        input: "crabox workspace (Cargo)".into(),
        crabox: crabox_time,
        peer: "cargo cyclonedx",
        peer_time: cargo_cyclonedx,
    })
}

/// The shared real lockfiles, one directory each, against cdxgen.
fn bench_lockfiles(root: &Path, crabox: &Path, work: &Path) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let cdxgen = std::env::var_os("CDXGEN")
        .map(PathBuf::from)
        .or_else(|| which("cdxgen"));
    let shared = root.join("../shared/fixtures/lockfiles");
    let inputs: &[(&str, &str, &str, &str)] = &[
        (
            "cargo/ripgrep.Cargo.lock",
            "Cargo.lock",
            "rust",
            "ripgrep Cargo.lock",
        ),
        ("cargo/uv.Cargo.lock", "Cargo.lock", "rust", "uv Cargo.lock"),
        (
            "npm/rust-analyzer-vscode.package-lock.json",
            "package-lock.json",
            "npm",
            "rust-analyzer package-lock.json",
        ),
        ("python/uv.uv.lock", "uv.lock", "python", "uv uv.lock"),
        ("go/grype.go.mod", "go.mod", "go", "grype go.mod + go.sum"),
    ];
    for (source, name, kind, label) in inputs {
        let file = shared.join(source);
        if !file.exists() {
            eprintln!("xtask: SKIP {label}: {} is absent", file.display());
            continue;
        }
        let dir = work.join(label.replace([' ', '+'], "-"));
        fs_err::create_dir_all(&dir)?;
        fs_err::copy(&file, dir.join(name))?;
        if *name == "go.mod" {
            fs_err::copy(shared.join("go/grype.go.sum"), dir.join("go.sum"))?;
        }
        let crabox_time = time("crabox sbom", || {
            let mut c = Command::new(crabox);
            c.args(["-q", "-C"]).arg(&dir).args(["sbom", "--path", "."]);
            c
        })?;
        let peer_time = match &cdxgen {
            Some(cdxgen) => Some(time("cdxgen", || {
                let mut c = Command::new(cdxgen);
                c.args([
                    "-t",
                    kind,
                    "--no-install-deps",
                    "--spec-version",
                    "1.6",
                    "-o",
                ])
                .arg(dir.join("cdxgen.json"))
                .arg(&dir)
                .env("FETCH_LICENSE", "false")
                .env("CDXGEN_NO_BANNER", "true");
                c
            })?),
            None => {
                eprintln!(
                    "xtask: SKIP cdxgen: set CDXGEN or put cdxgen on PATH (npm install @cyclonedx/cdxgen)"
                );
                None
            }
        };
        rows.push(Row {
            input: (*label).to_owned(),
            crabox: crabox_time,
            peer: "cdxgen",
            peer_time,
        });
    }
    Ok(rows)
}

/// `crabox sbom` and `cdxgen` (median of `RUNS`) on one input: `crabox_args` after `sbom`,
/// `cdxgen_args` before cdxgen's output and input paths.
fn crabox_and_cdxgen(
    crabox: &Path,
    cdxgen: Option<&PathBuf>,
    dir: &Path,
    crabox_args: &[&str],
    cdxgen_args: &[&str],
    cdxgen_input: &Path,
    label: &str,
) -> anyhow::Result<Row> {
    let crabox_time = time("crabox sbom", || {
        let mut c = Command::new(crabox);
        c.args(["-q", "-C"]).arg(dir).arg("sbom").args(crabox_args);
        c
    })?;
    let peer_time = match cdxgen {
        Some(cdxgen) => Some(time("cdxgen", || {
            let mut c = Command::new(cdxgen);
            c.args(cdxgen_args)
                .args(["--spec-version", "1.6", "-o"])
                .arg(dir.join("cdxgen.json"))
                .arg(cdxgen_input)
                .env("FETCH_LICENSE", "false")
                .env("CDXGEN_NO_BANNER", "true");
            c
        })?),
        None => None,
    };
    Ok(Row {
        input: label.to_owned(),
        crabox: crabox_time,
        peer: "cdxgen",
        peer_time,
    })
}

/// The ecosystems of issue 22 against cdxgen: a Maven `pom.xml` and a .NET
/// `packages.lock.json` (the real fixtures of `crates/crabox-sbom/tests/fixtures`), and a
/// container image (`docker save` archive of the debootstrap root `.ci/validate` builds, packed
/// by `.ci/pack-image.py`; skipped when that root is absent).
fn bench_breadth(root: &Path, crabox: &Path, work: &Path) -> anyhow::Result<Vec<Row>> {
    let cdxgen = std::env::var_os("CDXGEN")
        .map(PathBuf::from)
        .or_else(|| which("cdxgen"));
    let fixtures = root.join("crates/crabox-sbom/tests/fixtures");
    let mut rows = Vec::new();
    for (fixture, kind, label) in [
        ("maven-commons-text", "java", "commons-text pom.xml (Maven)"),
        ("nuget-qowaiv", "dotnet", "Qowaiv packages.lock.json (.NET)"),
    ] {
        let dir = work.join(fixture);
        copy_tree(&fixtures.join(fixture), &dir)?;
        let _ = fs_err::remove_file(dir.join("expected.txt"));
        rows.push(crabox_and_cdxgen(
            crabox,
            cdxgen.as_ref(),
            &dir,
            &["--path", "."],
            &["-t", kind, "--no-install-deps"],
            &dir,
            label,
        )?);
    }
    let image_root = root.join("target/ci-image/root");
    if image_root.join("var/lib/dpkg/status").is_file() {
        let dir = work.join("image");
        fs_err::create_dir_all(&dir)?;
        let packed = Command::new("python3")
            .arg(root.join(".ci/pack-image.py"))
            .arg(&image_root)
            .arg("e2fsprogs")
            .arg(&dir)
            .stdout(Stdio::null())
            .status()
            .context("could not run .ci/pack-image.py")?;
        if !packed.success() {
            bail!(".ci/pack-image.py failed");
        }
        let image = dir.join("image.tar");
        let image_arg = image.to_string_lossy().into_owned();
        rows.push(crabox_and_cdxgen(
            crabox,
            cdxgen.as_ref(),
            &dir,
            &["--image", &image_arg],
            &["-t", "docker"],
            &image,
            "debootstrap bookworm minbase image (docker save, 2 layers)",
        )?);
    } else {
        eprintln!(
            "xtask: SKIP image: {} is absent (bash .ci/validate builds it with debootstrap)",
            image_root.display()
        );
    }
    if cdxgen.is_none() {
        eprintln!(
            "xtask: SKIP cdxgen: set CDXGEN or put cdxgen on PATH (npm install @cyclonedx/cdxgen)"
        );
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    println!("| input | crabox sbom | peer | peer time | peer / crabox |");
    println!("|---|---:|---|---:|---:|");
    for row in rows {
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        let (peer_time, ratio) = match row.peer_time {
            Some(t) => (
                ms(t),
                format!("{:.0}x", t.as_secs_f64() / row.crabox.as_secs_f64()),
            ),
            None => ("not installed".to_owned(), "n/a".to_owned()),
        };
        println!(
            "| {} | {} | {} | {peer_time} | {ratio} |",
            row.input,
            ms(row.crabox),
            row.peer
        );
    }
}

/// `crabox bundle` (SBOM, audit and report, unsigned, offline) on one repository holding every
/// lockfile under `../shared/fixtures/lockfiles`, with the shared advisory databases: median of
/// `RUNS` runs after the first (which builds the database indexes, timed apart).
fn run_bundle() -> anyhow::Result<()> {
    let root = super::root();
    let shared = root.join("../shared");
    let lockfiles = shared.join("fixtures/lockfiles");
    if !lockfiles.is_dir() {
        eprintln!("xtask: SKIP bench bundle: ../shared/fixtures/lockfiles is absent");
        return Ok(());
    }
    let crabox = crate::dist::build(None)?;
    let work = std::env::temp_dir().join(format!("crabox-bench-bundle-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    let repo = work.join("repo");
    let count = lockfile_repository(&lockfiles, &repo)?;
    let mut args: Vec<String> = [
        "-q",
        "--offline",
        "bundle",
        "--no-sign",
        "--release",
        "v1.0.0",
        "--out",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(work.join("out").to_string_lossy().into_owned());
    for db in ["rustsec-advisory-db", "go-vulndb", "pypa-advisory-db"] {
        let path = shared.join("data").join(db);
        if path.is_dir() {
            args.push("--db".to_owned());
            args.push(path.to_string_lossy().into_owned());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let cache = work.join("cache");
    let env = [("CRABOX_CACHE_DIR", cache.as_path())];
    // The first run builds the indexes; a bundle whose report has a failing row exits 1.
    let start = Instant::now();
    let first = Command::new(&crabox)
        .args(&args)
        .envs(env)
        .current_dir(&repo)
        .stdout(Stdio::null())
        .output()?;
    let first_time = start.elapsed();
    anyhow::ensure!(
        first.status.code().is_some_and(|c| c <= 1),
        "crabox bundle failed: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let mut times = Vec::new();
    for _ in 0..RUNS {
        times.push(run_once(&crabox, &args, &repo, &env)?);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| input | crabox bundle (median of {RUNS}) | first run (builds the indexes) | peak |"
    );
    println!("|---|---:|---:|---:|");
    let peak = peak_kib(&crabox, &args, &repo, &env).map_or_else(
        || "n/a".to_owned(),
        |k| format!("{}.{} MiB", k / 1024, k % 1024 * 10 / 1024),
    );
    println!(
        "| one repository with the {count} shared lockfiles | {:.0} ms | {:.0} ms | {peak} |",
        ms(times[RUNS / 2]),
        ms(first_time)
    );
    // Another crabox build (an earlier commit's) on the same inputs, run alternately: a change
    // is "no slower" only against a baseline timed beside it.
    if let Some(against) = std::env::var_os("CRABOX_BENCH_AGAINST") {
        let against = PathBuf::from(against);
        let (ours, theirs) =
            time_alternately((&crabox, &args, &env), Some((&against, &args)), &repo)?;
        let theirs = theirs.context("the baseline build did not run")?;
        println!();
        println!(
            "| alternately ({AUDIT_RUNS} runs each) | this build | CRABOX_BENCH_AGAINST | against / this |"
        );
        println!("|---|---:|---:|---:|");
        println!(
            "| one repository with the {count} shared lockfiles | {:.0} ms | {:.0} ms | {:.2}x |",
            ms(ours),
            ms(theirs),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
    let _ = fs_err::remove_dir_all(&work);
    Ok(())
}

/// A git repository at `repo` holding every shared lockfile in a directory of its own (go.sum
/// beside its go.mod); returns how many lockfiles.
fn lockfile_repository(lockfiles: &Path, repo: &Path) -> anyhow::Result<usize> {
    let mut count = 0;
    for group in fs_err::read_dir(lockfiles)? {
        for file in fs_err::read_dir(group?.path())? {
            let path = file?.path();
            let base = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let Some((project, real)) = base.split_once('.') else {
                continue;
            };
            if real == "go.sum" || base == "SOURCES.tsv" {
                continue;
            }
            let dir = repo.join(format!("{project}-{real}"));
            fs_err::create_dir_all(&dir)?;
            fs_err::copy(&path, dir.join(real))?;
            if real == "go.mod" {
                let sum = path.with_file_name(format!("{project}.go.sum"));
                if sum.is_file() {
                    fs_err::copy(&sum, dir.join("go.sum"))?;
                }
            }
            count += 1;
        }
    }
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new("git")
            .args(args)
            .current_dir(repo)
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@crabox.invalid")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@crabox.invalid")
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "git {args:?} failed");
        Ok(())
    };
    git(&["init", "-q"])?;
    git(&["add", "."])?;
    git(&["commit", "-qm", "lockfiles"])?;
    Ok(count)
}
