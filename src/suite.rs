//! Loading and validating the project config (`parity.yaml`) and the suites.
//!
//! Every YAML parse in edgeparity happens in this module, and only here.
//! `serde_yaml` is archived upstream; keeping it behind this one door means a
//! maintained fork can replace it by editing one file.
//!
//! The keys are a contract with users and their CI scripts, so unknown keys
//! are errors (with a "did you mean" hint), and every error names the file,
//! the line and the key. Nothing here panics on user input.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::model::{Expectation, ExpectedDifference, Kind, Severity, Verdict};

/// Where an error was found in a YAML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Errors of this layer. Each carries the file, and where it can, the line,
/// the column and the key.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{at}: {message}")]
    Yaml { at: Location, message: String },
    #[error("{at}: key `{key}`: {message}")]
    Invalid {
        at: Location,
        key: String,
        message: String,
    },
    #[error("{at}: `${{{name}}}` is not defined in the environment")]
    UndefinedVar { at: Location, name: String },
}

// ---------------------------------------------------------------------------
// The project config
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_env: Option<String>,
    environments: BTreeMap<String, EnvFile>,
    /// Overrides of the default severity table, first match wins.
    #[serde(default)]
    severities: Vec<SeverityFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeverityFile {
    kind: String,
    #[serde(default)]
    field: Option<String>,
    severity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvFile {
    baseline: String,
    providers: BTreeMap<String, ProviderFile>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    http: HttpMode,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    body_cap_bytes: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderFile {
    #[serde(default)]
    addrs: Option<Vec<String>>,
    #[serde(default)]
    resolve: Option<String>,
    #[serde(default)]
    nameserver: Option<String>,
    /// Which built-in provider profile applies; defaults to the provider's name.
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    fingerprint: Option<FingerprintFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FingerprintFile {
    Off(bool),
    Rule(FingerprintRuleFile),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FingerprintRuleFile {
    header: String,
    #[serde(default)]
    matches: Option<String>,
}

/// Which HTTP version to speak to every provider of an environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpMode {
    #[default]
    Auto,
    H1,
    H2,
}

/// How a provider's edge addresses are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Pinned addresses from the config.
    Addrs(Vec<IpAddr>),
    /// A DNS name to resolve (with `{host}` filled from the suite's host),
    /// optionally asking one nameserver instead of the system's resolver.
    Resolve {
        name: String,
        nameserver: Option<SocketAddr>,
    },
}

/// A provider's fingerprint override from the config.
#[derive(Debug, Clone)]
pub enum FingerprintSetting {
    /// Use the built-in fingerprint of the provider's kind.
    BuiltIn,
    /// Checking turned off by the user (a loud warning is printed).
    Off,
    /// A header that must be present, and optionally match a regex.
    Custom {
        header: String,
        /// Compiled when the config is read: a bad pattern is a config error.
        matches: Option<regex::Regex>,
    },
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    /// The built-in profile (noise, cache headers, fingerprint) to use.
    pub kind: String,
    pub target: Target,
    pub fingerprint: FingerprintSetting,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub baseline: String,
    /// Baseline first, then the candidates in name order.
    pub providers: Vec<ProviderConfig>,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub http: HttpMode,
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub body_cap_bytes: u64,
    /// The project's severity overrides (from the config's top level).
    pub severities: Vec<crate::severity::Rule>,
}

impl Environment {
    pub fn candidates(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.providers.iter().filter(|p| p.name != self.baseline)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub default_env: Option<String>,
    pub environments: BTreeMap<String, Environment>,
}

pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 3_000;
pub const DEFAULT_BODY_CAP: u64 = 8 * 1024 * 1024;

impl Config {
    pub fn load(path: &Path) -> Result<Config, SuiteError> {
        let text = read(path)?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, SuiteError> {
        let file: ConfigFile = parse_yaml(path, text)?;
        let invalid = |keys: &[&str], key: &str, message: String| SuiteError::Invalid {
            at: locate(path, text, keys),
            key: key.to_string(),
            message,
        };
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let mut severities = Vec::new();
        for (i, r) in file.severities.iter().enumerate() {
            let kind = Kind::parse(&r.kind).ok_or_else(|| {
                invalid(
                    &["severities"],
                    &format!("severities[{i}].kind"),
                    format!(
                        "`{}` is not a difference kind ({}){}",
                        r.kind,
                        KINDS.join(", "),
                        hint(&r.kind, KINDS)
                    ),
                )
            })?;
            let words = Severity::WORDS;
            let severity = Severity::parse(&r.severity).ok_or_else(|| {
                invalid(
                    &["severities"],
                    &format!("severities[{i}].severity"),
                    format!(
                        "`{}` is not a severity ({}){}",
                        r.severity,
                        words.join(", "),
                        hint(&r.severity, words)
                    ),
                )
            })?;
            severities.push(crate::severity::Rule {
                kind,
                field: r.field.as_ref().map(|f| f.to_ascii_lowercase()),
                severity,
            });
        }
        let mut environments = BTreeMap::new();
        for (env_name, env) in file.environments {
            let env_key = format!("environments.{env_name}");
            if !env.providers.contains_key(&env.baseline) {
                let known: Vec<&str> = env.providers.keys().map(String::as_str).collect();
                return Err(invalid(
                    &["environments", &env_name, "baseline"],
                    &format!("{env_key}.baseline"),
                    format!(
                        "baseline `{}` is not one of the providers ({}){}",
                        env.baseline,
                        known.join(", "),
                        hint(&env.baseline, &known)
                    ),
                ));
            }
            if env.providers.len() < 2 {
                return Err(invalid(
                    &["environments", &env_name, "providers"],
                    &format!("{env_key}.providers"),
                    "at least two providers are needed: a baseline and a candidate".into(),
                ));
            }
            let mut providers = Vec::new();
            for (pname, p) in env.providers {
                let pkey = format!("{env_key}.providers.{pname}");
                let keys = ["environments", &env_name, "providers", &pname];
                let target = match (p.addrs, p.resolve) {
                    (Some(addrs), None) => {
                        if addrs.is_empty() {
                            return Err(invalid(
                                &keys,
                                &format!("{pkey}.addrs"),
                                "needs at least one address".into(),
                            ));
                        }
                        let mut ips = Vec::new();
                        for a in &addrs {
                            let ip: IpAddr = a.trim_matches(['[', ']']).parse().map_err(|_| {
                                invalid(
                                    &keys,
                                    &format!("{pkey}.addrs"),
                                    format!("`{a}` is not an IPv4 or IPv6 address"),
                                )
                            })?;
                            ips.push(ip);
                        }
                        if p.nameserver.is_some() {
                            return Err(invalid(
                                &keys,
                                &format!("{pkey}.nameserver"),
                                "`nameserver` only goes with `resolve`".into(),
                            ));
                        }
                        Target::Addrs(ips)
                    }
                    (None, Some(name)) => {
                        if !name.contains("{host}") && name.trim().is_empty() {
                            return Err(invalid(
                                &keys,
                                &format!("{pkey}.resolve"),
                                "is empty".into(),
                            ));
                        }
                        let nameserver = match p.nameserver {
                            None => None,
                            Some(ns) => Some(parse_nameserver(&ns).ok_or_else(|| {
                                invalid(
                                    &keys,
                                    &format!("{pkey}.nameserver"),
                                    format!("`{ns}` is not an address like 1.1.1.1:53"),
                                )
                            })?),
                        };
                        Target::Resolve { name, nameserver }
                    }
                    (Some(_), Some(_)) => {
                        return Err(invalid(
                            &keys,
                            &pkey,
                            "give either `addrs` or `resolve`, not both".into(),
                        ))
                    }
                    (None, None) => {
                        return Err(invalid(
                            &keys,
                            &pkey,
                            "needs `addrs` (pinned edge addresses) or `resolve` (a DNS name)"
                                .into(),
                        ))
                    }
                };
                let fingerprint = match p.fingerprint {
                    None | Some(FingerprintFile::Off(true)) => FingerprintSetting::BuiltIn,
                    Some(FingerprintFile::Off(false)) => FingerprintSetting::Off,
                    Some(FingerprintFile::Rule(r)) => {
                        let matches = match &r.matches {
                            None => None,
                            Some(re) => Some(regex::Regex::new(re).map_err(|e| {
                                invalid(
                                    &keys,
                                    &format!("{pkey}.fingerprint.matches"),
                                    format!("not a valid regex: {e}"),
                                )
                            })?),
                        };
                        if http::HeaderName::from_bytes(r.header.as_bytes()).is_err() {
                            return Err(invalid(
                                &keys,
                                &format!("{pkey}.fingerprint.header"),
                                format!("`{}` is not a header name", r.header),
                            ));
                        }
                        FingerprintSetting::Custom {
                            header: r.header.to_ascii_lowercase(),
                            matches,
                        }
                    }
                };
                providers.push(ProviderConfig {
                    kind: p.kind.unwrap_or_else(|| pname.clone()),
                    name: pname,
                    target,
                    fingerprint,
                });
            }
            // Baseline first, candidates after in name order (BTreeMap order).
            providers.sort_by_key(|p| p.name != env.baseline);
            let ca_file = env
                .ca_file
                .map(|p| if p.is_absolute() { p } else { base_dir.join(p) });
            environments.insert(
                env_name.clone(),
                Environment {
                    name: env_name,
                    baseline: env.baseline,
                    providers,
                    ca_file,
                    insecure: env.insecure,
                    http: env.http,
                    timeout_ms: env.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
                    connect_timeout_ms: env
                        .connect_timeout_ms
                        .unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS),
                    body_cap_bytes: env.body_cap_bytes.unwrap_or(DEFAULT_BODY_CAP),
                    severities: severities.clone(),
                },
            );
        }
        if let Some(d) = &file.default_env {
            if !environments.contains_key(d) {
                let known: Vec<&str> = environments.keys().map(String::as_str).collect();
                return Err(invalid(
                    &["default_env"],
                    "default_env",
                    format!(
                        "`{d}` is not one of the environments ({}){}",
                        known.join(", "),
                        hint(d, &known)
                    ),
                ));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            default_env: file.default_env,
            environments,
        })
    }

    /// The environment named, or the default one.
    pub fn environment(&self, name: Option<&str>) -> Result<&Environment, SuiteError> {
        let at = Location {
            file: self.path.clone(),
            line: None,
            column: None,
        };
        let known: Vec<&str> = self.environments.keys().map(String::as_str).collect();
        let name = match name.or(self.default_env.as_deref()) {
            Some(n) => n,
            None if self.environments.len() == 1 => known[0],
            None => {
                return Err(SuiteError::Invalid {
                    at,
                    key: "default_env".into(),
                    message: format!(
                        "no environment chosen: pass --env or set default_env ({})",
                        known.join(", ")
                    ),
                })
            }
        };
        self.environments
            .get(name)
            .ok_or_else(|| SuiteError::Invalid {
                at,
                key: "environments".into(),
                message: format!(
                    "no environment `{name}` (known: {}){}",
                    known.join(", "),
                    hint(name, &known)
                ),
            })
    }
}

fn parse_nameserver(s: &str) -> Option<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa);
    }
    s.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

// ---------------------------------------------------------------------------
// Suites
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    base_url: String,
    #[serde(default)]
    defaults: DefaultsFile,
    cases: Vec<CaseFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    ignore_headers: Vec<String>,
    #[serde(default)]
    ignore_json: Vec<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    path: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    ignore_headers: Vec<String>,
    #[serde(default)]
    ignore_json: Vec<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    /// Marks the trial as ignored in the libtest runner (`--ignored` runs it).
    #[serde(default)]
    ignore: bool,
    /// The verdict this case is expected to reach (for example suites that
    /// demonstrate known differences). Default: parity.
    #[serde(default)]
    expect: Option<ExpectFile>,
    /// Cache probing: a sequence of requests on one fresh cache key.
    #[serde(default)]
    cache: Option<CacheFile>,
    /// Vary probing: one request per value of a request header.
    #[serde(default)]
    vary: Option<VaryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    #[serde(default)]
    sequence: Option<u32>,
    #[serde(default)]
    pause_ms: Option<u64>,
    #[serde(default)]
    expect: Option<Vec<String>>,
    #[serde(default)]
    bust: Option<Bust>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VaryFile {
    header: String,
    values: Vec<String>,
}

/// Where a case's fresh cache key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFile {
    verdict: String,
    #[serde(default)]
    differences: Vec<ExpectDiffFile>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDiffFile {
    kind: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    provider: Option<String>,
}

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
    pub name: String,
    pub method: http::Method,
    pub path: String,
    pub headers: Vec<HeaderSpec>,
    pub body: Option<String>,
    /// Lower-case header names left out of the comparison.
    pub ignore_headers: BTreeSet<String>,
    /// JSON Pointers removed from JSON bodies before comparison.
    pub ignore_json: Vec<String>,
    pub timeout_ms: Option<u64>,
    pub ignore: bool,
    pub expect: Option<Expectation>,
    pub probe: Probe,
    pub bust: Bust,
    /// Line of the case in its suite file, for messages.
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub file: PathBuf,
    pub base_url: reqwest::Url,
    pub host: String,
    pub port: u16,
    pub cases: Vec<Case>,
    /// Values filled from environment variables: redacted wherever they appear.
    pub secrets: Vec<String>,
}

