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

use crate::model::report::{group_of, group_tallies, CaseSource, GroupTally, GroupsWith, Order};
use crate::model::{
    check_expectation, CaseResult, DiffLine, Difference, Hunk, LineTag, Report, Severity, Verdict,
};

/// Cases opened by default (the most severe first); the rest are one click.
const OPEN_CASES: usize = 30;

/// Past this many cases at parity, they are a compact list (id and anchor,
/// searchable and filtered like the rest) instead of a card each: a card
/// with its responses is about 2 KB, so 100,000 of them would be a page
/// too large to open; a list item is under 100 bytes, and every detail is
/// still in `report.json`.
pub const FULL_PARITY: usize = 200;

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
            // Bidirectional controls and other invisible characters from a
            // server or a suite are shown, never obeyed.
            c if crate::model::is_invisible(c) => {
                let _ = write!(out, "⟨U+{:04X}⟩", c as u32);
            }
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
    let cases = &report.cases;
    let mut out = Vec::new();
    // In memory, neither the tally nor the writing can fail.
    if let Ok(tally) = super::Tally::of(cases) {
        let _ = write(&mut out, report, cases, &tally);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `report.html` for `report` (its `cases` ignored) with `cases`, written
/// as it is rendered: the page's head from the tally, then one case at a
/// time (not at parity first, most severe first, a group's cases whole
/// under its roll-up; then parity by id).
pub fn write(
    w: &mut dyn std::io::Write,
    report: &Report,
    cases: &dyn CaseSource,
    tally: &super::Tally,
) -> std::io::Result<()> {
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
    // Every tile is a link: the total clears every filter, a verdict shows
    // that verdict alone, a severity the cases with such a difference.
    let _ = write!(
        o,
        "<a class=\"card total\" href=\"#all\"><b>{}</b><span>cases</span></a>",
        s.total
    );
    for (v, n) in [
        (Verdict::Parity, s.parity),
        (Verdict::Differs, s.differs),
        (Verdict::Flaky, s.flaky),
        (Verdict::NoGolden, s.no_golden),
        (Verdict::Error, s.error),
    ] {
        // A tile is a link: it shows that verdict alone (the fragment the
        // filters follow).
        let _ = write!(
            o,
            "<a class=\"card {}{}\" href=\"#verdict={2}\"><b>{n}</b><span>{2}</span></a>",
            verdict_class(v),
            if n == 0 { " zero" } else { "" },
            v.as_str()
        );
    }
    o.push_str("<div class=\"sep\"></div>");
    for &(sev, diffs, cases) in &tally.severity {
        let _ = write!(
            o,
            "<a class=\"card s-{0}{1}\" href=\"#has={0}\"><b>{diffs}</b><span>{0} · {cases} case{2}</span></a>",
            sev.as_str(),
            if diffs == 0 { " zero" } else { "" },
            if cases == 1 { "" } else { "s" }
        );
    }
    o.push_str("</section>\n");

    // Filters.
    o.push_str(
        "<nav class=\"filters\" id=\"filters\"><input type=\"search\" id=\"q\" \
         placeholder=\"Search ids, URLs, messages\" aria-label=\"Search cases\">",
    );
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
    let worst_count = |w: Option<Severity>| tally.worst_count(w);
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
    // Scrolls past a few lines: a migration has hundreds of suites, so the
    // list is filtered by typing, and All / None act on the suites listed.
    o.push_str(
        "</fieldset><fieldset class=\"suites\"><legend>Suite</legend>\
         <span class=\"suite-tools\"><input type=\"search\" id=\"suite-q\" placeholder=\"Filter suites\" \
         aria-label=\"Filter the suite list\"><button type=\"button\" id=\"suites-all\" \
         title=\"Select every suite listed\">All</button><button type=\"button\" id=\"suites-none\" \
         title=\"Clear every suite listed\">None</button></span>",
    );
    for (suite, n) in &tally.suites {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"suite\" value=\"{0}\" checked> {0} <small>{n}</small></label>",
            esc(suite)
        );
    }
    let _ = writeln!(
        o,
        "</fieldset><button type=\"button\" id=\"has\" hidden title=\"Show every severity again\"></button>\
         <output id=\"shown\">{0} cases</output></nav>",
        cases.count()
    );

    // Cases: not at parity first, most severe first, each group (one case
    // run on several hosts, a matrix) whole in one place under its roll-up,
    // ranked by its most severe case; then the rest at parity by id, a
    // group's together.
    let groups = group_tallies(cases, GroupsWith::NotParity);
    let compact = report.summary.parity > FULL_PARITY;
    o.push_str("<main id=\"cases\">\n");
    let mut i = 0;
    let mut at = Place::default();
    // Past FULL_PARITY, a group's cases at parity are listed from their
    // keys (never read back) after its cases not at parity.
    let mut quiet_of = Quiet::default();
    if compact {
        cases.for_each_key(&mut |k, suite| match k.group() {
            Some(g) if k.verdict == Verdict::Parity && groups.contains_key(g) => {
                let list = match quiet_of.get_mut(g) {
                    Some(l) => l,
                    None => quiet_of.entry(g.into()).or_default(),
                };
                list.push((k.id.clone(), suite.to_string()));
            }
            _ => {}
        });
        for list in quiet_of.values_mut() {
            list.sort_unstable();
        }
    }
    // Cases at parity listed with their group in the first list.
    let mut with_group = 0usize;
    let order = if compact {
        Order::TopGrouped
    } else {
        Order::Grouped
    };
    cases.visit(order, &mut |c| {
        let g = shown_group(c, &groups);
        with_group += at.end_group(&mut o, g.map(|(g, _)| g), &quiet_of);
        at.enter(&mut o, g);
        at.close_plist(&mut o);
        case(&mut o, report, c, i);
        with_group += usize::from(c.verdict == Verdict::Parity);
        i += 1;
        if c.verdict != Verdict::Parity || o.len() >= 64 * 1024 {
            w.write_all(o.as_bytes())?;
            o.clear();
        }
        Ok(())
    })?;
    with_group += at.end_group(&mut o, None, &quiet_of);
    at.close(&mut o);
    let rest = report.summary.parity.saturating_sub(with_group);
    if compact {
        let above = if with_group > 0 {
            format!(" ({with_group} more with their group above)")
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "<h2 class=\"plist\">{rest} cases at parity{above} <small>by id, listed without their answers (more than {FULL_PARITY}); \
             every detail is in report.json</small></h2>",
        );
        // From the keys alone: no case at parity is read back. Those of a
        // group with a case not at parity are in the first list.
        let mut quiet: Vec<(Box<str>, Option<u32>, String)> = Vec::new();
        cases.for_each_key(&mut |k, suite| {
            if k.verdict == Verdict::Parity && !k.group().is_some_and(|g| groups.contains_key(g)) {
                quiet.push((k.id.clone(), k.group_len, suite.to_string()));
            }
        });
        // Its group, from an entry's id and group length.
        fn quiet_group(q: &(Box<str>, Option<u32>, String)) -> Option<&str> {
            q.1.and_then(|n| q.0.get(..n as usize))
        }
        quiet.sort_unstable_by(|a, b| {
            let (ga, gb) = (quiet_group(a), quiet_group(b));
            (ga.unwrap_or(&a.0), &a.0).cmp(&(gb.unwrap_or(&b.0), &b.0))
        });
        // A group's cases are next to one another: counted by looking
        // ahead, so no tally of the groups at parity is kept.
        let mut j = 0;
        while j < quiet.len() {
            let g = quiet_group(&quiet[j]);
            let run = match g {
                Some(g) => quiet[j..]
                    .iter()
                    .take_while(|q| quiet_group(q) == Some(g))
                    .count(),
                None => 1,
            };
            let tally = GroupTally {
                counts: crate::model::Summary {
                    total: run,
                    parity: run,
                    ..Default::default()
                },
                matrix: quiet[j..j + run].iter().any(|q| {
                    q.0.get(q.1.unwrap_or(0) as usize..)
                        .is_some_and(|r| r.starts_with('['))
                }),
            };
            at.enter(&mut o, g.filter(|_| run >= 2).map(|g| (g, &tally)));
            at.open_plist(&mut o);
            for (id, _, suite) in &quiet[j..j + run] {
                compact_case(&mut o, id, suite);
            }
            if o.len() >= 64 * 1024 {
                w.write_all(o.as_bytes())?;
                o.clear();
            }
            j += run;
        }
    } else {
        // At most FULL_PARITY cases: their groups' tallies are small.
        let quiet_groups = group_tallies(cases, GroupsWith::OnlyParity);
        cases.visit(Order::ParityById, &mut |c| {
            at.enter(&mut o, shown_group(c, &quiet_groups));
            case(&mut o, report, c, i);
            i += 1;
            if o.len() >= 64 * 1024 {
                w.write_all(o.as_bytes())?;
                o.clear();
            }
            Ok(())
        })?;
    }
    at.close(&mut o);
    if cases.count() == 0 {
        o.push_str("<p class=\"empty\">No cases in this report.</p>");
    }
    o.push_str("</main>\n");

    // Latency.
    if !report.latency.is_empty() {
        o.push_str(
            "<section class=\"latency\"><h2>Latency <small>total time per response, by suite and provider</small></h2>\
             <div class=\"tw\"><table><thead><tr><th>Suite</th><th>Provider</th><th class=\"num\">Requests</th><th class=\"num\">p50</th>\
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
        o.push_str("</tbody></table></div></section>\n");
    }

    o.push_str("<footer>Generated by edgeparity from report.json. Self-contained: this page loads nothing.</footer>\n");
    let _ = write!(o, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    w.write_all(o.as_bytes())
}

/// The groups shown with a head, by name (`report::group_tallies`).
type Groups = std::collections::HashMap<Box<str>, GroupTally>;

/// Per group, its cases at parity: id and suite, by id.
type Quiet = std::collections::HashMap<Box<str>, Vec<(Box<str>, String)>>;

/// The group a case is shown under, with its tally: its own, when
/// `groups` counts it (the report holds at least two of its cases).
fn shown_group<'a>(c: &'a CaseResult, groups: &'a Groups) -> Option<(&'a str, &'a GroupTally)> {
    group_of(c).and_then(|g| groups.get_key_value(g).map(|(g, t)| (&**g, t)))
}

/// Where the case list is being written: inside which group's section,
/// and inside a compact list of cases at parity or not.
#[derive(Default)]
struct Place {
    group: Option<String>,
    plist: bool,
}

impl Place {
    /// Go into `group`'s section (none: the list itself), closing what is
    /// open and writing the group's head with its roll-up.
    fn enter(&mut self, o: &mut String, group: Option<(&str, &GroupTally)>) {
        if group.map(|(g, _)| g) == self.group.as_deref() {
            return;
        }
        self.close(o);
        if let Some((g, t)) = group {
            let _ = writeln!(
                o,
                "<section class=\"group\" data-group=\"{}\"><h3 class=\"ghead\">{}</h3>",
                esc(g),
                esc(&t.rollup(g))
            );
            self.group = Some(g.to_string());
        }
    }

    /// Open a compact list of cases at parity, unless one is open.
    fn open_plist(&mut self, o: &mut String) {
        if !self.plist {
            o.push_str("<div class=\"plist\" data-verdict=\"parity\" data-severity=\"none\">\n");
            self.plist = true;
        }
    }

    /// Before leaving the current group for `next`: its cases at parity
    /// in `quiet` (a compact list), if any. Returns how many.
    fn end_group(&mut self, o: &mut String, next: Option<&str>, quiet: &Quiet) -> usize {
        let Some(list) = self
            .group
            .as_deref()
            .filter(|g| Some(*g) != next)
            .and_then(|g| quiet.get(g))
        else {
            return 0;
        };
        self.open_plist(o);
        for (id, suite) in list {
            compact_case(o, id, suite);
        }
        list.len()
    }

    /// Close whatever is open: back to the list itself.
    fn close(&mut self, o: &mut String) {
        self.close_plist(o);
        if self.group.take().is_some() {
            o.push_str("</section>\n");
        }
    }

    fn close_plist(&mut self, o: &mut String) {
        if self.plist {
            o.push_str("</div>\n");
            self.plist = false;
        }
    }
}

/// The case's anchor, from its id, so a link to a case holds from one run
/// to the next: `c-` and the id with every byte outside `[A-Za-z0-9.:@-]`
/// written as `_XX` (an HTML id has no spaces; a fragment needs no escaping).
pub fn anchor(id: &str) -> String {
    let mut out = String::from("c-");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b".:@-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02X}"));
        }
    }
    out
}

