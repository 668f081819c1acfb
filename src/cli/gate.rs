//! `edgeparity gate` and `run --gate`: the logic is `edgeparity::gate`;
//! this reads the inputs and prints the judgement.
//! Exit codes: 0 passes, 1 blocked, 2 bad usage or unreadable input.

use std::path::PathBuf;

use anyhow::Context;

use edgeparity::allowlist::Allowlist;
use edgeparity::gate::{self, Policy};
use edgeparity::model::Report;
use edgeparity::report;

use super::output::{self, FormatArg};

/// The gate's policy, shared by `gate` and `run --gate`.
#[derive(clap::Args)]
pub struct GateFlags {
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
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: GateArgs) -> anyhow::Result<i32> {
    // Check the flags and the allowlist before reading the report, so that
    // every bad input is reported the same way (exit 2).
    let policy = Policy::new(&args.flags.fail_on, args.flags.max_error_rate)?;
    let allow = load_allowlist(&args.flags)?;
    let report = report::read(&args.report)?;
    let outcome = evaluate(&report, &allow, &policy);
    if args.format.json() {
        let mut doc = document(&outcome, &allow);
        doc["report"] = args.report.display().to_string().into();
        doc["environment"] = report.environment.clone().into();
        doc["baseline"] = report.baseline.clone().into();
        output::print_json(&doc)?;
    } else if !output::quiet() {
        println!(
            "gate: {} ({} vs baseline {}, {} cases)",
            args.report.display(),
            report.environment,
            report.baseline,
            report.cases.len()
        );
        output::print(&output::styled(&gate::render(&outcome, &allow)))?;
    }
    Ok(outcome.exit_code())
}

/// `run --gate`: the gate on the report just written. Printed as text
/// (unless quiet), or returned as a JSON value for `run --format json`.
pub fn apply(
    report: &Report,
    flags: &GateFlags,
    json: bool,
) -> anyhow::Result<(i32, Option<serde_json::Value>)> {
    let policy = Policy::new(&flags.fail_on, flags.max_error_rate)?;
    let allow = load_allowlist(flags)?;
    let outcome = evaluate(report, &allow, &policy);
    if json {
        return Ok((outcome.exit_code(), Some(document(&outcome, &allow))));
    }
    if !output::quiet() {
        println!();
        output::print(&output::styled(&gate::render(&outcome, &allow)))?;
    }
    Ok((outcome.exit_code(), None))
}

fn load_allowlist(flags: &GateFlags) -> anyhow::Result<Allowlist> {
    match &flags.allowlist {
        Some(p) => Allowlist::load(p).context("--allowlist"),
        None => Ok(Allowlist::empty()),
    }
}

fn evaluate(report: &Report, allow: &Allowlist, policy: &Policy) -> gate::Outcome {
    let today = jiff::Zoned::now().date();
    gate::evaluate(report, allow, policy, today)
}

/// The gate's judgement as one JSON document (`--format json`): the same
/// facts as the text, each list in the order the text prints it.
fn document(outcome: &gate::Outcome, allow: &Allowlist) -> serde_json::Value {
    use serde_json::json;
    let entry = |i: usize| {
        allow.entries.get(i).map(|e| {
            json!({
                "case": e.case, "kind": e.kind, "field": e.field, "provider": e.provider,
                "reason": e.reason, "owner": e.owner, "expires": e.expires.to_string(),
                "at": e.at.to_string(),
            })
        })
    };
    let finding = |f: &gate::Finding| {
        let d = &f.difference;
        json!({
            "case": f.case, "provider": d.provider, "kind": d.kind, "field": d.field,
            "severity": d.severity, "message": d.message, "hint": d.hint,
        })
    };
    let p = &outcome.policy;
    json!({
        "command": "gate",
        "passed": outcome.passed(),
        "exit_code": outcome.exit_code(),
        "policy": {"fail_on": p.fail_on, "max_error_rate": p.max_error_rate},
        "total": outcome.total,
        "blocking": outcome.blocking.iter().map(finding).collect::<Vec<_>>(),
        "expired": outcome.expired.iter().filter_map(|i| entry(*i)).collect::<Vec<_>>(),
        "allowed": outcome.used.iter().filter_map(|u| entry(u.entry).map(|e| json!({
            "entry": e,
            "covered": u.covered.iter().map(finding).collect::<Vec<_>>(),
        }))).collect::<Vec<_>>(),
        "stale": outcome.stale.iter().filter_map(|i| entry(*i)).collect::<Vec<_>>(),
        "below_threshold": outcome.below,
        "unverified": outcome.unverified.iter().map(|u| json!({
            "case": u.case, "verdict": u.verdict, "error": u.error,
        })).collect::<Vec<_>>(),
        "unverified_rate": outcome.unverified_rate,
    })
}
