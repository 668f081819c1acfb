//! Turning a raw exchange into what is compared.
//!
//! Normalisation is an ordered list of steps, each one small and named, so a
//! reader (and a snapshot test) can see exactly what was set aside and why.
//! Steps are only ever appended: a later step never undoes an earlier one.
//! Nothing is dropped silently: what does not take part in the header diff
//! is kept in `aside` (identity, cache and per-request noise headers) for the
//! cache comparison and the report.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::Exchange;
use crate::provider::{self, Profile};

/// How a body was framed on the wire. Framing is not behaviour: it is never a
/// difference when the decoded bytes agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    Chunked,
    Length,
    /// HTTP/2 frames, or a body that ends with the connection.
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum NormBody {
    Empty,
    Json {
        value: serde_json::Value,
    },
    Text {
        text: String,
    },
    Binary {
        len: u64,
        sha256: String,
        bytes: Vec<u8>,
    },
    /// Over the size cap: length and digest of the decoded bytes, and
    /// their first `body_cap_bytes` (not stored, not serialized: only to say
    /// where two large bodies first differ).
    Digest {
        len: u64,
        sha256: String,
        #[serde(skip)]
        prefix: Vec<u8>,
    },
    /// The coding could not be undone.
    Undecodable {
        reason: String,
        raw_len: u64,
        raw_sha256: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Normalized {
    pub status: u16,
    /// Headers that take part in the comparison: lower-case names, values in
    /// order of arrival.
    pub headers: BTreeMap<String, Vec<String>>,
    /// Identity, cache-state and noise headers: not compared as headers.
    pub aside: BTreeMap<String, Vec<String>>,
    /// Headers the suite asked to ignore.
    pub ignored: BTreeSet<String>,
    /// The suite's `ignore_json` patterns that removed something here.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub ignored_json: BTreeSet<String>,
    pub framing: Framing,
    pub content_length: Option<String>,
    /// Body bytes actually received, as sent (before decoding); `None` for
    /// a recorded answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<u64>,
    pub encodings: Vec<String>,
    pub content_type: Option<String>,
    pub body: NormBody,
}

/// The rules a case adds to the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Shared with the case (and its suite's other cases).
    pub ignore_headers: std::sync::Arc<BTreeSet<String>>,
    pub ignore_json: Vec<String>,
}

/// One step of the normalisation, in the order applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Hop-by-hop headers describe the connection: removed, framing noted.
    HopByHop,
    /// Content-Length is framing: kept aside, compared only when it means
    /// something (see `compare`).
    ContentLength,
    /// Per-request noise on every provider (Date, Age, Cache-Status).
    Noise,
    /// Identity and cache headers of every provider in the comparison.
    Identity,
    /// The suite's `ignore_headers`.
    IgnoreHeaders,
    /// Decode and classify the body (JSON, text, binary, digest).
    Body,
    /// The suite's `ignore_json` pointers (`*` and `**` segments match any
    /// member at one level and at any depth).
    IgnoreJson,
}

pub const STEPS: &[Step] = &[
    Step::HopByHop,
    Step::ContentLength,
    Step::Noise,
    Step::Identity,
    Step::IgnoreHeaders,
    Step::Body,
    Step::IgnoreJson,
];

/// Normalise one exchange. `profiles` are the profiles of every provider in
/// the comparison: an identity header of either side is set aside on both.
pub fn normalize(ex: &Exchange, profiles: &[Profile], rules: &Rules) -> Normalized {
    let mut n = Normalized {
        status: ex.status,
        headers: BTreeMap::new(),
        aside: BTreeMap::new(),
        ignored: BTreeSet::new(),
        ignored_json: BTreeSet::new(),
        framing: Framing::Other,
        content_length: None,
        received: Some(ex.body.raw_len),
        encodings: ex.body.encodings.clone(),
        content_type: None,
        body: NormBody::Empty,
    };
    for (k, v) in &ex.headers {
        n.headers
            .entry(k.to_ascii_lowercase())
            .or_default()
            .push(v.clone());
    }
    n.content_type = n
        .headers
        .get("content-type")
        .and_then(|v| v.first())
        .cloned();
    for step in STEPS {
        apply(*step, &mut n, ex, profiles, rules);
    }
    n
}