/// A case at parity in the compact list: its anchor, suite and id (its
/// verdict and severity are the list's).
fn compact_case(o: &mut String, id: &str, suite: &str) {
    let _ = writeln!(
        o,
        "<div class=\"case\" id=\"{}\" data-suite=\"{}\">{}</div>",
        anchor(id),
        esc(suite),
        esc(id)
    );
}

fn case(o: &mut String, report: &Report, c: &CaseResult, i: usize) {
    let worst = super::worst(c);
    let sev = worst.map(|w| w.as_str()).unwrap_or("none");
    let open = c.verdict != Verdict::Parity && i < OPEN_CASES;
    let _ = write!(
        o,
        "<details class=\"case {vc}\" id=\"{anchor}\" data-suite=\"{suite}\" data-verdict=\"{v}\" data-severity=\"{sev}\" data-sevs=\"{sevs}\"{open}>\
         <summary><span class=\"badge {vc}\">{v}</span>{badge}<span class=\"cid\">{id}</span>\
         <a class=\"permalink\" href=\"#{anchor}\" title=\"Link to this case\">#</a>",
        anchor = anchor(&c.id),
        sevs = Severity::ALL
            .iter()
            .filter(|s| c.differences.iter().any(|d| d.severity == **s))
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
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
        difference(o, c.baseline_label(&report.baseline), d);
    }
    noise(o, c);
    if !c.responses.is_empty() {
        responses(o, c);
    }
    failed(o, c);
    o.push_str("</div></details>\n");
}

