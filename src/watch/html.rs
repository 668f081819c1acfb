//! `watch.html`: the rounds of a watch as one self-contained page. Charts
//! (error rate, TTFB p50 and p95, cache-hit ratio per provider over the
//! rounds) are inline SVG drawn here, so the page makes no network fetch
//! and needs no script at all.
//!
//! Everything from a server, a suite or a log is escaped (`esc`, shared
//! with `report.html`), and the Content-Security-Policy allows nothing but
//! inline styles: no script, no image, no font, no connection, so even a
//! missed escape could neither run code nor call out.

use std::fmt::Write as _;

use super::output::{decision_word, outcome_word, signal_name, RoundRecord, WatchFile};
use crate::canary::{Decision, Verdict};
use crate::render::html::esc;

/// No source of anything but inline styles (and inline SVG, which is markup).
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// One colour per provider, in order (the baseline first).
const COLOURS: [&str; 6] = [
    "#1f6feb", "#d9480f", "#2f9e44", "#9c36b5", "#e67700", "#0c8599",
];

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:1100px;padding:0 1rem;color:#1b1f24}\
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}\
.meta{color:#57606a;margin:0 0 1rem}.decision{font-size:1.2rem;padding:.6rem .9rem;border-radius:6px;margin:.6rem 0}\
.d-proceed{background:#dafbe1}.d-rollback{background:#ffebe9}.d-insufficient{background:#fff8c5}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}\
figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}figcaption{font-weight:600;margin-bottom:.2rem}\
svg text{font:11px system-ui,sans-serif;fill:#57606a}.legend span{display:inline-block;margin-right:1rem}\
.sw{display:inline-block;width:.9rem;height:.25rem;vertical-align:middle;margin-right:.3rem}\
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .45rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}.v-healthy{color:#1a7f37}.v-degraded{color:#9a6700}.v-rollback{color:#cf222e;font-weight:600}.v-insufficient{color:#57606a}\
.warnings{background:#fff8c5;padding:.5rem 1.5rem}details{margin:.3rem 0}";

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "v-healthy",
        Verdict::Degraded => "v-degraded",
        Verdict::Rollback => "v-rollback",
        Verdict::Insufficient => "v-insufficient",
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::Degraded => "degraded",
        Verdict::Rollback => "rollback",
        Verdict::Insufficient => "insufficient",
    }
}

/// A line of one provider over the rounds (`None`: no value that round).
struct Series {
    label: String,
    colour: &'static str,
    dashed: bool,
    points: Vec<(u32, Option<f64>)>,
}

/// The providers in the order of the first round.
fn providers(file: &WatchFile) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in &file.rounds {
        for p in &r.providers {
            if !v.contains(&p.figures.provider) {
                v.push(p.figures.provider.clone());
            }
        }
    }
    v
}

fn series(
    file: &WatchFile,
    pick: impl Fn(&crate::canary::Figures) -> Option<f64>,
    suffix: &str,
    dashed: bool,
) -> Vec<Series> {
    providers(file)
        .iter()
        .enumerate()
        .map(|(i, p)| Series {
            label: format!("{p}{suffix}"),
            colour: COLOURS[i % COLOURS.len()],
            dashed,
            points: file
                .rounds
                .iter()
                .map(|r: &RoundRecord| {
                    let v = r
                        .providers
                        .iter()
                        .find(|x| &x.figures.provider == p)
                        .and_then(|x| pick(&x.figures));
                    (r.round.number, v.filter(|v| v.is_finite()))
                })
                .collect(),
        })
        .collect()
}

/// A round upper bound for the y axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * p)
}

