//! The time every timestamp of a run uses.

use crabox_config::EnvVars;

use crate::{Error, Run};

/// `SOURCE_DATE_EPOCH`, else the HEAD commit's time, else now (said in a warning, since the
/// output is then not reproducible).
pub fn build_time(run: &Run<'_>, commit: Option<&crabox_git::Commit>) -> Result<i64, Error> {
    if let Some(time) = source_date_epoch(run)? {
        return Ok(time);
    }
    if let Some(commit) = commit {
        return Ok(commit.time);
    }
    tracing::warn!(
        "no git commit and no SOURCE_DATE_EPOCH: the timestamp is the current time, so the output is not reproducible"
    );
    Ok(crabox_types::unix_now())
}

/// `SOURCE_DATE_EPOCH`, when set.
pub fn source_date_epoch(run: &Run<'_>) -> Result<Option<i64>, Error> {
    run.var(EnvVars::SOURCE_DATE_EPOCH)
        .map(|raw| {
            raw.trim()
                .parse::<i64>()
                .map_err(|_| Error::SourceDateEpoch { raw })
        })
        .transpose()
}

/// The time a report is judged at: `SOURCE_DATE_EPOCH` when set, else the clock; never the
/// commit's time (deadlines and freshness run in real time).
pub fn report_time(run: &Run<'_>) -> Result<i64, Error> {
    Ok(source_date_epoch(run)?.unwrap_or_else(crabox_types::unix_now))
}
