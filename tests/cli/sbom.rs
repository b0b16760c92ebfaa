//! `crabox sbom`.

use crabox_test::output_text;

use crate::repo;

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa", "insta"]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"

[[package]]
name = "insta"
version = "1.39.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

fn project() -> crabox_test::TestContext {
    let context = repo();
    context.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nitoa = \"1\"\n[dev-dependencies]\ninsta = \"1\"\n",
    );
    context.write("Cargo.lock", CARGO_LOCK);
    context.write("web/package-lock.json", r#"{"lockfileVersion": 3, "packages": {"": {"dependencies": {"@acme/ui": "1"}}, "node_modules/@acme/ui": {"version": "1.2.3", "integrity": "sha512-D0WfRmU9TQ8I9PFx9Yc+EBHw+vSpIub4IDvQivcp26PtPrdMGAq5SDcpXEo/epqa/DXotVpekHiLNTg3iaKXBQ=="}}}"#);
    context.write("py/requirements.txt", "requests==2.31.0\nflask>=2\n");
    context.git(&["add", "-A"]);
    context.git(&["commit", "-q", "-m", "init"]);
    context
}

#[test]
fn cyclonedx_to_stdout_with_every_ecosystem() {
    let context = project();
    let output = context.crabox().arg("sbom").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    let bom: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(
        bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z",
        "the commit's time"
    );
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:cargo/app@0.1.0",
            "pkg:cargo/insta@1.39.0",
            "pkg:cargo/itoa@1.0.11",
            "pkg:npm/%40acme/ui@1.2.3",
            "pkg:pypi/requests@2.31.0",
        ]
    );
    let insta = &bom["components"][1];
    assert_eq!(insta["scope"], "excluded", "a dev-dependency");
    // The unpinned requirement is a warning naming its line, and the SBOM says it is incomplete.
    assert!(
        stderr.contains("warning[sbom-unpinned-requirement]"),
        "{stderr}"
    );
    assert!(stderr.contains("py/requirements.txt:2"), "{stderr}");
    assert_eq!(bom["compositions"][0]["aggregate"], "incomplete");
}

#[test]
fn byte_identical_across_runs_and_source_date_epoch_wins() {
    let context = project();
    let run = |extra: &[(&str, &str)]| {
        let output = context
            .crabox()
            .envs(extra.iter().copied())
            .args(["sbom", "--sbom-format", "spdx-json"])
            .output()
            .unwrap();
        assert!(output.status.success());
        output.stdout
    };
    assert_eq!(run(&[]), run(&[]));
    let pinned = run(&[("SOURCE_DATE_EPOCH", "0")]);
    let doc: serde_json::Value = serde_json::from_slice(&pinned).unwrap();
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
}

