//! Remediation hints: documented CDN behaviours, each with its documented fix,
//! and the matcher that attaches at most one of them to a difference.
//!
//! Why this exists: a parity run that says "etag differs" leaves the reader to
//! rediscover that Cloudflare weakens strong ETags and that a Cache Rule fixes
//! it. The catalogue (`data/catalogue.yaml`, compiled in) keeps that
//! knowledge as data, beside `provider`'s, so it can be reviewed, cited and
//! extended from `parity.yaml` without touching code.
//!
//! Why it is shaped like this:
//! - **A wrong hint is worse than none.** Rules name what the difference and
//!   the answers *show* (kind, field, values, statuses, signature headers,
//!   body markers); a difference no rule fits gets no hint. Rules are
//!   conjunctions: every condition written must hold.
//! - **At most one hint, the most specific.** Several entries can fit one
//!   difference (a cache miss/hit can be an Authorization effect or a TTL
//!   effect); [`Catalogue::best`] picks the rule with the highest
//!   [specificity score](Rule::specificity), ties broken by catalogue order
//!   (user entries come first, so they win ties). Deterministic by
//!   construction: no hashing, no iteration over unordered maps.
//! - **Pure and self-contained.** The input is a borrowed view, [`Finding`],
//!   not edgeparity's result types (they are moving to a new model layer);
//!   whoever has a difference and its two responses fills one in. No network,
//!   no files: the built-in catalogue is `include_str!`-ed and parsed once.
//! - **Checked at load.** Unknown keys are rejected, every regex is compiled
//!   once when the catalogue is built, ids are kebab-case and unique, and a
//!   rule with no condition (which would match everything) is an error.
//!
//! The YAML goes through [`parse_catalogue`], the one call to `serde-saphyr`
//! in this module, so the main tree can route it through its YAML layer.
//!
//! Where it sits: below `config` (which reads users' entries from
//! `parity.yaml`) and `judge` (which attaches hints), importing only `yaml`
//! and `model` (the [`Hint`] a report carries), so the layers stay a DAG.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::Hint;

/// The built-in catalogue's source, compiled into the binary.
const BUILTIN_YAML: &str = include_str!("../data/catalogue.yaml");

/// The difference kinds a rule may name (`model::Kind` as text).
const KINDS: &[&str] = crate::model::Kind::WORDS;

/// Specificity weights: what each kind of condition adds to a rule's score.
/// Evidence the answer itself carries (a signature header, a body marker)
/// weighs most; the provider names weigh least because they narrow the
/// catalogue, not the behaviour.
mod weight {
    /// `provider`, `baseline_provider`, `method`, `path`, `field_not`.
    pub const NARROW: u32 = 1;
    /// `kind`.
    pub const KIND: u32 = 1;
    /// `field`, `context`, value patterns, `*_absent`, `relation`, status
    /// lists, each request-header condition.
    pub const SHAPE: u32 = 2;
    /// Each response-header condition and each body condition.
    pub const SIGNATURE: u32 = 3;
}

/// What went wrong loading a catalogue. Entries are named by id so a user
/// can find the line in their config.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HintsError {
    #[error("catalogue YAML: {0}")]
    Parse(String),
    #[error("catalogue entry {id:?}: {reason}")]
    Invalid { id: String, reason: String },
    #[error("catalogue entry {id:?}: regex {pattern:?} does not compile: {reason}")]
    Regex {
        id: String,
        pattern: String,
        reason: String,
    },
    #[error("catalogue entry id {0:?} appears twice")]
    DuplicateId(String),
}

/// One difference and what its two answers showed, borrowed from whoever
/// holds them. Every field is optional evidence except `kind`: a rule that
/// needs evidence the finding does not carry simply does not match.
#[derive(Debug, Clone, Copy, Default)]
pub struct Finding<'a> {
    /// Difference kind: `status`, `header`, `body`, `cache`, `vary`, `assert`,
    /// or a follow-up of a GET: `conditional`, `range`, `head`.
    pub kind: &'a str,
    /// Header name (lower-case), JSON Pointer, cache field (`sequence[1]`,
    /// `expect[0]`, `set-cookie`, `age`), the varied header for `vary`; `None`
    /// for a whole status or body.
    pub field: Option<&'a str>,
    /// The candidate provider's kind (`cloudflare`, `fastly`, …), as in
    /// `provider::Profile::kind`.
    pub provider_kind: &'a str,
    /// The baseline provider's kind.
    pub baseline_kind: &'a str,
    /// The baseline's value as the difference states it (header value,
    /// cache outcome word such as `hit`, vary word such as `own variant`).
    pub baseline: Option<&'a str>,
    /// The candidate's value, as above.
    pub candidate: Option<&'a str>,
    /// Status of the baseline answer this difference is about.
    pub baseline_status: Option<u16>,
    /// Status of the candidate answer this difference is about.
    pub candidate_status: Option<u16>,
    /// Request method (`GET`, `HEAD`, …).
    pub method: Option<&'a str>,
    /// Request path with query (`/a?b=1`).
    pub path: Option<&'a str>,
    /// The probe context of the difference (`accept-encoding: gzip`, a
    /// query-order probe, …), as `compare::Difference::context`.
    pub context: Option<&'a str>,
    /// Request headers sent (names any case).
    pub request_headers: &'a [(String, String)],
    /// Baseline response headers as received, identity headers included.
    pub baseline_headers: &'a [(String, String)],
    /// Candidate response headers as received, identity headers included
    /// (`cf-cache-status`, `cf-mitigated` are signatures).
    pub candidate_headers: &'a [(String, String)],
    /// Baseline body as decoded text, when it is text.
    pub baseline_body: Option<&'a str>,
    /// Candidate body as decoded text, when it is text.
    pub candidate_body: Option<&'a str>,
}

impl<'a> Finding<'a> {
    /// A finding with only its kind and the two provider kinds; set the rest
    /// with struct update syntax.
    pub fn new(kind: &'a str, provider_kind: &'a str, baseline_kind: &'a str) -> Self {
        Finding {
            kind,
            provider_kind,
            baseline_kind,
            ..Finding::default()
        }
    }
}

/// One catalogue entry: a documented behaviour and its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Hint")]
pub struct Entry {
    /// Stable kebab-case id; reports and allowlists may name it.
    pub id: String,
    pub title: String,
    /// The behaviour, in two or three sentences.
    pub behaviour: String,
    /// The documented fix on the new provider.
    pub fix: String,
    /// The alternative on the old provider, where that is the usual fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// The providers' documentation this entry rests on.
    #[serde(default)]
    pub docs: Vec<String>,
    /// Alternatives: the entry matches when any rule matches.
    #[serde(rename = "match")]
    pub rules: Vec<Rule>,
}

impl Entry {
    /// What a report carries of this entry: id, title, fix and docs.
    pub fn hint(&self) -> Hint {
        Hint {
            id: self.id.clone(),
            title: squash(&self.title),
            fix: squash(&self.fix),
            docs: self.docs.clone(),
        }
    }

