//! The result of a case: its verdict, the differences found, what each
//! provider answered, learned noise and confirmation re-runs. Built by the
//! run, read by every report, the gate and the golden files.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::diff::{Difference, Kind};
use super::exchange::ExchangeError;
use crate::provider::{self, CacheOutcome};

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
    pub label: Label,
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
    /// What was asked: method, URL and the headers sent (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestShown>,
    /// Every response header line in order (redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// One `curl` command that asks the same of this provider's pinned
    /// address (secrets masked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

/// A request as sent, for the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RequestShown {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body sent (redacted), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Which parts of a redacted request held a secret: the repro reads those
/// from shell variables instead of showing the mask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masked {
    /// By index of `RequestShown::headers`.
    pub headers: Vec<bool>,
    pub body: bool,
}

/// The shell variable a repro reads a body that held a secret from.
pub const BODY_VAR: &str = "EDGEPARITY_BODY";

/// The shell variable a repro pins to when no address of the provider was
/// found (its lookup failed): never the system's DNS, which may well name
/// another edge.
pub const ADDR_VAR: &str = "EDGEPARITY_ADDR";

/// `'text'` for a POSIX shell (a `'` as `'\''`).
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl RequestShown {
    /// `curl` asking `addr` for this request as `url` names it: the same
    /// Host and SNI through `--resolve`, no decompression, headers shown.
    pub fn curl(&self, addr: Option<&str>) -> String {
        let addrs: Vec<String> = addr.map(str::to_string).into_iter().collect();
        self.curl_pinned(&addrs, None, &Masked::default())
    }

    /// `curl` asking the socket addresses `addrs` (all of them, as
    /// `--resolve HOST:PORT:IP1,IP2`; none: `$EDGEPARITY_ADDR`) for this
    /// request. What `masked` names is read from a shell variable to be
    /// set before the command is pasted: a header as one named after it
    /// (`-H 'authorization: '"$EDGEPARITY_AUTHORIZATION"`), the body as
    /// `$EDGEPARITY_BODY`. A body is sent as given (`--data-binary`; one
    /// beginning with `@`, which curl would read as a file name, with
    /// `--data-raw`; one holding NUL, which no argument can, piped from
    /// `printf`), with no Content-Type of curl's own. An HTTPS request
    /// trusts `cacert` too (`--cacert`), when given.
    pub fn curl_pinned(&self, addrs: &[String], cacert: Option<&str>, masked: &Masked) -> String {
        let q = |s: &str| shell_quote(s);
        let mut prefix = String::new();
        let mut parts = vec![
            "curl".to_string(),
            "-sS".into(),
            "-D".into(),
            "-".into(),
            "-o".into(),
            "/dev/null".into(),
        ];
        // curl infers POST from a body: any other method is named.
        let implied = if self.body.is_some() { "POST" } else { "GET" };
        if self.method == "HEAD" && self.body.is_none() {
            parts = vec!["curl".into(), "-sS".into(), "-I".into()];
        } else if self.method != implied {
            parts.push("-X".into());
            parts.push(q(&self.method));
        }
        let parsed = self.url.parse::<http::Uri>();
        let https = parsed
            .as_ref()
            .is_ok_and(|u| u.scheme_str() == Some("https"));
        if let Some(ca) = cacert.filter(|_| https) {
            parts.push("--cacert".into());
            parts.push(q(ca));
        }
        if let Ok(uri) = parsed {
            let port = uri.port_u16().or(match uri.scheme_str() {
                Some("http") => Some(80),
                Some("https") => Some(443),
                _ => None,
            });
            let ips: Vec<String> = addrs
                .iter()
                .filter_map(|a| a.parse::<std::net::SocketAddr>().ok())
                .map(|sa| match sa.ip() {
                    std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                    ip => ip.to_string(),
                })
                .collect();
            if let (Some(host), Some(port)) = (uri.host(), port) {
                parts.push("--resolve".into());
                if ips.is_empty() {
                    parts.push(format!("{}\"${ADDR_VAR}\"", q(&format!("{host}:{port}:"))));
                } else {
                    parts.push(q(&format!("{host}:{port}:{}", ips.join(","))));
                }
            }
        }
        for (i, (k, v)) in self.headers.iter().enumerate() {
            parts.push("-H".into());
            if masked.headers.get(i).copied().unwrap_or(false) {
                parts.push(format!("{}\"${}\"", q(&format!("{k}: ")), secret_var(k)));
            } else {
                parts.push(q(&format!("{k}: {v}")));
            }
        }
        if let Some(body) = &self.body {
            if masked.body {
                parts.push("--data-raw".into());
                parts.push(format!("\"${BODY_VAR}\""));
            } else if body.contains('\0') {
                let format = body
                    .replace('\\', "\\\\")
                    .replace('%', "%%")
                    .replace('\0', "\\000");
                prefix = format!("printf {} | ", q(&format));
                parts.push("--data-binary".into());
                parts.push("@-".into());
            } else if body.starts_with('@') {
                parts.push("--data-raw".into());
                parts.push(q(body));
            } else {
                parts.push("--data-binary".into());
                parts.push(q(body));
            }
            if !self
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                // curl would send `application/x-www-form-urlencoded`.
                parts.push("-H".into());
                parts.push(q("content-type:"));
            }
        }
        parts.push(q(&self.url));
        prefix + &parts.join(" ")
    }
}

