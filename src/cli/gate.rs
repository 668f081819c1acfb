//! `edgeparity gate` and `run --gate`. (Being built: see issue 6.)

use std::path::PathBuf;

use edgeparity::report::Report;

#[derive(clap::Args)]
pub struct GateFlags {
    /// Apply the gate after the run (exit 0 pass, 1 blocked, 2 bad input).
    #[arg(long)]
    pub gate: bool,
    /// Accepted differences (case glob, kind, field, provider, reason, owner, expires).
    #[arg(long, value_name = "FILE")]
    pub allowlist: Option<PathBuf>,
    /// Lowest severity that blocks: critical, major, minor or info.
    #[arg(long, default_value = "major")]
    pub fail_on: String,
    /// Largest share of cases (0 to 1) allowed to be error, no-golden or flaky.
    #[arg(long, default_value_t = 0.0)]
    pub max_error_rate: f64,
}

#[derive(clap::Args)]
pub struct GateArgs {
    /// The report.json to judge.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    #[command(flatten)]
    pub flags: GateFlags,
}

pub fn run(_args: GateArgs) -> anyhow::Result<i32> {
    anyhow::bail!("the gate is not built yet")
}

pub fn apply(_report: &Report, _flags: &GateFlags) -> anyhow::Result<i32> {
    anyhow::bail!("the gate is not built yet")
}
