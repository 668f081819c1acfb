//! The one way a case runs, shared by `edgeparity run` and the libtest
//! runner: send the case to every provider, prove each answer came from the
//! provider it was meant for, normalise, compare with the baseline, redact.
//!
//! A provider that fails becomes this case's error; the run goes on. A
//! difference is an outcome, never an error.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::compare::{compare, Difference};
use crate::exec::{Exchange, ExchangeError, Executor, FailureKind, SetupError};
use crate::normalize::{normalize, Rules};
use crate::plan::{Plan, PlannedCase};
use crate::provider::{self, Profile};
use crate::redact::Redactor;
use crate::suite::{Environment, Expectation, FingerprintSetting};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Parity,
    Differs,
    Error,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Parity => "parity",
            Verdict::Differs => "differs",
            Verdict::Error => "error",
        }
    }
}

/// What one provider answered, as the report shows it (no body bytes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseSummary {
    pub provider: String,
    pub status: u16,
    pub version: String,
    pub remote_addr: Option<String>,
    pub ttfb_ms: f64,
    pub total_ms: f64,
    pub body_bytes: u64,
    pub content_encoding: Vec<String>,
    /// Identity and cache headers of this answer, redacted.
    pub aside: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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
            warnings,
        })
    }

    fn profiles(&self) -> Vec<Profile> {
        self.profiles.values().copied().collect()
    }
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

/// Run one case against every provider of the plan.
pub async fn run_case(ctx: &RunContext, case: &PlannedCase) -> CaseResult {
    let sends = case.providers.iter().map(|p| async move {
        let r = ctx.exec.send(p, &case.request).await;
        let r = r.and_then(|ex| {
            if let Some(check) = ctx.fingerprints.get(p) {
                check_fingerprint(&ex, p, check)?;
            }
            Ok(ex)
        });
        (p.clone(), r)
    });
    let answers: Vec<(String, Result<Exchange, ExchangeError>)> =
        futures_util::future::join_all(sends).await;
    evaluate(ctx, case, answers)
}

/// Compare the answers of one case (pure apart from the context's tables).
pub fn evaluate(
    ctx: &RunContext,
    case: &PlannedCase,
    answers: Vec<(String, Result<Exchange, ExchangeError>)>,
) -> CaseResult {
    let rules = Rules {
        ignore_headers: case.case.ignore_headers.clone(),
        ignore_json: case.case.ignore_json.clone(),
    };
    let profiles = ctx.profiles();
    let baseline = &ctx.plan.baseline;
    let mut failures = Vec::new();
    let mut responses = Vec::new();
    let mut normalized = BTreeMap::new();
    for (p, r) in answers {
        match r {
            Ok(ex) => {
                let n = normalize(&ex, &profiles, &rules);
                responses.push(ResponseSummary {
                    provider: p.clone(),
                    status: ex.status,
                    version: ex.version.clone(),
                    remote_addr: ex.remote_addr.map(|a| a.to_string()),
                    ttfb_ms: round(ex.timing.ttfb_ms),
                    total_ms: round(ex.timing.total_ms),
                    body_bytes: ex.body.raw_len,
                    content_encoding: ex.body.encodings.clone(),
                    aside: n.aside.clone(),
                });
                normalized.insert(p, n);
            }
            Err(e) => failures.push(e),
        }
    }
    let mut differences = Vec::new();
    if let Some(b) = normalized.get(baseline) {
        for p in case.providers.iter().filter(|p| *p != baseline) {
            if let Some(c) = normalized.get(p) {
                differences.extend(compare(b, c, baseline, p));
            }
        }
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
        expect: case.case.expect.clone(),
    };
    ctx.redactor.redact_result(&mut result);
    result
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
    let providers = ctx
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
        started_at: started_at
            .round(jiff::Unit::Second)
            .unwrap_or(started_at)
            .to_string(),
        duration_ms: duration.as_millis() as u64,
        insecure: ctx.env.insecure,
        warnings: ctx.warnings.clone(),
        providers,
        cases,
        summary,
    }
}
