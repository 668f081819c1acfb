//! A/A noise calibration, after Twitter's Diffy, at the level of tokens:
//! ask the baseline several times, learn *where* its answers vary by
//! themselves and *what* the varying parts look like, and absorb a
//! candidate's difference only when it lies entirely inside such a part and
//! looks like it.
//!
//! # Templates
//!
//! Every text body (HTML, CSS, JS, plain text), every header value and every
//! volatile JSON string is learned as a **template**: fixed text with
//! wildcard **slots** where the baseline's answers varied. Text is cut into
//! tokens by [`tokens`] (runs of word characters, runs of whitespace, single
//! delimiters such as `<`, `"`, `=`), the baseline's samples are aligned
//! token by token with the `similar` crate's diff operations against the
//! first sample, and every maximal run of tokens that is not `Equal` in
//! every alignment becomes one slot. Lines are never the unit: a real change
//! beside a CSRF token on the same line stays outside the token's slot and
//! is reported, with the changed tokens in context.
//!
//! Word characters include `- _ . : / + % @ ~ $`, so a base64url session id,
//! a UUID, a float or a clock time (`10:00:59.123`) is *one* token. Were `-`
//! and `_` delimiters, two random ids would align on their dashes by chance
//! and the template would demand a dash at a position where the next id
//! has none: the false difference this design removes.
//!
//! # Slot classes
//!
//! A slot's class is the most specific of these that every sample fits, in
//! this order: `digits`, `number` (`-12.50`), `uuid` (8-4-4-4-12 hex),
//! `hex`, `base64url` (`A-Z a-z 0-9 - _`), `base64` (`A-Z a-z 0-9 + / =`),
//! `text` (letters and digits, plus only the punctuation and whitespace the
//! samples showed in that slot). A candidate value fits a slot when it fits
//! the class and its length range. So random tokens of one alphabet match
//! each other whatever their length and wherever their `-` and `_` fall;
//! whitespace or punctuation the baseline never had there, a length far
//! outside the range, or digits where letters were do not.
//!
//! "Digits where letters were": a random token of a lettered class almost
//! always contains a letter. When the chance that a random token of the
//! slot's class and shortest length has none is below one in a million
//! (a `hex` value from 30 characters, `base64`/`base64url` from 9), the
//! value must have a letter.
//!
//! # Length ranges
//!
//! Three samples rarely show a generator's whole length range, so the
//! observed range `lo..=hi` is widened to `2/3·lo ..= 3/2·hi`: a 32-digit
//! hex id accepts 20 to 48 characters, a counter of 3 digits 2 to 5, but a
//! 4-character value where 32 were is reported. The bounds are then rounded
//! outwards onto a fixed grid (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32,
//! …: powers of two and 1.25× / 1.5× between), so two recordings of the
//! same behaviour from different samples almost always learn the same
//! range, and golden files do not churn. A UUID is always 36 characters.
//!
//! # Bounds
//!
//! At most [`MAX_TOKENS`] tokens per body are aligned, and each alignment
//! has a deadline; a larger body, or samples that differ in more than half
//! their tokens, learn no template ("too different to align") and their
//! differences stay reported.
//!
//! JSON keeps field-level pointers: a volatile pointer absorbs a candidate
//! value of a JSON type the baseline showed there, and a string only when it
//! fits the template learned from the baseline's strings at that pointer.
//!
//! Headers holding an HTTP date relative to `Date` (`Expires`) are compared
//! by their offset from the answer's own `Date`: two answers a second apart
//! are the same behaviour, an `Expires` an hour off is not.
//!
//! Learned noise is never hidden: every volatile header, pointer and slot is
//! listed per case in report.json under `noise`, with how many differences
//! each absorbed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp};

use crate::model::{Difference, Kind, Noise, SlotNote};
use crate::normalize::{NormBody, Normalized};

/// Most tokens of one body aligned; above this no template is learned.
pub const MAX_TOKENS: usize = 200_000;
/// Most slot notes listed per case.
pub const MAX_NOTES: usize = 100;
/// Deadline of one alignment.
const ALIGN_DEADLINE: Duration = Duration::from_secs(2);
/// Opens a slot (or an escaped literal `⟦`) in a rendered template.
const OPEN: char = '⟦';
const CLOSE: char = '⟧';
/// How a header that some baseline answers lacked is listed.
pub const ABSENT: &str = "(absent)";

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '+' | '%' | '@' | '~' | '$')
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum TokKind {
    Word,
    Space,
    Delim,
}

fn kind_of(c: char) -> TokKind {
    if c.is_whitespace() {
        TokKind::Space
    } else if is_word(c) {
        TokKind::Word
    } else {
        TokKind::Delim
    }
}

/// Cut text into tokens: runs of word characters, runs of whitespace, and
/// every other character alone. Concatenated, the tokens are the text.
pub fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<TokKind> = None;
    for (i, c) in s.char_indices() {
        let k = kind_of(c);
        match prev {
            Some(p) if p == k && k != TokKind::Delim => {}
            Some(_) => {
                out.push(&s[start..i]);
                start = i;
            }
            None => {}
        }
        prev = Some(k);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

// ---------------------------------------------------------------------------
// Slots and templates
// ---------------------------------------------------------------------------

/// The character class of a slot (see the module docs for the order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    Digits,
    Number,
    Uuid,
    Hex,
    Base64Url,
    Base64,
    /// Letters and digits, plus exactly these other characters.
    Text(BTreeSet<char>),
}

