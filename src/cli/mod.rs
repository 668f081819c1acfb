//! One module per subcommand, and the conventions they share (`output`).
pub mod docs;
pub mod gate;
pub mod golden;
pub mod hints;
pub mod import;
pub mod init;
pub mod output;
pub mod report;
pub mod run;
pub mod watch;