/// The shell variable a repro reads a secret header from:
/// `EDGEPARITY_` and the header's name, upper-case, with every character
/// that cannot be in a variable name as `_` (`x-api-key` →
/// `EDGEPARITY_X_API_KEY`).
pub fn secret_var(header: &str) -> String {
    let mut v = String::from("EDGEPARITY_");
    v.extend(header.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    v
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub suite: String,
    pub name: String,
    /// `SUITE::CASE` of the case as written, when it ran as several cases
    /// (several hosts, a matrix): the reports group them by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// What the baseline side is called when it is not the run's baseline
    /// provider answering live: in golden mode, `golden (recorded DATE
    /// from PROVIDER)`. Renderers label the baseline column with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
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
    pub noise: crate::model::Noise,
    /// Confirmation re-runs of a difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Confirmation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expectation>,
    /// For each of the case's ignore rules (in the case's order), whether it
    /// removed something from any answer; `None` when nothing was answered.
    /// Held in memory for the run's unused-rule count (`Report::
    /// ignore_rules`), not written per case.
    #[serde(skip)]
    pub ignore_matched: Option<Vec<bool>>,
}

/// Failures that hit a whole provider: every case that asked it failed
/// the same way (and more than one case did). Said once, at the top of
/// every report, with what to check, instead of once per case.
pub fn provider_outages(cases: &[CaseResult]) -> Vec<String> {
    let mut acc = OutageAcc::default();
    for c in cases {
        acc.add(c);
    }
    acc.finish()
}

/// [`provider_outages`], one case at a time (a run counts each case as it
/// finishes and keeps only a few numbers per provider).
#[derive(Debug, Default)]
pub struct OutageAcc {
    seen: std::collections::BTreeMap<String, OutageTally>,
}

/// One provider over the run.
#[derive(Debug, Default)]
struct OutageTally {
    asked: usize,
    kinds: std::collections::BTreeMap<super::FailureKind, usize>,
    first: Option<super::ExchangeError>,
}

impl OutageAcc {
    pub fn add(&mut self, c: &CaseResult) {
        let mut asked: Vec<&str> = c.responses.iter().map(|r| r.provider.as_str()).collect();
        asked.extend(c.failures.iter().map(|f| f.provider.as_str()));
        asked.sort_unstable();
        asked.dedup();
        for p in asked {
            let t = match self.seen.get_mut(p) {
                Some(t) => t,
                None => self.seen.entry(p.to_string()).or_default(),
            };
            t.asked += 1;
            if let Some(f) = c.failures.iter().find(|f| f.provider == p) {
                *t.kinds.entry(f.kind).or_default() += 1;
                if t.first.is_none() {
                    t.first = Some(f.clone());
                }
            }
        }
    }

    /// One line per provider for which every case failed the same way.
    pub fn finish(self) -> Vec<String> {
        let mut out = Vec::new();
        for (p, t) in self.seen {
            let (Some(first), true) = (&t.first, t.asked > 1) else {
                continue;
            };
            if t.kinds.len() == 1 && t.kinds.values().sum::<usize>() == t.asked {
                out.push(format!(
                    "{p}: every case failed ({n} of {n}): {}: {} — fix: {}",
                    first.kind,
                    first.message,
                    first.kind.fix(),
                    n = t.asked
                ));
            }
        }
        out
    }
}

impl CaseResult {
    /// The baseline side's label: the case's own (golden mode) or the
    /// run's baseline provider.
    pub fn baseline_label<'a>(&'a self, run_baseline: &'a str) -> &'a str {
        self.baseline.as_deref().unwrap_or(run_baseline)
    }
}

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
    /// With `conditional: true`: the validators the GET returned (`etag`,
    /// `last-modified`; empty: nothing to revalidate with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validators: Option<Vec<String>>,
}

/// How confirmation re-runs went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Confirmation {
    /// Re-runs made.
    pub reruns: u32,
    /// Of those, how many found the same differences again.
    pub agreed: u32,
}

