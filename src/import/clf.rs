//! The common/combined access log family: nginx `combined`, Apache `common`
//! and `combined`, and Fastly's default real-time log format (Apache common).
//!
//! ```text
//! [$host] $remote_addr $ident $remote_user [$time_local] "$request" $status $bytes ["$http_referer" "$http_user_agent"] [extra...]
//! ```
//!
//! - The `$host`-first variant many teams use is recognised per line: four
//!   fields before the `[time]` instead of three.
//! - Without a host the record has none; `--host` supplies it.
//! - Extra fields after the user agent are ignored, except a cache status
//!   written as `cache=WORD`, `cache_status=WORD` or
//!   `upstream_cache_status=WORD` (nginx `$upstream_cache_status`: HIT,
//!   MISS, EXPIRED, STALE, UPDATING, REVALIDATED, BYPASS).
//! - Quoted fields are read with both escape styles: nginx writes `"` as
//!   `\x22` (and any non-printable byte as `\xHH`), Apache as `\"`.
//! - The remote address, ident and user are never kept (client IPs and
//!   user names stay out of suites).

use std::borrow::Cow;

use super::record::{clean_target, encode_target, Cache, Record};

/// Parse one line, or say why not.
pub fn parse(line: &str) -> Result<Record<'_>, &'static str> {
    let open = line.find(" [").ok_or("no [time] field")?;
    let mut head = line[..open].split_ascii_whitespace();
    let first = head.next();
    let host = match (head.count(), first) {
        (2, _) => None,
        (3, Some(h)) => Some(h),
        _ => return Err("expected 3 or 4 fields before [time]"),
    };
    let rest = &line[open + 2..];
    let close = rest.find(']').ok_or("no closing ] after the time")?;
    let mut rest = rest[close + 1..].trim_start();
    let (request, after) = quoted(rest).ok_or("no quoted request line")?;
    rest = after.trim_start();
    let (status, after) = token(rest);
    rest = after;
    let status: u16 = status
        .parse()
        .ok()
        .filter(|s| (100..=999).contains(s))
        .ok_or("status is not a number")?;
    let (_bytes, after) = token(rest);
    rest = after.trim_start();
    let mut user_agent = false;
    // Optional "referer" "user agent".
    if let Some((_referer, after)) = quoted(rest) {
        rest = after.trim_start();
        if let Some((ua, after)) = quoted(rest) {
            user_agent = !ua.is_empty() && ua != "-";
            rest = after;
        }
    }
    let mut cache = Cache::Unknown;
    for extra in rest.split_ascii_whitespace() {
        if let Some((k, v)) = extra.split_once('=') {
            if matches!(k, "cache" | "cache_status" | "upstream_cache_status") {
                cache = cache.or(Cache::from_cloudflare(v.trim_matches('"')));
            }
        }
    }
    let (method, target): (Cow<str>, Cow<str>) = match unescape(request) {
        // Nothing escaped: borrow from the line where possible.
        Cow::Borrowed(raw) => {
            let (m, t) = split_request(raw).ok_or("not an HTTP request line")?;
            let t =
                std::str::from_utf8(t).map_or_else(|_| Cow::Owned(encode_target(t)), clean_target);
            (Cow::Borrowed(m), t)
        }
        Cow::Owned(raw) => {
            let (m, t) = split_request(&raw).ok_or("not an HTTP request line")?;
            (Cow::Owned(m.to_string()), Cow::Owned(encode_target(t)))
        }
    };
    let mut r = Record::new(method, target);
    r.host = host.map(Cow::Borrowed);
    r.status = Some(status);
    r.cache = cache;
    r.user_agent = user_agent;
    Ok(r)
}

/// Whether a line looks like this family (for detection), and whether it
/// has the host first.
pub fn sniff(line: &str) -> Option<bool> {
    parse(line).ok().map(|r| r.host.is_some())
}

/// `METHOD TARGET [HTTP/x]` → method and target bytes. The target may hold
/// spaces (logged raw by some servers): it is what lies between the method
/// and the protocol.
fn split_request(req: &[u8]) -> Option<(&str, &[u8])> {
    let sp = req.iter().position(|&b| b == b' ')?;
    let method = std::str::from_utf8(&req[..sp]).ok()?;
    if method.is_empty() || method.len() > 20 || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut target = &req[sp + 1..];
    if let Some(i) = target.iter().rposition(|&b| b == b' ') {
        if target[i + 1..].starts_with(b"HTTP/") {
            target = &target[..i];
        }
    }
    if target.is_empty() {
        return None;
    }
    Some((method, target))
}

/// A `"..."` field: its raw inside and what follows. `\"` and `\\` do not
/// end it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('"')?;
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some((&inner[..i], &inner[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

fn token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find(' ').unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Undo nginx (`\xHH`) and Apache (`\"`, `\\`) escapes, to bytes.
fn unescape(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('\\') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'x' if i + 3 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(v) => {
                            out.push(v);
                            i += 4;
                            continue;
                        }
                        None => out.push(b'\\'),
                    }
                }
                b'"' | b'\\' => {
                    out.push(b[i + 1]);
                    i += 2;
                    continue;
                }
                _ => out.push(b'\\'),
            }
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_common_and_host_first() {
        let r = parse(r#"203.0.113.9 - - [10/Oct/2025:13:55:36 +0000] "GET /item/42?x=1 HTTP/1.1" 200 2326 "https://ref/" "Mozilla/5.0""#).unwrap();
        assert_eq!(
            (r.method.as_ref(), r.target.as_ref(), r.status),
            ("GET", "/item/42?x=1", Some(200))
        );
        assert!(r.host.is_none() && r.user_agent);
        let r = parse(
            r#"203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "HEAD /a.gif HTTP/1.0" 304 -"#,
        )
        .unwrap();
        assert_eq!(
            (r.method.as_ref(), r.status, r.user_agent),
            ("HEAD", Some(304), false)
        );
        let r = parse(r#"www.example.test 203.0.113.9 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/2.0" 301 0 "-" "curl/8" cache=HIT rt=0.001"#).unwrap();
        assert_eq!(r.host.as_deref(), Some("www.example.test"));
        assert_eq!(r.cache, Cache::Hit);
    }

    #[test]
    fn escapes_and_odd_targets() {
        let r =
            parse(r#"1.2.3.4 - - [t] "GET /a\x22b c HTTP/1.1" 404 0 "-" "ua \"quoted\"""#).unwrap();
        assert_eq!(r.target, "/a%22b%20c");
        assert!(r.user_agent);
        assert_eq!(
            parse(r#"1.2.3.4 - - [t] "\x16\x03\x01" 400 0 "-" "-""#).unwrap_err(),
            "not an HTTP request line"
        );
        assert_eq!(
            parse(r#"1.2.3.4 - - [t] "-" 400 0 "-" "-""#).unwrap_err(),
            "not an HTTP request line"
        );
        assert_eq!(parse("garbage").unwrap_err(), "no [time] field");
        assert_eq!(
            parse(r#"1.2.3.4 - - [t] "GET / HTTP/1.1" abc 0"#).unwrap_err(),
            "status is not a number"
        );
        assert_eq!(
            parse(r#"1.2.3.4 - - [t "GET / HTTP/1.1" 200 0"#).unwrap_err(),
            "no closing ] after the time"
        );
    }
}
