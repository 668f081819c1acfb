//! The run's record as data: what `report.json` holds. Built by the run,
//! written and merged by `report`, drawn by `render`, judged by `gate`.
//!
//! `report.json` is a contract that CI scripts and later tools read; keys
//! are only ever added.

use serde::Serialize;

use super::exchange::Resolution;
use super::result::{CaseResult, Verdict};

/// The version of `report.json`'s schema (`schema/report.schema.json`).
/// Keys are only ever added, so a reader of version N reads every earlier
/// version: 2 added each difference's `hint`.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub total: usize,
    pub parity: usize,
    pub differs: usize,
    pub flaky: usize,
    #[serde(rename = "no-golden")]
    pub no_golden: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProviderInfo {
    pub name: String,
    pub kind: String,
    pub baseline: bool,
    pub resolutions: Vec<Resolution>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub environment: String,
    pub baseline: String,
    /// Digest of the config and suites: shards of one run share it.
    #[serde(default)]
    pub config_digest: String,
    /// Which shard of the cases this report covers, if any.
    #[serde(default)]
    pub shard: Option<crate::shard::Shard>,
    pub started_at: String,
    pub duration_ms: u64,
    /// True when any environment setting turned TLS verification off.
    pub insecure: bool,
    pub warnings: Vec<String>,
    pub providers: Vec<ProviderInfo>,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
    /// Per suite and provider: answer times and failures (see `latency`).
    #[serde(default)]
    pub latency: Vec<Latency>,
    /// Every ignore rule of the cases run (`ignore_headers`, `ignore_json`),
    /// with how many cases it applied to and in how many it removed
    /// something; one that matched nothing is also a warning. Summed by
    /// `report merge`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_rules: Vec<IgnoreRuleUse>,
}

/// How much one ignore rule was used in a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct IgnoreRuleUse {
    /// The suite file it is written in.
    pub file: String,
    /// Its line (for a case's own lists, the case's line).
    pub line: Option<usize>,
    /// `defaults.ignore_json`, `cases[3].ignore_headers`, …
    pub key: String,
    /// The header name or the JSON pattern.
    pub pattern: String,
    /// Cases it applied to that got at least one answer.
    pub cases: usize,
    /// Of those, cases where it removed something from an answer.
    pub matched: usize,
}

/// The words every unused-rule warning starts with (`report merge`
/// recomputes them from the summed counts).
pub const UNUSED_RULE: &str = "UNUSED IGNORE RULE: ";

impl IgnoreRuleUse {
    /// The same rule (file, line, key, pattern), whatever its counts.
    fn same_rule(&self, other: &IgnoreRuleUse) -> bool {
        (&self.file, self.line, &self.key, &self.pattern)
            == (&other.file, other.line, &other.key, &other.pattern)
    }

    /// The warning for a rule that matched nothing, if it did not.
    pub fn warning(&self) -> Option<String> {
        (self.matched == 0).then(|| {
            let at = match self.line {
                Some(l) => format!("{}:{l}", self.file),
                None => self.file.clone(),
            };
            format!(
                "{UNUSED_RULE}{at} {} `{}` matched nothing in {} case{} (a typo, or \
                 what it ignores is gone or already set aside)",
                self.key,
                super::visible(&self.pattern),
                self.cases,
                if self.cases == 1 { "" } else { "s" }
            )
        })
    }
}

/// Sum the uses of one rule seen in several reports (shards), in order.
pub fn sum_ignore_rules(lists: impl IntoIterator<Item = IgnoreRuleUse>) -> Vec<IgnoreRuleUse> {
    let mut all: Vec<IgnoreRuleUse> = lists.into_iter().collect();
    all.sort();
    let mut out: Vec<IgnoreRuleUse> = Vec::with_capacity(all.len());
    for u in all {
        match out.last_mut() {
            Some(last) if last.same_rule(&u) => {
                last.cases += u.cases;
                last.matched += u.matched;
            }
            _ => out.push(u),
        }
    }
    out
}

/// `warnings` without unused-rule warnings, then one per unused rule.
pub fn with_unused_rule_warnings(warnings: &[String], rules: &[IgnoreRuleUse]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| !w.starts_with(UNUSED_RULE))
        .cloned()
        .chain(rules.iter().filter_map(IgnoreRuleUse::warning))
        .collect()
}

impl Summary {
    /// `N cases: a parity, b differs, c flaky, d no-golden, e error`: the
    /// counts line every text output prints.
    pub fn counts(&self) -> String {
        format!(
            "{} cases: {} parity, {} differs, {} flaky, {} no-golden, {} error",
            self.total, self.parity, self.differs, self.flaky, self.no_golden, self.error
        )
    }
}

impl Report {
    pub fn summarize(cases: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            match c.verdict {
                Verdict::Parity => s.parity += 1,
                Verdict::Differs => s.differs += 1,
                Verdict::Flaky => s.flaky += 1,
                Verdict::NoGolden => s.no_golden += 1,
                Verdict::Error => s.error += 1,
            }
        }
        s
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data to a String cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

pub fn tool() -> Tool {
    Tool {
        name: "edgeparity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Answer times of one provider over one suite's cases, and how often it
/// failed. Times are `total_ms` (until the last body byte) of every response
/// the provider gave, probes' extra requests included.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Latency {
    pub suite: String,
    pub provider: String,
    /// Cases of the suite in this report.
    pub cases: usize,
    /// Responses timed.
    pub requests: usize,
    /// Median `total_ms` (nearest rank); `None` when nothing answered.
    pub p50_ms: Option<f64>,
    /// 95th percentile `total_ms` (nearest rank).
    pub p95_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Cases where this provider failed (refused, timed out, TLS, …).
    pub errors: usize,
    /// `errors / cases`.
    pub error_rate: f64,
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Latency rows for every suite (sorted by name) and provider (in the
/// report's order, then any other provider seen in the cases).
pub fn latency(cases: &[CaseResult], providers: &[ProviderInfo]) -> Vec<Latency> {
    use std::collections::BTreeMap;
    let mut names: Vec<String> = providers.iter().map(|p| p.name.clone()).collect();
    for c in cases {
        let seen = c
            .responses
            .iter()
            .map(|r| &r.provider)
            .chain(c.failures.iter().map(|f| &f.provider));
        for p in seen {
            if !names.contains(p) {
                names.push(p.clone());
            }
        }
    }
    let mut suites: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in cases {
        suites.entry(c.suite.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (suite, cs) in suites {
        for p in &names {
            let mut times: Vec<f64> = cs
                .iter()
                .flat_map(|c| c.responses.iter())
                .filter(|r| &r.provider == p && r.total_ms.is_finite())
                .map(|r| r.total_ms)
                .collect();
            times.sort_by(f64::total_cmp);
            let errors = cs
                .iter()
                .filter(|c| c.failures.iter().any(|f| &f.provider == p))
                .count();
            out.push(Latency {
                suite: suite.to_string(),
                provider: p.clone(),
                cases: cs.len(),
                requests: times.len(),
                p50_ms: percentile(&times, 50.0),
                p95_ms: percentile(&times, 95.0),
                max_ms: times.last().copied(),
                errors,
                error_rate: if cs.is_empty() {
                    0.0
                } else {
                    errors as f64 / cs.len() as f64
                },
            });
        }
    }
    out
}
