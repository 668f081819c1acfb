//! `edgeparity import`: suites from the traffic a team already has.
//!
//! A migration's best test cases are the requests real clients send. Import
//! reads traffic logs (Cloudflare Logpush, Fastly real-time logs, nginx and
//! Apache access logs, HAR files, URL lists, sitemaps), groups requests into
//! endpoints (`GET /item/{num}`, not one case per URL), keeps a few
//! representative samples of each, lets what the old CDN did decide what to
//! probe (cache sequences where it served from cache, Vary probes where
//! clients asked with several `Accept`/`Accept-Language` values), and writes
//! one suite per host. Nothing that looks like a credential is copied.
//!
//! Why two passes: whether `/blog/my-post` is one endpoint or part of
//! `/blog/{slug}` depends on how many distinct values that position takes
//! across *all* the traffic. The first pass learns that (bounded hash sets
//! per position, `template`); the second groups requests with the decisions
//! frozen (`endpoints`). Each pass streams: memory does not grow with the
//! input, only with the number of distinct endpoints and positions, and both
//! are bounded. Standard input is spooled to a temporary file so that it can
//! be read twice.
//!
//! Determinism: no clock, no randomness, no hash-map iteration order in the
//! output (FNV hashes, sorted tables, byte-order ties). The same input gives
//! byte-identical suites.
//!
//! Module map: `input` (files, gzip, stdin, bounded lines), one parser per
//! format (`logpush`, `fastly`, `clf` for nginx/Apache/Fastly access logs,
//! `har`, `urls`, `sitemap`) producing `record::Record`, `template`,
//! `endpoints`, `safety` (credentials), `writer` (YAML).

pub mod clf;
pub mod endpoints;
pub mod fastly;
pub mod har;
pub mod input;
pub mod logpush;
pub mod record;
pub mod safety;
pub mod sitemap;
pub mod template;
pub mod urls;
pub mod writer;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use record::{normalize_host, split_absolute, Record, Scheme};

/// `--format` values.
pub const FORMATS: &[&str] = &[
    "auto", "logpush", "fastly", "nginx", "har", "urls", "sitemap",
];

/// How many skipped lines are quoted (`file:line: reason`) in the summary.
pub const SKIP_EXAMPLES: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("unknown format `{given}` (supported: {}){hint}", FORMATS.join(", "))]
    UnknownFormat { given: String, hint: String },
    #[error("{0}")]
    Usage(String),
    #[error("{}: {reason}; pass --format (supported: {})", .name, FORMATS.join(", "))]
    Undetected { name: String, reason: String },
    #[error("will not overwrite {}: pass --force", .paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists { paths: Vec<PathBuf> },
    /// The OS error as text, not a source: a `{:#}` chain would print it
    /// twice.
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// What `--format` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    Auto,
    Logpush,
    Fastly,
    Nginx,
    Har,
    Urls,
    Sitemap,
}

