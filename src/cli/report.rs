//! `edgeparity report merge`. (Being built: see issue 6.)

use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Merge shard report folders into one full report, every format re-rendered.
    Merge {
        /// Shard report folders (each with a report.json).
        dirs: Vec<PathBuf>,
        /// Where the merged reports go.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(_cmd: ReportCommand) -> anyhow::Result<i32> {
    anyhow::bail!("report merge is not built yet")
}
