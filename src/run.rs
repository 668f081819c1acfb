//! The one way a case runs, shared by `edgeparity run`, `record`,
//! `calibrate` and the libtest runner: send the case's probe to every
//! provider (`probe`, `exec`), prove each answer came from the provider it
//! was meant for (`provider`'s fingerprints), compare (`judge`), confirm a
//! difference on fresh keys, and redact the result before it leaves.
//!
//! A provider that fails becomes this case's error; the run goes on. A
//! difference is an outcome, never an error.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::{self, StreamExt};

use crate::exec::{Executor, SetupError};
use crate::golden::GoldenFile;
use crate::judge::{self, Answers, Observed, Tables};
use crate::model::{
    CaseResult, Confirmation, Exchange, ExchangeError, FailureKind, Kind, Noise, Report, Verdict,
};
use crate::normalize::Normalized;
use crate::plan::{Plan, PlannedCase, RequestSpec};
use crate::provider::{self, FingerprintCheck, Profile};
use crate::redact::Redactor;
use crate::suite::{Environment, FingerprintSetting};

pub use crate::judge::GOLDEN;

/// How a run compares: A/A calibration, confirmation re-runs, and whether
/// the baseline is live or recorded.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Extra baseline answers per case to learn its noise (0: off).
    pub calibrate: u32,
    /// Re-runs of a differing case, each on new cache keys (0: off).
    pub confirm: u32,
    /// Compare every provider against golden files in this folder.
    pub golden: Option<std::path::PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            calibrate: 2,
            confirm: 2,
            golden: None,
        }
    }
}

/// Cases run at once when nobody says (the libtest runner, `watch`).
pub const DEFAULT_JOBS: usize = 16;

/// Everything a run needs, built once.
pub struct RunContext {
    pub env: Environment,
    pub plan: Plan,
    pub exec: Executor,
    pub profiles: BTreeMap<String, Profile>,
    pub fingerprints: BTreeMap<String, FingerprintCheck>,
    pub redactor: Redactor,
    pub severities: crate::severity::Table,
    /// Unique to this run: the first half of every fresh cache key.
    pub run_id: String,
    pub key_counter: AtomicU64,
    pub options: RunOptions,
    /// Loud warnings to print and put in the report (insecure TLS, checks off).
    pub warnings: Vec<String>,
}

impl RunContext {
    /// A context for a run of up to [`DEFAULT_JOBS`] cases at once.
    pub async fn build(env: &Environment, plan: Plan) -> Result<RunContext, SetupError> {
        RunContext::build_for_jobs(env, plan, DEFAULT_JOBS).await
    }

    /// A context whose connection pools fit `jobs` cases at once.
    pub async fn build_for_jobs(
        env: &Environment,
        plan: Plan,
        jobs: usize,
    ) -> Result<RunContext, SetupError> {
        let hosts: Vec<crate::plan::Origin> = plan.hosts.iter().cloned().collect();
        let exec = Executor::build(env, &hosts, jobs).await?;
        let mut profiles = BTreeMap::new();
        let mut fingerprints = BTreeMap::new();
        let mut warnings = Vec::new();
        if env.allow_shared_addresses {
            warnings.push(format!(
                "SHARED ADDRESSES: environment `{}` allows providers to share edge addresses; \
                 a candidate may be compared with the baseline's own edge",
                env.name
            ));
        }
        if env.insecure {
            warnings.push(format!(
                "INSECURE: environment `{}` does not verify TLS certificates",
                env.name
            ));
        }
        for p in &env.providers {
            let profile = provider::profile(&p.kind);
            profiles.insert(p.name.clone(), profile);
            let check = match &p.fingerprint {
                FingerprintSetting::Off => {
                    warnings.push(format!(
                        "FINGERPRINT OFF: answers are not checked to come from `{}`",
                        p.name
                    ));
                    FingerprintCheck::Off
                }
                FingerprintSetting::Custom { header, matches } => {
                    FingerprintCheck::custom(header, matches.clone())
                }
                FingerprintSetting::BuiltIn => match FingerprintCheck::builtin(&profile) {
                    Some(check) => check.map_err(|e| SetupError::Client {
                        provider: p.name.clone(),
                        message: format!("built-in fingerprint pattern: {e}"),
                    })?,
                    None => {
                        warnings.push(format!(
                            "NO FINGERPRINT: `{}` is of unknown kind `{}`; answers cannot be \
                             proven to come from it (set `fingerprint:` or `kind:`)",
                            p.name, p.kind
                        ));
                        FingerprintCheck::Off
                    }
                },
            };
            fingerprints.insert(p.name.clone(), check);
        }
        let redactor = Redactor::new(plan.secrets.clone()).with_cacert(env.ca_file.as_deref());
        Ok(RunContext {
            env: env.clone(),
            plan,
            exec,
            profiles,
            fingerprints,
            redactor,
            severities: crate::severity::Table {
                overrides: env.severities.clone(),
            },
            run_id: new_run_id(),
            key_counter: AtomicU64::new(1),
            options: RunOptions::default(),
            warnings,
        })
    }

