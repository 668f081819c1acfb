//! Command-line conventions, on the real binary: `--format json` (one
//! document on stdout, nothing else mixed in), `-q`, `--color` and
//! `NO_COLOR`, shell completions and the man page, and the modes of the
//! report files.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

fn cmd(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"));
    c.args(args)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .env_remove("PARITY_BASELINE")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("CI", "true");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run edgeparity")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// stdout parsed as exactly one JSON document (serde_json refuses trailing
/// text after the value).
fn one_document(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// A folder with the fixture report (two suites, every verdict).
fn fixture_dir() -> Project {
    let p = Project::new();
    p.write("report.json", &fixture_report().to_json());
    p
}

#[test]
fn run_format_json_prints_one_document_and_progress_goes_to_stderr() {
    let s = planted_servers();
    let p = planted_project(s.port);
    let out = cmd(
        &["run", "--jobs", "4", "--format", "json"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc = one_document(&out);
    assert_eq!(doc["command"], "run");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["summary"]["total"], 12);
    assert_eq!(doc["summary"]["differs"], 4);
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    let mut differing: Vec<&str> = cases
        .iter()
        .filter(|c| c["verdict"] == "differs")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    differing.sort();
    assert_eq!(differing, PLANTED_DIFFERING);
    let status = cases
        .iter()
        .find(|c| c["id"] == "planted::plant-status")
        .unwrap();
    assert_eq!(status["differences"][0]["kind"], "status");
    assert_eq!(status["differences"][0]["severity"], "critical");
    let reports: Vec<&str> = doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reports.iter().any(|r| r.ends_with("report.json")),
        "{reports:?}"
    );
    assert!(doc["gate"].is_null());
    // The progress lines (CI=true: plain lines) are on stderr.
    assert!(
        text(&out.stderr).contains("progress: 100% (12/12 cases"),
        "{}",
        text(&out.stderr)
    );

    // With the gate: its judgement is inside the same document.
    let out = cmd(
        &["run", "--jobs", "4", "--format", "json", "--gate", "-q"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = one_document(&out);
    assert_eq!(doc["gate"]["passed"], false);
    assert_eq!(doc["gate"]["exit_code"], 1);
    assert_eq!(doc["exit_code"], 1);
    assert!(doc["gate"]["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["case"] == "planted::plant-status"));
    // -q: no progress either.
    assert!(
        !text(&out.stderr).contains("progress:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn quiet_run_prints_nothing_and_keeps_the_exit_code() {
    let s = planted_servers();
    let p = planted_project(s.port);
    let out = cmd(&["run", "--jobs", "4", "-q"], p.dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
    assert!(p.path("reports/latest/report.json").is_file());
}

#[test]
fn list_format_json_is_one_document_with_every_case() {
    let p = planted_project(8080);
    let human = cmd(&["list"], p.dir.path(), &[]);
    let out = cmd(&["list", "--format", "json"], p.dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = one_document(&out);
    assert_eq!(doc["count"], 12);
    assert_eq!(doc["environment"], "local");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), text(&human.stdout).lines().count());
    assert_eq!(cases[0]["id"], "planted::same-a");
    assert_eq!(cases[0]["method"], "GET");
    assert_eq!(cases[0]["url"], "http://www.example.test:8080/same/same-a");
    assert_eq!(
        cases[0]["providers"],
        serde_json::json!(["fastly", "cloudflare"])
    );
}

#[test]
fn gate_format_json_and_quiet() {
    let p = fixture_dir();
    let out = cmd(
        &["gate", "--report", "report.json", "--format", "json"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc = one_document(&out);
    assert_eq!(doc["command"], "gate");
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["environment"], "staging");
    assert_eq!(doc["policy"]["fail_on"], "major");
    let blocking: Vec<(&str, &str)> = doc["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["case"].as_str().unwrap(), b["kind"].as_str().unwrap()))
        .collect();
    assert!(
        blocking.contains(&("checkout::pay", "status")),
        "{blocking:?}"
    );
    assert!(!blocking.iter().any(|(c, _)| *c == "checkout::same"));
    assert_eq!(doc["unverified"].as_array().unwrap().len(), 3);

    // An allowlist entry shows up with its reason, owner and expiry.
    p.write(
        "allow.yaml",
        "allow:\n  - case: \"checkout::pay\"\n    kind: status\n    reason: maintenance page\n    owner: web\n    expires: 2999-01-01\n",
    );
    let out = cmd(
        &[
            "gate",
            "--report",
            "report.json",
            "--allowlist",
            "allow.yaml",
            "--format",
            "json",
        ],
        p.dir.path(),
        &[],
    );
    let doc = one_document(&out);
    let allowed = &doc["allowed"][0];
    assert_eq!(allowed["entry"]["owner"], "web");
    assert_eq!(allowed["entry"]["expires"], "2999-01-01");
    assert_eq!(allowed["entry"]["at"], "allow.yaml:2:5");
    assert_eq!(allowed["covered"][0]["case"], "checkout::pay");

    let out = cmd(
        &["gate", "--report", "report.json", "-q"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let p = fixture_dir();
    let gate = |args: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["gate", "--report", "report.json"];
        a.extend_from_slice(args);
        text(&cmd(&a, p.dir.path(), env).stdout)
    };
    let esc = '\u{1b}';
    // Not a terminal: no colour unless asked.
    let plain = gate(&[], &[]);
    assert!(plain.contains("BLOCKING  checkout::pay"), "{plain}");
    assert!(!plain.contains(esc), "{plain:?}");
    let always = gate(&["--color", "always"], &[]);
    assert!(always.contains(esc), "{always:?}");
    assert!(always.contains("\u{1b}[31mBLOCKING\u{1b}[0m"), "{always:?}");
    // Without the styles, the same text.
    let sgr = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    similar_asserts::assert_eq!(sgr.replace_all(&always, "").into_owned(), plain);
    assert!(!gate(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains(esc));
    // NO_COLOR turns automatic colour off even where it would be forced on.
    assert!(!gate(&[], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]).contains(esc));
    assert!(gate(&[], &[("CLICOLOR_FORCE", "1")]).contains(esc));
    // JSON never carries colour.
    let json = gate(&["--color", "always", "--format", "json"], &[]);
    assert!(!json.contains(esc));
}

/// On a terminal (a pseudo-terminal from util-linux `script`, essential on
/// Debian), `auto` colours unless NO_COLOR is set.
#[test]
fn auto_colours_a_terminal_unless_no_color() {
    let p = fixture_dir();
    let on_tty = |no_color: bool| {
        let line = format!(
            "{} gate --report report.json",
            env!("CARGO_BIN_EXE_edgeparity")
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &line, "/dev/null"])
            .current_dir(p.dir.path())
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR")
            .env("TERM", "xterm-256color");
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        let out = c.output().expect("script(1) from util-linux");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let coloured = on_tty(false);
    assert!(coloured.contains("BLOCKING"), "{coloured}");
    assert!(coloured.contains('\u{1b}'), "{coloured:?}");
    let plain = on_tty(true);
    assert!(plain.contains("BLOCKING"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
}

#[test]
fn completions_and_man_page_describe_the_real_command_line() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = cmd(&["completions", shell], dir.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in [
            "edgeparity",
            "gate",
            "import",
            "report-dir",
            "max-error-rate",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = cmd(&["completions", "tcsh"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));

    let out = cmd(&["man"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    assert!(page.contains(".TH edgeparity 1"), "{page}");
    for word in ["run", "gate", "completions", "\\-\\-color"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    let out = cmd(&["man", "--out-dir", "man"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for page in [
        "edgeparity.1",
        "edgeparity-run.1",
        "edgeparity-gate.1",
        "edgeparity-golden-accept.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join("man").join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    let run = std::fs::read_to_string(dir.path().join("man/edgeparity-run.1")).unwrap();
    assert!(run.contains("report\\-dir"), "{run}");
}

#[test]
fn help_texts_of_gate_and_golden_accept() {
    let dir = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| text(&cmd(args, dir.path(), &[]).stdout);
    let gate = help(&["gate", "--help"]);
    assert!(!gate.contains("--gate"), "{gate}");
    assert!(gate.contains("--report <FILE>"), "{gate}");
    let accept = help(&["golden", "--help"]);
    assert!(accept.contains("accept  Accept pending files"), "{accept}");
    let accept = help(&["golden", "accept", "--help"]);
    assert!(accept.contains("Glob over SUITE::CASE"), "{accept}");
}

/// Report files are written as any file would be (0666 less the umask), not
/// with a temporary file's 0600.
#[cfg(unix)]
#[test]
fn report_files_have_the_modes_of_plain_files() {
    use std::os::unix::fs::PermissionsExt;
    let p = fixture_dir();
    let out = cmd(
        &["report", "merge", "report.json", "--out", "merged"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = |f: &Path| std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
    let plain = p.write("plain.txt", "x");
    for f in ["report.json", "junit.xml", "summary.md", "report.html"] {
        let path = p.path("merged").join(f);
        assert_eq!(mode(&path), mode(&plain), "{f}");
        assert_ne!(mode(&path), 0o600, "{f}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let p = planted_project(8080);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(["list", "--format", "json"])
        .current_dir(p.dir.path())
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

/// Every subcommand that reports what it did is silent with -q.
#[test]
fn quiet_silences_merge_import_and_golden() {
    let p = fixture_dir();
    let out = cmd(
        &["report", "merge", "report.json", "--out", "m", "-q"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(p.path("m/report.json").is_file());
    p.write("urls.txt", "https://www.example.test/a\n");
    let out = cmd(
        &["import", "--format", "urls", "--out", "s", "-q", "urls.txt"],
        p.dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(p.path("s/www.example.test.yaml").is_file());
    let out = cmd(&["golden", "accept", "-q"], p.dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    let out = cmd(&["golden", "accept"], p.dir.path(), &[]);
    assert_eq!(text(&out.stdout), "0 pending file(s) accepted\n");
}

/// How often `needle` occurs in `hay`.
fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn a_missing_file_is_named_once_with_its_reason_once() {
    let p = planted_project(8080);
    p.write("bad.yaml", "cases: [\n");
    let merge = fixture_dir();
    let cases: [(&[&str], &Path, &str); 4] = [
        (
            &["run", "nosuch-suite.yaml"],
            p.dir.path(),
            "nosuch-suite.yaml",
        ),
        (
            &["run", "--previous", "missing-previous.json"],
            p.dir.path(),
            "missing-previous.json",
        ),
        (
            &[
                "report",
                "merge",
                "report.json",
                "--out",
                "merged",
                "--previous",
                "missing-previous.json",
            ],
            merge.dir.path(),
            "missing-previous.json",
        ),
        (&["run", "bad.yaml"], p.dir.path(), "bad.yaml"),
    ];
    for (args, cwd, path) in cases {
        let out = cmd(args, cwd, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(count(&err, path), 1, "{args:?}: the path once: {err}");
        assert_eq!(count(&err, "error:"), 1, "{args:?}: one message: {err}");
        assert!(!err.contains("os error"), "{args:?}: no raw OS text: {err}");
        if path != "bad.yaml" {
            assert_eq!(
                count(&err, "no such file or folder"),
                1,
                "{args:?}: the reason once: {err}"
            );
            assert!(
                err.contains("check the path; a relative path is read from"),
                "{args:?}: a hint: {err}"
            );
        }
    }
}
