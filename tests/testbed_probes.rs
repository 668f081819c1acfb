//! The follow-up probes (`conditional`, `range`, `head`) and assertions end
//! to end against the real testbed: `suites/probes.yaml` must find exactly
//! the differences planted on the Cloudflare stand-in (testbed/README.md,
//! "The probes"), and the case where every follow-up is alike must be at
//! parity. Never skips: a missing testbed server fails the test.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn require_testbed() {
    common::require_testbed(common::TESTBED);
}

fn run_probes() -> (i32, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let config = repo().join("parity.yaml");
    let suite = repo().join("suites/probes.yaml");
    let (code, text) = common::run_ci(
        &[
            "run",
            "--env",
            "testbed",
            "--config",
            &config.display().to_string(),
            "--report-dir",
            "reports",
            &suite.display().to_string(),
        ],
        dir.path(),
    );
    let report = common::read_json(&dir.path().join("reports/report.json"));
    (code, text, report)
}

#[test]
fn probes_find_each_planted_difference_and_nothing_else() {
    require_testbed();
    let (code, text, r) = run_probes();
    assert_eq!(code, 1, "the probes suite differs on purpose:\n{text}");
    common::assert_report_schema(&r);
    let mut found = BTreeSet::new();
    let mut hints = BTreeSet::new();
    for c in r["cases"].as_array().expect("cases") {
        let id = c["id"].as_str().unwrap();
        for d in c["differences"].as_array().unwrap() {
            found.insert(format!(
                "{id} {} {} {}",
                d["provider"].as_str().unwrap(),
                d["kind"].as_str().unwrap(),
                d["field"].as_str().unwrap_or("-")
            ));
            if let Some(h) = d["hint"]["id"].as_str() {
                hints.insert(format!(
                    "{id} {} -> {h}",
                    d["field"].as_str().unwrap_or("-")
                ));
            }
        }
    }
    let want: BTreeSet<String> = [
        // P1: the revalidation got the whole body.
        "probes::revalidation-ignored cloudflare conditional status",
        // An unquoted ETag is dropped: revalidation by date only.
        "probes::unquoted-etag-revalidation cloudflare header etag",
        "probes::unquoted-etag-revalidation cloudflare conditional validators",
        // P2: the range was ignored.
        "probes::range-ignored cloudflare range status",
        "probes::range-ignored cloudflare range content-range",
        // P3: HEAD refused; said once, as the provider's own finding.
        "probes::head-refused cloudflare head status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(found, want, "\n{text}");
    let want_hints: BTreeSet<String> = [
        "probes::range-ignored status -> range-request",
        "probes::range-ignored content-range -> range-request",
        "probes::unquoted-etag-revalidation etag -> unquoted-etag-dropped",
        "probes::unquoted-etag-revalidation validators -> validator-removed",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(hints, want_hints);

    let alike = common::report_case(&r, "probes::all-three-alike");
    assert_eq!(alike["verdict"], "parity", "{alike:#}");
    // Each provider answered the GET and its three follow-ups as HTTP says.
    let statuses: BTreeSet<String> = alike["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["provider"].as_str().unwrap(),
                s["label"].as_str().unwrap(),
                s["status"]
            )
        })
        .collect();
    let mut want_statuses = BTreeSet::new();
    for p in ["cloudflare", "fastly"] {
        for (label, status) in [
            ("request", 200),
            ("conditional", 304),
            ("range", 206),
            ("head", 200),
        ] {
            want_statuses.insert(format!("{p} {label} {status}"));
        }
    }
    assert_eq!(statuses, want_statuses);
    for p in ["cloudflare", "fastly"] {
        assert_eq!(
            alike["probes"][p]["validators"],
            serde_json::json!(["etag", "last-modified"]),
            "{alike:#}"
        );
    }
    // The revalidation that was ignored: 304 on one side, 200 on the other.
    let ignored = common::report_case(&r, "probes::revalidation-ignored");
    let d = &ignored["differences"][0];
    assert_eq!(
        (d["baseline"].as_str(), d["candidate"].as_str()),
        (Some("304"), Some("200"))
    );
    assert_eq!(d["severity"], "major");
    // Every case says what it expected: the run's summary marks them so.
    for id in [
        "probes::revalidation-ignored",
        "probes::range-ignored",
        "probes::head-refused",
        "probes::unquoted-etag-revalidation",
    ] {
        assert!(
            text.contains(&format!("{id} (as expected)")),
            "{id} not as expected:\n{text}"
        );
    }
}
