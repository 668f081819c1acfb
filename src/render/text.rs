//! The readable summary printed at the end of a run, and one case as text
//! (also the libtest runner's failure message).

use crate::model::report::{group_of, group_tallies, CaseSource, GroupsWith, Order};
use crate::model::{check_expectation, CaseResult, Report};

/// The readable summary printed at the end of a run: one line per case that
/// is not at parity (in plan order, a group's cases together under a
/// `GROUP` line with its roll-up), its differences under it, and the
/// counts.
pub fn render_text(report: &Report) -> String {
    // In memory, visiting the cases cannot fail.
    text_of(report, &report.cases).unwrap_or_default()
}

/// [`render_text`] for `report` (its `cases` ignored) with `cases`: only
/// the cases not at parity are read.
pub fn text_of(report: &Report, cases: &dyn CaseSource) -> std::io::Result<String> {
    let mut out = String::new();
    for w in &report.warnings {
        out.push_str(&format!("WARNING: {w}\n"));
    }
    // A group's cases (several hosts, a matrix) one after another under
    // its roll-up line.
    let groups = group_tallies(cases, GroupsWith::NotParity);
    let mut current: Option<String> = None;
    cases.visit(Order::NotParityGrouped, &mut |c| {
        let g = group_of(c).filter(|g| groups.contains_key(*g));
        if g != current.as_deref() {
            if let Some((g, t)) = g.and_then(|g| groups.get_key_value(g)) {
                out.push_str(&format!(
                    "{:<8} {}\n",
                    "GROUP",
                    crate::model::visible(&t.rollup(g))
                ));
            }
            current = g.map(str::to_string);
        }
        out.push_str(&render_case(c, &report.baseline));
        Ok(())
    })?;
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} ({} vs baseline {}, {} ms)\n",
        s.counts(),
        report.environment,
        report.baseline,
        report.duration_ms
    ));
    Ok(out)
}

/// One case: its verdict line, error, and each difference under it, with
/// invisible characters shown (a terminal must not obey them).
pub fn render_case(c: &CaseResult, baseline: &str) -> String {
    crate::model::visible(&case_text(c, c.baseline_label(baseline))).into_owned()
}

fn case_text(c: &CaseResult, baseline: &str) -> String {
    let mut out = String::new();
    let expected = match (&c.expect, check_expectation(c)) {
        (Some(_), Ok(())) => " (as expected)",
        _ => "",
    };
    out.push_str(&format!(
        "{:<8} {}{expected}\n",
        c.verdict.as_str().to_uppercase(),
        c.id
    ));
    if let Some(e) = &c.error {
        out.push_str(&format!("  error: {e}\n"));
    }
    for d in &c.differences {
        let field = d
            .field
            .as_deref()
            .map(|f| format!(" {f}"))
            .unwrap_or_default();
        let context = d
            .context
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  [{}] {}{field}{context}: {}\n",
            d.provider,
            d.kind.as_str(),
            d.message
        ));
        if let Some(diff) = &d.diff {
            for line in diff.lines().take(40) {
                out.push_str(&format!("      {line}\n"));
            }
        } else if d.baseline.is_some() || d.candidate.is_some() {
            let left = d.reference(baseline);
            out.push_str(&format!(
                "      {left}: {}\n      {}: {}\n",
                d.baseline.as_deref().unwrap_or("(absent)"),
                d.provider,
                d.candidate.as_deref().unwrap_or("(absent)")
            ));
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("      why: {}\n", h.line()));
        }
        if let Some(a) = &d.allowed {
            out.push_str(&format!("      {}\n", a.line()));
        }
    }
    // What each provider was asked, and how to ask it again by hand (a
    // provider that failed too: the request it was asked, pinned the same way).
    for (provider, q, curl, outcome) in super::repros(c) {
        out.push_str(&format!(
            "  {provider}: {} {} -> {outcome}\n      repro: {curl}\n",
            q.method, q.url
        ));
    }
    let absorbing: Vec<String> = c
        .noise
        .slots
        .iter()
        .filter(|s| s.absorbed > 0)
        .map(|s| format!("{} {} ×{}", s.at, s.slot, s.absorbed))
        .collect();
    if !absorbing.is_empty() {
        out.push_str(&format!(
            "  noise absorbed {} difference(s): {}\n",
            c.noise.suppressed,
            absorbing.join("; ")
        ));
    }
    out
}

// ---------------------------------------------------------------------------
// Latency per suite and provider
// ---------------------------------------------------------------------------
