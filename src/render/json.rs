//! `report.json`, written as it is serialised: the report's head as its
//! fields come, and its cases one at a time from a [`CaseSource`], so that
//! the text of 100,000 cases is never in memory. Compact JSON: a run's
//! spool already holds each case as a compact line, copied here as it is
//! (no case is read back). The bytes are exactly those of
//! `Report::to_json` for the same report (tested).

use std::io::Write;

use crate::model::report::CaseSource;
use crate::model::Report;

/// Write `head` (its `cases` ignored) with `cases` in plan order.
pub fn write(w: &mut dyn Write, head: &Report, cases: &dyn CaseSource) -> std::io::Result<()> {
    // The head's fields in their declared order (serde_json keeps the
    // order of a map it builds), with `cases` streamed in its place.
    let serde_json::Value::Object(fields) = serde_json::to_value(head)? else {
        return Err(std::io::Error::other("a report serialises as an object"));
    };
    w.write_all(b"{")?;
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, k)?;
        w.write_all(b":")?;
        if k == "cases" {
            w.write_all(b"[")?;
            let mut first = true;
            cases.visit_json(&mut |json| {
                if !std::mem::take(&mut first) {
                    w.write_all(b",")?;
                }
                w.write_all(json)
            })?;
            w.write_all(b"]")?;
        } else {
            serde_json::to_writer(&mut *w, v)?;
        }
    }
    w.write_all(b"}\n")
}