/// Learned noise: which slots, and how many differences each absorbed.
fn noise(o: &mut String, c: &CaseResult) {
    if c.noise.slots.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "<details class=\"noise\"><summary>learned noise: {} slot(s), {} difference(s) absorbed</summary><div class=\"tw\"><table>\
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
    o.push_str("</table></div></details>");
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
    if let Some(h) = &d.hint {
        why(o, h);
    }
    if let Some(a) = &d.allowed {
        let _ = write!(
            o,
            "<p class=\"allowed\"><b>Accepted</b> by {} — {}, until {}: {}</p>",
            esc(&a.at),
            esc(&a.owner),
            esc(&a.expires),
            esc(&a.reason)
        );
    }
    let value = |v: &Option<String>| match v {
        Some(v) => format!("<pre>{}</pre>", esc(v)),
        None => "<pre class=\"absent\">(absent)</pre>".to_string(),
    };
    if d.baseline.is_some() || d.candidate.is_some() || d.diff.is_none() {
        // The first value: the baseline's, what the suite asserted, or the
        // provider's own GET (a HEAD checked against it).
        let left = match d.reference(baseline) {
            r if r == baseline => format!("{} <small>baseline</small>", esc(baseline)),
            r => esc(r).to_string(),
        };
        let _ = write!(
            o,
            "<table class=\"sbs\"><thead><tr><th>{}</th><th>{}</th></tr></thead>\
             <tbody><tr><td class=\"b\">{}</td><td class=\"c\">{}</td></tr></tbody></table>",
            left,
            esc(&d.provider),
            value(&d.baseline),
            value(&d.candidate)
        );
    }
    if !d.hunks.is_empty() {
        side_by_side(o, baseline, &d.provider, &d.hunks);
        o.push_str("<details class=\"unified\"><summary>unified diff</summary><pre>");
        for h in &d.hunks {
            let _ = writeln!(
                o,
                "<span class=\"hunk\">@@ -{},{} +{},{} @@</span>",
                h.old_start, h.old_len, h.new_start, h.new_len
            );
            for l in &h.lines {
                let (class, sign) = match l.tag {
                    LineTag::Equal => ("ctx", ' '),
                    LineTag::Delete => ("del", '-'),
                    LineTag::Insert => ("add", '+'),
                };
                let _ = writeln!(o, "<span class=\"{class}\">{sign}{}</span>", parts(l));
            }
        }
        o.push_str("</pre></details>");
    } else if let Some(text) = &d.diff {
        // A report written before hunks were kept: the text as it was.
        let _ = write!(o, "<pre class=\"code\">{}</pre>", esc(text));
    }
    o.push_str("</div>\n");
}

