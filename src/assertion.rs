//! A suite's `assert:` checked on one provider's answer.
//!
//! Parity alone passes when every provider is broken the same way (both
//! answer 500). An assertion is what the team says each answer must show,
//! whatever the others answer, so it is checked on every answer on its own
//! and a broken one is that provider's finding (`kind: assert`), never a
//! comparison. It reads the answer as received (identity and ignored headers
//! included, the body decoded), not the normalised one: an `ignore_headers`
//! rule leaves a header out of the comparison, not out of the contract.

use crate::model::{Difference, Exchange, Kind, Label};
use crate::suite::Assertions;

/// Every assertion `answer` breaks, as differences on `provider` (the
/// expected value as `baseline`, what was answered as `candidate`).
pub fn check(a: &Assertions, provider: &str, label: Label, answer: &Exchange) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut broken = |field: String, want: String, got: Option<String>, why: String| {
        let d = Difference::new(provider, Kind::Assert, Some(field), Some(want), got, why);
        out.push(match label {
            Label::Request => d,
            other => d.with_context(other.to_string()),
        });
    };
    if let Some(want) = a.status {
        if answer.status != want {
            broken(
                "status".into(),
                want.to_string(),
                Some(answer.status.to_string()),
                format!("{provider} answered {}, asserted {want}", answer.status),
            );
        }
    }
    for h in &a.headers {
        let values: Vec<&str> = answer.header_values(&h.name).collect();
        let joined = values.join(", ");
        let field = format!("headers.{}", h.name);
        if values.is_empty() {
            broken(
                field,
                h.pattern.clone(),
                None,
                format!(
                    "{provider} sent no {} header, asserted `{}`",
                    h.name, h.pattern
                ),
            );
        } else if !values.iter().any(|v| h.regex.is_match(v)) && !h.regex.is_match(&joined) {
            broken(
                field,
                h.pattern.clone(),
                Some(joined.clone()),
                format!(
                    "{provider} sent {}: {joined}, which does not match `{}`",
                    h.name, h.pattern
                ),
            );
        }
    }
    if let Some(want) = &a.body_contains {
        if let Some(why) = body_lacks(answer, want) {
            broken(
                "body_contains".into(),
                want.clone(),
                None,
                format!("{provider}: {why}"),
            );
        }
    }
    out
}

/// Why the decoded body does not contain `want`, if it does not.
fn body_lacks(answer: &Exchange, want: &str) -> Option<String> {
    let b = &answer.body;
    if let Some(e) = &b.decode_error {
        return Some(format!(
            "the body could not be decoded ({e}), so it cannot contain `{want}`"
        ));
    }
    let Some(bytes) = &b.decoded else {
        return Some(format!(
            "the body ({} bytes) is over body_cap_bytes: `{want}` cannot be looked for",
            b.decoded_len
        ));
    };
    let needle = want.as_bytes();
    let found = needle.is_empty() || bytes.windows(needle.len()).any(|w| w == needle);
    (!found).then(|| format!("the body ({} bytes) does not contain `{want}`", bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tests::exchange;
    use crate::suite::HeaderAssertion;

    fn asserting(status: Option<u16>, headers: &[(&str, &str)], body: Option<&str>) -> Assertions {
        Assertions {
            status,
            headers: headers
                .iter()
                .map(|(n, p)| HeaderAssertion {
                    name: n.to_string(),
                    pattern: p.to_string(),
                    regex: regex::Regex::new(p).unwrap(),
                })
                .collect(),
            body_contains: body.map(str::to_string),
        }
    }

    #[test]
    fn each_broken_assertion_is_one_finding_on_its_provider() {
        let a = asserting(
            Some(200),
            &[("cache-control", "^public"), ("x-frame-options", "DENY")],
            Some("<h1>Shop</h1>"),
        );
        let mut ex = exchange(
            &[
                ("Cache-Control", "private, max-age=0"),
                ("content-type", "text/html"),
            ],
            b"<h1>Error</h1>",
        );
        ex.status = 500;
        let found = check(&a, "cloudflare", Label::Request, &ex);
        let fields: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|d| (d.field.as_deref().unwrap(), d.candidate.as_deref()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("status", Some("500")),
                ("headers.cache-control", Some("private, max-age=0")),
                ("headers.x-frame-options", None),
                ("body_contains", None),
            ]
        );
        assert!(found
            .iter()
            .all(|d| d.kind == Kind::Assert && d.provider == "cloudflare" && d.context.is_none()));
        assert_eq!(found[0].message, "cloudflare answered 500, asserted 200");
    }

    #[test]
    fn a_kept_assertion_finds_nothing_and_lines_of_one_header_are_joined() {
        let a = asserting(
            Some(200),
            &[("cache-control", "^public, max-age=\\d+$")],
            Some("Shop"),
        );
        let ex = exchange(
            &[("cache-control", "public"), ("cache-control", "max-age=60")],
            b"<h1>Shop</h1>",
        );
        assert!(check(&a, "fastly", Label::Request, &ex).is_empty());
        let found = check(&a, "fastly", Label::Sequence(2), &exchange(&[], b""));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].context.as_deref(), Some("sequence[2]"));
    }

    #[test]
    fn a_body_over_the_cap_cannot_pass_body_contains() {
        let a = asserting(None, &[], Some("needle"));
        let mut ex = exchange(&[], b"a needle in here");
        assert!(check(&a, "fastly", Label::Request, &ex).is_empty());
        ex.body.decoded = None;
        let found = check(&a, "fastly", Label::Request, &ex);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("over body_cap_bytes"),
            "{found:?}"
        );
    }
}