    /// What the entry matches, one line per rule (for `edgeparity hints`).
    pub fn matches_summary(&self) -> Vec<String> {
        self.rules.iter().map(Rule::summary).collect()
    }
}

/// Whitespace runs (folded YAML, user input) as single spaces.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A status code or an inclusive range written `"lo-hi"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum StatusSpec {
    Code(u16),
    Range(String),
}

/// Relations between the two values that patterns cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// The baseline is a strong ETag `"x"` and the candidate is `W/"x"`.
    CandidateWeakensBaseline,
}

/// One match rule: a conjunction of conditions on a [`Finding`]. Every
/// condition is optional; at least one besides the provider names is
/// required.
///
/// Matching: `kind` is exact; `field`, `field_not` and `method` are regexes
/// matched against the whole value, case-insensitively; value, path, context,
/// body and header-value patterns are regexes *searched* in the value
/// (anchor them yourself), case-sensitive unless they say `(?i)`. Header
/// names are case-insensitive; a header condition holds when any of that
/// header's values matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HintRule")]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field must not be this (whole match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_not: Option<String>,
    /// Candidate provider kind (exact, case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Baseline provider kind (exact, case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// The baseline has no value (header missing there).
    #[serde(default, skip_serializing_if = "is_false")]
    pub baseline_absent: bool,
    /// The candidate has no value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub candidate_absent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline_status: Vec<StatusSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidate_status: Vec<StatusSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Request headers that must be present with a matching value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_headers: BTreeMap<String, String>,
    /// Baseline response headers that must be present with a matching value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub baseline_headers: BTreeMap<String, String>,
    /// Candidate response headers that must be present with a matching value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub candidate_headers: BTreeMap<String, String>,
    /// Candidate response headers that must be absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidate_headers_absent: Vec<String>,
    /// Candidate response headers that, if present, must not match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub candidate_headers_not: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_body: Option<String>,
    /// The candidate body must be present and must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_body_not: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Rule {
    /// The specificity score: the sum of the weights of the conditions the
    /// rule states (see the `weight` constants). `kind` 1; `provider`,
    /// `baseline_provider`, `method`, `path`, `field_not` 1 each; `field`,
    /// `context`, `baseline`, `candidate`, `baseline_absent`,
    /// `candidate_absent`, `relation`, each status list and each request
    /// header 2; each response-header condition (present, absent, not) and
    /// each body condition 3. A rule that states more about what the answers
    /// show outranks a vaguer one.
    pub fn specificity(&self) -> u32 {
        use weight::*;
        let some = |o: &Option<String>, w: u32| if o.is_some() { w } else { 0 };
        let flag = |b: bool, w: u32| if b { w } else { 0 };
        let n = |len: usize, w: u32| (len as u32).saturating_mul(w);
        some(&self.kind, KIND)
            + some(&self.provider, NARROW)
            + some(&self.baseline_provider, NARROW)
            + some(&self.method, NARROW)
            + some(&self.path, NARROW)
            + some(&self.field_not, NARROW)
            + some(&self.field, SHAPE)
            + some(&self.context, SHAPE)
            + some(&self.baseline, SHAPE)
            + some(&self.candidate, SHAPE)
            + flag(self.baseline_absent, SHAPE)
            + flag(self.candidate_absent, SHAPE)
            + flag(self.relation.is_some(), SHAPE)
            + flag(!self.baseline_status.is_empty(), SHAPE)
            + flag(!self.candidate_status.is_empty(), SHAPE)
            + n(self.request_headers.len(), SHAPE)
            + n(self.baseline_headers.len(), SIGNATURE)
            + n(self.candidate_headers.len(), SIGNATURE)
            + n(self.candidate_headers_absent.len(), SIGNATURE)
            + n(self.candidate_headers_not.len(), SIGNATURE)
            + some(&self.baseline_body, SIGNATURE)
            + some(&self.candidate_body, SIGNATURE)
            + some(&self.candidate_body_not, SIGNATURE)
    }

    /// One line saying what the rule looks at: the kind and field, then
    /// each other condition by name (values of provider and status
    /// conditions included, patterns left to `edgeparity hints ID`).
    pub fn summary(&self) -> String {
        let mut parts = vec![self.kind.clone().unwrap_or_else(|| "any kind".into())];
        if let Some(f) = &self.field {
            parts.push(format!("field {f}"));
        }
        if let Some(p) = &self.provider {
            parts.push(format!("candidate {p}"));
        }
        if let Some(p) = &self.baseline_provider {
            parts.push(format!("baseline {p}"));
        }
        let statuses = |specs: &[StatusSpec]| {
            specs
                .iter()
                .map(|s| match s {
                    StatusSpec::Code(c) => c.to_string(),
                    StatusSpec::Range(r) => r.clone(),
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        if !self.baseline_status.is_empty() {
            parts.push(format!(
                "baseline status {}",
                statuses(&self.baseline_status)
            ));
        }
        if !self.candidate_status.is_empty() {
            parts.push(format!(
                "candidate status {}",
                statuses(&self.candidate_status)
            ));
        }
        let named: [(&str, bool); 13] = [
            ("field_not", self.field_not.is_some()),
            ("baseline value", self.baseline.is_some()),
            ("candidate value", self.candidate.is_some()),
            ("baseline absent", self.baseline_absent),
            ("candidate absent", self.candidate_absent),
            ("method", self.method.is_some()),
            ("path", self.path.is_some()),
            ("context", self.context.is_some()),
            ("baseline body", self.baseline_body.is_some()),
            ("candidate body", self.candidate_body.is_some()),
            ("candidate body not", self.candidate_body_not.is_some()),
            ("baseline headers", !self.baseline_headers.is_empty()),
            (
                "candidate headers absent",
                !self.candidate_headers_absent.is_empty(),
            ),
        ];
        parts.extend(
            named
                .iter()
                .filter(|(_, on)| *on)
                .map(|(n, _)| n.to_string()),
        );
        if let Some(r) = self.relation {
            parts.push(match r {
                Relation::CandidateWeakensBaseline => "candidate weakens baseline".into(),
            });
        }
        let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>().join(",");
        if !self.request_headers.is_empty() {
            parts.push(format!("request {}", names(&self.request_headers)));
        }
        if !self.candidate_headers.is_empty() {
            parts.push(format!("candidate {}", names(&self.candidate_headers)));
        }
        if !self.candidate_headers_not.is_empty() {
            parts.push(format!(
                "candidate not {}",
                names(&self.candidate_headers_not)
            ));
        }
        parts.join(" · ")
    }

    /// Whether the rule states anything beyond the provider names.
    fn has_condition(&self) -> bool {
        let narrow =
            u32::from(self.provider.is_some()) + u32::from(self.baseline_provider.is_some());
        self.specificity() > narrow
    }
}

/// Parse catalogue YAML (a sequence of entries), through the YAML door.
pub fn parse_catalogue(text: &str) -> Result<Vec<Entry>, HintsError> {
    crate::yaml::parse::<Vec<Entry>>(std::path::Path::new("catalogue"), text)
        .map_err(|e| HintsError::Parse(e.to_string()))
}

/// A rule with its regexes compiled.
#[derive(Debug, Clone)]
struct Compiled {
    score: u32,
    kind: Option<String>,
    field: Option<Regex>,
    field_not: Option<Regex>,
    provider: Option<String>,
    baseline_provider: Option<String>,
    baseline: Option<Regex>,
    candidate: Option<Regex>,
    baseline_absent: bool,
    candidate_absent: bool,
    relation: Option<Relation>,
    baseline_status: Vec<(u16, u16)>,
    candidate_status: Vec<(u16, u16)>,
    method: Option<Regex>,
    path: Option<Regex>,
    context: Option<Regex>,
    request_headers: Vec<(String, Regex)>,
    baseline_headers: Vec<(String, Regex)>,
    candidate_headers: Vec<(String, Regex)>,
    candidate_headers_absent: Vec<String>,
    candidate_headers_not: Vec<(String, Regex)>,
    baseline_body: Option<Regex>,
    candidate_body: Option<Regex>,
    candidate_body_not: Option<Regex>,
}

struct Compiler<'e> {
    id: &'e str,
}

impl Compiler<'_> {
    fn invalid(&self, reason: impl Into<String>) -> HintsError {
        HintsError::Invalid {
            id: self.id.to_string(),
            reason: reason.into(),
        }
    }

    fn build(&self, pattern: &str, whole: bool) -> Result<Regex, HintsError> {
        let source = if whole {
            format!("^(?:{pattern})$")
        } else {
            pattern.to_string()
        };
        RegexBuilder::new(&source)
            .case_insensitive(whole)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| HintsError::Regex {
                id: self.id.to_string(),
                pattern: pattern.to_string(),
                reason: e.to_string(),
            })
    }

    fn opt(&self, p: &Option<String>, whole: bool) -> Result<Option<Regex>, HintsError> {
        p.as_deref().map(|p| self.build(p, whole)).transpose()
    }

    fn headers(&self, m: &BTreeMap<String, String>) -> Result<Vec<(String, Regex)>, HintsError> {
        m.iter()
            .map(|(name, p)| {
                let name = name.trim().to_ascii_lowercase();
                if name.is_empty() {
                    return Err(self.invalid("an empty header name"));
                }
                Ok((name, self.build(p, false)?))
            })
            .collect()
    }

    fn statuses(&self, specs: &[StatusSpec]) -> Result<Vec<(u16, u16)>, HintsError> {
        specs
            .iter()
            .map(|s| {
                let (lo, hi) = match s {
                    StatusSpec::Code(c) => (*c, *c),
                    StatusSpec::Range(r) => {
                        let parsed = r.split_once('-').and_then(|(a, b)| {
                            Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
                        });
                        parsed.ok_or_else(|| {
                            self.invalid(format!("status range {r:?} is not \"lo-hi\""))
                        })?
                    }
                };
                if !(100..=999).contains(&lo) || !(100..=999).contains(&hi) || lo > hi {
                    return Err(self.invalid(format!("status {lo}-{hi} is not a valid range")));
                }
                Ok((lo, hi))
            })
            .collect()
    }

    fn rule(&self, r: &Rule) -> Result<Compiled, HintsError> {
        if !r.has_condition() {
            return Err(self.invalid("a rule with no condition would match every difference"));
        }
        if let Some(k) = &r.kind {
            if !KINDS.contains(&k.as_str()) {
                return Err(self.invalid(format!("kind {k:?} is not one of {}", KINDS.join(", "))));
            }
        }
        if r.baseline_absent && r.baseline.is_some() {
            return Err(self.invalid("baseline and baseline_absent contradict each other"));
        }
        if r.candidate_absent && r.candidate.is_some() {
            return Err(self.invalid("candidate and candidate_absent contradict each other"));
        }
        Ok(Compiled {
            score: r.specificity(),
            kind: r.kind.clone(),
            field: self.opt(&r.field, true)?,
            field_not: self.opt(&r.field_not, true)?,
            provider: r.provider.as_ref().map(|p| p.to_ascii_lowercase()),
            baseline_provider: r.baseline_provider.as_ref().map(|p| p.to_ascii_lowercase()),
            baseline: self.opt(&r.baseline, false)?,
            candidate: self.opt(&r.candidate, false)?,
            baseline_absent: r.baseline_absent,
            candidate_absent: r.candidate_absent,
            relation: r.relation,
            baseline_status: self.statuses(&r.baseline_status)?,
            candidate_status: self.statuses(&r.candidate_status)?,
            method: self.opt(&r.method, true)?,
            path: self.opt(&r.path, false)?,
            context: self.opt(&r.context, false)?,
            request_headers: self.headers(&r.request_headers)?,
            baseline_headers: self.headers(&r.baseline_headers)?,
            candidate_headers: self.headers(&r.candidate_headers)?,
            candidate_headers_absent: r
                .candidate_headers_absent
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            candidate_headers_not: self.headers(&r.candidate_headers_not)?,
            baseline_body: self.opt(&r.baseline_body, false)?,
            candidate_body: self.opt(&r.candidate_body, false)?,
            candidate_body_not: self.opt(&r.candidate_body_not, false)?,
        })
    }

    fn entry(&self, e: &Entry) -> Result<Vec<Compiled>, HintsError> {
        if !is_kebab(&e.id) {
            return Err(self.invalid("the id must be kebab-case (a-z, 0-9, single dashes)"));
        }
        for (name, value) in [
            ("title", &e.title),
            ("behaviour", &e.behaviour),
            ("fix", &e.fix),
        ] {
            if value.trim().is_empty() {
                return Err(self.invalid(format!("{name} is empty")));
            }
        }
        if e.rules.is_empty() {
            return Err(self.invalid("match has no rule"));
        }
        e.rules.iter().map(|r| self.rule(r)).collect()
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Any value of header `name` (lower-case) matching `re`.
fn header_matches(headers: &[(String, String)], name: &str, re: &Regex) -> bool {
    headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(name) && re.is_match(v))
}

