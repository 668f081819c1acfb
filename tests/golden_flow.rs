//! Golden files, the review flow, A/A calibration and confirmation re-runs,
//! against real HTTP servers started inside the test (127.0.0.2 = baseline,
//! 127.0.0.3 = candidate).

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use common::*;

/// Behaviour switches for the candidate, flipped by tests through the URL
/// path so one server serves every scenario.
fn handler(candidate: bool, counter: Arc<AtomicU64>, plant: Arc<AtomicBool>) -> Handler {
    Arc::new(move |req| {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let ident: (&str, &str) = if candidate {
            ("cf-ray", "0123456789abcdef-TST")
        } else {
            ("x-served-by", "cache-tst1-TST")
        };
        let json = |body: String, extra: &[(&str, &str)]| {
            let mut h = vec![ident, ("content-type", "application/json")];
            h.extend_from_slice(extra);
            response(200, &h, full(body))
        };
        let rid = format!("req-{:08x}", n.wrapping_mul(2654435761) & 0xffff_ffff);
        match req.uri().path() {
            // Volatile JSON fields and a request-id header that no suite mentions.
            "/volatile" => json(
                format!(
                    r#"{{"id":7,"name":"seven","trace":"{rid}","ts":{}}}"#,
                    1_700_000_000_000u64 + n
                ),
                &[("x-request-id", &rid)],
            ),
            // Candidate drops the volatile field.
            "/volatile-missing" if candidate => json(
                r#"{"id":7,"name":"seven","ts":1}"#.into(),
                &[("x-request-id", &rid)],
            ),
            "/volatile-missing" => json(
                format!(
                    r#"{{"id":7,"name":"seven","trace":"{rid}","ts":{}}}"#,
                    1_700_000_000_000u64 + n
                ),
                &[("x-request-id", &rid)],
            ),
            // Candidate sends the volatile field with another JSON type.
            "/volatile-type" if candidate => json(
                format!(r#"{{"id":7,"name":"seven","trace":"{rid}","ts":"{n}"}}"#),
                &[("x-request-id", &rid)],
            ),
            "/volatile-type" => json(
                format!(
                    r#"{{"id":7,"name":"seven","trace":"{rid}","ts":{}}}"#,
                    1_700_000_000_000u64 + n
                ),
                &[("x-request-id", &rid)],
            ),
            // Stable page; the candidate's price can be changed by a flag file.
            "/item" => {
                let planted = candidate && plant.load(Ordering::Relaxed);
                let price = if planted { 11 } else { 10 };
                json(
                    format!(r#"{{"id":42,"price":{price}}}"#),
                    &[("cache-control", "public, max-age=60")],
                )
            }
            // Differs one time in two on the candidate, starting with a difference.
            "/flaky" => {
                let body = if candidate && n.is_multiple_of(2) {
                    "B"
                } else {
                    "A"
                };
                response(200, &[ident, ("content-type", "text/plain")], full(body))
            }
            _ => response(404, &[ident], full("not found")),
        }
    })
}

/// The candidate's counter starts elsewhere, so its volatile values never
/// equal the baseline's by chance. The flag plants a change on the candidate.
fn servers_with_plant() -> (Servers, Arc<AtomicBool>) {
    let plant = Arc::new(AtomicBool::new(false));
    let s = start(vec![
        (
            "127.0.0.2",
            handler(false, Arc::new(AtomicU64::new(0)), plant.clone()),
        ),
        (
            "127.0.0.3",
            handler(true, Arc::new(AtomicU64::new(1000)), plant.clone()),
        ),
    ]);
    (s, plant)
}

fn servers() -> Servers {
    servers_with_plant().0
}

fn project(port: u16) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    providers:\n      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.3]}\n",
    );
    p.write(
        "suites/api.yaml",
        &format!("base_url: http://www.example.test:{port}\ncases:\n  - name: item\n    path: /item\n  - name: volatile\n    path: /volatile\n"),
    );
    p
}

