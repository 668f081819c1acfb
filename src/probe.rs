//! What a case sends: the requests of its probe, each with a typed label,
//! and where its fresh cache key goes.
//!
//! A probe is decided when the suite is read (`suite::Probe`); this module
//! turns it into the list of requests each provider gets, in order. Keys
//! come from the caller (the run), so this stays pure and testable: one key
//! shared by the probe's main requests, and a new key for every reference
//! request of a Vary probe (each value alone on its own key).
//!
//! A single GET may be followed, on its URL, by a revalidation
//! (`conditional`), a byte range (`range`) and a `HEAD`. The revalidation
//! depends on what each provider answered (the validators *it* returned),
//! so its step carries the GET's request and [`revalidation`] turns it into
//! the conditional request once that provider's GET is in.

use crate::model::{Exchange, Label};
use crate::plan::{PlannedCase, RequestSpec};
use crate::suite::{Bust, Probe};

/// One request of a probe.
#[derive(Debug, Clone)]
pub struct Step {
    pub label: Label,
    pub request: RequestSpec,
    /// Wait this long before sending (cache sequences).
    pub pause_ms: u64,
}

/// The case's request with `key` as its fresh cache key (none for `bust:
/// none`) and an extra header (a Vary value) replacing any of that name.
pub fn request(case: &PlannedCase, key: Option<&str>, extra: Option<(&str, &str)>) -> RequestSpec {
    let mut req = case.request.clone();
    if let Some(key) = key {
        match case.case.bust {
            Bust::None => {}
            Bust::Query => {
                req.url.query_pairs_mut().append_pair("edgeparity", key);
            }
            Bust::Path => {
                let path = format!("/edgeparity-{key}{}", req.url.path());
                req.url.set_path(&path);
            }
        }
    }
    if let Some((name, value)) = extra {
        req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        req.headers.push((name.to_string(), value.to_string()));
    }
    req
}

/// Does the case take fresh cache keys?
pub fn busts(case: &PlannedCase) -> bool {
    case.case.bust != Bust::None
}

/// The extra header of a probe's first request (the first Vary or
/// Accept-Encoding value), used again for calibration.
pub fn first_extra(case: &PlannedCase) -> Option<(&str, &str)> {
    match &case.case.probe {
        Probe::Vary { header, values } => values.first().map(|v| (header.as_str(), v.as_str())),
        Probe::Encoding { values } => values.first().map(|v| ("accept-encoding", v.as_str())),
        _ => None,
    }
}

/// The requests that follow the GET on its URL, in order: the
/// revalidation (its validators added per provider by [`revalidation`]),
/// the byte range, the HEAD.
fn followups(case: &PlannedCase, get: &RequestSpec) -> Vec<Step> {
    let f = &case.case.followups;
    let mut out = Vec::new();
    let step = |label, extra: Option<(&str, &str)>| {
        let mut request = get.clone();
        if let Some((name, value)) = extra {
            request
                .headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            request.headers.push((name.to_string(), value.to_string()));
        }
        Step {
            label,
            request,
            pause_ms: 0,
        }
    };
    if f.conditional {
        out.push(step(Label::Conditional, None));
    }
    if let Some(range) = &f.range {
        out.push(step(Label::Range, Some(("Range", range))));
    }
    if f.head {
        let mut head = step(Label::Head, None);
        head.request.method = http::Method::HEAD;
        head.request.body = None;
        out.push(head);
    }
    out
}

/// The conditional request of a `conditional` step, from the validators
/// this provider's GET returned: `If-None-Match` with its ETag and
/// `If-Modified-Since` with its Last-Modified (a client revalidating sends
/// both). `None` when it returned neither: there is nothing to revalidate
/// with, and the judge says so.
pub fn revalidation(step: &RequestSpec, get: &Exchange) -> Option<RequestSpec> {
    let etag = get.header_values("etag").next();
    let last_modified = get.header_values("last-modified").next();
    if etag.is_none() && last_modified.is_none() {
        return None;
    }
    let mut req = step.clone();
    for (name, value) in [
        ("If-None-Match", etag),
        ("If-Modified-Since", last_modified),
    ] {
        req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            req.headers.push((name.to_string(), v.to_string()));
        }
    }
    Some(req)
}

/// Every request of the case's probe, in order. `fresh` returns a new cache
/// key at each call (or `None` when the case does not bust caches).
pub fn steps(case: &PlannedCase, fresh: &mut dyn FnMut() -> Option<String>) -> Vec<Step> {
    let mut v = probe_steps(case, fresh);
    if !case.case.followups.is_empty() {
        // On the GET's own request (its URL, so its cache key).
        if let Some(get) = v.first().map(|s| s.request.clone()) {
            v.extend(followups(case, &get));
        }
    }
    v
}

