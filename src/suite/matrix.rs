//! Request matrices: one written case asked with every combination of a
//! few named axes of header, cookie or query values (devices, languages,
//! feature-flag users), each combination a case of its own with the id
//! `SUITE::CASE[device=mobile,lang=fr]`.
//!
//! ```yaml
//! matrix:
//!   device: {User-Agent: {mobile: "Mozilla/5.0 (iPhone…)", desktop: "Mozilla/5.0 (X11…)"}}
//!   lang: {Accept-Language: [en, fr, ja]}
//!   user: {cookie: {uid: [a, b]}}
//!   page: {query: {p: [1, 2]}}
//!   zip: true            # pair the i-th values instead of taking the product
//! ```
//!
//! Axes keep the order written (the raw value is a JSON value, whose maps
//! keep their order), and so do their values. A value's label is the value
//! itself in a list, or its key in a map (`{mobile: "…"}`): labels become
//! part of ids and golden file names, so they are short plain words, and a
//! value from `${VAR}` (a secret) must be named. The number of
//! combinations is capped, so a suite's size stays bounded by its text.

use super::{Case, HeaderSpec};

/// Most combinations one case's matrix may make.
pub const MAX_COMBINATIONS: usize = 256;
/// Most values on one axis.
pub const MAX_VALUES: usize = 64;
/// Longest axis name or value label, in bytes.
pub const MAX_LABEL: usize = 64;

/// What an axis sets on the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A request header (the name as written), replacing one of that name.
    Header(String),
    /// One cookie of the `Cookie` header.
    Cookie(String),
    /// A query parameter, added to the path's query.
    Query(String),
}

/// One value of an axis: the label shown in ids, and what is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub label: String,
    pub value: String,
    /// Filled from an environment variable.
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub name: String,
    pub target: Target,
    pub values: Vec<Value>,
}

/// A case's matrix: no axes means none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matrix {
    pub axes: Vec<Axis>,
    pub zip: bool,
}

/// An error: the key under `matrix` it is about, and why.
pub type MatrixError = (String, String);

/// Fills `${NAME}` in a value: the text, and whether it used a variable.
pub type Expand<'a> = dyn FnMut(&str) -> Result<(String, bool), String> + 'a;

impl Matrix {
    /// Read a written `matrix:` (`{}` is no matrix). `expand` fills
    /// `${NAME}`s.
    pub fn read(written: &serde_json::Value, expand: &mut Expand) -> Result<Matrix, MatrixError> {
        let serde_json::Value::Object(map) = written else {
            return Err((
                String::new(),
                "must be a mapping of named axes, like `lang: {Accept-Language: [en, fr]}`".into(),
            ));
        };
        let mut m = Matrix::default();
        for (name, axis) in map {
            if name == "zip" {
                m.zip = axis
                    .as_bool()
                    .ok_or_else(|| ("zip".to_string(), "must be true or false".to_string()))?;
                continue;
            }
            check_label(name).map_err(|e| (name.clone(), format!("axis name {e}")))?;
            m.axes.push(read_axis(name, axis, expand)?);
        }
        m.combinations()?;
        Ok(m)
    }

    /// How many cases the matrix makes (1 with no axes), or why it may not.
    pub fn combinations(&self) -> Result<usize, MatrixError> {
        if self.axes.is_empty() {
            return Ok(1);
        }
        if self.zip {
            let n = self.axes[0].values.len();
            if let Some(a) = self.axes.iter().find(|a| a.values.len() != n) {
                return Err((
                    "zip".into(),
                    format!(
                        "zipped axes need as many values each: `{}` has {n}, `{}` has {}",
                        self.axes[0].name,
                        a.name,
                        a.values.len()
                    ),
                ));
            }
            return Ok(n);
        }
        let mut n: usize = 1;
        for a in &self.axes {
            n = n.saturating_mul(a.values.len());
            if n > MAX_COMBINATIONS {
                let sizes: Vec<String> = self
                    .axes
                    .iter()
                    .map(|a| format!("{} ({})", a.name, a.values.len()))
                    .collect();
                return Err((
                    String::new(),
                    format!(
                        "{} makes more than {MAX_COMBINATIONS} combinations: fewer values, \
                         `zip: true`, or split the case",
                        sizes.join(" × ")
                    ),
                ));
            }
        }
        Ok(n)
    }

