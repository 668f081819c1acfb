//! The project config, `parity.yaml`: environments, their providers and
//! how each is reached, and the project's severity overrides.
//!
//! Its keys are a contract with users and their CI scripts, so unknown keys
//! are errors (with a "did you mean" hint) and every error names the file,
//! the line and the key, from the parser's spans. Nothing here panics on
//! user input.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::model::{Kind, Severity};
use crate::yaml::{self, hint, InputError, Location, Spanned};

/// The raw file. `JsonSchema` makes `schema/config.schema.json` from these
/// types (`json_schema`): the schema is what serde reads, doc comments
/// included, so it cannot drift from the parser.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "edgeparity project config (parity.yaml)",
    description = "Environments, their providers and how each is reached. Unknown keys are errors."
)]
struct ConfigFile {
    /// The environment used when none is given (--env, PARITY_ENV).
    #[schemars(with = "Option<String>")]
    default_env: Option<Spanned<String>>,
    /// Environments by name (testbed, staging, ...).
    #[schemars(with = "BTreeMap<String, EnvFile>")]
    environments: BTreeMap<String, Spanned<EnvFile>>,
    /// Overrides of the default severity table, first match wins.
    #[serde(default)]
    #[schemars(with = "Vec<SeverityFile>")]
    severities: Vec<Spanned<SeverityFile>>,
    /// The team's own remediation hints, in the catalogue's format
    /// (`data/catalogue.yaml`): they win ties with built-in entries and
    /// replace a built-in entry of the same id.
    #[serde(default)]
    #[schemars(with = "Vec<crate::hints::Entry>")]
    hints: Vec<Spanned<crate::hints::Entry>>,
}

/// One override of the severity table: differences of this kind (and
/// field, a glob) get this severity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SeverityOverride")]
struct SeverityFile {
    /// What the difference is about.
    #[schemars(schema_with = "crate::schema::kind_word")]
    kind: Spanned<String>,
    /// Header name, JSON Pointer or cache position (a glob: `x-*`); any when absent.
    #[serde(default)]
    field: Option<String>,
    /// The severity to give.
    #[schemars(schema_with = "crate::schema::severity_word")]
    severity: Spanned<String>,
}

/// An environment: which providers to compare and how to reach them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Environment")]
struct EnvFile {
    /// The reference provider; every other provider is compared against it.
    #[schemars(with = "String")]
    baseline: Spanned<String>,
    /// Providers by name (fastly, cloudflare, akamai, cloudfront or any
    /// name with a `kind:`).
    #[schemars(with = "BTreeMap<String, ProviderFile>")]
    providers: BTreeMap<String, Spanned<ProviderFile>>,
    /// Extra trusted root certificates (PEM), relative to this file.
    #[serde(default)]
    #[schemars(with = "Option<PathBuf>")]
    ca_file: Option<Spanned<PathBuf>>,
    /// Do not verify certificates (said loudly in the summary and report).
    #[serde(default)]
    insecure: bool,
    /// HTTP version to speak: h1, h2 or auto (ALPN).
    #[serde(default)]
    http: HttpMode,
    /// Whole-request timeout in milliseconds.
    #[serde(default)]
    timeout_ms: Option<u64>,
    /// Connection timeout in milliseconds.
    #[serde(default)]
    connect_timeout_ms: Option<u64>,
    /// Bodies above this many bytes are compared by length and sha256.
    #[serde(default)]
    body_cap_bytes: Option<u64>,
    /// Two providers may share an edge address (deliberately comparing an
    /// edge with itself): said loudly in every report.
    #[serde(default)]
    allow_shared_addresses: bool,
}