#[test]
fn artifacts_are_hashed_into_the_product_and_output_is_atomic() {
    let context = project();
    context.write("dist/app", "\u{7f}ELF binary");
    context.write("out/sbom.json", "previous");
    let output = context
        .crabox()
        .args([
            "sbom",
            "--artifact",
            "dist/app",
            "--output",
            "out/sbom.json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", output_text(&output).1);
    assert!(output.stdout.is_empty(), "the SBOM went to the file");
    let bom: serde_json::Value = serde_json::from_str(&context.read("out/sbom.json")).unwrap();
    let product = &bom["metadata"]["component"];
    let algs: Vec<&str> = product["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["SHA-256", "SHA-512"]);
    let properties: Vec<String> = product["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                p["name"].as_str().unwrap(),
                p["value"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        properties.contains(&"bsi:component:filename=app".to_owned()),
        "{properties:?}"
    );
    assert!(
        properties.contains(&"bsi:component:executable=executable".to_owned()),
        "{properties:?}"
    );

    // A missing artifact fails and leaves the previous SBOM alone.
    let output = context
        .crabox()
        .args([
            "sbom",
            "--artifact",
            "dist/missing",
            "--output",
            "out/sbom.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(output_text(&output).1.contains("dist/missing"));
    assert!(context.read("out/sbom.json").contains("SHA-512"));
}

#[test]
fn include_dev_false_leaves_development_packages_out() {
    let context = project();
    context.write("crabox.toml", "[sbom]\ninclude-dev = false\n");
    let output = context.crabox().arg("sbom").output().unwrap();
    let bom: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"insta"), "{names:?}");
    assert!(names.contains(&"itoa"));
}

#[test]
fn a_malformed_entry_is_a_warning_with_its_line_and_the_rest_is_listed() {
    let context = project();
    context.write(
        "Cargo.lock",
        "version = 3\n[[package]]\nname = \"app\nversion = \"1\"\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let output = context.crabox().arg("sbom").output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning[sbom-entry-skipped]") && stderr.contains("Cargo.lock:3"),
        "{stderr}"
    );
    assert!(
        stdout.contains("pkg:cargo/itoa@1.0.11"),
        "the rest of the file is read"
    );

    context.write("Cargo.lock", "this is not a lockfile\n");
    let output = context.crabox().arg("sbom").output().unwrap();
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Cargo.lock:1") && stderr.contains("expected `[[package]]`"),
        "{stderr}"
    );
}

#[test]
fn github_actions_get_outputs_and_a_summary() {
    let context = project();
    let output_file = context.path().join("gh-output");
    let summary_file = context.path().join("gh-summary");
    let output = context
        .crabox()
        .args(["sbom", "--output", "sbom.json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .output()
        .unwrap();
    let (_, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "::warning file=py/requirements.txt,line=2,title=sbom-unpinned-requirement::"
        ),
        "{stderr}"
    );
    let outputs = context.read("gh-output");
    assert!(
        outputs.contains("sbom<<") && outputs.contains("\nsbom.json\n"),
        "{outputs}"
    );
    assert!(
        outputs.contains("components<<") && outputs.contains("complete<<"),
        "{outputs}"
    );
    let summary = context.read("gh-summary");
    assert!(
        summary.contains("| `py/requirements.txt` | 1 | no |"),
        "{summary}"
    );
    assert!(summary.contains("sbom-unpinned-requirement"), "{summary}");
}

#[test]
fn spdx_3_json_ld_is_deterministic_and_states_what_it_knows() {
    // SPDX 3.0.1 (issue 22): the same inputs and SOURCE_DATE_EPOCH give the same bytes; the
    // manufacturer's contact is the creator's e-mail identifier; every dependency list says
    // whether it is complete; the artifact is a file with SHA-512 and its BSI purposes.
    let context = project();
    context.write(
        "crabox.toml",
        "[product]\nmanufacturer = \"ACME GmbH\"\nmanufacturer-contact = \"mailto:psirt@acme.example\"\n",
    );
    context.write("dist/app", "\u{7f}ELF binary");
    let run = || {
        let output = context
            .crabox()
            .env("SOURCE_DATE_EPOCH", "0")
            .args([
                "sbom",
                "--sbom-format",
                "spdx3-json",
                "--artifact",
                "dist/app",
            ])
            .output()
            .unwrap();
        let (_, stderr) = output_text(&output);
        assert!(output.status.success(), "{stderr}");
        output.stdout
    };
    let first = run();
    assert_eq!(first, run(), "byte-identical");
    let doc: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    let graph = doc["@graph"].as_array().unwrap();
    let of_type = |t: &'static str| graph.iter().filter(move |e| e["type"] == t);
    let creation = of_type("CreationInfo").next().unwrap();
    assert_eq!(creation["created"], "1970-01-01T00:00:00Z");
    let organization = of_type("Organization").next().unwrap();
    assert_eq!(
        organization["externalIdentifier"][0]["identifier"],
        "psirt@acme.example"
    );
    assert_eq!(creation["createdBy"][0], organization["spdxId"]);
    let completeness: std::collections::BTreeSet<&str> = of_type("Relationship")
        .filter(|r| r["relationshipType"] == "dependsOn")
        .map(|r| r["completeness"].as_str().unwrap())
        .collect();
    assert!(!completeness.is_empty());
    assert!(
        completeness
            .iter()
            .all(|c| ["complete", "incomplete", "noAssertion"].contains(c))
    );
    let file = of_type("software_File").next().unwrap();
    assert_eq!(file["name"], "app");
    assert!(
        file["verifiedUsing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["algorithm"] == "sha512")
    );
    assert!(
        file["software_additionalPurpose"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "executable")
    );
    let sbom = of_type("software_Sbom").next().unwrap();
    assert_eq!(doc["@graph"][1]["rootElement"][0], sbom["spdxId"]);
}

#[test]
fn a_maven_component_has_its_group_and_artifact() {
    // CycloneDX's group and name for `groupId:artifactId`, as Maven tools write them (issue 22).
    let context = repo();
    context.write(
        "gradle.lockfile",
        "com.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath\nempty=\n",
    );
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "feat: a gradle lockfile"]);
    let output = context.crabox().args(["sbom"]).output().unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let guava = &doc["components"][0];
    assert_eq!(guava["group"], "com.google.guava");
    assert_eq!(guava["name"], "guava");
    assert_eq!(guava["purl"], "pkg:maven/com.google.guava/guava@31.1-jre");
}

#[test]
fn bsi_component_fields_come_from_cargos_registry_cache() {
    // BSI TR-03183-2 component fields (issue 22): a crate's creator and licence from its
    // manifest in the registry cache, its `.crate` with SHA-512 when the cached file's SHA-256 is
    // the lockfile's checksum; a workspace member's licence and creator inherited from
    // `[workspace.package]`, deployed as the product's artifact; the product's licence is its
    // top crate's.
    use sha2::Digest as _;
    let context = repo();
    let crate_bytes = b"the itoa crate";
    let checksum = crabox_types::encoding::hex(&sha2::Sha256::digest(crate_bytes));
    let sha512 = crabox_types::encoding::hex(&sha2::Sha512::digest(crate_bytes));
    context.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\"]\n[workspace.package]\nlicense = \"MIT\"\nrepository = \"https://git.acme.example/app\"\n",
    );
    context.write(
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nlicense.workspace = true\nrepository.workspace = true\n[dependencies]\nitoa = \"1\"\n",
    );
    context.write(
        "Cargo.lock",
        &format!("version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\"]\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{checksum}\"\n"),
    );
    context.write("dist/app", "\u{7f}ELF binary");
    context.write(
        "cargo-home/registry/src/index.crates.io-0/itoa-1.0.11/Cargo.toml",
        "[package]\nname = \"itoa\"\nversion = \"1.0.11\"\nlicense = \"MIT OR Apache-2.0\"\nrepository = \"https://github.com/dtolnay/itoa\"\n",
    );
    context.write(
        "cargo-home/registry/cache/index.crates.io-0/itoa-1.0.11.crate",
        std::str::from_utf8(crate_bytes).unwrap(),
    );
    context.write(
        "crabox.toml",
        "[product]\nname = \"app\"\nmanufacturer = \"ACME GmbH\"\nmanufacturer-contact = \"mailto:psirt@acme.example\"\n[sbom]\nexclude = [\"cargo-home/**\"]\n",
    );
    let sbom = |format: &str| {
        let output = context
            .crabox()
            .env("CARGO_HOME", context.path().join("cargo-home"))
            .args(["sbom", "--sbom-format", format, "--artifact", "dist/app"])
            .output()
            .unwrap();
        let (stdout, stderr) = output_text(&output);
        assert!(output.status.success(), "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let doc = sbom("spdx3-json");
    let graph = doc["@graph"].as_array().unwrap();
    let by_id = |id: &serde_json::Value| graph.iter().find(|e| e["spdxId"] == *id).unwrap();
    let package = |name: &str| {
        graph
            .iter()
            .find(|e| {
                e["type"] == "software_Package"
                    && e["name"] == name
                    && e.get("software_packageUrl").is_some()
            })
            .unwrap()
    };
    let related = |from: &serde_json::Value, kind: &str| -> Vec<&serde_json::Value> {
        graph
            .iter()
            .filter(|r| {
                r["type"] == "Relationship" && r["from"] == *from && r["relationshipType"] == kind
            })
            .flat_map(|r| r["to"].as_array().unwrap())
            .map(by_id)
            .collect()
    };
    let itoa = package("itoa");
    let creator = by_id(&itoa["originatedBy"][0]);
    assert_eq!(
        creator["externalIdentifier"][0]["identifier"],
        "https://github.com/dtolnay/itoa"
    );
    let files = related(&itoa["spdxId"], "hasDistributionArtifact");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], "itoa-1.0.11.crate");
    assert!(
        files[0]["verifiedUsing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["algorithm"] == "sha512" && h["hashValue"] == sha512.as_str())
    );
    let licence = related(&itoa["spdxId"], "hasConcludedLicense");
    assert_eq!(
        licence[0]["simplelicensing_licenseExpression"],
        "MIT OR Apache-2.0"
    );
    // The member: inherited licence and creator, deployed as the product's artifact.
    let app = package("app");
    assert_eq!(
        by_id(&app["originatedBy"][0])["externalIdentifier"][0]["identifier"],
        "https://git.acme.example/app"
    );
    assert_eq!(
        related(&app["spdxId"], "hasDistributionArtifact")[0]["name"],
        "app"
    );
    assert_eq!(
        related(&app["spdxId"], "hasConcludedLicense")[0]["simplelicensing_licenseExpression"],
        "MIT"
    );
    let product = graph
        .iter()
        .find(|e| {
            e["spdxId"]
                .as_str()
                .unwrap_or_default()
                .ends_with("#Package-product")
        })
        .unwrap();
    assert_eq!(
        related(&product["spdxId"], "hasConcludedLicense")[0]["simplelicensing_licenseExpression"],
        "MIT"
    );
    // CycloneDX: the creator as the component's manufacturer, the file as a BSI property.
    let doc = sbom("cyclonedx-json");
    let itoa = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "itoa")
        .unwrap();
    assert_eq!(
        itoa["manufacturer"]["url"][0],
        "https://github.com/dtolnay/itoa"
    );
    assert!(
        itoa["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "bsi:component:filename" && p["value"] == "itoa-1.0.11.crate")
    );
    assert!(
        itoa["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["alg"] == "SHA-512" && h["content"] == sha512.as_str())
    );
}
