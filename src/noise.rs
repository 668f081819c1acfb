//! A/A noise calibration, after Twitter's Diffy: ask the baseline several
//! times, learn which fields change by themselves, and count a candidate's
//! difference on such a field only when its *shape* differs from what the
//! baseline showed (missing, another JSON type, a value outside the pattern
//! the baseline's values share).
//!
//! Learned noise is never hidden: every volatile field is listed per case in
//! report.json under `noise`, with how many differences it absorbed.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Difference, Kind, Noise};
use crate::normalize::{NormBody, Normalized};

/// The shape of a value: every run of letters and digits becomes `w`, and
/// the punctuation between runs is kept. `req-1a2b` and `req-99` share the
/// shape `w-w`; a timestamp `2026-11-23T10:00:00Z` is `w-w-w:w:w`. Ids,
/// counters and times keep their shape while their values change; a value
/// with another structure does not.
pub fn shape(s: &str) -> String {
    let mut out = String::new();
    let mut in_word = false;
    for ch in s.chars() {
        if ch.is_alphanumeric() {
            if !in_word {
                out.push('w');
                in_word = true;
            }
        } else {
            in_word = false;
            out.push(ch);
        }
    }
    out
}

fn json_shape(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Number(_) => "number".into(),
        Value::String(s) => format!("string:{}", shape(s)),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
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

/// Learn noise from two or more answers of the same provider to one case.
pub fn learn(samples: &[&Normalized]) -> Noise {
    let mut noise = Noise::default();
    if samples.len() < 2 {
        return noise;
    }
    let names: BTreeSet<&String> = samples.iter().flat_map(|s| s.headers.keys()).collect();
    for name in names {
        let values: Vec<Option<String>> = samples
            .iter()
            .map(|s| s.headers.get(name).map(|v| v.join(", ")))
            .collect();
        let distinct: BTreeSet<&Option<String>> = values.iter().collect();
        if distinct.len() > 1 {
            noise.headers.insert(
                name.clone(),
                values.iter().flatten().map(|v| shape(v)).collect(),
            );
        }
    }
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
    if jsons.len() == samples.len() {
        let ptrs: BTreeSet<&String> = jsons.iter().flat_map(|m| m.keys()).collect();
        for p in ptrs {
            let values: Vec<Option<&serde_json::Value>> = jsons.iter().map(|m| m.get(p)).collect();
            let first = values[0];
            if values.iter().any(|v| *v != first) {
                noise.json.insert(
                    p.clone(),
                    values.iter().flatten().map(|v| json_shape(v)).collect(),
                );
            }
        }
    }
    let texts: Vec<&String> = samples
        .iter()
        .filter_map(|s| match &s.body {
            NormBody::Text { text } => Some(text),
            _ => None,
        })
        .collect();
    if texts.len() == samples.len() {
        let lines: Vec<Vec<&str>> = texts.iter().map(|t| t.lines().collect()).collect();
        if lines.iter().all(|l| l.len() == lines[0].len()) {
            for i in 0..lines[0].len() {
                if lines.iter().any(|l| l[i] != lines[0][i]) {
                    noise.lines.insert(i);
                }
            }
        }
    }
    noise
}

fn json_at<'a>(n: &'a Normalized, ptr: &str) -> Option<&'a serde_json::Value> {
    match &n.body {
        NormBody::Json { value } => value.pointer(ptr),
        _ => None,
    }
}

