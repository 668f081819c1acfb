//! Baseline against candidate: the list of differences.
//!
//! A pure function of two normalised responses. A difference is an outcome,
//! not an error: it is data for the report, the gate and the test runner.
//! Rules worth knowing:
//! - header names are compared lower-case; list-valued headers (Vary,
//!   Cache-Control, …) as sets of members; Set-Cookie as a multiset of lines;
//! - Content-Encoding is a header difference, never a body one: bodies are
//!   compared decoded;
//! - Content-Length is framing, never a difference when the decoded bodies
//!   agree under the case's rules and learned noise (a volatile or ignored
//!   JSON field one byte longer changes it). It is compared only where no
//!   body was sent on either side (HEAD: it is then the only witness of the
//!   body), and a Content-Length that disagrees with the bytes actually
//!   received (a truncated or padded answer) is reported on its own;
//! - JSON bodies are compared field by field with JSON Pointers, text as a
//!   unified diff, binary by length, digest and first differing offset.

use std::collections::BTreeSet;

use crate::model::{DiffLine, DiffPart, Difference, Hunk, Kind, LineTag};
use crate::normalize::{NormBody, Normalized};
use crate::provider;

/// Most JSON differences listed per body; the rest are counted.
pub const MAX_JSON_DIFFS: usize = 50;

pub fn compare(
    baseline: &Normalized,
    candidate: &Normalized,
    baseline_name: &str,
    provider: &str,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let diff = |kind, field: Option<String>, b: Option<String>, c: Option<String>, message| {
        Difference::new(provider, kind, field, b, c, message)
    };
    if baseline.status != candidate.status {
        out.push(diff(
            Kind::Status,
            None,
            Some(baseline.status.to_string()),
            Some(candidate.status.to_string()),
            format!(
                "status {} on {baseline_name}, {} on {provider}",
                baseline.status, candidate.status
            ),
        ));
    }

    let names: BTreeSet<&String> = baseline
        .headers
        .keys()
        .chain(candidate.headers.keys())
        .collect();
    for name in names {
        // A header the other side ignores by rule is not compared.
        if baseline.ignored.contains(name) || candidate.ignored.contains(name) {
            continue;
        }
        let b = baseline.headers.get(name);
        let c = candidate.headers.get(name);
        if header_equal(name, b, c) {
            continue;
        }
        let (bv, cv) = (b.map(|v| join(name, v)), c.map(|v| join(name, v)));
        let message = match (&bv, &cv) {
            (Some(_), None) => format!("{name} is missing on {provider}"),
            (None, Some(_)) => format!("{name} is added on {provider}"),
            _ => etag_weakened(name, b, c)
                .map(|_| format!("{provider} weakened the ETag (W/ prefix, same opaque value)"))
                .unwrap_or_else(|| format!("{name} differs")),
        };
        out.push(diff(Kind::Header, Some(name.clone()), bv, cv, message));
    }

    out.extend(compare_bodies(baseline, candidate, provider));

    // Content-Length: compared only where no body was sent on either side.
    let no_body = |n: &Normalized| n.received == Some(0) && n.body == NormBody::Empty;
    if no_body(baseline) && no_body(candidate) && baseline.encodings == candidate.encodings {
        if let (Some(b), Some(c)) = (&baseline.content_length, &candidate.content_length) {
            if b.trim() != c.trim() {
                out.push(diff(
                    Kind::Header,
                    Some("content-length".into()),
                    Some(b.clone()),
                    Some(c.clone()),
                    "content-length differs (no body was sent: it is the only witness of the body)"
                        .into(),
                ));
            }
        }
    }
    // A Content-Length that disagrees with the bytes received.
    if let Some(msg) = framing_error(candidate) {
        if framing_error(baseline).is_none() {
            out.push(diff(
                Kind::Header,
                Some("content-length".into()),
                baseline.content_length.clone(),
                candidate.content_length.clone(),
                format!("{provider}: {msg}"),
            ));
        }
    }
    out
}

