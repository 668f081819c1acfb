//! `report.html`: one self-contained file, no network fetches at all.
//!
//! Inline CSS and one small inline script (filters by suite, verdict and
//! severity, kept in the URL fragment: `#verdict=differs,error&suite=api`).
//! Differences show baseline and candidate side by side; text body diffs
//! are laid out side by side from their unified diff, `-` lines red and `+`
//! lines green, with the unified text one click away.
//!
//! Everything that came from a server or a suite is HTML-escaped (`esc`).
//! As a second wall, a Content-Security-Policy allows no source of anything
//! but inline styles and the one script whose SHA-256 it names, so even a
//! missed escape could never run an injected script or load a resource.

use std::fmt::Write as _;

use crate::model::Difference;
use crate::model::Report;
use crate::model::Severity;
use crate::model::{check_expectation, CaseResult, Verdict};

/// Cases opened by default (the most severe first); the rest are one click.
const OPEN_CASES: usize = 30;

/// Escape text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648 §4), for the CSP hash.
pub fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The CSP source for the inline script: `'sha256-…'`.
pub fn script_hash() -> String {
    use sha2::{Digest, Sha256};
    format!("'sha256-{}'", base64(&Sha256::digest(SCRIPT.as_bytes())))
}

/// The Content-Security-Policy of the report.
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {}; base-uri 'none'; form-action 'none'",
        script_hash()
    )
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Parity => "v-parity",
        Verdict::Differs => "v-differs",
        Verdict::Flaky => "v-flaky",
        Verdict::NoGolden => "v-no-golden",
        Verdict::Error => "v-error",
    }
}

fn sev_badge(s: Severity) -> String {
    format!("<span class=\"sev s-{0}\">{0}</span>", s.as_str())
}

