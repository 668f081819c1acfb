//! `${NAME}` in suites and the config: a value filled from the
//! environment. Such values are secrets (the caller collects them for
//! redaction); `$${` is a literal `${`, and `${` without `}` is an error
//! rather than text sent as is.

/// Why `${...}` could not be filled.
#[derive(Debug, PartialEq, Eq)]
pub enum VarError {
    Undefined(String),
    Unterminated,
}

/// Fill `${NAME}` from `lookup`. Returns the text and the values used.
/// `$${` stays a literal `${`; `${` without `}` is an error.
pub fn expand_vars(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), VarError> {
    let mut out = String::with_capacity(s.len());
    let mut used = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(stripped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = stripped;
        } else if let Some(stripped) = after.strip_prefix("${") {
            let end = stripped.find('}').ok_or(VarError::Unterminated)?;
            let name = &stripped[..end];
            let value = lookup(name).ok_or_else(|| VarError::Undefined(name.to_string()))?;
            out.push_str(&value);
            used.push(value);
            rest = &stripped[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok((out, used))
}

/// An environment of these variables (for tests of what reads `${NAME}`).
#[cfg(test)]
pub(crate) fn test_env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::test_env as env;
    use super::*;

    #[test]
    fn expand_vars_edge_cases() {
        let l = env(&[("A", "1")]);
        assert_eq!(expand_vars("x${A}y$${A}$z", &l).unwrap().0, "x1y${A}$z");
        assert_eq!(
            expand_vars("${B}", &l).unwrap_err(),
            VarError::Undefined("B".into())
        );
        assert_eq!(expand_vars("a${A", &l).unwrap_err(), VarError::Unterminated);
    }
}