impl FormatArg {
    pub fn parse(s: &str) -> Result<FormatArg, ImportError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "auto" => FormatArg::Auto,
            "logpush" | "cloudflare" => FormatArg::Logpush,
            "fastly" => FormatArg::Fastly,
            "nginx" | "apache" | "combined" | "common" => FormatArg::Nginx,
            "har" => FormatArg::Har,
            "urls" | "url" => FormatArg::Urls,
            "sitemap" => FormatArg::Sitemap,
            _ => {
                return Err(ImportError::UnknownFormat {
                    given: s.to_string(),
                    hint: crate::yaml::hint(s, FORMATS),
                })
            }
        })
    }
}

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Logpush,
    FastlyJson,
    /// nginx `combined`, Apache common/combined, Fastly's default format;
    /// `host_first`: the `$host`-prefixed variant (decided per line when
    /// parsing; this is what the first lines showed).
    AccessLog {
        host_first: bool,
    },
    Har,
    Urls,
    Sitemap,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::Logpush => "Cloudflare Logpush http_requests (NDJSON)",
            Format::FastlyJson => "Fastly JSON log lines",
            Format::AccessLog { host_first: true } => "access log, combined with $host first (nginx variant)",
            Format::AccessLog { host_first: false } => {
                "access log, common/combined (nginx, Apache, Fastly default): no host, --host gives it"
            }
            Format::Har => "HAR 1.2",
            Format::Urls => "URL list",
            Format::Sitemap => "sitemap.xml",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub format: FormatArg,
    pub out: PathBuf,
    pub per_endpoint: usize,
    pub max_cases: Option<usize>,
    /// The host of records that carry none; when given, records of other
    /// hosts are left out.
    pub host: Option<String>,
    /// The scheme of records that carry none.
    pub scheme: Scheme,
    pub force: bool,
    pub include_unsafe: bool,
    /// `NAME=KEY` for Fastly JSON lines.
    pub fields: Vec<String>,
    /// Extra credential words for query parameter names.
    pub secret_params: Vec<String>,
    pub credentials: writer::Credentials,
    pub slug_threshold: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: FormatArg::Auto,
            out: PathBuf::from("suites/imported"),
            per_endpoint: 3,
            max_cases: None,
            host: None,
            scheme: Scheme::Https,
            force: false,
            include_unsafe: false,
            fields: Vec::new(),
            secret_params: Vec::new(),
            credentials: writer::Credentials::Placeholder,
            slug_threshold: template::DEFAULT_SLUG_THRESHOLD,
        }
    }
}

/// Where in a file something happened.
#[derive(Debug, Clone, Copy)]
pub enum Pos {
    Line(u64),
    Entry(u64),
    File,
}

enum Item<'a> {
    Record(Record<'a>),
    Skip(Cow<'a, str>),
    Blank,
    /// A sitemap index child.
    Child(String),
    /// The file cannot be read further.
    Fatal(String),
}

/// One input and what was made of it.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub name: String,
    pub format: Option<Format>,
    pub how: String,
}

/// What happened, for the summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: Vec<FileReport>,
    /// Lines, HAR entries and sitemap `<loc>`s read.
    pub read: u64,
    pub parsed: u64,
    pub blank: u64,
    pub skipped: u64,
    pub skip_examples: Vec<String>,
    pub skip_reasons: BTreeMap<String, u64>,
    /// Parsed but left out (method, other host), by reason.
    pub dropped: BTreeMap<String, u64>,
    pub sitemap_children: Vec<String>,
    pub sitemap_children_total: u64,
    pub endpoints: usize,
    pub slug_positions: usize,
    pub templating_full: bool,
    pub evicted_endpoints: u64,
    pub evicted_hits: u64,
    /// Cases or endpoints left out when writing, by reason.
    pub cases_dropped: BTreeMap<String, u64>,
    pub suites: Vec<WrittenSuite>,
}

#[derive(Debug, Clone)]
pub struct WrittenSuite {
    pub path: PathBuf,
    pub host: String,
    pub endpoints: usize,
    pub cases: usize,
    pub vars: Vec<String>,
}

impl Summary {
    /// Nothing could be read: the import failed (exit 2).
    pub fn nothing_read(&self) -> bool {
        self.parsed == 0
    }

