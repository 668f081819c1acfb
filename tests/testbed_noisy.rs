//! The noisy family against the real testbed (`testbed/up`): pages and APIs
//! with per-request tokens, cookies, ETags, `Expires` and numbers of varying
//! length, four of them with a real change planted by the Cloudflare
//! stand-in beside the noise (testbed/README.md, "The noisy family").
//!
//! Five back-to-back runs must report exactly the planted changes with
//! identical verdicts; shards merged must equal the whole run; golden
//! recordings from a cold and a warm edge must be identical. A missing
//! testbed fails these tests, never skips them.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn require_testbed() {
    common::require_testbed(common::TESTBED);
}

fn edgeparity(args: &[&str], cwd: &Path) -> (i32, String) {
    common::run_ci(args, cwd)
}

/// Per case: verdict and the differences (kind field) found.
type Outcome = BTreeMap<String, (String, Vec<String>)>;

fn outcome(report: &Path) -> Outcome {
    let r = edgeparity::report::read(report).unwrap_or_else(|e| panic!("{e}"));
    r.cases
        .iter()
        .map(|c| {
            let mut d: Vec<String> = c
                .differences
                .iter()
                .map(|d| format!("{} {}", d.kind.as_str(), d.field.as_deref().unwrap_or("-")))
                .collect();
            d.sort();
            (c.id.clone(), (c.verdict.as_str().to_string(), d))
        })
        .collect()
}

fn planted() -> Outcome {
    let mut want = Outcome::new();
    for (id, diffs) in [
        ("noisy::page", vec![]),
        ("noisy::api", vec![]),
        ("noisy::big", vec![]),
        ("noisy::cart-button", vec!["body -"]),
        ("noisy::price-currency", vec!["body /item/currency"]),
        ("noisy::session-cookie", vec!["header set-cookie"]),
        ("noisy::big-build", vec!["body -"]),
    ] {
        let verdict = if diffs.is_empty() {
            "parity"
        } else {
            "differs"
        };
        want.insert(
            id.to_string(),
            (
                verdict.into(),
                diffs.into_iter().map(String::from).collect(),
            ),
        );
    }
    want
}

#[test]
fn noisy_family_reports_exactly_the_planted_changes_every_run() {
    require_testbed();
    let tmp = tempfile::tempdir().expect("tempdir");
    let want = planted();
    let (mut false_parity, mut false_diff, mut flaky) = (0, 0, 0);
    let mut runs = Vec::new();
    for i in 0..5 {
        let dir = tmp.path().join(format!("run-{i}"));
        let (code, text) = edgeparity(
            &[
                "run",
                "--env",
                "testbed",
                "suites/noisy.yaml",
                "--report-dir",
                dir.to_str().unwrap_or("run"),
            ],
            &repo(),
        );
        assert_eq!(code, 1, "{text}");
        let got = outcome(&dir.join("report.json"));
        for (id, (verdict, diffs)) in &got {
            let (wv, wd) = &want[id];
            match (wv.as_str(), verdict.as_str()) {
                (_, "flaky") => flaky += 1,
                ("differs", "parity") => false_parity += 1,
                ("parity", "differs") => false_diff += 1,
                _ if diffs != wd => false_diff += 1,
                _ => {}
            }
        }
        runs.push((got, text));
    }
    println!(
        "noisy family, 5 runs: false parities {false_parity}, false differences {false_diff}, flaky verdicts {flaky}"
    );
    for (got, text) in &runs {
        assert_eq!(got, &want, "{text}");
    }
    // The changes are shown in context, and the noise is listed.
    let text = &runs[0].1;
    assert!(text.contains("[-cart-]{+basket+}"), "{text}");
    assert!(text.contains("[-2024.11-]{+2024.12+}"), "{text}");
    assert!(text.contains("{+; SameSite=Strict+}"), "{text}");
    let r = edgeparity::report::read(&tmp.path().join("run-0/report.json")).expect("report");
    let page = r
        .cases
        .iter()
        .find(|c| c.id == "noisy::page")
        .expect("page");
    assert!(
        page.noise
            .slots
            .iter()
            .any(|s| s.at.starts_with("body line") && s.absorbed > 0),
        "{:#?}",
        page.noise
    );
    assert!(
        page.noise.headers.contains_key("set-cookie"),
        "{:#?}",
        page.noise
    );
}

