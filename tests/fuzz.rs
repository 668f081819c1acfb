//! Property tests over hostile input: generated and mutated suites,
//! configs, allowlists and golden files through loading, and generated HTTP
//! responses (headers, bodies, content codings) through capture,
//! normalisation and comparison. Each input must end in a value or an error
//! that names its file (and, for YAML, a position), never a panic, and
//! within a bounded time.
//!
//! CI runs a few thousand cases; `EDGEPARITY_FUZZ_CASES=N` runs N per
//! property instead.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// Cases per property: a few hundred each in CI (a few thousand in all).
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("EDGEPARITY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every input is read within this time (generous: a loaded 2-core CI box).
const BOUND: Duration = Duration::from_secs(5);

const SUITE: &str = "base_url: https://www.example.test\ndefaults:\n  headers: {User-Agent: fuzz}\n  ignore_json: [/ts]\ncases:\n  - name: home\n    path: /\n    expect: {verdict: differs, differences: [{kind: header, field: etag}]}\n  - name: js\n    path: /app.js\n    cache: {sequence: 2, expect: [miss, hit]}\n  - name: lang\n    path: /\n    vary: {header: Accept-Language, values: [en, fr]}\n";

const CONFIG: &str = "default_env: t\nenvironments:\n  t:\n    baseline: fastly\n    providers:\n      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {resolve: \"{host}.cdn.test\", nameserver: \"127.0.0.5:53\"}\nseverities:\n  - {kind: header, field: x-*, severity: info}\n";

const ALLOW: &str = "allow:\n  - case: \"www::*\"\n    kind: header\n    field: etag\n    reason: r\n    owner: o\n    expires: 2027-01-01\n";

/// A mutation of a valid document: bytes deleted, duplicated, replaced by
/// YAML's meaningful characters, or lines repeated.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    let specials = prop::sample::select(vec![
        ":",
        "-",
        "[",
        "]",
        "{",
        "}",
        "&a",
        "*a",
        "!!",
        "'",
        "\"",
        "\t",
        "\n",
        "#",
        "${",
        "}",
        "\u{feff}",
        "\u{202e}",
        "\0",
        "<<: *a",
        "? ",
        "|",
        ">",
        "%YAML 1.2\n---\n",
    ]);
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, specials), 1..6).prop_map(
        move |edits| {
            let mut s = base.to_string();
            for (at, op, text) in edits {
                let mut i = at.index(s.len().max(1)).min(s.len());
                while !s.is_char_boundary(i) {
                    i -= 1;
                }
                match op {
                    0 => s.insert_str(i, text),
                    1 => {
                        let end = (i + 7).min(s.len());
                        let mut end = end;
                        while !s.is_char_boundary(end) {
                            end -= 1;
                        }
                        s.replace_range(i..end, "");
                    }
                    2 => {
                        let line_start = s[..i].rfind('\n').map(|n| n + 1).unwrap_or(0);
                        let line_end = s[i..].find('\n').map(|n| i + n + 1).unwrap_or(s.len());
                        let line = s[line_start..line_end].to_string();
                        s.insert_str(line_start, &line);
                    }
                    _ => s.replace_range(i..i, &text.repeat(3)),
                }
            }
            s
        },
    )
}

fn check_error(file: &str, e: &dyn std::fmt::Display) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert!(msg.starts_with(file), "error does not name the file: {msg}");
    Ok(())
}

