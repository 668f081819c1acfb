//! Endpoints, not URLs: the route template of a request target.
//!
//! `/item/123` and `/item/456` are one endpoint, `GET /item/{num}`. A
//! template is made segment by segment (and query value by query value):
//!
//! 1. **By shape**, context-free: all digits → `{num}`; a UUID → `{uuid}`;
//!    a date (`2024-01-31`, `2024-01`, `2024-01-31T10:00:00Z`,
//!    `20250101T000000Z`) → `{date}`;
//!    hex of 16+ characters, or of 8+ with both digits and letters →
//!    `{hex}`; a JWT or a credential assignment → `{secret}`. A file name
//!    keeps its extension: `123.json` → `{num}.json`, `app.3f9a8b7c1d2e.js`
//!    → `app.{hex}.js`.
//! 2. **By cardinality** (high-cardinality slugs), learned from the traffic
//!    in a first pass: for every *node* — a host and the template of the
//!    path before a position (or a path template and a query parameter
//!    name) — import counts the distinct literal values seen at that
//!    position. Once a node has seen more than `slug_threshold` (default
//!    [`DEFAULT_SLUG_THRESHOLD`]) distinct values, every literal value there
//!    becomes `{slug}` (`/blog/{slug}`, `/img/{slug}.jpg`, `?q={slug}`).
//!    - The first path segment counts only slug-shaped values (with `-` or
//!      `_` and 6+ letters or digits, or 24+ characters): top-level
//!      sections (`/api`, `/static`, `/about`) stay literal however many
//!      there are.
//!    - Decisions are made in input order, in one pass: once a node turns to
//!      `{slug}`, deeper positions are counted under the `{slug}` prefix from
//!      then on.
//!    - Bounds: a node keeps at most `slug_threshold + 1` 64-bit hashes
//!      (FNV-1a, so the same input always gives the same decisions), then
//!      only a flag; at most [`MAX_NODES`] nodes are tracked (beyond that,
//!      new positions stay literal and the summary says so).
//!
//! Query parameters are listed in the template sorted by name (samples keep
//! the order seen), so `?b=1&a=2` and `?a=3&b=4` are one endpoint.

use std::borrow::Cow;
use std::collections::HashMap;

use super::safety::Secrets;

pub const DEFAULT_SLUG_THRESHOLD: usize = 32;
pub const MAX_NODES: usize = 100_000;

enum Node {
    Counting(Vec<u64>),
    Slug,
}

/// Learns slug positions (first pass), then templates targets (second pass).
pub struct Templater {
    threshold: usize,
    max_nodes: usize,
    nodes: HashMap<u64, Node>,
    /// Set when a node could not be tracked for lack of room.
    pub nodes_full: bool,
    secrets: Secrets,
}

impl Templater {
    pub fn new(threshold: usize, secrets: Secrets) -> Templater {
        Templater {
            threshold: threshold.max(1),
            max_nodes: MAX_NODES,
            nodes: HashMap::new(),
            nodes_full: false,
            secrets,
        }
    }

    /// First pass: count this target's values.
    pub fn observe(&mut self, host: &str, target: &str) {
        self.walk(host, target, true);
    }

    /// Second pass: the template (nothing is learned).
    pub fn template(&mut self, host: &str, target: &str) -> String {
        self.walk(host, target, false)
    }

    /// How many slug positions were found.
    pub fn slug_nodes(&self) -> usize {
        self.nodes
            .values()
            .filter(|n| matches!(n, Node::Slug))
            .count()
    }

