//! `summary.md`: short enough for a CI step summary or a PR comment. Counts
//! by verdict and severity, the most severe differing cases (at most
//! `TOP`), what is new or fixed since the previous report, latency per
//! suite and provider, and the run's warnings.
//!
//! Everything that came from a server or a suite is escaped, so a response
//! cannot inject Markdown or HTML into a PR comment.

use std::fmt::Write as _;

use crate::model::report::{group_of, group_tallies, CaseSource, GroupTally, GroupsWith, Order};
use crate::model::Verdict;
use crate::model::{CaseResult, Report};

/// The groups shown, by name (`report::group_tallies`).
type Groups = std::collections::HashMap<Box<str>, GroupTally>;

/// Most cases listed under "Top differing cases" and in each change list.
pub const TOP: usize = 10;
/// Longest message quoted, in characters.
const MAX_MESSAGE: usize = 140;

/// Escape Markdown and HTML: backslash before ASCII punctuation that means
/// something, newlines folded to spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '!' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            c if crate::model::is_invisible(c) => {
                out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backticks cannot close it, newlines fold.
fn escape_code(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// A URL as a Markdown link destination in `<…>`: the characters that could
/// end it or start markup are percent-encoded.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '<' | '>' | '(' | ')' | '[' | ']' | '"' | '\'' | '`' | '\\' | '|' | ' ' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX_MESSAGE - 1).collect();
        format!("{cut}…")
    }
}

