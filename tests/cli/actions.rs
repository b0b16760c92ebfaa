//! The steps in GitHub Actions (`GITHUB_ACTIONS=true`): step outputs in `$GITHUB_OUTPUT`, the
//! job summary in `$GITHUB_STEP_SUMMARY`, annotations on stderr.

#![allow(clippy::unwrap_used)]

use crabox_test::{TestContext, output_text};

use crate::audit::ADVISORY;
use crate::repo;

/// Runs crabox as a step of a job, with fresh output and summary files; returns the exit
/// status, stderr, the outputs (`name` → value) and the summary.
fn step(
    context: &TestContext,
    args: &[&str],
) -> (
    Option<i32>,
    String,
    std::collections::BTreeMap<String, String>,
    String,
) {
    let output_file = context.path().join("github-output");
    let summary_file = context.path().join("github-summary");
    let _ = fs_err::remove_file(&output_file);
    let _ = fs_err::remove_file(&summary_file);
    let output = context
        .crabox()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .args(args)
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    // `name<<DELIMITER` … `DELIMITER` entries.
    let text = fs_err::read_to_string(&output_file).unwrap_or_default();
    let mut outputs = std::collections::BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let (name, delimiter) = line.split_once("<<").unwrap();
        let mut value = Vec::new();
        for l in lines.by_ref() {
            if l == delimiter {
                break;
            }
            value.push(l);
        }
        outputs.insert(name.to_owned(), value.join("\n"));
    }
    let summary = fs_err::read_to_string(&summary_file).unwrap_or_default();
    (output.status.code(), stderr, outputs, summary)
}

fn project() -> TestContext {
    let context = repo();
    context.write(".gitignore", "advisories/\ncrabox-evidence/\ngithub-*\n");
    context.write("advisories/crates/foo/RUSTSEC-2099-0001.md", ADVISORY);
    context.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"foo\"]\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    context.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n",
    );
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "feat: first"]);
    context.git(&["tag", "v1.0.0"]);
    context
}

#[test]
fn gate_notes_and_bundle_write_outputs_summaries_and_annotations() {
    let context = project();
    let (code, stderr, outputs, summary) = step(&context, &["gate", "--db", "advisories"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(outputs["passed"], "false");
    assert!(
        outputs["failures"].parse::<usize>().unwrap() >= 3,
        "{outputs:?}"
    );
    assert!(summary.starts_with("## crabox gate: failed"), "{summary}");
    assert!(summary.contains("| FAIL | workflows |"), "{summary}");
    assert!(
        stderr.contains(
            "::error file=.github/workflows/ci.yml,line=6,title=repo-workflow-unpinned::"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("::error file=Cargo.lock,line=8,title=gate-vulnerability::"),
        "{stderr}"
    );

    let (code, stderr, outputs, summary) = step(
        &context,
        &["notes", "--db", "advisories", "--output", "NOTES.md"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(outputs["version"], "1.0.0");
    assert_eq!(outputs["open"], "1");
    assert_eq!(outputs["notes"], "NOTES.md");
    assert!(
        summary.contains("Known vulnerabilities still open in this release"),
        "{summary}"
    );

    let (code, stderr, outputs, summary) =
        step(&context, &["bundle", "--no-sign", "--db", "advisories"]);
    assert_eq!(code, Some(1), "a failing row: {stderr}");
    let name = context
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        outputs["bundle"],
        format!("crabox-evidence/{name}-unversioned")
    );
    assert_eq!(
        outputs["archive"],
        format!("crabox-evidence/{name}-unversioned.tar.gz")
    );
    assert_eq!(outputs["signed"], "false");
    assert!(outputs["fail"].parse::<usize>().unwrap() >= 1);
    assert!(summary.starts_with("# CRA evidence:"), "{summary}");
}

#[test]
fn the_audit_summary_ends_its_list_before_the_table() {
    // Found running the audit action under act: the table right after the coverage list
    // rendered inside the list's last item; and "1 open vulnerabilities".
    let context = project();
    let (code, stderr, outputs, summary) = step(&context, &["audit", "--db", "advisories"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(outputs["vulnerabilities"], "1");
    assert!(summary.contains(", 1 open vulnerability\n"), "{summary}");
    let table = summary.find("| advisory |").unwrap();
    assert!(summary[..table].ends_with("\n\n"), "{summary}");
}
