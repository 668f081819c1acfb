//! What edgeparity knows about CDNs, kept as data.
//!
//! Everything vendor-specific lives here and nowhere else: which headers are
//! a provider's identity or per-request noise (left out of the header diff,
//! kept aside for the cache comparison), how its cache-status headers read,
//! and the fingerprint that proves a response really came from it.
//!
//! Sources are the providers' public documentation, collected in
//! `shared/provider-facts.md`; each table says where its values come from.

/// One provider's profile.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub kind: &'static str,
    /// Headers that identify the edge or carry its cache state. They differ
    /// per provider by nature, so they are never header differences; they are
    /// kept aside for the cache comparison.
    pub identity_headers: &'static [&'static str],
    /// Header whose presence (and optional regex match) proves the response
    /// came from this provider.
    pub fingerprint: Option<Fingerprint>,
    /// Headers where this provider reports its cache outcome, in priority order.
    pub cache_status_headers: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub header: &'static str,
    /// A regex the header's value must match; `None` means presence is enough.
    pub matches: Option<&'static str>,
    /// Human description, used in error messages.
    pub describe: &'static str,
}

/// Fastly. [fastly.com/documentation/reference/http/http-headers/X-Cache,
/// X-Served-By, X-Timer]
pub const FASTLY: Profile = Profile {
    kind: "fastly",
    identity_headers: &[
        "x-served-by",
        "x-cache",
        "x-cache-hits",
        "x-timer",
        "via",
        "fastly-debug-path",
        "fastly-debug-ttl",
        "fastly-debug-digest",
        "x-varnish",
        "fastly-restarts",
    ],
    // `X-Served-By: cache-<pop><node>-<POP>` (one entry per hop).
    fingerprint: Some(Fingerprint {
        header: "x-served-by",
        matches: Some(r"^cache-[A-Za-z0-9-]+(,\s*cache-[A-Za-z0-9-]+)*$"),
        describe: "an x-served-by: cache-… header",
    }),
    cache_status_headers: &["x-cache"],
};

/// Cloudflare. [developers.cloudflare.com/cache/concepts/cache-responses;
/// fundamentals/reference/http-headers]
pub const CLOUDFLARE: Profile = Profile {
    kind: "cloudflare",
    identity_headers: &[
        "cf-ray",
        "cf-cache-status",
        "server",
        "cf-apo-via",
        "cf-edge-cache",
        "cf-mitigated",
        "nel",
        "report-to",
        "alt-svc",
    ],
    // `CF-Ray: <16 hex>-<3-letter location>`.
    fingerprint: Some(Fingerprint {
        header: "cf-ray",
        matches: Some(r"^[0-9a-f]{16}-[A-Z]{3}$"),
        describe: "a cf-ray: <16 hex>-<LOC> header",
    }),
    cache_status_headers: &["cf-cache-status"],
};

/// Akamai. Its debug headers appear only with Pragma: akamai-x-* requests;
/// `Server: AkamaiGHost` and `X-Akamai-*` mark its answers by default.
/// [techdocs.akamai.com/edge-diagnostics/docs/pragma-headers]
pub const AKAMAI: Profile = Profile {
    kind: "akamai",
    identity_headers: &[
        "server",
        "x-cache",
        "x-cache-key",
        "x-check-cacheable",
        "x-akamai-request-id",
        "x-akamai-transformed",
        "x-akamai-staging",
        "akamai-grn",
        "x-serial",
        "server-timing",
    ],
    fingerprint: Some(Fingerprint {
        header: "server",
        matches: Some(r"^AkamaiGHost|^AkamaiNetStorage"),
        describe: "a server: AkamaiGHost header",
    }),
    cache_status_headers: &["x-cache"],
};

/// Amazon CloudFront. `X-Amz-Cf-Id` and `X-Amz-Cf-Pop` are on every answer;
/// `X-Cache: Hit from cloudfront | Miss from cloudfront | RefreshHit …`.
/// [docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html]
pub const CLOUDFRONT: Profile = Profile {
    kind: "cloudfront",
    identity_headers: &["x-amz-cf-id", "x-amz-cf-pop", "x-cache", "via"],
    fingerprint: Some(Fingerprint {
        header: "x-amz-cf-id",
        matches: None,
        describe: "an x-amz-cf-id header",
    }),
    cache_status_headers: &["x-cache"],
};

