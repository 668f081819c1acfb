//! `assert:` end to end through the real binary, against two servers started
//! here (127.0.0.2 as Fastly, 127.0.0.3 as Cloudflare) that answer alike:
//! parity alone would pass them, the assertions must not.

mod common;

use std::sync::Arc;

use common::*;

fn handler(candidate: bool) -> Handler {
    Arc::new(move |req| {
        let mut hs: Vec<(&str, &str)> = if candidate {
            vec![("cf-ray", "0123456789abcdef-TST"), ("server", "cloudflare")]
        } else {
            vec![("x-served-by", "cache-tst1-TST"), ("x-cache", "MISS")]
        };
        hs.push(("content-type", "text/html"));
        let (status, cc, body) = match req.uri().path() {
            // Broken the same way on both sides.
            "/broken" => (500, "no-store", "<h1>Internal error</h1>"),
            // Fine on both sides.
            "/shop" => (200, "public, max-age=60", "<h1>Shop</h1>"),
            // Both sides forgot the cache header the team wants.
            "/private" => (200, "private", "<h1>Shop</h1>"),
            _ => (404, "no-store", "not found"),
        };
        hs.push(("cache-control", cc));
        response(status, &hs, full(body))
    })
}

fn project(port: u16) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 3000\n    connect_timeout_ms: 1000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n",
    );
    p.write(
        "suites/shop.yaml",
        &format!(
            r#"base_url: http://www.example.test:{port}
defaults:
  assert: {{status: 200, headers: {{cache-control: "^public"}}}}
cases:
  - name: broken
    path: /broken
  - name: home
    path: /shop
    assert: {{body_contains: "<h1>Shop</h1>"}}
  - name: private
    path: /private
  - name: broken-expected
    path: /broken
    expect:
      verdict: differs
      differences: [{{kind: assert, field: status}}, {{kind: assert, field: headers.cache-control}}]
"#
        ),
    );
    p
}

#[test]
fn assertions_broken_on_both_sides_are_findings_of_each_provider() {
    let s = start(vec![
        ("127.0.0.2", handler(false)),
        ("127.0.0.3", handler(true)),
    ]);
    let p = project(s.port);
    let out = edgeparity(&["run", "--confirm", "0"], p.dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let r = read_json(&p.path("reports/latest/report.json"));
    assert_report_schema(&r);
    let found = |c: &serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = c["differences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} {}",
                    d["provider"].as_str().unwrap(),
                    d["kind"].as_str().unwrap(),
                    d["field"].as_str().unwrap(),
                    d["severity"].as_str().unwrap()
                )
            })
            .collect();
        v.sort();
        v
    };
    let broken = report_case(&r, "shop::broken");
    assert_eq!(broken["verdict"], "differs", "{broken:#}");
    assert_eq!(
        found(broken),
        vec![
            "cloudflare assert headers.cache-control critical",
            "cloudflare assert status critical",
            "fastly assert headers.cache-control critical",
            "fastly assert status critical",
        ]
    );
    let d = &broken["differences"][0];
    assert_eq!(d["baseline"], "200", "the asserted value: {d:#}");
    assert_eq!(d["candidate"], "500", "what was answered: {d:#}");
    let private = report_case(&r, "shop::private");
    assert_eq!(
        found(private),
        vec![
            "cloudflare assert headers.cache-control critical",
            "fastly assert headers.cache-control critical",
        ]
    );
    assert_eq!(report_case(&r, "shop::home")["verdict"], "parity");
    // The expectation lists the assertions it knows are broken.
    assert!(
        stdout.contains("shop::broken-expected") && stdout.contains("(as expected)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[fastly] assert status: fastly answered 500, asserted 200")
            && stdout.contains("      asserted: 200\n      fastly: 500\n"),
        "{stdout}"
    );
}