/// A provider: pinned `addrs` or a `resolve` name (one of the two).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Provider")]
struct ProviderFile {
    /// Pin every request to these addresses (IPv4 or IPv6).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    addrs: Option<Spanned<Vec<Spanned<String>>>>,
    /// Look this name up to find the addresses (CNAMEs followed); `{host}`
    /// is the suite's host.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    resolve: Option<Spanned<String>>,
    /// Ask this DNS server (`IP:PORT`) instead of the system's resolver.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    nameserver: Option<Spanned<String>>,
    /// Which built-in provider profile applies; defaults to the provider's name.
    #[serde(default)]
    kind: Option<String>,
    /// Override the built-in fingerprint (`{header, matches}`), or `false`
    /// to turn the check off (a loud warning).
    #[serde(default)]
    #[schemars(with = "Option<FingerprintFile>")]
    fingerprint: Option<Spanned<FingerprintFile>>,
    /// The scheme this provider is asked with (default: the suite's).
    #[serde(default)]
    scheme: Option<Scheme>,
    /// The port this provider is asked on (default: the suite's, or the
    /// default port of `scheme` when that differs from the suite's).
    #[serde(default)]
    #[schemars(with = "Option<u16>", range(min = 1))]
    port: Option<Spanned<u64>>,
    /// The Host header and TLS SNI this provider is asked with (an origin,
    /// a preview hostname); `{host}` is the case's host.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    host: Option<Spanned<String>>,
    /// Headers added to every request this provider gets (over a case's of
    /// the same name). `${NAME}` fills a value from the environment; every
    /// value is a secret, masked in everything written, so at least 3 bytes
    /// long once filled.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    headers: BTreeMap<String, Spanned<String>>,
}

/// The scheme a provider is asked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(&self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// How one provider is asked, over what the suite says: scheme, port,
/// Host/SNI and extra headers (from the provider's config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Option<Scheme>,
    pub port: Option<u16>,
    /// With `{host}` standing for the case's host.
    pub host: Option<String>,
    /// Added to every request, replacing a header of the same name.
    pub headers: Vec<(String, String)>,
}

/// `false` (checking off), `true` (the built-in one) or a rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Fingerprint")]
enum FingerprintFile {
    Off(bool),
    Rule(FingerprintRuleFile),
}

/// Every answer must carry this header (matching the pattern, when given).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FingerprintRule")]
struct FingerprintRuleFile {
    /// Header name.
    header: String,
    /// Regular expression the value must match.
    #[serde(default)]
    matches: Option<String>,
}

/// Which HTTP version to speak to every provider of an environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HttpMode {
    #[default]
    Auto,
    H1,
    H2,
}

/// The JSON Schema of `parity.yaml` (`schema/config.schema.json`).
pub fn json_schema() -> serde_json::Value {
    crate::schema::finish(schemars::schema_for!(ConfigFile))
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
    /// A header that must be present, and optionally match a pattern.
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
    pub endpoint: Endpoint,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub baseline: String,
    /// Baseline first, then the candidates in name order.
    pub providers: Vec<ProviderConfig>,
    pub ca_file: Option<PathBuf>,
    /// Where `ca_file` is written in the config, for errors reading it.
    pub ca_file_at: Option<Location>,
    pub insecure: bool,
    pub http: HttpMode,
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub body_cap_bytes: u64,
    pub allow_shared_addresses: bool,
    /// The project's severity overrides (from the config's top level).
    pub severities: Vec<crate::severity::Rule>,
    /// The remediation catalogue: the built-in entries with the config's
    /// `hints:` in front, validated and compiled at load.
    pub hints: crate::hints::Catalogue,
    /// The values of the providers' `headers:`: redacted everywhere.
    pub secrets: Vec<String>,
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
    /// The remediation catalogue every environment uses (`edgeparity hints`).
    pub hints: crate::hints::Catalogue,
    /// Ids of the entries the config added or replaced.
    pub user_hint_ids: Vec<String>,
}

pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 3_000;
pub const DEFAULT_BODY_CAP: u64 = 8 * 1024 * 1024;

impl Config {
    pub fn load(path: &Path) -> Result<Config, InputError> {
        let text = yaml::read(path)?;
        Self::parse(path, &text)
    }

    /// Parse a config; `${NAME}`s are read from the process environment.
    pub fn parse(path: &Path, text: &str) -> Result<Config, InputError> {
        Self::parse_with(path, text, &|k| std::env::var(k).ok())
    }

