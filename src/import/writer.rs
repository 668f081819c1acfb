//! Writing suites: endpoints in, YAML text out.
//!
//! The YAML is written as text (so that comments can carry each case's
//! endpoint template and hit counts, which no YAML serializer writes), but
//! every scalar that comes from the traffic goes through [`yaml_str`]: a
//! double-quoted scalar with everything outside printable ASCII escaped. No
//! byte of a log line can therefore change the document's structure.
//! (`serde_json::to_string` is almost that, but leaves DEL, C1 controls and
//! U+2028/U+2029 raw, which YAML 1.1 parsers reject or read as line breaks.)
//! Comments hold only text built here from templates, which are printable
//! ASCII by construction (targets are percent-encoded when parsed); they
//! are filtered to printable ASCII anyway.
//!
//! `${` in a header value is written `$${` (a literal `${` for the suite
//! loader); paths cannot hold `{` raw (percent-encoded on input), so the
//! only `${` in a path is a placeholder written here.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

use super::endpoints::{Endpoint, HostStats, Sample};
use super::safety::{looks_like_jwt, percent_decode, var_name, Secrets};

/// What to do with a case that would carry a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Write a `${IMPORT_...}` placeholder (named in the suite's header).
    Placeholder,
    /// Leave the case out (counted in the summary with the reason).
    Drop,
}

/// The User-Agent every imported case sends (the traffic's are never copied).
pub const USER_AGENT: &str = "edgeparity-import";

/// Cases per endpoint and over all suites.
pub struct Limits {
    pub per_endpoint: usize,
    pub max_cases: Option<usize>,
}

/// One suite, ready to write.
#[derive(Debug, Clone)]
pub struct SuiteText {
    pub host: String,
    pub file_name: String,
    pub text: String,
    pub endpoints: usize,
    pub cases: usize,
    /// Placeholder variable → what it stands for.
    pub vars: BTreeMap<String, String>,
}

/// Placeholder variables a case uses: (name, what it stands for).
type Vars = Vec<(String, String)>;

/// Cases left out, by reason.
pub type Dropped = BTreeMap<String, u64>;

struct Case {
    name: String,
    comment: Vec<String>,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    cache: bool,
    vary: Option<(String, Vec<String>)>,
}

/// `"..."`: a YAML double-quoted scalar, printable ASCII only.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A comment line's text: printable ASCII, one line.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

/// The suite file name of a host: `www.example.com.yaml`,
/// `www.example.test_18443.yaml` (no `:` in file names).
pub fn file_name(host: &str) -> String {
    let stem: String = host
        .chars()
        .filter(|c| !matches!(c, '[' | ']'))
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.yaml")
}

/// A readable case-name stem: `get-item-num`, `head-root`.
fn name_stem(method: &str, template: &str) -> String {
    let mut s = method.to_ascii_lowercase();
    // The path's words, then the query parameters' names (not values).
    let (path, query) = template.split_once('?').unwrap_or((template, ""));
    let names: Vec<&str> = query
        .split('&')
        .map(|p| p.split('=').next().unwrap_or(""))
        .collect();
    let mut words = String::new();
    for c in path
        .chars()
        .chain(std::iter::once('-'))
        .chain(names.join("-").chars())
    {
        if c.is_ascii_alphanumeric() {
            words.push(c.to_ascii_lowercase());
        } else if !words.ends_with('-') {
            words.push('-');
        }
    }
    let words = words.trim_matches('-');
    s.push('-');
    if words.is_empty() {
        s.push_str("root");
    } else {
        // Keep the end of long paths: it names the resource.
        let w: Vec<&str> = words.split('-').filter(|w| !w.is_empty()).collect();
        let mut tail: Vec<&str> = Vec::new();
        let mut len = 0;
        for part in w.iter().rev() {
            if len + part.len() + 1 > 40 && !tail.is_empty() {
                break;
            }
            len += part.len() + 1;
            tail.push(part);
        }
        tail.reverse();
        s.push_str(&tail.join("-"));
    }
    s
}

fn unique(taken: &mut HashSet<String>, want: String) -> String {
    if taken.insert(want.clone()) {
        return want;
    }
    for k in 2.. {
        let n = format!("{want}-{k}");
        if taken.insert(n.clone()) {
            return n;
        }
    }
    unreachable!("an unbounded counter always finds a free name")
}