/// `Some(why)` when an answer's Content-Length is not the number of body
/// bytes received (a HEAD or 304 answer, with no body, is not checked).
fn framing_error(n: &Normalized) -> Option<String> {
    let declared: u64 = n.content_length.as_deref()?.trim().parse().ok()?;
    let received = n.received?;
    if received == 0 || received == declared {
        return None;
    }
    Some(if received < declared {
        format!(
            "content-length says {declared} bytes but only {received} were received (truncated)"
        )
    } else {
        format!("content-length says {declared} bytes but {received} were received (padded)")
    })
}

/// Compare two values of one header by the rules HTTP gives it.
fn header_equal(name: &str, b: Option<&Vec<String>>, c: Option<&Vec<String>>) -> bool {
    match (b, c) {
        (None, None) => true,
        (Some(_), None) | (None, Some(_)) => false,
        (Some(b), Some(c)) => {
            if provider::SET_VALUED.contains(&name) {
                members(b) == members(c)
            } else if provider::MULTI_LINE.contains(&name) {
                let mut b = b.clone();
                let mut c = c.clone();
                b.sort();
                c.sort();
                b == c
            } else {
                join(name, b) == join(name, c)
            }
        }
    }
}

fn members(values: &[String]) -> BTreeSet<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty())
        .collect()
}

fn join(name: &str, values: &[String]) -> String {
    if provider::MULTI_LINE.contains(&name) {
        values.join("\n")
    } else {
        values.join(", ")
    }
}

/// `Some(())` when one side is `W/"x"` and the other `"x"`.
fn etag_weakened(name: &str, b: Option<&Vec<String>>, c: Option<&Vec<String>>) -> Option<()> {
    if name != "etag" {
        return None;
    }
    let b = b?.first()?.trim();
    let c = c?.first()?.trim();
    let strip = |s: &str| s.strip_prefix("W/").unwrap_or(s).to_string();
    (b != c && strip(b) == strip(c)).then_some(())
}

fn compare_bodies(b: &Normalized, c: &Normalized, provider: &str) -> Vec<Difference> {
    let mk = |field: Option<String>, bv: Option<String>, cv: Option<String>, message: String| {
        Difference::new(provider, Kind::Body, field, bv, cv, message)
    };
    match (&b.body, &c.body) {
        (NormBody::Empty, NormBody::Empty) => vec![],
        (NormBody::Json { value: bv }, NormBody::Json { value: cv }) => {
            let mut out = Vec::new();
            json_diff("", bv, cv, &mut out);
            let total = out.len();
            let mut diffs: Vec<Difference> = out
                .into_iter()
                .take(MAX_JSON_DIFFS)
                .map(|(ptr, bv, cv, msg)| mk(Some(ptr), bv, cv, msg))
                .collect();
            if total > MAX_JSON_DIFFS {
                diffs.push(mk(
                    None,
                    None,
                    None,
                    format!(
                        "{} more JSON differences not listed",
                        total - MAX_JSON_DIFFS
                    ),
                ));
            }
            diffs
        }
        (bb, cb) => match (as_text(bb), as_text(cb)) {
            (Some(bt), Some(ct)) if bt == ct => vec![],
            (Some(bt), Some(ct)) => {
                let (hunks, note) = text_hunks(&bt, &ct);
                let mut d = mk(
                    None,
                    Some(summary(bb)),
                    Some(summary(cb)),
                    "text bodies differ".into(),
                );
                let mut udiff = crate::model::diff::unified(&hunks, "baseline", provider);
                if let Some(note) = note {
                    udiff.push_str(&note);
                    udiff.push('\n');
                }
                d.diff = Some(udiff);
                d.hunks = hunks;
                vec![d]
            }
            _ => opaque_bodies(bb, cb, provider)
                .map(|message| mk(None, Some(summary(bb)), Some(summary(cb)), message))
                .into_iter()
                .collect(),
        },
    }
}

