//! `edgeparity run` and `edgeparity list`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use edgeparity::model::report::{CaseSource, Order};
use edgeparity::model::Verdict;
use edgeparity::run::{provider_info, report_head, run_each, RunContext, Totals};
use edgeparity::spool::{Spool, Spooled as SpooledCases};
use edgeparity::{exit, report};

use super::output::{self, FormatArg};

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
        if output::verbose() > 0 {
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
    /// After the run, apply the pre-cutover gate to its report (exit 0 pass,
    /// 1 blocked, 2 bad input); implied by --allowlist.
    #[arg(long)]
    pub gate: bool,
    #[command(flatten)]
    pub gate_flags: super::gate::GateFlags,
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
    pub format: FormatArg,
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
        if !output::quiet() {
            eprintln!("rate: {}", ctx.exec.rate);
        }
    }
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// One planned case in `list --format json`.
#[derive(serde::Serialize)]
struct ListedCase<'a> {
    id: &'a str,
    suite: &'a str,
    name: &'a str,
    method: &'a str,
    /// With secrets masked.
    url: String,
    providers: &'a [String],
    ignored: bool,
}

pub fn list(args: ListArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (_, plan) = c.prepare()?;
    let redactor = edgeparity::redact::Redactor::new(plan.secrets.clone());
    if args.format.json() {
        let cases: Vec<ListedCase> = plan
            .cases
            .iter()
            .map(|c| ListedCase {
                id: &c.id,
                suite: &c.suite,
                name: &c.case.name,
                method: c.request.method.as_str(),
                url: redactor.url(&c.request.url),
                providers: &c.providers,
                ignored: c.case.ignore,
            })
            .collect();
        output::print_json(&serde_json::json!({
            "command": "list",
            "environment": plan.environment,
            "baseline": plan.baseline,
            "count": cases.len(),
            "cases": cases,
        }))?;
        return Ok(exit::PARITY);
    }
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
        message: edgeparity::fsio::os_error(dir, e),
    }
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
        Some(p) => Some(report::read_verdicts(p).context("--previous")?),
        None => None,
    };
    // Read before the run (a bad allowlist fails fast) and marked in every
    // report; the gate reads it again to decide.
    let allow = match &args.gate_flags.allowlist {
        Some(path) => Some(edgeparity::allowlist::Allowlist::load(path)?),
        None => None,
    };
    let settings = edgeparity::settings::Settings::from_env()?;
    let runtime = edgeparity::settings::runtime().context("cannot start the async runtime")?;
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let mut ctx = runtime.block_on(RunContext::build_for_jobs(&env, plan, args.jobs as usize))?;
    args.rate.apply(&mut ctx);
    ctx.options.calibrate = args.calibrate;
    ctx.options.confirm = args.confirm;
    let golden_mode = args.baseline == "golden";
    if golden_mode {
        ctx.options.golden = Some(args.golden.golden_dir.clone());
    }
    for w in &ctx.warnings {
        output::eprint(&output::styled(&format!("WARNING: {w}\n")));
    }
    let dir = &args.report_dir;
    let today = jiff::Zoned::now().date();
    let spooled = run_spooled(&runtime, &ctx, args.jobs as usize, settings.ci, dir, |c| {
        if let Some(allow) = &allow {
            allow.mark(std::slice::from_mut(c), today);
        }
    })
    .map_err(|e| not_written(dir, &e))?;
    let explicit = settings.update == edgeparity::settings::Update::New;
    let mut pending = 0;
    if settings.writes_pending(golden_mode) {
        let mut verdicts = Vec::with_capacity(spooled.cases.count());
        spooled
            .cases
            .for_each_key(&mut |k, _| verdicts.push(k.verdict));
        pending = write_pending(&runtime, &ctx, &verdicts, explicit)?;
        if pending > 0 {
            note(
                &args.format,
                &format!("{pending} pending golden file(s) written: review with `edgeparity golden review`"),
            );
        }
    }
    let head = report_head(&ctx, started_at, clock.elapsed(), spooled.totals);
    // The reports need only the spool now: the plan (most of a large
    // run's memory) goes before they are rendered.
    drop(ctx);
    let cases = &spooled.cases;
    let written = edgeparity::render::write_streamed(&head, cases, dir, previous.as_deref())
        .map_err(|e| not_written(dir, &e))?;
    finish(&args, head, cases, &written, pending)
}

