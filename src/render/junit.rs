//! `junit.xml`: one testsuite per suite, one testcase per case (named by the
//! case, classname the suite). `differs` and `flaky` are failures,
//! `no-golden` and `error` are errors (nothing could be compared); the
//! failure's text is the case's differences as `run` prints them.

use std::io;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::model::report::{CaseSource, Order};
use crate::model::Report;
use crate::model::{CaseResult, Verdict};

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory fails only on a case that cannot be read back,
    // which an in-memory report never has.
    let _ = write(&mut out, report, &report.cases);
    String::from_utf8_lossy(&out).into_owned()
}

/// `junit.xml` for `head` (its `cases` ignored) with `cases`, written one
/// case at a time: the layout of quick-junit's own serialiser (4-space
/// indent, the same attributes in the same order), whose `TestCase` each
/// case still becomes, without holding a suite's cases.
pub fn write(w: &mut dyn io::Write, head: &Report, cases: &dyn CaseSource) -> io::Result<()> {
    let candidates = super::candidates(head).join(", ");
    let counts = suite_counts(cases);
    let (mut total, mut failures, mut errors) = (0, 0, 0);
    for (t, f, e) in counts.values() {
        total += t;
        failures += f;
        errors += e;
    }
    let mut x = Writer::new_with_indent(w, b' ', 4);
    x.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let name = quick_junit::XmlString::new(format!(
        "edgeparity {}: {} vs {}",
        head.environment, head.baseline, candidates
    ));
    let mut top = BytesStart::new("testsuites");
    top.push_attribute(("name", name.as_str()));
    top.extend_attributes([
        ("tests", total.to_string().as_str()),
        ("skipped", "0"),
        ("failures", failures.to_string().as_str()),
        ("errors", errors.to_string().as_str()),
    ]);
    let time = std::time::Duration::from_millis(head.duration_ms);
    top.push_attribute(("time", format!("{:.3}", time.as_secs_f64()).as_str()));
    if total == 0 {
        x.write_event(Event::Empty(top))?;
        return x.write_indent();
    }
    x.write_event(Event::Start(top))?;
    let properties = [
        ("environment", head.environment.as_str()),
        ("baseline", head.baseline.as_str()),
        ("candidates", candidates.as_str()),
    ];
    let mut current: Option<String> = None;
    cases.visit(Order::BySuite, &mut |c| {
        if current.as_deref() != Some(c.suite.as_str()) {
            if current.is_some() {
                x.write_event(Event::End(BytesEnd::new("testsuite")))?;
            }
            let (tests, failures, errors) = counts.get(&c.suite).copied().unwrap_or_default();
            let mut tag = BytesStart::new("testsuite");
            tag.extend_attributes([
                ("name", quick_junit::XmlString::new(&c.suite).as_str()),
                ("tests", tests.to_string().as_str()),
                ("skipped", "0"),
                ("errors", errors.to_string().as_str()),
                ("failures", failures.to_string().as_str()),
            ]);
            x.write_event(Event::Start(tag))?;
            x.write_event(Event::Start(BytesStart::new("properties")))?;
            for (k, v) in properties {
                let mut p = BytesStart::new("property");
                p.extend_attributes([("name", k), ("value", quick_junit::XmlString::new(v).as_str())]);
                x.write_event(Event::Empty(p))?;
            }
            x.write_event(Event::End(BytesEnd::new("properties")))?;
            current = Some(c.suite.clone());
        }
        test_case(&mut x, &case(c, &head.baseline))
    })?;
    x.write_event(Event::End(BytesEnd::new("testsuite")))?;
    x.write_event(Event::End(BytesEnd::new("testsuites")))?;
    x.write_indent()
}

/// Per suite: (tests, failures, errors), from the cases' keys.
fn suite_counts(
    cases: &dyn CaseSource,
) -> std::collections::HashMap<String, (usize, usize, usize)> {
    let mut out: std::collections::HashMap<String, (usize, usize, usize)> = Default::default();
    cases.for_each_key(&mut |k, suite| {
        let e = match out.get_mut(suite) {
            Some(e) => e,
            None => out.entry(suite.to_string()).or_default(),
        };
        e.0 += 1;
        match k.verdict {
            Verdict::Parity => {}
            Verdict::Differs | Verdict::Flaky => e.1 += 1,
            Verdict::NoGolden | Verdict::Error => e.2 += 1,
        }
    });
    out
}

/// One `<testcase>`, as quick-junit writes the kinds `case` makes (a
/// success, or a failure or error with message, type and description).
fn test_case<W: io::Write>(x: &mut Writer<W>, t: &TestCase) -> io::Result<()> {
    let mut tag = BytesStart::new("testcase");
    tag.push_attribute(("name", t.name.as_str()));
    if let Some(classname) = &t.classname {
        tag.push_attribute(("classname", classname.as_str()));
    }
    if let Some(time) = t.time {
        tag.push_attribute(("time", format!("{:.3}", time.as_secs_f64()).as_str()));
    }
    let TestCaseStatus::NonSuccess {
        kind,
        message,
        ty,
        description,
        ..
    } = &t.status
    else {
        return x.write_event(Event::Empty(tag));
    };
    x.write_event(Event::Start(tag))?;
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
    x.write_event(Event::End(BytesEnd::new("testcase")))
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
