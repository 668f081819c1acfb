//! The gate's allowlist: differences a team has accepted, each with a reason,
//! an owner and an expiry date.
//!
//! The YAML itself is read through the YAML door (`yaml`), which gives each
//! entry's position; this module validates and matches. Like the suites, its keys are
//! a contract:
//!
//! ```yaml
//! allow:
//!   - case: "checkout::*"      # glob over SUITE::CASE
//!     kind: header             # optional: any kind when absent
//!     field: x-frame-options   # optional (a glob; header names match in any case)
//!     provider: cloudflare     # optional
//!     reason: "set by the new WAF rule instead"
//!     owner: net-team
//!     expires: 2027-01-31
//! ```
//!
//! Unknown keys are errors naming the file, the line and the key; `reason`,
//! `owner` and `expires` are required. Nothing here panics on user input.

use std::fmt;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::model::{Difference, Kind};
use crate::yaml::{Location, Spanned};

/// Allowlist errors are input errors like a suite's: file, line and key.
pub type AllowlistError = crate::yaml::InputError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    allow: Vec<Spanned<EntryDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    case: String,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    reason: String,
    owner: String,
    expires: jiff::civil::Date,
}

/// One accepted difference (or family of them).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Glob over `SUITE::CASE`.
    pub case: String,
    pub kind: Option<Kind>,
    /// Glob over the difference's field (header name, JSON Pointer, …).
    pub field: Option<String>,
    pub provider: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: jiff::civil::Date,
    /// Where the entry starts in its file, for messages.
    pub at: Location,
    case_glob: GlobMatcher,
    field_exact: Option<GlobMatcher>,
    field_fold: Option<GlobMatcher>,
}

#[derive(Debug, Clone)]
pub struct Allowlist {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

impl Allowlist {
    /// An allowlist with no entries (the gate without `--allowlist`).
    pub fn empty() -> Allowlist {
        Allowlist {
            path: PathBuf::new(),
            entries: Vec::new(),
        }
    }

    pub fn load(path: &Path) -> Result<Allowlist, AllowlistError> {
        let text = crate::yaml::read(path)?;
        parse(path, &text)
    }
}

impl Allowlist {
    /// Mark every difference a live entry (not expired on `today`) accepts,
    /// the first such entry as the gate picks it, so each report shows what
    /// was accepted, why, by whom and until when. Returns how many.
    pub fn mark(&self, cases: &mut [crate::model::CaseResult], today: jiff::civil::Date) -> usize {
        let mut n = 0;
        for c in cases.iter_mut() {
            for d in c.differences.iter_mut() {
                let entry = self
                    .entries
                    .iter()
                    .find(|e| !e.expired(today) && e.matches(&c.id, d));
                d.allowed = entry.map(Entry::shown);
                n += usize::from(d.allowed.is_some());
            }
        }
        n
    }
}

impl Entry {
    /// Does this entry cover difference `d` of case `case_id`?
    pub fn matches(&self, case_id: &str, d: &Difference) -> bool {
        if !self.case_glob.is_match(case_id) {
            return false;
        }
        if self.kind.is_some_and(|k| k != d.kind) {
            return false;
        }
        if self.provider.as_ref().is_some_and(|p| *p != d.provider) {
            return false;
        }
        // Header names are case-insensitive; JSON Pointers are not.
        let field_glob = match d.kind {
            Kind::Header
            | Kind::Vary
            | Kind::Cache
            | Kind::Assert
            | Kind::Conditional
            | Kind::Range
            | Kind::Head => &self.field_fold,
            Kind::Status | Kind::Body => &self.field_exact,
        };
        match (field_glob, &d.field) {
            (None, _) => true,
            (Some(g), Some(f)) => g.is_match(f),
            (Some(_), None) => false,
        }
    }

    /// The entry as a report shows it beside a difference it accepts.
    pub fn shown(&self) -> crate::model::Allowed {
        crate::model::Allowed {
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.to_string(),
            at: self.at.to_string(),
        }
    }

    /// Past its date: `expires` is the last day the entry holds.
    pub fn expired(&self, today: jiff::civil::Date) -> bool {
        self.expires < today
    }
}

impl fmt::Display for Entry {
    /// `checkout::* header x-frame-options on cloudflare`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.case)?;
        if let Some(k) = self.kind {
            write!(f, " {}", k.as_str())?;
        }
        if let Some(field) = &self.field {
            write!(f, " {field}")?;
        }
        if let Some(p) = &self.provider {
            write!(f, " on {p}")?;
        }
        Ok(())
    }
}

