//! `edgeparity run` and `edgeparity list`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use edgeparity::core::{build_report, run_all, RunContext, Verdict};
use edgeparity::{exit, report};

#[derive(clap::Args)]
pub struct CommonArgs {
    /// Project config.
    #[arg(long, env = "PARITY_CONFIG", default_value = "parity.yaml")]
    pub config: PathBuf,
    /// Environment from the config (default: its default_env).
    #[arg(long = "env", env = "PARITY_ENV")]
    pub env: Option<String>,
    /// Suite files or folders of suites.
    #[arg(default_value = "suites")]
    pub paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Cases run at once.
    #[arg(long, short = 'j', default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: u32,
    /// Where the reports are written.
    #[arg(long, default_value = "reports/latest")]
    pub report_dir: PathBuf,
    /// Run only shard K of N (e.g. 2/4): a stable partition by case id.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Last run's report.json: summary.md says what is new or fixed since.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// After the run, apply the pre-cutover gate to its report.
    #[command(flatten)]
    pub gate: super::gate::GateFlags,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn list(args: ListArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (_, plan) = edgeparity::prepare(&c.config, c.env.as_deref(), &c.paths)?;
    for case in &plan.cases {
        println!("{}  {} {}", case.id, case.request.method, case.request.url);
    }
    Ok(exit::PARITY)
}

pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (env, mut plan) = edgeparity::prepare(&c.config, c.env.as_deref(), &c.paths)?;
    if let Some(spec) = &args.shard {
        let shard = edgeparity::shard::Shard::parse(spec)?;
        plan.cases = shard.select(plan.cases);
        plan.shard = Some(shard);
    }
    let previous = match &args.previous {
        Some(p) => Some(report::read(p).with_context(|| format!("--previous {}", p.display()))?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let ctx = runtime.block_on(RunContext::build(&env, plan))?;
    for w in &ctx.warnings {
        eprintln!("WARNING: {w}");
    }
    let cases = ctx.plan.cases.clone();
    let total = cases.len();
    let mut done = 0usize;
    let results = runtime.block_on(run_all(&ctx, &cases, args.jobs as usize, |r| {
        done += 1;
        if r.verdict != Verdict::Parity {
            eprintln!("[{done}/{total}] {} {}", r.verdict.as_str(), r.id);
        }
    }));
    let report = build_report(&ctx, results, started_at, clock.elapsed());
    let written = report::write_all(&report, &args.report_dir, previous.as_ref())
        .with_context(|| format!("cannot write reports to {}", args.report_dir.display()))?;
    print!("{}", report::render_text(&report));
    for p in written {
        println!("report: {}", p.display());
    }
    let code = exit::for_summary(&report.summary);
    if args.gate.gate {
        return super::gate::apply(&report, &args.gate);
    }
    Ok(code)
}