/// The "why" line: the hint's title and fix, its id, and its documentation
/// as links (only `http(s)` URLs become links; a report may be edited by
/// hand, so nothing else can be an `href`).
fn why(o: &mut String, h: &crate::model::Hint) {
    let _ = write!(
        o,
        "<p class=\"why\"><span class=\"why-l\">why</span> <b>{}</b> <code>{}</code> <span class=\"fix\">fix: {}</span>",
        esc(&h.title),
        esc(&h.id),
        esc(&h.fix)
    );
    for u in h.links() {
        let _ = write!(
            o,
            " <a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            esc(u),
            esc(super::url_label(u))
        );
    }
    o.push_str("</p>");
}

/// A line's text, escaped, with its changed words marked.
fn parts(l: &DiffLine) -> String {
    l.parts
        .iter()
        .map(|p| {
            if p.emph {
                format!("<mark>{}</mark>", esc(&p.text))
            } else {
                esc(&p.text)
            }
        })
        .collect()
}

/// Diff hunks laid out in two columns: context on both sides, removed
/// lines left (red), added lines right (green), paired up in order, with
/// the changed words of a changed line marked.
fn side_by_side(o: &mut String, baseline: &str, provider: &str, hunks: &[Hunk]) {
    let _ = write!(
        o,
        "<div class=\"tw\"><table class=\"sbs code\"><colgroup><col class=\"lnc\"><col><col class=\"lnc\"><col></colgroup>\
         <thead><tr><th colspan=\"2\">{} <small>baseline</small></th><th colspan=\"2\">{}</th></tr></thead><tbody>",
        esc(baseline),
        esc(provider)
    );
    let cell = |l: Option<&&DiffLine>, class: &str| match l {
        Some(l) => format!(
            "<td class=\"ln\">{}</td><td class=\"{class}\">{}</td>",
            l.old.or(l.new).unwrap_or_default(),
            parts(l)
        ),
        None => "<td class=\"ln\"></td><td class=\"pad\"></td>".to_string(),
    };
    for h in hunks {
        let _ = write!(
            o,
            "<tr class=\"hunk\"><td colspan=\"4\">@@ -{},{} +{},{} @@</td></tr>",
            h.old_start, h.old_len, h.new_start, h.new_len
        );
        let mut i = 0;
        while i < h.lines.len() {
            let l = &h.lines[i];
            if l.tag == LineTag::Equal {
                let t = parts(l);
                let _ = write!(
                    o,
                    "<tr><td class=\"ln\">{}</td><td>{t}</td><td class=\"ln\">{}</td><td>{t}</td></tr>",
                    l.old.unwrap_or_default(),
                    l.new.unwrap_or_default()
                );
                i += 1;
                continue;
            }
            // A run of changes: deletions beside insertions, in order.
            let run: Vec<&DiffLine> = h.lines[i..]
                .iter()
                .take_while(|l| l.tag != LineTag::Equal)
                .collect();
            i += run.len();
            let dels: Vec<&DiffLine> = run
                .iter()
                .copied()
                .filter(|l| l.tag == LineTag::Delete)
                .collect();
            let adds: Vec<&DiffLine> = run
                .iter()
                .copied()
                .filter(|l| l.tag == LineTag::Insert)
                .collect();
            for k in 0..dels.len().max(adds.len()) {
                let _ = write!(
                    o,
                    "<tr>{}{}</tr>",
                    cell(dels.get(k), "del"),
                    cell(adds.get(k), "add")
                );
            }
        }
    }
    o.push_str("</tbody></table></div>");
}

