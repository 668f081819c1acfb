//! One request and its answer from one provider, as `exec` captured it, and
//! why an exchange failed. Produced by `exec` (the only network code) and
//! read by every later stage, so the types live here, below all of them.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::result::RequestShown;

/// Why one exchange with one provider produced no response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, thiserror::Error)]
#[error("{provider}: {kind}: {message}")]
pub struct ExchangeError {
    pub provider: String,
    pub kind: FailureKind,
    pub message: String,
    /// The request as it was (or would have been) sent, redacted like an
    /// answered one's; `None` when it was never built (no such provider).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Box<RequestShown>>,
    /// The pinned socket addresses it was sent to (empty: none were found,
    /// the lookup failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addrs: Vec<String>,
    /// One `curl` command that asks the same of those addresses (with no
    /// address found: of `$EDGEPARITY_ADDR`, never of the system's DNS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

impl ExchangeError {
    /// A failure with no request attached (yet).
    pub fn new(provider: &str, kind: FailureKind, message: String) -> ExchangeError {
        ExchangeError {
            provider: provider.to_string(),
            kind,
            message,
            request: None,
            addrs: Vec::new(),
            curl: None,
        }
    }

    /// The same failure, with the request it befell and where that was
    /// sent; its curl built from them.
    pub fn with_request(mut self, request: RequestShown, addrs: Vec<String>) -> ExchangeError {
        self.curl = Some(request.curl_pinned(&addrs, None, &Default::default()));
        self.request = Some(Box::new(request));
        self.addrs = addrs;
        self
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    Resolve,
    Connect,
    Timeout,
    Tls,
    Reset,
    Protocol,
    WrongAddress,
    Fingerprint,
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FailureKind::Resolve => "address lookup failed",
            FailureKind::Connect => "connection failed",
            FailureKind::Timeout => "timed out",
            FailureKind::Tls => "TLS failed",
            FailureKind::Reset => "connection reset",
            FailureKind::Protocol => "HTTP error",
            FailureKind::WrongAddress => "answer from outside the pinned addresses",
            FailureKind::Fingerprint => "fingerprint check failed",
        })
    }
}

impl FailureKind {
    /// What to check first when every request to a provider fails this way.
    pub fn fix(&self) -> &'static str {
        match self {
            FailureKind::Resolve => "check the provider's `resolve` name and `nameserver` (or its `addrs`) in parity.yaml, and that the nameserver answers from this machine",
            FailureKind::Connect => "check that the edge listens on the pinned addresses and port (`addrs`, `port`, `scheme`), and that no firewall is in the way",
            FailureKind::Timeout => "check the route to the pinned addresses, or raise `timeout_ms` (or `connect_timeout_ms`)",
            FailureKind::Tls => "check `ca_file` (a private CA), that the certificate names the host asked (the SNI is the case's host, or the provider's `host:`), and `scheme`",
            FailureKind::Reset => "the edge closed the connection: check `http: h1|h2` and any WAF or rate limit in front of it",
            FailureKind::Protocol => "the answer was not valid HTTP: check `scheme` and `port` (TLS spoken to a plain-HTTP port, or the reverse)",
            FailureKind::WrongAddress => "an answer came from outside the pinned set: check for a proxy or NAT in front of the edge",
            FailureKind::Fingerprint => "the answer does not carry the provider's identity headers: check that `addrs`/`resolve` reach this provider, or the `fingerprint` setting",
        }
    }
}

/// A body as received: the raw (encoded) digest, and the decoded bytes up to
/// the size cap (above it only the decoded length and digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BodyCapture {
    pub raw_len: u64,
    pub raw_sha256: String,
    /// `Content-Encoding` codings as sent, in order.
    pub encodings: Vec<String>,
    pub decoded_len: u64,
    pub decoded_sha256: String,
    /// The decoded bytes; `None` when over the cap or not decodable.
    #[serde(skip)]
    pub decoded: Option<Vec<u8>>,
    /// Over the cap: the first `cap` decoded bytes (empty otherwise), so two
    /// large bodies that differ can say where, in bounded memory.
    #[serde(skip)]
    pub prefix: Vec<u8>,
    /// Why the body could not be decoded, when it could not.
    pub decode_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Timing {
    /// Until the response head arrived.
    pub ttfb_ms: f64,
    /// Until the last body byte arrived.
    pub total_ms: f64,
}

/// One request and its response from one provider.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Exchange {
    pub provider: String,
    /// The request as sent: method and headers (the URL is `url`).
    pub method: String,
    pub request_headers: Vec<(String, String)>,
    /// The request body sent, if any (as text: a suite's `body:` is text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    pub url: String,
    pub status: u16,
    pub version: String,
    pub remote_addr: Option<SocketAddr>,
    /// Every header line in order, names lower-cased, values as text
    /// (non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
    pub body: BodyCapture,
    pub timing: Timing,
}

impl Exchange {
    /// All values of a header (lower-case name), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What was found for a provider's addresses, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Resolution {
    pub provider: String,
    pub host: String,
    /// The name looked up (`None` for pinned `addrs`).
    pub name: Option<String>,
    pub nameserver: Option<String>,
    /// CNAME chain followed, in order.
    pub cname_chain: Vec<String>,
    pub addrs: Vec<IpAddr>,
    pub error: Option<String>,
}
