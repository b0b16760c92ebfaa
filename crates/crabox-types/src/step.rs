//! Whether a pipeline step ran: `Step<T> = Ran(T) | NotRun(Reason)`. A step that could not run
//! is not an error of the run: the evidence says which step and why, and every status computed
//! from it reads the reason, never a string key.

use std::fmt;

/// The pipeline steps whose outcome the evidence records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepName {
    Sbom,
    Audit,
    Sign,
    Gate,
    Notes,
}

impl StepName {
    /// The subcommand that runs the step.
    pub const fn as_str(self) -> &'static str {
        match self {
            StepName::Sbom => "sbom",
            StepName::Audit => "audit",
            StepName::Sign => "sign",
            StepName::Gate => "gate",
            StepName::Notes => "notes",
        }
    }
}

impl fmt::Display for StepName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a step did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Not part of this run.
    NotRequested,
    /// No advisory database: none given and none in the cache (with what filling it said).
    NoDatabase { detail: Option<String> },
    /// The directory is not a git repository (the step reads history).
    NotARepository,
    /// The repository is a shallow clone (the previous release cannot be found).
    ShallowClone,
    /// Signing was turned off (`--no-sign`, `[sign] mode = "none"`).
    SigningOff { by: &'static str },
    /// No signing identity: no OIDC token and no key.
    NoSigningIdentity,
    /// The step's input was refused: the message says what and why.
    Refused(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotRequested => f.write_str("not requested"),
            Reason::NoDatabase { detail: None } => {
                f.write_str("no advisory database: none given, none in the cache")
            }
            Reason::NoDatabase {
                detail: Some(detail),
            } => write!(
                f,
                "no advisory database: none given, none in the cache ({detail})"
            ),
            Reason::NotARepository => f.write_str("not a git repository"),
            Reason::ShallowClone => f.write_str(
                "the repository is a shallow clone: the previous release tag and the commits since cannot be found",
            ),
            Reason::SigningOff { by } => f.write_str(by),
            Reason::NoSigningIdentity => {
                f.write_str("no signing identity (no OIDC token and no `[sign] key`)")
            }
            Reason::Refused(message) => f.write_str(message),
        }
    }
}

/// A step's outcome: what it produced, or why it did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    Ran(T),
    NotRun(Reason),
}

impl<T> Default for Step<T> {
    fn default() -> Self {
        Step::NotRun(Reason::NotRequested)
    }
}

impl<T> Step<T> {
    pub fn ran(&self) -> Option<&T> {
        match self {
            Step::Ran(value) => Some(value),
            Step::NotRun(_) => None,
        }
    }

    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Step::Ran(_) => None,
            Step::NotRun(reason) => Some(reason),
        }
    }

    pub fn as_ref(&self) -> Step<&T> {
        match self {
            Step::Ran(value) => Step::Ran(value),
            Step::NotRun(reason) => Step::NotRun(reason.clone()),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Ran(value) => Step::Ran(f(value)),
            Step::NotRun(reason) => Step::NotRun(reason),
        }
    }

    /// Why `step` did not run, as the report says it.
    pub fn not_run_sentence(&self, step: StepName, what: &str) -> Option<String> {
        match self.reason()? {
            Reason::NotRequested => Some(format!(
                "no {what} in this bundle (`crabox {step}` not run)"
            )),
            reason => Some(format!("`crabox {step}` did not run: {reason}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_says_why_it_did_not_run() {
        let step: Step<()> = Step::NotRun(Reason::NotARepository);
        assert_eq!(
            step.not_run_sentence(StepName::Notes, "release notes")
                .unwrap(),
            "`crabox notes` did not run: not a git repository"
        );
        let default: Step<()> = Step::default();
        assert_eq!(
            default
                .not_run_sentence(StepName::Gate, "gate result")
                .unwrap(),
            "no gate result in this bundle (`crabox gate` not run)"
        );
        assert!(Step::Ran(1).not_run_sentence(StepName::Gate, "x").is_none());
    }
}