pub fn render(report: &Report, previous: Option<&Report>) -> String {
    let cases = &report.cases;
    let before = previous.map(super::verdicts);
    let mut out = Vec::new();
    // In memory, neither the tally nor the writing can fail.
    if let Ok(tally) = super::Tally::of(cases) {
        let _ = write(&mut out, report, cases, &tally, before.as_deref());
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `summary.md` for `head` (its `cases` ignored) with `cases`: it reads
/// only the first [`TOP`] cases not at parity, and the keys of the rest.
pub fn write(
    w: &mut dyn std::io::Write,
    head: &Report,
    cases: &dyn CaseSource,
    tally: &super::Tally,
    previous: Option<&[(String, Verdict)]>,
) -> std::io::Result<()> {
    // One pass over the cases not at parity, most severe first (a group's
    // together, where its most severe case ranks): the top cases, and the
    // differences the allowlist accepted (the first TOP
    // and how many).
    let mut top: Vec<CaseResult> = Vec::new();
    let mut allowed = Allowed::default();
    cases.visit(Order::TopGrouped, &mut |c| {
        if top.len() < TOP {
            top.push(c.clone());
        }
        for d in c.differences.iter().filter(|d| d.allowed.is_some()) {
            allowed.total += 1;
            if allowed.first.len() < TOP {
                allowed.first.push((c.id.clone(), d.clone()));
            }
        }
        Ok(())
    })?;
    let groups = group_tallies(cases, GroupsWith::NotParity);
    w.write_all(text(head, cases, tally, &top, &groups, &allowed, previous).as_bytes())
}

/// The differences the allowlist accepted: the first [`TOP`] (with their
/// case id) and how many in all.
#[derive(Default)]
struct Allowed {
    first: Vec<(String, crate::model::Difference)>,
    total: usize,
}

fn text(
    report: &Report,
    cases: &dyn CaseSource,
    tally: &super::Tally,
    top: &[CaseResult],
    groups: &Groups,
    allowed: &Allowed,
    previous: Option<&[(String, Verdict)]>,
) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let candidates = super::candidates(report).join(", ");
    let _ = writeln!(
        out,
        "## edgeparity: {} — {} (baseline) vs {}\n",
        escape(&report.environment),
        escape(&report.baseline),
        escape(&candidates)
    );
    let shard = report
        .shard
        .map(|sh| format!(", shard {sh}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "**{} cases**: {} parity · **{} differs** · {} flaky · {} no-golden · {} error  \n\
         Started {}, took {:.1} s{shard}.\n",
        s.total,
        s.parity,
        s.differs,
        s.flaky,
        s.no_golden,
        s.error,
        escape(&report.started_at),
        report.duration_ms as f64 / 1000.0
    );
    for w in &report.warnings {
        let _ = writeln!(out, "> **Warning:** {}  ", escape(w));
    }
    if !report.warnings.is_empty() {
        out.push('\n');
    }

    let counts = tally.severity.clone();
    if counts.iter().any(|(_, d, _)| *d > 0) {
        out.push_str("| Severity | Differences | Cases |\n|---|---:|---:|\n");
        for (sev, diffs, cases) in counts {
            let _ = writeln!(out, "| {} | {diffs} | {cases} |", sev.as_str());
        }
        out.push('\n');
    }

    accepted(&mut out, allowed);
    if !top.is_empty() {
        out.push_str("### Top differing cases\n\n");
        out.push_str("| Case | Verdict | Worst | Worst difference |\n|---|---|---|---|\n");
        let mut current: Option<&str> = None;
        for c in top.iter().take(TOP) {
            // A group's cases (several hosts, a matrix) under a row with
            // its roll-up.
            let g = group_of(c).filter(|g| groups.contains_key(*g));
            if g != current {
                if let Some((g, t)) = g.and_then(|g| groups.get_key_value(g)) {
                    let _ = writeln!(out, "| **{}** | | | |", escape(&t.rollup(g)));
                }
                current = g;
            }
            let worst = super::worst(c);
            let first = c
                .differences
                .iter()
                .find(|d| Some(d.severity) == worst)
                .map(|d| {
                    let field = d
                        .field
                        .as_deref()
                        .map(|f| format!(" {f}"))
                        .unwrap_or_default();
                    format!(
                        "\\[{}\\] {}{}: {}",
                        escape(&d.provider),
                        d.kind.as_str(),
                        escape(&field),
                        escape(&clip(&d.message))
                    )
                })
                .or_else(|| c.error.as_deref().map(|e| escape(&clip(e))))
                .unwrap_or_default();
            let more = match c.differences.len() {
                0 | 1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {first}{more} |",
                escape(&c.id),
                c.verdict.as_str(),
                worst.map(|w| w.as_str()).unwrap_or("–"),
            );
        }
        if tally.not_parity > TOP {
            let _ = writeln!(
                out,
                "\n…and {} more cases not at parity: see report.html.",
                tally.not_parity - TOP
            );
        }
        out.push('\n');
        repro(&mut out, top);
    }

    let hints = &tally.hints;
    if !hints.is_empty() {
        out.push_str("### Why they differ\n\n");
        for t in hints.iter().take(TOP) {
            let (h, n) = (&t.hint, &t.differences);
            let mut shown: Vec<String> = t.first.iter().map(|c| escape(c)).collect();
            if t.cases > t.first.len() {
                shown.push(format!("+{} more", t.cases - t.first.len()));
            }
            let links: Vec<String> = h
                .links()
                .map(|u| format!("[{}](<{}>)", escape(super::url_label(u)), link_target(u)))
                .collect();
            let _ = writeln!(
                out,
                "- **{}** (`{}`; {n} difference{} in {}): fix: {}{}",
                escape(&h.title),
                escape_code(&h.id),
                if *n == 1 { "" } else { "s" },
                shown.join(", "),
                escape(&h.fix),
                if links.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", links.join(" · "))
                }
            );
        }
        if hints.len() > TOP {
            let _ = writeln!(
                out,
                "- …and {} more hints: see report.html.",
                hints.len() - TOP
            );
        }
        out.push('\n');
    }

    if let Some(prev) = previous {
        let ch = super::changes(cases, prev);
        out.push_str("### Since the previous run\n\n");
        if ch.new.is_empty() && ch.fixed.is_empty() && ch.still.is_empty() {
            out.push_str("Nothing differs now or before.\n");
        }
        let list = |items: Vec<String>| -> String {
            let n = items.len();
            let mut v: Vec<String> = items.into_iter().take(TOP).collect();
            if n > TOP {
                v.push(format!("…and {} more", n - TOP));
            }
            v.join(", ")
        };
        let label = |v: Verdict| {
            if v == Verdict::Differs {
                String::new()
            } else {
                format!(" ({})", v.as_str())
            }
        };
        if !ch.new.is_empty() {
            let _ = writeln!(
                out,
                "- **Newly differing ({})**: {}",
                ch.new.len(),
                list(
                    ch.new
                        .iter()
                        .map(|(id, v)| format!("{}{}", escape(id), label(*v)))
                        .collect()
                )
            );
        }
        if !ch.fixed.is_empty() {
            let _ = writeln!(
                out,
                "- **Fixed ({})**: {}",
                ch.fixed.len(),
                list(ch.fixed.iter().map(|(id, _)| escape(id)).collect())
            );
        }
        if !ch.still.is_empty() {
            let _ = writeln!(
                out,
                "- **Still differing ({})**: {}",
                ch.still.len(),
                list(
                    ch.still
                        .iter()
                        .map(|(id, _, v)| format!("{}{}", escape(id), label(*v)))
                        .collect()
                )
            );
        }
        if !ch.gone.is_empty() {
            let _ = writeln!(
                out,
                "- No longer in the run ({}): {}",
                ch.gone.len(),
                list(ch.gone.iter().map(|id| escape(id)).collect())
            );
        }
        out.push('\n');
    }

    if !report.latency.is_empty() {
        out.push_str("### Latency (total time per response)\n\n");
        out.push_str(
            "| Suite | Provider | Requests | p50 | p95 | max | Failed cases |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        for l in &report.latency {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} of {} ({:.0}%) |",
                escape(&l.suite),
                escape(&l.provider),
                l.requests,
                super::ms(l.p50_ms),
                super::ms(l.p95_ms),
                super::ms(l.max_ms),
                l.errors,
                l.cases,
                l.error_rate * 100.0
            );
        }
    }
    out
}

