//! `crabox db update` and `crabox db status` against a RustSec repository reached by `file://`
//! and an OSV export served by a tiny HTTP server on 127.0.0.1, and `crabox audit` reading the
//! cached databases when no `--db` is given.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crabox_test::{TestContext, output_text};

use crate::repo;

const RUSTSEC: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "foo"
date = "2099-01-01"
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

[versions]
patched = [">= 1.2.0"]
```

# Remote code execution in foo
"#;

const OSV_REQUESTS: &str = r#"{"id": "PYSEC-2099-1", "summary": "requests leaks",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}]}]}"#;

/// Scripted HTTP responses: status and body.
type Script = Arc<Mutex<Vec<(u16, Vec<u8>)>>>;

/// Serves scripted responses (status, body) on 127.0.0.1, one per connection, in order; the
/// last one repeats. Returns the base URL and the request paths seen.
fn serve(responses: Script) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            log.lock()
                .unwrap()
                .push(request.split(' ').nth(1).unwrap_or_default().to_owned());
            let (status, body) = {
                let mut responses = responses.lock().unwrap();
                if responses.len() > 1 {
                    responses.remove(0)
                } else {
                    responses[0].clone()
                }
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nLast-Modified: Sat, 28 Nov 2026 09:00:00 GMT\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (url, seen)
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A project whose `crabox.toml` points `crabox db update` at a local RustSec repository and a
/// local OSV server; the RustSec repository is returned for more commits.
fn project(osv_url: &str) -> (TestContext, TestContext) {
    let remote = repo();
    remote.write("crates/foo/RUSTSEC-2099-0001.md", RUSTSEC);
    remote.write("README.md", "not an advisory\n");
    remote.git(&["add", "-A"]);
    remote.git(&["commit", "-q", "-m", "advisories"]);
    let context = repo();
    context.write(
        "crabox.toml",
        &format!(
            "[audit]\nfail-on = \"none\"\nrustsec-url = \"file://{}\"\nosv-url = \"{osv_url}\"\nosv-ecosystems = [\"PyPI\"]\n",
            remote.path().display()
        ),
    );
    context.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    context.write("requirements.txt", "requests==2.31.0\n");
    (context, remote)
}

/// crabox with the database origins of the project's `crabox.toml` (the harness points them at a
/// closed port otherwise).
fn run(context: &TestContext, args: &[&str]) -> (Option<i32>, String, String) {
    let output = context
        .crabox()
        .env_remove("CRABOX_AUDIT_RUSTSEC_URL")
        .env_remove("CRABOX_AUDIT_OSV_URL")
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    (output.status.code(), stdout, stderr)
}

fn finding_ids(context: &TestContext) -> (Vec<String>, String) {
    let (code, stdout, stderr) = run(context, &["--offline", "audit", "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, stderr)
}

#[test]
fn update_status_and_audit_from_the_cache() {
    let zip = zip_of(&[("PYSEC-2099-1.json", OSV_REQUESTS), ("broken.json", "{")]);
    // The first request fails with 503 and is retried.
    let responses = Arc::new(Mutex::new(vec![(503, Vec::new()), (200, zip)]));
    let (url, seen) = serve(Arc::clone(&responses));
    let (context, remote) = project(&url);

    // Nothing cached yet, and offline: the audit says how to get a database.
    let (code, _, stderr) = run(&context, &["--offline", "audit"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("crabox db update"), "{stderr}");
    let (code, stdout, stderr) = run(&context, &["db", "status"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("run `crabox db update`"), "{stdout}");
    assert!(
        stderr.contains("`rustsec` (from `[audit] sources`) is not in the cache"),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(&context, &["db", "update"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(*seen.lock().unwrap(), ["/PyPI/all.zip", "/PyPI/all.zip"]);
    assert!(stderr.contains("retrying"), "{stderr}");
    assert!(
        stdout.contains("rustsec") && stdout.contains("osv/PyPI"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&context, &["db", "status", "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["schema_version"], 1);
    let sources = status["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["name"], "rustsec");
    assert_eq!(sources[0]["records"], 1);
    assert_eq!(
        sources[0]["date"], "2023-11-14T22:13:20Z",
        "the commit's date"
    );
    assert_eq!(sources[0]["stale"], true);
    assert_eq!(sources[1]["name"], "osv/PyPI");
    assert_eq!(sources[1]["records"], 1);
    assert_eq!(
        sources[1]["date"], "2026-11-28T09:00:00Z",
        "the export's Last-Modified"
    );
    assert!(
        stderr.contains("warning[db-stale]: the `rustsec` database is"),
        "a database older than 7 days gives a warning: {stderr}"
    );

    let (ids, stderr) = finding_ids(&context);
    assert_eq!(ids, ["RUSTSEC-2099-0001", "PYSEC-2099-1"], "{stderr}");
    assert!(stderr.contains("db-stale"), "{stderr}");

    // A new advisory upstream arrives with the next update (a fetch into the mirror).
    remote.write(
        "crates/foo/RUSTSEC-2099-0002.md",
        &RUSTSEC.replace("RUSTSEC-2099-0001", "RUSTSEC-2099-0002"),
    );
    remote.git(&["add", "-A"]);
    remote.git(&["commit", "-q", "-m", "another"]);
    // ...while the OSV server now fails: that source keeps its previous copy.
    *responses.lock().unwrap() = vec![(404, Vec::new())];
    let (code, _, stderr) = run(&context, &["db", "update"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("error[db-update-failed]: could not update `osv/PyPI`")
            && stderr.contains("HTTP 404"),
        "{stderr}"
    );
    let (ids, _) = finding_ids(&context);
    assert_eq!(
        ids,
        ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002", "PYSEC-2099-1"]
    );
    let leftovers: Vec<String> = fs_err::read_dir(context.path().join(".cache/crabox/db/osv/PyPI"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("export-") && n != "state.json")
        .collect();
    assert!(
        leftovers.is_empty(),
        "a failed download leaves nothing: {leftovers:?}"
    );

    // --offline never touches the network.
    let before = seen.lock().unwrap().len();
    let (code, _, stderr) = run(&context, &["--offline", "db", "update"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--offline"), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), before);
}

#[test]
fn an_audit_online_fills_an_empty_cache_first() {
    let zip = zip_of(&[("PYSEC-2099-1.json", OSV_REQUESTS)]);
    let (url, seen) = serve(Arc::new(Mutex::new(vec![(200, zip)])));
    let (context, _remote) = project(&url);
    let (code, stdout, stderr) = run(&context, &["audit", "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("`rustsec` is not in the cache: fetching it first"),
        "{stderr}"
    );
    assert_eq!(*seen.lock().unwrap(), ["/PyPI/all.zip"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"RUSTSEC-2099-0001"), "{ids:?}");
    assert!(ids.contains(&"PYSEC-2099-1"), "{ids:?}");
    // Filled once: the next audit reads the cache, offline.
    let (ids, _) = finding_ids(&context);
    assert!(ids.contains(&"PYSEC-2099-1".to_owned()), "{ids:?}");
}

#[test]
fn a_source_missing_from_the_cache_is_named_as_not_checked() {
    let responses = Arc::new(Mutex::new(vec![(404, Vec::new())]));
    let (url, _) = serve(responses);
    let (context, _remote) = project(&url);
    let (code, _, stderr) = run(&context, &["db", "update"]);
    assert_eq!(code, Some(3), "{stderr}");
    let (ids, stderr) = finding_ids(&context);
    assert_eq!(ids, ["RUSTSEC-2099-0001"]);
    assert!(
        stderr.contains("warning[audit-source-missing]: `osv/PyPI` (from `[audit] sources`) is not in the cache: not checked"),
        "{stderr}"
    );
}

#[test]
fn yanked_crates_are_looked_up_online_and_said_unchecked_offline() {
    let index = "{\"name\":\"x\",\"vers\":\"1.1.0\",\"yanked\":true}\n{\"name\":\"x\",\"vers\":\"0.3.0\",\"yanked\":false}\n";
    let (url, seen) = serve(Arc::new(Mutex::new(vec![(200, index.as_bytes().to_vec())])));
    let context = repo();
    context.write(
        "db/crates/baz/RUSTSEC-2099-0009.md",
        &RUSTSEC.replace("package = \"foo\"", "package = \"baz\""),
    );
    context.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"bar\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let output = context
        .crabox()
        .args([
            "audit",
            "--db",
            "db",
            "--format",
            "json",
            "--fail-on",
            "none",
        ])
        .env("CRABOX_AUDIT_INDEX_URL", &url)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let mut paths = seen.lock().unwrap().clone();
    paths.sort();
    assert_eq!(paths, ["/3/b/bar", "/3/f/foo"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["yanked"]["checked"], true);
    assert_eq!(report["yanked"]["crates_checked"], 2);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["kind"], "yanked");
    assert_eq!(findings[0]["package"]["name"], "foo");
    assert_eq!(findings[0]["location"]["line"], 3);

    // Offline: nothing is looked up, and the report says so.
    let output = context
        .crabox()
        .args(["--offline", "audit", "--db", "db", "--format", "json"])
        .env("CRABOX_AUDIT_INDEX_URL", &url)
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), 2, "no request when offline");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["yanked"]["checked"], false);
    assert_eq!(report["yanked"]["reason"], "offline");
    assert!(
        stderr.contains("warning[audit-yanked-unchecked]: yanked releases: not checked (offline)"),
        "{stderr}"
    );

    // An index that cannot be reached is said, not passed over.
    let output = context
        .crabox()
        .args(["audit", "--db", "db", "--format", "json"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["yanked"]["checked"], false);
    assert_eq!(report["yanked"]["crates_not_checked"], 2);
    assert!(stderr.contains("did not answer"), "{stderr}");
}
