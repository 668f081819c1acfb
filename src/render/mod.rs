//! Report formats beside `report.json`: `junit.xml`, `summary.md` and
//! `report.html`. Each is a pure function of a `Report` (and, for the
//! Markdown summary, the previous run's report); `report::write_all` writes
//! them. What is shared between formats lives here.

pub mod html;
pub mod junit;
pub mod markdown;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::{CaseResult, Report, Severity, Verdict};

/// The most severe difference of a case.
pub fn worst(c: &CaseResult) -> Option<Severity> {
    c.differences.iter().map(|d| d.severity).max()
}

/// Per severity, most severe first: (severity, differences, cases with at
/// least one such difference).
pub fn severity_counts(report: &Report) -> Vec<(Severity, usize, usize)> {
    Severity::ALL
        .iter()
        .map(|s| {
            let diffs = report
                .cases
                .iter()
                .flat_map(|c| &c.differences)
                .filter(|d| d.severity == *s)
                .count();
            let cases = report
                .cases
                .iter()
                .filter(|c| c.differences.iter().any(|d| d.severity == *s))
                .count();
            (*s, diffs, cases)
        })
        .collect()
}

/// Cases not at parity, most severe first (then by verdict, then id).
pub fn top_cases(report: &Report) -> Vec<&CaseResult> {
    let mut v: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Parity)
        .collect();
    v.sort_by(|a, b| {
        worst(b)
            .cmp(&worst(a))
            .then(b.differences.len().cmp(&a.differences.len()))
            .then(a.verdict.cmp(&b.verdict))
            .then(a.id.cmp(&b.id))
    });
    v
}

/// The hints of the differences of cases not at parity, each once (by id,
/// in the order of [`top_cases`]), with how many differences carry it and
/// the ids of their cases.
pub fn hints(report: &Report) -> Vec<(&crate::model::Hint, usize, Vec<&str>)> {
    let mut out: Vec<(&crate::model::Hint, usize, Vec<&str>)> = Vec::new();
    for c in top_cases(report) {
        for h in c.differences.iter().filter_map(|d| d.hint.as_ref()) {
            match out.iter_mut().find(|(seen, _, _)| seen.id == h.id) {
                Some((_, n, cases)) => {
                    *n += 1;
                    if !cases.contains(&c.id.as_str()) {
                        cases.push(&c.id);
                    }
                }
                None => out.push((h, 1, vec![&c.id])),
            }
        }
    }
    out
}

/// A documentation link's text: the URL's last path segment (the page's
/// name: `etag-headers`), or its host when the path is empty.
pub fn url_label(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let host = segments.next().unwrap_or(url);
    segments.next_back().unwrap_or(host)
}

/// Suite names in order of first appearance.
pub fn suites(report: &Report) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in &report.cases {
        if !out.contains(&c.suite.as_str()) {
            out.push(&c.suite);
        }
    }
    out
}

/// The candidates (every provider but the baseline), in report order.
pub fn candidates(report: &Report) -> Vec<&str> {
    report
        .providers
        .iter()
        .filter(|p| p.name != report.baseline)
        .map(|p| p.name.as_str())
        .collect()
}

/// What changed since the previous run, by case id and verdict. A case
/// "differs" here when its verdict is anything but parity.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Not at parity now; at parity or absent before. (id, verdict now)
    pub new: Vec<(String, Verdict)>,
    /// At parity now; not before. (id, verdict before)
    pub fixed: Vec<(String, Verdict)>,
    /// Not at parity in both. (id, before, now)
    pub still: Vec<(String, Verdict, Verdict)>,
    /// In the previous report, not in this one.
    pub gone: Vec<String>,
}

pub fn changes(report: &Report, previous: &Report) -> Changes {
    let before: BTreeMap<&str, Verdict> = previous
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.verdict))
        .collect();
    let now: BTreeMap<&str, Verdict> = report
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.verdict))
        .collect();
    let mut ch = Changes::default();
    for (id, v) in &now {
        match (before.get(id), *v) {
            (Some(b), Verdict::Parity) if *b != Verdict::Parity => {
                ch.fixed.push((id.to_string(), *b))
            }
            (_, Verdict::Parity) => {}
            (None, v) | (Some(Verdict::Parity), v) => ch.new.push((id.to_string(), v)),
            (Some(b), v) => ch.still.push((id.to_string(), *b, v)),
        }
    }
    ch.gone = before
        .keys()
        .filter(|id| !now.contains_key(*id))
        .map(|id| id.to_string())
        .collect();
    ch
}

/// Milliseconds for people: `12.3 ms`, or `–` when nothing was timed.
pub fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.1} ms"),
        None => "–".into(),
    }
}

/// Write every report format into `dir`, each atomically: `report.json`,
/// `junit.xml`, `summary.md` (new and fixed against `previous`, when given)
/// and `report.html`. Returns the paths written.
pub fn write_all(
    report: &Report,
    dir: &Path,
    previous: Option<&Report>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let files: [(&str, String); 4] = [
        ("report.json", report.to_json()),
        ("junit.xml", self::junit::render(report)),
        ("summary.md", self::markdown::render(report, previous)),
        ("report.html", self::html::render(report)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        crate::fsio::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