    /// `parse`, with `lookup` reading environment variables (injectable for
    /// tests).
    pub fn parse_with(
        path: &Path,
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, InputError> {
        let file: ConfigFile = yaml::parse_extensible(path, text)?;
        let severities = file
            .severities
            .iter()
            .enumerate()
            .map(|(i, r)| severity_rule(path, i, r))
            .collect::<Result<Vec<_>, _>>()?;
        let user_hint_ids = file.hints.iter().map(|e| e.value.id.clone()).collect();
        let hints = catalogue(path, file.hints)?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let mut environments = BTreeMap::new();
        for (name, env) in file.environments {
            let mut env = environment(path, base_dir, &name, env, &severities, lookup)?;
            env.hints.clone_from(&hints);
            environments.insert(name, env);
        }
        if let Some(d) = &file.default_env {
            if !environments.contains_key(&d.value) {
                let known: Vec<&str> = environments.keys().map(String::as_str).collect();
                return Err(InputError::invalid(
                    Location::of(path, d),
                    "default_env",
                    format!(
                        "`{}` is not one of the environments ({}){}",
                        d.value,
                        known.join(", "),
                        hint(&d.value, &known)
                    ),
                ));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            default_env: file.default_env.map(|d| d.value),
            environments,
            hints,
            user_hint_ids,
        })
    }

    /// The environment named, or the default one.
    pub fn environment(&self, name: Option<&str>) -> Result<&Environment, InputError> {
        let at = Location::file(&self.path);
        let known: Vec<&str> = self.environments.keys().map(String::as_str).collect();
        let name = match name.or(self.default_env.as_deref()) {
            Some(n) => n,
            None if self.environments.len() == 1 => known[0],
            None => {
                return Err(InputError::invalid(
                    at,
                    "default_env",
                    format!(
                        "no environment chosen: pass --env or set default_env ({})",
                        known.join(", ")
                    ),
                ))
            }
        };
        self.environments.get(name).ok_or_else(|| {
            InputError::invalid(
                at,
                "environments",
                format!(
                    "no environment `{name}` (known: {}){}",
                    known.join(", "),
                    hint(name, &known)
                ),
            )
        })
    }
}

/// The built-in catalogue with the config's entries in front. Each entry is
/// checked on its own first, so an error names the entry's position.
fn catalogue(
    path: &Path,
    entries: Vec<Spanned<crate::hints::Entry>>,
) -> Result<crate::hints::Catalogue, InputError> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut user = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let at = Location::of(path, &e);
        let key = format!("hints[{i}]");
        if let Some(first) = seen.insert(e.value.id.clone(), i) {
            return Err(InputError::invalid(
                at,
                key,
                format!("id `{}` is also hints[{first}]'s", e.value.id),
            ));
        }
        crate::hints::Catalogue::new(vec![e.value.clone()])
            .map_err(|err| InputError::invalid(at, key, err.to_string()))?;
        user.push(e.value);
    }
    if user.is_empty() {
        return Ok(crate::hints::builtin().clone());
    }
    crate::hints::builtin()
        .with_user_entries(user)
        .map_err(|err| InputError::invalid(Location::file(path), "hints", err.to_string()))
}

fn severity_rule(
    path: &Path,
    i: usize,
    r: &Spanned<SeverityFile>,
) -> Result<crate::severity::Rule, InputError> {
    let r = &r.value;
    let kind = Kind::parse(&r.kind.value).ok_or_else(|| {
        InputError::invalid(
            Location::of(path, &r.kind),
            format!("severities[{i}].kind"),
            format!(
                "`{}` is not a difference kind ({}){}",
                r.kind.value,
                Kind::WORDS.join(", "),
                hint(&r.kind.value, Kind::WORDS)
            ),
        )
    })?;
    let severity = Severity::parse(&r.severity.value).ok_or_else(|| {
        InputError::invalid(
            Location::of(path, &r.severity),
            format!("severities[{i}].severity"),
            format!(
                "`{}` is not a severity ({}){}",
                r.severity.value,
                Severity::WORDS.join(", "),
                hint(&r.severity.value, Severity::WORDS)
            ),
        )
    })?;
    Ok(crate::severity::Rule {
        kind,
        field: r.field.as_ref().map(|f| f.to_ascii_lowercase()),
        severity,
    })
}