/// The top cases' requests, collapsed: what each provider was asked and
/// the curl command that asks it again (secrets already masked).
fn repro(out: &mut String, top: &[CaseResult]) {
    let shown: Vec<_> = top
        .iter()
        .take(TOP)
        .filter(|c| {
            c.responses.iter().any(|r| r.curl.is_some())
                || c.failures.iter().any(|f| f.curl.is_some())
        })
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("<details><summary>Requests and curl repros of the top cases</summary>\n\n");
    for c in shown {
        let _ = writeln!(out, "**{}**\n", escape(&c.id));
        for (provider, q, curl, outcome) in super::repros(c) {
            let _ = writeln!(
                out,
                "- {}: `{} {}` → {}\n\n  ```sh\n  {}\n  ```",
                escape(provider),
                escape_code(&q.method),
                escape_code(&q.url),
                escape(&outcome),
                // No backtick (escape_code): a fence cannot be closed from inside.
                escape_code(curl)
            );
        }
        out.push('\n');
    }
    out.push_str("</details>\n\n");
}

/// Differences the run's allowlist accepted: never hidden, each with its
/// reason, owner and expiry.
fn accepted(out: &mut String, allowed: &Allowed) {
    if allowed.total == 0 {
        return;
    }
    let _ = writeln!(out, "### Accepted by the allowlist ({})\n", allowed.total);
    out.push_str("| Case | Difference | Owner | Until | Reason |\n|---|---|---|---|---|\n");
    for (id, d) in &allowed.first {
        let Some(a) = &d.allowed else { continue };
        let field = d
            .field
            .as_deref()
            .map(|f| format!(" {f}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | \\[{}\\] {}{} | {} | {} | {} |",
            escape(id),
            escape(&d.provider),
            d.kind.as_str(),
            escape(&field),
            escape(&a.owner),
            escape(&a.expires),
            escape(&clip(&a.reason))
        );
    }
    if allowed.total > TOP {
        let _ = writeln!(out, "\n…and {} more: see report.html.", allowed.total - TOP);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(
            escape("<script>a|b</script>\n[x](y)"),
            "\\<script\\>a\\|b\\</script\\> \\[x\\]\\(y\\)"
        );
        assert_eq!(escape("planted::plant-json"), "planted::plant-json");
    }
}
