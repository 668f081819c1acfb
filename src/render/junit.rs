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

use std::io;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, XmlString};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::model::report::{CaseSource, Order};
use crate::model::Report;
use crate::model::{check_expectation, CaseResult, Verdict};

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory fails only on a case that cannot be read back,
    // which an in-memory report never has.
    let _ = write(&mut out, report, &report.cases);
    String::from_utf8_lossy(&out).into_owned()
}

/// `junit.xml` for `head` (its `cases` ignored) with `cases`, written one
/// case at a time (those not at parity first, each group in plan order): the layout of quick-junit's own
/// serialiser (4-space indent, the same attributes in the same order),
/// whose `TestCase` each case still becomes, without holding the cases.
pub fn write(w: &mut dyn io::Write, head: &Report, cases: &dyn CaseSource) -> io::Result<()> {
    let candidates = super::candidates(head).join(", ");
    // A case that ends as its `expect:` says passes.
    let (mut total, mut failures, mut errors) = (0usize, 0usize, 0usize);
    cases.for_each_key(&mut |k, _| {
        total += 1;
        match k.verdict {
            _ if k.expected => {}
            Verdict::Parity => {}
            Verdict::Differs | Verdict::Flaky => failures += 1,
            Verdict::NoGolden | Verdict::Error => errors += 1,
        }
    });
    let title = XmlString::new(format!(
        "edgeparity {}: {} vs {}",
        head.environment, head.baseline, candidates
    ));
    let time = format!(
        "{:.3}",
        std::time::Duration::from_millis(head.duration_ms).as_secs_f64()
    );
    let counts = |tag: &mut BytesStart, suite: bool| {
        tag.push_attribute(("name", title.as_str()));
        tag.push_attribute(("tests", total.to_string().as_str()));
        tag.push_attribute(("skipped", "0"));
        let (f, e) = (failures.to_string(), errors.to_string());
        // quick-junit's order: failures before errors on testsuites,
        // errors before failures on a testsuite.
        if suite {
            tag.extend_attributes([("errors", e.as_str()), ("failures", f.as_str())]);
        } else {
            tag.extend_attributes([("failures", f.as_str()), ("errors", e.as_str())]);
        }
        tag.push_attribute(("time", time.as_str()));
    };
    let mut x = Writer::new_with_indent(w, b' ', 4);
    x.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut top = BytesStart::new("testsuites");
    counts(&mut top, false);
    x.write_event(Event::Start(top))?;
    let mut suite = BytesStart::new("testsuite");
    counts(&mut suite, true);
    if let Some(at) = junit_timestamp(&head.started_at) {
        suite.push_attribute(("timestamp", at.as_str()));
    }
    suite.push_attribute(("hostname", XmlString::new(hostname()).as_str()));
    x.write_event(Event::Start(suite))?;
    x.write_event(Event::Start(BytesStart::new("properties")))?;
    for (k, v) in [
        ("environment", head.environment.as_str()),
        ("baseline", head.baseline.as_str()),
        ("candidates", candidates.as_str()),
    ] {
        let mut p = BytesStart::new("property");
        p.extend_attributes([("name", k), ("value", XmlString::new(v).as_str())]);
        x.write_event(Event::Empty(p))?;
    }
    x.write_event(Event::End(BytesEnd::new("properties")))?;
    // The cases not at parity, read back, in plan order; then those at
    // parity, from their keys alone (a passing testcase is its id, suite
    // and time), so a large run's quiet cases are never read back.
    cases.visit(Order::NotParity, &mut |c| {
        test_case(&mut x, &case(c, &head.baseline))
    })?;
    let mut failed = Ok(());
    cases.for_each_key(&mut |k, suite| {
        if k.verdict == Verdict::Parity && failed.is_ok() {
            let mut t = TestCase::new(&*k.id, TestCaseStatus::success());
            t.set_classname(suite);
            t.set_time(k.slowest);
            failed = test_case(&mut x, &t);
        }
    });
    failed?;
    x.write_event(Event::End(BytesEnd::new("testsuite")))?;
    x.write_event(Event::End(BytesEnd::new("testsuites")))?;
    x.write_indent()
}

/// One `<testcase>`, as quick-junit writes the kinds `case` makes (a
/// success, or a failure or error with message, type and description, and
/// the system-out of an expected difference).
fn test_case<W: io::Write>(x: &mut Writer<W>, t: &TestCase) -> io::Result<()> {
    let mut tag = BytesStart::new("testcase");
    tag.push_attribute(("name", t.name.as_str()));
    if let Some(classname) = &t.classname {
        tag.push_attribute(("classname", classname.as_str()));
    }
    if let Some(time) = t.time {
        tag.push_attribute(("time", format!("{:.3}", time.as_secs_f64()).as_str()));
    }
    let failure = match &t.status {
        TestCaseStatus::NonSuccess {
            kind,
            message,
            ty,
            description,
            ..
        } => Some((kind, message, ty, description)),
        _ => None,
    };
    if failure.is_none() && t.system_out.is_none() {
        return x.write_event(Event::Empty(tag));
    }
    x.write_event(Event::Start(tag))?;
    if let Some((kind, message, ty, description)) = failure {
        let name = match kind {
            NonSuccessKind::Failure => "failure",
            NonSuccessKind::Error => "error",
        };
        let mut status = BytesStart::new(name);
        if let Some(m) = message {
            status.push_attribute(("message", m.as_str()));
        }
        if let Some(ty) = ty {
            status.push_attribute(("type", ty.as_str()));
        }
        match description {
            Some(d) => {
                x.write_event(Event::Start(status))?;
                x.write_event(Event::Text(BytesText::new(d.as_str())))?;
                x.write_event(Event::End(BytesEnd::new(name)))?;
            }
            None => x.write_event(Event::Empty(status))?,
        }
    }
    if let Some(out) = &t.system_out {
        x.write_event(Event::Start(BytesStart::new("system-out")))?;
        x.write_event(Event::Text(BytesText::new(out.as_str())))?;
        x.write_event(Event::End(BytesEnd::new("system-out")))?;
    }
    x.write_event(Event::End(BytesEnd::new("testcase")))
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
    t.set_time(crate::model::report::slowest(c));
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