pub fn render(report: &Report) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let candidates = super::candidates(report);
    let title = format!(
        "edgeparity · {} · {} vs {}",
        report.environment,
        report.baseline,
        candidates.join(", ")
    );
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        csp(),
        esc(&title)
    );

    // Header.
    let shard = report
        .shard
        .map(|s| format!(" · shard {s}"))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "<header><h1>edgeparity <span class=\"env\">{}</span></h1>\
         <p class=\"meta\">baseline <b>{}</b> vs <b>{}</b> · started {} · {:.1} s{shard} · {} {} · report.json schema v{}</p></header>",
        esc(&report.environment),
        esc(&report.baseline),
        esc(&candidates.join(", ")),
        esc(&report.started_at),
        report.duration_ms as f64 / 1000.0,
        esc(&report.tool.name),
        esc(&report.tool.version),
        report.schema_version
    );
    if report.insecure || !report.warnings.is_empty() {
        o.push_str("<ul class=\"warnings\">");
        for w in &report.warnings {
            let _ = write!(o, "<li>{}</li>", esc(w));
        }
        o.push_str("</ul>\n");
    }

    // Counts.
    let s = &report.summary;
    o.push_str("<section class=\"cards\">");
    let _ = write!(
        o,
        "<div class=\"card total\"><b>{}</b><span>cases</span></div>",
        s.total
    );
    for (v, n) in [
        (Verdict::Parity, s.parity),
        (Verdict::Differs, s.differs),
        (Verdict::Flaky, s.flaky),
        (Verdict::NoGolden, s.no_golden),
        (Verdict::Error, s.error),
    ] {
        let _ = write!(
            o,
            "<div class=\"card {}{}\"><b>{n}</b><span>{}</span></div>",
            verdict_class(v),
            if n == 0 { " zero" } else { "" },
            v.as_str()
        );
    }
    o.push_str("<div class=\"sep\"></div>");
    for (sev, diffs, cases) in super::severity_counts(report) {
        let _ = write!(
            o,
            "<div class=\"card s-{0}{1}\"><b>{diffs}</b><span>{0} · {cases} case{2}</span></div>",
            sev.as_str(),
            if diffs == 0 { " zero" } else { "" },
            if cases == 1 { "" } else { "s" }
        );
    }
    o.push_str("</section>\n");

    // Filters.
    o.push_str("<nav class=\"filters\" id=\"filters\">");
    o.push_str("<fieldset><legend>Verdict</legend>");
    for (v, n) in [
        (Verdict::Differs, s.differs),
        (Verdict::Flaky, s.flaky),
        (Verdict::NoGolden, s.no_golden),
        (Verdict::Error, s.error),
        (Verdict::Parity, s.parity),
    ] {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"verdict\" value=\"{0}\" checked> <span class=\"badge {1}\">{0}</span> <small>{n}</small></label>",
            v.as_str(),
            verdict_class(v)
        );
    }
    o.push_str("</fieldset><fieldset><legend>Worst severity</legend>");
    let worst_count =
        |w: Option<Severity>| report.cases.iter().filter(|c| super::worst(c) == w).count();
    for sev in Severity::ALL {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"severity\" value=\"{0}\" checked> {1} <small>{2}</small></label>",
            sev.as_str(),
            sev_badge(sev),
            worst_count(Some(sev))
        );
    }
    let _ = write!(
        o,
        "<label><input type=\"checkbox\" name=\"severity\" value=\"none\" checked> <span class=\"sev s-none\">none</span> <small>{}</small></label>",
        worst_count(None)
    );
    o.push_str("</fieldset><fieldset><legend>Suite</legend>");
    for suite in super::suites(report) {
        let n = report.cases.iter().filter(|c| c.suite == suite).count();
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"suite\" value=\"{0}\" checked> {0} <small>{n}</small></label>",
            esc(suite)
        );
    }
    let _ = writeln!(
        o,
        "</fieldset><output id=\"shown\">{0} cases</output></nav>",
        report.cases.len()
    );

    // Cases: not at parity first, most severe first; then parity by id.
    o.push_str("<main id=\"cases\">\n");
    let mut order = super::top_cases(report);
    let mut parity: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Parity)
        .collect();
    parity.sort_by(|a, b| a.id.cmp(&b.id));
    order.extend(parity);
    for (i, c) in order.iter().enumerate() {
        case(&mut o, report, c, i);
    }
    if report.cases.is_empty() {
        o.push_str("<p class=\"empty\">No cases in this report.</p>");
    }
    o.push_str("</main>\n");

    // Latency.
    if !report.latency.is_empty() {
        o.push_str(
            "<section class=\"latency\"><h2>Latency <small>total time per response, by suite and provider</small></h2>\
             <table><thead><tr><th>Suite</th><th>Provider</th><th class=\"num\">Requests</th><th class=\"num\">p50</th>\
             <th class=\"num\">p95</th><th class=\"num\">max</th><th class=\"num\">Failed cases</th><th class=\"num\">Error rate</th></tr></thead><tbody>",
        );
        for l in &report.latency {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{} of {}</td><td class=\"num{}\">{:.1}%</td></tr>",
                esc(&l.suite),
                esc(&l.provider),
                if l.provider == report.baseline {
                    " <small>baseline</small>"
                } else {
                    ""
                },
                l.requests,
                super::ms(l.p50_ms),
                super::ms(l.p95_ms),
                super::ms(l.max_ms),
                l.errors,
                l.cases,
                if l.errors > 0 { " bad" } else { "" },
                l.error_rate * 100.0
            );
        }
        o.push_str("</tbody></table></section>\n");
    }

    o.push_str("<footer>Generated by edgeparity from report.json. Self-contained: this page loads nothing.</footer>\n");
    let _ = write!(o, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    o
}

fn case(o: &mut String, report: &Report, c: &CaseResult, i: usize) {
    let worst = super::worst(c);
    let sev = worst.map(|w| w.as_str()).unwrap_or("none");
    let open = c.verdict != Verdict::Parity && i < OPEN_CASES;
    let _ = write!(
        o,
        "<details class=\"case {vc}\" id=\"case-{i}\" data-suite=\"{suite}\" data-verdict=\"{v}\" data-severity=\"{sev}\"{open}>\
         <summary><span class=\"badge {vc}\">{v}</span>{badge}<span class=\"cid\">{id}</span>",
        vc = verdict_class(c.verdict),
        suite = esc(&c.suite),
        v = c.verdict.as_str(),
        open = if open { " open" } else { "" },
        badge = worst.map(sev_badge).unwrap_or_default(),
        id = esc(&c.id),
    );
    if c.expect.is_some() && check_expectation(c).is_ok() {
        o.push_str("<span class=\"note\">as expected</span>");
    }
    let n = c.differences.len();
    let tail = if n > 0 {
        format!("{n} difference{}", if n == 1 { "" } else { "s" })
    } else {
        format!(
            "{} response{}",
            c.responses.len(),
            if c.responses.len() == 1 { "" } else { "s" }
        )
    };
    let _ = write!(
        o,
        "<span class=\"count\">{tail}</span></summary>\n<div class=\"cbody\">"
    );
    if let Some(e) = &c.error {
        let _ = write!(o, "<pre class=\"error\">{}</pre>", esc(e));
    }
    for d in &c.differences {
        difference(o, &report.baseline, d);
    }
    noise(o, c);
    if !c.responses.is_empty() {
        responses(o, c);
    }
    o.push_str("</div></details>\n");
}

