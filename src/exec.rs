//! The pinned HTTP exchange: the only code in edgeparity that touches the
//! network.
//!
//! Each provider gets its own reqwest client whose DNS is replaced by a fixed
//! table: the suite hosts map to that provider's edge addresses and every
//! other name fails. Host and TLS SNI stay the case's host, so the edge sees
//! exactly what a browser would send; only the TCP destination changes —
//! unless the provider's config asks it otherwise (`scheme`, `port`,
//! `host`, `headers`: `plan::route`, applied here to every request). There
//! is no fallback to system DNS and none to another provider: a provider
//! whose addresses cannot be found fails closed, every one of its cases an
//! error.
//!
//! Redirects are never followed and bodies are never decompressed by the
//! client: the raw `Content-Encoding` is a dimension of the comparison, so
//! this module decodes gzip, deflate, br and zstd itself while streaming.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::model::{
    BodyCapture, Exchange, ExchangeError, FailureKind, RequestShown, Resolution, Timing,
};
use crate::plan::{Origin, RequestSpec};
use crate::settings::{Rate, DEFAULT_RATE};
use crate::suite::{Environment, HttpMode, ProviderConfig, Target};

/// Errors building the executor: bad local input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{at}: ca_file {path}: {message}")]
    CaFile {
        /// Where `ca_file` is written in the config.
        at: String,
        path: String,
        message: String,
    },
    #[error(
        "providers {a} and {b} share the address {addr} for {host}: the candidate would be \
         compared with the baseline's own edge (set `allow_shared_addresses: true` in the \
         environment if this is deliberate)"
    )]
    SharedAddress {
        a: String,
        b: String,
        host: String,
        addr: IpAddr,
    },
    #[error("provider {provider}: cannot build an HTTP client: {message}")]
    Client { provider: String, message: String },
}

struct Endpoint {
    client: reqwest::Client,
    /// Pinned addresses per (host, port), or the lookup error.
    pinned: BTreeMap<(String, u16), Result<Vec<IpAddr>, String>>,
    /// The provider's own scheme, port, host and headers (config).
    route: crate::config::Endpoint,
}

pub struct Executor {
    endpoints: BTreeMap<String, Endpoint>,
    pub resolutions: Vec<Resolution>,
    timeout: Duration,
    body_cap: u64,
    /// Per provider: the request-rate cap, if any (`set_rate`).
    pacers: BTreeMap<String, Pacer>,
    /// What the rate cap is, in words (printed when a run starts).
    pub rate: String,
}

/// A request-rate cap: requests leave at least `interval` apart (no
/// bursts), in the order they asked for a slot.
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    fn new(per_second: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Wait for this request's slot.
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// reqwest's resolver for everything the pinning table does not name: it
/// refuses, so no request can ever reach an address found by system DNS.
struct RefuseDns;

impl reqwest::dns::Resolve for RefuseDns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            Err(format!("{name} is not a pinned host; edgeparity never uses system DNS").into())
        })
    }
}

impl Executor {
    /// Look up every provider's addresses for every host it is asked for
    /// (one lookup per provider and host: a provider's own `host:` is
    /// looked up instead of the suite's) and build one pinned client per
    /// provider, its pool of idle connections sized to `jobs` (the most
    /// requests a run has in flight to one provider: a larger pool only
    /// holds sockets, a smaller one closes and reopens them, a TLS
    /// handshake each, under load).
    pub async fn build(
        env: &Environment,
        hosts: &[Origin],
        jobs: usize,
    ) -> Result<Executor, SetupError> {
        let extra_roots = extra_roots(env)?;
        // reqwest is built without a crypto provider of its own: ring, which
        // rustls is compiled with here, unless the embedding program (a
        // team's tests/parity.rs) installed one first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut endpoints = BTreeMap::new();
        let mut resolutions = Vec::new();
        // (suite origin, provider, port asked, addresses) for the shared check.
        let mut asked: Vec<(&Origin, &str, u16, Vec<IpAddr>)> = Vec::new();
        for p in &env.providers {
            let mut pinned = BTreeMap::new();
            let mut builder = client_builder(env, &extra_roots, jobs);
            let mut found: BTreeMap<String, Result<Vec<IpAddr>, String>> = BTreeMap::new();
            for origin in hosts {
                let to = origin.for_provider(&p.endpoint);
                if !found.contains_key(&to.host) {
                    let r = find_addrs(p, &to.host).await;
                    let addrs = match &r.error {
                        None => Ok(r.addrs.clone()),
                        Some(e) => Err(e.clone()),
                    };
                    found.insert(to.host.clone(), addrs);
                    resolutions.push(r);
                }
                let addrs = found
                    .get(&to.host)
                    .cloned()
                    .unwrap_or_else(|| Err(String::new()));
                if let Ok(ips) = &addrs {
                    let sockets: Vec<SocketAddr> =
                        ips.iter().map(|ip| SocketAddr::new(*ip, to.port)).collect();
                    builder = builder.resolve_to_addrs(&to.host, &sockets);
                    asked.push((origin, &p.name, to.port, ips.clone()));
                }
                pinned.insert((to.host, to.port), addrs);
            }
            let client = builder.build().map_err(|e| SetupError::Client {
                provider: p.name.clone(),
                message: error_chain(&e),
            })?;
            let route = p.endpoint.clone();
            endpoints.insert(
                p.name.clone(),
                Endpoint {
                    client,
                    pinned,
                    route,
                },
            );
        }
        if !env.allow_shared_addresses {
            shared_address(&asked)?;
        }
        let mut exec = Executor {
            endpoints,
            resolutions,
            timeout: Duration::from_millis(env.timeout_ms),
            body_cap: env.body_cap_bytes,
            pacers: BTreeMap::new(),
            rate: String::new(),
        };
        exec.set_rate(Rate::Default);
        Ok(exec)
    }

