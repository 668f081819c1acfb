//! End to end against the real testbed (`testbed/up`): Varnish standing in
//! for Fastly on 127.0.0.2, nginx for Cloudflare on 127.0.0.3, dnsmasq on
//! 127.0.0.5:18053, TLS with a CA generated at start.
//!
//! These tests never skip: if a testbed server is not answering, they fail
//! and say which one and how to start it.

mod common;

use std::path::{Path, PathBuf};

use common::{report_case, Project};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_dir() -> PathBuf {
    std::env::var("EDGEPARITY_TESTBED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("testbed/run"))
}

fn ca() -> PathBuf {
    run_dir().join("tls/ca.pem")
}

/// Fail loudly, with the reason, when a testbed server is missing.
fn require_testbed() {
    common::require_testbed(&[
        ("Varnish (Fastly stand-in) behind hitch", "127.0.0.2:18443"),
        ("nginx (Cloudflare stand-in)", "127.0.0.3:18443"),
        ("origin", "127.0.0.4:18080"),
        ("dnsmasq (TCP)", "127.0.0.5:18053"),
        ("nginx wrong-name TLS", "127.0.0.6:18443"),
        ("nginx untrusted-CA TLS", "127.0.0.7:18443"),
    ]);
}

fn edgeparity(args: &[&str], cwd: &Path) -> (i32, String, serde_json::Value, PathBuf) {
    let report_dir = cwd.join("reports/latest");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(args)
        .arg("--report-dir")
        .arg(&report_dir)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .env_remove("PARITY_BASELINE")
        .env("CI", "true")
        .output()
        .expect("run edgeparity");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(report_dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), text, report, report_dir)
}

/// A scratch project whose environment is the given providers block.
fn project(providers: &str, cases: &str) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        &format!(
            "environments:\n  t:\n    baseline: fastly\n    ca_file: {}\n    timeout_ms: 5000\n    connect_timeout_ms: 2000\n    providers:\n{providers}",
            ca().display()
        ),
    );
    p.write(
        "suites/www.yaml",
        &format!("base_url: https://www.example.test:18443\ncases:\n{cases}"),
    );
    p
}

const PAGE: &str = "  - {name: app-js, path: /static/app.js, ignore_headers: [etag]}\n";

