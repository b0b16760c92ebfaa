//! Every help text is snapshotted: a changed flag or a new subcommand shows up in review.

use clap::CommandFactory;
use crabox_cli::Cli;
use crabox_test::output_text;

use crate::plain_dir;

#[test]
fn top_level_help() {
    let context = plain_dir();
    let output = context.crabox().arg("--help").output().unwrap();
    assert!(output.status.success());
    let (stdout, stderr) = output_text(&output);
    assert!(stderr.is_empty(), "help goes to stdout: {stderr}");
    insta::assert_snapshot!("help", stdout);
}

#[test]
fn every_subcommand_help() {
    let context = plain_dir();
    let command = Cli::command();
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    assert!(names.contains(&"init".to_owned()) && names.contains(&"config".to_owned()));
    for name in names {
        let output = context
            .crabox()
            .args([name.as_str(), "--help"])
            .output()
            .unwrap();
        assert!(output.status.success(), "crabox {name} --help");
        let (stdout, _) = output_text(&output);
        insta::assert_snapshot!(format!("help-{name}"), stdout);
    }
}

#[test]
fn only_working_steps_are_listed() {
    // Steps arrive with their issues; until then `--help` must not mention them as commands.
    let context = plain_dir();
    let output = context.crabox().arg("--help").output().unwrap();
    let (stdout, _) = output_text(&output);
    let commands: Vec<&str> = stdout
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        commands,
        [
            "init", "config", "sbom", "audit", "db", "sign", "verify", "gate", "notes", "bundle",
            "publish", "watch", "help"
        ]
    );
}

#[test]
fn version() {
    let context = plain_dir();
    let output = context.crabox().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        output_text(&output).0,
        format!("crabox {}\n", env!("CARGO_PKG_VERSION"))
    );
}
