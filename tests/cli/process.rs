//! Process-level behaviour: exit statuses, stdout is data, colour choices, broken pipes.

use std::io::Read;
use std::process::Stdio;

use crabox_test::output_text;

use crate::{plain_dir, repo};

#[test]
fn usage_errors_exit_2() {
    let context = plain_dir();
    for args in [
        &["frobnicate"][..],
        &["config", "--format", "yaml"],
        &["config", "--format", "sarif"],
        &["-C", "does/not/exist", "config"],
        &["-q", "-v", "config"],
        &["config", "--config", "missing.toml"],
    ] {
        let output = context.crabox().args(args).output().unwrap();
        let (stdout, stderr) = output_text(&output);
        assert_eq!(output.status.code(), Some(2), "crabox {args:?}: {stderr}");
        assert!(
            stdout.is_empty(),
            "crabox {args:?} printed data on stdout: {stdout}"
        );
        assert!(stderr.contains("error"), "crabox {args:?}: {stderr}");
    }
}

#[test]
fn sarif_refusal_has_a_hint() {
    let context = plain_dir();
    let output = context
        .crabox()
        .args(["config", "--format", "sarif"])
        .output()
        .unwrap();
    insta::assert_snapshot!(output_text(&output).1, @"
    error: `crabox config` has no sarif output
      hint: use --format human, json or markdown
    ");
}

#[test]
fn runtime_errors_exit_3_with_the_cause() {
    let context = repo();
    // `.github` is a file, so the workflow cannot be written.
    context.write(".github", "not a directory");
    let output = context.crabox().arg("init").output().unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("error: could not write"), "{stderr}");
    assert!(stderr.contains("caused by:"), "{stderr}");
}

#[test]
fn a_closed_stdout_exits_0() {
    let context = plain_dir();
    let mut child = context
        .crabox_std()
        .args(["config", "--schema"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, so that crabox's write fails with EPIPE.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn colour_follows_the_choice() {
    let context = plain_dir();
    context.write("crabox.toml", "[product]\nnmae = 'x'\n");
    let run = |extra: &[(&str, &str)], args: &[&str]| {
        let output = context
            .crabox()
            .envs(extra.iter().copied())
            .args(args)
            .output()
            .unwrap();
        output_text(&output).1
    };
    let esc = '\u{1b}';
    assert!(
        !run(&[], &["config"]).contains(esc),
        "auto on a pipe is plain"
    );
    assert!(run(&[], &["--color", "always", "config"]).contains(esc));
    assert!(run(&[("CRABOX_COLOR", "always")], &["config"]).contains(esc));
    assert!(!run(&[("NO_COLOR", "1")], &["--color", "auto", "config"]).contains(esc));
    assert!(
        !run(
            &[("CRABOX_COLOR", "always")],
            &["--color", "never", "config"]
        )
        .contains(esc)
    );
}

#[test]
fn logs_go_to_stderr_and_quiet_silences_them() {
    let context = repo();
    let output = context.crabox().arg("init").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(
        stdout,
        "crabox.toml\nSECURITY.md\n.github/workflows/crabox.yml\n"
    );
    assert!(stderr.contains("info: wrote crabox.toml"), "{stderr}");

    let output = context
        .crabox()
        .args(["init", "--force", "-qq"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success());
    assert_eq!(stdout.lines().count(), 3);
    assert!(stderr.is_empty(), "{stderr}");

    let output = context
        .crabox()
        .args(["init", "--force"])
        .env("CRABOX_LOG", "off")
        .output()
        .unwrap();
    assert!(output_text(&output).1.is_empty());
}
