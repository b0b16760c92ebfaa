//! GitHub Actions workflow hygiene, offline: actions pinned by full commit SHA (and container
//! images by digest), least-privilege `permissions`, no `pull_request_target` that checks out
//! the pull request's code, and no `${{ }}` expansion of attacker-controlled values inside
//! `run:`. Workflows under `.github/workflows/` and composite actions (`action.yml`).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_yaml_ng::Value;

use crabox_types::{Code, codes};

use crate::{Category, Check, Outcome};

static SHA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9a-f]{40}$").expect("a valid pattern"));
static EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{\{\s*(.*?)\s*\}\}").expect("a valid pattern"));

/// Contexts whose values the workflow's own repository decides (safe to expand in `run:`).
const SAFE: &[&str] = &[
    "github.sha",
    "github.run_id",
    "github.run_number",
    "github.run_attempt",
    "github.workspace",
    "github.action_path",
    "github.repository",
    "github.repository_id",
    "github.repository_owner",
    "github.event_name",
    "github.ref_type",
    "github.server_url",
    "github.api_url",
    "github.graphql_url",
    "github.job",
    "github.workflow",
    "github.token",
    "runner.os",
    "runner.arch",
    "runner.temp",
    "runner.tool_cache",
    "runner.name",
];

/// The workflow and composite-action files of a checkout.
pub fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs_err::read_dir(root.join(".github/workflows")) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(path);
            }
        }
    }
    for name in ["action.yml", "action.yaml"] {
        let path = root.join(name);
        if path.is_file() {
            out.push(path);
        }
    }
    if let Ok(entries) = fs_err::read_dir(root.join("actions")) {
        for entry in entries.flatten() {
            for name in ["action.yml", "action.yaml"] {
                let path = entry.path().join(name);
                if path.is_file() {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// The 1-based line of the first occurrence of `needle` at or after line `from`.
fn line_of(text: &str, needle: &str, from: u32) -> u32 {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| l.contains(needle))
        .map_or(0, |(i, _)| u32::try_from(i + 1).unwrap_or(0))
}

struct FileChecks<'a> {
    shown: String,
    text: &'a str,
    found: Vec<Check>,
}

impl FileChecks<'_> {
    fn add(&mut self, code: Code, outcome: Outcome, line: u32, what: &str, message: String) {
        self.found.push(
            Check::new(
                Category::Workflows,
                code,
                format!("{}:{line}: {what}", self.shown),
                outcome,
                message,
            )
            .at(&self.shown, line),
        );
    }
}

/// Steps of every job (workflows) or of the composite action.
fn steps(doc: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) {
        for (_, job) in jobs {
            if let Some(steps) = job.get("steps").and_then(Value::as_sequence) {
                out.extend(steps.iter());
            }
        }
    }
    if let Some(steps) = doc
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Value::as_sequence)
    {
        out.extend(steps.iter());
    }
    out
}

/// Every `uses:` of the file: steps and reusable-workflow jobs.
fn uses(doc: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = steps(doc)
        .into_iter()
        .filter_map(|s| s.get("uses").and_then(Value::as_str))
        .collect();
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) {
        for (_, job) in jobs {
            out.extend(job.get("uses").and_then(Value::as_str));
        }
    }
    out
}

fn is_write(value: &Value) -> bool {
    match value {
        Value::String(s) => s == "write-all",
        Value::Mapping(m) => m.values().any(|v| v.as_str() == Some("write")),
        _ => false,
    }
}