    /// The case once per combination (the case itself when there is no
    /// matrix), first axis slowest; each named `CASE[axis=label,...]` in
    /// the axes' order, grouped under the written name.
    pub fn expand(&self, case: Case) -> Vec<Case> {
        let n = match self.combinations() {
            Ok(n) if !self.axes.is_empty() => n,
            _ => return vec![case],
        };
        (0..n)
            .map(|i| {
                let mut v = case.clone();
                let mut labels = Vec::with_capacity(self.axes.len());
                let mut rest = i;
                let picks: Vec<usize> = self
                    .axes
                    .iter()
                    .rev()
                    .map(|a| {
                        if self.zip {
                            i
                        } else {
                            let k = rest % a.values.len();
                            rest /= a.values.len();
                            k
                        }
                    })
                    .collect();
                for (axis, k) in self.axes.iter().zip(picks.into_iter().rev()) {
                    let value = &axis.values[k];
                    apply(&mut v, &axis.target, value);
                    labels.push(format!("{}={}", axis.name, value.label));
                }
                v.group = Some(case.name.clone());
                v.name = format!("{}[{}]", case.name, labels.join(","));
                v
            })
            .collect()
    }
}

fn read_axis(
    name: &str,
    axis: &serde_json::Value,
    expand: &mut Expand,
) -> Result<Axis, MatrixError> {
    let one = |v: &serde_json::Value, what: &str| -> Result<(String, serde_json::Value), String> {
        match v {
            serde_json::Value::Object(m) if m.len() == 1 => m
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.clone()))
                .ok_or_else(|| what.to_string()),
            _ => Err(what.to_string()),
        }
    };
    let shape = "must name one header, `cookie` or `query`, like `{Accept-Language: [en, fr]}`, \
                 `{cookie: {uid: [a, b]}}` or `{query: {page: [1, 2]}}`";
    let (key, values) = one(axis, shape).map_err(|m| (name.to_string(), m))?;
    let lower = key.to_ascii_lowercase();
    let (target, values, at) = if lower == "cookie" || lower == "query" {
        let (inner, values) = one(
            &values,
            &format!("`{key}` takes one name and its values, like `{{{lower}: {{uid: [a, b]}}}}`"),
        )
        .map_err(|m| (format!("{name}.{key}"), m))?;
        let bad = if lower == "cookie" {
            inner.is_empty()
                || inner.contains([';', '=', ',', ' '])
                || http::HeaderValue::from_str(&inner).is_err()
        } else {
            inner.is_empty()
        };
        if bad {
            return Err((
                format!("{name}.{key}"),
                format!("`{inner}` is not a {lower} name"),
            ));
        }
        let target = if lower == "cookie" {
            Target::Cookie(inner.clone())
        } else {
            Target::Query(inner.clone())
        };
        (target, values, format!("{name}.{key}.{inner}"))
    } else {
        if http::HeaderName::from_bytes(key.as_bytes()).is_err() {
            return Err((name.to_string(), format!("`{key}` is not a header name")));
        }
        (Target::Header(key.clone()), values, format!("{name}.{key}"))
    };
    let values = read_values(&values, &target, expand).map_err(|m| (at, m))?;
    Ok(Axis {
        name: name.to_string(),
        target,
        values,
    })
}

