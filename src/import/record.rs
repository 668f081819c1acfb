//! One request as a log line tells it, whatever the format: the common
//! vocabulary every parser produces and the rest of import consumes.

use std::borrow::Cow;

/// `http` or `https` (from the traffic when it says; `--scheme` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn parse(s: &str) -> Option<Scheme> {
        if s.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else if s.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
    fn default_port(self) -> &'static str {
        match self {
            Scheme::Http => "80",
            Scheme::Https => "443",
        }
    }
}

/// What the old CDN did with the request, as far as the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cache {
    /// The log does not say.
    #[default]
    Unknown,
    /// Served from cache (fresh, stale or revalidated).
    Hit,
    /// Sent to the origin (miss, pass, bypass, uncacheable, expired).
    NotHit,
}

impl Cache {
    /// Cloudflare Logpush `CacheCacheStatus`: hit, miss, expired, updating,
    /// stale, hit, ignored, bypass, revalidated, dynamic, stream_hit,
    /// deferred, unknown. Served from cache: hit, stale, updating,
    /// revalidated, stream_hit. (Also the upper-case `CF-Cache-Status` and
    /// nginx `$upstream_cache_status` words, which are the same.)
    pub fn from_cloudflare(s: &str) -> Cache {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "hit" | "stale" | "updating" | "revalidated" | "stream_hit" => Cache::Hit,
            "" | "unknown" | "none" | "-" => Cache::Unknown,
            _ => Cache::NotHit,
        }
    }

    /// Fastly `fastly_info.state`: HIT, HIT-STALE, HIT-CLUSTER, HIT-WAIT,
    /// HIT-REFRESH... are served from cache; HIT-SYNTH (a synthetic answer)
    /// and HITPASS are not; MISS, PASS, ERROR... are not. NONE is unknown.
    pub fn from_fastly_state(s: &str) -> Cache {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty() || s == "NONE" || s == "-" {
            Cache::Unknown
        } else if s.starts_with("HITPASS") || s.starts_with("HIT-SYNTH") {
            Cache::NotHit
        } else if s == "HIT" || s.starts_with("HIT-") {
            Cache::Hit
        } else {
            Cache::NotHit
        }
    }

    /// From response headers (HAR): `X-Cache` (any entry HIT: Fastly with
    /// shielding), `CF-Cache-Status`, RFC 9211 `Cache-Status` (`hit`), and
    /// a positive `Age`.
    pub fn from_response_header(name: &str, value: &str) -> Cache {
        let v = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "x-cache" => {
                if v.split(',').any(|e| e.trim().eq_ignore_ascii_case("HIT")) {
                    Cache::Hit
                } else if v.is_empty() {
                    Cache::Unknown
                } else {
                    Cache::NotHit
                }
            }
            "cf-cache-status" => Cache::from_cloudflare(v),
            "cache-status" => {
                // The last entry is the cache closest to the client.
                match v.rsplit(',').next() {
                    Some(last) if last.split(';').any(|p| p.trim() == "hit") => Cache::Hit,
                    Some(last) if last.contains("fwd=") => Cache::NotHit,
                    _ => Cache::Unknown,
                }
            }
            "age" => match v.parse::<u64>() {
                Ok(n) if n > 0 => Cache::Hit,
                _ => Cache::Unknown,
            },
            _ => Cache::Unknown,
        }
    }

    /// Combine two signals about one request: a hit wins.
    pub fn or(self, other: Cache) -> Cache {
        match (self, other) {
            (Cache::Hit, _) | (_, Cache::Hit) => Cache::Hit,
            (Cache::NotHit, _) | (_, Cache::NotHit) => Cache::NotHit,
            _ => Cache::Unknown,
        }
    }
}

/// One request. Borrowed from the line where possible (two passes over a
/// million lines: allocation is the cost that matters).
#[derive(Debug, Clone, Default)]
pub struct Record<'a> {
    /// As logged (any case, maybe with a port); `None` when the format has
    /// no host (then `--host` gives it).
    pub host: Option<Cow<'a, str>>,
    pub scheme: Option<Scheme>,
    /// As logged; checked and upper-cased by `admit`.
    pub method: Cow<'a, str>,
    /// Origin-form request target: path and query, raw as logged.
    pub target: Cow<'a, str>,
    pub status: Option<u16>,
    pub cache: Cache,
    pub content_type: Option<Cow<'a, str>>,
    /// Whether a User-Agent was logged. The string itself is never used:
    /// cases send `User-Agent: edgeparity-import`.
    pub user_agent: bool,
    pub accept: Option<Cow<'a, str>>,
    pub accept_encoding: Option<Cow<'a, str>>,
    pub accept_language: Option<Cow<'a, str>>,
    /// The request carried a `Cookie` header (HAR): never copied.
    pub cookie: bool,
    /// The request carried an `Authorization` header (HAR): never copied.
    pub authorization: bool,
}

impl<'a> Record<'a> {
    pub fn new(method: impl Into<Cow<'a, str>>, target: impl Into<Cow<'a, str>>) -> Self {
        Record {
            method: method.into(),
            target: target.into(),
            ..Record::default()
        }
    }
}

/// Split an absolute `http(s)://host[:port]/path?query#frag` into scheme,
/// host and origin-form target (user info and fragment dropped). `None`
/// when it is not an absolute http(s) URL.
pub fn split_absolute(url: &str) -> Option<(Scheme, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = Scheme::parse(scheme)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // User info (`user:pass@`) is never kept.
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let target = &rest[end..];
    let target = if target.is_empty() || target.starts_with('#') {
        "/"
    } else {
        target
    };
    Some((scheme, host, target))
}

