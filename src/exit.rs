//! Exit codes of `edgeparity run`, a documented contract (see README).
//! The gate (`edgeparity gate`) has its own: see `gate`.

/// Every case is at parity.
pub const PARITY: i32 = 0;
/// At least one case differs (every confirmation re-run agreed).
pub const DIFFERS: i32 = 1;
/// Bad usage, config or suite: nothing was compared.
pub const USAGE: i32 = 2;
/// No case differs or is flaky, but at least one could not be compared (a
/// provider refused, reset, timed out, failed TLS or its fingerprint), or
/// has no golden file to compare against.
pub const ERROR: i32 = 3;
/// No case differs for sure, but at least one is flaky: its confirmation
/// re-runs disagreed.
pub const FLAKY: i32 = 4;

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
