//! `cargo bench --bench list`: wall time and peak RSS of `edgeparity list`
//! on generated suites of 1,000, 10,000 and 100,000 cases (the bar: 100,000
//! cases under 2 s, and cost linear in the number of cases).
//!
//! Loading is the part of every command that grows with the suites: before
//! positions came from the parser's spans, finding each case's line searched
//! the text, so loading was quadratic. Figures are printed, nothing is
//! asserted (timings belong in benchmarks, never in tests).

#[path = "common/child.rs"]
mod child;

fn suite(cases: usize) -> String {
    let mut s = String::from(
        "base_url: https://www.example.test:18443\ndefaults:\n  headers: {User-Agent: edgeparity-bench}\ncases:\n",
    );
    for i in 0..cases {
        s.push_str(&format!(
            "  - name: case-{i}\n    path: /static/app.js?i={i}\n    ignore_headers: [x-request-id]\n"
        ));
    }
    s
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("list bench: run with `cargo bench --bench list`");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_edgeparity");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("parity.yaml");
    std::fs::write(
        &config,
        "environments:\n  t:\n    baseline: fastly\n    providers:\n      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.3]}\n",
    )
    .expect("write config");
    println!(
        "{:>8} {:>10} {:>12} {:>14}",
        "cases", "wall s", "peak MiB", "µs per case"
    );
    let mut first: Option<f64> = None;
    for cases in [1_000usize, 10_000, 100_000] {
        let suites = dir.path().join(format!("s{cases}"));
        std::fs::create_dir_all(&suites).expect("mkdir");
        std::fs::write(suites.join("big.yaml"), suite(cases)).expect("write suite");
        let r = child::run(
            bin,
            &[
                "list",
                "--config",
                config.to_str().unwrap_or_default(),
                suites.to_str().unwrap_or_default(),
            ],
        );
        assert_eq!(r.status, 0, "list failed");
        assert_eq!(r.stdout.lines().count(), cases);
        let per_case = r.wall_s / cases as f64 * 1e6;
        println!(
            "{cases:>8} {:>10.3} {:>12.1} {:>14.1}",
            r.wall_s, r.peak_rss_mib, per_case
        );
        let base = *first.get_or_insert(per_case);
        if cases == 100_000 {
            println!(
                "100k/1k cost per case: {:.2}× (1.0 is linear)",
                per_case / base
            );
        }
    }
}
