//! The JSON Schemas of `parity.yaml` and suites (`schema/config.schema.json`,
//! `schema/suite.schema.json`) are generated from the types the loaders
//! read: these tests regenerate them and fail when the committed files
//! differ (`EDGEPARITY_UPDATE_SCHEMAS=1 cargo test --test schemas` rewrites
//! them), check that every example file names its schema on its first line
//! and validates against it, and that the schema and the loader agree on
//! what they refuse.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Which {
    Config,
    Suite,
}

impl Which {
    fn file(self) -> &'static str {
        match self {
            Which::Config => "schema/config.schema.json",
            Which::Suite => "schema/suite.schema.json",
        }
    }

    fn generate(self) -> serde_json::Value {
        match self {
            Which::Config => edgeparity::config::json_schema(),
            Which::Suite => edgeparity::suite::json_schema(),
        }
    }

    fn validator(self) -> jsonschema::Validator {
        jsonschema::draft202012::new(&self.generate()).expect("the schema compiles")
    }
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a schema serialises");
    s.push('\n');
    s
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    let update = std::env::var("EDGEPARITY_UPDATE_SCHEMAS").is_ok_and(|v| v == "1");
    for which in [Which::Config, Which::Suite] {
        let path = repo().join(which.file());
        let fresh = pretty(&which.generate());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if update && committed != fresh {
            std::fs::write(&path, &fresh).expect("write the schema");
            continue;
        }
        // The difference line by line, so the key that changed is plain.
        similar_asserts::assert_eq!(
            committed,
            fresh,
            "{} differs from the types that parse the files: regenerate with \
             `EDGEPARITY_UPDATE_SCHEMAS=1 cargo test --test schemas` and commit",
            which.file()
        );
    }
}

/// Every YAML file of the examples: suites/, examples/ and parity.yaml.
fn example_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            // CI workflows and Kubernetes manifests are not edgeparity files.
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml")
                && !p.starts_with(repo().join("examples/ci"))
                && !p.starts_with(repo().join("examples/k8s"))
            {
                out.push(p);
            }
        }
    }
    let mut files = vec![repo().join("parity.yaml")];
    walk(&repo().join("suites"), &mut files);
    walk(&repo().join("examples"), &mut files);
    files.sort();
    files
}

/// Which schema a file names on its first line, resolved from its folder.
fn named_schema(file: &Path, text: &str) -> Result<Which, String> {
    let first = text.lines().next().unwrap_or("");
    let Some(rel) = first.strip_prefix("# yaml-language-server: $schema=") else {
        return Err(format!(
            "first line is not `# yaml-language-server: $schema=...`: {first:?}"
        ));
    };
    let target = file.parent().unwrap().join(rel.trim());
    let target = target
        .canonicalize()
        .map_err(|e| format!("{}: {e}", target.display()))?;
    for which in [Which::Config, Which::Suite] {
        if target == repo().join(which.file()).canonicalize().unwrap() {
            return Ok(which);
        }
    }
    Err(format!("names {}, not one of schema/", target.display()))
}

