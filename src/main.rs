//! The `edgeparity` command line. Only the binary uses anyhow; every layer
//! of the library returns its own typed errors. Each subcommand lives in
//! `src/cli/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use edgeparity::exit;

mod cli;

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
    /// Send every case to every provider, compare with the baseline, write the reports.
    Run(cli::run::RunArgs),
    /// List the planned cases (no network).
    List(cli::run::ListArgs),
    /// Record a provider's behaviour (default: the baseline) as golden files.
    Record(cli::golden::RecordArgs),
    /// Review pending golden files (.new): review, accept, reject.
    #[command(subcommand)]
    Golden(cli::golden::GoldenCommand),
    /// Learn each case's volatile fields from the baseline and write them into the suites as ignore_* keys.
    Calibrate(cli::golden::CalibrateArgs),
    /// Pass or block a cutover on a finished report (exit 0 pass, 1 blocked, 2 bad input).
    Gate(cli::gate::GateArgs),
    /// Judge a rollout stage over rounds of requests or two providers' logs (exit 0 proceed, 1 rollback, 2 bad input, 3 not enough data).
    Watch(cli::watch::WatchArgs),
    /// Work with finished reports (merge shards).
    #[command(subcommand)]
    Report(cli::report::ReportCommand),
    /// Build suites from traffic logs (Logpush, Fastly, nginx, HAR, URL lists, sitemaps): one per host.
    Import(cli::import::ImportArgs),
    /// The remediation catalogue: list every hint (id, title, what it matches), or show one in full.
    Hints(cli::hints::HintsArgs),
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
    let result = match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::List(args) => cli::run::list(args),
        Command::Record(args) => cli::golden::record(args),
        Command::Golden(cmd) => cli::golden::golden(cmd),
        Command::Calibrate(args) => cli::golden::calibrate(args),
        Command::Gate(args) => cli::gate::run(args),
        Command::Report(cmd) => cli::report::run(cmd),
        Command::Import(args) => cli::import::run(args),
        Command::Watch(args) => cli::watch::run(args),
        Command::Hints(args) => cli::hints::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::for_error(e.as_ref()) as u8)
        }
    }
}
