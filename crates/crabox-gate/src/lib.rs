//! crabox L2: the security regression gate. Every check gives one [`Check`]: pass, fail, warn
//! or not-applicable, with why, and where when a file says it.
//!
//! - [`policy`]: severity threshold, licences (SPDX expressions), banned packages, registries and
//!   git sources;
//! - [`baseline`]: the previous release against this one: regressions and improvements;
//! - [`commands`]: the security test commands, with a time limit, libtest and JUnit results;
//! - [`repo`]: repository practices (SECURITY.md, security.txt, dependency updates, fuzzing,
//!   committed binaries, licence file); [`workflows`]: GitHub Actions workflow hygiene;
//! - [`hardening`]: ELF binary hardening (PIE, RELRO, NX, stack protector, FORTIFY);
//! - [`render`]: human, JSON, JUnit XML, SARIF and Markdown.

pub mod baseline;
pub mod commands;
mod error;
pub mod hardening;
pub mod policy;
pub mod render;
pub mod repo;
pub mod workflows;

use crabox_types::Code;
use crabox_types::component::{self, Ecosystem, FindingKind};
use serde::Serialize;

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    /// Worth knowing; does not fail the gate.
    Warn,
    Fail,
    /// The check does not apply here (and the message says why).
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not-applicable",
        }
    }
}

/// The group a check belongs to (a JUnit test suite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Policy,
    Baseline,
    Commands,
    Repository,
    Workflows,
    Hardening,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Policy => "policy",
            Category::Baseline => "baseline",
            Category::Commands => "commands",
            Category::Repository => "repository",
            Category::Workflows => "workflows",
            Category::Hardening => "hardening",
        }
    }
}

/// A file and 1-based line (0: the whole file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub category: Category,
    /// Stable code (`gate-license-denied`, `repo-workflow-unpinned`, …): the SARIF rule id.
    pub code: Code,
    /// What was checked, unique within the report (`Cargo.lock: openssl 0.10.1`).
    pub name: String,
    pub outcome: Outcome,
    /// Why, in a sentence.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Extra facts: a command's duration, exit status and output digest; test results.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl Check {
    pub fn new(
        category: Category,
        code: Code,
        name: impl Into<String>,
        outcome: Outcome,
        message: impl Into<String>,
    ) -> Check {
        Check {
            category,
            code,
            name: name.into(),
            outcome,
            message: message.into(),
            location: None,
            data: serde_json::Map::new(),
        }
    }

    #[must_use]
    pub fn at(mut self, file: impl Into<String>, line: u32) -> Check {
        self.location = Some(Location {
            file: file.into(),
            line,
        });
        self
    }

    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Check {
        self.data.insert(key.to_owned(), value.into());
        self
    }
}

/// A package as the gate sees it: the catalogers' [`component::Package`] with the file that
/// pins it (a lockfile, or the SBOM of a baseline bundle).
/// Borrowed from the inventory when the gate judges lockfiles; owned when read from a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package<'a> {
    pub package: std::borrow::Cow<'a, component::Package>,
    pub file: std::borrow::Cow<'a, str>,
}

impl std::ops::Deref for Package<'_> {
    type Target = component::Package;

    fn deref(&self) -> &component::Package {
        &self.package
    }
}

/// A finding of the audit as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    pub id: String,
    pub kind: FindingKind,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub version: String,
    /// `None`: the advisory gives none (counts as high).
    pub severity: Option<crabox_types::Severity>,
    /// Still open after ignores and VEX.
    pub open: bool,
    pub file: String,
    pub line: u32,
}

/// The whole gate: every check, and whether it passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub passed: bool,
    pub summary: Summary,
    pub checks: Vec<Check>,
}

/// Counts by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub not_applicable: usize,
}

/// The version of `crabox gate --format json`'s layout.
pub const SCHEMA_VERSION: u32 = 1;

impl Report {
    /// The report of `checks`, sorted by category, then file and line (numerically), then name.
    pub fn new(mut checks: Vec<Check>) -> Report {
        let at = |c: &Check| {
            c.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line))
                .unwrap_or_default()
        };
        checks.sort_by(|a, b| {
            (a.category, at(a), &a.name, a.code).cmp(&(b.category, at(b), &b.name, b.code))
        });
        let mut summary = Summary::default();
        for check in &checks {
            *match check.outcome {
                Outcome::Pass => &mut summary.pass,
                Outcome::Warn => &mut summary.warn,
                Outcome::Fail => &mut summary.fail,
                Outcome::NotApplicable => &mut summary.not_applicable,
            } += 1;
        }
        Report {
            schema_version: SCHEMA_VERSION,
            passed: summary.fail == 0,
            summary,
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_sorted_by_file_and_line_as_numbers() {
        let check = |line: u32| {
            Check::new(
                Category::Policy,
                crabox_types::codes::GATE_VULNERABILITY,
                format!("Cargo.lock: x{line}"),
                Outcome::Fail,
                "severity high",
            )
            .at("Cargo.lock", line)
        };
        let report = Report::new(vec![check(100), check(9), check(20)]);
        let lines: Vec<u32> = report
            .checks
            .iter()
            .map(|c| c.location.as_ref().expect("a location").line)
            .collect();
        assert_eq!(lines, [9, 20, 100]);
    }
}
