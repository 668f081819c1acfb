//! HAR 1.2 (`log.entries[]`), read as a stream.
//!
//! A HAR file is one JSON document, often large (response bodies inline).
//! It is not loaded whole: a serde visitor walks `log.entries` and hands
//! each entry over as it is parsed; everything but `request` and
//! `response.status`/`response.headers` is skipped by the parser without
//! being kept (bodies, timings, cookies arrays, `serverIPAddress`). Memory
//! is bounded by the largest single request object.
//!
//! Per entry: `request.method`, `request.url` (absolute: scheme, host and
//! target), `request.headers[]` (`Accept`, `Accept-Encoding`,
//! `Accept-Language` kept; the presence of `Cookie` and `Authorization`
//! noted, their values never kept; HTTP/2 pseudo-headers ignored),
//! `response.status` (0, a request that got no answer, is skipped),
//! and the cache outcome from `response.headers[]` (`X-Cache`,
//! `CF-Cache-Status`, `Cache-Status`, `Age`).
//!
//! An entry of the wrong shape is skipped with its reason; a JSON syntax
//! error ends the file (JSON cannot be resynchronised), with the line.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::input::LineCounter;
use super::record::{clean_target, split_absolute, Cache, Record};

/// One entry's outcome, numbered from 0 as in `log.entries[N]`.
pub type Sink<'s> = dyn FnMut(u64, Result<Record<'static>, String>) + 's;

