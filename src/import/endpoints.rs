//! Grouping requests into endpoints, in bounded memory.
//!
//! An endpoint is (host, method, template). For each one import keeps:
//! hits, statuses, cache outcomes, the most frequent `Accept` and
//! `Accept-Language` values (for Vary probes), content types, and a bounded
//! set of candidate sample URLs.
//!
//! Bounds, all deterministic (the same input in the same order always gives
//! the same result):
//!
//! - **Samples**: at most `max(2 × per_endpoint + 2, 8)` distinct targets
//!   per endpoint, counted with the Space-Saving algorithm: a new target
//!   arriving when the set is full replaces the least counted one (ties: the
//!   greatest target in byte order) and inherits its count plus one. Any
//!   target seen more often than 1/K of the endpoint's hits is guaranteed to
//!   be kept, with its count over-estimated by at most the replaced count.
//! - **Header values** (Accept, Accept-Language) and content types: the
//!   same, 8 and 4 per endpoint.
//! - **Endpoints**: at most [`MAX_ENDPOINTS`]. When a new endpoint would
//!   exceed it, the least-hit quarter is dropped (ties: greatest key) and
//!   the summary counts the endpoints and hits lost that way.
//!
//! The two credential headers are recorded per sample only as flags.

use std::collections::{BTreeMap, HashMap};

use super::record::{Cache, Record, Scheme};

pub const MAX_ENDPOINTS: usize = 20_000;

/// A bounded frequency table (Space-Saving).
#[derive(Debug, Clone)]
pub struct TopK<V> {
    cap: usize,
    items: Vec<(String, u64, V)>,
    /// Per item, the count it inherited when it replaced another: its true
    /// count is at least `count - inherited`.
    inherited: Vec<u64>,
}

impl<V> TopK<V> {
    pub fn new(cap: usize) -> Self {
        TopK {
            cap: cap.max(1),
            items: Vec::new(),
            inherited: Vec::new(),
        }
    }

    /// Count one occurrence of `key`; `make` gives its value when it enters.
    pub fn add(&mut self, key: &str, make: impl FnOnce() -> V) {
        if let Some(e) = self.items.iter_mut().find(|e| e.0 == key) {
            e.1 += 1;
            return;
        }
        if self.items.len() < self.cap {
            self.items.push((key.to_string(), 1, make()));
            self.inherited.push(0);
            return;
        }
        let victim = self
            .items
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(i, _)| i);
        if let Some(i) = victim {
            let count = self.items[i].1 + 1;
            self.inherited[i] = self.items[i].1;
            self.items[i] = (key.to_string(), count, make());
        }
    }

    /// Most frequent first, with the count each item is sure to have had
    /// (Space-Saving's lower bound, so an item that replaced another is not
    /// credited with that one's hits); ties by key (byte order).
    pub fn ranked(&self) -> Vec<(&str, u64, &V)> {
        let mut v: Vec<(&str, u64, &V)> = self
            .items
            .iter()
            .zip(&self.inherited)
            .map(|((k, n, v), inh)| (k.as_str(), n - inh, v))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What a sample URL carried the first time it was kept.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub status: Option<u16>,
    pub accept: Option<String>,
    pub accept_encoding: Option<String>,
    pub accept_language: Option<String>,
    pub cookie: bool,
    pub authorization: bool,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub method: String,
    pub template: String,
    pub hits: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub cache_hit: u64,
    pub cache_known: u64,
    pub content_types: TopK<()>,
    pub accept: TopK<()>,
    pub accept_language: TopK<()>,
    pub samples: TopK<Sample>,
}

/// Per host: what decides the base URL, and counts for the header comment.
#[derive(Debug, Clone, Default)]
pub struct HostStats {
    pub requests: u64,
    pub http: u64,
    pub https: u64,
}

impl HostStats {
    /// The traffic's scheme: the more frequent one, https on a tie.
    pub fn scheme(&self) -> Scheme {
        if self.http > self.https {
            Scheme::Http
        } else {
            Scheme::Https
        }
    }
}

pub struct Aggregator {
    sample_cap: usize,
    max_endpoints: usize,
    endpoints: HashMap<String, Endpoint>,
    pub hosts: BTreeMap<String, HostStats>,
    pub evicted_endpoints: u64,
    pub evicted_hits: u64,
    key: String,
}

/// A header value fit for a suite: visible ASCII, bounded.
pub fn header_value(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    let ok = !v.is_empty() && v.len() <= 512 && v.bytes().all(|b| (0x20..=0x7e).contains(&b));
    ok.then(|| v.to_string())
}

impl Aggregator {
    pub fn new(per_endpoint: usize) -> Aggregator {
        Aggregator {
            sample_cap: (2 * per_endpoint + 2).max(8),
            max_endpoints: MAX_ENDPOINTS,
            endpoints: HashMap::new(),
            hosts: BTreeMap::new(),
            evicted_endpoints: 0,
            evicted_hits: 0,
            key: String::new(),
        }
    }