/// A sample target with credentials replaced by placeholders: the path and
/// the (variable, what) pairs used.
pub fn sanitize_target(target: &str, secrets: &Secrets) -> (String, Vars) {
    let mut vars = Vec::new();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut out = String::with_capacity(target.len());
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if secrets.is_secret_segment(seg) {
            let (var, what) = if looks_like_jwt(seg) {
                (var_name("PATH_JWT"), "a JWT in the path".to_string())
            } else {
                // The credential's own name: `;jsessionid=...` → JSESSIONID.
                let d = percent_decode(seg);
                let before_eq = d.split('=').next().unwrap_or("");
                let name = before_eq.rsplit([';', '&', '~']).next().unwrap_or("SECRET");
                (
                    var_name(&format!("PATH_{name}")),
                    format!("a credential in the path (`{}`)", comment(name)),
                )
            };
            vars.push((var.clone(), what));
            let _ = write!(out, "${{{var}}}");
        } else {
            out.push_str(seg);
        }
    }
    if let Some(q) = query {
        out.push('?');
        for (i, pair) in q.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let (name, value) = match pair.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (pair, None),
            };
            if secrets.is_secret_value(name) {
                let var = var_name("QUERY_PARAM");
                vars.push((
                    var.clone(),
                    "a query parameter whose name holds a credential".into(),
                ));
                let _ = write!(out, "${{{var}}}");
                continue;
            }
            out.push_str(name);
            if let Some(v) = value {
                out.push('=');
                if !v.is_empty() && (secrets.is_secret_name(name) || secrets.is_secret_value(v)) {
                    let var = var_name(name);
                    vars.push((
                        var.clone(),
                        format!("query parameter `{}`", comment(&percent_decode(name))),
                    ));
                    let _ = write!(out, "${{{var}}}");
                } else {
                    out.push_str(v);
                }
            }
        }
    }
    (out, vars)
}

fn status_text(statuses: &BTreeMap<u16, u64>) -> String {
    let mut v: Vec<(&u16, &u64)> = statuses.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let shown: Vec<String> = v.iter().take(4).map(|(s, n)| format!("{s} x{n}")).collect();
    let mut t = shown.join(", ");
    if v.len() > 4 {
        let _ = write!(t, ", {} more", v.len() - 4);
    }
    t
}