    /// Cap the requests sent to each provider; says what it did in
    /// `self.rate`. The default caps a provider with any address off
    /// loopback at [`DEFAULT_RATE`] and leaves one only on loopback
    /// unlimited (see [`rate_plan`]).
    pub fn set_rate(&mut self, rate: Rate) {
        self.pacers.clear();
        let providers: Vec<(&str, bool)> = self
            .endpoints
            .iter()
            .map(|(name, e)| (name.as_str(), e.on_loopback()))
            .collect();
        let plan = rate_plan(rate, &providers);
        if let Some(per_second) = plan.per_second {
            for name in &plan.capped {
                self.pacers.insert(name.clone(), Pacer::new(per_second));
            }
        }
        self.rate = plan.message;
    }

    /// Send one request to one provider and read the whole response. A
    /// failure carries the request as it was (or would have been) sent
    /// and the pinned addresses, for its repro.
    pub async fn send(&self, provider: &str, req: &RequestSpec) -> Result<Exchange, ExchangeError> {
        let endpoint = self.endpoints.get(provider).ok_or_else(|| {
            ExchangeError::new(provider, FailureKind::Resolve, "no such provider".into())
        })?;
        let req = crate::plan::route(req, &endpoint.route);
        let req = req.as_ref();
        let shown = shown_request(req);
        let port = req.url.port_or_known_default().unwrap_or(443);
        let fail = |kind, message: String, pinned: &[IpAddr]| {
            let addrs = pinned
                .iter()
                .map(|ip| SocketAddr::new(*ip, port).to_string())
                .collect();
            ExchangeError::new(provider, kind, message).with_request(shown.clone(), addrs)
        };
        if let Some(p) = self.pacers.get(provider) {
            p.wait().await;
        }
        let pinned = endpoint
            .pinned_for(req)
            .map_err(|m| fail(FailureKind::Resolve, m, &[]))?;
        let timeout = req
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(self.timeout);
        let mut builder = endpoint
            .client
            .request(req.method.clone(), req.url.clone())
            .timeout(timeout);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let started = Instant::now();
        let resp = builder.send().await.map_err(|e| {
            let message = format!(
                "{} (asked {} at {})",
                root_cause(&e),
                req.url.host_str().unwrap_or_default(),
                join_sockets(pinned, port)
            );
            fail(failure_kind(&e), message, pinned)
        })?;
        let ttfb = started.elapsed();
        let remote_addr = resp.remote_addr();
        match remote_addr {
            Some(sa) if pinned.contains(&sa.ip()) => {}
            other => {
                return Err(fail(
                    FailureKind::WrongAddress,
                    format!(
                        "answer came from {} but {provider} is pinned to {}",
                        other
                            .map(|a| a.to_string())
                            .unwrap_or("an unknown address".into()),
                        join_ips(pinned)
                    ),
                    pinned,
                ))
            }
        }
        let status = resp.status().as_u16();
        let version = format!("{:?}", resp.version());
        let headers = header_lines(resp.headers());
        let body = self
            .read_body(provider, &headers, resp)
            .await
            .map_err(|e| fail(e.kind, e.message, pinned))?;
        Ok(Exchange {
            provider: provider.to_string(),
            method: shown.method,
            request_headers: shown.headers,
            request_body: shown.body,
            url: shown.url,
            status,
            version,
            remote_addr,
            headers,
            body,
            timing: Timing {
                ttfb_ms: ttfb.as_secs_f64() * 1000.0,
                total_ms: started.elapsed().as_secs_f64() * 1000.0,
            },
        })
    }