#[test]
fn example_suites_give_exactly_the_expected_verdicts() {
    require_testbed();
    let (code, text, r, _) = edgeparity(&["run", "--env", "testbed", "suites"], &repo());
    assert_eq!(
        code, 1,
        "the example suites contain deliberate differences:\n{text}"
    );
    let cases = r["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10, "{text}");
    let mut wrong = Vec::new();
    for c in cases {
        let want = c["expect"]["verdict"].as_str().unwrap_or("parity");
        if c["verdict"] != want {
            wrong.push(format!(
                "{}: expected {want}, got {} — {}",
                c["id"], c["verdict"], c["differences"]
            ));
            continue;
        }
        if let Some(expected) = c["expect"]["differences"].as_array() {
            for d in c["differences"].as_array().unwrap() {
                let ok = expected.iter().any(|e| {
                    e["kind"] == d["kind"] && (e["field"].is_null() || e["field"] == d["field"])
                });
                if !ok {
                    wrong.push(format!("{}: unexpected difference {d}", c["id"]));
                }
            }
            for e in expected {
                let ok = c["differences"].as_array().unwrap().iter().any(|d| {
                    e["kind"] == d["kind"] && (e["field"].is_null() || e["field"] == d["field"])
                });
                if !ok {
                    wrong.push(format!("{}: expected difference {e} not found", c["id"]));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}\n\n{text}", wrong.join("\n"));
    // HTTPS with the test CA, and HTTP/2 negotiated by ALPN on both edges.
    let first = &cases[0]["responses"][0];
    assert!(
        first["remote_addr"].as_str().unwrap().ends_with(":18443"),
        "{first}"
    );
    assert_eq!(r["insecure"], false);
}

#[test]
fn two_runs_back_to_back_give_the_same_verdicts() {
    require_testbed();
    let verdicts = |r: &serde_json::Value| -> Vec<(String, String)> {
        r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let p = Project::new();
    let (_, t1, r1, _) = edgeparity(
        &[
            "run",
            "--env",
            "testbed",
            "--config",
            repo().join("parity.yaml").to_str().unwrap(),
            repo().join("suites").to_str().unwrap(),
        ],
        p.dir.path(),
    );
    let (_, t2, r2, _) = edgeparity(
        &[
            "run",
            "--env",
            "testbed",
            "--config",
            repo().join("parity.yaml").to_str().unwrap(),
            repo().join("suites").to_str().unwrap(),
        ],
        p.dir.path(),
    );
    assert_eq!(verdicts(&r1), verdicts(&r2), "first:\n{t1}\nsecond:\n{t2}");
}

#[test]
fn resolve_through_dnsmasq_follows_the_cname_chain() {
    require_testbed();
    let p = project(
        "      fastly: {resolve: \"{host}.global.fastly.test\", nameserver: \"127.0.0.5:18053\"}\n      cloudflare: {resolve: \"{host}.cdn.cloudflare.test\", nameserver: \"127.0.0.5:18053\"}\n",
        PAGE,
    );
    let (code, text, r, _) = edgeparity(&["run"], p.dir.path());
    assert_eq!(code, 0, "{text}");
    let cf = r["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cloudflare")
        .unwrap();
    let res = &cf["resolutions"][0];
    assert_eq!(res["name"], "www.example.test.cdn.cloudflare.test");
    assert_eq!(res["nameserver"], "127.0.0.5:18053");
    assert_eq!(res["addrs"], serde_json::json!(["127.0.0.3"]));
    assert_eq!(
        res["cname_chain"],
        serde_json::json!([
            "www.example.test.cdn.cloudflare.test",
            "edge.cdn.cloudflare.test"
        ])
    );
    let fastly = r["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "fastly")
        .unwrap();
    assert_eq!(
        fastly["resolutions"][0]["addrs"],
        serde_json::json!(["127.0.0.2"])
    );
    assert_eq!(report_case(&r, "www::app-js")["verdict"], "parity");
}

/// Each fail-closed setup: every case an error with a clear message, never parity.
fn assert_fails_closed(providers: &str, needles: &[&str]) {
    let p = project(providers, PAGE);
    let (code, text, r, _) = edgeparity(&["run"], p.dir.path());
    assert_eq!(code, 3, "{text}");
    let c = report_case(&r, "www::app-js");
    assert_eq!(c["verdict"], "error", "{text}");
    let err = c["error"].as_str().unwrap();
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
}

/// Providers that share an edge address would compare an edge with itself:
/// refused before anything is sent (exit 2), pinned or resolved, with IPv4
/// written as IPv4-mapped IPv6 too.
fn assert_refused_as_shared(providers: &str) {
    let p = project(providers, PAGE);
    let (code, text, _, _) = edgeparity(&["run"], p.dir.path());
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("share the address 127.0.0.2 for www.example.test")
            && text.contains("allow_shared_addresses"),
        "{text}"
    );
}

#[test]
fn both_providers_on_one_edge_is_refused_or_caught_by_the_fingerprint() {
    require_testbed();
    assert_refused_as_shared(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.2]}\n",
    );
    assert_refused_as_shared(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [\"::ffff:127.0.0.2\"]}\n",
    );
    // The same through DNS: a name whose CNAME leads to the Fastly edge.
    assert_refused_as_shared(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.same-edge.test\", nameserver: \"127.0.0.5:18053\"}\n",
    );
    // Allowed on purpose: said loudly, and the fingerprint still fails closed.
    let p = project(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.2]}\n",
        PAGE,
    );
    let cfg = std::fs::read_to_string(p.path("parity.yaml")).unwrap();
    p.write(
        "parity.yaml",
        &cfg.replace(
            "    timeout_ms",
            "    allow_shared_addresses: true\n    timeout_ms",
        ),
    );
    let (code, text, r, _) = edgeparity(&["run"], p.dir.path());
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("WARNING: SHARED ADDRESSES"), "{text}");
    assert!(
        r["warnings"].to_string().contains("SHARED ADDRESSES"),
        "{r}"
    );
    let c = report_case(&r, "www::app-js");
    let err = c["error"].as_str().unwrap();
    assert!(
        err.contains("cloudflare: fingerprint check failed: response did not come from cloudflare: no cf-ray header"),
        "{err}"
    );
}

#[test]
fn a_name_that_does_not_resolve_fails_closed() {
    require_testbed();
    assert_fails_closed(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.nowhere.test\", nameserver: \"127.0.0.5:18053\"}\n",
        &["cloudflare: address lookup failed", "www.example.test.nowhere.test", "127.0.0.5:18053"],
    );
    // A name that exists with no A or AAAA record.
    assert_fails_closed(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.empty.test\", nameserver: \"127.0.0.5:18053\"}\n",
        &["cloudflare: address lookup failed", "www.example.test.empty.test"],
    );
}

#[test]
fn a_nameserver_that_does_not_answer_fails_closed() {
    require_testbed();
    assert_fails_closed(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.cdn.cloudflare.test\", nameserver: \"127.0.0.5:18054\"}\n",
        &["cloudflare: address lookup failed", "127.0.0.5:18054"],
    );
}

#[test]
fn a_wrong_name_certificate_fails_closed() {
    require_testbed();
    assert_fails_closed(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.6]}\n",
        &[
            "cloudflare: TLS failed",
            "certificate not valid for name \"www.example.test\"",
        ],
    );
}

#[test]
fn an_untrusted_ca_fails_closed() {
    require_testbed();
    assert_fails_closed(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.7]}\n",
        &["cloudflare: TLS failed", "UnknownIssuer"],
    );
}