/// The host key of a suite: lower-case, no trailing dot, no default port.
/// `None` when it is not a plausible host[:port] (the record is skipped).
/// Borrows when the host is already in that form (the common case).
pub fn normalize_host(host: &str, scheme: Scheme) -> Option<Cow<'_, str>> {
    let h = host.trim().trim_end_matches('.');
    if h.is_empty() || h.len() > 255 {
        return None;
    }
    let ok = h
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']'));
    if !ok {
        return None;
    }
    // Split a port off; strip the scheme's default one.
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p))
            if !n.is_empty() && !n.ends_with(':') && p.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (n.trim_end_matches('.'), Some(p))
        }
        _ => (h, None),
    };
    if name.is_empty() || (name.contains(':') && !name.starts_with('[')) {
        return None;
    }
    let keep: Cow<str> = match port {
        Some(p) if p.is_empty() || p.len() > 5 => return None,
        Some(p) if p == scheme.default_port() => Cow::Borrowed(name),
        Some(p) if name.len() + 1 + p.len() == h.len() => Cow::Borrowed(h),
        Some(p) => Cow::Owned(format!("{name}:{p}")),
        None => Cow::Borrowed(name),
    };
    if keep.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(keep.to_ascii_lowercase()))
    } else {
        Some(keep)
    }
}

/// Percent-encode the bytes of a request target that may not appear raw in
/// a URL (controls, space, non-ASCII, `"<>\^`{|}`), and drop a fragment.
/// `%` is kept: targets are logged already encoded.
pub fn encode_target(raw: &[u8]) -> String {
    let raw = match raw.iter().position(|&b| b == b'#') {
        Some(i) => &raw[..i],
        None => raw,
    };
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        let keep = (0x21..=0x7e).contains(&b)
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `encode_target` without copying when nothing needs encoding.
pub fn clean_target(raw: &str) -> Cow<'_, str> {
    let needs = raw.bytes().any(|b| {
        !(0x21..=0x7e).contains(&b)
            || matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b'#'
            )
    });
    if needs {
        Cow::Owned(encode_target(raw.as_bytes()))
    } else {
        Cow::Borrowed(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls_lose_user_info_and_fragment() {
        assert_eq!(
            split_absolute("https://u:p@WWW.Example.com:8443/a/b?x=1#top"),
            Some((Scheme::Https, "WWW.Example.com:8443", "/a/b?x=1#top"))
        );
        assert_eq!(
            split_absolute("http://example.com"),
            Some((Scheme::Http, "example.com", "/"))
        );
        assert_eq!(
            split_absolute("http://example.com?q=1"),
            Some((Scheme::Http, "example.com", "?q=1"))
        );
        assert_eq!(split_absolute("ftp://example.com/"), None);
        assert_eq!(split_absolute("/just/a/path"), None);
    }

    #[test]
    fn hosts_are_normalised() {
        let n = |h| normalize_host(h, Scheme::Https).map(Cow::into_owned);
        assert_eq!(n("WWW.Example.COM."), Some("www.example.com".into()));
        assert_eq!(n("example.com:443"), Some("example.com".into()));
        assert_eq!(n("example.com:18443"), Some("example.com:18443".into()));
        assert_eq!(
            normalize_host("example.com:80", Scheme::Http),
            Some("example.com".into())
        );
        assert_eq!(
            n("WWW.Example.COM:8443"),
            Some("www.example.com:8443".into())
        );
        assert!(matches!(
            normalize_host("www.example.com:8443", Scheme::Https),
            Some(Cow::Borrowed(_))
        ));
        assert_eq!(n("bad host"), None);
        assert_eq!(n(""), None);
        assert_eq!(n("a/b"), None);
    }

    #[test]
    fn targets_are_percent_encoded_where_needed() {
        assert_eq!(
            encode_target(b"/a b/\xc3\xa9?q=\"x\"#frag"),
            "/a%20b/%C3%A9?q=%22x%22"
        );
        assert_eq!(
            encode_target(b"/ok/%20?a=1&b=${x}"),
            "/ok/%20?a=1&b=$%7Bx%7D"
        );
        assert!(matches!(clean_target("/plain?a=1"), Cow::Borrowed(_)));
    }

    #[test]
    fn cache_words() {
        assert_eq!(Cache::from_fastly_state("HIT-STALE"), Cache::Hit);
        assert_eq!(Cache::from_fastly_state("HIT-SYNTH"), Cache::NotHit);
        assert_eq!(Cache::from_fastly_state("HITPASS"), Cache::NotHit);
        assert_eq!(Cache::from_fastly_state("PASS"), Cache::NotHit);
        assert_eq!(Cache::from_cloudflare("revalidated"), Cache::Hit);
        assert_eq!(Cache::from_cloudflare("dynamic"), Cache::NotHit);
        assert_eq!(Cache::from_cloudflare("unknown"), Cache::Unknown);
        assert_eq!(
            Cache::from_response_header("X-Cache", "MISS, HIT"),
            Cache::Hit
        );
        assert_eq!(
            Cache::from_response_header("Cache-Status", "Origin; fwd=miss, Edge; hit"),
            Cache::Hit
        );
        assert_eq!(Cache::from_response_header("Age", "0"), Cache::Unknown);
    }
}