    pub fn render(&self) -> String {
        let mut t = String::new();
        for f in &self.files {
            let _ = writeln!(t, "{}: {}", f.name, f.how);
        }
        let _ = writeln!(
            t,
            "read {} lines/entries: {} parsed, {} skipped, {} blank or comments",
            self.read, self.parsed, self.skipped, self.blank
        );
        if !self.skip_examples.is_empty() {
            let _ = writeln!(t, "skipped (first {}):", self.skip_examples.len());
            for e in &self.skip_examples {
                let _ = writeln!(t, "  {e}");
            }
            let _ = writeln!(t, "skipped by reason: {}", by_reason(&self.skip_reasons));
        }
        if self.sitemap_children_total > 0 {
            let _ = writeln!(
                t,
                "sitemap index: {} child sitemaps named; import never fetches: pass them as files{}",
                self.sitemap_children_total,
                if self.sitemap_children.is_empty() { String::new() } else { format!(" ({}{})", self.sitemap_children.join(", "), if self.sitemap_children_total as usize > self.sitemap_children.len() { ", ..." } else { "" }) }
            );
        }
        let dropped: u64 = self.dropped.values().sum();
        if dropped > 0 {
            let _ = writeln!(
                t,
                "left out {dropped} requests: {}",
                by_reason(&self.dropped)
            );
        }
        let _ = writeln!(
            t,
            "{} endpoints found ({} high-cardinality positions became {{slug}})",
            self.endpoints, self.slug_positions
        );
        if self.templating_full {
            let _ = writeln!(
                t,
                "note: too many distinct path positions to track them all; some stayed literal"
            );
        }
        if self.evicted_endpoints > 0 {
            let _ = writeln!(
                t,
                "note: more than {} endpoints: the {} least requested ({} requests) were dropped",
                endpoints::MAX_ENDPOINTS,
                self.evicted_endpoints,
                self.evicted_hits
            );
        }
        for s in &self.suites {
            let _ = write!(
                t,
                "wrote {}: {} endpoints, {} cases",
                s.path.display(),
                s.endpoints,
                s.cases
            );
            if !s.vars.is_empty() {
                let _ = write!(t, "; export {} before running", s.vars.join(", "));
            }
            t.push('\n');
        }
        if !self.cases_dropped.is_empty() {
            let _ = writeln!(t, "not written: {}", by_reason(&self.cases_dropped));
        }
        if self.nothing_read() {
            let _ = writeln!(t, "nothing could be read: no suite written");
        } else if self.suites.is_empty() {
            let _ = writeln!(t, "no case to write: no suite written");
        }
        t
    }
}

