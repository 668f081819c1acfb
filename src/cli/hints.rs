//! `edgeparity hints [ID]`: the remediation catalogue a run matches
//! differences against (built in, plus `parity.yaml`'s `hints:`). Without an
//! id, one entry per line with what it matches; with one, the entry in full,
//! as YAML a team can copy into `parity.yaml` to adjust it.
//!
//! Why a command: a hint in a report names an id; the reader needs the
//! behaviour, the alternative and every rule behind it without opening the
//! source, and a team writing its own entries needs to see the format.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;

use edgeparity::hints::{self, Catalogue, Entry};
use edgeparity::{exit, yaml};

#[derive(clap::Args)]
pub struct HintsArgs {
    /// Show this entry in full (every field and rule).
    pub id: Option<String>,
    /// Project config whose `hints:` join the catalogue (default:
    /// parity.yaml when it exists; without one, the built-in catalogue).
    #[arg(long, env = "PARITY_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Unknown hint id (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("no hint `{id}` in the catalogue{suggestion} (`edgeparity hints` lists them)")]
pub struct UnknownHint {
    id: String,
    suggestion: String,
}

pub fn run(args: HintsArgs) -> anyhow::Result<i32> {
    if let Some(e) = hints::builtin_error() {
        anyhow::bail!("the built-in catalogue does not load: {e}");
    }
    let (catalogue, user, source) = load(args.config)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.id {
        None => list(&mut out, &catalogue, &user, &source)?,
        Some(id) => {
            let Some(entry) = catalogue.get(&id) else {
                let known: Vec<&str> = catalogue.entries().iter().map(|e| e.id.as_str()).collect();
                return Err(UnknownHint {
                    suggestion: yaml::hint(&id, &known),
                    id,
                }
                .into());
            };
            let from = if user.contains(&entry.id) {
                source.as_str()
            } else {
                "built in (data/catalogue.yaml)"
            };
            show(&mut out, entry, from)?;
        }
    }
    out.flush()?;
    Ok(exit::PARITY)
}

/// The catalogue with the config's entries, the ids the config added, and
/// where they came from.
fn load(config: Option<PathBuf>) -> anyhow::Result<(Catalogue, Vec<String>, String)> {
    let path = match config {
        Some(p) => Some(p),
        None => Some(PathBuf::from("parity.yaml")).filter(|p| p.is_file()),
    };
    match path {
        Some(p) => {
            let c = edgeparity::config::Config::load(&p)
                .with_context(|| format!("--config {}", p.display()))?;
            Ok((c.hints, c.user_hint_ids, p.display().to_string()))
        }
        None => Ok((hints::builtin().clone(), Vec::new(), String::new())),
    }
}

fn list(
    out: &mut impl std::io::Write,
    c: &Catalogue,
    user: &[String],
    source: &str,
) -> std::io::Result<()> {
    let n = c.entries().len();
    let from_config = if user.is_empty() {
        String::new()
    } else {
        format!(", {} from {source}", user.len())
    };
    writeln!(out, "{n} entries{from_config} (the most specific matching rule wins; `edgeparity hints ID` shows one in full)\n")?;
    for e in c.entries() {
        let mark = if user.contains(&e.id) {
            format!("  [{source}]")
        } else {
            String::new()
        };
        writeln!(out, "{}  {}{mark}", e.id, e.title.trim())?;
        for m in e.matches_summary() {
            writeln!(out, "    matches: {m}")?;
        }
    }
    Ok(())
}

fn show(out: &mut impl std::io::Write, e: &Entry, from: &str) -> anyhow::Result<()> {
    // Every value as a JSON string, list or map: valid YAML on one line
    // each, so the entry can be copied into `parity.yaml`'s `hints:` as is
    // (YAML's folding would split long URLs and patterns).
    let q = |s: &str| serde_json::Value::String(s.trim().to_string()).to_string();
    writeln!(out, "# {} — {from}", e.id)?;
    writeln!(out, "- id: {}", q(&e.id))?;
    writeln!(out, "  title: {}", q(&e.title))?;
    writeln!(out, "  behaviour: {}", q(&e.behaviour))?;
    writeln!(out, "  fix: {}", q(&e.fix))?;
    if let Some(a) = &e.alternative {
        writeln!(out, "  alternative: {}", q(a))?;
    }
    writeln!(out, "  docs:")?;
    for d in &e.docs {
        writeln!(out, "    - {}", q(d))?;
    }
    writeln!(out, "  match:")?;
    for r in &e.rules {
        writeln!(out, "    # specificity {}", r.specificity())?;
        let value = serde_json::to_value(r)?;
        let Some(map) = value.as_object() else {
            continue;
        };
        for (i, (k, v)) in map.iter().enumerate() {
            let lead = if i == 0 { "    - " } else { "      " };
            writeln!(out, "{lead}{k}: {v}")?;
        }
    }
    Ok(())
}
