//! `edgeparity watch` end to end against the real testbed (`testbed/up`),
//! with faults injected for real: the origin's `/__fault` switch makes a
//! share of the Cloudflare stand-in's `/watch/*` answers 503, or delays
//! them, while the watch runs (see testbed/README.md, "Faults for watch").
//!
//! The tests share the origin's one fault switch, so they run one at a
//! time (`SERIAL`), and every test turns the fault off when it ends, even
//! on failure (`FaultGuard`). Intervals are short (200 ms) to keep CI fast.
//! They print how many rounds each fault took to detect.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::Project;

static SERIAL: Mutex<()> = Mutex::new(());

const ORIGIN: &str = "127.0.0.4:18080";

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
    assert!(ca().exists(), "no testbed CA at {}", ca().display());
}

/// `POST /__fault?QUERY` on the origin, over a plain socket.
fn fault(query: &str) {
    let mut s = TcpStream::connect(ORIGIN).expect("connect to the origin");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "POST /__fault?{query} HTTP/1.1\r\nHost: origin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("the origin answers");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Turns the fault off when the test ends, however it ends.
struct FaultGuard;

impl Drop for FaultGuard {
    fn drop(&mut self) {
        fault("mode=off");
    }
}

/// A project with `watch_cases` uncached `/watch/*` cases (where faults
/// land) and `static_cases` cached assets (for the hit ratio).
fn project(watch_cases: usize, static_cases: usize) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        &format!(
            "environments:\n  t:\n    baseline: fastly\n    ca_file: {}\n    timeout_ms: 5000\n    connect_timeout_ms: 2000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n",
            ca().display()
        ),
    );
    let mut suite = String::from("base_url: https://www.example.test:18443\ncases:\n");
    for i in 0..watch_cases {
        suite.push_str(&format!("  - {{name: w{i}, path: /watch/item-{i}}}\n"));
    }
    for i in 0..static_cases {
        suite.push_str(&format!(
            "  - {{name: s{i}, path: \"/static/app.js?v={i}\", ignore_headers: [etag]}}\n"
        ));
    }
    p.write("suites/watch.yaml", &suite);
    p
}