/// A provider kind edgeparity has no built-in knowledge of: no identity
/// headers, no fingerprint (a loud warning is printed).
pub const UNKNOWN: Profile = Profile {
    kind: "unknown",
    identity_headers: &[],
    fingerprint: None,
    cache_status_headers: &[],
};

pub const KNOWN: &[Profile] = &[FASTLY, CLOUDFLARE, AKAMAI, CLOUDFRONT];

/// The profile for a provider kind (its config name unless `kind:` says).
pub fn profile(kind: &str) -> Profile {
    KNOWN
        .iter()
        .find(|p| p.kind.eq_ignore_ascii_case(kind))
        .copied()
        .unwrap_or(UNKNOWN)
}

/// A provider's fingerprint, ready to check: a header every answer from
/// it must carry, optionally matching a pattern. Built once per run.
#[derive(Debug, Clone)]
pub enum FingerprintCheck {
    /// Checking turned off (the run says so loudly).
    Off,
    Header {
        header: String,
        regex: Option<regex::Regex>,
        describe: String,
    },
}

impl FingerprintCheck {
    /// The built-in fingerprint of a profile, or `None` for a kind with no
    /// fingerprint. The patterns are our own data, compiled by a test.
    pub fn builtin(profile: &Profile) -> Option<Result<FingerprintCheck, regex::Error>> {
        let fp = profile.fingerprint?;
        let regex = match fp.matches.map(regex::Regex::new).transpose() {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(FingerprintCheck::Header {
            header: fp.header.to_string(),
            regex,
            describe: fp.describe.to_string(),
        }))
    }

    /// A user's fingerprint: a header, and a pattern already compiled when
    /// the config was read.
    pub fn custom(header: &str, regex: Option<regex::Regex>) -> FingerprintCheck {
        let describe = match &regex {
            Some(m) => format!("a {header} header matching /{}/", m.as_str()),
            None => format!("a {header} header"),
        };
        FingerprintCheck::Header {
            header: header.to_string(),
            regex,
            describe,
        }
    }