    /// The tables the comparison reads.
    pub fn tables(&self) -> Tables<'_> {
        Tables {
            profiles: &self.profiles,
            severities: &self.severities,
            baseline: &self.plan.baseline,
            catalogue: &self.env.hints,
        }
    }

    /// A cache key unique to this run and this use: a retry or a re-check
    /// gets a new one, never the warmed old one.
    pub fn fresh_key(&self) -> String {
        let n = self.key_counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.run_id)
    }

    /// A fresh key when the case busts caches.
    fn key_for(&self, case: &PlannedCase) -> Option<String> {
        crate::probe::busts(case).then(|| self.fresh_key())
    }

    /// Send one request and prove the answer came from `p`: it carries
    /// `p`'s identity, and no other provider's (an edge that sends both
    /// identities proves nothing).
    async fn send_checked(&self, p: &str, req: &RequestSpec) -> Result<Exchange, ExchangeError> {
        let ex = self.exec.send(p, req).await?;
        // The request as sent, and where its answer came from.
        let shown = crate::model::RequestShown {
            method: ex.method.clone(),
            url: ex.url.clone(),
            headers: ex.request_headers.clone(),
            body: ex.request_body.clone(),
        };
        let addrs: Vec<String> = ex.remote_addr.iter().map(|a| a.to_string()).collect();
        let fail = |message: String| {
            ExchangeError::new(p, FailureKind::Fingerprint, message)
                .with_request(shown.clone(), addrs.clone())
        };
        if let Some(check) = self.fingerprints.get(p) {
            check
                .check(&ex.headers)
                .map_err(|why| fail(format!("response did not come from {p}: {why}")))?;
            if !matches!(check, FingerprintCheck::Off) {
                // Only a provider of another kind: two Cloudflare zones
                // both send `cf-ray` by right.
                let kind = |name: &str| self.profiles.get(name).map(|pr| pr.kind);
                let other = self.fingerprints.iter().find(|(name, c)| {
                    name.as_str() != p
                        && kind(name) != kind(p)
                        && !matches!(c, FingerprintCheck::Off)
                        && c.check(&ex.headers).is_ok()
                });
                if let Some((other, _)) = other {
                    return Err(fail(format!(
                        "response carries the identity of both {p} and {other}: it cannot be \
                         told which edge answered"
                    )));
                }
            }
        }
        Ok(ex)
    }
}

/// A short id that differs between runs (time and process id, hashed).
fn new_run_id() -> String {
    use sha2::{Digest, Sha256};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let h = Sha256::digest(format!("{now}-{}", std::process::id()).as_bytes());
    hex::encode(&h[..5])
}

/// Run one case against every provider of the plan: observe, compare, and
/// only when that first comparison differs, calibrate (ask the baseline
/// again to learn its noise) and compare again with what was learned; then
/// re-run a remaining difference on fresh keys to confirm it.
///
/// Calibration is lazy because noise only matters when it would explain a
/// difference: a case at parity costs one request per provider, so 1,000
/// identical single-request cases cost 2,000 requests. `record` and
/// `calibrate` still learn eagerly (`calibrate_on`).
pub async fn run_case(ctx: &RunContext, case: &PlannedCase) -> CaseResult {
    let golden = match load_golden(ctx, case) {
        Ok(g) => g,
        Err(result) => return *result,
    };
    let answers = observe(ctx, case).await;
    let mut noise = match &golden {
        Some(g) => golden_noise(g),
        None => Noise::default(),
    };
    let tables = ctx.tables();
    let mut first = judge::evaluate(&tables, case, &answers, golden.as_ref(), &mut noise);
    if golden.is_none() && first.verdict == Verdict::Differs && ctx.options.calibrate > 0 {
        noise = calibrate(ctx, case, &answers).await;
        if !noise.is_empty() {
            first = judge::evaluate(&tables, case, &answers, None, &mut noise);
        }
    }
    if first.verdict == Verdict::Differs && ctx.options.confirm > 0 {
        confirm(ctx, case, golden.as_ref(), &noise, &mut first).await;
    }
    ctx.redactor.redact_result(&mut first);
    first
}

