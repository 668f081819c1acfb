//! `edgeparity init [DIR]`: everything a team's own repository needs to run
//! its suites with `cargo test` and in CI: `parity.yaml`,
//! `suites/example.yaml`, `tests/parity.rs` (a `harness = false` test that
//! calls [`crate::testrunner::main`]), the Cargo entries (that test target
//! and a dev-dependency on edgeparity), the JSON Schemas the YAML files name
//! for editors, and the nightly and pre-cutover workflows.
//!
//! Why it refuses to overwrite: these are the team's files once written. If
//! any file to be created exists, nothing is written and every such file is
//! named. An existing `Cargo.toml` is edited in place (toml_edit keeps its
//! comments and layout) unless it already has a `parity` test or an
//! `edgeparity` dev-dependency.

use std::path::{Path, PathBuf};

use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

/// Where the project's edgeparity comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// A crates.io version requirement.
    Version(String),
    /// A checkout of edgeparity on this machine.
    Path(PathBuf),
    /// A git repository URL.
    Git(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    pub dependency: Dependency,
    /// The example suite's `base_url`.
    pub base_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exist{}: nothing was written (move {} away, or init another folder)",
        list(.0), if .0.len() == 1 { "s" } else { "" }, if .0.len() == 1 { "it" } else { "them" })]
    Exists(Vec<PathBuf>),
    #[error("{path}: {message}")]
    Cargo { path: PathBuf, message: String },
    #[error("--base-url `{0}`: expected an absolute http:// or https:// URL (scheme, host, optional port)")]
    BaseUrl(String),
    #[error("{what} `{value}`: only letters, digits and . _ / : @ + ~ - can be written into the workflows")]
    Unsafe { what: &'static str, value: String },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

fn list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// What `init` wrote, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub created: Vec<PathBuf>,
    /// `Cargo.toml`, when it existed and was edited.
    pub edited: Option<PathBuf>,
}

const PARITY_YAML: &str = include_str!("../data/init/parity.yaml");
const EXAMPLE_SUITE: &str = include_str!("../data/init/example.yaml");
const PARITY_RS: &str = include_str!("../data/init/parity.rs");
const NIGHTLY: &str = include_str!("../data/init/nightly.yml");
const PRE_CUTOVER: &str = include_str!("../data/init/pre-cutover.yml");

/// The files `init` creates (relative to DIR) with their contents.
pub fn files(opts: &Options) -> Result<Vec<(PathBuf, String)>, InitError> {
    let base = base_url(&opts.base_url)?;
    let (install, key) = install(&opts.dependency)?;
    let workflow = |t: &str| {
        t.replace("@INSTALL@", &install)
            .replace("@CACHE_KEY@", &key)
    };
    let schema = |v: serde_json::Value| {
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    };
    Ok(vec![
        ("parity.yaml".into(), PARITY_YAML.to_string()),
        (
            "suites/example.yaml".into(),
            EXAMPLE_SUITE.replace("@BASE_URL@", &base),
        ),
        ("tests/parity.rs".into(), PARITY_RS.to_string()),
        (
            "schema/config.schema.json".into(),
            schema(crate::config::json_schema()),
        ),
        (
            "schema/suite.schema.json".into(),
            schema(crate::suite::json_schema()),
        ),
        (
            ".github/workflows/edgeparity-nightly.yml".into(),
            workflow(NIGHTLY),
        ),
        (
            ".github/workflows/edgeparity-pre-cutover.yml".into(),
            workflow(PRE_CUTOVER),
        ),
    ])
}

/// The base URL as a double-quoted YAML scalar (JSON string syntax), after
/// checking it is an absolute http(s) URL with a host and nothing else.
fn base_url(text: &str) -> Result<String, InitError> {
    let bad = || InitError::BaseUrl(text.to_string());
    let url = reqwest::Url::parse(text).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return Err(bad());
    }
    let mut s = url.to_string();
    if s.ends_with('/') {
        s.pop();
    }
    Ok(serde_json::Value::String(s).to_string())
}

/// `cargo install` arguments and the cache key of the installed binary.
fn install(dep: &Dependency) -> Result<(String, String), InitError> {
    let safe = |what: &'static str, v: &str| {
        let ok = !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._/:@+~-".contains(c));
        if ok {
            Ok(v.to_string())
        } else {
            Err(InitError::Unsafe {
                what,
                value: v.to_string(),
            })
        }
    };
    let lock = "${{ hashFiles('Cargo.lock') }}".to_string();
    Ok(match dep {
        Dependency::Version(v) => {
            let v = safe("--version", v)?;
            (
                format!("edgeparity --version {v} --bin edgeparity"),
                format!("v{v}"),
            )
        }
        Dependency::Git(url) => (
            format!("--git {} edgeparity --bin edgeparity", safe("--git", url)?),
            lock,
        ),
        Dependency::Path(p) => {
            let p = safe("--path", &p.display().to_string())?;
            (format!("--path {p} --bin edgeparity"), lock)
        }
    })
}

