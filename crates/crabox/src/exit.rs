//! Exit statuses: 0 success, 1 policy failure, 2 usage or configuration error, 3 runtime error.

use std::process::ExitCode;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The step ran and found nothing that fails it (also: stdout closed early, `| head`).
    Success = 0,
    /// The step ran and found a policy failure: a vulnerability over the threshold, a failed
    /// gate, a verification that did not hold.
    Failure = 1,
    /// The command line or the configuration is wrong.
    Usage = 2,
    /// Something broke while running: I/O, network, malformed input.
    Error = 3,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}
