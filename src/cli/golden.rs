//! `edgeparity record`, `edgeparity golden review|accept|reject` and
//! `edgeparity calibrate`: recording baseline behaviour and reviewing it,
//! like insta's pending snapshots.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;

use edgeparity::golden::{self, Written};
use edgeparity::run::RunContext;
use edgeparity::{exit, suite};

use super::output::say;
use super::run::CommonArgs;

/// Where golden files live.
#[derive(clap::Args, Clone)]
pub struct GoldenDirArg {
    /// Folder of golden files (golden/SUITE/CASE.yaml).
    #[arg(long, env = "PARITY_GOLDEN_DIR", default_value = "golden")]
    pub golden_dir: PathBuf,
}

#[derive(clap::Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub dir: GoldenDirArg,
    /// Provider to record (default: the environment's baseline).
    #[arg(long)]
    pub provider: Option<String>,
    /// Write CASE.yaml.new for review instead of the golden file.
    #[arg(long)]
    pub pending: bool,
    /// Extra answers per case to learn volatile fields (at least 1).
    #[arg(long, default_value_t = 2)]
    pub calibrate: u32,
    /// Cases recorded at once.
    #[arg(long, short = 'j', default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: u32,
    #[command(flatten)]
    pub rate: super::run::RateArg,
}

#[derive(clap::Subcommand)]
pub enum GoldenCommand {
    /// Show each pending .new file as a diff, one by one: accept, reject or skip.
    Review(GoldenDirArg),
    /// Accept pending files: each CASE.yaml.new replaces its CASE.yaml (all, or those whose SUITE::CASE matches PATTERN).
    Accept {
        /// Glob over SUITE::CASE, e.g. 'www::*' (default: every pending file).
        pattern: Option<String>,
        #[command(flatten)]
        dir: GoldenDirArg,
    },
    /// Reject (delete) pending files (all, or those matching PATTERN).
    Reject {
        /// Glob over SUITE::CASE, e.g. 'www::*' (default: every pending file).
        pattern: Option<String>,
        #[command(flatten)]
        dir: GoldenDirArg,
    },
}

#[derive(clap::Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Extra baseline answers per case.
    #[arg(long, default_value_t = 3)]
    pub calibrate: u32,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    edgeparity::settings::runtime().context("cannot start the async runtime")
}