/// The verdicts a case may `expect`.
pub const VERDICTS: &[&str] = &["parity", "differs", "error"];
pub const KINDS: &[&str] = Kind::WORDS;

impl Suite {
    pub fn load(path: &Path) -> Result<Suite, SuiteError> {
        let text = read(path)?;
        Self::parse(path, &text, &|k| std::env::var(k).ok())
    }

    /// Parse a suite; `lookup` reads environment variables (injectable for tests).
    pub fn parse(
        path: &Path,
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Suite, SuiteError> {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("suite")
            .to_string();
        let file: SuiteFile = parse_yaml(path, text)?;
        let mut secrets = Vec::new();
        let mut expand = |s: &str| -> Result<(String, bool), SuiteError> {
            let (out, used) = expand_vars(s, lookup).map_err(|var| SuiteError::UndefinedVar {
                at: locate_text(path, text, &format!("${{{var}}}")),
                name: var,
            })?;
            for v in &used {
                if !v.is_empty() && !secrets.contains(v) {
                    secrets.push(v.clone());
                }
            }
            Ok((out, !used.is_empty()))
        };
        let invalid = |keys: &[&str], key: String, message: String| SuiteError::Invalid {
            at: locate(path, text, keys),
            key,
            message,
        };

        let (base, _) = expand(&file.base_url)?;
        let base_url = reqwest::Url::parse(&base).map_err(|e| {
            invalid(
                &["base_url"],
                "base_url".into(),
                format!("`{base}` is not a URL: {e}"),
            )
        })?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(invalid(
                &["base_url"],
                "base_url".into(),
                format!("scheme must be http or https, not `{}`", base_url.scheme()),
            ));
        }
        let host = match base_url.host_str() {
            Some(h) if !h.is_empty() => h.to_string(),
            _ => {
                return Err(invalid(
                    &["base_url"],
                    "base_url".into(),
                    "has no host".into(),
                ))
            }
        };
        let port = base_url.port_or_known_default().unwrap_or(443);

        let mut default_headers = Vec::new();
        for (k, v) in &file.defaults.headers {
            let (value, secret) = expand(v)?;
            check_header(k, &value).map_err(|m| {
                invalid(
                    &["defaults", "headers", k],
                    format!("defaults.headers.{k}"),
                    m,
                )
            })?;
            default_headers.push(HeaderSpec {
                name: k.clone(),
                value,
                secret,
            });
        }
        for p in &file.defaults.ignore_json {
            check_pointer(p).map_err(|m| {
                invalid(
                    &["defaults", "ignore_json"],
                    "defaults.ignore_json".into(),
                    m,
                )
            })?;
        }

        let mut seen = BTreeSet::new();
        let mut cases = Vec::new();
        for (i, c) in file.cases.into_iter().enumerate() {
            let line = locate_case(text, &c.name, i);
            let at = |key: &str| Location {
                file: path.to_path_buf(),
                line: locate_in_case(text, line, key).or(line),
                column: None,
            };
            let ckey = |key: &str| format!("cases[{i}].{key}");
            if c.name.trim().is_empty() || c.name.contains("::") || c.name.contains('/') {
                return Err(SuiteError::Invalid {
                    at: at("name"),
                    key: ckey("name"),
                    message: format!(
                        "`{}`: a case name must be non-empty and contain neither `::` nor `/`",
                        c.name
                    ),
                });
            }
            if !seen.insert(c.name.clone()) {
                return Err(SuiteError::Invalid {
                    at: at("name"),
                    key: ckey("name"),
                    message: format!("case `{}` appears twice in this suite", c.name),
                });
            }
            let (cpath, _) = expand(&c.path)?;
            if !cpath.starts_with('/') {
                return Err(SuiteError::Invalid {
                    at: at("path"),
                    key: ckey("path"),
                    message: format!("`{cpath}` must start with `/`"),
                });
            }
            let method_text = c.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
            let method = http::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
                SuiteError::Invalid {
                    at: at("method"),
                    key: ckey("method"),
                    message: format!("`{method_text}` is not an HTTP method"),
                }
            })?;
            let mut headers: Vec<HeaderSpec> = default_headers
                .iter()
                .filter(|d| !c.headers.keys().any(|k| k.eq_ignore_ascii_case(&d.name)))
                .cloned()
                .collect();
            for (k, v) in &c.headers {
                let (value, secret) = expand(v)?;
                check_header(k, &value).map_err(|m| SuiteError::Invalid {
                    at: at("headers"),
                    key: ckey(&format!("headers.{k}")),
                    message: m,
                })?;
                headers.push(HeaderSpec {
                    name: k.clone(),
                    value,
                    secret,
                });
            }
            let body = match &c.body {
                Some(b) => Some(expand(b)?.0),
                None => None,
            };
            let mut ignore_headers: BTreeSet<String> = file
                .defaults
                .ignore_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
            ignore_headers.extend(c.ignore_headers.iter().map(|h| h.to_ascii_lowercase()));
            let mut ignore_json = file.defaults.ignore_json.clone();
            for p in &c.ignore_json {
                check_pointer(p).map_err(|m| SuiteError::Invalid {
                    at: at("ignore_json"),
                    key: ckey("ignore_json"),
                    message: m,
                })?;
                ignore_json.push(p.clone());
            }
            let expect = match c.expect {
                None => None,
                Some(e) => {
                    let verdict = match e.verdict.as_str() {
                        "parity" => Verdict::Parity,
                        "differs" => Verdict::Differs,
                        "error" => Verdict::Error,
                        _ => {
                            return Err(SuiteError::Invalid {
                                at: at("expect"),
                                key: ckey("expect.verdict"),
                                message: format!(
                                    "`{}` is not a verdict ({}){}",
                                    e.verdict,
                                    VERDICTS.join(", "),
                                    hint(&e.verdict, VERDICTS)
                                ),
                            })
                        }
                    };
                    let mut differences = Vec::new();
                    for d in e.differences {
                        let Some(kind) = Kind::parse(&d.kind) else {
                            return Err(SuiteError::Invalid {
                                at: at("expect"),
                                key: ckey("expect.differences.kind"),
                                message: format!(
                                    "`{}` is not a difference kind ({}){}",
                                    d.kind,
                                    KINDS.join(", "),
                                    hint(&d.kind, KINDS)
                                ),
                            });
                        };
                        differences.push(ExpectedDifference {
                            kind,
                            field: d.field,
                            provider: d.provider,
                        });
                    }
                    Some(Expectation {
                        verdict,
                        differences,
                        reason: e.reason,
                    })
                }
            };
            let (probe, bust) =
                probe_of(c.cache, c.vary).map_err(|(key, message)| SuiteError::Invalid {
                    at: at(key.split('.').next().unwrap_or("cache")),
                    key: ckey(&key),
                    message,
                })?;
            cases.push(Case {
                name: c.name,
                method,
                path: cpath,
                headers,
                body,
                ignore_headers,
                ignore_json,
                timeout_ms: c.timeout_ms.or(file.defaults.timeout_ms),
                ignore: c.ignore,
                expect,
                probe,
                bust,
                line,
            });
        }
        Ok(Suite {
            name,
            file: path.to_path_buf(),
            base_url,
            host,
            port,
            cases,
            secrets,
        })
    }
}

