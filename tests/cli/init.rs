//! `crabox init`.

use crabox_test::output_text;

use crate::{plain_dir, repo};

#[test]
fn writes_three_files_then_refuses_to_overwrite() {
    let context = repo();
    context.git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/acme/gateway.git",
    ]);
    context.write(
        "Cargo.toml",
        "[package]\nname = \"acme-gateway\"\nversion = \"1.4.0\"\n",
    );
    let output = context.crabox().arg("init").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "crabox.toml\nSECURITY.md\n.github/workflows/crabox.yml\n"
    );

    let config = context.read("crabox.toml");
    assert!(config.contains("name = \"acme-gateway\""), "{config}");
    // The version is left to the manifest, so that it never goes stale in crabox.toml.
    assert!(config.contains("# version = \"1.4.0\""), "{config}");
    assert!(
        config.contains(
            "security-contact = \"https://github.com/acme/gateway/security/advisories/new\""
        ),
        "{config}"
    );
    let policy = context.read("SECURITY.md");
    assert!(policy.contains("https://github.com/acme/gateway/security/advisories/new"));
    let workflow = context.read(".github/workflows/crabox.yml");
    assert!(workflow.contains("branches: [\"main\"]"), "{workflow}");

    // The starter is valid configuration.
    let output = context
        .crabox()
        .args(["config", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", output_text(&output).1);
    let resolved: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(resolved["settings"]["product"]["version"], "1.4.0");
    assert_eq!(resolved["product_from"], "Cargo.toml");

    // A second run keeps every file, names each, and changes nothing.
    context.write("SECURITY.md", "# our own policy\n");
    let output = context.crabox().arg("init").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "\n");
    for file in ["crabox.toml", "SECURITY.md", ".github/workflows/crabox.yml"] {
        assert!(
            stderr.contains(&format!("kept `{file}`: it already exists")),
            "{file}: {stderr}"
        );
    }
    context.with_filters(|| insta::assert_snapshot!("init-refuses", stderr));
    assert_eq!(context.read("SECURITY.md"), "# our own policy\n");

    // --force overwrites.
    let output = context.crabox().args(["init", "--force"]).output().unwrap();
    assert!(output.status.success());
    assert!(context.read("SECURITY.md").contains("# Security policy"));
}

/// Issue 19: a repository's own SECURITY.md is kept and the other starter files are written.
#[test]
fn an_existing_security_policy_is_kept_and_the_other_files_are_written() {
    let context = repo();
    context.write("SECURITY.md", "# mine\n");
    let output = context.crabox().arg("init").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("kept `SECURITY.md`: it already exists"),
        "{stderr}"
    );
    assert_eq!(stdout, "crabox.toml\n.github/workflows/crabox.yml\n");
    assert_eq!(context.read("SECURITY.md"), "# mine\n");
    assert!(context.exists("crabox.toml") && context.exists(".github/workflows/crabox.yml"));
}

#[test]
fn writes_at_the_repository_root_from_a_subdirectory() {
    let context = repo();
    context.write("crates/a/src/lib.rs", "");
    let output = context
        .crabox()
        .args(["-C", "crates/a", "init"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", output_text(&output).1);
    assert!(context.exists("crabox.toml") && context.exists(".github/workflows/crabox.yml"));
    assert!(!context.exists("crates/a/crabox.toml"));
}

#[test]
fn without_a_remote_the_contact_is_flagged() {
    let context = repo();
    let output = context
        .crabox()
        .args(["init", "--format", "json"])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: no security contact detected"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["written"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["detected"]["security_contact"],
        serde_json::Value::Null
    );
    // The directory name stands in for a product name.
    let name = context
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(json["detected"]["name"], name.as_str());
    assert!(
        context
            .read("SECURITY.md")
            .contains("[add your security contact")
    );
}

#[test]
fn outside_git_it_writes_in_the_directory_and_warns() {
    let context = plain_dir();
    let output = context.crabox().arg("init").output().unwrap();
    let (_, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("not in a git repository"), "{stderr}");
    assert!(context.exists("crabox.toml"));
}
