//! Fastly real-time log streaming, JSON lines.
//!
//! (Fastly's default format, Apache common `%h %l %u %t "%r" %>s %b`, and
//! Apache combined are read by `clf`; they carry no host, so `--host` must
//! give it.)
//!
//! A JSON format is whatever the service's log format string writes, so the
//! keys are configurable. The defaults, tried in this order, follow Fastly's
//! own JSON examples:
//!
//! | field | keys tried | VCL it usually comes from |
//! |---|---|---|
//! | `host` | `host` | `req.http.host` (or `Fastly-Orig-Host`) |
//! | `url` | `url` | `req.url` (path and query; an absolute URL works too) |
//! | `method` | `method`, `request_method`, `request` | `req.method` |
//! | `status` | `status`, `response_status` | `resp.status` (number or string) |
//! | `cache_state` | `state`, `cache_state`, `response_state`, `fastly_info_state` | `fastly_info.state` (HIT, MISS, PASS, HIT-STALE, ...) |
//! | `scheme` | `scheme`, `protocol_scheme` | `if(req.is_ssl, "https", "http")` |
//! | `content_type` | `content_type`, `response_content_type` | `resp.http.content-type` |
//! | `user_agent` | `user_agent`, `request_user_agent` | `req.http.user-agent` (only its presence is used) |
//! | `accept` | `accept` | `req.http.accept` |
//! | `accept_encoding` | `accept_encoding` | `req.http.Fastly-Orig-Accept-Encoding` (Fastly normalises `Accept-Encoding`) |
//! | `accept_language` | `accept_language` | `req.http.accept-language` |
//!
//! `--field NAME=KEY` replaces the keys tried for NAME by KEY; a KEY with
//! dots (`request.host`) also walks nested objects. Every other key is
//! ignored (client IPs, cookies, geo data never reach a suite).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::record::{clean_target, split_absolute, Cache, Record, Scheme};

/// The logical fields and their default keys.
pub const FIELDS: &[(&str, &[&str])] = &[
    ("host", &["host"]),
    ("url", &["url"]),
    ("method", &["method", "request_method", "request"]),
    ("status", &["status", "response_status"]),
    (
        "cache_state",
        &[
            "state",
            "cache_state",
            "response_state",
            "fastly_info_state",
        ],
    ),
    ("scheme", &["scheme", "protocol_scheme"]),
    ("content_type", &["content_type", "response_content_type"]),
    ("user_agent", &["user_agent", "request_user_agent"]),
    ("accept", &["accept"]),
    ("accept_encoding", &["accept_encoding"]),
    ("accept_language", &["accept_language"]),
];

/// Which JSON keys feed which field.
#[derive(Debug, Clone)]
pub struct FieldMap {
    keys: Vec<(&'static str, Vec<String>)>,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            keys: FIELDS
                .iter()
                .map(|(f, ks)| (*f, ks.iter().map(|k| k.to_string()).collect()))
                .collect(),
        }
    }
}

impl FieldMap {
    /// Apply `NAME=KEY` overrides; an unknown NAME is an error naming the
    /// known ones.
    pub fn with_overrides(overrides: &[String]) -> Result<FieldMap, String> {
        let mut map = FieldMap::default();
        for o in overrides {
            let (name, key) = o
                .split_once('=')
                .filter(|(n, k)| !n.is_empty() && !k.is_empty())
                .ok_or_else(|| format!("--field `{o}`: expected NAME=KEY"))?;
            let slot = map
                .keys
                .iter_mut()
                .find(|(f, _)| *f == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
                    format!(
                        "--field `{o}`: unknown field `{name}` (known: {}){}",
                        known.join(", "),
                        crate::yaml::hint(name, &known)
                    )
                })?;
            slot.1 = vec![key.to_string()];
        }
        Ok(map)
    }

    fn get<'v>(&self, obj: &'v Map<String, Value>, field: &str) -> Option<&'v Value> {
        let keys = &self.keys.iter().find(|(f, _)| *f == field)?.1;
        keys.iter().find_map(|k| lookup(obj, k))
    }

    fn get_str<'v>(&self, obj: &'v Map<String, Value>, field: &str) -> Option<&'v str> {
        match self.get(obj, field)? {
            Value::String(s) if !s.is_empty() && s != "-" && s != "(null)" => Some(s),
            _ => None,
        }
    }

    /// Whether these keys look like a Fastly JSON log (for detection).
    pub fn sniff(&self, keys: &[String]) -> bool {
        let url = &self.keys.iter().find(|(f, _)| *f == "url").map(|k| &k.1);
        url.is_some_and(|ks| {
            ks.iter().any(|k| {
                keys.iter()
                    .any(|have| have == k || k.split('.').next() == Some(have))
            })
        })
    }
}

