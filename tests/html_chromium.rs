//! report.html in a real browser: headless Chromium (Debian `chromium`).
//! Hostile content from responses never runs, not even when escaping is
//! bypassed (the CSP stops it); the filters follow the URL fragment; and a
//! screenshot is produced. Chromium missing is a failure, never a skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const TITLE: &str = "<title>edgeparity · staging · fastly vs cloudflare</title>";

fn chromium_path() -> &'static str {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: these tests need headless Chromium. \
         Install it with `apt-get install chromium` (CI does); they are never skipped."
    );
    CHROMIUM
}

/// Run headless Chromium with a fresh profile; returns stdout. Killed after 90 s.
fn chromium(extra: &[&str], url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(chromium_path())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).expect("read chromium output");
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

fn write_html(dir: &Path, html: &str) -> PathBuf {
    let path = dir.join("report.html");
    std::fs::write(&path, html).expect("write report.html");
    path
}

fn url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.display())
}

fn dump(path: &Path, fragment: &str) -> String {
    let dom = chromium(&["--dump-dom"], &url(path, fragment));
    assert!(dom.contains("</html>"), "no DOM dumped: {dom}");
    dom
}

/// (case id, verdict, suite, hidden) of every case row in a dumped DOM.
fn rows(dom: &str) -> Vec<(String, String, String, bool)> {
    let re = regex::Regex::new(
        r#"(?s)<details class="case [^"]*" id="c-[^"]*" data-suite="([^"]*)" data-verdict="([^"]*)" data-severity="[^"]*"([^>]*)>.*?<span class="cid">([^<]*)</span>"#,
    )
    .unwrap();
    re.captures_iter(dom)
        .map(|c| {
            (
                c[4].to_string(),
                c[2].to_string(),
                c[1].to_string(),
                c[3].contains("hidden"),
            )
        })
        .collect()
}

fn visible(dom: &str) -> Vec<String> {
    let mut v: Vec<String> = rows(dom)
        .into_iter()
        .filter(|r| !r.3)
        .map(|r| r.0)
        .collect();
    v.sort();
    v
}

fn assert_not_injected(dom: &str) {
    assert!(
        dom.contains(TITLE),
        "title changed: {}",
        &dom[..dom.len().min(2000)]
    );
    assert!(!dom.contains("pwned</title>") && !dom.contains("<title>pwned"));
    assert!(!dom.contains("csp-bypass</title>") && !dom.contains("<title>csp"));
    let injected = regex::Regex::new(r#"<img[^>]*id="injected""#).unwrap();
    assert!(!injected.is_match(dom), "an injected element exists");
    assert!(
        !dom.contains("<script>document.title"),
        "injected script element in the DOM"
    );
    // Our own script ran (under the CSP's hash): it rewrote the counter.
    assert!(
        dom.contains("cases shown</output>"),
        "the report's script did not run"
    );
}

#[test]
fn injected_markup_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_html(
        dir.path(),
        &edgeparity::render::html::render(&fixture_report()),
    );
    let dom = dump(&path, "");
    assert_not_injected(&dom);
    // The payload is there, as text.
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "payload shown as text"
    );
    assert!(
        dom.contains("&lt;img id=\"injected\" src=x onerror="),
        "payload shown as text"
    );
    assert!(dom.contains("9 of 9 cases shown"));
}

#[test]
fn csp_stops_a_script_that_escaping_missed() {
    let dir = tempfile::tempdir().unwrap();
    let html = edgeparity::render::html::render(&fixture_report());
    // Simulate an escaping bug: raw markup straight into the page.
    let hostile = "<main id=\"cases\">\n<script>document.title='csp-bypass'</script>\
                   <img id=\"injected-raw\" src=x onerror=\"document.title='csp-img'\">\
                   <div id=\"ran\" hidden></div><script>document.getElementById('ran').removeAttribute('hidden')</script>";
    let broken = html.replacen("<main id=\"cases\">\n", hostile, 1);
    assert_ne!(broken, html);
    let path = write_html(dir.path(), &broken);
    let dom = dump(&path, "");
    assert!(
        dom.contains(TITLE),
        "a script ran despite the CSP: {}",
        &dom[..dom.len().min(1500)]
    );
    assert!(
        dom.contains("<div id=\"ran\" hidden=\"\"></div>"),
        "an inline script ran despite the CSP"
    );
    assert!(
        dom.contains("9 of 9 cases shown"),
        "the report's own script must still run"
    );
}

