//! The pre-cutover gate: the pure logic with a fixed date, and the real
//! binary's exit codes (0 pass, 1 blocked, 2 bad input).

mod common;

use std::path::Path;

use common::*;
use edgeparity::allowlist::{self, Allowlist};
use edgeparity::gate::{self, Policy};
use edgeparity::model::Report;
use edgeparity::model::Severity;
use edgeparity::model::{CaseResult, Verdict};

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 3, 1)
}

/// Four cases of the fixture: checkout::cart (a major header and a minor
/// one), checkout::same (parity), api::health (parity), api::price (a
/// major body difference).
fn report_of(ids: &[&str]) -> Report {
    let mut r = fixture_report();
    r.cases.retain(|c| ids.contains(&c.id.as_str()));
    r.summary = Report::summarize(&r.cases);
    r
}

fn four() -> Report {
    report_of(&[
        "checkout::cart",
        "checkout::same",
        "api::health",
        "api::price",
    ])
}

fn allow(text: &str) -> Allowlist {
    allowlist::parse(Path::new("allow.yaml"), text).expect("valid allowlist")
}

const ALLOW_BOTH: &str = r#"allow:
  - case: "checkout::*"
    kind: header
    field: x-frame-options
    provider: cloudflare
    reason: "set by the new WAF rule instead"
    owner: net-team
    expires: 2027-01-31
  - case: "api::price"
    kind: body
    field: /price
    reason: "price rounding changes with the new origin"
    owner: api-team
    expires: 2026-12-31
"#;

fn policy() -> Policy {
    Policy::default()
}

#[test]
fn a_clean_report_passes() {
    let r = report_of(&["checkout::same", "api::health"]);
    let o = gate::evaluate(&r, &Allowlist::empty(), &policy(), today());
    assert!(o.passed());
    assert_eq!(o.exit_code(), gate::PASS);
    let text = gate::render(&o, &Allowlist::empty());
    assert!(text.starts_with("GATE PASSED"), "{text}");
}

#[test]
fn an_empty_report_blocks() {
    let r = report_of(&[]);
    let o = gate::evaluate(&r, &Allowlist::empty(), &policy(), today());
    assert!(!o.passed());
    let text = gate::render(&o, &Allowlist::empty());
    assert!(
        text.contains("GATE BLOCKED: the report has no cases: nothing was compared"),
        "{text}"
    );
}

#[test]
fn a_major_difference_blocks_and_is_named() {
    let o = gate::evaluate(&four(), &Allowlist::empty(), &policy(), today());
    assert_eq!(o.exit_code(), gate::BLOCKED);
    let blocking: Vec<(String, Option<String>)> = o
        .blocking
        .iter()
        .map(|f| (f.case.clone(), f.difference.field.clone()))
        .collect();
    assert_eq!(
        blocking,
        vec![
            ("checkout::cart".into(), Some("x-frame-options".into())),
            ("api::price".into(), Some("/price".into())),
        ]
    );
    assert_eq!(o.below, 1, "the minor x-debug header");
    let text = gate::render(&o, &Allowlist::empty());
    assert!(
        text.contains("BLOCKING  checkout::cart  [cloudflare] header x-frame-options major: x-frame-options is missing on cloudflare\n            why: Security headers set in <b>Fastly VCL</b> only — fix: Add them with a Response Header Transform Rule <script>alert(2)</script> (edgeparity hints team-security-headers)\n"),
        "{text}"
    );
    // A difference without a hint gets no why line.
    assert!(
        text.contains("BLOCKING  api::price  [cloudflare] body /price major: value changed\n"),
        "{text}"
    );
    assert_eq!(text.matches("why:").count(), 1, "{text}");
    assert!(
        text.contains("GATE BLOCKED: 2 differences at or above major"),
        "{text}"
    );
}

#[test]
fn allowlisted_differences_pass_and_the_entries_are_printed() {
    let a = allow(ALLOW_BOTH);
    let o = gate::evaluate(&four(), &a, &policy(), today());
    assert!(o.passed(), "{}", gate::render(&o, &a));
    assert_eq!(o.used.len(), 2);
    assert!(o.stale.is_empty() && o.expired.is_empty());
    let text = gate::render(&o, &a);
    assert!(text.contains(
        "ALLOWED   allow.yaml:2:5 `checkout::* header x-frame-options on cloudflare` (owner net-team, expires 2027-01-31): set by the new WAF rule instead covered 1 difference:"
    ), "{text}");
    assert!(
        text.contains("owner api-team, expires 2026-12-31"),
        "{text}"
    );
    assert!(text.contains("GATE PASSED"), "{text}");
}

