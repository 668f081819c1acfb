//! Keeping secrets out of everything edgeparity writes.
//!
//! Two kinds of secret: values a suite filled from environment variables
//! (tokens), replaced wherever they appear; and credential headers
//! (Authorization, Cookie, Set-Cookie, …), whose values are replaced by a
//! short digest so that a change is still visible without the value.
//! Redaction happens once, in `run`, before any result leaves it, so the
//! report, the summary and the test runner all see the same redacted data;
//! golden files use the same function with the stable mask (see
//! [`Shown`]).

use sha2::{Digest, Sha256};

use crate::model::{CaseResult, Masked, RequestShown};
use crate::provider;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    /// The config's `ca_file`, given to each curl repro as `--cacert` (a
    /// private CA is what the testbed and most staging edges use).
    cacert: Option<String>,
}

pub const MASK: &str = "[REDACTED]";

/// The shortest secret value masked: a shorter one would match all over a
/// report (a one-letter token masks every such letter), so it is not
/// masked, and the inputs that declare every value a secret (a provider's
/// `headers:`) refuse it.
pub const MIN_SECRET_LEN: usize = 3;

impl Redactor {
    /// A redactor for these secret values, and every encoded form of each
    /// that may leave the process: percent-encoded as a URL library writes
    /// it in a path, a query or a form (upper- and lower-case hex, `+` or
    /// `%20` for a space), and base64 (standard and URL-safe, padded or not,
    /// and at each of the three byte alignments inside a longer base64
    /// text, as when a server echoes `Basic base64(user:token)`).
    pub fn new(secrets: Vec<String>) -> Redactor {
        let mut all: Vec<String> = Vec::new();
        for s in secrets.iter().filter(|s| s.len() >= MIN_SECRET_LEN) {
            for v in std::iter::once(s.clone())
                .chain(percent_forms(s))
                .chain(base64_forms(s))
            {
                if v.len() >= MIN_SECRET_LEN && !all.contains(&v) {
                    all.push(v);
                }
            }
        }
        // Longest first, so a secret containing another is masked whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor {
            secrets: all,
            cacert: None,
        }
    }

    /// The same, with `--cacert FILE` in every curl repro.
    pub fn with_cacert(mut self, file: Option<&std::path::Path>) -> Redactor {
        self.cacert = file.map(|f| self.text(&f.display().to_string()));
        self
    }

    /// Mask every known secret value in free text.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// A URL as it may be shown: userinfo always masked, secrets masked in
    /// every encoding.
    pub fn url(&self, url: &reqwest::Url) -> String {
        if url.username().is_empty() && url.password().is_none() {
            return self.text(url.as_str());
        }
        let mut u = url.clone();
        let _ = u.set_password(None);
        let _ = u.set_username("");
        let text = u.to_string();
        let shown = match text.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{MASK}@{rest}"),
            None => text,
        };
        self.text(&shown)
    }

    /// The value of header `name` as it may be shown in a report: a
    /// credential's value as a short digest, so a change stays visible.
    pub fn header_value(&self, name: &str, value: &str) -> String {
        self.header(name, value, Shown::Digest)
    }

    /// The value of header `name` with credential values replaced as
    /// `shown` says; other values have the known secrets masked.
    pub fn header(&self, name: &str, value: &str, shown: Shown) -> String {
        let name = name.to_ascii_lowercase();
        if !provider::SECRET_HEADERS.contains(&name.as_str()) {
            return self.text(value);
        }
        match name.as_str() {
            "set-cookie" => value
                .split('\n')
                .map(|line| redact_set_cookie(line, shown))
                .collect::<Vec<_>>()
                .join("\n"),
            "cookie" => value
                .split(';')
                .map(|pair| redact_pair(pair.trim(), shown))
                .collect::<Vec<_>>()
                .join("; "),
            _ => match shown {
                Shown::Digest => format!("{MASK} {}", fingerprint(value)),
                Shown::Mask => MASK.to_string(),
            },
        }
    }

    pub fn redact_result(&self, r: &mut CaseResult) {
        for d in &mut r.differences {
            // Header values, and any difference about a credential header
            // (a Set-Cookie served on a cache hit is a `cache` difference).
            let header = d.field.clone().filter(|f| {
                matches!(d.kind, crate::model::Kind::Header)
                    || provider::SECRET_HEADERS.contains(&f.as_str())
            });
            let fix = |v: &mut Option<String>| {
                if let Some(s) = v.as_mut() {
                    *s = match &header {
                        Some(h) => self.header_value(h, s),
                        None => self.text(s),
                    };
                }
            };
            fix(&mut d.baseline);
            fix(&mut d.candidate);
            d.message = self.text(&d.message);
            if let Some(diff) = d.diff.as_mut() {
                *diff = self.text(diff);
            }
            for part in d
                .hunks
                .iter_mut()
                .flat_map(|h| h.lines.iter_mut())
                .flat_map(|l| l.parts.iter_mut())
            {
                part.text = self.text(&part.text);
            }
        }
        if let Some(e) = r.error.as_mut() {
            *e = self.text(e);
        }
        for f in &mut r.failures {
            f.message = self.text(&f.message);
        }
        for resp in &mut r.responses {
            for (name, values) in resp.aside.iter_mut() {
                for v in values.iter_mut() {
                    *v = self.header_value(name, v);
                }
            }
            for (name, v) in resp.headers.iter_mut() {
                *v = self.header_value(name, v);
            }
            // Rebuilt from the redacted request, so it never held a secret.
            let masked = resp.request.as_mut().map(|q| self.request(q));
            let addrs: Vec<String> = resp.remote_addr.iter().cloned().collect();
            resp.curl = resp.request.as_ref().map(|q| {
                q.curl_pinned(&addrs, self.cacert.as_deref(), &masked.unwrap_or_default())
            });
        }
        // A failed exchange's request, and its curl, the same way.
        for f in &mut r.failures {
            let masked = f.request.as_mut().map(|q| self.request(q));
            f.curl = f.request.as_ref().map(|q| {
                q.curl_pinned(
                    &f.addrs,
                    self.cacert.as_deref(),
                    &masked.unwrap_or_default(),
                )
            });
        }
    }

    /// Redact a request in place: its URL, header values and body. Says
    /// which parts held a secret, for the repro to read those from shell
    /// variables (`$EDGEPARITY_AUTHORIZATION`, `$EDGEPARITY_BODY`) instead.
    pub fn request(&self, req: &mut RequestShown) -> Masked {
        let mut masked = Masked::default();
        req.url = match reqwest::Url::parse(&req.url) {
            Ok(u) => self.url(&u),
            Err(_) => self.text(&req.url),
        };
        for (name, v) in req.headers.iter_mut() {
            let shown = self.header_value(name, v);
            masked.headers.push(shown != *v);
            *v = shown;
        }
        if let Some(b) = req.body.as_mut() {
            let shown = self.text(b);
            masked.body = shown != *b;
            *b = shown;
        }
        masked
    }
}

