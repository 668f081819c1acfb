//! How much a difference matters: `critical`, `major`, `minor` or `info`.
//!
//! The default table is data, below; a project overrides it per kind and
//! field in `parity.yaml` (`severities:`). The first matching rule wins:
//! overrides first, then the defaults, then the kind's fallback.

use crate::model::{Kind, Severity};

/// One rule: a kind, an optional field glob (`*` matches any run of
/// characters; absent matches every field), and the severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub kind: Kind,
    pub field: Option<String>,
    pub severity: Severity,
}

/// The defaults. Order matters: the first match wins.
pub const DEFAULTS: &[(Kind, Option<&str>, Severity)] = &[
    (Kind::Status, None, Severity::Critical),
    // What the suite says every answer must show: a broken contract, on
    // whichever side (`assert:`).
    (Kind::Assert, None, Severity::Critical),
    // Vary leaks serve one user's variant to another.
    (Kind::Vary, Some("accept-encoding"), Severity::Major),
    (Kind::Vary, None, Severity::Critical),
    // One user's cookie served to another.
    (Kind::Cache, Some("set-cookie"), Severity::Critical),
    (Kind::Cache, Some("age"), Severity::Minor),
    (Kind::Cache, None, Severity::Major),
    // Security headers dropped or changed.
    (
        Kind::Header,
        Some("strict-transport-security"),
        Severity::Major,
    ),
    (
        Kind::Header,
        Some("content-security-policy*"),
        Severity::Major,
    ),
    (Kind::Header, Some("x-frame-options"), Severity::Major),
    (
        Kind::Header,
        Some("x-content-type-options"),
        Severity::Major,
    ),
    (Kind::Header, Some("referrer-policy"), Severity::Major),
    (Kind::Header, Some("permissions-policy"), Severity::Major),
    (Kind::Header, Some("cross-origin-*"), Severity::Major),
    (Kind::Header, Some("access-control-*"), Severity::Major),
    // Behaviour a browser or a cache acts on.
    (Kind::Header, Some("location"), Severity::Major),
    (Kind::Header, Some("content-type"), Severity::Major),
    (Kind::Header, Some("cache-control"), Severity::Major),
    (Kind::Header, Some("vary"), Severity::Major),
    (Kind::Header, Some("set-cookie"), Severity::Major),
    (Kind::Header, Some("content-disposition"), Severity::Major),
    // Representation details.
    (Kind::Header, Some("content-encoding"), Severity::Minor),
    (Kind::Header, Some("etag"), Severity::Minor),
    (Kind::Header, Some("last-modified"), Severity::Minor),
    (Kind::Header, Some("content-length"), Severity::Minor),
    (Kind::Header, None, Severity::Minor),
    (Kind::Body, None, Severity::Major),
    // The requests that follow a GET: a changed status or lost validators
    // is major; any other field takes the severity the same header or body
    // difference has on the GET (see `Table::severity`).
    (Kind::Conditional, Some("status"), Severity::Major),
    (Kind::Conditional, Some("validators"), Severity::Major),
    (Kind::Range, Some("status"), Severity::Major),
    (Kind::Range, Some("content-range"), Severity::Major),
    (Kind::Head, Some("status"), Severity::Major),
];

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub overrides: Vec<Rule>,
}

fn glob_match(pattern: &str, text: &str) -> bool {
    match globset::Glob::new(pattern) {
        Ok(g) => g.compile_matcher().is_match(text),
        Err(_) => pattern == text,
    }
}

impl Table {
    pub fn severity(&self, kind: Kind, field: Option<&str>) -> Severity {
        let field = field.unwrap_or("");
        for r in &self.overrides {
            if r.kind == kind
                && r.field
                    .as_deref()
                    .map(|p| glob_match(p, field))
                    .unwrap_or(true)
            {
                return r.severity;
            }
        }
        for (k, f, s) in DEFAULTS {
            if *k == kind && f.map(|p| glob_match(p, field)).unwrap_or(true) {
                return *s;
            }
        }
        if kind.is_followup() {
            let (as_kind, as_field) = if field == "body" || field.starts_with('/') {
                (Kind::Body, None)
            } else {
                (Kind::Header, Some(field))
            };
            return self.severity(as_kind, as_field);
        }
        Severity::Minor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let t = Table::default();
        assert_eq!(t.severity(Kind::Status, None), Severity::Critical);
        assert_eq!(
            t.severity(Kind::Vary, Some("accept-language")),
            Severity::Critical
        );
        assert_eq!(
            t.severity(Kind::Cache, Some("set-cookie")),
            Severity::Critical
        );
        assert_eq!(
            t.severity(Kind::Header, Some("x-frame-options")),
            Severity::Major
        );
        assert_eq!(
            t.severity(Kind::Header, Some("content-security-policy-report-only")),
            Severity::Major
        );
        assert_eq!(
            t.severity(Kind::Header, Some("content-encoding")),
            Severity::Minor
        );
        assert_eq!(
            t.severity(Kind::Cache, Some("sequence[1]")),
            Severity::Major
        );
        assert_eq!(t.severity(Kind::Body, Some("/price")), Severity::Major);
        let t = Table {
            overrides: vec![Rule {
                kind: Kind::Header,
                field: Some("x-*".into()),
                severity: Severity::Info,
            }],
        };
        assert_eq!(
            t.severity(Kind::Header, Some("x-frame-options")),
            Severity::Info
        );
        assert_eq!(t.severity(Kind::Header, Some("etag")), Severity::Minor);
        assert!(Severity::Critical > Severity::Major && Severity::Minor > Severity::Info);
        // A follow-up's header or body takes the GET's severity for it.
        let t = Table::default();
        assert_eq!(t.severity(Kind::Range, Some("status")), Severity::Major);
        assert_eq!(
            t.severity(Kind::Head, Some("content-type")),
            Severity::Major
        );
        assert_eq!(t.severity(Kind::Conditional, Some("etag")), Severity::Minor);
        assert_eq!(t.severity(Kind::Range, Some("body")), Severity::Major);
        assert_eq!(t.severity(Kind::Assert, Some("status")), Severity::Critical);
    }
}