impl Class {
    fn name(&self) -> &'static str {
        match self {
            Class::Digits => "digits",
            Class::Number => "number",
            Class::Uuid => "uuid",
            Class::Hex => "hex",
            Class::Base64Url => "base64url",
            Class::Base64 => "base64",
            Class::Text(_) => "text",
        }
    }

    fn fits(&self, v: &str) -> bool {
        match self {
            Class::Digits => v.chars().all(|c| c.is_ascii_digit()),
            Class::Number => {
                let s = v.strip_prefix('-').unwrap_or(v);
                let (int, frac) = match s.split_once('.') {
                    Some((i, f)) => (i, Some(f)),
                    None => (s, None),
                };
                !int.is_empty()
                    && int.chars().all(|c| c.is_ascii_digit())
                    && frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
            }
            Class::Uuid => {
                v.len() == 36
                    && v.char_indices().all(|(i, c)| {
                        if matches!(i, 8 | 13 | 18 | 23) {
                            c == '-'
                        } else {
                            c.is_ascii_hexdigit()
                        }
                    })
            }
            Class::Hex => v.chars().all(|c| c.is_ascii_hexdigit()),
            Class::Base64Url => v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            Class::Base64 => v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='),
            Class::Text(punct) => v.chars().all(|c| c.is_alphanumeric() || punct.contains(&c)),
        }
    }

    /// The most specific class every value fits.
    fn of(values: &[&str]) -> Class {
        let non_empty: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
        for c in [
            Class::Digits,
            Class::Number,
            Class::Uuid,
            Class::Hex,
            Class::Base64Url,
            Class::Base64,
        ] {
            if !non_empty.is_empty() && non_empty.iter().all(|v| c.fits(v)) {
                return c;
            }
        }
        let punct = values
            .iter()
            .flat_map(|v| v.chars())
            .filter(|c| !c.is_alphanumeric() && *c != OPEN && *c != CLOSE)
            .collect();
        Class::Text(punct)
    }
}

/// One wildcard of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub class: Class,
    /// Widened length range, in characters.
    pub min: usize,
    pub max: usize,
}

/// 1, 2, 3, then 2^k × {1, 1.25, 1.5} from 4 on.
fn grid() -> impl Iterator<Item = usize> {
    [1usize, 2, 3].into_iter().chain((2u32..40).flat_map(|k| {
        let p = 1usize << k;
        [p, p + p / 4, p + p / 2]
    }))
}

fn floor_grid(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    grid().take_while(|g| *g <= n).last().unwrap_or(1)
}

fn ceil_grid(n: usize) -> usize {
    grid().find(|g| *g >= n).unwrap_or(n)
}

impl Slot {
    /// The slot for the values a region took in the samples.
    fn learn(values: &[&str]) -> Slot {
        let class = Class::of(values);
        let lens: Vec<usize> = values.iter().map(|v| v.chars().count()).collect();
        let lo = lens.iter().copied().min().unwrap_or(0);
        let hi = lens.iter().copied().max().unwrap_or(0);
        let (min, max) = if class == Class::Uuid {
            (36, 36)
        } else {
            (floor_grid(lo * 2 / 3), ceil_grid((hi * 3).div_ceil(2)))
        };
        Slot { class, min, max }
    }

    /// Must a value of `n` characters contain a letter? Yes when a random
    /// token of the slot's class and that length has none with a chance
    /// below one in a million (see the module docs).
    fn needs_letter(&self, n: usize) -> bool {
        let (others, alphabet): (f64, f64) = match self.class {
            Class::Hex => (10.0, 16.0),
            Class::Base64Url => (12.0, 64.0),
            Class::Base64 => (13.0, 65.0),
            _ => return false,
        };
        let p: f64 = (others / alphabet).powi(n.min(1000) as i32);
        p < 1e-6
    }

    pub fn fits(&self, v: &str) -> bool {
        let n = v.chars().count();
        if n < self.min || n > self.max {
            return false;
        }
        if n == 0 {
            return true;
        }
        self.class.fits(v) && (!self.needs_letter(n) || v.chars().any(|c| c.is_ascii_alphabetic()))
    }

    /// `hex:20-48`, `text:1-8: .`
    pub fn spec(&self) -> String {
        let len = if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}-{}", self.min, self.max)
        };
        match &self.class {
            Class::Text(p) => format!("text:{len}:{}", p.iter().collect::<String>()),
            c => format!("{}:{len}", c.name()),
        }
    }

    fn parse_spec(spec: &str) -> Option<Slot> {
        let mut it = spec.splitn(3, ':');
        let name = it.next()?;
        let len = it.next()?;
        let (min, max) = match len.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let n = len.parse().ok()?;
                (n, n)
            }
        };
        let class = match name {
            "digits" => Class::Digits,
            "number" => Class::Number,
            "uuid" => Class::Uuid,
            "hex" => Class::Hex,
            "base64url" => Class::Base64Url,
            "base64" => Class::Base64,
            "text" => Class::Text(it.next().unwrap_or("").chars().collect()),
            _ => return None,
        };
        Some(Slot { class, min, max })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Slot(Slot),
}

/// Fixed text with slots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

/// Why no template was learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoTemplate {
    /// More than [`MAX_TOKENS`] tokens.
    TooLarge,
    /// The samples differ in more than half their tokens.
    TooDifferent,
}

