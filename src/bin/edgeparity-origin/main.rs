//! `edgeparity-origin`: the origin server behind the local testbed's CDN
//! stand-ins (see `testbed/README.md`).
//!
//! Plain HTTP/1.1. Every answer is deterministic except the fields named
//! volatile below. It never compresses. Query strings are ignored for routing
//! (the tool appends `?edgeparity=<id>` to bust caches).
//!
//! `edgeparity watch` is tested with faults injected for real: `/__fault`
//! (only on the origin's own address, refused through a stand-in) switches
//! at run time a share of `/watch/*` answers to an error status, or delays
//! them, for requests that came through the Cloudflare stand-in only
//! (`X-Edge: cloudflare`). The Fastly stand-in stays the healthy control.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::Parser;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "Deterministic origin for the edgeparity testbed")]
struct Args {
    /// Address to listen on, e.g. 127.0.0.4:18080 (repeatable).
    #[arg(long, required = true)]
    listen: Vec<SocketAddr>,
}

const LAST_MODIFIED: &str = "Mon, 02 Jan 2023 03:04:05 GMT";
const STATIC_CC: &str = "public, max-age=3600";
const NO_STORE: &str = "no-store";
const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// `/flaky` answers alternate per request that came through the Cloudflare stand-in.
static FLAKY: AtomicU64 = AtomicU64::new(0);
/// Mixed into volatile random values.
static SEQ: AtomicU64 = AtomicU64::new(0);
/// The `/noisy/*` visit counter: starts at 95 so its length changes early.
static VISITS: AtomicU64 = AtomicU64::new(95);

/// The fault injected into `/watch/*` answers to the Cloudflare stand-in,
/// switched at run time by `POST /__fault`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Fault {
    /// Answer this status instead (to `share` of the requests).
    status: Option<u16>,
    /// Share of faulted requests, 0 to 1: exactly ⌊k·share⌋ of the first k.
    share: f64,
    /// Wait this long before answering (every faulted-path request).
    delay_ms: u64,
}

static FAULT: Mutex<Fault> = Mutex::new(Fault {
    status: None,
    share: 0.0,
    delay_ms: 0,
});
/// `/watch/*` requests through the Cloudflare stand-in since the fault was set.
static FAULT_SEQ: AtomicU64 = AtomicU64::new(0);

fn fault() -> Fault {
    match FAULT.lock() {
        Ok(f) => *f,
        Err(poisoned) => *poisoned.into_inner(),
    }
}

fn fault_json(f: &Fault) -> serde_json::Value {
    serde_json::json!({"status": f.status, "share": f.share, "delay_ms": f.delay_ms})
}

/// `POST /__fault?mode=503&share=0.5`, `?delay_ms=200` (combinable),
/// `?mode=off`; `GET /__fault` shows the current fault. Refused (403) for
/// requests that came through a stand-in: only the tests on the host set it.
fn set_fault(method: &Method, query: &str, headers: &HeaderMap) -> Reply {
    if headers.contains_key("x-edge") {
        return Reply::text(StatusCode::FORBIDDEN, "not through an edge\n");
    }
    if method == Method::GET {
        return Reply::json(fault_json(&fault()));
    }
    if method != Method::POST {
        return Reply::text(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST\n")
            .with("allow", "GET, POST");
    }
    let mut next = Fault::default();
    match query_param(query, "mode") {
        None | Some("off") => {}
        Some(code) => match code.parse::<u16>() {
            Ok(c @ 400..=599) => {
                next.status = Some(c);
                next.share = 1.0;
            }
            _ => return Reply::text(StatusCode::BAD_REQUEST, "mode: off or 400..599\n"),
        },
    }
    if let Some(share) = query_param(query, "share") {
        match share.parse::<f64>() {
            Ok(s) if (0.0..=1.0).contains(&s) => next.share = s,
            _ => return Reply::text(StatusCode::BAD_REQUEST, "share: 0 to 1\n"),
        }
    }
    if let Some(ms) = query_param(query, "delay_ms") {
        match ms.parse::<u64>() {
            Ok(ms) if ms <= 60_000 => next.delay_ms = ms,
            _ => return Reply::text(StatusCode::BAD_REQUEST, "delay_ms: 0 to 60000\n"),
        }
    }
    match FAULT.lock() {
        Ok(mut f) => *f = next,
        Err(poisoned) => *poisoned.into_inner() = next,
    }
    FAULT_SEQ.store(0, Ordering::Relaxed);
    eprintln!("edgeparity-origin: fault now {next:?}");
    Reply::json(fault_json(&next))
}

/// `/watch/*`: a small uncached answer, with the fault applied when the
/// request came through the Cloudflare stand-in.
async fn watch_page(path: &str, headers: &HeaderMap) -> Reply {
    let healthy =
        Reply::text(StatusCode::OK, format!("watch {path}\n")).with("cache-control", NO_STORE);
    if !header_str(headers, "x-edge").eq_ignore_ascii_case("cloudflare") {
        return healthy;
    }
    let f = fault();
    if f.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
    }
    let Some(status) = f.status else {
        return healthy;
    };
    // Exactly ⌊k·share⌋ of the first k requests fail, spread evenly.
    let k = FAULT_SEQ.fetch_add(1, Ordering::Relaxed) as f64;
    if ((k + 1.0) * f.share).floor() > (k * f.share).floor() {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        Reply::text(status, format!("injected fault {}\n", status.as_u16()))
            .with("cache-control", NO_STORE)
    } else {
        healthy
    }
}