    /// Stream the body through the decoders its `Content-Encoding` names.
    async fn read_body(
        &self,
        provider: &str,
        headers: &[(String, String)],
        resp: reqwest::Response,
    ) -> Result<BodyCapture, ExchangeError> {
        let encodings: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k == "content-encoding")
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        let mut reader = BodyReader::new(&encodings, self.body_cap);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| classify(provider, &e))?;
            reader.push(&chunk);
        }
        Ok(reader.finish())
    }
}

/// The environment's `ca_file` certificates.
fn extra_roots(env: &Environment) -> Result<Vec<reqwest::Certificate>, SetupError> {
    let Some(path) = &env.ca_file else {
        return Ok(Vec::new());
    };
    let ca_error = |message: String| SetupError::CaFile {
        at: env
            .ca_file_at
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_else(|| "config".into()),
        path: path.display().to_string(),
        message,
    };
    let pem = crate::fsio::read_regular(path, 4 * 1024 * 1024).map_err(ca_error)?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// A client that follows no redirect, uses no proxy, decompresses nothing
/// and refuses every name the pinning table does not hold.
fn client_builder(
    env: &Environment,
    roots: &[reqwest::Certificate],
    jobs: usize,
) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_millis(env.connect_timeout_ms))
        .dns_resolver(Arc::new(RefuseDns))
        .pool_max_idle_per_host(jobs.max(1))
        .tls_backend_rustls();
    builder = match env.http {
        HttpMode::Auto => builder,
        HttpMode::H1 => builder.http1_only(),
        HttpMode::H2 => builder.http2_prior_knowledge(),
    };
    // The platform's trust store, and the config's extra roots.
    builder = builder.tls_certs_merge(roots.iter().cloned());
    if env.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder
}

impl Endpoint {
    /// Whether every address this provider is pinned to, for every host,
    /// is a loopback address (IPv4-mapped IPv6 taken as the IPv4 address it
    /// maps). Hosts whose addresses could not be found count for nothing:
    /// no request reaches them.
    fn on_loopback(&self) -> bool {
        all_on_loopback(&self.pinned)
    }

    /// The addresses this provider is pinned to for the request's host and
    /// port, or why there are none.
    fn pinned_for(&self, req: &RequestSpec) -> Result<&Vec<IpAddr>, String> {
        let host = req.url.host_str().unwrap_or_default().to_string();
        let port = req.url.port_or_known_default().unwrap_or(443);
        match self.pinned.get(&(host.clone(), port)) {
            Some(Ok(addrs)) => Ok(addrs),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("{host}:{port} was not planned for this provider")),
        }
    }
}

/// Every header line in order, names lower-case, values as text
/// (non-UTF-8 bytes replaced).
fn header_lines(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// An IPv4-mapped IPv6 address as the IPv4 address it maps; any other as
/// it is.
fn canonical_ip(ip: &IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(*v6)),
        v4 => *v4,
    }
}

/// Whether every address in a provider's pinned map is a loopback address
/// (see [`Endpoint::on_loopback`]).
fn all_on_loopback(pinned: &BTreeMap<(String, u16), Result<Vec<IpAddr>, String>>) -> bool {
    pinned
        .values()
        .flatten()
        .flatten()
        .all(|ip| canonical_ip(ip).is_loopback())
}

/// What a [`Rate`] does to a run's providers: which are capped, at how
/// many requests per second, and the sentence `run` prints about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RatePlan {
    /// The providers capped, in the order given.
    pub capped: Vec<String>,
    /// Their cap in requests per second (`None` when none is capped).
    pub per_second: Option<f64>,
    /// What `run` prints at start (`rate: ...`).
    pub message: String,
}

