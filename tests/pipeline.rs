//! End to end through the real binary and the libtest runner, against two
//! real HTTP servers started here on 127.0.0.2 and 127.0.0.3 (one port, one
//! hostname) that differ only in planted ways.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::*;

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Baseline,
    Candidate,
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

fn handler(role: Role) -> Handler {
    Arc::new(move |req| {
        let cand = role == Role::Candidate;
        let ident: Vec<(&str, &str)> = if cand {
            vec![("cf-ray", "0123456789abcdef-TST"), ("server", "cloudflare")]
        } else {
            vec![
                ("x-served-by", "cache-tst1-TST"),
                ("x-cache", "MISS"),
                ("via", "1.1 varnish"),
            ]
        };
        let with = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
            ident
                .iter()
                .chain(extra.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let reply = |status: u16, hs: Vec<(String, String)>, body: Body| {
            let refs: Vec<(&str, &str)> =
                hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            response(status, &refs, body)
        };
        let accepts_gzip = req
            .headers()
            .get("accept-encoding")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.contains("gzip"))
            .unwrap_or(false);
        match req.uri().path() {
            "/same/text" => {
                let text = "hello edge\n".repeat(20);
                let body = if cand { chunked(text) } else { full(text) };
                reply(200, with(&[("content-type", "text/plain")]), body)
            }
            "/same/json" => reply(
                200,
                with(&[
                    ("content-type", "application/json"),
                    ("cache-control", "public, max-age=60"),
                ]),
                full(r#"{"id":1,"name":"one","tags":["a","b"]}"#),
            ),
            "/same/volatile" => {
                let n = COUNTER.fetch_add(1, Ordering::Relaxed);
                let rid = format!("req-{n}");
                reply(
                    200,
                    with(&[("content-type", "application/json"), ("x-request-id", &rid)]),
                    full(format!(
                        r#"{{"id":7,"request_id":"{rid}","generated_at":{n}}}"#
                    )),
                )
            }
            "/same/redirect" => reply(301, with(&[("location", "/same/text")]), full("")),
            "/same/post" => reply(200, with(&[("content-type", "text/plain")]), full("ok")),
            "/plant/status" => reply(
                if cand { 503 } else { 200 },
                with(&[("content-type", "text/plain")]),
                full("x"),
            ),
            "/plant/header" => {
                let extra: &[(&str, &str)] = if cand {
                    &[]
                } else {
                    &[("x-frame-options", "DENY")]
                };
                reply(200, with(extra), full("page"))
            }
            "/plant/byte" => {
                let mut data: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
                if cand {
                    data[777] ^= 0x55;
                }
                reply(
                    200,
                    with(&[("content-type", "application/octet-stream")]),
                    full(data),
                )
            }
            "/plant/json" => {
                let price = if cand { 11 } else { 10 };
                reply(
                    200,
                    with(&[("content-type", "application/json")]),
                    full(format!(r#"{{"id":42,"price":{price}}}"#)),
                )
            }
            "/plant/gzip" => {
                let text = "compress me please\n".repeat(50);
                if cand && accepts_gzip {
                    reply(
                        200,
                        with(&[("content-type", "text/plain"), ("content-encoding", "gzip")]),
                        full(gzip(text.as_bytes())),
                    )
                } else {
                    reply(200, with(&[("content-type", "text/plain")]), full(text))
                }
            }
            _ => reply(404, with(&[]), full("not found")),
        }
    })
}

fn project(port: u16, cloudflare_ip: &str) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        &format!(
            "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 3000\n    connect_timeout_ms: 1000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"{cloudflare_ip}\"]\n"
        ),
    );
    p.write(
        "suites/planted.yaml",
        &format!(
            r#"base_url: http://www.example.test:{port}
defaults:
  headers: {{User-Agent: edgeparity-test, Accept-Encoding: gzip}}
cases:
  - {{name: same-text, path: /same/text}}
  - {{name: same-json, path: "/same/json?x=1"}}
  - name: same-volatile
    path: /same/volatile
    ignore_headers: [x-request-id]
    ignore_json: ["/request_id", "/generated_at"]
  - {{name: same-redirect, path: /same/redirect}}
  - {{name: same-post, method: POST, path: /same/post, body: "user=a"}}
  - {{name: plant-status, path: /plant/status}}
  - {{name: plant-header, path: /plant/header}}
  - {{name: plant-byte, path: /plant/byte}}
  - {{name: plant-json, path: /plant/json}}
  - {{name: plant-gzip, path: /plant/gzip}}
"#
        ),
    );
    p
}

fn servers() -> Servers {
    start(vec![
        ("127.0.0.2", handler(Role::Baseline)),
        ("127.0.0.3", handler(Role::Candidate)),
    ])
}

fn report(p: &Project) -> serde_json::Value {
    let text =
        std::fs::read_to_string(p.path("reports/latest/report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json is JSON")
}

#[test]
fn run_reports_exactly_the_planted_differences() {
    let s = servers();
    let p = project(s.port, "127.0.0.3");
    let out = edgeparity(&["run", "--jobs", "4"], p.dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&p);
    assert_eq!(r["schema_version"], 2);
    assert_eq!(r["environment"], "local");
    assert_eq!(r["baseline"], "fastly");
    let mut found = BTreeSet::new();
    for c in r["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap().to_string();
        let verdict = c["verdict"].as_str().unwrap();
        if id.starts_with("planted::same-") {
            assert_eq!(verdict, "parity", "{id}: {c:#}");
        } else {
            assert_eq!(verdict, "differs", "{id}");
        }
        for d in c["differences"].as_array().unwrap() {
            assert_eq!(d["provider"], "cloudflare");
            found.insert(format!(
                "{id} {} {}",
                d["kind"].as_str().unwrap(),
                d["field"].as_str().unwrap_or("-")
            ));
        }
        // Every response came from the pinned address.
        for resp in c["responses"].as_array().unwrap() {
            let want = if resp["provider"] == "fastly" {
                "127.0.0.2"
            } else {
                "127.0.0.3"
            };
            assert!(
                resp["remote_addr"].as_str().unwrap().starts_with(want),
                "{resp}"
            );
        }
    }
    let expected: BTreeSet<String> = [
        "planted::plant-status status -",
        "planted::plant-header header x-frame-options",
        "planted::plant-byte body -",
        "planted::plant-json body /price",
        "planted::plant-gzip header content-encoding",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(found, expected);
    assert_eq!(r["summary"]["parity"], 5);
    assert_eq!(r["summary"]["differs"], 5);
    assert_eq!(r["summary"]["error"], 0);
    // The readable summary names each differing case with its differences.
    assert!(stdout.contains("DIFFERS  planted::plant-json"), "{stdout}");
    assert!(
        stdout.contains("[cloudflare] body /price: value changed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("binary bodies differ from byte offset 777"),
        "{stdout}"
    );
    assert!(!stdout.contains("same-text"), "{stdout}");
}

#[test]
fn libtest_runner_fails_exactly_the_differing_cases() {
    let s = servers();
    let p = project(s.port, "127.0.0.3");
    let settings =
        edgeparity::testrunner::Settings::new(p.path("parity.yaml"), None, vec![p.path("suites")]);
    // libtest-mimic prints to its logfile, keeping this test's output clean.
    let log = p.path("libtest.log");
    let log_arg = log.to_str().unwrap();
    let args = libtest_mimic::Arguments::from_iter([
        "parity",
        "--test-threads",
        "3",
        "--logfile",
        log_arg,
    ]);
    let outcome = edgeparity::testrunner::run(&args, &settings);
    assert_eq!(
        outcome.failed,
        vec![
            "planted::plant-byte",
            "planted::plant-gzip",
            "planted::plant-header",
            "planted::plant-json",
            "planted::plant-status"
        ]
    );
    assert_eq!(outcome.conclusion.num_passed, 5);
    // A failing trial's message is the readable diff.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("[cloudflare] body /price: value changed"),
        "{text}"
    );
    assert!(
        text.contains("[cloudflare] status: status 200 on fastly, 503 on cloudflare"),
        "{text}"
    );
    // A filter selects by name, like any libtest harness.
    let args = libtest_mimic::Arguments::from_iter(["parity", "plant-json", "--logfile", log_arg]);
    let outcome = edgeparity::testrunner::run(&args, &settings);
    assert_eq!(outcome.failed, vec!["planted::plant-json"]);
    assert_eq!(outcome.conclusion.num_filtered_out, 9);
}

#[test]
fn a_refusing_provider_is_an_error_and_the_report_is_still_written() {
    let s = servers();
    // Nothing listens on 127.0.0.9 at this port.
    let p = project(s.port, "127.0.0.9");
    let out = edgeparity(&["run"], p.dir.path());
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = report(&p);
    assert_eq!(r["summary"]["error"], 10);
    let c = &r["cases"][0];
    assert_eq!(c["verdict"], "error");
    let err = c["error"].as_str().unwrap();
    assert!(err.starts_with("cloudflare: connection failed"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    // The provider that answered shows what it was asked and a repro.
    let resp = &c["responses"][0];
    assert_eq!(resp["provider"], "fastly");
    let url = resp["request"]["url"].as_str().expect("request url");
    assert_eq!(resp["request"]["method"], "GET");
    let curl = resp["curl"].as_str().expect("curl");
    let addr = resp["remote_addr"].as_str().expect("address");
    let ip = addr.rsplit_once(':').expect("ip:port").0;
    assert!(curl.starts_with("curl "), "{curl}");
    assert!(curl.contains(&format!(":{ip}' ")), "{curl} pins {addr}");
    assert!(curl.ends_with(&format!("'{url}'")), "{curl}");
    assert!(resp["headers"].as_array().is_some_and(|h| !h.is_empty()));
    // The case names where it was sent, once, without reqwest's wrappers.
    assert!(err.contains("at 127.0.0.9:"), "{err}");
    assert!(!err.contains("error sending request"), "{err}");
    // The outage is said once, at the top, with what to check; the stdout
    // summary carries it once, not once per case.
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str())
        .filter(|w| w.starts_with("cloudflare: every case failed (10 of 10)"))
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", r["warnings"]);
    assert!(
        warnings[0].contains("fix: check that the edge listens"),
        "{}",
        warnings[0]
    );
    assert!(!r["warnings"].to_string().contains("fastly: every case"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("every case failed").count(), 1, "{stdout}");
    for f in ["summary.md", "report.html"] {
        let text = std::fs::read_to_string(p.path(&format!("reports/latest/{f}"))).expect(f);
        assert!(text.contains("every case failed"), "{f}");
    }
    let md = std::fs::read_to_string(p.path("reports/latest/summary.md")).expect("md");
    assert!(
        md.contains("<details><summary>Requests and curl repros"),
        "{md}"
    );
    assert!(md.contains("  ```sh\n  curl "), "{md}");
    let html = std::fs::read_to_string(p.path("reports/latest/report.html")).expect("html");
    assert!(html.contains("<pre class=\"curl\">curl "), "{html}");
}

#[test]
fn bad_input_exits_2_naming_file_line_and_key() {
    let p = project(1, "127.0.0.3");
    p.write(
        "suites/broken.yaml",
        "base_url: http://www.example.test\ncases:\n  - name: a\n    path: [/\n",
    );
    let out = edgeparity(&["run", "suites/broken.yaml"], p.dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("suites/broken.yaml:"), "{err}");
    assert!(!p.path("reports/latest/report.json").exists());

    p.write(
        "suites/unknown.yaml",
        "base_url: http://www.example.test\ncases:\n  - name: a\n    pathh: /\n",
    );
    let out = edgeparity(&["run", "suites/unknown.yaml"], p.dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("suites/unknown.yaml:4:5"), "{err}");
    assert!(
        err.contains("unknown field `pathh`") && err.contains("did you mean `path`?"),
        "{err}"
    );

    p.write(
        "suites/var.yaml",
        "base_url: http://www.example.test\ncases:\n  - name: a\n    path: /\n    headers: {Authorization: \"Bearer ${EDGEPARITY_TEST_UNDEFINED_TOKEN}\"}\n",
    );
    let out = edgeparity(&["run", "suites/var.yaml"], p.dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("suites/var.yaml:5:"), "{err}");
    assert!(err.contains("EDGEPARITY_TEST_UNDEFINED_TOKEN"), "{err}");

    let out = edgeparity(&["run", "--env", "prod"], p.dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = edgeparity(&["run", "--jobs", "0"], p.dir.path());
    assert_eq!(out.status.code(), Some(2));
}