/// Walk the file. `Err` is a syntax error that ended it: (line, message).
pub fn read(reader: Box<dyn BufRead>, sink: &mut Sink<'_>) -> Result<(), (u64, String)> {
    let mut counter = LineCounter::new(reader);
    let mut n: u64 = 0;
    let mut found = false;
    let result = {
        let mut de = serde_json::Deserializer::from_reader(&mut counter);
        let r = Root {
            sink,
            n: &mut n,
            found: &mut found,
        }
        .deserialize(&mut de);
        r.and_then(|_| de.end())
    };
    match result {
        Ok(()) if found => Ok(()),
        Ok(()) => Err((counter.lines, "no log.entries array: not a HAR file".into())),
        Err(e) => Err((
            if e.line() > 0 {
                e.line() as u64
            } else {
                counter.lines
            },
            format!(
                "not valid HAR JSON ({}); the rest of this file is skipped",
                strip_position(&e)
            ),
        )),
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

struct Root<'a, 's> {
    sink: &'a mut Sink<'s>,
    n: &'a mut u64,
    found: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR object with a `log` key")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<str>>()? {
            if key == "log" {
                map.next_value_seed(Log {
                    sink: &mut *self.sink,
                    n: &mut *self.n,
                    found: &mut *self.found,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Log<'a, 's> {
    sink: &'a mut Sink<'s>,
    n: &'a mut u64,
    found: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Log<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<str>>()? {
            if key == "entries" {
                *self.found = true;
                map.next_value_seed(Entries {
                    sink: &mut *self.sink,
                    n: &mut *self.n,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Entries<'a, 's> {
    sink: &'a mut Sink<'s>,
    n: &'a mut u64,
}

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR `log.entries` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Loose<Entry>>()? {
            let n = *self.n;
            *self.n += 1;
            let r = match entry {
                Loose::Ok(e) => to_record(e),
                Loose::Junk => Err("not a JSON object".to_string()),
            };
            (self.sink)(n, r);
        }
        Ok(())
    }
}

/// An entry, or anything else (skipped with a reason, not fatal).
enum Loose<T> {
    Ok(T),
    Junk,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Loose<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Loose::Ok)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::Junk)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Loose<T>, E> {
                Ok(Loose::Junk)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Loose<T>, E> {
                Ok(Loose::Junk)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Loose<T>, E> {
                Ok(Loose::Junk)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Loose<T>, E> {
                Ok(Loose::Junk)
            }
            fn visit_str<E>(self, _: &str) -> Result<Loose<T>, E> {
                Ok(Loose::Junk)
            }
            fn visit_unit<E>(self) -> Result<Loose<T>, E> {
                Ok(Loose::Junk)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The parts of an entry import reads. `Value` accepts any shape, so a
/// wrong type is a reason to skip the entry, not a parse error.
#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    request: Option<Loose<Request>>,
    #[serde(default)]
    response: Option<Loose<Response>>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    method: Option<Value>,
    #[serde(default)]
    url: Option<Value>,
    #[serde(default)]
    headers: Option<Value>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    headers: Option<Value>,
}

fn headers(v: &Option<Value>) -> impl Iterator<Item = (&str, &str)> {
    v.as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| Some((h.get("name")?.as_str()?, h.get("value")?.as_str()?)))
}

fn to_record(e: Entry) -> Result<Record<'static>, String> {
    let req = match e.request {
        Some(Loose::Ok(r)) => r,
        Some(Loose::Junk) => return Err("request is not an object".into()),
        None => return Err("no request".into()),
    };
    let response = match e.response {
        Some(Loose::Ok(r)) => Some(r),
        _ => None,
    };
    let method = req
        .method
        .as_ref()
        .and_then(Value::as_str)
        .ok_or("request.method is not a string")?;
    let url = req
        .url
        .as_ref()
        .and_then(Value::as_str)
        .ok_or("request.url is not a string")?;
    let (scheme, host, target) =
        split_absolute(url).ok_or("request.url is not an absolute http(s) URL")?;
    let status = response
        .as_ref()
        .and_then(|r| r.status.as_ref())
        .and_then(Value::as_u64)
        .ok_or("response.status is not a number")?;
    if status == 0 {
        return Err("no response (status 0: blocked or failed in the browser)".into());
    }
    let mut r = Record::new(method.to_string(), clean_target(target).into_owned());
    r.scheme = Some(scheme);
    r.host = Some(Cow::Owned(host.to_string()));
    r.status = u16::try_from(status)
        .ok()
        .filter(|s| (100..=999).contains(s));
    for (name, value) in headers(&req.headers) {
        let own = || Some(Cow::Owned(value.to_string()));
        match name.to_ascii_lowercase().as_str() {
            "accept" => r.accept = own(),
            "accept-encoding" => r.accept_encoding = own(),
            "accept-language" => r.accept_language = own(),
            "cookie" => r.cookie = true,
            "authorization" | "proxy-authorization" => r.authorization = true,
            "user-agent" => r.user_agent = true,
            _ => {}
        }
    }
    if let Some(resp) = &response {
        for (name, value) in headers(&resp.headers) {
            r.cache = r.cache.or(Cache::from_response_header(name, value));
            if name.eq_ignore_ascii_case("content-type") {
                r.content_type = Some(Cow::Owned(value.to_string()));
            }
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> (Vec<String>, Result<(), (u64, String)>) {
        let mut out = Vec::new();
        let res = read(
            Box::new(std::io::Cursor::new(s.as_bytes().to_vec())),
            &mut |n, r| {
                out.push(match r {
                    Ok(r) => format!(
                        "{n}: {} {} {} {:?} {:?} cookie={} auth={}",
                        r.method,
                        r.host.as_deref().unwrap_or("-"),
                        r.target,
                        r.status,
                        r.cache,
                        r.cookie,
                        r.authorization
                    ),
                    Err(e) => format!("{n}: skipped: {e}"),
                })
            },
        );
        (out, res)
    }

    #[test]
    fn entries_are_streamed_and_bad_ones_skipped() {
        let har = r#"{"log": {"version": "1.2", "creator": {"name": "x"}, "pages": [],
          "entries": [
            {"request": {"method": "GET", "url": "https://www.example.com/a?b=1",
                         "headers": [{"name": "Cookie", "value": "s=secret"}, {"name": "Accept-Language", "value": "fr"}]},
             "response": {"status": 200, "headers": [{"name": "X-Cache", "value": "MISS, HIT"}],
                          "content": {"size": 3, "text": "abc"}}},
            42,
            {"request": {"method": "GET", "url": "/relative"}, "response": {"status": 200}},
            {"request": {"method": "GET", "url": "https://www.example.com/x"}, "response": {"status": 0}},
            {"request": {"method": ["bad"], "url": "https://www.example.com/x"}, "response": {"status": 200}},
            {"request": "GET /", "response": {"status": 200}}
          ]}}"#;
        let (out, res) = read_str(har);
        assert!(res.is_ok(), "{res:?}");
        assert_eq!(
            out,
            [
                "0: GET www.example.com /a?b=1 Some(200) Hit cookie=true auth=false",
                "1: skipped: not a JSON object",
                "2: skipped: request.url is not an absolute http(s) URL",
                "3: skipped: no response (status 0: blocked or failed in the browser)",
                "4: skipped: request.method is not a string",
                "5: skipped: request is not an object",
            ]
        );
    }

    #[test]
    fn a_syntax_error_ends_the_file_with_its_line() {
        let (out, res) = read_str("{\"log\": {\"entries\": [\n{\"request\": {\"method\": \"GET\", \"url\": \"https://h/a\"}, \"response\": {\"status\": 200}},\n{oops\n]}}");
        assert_eq!(out.len(), 1);
        let (line, msg) = res.unwrap_err();
        assert_eq!(line, 3);
        assert!(msg.contains("not valid HAR JSON"), "{msg}");
        let (_, res) = read_str("{\"other\": 1}");
        assert!(res.unwrap_err().1.contains("not a HAR file"));
    }
}