    fn walk(&mut self, host: &str, target: &str, observe: bool) -> String {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let mut out = String::with_capacity(target.len());
        let mut h = fnv(FNV_OFFSET, host.as_bytes());
        let path = path.strip_prefix('/').unwrap_or(path);
        for (depth, seg) in path.split('/').enumerate() {
            out.push('/');
            let t: Cow<str> = if let Some(t) = by_shape(seg) {
                Cow::Owned(t)
            } else if self.secrets.is_secret_segment(seg) {
                Cow::Borrowed("{secret}")
            } else if seg.is_empty() || (depth == 0 && !slug_shaped(seg)) {
                Cow::Borrowed(seg)
            } else if self.is_slug(h, seg, observe) {
                Cow::Owned(slug_of(seg))
            } else {
                Cow::Borrowed(seg)
            };
            out.push_str(&t);
            h = fnv(fnv(h, b"/"), t.as_bytes());
        }
        if let Some(q) = query {
            let mut params: Vec<(String, String)> = Vec::new();
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let vt: Cow<str> = if value.is_empty() {
                    Cow::Borrowed("")
                } else if self.secrets.is_secret_name(name) || self.secrets.is_secret_value(value) {
                    Cow::Borrowed("{secret}")
                } else if let Some(t) = by_shape(value) {
                    Cow::Owned(t)
                } else {
                    let node = fnv(fnv(h, b"?"), name.as_bytes());
                    if self.is_slug(node, value, observe) {
                        Cow::Borrowed("{slug}")
                    } else {
                        Cow::Borrowed(value)
                    }
                };
                let name = if self.secrets.is_secret_value(name) {
                    "{secret}".to_string()
                } else {
                    name.to_string()
                };
                let param = if pair.contains('=') {
                    format!("{name}={vt}")
                } else {
                    name
                };
                params.push((pair.split('=').next().unwrap_or("").to_string(), param));
            }
            params.sort();
            out.push('?');
            for (i, (_, p)) in params.iter().enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(p);
            }
        }
        out
    }

    /// Whether the literal `value` at `node` is a slug; in the first pass,
    /// count it.
    fn is_slug(&mut self, node: u64, value: &str, observe: bool) -> bool {
        match self.nodes.get_mut(&node) {
            Some(Node::Slug) => true,
            Some(Node::Counting(seen)) => {
                if !observe {
                    return false;
                }
                let v = fnv(FNV_OFFSET, value.as_bytes());
                if !seen.contains(&v) {
                    seen.push(v);
                    if seen.len() > self.threshold {
                        self.nodes.insert(node, Node::Slug);
                        return true;
                    }
                }
                false
            }
            None => {
                if observe {
                    if self.nodes.len() >= self.max_nodes {
                        self.nodes_full = true;
                    } else {
                        self.nodes.insert(
                            node,
                            Node::Counting(vec![fnv(FNV_OFFSET, value.as_bytes())]),
                        );
                    }
                }
                false
            }
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A placeholder for a value by its shape alone, or `None`.
pub fn by_shape(v: &str) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    if let Some(p) = whole_shape(v) {
        return Some(p.to_string());
    }
    // A file name: classify the parts before the extension (none can have
    // a shape without a digit, unless it is 16+ characters of hex).
    let (stem, ext) = split_ext(v)?;
    if stem.len() < 16 && !stem.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut changed = false;
    let parts: Vec<Cow<str>> = stem
        .split('.')
        .map(|p| match whole_shape(p) {
            Some(t) => {
                changed = true;
                Cow::Borrowed(t)
            }
            None => Cow::Borrowed(p),
        })
        .collect();
    changed.then(|| format!("{}.{ext}", parts.join(".")))
}

fn whole_shape(v: &str) -> Option<&'static str> {
    if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
        Some("{num}")
    } else if is_uuid(v) {
        Some("{uuid}")
    } else if is_date(v) {
        Some("{date}")
    } else if is_hex(v) {
        Some("{hex}")
    } else {
        None
    }
}

/// `name.ext` with an extension of 1–8 letters or digits holding a letter.
fn split_ext(v: &str) -> Option<(&str, &str)> {
    let (stem, ext) = v.rsplit_once('.')?;
    let ok = !stem.is_empty()
        && (1..=8).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && ext.bytes().any(|b| b.is_ascii_alphabetic());
    ok.then_some((stem, ext))
}

fn slug_of(v: &str) -> String {
    match split_ext(v) {
        Some((_, ext)) => format!("{{slug}}.{ext}"),
        None => "{slug}".into(),
    }
}