fn probe_steps(case: &PlannedCase, fresh: &mut dyn FnMut() -> Option<String>) -> Vec<Step> {
    let main_key = fresh();
    let main_key = main_key.as_deref();
    let step = |label, request, pause_ms| Step {
        label,
        request,
        pause_ms,
    };
    match &case.case.probe {
        Probe::Single => vec![step(Label::Request, request(case, main_key, None), 0)],
        Probe::Sequence {
            count, pause_ms, ..
        } => (0..*count as usize)
            .map(|i| {
                let pause = if i == 0 { 0 } else { *pause_ms };
                step(Label::Sequence(i), request(case, main_key, None), pause)
            })
            .collect(),
        Probe::Encoding { values } => values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let req = request(case, main_key, Some(("accept-encoding", v)));
                step(Label::Vary(i), req, 0)
            })
            .collect(),
        Probe::Vary { header, values } => {
            let mut v: Vec<Step> = values
                .iter()
                .enumerate()
                .map(|(i, val)| {
                    let req = request(case, main_key, Some((header, val)));
                    step(Label::Vary(i), req, 0)
                })
                .collect();
            for (i, val) in values.iter().enumerate().skip(1) {
                let key = fresh();
                let req = request(case, key.as_deref(), Some((header, val)));
                v.push(step(Label::Ref(i), req, 0));
            }
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::plan::testing::planned;

    fn keys() -> impl FnMut() -> Option<String> {
        let mut n = 0;
        move || {
            n += 1;
            Some(format!("k{n}"))
        }
    }

    #[test]
    fn vary_probe_shares_one_key_and_gives_each_reference_its_own() {
        let case = planned(
            "  - name: v\n    path: /p\n    vary: {header: Accept-Language, values: [en, fr, ja]}\n",
        );
        let got: Vec<(String, String)> = steps(&case, &mut keys())
            .iter()
            .map(|s| {
                (
                    s.label.to_string(),
                    s.request.url.query().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("vary[0]".into(), "edgeparity=k1".into()),
                ("vary[1]".into(), "edgeparity=k1".into()),
                ("vary[2]".into(), "edgeparity=k1".into()),
                ("ref[1]".into(), "edgeparity=k2".into()),
                ("ref[2]".into(), "edgeparity=k3".into()),
            ]
        );
    }

    #[test]
    fn encoding_probe_has_no_references_and_sequences_pause() {
        let case = planned(
            "  - name: e\n    path: /p\n    vary: {header: Accept-Encoding, values: [gzip, br]}\n",
        );
        let s = steps(&case, &mut keys());
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|s| matches!(s.label, Label::Vary(_))));
        assert_eq!(first_extra(&case), Some(("accept-encoding", "gzip")));
        let case = planned("  - name: s\n    path: /p\n    cache: {sequence: 3, pause_ms: 5}\n");
        let s = steps(&case, &mut keys());
        let pauses: Vec<u64> = s.iter().map(|s| s.pause_ms).collect();
        assert_eq!(pauses, vec![0, 5, 5]);
    }

    #[test]
    fn followups_come_after_the_get_on_its_url_and_revalidate_with_its_validators() {
        let case = planned(
            "  - name: f\n    path: /p?a=1\n    conditional: true\n    range: bytes=0-99\n    head: true\n",
        );
        let s = steps(&case, &mut keys());
        let got: Vec<(String, &str, String)> = s
            .iter()
            .map(|s| {
                (
                    s.label.to_string(),
                    s.request.method.as_str(),
                    s.request.url.to_string(),
                )
            })
            .collect();
        let url = "https://x.test/p?a=1".to_string();
        assert_eq!(
            got,
            vec![
                ("request".into(), "GET", url.clone()),
                ("conditional".into(), "GET", url.clone()),
                ("range".into(), "GET", url.clone()),
                ("head".into(), "HEAD", url),
            ]
        );
        assert!(s[2]
            .request
            .headers
            .contains(&("Range".into(), "bytes=0-99".into())));
        let get = crate::normalize::tests::exchange(
            &[
                ("ETag", "W/\"v1\""),
                ("Last-Modified", "Mon, 02 Jan 2023 03:04:05 GMT"),
            ],
            b"x",
        );
        let r = revalidation(&s[1].request, &get).unwrap();
        let h: Vec<&(String, String)> = r
            .headers
            .iter()
            .filter(|(k, _)| k.starts_with("If-"))
            .collect();
        assert_eq!(
            h,
            vec![
                &("If-None-Match".to_string(), "W/\"v1\"".to_string()),
                &(
                    "If-Modified-Since".to_string(),
                    "Mon, 02 Jan 2023 03:04:05 GMT".to_string()
                )
            ]
        );
        let bare = crate::normalize::tests::exchange(&[("content-type", "text/plain")], b"x");
        assert!(revalidation(&s[1].request, &bare).is_none());
    }
}
