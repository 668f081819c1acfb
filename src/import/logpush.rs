//! Cloudflare Logpush `http_requests`, one JSON object per line (NDJSON).
//!
//! Read: `ClientRequestHost`, `ClientRequestMethod`, `ClientRequestURI`
//! (path and query), `ClientRequestScheme`, `EdgeResponseStatus`,
//! `CacheCacheStatus`, `EdgeResponseContentType`, `ClientRequestUserAgent`
//! (only whether there was one). Every other field is ignored, among them
//! `ClientIP`, and the custom `RequestHeaders`, `ResponseHeaders` and
//! `Cookies` fields, which carry secrets: they are skipped by the JSON
//! parser without being kept.

use std::borrow::Cow;

use serde::Deserialize;

use super::record::{clean_target, split_absolute, Cache, Record, Scheme};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "ClientRequestHost", borrow, default)]
    host: Option<Cow<'a, str>>,
    #[serde(rename = "ClientRequestMethod", borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(rename = "ClientRequestURI", borrow, default)]
    uri: Option<Cow<'a, str>>,
    #[serde(rename = "ClientRequestScheme", borrow, default)]
    scheme: Option<Cow<'a, str>>,
    #[serde(rename = "EdgeResponseStatus", default)]
    status: Option<i64>,
    #[serde(rename = "CacheCacheStatus", borrow, default)]
    cache: Option<Cow<'a, str>>,
    #[serde(rename = "EdgeResponseContentType", borrow, default)]
    content_type: Option<Cow<'a, str>>,
    #[serde(rename = "ClientRequestUserAgent", borrow, default)]
    user_agent: Option<Cow<'a, str>>,
}

pub fn parse(line: &str) -> Result<Record<'_>, &'static str> {
    let l: Line = serde_json::from_str(line).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            "not valid JSON"
        } else {
            "a Logpush field has the wrong type"
        }
    })?;
    let uri = l.uri.ok_or("no ClientRequestURI")?;
    let method = l.method.ok_or("no ClientRequestMethod")?;
    let mut r = Record::new(method, Cow::<str>::Borrowed(""));
    // ClientRequestURI is origin-form; an absolute one (proxy-style) is
    // split, its host used when ClientRequestHost is missing.
    let target: Cow<str> = match uri {
        Cow::Borrowed(u) => match split_absolute(u) {
            Some((s, h, t)) => {
                r.scheme = Some(s);
                r.host = Some(Cow::Borrowed(h));
                clean_target(t)
            }
            None => clean_target(u),
        },
        Cow::Owned(u) => Cow::Owned(match split_absolute(&u) {
            Some((s, h, t)) => {
                r.scheme = Some(s);
                r.host = Some(Cow::Owned(h.to_string()));
                clean_target(t).into_owned()
            }
            None => clean_target(&u).into_owned(),
        }),
    };
    r.target = target;
    if let Some(h) = l.host.filter(|h| !h.is_empty()) {
        r.host = Some(h);
    }
    if let Some(s) = l.scheme.as_deref().and_then(Scheme::parse) {
        r.scheme = Some(s);
    }
    r.status = l
        .status
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=999).contains(s));
    r.cache = l
        .cache
        .as_deref()
        .map_or(Cache::Unknown, Cache::from_cloudflare);
    r.content_type = l.content_type.filter(|c| !c.is_empty());
    r.user_agent = l.user_agent.is_some_and(|u| !u.is_empty());
    Ok(r)
}

/// Whether a JSON object's keys are Logpush's (for detection).
pub fn sniff(keys: &[String]) -> bool {
    keys.iter().any(|k| {
        k.starts_with("ClientRequest") || k.starts_with("EdgeResponse") || k == "CacheCacheStatus"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logpush_line() {
        let r = parse(r#"{"ClientIP":"198.51.100.7","ClientRequestHost":"www.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/a/b?c=1","ClientRequestScheme":"https","EdgeResponseStatus":200,"CacheCacheStatus":"hit","EdgeResponseContentType":"text/html","ClientRequestUserAgent":"Mozilla/5.0","RequestHeaders":{"cookie":"s=1"}}"#).unwrap();
        assert_eq!(r.host.as_deref(), Some("www.example.com"));
        assert_eq!((r.method.as_ref(), r.target.as_ref()), ("GET", "/a/b?c=1"));
        assert_eq!(
            (r.scheme, r.status, r.cache),
            (Some(Scheme::Https), Some(200), Cache::Hit)
        );
        assert_eq!(r.content_type.as_deref(), Some("text/html"));
        assert!(r.user_agent && !r.cookie);
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(parse("{").unwrap_err(), "not valid JSON");
        assert_eq!(
            parse(r#"{"ClientRequestMethod":"GET"}"#).unwrap_err(),
            "no ClientRequestURI"
        );
        assert_eq!(
            parse(
                r#"{"ClientRequestURI":"/","ClientRequestMethod":"GET","EdgeResponseStatus":"x"}"#
            )
            .unwrap_err(),
            "a Logpush field has the wrong type"
        );
        let r = parse(r#"{"ClientRequestURI":"/a\"b","ClientRequestMethod":"GET"}"#).unwrap();
        assert_eq!(r.target, "/a%22b");
    }
}
