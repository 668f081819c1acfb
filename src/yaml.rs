//! The YAML door: the only module that uses the YAML library. Config,
//! suites, golden files, allowlists and the calibrate editor all come
//! through here, so the library can be swapped in one file.
//!
//! The library is `serde-saphyr` (serde on the saphyr parser), chosen over
//! the archived `serde_yaml` because it
//! - gives positions for values (`Spanned<T>`), so error locations, the
//!   allowlist's entry lines and `calibrate`'s in-place edits come from the
//!   parser's spans instead of searching the text;
//! - reports unknown keys, duplicate keys and type errors as typed errors
//!   with a location (no parsing of error messages);
//! - has budgets against alias bombs, deep nesting and oversized input, and
//!   is panic-free on malformed input (fuzzed upstream).
//!
//! Every error leaves this module as `file:line:column: message`, with a
//! "did you mean" hint for unknown keys and variants.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use serde_saphyr::Spanned;

/// Largest YAML file read (config, suite, golden file, allowlist). Real
/// suites are far smaller; the cap keeps memory bounded by design.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest nesting accepted (suites need fewer than ten levels).
pub const MAX_DEPTH: usize = 64;
/// Most alias uses in one file, and most nodes an alias may replay.
pub const MAX_ALIASES: usize = 1_000;
pub const MAX_REPLAYED_EVENTS: usize = 100_000;
/// Most nodes and parser events in one document (a 100,000-case suite has
/// about 1.5 million events; a 16 MiB file cannot hold many more).
pub const MAX_NODES: usize = 16_000_000;

/// Where something was found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    /// The file, with no position.
    pub fn file(path: &Path) -> Location {
        Location {
            file: path.to_path_buf(),
            line: None,
            column: None,
        }
    }

    /// Where a spanned value was written in `path`.
    pub fn of<T>(path: &Path, s: &Spanned<T>) -> Location {
        Location::at(path, &s.referenced)
    }

    fn at(path: &Path, l: &serde_saphyr::Location) -> Location {
        if l.line() == 0 {
            return Location::file(path);
        }
        Location {
            file: path.to_path_buf(),
            line: Some(l.line() as usize),
            column: Some(l.column() as usize),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// A YAML file that could not be read into the type asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct YamlError {
    pub at: Location,
    pub message: String,
}

/// Errors of the input layer (config, suites, golden files, allowlists).
/// Each carries the file, and where it can, the line, the column and the key.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot read: {message}")]
    Io { path: PathBuf, message: String },
    /// Its own text only: `{0}` and a source would print it twice.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error("{at}: key `{key}`: {message}")]
    Invalid {
        at: Location,
        key: String,
        message: String,
    },
    #[error("{at}: `${{{name}}}` is not defined in the environment")]
    UndefinedVar { at: Location, name: String },
}

