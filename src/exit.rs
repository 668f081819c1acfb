//! Exit codes of `edgeparity run`, a documented contract (see README).
//! The gate (`edgeparity gate`) has its own: see `gate`.

/// Every case is at parity.
pub const PARITY: i32 = 0;
/// At least one case differs (every confirmation re-run agreed).
pub const DIFFERS: i32 = 1;
/// Bad usage, config or suite, or a selection (`--filter`, `--shard`) of no
/// case: nothing was compared.
pub const USAGE: i32 = 2;
/// No case differs or is flaky, but at least one could not be compared (a
/// provider refused, reset, timed out, failed TLS or its fingerprint), or
/// has no golden file to compare against.
pub const ERROR: i32 = 3;
/// No case differs for sure, but at least one is flaky: its confirmation
/// re-runs disagreed.
pub const FLAKY: i32 = 4;

/// The run finished, but its reports could not be written (a full disk, a
/// folder without write permission): not bad input, and not a verdict.
pub const REPORTS: i32 = 5;

/// Reports of a finished run that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the run finished but its reports could not be written to {dir}: {message}")]
pub struct ReportsNotWritten {
    pub dir: String,
    pub message: String,
}

/// The one map from an error that ended a command to its exit code: reports
/// that could not be written after a finished run are [`REPORTS`];
/// everything else that stops a command before it compares (config,
/// suites, settings, files) is [`USAGE`].
pub fn for_error(e: &(dyn std::error::Error + 'static)) -> i32 {
    let mut src = Some(e);
    while let Some(s) = src {
        if s.downcast_ref::<ReportsNotWritten>().is_some() {
            return REPORTS;
        }
        src = s.source();
    }
    USAGE
}

/// The exit code a finished run deserves: differs, then flaky, then
/// unverifiable, then parity.
pub fn for_summary(s: &crate::model::Summary) -> i32 {
    if s.differs > 0 {
        DIFFERS
    } else if s.flaky > 0 {
        FLAKY
    } else if s.error > 0 || s.no_golden > 0 {
        ERROR
    } else {
        PARITY
    }
}
