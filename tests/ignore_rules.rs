//! `ignore_json` wildcards and the unused-rule warning end to end, against
//! two servers started here (127.0.0.2 as Fastly, 127.0.0.3 as Cloudflare)
//! whose JSON differs only in fields the wildcards name.

mod common;

use std::sync::Arc;

use common::*;
use edgeparity::model::IgnoreRuleUse;

fn handler(candidate: bool) -> Handler {
    Arc::new(move |req| {
        let mut hs: Vec<(&str, &str)> = if candidate {
            vec![("cf-ray", "0123456789abcdef-TST"), ("server", "cloudflare")]
        } else {
            vec![("x-served-by", "cache-tst1-TST"), ("x-cache", "MISS")]
        };
        hs.push(("content-type", "application/json"));
        let (ts, trace) = if candidate { (2, "c") } else { (1, "b") };
        let body = match req.uri().path() {
            "/items" => format!(
                r#"{{"items":[{{"id":1,"ts":{ts}}},{{"id":2,"ts":{ts}}}],"meta":{{"deep":{{"trace":"{trace}"}}}}}}"#
            ),
            _ => r#"{"plain":true}"#.to_string(),
        };
        response(200, &hs, full(body))
    })
}

fn project(port: u16) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 3000\n    connect_timeout_ms: 1000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n",
    );
    p.write(
        "suites/api.yaml",
        &format!(
            r#"base_url: http://www.example.test:{port}
defaults:
  ignore_headers: [x-typo-header]
  ignore_json: ["/**/trace"]
cases:
  - name: wild
    path: /items
    ignore_json: ["/items/*/ts"]
  - name: tame
    path: /items
  - name: plain
    path: /plain
    ignore_json: ["/nope/*"]
"#
        ),
    );
    p
}

#[test]
fn wildcards_remove_every_match_and_unused_rules_are_warned_about() {
    let s = start(vec![
        ("127.0.0.2", handler(false)),
        ("127.0.0.3", handler(true)),
    ]);
    let p = project(s.port);
    let out = edgeparity(&["run", "--confirm", "0"], p.dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let r = read_json(&p.path("reports/latest/report.json"));
    assert_report_schema(&r);
    // `*` removed `ts` from every item; `**` the nested trace everywhere.
    assert_eq!(
        report_case(&r, "api::wild")["verdict"],
        "parity",
        "{:#}",
        report_case(&r, "api::wild")
    );
    let tame: Vec<String> = report_case(&r, "api::tame")["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["kind"].as_str().unwrap(),
                d["field"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(tame, ["body /items/0/ts", "body /items/1/ts"]);
    assert_eq!(report_case(&r, "api::plain")["verdict"], "parity");

    let uses: Vec<IgnoreRuleUse> = serde_json::from_value(r["ignore_rules"].clone()).unwrap();
    let got: Vec<(&str, Option<usize>, &str, usize, usize)> = uses
        .iter()
        .map(|u| {
            (
                u.key.as_str(),
                u.line,
                u.pattern.as_str(),
                u.cases,
                u.matched,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("defaults.ignore_headers", Some(3), "x-typo-header", 3, 0),
            ("defaults.ignore_json", Some(4), "/**/trace", 3, 2),
            ("cases[0].ignore_json", Some(6), "/items/*/ts", 1, 1),
            ("cases[2].ignore_json", Some(11), "/nope/*", 1, 0),
        ]
    );
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("UNUSED IGNORE RULE: suites/api.yaml:3 defaults.ignore_headers `x-typo-header` matched nothing in 3 cases"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("UNUSED IGNORE RULE: suites/api.yaml:11 cases[2].ignore_json `/nope/*` matched nothing in 1 case ("),
        "{warnings:?}"
    );
    // Every readable output says so.
    assert!(
        stdout.contains("WARNING: UNUSED IGNORE RULE: suites/api.yaml:3"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(p.path("reports/latest/summary.md")).unwrap();
    assert!(
        md.contains("UNUSED IGNORE RULE: suites/api.yaml:11"),
        "{md}"
    );
    let html = std::fs::read_to_string(p.path("reports/latest/report.html")).unwrap();
    assert!(html.contains("UNUSED IGNORE RULE: suites/api.yaml:3"));
}

fn rule(pattern: &str, cases: usize, matched: usize) -> IgnoreRuleUse {
    IgnoreRuleUse {
        file: "suites/api.yaml".into(),
        line: Some(4),
        key: "defaults.ignore_json".into(),
        pattern: pattern.into(),
        cases,
        matched,
    }
}

#[test]
fn a_rule_unused_in_one_shard_but_used_in_another_is_not_warned_about() {
    let (mut a, mut b) = fixture_shards(1);
    a.ignore_rules = vec![rule("/used-in-b", 2, 0), rule("/never", 2, 0)];
    b.ignore_rules = vec![rule("/used-in-b", 1, 1), rule("/never", 1, 0)];
    for r in [&mut a, &mut b] {
        r.warnings = edgeparity::model::with_unused_rule_warnings(&r.warnings, &r.ignore_rules);
    }
    let unused = |w: &[String]| {
        w.iter()
            .filter(|w| w.starts_with(edgeparity::model::UNUSED_RULE))
            .count()
    };
    assert_eq!(unused(&a.warnings), 2, "{:?}", a.warnings);
    let m = edgeparity::report::merge(vec![("a".into(), a), ("b".into(), b)], false).unwrap();
    assert_eq!(
        m.ignore_rules,
        vec![rule("/never", 3, 0), rule("/used-in-b", 3, 1)]
    );
    let unused: Vec<&String> = m
        .warnings
        .iter()
        .filter(|w| w.starts_with(edgeparity::model::UNUSED_RULE))
        .collect();
    assert_eq!(unused.len(), 1, "{:?}", m.warnings);
    assert!(
        unused[0].contains("`/never` matched nothing in 3 cases"),
        "{unused:?}"
    );
}
