//! Cases × providers: what will be sent, and where.
//!
//! A pure function of the validated suites and the environment, so the whole
//! run can be listed (`--list`) and tested without a network. Every provider
//! gets the same request; only the address it is pinned to differs, and that
//! is `exec`'s business.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::config::Endpoint;
use crate::suite::{Case, Environment, Suite};

/// Where a request goes before pinning: scheme, host (the Host header and
/// TLS SNI) and port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub fn of(url: &reqwest::Url) -> Origin {
        Origin {
            scheme: url.scheme().to_string(),
            host: url.host_str().unwrap_or_default().to_string(),
            port: url.port_or_known_default().unwrap_or(443),
        }
    }

    /// Where a provider with this endpoint is asked instead: its own
    /// `host` (`{host}` filled with this host), its `scheme`, and its
    /// `port` (default: this port, or the default port of its scheme
    /// when that is not this scheme).
    pub fn for_provider(&self, e: &Endpoint) -> Origin {
        let scheme = e.scheme.map(|s| s.as_str().to_string());
        let port = match (e.port, e.scheme) {
            (Some(p), _) => p,
            (None, Some(s)) if s.as_str() != self.scheme => s.default_port(),
            _ => self.port,
        };
        Origin {
            host: match &e.host {
                Some(h) => h.replace("{host}", &self.host).to_ascii_lowercase(),
                None => self.host.clone(),
            },
            scheme: scheme.unwrap_or_else(|| self.scheme.clone()),
            port,
        }
    }
}

/// The request as one provider gets it: its endpoint's scheme, host and
/// port, and its headers over the case's (the same request when the
/// provider sets none of them).
pub fn route<'a>(req: &'a RequestSpec, e: &Endpoint) -> Cow<'a, RequestSpec> {
    if *e == Endpoint::default() {
        return Cow::Borrowed(req);
    }
    let mut r = req.clone();
    let to = Origin::of(&r.url).for_provider(e);
    // http and https are both "special" schemes, so these cannot fail for
    // the URLs a suite makes; the pinning check catches any that would.
    let _ = r.url.set_scheme(&to.scheme);
    let _ = r.url.set_host(Some(&to.host));
    let _ = r.url.set_port(Some(to.port));
    for (k, v) in &e.headers {
        r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
        r.headers.push((k.clone(), v.clone()));
    }
    Cow::Owned(r)
}

/// One request as it goes on the wire (before pinning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    pub method: http::Method,
    pub url: reqwest::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout_ms: Option<u64>,
}

/// A case ready to run against every provider of the environment.
#[derive(Debug, Clone)]
pub struct PlannedCase {
    /// `SUITE::CASE`, where CASE is the case's unique name (`home@HOST` with
    /// several hosts).
    pub id: String,
    /// The suite's name (one string, shared by its cases).
    pub suite: std::sync::Arc<str>,
    /// The case as read; its `host` is the one it is asked for.
    pub case: Case,
    pub port: u16,
    pub request: RequestSpec,
    /// Baseline first (one list, shared by every case).
    pub providers: std::sync::Arc<[String]>,
    /// Lower-case names of request headers whose values are secrets.
    pub secret_headers: BTreeSet<String>,
}

impl PlannedCase {
    /// `SUITE::CASE` of the case as written, when it runs as several.
    pub fn group(&self) -> Option<String> {
        self.case
            .group
            .as_ref()
            .map(|g| format!("{}::{g}", self.suite))
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub environment: String,
    pub baseline: String,
    pub cases: Vec<PlannedCase>,
    /// Every origin the cases are asked at (before a provider's own
    /// endpoint): one address lookup per provider and host.
    pub hosts: BTreeSet<Origin>,
    /// Values filled from environment variables, redacted everywhere.
    pub secrets: Vec<String>,
    /// Set when the run takes one shard of the cases.
    pub shard: Option<crate::shard::Shard>,
    /// Digest of the config and suites (see `prepare`).
    pub config_digest: String,
    /// Files of the suite folders skipped because they are project configs
    /// (said with `-v`, never an error).
    pub skipped: Vec<std::path::PathBuf>,
}

/// Why a selection of cases could not be made, or made nothing.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("--filter `{pattern}` is not a glob: {message}")]
    BadPattern { pattern: String, message: String },
    #[error(
        "{what} selects none of the {total} planned cases: nothing would be compared \
         (`edgeparity list` shows their ids)"
    )]
    Nothing { what: String, total: usize },
}

