//! The pre-cutover gate: pass or block on a finished report.
//!
//! Pure functions of a `Report`, an `Allowlist`, a `Policy` and today's date
//! (passed in, so tests can fix it). The gate blocks when:
//! - a difference of a case that `differs` is at or above `fail_on` and no
//!   live allowlist entry covers it;
//! - more than `max_error_rate` of the cases are `error`, `no-golden` or
//!   `flaky` (unconfirmed cases: their differences are judged by this rate,
//!   not by severity);
//! - an allowlist entry has expired (its owner is named). An expired entry
//!   covers nothing;
//! - the report has no cases at all: nothing was compared.
//!
//! An entry that matched nothing in the report is *stale*: reported, never
//! blocking.

use std::fmt::Write as _;

use crate::allowlist::{Allowlist, Entry};
use crate::model::Difference;
use crate::model::Report;
use crate::model::Severity;
use crate::model::Verdict;

/// Exit code: nothing blocks the cutover.
pub const PASS: i32 = 0;
/// Exit code: at least one difference, unverified case share or expired
/// allowlist entry blocks the cutover.
pub const BLOCKED: i32 = 1;
/// Exit code: bad usage or unreadable input (missing or corrupt report or
/// allowlist, unknown severity, rate outside 0..=1). Nothing was judged.
pub const BAD_INPUT: i32 = 2;

/// What blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Lowest severity that blocks.
    pub fail_on: Severity,
    /// Largest share (0 to 1) of cases allowed to be error, no-golden or flaky.
    pub max_error_rate: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: Severity::Major,
            max_error_rate: 0.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("--fail-on `{0}`: expected critical, major, minor or info")]
    Severity(String),
    #[error("--max-error-rate {0}: expected a number from 0 to 1")]
    Rate(f64),
}

impl Policy {
    pub fn new(fail_on: &str, max_error_rate: f64) -> Result<Policy, PolicyError> {
        let fail_on =
            Severity::parse(fail_on).ok_or_else(|| PolicyError::Severity(fail_on.to_string()))?;
        if !(0.0..=1.0).contains(&max_error_rate) {
            return Err(PolicyError::Rate(max_error_rate));
        }
        Ok(Policy {
            fail_on,
            max_error_rate,
        })
    }
}

/// A difference the gate looked at, with its case.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub case: String,
    pub difference: Difference,
}

/// An allowlist entry and the differences it covered.
#[derive(Debug, Clone)]
pub struct Use {
    pub entry: usize,
    pub covered: Vec<Finding>,
}

/// A case that could not be judged on its differences.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified {
    pub case: String,
    pub verdict: Verdict,
    pub error: Option<String>,
}

/// The gate's judgement and everything it used to reach it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub policy: Policy,
    pub total: usize,
    /// Differences at or above the threshold that nothing covers.
    pub blocking: Vec<Finding>,
    /// Live entries that covered at least one difference.
    pub used: Vec<Use>,
    /// Live entries that covered nothing (reported, not blocking).
    pub stale: Vec<usize>,
    /// Entries past their date (blocking).
    pub expired: Vec<usize>,
    /// Differences below the threshold (not blocking).
    pub below: usize,
    /// Cases that are error, no-golden or flaky.
    pub unverified: Vec<Unverified>,
    pub unverified_rate: f64,
}

impl Outcome {
    pub fn rate_exceeded(&self) -> bool {
        self.unverified_rate > self.policy.max_error_rate
    }

    pub fn passed(&self) -> bool {
        self.total > 0
            && self.blocking.is_empty()
            && self.expired.is_empty()
            && !self.rate_exceeded()
    }

    pub fn exit_code(&self) -> i32 {
        if self.passed() {
            PASS
        } else {
            BLOCKED
        }
    }
}

/// Judge a report.
pub fn evaluate(
    report: &Report,
    allow: &Allowlist,
    policy: &Policy,
    today: jiff::civil::Date,
) -> Outcome {
    let expired: Vec<usize> = (0..allow.entries.len())
        .filter(|&i| allow.entries[i].expired(today))
        .collect();
    let live: Vec<(usize, &Entry)> = allow
        .entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !expired.contains(i))
        .collect();
    let mut covered: Vec<Vec<Finding>> = vec![Vec::new(); allow.entries.len()];
    let mut blocking = Vec::new();
    let mut below = 0;
    let mut unverified = Vec::new();
    for c in &report.cases {
        match c.verdict {
            Verdict::Parity => {}
            Verdict::Error | Verdict::NoGolden | Verdict::Flaky => unverified.push(Unverified {
                case: c.id.clone(),
                verdict: c.verdict,
                error: c.error.clone(),
            }),
            Verdict::Differs => {
                for d in &c.differences {
                    let finding = Finding {
                        case: c.id.clone(),
                        difference: d.clone(),
                    };
                    match live.iter().find(|(_, e)| e.matches(&c.id, d)) {
                        Some((i, _)) => covered[*i].push(finding),
                        None if d.severity >= policy.fail_on => blocking.push(finding),
                        None => below += 1,
                    }
                }
            }
        }
    }
    let mut used = Vec::new();
    let mut stale = Vec::new();
    for (i, _) in &live {
        let list = std::mem::take(&mut covered[*i]);
        if list.is_empty() {
            stale.push(*i);
        } else {
            used.push(Use {
                entry: *i,
                covered: list,
            });
        }
    }
    // A run's gate gets only the cases not at parity: the summary counts
    // the rest.
    let total = report.summary.total.max(report.cases.len());
    let unverified_rate = if total == 0 {
        0.0
    } else {
        unverified.len() as f64 / total as f64
    };
    Outcome {
        policy: *policy,
        total,
        blocking,
        used,
        stale,
        expired,
        below,
        unverified,
        unverified_rate,
    }
}

