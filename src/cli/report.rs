//! `edgeparity report merge`: shard reports into one, every format
//! re-rendered. Exit 0 when merged (judge the result with `gate`), 2 when
//! the reports cannot be read or are not shards of one run.

use std::path::PathBuf;

use anyhow::Context;

use edgeparity::report;

use super::output::say;

#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Merge shard report folders into one full report, every format re-rendered.
    Merge {
        /// Shard report folders (each with a report.json), or report.json files.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged reports go.
        #[arg(long)]
        out: PathBuf,
        /// Last run's report.json: summary.md says what is new or fixed since.
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
        /// Merge even when some shards of the run are missing (a warning is recorded).
        #[arg(long)]
        allow_partial: bool,
    },
}

pub fn run(cmd: ReportCommand) -> anyhow::Result<i32> {
    let ReportCommand::Merge {
        dirs,
        out,
        previous,
        allow_partial,
    } = cmd;
    let mut reports = Vec::new();
    for d in &dirs {
        let path = if d.is_dir() {
            d.join("report.json")
        } else {
            d.clone()
        };
        let r = report::read(&path)?;
        reports.push((path.display().to_string(), r));
    }
    let previous = match &previous {
        Some(p) => Some(report::read(p).context("--previous")?),
        None => None,
    };
    let merged = report::merge(reports, allow_partial).context("cannot merge")?;
    for w in &merged.warnings {
        eprintln!("WARNING: {w}");
    }
    let written = edgeparity::render::write_all(&merged, &out, previous.as_ref())
        .with_context(|| format!("cannot write reports to {}", out.display()))?;
    let s = &merged.summary;
    say!("merged {} reports: {}", dirs.len(), s.counts());
    for p in written {
        say!("report: {}", p.display());
    }
    Ok(0)
}
