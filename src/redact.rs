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

use crate::model::CaseResult;
use crate::provider;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

pub const MASK: &str = "[REDACTED]";

impl Redactor {
    pub fn new(mut secrets: Vec<String>) -> Redactor {
        // Longest first, so a secret containing another is masked whole.
        secrets.retain(|s| s.len() >= 3);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
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
        }
    }
}

/// `sha256:` and the first 8 hex digits: enough to see a change.
fn fingerprint(value: &str) -> String {
    let h = hex::encode(Sha256::digest(value.as_bytes()));
    format!("sha256:{}", &h[..8])
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
}