/// Build the cases of every endpoint, highest traffic first, up to the
/// limits; then one suite per host.
pub fn build(
    ranked: &[&Endpoint],
    hosts: &BTreeMap<String, HostStats>,
    limits: &Limits,
    secrets: &Secrets,
    credentials: Credentials,
    dropped: &mut Dropped,
) -> Vec<SuiteText> {
    let mut per_host: BTreeMap<&str, Vec<(&Endpoint, Vec<Case>)>> = BTreeMap::new();
    let mut names: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    let mut total = 0usize;
    let mut endpoint_rank: BTreeMap<&str, usize> = BTreeMap::new();
    let host_endpoints: BTreeMap<&str, usize> = ranked.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.host.as_str()).or_default() += 1;
        m
    });
    for e in ranked {
        let remaining = limits.max_cases.map(|m| m.saturating_sub(total));
        if remaining == Some(0) {
            *dropped
                .entry("endpoint beyond --max-cases (lower traffic)".into())
                .or_default() += 1;
            continue;
        }
        let rank = endpoint_rank.entry(e.host.as_str()).or_default();
        *rank += 1;
        let taken = names.entry(e.host.as_str()).or_default();
        let mut cases = endpoint_cases(
            e,
            *rank,
            host_endpoints[e.host.as_str()],
            limits,
            secrets,
            credentials,
            dropped,
            taken,
        );
        if let Some(r) = remaining {
            cases.truncate(r);
        }
        total += cases.len();
        if !cases.is_empty() {
            per_host
                .entry(e.host.as_str())
                .or_default()
                .push((e, cases));
        }
    }
    per_host
        .into_iter()
        .map(|(host, eps)| render(host, hosts.get(host).cloned().unwrap_or_default(), &eps))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn endpoint_cases(
    e: &Endpoint,
    rank: usize,
    of: usize,
    limits: &Limits,
    secrets: &Secrets,
    credentials: Credentials,
    dropped: &mut Dropped,
    taken: &mut HashSet<String>,
) -> Vec<Case> {
    let stem = name_stem(&e.method, &e.template);
    let mut head = format!(
        "{} {}: {} hits (endpoint {rank} of {of})",
        e.method, e.template, e.hits
    );
    if !e.statuses.is_empty() {
        let _ = write!(head, "; status {}", status_text(&e.statuses));
    }
    if e.cache_known > 0 {
        let _ = write!(
            head,
            "; served from cache {} of {}",
            e.cache_hit, e.cache_known
        );
    }
    if let Some(ct) = e.content_types.ranked().first() {
        let _ = write!(head, "; {}", ct.0);
    }
    let chosen = e.choose(limits.per_endpoint.max(1));
    let mut cases = Vec::new();
    // The first case written: the Vary probes reuse its path and headers.
    let mut first_ok: Option<(String, &Sample, Vars)> = None;
    for (i, (target, count, sample)) in chosen.iter().enumerate() {
        let (path, mut vars) = sanitize_target(target, secrets);
        let mut headers = Vec::new();
        for (name, v) in [
            ("Accept", &sample.accept),
            ("Accept-Encoding", &sample.accept_encoding),
            ("Accept-Language", &sample.accept_language),
        ] {
            if let Some(v) = v {
                headers.push((name.to_string(), v.replace("${", "$${")));
            }
        }
        for (flag, name, var) in [
            (sample.cookie, "Cookie", "IMPORT_COOKIE"),
            (
                sample.authorization,
                "Authorization",
                "IMPORT_AUTHORIZATION",
            ),
        ] {
            if flag {
                headers.push((name.to_string(), format!("${{{var}}}")));
                vars.push((var.to_string(), format!("the `{name}` request header")));
            }
        }
        if credentials == Credentials::Drop && !vars.is_empty() {
            let what: BTreeSet<&str> = vars.iter().map(|(v, _)| v.as_str()).collect();
            let reason = format!(
                "case carried credentials ({}), --credentials drop",
                what.into_iter().collect::<Vec<_>>().join(", ")
            );
            *dropped.entry(reason).or_default() += 1;
            continue;
        }
        let mut comment = vec![head.clone()];
        let mut line = format!("sample {} of {}: {} hits", i + 1, chosen.len(), count);
        if let Some(s) = sample.status {
            let _ = write!(line, ", status {s}");
        }
        comment.push(line);
        for (var, what) in &vars {
            comment.push(format!("${{{var}}}: {what} (not copied from the traffic)"));
        }
        if first_ok.is_none() {
            first_ok = Some((path.clone(), *sample, vars.clone()));
        }
        cases.push(Case {
            name: unique(taken, format!("{stem}-{}", i + 1)),
            comment,
            method: e.method.clone(),
            path,
            headers,
            cache: e.cache_hit > 0,
            vary: None,
        });
    }
    // Vary probes: the endpoint was asked with several values.
    if let Some((path, sample, vars)) = first_ok {
        for (header, table) in [
            ("Accept-Language", &e.accept_language),
            ("Accept", &e.accept),
        ] {
            let values: Vec<String> = table
                .ranked()
                .iter()
                .take(3)
                .map(|v| v.0.to_string())
                .collect();
            if values.len() < 2 || values.iter().any(|v| v.contains("${")) {
                continue;
            }
            let mut headers = Vec::new();
            for (name, v) in [
                ("Accept", &sample.accept),
                ("Accept-Encoding", &sample.accept_encoding),
                ("Accept-Language", &sample.accept_language),
            ] {
                if name != header {
                    if let Some(v) = v {
                        headers.push((name.to_string(), v.replace("${", "$${")));
                    }
                }
            }
            for (flag, name, var) in [
                (sample.cookie, "Cookie", "IMPORT_COOKIE"),
                (
                    sample.authorization,
                    "Authorization",
                    "IMPORT_AUTHORIZATION",
                ),
            ] {
                if flag {
                    headers.push((name.to_string(), format!("${{{var}}}")));
                }
            }
            let mut comment = vec![head.clone()];
            comment.push(format!(
                "Vary probe: requested with {} distinct {header} values; the {} most frequent",
                table.len(),
                values.len()
            ));
            for (var, what) in &vars {
                comment.push(format!("${{{var}}}: {what} (not copied from the traffic)"));
            }
            let name = unique(
                taken,
                format!("{stem}-vary-{}", header.to_ascii_lowercase()),
            );
            cases.push(Case {
                name,
                comment,
                method: e.method.clone(),
                path: path.clone(),
                headers,
                cache: false,
                vary: Some((header.to_string(), values)),
            });
        }
    }
    cases
}

