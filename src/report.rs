//! Reading finished reports back (`--previous`, the gate) and merging
//! shard reports into one. The report's data lives in `model::report`; its
//! formats in `render`.
//!
//! `report.json` is a contract that CI scripts and later tools read; keys
//! are only ever added. Files are written atomically (a temp file in the
//! same folder, renamed into place), so a reader never sees half a report.

use std::path::Path;

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
/// `allow_partial`, which records a warning instead. ([`merge_files`] is
/// the same merge without holding the cases.)
pub fn merge(reports: Vec<(String, Report)>, allow_partial: bool) -> Result<Report, MergeError> {
    let mut m = Merger::default();
    let mut cases = Vec::new();
    for (path, mut r) in reports {
        let shard_cases = std::mem::take(&mut r.cases);
        m.start(path);
        for c in &shard_cases {
            m.case(c);
        }
        m.head(r)?;
        cases.extend(shard_cases);
    }
    let mut merged = m.finish(allow_partial)?;
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    merged.cases = cases;
    Ok(merged)
}

/// Why shard report files could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeFilesError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Merge(#[from] MergeError),
}

/// [`merge`] of report.json files, in the memory of one case: each shard's
/// cases are streamed from its file into a spool (an anonymous file in the
/// system's temporary folder) as they are parsed, and put in order of id
/// from their keys. Returns the merged report's head (`cases` empty) and
/// its cases, for `render::write_streamed`.
pub fn merge_files(
    paths: &[std::path::PathBuf],
    allow_partial: bool,
) -> Result<(Report, crate::spool::Spooled), MergeFilesError> {
    let io = |path: &Path, e: std::io::Error| ReadError {
        path: path.display().to_string(),
        message: format!("cannot spool its cases: {e}"),
    };
    let mut m = Merger::default();
    let first = paths.first().ok_or(MergeError::Empty)?;
    let mut spool = crate::spool::Spool::new(&std::env::temp_dir(), 0).map_err(|e| io(first, e))?;
    for path in paths {
        m.start(path.display().to_string());
        let head = read_streaming(path, &mut |c| {
            m.case(&c);
            spool.append(&c)
        })?;
        m.head(head)?;
    }
    let head = m.finish(allow_partial)?;
    let mut cases = spool.finish().map_err(|e| io(first, e))?;
    cases.sort_by_id();
    Ok((head, cases))
}

/// What a merge knows so far: the first shard's head (everything else is
/// folded into it), which shards and case ids it has seen, and the counts
/// and answer times of the cases, added one at a time.
#[derive(Default)]
struct Merger {
    merged: Option<(String, Report)>,
    /// The shard being read.
    path: String,
    shards: std::collections::BTreeMap<u32, String>,
    counts: Option<(u32, String)>,
    /// Case id → the shard (index into `paths`) it came from.
    owner: std::collections::HashMap<Box<str>, usize>,
    paths: Vec<String>,
    /// The first case of the shard being read that another shard has.
    overlap: Option<MergeError>,
    rules: Vec<crate::model::IgnoreRuleUse>,
    summary: crate::model::Summary,
    latency: crate::model::report::LatencyAcc,
}

impl Merger {
    /// A shard begins (read from `path`); its cases may come before its head.
    fn start(&mut self, path: String) {
        self.paths.push(path.clone());
        self.path = path;
    }

    fn case(&mut self, c: &crate::model::CaseResult) {
        let me = self.paths.len() - 1;
        if let Some(other) = self.owner.insert(c.id.as_str().into(), me) {
            if self.overlap.is_none() {
                self.overlap = Some(MergeError::Overlap {
                    id: c.id.clone(),
                    path: self.path.clone(),
                    other: self.paths[other].clone(),
                });
            }
        }
        self.summary.add(c.verdict);
        self.latency.add(c);
    }