/// An inline SVG line chart; `scale` turns values into the unit shown.
fn chart(
    o: &mut String,
    title: &str,
    unit: &str,
    scale: f64,
    lines: &[Series],
    rollback: Option<u32>,
) {
    const W: f64 = 520.0;
    const H: f64 = 200.0;
    const L: f64 = 48.0;
    const R: f64 = 12.0;
    const T: f64 = 10.0;
    const B: f64 = 26.0;
    let numbers: Vec<u32> = lines
        .first()
        .map(|s| s.points.iter().map(|p| p.0).collect())
        .unwrap_or_default();
    let (first, last) = (
        numbers.first().copied().unwrap_or(1),
        numbers.last().copied().unwrap_or(1),
    );
    let max = lines
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .map(|v| v * scale)
        .fold(0.0, f64::max);
    let ymax = nice_max(max);
    let x = |n: u32| {
        if last == first {
            L + (W - L - R) / 2.0
        } else {
            L + (W - L - R) * f64::from(n - first) / f64::from(last - first)
        }
    };
    let y = |v: f64| T + (H - T - B) * (1.0 - (v * scale / ymax).clamp(0.0, 1.0));
    let _ = write!(
        o,
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(title)
    );
    // Axes and grid.
    for k in 0..=4 {
        let v = ymax * f64::from(k) / 4.0;
        let yy = T + (H - T - B) * (1.0 - f64::from(k) / 4.0);
        let _ = write!(
            o,
            "<line x1=\"{L}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#eaeef2\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}{}</text>",
            W - R,
            L - 4.0,
            yy + 4.0,
            trim_num(v),
            esc(unit)
        );
    }
    let step = ((numbers.len() as f64) / 10.0).ceil().max(1.0) as usize;
    for n in numbers.iter().step_by(step) {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{n}</text>",
            x(*n),
            H - 8.0
        );
    }
    if let Some(n) = rollback {
        let _ = write!(
            o,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{T}\" y2=\"{1}\" stroke=\"#cf222e\" stroke-width=\"1.5\"><title>rollback at round {n}</title></line>",
            x(n),
            H - B
        );
    }
    for s in lines {
        let dash = if s.dashed {
            " stroke-dasharray=\"5 3\""
        } else {
            ""
        };
        // Consecutive rounds with a value form one polyline.
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, o: &mut String| {
            if run.len() > 1 {
                let _ = write!(
                    o,
                    "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{dash} points=\"{}\"/>",
                    s.colour,
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (n, v) in &s.points {
            match v {
                Some(v) => {
                    run.push(format!("{:.1},{:.1}", x(*n), y(*v)));
                    let _ = write!(
                        o,
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.4\" fill=\"{}\"><title>{} round {n}: {}{}</title></circle>",
                        x(*n),
                        y(*v),
                        s.colour,
                        esc(&s.label),
                        trim_num(v * scale),
                        esc(unit)
                    );
                }
                None => flush(&mut run, o),
            }
        }
        flush(&mut run, o);
    }
    o.push_str("</svg><div class=\"legend\">");
    for s in lines {
        let style = if s.dashed {
            format!(
                "background:repeating-linear-gradient(90deg,{0} 0 5px,transparent 5px 8px)",
                s.colour
            )
        } else {
            format!("background:{}", s.colour)
        };
        let _ = write!(
            o,
            "<span><i class=\"sw\" style=\"{style}\"></i>{}</span>",
            esc(&s.label)
        );
    }
    o.push_str("</div></figure>\n");
}

fn trim_num(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1} ms"))
        .unwrap_or_else(|| "–".into())
}

pub fn render(file: &WatchFile) -> String {
    let mut o = String::with_capacity(32 * 1024);
    let title = format!(
        "edgeparity watch · {} vs {}",
        file.candidates.join(", "),
        file.baseline
    );
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<header><h1>edgeparity watch</h1><p class=\"meta\">{} vs baseline <b>{}</b>{} · {} mode · started {} · updated {} · {} round(s), window {} · {} {}{}</p></header>",
        esc(&file.candidates.join(", ")),
        esc(&file.baseline),
        file.environment
            .as_deref()
            .map(|e| format!(" · environment <b>{}</b>", esc(e)))
            .unwrap_or_default(),
        file.mode.as_str(),
        esc(&file.started_at),
        esc(&file.updated_at),
        file.rounds.len(),
        file.window_rounds,
        esc(&file.tool.name),
        esc(&file.tool.version),
        if file.finished { "" } else { " · running" }
    );
    let class = match file.verdict {
        Decision::Proceed => "d-proceed",
        Decision::Rollback => "d-rollback",
        Decision::Insufficient => "d-insufficient",
    };
    let _ = writeln!(
        o,
        "<div class=\"decision {class}\"><b>{}</b> (exit {}) — {}</div>",
        decision_word(file.verdict),
        file.exit_code,
        esc(&file.reason)
    );
    if !file.warnings.is_empty() {
        o.push_str("<ul class=\"warnings\">");
        for w in &file.warnings {
            let _ = write!(o, "<li>{}</li>", esc(w));
        }
        o.push_str("</ul>\n");
    }

    o.push_str("<h2>Per round</h2>\n<div class=\"charts\">\n");
    let rb = file.rollback_round;
    chart(
        &mut o,
        "Error rate (transport errors and 5xx)",
        "%",
        100.0,
        &series(file, |f| f.error_rate, "", false),
        rb,
    );
    let mut ttfb = series(file, |f| f.ttfb_p50_ms, " p50", false);
    ttfb.extend(series(file, |f| f.ttfb_p95_ms, " p95", true));
    chart(&mut o, "Time to first byte", " ms", 1.0, &ttfb, rb);
    chart(
        &mut o,
        "Cache-hit ratio (of cacheable answers)",
        "%",
        100.0,
        &series(file, |f| f.hit_ratio, "", false),
        rb,
    );
    chart(
        &mut o,
        "Non-2xx rate",
        "%",
        100.0,
        &series(file, |f| f.non_2xx_rate, "", false),
        rb,
    );
    o.push_str("</div>\n");

    o.push_str("<h2>Rounds</h2>\n<table><tr><th>round</th><th>verdict</th><th>providers (this round)</th><th>judge (sliding window)</th></tr>\n");
    for r in &file.rounds {
        let _ = write!(
            o,
            "<tr><td>{}<br><small>{}</small></td><td class=\"{}\">{}</td><td>",
            r.round.number,
            esc(&r.started_at),
            verdict_class(r.round.verdict),
            verdict_word(r.round.verdict)
        );
        for p in &r.providers {
            let f = &p.figures;
            let transport: Vec<String> = p
                .transport
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            let _ = write!(
                o,
                "<b>{}</b>: {} req, errors {}{}, non-2xx {}, TTFB p50 {} p95 {}, hit {}<br>",
                esc(&f.provider),
                f.requests,
                pct(f.error_rate),
                if transport.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", esc(&transport.join(", ")))
                },
                pct(f.non_2xx_rate),
                ms(f.ttfb_p50_ms),
                ms(f.ttfb_p95_ms),
                pct(f.hit_ratio)
            );
        }
        o.push_str("</td><td>");
        let _ = write!(o, "{}", esc(&r.round.reason));
        o.push_str("<details><summary>signals</summary><table><tr><th>candidate</th><th>signal</th><th>outcome</th><th>estimate</th><th>interval</th><th>threshold</th><th>p</th></tr>");
        for j in &r.round.judgements {
            for s in &j.signals {
                let num =
                    |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "–".into());
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&j.candidate.provider),
                    signal_name(s.kind),
                    outcome_word(s.outcome),
                    num(s.estimate),
                    s.interval
                        .map(|i| format!("{:.4} to {:.4}", i.lower, i.upper))
                        .unwrap_or_else(|| "–".into()),
                    num(s.threshold),
                    s.p_value
                        .map(|p| format!("{p:.3e}"))
                        .unwrap_or_else(|| "–".into())
                );
            }
        }
        o.push_str("</table></details>");
        if !r.drift.is_empty() {
            let _ = write!(
                o,
                "<details><summary>parity drift: {} case(s)</summary><ul>",
                r.drift.len()
            );
            for d in &r.drift {
                let _ = write!(
                    o,
                    "<li><code>{}</code> {} → {}: {}</li>",
                    esc(&d.case),
                    esc(&d.from),
                    esc(&d.to),
                    esc(&d.detail)
                );
            }
            o.push_str("</ul></details>");
        }
        o.push_str("</td></tr>\n");
    }
    o.push_str("</table>\n");

    if let Some(b) = &file.breakdown {
        for (title, groups) in [("By host", &b.hosts), ("By endpoint", &b.endpoints)] {
            let _ = writeln!(
                o,
                "<h2>{title}</h2>\n<table><tr><th>key</th><th>verdict</th><th>providers</th></tr>"
            );
            for g in groups {
                let _ = write!(
                    o,
                    "<tr><td><code>{}</code></td><td class=\"{}\" title=\"{}\">{}</td><td>",
                    esc(&g.key),
                    verdict_class(g.verdict),
                    esc(&g.reason),
                    verdict_word(g.verdict)
                );
                for p in &g.providers {
                    let f = &p.figures;
                    let _ = write!(
                        o,
                        "<b>{}</b>: {} req, errors {}, TTFB p50 {}, hit {}<br>",
                        esc(&f.provider),
                        f.requests,
                        pct(f.error_rate),
                        ms(f.ttfb_p50_ms),
                        pct(f.hit_ratio)
                    );
                }
                o.push_str("</td></tr>\n");
            }
            o.push_str("</table>\n");
        }
    }
    o.push_str("</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::{Figures, Round, Thresholds};
    use crate::watch::output::{Drift, Mode, ProviderRound};

    fn figures(provider: &str, err: f64) -> Figures {
        Figures {
            provider: provider.to_string(),
            requests: 100,
            transport_errors: 0,
            non_2xx: 0,
            status_5xx: 0,
            cacheable: 0,
            hits: 0,
            error_rate: Some(err),
            non_2xx_rate: Some(err),
            hit_ratio: None,
            ttfb_samples: 100,
            ttfb_p50_ms: Some(2.0),
            ttfb_p95_ms: Some(5.0),
            ttfb_p99_ms: Some(7.0),
        }
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_everything() {
        let evil = "<script>alert(1)</script>";
        let mut f = WatchFile::new(
            Mode::Active,
            Some(evil.into()),
            "fastly",
            vec![format!("cf{evil}")],
            Thresholds::default(),
            3,
        );
        for n in 1..=3 {
            f.push(RoundRecord {
                round: Round::new(n, vec![]),
                started_at: evil.into(),
                duration_ms: 5,
                providers: vec![
                    ProviderRound {
                        figures: figures("fastly", 0.0),
                        transport: Default::default(),
                    },
                    ProviderRound {
                        figures: figures(&format!("cf{evil}"), 0.1 * f64::from(n)),
                        transport: [(evil.to_string(), 1)].into(),
                    },
                ],
                drift: vec![Drift {
                    case: evil.into(),
                    from: "parity".into(),
                    to: "differs".into(),
                    detail: evil.into(),
                }],
            });
        }
        let html = render(&f);
        assert!(!html.contains("<script"), "an unescaped script");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(CSP));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert_eq!(html.matches("<svg").count(), 4);
        assert!(html.contains("<polyline"));
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(100.0), 100.0);
    }
}