/// Fixed bodies, built once.
struct Assets {
    app_js: Bytes,
    style_css: Bytes,
    logo_png: Bytes,
    big_txt: Bytes,
    blob: Bytes,
    blob_etag: String,
}

fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut js =
            String::from("// edgeparity example application (fixed content)\n'use strict';\n\n");
        for i in 0..60u32 {
            js.push_str(&format!(
                "export function step{i:02}(x) {{\n  return (x * {} + {}) % 65521;\n}}\n\n",
                i * 31 + 7,
                i * 17 + 3
            ));
        }
        let mut css = String::from("/* edgeparity example stylesheet (fixed content) */\n");
        for i in 0..52u32 {
            css.push_str(&format!(
                ".c{i:02} {{ margin: {i}px; color: #{:06x}; }}\n",
                i * 0x030507
            ));
        }
        let mut txt = String::new();
        for i in 1..=360u32 {
            txt.push_str(&format!(
                "line {i:04}: the quick brown fox jumps over the lazy dog\n"
            ));
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(pseudo_random(0x0123_4567_89ab_cdef, 312));
        let blob = pseudo_random(0x9e37_79b9_7f4a_7c15, 2 * 1024 * 1024);
        let blob_etag = format!("\"blob-{}\"", &hex::encode(Sha256::digest(&blob))[..16]);
        Assets {
            app_js: js.into(),
            style_css: css.into(),
            logo_png: png.into(),
            big_txt: txt.into(),
            blob: blob.into(),
            blob_etag,
        }
    })
}

/// Deterministic bytes from a xorshift64 generator.
fn pseudo_random(mut state: u64, len: usize) -> Vec<u8> {
    xorshift_bytes(&mut state, len)
}

/// `len` bytes from the xorshift64 generator at `state`, which is left
/// where the next bytes continue (a streamed body is made chunk by chunk).
fn xorshift_bytes(state: &mut u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Volatile: 32 random-looking hex digits.
fn random_hex() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let digest = Sha256::digest(format!("{nanos}-{seq}-{}", std::process::id()));
    hex::encode(&digest[..16])
}

/// Volatile: `n` random-looking bytes.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < n {
        out.extend_from_slice(&hex::decode(random_hex()).unwrap_or_default());
    }
    out.truncate(n);
    out
}

/// Unpadded base64url (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Volatile: a random base64url token of 22 to 32 characters (16 to 24
/// random bytes), as session ids and CSRF tokens are.
fn random_token() -> String {
    let len = 16 + usize::from(random_bytes(1)[0] % 9);
    base64url(&random_bytes(len))
}

