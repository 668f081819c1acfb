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
