//! Cache and Vary behaviour: what each provider's cache did over a sequence
//! of requests, compared position by position.
//!
//! Single responses cannot show a cache that serves one language's page to
//! another language's users; sequences on fresh keys can. Everything here is
//! a pure function of observed responses: `core` sends, this module reasons.

use crate::model::{Difference, Kind, Served, VaryFinding};
use crate::normalize::Normalized;
use crate::provider::{CacheOutcome, CacheReading};

/// Allowed slack, in seconds, between `Age` and the TTL before it counts.
pub const AGE_TOLERANCE_S: u64 = 5;

fn diff(
    provider: &str,
    kind: Kind,
    field: String,
    baseline: Option<String>,
    candidate: Option<String>,
    message: String,
) -> Difference {
    Difference::new(provider, kind, Some(field), baseline, candidate, message)
}

/// Outcome sequences compared position by position.
pub fn sequence_diffs(
    baseline: &str,
    b: &[CacheReading],
    provider: &str,
    c: &[CacheReading],
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (i, (bo, co)) in b.iter().zip(c.iter()).enumerate() {
        if bo.outcome != co.outcome {
            out.push(diff(
                provider,
                Kind::Cache,
                format!("sequence[{i}]"),
                Some(bo.outcome.as_str().into()),
                Some(co.outcome.as_str().into()),
                format!(
                    "request {} of the sequence: {} on {baseline}, {} on {provider}",
                    i + 1,
                    bo.outcome.as_str(),
                    co.outcome.as_str()
                ),
            ));
        }
    }
    out
}

/// A sequence that breaks the suite's `expect`, on any provider.
pub fn expect_diffs(
    provider: &str,
    readings: &[CacheReading],
    expect: &[CacheOutcome],
) -> Vec<Difference> {
    readings
        .iter()
        .zip(expect)
        .enumerate()
        .filter(|(_, (r, e))| r.outcome != **e)
        .map(|(i, (r, e))| {
            diff(
                provider,
                Kind::Cache,
                format!("expect[{i}]"),
                Some(e.as_str().into()),
                Some(r.outcome.as_str().into()),
                format!(
                    "request {} of the sequence: expected {}, {provider} answered {}",
                    i + 1,
                    e.as_str(),
                    r.outcome.as_str()
                ),
            )
        })
        .collect()
}

/// A `Set-Cookie` on a cache hit: one user's cookie handed to another.
pub fn cookie_on_hit(provider: &str, label: &str, set_cookie: &[String]) -> Difference {
    diff(
        provider,
        Kind::Cache,
        "set-cookie".into(),
        None,
        Some(set_cookie.join("\n")),
        format!(
            "CACHED SET-COOKIE: {provider} served a Set-Cookie on a cache hit ({label}): one user's cookie reaches another user"
        ),
    )
}

/// The TTL a response grants shared caches, from Cache-Control.
fn ttl_of(n: &Normalized) -> Option<u64> {
    let cc = n
        .headers
        .get("cache-control")?
        .join(",")
        .to_ascii_lowercase();
    let directive = |name: &str| {
        cc.split(',').find_map(|d| {
            let d = d.trim();
            d.strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .and_then(|v| v.trim_matches('"').parse::<u64>().ok())
        })
    };
    directive("s-maxage").or_else(|| directive("max-age"))
}

