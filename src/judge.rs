//! The comparison of one case, as a pure function of what the providers
//! answered: normalise each answer, then run every check the case's probe
//! calls for, baseline side against each candidate side, and reach a
//! verdict. No network, no clock, no randomness: the run observes, this
//! module decides, so it is tested directly like `compare`.

use std::collections::BTreeMap;

use crate::compare::compare;
use crate::golden::GoldenFile;
use crate::model::{
    CaseResult, Difference, Exchange, ExchangeError, Kind, Label, Noise, ProbeSummary,
    ResponseSummary, Verdict,
};
use crate::normalize::{normalize, Normalized, Rules};
use crate::plan::PlannedCase;
use crate::provider::{self, Profile};
use crate::suite::Probe;

/// The name differences use for a recorded baseline.
pub const GOLDEN: &str = "golden";

/// One response of a probe, with which request of the probe it answers.
#[derive(Debug, Clone)]
pub struct Observed {
    pub label: Label,
    pub exchange: Exchange,
}

/// Per provider (in plan order): its answers, or why it gave none.
pub type Answers = Vec<(String, Result<Vec<Observed>, ExchangeError>)>;

/// One response as the comparison sees it.
#[derive(Debug, Clone)]
pub struct Obs {
    pub label: Label,
    pub norm: Normalized,
    pub cache: provider::CacheReading,
    /// Raw Set-Cookie lines, even when the suite ignores the header.
    pub set_cookie: Vec<String>,
    /// The case's assertions this answer broke (`kind: assert`).
    pub broken: Vec<Difference>,
    /// The validators it carried as received (`etag`, `last-modified`),
    /// even when the suite ignores those headers.
    pub validators: Vec<String>,
}

/// Every provider's normalised answers, by provider name.
pub type Seen = BTreeMap<String, Vec<Obs>>;

/// The tables a comparison reads: built once per run.
pub struct Tables<'a> {
    /// Profile of each provider, by provider name.
    pub profiles: &'a BTreeMap<String, Profile>,
    pub severities: &'a crate::severity::Table,
    /// The live baseline provider's name.
    pub baseline: &'a str,
    /// The remediation catalogue (built-in and the config's entries).
    pub catalogue: &'a crate::hints::Catalogue,
}

impl Tables<'_> {
    fn all_profiles(&self) -> Vec<Profile> {
        self.profiles.values().copied().collect()
    }
}

/// The normalisation rules a case asks for.
pub fn rules_of(case: &PlannedCase) -> Rules {
    Rules {
        ignore_headers: case.case.ignore_headers.clone(),
        ignore_json: case.case.ignore_json.clone(),
    }
}

/// Normalise one answer of a provider (for calibration and recording).
pub fn normalize_answer(t: &Tables, case: &PlannedCase, ex: &Exchange) -> Normalized {
    normalize(ex, &t.all_profiles(), &rules_of(case))
}

