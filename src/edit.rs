//! `edgeparity calibrate`'s in-place edit of a suite: learned noise rules
//! are written into one case as explicit `ignore_headers` / `ignore_json`
//! keys, for the user to review. Comments and layout are kept.
//!
//! Every edit point comes from the parser's spans (`yaml`): the case's
//! mapping, its `name` value, and the items of an existing list. Each item is
//! written as a JSON string literal, which is always a valid YAML
//! double-quoted scalar, so no value can change the document's structure.
//! A layout the editor cannot edit safely (a case in flow style) is refused
//! with the reason, never guessed at; the result is parsed again as a suite
//! before it is returned.

use std::path::Path;

use serde::Deserialize;

use crate::yaml::{self, byte_range, Spanned};

/// A list written in a suite, with where it and each item were written.
type SpannedList = Spanned<Vec<Spanned<String>>>;

/// The parts of a suite the editor needs, with their spans (other keys are
/// read past; the result is checked as a whole suite afterwards). Kept
/// apart from the suite loader's types, so loading pays for no span it does
/// not use.
#[derive(Debug, Deserialize)]
struct SuiteFile {
    cases: Vec<Spanned<CaseFile>>,
}

#[derive(Debug, Deserialize)]
struct CaseFile {
    name: Spanned<String>,
    #[serde(default)]
    ignore_headers: Option<SpannedList>,
    #[serde(default)]
    ignore_json: Option<SpannedList>,
}

/// One insertion into the text.
struct Insert {
    at: usize,
    text: String,
}

/// Add `headers` and `pointers` to the case named `case_name` in `text`.
pub fn add_ignores(
    text: &str,
    case_name: &str,
    headers: &[String],
    pointers: &[String],
) -> Result<String, String> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let file: SuiteFile = yaml::parse(Path::new("suite"), body)
        .map_err(|e| format!("cannot read the suite: {}", e.message))?;
    let case = file
        .cases
        .iter()
        .find(|c| c.value.name.value == case_name)
        .ok_or_else(|| format!("case `{case_name}` not found"))?;
    let (case_at, _) = byte_range(case).ok_or("the parser gave no position for the case")?;
    if body[case_at..].starts_with('{') {
        return Err(format!(
            "case `{case_name}` is written in flow style ({{...}}); add the keys by hand"
        ));
    }
    let indent = (case.referenced.column() as usize).saturating_sub(1);
    let mut inserts = Vec::new();
    for (key, items, list) in [
        ("ignore_headers", headers, &case.value.ignore_headers),
        ("ignore_json", pointers, &case.value.ignore_json),
    ] {
        if items.is_empty() {
            continue;
        }
        let insert = match list {
            None => new_key(body, &case.value, indent, key, items)?,
            Some(list) => extend_list(body, list, key, items)?,
        };
        inserts.extend(insert);
    }
    // Apply from the end, so earlier offsets stay valid; at one offset, the
    // later insert first, so the keys keep their order.
    let mut order: Vec<(usize, Insert)> = inserts.into_iter().enumerate().collect();
    order.sort_by_key(|(n, i)| std::cmp::Reverse((i.at, *n)));
    let mut out = body.to_string();
    for (_, i) in order {
        out.insert_str(i.at, &i.text);
    }
    let out = format!("{bom}{out}");
    // The result must still be a valid suite.
    crate::suite::Suite::parse(Path::new("suite"), &out, &|_| Some(String::new()))
        .map_err(|e| format!("the edit would break the suite: {e}"))?;
    Ok(out)
}