/// What varied between baseline answers of one case (see `noise` for how
/// templates and slots are learned).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noise {
    /// Header name → the templates its values showed on the baseline
    /// (`session=⟦base64url:12-48⟧; Path=/`), and `(absent)` when some
    /// answers lacked it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, BTreeSet<String>>,
    /// JSON Pointer → the JSON types its values took (`number`, …); strings
    /// as `string:` and their template.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json: BTreeMap<String, BTreeSet<String>>,
    /// Legacy (line-level noise of older versions): read, never produced,
    /// never used to absorb a difference.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub lines: BTreeSet<usize>,
    /// Every learned slot: where, its class and length range, the literal
    /// text around it, and how many differences it absorbed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<SlotNote>,
    /// Differences absorbed by this noise in the run.
    #[serde(default)]
    pub suppressed: usize,
    /// The text body's template, rendered (held in memory only: a golden
    /// file stores it as its body, a report lists its slots).
    #[serde(skip)]
    pub body: Option<String>,
}

/// One slot of learned noise, as the reports list it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotNote {
    /// `body line 12`, `header set-cookie`, `json /trace`.
    pub at: String,
    /// Class and widened length range: `hex:20-48`.
    pub slot: String,
    /// The slot with up to 40 characters of fixed text either side.
    pub context: String,
    /// Candidate values this slot absorbed in the run.
    #[serde(default)]
    pub absorbed: usize,
}

impl Noise {
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
            && self.json.is_empty()
            && self.lines.is_empty()
            && self.slots.is_empty()
            && self.body.is_none()
    }

    /// The same noise with its run counters at zero (for golden files).
    pub fn without_counts(&self) -> Noise {
        let mut n = self.clone();
        n.suppressed = 0;
        for s in &mut n.slots {
            s.absorbed = 0;
        }
        n
    }
}

/// What a provider served for one value of a Vary probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "served", rename_all = "kebab-case")]
pub enum Served {
    /// That value's own variant.
    Own,
    /// A copy of the variant cached for an earlier value.
    CopyOf {
        #[serde(rename = "of")]
        value: String,
    },
    /// A body matching neither its own variant nor an earlier one.
    Other,
    /// The variants cannot be told apart by body.
    Indistinct,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaryFinding {
    pub value: String,
    #[serde(flatten)]
    pub served: Served,
    pub outcome: CacheOutcome,
}

/// What a case is expected to find (used by the example suites and the
/// libtest runner; the CLI reports it beside the verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    pub verdict: Verdict,
    pub differences: Vec<ExpectedDifference>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedDifference {
    pub kind: Kind,
    pub field: Option<String>,
    pub provider: Option<String>,
}

impl ExpectedDifference {
    fn covers(&self, d: &Difference) -> bool {
        d.kind == self.kind
            && (self.field.is_none() || d.field == self.field)
            && (self.provider.is_none() || Some(&d.provider) == self.provider.as_ref())
    }
}

/// Did the case end as its suite says it should? `expect` absent means parity.
/// With a list of expected differences, the set of (kind, field, provider)
/// found must be exactly that list.
pub fn check_expectation(r: &CaseResult) -> Result<(), String> {
    let want = r
        .expect
        .as_ref()
        .map(|e| e.verdict)
        .unwrap_or(Verdict::Parity);
    if r.verdict != want {
        return Err(format!(
            "expected verdict {}, got {}",
            want.as_str(),
            r.verdict.as_str()
        ));
    }
    let Some(e) = &r.expect else { return Ok(()) };
    if e.differences.is_empty() {
        return Ok(());
    }
    let missing: Vec<String> = e
        .differences
        .iter()
        .filter(|w| !r.differences.iter().any(|d| w.covers(d)))
        .map(|w| format!("{}:{}", w.kind.as_str(), w.field.as_deref().unwrap_or("*")))
        .collect();
    let unexpected: Vec<String> = r
        .differences
        .iter()
        .filter(|d| !e.differences.iter().any(|w| w.covers(d)))
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

/// Which request of a probe an answer is: the single `request`, the i-th of
/// a cache `sequence`, the i-th value of a Vary probe on the shared key, the
/// i-th value alone on its own key (`ref`, the reference variant), or a
/// request that follows the GET on its URL: the revalidation
/// (`conditional`), the byte range (`range`) and the `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    Request,
    Sequence(usize),
    Vary(usize),
    Ref(usize),
    Conditional,
    Range,
    Head,
}

impl Label {
    /// A reference request: not part of the probe's main answers.
    pub fn is_reference(&self) -> bool {
        matches!(self, Label::Ref(_))
    }

    /// One of the probe's main answers (the ones compared position by
    /// position and asserted): not a reference, not a follow-up.
    pub fn is_main(&self) -> bool {
        matches!(self, Label::Request | Label::Sequence(_) | Label::Vary(_))
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::Request => f.write_str("request"),
            Label::Sequence(i) => write!(f, "sequence[{i}]"),
            Label::Vary(i) => write!(f, "vary[{i}]"),
            Label::Ref(i) => write!(f, "ref[{i}]"),
            Label::Conditional => f.write_str("conditional"),
            Label::Range => f.write_str("range"),
            Label::Head => f.write_str("head"),
        }
    }
}

