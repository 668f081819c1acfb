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

/// Write every report format into `dir`, each atomically. Returns the
/// paths written.
pub fn write_all(
    report: &Report,
    dir: &Path,
    previous: Option<&Report>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let _ = previous;
    let json = dir.join("report.json");
    write_atomic(&json, report.to_json().as_bytes())?;
    Ok(vec![json])
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
        out.push_str(&format!(
            "  [{}] {}{field}: {}\n",
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