/// `sha256:` and the first 8 hex digits: enough to see a change.
fn fingerprint(value: &str) -> String {
    let h = hex::encode(Sha256::digest(value.as_bytes()));
    format!("sha256:{}", &h[..8])
}

/// The percent-encoded forms of `s` a URL library may write.
fn percent_forms(s: &str) -> Vec<String> {
    use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
    // The WHATWG URL sets: path, query and userinfo, and everything.
    const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');
    const PATH: &AsciiSet = &QUERY.add(b'?').add(b'`').add(b'{').add(b'}');
    const USERINFO: &AsciiSet = &PATH
        .add(b'/')
        .add(b':')
        .add(b';')
        .add(b'=')
        .add(b'@')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'|');
    let mut out = Vec::new();
    for set in [QUERY, PATH, USERINFO, NON_ALPHANUMERIC] {
        let e = utf8_percent_encode(s, set).to_string();
        out.push(e.clone());
        out.push(lower_hex(&e));
    }
    let form: String = url_form(s);
    out.push(form.clone());
    out.push(lower_hex(&form));
    out.retain(|v| v != s);
    out
}

/// `application/x-www-form-urlencoded`: a space as `+`.
fn url_form(s: &str) -> String {
    percent_encoding::percent_encode(s.as_bytes(), percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%20", "+")
        .replace("%2A", "*")
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
}

/// `%2F` → `%2f` (some encoders write lower-case hex).
fn lower_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for h in chars.by_ref().take(2) {
                out.push(h.to_ascii_lowercase());
            }
        }
    }
    out
}

/// The base64 forms of `s`: whole (padded and not), and the part fully
/// determined by `s` at each byte alignment inside a longer text.
fn base64_forms(s: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let bytes = s.as_bytes();
    let mut out = vec![
        STANDARD.encode(bytes),
        URL_SAFE.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
    ];
    for k in 0..3usize {
        let mut padded = vec![0u8; k];
        padded.extend_from_slice(bytes);
        // Character i covers bits [6i, 6i+6): keep those inside the secret.
        let start = (8 * k).div_ceil(6);
        let end = (8 * (k + bytes.len())) / 6;
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let e = engine.encode(&padded);
            if let Some(core) = e.get(start..end.min(e.len())) {
                if core.len() >= 4 {
                    out.push(core.to_string());
                }
            }
        }
    }
    out
}

/// How a credential's value is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// `<sha256:…>`: reports, where a changed cookie must stay visible.
    Digest,
    /// `[REDACTED]`: golden files, which must not change when a random
    /// session id does.
    Mask,
}

/// `name=value; Path=/; HttpOnly` → `name=<sha256:…>; Path=/; HttpOnly`.
fn redact_set_cookie(line: &str, shown: Shown) -> String {
    let mut parts = line.splitn(2, ';');
    let first = parts.next().unwrap_or_default();
    let rest = parts.next();
    let head = redact_pair(first.trim(), shown);
    match rest {
        Some(r) => format!("{head};{r}"),
        None => head,
    }
}