impl Plan {
    /// Keep the cases whose id one of `filters` matches: a glob over the
    /// whole id (`*` crosses `/`, `::` and `@`), or the id itself (ids of
    /// matrix cases hold `[...]`, which a glob reads as a class). No filter
    /// keeps every case; a selection of none is an error.
    pub fn select(&mut self, filters: &[String]) -> Result<(), SelectError> {
        if filters.is_empty() {
            return Ok(());
        }
        let mut set = globset::GlobSetBuilder::new();
        for f in filters {
            let glob = globset::Glob::new(f).map_err(|e| SelectError::BadPattern {
                pattern: f.clone(),
                message: e.kind().to_string(),
            })?;
            set.add(glob);
        }
        let set = set.build().map_err(|e| SelectError::BadPattern {
            pattern: filters.join(" "),
            message: e.to_string(),
        })?;
        let total = self.cases.len();
        self.cases
            .retain(|c| filters.contains(&c.id) || set.is_match(&c.id));
        self.nothing_left(
            &filters
                .iter()
                .map(|f| format!("--filter `{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            total,
        )
    }

    /// An error when no case is left after `what` chose among `total`.
    pub fn nothing_left(&self, what: &str, total: usize) -> Result<(), SelectError> {
        if self.cases.is_empty() {
            return Err(SelectError::Nothing {
                what: what.to_string(),
                total,
            });
        }
        Ok(())
    }
}

/// Takes the suites: each case moves into its planned case (no copy of a
/// 100,000-case suite is kept).
pub fn plan(env: &Environment, suites: Vec<Suite>) -> Plan {
    let providers: std::sync::Arc<[String]> =
        env.providers.iter().map(|p| p.name.clone()).collect();
    let mut cases = Vec::with_capacity(suites.iter().map(|s| s.cases.len()).sum());
    let mut hosts = BTreeSet::new();
    let mut secrets = env.secrets.clone();
    for mut suite in suites {
        for s in &suite.secrets {
            if !secrets.contains(s) {
                secrets.push(s.clone());
            }
        }
        let suite_cases = std::mem::take(&mut suite.cases);
        let suite_name: std::sync::Arc<str> = suite.name.as_str().into();
        for case in crate::suite::drain_shrinking(suite_cases) {
            let request = request_for(&suite, &case);
            let origin = Origin::of(&request.url);
            if !hosts.contains(&origin) {
                hosts.insert(origin);
            }
            cases.push(PlannedCase {
                id: format!("{}::{}", suite.name, case.name),
                suite: suite_name.clone(),
                port: suite.port,
                request,
                providers: providers.clone(),
                secret_headers: case
                    .headers
                    .iter()
                    .filter(|h| h.secret)
                    .map(|h| h.name.to_ascii_lowercase())
                    .collect(),
                case,
            });
        }
    }
    Plan {
        skipped: Vec::new(),
        environment: env.name.clone(),
        baseline: env.baseline.clone(),
        cases,
        hosts,
        secrets,
        shard: None,
        config_digest: String::new(),
    }
}

/// The URL is the suite's base URL with the case's host and its path (and
/// query) appended, so Host and SNI are the case's host on every provider
/// (unless a provider's `host:` says otherwise, see `route`).
fn request_for(suite: &Suite, case: &Case) -> RequestSpec {
    let mut url = suite.base_url.clone();
    if url.host_str() != Some(case.host.as_str()) {
        // Checked when the suite was read (`suite::host_name`).
        let _ = url.set_host(Some(&case.host));
    }
    let base_path = url.path().trim_end_matches('/').to_string();
    let (path, query) = match case.path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (case.path.as_str(), None),
    };
    url.set_path(&format!("{base_path}{path}"));
    url.set_query(query);
    RequestSpec {
        method: case.method.clone(),
        url,
        headers: case
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
        body: case.body.as_ref().map(|b| b.as_bytes().to_vec()),
        timeout_ms: case.timeout_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Config;
    use std::path::Path;

    #[test]
    fn plan_is_cases_times_providers_in_order() {
        let config = Config::parse(
            Path::new("p.yaml"),
            "environments:\n  t:\n    baseline: b\n    providers:\n      a: {addrs: [127.0.0.3]}\n      b: {addrs: [127.0.0.2]}\n",
        )
        .unwrap();
        let env = config.environment(None).unwrap();
        let suite = Suite::parse(
            Path::new("s/www.yaml"),
            "base_url: https://www.example.test:18443/prefix/\ncases:\n  - {name: home, path: /}\n  - {name: item, path: \"/api/item?id=42\"}\n",
            &|_| None,
        )
        .unwrap();
        let p = plan(env, vec![suite]);
        let summary: Vec<(String, String, Vec<String>)> = p
            .cases
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.request.url.to_string(),
                    c.providers.to_vec(),
                )
            })
            .collect();
        insta::assert_yaml_snapshot!(summary, @r#"
        - - "www::home"
          - "https://www.example.test:18443/prefix/"
          - - b
            - a
        - - "www::item"
          - "https://www.example.test:18443/prefix/api/item?id=42"
          - - b
            - a
        "#);
        assert_eq!(
            p.hosts.into_iter().collect::<Vec<_>>(),
            vec![Origin {
                scheme: "https".into(),
                host: "www.example.test".into(),
                port: 18443
            }]
        );
    }
}

#[cfg(test)]
mod select_tests {
    use super::*;
    use crate::suite::Config;
    use std::path::Path;

