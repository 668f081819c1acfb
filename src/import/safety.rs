//! What never leaves the traffic: credentials.
//!
//! Import writes only what it chose to keep (an allowlist), so most secrets
//! never get near a suite: no request header but `Accept`,
//! `Accept-Encoding` and `Accept-Language` is copied; client IPs, remote
//! users, `Set-Cookie` and every response header are never read into a
//! case. What remains are the values carried inside the URL, and the two
//! credential headers whose presence matters for a replay:
//!
//! - **Query values** whose (percent-decoded, lower-cased) name contains one
//!   of [`DEFAULT_SECRET_NAMES`] or a `--secret-param` word (so `sig`
//!   catches `X-Amz-Signature`, `key` catches `Key-Pair-Id` and `apikey`),
//!   whose value looks like a JWT, or whose decoded value holds a
//!   `name=` assignment of such a name (a signed URL inside a `redirect=`).
//!   The substring rule errs on the safe side (`author` matches `auth`).
//! - **Path segments** that look like a JWT, or hold such a `name=value`
//!   (`;jsessionid=...`, `__token__=...`).
//! - **`Cookie` and `Authorization`** request headers (HAR).
//!
//! Each is replaced by a `${IMPORT_NAME}` placeholder, which the suite
//! loader fills from the environment (and then treats as a secret); the
//! suite's header comment names every variable. With `--credentials drop`
//! the case is left out instead, and the summary says why.
//! A capability token in a path segment that is neither a JWT nor named is
//! not recognisable, and is kept: review imported paths before sharing.

use std::borrow::Cow;

/// Query parameter name fragments that mark a credential.
pub const DEFAULT_SECRET_NAMES: &[&str] = &[
    "token",
    "key",
    "sig",
    "signature",
    "auth",
    "session",
    "password",
    "code",
    "secret",
    "credential",
    "passwd",
    "pwd",
    "jwt",
    "hdnts",
    "hmac",
    "sid",
];

/// The credential word list in use (defaults plus `--secret-param`).
#[derive(Debug, Clone)]
pub struct Secrets {
    names: Vec<String>,
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets::new(&[])
    }
}

impl Secrets {
    pub fn new(extra: &[String]) -> Secrets {
        let mut names: Vec<String> = DEFAULT_SECRET_NAMES.iter().map(|s| s.to_string()).collect();
        for e in extra {
            let e = e.trim().to_ascii_lowercase();
            if !e.is_empty() && !names.contains(&e) {
                names.push(e);
            }
        }
        Secrets { names }
    }

    /// Whether a parameter name marks a credential.
    pub fn is_secret_name(&self, raw_name: &str) -> bool {
        let name = percent_decode(raw_name);
        self.names.iter().any(|n| contains_ci(&name, n))
    }

    /// Whether a value must not be copied whatever its name: a JWT, or a
    /// nested `name=value` of a credential name (a signed URL inside
    /// another parameter, encoded once or twice).
    pub fn is_secret_value(&self, raw_value: &str) -> bool {
        if looks_like_jwt(raw_value) {
            return true;
        }
        if !raw_value.contains(['=', '%']) {
            return false;
        }
        let once = percent_decode(raw_value);
        let twice = percent_decode(&once);
        looks_like_jwt(&twice) || self.has_secret_assignment(&twice)
    }

    fn has_secret_assignment(&self, text: &str) -> bool {
        // Any `word=` where word contains a credential name.
        text.match_indices('=').any(|(i, _)| {
            let start = text[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(0, |p| p + 1);
            let word = &text[start..i];
            !word.is_empty() && self.names.iter().any(|n| contains_ci(word, n))
        })
    }

    /// Whether a path segment must not be copied.
    pub fn is_secret_segment(&self, seg: &str) -> bool {
        if looks_like_jwt(seg) {
            return true;
        }
        seg.contains(['=', '%']) && self.has_secret_assignment(&percent_decode(seg))
    }
}

/// Whether `hay` contains `needle` (lower-case ASCII), ignoring ASCII case.
fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// `eyJ...` `.` `...` `.` `...` in base64url: a JSON Web Token.
pub fn looks_like_jwt(s: &str) -> bool {
    let s = s.trim();
    s.len() >= 20
        && s.starts_with("eyJ")
        && s.matches('.').count() == 2
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// `IMPORT_` + the name upper-cased, anything else than letters and digits
/// as `_` (`X-Amz-Signature` → `IMPORT_X_AMZ_SIGNATURE`).
pub fn var_name(what: &str) -> String {
    let decoded = percent_decode(what);
    let mut out = String::from("IMPORT_");
    let mut last_us = true;
    for c in decoded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
        if out.len() >= 48 {
            break;
        }
    }
    while out.ends_with('_') && out.len() > "IMPORT_".len() {
        out.pop();
    }
    if out == "IMPORT_" {
        out.push_str("SECRET");
    }
    out
}

/// Percent-decode (lossy for invalid UTF-8); `+` stays `+`. Borrows when
/// there is nothing to decode.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_and_segments() {
        let s = Secrets::new(&["hash".into()]);
        for n in [
            "token",
            "access_token",
            "X-Amz-Signature",
            "Key-Pair-Id",
            "api%5Fkey",
            "sessionid",
            "code",
            "myhash",
        ] {
            assert!(s.is_secret_name(n), "{n}");
        }
        for n in ["page", "q", "id", "lang"] {
            assert!(!s.is_secret_name(n), "{n}");
        }
        assert!(s.is_secret_value("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
        assert!(s.is_secret_value("https%3A%2F%2Fx%2Fcb%3Ftoken%3Dabc"));
        assert!(!s.is_secret_value("https%3A%2F%2Fx%2Fcb%3Fpage%3D2"));
        assert!(s.is_secret_segment("index.html;jsessionid=ABC123"));
        assert!(s.is_secret_segment("__token__=exp=1~acl=%2F*~hmac=ab12"));
        assert!(!s.is_secret_segment("item-42"));
    }

    #[test]
    fn variable_names() {
        assert_eq!(var_name("X-Amz-Signature"), "IMPORT_X_AMZ_SIGNATURE");
        assert_eq!(var_name("token"), "IMPORT_TOKEN");
        assert_eq!(var_name("__token__"), "IMPORT_TOKEN");
        assert_eq!(var_name("%%%"), "IMPORT_SECRET");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%E2%9C%93"), "✓");
    }
}