/// Learned noise: which slots, and how many differences each absorbed.
fn noise(o: &mut String, c: &CaseResult) {
    if c.noise.slots.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "<details class=\"noise\"><summary>learned noise: {} slot(s), {} difference(s) absorbed</summary><table>\
         <tr><th>where</th><th>slot</th><th>in context</th><th>absorbed</th></tr>",
        c.noise.slots.len(),
        c.noise.suppressed
    );
    for s in &c.noise.slots {
        let _ = write!(
            o,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&s.at),
            esc(&s.slot),
            esc(&s.context),
            s.absorbed
        );
    }
    o.push_str("</table></details>");
}

fn difference(o: &mut String, baseline: &str, d: &Difference) {
    let field = d
        .field
        .as_deref()
        .map(|f| format!(" <code>{}</code>", esc(f)))
        .unwrap_or_default();
    let context = d
        .context
        .as_deref()
        .map(|c| format!(" <span class=\"ctx\">{}</span>", esc(c)))
        .unwrap_or_default();
    let _ = write!(
        o,
        "<div class=\"diff\"><div class=\"dh\">{}<span class=\"kind\">{}</span>{field}<span class=\"msg\">{}</span>\
         <span class=\"prov\">{}</span>{context}</div>",
        sev_badge(d.severity),
        d.kind.as_str(),
        esc(&d.message),
        esc(&d.provider)
    );
    let value = |v: &Option<String>| match v {
        Some(v) => format!("<pre>{}</pre>", esc(v)),
        None => "<pre class=\"absent\">(absent)</pre>".to_string(),
    };
    if d.baseline.is_some() || d.candidate.is_some() || d.diff.is_none() {
        let _ = write!(
            o,
            "<table class=\"sbs\"><thead><tr><th>{} <small>baseline</small></th><th>{}</th></tr></thead>\
             <tbody><tr><td class=\"b\">{}</td><td class=\"c\">{}</td></tr></tbody></table>",
            esc(baseline),
            esc(&d.provider),
            value(&d.baseline),
            value(&d.candidate)
        );
    }
    if let Some(text) = &d.diff {
        side_by_side(o, baseline, &d.provider, text);
        o.push_str("<details class=\"unified\"><summary>unified diff</summary><pre>");
        for line in text.lines() {
            let class = if line.starts_with("+++") || line.starts_with("---") {
                "fh"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else {
                "ctx"
            };
            let _ = writeln!(o, "<span class=\"{class}\">{}</span>", esc(line));
        }
        o.push_str("</pre></details>");
    }
    o.push_str("</div>\n");
}

/// A unified diff laid out in two columns: context on both sides, removed
/// lines left (red), added lines right (green), paired up in order.
fn side_by_side(o: &mut String, baseline: &str, provider: &str, text: &str) {
    let _ = write!(
        o,
        "<table class=\"sbs code\"><colgroup><col class=\"lnc\"><col><col class=\"lnc\"><col></colgroup>\
         <thead><tr><th colspan=\"2\">{} <small>baseline</small></th><th colspan=\"2\">{}</th></tr></thead><tbody>",
        esc(baseline),
        esc(provider)
    );
    let (mut ln, mut rn) = (0usize, 0usize);
    let mut dels: Vec<&str> = Vec::new();
    let mut adds: Vec<&str> = Vec::new();
    let flush = |o: &mut String,
                 dels: &mut Vec<&str>,
                 adds: &mut Vec<&str>,
                 ln: &mut usize,
                 rn: &mut usize| {
        for k in 0..dels.len().max(adds.len()) {
            o.push_str("<tr>");
            match dels.get(k) {
                Some(l) => {
                    *ln += 1;
                    let _ = write!(
                        o,
                        "<td class=\"ln\">{ln}</td><td class=\"del\">{}</td>",
                        esc(l)
                    );
                }
                None => o.push_str("<td class=\"ln\"></td><td class=\"pad\"></td>"),
            }
            match adds.get(k) {
                Some(l) => {
                    *rn += 1;
                    let _ = write!(
                        o,
                        "<td class=\"ln\">{rn}</td><td class=\"add\">{}</td>",
                        esc(l)
                    );
                }
                None => o.push_str("<td class=\"ln\"></td><td class=\"pad\"></td>"),
            }
            o.push_str("</tr>");
        }
        dels.clear();
        adds.clear();
    };
    let mut header = true;
    for line in text.lines() {
        if header && (line.starts_with("--- ") || line.starts_with("+++ ")) {
            continue;
        }
        header = false;
        if let Some(rest) = line.strip_prefix('-') {
            if !adds.is_empty() {
                flush(o, &mut dels, &mut adds, &mut ln, &mut rn);
            }
            dels.push(rest);
        } else if let Some(rest) = line.strip_prefix('+') {
            adds.push(rest);
        } else {
            flush(o, &mut dels, &mut adds, &mut ln, &mut rn);
            if line.starts_with("@@") {
                if let Some((l, r)) = hunk_starts(line) {
                    ln = l.saturating_sub(1);
                    rn = r.saturating_sub(1);
                }
                let _ = write!(
                    o,
                    "<tr class=\"hunk\"><td colspan=\"4\">{}</td></tr>",
                    esc(line)
                );
            } else if let Some(rest) = line.strip_prefix(' ') {
                ln += 1;
                rn += 1;
                let r = esc(rest);
                let _ = write!(
                    o,
                    "<tr><td class=\"ln\">{ln}</td><td>{r}</td><td class=\"ln\">{rn}</td><td>{r}</td></tr>"
                );
            } else {
                let _ = write!(
                    o,
                    "<tr class=\"note\"><td colspan=\"4\">{}</td></tr>",
                    esc(line)
                );
            }
        }
    }
    flush(o, &mut dels, &mut adds, &mut ln, &mut rn);
    o.push_str("</tbody></table>");
}

/// `@@ -3,7 +3,8 @@` → (3, 3).
fn hunk_starts(line: &str) -> Option<(usize, usize)> {
    let mut parts = line.split_whitespace().skip(1);
    let start = |p: Option<&str>, sign: char| -> Option<usize> {
        p?.strip_prefix(sign)?.split(',').next()?.parse().ok()
    };
    Some((start(parts.next(), '-')?, start(parts.next(), '+')?))
}

fn responses(o: &mut String, c: &CaseResult) {
    let _ = write!(
        o,
        "<details class=\"resp\"><summary>Responses ({})</summary><table><thead><tr><th>Provider</th><th>Request</th>\
         <th class=\"num\">Status</th><th>HTTP</th><th>Address</th><th class=\"num\">TTFB</th><th class=\"num\">Total</th>\
         <th class=\"num\">Bytes</th><th>Encoding</th><th>Cache</th></tr></thead><tbody>",
        c.responses.len()
    );
    for r in &c.responses {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.1} ms</td>\
             <td class=\"num\">{:.1} ms</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.provider),
            esc(&r.label.to_string()),
            r.status,
            esc(&r.version),
            esc(r.remote_addr.as_deref().unwrap_or("–")),
            r.ttfb_ms,
            r.total_ms,
            r.body_bytes,
            esc(&r.content_encoding.join(", ")),
            esc(r.cache.outcome.as_str())
        );
    }
    o.push_str("</tbody></table></details>");
}

