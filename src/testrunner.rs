//! The libtest runner behind `cargo test --test parity`: one trial per case,
//! named `SUITE::CASE`, run through the same `core` as `edgeparity run`.
//!
//! Settings come from the environment: `PARITY_SUITES` (default `suites/`,
//! several paths separated by `:`), `PARITY_CONFIG` (default `parity.yaml`),
//! `PARITY_ENV`, `PARITY_BASELINE` (`live` or `golden`), `PARITY_GOLDEN_DIR`
//! (default `golden/`), `PARITY_CALIBRATE` and `PARITY_CONFIRM` (default 2
//! each), `PARITY_RATE` (like `run --rate`: `10/s`, `off`; default 10/s off
//! loopback, unlimited on it), and `PARITY_UPDATE=new` (write `CASE.yaml.new` of the baseline's
//! answer for every failing trial, for `edgeparity golden review`). libtest's own flags (filters, `--exact`, `--list`,
//! `--ignored`, `--test-threads`) work as usual. Listing needs no network:
//! the run context is built by the first trial that runs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Conclusion, Failed, Trial};

use crate::model::check_expectation;
use crate::plan::PlannedCase;
use crate::render::text::render_case;
use crate::run::{run_case, RunContext};

#[derive(Debug, Clone)]
pub struct Settings {
    pub config: PathBuf,
    pub env: Option<String>,
    pub suites: Vec<PathBuf>,
    pub options: crate::run::RunOptions,
    /// Write pending golden files for failing trials.
    pub update: bool,
    pub golden_dir: PathBuf,
    /// The request-rate cap per provider.
    pub rate: crate::settings::Rate,
}

impl Settings {
    /// From `PARITY_*` and `CI`; a value that is not understood is an error.
    pub fn from_env() -> Result<Settings, String> {
        let env = crate::settings::Settings::from_env().map_err(|e| e.to_string())?;
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let number = |k: &'static str| -> Result<u32, String> {
            match var(k) {
                None => Ok(2),
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{k}=`{v}` is not a whole number")),
            }
        };
        let golden_dir: PathBuf = var("PARITY_GOLDEN_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| "golden".into());
        Ok(Settings {
            config: var("PARITY_CONFIG")
                .map(PathBuf::from)
                .unwrap_or_else(|| "parity.yaml".into()),
            env: var("PARITY_ENV"),
            suites: var("PARITY_SUITES")
                .map(|s| s.split(':').map(PathBuf::from).collect())
                .unwrap_or_else(|| vec!["suites".into()]),
            options: crate::run::RunOptions {
                calibrate: number("PARITY_CALIBRATE")?,
                confirm: number("PARITY_CONFIRM")?,
                golden: (var("PARITY_BASELINE").as_deref() == Some("golden"))
                    .then(|| golden_dir.clone()),
            },
            update: env.update == crate::settings::Update::New,
            golden_dir,
            rate: match var("PARITY_RATE") {
                None => crate::settings::Rate::Default,
                Some(v) => {
                    crate::settings::Rate::parse(&v).map_err(|e| format!("PARITY_RATE={e}"))?
                }
            },
        })
    }

    /// Defaults for the paths given (no environment variables read).
    pub fn new(config: PathBuf, env: Option<String>, suites: Vec<PathBuf>) -> Settings {
        Settings {
            config,
            env,
            suites,
            options: crate::run::RunOptions::default(),
            update: false,
            golden_dir: "golden".into(),
            rate: crate::settings::Rate::Default,
        }
    }
}

pub struct Outcome {
    pub conclusion: Conclusion,
    /// Names of the trials that failed, sorted.
    pub failed: Vec<String>,
}

type Shared = Arc<OnceLock<Result<RunContext, String>>>;

/// Build the trials and run them.
pub fn run(args: &Arguments, settings: &Settings) -> Outcome {
    let failed = Arc::new(Mutex::new(Vec::new()));
    let trials = match crate::prepare(&settings.config, settings.env.as_deref(), &settings.suites) {
        Err(e) => {
            let msg = e.to_string();
            vec![Trial::test("edgeparity::setup", move || {
                Err(Failed::from(msg))
            })]
        }
        Ok((env, plan)) => match crate::settings::runtime() {
            Err(e) => {
                let msg = format!("cannot start the async runtime: {e}");
                vec![Trial::test("edgeparity::setup", move || {
                    Err(Failed::from(msg))
                })]
            }
            Ok(rt) => {
                let rt = Arc::new(rt);
                let cases = plan.cases.clone();
                let shared: Shared = Arc::new(OnceLock::new());
                let plan = Arc::new(Mutex::new(Some(plan)));
                let env = Arc::new(env);
                let settings = Arc::new(settings.clone());
                cases
                    .into_iter()
                    .map(|case| {
                        let ignored = case.case.ignore;
                        let (rt, shared, plan, env, failed, settings) = (
                            rt.clone(),
                            shared.clone(),
                            plan.clone(),
                            env.clone(),
                            failed.clone(),
                            settings.clone(),
                        );
                        Trial::test(case.id.clone(), move || {
                            let r = trial(&rt, &shared, &plan, &env, &settings, &case);
                            if r.is_err() {
                                if let Ok(mut f) = failed.lock() {
                                    f.push(case.id.clone());
                                }
                            }
                            r
                        })
                        .with_ignored_flag(ignored)
                    })
                    .collect()
            }
        },
    };
    let conclusion = libtest_mimic::run(args, trials);
    let mut failed = failed.lock().map(|f| f.clone()).unwrap_or_default();
    failed.sort();
    Outcome { conclusion, failed }
}

fn trial(
    rt: &tokio::runtime::Runtime,
    shared: &Shared,
    plan: &Mutex<Option<crate::plan::Plan>>,
    env: &crate::suite::Environment,
    settings: &Settings,
    case: &PlannedCase,
) -> Result<(), Failed> {
    let ctx = shared.get_or_init(|| {
        let plan = plan
            .lock()
            .ok()
            .and_then(|mut p| p.take())
            .ok_or_else(|| "the plan was already taken".to_string())?;
        let mut ctx = rt
            .block_on(RunContext::build(env, plan))
            .map_err(|e| e.to_string())?;
        ctx.options = settings.options.clone();
        ctx.exec.set_rate(settings.rate);
        Ok(ctx)
    });
    let ctx = ctx.as_ref().map_err(|e| Failed::from(e.clone()))?;
    let result = rt.block_on(run_case(ctx, case));
    let baseline = if ctx.options.golden.is_some() {
        crate::run::GOLDEN
    } else {
        ctx.env.baseline.as_str()
    };
    check_expectation(&result).map_err(|why| {
        let mut msg = format!("{why}\n{}", render_case(&result, baseline));
        if settings.update {
            match rt.block_on(crate::run::record_case(ctx, case, &ctx.env.baseline)) {
                Ok(g) => match crate::golden::write(&settings.golden_dir, &case.suite, &g, true) {
                    Ok(w) => msg.push_str(&format!(
                        "golden: {w:?} (review with `edgeparity golden review`)\n"
                    )),
                    Err(e) => msg.push_str(&format!("golden: cannot write: {e}\n")),
                },
                Err(e) => msg.push_str(&format!("golden: cannot record: {e}\n")),
            }
        }
        Failed::from(msg)
    })
}

/// Entry point of `tests/parity.rs`.
pub fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    match Settings::from_env() {
        Ok(settings) => run(&args, &settings).conclusion.exit_code(),
        Err(msg) => {
            let trial = Trial::test("edgeparity::setup", move || Err(Failed::from(msg)));
            libtest_mimic::run(&args, vec![trial]).exit_code()
        }
    }
}