#[test]
fn an_expired_entry_blocks_naming_its_owner() {
    let a = allow(ALLOW_BOTH);
    // The day after the api-team entry's last day.
    let o = gate::evaluate(&four(), &a, &policy(), jiff::civil::date(2027, 1, 1));
    assert!(!o.passed());
    assert_eq!(o.expired, vec![1]);
    // An expired entry covers nothing: the price difference blocks again.
    assert_eq!(o.blocking.len(), 1);
    assert_eq!(o.blocking[0].case, "api::price");
    let text = gate::render(&o, &a);
    assert!(
        text.contains(
            "EXPIRED   allow.yaml:9:5 `api::price body /price` (owner api-team, expires 2026-12-31)"
        ),
        "{text}"
    );
    assert!(
        text.contains("owner api-team must renew or remove it"),
        "{text}"
    );
    assert!(
        text.contains("1 expired allowlist entry (owner api-team)"),
        "{text}"
    );
    // Its last day still holds.
    let o = gate::evaluate(&four(), &a, &policy(), jiff::civil::date(2026, 12, 31));
    assert!(o.passed());
}

#[test]
fn an_entry_that_matched_nothing_is_stale_and_does_not_block() {
    let text = format!(
        "{ALLOW_BOTH}  - case: \"legacy::*\"\n    reason: old cases\n    owner: web-team\n    expires: 2027-06-01\n"
    );
    let a = allow(&text);
    let o = gate::evaluate(&four(), &a, &policy(), today());
    assert!(o.passed());
    assert_eq!(o.stale, vec![2]);
    let out = gate::render(&o, &a);
    assert!(
        out.contains("STALE     allow.yaml:15:5 `legacy::*` (owner web-team, expires 2027-06-01): old cases: matched nothing"),
        "{out}"
    );
}

fn with_error(mut r: Report) -> Report {
    let err = fixture_report()
        .cases
        .into_iter()
        .find(|c| c.id == "api::user")
        .unwrap();
    r.cases.push(err);
    r.summary = Report::summarize(&r.cases);
    r
}

#[test]
fn an_error_case_blocks_by_default() {
    let r = with_error(report_of(&["checkout::same", "api::health", "api::etag"]));
    let o = gate::evaluate(&r, &Allowlist::empty(), &policy(), today());
    assert!(!o.passed());
    assert!(
        o.blocking.is_empty(),
        "flaky differences are judged by the rate"
    );
    let verdicts: Vec<Verdict> = o.unverified.iter().map(|u| u.verdict).collect();
    assert_eq!(verdicts, [Verdict::Flaky, Verdict::Error]);
    let text = gate::render(&o, &Allowlist::empty());
    assert!(
        text.contains("ERROR     api::user: cloudflare: connection failed"),
        "{text}"
    );
    assert!(
        text.contains("GATE BLOCKED: 2 of 4 cases error, no-golden or flaky (50.0%, allowed 0.0%)"),
        "{text}"
    );
}

#[test]
fn max_error_rate_lets_one_error_in_four_pass() {
    let r = with_error(report_of(&["checkout::same", "api::health", "api::etag"]));
    let r = {
        let mut r = r;
        r.cases.retain(|c| c.id != "api::etag");
        let parity: CaseResult = r.cases[0].clone();
        let mut extra = parity;
        extra.id = "checkout::extra".into();
        r.cases.push(extra);
        r.summary = Report::summarize(&r.cases);
        r
    };
    assert_eq!(r.cases.len(), 4);
    let lenient = Policy::new("major", 0.5).unwrap();
    let o = gate::evaluate(&r, &Allowlist::empty(), &lenient, today());
    assert!(o.passed(), "{}", gate::render(&o, &Allowlist::empty()));
    assert!((o.unverified_rate - 0.25).abs() < 1e-9);
    let strict = Policy::new("major", 0.2).unwrap();
    assert!(!gate::evaluate(&r, &Allowlist::empty(), &strict, today()).passed());
}

#[test]
fn fail_on_sets_the_threshold() {
    let critical_only = Policy::new("critical", 0.0).unwrap();
    let o = gate::evaluate(&four(), &Allowlist::empty(), &critical_only, today());
    assert!(o.passed());
    assert_eq!(o.below, 3);
    let r = report_of(&["checkout::pay"]);
    let o = gate::evaluate(&r, &Allowlist::empty(), &critical_only, today());
    assert!(!o.passed());
    assert_eq!(o.blocking[0].difference.severity, Severity::Critical);
    let info = Policy::new("info", 0.0).unwrap();
    let a = allow(ALLOW_BOTH);
    let o = gate::evaluate(&four(), &a, &info, today());
    assert_eq!(o.blocking.len(), 1, "the minor x-debug header now blocks");
}

// ---------------------------------------------------------------------------
// Through the binary
// ---------------------------------------------------------------------------

fn write_report(p: &Project, r: &Report) -> String {
    p.write("report.json", &r.to_json());
    "report.json".into()
}