/// A line for the user: on stdout in human form, on stderr beside a JSON
/// document, nowhere with -q.
fn note(format: &FormatArg, line: &str) {
    if output::quiet() {
        return;
    }
    if format.json() {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// Print the run's outcome (text, or one JSON document), apply the gate when
/// asked, and pick the exit code. The cases are read back from the spool:
/// the text summary and the gate need only those not at parity.
fn finish(
    args: &RunArgs,
    head: edgeparity::model::Report,
    cases: &dyn CaseSource,
    written: &[PathBuf],
    pending: usize,
) -> anyhow::Result<i32> {
    let json = args.format.json();
    if !json && !output::quiet() {
        let text = edgeparity::render::text::text_of(&head, cases)?;
        output::print(&output::styled(&text))?;
        for p in written {
            println!("report: {}", p.display());
        }
    }
    let mut code = exit::for_summary(&head.summary);
    let mut gate = None;
    let gated = args.gate || args.gate_flags.allowlist.is_some();
    if gated || json {
        // The gate reads the cases not at parity; the rest only count.
        let mut report = head;
        cases.visit(Order::NotParity, &mut |c| {
            report.cases.push(c.clone());
            Ok(())
        })?;
        if gated {
            (code, gate) = super::gate::apply(&report, &args.gate_flags, json)?;
        }
        if json {
            output::print_json(&run_document(&report, cases, written, pending, code, gate)?)?;
        }
    }
    Ok(code)
}

/// `run --format json`: the outcome in one document. The cases carry their
/// verdict and differences in short; `report.json` (named in `reports`)
/// has everything.
fn run_document(
    report: &edgeparity::model::Report,
    cases: &dyn CaseSource,
    written: &[PathBuf],
    pending: usize,
    exit_code: i32,
    gate: Option<serde_json::Value>,
) -> std::io::Result<serde_json::Value> {
    use serde_json::json;
    let mut docs: Vec<serde_json::Value> = Vec::with_capacity(cases.count());
    cases.visit(Order::Plan, &mut |c| {
        docs.push(json!({
            "id": c.id,
            "verdict": c.verdict,
            "error": c.error,
            "differences": c.differences.iter().map(|d| json!({
                "provider": d.provider, "kind": d.kind, "field": d.field,
                "severity": d.severity, "message": d.message,
            })).collect::<Vec<_>>(),
        }));
        Ok(())
    })?;
    Ok(json!({
        "command": "run",
        "exit_code": exit_code,
        "environment": report.environment,
        "baseline": report.baseline,
        "duration_ms": report.duration_ms,
        "summary": report.summary,
        "warnings": report.warnings,
        "reports": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "pending_golden": pending,
        "cases": docs,
        "gate": gate,
    }))
}

/// Run every case of the plan, each result marked by `mark` (the
/// allowlist), counted and spooled as it finishes (and shown by the
/// progress line on stderr unless -q), none kept in memory.
fn run_spooled(
    runtime: &tokio::runtime::Runtime,
    ctx: &RunContext,
    jobs: usize,
    ci: bool,
    dir: &std::path::Path,
    mark: impl Fn(&mut edgeparity::model::CaseResult),
) -> std::io::Result<Spooled> {
    let cases = &ctx.plan.cases;
    let mut progress =
        (!output::quiet()).then(|| edgeparity::progress::Progress::new(cases.len(), ci));
    let mut spool = Spool::new(dir, cases.len())?;
    let mut totals = Totals::new(&ctx.plan);
    let mut failed: Option<std::io::Error> = None;
    runtime.block_on(run_each(ctx, cases, jobs, |i, mut r| {
        mark(&mut r);
        if let Some(p) = progress.as_mut() {
            p.case_done(&r);
        }
        totals.add(i, &r);
        if failed.is_none() {
            failed = spool.push(i, &r).err();
        }
    }));
    if let Some(p) = progress {
        p.finish();
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Spooled {
        cases: spool.finish()?,
        totals: totals.finish(&provider_info(ctx), &ctx.warnings),
    })
}

/// A finished run: its cases on disk and what was counted as they came.
struct Spooled {
    cases: SpooledCases,
    totals: edgeparity::run::RunTotals,
}