/// Bodies that are not text: equal by digest (or the same undecodable
/// bytes), or the sentence that says how they differ.
fn opaque_bodies(bb: &NormBody, cb: &NormBody, provider: &str) -> Option<String> {
    let (bd, cd) = (digest(bb), digest(cb));
    if bd.is_some() && bd == cd {
        return None;
    }
    // The same undecodable bytes on both sides are the same answer.
    if let (
        NormBody::Undecodable {
            raw_len: bl,
            raw_sha256: bs,
            ..
        },
        NormBody::Undecodable {
            raw_len: cl,
            raw_sha256: cs,
            ..
        },
    ) = (bb, cb)
    {
        if bl == cl && bs == cs {
            return None;
        }
    }
    Some(match (bb, cb) {
        (NormBody::Undecodable { reason, .. }, _) => {
            format!("baseline body could not be decoded: {reason}")
        }
        (_, NormBody::Undecodable { reason, .. }) => {
            format!("{provider} body could not be decoded: {reason}")
        }
        _ => match first_difference(bb, cb) {
            Some(off) => format!("binary bodies differ from byte offset {off}"),
            None => over_cap(bb, cb),
        },
    })
}

fn as_text(b: &NormBody) -> Option<String> {
    match b {
        NormBody::Text { text } => Some(text.clone()),
        NormBody::Empty => Some(String::new()),
        NormBody::Json { value } => serde_json::to_string_pretty(value).ok(),
        _ => None,
    }
}

fn bytes_of(b: &NormBody) -> Option<Vec<u8>> {
    match b {
        NormBody::Binary { bytes, .. } => Some(bytes.clone()),
        NormBody::Text { text } => Some(text.as_bytes().to_vec()),
        NormBody::Empty => Some(Vec::new()),
        _ => None,
    }
}

fn digest(b: &NormBody) -> Option<(u64, String)> {
    use sha2::{Digest, Sha256};
    match b {
        NormBody::Binary { len, sha256, .. } | NormBody::Digest { len, sha256, .. } => {
            Some((*len, sha256.clone()))
        }
        NormBody::Text { text } => Some((
            text.len() as u64,
            hex::encode(Sha256::digest(text.as_bytes())),
        )),
        NormBody::Empty => Some((0, hex::encode(Sha256::digest(b"")))),
        _ => None,
    }
}

fn summary(b: &NormBody) -> String {
    match b {
        NormBody::Empty => "empty".into(),
        NormBody::Undecodable {
            raw_len,
            raw_sha256,
            ..
        } => format!("undecodable, {raw_len} bytes, sha256:{}", short(raw_sha256)),
        other => match digest(other) {
            Some((len, sha)) => format!("{len} bytes, sha256:{}", short(&sha)),
            None => "unknown".into(),
        },
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(16)]
}

/// Two bodies, one or both over the size cap, whose digests differ: where
/// they first differ when their kept prefixes show it, else how far they
/// are known to agree.
fn over_cap(b: &NormBody, c: &NormBody) -> String {
    let head = "bodies differ (over the size cap: compared by length and sha256)";
    let prefix = |n: &NormBody| match n {
        NormBody::Digest { prefix, .. } if !prefix.is_empty() => Some(prefix.clone()),
        NormBody::Digest { .. } => None,
        other => bytes_of(other),
    };
    let (Some(bp), Some(cp)) = (prefix(b), prefix(c)) else {
        return head.to_string();
    };
    let both = bp.len().min(cp.len());
    match bp.iter().zip(&cp).position(|(x, y)| x != y) {
        Some(off) => format!("{head}; they first differ at byte offset {off}"),
        None => format!("{head}; the first {both} bytes are the same"),
    }
}

fn first_difference(b: &NormBody, c: &NormBody) -> Option<usize> {
    let (b, c) = (bytes_of(b)?, bytes_of(c)?);
    b.iter()
        .zip(c.iter())
        .position(|(x, y)| x != y)
        .or_else(|| (b.len() != c.len()).then(|| b.len().min(c.len())))
}

type JsonDiff = (String, Option<String>, Option<String>, String);

