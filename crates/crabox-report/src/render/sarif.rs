//! SARIF 2.1.0, the one writer every step's SARIF goes through (`crabox audit --format sarif`,
//! `crabox gate --format sarif`, the bundle's `audit/findings.sarif`): a run of one tool, a rule
//! per code, results with a level, a location, a stable fingerprint and, for findings that are
//! accepted, an external suppression.

use serde_json::{Value, json};

/// The tool of the run.
pub struct Tool<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub information_uri: &'a str,
}

/// One rule (a finding code or an advisory).
pub struct Rule {
    pub id: String,
    /// Shown as `name` when given.
    pub name: Option<String>,
    pub short_description: String,
    pub help_uri: String,
    /// `properties` (e.g. `security-severity` and `tags` for code scanning).
    pub properties: Option<Value>,
}

/// Where a result is: a file, and its line when known.
pub struct Location {
    pub file: String,
    pub line: Option<u32>,
}

/// One result.
pub struct Finding {
    pub rule_id: String,
    /// The rule's index in the run's rules, when the writer is asked to give it.
    pub rule_index: Option<usize>,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    pub message: String,
    pub location: Option<Location>,
    /// `(name, value)` of the partial fingerprint that keeps the result stable across runs.
    pub fingerprint: (&'static str, String),
    /// Why a finding is accepted (ignored, not affected): written as an external suppression.
    pub suppression: Option<String>,
}

/// The SARIF document, pretty-printed with a trailing newline.
pub fn document(tool: &Tool<'_>, rules: &[Rule], findings: &[Finding]) -> String {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.id,
                "shortDescription": { "text": r.short_description },
                "helpUri": r.help_uri,
            });
            if let Some(name) = &r.name {
                rule["name"] = json!(name);
            }
            if let Some(properties) = &r.properties {
                rule["properties"] = properties.clone();
            }
            rule
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": f.level,
                "message": { "text": f.message },
                "partialFingerprints": { f.fingerprint.0: f.fingerprint.1 },
            });
            if let Some(index) = f.rule_index {
                result["ruleIndex"] = json!(index);
            }
            if let Some(location) = &f.location {
                let mut physical = json!({ "artifactLocation": { "uri": location.file } });
                if let Some(line) = location.line {
                    physical["region"] = json!({ "startLine": line });
                }
                result["locations"] = json!([{ "physicalLocation": physical }]);
            }
            if let Some(justification) = &f.suppression {
                result["suppressions"] =
                    json!([{ "kind": "external", "justification": justification }]);
            }
            result
        })
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": tool.name,
                "version": tool.version,
                "informationUri": tool.information_uri,
                "rules": rules,
            } },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON serializes");
    text.push('\n');
    text
}