/// Normalise every answer; failures and report summaries on the side.
pub fn sides(
    t: &Tables,
    case: &PlannedCase,
    answers: &Answers,
) -> (Seen, Vec<ExchangeError>, Vec<ResponseSummary>) {
    let rules = rules_of(case);
    let all_profiles = t.all_profiles();
    let mut failures = Vec::new();
    let mut responses = Vec::new();
    let mut seen = BTreeMap::new();
    for (p, r) in answers {
        let list = match r {
            Ok(list) => list,
            Err(e) => {
                failures.push(e.clone());
                continue;
            }
        };
        let kind = t.profiles.get(p).map(|pr| pr.kind).unwrap_or("unknown");
        let mut v = Vec::new();
        for o in list {
            let norm = normalize(&o.exchange, &all_profiles, &rules);
            let cache = provider::read_cache(kind, &o.exchange.headers);
            responses.push(summary(p, o, &norm, &cache));
            let broken = if asserted(o.label) {
                crate::assertion::check(&case.case.assertions, p, o.label, &o.exchange)
            } else {
                Vec::new()
            };
            let validators =
                crate::followup::validators(o.exchange.headers.iter().map(|(n, _)| n.as_str()));
            v.push(Obs {
                broken,
                validators,
                label: o.label,
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
    (seen, failures, responses)
}

/// Is this answer one the case's assertions speak of? The probe's main
/// answers (the request, each of a sequence, each Vary value on the shared
/// key); not the reference variants.
fn asserted(label: Label) -> bool {
    label.is_main()
}

fn summary(
    provider: &str,
    o: &Observed,
    norm: &Normalized,
    cache: &provider::CacheReading,
) -> ResponseSummary {
    let ex = &o.exchange;
    let mut s = ResponseSummary {
        provider: provider.to_string(),
        label: o.label,
        status: ex.status,
        version: ex.version.clone(),
        remote_addr: ex.remote_addr.map(|a| a.to_string()),
        ttfb_ms: round(ex.timing.ttfb_ms),
        total_ms: round(ex.timing.total_ms),
        body_bytes: ex.body.raw_len,
        content_encoding: ex.body.encodings.clone(),
        cache: cache.clone(),
        aside: norm.aside.clone(),
        request: Some(crate::model::RequestShown {
            method: ex.method.clone(),
            url: ex.url.clone(),
            headers: ex.request_headers.clone(),
            body: ex.request_body.clone(),
        }),
        headers: ex.headers.clone(),
        curl: None,
    };
    s.curl = s.request.as_ref().map(|r| r.curl(s.remote_addr.as_deref()));
    s
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

/// What the golden side is called in messages and reports: when and from
/// which provider it was recorded (`golden (recorded 2026-11-20 from
/// fastly)`), so it is never mistaken for that provider answering live.
pub fn golden_label(g: &GoldenFile) -> String {
    let date = g.recorded.at.get(..10).unwrap_or(&g.recorded.at);
    format!("{GOLDEN} (recorded {date} from {})", g.recorded.provider)
}

/// A golden file as the baseline's side.
fn golden_side(g: &GoldenFile) -> Vec<Obs> {
    g.responses
        .iter()
        .map(|r| Obs {
            label: r.label,
            norm: crate::golden::to_normalized(r),
            cache: provider::CacheReading {
                outcome: r.cache.unwrap_or(provider::CacheOutcome::Unknown),
                raw: Default::default(),
                age: None,
            },
            set_cookie: Vec::new(),
            broken: Vec::new(),
            validators: crate::followup::validators(r.headers.keys().map(String::as_str)),
        })
        .collect()
}

/// Compare the answers of one case and reach its verdict. The result is not
/// yet redacted: the run redacts it where it leaves.
pub fn evaluate(
    t: &Tables,
    case: &PlannedCase,
    answers: &Answers,
    golden: Option<&GoldenFile>,
    noise: &mut Noise,
) -> CaseResult {
    let (mut seen, failures, responses) = sides(t, case, answers);
    let (baseline, candidates): (String, Vec<String>) = match golden {
        Some(g) => {
            seen.insert(GOLDEN.to_string(), golden_side(g));
            (GOLDEN.to_string(), case.providers.to_vec())
        }
        None => (
            t.baseline.to_string(),
            case.providers
                .iter()
                .filter(|p| *p != t.baseline)
                .cloned()
                .collect(),
        ),
    };
    let label = golden.map(golden_label);
    let shown = label.as_deref().unwrap_or(&baseline);
    let (mut differences, mut probes) = judge(case, &baseline, shown, &candidates, &seen, noise);
    if let Some(g) = golden {
        differences.extend(golden_findings(case, g, shown, &candidates, &mut probes));
    }
    for d in &mut differences {
        d.severity = t.severities.severity(d.kind, d.field.as_deref());
    }
    attach_hints(t, case, &baseline, &seen, &mut differences);
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
    CaseResult {
        id: case.id.clone(),
        suite: case.suite.to_string(),
        name: case.case.name.clone(),
        group: case.group(),
        baseline: label,
        verdict,
        differences,
        error,
        failures,
        responses,
        probes,
        noise: noise.clone(),
        confirm: None,
        expect: case.case.expect.clone(),
        ignore_matched: ignore_matched(case, &seen),
    }
}

/// For each of the case's ignore rules, whether it removed something from
/// any live answer (a golden file is not an answer); `None` when no
/// provider answered.
fn ignore_matched(case: &PlannedCase, seen: &Seen) -> Option<Vec<bool>> {
    let answers: Vec<&Obs> = seen
        .iter()
        .filter(|(p, _)| *p != GOLDEN)
        .flat_map(|(_, list)| list)
        .collect();
    if answers.is_empty() {
        return None;
    }
    let hit = |r: &crate::suite::IgnoreRule| {
        answers.iter().any(|o| match r.kind {
            crate::suite::IgnoreKind::Headers => o.norm.ignored.contains(&r.pattern),
            crate::suite::IgnoreKind::Json => o.norm.ignored_json.contains(&r.pattern),
        })
    };
    Some(case.case.ignore_rules.iter().map(|r| hit(r)).collect())
}

/// Against golden files: the recorded probe summary stands in for the
/// baseline's, and the recorded Vary findings are compared with each
/// candidate's.
fn golden_findings(
    case: &PlannedCase,
    g: &GoldenFile,
    label: &str,
    candidates: &[String],
    probes: &mut BTreeMap<String, ProbeSummary>,
) -> Vec<Difference> {
    probes.insert(
        GOLDEN.to_string(),
        ProbeSummary {
            cache: g.responses.iter().filter_map(|r| r.cache).collect(),
            vary: g.vary.clone(),
            encodings: Vec::new(),
            validators: None,
        },
    );
    let mut out = Vec::new();
    if let Probe::Vary { header, .. } = &case.case.probe {
        let display = header_display(case, header);
        for p in candidates {
            let cf = probes.get(p).map(|s| s.vary.clone()).unwrap_or_default();
            out.extend(crate::cache::vary_diffs(&display, label, &g.vary, p, &cf));
        }
    }
    out
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

/// The main answers of a probe (reference requests and follow-ups left
/// out).
fn main_of(list: &[Obs]) -> Vec<&Obs> {
    list.iter().filter(|s| s.label.is_main()).collect()
}

/// The answer of `list` with this label.
fn labelled(list: &[Obs], label: Label) -> Option<&Obs> {
    list.iter().find(|s| s.label == label)
}

/// What one provider's answers show on their own: Set-Cookie on a hit,
/// broken cache expectations, encodings chosen, Vary findings.
fn own_findings(
    case: &PlannedCase,
    p: &str,
    list: &[Obs],
    differences: &mut Vec<Difference>,
    noise: &mut Noise,
) -> ProbeSummary {
    let followups = &case.case.followups;
    if followups.head {
        if let (Some(get), Some(head)) = (main_of(list).first(), labelled(list, Label::Head)) {
            differences.extend(crate::followup::head_vs_get(
                p, &get.norm, &head.norm, noise,
            ));
        }
    }
    for o in list {
        differences.extend(o.broken.iter().cloned());
        if o.cache.outcome == provider::CacheOutcome::Hit && !o.set_cookie.is_empty() {
            differences.push(crate::cache::cookie_on_hit(
                p,
                &o.label.to_string(),
                &o.set_cookie,
            ));
        }
    }
    let main = main_of(list);
    let mut summary = ProbeSummary {
        cache: main.iter().map(|s| s.cache.outcome).collect(),
        ..ProbeSummary::default()
    };
    if followups.conditional {
        if let Some(get) = main.first() {
            summary.validators = Some(get.validators.clone());
        }
    }
    match &case.case.probe {
        Probe::Sequence {
            expect: Some(expect),
            ..
        } => {
            let readings: Vec<_> = main.iter().map(|s| s.cache.clone()).collect();
            differences.extend(crate::cache::expect_diffs(p, &readings, expect));
        }
        Probe::Encoding { values } => {
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
                    list.iter()
                        .find(|s| s.label == Label::Ref(i))
                        .map(|s| &s.norm)
                })
                .collect();
            summary.vary = crate::cache::vary_findings(values, &m, &refs);
        }
        _ => {}
    }
    summary
}

/// Baseline against one candidate: the responses, then the probe's checks.
fn pair_findings(
    case: &PlannedCase,
    (baseline, label): (&str, &str),
    bm: &[&Obs],
    p: &str,
    cm: &[&Obs],
    noise: &mut Noise,
    probes: &BTreeMap<String, ProbeSummary>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    match &case.case.probe {
        Probe::Encoding { values } => {
            for ((v, bs), cs) in values.iter().zip(bm).zip(cm) {
                let found = compare(&bs.norm, &cs.norm, label, p);
                for d in crate::noise::filter(noise, found, &bs.norm, &cs.norm) {
                    out.push(d.with_context(format!("accept-encoding: {v}")));
                }
            }
        }
        _ => {
            if let (Some(bs), Some(cs)) = (bm.first(), cm.first()) {
                let found = compare(&bs.norm, &cs.norm, label, p);
                out.extend(crate::noise::filter(noise, found, &bs.norm, &cs.norm));
            }
        }
    }
    match &case.case.probe {
        Probe::Sequence { .. } => {
            let br: Vec<_> = bm.iter().map(|s| s.cache.clone()).collect();
            let cr: Vec<_> = cm.iter().map(|s| s.cache.clone()).collect();
            out.extend(crate::cache::sequence_diffs(label, &br, p, &cr));
            let ttl = |s: &&Obs| (s.cache.clone(), crate::cache::ttl(&s.norm));
            let bt: Vec<_> = bm.iter().map(ttl).collect();
            let ct: Vec<_> = cm.iter().map(ttl).collect();
            out.extend(crate::cache::age_diffs(label, &bt, p, &ct));
        }
        Probe::Vary { header, .. } if baseline != GOLDEN => {
            let display = header_display(case, header);
            let findings =
                |name: &str| probes.get(name).map(|s| s.vary.clone()).unwrap_or_default();
            out.extend(crate::cache::vary_diffs(
                &display,
                baseline,
                &findings(baseline),
                p,
                &findings(p),
            ));
        }
        _ => {}
    }
    out
}

/// The requests that followed the GET, baseline against one candidate:
/// the validators each GET returned, then each follow-up's answers.
fn followup_findings(
    case: &PlannedCase,
    (baseline, b): (&str, &[Obs]),
    (p, c): (&str, &[Obs]),
    get_diffs: &[Difference],
    noise: &mut Noise,
) -> Vec<Difference> {
    let f = &case.case.followups;
    let mut out = Vec::new();
    if f.conditional {
        let v = |list: &[Obs]| main_of(list).first().map(|o| o.validators.clone());
        if let (Some(bv), Some(cv)) = (v(b), v(c)) {
            out.extend(crate::followup::validator_diff(baseline, &bv, p, &cv));
        }
    }
    for label in [Label::Conditional, Label::Range, Label::Head] {
        let (Some(kind), Some(bo), Some(co)) = (
            crate::followup::kind_of(label),
            labelled(b, label),
            labelled(c, label),
        ) else {
            continue;
        };
        let context = match (&f.range, label) {
            (Some(r), Label::Range) => format!("range: {r}"),
            _ => label.to_string(),
        };
        out.extend(crate::followup::pair(
            kind, &context, baseline, &bo.norm, p, &co.norm, get_diffs, noise,
        ));
    }
    out
}

/// The comparison itself: every check of the case's probe, baseline side
/// against each candidate side.
pub fn judge(
    case: &PlannedCase,
    baseline: &str,
    label: &str,
    candidates: &[String],
    seen: &Seen,
    noise: &mut Noise,
) -> (Vec<Difference>, BTreeMap<String, ProbeSummary>) {
    let mut differences = Vec::new();
    let mut probes = BTreeMap::new();
    for (p, list) in seen.iter().filter(|(p, _)| *p != GOLDEN) {
        let summary = own_findings(case, p, list, &mut differences, noise);
        probes.insert(p.clone(), summary);
    }
    let Some(b) = seen.get(baseline) else {
        return (differences, probes);
    };
    let bm = main_of(b);
    for p in candidates {
        let Some(c) = seen.get(p) else { continue };
        let cm = main_of(c);
        let get_diffs = pair_findings(case, (baseline, label), &bm, p, &cm, noise, &probes);
        let more = followup_findings(case, (label, b), (p, c), &get_diffs, noise);
        differences.extend(get_diffs);
        // A HEAD the candidate's own check already faulted is not said again.
        let own: Vec<(Kind, Option<String>)> = differences
            .iter()
            .filter(|d| d.provider == *p && d.kind == Kind::Head)
            .map(|d| (d.kind, d.field.clone()))
            .collect();
        differences.extend(
            more.into_iter()
                .filter(|d| !own.contains(&(d.kind, d.field.clone()))),
        );
    }
    (differences, probes)
}

// ---------------------------------------------------------------------------
// Hints: what each difference and its two answers show, for the catalogue
// ---------------------------------------------------------------------------

/// Give each difference the catalogue's most specific hint, if any rule
/// fits what the difference and the two answers it is about show.
fn attach_hints(
    t: &Tables,
    case: &PlannedCase,
    baseline: &str,
    seen: &Seen,
    differences: &mut [Difference],
) {
    let kind_of = |name: &str| {
        let name = if name == GOLDEN { t.baseline } else { name };
        t.profiles.get(name).map(|p| p.kind).unwrap_or("unknown")
    };
    let path = match case.request.url.query() {
        Some(q) => format!("{}?{q}", case.request.url.path()),
        None => case.request.url.path().to_string(),
    };
    // Each answer's evidence is built once, however many differences (a
    // JSON body with many changed fields) point at it.
    let mut evidence: BTreeMap<(&str, Which), Option<Evidence>> = BTreeMap::new();
    let wanted: Vec<Which> = differences.iter().map(|d| answer_index(case, d)).collect();
    for (d, &i) in differences.iter().zip(&wanted) {
        for name in [baseline, d.provider.as_str()] {
            evidence
                .entry((name, i))
                .or_insert_with(|| Evidence::of(seen, name, i));
        }
    }
    // A range's difference is about a request that asked for the range.
    let mut range_request = case.request.headers.clone();
    if let Some(r) = &case.case.followups.range {
        range_request.push(("Range".to_string(), r.clone()));
    }
    let mut hints = Vec::with_capacity(differences.len());
    for (d, &i) in differences.iter().zip(&wanted) {
        let b = evidence.get(&(baseline, i)).and_then(Option::as_ref);
        let c = evidence
            .get(&(d.provider.as_str(), i))
            .and_then(Option::as_ref);
        let (method, request_headers) = match d.kind {
            Kind::Range => (case.request.method.as_str(), &range_request),
            Kind::Head => ("HEAD", &case.request.headers),
            _ => (case.request.method.as_str(), &case.request.headers),
        };
        let finding = crate::hints::Finding {
            kind: d.kind.as_str(),
            field: d.field.as_deref(),
            provider_kind: kind_of(&d.provider),
            baseline_kind: kind_of(baseline),
            baseline: d.baseline.as_deref(),
            candidate: d.candidate.as_deref(),
            baseline_status: b.map(|e| e.status),
            candidate_status: c.map(|e| e.status),
            method: Some(method),
            path: Some(&path),
            context: d.context.as_deref(),
            request_headers,
            baseline_headers: b.map(|e| e.headers.as_slice()).unwrap_or_default(),
            candidate_headers: c.map(|e| e.headers.as_slice()).unwrap_or_default(),
            baseline_body: b.and_then(|e| e.body.as_deref()),
            candidate_body: c.and_then(|e| e.body.as_deref()),
        };
        hints.push(t.catalogue.hint(&finding));
    }
    for (d, h) in differences.iter_mut().zip(hints) {
        d.hint = h;
    }
}

/// What one answer shows a hint rule.
struct Evidence {
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

/// Which answer a difference is about: a follow-up's, by its label, or the
/// probe's main answer at this position.
type Which = (Option<Label>, usize);

impl Evidence {
    /// The answer `which` of `name` (the first main answer when there is no
    /// such position).
    fn of(seen: &Seen, name: &str, which: Which) -> Option<Evidence> {
        let list = seen.get(name)?;
        let main = main_of(list);
        let o = match which {
            (Some(label), _) => labelled(list, label)?,
            (None, i) => main.get(i).or_else(|| main.first())?,
        };
        Some(Evidence {
            status: o.norm.status,
            headers: answer_headers(o),
            body: body_text(o),
        })
    }
}

/// Which answer a difference is about: a follow-up's (`conditional`,
/// `range`, `head`) by its label, else a main answer (`main_index`).
fn answer_index(case: &PlannedCase, d: &Difference) -> Which {
    if let Some(label) = match d.kind {
        Kind::Conditional if d.field.as_deref() != Some("validators") => Some(Label::Conditional),
        Kind::Range => Some(Label::Range),
        // A HEAD's own check is about its answer too.
        Kind::Head => Some(Label::Head),
        _ => None,
    } {
        return (Some(label), 0);
    }
    (None, main_index(case, d))
}

/// Which main answer of a probe a difference is about: the position of a
/// cache sequence (`sequence[i]`, `expect[i]`) or of an Accept-Encoding
/// value (its context); otherwise the first.
fn main_index(case: &PlannedCase, d: &Difference) -> usize {
    let position = d.field.as_deref().and_then(|f| {
        let inner = f
            .strip_prefix("sequence[")
            .or_else(|| f.strip_prefix("expect["))?;
        inner.strip_suffix(']')?.parse::<usize>().ok()
    });
    if let Some(i) = position {
        return i;
    }
    if let (Probe::Encoding { values }, Some(ctx)) = (&case.case.probe, d.context.as_deref()) {
        if let Some(v) = ctx.strip_prefix("accept-encoding: ") {
            return values.iter().position(|x| x == v).unwrap_or(0);
        }
    }
    0
}

/// An answer's headers as received: compared, set aside (identity, cache
/// state, noise) and the raw Set-Cookie lines, even when the suite ignores
/// the header.
fn answer_headers(o: &Obs) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = o
        .norm
        .headers
        .iter()
        .chain(&o.norm.aside)
        .flat_map(|(n, vs)| vs.iter().map(move |v| (n.clone(), v.clone())))
        .collect();
    if !o.norm.headers.contains_key("set-cookie") {
        out.extend(
            o.set_cookie
                .iter()
                .map(|v| ("set-cookie".to_string(), v.clone())),
        );
    }
    if let Some(cl) = &o.norm.content_length {
        out.push(("content-length".to_string(), cl.clone()));
    }
    out
}

/// A decoded body as text, when it is text (JSON as written back).
fn body_text(o: &Obs) -> Option<String> {
    match &o.norm.body {
        crate::normalize::NormBody::Text { text } => Some(text.clone()),
        crate::normalize::NormBody::Json { value } => Some(value.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FailureKind, Kind};
    use crate::normalize::tests::exchange;

    use crate::plan::testing::planned;

    fn profiles() -> BTreeMap<String, Profile> {
        [
            ("fastly".to_string(), provider::FASTLY),
            ("cloudflare".to_string(), provider::CLOUDFLARE),
        ]
        .into_iter()
        .collect()
    }

    fn answer(labels: &[(Label, Exchange)]) -> Result<Vec<Observed>, ExchangeError> {
        Ok(labels
            .iter()
            .map(|(label, exchange)| Observed {
                label: *label,
                exchange: exchange.clone(),
            })
            .collect())
    }

    fn evaluate_one(case: &PlannedCase, answers: Answers) -> CaseResult {
        let profiles = profiles();
        let severities = crate::severity::Table::default();
        let t = Tables {
            profiles: &profiles,
            severities: &severities,
            baseline: "fastly",
            catalogue: crate::hints::builtin(),
        };
        evaluate(&t, case, &answers, None, &mut Noise::default())
    }

    fn page(status: u16, extra: &[(&str, &str)], body: &str) -> Exchange {
        let mut h = vec![("content-type", "text/html")];
        h.extend_from_slice(extra);
        let mut ex = exchange(&h, body.as_bytes());
        ex.status = status;
        ex
    }

    #[test]
    fn the_same_answer_is_parity_and_a_changed_status_differs() {
        let case = planned("  - name: home\n    path: /\n");
        let same = evaluate_one(
            &case,
            vec![
                (
                    "fastly".into(),
                    answer(&[(Label::Request, page(200, &[], "hi"))]),
                ),
                (
                    "cloudflare".into(),
                    answer(&[(Label::Request, page(200, &[], "hi"))]),
                ),
            ],
        );
        assert_eq!(same.verdict, Verdict::Parity);
        assert!(same.differences.is_empty());
        assert_eq!(same.responses.len(), 2);
        let changed = evaluate_one(
            &case,
            vec![
                (
                    "fastly".into(),
                    answer(&[(Label::Request, page(200, &[], "hi"))]),
                ),
                (
                    "cloudflare".into(),
                    answer(&[(Label::Request, page(503, &[], "hi"))]),
                ),
            ],
        );
        assert_eq!(changed.verdict, Verdict::Differs);
        let kinds: Vec<Kind> = changed.differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, vec![Kind::Status]);
        assert_eq!(changed.differences[0].provider, "cloudflare");
    }

    #[test]
    fn a_broken_assertion_on_both_sides_is_never_parity() {
        let case = planned(
            "  - name: shop\n    path: /shop\n    assert: {status: 200, headers: {cache-control: \"^public\"}}\n",
        );
        let both_500 = || {
            answer(&[(
                Label::Request,
                page(500, &[("cache-control", "public, max-age=60")], "oops"),
            )])
        };
        let r = evaluate_one(
            &case,
            vec![
                ("fastly".into(), both_500()),
                ("cloudflare".into(), both_500()),
            ],
        );
        assert_eq!(r.verdict, Verdict::Differs, "{:?}", r.differences);
        let found: Vec<(&str, Kind, Option<&str>, crate::model::Severity)> = r
            .differences
            .iter()
            .map(|d| (d.provider.as_str(), d.kind, d.field.as_deref(), d.severity))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "cloudflare",
                    Kind::Assert,
                    Some("status"),
                    crate::model::Severity::Critical
                ),
                (
                    "fastly",
                    Kind::Assert,
                    Some("status"),
                    crate::model::Severity::Critical
                ),
            ]
        );
        let ok = || {
            answer(&[(
                Label::Request,
                page(200, &[("cache-control", "public")], "x"),
            )])
        };
        let r = evaluate_one(
            &case,
            vec![("fastly".into(), ok()), ("cloudflare".into(), ok())],
        );
        assert_eq!(r.verdict, Verdict::Parity, "{:?}", r.differences);
    }

    #[test]
    fn followups_are_judged_as_their_own_kinds_and_a_head_fault_is_said_once() {
        let case = planned(
            "  - name: f\n    path: /f.txt\n    conditional: true\n    range: bytes=0-1\n    head: true\n",
        );
        let v = [
            ("etag", "W/\"v\""),
            ("last-modified", "Mon, 02 Jan 2023 03:04:05 GMT"),
        ];
        let get = page(200, &v, "hello");
        let side = |cond: Exchange, range: Exchange, head: Exchange| {
            answer(&[
                (Label::Request, get.clone()),
                (Label::Conditional, cond),
                (Label::Range, range),
                (Label::Head, head),
            ])
        };
        let mut ranged = page(206, &[("content-range", "bytes 0-1/5")], "he");
        ranged
            .headers
            .extend(v.iter().map(|(k, x)| (k.to_string(), x.to_string())));
        let mut head = page(200, &v, "");
        head.body = crate::exec::capture(b"", &[], 1 << 20);
        let fastly = side(page(304, &v, ""), ranged.clone(), head.clone());
        let mut refused = page(405, &[("allow", "GET")], "");
        refused.body = crate::exec::capture(b"", &[], 1 << 20);
        let cloudflare = side(get.clone(), get.clone(), refused);
        let r = evaluate_one(
            &case,
            vec![
                ("fastly".into(), fastly.clone()),
                ("cloudflare".into(), cloudflare),
            ],
        );
        let found: Vec<(&str, Kind, &str)> = r
            .differences
            .iter()
            .map(|d| {
                (
                    d.provider.as_str(),
                    d.kind,
                    d.field.as_deref().unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                ("cloudflare", Kind::Head, "status"),
                ("cloudflare", Kind::Conditional, "status"),
                ("cloudflare", Kind::Range, "status"),
                ("cloudflare", Kind::Range, "content-range"),
            ],
            "{:#?}",
            r.differences
        );
        let hint = |k: Kind| {
            r.differences
                .iter()
                .find(|d| d.kind == k)
                .and_then(|d| d.hint.as_ref().map(|h| h.id.clone()))
        };
        assert_eq!(hint(Kind::Range).as_deref(), Some("range-request"));
        let same = evaluate_one(
            &case,
            vec![
                ("fastly".into(), fastly.clone()),
                ("cloudflare".into(), fastly),
            ],
        );
        assert_eq!(same.verdict, Verdict::Parity, "{:#?}", same.differences);
    }

    #[test]
    fn a_failed_provider_is_an_error_never_parity() {
        let case = planned("  - name: home\n    path: /\n");
        let r = evaluate_one(
            &case,
            vec![
                (
                    "fastly".into(),
                    answer(&[(Label::Request, page(200, &[], "hi"))]),
                ),
                (
                    "cloudflare".into(),
                    Err(ExchangeError::new(
                        "cloudflare",
                        FailureKind::Connect,
                        "refused".into(),
                    )),
                ),
            ],
        );
        assert_eq!(r.verdict, Verdict::Error);
        assert_eq!(r.failures.len(), 1);
        assert!(r.error.as_deref().unwrap_or("").contains("refused"));
    }

    #[test]
    fn a_cookie_served_from_cache_is_found_on_its_own_side() {
        let case = planned("  - name: js\n    path: /a.js\n    cache: {sequence: 2}\n");
        let hit = page(200, &[("x-cache", "HIT"), ("set-cookie", "sid=1")], "x");
        let miss = page(200, &[("x-cache", "MISS")], "x");
        let cf_miss = page(200, &[("cf-cache-status", "MISS")], "x");
        let cf_hit = page(200, &[("cf-cache-status", "HIT")], "x");
        let r = evaluate_one(
            &case,
            vec![
                (
                    "fastly".into(),
                    answer(&[(Label::Sequence(0), miss), (Label::Sequence(1), hit)]),
                ),
                (
                    "cloudflare".into(),
                    answer(&[(Label::Sequence(0), cf_miss), (Label::Sequence(1), cf_hit)]),
                ),
            ],
        );
        assert_eq!(r.verdict, Verdict::Differs);
        let cookie: Vec<&Difference> = r
            .differences
            .iter()
            .filter(|d| d.kind == Kind::Cache && d.provider == "fastly")
            .collect();
        assert_eq!(cookie.len(), 1, "{:?}", r.differences);
        assert_eq!(r.probes["fastly"].cache.len(), 2);
    }

    #[test]
    fn differences_carry_the_catalogue_hint_that_fits_and_none_otherwise() {
        let case = planned("  - name: css\n    path: /etag/strong.css\n");
        let r = evaluate_one(
            &case,
            vec![
                (
                    "fastly".into(),
                    answer(&[(
                        Label::Request,
                        page(200, &[("etag", "\"v1\""), ("x-team", "a")], "x"),
                    )]),
                ),
                (
                    "cloudflare".into(),
                    answer(&[(
                        Label::Request,
                        page(200, &[("etag", "W/\"v1\""), ("x-team", "b")], "x"),
                    )]),
                ),
            ],
        );
        let hint_of = |field: &str| {
            r.differences
                .iter()
                .find(|d| d.field.as_deref() == Some(field))
                .map(|d| d.hint.as_ref().map(|h| h.id.clone()))
        };
        assert_eq!(
            hint_of("etag"),
            Some(Some("strong-etag-weakened".to_string())),
            "{:?}",
            r.differences
        );
        assert_eq!(hint_of("x-team"), Some(None), "{:?}", r.differences);
    }

    #[test]
    fn a_hint_reads_the_answer_the_difference_is_about() {
        // The edge's own 403 page: the body's markers are on the candidate's
        // answer, and every difference of the case gets the hint.
        let case = planned("  - name: admin\n    path: /admin\n");
        let blocked = "<p>Error code 1020</p><p>Cloudflare Ray ID: 8a1b2c3d</p>";
        let r = evaluate_one(
            &case,
            vec![
                (
                    "fastly".into(),
                    answer(&[(Label::Request, page(200, &[], "admin page"))]),
                ),
                (
                    "cloudflare".into(),
                    answer(&[(Label::Request, page(403, &[], blocked))]),
                ),
            ],
        );
        assert!(!r.differences.is_empty());
        for d in &r.differences {
            assert_eq!(
                d.hint.as_ref().map(|h| h.id.as_str()),
                Some("waf-block-or-challenge"),
                "{d:?}"
            );
        }
    }
}