fn environment(
    path: &Path,
    base_dir: &Path,
    name: &str,
    env: Spanned<EnvFile>,
    severities: &[crate::severity::Rule],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Environment, InputError> {
    let env_at = Location::of(path, &env);
    let env = env.value;
    let env_key = format!("environments.{name}");
    let baseline = env.baseline.value.clone();
    if !env.providers.contains_key(&baseline) {
        let known: Vec<&str> = env.providers.keys().map(String::as_str).collect();
        return Err(InputError::invalid(
            Location::of(path, &env.baseline),
            format!("{env_key}.baseline"),
            format!(
                "baseline `{baseline}` is not one of the providers ({}){}",
                known.join(", "),
                hint(&baseline, &known)
            ),
        ));
    }
    if env.providers.len() < 2 {
        return Err(InputError::invalid(
            env_at,
            format!("{env_key}.providers"),
            "at least two providers are needed: a baseline and a candidate",
        ));
    }
    let mut providers = Vec::new();
    let mut secrets = Vec::new();
    for (pname, p) in env.providers {
        let pkey = format!("{env_key}.providers.{pname}");
        let p = provider(path, &pkey, pname, p, lookup)?;
        for (_, v) in &p.endpoint.headers {
            if !secrets.contains(v) {
                secrets.push(v.clone());
            }
        }
        providers.push(p);
    }
    // Baseline first, candidates after in name order (BTreeMap order).
    providers.sort_by_key(|p| p.name != baseline);
    let (ca_file, ca_file_at) = match env.ca_file {
        None => (None, None),
        Some(c) => {
            let at = Location::of(path, &c);
            let p = c.value;
            let p = if p.is_absolute() { p } else { base_dir.join(p) };
            (Some(p), Some(at))
        }
    };
    Ok(Environment {
        name: name.to_string(),
        baseline,
        providers,
        ca_file,
        ca_file_at,
        insecure: env.insecure,
        http: env.http,
        timeout_ms: env.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
        connect_timeout_ms: env.connect_timeout_ms.unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS),
        body_cap_bytes: env.body_cap_bytes.unwrap_or(DEFAULT_BODY_CAP),
        allow_shared_addresses: env.allow_shared_addresses,
        severities: severities.to_vec(),
        hints: crate::hints::Catalogue::default(),
        secrets,
    })
}

