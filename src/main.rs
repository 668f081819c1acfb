//! The `edgeparity` command line. Only this file uses anyhow; every layer
//! below returns its own typed errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use edgeparity::core::{build_report, run_all, RunContext};
use edgeparity::{exit, report};

#[derive(Parser)]
#[command(
    name = "edgeparity",
    version,
    about = "Prove two CDNs behave the same before traffic moves"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send every case to every provider, compare with the baseline, write the report.
    Run(RunArgs),
    /// List the planned cases (no network).
    List(ListArgs),
}

#[derive(clap::Args)]
struct CommonArgs {
    /// Project config.
    #[arg(long, env = "PARITY_CONFIG", default_value = "parity.yaml")]
    config: PathBuf,
    /// Environment from the config (default: its default_env).
    #[arg(long = "env", env = "PARITY_ENV")]
    env: Option<String>,
    /// Suite files or folders of suites.
    #[arg(default_value = "suites")]
    paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Cases run at once.
    #[arg(long, short = 'j', default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    jobs: u32,
    /// Where report.json is written.
    #[arg(long, default_value = "reports/latest")]
    report_dir: PathBuf,
}

#[derive(clap::Args)]
struct ListArgs {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code as u8);
        }
    };
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::USAGE as u8)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::List(args) => {
            let c = &args.common;
            let (_, plan) = edgeparity::prepare(&c.config, c.env.as_deref(), &c.paths)?;
            for case in &plan.cases {
                println!("{}  {} {}", case.id, case.request.method, case.request.url);
            }
            Ok(exit::PARITY)
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (env, plan) = edgeparity::prepare(&c.config, c.env.as_deref(), &c.paths)?;
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
        if r.verdict != edgeparity::core::Verdict::Parity {
            eprintln!("[{done}/{total}] {} {}", r.verdict.as_str(), r.id);
        }
    }));
    let report = build_report(&ctx, results, started_at, clock.elapsed());
    let path = args.report_dir.join("report.json");
    report::write_atomic(&path, report.to_json().as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    print!("{}", report::render_text(&report));
    println!("report: {}", path.display());
    Ok(exit::for_summary(&report.summary))
}