/// Parse an allowlist. `path` is used in messages only.
pub fn parse(path: &Path, text: &str) -> Result<Allowlist, AllowlistError> {
    let doc: FileDoc = crate::yaml::parse(path, text)?;
    let mut entries = Vec::with_capacity(doc.allow.len());
    for e in doc.allow {
        let at = Location::of(path, &e);
        let e = e.value;
        let invalid = |key: &str, message: String| AllowlistError::Invalid {
            at: at.clone(),
            key: key.to_string(),
            message,
        };
        for (key, value) in [
            ("case", &e.case),
            ("reason", &e.reason),
            ("owner", &e.owner),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(key, "must not be empty".into()));
            }
        }
        let glob = |pattern: &str, fold: bool| {
            GlobBuilder::new(pattern)
                .case_insensitive(fold)
                .literal_separator(false)
                .build()
                .map(|g| g.compile_matcher())
        };
        let case_glob = glob(&e.case, false)
            .map_err(|err| invalid("case", format!("not a valid glob: {err}")))?;
        let (field_exact, field_fold) = match &e.field {
            None => (None, None),
            Some(f) => {
                let bad =
                    |err: globset::Error| invalid("field", format!("not a valid glob: {err}"));
                (
                    Some(glob(f, false).map_err(bad)?),
                    Some(glob(f, true).map_err(bad)?),
                )
            }
        };
        entries.push(Entry {
            case: e.case,
            kind: e.kind,
            field: e.field,
            provider: e.provider,
            reason: e.reason,
            owner: e.owner,
            expires: e.expires,
            at,
            case_glob,
            field_exact,
            field_fold,
        });
    }
    Ok(Allowlist {
        path: path.to_path_buf(),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn diff(kind: Kind, field: Option<&str>, provider: &str) -> Difference {
        let mut d = Difference::new(provider, kind, field.map(str::to_string), None, None, "m");
        d.severity = Severity::Major;
        d
    }

    const GOOD: &str = "# accepted\nallow:\n  - case: \"checkout::*\"\n    kind: header\n    field: X-Frame-Options\n    provider: cloudflare\n    reason: set by the WAF\n    owner: net-team\n    expires: 2027-01-31\n\n  - case: \"api::price\"\n    field: /price\n    reason: rounding\n    owner: api-team\n    expires: 2026-06-30\n";

    #[test]
    fn parses_and_matches() {
        let a = parse(Path::new("allow.yaml"), GOOD).unwrap();
        assert_eq!(a.entries.len(), 2);
        let e = &a.entries[0];
        assert_eq!(e.at.to_string(), "allow.yaml:3:5");
        assert_eq!(a.entries[1].at.to_string(), "allow.yaml:11:5");
        assert_eq!(e.expires, jiff::civil::date(2027, 1, 31));
        let xfo = diff(Kind::Header, Some("x-frame-options"), "cloudflare");
        assert!(e.matches("checkout::cart", &xfo));
        assert!(!e.matches("login::cart", &xfo));
        assert!(!e.matches("checkout::cart", &diff(Kind::Body, None, "cloudflare")));
        assert!(!e.matches(
            "checkout::cart",
            &diff(Kind::Header, Some("x-frame-options"), "akamai")
        ));
        let price = &a.entries[1];
        assert!(price.matches("api::price", &diff(Kind::Body, Some("/price"), "any")));
        assert!(!price.matches("api::price", &diff(Kind::Body, Some("/Price"), "any")));
        assert!(!price.matches("api::price", &diff(Kind::Status, None, "any")));
        assert_eq!(
            e.to_string(),
            "checkout::* header X-Frame-Options on cloudflare"
        );
        assert!(e.expired(jiff::civil::date(2027, 2, 1)));
        assert!(!e.expired(jiff::civil::date(2027, 1, 31)));
    }

    #[test]
    fn unknown_and_missing_keys_name_file_line_and_key() {
        let text = "allow:\n  - case: a::b\n    reason: r\n    owner: o\n    expires: 2027-01-01\n    ownr: x\n";
        let e = parse(Path::new("allow.yaml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("allow.yaml:6:"), "{e}");
        assert!(e.contains("unknown field `ownr`"), "{e}");
        assert!(e.contains("did you mean `owner`?"), "{e}");
        let text = "allow:\n  - case: a::b\n    reason: r\n    expires: 2027-01-01\n";
        let e = parse(Path::new("allow.yaml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("allow.yaml:4:") && e.contains("missing field `owner`"),
            "{e}"
        );
        let text = "allow:\n  - case: a::b\n    kind: headr\n    reason: r\n    owner: o\n    expires: 2027-01-01\n";
        let e = parse(Path::new("allow.yaml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("allow.yaml:3:") && e.contains("headr"), "{e}");
        let text = "allow:\n  - case: a::b\n    reason: r\n    owner: o\n    expires: 2027-02-30\n";
        let e = parse(Path::new("allow.yaml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("allow.yaml:5:"), "{e}");
        let text =
            "allow:\n  - case: \"a::[b\"\n    reason: r\n    owner: o\n    expires: 2027-02-03\n";
        let e = parse(Path::new("allow.yaml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("allow.yaml:2:5: key `case`: not a valid glob"),
            "{e}"
        );
        let text =
            "allow:\n  - case: a::b\n    reason: \" \"\n    owner: o\n    expires: 2027-02-03\n";
        let e = parse(Path::new("allow.yaml"), text)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "allow.yaml:2:5: key `reason`: must not be empty");
        let e = parse(Path::new("allow.yaml"), "alow: []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `allow`?"), "{e}");
    }
}