/// Volatile: a UUID-shaped request id.
fn random_uuid() -> String {
    let h = random_hex();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Volatile: unix seconds with the milliseconds, trailing zeros dropped
/// (`1732000000.12`, `1732000000.5`): a number of varying length.
fn float_seconds() -> String {
    let ms = unix_ms();
    let frac = format!("{:03}", ms % 1000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        (ms / 1000).to_string()
    } else {
        format!("{}.{frac}", ms / 1000)
    }
}

/// Now plus `secs`, as an HTTP date.
fn http_date_in(secs: u64) -> String {
    let t = SystemTime::now() + Duration::from_secs(secs);
    let s = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = s / 86_400;
    let rfc = rfc3339_at(s * 1000);
    let (date, time) = rfc.split_once('T').unwrap_or(("1970-01-01", "00:00:00"));
    let mut parts = date.split('-');
    let (y, m, d) = (
        parts.next().unwrap_or("1970"),
        parts
            .next()
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(1),
        parts.next().unwrap_or("01"),
    );
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d} {} {y} {} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m.max(1) - 1).min(11)],
        &time[..8.min(time.len())]
    )
}

fn unix_ms() -> u64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Volatile: now as RFC 3339 UTC with milliseconds.
fn rfc3339_now() -> String {
    rfc3339_at(unix_ms())
}

/// A unix time in milliseconds as RFC 3339 UTC.
fn rfc3339_at(ms: u64) -> String {
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

/// One answer, before it becomes a hyper response.
struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Reply {
    fn new(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Self {
        Reply {
            status,
            headers: vec![("content-type", content_type.into())],
            body: body.into(),
        }
    }

    fn ok(content_type: &str, body: impl Into<Bytes>) -> Self {
        Self::new(StatusCode::OK, content_type, body)
    }

    fn text(status: StatusCode, body: impl Into<String>) -> Self {
        Self::new(status, TEXT, body.into())
    }

    fn json(value: serde_json::Value) -> Self {
        Self::ok(JSON, value.to_string()).with("cache-control", NO_STORE)
    }

    fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A cacheable static asset with a strong ETag and a fixed Last-Modified.
    fn asset(content_type: &str, body: Bytes, etag: &str) -> Self {
        Self::ok(content_type, body)
            .with("cache-control", STATIC_CC)
            .with("etag", etag)
            .with("last-modified", LAST_MODIFIED)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// 304 when the request's If-None-Match names this answer's ETag (weak
    /// comparison) or, without If-None-Match, its If-Modified-Since is exactly
    /// this answer's Last-Modified (nginx's `if_modified_since exact`).
    fn conditional(self, req: &HeaderMap) -> Self {
        let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
        let not_modified = match (req.get(header::IF_NONE_MATCH), self.header("etag")) {
            (Some(inm), Some(etag)) => inm.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == "*" || strip(t) == strip(etag))
            }),
            (Some(_), None) => false,
            (None, _) => self
                .header("last-modified")
                .is_some_and(|lm| header_str(req, "if-modified-since") == lm),
        };
        if self.status != StatusCode::OK || !not_modified {
            return self;
        }
        let keep = ["etag", "cache-control", "last-modified", "vary"];
        let headers = self
            .headers
            .into_iter()
            .filter(|(n, _)| keep.contains(n))
            .collect();
        Reply {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: Bytes::new(),
        }
    }

    /// 206 with the one byte range asked (`bytes=A-B`, `bytes=A-`,
    /// `bytes=-N`), or 416 when it lies past the end; any other Range header
    /// is ignored (200, the whole body), as RFC 9110 §14.2 allows.
    fn range(self, req: &HeaderMap) -> Self {
        let asked = header_str(req, "range").trim();
        let Some((first, last)) = asked.strip_prefix("bytes=").and_then(|r| r.split_once('-'))
        else {
            return self;
        };
        if self.status != StatusCode::OK {
            return self;
        }
        let len = self.body.len() as u64;
        let (first, last) = match (first.parse::<u64>(), last.parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= b => (a, b.min(len.saturating_sub(1))),
            (Ok(a), Err(_)) if last.is_empty() => (a, len.saturating_sub(1)),
            (Err(_), Ok(n)) if first.is_empty() && n > 0 => {
                (len.saturating_sub(n), len.saturating_sub(1))
            }
            _ => return self,
        };
        if first >= len {
            let mut r = Reply::new(StatusCode::RANGE_NOT_SATISFIABLE, TEXT, Bytes::new());
            r.headers.push(("content-range", format!("bytes */{len}")));
            return r;
        }
        let body = self.body.slice(first as usize..=last as usize);
        let mut r = Reply {
            status: StatusCode::PARTIAL_CONTENT,
            headers: self.headers,
            body,
        };
        r.headers
            .push(("content-range", format!("bytes {first}-{last}/{len}")));
        r
    }

    fn into_response(self) -> Response<Body> {
        let mut resp = Response::new(Full::new(self.body).boxed());
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        h.insert(
            header::SERVER,
            HeaderValue::from_static("edgeparity-origin"),
        );
        for (name, value) in self.headers {
            match HeaderValue::from_str(&value) {
                Ok(v) => {
                    h.append(name, v);
                }
                Err(_) => eprintln!("edgeparity-origin: dropped unencodable {name} header"),
            }
        }
        resp
    }
}

