//! `cargo xtask dist`: crabox built as releases are built (`.github/workflows/release.yml` runs
//! this), and `cargo xtask symbol-order`: regenerates the start-up symbol order that build links
//! with. The benchmarks measure this build, the binary users download.
//!
//! For x86-64 Linux the release is
//! - a static PIE (`-C target-feature=+crt-static`): still position independent, with full
//!   RELRO, but without the dynamic loader's work of mapping libc, libm and `libgcc_s` and looking
//!   up their symbols (0.5 ms of each run's start, docs/benchmarks.md). glibc's `files` and
//!   `dns` name services are built into its static library, so host names resolve as before;
//! - linked with `crates/crabox/symbol-order.txt` (see `crates/crabox/build.rs`).
//!
//! Other targets are built plainly. The flags are given only here, with `--target`, so that they
//! reach crabox's own code and not the build scripts and procedural macros cargo builds for the
//! host (a static C runtime cannot load a procedural macro).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// Targets whose release is a static PIE linked with the symbol order.
const STATIC_PIE: &[&str] = &["x86_64-unknown-linux-gnu"];

/// The symbol order, relative to the workspace root.
const ORDER: &str = "crates/crabox/symbol-order.txt";

/// The host's target triple, as rustc names it.
fn host() -> anyhow::Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("could not run `{rustc} -vV`"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` names no host")
}

/// Builds crabox for `target` (the host when `None`) the way releases are built and returns the
/// binary's path.
pub fn build(target: Option<&str>) -> anyhow::Result<PathBuf> {
    let root = crate::root();
    let target = match target {
        Some(t) => t.to_owned(),
        None => host()?,
    };
    let mut env: Vec<(&str, String)> = Vec::new();
    if STATIC_PIE.contains(&target.as_str()) {
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        if !flags.is_empty() {
            flags.push(' ');
        }
        flags.push_str("-C target-feature=+crt-static");
        env.push(("RUSTFLAGS", flags));
        env.push((
            "CRABOX_SYMBOL_ORDER",
            root.join(ORDER).to_string_lossy().into_owned(),
        ));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::cargo(
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "crabox",
            "--target",
            &target,
        ],
        &env,
    )?;
    let exe = if target.contains("windows") {
        "crabox.exe"
    } else {
        "crabox"
    };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |dir| root.join(dir));
    Ok(target_dir.join(&target).join("release").join(exe))
}

/// `cargo xtask dist [--target T]`: the release build; prints the binary's path.
pub fn run(target: Option<&str>) -> anyhow::Result<()> {
    let binary = build(target)?;
    eprintln!("xtask: built {}", binary.display());
    Ok(())
}

/// `cargo xtask symbol-order`: runs the release build under callgrind on the workloads that
/// matter most for start-up (an indexed `crabox audit`, then `crabox sbom`, of uv's Cargo.lock
/// against the shared RustSec database) and writes the functions they executed to the order
/// file, the audit's first. Needs valgrind and `../shared`.
pub fn symbol_order() -> anyhow::Result<()> {
    let root = crate::root();
    let db = root.join("../shared/data/rustsec-advisory-db");
    let lockfile = root.join("../shared/fixtures/lockfiles/cargo/uv.Cargo.lock");
    if !db.is_dir() || !lockfile.is_file() {
        bail!("symbol-order needs ../shared (the RustSec database and uv.Cargo.lock)");
    }
    if crate::bench::which("valgrind").is_none() {
        bail!("symbol-order needs valgrind (apt install valgrind)");
    }
    let crabox = build(None)?;
    let work = std::env::temp_dir().join(format!("crabox-symbol-order-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    let project = work.join("project");
    fs_err::create_dir_all(&project)?;
    fs_err::copy(&lockfile, project.join("Cargo.lock"))?;
    let cache = work.join("cache");
    let db = db.to_string_lossy().into_owned();
    let audit: &[&str] = &[
        "-q",
        "--offline",
        "audit",
        "--db",
        &db,
        "--format",
        "json",
        "--fail-on",
        "none",
    ];
    let sbom: &[&str] = &["-q", "--offline", "sbom", "--path", "."];
    // The first audit builds the index; the order is taken from the runs that use it.
    run_quiet(Command::new(&crabox).args(audit), &project, &cache)?;
    let mut order: Vec<String> = Vec::new();
    for (name, args) in [("audit", audit), ("sbom", sbom)] {
        let out = work.join(format!("callgrind.{name}"));
        let mut command = Command::new("valgrind");
        command
            .args(["--tool=callgrind", "--demangle=no"])
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&crabox)
            .args(args);
        run_quiet(&mut command, &project, &cache)?;
        for symbol in executed(&fs_err::read_to_string(&out)?, &crabox) {
            if !order.contains(&symbol) {
                order.push(symbol);
            }
        }
    }
    let _ = fs_err::remove_dir_all(&work);
    if order.is_empty() {
        bail!("callgrind recorded no function of {}", crabox.display());
    }
    let mut text = order.join("\n");
    text.push('\n');
    fs_err::write(root.join(ORDER), text)?;
    eprintln!("xtask: wrote {ORDER} ({} symbols)", order.len());
    Ok(())
}

fn run_quiet(command: &mut Command, dir: &Path, cache: &Path) -> anyhow::Result<()> {
    let output = command
        .current_dir(dir)
        .env("CRABOX_CACHE_DIR", cache)
        .output()
        .context("could not start the workload")?;
    if !output.status.success() {
        bail!(
            "the workload failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The functions of `object` that a callgrind profile records, in the order the profile lists
/// them. Callgrind writes a name once, as `fn=(id) name` (or `cfn=`, `ob=`, `cob=` for callees
/// and objects), and after that the id alone; `ob=` says whose functions the `fn=` lines that
/// follow are. Addresses without a symbol (`0x…`) are left out.
fn executed(profile: &str, object: &Path) -> Vec<String> {
    use std::collections::HashMap;
    let object = object.to_string_lossy();
    let mut objects: HashMap<&str, &str> = HashMap::new();
    let mut functions: HashMap<&str, &str> = HashMap::new();
    let mut current_object = "";
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    for line in profile.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (id, name) = match value.strip_prefix('(').and_then(|v| v.split_once(')')) {
            Some((id, rest)) => (id, rest.strip_prefix(' ')),
            None => continue,
        };
        match key {
            "ob" | "cob" => {
                if let Some(name) = name {
                    objects.insert(id, name);
                }
                if key == "ob" {
                    current_object = objects.get(id).copied().unwrap_or_default();
                }
            }
            "fn" | "cfn" => {
                if let Some(name) = name {
                    functions.insert(id, name);
                }
                if key == "fn"
                    && current_object == object
                    && let Some(&function) = functions.get(id)
                    && let Some(symbol) = symbol(function)
                    && seen.insert(symbol)
                {
                    order.push(symbol.to_owned());
                }
            }
            _ => {}
        }
    }
    order
}

/// The linker's name for a function callgrind names: without the `'2` it appends to a
/// recursive call's name; `None` for an address without a symbol (`0x…`) and for callgrind's own
/// entries (`(below main)`).
fn symbol(function: &str) -> Option<&str> {
    let symbol = match function.rsplit_once('\'') {
        Some((name, depth)) if depth.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => function,
    };
    let own = symbol.starts_with("0x") || symbol.starts_with('(');
    (!own && !symbol.is_empty() && !symbol.contains(char::is_whitespace)).then_some(symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executed_follows_compressed_names_and_objects() {
        let profile = "\
version: 1
ob=(1) /lib/ld.so
fn=(1) _dl_start
cob=(2) /build/crabox
cfn=(2) _ZN6crabox4main17h0000000000000001E
calls=1 0
0 10
ob=(2)
fn=(2)
0 5
cfn=(3) memcpy
cob=(3) /lib/libc.so.6
ob=(2)
fn=(4) 0x0000000000012345
0 1
fn=(5) _ZN4core3fmt5write17h0000000000000002E
0 3
fn=(6) _ZN4core3fmt5write17h0000000000000002E'2
0 1
fn=(7) (below main)
0 1
ob=(3)
fn=(3)
0 2
ob=(2)
fn=(2)
0 1
";
        assert_eq!(
            executed(profile, Path::new("/build/crabox")),
            [
                "_ZN6crabox4main17h0000000000000001E",
                "_ZN4core3fmt5write17h0000000000000002E"
            ]
        );
        assert_eq!(executed(profile, Path::new("/lib/libc.so.6")), ["memcpy"]);
        assert!(executed(profile, Path::new("/elsewhere")).is_empty());
    }

    #[test]
    fn the_order_file_names_symbols_one_per_line() {
        let text = fs_err::read_to_string(crate::root().join(ORDER)).expect("order file");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 100, "{} symbols", lines.len());
        let mut unique = lines.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), lines.len(), "a symbol is listed twice");
        for line in lines {
            assert!(
                !line.is_empty() && !line.contains(char::is_whitespace),
                "not a symbol name: {line:?}"
            );
        }
    }
}
