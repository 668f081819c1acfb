//! JSON Schemas of the YAML inputs, for editors (completion, checks as you
//! type, through `# yaml-language-server: $schema=...`).
//!
//! Why derived, not written: `config::json_schema` and `suite::json_schema`
//! derive them (schemars) from the very types serde reads the files into,
//! doc comments becoming descriptions, so a key added to the parser is in
//! the schema at the next regeneration (`tests/schemas.rs` fails until the
//! committed files in `schema/` are regenerated). Words checked by the
//! loaders rather than by serde (kinds, severities, verdicts, cache
//! outcomes) come from the same lists the loaders check against.

use schemars::{json_schema, Schema, SchemaGenerator};

use crate::model::{Kind, Severity};
use crate::provider::CacheOutcome;

/// A string that is one of `words`.
pub fn one_of(words: &[&str], description: &str) -> Schema {
    json_schema!({
        "type": "string",
        "enum": words,
        "description": description,
    })
}

/// `kind:` of a severity override or an expected difference.
pub fn kind_word(_: &mut SchemaGenerator) -> Schema {
    one_of(Kind::WORDS, "What the difference is about.")
}

/// `severity:` of a severity override.
pub fn severity_word(_: &mut SchemaGenerator) -> Schema {
    one_of(Severity::WORDS, "How much the difference matters.")
}

/// `cache.expect`: one outcome per request of the sequence.
pub fn cache_outcomes(_: &mut SchemaGenerator) -> Schema {
    let words: Vec<&str> = CacheOutcome::ALL.iter().map(|o| o.as_str()).collect();
    json_schema!({
        "type": ["array", "null"],
        "items": {"type": "string", "enum": words},
        "description": "The outcome each request must have, on every provider (checked on each).",
    })
}

/// The schema as committed: a JSON value with its keys in schemars' order.
pub fn finish(schema: Schema) -> serde_json::Value {
    schema.to_value()
}
