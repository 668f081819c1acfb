//! The judge of `edgeparity watch`: is the candidate CDN still as good as
//! the baseline at this stage of a traffic shift? Pure functions of what
//! both providers answered over a sliding window; the statistics are in
//! `stats`, the rounds on the network and the files elsewhere.
//!
//! # Signals
//!
//! Each round compares the baseline with one candidate on four signals,
//! always against a control measured at the same time (never before/after):
//!
//! | signal | measure of "worse" | threshold (default) |
//! |---|---|---|
//! | `error_rate` | (transport errors + 5xx) / requests, candidate − baseline | `max_error_rate_delta` (0.05) |
//! | `non_2xx_rate` | non-2xx / answered requests, candidate − baseline | `max_error_rate_delta` (0.05) |
//! | `latency` | Hodges–Lehmann shift of time to first byte, candidate − baseline, ms | `max_latency_shift` × baseline median (0.25 → +25%), at least `min_latency_shift_ms` (0: no floor) |
//! | `hit_ratio` | hits / cacheable answers, baseline − candidate | `max_hit_ratio_drop` (0.10) |
//!
//! Rates use Newcombe's interval for the difference of two proportions;
//! latency uses the Hodges–Lehmann interval (Kayenta's method). Reported
//! with them: the pooled two-proportion z-test or the Mann–Whitney U test
//! (p-value of "the candidate is worse at all") and, for rates, the
//! unpooled test of "worse by more than the threshold".
//!
//! # Outcomes, and why identical providers do not roll back
//!
//! A signal **fails** only when its whole confidence interval (at
//! `confidence`, 95% two-sided by default) lies beyond the threshold: the
//! candidate is worse by more than the tolerance *with confidence*. It is
//! **degraded** when the estimate is beyond the threshold but the interval
//! still reaches back over it (a signal without confidence yet), and
//! **passes** otherwise. It has **no data** (Kayenta's NODATA) when either
//! side has fewer than `min_samples` observations for it.
//!
//! Mere significance is never enough: with thousands of requests a
//! difference of 0.1 points is "significant" and harmless. For two
//! identical providers the true difference is 0, well inside the tolerance,
//! so failing needs an interval that misses the truth by the whole
//! threshold, and on the one side only. Each interval misses on that side
//! with a probability of about (1 − confidence) / 2 = 2.5% even with a
//! threshold of 0, and the thresholds push that far lower; four signals
//! over 20 rounds stay near zero false rollbacks (the simulation test
//! checks 0 in 100 rounds). The price is that a rollback needs the
//! evidence: a small, real degradation shows as `degraded` first.
//!
//! # Verdicts
//!
//! A round is `rollback` when any signal fails; else `insufficient` when
//! the error rate has no data (too few requests) or no signal has data;
//! else `degraded` when any signal is degraded; else `healthy`. With
//! several candidates the worst verdict wins (rollback, insufficient,
//! degraded, healthy).
//!
//! Over the rounds ([`overall`]): `rollback` at the first rollback round
//! (watch stops there); `insufficient` when no round could be judged, or a
//! round after the first judged one could not be (the stage was not
//! watched throughout); `proceed` otherwise. Rounds without enough data
//! *before* the first judged round are the warm-up of the sliding window
//! and do not block.

use std::collections::VecDeque;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::stats::{self, Alternative, Interval, ShiftMethod, StatsError, UMethod};

/// Exit code: every round healthy or degraded without confidence.
pub const PROCEED: i32 = 0;
/// Exit code: a round had a signal worse than its threshold with confidence.
pub const ROLLBACK: i32 = 1;
/// Exit code: bad usage or input (thresholds, inconsistent counts).
pub const BAD_INPUT: i32 = 2;
/// Exit code: not enough data to judge.
pub const INSUFFICIENT: i32 = 3;

/// What one provider answered over a window (one round, or several merged
/// by [`SlidingWindow`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// The provider's name in the config (e.g. `fastly`).
    #[serde(default)]
    pub provider: String,
    /// Requests sent.
    pub requests: u64,
    /// Requests that got no HTTP answer (refused, reset, timed out, TLS).
    pub transport_errors: u64,
    /// Answers with a status outside 200–299 (5xx included).
    pub non_2xx: u64,
    /// Answers with a 5xx status (a subset of `non_2xx`).
    pub status_5xx: u64,
    /// Answers that were eligible for caching.
    pub cacheable: u64,
    /// Cacheable answers served from the cache.
    pub hits: u64,
    /// Time to first byte of answered requests, in milliseconds (at most one
    /// per answered request; a window may keep fewer).
    #[serde(default)]
    pub ttfb_ms: Vec<f64>,
}

impl Window {
    /// Requests that got an HTTP answer.
    pub fn answered(&self) -> u64 {
        self.requests.saturating_sub(self.transport_errors)
    }

    /// Failed requests from a client's view: no answer, or a 5xx.
    pub fn errors(&self) -> u64 {
        self.transport_errors.saturating_add(self.status_5xx)
    }

    /// Checks that the counts nest (5xx ⊆ non-2xx ⊆ answered ⊆ requests,
    /// hits ⊆ cacheable ⊆ answered) and that every time is a finite number
    /// of milliseconds ≥ 0.
    pub fn validate(&self) -> Result<(), JudgeError> {
        let count = |what, count, of, total| {
            if count > total {
                Err(JudgeError::Count {
                    provider: self.provider.clone(),
                    what,
                    count,
                    of,
                    total,
                })
            } else {
                Ok(())
            }
        };
        count(
            "transport errors",
            self.transport_errors,
            "requests",
            self.requests,
        )?;
        let answered = self.answered();
        count(
            "non-2xx answers",
            self.non_2xx,
            "answered requests",
            answered,
        )?;
        count(
            "5xx answers",
            self.status_5xx,
            "non-2xx answers",
            self.non_2xx,
        )?;
        count(
            "cacheable answers",
            self.cacheable,
            "answered requests",
            answered,
        )?;
        count("hits", self.hits, "cacheable answers", self.cacheable)?;
        count(
            "time-to-first-byte samples",
            self.ttfb_ms.len() as u64,
            "answered requests",
            answered,
        )?;
        if let Some((index, &value)) = self
            .ttfb_ms
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(JudgeError::Ttfb {
                provider: self.provider.clone(),
                index,
                value,
            });
        }
        Ok(())
    }

    /// Adds another window of the same provider to this one.
    pub fn merge(&mut self, other: &Window) {
        self.requests = self.requests.saturating_add(other.requests);
        self.transport_errors = self.transport_errors.saturating_add(other.transport_errors);
        self.non_2xx = self.non_2xx.saturating_add(other.non_2xx);
        self.status_5xx = self.status_5xx.saturating_add(other.status_5xx);
        self.cacheable = self.cacheable.saturating_add(other.cacheable);
        self.hits = self.hits.saturating_add(other.hits);
        self.ttfb_ms.extend_from_slice(&other.ttfb_ms);
    }
}

