//! The one way a case runs, shared by `edgeparity run` and the libtest
//! runner: send the case to every provider, prove each answer came from the
//! provider it was meant for, normalise, compare with the baseline, redact.
//!
//! A provider that fails becomes this case's error; the run goes on. A
//! difference is an outcome, never an error.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::cache::VaryFinding;
use crate::compare::{compare, Difference, Kind};
use crate::exec::{Exchange, ExchangeError, Executor, FailureKind, SetupError};
use crate::normalize::{normalize, Normalized, Rules};
use crate::plan::{Plan, PlannedCase, RequestSpec};
use crate::provider::{self, Profile};
use crate::redact::Redactor;
use crate::suite::{Bust, Environment, Expectation, FingerprintSetting, Probe};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Parity,
    Differs,
    /// Confirmation re-runs disagreed: sometimes different, sometimes not.
    Flaky,
    /// Compared against golden files, and this case has none.
    NoGolden,
    Error,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Parity,
        Verdict::Differs,
        Verdict::Flaky,
        Verdict::NoGolden,
        Verdict::Error,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Parity => "parity",
            Verdict::Differs => "differs",
            Verdict::Flaky => "flaky",
            Verdict::NoGolden => "no-golden",
            Verdict::Error => "error",
        }
    }
}

/// What one provider answered, as the report shows it (no body bytes).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ResponseSummary {
    pub provider: String,
    /// Which request of the probe: `request`, `sequence[i]`, `vary[i]`, `ref[i]`.
    pub label: String,
    pub status: u16,
    pub version: String,
    pub remote_addr: Option<String>,
    pub ttfb_ms: f64,
    pub total_ms: f64,
    pub body_bytes: u64,
    pub content_encoding: Vec<String>,
    /// The normalised cache outcome, with the raw header values it was read from.
    pub cache: provider::CacheReading,
    /// Identity and cache headers of this answer, redacted.
    pub aside: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub suite: String,
    pub name: String,
    pub verdict: Verdict,
    pub differences: Vec<Difference>,
    pub error: Option<String>,
    /// Every provider failure of this case (`error` joins them).
    pub failures: Vec<ExchangeError>,
    pub responses: Vec<ResponseSummary>,
    /// Per provider: cache outcomes, Vary findings, encodings chosen.
    pub probes: BTreeMap<String, ProbeSummary>,
    /// What A/A calibration found volatile on the baseline, and how many
    /// differences that absorbed. Listed so that nothing is hidden silently.
    #[serde(default)]
    pub noise: crate::noise::Noise,
    /// Confirmation re-runs of a difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Confirmation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expectation>,
}

/// A provider's fingerprint, ready to check.
#[derive(Debug, Clone)]
pub enum FingerprintCheck {
    Off,
    Header {
        header: String,
        regex: Option<regex::Regex>,
        describe: String,
    },
}

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
    pub key_counter: std::sync::atomic::AtomicU64,
    pub options: RunOptions,
    /// Loud warnings to print and put in the report (insecure TLS, checks off).
    pub warnings: Vec<String>,
}