fn by_reason(m: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    v.iter()
        .map(|(r, n)| format!("{n} {r}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Count a reason in a bounded table (at most 64 distinct reasons).
fn count(m: &mut BTreeMap<String, u64>, reason: &str) {
    if let Some(n) = m.get_mut(reason) {
        *n += 1;
    } else if m.len() < 64 {
        m.insert(reason.to_string(), 1);
    } else {
        *m.entry("other reasons".into()).or_default() += 1;
    }
}

const HEAD_BYTES: usize = 64 * 1024;

/// Decide a file's format from its first bytes (decompressed).
pub fn detect(
    head: &[u8],
    arg: FormatArg,
    fields: &fastly::FieldMap,
) -> Result<(Format, String), String> {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    // The last line may be cut by the head's end.
    let complete: Vec<&str> = {
        let mut ls: Vec<&str> = t.lines().collect();
        if head.len() >= HEAD_BYTES && ls.len() > 1 {
            ls.pop();
        }
        ls.into_iter()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .take(20)
            .collect()
    };
    let access = |given: bool| -> (Format, String) {
        let sniffs: Vec<bool> = complete.iter().filter_map(|l| clf::sniff(l)).collect();
        let host_first = sniffs.iter().filter(|h| **h).count() * 2 > sniffs.len();
        let f = Format::AccessLog { host_first };
        (
            f,
            format!(
                "{} ({})",
                f.describe(),
                if given { "--format" } else { "detected" }
            ),
        )
    };
    let given = |f: Format| Ok((f, format!("{} (--format)", f.describe())));
    match arg {
        FormatArg::Logpush => return given(Format::Logpush),
        FormatArg::Har => return given(Format::Har),
        FormatArg::Urls => return given(Format::Urls),
        FormatArg::Sitemap => return given(Format::Sitemap),
        FormatArg::Nginx => return Ok(access(true)),
        FormatArg::Fastly => {
            return if t.starts_with('{') {
                given(Format::FastlyJson)
            } else {
                Ok(access(true))
            }
        }
        FormatArg::Auto => {}
    }
    let detected = |f: Format, why: &str| Ok((f, format!("{} (detected: {why})", f.describe())));
    if t.is_empty() {
        return Err("empty: nothing to detect".into());
    }
    if t.starts_with('<') {
        return if t.contains("<urlset") {
            detected(Format::Sitemap, "XML with <urlset>")
        } else if t.contains("<sitemapindex") {
            detected(Format::Sitemap, "XML with <sitemapindex>")
        } else {
            Err("XML, but neither <urlset> nor <sitemapindex>".into())
        };
    }
    if t.starts_with('{') || t.starts_with('[') {
        let first = t.lines().next().unwrap_or("");
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(first) {
            let keys: Vec<String> = m.keys().cloned().collect();
            if logpush::sniff(&keys) {
                return detected(Format::Logpush, "JSON lines with ClientRequest* fields");
            }
            if m.contains_key("log") {
                return detected(Format::Har, "a JSON document with a `log` object");
            }
            if fields.sniff(&keys) {
                return detected(Format::FastlyJson, "JSON lines with a url key");
            }
            return Err("JSON lines, but neither Logpush fields (ClientRequestURI...) nor a `url` key (map one with --field url=KEY)".into());
        }
        if t.contains("\"log\"") {
            return detected(Format::Har, "a JSON document with a `log` object");
        }
        return Err("JSON, but neither JSON lines nor a HAR document".into());
    }
    if complete.is_empty() {
        return Err("only blank or comment lines".into());
    }
    let clf_n = complete.iter().filter(|l| clf::sniff(l).is_some()).count();
    let url_n = complete.iter().filter(|l| urls::sniff(l)).count();
    if clf_n * 2 >= complete.len() && clf_n > 0 {
        let (f, _) = access(false);
        return detected(f, "[time] \"request\" status lines");
    }
    if url_n * 2 >= complete.len() && url_n > 0 {
        return detected(Format::Urls, "one URL or /path per line");
    }
    Err("neither access log lines, JSON, XML nor a URL list".into())
}

struct Admitted<'a> {
    host: Cow<'a, str>,
    scheme: Scheme,
    method: Cow<'a, str>,
    target: &'a str,
}

enum Reject {
    Skip(&'static str),
    Drop(String),
}

struct Importer<'o> {
    opts: &'o Options,
    fields: fastly::FieldMap,
    host: Option<String>,
}

impl Importer<'_> {
    /// Whether a record is imported, and as what. Borrows where it can:
    /// this runs twice per line.
    fn admit<'a>(&'a self, r: &'a Record) -> Result<Admitted<'a>, Reject> {
        let m = r.method.trim();
        let method: Cow<str> = if m.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(m.to_ascii_uppercase())
        } else {
            Cow::Borrowed(m)
        };
        if method.is_empty()
            || method.len() > 20
            || !method.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(Reject::Skip("the method is not an HTTP method"));
        }
        let mut scheme = r.scheme;
        let mut host: Option<&str> = r.host.as_deref();
        let mut target: &str = &r.target;
        if !target.starts_with('/') {
            // Absolute-form (proxy-style) targets.
            match split_absolute(target) {
                Some((s, h, t)) => {
                    scheme = scheme.or(Some(s));
                    host = host.or(Some(h));
                    target = t;
                }
                None => return Err(Reject::Skip("the request target is not a path")),
            }
        }
        if target.starts_with("//") {
            return Err(Reject::Skip("the request target is not a path"));
        }
        let scheme = scheme.unwrap_or(self.opts.scheme);
        let own = host.filter(|h| !h.is_empty() && *h != "-");
        let host: Cow<str> = match (own, &self.host) {
            (Some(h), wanted) => {
                let h = normalize_host(h, scheme)
                    .ok_or(Reject::Skip("the host is not a valid host name"))?;
                if let Some(w) = wanted {
                    if w.as_str() != h.as_ref() {
                        return Err(Reject::Drop("for another host than --host".into()));
                    }
                }
                h
            }
            (None, Some(w)) => Cow::Borrowed(w.as_str()),
            (None, None) => return Err(Reject::Skip("no host in this record: pass --host HOST")),
        };
        if !(method == "GET" || method == "HEAD" || self.opts.include_unsafe) {
            return Err(Reject::Drop(format!(
                "with method {method} (--include-unsafe keeps them)"
            )));
        }
        if method == "CONNECT" {
            return Err(Reject::Drop("with method CONNECT".into()));
        }
        Ok(Admitted {
            host,
            scheme,
            method,
            target,
        })
    }

    /// Stream one input, calling `f` for every item.
    fn scan(&self, src: &input::Source, format: Format, f: &mut dyn FnMut(Pos, Item<'_>)) {
        let mut reader = match src.open() {
            Ok(r) => r,
            Err(e) => {
                f(
                    Pos::File,
                    Item::Fatal(format!(
                        "cannot read: {}",
                        crate::fsio::os_error(&src.path, &e)
                    )),
                );
                return;
            }
        };
        match format {
            Format::Har => {
                let res = har::read(reader, &mut |n, r| match r {
                    Ok(rec) => f(Pos::Entry(n), Item::Record(rec)),
                    Err(e) => f(Pos::Entry(n), Item::Skip(Cow::Owned(e))),
                });
                if let Err((line, msg)) = res {
                    f(Pos::Line(line), Item::Fatal(msg));
                }
            }
            Format::Sitemap => {
                let res = sitemap::read(reader, &mut |line, item| match item {
                    sitemap::Item::Record(r) => f(Pos::Line(line), Item::Record(r)),
                    sitemap::Item::Child(c) => f(Pos::Line(line), Item::Child(c)),
                    sitemap::Item::Skip(s) => f(Pos::Line(line), Item::Skip(Cow::Owned(s))),
                });
                if let Err((line, msg)) = res {
                    f(Pos::Line(line), Item::Fatal(msg));
                }
            }
            _ => {
                let res = input::for_each_line(&mut reader, |n, line| {
                    let pos = Pos::Line(n);
                    match line {
                        input::Line::TooLong => {
                            f(pos, Item::Skip(Cow::Borrowed("line longer than 256 KiB")))
                        }
                        input::Line::NotUtf8 => f(pos, Item::Skip(Cow::Borrowed("not UTF-8"))),
                        input::Line::Text(t) if t.trim().is_empty() => f(pos, Item::Blank),
                        input::Line::Text(t) => {
                            let item = match format {
                                Format::Logpush => logpush::parse(t).map(Item::Record),
                                Format::FastlyJson => {
                                    fastly::parse(t, &self.fields).map(Item::Record)
                                }
                                Format::AccessLog { .. } => clf::parse(t).map(Item::Record),
                                _ => urls::parse(t).map(|r| r.map_or(Item::Blank, Item::Record)),
                            };
                            f(pos, item.unwrap_or_else(|e| Item::Skip(Cow::Borrowed(e))));
                        }
                    }
                    true
                });
                if let Err((n, e)) = res {
                    f(
                        Pos::Line(n),
                        Item::Fatal(format!("cannot read further ({e}): truncated or corrupt?")),
                    );
                }
            }
        }
    }
}