fn run(p: &Project, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, serde_json::Value) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"));
    cmd.args(args)
        .current_dir(p.dir.path())
        .env_remove("PARITY_UPDATE")
        .env_remove("PARITY_ENV")
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_BASELINE")
        .env_remove("PARITY_GOLDEN_DIR")
        .env_remove("CI");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run edgeparity");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(p.path("reports/latest/report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), text, report)
}

fn verdict(report: &serde_json::Value, id: &str) -> String {
    report["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .map(|c| c["verdict"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(suites) = std::fs::read_dir(dir) {
        for s in suites.flatten() {
            if let Ok(files) = std::fs::read_dir(s.path()) {
                for f in files.flatten() {
                    out.push((
                        f.path().display().to_string(),
                        std::fs::read(f.path()).unwrap(),
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn record_is_byte_stable_and_golden_compare_finds_a_planted_change() {
    let (s, plant) = servers_with_plant();
    let p = project(s.port);
    let (code, text, _) = run(&p, &["record"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 created"), "{text}");
    let first = snapshot(&p.path("golden"));
    assert_eq!(first.len(), 2);
    let item = String::from_utf8(std::fs::read(p.path("golden/api/item.yaml")).unwrap()).unwrap();
    assert!(
        item.contains("provider: fastly") && item.contains("price: 10"),
        "{item}"
    );
    let vol =
        String::from_utf8(std::fs::read(p.path("golden/api/volatile.yaml")).unwrap()).unwrap();
    // Volatile values are not stored; they are listed as noise.
    assert!(!vol.contains("req-"), "{vol}");
    assert!(
        vol.contains("/trace") && vol.contains("x-request-id"),
        "{vol}"
    );

    // Re-recording the same behaviour changes no byte.
    let (code, text, _) = run(&p, &["record"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 unchanged"), "{text}");
    assert_eq!(snapshot(&p.path("golden")), first);

    // Unchanged candidate: parity against golden, for both providers.
    let (code, text, r) = run(&p, &["run", "--baseline", "golden"], &[("CI", "true")]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(r["summary"]["parity"], 2, "{text}");

    // A planted change on the candidate is found against golden.
    plant.store(true, Ordering::Relaxed);
    let (code, text, r) = run(&p, &["run", "--baseline", "golden"], &[("CI", "true")]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(verdict(&r, "api::item"), "differs");
    assert!(text.contains("[cloudflare] body /price"), "{text}");
    assert!(!text.contains("[fastly] body"), "{text}");
    // The baseline side is the golden file, labelled as recorded, never as
    // the provider answering live.
    let item = r["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == "api::item"))
        .expect("api::item");
    let label = item["baseline"].as_str().expect("a baseline label");
    let shape = regex::Regex::new(r"^golden \(recorded \d{4}-\d{2}-\d{2} from fastly\)$");
    assert!(shape.expect("regex").is_match(label), "{label}");
    assert!(text.contains(&format!("      {label}: ")), "{text}");
    let html = std::fs::read_to_string(p.path("reports/latest/report.html")).expect("html");
    assert!(
        html.contains(&format!("<th>{label} <small>baseline</small></th>")),
        "{html}"
    );
    // Under CI=true nothing was written.
    assert_eq!(snapshot(&p.path("golden")), first);
}

#[test]
fn missing_golden_is_no_golden_never_parity() {
    let s = servers();
    let p = project(s.port);
    let (code, text, r) = run(&p, &["run", "--baseline", "golden"], &[("CI", "true")]);
    assert_eq!(code, 3, "{text}");
    assert_eq!(verdict(&r, "api::item"), "no-golden");
    assert_eq!(r["summary"]["no-golden"], 2);
    assert!(!p.path("golden").exists(), "CI=true must not write");
}

#[test]
fn pending_accept_and_reject_through_the_cli() {
    let s = servers();
    let p = project(s.port);
    let (code, text, _) = run(&p, &["record", "--pending"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(p.path("golden/api/item.yaml.new").exists());
    assert!(!p.path("golden/api/item.yaml").exists());
    let (code, text, _) = run(&p, &["golden", "accept", "api::item"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(p.path("golden/api/item.yaml").exists());
    assert!(!p.path("golden/api/item.yaml.new").exists());
    assert!(
        p.path("golden/api/volatile.yaml.new").exists(),
        "the pattern chose one case"
    );
    let (code, _, _) = run(&p, &["golden", "reject"], &[]);
    assert_eq!(code, 0);
    assert!(!p.path("golden/api/volatile.yaml.new").exists());
    assert!(!p.path("golden/api/volatile.yaml").exists());

    // Locally, a golden run writes a pending file for a case without golden…
    let (code, text, _) = run(&p, &["run", "--baseline", "golden"], &[]);
    assert_eq!(code, 3, "{text}");
    assert!(p.path("golden/api/volatile.yaml.new").exists(), "{text}");
    // …and the interactive review accepts it from standard input.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(["golden", "review"])
        .current_dir(p.dir.path())
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"a\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("api::volatile") && shown.contains("accepted api::volatile"),
        "{shown}"
    );
    assert!(p.path("golden/api/volatile.yaml").exists());
    // Under CI=true, review refuses to prompt and nothing changes.
    let before = snapshot(&p.path("golden"));
    let (code, _, _) = run(&p, &["golden", "review"], &[("CI", "true")]);
    assert_eq!(code, 2);
    let (_, _, _) = run(&p, &["run", "--baseline", "golden"], &[("CI", "true")]);
    assert_eq!(snapshot(&p.path("golden")), before);
}

#[test]
fn calibration_absorbs_volatile_fields_but_not_shape_changes() {
    let s = servers();
    let p = project(s.port);
    p.write(
        "suites/api.yaml",
        &format!(
            "base_url: http://www.example.test:{}\ncases:\n  - {{name: volatile, path: /volatile}}\n  - {{name: missing, path: /volatile-missing}}\n  - {{name: retyped, path: /volatile-type}}\n",
            s.port
        ),
    );
    // Without calibration the volatile fields are differences.
    let (code, text, r) = run(&p, &["run", "--calibrate", "0", "--confirm", "0"], &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(verdict(&r, "api::volatile"), "differs");
    // With it (the default), the volatile case is at parity and its noise is listed.
    let (code, text, r) = run(&p, &["run"], &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(verdict(&r, "api::volatile"), "parity", "{text}");
    let case = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "api::volatile")
        .unwrap();
    assert!(
        case["noise"]["headers"]["x-request-id"].is_array(),
        "{case:#}"
    );
    assert!(case["noise"]["json"]["/trace"].is_array(), "{case:#}");
    assert!(
        case["noise"]["suppressed"].as_u64().unwrap() >= 2,
        "{case:#}"
    );
    // A volatile field that goes missing, or changes type, still counts.
    assert_eq!(verdict(&r, "api::missing"), "differs");
    assert!(text.contains("/trace: missing on candidate"), "{text}");
    assert_eq!(verdict(&r, "api::retyped"), "differs");
    assert!(text.contains("type changed: number → string"), "{text}");
}

#[test]
fn a_one_in_two_difference_is_flaky() {
    let s = servers();
    let p = project(s.port);
    p.write(
        "suites/api.yaml",
        &format!(
            "base_url: http://www.example.test:{}\ncases:\n  - {{name: flaky, path: /flaky}}\n",
            s.port
        ),
    );
    let (code, text, r) = run(&p, &["run", "--confirm", "2"], &[]);
    assert_eq!(code, 4, "{text}");
    assert_eq!(verdict(&r, "api::flaky"), "flaky");
    let case = &r["cases"][0];
    assert_eq!(case["confirm"]["reruns"], 1, "{case:#}");
    assert_eq!(case["confirm"]["agreed"], 0, "{case:#}");
    assert_eq!(r["summary"]["flaky"], 1);
}