impl Template {
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.parts.iter().filter_map(|p| match p {
            Part::Slot(s) => Some(s),
            Part::Lit(_) => None,
        })
    }

    pub fn has_slots(&self) -> bool {
        self.slots().next().is_some()
    }

    /// Learn a template from samples of one text (the first is the reference).
    pub fn learn(samples: &[&str]) -> Result<Template, NoTemplate> {
        Template::learn_limited(samples, false)
    }

    /// `learn`; with `body`, samples that differ in half their tokens or
    /// more learn nothing (a body that is all slots would absorb anything;
    /// a header value or JSON string that varies whole is one slot).
    pub fn learn_limited(samples: &[&str], body: bool) -> Result<Template, NoTemplate> {
        let Some(first) = samples.first() else {
            return Ok(Template::default());
        };
        let reference = tokens(first);
        let others: Vec<Vec<&str>> = samples[1..].iter().map(|s| tokens(s)).collect();
        if reference.len() > MAX_TOKENS || others.iter().any(|o| o.len() > MAX_TOKENS) {
            return Err(NoTemplate::TooLarge);
        }
        let n = reference.len();
        let mut varied = vec![false; n];
        let mut gap = vec![false; n + 1];
        // Per sample: reference index -> sample index, for Equal tokens.
        let mut maps: Vec<Vec<Option<usize>>> = Vec::new();
        for o in &others {
            let mut map = vec![None; n];
            let ops = similar::capture_diff_slices_deadline(
                Algorithm::Myers,
                &reference,
                o,
                Some(Instant::now() + ALIGN_DEADLINE),
            );
            for op in ops {
                match op {
                    DiffOp::Equal {
                        old_index,
                        new_index,
                        len,
                    } => {
                        for k in 0..len {
                            map[old_index + k] = Some(new_index + k);
                        }
                    }
                    DiffOp::Delete {
                        old_index, old_len, ..
                    }
                    | DiffOp::Replace {
                        old_index, old_len, ..
                    } => {
                        for v in varied.iter_mut().skip(old_index).take(old_len) {
                            *v = true;
                        }
                    }
                    DiffOp::Insert { old_index, .. } => gap[old_index] = true,
                }
            }
            maps.push(map);
        }
        if body && n > 0 && varied.iter().filter(|v| **v).count() * 2 >= n {
            return Err(NoTemplate::TooDifferent);
        }
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i <= n {
            if gap[i] || (i < n && varied[i]) {
                let a = i;
                let mut b = i;
                while b < n && varied[b] {
                    b += 1;
                }
                // The region is reference tokens a..b; in each sample, what
                // lies between the stable tokens around it.
                let mut values: Vec<String> = vec![reference[a..b].concat()];
                for (o, map) in others.iter().zip(&maps) {
                    let from = if a == 0 {
                        Some(0)
                    } else {
                        map[a - 1].map(|x| x + 1)
                    };
                    let to = if b == n { Some(o.len()) } else { map[b] };
                    if let (Some(f), Some(t)) = (from, to) {
                        if f <= t {
                            values.push(o[f..t].concat());
                        }
                    }
                }
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Slot(Slot::learn(&refs)));
                if b < n {
                    lit.push_str(reference[b]);
                }
                i = b + 1;
            } else {
                if i < n {
                    lit.push_str(reference[i]);
                }
                i += 1;
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    /// The template as text: literals as they are (a literal `⟦` as `⟦=⟧`),
    /// slots as `⟦class:min-max⟧`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => {
                    for c in s.chars() {
                        if c == OPEN {
                            out.push_str("⟦=⟧");
                        } else {
                            out.push(c);
                        }
                    }
                }
                Part::Slot(s) => {
                    out.push(OPEN);
                    out.push_str(&s.spec());
                    out.push(CLOSE);
                }
            }
        }
        out
    }

    /// Read a rendered template back. Text without slots is one literal.
    pub fn parse(s: &str) -> Template {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(OPEN) {
            lit.push_str(&rest[..i]);
            let after = &rest[i + OPEN.len_utf8()..];
            match after.find(CLOSE) {
                Some(j) => {
                    let spec = &after[..j];
                    if spec == "=" {
                        lit.push(OPEN);
                    } else if let Some(slot) = Slot::parse_spec(spec) {
                        if !lit.is_empty() {
                            parts.push(Part::Lit(std::mem::take(&mut lit)));
                        }
                        parts.push(Part::Slot(slot));
                    } else {
                        lit.push(OPEN);
                        lit.push_str(spec);
                        lit.push(CLOSE);
                    }
                    rest = &after[j + CLOSE.len_utf8()..];
                }
                None => {
                    lit.push(OPEN);
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Template { parts }
    }

    /// Match a candidate text against the template.
    pub fn matches(&self, candidate: &str) -> Matched {
        // The template's tokens: literal tokens, and `None` for a slot.
        let mut seq: Vec<Option<&str>> = Vec::new();
        let mut slot_at: Vec<usize> = Vec::new(); // seq index of each slot
        let slots: Vec<&Slot> = self.slots().collect();
        for p in &self.parts {
            match p {
                Part::Lit(s) => seq.extend(tokens(s).into_iter().map(Some)),
                Part::Slot(_) => {
                    slot_at.push(seq.len());
                    seq.push(None);
                }
            }
        }
        let cand: Vec<Option<&str>> = tokens(candidate).into_iter().map(Some).collect();
        let mut m = Matched {
            fits: true,
            absorbed: vec![0; slots.len()],
            changes: Vec::new(),
            too_large: false,
        };
        if seq.len() > MAX_TOKENS || cand.len() > MAX_TOKENS {
            m.fits = false;
            m.too_large = true;
            return m;
        }
        let ops = similar::capture_diff_slices_deadline(
            Algorithm::Myers,
            &seq,
            &cand,
            Some(Instant::now() + ALIGN_DEADLINE),
        );
        // Group consecutive non-Equal operations.
        let mut groups: Vec<((usize, usize), (usize, usize))> = Vec::new();
        let mut open: Option<((usize, usize), (usize, usize))> = None;
        for op in &ops {
            let (o, n) = (op.old_range(), op.new_range());
            if matches!(op, DiffOp::Equal { .. }) {
                if let Some(g) = open.take() {
                    groups.push(g);
                }
            } else {
                open = Some(match open {
                    Some(((a, _), (c, _))) => ((a, o.end), (c, n.end)),
                    None => ((o.start, o.end), (n.start, n.end)),
                });
            }
        }
        if let Some(g) = open.take() {
            groups.push(g);
        }
        let text = |r: (usize, usize)| -> String {
            cand[r.0..r.1].iter().map(|t| t.unwrap_or("")).collect()
        };
        for (old, new) in groups {
            let inside: Vec<usize> = (old.0..old.1).collect();
            let only_slot = inside.len() == 1 && seq[inside[0]].is_none();
            let value = text(new);
            if only_slot {
                if let Some(k) = slot_at.iter().position(|x| *x == inside[0]) {
                    if slots[k].fits(&value) {
                        m.absorbed[k] += 1;
                        continue;
                    }
                }
            }
            m.fits = false;
            let was: String = inside
                .iter()
                .map(|i| match seq[*i] {
                    Some(t) => t.to_string(),
                    None => slot_at
                        .iter()
                        .position(|x| x == i)
                        .map(|k| format!("{OPEN}{}{CLOSE}", slots[k].spec()))
                        .unwrap_or_default(),
                })
                .collect();
            let line = 1 + text((0, new.0)).matches('\n').count();
            let before = clip_left(&text((new.0.saturating_sub(8), new.0)), 40);
            let after = clip_right(&text((new.1, (new.1 + 8).min(cand.len()))), 40);
            m.changes.push(Change {
                line,
                context: format!(
                    "{before}[-{}-]{{+{}+}}{after}",
                    clip_right(&was, 80),
                    clip_right(&value, 80)
                ),
            });
        }
        m
    }
}

fn clip_left(s: &str, n: usize) -> String {
    let c: Vec<char> = s.chars().collect();
    if c.len() <= n {
        return s.to_string();
    }
    format!("…{}", c[c.len() - n..].iter().collect::<String>())
}

fn clip_right(s: &str, n: usize) -> String {
    let c: Vec<char> = s.chars().collect();
    if c.len() <= n {
        return s.to_string();
    }
    format!("{}…", c[..n].iter().collect::<String>())
}

/// A change outside the template's slots, in context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 1-based line of the candidate's text.
    pub line: usize,
    /// `…before[-baseline-]{+candidate+}after…`
    pub context: String,
}

/// How a candidate matched a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Every difference lies inside a slot and fits it.
    pub fits: bool,
    /// Per slot, how many candidate values it absorbed.
    pub absorbed: Vec<usize>,
    pub changes: Vec<Change>,
    pub too_large: bool,
}

