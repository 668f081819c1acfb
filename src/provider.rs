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
