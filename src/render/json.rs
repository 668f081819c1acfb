//! `report.json`, written as it is serialised: the report's head as its
//! fields come, and its cases one at a time from a [`CaseSource`], so that
//! the text of 100,000 cases is never in memory. The bytes are exactly
//! those of `Report::to_json` for the same report (tested).

use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::report::{CaseSource, Order};
use crate::model::Report;

/// Write `head` (its `cases` ignored) with `cases` in plan order.
pub fn write(
    w: &mut dyn std::io::Write,
    head: &Report,
    cases: &dyn CaseSource,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &Streamed { head, cases })?;
    Ok(())
}

struct Streamed<'a> {
    head: &'a Report,
    cases: &'a dyn CaseSource,
}

impl Serialize for Streamed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The head's fields in their declared order (serde_json keeps the
        // order of a map it builds), with `cases` streamed in its place.
        let head = serde_json::to_value(self.head).map_err(S::Error::custom)?;
        let serde_json::Value::Object(fields) = head else {
            return Err(S::Error::custom("a report serialises as an object"));
        };
        let mut map = s.serialize_map(Some(fields.len()))?;
        for (k, v) in &fields {
            if k == "cases" {
                map.serialize_entry(k, &Cases(self.cases))?;
            } else {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

struct Cases<'a>(&'a dyn CaseSource);

impl Serialize for Cases<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.count()))?;
        let mut failed: Option<S::Error> = None;
        let visited = self.0.visit(Order::Plan, &mut |c| {
            seq.serialize_element(c).map_err(|e| {
                let io = std::io::Error::other(e.to_string());
                failed = Some(e);
                io
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        visited.map_err(S::Error::custom)?;
        seq.end()
    }
}