fn type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn json_diff(ptr: &str, b: &serde_json::Value, c: &serde_json::Value, out: &mut Vec<JsonDiff>) {
    use serde_json::Value;
    let show = |v: &Value| v.to_string();
    match (b, c) {
        (Value::Object(bm), Value::Object(cm)) => {
            for (k, bv) in bm {
                let p = format!("{ptr}/{}", crate::normalize::escape_token(k));
                match cm.get(k) {
                    Some(cv) => json_diff(&p, bv, cv, out),
                    None => out.push((p, Some(show(bv)), None, "missing on candidate".into())),
                }
            }
            for (k, cv) in cm {
                if !bm.contains_key(k) {
                    let p = format!("{ptr}/{}", crate::normalize::escape_token(k));
                    out.push((p, None, Some(show(cv)), "added on candidate".into()));
                }
            }
        }
        (Value::Array(ba), Value::Array(ca)) => {
            for i in 0..ba.len().max(ca.len()) {
                let p = format!("{ptr}/{i}");
                match (ba.get(i), ca.get(i)) {
                    (Some(bv), Some(cv)) => json_diff(&p, bv, cv, out),
                    (Some(bv), None) => {
                        out.push((p, Some(show(bv)), None, "missing on candidate".into()))
                    }
                    (None, Some(cv)) => {
                        out.push((p, None, Some(show(cv)), "added on candidate".into()))
                    }
                    (None, None) => {}
                }
            }
        }
        _ if b == c => {}
        _ => {
            let (bt, ct) = (type_name(b), type_name(c));
            let msg = if bt != ct {
                format!("type changed: {bt} → {ct}")
            } else {
                "value changed".into()
            };
            let p = if ptr.is_empty() {
                "/".to_string()
            } else {
                ptr.to_string()
            };
            out.push((p, Some(show(b)), Some(show(c)), msg));
        }
    }
}

/// Most diff lines kept per body difference; the rest are counted.
pub const MAX_DIFF_LINES: usize = 200;
/// How long one text diff may take before the library settles for a
/// coarser (still correct) alignment.
pub const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The hunks of a line diff, from the diff library's operations, with the
/// changed words of each changed line marked (`emph`). At most
/// [`MAX_DIFF_LINES`] lines are kept; the note says how many more there were.
pub fn text_hunks(old: &str, new: &str) -> (Vec<Hunk>, Option<String>) {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .timeout(DIFF_DEADLINE)
        .diff_lines(old, new);
    let mut hunks = Vec::new();
    let mut budget = LineBudget {
        kept: 0,
        dropped: 0,
    };
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let mut hunk = Hunk {
            old_start: first.old_range().start + 1,
            old_len: last.old_range().end - first.old_range().start,
            new_start: first.new_range().start + 1,
            new_len: last.new_range().end - first.new_range().start,
            lines: Vec::new(),
        };
        for op in &group {
            op_lines(&diff, op, &mut budget, &mut hunk.lines);
        }
        if !hunk.lines.is_empty() {
            hunks.push(hunk);
        }
    }
    let note = (budget.dropped > 0).then(|| format!("… {} more diff lines", budget.dropped));
    (hunks, note)
}

/// Diff lines kept so far, and those past [`MAX_DIFF_LINES`] only counted.
struct LineBudget {
    kept: usize,
    dropped: usize,
}

impl LineBudget {
    /// Room for one more line? Counts it either way.
    fn take(&mut self) -> bool {
        if self.kept >= MAX_DIFF_LINES {
            self.dropped += 1;
            false
        } else {
            self.kept += 1;
            true
        }
    }
}

