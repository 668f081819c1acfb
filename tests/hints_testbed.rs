//! The remediation hints end to end: the example suites against the real
//! testbed (`testbed/up`), and every deliberate difference of
//! `testbed/README.md` ("Signatures for the hints") carrying the hint id a
//! real migration would need, every other difference none (a wrong hint is
//! worse than none). The coverage is printed (`--nocapture`) for the record.
//!
//! Like `tests/testbed.rs`, this never skips: a missing testbed server fails.

mod common;

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn require_testbed() {
    common::require_testbed(common::TESTBED);
}

fn edgeparity(args: &[&str], cwd: &Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .env_remove("PARITY_BASELINE")
        .env("CI", "true")
        .output()
        .expect("run edgeparity");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The hint each deliberate difference of the example suites must carry
/// (testbed/README.md, "Signatures for the hints" and "Where the example
/// suites find each difference"): by case, difference kind and field
/// (`None`: any field of that kind). Anything not listed gets no hint.
const EXPECTED: &[(&str, &str, Option<&str>, &str)] = &[
    // #1 not cached by extension (DYNAMIC): every position of the sequence.
    (
        "cache::text-not-cached-by-extension",
        "cache",
        None,
        "not-eligible-for-cache",
    ),
    // #2 Vary: Accept-Language not honoured.
    (
        "cache::language-leak",
        "vary",
        Some("accept-language"),
        "vary-not-honoured",
    ),
    // #3 compression by the edge.
    (
        "cache::encodings",
        "header",
        Some("content-encoding"),
        "edge-compression",
    ),
    (
        "www::text-compressed",
        "header",
        Some("content-encoding"),
        "edge-compression",
    ),
    // #4, #5 ETags.
    (
        "validators::etag-weakened",
        "header",
        Some("etag"),
        "strong-etag-weakened",
    ),
    (
        "validators::etag-unquoted-dropped",
        "header",
        Some("etag"),
        "unquoted-etag-dropped",
    ),
    // #6 Set-Cookie cached: the cookie on a hit, and the hit itself.
    (
        "cache::cookie-cached",
        "cache",
        Some("set-cookie"),
        "set-cookie-on-cacheable",
    ),
    (
        "cache::cookie-cached",
        "cache",
        Some("sequence[1]"),
        "set-cookie-on-cacheable",
    ),
    // P2 (the probes): a range ignored; an unquoted ETag dropped, so the
    // revalidation has no ETag to use.
    ("probes::range-ignored", "range", None, "range-request"),
    (
        "probes::unquoted-etag-revalidation",
        "header",
        Some("etag"),
        "unquoted-etag-dropped",
    ),
    (
        "probes::unquoted-etag-revalidation",
        "conditional",
        Some("validators"),
        "validator-removed",
    ),
    // #10-#14: every difference of the edge's own answer.
    ("hints::email-obfuscated", "body", None, "email-obfuscation"),
    ("hints::waf-block", "*", None, "waf-block-or-challenge"),
    ("hints::waf-challenge", "*", None, "waf-block-or-challenge"),
    ("hints::edge-timeout", "*", None, "edge-timeout-error"),
    ("hints::edge-redirect", "*", None, "edge-redirect"),
];

fn expected_hint(case: &str, kind: &str, field: Option<&str>) -> Option<&'static str> {
    EXPECTED
        .iter()
        .find(|(c, k, f, _)| {
            *c == case && (*k == "*" || *k == kind) && (f.is_none() || *f == field)
        })
        .map(|(_, _, _, id)| *id)
}