fn provider(
    path: &Path,
    pkey: &str,
    name: String,
    p: Spanned<ProviderFile>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderConfig, InputError> {
    let at = Location::of(path, &p);
    let p = p.value;
    let endpoint = endpoint(path, pkey, &p, lookup)?;
    let target = target(path, pkey, at, p.addrs, p.resolve, p.nameserver)?;
    let fingerprint = match p.fingerprint {
        None => FingerprintSetting::BuiltIn,
        Some(f) => fingerprint(path, pkey, f)?,
    };
    Ok(ProviderConfig {
        kind: p.kind.unwrap_or_else(|| name.clone()),
        name,
        target,
        fingerprint,
        endpoint,
    })
}

/// A provider's `scheme`, `port`, `host` and `headers`, checked.
fn endpoint(
    path: &Path,
    pkey: &str,
    p: &ProviderFile,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Endpoint, InputError> {
    let expand = |s: &Spanned<String>| {
        crate::vars::expand_vars(&s.value, lookup).map_err(|e| match e {
            crate::vars::VarError::Undefined(name) => InputError::UndefinedVar {
                at: Location::of(path, s),
                name,
            },
            crate::vars::VarError::Unterminated => InputError::invalid(
                Location::of(path, s),
                format!("{pkey}.headers"),
                format!(
                    "`{}` has `${{` without a closing `}}` (write `$${{` for a literal `${{`)",
                    s.value
                ),
            ),
        })
    };
    let port = match &p.port {
        None => None,
        Some(port) => Some(
            u16::try_from(port.value)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| {
                    InputError::invalid(
                        Location::of(path, port),
                        format!("{pkey}.port"),
                        format!("must be between 1 and 65535, not {}", port.value),
                    )
                })?,
        ),
    };
    let host = match &p.host {
        None => None,
        Some(h) => {
            let probe = h.value.replace("{host}", "host.test");
            let mut url = reqwest::Url::parse("http://host.test/").map_err(|e| {
                InputError::invalid(Location::of(path, h), format!("{pkey}.host"), e.to_string())
            })?;
            if probe.contains(['/', ':', '@', '[']) || url.set_host(Some(&probe)).is_err() {
                return Err(InputError::invalid(
                    Location::of(path, h),
                    format!("{pkey}.host"),
                    format!(
                        "`{}` is not a host name (`{{host}}` stands for the case's host)",
                        crate::model::visible(&h.value)
                    ),
                ));
            }
            Some(h.value.clone())
        }
    };
    let mut headers = Vec::with_capacity(p.headers.len());
    for (k, v) in &p.headers {
        let (value, _) = expand(v)?;
        let bad = http::HeaderName::from_bytes(k.as_bytes()).is_err()
            || http::HeaderValue::from_str(&value).is_err();
        if bad {
            return Err(InputError::invalid(
                Location::of(path, v),
                format!("{pkey}.headers.{k}"),
                format!("`{k}` with this value is not a valid header"),
            ));
        }
        // Every value here is a secret, masked in everything written; one
        // too short to mask would be written in clear, so it is refused.
        let min = crate::redact::MIN_SECRET_LEN;
        if value.len() < min {
            return Err(InputError::invalid(
                Location::of(path, v),
                format!("{pkey}.headers.{k}"),
                format!(
                    "the value of `{k}` is shorter than {min} bytes: a provider's header \
                     values are secrets, masked in every report, and one this short \
                     cannot be masked (it would match everywhere); use a longer value"
                ),
            ));
        }
        headers.push((k.clone(), value));
    }
    Ok(Endpoint {
        scheme: p.scheme,
        port,
        host,
        headers,
    })
}

fn target(
    path: &Path,
    pkey: &str,
    at: Location,
    addrs: Option<Spanned<Vec<Spanned<String>>>>,
    resolve: Option<Spanned<String>>,
    nameserver: Option<Spanned<String>>,
) -> Result<Target, InputError> {
    match (addrs, resolve) {
        (Some(addrs), None) => {
            if addrs.value.is_empty() {
                return Err(InputError::invalid(
                    Location::of(path, &addrs),
                    format!("{pkey}.addrs"),
                    "needs at least one address",
                ));
            }
            let mut ips = Vec::new();
            for a in &addrs.value {
                let ip: IpAddr = a.value.trim_matches(['[', ']']).parse().map_err(|_| {
                    let port = a
                        .value
                        .parse::<SocketAddr>()
                        .map(|sa| format!(" (give the port as `port: {}`)", sa.port()))
                        .unwrap_or_default();
                    InputError::invalid(
                        Location::of(path, a),
                        format!("{pkey}.addrs"),
                        format!("`{}` is not an IPv4 or IPv6 address{port}", a.value),
                    )
                })?;
                ips.push(ip);
            }
            if let Some(ns) = nameserver {
                return Err(InputError::invalid(
                    Location::of(path, &ns),
                    format!("{pkey}.nameserver"),
                    "`nameserver` only goes with `resolve`",
                ));
            }
            Ok(Target::Addrs(ips))
        }
        (None, Some(name)) => {
            if name.value.trim().is_empty() {
                return Err(InputError::invalid(
                    Location::of(path, &name),
                    format!("{pkey}.resolve"),
                    "is empty",
                ));
            }
            let nameserver = match nameserver {
                None => None,
                Some(ns) => Some(parse_nameserver(&ns.value).ok_or_else(|| {
                    InputError::invalid(
                        Location::of(path, &ns),
                        format!("{pkey}.nameserver"),
                        format!("`{}` is not an address like 1.1.1.1:53", ns.value),
                    )
                })?),
            };
            Ok(Target::Resolve {
                name: name.value,
                nameserver,
            })
        }
        (Some(_), Some(_)) => Err(InputError::invalid(
            at,
            pkey,
            "give either `addrs` or `resolve`, not both",
        )),
        (None, None) => Err(InputError::invalid(
            at,
            pkey,
            "needs `addrs` (pinned edge addresses) or `resolve` (a DNS name)",
        )),
    }
}

fn fingerprint(
    path: &Path,
    pkey: &str,
    f: Spanned<FingerprintFile>,
) -> Result<FingerprintSetting, InputError> {
    let at = Location::of(path, &f);
    Ok(match f.value {
        FingerprintFile::Off(true) => FingerprintSetting::BuiltIn,
        FingerprintFile::Off(false) => FingerprintSetting::Off,
        FingerprintFile::Rule(r) => {
            let matches = match &r.matches {
                None => None,
                Some(re) => Some(regex::Regex::new(re).map_err(|e| {
                    InputError::invalid(
                        at.clone(),
                        format!("{pkey}.fingerprint.matches"),
                        format!("not a valid regex: {e}"),
                    )
                })?),
            };
            if http::HeaderName::from_bytes(r.header.as_bytes()).is_err() {
                return Err(InputError::invalid(
                    at,
                    format!("{pkey}.fingerprint.header"),
                    format!("`{}` is not a header name", r.header),
                ));
            }
            FingerprintSetting::Custom {
                header: r.header.to_ascii_lowercase(),
                matches,
            }
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(s.starts_with("p.yaml:4:15:"), "{s}");
        assert!(s.contains("environments.testbed.baseline"), "{s}");
        assert!(s.contains("did you mean `fastly`?"), "{s}");
    }

    #[test]
    fn a_bad_address_and_a_bad_pattern_name_their_line() {
        let text = CONFIG.replace("addrs: [\"127.0.0.3\"]", "addrs: [\"127.0.0.1:8787\"]");
        let s = Config::parse(Path::new("p.yaml"), &text)
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("p.yaml:9:17:"), "{s}");
        assert!(s.contains("is not an IPv4 or IPv6 address"), "{s}");
        let text = CONFIG.replace(
            "addrs: [\"127.0.0.3\"]",
            "addrs: [\"127.0.0.3\"]\n        fingerprint: {header: cf-ray, matches: \"(\"}",
        );
        let s = Config::parse(Path::new("p.yaml"), &text)
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("p.yaml:10:22:"), "{s}");
        assert!(s.contains("not a valid regex"), "{s}");
    }

    const TEAM_HINT: &str = r#"hints:
  - id: team-security-headers
    title: Security headers set in Fastly VCL only
    behaviour: Our VCL adds them. Cloudflare does not.
    fix: Add a Response Header Transform Rule.
    docs: [https://developers.cloudflare.com/rules/transform/]
    match:
      - kind: header
        field: x-frame-options
        candidate_absent: true
"#;

    #[test]
    fn hints_in_the_config_join_the_catalogue_in_front() {
        let c = Config::parse(Path::new("p.yaml"), &format!("{CONFIG}{TEAM_HINT}")).unwrap();
        let env = c.environment(None).unwrap();
        let ids: Vec<&str> = env.hints.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids[0], "team-security-headers");
        assert_eq!(ids.len(), crate::hints::builtin().entries().len() + 1);
        let f = crate::hints::Finding {
            field: Some("x-frame-options"),
            baseline: Some("DENY"),
            ..crate::hints::Finding::new("header", "cloudflare", "fastly")
        };
        assert_eq!(
            env.hints.hint(&f).map(|h| h.id),
            Some("team-security-headers".to_string())
        );
        // Without `hints:`, the built-in catalogue.
        let plain = Config::parse(Path::new("p.yaml"), CONFIG).unwrap();
        assert_eq!(
            plain.environment(None).unwrap().hints.entries().len(),
            crate::hints::builtin().entries().len()
        );
    }

    #[test]
    fn a_bad_hint_names_its_position() {
        let bad = TEAM_HINT.replace("field: x-frame-options", "field: \"(x-frame\"");
        let s = Config::parse(Path::new("p.yaml"), &format!("{CONFIG}{bad}"))
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("p.yaml:19:5:"), "{s}");
        assert!(
            s.contains("hints[0]") && s.contains("does not compile"),
            "{s}"
        );
        let typo = TEAM_HINT.replace("fix:", "fixx:");
        let s = Config::parse(Path::new("p.yaml"), &format!("{CONFIG}{typo}"))
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("p.yaml:22:5:"), "{s}");
        assert!(s.contains("unknown field `fixx`"), "{s}");
        let twice = format!("{CONFIG}{TEAM_HINT}{}", &TEAM_HINT["hints:\n".len()..]);
        let s = Config::parse(Path::new("p.yaml"), &twice)
            .unwrap_err()
            .to_string();
        assert!(s.contains("hints[1]") && s.contains("also hints[0]"), "{s}");
    }

    #[test]
    fn duplicate_environment_is_an_error() {
        let text = format!("{CONFIG}  testbed:\n    baseline: a\n    providers: {{}}\n");
        let s = Config::parse(Path::new("p.yaml"), &text)
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("p.yaml:18:3:"), "{s}");
        assert!(s.contains("duplicate"), "{s}");
    }

    #[test]
    fn a_provider_sets_its_scheme_port_host_and_secret_headers() {
        let text = "environments:\n  dev:\n    baseline: fastly\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n        headers: {X-Staging-Key: \"k-${KEY}\"}\n      worker:\n        kind: worker\n        addrs: [\"127.0.0.1\"]\n        scheme: http\n        port: 8787\n        host: \"preview.{host}\"\n        fingerprint: false\n";
        let lookup = |k: &str| match k {
            "KEY" => Some("s3cret".to_string()),
            "SHORT" => Some("s3".to_string()),
            _ => None,
        };
        let c = Config::parse_with(Path::new("p.yaml"), text, &lookup).unwrap();
        let env = c.environment(None).unwrap();
        let worker = env.providers.iter().find(|p| p.name == "worker").unwrap();
        assert_eq!(
            worker.endpoint,
            Endpoint {
                scheme: Some(Scheme::Http),
                port: Some(8787),
                host: Some("preview.{host}".into()),
                headers: vec![],
            }
        );
        assert_eq!(
            env.providers[0].endpoint.headers,
            vec![("X-Staging-Key".to_string(), "k-s3cret".to_string())]
        );
        assert_eq!(env.secrets, vec!["k-s3cret".to_string()]);
        // Errors name the line and the key; a header's value is never shown.
        for (from, to, at, why) in [
            (
                "port: 8787",
                "port: 0",
                "p.yaml:12:15",
                "between 1 and 65535",
            ),
            ("port: 8787", "port: 99999", "p.yaml:12:15", "not 99999"),
            (
                "scheme: http",
                "scheme: ftp",
                "p.yaml:11:",
                "unknown variant `ftp`",
            ),
            (
                "\"preview.{host}\"",
                "\"a/b\"",
                "p.yaml:13:",
                "not a host name",
            ),
            ("k-${KEY}", "k-${NOPE}", "p.yaml:7:", "NOPE"),
            ("X-Staging-Key", "X Key", "p.yaml:7:", "not a valid header"),
            // A value too short to mask, written or filled from ${KEY}.
            (
                "\"k-${KEY}\"",
                "\"ab\"",
                "p.yaml:7:",
                "key `environments.dev.providers.fastly.headers.X-Staging-Key`",
            ),
            (
                "\"k-${KEY}\"",
                "\"${SHORT}\"",
                "p.yaml:7:",
                "shorter than 3 bytes",
            ),
            ("\"k-${KEY}\"", "\"\"", "p.yaml:7:", "shorter than 3 bytes"),
        ] {
            let bad = text.replace(from, to);
            let e = Config::parse_with(Path::new("p.yaml"), &bad, &lookup)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(at) && e.contains(why), "{to}: {e}");
            assert!(!e.contains("s3cret") && !e.contains("s3\""), "{e}");
        }
        // Three bytes is the shortest value accepted: the redactor masks it.
        let short = text.replace("\"k-${KEY}\"", "\"abc\"");
        let c = Config::parse_with(Path::new("p.yaml"), &short, &lookup).unwrap();
        let env = c.environment(None).unwrap();
        assert_eq!(env.secrets, vec!["abc".to_string()]);
        let masked = crate::redact::Redactor::new(env.secrets.clone()).text("x-abc-y");
        assert_eq!(masked, format!("x-{}-y", crate::redact::MASK));
        // An address with a port says where the port goes.
        let bad = text.replace("[\"127.0.0.1\"]", "[\"127.0.0.1:8787\"]");
        let e = Config::parse_with(Path::new("p.yaml"), &bad, &lookup)
            .unwrap_err()
            .to_string();
        assert!(e.contains("give the port as `port: 8787`"), "{e}");
    }
}
