//! `edgeparity import` end to end against the real testbed (`testbed/up`):
//! a log of testbed traffic (the URLs the example suites use, with the cache
//! outcomes the Fastly stand-in gives them) is imported, the suites are run
//! with `edgeparity run`, and the testbed's deliberate differences
//! (testbed/README.md) must be found — and only where they exist.
//!
//! Like tests/testbed.rs, these never skip: without the testbed they fail
//! and say how to start it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Project;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ca() -> PathBuf {
    std::env::var("EDGEPARITY_TESTBED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("testbed/run"))
        .join("tls/ca.pem")
}

fn require_testbed() {
    common::require_testbed(common::TESTBED);
}

fn edgeparity(args: &[&str], cwd: &Path) -> (i32, String) {
    common::run_ci(args, cwd)
}

fn project() -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        &format!(
            "default_env: testbed\nenvironments:\n  testbed:\n    baseline: fastly\n    ca_file: {}\n    timeout_ms: 5000\n    connect_timeout_ms: 2000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n",
            ca().display()
        ),
    );
    p
}

/// Per case (as `METHOD path probe`): its verdict and its differences.
type Outcomes = BTreeMap<String, (String, Vec<String>)>;

/// Import, check every suite loads, run them; (exit code, output, per case
/// path: verdict and the differences as `kind field`).
fn import_and_run(p: &Project, log: &str) -> (i32, String, Outcomes) {
    let (code, out) = edgeparity(&["import", log], p.dir.path());
    assert_eq!(code, 0, "import failed:\n{out}");
    let dir = p.path("suites/imported");
    let mut paths = BTreeMap::new();
    for e in std::fs::read_dir(&dir).expect("suites written").flatten() {
        let suite = edgeparity::suite::Suite::load(&e.path()).expect("an imported suite loads");
        for c in &suite.cases {
            let probe = match &c.probe {
                edgeparity::suite::Probe::Single => String::new(),
                edgeparity::suite::Probe::Sequence { count, .. } => format!(" cache×{count}"),
                edgeparity::suite::Probe::Vary { header, .. } => format!(" vary {header}"),
                edgeparity::suite::Probe::Encoding { .. } => " vary accept-encoding".to_string(),
            };
            paths.insert(
                format!("{}::{}", suite.name, c.name),
                format!("{} {}{probe}", c.method, c.path),
            );
        }
    }
    let (code, text) = edgeparity(
        &[
            "run",
            "--env",
            "testbed",
            "--report-dir",
            "reports/latest",
            "suites/imported",
        ],
        p.dir.path(),
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path("reports/latest/report.json"))
            .expect("report.json written"),
    )
    .expect("report.json is JSON");
    let mut by_path = BTreeMap::new();
    for c in report["cases"].as_array().expect("cases") {
        let id = c["id"].as_str().unwrap_or_default();
        let mut diffs: Vec<String> = c["differences"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                format!(
                    "{} {}",
                    d["kind"].as_str().unwrap_or("?"),
                    d["field"].as_str().unwrap_or("")
                )
            })
            .collect();
        diffs.sort();
        diffs.dedup();
        let key = paths.get(id).cloned().unwrap_or_else(|| id.to_string());
        by_path.insert(
            key,
            (c["verdict"].as_str().unwrap_or("?").to_string(), diffs),
        );
    }
    (code, format!("{out}\n{text}"), by_path)
}

fn has(diffs: &[String], kind: &str, field_prefix: &str) -> bool {
    diffs.iter().any(|d| {
        d.split_once(' ')
            .is_some_and(|(k, f)| k == kind && f.starts_with(field_prefix))
    })
}

/// An nginx `$host`-first access log (the host as `$http_host` logs it, with
/// the port) of testbed traffic with `cache=` as the Fastly stand-in
/// answers: cached statuses and extensions HIT, no-store and Set-Cookie
/// answers MISS.
fn testbed_log() -> String {
    let traffic: &[(&str, &str, u16, &str, usize)] = &[
        ("GET", "/", 200, "HIT", 30),
        ("GET", "/static/app.js", 200, "HIT", 25),
        ("GET", "/static/style.css", 200, "HIT", 20),
        ("GET", "/static/logo.png", 200, "HIT", 12),
        ("GET", "/api/item?id=42", 200, "MISS", 9),
        ("GET", "/api/item?id=7", 200, "MISS", 4),
        ("GET", "/text/big.txt", 200, "HIT", 6),
        ("GET", "/etag/strong.css", 200, "HIT", 5),
        ("GET", "/etag/weak.css", 200, "HIT", 5),
        ("GET", "/etag/unquoted.css", 200, "HIT", 5),
        ("GET", "/redirect", 301, "HIT", 4),
        ("GET", "/status/404", 404, "HIT", 3),
        ("GET", "/status/500", 500, "MISS", 2),
        ("GET", "/cookie/session.html", 200, "MISS", 3),
        ("POST", "/login", 200, "MISS", 3),
    ];
    let mut log = String::new();
    // Interleaved, as real traffic is.
    let max = traffic.iter().map(|t| t.4).max().unwrap_or(0);
    for round in 0..max {
        for (i, (method, path, status, cache, n)) in traffic.iter().enumerate() {
            if round < *n {
                log.push_str(&format!(
                    "www.example.test:18443 198.51.100.{} - - [10/Oct/2025:13:{:02}:{:02} +0000] \"{method} {path} HTTP/2.0\" {status} 512 \"-\" \"Mozilla/5.0\" cache={cache}\n",
                    i + 1,
                    round % 60,
                    i % 60
                ));
            }
        }
    }
    log
}

