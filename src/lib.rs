//! edgeparity: prove two CDNs behave the same before traffic moves.
//!
//! Data flows one way (see ARCHITECTURE.md): `suite` → `plan` → `exec` →
//! `normalize` → `compare`/`cache`/`noise` → `judge` → `run` → `report`/
//! `render`/`gate`/`golden`. The types the stages exchange live in `model`,
//! which imports no stage. `run` is the one path a case takes, shared by the
//! CLI and the libtest runner (`testrunner`). Vendor knowledge lives only in
//! `provider`.

pub mod allowlist;
pub mod assertion;
pub mod cache;
pub mod canary;
pub mod compare;
pub mod config;
pub mod edit;
pub mod exec;
pub mod exit;
pub mod followup;
pub mod fsio;
pub mod gate;
pub mod golden;
pub mod hints;
pub mod import;
pub mod init;
pub mod judge;
pub mod model;
pub mod noise;
pub mod normalize;
pub mod plan;
pub mod probe;
pub mod progress;
pub mod provider;
pub mod redact;
pub mod render;
pub mod report;
pub mod run;
pub mod schema;
pub mod settings;
pub mod severity;
pub mod shard;
pub mod spool;
pub mod stats;
pub mod suite;
pub mod testrunner;
pub mod vars;
pub mod watch;
pub mod yaml;

use std::path::{Path, PathBuf};

/// Load the config and the suites, and plan the run: the first half of every
/// use of edgeparity, shared by the CLI and the test runner.
pub fn prepare(
    config: &Path,
    env: Option<&str>,
    paths: &[PathBuf],
) -> Result<(suite::Environment, plan::Plan), yaml::InputError> {
    let config = suite::Config::load(config)?;
    let env = config.environment(env)?.clone();
    let (suites, skipped) = suite::load_suites_beside(paths, Some(&config.path))?;
    if suites.iter().all(|s| s.cases.is_empty()) {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(yaml::InputError::invalid(
            yaml::Location::file(
                paths
                    .first()
                    .map(PathBuf::as_path)
                    .unwrap_or(config.path.as_path()),
            ),
            "cases",
            format!(
                "no case to run in {} ({} suite file(s) read): nothing would be compared",
                named.join(", "),
                suites.len()
            ),
        ));
    }
    let digest = digest_inputs(&config.path, &env.name, &suites);
    let mut plan = plan::plan(&env, suites);
    plan.skipped = skipped;
    plan.config_digest = digest;
    Ok((env, plan))
}

/// A digest of what decides a run's cases: the config file, the environment
/// chosen and every suite file. Shards of one run share it; `report merge`
/// refuses reports whose digests differ.
fn digest_inputs(config: &Path, env: &str, suites: &[suite::Suite]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(std::fs::read(config).unwrap_or_default());
    h.update(b"\0env\0");
    h.update(env.as_bytes());
    for s in suites {
        h.update(b"\0suite\0");
        h.update(s.name.as_bytes());
        h.update(std::fs::read(&s.file).unwrap_or_default());
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_selection_is_an_error_not_parity() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("parity.yaml");
        std::fs::write(
            &config,
            "environments:\n  t:\n    baseline: a\n    providers:\n      a: {addrs: [127.0.0.2]}\n      b: {addrs: [127.0.0.3]}\n",
        )
        .unwrap();
        let suites = dir.path().join("suites");
        std::fs::create_dir(&suites).unwrap();
        std::fs::write(
            suites.join("s.yaml"),
            "base_url: https://x.test\ncases: []\n",
        )
        .unwrap();
        let e = super::prepare(&config, None, std::slice::from_ref(&suites))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no case to run"), "{e}");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(super::prepare(&config, None, &[empty]).is_err());
    }
}