fn apply(step: Step, n: &mut Normalized, ex: &Exchange, profiles: &[Profile], rules: &Rules) {
    match step {
        Step::HopByHop => {
            let chunked = n
                .headers
                .get("transfer-encoding")
                .map(|v| v.iter().any(|t| t.to_ascii_lowercase().contains("chunked")))
                .unwrap_or(false);
            n.framing = if chunked {
                Framing::Chunked
            } else if n.headers.contains_key("content-length") {
                Framing::Length
            } else {
                Framing::Other
            };
            for h in provider::HOP_BY_HOP {
                n.headers.remove(*h);
            }
            // Connection may name further hop-by-hop headers (RFC 9110 §7.6.1).
        }
        Step::ContentLength => {
            if let Some(v) = n.headers.remove("content-length") {
                n.content_length = v.first().cloned();
            }
        }
        Step::Noise => move_aside(n, provider::NOISE.iter().copied()),
        Step::Identity => {
            let names: Vec<&str> = profiles
                .iter()
                .flat_map(|p| p.identity_headers.iter().copied())
                .collect();
            move_aside(n, names.into_iter());
        }
        Step::IgnoreHeaders => {
            for h in rules.ignore_headers.iter() {
                if n.headers.remove(h).is_some() {
                    n.ignored.insert(h.clone());
                }
            }
        }
        Step::Body => n.body = classify_body(ex, n.content_type.as_deref()),
        Step::IgnoreJson => {
            if let NormBody::Json { value } = &mut n.body {
                for p in &rules.ignore_json {
                    if remove_matching(value, p) {
                        n.ignored_json.insert(p.clone());
                    }
                }
            }
        }
    }
}

fn move_aside<'a>(n: &mut Normalized, names: impl Iterator<Item = &'a str>) {
    for h in names {
        if let Some(v) = n.headers.remove(h) {
            n.aside.insert(h.to_string(), v);
        }
    }
}

/// The media type without parameters, lower case.
pub fn media_type(content_type: Option<&str>) -> Option<String> {
    content_type.map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

pub fn is_json_type(mt: &str) -> bool {
    mt == "application/json" || mt.ends_with("+json") || mt == "text/json"
}

pub fn is_text_type(mt: &str) -> bool {
    mt.starts_with("text/")
        || mt.ends_with("+xml")
        || matches!(
            mt,
            "application/javascript"
                | "application/ecmascript"
                | "application/xml"
                | "application/x-www-form-urlencoded"
                | "image/svg+xml"
                | "application/manifest+json"
        )
}

fn classify_body(ex: &Exchange, content_type: Option<&str>) -> NormBody {
    let b = &ex.body;
    if let Some(reason) = &b.decode_error {
        return NormBody::Undecodable {
            reason: reason.clone(),
            raw_len: b.raw_len,
            raw_sha256: b.raw_sha256.clone(),
        };
    }
    let Some(bytes) = &b.decoded else {
        return NormBody::Digest {
            len: b.decoded_len,
            sha256: b.decoded_sha256.clone(),
            prefix: b.prefix.clone(),
        };
    };
    if bytes.is_empty() {
        return NormBody::Empty;
    }
    let mt = media_type(content_type).unwrap_or_default();
    if is_json_type(&mt) {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
            return NormBody::Json { value };
        }
    }
    let texty = is_text_type(&mt) || is_json_type(&mt) || mt.is_empty();
    if texty {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return NormBody::Text {
                text: text.to_string(),
            };
        }
    }
    NormBody::Binary {
        len: b.decoded_len,
        sha256: b.decoded_sha256.clone(),
        bytes: bytes.clone(),
    }
}

/// One JSON Pointer reference token, escaped (RFC 6901: `~` → `~0`,
/// `/` → `~1`).
pub fn escape_token(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// One reference token, unescaped (`~1` → `/` first, then `~0` → `~`).
pub fn unescape_token(k: &str) -> String {
    k.replace("~1", "/").replace("~0", "~")
}

/// One segment of an `ignore_json` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// A member name or array index (unescaped).
    Key(String),
    /// `*`: every member or element of this level.
    Star,
    /// `**`: any depth below this point, this level included.
    Deep,
}

/// The segments of a JSON Pointer (RFC 6901) whose segments may be exactly
/// `*` or `**`. A segment is a wildcard only when it is exactly one of
/// those (before unescaping): `/a*` names the key `a*`.
fn segments(pattern: &str) -> Vec<Seg> {
    pattern
        .split('/')
        .skip(1)
        .map(|s| match s {
            "*" => Seg::Star,
            "**" => Seg::Deep,
            _ => Seg::Key(unescape_token(s)),
        })
        .collect()
}

/// Does `pattern` have a wildcard segment?
pub fn has_wildcard(pattern: &str) -> bool {
    segments(pattern)
        .iter()
        .any(|s| matches!(s, Seg::Star | Seg::Deep))
}