impl Matched {
    /// The changes as one readable phrase (at most five listed).
    pub fn describe(&self) -> String {
        if self.too_large {
            return format!("too large to align (over {MAX_TOKENS} tokens)");
        }
        let shown: Vec<String> = self
            .changes
            .iter()
            .take(5)
            .map(|c| format!("line {}: `{}`", c.line, c.context))
            .collect();
        let more = self.changes.len().saturating_sub(5);
        format!(
            "{}{}",
            shown.join("; "),
            if more > 0 {
                format!("; {more} more")
            } else {
                String::new()
            }
        )
    }
}

// ---------------------------------------------------------------------------
// Learning
// ---------------------------------------------------------------------------

/// A header's values as one text, the way `compare` joins them (multi-line
/// headers such as Set-Cookie sorted, one per line).
fn header_text(name: &str, values: &[String]) -> String {
    if crate::provider::MULTI_LINE.contains(&name) {
        let mut v = values.to_vec();
        v.sort();
        v.join("\n")
    } else {
        values.join(", ")
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn leaves(v: &serde_json::Value, ptr: String, out: &mut BTreeMap<String, serde_json::Value>) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let token = crate::normalize::escape_token(k);
                leaves(x, format!("{ptr}/{token}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{ptr}/{i}"), out);
            }
        }
        other => {
            out.insert(ptr, other.clone());
        }
    }
}

/// Up to 40 characters of literal text either side of each slot.
fn slot_notes(at: &str, t: &Template, out: &mut Vec<SlotNote>) {
    let mut line = 1;
    for (i, p) in t.parts.iter().enumerate() {
        match p {
            Part::Lit(s) => line += s.matches('\n').count(),
            Part::Slot(slot) => {
                if out.len() >= MAX_NOTES {
                    return;
                }
                let before = match i.checked_sub(1).map(|j| &t.parts[j]) {
                    Some(Part::Lit(s)) => clip_left(s.rsplit('\n').next().unwrap_or(""), 40),
                    _ => String::new(),
                };
                let after = match t.parts.get(i + 1) {
                    Some(Part::Lit(s)) => clip_right(s.split('\n').next().unwrap_or(""), 40),
                    _ => String::new(),
                };
                let at = if at == "body" {
                    format!("body line {line}")
                } else {
                    at.to_string()
                };
                out.push(SlotNote {
                    at,
                    slot: slot.spec(),
                    context: format!("{before}{OPEN}{}{CLOSE}{after}", slot.spec()),
                    absorbed: 0,
                });
            }
        }
    }
}

/// Learn noise from two or more answers of the same provider to one case.
pub fn learn(samples: &[&Normalized]) -> Noise {
    let mut noise = Noise::default();
    if samples.len() < 2 {
        return noise;
    }
    learn_headers(samples, &mut noise);
    learn_json(samples, &mut noise);
    learn_text(samples, &mut noise);
    noise
}