/// The `edgeparity` dev-dependency as an inline table.
fn dependency_item(dep: &Dependency) -> Item {
    let mut t = InlineTable::new();
    match dep {
        Dependency::Version(v) => {
            t.insert("version", v.as_str().into());
        }
        Dependency::Path(p) => {
            t.insert("path", p.display().to_string().into());
        }
        Dependency::Git(url) => {
            t.insert("git", url.as_str().into());
        }
    }
    value(t)
}

/// The package name for a new `Cargo.toml`: the folder's name, made a
/// valid crate name.
fn package_name(dir: &Path) -> String {
    // The folder may not exist yet: made absolute, not canonicalised.
    let base = std::path::absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut name = String::new();
    for c in base.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let mut name = name.trim_end_matches('-').to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "cdn-");
    }
    format!("{name}-parity")
}

/// `Cargo.toml` with the parity test target and the dev-dependency: the
/// existing one edited, or a new test-only package.
fn cargo_toml(opts: &Options, existing: Option<&str>) -> Result<String, InitError> {
    let path = opts.dir.join("Cargo.toml");
    let err = |message: String| InitError::Cargo {
        path: path.clone(),
        message,
    };
    let mut doc: DocumentMut = match existing {
        Some(text) => text
            .parse()
            .map_err(|e: toml_edit::TomlError| err(e.message().to_string()))?,
        None => {
            let mut d = DocumentMut::new();
            let mut pkg = Table::new();
            pkg.insert("name", value(package_name(&opts.dir)));
            pkg.insert("version", value("0.1.0"));
            pkg.insert("edition", value("2021"));
            pkg.insert("publish", value(false));
            d.insert("package", Item::Table(pkg));
            d
        }
    };
    if doc.get("package").is_none() {
        return Err(err(
            "has no [package] (a virtual workspace): run `edgeparity init` in a member's folder"
                .into(),
        ));
    }
    add_test_target(&mut doc).map_err(err)?;
    add_dev_dependency(&mut doc, &opts.dependency).map_err(err)?;
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn add_test_target(doc: &mut DocumentMut) -> Result<(), String> {
    let tests = doc
        .entry("test")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let Some(tests) = tests.as_array_of_tables_mut() else {
        return Err("`test` is not an array of tables ([[test]])".into());
    };
    if tests
        .iter()
        .any(|t| t.get("name").and_then(Item::as_str) == Some("parity"))
    {
        return Err("already has a [[test]] named `parity`: nothing was written".into());
    }
    let mut t = Table::new();
    t.insert("name", value("parity"));
    t.insert("path", value("tests/parity.rs"));
    t.insert("harness", value(false));
    tests.push(t);
    Ok(())
}

fn add_dev_dependency(doc: &mut DocumentMut, dep: &Dependency) -> Result<(), String> {
    let deps = doc
        .entry("dev-dependencies")
        .or_insert(Item::Table(Table::new()));
    let Some(deps) = deps.as_table_like_mut() else {
        return Err("`dev-dependencies` is not a table".into());
    };
    if deps.contains_key("edgeparity") {
        return Err("already has an `edgeparity` dev-dependency: nothing was written".into());
    }
    deps.insert("edgeparity", dependency_item(dep));
    Ok(())
}

/// Write everything, or nothing when a file to create already exists.
pub fn init(opts: &Options) -> Result<Written, InitError> {
    let files = files(opts)?;
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _)| opts.dir.join(rel))
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let cargo_path = opts.dir.join("Cargo.toml");
    let old = match std::fs::read_to_string(&cargo_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(InitError::Write {
                message: crate::fsio::os_error(&cargo_path, &e),
                path: cargo_path,
            })
        }
    };
    // Checked before anything is written: a Cargo.toml that cannot take the
    // entries stops the whole init.
    let cargo = cargo_toml(opts, old.as_deref())?;
    let mut created = Vec::new();
    for (rel, text) in &files {
        let path = opts.dir.join(rel);
        write(&path, text)?;
        created.push(path);
    }
    write(&cargo_path, &cargo)?;
    let edited = if old.is_some() {
        Some(cargo_path)
    } else {
        created.push(cargo_path);
        None
    };
    Ok(Written { created, edited })
}