fn at(name: &str, pos: Pos) -> String {
    match pos {
        Pos::Line(n) => format!("{name}:{n}"),
        Pos::Entry(n) => format!("{name}: log.entries[{n}]"),
        Pos::File => name.to_string(),
    }
}

/// Import `inputs` (paths, or `-` for standard input) and write the suites.
/// `Err` is bad usage or an output problem (exit 2); a summary with nothing
/// read (`Summary::nothing_read`) is also exit 2, and writes nothing.
pub fn run(opts: &Options, inputs: &[PathBuf]) -> Result<Summary, ImportError> {
    if inputs.is_empty() {
        return Err(ImportError::Usage(
            "no input: name log files, or `-` for standard input".into(),
        ));
    }
    let fields = fastly::FieldMap::with_overrides(&opts.fields).map_err(ImportError::Usage)?;
    let host = match &opts.host {
        Some(h) => Some(
            normalize_host(h, opts.scheme)
                .map(Cow::into_owned)
                .ok_or_else(|| ImportError::Usage(format!("--host `{h}` is not a host name")))?,
        ),
        None => None,
    };
    let imp = Importer { opts, fields, host };
    let mut summary = Summary::default();

    // Open and detect.
    let mut sources: Vec<(input::Source, Format)> = Vec::new();
    for arg in inputs {
        let name = if arg.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            arg.display().to_string()
        };
        let src = match input::Source::new(arg) {
            Ok(s) => s,
            Err(e) => {
                let e = crate::fsio::os_error(arg, &e);
                summary.files.push(FileReport {
                    name: name.clone(),
                    format: None,
                    how: format!("cannot read: {e}"),
                });
                summary
                    .skip_examples
                    .push(format!("{name}: cannot read: {e}"));
                count(&mut summary.skip_reasons, "unreadable file");
                summary.skipped += 1;
                continue;
            }
        };
        let head = src.head(HEAD_BYTES);
        let detected = match &head {
            Ok(h) => detect(h, opts.format, &imp.fields),
            Err(e) => Err(format!("cannot read: {}", crate::fsio::os_error(arg, e))),
        };
        match detected {
            Ok((format, how)) => {
                summary.files.push(FileReport {
                    name: src.name.clone(),
                    format: Some(format),
                    how,
                });
                sources.push((src, format));
            }
            Err(reason) => {
                if inputs.len() == 1 {
                    return Err(ImportError::Undetected {
                        name: src.name.clone(),
                        reason,
                    });
                }
                summary.files.push(FileReport {
                    name: src.name.clone(),
                    format: None,
                    how: format!(
                        "skipped: {reason}; pass --format (supported: {})",
                        FORMATS.join(", ")
                    ),
                });
                count(&mut summary.skip_reasons, "file of unknown format");
                summary.skipped += 1;
            }
        }
    }

    // Pass 1: learn high-cardinality positions.
    let secrets = safety::Secrets::new(&opts.secret_params);
    let mut templater = template::Templater::new(opts.slug_threshold, secrets.clone());
    for (src, format) in &sources {
        imp.scan(src, *format, &mut |_, item| {
            if let Item::Record(r) = item {
                if let Ok(a) = imp.admit(&r) {
                    templater.observe(&a.host, a.target);
                }
            }
        });
    }

    // Pass 2: group into endpoints, and count everything.
    let mut agg = endpoints::Aggregator::new(opts.per_endpoint);
    for (src, format) in &sources {
        let name = &src.name;
        imp.scan(src, *format, &mut |pos, item| {
            let skip = |summary: &mut Summary, reason: &str| {
                summary.skipped += 1;
                count(&mut summary.skip_reasons, reason);
                if summary.skip_examples.len() < SKIP_EXAMPLES {
                    summary
                        .skip_examples
                        .push(format!("{}: {reason}", at(name, pos)));
                }
            };
            match item {
                Item::Record(r) => {
                    summary.read += 1;
                    match imp.admit(&r) {
                        Ok(a) => {
                            summary.parsed += 1;
                            let t = templater.template(&a.host, a.target);
                            agg.add(&a.host, a.scheme, &a.method, &t, a.target, &r);
                        }
                        Err(Reject::Skip(reason)) => skip(&mut summary, reason),
                        Err(Reject::Drop(reason)) => {
                            summary.parsed += 1;
                            count(&mut summary.dropped, &reason);
                        }
                    }
                }
                Item::Skip(reason) => {
                    summary.read += 1;
                    skip(&mut summary, &reason);
                }
                Item::Blank => {
                    summary.read += 1;
                    summary.blank += 1;
                }
                Item::Child(url) => {
                    summary.read += 1;
                    summary.sitemap_children_total += 1;
                    if summary.sitemap_children.len() < 5 {
                        summary.sitemap_children.push(writer_safe(&url));
                    }
                }
                Item::Fatal(msg) => skip(&mut summary, &msg),
            }
        });
    }
    summary.endpoints = agg.len();
    summary.slug_positions = templater.slug_nodes();
    summary.templating_full = templater.nodes_full;
    summary.evicted_endpoints = agg.evicted_endpoints;
    summary.evicted_hits = agg.evicted_hits;
    if summary.nothing_read() {
        return Ok(summary);
    }

    // Build, check, write.
    let ranked = agg.ranked();
    let limits = writer::Limits {
        per_endpoint: opts.per_endpoint,
        max_cases: opts.max_cases,
    };
    let suites = writer::build(
        &ranked,
        &agg.hosts,
        &limits,
        &secrets,
        opts.credentials,
        &mut summary.cases_dropped,
    );
    write_suites(&opts.out, &suites, opts.force)?;
    for s in suites {
        summary.suites.push(WrittenSuite {
            path: opts.out.join(&s.file_name),
            host: s.host,
            endpoints: s.endpoints,
            cases: s.cases,
            vars: s.vars.keys().cloned().collect(),
        });
    }
    Ok(summary)
}