fn triggers(doc: &Value) -> Vec<String> {
    // YAML 1.1 reads a bare `on` key as `true`.
    let on = doc.get("on").or_else(|| doc.get(Value::Bool(true)));
    match on {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::Mapping(m)) => m
            .keys()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The checks of one file, rule by rule.
#[allow(clippy::too_many_lines)]
fn check_file(root: &Path, path: &Path) -> Vec<Check> {
    let shown = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let text = fs_err::read_to_string(path)
        .map(crabox_types::encoding::without_bom)
        .unwrap_or_default();
    let invalid = |message: String, line: u32| {
        vec![
            Check::new(
                Category::Workflows,
                codes::REPO_WORKFLOW_INVALID,
                format!("{shown}: YAML"),
                Outcome::Fail,
                message,
            )
            .at(shown.clone(), line),
        ]
    };
    if let Some((line, depth)) =
        crabox_types::encoding::yaml_too_deep(&text, crabox_types::encoding::YAML_MAX_DEPTH)
    {
        return invalid(
            format!(
                "YAML nested {depth} levels deep: more than {} is refused unread",
                crabox_types::encoding::YAML_MAX_DEPTH
            ),
            line,
        );
    }
    let doc: Value = match serde_yaml_ng::from_str(&text) {
        Ok(doc) => doc,
        Err(err) => {
            let line = err
                .location()
                .map_or(0, |l| u32::try_from(l.line()).unwrap_or(0));
            return invalid(format!("not valid YAML: {err}"), line);
        }
    };
    let mut file = FileChecks {
        shown,
        text: &text,
        found: Vec::new(),
    };
    let is_workflow = doc.get("jobs").is_some();

    // Pinning.
    let mut cursor = 1;
    for reference in uses(&doc) {
        let line = line_of(file.text, reference, cursor);
        cursor = line.max(1);
        // Actions of the same repository (`./path`, `$/path`) come with the commit.
        if reference.starts_with("./") || reference.starts_with("$/") {
            continue;
        }
        if let Some(image) = reference.strip_prefix("docker://") {
            if !image.contains("@sha256:") {
                file.add(
                    codes::REPO_WORKFLOW_UNPINNED,
                    Outcome::Fail,
                    line,
                    reference,
                    format!("`{reference}` is not pinned by digest (`@sha256:…`)"),
                );
            }
            continue;
        }
        let pinned = reference
            .rsplit_once('@')
            .is_some_and(|(_, r)| SHA.is_match(r));
        if !pinned {
            file.add(
                codes::REPO_WORKFLOW_UNPINNED,
                Outcome::Fail,
                line,
                reference,
                format!("`{reference}` is not pinned by a full commit SHA: the tag can be moved to other code"),
            );
        }
    }

    // Permissions (workflows only: composite actions inherit the caller's).
    if is_workflow {
        let top = doc.get("permissions");
        let jobs = doc.get("jobs").and_then(Value::as_mapping);
        let all_jobs_scoped = jobs.is_some_and(|jobs| {
            jobs.values()
                .all(|j| j.get("permissions").is_some() || j.get("uses").is_some())
        });
        match top {
            None if !all_jobs_scoped => file.add(
                codes::REPO_WORKFLOW_PERMISSIONS,
                Outcome::Fail,
                1,
                "permissions",
                "no `permissions:` for the workflow or every job: the token gets the repository's defaults, which may be write-all".to_owned(),
            ),
            Some(value) if is_write(value) => file.add(
                codes::REPO_WORKFLOW_PERMISSIONS,
                Outcome::Fail,
                line_of(file.text, "permissions", 1),
                "permissions",
                "write permissions for the whole workflow: grant them to the jobs that need them".to_owned(),
            ),
            _ => {}
        }
        if let Some(jobs) = jobs {
            let mut cursor = 1;
            for (name, job) in jobs {
                let name = name.as_str().unwrap_or_default();
                let Some(permissions) = job.get("permissions") else {
                    continue;
                };
                if permissions.as_str() == Some("write-all") {
                    file.add(
                        codes::REPO_WORKFLOW_PERMISSIONS,
                        Outcome::Fail,
                        line_of(file.text, "write-all", cursor),
                        name,
                        format!("job `{name}` has `permissions: write-all`"),
                    );
                } else if let Some(map) = permissions.as_mapping() {
                    for (scope, level) in map {
                        if level.as_str() != Some("write") {
                            continue;
                        }
                        let scope = scope.as_str().unwrap_or_default();
                        let line = line_of(file.text, &format!("{scope}: write"), cursor);
                        cursor = line.max(1);
                        file.add(
                            codes::REPO_WORKFLOW_PERMISSIONS,
                            Outcome::Warn,
                            line,
                            &format!("{name}: {scope}: write"),
                            format!("job `{name}` can write `{scope}`: make sure it needs to"),
                        );
                    }
                }
            }
        }
    }

    // Dangerous triggers.
    let on = triggers(&doc);
    for trigger in ["pull_request_target", "workflow_run"] {
        if !on.iter().any(|t| t == trigger) {
            continue;
        }
        let line = line_of(file.text, trigger, 1);
        let checks_out_head = steps(&doc).iter().any(|s| {
            s.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with("actions/checkout"))
                && s.get("with")
                    .and_then(|w| w.get("ref"))
                    .and_then(Value::as_str)
                    .is_some_and(|r| {
                        r.contains("github.event.pull_request.head")
                            || r.contains("github.head_ref")
                            || r.contains("refs/pull/")
                            || r.contains("github.event.workflow_run.head")
                    })
        });
        if checks_out_head {
            file.add(
                codes::REPO_WORKFLOW_DANGEROUS_TRIGGER,
                Outcome::Fail,
                line,
                trigger,
                format!("`{trigger}` runs with the base repository's token and secrets, and the workflow checks out the pull request's code"),
            );
        } else {
            file.add(
                codes::REPO_WORKFLOW_DANGEROUS_TRIGGER,
                Outcome::Warn,
                line,
                trigger,
                format!("`{trigger}` runs with the base repository's token and secrets; keep untrusted code out of it"),
            );
        }
    }

    // Template injection in `run:`.
    let mut cursor = 1;
    for step in steps(&doc) {
        let Some(run) = step.get("run").and_then(Value::as_str) else {
            continue;
        };
        for capture in EXPRESSION.captures_iter(run) {
            let expression = capture[1].to_owned();
            let contexts: Vec<&str> = expression
                .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*')))
                .filter(|t| t.contains('.'))
                .collect();
            if contexts.is_empty()
                || contexts
                    .iter()
                    .all(|c| SAFE.contains(c) || c.starts_with("secrets."))
            {
                continue;
            }
            let attacker = contexts.iter().any(|c| {
                c.starts_with("github.event.")
                    || c.starts_with("inputs.")
                    || c.starts_with("github.head_ref")
            });
            let whole = &capture[0];
            let line = line_of(file.text, whole, cursor);
            cursor = line.max(1);
            file.add(
                codes::REPO_WORKFLOW_INJECTION,
                if attacker { Outcome::Fail } else { Outcome::Warn },
                line,
                whole,
                format!(
                    "`{whole}` is expanded into the shell script{}: pass it through `env:` and use the variable",
                    if attacker { " and an attacker can choose its value" } else { "" }
                ),
            );
        }
    }
    file.found
}

