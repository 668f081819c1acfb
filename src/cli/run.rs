//! `edgeparity run` and `edgeparity list`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use edgeparity::model::Verdict;
use edgeparity::run::{build_report, run_all, RunContext};
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
    /// Say which files of the suite folders were skipped as project configs.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Only the cases whose id matches GLOB (`shop/*::home*`, `*@m.example.com`)
    /// or is GLOB; repeat for more. Selecting no case is an error (exit 2).
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
}

impl CommonArgs {
    /// Load the config and suites, plan, and keep the cases `--filter`
    /// selects (`-v` names the skipped project configs).
    pub fn prepare(
        &self,
    ) -> anyhow::Result<(edgeparity::suite::Environment, edgeparity::plan::Plan)> {
        let (env, mut plan) = edgeparity::prepare(&self.config, self.env.as_deref(), &self.paths)?;
        self.say_skipped(&plan);
        plan.select(&self.filter)?;
        Ok((env, plan))
    }

    /// With `-v`: each skipped project config, once.
    pub fn say_skipped(&self, plan: &edgeparity::plan::Plan) {
        if self.verbose {
            for f in &plan.skipped {
                eprintln!("skipped {}: a project config, not a suite", f.display());
            }
        }
    }
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
    /// Compare against the live baseline provider, or against golden files.
    #[arg(long, env = "PARITY_BASELINE", default_value = "live", value_parser = ["live", "golden"])]
    pub baseline: String,
    #[command(flatten)]
    pub golden: super::golden::GoldenDirArg,
    /// Extra baseline answers per case to learn its noise (A/A); 0 turns it off.
    #[arg(long, default_value_t = 2)]
    pub calibrate: u32,
    /// Re-runs of a differing case, each on new cache keys; 0 turns it off.
    #[arg(long, default_value_t = 2)]
    pub confirm: u32,
    #[command(flatten)]
    pub rate: RateArg,
}

/// The request-rate cap.
#[derive(clap::Args, Clone)]
pub struct RateArg {
    /// Most requests per second to each provider: N/s, N/min or off. Default:
    /// 10/s to a provider with any address off loopback, unlimited on
    /// loopback (said when the run starts).
    #[arg(long, value_name = "N/s")]
    pub rate: Option<edgeparity::settings::Rate>,
}

impl RateArg {
    /// Apply the cap and say what it is.
    pub fn apply(&self, ctx: &mut RunContext) {
        ctx.exec.set_rate(self.rate.unwrap_or_default());
        eprintln!("rate: {}", ctx.exec.rate);
    }
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn list(args: ListArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (_, plan) = c.prepare()?;
    let redactor = edgeparity::redact::Redactor::new(plan.secrets.clone());
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for case in &plan.cases {
        writeln!(
            out,
            "{}  {} {}",
            case.id,
            case.request.method,
            redactor.url(&case.request.url)
        )?;
    }
    out.flush()?;
    Ok(exit::PARITY)
}

/// Record the baseline provider's answer as `CASE.yaml.new` for the cases
/// that differ from or lack their golden file (every case when `all`).
fn write_pending(
    rt: &tokio::runtime::Runtime,
    ctx: &RunContext,
    results: &[edgeparity::model::CaseResult],
    all: bool,
) -> anyhow::Result<usize> {
    let Some(dir) = ctx
        .options
        .golden
        .clone()
        .or_else(|| all.then(|| "golden".into()))
    else {
        return Ok(0);
    };
    let mut n = 0;
    for (case, r) in ctx.plan.cases.iter().zip(results) {
        let wanted = all
            || matches!(
                r.verdict,
                Verdict::Differs | Verdict::NoGolden | Verdict::Flaky
            );
        if !wanted {
            continue;
        }
        match rt.block_on(edgeparity::run::record_case(ctx, case, &ctx.env.baseline)) {
            Ok(g) => {
                if edgeparity::golden::write(&dir, &case.suite, &g, true)?
                    == edgeparity::golden::Written::Pending
                {
                    n += 1;
                }
            }
            Err(e) => eprintln!("cannot record {} for review: {e}", case.id),
        }
    }
    Ok(n)
}

pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (env, mut plan) = c.prepare()?;
    if let Some(spec) = &args.shard {
        let shard = edgeparity::shard::Shard::parse(spec)?;
        let total = plan.cases.len();
        plan.cases = shard.select(plan.cases, |c| &c.id);
        plan.shard = Some(shard);
        plan.nothing_left(&format!("--shard {shard}"), total)?;
    }
    let previous = match &args.previous {
        Some(p) => Some(report::read(p).with_context(|| format!("--previous {}", p.display()))?),
        None => None,
    };
    let settings = edgeparity::settings::Settings::from_env()?;
    let runtime = edgeparity::settings::runtime().context("cannot start the async runtime")?;
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let mut ctx = runtime.block_on(RunContext::build(&env, plan))?;
    args.rate.apply(&mut ctx);
    ctx.options.calibrate = args.calibrate;
    ctx.options.confirm = args.confirm;
    let golden_mode = args.baseline == "golden";
    if golden_mode {
        ctx.options.golden = Some(args.golden.golden_dir.clone());
    }
    for w in &ctx.warnings {
        eprintln!("WARNING: {w}");
    }
    let cases = ctx.plan.cases.clone();
    let mut progress = edgeparity::progress::Progress::new(cases.len(), settings.ci);
    let results = runtime.block_on(run_all(&ctx, &cases, args.jobs as usize, |r| {
        progress.case_done(r)
    }));
    progress.finish();
    let explicit = settings.update == edgeparity::settings::Update::New;
    if settings.writes_pending(golden_mode) {
        let pending = write_pending(&runtime, &ctx, &results, explicit)?;
        if pending > 0 {
            println!(
                "{pending} pending golden file(s) written: review with `edgeparity golden review`"
            );
        }
    }
    let report = build_report(&ctx, results, started_at, clock.elapsed());
    let written = edgeparity::render::write_all(&report, &args.report_dir, previous.as_ref())
        .map_err(|e| exit::ReportsNotWritten {
            dir: args.report_dir.display().to_string(),
            message: edgeparity::fsio::os_error(&e),
        })?;
    print!("{}", edgeparity::render::text::render_text(&report));
    for p in written {
        println!("report: {}", p.display());
    }
    let code = exit::for_summary(&report.summary);
    if args.gate.gate || args.gate.allowlist.is_some() {
        return super::gate::apply(&report, &args.gate);
    }
    Ok(code)
}