/// A URL from a sitemap index, for the summary: printable ASCII, bounded.
fn writer_safe(s: &str) -> String {
    s.chars()
        .filter(|c| (' '..='~').contains(c))
        .take(200)
        .collect()
}

/// Write every suite, each atomically; refuse (before writing any) to
/// overwrite existing files without `force`.
pub fn write_suites(
    dir: &Path,
    suites: &[writer::SuiteText],
    force: bool,
) -> Result<(), ImportError> {
    let existing: Vec<PathBuf> = suites
        .iter()
        .map(|s| dir.join(&s.file_name))
        .filter(|p| p.exists())
        .collect();
    if !force && !existing.is_empty() {
        return Err(ImportError::Exists { paths: existing });
    }
    if suites.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| ImportError::Write {
        path: dir.to_path_buf(),
        message: crate::fsio::os_error(dir, &e),
    })?;
    for s in suites {
        let path = dir.join(&s.file_name);
        // Atomically, with the mode of a plain write (0666 less the umask;
        // a replaced file keeps its own), like the reports: a suite is a
        // file to commit and share, and holds no secret (`${VAR}` in its
        // place).
        crate::fsio::write_atomic(&path, s.text.as_bytes()).map_err(|e| ImportError::Write {
            message: crate::fsio::os_error(&path, &e),
            path,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(s: &str) -> Result<Format, String> {
        detect(s.as_bytes(), FormatArg::Auto, &fastly::FieldMap::default()).map(|(f, _)| f)
    }

    #[test]
    fn detection_says_what_it_chose() {
        assert_eq!(
            det(r#"{"ClientRequestHost":"h","ClientRequestURI":"/"}"#),
            Ok(Format::Logpush)
        );
        assert_eq!(
            det(r#"{"host":"h","url":"/","state":"HIT"}"#),
            Ok(Format::FastlyJson)
        );
        assert_eq!(
            det("{\n  \"log\": {\n \"version\": \"1.2\""),
            Ok(Format::Har)
        );
        assert_eq!(
            det("<?xml version=\"1.0\"?>\n<urlset>"),
            Ok(Format::Sitemap)
        );
        assert_eq!(det("<sitemapindex>"), Ok(Format::Sitemap));
        assert_eq!(
            det("1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n"),
            Ok(Format::AccessLog { host_first: false })
        );
        assert_eq!(
            det("h.example 1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n"),
            Ok(Format::AccessLog { host_first: true })
        );
        assert_eq!(det("# urls\nhttps://a/b\n/c\n"), Ok(Format::Urls));
        assert!(det("{\"foo\":1}").unwrap_err().contains("--field url=KEY"));
        assert!(det("hello world\n").is_err());
        assert!(det("").is_err());
        assert!(
            matches!(FormatArg::parse("ngnix"), Err(ImportError::UnknownFormat { hint, .. }) if hint.contains("nginx"))
        );
        let e = FormatArg::parse("xml").unwrap_err().to_string();
        assert!(
            e.contains("supported: auto, logpush, fastly, nginx, har, urls, sitemap"),
            "{e}"
        );
    }
}
