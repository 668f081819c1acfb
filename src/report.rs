//! The run's record: `report.json` (schema v1) and the readable summary.
//!
//! `report.json` is a contract that CI scripts and later tools read; keys
//! are only ever added. Files are written atomically (a temp file in the
//! same folder, renamed into place), so a reader never sees half a report.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::core::{check_expectation, CaseResult, Verdict};
use crate::exec::Resolution;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub total: usize,
    pub parity: usize,
    pub differs: usize,
    pub flaky: usize,
    #[serde(rename = "no-golden")]
    pub no_golden: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProviderInfo {
    pub name: String,
    pub kind: String,
    pub baseline: bool,
    pub resolutions: Vec<Resolution>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub environment: String,
    pub baseline: String,
    /// Digest of the config and suites: shards of one run share it.
    #[serde(default)]
    pub config_digest: String,
    /// Which shard of the cases this report covers, if any.
    #[serde(default)]
    pub shard: Option<crate::shard::Shard>,
    pub started_at: String,
    pub duration_ms: u64,
    /// True when any environment setting turned TLS verification off.
    pub insecure: bool,
    pub warnings: Vec<String>,
    pub providers: Vec<ProviderInfo>,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
    /// Per suite and provider: answer times and failures (see `latency`).
    #[serde(default)]
    pub latency: Vec<Latency>,
}

