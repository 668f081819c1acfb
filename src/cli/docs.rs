//! `edgeparity completions SHELL` and `edgeparity man`: generated from the
//! same clap definition that parses the command line, so they cannot fall
//! behind a new flag or subcommand.

use std::path::PathBuf;

use anyhow::Context;

use edgeparity::exit;

#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// Write edgeparity.1 and one edgeparity-SUBCOMMAND.1 per subcommand into
    /// this folder instead of printing edgeparity.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs, cmd: &mut clap::Command) -> anyhow::Result<i32> {
    let name = cmd.get_name().to_string();
    clap_complete::generate(args.shell, cmd, name, &mut std::io::stdout());
    Ok(exit::PARITY)
}

pub fn man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<i32> {
    match args.out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            if !super::output::quiet() {
                println!("man pages written to {}", dir.display());
            }
        }
    }
    Ok(exit::PARITY)
}
