//! The requests that follow a GET on its URL (`conditional`, `range`,
//! `head`), compared.
//!
//! CDNs differ on these more than on the GET itself: one answers a
//! revalidation with 304 and another with the whole body, one serves a
//! range as 206 and another ignores it, one answers HEAD unlike its GET. So
//! each follow-up is judged as its own kind (`conditional`, `range`,
//! `head`), with the field naming what differs (`status`, a header, `body`,
//! `validators`):
//! - a status that differs is said once, without the header and body noise
//!   that follows from it (a 304 has no body); a range also says how its
//!   `Content-Range` differs;
//! - with equal statuses the answers are compared as usual, minus what the
//!   GET comparison already reported (a weakened ETag shows on every
//!   answer, it is reported once); two 304s are compared only on the
//!   headers a 304 carries (RFC 9110 §15.4.5);
//! - a HEAD is also checked against the provider's own GET: same status,
//!   same headers, no body. That is the provider's own finding, even when
//!   every provider agrees.

use crate::compare::compare;
use crate::model::{Difference, Kind, Label, Noise, AGAINST_OWN_GET};
use crate::normalize::{NormBody, Normalized};

/// The headers a 304 carries (RFC 9110 §15.4.5), and Last-Modified.
pub const NOT_MODIFIED_HEADERS: &[&str] = &[
    "cache-control",
    "content-location",
    "etag",
    "expires",
    "last-modified",
    "vary",
];

/// The difference kind of a follow-up request's label.
pub fn kind_of(label: Label) -> Option<Kind> {
    match label {
        Label::Conditional => Some(Kind::Conditional),
        Label::Range => Some(Kind::Range),
        Label::Head => Some(Kind::Head),
        _ => None,
    }
}

/// Which validators an answer carries, by header name: `etag`,
/// `last-modified` (what a client can revalidate with).
pub fn validators<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let names: Vec<String> = names.map(|n| n.to_ascii_lowercase()).collect();
    ["etag", "last-modified"]
        .into_iter()
        .filter(|v| names.iter().any(|n| n == v))
        .map(str::to_string)
        .collect()
}