/// The value of query parameter `key`, if any.
fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn home() -> Reply {
    let body = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
        <title>www.example.test</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body>\n\
        <h1>www.example.test</h1>\n<p>Served by edgeparity-origin behind two CDN stand-ins: \
        Varnish for Fastly and nginx for Cloudflare. The same page must reach the client \
        through both edges.</p>\n<ul>\n<li><a href=\"/static/app.js\">app.js</a></li>\n\
        <li><a href=\"/vary/leak/lang.html\">a page per language</a></li>\n\
        <li><a href=\"/api/item?id=42\">an API item</a></li>\n</ul>\n\
        <script src=\"/static/app.js\"></script>\n</body>\n</html>\n";
    Reply::ok(HTML, body)
        .with("cache-control", "public, max-age=300")
        .with("etag", "\"home-v1\"")
}

/// `/vary/*/lang.html`: the body follows the first Accept-Language tag.
fn language_page(headers: &HeaderMap) -> Reply {
    let first = header_str(headers, "accept-language")
        .split(',')
        .next()
        .unwrap_or("");
    let primary = first
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .split('-')
        .next()
        .unwrap_or("");
    let (lang, greeting) = match primary.to_ascii_lowercase().as_str() {
        "fr" => ("fr", "Bonjour"),
        "ja" => ("ja", "こんにちは"),
        _ => ("en", "Hello"),
    };
    let body = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{greeting}</title></head>\n\
         <body>\n<h1>{greeting}</h1>\n<p lang=\"{lang}\">This page is chosen by the Accept-Language request header. \
         A cache that ignores Vary serves one language to everyone.</p>\n</body>\n</html>\n"
    );
    Reply::ok(HTML, body)
        .with("cache-control", "public, max-age=300")
        .with("vary", "Accept-Language")
        .with("content-language", lang)
}

/// The volatile headers every `/noisy/*` answer carries: a random session
/// cookie, a weak ETag of the volatile body, an `Expires` a minute on, a
/// request id; never cached.
fn noisy_headers(r: Reply) -> Reply {
    r.with("cache-control", "no-store")
        .with(
            "set-cookie",
            format!("sid={}; Path=/; HttpOnly", random_token()),
        )
        .with("etag", format!("W/\"{}\"", &random_hex()[..16]))
        .with("expires", http_date_in(60))
        .with("x-request-id", random_uuid())
}