/// Keep only the differences noise cannot explain; count the rest in
/// `noise.suppressed`.
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
            Kind::Header => match (noise.headers.get(&field), candidate.headers.get(&field)) {
                (Some(shapes), Some(v)) => {
                    let s = shape(&v.join(", "));
                    if shapes.contains(&s) {
                        true
                    } else {
                        d.message = format!(
                            "{} (volatile on the baseline, but `{s}` is outside the pattern it showed)",
                            d.message
                        );
                        false
                    }
                }
                // Missing, or added where the baseline varied by presence.
                (Some(_), None) => !baseline.headers.contains_key(&field),
                _ => false,
            },
            Kind::Body if d.field.is_some() => {
                match (noise.json.get(&field), json_at(candidate, &field)) {
                    (Some(shapes), Some(v)) => {
                        let s = json_shape(v);
                        if shapes.contains(&s) {
                            true
                        } else {
                            d.message = format!(
                                "{} (volatile on the baseline, but {s} is not a shape it showed)",
                                d.message
                            );
                            false
                        }
                    }
                    _ => false,
                }
            }
            Kind::Body => match (&baseline.body, &candidate.body) {
                (NormBody::Text { text: b }, NormBody::Text { text: c })
                    if !noise.lines.is_empty() =>
                {
                    let (bl, cl): (Vec<&str>, Vec<&str>) =
                        (b.lines().collect(), c.lines().collect());
                    bl.len() == cl.len()
                        && (0..bl.len()).all(|i| bl[i] == cl[i] || noise.lines.contains(&i))
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

    #[test]
    fn shapes() {
        assert_eq!(shape("req-12345"), "w-w");
        assert_eq!(shape("req-9a8f"), "w-w");
        assert_eq!(shape("2026-11-23T10:00:00Z"), "w-w-w:w:w");
        assert_ne!(shape("req-1"), shape("completely different!"));
    }

    #[test]
    fn volatile_fields_are_learned_and_absorbed() {
        let a = json("r-1", r#"{"id":1,"request_id":"ab12","ts":1700000000001}"#);
        let b = json("r-2", r#"{"id":1,"request_id":"cd34","ts":1700000000002}"#);
        let mut noise = learn(&[&a, &b]);
        assert_eq!(
            noise.headers.keys().collect::<Vec<_>>(),
            vec!["x-request-id"]
        );
        assert_eq!(
            noise.json.keys().collect::<Vec<_>>(),
            vec!["/request_id", "/ts"]
        );
        // A candidate whose volatile values differ in value only: parity.
        let c = json("r-3", r#"{"id":1,"request_id":"ef56","ts":1700000000003}"#);
        let d = compare(&a, &c, "fastly", "cloudflare");
        assert_eq!(d.len(), 3);
        assert!(filter(&mut noise, d, &a, &c).is_empty());
        assert_eq!(noise.suppressed, 3);
        // A real change on a stable field still counts.
        let c = json("r-3", r#"{"id":2,"request_id":"ef56","ts":1700000000003}"#);
        let kept = filter(&mut noise, compare(&a, &c, "fastly", "cloudflare"), &a, &c);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].field.as_deref(), Some("/id"));
    }

    #[test]
    fn shape_changes_on_volatile_fields_still_count() {
        let a = json("r-1", r#"{"request_id":"ab12","ts":1}"#);
        let b = json("r-2", r#"{"request_id":"cd34","ts":2}"#);
        let mut noise = learn(&[&a, &b]);
        // Missing volatile field, another JSON type, a missing header.
        let c = normalize(
            &exchange(&[("content-type", "application/json")], br#"{"ts":"3"}"#),
            &[],
            &Rules::default(),
        );
        let kept = filter(&mut noise, compare(&a, &c, "fastly", "cloudflare"), &a, &c);
        let fields: Vec<_> = kept.iter().map(|d| d.field.clone().unwrap()).collect();
        assert_eq!(fields, vec!["x-request-id", "/request_id", "/ts"]);
        assert!(
            kept[2].message.contains("not a shape it showed"),
            "{}",
            kept[2].message
        );
        // A header value outside the baseline's pattern.
        let c = json("completely different!", r#"{"request_id":"ef56","ts":3}"#);
        let kept = filter(&mut noise, compare(&a, &c, "fastly", "cloudflare"), &a, &c);
        assert_eq!(kept.len(), 1);
        assert!(
            kept[0].message.contains("outside the pattern"),
            "{}",
            kept[0].message
        );
    }

    #[test]
    fn volatile_text_lines() {
        let page = |t: &str| {
            normalize(
                &exchange(&[("content-type", "text/html")], t.as_bytes()),
                &[],
                &Rules::default(),
            )
        };
        let (a, b) = (
            page("<h1>Hi</h1>\n<p>t=1</p>\n"),
            page("<h1>Hi</h1>\n<p>t=2</p>\n"),
        );
        let mut noise = learn(&[&a, &b]);
        assert_eq!(noise.lines, [1].into());
        let c = page("<h1>Hi</h1>\n<p>t=3</p>\n");
        assert!(filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).is_empty());
        let c = page("<h1>Bye</h1>\n<p>t=3</p>\n");
        assert_eq!(
            filter(&mut noise, compare(&a, &c, "f", "c"), &a, &c).len(),
            1
        );
    }
}
