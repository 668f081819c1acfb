//! The libtest runner behind `cargo test --test parity`: one trial per case,
//! named `SUITE::CASE`, run through the same `core` as `edgeparity run`.
//!
//! Settings come from the environment: `PARITY_SUITES` (default `suites/`,
//! several paths separated by `:`), `PARITY_CONFIG` (default `parity.yaml`)
//! and `PARITY_ENV`. libtest's own flags (filters, `--exact`, `--list`,
//! `--ignored`, `--test-threads`) work as usual. Listing needs no network:
//! the run context is built by the first trial that runs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Conclusion, Failed, Trial};

use crate::core::{check_expectation, run_case, RunContext};
use crate::plan::PlannedCase;
use crate::report::render_case;

#[derive(Debug, Clone)]
pub struct Settings {
    pub config: PathBuf,
    pub env: Option<String>,
    pub suites: Vec<PathBuf>,
}

impl Settings {
    pub fn from_env() -> Settings {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Settings {
            config: var("PARITY_CONFIG")
                .map(PathBuf::from)
                .unwrap_or_else(|| "parity.yaml".into()),
            env: var("PARITY_ENV"),
            suites: var("PARITY_SUITES")
                .map(|s| s.split(':').map(PathBuf::from).collect())
                .unwrap_or_else(|| vec!["suites".into()]),
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
        Ok((env, plan)) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
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
                cases
                    .into_iter()
                    .map(|case| {
                        let ignored = case.case.ignore;
                        let (rt, shared, plan, env, failed) = (
                            rt.clone(),
                            shared.clone(),
                            plan.clone(),
                            env.clone(),
                            failed.clone(),
                        );
                        Trial::test(case.id.clone(), move || {
                            let r = trial(&rt, &shared, &plan, &env, &case);
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
    case: &PlannedCase,
) -> Result<(), Failed> {
    let ctx = shared.get_or_init(|| {
        let plan = plan
            .lock()
            .ok()
            .and_then(|mut p| p.take())
            .ok_or_else(|| "the plan was already taken".to_string())?;
        rt.block_on(RunContext::build(env, plan))
            .map_err(|e| e.to_string())
    });
    let ctx = ctx.as_ref().map_err(|e| Failed::from(e.clone()))?;
    let result = rt.block_on(run_case(ctx, case));
    check_expectation(&result).map_err(|why| {
        Failed::from(format!(
            "{why}\n{}",
            render_case(&result, &ctx.env.baseline)
        ))
    })
}

/// Entry point of `tests/parity.rs`.
pub fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let outcome = run(&args, &Settings::from_env());
    outcome.conclusion.exit_code()
}
