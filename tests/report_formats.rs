//! Every report format on a fixed report (snapshots), JUnit parsed as
//! JUnit, report.json validated against schema/report.schema.json — the
//! fixed report and a real one written by the binary against in-test servers.

mod common;

use std::collections::BTreeMap;

use common::*;
use edgeparity::model::Report;
use edgeparity::model::Verdict;
use edgeparity::render;
use edgeparity::report;

fn schema_validator() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, json: &serde_json::Value) {
    let errors: Vec<String> = v
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not match the schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn snapshot_report_json() {
    // Written compact, on one line; the snapshot shows it indented (the
    // keys in the order written).
    let text = fixture_report().to_json();
    assert_eq!(text.lines().count(), 1, "report.json is one line");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut pretty = serde_json::to_string_pretty(&value).unwrap();
    pretty.push('\n');
    insta::assert_snapshot!("report.json", pretty);
}

#[test]
fn snapshot_junit_xml() {
    // The hostname is the machine's: the one value that is not the report's.
    let xml = render::junit::render(&fixture_report());
    let host = regex::Regex::new(r#"hostname="[^"]*""#).expect("regex");
    assert_eq!(host.find_iter(&xml).count(), 1, "{xml}");
    let xml = host.replace(&xml, r#"hostname="[host]""#);
    insta::assert_snapshot!("junit.xml", xml);
}

#[test]
fn snapshot_summary_md() {
    insta::assert_snapshot!(
        "summary.md",
        render::markdown::render(&fixture_report(), None)
    );
}

#[test]
fn snapshot_summary_md_against_previous() {
    let now = fixture_report();
    let mut before = fixture_report();
    // Before: price was at parity, pay differed already, health differed
    // (now fixed), and a case since removed differed.
    for c in &mut before.cases {
        match c.id.as_str() {
            "api::price" => c.verdict = Verdict::Parity,
            "api::health" => c.verdict = Verdict::Differs,
            _ => {}
        }
    }
    let mut gone = before.cases[0].clone();
    gone.id = "checkout::removed".into();
    before.cases.push(gone);
    let md = render::markdown::render(&now, Some(&before));
    assert!(
        md.contains("- **Newly differing (1)**: api::price\n"),
        "{md}"
    );
    assert!(md.contains("- **Fixed (1)**: api::health\n"), "{md}");
    assert!(
        md.contains("- **Still differing (6)**: api::etag (flaky), api::legacy (no-golden), api::user (error), checkout::cart, checkout::home, checkout::pay\n"),
        "{md}"
    );
    insta::assert_snapshot!("summary_previous.md", md);
}

#[test]
fn snapshot_report_html() {
    insta::assert_snapshot!("report.html", render::html::render(&fixture_report()));
}

#[test]
fn summary_md_is_short_counts_and_orders_by_severity() {
    let r = fixture_report();
    let md = render::markdown::render(&r, None);
    assert!(md.lines().count() < 60, "{md}");
    assert!(
        md.contains("**9 cases**: 2 parity · **4 differs** · 1 flaky · 1 no-golden · 1 error"),
        "{md}"
    );
    assert!(md.contains("| critical | 1 | 1 |"), "{md}");
    assert!(md.contains("| major | 3 | 3 |"), "{md}");
    // Most severe first: the critical status, then majors.
    let pay = md.find("| checkout::pay |").expect("pay listed");
    let cart = md.find("| checkout::cart |").expect("cart listed");
    let user = md.find("| api::user |").expect("user listed");
    assert!(pay < cart && cart < user, "{md}");
    // Nothing from a server reaches the Markdown unescaped.
    assert!(!md.contains("<script>"), "{md}");
    assert!(
        md.contains("| api | cloudflare | 4 | 7.5 ms | 11.0 ms | 11.0 ms | 1 of 5 (20%) |"),
        "{md}"
    );
    assert!(
        !md.contains("Since the previous run"),
        "no previous given: {md}"
    );
}

#[test]
fn summary_md_caps_the_top_list() {
    let mut r = fixture_report();
    let template = r.cases[0].clone();
    for i in 0..25 {
        let mut c = template.clone();
        c.id = format!("bulk::case-{i:02}");
        c.suite = "bulk".into();
        r.cases.push(c);
    }
    r.summary = Report::summarize(&r.cases);
    let md = render::markdown::render(&r, None);
    let rows = md
        .lines()
        .skip_while(|l| !l.starts_with("### Top differing cases"))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Case"))
        .take_while(|l| !l.starts_with("| Suite"))
        .count();
    assert_eq!(rows, render::markdown::TOP, "{md}");
    assert!(
        md.contains("…and 22 more cases not at parity: see report.html."),
        "{md}"
    );
}

/// Count elements by name, and collect attributes of testcases.
struct Junit {
    counts: BTreeMap<String, usize>,
    testcases: Vec<(String, String, Option<String>)>,
    suites: Vec<(String, String, String, String)>,
}

fn parse_junit(xml: &str) -> Junit {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = BTreeMap::new();
    let mut testcases = Vec::new();
    let mut suites = Vec::new();
    let mut open_case: Option<usize> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                *counts.entry(name.clone()).or_insert(0) += 1;
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                .expect("value")
                                .into_owned(),
                        )
                    })
                    .collect();
                match name.as_str() {
                    "testcase" => {
                        testcases.push((attrs["name"].clone(), attrs["classname"].clone(), None));
                        open_case = Some(testcases.len() - 1);
                    }
                    "failure" | "error" => {
                        let i = open_case.expect("failure inside a testcase");
                        testcases[i].2 = Some(name.clone());
                    }
                    "testsuite" => suites.push((
                        attrs["name"].clone(),
                        attrs["tests"].clone(),
                        attrs["failures"].clone(),
                        attrs["errors"].clone(),
                    )),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Junit {
        counts,
        testcases,
        suites,
    }
}

#[test]
fn junit_parses_as_junit() {
    let xml = render::junit::render(&fixture_report());
    let j = parse_junit(&xml);
    assert_eq!(j.counts["testsuites"], 1);
    assert_eq!(j.counts["testsuite"], 1, "one testsuite: the run");
    assert_eq!(j.counts["testcase"], 9);
    assert_eq!(j.counts["failure"], 5, "4 differs and 1 flaky");
    assert_eq!(j.counts["error"], 2, "1 error and 1 no-golden");
    assert_eq!(j.suites.len(), 1);
    assert_eq!(
        (
            j.suites[0].1.as_str(),
            j.suites[0].2.as_str(),
            j.suites[0].3.as_str()
        ),
        ("9", "5", "2")
    );
    // Named by id, classname the suite.
    let find = |n: &str| j.testcases.iter().find(|t| t.0 == n).expect(n).clone();
    assert_eq!(
        find("checkout::same"),
        ("checkout::same".into(), "checkout".into(), None)
    );
    assert_eq!(find("checkout::pay").2.as_deref(), Some("failure"));
    assert_eq!(find("checkout::pay").1, "checkout");
    assert_eq!(find("api::etag").2.as_deref(), Some("failure"));
    assert_eq!(find("api::user").2.as_deref(), Some("error"));
    assert_eq!(find("api::legacy").2.as_deref(), Some("error"));
    // The suite's time is the run's wall time; timestamp and hostname are set.
    let report = fixture_report();
    let wall = format!("time=\"{:.3}\"", report.duration_ms as f64 / 1000.0);
    let suite_tag = &xml[xml.find("<testsuite ").expect("testsuite")..];
    let suite_tag = &suite_tag[..suite_tag.find('>').expect("tag end")];
    assert!(suite_tag.contains(&wall), "{suite_tag} lacks {wall}");
    assert!(suite_tag.contains("timestamp=\""), "{suite_tag}");
    assert!(suite_tag.contains("hostname=\""), "{suite_tag}");
    // The differences are in the failure text, escaped.
    assert!(
        xml.contains(
            "[cloudflare] header x-frame-options: x-frame-options is missing on cloudflare"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{xml}"
    );
    assert!(!xml.contains("<script>"), "{xml}");
}

#[test]
fn junit_passes_a_case_that_differs_as_expected() {
    let mut report = fixture_report();
    let pay = report
        .cases
        .iter_mut()
        .find(|c| c.id == "checkout::pay")
        .expect("pay");
    assert_eq!(pay.verdict, edgeparity::model::Verdict::Differs);
    pay.expect = Some(edgeparity::model::Expectation {
        verdict: edgeparity::model::Verdict::Differs,
        differences: Vec::new(),
        reason: Some("Cloudflare adds its own frame options, ticket NET-7".into()),
    });
    let xml = render::junit::render(&report);
    let j = parse_junit(&xml);
    let pay = j
        .testcases
        .iter()
        .find(|t| t.0 == "checkout::pay")
        .expect("pay");
    assert_eq!(pay.2, None, "an expected difference passes");
    assert_eq!(j.counts["failure"], 4, "{xml}");
    assert!(xml.contains("expected: differs"), "{xml}");
    assert!(
        xml.contains("reason: Cloudflare adds its own frame options, ticket NET-7"),
        "{xml}"
    );
    // The differences it accepted are still readable.
    assert!(xml.contains("found, as expected: differs"), "{xml}");
    // An expectation that is not met still fails.
    let mut report = fixture_report();
    let same = report
        .cases
        .iter_mut()
        .find(|c| c.id == "checkout::pay")
        .expect("pay");
    same.expect = Some(edgeparity::model::Expectation {
        verdict: edgeparity::model::Verdict::Parity,
        differences: Vec::new(),
        reason: None,
    });
    let j = parse_junit(&render::junit::render(&report));
    let pay = j
        .testcases
        .iter()
        .find(|t| t.0 == "checkout::pay")
        .expect("pay");
    assert_eq!(pay.2.as_deref(), Some("failure"));
}

#[test]
fn fixture_report_json_validates_against_the_schema() {
    let v = schema_validator();
    let json: serde_json::Value = serde_json::from_str(&fixture_report().to_json()).unwrap();
    assert_valid(&v, &json);
    // additionalProperties: false catches drift, and types are checked.
    let mut extra = json.clone();
    extra["cases"][0]["surprise"] = serde_json::json!(1);
    assert!(!v.is_valid(&extra), "an unknown case key must fail");
    let mut bad = json.clone();
    bad["cases"][0]["verdict"] = "maybe".into();
    assert!(!v.is_valid(&bad), "an unknown verdict must fail");
    let mut bad = json.clone();
    bad["latency"][0]["error_rate"] = serde_json::json!(1.5);
    assert!(!v.is_valid(&bad), "a rate above 1 must fail");
    let mut missing = json.clone();
    missing.as_object_mut().unwrap().remove("summary");
    assert!(!v.is_valid(&missing), "a missing summary must fail");
    // Learned noise: header templates and slots with their absorbed counts.
    let mut noisy = json;
    noisy["cases"][0]["noise"] = serde_json::json!({
        "headers": {"set-cookie": ["sid=⟦base64url:16-48⟧; Path=/"]},
        "json": {"/ts": ["number"], "/id": ["string:⟦hex:20-48⟧"]},
        "slots": [{"at": "body line 7", "slot": "base64url:16-48",
                   "context": "value=\"⟦base64url:16-48⟧\"><button>", "absorbed": 1}],
        "suppressed": 3
    });
    assert_valid(&v, &noisy);
    noisy["cases"][0]["noise"]["slots"][0]["surprise"] = serde_json::json!(1);
    assert!(!v.is_valid(&noisy), "an unknown slot key must fail");
    // The HTML report lists the slots, escaped.
    let mut r = fixture_report();
    r.cases[0].noise.slots.push(edgeparity::model::SlotNote {
        at: "body line 7".into(),
        slot: "base64url:16-48".into(),
        context: "value=\"⟦base64url:16-48⟧\"><button>".into(),
        absorbed: 2,
    });
    let html = render::html::render(&r);
    assert!(html.contains("learned noise: 1 slot(s)"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;button&gt;"), "escaped");
}

#[test]
fn hints_are_in_schema_v2_and_v1_reports_still_read() {
    let v = schema_validator();
    let json: serde_json::Value = serde_json::from_str(&fixture_report().to_json()).unwrap();
    assert_eq!(json["schema_version"], edgeparity::model::SCHEMA_VERSION);
    assert_eq!(json["schema_version"], 2);
    let etag = &json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "api::etag")
        .unwrap()["differences"][0];
    assert_eq!(etag["hint"]["id"], "strong-etag-weakened");
    let mut bad = json.clone();
    bad["cases"][0]["differences"][0]["hint"]["surprise"] = 1.into();
    assert!(!v.is_valid(&bad), "an unknown hint key must fail");
    let mut bad = json.clone();
    bad["cases"][0]["differences"][0]["hint"]
        .as_object_mut()
        .unwrap()
        .remove("fix");
    assert!(!v.is_valid(&bad), "a hint without its fix must fail");
    // A report written before hints: version 1, no `hint` anywhere.
    let mut old = json;
    old["schema_version"] = 1.into();
    for c in old["cases"].as_array_mut().unwrap() {
        for d in c["differences"].as_array_mut().unwrap() {
            d.as_object_mut().unwrap().remove("hint");
        }
    }
    assert_valid(&v, &old);
    let read: edgeparity::model::Report = serde_json::from_value(old).unwrap();
    assert_eq!(read.schema_version, 1);
    assert!(read
        .cases
        .iter()
        .flat_map(|c| &c.differences)
        .all(|d| d.hint.is_none()));
}

#[test]
fn latency_is_per_suite_and_provider() {
    let r = fixture_report();
    type Row = (
        String,
        String,
        usize,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        usize,
    );
    let rows: Vec<Row> = r
        .latency
        .iter()
        .map(|l| {
            (
                l.suite.clone(),
                l.provider.clone(),
                l.requests,
                l.p50_ms,
                l.p95_ms,
                l.max_ms,
                l.errors,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "api".into(),
                "fastly".into(),
                5,
                Some(8.0),
                Some(12.0),
                Some(12.0),
                0
            ),
            (
                "api".into(),
                "cloudflare".into(),
                4,
                Some(7.5),
                Some(11.0),
                Some(11.0),
                1
            ),
            (
                "checkout".into(),
                "fastly".into(),
                4,
                Some(15.0),
                Some(30.0),
                Some(30.0),
                0
            ),
            (
                "checkout".into(),
                "cloudflare".into(),
                4,
                Some(25.0),
                Some(90.0),
                Some(90.0),
                0
            ),
        ]
    );
    let api_cf = &r.latency[1];
    assert_eq!(api_cf.cases, 5);
    assert!((api_cf.error_rate - 0.2).abs() < 1e-9);
    assert_eq!(
        edgeparity::model::report::percentile(&[1.0, 2.0, 3.0, 4.0], 50.0),
        Some(2.0)
    );
    assert_eq!(edgeparity::model::report::percentile(&[], 50.0), None);
}

#[test]
fn html_escapes_server_content_and_loads_nothing() {
    let html = render::html::render(&fixture_report());
    // Our own script is the only one.
    assert_eq!(html.matches("<script").count(), 1, "one inline script");
    assert!(html.contains(&format!("<script>{}</script>", render::html::SCRIPT)));
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<script>document.title"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img id=&quot;injected&quot; src=x onerror="));
    // A hint's "why" line links its documentation: `http(s)` URLs only,
    // escaped, no referrer; a script URL in a hand-edited report stays text.
    assert!(html.contains("<a href=\"https://developers.cloudflare.com/rules/transform/response-header-modification/\" rel=\"noopener noreferrer\">response-header-modification</a>"));
    assert!(!html.to_ascii_lowercase().contains("href=\"javascript"));
    assert!(html.contains(
        "fix: Add them with a Response Header Transform Rule &lt;script&gt;alert(2)&lt;/script&gt;"
    ));
    assert!(html.contains("<b>Security headers set in &lt;b&gt;Fastly VCL&lt;/b&gt; only</b>"));
    let docs_link =
        regex::Regex::new(r#"<a href="https?://[^"<>\s]*" rel="noopener noreferrer">[^<]*</a>"#)
            .unwrap();
    let html = docs_link.replace_all(&html, "").into_owned();
    // In-page links (count tiles, case anchors) load nothing.
    let in_page = regex::Regex::new(r##"\shref="#[^"\s<>:/]*(?:::[^"\s<>/]*)*""##).unwrap();
    let html = in_page.replace_all(&html, "").into_owned();
    // No loads: no src or href attribute on any other tag, no URL at all.
    let attr = regex::Regex::new(r"(?i)<[a-z][^>]*\s(src|href|action|srcset|data)\s*=").unwrap();
    assert!(attr.find(&html).is_none(), "{:?}", attr.find(&html));
    for needle in ["http://", "https://", "url(", "@import", "//"] {
        let found = html
            .find(needle)
            .map(|i| &html[i.saturating_sub(40)..(i + 40).min(html.len())]);
        // `//` appears only in comments of our own script, never as a URL.
        if needle == "//" {
            continue;
        }
        assert!(found.is_none(), "{needle} in the report: {found:?}");
    }
    // The CSP names the script's hash, computed independently here.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(render::html::SCRIPT.as_bytes());
    let hash = render::html::base64(&digest);
    let csp = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'\">"
    );
    assert!(html.contains(&csp), "{}", &html[..600]);
    // Filters by suite, verdict and severity; rows carry what they filter on.
    for f in [
        "name=\"verdict\" value=\"differs\"",
        "name=\"severity\" value=\"critical\"",
        "name=\"suite\" value=\"checkout\"",
        "name=\"suite\" value=\"api\"",
    ] {
        assert!(html.contains(f), "{f}");
    }
    assert!(html
        .contains("data-suite=\"checkout\" data-verdict=\"differs\" data-severity=\"critical\""));
    // Side by side: removed line left, added right, the changed word marked.
    assert!(html.contains("<td class=\"del\">&lt;h1&gt;Welcome&lt;/h1&gt;</td><td class=\"ln\">2</td><td class=\"add\">&lt;h1&gt;Welcome<mark>!</mark>&lt;/h1&gt;</td>"));
    // Latency table.
    assert!(html.contains("<td>checkout</td><td>cloudflare</td><td class=\"num\">4</td><td class=\"num\">25.0 ms</td><td class=\"num\">90.0 ms</td>"));
}

#[test]
fn write_all_writes_every_format_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let written = edgeparity::render::write_all(&fixture_report(), &out, None).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["report.json", "junit.xml", "summary.md", "report.html"]
    );
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["junit.xml", "report.html", "report.json", "summary.md"],
        "no temp files left"
    );
    let back = report::read(&out.join("report.json")).unwrap_or_else(|e| {
        panic!(
            "a report.json written by write_all must read back (for --previous, the gate \
             and merge); core::ProbeSummary's `vary` and `encodings` need \
             #[serde(default)] next to skip_serializing_if: {e}"
        )
    });
    similar_asserts::assert_eq!(back.to_json(), fixture_report().to_json());
}

