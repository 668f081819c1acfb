//! The suites: which requests to send and what to compare, one YAML file
//! per suite (`suites/**/*.yaml`, a suite named by its path: `shop/www`).
//! A written case may become several cases — one per matrix combination
//! (`matrix`) and per host — each with its own unique name, so every later
//! stage sees plain cases.
//!
//! The keys are a contract with users and their CI scripts, so unknown keys
//! are errors (with a "did you mean" hint), and every error names the file,
//! the line and the key, from the parser's spans (`yaml`). `${VAR}` fills a
//! value from the environment; such values are secrets. Nothing here panics
//! on user input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

pub use crate::config::{
    Config, Environment, FingerprintSetting, HttpMode, ProviderConfig, Target,
};
use crate::model::{Expectation, ExpectedDifference, Kind, Verdict};
use crate::vars::{expand_vars, VarError};

pub mod matrix;
use crate::yaml::{self, hint, Spanned};
pub use crate::yaml::{InputError, Location};
pub use matrix::Matrix;

/// The raw file. `JsonSchema` makes `schema/suite.schema.json` from these
/// types (`json_schema`): the schema is what serde reads, doc comments
/// included, so it cannot drift from the parser.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "edgeparity suite (suites/NAME.yaml)",
    description = "Which requests to send to every provider and what to compare. `${NAME}` fills a value from the environment (a secret); unknown keys are errors."
)]
pub(crate) struct SuiteFile {
    /// Scheme, host and optional port: the host is the Host header and the
    /// TLS SNI on every provider.
    #[schemars(with = "String")]
    base_url: Spanned<String>,
    /// What every case of the suite starts from.
    #[serde(default)]
    defaults: DefaultsFile,
    /// The cases, each a request (or a cache or Vary probe) sent to every provider.
    #[schemars(with = "Vec<CaseFile>")]
    pub(crate) cases: Vec<Spanned<CaseFile>>,
    /// The hosts every case runs on (the scheme and port still come from
    /// `base_url`); default: `base_url`'s host.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    hosts: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Defaults")]
struct DefaultsFile {
    /// Request headers sent by every case (a case's own win).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    headers: BTreeMap<String, Spanned<String>>,
    /// Response headers left out of every comparison.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    ignore_headers: Vec<Spanned<String>>,
    /// JSON Pointers (RFC 6901) left out of every JSON body comparison. A
    /// segment that is exactly `*` matches every member or element of one
    /// level (`/items/*/ts`); exactly `**` matches any depth, none included
    /// (`/**/trace`: every `trace`, the top level's too).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    ignore_json: Vec<Spanned<String>>,
    /// Per-request timeout in milliseconds.
    #[serde(default)]
    timeout_ms: Option<u64>,
    /// The matrix of every case without its own (see `matrix`).
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::matrix")]
    matrix: Option<Spanned<serde_json::Value>>,
    /// What every case's answers must show (a case's own `assert:` adds to
    /// it, key by key).
    #[serde(default)]
    assert: Option<AssertFile>,
}

/// `assert:`: what every provider's answer must show, whatever the others
/// answer.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Assert")]
struct AssertFile {
    /// The status every provider must answer.
    #[serde(default)]
    #[schemars(with = "Option<u16>")]
    status: Option<Spanned<u16>>,
    /// Header name → a regex searched in its value.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    headers: BTreeMap<String, Spanned<String>>,
    /// Text the decoded body must contain.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    body_contains: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Case")]
pub(crate) struct CaseFile {
    /// Unique in the suite; the case's id is `SUITE::NAME`.
    #[schemars(with = "String")]
    pub(crate) name: Spanned<String>,
    /// Path and query, starting with `/`.
    #[schemars(with = "String")]
    path: Spanned<String>,
    /// HTTP method (default GET).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    method: Option<Box<Spanned<String>>>,
    /// Request headers (over the suite's defaults).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    headers: BTreeMap<String, Spanned<String>>,
    /// Request body.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    body: Option<Box<Spanned<String>>>,
    /// Response headers left out of this case's comparison.
    #[serde(default)]
    ignore_headers: Vec<String>,
    /// JSON Pointers (RFC 6901) left out of this case's JSON body
    /// comparison (over the defaults'). A segment that is exactly `*`
    /// matches every member or element of one level (`/items/*/ts`);
    /// exactly `**` matches any depth, none included (`/**/trace`: every
    /// `trace`, the top level's too).
    #[serde(default)]
    ignore_json: Vec<String>,
    /// Per-request timeout in milliseconds.
    #[serde(default)]
    timeout_ms: Option<u64>,
    /// Marks the trial as ignored in the libtest runner (`--ignored` runs it).
    #[serde(default)]
    ignore: bool,
    /// The verdict this case is expected to reach (for example suites that
    /// demonstrate known differences). Default: parity.
    #[serde(default)]
    #[schemars(with = "Option<ExpectFile>")]
    expect: Option<Box<Spanned<ExpectFile>>>,
    /// Cache probing: a sequence of requests on one fresh cache key.
    #[serde(default)]
    #[schemars(with = "Option<CacheFile>")]
    cache: Option<Box<Spanned<CacheFile>>>,
    /// Vary probing: one request per value of a request header.
    #[serde(default)]
    #[schemars(with = "Option<VaryFile>")]
    vary: Option<Box<Spanned<VaryFile>>>,
    /// The one host this case runs on (instead of the suite's hosts).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    host: Option<Box<Spanned<String>>>,
    /// Named axes of header, cookie or query values: one case per
    /// combination (`matrix`); replaces the defaults' (`{}`: none).
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::matrix")]
    matrix: Option<Box<Spanned<serde_json::Value>>>,
    /// What every provider's answer must show.
    #[serde(default)]
    assert: Option<Box<AssertFile>>,
    /// After the GET, revalidate with the validators each provider returned.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    conditional: Option<Box<Spanned<bool>>>,
    /// After the GET, ask this byte range (`bytes=0-99`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    range: Option<Box<Spanned<String>>>,
    /// After the GET, a HEAD: its status and headers must be the GET's.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    head: Option<Box<Spanned<bool>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Cache")]
struct CacheFile {
    /// Requests on one fresh cache key (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_SEQUENCE))]
    sequence: Option<u32>,
    /// Pause between the requests, in milliseconds.
    #[serde(default)]
    pause_ms: Option<u64>,
    /// The outcome each request must have, on every provider.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::cache_outcomes")]
    expect: Option<Vec<String>>,
    /// Where the fresh cache key goes: query (default), path or none.
    #[serde(default)]
    bust: Option<Bust>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Vary")]
struct VaryFile {
    /// The request header to vary (Accept-Encoding is compared by the coding chosen).
    header: String,
    /// Its values, each asked in turn on one fresh key.
    #[schemars(length(min = 2, max = MAX_VARY_VALUES))]
    values: Vec<String>,
}

/// Where a case's fresh cache key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bust {
    /// `?edgeparity=<run-id>-<n>` appended to the query (the default).
    Query,
    /// `/edgeparity-<run-id>-<n>` put before the path (for edges that ignore
    /// the query string in their cache key; the origin must route it).
    Path,
    /// No fresh key: the case sees whatever the edges have cached.
    None,
}

/// What a case sends: one request, a cache sequence, or a Vary probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Single,
    Sequence {
        count: u32,
        pause_ms: u64,
        expect: Option<Vec<crate::provider::CacheOutcome>>,
    },
    /// One request per value of a request header, on one shared key, plus
    /// each value alone on its own key (the reference variants).
    Vary {
        /// Lower-case header name (never `accept-encoding`).
        header: String,
        values: Vec<String>,
    },
    /// One request per `Accept-Encoding` value on one shared key: which
    /// coding each provider chooses, and whether the bodies agree decoded.
    Encoding {
        values: Vec<String>,
    },
}

pub const MAX_SEQUENCE: u32 = 50;
/// Most cases in one suite file (memory stays bounded by the input's size;
/// more cases go in more files).
pub const MAX_CASES: usize = 200_000;
/// Most values of one Vary probe (each costs two requests per provider).
pub const MAX_VARY_VALUES: usize = 32;

/// The verdict a case is expected to reach, and exactly which differences.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expect")]
struct ExpectFile {
    #[schemars(schema_with = "expected_verdict")]
    verdict: String,
    /// With `differs`: the differences that must be found, and no others.
    #[serde(default)]
    differences: Vec<ExpectDiffFile>,
    /// Why (shown in the reports).
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExpectedDifference")]
struct ExpectDiffFile {
    #[schemars(schema_with = "crate::schema::kind_word")]
    kind: String,
    /// Header name, JSON Pointer or cache position; any when absent.
    #[serde(default)]
    field: Option<String>,
    /// The candidate provider; any when absent.
    #[serde(default)]
    provider: Option<String>,
}

/// `expect.verdict` in the schema: the words `expectation` accepts.
fn expected_verdict(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::schema::one_of(
        VERDICTS,
        "The verdict the case must reach (with `differs`, exactly the differences listed).",
    )
}

/// The JSON Schema of a suite file (`schema/suite.schema.json`).
pub fn json_schema() -> serde_json::Value {
    crate::schema::finish(schemars::schema_for!(SuiteFile))
}

/// The requests a single GET is followed by on every provider, each one on
/// the GET's URL (same cache key): `conditional`, `range`, `head`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followups {
    /// Revalidate with the validators each provider returned
    /// (If-None-Match from its ETag, If-Modified-Since from its
    /// Last-Modified).
    pub conditional: bool,
    /// The Range header value asked (`bytes=0-99`): one range.
    pub range: Option<String>,
    /// A HEAD, checked against the provider's own GET.
    pub head: bool,
}

impl Followups {
    pub fn is_empty(&self) -> bool {
        !self.conditional && self.range.is_none() && !self.head
    }
}

/// Which list an ignore rule is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IgnoreKind {
    Headers,
    Json,
}

/// One `ignore_headers` or `ignore_json` entry as written, so a run can say
/// which rules matched nothing (a typo, or a field the answers no longer
/// have). A defaults rule is shared by every case of its suite.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IgnoreRule {
    pub file: PathBuf,
    /// The entry's line (a case's own lists: the case's line).
    pub line: Option<usize>,
    /// `defaults.ignore_json`, `cases[3].ignore_headers`, …
    pub key: String,
    pub kind: IgnoreKind,
    /// The header name (lower case) or the JSON pattern.
    pub pattern: String,
}

