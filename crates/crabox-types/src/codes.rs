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
    INIT_FILE_EXISTS = "init-file-exists": "crabox init would overwrite a file that already exists";
    // crabox sbom
    SBOM_ENTRY_SKIPPED = "sbom-entry-skipped": "a lockfile entry could not be read and is missing from the SBOM";
    SBOM_UNPINNED = "sbom-unpinned-requirement": "a requirement is not pinned to one version, so the SBOM cannot list it";
    SBOM_NO_LOCKFILE = "sbom-no-lockfile": "no lockfile was found, so the SBOM lists no dependencies";
    // crabox audit
    AUDIT_VULNERABILITY = "audit-vulnerability": "a dependency has a known vulnerability";
    AUDIT_INFORMATIONAL = "audit-informational": "a dependency is unmaintained, unsound or the subject of a notice";
    AUDIT_IGNORE_EXPIRED = "audit-ignore-expired": "an `[audit] ignore` entry is past its `until` date";
    AUDIT_ADVISORY_SKIPPED = "audit-advisory-skipped": "an advisory file could not be read and was skipped";
    AUDIT_SOURCE_MISSING = "audit-source-missing": "a database of `[audit] sources` is not in the cache, so it was not checked";
    AUDIT_YANKED = "audit-yanked": "a dependency's version was yanked from its registry";
    AUDIT_YANKED_UNCHECKED = "audit-yanked-unchecked": "yanked releases could not be checked (offline, or the index did not answer)";
    // crabox db
    DB_STALE = "db-stale": "an advisory database is older than 7 days";
    DB_UPDATE_FAILED = "db-update-failed": "an advisory database could not be fetched; the previous copy stays current";
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
