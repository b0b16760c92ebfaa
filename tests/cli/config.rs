//! `crabox config`: resolution, precedence, errors and redaction.

use crabox_test::output_text;

use crate::repo;

#[test]
fn misspelt_key_exits_2_naming_line_and_key() {
    let context = repo();
    context.write(
        "crabox.toml",
        "[product]\nname = \"acme\"\nsecurity-contatc = \"mailto:psirt@acme.example\"\n",
    );
    let output = context.crabox_own_env().arg("config").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout.is_empty());
    insta::assert_snapshot!(stderr, @r#"
    error[config-unknown-key]: unknown key `security-contatc` in `[product]`
     --> crabox.toml:3:1
      |
    3 | security-contatc = "mailto:psirt@acme.example"
      | ^^^^^^^^^^^^^^^^ not a key of `[product]`
      |
      = help: did you mean `security-contact`?
    "#);
}

#[test]
fn errors_are_annotated_in_github_actions() {
    let context = repo();
    context.write("crabox.toml", "[audit]\nfail-on = \"hihg\"\n");
    let output = context
        .crabox_own_env()
        .arg("config")
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("::error file=crabox.toml,line=2,col=11,title=config-invalid-value::invalid value for `audit.fail-on`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: did you mean `\"high\"`?"),
        "{stderr}"
    );
}

#[test]
fn precedence_defaults_file_env_flags() {
    let context = repo();
    context.write(
        "crabox.toml",
        "[audit]\nfail-on = \"medium\"\n[sbom]\ninclude-dev = false\n",
    );
    let json = |envs: &[(&str, &str)], args: &[&str]| {
        let output = context
            .crabox_own_env()
            .envs(envs.iter().copied())
            .args(["config", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", output_text(&output).1);
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let base = json(&[], &[]);
    assert_eq!(base["config_file"], "crabox.toml");
    assert_eq!(base["settings"]["audit"]["fail-on"], "medium");
    assert_eq!(base["settings"]["sbom"]["include-dev"], false);
    assert_eq!(base["settings"]["notes"]["tag-pattern"], "v*", "default");
    assert_eq!(base["settings"]["offline"], false);

    let env = json(
        &[("CRABOX_AUDIT_FAIL_ON", "high"), ("CRABOX_OFFLINE", "true")],
        &[],
    );
    assert_eq!(env["settings"]["audit"]["fail-on"], "high");
    assert_eq!(env["settings"]["offline"], true);
    assert_eq!(
        env["env_overrides"],
        serde_json::json!(["CRABOX_AUDIT_FAIL_ON"])
    );

    // A flag beats the environment.
    let flag = json(&[("CRABOX_OFFLINE", "false")], &["--offline"]);
    assert_eq!(flag["settings"]["offline"], true);
    let format_env = context
        .crabox_own_env()
        .env("CRABOX_FORMAT", "json")
        .args(["config", "--format", "human"])
        .output()
        .unwrap();
    assert!(
        output_text(&format_env)
            .0
            .starts_with("# crabox configuration")
    );
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let context = repo();
    let output = context
        .crabox_own_env()
        .arg("config")
        .env("CRABOX_SBOM_INCLUDE_DEV", "perhaps")
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(stderr, @"
    error[config-invalid-env]: environment variable `CRABOX_SBOM_INCLUDE_DEV`: `perhaps` is not a boolean; expected `true` or `false`
     |
     = note: `CRABOX_SBOM_INCLUDE_DEV` sets `sbom.include-dev` of crabox.toml
    ");
}

#[test]
fn secrets_are_redacted() {
    let context = repo();
    for format in ["human", "json", "markdown"] {
        let output = context
            .crabox_own_env()
            .env("CRABOX_KEY_PASSWORD", "hunter2-secret")
            .env("GITHUB_TOKEN", "ghp_0123456789abcdef")
            .args(["config", "--format", format, "-vv"])
            .output()
            .unwrap();
        let (stdout, stderr) = output_text(&output);
        assert!(output.status.success());
        for secret in ["hunter2-secret", "ghp_0123456789abcdef"] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{format} leaked"
            );
        }
        assert!(stdout.contains("<redacted>"), "{format}: {stdout}");
    }
}

#[test]
fn resolved_toml_for_people() {
    let context = repo();
    context.write(
        "crabox.toml",
        "[product]\nname = \"acme\"\nsupport-end = \"2031-12-31\"\n",
    );
    let output = context.crabox_own_env().arg("config").output().unwrap();
    let (stdout, _) = output_text(&output);
    insta::assert_snapshot!(stdout);
    // What we print is itself TOML.
    toml::from_str::<toml::Table>(&stdout).unwrap();
}

#[test]
fn outputs_in_github_actions() {
    let context = repo();
    context.write("crabox.toml", "");
    let out = context.path().join("gh-output");
    let output = context
        .crabox_own_env()
        .arg("config")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &out)
        .output()
        .unwrap();
    assert!(output.status.success());
    let written = context.read("gh-output");
    let lines: Vec<&str> = written.lines().collect();
    assert!(
        lines[0].starts_with("config-file<<ghadelimiter_"),
        "{written}"
    );
    assert_eq!(lines[1], "crabox.toml");
}

#[test]
fn schema_is_json_schema() {
    let context = repo();
    let output = context
        .crabox_own_env()
        .args(["config", "--schema"])
        .output()
        .unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
}