    /// The shard's head (its cases taken out): checked against the first
    /// shard's, then folded into it. A shard of another run is refused
    /// before a case it shares with an earlier shard.
    fn head(&mut self, r: Report) -> Result<(), MergeError> {
        let path = self.path.clone();
        if let Some((first_path, first)) = &self.merged {
            let checks: [(&'static str, &str, &str); 3] = [
                ("environment", &first.environment, &r.environment),
                ("baseline", &first.baseline, &r.baseline),
                ("config_digest", &first.config_digest, &r.config_digest),
            ];
            for (what, ours, theirs) in checks {
                if ours != theirs {
                    return Err(MergeError::Mismatch {
                        path,
                        first: first_path.clone(),
                        what,
                        ours: ours.to_string(),
                        theirs: theirs.to_string(),
                    });
                }
            }
        }
        if let Some(s) = r.shard {
            match &self.counts {
                Some((n, p)) if *n != s.count => {
                    return Err(MergeError::Mismatch {
                        path,
                        first: p.clone(),
                        what: "shard count",
                        ours: n.to_string(),
                        theirs: s.count.to_string(),
                    })
                }
                Some(_) => {}
                None => self.counts = Some((s.count, path.clone())),
            }
            if let Some(other) = self.shards.insert(s.index, path.clone()) {
                return Err(MergeError::SameShard {
                    path,
                    other,
                    index: s.index,
                    count: s.count,
                });
            }
        }
        if let Some(e) = self.overlap.take() {
            return Err(e);
        }
        self.fold(path, r);
        Ok(())
    }

    fn fold(&mut self, path: String, mut r: Report) {
        self.rules.append(&mut r.ignore_rules);
        let Some((_, merged)) = &mut self.merged else {
            self.merged = Some((path, r));
            return;
        };
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
    }

    /// The merged head: missing shards refused (or a warning), rules
    /// summed, summary and latency from the cases seen.
    fn finish(self, allow_partial: bool) -> Result<Report, MergeError> {
        let (_, mut merged) = self.merged.ok_or(MergeError::Empty)?;
        if let Some((count, _)) = self.counts {
            let missing: Vec<u32> = (1..=count)
                .filter(|i| !self.shards.contains_key(i))
                .collect();
            if !missing.is_empty() {
                let err = MergeError::Partial { missing, count };
                if !allow_partial {
                    return Err(err);
                }
                let w = format!("PARTIAL MERGE: {err}");
                if !merged.warnings.contains(&w) {
                    merged.warnings.push(w);
                }
            }
        }
        // A rule unused in one shard may be used in another: sum, then warn.
        merged.ignore_rules = crate::model::sum_ignore_rules(self.rules);
        merged.warnings =
            crate::model::with_unused_rule_warnings(&merged.warnings, &merged.ignore_rules);
        merged.shard = None;
        merged.summary = self.summary;
        merged.latency = self.latency.finish(&merged.providers);
        merged.cases = Vec::new();
        Ok(merged)
    }
}

/// Read a report.json's head (every key but `cases`, which comes back
/// empty) and hand each case to `f` as soon as it is parsed: a shard of
/// 100,000 cases is never whole in memory. An error of `f` stops the read.
pub fn read_streaming(
    path: &Path,
    f: &mut dyn FnMut(crate::model::CaseResult) -> std::io::Result<()>,
) -> Result<Report, ReadError> {
    use serde::de::DeserializeSeed;
    let error = |message: String| ReadError {
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| error(e.to_string()))?;
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(256 * 1024, file));
    let mut stopped = None;
    let parsed = stream::Top {
        f,
        stopped: &mut stopped,
    }
    .deserialize(&mut de)
    .and_then(|head| de.end().map(|_| head));
    if let Some(e) = stopped {
        return Err(error(e.to_string()));
    }
    let bad = |e: serde_json::Error| {
        error(if e.is_io() {
            e.to_string()
        } else {
            format!("not an edgeparity report.json: {e}")
        })
    };
    let head = parsed.map_err(bad)?;
    serde_json::from_value(serde_json::Value::Object(head)).map_err(bad)
}

/// The serde visitors of [`read_streaming`].
mod stream {
    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    use crate::model::CaseResult;

    type OnCase<'a> = &'a mut dyn FnMut(CaseResult) -> std::io::Result<()>;

    /// The report's object: every key kept as JSON but `cases`, whose
    /// elements go to `f` one by one (`cases` is kept as `[]`).
    pub struct Top<'a, 'b> {
        pub f: OnCase<'a>,
        pub stopped: &'b mut Option<std::io::Error>,
    }

    impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
        type Value = Map<String, Value>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Top<'_, '_> {
        type Value = Map<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a report.json object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let Top { f, stopped } = self;
            let mut out = Map::new();
            while let Some(key) = m.next_key::<String>()? {
                if key == "cases" {
                    m.next_value_seed(Cases {
                        f: &mut *f,
                        stopped: &mut *stopped,
                    })?;
                    out.insert(key, Value::Array(Vec::new()));
                } else {
                    let v: Value = m.next_value()?;
                    out.insert(key, v);
                }
            }
            Ok(out)
        }
    }

    struct Cases<'a, 'b> {
        f: OnCase<'a>,
        stopped: &'b mut Option<std::io::Error>,
    }

    impl<'de> DeserializeSeed<'de> for Cases<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Cases<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of cases")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<(), S::Error> {
            while let Some(c) = s.next_element::<CaseResult>()? {
                if let Err(e) = (self.f)(c) {
                    *self.stopped = Some(e);
                    return Err(de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
}

/// The earlier of two RFC 3339 timestamps (text order if either is not one).
fn earliest(a: &str, b: &str) -> String {
    match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
        (Ok(x), Ok(y)) => if y < x { b } else { a }.to_string(),
        _ => a.min(b).to_string(),
    }
}