/// `/noisy/*`: pages and APIs shaped like real ones, with volatile tokens
/// on the same lines as real content (testbed/README.md, "The noisy
/// family"). The Cloudflare stand-in plants real changes on some of them.
fn noisy(path: &str) -> Option<Reply> {
    let visits = VISITS.fetch_add(1, Ordering::Relaxed);
    let page = |title: &str, button: &str| {
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title}</title>\n\
             <script nonce=\"{nonce}\">window.requestId = \"{rid}\";</script></head>\n<body>\n\
             <h1>{title}</h1>\n\
             <form method=\"post\" action=\"/cart\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button>{button}</button></form>\n\
             <p>Price: 12.50 EUR, seen by {visits} visitors, rendered at {at} ({secs}).</p>\n\
             </body>\n</html>\n",
            nonce = random_hex(),
            rid = random_uuid(),
            csrf = random_token(),
            at = rfc3339_now(),
            secs = float_seconds(),
        )
    };
    let json = |v: serde_json::Value| noisy_headers(Reply::ok(JSON, v.to_string()));
    Some(match path {
        "/noisy/page.html" => {
            noisy_headers(Reply::ok(HTML, page("Your basket", "Add to wishlist")))
        }
        "/noisy/cart.html" => noisy_headers(Reply::ok(HTML, page("Checkout", "Add to cart"))),
        "/noisy/session.html" => noisy_headers(Reply::ok(HTML, page("Sign in", "Sign in"))),
        "/noisy/api.json" | "/noisy/price.json" => json(serde_json::json!({
            "item": {
                "id": 7,
                "name": "blue mug",
                "price": "12.50",
                "currency": "EUR",
                "stock": 100_000u64.saturating_sub(visits),
                "request_id": random_hex(),
                "ts": float_seconds().parse::<f64>().unwrap_or_default(),
            },
            "views": visits,
            "nonce": random_token(),
            "generated_at": rfc3339_now(),
        })),
        "/noisy/big.html" | "/noisy/big-build.html" => {
            let mut body = String::from(
                "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Catalogue</title></head>\n<body>\n<table>\n",
            );
            for i in 0..1500u32 {
                body.push_str(&format!(
                    "<tr><td>item {i:04}</td><td>{} EUR</td><td><a href=\"/item/{i}\">details of item {i}</a></td></tr>\n",
                    (i * 7919) % 10_000
                ));
            }
            body.push_str(&format!(
                "</table>\n<footer>Rendered at {} by {} for {}, build 2024.11</footer>\n</body>\n</html>\n",
                rfc3339_now(),
                random_uuid(),
                random_token()
            ));
            noisy_headers(Reply::ok(HTML, body))
        }
        _ => return None,
    })
}

/// `/probe/NAME.txt`: a 1200-byte text page for the conditional, range
/// and HEAD probes, cacheable, with a weak ETag (`W/"probe-NAME"`, kept by
/// the Cloudflare stand-in), a Last-Modified, and byte ranges served (no
/// `Accept-Ranges`: the Fastly stand-in, with Varnish's range support off,
/// would drop it from cached answers).
fn probe_page(path: &str) -> Option<Reply> {
    let name = path.strip_prefix("/probe/")?.strip_suffix(".txt")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let body = assets().big_txt.slice(..1200);
    Some(Reply::asset(TEXT, body, &format!("W/\"probe-{name}\"")))
}