/// Decide the cap for each provider, given its name and whether all its
/// addresses are on loopback: `--rate N/s` caps every provider, `--rate
/// off` none, and the default caps at [`DEFAULT_RATE`] each provider with
/// any address off loopback (a production edge, a staging host) and leaves
/// unlimited one only on loopback (the testbed, a local `wrangler dev`).
pub fn rate_plan(rate: Rate, providers: &[(&str, bool)]) -> RatePlan {
    let is_capped = |loopback: bool| match rate {
        Rate::Off => false,
        Rate::PerSecond(_) => true,
        Rate::Default => !loopback,
    };
    let (mut capped, mut free) = (Vec::new(), Vec::new());
    for &(name, loopback) in providers {
        if is_capped(loopback) {
            capped.push(name.to_string());
        } else {
            free.push(name.to_string());
        }
    }
    let per_second = match rate {
        _ if capped.is_empty() => None,
        Rate::PerSecond(n) => Some(n),
        _ => Some(DEFAULT_RATE),
    };
    let message = match rate {
        Rate::Off => "unlimited (--rate off)".to_string(),
        Rate::PerSecond(n) => format!("at most {n} requests/s to each provider (--rate)"),
        Rate::Default if capped.is_empty() => {
            "unlimited: every provider is on a loopback address (--rate N/s caps it)".into()
        }
        Rate::Default => {
            let mut s = format!(
                "at most {DEFAULT_RATE} requests/s to each of {} (the default off loopback; \
                 --rate N/s or --rate off to change)",
                capped.join(", ")
            );
            if !free.is_empty() {
                s.push_str(&format!("; unlimited to {} (loopback)", free.join(", ")));
            }
            s
        }
    };
    RatePlan {
        capped,
        per_second,
        message,
    }
}

/// An address and port two providers share for one suite origin
/// (IPv4-mapped IPv6 taken as the IPv4 address it maps), for pinned and
/// resolved targets alike. One address on two ports is two servers (a
/// local `wrangler dev` beside another local server).
fn shared_address(asked: &[(&Origin, &str, u16, Vec<IpAddr>)]) -> Result<(), SetupError> {
    let mut seen: BTreeMap<(&Origin, IpAddr, u16), &str> = BTreeMap::new();
    for (origin, provider, port, addrs) in asked {
        for ip in addrs {
            let key = (*origin, canonical_ip(ip), *port);
            match seen.get(&key) {
                Some(other) if other != provider => {
                    return Err(SetupError::SharedAddress {
                        a: other.to_string(),
                        b: provider.to_string(),
                        host: origin.host.clone(),
                        addr: key.1,
                    })
                }
                _ => {
                    seen.insert(key, provider);
                }
            }
        }
    }
    Ok(())
}

