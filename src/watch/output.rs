//! What `watch` writes: `watch.json` (the contract a rollout script reads;
//! keys are only ever added), `watch.html` (see `html`), `summary.md` for a
//! CI step summary, and the live terminal line per round.
//!
//! `watch.json` is rewritten after every round with [`fsio::write_atomic`]
//! (a temp file renamed into place), so a script polling it never reads
//! half a file. While the watch runs, `finished` is false and `verdict` is
//! the decision over the rounds so far.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::canary::{self, Decision, Figures, Outcome, Thresholds, Verdict};
use crate::fsio;

/// The version of `watch.json`'s shape.
pub const WATCH_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Rounds of requests sent by edgeparity.
    Active,
    /// Two providers' logs over the same window.
    Passive,
}

impl Mode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Active => "active",
            Mode::Passive => "passive",
        }
    }
}

/// One provider's figures for one round alone (not the sliding window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderRound {
    #[serde(flatten)]
    pub figures: Figures,
    /// Transport errors by kind (`timeout`, `connect`, `tls`, `reset`, …).
    pub transport: BTreeMap<String, u64>,
}

/// A case whose verdict changed since the last round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// `SUITE::CASE`.
    pub case: String,
    pub from: String,
    pub to: String,
    /// The first difference or error of the new verdict (redacted, clipped).
    pub detail: String,
}

/// One round: the judge's verdict over the sliding window (`number`,
/// `verdict`, `reason`, `judgements` with every signal's test statistic,
/// p-value and interval), and what each provider did in this round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    #[serde(flatten)]
    pub round: canary::Round,
    pub started_at: String,
    pub duration_ms: u64,
    pub providers: Vec<ProviderRound>,
    pub drift: Vec<Drift>,
}

/// A slice of a passive window: one host or one endpoint template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub key: String,
    /// The judge's verdict on this slice alone (for finding where; the
    /// overall verdict comes from the whole window).
    pub verdict: Verdict,
    pub reason: String,
    pub providers: Vec<ProviderRound>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub hosts: Vec<Group>,
    pub endpoints: Vec<Group>,
}

/// `watch.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WatchFile {
    /// `proceed`, `rollback` or `insufficient` (so far, until `finished`).
    pub verdict: Decision,
    pub reason: String,
    /// The round that rolled back, where watching stopped.
    pub rollback_round: Option<u32>,
    /// The exit code `watch` ends (or would end) with.
    pub exit_code: i32,
    pub finished: bool,
    pub schema_version: u32,
    pub tool: crate::model::Tool,
    pub mode: Mode,
    pub environment: Option<String>,
    pub baseline: String,
    pub candidates: Vec<String>,
    pub started_at: String,
    pub updated_at: String,
    pub thresholds: Thresholds,
    /// Rounds merged into the window each judgement sees.
    pub window_rounds: usize,
    pub interval_ms: Option<u64>,
    pub warnings: Vec<String>,
    /// In order, the first round first.
    pub rounds: Vec<RoundRecord>,
    /// Passive mode: the figures per host and per endpoint template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// An RFC 3339 timestamp to the millisecond.
pub fn timestamp(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Millisecond).unwrap_or(t).to_string()
}

impl WatchFile {
    pub fn new(
        mode: Mode,
        environment: Option<String>,
        baseline: &str,
        candidates: Vec<String>,
        thresholds: Thresholds,
        window_rounds: usize,
    ) -> WatchFile {
        let now = timestamp(jiff::Timestamp::now());
        let o = canary::overall(&[]);
        WatchFile {
            verdict: o.verdict,
            reason: o.reason,
            rollback_round: None,
            exit_code: o.verdict.exit_code(),
            finished: false,
            schema_version: WATCH_SCHEMA_VERSION,
            tool: crate::model::tool(),
            mode,
            environment,
            baseline: baseline.to_string(),
            candidates,
            started_at: now.clone(),
            updated_at: now,
            thresholds,
            window_rounds,
            interval_ms: None,
            warnings: Vec::new(),
            rounds: Vec::new(),
            breakdown: None,
        }
    }

    /// Add a round and decide again over all rounds.
    pub fn push(&mut self, r: RoundRecord) {
        self.rounds.push(r);
        self.decide();
    }