/// Slug-shaped (counted at the first path position): words joined by `-`
/// or `_` with 6+ letters or digits, or 24+ characters.
fn slug_shaped(v: &str) -> bool {
    v.len() >= 24
        || (v.contains(['-', '_']) && v.bytes().filter(|b| b.is_ascii_alphanumeric()).count() >= 6)
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_hex(v: &str) -> bool {
    let all_hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    all_hex
        && (v.len() >= 16
            || (v.len() >= 8
                && v.bytes().any(|b| b.is_ascii_digit())
                && v.bytes().any(|b| b.is_ascii_alphabetic())))
}

/// `YYYY-MM`, `YYYY-MM-DD`, optionally followed by `T` or a space and a
/// time (`%3A`-encoded colons allowed); `YYYYMMDDTHHMMSS[Z]`.
fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| v.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    // Compact ISO 8601 date-time: 20250101T000000Z (AWS X-Amz-Date).
    if (15..=16).contains(&b.len()) && digits(0..8) && b[8] == b'T' && digits(9..15) {
        return b.len() == 15 || b[15] == b'Z';
    }
    if b.len() < 7
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || !(1..=12).contains(&num(5..7))
    {
        return false;
    }
    if b.len() == 7 {
        return true;
    }
    if b.len() < 10 || b[7] != b'-' || !digits(8..10) || !(1..=31).contains(&num(8..10)) {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    (b[10] == b'T' || b[10] == b't' || v[10..].starts_with("%20"))
        && v[10..].bytes().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(learn: &[&str], ask: &[&str]) -> String {
        let mut tp = Templater::new(3, Secrets::default());
        for u in learn {
            tp.observe("h", u);
        }
        ask.iter()
            .map(|u| format!("{u:<50} {}", tp.template("h", u)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn shapes() {
        let cases = [
            "/",
            "/item/123",
            "/item/456/",
            "/u/550e8400-e29b-41d4-a716-446655440000/profile",
            "/a/3f9a8b7c1d2e4f5a6b7c8d9e0f1a2b3c",
            "/a/deadbeef",
            "/a/cafe1234",
            "/archive/2024-01-31",
            "/archive/2024-01",
            "/archive/2024-13",
            "/log/2024-01-31T10:00:00Z",
            "/img/123.jpg",
            "/static/app.3f9a8b7c1d2e.js",
            "/static/app.js",
            "/v1.2/x",
            "/api/item?id=42",
            "/api/item?id=42&format=json",
            "/api/item?format=json&id=7",
            "/search?q=&page=2&sort",
            "/dl?token=abc&file=report.pdf",
            "/dl?X-Amz-Signature=abcdef&X-Amz-Date=20250101T000000Z",
            "/r?next=https%3A%2F%2Fx%2F%3Fsig%3Dabc",
            "/j/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "/page;jsessionid=ABCDEF0123/x",
        ];
        insta::assert_snapshot!("template_shapes", t(&[], &cases));
    }

    #[test]
    fn high_cardinality_slugs() {
        let learn = [
            "/blog/first-post",
            "/blog/second-post",
            "/blog/third-post",
            "/blog/fourth-post",
            "/blog/fourth-post", // repeats do not count
            "/blog/fifth-post/comments",
            "/img/a.jpg",
            "/img/b.jpg",
            "/img/c.png",
            "/img/d.jpg",
            "/api/users",
            "/api/orders",
            "/api/items",
            "/search?q=shoes",
            "/search?q=hats",
            "/search?q=socks",
            "/search?q=red+shoes",
            "/about",
            "/contact",
            "/pricing",
            "/help",
            "/my-first-landing-page",
            "/my-second-landing-page",
            "/my-third-landing-page",
            "/my-fourth-landing-page",
        ];
        let ask = [
            "/blog/first-post",
            "/blog/never-seen-before",
            "/blog/sixth-post/comments",
            "/img/z.jpg",
            "/img/z.png",
            "/api/users",
            "/search?q=anything",
            "/about",
            "/never-seen",
            "/my-first-landing-page",
        ];
        insta::assert_snapshot!("template_slugs", t(&learn, &ask));
    }

    #[test]
    fn decisions_are_deterministic_and_per_host() {
        let mut a = Templater::new(2, Secrets::default());
        for u in ["/p/a", "/p/b", "/p/c"] {
            a.observe("one", u);
        }
        a.observe("two", "/p/a");
        assert_eq!(a.template("one", "/p/x"), "/p/{slug}");
        assert_eq!(a.template("two", "/p/x"), "/p/x");
        assert_eq!(a.slug_nodes(), 1);
    }

    #[test]
    fn nodes_are_bounded() {
        let mut a = Templater::new(2, Secrets::default());
        a.max_nodes = 2;
        for u in ["/a/x", "/b/x", "/c/x", "/d/x"] {
            a.observe("h", u);
        }
        assert!(a.nodes_full);
        assert!(a.nodes.len() <= 2);
    }
}
