//! Reading finished reports back (`--previous`, the gate) and merging
//! shard reports into one. The report's data lives in `model::report`; its
//! formats in `render`.
//!
//! `report.json` is a contract that CI scripts and later tools read; keys
//! are only ever added. Files are written atomically (a temp file in the
//! same folder, renamed into place), so a reader never sees half a report.

use std::path::Path;

use crate::model::report::latency;
use crate::model::{Report, Verdict};

/// Read a report.json written by `run` (for the gate and merge).
pub fn read(path: &Path) -> Result<Report, ReadError> {
    read_as(path)
}

/// Each case's id and verdict from a report.json (for `--previous`): the
/// rest of every case is skipped unread, so last night's 100,000 cases
/// cost their ids, not their results.
pub fn read_verdicts(path: &Path) -> Result<Vec<(String, Verdict)>, ReadError> {
    #[derive(serde::Deserialize)]
    struct Slim {
        cases: Vec<SlimCase>,
    }
    #[derive(serde::Deserialize)]
    struct SlimCase {
        id: String,
        verdict: Verdict,
    }
    let slim: Slim = read_as(path)?;
    Ok(slim.cases.into_iter().map(|c| (c.id, c.verdict)).collect())
}

/// Parse a report.json as `T`, streaming from the file (its text is never
/// held whole).
fn read_as<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReadError> {
    if path.is_dir() {
        return Err(ReadError {
            path: path.display().to_string(),
            message: "cannot read: is a folder, not a file (name its report.json)".into(),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| ReadError {
        path: path.display().to_string(),
        message: format!("cannot read: {}", crate::fsio::os_error(path, &e)),
    })?;
    serde_json::from_reader(std::io::BufReader::with_capacity(256 * 1024, file)).map_err(|e| {
        ReadError {
            path: path.display().to_string(),
            message: if e.is_io() {
                format!("cannot read: {e}")
            } else {
                format!("not an edgeparity report.json: {e}")
            },
        }
    })
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ReadError {
    pub path: String,
    pub message: String,
}

// ---------------------------------------------------------------------------
// Merging shard reports
// ---------------------------------------------------------------------------

/// Why shard reports cannot be merged into one.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: give at least one shard report")]
    Empty,
    #[error(
        "{path}: {what} is `{theirs}` but {first} has `{ours}`: \
         these reports are not shards of one run"
    )]
    Mismatch {
        path: String,
        first: String,
        what: &'static str,
        ours: String,
        theirs: String,
    },
    #[error("{path} and {other} are both shard {index}/{count}")]
    SameShard {
        path: String,
        other: String,
        index: u32,
        count: u32,
    },
    #[error("case `{id}` is in both {path} and {other}: shards must not overlap")]
    Overlap {
        id: String,
        path: String,
        other: String,
    },
    #[error(
        "shard{} {} of {count} missing (pass --allow-partial to merge anyway)",
        if .missing.len() == 1 { "" } else { "s" },
        .missing.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
    )]
    Partial { missing: Vec<u32>, count: u32 },
}

/// Merge shard reports (each with where it was read from) into one report:
/// cases sorted by id, summary and latency recomputed, warnings unioned
/// (unused-ignore-rule warnings recomputed from the summed rule counts),
/// `started_at` the earliest, `duration_ms` the longest. Refuses reports of
/// different environments, baselines or config digests, two reports of one
/// shard, and overlapping cases. A missing shard is refused unless
/// `allow_partial`, which records a warning instead.
pub fn merge(reports: Vec<(String, Report)>, allow_partial: bool) -> Result<Report, MergeError> {
    use std::collections::BTreeMap;
    let mut iter = reports.into_iter();
    let (first_path, first) = iter.next().ok_or(MergeError::Empty)?;
    let rest: Vec<(String, Report)> = iter.collect();
    let mut shards: BTreeMap<u32, String> = BTreeMap::new();
    let mut counts: Option<(u32, String)> = None;
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let all = std::iter::once((&first_path, &first)).chain(rest.iter().map(|(p, r)| (p, r)));
    for (path, r) in all {
        let checks: [(&'static str, &str, &str); 3] = [
            ("environment", &first.environment, &r.environment),
            ("baseline", &first.baseline, &r.baseline),
            ("config_digest", &first.config_digest, &r.config_digest),
        ];
        for (what, ours, theirs) in checks {
            if ours != theirs {
                return Err(MergeError::Mismatch {
                    path: path.clone(),
                    first: first_path.clone(),
                    what,
                    ours: ours.to_string(),
                    theirs: theirs.to_string(),
                });
            }
        }
        if let Some(s) = r.shard {
            match &counts {
                Some((n, p)) if *n != s.count => {
                    return Err(MergeError::Mismatch {
                        path: path.clone(),
                        first: p.clone(),
                        what: "shard count",
                        ours: n.to_string(),
                        theirs: s.count.to_string(),
                    })
                }
                Some(_) => {}
                None => counts = Some((s.count, path.clone())),
            }
            if let Some(other) = shards.insert(s.index, path.clone()) {
                return Err(MergeError::SameShard {
                    path: path.clone(),
                    other,
                    index: s.index,
                    count: s.count,
                });
            }
        }
        for c in &r.cases {
            if let Some(other) = owner.insert(c.id.clone(), path.clone()) {
                return Err(MergeError::Overlap {
                    id: c.id.clone(),
                    path: path.clone(),
                    other,
                });
            }
        }
    }
    let mut warnings: Vec<String> = Vec::new();
    if let Some((count, _)) = counts {
        let missing: Vec<u32> = (1..=count).filter(|i| !shards.contains_key(i)).collect();
        if !missing.is_empty() {
            let err = MergeError::Partial { missing, count };
            if !allow_partial {
                return Err(err);
            }
            warnings.push(format!("PARTIAL MERGE: {err}"));
        }
    }
    let mut merged = first;
    let mut rules = std::mem::take(&mut merged.ignore_rules);
    for (_, r) in rest {
        rules.extend(r.ignore_rules);
        for w in r.warnings {
            if !merged.warnings.contains(&w) {
                merged.warnings.push(w);
            }
        }
        for p in r.providers {
            match merged.providers.iter_mut().find(|q| q.name == p.name) {
                Some(q) => {
                    for res in p.resolutions {
                        if !q.resolutions.contains(&res) {
                            q.resolutions.push(res);
                        }
                    }
                }
                None => merged.providers.push(p),
            }
        }
        merged.started_at = earliest(&merged.started_at, &r.started_at);
        merged.duration_ms = merged.duration_ms.max(r.duration_ms);
        merged.insecure |= r.insecure;
        merged.cases.extend(r.cases);
    }
    for w in warnings {
        if !merged.warnings.contains(&w) {
            merged.warnings.push(w);
        }
    }
    // A rule unused in one shard may be used in another: sum, then warn.
    merged.ignore_rules = crate::model::sum_ignore_rules(rules);
    merged.warnings =
        crate::model::with_unused_rule_warnings(&merged.warnings, &merged.ignore_rules);
    merged.cases.sort_by(|a, b| a.id.cmp(&b.id));
    merged.shard = None;
    merged.summary = Report::summarize(&merged.cases);
    merged.latency = latency(&merged.cases, &merged.providers);
    Ok(merged)
}

/// The earlier of two RFC 3339 timestamps (text order if either is not one).
fn earliest(a: &str, b: &str) -> String {
    match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
        (Ok(x), Ok(y)) => if y < x { b } else { a }.to_string(),
        _ => a.min(b).to_string(),
    }
}