/// The lines of one diff operation: with word-level changes when the block
/// is small enough, whole lines otherwise, nothing computed past the budget.
fn op_lines<'a>(
    diff: &'a similar::TextDiff<'a, 'a, str>,
    op: &similar::DiffOp,
    budget: &mut LineBudget,
    out: &mut Vec<DiffLine>,
) {
    use similar::ChangeTag;
    let size = op.old_range().len() + op.new_range().len();
    if budget.kept >= MAX_DIFF_LINES {
        // Past the budget: count the lines, compute nothing more.
        budget.dropped += match op.tag() {
            similar::DiffTag::Equal => op.old_range().len(),
            _ => size,
        };
        return;
    }
    let tag_of = |t: ChangeTag| match t {
        ChangeTag::Equal => LineTag::Equal,
        ChangeTag::Delete => LineTag::Delete,
        ChangeTag::Insert => LineTag::Insert,
    };
    let line = |tag: LineTag, old: Option<usize>, new: Option<usize>, parts| DiffLine {
        tag,
        old: old.map(|i| i + 1),
        new: new.map(|i| i + 1),
        parts,
    };
    let trim = |s: &str| s.trim_end_matches(['\n', '\r']).to_string();
    if size <= 2 * MAX_DIFF_LINES {
        // Word-level changes inside changed lines.
        for change in diff.iter_inline_changes(op) {
            if !budget.take() {
                continue;
            }
            let tag = tag_of(change.tag());
            let parts = change
                .iter_strings_lossy()
                .map(|(emph, s)| DiffPart {
                    text: trim(&s),
                    emph: emph && tag != LineTag::Equal,
                })
                .filter(|p| !p.text.is_empty())
                .collect();
            out.push(line(tag, change.old_index(), change.new_index(), parts));
        }
    } else {
        // A block too large for word-level work: whole lines only.
        for change in diff.iter_changes(op) {
            if !budget.take() {
                continue;
            }
            let parts = vec![DiffPart {
                text: trim(&change.to_string_lossy()),
                emph: false,
            }];
            let tag = tag_of(change.tag());
            out.push(line(tag, change.old_index(), change.new_index(), parts));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tests::exchange;
    use crate::normalize::{normalize, Rules};
    use crate::provider::{CLOUDFLARE, FASTLY};
    use std::io::Write;

    fn norm(headers: &[(&str, &str)], body: &[u8]) -> Normalized {
        normalize(
            &exchange(headers, body),
            &[FASTLY, CLOUDFLARE],
            &Rules::default(),
        )
    }

    fn run(b: &Normalized, c: &Normalized) -> Vec<Difference> {
        compare(b, c, "fastly", "cloudflare")
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn bodies_over_the_cap_say_where_their_kept_prefixes_differ() {
        // A 64-byte cap: each body keeps its first 64 decoded bytes only.
        let big = |at: Option<usize>| {
            let mut bytes = vec![b'a'; 1000];
            if let Some(i) = at {
                bytes[i] = b'b';
            }
            let mut ex = exchange(&[("content-type", "application/octet-stream")], b"");
            ex.body = crate::exec::capture(&bytes, &[], 64);
            assert_eq!(ex.body.prefix.len(), 64);
            assert!(ex.body.decoded.is_none());
            normalize(&ex, &[FASTLY, CLOUDFLARE], &Rules::default())
        };
        let base = big(None);
        assert!(run(&base, &big(None)).is_empty());
        let near = run(&base, &big(Some(40)));
        assert!(
            near[0]
                .message
                .ends_with("they first differ at byte offset 40"),
            "{}",
            near[0].message
        );
        let far = run(&base, &big(Some(500)));
        assert!(
            far[0].message.ends_with("the first 64 bytes are the same"),
            "{}",
            far[0].message
        );
    }

    #[test]
    fn identical_responses_have_no_difference() {
        let h = [
            ("content-type", "text/plain"),
            ("cache-control", "max-age=60"),
        ];
        assert_eq!(run(&norm(&h, b"hi"), &norm(&h, b"hi")), vec![]);
    }

    #[test]
    fn provider_identity_and_framing_are_not_differences() {
        let b = norm(
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("x-served-by", "cache-lhr1-LHR"),
                ("x-cache", "HIT"),
                ("via", "1.1 varnish"),
                ("date", "Mon, 23 Nov 2026 10:00:00 GMT"),
            ],
            b"hello",
        );
        let c = norm(
            &[
                ("content-type", "text/plain"),
                ("transfer-encoding", "chunked"),
                ("server", "cloudflare"),
                ("cf-ray", "0123456789abcdef-LHR"),
                ("cf-cache-status", "DYNAMIC"),
                ("connection", "keep-alive"),
                ("date", "Mon, 23 Nov 2026 10:00:01 GMT"),
            ],
            b"hello",
        );
        assert_eq!(run(&b, &c), vec![]);
    }

    #[test]
    fn multi_valued_headers_compare_as_sets() {
        let b = norm(
            &[
                ("vary", "Accept-Encoding, Accept-Language"),
                ("cache-control", "public, max-age=60"),
            ],
            b"",
        );
        let c = norm(
            &[
                ("Vary", "accept-language"),
                ("Vary", "Accept-Encoding"),
                ("cache-control", "max-age=60,public"),
            ],
            b"",
        );
        assert_eq!(run(&b, &c), vec![]);
        let b = norm(&[("set-cookie", "a=1"), ("set-cookie", "b=2")], b"");
        let c = norm(&[("set-cookie", "b=2"), ("set-cookie", "a=1")], b"");
        assert_eq!(run(&b, &c), vec![]);
        let c = norm(&[("set-cookie", "b=2")], b"");
        let d = run(&b, &c);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field.as_deref(), Some("set-cookie"));
    }

    #[test]
    fn planted_header_differences() {
        let b = norm(
            &[
                ("x-frame-options", "DENY"),
                ("etag", "\"v1\""),
                ("x-new", "1"),
            ],
            b"",
        );
        let c = norm(
            &[("etag", "W/\"v1\""), ("x-extra", "yes"), ("x-new", "2")],
            b"",
        );
        insta::assert_yaml_snapshot!(run(&b, &c), @r#"
        - provider: cloudflare
          kind: header
          severity: minor
          field: etag
          baseline: "\"v1\""
          candidate: "W/\"v1\""
          message: "cloudflare weakened the ETag (W/ prefix, same opaque value)"
        - provider: cloudflare
          kind: header
          severity: minor
          field: x-extra
          baseline: ~
          candidate: "yes"
          message: x-extra is added on cloudflare
        - provider: cloudflare
          kind: header
          severity: minor
          field: x-frame-options
          baseline: DENY
          candidate: ~
          message: x-frame-options is missing on cloudflare
        - provider: cloudflare
          kind: header
          severity: minor
          field: x-new
          baseline: "1"
          candidate: "2"
          message: x-new differs
        "#);
    }

    #[test]
    fn json_bodies_diff_field_by_field() {
        let ct = [("content-type", "application/json")];
        let b = norm(
            &ct,
            br#"{"id":42,"price":9.5,"tags":["a","b"],"gone":true,"n":{"x":1}}"#,
        );
        let c = norm(
            &ct,
            br#"{"id":"42","price":9.75,"tags":["a"],"n":{"x":1},"new":null}"#,
        );
        insta::assert_yaml_snapshot!(run(&b, &c), @r#"
        - provider: cloudflare
          kind: body
          severity: minor
          field: /id
          baseline: "42"
          candidate: "\"42\""
          message: "type changed: number → string"
        - provider: cloudflare
          kind: body
          severity: minor
          field: /price
          baseline: "9.5"
          candidate: "9.75"
          message: value changed
        - provider: cloudflare
          kind: body
          severity: minor
          field: /tags/1
          baseline: "\"b\""
          candidate: ~
          message: missing on candidate
        - provider: cloudflare
          kind: body
          severity: minor
          field: /gone
          baseline: "true"
          candidate: ~
          message: missing on candidate
        - provider: cloudflare
          kind: body
          severity: minor
          field: /new
          baseline: ~
          candidate: "null"
          message: added on candidate
        "#);
    }

    #[test]
    fn text_bodies_give_a_unified_diff() {
        let ct = [("content-type", "text/html")];
        let b = norm(&ct, b"<h1>Hello</h1>\n<p>one</p>\n<p>two</p>\n");
        let c = norm(&ct, b"<h1>Hello</h1>\n<p>one</p>\n<p>TWO</p>\n");
        let d = run(&b, &c);
        assert_eq!(d.len(), 1);
        insta::assert_snapshot!(d[0].diff.clone().unwrap(), @r"
        --- baseline
        +++ cloudflare
        @@ -1,3 +1,3 @@
         <h1>Hello</h1>
         <p>one</p>
        -<p>two</p>
        +<p>TWO</p>
        ");
    }

    #[test]
    fn binary_bodies_report_the_first_differing_offset() {
        let ct = [("content-type", "application/octet-stream")];
        let mut data: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let b = norm(&ct, &data);
        data[1000] ^= 0xff;
        let c = norm(&ct, &data);
        let d = run(&b, &c);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "binary bodies differ from byte offset 1000");
        assert!(d[0]
            .baseline
            .as_ref()
            .unwrap()
            .starts_with("4096 bytes, sha256:"));
    }

    #[test]
    fn encodings_differ_as_a_header_never_as_a_body() {
        let text = "same text on both sides\n".repeat(100);
        let b = norm(
            &[("content-type", "text/plain"), ("content-length", "2400")],
            text.as_bytes(),
        );
        let gz = gzip(text.as_bytes());
        let c = norm(
            &[
                ("content-type", "text/plain"),
                ("content-encoding", "gzip"),
                ("content-length", &gz.len().to_string()),
            ],
            &gz,
        );
        let d = run(&b, &c);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Header);
        assert_eq!(d[0].field.as_deref(), Some("content-encoding"));
        assert_eq!(d[0].message, "content-encoding is added on cloudflare");
    }

    #[test]
    fn content_length_is_framing() {
        // HEAD-like: no body on either side, lengths differ: the only witness.
        let b = norm(&[("content-length", "10")], b"");
        let c = norm(&[("content-length", "12")], b"");
        let d = run(&b, &c);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field.as_deref(), Some("content-length"));
        // Bodies differ: the body difference says it all.
        let b = norm(&[("content-length", "2")], b"ab");
        let c = norm(&[("content-length", "3")], b"abc");
        let d = run(&b, &c);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind, Kind::Body);
        // Bodies agree under the rules (an ignored field one byte longer):
        // Content-Length is not a difference.
        let ct = ("content-type", "application/json");
        let rules = Rules {
            ignore_json: vec!["/ts".into()],
            ..Rules::default()
        };
        let j = |len: &str, body: &[u8]| {
            normalize(
                &exchange(&[ct, ("content-length", len)], body),
                &[FASTLY, CLOUDFLARE],
                &rules,
            )
        };
        let b = j("16", br#"{"a":1,"ts":9.5}"#);
        let c = j("17", br#"{"a":1,"ts":9.25}"#);
        assert_eq!(run(&b, &c), vec![]);
        // A Content-Length that disagrees with the bytes received is reported.
        let b = norm(&[("content-length", "5")], b"hello");
        let mut c = norm(&[("content-length", "9")], b"hello");
        let d = run(&b, &c);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("truncated"), "{}", d[0].message);
        c.content_length = Some("3".into());
        assert!(run(&b, &c)[0].message.contains("padded"));
    }

    #[test]
    fn status_difference() {
        let mut c = norm(&[], b"");
        c.status = 503;
        let d = run(&norm(&[], b""), &c);
        assert_eq!(d[0].kind, Kind::Status);
        assert_eq!(d[0].message, "status 200 on fastly, 503 on cloudflare");
    }

    #[test]
    fn a_huge_text_diff_is_cut_to_its_budget_and_says_so() {
        let old: String = (0..5_000).map(|i| format!("old line {i}\n")).collect();
        let new: String = (0..5_000)
            .map(|i| format!("new line {}\n", i * 7))
            .collect();
        let (hunks, note) = text_hunks(&old, &new);
        let lines: usize = hunks.iter().map(|h| h.lines.len()).sum();
        assert_eq!(lines, MAX_DIFF_LINES);
        let note = note.expect("the rest is counted");
        assert!(note.ends_with("more diff lines"), "{note}");
    }
}