    fn plan_of(cases: &str) -> Plan {
        let config = Config::parse(
            Path::new("p.yaml"),
            "environments:\n  t:\n    baseline: a\n    providers:\n      a: {addrs: [127.0.0.2]}\n      b: {addrs: [127.0.0.3]}\n",
        )
        .unwrap();
        let suite = Suite::parse(
            Path::new("shop/www.yaml"),
            &format!("base_url: https://x.test\nhosts: [a.test, b.test]\ncases:\n{cases}"),
            &|_| None,
        )
        .unwrap();
        plan(config.environment(None).unwrap(), vec![suite])
    }

    #[test]
    fn filters_select_by_glob_or_exact_id_and_nothing_is_an_error() {
        let cases = "  - {name: home, path: /, matrix: {lang: {Accept-Language: [en, fr]}}}\n  - {name: api, path: /api}\n";
        let ids = |filters: &[&str]| -> Result<Vec<String>, String> {
            let mut p = plan_of(cases);
            let f: Vec<String> = filters.iter().map(|s| s.to_string()).collect();
            p.select(&f).map_err(|e| e.to_string())?;
            Ok(p.cases.into_iter().map(|c| c.id).collect())
        };
        assert_eq!(ids(&[]).unwrap().len(), 6);
        assert_eq!(
            ids(&["*@b.test"]).unwrap(),
            vec![
                "www::home[lang=en]@b.test",
                "www::home[lang=fr]@b.test",
                "www::api@b.test"
            ]
        );
        assert_eq!(
            ids(&["www::home[lang=fr]@a.test", "*::api@a*"]).unwrap(),
            vec!["www::home[lang=fr]@a.test", "www::api@a.test"]
        );
        assert_eq!(ids(&["*lang=fr*"]).unwrap().len(), 2);
        let e = ids(&["nope::*"]).unwrap_err();
        assert!(
            e.contains("--filter `nope::*` selects none of the 6 planned cases"),
            "{e}"
        );
        let e = ids(&["a{b"]).unwrap_err();
        assert!(e.contains("--filter `a{b` is not a glob"), "{e}");
    }
}

#[cfg(test)]
mod route_tests {
    use super::*;
    use crate::config::Scheme;

    fn req(url: &str) -> RequestSpec {
        RequestSpec {
            method: http::Method::GET,
            url: reqwest::Url::parse(url).unwrap(),
            headers: vec![
                ("X-Key".into(), "case".into()),
                ("Accept".into(), "*/*".into()),
            ],
            body: None,
            timeout_ms: None,
        }
    }

    #[test]
    fn a_provider_endpoint_changes_scheme_port_host_and_headers() {
        let r = req("https://www.example.test/a?b=1");
        // Nothing set: the same request, not a copy.
        assert!(matches!(route(&r, &Endpoint::default()), Cow::Borrowed(_)));
        let wrangler = Endpoint {
            scheme: Some(Scheme::Http),
            port: Some(8787),
            host: None,
            headers: vec![("x-key".into(), "provider".into())],
        };
        let got = route(&r, &wrangler);
        assert_eq!(got.url.as_str(), "http://www.example.test:8787/a?b=1");
        assert_eq!(
            got.headers,
            vec![
                ("Accept".to_string(), "*/*".to_string()),
                ("x-key".to_string(), "provider".to_string())
            ]
        );
        // Another scheme without a port: that scheme's default port.
        let plain = Endpoint {
            scheme: Some(Scheme::Http),
            ..Endpoint::default()
        };
        let r2 = req("https://www.example.test:18443/");
        assert_eq!(route(&r2, &plain).url.as_str(), "http://www.example.test/");
        // The same scheme keeps the suite's port; `{host}` is the case's host.
        let origin = Endpoint {
            scheme: Some(Scheme::Https),
            host: Some("origin-{host}".into()),
            ..Endpoint::default()
        };
        assert_eq!(
            route(&r2, &origin).url.as_str(),
            "https://origin-www.example.test:18443/"
        );
        assert_eq!(
            Origin::of(&r2.url).for_provider(&origin),
            Origin {
                scheme: "https".into(),
                host: "origin-www.example.test".into(),
                port: 18443
            }
        );
    }
}

/// Test helpers shared by the stages after `plan`.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::suite::Config;
    use std::path::Path;

    /// The first case of a one-suite plan over providers `fastly`
    /// (baseline) and `cloudflare`; `case_yaml` is the suite's `cases:` list.
    pub(crate) fn planned(case_yaml: &str) -> PlannedCase {
        let config = Config::parse(
            Path::new("p.yaml"),
            "environments:\n  t:\n    baseline: fastly\n    providers:\n      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.3]}\n",
        )
        .unwrap();
        let env = config.environment(None).unwrap();
        let suite = Suite::parse(
            Path::new("s.yaml"),
            &format!("base_url: https://x.test\ncases:\n{case_yaml}"),
            &|_| None,
        )
        .unwrap();
        plan(env, vec![suite]).cases.remove(0)
    }
}
