//! Golden files: the baseline's recorded behaviour, one file per case
//! (`golden/SUITE/CASE.yaml`), so parity can still be checked once the old
//! CDN is gone.
//!
//! A golden file holds only what is compared and reproducible: status, the
//! headers that matter, Vary findings, the body (text, JSON, or a digest for
//! binary and large bodies), and the cache outcome of each request *only for
//! probes that test caching* (sequences): the incidental cache state of a
//! single request (`miss` on a cold edge, `hit` on a warm one) is not
//! behaviour, and would make the first recording differ from every later
//! one. Volatile headers and JSON fields learned by A/A calibration are left
//! out and listed under `noise`; a text body with volatile tokens is stored
//! as its template (`value="⟦base64url:12-48⟧"`, see `noise`); secrets and
//! cookie values are masked. Nothing run-specific is stored, and a
//! re-recording of unchanged behaviour leaves the file byte-identical (the
//! `recorded` header keeps the time the behaviour was first seen).
//!
//! The review flow follows insta and trybuild: new recordings can go to
//! `CASE.yaml.new` beside the golden file, to be accepted or rejected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Label, Noise, VaryFinding};
use crate::normalize::{Framing, NormBody, Normalized};
use crate::provider::{CacheOutcome, CacheReading};

pub const FORMAT: u32 = 1;
/// Text bodies longer than this are stored as a digest.
pub const MAX_TEXT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Parse(#[from] crate::yaml::InputError),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    pub at: String,
    pub environment: String,
    pub provider: String,
    pub addrs: Vec<String>,
    pub edgeparity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum GoldenBody {
    Empty,
    Text { text: String },
    Json { value: serde_json::Value },
    Digest { len: u64, sha256: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenResponse {
    pub label: Label,
    pub status: u16,
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content_encoding: Vec<String>,
    /// Only for probes that test caching (see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheOutcome>,
    pub body: GoldenBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenFile {
    pub edgeparity_golden: u32,
    pub recorded: Recorded,
    pub case: String,
    pub method: String,
    pub path: String,
    pub responses: Vec<GoldenResponse>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vary: Vec<VaryFinding>,
    #[serde(default, skip_serializing_if = "Noise::is_empty")]
    pub noise: Noise,
}

impl GoldenFile {
    /// Same behaviour, whatever the `recorded` header says, and whatever
    /// length ranges the learned slots took: two recordings of one
    /// generator learn its range from different samples, and that is not a
    /// change of behaviour (a slot of another class, or anywhere else, is).
    pub fn same_behaviour(&self, other: &GoldenFile) -> bool {
        let canonical = |g: &GoldenFile| {
            let mut g = g.clone();
            g.recorded = other.recorded.clone();
            g.noise = g.noise.without_counts();
            let mut v = serde_json::to_value(&g).unwrap_or_default();
            erase_ranges(&mut v);
            v
        };
        canonical(self) == canonical(other)
    }
}

/// Every template in a JSON value, with its slots' length ranges erased.
fn erase_ranges(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => *s = crate::noise::without_ranges(s),
        Value::Array(a) => a.iter_mut().for_each(erase_ranges),
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut x) in old {
                erase_ranges(&mut x);
                m.insert(crate::noise::without_ranges(&k), x);
            }
        }
        _ => {}
    }
}

/// One observed response, ready to be stored.
pub struct Recording<'a> {
    pub label: Label,
    pub norm: &'a Normalized,
    pub cache: &'a CacheReading,
    /// Whether the probe tests caching (the cache outcome is stored).
    pub probes_cache: bool,
}