fn watch_cmd(p: &Project, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgeparity"));
    c.arg("watch")
        .arg("--config")
        .arg(p.path("parity.yaml"))
        .arg("--report-dir")
        .arg(p.path("out"))
        // The stand-ins answer in a few ms on loopback, where +25% is under
        // a millisecond: less than their own difference on a loaded
        // machine (observed up to +10 ms between identical stand-ins).
        .args(["--min-latency-shift-ms", "30"])
        .args(args)
        .arg(p.path("suites"))
        .current_dir(p.dir.path())
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV");
    c
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().expect("watch ends");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Start a watch, switch `query` on once `after` rounds are in watch.json,
/// and wait for the end. Returns the exit code, the output, watch.json and
/// the number of the first round that started after the switch.
fn watch_with_fault_after(
    p: &Project,
    args: &[&str],
    after: usize,
    query: &str,
) -> (i32, String, serde_json::Value, u64) {
    let mut child = watch_cmd(p, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start watch");
    let json = p.path("out/watch.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut switched_at = None;
    while Instant::now() < deadline {
        let rounds = read_json(&json)
            .and_then(|v| v["rounds"].as_array().map(Vec::len))
            .unwrap_or(0);
        if rounds >= after {
            // The time before the switch: a round that starts while the
            // request is on its way counts as faulted (detection can only
            // look slower for it, never faster).
            switched_at = Some(jiff::Timestamp::now());
            fault(query);
            break;
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(switched_at) = switched_at else {
        let (code, text) = finish(child);
        panic!("the watch ended (exit {code}) or stalled before {after} rounds:\n{text}");
    };
    let (code, text) = finish(child);
    let v = read_json(&json).expect("watch.json");
    // The first round that could see the fault: the one in progress at the
    // switch (it ended after it), or else the next.
    let first_faulted = v["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            let start = r["started_at"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok());
            let ms = r["duration_ms"].as_i64().unwrap_or(0);
            start
                .and_then(|t| t.checked_add(jiff::SignedDuration::from_millis(ms)).ok())
                .is_some_and(|end| end >= switched_at)
        })
        .and_then(|r| r["number"].as_u64())
        .unwrap_or(u64::MAX);
    (code, text, v, first_faulted)
}

#[test]
fn identical_providers_proceed_for_20_rounds_without_a_false_rollback() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    require_testbed();
    fault("mode=off");
    let _guard = FaultGuard;
    let p = project(48, 12);
    let out = watch_cmd(&p, &["--rounds", "21", "--interval", "200ms"])
        .output()
        .expect("run watch");
    let text = String::from_utf8_lossy(&out.stdout);
    let v = read_json(&p.path("out/watch.json")).expect("watch.json");
    let rounds = v["rounds"].as_array().unwrap();
    let rollbacks = rounds.iter().filter(|r| r["verdict"] == "rollback").count();
    let judged = rounds
        .iter()
        .filter(|r| r["verdict"] != "insufficient")
        .count();
    eprintln!("identical providers: {rollbacks} false rollbacks in {judged} judged rounds");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!((rounds.len(), judged), (21, 20), "{text}");
    assert_eq!(rounds[0]["verdict"], "insufficient", "the warm-up round");
    assert_eq!(rollbacks, 0, "{text}");
    assert_eq!(v["verdict"], "proceed");
    assert_eq!(v["finished"], true);
    assert_eq!(v["exit_code"], 0);
    // Every round: figures per provider, and the judge's statistics.
    let r = &rounds[20];
    assert_eq!(r["providers"][0]["provider"], "fastly");
    assert_eq!(r["providers"][1]["requests"], 60);
    assert!(r["providers"][1]["ttfb_p95_ms"].is_number());
    let signals = r["judgements"][0]["signals"].as_array().unwrap();
    for kind in ["error_rate", "non_2xx_rate", "latency"] {
        let s = signals.iter().find(|s| s["kind"] == kind).unwrap();
        assert!(
            s["p_value"].is_number() && s["interval"].is_object(),
            "{s:#}"
        );
    }
    // The cached assets hit from the second round on, on both.
    let hit = &r["providers"][1]["hit_ratio"];
    assert_eq!(hit.as_f64(), Some(1.0), "{r:#}");
    // The outputs beside watch.json.
    let html = std::fs::read_to_string(p.path("out/watch.html")).unwrap();
    assert!(html.contains("Content-Security-Policy") && html.matches("<svg").count() == 4);
    let md = std::fs::read_to_string(p.path("out/summary.md")).unwrap();
    assert!(md.contains("proceed"), "{md}");
}

#[test]
fn a_503_share_starting_mid_watch_rolls_back_within_two_rounds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    require_testbed();
    fault("mode=off");
    let _guard = FaultGuard;
    let p = project(48, 12);
    let (code, text, v, faulted) = watch_with_fault_after(
        &p,
        &["--rounds", "15", "--interval", "200ms"],
        3,
        "mode=503&share=0.5",
    );
    let rollback = v["rollback_round"].as_u64().unwrap_or(0);
    eprintln!(
        "503 x 50%: fault from round {faulted}, rollback at round {rollback}: detected in {} round(s)",
        rollback as i64 - faulted as i64 + 1
    );
    assert_eq!(code, 1, "{text}");
    assert_eq!(v["verdict"], "rollback", "{text}");
    assert!(faulted <= 5, "the fault was switched on late: {text}");
    assert!(
        rollback >= faulted && rollback <= faulted + 1,
        "rollback at round {rollback}, fault from round {faulted}: {text}"
    );
    // The watch stopped there, and watch.json names the round.
    let rounds = v["rounds"].as_array().unwrap();
    assert_eq!(rounds.last().unwrap()["number"].as_u64(), Some(rollback));
    assert_eq!(rounds.last().unwrap()["verdict"], "rollback");
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .contains(&format!("round {rollback}")));
    assert!(
        v["reason"].as_str().unwrap().contains("error rate"),
        "{v:#}"
    );
    // The rounds before the fault were healthy.
    for r in &rounds[..(faulted as usize).saturating_sub(1).min(rounds.len())] {
        assert_ne!(r["verdict"], "rollback", "{r:#}");
    }
    // The routes that started to answer 503 drifted from parity.
    let drift: Vec<&serde_json::Value> = rounds
        .iter()
        .flat_map(|r| r["drift"].as_array().unwrap())
        .collect();
    assert!(
        drift
            .iter()
            .any(|d| d["to"] == "differs" && d["case"].as_str().unwrap().starts_with("watch::w")),
        "{drift:#?}"
    );
}

#[test]
fn a_200_ms_delay_starting_mid_watch_rolls_back_on_latency() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    require_testbed();
    fault("mode=off");
    let _guard = FaultGuard;
    let p = project(48, 12);
    let (code, text, v, faulted) = watch_with_fault_after(
        &p,
        &["--rounds", "12", "--interval", "200ms", "--jobs", "16"],
        2,
        "delay_ms=200",
    );
    let rollback = v["rollback_round"].as_u64().unwrap_or(0);
    eprintln!(
        "+200 ms: fault from round {faulted}, rollback at round {rollback}: detected in {} round(s)",
        rollback as i64 - faulted as i64 + 1
    );
    assert_eq!(code, 1, "{text}");
    assert!(rollback >= faulted, "{text}");
    let last = v["rounds"].as_array().unwrap().last().unwrap().clone();
    let latency = last["judgements"][0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "latency")
        .unwrap()
        .clone();
    assert_eq!(latency["outcome"], "fail", "{latency:#}");
    assert!(latency["p_value"].as_f64().unwrap() < 1e-6, "{latency:#}");
    assert!(v["reason"].as_str().unwrap().contains("time to first byte"));
}

#[test]
fn too_few_samples_are_insufficient() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    require_testbed();
    fault("mode=off");
    let _guard = FaultGuard;
    let p = project(5, 0);
    let out = watch_cmd(&p, &["--rounds", "3", "--interval", "200ms"])
        .output()
        .expect("run watch");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    let v = read_json(&p.path("out/watch.json")).expect("watch.json");
    assert_eq!(v["verdict"], "insufficient");
    assert!(v["reason"].as_str().unwrap().contains("50 needed"), "{v:#}");
    assert_eq!(v["rounds"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_usage_is_exit_2() {
    let p = project(1, 0);
    for args in [
        &["--interval", "soon"][..],
        &["--rounds", "3", "--duration", "1m"],
        &["--max-error-rate-delta", "2"],
        &["--rounds", "0"],
    ] {
        let out = watch_cmd(&p, args).output().expect("run watch");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