fn responses(o: &mut String, c: &CaseResult) {
    let _ = write!(
        o,
        "<details class=\"resp\"><summary>Responses ({})</summary><div class=\"tw\"><table><thead><tr><th>Provider</th><th>Request</th>\
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
    o.push_str("</tbody></table></div>");
    for r in c.responses.iter().filter(|r| r.request.is_some()) {
        exchange(o, r);
    }
    o.push_str("</details>");
}

/// One exchange in full: the request line and headers sent, the response
/// headers, and the curl command that asks the same of that edge.
fn exchange(o: &mut String, r: &crate::model::ResponseSummary) {
    let Some(q) = &r.request else { return };
    shown(
        o,
        &r.provider,
        &r.label.to_string(),
        q,
        &r.status.to_string(),
        Some(&r.headers),
        r.curl.as_deref(),
    );
}

/// The requests of the providers that failed: what they were asked and the
/// curl that asks it again of the same pinned addresses.
fn failed(o: &mut String, c: &CaseResult) {
    let with: Vec<_> = c.failures.iter().filter(|f| f.request.is_some()).collect();
    if with.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "<details class=\"resp\" open><summary>Failed request{} ({})</summary>",
        if with.len() == 1 { "" } else { "s" },
        with.len()
    );
    for f in with {
        let Some(q) = &f.request else { continue };
        shown(
            o,
            &f.provider,
            &f.addrs.join(", "),
            q,
            &f.kind.to_string(),
            None,
            f.curl.as_deref(),
        );
    }
    o.push_str("</details>");
}

