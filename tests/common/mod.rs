//! Real HTTP servers started inside the tests: one per loopback address,
//! all on one port and serving one hostname, like two CDN edges.
#![allow(dead_code)]

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

pub type Body = BoxBody<Bytes, Infallible>;
pub type Handler = Arc<dyn Fn(&Request<hyper::body::Incoming>) -> Response<Body> + Send + Sync>;

pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into()).boxed()
}

/// A body sent in several chunks with no Content-Length (chunked on HTTP/1.1).
pub fn chunked(data: impl Into<Bytes>) -> Body {
    let data: Bytes = data.into();
    let parts: Vec<Result<Frame<Bytes>, Infallible>> = data
        .chunks(7)
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    StreamBody::new(futures_util::stream::iter(parts)).boxed()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

/// A tokio runtime that keeps the servers alive for the test.
pub struct Servers {
    pub rt: tokio::runtime::Runtime,
    pub port: u16,
}

/// Start one server per address on one shared free port.
pub fn start(handlers: Vec<(&'static str, Handler)>) -> Servers {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Find a port free on every address (bounded tries).
    for _ in 0..50 {
        let first = std::net::TcpListener::bind((handlers[0].0, 0)).expect("bind first address");
        let port = first.local_addr().expect("local addr").port();
        let mut listeners = vec![first];
        let mut ok = true;
        for (ip, _) in &handlers[1..] {
            match std::net::TcpListener::bind((*ip, port)) {
                Ok(l) => listeners.push(l),
                Err(_) => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        for (listener, (_, handler)) in listeners.into_iter().zip(handlers) {
            listener.set_nonblocking(true).expect("nonblocking");
            let _guard = rt.enter();
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            rt.spawn(accept_loop(listener, handler));
        }
        return Servers { rt, port };
    }
    panic!("no port free on every test address after 50 tries");
}

async fn accept_loop(listener: tokio::net::TcpListener, handler: Handler) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let h = handler.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let resp = h(&req);
                async move { Ok::<_, Infallible>(resp) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

pub fn response(status: u16, headers: &[(&str, &str)], body: Body) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body).expect("valid test response")
}

/// A scratch folder with a config and suites.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

/// Run the real `edgeparity` binary as CI would (`CI=true`, no `PARITY_*`
/// from the caller's environment): its exit code and stdout+stderr.
pub fn run_ci(args: &[&str], cwd: &Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .env_remove("PARITY_BASELINE")
        .env("CI", "true")
        .output()
        .expect("run edgeparity");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Run the real `edgeparity` binary.
pub fn edgeparity(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .output()
        .expect("run edgeparity")
}

pub fn remote(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}

// ---------------------------------------------------------------------------
// A fixed report (report formats, gate and HTML tests)
// ---------------------------------------------------------------------------

/// What a malicious response can carry: scripts and event handlers.
pub const INJECT_SCRIPT: &str = "<script>document.title='pwned'</script>";
pub const INJECT_IMG: &str = "<img id=\"injected\" src=x onerror=\"document.title='pwned-img'\">";

fn fixture_response(provider: &str, status: u16, total_ms: f64) -> serde_json::Value {
    serde_json::json!({
        "provider": provider, "label": "request", "status": status,
        "version": "HTTP/1.1",
        "remote_addr": if provider == "fastly" { "127.0.0.2:8080" } else { "127.0.0.3:8080" },
        "ttfb_ms": total_ms / 2.0, "total_ms": total_ms, "body_bytes": 120,
        "content_encoding": [],
        "cache": {"outcome": "miss", "raw": {"x-cache": "MISS"}, "age": null},
        "aside": {"server": [if provider == "fastly" { "varnish" } else { "cloudflare" }]}
    })
}

fn fixture_diff(
    kind: &str,
    severity: &str,
    field: Option<&str>,
    baseline: Option<&str>,
    candidate: Option<&str>,
    message: &str,
) -> serde_json::Value {
    serde_json::json!({
        "provider": "cloudflare", "kind": kind, "severity": severity, "field": field,
        "baseline": baseline, "candidate": candidate, "message": message
    })
}

fn with_hint(mut diff: serde_json::Value, hint: serde_json::Value) -> serde_json::Value {
    diff["hint"] = hint;
    diff
}

fn fixture_case(
    suite: &str,
    name: &str,
    verdict: &str,
    differences: Vec<serde_json::Value>,
    times: (f64, f64),
) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{suite}::{name}"), "suite": suite, "name": name,
        "verdict": verdict, "differences": differences, "error": null,
        "failures": [],
        "responses": [fixture_response("fastly", 200, times.0), fixture_response("cloudflare", 200, times.1)],
        "probes": {
            "fastly": {"cache": ["miss"], "vary": [], "encodings": []},
            "cloudflare": {"cache": ["miss"], "vary": [], "encodings": []}
        }
    })
}

/// The two sides of a hand-written unified diff (test data only).
fn bodies_of(udiff: &str) -> (String, String) {
    let (mut old, mut new) = (String::new(), String::new());
    for line in udiff.lines().skip(3) {
        match line.split_at(1) {
            (" ", rest) => {
                old.push_str(rest);
                old.push('\n');
                new.push_str(rest);
                new.push('\n');
            }
            ("-", rest) => {
                old.push_str(rest);
                old.push('\n');
            }
            ("+", rest) => {
                new.push_str(rest);
                new.push('\n');
            }
            _ => {}
        }
    }
    (old, new)
}

/// A hand-built report: two suites, every verdict, every severity, and
/// hostile content (`<script>`, `<img onerror>`) in a header value and a
/// body diff. Timestamps and durations are fixed.
/// [`fixture_report`] as two shards of one run: the `api` suite's cases
/// as shard `api_index` of 2, the others as the other shard.
#[allow(dead_code)]
pub fn fixture_shards(api_index: u32) -> (edgeparity::model::Report, edgeparity::model::Report) {
    let (left, right): (Vec<_>, Vec<_>) = fixture_report()
        .cases
        .into_iter()
        .partition(|c| c.suite == "api");
    let shard = |index: u32, cases| {
        let mut r = fixture_report();
        r.shard = Some(edgeparity::shard::Shard { index, count: 2 });
        r.cases = cases;
        r
    };
    (shard(api_index, left), shard(3 - api_index, right))
}

pub fn fixture_report() -> edgeparity::model::Report {
    let body_diff = format!(
        "--- baseline\n+++ cloudflare\n@@ -1,4 +1,5 @@\n <html>\n-<h1>Welcome</h1>\n+<h1>Welcome!</h1>\n+{INJECT_SCRIPT}\n <p>cart</p>\n-<footer>v1</footer>\n+{INJECT_IMG}\n </html>\n"
    );
    let mut home_diff = fixture_diff(
        "body",
        "major",
        None,
        Some("64 bytes, sha256:0a1b2c3d4e5f6071"),
        Some("131 bytes, sha256:9f8e7d6c5b4a3921"),
        "text bodies differ",
    );
    // The structure the renderers draw: the hunks of the same two bodies.
    let (old, new) = bodies_of(&body_diff);
    let (hunks, _) = edgeparity::compare::text_hunks(&old, &new);
    home_diff["diff"] =
        serde_json::Value::String(edgeparity::model::unified(&hunks, "baseline", "cloudflare"));
    home_diff["hunks"] = serde_json::to_value(&hunks).unwrap();
    let mut error_case = fixture_case("api", "user", "error", vec![], (12.0, 0.0));
    error_case["error"] = "cloudflare: connection failed: Connection refused (os error 111)".into();
    error_case["failures"] = serde_json::json!([{
        "provider": "cloudflare", "kind": "connect",
        "message": "Connection refused (os error 111)"
    }]);
    error_case["responses"] = serde_json::json!([fixture_response("fastly", 200, 12.0)]);
    let mut no_golden = fixture_case("api", "legacy", "no-golden", vec![], (9.0, 11.0));
    no_golden["error"] =
        "no golden file at golden/api/legacy.yaml (record one with `edgeparity record`)".into();
    let cases = vec![
        fixture_case(
            "checkout",
            "cart",
            "differs",
            vec![
                with_hint(
                    fixture_diff(
                        "header",
                        "major",
                        Some("x-frame-options"),
                        Some("DENY"),
                        None,
                        "x-frame-options is missing on cloudflare",
                    ),
                    // A team's own entry, as hostile as a hand-edited report
                    // can be: markup in the text, a script URL among the docs.
                    serde_json::json!({
                        "id": "team-security-headers",
                        "title": "Security headers set in <b>Fastly VCL</b> only",
                        "fix": "Add them with a Response Header Transform Rule <script>alert(2)</script>",
                        "docs": [
                            "https://developers.cloudflare.com/rules/transform/response-header-modification/",
                            "javascript:alert(3)"
                        ]
                    }),
                ),
                fixture_diff(
                    "header",
                    "minor",
                    Some("x-debug"),
                    Some("a"),
                    Some("<script>alert(1)</script>"),
                    "x-debug differs",
                ),
            ],
            (20.0, 25.0),
        ),
        fixture_case("checkout", "home", "differs", vec![home_diff], (30.0, 41.5)),
        fixture_case(
            "checkout",
            "pay",
            "differs",
            vec![fixture_diff(
                "status",
                "critical",
                None,
                Some("200"),
                Some("503"),
                "status 200 on fastly, 503 on cloudflare",
            )],
            (15.0, 90.0),
        ),
        fixture_case("checkout", "same", "parity", vec![], (10.0, 11.0)),
        fixture_case(
            "api",
            "price",
            "differs",
            vec![fixture_diff(
                "body",
                "major",
                Some("/price"),
                Some("10"),
                Some("11"),
                "value changed",
            )],
            (8.0, 9.0),
        ),
        fixture_case(
            "api",
            "etag",
            "flaky",
            vec![with_hint(
                fixture_diff(
                    "header",
                    "info",
                    Some("etag"),
                    Some("\"abc\""),
                    Some("W/\"abc\""),
                    "cloudflare weakened the ETag (W/ prefix, same opaque value)",
                ),
                serde_json::to_value(
                    edgeparity::hints::builtin()
                        .get("strong-etag-weakened")
                        .expect("a built-in entry")
                        .hint(),
                )
                .unwrap(),
            )],
            (7.0, 7.5),
        ),
        fixture_case("api", "health", "parity", vec![], (5.0, 6.0)),
        error_case,
        no_golden,
    ];
    let mut value = serde_json::json!({
        "schema_version": 2,
        "tool": {"name": "edgeparity", "version": "0.1.0"},
        "environment": "staging",
        "baseline": "fastly",
        "config_digest": "sha256:00112233",
        "shard": null,
        "started_at": "2026-01-15T03:00:00Z",
        "duration_ms": 3210,
        "insecure": false,
        "warnings": ["FINGERPRINT OFF: answers are not checked to come from `fastly`"],
        "providers": [
            {"name": "fastly", "kind": "fastly", "baseline": true, "resolutions": []},
            {"name": "cloudflare", "kind": "cloudflare", "baseline": false, "resolutions": []}
        ],
        "cases": cases,
        "summary": {"total": 0, "parity": 0, "differs": 0, "flaky": 0, "no-golden": 0, "error": 0}
    });
    let mut report: edgeparity::model::Report =
        serde_json::from_value(value.take()).expect("fixture is a report");
    report.summary = edgeparity::model::Report::summarize(&report.cases);
    report.latency = edgeparity::model::report::latency(&report.cases, &report.providers);
    report
}

// ---------------------------------------------------------------------------
// Two servers with planted differences, and a project of twelve cases
// ---------------------------------------------------------------------------

/// A baseline-like (`candidate == false`, Fastly headers) or candidate-like
/// (Cloudflare headers) server. `/same/*` answer alike; `/plant/*` differ.
pub fn planted_handler(candidate: bool) -> Handler {
    std::sync::Arc::new(move |req| {
        let mut hs: Vec<(&str, String)> = if candidate {
            vec![
                ("cf-ray", "0123456789abcdef-TST".into()),
                ("server", "cloudflare".into()),
            ]
        } else {
            vec![
                ("x-served-by", "cache-tst1-TST".into()),
                ("x-cache", "MISS".into()),
                ("via", "1.1 varnish".into()),
            ]
        };
        let path = req.uri().path().to_string();
        let (status, body): (u16, String) = match path.as_str() {
            "/plant/status" => (if candidate { 503 } else { 200 }, "x".into()),
            "/plant/header" => {
                if !candidate {
                    hs.push(("x-frame-options", "DENY".into()));
                }
                (200, "page".into())
            }
            "/plant/json" => {
                hs.push(("content-type", "application/json".into()));
                let price = if candidate { 11 } else { 10 };
                (200, format!(r#"{{"id":42,"price":{price}}}"#))
            }
            "/plant/script" => {
                hs.push(("content-type", "text/html".into()));
                let extra = if candidate {
                    format!("{INJECT_SCRIPT}\n{INJECT_IMG}\n")
                } else {
                    String::new()
                };
                (200, format!("<html>\n<p>hello</p>\n{extra}</html>\n"))
            }
            p if p.starts_with("/same/") => {
                hs.push(("content-type", "text/plain".into()));
                hs.push(("cache-control", "public, max-age=60".into()));
                (200, format!("same answer for {p}\n"))
            }
            _ => (404, "not found".into()),
        };
        let refs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        response(status, &refs, full(body))
    })
}

/// Servers on 127.0.0.2 (fastly) and 127.0.0.3 (cloudflare).
pub fn planted_servers() -> Servers {
    start(vec![
        ("127.0.0.2", planted_handler(false)),
        ("127.0.0.3", planted_handler(true)),
    ])
}

/// Ids of the planted project's cases that differ.
pub const PLANTED_DIFFERING: [&str; 4] = [
    "planted::plant-header",
    "planted::plant-json",
    "planted::plant-script",
    "planted::plant-status",
];

/// A project of twelve cases against `planted_servers`: eight at parity,
/// four with planted differences.
pub fn planted_project(port: u16) -> Project {
    let p = Project::new();
    p.write(
        "parity.yaml",
        "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 3000\n    connect_timeout_ms: 1000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n",
    );
    let mut suite = format!(
        "base_url: http://www.example.test:{port}\ndefaults:\n  headers: {{User-Agent: edgeparity-test}}\ncases:\n"
    );
    for name in [
        "same-a", "same-b", "same-c", "same-d", "same-e", "same-f", "same-g", "same-h",
    ] {
        suite.push_str(&format!("  - {{name: {name}, path: /same/{name}}}\n"));
    }
    for name in ["status", "header", "json", "script"] {
        suite.push_str(&format!(
            "  - {{name: plant-{name}, path: /plant/{name}}}\n"
        ));
    }
    p.write("suites/planted.yaml", &suite);
    p
}

/// Panic with every error when `json` does not match
/// `schema/report.schema.json`.
pub fn assert_report_schema(json: &serde_json::Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("JSON");
    let v = jsonschema::draft202012::new(&schema).expect("the schema compiles");
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

/// [`fixture_report`] with the cases of two matrices and of one case on two
/// hosts, in a plan order that scatters them among other cases:
/// `shop::home` (4 combinations: 2 at parity, a major and a minor
/// difference, with `shop::zz`, major, planned between them), `shop::about`
/// on two hosts (both at parity), and `api::feed` (an error and an info
/// difference).
pub fn grouped_report() -> edgeparity::model::Report {
    use edgeparity::model::Severity;
    let mut r = fixture_report();
    use edgeparity::model::Verdict;
    let quiet = r
        .cases
        .iter()
        .find(|c| c.verdict == Verdict::Parity)
        .expect("a case at parity")
        .clone();
    let diff = report_case_of(&r, "api::price").differences[0].clone();
    let case = |id: &str, group: Option<&str>, verdict: Verdict, sev: Option<Severity>| {
        let mut c = quiet.clone();
        let (suite, name) = id.split_once("::").expect("SUITE::CASE");
        (c.id, c.suite, c.name) = (id.into(), suite.into(), name.into());
        c.group = group.map(Into::into);
        c.verdict = verdict;
        if let Some(s) = sev {
            let mut d = diff.clone();
            d.severity = s;
            c.differences = vec![d];
        }
        if verdict == Verdict::Error {
            c.error = Some("cloudflare: timed out".into());
        }
        c
    };
    let home = Some("shop::home");
    r.cases.extend([
        case("shop::home[lang=en]", home, Verdict::Parity, None),
        case(
            "shop::home[lang=fr]",
            home,
            Verdict::Differs,
            Some(Severity::Minor),
        ),
        case("shop::zz", None, Verdict::Differs, Some(Severity::Major)),
        case(
            "shop::home[lang=ja]",
            home,
            Verdict::Differs,
            Some(Severity::Major),
        ),
        case("shop::home[lang=de]", home, Verdict::Parity, None),
        case(
            "shop::about@a.test",
            Some("shop::about"),
            Verdict::Parity,
            None,
        ),
        case(
            "shop::about@b.test",
            Some("shop::about"),
            Verdict::Parity,
            None,
        ),
        case("api::feed[user=a]", Some("api::feed"), Verdict::Error, None),
        case(
            "api::feed[user=b]",
            Some("api::feed"),
            Verdict::Differs,
            Some(Severity::Info),
        ),
        // A group that does not start the id (a hand-edited report) is none.
        case(
            "shop::odd",
            Some("other::x"),
            Verdict::Differs,
            Some(Severity::Info),
        ),
    ]);
    r.summary = edgeparity::model::Report::summarize(&r.cases);
    r.latency = edgeparity::model::report::latency(&r.cases, &r.providers);
    r
}

pub fn report_case_of<'a>(
    r: &'a edgeparity::model::Report,
    id: &str,
) -> &'a edgeparity::model::CaseResult {
    r.cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// [`fixture_report`] with `n` more cases at parity in a suite `bulk`
/// (`bulk::c000000`, …), each a copy of the fixture's parity case with its
/// answers dropped (what a large nightly run looks like to the renderers:
/// many quiet cases around a few loud ones). The summary counts them.
pub fn bulk_report(n: usize) -> edgeparity::model::Report {
    use edgeparity::model::{Report, Verdict};
    let mut r = fixture_report();
    let mut quiet = r
        .cases
        .iter()
        .find(|c| c.verdict == Verdict::Parity)
        .expect("the fixture has a case at parity")
        .clone();
    quiet.responses.clear();
    quiet.probes.clear();
    quiet.suite = "bulk".into();
    r.cases.reserve(n);
    for i in 0..n {
        let mut c = quiet.clone();
        c.name = format!("c{i:06}");
        c.id = format!("bulk::{}", c.name);
        r.cases.push(c);
    }
    r.summary = Report::summarize(&r.cases);
    r
}

/// A JSON file written by a run (report.json, a `--format json` document),
/// parsed; a missing or broken file fails the test naming it.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The case `id` of a report.json; a missing case fails the test.
pub fn report_case<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no case {id} in {r:#}"))
}

/// The stand-ins most testbed tests ask: the two edges over TLS and the
/// origin behind them.
pub const TESTBED: &[(&str, &str)] = &[
    ("Varnish (Fastly stand-in) behind hitch", "127.0.0.2:18443"),
    ("nginx (Cloudflare stand-in)", "127.0.0.3:18443"),
    ("origin", "127.0.0.4:18080"),
];

/// Fail, never skip, when a testbed server does not answer, naming every
/// one that is missing.
pub fn require_testbed(servers: &[(&str, &str)]) {
    let missing: Vec<String> = servers
        .iter()
        .filter(|(_, addr)| {
            let sa: SocketAddr = addr.parse().expect("a socket address");
            std::net::TcpStream::connect_timeout(&sa, std::time::Duration::from_secs(2)).is_err()
        })
        .map(|(what, addr)| format!("{what} on {addr}"))
        .collect();
    assert!(
        missing.is_empty(),
        "the testbed is not running: no answer from {}. Start it with `testbed/up` \
         (scripts/test does).",
        missing.join(", ")
    );
}
