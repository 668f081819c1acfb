//! `edgeparity init [DIR]` and `edgeparity schema config|suite`: the logic
//! is `edgeparity::init`; this reads the flags and says what was written and
//! what to do next. Exit 0 when written, 2 when nothing was (a file exists,
//! a Cargo.toml that cannot take the entries, a bad flag).

use std::path::PathBuf;

use anyhow::Context;

use edgeparity::exit;
use edgeparity::init::{self, Dependency, Options};

use super::output;

#[derive(clap::Args)]
pub struct InitArgs {
    /// The repository (or folder) to set up; created when missing.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Depend on the edgeparity checkout at PATH (a path dependency).
    #[arg(long, value_name = "PATH", conflicts_with = "git")]
    pub path: Option<PathBuf>,
    /// Depend on edgeparity from this git repository.
    #[arg(long, value_name = "URL")]
    pub git: Option<String>,
    /// Depend on this crates.io version of edgeparity (default: this binary's).
    #[arg(long, value_name = "REQ", conflicts_with_all = ["path", "git"])]
    pub edgeparity_version: Option<String>,
    /// The example suite's base_url: scheme, host and optional port.
    #[arg(long, default_value = "https://www.example.com", value_name = "URL")]
    pub base_url: String,
}

#[derive(clap::Args)]
pub struct SchemaArgs {
    /// Which file's schema: config (parity.yaml) or suite.
    #[arg(value_parser = ["config", "suite"])]
    pub which: String,
}

pub fn run(args: InitArgs) -> anyhow::Result<i32> {
    let dependency = match (args.path, args.git, args.edgeparity_version) {
        (Some(p), _, _) => Dependency::Path(
            p.canonicalize()
                .with_context(|| format!("--path {}", p.display()))?,
        ),
        (None, Some(url), _) => Dependency::Git(url),
        (None, None, v) => {
            Dependency::Version(v.unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string()))
        }
    };
    let opts = Options {
        dir: args.dir,
        dependency,
        base_url: args.base_url,
    };
    let written = init::init(&opts)?;
    if output::quiet() {
        return Ok(exit::PARITY);
    }
    for p in &written.created {
        println!("created {}", p.display());
    }
    if let Some(p) = &written.edited {
        println!(
            "edited  {} ([[test]] parity, dev-dependency edgeparity)",
            p.display()
        );
    }
    println!(
        "\nnext: set the providers in parity.yaml and the base_url and cases in suites/example.yaml, then\n  \
         cargo test --test parity                         # one trial per case, named SUITE::CASE\n  \
         PARITY_ENV=staging cargo test --test parity -- example::\n  \
         edgeparity run                                   # the same cases, with reports in reports/latest"
    );
    Ok(exit::PARITY)
}

pub fn schema(args: SchemaArgs) -> anyhow::Result<i32> {
    let schema = match args.which.as_str() {
        "config" => edgeparity::config::json_schema(),
        _ => edgeparity::suite::json_schema(),
    };
    output::print_json(&schema)?;
    Ok(exit::PARITY)
}