/// A list of values (each its own label) or a map of label → value.
fn read_values(
    written: &serde_json::Value,
    target: &Target,
    expand: &mut Expand,
) -> Result<Vec<Value>, String> {
    let pairs: Vec<(Option<&String>, &serde_json::Value)> = match written {
        serde_json::Value::Array(list) => list.iter().map(|v| (None, v)).collect(),
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (Some(k), v)).collect(),
        _ => return Err("takes a list of values, or a mapping of label to value".into()),
    };
    if pairs.is_empty() || pairs.len() > MAX_VALUES {
        return Err(format!(
            "needs between 1 and {MAX_VALUES} values, not {}",
            pairs.len()
        ));
    }
    let mut out: Vec<Value> = Vec::with_capacity(pairs.len());
    for (label, v) in pairs {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err("a value must be a string, a number or true/false".into()),
        };
        let (value, secret) = expand(&text)?;
        let label = match label {
            Some(l) => l.clone(),
            None if secret => {
                return Err(format!(
                    "`{text}` comes from the environment: name it, like `{{token: \"{text}\"}}`, \
                     so its value stays out of ids"
                ))
            }
            None => value.clone(),
        };
        check_label(&label).map_err(|e| {
            format!("value label {e} (name the values: `{{mobile: \"...\", desktop: \"...\"}}`)")
        })?;
        let ok = match target {
            Target::Header(_) => http::HeaderValue::from_str(&value).is_ok(),
            Target::Cookie(_) => {
                http::HeaderValue::from_str(&value).is_ok() && !value.contains([';', ','])
            }
            Target::Query(_) => true,
        };
        if !ok {
            let shown = if secret {
                format!("`{label}`")
            } else {
                format!("`{}`", crate::model::visible(&value))
            };
            return Err(format!("{shown} cannot be sent as this value"));
        }
        if out.iter().any(|o| o.label == label) {
            return Err(format!("the label `{label}` is given twice"));
        }
        out.push(Value {
            label,
            value,
            secret,
        });
    }
    Ok(out)
}

/// A label or axis name goes into ids and file names: short, plain, and
/// free of the characters ids are built with.
fn check_label(s: &str) -> Result<String, String> {
    let shown = crate::model::visible(s);
    if s.trim().is_empty() || s.trim() != s {
        return Err(format!(
            "`{shown}` must not be empty or start or end with a space"
        ));
    }
    if s.len() > MAX_LABEL {
        return Err(format!("`{shown}` is longer than {MAX_LABEL} bytes"));
    }
    if s.contains(['[', ']', '=', ',', '@', '/', '\\', ':', '*', '?'])
        || s.chars().any(crate::model::is_invisible)
    {
        return Err(format!(
            "`{shown}` cannot be part of an id (no `[ ] = , @ / \\ : * ?` or invisible characters)"
        ));
    }
    Ok(s.to_string())
}

/// Set one axis value on a case's request.
fn apply(case: &mut Case, target: &Target, v: &Value) {
    match target {
        Target::Header(name) => {
            case.headers.retain(|h| !h.name.eq_ignore_ascii_case(name));
            case.headers.push(HeaderSpec {
                name: name.clone(),
                value: v.value.clone(),
                secret: v.secret,
            });
        }
        Target::Cookie(name) => {
            let pair = format!("{name}={}", v.value);
            match case
                .headers
                .iter_mut()
                .find(|h| h.name.eq_ignore_ascii_case("cookie"))
            {
                Some(h) => {
                    let mut pairs: Vec<String> = h
                        .value
                        .split(';')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name.as_str()))
                        .collect();
                    pairs.push(pair);
                    h.value = pairs.join("; ");
                    h.secret |= v.secret;
                }
                None => case.headers.push(HeaderSpec {
                    name: "Cookie".into(),
                    value: pair,
                    secret: v.secret,
                }),
            }
        }
        Target::Query(name) => {
            let sep = if case.path.contains('?') { '&' } else { '?' };
            case.path = format!("{}{sep}{}={}", case.path, encode(name), encode(&v.value));
        }
    }
}

/// `application/x-www-form-urlencoded` as a URL library writes a query.
fn encode(s: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'*')
        .remove(b' ');
    utf8_percent_encode(s, KEEP).to_string().replace(' ', "+")
}
