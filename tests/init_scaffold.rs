//! `edgeparity init` end to end: scaffold a repository in a temporary
//! folder with a path dependency on this checkout, then run `cargo test
//! --test parity` there against the real testbed, as a team would from its
//! own repository.
//!
//! The scaffold builds in `target/init-scaffold` (shared between runs, so
//! the dependencies compile once) with this checkout's `Cargo.lock` and
//! `--offline`: every crate is already in the local registry cache, since
//! this crate built. A missing testbed fails the test; it never skips.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ca() -> PathBuf {
    std::env::var("EDGEPARITY_TESTBED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("testbed/run"))
        .join("tls/ca.pem")
}

fn require_testbed() {
    common::require_testbed(&common::TESTBED[..2]);
    assert!(
        ca().is_file(),
        "the testbed CA {} is missing: run testbed/up",
        ca().display()
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `cargo test --offline --test parity` in the scaffold, against the testbed.
fn cargo_test(dir: &Path) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(["test", "--offline", "--test", "parity"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", repo().join("target/init-scaffold"))
        .env("CARGO_TERM_COLOR", "never")
        .env("PARITY_CONFIG", "testbed.yaml")
        .env("PARITY_ENV", "testbed")
        .env("CI", "true")
        .env_remove("PARITY_SUITES")
        .env_remove("PARITY_BASELINE")
        .env_remove("PARITY_UPDATE")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

/// The scaffold's YAML files name schemas it wrote, and validate.
fn check_schemas(dir: &Path) {
    for (file, schema) in [
        ("parity.yaml", "schema/config.schema.json"),
        ("suites/example.yaml", "schema/suite.schema.json"),
    ] {
        let path = dir.join(file);
        let yaml = std::fs::read_to_string(&path).unwrap();
        let first = yaml.lines().next().unwrap();
        let named = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{file}: {first}"));
        let named = path.parent().unwrap().join(named).canonicalize().unwrap();
        assert_eq!(named, dir.join(schema).canonicalize().unwrap(), "{file}");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(schema)).unwrap()).unwrap();
        let v = jsonschema::draft202012::new(&schema).unwrap();
        let doc: serde_json::Value = edgeparity::yaml::parse(&path, &yaml).unwrap();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
    // And the loader reads them (no network: loading only).
    edgeparity::config::Config::load(&dir.join("parity.yaml")).expect("parity.yaml loads");
}

#[test]
fn init_then_cargo_test_in_the_new_repository_against_the_testbed() {
    require_testbed();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cdn-config");
    let repo_arg = repo().display().to_string();
    let dir_arg = dir.display().to_string();
    let out = common::edgeparity(
        &[
            "init",
            &dir_arg,
            "--path",
            &repo_arg,
            "--base-url",
            "https://www.example.test:18443",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cargo test --test parity"));
    check_schemas(&dir);
    // A second init writes nothing and says why.
    let again = common::edgeparity(&["init", &dir_arg, "--path", &repo_arg], tmp.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("already exist"),
        "{}",
        text(&again.stderr)
    );

    // The team's own environment for the testbed, beside the generated one.
    std::fs::write(
        dir.join("testbed.yaml"),
        format!(
            "environments:\n  testbed:\n    baseline: fastly\n    ca_file: {:?}\n    timeout_ms: 5000\n    providers:\n      fastly: {{addrs: [\"127.0.0.2\"]}}\n      cloudflare: {{addrs: [\"127.0.0.3\"]}}\n",
            ca().display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    // The example as generated: the Cloudflare stand-in weakens the home
    // page's strong ETag, so the trial fails and says so.
    let out = cargo_test(&dir);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(101),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("test example::home ... FAILED"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("etag"), "{stdout}");

    // The team accepts that difference: the trial passes.
    let suite = dir.join("suites/example.yaml");
    let text_before = std::fs::read_to_string(&suite).unwrap();
    let edited = text_before.replace(
        "  headers: {User-Agent: edgeparity}\n",
        "  headers: {User-Agent: edgeparity}\n  ignore_headers: [etag]\n",
    );
    assert_ne!(edited, text_before, "the example's defaults changed shape");
    std::fs::write(&suite, edited).unwrap();
    let out = cargo_test(&dir);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("test example::home ... ok"), "{stdout}");
    assert!(stdout.contains("1 passed; 0 failed"), "{stdout}");
}