/// The noise a golden file was recorded with, its body template included.
fn golden_noise(g: &GoldenFile) -> Noise {
    let mut noise = g.noise.clone();
    noise.body = g.responses.first().and_then(|r| match &r.body {
        crate::golden::GoldenBody::Text { text } => crate::noise::golden_body(text),
        _ => None,
    });
    noise
}

/// The case's golden file when the run compares against golden files;
/// `Err` is the case's finished result (no golden file, or unreadable).
fn load_golden(
    ctx: &RunContext,
    case: &PlannedCase,
) -> Result<Option<GoldenFile>, Box<CaseResult>> {
    let Some(dir) = &ctx.options.golden else {
        return Ok(None);
    };
    let path = crate::golden::path_for(dir, &case.suite, &case.case.name);
    let (verdict, error) = match crate::golden::load(&path) {
        Ok(Some(g)) => return Ok(Some(g)),
        Ok(None) => (
            Verdict::NoGolden,
            format!(
                "no golden file at {} (record one with `edgeparity record`)",
                path.display()
            ),
        ),
        Err(e) => (Verdict::Error, e.to_string()),
    };
    Err(Box::new(CaseResult {
        id: case.id.clone(),
        suite: case.suite.to_string(),
        name: case.case.name.clone(),
        group: case.group(),
        baseline: None,
        verdict,
        differences: Vec::new(),
        error: Some(error),
        failures: Vec::new(),
        responses: Vec::new(),
        probes: BTreeMap::new(),
        noise: Noise::default(),
        confirm: None,
        expect: None,
        ignore_matched: None,
    }))
}

/// Re-run a differing case on fresh keys: `differs` holds only when every
/// re-run finds the same differences; otherwise the case is `flaky`.
async fn confirm(
    ctx: &RunContext,
    case: &PlannedCase,
    golden: Option<&GoldenFile>,
    noise: &Noise,
    first: &mut CaseResult,
) {
    let signature = |r: &CaseResult| -> BTreeSet<(String, Kind, Option<String>)> {
        r.differences.iter().map(|d| d.signature()).collect()
    };
    let want = signature(first);
    let mut confirmation = Confirmation {
        reruns: 0,
        agreed: 0,
    };
    let tables = ctx.tables();
    for _ in 0..ctx.options.confirm {
        let answers = observe(ctx, case).await;
        let mut n = noise.clone();
        let again = judge::evaluate(&tables, case, &answers, golden, &mut n);
        confirmation.reruns += 1;
        if again.verdict == Verdict::Differs && signature(&again) == want {
            confirmation.agreed += 1;
        } else {
            break;
        }
    }
    if confirmation.agreed < confirmation.reruns {
        first.verdict = Verdict::Flaky;
    }
    first.confirm = Some(confirmation);
}

/// A/A calibration: ask the baseline the case's first request again, on
/// fresh keys where the case busts caches, and learn what varies by itself.
pub async fn calibrate(ctx: &RunContext, case: &PlannedCase, answers: &Answers) -> Noise {
    calibrate_on(
        ctx,
        case,
        answers,
        &ctx.plan.baseline,
        ctx.options.calibrate,
    )
    .await
}

/// `calibrate`, on any provider, with `extra_answers` more answers.
pub async fn calibrate_on(
    ctx: &RunContext,
    case: &PlannedCase,
    answers: &Answers,
    baseline: &str,
    extra_answers: u32,
) -> Noise {
    if extra_answers == 0 {
        return Noise::default();
    }
    let Some(first) = answers
        .iter()
        .find(|(p, _)| p == baseline)
        .and_then(|(_, r)| r.as_ref().ok())
        .and_then(|l| l.first())
    else {
        return Noise::default();
    };
    let tables = ctx.tables();
    let extra = crate::probe::first_extra(case);
    let mut samples = vec![judge::normalize_answer(&tables, case, &first.exchange)];
    for _ in 0..extra_answers {
        let key = ctx.key_for(case);
        let req = crate::probe::request(case, key.as_deref(), extra);
        if let Ok(ex) = ctx.send_checked(baseline, &req).await {
            samples.push(judge::normalize_answer(&tables, case, &ex));
        }
    }
    let refs: Vec<&Normalized> = samples.iter().collect();
    crate::noise::learn(&refs)
}

