//! Plain URL lists: one absolute `http(s)://` URL or one `/path?query` per
//! line (then `--host` gives the host). Blank lines and lines starting with
//! `#` are ignored. Every URL is a `GET`; a list says nothing about status
//! or caching, so its cases are single requests.

use std::borrow::Cow;

use super::record::{clean_target, split_absolute, Record};

/// `Ok(None)` for a blank or comment line.
pub fn parse(line: &str) -> Result<Option<Record<'_>>, &'static str> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    if t.contains(char::is_whitespace) {
        return Err("a URL list line holds one URL, without spaces");
    }
    if let Some((scheme, host, target)) = split_absolute(t) {
        let mut r = Record::new("GET", clean_target(target));
        r.scheme = Some(scheme);
        r.host = Some(Cow::Borrowed(host));
        return Ok(Some(r));
    }
    if t.starts_with('/') && !t.starts_with("//") {
        return Ok(Some(Record::new("GET", clean_target(t))));
    }
    Err("not an http(s) URL or a /path")
}

/// Whether a line looks like a URL list entry (for detection).
pub fn sniff(line: &str) -> bool {
    matches!(parse(line), Ok(Some(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_paths_comments() {
        let r = parse("https://www.example.com/a?b=1").unwrap().unwrap();
        assert_eq!(
            (r.host.as_deref(), r.target.as_ref()),
            (Some("www.example.com"), "/a?b=1")
        );
        let r = parse("  /only/path  ").unwrap().unwrap();
        assert_eq!((r.host, r.target.as_ref()), (None, "/only/path"));
        assert!(parse("# comment").unwrap().is_none());
        assert!(parse("").unwrap().is_none());
        assert!(parse("ftp://x/").is_err());
        assert!(parse("GET /x").is_err());
        assert!(parse("//cdn.example/x").is_err());
    }
}
