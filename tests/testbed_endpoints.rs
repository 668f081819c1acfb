//! A provider asked with its own scheme and port (issue 16): the Fastly
//! stand-in over HTTPS on 127.0.0.2:18443 against the Cloudflare stand-in
//! over plain HTTP on 127.0.0.3:18080, as a local `wrangler dev` would be
//! compared. Against the real testbed; a missing server fails the test.

mod common;

use std::path::PathBuf;

use common::{run_ci, Project};

fn ca() -> PathBuf {
    std::env::var("EDGEPARITY_TESTBED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testbed/run"))
        .join("tls/ca.pem")
}

/// Fail loudly, with the reason, when a testbed server is missing.
fn require_testbed() {
    common::require_testbed(&[
        common::TESTBED[0],
        ("nginx (Cloudflare stand-in) over HTTP", "127.0.0.3:18080"),
    ]);
    assert!(
        ca().exists(),
        "the testbed CA {} is missing",
        ca().display()
    );
}

#[test]
fn a_provider_over_http_on_its_own_port_is_compared_with_one_over_https() {
    require_testbed();
    let p = Project::new();
    p.write(
        "parity.yaml",
        &format!(
            "environments:\n  t:\n    baseline: fastly\n    ca_file: {}\n    timeout_ms: 5000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n        scheme: http\n        port: 18080\n",
            ca().display()
        ),
    );
    p.write(
        "suites/www.yaml",
        "base_url: https://www.example.test:18443\ndefaults:\n  ignore_headers: [etag]\ncases:\n  - {name: home, path: /}\n  - {name: not-found, path: /status/404}\n  - name: item\n    path: /api/item?id=42\n    headers: {Accept: application/json}\n    ignore_headers: [x-request-id]\n    ignore_json: [\"/request_id\", \"/generated_at\"]\n",
    );
    let (code, out) = run_ci(&["run", "--confirm", "0"], p.dir.path());
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(p.path("reports/latest/report.json")).expect("report");
    let r: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(r["summary"]["parity"], 3, "{out}");
    for c in r["cases"].as_array().expect("cases") {
        for resp in c["responses"].as_array().expect("responses") {
            let (addr, tls) = if resp["provider"] == "fastly" {
                ("127.0.0.2:18443", true)
            } else {
                ("127.0.0.3:18080", false)
            };
            assert_eq!(resp["remote_addr"], addr, "{resp}");
            // The stand-ins speak h2 over TLS (ALPN) and HTTP/1.1 in clear.
            let h2 = resp["version"] == "HTTP/2.0";
            assert_eq!(h2, tls, "{resp}");
        }
    }
}
