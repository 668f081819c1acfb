//! `edgeparity watch`: is the candidate CDN still as good as the baseline
//! while traffic moves to it? Two sources of evidence, one judge:
//!
//! - **Active rounds** ([`run_active`]): every `--interval`, every case of
//!   the suites is sent once to every provider, pinned as in `run` (same
//!   [`RunContext`], same fingerprint checks), with no calibration and no
//!   confirmation (a round is a measurement, not a proof), and fresh cache
//!   keys only where the suite's probe busts caches (cache sequences and
//!   Vary probes), so single requests hit a warm cache as real users do.
//!   Per provider a round counts requests, transport errors by kind, non-2xx
//!   and 5xx answers, the cache outcome of cacheable answers and the time to
//!   first byte ([`Tally`] → [`canary::Window`]).
//! - **Passive** ([`run_passive`]): the same figures from two providers'
//!   logs over the same window ([`logs`]).
//!
//! The judge is [`canary`]: each candidate's sliding window (the last
//! `window_rounds` rounds) against the baseline's, measured at the same
//! time. Watching stops at the first `rollback` round. The first `warmup`
//! rounds are reported but not judged: their timings include the TLS
//! handshakes of new connections and their caches are cold, on both sides
//! but not equally (canary counts them as the warm-up before judging).
//!
//! Besides the judge, each round compares every case's answers as `run`
//! does (`judge::evaluate`, calibration off) and records the cases whose
//! verdict changed since the last round (**parity drift**): a route that
//! starts to differ mid-rollout is named even when the rates stay within
//! their thresholds. Drift is reported, never a rollback by itself: a case
//! can flip on volatile content without any harm.
//!
//! After every round the caller gets the whole [`output::WatchFile`], so
//! `watch.json` can be rewritten atomically for a rollout script to follow.

pub mod html;
pub mod logs;
pub mod output;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};

use crate::canary::{self, JudgeError, SlidingWindow, Thresholds, Window};
use crate::model::{Noise, Verdict as CaseVerdict};
use crate::plan::PlannedCase;
use crate::provider::{self, CacheOutcome};
use crate::run::RunContext;

pub use output::{Drift, Mode, ProviderRound, RoundRecord, WatchFile};

/// What stops a watch before it can judge: bad input, nothing else.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Judge(#[from] JudgeError),
    #[error(transparent)]
    Logs(#[from] logs::LogsError),
    #[error("{0}")]
    Usage(String),
}

/// How long and how often to watch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    /// Exactly this many rounds (unless one rolls back).
    Rounds(u32),
    /// Rounds start every interval while less than this has passed.
    Duration(Duration),
}

/// The settings of an active watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub length: Length,
    /// Time from the start of one round to the start of the next.
    pub interval: Duration,
    pub thresholds: Thresholds,
    /// Rounds in the sliding window the judge sees (at least 1).
    pub window_rounds: usize,
    /// Cases sent at once.
    pub jobs: usize,
    /// First rounds observed and reported but not judged: they open the
    /// connections (TLS handshakes in the timings) and fill cold caches.
    pub warmup: u32,
}