    pub fn finish(&mut self) {
        self.finished = true;
        self.decide();
    }

    fn decide(&mut self) {
        let rounds: Vec<canary::Round> = self.rounds.iter().map(|r| r.round.clone()).collect();
        let o = canary::overall(&rounds);
        self.verdict = o.verdict;
        self.reason = o.reason;
        self.rollback_round = o.rollback_round;
        self.exit_code = o.verdict.exit_code();
        self.updated_at = timestamp(jiff::Timestamp::now());
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            // Only non-string map keys or a failing Serialize impl could get
            // here; none exist in this model.
            format!("{{\"error\": \"cannot serialise watch.json: {e}\"}}")
        });
        s.push('\n');
        s
    }
}

/// Write `watch.json`, `watch.html` and `summary.md` into `dir`, each
/// atomically; returns their paths.
pub fn write_all(file: &WatchFile, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let outputs = [
        ("watch.json", file.to_json()),
        ("watch.html", super::html::render(file)),
        ("summary.md", summary_md(file)),
    ];
    let mut written = Vec::new();
    for (name, text) in outputs {
        let path = dir.join(name);
        fsio::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "–".to_string())
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}"))
        .unwrap_or_else(|| "–".to_string())
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::Degraded => "degraded",
        Verdict::Rollback => "rollback",
        Verdict::Insufficient => "insufficient",
    }
}

pub fn decision_word(d: Decision) -> &'static str {
    match d {
        Decision::Proceed => "proceed",
        Decision::Rollback => "rollback",
        Decision::Insufficient => "insufficient",
    }
}

/// The live terminal line of a round.
pub fn round_line(r: &RoundRecord) -> String {
    let mut line = format!(
        "round {:>3}  {:<12}",
        r.round.number,
        verdict_word(r.round.verdict)
    );
    for p in &r.providers {
        let f = &p.figures;
        let _ = write!(
            line,
            " | {} {} req, err {}, p50 {} ms, p95 {} ms, hit {}",
            f.provider,
            f.requests,
            pct(f.error_rate),
            ms(f.ttfb_p50_ms),
            ms(f.ttfb_p95_ms),
            pct(f.hit_ratio)
        );
    }
    if !r.drift.is_empty() {
        let _ = write!(line, " | drift {}", r.drift.len());
    }
    if r.round.verdict != Verdict::Healthy {
        let _ = write!(line, "\n          {}", r.round.reason);
    }
    line
}