impl InputError {
    pub fn invalid(at: Location, key: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Invalid {
            at,
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Read a YAML file as text: only a regular file (never a FIFO or a
/// device, which could block or never end), at most [`MAX_FILE_BYTES`], in
/// UTF-8 (an invalid byte is reported with its offset).
pub fn read(path: &Path) -> Result<String, InputError> {
    let bytes =
        crate::fsio::read_regular(path, MAX_FILE_BYTES).map_err(|message| InputError::Io {
            path: path.to_path_buf(),
            message,
        })?;
    String::from_utf8(bytes).map_err(|e| InputError::Io {
        path: path.to_path_buf(),
        message: format!(
            "not UTF-8: invalid byte at offset {}",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// The byte offset and length of a spanned value in the text it was read
/// from (for edits by span).
pub fn byte_range<T>(s: &Spanned<T>) -> Option<(usize, usize)> {
    let span = s.referenced.span();
    Some((span.byte_offset()? as usize, span.byte_len()? as usize))
}

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = MAX_ALIASES;
    budget.max_nodes = MAX_NODES;
    // Every event consumes input, so the file-size cap bounds them too.
    budget.max_events = MAX_NODES;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES as usize;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.with_snippet = false;
    options
}

/// Parse `text` (read from `path`) into `T`. A leading UTF-8 byte-order
/// mark is accepted.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| error(path, &e))
}

/// `parse`, with top-level keys that begin with `x-` read past: a place
/// for YAML anchors to reuse (`x-common: &common {...}`, then `<<: *common`
/// in a mapping; merge keys are expanded by the parser, explicit keys
/// winning). Every other key is checked as `T` says.
pub fn parse_extensible<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, YamlError> {
    parse::<extensions::Extensible<T>>(path, text).map(|e| e.0)
}

/// A deserializer adapter that skips the `x-` keys of the top-level
/// mapping and hands everything else, nested values included, to the
/// parser's own deserializer (so spans and errors are unchanged).
mod extensions {
    use serde::de::{self, DeserializeSeed, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use std::fmt;

    pub struct Extensible<T>(pub T);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Extensible<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            T::deserialize(Top(d)).map(Extensible)
        }
    }

    struct Top<D>(D);

    macro_rules! forward {
        ($($method:ident),*) => {$(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(visitor)
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Top<D> {
        type Error = D::Error;
        forward!(
            deserialize_any,
            deserialize_bool,
            deserialize_i8,
            deserialize_i16,
            deserialize_i32,
            deserialize_i64,
            deserialize_u8,
            deserialize_u16,
            deserialize_u32,
            deserialize_u64,
            deserialize_f32,
            deserialize_f64,
            deserialize_char,
            deserialize_str,
            deserialize_string,
            deserialize_bytes,
            deserialize_byte_buf,
            deserialize_option,
            deserialize_unit,
            deserialize_seq,
            deserialize_identifier,
            deserialize_ignored_any
        );
        fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_map(Skip(visitor))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_struct(name, fields, Skip(visitor))
        }
        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_unit_struct(name, visitor)
        }
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_newtype_struct(name, visitor)
        }
        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple(len, visitor)
        }
        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple_struct(name, len, visitor)
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_enum(name, variants, visitor)
        }
    }

    /// The visitor of the top-level mapping, given a map that skips `x-`.
    struct Skip<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for Skip<V> {
        type Value = V::Value;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            self.0.expecting(f)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.0.visit_map(SkipMap(map))
        }
        fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_unit()
        }
        fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_none()
        }
    }

    struct SkipMap<A>(A);

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for SkipMap<A> {
        type Error = A::Error;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, A::Error> {
            while let Some(key) = self.0.next_key::<String>()? {
                if key.starts_with("x-") {
                    self.0.next_value::<IgnoredAny>()?;
                    continue;
                }
                return seed.deserialize(key.into_deserializer()).map(Some);
            }
            Ok(None)
        }
        fn next_value_seed<S: DeserializeSeed<'de>>(
            &mut self,
            seed: S,
        ) -> Result<S::Value, A::Error> {
            self.0.next_value_seed(seed)
        }
    }
}

/// Serialise a value as YAML (golden files).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

fn error(path: &Path, e: &serde_saphyr::Error) -> YamlError {
    use serde_saphyr::Error as E;
    let inner = e.without_snippet();
    let at = e
        .location()
        .map(|l| Location::at(path, &l))
        .unwrap_or_else(|| Location::file(path));
    let message = match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => format!(
            "unknown field `{field}`, expected one of {}{}",
            quoted(expected),
            hint(field, expected)
        ),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => format!(
            "unknown variant `{variant}`, expected one of {}{}",
            quoted(expected),
            hint(variant, expected)
        ),
        E::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("duplicate key `{k}`: a key may appear only once in a mapping"),
            None => "duplicate key: a key may appear only once in a mapping".to_string(),
        },
        E::Budget { breach, .. } => format!(
            "over the YAML reader's limits ({}): a file may have at most {MAX_DEPTH} levels of \
             nesting, {MAX_ALIASES} aliases and {MAX_NODES} nodes; split it into several files",
            budget_word(breach)
        ),
        other => strip_location(&other.to_string()),
    };
    YamlError { at, message }
}

