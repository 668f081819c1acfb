//! `run --shard K/N` and `report merge`: four shards merged equal one
//! unsharded run; merge refuses reports that are not shards of one run.

mod common;

use std::collections::BTreeMap;

use common::*;

fn run(p: &Project, args: &[&str]) -> std::process::Output {
    let out = edgeparity(args, p.dir.path());
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{args:?}: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn verdicts(p: &Project, dir: &str) -> BTreeMap<String, String> {
    let r = edgeparity::report::read(&p.path(&format!("{dir}/report.json")))
        .unwrap_or_else(|e| panic!("{dir}: {e}"));
    r.cases
        .iter()
        .map(|c| (c.id.clone(), c.verdict.as_str().to_string()))
        .collect()
}

#[test]
fn four_shards_merged_equal_one_unsharded_run() {
    let s = planted_servers();
    let p = planted_project(s.port);
    run(&p, &["run", "--jobs", "4", "--report-dir", "reports/full"]);
    let full = verdicts(&p, "reports/full");
    assert_eq!(full.len(), 12);
    let differing: Vec<&str> = full
        .iter()
        .filter(|(_, v)| *v != "parity")
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(differing, PLANTED_DIFFERING);

    let mut seen = BTreeMap::new();
    for k in 1..=4 {
        let dir = format!("reports/shard-{k}");
        run(
            &p,
            &[
                "run",
                "--jobs",
                "4",
                "--shard",
                &format!("{k}/4"),
                "--report-dir",
                &dir,
            ],
        );
        let r = edgeparity::report::read(&p.path(&format!("{dir}/report.json"))).unwrap();
        assert_eq!(r.shard.map(|s| (s.index, s.count)), Some((k, 4)));
        for c in &r.cases {
            assert!(
                seen.insert(c.id.clone(), k).is_none(),
                "{} in two shards",
                c.id
            );
            // The same partition the library computes.
            assert_eq!(edgeparity::shard::owner(&c.id, 4), k);
        }
    }
    assert_eq!(seen.len(), 12, "every case in exactly one shard");
    assert!(
        (1..=4).filter(|k| seen.values().any(|v| v == k)).count() >= 3,
        "cases spread over the shards: {seen:?}"
    );

    let out = edgeparity(
        &[
            "report",
            "merge",
            "reports/shard-1",
            "reports/shard-2",
            "reports/shard-3",
            "reports/shard-4",
            "--out",
            "reports/merged",
            "--previous",
            "reports/full/report.json",
        ],
        p.dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(verdicts(&p, "reports/merged"), full);
    let merged = edgeparity::report::read(&p.path("reports/merged/report.json")).unwrap();
    let one = edgeparity::report::read(&p.path("reports/full/report.json")).unwrap();
    assert_eq!(merged.summary, one.summary);
    assert_eq!(merged.shard, None);
    assert_eq!(merged.config_digest, one.config_digest);
    let ids: Vec<&str> = merged.cases.iter().map(|c| c.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "merged cases sorted by id");
    let lat: Vec<(&str, &str, usize)> = merged
        .latency
        .iter()
        .map(|l| (l.suite.as_str(), l.provider.as_str(), l.cases))
        .collect();
    assert_eq!(
        lat,
        [("planted", "fastly", 12), ("planted", "cloudflare", 12)]
    );
    for f in ["junit.xml", "summary.md", "report.html"] {
        assert!(p.path("reports/merged").join(f).is_file(), "{f}");
    }
    let md = std::fs::read_to_string(p.path("reports/merged/summary.md")).unwrap();
    assert!(md.contains("- **Still differing (4)**"), "{md}");
}

#[test]
fn merge_refuses_what_is_not_one_run() {
    let s = planted_servers();
    let p = planted_project(s.port);
    // A second environment, identical but for its name.
    let config = std::fs::read_to_string(p.path("parity.yaml")).unwrap();
    let other = config
        .lines()
        .skip_while(|l| !l.starts_with("  local:"))
        .collect::<Vec<_>>()
        .join("\n")
        .replacen("  local:", "  other:", 1);
    p.write("parity.yaml", &format!("{config}{other}\n"));
    run(&p, &["run", "--shard", "1/2", "--report-dir", "r/local-1"]);
    run(&p, &["run", "--shard", "2/2", "--report-dir", "r/local-2"]);
    run(
        &p,
        &[
            "run",
            "--env",
            "other",
            "--shard",
            "2/2",
            "--report-dir",
            "r/other-2",
        ],
    );

    let merge = |args: &[&str]| {
        let mut all = vec!["report", "merge"];
        all.extend_from_slice(args);
        let out = edgeparity(&all, p.dir.path());
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = merge(&["r/local-1", "r/other-2", "--out", "r/bad"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("environment is `other` but r/local-1/report.json has `local`"),
        "{err}"
    );
    assert!(!p.path("r/bad/report.json").exists(), "nothing written");

    let (code, err) = merge(&["r/local-1", "r/local-1", "--out", "r/bad"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("are both shard 1/2"), "{err}");

    let (code, err) = merge(&["r/local-1", "--out", "r/bad"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("shard 2 of 2 missing"), "{err}");
    let (code, err) = merge(&["r/local-1", "--out", "r/partial", "--allow-partial"]);
    assert_eq!(code, Some(0), "{err}");
    let partial = edgeparity::report::read(&p.path("r/partial/report.json")).unwrap();
    assert!(
        partial
            .warnings
            .iter()
            .any(|w| w.starts_with("PARTIAL MERGE")),
        "{:?}",
        partial.warnings
    );

    let (code, err) = merge(&["r/nowhere", "--out", "r/bad"]);
    assert_eq!(code, Some(2), "{err}");

    let (code, err) = merge(&["r/local-1", "r/local-2", "--out", "r/ok"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(verdicts(&p, "r/ok").len(), 12);
}

#[test]
fn merge_refuses_overlapping_cases() {
    // Pure: the same case in two reports of different shards.
    let mut a = fixture_report();
    a.shard = Some(edgeparity::shard::Shard { index: 1, count: 2 });
    let mut b = fixture_report();
    b.shard = Some(edgeparity::shard::Shard { index: 2, count: 2 });
    b.cases.truncate(1);
    let err = edgeparity::report::merge(vec![("a".into(), a.clone()), ("b".into(), b)], false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "case `checkout::cart` is in both b and a: shards must not overlap"
    );
    let mut c = fixture_report();
    c.config_digest = "sha256:other".into();
    let err = edgeparity::report::merge(vec![("a".into(), a), ("c".into(), c)], false)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("c: config_digest is `sha256:other`"),
        "{err}"
    );
}

#[test]
fn merge_takes_the_earliest_start_and_the_longest_duration() {
    // The cases split between the two.
    let (mut a, mut b) = fixture_shards(2);
    a.started_at = "2026-01-15T03:00:05Z".into();
    a.duration_ms = 1000;
    a.warnings = vec!["one".into()];
    b.started_at = "2026-01-15T02:59:58Z".into();
    b.duration_ms = 4000;
    b.warnings = vec!["one".into(), "two".into()];
    let m = edgeparity::report::merge(vec![("a".into(), a), ("b".into(), b)], false).unwrap();
    assert_eq!(m.started_at, "2026-01-15T02:59:58Z");
    assert_eq!(m.duration_ms, 4000);
    assert_eq!(m.warnings, ["one", "two"]);
    assert_eq!(m.summary, fixture_report().summary);
    assert_eq!(m.latency, fixture_report().latency);
    assert_eq!(m.cases.first().map(|c| c.id.as_str()), Some("api::etag"));
}

#[test]
fn merging_files_streams_the_same_report_as_merging_in_memory() {
    use edgeparity::model::report::{CaseSource, Order};
    let dir = tempfile::tempdir().unwrap();
    let (a, mut b) = fixture_shards(2);
    b.warnings = vec!["only in b".into()];
    let write = |name: &str, r: &edgeparity::model::Report| {
        let p = dir.path().join(name);
        std::fs::write(&p, r.to_json()).unwrap();
        p
    };
    let paths = [write("a.json", &a), write("b.json", &b)];
    let named: Vec<(String, edgeparity::model::Report)> = paths
        .iter()
        .zip([a, b])
        .map(|(p, r)| (p.display().to_string(), r))
        .collect();
    let whole = edgeparity::report::merge(named, false).unwrap();
    let (head, cases) = edgeparity::report::merge_files(&paths, false).unwrap();
    assert!(head.cases.is_empty());
    let mut streamed = Vec::new();
    cases
        .visit(Order::Plan, &mut |c| {
            streamed.push(c.clone());
            Ok(())
        })
        .unwrap();
    assert_eq!(streamed, whole.cases, "the same cases, in order of id");
    let mut head_full = head.clone();
    head_full.cases = streamed;
    let json = |r: &edgeparity::model::Report| serde_json::to_value(r).unwrap();
    assert_eq!(json(&head_full), json(&whole));
    // The same refusals: one shard twice is "both shard", not an overlap.
    let twice = [paths[0].clone(), paths[0].clone()];
    let err = edgeparity::report::merge_files(&twice, false)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("are both shard 2/2"), "{err}");
    // And a file that is no report says so, with its path.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"cases\": [{\"id\": 3}]}").unwrap();
    let err = edgeparity::report::merge_files(std::slice::from_ref(&junk), false)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.starts_with(&format!(
            "{}: not an edgeparity report.json",
            junk.display()
        )),
        "{err}"
    );
}

#[test]
fn the_nightly_workflow_shards_merges_summarises_and_gates_last() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci/nightly.yml");
    let w: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let shard = &w["jobs"]["shard"];
    let matrix: Vec<u64> = shard["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(matrix, [1, 2, 3, 4]);
    let runs = |job: &serde_json::Value| -> Vec<String> {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["run"]
                    .as_str()
                    .or(s["uses"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    let shard_steps = runs(shard).join("\n");
    assert!(shard_steps.contains(
        "edgeparity run --shard ${{ matrix.shard }}/4 --report-dir reports/shard-${{ matrix.shard }}"
    ));
    assert!(shard_steps.contains("actions/upload-artifact@v4"));
    let merge = &w["jobs"]["merge"];
    assert_eq!(merge["needs"].as_str(), Some("shard"));
    let steps = runs(merge);
    let all = steps.join("\n");
    assert!(all.contains(
        "edgeparity report merge reports/shard-1 reports/shard-2 reports/shard-3 reports/shard-4"
    ));
    assert!(all.contains("--out reports/merged"));
    assert!(all.contains("cat reports/merged/summary.md >> \"$GITHUB_STEP_SUMMARY\""));
    assert!(
        steps
            .last()
            .unwrap()
            .contains("edgeparity gate --report reports/merged/report.json"),
        "the gate is the last step"
    );
    let html = merge["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["with"]["path"].as_str() == Some("reports/merged/report.html"));
    assert!(html, "the HTML is uploaded as an artifact");

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci/pre-cutover.yml");
    let w: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let steps = runs(&w["jobs"]["gate"]);
    assert!(
        steps.iter().all(|s| !s.contains("edgeparity run")),
        "only the gate runs"
    );
    assert!(steps
        .last()
        .unwrap()
        .contains("edgeparity gate --report reports/latest/report.json"));
}

/// A case as the comparison left it: verdict, and each difference's
/// provider, kind and field.
type Outcome = (String, Vec<(String, String, String)>);

/// Each case as the comparison left it.
fn outcomes(p: &Project, dir: &str) -> BTreeMap<String, Outcome> {
    let r = edgeparity::report::read(&p.path(&format!("{dir}/report.json")))
        .unwrap_or_else(|e| panic!("{dir}: {e}"));
    r.cases
        .iter()
        .map(|c| {
            let mut diffs: Vec<(String, String, String)> = c
                .differences
                .iter()
                .map(|d| {
                    (
                        d.provider.clone(),
                        d.kind.as_str().to_string(),
                        d.field.clone().unwrap_or_default(),
                    )
                })
                .collect();
            diffs.sort();
            (c.id.clone(), (c.verdict.as_str().to_string(), diffs))
        })
        .collect()
}

/// How users outgrow one runner: 10,000 cases split into 8 shards (as a CI
/// matrix or a Kubernetes Indexed Job would run them) and merged equal the
/// whole run, case for case.
#[test]
fn ten_thousand_cases_in_eight_shards_merged_equal_the_whole_run() {
    const CASES: usize = 10_000;
    let s = planted_servers();
    let p = planted_project(s.port);
    let mut suite = format!(
        "base_url: http://www.example.test:{}\ndefaults:\n  headers: {{User-Agent: edgeparity-test}}\ncases:\n",
        s.port
    );
    for name in ["status", "header", "json", "script"] {
        suite.push_str(&format!(
            "  - {{name: plant-{name}, path: /plant/{name}}}\n"
        ));
    }
    for i in 4..CASES {
        suite.push_str(&format!("  - {{name: same-{i}, path: /same/{i}}}\n"));
    }
    p.write("suites/planted.yaml", &suite);

    let jobs = ["--jobs", "32", "--calibrate", "0", "--confirm", "0"];
    let with = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["run"].iter().chain(&jobs).map(|s| s.to_string()).collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let args = with(&["--report-dir", "reports/full"]);
    run(&p, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let full = outcomes(&p, "reports/full");
    assert_eq!(full.len(), CASES);
    let differing = full.values().filter(|(v, _)| v != "parity").count();
    assert_eq!(differing, PLANTED_DIFFERING.len());

    let mut dirs = Vec::new();
    for k in 1..=8 {
        let dir = format!("reports/shard-{k}");
        let shard = format!("{k}/8");
        let args = with(&["--shard", &shard, "--report-dir", &dir]);
        run(&p, &args.iter().map(String::as_str).collect::<Vec<_>>());
        dirs.push(dir);
    }
    let mut merge = vec!["report", "merge"];
    merge.extend(dirs.iter().map(String::as_str));
    merge.extend(["--out", "reports/merged"]);
    let out = edgeparity(&merge, p.dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = outcomes(&p, "reports/merged");
    assert_eq!(merged.len(), CASES);
    for (id, whole) in &full {
        assert_eq!(merged.get(id), Some(whole), "{id}");
    }
    let m = edgeparity::report::read(&p.path("reports/merged/report.json")).expect("merged");
    let one = edgeparity::report::read(&p.path("reports/full/report.json")).expect("full");
    assert_eq!(m.summary, one.summary);
}