/// The last rounds of one provider, bounded in memory: at most `max_rounds`
/// rounds of at most `max_samples_per_round` latency samples each.
#[derive(Debug, Clone, PartialEq)]
pub struct SlidingWindow {
    rounds: VecDeque<Window>,
    max_rounds: usize,
    max_samples_per_round: usize,
}

impl SlidingWindow {
    /// A bound on latency samples per round: a 10-round window then holds at
    /// most 20,000 samples (160 KB) per provider.
    pub const DEFAULT_MAX_SAMPLES_PER_ROUND: usize = 2_000;

    /// A window over the last `max_rounds` rounds (at least 1), keeping at
    /// most `max_samples_per_round` (at least 1) latency samples of each.
    pub fn new(max_rounds: usize, max_samples_per_round: usize) -> SlidingWindow {
        let max_rounds = max_rounds.max(1);
        SlidingWindow {
            rounds: VecDeque::with_capacity(max_rounds),
            max_rounds,
            max_samples_per_round: max_samples_per_round.max(1),
        }
    }

    /// Adds a round, dropping the oldest when full. A round with more latency
    /// samples than the bound keeps an evenly spaced, deterministic selection
    /// of them (systematic sampling: every (len / max)-th in the order
    /// given, so a round's early and late samples are both kept).
    pub fn push(&mut self, mut round: Window) {
        thin(&mut round.ttfb_ms, self.max_samples_per_round);
        if self.rounds.len() == self.max_rounds {
            self.rounds.pop_front();
        }
        self.rounds.push_back(round);
    }

    /// The rounds held, merged into one window (named after the latest
    /// round's provider).
    pub fn window(&self) -> Window {
        let mut merged = Window {
            provider: self
                .rounds
                .back()
                .map(|r| r.provider.clone())
                .unwrap_or_default(),
            ..Window::default()
        };
        for round in &self.rounds {
            merged.merge(round);
        }
        merged
    }

    /// The number of rounds held.
    pub fn len(&self) -> usize {
        self.rounds.len()
    }

    /// Whether no round is held.
    pub fn is_empty(&self) -> bool {
        self.rounds.is_empty()
    }
}

/// Keeps `max` evenly spaced samples: those at positions ⌊i·len/max⌋.
fn thin(samples: &mut Vec<f64>, max: usize) {
    let len = samples.len();
    if len <= max {
        return;
    }
    let kept: Vec<f64> = (0..max)
        .filter_map(|i| samples.get((i as u128 * len as u128 / max as u128) as usize))
        .copied()
        .collect();
    *samples = kept;
}

/// How much worse the candidate may be before a round rolls back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// Largest tolerated rise of the error rate and of the non-2xx rate, as
    /// a difference of proportions (0.05 = 5 percentage points).
    pub max_error_rate_delta: f64,
    /// Largest tolerated latency shift, relative to the baseline's median
    /// time to first byte (0.25 = +25%).
    pub max_latency_shift: f64,
    /// A latency shift up to this many milliseconds is tolerated whatever
    /// its ratio (0: off). On very fast edges a relative threshold is a
    /// fraction of a millisecond, less than two servers' own difference.
    pub min_latency_shift_ms: f64,
    /// Largest tolerated drop of the cache-hit ratio (0.10 = 10 points).
    pub max_hit_ratio_drop: f64,
    /// Fewest observations per side for a signal to be judged at all.
    pub min_samples: u64,
    /// Confidence level of the two-sided intervals (0.95).
    pub confidence: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_error_rate_delta: 0.05,
            max_latency_shift: 0.25,
            min_latency_shift_ms: 0.0,
            max_hit_ratio_drop: 0.10,
            min_samples: 50,
            confidence: 0.95,
        }
    }
}

impl Thresholds {
    /// Checks every threshold; the error names the CLI flag.
    pub fn validate(&self) -> Result<(), JudgeError> {
        let bad = |flag, value, expected| {
            Err(JudgeError::Threshold {
                flag,
                value,
                expected,
            })
        };
        let fraction = |v: f64| (0.0..1.0).contains(&v);
        if !fraction(self.max_error_rate_delta) {
            return bad(
                "max-error-rate-delta",
                self.max_error_rate_delta,
                "a number from 0 up to (not including) 1",
            );
        }
        if !(self.max_latency_shift.is_finite() && self.max_latency_shift >= 0.0) {
            return bad(
                "max-latency-shift",
                self.max_latency_shift,
                "a number ≥ 0 (0.25 = +25% of the baseline median)",
            );
        }
        if !(self.min_latency_shift_ms.is_finite() && self.min_latency_shift_ms >= 0.0) {
            return bad(
                "min-latency-shift-ms",
                self.min_latency_shift_ms,
                "a number of milliseconds ≥ 0",
            );
        }
        if !fraction(self.max_hit_ratio_drop) {
            return bad(
                "max-hit-ratio-drop",
                self.max_hit_ratio_drop,
                "a number from 0 up to (not including) 1",
            );
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad(
                "confidence",
                self.confidence,
                "a number strictly between 0 and 1",
            );
        }
        if self.min_samples < 2 {
            return bad("min-samples", self.min_samples as f64, "at least 2");
        }
        Ok(())
    }
}

/// Input that cannot be judged (exit code [`BAD_INPUT`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JudgeError {
    #[error("{provider}: {count} {what} but only {total} {of}")]
    Count {
        provider: String,
        what: &'static str,
        count: u64,
        of: &'static str,
        total: u64,
    },
    #[error(
        "{provider}: time-to-first-byte sample {index} is {value} ms: expected a finite number ≥ 0"
    )]
    Ttfb {
        provider: String,
        index: usize,
        value: f64,
    },
    #[error("--{flag} {value}: expected {expected}")]
    Threshold {
        flag: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// Not a source (a `{:#}` chain would print its text twice).
    #[error("statistics: {0}")]
    Stats(StatsError),
}