fn get(path: &str, query: &str, headers: &HeaderMap) -> Reply {
    let a = assets();
    if let Some(r) = probe_page(path) {
        return r;
    }
    if path.starts_with("/noisy/") {
        if let Some(r) = noisy(path) {
            return r;
        }
    }
    match path {
        "/" | "/index.html" => home(),
        "/static/app.js" => Reply::asset(
            "application/javascript; charset=utf-8",
            a.app_js.clone(),
            "\"app-js-v1\"",
        ),
        "/static/style.css" => Reply::asset(
            "text/css; charset=utf-8",
            a.style_css.clone(),
            "\"style-css-v1\"",
        ),
        "/static/logo.png" => Reply::asset("image/png", a.logo_png.clone(), "\"logo-png-v1\""),
        "/text/big.txt" => Reply::asset(TEXT, a.big_txt.clone(), "\"big-txt-v1\""),
        "/binary/blob.bin" => {
            Reply::asset("application/octet-stream", a.blob.clone(), &a.blob_etag)
        }
        "/etag/strong.css" => Reply::asset(
            "text/css; charset=utf-8",
            Bytes::from_static(b"/* strong etag */\n.strong { font-weight: bold; }\n"),
            "\"etag-v1\"",
        ),
        "/etag/weak.css" => Reply::asset(
            "text/css; charset=utf-8",
            Bytes::from_static(b"/* weak etag */\n.weak { font-style: italic; }\n"),
            "W/\"etag-v1\"",
        ),
        // Not a valid entity-tag (no quotes): Cloudflare drops such ETags.
        "/etag/unquoted.css" => Reply::asset(
            "text/css; charset=utf-8",
            Bytes::from_static(b"/* unquoted etag */\n.unquoted { color: red; }\n"),
            "etag-v1",
        ),
        "/static/private.js" => Reply::ok(
            "application/javascript; charset=utf-8",
            "// per-user script: never cached by a shared cache\nexport const user = 'private';\n",
        )
        .with("cache-control", "private, max-age=60"),
        "/api/item" => match query_param(query, "id").map(str::parse::<u64>) {
            Some(Ok(id)) => Reply::json(serde_json::json!({
                "id": id,
                "name": format!("item-{id}"),
                "price": ((id % 100_000) * 7919 % 100_000) as f64 / 100.0,
                "request_id": random_hex(),
                "generated_at": rfc3339_now(),
            }))
            .with("x-request-id", random_hex()),
            _ => Reply::json(serde_json::json!({"error": "id must be a non-negative integer"}))
                .status(StatusCode::BAD_REQUEST),
        },
        "/api/volatile" => Reply::json(serde_json::json!({
            "service": "edgeparity-origin",
            "stable": "this field never changes",
            "trace": random_hex(),
            "ts": unix_ms(),
        }))
        .with("x-trace-id", random_hex()),
        "/vary/leak/lang.html" | "/vary/honoured/lang.html" => language_page(headers),
        "/cookie/session.html" => Reply::ok(
            HTML,
            "<!doctype html>\n<p>A page that sets a session cookie.</p>\n",
        )
        .with("cache-control", "public, max-age=60")
        .with(
            "set-cookie",
            format!("session={}; Path=/; HttpOnly", random_hex()),
        ),
        // Pages the Cloudflare stand-in rewrites or answers itself, so that
        // its answers carry the signatures the remediation hints match
        // (testbed/README.md, "Signatures for the hints").
        "/hints/contact.html" => Reply::ok(
            HTML,
            "<!doctype html>\n<title>Contact</title>\n\
             <p>Write to <a href=\"mailto:team@example.test\">team@example.test</a>.</p>\n",
        )
        .with("cache-control", "public, max-age=300"),
        "/hints/admin.html"
        | "/hints/challenge.html"
        | "/hints/timeout.html"
        | "/hints/moved.html" => Reply::ok(
            HTML,
            format!("<!doctype html>\n<p>The origin's page {path}.</p>\n"),
        )
        .with("cache-control", "public, max-age=300"),
        "/redirect" => Reply::text(StatusCode::MOVED_PERMANENTLY, "moved to /\n")
            .with("location", "/")
            .with("cache-control", "max-age=60"),
        "/redirect-temp" => Reply::text(StatusCode::FOUND, "found at /index.html\n")
            .with("location", "/index.html")
            .with("cache-control", "max-age=60"),
        "/flaky" => {
            let body = if header_str(headers, "x-edge").eq_ignore_ascii_case("cloudflare")
                && FLAKY.fetch_add(1, Ordering::Relaxed) % 2 == 1
            {
                "B\n"
            } else {
                "A\n"
            };
            Reply::text(StatusCode::OK, body).with("cache-control", NO_STORE)
        }
        "/headers" => {
            let mut map = serde_json::Map::new();
            for (name, value) in headers {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                match map.get_mut(name.as_str()) {
                    Some(serde_json::Value::String(prev)) => *prev = format!("{prev}, {value}"),
                    _ => {
                        map.insert(name.as_str().to_string(), value.into());
                    }
                }
            }
            Reply::json(serde_json::Value::Object(map))
        }
        _ => match path.strip_prefix("/status/").map(str::parse::<u16>) {
            Some(Ok(code @ 200..=599)) if code != 304 => match StatusCode::from_u16(code) {
                Ok(s @ StatusCode::NO_CONTENT) => Reply {
                    status: s,
                    headers: Vec::new(),
                    body: Bytes::new(),
                },
                Ok(s) => Reply::text(s, format!("status {code}\n")),
                Err(_) => Reply::text(StatusCode::NOT_FOUND, "not found\n"),
            },
            _ => Reply::text(StatusCode::NOT_FOUND, "not found\n"),
        },
    }
}