fn join_ips(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Find a provider's edge addresses for a host: the pinned `addrs`, or a
/// DNS lookup (A and AAAA, CNAMEs followed) of `resolve` with `{host}` filled,
/// asking only the configured nameserver when one is set. Fails closed.
async fn find_addrs(p: &ProviderConfig, host: &str) -> Resolution {
    match &p.target {
        Target::Addrs(addrs) => Resolution {
            provider: p.name.clone(),
            host: host.to_string(),
            name: None,
            nameserver: None,
            cname_chain: Vec::new(),
            addrs: addrs.clone(),
            error: None,
        },
        Target::Resolve { name, nameserver } => {
            let name = name.replace("{host}", host);
            let ns_text = nameserver
                .map(|n| n.to_string())
                .unwrap_or_else(|| "the system resolver".into());
            let mut r = Resolution {
                provider: p.name.clone(),
                host: host.to_string(),
                name: Some(name.clone()),
                nameserver: Some(ns_text.clone()),
                cname_chain: Vec::new(),
                addrs: Vec::new(),
                error: None,
            };
            match lookup(&name, *nameserver).await {
                Ok((chain, addrs)) if !addrs.is_empty() => {
                    r.cname_chain = chain;
                    r.addrs = addrs;
                }
                Ok(_) => {
                    r.error = Some(format!("{name} has no A or AAAA record (asked {ns_text})"))
                }
                Err(e) => r.error = Some(format!("cannot resolve {name} (asked {ns_text}): {e}")),
            }
            r
        }
    }
}

async fn lookup(
    name: &str,
    nameserver: Option<SocketAddr>,
) -> Result<(Vec<String>, Vec<IpAddr>), String> {
    use hickory_resolver::config::{
        ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig, ResolverOpts,
    };
    use hickory_resolver::net::runtime::TokioRuntimeProvider;
    use hickory_resolver::proto::rr::RData;
    use hickory_resolver::Resolver;

    let mut builder = match nameserver {
        Some(ns) => {
            // UDP, then TCP for truncated answers, both on the given port.
            let (mut udp, mut tcp) = (ConnectionConfig::udp(), ConnectionConfig::tcp());
            udp.port = ns.port();
            tcp.port = ns.port();
            let server = NameServerConfig::new(ns.ip(), true, vec![udp, tcp]);
            let config = ResolverConfig::from_name_servers(vec![server]);
            Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => Resolver::builder_tokio().map_err(|e| e.to_string())?,
    };
    let opts: &mut ResolverOpts = builder.options_mut();
    opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    opts.timeout = Duration::from_secs(2);
    opts.attempts = 1;
    opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
    opts.cache_size = 0;
    opts.ndots = 0;
    let resolver = builder.build().map_err(|e| e.to_string())?;
    // An absolute name: no search-domain suffixes are ever tried.
    let fqdn = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    let found = resolver.lookup_ip(fqdn).await.map_err(|e| dns_reason(&e))?;
    let mut chain = Vec::new();
    for rec in found.as_lookup().answers() {
        if let RData::CNAME(c) = &rec.data {
            let from = rec.name.to_utf8();
            let to = c.0.to_utf8();
            if chain.is_empty() {
                chain.push(from.trim_end_matches('.').to_string());
            }
            chain.push(to.trim_end_matches('.').to_string());
        }
    }
    let mut addrs: Vec<IpAddr> = found.iter().collect();
    addrs.sort();
    addrs.dedup();
    Ok((chain, addrs))
}

/// Why a lookup failed, in words, from the error's variant: hickory's own
/// messages embed its `Debug` output (`Query { name: Name(...) }`).
fn dns_reason(e: &hickory_resolver::net::NetError) -> String {
    use hickory_resolver::net::NetError as E;
    if e.is_nx_domain() {
        "the name does not exist (NXDOMAIN)".into()
    } else if e.is_no_records_found() {
        "no A or AAAA record".into()
    } else if matches!(e, E::Timeout) {
        "the nameserver did not answer in time".into()
    } else if e.is_connection_closed() || matches!(e, E::NoConnections | E::Io(_)) {
        "the nameserver could not be reached".into()
    } else {
        e.to_string()
    }
}

/// Turn a reqwest error into a failure with a reason a person can act on.
fn classify(provider: &str, e: &reqwest::Error) -> ExchangeError {
    ExchangeError::new(provider, failure_kind(e), error_chain(e))
}

/// A request as the reports show it (before redaction): method, URL,
/// header names lower-case, and the body as text.
fn shown_request(req: &RequestSpec) -> RequestShown {
    RequestShown {
        method: req.method.to_string(),
        url: req.url.to_string(),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        body: req
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
    }
}

/// What kind of failure an error is, from the types in its source chain
/// (reqwest's flags, `io::ErrorKind`, rustls' and hyper's errors), never
/// from its message text.
fn failure_kind(e: &reqwest::Error) -> FailureKind {
    use std::io::ErrorKind as K;
    if e.is_timeout() {
        return FailureKind::Timeout;
    }
    let tls = |s: &(dyn std::error::Error + 'static)| s.downcast_ref::<rustls::Error>().is_some();
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if tls(s) {
            return FailureKind::Tls;
        }
        if let Some(io) = s.downcast_ref::<io::Error>() {
            // An I/O error wrapping another error (a TLS error inside one
            // or two I/O errors): look inside; `source()` would skip it.
            if let Some(inner) = io.get_ref() {
                let inner: &(dyn std::error::Error + 'static) = inner;
                if tls(inner) || inner.downcast_ref::<io::Error>().is_some() {
                    src = Some(inner);
                    continue;
                }
            }
            match io.kind() {
                K::TimedOut => return FailureKind::Timeout,
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    return FailureKind::Reset
                }
                K::ConnectionRefused => return FailureKind::Connect,
                _ => {}
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return FailureKind::Timeout;
            }
            if h.is_incomplete_message() {
                return FailureKind::Reset;
            }
        }
        src = s.source();
    }
    if e.is_connect() {
        FailureKind::Connect
    } else {
        FailureKind::Protocol
    }
}

/// The innermost error of a chain: the one that says what happened
/// (`Connection refused (os error 111)`, a certificate's problem), without
/// the wrappers' repeated context (`error sending request for url (...)`).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(t) = tls_reason(e) {
        return t;
    }
    let mut last = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !t.is_empty() {
            last = t;
        }
        src = s.source();
    }
    last
}

/// A certificate's problem in words, for the ones whose rustls text is
/// Rust debug output (`certificate is only valid for DnsName("x")`,
/// `UnknownIssuer`); `None` for any other error.
fn tls_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use rustls::CertificateError as C;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(rustls::Error::InvalidCertificate(c)) = s.downcast_ref::<rustls::Error>() {
            return match c {
                C::NotValidForNameContext {
                    expected,
                    presented,
                } => {
                    let names: Vec<String> = presented.iter().map(|p| debug_inner(p)).collect();
                    Some(format!(
                        "invalid peer certificate: certificate not valid for name \"{}\"; it \
                         names {}",
                        expected.to_str(),
                        if names.is_empty() {
                            "no host".to_string()
                        } else {
                            format!("only {}", names.join(", "))
                        }
                    ))
                }
                C::UnknownIssuer => Some(
                    "invalid peer certificate: UnknownIssuer: signed by a CA that is not trusted"
                        .into(),
                ),
                _ => None,
            };
        }
        // An I/O error wrapping the TLS error: look inside.
        src = match s.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => s.source(),
        };
    }
    None
}