    /// Count one admitted request.
    pub fn add(
        &mut self,
        host: &str,
        scheme: Scheme,
        method: &str,
        template: &str,
        target: &str,
        r: &Record,
    ) {
        if !self.hosts.contains_key(host) {
            self.hosts.insert(host.to_string(), HostStats::default());
        }
        let Some(hs) = self.hosts.get_mut(host) else {
            return;
        };
        hs.requests += 1;
        match scheme {
            Scheme::Http => hs.http += 1,
            Scheme::Https => hs.https += 1,
        }
        self.key.clear();
        self.key.push_str(host);
        self.key.push('\n');
        self.key.push_str(method);
        self.key.push('\n');
        self.key.push_str(template);
        if !self.endpoints.contains_key(self.key.as_str()) {
            if self.endpoints.len() >= self.max_endpoints {
                self.prune();
            }
            self.endpoints.insert(
                self.key.clone(),
                Endpoint {
                    host: host.to_string(),
                    method: method.to_string(),
                    template: template.to_string(),
                    hits: 0,
                    statuses: BTreeMap::new(),
                    cache_hit: 0,
                    cache_known: 0,
                    content_types: TopK::new(4),
                    accept: TopK::new(8),
                    accept_language: TopK::new(8),
                    samples: TopK::new(self.sample_cap),
                },
            );
        }
        let Some(e) = self.endpoints.get_mut(self.key.as_str()) else {
            return;
        };
        e.hits += 1;
        if let Some(s) = r.status {
            *e.statuses.entry(s).or_default() += 1;
        }
        match r.cache {
            Cache::Hit => {
                e.cache_hit += 1;
                e.cache_known += 1;
            }
            Cache::NotHit => e.cache_known += 1,
            Cache::Unknown => {}
        }
        if let Some(ct) = header_value(r.content_type.as_deref()) {
            let ct = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !ct.is_empty() {
                e.content_types.add(&ct, || ());
            }
        }
        let accept = header_value(r.accept.as_deref());
        let accept_language = header_value(r.accept_language.as_deref());
        if let Some(a) = &accept {
            e.accept.add(a, || ());
        }
        if let Some(a) = &accept_language {
            e.accept_language.add(a, || ());
        }
        e.samples.add(target, || Sample {
            status: r.status,
            accept,
            accept_encoding: header_value(r.accept_encoding.as_deref()),
            accept_language,
            cookie: r.cookie,
            authorization: r.authorization,
        });
    }

    /// Drop the least-hit quarter of the endpoints.
    fn prune(&mut self) {
        let mut keys: Vec<(u64, String)> = self
            .endpoints
            .iter()
            .map(|(k, e)| (e.hits, k.clone()))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
        let drop = (self.endpoints.len() / 4).max(1);
        for (hits, k) in keys.into_iter().take(drop) {
            self.endpoints.remove(&k);
            self.evicted_endpoints += 1;
            self.evicted_hits += hits;
        }
    }

    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// Every endpoint, by traffic: hits descending, then host, method,
    /// template (byte order).
    pub fn ranked(&self) -> Vec<&Endpoint> {
        let mut v: Vec<&Endpoint> = self.endpoints.values().collect();
        v.sort_by(|a, b| {
            b.hits
                .cmp(&a.hits)
                .then_with(|| a.host.cmp(&b.host))
                .then_with(|| a.method.cmp(&b.method))
                .then_with(|| a.template.cmp(&b.template))
        });
        v
    }
}

impl Endpoint {
    /// Up to `n` samples, most frequent first, but one of each status class
    /// (2xx, 3xx, 4xx, 5xx) seen among the candidates before a second of
    /// any class: a redirect or an error of an endpoint matters at cutover.
    pub fn choose(&self, n: usize) -> Vec<(&str, u64, &Sample)> {
        let ranked = self.samples.ranked();
        let class = |s: &Sample| s.status.map(|c| c / 100).unwrap_or(0);
        let mut chosen: Vec<(&str, u64, &Sample)> = Vec::new();
        let mut classes: Vec<u16> = Vec::new();
        for c in &ranked {
            if chosen.len() >= n {
                break;
            }
            if !classes.contains(&class(c.2)) {
                classes.push(class(c.2));
                chosen.push(*c);
            }
        }
        for c in &ranked {
            if chosen.len() >= n {
                break;
            }
            if !chosen.iter().any(|x| x.0 == c.0) {
                chosen.push(*c);
            }
        }
        // Back to traffic order.
        chosen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_saving_keeps_the_frequent_and_is_deterministic() {
        let mut t: TopK<()> = TopK::new(3);
        for k in ["a", "a", "a", "b", "b", "c", "d", "e", "a", "b"] {
            t.add(k, || ());
        }
        let r: Vec<(&str, u64)> = t.ranked().iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(r[0], ("a", 4));
        assert_eq!(r[1], ("b", 3));
        // "e" replaced "d" (count 1): it is sure of one hit only.
        assert_eq!(r[2], ("e", 1));
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn samples_cover_status_classes() {
        let mut agg = Aggregator::new(2);
        let mut add = |target: &str, status: u16, times: usize| {
            for _ in 0..times {
                let mut r = Record::new("GET", target.to_string());
                r.status = Some(status);
                agg.add("h", Scheme::Https, "GET", "/item/{num}", target, &r);
            }
        };
        add("/item/1", 200, 10);
        add("/item/2", 200, 8);
        add("/item/3", 404, 1);
        let e = agg.ranked()[0].clone();
        let chosen: Vec<&str> = e.choose(2).iter().map(|c| c.0).collect();
        assert_eq!(chosen, ["/item/1", "/item/3"]);
        let chosen: Vec<&str> = e.choose(3).iter().map(|c| c.0).collect();
        assert_eq!(chosen, ["/item/1", "/item/2", "/item/3"]);
    }

    #[test]
    fn endpoints_are_bounded() {
        let mut agg = Aggregator::new(1);
        agg.max_endpoints = 8;
        for i in 0..20 {
            let t = format!("/p{i}");
            let r = Record::new("GET", t.clone());
            for _ in 0..(i % 3 + 1) {
                agg.add("h", Scheme::Https, "GET", &t, &t, &r);
            }
        }
        assert!(agg.len() <= 8);
        assert!(agg.evicted_endpoints > 0 && agg.evicted_hits > 0);
    }
}