impl Report {
    pub fn summarize(cases: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            match c.verdict {
                Verdict::Parity => s.parity += 1,
                Verdict::Differs => s.differs += 1,
                Verdict::Flaky => s.flaky += 1,
                Verdict::NoGolden => s.no_golden += 1,
                Verdict::Error => s.error += 1,
            }
        }
        s
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data to a String cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

pub fn tool() -> Tool {
    Tool {
        name: "edgeparity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Read a report.json written by `run` (for `--previous`, the gate, merge).
pub fn read(path: &Path) -> Result<Report, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReadError {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ReadError {
        path: path.display().to_string(),
        message: format!("not an edgeparity report.json: {e}"),
    })
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ReadError {
    pub path: String,
    pub message: String,
}

/// Write every report format into `dir`, each atomically: `report.json`,
/// `junit.xml`, `summary.md` (new and fixed against `previous`, when given)
/// and `report.html`. Returns the paths written.
pub fn write_all(
    report: &Report,
    dir: &Path,
    previous: Option<&Report>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let files: [(&str, String); 4] = [
        ("report.json", report.to_json()),
        ("junit.xml", crate::render::junit::render(report)),
        (
            "summary.md",
            crate::render::markdown::render(report, previous),
        ),
        ("report.html", crate::render::html::render(report)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Write `contents` to `path` atomically, creating the folder.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The readable summary printed at the end of a run: one line per case that
/// is not at parity, its differences under it, and the counts.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    for w in &report.warnings {
        out.push_str(&format!("WARNING: {w}\n"));
    }
    for c in &report.cases {
        if c.verdict != Verdict::Parity {
            out.push_str(&render_case(c, &report.baseline));
        }
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} cases: {} parity, {} differs, {} flaky, {} no-golden, {} error ({} vs baseline {}, {} ms)\n",
        s.total,
        s.parity,
        s.differs,
        s.flaky,
        s.no_golden,
        s.error,
        report.environment,
        report.baseline,
        report.duration_ms
    ));
    out
}

/// One case: its verdict line, error, and each difference under it.
pub fn render_case(c: &CaseResult, baseline: &str) -> String {
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
            out.push_str(&format!(
                "      {baseline}: {}\n      {}: {}\n",
                d.baseline.as_deref().unwrap_or("(absent)"),
                d.provider,
                d.candidate.as_deref().unwrap_or("(absent)")
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Latency per suite and provider
// ---------------------------------------------------------------------------

/// Answer times of one provider over one suite's cases, and how often it
/// failed. Times are `total_ms` (until the last body byte) of every response
/// the provider gave, probes' extra requests included.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Latency {
    pub suite: String,
    pub provider: String,
    /// Cases of the suite in this report.
    pub cases: usize,
    /// Responses timed.
    pub requests: usize,
    /// Median `total_ms` (nearest rank); `None` when nothing answered.
    pub p50_ms: Option<f64>,
    /// 95th percentile `total_ms` (nearest rank).
    pub p95_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Cases where this provider failed (refused, timed out, TLS, …).
    pub errors: usize,
    /// `errors / cases`.
    pub error_rate: f64,
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Latency rows for every suite (sorted by name) and provider (in the
/// report's order, then any other provider seen in the cases).
pub fn latency(cases: &[CaseResult], providers: &[ProviderInfo]) -> Vec<Latency> {
    use std::collections::BTreeMap;
    let mut names: Vec<String> = providers.iter().map(|p| p.name.clone()).collect();
    for c in cases {
        let seen = c
            .responses
            .iter()
            .map(|r| &r.provider)
            .chain(c.failures.iter().map(|f| &f.provider));
        for p in seen {
            if !names.contains(p) {
                names.push(p.clone());
            }
        }
    }
    let mut suites: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in cases {
        suites.entry(c.suite.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (suite, cs) in suites {
        for p in &names {
            let mut times: Vec<f64> = cs
                .iter()
                .flat_map(|c| c.responses.iter())
                .filter(|r| &r.provider == p && r.total_ms.is_finite())
                .map(|r| r.total_ms)
                .collect();
            times.sort_by(f64::total_cmp);
            let errors = cs
                .iter()
                .filter(|c| c.failures.iter().any(|f| &f.provider == p))
                .count();
            out.push(Latency {
                suite: suite.to_string(),
                provider: p.clone(),
                cases: cs.len(),
                requests: times.len(),
                p50_ms: percentile(&times, 50.0),
                p95_ms: percentile(&times, 95.0),
                max_ms: times.last().copied(),
                errors,
                error_rate: if cs.is_empty() {
                    0.0
                } else {
                    errors as f64 / cs.len() as f64
                },
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Merging shard reports
// ---------------------------------------------------------------------------

/// Why shard reports cannot be merged into one.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: give at least one shard report")]
    Empty,
    #[error(
        "{path}: {what} is `{theirs}` but {first} has `{ours}`: \
         these reports are not shards of one run"
    )]
    Mismatch {
        path: String,
        first: String,
        what: &'static str,
        ours: String,
        theirs: String,
    },
    #[error("{path} and {other} are both shard {index}/{count}")]
    SameShard {
        path: String,
        other: String,
        index: u32,
        count: u32,
    },
    #[error("case `{id}` is in both {path} and {other}: shards must not overlap")]
    Overlap {
        id: String,
        path: String,
        other: String,
    },
    #[error(
        "shard{} {} of {count} missing (pass --allow-partial to merge anyway)",
        if .missing.len() == 1 { "" } else { "s" },
        .missing.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
    )]
    Partial { missing: Vec<u32>, count: u32 },
}

/// Merge shard reports (each with where it was read from) into one report:
/// cases sorted by id, summary and latency recomputed, warnings unioned,
/// `started_at` the earliest, `duration_ms` the longest. Refuses reports of
/// different environments, baselines or config digests, two reports of one
/// shard, and overlapping cases. A missing shard is refused unless
/// `allow_partial`, which records a warning instead.
pub fn merge(reports: Vec<(String, Report)>, allow_partial: bool) -> Result<Report, MergeError> {
    use std::collections::BTreeMap;
    let mut iter = reports.into_iter();
    let (first_path, first) = iter.next().ok_or(MergeError::Empty)?;
    let rest: Vec<(String, Report)> = iter.collect();
    let mut shards: BTreeMap<u32, String> = BTreeMap::new();
    let mut counts: Option<(u32, String)> = None;
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let all = std::iter::once((&first_path, &first)).chain(rest.iter().map(|(p, r)| (p, r)));
    for (path, r) in all {
        let checks: [(&'static str, &str, &str); 3] = [
            ("environment", &first.environment, &r.environment),
            ("baseline", &first.baseline, &r.baseline),
            ("config_digest", &first.config_digest, &r.config_digest),
        ];
        for (what, ours, theirs) in checks {
            if ours != theirs {
                return Err(MergeError::Mismatch {
                    path: path.clone(),
                    first: first_path.clone(),
                    what,
                    ours: ours.to_string(),
                    theirs: theirs.to_string(),
                });
            }
        }
        if let Some(s) = r.shard {
            match &counts {
                Some((n, p)) if *n != s.count => {
                    return Err(MergeError::Mismatch {
                        path: path.clone(),
                        first: p.clone(),
                        what: "shard count",
                        ours: n.to_string(),
                        theirs: s.count.to_string(),
                    })
                }
                Some(_) => {}
                None => counts = Some((s.count, path.clone())),
            }
            if let Some(other) = shards.insert(s.index, path.clone()) {
                return Err(MergeError::SameShard {
                    path: path.clone(),
                    other,
                    index: s.index,
                    count: s.count,
                });
            }
        }
        for c in &r.cases {
            if let Some(other) = owner.insert(c.id.clone(), path.clone()) {
                return Err(MergeError::Overlap {
                    id: c.id.clone(),
                    path: path.clone(),
                    other,
                });
            }
        }
    }
    let mut warnings: Vec<String> = Vec::new();
    if let Some((count, _)) = counts {
        let missing: Vec<u32> = (1..=count).filter(|i| !shards.contains_key(i)).collect();
        if !missing.is_empty() {
            let err = MergeError::Partial { missing, count };
            if !allow_partial {
                return Err(err);
            }
            warnings.push(format!("PARTIAL MERGE: {err}"));
        }
    }
    let mut merged = first;
    for (_, r) in rest {
        for w in r.warnings {
            if !merged.warnings.contains(&w) {
                merged.warnings.push(w);
            }
        }
        for p in r.providers {
            match merged.providers.iter_mut().find(|q| q.name == p.name) {
                Some(q) => {
                    for res in p.resolutions {
                        if !q.resolutions.contains(&res) {
                            q.resolutions.push(res);
                        }
                    }
                }
                None => merged.providers.push(p),
            }
        }
        merged.started_at = earliest(&merged.started_at, &r.started_at);
        merged.duration_ms = merged.duration_ms.max(r.duration_ms);
        merged.insecure |= r.insecure;
        merged.cases.extend(r.cases);
    }
    for w in warnings {
        if !merged.warnings.contains(&w) {
            merged.warnings.push(w);
        }
    }
    merged.cases.sort_by(|a, b| a.id.cmp(&b.id));
    merged.shard = None;
    merged.summary = Report::summarize(&merged.cases);
    merged.latency = latency(&merged.cases, &merged.providers);
    Ok(merged)
}

/// The earlier of two RFC 3339 timestamps (text order if either is not one).
fn earliest(a: &str, b: &str) -> String {
    match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
        (Ok(x), Ok(y)) => if y < x { b } else { a }.to_string(),
        _ => a.min(b).to_string(),
    }
}