fn write(path: &Path, text: &str) -> Result<(), InitError> {
    crate::fsio::write_atomic(path, text.as_bytes()).map_err(|e| InitError::Write {
        path: path.to_path_buf(),
        message: crate::fsio::os_error(path, &e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(dir: &Path) -> Options {
        Options {
            dir: dir.to_path_buf(),
            dependency: Dependency::Version("0.1".into()),
            base_url: "https://www.example.com".into(),
        }
    }

    #[test]
    fn a_new_package_is_test_only_with_the_runner_and_the_dependency() {
        let dir = tempfile::tempdir().unwrap();
        let w = init(&opts(dir.path())).unwrap();
        assert_eq!(w.edited, None);
        assert_eq!(w.created.len(), 8);
        let cargo = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(
            cargo.contains(
                "[[test]]\nname = \"parity\"\npath = \"tests/parity.rs\"\nharness = false\n"
            ),
            "{cargo}"
        );
        assert!(
            cargo.contains("[dev-dependencies]\nedgeparity = { version = \"0.1\" }\n"),
            "{cargo}"
        );
        // The temporary folder's name (`.tmpXXXX`) made a crate name.
        let folder = std::path::absolute(dir.path()).unwrap();
        let folder = folder.file_name().unwrap().to_string_lossy().to_lowercase();
        let name = format!("{}-parity", folder.trim_start_matches('.'));
        assert!(
            cargo.contains(&format!("name = \"{name}\"\nversion = \"0.1.0\"")),
            "{cargo}"
        );
        assert!(
            cargo.ends_with("edgeparity = { version = \"0.1\" }\n"),
            "{cargo}"
        );
        assert_eq!(
            package_name(Path::new("/x/My Repo.git")),
            "my-repo-git-parity"
        );
        assert_eq!(package_name(Path::new("/x/2024")), "cdn-2024-parity");
        let suite = std::fs::read_to_string(dir.path().join("suites/example.yaml")).unwrap();
        assert!(
            suite.contains("base_url: \"https://www.example.com\"\n"),
            "{suite}"
        );
        let nightly =
            std::fs::read_to_string(dir.path().join(".github/workflows/edgeparity-nightly.yml"))
                .unwrap();
        assert!(
            nightly.contains("cargo install --locked edgeparity --version 0.1 --bin edgeparity")
        );
        assert!(!nightly.contains("@INSTALL@") && !nightly.contains("@CACHE_KEY@"));
    }

    #[test]
    fn existing_files_stop_everything() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("suites")).unwrap();
        std::fs::write(dir.path().join("suites/example.yaml"), "mine").unwrap();
        std::fs::write(dir.path().join("parity.yaml"), "mine too").unwrap();
        let e = init(&opts(dir.path())).unwrap_err().to_string();
        assert!(
            e.contains("parity.yaml, ") && e.contains("suites/example.yaml already exist"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("parity.yaml")).unwrap(),
            "mine too"
        );
        assert!(!dir.path().join("tests").exists());
        assert!(!dir.path().join("Cargo.toml").exists());
    }

    #[test]
    fn an_existing_cargo_toml_is_edited_keeping_its_layout() {
        let dir = tempfile::tempdir().unwrap();
        let before = "# our crate\n[package]\nname = \"net\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dev-dependencies]\n# for tests\nserde = \"1\"\n";
        std::fs::write(dir.path().join("Cargo.toml"), before).unwrap();
        let w = init(&opts(dir.path())).unwrap();
        assert_eq!(w.edited, Some(dir.path().join("Cargo.toml")));
        let after = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(
            after.starts_with("# our crate\n[package]\nname = \"net\""),
            "{after}"
        );
        assert!(
            after.contains("# for tests\nserde = \"1\"\nedgeparity = { version = \"0.1\" }\n"),
            "{after}"
        );
        assert!(after.contains("[[test]]\nname = \"parity\""), "{after}");

        // A second init refuses (the files exist); a Cargo.toml with the
        // test already is refused before anything is written.
        assert!(matches!(init(&opts(dir.path())), Err(InitError::Exists(_))));
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("Cargo.toml"), &after).unwrap();
        let e = init(&opts(other.path())).unwrap_err().to_string();
        assert!(e.contains("already has a [[test]] named `parity`"), "{e}");
        assert!(!other.path().join("parity.yaml").exists());
        std::fs::write(
            other.path().join("Cargo.toml"),
            "[workspace]\nmembers = []\n",
        )
        .unwrap();
        let e = init(&opts(other.path())).unwrap_err().to_string();
        assert!(e.contains("virtual workspace"), "{e}");
    }

    #[test]
    fn bad_base_urls_and_unsafe_sources_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "www.example.com",
            "ftp://x.test",
            "https://x.test/path",
            "https://u:p@x.test",
            "https://x.test?q",
        ] {
            let mut o = opts(dir.path());
            o.base_url = url.into();
            assert!(matches!(init(&o), Err(InitError::BaseUrl(_))), "{url}");
        }
        let mut o = opts(dir.path());
        o.dependency = Dependency::Git("https://x.test/a b; rm -rf /".into());
        assert!(matches!(init(&o), Err(InitError::Unsafe { .. })));
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "nothing written"
        );
        o.base_url = "http://www.example.test:8080/".into();
        o.dependency = Dependency::Path("/src/edgeparity".into());
        init(&o).unwrap();
        let suite = std::fs::read_to_string(dir.path().join("suites/example.yaml")).unwrap();
        assert!(
            suite.contains("base_url: \"http://www.example.test:8080\"\n"),
            "{suite}"
        );
        let cargo = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(
            cargo.contains("edgeparity = { path = \"/src/edgeparity\" }"),
            "{cargo}"
        );
    }
}
