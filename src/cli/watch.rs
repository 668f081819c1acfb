//! `edgeparity watch`: judge a rollout stage, actively (rounds of the
//! suites' requests) or passively (`--logs PROVIDER=FILE`, twice or more).
//! The logic is `edgeparity::watch` and `edgeparity::canary`; this reads
//! the flags, prints a line per round and rewrites the outputs after each.
//! Exit codes: 0 proceed, 1 rollback, 2 bad usage or input, 3 not enough
//! data to judge (`canary::PROCEED` … `canary::INSUFFICIENT`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use edgeparity::canary::Thresholds;
use edgeparity::run::RunContext;
use edgeparity::watch::logs::{self, LogReader};
use edgeparity::watch::{self, output, Length, WatchFile, WatchOptions};

use super::output::say;

fn duration(s: &str) -> Result<Duration, String> {
    watch::parse_duration(s)
}

#[derive(clap::Args)]
pub struct WatchArgs {
    /// Config, environment and suites (active mode), as for `run`.
    #[command(flatten)]
    pub common: super::run::CommonArgs,
    /// Number of rounds (default: rounds for --duration 15m).
    #[arg(long, conflicts_with = "duration")]
    pub rounds: Option<u32>,
    /// Keep starting rounds for this long: 500ms, 1s, 60s, 15m, 2h.
    #[arg(long, value_parser = duration)]
    pub duration: Option<Duration>,
    /// From the start of one round to the start of the next.
    #[arg(long, value_parser = duration, default_value = "60s")]
    pub interval: Duration,
    /// Rounds merged into the sliding window each judgement sees.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub window: u32,
    /// First rounds reported but not judged (connections open, caches fill).
    #[arg(long, default_value_t = 1)]
    pub warmup: u32,
    /// Cases sent at once.
    #[arg(long, short = 'j', default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: u32,
    /// Where watch.json, watch.html and summary.md are written.
    #[arg(long, default_value = "reports/watch")]
    pub report_dir: PathBuf,
    /// Passive mode: a provider's log (Logpush NDJSON or Fastly JSON lines). Repeat per provider.
    #[arg(long, value_name = "PROVIDER=FILE")]
    pub logs: Vec<String>,
    /// Passive mode: which --logs provider is the baseline (default: the first).
    #[arg(long, requires = "logs")]
    pub baseline: Option<String>,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// The judge's thresholds (see `canary`).
#[derive(clap::Args)]
pub struct ThresholdArgs {
    /// Largest tolerated rise of the error and non-2xx rates (0.05 = 5 points).
    #[arg(long, default_value_t = 0.05)]
    pub max_error_rate_delta: f64,
    /// Largest tolerated TTFB shift, relative to the baseline median (0.25 = +25%).
    #[arg(long, default_value_t = 0.25)]
    pub max_latency_shift: f64,
    /// A TTFB shift below this many milliseconds is tolerated whatever its ratio.
    #[arg(long, default_value_t = 0.0)]
    pub min_latency_shift_ms: f64,
    /// Largest tolerated drop of the cache-hit ratio (0.10 = 10 points).
    #[arg(long, default_value_t = 0.10)]
    pub max_hit_ratio_drop: f64,
    /// Fewest observations per side (in the window) for a signal to be judged.
    #[arg(long, default_value_t = 50)]
    pub min_samples: u64,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
}

impl ThresholdArgs {
    fn thresholds(&self) -> anyhow::Result<Thresholds> {
        let t = Thresholds {
            max_error_rate_delta: self.max_error_rate_delta,
            max_latency_shift: self.max_latency_shift,
            min_latency_shift_ms: self.min_latency_shift_ms,
            max_hit_ratio_drop: self.max_hit_ratio_drop,
            min_samples: self.min_samples,
            confidence: self.confidence,
        };
        t.validate()?;
        Ok(t)
    }
}

fn write(file: &WatchFile, dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    output::write_all(file, dir).with_context(|| format!("cannot write to {}", dir.display()))
}

pub fn run(args: WatchArgs) -> anyhow::Result<i32> {
    let thresholds = args.thresholds.thresholds()?;
    if !args.logs.is_empty() {
        return passive(&args, thresholds);
    }
    let length = match (args.rounds, args.duration) {
        (Some(0), _) => anyhow::bail!("--rounds 0: watch at least one round"),
        (Some(n), _) if n <= args.warmup => {
            anyhow::bail!(
                "--rounds {n}: more rounds than the {} warm-up round(s) needed",
                args.warmup
            )
        }
        (Some(n), _) => Length::Rounds(n),
        (None, Some(d)) => Length::Duration(d),
        (None, None) => Length::Duration(Duration::from_secs(15 * 60)),
    };
    let c = &args.common;
    let (env, plan) = c.prepare()?;
    if plan.cases.is_empty() {
        anyhow::bail!("no cases to send: the suites are empty");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let ctx = runtime.block_on(RunContext::build_for_jobs(&env, plan, args.jobs as usize))?;
    for w in &ctx.warnings {
        eprintln!("WARNING: {w}");
    }
    let opts = WatchOptions {
        length,
        interval: args.interval,
        thresholds,
        window_rounds: args.window as usize,
        jobs: args.jobs as usize,
        warmup: args.warmup,
    };
    say!(
        "watch: {} cases per round against {} ({}), every {:?}; writing {}",
        ctx.plan.cases.len(),
        env.name,
        env.providers
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.interval,
        args.report_dir.join("watch.json").display()
    );
    let mut write_error = None;
    let file = runtime.block_on(watch::run_active(&ctx, &opts, |file| {
        if let Some(r) = file.rounds.last() {
            say!("{}", output::round_line(r));
        }
        if let Err(e) = write(file, &args.report_dir) {
            write_error.get_or_insert(e);
        }
    }))?;
    if let Some(e) = write_error {
        return Err(e);
    }
    finish(&file, &args.report_dir)
}

fn finish(file: &WatchFile, dir: &std::path::Path) -> anyhow::Result<i32> {
    for p in write(file, dir)? {
        say!("report: {}", p.display());
    }
    say!(
        "watch: {} ({})",
        output::decision_word(file.verdict),
        file.reason
    );
    Ok(file.exit_code)
}

fn passive(args: &WatchArgs, thresholds: Thresholds) -> anyhow::Result<i32> {
    if args.logs.len() < 2 {
        anyhow::bail!(
            "--logs: give at least two, PROVIDER=FILE for the baseline and each candidate"
        );
    }
    let reader = logs::JsonLines;
    let mut sources = Vec::new();
    for arg in &args.logs {
        let (provider, path) = logs::parse_arg(arg)?;
        if sources.iter().any(|(p, _)| p == &provider) {
            anyhow::bail!("--logs {arg}: {provider} is given twice");
        }
        let records = reader.read(&path)?;
        say!(
            "logs: {provider}: {} lines from {}",
            records.len(),
            path.display()
        );
        sources.push((provider, records));
    }
    let baseline = args
        .baseline
        .clone()
        .unwrap_or_else(|| sources[0].0.clone());
    let file = watch::run_passive(&sources, &baseline, thresholds)?;
    for w in &file.warnings {
        eprintln!("WARNING: {w}");
    }
    if let Some(r) = file.rounds.last() {
        say!("{}", output::round_line(r));
    }
    finish(&file, &args.report_dir)
}