/// Headers whose values varied: a template per header (absent noted).
fn learn_headers(samples: &[&Normalized], noise: &mut Noise) {
    let names: BTreeSet<&String> = samples.iter().flat_map(|s| s.headers.keys()).collect();
    for name in names {
        let values: Vec<Option<String>> = samples
            .iter()
            .map(|s| s.headers.get(name).map(|v| header_text(name, v)))
            .collect();
        let distinct: BTreeSet<&Option<String>> = values.iter().collect();
        if distinct.len() <= 1 {
            continue;
        }
        let present: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
        let mut set = BTreeSet::new();
        if present.len() < values.len() {
            set.insert(ABSENT.to_string());
        }
        if let Ok(t) = Template::learn(&present) {
            slot_notes(&format!("header {name}"), &t, &mut noise.slots);
            set.insert(t.render());
        }
        noise.headers.insert(name.clone(), set);
    }
    // A Content-Length that varies (HEAD of a volatile page) is noise too,
    // but only where it is compared: an answer with no body. Beside a body
    // it is framing, and whether three samples of a page happened to share
    // a length is no behaviour (a golden file listing it would churn).
    let bodiless = |s: &&Normalized| s.received == Some(0) && s.body == NormBody::Empty;
    let lengths: Vec<Option<String>> = samples.iter().map(|s| s.content_length.clone()).collect();
    if samples.iter().any(bodiless) && lengths.iter().collect::<BTreeSet<_>>().len() > 1 {
        let present: Vec<&str> = lengths.iter().flatten().map(String::as_str).collect();
        if let Ok(t) = Template::learn(&present) {
            noise
                .headers
                .insert("content-length".into(), [t.render()].into());
        }
    }
}

/// JSON leaves that varied: their types, and a template for strings.
fn learn_json(samples: &[&Normalized], noise: &mut Noise) {
    let jsons: Vec<BTreeMap<String, serde_json::Value>> = samples
        .iter()
        .filter_map(|s| match &s.body {
            NormBody::Json { value } => {
                let mut m = BTreeMap::new();
                leaves(value, String::new(), &mut m);
                Some(m)
            }
            _ => None,
        })
        .collect();
    if jsons.len() != samples.len() {
        return;
    }
    let ptrs: BTreeSet<&String> = jsons.iter().flat_map(|m| m.keys()).collect();
    for p in ptrs {
        let values: Vec<Option<&serde_json::Value>> = jsons.iter().map(|m| m.get(p)).collect();
        let first = values[0];
        if values.iter().all(|v| *v == first) {
            continue;
        }
        let mut shapes: BTreeSet<String> = values
            .iter()
            .flatten()
            .filter(|v| !v.is_string())
            .map(|v| json_type(v).to_string())
            .collect();
        let strings: Vec<&str> = values.iter().flatten().filter_map(|v| v.as_str()).collect();
        if !strings.is_empty() {
            if let Ok(t) = Template::learn(&strings) {
                slot_notes(&format!("json {p}"), &t, &mut noise.slots);
                shapes.insert(format!("string:{}", t.render()));
            }
        }
        noise.json.insert(p.clone(), shapes);
    }
}

/// A text body that varied: one template for the whole body, or why none.
fn learn_text(samples: &[&Normalized], noise: &mut Noise) {
    let texts: Vec<&str> = samples
        .iter()
        .filter_map(|s| match &s.body {
            NormBody::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    if texts.len() == samples.len() && texts.iter().any(|t| *t != texts[0]) {
        match Template::learn_limited(&texts, true) {
            Ok(t) if t.has_slots() => {
                slot_notes("body", &t, &mut noise.slots);
                noise.body = Some(t.render());
            }
            Ok(_) => {}
            Err(why) => noise.slots.push(SlotNote {
                at: "body".into(),
                slot: "none".into(),
                context: match why {
                    NoTemplate::TooLarge => format!("too large to align (over {MAX_TOKENS} tokens)"),
                    NoTemplate::TooDifferent => {
                        "too different to align: the baseline's answers differ in more than half their tokens".into()
                    }
                },
                absorbed: 0,
            }),
        }
    }
}

/// A rendered template with only its slots' classes (`⟦base64url⟧`): what
/// two recordings of one behaviour share (see `golden::same_behaviour`).
/// Text without slots, and slot notes' specs (`hex:20-48`), come back with
/// the range dropped too.
pub fn without_ranges(s: &str) -> String {
    if !s.contains(OPEN) {
        return match Slot::parse_spec(s) {
            Some(slot) => slot.class.name().to_string(),
            None => s.to_string(),
        };
    }
    let mut out = String::new();
    for p in Template::parse(s).parts {
        match p {
            Part::Lit(l) => out.push_str(&l.replace(OPEN, "⟦=⟧")),
            Part::Slot(slot) => {
                out.push(OPEN);
                out.push_str(slot.class.name());
                out.push(CLOSE);
            }
        }
    }
    out
}

/// The body template of a golden text body (one with slots), for a run
/// against golden files.
pub fn golden_body(text: &str) -> Option<String> {
    text.contains(OPEN)
        .then(|| Template::parse(text))
        .filter(Template::has_slots)
        .map(|t| t.render())
}

// ---------------------------------------------------------------------------
// Filtering
// ---------------------------------------------------------------------------

fn json_at<'a>(n: &'a Normalized, ptr: &str) -> Option<&'a serde_json::Value> {
    match &n.body {
        NormBody::Json { value } => value.pointer(ptr),
        _ => None,
    }
}