impl RunContext {
    pub async fn build(env: &Environment, plan: Plan) -> Result<RunContext, SetupError> {
        let hosts: Vec<(String, u16)> = plan.hosts.iter().cloned().collect();
        let exec = Executor::build(env, &hosts).await?;
        let mut profiles = BTreeMap::new();
        let mut fingerprints = BTreeMap::new();
        let mut warnings = Vec::new();
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
                FingerprintSetting::Custom { header, matches } => FingerprintCheck::Header {
                    header: header.clone(),
                    regex: matches.as_deref().and_then(|m| regex::Regex::new(m).ok()),
                    describe: match matches {
                        Some(m) => format!("a {header} header matching /{m}/"),
                        None => format!("a {header} header"),
                    },
                },
                FingerprintSetting::BuiltIn => match profile.fingerprint {
                    Some(fp) => FingerprintCheck::Header {
                        header: fp.header.to_string(),
                        regex: fp.matches.and_then(|m| regex::Regex::new(m).ok()),
                        describe: fp.describe.to_string(),
                    },
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
        let redactor = Redactor::new(plan.secrets.clone());
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
            key_counter: std::sync::atomic::AtomicU64::new(1),
            options: RunOptions::default(),
            warnings,
        })
    }

    fn profiles(&self) -> Vec<Profile> {
        self.profiles.values().copied().collect()
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

/// Does this answer prove it came from `provider`?
pub fn check_fingerprint(
    ex: &Exchange,
    provider: &str,
    check: &FingerprintCheck,
) -> Result<(), ExchangeError> {
    let FingerprintCheck::Header {
        header,
        regex,
        describe,
    } = check
    else {
        return Ok(());
    };
    let fail = |why: String| ExchangeError {
        provider: provider.to_string(),
        kind: FailureKind::Fingerprint,
        message: format!("response did not come from {provider}: {why} (expected {describe})"),
    };
    let values: Vec<&str> = ex.header_values(header).collect();
    if values.is_empty() {
        return Err(fail(format!("no {header} header")));
    }
    if let Some(re) = regex {
        if !values.iter().any(|v| re.is_match(v.trim())) {
            return Err(fail(format!("{header}: {}", values.join(", "))));
        }
    }
    Ok(())
}

/// One response of a probe, with what it is (`request`, `sequence[1]`,
/// `vary[2]`, `ref[2]`).
#[derive(Debug, Clone)]
pub struct Observed {
    pub label: String,
    pub exchange: Exchange,
}

pub type Answers = Vec<(String, Result<Vec<Observed>, ExchangeError>)>;

/// What one provider's cache did during a probe.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, Default)]
pub struct ProbeSummary {
    /// Cache outcome of each request of a sequence (or of the single request).
    pub cache: Vec<provider::CacheOutcome>,
    /// Vary findings, for every value after the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vary: Vec<VaryFinding>,
    /// Content-Encoding chosen per Accept-Encoding value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<(String, String)>,
}

impl RunContext {
    /// A cache key unique to this run and this use: a retry or a re-check
    /// gets a new one, never the warmed old one.
    pub fn fresh_key(&self) -> String {
        let n = self
            .key_counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}-{n}", self.run_id)
    }

    /// The case's request with a fresh key (or none, for `bust: none`) and
    /// extra headers.
    fn request(
        &self,
        case: &PlannedCase,
        key: Option<&str>,
        extra: Option<(&str, &str)>,
    ) -> RequestSpec {
        let mut req = case.request.clone();
        if let Some(key) = key {
            match case.case.bust {
                Bust::None => {}
                Bust::Query => {
                    req.url.query_pairs_mut().append_pair("edgeparity", key);
                }
                Bust::Path => {
                    let path = format!("/edgeparity-{key}{}", req.url.path());
                    req.url.set_path(&path);
                }
            }
        }
        if let Some((name, value)) = extra {
            req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            req.headers.push((name.to_string(), value.to_string()));
        }
        req
    }

    async fn send_checked(&self, p: &str, req: &RequestSpec) -> Result<Exchange, ExchangeError> {
        let ex = self.exec.send(p, req).await?;
        if let Some(check) = self.fingerprints.get(p) {
            check_fingerprint(&ex, p, check)?;
        }
        Ok(ex)
    }
}

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

/// The name differences use for a recorded baseline.
pub const GOLDEN: &str = "golden";

/// How confirmation re-runs went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Confirmation {
    /// Re-runs made.
    pub reruns: u32,
    /// Of those, how many found the same differences again.
    pub agreed: u32,
}