impl From<StatsError> for JudgeError {
    fn from(e: StatsError) -> JudgeError {
        JudgeError::Stats(e)
    }
}

/// The verdict of one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every judged signal within its threshold.
    Healthy,
    /// A signal beyond its threshold, without confidence yet.
    Degraded,
    /// A signal beyond its threshold with confidence: roll back.
    Rollback,
    /// Too little data to judge.
    Insufficient,
}

impl Verdict {
    /// Which of two verdicts wins when several are combined.
    fn severity(self) -> u8 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Degraded => 1,
            Verdict::Insufficient => 2,
            Verdict::Rollback => 3,
        }
    }
}

/// The signals a round judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    ErrorRate,
    #[serde(rename = "non_2xx_rate")]
    Non2xxRate,
    Latency,
    HitRatio,
}

impl SignalKind {
    fn label(self) -> &'static str {
        match self {
            SignalKind::ErrorRate => "error rate",
            SignalKind::Non2xxRate => "non-2xx rate",
            SignalKind::Latency => "time to first byte",
            SignalKind::HitRatio => "cache-hit ratio",
        }
    }
}

/// The outcome of one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Within the threshold.
    Pass,
    /// The estimate is beyond the threshold, the interval not wholly.
    Degraded,
    /// The whole interval lies beyond the threshold.
    Fail,
    /// Too few observations on a side.
    NoData,
}

/// One signal of a round: the figures, the test and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub outcome: Outcome,
    /// The baseline's value: a rate, or the median time to first byte (ms).
    pub baseline: Option<f64>,
    /// The candidate's value, in the same unit.
    pub candidate: Option<f64>,
    /// How much worse the candidate is (positive = worse): candidate −
    /// baseline for error and non-2xx rates, the Hodges–Lehmann shift in ms
    /// for latency, baseline − candidate for the hit ratio.
    pub estimate: Option<f64>,
    /// The confidence interval of `estimate`.
    pub interval: Option<Interval>,
    /// The tolerated `estimate`, in its unit (for latency: the relative
    /// threshold times the baseline median, in ms).
    pub threshold: Option<f64>,
    /// The test behind `statistic` and `p_value`.
    pub test: String,
    /// The z statistic of that test.
    pub statistic: Option<f64>,
    /// One-sided p-value of "the candidate is worse at all".
    pub p_value: Option<f64>,
    /// Mann–Whitney U of the candidate (latency only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<f64>,
    /// One-sided p-value of "worse by more than the threshold" (rates only;
    /// unpooled Wald test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_p_value: Option<f64>,
    /// One line for a person.
    pub reason: String,
}

/// What one provider's window held, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub provider: String,
    pub requests: u64,
    pub transport_errors: u64,
    pub non_2xx: u64,
    pub status_5xx: u64,
    pub cacheable: u64,
    pub hits: u64,
    /// (transport errors + 5xx) / requests.
    pub error_rate: Option<f64>,
    /// non-2xx / answered requests.
    pub non_2xx_rate: Option<f64>,
    /// hits / cacheable answers.
    pub hit_ratio: Option<f64>,
    pub ttfb_samples: usize,
    pub ttfb_p50_ms: Option<f64>,
    pub ttfb_p95_ms: Option<f64>,
    pub ttfb_p99_ms: Option<f64>,
}

impl Figures {
    /// The figures of one window (a round alone, or a sliding window).
    pub fn of(w: &Window) -> Figures {
        let ratio = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
        let mut sorted = w.ttfb_ms.clone();
        sorted.sort_by(f64::total_cmp);
        Figures {
            provider: w.provider.clone(),
            requests: w.requests,
            transport_errors: w.transport_errors,
            non_2xx: w.non_2xx,
            status_5xx: w.status_5xx,
            cacheable: w.cacheable,
            hits: w.hits,
            error_rate: ratio(w.errors(), w.requests),
            non_2xx_rate: ratio(w.non_2xx, w.answered()),
            hit_ratio: ratio(w.hits, w.cacheable),
            ttfb_samples: w.ttfb_ms.len(),
            ttfb_p50_ms: stats::quantile_sorted(&sorted, 0.50),
            ttfb_p95_ms: stats::quantile_sorted(&sorted, 0.95),
            ttfb_p99_ms: stats::quantile_sorted(&sorted, 0.99),
        }
    }
}

/// The judgement of one round, baseline against one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub verdict: Verdict,
    /// One line for a person.
    pub reason: String,
    pub baseline: Figures,
    pub candidate: Figures,
    /// Error rate, non-2xx rate, latency, hit ratio, in that order.
    pub signals: Vec<Signal>,
}

/// Judges the candidate's window against the baseline's (see the module
/// docs for the rules). An error only for input that cannot be judged:
/// invalid thresholds or counts that do not nest.
pub fn judge(
    baseline: &Window,
    candidate: &Window,
    t: &Thresholds,
) -> Result<Judgement, JudgeError> {
    t.validate()?;
    baseline.validate()?;
    candidate.validate()?;
    let names = Names {
        baseline: name(&baseline.provider, "baseline"),
        candidate: name(&candidate.provider, "candidate"),
    };
    let signals = vec![
        rate_signal(
            SignalKind::ErrorRate,
            (baseline.errors(), baseline.requests),
            (candidate.errors(), candidate.requests),
            "requests",
            t.max_error_rate_delta,
            t,
            &names,
        )?,
        rate_signal(
            SignalKind::Non2xxRate,
            (baseline.non_2xx, baseline.answered()),
            (candidate.non_2xx, candidate.answered()),
            "answered requests",
            t.max_error_rate_delta,
            t,
            &names,
        )?,
        latency_signal(&baseline.ttfb_ms, &candidate.ttfb_ms, t, &names)?,
        rate_signal(
            SignalKind::HitRatio,
            (baseline.hits, baseline.cacheable),
            (candidate.hits, candidate.cacheable),
            "cacheable answers",
            t.max_hit_ratio_drop,
            t,
            &names,
        )?,
    ];
    let (verdict, reason) = verdict_of(&signals);
    Ok(Judgement {
        verdict,
        reason,
        baseline: Figures::of(baseline),
        candidate: Figures::of(candidate),
        signals,
    })
}

struct Names<'a> {
    baseline: &'a str,
    candidate: &'a str,
}

fn name<'a>(provider: &'a str, fallback: &'a str) -> &'a str {
    if provider.is_empty() {
        fallback
    } else {
        provider
    }
}