    /// Do these response headers (lower-case names) prove the answer came
    /// from the provider? `Err` says why not, and what was expected.
    pub fn check(&self, headers: &[(String, String)]) -> Result<(), String> {
        let FingerprintCheck::Header {
            header,
            regex,
            describe,
        } = self
        else {
            return Ok(());
        };
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == header)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            return Err(format!("no {header} header (expected {describe})"));
        }
        if let Some(re) = regex {
            if !values.iter().any(|v| re.is_match(v.trim())) {
                return Err(format!(
                    "{header}: {} (expected {describe})",
                    values.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Headers that belong to the connection, not the resource (RFC 9110 §7.6.1,
/// RFC 9112): never differences.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

/// Per-request noise on every provider: values that change with each answer.
/// `age` is cache state: set aside for the cache comparison.
pub const NOISE: &[&str] = &["date", "age", "cache-status"];

/// Standard headers whose value is a comma-separated list whose order does
/// not matter: compared as sets of lower-cased members (RFC 9110).
pub const SET_VALUED: &[&str] = &[
    "vary",
    "cache-control",
    "allow",
    "accept-ranges",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-expose-headers",
    "content-language",
    "pragma",
    "timing-allow-origin",
];

/// Headers where several field lines are distinct values, not one list
/// (RFC 9110 §5.3: Set-Cookie cannot be combined): compared as multisets of
/// whole lines.
pub const MULTI_LINE: &[&str] = &["set-cookie"];

/// Request and response headers whose values are secrets: never written in
/// clear to a report, golden file or log.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
];

/// Is `name` (lower case) an identity header of either profile?
pub fn is_identity(name: &str, profiles: &[Profile]) -> bool {
    profiles.iter().any(|p| p.identity_headers.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_regexes_compile_and_match_documented_values() {
        let cases = [
            (FASTLY, "cache-lhr7380-LHR"),
            (FASTLY, "cache-iad-kiad7000054-IAD, cache-lhr7380-LHR"),
            (CLOUDFLARE, "8e6f3b1c2a9d4e5f-LHR"),
            (AKAMAI, "AkamaiGHost"),
        ];
        for (p, value) in cases {
            let fp = p.fingerprint.unwrap();
            let re = regex::Regex::new(fp.matches.unwrap()).unwrap();
            assert!(re.is_match(value), "{} should match {value}", p.kind);
        }
        let cf = regex::Regex::new(CLOUDFLARE.fingerprint.unwrap().matches.unwrap()).unwrap();
        assert!(!cf.is_match("nginx"));
        assert!(!cf.is_match("8e6f3b1c2a9d4e5-LHR"), "15 hex digits");
    }

    #[test]
    fn profiles_by_kind() {
        assert_eq!(profile("Fastly").kind, "fastly");
        assert_eq!(profile("new-cdn").kind, "unknown");
        assert!(is_identity("cf-ray", &[FASTLY, CLOUDFLARE]));
        assert!(!is_identity("cf-ray", &[FASTLY]));
    }
}

// ---------------------------------------------------------------------------
// Cache outcomes
// ---------------------------------------------------------------------------

/// One vocabulary for what a cache did, whatever the vendor's words.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CacheOutcome {
    Hit,
    Miss,
    /// Bypass: the cache was not consulted or not allowed to store.
    Pass,
    Stale,
    Expired,
    Revalidated,
    Updating,
    /// Not eligible for caching at all (Cloudflare DYNAMIC).
    Uncacheable,
    Unknown,
}

impl CacheOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
            CacheOutcome::Pass => "pass",
            CacheOutcome::Stale => "stale",
            CacheOutcome::Expired => "expired",
            CacheOutcome::Revalidated => "revalidated",
            CacheOutcome::Updating => "updating",
            CacheOutcome::Uncacheable => "uncacheable",
            CacheOutcome::Unknown => "unknown",
        }
    }

    pub const ALL: [CacheOutcome; 9] = [
        CacheOutcome::Hit,
        CacheOutcome::Miss,
        CacheOutcome::Pass,
        CacheOutcome::Stale,
        CacheOutcome::Expired,
        CacheOutcome::Revalidated,
        CacheOutcome::Updating,
        CacheOutcome::Uncacheable,
        CacheOutcome::Unknown,
    ];

    pub fn parse(s: &str) -> Option<CacheOutcome> {
        CacheOutcome::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// A vendor value (upper-cased, exact or prefix) and what it means.
type Vocabulary = &'static [(&'static str, CacheOutcome)];

/// Fastly `X-Cache`: only HIT or MISS. A pass reads MISS; synthetic and stale
/// answers read HIT. With shielding (or restarts), one value per server,
/// comma-separated, and "any entries in this header except MISS indicate
/// that the request was satisfied from cache and not forwarded to origin"
/// [fastly.com/documentation/reference/http/http-headers/X-Cache, re-checked
/// 2026-11]: `MISS, HIT` and `HIT, MISS` are both hits. See `read_cache`.
pub const FASTLY_X_CACHE: Vocabulary = &[
    ("HIT", CacheOutcome::Hit),
    ("MISS", CacheOutcome::Miss),
    // Older VCL services and some custom ones emit these.
    ("PASS", CacheOutcome::Pass),
    ("HIT-STALE", CacheOutcome::Stale),
    ("HIT-SYNTH", CacheOutcome::Hit),
];

/// Cloudflare `CF-Cache-Status`. [cloudflare cache/concepts/cache-responses]
pub const CLOUDFLARE_CF_CACHE_STATUS: Vocabulary = &[
    ("HIT", CacheOutcome::Hit),
    ("MISS", CacheOutcome::Miss),
    ("EXPIRED", CacheOutcome::Expired),
    ("STALE", CacheOutcome::Stale),
    ("BYPASS", CacheOutcome::Pass),
    ("REVALIDATED", CacheOutcome::Revalidated),
    ("UPDATING", CacheOutcome::Updating),
    ("DYNAMIC", CacheOutcome::Uncacheable),
    ("NONE", CacheOutcome::Unknown),
    ("UNKNOWN", CacheOutcome::Unknown),
];

/// Akamai `X-Cache` (with Pragma: akamai-x-cache-on): `TCP_HIT from …`.
/// Longest prefixes first. [techdocs.akamai.com pragma headers]
pub const AKAMAI_X_CACHE: Vocabulary = &[
    ("TCP_REFRESH_HIT", CacheOutcome::Revalidated),
    ("TCP_REFRESH_MISS", CacheOutcome::Expired),
    ("TCP_REFRESH_FAIL_HIT", CacheOutcome::Stale),
    ("TCP_IMS_HIT", CacheOutcome::Hit),
    ("TCP_NEGATIVE_HIT", CacheOutcome::Hit),
    ("TCP_MEM_HIT", CacheOutcome::Hit),
    ("TCP_HIT", CacheOutcome::Hit),
    ("TCP_MISS", CacheOutcome::Miss),
    ("TCP_DENIED", CacheOutcome::Unknown),
    ("TCP_COOKIE_DENY", CacheOutcome::Pass),
];

/// CloudFront `X-Cache`: `Hit from cloudfront`, `RefreshHit from cloudfront`…
/// [docs.aws.amazon.com CloudFront response headers]
pub const CLOUDFRONT_X_CACHE: Vocabulary = &[
    ("REFRESHHIT", CacheOutcome::Revalidated),
    ("HIT", CacheOutcome::Hit),
    ("MISS", CacheOutcome::Miss),
    ("REDIRECT", CacheOutcome::Unknown),
    ("ERROR", CacheOutcome::Unknown),
    ("LAMBDAGENERATEDRESPONSE", CacheOutcome::Unknown),
    ("FUNCTIONGENERATEDRESPONSE", CacheOutcome::Unknown),
];

/// The vocabulary of a provider kind's cache-status header.
pub fn vocabulary(kind: &str) -> Vocabulary {
    match kind {
        "fastly" => FASTLY_X_CACHE,
        "cloudflare" => CLOUDFLARE_CF_CACHE_STATUS,
        "akamai" => AKAMAI_X_CACHE,
        "cloudfront" => CLOUDFRONT_X_CACHE,
        _ => &[],
    }
}

fn lookup(vocab: Vocabulary, value: &str) -> CacheOutcome {
    let v = value.trim().to_ascii_uppercase();
    let word = v.split_whitespace().next().unwrap_or_default();
    vocab
        .iter()
        .find(|(k, _)| *k == word)
        .or_else(|| vocab.iter().find(|(k, _)| word.starts_with(k)))
        .map(|(_, o)| *o)
        .unwrap_or(CacheOutcome::Unknown)
}

/// RFC 9211 `Cache-Status`: a list of cache entries, the last nearest the
/// client, each `name; hit` or `name; fwd=<reason>[; fwd-status=N][; stored]`.
pub fn rfc9211(value: &str) -> Option<CacheOutcome> {
    use sfv::{BareItem, ListEntry, Parser};
    // A structured-field List (RFC 8941/9651): cache names may be quoted
    // strings holding `,` or `;`, so only a real parser splits it right.
    let list: sfv::List = Parser::new(value.trim()).parse().ok()?;
    let ListEntry::Item(last) = list.last()? else {
        return None;
    };
    let get = |k: &str| {
        last.params
            .iter()
            .find(|(n, _)| n.as_str() == k)
            .map(|(_, v)| v)
    };
    let integer = |v: &BareItem| v.as_integer().map(i64::from);
    let token = |v: &BareItem| {
        v.as_token()
            .map(|t| t.as_str().to_ascii_lowercase())
            .or_else(|| v.as_string().map(|s| s.as_str().to_ascii_lowercase()))
    };
    if get("hit").is_some_and(|v| v.as_boolean() != Some(false)) {
        let stale = get("ttl").and_then(integer).is_some_and(|t| t < 0);
        return Some(if stale {
            CacheOutcome::Stale
        } else {
            CacheOutcome::Hit
        });
    }
    let fwd = get("fwd").and_then(token);
    let fwd_status = get("fwd-status").and_then(integer);
    Some(match fwd.as_deref() {
        Some("bypass") | Some("method") | Some("request") => CacheOutcome::Pass,
        Some("stale") if fwd_status == Some(304) => CacheOutcome::Revalidated,
        Some("stale") => CacheOutcome::Expired,
        Some("uri-miss") | Some("vary-miss") | Some("miss") => CacheOutcome::Miss,
        Some("partial") => CacheOutcome::Miss,
        _ => CacheOutcome::Unknown,
    })
}

/// A response's cache outcome, with the raw values it was read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CacheReading {
    pub outcome: CacheOutcome,
    /// Header name → raw value, for every cache header present.
    pub raw: std::collections::BTreeMap<String, String>,
    pub age: Option<u64>,
}

