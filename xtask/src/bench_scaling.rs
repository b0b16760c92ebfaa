//! `cargo xtask bench scaling`: whether every lockfile parser is linear in time and memory. For
//! each format, generated inputs at 1x, 2x and 4x a base size go through `crabox sbom`; the table
//! gives wall time and peak resident memory per size, their growth from 1x to 4x (4.0 is
//! linear) and peak memory as a multiple of the input. Deeply nested YAML (`pnpm-lock.yaml`) is
//! timed at depths 1,000 to 100,000, where it must be refused in milliseconds.
//!
//! The binary is `CRABOX_BENCH_BIN` when set (a debug build is enough to see the slopes), else
//! the release build of `cargo xtask dist`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// One generated input of `n` packages: the file name and its text.
type Generator = fn(usize) -> (&'static str, String);

fn cargo_lock(n: usize) -> (&'static str, String) {
    let mut out = String::from(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"pkg0\",\n]\n\n",
    );
    for i in 0..n {
        let _ = write!(
            out,
            "[[package]]\nname = \"pkg{i}\"\nversion = \"1.{}.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
            i % 100,
            i * 7919
        );
        if i + 1 < n {
            let _ = write!(out, "dependencies = [\n \"pkg{}\",\n]\n", i + 1);
        }
        out.push('\n');
    }
    ("Cargo.lock", out)
}

fn package_lock(n: usize) -> (&'static str, String) {
    let mut out = String::from(
        "{\n  \"name\": \"web\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"name\": \"web\", \"version\": \"1.0.0\", \"dependencies\": {\"p0\": \"^1.0.0\"}}",
    );
    for i in 0..n {
        let _ = write!(
            out,
            ",\n    \"node_modules/p{i}\": {{\"version\": \"1.0.0\", \"resolved\": \"https://registry.npmjs.org/p{i}/-/p{i}-1.0.0.tgz\", \"integrity\": \"sha512-{}==\", \"license\": \"MIT\", \"engines\": {{\"node\": \">=14\"}}, \"funding\": {{\"url\": \"https://example.org/{i}\"}}, \"dependencies\": {{\"p{}\": \"^1.0.0\"}}}}",
            "A".repeat(86),
            (i + 1) % n
        );
    }
    out.push_str("\n  }\n}\n");
    ("package-lock.json", out)
}

fn yarn_lock(n: usize) -> (&'static str, String) {
    let mut out = String::from("# yarn lockfile v1\n\n");
    for i in 0..n {
        let _ = write!(
            out,
            "\np{i}@^1.0.0:\n  version \"1.0.0\"\n  resolved \"https://registry.yarnpkg.com/p{i}/-/p{i}-1.0.0.tgz\"\n  integrity sha512-{}==\n  dependencies:\n    p{} \"^1.0.0\"\n",
            "A".repeat(86),
            (i + 1) % n
        );
    }
    ("yarn.lock", out)
}

fn pnpm_lock(n: usize) -> (&'static str, String) {
    let mut out = String::from(
        "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      p0:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n",
    );
    for i in 0..n {
        let _ = write!(
            out,
            "\n  p{i}@1.0.0:\n    resolution: {{integrity: sha512-{}==}}\n",
            "A".repeat(86)
        );
    }
    out.push_str("\nsnapshots:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "\n  p{i}@1.0.0:\n    dependencies:\n      p{}: 1.0.0\n",
            (i + 1) % n
        );
    }
    ("pnpm-lock.yaml", out)
}

fn poetry_lock(n: usize) -> (&'static str, String) {
    let mut out = String::new();
    for i in 0..n {
        let _ = write!(
            out,
            "[[package]]\nname = \"p{i}\"\nversion = \"1.0.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = [\n    {{file = \"p{i}-1.0.0.tar.gz\", hash = \"sha256:{:064x}\"}},\n]\n\n[package.dependencies]\np{} = \"*\"\n\n",
            i * 31,
            (i + 1) % n
        );
    }
    out.push_str(
        "[metadata]\nlock-version = \"2.0\"\npython-versions = \"*\"\ncontent-hash = \"x\"\n",
    );
    ("poetry.lock", out)
}

fn requirements(n: usize) -> (&'static str, String) {
    let mut out = String::new();
    for i in 0..n {
        let _ = writeln!(out, "p{i}==1.0.0 \\\n    --hash=sha256:{:064x}", i * 13);
    }
    ("requirements.txt", out)
}