/// Seconds between an HTTP-date header and the answer's own `Date`.
fn date_offset(n: &Normalized, name: &str) -> Option<i64> {
    let v = parse_http_date(n.headers.get(name)?.first()?)?;
    let d = parse_http_date(n.aside.get("date")?.first()?)?;
    Some(v.as_second() - d.as_second())
}

/// Headers whose date is relative to the answer's `Date`.
const DATE_RELATIVE: &[&str] = &["expires"];

/// How a golden file stores a date that is relative to the answer's own
/// `Date`: an absolute `Expires` recorded one second earlier or later is
/// the same behaviour, so only that it is an HTTP date is kept.
pub const HTTP_DATE: &str = "⟦http-date⟧";

fn parse_http_date(v: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(v.trim())
        .ok()
}

/// The stored form of header `name`'s value in a golden file, when it is a
/// date relative to the answer's `Date` ([`HTTP_DATE`]); `None` otherwise.
pub fn stored_date(name: &str, value: &str) -> Option<String> {
    (DATE_RELATIVE.contains(&name) && parse_http_date(value).is_some())
        .then(|| HTTP_DATE.to_string())
}

/// Is header `name` of this (golden) answer stored as [`HTTP_DATE`]?
fn recorded_date(n: &Normalized, name: &str) -> bool {
    n.headers
        .get(name)
        .and_then(|v| v.first())
        .is_some_and(|v| v == HTTP_DATE)
}

/// Add `n` to the notes of the slots of `at` (in order).
fn count(noise: &mut Noise, at: &str, absorbed: &[usize]) {
    let mut k = 0;
    for note in noise.slots.iter_mut() {
        let same = if at == "body" {
            note.at.starts_with("body line ")
        } else {
            note.at == at
        };
        if same {
            if let Some(n) = absorbed.get(k) {
                note.absorbed += n;
            }
            k += 1;
        }
    }
}

/// Match a value against the templates of a set; `Ok(absorbed)` when one fits.
fn match_set<'a>(
    set: impl Iterator<Item = &'a str>,
    value: &str,
) -> Result<Vec<usize>, Option<Matched>> {
    let mut best: Option<Matched> = None;
    for t in set {
        let m = Template::parse(t).matches(value);
        if m.fits {
            return Ok(m.absorbed);
        }
        if best
            .as_ref()
            .is_none_or(|b| m.changes.len() < b.changes.len())
        {
            best = Some(m);
        }
    }
    Err(best)
}

/// Keep only the differences noise cannot explain; count the rest in
/// `noise.suppressed` and in the notes of the slots that absorbed them.
pub fn filter(
    noise: &mut Noise,
    differences: Vec<Difference>,
    baseline: &Normalized,
    candidate: &Normalized,
) -> Vec<Difference> {
    let mut kept = Vec::new();
    for mut d in differences {
        let field = d.field.clone().unwrap_or_default();
        let explained = match d.kind {
            Kind::Header
                if DATE_RELATIVE.contains(&field.as_str())
                    && recorded_date(baseline, &field)
                    && candidate
                        .headers
                        .get(&field)
                        .and_then(|v| v.first())
                        .and_then(|v| parse_http_date(v))
                        .is_some() =>
            {
                true
            }
            Kind::Header if DATE_RELATIVE.contains(&field.as_str()) => {
                match (
                    date_offset(baseline, &field),
                    date_offset(candidate, &field),
                ) {
                    (Some(b), Some(c)) if (b - c).abs() <= 2 => true,
                    _ => header_explained(noise, &mut d, &field, baseline, candidate),
                }
            }
            Kind::Header => header_explained(noise, &mut d, &field, baseline, candidate),
            Kind::Body if d.field.is_some() => {
                match (noise.json.get(&field).cloned(), json_at(candidate, &field)) {
                    (Some(shapes), Some(v)) => match v.as_str() {
                        Some(s) => {
                            let templates = shapes.iter().filter_map(|x| x.strip_prefix("string:"));
                            match match_set(templates, s) {
                                Ok(absorbed) => {
                                    count(noise, &format!("json {field}"), &absorbed);
                                    true
                                }
                                Err(m) => {
                                    d.message = format!(
                                        "{} (volatile on the baseline, but not in the shape it showed{})",
                                        d.message,
                                        m.map(|m| format!(": {}", m.describe()))
                                            .unwrap_or_default()
                                    );
                                    false
                                }
                            }
                        }
                        None => {
                            let t = json_type(v);
                            if shapes.contains(t) {
                                true
                            } else {
                                d.message = format!(
                                    "{} (volatile on the baseline, but {t} is not a type it showed)",
                                    d.message
                                );
                                false
                            }
                        }
                    },
                    _ => false,
                }
            }
            Kind::Body => match (&noise.body, &candidate.body) {
                (Some(t), NormBody::Text { text }) => {
                    let m = Template::parse(t).matches(text);
                    if m.fits {
                        count(noise, "body", &m.absorbed);
                        true
                    } else {
                        d.message = format!(
                            "text bodies differ outside the learned noise: {}",
                            m.describe()
                        );
                        false
                    }
                }
                _ => false,
            },
            _ => false,
        };
        if explained {
            noise.suppressed += 1;
        } else {
            kept.push(d);
        }
    }
    kept
}

