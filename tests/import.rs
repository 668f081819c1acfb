//! `edgeparity import` end to end on fixtures (tests/fixtures/import/): every
//! format (malformed lines and gzip included), standard input, the summary,
//! exit codes, `--force`, limits, determinism, and that no credential of a
//! fixture full of them reaches any output, in clear, percent-encoded or
//! base64. Every suite written is parsed back with the suite loader.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use edgeparity::suite::Suite;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

struct Imported {
    code: i32,
    out: String,
    suites: BTreeMap<String, String>,
}

impl Imported {
    fn suite(&self, file: &str) -> &str {
        self.suites
            .get(file)
            .unwrap_or_else(|| panic!("no {file} among {:?}\n{}", self.suites.keys(), self.out))
    }
    /// Parse a suite back with the real loader (placeholders filled).
    fn parsed(&self, file: &str) -> Suite {
        parse(file, self.suite(file))
    }
}

fn parse(file: &str, text: &str) -> Suite {
    Suite::parse(Path::new(file), text, &|k| {
        k.starts_with("IMPORT_").then(|| format!("filled-{k}"))
    })
    .unwrap_or_else(|e| panic!("{file} is not a valid suite: {e}\n{text}"))
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Imported {
    let out_dir = dir.join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_edgeparity"));
    cmd.arg("import")
        .arg("--out")
        .arg("out")
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run edgeparity import");
    if let Some(data) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(data)
            .expect("write stdin");
    }
    let o = child.wait_with_output().expect("wait");
    let mut suites = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(&out_dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            suites.insert(name, std::fs::read_to_string(e.path()).expect("read suite"));
        }
    }
    Imported {
        code: o.status.code().unwrap_or(-1),
        out: format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        suites,
    }
}

fn import(args: &[&str]) -> Imported {
    let dir = tempfile::tempdir().expect("tempdir");
    run_in(dir.path(), args, None)
}

fn f(name: &str) -> String {
    fixture(name).display().to_string()
}

fn paths(s: &Suite) -> Vec<String> {
    s.cases
        .iter()
        .map(|c| format!("{} {} {}", c.name, c.method, c.path))
        .collect()
}

fn gz(data: &[u8]) -> Vec<u8> {
    common::gzip(data)
}