fn field(d: &Difference) -> &str {
    d.field.as_deref().unwrap_or("-")
}

fn entry_line(e: &Entry) -> String {
    format!(
        "{} `{e}` (owner {}, expires {}): {}",
        e.at, e.owner, e.expires, e.reason
    )
}

/// What the gate prints: what blocked, which entries were used, expired
/// and stale, the unverified cases, and the verdict line last.
/// `CASE  [provider] kind field severity: message`, as the gate prints it.
fn finding_line(f: &Finding) -> String {
    let d = &f.difference;
    format!(
        "{}  [{}] {} {} {}: {}",
        f.case,
        d.provider,
        d.kind.as_str(),
        field(d),
        d.severity.as_str(),
        d.message
    )
}

pub fn render(outcome: &Outcome, allow: &Allowlist) -> String {
    crate::model::visible(&render_text(outcome, allow)).into_owned()
}

fn render_text(outcome: &Outcome, allow: &Allowlist) -> String {
    let mut out = String::new();
    let p = &outcome.policy;
    for f in &outcome.blocking {
        let _ = writeln!(out, "BLOCKING  {}", finding_line(f));
        if let Some(h) = &f.difference.hint {
            let _ = writeln!(out, "            why: {}", h.line());
        }
    }
    // `outcome` came from `allow`; `get` keeps a mismatched pair from panicking.
    let entry = |i: usize| allow.entries.get(i);
    for e in outcome.expired.iter().filter_map(|i| entry(*i)) {
        let _ = writeln!(
            out,
            "EXPIRED   {}: owner {} must renew or remove it",
            entry_line(e),
            e.owner
        );
    }
    for u in &outcome.unverified {
        let _ = writeln!(
            out,
            "{:<9} {}{}",
            u.verdict.as_str().to_uppercase(),
            u.case,
            u.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    for (u, e) in outcome
        .used
        .iter()
        .filter_map(|u| entry(u.entry).map(|e| (u, e)))
    {
        let _ = writeln!(
            out,
            "ALLOWED   {} covered {} difference{}:",
            entry_line(e),
            u.covered.len(),
            if u.covered.len() == 1 { "" } else { "s" }
        );
        for f in &u.covered {
            let _ = writeln!(out, "            {}", finding_line(f));
        }
    }
    for e in outcome.stale.iter().filter_map(|i| entry(*i)) {
        let _ = writeln!(
            out,
            "STALE     {}: matched nothing in this report (remove it?)",
            entry_line(e)
        );
    }
    let rate = format!(
        "{} of {} cases error, no-golden or flaky ({:.1}%, allowed {:.1}%)",
        outcome.unverified.len(),
        outcome.total,
        outcome.unverified_rate * 100.0,
        p.max_error_rate * 100.0
    );
    if outcome.passed() {
        let _ = writeln!(
            out,
            "GATE PASSED: no difference at or above {} remains; {} allowed by the allowlist, {} below {}; {rate}",
            p.fail_on.as_str(),
            outcome.used.iter().map(|u| u.covered.len()).sum::<usize>(),
            outcome.below,
            p.fail_on.as_str(),
        );
    } else {
        let mut why = Vec::new();
        if !outcome.blocking.is_empty() {
            why.push(format!(
                "{} difference{} at or above {}",
                outcome.blocking.len(),
                if outcome.blocking.len() == 1 { "" } else { "s" },
                p.fail_on.as_str()
            ));
        }
        if !outcome.expired.is_empty() {
            let owners: Vec<&str> = outcome
                .expired
                .iter()
                .filter_map(|i| entry(*i))
                .map(|e| e.owner.as_str())
                .collect();
            why.push(format!(
                "{} expired allowlist entr{} (owner {})",
                owners.len(),
                if owners.len() == 1 { "y" } else { "ies" },
                owners.join(", ")
            ));
        }
        if outcome.rate_exceeded() {
            why.push(rate);
        }
        if outcome.total == 0 {
            why.push("the report has no cases: nothing was compared".into());
        }
        let _ = writeln!(out, "GATE BLOCKED: {}", why.join("; "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_parsing() {
        assert_eq!(Policy::new("MAJOR", 0.0).unwrap().fail_on, Severity::Major);
        assert!(Policy::new("severe", 0.0).is_err());
        assert!(Policy::new("major", 1.5).is_err());
        assert!(Policy::new("major", f64::NAN).is_err());
    }
}