#[test]
fn shards_merged_equal_the_whole_run() {
    require_testbed();
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = |p: &str| tmp.path().join(p).to_string_lossy().into_owned();
    let (code, text) = edgeparity(
        &[
            "run",
            "--env",
            "testbed",
            "suites/noisy.yaml",
            "--report-dir",
            &path("full"),
        ],
        &repo(),
    );
    assert_eq!(code, 1, "{text}");
    for k in 1..=3 {
        let (code, text) = edgeparity(
            &[
                "run",
                "--env",
                "testbed",
                "suites/noisy.yaml",
                "--shard",
                &format!("{k}/3"),
                "--report-dir",
                &path(&format!("shard-{k}")),
            ],
            &repo(),
        );
        assert!(matches!(code, 0 | 1), "{text}");
    }
    let (code, text) = edgeparity(
        &[
            "report",
            "merge",
            &path("shard-1"),
            &path("shard-2"),
            &path("shard-3"),
            "--out",
            &path("merged"),
        ],
        &repo(),
    );
    assert_eq!(code, 0, "{text}");
    let full = outcome(&tmp.path().join("full/report.json"));
    assert_eq!(full, planted());
    assert_eq!(outcome(&tmp.path().join("merged/report.json")), full);
}

#[test]
fn golden_recordings_from_a_cold_and_a_warm_edge_are_identical() {
    require_testbed();
    let p = common::Project::new();
    // A cacheable file on a key no earlier run warmed, and a volatile page.
    let key = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let suite = p.write(
        "suites/cold.yaml",
        &format!(
            "base_url: https://www.example.test:18443\ncases:\n  - {{name: app-js, path: \"/static/app.js?cold={key}\", ignore_headers: [etag]}}\n  - {{name: page, path: /noisy/page.html}}\n"
        ),
    );
    let golden = p.path("golden");
    let config = repo().join("parity.yaml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--config".into(),
            config.to_string_lossy().into_owned(),
            "--env".into(),
            "testbed".into(),
            "--golden-dir".into(),
            golden.to_string_lossy().into_owned(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push(suite.to_string_lossy().into_owned());
        v
    };
    let run = |cmd: &str, extra: &[&str]| {
        let mut a = vec![cmd.to_string()];
        a.extend(args(extra));
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        edgeparity(&refs, &repo())
    };
    let (code, text) = run("record", &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 created"), "{text}");
    let read =
        |case: &str| std::fs::read(golden.join(format!("cold/{case}.yaml"))).expect("golden file");
    let cold = (read("app-js"), read("page"));
    let cold_text = String::from_utf8_lossy(&cold.0).into_owned();
    assert!(!cold_text.contains("cache:"), "{cold_text}");
    let page = String::from_utf8_lossy(&cold.1).into_owned();
    assert!(
        page.contains("value=\\\"⟦base64url:") || page.contains("value=\"⟦base64url:"),
        "{page}"
    );
    // Warm now: the same files, byte for byte.
    let (code, text) = run("record", &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 unchanged"), "{text}");
    assert_eq!((read("app-js"), read("page")), cold);
    // And both providers are at parity with them.
    let (code, text) = run(
        "run",
        &[
            "--baseline",
            "golden",
            "--report-dir",
            &p.path("reports").to_string_lossy(),
        ],
    );
    assert!(matches!(code, 0 | 1), "{text}");
    let got = outcome(&p.path("reports/report.json"));
    assert_eq!(got["cold::page"].0, "parity", "{text}");
}