fn header_present(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn status_in(status: Option<u16>, ranges: &[(u16, u16)]) -> bool {
    ranges.is_empty()
        || status.is_some_and(|s| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&s)))
}

/// `Some` pattern must find a match in a present value.
fn search(re: &Option<Regex>, value: Option<&str>) -> bool {
    match re {
        None => true,
        Some(re) => value.is_some_and(|v| re.is_match(v)),
    }
}

fn relation_holds(rel: Relation, f: &Finding<'_>) -> bool {
    match rel {
        Relation::CandidateWeakensBaseline => match (f.baseline, f.candidate) {
            (Some(b), Some(c)) => {
                let b = b.trim();
                b.starts_with('"') && c.trim().strip_prefix("W/") == Some(b)
            }
            _ => false,
        },
    }
}

impl Compiled {
    fn matches(&self, f: &Finding<'_>) -> bool {
        if let Some(k) = &self.kind {
            if !k.eq_ignore_ascii_case(f.kind.trim()) {
                return false;
            }
        }
        if let Some(p) = &self.provider {
            if !p.eq_ignore_ascii_case(f.provider_kind) {
                return false;
            }
        }
        if let Some(p) = &self.baseline_provider {
            if !p.eq_ignore_ascii_case(f.baseline_kind) {
                return false;
            }
        }
        if !search(&self.field, f.field) {
            return false;
        }
        if let (Some(re), Some(field)) = (&self.field_not, f.field) {
            if re.is_match(field) {
                return false;
            }
        }
        if !search(&self.baseline, f.baseline) || !search(&self.candidate, f.candidate) {
            return false;
        }
        if (self.baseline_absent && f.baseline.is_some())
            || (self.candidate_absent && f.candidate.is_some())
        {
            return false;
        }
        if let Some(rel) = self.relation {
            if !relation_holds(rel, f) {
                return false;
            }
        }
        if !status_in(f.baseline_status, &self.baseline_status)
            || !status_in(f.candidate_status, &self.candidate_status)
        {
            return false;
        }
        if !search(&self.method, f.method)
            || !search(&self.path, f.path)
            || !search(&self.context, f.context)
        {
            return false;
        }
        let all = |conds: &[(String, Regex)], headers: &[(String, String)]| {
            conds
                .iter()
                .all(|(name, re)| header_matches(headers, name, re))
        };
        if !all(&self.request_headers, f.request_headers)
            || !all(&self.baseline_headers, f.baseline_headers)
            || !all(&self.candidate_headers, f.candidate_headers)
        {
            return false;
        }
        if self
            .candidate_headers_absent
            .iter()
            .any(|name| header_present(f.candidate_headers, name))
        {
            return false;
        }
        if self
            .candidate_headers_not
            .iter()
            .any(|(name, re)| header_matches(f.candidate_headers, name, re))
        {
            return false;
        }
        if !search(&self.baseline_body, f.baseline_body)
            || !search(&self.candidate_body, f.candidate_body)
        {
            return false;
        }
        if let Some(re) = &self.candidate_body_not {
            match f.candidate_body {
                Some(body) if !re.is_match(body) => {}
                _ => return false,
            }
        }
        true
    }
}