fn render(host: &str, stats: HostStats, eps: &[(&Endpoint, Vec<Case>)]) -> SuiteText {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let ncases: usize = eps.iter().map(|(_, c)| c.len()).sum();
    for (_, cases) in eps {
        for c in cases {
            for line in &c.comment {
                if let Some(rest) = line.strip_prefix("${") {
                    if let Some((var, what)) = rest.split_once("}: ") {
                        vars.entry(var.to_string()).or_insert_with(|| {
                            what.trim_end_matches(" (not copied from the traffic)")
                                .to_string()
                        });
                    }
                }
            }
        }
    }
    let scheme = stats.scheme();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Imported from traffic by `edgeparity import`: review, then edit freely."
    );
    let _ = writeln!(
        t,
        "# {}: {} requests ({} https, {} http); {} endpoints, {} cases.",
        comment(host),
        stats.requests,
        stats.https,
        stats.http,
        eps.len(),
        ncases
    );
    let _ = writeln!(
        t,
        "# Endpoints are listed by traffic, highest first. Cases expect parity;"
    );
    let _ = writeln!(
        t,
        "# cache sequences where the old CDN served from cache, Vary probes where"
    );
    let _ = writeln!(
        t,
        "# clients asked with several Accept or Accept-Language values."
    );
    let _ = writeln!(
        t,
        "# User-Agent, cookies, credentials and client IPs are never copied."
    );
    if !vars.is_empty() {
        let _ = writeln!(
            t,
            "# Export these before running (placeholders for values seen in the traffic):"
        );
        for (var, what) in &vars {
            let _ = writeln!(t, "#   {var}: {}", comment(what));
        }
    }
    let _ = writeln!(
        t,
        "base_url: {}",
        yaml_str(&format!("{}://{host}", scheme.as_str()))
    );
    let _ = writeln!(t, "defaults:");
    let _ = writeln!(t, "  headers: {{\"User-Agent\": {}}}", yaml_str(USER_AGENT));
    let _ = writeln!(t, "cases:");
    for (_, cases) in eps {
        for c in cases {
            for line in &c.comment {
                let _ = writeln!(t, "  # {}", comment(line));
            }
            let _ = writeln!(t, "  - name: {}", yaml_str(&c.name));
            if c.method != "GET" {
                let _ = writeln!(t, "    method: {}", yaml_str(&c.method));
            }
            let _ = writeln!(t, "    path: {}", yaml_str(&c.path));
            if !c.headers.is_empty() {
                let hs: Vec<String> = c
                    .headers
                    .iter()
                    .map(|(k, v)| format!("{}: {}", yaml_str(k), yaml_str(v)))
                    .collect();
                let _ = writeln!(t, "    headers: {{{}}}", hs.join(", "));
            }
            if c.cache {
                let _ = writeln!(t, "    cache: {{sequence: 2}}");
            }
            if let Some((h, values)) = &c.vary {
                let vs: Vec<String> = values.iter().map(|v| yaml_str(v)).collect();
                let _ = writeln!(
                    t,
                    "    vary: {{header: {}, values: [{}]}}",
                    yaml_str(h),
                    vs.join(", ")
                );
            }
        }
    }
    SuiteText {
        host: host.to_string(),
        file_name: file_name(host),
        text: t,
        endpoints: eps.len(),
        cases: ncases,
        vars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_strings_are_ascii_and_parse_back() {
        let nasty = "a\"b\\c\nd\te\u{7f}\u{85}\u{2028}\u{feff}😀: [x] # y";
        let q = yaml_str(nasty);
        assert!(q.is_ascii() && !q.contains('\n'), "{q}");
        let back: String = crate::yaml::parse(std::path::Path::new("t.yaml"), &q).unwrap();
        assert_eq!(back, nasty);
    }

    #[test]
    fn names_and_files() {
        assert_eq!(name_stem("GET", "/"), "get-root");
        assert_eq!(
            name_stem("HEAD", "/item/{num}?id={num}"),
            "head-item-num-id"
        );
        assert_eq!(name_stem("GET", "/?utm_source=x"), "get-utm-source");
        assert_eq!(
            name_stem(
                "GET",
                "/a/very/long/path/with/many/segments/and/more/words/at/the/end.html"
            ),
            "get-segments-and-more-words-at-the-end-html"
        );
        assert_eq!(
            file_name("www.example.test:18443"),
            "www.example.test_18443.yaml"
        );
        assert_eq!(file_name("[::1]:8080"), "__1_8080.yaml");
    }

    #[test]
    fn targets_lose_their_credentials() {
        let s = Secrets::default();
        let (p, v) = sanitize_target("/a/b?x=1&token=SECRET&sig=&page=2&X-Amz-Signature=ABC", &s);
        assert_eq!(
            p,
            "/a/b?x=1&token=${IMPORT_TOKEN}&sig=&page=2&X-Amz-Signature=${IMPORT_X_AMZ_SIGNATURE}"
        );
        assert_eq!(v.len(), 2);
        let (p, _) = sanitize_target(
            "/x;jsessionid=ABC/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            &s,
        );
        assert_eq!(p, "/${IMPORT_PATH_JSESSIONID}/${IMPORT_PATH_JWT}");
    }
}
