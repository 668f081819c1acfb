//! Report formats beside `report.json`: `junit.xml`, `summary.md` and
//! `report.html`. Each is a pure function of a `Report` (and, for the
//! Markdown summary, the previous run's report); `report::write_all` writes
//! them. What is shared between formats lives here.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::report::{CaseSource, Order};
use crate::model::{CaseResult, Report, Severity, Verdict};

/// The most severe difference of a case.
pub fn worst(c: &CaseResult) -> Option<Severity> {
    c.differences.iter().map(|d| d.severity).max()
}

/// What the renderers count over every case, gathered in one pass over
/// the cases not at parity (the only ones with differences) and the keys
/// of the rest, so that a report of 100,000 cases is never held at once.
#[derive(Debug, Default)]
pub struct Tally {
    /// Per severity, most severe first: (severity, differences, cases with
    /// at least one such difference).
    pub severity: Vec<(Severity, usize, usize)>,
    /// Cases by their most severe difference (`None`: no difference).
    pub worst: BTreeMap<Option<Severity>, usize>,
    /// Suites in order of first appearance, with their case counts.
    pub suites: Vec<(String, usize)>,
    /// The hints of the differences of cases not at parity, each once (by
    /// id, in the order of `Order::Top`), with how many differences and
    /// cases carry it and the first few case ids (bounded: a hint shared by
    /// 100,000 cases keeps [`HintTally::SHOWN`] ids and a count).
    pub hints: Vec<HintTally>,
    /// Cases not at parity.
    pub not_parity: usize,
}

/// One hint's share of a run: how many differences and cases carry it,
/// and the first [`HintTally::SHOWN`] case ids.
#[derive(Debug, Clone)]
pub struct HintTally {
    pub hint: crate::model::Hint,
    pub differences: usize,
    pub cases: usize,
    pub first: Vec<String>,
    last: String,
}

impl HintTally {
    /// Case ids kept per hint.
    pub const SHOWN: usize = 3;

    fn new(hint: crate::model::Hint, case: &str) -> HintTally {
        HintTally {
            hint,
            differences: 1,
            cases: 1,
            first: vec![case.to_string()],
            last: case.to_string(),
        }
    }

    fn add(&mut self, case: &str) {
        self.differences += 1;
        if self.last != case {
            self.cases += 1;
            self.last = case.to_string();
            if self.first.len() < Self::SHOWN {
                self.first.push(case.to_string());
            }
        }
    }
}

impl Tally {
    pub fn of(cases: &dyn CaseSource) -> std::io::Result<Tally> {
        let mut t = Tally {
            severity: Severity::ALL.iter().map(|s| (*s, 0, 0)).collect(),
            suites: cases.suites(),
            ..Tally::default()
        };
        cases.for_each_key(&mut |k, _| *t.worst.entry(k.worst).or_default() += 1);
        cases.visit(Order::Top, &mut |c| {
            t.not_parity += 1;
            for (sev, diffs, with) in &mut t.severity {
                let n = c.differences.iter().filter(|d| d.severity == *sev).count();
                *diffs += n;
                *with += usize::from(n > 0);
            }
            for h in c.differences.iter().filter_map(|d| d.hint.as_ref()) {
                // Each case is visited once, so "already counted for this
                // case" is "the last case counted": O(1), not a search.
                match t.hints.iter_mut().find(|x| x.hint.id == h.id) {
                    Some(x) => x.add(&c.id),
                    None => t.hints.push(HintTally::new(h.clone(), &c.id)),
                }
            }
            Ok(())
        })?;
        Ok(t)
    }

    /// Cases whose most severe difference is `w`.
    pub fn worst_count(&self, w: Option<Severity>) -> usize {
        self.worst.get(&w).copied().unwrap_or(0)
    }
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

pub fn changes(now: &dyn CaseSource, before: &[(String, Verdict)]) -> Changes {
    let before: BTreeMap<&str, Verdict> = before.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let mut current: BTreeMap<Box<str>, Verdict> = BTreeMap::new();
    now.for_each_key(&mut |k, _| {
        current.insert(k.id.clone(), k.verdict);
    });
    let mut ch = Changes::default();
    for (id, v) in &current {
        match (before.get(&**id), *v) {
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
        .filter(|id| !current.contains_key(**id))
        .map(|id| id.to_string())
        .collect();
    ch
}

/// Each case's id and verdict (what [`changes`] compares against).
pub fn verdicts(report: &Report) -> Vec<(String, Verdict)> {
    report
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.verdict))
        .collect()
}

/// Milliseconds for people: `12.3 ms`, or `–` when nothing was timed.
pub fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.1} ms"),
        None => "–".into(),
    }
}

/// Every request of a case that can be asked again by hand, answered (the
/// case's own requests, not its probes) then failed: provider, the request,
/// its curl, and what came back (a status, or the failure's kind).
pub(crate) fn repros(
    c: &crate::model::CaseResult,
) -> impl Iterator<Item = (&str, &crate::model::RequestShown, &str, String)> {
    let answered = c
        .responses
        .iter()
        .filter(|r| r.label == crate::model::Label::Request)
        .filter_map(|r| {
            Some((
                &r.provider,
                r.request.as_ref()?,
                r.curl.as_deref()?,
                r.status.to_string(),
            ))
        });
    let failed = c.failures.iter().filter_map(|f| {
        Some((
            &f.provider,
            f.request.as_deref()?,
            f.curl.as_deref()?,
            f.kind.to_string(),
        ))
    });
    answered
        .chain(failed)
        .map(|(p, q, curl, outcome)| (p.as_str(), q, curl, outcome))
}

/// Write every report format into `dir`, each atomically: `report.json`,
/// `junit.xml`, `summary.md` (new and fixed against `previous`, when given)
/// and `report.html`. Returns the paths written.
pub fn write_all(
    report: &Report,
    dir: &Path,
    previous: Option<&Report>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let before = previous.map(verdicts);
    write_streamed(report, &report.cases, dir, before.as_deref())
}

/// [`write_all`] for a report whose cases are read from `cases` (a run's
/// spool) rather than from `head.cases`: each format is written as it is
/// rendered, one case at a time, never whole in memory.
pub fn write_streamed(
    head: &Report,
    cases: &dyn CaseSource,
    dir: &Path,
    previous: Option<&[(String, Verdict)]>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let tally = Tally::of(cases)?;
    let mut written = Vec::new();
    let formats: [(&str, Renderer); 4] = [
        ("report.json", &|w| json::write(w, head, cases)),
        ("junit.xml", &|w| self::junit::write(w, head, cases)),
        ("summary.md", &|w| {
            self::markdown::write(w, head, cases, &tally, previous)
        }),
        ("report.html", &|w| {
            self::html::write(w, head, cases, &tally)
        }),
    ];
    for (name, render) in formats {
        let path = dir.join(name);
        crate::fsio::write_atomic_with(&path, render)?;
        written.push(path);
    }
    Ok(written)
}

type Renderer<'a> = &'a dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>;
