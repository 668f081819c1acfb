//! The `edgeparity` command line. Only the binary uses anyhow; every layer
//! of the library returns its own typed errors. Each subcommand lives in
//! `src/cli/`.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use edgeparity::exit;

mod cli;

#[derive(Parser)]
#[command(
    name = "edgeparity",
    version,
    about = "Prove two CDNs behave the same before traffic moves"
)]
struct Cli {
    #[command(flatten)]
    output: cli::output::OutputArgs,
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
    /// Set up a repository to run its suites with `cargo test` and in CI: parity.yaml, an example suite, tests/parity.rs, the Cargo entries, schemas and workflows.
    Init(cli::init::InitArgs),
    /// Print the JSON Schema of parity.yaml (config) or of a suite (suite), for editors.
    Schema(cli::init::SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(cli::docs::CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per subcommand into a folder.
    Man(cli::docs::ManArgs),
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
    cli::output::init(cli.output);
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
        Command::Init(args) => cli::init::run(args),
        Command::Schema(args) => cli::init::schema(args),
        Command::Completions(args) => cli::docs::completions(args, &mut Cli::command()),
        Command::Man(args) => cli::docs::man(args, Cli::command()),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) if cli::output::is_broken_pipe(&e) => ExitCode::from(exit::PARITY as u8),
        Err(e) => {
            cli::output::eprint(&cli::output::styled(&format!("error: {e:#}\n")));
            ExitCode::from(exit::for_error(e.as_ref()) as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every subcommand says what it does and every flag or argument what it
    /// is for, in `--help`, the man page and the completions alike.
    #[test]
    fn every_subcommand_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} <{id}>"));
                }
            }
            for sub in cmd.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_long_about().is_none() {
                    missing.push(name.clone());
                }
                walk(sub, &name, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "edgeparity", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:#?}");
    }

    /// `gate` judges a finished report: `--gate` (apply the gate after a
    /// run) belongs to `run` only.
    #[test]
    fn gate_lists_only_its_own_flags() {
        let cmd = Cli::command();
        let flags = |name: &str| -> Vec<String> {
            cmd.find_subcommand(name)
                .expect("subcommand")
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_string))
                .collect()
        };
        let gate = flags("gate");
        assert!(!gate.contains(&"gate".to_string()), "{gate:?}");
        for f in ["report", "allowlist", "fail-on", "max-error-rate", "format"] {
            assert!(gate.contains(&f.to_string()), "gate lacks --{f}: {gate:?}");
        }
        assert!(flags("run").contains(&"gate".to_string()));
    }
}