#[test]
fn a_real_report_validates_against_the_schema() {
    let s = planted_servers();
    let p = planted_project(s.port);
    let out = edgeparity(&["run", "--jobs", "4"], p.dir.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = p.path("reports/latest");
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_valid(&schema_validator(), &json);
    assert_eq!(json["summary"]["differs"], 4);
    assert_eq!(json["latency"].as_array().unwrap().len(), 2);
    assert!(json["latency"][0]["p50_ms"].as_f64().unwrap() > 0.0);
    for f in ["junit.xml", "summary.md", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let j = parse_junit(&std::fs::read_to_string(dir.join("junit.xml")).unwrap());
    assert_eq!(j.counts["testcase"], 12);
    assert_eq!(j.counts["failure"], 4);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        !html.contains(INJECT_SCRIPT) && !html.contains("<img"),
        "server body escaped"
    );
}

#[test]
fn a_report_with_a_vary_leak_reads_back() {
    // A Vary leak is the finding a gate most needs to see; its report must
    // round-trip. `Served::CopyOf { value }` is flattened into `VaryFinding`
    // beside `value`, which writes the key twice.
    let mut r = fixture_report();
    let finding = edgeparity::model::VaryFinding {
        value: "fr".into(),
        served: edgeparity::model::Served::CopyOf { value: "en".into() },
        outcome: edgeparity::provider::CacheOutcome::Hit,
    };
    let probe = r.cases[0].probes.get_mut("cloudflare").unwrap();
    probe.vary.push(finding.clone());
    let text = r.to_json();
    let back: Result<Report, _> = serde_json::from_str(&text);
    let back = back.unwrap_or_else(|e| {
        panic!(
            "a report with a Vary leak must read back; cache::VaryFinding writes `value` twice \
             for `copy-of` (rename the CopyOf field): {e}"
        )
    });
    assert_eq!(back.cases[0].probes["cloudflare"].vary, vec![finding]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_valid(&schema_validator(), &json);
}

/// A run spools its cases as they finish and renders every format from
/// the spool, one case at a time; the files must be exactly those of the
/// same report rendered from memory (and `--previous` read slim must say
/// what the whole previous report says).
#[test]
fn a_spooled_run_renders_exactly_like_one_in_memory() {
    use edgeparity::model::report::CaseSource;
    let full = fixture_report();
    let mut before = fixture_report();
    before.cases[0].verdict = Verdict::Parity;
    before.cases.truncate(before.cases.len() - 1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("before.json"), before.to_json()).unwrap();
    let slim = report::read_verdicts(&dir.path().join("before.json")).unwrap();
    assert_eq!(slim, render::verdicts(&before));

    let mut spool = edgeparity::spool::Spool::new(&dir.path().join("spooled"), full.cases.len())
        .expect("spool");
    // Finished in another order than planned.
    for (i, c) in full.cases.iter().enumerate().rev() {
        spool.push(i, c).unwrap();
    }
    assert!(
        spool.push(0, &full.cases[0]).is_err(),
        "a case spooled twice"
    );
    let spooled = spool.finish().unwrap();
    assert_eq!(spooled.count(), full.cases.len());
    let mut head = full.clone();
    head.cases.clear();
    render::write_streamed(&head, &spooled, &dir.path().join("spooled"), Some(&slim)).unwrap();
    render::write_all(&full, &dir.path().join("memory"), Some(&before)).unwrap();
    for name in ["report.json", "junit.xml", "summary.md", "report.html"] {
        let a = std::fs::read_to_string(dir.path().join("spooled").join(name)).unwrap();
        let b = std::fs::read_to_string(dir.path().join("memory").join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between spooled and in-memory rendering"
        );
    }
    let md = std::fs::read_to_string(dir.path().join("memory/summary.md")).unwrap();
    assert!(md.contains("Since the previous run"), "{md}");
    assert_eq!(
        render::text::text_of(&head, &spooled).unwrap(),
        render::text::render_text(&full)
    );
    let names: Vec<String> = std::fs::read_dir(dir.path().join("spooled"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "the spool leaves no file behind: {names:?}");
}

/// At 100,000 cases report.html stays small enough to open: cases not at
/// parity keep every detail, the ones at parity become a compact list that
/// still carries each case's anchor, suite and id.
#[test]
fn report_html_of_100k_cases_stays_under_10_mib() {
    let report = bulk_report(100_000);
    let not_parity = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Parity)
        .count();
    let html = render::html::render(&report);
    let mib = html.len() as f64 / (1024.0 * 1024.0);
    println!("report.html of {} cases: {mib:.2} MiB", report.cases.len());
    assert!(mib < 10.0, "report.html is {mib:.2} MiB at 100,000 cases");
    assert_eq!(
        html.matches("<details class=\"case ").count(),
        not_parity,
        "every case not at parity keeps its card, and only those"
    );
    assert!(html.contains("<div class=\"plist\" data-verdict=\"parity\" data-severity=\"none\">"));
    assert_eq!(
        html.matches("<div class=\"case\" id=\"c-").count(),
        report.summary.parity
    );
    for id in ["bulk::c000000", "bulk::c099999", "api::health"] {
        let li = format!(
            "<div class=\"case\" id=\"{}\" data-suite=\"{}\">{id}</div>",
            render::html::anchor(id),
            id.split("::").next().unwrap_or_default()
        );
        assert!(html.contains(&li), "{li}");
    }
    // A small run keeps a card for its cases at parity too.
    let small = render::html::render(&bulk_report(10));
    assert!(!small.contains("class=\"plist\""));
}

/// The cases of one written case (a matrix, several hosts) sit together in
/// the text summary, summary.md and report.html, under their group's
/// roll-up; a group ranks by its most severe case; a spooled run renders
/// the same.
#[test]
fn a_groups_cases_sit_together_under_its_rollup_in_every_report() {
    let r = grouped_report();

    // Text summary: plan order, a group's cases together where its first
    // one is (`shop::zz`, planned between two of `shop::home`, comes after).
    let text = render::text::render_text(&r);
    let heads: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with("WARNING"))
        .take_while(|l| !l.contains(" cases: "))
        .collect();
    assert_eq!(
        heads,
        [
            "DIFFERS  checkout::cart",
            "DIFFERS  checkout::home",
            "DIFFERS  checkout::pay",
            "DIFFERS  api::price",
            "FLAKY    api::etag",
            "ERROR    api::user",
            "NO-GOLDEN api::legacy",
            "GROUP    shop::home — 2 of 4 combinations differ",
            "DIFFERS  shop::home[lang=fr]",
            "DIFFERS  shop::home[lang=ja]",
            "DIFFERS  shop::zz",
            "GROUP    api::feed — 2 of 2 combinations not at parity (1 differs, 1 error)",
            "ERROR    api::feed[user=a]",
            "DIFFERS  api::feed[user=b]",
            "DIFFERS  shop::odd",
        ],
        "{text}"
    );
    assert!(!text.contains("shop::about"), "all at parity: {text}");

    // summary.md: most severe first; `shop::home` ranks where its major
    // case does (before `shop::zz`, by id), its minor case right after.
    let md = render::markdown::render(&r, None);
    let top = md
        .split("### Top differing cases")
        .nth(1)
        .expect("a top list");
    let rows: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split(" | ").next().unwrap_or(l))
        .collect();
    assert_eq!(
        rows,
        [
            "| checkout::pay",
            "| checkout::cart",
            "| api::price",
            "| checkout::home",
            "| **shop::home — 2 of 4 combinations differ**",
            "| shop::home\\[lang=ja\\]",
            "| shop::home\\[lang=fr\\]",
            "| shop::zz",
            "| **api::feed — 2 of 2 combinations not at parity \\(1 differs, 1 error\\)**",
            "| api::feed\\[user=b\\]",
            "| api::feed\\[user=a\\]",
            "| shop::odd",
        ],
        "{md}"
    );
    assert_eq!(
        rows.iter().filter(|r| !r.starts_with("| **")).count(),
        render::markdown::TOP,
        "{md}"
    );

    // report.html: the group's cards together in its section, those at
    // parity too (each case once), ranked where its major case ranks.
    let html = render::html::render(&r);
    let order: Vec<&str> = html
        .split("<details class=\"case ")
        .skip(1)
        .filter_map(|s| s.split("<span class=\"cid\">").nth(1))
        .filter_map(|s| s.split('<').next())
        .collect();
    let at = |id: &str| {
        order
            .iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} not in {order:?}"))
    };
    let home = at("shop::home[lang=ja]");
    assert_eq!(
        order[home..home + 4],
        [
            "shop::home[lang=ja]",
            "shop::home[lang=fr]",
            "shop::home[lang=de]",
            "shop::home[lang=en]"
        ],
        "{order:?}"
    );
    assert_eq!(order[home + 4], "shop::zz", "{order:?}");
    assert!(at("checkout::home") < home, "{order:?}");
    assert_eq!(order.len(), r.cases.len(), "each case once: {order:?}");
    let section = |g: &str, rollup: &str| {
        let open = format!(
            "<section class=\"group\" data-group=\"{g}\"><h3 class=\"ghead\">{rollup}</h3>\n"
        );
        let start = html
            .find(&open)
            .unwrap_or_else(|| panic!("no {open} in {html}"));
        let end = start + html[start..].find("</section>").expect("closed");
        &html[start..end]
    };
    let home_section = section("shop::home", "shop::home — 2 of 4 combinations differ");
    assert_eq!(home_section.matches("<details class=\"case ").count(), 4);
    assert!(!home_section.contains("shop::zz"));
    let about = section("shop::about", "shop::about — 2 hosts, all at parity");
    assert!(about.contains("shop::about@a.test") && about.contains("shop::about@b.test"));
    section(
        "api::feed",
        "api::feed — 2 of 2 combinations not at parity (1 differs, 1 error)",
    );
    assert_eq!(
        html.matches("<section class=\"group\"").count(),
        3,
        "{html}"
    );
    assert!(!html.contains("data-group=\"other::x\""));

    // The same from a spool, finished in another order than planned.
    let dir = tempfile::tempdir().unwrap();
    let mut spool = edgeparity::spool::Spool::new(dir.path(), r.cases.len()).unwrap();
    for (i, c) in r.cases.iter().enumerate().rev() {
        spool.push(i, c).unwrap();
    }
    let spooled = spool.finish().unwrap();
    let mut head = r.clone();
    head.cases.clear();
    assert_eq!(render::text::text_of(&head, &spooled).unwrap(), text);
    render::write_streamed(&head, &spooled, dir.path(), None).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert!(read("summary.md") == md, "summary.md differs from a spool");
    assert!(
        read("report.html") == html,
        "report.html differs from a spool"
    );
}