/// What every provider's answers to a case must show (`assert:`), checked
/// on each answer on its own: a broken assertion is that provider's
/// finding even when every provider answers alike.
#[derive(Debug, Clone, Default)]
pub struct Assertions {
    pub status: Option<u16>,
    /// In the order written (case keys after the defaults').
    pub headers: Vec<HeaderAssertion>,
    /// Text the decoded body must contain (`${VAR}` filled: then a secret).
    pub body_contains: Option<String>,
}

impl Assertions {
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.headers.is_empty() && self.body_contains.is_none()
    }
}

/// One `assert.headers` entry: the header must be present and the pattern
/// found in its value. Compiled once, when the suite is read.
#[derive(Debug, Clone)]
pub struct HeaderAssertion {
    /// Lower-case header name.
    pub name: String,
    /// The pattern as written.
    pub pattern: String,
    pub regex: regex::Regex,
}

/// Largest compiled size of an `assert.headers` pattern: a pattern is user
/// input, and memory stays bounded by design.
pub const MAX_PATTERN_BYTES: usize = 1 << 20;

/// A request header: name (as written) and value, with whether the value was
/// filled from an environment variable (then it is a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSpec {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct Case {
    /// Unique in its suite: the name written, with `@HOST` when the suite
    /// has several hosts.
    pub name: String,
    /// The name written, when one written case became several (several
    /// hosts): the case's group in the reports.
    pub group: Option<String>,
    /// The host this case is asked for (its Host header and TLS SNI).
    pub host: String,
    pub method: http::Method,
    pub path: String,
    pub headers: Vec<HeaderSpec>,
    pub body: Option<String>,
    /// Lower-case header names left out of the comparison.
    /// Shared: the cases that add none share their defaults' set.
    pub ignore_headers: std::sync::Arc<BTreeSet<String>>,
    /// JSON Pointers removed from JSON bodies before comparison (`*` and
    /// `**` segments are wildcards).
    pub ignore_json: Vec<String>,
    /// Every entry of the two lists above (defaults' first) with where it
    /// was written: what the run's unused-rule warning names.
    pub ignore_rules: Vec<std::sync::Arc<IgnoreRule>>,
    pub timeout_ms: Option<u64>,
    pub ignore: bool,
    pub expect: Option<Expectation>,
    pub probe: Probe,
    pub bust: Bust,
    /// What every provider's answers must show (`assert:`, defaults merged).
    pub assertions: Assertions,
    /// The conditional, range and HEAD requests after the GET.
    pub followups: Followups,
    /// Line of the case in its suite file, for messages.
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Suite {
    /// The file's path under the folder it was found in, without `.yaml`
    /// (`shop/www`), or the file's stem when it was named itself.
    pub name: String,
    pub file: PathBuf,
    pub base_url: reqwest::Url,
    /// `base_url`'s host.
    pub host: String,
    /// The hosts the cases run on (`hosts:`, or `base_url`'s host).
    pub hosts: Vec<String>,
    pub port: u16,
    pub cases: Vec<Case>,
    /// Values filled from environment variables: redacted wherever they appear.
    pub secrets: Vec<String>,
}

/// The verdicts a case may `expect`.
pub const VERDICTS: &[&str] = &["parity", "differs", "error"];

/// Reads one suite file: expands `${VAR}`s (collecting secrets) and turns
/// each raw key into its checked value, naming the position of any error.
struct Reader<'a> {
    path: &'a Path,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    secrets: Vec<String>,
}

impl Reader<'_> {
    fn at<T>(&self, s: &Spanned<T>) -> Location {
        Location::of(self.path, s)
    }

    /// Fill `${NAME}`s of a spanned value; the value is a secret if any was
    /// filled.
    fn expand(&mut self, s: &Spanned<String>) -> Result<(String, bool), InputError> {
        let (out, used) = expand_vars(&s.value, self.lookup).map_err(|e| match e {
            VarError::Undefined(name) => InputError::UndefinedVar {
                at: self.at(s),
                name,
            },
            VarError::Unterminated => InputError::invalid(
                self.at(s),
                "${",
                format!(
                    "`{}` has `${{` without a closing `}}` (write `$${{` for a literal `${{`)",
                    s.value
                ),
            ),
        })?;
        for v in &used {
            if !v.is_empty() && !self.secrets.contains(v) {
                self.secrets.push(v.clone());
            }
        }
        Ok((out, !used.is_empty()))
    }

    fn headers(
        &mut self,
        written: &BTreeMap<String, Spanned<String>>,
        key: &dyn Fn(&str) -> String,
    ) -> Result<Vec<HeaderSpec>, InputError> {
        let mut out = Vec::new();
        for (k, v) in written {
            let (value, secret) = self.expand(v)?;
            check_header(k, &value).map_err(|m| InputError::invalid(self.at(v), key(k), m))?;
            out.push(HeaderSpec {
                name: k.clone(),
                value,
                secret,
            });
        }
        Ok(out)
    }
}

impl Suite {
    pub fn load(path: &Path) -> Result<Suite, InputError> {
        let text = yaml::read(path)?;
        Self::parse(path, &text, &|k| std::env::var(k).ok())
    }