#[test]
fn http_versions_are_recorded_and_can_be_forced() {
    require_testbed();
    for (mode, want) in [("h1", "HTTP/1.1"), ("h2", "HTTP/2.0")] {
        let p = project(
            "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.3]}\n",
            PAGE,
        );
        let cfg = std::fs::read_to_string(p.path("parity.yaml")).unwrap();
        p.write(
            "parity.yaml",
            &cfg.replace(
                "    timeout_ms",
                &format!("    http: {mode}\n    timeout_ms"),
            ),
        );
        let (code, text, r, _) = edgeparity(&["run"], p.dir.path());
        assert_eq!(code, 0, "{text}");
        for resp in report_case(&r, "www::app-js")["responses"]
            .as_array()
            .unwrap()
        {
            assert_eq!(resp["version"], want, "{mode}: {resp}");
        }
    }
}

#[test]
fn insecure_is_allowed_per_environment_and_said_loudly() {
    require_testbed();
    // The untrusted-CA edge is reachable only with verification off.
    let p = project(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.7]}\n",
        PAGE,
    );
    let cfg = std::fs::read_to_string(p.path("parity.yaml")).unwrap();
    p.write(
        "parity.yaml",
        &cfg.replace("    timeout_ms", "    insecure: true\n    timeout_ms"),
    );
    let (code, text, r, _) = edgeparity(&["run"], p.dir.path());
    assert_eq!(code, 0, "{text}");
    assert_eq!(r["insecure"], true);
    assert!(
        r["warnings"][0].as_str().unwrap().starts_with("INSECURE"),
        "{r:#}"
    );
    assert!(
        text.contains("WARNING: INSECURE: environment `t` does not verify TLS certificates"),
        "{text}"
    );
}

const THREE: &str = "  - {name: a, path: /static/app.js, ignore_headers: [etag]}\n  - {name: b, path: \"/static/app.js?b\", ignore_headers: [etag]}\n  - {name: c, path: \"/static/app.js?c\", ignore_headers: [etag]}\n";

/// A provider every case fails on: one warning, at the top of the output
/// and in report.json, with the failure and its fix, and no Rust debug
/// output (`Query { name: Name(...) }`) anywhere a person reads.
/// Each failed case also has its request and a curl pinned as `pin` says.
fn assert_one_outage(providers: &str, kind: &str, fix: &str, pin: &str) {
    let p = project(providers, THREE);
    let (code, text, r, dir) = edgeparity(&["run"], p.dir.path());
    assert_eq!(code, 3, "{text}");
    let head = format!("cloudflare: every case failed (3 of 3): {kind}: ");
    assert_eq!(text.matches("every case failed").count(), 1, "{text}");
    let line = text
        .lines()
        .find(|l| l.contains(&head))
        .unwrap_or_else(|| panic!("no `{head}` in:\n{text}"));
    assert!(line.contains(&format!(" — fix: {fix}")), "{line}");
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str())
        .filter(|w| w.contains("every case failed"))
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", r["warnings"]);
    assert!(warnings[0].starts_with(&head), "{}", warnings[0]);
    assert!(warnings[0].contains(fix), "{}", warnings[0]);
    for id in ["www::a", "www::b", "www::c"] {
        let f = &report_case(&r, id)["failures"][0];
        assert_eq!(f["provider"], "cloudflare", "{id}");
        assert_eq!(f["request"]["method"], "GET", "{id}");
        let curl = f["curl"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no curl: {f}"));
        assert!(curl.contains(pin), "{id}: {curl}");
        assert!(curl.contains("--cacert"), "{id}: {curl}");
    }
    let mut read = vec![("output".to_string(), text.clone())];
    for f in ["report.json", "summary.md", "report.html", "junit.xml"] {
        read.push((f.into(), std::fs::read_to_string(dir.join(f)).expect(f)));
    }
    for (name, t) in &read {
        for debug in ["Query {", "Name(", "Some(", "Error {", "kind: "] {
            assert!(
                !t.contains(debug),
                "{name} holds Rust debug output `{debug}`"
            );
        }
    }
}

#[test]
fn a_provider_wide_dns_outage_is_one_warning_with_the_fix() {
    require_testbed();
    let fix = "check the provider's `resolve` name and `nameserver`";
    // NXDOMAIN, and a nameserver that does not answer.
    assert_one_outage(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.nowhere.test\", nameserver: \"127.0.0.5:18053\"}\n",
        "address lookup failed",
        fix,
        // No address found: pinned to a variable, never the system's DNS.
        "--resolve 'www.example.test:18443:'\"$EDGEPARITY_ADDR\"",
    );
    assert_one_outage(
        "      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.cdn.cloudflare.test\", nameserver: \"127.0.0.5:18054\"}\n",
        "address lookup failed",
        fix,
        // No address found: pinned to a variable, never the system's DNS.
        "--resolve 'www.example.test:18443:'\"$EDGEPARITY_ADDR\"",
    );
}

#[test]
fn a_provider_wide_tls_outage_is_one_warning_with_the_fix() {
    require_testbed();
    let fix = "check `ca_file` (a private CA), that the certificate names the host asked";
    // A certificate for another name, and one from a CA not trusted.
    for addr in ["127.0.0.6", "127.0.0.7"] {
        assert_one_outage(
            &format!(
                "      fastly: {{addrs: [127.0.0.2]}}\n      cloudflare: {{addrs: [{addr}]}}\n"
            ),
            "TLS failed",
            fix,
            &format!("--resolve 'www.example.test:18443:{addr}'"),
        );
    }
}