fn classify(estimate: f64, interval: Option<Interval>, threshold: f64) -> Outcome {
    match interval {
        Some(i) if i.entirely_above(threshold) => Outcome::Fail,
        _ if estimate > threshold => Outcome::Degraded,
        _ => Outcome::Pass,
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn points(v: f64) -> String {
    format!("{:+.1}", v * 100.0)
}

fn no_data_reason(kind: SignalKind, counts: &[(&str, u64)], unit: &str, min: u64) -> String {
    let short: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n < min)
        .map(|(who, n)| format!("{n} {unit} on {who}"))
        .collect();
    format!(
        "{}: no data ({}, {min} needed)",
        kind.label(),
        short.join(", ")
    )
}

/// A rate signal. `(x, n)` per side; for the hit ratio a *lower* candidate
/// rate is worse, for the others a higher one.
fn rate_signal(
    kind: SignalKind,
    (xb, nb): (u64, u64),
    (xc, nc): (u64, u64),
    unit: &str,
    threshold: f64,
    t: &Thresholds,
    names: &Names,
) -> Result<Signal, JudgeError> {
    let lower_is_worse = kind == SignalKind::HitRatio;
    let test = "two-proportion z (pooled); Newcombe hybrid score interval; \
                Wald test against the threshold"
        .to_string();
    let rate = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
    let mut signal = Signal {
        kind,
        outcome: Outcome::NoData,
        baseline: rate(xb, nb),
        candidate: rate(xc, nc),
        estimate: None,
        interval: None,
        threshold: Some(threshold),
        test,
        statistic: None,
        p_value: None,
        u: None,
        threshold_p_value: None,
        reason: String::new(),
    };
    if nb < t.min_samples || nc < t.min_samples {
        signal.reason = no_data_reason(
            kind,
            &[(names.baseline, nb), (names.candidate, nc)],
            unit,
            t.min_samples,
        );
        return Ok(signal);
    }
    // "Worse" first: the candidate for error rates, the baseline for the
    // hit ratio (a drop).
    let ((x1, n1), (x2, n2)) = if lower_is_worse {
        ((xb, nb), (xc, nc))
    } else {
        ((xc, nc), (xb, nb))
    };
    let pooled = stats::two_proportion_z_test(x1, n1, x2, n2)?;
    let margin = stats::difference_exceeds_margin(x1, n1, x2, n2, threshold)?;
    let interval = stats::newcombe_interval(x1, n1, x2, n2, t.confidence)?;
    let estimate = pooled.difference;
    let outcome = classify(estimate, Some(interval), threshold);
    let (pb, pc) = (xb as f64 / nb as f64, xc as f64 / nc as f64);
    let conf = format!("{:.0}%", t.confidence * 100.0);
    // A drop is said without a sign ("a drop of 4.0 points"), a rise with
    // one ("+4.0 points").
    let amount = |v: f64| {
        if lower_is_worse {
            format!("{:.1}", v * 100.0)
        } else {
            points(v)
        }
    };
    let head = format!(
        "{} {} on {} against {} on {}: {}{} points ({conf} interval {} to {})",
        kind.label(),
        percent(pc),
        names.candidate,
        percent(pb),
        names.baseline,
        if lower_is_worse { "a drop of " } else { "" },
        amount(estimate),
        amount(interval.lower),
        amount(interval.upper),
    );
    let allowed = amount(threshold);
    signal.reason = match outcome {
        Outcome::Fail => format!("{head}, more than the allowed {allowed} points"),
        Outcome::Degraded => {
            format!("{head}, above the allowed {allowed} points without confidence yet")
        }
        _ => format!("{head}, within {allowed} points"),
    };
    signal.outcome = outcome;
    signal.estimate = Some(estimate);
    signal.interval = Some(interval);
    signal.statistic = Some(pooled.z);
    signal.p_value = Some(pooled.p_greater);
    signal.threshold_p_value = Some(margin.p_value);
    Ok(signal)
}

/// The tolerated latency shift in ms: the relative threshold times the
/// baseline median, and never less than the absolute floor.
fn latency_threshold(baseline_median: f64, t: &Thresholds) -> f64 {
    (baseline_median * t.max_latency_shift).max(t.min_latency_shift_ms)
}

fn latency_signal(
    baseline: &[f64],
    candidate: &[f64],
    t: &Thresholds,
    names: &Names,
) -> Result<Signal, JudgeError> {
    let kind = SignalKind::Latency;
    let (nb, nc) = (baseline.len() as u64, candidate.len() as u64);
    let median = |v: &[f64]| stats::median(v).ok();
    let baseline_median = median(baseline);
    let mut signal = Signal {
        kind,
        outcome: Outcome::NoData,
        baseline: baseline_median,
        candidate: median(candidate),
        estimate: None,
        interval: None,
        threshold: baseline_median.map(|m| latency_threshold(m, t)),
        test: "Mann-Whitney U (candidate slower); Hodges-Lehmann shift with its \
               distribution-free interval"
            .to_string(),
        statistic: None,
        p_value: None,
        u: None,
        threshold_p_value: None,
        reason: String::new(),
    };
    let (Some(base_median), true) = (baseline_median, nb >= t.min_samples && nc >= t.min_samples)
    else {
        signal.reason = no_data_reason(
            kind,
            &[(names.baseline, nb), (names.candidate, nc)],
            "samples",
            t.min_samples,
        );
        return Ok(signal);
    };
    let threshold = latency_threshold(base_median, t);
    let u = stats::mann_whitney_u(candidate, baseline, Alternative::Greater, UMethod::Auto)?;
    let shift = stats::hodges_lehmann_shift(baseline, candidate, t.confidence, ShiftMethod::Auto)?;
    let outcome = classify(shift.estimate, shift.interval, threshold);
    let conf = format!("{:.0}%", t.confidence * 100.0);
    let interval = match shift.interval {
        Some(i) => format!("{conf} interval {:+.0} to {:+.0} ms", i.lower, i.upper),
        None => format!("no {conf} interval"),
    };
    let head = format!(
        "{}: {:+.0} ms on {} against {} (Hodges-Lehmann; {interval})",
        kind.label(),
        shift.estimate,
        names.candidate,
        names.baseline,
    );
    let relative = base_median * t.max_latency_shift;
    let allowed = if threshold > relative {
        format!(
            "{threshold:+.1} ms (the floor; +{:.0}% of {}'s median {:.1} ms is {relative:+.1} ms)",
            t.max_latency_shift * 100.0,
            names.baseline,
            base_median,
        )
    } else {
        format!(
            "+{:.0}% of {}'s median {:.0} ms ({:+.0} ms)",
            t.max_latency_shift * 100.0,
            names.baseline,
            base_median,
            threshold
        )
    };
    signal.reason = match outcome {
        Outcome::Fail => format!("{head}, more than the allowed {allowed}"),
        Outcome::Degraded => {
            format!("{head}, above the allowed {allowed} without confidence yet")
        }
        _ => format!("{head}, within {allowed}"),
    };
    signal.outcome = outcome;
    signal.estimate = Some(shift.estimate);
    signal.interval = shift.interval;
    signal.threshold = Some(threshold);
    signal.statistic = Some(u.z);
    signal.p_value = Some(u.p_value);
    signal.u = Some(u.u);
    Ok(signal)
}

fn joined<'a>(signals: impl Iterator<Item = &'a Signal>) -> String {
    signals
        .map(|s| s.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn verdict_of(signals: &[Signal]) -> (Verdict, String) {
    let with = |o: Outcome| signals.iter().filter(move |s| s.outcome == o);
    if with(Outcome::Fail).next().is_some() {
        return (Verdict::Rollback, joined(with(Outcome::Fail)));
    }
    let error_rate_missing = signals
        .iter()
        .any(|s| s.kind == SignalKind::ErrorRate && s.outcome == Outcome::NoData);
    if error_rate_missing || signals.iter().all(|s| s.outcome == Outcome::NoData) {
        return (Verdict::Insufficient, joined(with(Outcome::NoData)));
    }
    if with(Outcome::Degraded).next().is_some() {
        return (Verdict::Degraded, joined(with(Outcome::Degraded)));
    }
    let judged: Vec<&str> = with(Outcome::Pass).map(|s| s.kind.label()).collect();
    let mut reason = format!("{} within thresholds", judged.join(", "));
    let missing: Vec<&str> = with(Outcome::NoData).map(|s| s.kind.label()).collect();
    if !missing.is_empty() {
        let _ = write!(reason, " (no data: {})", missing.join(", "));
    }
    (Verdict::Healthy, reason)
}

/// One round of `watch`: the baseline judged against every candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// The round's number, from 1.
    pub number: u32,
    /// The worst verdict of the judgements.
    pub verdict: Verdict,
    /// One line for a person.
    pub reason: String,
    /// One judgement per candidate.
    pub judgements: Vec<Judgement>,
}

impl Round {
    /// A round from its judgements: the worst verdict wins (rollback,
    /// insufficient, degraded, healthy); no judgement at all is
    /// insufficient.
    pub fn new(number: u32, judgements: Vec<Judgement>) -> Round {
        let verdict = judgements
            .iter()
            .map(|j| j.verdict)
            .max_by_key(|v| v.severity())
            .unwrap_or(Verdict::Insufficient);
        let reason = if judgements.is_empty() {
            "no candidate was judged".to_string()
        } else if let [only] = judgements.as_slice() {
            only.reason.clone()
        } else {
            judgements
                .iter()
                .filter(|j| j.verdict == verdict)
                .map(|j| format!("{}: {}", j.candidate.provider, j.reason))
                .collect::<Vec<_>>()
                .join("; ")
        };
        Round {
            number,
            verdict,
            reason,
            judgements,
        }
    }
}

/// The decision over all rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Proceed,
    Rollback,
    Insufficient,
}