/// `DnsName("a.test")` → `a.test`, `IpAddress(10.0.0.1)` → `10.0.0.1`:
/// the value inside a name's debug output; other text as it is.
fn debug_inner(s: &str) -> String {
    let inner = s
        .split_once('(')
        .filter(|(word, _)| word.chars().all(|c| c.is_ascii_alphanumeric()))
        .and_then(|(_, rest)| rest.strip_suffix(')'));
    match inner {
        Some(i) => i
            .strip_prefix('"')
            .and_then(|i| i.strip_suffix('"'))
            .unwrap_or(i)
            .to_string(),
        None => s.to_string(),
    }
}

/// `127.0.0.3:443, [::1]:443`: where a request was sent.
fn join_sockets(ips: &[IpAddr], port: u16) -> String {
    ips.iter()
        .map(|ip| SocketAddr::new(*ip, port).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error and its sources, joined: reqwest's own message alone rarely says
/// what went wrong.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

// ---------------------------------------------------------------------------
// Streaming body capture and decoding
// ---------------------------------------------------------------------------

/// Decoded bytes land here: counted and hashed in full, kept up to the cap.
struct Sink {
    cap: u64,
    kept: Vec<u8>,
    len: u64,
    hasher: Sha256,
    over: bool,
}

#[derive(Clone)]
struct SinkHandle(Arc<Mutex<Sink>>);

impl Write for SinkHandle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self
            .0
            .lock()
            .map_err(|_| io::Error::other("body sink poisoned"))?;
        s.len += buf.len() as u64;
        s.hasher.update(buf);
        if !s.over {
            let room = s.cap.saturating_sub(s.kept.len() as u64);
            if buf.len() as u64 <= room {
                s.kept.extend_from_slice(buf);
            } else {
                // Past the cap: keep the prefix up to it, nothing more.
                s.over = true;
                let room = usize::try_from(room).unwrap_or(usize::MAX);
                s.kept.extend_from_slice(&buf[..room.min(buf.len())]);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One decoding layer over the next one; `finish` flushes the codec's tail.
trait Layer: Write + Send {
    fn finish(self: Box<Self>) -> io::Result<()>;
}

impl Layer for SinkHandle {
    fn finish(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

impl Layer for flate2::write::GzDecoder<Box<dyn Layer>> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        (*self).finish()?.finish()
    }
}

impl Layer for flate2::write::ZlibDecoder<Box<dyn Layer>> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        (*self).finish()?.finish()
    }
}

impl Layer for brotli::DecompressorWriter<Box<dyn Layer>> {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()?;
        match (*self).into_inner() {
            Ok(inner) => inner.finish(),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "brotli stream ended early",
            )),
        }
    }
}

impl Layer for zstd::stream::write::Decoder<'static, Box<dyn Layer>> {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()?;
        (*self).into_inner().finish()
    }
}

/// Feeds raw chunks through the decoders named by `Content-Encoding`.
pub struct BodyReader {
    raw_len: u64,
    /// `None` when nothing is to be decoded: the raw bytes are the decoded
    /// ones, and one SHA-256 pass (the sink's) gives both digests.
    raw_hasher: Option<Sha256>,
    encodings: Vec<String>,
    chain: Option<Box<dyn Layer>>,
    sink: SinkHandle,
    error: Option<String>,
}

