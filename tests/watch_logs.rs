//! `edgeparity watch --logs`: the judge over two providers' logs. The
//! fixtures are written by the test, deterministically: a Fastly JSON-lines
//! log and a Cloudflare Logpush NDJSON log over the same ten minutes, with
//! a planted error-rate gap on one endpoint of the candidate.

mod common;

use std::fmt::Write as _;

use common::{edgeparity, Project};

/// xorshift64*, for deterministic fixtures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const START: i64 = 1_768_446_000; // 2026-01-15T03:00:00Z

/// One request of the fixture: (host, path, status, hit?, ttfb ms, unix s).
fn traffic(seed: u64, lines: usize, api_errors: f64) -> Vec<(String, String, u16, bool, u64, i64)> {
    let mut rng = Rng(seed);
    (0..lines)
        .map(|i| {
            let t = START + (i as i64 * 600 / lines as i64);
            let api = i % 3 == 0;
            let host = if i % 5 == 0 {
                "api.example.com"
            } else {
                "www.example.com"
            };
            let path = if api {
                format!("/api/item/{}", rng.next() % 1000)
            } else {
                format!("/static/app{}.js", i % 4)
            };
            let status = if api && rng.chance(api_errors) {
                503
            } else if rng.chance(0.01) {
                404
            } else {
                200
            };
            let hit = !api && rng.chance(0.9);
            let ttfb = 20 + rng.next() % 30;
            (host.to_string(), path, status, hit, ttfb, t)
        })
        .collect()
}

fn fastly_log(seed: u64, lines: usize, api_errors: f64) -> String {
    let mut o = String::new();
    for (host, path, status, hit, ttfb, t) in traffic(seed, lines, api_errors) {
        let ts = jiff::Timestamp::from_second(t).unwrap();
        let state = if path.starts_with("/api/") {
            "PASS"
        } else if hit {
            "HIT-CLUSTER"
        } else {
            "MISS"
        };
        let _ = writeln!(
            o,
            r#"{{"timestamp":"{ts}","host":"{host}","url":"{path}?q=1","status":{status},"cache_status":"{state}","time_elapsed_usec":{}}}"#,
            ttfb * 1000
        );
    }
    o
}

fn logpush_log(seed: u64, lines: usize, api_errors: f64) -> String {
    let mut o = String::new();
    for (host, path, status, hit, ttfb, t) in traffic(seed, lines, api_errors) {
        let cache = if path.starts_with("/api/") {
            "dynamic"
        } else if hit {
            "hit"
        } else {
            "miss"
        };
        let _ = writeln!(
            o,
            r#"{{"ClientRequestHost":"{host}","ClientRequestMethod":"GET","ClientRequestURI":"{path}","EdgeResponseStatus":{status},"CacheCacheStatus":"{cache}","EdgeTimeToFirstByteMs":{ttfb},"EdgeStartTimestamp":{}}}"#,
            t * 1_000_000_000
        );
    }
    o
}

fn run(p: &Project, extra: &[&str]) -> (i32, String, serde_json::Value) {
    let mut args = vec![
        "watch",
        "--logs",
        "fastly=fastly.jsonl",
        "--logs",
        "cloudflare=logpush.ndjson",
        "--report-dir",
        "out",
    ];
    args.extend_from_slice(extra);
    let out = edgeparity(&args, p.dir.path());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v = std::fs::read_to_string(p.path("out/watch.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), text, v)
}

#[test]
fn a_planted_error_rate_gap_rolls_back_and_names_the_endpoint() {
    let p = Project::new();
    p.write("fastly.jsonl", &fastly_log(1, 3000, 0.005));
    p.write("logpush.ndjson", &logpush_log(2, 3000, 0.30));
    let (code, text, v) = run(&p, &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(v["verdict"], "rollback", "{text}");
    assert_eq!(v["mode"], "passive");
    assert_eq!(v["rollback_round"], 1);
    let r = &v["rounds"][0];
    let cf = &r["providers"][1];
    assert_eq!(cf["provider"], "cloudflare");
    assert_eq!(cf["requests"], 3000);
    // Fastly's HIT-CLUSTER is a hit; PASS is not a cacheable answer.
    let fastly = &r["providers"][0];
    assert_eq!(fastly["cacheable"], 2000, "{fastly:#}");
    let endpoints = v["breakdown"]["endpoints"].as_array().unwrap();
    let api = endpoints
        .iter()
        .find(|g| g["key"] == "/api/item/{n}")
        .expect("the API endpoint template");
    assert_eq!(api["verdict"], "rollback", "{api:#}");
    for g in endpoints.iter().filter(|g| g["key"] != "/api/item/{n}") {
        assert_ne!(g["verdict"], "rollback", "{g:#}");
    }
    let hosts: Vec<&str> = v["breakdown"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["api.example.com", "www.example.com"]);
    let md = std::fs::read_to_string(p.path("out/summary.md")).unwrap();
    assert!(md.contains("/api/item/{n}"), "{md}");
}

#[test]
fn alike_logs_proceed() {
    let p = Project::new();
    p.write("fastly.jsonl", &fastly_log(3, 3000, 0.005));
    p.write("logpush.ndjson", &logpush_log(4, 3000, 0.005));
    let (code, text, v) = run(&p, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(v["verdict"], "proceed");
    let signals = v["rounds"][0]["judgements"][0]["signals"]
        .as_array()
        .unwrap();
    assert!(
        signals.iter().all(|s| s["outcome"] == "pass"),
        "{signals:#?}"
    );
}

#[test]
fn logs_that_do_not_overlap_or_are_too_short_are_insufficient() {
    let p = Project::new();
    p.write("fastly.jsonl", &fastly_log(5, 20, 0.0));
    p.write("logpush.ndjson", &logpush_log(6, 20, 0.0));
    let (code, text, v) = run(&p, &[]);
    assert_eq!(code, 3, "{text}");
    assert_eq!(v["verdict"], "insufficient");
}

#[test]
fn unreadable_logs_are_bad_input() {
    let p = Project::new();
    p.write("fastly.jsonl", &fastly_log(7, 10, 0.0));
    p.write(
        "logpush.ndjson",
        "{\"EdgeResponseStatus\": 200}\nnot json\n",
    );
    let (code, text, _) = run(&p, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("logpush.ndjson:2: not JSON"), "{text}");
    p.write("logpush.ndjson", &logpush_log(8, 10, 0.0));
    let (code, text, _) = run(&p, &["--baseline", "akamai"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no --logs akamai=FILE"), "{text}");
    let out = edgeparity(&["watch", "--logs", "fastly"], p.dir.path());
    assert_eq!(out.status.code(), Some(2));
}