/// The probe and cache-bust mode of a case, checked.
fn probe_of(
    cache: Option<CacheFile>,
    vary: Option<VaryFile>,
) -> Result<(Probe, Bust), (String, String)> {
    use crate::provider::CacheOutcome;
    let bust_given = cache.as_ref().and_then(|c| c.bust);
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
            if http::HeaderName::from_bytes(v.header.as_bytes()).is_err() {
                return Err((
                    "vary.header".into(),
                    format!("`{}` is not a header name", v.header),
                ));
            }
            if v.values.len() < 2 {
                return Err(("vary.values".into(), "needs at least two values".into()));
            }
            for val in &v.values {
                if http::HeaderValue::from_str(val).is_err() {
                    return Err((
                        "vary.values".into(),
                        format!("`{val}` is not a header value"),
                    ));
                }
            }
            let header = v.header.to_ascii_lowercase();
            let probe = if header == "accept-encoding" {
                Probe::Encoding { values: v.values }
            } else {
                Probe::Vary {
                    header,
                    values: v.values,
                }
            };
            Ok((probe, bust_given.unwrap_or(Bust::Query)))
        }
        (Some(c), None) => {
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
                    let mut out = Vec::new();
                    for w in &list {
                        out.push(CacheOutcome::parse(w).ok_or_else(|| {
                            (
                                "cache.expect".into(),
                                format!(
                                    "`{w}` is not a cache outcome ({}){}",
                                    words.join(", "),
                                    hint(w, &words)
                                ),
                            )
                        })?);
                    }
                    Some(out)
                }
            };
            Ok((
                Probe::Sequence {
                    count,
                    pause_ms: c.pause_ms.unwrap_or(0).min(60_000),
                    expect,
                },
                bust_given.unwrap_or(Bust::Query),
            ))
        }
    }
}