/// Remove every value an `ignore_json` pattern names: a JSON Pointer (RFC
/// 6901) whose segments may be `*` (any member or element, one level) or
/// `**` (any depth, none included: `/**/ts` is every `ts`, the top level's
/// too). Returns whether anything was removed. The empty pointer names the
/// whole document (it becomes `null`).
pub fn remove_matching(value: &mut serde_json::Value, pattern: &str) -> bool {
    if pattern.is_empty() {
        *value = serde_json::Value::Null;
        return true;
    }
    remove_segs(value, &segments(pattern))
}

/// Remove the one value a JSON Pointer (RFC 6901) names, if it exists: no
/// wildcards (a learned pointer may name a key `*`).
pub fn remove_pointer(value: &mut serde_json::Value, pointer: &str) -> bool {
    if pointer.is_empty() {
        *value = serde_json::Value::Null;
        return true;
    }
    let segs: Vec<Seg> = pointer
        .split('/')
        .skip(1)
        .map(|s| Seg::Key(unescape_token(s)))
        .collect();
    remove_segs(value, &segs)
}

fn remove_segs(value: &mut serde_json::Value, segs: &[Seg]) -> bool {
    match segs {
        [] => false,
        [last] => remove_child(value, last),
        [Seg::Key(k), rest @ ..] => child_mut(value, k).is_some_and(|c| remove_segs(c, rest)),
        [Seg::Star, rest @ ..] => children_mut(value)
            .into_iter()
            .fold(false, |hit, c| remove_segs(c, rest) | hit),
        [Seg::Deep, rest @ ..] => {
            // This level first, then every child with `**` still ahead.
            let here = remove_segs(value, rest);
            children_mut(value)
                .into_iter()
                .fold(here, |hit, c| remove_segs(c, segs) | hit)
        }
    }
}

/// Remove the child `seg` names; a trailing `*` or `**` removes every
/// child.
fn remove_child(value: &mut serde_json::Value, seg: &Seg) -> bool {
    use serde_json::Value;
    match (value, seg) {
        (Value::Object(map), Seg::Key(k)) => map.shift_remove(k).is_some(),
        (Value::Array(items), Seg::Key(k)) => match k.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        (Value::Object(map), Seg::Star | Seg::Deep) => {
            let hit = !map.is_empty();
            map.clear();
            hit
        }
        (Value::Array(items), Seg::Star | Seg::Deep) => {
            let hit = !items.is_empty();
            items.clear();
            hit
        }
        _ => false,
    }
}

fn child_mut<'a>(value: &'a mut serde_json::Value, key: &str) -> Option<&'a mut serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map.get_mut(key),
        serde_json::Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    }
}