/// Every answer's body: whole (`Full`) or streamed (`/bytes/N`).
type Body = BoxBody<Bytes, Infallible>;

/// Largest `/bytes/N`: 16 GiB.
const MAX_STREAM: u64 = 16 << 30;

/// `/bytes/N`: N deterministic bytes (xorshift64 from a fixed seed; the
/// same N always gives the same bytes, and a shorter answer is a prefix of
/// a longer one), streamed in 64 KiB chunks so that the origin never holds
/// the body: big-body benchmarks (`scripts/bench`, two 1 GiB bodies) and
/// tests. `no-store`, so a stand-in in front of it does not cache it.
fn stream_bytes(path: &str, method: &Method) -> Option<Response<Body>> {
    let n: u64 = path.strip_prefix("/bytes/")?.parse().ok()?;
    if n > MAX_STREAM {
        return None;
    }
    const CHUNK: u64 = 64 * 1024;
    let head = *method == Method::HEAD;
    let body = futures_util::stream::unfold(
        (0x2545_f491_4f6c_dd1d_u64, if head { 0 } else { n }),
        |(mut state, left)| async move {
            if left == 0 {
                return None;
            }
            let len = left.min(CHUNK) as usize;
            let out = xorshift_bytes(&mut state, len);
            let frame = hyper::body::Frame::data(Bytes::from(out));
            Some((Ok::<_, Infallible>(frame), (state, left - len as u64)))
        },
    );
    let mut resp = Response::new(StreamBody::new(body).boxed());
    let h = resp.headers_mut();
    h.insert(
        header::SERVER,
        HeaderValue::from_static("edgeparity-origin"),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    Some(resp)
}

async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let method = req.method().clone();
    if matches!(method, Method::GET | Method::HEAD) {
        if let Some(resp) = stream_bytes(&path, &method) {
            return Ok(resp);
        }
    }
    let reply = match (&method, path.as_str()) {
        (&Method::POST, "/login") => match Limited::new(req.into_body(), 1 << 20).collect().await {
            Ok(body) => {
                let mut out = b"ok ".to_vec();
                out.extend_from_slice(&body.to_bytes());
                Reply::ok(TEXT, out).with("cache-control", NO_STORE)
            }
            Err(e) => Reply::text(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}\n"),
            ),
        },
        (_, "/__fault") => set_fault(&method, &query, req.headers()),
        (&Method::GET | &Method::HEAD, p) if p.starts_with("/watch/") => {
            watch_page(p, req.headers()).await
        }
        (_, "/login") => {
            Reply::text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n").with("allow", "POST")
        }
        (&Method::GET | &Method::HEAD, p) if p.starts_with("/probe/") => {
            get(&path, &query, req.headers())
                .conditional(req.headers())
                .range(req.headers())
        }
        (&Method::GET | &Method::HEAD, _) => {
            get(&path, &query, req.headers()).conditional(req.headers())
        }
        _ => Reply::text(StatusCode::METHOD_NOT_ALLOWED, "use GET or HEAD\n")
            .with("allow", "GET, HEAD"),
    };
    Ok(reply.into_response())
}

async fn serve(listener: TcpListener) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("edgeparity-origin: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service_fn(handle));
            // A client that goes away mid-request is not an origin error.
            let _ = conn.await;
        });
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    assets();
    let mut listeners = Vec::new();
    for addr in &args.listen {
        match TcpListener::bind(addr).await {
            Ok(l) => listeners.push(l),
            Err(e) => {
                eprintln!("edgeparity-origin: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for l in listeners {
        tokio::spawn(serve(l));
    }
    let addrs: Vec<String> = args.listen.iter().map(ToString::to_string).collect();
    eprintln!("edgeparity-origin: listening on {}", addrs.join(", "));
    shutdown_signal().await;
    eprintln!("edgeparity-origin: stopping");
    ExitCode::SUCCESS
}