/// A validated catalogue with its rules compiled.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<Entry>,
    /// `compiled[i]` are `entries[i]`'s rules.
    compiled: Vec<Vec<Compiled>>,
}

impl Catalogue {
    /// Validate entries and compile their rules. Order is significant: it
    /// breaks ties in [`Catalogue::best`].
    pub fn new(entries: Vec<Entry>) -> Result<Catalogue, HintsError> {
        let mut seen = std::collections::BTreeSet::new();
        let mut compiled = Vec::with_capacity(entries.len());
        for e in &entries {
            if !seen.insert(e.id.as_str()) {
                return Err(HintsError::DuplicateId(e.id.clone()));
            }
            compiled.push(Compiler { id: &e.id }.entry(e)?);
        }
        Ok(Catalogue { entries, compiled })
    }

    /// Parse and compile catalogue YAML.
    pub fn from_yaml(text: &str) -> Result<Catalogue, HintsError> {
        Catalogue::new(parse_catalogue(text)?)
    }

    /// This catalogue with `user` entries (from `parity.yaml`) in front:
    /// they win ties, and a user entry whose id equals a catalogue id
    /// replaces that entry (to adjust a fix to the team's runbook).
    pub fn with_user_entries(&self, user: Vec<Entry>) -> Result<Catalogue, HintsError> {
        let mut all = user;
        let overridden: std::collections::BTreeSet<String> =
            all.iter().map(|e| e.id.clone()).collect();
        all.extend(
            self.entries
                .iter()
                .filter(|e| !overridden.contains(&e.id))
                .cloned(),
        );
        Catalogue::new(all)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The hint for a finding: [`Catalogue::best`] as a report carries it.
    pub fn hint(&self, finding: &Finding<'_>) -> Option<Hint> {
        self.best(finding).map(Entry::hint)
    }

    /// The most specific entry whose rule matches, or `None`. Specificity is
    /// [`Rule::specificity`] of the best matching rule of each entry; equal
    /// scores go to the earlier entry.
    pub fn best(&self, finding: &Finding<'_>) -> Option<&Entry> {
        let mut best: Option<(u32, usize)> = None;
        for (i, rules) in self.compiled.iter().enumerate() {
            let score = rules
                .iter()
                .filter(|r| r.matches(finding))
                .map(|r| r.score)
                .max();
            if let Some(score) = score {
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, i));
                }
            }
        }
        best.and_then(|(_, i)| self.entries.get(i))
    }
}

static BUILTIN: OnceLock<(Catalogue, Option<HintsError>)> = OnceLock::new();

fn builtin_loaded() -> &'static (Catalogue, Option<HintsError>) {
    BUILTIN.get_or_init(|| match Catalogue::from_yaml(BUILTIN_YAML) {
        Ok(c) => (c, None),
        Err(e) => (Catalogue::default(), Some(e)),
    })
}

/// The built-in catalogue (`data/catalogue.yaml`), parsed once. Should it
/// ever fail to load, this is an empty catalogue (no hint is better than a
/// wrong one) and [`builtin_error`] says why; a unit test keeps that from
/// shipping.
pub fn builtin() -> &'static Catalogue {
    &builtin_loaded().0
}