impl Decision {
    /// [`PROCEED`], [`ROLLBACK`] or [`INSUFFICIENT`].
    pub fn exit_code(self) -> i32 {
        match self {
            Decision::Proceed => PROCEED,
            Decision::Rollback => ROLLBACK,
            Decision::Insufficient => INSUFFICIENT,
        }
    }
}

/// The top of `watch.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overall {
    pub verdict: Decision,
    /// One line for a person.
    pub reason: String,
    /// The number of the first rollback round, where watching stops.
    pub rollback_round: Option<u32>,
}

/// The decision over the rounds so far, in order (see the module docs).
/// Rounds after the first rollback are not looked at.
pub fn overall(rounds: &[Round]) -> Overall {
    if let Some(r) = rounds.iter().find(|r| r.verdict == Verdict::Rollback) {
        return Overall {
            verdict: Decision::Rollback,
            reason: format!("round {}: {}", r.number, r.reason),
            rollback_round: Some(r.number),
        };
    }
    let insufficient = |reason: String| Overall {
        verdict: Decision::Insufficient,
        reason,
        rollback_round: None,
    };
    let Some(first) = rounds
        .iter()
        .position(|r| r.verdict != Verdict::Insufficient)
    else {
        return insufficient(match rounds.last() {
            None => "no round was run".to_string(),
            Some(last) => format!(
                "none of the {} rounds had enough data to judge; round {}: {}",
                rounds.len(),
                last.number,
                last.reason
            ),
        });
    };
    if let Some(r) = rounds[first..]
        .iter()
        .find(|r| r.verdict == Verdict::Insufficient)
    {
        return insufficient(format!(
            "round {} had too little data after judging had begun: {}",
            r.number, r.reason
        ));
    }
    let judged = &rounds[first..];
    let degraded = judged
        .iter()
        .filter(|r| r.verdict == Verdict::Degraded)
        .count();
    let mut reason = format!(
        "{} rounds judged: {} healthy, {} degraded without confidence",
        judged.len(),
        judged.len() - degraded,
        degraded
    );
    if first > 0 {
        let _ = write!(reason, "; {first} warm-up rounds without enough data");
    }
    Overall {
        verdict: Decision::Proceed,
        reason,
        rollback_round: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: a small deterministic generator for the simulations.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Uniform in (0, 1).
        fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn chance(&mut self, p: f64) -> bool {
            self.uniform() < p
        }

        /// Standard normal (Box–Muller).
        fn normal(&mut self) -> f64 {
            let (u1, u2) = (self.uniform(), self.uniform());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }
    }

    /// How a simulated provider behaves in a round.
    #[derive(Clone, Copy)]
    struct Behaviour {
        transport_error: f64,
        non_2xx: f64,
        share_5xx_of_non_2xx: f64,
        extra_503: f64,
        cacheable: f64,
        hit: f64,
        median_ms: f64,
        sigma: f64,
        shift_ms: f64,
    }

    const NORMAL: Behaviour = Behaviour {
        transport_error: 0.002,
        non_2xx: 0.03,
        share_5xx_of_non_2xx: 0.3,
        extra_503: 0.0,
        cacheable: 0.8,
        hit: 0.9,
        median_ms: 80.0,
        sigma: 0.5,
        shift_ms: 0.0,
    };

    /// One round of `requests` requests; latencies log-normal, rounded to
    /// whole milliseconds as a real client measures them (so with ties).
    fn round(rng: &mut Rng, provider: &str, requests: u64, b: Behaviour) -> Window {
        let mut w = Window {
            provider: provider.to_string(),
            requests,
            ..Window::default()
        };
        for _ in 0..requests {
            if rng.chance(b.transport_error) {
                w.transport_errors += 1;
                continue;
            }
            if rng.chance(b.extra_503) {
                w.non_2xx += 1;
                w.status_5xx += 1;
            } else if rng.chance(b.non_2xx) {
                w.non_2xx += 1;
                if rng.chance(b.share_5xx_of_non_2xx) {
                    w.status_5xx += 1;
                }
            } else if rng.chance(b.cacheable) {
                w.cacheable += 1;
                if rng.chance(b.hit) {
                    w.hits += 1;
                }
            }
            let ms = b.median_ms * (b.sigma * rng.normal()).exp() + b.shift_ms;
            w.ttfb_ms.push(ms.round());
        }
        w
    }

    /// Runs `rounds` rounds with a sliding window; the candidate behaves as
    /// `candidate(round number)`. Returns the rounds judged, stopping at
    /// the first rollback as watch does.
    fn simulate(
        seed: u64,
        rounds: u32,
        requests: u64,
        window: usize,
        candidate: impl Fn(u32) -> Behaviour,
    ) -> Vec<Round> {
        let mut rng = Rng(seed);
        let t = Thresholds::default();
        let mut base = SlidingWindow::new(window, SlidingWindow::DEFAULT_MAX_SAMPLES_PER_ROUND);
        let mut cand = SlidingWindow::new(window, SlidingWindow::DEFAULT_MAX_SAMPLES_PER_ROUND);
        let mut out = Vec::new();
        for n in 1..=rounds {
            base.push(round(&mut rng, "fastly", requests, NORMAL));
            cand.push(round(&mut rng, "cloudflare", requests, candidate(n)));
            let j = judge(&base.window(), &cand.window(), &t).unwrap();
            let r = Round::new(n, vec![j]);
            let stop = r.verdict == Verdict::Rollback;
            out.push(r);
            if stop {
                break;
            }
        }
        out
    }

    fn signal(j: &Judgement, kind: SignalKind) -> &Signal {
        j.signals.iter().find(|s| s.kind == kind).unwrap()
    }

    // -- simulations ----------------------------------------------------------

    #[test]
    fn identical_providers_never_roll_back() {
        // 20 rounds of identical providers, for five seeds: 100 rounds.
        for seed in [1, 2, 3, 4, 0x5eed] {
            let rounds = simulate(seed, 20, 300, 5, |_| NORMAL);
            assert_eq!(rounds.len(), 20, "seed {seed}: stopped early");
            let rollbacks: Vec<&Round> = rounds
                .iter()
                .filter(|r| r.verdict == Verdict::Rollback)
                .collect();
            assert!(rollbacks.is_empty(), "seed {seed}: {rollbacks:#?}");
            assert!(rounds.iter().all(|r| r.verdict == Verdict::Healthy));
            let o = overall(&rounds);
            assert_eq!(o.verdict, Decision::Proceed, "{o:?}");
            assert_eq!(o.verdict.exit_code(), PROCEED);
        }
    }

    #[test]
    fn a_503_share_rolls_back_within_two_rounds() {
        let start = 8;
        for seed in [11, 12, 13] {
            let rounds = simulate(seed, 20, 300, 3, |n| Behaviour {
                extra_503: if n >= start { 0.2 } else { 0.0 },
                ..NORMAL
            });
            let last = rounds.last().unwrap();
            assert_eq!(last.verdict, Verdict::Rollback, "seed {seed}");
            assert!(
                (start..start + 2).contains(&last.number),
                "seed {seed}: rolled back at round {}",
                last.number
            );
            let j = &last.judgements[0];
            assert_eq!(signal(j, SignalKind::ErrorRate).outcome, Outcome::Fail);
            assert_eq!(signal(j, SignalKind::Latency).outcome, Outcome::Pass);
            let o = overall(&rounds);
            assert_eq!(o.verdict, Decision::Rollback);
            assert_eq!(o.rollback_round, Some(last.number));
            assert_eq!(o.verdict.exit_code(), ROLLBACK);
            assert!(o.reason.contains("error rate"), "{}", o.reason);
        }
    }

    #[test]
    fn a_200_ms_slower_candidate_rolls_back_on_latency() {
        let rounds = simulate(21, 20, 300, 5, |_| Behaviour {
            shift_ms: 200.0,
            ..NORMAL
        });
        assert_eq!(rounds.len(), 1, "the first round already has the evidence");
        let j = &rounds[0].judgements[0];
        assert_eq!(j.verdict, Verdict::Rollback);
        let latency = signal(j, SignalKind::Latency);
        assert_eq!(latency.outcome, Outcome::Fail);
        let shift = latency.estimate.unwrap();
        assert!((150.0..250.0).contains(&shift), "{shift}");
        assert!(latency.interval.unwrap().lower > latency.threshold.unwrap());
        assert!(latency.p_value.unwrap() < 1e-6);
        assert_eq!(signal(j, SignalKind::ErrorRate).outcome, Outcome::Pass);
        assert!(j.reason.contains("time to first byte"), "{}", j.reason);
    }

    #[test]
    fn too_few_requests_are_insufficient() {
        let rounds = simulate(31, 5, 8, 5, |_| NORMAL);
        assert_eq!(rounds.len(), 5);
        assert!(rounds.iter().all(|r| r.verdict == Verdict::Insufficient));
        let o = overall(&rounds);
        assert_eq!(o.verdict, Decision::Insufficient);
        assert_eq!(o.verdict.exit_code(), INSUFFICIENT);
        assert!(o.reason.contains("50 needed"), "{}", o.reason);
    }

    // -- judge ------------------------------------------------------------------

    fn window(provider: &str, requests: u64, errors: u64, ttfb: &[f64]) -> Window {
        Window {
            provider: provider.to_string(),
            requests,
            transport_errors: 0,
            non_2xx: errors,
            status_5xx: errors,
            cacheable: 0,
            hits: 0,
            ttfb_ms: ttfb.to_vec(),
        }
    }

    fn spread(n: usize, median: f64) -> Vec<f64> {
        (0..n)
            .map(|i| median + (i as f64 - n as f64 / 2.0) / 10.0)
            .collect()
    }

    #[test]
    fn the_same_window_twice_is_healthy() {
        let w = window("fastly", 500, 5, &spread(200, 80.0));
        let j = judge(&w, &w, &Thresholds::default()).unwrap();
        assert_eq!(j.verdict, Verdict::Healthy, "{}", j.reason);
        assert_eq!(signal(&j, SignalKind::Latency).estimate, Some(0.0));
        assert_eq!(signal(&j, SignalKind::HitRatio).outcome, Outcome::NoData);
        assert!(
            j.reason.contains("no data: cache-hit ratio"),
            "{}",
            j.reason
        );
    }

    #[test]
    fn significant_but_tolerated_is_healthy() {
        // 1% against 3% over 20,000 requests: beyond doubt, but 2 points is
        // within the 5 tolerated.
        let b = window("fastly", 20_000, 200, &spread(100, 80.0));
        let c = window("cloudflare", 20_000, 600, &spread(100, 80.0));
        let j = judge(&b, &c, &Thresholds::default()).unwrap();
        let e = signal(&j, SignalKind::ErrorRate);
        assert!(e.p_value.unwrap() < 1e-10);
        assert_eq!(e.outcome, Outcome::Pass);
        assert_eq!(j.verdict, Verdict::Healthy);
    }

    #[test]
    fn beyond_the_threshold_without_confidence_is_degraded() {
        // 1 of 60 against 6 of 60: +8.3 points, but the interval reaches
        // back below +5.
        let b = window("fastly", 60, 1, &spread(60, 80.0));
        let c = window("cloudflare", 60, 6, &spread(60, 80.0));
        let j = judge(&b, &c, &Thresholds::default()).unwrap();
        let e = signal(&j, SignalKind::ErrorRate);
        assert_eq!(e.outcome, Outcome::Degraded, "{}", e.reason);
        assert!(e.interval.unwrap().lower < 0.05);
        assert_eq!(j.verdict, Verdict::Degraded);
        assert!(j.reason.contains("without confidence"), "{}", j.reason);
    }

    #[test]
    fn a_hit_ratio_drop_rolls_back() {
        let mut b = window("fastly", 1_000, 0, &spread(100, 80.0));
        let mut c = window("cloudflare", 1_000, 0, &spread(100, 80.0));
        (b.cacheable, b.hits) = (800, 720);
        (c.cacheable, c.hits) = (800, 400);
        let j = judge(&b, &c, &Thresholds::default()).unwrap();
        let h = signal(&j, SignalKind::HitRatio);
        assert_eq!(h.outcome, Outcome::Fail, "{}", h.reason);
        assert!((h.estimate.unwrap() - 0.4).abs() < 1e-12);
        assert!(h.reason.contains("a drop of 40.0 points"), "{}", h.reason);
        assert_eq!(j.verdict, Verdict::Rollback);
        // A better candidate is never a drop.
        (c.cacheable, c.hits) = (800, 800);
        let j = judge(&b, &c, &Thresholds::default()).unwrap();
        assert_eq!(signal(&j, SignalKind::HitRatio).outcome, Outcome::Pass);
    }

    #[test]
    fn a_latency_floor_tolerates_sub_millisecond_shifts() {
        // 2 ms against 2.6 ms: +30%, beyond +25% with confidence, but 0.6 ms
        // is below a 5 ms floor.
        let fast =
            |base: f64| -> Vec<f64> { (0..300).map(|i| base + f64::from(i % 20) * 0.01).collect() };
        let b = window("fastly", 300, 0, &fast(2.0));
        let c = window("cloudflare", 300, 0, &fast(2.6));
        let t = Thresholds::default();
        let j = judge(&b, &c, &t).unwrap();
        assert_eq!(signal(&j, SignalKind::Latency).outcome, Outcome::Fail);
        let t = Thresholds {
            min_latency_shift_ms: 5.0,
            ..t
        };
        let j = judge(&b, &c, &t).unwrap();
        let l = signal(&j, SignalKind::Latency);
        assert_eq!(l.outcome, Outcome::Pass, "{}", l.reason);
        assert_eq!(l.threshold, Some(5.0));
        assert!(l.reason.contains("the floor"), "{}", l.reason);
        // A 200 ms shift is past any such floor.
        let c = window("cloudflare", 300, 0, &fast(202.0));
        let j = judge(&b, &c, &t).unwrap();
        assert_eq!(signal(&j, SignalKind::Latency).outcome, Outcome::Fail);
        assert!(Thresholds {
            min_latency_shift_ms: -1.0,
            ..t
        }
        .validate()
        .is_err());
    }

    #[test]
    fn a_faster_candidate_passes() {
        let b = window("fastly", 300, 0, &spread(300, 300.0));
        let c = window("cloudflare", 300, 0, &spread(300, 100.0));
        let j = judge(&b, &c, &Thresholds::default()).unwrap();
        let l = signal(&j, SignalKind::Latency);
        assert_eq!(l.outcome, Outcome::Pass);
        assert!(l.estimate.unwrap() < -150.0);
        assert!(l.p_value.unwrap() > 0.99);
    }

    #[test]
    fn latency_without_samples_is_no_data_but_errors_still_judge() {
        // Every candidate request failed: no latency at all, and that alone
        // is a rollback on the error rate.
        let b = window("fastly", 200, 0, &spread(200, 80.0));
        let mut c = window("cloudflare", 200, 0, &[]);
        c.transport_errors = 200;
        let j = judge(&b, &c, &Thresholds::default()).unwrap();
        assert_eq!(signal(&j, SignalKind::Latency).outcome, Outcome::NoData);
        assert_eq!(signal(&j, SignalKind::Non2xxRate).outcome, Outcome::NoData);
        assert_eq!(signal(&j, SignalKind::ErrorRate).outcome, Outcome::Fail);
        assert_eq!(j.verdict, Verdict::Rollback);
    }

    #[test]
    fn inconsistent_windows_and_thresholds_are_bad_input() {
        let t = Thresholds::default();
        let ok = window("fastly", 100, 0, &[]);
        let mut bad = window("cloudflare", 100, 0, &[]);
        bad.status_5xx = 3;
        let e = judge(&ok, &bad, &t).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cloudflare: 3 5xx answers but only 0 non-2xx answers"
        );
        let mut bad = window("cloudflare", 100, 0, &[1.0]);
        bad.ttfb_ms.push(f64::NAN);
        assert!(matches!(
            judge(&ok, &bad, &t),
            Err(JudgeError::Ttfb { index: 1, .. })
        ));
        let bad = window("cloudflare", 1, 0, &[1.0, 2.0]);
        assert!(matches!(
            judge(&ok, &bad, &t),
            Err(JudgeError::Count { .. })
        ));
        for t in [
            Thresholds {
                max_error_rate_delta: 1.5,
                ..Thresholds::default()
            },
            Thresholds {
                max_latency_shift: f64::NAN,
                ..Thresholds::default()
            },
            Thresholds {
                confidence: 1.0,
                ..Thresholds::default()
            },
            Thresholds {
                min_samples: 0,
                ..Thresholds::default()
            },
        ] {
            assert!(matches!(
                judge(&ok, &ok, &t),
                Err(JudgeError::Threshold { .. })
            ));
        }
        let e = Thresholds {
            max_hit_ratio_drop: -0.1,
            ..Thresholds::default()
        }
        .validate()
        .unwrap_err();
        assert!(
            e.to_string().starts_with("--max-hit-ratio-drop -0.1"),
            "{e}"
        );
    }

    #[test]
    fn judgement_json_speaks_snake_case() {
        let w = window("fastly", 100, 1, &spread(100, 80.0));
        let j = judge(&w, &w, &Thresholds::default()).unwrap();
        let v = serde_json::to_value(&j).unwrap();
        assert_eq!(v["verdict"], "healthy");
        assert_eq!(v["signals"][0]["kind"], "error_rate");
        assert_eq!(v["signals"][1]["kind"], "non_2xx_rate");
        assert_eq!(v["signals"][2]["kind"], "latency");
        assert_eq!(v["signals"][3]["outcome"], "no_data");
        assert!(v["signals"][2]["u"].is_number());
        assert!(v["signals"][0].get("u").is_none());
        let back: Judgement = serde_json::from_value(v).unwrap();
        assert_eq!(back, j);
        let t: Thresholds = serde_json::from_str(r#"{"min_samples": 10}"#).unwrap();
        assert_eq!(t.min_samples, 10);
        assert_eq!(t.max_error_rate_delta, 0.05);
    }

    // -- sliding window -----------------------------------------------------------

    #[test]
    fn sliding_window_keeps_the_last_rounds() {
        let mut s = SlidingWindow::new(2, 100);
        assert!(s.is_empty());
        for n in 1..=3u64 {
            s.push(window("fastly", n * 10, n, &[n as f64]));
        }
        assert_eq!(s.len(), 2);
        let w = s.window();
        assert_eq!(w.requests, 50);
        assert_eq!(w.status_5xx, 5);
        assert_eq!(w.ttfb_ms, vec![2.0, 3.0]);
        assert_eq!(w.provider, "fastly");
    }

    #[test]
    fn sliding_window_thins_big_rounds_evenly() {
        let mut s = SlidingWindow::new(3, 4);
        let samples: Vec<f64> = (0..10).map(f64::from).collect();
        s.push(window("fastly", 10, 0, &samples));
        assert_eq!(s.window().ttfb_ms, vec![0.0, 2.0, 5.0, 7.0]);
        let mut zero = SlidingWindow::new(0, 0);
        zero.push(window("fastly", 3, 0, &[1.0, 2.0, 3.0]));
        assert_eq!(zero.window().ttfb_ms, vec![1.0]);
    }

    // -- rounds and the overall decision --------------------------------------------

    fn judged(verdict: Verdict, provider: &str) -> Judgement {
        let w = window(provider, 100, 0, &spread(100, 80.0));
        let mut j = judge(&w, &w, &Thresholds::default()).unwrap();
        j.verdict = verdict;
        j.reason = format!("{verdict:?}");
        j
    }

    fn rounds(verdicts: &[Verdict]) -> Vec<Round> {
        verdicts
            .iter()
            .zip(1..)
            .map(|(&v, n)| Round::new(n, vec![judged(v, "cloudflare")]))
            .collect()
    }

    #[test]
    fn the_worst_candidate_decides_the_round() {
        let r = Round::new(
            4,
            vec![
                judged(Verdict::Healthy, "cloudflare"),
                judged(Verdict::Insufficient, "akamai"),
                judged(Verdict::Degraded, "cloudfront"),
            ],
        );
        assert_eq!(r.verdict, Verdict::Insufficient);
        assert_eq!(r.reason, "akamai: Insufficient");
        assert_eq!(Round::new(1, vec![]).verdict, Verdict::Insufficient);
    }

    #[test]
    fn overall_stops_at_the_first_rollback() {
        use Verdict::*;
        let o = overall(&rounds(&[Healthy, Degraded, Rollback, Rollback]));
        assert_eq!(o.verdict, Decision::Rollback);
        assert_eq!(o.rollback_round, Some(3));
        assert_eq!(o.reason, "round 3: Rollback");
    }

    #[test]
    fn overall_proceeds_after_a_warm_up() {
        use Verdict::*;
        let o = overall(&rounds(&[Insufficient, Healthy, Degraded, Healthy]));
        assert_eq!(o.verdict, Decision::Proceed);
        assert_eq!(
            o.reason,
            "3 rounds judged: 2 healthy, 1 degraded without confidence; \
             1 warm-up rounds without enough data"
        );
    }

    #[test]
    fn overall_is_insufficient_when_data_ran_out_or_never_came() {
        use Verdict::*;
        let o = overall(&rounds(&[Healthy, Insufficient, Healthy]));
        assert_eq!(o.verdict, Decision::Insufficient);
        assert!(
            o.reason.starts_with("round 2 had too little data"),
            "{}",
            o.reason
        );
        assert_eq!(
            overall(&rounds(&[Insufficient])).verdict,
            Decision::Insufficient
        );
        let o = overall(&[]);
        assert_eq!(
            (o.verdict, o.reason.as_str()),
            (Decision::Insufficient, "no round was run")
        );
    }

    #[test]
    fn overall_json_is_what_watch_json_needs() {
        let o = overall(&rounds(&[Verdict::Healthy]));
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["verdict"], "proceed");
        assert!(v["reason"].is_string());
        let r = serde_json::to_value(rounds(&[Verdict::Rollback])).unwrap();
        assert_eq!(r[0]["verdict"], "rollback");
        assert_eq!(r[0]["number"], 1);
    }
}