    /// Parse a suite; `lookup` reads environment variables (injectable for tests).
    pub fn parse(
        path: &Path,
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Suite, InputError> {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("suite")
            .to_string();
        check_name(&name, "suite").map_err(|m| {
            InputError::invalid(
                Location::file(path),
                "(file name)",
                format!("{m} (the suite's name is its file name)"),
            )
        })?;
        let file: SuiteFile = yaml::parse_extensible(path, text)?;
        let mut r = Reader {
            path,
            lookup,
            secrets: Vec::new(),
        };
        let (base_url, host, port) = base_url(&mut r, &file.base_url)?;
        let defaults = Defaults {
            headers: r.headers(&file.defaults.headers, &|k| format!("defaults.headers.{k}"))?,
            ignore_headers: std::sync::Arc::new(
                file.defaults
                    .ignore_headers
                    .iter()
                    .map(|h| h.value.to_ascii_lowercase())
                    .collect(),
            ),
            ignore_rules: defaults_rules(&r, &file.defaults),
            ignore_json: pointers(&r, &file.defaults.ignore_json, "defaults.ignore_json")?,
            timeout_ms: file.defaults.timeout_ms,
            matrix: match &file.defaults.matrix {
                None => Matrix::default(),
                Some(m) => matrix_of(&mut r, m, "defaults.matrix")?,
            },
            assertions: match &file.defaults.assert {
                Some(a) => assertions(&mut r, Assertions::default(), a, "defaults.assert")?,
                None => Assertions::default(),
            },
        };
        if file.cases.len() > MAX_CASES {
            return Err(too_many_cases(path, file.cases.len()));
        }
        let hosts = suite_hosts(&mut r, file.hosts.as_ref(), &base_url)?;
        let mut written = Vec::with_capacity(file.cases.len());
        for (i, c) in drain_shrinking(file.cases).enumerate() {
            let (c, m) = case(&mut r, &defaults, &base_url, i, c)?;
            written.extend(m.expand(c));
            if written.len() > MAX_CASES {
                return Err(too_many_cases(path, written.len()));
            }
        }
        let cases = per_host(path, written, &hosts)?;
        Ok(Suite {
            name,
            file: path.to_path_buf(),
            base_url,
            host,
            hosts,
            port,
            cases,
            secrets: r.secrets,
        })
    }
}

/// The items of `v`, first to last, its buffer shrinking as it empties,
/// so that a 100,000-case list turned into another is not held twice in
/// full (halving keeps the moves linear).
pub(crate) fn drain_shrinking<T>(v: Vec<T>) -> impl Iterator<Item = T> {
    let mut q = std::collections::VecDeque::from(v);
    std::iter::from_fn(move || {
        let item = q.pop_front()?;
        if q.capacity() > 1024 && q.len() < q.capacity() / 2 {
            q.shrink_to_fit();
        }
        Some(item)
    })
}

fn too_many_cases(path: &Path, n: usize) -> InputError {
    InputError::invalid(
        Location::file(path),
        "cases",
        format!(
            "{n} cases is more than the {MAX_CASES} one suite file may hold: split it into \
             several files (a folder of suites runs as one)"
        ),
    )
}

/// Most hosts one suite may name.
pub const MAX_HOSTS: usize = 1_000;

/// `hosts:` checked (each a host name, none twice), or `base_url`'s host.
fn suite_hosts(
    r: &mut Reader,
    written: Option<&Spanned<Vec<String>>>,
    base: &reqwest::Url,
) -> Result<Vec<String>, InputError> {
    let Some(list) = written else {
        return Ok(vec![base.host_str().unwrap_or_default().to_string()]);
    };
    let at = r.at(list);
    let invalid = |m: String| InputError::invalid(at.clone(), "hosts", m);
    if list.value.is_empty() || list.value.len() > MAX_HOSTS {
        return Err(invalid(format!(
            "needs between 1 and {MAX_HOSTS} hosts, not {}",
            list.value.len()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.value.len());
    for h in &list.value {
        let (h, _) = r.expand_text(h).map_err(&invalid)?;
        let h = host_name(base, &h).map_err(&invalid)?;
        if out.contains(&h) {
            return Err(invalid(format!("`{h}` is listed twice")));
        }
        out.push(h);
    }
    Ok(out)
}

/// A host a case can be asked for, as the URL library writes it (lower
/// case): a DNS name or an IPv4 address. An IPv6 literal is refused: its
/// `:` would make the case id ambiguous.
fn host_name(base: &reqwest::Url, h: &str) -> Result<String, String> {
    let shown = crate::model::visible(h);
    if h.contains(':') || h.contains('[') {
        return Err(format!(
            "`{shown}`: an IPv6 address cannot be a suite host (give it in `base_url`)"
        ));
    }
    let mut url = base.clone();
    url.set_host(Some(h))
        .map_err(|e| format!("`{shown}` is not a host name: {e}"))?;
    match url.host_str() {
        Some(h) if !h.is_empty() => Ok(h.to_string()),
        _ => Err(format!("`{shown}` is not a host name")),
    }
}

/// Each written case on each of its hosts: its own `host:`, or every host
/// of the suite. When the suite has several hosts, names end in `@HOST`
/// (`home@www.example.com`) so ids stay unique.
fn per_host(path: &Path, written: Vec<Case>, hosts: &[String]) -> Result<Vec<Case>, InputError> {
    let mut all: BTreeSet<&str> = hosts.iter().map(String::as_str).collect();
    all.extend(
        written
            .iter()
            .map(|c| c.host.as_str())
            .filter(|h| !h.is_empty()),
    );
    let several = all.len() > 1;
    let mut seen = BTreeSet::new();
    let mut cases = Vec::with_capacity(written.len());
    for c in drain_shrinking(written) {
        let own = [c.host.clone()];
        let on: &[String] = if c.host.is_empty() { hosts } else { &own };
        // The case itself on its last host, copies before (one host, the
        // usual suite: no copy at all).
        let mut c = Some(c);
        for (j, h) in on.iter().enumerate() {
            let Some(orig) = c.as_ref() else { break };
            let (name, group, line) = (orig.name.clone(), orig.group.clone(), orig.line);
            let mut v = if j + 1 == on.len() {
                match c.take() {
                    Some(v) => v,
                    None => break,
                }
            } else {
                orig.clone()
            };
            v.host.clone_from(h);
            if several {
                v.group = Some(group.unwrap_or_else(|| name.clone()));
                v.name = format!("{name}@{h}");
            }
            let at = Location {
                file: path.to_path_buf(),
                line,
                column: None,
            };
            check_name(&v.name, "case").map_err(|m| InputError::invalid(at.clone(), "name", m))?;
            if !seen.insert(v.name.clone()) {
                return Err(InputError::invalid(
                    at,
                    "name",
                    format!("case `{}` appears twice in this suite", v.name),
                ));
            }
            cases.push(v);
            if cases.len() > MAX_CASES {
                return Err(too_many_cases(path, cases.len()));
            }
        }
    }
    Ok(cases)
}

/// What `defaults:` gives every case.
struct Defaults {
    headers: Vec<HeaderSpec>,
    ignore_headers: std::sync::Arc<BTreeSet<String>>,
    ignore_json: Vec<String>,
    ignore_rules: Vec<std::sync::Arc<IgnoreRule>>,
    timeout_ms: Option<u64>,
    matrix: Matrix,
    assertions: Assertions,
}

/// The defaults' ignore entries, each with its line.
fn defaults_rules(r: &Reader, d: &DefaultsFile) -> Vec<std::sync::Arc<IgnoreRule>> {
    let rule = |s: &Spanned<String>, key: &str, kind, pattern: String| {
        std::sync::Arc::new(IgnoreRule {
            file: r.path.to_path_buf(),
            line: r.at(s).line,
            key: key.to_string(),
            kind,
            pattern,
        })
    };
    let headers = d.ignore_headers.iter().map(|h| {
        let name = h.value.to_ascii_lowercase();
        rule(h, "defaults.ignore_headers", IgnoreKind::Headers, name)
    });
    let json = d
        .ignore_json
        .iter()
        .map(|p| rule(p, "defaults.ignore_json", IgnoreKind::Json, p.value.clone()));
    headers.chain(json).collect()
}

/// The defaults' `ignore_json` and the case's, checked (a case's list is
/// read as plain strings: its errors name the case's line).
fn case_pointers(
    r: &Reader,
    defaults: &Defaults,
    list: &[String],
    line: Option<usize>,
    key: &str,
) -> Result<Vec<String>, InputError> {
    let mut out = defaults.ignore_json.clone();
    for p in list {
        check_pointer(p).map_err(|m| {
            let at = Location {
                file: r.path.to_path_buf(),
                line,
                column: None,
            };
            InputError::invalid(at, key, m)
        })?;
        out.push(p.clone());
    }
    Ok(out)
}

/// A case's ignore entries after the defaults', each with the case's line.
fn case_rules(
    r: &Reader,
    defaults: &Defaults,
    c: &CaseFile,
    line: Option<usize>,
    ckey: &dyn Fn(&str) -> String,
) -> Vec<std::sync::Arc<IgnoreRule>> {
    let mut out = defaults.ignore_rules.clone();
    let rule = |key: &str, kind, pattern: String| {
        std::sync::Arc::new(IgnoreRule {
            file: r.path.to_path_buf(),
            line,
            key: ckey(key),
            kind,
            pattern,
        })
    };
    out.extend(c.ignore_headers.iter().map(|h| {
        rule(
            "ignore_headers",
            IgnoreKind::Headers,
            h.to_ascii_lowercase(),
        )
    }));
    out.extend(
        c.ignore_json
            .iter()
            .map(|p| rule("ignore_json", IgnoreKind::Json, p.clone())),
    );
    out
}

/// `assert:` read on top of `base` (the defaults' for a case): a key
/// written here replaces the base's, header by header.
fn assertions(
    r: &mut Reader,
    base: Assertions,
    a: &AssertFile,
    key: &str,
) -> Result<Assertions, InputError> {
    let mut out = base;
    if let Some(s) = &a.status {
        if !(100..=599).contains(&s.value) {
            return Err(InputError::invalid(
                r.at(s),
                format!("{key}.status"),
                format!("{} is not an HTTP status (100 to 599)", s.value),
            ));
        }
        out.status = Some(s.value);
    }
    for (name, pattern) in &a.headers {
        let hkey = format!("{key}.headers.{name}");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(InputError::invalid(
                r.at(pattern),
                hkey,
                format!("`{name}` is not a header name"),
            ));
        }
        let regex = regex::RegexBuilder::new(&pattern.value)
            .size_limit(MAX_PATTERN_BYTES)
            .build()
            .map_err(|e| {
                InputError::invalid(
                    r.at(pattern),
                    hkey.clone(),
                    format!("`{}` is not a regular expression: {e}", pattern.value),
                )
            })?;
        let name = name.to_ascii_lowercase();
        out.headers.retain(|h| h.name != name);
        out.headers.push(HeaderAssertion {
            name,
            pattern: pattern.value.clone(),
            regex,
        });
    }
    if let Some(b) = &a.body_contains {
        let (text, _) = r.expand(b)?;
        if text.is_empty() {
            return Err(InputError::invalid(
                r.at(b),
                format!("{key}.body_contains"),
                "is empty: every body contains the empty text",
            ));
        }
        out.body_contains = Some(text);
    }
    Ok(out)
}

/// A written `matrix:` read, its errors at its position.
fn matrix_of(
    r: &mut Reader,
    m: &Spanned<serde_json::Value>,
    key: &str,
) -> Result<Matrix, InputError> {
    let at = r.at(m);
    Matrix::read(&m.value, &mut |s| r.expand_text(s)).map_err(|(sub, message)| {
        let key = if sub.is_empty() {
            key.to_string()
        } else {
            format!("{key}.{sub}")
        };
        InputError::invalid(at, key, message)
    })
}

fn base_url(
    r: &mut Reader,
    written: &Spanned<String>,
) -> Result<(reqwest::Url, String, u16), InputError> {
    let (base, _) = r.expand(written)?;
    let invalid = |m: String| InputError::invalid(r.at(written), "base_url", m);
    let url =
        reqwest::Url::parse(&base).map_err(|e| invalid(format!("`{base}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme must be http or https, not `{}`",
            url.scheme()
        )));
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_string(),
        _ => return Err(invalid("has no host".into())),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    // Credentials in the URL are secrets like `${VAR}` values.
    if let Some(password) = url.password() {
        for v in [
            password.to_string(),
            format!("{}:{password}", url.username()),
        ] {
            if !r.secrets.contains(&v) {
                r.secrets.push(v);
            }
        }
    }
    Ok((url, host, port))
}

fn pointers(r: &Reader, list: &[Spanned<String>], key: &str) -> Result<Vec<String>, InputError> {
    list.iter()
        .map(|p| {
            check_pointer(&p.value)
                .map(|_| p.value.clone())
                .map_err(|m| InputError::invalid(r.at(p), key, m))
        })
        .collect()
}

fn case(
    r: &mut Reader,
    defaults: &Defaults,
    base: &reqwest::Url,
    i: usize,
    c: Spanned<CaseFile>,
) -> Result<(Case, Matrix), InputError> {
    let line = Some(c.referenced.line() as usize);
    let c = c.value;
    let ckey = |key: &str| format!("cases[{i}].{key}");
    check_name(&c.name.value, "case")
        .map_err(|m| InputError::invalid(r.at(&c.name), ckey("name"), m))?;
    let (cpath, _) = r.expand(&c.path)?;
    if !cpath.starts_with('/') {
        return Err(InputError::invalid(
            r.at(&c.path),
            ckey("path"),
            format!("`{cpath}` must start with `/`"),
        ));
    }
    let method = method_of(r, c.method.as_deref(), &ckey("method"))?;
    let host = match &c.host {
        None => String::new(),
        Some(h) => {
            let (text, _) = r.expand(h)?;
            host_name(base, &text).map_err(|m| InputError::invalid(r.at(h), ckey("host"), m))?
        }
    };
    let followups = followups_of(r, &c, &method, &ckey)?;
    let mut headers: Vec<HeaderSpec> = defaults
        .headers
        .iter()
        .filter(|d| !c.headers.keys().any(|k| k.eq_ignore_ascii_case(&d.name)))
        .cloned()
        .collect();
    headers.extend(r.headers(&c.headers, &|k| ckey(&format!("headers.{k}")))?);
    let body = match &c.body {
        Some(b) => Some(r.expand(b)?.0),
        None => None,
    };
    let ignore_headers = if c.ignore_headers.is_empty() {
        defaults.ignore_headers.clone()
    } else {
        let mut own = BTreeSet::clone(&defaults.ignore_headers);
        own.extend(c.ignore_headers.iter().map(|h| h.to_ascii_lowercase()));
        std::sync::Arc::new(own)
    };
    let ignore_json = case_pointers(r, defaults, &c.ignore_json, line, &ckey("ignore_json"))?;
    let ignore_rules = case_rules(r, defaults, &c, line, &ckey);
    let expect = match c.expect {
        None => None,
        Some(e) => Some(expectation(r, &ckey("expect"), *e)?),
    };
    let probe_at = c
        .vary
        .as_ref()
        .map(|v| r.at(v))
        .or_else(|| c.cache.as_ref().map(|v| r.at(v)));
    let assertions = match &c.assert {
        Some(a) => assertions(r, defaults.assertions.clone(), a, &ckey("assert"))?,
        None => defaults.assertions.clone(),
    };
    let (probe, bust) = probe_of(r, c.cache.map(|c| c.value), c.vary.map(|v| v.value)).map_err(
        |(key, message)| {
            InputError::invalid(
                probe_at.clone().unwrap_or_else(|| Location::file(r.path)),
                ckey(&key),
                message,
            )
        },
    )?;
    let matrix = match &c.matrix {
        None => defaults.matrix.clone(),
        Some(m) => matrix_of(r, m, &ckey("matrix"))?,
    };
    let case = Case {
        name: c.name.value,
        group: None,
        host,
        method,
        path: cpath,
        headers,
        body,
        ignore_headers,
        ignore_json,
        ignore_rules,
        timeout_ms: c.timeout_ms.or(defaults.timeout_ms),
        ignore: c.ignore,
        expect,
        probe,
        bust,
        assertions,
        followups,
        line,
    };
    Ok((case, matrix))
}

/// `conditional:`, `range:` and `head:`: requests that follow one GET, so
/// the case must be a plain GET (no cache sequence or Vary probe), and a
/// range must be one `bytes=` range.
fn followups_of(
    r: &Reader,
    c: &CaseFile,
    method: &http::Method,
    ckey: &dyn Fn(&str) -> String,
) -> Result<Followups, InputError> {
    let on = |b: &Option<Box<Spanned<bool>>>| b.as_ref().is_some_and(|b| b.value);
    let out = Followups {
        conditional: on(&c.conditional),
        range: c.range.as_ref().map(|s| s.value.trim().to_string()),
        head: on(&c.head),
    };
    let at = [
        c.conditional.as_ref().map(|s| ("conditional", r.at(s))),
        c.range.as_ref().map(|s| ("range", r.at(s))),
        c.head.as_ref().map(|s| ("head", r.at(s))),
    ];
    let Some((key, at)) = at.into_iter().flatten().next() else {
        return Ok(out);
    };
    let fail = |m: String| Err(InputError::invalid(at.clone(), ckey(key), m));
    if out.is_empty() {
        return Ok(out);
    }
    if *method != http::Method::GET {
        return fail(format!(
            "conditional, range and head follow a GET, and this case is a {method}"
        ));
    }
    if c.cache.is_some() || c.vary.is_some() {
        return fail(
            "conditional, range and head follow a single GET: put a cache sequence or a Vary \
             probe in its own case"
                .into(),
        );
    }
    if let (Some(range), Some(s)) = (&out.range, &c.range) {
        check_range(range).map_err(|m| InputError::invalid(r.at(s), ckey("range"), m))?;
    }
    Ok(out)
}

/// One byte range: `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`.
fn check_range(v: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "`{v}` is not one byte range (bytes=0-99, bytes=100- or bytes=-100; several \
             ranges are not probed)"
        )
    };
    let spec = v.strip_prefix("bytes=").ok_or_else(bad)?;
    let (first, last) = spec.split_once('-').ok_or_else(bad)?;
    let num = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
    match (first.is_empty(), last.is_empty()) {
        (false, true) if num(first) => Ok(()),
        (true, false) if num(last) => Ok(()),
        (false, false) if num(first) && num(last) => {
            let (a, b): (u64, u64) = (
                first.parse().map_err(|_| bad())?,
                last.parse().map_err(|_| bad())?,
            );
            if a <= b {
                Ok(())
            } else {
                Err(format!("`{v}`: the range ends before it starts"))
            }
        }
        _ => Err(bad()),
    }
}

fn method_of(
    r: &Reader,
    m: Option<&Spanned<String>>,
    key: &str,
) -> Result<http::Method, InputError> {
    let Some(m) = m else {
        return Ok(http::Method::GET);
    };
    let text = m.value.to_ascii_uppercase();
    http::Method::from_bytes(text.as_bytes())
        .map_err(|_| InputError::invalid(r.at(m), key, format!("`{text}` is not an HTTP method")))
}

/// Longest suite or case name, in bytes: golden files are named
/// `SUITE/CASE.yaml(.new)`, and a file name may have 255 bytes.
pub const MAX_NAME: usize = 200;

/// A suite or case name becomes part of a file path (golden files) and of
/// test ids: non-empty, at most [`MAX_NAME`] bytes, no `::`, `/` or `\\`, not
/// `.` or `..`, and no control or invisible formatting characters.
pub fn check_name(name: &str, what: &str) -> Result<(), String> {
    let shown = crate::model::visible(name);
    if name.trim().is_empty() {
        return Err(format!("a {what} name must not be empty"));
    }
    if name.len() > MAX_NAME {
        let start: String = name.chars().take(40).collect();
        return Err(format!(
            "`{}…`: a {what} name has at most {MAX_NAME} bytes, this one {}",
            crate::model::visible(&start),
            name.len()
        ));
    }
    if name == "." || name == ".." || name.starts_with("..") {
        return Err(format!("`{shown}` is not a {what} name"));
    }
    if name.contains("::") || name.contains('/') || name.contains('\\') {
        return Err(format!(
            "`{shown}`: a {what} name must contain neither `::` nor `/` nor `\\`"
        ));
    }
    if name.chars().any(crate::model::is_invisible) {
        return Err(format!(
            "`{shown}`: a {what} name must have no control or invisible characters"
        ));
    }
    Ok(())
}

fn expectation(r: &Reader, key: &str, e: Spanned<ExpectFile>) -> Result<Expectation, InputError> {
    let at = r.at(&e);
    let e = e.value;
    let verdict = match e.verdict.as_str() {
        "parity" => Verdict::Parity,
        "differs" => Verdict::Differs,
        "error" => Verdict::Error,
        other => {
            return Err(InputError::invalid(
                at,
                format!("{key}.verdict"),
                format!(
                    "`{other}` is not a verdict ({}){}",
                    VERDICTS.join(", "),
                    hint(other, VERDICTS)
                ),
            ))
        }
    };
    let mut differences = Vec::new();
    for d in e.differences {
        let Some(kind) = Kind::parse(&d.kind) else {
            return Err(InputError::invalid(
                at,
                format!("{key}.differences.kind"),
                format!(
                    "`{}` is not a difference kind ({}){}",
                    d.kind,
                    Kind::WORDS.join(", "),
                    hint(&d.kind, Kind::WORDS)
                ),
            ));
        };
        differences.push(ExpectedDifference {
            kind,
            field: d.field,
            provider: d.provider,
        });
    }
    Ok(Expectation {
        verdict,
        differences,
        reason: e.reason,
    })
}

/// The probe and cache-bust mode of a case, checked.
fn probe_of(
    r: &mut Reader,
    cache: Option<CacheFile>,
    vary: Option<VaryFile>,
) -> Result<(Probe, Bust), (String, String)> {
    let bust = cache.as_ref().and_then(|c| c.bust).unwrap_or(Bust::Query);
    match (cache, vary) {
        (None, None) => Ok((Probe::Single, Bust::None)),
        (cache, Some(v)) => {
            if let Some(c) = &cache {
                if c.sequence.is_some() || c.expect.is_some() || c.pause_ms.is_some() {
                    return Err((
                        "cache.sequence".into(),
                        "a Vary probe takes only `cache: {bust: ...}`; put a cache sequence in its own case".into(),
                    ));
                }
            }
            Ok((vary_probe(r, v)?, bust))
        }
        (Some(c), None) => Ok((sequence_probe(c)?, bust)),
    }
}

/// `vary:`: a header and 2 to [`MAX_VARY_VALUES`] values (`${VAR}` filled).
fn vary_probe(r: &mut Reader, v: VaryFile) -> Result<Probe, (String, String)> {
    if http::HeaderName::from_bytes(v.header.as_bytes()).is_err() {
        return Err((
            "vary.header".into(),
            format!("`{}` is not a header name", v.header),
        ));
    }
    if v.values.len() < 2 || v.values.len() > MAX_VARY_VALUES {
        return Err((
            "vary.values".into(),
            format!(
                "needs between 2 and {MAX_VARY_VALUES} values, not {}",
                v.values.len()
            ),
        ));
    }
    let mut values = Vec::with_capacity(v.values.len());
    for val in &v.values {
        let (val, _) = r
            .expand_text(val)
            .map_err(|m| ("vary.values".to_string(), m))?;
        if http::HeaderValue::from_str(&val).is_err() {
            return Err((
                "vary.values".into(),
                format!("`{val}` is not a header value"),
            ));
        }
        values.push(val);
    }
    let header = v.header.to_ascii_lowercase();
    Ok(if header == "accept-encoding" {
        Probe::Encoding { values }
    } else {
        Probe::Vary { header, values }
    })
}

/// `cache:`: a sequence of 1 to [`MAX_SEQUENCE`] requests and what each
/// should find.
fn sequence_probe(c: CacheFile) -> Result<Probe, (String, String)> {
    use crate::provider::CacheOutcome;
    let count = c.sequence.unwrap_or(1);
    if count == 0 || count > MAX_SEQUENCE {
        return Err((
            "cache.sequence".into(),
            format!("must be between 1 and {MAX_SEQUENCE}, not {count}"),
        ));
    }
    let expect = match c.expect {
        None => None,
        Some(list) => {
            if list.len() != count as usize {
                return Err((
                    "cache.expect".into(),
                    format!(
                        "has {} outcomes but the sequence sends {count} requests",
                        list.len()
                    ),
                ));
            }
            let words: Vec<&str> = CacheOutcome::ALL.iter().map(|o| o.as_str()).collect();
            let outcome = |w: &String| {
                CacheOutcome::parse(w).ok_or_else(|| {
                    (
                        "cache.expect".to_string(),
                        format!(
                            "`{w}` is not a cache outcome ({}){}",
                            words.join(", "),
                            hint(w, &words)
                        ),
                    )
                })
            };
            Some(list.iter().map(outcome).collect::<Result<Vec<_>, _>>()?)
        }
    };
    Ok(Probe::Sequence {
        count,
        pause_ms: c.pause_ms.unwrap_or(0).min(60_000),
        expect,
    })
}

/// Load every suite named: a PATH is a suite file or a folder of suites
/// (`*.yaml` / `*.yml`, read recursively). Suites come back sorted by
/// name, and two suites with one name are an error.
pub fn load_suites(paths: &[PathBuf]) -> Result<Vec<Suite>, InputError> {
    load_suites_beside(paths, None).map(|(s, _)| s)
}

/// Deepest folder nesting read under a suites folder.
pub const MAX_SUITE_DEPTH: usize = 16;

/// The suite files under `dir` (recursively, in name order; hidden
/// entries and symbolic links to folders are passed over), each with its
/// suite name: its path under `dir` without the extension (`shop/www`).
fn suite_files(dir: &Path) -> Result<Vec<(PathBuf, String)>, InputError> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| InputError::Io {
            path: d.clone(),
            message: crate::fsio::os_error(&d, &e),
        })?;
        for e in entries.flatten() {
            let f = e.path();
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            let real_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if hidden {
                continue;
            }
            if real_dir {
                if depth + 1 > MAX_SUITE_DEPTH {
                    return Err(InputError::invalid(
                        Location::file(&f),
                        "(folder)",
                        format!("suite folders nest at most {MAX_SUITE_DEPTH} levels deep"),
                    ));
                }
                todo.push((f, depth + 1));
            } else if f.is_file()
                && matches!(
                    f.extension().and_then(|e| e.to_str()),
                    Some("yaml") | Some("yml")
                )
            {
                let name = suite_name(dir, &f)?;
                out.push((f, name));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `shop/www` for `DIR/shop/www.yaml`: every part a valid name.
fn suite_name(dir: &Path, file: &Path) -> Result<String, InputError> {
    let rel = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    let mut parts = Vec::new();
    for part in rel.components() {
        let text = part.as_os_str().to_str().ok_or_else(|| {
            InputError::invalid(
                Location::file(file),
                "(file name)",
                "the suite's path is not UTF-8",
            )
        })?;
        check_name(text, "suite").map_err(|m| {
            InputError::invalid(
                Location::file(file),
                "(file name)",
                format!("{m} (the suite's name is its path under the suites folder)"),
            )
        })?;
        parts.push(text.to_string());
    }
    Ok(parts.join("/"))
}

/// A suite name as written in a golden path or an id: one valid name per
/// `/`-separated part.
pub fn check_suite_name(name: &str) -> Result<(), String> {
    name.split('/')
        .try_for_each(|part| check_name(part, "suite"))
}

/// Is this file a project config rather than a suite? The active config
/// (`config`, compared by canonical path), or any YAML file whose top level
/// has `environments` and no `cases`: a suites folder may hold
/// `parity.yaml` (a common layout), and reading it as a suite would fail
/// with "unknown field `default_env`".
pub fn is_project_config(file: &Path, config: Option<&Path>) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    if let Some(c) = config {
        if canon(file).is_some_and(|f| Some(f) == canon(c)) {
            return true;
        }
    }
    let Ok(text) = crate::yaml::read(file) else {
        return false;
    };
    match crate::yaml::parse::<BTreeMap<String, serde::de::IgnoredAny>>(file, &text) {
        Ok(top) => top.contains_key("environments") && !top.contains_key("cases"),
        Err(_) => false,
    }
}

/// `load_suites`, skipping the active config and any other project config
/// found among the files (returned second, for `-v`).
pub fn load_suites_beside(
    paths: &[PathBuf],
    config: Option<&Path>,
) -> Result<(Vec<Suite>, Vec<PathBuf>), InputError> {
    let mut files: Vec<(PathBuf, Option<String>)> = Vec::new();
    for p in paths {
        if p.is_dir() {
            files.extend(suite_files(p)?.into_iter().map(|(f, n)| (f, Some(n))));
        } else {
            files.push((p.clone(), None));
        }
    }
    // The active config is skipped by path; any other project config is
    // recognised only when a file does not read as a suite, so a suite is
    // parsed once.
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let active = config.and_then(canon);
    let (skipped, files): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|(f, _)| active.is_some() && canon(f) == active);
    let mut skipped: Vec<PathBuf> = skipped.into_iter().map(|(f, _)| f).collect();
    let mut suites: Vec<Suite> = Vec::new();
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (f, name) in files {
        let s = match Suite::load(&f) {
            Ok(mut s) => {
                if let Some(name) = name {
                    s.name = name;
                }
                s
            }
            Err(_) if is_project_config(&f, None) => {
                skipped.push(f);
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(other) = names.get(&s.name) {
            return Err(InputError::invalid(
                Location::file(&f),
                "name",
                format!(
                    "a suite named `{}` was already loaded from {}",
                    s.name,
                    other.display()
                ),
            ));
        }
        names.insert(s.name.clone(), f.clone());
        suites.push(s);
    }
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    skipped.sort();
    Ok((suites, skipped))
}

impl Reader<'_> {
    /// `expand` for a value without a position of its own (list items).
    fn expand_text(&mut self, s: &str) -> Result<(String, bool), String> {
        let (out, used) = expand_vars(s, self.lookup).map_err(|e| match e {
            VarError::Undefined(name) => format!("`${{{name}}}` is not defined in the environment"),
            VarError::Unterminated => format!("`{s}` has `${{` without a closing `}}`"),
        })?;
        for v in &used {
            if !v.is_empty() && !self.secrets.contains(v) {
                self.secrets.push(v.clone());
            }
        }
        Ok((out, !used.is_empty()))
    }
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    http::HeaderValue::from_str(value)
        .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
    Ok(())
}

fn check_pointer(p: &str) -> Result<(), String> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "`{p}` is not a JSON Pointer (it must start with `/`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vars::test_env as env;

    const SUITE: &str = r#"base_url: https://www.example.com
defaults:
  headers: {User-Agent: edgeparity}
  ignore_headers: [x-request-id]
cases:
  - name: home
    path: /
  - name: item
    path: /api/item?id=42
    headers: {Accept: application/json}
    ignore_headers: [set-cookie]
    ignore_json: ["/request_id", "/generated_at"]
  - name: login
    method: POST
    path: /login
    body: "user=a"
"#;

    #[test]
    fn the_documented_suite_loads() {
        let s = Suite::parse(Path::new("suites/www.yaml"), SUITE, &env(&[])).unwrap();
        assert_eq!(s.name, "www");
        assert_eq!(s.host, "www.example.com");
        assert_eq!(s.port, 443);
        assert_eq!(s.cases.len(), 3);
        let item = &s.cases[1];
        assert_eq!(item.headers.len(), 2);
        assert!(item.ignore_headers.contains("x-request-id"));
        assert!(item.ignore_headers.contains("set-cookie"));
        assert_eq!(item.ignore_json, vec!["/request_id", "/generated_at"]);
        assert_eq!(s.cases[2].method, http::Method::POST);
        assert_eq!(s.cases[2].body.as_deref(), Some("user=a"));
        assert_eq!(item.line, Some(8));
    }

    #[test]
    fn malformed_yaml_names_line_and_column() {
        let text = "base_url: https://x.test\ncases:\n  - name: a\n    path: [/\n";
        let s = Suite::parse(Path::new("bad.yaml"), text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("bad.yaml:"), "{s}");
        let parts: Vec<&str> = s.splitn(4, ':').collect();
        assert!(parts[1].parse::<usize>().is_ok(), "line in {s}");
        assert!(parts[2].parse::<usize>().is_ok(), "column in {s}");
    }

    #[test]
    fn unknown_case_key_has_hint() {
        let text = SUITE.replace("    path: /login", "    pth: /login");
        let s = Suite::parse(Path::new("s.yaml"), &text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(s.contains("unknown field `pth`"), "{s}");
        assert!(s.contains("did you mean `path`?"), "{s}");
        assert!(s.starts_with("s.yaml:15:"), "{s}");
    }

    #[test]
    fn env_vars_fill_and_mark_secrets() {
        let text = SUITE.replace(
            "{User-Agent: edgeparity}",
            "{Authorization: \"Bearer ${TOKEN}\"}",
        );
        let s = Suite::parse(Path::new("s.yaml"), &text, &env(&[("TOKEN", "s3cr3t")])).unwrap();
        let h = &s.cases[0].headers[0];
        assert_eq!(h.value, "Bearer s3cr3t");
        assert!(h.secret);
        assert_eq!(s.secrets, vec!["s3cr3t".to_string()]);
    }

    #[test]
    fn undefined_env_var_is_an_error_with_line() {
        let text = SUITE.replace("body: \"user=a\"", "body: \"user=${MISSING_USER}\"");
        let e = Suite::parse(Path::new("s.yaml"), &text, &env(&[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.yaml:16:11: `${MISSING_USER}` is not defined in the environment"
        );
    }

    #[test]
    fn duplicate_case_and_bad_path() {
        let text = SUITE.replace("name: login", "name: home");
        let s = Suite::parse(Path::new("s.yaml"), &text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(s.contains("appears twice"), "{s}");
        let text = SUITE.replace("path: /login", "path: login");
        let s = Suite::parse(Path::new("s.yaml"), &text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            s.contains("s.yaml:15") && s.contains("cases[2].path"),
            "{s}"
        );
    }

    #[test]
    fn cache_and_vary_keys() {
        use crate::provider::CacheOutcome::*;
        let text = "base_url: https://x.test\ncases:\n  - name: js\n    path: /app.js\n    cache:\n      sequence: 3\n      pause_ms: 100\n      expect: [miss, hit, hit]\n  - name: lang\n    path: /\n    vary:\n      header: Accept-Language\n      values: [en, fr, ja]\n  - name: plain\n    path: /\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &|_| None).unwrap();
        assert_eq!(
            s.cases[0].probe,
            Probe::Sequence {
                count: 3,
                pause_ms: 100,
                expect: Some(vec![Miss, Hit, Hit])
            }
        );
        assert_eq!(s.cases[0].bust, Bust::Query);
        assert_eq!(
            s.cases[1].probe,
            Probe::Vary {
                header: "accept-language".into(),
                values: vec!["en".into(), "fr".into(), "ja".into()]
            }
        );
        assert_eq!(s.cases[2].probe, Probe::Single);
        assert_eq!(s.cases[2].bust, Bust::None);
        let bad = text.replace("expect: [miss, hit, hit]", "expect: [miss, hti, hit]");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.yaml:6:7")
                && e.contains("cases[0].cache.expect")
                && e.contains("did you mean `hit`?"),
            "{e}"
        );
        let bad = text.replace("expect: [miss, hit, hit]", "expect: [miss, hit]");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("has 2 outcomes"), "{e}");
        let bad = text.replace("sequence: 3", "sequence: 0");
        assert!(Suite::parse(Path::new("s.yaml"), &bad, &|_| None).is_err());
        let bad = text
            .replace("bust: none", "")
            .replace("pause_ms: 100", "pause_ms: 100\n      bust: sometimes");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `sometimes`"), "{e}");
    }

    #[test]
    fn assertions_merge_with_the_defaults_and_bad_patterns_name_file_line_and_key() {
        let text = "base_url: https://x.test\ndefaults:\n  assert:\n    status: 200\n    headers: {Cache-Control: \"^public\", X-Frame-Options: DENY}\ncases:\n  - name: a\n    path: /\n    assert:\n      headers: {cache-control: \"^private\"}\n      body_contains: \"Hi ${WHO}\"\n  - name: b\n    path: /b\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &env(&[("WHO", "ann")])).unwrap();
        let a = &s.cases[0].assertions;
        assert_eq!(a.status, Some(200));
        let headers: Vec<(&str, &str)> = a
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.pattern.as_str()))
            .collect();
        assert_eq!(
            headers,
            vec![("x-frame-options", "DENY"), ("cache-control", "^private")]
        );
        assert_eq!(a.body_contains.as_deref(), Some("Hi ann"));
        assert_eq!(s.secrets, vec!["ann".to_string()]);
        let b = &s.cases[1].assertions;
        assert_eq!(b.headers.len(), 2);
        assert!(b.body_contains.is_none());
        let bad = text.replace("\"^private\"", "\"(unclosed\"");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[("WHO", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.yaml:10:") && e.contains("cases[0].assert.headers.cache-control"),
            "{e}"
        );
        assert!(e.contains("is not a regular expression"), "{e}");
        let bad = text.replace("status: 200", "status: 42");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[("WHO", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.yaml:4:") && e.contains("defaults.assert.status"),
            "{e}"
        );
        let bad = text.replace("body_contains:", "body_contain:");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[("WHO", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `body_contains`?"), "{e}");
    }

    #[test]
    fn followups_take_a_plain_get_and_one_byte_range() {
        let text = "base_url: https://x.test\ncases:\n  - name: f\n    path: /\n    conditional: true\n    range: \"bytes=0-99\"\n    head: true\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &|_| None).unwrap();
        assert_eq!(
            s.cases[0].followups,
            Followups {
                conditional: true,
                range: Some("bytes=0-99".into()),
                head: true
            }
        );
        for (bad, needle) in [
            ("bytes=5-1", "ends before it starts"),
            ("bytes=0-1,5-9", "not one byte range"),
            ("items=0-1", "not one byte range"),
            ("bytes=-", "not one byte range"),
        ] {
            let t = text.replace("bytes=0-99", bad);
            let e = Suite::parse(Path::new("s.yaml"), &t, &|_| None)
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("s.yaml:6:") && e.contains("cases[0].range") && e.contains(needle),
                "{e}"
            );
        }
        for ok in ["bytes=100-", "bytes=-100"] {
            let t = text.replace("bytes=0-99", ok);
            assert!(
                Suite::parse(Path::new("s.yaml"), &t, &|_| None).is_ok(),
                "{ok}"
            );
        }
        let t = text.replace("path: /\n", "path: /\n    method: POST\n");
        let e = Suite::parse(Path::new("s.yaml"), &t, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cases[0].conditional") && e.contains("follow a GET"),
            "{e}"
        );
        let t = text.replace("path: /\n", "path: /\n    cache: {sequence: 2}\n");
        let e = Suite::parse(Path::new("s.yaml"), &t, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("its own case"), "{e}");
    }

    #[test]
    fn expand_vars_edge_cases() {
        let l = env(&[("A", "1")]);
        assert_eq!(expand_vars("x${A}y$${A}$z", &l).unwrap().0, "x1y${A}$z");
        assert_eq!(
            expand_vars("${B}", &l).unwrap_err(),
            VarError::Undefined("B".into())
        );
        assert_eq!(expand_vars("a${A", &l).unwrap_err(), VarError::Unterminated);
    }

    #[test]
    fn vars_in_vary_values_and_unterminated_vars() {
        let text = "base_url: https://x.test\ncases:\n  - name: v\n    path: /\n    vary: {header: X-Flag, values: [a, \"${FLAG}\"]}\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &env(&[("FLAG", "b-secret")])).unwrap();
        assert_eq!(
            s.cases[0].probe,
            Probe::Vary {
                header: "x-flag".into(),
                values: vec!["a".into(), "b-secret".into()]
            }
        );
        assert_eq!(s.secrets, vec!["b-secret".to_string()]);
        let bad = text.replace("${FLAG}", "${FLAG");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[("FLAG", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.yaml:5:") && e.contains("without a closing"),
            "{e}"
        );
        let bad = text.replace("path: /\n", "path: \"/${TOKEN\"\n");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.yaml:4:11:") && e.contains("without a closing"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_headers_and_a_bom() {
        let text = "base_url: https://x.test\ncases:\n  - name: a\n    path: /\n    headers: {X-A: one, X-A: two}\n";
        let e = Suite::parse(Path::new("s.yaml"), text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.yaml:5:") && e.contains("duplicate"), "{e}");
        let bom = format!("\u{feff}{}", SUITE);
        assert_eq!(
            Suite::parse(Path::new("s.yaml"), &bom, &env(&[]))
                .unwrap()
                .cases
                .len(),
            3
        );
    }

    #[test]
    fn names_that_would_escape_a_folder_or_hide_text_are_refused() {
        for bad in [
            "..",
            ".",
            "a/b",
            "a::b",
            "a\\b",
            "x\u{202e}y",
            "nul\u{0}",
            "",
        ] {
            assert!(check_name(bad, "case").is_err(), "{bad:?}");
        }
        let long = "x".repeat(MAX_NAME + 1);
        assert!(check_name(&long, "case")
            .unwrap_err()
            .contains("at most 200 bytes"));
        assert!(check_name("home page (v2) – ü", "case").is_ok());
        let e = Suite::parse(Path::new("d/...yaml"), SUITE, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("d/...yaml: key `(file name)`"), "{e}");
        let text = SUITE.replace("name: home", "name: \"evil\\u202Elive\"");
        let e = Suite::parse(Path::new("s.yaml"), &text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("⟨U+202E⟩") && !e.contains('\u{202e}'), "{e}");
    }

    #[test]
    fn several_hosts_make_one_case_per_host_with_the_host_in_its_name() {
        let text = "base_url: https://x.test:8443/p\nhosts: [a.test, B.Test]\ncases:\n  - {name: home, path: /}\n  - {name: api, path: /api, host: api.test}\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &env(&[])).unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = s
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.host.as_str(), c.group.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("home@a.test", "a.test", Some("home")),
                ("home@b.test", "b.test", Some("home")),
                ("api@api.test", "api.test", Some("api")),
            ]
        );
        assert_eq!(s.port, 8443);
        // One host (base_url's): names as written, no group.
        let one = "base_url: https://x.test\ncases:\n  - {name: home, path: /}\n";
        let s = Suite::parse(Path::new("s.yaml"), one, &env(&[])).unwrap();
        assert_eq!(s.cases[0].name, "home");
        assert_eq!(s.cases[0].host, "x.test");
        assert_eq!(s.cases[0].group, None);
        // A case's own host that is the suite's only host: still one host.
        let same = one.replace("path: /}", "path: /, host: x.test}");
        let s = Suite::parse(Path::new("s.yaml"), &same, &env(&[])).unwrap();
        assert_eq!(s.cases[0].name, "home");
    }

    #[test]
    fn bad_hosts_name_their_line_and_key() {
        for (hosts, why) in [
            ("[\"a b.test\"]", "is not a host name"),
            ("[\"[::1]\"]", "IPv6"),
            ("[a.test, A.test]", "listed twice"),
            ("[]", "between 1 and"),
        ] {
            let text = format!(
                "base_url: https://x.test\nhosts: {hosts}\ncases:\n  - {{name: home, path: /}}\n"
            );
            let e = Suite::parse(Path::new("s.yaml"), &text, &env(&[]))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("s.yaml:2:") && e.contains("key `hosts`") && e.contains(why),
                "{e}"
            );
        }
        let text =
            "base_url: https://x.test\ncases:\n  - name: home\n    path: /\n    host: \"a/b\"\n";
        let e = Suite::parse(Path::new("s.yaml"), text, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.yaml:5:") && e.contains("cases[0].host"),
            "{e}"
        );
    }

    #[test]
    fn suite_folders_are_read_recursively_and_named_by_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let suite = "base_url: https://x.test\ncases:\n  - {name: home, path: /}\n";
        for f in [
            "www.yaml",
            "shop/www.yaml",
            "shop/eu/api.yml",
            ".hidden/x.yaml",
            ".swap.yaml",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, suite).unwrap();
        }
        std::fs::write(
            dir.path().join("shop/parity.yaml"),
            "environments:\n  t:\n    baseline: a\n    providers: {}\n",
        )
        .unwrap();
        let (suites, skipped) = load_suites_beside(&[dir.path().to_path_buf()], None).unwrap();
        let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["shop/eu/api", "shop/www", "www"]);
        assert_eq!(skipped, vec![dir.path().join("shop/parity.yaml")]);
        // A file named directly keeps its stem.
        let one = load_suites(&[dir.path().join("shop/www.yaml")]).unwrap();
        assert_eq!(one[0].name, "www");
        assert!(check_suite_name("shop/www").is_ok());
        assert!(check_suite_name("shop/../www").is_err());
        assert!(check_suite_name("shop//www").is_err());
    }

    const MATRIX: &str = r#"base_url: https://x.test