/// A request line, its headers and body, the answer's headers (none for a
/// failure) and the curl repro with its copy button.
fn shown(
    o: &mut String,
    provider: &str,
    label: &str,
    q: &crate::model::RequestShown,
    outcome: &str,
    answer: Option<&[(String, String)]>,
    curl: Option<&str>,
) {
    let lines = |h: &[(String, String)]| {
        h.iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let _ = write!(
        o,
        "<div class=\"exchange\"><p class=\"reqline\"><b>{}</b> {} <code>{} {}</code> → {}</p>\
         <pre class=\"headers\">{}</pre>",
        esc(provider),
        esc(label),
        esc(&q.method),
        esc(&q.url),
        esc(outcome),
        esc(&lines(&q.headers)),
    );
    if let Some(body) = &q.body {
        let _ = write!(o, "<pre class=\"headers reqbody\">{}</pre>", esc(body));
    }
    if let Some(h) = answer {
        let _ = write!(o, "<pre class=\"headers\">{}</pre>", esc(&lines(h)));
    }
    if let Some(curl) = curl {
        let _ = write!(
            o,
            "<button type=\"button\" class=\"copy\">Copy curl</button><pre class=\"curl\">{}</pre>",
            esc(curl)
        );
    }
    o.push_str("</div>");
}

/// The one script. Its SHA-256 is in the CSP, so it must be static: data
/// reaches it only through the DOM (`data-*` attributes, checkbox values).
pub const SCRIPT: &str = include_str!("../../assets/report.js");

const CSS: &str = include_str!("../../assets/report.css");

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
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;⟨U+0000⟩"
        );
    }

    #[test]
    fn side_by_side_pairs_removed_and_added_lines_and_marks_words() {
        let mut o = String::new();
        let (hunks, _) =
            crate::compare::text_hunks("x\na\nthe old word\nc\n", "x\na\nthe new word\nc\n");
        side_by_side(&mut o, "fastly", "cloudflare", &hunks);
        assert!(
            o.contains("<td class=\"ln\">2</td><td>a</td><td class=\"ln\">2</td><td>a</td>"),
            "{o}"
        );
        assert!(
            o.contains("<td class=\"ln\">3</td><td class=\"del\">the <mark>old</mark> word</td><td class=\"ln\">3</td><td class=\"add\">the <mark>new</mark> word</td>"),
            "{o}"
        );
        assert!(o.contains("@@ -1,4 +1,4 @@"), "{o}");
    }

    #[test]
    fn bidirectional_controls_are_shown_not_obeyed() {
        assert_eq!(esc("evil\u{202e}lvie"), "evil⟨U+202E⟩lvie");
        assert_eq!(crate::render::markdown::escape("a\u{2066}b"), "a⟨U+2066⟩b");
    }
}