#[test]
fn logpush_with_malformed_lines() {
    let r = import(&[&f("logpush.ndjson")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(
        r.out
            .contains("Cloudflare Logpush http_requests (NDJSON) (detected"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("read 14 lines/entries: 9 parsed, 4 skipped, 1 blank"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("logpush.ndjson:11: not valid JSON"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("logpush.ndjson:13: a Logpush field has the wrong type"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("1 with method POST (--include-unsafe keeps them)"),
        "{}",
        r.out
    );
    let www = r.parsed("www.example.com.yaml");
    assert_eq!(www.base_url.as_str(), "https://www.example.com/");
    assert_eq!(
        paths(&www),
        [
            "get-item-num-1 GET /item/123",
            "get-item-num-2 GET /item/456",
            "get-item-num-3 GET /item/999",
            "get-root-1 GET /",
            "get-old-1 GET /old"
        ]
    );
    // Served from cache (hit) → a cache sequence; a 404 sample kept.
    let text = r.suite("www.example.com.yaml");
    assert!(text.contains("# GET /item/{num}: 4 hits (endpoint 1 of 3); status 200 x3, 404 x1; served from cache 2 of 4; application/json"), "{text}");
    assert!(matches!(
        www.cases[0].probe,
        edgeparity::suite::Probe::Sequence { count: 2, .. }
    ));
    assert!(matches!(
        www.cases[3].probe,
        edgeparity::suite::Probe::Single
    ));
    // The api host: its own suite; the scheme is the traffic's majority
    // (one https, one http: https wins ties).
    let api = r.parsed("api.example.com.yaml");
    assert_eq!(
        paths(&api),
        ["get-v1-health-1 GET /v1/health", "get-v1-orders-uuid-expand-1 GET /v1/orders/550e8400-e29b-41d4-a716-446655440000?expand=items"]
    );
    assert!(r.suite("api.example.com.yaml").contains("1 https, 1 http"));
}

#[test]
fn gzip_and_plain_give_the_same_suites() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(fixture("logpush.ndjson")).unwrap();
    let p = dir.path().join("logpush.bin"); // the name says nothing
    std::fs::write(&p, gz(&data)).unwrap();
    let plain = import(&[&f("logpush.ndjson")]);
    let zipped = import(&[p.to_str().unwrap()]);
    assert_eq!(zipped.code, 0, "{}", zipped.out);
    assert_eq!(plain.suites, zipped.suites);
    // A truncated gzip stream: what was read is kept, the rest is reported.
    let mut cut = gz(&data.repeat(50));
    cut.truncate(cut.len() / 2);
    std::fs::write(&p, cut).unwrap();
    let r = import(&[p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(r.out.contains("cannot read further"), "{}", r.out);
    assert!(r.suites.contains_key("www.example.com.yaml"));
}

#[test]
fn every_format_reads_the_same_gzip_compressed() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [
        ("logpush.ndjson", None),
        ("fastly.jsonl", None),
        ("fastly-common.log", Some("www.example.com")),
        ("nginx-combined.log", Some("www.example.com")),
        ("nginx-host.log", None),
        ("session.har", None),
        ("urls.txt", Some("www.example.com")),
        ("sitemap.xml", None),
    ] {
        let packed = dir.path().join(format!("{name}.gz"));
        std::fs::write(&packed, gz(&std::fs::read(fixture(name)).unwrap())).unwrap();
        let mut args: Vec<String> = Vec::new();
        if let Some(h) = extra {
            args.extend(["--host".to_string(), h.to_string()]);
        }
        let plain_args: Vec<String> = args.iter().cloned().chain([f(name)]).collect();
        let gz_args: Vec<String> = args
            .iter()
            .cloned()
            .chain([packed.display().to_string()])
            .collect();
        let a = import(&plain_args.iter().map(String::as_str).collect::<Vec<_>>());
        let b = import(&gz_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(a.code, 0, "{name}: {}", a.out);
        assert!(!a.suites.is_empty(), "{name}");
        assert_eq!(
            a.suites, b.suites,
            "{name}: gzip gives other suites\n{}",
            b.out
        );
    }
}

#[test]
fn standard_input_plain_and_gzip() {
    let data = std::fs::read(fixture("nginx-host.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = run_in(dir.path(), &["-"], Some(&data));
    assert_eq!(a.code, 0, "{}", a.out);
    assert!(
        a.out
            .contains("<stdin>: access log, combined with $host first"),
        "{}",
        a.out
    );
    let dir = tempfile::tempdir().unwrap();
    let b = run_in(dir.path(), &["-"], Some(&gz(&data)));
    assert_eq!(a.suites, b.suites);
    let from_file = import(&[&f("nginx-host.log")]);
    assert_eq!(a.suites, from_file.suites);
}

#[test]
fn fastly_json_default_and_mapped_keys() {
    let r = import(&[&f("fastly.jsonl")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(
        r.out.contains("Fastly JSON log lines (detected"),
        "{}",
        r.out
    );
    assert!(r.out.contains("fastly.jsonl:7: no url field"), "{}", r.out);
    assert!(
        r.out.contains("fastly.jsonl:8: not valid JSON"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("fastly.jsonl:9: not a JSON object"),
        "{}",
        r.out
    );
    let s = r.parsed("www.example.com.yaml");
    let text = r.suite("www.example.com.yaml");
    // HIT and HIT-STALE are served from cache; HIT-SYNTH is not.
    assert!(
        text.contains(
            "GET /static/app.js: 2 hits (endpoint 2 of 4); status 200 x2; served from cache 2 of 2"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "GET /synthetic: 1 hits (endpoint 3 of 4); status 200 x1; served from cache 0 of 1"
        ),
        "{text}"
    );
    // Two Accept-Language values on one endpoint: a Vary probe.
    let vary = s
        .cases
        .iter()
        .find(|c| c.name.contains("vary-accept-language"))
        .expect("vary probe");
    assert_eq!(
        vary.probe,
        edgeparity::suite::Probe::Vary {
            header: "accept-language".into(),
            values: vec!["en-US,en;q=0.9".into(), "fr".into()]
        }
    );
    assert!(s.cases.iter().any(|c| c.method == http::Method::HEAD));

    // Custom keys need --field; without it the file is not recognised.
    let r = import(&[&f("fastly-custom.jsonl")]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(r.out.contains("--field url=KEY"), "{}", r.out);
    let r = import(&[
        "--format",
        "fastly",
        "--field",
        "url=req.path",
        "--field",
        "host=req.host",
        "--field",
        "status=resp.code",
        "--field",
        "cache_state=cache",
        &f("fastly-custom.jsonl"),
    ]);
    assert_eq!(r.code, 0, "{}", r.out);
    let s = r.parsed("shop.example.com.yaml");
    assert_eq!(
        paths(&s),
        [
            "get-cart-view-1 GET /cart/view",
            "get-checkout-1 GET /checkout"
        ]
    );
    assert!(r
        .suite("shop.example.com.yaml")
        .contains("status 302 x1; served from cache 0 of 1"));
    let r = import(&["--field", "hots=x", &f("fastly.jsonl")]);
    assert_eq!(r.code, 2);
    assert!(r.out.contains("did you mean `host`"), "{}", r.out);
}

#[test]
fn fastly_apache_common_needs_host() {
    let r = import(&["--format", "fastly", &f("fastly-common.log")]);
    assert_eq!(
        r.code, 2,
        "no host anywhere: nothing could be read\n{}",
        r.out
    );
    assert!(
        r.out.contains("no host in this record: pass --host HOST"),
        "{}",
        r.out
    );
    assert!(r.suites.is_empty());
    let r = import(&[
        "--format",
        "fastly",
        "--host",
        "www.example.com",
        "--scheme",
        "http",
        &f("fastly-common.log"),
    ]);
    assert_eq!(r.code, 0, "{}", r.out);
    let s = r.parsed("www.example.com.yaml");
    assert_eq!(s.base_url.as_str(), "http://www.example.com/");
    assert_eq!(
        paths(&s),
        [
            "get-news-date-1 GET /news/2025-10-09",
            "get-news-date-2 GET /news/2025-10-10",
            "get-root-1 GET /",
            "get-index-html-1 GET /index.html"
        ]
    );
    // The remote user (`alice`) and client IPs are never copied.
    let text = r.suite("www.example.com.yaml");
    assert!(
        !text.contains("alice") && !text.contains("198.51.100"),
        "{text}"
    );
}

#[test]
fn nginx_combined_and_host_first() {
    let r = import(&["--host", "www.example.com", &f("nginx-combined.log")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(
        r.out
            .contains("nginx-combined.log:6: not an HTTP request line"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("nginx-combined.log:7: not an HTTP request line"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("nginx-combined.log:8: no [time] field"),
        "{}",
        r.out
    );
    assert!(r.out.contains("1 with method DELETE"), "{}", r.out);
    let s = r.parsed("www.example.com.yaml");
    assert_eq!(
        paths(&s),
        [
            "get-api-item-id-1 GET /api/item?id=42",
            "get-api-item-id-2 GET /api/item?id=7",
            // Ties in traffic: by template, in byte order.
            "get-a-22quote-20and-20space-1 GET /a%22quote%20and%20space",
            "get-api-item-id-1-2 GET /api/item?id=abc",
        ]
    );
    // --include-unsafe keeps the DELETE.
    let r = import(&[
        "--host",
        "www.example.com",
        "--include-unsafe",
        &f("nginx-combined.log"),
    ]);
    assert!(r
        .parsed("www.example.com.yaml")
        .cases
        .iter()
        .any(|c| c.method == http::Method::DELETE));

    let r = import(&[&f("nginx-host.log")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(
        r.suites.keys().collect::<Vec<_>>(),
        [
            "static.example.com.yaml",
            "www.example.com.yaml",
            "www.example.com_8443.yaml"
        ]
    );
    assert_eq!(
        r.parsed("www.example.com_8443.yaml").base_url.as_str(),
        "https://www.example.com:8443/"
    );
    let www = r.suite("www.example.com.yaml");
    assert!(
        www.contains(
            "GET /static/app.js: 2 hits (endpoint 2 of 2); status 200 x2; served from cache 1 of 2"
        ),
        "{www}"
    );
    // --host filters hosts that carry one.
    let r = import(&["--host", "static.example.com", &f("nginx-host.log")]);
    assert_eq!(
        r.suites.keys().collect::<Vec<_>>(),
        ["static.example.com.yaml"]
    );
    assert!(
        r.out.contains("5 for another host than --host"),
        "{}",
        r.out
    );
}

#[test]
fn har_entries_vary_probes_and_cache() {
    let r = import(&[&f("session.har")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(r.out.contains("HAR 1.2 (detected"), "{}", r.out);
    assert!(
        r.out
            .contains("session.har: log.entries[10]: no response (status 0"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("session.har: log.entries[13]: not a JSON object"),
        "{}",
        r.out
    );
    let s = r.parsed("www.example.com.yaml");
    let names: Vec<&str> = s.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "get-vary-page-html-1",
            "get-vary-page-html-vary-accept-language",
            "get-api-data-fmt-1",
            "get-api-data-fmt-vary-accept",
            "get-static-logo-png-1"
        ]
    );
    // Accept, Accept-Encoding, Accept-Language are kept; nothing else.
    let first = &s.cases[0];
    let hs: Vec<&str> = first.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        hs,
        ["User-Agent", "Accept", "Accept-Encoding", "Accept-Language"]
    );
    assert_eq!(first.headers[0].value, "edgeparity-import");
    r.parsed("fonts.example.net.yaml");
    insta::assert_snapshot!("har_suite", r.suite("www.example.com.yaml"));
}

#[test]
fn url_lists_and_sitemaps() {
    let r = import(&["--host", "www.example.com", &f("urls.txt")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(r.out.contains("URL list (detected"), "{}", r.out);
    assert!(
        r.out.contains("urls.txt:7: not an http(s) URL or a /path"),
        "{}",
        r.out
    );
    // --host keeps www only: docs.example.com is another host.
    assert_eq!(
        r.suites.keys().collect::<Vec<_>>(),
        ["www.example.com.yaml"]
    );
    let s = r.parsed("www.example.com.yaml");
    assert_eq!(s.cases.len(), 4);

    let r = import(&[&f("sitemap.xml")]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(
        r.out
            .contains("sitemap.xml:6: <loc> is not an absolute http(s) URL"),
        "{}",
        r.out
    );
    let s = r.parsed("www.example.com.yaml");
    assert!(
        paths(&s).contains(&"get-products-page-sort-1 GET /products?page=2&sort=price".to_string()),
        "{:?}",
        paths(&s)
    );

    // An index names its children; given as files (gzip too) they are read.
    let r = import(&[&f("sitemap-index.xml")]);
    assert_eq!(r.code, 2, "an index alone has no URL to import\n{}", r.out);
    assert!(
        r.out
            .contains("2 child sitemaps named; import never fetches: pass them as files"),
        "{}",
        r.out
    );
    let dir = tempfile::tempdir().unwrap();
    let child = dir.path().join("sitemap-products.xml.gz");
    std::fs::write(&child, gz(&std::fs::read(fixture("sitemap.xml")).unwrap())).unwrap();
    let r = import(&[&f("sitemap-index.xml"), child.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(r.parsed("www.example.com.yaml").cases.len(), 3);
}

#[test]
fn exit_codes_unknown_format_nothing_read_and_force() {
    let r = import(&["--format", "xml", &f("urls.txt")]);
    assert_eq!(r.code, 2);
    assert!(
        r.out.contains(
            "unknown format `xml` (supported: auto, logpush, fastly, nginx, har, urls, sitemap)"
        ),
        "{}",
        r.out
    );
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello world\nthis is prose\n").unwrap();
    let r = import(&[junk.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.out.contains("pass --format (supported: auto, logpush"),
        "{}",
        r.out
    );
    let r = import(&["--format", "logpush", junk.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(r.out.contains("nothing could be read"), "{}", r.out);
    let r = import(&["does-not-exist.log"]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(
        r.out.contains("does-not-exist.log: cannot read"),
        "{}",
        r.out
    );

    // Never overwrite without --force.
    let dir = tempfile::tempdir().unwrap();
    let first = run_in(dir.path(), &[&f("sitemap.xml")], None);
    assert_eq!(first.code, 0);
    let target = dir.path().join("out/www.example.com.yaml");
    std::fs::write(&target, "# mine\n").unwrap();
    let again = run_in(dir.path(), &[&f("sitemap.xml")], None);
    assert_eq!(again.code, 2, "{}", again.out);
    assert!(
        again.out.contains("will not overwrite") && again.out.contains("--force"),
        "{}",
        again.out
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "# mine\n");
    let forced = run_in(dir.path(), &["--force", &f("sitemap.xml")], None);
    assert_eq!(forced.code, 0, "{}", forced.out);
    assert_eq!(forced.suites, first.suites);
}

#[test]
fn limits_per_endpoint_and_max_cases() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    let mut text = String::new();
    for i in 0..40 {
        // /item/{num}: 40 hits, /item/7 most often; /about: 5; /blog/{slug}: many.
        let id = if i % 4 == 0 { 7 } else { i };
        text.push_str(&format!(
            "h.example 1.2.3.4 - - [t] \"GET /item/{id} HTTP/1.1\" 200 1 \"-\" \"-\"\n"
        ));
        text.push_str(&format!(
            "h.example 1.2.3.4 - - [t] \"GET /blog/post-{i}-title HTTP/1.1\" 200 1 \"-\" \"-\"\n"
        ));
    }
    for _ in 0..5 {
        text.push_str("h.example 1.2.3.4 - - [t] \"GET /about HTTP/1.1\" 200 1 \"-\" \"-\"\n");
    }
    std::fs::write(&log, text).unwrap();
    let r = import(&["--per-endpoint", "2", log.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(
        r.out
            .contains("3 endpoints found (1 high-cardinality positions became {slug})"),
        "{}",
        r.out
    );
    let s = r.parsed("h.example.yaml");
    assert_eq!(
        paths(&s),
        // Every post and most items were asked once: which of them remain
        // in the bounded sample table is Space-Saving's (deterministic) call.
        [
            "get-blog-slug-1 GET /blog/post-32-title",
            "get-blog-slug-2 GET /blog/post-33-title",
            "get-item-num-1 GET /item/7",
            "get-item-num-2 GET /item/30",
            "get-about-1 GET /about"
        ]
    );
    let r = import(&["--max-cases", "3", log.to_str().unwrap()]);
    let s = r.parsed("h.example.yaml");
    assert_eq!(s.cases.len(), 3);
    assert!(
        s.cases.iter().all(|c| c.path.starts_with("/blog/")),
        "{:?}",
        paths(&s)
    );
    assert!(r.out.contains("2 endpoint beyond --max-cases"), "{}", r.out);
    // A higher threshold keeps the blog posts literal.
    let r = import(&["--slug-threshold", "100", log.to_str().unwrap()]);
    assert!(
        r.out.contains("42 endpoints found (0 high-cardinality"),
        "{}",
        r.out
    );
}

#[test]
fn output_is_byte_identical_for_the_same_input() {
    let inputs = [
        f("logpush.ndjson"),
        f("fastly.jsonl"),
        f("session.har"),
        f("sitemap.xml"),
        f("secrets.har"),
    ];
    let args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let a = import(&args);
    let b = import(&args);
    assert_eq!(a.code, 0, "{}", a.out);
    assert!(!a.suites.is_empty());
    assert_eq!(a.suites, b.suites);
    // The summary names files as given; the rest is identical too.
    assert_eq!(a.out, b.out);
}

/// Every secret value planted in the fixtures (each holds `s3cr3t`).
const SECRETS: &[&str] = &[
    "s3cr3tCookie1",
    "session=s3cr3tCookie1; theme=dark",
    "s3cr3tBearer2",
    "Bearer s3cr3tBearer2",
    "alice:s3cr3tPassword3",
    "s3cr3tPassword3",
    "s3cr3tQueryToken4",
    "s3cr3tAmzSig5",
    "AKIAs3cr3tCred6/20250101/us-east-1/s3/aws4_request",
    "s3cr3tCfSignature7~x",
    "s3cr3tKeyPair8",
    "s3cr3tApiKey9",
    "s3cr3tOauthCode10",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzM2NyM3QxMSJ9.s3cr3tJwtSig11",
    "s3cr3tJsession12",
    "https://x.example/cb?sig=s3cr3tNested13",
    "s3cr3tNested13",
    "s3cr3tPw14",
    "s3cr3tXApiKey15",
    "s3cr3tSetCookie16",
    "exp=1700000000~acl=/*~hmac=s3cr3tHmac17",
    "s3cr3tHmac17",
    "s3cr3tLogpushSession18",
    "s3cr3tLogpushCookie19",
    "s3cr3tLogpushBearer20",
    "s3cr3tUserInfo21",
    "s3cr3tPathHmac22",
    "s3cr3tLogpushCookies23",
    "s3cr3tAuth24",
    "s3cr3tRemoteUser25",
    "s3cr3tNginxSig26",
    "s3cr3tReferer27",
    "s3cr3tUa28",
    "198.51.100.77",
    "198.51.100.79",
];

fn b64(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// The forms a secret may take: clear, percent-encoded (reserved characters
/// only, and every byte), base64 (standard and URL-safe, padded or not).
fn forms(secret: &str) -> Vec<String> {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let reserved: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let every: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
    let mut v = vec![
        secret.to_string(),
        reserved.clone(),
        reserved.to_ascii_lowercase(),
        every,
    ];
    for alphabet in [STD, URL] {
        for pad in [true, false] {
            v.push(b64(secret.as_bytes(), alphabet, pad));
        }
    }
    v
}

#[test]
fn credentials_never_reach_the_output() {
    for mode in ["placeholder", "drop"] {
        let r = import(&[
            "--credentials",
            mode,
            &f("secrets.har"),
            &f("secrets-logpush.ndjson"),
            &f("secrets-nginx.log"),
        ]);
        assert_eq!(r.code, 0, "{}", r.out);
        let mut everything = r.out.clone();
        for (name, text) in &r.suites {
            everything.push_str(text);
            parse(name, text);
        }
        assert!(
            !everything.to_ascii_lowercase().contains("s3cr3t"),
            "a secret marker leaked:\n{everything}"
        );
        for s in SECRETS {
            for form in forms(s) {
                assert!(
                    !everything.contains(&form),
                    "secret {s:?} leaked as {form:?}:\n{everything}"
                );
            }
        }
        let shop = r.suite("shop.example.com.yaml");
        if mode == "placeholder" {
            for var in [
                "IMPORT_COOKIE",
                "IMPORT_AUTHORIZATION",
                "IMPORT_TOKEN",
                "IMPORT_X_AMZ_SIGNATURE",
                "IMPORT_SIGNATURE",
                "IMPORT_PATH_JWT",
                "IMPORT_PATH_JSESSIONID",
                "IMPORT_REDIRECT",
                "IMPORT_SIG",
            ] {
                assert!(
                    shop.contains(&format!("#   {var}: ")),
                    "{var} not named in the header:\n{shop}"
                );
                assert!(
                    shop.contains(&format!("${{{var}}}")),
                    "{var} not used:\n{shop}"
                );
            }
            // Placeholders are filled by the suite loader and become secrets.
            let s = parse("shop.example.com.yaml", shop);
            assert!(s.secrets.iter().any(|v| v == "filled-IMPORT_TOKEN"));
        } else {
            assert!(!shop.contains("${IMPORT_"), "{shop}");
            assert!(r.out.contains("case carried credentials (IMPORT_AUTHORIZATION, IMPORT_COOKIE), --credentials drop"), "{}", r.out);
            assert!(shop.contains("path: \"/userinfo\""), "{shop}");
        }
    }
}

#[test]
fn hostile_bytes_cannot_change_the_yaml() {
    // Values that would break naive YAML: quotes, colons, `#`, `${`, YAML
    // line separators, non-ASCII, a document marker.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("h.ndjson");
    let lines = [
        r#"{"host":"h.example","url":"/a: b # c\n---\n- x","method":"GET","status":200,"accept_language":"fr\u2028cases: []"}"#,
        r#"{"host":"h.example","url":"/q?x=${HOME}&y=\"z\"","method":"GET","status":200,"accept":"text/html, ${HOME}"}"#,
        r#"{"host":"h.example","url":"/\u00e9t\u00e9/\u2029","method":"GET","status":200,"accept":"*/*"}"#,
    ];
    std::fs::write(&log, lines.join("\n")).unwrap();
    let r = import(&[log.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.out);
    let text = r.suite("h.example.yaml");
    assert!(text.is_ascii(), "{text}");
    let s = parse("h.example.yaml", text);
    assert_eq!(
        s.secrets,
        Vec::<String>::new(),
        "no variable may be expanded from traffic"
    );
    let got: Vec<(&str, Vec<(&str, &str)>)> = s
        .cases
        .iter()
        .map(|c| {
            (
                c.path.as_str(),
                c.headers
                    .iter()
                    .map(|h| (h.name.as_str(), h.value.as_str()))
                    .collect(),
            )
        })
        .collect();
    insta::assert_debug_snapshot!("hostile_cases", got);
}

#[cfg(unix)]
#[test]
fn imported_suites_have_the_modes_of_plain_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let mode = |p: &Path| std::fs::metadata(p).expect("written").permissions().mode() & 0o777;
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "x").expect("write");
    let r = run_in(dir.path(), &[&f("sitemap.xml")], None);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(!r.suites.is_empty(), "{}", r.out);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .expect("out")
        .map(|e| e.expect("entry").path())
        .collect();
    for p in &files {
        // 0666 less the umask, as a plain write: not a temporary file's 0600.
        assert_eq!(mode(p), mode(&plain), "{}", p.display());
        assert_ne!(mode(p), 0o600, "{}", p.display());
    }
    // Replaced with --force, a suite keeps the mode it was given.
    std::fs::set_permissions(&files[0], std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let r = run_in(dir.path(), &["--force", &f("sitemap.xml")], None);
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(mode(&files[0]), 0o640);
}