/// The one script. Its SHA-256 is in the CSP, so it must be static: data
/// reaches it only through the DOM (`data-*` attributes, checkbox values).
pub const SCRIPT: &str = r##"
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[type=checkbox]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#cases .case"));
  var shown = document.getElementById("shown");
  var groups = ["verdict", "severity", "suite"];
  function selected(name) {
    var s = Object.create(null);
    boxes.forEach(function (b) { if (b.name === name && b.checked) { s[b.value] = true; } });
    return s;
  }
  function apply() {
    var v = selected("verdict"), s = selected("severity"), u = selected("suite"), n = 0;
    rows.forEach(function (r) {
      var on = v[r.getAttribute("data-verdict")] === true &&
        s[r.getAttribute("data-severity")] === true &&
        u[r.getAttribute("data-suite")] === true;
      r.hidden = !on;
      if (on) { n += 1; }
    });
    if (shown) { shown.textContent = n + " of " + rows.length + " cases shown"; }
  }
  function fromHash() {
    var h = window.location.hash.replace(/^#/, "");
    var want = Object.create(null);
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) { return; }
      try {
        want[decodeURIComponent(kv.slice(0, i))] = kv.slice(i + 1).split(",").map(decodeURIComponent);
      } catch (e) { /* a malformed fragment selects nothing */ }
    });
    boxes.forEach(function (b) {
      var list = want[b.name];
      b.checked = list ? list.indexOf(b.value) >= 0 : true;
    });
  }
  function toHash() {
    var parts = [];
    groups.forEach(function (g) {
      var all = true, on = [];
      boxes.forEach(function (b) {
        if (b.name !== g) { return; }
        if (b.checked) { on.push(encodeURIComponent(b.value)); } else { all = false; }
      });
      if (!all) { parts.push(g + "=" + on.join(",")); }
    });
    try {
      history.replaceState(null, "", parts.length ? "#" + parts.join("&") : window.location.pathname);
    } catch (e) { /* file: URLs may refuse; the filter still applies */ }
  }
  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(); toHash(); }); });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
})();
"##;