/// A key, or a dotted path through nested objects.
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if let Some(v) = obj.get(key) {
        return Some(v);
    }
    if !key.contains('.') {
        return None;
    }
    let mut parts = key.split('.');
    let mut cur = obj.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

pub fn parse(line: &str, fields: &FieldMap) -> Result<Record<'static>, &'static str> {
    let v: Value = serde_json::from_str(line).map_err(|_| "not valid JSON")?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let url = fields.get_str(obj, "url").ok_or("no url field")?;
    let method = fields.get_str(obj, "method").unwrap_or("GET");
    let owned = |s: &str| Cow::<'static, str>::Owned(s.to_string());
    let mut r = Record::new(method.to_string(), String::new());
    match split_absolute(url) {
        Some((s, h, t)) => {
            r.scheme = Some(s);
            r.host = Some(owned(h));
            r.target = Cow::Owned(clean_target(t).into_owned());
        }
        None => r.target = Cow::Owned(clean_target(url).into_owned()),
    }
    if let Some(h) = fields.get_str(obj, "host") {
        r.host = Some(owned(h));
    }
    if let Some(s) = fields.get_str(obj, "scheme").and_then(Scheme::parse) {
        r.scheme = Some(s);
    }
    r.status = match fields.get(obj, "status") {
        Some(Value::Number(n)) => n.as_u64().and_then(|s| u16::try_from(s).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| (100..=999).contains(s));
    r.cache = fields
        .get_str(obj, "cache_state")
        .map_or(Cache::Unknown, Cache::from_fastly_state);
    r.content_type = fields.get_str(obj, "content_type").map(owned);
    r.user_agent = fields.get_str(obj, "user_agent").is_some();
    r.accept = fields.get_str(obj, "accept").map(owned);
    r.accept_encoding = fields.get_str(obj, "accept_encoding").map(owned);
    r.accept_language = fields.get_str(obj, "accept_language").map(owned);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keys_and_fastly_example_keys() {
        let f = FieldMap::default();
        let r = parse(r#"{"host":"www.example.com","url":"/a?b=1","method":"GET","status":200,"state":"HIT-STALE","client_ip":"198.51.100.1"}"#, &f).unwrap();
        assert_eq!(
            (r.host.as_deref(), r.target.as_ref()),
            (Some("www.example.com"), "/a?b=1")
        );
        assert_eq!((r.status, r.cache), (Some(200), Cache::Hit));
        let r = parse(r#"{"host":"h","url":"/x","request_method":"HEAD","response_status":"404","response_state":"PASS"}"#, &f).unwrap();
        assert_eq!(
            (r.method.as_ref(), r.status, r.cache),
            ("HEAD", Some(404), Cache::NotHit)
        );
    }

    #[test]
    fn overrides_and_nested_keys() {
        let f =
            FieldMap::with_overrides(&["host=req.host".into(), "cache_state=fastly.state".into()])
                .unwrap();
        let r = parse(r#"{"req":{"host":"nested.example"},"url":"https://abs.example/p","fastly":{"state":"MISS"}}"#, &f).unwrap();
        assert_eq!(r.host.as_deref(), Some("nested.example"));
        assert_eq!(
            (r.scheme, r.target.as_ref(), r.cache),
            (Some(Scheme::Https), "/p", Cache::NotHit)
        );
        let e = FieldMap::with_overrides(&["hots=x".into()]).unwrap_err();
        assert!(e.contains("did you mean `host`"), "{e}");
        assert!(FieldMap::with_overrides(&["host".into()]).is_err());
    }

    #[test]
    fn bad_lines() {
        let f = FieldMap::default();
        assert_eq!(parse("[1]", &f).unwrap_err(), "not a JSON object");
        assert_eq!(parse("{\"host\":\"h\"}", &f).unwrap_err(), "no url field");
        assert_eq!(parse("{nope", &f).unwrap_err(), "not valid JSON");
    }
}
