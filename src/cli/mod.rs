//! One module per subcommand.
pub mod gate;
pub mod golden;
pub mod hints;
pub mod import;
pub mod report;
pub mod run;
pub mod watch;
