//! Issue 19 (Trust I): crabox tried as an attacker would. Each test reproduces one defect of the
//! review from small generated inputs: names that try to become paths, bundles that try to pass
//! `verify` without a signature, archives that try to exhaust the disk or the CPU.

// SKIP lines go to stdout, as in the other tests that need `../shared`.
#![allow(clippy::unwrap_used, clippy::disallowed_macros)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use crabox_test::{TestContext, output_text};

use crate::bundle::{bundle_name, project};

fn run(context: &TestContext, args: &[&str]) -> (Option<i32>, String, String) {
    let output = context.crabox().args(args).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

use crate::bundle::BUNDLE as UNSIGNED;

// 1. Names never become paths.

#[test]
fn a_product_name_with_dot_dot_writes_nothing_outside_the_bundle() {
    let context = project();
    // Unique, so that the files an escape would write (next to the test directory) are known.
    let unique = format!(
        "escaped-{}",
        context.path().file_name().unwrap().to_string_lossy()
    );
    context.write(
        "crabox.toml",
        &format!("[product]\nname = \"../../../../{unique}\"\n"),
    );
    let (code, stdout, stderr) = run(&context, &UNSIGNED);
    assert_eq!(code, Some(0), "{stderr}");
    let parent = context.path().parent().unwrap();
    for escaped in [
        parent.join(format!("{unique}.cdx.json")),
        parent.join(format!("{unique}.spdx.json")),
        context.path().join(format!("{unique}.cdx.json")),
    ] {
        assert!(!escaped.exists(), "{} was written", escaped.display());
    }
    let dir = stdout.lines().next().unwrap().to_owned();
    let safe = unique.trim_start_matches('.').to_owned();
    assert_eq!(dir, format!("crabox-evidence/{safe}-1.1.0"));
    let sboms = files_under(&context.path().join(&dir).join("sbom"));
    assert_eq!(
        sboms,
        [format!("{safe}.cdx.json"), format!("{safe}.spdx.json")]
    );
    let (code, _, stderr) = run(&context, &["verify", &dir]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_scoped_npm_name_keeps_a_readable_file_name() {
    let context = project();
    context.write(
        "crabox.toml",
        "[product]\nname = \"@acme/widget\"\nversion = \"2.0.0\"\n",
    );
    let (code, stdout, stderr) = run(&context, &UNSIGNED);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.lines().next().unwrap(),
        "crabox-evidence/acme-widget-1.1.0"
    );
    assert!(context.exists("crabox-evidence/acme-widget-1.1.0/sbom/acme-widget.cdx.json"));
}

#[test]
fn a_package_json_name_does_not_become_a_path() {
    let context = crate::repo();
    let unique = format!(
        "pkg-{}",
        context.path().file_name().unwrap().to_string_lossy()
    );
    context.write(
        "package.json",
        &format!(r#"{{"name": "../../../../{unique}", "version": "1.0.0"}}"#),
    );
    context.write(
        "package-lock.json",
        r#"{"name": "x", "version": "1.0.0", "lockfileVersion": 3, "packages": {"": {"name": "x", "version": "1.0.0"}}}"#,
    );
    context.git(&["add", "."]);
    context.git(&["commit", "-qm", "init"]);
    let (code, stdout, stderr) = run(&context, &["bundle", "--no-sign"]);
    assert!(code.is_some_and(|c| c <= 1), "{stderr}");
    let parent = context.path().parent().unwrap();
    assert!(!parent.join(format!("{unique}.cdx.json")).exists());
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!("crabox-evidence/{unique}-1.0.0"),
        "{stderr}"
    );
    assert!(context.exists(&format!(
        "crabox-evidence/{unique}-1.0.0/sbom/{unique}.cdx.json"
    )));
}

// 2. `crabox verify` fails closed.

/// What an attacker does to the signed bundle `b`: empties its findings and writes a manifest
/// whose digests match again.
fn empty_the_findings_and_rehash(context: &TestContext) {
    context.write(
        "b/audit/findings.json",
        "{\"findings\": [], \"emptied\": true}\n",
    );
    fs_err::remove_file(context.path().join("b/manifest.json")).unwrap();
    let manifest = crabox_evidence::manifest::Manifest::of_directory(
        &context.path().join("b"),
        crabox_evidence::manifest::Tool {
            name: "crabox".into(),
            version: "0.1.0".into(),
        },
        crabox_evidence::manifest::Inputs::default(),
    )
    .unwrap();
    fs_err::write(context.path().join("b/manifest.json"), manifest.to_bytes()).unwrap();
}

#[test]
fn verify_with_a_key_refuses_a_bundle_whose_signature_was_deleted() {
    let context = crate::verify_bundle::signed_bundle();
    // The attacker empties the findings, re-hashes the manifest and deletes the signature.
    empty_the_findings_and_rehash(&context);
    fs_err::remove_file(context.path().join("b/manifest.sigstore.json")).unwrap();
    let (code, _, stderr) = run(&context, &["verify", "b", "--key", "k.pub"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("manifest.sigstore.json: missing"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &context,
        &[
            "verify",
            "b",
            "--certificate-identity",
            "me@acme.example",
            "--certificate-oidc-issuer",
            "https://issuer.example",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    // Without a signer named, the same bundle is intact but says it is not authenticated.
    let (code, stdout, stderr) = run(&context, &["verify", "b"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("integrity only: NOT authenticated (no signature)"),
        "{stdout}"
    );
    let (_, stdout, _) = run(&context, &["--format", "json", "verify", "b"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&json["verified"], &json["authenticated"]),
        (&serde_json::json!(true), &serde_json::json!(false))
    );
}

#[test]
fn verify_without_a_key_refuses_a_signature_over_another_manifest() {
    let context = crate::verify_bundle::signed_bundle();
    empty_the_findings_and_rehash(&context);
    let (code, _, stderr) = run(&context, &["verify", "b"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the signature signs another digest"),
        "{stderr}"
    );
}

/// A valid bundle archive's bytes (from `crabox bundle`), and the context it was made in.
fn bundle_archive() -> (TestContext, String, Vec<u8>) {
    let context = project();
    let (code, _, stderr) = run(&context, &UNSIGNED);
    assert_eq!(code, Some(0), "{stderr}");
    let archive = format!("crabox-evidence/{}.tar.gz", bundle_name(&context));
    let bytes = fs_err::read(context.path().join(&archive)).unwrap();
    (context, archive, bytes)
}

#[test]
fn verify_refuses_an_archive_with_a_bad_crc_a_bad_size_or_trailing_bytes() {
    let (context, archive, bytes) = bundle_archive();
    let (code, _, stderr) = run(&context, &["verify", &archive]);
    assert_eq!(code, Some(0), "{stderr}");
    let n = bytes.len();
    let mut bad_crc = bytes.clone();
    bad_crc[n - 8] ^= 0xff;
    let mut bad_size = bytes.clone();
    bad_size[n - 4] ^= 0x01;
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"garbage after the stream");
    // A tar header whose size field is not octal, in a freshly compressed archive.
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end_into(&mut tar_bytes);
    tar_bytes[124..136].copy_from_slice(b"99999999999z");
    let mut bad_field = Vec::new();
    {
        let mut gz = flate2::write::GzEncoder::new(&mut bad_field, flate2::Compression::fast());
        gz.write_all(&tar_bytes).unwrap();
        gz.finish().unwrap();
    }
    for (what, damaged) in [
        ("crc", bad_crc),
        ("size", bad_size),
        ("trailing", trailing),
        ("tar size field", bad_field),
    ] {
        fs_err::write(context.path().join("damaged.tar.gz"), &damaged).unwrap();
        let (code, stdout, stderr) = run(&context, &["verify", "damaged.tar.gz"]);
        assert_eq!(code, Some(1), "{what}: {stdout}{stderr}");
        assert!(stderr.contains("refused"), "{what}: {stderr}");
    }
}

trait ReadToEndInto {
    fn read_to_end_into(self, out: &mut Vec<u8>);
}

impl<R: std::io::Read> ReadToEndInto for R {
    fn read_to_end_into(mut self, out: &mut Vec<u8>) {
        self.read_to_end(out).unwrap();
    }
}

// 3. Baselines and archives are bounded.

/// A `.tar.gz` of the given entries (name, declared size, data), names written raw.
fn tar_gz(entries: &[(String, tar::EntryType, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            &mut out,
            flate2::Compression::default(),
        ));
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            if name.len() <= 100 {
                header.set_path(name).unwrap();
                header.set_cksum();
                tar.append(&header, data.as_slice()).unwrap();
            } else {
                tar.append_data(&mut header, name, data.as_slice()).unwrap();
            }
        }
        tar.into_inner().unwrap().finish().unwrap();
    }
    out
}

#[test]
fn a_baseline_archive_bomb_is_refused_quickly_without_writing_to_disk() {
    let context = project();
    let tmp = context.path().join("tmp");
    fs_err::create_dir_all(&tmp).unwrap();
    // 64 MiB of zeros in one entry: a few hundred KiB compressed, a ratio of about 1000.
    let bomb = tar_gz(&[
        ("b/".into(), tar::EntryType::Directory, Vec::new()),
        (
            "b/manifest.json".into(),
            tar::EntryType::Regular,
            vec![0u8; 64 << 20],
        ),
    ]);
    assert!(bomb.len() < 1 << 20);
    fs_err::write(context.path().join("bomb.tar.gz"), &bomb).unwrap();
    let start = Instant::now();
    let output = context
        .crabox()
        .env("TMPDIR", &tmp)
        .args(["gate", "--db", "advisories", "--baseline", "bomb.tar.gz"])
        .output()
        .unwrap();
    let stderr = output_text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("may expand to"), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(files_under(&tmp).is_empty(), "{:?}", files_under(&tmp));
}

#[test]
fn a_baseline_archive_of_deeply_nested_folders_is_refused() {
    let context = project();
    let mut entries = Vec::new();
    let mut name = String::from("b/");
    for _ in 0..2000 {
        name.push_str("d/");
        entries.push((name.clone(), tar::EntryType::Directory, Vec::new()));
    }
    fs_err::write(context.path().join("deep.tar.gz"), tar_gz(&entries)).unwrap();
    let start = Instant::now();
    let (code, _, stderr) = run(
        &context,
        &["gate", "--db", "advisories", "--baseline", "deep.tar.gz"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("levels deep"), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_baseline_with_an_entry_not_in_its_manifest_or_a_changed_file_is_refused() {
    let (context, archive, bytes) = bundle_archive();
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end_into(&mut tar_bytes);
    let mut entries = Vec::new();
    let mut top = String::new();
    for entry in tar::Archive::new(tar_bytes.as_slice()).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if top.is_empty() {
            top = name.clone();
        }
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        entries.push((name, entry.header().entry_type(), data));
    }
    let mut extra = entries.clone();
    extra.push((
        format!("{top}audit/planted.json"),
        tar::EntryType::Regular,
        b"{}".to_vec(),
    ));
    let mut changed = entries.clone();
    let findings = changed
        .iter_mut()
        .find(|(n, _, _)| n.ends_with("audit/findings.json"))
        .unwrap();
    findings.2 = b"{\"findings\": []}".to_vec();
    for (what, entries, expected) in [
        ("extra", extra, "not in the manifest"),
        ("changed", changed, "changed: sha256"),
    ] {
        fs_err::write(context.path().join("base.tar.gz"), tar_gz(&entries)).unwrap();
        let (code, _, stderr) = run(
            &context,
            &["gate", "--db", "advisories", "--baseline", "base.tar.gz"],
        );
        assert_eq!(code, Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("does not verify against its manifest") && stderr.contains(expected),
            "{what}: {stderr}"
        );
    }
    // The intact archive is accepted.
    let (code, _, stderr) = run(
        &context,
        &["gate", "--db", "advisories", "--baseline", &archive],
    );
    assert!(code.is_some_and(|c| c <= 1), "{stderr}");
}

// 5. An audit that covers nothing does not pass.

/// A repository with an npm lockfile only, and a RustSec database beside it.
fn npm_project() -> TestContext {
    let context = crate::repo();
    context.write(
        "package-lock.json",
        r#"{"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {"": {"name": "web", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}},
    "node_modules/left-pad": {"version": "1.3.0", "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"}}}"#,
    );
    context.write(
        "rustsec/crates/foo/RUSTSEC-2099-0001.md",
        crate::audit::ADVISORY,
    );
    context
}

#[test]
fn an_audit_whose_databases_do_not_cover_the_ecosystem_does_not_pass() {
    let context = npm_project();
    let (code, stdout, stderr) = run(&context, &["audit", "--db", "rustsec"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("npm: 1 packages NOT checked") && !stdout.contains("audit passed"),
        "{stdout}"
    );
    assert!(stderr.contains("audit-ecosystem-unchecked"), "{stderr}");
    let (code, stdout, stderr) = run(&context, &["audit", "--db", "rustsec", "--allow-unchecked"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("audit passed for what was checked (NOT checked: npm)"),
        "{stdout}"
    );
    let (_, json, _) = run(
        &context,
        &[
            "audit",
            "--db",
            "rustsec",
            "--format",
            "json",
            "--allow-unchecked",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["coverage"],
        serde_json::json!([{"ecosystem": "npm", "packages": 1, "checked": false, "databases": []}])
    );
}

#[test]
fn a_database_that_holds_no_advisory_is_an_error_naming_it() {
    let context = npm_project();
    context.write("empty/.keep", "");
    context.write("notadb/README.txt", "hello\n");
    context.write("notadb/config.json", "{\"not\": \"an advisory\"}\n");
    for db in ["empty", "notadb"] {
        let (code, _, stderr) = run(&context, &["audit", "--db", db]);
        assert_eq!(code, Some(2), "{db}: {stderr}");
        assert!(
            stderr.contains(&format!("`{db}` holds no advisory")),
            "{db}: {stderr}"
        );
    }
}

#[test]
fn the_bundle_and_the_gate_do_not_pass_an_unchecked_ecosystem() {
    let context = npm_project();
    context.write(".gitignore", "rustsec/\ncrabox-evidence/\n");
    context.git(&["add", "."]);
    context.git(&["commit", "-qm", "init"]);
    let (_, stdout, stderr) = run(&context, &["bundle", "--no-sign", "--db", "rustsec"]);
    let dir = stdout.lines().next().unwrap_or_default().to_owned();
    let report: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/cra/report.json"))).unwrap();
    let row = report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "I.2(a)")
        .unwrap()
        .clone();
    assert_eq!(row["status"], "missing", "{row}\n{stderr}");
    assert!(row["reason"].as_str().unwrap().contains("npm"), "{row}");
    let findings: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/audit/findings.json"))).unwrap();
    assert_eq!(findings["coverage"][0]["checked"], false);
    let (code, stdout, stderr) = run(&context, &["gate", "--db", "rustsec", "--format", "json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout.contains("npm: could not be checked: no advisory database given covers npm"),
        "{stdout}"
    );
}

// 6. No workflow commands from data.

/// Whether every line of `text` that the runner would read as a workflow command is one crabox
/// wrote itself: inside a `::stop-commands::TOKEN` … `::TOKEN::` block, or an annotation.
fn no_command_from_data(text: &str, data_command: &str) -> bool {
    let mut stopped: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(token) = &stopped {
            if trimmed == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = trimmed.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_owned());
            continue;
        }
        if trimmed.starts_with(data_command) {
            return false;
        }
    }
    true
}

#[test]
fn data_printed_in_github_actions_never_becomes_a_workflow_command() {
    let context = crate::repo();
    context.write(
        "crabox.toml",
        "[product]\nname = \"x\"\nintended-purpose = \"\"\"\n::warning::from-config\n\"\"\"\n",
    );
    context.write("README.md", "x\n");
    context.git(&["add", "."]);
    context.git(&[
        "commit",
        "-qm",
        "feat: a change\n\nCo-authored-by: ::warning::from-trailer <a@b.example>",
    ]);
    context.git(&["tag", "v1.0.0"]);
    let actions = |args: &[&str]| {
        let output = context
            .crabox()
            .env("GITHUB_ACTIONS", "true")
            .args(args)
            .output()
            .unwrap();
        let (stdout, stderr) = output_text(&output);
        format!("{stdout}\n{stderr}")
    };
    let config = actions(&["config"]);
    assert!(config.contains("::warning::from-config"), "{config}");
    assert!(
        no_command_from_data(&config, "::warning::from-config"),
        "{config}"
    );
    let notes = actions(&["notes", "--to", "v1.0.0"]);
    assert!(notes.contains("::warning::from-trailer"), "{notes}");
    assert!(
        no_command_from_data(&notes, "::warning::from-trailer"),
        "{notes}"
    );
    // Outside Actions nothing is wrapped.
    let output = context.crabox().args(["config"]).output().unwrap();
    assert!(!output_text(&output).0.contains("::stop-commands::"));
}

// 7. What is the product.

/// A repository laid out like cargo-deny's: a root Cargo.lock without a known vulnerability,
/// more lockfiles under `tests/` and `examples/` with one.
fn deny_like() -> TestContext {
    let context = crate::repo();
    let clean = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"foo\"]\n\n[[package]]\nname = \"foo\"\nversion = \"1.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let vulnerable = clean.replace("1.2.0", "1.1.0");
    context.write("Cargo.lock", clean);
    for dir in [
        "tests/a",
        "tests/b",
        "examples/demo",
        "test_data/x",
        "benches/b",
    ] {
        context.write(&format!("{dir}/Cargo.lock"), &vulnerable);
    }
    context.write(
        "advisories/crates/foo/RUSTSEC-2099-0001.md",
        crate::audit::ADVISORY,
    );
    context
}

#[test]
fn test_and_example_lockfiles_are_not_the_product() {
    let context = deny_like();
    let output = context
        .crabox()
        .args(["-v", "audit", "--db", "advisories", "--format", "json"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
    assert!(stderr.contains("audit: read Cargo.lock"), "{stderr}");
    assert!(
        stderr.contains("audit: skipped tests/a/Cargo.lock: under `tests/`"),
        "{stderr}"
    );
    assert!(stderr.contains("5 skipped by rule"), "{stderr}");
    // `[sbom] include` reads an example again; `exclude` drops the root.
    context.write(
        "crabox.toml",
        "[sbom]\ninclude = [\"examples/**\"]\nexclude = [\"Cargo.lock\"]\n",
    );
    let (code, stdout, stderr) = run(
        &context,
        &["audit", "--db", "advisories", "--format", "json"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let files: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["examples/demo/Cargo.lock"]);
    // A bundle says which lockfiles it skipped.
    context.write("crabox.toml", "");
    context.write(".gitignore", "advisories/\ncrabox-evidence/\n");
    context.git(&["add", "."]);
    context.git(&["commit", "-qm", "init"]);
    let (_, stdout, stderr) = run(&context, &["bundle", "--no-sign", "--db", "advisories"]);
    let dir = stdout.lines().next().unwrap_or_default().to_owned();
    let manifest: serde_json::Value =
        serde_json::from_str(&context.read(&format!("{dir}/manifest.json"))).unwrap();
    assert_eq!(
        manifest["inputs"]["skipped_lockfiles"]
            .as_array()
            .map(Vec::len),
        Some(5),
        "{manifest:#}\n{stderr}"
    );
    assert_eq!(manifest["inputs"]["lockfiles"][0]["path"], "Cargo.lock");
    let report = context.read(&format!("{dir}/cra/report.json"));
    assert!(
        report.contains("5 lockfile(s) under test, example, benchmark or documentation directories were not read"),
        "{report}"
    );
}

/// cargo-deny's layout with real lockfiles (when `../shared` is present): its root Cargo.lock,
/// and other projects' lockfiles under `tests/` and `examples/`. The default scan reads the root
/// one only, and the audit reports exactly what cargo-audit 0.22.2 reports for it.
#[test]
fn a_cargo_deny_layout_audits_its_root_lockfile_as_cargo_audit_does() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let lockfiles = shared.join("fixtures/lockfiles/cargo");
    if !lockfiles.is_dir() {
        println!("SKIP: ../shared is absent; the cargo-deny layout is not checked");
        return;
    }
    let context = crate::repo();
    let copy = |from: &str, to: &str| {
        let target = context.path().join(to);
        fs_err::create_dir_all(target.parent().unwrap()).unwrap();
        fs_err::copy(lockfiles.join(from), target).unwrap();
    };
    copy("cargo-deny-2022-09.Cargo.lock", "Cargo.lock");
    copy(
        "cargo-deny-2020-02.Cargo.lock",
        "tests/test_data/advisories/Cargo.lock",
    );
    copy("ripgrep.Cargo.lock", "examples/01_ban/Cargo.lock");
    copy("gitoxide.Cargo.lock", "tests/features/Cargo.lock");
    let db = shared.join("data/rustsec-advisory-db");
    let output = context
        .crabox()
        .args(["audit", "--format", "json", "--fail-on", "none", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let mut actual: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .map(|f| {
            assert_eq!(f["location"]["file"], "Cargo.lock", "{f}");
            format!(
                "{} {} {}",
                f["id"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap()
            )
        })
        .collect();
    actual.sort();
    let expected_text = fs_err::read_to_string(
        shared.join("fixtures/expected/cargo-audit/cargo-deny-2022-09.vulns.txt"),
    )
    .unwrap();
    let mut expected: Vec<String> = expected_text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(actual, expected);
}

// 4. Parsers are linear; a byte order mark is accepted everywhere.

#[test]
fn a_deeply_nested_pnpm_lock_is_refused_in_milliseconds() {
    let context = crate::repo();
    let depth = 10_000;
    context.write(
        "pnpm-lock.yaml",
        &format!(
            "lockfileVersion: '9.0'\npackages:\n  x: {}1{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    let start = Instant::now();
    let (code, _, stderr) = run(&context, &["sbom"]);
    let elapsed = start.elapsed();
    assert_ne!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("pnpm-lock.yaml:3") && stderr.contains("levels deep"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_byte_order_mark_is_accepted_in_every_lockfile_format() {
    const BOM: &str = "\u{feff}";
    let cases: &[(&str, &str, &str)] = &[
        (
            "Cargo.lock",
            "version = 3\n\n[[package]]\nname = \"foo\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            "pkg:cargo/foo@1.0.0",
        ),
        (
            "package-lock.json",
            r#"{"name": "x", "lockfileVersion": 3, "packages": {"": {"name": "x"}, "node_modules/foo": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/foo/-/foo-1.0.0.tgz"}}}"#,
            "pkg:npm/foo@1.0.0",
        ),
        (
            "requirements.txt",
            "foo==1.0.0\nbar==2.0.0\n",
            "pkg:pypi/foo@1.0.0",
        ),
        (
            "go.mod",
            "module example.com/x\n\ngo 1.22\n\nrequire github.com/foo/bar v1.0.0\n",
            "pkg:golang/github.com/foo/bar@v1.0.0",
        ),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      foo:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n  foo@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n  foo@1.0.0: {}\n",
            "pkg:npm/foo@1.0.0",
        ),
        (
            "yarn.lock",
            "# yarn lockfile v1\n\n\nfoo@^1.0.0:\n  version \"1.0.0\"\n  resolved \"https://registry.yarnpkg.com/foo/-/foo-1.0.0.tgz\"\n",
            "pkg:npm/foo@1.0.0",
        ),
        (
            "poetry.lock",
            "[[package]]\nname = \"foo\"\nversion = \"1.0.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"*\"\ncontent-hash = \"x\"\n",
            "pkg:pypi/foo@1.0.0",
        ),
        (
            "uv.lock",
            "version = 1\nrequires-python = \">=3.8\"\n\n[[package]]\nname = \"foo\"\nversion = \"1.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
            "pkg:pypi/foo@1.0.0",
        ),
        (
            "Pipfile.lock",
            r#"{"_meta": {}, "default": {"foo": {"version": "==1.0.0"}}, "develop": {}}"#,
            "pkg:pypi/foo@1.0.0",
        ),
    ];
    for (file, text, purl) in cases {
        let context = crate::plain_dir();
        context.write(file, &format!("{BOM}{text}"));
        let (code, stdout, stderr) = run(&context, &["sbom"]);
        assert_eq!(code, Some(0), "{file}: {stderr}");
        assert!(
            stdout.contains(purl),
            "{file}: {purl} missing\n{stdout}\n{stderr}"
        );
        if *file == "requirements.txt" {
            assert!(stdout.contains("pkg:pypi/bar@2.0.0"), "{stdout}");
        }
    }
    // crabox.toml too.
    let context = crate::plain_dir();
    context.write("crabox.toml", &format!("{BOM}[product]\nname = \"bom\"\n"));
    let (code, stdout, stderr) = run(&context, &["config"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("name = \"bom\""), "{stdout}");
}

// 8. Smaller ones.

#[test]
fn tag_pattern_character_classes_match_and_unmatched_tags_are_named() {
    let context = crate::repo();
    context.write("a.txt", "1\n");
    context.git(&["add", "."]);
    context.git(&["commit", "-qm", "feat: one"]);
    context.git(&["tag", "1.0.0"]);
    context.write("a.txt", "2\n");
    context.git(&["commit", "-qam", "fix: two"]);
    context.git(&["tag", "1.1.0"]);
    // The default `v*` matches none of the bare SemVer tags: said, with the hint.
    let (code, stdout, stderr) = run(&context, &["notes", "--to", "1.1.0"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains("First release"), "{stdout}");
    assert!(
        stdout.contains("none matches `[notes] tag-pattern = \"v*\"`")
            && stdout.contains("`tag-pattern = \"[0-9]*\"`")
            && stderr.contains("no previous release tag"),
        "{stdout}\n{stderr}"
    );
    context.write("crabox.toml", "[notes]\ntag-pattern = \"[0-9]*\"\n");
    let (code, stdout, stderr) = run(&context, &["notes", "--to", "1.1.0"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Changes since 1.0.0"), "{stdout}");
}

#[test]
fn a_security_contact_must_be_https_mailto_or_an_address() {
    let context = crate::plain_dir();
    for (contact, ok) in [
        ("https://acme.example/security", true),
        ("mailto:security@acme.example", true),
        ("security@acme.example", true),
        ("http://acme.example/security", false),
        ("javascript:alert(1)", false),
        ("the security team", false),
    ] {
        context.write(
            "crabox.toml",
            &format!("[product]\nsecurity-contact = \"{contact}\"\n"),
        );
        let (code, _, stderr) = run(&context, &["config"]);
        if ok {
            assert_eq!(code, Some(0), "{contact}: {stderr}");
        } else {
            assert_eq!(code, Some(2), "{contact}: {stderr}");
            assert!(
                stderr.contains("crabox.toml:2") && stderr.contains("not an https: URL"),
                "{contact}: {stderr}"
            );
        }
    }
}

#[test]
fn an_empty_key_password_is_refused_for_a_new_key() {
    let context = crate::plain_dir();
    let output = context
        .crabox()
        .env("CRABOX_KEY_PASSWORD", "")
        .args(["sign", "--generate-key", "k"])
        .output()
        .unwrap();
    let stderr = output_text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CRABOX_KEY_PASSWORD is empty"), "{stderr}");
    assert!(!context.exists("k.key") && !context.exists("k.pub"));
}

#[cfg(unix)]
#[test]
fn the_bundle_and_its_archive_are_readable_by_others() {
    use std::os::unix::fs::PermissionsExt as _;
    let (context, archive, _) = bundle_archive();
    let mode = |p: &str| {
        fs_err::metadata(context.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&archive), 0o644);
    assert_eq!(mode(archive.trim_end_matches(".tar.gz")), 0o755);
}

#[test]
fn gate_checks_are_sorted_by_line_and_messages_do_not_repeat_the_id() {
    let context = crate::repo();
    let mut lock = String::from("version = 3\n\n");
    for i in 0..12 {
        let _ = write!(
            lock,
            "[[package]]\nname = \"foo{i}\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n"
        );
    }
    context.write("Cargo.lock", &lock);
    for i in 0..12 {
        context.write(
            &format!("advisories/crates/foo{i}/RUSTSEC-2099-00{i:02}.md"),
            &crate::audit::ADVISORY
                .replace("RUSTSEC-2099-0001", &format!("RUSTSEC-2099-00{i:02}"))
                .replace("package = \"foo\"", &format!("package = \"foo{i}\"")),
        );
    }
    let (_, stdout, stderr) = run(
        &context,
        &["--format", "json", "gate", "--db", "advisories"],
    );
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let vulns: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"] == "gate-vulnerability" && c["location"].is_object())
        .collect();
    assert_eq!(vulns.len(), 12, "{report:#}");
    let lines: Vec<u64> = vulns
        .iter()
        .map(|c| c["location"]["line"].as_u64().unwrap())
        .collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
    for check in vulns {
        assert!(
            !check["message"].as_str().unwrap().contains("RUSTSEC"),
            "{check}"
        );
    }
}

/// The code of every gate check against the baseline `archive` that failed or warned.
fn baseline_problems(context: &TestContext, archive: &str) -> Vec<String> {
    let (_, report, _) = crate::gate::gate(context, &["--baseline", archive]);
    crate::gate::problems(&report)
        .into_iter()
        .map(|(code, _)| code)
        .collect()
}

/// A signed baseline's signature is credited only when it verifies with the project's public
/// key (the `.pub` beside `[sign] key`); without that key it is not credited and the gate says
/// so; with another key the baseline is refused.
#[test]
fn a_baseline_signature_is_credited_only_when_the_project_key_verifies_it() {
    let context = project();
    let password = "baseline-test-password";
    for prefix in ["k", "other"] {
        let output = context
            .crabox()
            .env("CRABOX_KEY_PASSWORD", password)
            .args(["sign", "--generate-key", prefix])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", output_text(&output).1);
    }
    context.write(
        ".gitignore",
        "crabox-evidence/\nadvisories/\nosv/\nk.*\nother.*\ncrabox.toml\n",
    );
    context.write("crabox.toml", "[sign]\nmode = \"key\"\nkey = \"k.key\"\n");
    let mut signed = UNSIGNED.to_vec();
    signed.retain(|a| *a != "--no-sign");
    let output = context
        .crabox()
        .env("CRABOX_KEY_PASSWORD", password)
        .args(&signed)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let archive = stdout.lines().nth(1).unwrap().to_owned();
    assert!(context.exists(&format!(
        "{}/manifest.sigstore.json",
        archive.trim_end_matches(".tar.gz")
    )));
    // Now unsigned: the verified baseline signature makes its loss a regression.
    context.write("crabox.toml", "[sign]\nmode = \"none\"\nkey = \"k.key\"\n");
    let problems = baseline_problems(&context, &archive);
    // (The SBOM and SECURITY.md are as they were: the evidence lost is the signature.)
    assert!(
        problems.contains(&"gate-regression-evidence".to_owned()),
        "{problems:?}"
    );
    assert!(!problems.contains(&"gate-baseline-untrusted".to_owned()));
    // Without the public key: not credited, and said.
    fs_err::rename(
        context.path().join("k.pub"),
        context.path().join("k.pub.away"),
    )
    .unwrap();
    let problems = baseline_problems(&context, &archive);
    assert!(
        problems.contains(&"gate-baseline-untrusted".to_owned()),
        "{problems:?}"
    );
    assert!(!problems.contains(&"gate-regression-evidence".to_owned()));
    // Another key: refused.
    fs_err::copy(
        context.path().join("other.pub"),
        context.path().join("k.pub"),
    )
    .unwrap();
    let (code, _, stderr) = run(
        &context,
        &[
            "gate",
            "--db",
            "advisories",
            "--db",
            "osv",
            "--baseline",
            &archive,
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("does not verify with"), "{stderr}");
}