fn golden_body(body: &NormBody, noise: &Noise, redactor: &crate::redact::Redactor) -> GoldenBody {
    match body {
        NormBody::Empty => GoldenBody::Empty,
        NormBody::Json { value } => {
            let mut v = value.clone();
            for p in noise.json.keys() {
                crate::normalize::remove_pointer(&mut v, p);
            }
            match serde_json::to_string(&v).map(|s| redactor.text(&s)) {
                Ok(text) => match serde_json::from_str(&text) {
                    Ok(value) => GoldenBody::Json { value },
                    Err(_) => GoldenBody::Json { value: v },
                },
                Err(_) => GoldenBody::Json { value: v },
            }
        }
        NormBody::Text { text } if text.len() <= MAX_TEXT => {
            // A volatile body is stored as its template: slots, no values.
            let source = noise.body.as_deref().unwrap_or(text);
            GoldenBody::Text {
                text: redactor.text(source),
            }
        }
        NormBody::Text { text } => {
            use sha2::{Digest, Sha256};
            GoldenBody::Digest {
                len: text.len() as u64,
                sha256: hex::encode(Sha256::digest(text.as_bytes())),
            }
        }
        NormBody::Binary { len, sha256, .. } | NormBody::Digest { len, sha256, .. } => {
            GoldenBody::Digest {
                len: *len,
                sha256: sha256.clone(),
            }
        }
        NormBody::Undecodable {
            raw_len,
            raw_sha256,
            ..
        } => GoldenBody::Digest {
            len: *raw_len,
            sha256: raw_sha256.clone(),
        },
    }
}

/// What a golden file is built from.
pub struct Source<'a> {
    pub case_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub recorded: Recorded,
    pub observed: &'a [Recording<'a>],
    pub vary: &'a [VaryFinding],
    pub noise: &'a Noise,
}

/// Build a golden file from the baseline's observations of one case.
pub fn record(src: Source, redactor: &crate::redact::Redactor) -> GoldenFile {
    let Source {
        case_id,
        method,
        path,
        recorded,
        observed,
        vary,
        noise,
    } = src;
    let noise = noise.without_counts();
    let responses = observed
        .iter()
        .filter(|o| !o.label.is_reference())
        .map(|o| GoldenResponse {
            label: o.label,
            status: o.norm.status,
            headers: o
                .norm
                .headers
                .iter()
                .filter(|(k, _)| !noise.headers.contains_key(*k))
                .map(|(k, vs)| {
                    (
                        k.clone(),
                        vs.iter()
                            .map(|v| match crate::noise::stored_date(k, v) {
                                Some(marker) => marker,
                                None => redactor.header(k, v, crate::redact::Shown::Mask),
                            })
                            .collect(),
                    )
                })
                .collect(),
            content_encoding: o.norm.encodings.clone(),
            cache: o.probes_cache.then_some(o.cache.outcome),
            body: golden_body(&o.norm.body, &noise, redactor),
        })
        .collect();
    GoldenFile {
        edgeparity_golden: FORMAT,
        recorded,
        case: case_id.to_string(),
        method: method.to_string(),
        path: redactor.text(path),
        responses,
        vary: vary.to_vec(),
        noise,
    }
}

/// A stored response as a normalised one, for `compare`.
pub fn to_normalized(r: &GoldenResponse) -> Normalized {
    let content_type = r
        .headers
        .get("content-type")
        .and_then(|v| v.first())
        .cloned();
    Normalized {
        status: r.status,
        headers: r.headers.clone(),
        aside: BTreeMap::new(),
        ignored: Default::default(),
        ignored_json: Default::default(),
        framing: Framing::Other,
        content_length: None,
        received: None,
        encodings: r.content_encoding.clone(),
        content_type,
        body: match &r.body {
            GoldenBody::Empty => NormBody::Empty,
            GoldenBody::Text { text } => NormBody::Text { text: text.clone() },
            GoldenBody::Json { value } => NormBody::Json {
                value: value.clone(),
            },
            GoldenBody::Digest { len, sha256 } => NormBody::Digest {
                len: *len,
                sha256: sha256.clone(),
                prefix: Vec::new(),
            },
        },
    }
}

/// Where a case's golden file lives.
pub fn path_for(dir: &Path, suite: &str, case: &str) -> PathBuf {
    dir.join(suite).join(format!("{case}.yaml"))
}

