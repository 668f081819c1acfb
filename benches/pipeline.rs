//! `cargo bench --bench pipeline`: wall time and peak memory of a 500-case
//! suite against two loopback servers, with `--jobs 1` and `--jobs 32`.
//!
//! Each configuration runs in a fresh child process (this binary re-executed
//! with `--child JOBS`) so that its peak RSS (VmHWM) is its own. The case
//! runs through `edgeparity::run`, the same path as `edgeparity run`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;

const CASES: usize = 500;

fn handler(candidate: bool) -> Handler {
    Arc::new(move |req| {
        let ident: (&str, &str) = if candidate {
            ("cf-ray", "0123456789abcdef-TST")
        } else {
            ("x-served-by", "cache-tst1-TST")
        };
        // A realistic small page: ~8 KB of HTML, and a JSON body on /api.
        let path = req.uri().path().to_string();
        if path.starts_with("/api/") {
            let body = format!(r#"{{"path":"{path}","items":[1,2,3],"ok":true}}"#);
            response(
                200,
                &[ident, ("content-type", "application/json")],
                full(body),
            )
        } else {
            let body = format!(
                "<html><body><h1>{path}</h1>{}</body></html>",
                "<p>lorem ipsum dolor</p>\n".repeat(320)
            );
            response(
                200,
                &[
                    ident,
                    ("content-type", "text/html"),
                    ("cache-control", "public, max-age=60"),
                ],
                full(body),
            )
        }
    })
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn child(jobs: usize) {
    let servers = start(vec![
        ("127.0.0.2", handler(false)),
        ("127.0.0.3", handler(true)),
    ]);
    let p = Project::new();
    p.write(
        "parity.yaml",
        "environments:\n  bench:\n    baseline: fastly\n    providers:\n      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.3]}\n",
    );
    let mut suite = format!(
        "base_url: http://www.example.test:{}\ncases:\n",
        servers.port
    );
    for i in 0..CASES {
        let path = if i % 2 == 0 {
            format!("/page/{i}")
        } else {
            format!("/api/{i}")
        };
        suite.push_str(&format!("  - {{name: c{i}, path: \"{path}\"}}\n"));
    }
    p.write("suites/bench.yaml", &suite);
    let (env, plan) =
        edgeparity::prepare(&p.path("parity.yaml"), None, &[p.path("suites")]).expect("prepare");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rss_before = peak_rss_kib();
    let clock = Instant::now();
    let ctx = rt
        .block_on(edgeparity::run::RunContext::build(&env, plan))
        .expect("context");
    let cases = ctx.plan.cases.clone();
    let results = rt.block_on(edgeparity::run::run_all(&ctx, &cases, jobs, |_| {}));
    let report =
        edgeparity::run::build_report(&ctx, results, jiff::Timestamp::now(), clock.elapsed());
    let json = report.to_json();
    let wall = clock.elapsed();
    assert_eq!(
        report.summary.parity, CASES,
        "every bench case should be at parity"
    );
    println!(
        "jobs={jobs:<3} cases={CASES} wall={:>7.1} ms  per-case={:>6.2} ms  peak_rss={:>6.1} MiB (process, incl. servers; {:.1} MiB before the run)  report={} KiB",
        wall.as_secs_f64() * 1000.0,
        wall.as_secs_f64() * 1000.0 / CASES as f64,
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        json.len() / 1024
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let jobs = args.get(i + 1).and_then(|j| j.parse().ok()).unwrap_or(1);
        child(jobs);
        return;
    }
    let me = std::env::current_exe().expect("current exe");
    for jobs in [1, 32] {
        let out = std::process::Command::new(&me)
            .args(["--child", &jobs.to_string()])
            .output()
            .expect("run bench child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            std::process::exit(1);
        }
    }
}