fn redact_pair(pair: &str, shown: Shown) -> String {
    let hidden = |v: &str| match shown {
        Shown::Digest => format!("<{}>", fingerprint(v)),
        Shown::Mask => MASK.to_string(),
    };
    match pair.split_once('=') {
        Some((k, v)) => format!("{k}={}", hidden(v)),
        None => hidden(pair),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_credentials_never_show() {
        let r = Redactor::new(vec!["tok-123456".into()]);
        assert_eq!(r.text("Bearer tok-123456!"), "Bearer [REDACTED]!");
        let a = r.header_value("Authorization", "Bearer abc");
        assert!(
            a.starts_with("[REDACTED] sha256:") && !a.contains("abc"),
            "{a}"
        );
        let c = r.header_value("set-cookie", "session=s3cr3tvalue; Path=/; HttpOnly");
        assert!(c.starts_with("session=<sha256:"), "{c}");
        assert!(c.ends_with("; Path=/; HttpOnly"), "{c}");
        assert!(!c.contains("s3cr3tvalue"));
        let k = r.header_value("cookie", "a=1; b=2");
        assert!(!k.contains("=1") && !k.contains("=2"), "{k}");
        assert_eq!(r.header_value("x-other", "tok-123456"), MASK);
    }

    #[test]
    fn a_changed_cookie_stays_visible() {
        let r = Redactor::default();
        assert_ne!(
            r.header_value("set-cookie", "s=1"),
            r.header_value("set-cookie", "s=2")
        );
    }

    #[test]
    fn every_encoding_of_a_secret_is_masked() {
        use base64::Engine;
        let secret = "s3cr3t Q/+=&\u{fc}";
        let r = Redactor::new(vec![secret.into()]);
        let mut url = reqwest::Url::parse("https://x.test/").unwrap();
        url.set_path(&format!("/p/{secret}"));
        url.query_pairs_mut().append_pair("token", secret);
        let shown = r.text(url.as_str());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{secret}"));
        let echoed = r.text(&format!("Authorization: Basic {b64}"));
        assert!(!echoed.contains(&b64[8..20]), "{echoed}");
        for text in [
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
            lower_hex(
                &percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            ),
        ] {
            let shown = r.text(&format!("x{text}y"));
            assert_eq!(shown, format!("x{MASK}y"), "{text}");
        }
    }

    #[test]
    fn a_failed_request_is_redacted_and_its_curl_rebuilt() {
        use base64::Engine;
        let secret = "tok/S3cr3t+42";
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let mut r: CaseResult = serde_json::from_value(serde_json::json!({
            "id": "s::c", "suite": "s", "name": "c", "verdict": "error",
            "differences": [], "error": null, "responses": [], "probes": {},
            "failures": [{
                "provider": "cloudflare", "kind": "connect", "message": "refused",
                "request": {
                    "method": "POST",
                    "url": format!("https://www.example.test/p?t={}", enc(secret)),
                    "headers": [["x-api-key", secret], ["accept", "*/*"]],
                    "body": format!("token={secret}&b64={}", base64::engine::general_purpose::STANDARD.encode(secret))
                },
                "addrs": ["127.0.0.9:443"],
                "curl": format!("curl --data-binary 'token={secret}'")
            }]
        }))
        .expect("a case result");
        Redactor::new(vec![secret.into()]).redact_result(&mut r);
        let shown = serde_json::to_string(&r).expect("JSON");
        for form in [
            secret.to_string(),
            enc(secret),
            base64::engine::general_purpose::STANDARD.encode(secret),
        ] {
            assert!(!shown.contains(&form), "{form} in {shown}");
        }
        let f = &r.failures[0];
        let q = f.request.as_ref().expect("the request");
        assert_eq!(q.body.as_deref(), Some("token=[REDACTED]&b64=[REDACTED]"));
        let curl = f.curl.as_deref().expect("a curl");
        assert!(
            curl.contains("--resolve 'www.example.test:443:127.0.0.9'"),
            "{curl}"
        );
        assert!(
            curl.contains("-H 'x-api-key: '\"$EDGEPARITY_X_API_KEY\""),
            "{curl}"
        );
        assert!(curl.contains("--data-raw \"$EDGEPARITY_BODY\""), "{curl}");
    }

    #[test]
    fn url_userinfo_is_always_masked() {
        let r = Redactor::new(vec!["hunter22".into()]);
        let u = reqwest::Url::parse("https://admin:hunter22@www.example.test/p?x=1").unwrap();
        assert_eq!(r.url(&u), "https://[REDACTED]@www.example.test/p?x=1");
        let plain = reqwest::Url::parse("https://www.example.test/hunter22").unwrap();
        assert_eq!(r.url(&plain), "https://www.example.test/[REDACTED]");
    }
}