pub fn pending_path(golden: &Path) -> PathBuf {
    let mut s = golden.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

pub fn load(path: &Path) -> Result<Option<GoldenFile>, GoldenError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = crate::yaml::read(path)?;
    let g = crate::yaml::parse(path, &text).map_err(crate::yaml::InputError::from)?;
    Ok(Some(g))
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Behaviour unchanged: the file was left as it was.
    Unchanged,
    Created,
    Updated,
    /// Written to `CASE.yaml.new` for review.
    Pending,
}

/// Write a recording: to the golden file itself, or (pending) beside it as
/// `.new`. Unchanged behaviour leaves the golden file untouched, and clears a
/// stale `.new`.
pub fn write(
    dir: &Path,
    suite: &str,
    g: &GoldenFile,
    pending: bool,
) -> Result<Written, GoldenError> {
    let case = g.case.rsplit("::").next().unwrap_or(&g.case);
    crate::suite::check_suite_name(suite)
        .and_then(|_| crate::suite::check_name(case, "case"))
        .map_err(|message| GoldenError::Io {
            path: dir.display().to_string(),
            message: format!("refusing to write a golden file: {message}"),
        })?;
    let path = path_for(dir, suite, case);
    let io = |p: &Path, e: std::io::Error| GoldenError::Io {
        path: p.display().to_string(),
        message: crate::fsio::os_error(p, &e),
    };
    let old = load(&path)?;
    if let Some(old) = &old {
        if old.same_behaviour(g) {
            let pend = pending_path(&path);
            if pend.exists() {
                std::fs::remove_file(&pend).map_err(|e| io(&pend, e))?;
            }
            return Ok(Written::Unchanged);
        }
    }
    let text = crate::yaml::to_string(g).map_err(|m| GoldenError::Io {
        path: path.display().to_string(),
        message: m,
    })?;
    let target = if pending {
        pending_path(&path)
    } else {
        path.clone()
    };
    crate::fsio::write_atomic(&target, text.as_bytes()).map_err(|e| io(&target, e))?;
    Ok(if pending {
        Written::Pending
    } else if old.is_some() {
        Written::Updated
    } else {
        Written::Created
    })
}

/// Every pending `.new` file under `dir`, sorted, with its case id: a
/// file `SUITE/CASE.yaml.new` (SUITE may be nested, `shop/www`) is case
/// `SUITE::CASE`.
pub fn pending(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), Vec::<String>::new())];
    while let Some((d, suite)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                if suite.len() < crate::suite::MAX_SUITE_DEPTH + 1 {
                    let mut deeper = suite.clone();
                    deeper.push(name);
                    todo.push((e.path(), deeper));
                }
            } else if let Some(case) = name.strip_suffix(".yaml.new") {
                if !suite.is_empty() {
                    out.push((format!("{}::{case}", suite.join("/")), e.path()));
                }
            }
        }
    }
    out.sort();
    out
}

/// Accept a pending file: it replaces the golden file.
pub fn accept(pending: &Path) -> std::io::Result<PathBuf> {
    let target = pending.with_extension("");
    std::fs::rename(pending, &target)?;
    Ok(target)
}

/// Reject a pending file: it is deleted.
pub fn reject(pending: &Path) -> std::io::Result<()> {
    std::fs::remove_file(pending)
}

/// A unified diff of a pending file against its golden file.
pub fn review_diff(pending: &Path) -> String {
    let new = std::fs::read_to_string(pending).unwrap_or_default();
    let old_path = pending.with_extension("");
    let old = std::fs::read_to_string(&old_path).unwrap_or_default();
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(
            &old_path.display().to_string(),
            &pending.display().to_string(),
        )
        .to_string()
}

/// Does a glob (over `SUITE::CASE`) select this case? No pattern: all.
pub fn matches(pattern: Option<&str>, id: &str) -> bool {
    match pattern {
        None => true,
        Some(p) => globset::Glob::new(p)
            .map(|g| g.compile_matcher().is_match(id))
            .unwrap_or(p == id),
    }
}