impl std::str::FromStr for Label {
    type Err = String;
    fn from_str(s: &str) -> Result<Label, String> {
        match s {
            "request" => return Ok(Label::Request),
            "conditional" => return Ok(Label::Conditional),
            "range" => return Ok(Label::Range),
            "head" => return Ok(Label::Head),
            _ => {}
        }
        let bad = || {
            format!(
                "`{s}` is not a probe label (request, sequence[i], vary[i], ref[i], \
                 conditional, range, head)"
            )
        };
        let (word, rest) = s.split_once('[').ok_or_else(bad)?;
        let i: usize = rest
            .strip_suffix(']')
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        match word {
            "sequence" => Ok(Label::Sequence(i)),
            "vary" => Ok(Label::Vary(i)),
            "ref" => Ok(Label::Ref(i)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod curl_tests {
    use super::*;

    fn req(url: &str) -> RequestShown {
        RequestShown {
            method: "GET".into(),
            url: url.into(),
            headers: vec![
                ("accept".into(), "text/html".into()),
                ("x-api-key".into(), "[REDACTED]".into()),
            ],
            body: None,
        }
    }

    #[test]
    fn a_repro_is_pinned_trusts_the_ca_and_reads_secrets_from_variables() {
        let masked = Masked {
            headers: vec![false, true],
            body: false,
        };
        let addrs = ["127.0.0.3:18443".to_string(), "[::1]:18443".to_string()];
        let c = req("https://www.example.test:18443/a?q=it's").curl_pinned(
            &addrs,
            Some("/ca dir/ca.pem"),
            &masked,
        );
        assert_eq!(
            c,
            "curl -sS -D - -o /dev/null --cacert '/ca dir/ca.pem' \
             --resolve 'www.example.test:18443:127.0.0.3,[::1]' -H 'accept: text/html' \
             -H 'x-api-key: '\"$EDGEPARITY_X_API_KEY\" 'https://www.example.test:18443/a?q=it'\\''s'"
        );
        // Plain HTTP needs no CA; without a secret the value is written;
        // with no address found, the pin is a variable, never system DNS.
        let c =
            req("http://www.example.test/").curl_pinned(&[], Some("/ca.pem"), &Masked::default());
        assert!(!c.contains("--cacert"), "{c}");
        assert!(c.contains("-H 'x-api-key: [REDACTED]'"), "{c}");
        assert!(
            c.contains("--resolve 'www.example.test:80:'\"$EDGEPARITY_ADDR\""),
            "{c}"
        );
        assert_eq!(secret_var("x-api-key"), "EDGEPARITY_X_API_KEY");
    }

    #[test]
    fn a_repro_sends_the_body_as_given() {
        let mut q = req("http://www.example.test/login");
        q.method = "POST".into();
        q.headers.truncate(1);
        q.body = Some("user=a&note=it's $HOME `x`\n".into());
        let c = q.curl(Some("127.0.0.3:80"));
        // POST is implied by the body; curl's own Content-Type is removed;
        // nothing in the body is expanded by the shell.
        assert_eq!(
            c,
            "curl -sS -D - -o /dev/null --resolve 'www.example.test:80:127.0.0.3' \
             -H 'accept: text/html' --data-binary 'user=a&note=it'\\''s $HOME `x`\n' \
             -H 'content-type:' 'http://www.example.test/login'"
        );
        // Another method is named; a given Content-Type is kept.
        q.method = "PUT".into();
        q.headers
            .push(("content-type".into(), "application/json".into()));
        let c = q.curl(None);
        assert!(c.contains(" -X 'PUT' "), "{c}");
        assert!(!c.contains("'content-type:'"), "{c}");
        // A GET with a body says GET (curl would make it a POST).
        q.method = "GET".into();
        assert!(q.curl(None).contains(" -X 'GET' "));
        // A leading `@` is not a file name; NUL goes through printf.
        q.body = Some("@/etc/passwd".into());
        assert!(q.curl(None).contains("--data-raw '@/etc/passwd'"));
        q.body = Some("a\0b%c\\".into());
        let c = q.curl(None);
        assert!(c.starts_with("printf 'a\\000b%%c\\\\' | curl "), "{c}");
        assert!(c.contains("--data-binary @-"), "{c}");
        // A body that held a secret is read from a variable.
        let masked = Masked {
            headers: Vec::new(),
            body: true,
        };
        let c = q.curl_pinned(&[], None, &masked);
        assert!(c.contains("--data-raw \"$EDGEPARITY_BODY\""), "{c}");
        assert!(!c.contains("a\\000b"), "{c}");
    }
}