/// Every workflow check; one passing check per rule when no file breaks it.
pub fn checks(root: &Path) -> Vec<Check> {
    let files = files(root);
    if files.is_empty() {
        return vec![Check::new(
            Category::Workflows,
            codes::REPO_WORKFLOW_UNPINNED,
            "workflows",
            Outcome::NotApplicable,
            "no GitHub Actions workflow or composite action",
        )];
    }
    let mut out: Vec<Check> = files.iter().flat_map(|f| check_file(root, f)).collect();
    for (code, rule) in [
        (
            codes::REPO_WORKFLOW_UNPINNED,
            "every action pinned by a full commit SHA",
        ),
        (
            codes::REPO_WORKFLOW_PERMISSIONS,
            "least-privilege `permissions` in every workflow",
        ),
        (
            codes::REPO_WORKFLOW_DANGEROUS_TRIGGER,
            "no `pull_request_target` or `workflow_run` trigger",
        ),
        (
            codes::REPO_WORKFLOW_INJECTION,
            "no `${{ }}` expansion of untrusted values in `run:`",
        ),
    ] {
        if !out.iter().any(|c| c.code == code) {
            out.push(Check::new(
                Category::Workflows,
                code,
                rule,
                Outcome::Pass,
                format!("{} workflow and action files checked", files.len()),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[(&str, &str)]) -> Vec<(String, &'static str, Outcome)> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        }
        let mut found: Vec<_> = checks(dir.path())
            .into_iter()
            .filter(|c| c.outcome != Outcome::Pass)
            .collect();
        found.sort_by_key(|c| (c.location.clone(), c.name.clone()));
        found
            .into_iter()
            .map(|c| (c.name, c.code.id(), c.outcome))
            .collect()
    }

    #[test]
    fn a_clean_workflow_passes() {
        let clean = "on: push\npermissions: {}\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n      - uses: ./local\n      - env:\n          TITLE: ${{ github.event.issue.title }}\n        run: echo \"$TITLE\" ${{ github.sha }}\n";
        assert_eq!(run(&[(".github/workflows/ci.yml", clean)]), []);
    }

    #[test]
    fn each_rule_is_found_at_its_line() {
        let bad = "on:\n  pull_request_target:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - uses: docker://alpine:3\n      - run: echo ${{ github.event.pull_request.title }} ${{ steps.x.outputs.y }}\n";
        let found = run(&[(".github/workflows/bad.yml", bad)]);
        let shown: Vec<(&str, &str, Outcome)> =
            found.iter().map(|(n, c, o)| (n.as_str(), *c, *o)).collect();
        assert_eq!(
            shown,
            [
                (
                    ".github/workflows/bad.yml:1: permissions",
                    codes::REPO_WORKFLOW_PERMISSIONS.id(),
                    Outcome::Fail
                ),
                (
                    ".github/workflows/bad.yml:2: pull_request_target",
                    codes::REPO_WORKFLOW_DANGEROUS_TRIGGER.id(),
                    Outcome::Fail
                ),
                (
                    ".github/workflows/bad.yml:7: actions/checkout@v4",
                    codes::REPO_WORKFLOW_UNPINNED.id(),
                    Outcome::Fail
                ),
                (
                    ".github/workflows/bad.yml:10: docker://alpine:3",
                    codes::REPO_WORKFLOW_UNPINNED.id(),
                    Outcome::Fail
                ),
                (
                    ".github/workflows/bad.yml:11: ${{ github.event.pull_request.title }}",
                    codes::REPO_WORKFLOW_INJECTION.id(),
                    Outcome::Fail
                ),
                (
                    ".github/workflows/bad.yml:11: ${{ steps.x.outputs.y }}",
                    codes::REPO_WORKFLOW_INJECTION.id(),
                    Outcome::Warn
                ),
            ]
        );
        let write_all = "on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ inputs.name }}\n";
        let found = run(&[(".github/workflows/w.yml", write_all)]);
        assert_eq!(found.len(), 2, "{found:?}");
        let composite = "runs:\n  using: composite\n  steps:\n    - uses: actions/cache@v4\n    - run: echo ${{ inputs.x }}\n      shell: bash\n";
        assert_eq!(run(&[("actions/setup/action.yml", composite)]).len(), 2);
        assert_eq!(
            run(&[(".github/workflows/broken.yml", "on: [push\n")])[0].1,
            codes::REPO_WORKFLOW_INVALID.id()
        );
    }
}