/// Past `FULL_PARITY` cases at parity, a group's cases at parity are a
/// compact list inside its section (beside its cards not at parity), and a
/// group all at parity has its section in the compact list.
#[test]
fn a_large_report_keeps_groups_whole_in_the_compact_list() {
    let mut r = grouped_report();
    let bulk = bulk_report(render::html::FULL_PARITY + 1);
    r.cases
        .extend(bulk.cases.into_iter().filter(|c| c.suite == "bulk"));
    r.summary = Report::summarize(&r.cases);
    let html = render::html::render(&r);
    let compact = "<div class=\"plist\" data-verdict=\"parity\" data-severity=\"none\">\n";
    let home = html
        .find("data-group=\"shop::home\"")
        .expect("the home group");
    let home = &html[home..home + html[home..].find("</section>").unwrap()];
    assert_eq!(home.matches("<details class=\"case ").count(), 2, "{home}");
    assert!(home.contains(compact), "{home}");
    for id in ["shop::home[lang=de]", "shop::home[lang=en]"] {
        assert!(
            home.contains(&format!(
                "<div class=\"case\" id=\"{}\" data-suite=\"shop\">{id}</div>",
                render::html::anchor(id)
            )),
            "{id}: {home}"
        );
    }
    let about = html
        .find("<section class=\"group\" data-group=\"shop::about\"><h3 class=\"ghead\">shop::about — 2 hosts, all at parity</h3>\n<div class=\"plist\"")
        .expect("the about group in the compact list");
    assert!(about > html.find("<h2 class=\"plist\">").expect("the compact list"));
    assert!(html.contains(&format!(
        "<h2 class=\"plist\">{} cases at parity (2 more with their group above)",
        r.summary.parity - 2
    )));
    // Every case at parity once, and nothing left open.
    assert_eq!(
        html.matches("<div class=\"case\" id=\"c-").count(),
        r.summary.parity
    );
    assert_eq!(
        html.matches("<section").count(),
        html.matches("</section>").count()
    );
    assert_eq!(html.matches("<div").count(), html.matches("</div>").count());
    // The same from a spool.
    let dir = tempfile::tempdir().unwrap();
    let mut spool = edgeparity::spool::Spool::new(dir.path(), r.cases.len()).unwrap();
    for (i, c) in r.cases.iter().enumerate() {
        spool.push(i, c).unwrap();
    }
    let spooled = spool.finish().unwrap();
    let mut head = r.clone();
    head.cases.clear();
    render::write_streamed(&head, &spooled, dir.path(), None).unwrap();
    let from_spool = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(from_spool == html, "report.html differs from a spool");
}