#[test]
fn imported_nginx_log_finds_the_testbed_differences() {
    require_testbed();
    let p = project();
    p.write("access.log", &testbed_log());
    let (code, text, cases) = import_and_run(&p, "access.log");
    assert_eq!(code, 1, "the testbed has deliberate differences:\n{text}");
    let get = |k: &str| {
        cases
            .get(k)
            .unwrap_or_else(|| panic!("no case `{k}` among {:#?}\n{text}", cases.keys()))
    };
    // POST /login was left out (unsafe); everything else became cases.
    assert!(
        text.contains("left out 3 requests: 3 with method POST"),
        "{text}"
    );
    assert!(!cases.keys().any(|k| k.contains("/login")), "{cases:#?}");
    // #4: strong ETags weakened by the Cloudflare stand-in.
    for k in [
        "GET /static/app.js cache×2",
        "GET /etag/strong.css cache×2",
        "GET /static/logo.png cache×2",
    ] {
        let (verdict, diffs) = get(k);
        assert_eq!(verdict, "differs", "{k}: {diffs:?}\n{text}");
        assert!(has(diffs, "header", "etag"), "{k}: {diffs:?}");
    }
    // #5: an unquoted ETag dropped.
    let (verdict, diffs) = get("GET /etag/unquoted.css cache×2");
    assert!(
        verdict == "differs" && has(diffs, "header", "etag"),
        "{diffs:?}"
    );
    // #1: HTML, .txt, redirects and 404s are not cached by Cloudflare's
    // default rules (the old CDN served them from cache: sequences).
    for k in [
        "GET / cache×2",
        "GET /text/big.txt cache×2",
        "GET /redirect cache×2",
        "GET /status/404 cache×2",
    ] {
        let (verdict, diffs) = get(k);
        assert_eq!(verdict, "differs", "{k}: {diffs:?}\n{text}");
        assert!(has(diffs, "cache", "sequence["), "{k}: {diffs:?}");
    }
    // Parity where the stand-ins agree: a weak ETag kept, cached the same
    // way; and the API (volatile fields learned by calibration).
    let (verdict, diffs) = get("GET /etag/weak.css cache×2");
    assert_eq!(verdict, "parity", "{diffs:?}\n{text}");
    let (verdict, diffs) = get("GET /api/item?id=42");
    assert_eq!(verdict, "parity", "{diffs:?}\n{text}");
    // /status/{num} is one endpoint: 404 and 500 both sampled.
    assert!(cases.contains_key("GET /status/500 cache×2"), "{cases:#?}");
}

/// A HAR of browser traffic to the testbed: several Accept-Language values
/// on the two language pages, and `Accept-Encoding: gzip` on the script.
fn testbed_har() -> String {
    let entry = |url: &str, headers: &[(&str, &str)], cache: &str| {
        serde_json::json!({
            "request": {"method": "GET", "url": format!("https://www.example.test:18443{url}"),
                        "headers": headers.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect::<Vec<_>>()},
            "response": {"status": 200, "headers": [{"name": "X-Cache", "value": cache}], "content": {"size": 0}}
        })
    };
    let mut entries = Vec::new();
    for lang in ["en", "fr", "ja", "fr"] {
        entries.push(entry(
            "/vary/leak/lang.html",
            &[("Accept-Language", lang)],
            "HIT",
        ));
        entries.push(entry(
            "/vary/honoured/lang.html",
            &[("Accept-Language", lang)],
            "HIT",
        ));
    }
    entries.push(entry(
        "/static/style.css",
        &[("Accept-Encoding", "gzip")],
        "HIT",
    ));
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}).to_string()
}

#[test]
fn imported_har_finds_the_vary_leak_and_the_compression() {
    require_testbed();
    let p = project();
    p.write("session.har", &testbed_har());
    let (code, text, cases) = import_and_run(&p, "session.har");
    assert_eq!(code, 1, "{text}");
    let get = |k: &str| {
        cases
            .get(k)
            .unwrap_or_else(|| panic!("no case `{k}` among {:#?}\n{text}", cases.keys()))
    };
    // #2: the Cloudflare stand-in serves one language to everyone.
    let (verdict, diffs) = get("GET /vary/leak/lang.html vary accept-language");
    assert_eq!(verdict, "differs", "{diffs:?}\n{text}");
    assert!(has(diffs, "vary", "accept-language"), "{diffs:?}");
    let (verdict, diffs) = get("GET /vary/honoured/lang.html vary accept-language");
    assert_eq!(verdict, "parity", "{diffs:?}\n{text}");
    // #3: with Accept-Encoding: gzip the Cloudflare stand-in compresses.
    let (verdict, diffs) = get("GET /static/style.css cache×2");
    assert_eq!(verdict, "differs", "{diffs:?}\n{text}");
    assert!(has(diffs, "header", "content-encoding"), "{diffs:?}");
}
