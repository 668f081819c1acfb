//! A difference between a baseline answer and a candidate answer: what kind,
//! on which field, the two values, and how much it matters.
//!
//! Every stage that finds differences (`compare`, `cache`, `noise`, `judge`)
//! builds them with [`Difference::new`], so clipping of long values is done
//! in one place; the renderers only read them.

use serde::{Deserialize, Serialize};

/// What a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Status,
    Header,
    Body,
    Cache,
    Vary,
    /// A suite's `assert:` that one provider's answer broke (an own finding
    /// of that provider, even when every provider agrees).
    Assert,
    /// The revalidation after the GET (`conditional: true`): the validators
    /// each provider returned, and 304 against 200.
    Conditional,
    /// The byte range after the GET (`range:`): 206, Content-Range, bytes.
    Range,
    /// The HEAD after the GET (`head: true`): against the provider's own
    /// GET, and against the baseline's HEAD.
    Head,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Status,
        Kind::Header,
        Kind::Body,
        Kind::Cache,
        Kind::Vary,
        Kind::Assert,
        Kind::Conditional,
        Kind::Range,
        Kind::Head,
    ];

    /// The words users write in `expect:`, `severities:` and allowlists.
    pub const WORDS: &'static [&'static str] = &[
        "status",
        "header",
        "body",
        "cache",
        "vary",
        "assert",
        "conditional",
        "range",
        "head",
    ];

    /// A kind of the requests that follow a GET (`conditional`, `range`,
    /// `head`): its field names a status, a header or the body of that
    /// request.
    pub fn is_followup(&self) -> bool {
        matches!(self, Kind::Conditional | Kind::Range | Kind::Head)
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Header => "header",
            Kind::Body => "body",
            Kind::Cache => "cache",
            Kind::Vary => "vary",
            Kind::Assert => "assert",
            Kind::Conditional => "conditional",
            Kind::Range => "range",
            Kind::Head => "head",
        }
    }
}

/// How much a difference matters: `critical`, `major`, `minor` or `info`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Minor,
    Major,
    Critical,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Info,
    ];
    pub const WORDS: &'static [&'static str] = &["critical", "major", "minor", "info"];
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One line of a text diff, as the diff library's operations gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `equal`, `delete` (baseline only) or `insert` (candidate only).
    pub tag: LineTag,
    /// 1-based line numbers on each side (absent on the side without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    /// The line's pieces: changed words are marked `emph` (word-level
    /// highlights inside a changed line).
    pub parts: Vec<DiffPart>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineTag {
    Equal,
    Delete,
    Insert,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffPart {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub emph: bool,
}

impl DiffLine {
    pub fn text(&self) -> String {
        self.parts.iter().map(|p| p.text.as_str()).collect()
    }
}

/// A group of diff lines with their context (a hunk of a unified diff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// 1-based first line and line count on each side.
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub provider: String,
    pub kind: Kind,
    /// Filled by the run from the severity table.
    #[serde(default)]
    pub severity: Severity,
    /// Header name, JSON Pointer, or null for the whole status/body.
    pub field: Option<String>,
    pub baseline: Option<String>,
    pub candidate: Option<String>,
    /// One readable sentence.
    pub message: String,
    /// A unified diff, for text bodies (rendered from `hunks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The text diff's hunks, from the diff library's operations: what the
    /// renderers draw side by side, with word-level highlights.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hunks: Vec<Hunk>,
    /// Which request of a probe this is about (e.g. `accept-encoding: gzip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The documented fix for this difference, when a catalogue rule fits
    /// (the most specific one; none when no rule fits). Added in schema v2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
    /// The allowlist entry that accepts this difference (a run with
    /// `--allowlist`): shown in every report, so accepted is never hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Allowed>,
}

/// An allowlist entry as a report carries it, beside the difference it
/// accepts: why, who owns it, until when, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowed {
    pub reason: String,
    pub owner: String,
    /// The last day the entry holds (`YYYY-MM-DD`).
    pub expires: String,
    /// Where the entry is written (`allowlist.yaml:12:3`).
    pub at: String,
}

