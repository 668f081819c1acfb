//! `cargo bench --bench import`: wall time and peak RSS of `edgeparity
//! import` on 1,000,000 log lines (the bar: under 10 s and 128 MiB).
//!
//! The log is generated (deterministically) into a temporary folder: nginx
//! `combined` with `$host` first and a `cache=` field, two hosts, a traffic
//! mix with numeric ids, UUIDs, hashed assets, ten thousand blog slugs,
//! search queries, signed URLs, redirects, errors and some POSTs. The real
//! binary runs on it as a child process (plain, then gzip-compressed); its
//! peak RSS comes from the kernel (`wait4` rusage `ru_maxrss`). Figures are
//! printed, nothing is asserted.

use std::io::Write;
use std::time::Instant;

const LINES: usize = 1_000_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn line(rng: &mut Rng) -> String {
    let host = if rng.below(10) < 8 {
        "www.example.com"
    } else {
        "api.example.com"
    };
    let r = rng.below(100);
    let (method, target, status) = match r {
        0..=19 => ("GET", format!("/item/{}", rng.below(100_000)), 200),
        20..=29 => (
            "GET",
            format!("/blog/post-number-{}-about-things", rng.below(10_000)),
            200,
        ),
        30..=44 => ("GET", format!("/static/app.{:016x}.js", rng.below(20)), 200),
        45..=54 => ("GET", format!("/img/{}.jpg", rng.below(50_000)), 200),
        55..=64 => (
            "GET",
            format!(
                "/api/search?q=term{}&page={}",
                rng.below(5_000),
                rng.below(10)
            ),
            200,
        ),
        65..=69 => (
            "GET",
            format!(
                "/u/{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}/profile",
                rng.next() as u32,
                rng.below(0xffff),
                rng.below(0xfff),
                rng.below(0xfff),
                rng.next() & 0xffff_ffff_ffff
            ),
            200,
        ),
        70..=74 => (
            "GET",
            format!(
                "/download/report.pdf?Expires=1700000000&Signature={:x}&Key-Pair-Id=K2ABC",
                rng.next()
            ),
            200,
        ),
        75..=79 => ("GET", "/".to_string(), 200),
        80..=84 => ("GET", "/old-page".to_string(), 301),
        85..=89 => ("GET", format!("/missing/{}", rng.below(1000)), 404),
        90..=92 => ("GET", "/api/fail".to_string(), 503),
        93..=96 => ("POST", "/api/cart".to_string(), 200),
        _ => ("HEAD", format!("/item/{}", rng.below(100)), 200),
    };
    let cache = if rng.below(3) == 0 { "MISS" } else { "HIT" };
    format!(
        "{host} 203.0.113.{} - - [10/Oct/2025:13:55:36 +0000] \"{method} {target} HTTP/1.1\" {status} {} \"https://www.example.com/\" \"Mozilla/5.0 (X11; Linux x86_64) bench/{}\" cache={cache}\n",
        rng.below(255),
        rng.below(100_000),
        rng.below(50)
    )
}

#[path = "common/child.rs"]
mod child;
use child::run;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // special: only run the full measurement when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        println!("import bench: run with `cargo bench --bench import`");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_edgeparity");
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("access.log");
    let gz = dir.path().join("access.log.gz");
    let clock = Instant::now();
    {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&plain).expect("create log"));
        let mut g = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(std::fs::File::create(&gz).expect("create gz")),
            flate2::Compression::fast(),
        );
        for _ in 0..LINES {
            let l = line(&mut rng);
            f.write_all(l.as_bytes()).expect("write log");
            g.write_all(l.as_bytes()).expect("write gz");
        }
        f.flush().expect("flush");
        g.finish().expect("finish gz");
    }
    let size = std::fs::metadata(&plain).map(|m| m.len()).unwrap_or(0);
    let gz_size = std::fs::metadata(&gz).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {LINES} lines ({:.1} MiB, {:.1} MiB gzip) in {:.1} s",
        size as f64 / 1048576.0,
        gz_size as f64 / 1048576.0,
        clock.elapsed().as_secs_f64()
    );
    for (label, input) in [("plain", &plain), ("gzip", &gz)] {
        let out = dir.path().join(format!("out-{label}"));
        let r = run(
            bin,
            &[
                "import",
                "--out",
                out.to_str().expect("utf-8 path"),
                input.to_str().expect("utf-8 path"),
            ],
        );
        let cases: usize = std::fs::read_dir(&out)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .map(|t| t.matches("\n  - name:").count())
                    .sum()
            })
            .unwrap_or(0);
        println!(
            "import {label:<5} lines={LINES} wall={:>6.2} s  peak_rss={:>6.1} MiB  exit={}  cases={cases}  ({:.0} lines/s)",
            r.wall_s,
            r.peak_rss_mib,
            r.status,
            LINES as f64 / r.wall_s
        );
        if label == "plain" {
            for l in r.stdout.lines() {
                println!("    {l}");
            }
        }
    }
}