/// Why the built-in catalogue failed to load, if it did.
pub fn builtin_error() -> Option<&'static HintsError> {
    builtin_loaded().1.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn cf<'a>(kind: &'a str) -> Finding<'a> {
        Finding::new(kind, "cloudflare", "fastly")
    }

    fn best_id(f: &Finding<'_>) -> Option<&'static str> {
        builtin().best(f).map(|e| e.id.as_str())
    }

    #[test]
    fn builtin_catalogue_parses_and_compiles() {
        assert_eq!(builtin_error(), None);
        assert!(builtin().entries().len() >= 20);
    }

    #[test]
    fn ids_are_unique_kebab_case_and_every_entry_cites_provider_docs() {
        let mut ids = std::collections::BTreeSet::new();
        for e in builtin().entries() {
            assert!(ids.insert(e.id.clone()), "duplicate id {}", e.id);
            assert!(is_kebab(&e.id), "{} is not kebab-case", e.id);
            let official = e.docs.iter().any(|u| {
                let host = u
                    .strip_prefix("https://")
                    .and_then(|r| r.split('/').next())
                    .unwrap_or_default();
                matches!(
                    host,
                    "fastly.com"
                        | "www.fastly.com"
                        | "developer.fastly.com"
                        | "docs.fastly.com"
                        | "developers.cloudflare.com"
                )
            });
            assert!(official, "{} cites no Fastly or Cloudflare docs", e.id);
            let sentences = e.behaviour.matches(". ").count() + 1;
            assert!(
                (2..=3).contains(&sentences),
                "{}: behaviour should be 2-3 sentences",
                e.id
            );
        }
    }

    /// Every entry has a positive case in `cases()`, so no rule is untested.
    #[test]
    fn every_entry_has_a_case() {
        let cases = cases();
        for e in builtin().entries() {
            assert!(
                cases.iter().any(|c| c.id == e.id),
                "entry {} has no positive/near-miss case",
                e.id
            );
        }
    }

    /// What a case does with a finding it built: ask the catalogue.
    type Run<'r> = &'r dyn Fn(&Finding<'_>) -> Option<&'static str>;
    type Probe = Box<dyn Fn(Run<'_>) -> Option<&'static str>>;

    struct Case {
        id: &'static str,
        positive: Probe,
        near_miss: Probe,
    }

    /// Build a case from two closures that construct findings. The headers
    /// and bodies live inside the closures, so findings can borrow them.
    macro_rules! case {
        ($id:expr, |$p:ident| $pos:block, |$n:ident| $neg:block) => {
            Case {
                id: $id,
                positive: Box::new(|$p: Run<'_>| $pos),
                near_miss: Box::new(|$n: Run<'_>| $neg),
            }
        };
    }

    fn cases() -> Vec<Case> {
        vec![
            case!(
                "vary-not-honoured",
                |run| {
                    run(&Finding {
                        field: Some("accept-language"),
                        baseline: Some("own variant"),
                        candidate: Some("the 'en' variant"),
                        ..cf("vary")
                    })
                },
                |run| {
                    // Accept-Encoding is honoured by Cloudflare: not this.
                    run(&Finding {
                        field: Some("accept-encoding"),
                        baseline: Some("own variant"),
                        candidate: Some("the 'gzip' variant"),
                        ..cf("vary")
                    })
                }
            ),
            case!(
                "not-eligible-for-cache",
                |run| {
                    run(&Finding {
                        field: Some("sequence[1]"),
                        baseline: Some("hit"),
                        candidate: Some("uncacheable"),
                        ..cf("cache")
                    })
                },
                |run| {
                    // A no-store API: a miss on Fastly, DYNAMIC on Cloudflare
                    // because the origin forbids storing; no cache rule fixes it.
                    let ch = h(&[
                        ("cf-cache-status", "DYNAMIC"),
                        ("cache-control", "no-store"),
                    ]);
                    run(&Finding {
                        field: Some("sequence[0]"),
                        baseline: Some("miss"),
                        candidate: Some("uncacheable"),
                        method: Some("GET"),
                        candidate_status: Some(200),
                        candidate_headers: &ch,
                        ..cf("cache")
                    })
                }
            ),
            case!(
                "default-ttl-by-status",
                |run| {
                    run(&Finding {
                        field: Some("sequence[2]"),
                        baseline: Some("hit"),
                        candidate: Some("expired"),
                        candidate_status: Some(302),
                        ..cf("cache")
                    })
                },
                |run| {
                    // Same shape on a 200: Cloudflare's 200 TTL is not the cause.
                    run(&Finding {
                        field: Some("sequence[2]"),
                        baseline: Some("hit"),
                        candidate: Some("expired"),
                        candidate_status: Some(200),
                        ..cf("cache")
                    })
                }
            ),
            case!(
                "strong-etag-weakened",
                |run| {
                    run(&Finding {
                        field: Some("etag"),
                        baseline: Some("\"app-js-v1\""),
                        candidate: Some("W/\"app-js-v1\""),
                        ..cf("header")
                    })
                },
                |run| {
                    // A different weak ETag is a different version, not weakening.
                    run(&Finding {
                        field: Some("etag"),
                        baseline: Some("\"app-js-v1\""),
                        candidate: Some("W/\"app-js-v2\""),
                        ..cf("header")
                    })
                }
            ),
            case!(
                "unquoted-etag-dropped",
                |run| {
                    run(&Finding {
                        field: Some("etag"),
                        baseline: Some("etag-v1"),
                        candidate: None,
                        ..cf("header")
                    })
                },
                |run| {
                    // A quoted ETag that went missing is something else.
                    run(&Finding {
                        field: Some("etag"),
                        baseline: Some("\"etag-v1\""),
                        candidate: None,
                        ..cf("header")
                    })
                }
            ),
            case!(
                "surrogate-headers",
                |run| {
                    run(&Finding {
                        field: Some("surrogate-key"),
                        baseline: None,
                        candidate: Some("product-1 product-2"),
                        ..cf("header")
                    })
                },
                |run| {
                    run(&Finding {
                        field: Some("cache-control"),
                        baseline: Some("max-age=60"),
                        candidate: Some("max-age=120"),
                        ..cf("header")
                    })
                }
            ),
            case!(
                "set-cookie-on-cacheable",
                |run| {
                    let ch = h(&[("set-cookie", "session=abc; Path=/")]);
                    run(&Finding {
                        field: Some("sequence[1]"),
                        baseline: Some("miss"),
                        candidate: Some("hit"),
                        candidate_headers: &ch,
                        ..cf("cache")
                    })
                },
                |run| {
                    // Both sides set a (volatile) cookie: values differ, nothing cached.
                    run(&Finding {
                        field: Some("set-cookie"),
                        baseline: Some("session=a"),
                        candidate: Some("session=b"),
                        ..cf("header")
                    })
                }
            ),
            case!(
                "stale-serving",
                |run| {
                    let ch = h(&[("cache-control", "max-age=5, stale-while-revalidate=30")]);
                    run(&Finding {
                        field: Some("sequence[2]"),
                        baseline: Some("hit"),
                        candidate: Some("updating"),
                        candidate_headers: &ch,
                        ..cf("cache")
                    })
                },
                |run| {
                    // Expired without any stale directive: a TTL question.
                    let ch = h(&[("cache-control", "max-age=5")]);
                    run(&Finding {
                        field: Some("sequence[2]"),
                        baseline: Some("hit"),
                        candidate: Some("updating"),
                        candidate_headers: &ch,
                        ..cf("cache")
                    })
                }
            ),
            case!(
                "query-string-order",
                |run| {
                    run(&Finding {
                        field: Some("sequence[1]"),
                        baseline: Some("miss"),
                        candidate: Some("hit"),
                        path: Some("/search?b=2&a=1"),
                        context: Some("query order: b&a"),
                        ..cf("cache")
                    })
                },
                |run| {
                    // The same miss/hit without a query-order probe.
                    run(&Finding {
                        field: Some("sequence[1]"),
                        baseline: Some("miss"),
                        candidate: Some("hit"),
                        path: Some("/search?b=2&a=1"),
                        ..cf("cache")
                    })
                }
            ),
            case!(
                "edge-compression",
                |run| {
                    run(&Finding {
                        field: Some("content-encoding"),
                        baseline: None,
                        candidate: Some("gzip"),
                        ..cf("header")
                    })
                },
                |run| {
                    run(&Finding {
                        field: Some("content-type"),
                        baseline: Some("text/html"),
                        candidate: Some("text/plain"),
                        ..cf("header")
                    })
                }
            ),
            case!(
                "email-obfuscation",
                |run| {
                    run(&Finding {
                        candidate_body: Some(
                            "<p>Write to <a href=\"/cdn-cgi/l/email-protection#6e04\">[email&#160;protected]</a></p>",
                        ),
                        baseline_body: Some("<p>Write to <a href=\"mailto:a@b.test\">a@b.test</a></p>"),
                        ..cf("body")
                    })
                },
                |run| {
                    // A body change that is not an email rewrite.
                    run(&Finding {
                        candidate_body: Some("<p>Hello, world (v2)</p>"),
                        baseline_body: Some("<p>Hello, world</p>"),
                        ..cf("body")
                    })
                }
            ),
            case!(
                "rocket-loader",
                |run| {
                    run(&Finding {
                        candidate_body: Some(
                            "<script type=\"0c5b1d5f2e3a4b5c6d7e8f90-text/javascript\" src=\"/a.js\"></script>\
                             <script src=\"/cdn-cgi/scripts/7d0fa10a/cloudflare-static/rocket-loader.min.js\" data-cf-settings=\"0c5b\" defer></script>",
                        ),
                        ..cf("body")
                    })
                },
                |run| {
                    // data-cfasync alone is not Rocket Loader's rewrite.
                    run(&Finding {
                        candidate_body: Some(
                            "<script data-cfasync=\"false\" src=\"/a.js\"></script>",
                        ),
                        ..cf("body")
                    })
                }
            ),
            case!(
                "automatic-https-rewrites",
                |run| {
                    run(&Finding {
                        baseline_body: Some("<img src=\"http://cdn.example.test/a.png\">"),
                        candidate_body: Some("<img src=\"https://cdn.example.test/a.png\">"),
                        ..cf("body")
                    })
                },
                |run| {
                    // Candidate still has an http:// link: not a rewrite.
                    run(&Finding {
                        baseline_body: Some("<img src=\"http://a.test/1.png\">"),
                        candidate_body: Some(
                            "<img src=\"https://a.test/2.png\"><img src=\"http://a.test/1.png\">",
                        ),
                        ..cf("body")
                    })
                }
            ),
            case!(
                "waf-block-or-challenge",
                |run| {
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(403),
                        baseline: Some("200"),
                        candidate: Some("403"),
                        candidate_body: Some(
                            "<title>Access denied</title> Error code 1020 ... Cloudflare Ray ID: 8a1b2c3d4e5f6a7b",
                        ),
                        ..cf("status")
                    })
                },
                |run| {
                    // A 403 from the origin itself, not from a WAF.
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(403),
                        baseline: Some("200"),
                        candidate: Some("403"),
                        candidate_body: Some("Forbidden: your token expired\n"),
                        ..cf("status")
                    })
                }
            ),
            case!(
                "edge-timeout-error",
                |run| {
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(524),
                        ..cf("status")
                    })
                },
                |run| {
                    // A 502 the origin produced is not an edge error page.
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(502),
                        ..cf("status")
                    })
                }
            ),
            case!(
                "edge-redirect",
                |run| {
                    let ch = h(&[
                        ("location", "https://www.example.test/"),
                        ("server", "cloudflare"),
                    ]);
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(301),
                        candidate_headers: &ch,
                        ..cf("status")
                    })
                },
                |run| {
                    // The origin's redirect passed through the cache.
                    let ch = h(&[("location", "/"), ("cf-cache-status", "DYNAMIC")]);
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(301),
                        candidate_headers: &ch,
                        ..cf("status")
                    })
                }
            ),
            case!(
                "range-request",
                |run| {
                    let rq = h(&[("Range", "bytes=0-99")]);
                    run(&Finding {
                        baseline_status: Some(206),
                        candidate_status: Some(200),
                        request_headers: &rq,
                        ..cf("status")
                    })
                },
                |run| {
                    // No Range was asked for: a 206 is something else.
                    run(&Finding {
                        baseline_status: Some(206),
                        candidate_status: Some(200),
                        ..cf("status")
                    })
                }
            ),
            case!(
                "validator-removed",
                |run| {
                    run(&Finding {
                        field: Some("validators"),
                        baseline: Some("etag, last-modified"),
                        candidate: Some("last-modified"),
                        ..cf("conditional")
                    })
                },
                |run| {
                    // The ETag is there; only the date validator is missing.
                    run(&Finding {
                        field: Some("validators"),
                        baseline: Some("etag, last-modified"),
                        candidate: Some("etag"),
                        ..cf("conditional")
                    })
                }
            ),
            case!(
                "revalidation-with-weakened-etag",
                |run| {
                    let bh = h(&[("etag", "\"v1\"")]);
                    let ch = h(&[("etag", "W/\"v1\"")]);
                    run(&Finding {
                        field: Some("status"),
                        baseline_status: Some(304),
                        candidate_status: Some(200),
                        baseline_headers: &bh,
                        candidate_headers: &ch,
                        ..cf("conditional")
                    })
                },
                |run| {
                    // Both weak: the weakening is not the cause.
                    let bh = h(&[("etag", "W/\"v1\"")]);
                    let ch = h(&[("etag", "W/\"v1\"")]);
                    run(&Finding {
                        field: Some("status"),
                        baseline_status: Some(304),
                        candidate_status: Some(200),
                        baseline_headers: &bh,
                        candidate_headers: &ch,
                        ..cf("conditional")
                    })
                }
            ),
            case!(
                "range-request",
                |run| {
                    // The `range:` probe: its kind says a range was asked.
                    run(&Finding {
                        field: Some("status"),
                        baseline_status: Some(206),
                        candidate_status: Some(200),
                        ..cf("range")
                    })
                },
                |run| {
                    // A 200 on both sides for a range is no difference of this.
                    run(&Finding {
                        field: Some("status"),
                        baseline_status: Some(200),
                        candidate_status: Some(416),
                        ..cf("range")
                    })
                }
            ),
            case!(
                "authorization-caching",
                |run| {
                    let rq = h(&[("Authorization", "Bearer t")]);
                    run(&Finding {
                        field: Some("sequence[1]"),
                        baseline: Some("hit"),
                        candidate: Some("miss"),
                        request_headers: &rq,
                        ..cf("cache")
                    })
                },
                |run| {
                    run(&Finding {
                        field: Some("sequence[1]"),
                        baseline: Some("hit"),
                        candidate: Some("miss"),
                        ..cf("cache")
                    })
                }
            ),
            case!(
                "request-size-limits",
                |run| {
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(413),
                        ..cf("status")
                    })
                },
                |run| {
                    // A 400 is not a size limit by itself.
                    run(&Finding {
                        baseline_status: Some(200),
                        candidate_status: Some(400),
                        ..cf("status")
                    })
                }
            ),
            case!(
                "identity-headers",
                |run| {
                    run(&Finding {
                        field: Some("cf-ray"),
                        baseline: None,
                        candidate: Some("8a1b2c3d4e5f6a7b-TST"),
                        ..cf("header")
                    })
                },
                |run| {
                    // X-Powered-By can be removed (Managed Transforms).
                    run(&Finding {
                        field: Some("x-powered-by"),
                        baseline: Some("PHP"),
                        candidate: None,
                        ..cf("header")
                    })
                }
            ),
        ]
    }

    #[test]
    fn every_entry_positive_case_gets_exactly_that_entry() {
        for c in cases() {
            let got = (c.positive)(&best_id);
            assert_eq!(got, Some(c.id), "positive case of {}", c.id);
        }
    }

    #[test]
    fn every_entry_near_miss_gets_another_hint_or_none() {
        for c in cases() {
            let got = (c.near_miss)(&best_id);
            assert_ne!(got, Some(c.id), "near miss of {} matched it", c.id);
        }
    }

    #[test]
    fn near_misses_get_no_hint_at_all() {
        // Stronger than "not this entry": none of the near misses fits any
        // other entry either (a wrong hint is worse than none).
        for c in cases() {
            assert_eq!((c.near_miss)(&best_id), None, "near miss of {}", c.id);
        }
    }

    /// Bodies as the testbed serves them (origin, and the Cloudflare
    /// stand-in's rewrite or own answer).
    const CONTACT_ORIGIN: &str = "<!doctype html>\n<title>Contact</title>\n\
        <p>Write to <a href=\"mailto:team@example.test\">team@example.test</a>.</p>\n";
    const CONTACT_CF: &str = "<!doctype html>\n<title>Contact</title>\n\
        <p>Write to <a href=\"/cdn-cgi/l/email-protection#2c58494d416c49544d415c40490258495f58\">\
        [email&#160;protected]</a><script data-cfasync=\"false\" \
        src=\"/cdn-cgi/scripts/5c5dd728/cloudflare-static/email-decode.min.js\"></script>.</p>\n";
    const ADMIN_CF: &str = "<!DOCTYPE html>\n<html><head><title>Access denied | www.example.test \
        used Cloudflare to restrict access</title></head>\n<body><h1>Access denied</h1>\n\
        <p>Error code 1020</p>\n<p>Cloudflare Ray ID: b36ae2cfd1c29ca8 &bull; Performance &amp; \
        security by Cloudflare</p>\n</body></html>\n";

    #[test]
    fn testbed_differences_get_the_hint_a_migration_needs() {
        // The deliberate differences of testbed/README.md, as the example
        // suites report them.
        let ch_dynamic = h(&[
            ("cf-cache-status", "DYNAMIC"),
            ("cache-control", "public, max-age=300"),
        ]);
        let ch_no_store = h(&[
            ("cf-cache-status", "DYNAMIC"),
            ("cache-control", "no-store"),
        ]);
        let ch_dynamic_bare = h(&[("cf-cache-status", "DYNAMIC")]);
        let ch_challenge = h(&[("server", "cloudflare"), ("cf-mitigated", "challenge")]);
        let ch_moved = h(&[
            ("location", "https://www.example.test/hints/contact.html"),
            ("server", "cloudflare"),
            ("cf-ray", "ec04997c53603678-TST"),
        ]);
        let cases: Vec<(Finding<'_>, Option<&str>)> = vec![
            // #1 HTML not cached by extension.
            (
                Finding {
                    field: Some("sequence[1]"),
                    baseline: Some("hit"),
                    candidate: Some("uncacheable"),
                    ..cf("cache")
                },
                Some("not-eligible-for-cache"),
            ),
            (
                Finding {
                    field: Some("sequence[0]"),
                    baseline: Some("miss"),
                    candidate: Some("uncacheable"),
                    method: Some("GET"),
                    candidate_status: Some(200),
                    candidate_headers: &ch_dynamic,
                    ..cf("cache")
                },
                Some("not-eligible-for-cache"),
            ),
            // #2 Vary leak.
            (
                Finding {
                    field: Some("accept-language"),
                    baseline: Some("own variant"),
                    candidate: Some("the 'en' variant"),
                    ..cf("vary")
                },
                Some("vary-not-honoured"),
            ),
            // #3 compression.
            (
                Finding {
                    field: Some("content-encoding"),
                    candidate: Some("gzip"),
                    ..cf("header")
                },
                Some("edge-compression"),
            ),
            // #4, #5 ETags.
            (
                Finding {
                    field: Some("etag"),
                    baseline: Some("\"etag-v1\""),
                    candidate: Some("W/\"etag-v1\""),
                    ..cf("header")
                },
                Some("strong-etag-weakened"),
            ),
            (
                Finding {
                    field: Some("etag"),
                    baseline: Some("etag-v1"),
                    ..cf("header")
                },
                Some("unquoted-etag-dropped"),
            ),
            // #6 Set-Cookie replayed on a hit.
            (
                Finding {
                    field: Some("set-cookie"),
                    candidate: Some("session=abc; Path=/; HttpOnly"),
                    ..cf("cache")
                },
                Some("set-cookie-on-cacheable"),
            ),
            // #7 private: miss vs pass is vocabulary, no hint.
            (
                Finding {
                    field: Some("sequence[0]"),
                    baseline: Some("miss"),
                    candidate: Some("pass"),
                    ..cf("cache")
                },
                None,
            ),
            // #8 neither side caches (no-store, or a status Fastly does not
            // cache): vocabulary only, no hint.
            (
                Finding {
                    field: Some("sequence[0]"),
                    baseline: Some("miss"),
                    candidate: Some("uncacheable"),
                    method: Some("GET"),
                    candidate_status: Some(200),
                    candidate_headers: &ch_no_store,
                    ..cf("cache")
                },
                None,
            ),
            (
                Finding {
                    field: Some("sequence[0]"),
                    baseline: Some("miss"),
                    candidate: Some("uncacheable"),
                    method: Some("GET"),
                    candidate_status: Some(500),
                    candidate_headers: &ch_dynamic_bare,
                    ..cf("cache")
                },
                None,
            ),
            // #10-#14: suites/hints.yaml.
            (
                Finding {
                    baseline_body: Some(CONTACT_ORIGIN),
                    candidate_body: Some(CONTACT_CF),
                    ..cf("body")
                },
                Some("email-obfuscation"),
            ),
            (
                Finding {
                    field: Some("content-type"),
                    baseline: Some("text/html; charset=utf-8"),
                    candidate: Some("text/html"),
                    baseline_status: Some(200),
                    candidate_status: Some(403),
                    candidate_body: Some(ADMIN_CF),
                    ..cf("header")
                },
                Some("waf-block-or-challenge"),
            ),
            (
                Finding {
                    baseline: Some("200"),
                    candidate: Some("403"),
                    baseline_status: Some(200),
                    candidate_status: Some(403),
                    candidate_headers: &ch_challenge,
                    ..cf("status")
                },
                Some("waf-block-or-challenge"),
            ),
            (
                Finding {
                    baseline_status: Some(200),
                    candidate_status: Some(524),
                    ..cf("body")
                },
                Some("edge-timeout-error"),
            ),
            (
                Finding {
                    field: Some("location"),
                    candidate: Some("https://www.example.test/hints/contact.html"),
                    baseline_status: Some(200),
                    candidate_status: Some(301),
                    candidate_headers: &ch_moved,
                    ..cf("header")
                },
                Some("edge-redirect"),
            ),
            // #9 flaky body: no hint.
            (
                Finding {
                    baseline_body: Some("A"),
                    candidate_body: Some("B"),
                    ..cf("body")
                },
                None,
            ),
        ];
        for (f, want) in cases {
            assert_eq!(best_id(&f), want, "{f:?}");
        }
    }

    fn entry(id: &str, rules: Vec<Rule>) -> Entry {
        Entry {
            id: id.into(),
            title: "t".into(),
            behaviour: "b. c.".into(),
            fix: "f".into(),
            alternative: None,
            docs: vec![],
            rules,
        }
    }

    fn header_rule(field: &str) -> Rule {
        Rule {
            kind: Some("header".into()),
            field: Some(field.into()),
            ..Rule::default()
        }
    }

    #[test]
    fn the_more_specific_rule_wins_and_ties_go_to_the_earlier_entry() {
        let vague = entry("vague", vec![header_rule("etag")]);
        let precise = entry(
            "precise",
            vec![Rule {
                candidate_absent: true,
                ..header_rule("etag")
            }],
        );
        let twin = entry("twin", vec![header_rule("etag")]);
        let c = Catalogue::new(vec![vague, precise, twin]).unwrap_or_default();
        let f = Finding {
            field: Some("etag"),
            baseline: Some("x"),
            ..cf("header")
        };
        assert_eq!(c.best(&f).map(|e| e.id.as_str()), Some("precise"));
        let f = Finding {
            candidate: Some("y"),
            ..f
        };
        assert_eq!(c.best(&f).map(|e| e.id.as_str()), Some("vague"));
    }

    #[test]
    fn user_entries_win_ties_and_replace_entries_with_their_id() {
        let user_tie = entry(
            "team-etag",
            vec![Rule {
                provider: Some("cloudflare".into()),
                relation: Some(Relation::CandidateWeakensBaseline),
                ..header_rule("etag")
            }],
        );
        let mut replaced = entry("edge-compression", vec![header_rule("content-encoding")]);
        replaced.fix = "our runbook".into();
        let c = builtin()
            .with_user_entries(vec![user_tie, replaced])
            .unwrap_or_default();
        let weak = Finding {
            field: Some("etag"),
            baseline: Some("\"a\""),
            candidate: Some("W/\"a\""),
            ..cf("header")
        };
        assert_eq!(c.best(&weak).map(|e| e.id.as_str()), Some("team-etag"));
        assert_eq!(
            c.entries()
                .iter()
                .filter(|e| e.id == "edge-compression")
                .count(),
            1
        );
        assert_eq!(
            c.get("edge-compression").map(|e| e.fix.as_str()),
            Some("our runbook")
        );
        assert_eq!(c.entries().len(), builtin().entries().len() + 1);
    }

    #[test]
    fn bad_catalogues_are_rejected_with_the_entry_named() {
        let unknown_key = "- id: a\n  title: t\n  behaviour: b\n  fix: f\n  match: [{kind: header, feild: etag}]\n";
        assert!(matches!(
            parse_catalogue(unknown_key),
            Err(HintsError::Parse(_))
        ));
        let unknown_entry_key =
            "- id: a\n  title: t\n  behaviour: b\n  fix: f\n  hint: x\n  match: [{kind: header}]\n";
        assert!(matches!(
            parse_catalogue(unknown_entry_key),
            Err(HintsError::Parse(_))
        ));

        let bad_regex = entry("bad", vec![header_rule("(etag")]);
        assert!(matches!(
            Catalogue::new(vec![bad_regex]),
            Err(HintsError::Regex { ref id, .. }) if id == "bad"
        ));
        let empty = entry(
            "empty",
            vec![Rule {
                provider: Some("cloudflare".into()),
                ..Rule::default()
            }],
        );
        assert!(matches!(
            Catalogue::new(vec![empty]),
            Err(HintsError::Invalid { .. })
        ));
        let kind = entry(
            "kind",
            vec![Rule {
                kind: Some("headers".into()),
                ..Rule::default()
            }],
        );
        assert!(matches!(
            Catalogue::new(vec![kind]),
            Err(HintsError::Invalid { .. })
        ));
        let id = entry("Not_Kebab", vec![header_rule("etag")]);
        assert!(matches!(
            Catalogue::new(vec![id]),
            Err(HintsError::Invalid { .. })
        ));
        let status = entry(
            "status",
            vec![Rule {
                candidate_status: vec![StatusSpec::Range("600-500".into())],
                ..Rule::default()
            }],
        );
        assert!(matches!(
            Catalogue::new(vec![status]),
            Err(HintsError::Invalid { .. })
        ));
        let dup = vec![
            entry("x", vec![header_rule("a")]),
            entry("x", vec![header_rule("b")]),
        ];
        assert_eq!(
            Catalogue::new(dup).err(),
            Some(HintsError::DuplicateId("x".into()))
        );
    }

    #[test]
    fn entries_round_trip_through_serde() {
        let yaml = "- id: a-b\n  title: t\n  behaviour: b\n  fix: f\n  docs: [https://developers.cloudflare.com/x]\n  match:\n    - kind: status\n      candidate_status: [403, '520-524']\n      candidate_headers: {cf-mitigated: challenge}\n";
        let entries = parse_catalogue(yaml).unwrap_or_default();
        assert_eq!(entries.len(), 1);
        let json = serde_json::to_string(&entries).unwrap_or_default();
        let back: Vec<Entry> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, entries);
        let c = Catalogue::new(entries).unwrap_or_default();
        let ch = h(&[("CF-Mitigated", "challenge")]);
        let f = Finding {
            candidate_status: Some(522),
            candidate_headers: &ch,
            ..cf("status")
        };
        assert_eq!(c.best(&f).map(|e| e.id.as_str()), Some("a-b"));
    }
}
