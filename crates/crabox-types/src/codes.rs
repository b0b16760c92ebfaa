//! Stable finding codes: kebab-case identifiers that reports, SARIF rule ids, suppressions and
//! scripts rely on. A code, once published, is never renamed or reused for another meaning.
//!
//! Each step adds its codes to the one `codes!` list below, so that uniqueness is checked in one
//! place (see the tests).

use std::fmt;

use serde::{Serialize, Serializer};

/// One finding code with its one-line summary (used as the SARIF rule description and in docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    id: &'static str,
    summary: &'static str,
}

impl Code {
    /// The stable kebab-case identifier, e.g. `config-unknown-key`.
    pub fn id(self) -> &'static str {
        self.id
    }

    /// What the code means, in one line.
    pub fn summary(self) -> &'static str {
        self.summary
    }

    /// Looks a code up by its identifier.
    pub fn find(id: &str) -> Option<Code> {
        ALL.iter().copied().find(|code| code.id == id)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id)
    }
}

macro_rules! codes {
    ($( $name:ident = $id:literal : $summary:literal; )*) => {
        $(
            #[doc = $summary]
            pub const $name: Code = Code { id: $id, summary: $summary };
        )*
        /// Every code, in declaration order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    // configuration (crabox.toml and CRABOX_* variables)
    CONFIG_INVALID_TOML = "config-invalid-toml": "the configuration file is not valid TOML";
    CONFIG_UNKNOWN_KEY = "config-unknown-key": "the configuration names a key crabox does not know";
    CONFIG_INVALID_VALUE = "config-invalid-value": "a configuration value has the wrong type or an unknown variant";
    CONFIG_MISSING_KEY = "config-missing-key": "a required configuration key (such as an ignore entry's reason) is absent";
    CONFIG_INVALID_ENV = "config-invalid-env": "a CRABOX_* environment variable holds a value crabox cannot use";
    // crabox init
    INIT_FILE_EXISTS = "init-file-exists": "a file crabox init writes already exists, so it was kept (--force overwrites it)";
    // crabox sbom
    SBOM_ENTRY_SKIPPED = "sbom-entry-skipped": "a lockfile entry could not be read and is missing from the SBOM";
    SBOM_UNPINNED = "sbom-unpinned-requirement": "a requirement is not pinned to one version, so the SBOM cannot list it";
    SBOM_NO_LOCKFILE = "sbom-no-lockfile": "no lockfile was found, so the SBOM lists no dependencies";
    // crabox audit
    AUDIT_VULNERABILITY = "audit-vulnerability": "a dependency has a known vulnerability";
    AUDIT_INFORMATIONAL = "audit-informational": "a dependency is unmaintained, unsound or the subject of a notice";
    AUDIT_IGNORE_EXPIRED = "audit-ignore-expired": "an `[audit] ignore` entry is past its `until` date";
    AUDIT_ADVISORY_SKIPPED = "audit-advisory-skipped": "an advisory file could not be read and was skipped";
    AUDIT_ECOSYSTEM_UNCHECKED = "audit-ecosystem-unchecked": "the lockfiles have packages of an ecosystem no database given covers, so they were not checked";
    AUDIT_SOURCE_MISSING = "audit-source-missing": "a database of `[audit] sources` is not in the cache, so it was not checked";
    AUDIT_YANKED = "audit-yanked": "a dependency's version was yanked from its registry";
    AUDIT_YANKED_UNCHECKED = "audit-yanked-unchecked": "yanked releases could not be checked (offline, or the index did not answer)";
    // crabox db
    DB_STALE = "db-stale": "an advisory database is older than 7 days";
    DB_UPDATE_FAILED = "db-update-failed": "an advisory database could not be fetched; the previous copy stays current";
    // crabox gate: policy
    GATE_VULNERABILITY = "gate-vulnerability": "an open vulnerability at or above `[gate] fail-on`";
    GATE_LICENSE_DENIED = "gate-license-denied": "a dependency's licence is outside `[gate] licenses.allow` or in `licenses.deny`";
    GATE_LICENSE_UNKNOWN = "gate-license-unknown": "dependencies state no licence, so the licence policy could not check them";
    GATE_BANNED_PACKAGE = "gate-banned-package": "a dependency is banned by `[gate] bans`";
    GATE_REGISTRY_DISALLOWED = "gate-registry-disallowed": "a dependency comes from a registry not in `[gate] registries`";
    GATE_GIT_SOURCE_DISALLOWED = "gate-git-source-disallowed": "a dependency comes from a git repository not in `[gate] git-sources`";
    // crabox gate: baseline
    GATE_REGRESSION_VULNERABILITY = "gate-regression-vulnerability": "a vulnerability the previous release did not have";
    GATE_REGRESSION_UNMAINTAINED = "gate-regression-unmaintained": "an unmaintained dependency the previous release did not have";
    GATE_REGRESSION_YANKED = "gate-regression-yanked": "a yanked dependency the previous release did not have";
    GATE_REGRESSION_LICENSE = "gate-regression-license": "a refused licence the previous release did not have";
    GATE_REGRESSION_EVIDENCE = "gate-regression-evidence": "evidence the previous release had (SBOM, signature, SECURITY.md) is missing";
    GATE_IMPROVEMENT = "gate-improvement": "something the previous release had is fixed";
    GATE_BASELINE_MISSING = "gate-baseline-missing": "there is no previous release to compare with";
    GATE_BASELINE_UNTRUSTED = "gate-baseline-untrusted": "the baseline bundle's manifest signature was not verified, so its signature is not credited";
    // crabox gate: security test commands
    GATE_COMMAND = "gate-command": "a security test command failed, ran out of time or could not start";
    // crabox gate: repository practices
    REPO_SECURITY_POLICY = "repo-security-policy": "SECURITY.md is missing, has no contact or lacks disclosure-policy elements";
    REPO_SECURITY_TXT = "repo-security-txt": "security.txt is not valid per RFC 9116 or has expired";
    REPO_DEPENDENCY_UPDATES = "repo-dependency-updates": "no dependency-update tool (Dependabot, Renovate) is configured";
    REPO_FUZZING = "repo-fuzzing": "no fuzz targets";
    REPO_BINARY_ARTIFACT = "repo-binary-artifact": "a binary (executable, library, compiled archive) is committed";
    REPO_LICENSE = "repo-license": "no licence file at the repository root";
    REPO_WORKFLOW_INVALID = "repo-workflow-invalid": "a workflow file is not valid YAML";
    REPO_WORKFLOW_UNPINNED = "repo-workflow-unpinned": "an action is not pinned by a full commit SHA (or an image by digest)";
    REPO_WORKFLOW_PERMISSIONS = "repo-workflow-permissions": "a workflow's token permissions are not least privilege";
    REPO_WORKFLOW_DANGEROUS_TRIGGER = "repo-workflow-dangerous-trigger": "`pull_request_target` or `workflow_run`, above all with the pull request's code checked out";
    REPO_WORKFLOW_INJECTION = "repo-workflow-injection": "a `${{ }}` expansion of an untrusted value inside `run:`";
    // crabox gate: binary hardening
    HARDENING_PIE = "hardening-pie": "an executable is not position independent (PIE)";
    HARDENING_RELRO = "hardening-relro": "relocations are not read-only with immediate binding (full RELRO)";
    HARDENING_NX = "hardening-nx": "the stack is executable";
    HARDENING_STACK_PROTECTOR = "hardening-stack-protector": "no stack protector";
    HARDENING_FORTIFY = "hardening-fortify": "libc functions are used without `FORTIFY_SOURCE`";
    HARDENING_STRIPPED = "hardening-stripped": "whether the binary is stripped of symbols";
    HARDENING_AUDITABLE = "hardening-auditable": "a Rust binary without cargo-auditable dependency data";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = HashSet::new();
        for code in ALL {
            assert!(seen.insert(code.id()), "duplicate finding code `{code}`");
        }
    }

    #[test]
    fn codes_are_kebab_case_with_a_summary() {
        for code in ALL {
            let id = code.id();
            assert!(
                !id.is_empty()
                    && !id.starts_with('-')
                    && !id.ends_with('-')
                    && !id.contains("--")
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "`{id}` is not kebab-case"
            );
            let summary = code.summary();
            assert!(
                !summary.is_empty() && !summary.ends_with('.'),
                "`{id}` needs a one-line summary without a trailing period"
            );
        }
    }

    #[test]
    fn find_and_serialize() {
        assert_eq!(Code::find("config-unknown-key"), Some(CONFIG_UNKNOWN_KEY));
        assert_eq!(Code::find("no-such-code"), None);
        assert_eq!(
            serde_json::to_string(&CONFIG_UNKNOWN_KEY).unwrap(),
            "\"config-unknown-key\""
        );
    }
}