fn children_mut(value: &mut serde_json::Value) -> Vec<&mut serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map.values_mut().collect(),
        serde_json::Value::Array(items) => items.iter_mut().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::exec::capture;
    use crate::model::Timing;
    use crate::provider::{CLOUDFLARE, FASTLY};

    pub(crate) fn exchange(headers: &[(&str, &str)], body: &[u8]) -> Exchange {
        let encodings: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
            .map(|(_, v)| v.to_string())
            .collect();
        Exchange {
            method: "GET".into(),
            request_headers: Vec::new(),
            request_body: None,
            provider: "p".into(),
            url: "https://www.example.test/".into(),
            status: 200,
            version: "HTTP/1.1".into(),
            remote_addr: None,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: capture(body, &encodings, 1 << 20),
            timing: Timing {
                ttfb_ms: 1.0,
                total_ms: 2.0,
            },
        }
    }

    #[test]
    fn steps_set_aside_noise_identity_and_framing() {
        let ex = exchange(
            &[
                ("Date", "Mon, 23 Nov 2026 10:00:00 GMT"),
                ("Content-Type", "application/json"),
                ("Content-Length", "40"),
                ("Connection", "keep-alive"),
                ("X-Served-By", "cache-lhr1-LHR"),
                ("X-Cache", "MISS"),
                ("CF-Ray", "0123456789abcdef-LHR"),
                ("Set-Cookie", "a=1"),
                ("X-Request-Id", "r1"),
                ("Cache-Control", "max-age=60"),
            ],
            br#"{"id":1,"request_id":"abc","nested":{"t":1,"keep":2}}"#,
        );
        let rules = Rules {
            ignore_headers: std::sync::Arc::new(["x-request-id".to_string()].into()),
            ignore_json: vec!["/request_id".into(), "/nested/t".into(), "/nope/x".into()],
        };
        let n = normalize(&ex, &[FASTLY, CLOUDFLARE], &rules);
        insta::assert_yaml_snapshot!(n, @r#"
        status: 200
        headers:
          cache-control:
            - max-age=60
          content-type:
            - application/json
          set-cookie:
            - a=1
        aside:
          cf-ray:
            - 0123456789abcdef-LHR
          date:
            - "Mon, 23 Nov 2026 10:00:00 GMT"
          x-cache:
            - MISS
          x-served-by:
            - cache-lhr1-LHR
        ignored:
          - x-request-id
        ignored_json:
          - /nested/t
          - /request_id
        framing: length
        content_length: "40"
        received: 53
        encodings: []
        content_type: application/json
        body:
          type: json
          value:
            id: 1
            nested:
              keep: 2
        "#);
    }

    #[test]
    fn bodies_are_classified() {
        let kind = |ct: &str, body: &[u8]| {
            let n = normalize(
                &exchange(&[("content-type", ct)], body),
                &[],
                &Rules::default(),
            );
            match n.body {
                NormBody::Json { .. } => "json",
                NormBody::Text { .. } => "text",
                NormBody::Binary { .. } => "binary",
                NormBody::Empty => "empty",
                _ => "other",
            }
        };
        assert_eq!(kind("application/json; charset=utf-8", b"[1]"), "json");
        assert_eq!(kind("application/problem+json", b"{}"), "json");
        assert_eq!(kind("application/json", b"{not json"), "text");
        assert_eq!(kind("text/html", "<p>é</p>".as_bytes()), "text");
        assert_eq!(kind("image/png", b"\x89PNG"), "binary");
        assert_eq!(kind("text/plain", b"\xff\xfe"), "binary");
        assert_eq!(kind("text/plain", b""), "empty");
    }

    #[test]
    fn pointer_removal_handles_escapes_and_arrays() {
        let mut v = serde_json::json!({"a/b": 1, "m~n": 2, "arr": [0, 1, 2]});
        assert!(remove_matching(&mut v, "/a~1b"));
        assert!(remove_matching(&mut v, "/m~0n"));
        assert!(remove_matching(&mut v, "/arr/1"));
        assert!(!remove_matching(&mut v, "/arr/9"));
        assert!(!remove_matching(&mut v, "/nope/x"));
        assert_eq!(v, serde_json::json!({"arr": [0, 2]}));
    }

    #[test]
    fn a_star_is_one_level_and_a_double_star_any_depth() {
        let doc = serde_json::json!({
            "ts": 1,
            "items": [{"id": 1, "ts": 2}, {"id": 2, "ts": 3, "meta": {"ts": 4}}],
            "by_id": {"a": {"ts": 5, "keep": true}},
            "a*": 6
        });
        let mut v = doc.clone();
        assert!(remove_matching(&mut v, "/items/*/ts"));
        assert_eq!(
            v["items"],
            serde_json::json!([{"id": 1}, {"id": 2, "meta": {"ts": 4}}])
        );
        assert_eq!(v["ts"], 1, "one level only");
        let mut v = doc.clone();
        assert!(remove_matching(&mut v, "/by_id/*/ts"));
        assert_eq!(v["by_id"], serde_json::json!({"a": {"keep": true}}));
        let mut v = doc.clone();
        assert!(remove_matching(&mut v, "/**/ts"));
        assert_eq!(
            v,
            serde_json::json!({
                "items": [{"id": 1}, {"id": 2, "meta": {}}],
                "by_id": {"a": {"keep": true}},
                "a*": 6
            })
        );
        let mut v = doc.clone();
        assert!(remove_matching(&mut v, "/items/**/ts"));
        assert_eq!(v["ts"], 1);
        assert_eq!(v["by_id"]["a"]["ts"], 5);
        assert_eq!(v["items"][1]["meta"], serde_json::json!({}));
        // A trailing wildcard empties the level; only an exact `*` is one.
        let mut v = doc.clone();
        assert!(remove_matching(&mut v, "/items/*"));
        assert_eq!(v["items"], serde_json::json!([]));
        let mut v = doc.clone();
        assert!(remove_matching(&mut v, "/a*"));
        assert!(v.get("a*").is_none());
        let mut v = doc;
        assert!(!remove_matching(&mut v, "/**/nothing"));
        assert!(!remove_matching(&mut v, "/ts/*"));
        assert!(has_wildcard("/a/**/b") && !has_wildcard("/a*/b"));
        // A learned pointer is exact: `*` is then a key.
        let mut v = serde_json::json!({"*": 1, "b": 2});
        assert!(remove_pointer(&mut v, "/*"));
        assert_eq!(v, serde_json::json!({"b": 2}));
    }
}
