//! `edgeparity run` and `edgeparity list`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use edgeparity::model::report::{CaseSource, Order};
use edgeparity::model::Verdict;
use edgeparity::run::{provider_info, report_head, run_each, RunContext};
use edgeparity::spool::{Spool, Spooled};
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
}

impl CommonArgs {
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
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn list(args: ListArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (_, plan) = edgeparity::prepare(&c.config, c.env.as_deref(), &c.paths)?;
    c.say_skipped(&plan);
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
/// `verdicts` are the cases' verdicts in plan order.
fn write_pending(
    rt: &tokio::runtime::Runtime,
    ctx: &RunContext,
    verdicts: &[Verdict],
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
    for (case, v) in ctx.plan.cases.iter().zip(verdicts) {
        let wanted = all || matches!(v, Verdict::Differs | Verdict::NoGolden | Verdict::Flaky);
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

/// The reports could not be written: exit 5, naming the folder.
fn not_written(dir: &std::path::Path, e: &std::io::Error) -> exit::ReportsNotWritten {
    exit::ReportsNotWritten {
        dir: dir.display().to_string(),
        message: edgeparity::fsio::os_error(e),
    }
}

pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (env, mut plan) = edgeparity::prepare(&c.config, c.env.as_deref(), &c.paths)?;
    c.say_skipped(&plan);
    if let Some(spec) = &args.shard {
        let shard = edgeparity::shard::Shard::parse(spec)?;
        plan.cases = shard.select(plan.cases, |c| &c.id);
        plan.shard = Some(shard);
    }
    let previous = match &args.previous {
        Some(p) => Some(
            report::read_verdicts(p).with_context(|| format!("--previous {}", p.display()))?,
        ),
        None => None,
    };
    let settings = edgeparity::settings::Settings::from_env()?;
    let runtime = edgeparity::settings::runtime().context("cannot start the async runtime")?;
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let mut ctx = runtime.block_on(RunContext::build(&env, plan))?;
    ctx.options.calibrate = args.calibrate;
    ctx.options.confirm = args.confirm;
    let golden_mode = args.baseline == "golden";
    if golden_mode {
        ctx.options.golden = Some(args.golden.golden_dir.clone());
    }
    for w in &ctx.warnings {
        eprintln!("WARNING: {w}");
    }
    let dir = &args.report_dir;
    let spooled = run_spooled(&runtime, &ctx, args.jobs as usize, settings.ci, dir)
        .map_err(|e| not_written(dir, &e))?;
    let explicit = settings.update == edgeparity::settings::Update::New;
    if settings.writes_pending(golden_mode) {
        let mut verdicts = Vec::with_capacity(spooled.count());
        spooled.for_each_key(&mut |k, _| verdicts.push(k.verdict));
        let pending = write_pending(&runtime, &ctx, &verdicts, explicit)?;
        if pending > 0 {
            println!(
                "{pending} pending golden file(s) written: review with `edgeparity golden review`"
            );
        }
    }
    let head = report_head(
        &ctx,
        started_at,
        clock.elapsed(),
        spooled.summary.clone(),
        spooled.latency.clone(),
    );
    let written = edgeparity::render::write_streamed(&head, &spooled, dir, previous.as_deref())
        .map_err(|e| not_written(dir, &e))?;
    let text = edgeparity::render::text::text_of(&head, &spooled).map_err(|e| not_written(dir, &e))?;
    print!("{text}");
    for p in written {
        println!("report: {}", p.display());
    }
    let code = exit::for_summary(&head.summary);
    if args.gate.gate || args.gate.allowlist.is_some() {
        // The gate reads the cases not at parity; the rest only count.
        let mut report = head;
        spooled
            .visit(Order::NotParity, &mut |c| {
                report.cases.push(c.clone());
                Ok(())
            })
            .map_err(|e| not_written(dir, &e))?;
        return super::gate::apply(&report, &args.gate);
    }
    Ok(code)
}

/// Run every case of the plan, each result spooled as it finishes (and
/// shown by the progress line), none kept in memory.
fn run_spooled(
    runtime: &tokio::runtime::Runtime,
    ctx: &RunContext,
    jobs: usize,
    ci: bool,
    dir: &std::path::Path,
) -> std::io::Result<Spooled> {
    let cases = &ctx.plan.cases;
    let mut progress = edgeparity::progress::Progress::new(cases.len(), ci);
    let mut spool = Spool::new(dir, cases.len())?;
    let mut failed: Option<std::io::Error> = None;
    runtime.block_on(run_each(ctx, cases, jobs, |i, r| {
        progress.case_done(&r);
        if failed.is_none() {
            failed = spool.push(i, &r).err();
        }
    }));
    progress.finish();
    if let Some(e) = failed {
        return Err(e);
    }
    spool.finish(&provider_info(ctx))
}