/// Run one case against every provider of the plan: observe, calibrate,
/// compare, and re-run a difference to confirm it.
pub async fn run_case(ctx: &RunContext, case: &PlannedCase) -> CaseResult {
    let golden = match &ctx.options.golden {
        None => None,
        Some(dir) => {
            match crate::golden::load(&crate::golden::path_for(dir, &case.suite, &case.case.name)) {
                Ok(Some(g)) => Some(g),
                Ok(None) => return no_golden(ctx, case, dir),
                Err(e) => {
                    let mut r = no_golden(ctx, case, dir);
                    r.verdict = Verdict::Error;
                    r.error = Some(e.to_string());
                    return r;
                }
            }
        }
    };
    let answers = observe(ctx, case).await;
    let mut noise = match &golden {
        Some(g) => g.noise.clone(),
        None => calibrate(ctx, case, &answers).await,
    };
    let first = evaluate(ctx, case, answers, golden.as_ref(), &mut noise);
    if first.verdict != Verdict::Differs || ctx.options.confirm == 0 {
        return first;
    }
    let signature = |r: &CaseResult| -> std::collections::BTreeSet<(String, Kind, Option<String>)> {
        r.differences
            .iter()
            .map(|d| (d.provider.clone(), d.kind, d.field.clone()))
            .collect()
    };
    let want = signature(&first);
    let mut confirmation = Confirmation {
        reruns: 0,
        agreed: 0,
    };
    for _ in 0..ctx.options.confirm {
        let answers = observe(ctx, case).await;
        let mut n = noise.clone();
        let again = evaluate(ctx, case, answers, golden.as_ref(), &mut n);
        confirmation.reruns += 1;
        if again.verdict == Verdict::Differs && signature(&again) == want {
            confirmation.agreed += 1;
        } else {
            break;
        }
    }
    let mut result = first;
    if confirmation.agreed < confirmation.reruns {
        result.verdict = Verdict::Flaky;
    }
    result.confirm = Some(confirmation);
    result
}

fn no_golden(ctx: &RunContext, case: &PlannedCase, dir: &std::path::Path) -> CaseResult {
    let path = crate::golden::path_for(dir, &case.suite, &case.case.name);
    CaseResult {
        id: case.id.clone(),
        suite: case.suite.clone(),
        name: case.case.name.clone(),
        verdict: Verdict::NoGolden,
        differences: Vec::new(),
        error: Some(format!(
            "no golden file at {} (record one with `edgeparity record`)",
            path.display()
        )),
        failures: Vec::new(),
        responses: Vec::new(),
        probes: BTreeMap::new(),
        noise: crate::noise::Noise::default(),
        confirm: None,
        expect: case
            .case
            .expect
            .clone()
            .filter(|_| ctx.options.golden.is_none()),
    }
}