#[test]
fn example_suites_carry_the_expected_hint_on_each_deliberate_difference_and_none_elsewhere() {
    require_testbed();
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let config = repo().join("parity.yaml");
    let suites = repo().join("suites");
    let (code, text) = edgeparity(
        &[
            "run",
            "--env",
            "testbed",
            "--config",
            config.to_str().unwrap(),
            "--report-dir",
            reports.to_str().unwrap(),
            suites.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 1, "the example suites differ on purpose:\n{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["schema_version"], 2);

    let mut wrong = Vec::new();
    let mut lines = Vec::new();
    let (mut all, mut hinted) = (0, 0);
    let mut deliberate_seen = vec![false; EXPECTED.len()];
    for c in report["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        for d in c["differences"].as_array().unwrap() {
            all += 1;
            let kind = d["kind"].as_str().unwrap();
            let field = d["field"].as_str();
            let got = d["hint"]["id"].as_str();
            let want = expected_hint(id, kind, field);
            if let Some(i) = EXPECTED.iter().position(|(c, k, f, _)| {
                *c == id && (*k == "*" || *k == kind) && (f.is_none() || *f == field)
            }) {
                deliberate_seen[i] = true;
            }
            if got.is_some() {
                hinted += 1;
                // A hint a report carries is whole: title, fix, docs.
                for key in ["title", "fix"] {
                    assert!(
                        d["hint"][key].as_str().is_some_and(|s| !s.is_empty()),
                        "{d}"
                    );
                }
                assert!(!d["hint"]["docs"].as_array().unwrap().is_empty(), "{d}");
            }
            lines.push(format!(
                "{id:<38} {kind:<6} {:<18} -> {}",
                field.unwrap_or("-"),
                got.unwrap_or("(none)")
            ));
            if got != want {
                wrong.push(format!(
                    "{id} {kind} {}: expected {want:?}, got {got:?}",
                    field.unwrap_or("-")
                ));
            }
        }
    }
    println!("hint coverage of the example suites' differences: {hinted} of {all} differences carry a hint");
    for l in &lines {
        println!("  {l}");
    }
    assert!(wrong.is_empty(), "{}\n\n{text}", wrong.join("\n"));
    let unseen: Vec<String> = EXPECTED
        .iter()
        .zip(&deliberate_seen)
        .filter(|(_, seen)| !**seen)
        .map(|((c, k, f, _), _)| format!("{c} {k} {}", f.unwrap_or("*")))
        .collect();
    assert!(
        unseen.is_empty(),
        "deliberate differences not found: {unseen:?}\n\n{text}"
    );

    // The text summary, summary.md and report.html say why.
    assert!(
        text.contains("why: Cloudflare weakened a strong ETag (W/) — fix: "),
        "{text}"
    );
    assert!(
        text.contains("(edgeparity hints strong-etag-weakened)"),
        "{text}"
    );
    let md = std::fs::read_to_string(reports.join("summary.md")).unwrap();
    assert!(md.contains("### Why they differ"), "{md}");
    // summary.md lists the first ten hints and points to report.html for
    // the rest; report.html has every one.
    assert!(
        md.contains("(`edge-compression`;") || md.contains("more hints: see report.html"),
        "{md}"
    );
    let html = std::fs::read_to_string(reports.join("report.html")).unwrap();
    assert!(html.contains("<code>edge-compression</code>"));
    assert!(html.contains("<code>waf-block-or-challenge</code>"));
    assert!(html.contains(
        "<a href=\"https://developers.cloudflare.com/cache/reference/etag-headers/\" rel=\"noopener noreferrer\">"
    ));
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains("why: Cloudflare removed an ETag that is not quoted"));

    // The gate names the fix of each blocking difference.
    let (code, gate) = edgeparity(
        &[
            "gate",
            "--report",
            reports.join("report.json").to_str().unwrap(),
            "--fail-on",
            "info",
        ],
        dir.path(),
    );
    assert_eq!(code, 1, "{gate}");
    assert!(
        gate.contains("            why: Cloudflare weakened a strong ETag (W/) — fix: "),
        "{gate}"
    );
}

/// Beyond the example suites: the testbed's differences that are vocabulary,
/// not behaviour to fix (#7 private: miss vs pass; #8 no-store, a 500, a
/// POST: miss vs uncacheable), must get no hint, and #1 on the other
/// statuses Fastly caches (301, 404) gets its hint on every position.
#[test]
fn vocabulary_differences_get_no_hint_and_uncached_statuses_get_theirs() {
    require_testbed();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("suites")).unwrap();
    std::fs::write(
        dir.path().join("suites/extra.yaml"),
        "base_url: https://www.example.test:18443\n\
         defaults:\n  headers: {User-Agent: edgeparity-hints-test}\n  ignore_headers: [etag]\n\
         cases:\n\
         \x20 - {name: private, path: /static/private.js, cache: {sequence: 3}}\n\
         \x20 - {name: api-item, path: /api/item?id=7, cache: {sequence: 2}, ignore_headers: [etag, x-request-id], ignore_json: [/request_id, /generated_at]}\n\
         \x20 - {name: server-error, path: /status/500, cache: {sequence: 2}}\n\
         \x20 - {name: login, method: POST, path: /login, body: user=a, cache: {sequence: 2}}\n\
         \x20 - {name: redirect, path: /redirect, cache: {sequence: 3}}\n\
         \x20 - {name: not-found, path: /status/404, cache: {sequence: 3}}\n\
         \x20 - {name: static-js, path: /static/app.js, cache: {sequence: 3}}\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let config = repo().join("parity.yaml");
    let (code, text) = edgeparity(
        &[
            "run",
            "--env",
            "testbed",
            "--config",
            config.to_str().unwrap(),
            "--report-dir",
            reports.to_str().unwrap(),
            "suites",
        ],
        dir.path(),
    );
    assert_eq!(code, 1, "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap())
            .unwrap();
    let mut wrong = Vec::new();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for c in report["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        for d in c["differences"].as_array().unwrap() {
            *seen.entry(id.to_string()).or_default() += 1;
            let got = d["hint"]["id"].as_str();
            let want = match id {
                "extra::redirect" | "extra::not-found" => Some("not-eligible-for-cache"),
                _ => None,
            };
            println!(
                "  {id:<22} {} {:<12} {} vs {} -> {}",
                d["kind"].as_str().unwrap_or("?"),
                d["field"].as_str().unwrap_or("-"),
                d["baseline"].as_str().unwrap_or("-"),
                d["candidate"].as_str().unwrap_or("-"),
                got.unwrap_or("(none)")
            );
            if got != want {
                wrong.push(format!("{id}: {d}: expected {want:?}, got {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}\n\n{text}", wrong.join("\n"));
    // Each vocabulary case did differ (so "no hint" was really asked).
    for id in [
        "extra::private",
        "extra::api-item",
        "extra::server-error",
        "extra::login",
        "extra::redirect",
        "extra::not-found",
    ] {
        assert!(
            seen.get(id).is_some_and(|n| *n > 0),
            "{id} did not differ: {text}"
        );
    }
    assert!(!seen.contains_key("extra::static-js"), "{text}");
}
