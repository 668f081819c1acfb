//! `junit.xml`: one testsuite per suite, one testcase per case (named by the
//! case, classname the suite). `differs` and `flaky` are failures,
//! `no-golden` and `error` are errors (nothing could be compared); the
//! failure's text is the case's differences as `run` prints them.

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::model::Report;
use crate::model::{CaseResult, Verdict};

pub fn render(report: &Report) -> String {
    let candidates = super::candidates(report).join(", ");
    let mut out = quick_junit::Report::new(format!(
        "edgeparity {}: {} vs {}",
        report.environment, report.baseline, candidates
    ));
    out.set_time(std::time::Duration::from_millis(report.duration_ms));
    for suite in super::suites(report) {
        let mut ts = TestSuite::new(suite);
        ts.add_properties([
            Property::new("environment", report.environment.as_str()),
            Property::new("baseline", report.baseline.as_str()),
            Property::new("candidates", candidates.as_str()),
        ]);
        for c in report.cases.iter().filter(|c| c.suite == suite) {
            ts.add_test_case(case(c, &report.baseline));
        }
        out.add_test_suite(ts);
    }
    // Serialising to memory fails only on invalid XML names, which we never
    // write; an empty file would fail any JUnit reader loudly.
    out.to_string().unwrap_or_default()
}

fn case(c: &CaseResult, baseline: &str) -> TestCase {
    let status = match c.verdict {
        Verdict::Parity => TestCaseStatus::success(),
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
    let mut t = TestCase::new(c.name.as_str(), status);
    t.set_classname(c.suite.as_str());
    let slowest = c
        .responses
        .iter()
        .map(|r| r.total_ms)
        .filter(|v| v.is_finite() && *v >= 0.0)
        .fold(0.0, f64::max);
    t.set_time(std::time::Duration::try_from_secs_f64(slowest / 1000.0).unwrap_or_default());
    t
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