/// A/A calibration: ask the baseline the case's first request again, on
/// fresh keys where the case busts caches, and learn what varies by itself.
pub async fn calibrate(
    ctx: &RunContext,
    case: &PlannedCase,
    answers: &Answers,
) -> crate::noise::Noise {
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
) -> crate::noise::Noise {
    if extra_answers == 0 {
        return Default::default();
    }
    let Some(first) = answers
        .iter()
        .find(|(p, _)| p == baseline)
        .and_then(|(_, r)| r.as_ref().ok())
        .and_then(|l| l.first())
    else {
        return Default::default();
    };
    let extra = match &case.case.probe {
        Probe::Vary { header, values } => values.first().map(|v| (header.as_str(), v.as_str())),
        _ => None,
    };
    let rules = rules_of(case);
    let profiles = ctx.profiles();
    let mut samples = vec![normalize(&first.exchange, &profiles, &rules)];
    for _ in 0..extra_answers {
        let key = (case.case.bust != Bust::None).then(|| ctx.fresh_key());
        let req = ctx.request(case, key.as_deref(), extra);
        if let Ok(ex) = ctx.send_checked(baseline, &req).await {
            samples.push(normalize(&ex, &profiles, &rules));
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
) -> Result<crate::golden::GoldenFile, ExchangeError> {
    let providers = vec![provider_name.to_string()];
    let answers = observe_on(ctx, case, &providers).await;
    let noise = calibrate_on(
        ctx,
        case,
        &answers,
        provider_name,
        ctx.options.calibrate.max(1),
    )
    .await;
    let (seen, failures, _) = sides(ctx, case, &answers);
    if let Some(f) = failures.into_iter().next() {
        return Err(f);
    }
    let mut n = noise.clone();
    let (_, probes) = judge(case, provider_name, &[], &seen, &mut n);
    let list = seen.get(provider_name).cloned().unwrap_or_default();
    let recordings: Vec<crate::golden::Recording> = list
        .iter()
        .map(|o| crate::golden::Recording {
            label: &o.label,
            norm: &o.norm,
            cache: &o.cache,
        })
        .collect();
    let addrs = ctx
        .exec
        .resolutions
        .iter()
        .filter(|r| r.provider == provider_name && r.host == case.host)
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

fn rules_of(case: &PlannedCase) -> Rules {
    Rules {
        ignore_headers: case.case.ignore_headers.clone(),
        ignore_json: case.case.ignore_json.clone(),
    }
}

/// Send what the case's probe asks for, to every provider at once (each
/// provider's own requests in order). Keys are chosen once for all
/// providers, so every provider sees the same URLs.
pub async fn observe(ctx: &RunContext, case: &PlannedCase) -> Answers {
    observe_on(ctx, case, &case.providers).await
}

/// `observe`, for the providers named.
pub async fn observe_on(ctx: &RunContext, case: &PlannedCase, providers: &[String]) -> Answers {
    let busting = case.case.bust != Bust::None;
    let main_key = busting.then(|| ctx.fresh_key());
    let main_key = main_key.as_deref();
    let plan: Vec<(String, RequestSpec, u64)> = match &case.case.probe {
        Probe::Single => vec![("request".into(), ctx.request(case, main_key, None), 0)],
        Probe::Sequence {
            count, pause_ms, ..
        } => (0..*count)
            .map(|i| {
                (
                    format!("sequence[{i}]"),
                    ctx.request(case, main_key, None),
                    if i == 0 { 0 } else { *pause_ms },
                )
            })
            .collect(),
        Probe::Vary { header, values } => {
            let mut v: Vec<(String, RequestSpec, u64)> = values
                .iter()
                .enumerate()
                .map(|(i, val)| {
                    (
                        format!("vary[{i}]"),
                        ctx.request(case, main_key, Some((header, val))),
                        0,
                    )
                })
                .collect();
            if header != "accept-encoding" {
                for (i, val) in values.iter().enumerate().skip(1) {
                    let key = busting.then(|| ctx.fresh_key());
                    v.push((
                        format!("ref[{i}]"),
                        ctx.request(case, key.as_deref(), Some((header, val))),
                        0,
                    ));
                }
            }
            v
        }
    };
    let plan = &plan;
    let sends = providers.iter().map(|p| async move {
        let mut got = Vec::new();
        for (label, req, pause) in plan {
            if *pause > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(*pause)).await;
            }
            match ctx.send_checked(p, req).await {
                Ok(exchange) => got.push(Observed {
                    label: label.clone(),
                    exchange,
                }),
                Err(e) => return (p.clone(), Err(e)),
            }
        }
        (p.clone(), Ok(got))
    });
    futures_util::future::join_all(sends).await
}

/// One response as the comparison sees it.
#[derive(Debug, Clone)]
pub struct Obs {
    pub label: String,
    pub norm: Normalized,
    pub cache: provider::CacheReading,
    /// Raw Set-Cookie lines, even when the suite ignores the header.
    pub set_cookie: Vec<String>,
}

/// Normalise every answer; failures and report summaries on the side.
pub fn sides(
    ctx: &RunContext,
    case: &PlannedCase,
    answers: &Answers,
) -> (
    BTreeMap<String, Vec<Obs>>,
    Vec<ExchangeError>,
    Vec<ResponseSummary>,
) {
    let rules = rules_of(case);
    let all_profiles = ctx.profiles();
    let mut failures = Vec::new();
    let mut responses = Vec::new();
    let mut seen = BTreeMap::new();
    for (p, r) in answers {
        match r {
            Ok(list) => {
                let kind = ctx.profiles.get(p).map(|pr| pr.kind).unwrap_or("unknown");
                let mut v = Vec::new();
                for o in list {
                    let norm = normalize(&o.exchange, &all_profiles, &rules);
                    let cache = provider::read_cache(kind, &o.exchange.headers);
                    responses.push(ResponseSummary {
                        provider: p.clone(),
                        label: o.label.clone(),
                        status: o.exchange.status,
                        version: o.exchange.version.clone(),
                        remote_addr: o.exchange.remote_addr.map(|a| a.to_string()),
                        ttfb_ms: round(o.exchange.timing.ttfb_ms),
                        total_ms: round(o.exchange.timing.total_ms),
                        body_bytes: o.exchange.body.raw_len,
                        content_encoding: o.exchange.body.encodings.clone(),
                        cache: cache.clone(),
                        aside: norm.aside.clone(),
                    });
                    v.push(Obs {
                        label: o.label.clone(),
                        set_cookie: o
                            .exchange
                            .header_values("set-cookie")
                            .map(str::to_string)
                            .collect(),
                        norm,
                        cache,
                    });
                }
                seen.insert(p.clone(), v);
            }
            Err(e) => failures.push(e.clone()),
        }
    }
    (seen, failures, responses)
}

/// A golden file as the baseline's side.
fn golden_side(g: &crate::golden::GoldenFile) -> Vec<Obs> {
    g.responses
        .iter()
        .map(|r| Obs {
            label: r.label.clone(),
            norm: crate::golden::to_normalized(r),
            cache: provider::CacheReading {
                outcome: r.cache,
                raw: Default::default(),
                age: None,
            },
            set_cookie: Vec::new(),
        })
        .collect()
}

/// Compare the answers of one case (pure apart from the context's tables).
pub fn evaluate(
    ctx: &RunContext,
    case: &PlannedCase,
    answers: Answers,
    golden: Option<&crate::golden::GoldenFile>,
    noise: &mut crate::noise::Noise,
) -> CaseResult {
    let (mut seen, failures, responses) = sides(ctx, case, &answers);
    let (baseline, candidates): (String, Vec<String>) = match golden {
        Some(g) => {
            seen.insert(GOLDEN.to_string(), golden_side(g));
            (GOLDEN.to_string(), case.providers.clone())
        }
        None => (
            ctx.plan.baseline.clone(),
            case.providers
                .iter()
                .filter(|p| **p != ctx.plan.baseline)
                .cloned()
                .collect(),
        ),
    };
    let (mut differences, mut probes) = judge(case, &baseline, &candidates, &seen, noise);
    if let Some(g) = golden {
        probes.insert(
            GOLDEN.to_string(),
            ProbeSummary {
                cache: g.responses.iter().map(|r| r.cache).collect(),
                vary: g.vary.clone(),
                encodings: Vec::new(),
            },
        );
        // The recorded findings stand in for the baseline's.
        if let Probe::Vary { header, .. } = &case.case.probe {
            if header != "accept-encoding" {
                let display = header_display(case, header);
                for p in &candidates {
                    let cf = probes.get(p).map(|s| s.vary.clone()).unwrap_or_default();
                    differences.extend(crate::cache::vary_diffs(&display, GOLDEN, &g.vary, p, &cf));
                }
            }
        }
    }
    for d in &mut differences {
        d.severity = ctx.severities.severity(d.kind, d.field.as_deref());
    }
    let error = (!failures.is_empty()).then(|| {
        failures
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    });
    let verdict = if !differences.is_empty() {
        Verdict::Differs
    } else if error.is_some() {
        Verdict::Error
    } else {
        Verdict::Parity
    };
    let mut result = CaseResult {
        id: case.id.clone(),
        suite: case.suite.clone(),
        name: case.case.name.clone(),
        verdict,
        differences,
        error,
        failures,
        responses,
        probes,
        noise: noise.clone(),
        confirm: None,
        expect: case.case.expect.clone(),
    };
    ctx.redactor.redact_result(&mut result);
    result
}

fn header_display(case: &PlannedCase, header: &str) -> String {
    case.request
        .headers
        .iter()
        .map(|(k, _)| k.as_str())
        .find(|k| k.eq_ignore_ascii_case(header))
        .map(str::to_string)
        .unwrap_or_else(|| display_header(header))
}

/// The comparison itself: every check of the case's probe, baseline side
/// against each candidate side. Pure.
pub fn judge(
    case: &PlannedCase,
    baseline: &str,
    candidates: &[String],
    seen: &BTreeMap<String, Vec<Obs>>,
    noise: &mut crate::noise::Noise,
) -> (Vec<Difference>, BTreeMap<String, ProbeSummary>) {
    let mut differences = Vec::new();
    let mut probes = BTreeMap::new();
    let main_of = |list: &[Obs]| -> Vec<Obs> {
        list.iter()
            .filter(|s| !s.label.starts_with("ref["))
            .cloned()
            .collect()
    };
    // Per provider: findings of its own (cookies on hits, broken expects).
    for (p, list) in seen.iter().filter(|(p, _)| *p != GOLDEN) {
        for o in list {
            if o.cache.outcome == provider::CacheOutcome::Hit && !o.set_cookie.is_empty() {
                differences.push(crate::cache::cookie_on_hit(p, &o.label, &o.set_cookie));
            }
        }
        let main = main_of(list);
        let mut summary = ProbeSummary {
            cache: main.iter().map(|s| s.cache.outcome).collect(),
            ..ProbeSummary::default()
        };
        match &case.case.probe {
            Probe::Sequence {
                expect: Some(expect),
                ..
            } => {
                let readings: Vec<_> = main.iter().map(|s| s.cache.clone()).collect();
                differences.extend(crate::cache::expect_diffs(p, &readings, expect));
            }
            Probe::Vary { header, values } if header == "accept-encoding" => {
                let obs: Vec<&Normalized> = main.iter().map(|s| &s.norm).collect();
                differences.extend(crate::cache::encoding_diffs(p, values, &obs));
                summary.encodings = values
                    .iter()
                    .zip(&main)
                    .map(|(v, s)| {
                        let enc = if s.norm.encodings.is_empty() {
                            "identity".to_string()
                        } else {
                            s.norm.encodings.join(", ")
                        };
                        (v.clone(), enc)
                    })
                    .collect();
            }
            Probe::Vary { values, .. } => {
                let m: Vec<(&Normalized, provider::CacheOutcome)> =
                    main.iter().map(|s| (&s.norm, s.cache.outcome)).collect();
                let refs: Vec<Option<&Normalized>> = (0..values.len())
                    .map(|i| {
                        let want = format!("ref[{i}]");
                        list.iter().find(|s| s.label == want).map(|s| &s.norm)
                    })
                    .collect();
                summary.vary = crate::cache::vary_findings(values, &m, &refs);
            }
            _ => {}
        }
        probes.insert(p.clone(), summary);
    }

    let Some(b) = seen.get(baseline) else {
        return (differences, probes);
    };
    let bm = main_of(b);
    for p in candidates {
        let Some(c) = seen.get(p) else { continue };
        let cm = main_of(c);
        match &case.case.probe {
            Probe::Vary { header, values } if header == "accept-encoding" => {
                for ((v, bs), cs) in values.iter().zip(&bm).zip(&cm) {
                    let found = compare(&bs.norm, &cs.norm, baseline, p);
                    for mut d in crate::noise::filter(noise, found, &bs.norm, &cs.norm) {
                        d.context = Some(format!("accept-encoding: {v}"));
                        differences.push(d);
                    }
                }
            }
            _ => {
                if let (Some(bs), Some(cs)) = (bm.first(), cm.first()) {
                    let found = compare(&bs.norm, &cs.norm, baseline, p);
                    differences.extend(crate::noise::filter(noise, found, &bs.norm, &cs.norm));
                }
            }
        }
        if matches!(case.case.probe, Probe::Sequence { .. }) {
            let br: Vec<_> = bm.iter().map(|s| s.cache.clone()).collect();
            let cr: Vec<_> = cm.iter().map(|s| s.cache.clone()).collect();
            differences.extend(crate::cache::sequence_diffs(baseline, &br, p, &cr));
            let bt: Vec<_> = bm
                .iter()
                .map(|s| (s.cache.clone(), crate::cache::ttl(&s.norm)))
                .collect();
            let ct: Vec<_> = cm
                .iter()
                .map(|s| (s.cache.clone(), crate::cache::ttl(&s.norm)))
                .collect();
            differences.extend(crate::cache::age_diffs(baseline, &bt, p, &ct));
        }
        if let Probe::Vary { header, .. } = &case.case.probe {
            if header != "accept-encoding" && baseline != GOLDEN {
                let display = header_display(case, header);
                let bf = probes
                    .get(baseline)
                    .map(|s| s.vary.clone())
                    .unwrap_or_default();
                let cf = probes.get(p).map(|s| s.vary.clone()).unwrap_or_default();
                differences.extend(crate::cache::vary_diffs(&display, baseline, &bf, p, &cf));
            }
        }
    }
    (differences, probes)
}

/// `accept-language` → `Accept-Language`, for messages.
fn display_header(lower: &str) -> String {
    lower
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
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
    let mut stream = stream::iter(cases.iter().enumerate())
        .map(|(i, c)| async move { (i, run_case(ctx, c).await) })
        .buffer_unordered(jobs.max(1));
    while let Some((i, r)) = stream.next().await {
        on_done(&r);
        results[i] = Some(r);
    }
    results.into_iter().flatten().collect()
}

/// Did the case end as its suite says it should? `expect` absent means parity.
/// With a list of expected differences, the set of (kind, field, provider)
/// found must be exactly that list.
pub fn check_expectation(r: &CaseResult) -> Result<(), String> {
    let want = r
        .expect
        .as_ref()
        .map(|e| e.verdict.as_str())
        .unwrap_or("parity");
    if r.verdict.as_str() != want {
        return Err(format!(
            "expected verdict {want}, got {}",
            r.verdict.as_str()
        ));
    }
    let Some(e) = &r.expect else { return Ok(()) };
    if e.differences.is_empty() {
        return Ok(());
    }
    let mut missing = Vec::new();
    for w in &e.differences {
        let found = r.differences.iter().any(|d| {
            d.kind.as_str() == w.kind
                && (w.field.is_none() || d.field == w.field)
                && (w.provider.is_none() || Some(&d.provider) == w.provider.as_ref())
        });
        if !found {
            missing.push(format!("{}:{}", w.kind, w.field.as_deref().unwrap_or("*")));
        }
    }
    let unexpected: Vec<String> = r
        .differences
        .iter()
        .filter(|d| {
            !e.differences.iter().any(|w| {
                d.kind.as_str() == w.kind
                    && (w.field.is_none() || d.field == w.field)
                    && (w.provider.is_none() || Some(&d.provider) == w.provider.as_ref())
            })
        })
        .map(|d| format!("{}:{}", d.kind.as_str(), d.field.as_deref().unwrap_or("-")))
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "expected differences not found: [{}]; unexpected differences: [{}]",
            missing.join(", "),
            unexpected.join(", ")
        ))
    }
}

/// The report of a finished run.
pub fn build_report(
    ctx: &RunContext,
    cases: Vec<CaseResult>,
    started_at: jiff::Timestamp,
    duration: std::time::Duration,
) -> crate::report::Report {
    use crate::report::{ProviderInfo, Report};
    let providers: Vec<ProviderInfo> = ctx
        .env
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
        .collect();
    let summary = Report::summarize(&cases);
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: crate::report::tool(),
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
        warnings: ctx.warnings.clone(),
        latency: crate::report::latency(&cases, &providers),
        providers,
        cases,
        summary,
    }
}