/// Read the cache outcome from a response's headers (lower-case names).
/// The provider's own header wins; RFC 9211 `Cache-Status` is the fallback.
pub fn read_cache(kind: &str, headers: &[(String, String)]) -> CacheReading {
    let get = |name: &str| -> Option<String> {
        let vals: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!vals.is_empty()).then(|| vals.join(", "))
    };
    let mut raw = std::collections::BTreeMap::new();
    let mut names: Vec<&str> = profile(kind).cache_status_headers.to_vec();
    for extra in ["cache-status", "x-cache-hits", "age"] {
        if !names.contains(&extra) {
            names.push(extra);
        }
    }
    for n in names {
        if let Some(v) = get(n) {
            raw.insert(n.to_string(), v);
        }
    }
    let age = get("age").and_then(|a| a.trim().parse::<u64>().ok());
    let vocab = vocabulary(kind);
    let own = profile(kind)
        .cache_status_headers
        .iter()
        .find_map(|h| get(h))
        .map(|v| {
            let hops: Vec<CacheOutcome> = v.split(',').map(|h| lookup(vocab, h)).collect();
            if kind == "fastly" {
                // Any HIT entry: served from a cache (shield or edge), not origin.
                if hops.contains(&CacheOutcome::Hit) {
                    CacheOutcome::Hit
                } else {
                    hops.last().copied().unwrap_or(CacheOutcome::Unknown)
                }
            } else {
                // Otherwise the last entry is the cache nearest the client.
                hops.last().copied().unwrap_or(CacheOutcome::Unknown)
            }
        });
    let outcome = match own {
        Some(o) if o != CacheOutcome::Unknown => o,
        other => get("cache-status")
            .and_then(|v| rfc9211(&v))
            .or(other)
            .unwrap_or(CacheOutcome::Unknown),
    };
    CacheReading { outcome, raw, age }
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use CacheOutcome::*;

    fn read(kind: &str, headers: &[(&str, &str)]) -> CacheOutcome {
        let h: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        read_cache(kind, &h).outcome
    }

    #[test]
    fn fastly_x_cache_values_and_shielding() {
        assert_eq!(read("fastly", &[("x-cache", "HIT")]), Hit);
        assert_eq!(read("fastly", &[("x-cache", "MISS")]), Miss);
        // Shielding: any HIT entry means the origin was not asked.
        assert_eq!(read("fastly", &[("x-cache", "MISS, HIT")]), Hit);
        assert_eq!(read("fastly", &[("x-cache", "HIT, MISS")]), Hit);
        assert_eq!(read("fastly", &[("x-cache", "MISS, MISS")]), Miss);
        assert_eq!(
            read("fastly", &[("x-cache", "MISS"), ("x-cache", "HIT")]),
            Hit
        );
        assert_eq!(read("fastly", &[]), Unknown);
    }

    #[test]
    fn every_documented_cloudflare_value() {
        let cases = [
            ("HIT", Hit),
            ("MISS", Miss),
            ("EXPIRED", Expired),
            ("STALE", Stale),
            ("BYPASS", Pass),
            ("REVALIDATED", Revalidated),
            ("UPDATING", Updating),
            ("DYNAMIC", Uncacheable),
            ("NONE", Unknown),
            ("UNKNOWN", Unknown),
        ];
        for (v, o) in cases {
            assert_eq!(read("cloudflare", &[("cf-cache-status", v)]), o, "{v}");
        }
        assert_eq!(read("cloudflare", &[("cf-cache-status", "hit")]), Hit);
    }

    #[test]
    fn rfc9211_quoted_names_hold_commas_and_semicolons() {
        assert_eq!(
            rfc9211(r#"OriginCache; hit, "Edge, Paris; 2"; fwd=uri-miss; stored"#),
            Some(CacheOutcome::Miss)
        );
        assert_eq!(
            rfc9211(r#""Edge, Paris; 2"; fwd=miss, "CDN; one"; hit; ttl=30"#),
            Some(CacheOutcome::Hit)
        );
        // Not a structured field at all: no reading, never a guess.
        assert_eq!(rfc9211("hit;;;=="), None);
    }

    #[test]
    fn rfc9211_examples() {
        // The examples of RFC 9211 §2 and §3.
        assert_eq!(rfc9211("ExampleCache; hit"), Some(Hit));
        assert_eq!(rfc9211("ExampleCache; fwd=uri-miss"), Some(Miss));
        assert_eq!(rfc9211("ExampleCache; fwd=uri-miss; stored"), Some(Miss));
        assert_eq!(rfc9211("ExampleCache; fwd=vary-miss; stored"), Some(Miss));
        assert_eq!(
            rfc9211("ExampleCache; fwd=stale; fwd-status=304"),
            Some(Revalidated)
        );
        assert_eq!(
            rfc9211("ExampleCache; fwd=stale; fwd-status=200"),
            Some(Expired)
        );
        assert_eq!(rfc9211("ExampleCache; hit; ttl=-412"), Some(Stale));
        assert_eq!(rfc9211("ExampleCache; hit; ttl=30"), Some(Hit));
        assert_eq!(rfc9211("ExampleCache; fwd=bypass"), Some(Pass));
        assert_eq!(rfc9211("ExampleCache; fwd=method"), Some(Pass));
        assert_eq!(rfc9211("ExampleCache; fwd=request"), Some(Pass));
        // Two caches: origin-side first, client-side last.
        assert_eq!(
            rfc9211("OriginCache; hit; ttl=1100, \"CDN Company Here\"; fwd=uri-miss"),
            Some(Miss)
        );
        assert_eq!(
            rfc9211("OriginCache; fwd=uri-miss, CDN; hit; ttl=20"),
            Some(Hit)
        );
        // Fallback when the vendor header is absent.
        assert_eq!(read("unknown", &[("cache-status", "Edge; hit")]), Hit);
    }

    #[test]
    fn akamai_and_cloudfront() {
        assert_eq!(
            read(
                "akamai",
                &[(
                    "x-cache",
                    "TCP_MEM_HIT from a23-1-2-3.deploy.akamaitechnologies.com (AkamaiGHost/10.0)"
                )]
            ),
            Hit
        );
        assert_eq!(
            read("akamai", &[("x-cache", "TCP_REFRESH_MISS from a")]),
            Expired
        );
        assert_eq!(read("akamai", &[("x-cache", "TCP_MISS from a")]), Miss);
        assert_eq!(
            read("cloudfront", &[("x-cache", "Hit from cloudfront")]),
            Hit
        );
        assert_eq!(
            read("cloudfront", &[("x-cache", "RefreshHit from cloudfront")]),
            Revalidated
        );
        assert_eq!(
            read("cloudfront", &[("x-cache", "Miss from cloudfront")]),
            Miss
        );
    }

    #[test]
    fn raw_values_and_age_are_kept() {
        let h = vec![
            ("x-cache".to_string(), "MISS, HIT".to_string()),
            ("x-cache-hits".to_string(), "0, 3".to_string()),
            ("age".to_string(), "42".to_string()),
        ];
        let r = read_cache("fastly", &h);
        assert_eq!(r.outcome, Hit);
        assert_eq!(r.age, Some(42));
        assert_eq!(r.raw.get("x-cache").map(String::as_str), Some("MISS, HIT"));
        assert_eq!(r.raw.get("x-cache-hits").map(String::as_str), Some("0, 3"));
    }
}