fn go_mod(n: usize) -> (&'static str, String) {
    let mut out = String::from("module example.com/app\n\ngo 1.22\n\nrequire (\n");
    for i in 0..n {
        let _ = writeln!(out, "\texample.com/m{i} v1.0.{i}");
    }
    out.push_str(")\n");
    ("go.mod", out)
}

fn composer_lock(n: usize) -> (&'static str, String) {
    let packages: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{\"name\": \"v{i}/p{i}\", \"version\": \"1.0.{i}\", \"dist\": {{\"shasum\": \"{:040x}\"}}, \"require\": {{\"v{}/p{}\": \"^1.0\"}}, \"license\": [\"MIT\"]}}",
                i * 31,
                (i + 1) % n,
                (i + 1) % n
            )
        })
        .collect();
    (
        "composer.lock",
        format!(
            "{{\"packages\": [\n{}\n], \"packages-dev\": []}}\n",
            packages.join(",\n")
        ),
    )
}

fn gemfile_lock(n: usize) -> (&'static str, String) {
    let mut out = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for i in 0..n {
        let _ = writeln!(out, "    g{i} (1.0.{i})\n      g{} (>= 1.0)", (i + 1) % n);
    }
    out.push_str("\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  g0\n");
    ("Gemfile.lock", out)
}

fn nuget_lock(n: usize) -> (&'static str, String) {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "      \"P{i}\": {{\"type\": \"Transitive\", \"resolved\": \"1.0.{i}\", \"contentHash\": \"{}==\", \"dependencies\": {{\"P{}\": \"1.0.0\"}}}}",
                "A".repeat(86),
                (i + 1) % n
            )
        })
        .collect();
    (
        "packages.lock.json",
        format!(
            "{{\n  \"version\": 1,\n  \"dependencies\": {{\n    \"net8.0\": {{\n{}\n    }}\n  }}\n}}\n",
            entries.join(",\n")
        ),
    )
}

fn gradle_lockfile(n: usize) -> (&'static str, String) {
    let mut out = String::from("# Gradle lockfile\n");
    for i in 0..n {
        let _ = writeln!(
            out,
            "com.example.g{i}:a{i}:1.0.{i}=compileClasspath,runtimeClasspath"
        );
    }
    out.push_str("empty=\n");
    ("gradle.lockfile", out)
}

fn pom_xml(n: usize) -> (&'static str, String) {
    let mut out = String::from(
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.acme</groupId>\n  <artifactId>app</artifactId>\n  <version>1.0.0</version>\n  <properties><v>1.0.0</v></properties>\n  <dependencies>\n",
    );
    for i in 0..n {
        let _ = writeln!(
            out,
            "    <dependency><groupId>com.example.g{i}</groupId><artifactId>a{i}</artifactId><version>${{v}}</version></dependency>"
        );
    }
    out.push_str("  </dependencies>\n</project>\n");
    ("pom.xml", out)
}

fn conan_lock(n: usize) -> (&'static str, String) {
    let refs: Vec<String> = (0..n)
        .map(|i| format!("        \"p{i}/1.0.{i}#{:032x}%1692672717.049\"", i * 7))
        .collect();
    (
        "conan.lock",
        format!(
            "{{\n    \"version\": \"0.5\",\n    \"requires\": [\n{}\n    ],\n    \"build_requires\": [],\n    \"python_requires\": []\n}}\n",
            refs.join(",\n")
        ),
    )
}

fn package_resolved(n: usize) -> (&'static str, String) {
    let pins: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "    {{\"identity\": \"p{i}\", \"kind\": \"remoteSourceControl\", \"location\": \"https://github.com/o{i}/p{i}.git\", \"state\": {{\"revision\": \"{:040x}\", \"version\": \"1.0.{i}\"}}}}",
                i * 13
            )
        })
        .collect();
    (
        "Package.resolved",
        format!(
            "{{\n  \"pins\": [\n{}\n  ],\n  \"version\": 2\n}}\n",
            pins.join(",\n")
        ),
    )
}