/// Which limit a budget breach hit, in words.
fn budget_word(b: &serde_saphyr::budget::BudgetBreach) -> &'static str {
    use serde_saphyr::budget::BudgetBreach as B;
    match b {
        B::Events { .. } | B::Nodes { .. } => "too many nodes",
        B::Aliases { .. } | B::Anchors { .. } => "too many aliases or anchors",
        B::Depth { .. } => "nested too deeply",
        _ => "too large",
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The library appends " at line L, column C" to its messages; the
/// location is printed in front instead, once.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// ", did you mean `x`?" when a known word is close enough, else "".
pub fn hint(word: &str, known: &[&str]) -> String {
    let close = |k: &str| {
        let d = strsim::damerau_levenshtein(word, k);
        d <= (k.len() / 3).max(1) || strsim::jaro_winkler(word, k) > 0.85
    };
    known
        .iter()
        .filter(|k| close(k))
        .min_by_key(|k| strsim::damerau_levenshtein(word, k))
        .map(|k| format!(", did you mean `{k}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: Spanned<String>,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    }

    fn err(text: &str) -> String {
        parse::<Doc>(Path::new("f.yaml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn positions_come_from_the_parser() {
        let d: Doc = parse(Path::new("f.yaml"), "# c\nname:   x\n").unwrap();
        assert_eq!(
            Location::of(Path::new("f.yaml"), &d.name).to_string(),
            "f.yaml:2:9"
        );
        let e = err("name: x\nnmae: y\n");
        assert!(e.starts_with("f.yaml:2:1: unknown field `nmae`"), "{e}");
        assert!(e.ends_with("did you mean `name`?"), "{e}");
    }

    #[test]
    fn duplicate_keys_tabs_depth_and_aliases_are_errors_with_positions() {
        let e = err("name: x\nheaders: {X-A: one, X-A: two}\n");
        assert!(e.starts_with("f.yaml:2:"), "{e}");
        assert!(e.contains("duplicate"), "{e}");
        let e = err("name: x\nheaders:\n\tX-A: one\n");
        assert!(e.starts_with("f.yaml:3:"), "{e}");
        let deep = format!("name: x\nheaders: {}", "[".repeat(10_000));
        let e = err(&deep);
        assert!(e.starts_with("f.yaml:2:"), "{e}");
        // A billion laughs: ten levels of nine aliases each.
        let mut bomb = String::from("name: x\nheaders:\n  a: &a \"lol\"\n");
        let mut prev = "a".to_string();
        for c in ["b", "c", "d", "e", "f", "g", "h", "i", "j", "k"] {
            bomb.push_str(&format!(
                "  x{c}: &{c} [{}]\n",
                vec![format!("*{prev}"); 9].join(",")
            ));
            prev = c.to_string();
        }
        let started = std::time::Instant::now();
        let e = err(&bomb);
        assert!(e.starts_with("f.yaml:"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let d: Doc = parse(Path::new("f.yaml"), "\u{feff}name: x\n").unwrap();
        assert_eq!(d.name.value, "x");
    }
}

#[cfg(test)]
mod extension_tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: Spanned<String>,
        items: Vec<Spanned<Item>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        a: String,
        b: String,
    }

    #[test]
    fn x_keys_hold_anchors_that_merge_keys_reuse() {
        let text = "x-common: &common {a: one, b: two}\nname:   n\nx-other: [1, 2]\nitems:\n  - <<: *common\n    b: mine\n  - *common\n";
        let d: Doc = parse_extensible(Path::new("f.yaml"), text).unwrap();
        assert_eq!(
            Location::of(Path::new("f.yaml"), &d.name).to_string(),
            "f.yaml:2:9"
        );
        let got: Vec<(&str, &str)> = d
            .items
            .iter()
            .map(|i| (i.value.a.as_str(), i.value.b.as_str()))
            .collect();
        assert_eq!(got, vec![("one", "mine"), ("one", "two")]);
        // Nested positions are the parser's own.
        assert_eq!(d.items[0].referenced.line(), 5);
        // Other unknown keys are still errors, with their position and a hint.
        let e = parse_extensible::<Doc>(Path::new("f.yaml"), "nmae: x\nitems: []\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("f.yaml:1:")
                && e.contains("unknown field `nmae`")
                && e.contains("did you mean `name`?"),
            "{e}"
        );
        // Only the top level takes `x-` keys.
        let e = parse_extensible::<Doc>(
            Path::new("f.yaml"),
            "name: x\nitems:\n  - {a: 1, b: 2, x-note: 3}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("f.yaml:3:") && e.contains("unknown field `x-note`"),
            "{e}"
        );
        // Missing fields and duplicate keys are reported as before.
        let e = parse_extensible::<Doc>(Path::new("f.yaml"), "x-a: 1\nitems: []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `name`"), "{e}");
        let e = parse_extensible::<Doc>(Path::new("f.yaml"), "name: a\nname: b\nitems: []\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.yaml:2:") && e.contains("duplicate"), "{e}");
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn non_utf8_input_is_reported_with_its_byte_offset() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        std::fs::write(&p, b"base_url: x\nname: \xff\n").unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.ends_with("not UTF-8: invalid byte at offset 18"), "{e}");
    }
}