impl Allowed {
    /// `accepted by allowlist.yaml:12:3 (owner, until 2026-12-31): reason`
    pub fn line(&self) -> String {
        format!(
            "accepted by {} ({}, until {}): {}",
            self.at, self.owner, self.expires, self.reason
        )
    }
}

/// A remediation hint as a report carries it: which catalogue entry, its
/// title and fix, and the documentation it rests on. A copy, not a
/// reference, so a report stays readable when the catalogue changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hint {
    /// The catalogue entry's stable kebab-case id (`edgeparity hints ID`).
    pub id: String,
    pub title: String,
    pub fix: String,
    /// Documentation URLs, as the catalogue lists them.
    #[serde(default)]
    pub docs: Vec<String>,
}

impl Hint {
    /// `TITLE — fix: FIX (edgeparity hints ID)`: the "why" line of the text
    /// summary, the gate and JUnit, invisible characters shown.
    pub fn line(&self) -> String {
        format!(
            "{} — fix: {} (edgeparity hints {})",
            super::visible(&self.title),
            super::visible(&self.fix),
            super::visible(&self.id)
        )
    }

    /// The documentation URLs that may become links: `http` and `https`
    /// only (a report can be edited by hand; `javascript:` must never be a
    /// link).
    pub fn links(&self) -> impl Iterator<Item = &str> {
        self.docs.iter().map(|u| u.trim()).filter(|u| is_web_url(u))
    }
}

/// `https://…` or `http://…` with a host and no whitespace or control
/// characters.
pub fn is_web_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(r) => {
            !r.is_empty()
                && !r.starts_with('/')
                && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// The context of a HEAD checked against the provider's own GET.
pub const AGAINST_OWN_GET: &str = "HEAD against its own GET";

/// Longest value quoted in a difference.
pub const MAX_VALUE: usize = 400;

impl Difference {
    /// The one constructor: values longer than [`MAX_VALUE`] are clipped.
    pub fn new(
        provider: &str,
        kind: Kind,
        field: Option<String>,
        baseline: Option<String>,
        candidate: Option<String>,
        message: impl Into<String>,
    ) -> Difference {
        Difference {
            provider: provider.to_string(),
            kind,
            severity: Severity::default(),
            field,
            baseline: baseline.map(|s| clip(&s)),
            candidate: candidate.map(|s| clip(&s)),
            message: message.into(),
            diff: None,
            hunks: Vec::new(),
            context: None,
            hint: None,
            allowed: None,
        }
    }

    pub fn with_context(mut self, context: impl Into<String>) -> Difference {
        self.context = Some(context.into());
        self
    }

    /// What a difference's first value is, for a reader: the asserted
    /// value (`assert`), the provider's own GET (a HEAD checked against it),
    /// else the baseline's answer.
    pub fn reference<'a>(&self, baseline: &'a str) -> &'a str {
        match self.kind {
            Kind::Assert => "asserted",
            Kind::Head if self.context.as_deref() == Some(AGAINST_OWN_GET) => "its GET",
            _ => baseline,
        }
    }

    /// The (provider, kind, field) triple that identifies a difference
    /// across re-runs and shards.
    pub fn signature(&self) -> (String, Kind, Option<String>) {
        (self.provider.clone(), self.kind, self.field.clone())
    }
}

/// `s`, cut at [`MAX_VALUE`] bytes (on a character boundary) with the full
/// length said.
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_VALUE {
        return s.to_string();
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// A unified diff of `hunks`, as text (`report.json`'s `diff`, the text
/// summary, Markdown): rendered from the structure, never parsed back.
pub fn unified(hunks: &[Hunk], old_name: &str, new_name: &str) -> String {
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    for h in hunks {
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            h.old_start, h.old_len, h.new_start, h.new_len
        ));
        for l in &h.lines {
            let sign = match l.tag {
                LineTag::Equal => ' ',
                LineTag::Delete => '-',
                LineTag::Insert => '+',
            };
            out.push(sign);
            out.push_str(&l.text());
            out.push('\n');
        }
    }
    out
}