/// `500ms`, `1s`, `60s`, `15m`, `2h`: a positive whole number and a unit.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let expected = "expected a whole number and a unit: 500ms, 1s, 60s, 15m or 2h";
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}`: {expected}"))?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("`{text}`: {expected}")),
    }
    .ok_or_else(|| format!("`{text}`: too long"))?;
    if ms == 0 {
        return Err(format!("`{text}`: must be more than zero"));
    }
    Ok(Duration::from_millis(ms))
}

/// What one provider did in one round, before judging.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub window: Window,
    /// Transport errors by kind (`timeout`, `connect`, `tls`, …).
    pub transport: BTreeMap<String, u64>,
}

impl Tally {
    fn new(provider: &str) -> Tally {
        Tally {
            window: Window {
                provider: provider.to_string(),
                ..Window::default()
            },
            transport: BTreeMap::new(),
        }
    }

    /// Count one answer: its status, cache outcome and time to first byte.
    pub fn answer(&mut self, status: u16, cache: CacheOutcome, ttfb_ms: Option<f64>) {
        let w = &mut self.window;
        w.requests += 1;
        if !(200..300).contains(&status) {
            w.non_2xx += 1;
        }
        if (500..600).contains(&status) {
            w.status_5xx += 1;
        }
        if let Some(hit) = cache_hit(cache) {
            w.cacheable += 1;
            if hit {
                w.hits += 1;
            }
        }
        if let Some(ms) = ttfb_ms.filter(|ms| ms.is_finite() && *ms >= 0.0) {
            w.ttfb_ms.push(ms);
        }
    }

    /// Count one request that got no usable answer.
    pub fn failure(&mut self, kind: &str) {
        self.window.requests += 1;
        self.window.transport_errors += 1;
        *self.transport.entry(kind.to_string()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        self.window.merge(&other.window);
        for (k, n) in &other.transport {
            *self.transport.entry(k.clone()).or_default() += n;
        }
    }
}

/// Whether an answer was eligible for caching (`Some`), and if so whether
/// the cache served it. Stale, updating and revalidated answers came from
/// the cache; expired ones went to the origin. A pass, an uncacheable
/// (`DYNAMIC`) or unreadable outcome is not a cacheable answer.
pub fn cache_hit(outcome: CacheOutcome) -> Option<bool> {
    use CacheOutcome::*;
    match outcome {
        Hit | Stale | Updating | Revalidated => Some(true),
        Miss | Expired => Some(false),
        Pass | Uncacheable | Unknown => None,
    }
}

/// One round's raw result: per provider, and every case's verdict with a
/// short reason (redacted).
struct Observed {
    tallies: BTreeMap<String, Tally>,
    verdicts: Vec<(String, CaseVerdict, String)>,
}

async fn observe_round(ctx: &RunContext, cases: &[PlannedCase], jobs: usize) -> Observed {
    let tables = ctx.tables();
    let mut tallies: BTreeMap<String, Tally> = ctx
        .env
        .providers
        .iter()
        .map(|p| (p.name.clone(), Tally::new(&p.name)))
        .collect();
    let mut verdicts = Vec::with_capacity(cases.len());
    let mut done = stream::iter(cases.iter().enumerate())
        .map(|(i, case)| async move { (i, case, crate::run::observe(ctx, case).await) })
        .buffer_unordered(jobs.max(1));
    while let Some((i, case, answers)) = done.next().await {
        for (p, answer) in &answers {
            let kind = ctx.profiles.get(p).map(|pr| pr.kind).unwrap_or("unknown");
            let tally = tallies.entry(p.clone()).or_insert_with(|| Tally::new(p));
            match answer {
                Ok(list) => {
                    for o in list {
                        let ex = &o.exchange;
                        let cache = provider::read_cache(kind, &ex.headers).outcome;
                        tally.answer(ex.status, cache, Some(ex.timing.ttfb_ms));
                    }
                }
                // A probe stops at its first failure: the answers before it
                // are not counted (one request, one failure).
                Err(e) => {
                    let kind = serde_json::to_value(e.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_else(|| "error".to_string());
                    tally.failure(&kind);
                }
            }
        }
        let mut noise = Noise::default();
        let mut result = crate::judge::evaluate(&tables, case, &answers, None, &mut noise);
        ctx.redactor.redact_result(&mut result);
        let detail = result
            .differences
            .first()
            .map(|d| d.message.clone())
            .or_else(|| result.error.clone())
            .unwrap_or_default();
        verdicts.push((i, (case.id.clone(), result.verdict, detail)));
    }
    verdicts.sort_by_key(|(i, _)| *i);
    Observed {
        tallies,
        verdicts: verdicts.into_iter().map(|(_, v)| v).collect(),
    }
}

/// The judge's state across rounds: one sliding window per provider.
pub struct Judge {
    pub baseline: String,
    pub candidates: Vec<String>,
    pub thresholds: Thresholds,
    windows: BTreeMap<String, SlidingWindow>,
}

impl Judge {
    pub fn new(
        baseline: &str,
        candidates: Vec<String>,
        thresholds: Thresholds,
        window_rounds: usize,
    ) -> Result<Judge, WatchError> {
        thresholds.validate()?;
        if candidates.is_empty() {
            return Err(WatchError::Usage(format!(
                "nothing to judge: `{baseline}` is the only provider"
            )));
        }
        let windows = std::iter::once(baseline.to_string())
            .chain(candidates.iter().cloned())
            .map(|p| {
                let w =
                    SlidingWindow::new(window_rounds, SlidingWindow::DEFAULT_MAX_SAMPLES_PER_ROUND);
                (p, w)
            })
            .collect();
        Ok(Judge {
            baseline: baseline.to_string(),
            candidates,
            thresholds,
            windows,
        })
    }

    /// Add a round's windows and judge every candidate against the baseline.
    pub fn round(
        &mut self,
        number: u32,
        tallies: &BTreeMap<String, Tally>,
    ) -> Result<canary::Round, WatchError> {
        for (p, sw) in self.windows.iter_mut() {
            let w = tallies.get(p).map(|t| t.window.clone()).unwrap_or(Window {
                provider: p.clone(),
                ..Window::default()
            });
            sw.push(w);
        }
        let base = self.window_of(&self.baseline);
        let mut judgements = Vec::new();
        for c in &self.candidates {
            judgements.push(canary::judge(&base, &self.window_of(c), &self.thresholds)?);
        }
        Ok(canary::Round::new(number, judgements))
    }

    fn window_of(&self, p: &str) -> Window {
        self.windows
            .get(p)
            .map(SlidingWindow::window)
            .unwrap_or(Window {
                provider: p.to_string(),
                ..Window::default()
            })
    }
}

/// A round's per-provider figures (that round alone).
pub fn provider_rounds(order: &[String], tallies: &BTreeMap<String, Tally>) -> Vec<ProviderRound> {
    order
        .iter()
        .filter_map(|p| tallies.get(p))
        .map(|t| ProviderRound {
            figures: canary::Figures::of(&t.window),
            transport: t.transport.clone(),
        })
        .collect()
}

/// Cases whose verdict changed since the last round.
fn drift(
    last: &BTreeMap<String, CaseVerdict>,
    now: &[(String, CaseVerdict, String)],
) -> Vec<Drift> {
    now.iter()
        .filter_map(|(id, v, detail)| {
            let before = last.get(id)?;
            (before != v).then(|| Drift {
                case: id.clone(),
                from: before.as_str().to_string(),
                to: v.as_str().to_string(),
                detail: crate::model::clip(detail),
            })
        })
        .collect()
}

/// Watch actively: rounds of the plan's cases until the length is reached
/// or a round rolls back. `on_round` sees the whole record after each round
/// (to rewrite `watch.json` and print a line); the record returned is the
/// same, marked finished.
pub async fn run_active(
    ctx: &RunContext,
    opts: &WatchOptions,
    mut on_round: impl FnMut(&WatchFile),
) -> Result<WatchFile, WatchError> {
    let baseline = ctx.env.baseline.clone();
    let candidates: Vec<String> = ctx.env.candidates().map(|p| p.name.clone()).collect();
    let order: Vec<String> = ctx.env.providers.iter().map(|p| p.name.clone()).collect();
    let mut judge = Judge::new(
        &baseline,
        candidates.clone(),
        opts.thresholds,
        opts.window_rounds,
    )?;
    let mut file = WatchFile::new(
        Mode::Active,
        Some(ctx.env.name.clone()),
        &baseline,
        candidates,
        opts.thresholds,
        opts.window_rounds,
    );
    file.interval_ms = Some(opts.interval.as_millis() as u64);
    file.warnings = ctx.warnings.clone();
    let cases = ctx.plan.cases.clone();
    let start = Instant::now();
    let mut last: BTreeMap<String, CaseVerdict> = BTreeMap::new();
    let mut number: u32 = 0;
    loop {
        let due = opts.interval.saturating_mul(number);
        let more = match opts.length {
            Length::Rounds(n) => number < n,
            Length::Duration(d) => due < d,
        };
        if !more {
            break;
        }
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        number += 1;
        let started_at = jiff::Timestamp::now();
        let clock = Instant::now();
        let observed = observe_round(ctx, &cases, opts.jobs).await;
        let round = if number <= opts.warmup {
            canary::Round {
                number,
                verdict: canary::Verdict::Insufficient,
                reason: "warm-up round (connections open, caches fill): not judged".to_string(),
                judgements: Vec::new(),
            }
        } else {
            judge.round(number, &observed.tallies)?
        };
        let record = RoundRecord {
            started_at: output::timestamp(started_at),
            duration_ms: clock.elapsed().as_millis() as u64,
            providers: provider_rounds(&order, &observed.tallies),
            drift: drift(&last, &observed.verdicts),
            round,
        };
        last = observed
            .verdicts
            .into_iter()
            .map(|(id, v, _)| (id, v))
            .collect();
        let stop = record.round.verdict == canary::Verdict::Rollback;
        file.push(record);
        on_round(&file);
        if stop {
            break;
        }
    }
    file.finish();
    Ok(file)
}

/// Watch passively: judge the candidate's log against the baseline's over
/// the window both cover. One round; the figures are also broken down per
/// host and per endpoint template.
pub fn run_passive(
    sources: &[(String, Vec<logs::LogRecord>)],
    baseline: &str,
    thresholds: Thresholds,
) -> Result<WatchFile, WatchError> {
    let candidates: Vec<String> = sources
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| p != baseline)
        .collect();
    if !sources.iter().any(|(p, _)| p == baseline) {
        return Err(WatchError::Usage(format!(
            "--baseline {baseline}: no --logs {baseline}=FILE given"
        )));
    }
    let mut judge = Judge::new(baseline, candidates.clone(), thresholds, 1)?;
    let mut file = WatchFile::new(
        Mode::Passive,
        None,
        baseline,
        candidates.clone(),
        thresholds,
        1,
    );
    let window = logs::overlap(sources);
    file.warnings.extend(window.warnings.clone());
    let order: Vec<String> = sources.iter().map(|(p, _)| p.clone()).collect();
    let mut totals: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_host: BTreeMap<String, BTreeMap<String, Tally>> = BTreeMap::new();
    let mut by_endpoint: BTreeMap<String, BTreeMap<String, Tally>> = BTreeMap::new();
    for (p, records) in sources {
        let total = totals.entry(p.clone()).or_insert_with(|| Tally::new(p));
        for r in records.iter().filter(|r| window.contains(r)) {
            let mut one = Tally::new(p);
            match r.status {
                0 => one.failure("no-answer"),
                s => one.answer(s, r.cache, r.ttfb_ms),
            }
            total.merge(&one);
            for (key, map) in [
                (r.host.clone(), &mut by_host),
                (logs::template(&r.path), &mut by_endpoint),
            ] {
                map.entry(key)
                    .or_default()
                    .entry(p.clone())
                    .or_insert_with(|| Tally::new(p))
                    .merge(&one);
            }
        }
    }
    let round = judge.round(1, &totals)?;
    file.push(RoundRecord {
        started_at: window.from.map(output::timestamp).unwrap_or_default(),
        duration_ms: window.duration_ms(),
        providers: provider_rounds(&order, &totals),
        drift: Vec::new(),
        round,
    });
    let group = |key: String, tallies: BTreeMap<String, Tally>| -> Result<_, WatchError> {
        let mut j = Judge::new(baseline, candidates.clone(), thresholds, 1)?;
        let round = j.round(1, &tallies)?;
        Ok(output::Group {
            key,
            verdict: round.verdict,
            reason: round.reason,
            providers: provider_rounds(&order, &tallies),
        })
    };
    let mut breakdown = output::Breakdown::default();
    for (host, t) in by_host {
        breakdown.hosts.push(group(host, t)?);
    }
    for (template, t) in logs::top_templates(by_endpoint, logs::MAX_TEMPLATES) {
        breakdown.endpoints.push(group(template, t)?);
    }
    file.breakdown = Some(breakdown);
    file.finish();
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        for bad in [
            "",
            "15",
            "m",
            "1.5s",
            "-1s",
            "0s",
            "10 d",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tallies_count_what_the_judge_needs() {
        let mut t = Tally::new("cloudflare");
        t.answer(200, CacheOutcome::Hit, Some(3.0));
        t.answer(200, CacheOutcome::Miss, Some(4.0));
        t.answer(200, CacheOutcome::Uncacheable, Some(5.0));
        t.answer(404, CacheOutcome::Hit, Some(1.0));
        t.answer(503, CacheOutcome::Pass, Some(f64::NAN));
        t.failure("timeout");
        t.failure("timeout");
        let w = &t.window;
        assert_eq!(
            (w.requests, w.transport_errors, w.non_2xx, w.status_5xx),
            (7, 2, 2, 1)
        );
        assert_eq!((w.cacheable, w.hits), (3, 2));
        assert_eq!(w.ttfb_ms, vec![3.0, 4.0, 5.0, 1.0]);
        assert_eq!(t.transport.get("timeout"), Some(&2));
        assert!(w.validate().is_ok());
    }

    #[test]
    fn drift_names_cases_whose_verdict_changed() {
        let last: BTreeMap<String, CaseVerdict> = [
            ("s::a".to_string(), CaseVerdict::Parity),
            ("s::b".to_string(), CaseVerdict::Parity),
        ]
        .into();
        let now = vec![
            ("s::a".to_string(), CaseVerdict::Parity, String::new()),
            (
                "s::b".to_string(),
                CaseVerdict::Differs,
                "status 200 on fastly, 503 on cloudflare".to_string(),
            ),
            ("s::new".to_string(), CaseVerdict::Error, String::new()),
        ];
        let d = drift(&last, &now);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].case.as_str(), d[0].from.as_str()), ("s::b", "parity"));
        assert_eq!(d[0].to, "differs");
    }
}
