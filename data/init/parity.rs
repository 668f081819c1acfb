//! `cargo test --test parity`: one trial per case of the suites, named
//! `SUITE::CASE`, run by edgeparity's libtest runner (the same path a case
//! takes in `edgeparity run`).
//!
//! Settings from the environment: `PARITY_ENV` (default: parity.yaml's
//! `default_env`), `PARITY_CONFIG` (default `parity.yaml`), `PARITY_SUITES`
//! (default `suites`, several separated by `:`), `PARITY_BASELINE=golden`,
//! `PARITY_UPDATE=new`. libtest's own flags work as usual:
//! `cargo test --test parity -- example::` runs one suite.

fn main() -> std::process::ExitCode {
    edgeparity::testrunner::main()
}
