//! Cases × providers: what will be sent, and where.
//!
//! A pure function of the validated suites and the environment, so the whole
//! run can be listed (`--list`) and tested without a network. Every provider
//! gets the same request; only the address it is pinned to differs, and that
//! is `exec`'s business.

use std::collections::BTreeSet;

use crate::suite::{Case, Environment, Suite};

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
    pub suite: String,
    pub case: Case,
    pub host: String,
    pub port: u16,
    pub request: RequestSpec,
    /// Baseline first.
    pub providers: Vec<String>,
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
    /// Every (host, port) the run talks to: one address lookup per provider
    /// and host.
    pub hosts: BTreeSet<(String, u16)>,
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

/// Takes the suites: each case moves into its planned case (no copy of a
/// 100,000-case suite is kept).
pub fn plan(env: &Environment, suites: Vec<Suite>) -> Plan {
    let providers: Vec<String> = env.providers.iter().map(|p| p.name.clone()).collect();
    let mut cases = Vec::new();
    let mut hosts = BTreeSet::new();
    let mut secrets = Vec::new();
    for mut suite in suites {
        for s in &suite.secrets {
            if !secrets.contains(s) {
                secrets.push(s.clone());
            }
        }
        let suite_cases = std::mem::take(&mut suite.cases);
        cases.reserve(suite_cases.len());
        for case in suite_cases {
            if !hosts.contains(&(case.host.clone(), suite.port)) {
                hosts.insert((case.host.clone(), suite.port));
            }
            cases.push(PlannedCase {
                id: format!("{}::{}", suite.name, case.name),
                suite: suite.name.clone(),
                host: case.host.clone(),
                port: suite.port,
                request: request_for(&suite, &case),
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
            .map(|c| (c.id.clone(), c.request.url.to_string(), c.providers.clone()))
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
            vec![("www.example.test".to_string(), 18443)]
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
