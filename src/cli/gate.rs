//! `edgeparity gate` and `run --gate`: the logic is `edgeparity::gate`;
//! this reads the inputs and prints the judgement.
//! Exit codes: 0 passes, 1 blocked, 2 bad usage or unreadable input.

use std::path::PathBuf;

use anyhow::Context;

use edgeparity::allowlist::Allowlist;
use edgeparity::gate::{self, Policy};
use edgeparity::model::Report;
use edgeparity::report;

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

pub fn run(args: GateArgs) -> anyhow::Result<i32> {
    // Check the flags and the allowlist before reading the report, so that
    // every bad input is reported the same way (exit 2).
    let policy = Policy::new(&args.flags.fail_on, args.flags.max_error_rate)?;
    let allow = load_allowlist(&args.flags)?;
    let report = report::read(&args.report)?;
    println!(
        "gate: {} ({} vs baseline {}, {} cases)",
        args.report.display(),
        report.environment,
        report.baseline,
        report.cases.len()
    );
    Ok(judge(&report, &allow, &policy))
}

/// `run --gate`: the gate on the report just written.
pub fn apply(report: &Report, flags: &GateFlags) -> anyhow::Result<i32> {
    let policy = Policy::new(&flags.fail_on, flags.max_error_rate)?;
    let allow = load_allowlist(flags)?;
    println!();
    Ok(judge(report, &allow, &policy))
}

fn load_allowlist(flags: &GateFlags) -> anyhow::Result<Allowlist> {
    match &flags.allowlist {
        Some(p) => Allowlist::load(p).context("--allowlist"),
        None => Ok(Allowlist::empty()),
    }
}

fn judge(report: &Report, allow: &Allowlist, policy: &Policy) -> i32 {
    let today = jiff::Zoned::now().date();
    let outcome = gate::evaluate(report, allow, policy, today);
    print!("{}", gate::render(&outcome, allow));
    outcome.exit_code()
}