impl BodyReader {
    pub fn new(encodings: &[String], cap: u64) -> BodyReader {
        let sink = SinkHandle(Arc::new(Mutex::new(Sink {
            cap,
            kept: Vec::new(),
            len: 0,
            hasher: Sha256::new(),
            over: false,
        })));
        let mut chain: Box<dyn Layer> = Box::new(sink.clone());
        let mut error = None;
        // The first coding listed was applied first, so it is undone last:
        // it sits nearest the sink.
        for enc in encodings {
            chain = match enc.as_str() {
                "identity" => chain,
                "gzip" | "x-gzip" => Box::new(flate2::write::GzDecoder::new(chain)),
                "deflate" => Box::new(flate2::write::ZlibDecoder::new(chain)),
                "br" => Box::new(brotli::DecompressorWriter::new(chain, 8192)),
                "zstd" => match zstd::stream::write::Decoder::new(chain) {
                    Ok(d) => Box::new(d),
                    Err(e) => {
                        error = Some(format!("zstd: {e}"));
                        Box::new(sink.clone())
                    }
                },
                other => {
                    error = Some(format!("unknown content-encoding `{other}`"));
                    chain
                }
            };
        }
        let plain = encodings.iter().all(|e| e == "identity");
        BodyReader {
            raw_len: 0,
            raw_hasher: (!plain).then(Sha256::new),
            encodings: encodings.to_vec(),
            chain: if error.is_some() { None } else { Some(chain) },
            sink,
            error,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.raw_len += chunk.len() as u64;
        if let Some(h) = self.raw_hasher.as_mut() {
            h.update(chunk);
        }
        if let Some(chain) = self.chain.as_mut() {
            if let Err(e) = chain.write_all(chunk) {
                self.error = Some(format!("cannot decode {}: {e}", self.encodings.join(", ")));
                self.chain = None;
            }
        }
    }

    pub fn finish(mut self) -> BodyCapture {
        if let Some(chain) = self.chain.take() {
            if let Err(e) = chain.finish() {
                self.error = Some(format!("cannot decode {}: {e}", self.encodings.join(", ")));
            }
        }
        let (decoded_len, decoded_sha256, kept, over) = match self.sink.0.lock() {
            Ok(mut s) => {
                let kept = std::mem::take(&mut s.kept);
                let hasher = std::mem::take(&mut s.hasher);
                (s.len, hex::encode(hasher.finalize()), kept, s.over)
            }
            Err(_) => (0, String::new(), Vec::new(), true),
        };
        let raw_sha256 = match self.raw_hasher {
            Some(h) => hex::encode(h.finalize()),
            None => decoded_sha256.clone(),
        };
        let (decoded, prefix) = if self.error.is_some() {
            (None, Vec::new())
        } else if over {
            (None, kept)
        } else {
            (Some(kept), Vec::new())
        };
        BodyCapture {
            raw_len: self.raw_len,
            raw_sha256,
            encodings: self.encodings,
            decoded_len,
            decoded_sha256,
            decoded,
            prefix,
            decode_error: self.error,
        }
    }
}

/// Capture a whole body at once (tests and golden files).
pub fn capture(raw: &[u8], encodings: &[String], cap: u64) -> BodyCapture {
    let mut r = BodyReader::new(encodings, cap);
    for chunk in raw.chunks(1000) {
        r.push(chunk);
    }
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_names_are_shown_without_debug_output() {
        assert_eq!(debug_inner("DnsName(\"wrong.invalid\")"), "wrong.invalid");
        assert_eq!(debug_inner("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(debug_inner("plain.test"), "plain.test");
        let e =
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("www.example.test")
                    .expect("a name")
                    .to_owned(),
                presented: vec!["DnsName(\"wrong.invalid\")".into()],
            });
        let wrapped = io::Error::other(e);
        assert_eq!(
            tls_reason(&wrapped).as_deref(),
            Some(
                "invalid peer certificate: certificate not valid for name \"www.example.test\"; \
                 it names only wrong.invalid"
            )
        );
        assert_eq!(tls_reason(&io::Error::other("x")), None);
    }

    fn enc(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn text() -> Vec<u8> {
        "hello edge parity\n".repeat(500).into_bytes()
    }

    #[test]
    fn the_default_rate_caps_only_providers_off_loopback() {
        let all_local = [("cloudflare", true), ("fastly", true)];
        let p = rate_plan(Rate::Default, &all_local);
        assert!(p.capped.is_empty(), "{p:?}");
        assert_eq!(p.per_second, None);
        assert_eq!(
            p.message,
            "unlimited: every provider is on a loopback address (--rate N/s caps it)"
        );

        let remote = [("cloudflare", false), ("fastly", false)];
        let p = rate_plan(Rate::Default, &remote);
        assert_eq!(p.capped, ["cloudflare", "fastly"]);
        assert_eq!(p.per_second, Some(DEFAULT_RATE));
        assert_eq!(DEFAULT_RATE, 10.0);
        assert_eq!(
            p.message,
            "at most 10 requests/s to each of cloudflare, fastly (the default off loopback; \
             --rate N/s or --rate off to change)"
        );

        // A production edge beside a local `wrangler dev`: only the edge is
        // capped, and the message names both sides.
        let mixed = [("fastly", false), ("worker", true)];
        let p = rate_plan(Rate::Default, &mixed);
        assert_eq!(p.capped, ["fastly"]);
        assert_eq!(p.per_second, Some(10.0));
        assert_eq!(
            p.message,
            "at most 10 requests/s to each of fastly (the default off loopback; \
             --rate N/s or --rate off to change); unlimited to worker (loopback)"
        );
    }

    #[test]
    fn an_explicit_rate_applies_to_every_provider_whatever_its_address() {
        let mixed = [("fastly", false), ("worker", true)];
        let p = rate_plan(Rate::PerSecond(2.5), &mixed);
        assert_eq!(p.capped, ["fastly", "worker"]);
        assert_eq!(p.per_second, Some(2.5));
        assert_eq!(
            p.message,
            "at most 2.5 requests/s to each provider (--rate)"
        );

        let p = rate_plan(Rate::Off, &mixed);
        assert!(p.capped.is_empty(), "{p:?}");
        assert_eq!(p.per_second, None);
        assert_eq!(p.message, "unlimited (--rate off)");
    }

    #[test]
    fn a_provider_is_on_loopback_only_when_every_pinned_address_is() {
        let on_loopback = |addrs: &[(&str, Result<Vec<&str>, &str>)]| {
            let pinned: BTreeMap<(String, u16), Result<Vec<IpAddr>, String>> = addrs
                .iter()
                .map(|(host, ips)| {
                    let ips = ips
                        .clone()
                        .map(|v| v.iter().map(|ip| ip.parse().unwrap()).collect())
                        .map_err(str::to_string);
                    ((host.to_string(), 443), ips)
                })
                .collect();
            all_on_loopback(&pinned)
        };
        assert!(on_loopback(&[("a.test", Ok(vec!["127.0.0.2", "::1"]))]));
        assert!(on_loopback(&[("a.test", Ok(vec!["::ffff:127.0.0.3"]))]));
        assert!(!on_loopback(&[(
            "a.test",
            Ok(vec!["127.0.0.2", "203.0.113.7"])
        )]));
        // One host local, another on an edge: the provider is off loopback.
        assert!(!on_loopback(&[
            ("a.test", Ok(vec!["127.0.0.2"])),
            ("b.test", Ok(vec!["2001:db8::1"])),
        ]));
        // A host whose lookup failed is never asked, so it does not count.
        assert!(on_loopback(&[
            ("a.test", Ok(vec!["127.0.0.2"])),
            ("b.test", Err("no address")),
        ]));
    }

    #[test]
    fn decodes_every_supported_coding() {
        let plain = text();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let mut zl = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zl.write_all(&plain).unwrap();
        let zl = zl.finish().unwrap();
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
            w.write_all(&plain).unwrap();
        }
        let zs = zstd::encode_all(&plain[..], 3).unwrap();
        for (name, raw) in [("gzip", &gz), ("deflate", &zl), ("br", &br), ("zstd", &zs)] {
            let c = capture(raw, &enc(&[name]), 1 << 20);
            assert_eq!(c.decode_error, None, "{name}");
            assert_eq!(c.decoded.as_deref(), Some(&plain[..]), "{name}");
            assert_eq!(c.raw_len, raw.len() as u64);
            assert_eq!(c.decoded_len, plain.len() as u64);
            // Two digests when there is something to decode: one per form.
            assert_eq!(c.raw_sha256, hex::encode(Sha256::digest(raw)), "{name}");
            assert_eq!(
                c.decoded_sha256,
                hex::encode(Sha256::digest(&plain)),
                "{name}"
            );
        }
        // Nothing to decode: one pass gives both.
        let c = capture(&plain, &enc(&["identity"]), 1 << 20);
        assert_eq!(c.raw_sha256, hex::encode(Sha256::digest(&plain)));
        assert_eq!(c.raw_sha256, c.decoded_sha256);
    }

    #[test]
    fn stacked_codings_are_undone_in_reverse() {
        let plain = text();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let both = zstd::encode_all(&gz[..], 3).unwrap();
        let c = capture(&both, &enc(&["gzip", "zstd"]), 1 << 20);
        assert_eq!(c.decoded.as_deref(), Some(&plain[..]));
    }

    #[test]
    fn over_the_cap_keeps_only_length_and_digest() {
        let plain = text();
        let c = capture(&plain, &[], 100);
        assert_eq!(c.decoded, None);
        assert_eq!(c.decoded_len, plain.len() as u64);
        assert_eq!(c.decoded_sha256, hex::encode(Sha256::digest(&plain)));
        assert_eq!(c.raw_sha256, c.decoded_sha256);
    }

    #[test]
    fn corrupt_gzip_is_a_decode_error_not_a_panic() {
        let c = capture(b"definitely not gzip", &enc(&["gzip"]), 1 << 20);
        assert!(c.decode_error.is_some());
        assert_eq!(c.decoded, None);
        let c = capture(b"x", &enc(&["compress"]), 1 << 20);
        assert!(c
            .decode_error
            .unwrap()
            .contains("unknown content-encoding `compress`"));
    }
}