/// Record one case's behaviour on one provider as a golden file (calibrated,
/// so volatile fields are left out and listed as noise).
pub async fn record_case(
    ctx: &RunContext,
    case: &PlannedCase,
    provider_name: &str,
) -> Result<GoldenFile, ExchangeError> {
    let providers = vec![provider_name.to_string()];
    let answers = observe_on(ctx, case, &providers).await;
    let extra = ctx.options.calibrate.max(1);
    let noise = calibrate_on(ctx, case, &answers, provider_name, extra).await;
    let tables = ctx.tables();
    let (seen, failures, _) = judge::sides(&tables, case, &answers);
    if let Some(f) = failures.into_iter().next() {
        return Err(f);
    }
    let mut n = noise.clone();
    let (_, probes) = judge::judge(case, provider_name, provider_name, &[], &seen, &mut n);
    let list = seen.get(provider_name).cloned().unwrap_or_default();
    let recordings: Vec<crate::golden::Recording> = list
        .iter()
        .map(|o| crate::golden::Recording {
            label: o.label,
            norm: &o.norm,
            cache: &o.cache,
            probes_cache: matches!(case.case.probe, crate::suite::Probe::Sequence { .. }),
        })
        .collect();
    // The host this provider is asked for (its own `host:`, if any).
    let asked = ctx
        .env
        .providers
        .iter()
        .find(|p| p.name == provider_name)
        .map(|p| {
            crate::plan::Origin::of(&case.request.url)
                .for_provider(&p.endpoint)
                .host
        })
        .unwrap_or_else(|| case.case.host.clone());
    let addrs = ctx
        .exec
        .resolutions
        .iter()
        .filter(|r| r.provider == provider_name && r.host == asked)
        .flat_map(|r| r.addrs.iter().map(|a| a.to_string()))
        .collect();
    let vary = probes
        .get(provider_name)
        .map(|p| p.vary.clone())
        .unwrap_or_default();
    let now = jiff::Timestamp::now();
    Ok(crate::golden::record(
        crate::golden::Source {
            case_id: &case.id,
            method: case.case.method.as_str(),
            path: &case.case.path,
            recorded: crate::golden::Recorded {
                at: now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
                environment: ctx.env.name.clone(),
                provider: provider_name.to_string(),
                addrs,
                edgeparity: env!("CARGO_PKG_VERSION").to_string(),
            },
            observed: &recordings,
            vary: &vary,
            noise: &noise,
        },
        &ctx.redactor,
    ))
}

/// Send what the case's probe asks for, to every provider at once (each
/// provider's own requests in order). Keys are chosen once for all
/// providers, so every provider sees the same URLs.
pub async fn observe(ctx: &RunContext, case: &PlannedCase) -> Answers {
    observe_on(ctx, case, &case.providers).await
}

/// `observe`, for the providers named.
pub async fn observe_on(ctx: &RunContext, case: &PlannedCase, providers: &[String]) -> Answers {
    let steps = crate::probe::steps(case, &mut || ctx.key_for(case));
    let steps = &steps;
    let sends = providers.iter().map(|p| async move {
        let mut got = Vec::new();
        for step in steps {
            if step.pause_ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(step.pause_ms)).await;
            }
            let revalidated;
            let request = if step.label == crate::model::Label::Conditional {
                // With the validators this provider's GET returned; none:
                // nothing to revalidate with (the judge says so).
                let get = got.iter().find(|o: &&Observed| o.label.is_main());
                match get.and_then(|o| crate::probe::revalidation(&step.request, &o.exchange)) {
                    Some(r) => {
                        revalidated = r;
                        &revalidated
                    }
                    None => continue,
                }
            } else {
                &step.request
            };
            match ctx.send_checked(p, request).await {
                Ok(exchange) => got.push(Observed {
                    label: step.label,
                    exchange,
                }),
                Err(e) => return (p.clone(), Err(e)),
            }
        }
        (p.clone(), Ok(got))
    });
    futures_util::future::join_all(sends).await
}

/// Run cases concurrently (up to `jobs` at once), results in plan order.
/// `on_done` sees each result as it completes (progress output).
pub async fn run_all(
    ctx: &RunContext,
    cases: &[PlannedCase],
    jobs: usize,
    mut on_done: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    run_each(ctx, cases, jobs, |i, r| {
        on_done(&r);
        results[i] = Some(r);
    })
    .await;
    results.into_iter().flatten().collect()
}

/// Run cases concurrently (up to `jobs` at once), handing each result to
/// `on_done` with its plan position as it completes, and keeping none: a
/// run of 100,000 cases spools them (`spool`) instead of holding them.
pub async fn run_each(
    ctx: &RunContext,
    cases: &[PlannedCase],
    jobs: usize,
    mut on_done: impl FnMut(usize, CaseResult),
) {
    let mut stream = stream::iter(cases.iter().enumerate())
        .map(|(i, c)| async move { (i, run_case(ctx, c).await) })
        .buffer_unordered(jobs.max(1));
    while let Some((i, r)) = stream.next().await {
        on_done(i, r);
    }
}