/// Markdown for a CI step summary: the decision, then a table of rounds,
/// then the signals of the deciding round and any drift.
pub fn summary_md(file: &WatchFile) -> String {
    let mut o = String::new();
    let icon = match file.verdict {
        Decision::Proceed => "✅",
        Decision::Rollback => "⛔",
        Decision::Insufficient => "⚠️",
    };
    let _ = writeln!(
        o,
        "## edgeparity watch: {icon} {}\n",
        decision_word(file.verdict)
    );
    let _ = writeln!(o, "{}\n", md(&file.reason));
    let _ = writeln!(
        o,
        "{} vs baseline **{}**{} · {} mode · {} round(s){} · exit code {}\n",
        md(&file.candidates.join(", ")),
        md(&file.baseline),
        file.environment
            .as_deref()
            .map(|e| format!(" in `{}`", md(e)))
            .unwrap_or_default(),
        file.mode.as_str(),
        file.rounds.len(),
        if file.finished { "" } else { " (running)" },
        file.exit_code
    );
    for w in &file.warnings {
        let _ = writeln!(o, "> **Warning:** {}\n", md(w));
    }
    o.push_str("| round | verdict |");
    let providers: Vec<&str> = file
        .rounds
        .first()
        .map(|r| {
            r.providers
                .iter()
                .map(|p| p.figures.provider.as_str())
                .collect()
        })
        .unwrap_or_default();
    for p in &providers {
        let _ = write!(o, " {0} req | {0} err | {0} p50/p95 ms | {0} hit |", md(p));
    }
    o.push_str(" drift |\n|---|---|");
    for _ in &providers {
        o.push_str("---|---|---|---|");
    }
    o.push_str("---|\n");
    for r in &file.rounds {
        let _ = write!(
            o,
            "| {} | {} |",
            r.round.number,
            verdict_word(r.round.verdict)
        );
        for p in &r.providers {
            let f = &p.figures;
            let _ = write!(
                o,
                " {} | {} | {} / {} | {} |",
                f.requests,
                pct(f.error_rate),
                ms(f.ttfb_p50_ms),
                ms(f.ttfb_p95_ms),
                pct(f.hit_ratio)
            );
        }
        let _ = writeln!(o, " {} |", r.drift.len());
    }
    let deciding = file
        .rollback_round
        .and_then(|n| file.rounds.iter().find(|r| r.round.number == n))
        .or(file.rounds.last());
    if let Some(r) = deciding {
        let _ = writeln!(
            o,
            "\n### Signals of round {} (window of up to {} rounds)\n",
            r.round.number, file.window_rounds
        );
        o.push_str("| candidate | signal | outcome | estimate | interval | threshold | p-value |\n|---|---|---|---|---|---|---|\n");
        for j in &r.round.judgements {
            for s in &j.signals {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    md(&j.candidate.provider),
                    signal_name(s.kind),
                    outcome_word(s.outcome),
                    num(s.estimate),
                    s.interval
                        .map(|i| format!("{} to {}", num(Some(i.lower)), num(Some(i.upper))))
                        .unwrap_or_else(|| "–".into()),
                    num(s.threshold),
                    s.p_value
                        .map(|p| format!("{p:.3e}"))
                        .unwrap_or_else(|| "–".into()),
                );
            }
        }
    }
    let drifts: Vec<(u32, &Drift)> = file
        .rounds
        .iter()
        .flat_map(|r| r.drift.iter().map(move |d| (r.round.number, d)))
        .collect();
    if !drifts.is_empty() {
        o.push_str(
            "\n### Parity drift\n\n| round | case | from | to | detail |\n|---|---|---|---|---|\n",
        );
        for (n, d) in drifts.iter().take(50) {
            let _ = writeln!(
                o,
                "| {n} | `{}` | {} | {} | {} |",
                md(&d.case),
                d.from,
                d.to,
                md(&d.detail)
            );
        }
    }
    if let Some(b) = &file.breakdown {
        for (title, groups) in [("host", &b.hosts), ("endpoint", &b.endpoints)] {
            let _ = writeln!(
                o,
                "\n### By {title}\n\n| {title} | verdict | figures |\n|---|---|---|"
            );
            for g in groups.iter().take(30) {
                let figures: Vec<String> = g
                    .providers
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: {} req, err {}, p50 {} ms, hit {}",
                            md(&p.figures.provider),
                            p.figures.requests,
                            pct(p.figures.error_rate),
                            ms(p.figures.ttfb_p50_ms),
                            pct(p.figures.hit_ratio)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    o,
                    "| `{}` | {} | {} |",
                    md(&g.key),
                    verdict_word(g.verdict),
                    figures.join("; ")
                );
            }
        }
    }
    o
}

pub fn signal_name(k: canary::SignalKind) -> &'static str {
    match k {
        canary::SignalKind::ErrorRate => "error rate",
        canary::SignalKind::Non2xxRate => "non-2xx rate",
        canary::SignalKind::Latency => "TTFB shift (ms)",
        canary::SignalKind::HitRatio => "hit-ratio drop",
    }
}

pub fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Degraded => "degraded",
        Outcome::Fail => "fail",
        Outcome::NoData => "no data",
    }
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.4}"),
        None => "–".to_string(),
    }
}

/// Text from a server or a suite in a Markdown table cell: no pipes, no
/// line breaks, no HTML.
fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md("a|b\n<script>`x`"), "a\\|b &lt;script&gt;'x'");
    }

    #[test]
    fn an_empty_watch_is_insufficient_and_says_so() {
        let f = WatchFile::new(
            Mode::Active,
            Some("t".into()),
            "fastly",
            vec!["cloudflare".into()],
            Thresholds::default(),
            3,
        );
        let v: serde_json::Value = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(v["verdict"], "insufficient");
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["rounds"], serde_json::json!([]));
        assert!(summary_md(&f).contains("insufficient"));
    }
}