const FORMATS: &[(&str, Generator, usize)] = &[
    ("Cargo.lock", cargo_lock, 25_000),
    ("package-lock.json", package_lock, 25_000),
    ("yarn.lock", yarn_lock, 25_000),
    ("pnpm-lock.yaml", pnpm_lock, 10_000),
    ("poetry.lock", poetry_lock, 25_000),
    ("requirements.txt", requirements, 50_000),
    ("go.mod", go_mod, 50_000),
    ("composer.lock", composer_lock, 25_000),
    ("Gemfile.lock", gemfile_lock, 25_000),
    ("packages.lock.json", nuget_lock, 25_000),
    ("gradle.lockfile", gradle_lockfile, 50_000),
    ("pom.xml", pom_xml, 25_000),
    ("conan.lock", conan_lock, 25_000),
    ("Package.resolved", package_resolved, 25_000),
];

/// Wall time and peak memory (KiB) of one `crabox sbom` in `dir`; the exit status is not
/// required to be success (deep YAML is refused).
fn measure(crabox: &Path, dir: &Path) -> anyhow::Result<(Duration, Option<u64>)> {
    let start = Instant::now();
    Command::new(crabox)
        .args(["-q", "--offline", "sbom"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("could not start crabox")?;
    let elapsed = start.elapsed();
    let peak = crate::bench::peak_kib(crabox, &["-q", "--offline", "sbom"], dir, &[]);
    Ok((elapsed, peak))
}

fn binary() -> anyhow::Result<PathBuf> {
    match std::env::var_os("CRABOX_BENCH_BIN") {
        Some(path) => Ok(PathBuf::from(path)),
        None => crate::dist::build(None),
    }
}

#[allow(clippy::cast_precision_loss)] // sizes and KiB far below 2^52
pub fn run() -> anyhow::Result<()> {
    let crabox = binary()?;
    let work = std::env::temp_dir().join(format!("crabox-bench-scaling-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&work);
    let mut table = String::from(
        "| format | input at 1x / 4x | time 1x, 2x, 4x | time growth 1x→4x | peak RSS 1x, 2x, 4x | memory growth 1x→4x | peak / input at 4x |\n|---|---|---|---|---|---|---|\n",
    );
    for (name, generate, base) in FORMATS {
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        let mut sizes = Vec::new();
        for scale in [1, 2, 4] {
            let dir = work.join(format!("{name}-{scale}"));
            fs_err::create_dir_all(&dir)?;
            let (file, text) = generate(base * scale);
            sizes.push(text.len());
            fs_err::write(dir.join(file), text)?;
            let (time, peak) = measure(&crabox, &dir)?;
            times.push(time);
            peaks.push(peak.unwrap_or(0));
            fs_err::remove_dir_all(&dir)?;
        }
        let mib = |bytes: usize| bytes as f64 / 1_048_576.0;
        let _ = writeln!(
            table,
            "| {name} | {:.1} / {:.1} MiB | {} | {:.2} | {} MiB | {:.2} | {:.1}x |",
            mib(sizes[0]),
            mib(sizes[2]),
            times
                .iter()
                .map(|t| format!("{:.2} s", t.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", "),
            times[2].as_secs_f64() / times[0].as_secs_f64(),
            peaks
                .iter()
                .map(|p| format!("{:.0}", *p as f64 / 1024.0))
                .collect::<Vec<_>>()
                .join(", "),
            peaks[2] as f64 / peaks[0].max(1) as f64,
            peaks[2] as f64 * 1024.0 / sizes[2] as f64,
        );
        eprintln!("xtask: bench scaling: {name} done");
    }
    let _ = writeln!(
        table,
        "\n| pnpm-lock.yaml nested | depth 1,000 | depth 10,000 | depth 100,000 |\n|---|---|---|---|"
    );
    let mut row = String::from("| refused after |");
    for depth in [1_000, 10_000, 100_000] {
        let dir = work.join(format!("deep-{depth}"));
        fs_err::create_dir_all(&dir)?;
        fs_err::write(
            dir.join("pnpm-lock.yaml"),
            format!(
                "lockfileVersion: '9.0'\npackages:\n  x: {}1{}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        )?;
        let (time, _) = measure(&crabox, &dir)?;
        let _ = write!(row, " {:.1} ms |", time.as_secs_f64() * 1000.0);
    }
    table.push_str(&row);
    table.push('\n');
    let _ = fs_err::remove_dir_all(&work);
    print!("{table}");
    Ok(())
}