proptest! {
    #![proptest_config(cases(600))]

    #[test]
    fn mutated_suites_load_or_fail_with_a_position(text in mutated(SUITE)) {
        let started = Instant::now();
        let r = edgeparity::suite::Suite::parse(Path::new("s.yaml"), &text, &|_| Some("v".into()));
        prop_assert!(started.elapsed() < BOUND);
        if let Err(e) = r {
            check_error("s.yaml", &e)?;
        }
    }

    #[test]
    fn mutated_configs_load_or_fail_with_a_position(text in mutated(CONFIG)) {
        let started = Instant::now();
        let r = edgeparity::config::Config::parse(Path::new("parity.yaml"), &text);
        prop_assert!(started.elapsed() < BOUND);
        if let Err(e) = r {
            check_error("parity.yaml", &e)?;
        }
    }

    #[test]
    fn mutated_allowlists_and_calibrate_edits_never_panic(
        allow in mutated(ALLOW),
        suite in mutated(SUITE),
        header in "[ -~]{0,12}",
    ) {
        let started = Instant::now();
        if let Err(e) = edgeparity::allowlist::parse(Path::new("allow.yaml"), &allow) {
            check_error("allow.yaml", &e)?;
        }
        // The editor either returns a suite that still loads, or refuses.
        if let Ok(out) = edgeparity::edit::add_ignores(&suite, "home", &[header], &[]) {
            let reloaded =
                edgeparity::suite::Suite::parse(Path::new("s.yaml"), &out, &|_| Some("v".into()));
            prop_assert!(reloaded.is_ok(), "the edit broke the suite: {out:?}");
        }
        prop_assert!(started.elapsed() < BOUND);
    }

    #[test]
    fn arbitrary_bytes_are_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let r = edgeparity::suite::Suite::parse(Path::new("s.yaml"), &text, &|_| None);
        if let Err(e) = r {
            check_error("s.yaml", &e)?;
        }
        let g = edgeparity::yaml::parse::<edgeparity::golden::GoldenFile>(Path::new("g.yaml"), &text);
        if let Err(e) = g {
            check_error("g.yaml", &e)?;
        }
    }
}

/// A response as a server might send it: headers (some hostile), a body,
/// and a content coding that may or may not match the bytes.
fn exchange() -> impl Strategy<Value = edgeparity::model::Exchange> {
    let header = (
        prop::sample::select(vec![
            "content-type",
            "etag",
            "cache-control",
            "vary",
            "set-cookie",
            "cf-cache-status",
            "x-cache",
            "cache-status",
            "age",
            "content-length",
            "x-served-by",
            "cf-ray",
        ]),
        "[ -~\u{202e}]{0,40}",
    );
    (
        prop::collection::vec(header, 0..8),
        prop::collection::vec(any::<u8>(), 0..600),
        prop::sample::select(vec![
            "", "gzip", "br", "zstd", "deflate", "gzip, br", "x-bogus",
        ]),
        prop::sample::select(vec![
            "text/html",
            "application/json",
            "text/plain",
            "image/png",
            "",
        ]),
        100u16..600,
        any::<bool>(),
    )
        .prop_map(|(headers, body, coding, ctype, status, json)| {
            let body = if json {
                format!("{{\"a\": {}, \"b\": [1, \"x\"]}}", body.len()).into_bytes()
            } else {
                body
            };
            let mut h: Vec<(String, String)> = headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            if !ctype.is_empty() {
                h.push(("content-type".into(), ctype.into()));
            }
            let encodings: Vec<String> = coding
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if !encodings.is_empty() {
                h.push(("content-encoding".into(), coding.into()));
            }
            edgeparity::model::Exchange {
                method: "GET".into(),
                request_headers: Vec::new(),
                request_body: None,
                provider: "p".into(),
                url: "https://www.example.test/".into(),
                status,
                version: "HTTP/1.1".into(),
                remote_addr: None,
                headers: h,
                body: edgeparity::exec::capture(&body, &encodings, 1 << 16),
                timing: edgeparity::model::Timing {
                    ttfb_ms: 1.0,
                    total_ms: 2.0,
                },
            }
        })
}

proptest! {
    #![proptest_config(cases(400))]

    #[test]
    fn hostile_responses_normalise_and_compare_in_bounded_time(a in exchange(), b in exchange()) {
        use edgeparity::provider::{CLOUDFLARE, FASTLY};
        let started = Instant::now();
        let rules = edgeparity::normalize::Rules::default();
        let na = edgeparity::normalize::normalize(&a, &[FASTLY, CLOUDFLARE], &rules);
        let nb = edgeparity::normalize::normalize(&b, &[FASTLY, CLOUDFLARE], &rules);
        let diffs = edgeparity::compare::compare(&na, &nb, "fastly", "cloudflare");
        let same = edgeparity::compare::compare(&na, &na, "fastly", "fastly");
        prop_assert!(same.is_empty(), "a response differs from itself: {same:?}");
        for d in &diffs {
            prop_assert!(d.baseline.as_deref().map(str::len).unwrap_or(0) <= edgeparity::model::MAX_VALUE + 40);
        }
        let _ = edgeparity::provider::read_cache("cloudflare", &b.headers);
        prop_assert!(started.elapsed() < BOUND);
    }
}