fn header_explained(
    noise: &mut Noise,
    d: &mut Difference,
    field: &str,
    baseline: &Normalized,
    candidate: &Normalized,
) -> bool {
    let Some(set) = noise.headers.get(field).cloned() else {
        return false;
    };
    let value = if field == "content-length" {
        candidate.content_length.clone()
    } else {
        candidate.headers.get(field).map(|v| header_text(field, v))
    };
    match value {
        Some(v) => match match_set(set.iter().map(String::as_str).filter(|s| *s != ABSENT), &v) {
            Ok(absorbed) => {
                count(noise, &format!("header {field}"), &absorbed);
                true
            }
            Err(m) => {
                d.message = format!(
                    "{} (volatile on the baseline, but outside the template it showed{})",
                    d.message,
                    m.map(|m| format!(": {}", m.describe())).unwrap_or_default()
                );
                false
            }
        },
        // Missing where the baseline's answers also lacked it sometimes.
        None => set.contains(ABSENT) || !baseline.headers.contains_key(field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare;
    use crate::normalize::tests::exchange;
    use crate::normalize::{normalize, Rules};

    fn json(rid: &str, body: &str) -> Normalized {
        normalize(
            &exchange(
                &[("content-type", "application/json"), ("x-request-id", rid)],
                body.as_bytes(),
            ),
            &[],
            &Rules::default(),
        )
    }

    fn page(t: &str) -> Normalized {
        normalize(
            &exchange(&[("content-type", "text/html")], t.as_bytes()),
            &[],
            &Rules::default(),
        )
    }

    #[test]
    fn tokens_keep_ids_whole() {
        assert_eq!(
            tokens("<input value=\"aB-3_x\">  t=12.5"),
            vec![
                "<", "input", " ", "value", "=", "\"", "aB-3_x", "\"", ">", "  ", "t", "=", "12.5"
            ]
        );
        assert_eq!(tokens("").len(), 0);
        assert_eq!(tokens("a\n\nb").concat(), "a\n\nb");
    }

    #[test]
    fn classes_and_widening() {
        let s = Slot::learn(&[
            "4f9a0c1d2e3b4a5f6e7d8c9b0a1f2e3d",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        ]);
        assert_eq!(s.spec(), "hex:20-48");
        assert!(s.fits("ffffffffffffffffffffffffffffffffffff"));
        assert!(!s.fits("abcd"), "far too short");
        assert!(
            !s.fits("12345678901234567890123456789012"),
            "digits where letters were"
        );
        assert!(!s.fits("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
        let s = Slot::learn(&["aB-x_9QkLm2", "Zk_QQpR7t-vW3x", "pQ9rS"]);
        assert_eq!(s.class, Class::Base64Url);
        assert!(s.fits("no-dash_here-at-all"));
        assert!(s.fits("AAAAbbbbCCCC"));
        assert!(!s.fits("has space"));
        assert!(!s.fits("dot.dot"));
        assert_eq!(Slot::learn(&["999", "1001"]).spec(), "digits:2-6");
        assert_eq!(
            Slot::learn(&["1700000000.5", "1700000000.25"]).class,
            Class::Number
        );
        let u = Slot::learn(&[
            "550e8400-e29b-41d4-a716-446655440000",
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        ]);
        assert_eq!(u.spec(), "uuid:36");
        let t = Slot::learn(&["3 minutes", "12 hours"]);
        assert_eq!(t.spec(), "text:5-16: ");
        assert!(t.fits("9 days"));
        assert!(!t.fits("9, days"));
        // Specs read back.
        for s in [s, u, t] {
            assert_eq!(Slot::parse_spec(&s.spec()), Some(s));
        }
    }

    #[test]
    fn a_change_beside_a_token_on_one_line_is_reported() {
        let a = page("<form><input name=\"csrf\" value=\"aB3dEf9hIj\"><button>Add to cart</button></form>\n<p>Hi</p>\n");
        let b = page("<form><input name=\"csrf\" value=\"Zz-9_kLmNopQ\"><button>Add to cart</button></form>\n<p>Hi</p>\n");
        let mut noise = learn(&[&a, &b]);
        let body = noise.body.clone().unwrap();
        assert_eq!(
            body,
            "<form><input name=\"csrf\" value=\"⟦base64url:6-20⟧\"><button>Add to cart</button></form>\n<p>Hi</p>\n"
        );
        assert_eq!(noise.slots[0].at, "body line 1");
        // Noise only: parity.
        let c = page("<form><input name=\"csrf\" value=\"q_w-e9r8t7y6\"><button>Add to cart</button></form>\n<p>Hi</p>\n");
        assert!(filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).is_empty());
        assert_eq!(noise.slots[0].absorbed, 1);
        // A real change on the same line: reported, in context.
        let c = page("<form><input name=\"csrf\" value=\"q_w-e9r8t7y6\"><button>Add to basket</button></form>\n<p>Hi</p>\n");
        let kept = filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c);
        assert_eq!(kept.len(), 1);
        assert!(
            kept[0]
                .message
                .contains("line 1: `…<button>Add to [-cart-]{+basket+}</button></form>`")
                || kept[0].message.contains("[-cart-]{+basket+}"),
            "{}",
            kept[0].message
        );
        // Whitespace inside the token: not its class.
        let c = page("<form><input name=\"csrf\" value=\"q_w e9r8t7y6\"><button>Add to cart</button></form>\n<p>Hi</p>\n");
        assert_eq!(
            filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).len(),
            1
        );
    }

    #[test]
    fn volatile_fields_are_learned_and_absorbed() {
        let a = json(
            "r-1a",
            r#"{"id":1,"request_id":"ab12ef","ts":1700000000001}"#,
        );
        let b = json(
            "r-2b",
            r#"{"id":1,"request_id":"cd34aa","ts":1700000000002}"#,
        );
        let mut noise = learn(&[&a, &b]);
        assert_eq!(
            noise.headers.keys().collect::<Vec<_>>(),
            vec!["x-request-id"]
        );
        assert_eq!(
            noise.json.keys().collect::<Vec<_>>(),
            vec!["/request_id", "/ts"]
        );
        let c = json(
            "r-3c",
            r#"{"id":1,"request_id":"ef56bb","ts":1700000000003}"#,
        );
        let d = compare(&a, &c, "fastly", "cloudflare");
        assert_eq!(d.len(), 3);
        assert!(filter(&mut noise, d, &a, &c).is_empty());
        assert_eq!(noise.suppressed, 3);
        let c = json(
            "r-3c",
            r#"{"id":2,"request_id":"ef56bb","ts":1700000000003}"#,
        );
        let kept = filter(&mut noise, compare(&a, &c, "fastly", "cloudflare"), &a, &c);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].field.as_deref(), Some("/id"));
    }

    #[test]
    fn shape_changes_on_volatile_fields_still_count() {
        let a = json("r-1", r#"{"request_id":"ab12","ts":1}"#);
        let b = json("r-2", r#"{"request_id":"cd34","ts":2}"#);
        let mut noise = learn(&[&a, &b]);
        let c = normalize(
            &exchange(&[("content-type", "application/json")], br#"{"ts":"3"}"#),
            &[],
            &Rules::default(),
        );
        let kept = filter(&mut noise, compare(&a, &c, "fastly", "cloudflare"), &a, &c);
        let fields: Vec<_> = kept.iter().map(|d| d.field.clone().unwrap()).collect();
        assert_eq!(fields, vec!["x-request-id", "/request_id", "/ts"]);
        assert!(
            kept[2].message.contains("not a type it showed") || kept[2].message.contains("shape"),
            "{}",
            kept[2].message
        );
        let c = json("completely different!", r#"{"request_id":"ef56","ts":3}"#);
        let kept = filter(&mut noise, compare(&a, &c, "fastly", "cloudflare"), &a, &c);
        assert_eq!(kept.len(), 1);
        assert!(
            kept[0].message.contains("outside the template"),
            "{}",
            kept[0].message
        );
    }

    #[test]
    fn random_cookies_of_varying_length_match_each_other() {
        let h = |v: &str| {
            normalize(
                &exchange(&[("content-type", "text/plain"), ("set-cookie", v)], b"x"),
                &[],
                &Rules::default(),
            )
        };
        let a = h("sid=Qm9vLWJh_cjEy; Path=/; HttpOnly");
        let b = h("sid=x-Y_z0123456789abcdEF; Path=/; HttpOnly");
        let c2 = h("sid=abcdefghJK; Path=/; HttpOnly");
        let mut noise = learn(&[&a, &b, &c2]);
        for v in [
            "sid=-_-_abcdEFGH1234; Path=/; HttpOnly",
            "sid=ZZZZZZZZZZZZZZZZ; Path=/; HttpOnly",
        ] {
            let c = h(v);
            assert!(
                filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).is_empty(),
                "{v}"
            );
        }
        // An attribute changed beside the volatile value: reported.
        let c = h("sid=abcdefghJKLM; Path=/; Secure");
        let kept = filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c);
        assert_eq!(kept.len(), 1);
        assert!(
            kept[0].message.contains("{+Secure+}"),
            "{}",
            kept[0].message
        );
    }

    #[test]
    fn expires_is_compared_relative_to_date() {
        let h = |date: &str, exp: &str| {
            normalize(
                &exchange(&[("date", date), ("expires", exp)], b""),
                &[],
                &Rules::default(),
            )
        };
        let a = h(
            "Mon, 23 Nov 2026 10:00:59 GMT",
            "Mon, 23 Nov 2026 10:01:59 GMT",
        );
        let c = h(
            "Mon, 23 Nov 2026 10:01:00 GMT",
            "Mon, 23 Nov 2026 10:02:00 GMT",
        );
        let mut noise = Noise::default();
        assert!(filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).is_empty());
        let c = h(
            "Mon, 23 Nov 2026 10:01:00 GMT",
            "Mon, 23 Nov 2026 11:01:00 GMT",
        );
        assert_eq!(
            filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).len(),
            1
        );
    }

    #[test]
    fn templates_render_and_parse_back() {
        let t = Template::learn(&["a ⟦ b 12 c", "a ⟦ b 345 c"]).unwrap();
        let r = t.render();
        assert_eq!(r, "a ⟦=⟧ b ⟦digits:1-5⟧ c");
        assert_eq!(Template::parse(&r), t);
        assert!(t.matches("a ⟦ b 7 c").fits);
        assert!(!t.matches("a ⟦ b x c").fits);
        assert_eq!(golden_body(&r), Some(r.clone()));
        assert_eq!(golden_body("plain"), None);
    }

    #[test]
    fn too_different_samples_learn_no_template() {
        let a = page("one two three four\n");
        let b = page("five six seven eight\n");
        let noise = learn(&[&a, &b]);
        assert!(noise.body.is_none());
        assert!(noise.slots[0].context.starts_with("too different"));
    }
    #[test]
    fn a_varying_content_length_is_noise_only_where_no_body_was_sent() {
        let sized = |body: &str, len: &str| {
            normalize(
                &exchange(
                    &[("content-type", "text/html"), ("content-length", len)],
                    body.as_bytes(),
                ),
                &[],
                &Rules::default(),
            )
        };
        // Beside a body it is framing: never listed, whatever the samples.
        let (a, b) = (sized("seen by 99\n", "11"), sized("seen by 100\n", "12"));
        assert!(!learn(&[&a, &b]).headers.contains_key("content-length"));
        // With no body (a HEAD of a volatile page) it is all there is.
        let (a, b) = (sized("", "11"), sized("", "12"));
        assert!(learn(&[&a, &b]).headers.contains_key("content-length"));
    }
}