fn to_json(path: &Path, text: &str) -> serde_json::Value {
    edgeparity::yaml::parse::<serde_json::Value>(path, text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_example_names_its_schema_and_validates() {
    let files = example_files();
    assert!(files.len() >= 7, "{files:?}");
    let (config, suite) = (Which::Config.validator(), Which::Suite.validator());
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let which = match named_schema(f, &text) {
            Ok(w) => w,
            Err(e) => {
                problems.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        let expected = if f.ends_with("parity.yaml") {
            Which::Config
        } else {
            Which::Suite
        };
        if which != expected {
            problems.push(format!("{}: names the {which:?} schema", f.display()));
        }
        let v = if which == Which::Config {
            &config
        } else {
            &suite
        };
        for e in errors(v, &to_json(f, &text)) {
            problems.push(format!("{}: {e}", f.display()));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The schema refuses what the loader refuses (unknown keys, words that are
/// not kinds or verdicts, out-of-range probes) and accepts what it accepts.
#[test]
fn schema_and_loader_agree() {
    let suite = Which::Suite.validator();
    let good = "base_url: https://www.example.test\ncases:\n  - name: a\n    path: /\n    expect: {verdict: differs, differences: [{kind: header, field: x-a}]}\n    cache: {sequence: 2, expect: [miss, hit], bust: path}\n  - {name: b, path: /b, vary: {header: Accept-Language, values: [en, fr]}}\n";
    let bad = [
        ("cases:\n  - {name: a, path: /}\n", "base_url"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, headerz: {}}\n", "headerz"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, expect: {verdict: same}}\n", "verdict"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, expect: {verdict: differs, differences: [{kind: headers}]}}\n", "kind"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, cache: {sequence: 51}}\n", "sequence"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, cache: {sequence: 1, expect: [hot]}}\n", "expect"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, cache: {bust: header}}\n", "`header`"),
        ("base_url: https://x.test\ncases:\n  - {name: a, path: /, vary: {header: Accept, values: [a]}}\n", "values"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let load = |text: &str| {
        let p = dir.path().join("s.yaml");
        std::fs::write(&p, text).unwrap();
        edgeparity::suite::load_suites(&[p]).map(|_| ())
    };
    let doc = to_json(Path::new("good.yaml"), good);
    assert_eq!(errors(&suite, &doc), Vec::<String>::new());
    load(good).expect("the loader accepts it too");
    for (text, key) in bad {
        let doc = to_json(Path::new("bad.yaml"), text);
        assert!(!errors(&suite, &doc).is_empty(), "schema accepts {text}");
        let e = load(text).expect_err(text).to_string();
        assert!(e.contains(key), "loader error for {text} names {key}: {e}");
    }

    let config = Which::Config.validator();
    let good = "default_env: t\nenvironments:\n  t:\n    baseline: a\n    http: h2\n    providers:\n      a: {addrs: [127.0.0.2], fingerprint: false}\n      b: {resolve: \"{host}.cdn.test\", nameserver: \"127.0.0.5:53\", kind: cloudflare, fingerprint: {header: cf-ray}}\nseverities:\n  - {kind: header, field: \"x-*\", severity: info}\n";
    assert_eq!(
        errors(&config, &to_json(Path::new("c.yaml"), good)),
        Vec::<String>::new()
    );
    for text in [
        "environments:\n  t:\n    baseline: a\n    providers: {a: {adrs: [127.0.0.2]}}\n",
        "environments:\n  t:\n    baseline: a\n    http: h3\n    providers: {a: {addrs: [127.0.0.2]}}\n",
        "environments: {}\nseverities:\n  - {kind: header, severity: huge}\n",
        "environments: {}\nseverities:\n  - {kind: headers, severity: info}\n",
        "environments:\n  t:\n    baseline: a\n    providers: {a: {addrs: [127.0.0.2], fingerprint: {header: x, match: y}}}\n",
    ] {
        let doc = to_json(Path::new("c.yaml"), text);
        assert!(!errors(&config, &doc).is_empty(), "schema accepts {text}");
    }
    // A provider's port: the loader refuses 0 and 65536, so the schema does.
    let with_port = |port: &str| {
        format!("environments:\n  t:\n    baseline: a\n    providers: {{a: {{addrs: [127.0.0.2]}}, b: {{addrs: [127.0.0.3], port: {port}}}}}\n")
    };
    let load_config =
        |text: &str| edgeparity::config::Config::parse(Path::new("c.yaml"), text).map(|_| ());
    for port in ["1", "8787", "65535"] {
        let text = with_port(port);
        let doc = to_json(Path::new("c.yaml"), &text);
        assert_eq!(errors(&config, &doc), Vec::<String>::new(), "{text}");
        load_config(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    for port in ["0", "65536"] {
        let text = with_port(port);
        let doc = to_json(Path::new("c.yaml"), &text);
        assert!(!errors(&config, &doc).is_empty(), "schema accepts {text}");
        let e = load_config(&text).expect_err(&text).to_string();
        assert!(e.contains("between 1 and 65535"), "{text}: {e}");
    }
}

/// `edgeparity schema config|suite` prints the committed schemas.
#[test]
fn the_schema_command_prints_the_committed_files() {
    for (which, file) in [("config", Which::Config), ("suite", Which::Suite)] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
            .args(["schema", which])
            .output()
            .expect("run edgeparity");
        assert_eq!(out.status.code(), Some(0));
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed, file.generate());
    }
}

/// `ignore_json` says, where an editor shows it, what its wildcards do.
#[test]
fn ignore_json_descriptions_name_both_wildcards() {
    let schema = Which::Suite.generate();
    let defs = &schema["$defs"];
    let defaults = defs
        .as_object()
        .and_then(|d| d.keys().find(|k| k.starts_with("Defaults")).cloned())
        .expect("a Defaults definition");
    for (def, of) in [("Case", "Case"), (defaults.as_str(), "defaults")] {
        let d = defs[def]["properties"]["ignore_json"]["description"]
            .as_str()
            .unwrap_or_else(|| panic!("{of}.ignore_json has a description: {schema:#}"));
        let d = d.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(d.contains("`*`") && d.contains("one level"), "{of}: {d}");
        assert!(d.contains("`**`") && d.contains("any depth"), "{of}: {d}");
    }
}