const CSS: &str = r##"
:root{--bg:#f6f7f9;--fg:#1d2330;--muted:#667085;--line:#dfe3ea;--card:#fff;
--parity:#1a7f37;--differs:#cf222e;--flaky:#b35900;--nogolden:#57606a;--error:#8250df;
--crit:#a40e26;--major:#d1490c;--minor:#9a6700;--info:#57606a;
--addbg:#e6ffec;--addfg:#116329;--delbg:#ffebe9;--delfg:#82071e;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:18px 28px 10px;background:#1d2330;color:#fff}
header h1{margin:0;font-size:20px;font-weight:600}
header .env{display:inline-block;margin-left:6px;padding:1px 8px;border-radius:10px;background:#3b4456;font-size:14px;vertical-align:2px}
header .meta{margin:6px 0 4px;color:#c8cfdb}
header b{color:#fff}
.warnings{margin:0;padding:10px 28px 10px 46px;background:#fff8c5;border-bottom:1px solid #eed888;color:#5c4400}
.cards{display:flex;flex-wrap:wrap;gap:10px;padding:16px 28px 4px}
.card{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:8px;padding:8px 14px;min-width:96px}
.card b{display:block;font-size:22px;line-height:1.1}
.card span{color:var(--muted);font-size:12px}
.card.zero{opacity:.55}
.card.total{border-left-color:#1d2330}
.sep{width:14px}
.v-parity{--c:var(--parity)}.v-differs{--c:var(--differs)}.v-flaky{--c:var(--flaky)}.v-no-golden{--c:var(--nogolden)}.v-error{--c:var(--error)}
.s-critical{--c:var(--crit)}.s-major{--c:var(--major)}.s-minor{--c:var(--minor)}.s-info{--c:var(--info)}.s-none{--c:#8c959f}
.card[class*=" v-"],.card[class*=" s-"]{border-left-color:var(--c)}
.card[class*=" v-"] b,.card[class*=" s-"] b{color:var(--c)}
.badge,.sev{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;line-height:18px;white-space:nowrap}
.badge{background:var(--c);color:#fff}
.sev{color:var(--c);border:1px solid var(--c);background:#fff}
.filters{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;align-items:center;gap:8px 18px;margin:12px 0 0;padding:10px 28px;background:rgba(246,247,249,.96);border-bottom:1px solid var(--line)}
.filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 10px;align-items:center}
.filters legend{float:left;margin-right:6px;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.filters label{cursor:pointer;user-select:none;white-space:nowrap}
.filters small{color:var(--muted)}
#shown{margin-left:auto;color:var(--muted)}
main{padding:12px 28px}
.case{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--c);border-radius:8px;margin:0 0 8px}
.case[hidden]{display:none!important}
.case>summary{cursor:pointer;display:flex;align-items:center;gap:8px;padding:8px 12px;list-style:none}
.case>summary::-webkit-details-marker{display:none}
.case>summary::before{content:"▸";color:var(--muted);width:10px}
.case[open]>summary::before{content:"▾"}
.cid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600;overflow-wrap:anywhere}
.count,.note{margin-left:auto;color:var(--muted);font-size:12px;white-space:nowrap}
.note{margin-left:0;color:var(--parity)}
.cbody{padding:0 14px 12px 30px}
pre{margin:0;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
pre.error{padding:8px 10px;background:#fbefff;border:1px solid #d8b9ff;border-radius:6px;color:#512a97}
.diff{margin:10px 0 14px}
.dh{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-bottom:6px}
.kind{font-weight:600;text-transform:uppercase;font-size:11px;letter-spacing:.05em;color:var(--muted)}
.dh code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;padding:1px 5px;border-radius:4px;overflow-wrap:anywhere}
.msg{flex:1 1 300px}
.prov,.ctx{font-size:12px;color:var(--muted)}
.prov::before{content:"on "}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border:1px solid var(--line)}
th{background:#f0f2f5;font-weight:600;font-size:12px}
th small{color:var(--muted);font-weight:400}
.sbs{table-layout:fixed;margin-top:4px}
.sbs td.b{background:#fff8f7}.sbs td.c{background:#f6fff8}
pre.absent{color:var(--muted);font-style:italic}
.code td{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere;border-width:0 1px;padding:0 6px}
.code col.lnc{width:44px}
.code td.ln{color:#8c959f;text-align:right;background:#f6f8fa;user-select:none;width:44px}
.code td.del{background:var(--delbg);color:var(--delfg)}
.code td.add{background:var(--addbg);color:var(--addfg)}
.code td.del::before{content:"- ";color:var(--delfg)}
.code td.add::before{content:"+ ";color:var(--addfg)}
.code td.pad{background:#f6f8fa}
.code tr.hunk td,.code tr.note td{background:#ddf4ff;color:#0550ae;padding:2px 8px;border:1px solid var(--line)}
.code tbody tr:last-child td{border-bottom:1px solid var(--line)}
details.unified,details.resp{margin-top:6px}
details.unified>summary,details.resp>summary{cursor:pointer;color:var(--muted);font-size:12px}
.unified pre{padding:6px 8px;border:1px solid var(--line);border-radius:6px;background:#fff}
.unified .add{color:var(--addfg);background:var(--addbg);display:block}
.unified .del{color:var(--delfg);background:var(--delbg);display:block}
.unified .hunk{color:#0550ae;display:block}
.unified .fh{color:var(--muted);display:block}
.resp table{margin-top:4px;font-size:12px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.latency{padding:4px 28px 10px}
.latency h2{font-size:16px;margin:8px 0}
.latency h2 small{font-weight:400;color:var(--muted);font-size:12px}
.latency table{background:#fff}
.latency small{color:var(--muted)}
td.bad{color:var(--differs);font-weight:600}
.empty{color:var(--muted)}
footer{padding:14px 28px 24px;color:var(--muted);font-size:12px}
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            esc("<img src=x onerror='a'>&\"\0"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;\u{FFFD}"
        );
    }

    #[test]
    fn side_by_side_pairs_removed_and_added_lines() {
        let mut o = String::new();
        side_by_side(
            &mut o,
            "fastly",
            "cloudflare",
            "--- baseline\n+++ cloudflare\n@@ -2,3 +2,3 @@\n a\n-b\n+B\n c\n",
        );
        assert!(o.contains("<td class=\"ln\">2</td><td>a</td><td class=\"ln\">2</td><td>a</td>"));
        assert!(o.contains(
            "<td class=\"ln\">3</td><td class=\"del\">b</td><td class=\"ln\">3</td><td class=\"add\">B</td>"
        ));
        assert!(!o.contains("baseline\n"));
        assert_eq!(hunk_starts("@@ -12 +14,2 @@"), Some((12, 14)));
    }
}