fn quoted(items: &[&String]) -> String {
    items
        .iter()
        .map(|i| serde_json::to_string(i).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The end of the line holding byte `at` (after its newline).
fn line_end(text: &str, at: usize) -> usize {
    text[at..]
        .find('\n')
        .map(|n| at + n + 1)
        .unwrap_or(text.len())
}

/// A key the case lacks: a new line under the line of its `name` value.
fn new_key(
    text: &str,
    case: &CaseFile,
    indent: usize,
    key: &str,
    items: &[String],
) -> Result<Option<Insert>, String> {
    let (name_at, name_len) =
        byte_range(&case.name).ok_or("the parser gave no position for the case name")?;
    let at = line_end(text, name_at + name_len);
    let items: Vec<&String> = items.iter().collect();
    let newline = if at == text.len() && !text.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    Ok(Some(Insert {
        at,
        text: format!(
            "{newline}{}{key}: [{}]  # learned by edgeparity calibrate: review\n",
            " ".repeat(indent),
            quoted(&items)
        ),
    }))
}

/// A list the case has: the new items after its last item.
fn extend_list(
    text: &str,
    list: &SpannedList,
    key: &str,
    items: &[String],
) -> Result<Option<Insert>, String> {
    let new: Vec<&String> = items
        .iter()
        .filter(|i| !list.value.iter().any(|p| &p.value == *i))
        .collect();
    if new.is_empty() {
        return Ok(None);
    }
    let (list_at, _) = byte_range(list).ok_or("the parser gave no position for the list")?;
    let flow = text[list_at..].starts_with('[');
    let Some(last) = list.value.last() else {
        if flow {
            return Ok(Some(Insert {
                at: list_at + 1,
                text: quoted(&new),
            }));
        }
        return Err(format!(
            "`{key}` is empty but not `[]`; add {} by hand",
            quoted(&new)
        ));
    };
    let (last_at, last_len) = byte_range(last).ok_or("the parser gave no position for an item")?;
    if flow {
        return Ok(Some(Insert {
            at: last_at + last_len,
            text: format!(", {}", quoted(&new)),
        }));
    }
    // A block list: one `- item` line per new item, at the last item's indent.
    let dash_indent = (last.referenced.column() as usize).saturating_sub(3);
    let at = line_end(text, last_at + last_len);
    let lines: String = new
        .iter()
        .map(|i| {
            format!(
                "{}- {}\n",
                " ".repeat(dash_indent),
                serde_json::to_string(i).unwrap_or_default()
            )
        })
        .collect();
    let newline = if at == text.len() && !text.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    Ok(Some(Insert {
        at,
        text: format!("{newline}{lines}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Suite;

    #[test]
    fn calibrate_writes_ignore_keys_in_place() {
        let text = "base_url: https://x.test\n# a comment\ncases:\n  - name: a\n    path: /\n  - name: b\n    path: /b\n    ignore_headers: [x-one, \"x]two\"]\n";
        let out = add_ignores(text, "a", &["x-request-id".into()], &["/ts".into()]).unwrap();
        assert!(out.contains("# a comment"));
        assert!(out.contains("  - name: a\n    ignore_headers: [\"x-request-id\"]  # learned by edgeparity calibrate: review\n    ignore_json: [\"/ts\"]  # learned by edgeparity calibrate: review\n    path: /\n"), "{out}");
        let out = add_ignores(&out, "b", &["x-two".into(), "x-one".into()], &[]).unwrap();
        assert!(
            out.contains("    ignore_headers: [x-one, \"x]two\", \"x-two\"]\n"),
            "{out}"
        );
        let s = Suite::parse(Path::new("s.yaml"), &out, &|_| None).unwrap();
        assert!(s.cases[0].ignore_headers.contains("x-request-id"));
        assert_eq!(s.cases[0].ignore_json, vec!["/ts"]);
        assert!(s.cases[1].ignore_headers.contains("x-two"));
        let flow = "base_url: https://x.test\ncases:\n  - {name: a, path: /}\n";
        assert!(add_ignores(flow, "a", &["x".into()], &[])
            .unwrap_err()
            .contains("flow style"));
    }

    #[test]
    fn block_lists_empty_lists_and_hostile_values() {
        let text = "base_url: https://x.test\ncases:\n  - name: a\n    path: /\n    ignore_json:\n      - /one\n    ignore_headers: []\n";
        let out = add_ignores(
            text,
            "a",
            &["x-y\"z: w".into()],
            &["/two".into(), "/one".into()],
        )
        .unwrap();
        assert!(
            out.contains("    ignore_json:\n      - /one\n      - \"/two\"\n"),
            "{out}"
        );
        assert!(
            out.contains("    ignore_headers: [\"x-y\\\"z: w\"]\n"),
            "{out}"
        );
        let s = Suite::parse(Path::new("s.yaml"), &out, &|_| None).unwrap();
        assert!(s.cases[0].ignore_headers.contains("x-y\"z: w"));
        assert_eq!(s.cases[0].ignore_json, vec!["/one", "/two"]);
        assert!(add_ignores(text, "zz", &["x".into()], &[])
            .unwrap_err()
            .contains("not found"));
    }
}
