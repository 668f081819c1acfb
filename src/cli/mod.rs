//! One module per subcommand.
pub mod gate;
pub mod report;
pub mod run;