/// `Age` is noise unless it breaks a tolerance: present on a hit on one side
/// only, or older than the TTL the response grants.
pub fn age_diffs(
    baseline: &str,
    b: &[(CacheReading, Option<u64>)],
    provider: &str,
    c: &[(CacheReading, Option<u64>)],
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (i, ((br, _), (cr, _))) in b.iter().zip(c.iter()).enumerate() {
        // Age 0 and no Age say the same thing: only a real age counts.
        let meaningful = |a: Option<u64>| a.map(|a| a > AGE_TOLERANCE_S).unwrap_or(false);
        if br.outcome == CacheOutcome::Hit
            && cr.outcome == CacheOutcome::Hit
            && br.age.is_some() != cr.age.is_some()
            && (meaningful(br.age) || meaningful(cr.age))
        {
            out.push(diff(
                provider,
                Kind::Cache,
                "age".into(),
                br.age.map(|a| a.to_string()),
                cr.age.map(|a| a.to_string()),
                format!(
                    "request {}: a hit carries Age on {} only",
                    i + 1,
                    if br.age.is_some() { baseline } else { provider }
                ),
            ));
        }
    }
    for (who, list) in [(baseline, b), (provider, c)] {
        for (i, (r, ttl)) in list.iter().enumerate() {
            if let (Some(age), Some(ttl)) = (r.age, ttl) {
                if age > ttl + AGE_TOLERANCE_S {
                    out.push(diff(
                        who,
                        Kind::Cache,
                        "age".into(),
                        Some(ttl.to_string()),
                        Some(age.to_string()),
                        format!(
                            "request {}: {who} served Age {age} past the TTL of {ttl} s",
                            i + 1
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The TTL, for `age_diffs`.
pub fn ttl(n: &Normalized) -> Option<u64> {
    ttl_of(n)
}

/// Decide, for every value after the first, whether the response asked on
/// the shared key is that value's own variant or a copy of an earlier one's.
/// `main[i]` was asked on the shared key; `refs[i]` (for i ≥ 1) alone on its
/// own fresh key.
pub fn vary_findings(
    values: &[String],
    main: &[(&Normalized, CacheOutcome)],
    refs: &[Option<&Normalized>],
) -> Vec<VaryFinding> {
    let mut out = Vec::new();
    for i in 1..values.len().min(main.len()) {
        let (got, outcome) = main[i];
        let Some(Some(reference)) = refs.get(i) else {
            continue;
        };
        let same_as_earlier = |n: &Normalized| (0..i).find(|j| main[*j].0.body == n.body);
        let served = if got.body == reference.body && got.status == reference.status {
            match same_as_earlier(reference) {
                Some(_) => Served::Indistinct,
                None => Served::Own,
            }
        } else {
            match same_as_earlier(got) {
                Some(j) => Served::CopyOf {
                    value: values[j].clone(),
                },
                None => Served::Other,
            }
        };
        out.push(VaryFinding {
            value: values[i].clone(),
            served,
            outcome,
        });
    }
    out
}

fn describe(provider: &str, header: &str, f: &VaryFinding) -> String {
    match &f.served {
        Served::Own => format!(
            "{provider} served the '{}' variant to {header}: {}",
            f.value, f.value
        ),
        Served::CopyOf { value } => {
            format!(
                "{provider} served the '{value}' variant to {header}: {}",
                f.value
            )
        }
        Served::Other => format!(
            "{provider} served a body that is neither the '{}' variant nor an earlier one",
            f.value
        ),
        Served::Indistinct => {
            format!("{provider}'s variants for {header} cannot be told apart by body")
        }
    }
}

fn served_word(f: &VaryFinding) -> String {
    match &f.served {
        Served::Own => "own variant".into(),
        Served::CopyOf { value } => format!("the '{value}' variant"),
        Served::Other => "another body".into(),
        Served::Indistinct => "indistinct".into(),
    }
}

/// One provider keeping variants apart while the other leaks them.
pub fn vary_diffs(
    header_display: &str,
    baseline: &str,
    b: &[VaryFinding],
    provider: &str,
    c: &[VaryFinding],
) -> Vec<Difference> {
    let field = header_display.to_ascii_lowercase();
    let mut out = Vec::new();
    for (bf, cf) in b.iter().zip(c.iter()) {
        if bf.served == cf.served {
            continue;
        }
        let message = match (&bf.served, &cf.served) {
            (Served::Own, _) | (Served::Indistinct, _) => describe(provider, header_display, cf),
            (_, Served::Own) => format!(
                "{} (baseline); {provider} kept the variants apart",
                describe(baseline, header_display, bf)
            ),
            _ => format!(
                "{}; {}",
                describe(baseline, header_display, bf),
                describe(provider, header_display, cf)
            ),
        };
        out.push(diff(
            provider,
            Kind::Vary,
            field.clone(),
            Some(served_word(bf)),
            Some(served_word(cf)),
            message,
        ));
    }
    out
}

/// The codings a client accepts, from its `Accept-Encoding` value.
fn accepted(value: &str) -> (Vec<String>, bool) {
    let mut list = Vec::new();
    let mut any = false;
    for part in value.split(',') {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused = it.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        if coding.is_empty() || refused {
            continue;
        }
        if coding == "*" {
            any = true;
        } else {
            list.push(coding);
        }
    }
    (list, any)
}

/// Accept-Encoding negotiation on one provider: an answer in a coding the
/// client did not accept, or decoded bodies that change with the coding.
pub fn encoding_diffs(
    provider: &str,
    values: &[String],
    observed: &[&Normalized],
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (value, n) in values.iter().zip(observed) {
        let (ok, any) = accepted(value);
        for coding in &n.encodings {
            if coding == "identity" || any || ok.contains(coding) {
                continue;
            }
            let mut d = diff(
                provider,
                Kind::Vary,
                "accept-encoding".into(),
                Some(value.clone()),
                Some(coding.clone()),
                format!(
                    "{provider} answered Content-Encoding: {coding} to Accept-Encoding: {value}"
                ),
            );
            d.context = Some(format!("accept-encoding: {value}"));
            out.push(d);
        }
    }
    if let Some(first) = observed.first() {
        for (value, n) in values.iter().zip(observed).skip(1) {
            if n.body != first.body {
                let mut d = diff(
                    provider,
                    Kind::Vary,
                    "accept-encoding".into(),
                    Some(values[0].clone()),
                    Some(value.clone()),
                    format!(
                        "{provider}'s decoded body for Accept-Encoding: {value} differs from the one for {}",
                        values[0]
                    ),
                );
                d.context = Some(format!("accept-encoding: {value}"));
                out.push(d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tests::exchange;
    use crate::normalize::{normalize, Rules};
    use CacheOutcome::*;

    fn reading(o: CacheOutcome, age: Option<u64>) -> CacheReading {
        CacheReading {
            outcome: o,
            raw: Default::default(),
            age,
        }
    }

    #[test]
    fn sequences_compare_position_by_position() {
        let b = [reading(Miss, None), reading(Hit, None), reading(Hit, None)];
        let c = [
            reading(Uncacheable, None),
            reading(Uncacheable, None),
            reading(Hit, None),
        ];
        let d = sequence_diffs("fastly", &b, "cloudflare", &c);
        let fields: Vec<_> = d.iter().map(|d| d.field.clone().unwrap()).collect();
        assert_eq!(fields, vec!["sequence[0]", "sequence[1]"]);
        assert_eq!(
            d[1].message,
            "request 2 of the sequence: hit on fastly, uncacheable on cloudflare"
        );
        // A broken expect is a difference even where both sides agree.
        let e = expect_diffs("fastly", &b, &[Miss, Hit, Miss]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].provider, "fastly");
        assert_eq!(e[0].field.as_deref(), Some("expect[2]"));
    }

    #[test]
    fn age_counts_only_past_tolerance() {
        let c = [
            (reading(Miss, None), Some(60)),
            (reading(Hit, None), Some(60)),
        ];
        // Age 0 on one side and no Age on the other say the same thing.
        let b0 = [
            (reading(Miss, None), Some(60)),
            (reading(Hit, Some(0)), Some(60)),
        ];
        assert!(age_diffs("fastly", &b0, "cloudflare", &c).is_empty());
        let b = [
            (reading(Miss, None), Some(60)),
            (reading(Hit, Some(30)), Some(60)),
        ];
        let d = age_diffs("fastly", &b, "cloudflare", &c);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "request 2: a hit carries Age on fastly only");
        let c = [
            (reading(Miss, None), Some(60)),
            (reading(Hit, Some(3)), Some(60)),
        ];
        assert!(age_diffs("fastly", &b, "cloudflare", &c).is_empty());
        let c = [
            (reading(Miss, None), Some(60)),
            (reading(Hit, Some(600)), Some(60)),
        ];
        let d = age_diffs("fastly", &b, "cloudflare", &c);
        assert_eq!(
            d[0].message,
            "request 2: cloudflare served Age 600 past the TTL of 60 s"
        );
    }

    #[test]
    fn set_cookie_on_a_hit_is_said_loudly() {
        let d = cookie_on_hit("cloudflare", "sequence[1]", &["s=1".into()]);
        assert!(
            d.message.starts_with("CACHED SET-COOKIE: cloudflare"),
            "{}",
            d.message
        );
        assert_eq!(d.field.as_deref(), Some("set-cookie"));
    }

    fn page(body: &str) -> Normalized {
        normalize(
            &exchange(&[("content-type", "text/html")], body.as_bytes()),
            &[],
            &Rules::default(),
        )
    }

    #[test]
    fn vary_leak_is_found_and_said_plainly() {
        let values: Vec<String> = ["en", "fr", "ja"].iter().map(|s| s.to_string()).collect();
        let (en, fr, ja) = (page("Hello"), page("Bonjour"), page("こんにちは"));
        // Honours Vary: each value its own variant.
        let honours = vary_findings(
            &values,
            &[(&en, Miss), (&fr, Miss), (&ja, Miss)],
            &[None, Some(&fr), Some(&ja)],
        );
        assert!(honours.iter().all(|f| f.served == Served::Own));
        // Ignores Vary: 'en' cached and served to everyone.
        let leaks = vary_findings(
            &values,
            &[(&en, Miss), (&en, Hit), (&en, Hit)],
            &[None, Some(&fr), Some(&ja)],
        );
        assert_eq!(leaks[0].served, Served::CopyOf { value: "en".into() });
        let d = vary_diffs("Accept-Language", "fastly", &honours, "cloudflare", &leaks);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].kind, Kind::Vary);
        assert_eq!(d[0].field.as_deref(), Some("accept-language"));
        assert_eq!(
            d[0].message,
            "cloudflare served the 'en' variant to Accept-Language: fr"
        );
        assert!(vary_diffs(
            "Accept-Language",
            "fastly",
            &honours,
            "cloudflare",
            &honours
        )
        .is_empty());
        // The baseline leaking is a difference too, said from its side.
        let d = vary_diffs("Accept-Language", "fastly", &leaks, "cloudflare", &honours);
        assert!(
            d[0].message
                .starts_with("fastly served the 'en' variant to Accept-Language: fr (baseline)"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn accept_encoding_rules() {
        assert_eq!(accepted("gzip, br;q=0.5, zstd;q=0").0, vec!["gzip", "br"]);
        let plain = exchange(&[("content-type", "text/plain")], b"abc");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"abc").unwrap();
        let gz = gz.finish().unwrap();
        let zipped = exchange(
            &[("content-type", "text/plain"), ("content-encoding", "gzip")],
            &gz,
        );
        let (np, nz) = (
            normalize(&plain, &[], &Rules::default()),
            normalize(&zipped, &[], &Rules::default()),
        );
        let values: Vec<String> = ["identity", "gzip"].iter().map(|s| s.to_string()).collect();
        assert!(encoding_diffs("cloudflare", &values, &[&np, &nz]).is_empty());
        // gzip sent to a client that asked for identity only.
        let d = encoding_diffs("cloudflare", &values, &[&nz, &nz]);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "cloudflare answered Content-Encoding: gzip to Accept-Encoding: identity"
        );
    }
}
