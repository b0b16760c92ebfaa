//! The time every timestamp of a run uses.

use crabox_config::EnvVars;

use crate::{Error, Run};

/// `SOURCE_DATE_EPOCH`, else the HEAD commit's time, else now (said in a warning, since the
/// output is then not reproducible).
pub fn build_time(run: &Run<'_>, commit: Option<&crabox_git::Commit>) -> Result<i64, Error> {
    if let Some(raw) = run.var(EnvVars::SOURCE_DATE_EPOCH) {
        return raw
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::SourceDateEpoch { raw });
    }
    if let Some(commit) = commit {
        return Ok(commit.time);
    }
    tracing::warn!(
        "no git commit and no SOURCE_DATE_EPOCH: the timestamp is the current time, so the output is not reproducible"
    );
    Ok(crabox_types::unix_now())
}

/// Whether `SOURCE_DATE_EPOCH` is set.
pub fn pinned(run: &Run<'_>) -> bool {
    run.var(EnvVars::SOURCE_DATE_EPOCH).is_some()
}

/// The time a report is judged at: `SOURCE_DATE_EPOCH` when set, else the clock; never the
/// commit's time (deadlines and freshness run in real time).
pub fn report_time(run: &Run<'_>) -> Result<i64, Error> {
    match run.var(EnvVars::SOURCE_DATE_EPOCH) {
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::SourceDateEpoch { raw }),
        None => Ok(crabox_types::unix_now()),
    }
}
