//! A string that never prints: tokens, key passwords.

use std::fmt;

use serde::{Serialize, Serializer};

/// The text every redacted secret is shown as.
pub const REDACTED: &str = "<redacted>";

/// A secret value (token, password). `Debug`, `Display` and `Serialize` all print
/// [`REDACTED`]; only [`SecretString::expose`] gives the value, at the one place that uses it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The secret itself. Call this only where the value is handed to the service that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the secret in `text` with [`REDACTED`] (for command output
    /// that might echo a token back).
    pub fn redact_in(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, REDACTED)
        }
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = SecretString::new("ghp_hunter2");
        assert_eq!(
            format!("{secret} {secret:?} {secret:#?}"),
            "<redacted> <redacted> <redacted>"
        );
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"<redacted>\"");
        assert_eq!(secret.expose(), "ghp_hunter2");
        assert_eq!(
            secret.redact_in("token ghp_hunter2 rejected"),
            "token <redacted> rejected"
        );
        assert_eq!(SecretString::new("").redact_in("x"), "x");
    }
}
