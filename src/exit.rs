//! Exit codes of `edgeparity run`, a documented contract (see README).

/// Every case is at parity.
pub const PARITY: i32 = 0;
/// At least one case differs.
pub const DIFFERS: i32 = 1;
/// Bad usage, config or suite: nothing was compared.
pub const USAGE: i32 = 2;
/// No case differs, but at least one could not be compared (a provider
/// refused, reset, timed out, failed TLS or its fingerprint).
pub const ERROR: i32 = 3;

/// The exit code a finished run deserves.
pub fn for_summary(s: &crate::report::Summary) -> i32 {
    if s.differs > 0 {
        DIFFERS
    } else if s.error > 0 {
        ERROR
    } else {
        PARITY
    }
}