#[test]
fn filters_follow_the_url_fragment() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_html(
        dir.path(),
        &edgeparity::render::html::render(&fixture_report()),
    );

    let all = dump(&path, "");
    assert_eq!(rows(&all).len(), 9);
    assert_eq!(visible(&all).len(), 9, "everything shown by default");

    let dom = dump(&path, "#verdict=differs");
    assert_eq!(
        visible(&dom),
        [
            "api::price",
            "checkout::cart",
            "checkout::home",
            "checkout::pay"
        ]
    );
    for (id, verdict, _, hidden) in rows(&dom) {
        assert_eq!(hidden, verdict != "differs", "{id}");
    }
    assert!(dom.contains("4 of 9 cases shown"));

    let dom = dump(&path, "#suite=api&severity=major,info");
    assert_eq!(visible(&dom), ["api::etag", "api::price"]);

    let dom = dump(&path, "#verdict=error,no-golden,parity&suite=api");
    assert_eq!(visible(&dom), ["api::health", "api::legacy", "api::user"]);

    // The text search (kept in the fragment) over ids, URLs and messages.
    let dom = dump(&path, "#q=x-frame-options");
    assert_eq!(visible(&dom), ["checkout::cart"]);
    let dom = dump(&path, "#verdict=differs&q=checkout");
    assert_eq!(
        visible(&dom),
        ["checkout::cart", "checkout::home", "checkout::pay"]
    );

    // A case's anchor is its id, the same from run to run, and opens it.
    let anchor = edgeparity::render::html::anchor("api::health");
    assert_eq!(anchor, "c-api::health");
    let dom = dump(&path, &format!("#{anchor}"));
    let re =
        regex::Regex::new(r#"<details class="case [^"]*" id="c-api::health"[^>]* open"#).unwrap();
    assert!(re.is_match(&dom), "the linked case is opened");
    // The count tiles are links to their verdict alone.
    assert!(dom.contains(r##"href="#verdict=differs""##));

    // A severity tile: the cases with a difference of that severity, its
    // worst or not (checkout::cart's minor one is under a major), said by
    // a button that drops the filter.
    assert!(all.contains(r##"<a class="card s-minor" href="#has=minor">"##));
    let dom = dump(&path, "#has=minor");
    assert_eq!(visible(&dom), ["checkout::cart"]);
    assert!(dom.contains("1 of 9 cases shown"));
    assert!(
        dom.contains(r#"<button type="button" id="has" title="Show every severity again">with a minor difference ×</button>"#),
        "the filter is shown while set"
    );
    let dom = dump(&path, "#has=major&suite=checkout");
    assert_eq!(visible(&dom), ["checkout::cart", "checkout::home"]);
    // The total tile clears every filter.
    assert!(all.contains(r##"<a class="card total" href="#all">"##));
    let dom = dump(&path, "#all");
    assert_eq!(visible(&dom).len(), 9);
    assert!(dom.contains(r#"<button type="button" id="has" hidden="""#));
    // The suite list has its own filter box and All / None.
    for id in ["suite-q", "suites-all", "suites-none"] {
        assert!(all.contains(&format!("id=\"{id}\"")), "{id}");
    }
}

/// Narrow and wide, nothing is wider than the window: the report's script
/// marks the page when it is. Headless Chromium's window is at least 500
/// CSS px wide whatever `--window-size` says (a 390 px phone cannot be set
/// from its command line), so the narrow check runs at that width, which
/// the page records.
#[test]
fn no_horizontal_overflow_when_narrow_or_on_a_desktop() {
    let dir = tempfile::tempdir().unwrap();
    let html = edgeparity::render::html::render(&fixture_report());
    // Every case and its responses opened: diffs and exchanges laid out.
    let all_open = html
        .replace("<details class=\"case ", "<details open class=\"case ")
        .replace("<details class=\"resp\"", "<details open class=\"resp\"");
    let width_attr = regex::Regex::new(r#"data-width="(\d+)""#).unwrap();
    for (page, name) in [(&html, "closed"), (&all_open, "open")] {
        let path = write_html(dir.path(), page);
        for (size, widest) in [
            ("--window-size=390,844", 500),
            ("--window-size=1400,1000", 1400),
        ] {
            let dom = chromium(&["--dump-dom", size], &url(&path, ""));
            let width: u32 = width_attr
                .captures(&dom)
                .and_then(|c| c[1].parse().ok())
                .expect("the page records its width");
            assert!(width <= widest, "{size}: laid out at {width} px");
            assert!(
                dom.contains(r#"data-overflow="no""#),
                "{name} cases, {size}: the page is wider than its {width} px window"
            );
        }
    }
    let shot = dir.path().join("narrow.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=390,844",
        ],
        &url(&write_html(dir.path(), &all_open), ""),
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let _ = std::fs::write("/tmp/edgeparity-report-narrow.png", &png);
}

#[test]
fn a_screenshot_is_produced() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_html(
        dir.path(),
        &edgeparity::render::html::render(&fixture_report()),
    );
    let shot = dir.path().join("report.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000",
        ],
        &url(&path, "#suite=checkout&severity=major"),
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert!(png.len() > 10 * 1024, "screenshot only {} bytes", png.len());
    // For people to look at.
    let _ = std::fs::write("/tmp/edgeparity-report.png", &png);
}

#[test]
fn a_real_report_with_a_hostile_body_is_safe() {
    let s = planted_servers();
    let p = planted_project(s.port);
    let out = edgeparity(&["run", "--jobs", "4"], p.dir.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = p.path("reports/latest/report.html");
    let dom = dump(&path, "#verdict=differs");
    assert!(
        dom.contains("<title>edgeparity · local · fastly vs cloudflare</title>"),
        "title changed"
    );
    assert!(!regex::Regex::new(r#"<img[^>]*id="injected""#)
        .unwrap()
        .is_match(&dom));
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "diff shown as text"
    );
    let mut shown = visible(&dom);
    shown.sort();
    assert_eq!(shown, PLANTED_DIFFERING);
}

/// The page of a 100,000-case run opens in Chromium and its script runs
/// over every row: the compact list of cases at parity is filtered and
/// searched like the cards.
#[test]
fn a_100k_case_report_opens_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let report = bulk_report(100_000);
    let total = report.cases.len();
    let path = write_html(dir.path(), &edgeparity::render::html::render(&report));
    let dom = dump(&path, "#q=c099999");
    assert!(
        dom.contains(&format!("1 of {total} cases shown")),
        "the search ran over every row"
    );
    assert!(dom.contains(
        "<div class=\"case\" id=\"c-bulk::c099999\" data-suite=\"bulk\">bulk::c099999</div>"
    ));
    assert!(
        dom.contains("<div class=\"case\" id=\"c-bulk::c000001\" data-suite=\"bulk\" hidden=\"\">")
    );
    let dom = dump(&path, "#verdict=differs");
    assert!(dom.contains(&format!(
        "{} of {total} cases shown",
        report.summary.differs
    )));
}

/// A phone's 390 CSS px, for real: the page laid out inside a 390 px wide
/// iframe (an iframe is its own viewport, so media queries and
/// `window.innerWidth` see 390), whose root the outer page reads after
/// the report's own script ran (`--allow-file-access-from-files` lets a
/// file page read a file frame). Headless Chromium's window cannot be
/// narrower than 500 px, so this is how the phone width is checked.
#[test]
fn no_horizontal_overflow_at_a_phones_390_px() {
    let dir = tempfile::tempdir().unwrap();
    let html = edgeparity::render::html::render(&fixture_report());
    let all_open = html
        .replace("<details class=\"case ", "<details open class=\"case ")
        .replace("<details class=\"resp\"", "<details open class=\"resp\"");
    let report = write_html(dir.path(), &all_open);
    let phone = dir.path().join("phone.html");
    std::fs::write(
        &phone,
        format!(
            "<!doctype html><html><body style=\"margin:0\">\
             <iframe id=\"f\" src=\"{}\" style=\"width:390px;height:844px;border:0\"></iframe>\
             <script>document.getElementById('f').onload = function () {{\
               var d = this.contentDocument.documentElement;\
               document.body.setAttribute('data-frame-overflow', d.getAttribute('data-overflow'));\
               document.body.setAttribute('data-frame-width', d.getAttribute('data-width'));\
             }};</script></body></html>",
            url(&report, "")
        ),
    )
    .unwrap();
    let dom = chromium(
        &[
            "--dump-dom",
            "--allow-file-access-from-files",
            "--window-size=800,900",
        ],
        &url(&phone, ""),
    );
    assert!(
        dom.contains(r#"data-frame-width="390""#),
        "the report was laid out at 390 px: {}",
        dom.lines()
            .find(|l| l.contains("<body"))
            .unwrap_or_default()
    );
    assert!(
        dom.contains(r#"data-frame-overflow="no""#),
        "at 390 px the page is wider than the phone"
    );
    let shot = dir.path().join("phone.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--allow-file-access-from-files",
            "--window-size=500,844",
        ],
        &url(&phone, ""),
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let _ = std::fs::write("/tmp/edgeparity-report-390.png", &png);
}

/// A group's section (a matrix, one case on several hosts) hides when the
/// filters hide all its cases, and shows when one of them is shown.
#[test]
fn filters_hide_a_group_with_no_case_shown() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_html(
        dir.path(),
        &edgeparity::render::html::render(&grouped_report()),
    );
    let section = |dom: &str, group: &str| -> Option<bool> {
        let re = regex::Regex::new(&format!(
            r#"<section class="group" data-group="{}"( hidden="")?>"#,
            regex::escape(group)
        ))
        .unwrap();
        re.captures(dom).map(|c| c.get(1).is_none())
    };
    let all = dump(&path, "");
    for g in ["shop::home", "shop::about", "api::feed"] {
        assert_eq!(section(&all, g), Some(true), "{g} shown by default");
    }
    // Only differs: the group all at parity hides, the others stay.
    let dom = dump(&path, "#verdict=differs");
    assert_eq!(section(&dom, "shop::about"), Some(false));
    assert_eq!(section(&dom, "shop::home"), Some(true));
    assert!(visible(&dom).contains(&"shop::home[lang=ja]".to_string()));
    assert!(!visible(&dom).contains(&"shop::home[lang=en]".to_string()));
    // A search for one combination keeps its group's head and no other.
    let dom = dump(&path, "#q=lang%3Dfr");
    assert_eq!(visible(&dom), ["shop::home[lang=fr]"]);
    assert_eq!(section(&dom, "shop::home"), Some(true));
    assert_eq!(section(&dom, "api::feed"), Some(false));
    assert_eq!(section(&dom, "shop::about"), Some(false));
}

/// The suite list's filter box and All / None, used as a person would: the
/// report in a frame, an outer page typing and clicking in it, then
/// writing what the report shows onto its own body to be dumped.
#[test]
fn the_suite_list_filters_by_typing_and_all_none_set_the_suites_listed() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_html(
        dir.path(),
        &edgeparity::render::html::render(&fixture_report()),
    );
    let outer = dir.path().join("outer.html");
    std::fs::write(
        &outer,
        format!(
            "<!doctype html><html><body>\
             <iframe id=\"f\" src=\"{}\" style=\"width:1000px;height:800px\"></iframe>\
             <script>document.getElementById('f').onload = function () {{\
               var d = this.contentDocument, b = document.body;\
               var shown = function () {{ return d.getElementById('shown').textContent; }};\
               var listed = function () {{\
                 return Array.prototype.filter.call(d.querySelectorAll('input[name=suite]'),\
                   function (x) {{ return !x.parentNode.hidden; }}).map(function (x) {{ return x.value; }}).join(',');\
               }};\
               var q = d.getElementById('suite-q');\
               q.value = 'CHECK'; q.dispatchEvent(new Event('input'));\
               b.setAttribute('data-listed', listed());\
               d.getElementById('suites-none').click();\
               b.setAttribute('data-after-none', shown());\
               b.setAttribute('data-hash-none', this.contentWindow.location.hash);\
               q.value = ''; q.dispatchEvent(new Event('input'));\
               b.setAttribute('data-listed-all', listed());\
               d.getElementById('suites-none').click();\
               b.setAttribute('data-after-all-none', shown());\
               d.getElementById('suites-all').click();\
               b.setAttribute('data-after-all', shown());\
             }};</script></body></html>",
            url(&report, "")
        ),
    )
    .unwrap();
    let dom = chromium(
        &["--dump-dom", "--allow-file-access-from-files"],
        &url(&outer, ""),
    );
    let body = dom
        .lines()
        .find(|l| l.contains("<body"))
        .unwrap_or_default()
        .to_string();
    // Typing lists the matching suites only (case-insensitive).
    assert!(body.contains(r#"data-listed="checkout""#), "{body}");
    // None clears the listed suites only: api's 5 cases stay.
    assert!(
        body.contains(r#"data-after-none="5 of 9 cases shown""#),
        "{body}"
    );
    assert!(body.contains(r##"data-hash-none="#suite=api""##), "{body}");
    assert!(body.contains(r#"data-listed-all="checkout,api""#), "{body}");
    assert!(
        body.contains(r#"data-after-all-none="0 of 9 cases shown""#),
        "{body}"
    );
    assert!(
        body.contains(r#"data-after-all="9 of 9 cases shown""#),
        "{body}"
    );
}