/// Load every suite named: a PATH is a suite file or a folder of suites
/// (`*.yaml` / `*.yml`, not recursive). Suites come back sorted by name, and
/// two suites with one name are an error.
pub fn load_suites(paths: &[PathBuf]) -> Result<Vec<Suite>, SuiteError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|source| SuiteError::Io {
                path: p.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(
                            f.extension().and_then(|e| e.to_str()),
                            Some("yaml") | Some("yml")
                        )
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    let mut suites: Vec<Suite> = Vec::new();
    for f in files {
        let s = Suite::load(&f)?;
        if let Some(other) = suites.iter().find(|o| o.name == s.name) {
            return Err(SuiteError::Invalid {
                at: Location {
                    file: f.clone(),
                    line: None,
                    column: None,
                },
                key: "name".into(),
                message: format!(
                    "a suite named `{}` was already loaded from {}",
                    s.name,
                    other.file.display()
                ),
            });
        }
        suites.push(s);
    }
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(suites)
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn read(path: &Path) -> Result<String, SuiteError> {
    std::fs::read_to_string(path).map_err(|source| SuiteError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Parse YAML into `T`, turning serde_yaml's errors into ones that name the
/// file, line, column and key, with a "did you mean" for unknown keys.
fn parse_yaml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, SuiteError> {
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        let at = Location {
            file: path.to_path_buf(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
        };
        let raw = e.to_string();
        // serde_yaml appends " at line L column C"; we print that ourselves.
        let mut message = match raw.find(" at line ") {
            Some(i) => raw[..i].to_string(),
            None => raw.clone(),
        };
        if let Some((unknown, expected)) = unknown_field(&message) {
            let exp: Vec<&str> = expected.iter().map(String::as_str).collect();
            message.push_str(&hint(&unknown, &exp));
        }
        SuiteError::Yaml { at, message }
    })
}

/// Pull the unknown key and the expected ones out of serde's message
/// "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let start = message.find("unknown field `")? + "unknown field `".len();
    let rest = &message[start..];
    let end = rest.find('`')?;
    let unknown = rest[..end].to_string();
    let expected = rest[end..]
        .split('`')
        .skip(2)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((unknown, expected))
}

/// ", did you mean `x`?" when a known word is close enough, else "".
pub fn hint(word: &str, known: &[&str]) -> String {
    let close = |k: &str| {
        let d = strsim::damerau_levenshtein(word, k);
        d <= (k.len() / 3).max(1) || strsim::jaro_winkler(word, k) > 0.85
    };
    known
        .iter()
        .filter(|k| close(k))
        .min_by_key(|k| strsim::damerau_levenshtein(word, k))
        .map(|k| format!(", did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Fill `${NAME}` from `lookup`. Returns the text and the values used, or the
/// name of the first undefined variable. `$${` stays a literal `${`.
fn expand_vars(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(s.len());
    let mut used = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(stripped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = stripped;
        } else if let Some(stripped) = after.strip_prefix("${") {
            match stripped.find('}') {
                Some(end) => {
                    let name = &stripped[..end];
                    let value = lookup(name).ok_or_else(|| name.to_string())?;
                    out.push_str(&value);
                    used.push(value);
                    rest = &stripped[end + 1..];
                }
                None => {
                    out.push_str(after);
                    rest = "";
                }
            }
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok((out, used))
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

/// Best-effort line of a nested key: walk the keys in order, each found on a
/// later line than its parent.
fn locate(path: &Path, text: &str, keys: &[&str]) -> Location {
    let mut line = None;
    let mut from = 0usize;
    for key in keys {
        let found = text.lines().enumerate().skip(from).find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix(key)
                .map(|r| r.trim_start().starts_with(':'))
                .unwrap_or(false)
                || t.strip_prefix(&format!("\"{key}\""))
                    .map(|r| r.trim_start().starts_with(':'))
                    .unwrap_or(false)
        });
        match found {
            Some((n, _)) => {
                line = Some(n + 1);
                from = n + 1;
            }
            None => break,
        }
    }
    Location {
        file: path.to_path_buf(),
        line,
        column: None,
    }
}

fn locate_text(path: &Path, text: &str, needle: &str) -> Location {
    for (n, l) in text.lines().enumerate() {
        if let Some(col) = l.find(needle) {
            return Location {
                file: path.to_path_buf(),
                line: Some(n + 1),
                column: Some(col + 1),
            };
        }
    }
    Location {
        file: path.to_path_buf(),
        line: None,
        column: None,
    }
}

/// The line of case `index` named `name`.
fn locate_case(text: &str, name: &str, index: usize) -> Option<usize> {
    let by_name = text.lines().enumerate().find(|(_, l)| {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        t.strip_prefix("name:")
            .map(|r| r.trim().trim_matches(['"', '\'']) == name)
            .unwrap_or(false)
    });
    if let Some((n, _)) = by_name {
        return Some(n + 1);
    }
    // Fall back to counting list items under `cases:`.
    let start = text
        .lines()
        .position(|l| l.trim_start().starts_with("cases:"))?;
    text.lines()
        .enumerate()
        .skip(start + 1)
        .filter(|(_, l)| l.trim_start().starts_with("- "))
        .nth(index)
        .map(|(n, _)| n + 1)
}

fn locate_in_case(text: &str, case_line: Option<usize>, key: &str) -> Option<usize> {
    let start = case_line?.saturating_sub(1);
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let case_indent = indent(lines.get(start)?);
    for (n, l) in lines.iter().enumerate().skip(start) {
        if n > start && l.trim_start().starts_with("- ") && indent(l) <= case_indent {
            break;
        }
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        if t.starts_with(&format!("{key}:")) {
            return Some(n + 1);
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Other YAML this project reads and writes (golden files). Kept here so that
// serde_yaml is used in this one module only.
// ---------------------------------------------------------------------------

/// Parse a golden file, with the same file:line:column errors as suites.
pub fn parse_golden(path: &Path, text: &str) -> Result<crate::golden::GoldenFile, SuiteError> {
    parse_yaml(path, text)
}

/// Parse any YAML document of the project (the allowlist) into `T`, with the
/// same file:line:column errors and "did you mean" hints as suites.
pub fn parse_yaml_file<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, SuiteError> {
    parse_yaml(path, text)
}

/// Serialise a value as YAML (golden files).
pub fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}

/// Write learned noise rules into a suite's text as explicit `ignore_headers`
/// and `ignore_json` keys of one case, for the user to review. The text is
/// edited in place (comments and layout kept): a key the case lacks is added
/// under its `name:` line; a one-line `[...]` list gets the new items
/// appended. Anything else is refused with the reason, never guessed at.
pub fn add_ignores(
    text: &str,
    case_name: &str,
    headers: &[String],
    pointers: &[String],
) -> Result<String, String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let Some(start) = locate_case(text, case_name, usize::MAX).map(|l| l - 1) else {
        let flow = text
            .lines()
            .any(|l| l.contains('{') && l.contains(&format!("name: {case_name}")));
        return Err(if flow {
            format!("case `{case_name}` is written in flow style ({{...}}); add the keys by hand")
        } else {
            format!("case `{case_name}` not found")
        });
    };
    let name_line = lines[start].clone();
    if name_line.trim_start().starts_with("- {") {
        return Err(format!(
            "case `{case_name}` is written in flow style ({{...}}); add the keys by hand"
        ));
    }
    let key_indent = {
        let t = name_line.trim_start();
        let lead = name_line.len() - t.len();
        if t.starts_with("- ") {
            lead + 2
        } else {
            lead
        }
    };
    for (key, items) in [("ignore_headers", headers), ("ignore_json", pointers)] {
        if items.is_empty() {
            continue;
        }
        let found = locate_in_case(&lines.join("\n"), Some(start + 1), key).map(|l| l - 1);
        match found {
            None => {
                let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
                lines.insert(
                    start + 1,
                    format!(
                        "{}{key}: [{}]  # learned by edgeparity calibrate: review",
                        " ".repeat(key_indent),
                        quoted.join(", ")
                    ),
                );
            }
            Some(at) => {
                let line = lines[at].clone();
                let (Some(open), Some(close)) = (line.find('['), line.rfind(']')) else {
                    return Err(format!(
                        "case `{case_name}`: `{key}` is a block list; add {} by hand",
                        items.join(", ")
                    ));
                };
                let inside = &line[open + 1..close];
                let present: Vec<String> = inside
                    .split(',')
                    .map(|x| x.trim().trim_matches(['"', '\'']).to_string())
                    .filter(|x| !x.is_empty())
                    .collect();
                let mut all: Vec<String> = present.iter().map(|p| format!("{p:?}")).collect();
                for i in items {
                    if !present.contains(i) {
                        all.push(format!("{i:?}"));
                    }
                }
                lines[at] = format!("{}{}{}", &line[..open + 1], all.join(", "), &line[close..]);
            }
        }
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    // The result must still be a valid suite of the same shape.
    serde_yaml::from_str::<SuiteFile>(&out)
        .map_err(|e| format!("the edit would break the suite: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    const CONFIG: &str = r#"default_env: testbed
environments:
  testbed:
    baseline: fastly
    providers:
      fastly:
        addrs: ["127.0.0.2"]
      cloudflare:
        addrs: ["127.0.0.3"]
  staging:
    baseline: fastly
    providers:
      fastly:
        resolve: "{host}.global.fastly.net"
      cloudflare:
        resolve: "{host}.cdn.cloudflare.net"
        nameserver: "1.1.1.1:53"
"#;

    #[test]
    fn the_documented_config_loads() {
        let c = Config::parse(Path::new("parity.yaml"), CONFIG).unwrap();
        let tb = c.environment(None).unwrap();
        assert_eq!(tb.name, "testbed");
        assert_eq!(tb.providers[0].name, "fastly");
        assert_eq!(
            tb.providers[1].target,
            Target::Addrs(vec!["127.0.0.3".parse().unwrap()])
        );
        let st = c.environment(Some("staging")).unwrap();
        assert_eq!(
            st.providers[1].target,
            Target::Resolve {
                name: "{host}.cdn.cloudflare.net".into(),
                nameserver: Some("1.1.1.1:53".parse().unwrap())
            }
        );
    }

    #[test]
    fn unknown_config_key_names_line_and_hint() {
        let text = CONFIG.replace(
            "baseline: fastly\n    providers:\n      fastly:\n        addrs",
            "baseline: fastly\n    providers:\n      fastly:\n        adrs",
        );
        let e = Config::parse(Path::new("parity.yaml"), &text).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("parity.yaml:7:9:"), "{s}");
        assert!(s.contains("unknown field `adrs`"), "{s}");
        assert!(s.contains("did you mean `addrs`?"), "{s}");
    }

    #[test]
    fn baseline_must_be_a_provider() {
        let text = CONFIG.replacen("baseline: fastly", "baseline: fasty", 1);
        let s = Config::parse(Path::new("p.yaml"), &text)
            .unwrap_err()
            .to_string();
        assert!(s.contains("p.yaml:4"), "{s}");
        assert!(s.contains("environments.testbed.baseline"), "{s}");
        assert!(s.contains("did you mean `fastly`?"), "{s}");
    }

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
            "s.yaml:16:17: `${MISSING_USER}` is not defined in the environment"
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
            e.contains("s.yaml:5")
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
    fn calibrate_writes_ignore_keys_in_place() {
        let text = "base_url: https://x.test\n# a comment\ncases:\n  - name: a\n    path: /\n  - name: b\n    path: /b\n    ignore_headers: [x-one]\n";
        let out = add_ignores(text, "a", &["x-request-id".into()], &["/ts".into()]).unwrap();
        assert!(out.contains("# a comment"));
        assert!(out.contains("  - name: a\n    ignore_json: [\"/ts\"]  # learned by edgeparity calibrate: review\n    ignore_headers: [\"x-request-id\"]"), "{out}");
        let out = add_ignores(&out, "b", &["x-two".into(), "x-one".into()], &[]).unwrap();
        assert!(
            out.contains("    ignore_headers: [\"x-one\", \"x-two\"]\n"),
            "{out}"
        );
        let s = Suite::parse(Path::new("s.yaml"), &out, &|_| None).unwrap();
        assert!(s.cases[0].ignore_headers.contains("x-request-id"));
        assert_eq!(s.cases[0].ignore_json, vec!["/ts"]);
        let flow = "base_url: https://x.test\ncases:\n  - {name: a, path: /}\n";
        assert!(add_ignores(flow, "a", &["x".into()], &[])
            .unwrap_err()
            .contains("flow style"));
    }

    #[test]
    fn expand_vars_edge_cases() {
        let l = env(&[("A", "1")]);
        assert_eq!(expand_vars("x${A}y$${A}$z", &l).unwrap().0, "x1y${A}$z");
        assert_eq!(expand_vars("${B}", &l).unwrap_err(), "B");
    }
}
