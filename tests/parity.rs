//! `cargo test --test parity`: one trial per suite case (see
//! `edgeparity::testrunner` for the settings it reads).

fn main() -> std::process::ExitCode {
    edgeparity::testrunner::main()
}
