//! Lazy calibration and suite folders that hold the config, against real
//! HTTP servers started here (127.0.0.2 = baseline, 127.0.0.3 = candidate)
//! that count the requests they receive.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::*;

fn counting(candidate: bool, hits: Arc<AtomicU64>) -> Handler {
    Arc::new(move |req| {
        let n = hits.fetch_add(1, Ordering::Relaxed);
        let ident: (&str, &str) = if candidate {
            ("cf-ray", "0123456789abcdef-TST")
        } else {
            ("x-served-by", "cache-tst1-TST")
        };
        match req.uri().path() {
            // A per-request token beside fixed content on one line.
            "/token" => response(
                200,
                &[ident, ("content-type", "text/html")],
                full(format!(
                    "<p>Hello <input name=\"csrf\" value=\"tok{:032x}\"></p>\n",
                    (n + 1 + u64::from(candidate) * 7777).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )),
            ),
            _ => response(
                200,
                &[
                    ident,
                    ("content-type", "text/plain"),
                    ("cache-control", "max-age=60"),
                ],
                full("the same answer\n"),
            ),
        }
    })
}

const CONFIG: &str = "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 5000\n    connect_timeout_ms: 2000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n";

#[test]
fn a_default_run_of_identical_cases_sends_one_request_per_provider_and_case() {
    let (fastly, cloudflare) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let s = start(vec![
        ("127.0.0.2", counting(false, fastly.clone())),
        ("127.0.0.3", counting(true, cloudflare.clone())),
    ]);
    let p = Project::new();
    // The config inside the suites folder: skipped, said once with -v.
    p.write("suites/parity.yaml", CONFIG);
    p.write("suites/other-project.yaml", CONFIG);
    let mut suite = format!("base_url: http://www.example.test:{}\ncases:\n", s.port);
    for i in 0..1000 {
        suite.push_str(&format!("  - {{name: same-{i:04}, path: /same}}\n"));
    }
    p.write("suites/same.yaml", &suite);
    let out = edgeparity(
        &[
            "run",
            "--config",
            "suites/parity.yaml",
            "-v",
            "--jobs",
            "32",
            "suites",
        ],
        p.dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("a project config, not a suite").count(),
        2,
        "{stderr}"
    );
    let sent = fastly.load(Ordering::Relaxed) + cloudflare.load(Ordering::Relaxed);
    println!("requests for 1,000 identical single-request cases: {sent}");
    assert_eq!(fastly.load(Ordering::Relaxed), 1000);
    assert_eq!(cloudflare.load(Ordering::Relaxed), 1000);

    // A case whose first comparison differs only by noise: the baseline is
    // asked twice more (calibration), the candidate once; parity.
    p.write(
        "suites/same.yaml",
        &format!(
            "base_url: http://www.example.test:{}\ncases:\n  - {{name: token, path: /token}}\n",
            s.port
        ),
    );
    fastly.store(0, Ordering::Relaxed);
    cloudflare.store(0, Ordering::Relaxed);
    let out = edgeparity(
        &["run", "--config", "suites/parity.yaml", "suites"],
        p.dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("project config"),
        "said only with -v: {stderr}"
    );
    assert_eq!(fastly.load(Ordering::Relaxed), 3);
    assert_eq!(cloudflare.load(Ordering::Relaxed), 1);

    // `list` and the libtest runner skip it too.
    let out = edgeparity(
        &["list", "--config", "suites/parity.yaml", "suites"],
        p.dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("same::token"));
    let settings = edgeparity::testrunner::Settings::new(
        p.path("suites/parity.yaml"),
        None,
        vec![p.path("suites")],
    );
    let log = p.path("libtest.log");
    let args = libtest_mimic::Arguments::from_iter([
        "parity",
        "--logfile",
        log.to_str().unwrap_or("libtest.log"),
    ]);
    let outcome = edgeparity::testrunner::run(&args, &settings);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.conclusion.num_passed, 1);
}
