//! The model layer: the types the stages exchange. Every stage imports it
//! and it imports no stage (only the vendor tables of `provider` and the
//! `shard` arithmetic, which import nothing of ours), so the module graph is
//! a DAG: `provider → model → suite/plan → exec → normalize → compare/cache/
//! noise → judge → run → report/render/gate/golden → cli/testrunner`.

pub mod diff;
pub mod exchange;
pub mod report;
pub mod result;

pub use diff::{clip, DiffLine, DiffPart, Difference, Hunk, Kind, LineTag, Severity, MAX_VALUE};
pub use exchange::{BodyCapture, Exchange, ExchangeError, FailureKind, Resolution, Timing};
pub use report::{tool, Latency, ProviderInfo, Report, Summary, Tool, SCHEMA_VERSION};
pub use result::{
    check_expectation, CaseResult, Confirmation, Expectation, ExpectedDifference, Label, Noise,
    ProbeSummary, ResponseSummary, Served, SlotNote, VaryFinding, Verdict,
};
