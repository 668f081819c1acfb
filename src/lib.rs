//! edgeparity: prove two CDNs behave the same before traffic moves.
//!
//! Data flows one way (see ARCHITECTURE.md):
//! `suite` → `plan` → `exec` → `normalize` → `compare` → `report`.
//! `core` is the one path a case takes, shared by the CLI and the libtest
//! runner (`testrunner`). Vendor knowledge lives only in `provider`.

pub mod cache;
pub mod compare;
pub mod core;
pub mod exec;
pub mod exit;
pub mod normalize;
pub mod plan;
pub mod provider;
pub mod redact;
pub mod report;
pub mod severity;
pub mod shard;
pub mod suite;
pub mod testrunner;

use std::path::{Path, PathBuf};

/// Load the config and the suites, and plan the run: the first half of every
/// use of edgeparity, shared by the CLI and the test runner.
pub fn prepare(
    config: &Path,
    env: Option<&str>,
    paths: &[PathBuf],
) -> Result<(suite::Environment, plan::Plan), suite::SuiteError> {
    let config = suite::Config::load(config)?;
    let env = config.environment(env)?.clone();
    let suites = suite::load_suites(paths)?;
    let plan = plan::plan(&env, &suites);
    Ok((env, plan))
}
