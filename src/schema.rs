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
/// Top-level `x-` keys are accepted (a place for YAML anchors to reuse;
/// the loaders read past them), so the root allows them by pattern.
pub fn finish(schema: Schema) -> serde_json::Value {
    let mut value = schema.to_value();
    if let Some(root) = value.as_object_mut() {
        root.insert(
            "patternProperties".into(),
            serde_json::json!({"^x-": {"description": "An extension key, ignored: a place for YAML anchors (`x-common: &common ...`) to reuse with merge keys (`<<: *common`)."}}),
        );
    }
    value
}

/// `matrix:`: named axes, each setting one header, one cookie or one query
/// parameter to each of its values (a list, or a map of label to value),
/// and `zip` to pair the i-th values instead of taking the product.
pub fn matrix(_: &mut SchemaGenerator) -> Schema {
    let values = json_schema!({
        "oneOf": [
            {"type": "array", "items": {"type": ["string", "number", "boolean"]}},
            {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
        ]
    });
    let named = json_schema!({
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": values,
    });
    json_schema!({
        "type": ["object", "null"],
        "description": "Named axes of header, cookie or query values; each combination is a case `CASE[axis=label,...]` (at most 256). `zip: true` pairs the i-th values instead of taking the product.",
        "properties": {
            "zip": {"type": "boolean", "description": "Pair the i-th values of every axis instead of taking the product."}
        },
        "additionalProperties": {
            "description": "An axis: `{HEADER: values}`, `{cookie: {NAME: values}}` or `{query: {NAME: values}}`; values are a list (each its own label) or a map of label to value.",
            "oneOf": [named, {"type": "object", "properties": {"cookie": named, "query": named}, "minProperties": 1, "maxProperties": 1}]
        }
    })
}
