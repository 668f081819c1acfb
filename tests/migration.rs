//! Suites for real migrations (issue 16): many hosts and nested suite
//! folders, per-provider endpoints and headers, request matrices, case
//! selection and the request-rate cap. Against real HTTP servers started
//! here (127.0.0.2 = Fastly-like baseline, 127.0.0.3 = Cloudflare-like
//! candidate; 127.0.0.1 for the servers on their own ports).

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use common::*;

/// What a server saw: each request's Host, path and query, and headers.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<Request>>,
}

#[derive(Clone, Debug)]
struct Request {
    host: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    at: std::time::Instant,
}

impl Seen {
    fn all(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// A server that echoes what it was asked: the Host, the path and query,
/// and the `cookie`, `accept-language` and `user-agent` headers, as JSON.
/// The candidate answers 503 for host `b.test` and for `lang=fr`.
fn echo(candidate: bool, seen: Arc<Seen>) -> Handler {
    Arc::new(move |req| {
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let host = header("host");
        let host = host.split(':').next().unwrap_or("").to_string();
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        if let Ok(mut r) = seen.requests.lock() {
            r.push(Request {
                host: host.clone(),
                path_and_query: pq.clone(),
                headers: req
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                at: std::time::Instant::now(),
            });
        }
        let lang = header("accept-language");
        let planted = candidate && (host == "b.test" || lang == "fr");
        let ident: Vec<(&str, &str)> = if candidate {
            vec![("cf-ray", "0123456789abcdef-TST")]
        } else {
            vec![("x-served-by", "cache-tst1-TST"), ("x-cache", "MISS")]
        };
        let mut hs = ident;
        hs.push(("content-type", "application/json"));
        let body = serde_json::json!({
            "host": host,
            "path": pq.split('?').next().unwrap_or(""),
            "lang": lang,
            "cookie": header("cookie"),
            "ua": header("user-agent"),
        });
        response(if planted { 503 } else { 200 }, &hs, full(body.to_string()))
    })
}

struct Pair {
    servers: Servers,
    baseline: Arc<Seen>,
    candidate: Arc<Seen>,
}

fn pair() -> Pair {
    let (baseline, candidate) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
    let servers = start(vec![
        ("127.0.0.2", echo(false, baseline.clone())),
        ("127.0.0.3", echo(true, candidate.clone())),
    ]);
    Pair {
        servers,
        baseline,
        candidate,
    }
}

const CONFIG: &str = "default_env: local\nenvironments:\n  local:\n    baseline: fastly\n    timeout_ms: 3000\n    connect_timeout_ms: 1000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.2\"]\n      cloudflare:\n        addrs: [\"127.0.0.3\"]\n";

fn report(p: &Project, dir: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(p.path(&format!("{dir}/report.json")))
        .expect("report.json written");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn ids(r: &serde_json::Value) -> Vec<String> {
    r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

fn with_verdict(r: &serde_json::Value, verdict: &str) -> Vec<String> {
    r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["verdict"] == verdict)
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

fn run_in(p: &Project, args: &[&str]) -> (i32, String) {
    run_ci(args, p.dir.path())
}

fn read(p: &Project, rel: &str) -> String {
    std::fs::read_to_string(p.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn hosts_project(port: u16) -> Project {
    let p = Project::new();
    p.write("parity.yaml", CONFIG);
    p.write(
        "suites/shop/www.yaml",
        &format!(
            "base_url: http://www.example.test:{port}\nhosts: [a.test, b.test]\ncases:\n  - {{name: home, path: /}}\n  - {{name: api, path: /api, host: api.test}}\n"
        ),
    );
    p.write(
        "suites/www.yaml",
        &format!("base_url: http://c.test:{port}\ncases:\n  - {{name: home, path: /}}\n"),
    );
    p
}

const HOST_IDS: [&str; 4] = [
    "shop/www::home@a.test",
    "shop/www::home@b.test",
    "shop/www::api@api.test",
    "www::home",
];

#[test]
fn hosts_and_nested_suites_give_one_id_everywhere() {
    let s = pair();
    let p = hosts_project(s.servers.port);
    // `list`: every case on every host, named by the suite's path.
    let (code, out) = run_in(&p, &["list"]);
    assert_eq!(code, 0, "{out}");
    let port = s.servers.port;
    for (id, url) in HOST_IDS.iter().zip([
        format!("http://a.test:{port}/"),
        format!("http://b.test:{port}/"),
        format!("http://api.test:{port}/api"),
        format!("http://c.test:{port}/"),
    ]) {
        assert!(out.contains(&format!("{id}  GET {url}\n")), "{id}: {out}");
    }
    // `run`: each host asked with its own Host header; only b.test differs.
    let (code, out) = run_in(&p, &["run", "--calibrate", "0", "--confirm", "0"]);
    assert_eq!(code, 1, "{out}");
    let hosts: BTreeSet<String> = s.baseline.all().into_iter().map(|r| r.host).collect();
    let asked: BTreeSet<String> = s.candidate.all().into_iter().map(|r| r.host).collect();
    assert_eq!(hosts, asked);
    let want: BTreeSet<String> = ["a.test", "b.test", "api.test", "c.test"]
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(hosts, want);
    let r = report(&p, "reports/latest");
    let mut got = ids(&r);
    got.sort();
    let mut want: Vec<String> = HOST_IDS.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(with_verdict(&r, "differs"), vec!["shop/www::home@b.test"]);
    for c in r["cases"].as_array().expect("cases") {
        let id = c["id"].as_str().expect("id");
        let (suite, name) = id.split_once("::").expect("SUITE::CASE");
        assert_eq!(c["suite"], suite);
        assert_eq!(c["name"], name);
        let group = match id {
            "www::home" => None,
            _ => Some(format!("{suite}::{}", name.split('@').next().unwrap_or(""))),
        };
        assert_eq!(c["group"].as_str().map(String::from), group, "{id}");
    }
    assert!(out.contains("DIFFERS  shop/www::home@b.test"), "{out}");
    let junit = read(&p, "reports/latest/junit.xml");
    assert!(
        junit.contains(r#"name="shop/www::home@b.test" classname="shop/www""#)
            || junit.contains(r#"classname="shop/www" name="shop/www::home@b.test""#),
        "{junit}"
    );
    assert!(read(&p, "reports/latest/summary.md").contains("shop/www::home@b.test"));
    assert!(read(&p, "reports/latest/report.html").contains("shop/www::home@b.test"));

    // The libtest runner names its trials with the same ids.
    let settings =
        edgeparity::testrunner::Settings::new(p.path("parity.yaml"), None, vec![p.path("suites")]);
    let log = p.path("libtest.log");
    let args = libtest_mimic::Arguments::from_iter([
        "parity",
        "--logfile",
        log.to_str().expect("utf-8 path"),
    ]);
    let outcome = edgeparity::testrunner::run(&args, &settings);
    assert_eq!(outcome.failed, vec!["shop/www::home@b.test"]);
    assert_eq!(outcome.conclusion.num_passed, 3);

    // Golden files live at golden/SUITE/CASE.yaml, nested suites nested.
    let (code, out) = run_in(&p, &["record"]);
    assert_eq!(code, 0, "{out}");
    for f in [
        "golden/shop/www/home@a.test.yaml",
        "golden/shop/www/home@b.test.yaml",
        "golden/shop/www/api@api.test.yaml",
        "golden/www/home.yaml",
    ] {
        assert!(p.path(f).is_file(), "{f} missing: {out}");
    }
    let (code, out) = run_in(
        &p,
        &[
            "run",
            "--baseline",
            "golden",
            "--calibrate",
            "0",
            "--confirm",
            "0",
        ],
    );
    assert_eq!(code, 1, "{out}");
    let r = report(&p, "reports/latest");
    assert_eq!(with_verdict(&r, "no-golden"), Vec::<String>::new());
    assert_eq!(with_verdict(&r, "differs"), vec!["shop/www::home@b.test"]);
    // Pending files are found under nested suites, with their ids.
    std::fs::rename(
        p.path("golden/shop/www/home@b.test.yaml"),
        p.path("golden/shop/www/home@b.test.yaml.new"),
    )
    .expect("rename");
    let pending = edgeparity::golden::pending(&p.path("golden"));
    let pending: Vec<&str> = pending.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(pending, vec!["shop/www::home@b.test"]);

    // Shards split the same ids: every case in exactly one shard (a shard
    // that gets none exits 2 and says so).
    let mut sharded = Vec::new();
    for k in ["1/3", "2/3", "3/3"] {
        let dir = format!("reports/shard-{}", &k[..1]);
        let (code, out) = run_in(
            &p,
            &[
                "run",
                "--shard",
                k,
                "--report-dir",
                &dir,
                "--confirm",
                "0",
                "--calibrate",
                "0",
            ],
        );
        if code == 2 {
            assert!(out.contains(&format!("--shard {k} selects none")), "{out}");
            continue;
        }
        assert!(code == 0 || code == 1, "{out}");
        sharded.extend(ids(&report(&p, &dir)));
    }
    sharded.sort();
    assert_eq!(sharded, got);
}

// ---------------------------------------------------------------------------
// Per-provider endpoints and headers
// ---------------------------------------------------------------------------

/// A secret with characters that every encoding changes.
const TOKEN: &str = "tok en/+=Zq9-bypass-secret";
const KEY: &str = "staging-key-7f3a9c";

/// The baseline (Fastly-like) or a local worker of unknown kind: `/same`
/// alike (but for the baseline's identity headers); `/echo` has the worker
/// echo its bypass header back in clear, percent-encoded and in base64.
fn endpoint_handler(worker: bool, seen: Arc<Seen>) -> Handler {
    let inner = echo(false, seen);
    Arc::new(move |req| {
        let _ = inner(req);
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let mut hs: Vec<(String, String)> = vec![("content-type".into(), "text/plain".into())];
        if !worker {
            for (k, v) in [
                ("x-served-by", "cache-tst1-TST"),
                ("x-cache", "MISS"),
                ("via", "1.1 varnish"),
            ] {
                hs.push((k.into(), v.into()));
            }
        }
        let body = match (req.uri().path(), worker) {
            ("/echo", true) => {
                use base64::Engine as _;
                let bypass = header("x-bypass");
                let pct = percent_encoding::utf8_percent_encode(
                    &bypass,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string();
                hs.push(("x-echo".into(), bypass.clone()));
                hs.push(("x-echo-pct".into(), pct.clone()));
                let b64 = base64::engine::general_purpose::STANDARD;
                format!(
                    "bypass {bypass}\npct {pct}\nb64 {}\nauth {}\n",
                    b64.encode(&bypass),
                    b64.encode(header("authorization"))
                )
            }
            _ => "same answer\n".to_string(),
        };
        let refs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        response(200, &refs, full(body))
    })
}

/// The binary with the caller's environment plus `vars`.
fn run_with(p: &Project, args: &[&str], vars: &[(&str, &str)]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(args)
        .current_dir(p.dir.path())
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .env_remove("PARITY_BASELINE")
        .env("CI", "true")
        .envs(vars.iter().copied())
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

/// Every form of `secret` that must never be written.
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let pct = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    vec![
        secret.to_string(),
        pct.clone(),
        pct.to_lowercase(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::STANDARD.encode(format!("Bearer {secret}")),
    ]
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn a_provider_on_its_own_port_and_host_gets_its_secret_headers_and_reports_never_show_them() {
    let (base_seen, worker_seen) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
    let base = start(vec![(
        "127.0.0.1",
        endpoint_handler(false, base_seen.clone()),
    )]);
    let worker = start(vec![(
        "127.0.0.1",
        endpoint_handler(true, worker_seen.clone()),
    )]);
    let p = Project::new();
    p.write(
        "parity.yaml",
        &format!(
            "environments:\n  dev:\n    baseline: fastly\n    timeout_ms: 3000\n    providers:\n      fastly:\n        addrs: [\"127.0.0.1\"]\n        headers: {{X-Staging-Key: \"${{EP_MIG_KEY}}\"}}\n      worker:\n        kind: worker\n        fingerprint: false\n        addrs: [\"127.0.0.1\"]\n        scheme: http\n        port: {}\n        host: \"preview.{{host}}\"\n        headers:\n          X-Bypass: \"${{EP_MIG_TOKEN}}\"\n          Authorization: \"Bearer ${{EP_MIG_TOKEN}}\"\n",
            worker.port
        ),
    );
    p.write(
        "suites/www.yaml",
        &format!(
            "base_url: http://www.example.test:{}\ndefaults:\n  headers: {{X-Bypass: from-suite}}\ncases:\n  - {{name: same, path: /same}}\n  - {{name: echo, path: /echo}}\n",
            base.port
        ),
    );
    let vars = [("EP_MIG_TOKEN", TOKEN), ("EP_MIG_KEY", KEY)];
    let (code, stdout) = run_with(&p, &["run", "--calibrate", "0", "--confirm", "0"], &vars);
    assert_eq!(code, 1, "{stdout}");
    // Each server saw its own Host and its provider's headers, and only those.
    let header = |r: &Request, n: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
    };
    let b = base_seen.all();
    let w = worker_seen.all();
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!(w.len(), 2, "{w:?}");
    for r in &b {
        assert_eq!(r.host, "www.example.test");
        assert_eq!(header(r, "x-staging-key").as_deref(), Some(KEY));
        assert_eq!(header(r, "x-bypass").as_deref(), Some("from-suite"));
        assert_eq!(header(r, "authorization"), None);
    }
    for r in &w {
        assert_eq!(r.host, "preview.www.example.test");
        assert_eq!(header(r, "x-bypass").as_deref(), Some(TOKEN));
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(header(r, "authorization").as_deref(), Some(bearer.as_str()));
        assert_eq!(header(r, "x-staging-key"), None);
    }
    let r = report(&p, "reports/latest");
    // The baseline's identity headers are not differences with a worker of
    // unknown kind whose fingerprint is off.
    assert_eq!(with_verdict(&r, "parity"), vec!["www::same"]);
    assert_eq!(with_verdict(&r, "differs"), vec!["www::echo"]);
    let worker_addr = format!("127.0.0.1:{}", worker.port);
    let echo = &r["cases"][1];
    assert!(
        echo["responses"]
            .as_array()
            .expect("responses")
            .iter()
            .any(|x| x["provider"] == "worker" && x["remote_addr"] == worker_addr.as_str()),
        "{echo:#}"
    );
    // The echoed secret is a difference, shown masked.
    let json = read(&p, "reports/latest/report.json");
    assert!(json.contains("[REDACTED]"), "{json}");
    // The repro asks for each secret header as a shell variable, named
    // after the header; the headers without a secret are written out.
    let curl = |provider: &str| {
        echo["responses"]
            .as_array()
            .and_then(|rs| rs.iter().find(|x| x["provider"] == provider))
            .and_then(|x| x["curl"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (w, f) = (curl("worker"), curl("fastly"));
    assert!(
        w.contains(r#"-H 'authorization: '"$EDGEPARITY_AUTHORIZATION""#),
        "{w}"
    );
    assert!(
        w.contains(r#"-H 'x-bypass: '"$EDGEPARITY_X_BYPASS""#),
        "{w}"
    );
    assert!(
        f.contains(r#"-H 'x-staging-key: '"$EDGEPARITY_X_STAGING_KEY""#),
        "{f}"
    );
    assert!(f.contains("-H 'x-bypass: from-suite'"), "{f}");
    assert!(
        !w.contains("REDACTED") && !f.contains("REDACTED"),
        "{w}\n{f}"
    );
    // Record the worker's behaviour too: golden files are masked alike.
    let (code, out) = run_with(&p, &["record", "--provider", "worker"], &vars);
    assert_eq!(code, 0, "{out}");
    let (_, listed) = run_with(&p, &["list"], &vars);
    let mut written: Vec<(String, String)> = vec![
        ("stdout of run".into(), stdout),
        ("stdout of record".into(), out),
        ("stdout of list".into(), listed),
    ];
    for f in files_under(&p.path("reports"))
        .into_iter()
        .chain(files_under(&p.path("golden")))
    {
        written.push((
            f.display().to_string(),
            std::fs::read_to_string(&f).expect("text"),
        ));
    }
    assert!(
        written.len() >= 7,
        "{:?}",
        written.iter().map(|w| &w.0).collect::<Vec<_>>()
    );
    for secret in [TOKEN, KEY] {
        for form in forms(secret) {
            for (what, text) in &written {
                assert!(!text.contains(&form), "{what} holds `{form}`:\n{text}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Matrices
// ---------------------------------------------------------------------------

fn matrix_project(port: u16) -> Project {
    let p = Project::new();
    p.write("parity.yaml", CONFIG);
    p.write(
        "suites/m.yaml",
        &format!(
            "base_url: http://www.example.test:{port}\nx-langs: &langs [en, fr]\nhosts: [a.test, c.test]\ncases:\n  - name: home\n    path: /home\n    matrix:\n      lang: {{Accept-Language: *langs}}\n      page: {{query: {{p: [1, 2]}}}}\n  - name: who\n    path: /who\n    host: a.test\n    matrix:\n      user: {{cookie: {{uid: {{alice: a1, bob: b2}}}}}}\n"
        ),
    );
    p
}

#[test]
fn a_matrix_runs_every_combination_under_its_own_id() {
    let s = pair();
    let p = matrix_project(s.servers.port);
    let mut want: Vec<String> = Vec::new();
    for lang in ["en", "fr"] {
        for page in ["1", "2"] {
            for host in ["a.test", "c.test"] {
                want.push(format!("m::home[lang={lang},page={page}]@{host}"));
            }
        }
    }
    want.push("m::who[user=alice]@a.test".into());
    want.push("m::who[user=bob]@a.test".into());
    let (code, out) = run_in(&p, &["list"]);
    assert_eq!(code, 0, "{out}");
    let listed: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(id, _)| id))
        .collect();
    assert_eq!(listed, want);
    assert!(
        out.contains(&format!(
            "m::home[lang=fr,page=2]@c.test  GET http://c.test:{}/home?p=2\n",
            s.servers.port
        )),
        "{out}"
    );
    let (code, out) = run_in(&p, &["run", "--calibrate", "0", "--confirm", "0"]);
    assert_eq!(code, 1, "{out}");
    // Every combination reached the server with its values.
    let seen: BTreeSet<(String, String, String, String)> = s
        .baseline
        .all()
        .into_iter()
        .map(|r| {
            let h = |n: &str| {
                r.headers
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (
                r.host.clone(),
                r.path_and_query.clone(),
                h("accept-language"),
                h("cookie"),
            )
        })
        .collect();
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert!(seen.contains(&(
        "c.test".into(),
        "/home?p=2".into(),
        "fr".into(),
        String::new()
    )));
    assert!(seen.contains(&(
        "a.test".into(),
        "/who".into(),
        String::new(),
        "uid=b2".into()
    )));
    let r = report(&p, "reports/latest");
    assert_eq!(ids(&r), want);
    let differs: Vec<String> = want
        .iter()
        .filter(|id| id.contains("lang=fr"))
        .cloned()
        .collect();
    assert_eq!(with_verdict(&r, "differs"), differs);
    for c in r["cases"].as_array().expect("cases") {
        let id = c["id"].as_str().expect("id");
        let group = if id.starts_with("m::home[") {
            "m::home"
        } else {
            "m::who"
        };
        assert_eq!(c["group"], group, "{id}");
    }
    // Markdown escapes the brackets (they render as written).
    for (file, id) in [
        ("summary.md", r"home\[lang=fr,page=2\]@c.test"),
        ("report.html", "home[lang=fr,page=2]@c.test"),
        ("junit.xml", "home[lang=fr,page=2]@c.test"),
    ] {
        let text = read(&p, &format!("reports/latest/{file}"));
        assert!(text.contains(id), "{file}: {text}");
    }
    // The combinations sit together under their group's roll-up: in the
    // text summary (plan order), summary.md and report.html.
    let heads: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("GROUP ") || l.starts_with("DIFFERS "))
        .collect();
    let mut want_heads = vec!["GROUP    m::home — 4 of 8 combinations differ".to_string()];
    want_heads.extend(differs.iter().map(|id| format!("DIFFERS  {id}")));
    assert_eq!(heads, want_heads, "{out}");
    let md = read(&p, "reports/latest/summary.md");
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| **m::") || l.starts_with("| m::"))
        .collect();
    assert_eq!(
        rows.first().copied(),
        Some("| **m::home — 4 of 8 combinations differ** | | | |"),
        "{md}"
    );
    assert_eq!(rows.len(), 5, "{md}");
    for row in &rows[1..] {
        assert!(row.starts_with(r"| m::home\[lang=fr,"), "{row}: {md}");
    }
    let html = read(&p, "reports/latest/report.html");
    let section = |group: &str, rollup: &str| -> String {
        let open = format!(
            "<section class=\"group\" data-group=\"{group}\"><h3 class=\"ghead\">{rollup}</h3>"
        );
        let start = html
            .find(&open)
            .unwrap_or_else(|| panic!("no {open}: {html}"));
        let len = html[start..].find("</section>").expect("section closed");
        html[start..start + len].to_string()
    };
    let home = section("m::home", "m::home — 4 of 8 combinations differ");
    let cards: Vec<&str> = home
        .split("<span class=\"cid\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .collect();
    // Its four that differ, then its four at parity (by id): all eight.
    assert_eq!(cards.len(), 8, "{cards:?}");
    for (i, id) in cards.iter().enumerate() {
        assert_eq!(i < 4, id.contains("lang=fr"), "{cards:?}");
    }
    let who = section("m::who", "m::who — 2 combinations, all at parity");
    assert!(who.contains("m::who[user=alice]@a.test") && who.contains("m::who[user=bob]@a.test"));
    // libtest: trials carry the same names; an exact filter selects one.
    let settings =
        edgeparity::testrunner::Settings::new(p.path("parity.yaml"), None, vec![p.path("suites")]);
    let log = p.path("libtest.log");
    let log = log.to_str().expect("utf-8 path");
    let args = libtest_mimic::Arguments::from_iter(["parity", "--logfile", log]);
    let outcome = edgeparity::testrunner::run(&args, &settings);
    assert_eq!(outcome.failed, differs);
    let args = libtest_mimic::Arguments::from_iter([
        "parity",
        "--exact",
        "m::home[lang=fr,page=1]@a.test",
        "--logfile",
        log,
    ]);
    let outcome = edgeparity::testrunner::run(&args, &settings);
    assert_eq!(outcome.failed, vec!["m::home[lang=fr,page=1]@a.test"]);
    assert_eq!(outcome.conclusion.num_filtered_out, 9);
}

#[test]
fn a_matrix_over_its_cap_is_refused_naming_file_line_and_key() {
    let p = Project::new();
    p.write("parity.yaml", CONFIG);
    let many: Vec<String> = (0..17).map(|i| format!("v{i}")).collect();
    p.write(
        "suites/big.yaml",
        &format!(
            "base_url: http://x.test\ncases:\n  - name: c\n    path: /\n    matrix:\n      a: {{X-A: [{0}]}}\n      b: {{X-B: [{0}]}}\n",
            many.join(", ")
        ),
    );
    let (code, out) = run_in(&p, &["list"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("suites/big.yaml:6:7: key `cases[0].matrix`: a (17) × b (17) makes more than 256 combinations"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// Selection and pace
// ---------------------------------------------------------------------------

#[test]
fn filters_select_cases_and_a_selection_of_none_exits_2() {
    let s = pair();
    let p = hosts_project(s.servers.port);
    let (code, out) = run_in(
        &p,
        &["list", "--filter", "shop/*@b.test", "--filter", "www::*"],
    );
    assert_eq!(code, 0, "{out}");
    let listed: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(id, _)| id))
        .collect();
    assert_eq!(listed, vec!["shop/www::home@b.test", "www::home"]);
    let (code, out) = run_in(
        &p,
        &[
            "run",
            "--filter",
            "shop/*@b.test",
            "--filter",
            "www::*",
            "--confirm",
            "0",
        ],
    );
    assert_eq!(code, 1, "{out}");
    let r = report(&p, "reports/latest");
    assert_eq!(ids(&r), vec!["shop/www::home@b.test", "www::home"]);
    let asked: BTreeSet<String> = s.baseline.all().into_iter().map(|r| r.host).collect();
    assert_eq!(
        asked,
        ["b.test", "c.test"].iter().map(|h| h.to_string()).collect()
    );
    // No case selected: exit 2, said, and no report.
    let (code, out) = run_in(
        &p,
        &["run", "--filter", "nope::*", "--report-dir", "reports/none"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--filter `nope::*` selects none of the 4 planned cases"),
        "{out}"
    );
    assert!(!p.path("reports/none").exists());
    // A shard that gets none of the selected cases is a selection of none too.
    let codes: Vec<i32> = ["1/2", "2/2"]
        .iter()
        .map(|k| {
            run_in(
                &p,
                &[
                    "run",
                    "--filter",
                    "www::home",
                    "--shard",
                    k,
                    "--confirm",
                    "0",
                    "--report-dir",
                    "reports/s",
                ],
            )
            .0
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 2], "{codes:?}");
}

/// The most requests that arrived within any one second.
fn busiest_second(times: &[std::time::Instant]) -> usize {
    let mut t = times.to_vec();
    t.sort();
    (0..t.len())
        .map(|i| {
            t[i..]
                .iter()
                .take_while(|x| x.duration_since(t[i]) < std::time::Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn rate_caps_the_requests_each_provider_receives_per_second() {
    let s = pair();
    let p = Project::new();
    p.write("parity.yaml", CONFIG);
    let mut suite = format!("base_url: http://a.test:{}\ncases:\n", s.servers.port);
    for i in 0..12 {
        suite.push_str(&format!("  - {{name: c{i}, path: /p{i}}}\n"));
    }
    p.write("suites/r.yaml", &suite);
    // On loopback the default is unlimited, and said so.
    let (code, out) = run_in(&p, &["run", "--filter", "r::c0", "--confirm", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rate: unlimited: every provider is on a loopback address"),
        "{out}"
    );
    let before = [s.baseline.all().len(), s.candidate.all().len()];
    let (code, out) = run_in(
        &p,
        &[
            "run",
            "--rate",
            "5/s",
            "--jobs",
            "8",
            "--calibrate",
            "0",
            "--confirm",
            "0",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rate: at most 5 requests/s to each provider"),
        "{out}"
    );
    for ((who, seen), before) in [("fastly", &s.baseline), ("cloudflare", &s.candidate)]
        .into_iter()
        .zip(before)
    {
        let times: Vec<std::time::Instant> = seen.all()[before..].iter().map(|r| r.at).collect();
        assert_eq!(times.len(), 12, "{who}");
        // 5/s leaves at most 5 requests in any second; the bound is loose
        // for scheduling jitter, and the run cannot be faster than the cap
        // (a slower machine only spreads the requests further).
        let busiest = busiest_second(&times);
        assert!(busiest <= 7, "{who}: {busiest} requests within one second");
        let span = times
            .iter()
            .max()
            .expect("times")
            .duration_since(*times.iter().min().expect("times"));
        assert!(
            span >= std::time::Duration::from_millis(1_760),
            "{who}: 12 requests at 5/s over {span:?}"
        );
    }
}
