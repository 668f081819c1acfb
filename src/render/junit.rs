//! `junit.xml`: one testsuite for the run (its `timestamp`, the `hostname`
//! that wrote it, and its wall time), one testcase per case named by its id
//! `SUITE::CASE` (what `list`, `--filter` and the libtest runner call it),
//! classname the suite.
//!
//! Why one testsuite: cases run in parallel, so per-suite times that CI
//! systems add up would exceed the run; the run's wall time is the only
//! honest total. `differs` and `flaky` are failures, `no-golden` and
//! `error` are errors (nothing could be compared); the failure's text is
//! the case's differences as `run` prints them. A case that ends as its
//! `expect:` says (a known, documented difference) passes, with the
//! expectation and what was found in its system-out, so CI stays green on
//! accepted behaviour while the differences stay readable.

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::model::Report;
use crate::model::{check_expectation, CaseResult, Verdict};

pub fn render(report: &Report) -> String {
    let candidates = super::candidates(report).join(", ");
    let title = format!(
        "edgeparity {}: {} vs {}",
        report.environment, report.baseline, candidates
    );
    let wall = std::time::Duration::from_millis(report.duration_ms);
    let mut out = quick_junit::Report::new(title.as_str());
    out.set_time(wall);
    let mut ts = TestSuite::new(title.as_str());
    ts.set_time(wall);
    if let Some(at) = junit_timestamp(&report.started_at) {
        ts.extra.insert("timestamp".into(), at.into());
    }
    ts.extra.insert("hostname".into(), hostname().into());
    ts.add_properties([
        Property::new("environment", report.environment.as_str()),
        Property::new("baseline", report.baseline.as_str()),
        Property::new("candidates", candidates.as_str()),
    ]);
    for c in &report.cases {
        ts.add_test_case(case(c, &report.baseline));
    }
    out.add_test_suite(ts);
    // Serialising to memory fails only on invalid XML names, which we never
    // write; an empty file would fail any JUnit reader loudly.
    out.to_string().unwrap_or_default()
}

/// JUnit's timestamp: ISO 8601 in UTC without a zone suffix, as the JUnit
/// XSD has it (`2026-11-23T22:15:00`).
fn junit_timestamp(started_at: &str) -> Option<String> {
    let t: jiff::Timestamp = started_at.parse().ok()?;
    Some(t.strftime("%Y-%m-%dT%H:%M:%S").to_string())
}

/// The machine that wrote the report (a shard's runner, in CI).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| crate::model::visible(&h).into_owned())
        .unwrap_or_else(|| "localhost".into())
}

fn case(c: &CaseResult, baseline: &str) -> TestCase {
    let expected = c.expect.is_some() && check_expectation(c).is_ok();
    let status = match c.verdict {
        Verdict::Parity => TestCaseStatus::success(),
        _ if expected => TestCaseStatus::success(),
        v => {
            let kind = match v {
                Verdict::Differs | Verdict::Flaky => NonSuccessKind::Failure,
                _ => NonSuccessKind::Error,
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_type(v.as_str());
            s.set_message(crate::model::visible(&message(c)).into_owned());
            s.set_description(crate::render::text::render_case(c, baseline));
            s
        }
    };
    let mut t = TestCase::new(c.id.as_str(), status);
    t.set_classname(c.suite.as_str());
    if expected && c.verdict != Verdict::Parity {
        t.set_system_out(expected_text(c, baseline));
    }
    let slowest = c
        .responses
        .iter()
        .map(|r| r.total_ms)
        .filter(|v| v.is_finite() && *v >= 0.0)
        .fold(0.0, f64::max);
    t.set_time(std::time::Duration::try_from_secs_f64(slowest / 1000.0).unwrap_or_default());
    t
}

/// A passing case that differs as expected: the expectation, its reason,
/// and the differences it accepted.
fn expected_text(c: &CaseResult, baseline: &str) -> String {
    let Some(e) = &c.expect else {
        return String::new();
    };
    let mut s = format!("expected: {}", e.verdict.as_str());
    if !e.differences.is_empty() {
        let kinds: Vec<String> = e
            .differences
            .iter()
            .map(|d| {
                let mut k = d.kind.as_str().to_string();
                if let Some(f) = &d.field {
                    k = format!("{k}:{f}");
                }
                if let Some(p) = &d.provider {
                    k = format!("{k} on {p}");
                }
                k
            })
            .collect();
        s.push_str(&format!(" ({})", kinds.join(", ")));
    }
    if let Some(r) = &e.reason {
        s.push_str(&format!("\nreason: {r}"));
    }
    s.push_str(&format!(
        "\nfound, as expected: {}\n",
        crate::model::visible(&message(c))
    ));
    s.push_str(&crate::render::text::render_case(c, baseline));
    s
}

/// One line: how many differences and the worst, or the error.
fn message(c: &CaseResult) -> String {
    let n = c.differences.len();
    let worst = super::worst(c);
    let first = c.differences.iter().find(|d| Some(d.severity) == worst);
    match (worst, first) {
        (Some(w), Some(first)) => format!(
            "{}: {n} difference{}, worst {}: {}",
            c.verdict.as_str(),
            if n == 1 { "" } else { "s" },
            w.as_str(),
            first.message
        ),
        _ => format!(
            "{}: {}",
            c.verdict.as_str(),
            c.error.as_deref().unwrap_or("no comparison")
        ),
    }
}