pub fn record(args: RecordArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (env, plan) = c.prepare()?;
    let provider = args
        .provider
        .clone()
        .unwrap_or_else(|| env.baseline.clone());
    if !env.providers.iter().any(|p| p.name == provider) {
        anyhow::bail!(
            "--provider {provider}: not a provider of environment `{}`",
            env.name
        );
    }
    let rt = runtime()?;
    let mut ctx = rt.block_on(RunContext::build_for_jobs(&env, plan, args.jobs as usize))?;
    args.rate.apply(&mut ctx);
    ctx.options.calibrate = args.calibrate.max(1);
    let cases = ctx.plan.cases.clone();
    let ctx = &ctx;
    let provider = provider.as_str();
    let results = rt.block_on(async {
        use futures_util::StreamExt;
        futures_util::stream::iter(cases.iter())
            .map(|case| async move {
                (
                    case,
                    edgeparity::run::record_case(ctx, case, provider).await,
                )
            })
            .buffer_unordered(args.jobs as usize)
            .collect::<Vec<_>>()
            .await
    });
    // Every case is tried; a case that could not be recorded or written is
    // named, and the whole set is never left half-written silently.
    let mut not_written: Vec<String> = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    let mut sorted = results;
    sorted.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (case, r) in sorted {
        let written = r.map_err(|e| e.to_string()).and_then(|g| {
            golden::write(&args.dir.golden_dir, &case.suite, &g, args.pending)
                .map_err(|e| format!("cannot write: {e}"))
        });
        match written {
            Ok(w) => {
                *counts.entry(format!("{w:?}").to_lowercase()).or_insert(0) += 1;
                if w != Written::Unchanged {
                    say!("{:<9} {}", format!("{w:?}").to_lowercase(), case.id);
                }
            }
            Err(e) => {
                eprintln!("error     {}: {e}", case.id);
                not_written.push(case.id.clone());
            }
        }
    }
    let failed = not_written.len();
    if failed > 0 {
        eprintln!("not recorded ({failed}): {}", not_written.join(", "));
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    say!(
        "recorded {provider} into {}: {}{}",
        args.dir.golden_dir.display(),
        summary.join(", "),
        if failed > 0 {
            format!(", {failed} failed")
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 {
        exit::ERROR
    } else {
        exit::PARITY
    })
}

pub fn golden(cmd: GoldenCommand) -> anyhow::Result<i32> {
    match cmd {
        GoldenCommand::Accept { pattern, dir } => bulk(&dir.golden_dir, pattern.as_deref(), true),
        GoldenCommand::Reject { pattern, dir } => bulk(&dir.golden_dir, pattern.as_deref(), false),
        GoldenCommand::Review(dir) => review(&dir.golden_dir),
    }
}

fn bulk(dir: &std::path::Path, pattern: Option<&str>, accept: bool) -> anyhow::Result<i32> {
    let mut n = 0;
    for (id, path) in golden::pending(dir) {
        if !golden::matches(pattern, &id) {
            continue;
        }
        if accept {
            golden::accept(&path).with_context(|| format!("accept {}", path.display()))?;
            say!("accepted {id}");
        } else {
            golden::reject(&path).with_context(|| format!("reject {}", path.display()))?;
            say!("rejected {id}");
        }
        n += 1;
    }
    say!(
        "{n} pending file(s) {}",
        if accept { "accepted" } else { "rejected" }
    );
    Ok(exit::PARITY)
}

fn review(dir: &std::path::Path) -> anyhow::Result<i32> {
    if edgeparity::settings::Settings::from_env()?.ci {
        anyhow::bail!(
            "golden review is interactive and CI=true: use `golden accept|reject [PATTERN]`"
        );
    }
    let pending = golden::pending(dir);
    if pending.is_empty() {
        println!("no pending golden files under {}", dir.display());
        return Ok(exit::PARITY);
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let total = pending.len();
    for (i, (id, path)) in pending.into_iter().enumerate() {
        println!("── {id} ({}/{total}) ──", i + 1);
        print!("{}", golden::review_diff(&path));
        loop {
            print!("[a]ccept, [r]eject, [s]kip? ");
            std::io::stdout().flush().ok();
            let Some(Ok(answer)) = lines.next() else {
                println!("\nend of input: the rest is left pending");
                return Ok(exit::PARITY);
            };
            match answer.trim() {
                "a" | "accept" => {
                    golden::accept(&path)?;
                    println!("accepted {id}");
                    break;
                }
                "r" | "reject" => {
                    golden::reject(&path)?;
                    println!("rejected {id}");
                    break;
                }
                "s" | "skip" | "" => {
                    println!("skipped {id}");
                    break;
                }
                _ => continue,
            }
        }
    }
    Ok(exit::PARITY)
}

pub fn calibrate(args: CalibrateArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    let (env, plan) = c.prepare()?;
    let rt = runtime()?;
    let ctx = rt.block_on(RunContext::build(&env, plan))?;
    let baseline = env.baseline.clone();
    // Per suite file: (case, volatile headers, volatile JSON pointers).
    type Learned = Vec<(String, Vec<String>, Vec<String>)>;
    let mut learned: std::collections::BTreeMap<PathBuf, Learned> = Default::default();
    let (suites, _) = suite::load_suites_beside(&c.paths, Some(&c.config))?;
    for case in &ctx.plan.cases {
        let answers = rt.block_on(edgeparity::run::observe_on(
            &ctx,
            case,
            std::slice::from_ref(&baseline),
        ));
        let noise = rt.block_on(edgeparity::run::calibrate_on(
            &ctx,
            case,
            &answers,
            &baseline,
            args.calibrate.max(1),
        ));
        if noise.headers.is_empty() && noise.json.is_empty() {
            continue;
        }
        let Some(s) = suites.iter().find(|s| *s.name == *case.suite) else {
            continue;
        };
        let headers: Vec<String> = noise
            .headers
            .keys()
            .filter(|h| !case.case.ignore_headers.contains(*h))
            .cloned()
            .collect();
        let pointers: Vec<String> = noise
            .json
            .keys()
            .filter(|p| !case.case.ignore_json.contains(p))
            .cloned()
            .collect();
        if headers.is_empty() && pointers.is_empty() {
            continue;
        }
        say!(
            "{}: volatile headers [{}], JSON [{}]",
            case.id,
            headers.join(", "),
            pointers.join(", ")
        );
        // A case written once and run as several (hosts, matrix) is edited
        // once, with what any of its runs learned.
        let written = case.case.group.as_ref().unwrap_or(&case.case.name);
        let list = learned.entry(s.file.clone()).or_default();
        match list.iter_mut().find(|(n, _, _)| n == written) {
            Some((_, hs, ps)) => {
                hs.extend(
                    headers
                        .into_iter()
                        .filter(|h| !hs.contains(h))
                        .collect::<Vec<_>>(),
                );
                ps.extend(
                    pointers
                        .into_iter()
                        .filter(|p| !ps.contains(p))
                        .collect::<Vec<_>>(),
                );
            }
            None => list.push((written.clone(), headers, pointers)),
        }
    }
    let mut refused = 0;
    for (file, cases) in learned {
        let mut text =
            std::fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
        for (name, headers, pointers) in cases {
            match edgeparity::edit::add_ignores(&text, &name, &headers, &pointers) {
                Ok(t) => text = t,
                Err(e) => {
                    refused += 1;
                    eprintln!("{}: {e}", file.display());
                }
            }
        }
        edgeparity::fsio::write_atomic(&file, text.as_bytes())?;
        say!(
            "wrote {} (review the `learned by edgeparity calibrate` lines)",
            file.display()
        );
    }
    Ok(if refused > 0 {
        exit::USAGE
    } else {
        exit::PARITY
    })
}