/// The validators two providers' GETs returned, compared.
pub fn validator_diff(baseline: &str, b: &[String], p: &str, c: &[String]) -> Option<Difference> {
    if b == c {
        return None;
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    Some(
        Difference::new(
            p,
            Kind::Conditional,
            Some("validators".into()),
            Some(list(b)),
            Some(list(c)),
            format!(
                "validators returned with the GET: {} on {baseline}, {} on {p}",
                list(b),
                list(c)
            ),
        )
        .with_context("conditional"),
    )
}

/// Is `d` the difference `g` the GET comparison already reported?
fn same(g: &Difference, d: &Difference) -> bool {
    g.kind == d.kind && g.field == d.field && g.baseline == d.baseline && g.candidate == d.candidate
}

/// A comparison's difference as a follow-up's: its kind, the field naming
/// the status, the header or the body, and the request as context.
fn as_followup(d: Difference, kind: Kind, context: &str) -> Difference {
    let field = match d.kind {
        Kind::Status => Some("status".to_string()),
        Kind::Body => Some(d.field.clone().unwrap_or_else(|| "body".into())),
        _ => d.field.clone(),
    };
    Difference {
        kind,
        field,
        context: Some(context.to_string()),
        ..d
    }
}

/// Only the headers a 304 carries, and no body.
fn not_modified_view(n: &Normalized) -> Normalized {
    let mut v = n.clone();
    v.headers
        .retain(|k, _| NOT_MODIFIED_HEADERS.contains(&k.as_str()));
    v.body = NormBody::Empty;
    v
}

/// One follow-up's answers, baseline against candidate. `context` names the
/// request (`conditional`, `range: bytes=0-99`, `head`); `get_diffs` are
/// the GET comparison's differences, not reported again.
#[allow(clippy::too_many_arguments)]
pub fn pair(
    kind: Kind,
    context: &str,
    baseline: &str,
    b: &Normalized,
    p: &str,
    c: &Normalized,
    get_diffs: &[Difference],
    noise: &mut Noise,
) -> Vec<Difference> {
    if b.status != c.status {
        let mut out = vec![Difference::new(
            p,
            kind,
            Some("status".into()),
            Some(b.status.to_string()),
            Some(c.status.to_string()),
            format!("status {} on {baseline}, {} on {p}", b.status, c.status),
        )
        .with_context(context)];
        let cr = |n: &Normalized| n.headers.get("content-range").map(|v| v.join(", "));
        if kind == Kind::Range && cr(b) != cr(c) {
            out.push(
                Difference::new(
                    p,
                    kind,
                    Some("content-range".into()),
                    cr(b),
                    cr(c),
                    format!("content-range differs between {baseline} and {p}"),
                )
                .with_context(context),
            );
        }
        return out;
    }
    let (b, c) = if b.status == 304 {
        (not_modified_view(b), not_modified_view(c))
    } else {
        (b.clone(), c.clone())
    };
    let found = compare(&b, &c, baseline, p);
    crate::noise::filter(noise, found, &b, &c)
        .into_iter()
        .filter(|d| !get_diffs.iter().any(|g| same(g, d)))
        .map(|d| as_followup(d, kind, context))
        .collect()
}

/// A provider's HEAD against its own GET: the same status and headers, and
/// no body. Volatile headers the case's noise knows are not differences.
pub fn head_vs_get(
    p: &str,
    get: &Normalized,
    head: &Normalized,
    noise: &mut Noise,
) -> Vec<Difference> {
    const CONTEXT: &str = AGAINST_OWN_GET;
    if get.status != head.status {
        return vec![Difference::new(
            p,
            Kind::Head,
            Some("status".into()),
            Some(get.status.to_string()),
            Some(head.status.to_string()),
            format!(
                "{p} answered HEAD with {}, its GET with {}",
                head.status, get.status
            ),
        )
        .with_context(CONTEXT)];
    }
    // The GET as a HEAD should look: no body, the same Content-Length.
    let mut as_head = get.clone();
    as_head.body = NormBody::Empty;
    as_head.received = Some(0);
    let found = compare(&as_head, head, p, p);
    crate::noise::filter(noise, found, &as_head, head)
        .into_iter()
        .map(|d| {
            let message = format!("HEAD: {} (against its own GET)", d.message);
            Difference {
                message,
                ..as_followup(d, Kind::Head, CONTEXT)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{normalize, tests::exchange, Rules};

    fn norm(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Normalized {
        let mut ex = exchange(headers, body);
        ex.status = status;
        normalize(&ex, &[], &Rules::default())
    }

    #[test]
    fn a_status_that_differs_is_said_once_with_the_content_range() {
        let b = norm(
            206,
            &[
                ("content-type", "text/plain"),
                ("content-range", "bytes 0-9/100"),
            ],
            b"0123456789",
        );
        let c = norm(200, &[("content-type", "text/plain")], &[b'x'; 100]);
        let found = pair(
            Kind::Range,
            "range: bytes=0-9",
            "fastly",
            &b,
            "cloudflare",
            &c,
            &[],
            &mut Noise::default(),
        );
        let got: Vec<(Kind, &str, Option<&str>, Option<&str>)> = found
            .iter()
            .map(|d| {
                (
                    d.kind,
                    d.field.as_deref().unwrap(),
                    d.baseline.as_deref(),
                    d.candidate.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::Range, "status", Some("206"), Some("200")),
                (Kind::Range, "content-range", Some("bytes 0-9/100"), None),
            ]
        );
        assert_eq!(found[0].context.as_deref(), Some("range: bytes=0-9"));
    }

    #[test]
    fn equal_statuses_compare_as_usual_without_what_the_get_reported() {
        let b = norm(
            304,
            &[("etag", "\"v1\""), ("content-type", "text/css")],
            b"",
        );
        let c = norm(304, &[("etag", "W/\"v1\""), ("x-extra", "1")], b"");
        let get_diff = compare(
            &norm(200, &[("etag", "\"v1\"")], b"x"),
            &norm(200, &[("etag", "W/\"v1\"")], b"x"),
            "fastly",
            "cloudflare",
        );
        assert_eq!(get_diff.len(), 1);
        // Two 304s: only the headers a 304 carries; the ETag already said.
        let found = pair(
            Kind::Conditional,
            "conditional",
            "fastly",
            &b,
            "cloudflare",
            &c,
            &get_diff,
            &mut Noise::default(),
        );
        assert!(found.is_empty(), "{found:?}");
        let c = norm(
            304,
            &[("etag", "W/\"v1\""), ("cache-control", "no-cache")],
            b"",
        );
        let found = pair(
            Kind::Conditional,
            "conditional",
            "fastly",
            &b,
            "cloudflare",
            &c,
            &get_diff,
            &mut Noise::default(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, Kind::Conditional);
        assert_eq!(found[0].field.as_deref(), Some("cache-control"));
    }

    #[test]
    fn a_head_must_answer_like_its_get_without_a_body() {
        let get = norm(
            200,
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("cache-control", "max-age=60"),
            ],
            b"hello",
        );
        let same = norm(
            200,
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("cache-control", "max-age=60"),
            ],
            b"",
        );
        assert!(head_vs_get("cloudflare", &get, &same, &mut Noise::default()).is_empty());
        let refused = norm(405, &[("allow", "GET")], b"");
        let found = head_vs_get("cloudflare", &get, &refused, &mut Noise::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field.as_deref(), Some("status"));
        assert_eq!(
            found[0].message,
            "cloudflare answered HEAD with 405, its GET with 200"
        );
        let other = norm(
            200,
            &[
                ("content-type", "text/html"),
                ("content-length", "7"),
                ("cache-control", "max-age=60"),
            ],
            b"",
        );
        let found = head_vs_get("cloudflare", &get, &other, &mut Noise::default());
        let fields: Vec<&str> = found.iter().map(|d| d.field.as_deref().unwrap()).collect();
        assert_eq!(fields, vec!["content-type", "content-length"], "{found:?}");
        assert!(found.iter().all(|d| d.kind == Kind::Head));
    }

    #[test]
    fn validators_are_listed_in_one_order() {
        let v = validators(["Last-Modified", "content-type", "ETag"].into_iter());
        assert_eq!(v, vec!["etag", "last-modified"]);
        let d = validator_diff("fastly", &v, "cloudflare", &v[1..]).unwrap();
        assert_eq!(d.candidate.as_deref(), Some("last-modified"));
        assert!(validator_diff("fastly", &v, "cloudflare", &v).is_none());
        let d = validator_diff("fastly", &v, "cloudflare", &[]).unwrap();
        assert_eq!(d.candidate.as_deref(), Some("none"));
    }
}