x-agents: &agents
  mobile: "Mozilla/5.0 (iPhone)"
  desktop: "Mozilla/5.0 (X11)"
defaults:
  headers: {Cookie: "theme=dark", Accept-Language: de}
  matrix:
    lang: {Accept-Language: [en, fr]}
cases:
  - name: home
    path: /?a=1
    matrix:
      device: {User-Agent: *agents}
      lang: {Accept-Language: [en, fr, ja]}
      user: {cookie: {uid: [a, b]}}
      page: {query: {p: [1, "two words"]}}
  - name: api
    path: /api
  - name: plain
    path: /
    matrix: {}
"#;

    fn header<'a>(c: &'a Case, n: &str) -> Option<&'a str> {
        c.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(n))
            .map(|h| h.value.as_str())
    }

    #[test]
    fn a_matrix_makes_one_case_per_combination_in_the_order_written() {
        let s = Suite::parse(Path::new("s.yaml"), MATRIX, &env(&[])).unwrap();
        let names: Vec<&str> = s.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), 2 * 3 * 2 * 2 + 2 + 1);
        assert_eq!(names[0], "home[device=mobile,lang=en,user=a,page=1]");
        assert_eq!(
            names[1],
            "home[device=mobile,lang=en,user=a,page=two words]"
        );
        assert_eq!(names[2], "home[device=mobile,lang=en,user=b,page=1]");
        assert_eq!(
            names[23],
            "home[device=desktop,lang=ja,user=b,page=two words]"
        );
        assert_eq!(&names[24..], ["api[lang=en]", "api[lang=fr]", "plain"]);
        let c = &s.cases[23];
        assert_eq!(c.group.as_deref(), Some("home"));
        assert_eq!(header(c, "user-agent"), Some("Mozilla/5.0 (X11)"));
        assert_eq!(header(c, "accept-language"), Some("ja"));
        assert_eq!(header(c, "cookie"), Some("theme=dark; uid=b"));
        assert_eq!(c.path, "/?a=1&p=two+words");
        assert_eq!(
            c.headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("accept-language"))
                .count(),
            1
        );
        assert_eq!(s.cases[25].path, "/api");
        assert_eq!(header(&s.cases[25], "accept-language"), Some("fr"));
        assert_eq!(s.cases[26].group, None);
        assert_eq!(header(&s.cases[26], "accept-language"), Some("de"));
    }

    #[test]
    fn zipped_axes_hosts_and_secrets() {
        let text = "base_url: https://x.test\nhosts: [a.test, b.test]\ncases:\n  - name: home\n    path: /\n    matrix:\n      zip: true\n      lang: {Accept-Language: [en, fr]}\n      flag: {X-Flag: {on: \"${FLAG}\", off: \"0\"}}\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &env(&[("FLAG", "flag-secret")])).unwrap();
        let names: Vec<&str> = s.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "home[lang=en,flag=on]@a.test",
                "home[lang=en,flag=on]@b.test",
                "home[lang=fr,flag=off]@a.test",
                "home[lang=fr,flag=off]@b.test",
            ]
        );
        assert!(s.cases.iter().all(|c| c.group.as_deref() == Some("home")));
        assert!(s.cases[0]
            .headers
            .iter()
            .any(|h| h.secret && h.value == "flag-secret"));
        assert_eq!(s.secrets, vec!["flag-secret".to_string()]);
        // A secret must be named: its value would be in the id.
        let bad = text.replace("{on: \"${FLAG}\", off: \"0\"}", "[\"${FLAG}\", \"0\"]");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[("FLAG", "flag-secret")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("name it") && !e.contains("flag-secret"), "{e}");
        // Zipped axes need as many values each.
        let bad = text.replace("[en, fr]", "[en, fr, ja]");
        let e = Suite::parse(Path::new("s.yaml"), &bad, &env(&[("FLAG", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.yaml:7:") && e.contains("cases[0].matrix.zip"),
            "{e}"
        );
    }

    #[test]
    fn bad_matrices_name_file_line_and_key() {
        let big: Vec<String> = (0..20).map(|i| format!("v{i}")).collect();
        let list = format!("[{}]", big.join(", "));
        let cases = [
            (
                format!("a: {{X-A: {list}}}, b: {{X-B: {list}}}"),
                "cases[0].matrix",
                "more than 256 combinations",
            ),
            (
                "ua: {User-Agent: [\"Mozilla/5.0\"]}".to_string(),
                "cases[0].matrix.ua.User-Agent",
                "name the values",
            ),
            (
                "ua: {User-Agent: [a], X-B: [b]}".to_string(),
                "cases[0].matrix.ua",
                "must name one header",
            ),
            (
                "\"l[x]\": {X-A: [a]}".to_string(),
                "cases[0].matrix.l[x]",
                "cannot be part of an id",
            ),
            (
                "u: {cookie: {\"a;b\": [x]}}".to_string(),
                "cases[0].matrix.u.cookie",
                "not a cookie name",
            ),
            (
                "u: {X-A: []}".to_string(),
                "cases[0].matrix.u.X-A",
                "between 1 and 64",
            ),
            (
                "u: {X-A: [a, a]}".to_string(),
                "cases[0].matrix.u.X-A",
                "given twice",
            ),
            ("zip: 3".to_string(), "cases[0].matrix.zip", "true or false"),
        ];
        for (m, key, why) in cases {
            let text = format!(
                "base_url: https://x.test\ncases:\n  - name: c\n    path: /\n    matrix: {{{m}}}\n"
            );
            let e = match Suite::parse(Path::new("s.yaml"), &text, &env(&[])) {
                Ok(s) => panic!(
                    "{m}: {:?}",
                    s.cases.iter().map(|c| &c.name).collect::<Vec<_>>()
                ),
                Err(e) => e.to_string(),
            };
            assert!(
                e.starts_with("s.yaml:5:13:")
                    && e.contains(&format!("key `{key}`"))
                    && e.contains(why),
                "{m}: {e}"
            );
        }
        let e = Suite::parse(
            Path::new("s.yaml"),
            "base_url: https://x.test\ndefaults:\n  matrix: [a]\ncases: []\n",
            &env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.yaml:3:") && e.contains("defaults.matrix"),
            "{e}"
        );
    }

    #[test]
    fn merge_keys_and_x_keys_reuse_parts_of_a_suite() {
        let text = "x-api: &api\n  headers: {Accept: application/json}\n  ignore_headers: [x-request-id]\nbase_url: https://x.test\ncases:\n  - <<: *api\n    name: item\n    path: /item\n  - <<: *api\n    name: list\n    path: /list\n    headers: {Accept: text/csv}\n";
        let s = Suite::parse(Path::new("s.yaml"), text, &env(&[])).unwrap();
        assert_eq!(header(&s.cases[0], "accept"), Some("application/json"));
        assert_eq!(header(&s.cases[1], "accept"), Some("text/csv"));
        assert!(s.cases[1].ignore_headers.contains("x-request-id"));
        assert_eq!(s.cases[1].line, Some(9));
        let e = Suite::parse(
            Path::new("s.yaml"),
            &text.replace("x-api", "api"),
            &env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.yaml:1:") && e.contains("unknown field `api`"),
            "{e}"
        );
    }
}