fn gate_cmd(p: &Project, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["gate"];
    all.extend_from_slice(args);
    let out = edgeparity(&all, p.dir.path());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn binary_exit_codes() {
    let p = Project::new();
    // Clean: 0.
    write_report(&p, &report_of(&["checkout::same", "api::health"]));
    let (code, out, err) = gate_cmd(&p, &["--report", "report.json"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("GATE PASSED"), "{out}");

    // A major difference: 1, and it is named.
    write_report(&p, &four());
    let (code, out, err) = gate_cmd(&p, &["--report", "report.json"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("BLOCKING  api::price  [cloudflare] body /price major: value changed"),
        "{out}"
    );

    // Allowlisted: 0.
    p.write("allow.yaml", ALLOW_BOTH);
    let (code, out, err) = gate_cmd(
        &p,
        &["--report", "report.json", "--allowlist", "allow.yaml"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("ALLOWED"), "{out}");

    // Expired (a date long past): 1, owner named.
    p.write("old.yaml", &ALLOW_BOTH.replace("2026-12-31", "2020-01-31"));
    let (code, out, err) = gate_cmd(&p, &["--report", "report.json", "--allowlist", "old.yaml"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("owner api-team must renew or remove it"),
        "{out}"
    );

    // One error in four cases: blocked at 0, passes at 0.5.
    let mut r = with_error(report_of(&["checkout::same", "api::health"]));
    let mut extra = r.cases[0].clone();
    extra.id = "checkout::extra".into();
    r.cases.push(extra);
    r.summary = Report::summarize(&r.cases);
    write_report(&p, &r);
    let (code, out, _) = gate_cmd(&p, &["--report", "report.json"]);
    assert_eq!(code, Some(1), "{out}");
    let (code, out, _) = gate_cmd(&p, &["--report", "report.json", "--max-error-rate", "0.5"]);
    assert_eq!(code, Some(0), "{out}");

    // Bad input: 2.
    let (code, _, err) = gate_cmd(&p, &["--report", "missing.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.json"), "{err}");
    p.write("corrupt.json", "{\"schema_version\": 1,");
    let (code, _, err) = gate_cmd(&p, &["--report", "corrupt.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not an edgeparity report.json"), "{err}");
    p.write(
        "unknown.yaml",
        "allow:\n  - case: \"a::*\"\n    reason: r\n    owner: o\n    expires: 2027-01-01\n    ticket: NET-1\n",
    );
    let (code, _, err) = gate_cmd(
        &p,
        &["--report", "report.json", "--allowlist", "unknown.yaml"],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown.yaml:6:") && err.contains("unknown field `ticket`"),
        "{err}"
    );
    let (code, _, err) = gate_cmd(&p, &["--report", "report.json", "--allowlist", "nope.yaml"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = gate_cmd(&p, &["--report", "report.json", "--fail-on", "severe"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--fail-on `severe`"), "{err}");
    let (code, _, _) = gate_cmd(&p, &["--report", "report.json", "--max-error-rate", "2"]);
    assert_eq!(code, Some(2));
}

#[test]
fn run_with_gate_judges_the_report_it_wrote() {
    let s = planted_servers();
    let p = planted_project(s.port);
    let out = edgeparity(&["run", "--jobs", "4", "--gate"], p.dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("BLOCKING  planted::plant-status"),
        "{stdout}"
    );
    assert!(stdout.contains("GATE BLOCKED"), "{stdout}");
    // Everything planted allowed (the status one is critical).
    p.write(
        "allow.yaml",
        "allow:\n  - case: \"planted::plant-*\"\n    provider: cloudflare\n    reason: planted by the test\n    owner: qa\n    expires: 2999-12-31\n",
    );
    let out = edgeparity(
        &["run", "--jobs", "4", "--gate", "--allowlist", "allow.yaml"],
        p.dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("GATE PASSED"), "{stdout}");
    // Accepted is visible in every format, with reason, owner and expiry.
    assert!(
        stdout.contains("accepted by allow.yaml:2:5 (qa, until 2999-12-31): planted by the test"),
        "{stdout}"
    );
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path("reports/latest/report.json")).expect("report"),
    )
    .expect("JSON");
    assert_report_schema(&r);
    let allowed: Vec<&serde_json::Value> = r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|c| c["differences"].as_array().into_iter().flatten())
        .filter_map(|d| d.get("allowed"))
        .collect();
    let total: usize = r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["differences"].as_array().map_or(0, |d| d.len()))
        .sum();
    assert!(total >= 4);
    assert_eq!(
        allowed.len(),
        total,
        "every planted difference: {allowed:?}"
    );
    assert!(allowed
        .iter()
        .all(|a| a["owner"] == "qa" && a["expires"] == "2999-12-31"));
    let read = |f: &str| std::fs::read_to_string(p.path(&format!("reports/latest/{f}"))).expect(f);
    assert!(read("summary.md").contains(&format!("### Accepted by the allowlist ({total})")));
    assert!(read("report.html")
        .contains("<b>Accepted</b> by allow.yaml:2:5 — qa, until 2999-12-31: planted by the test"));
    assert!(read("junit.xml").contains("accepted by allow.yaml:2:5"));
    // And the gate on the written report agrees.
    let out = edgeparity(
        &[
            "gate",
            "--report",
            "reports/latest/report.json",
            "--allowlist",
            "allow.yaml",
        ],
        p.dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