/// The report of a finished run (its cases in plan order).
pub fn build_report(
    ctx: &RunContext,
    cases: Vec<CaseResult>,
    started_at: jiff::Timestamp,
    duration: std::time::Duration,
) -> Report {
    let mut totals = Totals::new(&ctx.plan);
    for (i, c) in cases.iter().enumerate() {
        totals.add(i, c);
    }
    let totals = totals.finish(&provider_info(ctx), &ctx.warnings);
    let mut report = report_head(ctx, started_at, duration, totals);
    report.cases = cases;
    report
}

/// The providers of the run, with what was found for their addresses.
pub fn provider_info(ctx: &RunContext) -> Vec<crate::model::ProviderInfo> {
    use crate::model::ProviderInfo;
    ctx.env
        .providers
        .iter()
        .map(|p| ProviderInfo {
            name: p.name.clone(),
            kind: p.kind.clone(),
            baseline: p.name == ctx.env.baseline,
            resolutions: ctx
                .exec
                .resolutions
                .iter()
                .filter(|r| r.provider == p.name)
                .cloned()
                .collect(),
        })
        .collect()
}

/// What a run counts over its cases as they finish (so that no case has to
/// be kept for it): the summary, the latency rows, how much each ignore
/// rule was used and the provider-wide outages.
pub struct Totals<'a> {
    plan: &'a Plan,
    summary: crate::model::Summary,
    latency: crate::model::report::LatencyAcc,
    outages: crate::model::OutageAcc,
    uses: BTreeMap<&'a crate::suite::IgnoreRule, (usize, usize)>,
}

/// [`Totals`], finished.
#[derive(Debug, Clone)]
pub struct RunTotals {
    pub summary: crate::model::Summary,
    pub latency: Vec<crate::model::Latency>,
    pub ignore_rules: Vec<crate::model::IgnoreRuleUse>,
    /// The run's warnings, then one per unused ignore rule and one per
    /// provider-wide outage.
    pub warnings: Vec<String>,
}

impl<'a> Totals<'a> {
    pub fn new(plan: &'a Plan) -> Totals<'a> {
        Totals {
            plan,
            summary: Default::default(),
            latency: Default::default(),
            outages: Default::default(),
            uses: BTreeMap::new(),
        }
    }

    /// Count the case at plan position `at`.
    pub fn add(&mut self, at: usize, r: &CaseResult) {
        self.summary.add(r.verdict);
        self.latency.add(r);
        self.outages.add(r);
        let planned = self.plan.cases.get(at).filter(|p| p.id == r.id);
        if let (Some(p), Some(matched)) = (planned, &r.ignore_matched) {
            for (rule, hit) in p.case.ignore_rules.iter().zip(matched) {
                let e = self.uses.entry(rule).or_default();
                e.0 += 1;
                e.1 += usize::from(*hit);
            }
        }
    }

    pub fn finish(
        self,
        providers: &[crate::model::ProviderInfo],
        warnings: &[String],
    ) -> RunTotals {
        let ignore_rules: Vec<crate::model::IgnoreRuleUse> = self
            .uses
            .into_iter()
            .map(|(rule, (cases, matched))| crate::model::IgnoreRuleUse {
                file: rule.file.display().to_string(),
                line: rule.line,
                key: rule.key.clone(),
                pattern: rule.pattern.clone(),
                cases,
                matched,
            })
            .collect();
        let mut warnings = crate::model::with_unused_rule_warnings(warnings, &ignore_rules);
        warnings.extend(self.outages.finish());
        RunTotals {
            summary: self.summary,
            latency: self.latency.finish(providers),
            ignore_rules,
            warnings,
        }
    }
}

/// Everything of a run's report but its cases (given apart: a run's
/// spool, or `build_report`'s list).
pub fn report_head(
    ctx: &RunContext,
    started_at: jiff::Timestamp,
    duration: std::time::Duration,
    totals: RunTotals,
) -> Report {
    Report {
        schema_version: crate::model::SCHEMA_VERSION,
        tool: crate::model::tool(),
        environment: ctx.env.name.clone(),
        baseline: ctx.env.baseline.clone(),
        config_digest: ctx.plan.config_digest.clone(),
        shard: ctx.plan.shard,
        started_at: started_at
            .round(jiff::Unit::Second)
            .unwrap_or(started_at)
            .to_string(),
        duration_ms: duration.as_millis() as u64,
        insecure: ctx.env.insecure,
        warnings: totals.warnings,
        latency: totals.latency,
        ignore_rules: totals.ignore_rules,
        providers: provider_info(ctx),
        cases: Vec::new(),
        summary: totals.summary,
    }
}