/// Every file of `dir`, and `also`, free of `secret` in clear, base64 and
/// percent-encoded.
fn assert_no_leak(dir: &std::path::Path, also: &str, secret: &str) {
    use base64::Engine;
    let forms = [
        secret.to_string(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    ];
    let mut texts = vec![("output".to_string(), also.to_string())];
    for e in std::fs::read_dir(dir).expect("report folder") {
        let path = e.expect("entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        texts.push((path.display().to_string(), text));
    }
    for (name, text) in &texts {
        for f in &forms {
            assert!(!text.contains(f.as_str()), "{name} holds the secret as {f}");
        }
    }
}

#[test]
fn a_request_body_is_in_every_report_and_its_curl_redacted() {
    const SECRET: &str = "tok/S3cr3t+4242";
    let s = planted_servers();
    let p = planted_project(s.port);
    p.write(
        "suites/planted.yaml",
        &format!(
            "base_url: http://www.example.test:{}\ncases:\n  \
             - {{name: form, path: /same/form, method: POST, body: \"a=it's $HOME\"}}\n  \
             - {{name: login, path: /plant/status, method: POST, body: \"user=a&token=${{EP_TEST_TOKEN}}\"}}\n",
            s.port
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(["run", "--jobs", "2"])
        .current_dir(p.dir.path())
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .env("EP_TEST_TOKEN", SECRET)
        .output()
        .expect("run edgeparity");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{printed}");
    let dir = p.path("reports/latest");
    let json = read_json(&dir.join("report.json"));
    assert_valid(&schema_validator(), &json);
    // A body without a secret: sent as given, quoted for the shell.
    let form = &report_case(&json, "planted::form")["responses"][0];
    assert_eq!(form["request"]["method"], "POST");
    assert_eq!(form["request"]["body"], "a=it's $HOME");
    let curl = form["curl"].as_str().expect("a curl");
    assert!(
        curl.contains(" --data-binary 'a=it'\\''s $HOME' -H 'content-type:' "),
        "{curl}"
    );
    assert!(!curl.contains("-X"), "POST is implied by the body: {curl}");
    // A body with a secret: masked in the report, read from a variable in
    // the repro; nowhere in clear or encoded.
    let login = report_case(&json, "planted::login");
    for r in login["responses"].as_array().expect("responses") {
        assert_eq!(r["request"]["body"], "user=a&token=[REDACTED]");
        let curl = r["curl"].as_str().expect("a curl");
        assert!(curl.contains(" --data-raw \"$EDGEPARITY_BODY\" "), "{curl}");
    }
    let md = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(md.contains("--data-raw \"$EDGEPARITY_BODY\""), "{md}");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(
        html.contains("<pre class=\"headers reqbody\">user=a&amp;token=[REDACTED]</pre>"),
        "the body is shown in the HTML"
    );
    assert!(
        printed.contains("--data-raw \"$EDGEPARITY_BODY\""),
        "{printed}"
    );
    assert_no_leak(&dir, &printed, SECRET);
}

#[test]
fn a_provider_that_failed_has_its_request_and_a_pinned_curl() {
    let s = planted_servers();
    let p = planted_project(s.port);
    // Nothing listens on 127.0.0.9: every request to cloudflare is refused.
    p.write(
        "parity.yaml",
        "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 3000\n    connect_timeout_ms: 1000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.9\"]\n",
    );
    p.write(
        "suites/planted.yaml",
        &format!(
            "base_url: http://www.example.test:{}\ncases:\n  \
             - {{name: a, path: /same/a, headers: {{Authorization: Bearer xyz-secret}}}}\n  \
             - {{name: b, path: /same/b, method: PUT, body: \"x=1\"}}\n",
            s.port
        ),
    );
    let (code, printed) = run_ci(&["run", "--jobs", "2"], p.dir.path());
    assert_eq!(code, 3, "{printed}");
    let dir = p.path("reports/latest");
    let json = read_json(&dir.join("report.json"));
    assert_valid(&schema_validator(), &json);
    let pin = format!("--resolve 'www.example.test:{}:127.0.0.9'", s.port);
    let a = &report_case(&json, "planted::a")["failures"][0];
    assert_eq!(a["provider"], "cloudflare");
    assert_eq!(a["kind"], "connect");
    assert_eq!(a["addrs"][0], format!("127.0.0.9:{}", s.port));
    assert_eq!(a["request"]["method"], "GET");
    assert_eq!(
        a["request"]["url"],
        format!("http://www.example.test:{}/same/a", s.port)
    );
    let curl = a["curl"].as_str().expect("a curl for the failed side");
    assert!(curl.contains(&pin), "{curl}");
    assert!(
        curl.contains("-H 'authorization: '\"$EDGEPARITY_AUTHORIZATION\""),
        "{curl}"
    );
    let b = &report_case(&json, "planted::b")["failures"][0];
    let curl = b["curl"].as_str().expect("a curl for the failed side");
    assert!(curl.contains(" -X 'PUT' "), "{curl}");
    assert!(curl.contains(" --data-binary 'x=1' "), "{curl}");
    // The text summary, Markdown and HTML show it where answers show theirs.
    assert!(
        printed.contains(&format!(
            "cloudflare: GET http://www.example.test:{}/same/a -> connection failed",
            s.port
        )),
        "{printed}"
    );
    assert!(printed.contains(&pin), "{printed}");
    let md = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(
        md.contains("connection failed") && md.contains(&pin),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(
        html.contains("Failed request"),
        "failed requests in the HTML"
    );
    assert!(
        html.contains(&pin.replace('\'', "&#39;")),
        "curl in the HTML"
    );
    assert_no_leak(&dir, &printed, "xyz-secret");
}
