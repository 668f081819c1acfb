//! The run's record as data: what `report.json` holds. Built by the run,
//! written and merged by `report`, drawn by `render`, judged by `gate`.
//!
//! `report.json` is a contract that CI scripts and later tools read; keys
//! are only ever added.

use serde::Serialize;

use super::exchange::Resolution;
use super::result::{CaseResult, Verdict};

/// The version of `report.json`'s schema (`schema/report.schema.json`).
/// Keys are only ever added, so a reader of version N reads every earlier
/// version: 2 added each difference's `hint`.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub total: usize,
    pub parity: usize,
    pub differs: usize,
    pub flaky: usize,
    #[serde(rename = "no-golden")]
    pub no_golden: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProviderInfo {
    pub name: String,
    pub kind: String,
    pub baseline: bool,
    pub resolutions: Vec<Resolution>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub environment: String,
    pub baseline: String,
    /// Digest of the config and suites: shards of one run share it.
    #[serde(default)]
    pub config_digest: String,
    /// Which shard of the cases this report covers, if any.
    #[serde(default)]
    pub shard: Option<crate::shard::Shard>,
    pub started_at: String,
    pub duration_ms: u64,
    /// True when any environment setting turned TLS verification off.
    pub insecure: bool,
    pub warnings: Vec<String>,
    pub providers: Vec<ProviderInfo>,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
    /// Per suite and provider: answer times and failures (see `latency`).
    #[serde(default)]
    pub latency: Vec<Latency>,
    /// Every ignore rule of the cases run (`ignore_headers`, `ignore_json`),
    /// with how many cases it applied to and in how many it removed
    /// something; one that matched nothing is also a warning. Summed by
    /// `report merge`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_rules: Vec<IgnoreRuleUse>,
}

/// How much one ignore rule was used in a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct IgnoreRuleUse {
    /// The suite file it is written in.
    pub file: String,
    /// Its line (for a case's own lists, the case's line).
    pub line: Option<usize>,
    /// `defaults.ignore_json`, `cases[3].ignore_headers`, …
    pub key: String,
    /// The header name or the JSON pattern.
    pub pattern: String,
    /// Cases it applied to that got at least one answer.
    pub cases: usize,
    /// Of those, cases where it removed something from an answer.
    pub matched: usize,
}

/// The words every unused-rule warning starts with (`report merge`
/// recomputes them from the summed counts).
pub const UNUSED_RULE: &str = "UNUSED IGNORE RULE: ";

impl IgnoreRuleUse {
    /// The same rule (file, line, key, pattern), whatever its counts.
    fn same_rule(&self, other: &IgnoreRuleUse) -> bool {
        (&self.file, self.line, &self.key, &self.pattern)
            == (&other.file, other.line, &other.key, &other.pattern)
    }

    /// The warning for a rule that matched nothing, if it did not.
    pub fn warning(&self) -> Option<String> {
        (self.matched == 0).then(|| {
            let at = match self.line {
                Some(l) => format!("{}:{l}", self.file),
                None => self.file.clone(),
            };
            format!(
                "{UNUSED_RULE}{at} {} `{}` matched nothing in {} case{} (a typo, or \
                 what it ignores is gone or already set aside)",
                self.key,
                super::visible(&self.pattern),
                self.cases,
                if self.cases == 1 { "" } else { "s" }
            )
        })
    }
}

/// Sum the uses of one rule seen in several reports (shards), in order.
pub fn sum_ignore_rules(lists: impl IntoIterator<Item = IgnoreRuleUse>) -> Vec<IgnoreRuleUse> {
    let mut all: Vec<IgnoreRuleUse> = lists.into_iter().collect();
    all.sort();
    let mut out: Vec<IgnoreRuleUse> = Vec::with_capacity(all.len());
    for u in all {
        match out.last_mut() {
            Some(last) if last.same_rule(&u) => {
                last.cases += u.cases;
                last.matched += u.matched;
            }
            _ => out.push(u),
        }
    }
    out
}

/// `warnings` without unused-rule warnings, then one per unused rule.
pub fn with_unused_rule_warnings(warnings: &[String], rules: &[IgnoreRuleUse]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| !w.starts_with(UNUSED_RULE))
        .cloned()
        .chain(rules.iter().filter_map(IgnoreRuleUse::warning))
        .collect()
}

impl Summary {
    /// `N cases: a parity, b differs, c flaky, d no-golden, e error`: the
    /// counts line every text output prints.
    pub fn counts(&self) -> String {
        format!(
            "{} cases: {} parity, {} differs, {} flaky, {} no-golden, {} error",
            self.total, self.parity, self.differs, self.flaky, self.no_golden, self.error
        )
    }
}

impl Summary {
    /// Count one more case.
    pub fn add(&mut self, v: Verdict) {
        self.total += 1;
        match v {
            Verdict::Parity => self.parity += 1,
            Verdict::Differs => self.differs += 1,
            Verdict::Flaky => self.flaky += 1,
            Verdict::NoGolden => self.no_golden += 1,
            Verdict::Error => self.error += 1,
        }
    }
}

impl Report {
    pub fn summarize(cases: &[CaseResult]) -> Summary {
        let mut s = Summary::default();
        for c in cases {
            s.add(c.verdict);
        }
        s
    }

    /// `report.json`'s text: compact, one line and a newline (a
    /// 100,000-case report pretty-printed was twice the size; `jq .` shows
    /// it indented).
    pub fn to_json(&self) -> String {
        // Serialising plain data to a String cannot fail.
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

pub fn tool() -> Tool {
    Tool {
        name: "edgeparity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Answer times of one provider over one suite's cases, and how often it
/// failed. Times are `total_ms` (until the last body byte) of every response
/// the provider gave, probes' extra requests included.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Latency {
    pub suite: String,
    pub provider: String,
    /// Cases of the suite in this report.
    pub cases: usize,
    /// Responses timed.
    pub requests: usize,
    /// Median `total_ms` (nearest rank); `None` when nothing answered.
    pub p50_ms: Option<f64>,
    /// 95th percentile `total_ms` (nearest rank).
    pub p95_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Cases where this provider failed (refused, timed out, TLS, …).
    pub errors: usize,
    /// `errors / cases`.
    pub error_rate: f64,
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Latency rows for every suite (sorted by name) and provider (in the
/// report's order, then any other provider seen in the cases).
pub fn latency(cases: &[CaseResult], providers: &[ProviderInfo]) -> Vec<Latency> {
    let mut acc = LatencyAcc::default();
    for c in cases {
        acc.add(c);
    }
    acc.finish(providers)
}

/// [`latency`], one case at a time: a run adds each case as it finishes
/// and keeps only the answer times (8 bytes per response), not the cases.
#[derive(Debug, Default)]
pub struct LatencyAcc {
    /// Providers seen in the cases, in order of first appearance.
    seen: Vec<String>,
    /// Per suite: its case count, and per provider its times and failures.
    suites: std::collections::BTreeMap<String, SuiteTimes>,
}

#[derive(Debug, Default)]
struct SuiteTimes {
    cases: usize,
    /// Per provider: `total_ms` of every response, and failed cases.
    providers: std::collections::BTreeMap<String, (Vec<f64>, usize)>,
}

impl LatencyAcc {
    pub fn add(&mut self, c: &CaseResult) {
        let suite = match self.suites.get_mut(&c.suite) {
            Some(s) => s,
            None => self.suites.entry(c.suite.clone()).or_default(),
        };
        suite.cases += 1;
        let names = c
            .responses
            .iter()
            .map(|r| &r.provider)
            .chain(c.failures.iter().map(|f| &f.provider));
        for p in names {
            if !self.seen.contains(p) {
                self.seen.push(p.clone());
            }
        }
        for r in c.responses.iter().filter(|r| r.total_ms.is_finite()) {
            times_of(&mut suite.providers, &r.provider)
                .0
                .push(r.total_ms);
        }
        let mut failed: Vec<&str> = c.failures.iter().map(|f| f.provider.as_str()).collect();
        failed.sort_unstable();
        failed.dedup();
        for p in failed {
            times_of(&mut suite.providers, p).1 += 1;
        }
    }

    /// The rows, providers in the report's order, then any other seen.
    pub fn finish(self, providers: &[ProviderInfo]) -> Vec<Latency> {
        let mut names: Vec<String> = providers.iter().map(|p| p.name.clone()).collect();
        for p in self.seen {
            if !names.contains(&p) {
                names.push(p);
            }
        }
        let mut out = Vec::new();
        for (suite, mut st) in self.suites {
            for p in &names {
                let (mut times, errors) = st.providers.remove(p).unwrap_or_default();
                times.sort_by(f64::total_cmp);
                out.push(Latency {
                    suite: suite.clone(),
                    provider: p.clone(),
                    cases: st.cases,
                    requests: times.len(),
                    p50_ms: percentile(&times, 50.0),
                    p95_ms: percentile(&times, 95.0),
                    max_ms: times.last().copied(),
                    errors,
                    error_rate: if st.cases == 0 {
                        0.0
                    } else {
                        errors as f64 / st.cases as f64
                    },
                });
            }
        }
        out
    }
}

fn times_of<'a>(
    m: &'a mut std::collections::BTreeMap<String, (Vec<f64>, usize)>,
    p: &str,
) -> &'a mut (Vec<f64>, usize) {
    m.entry(p.to_string()).or_default()
}

/// In which order a reader visits a report's cases.
///
/// The `*Grouped` orders keep together the cases of one group (the cases
/// one written case ran as: several hosts, a matrix; see [`group_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As planned: the order of `report.json`.
    Plan,
    /// Cases not at parity, in plan order.
    NotParity,
    /// Cases not at parity, in plan order, except that the cases of one
    /// group follow each other where its first one is (the text summary).
    NotParityGrouped,
    /// Grouped by suite (suites in order of first appearance), plan order
    /// within a suite.
    BySuite,
    /// Cases not at parity, most severe first, then more differences, then
    /// by verdict, then by id.
    Top,
    /// [`Order::Top`], the cases of one group together: a group ranks
    /// where its most severe case would, its cases in `Top` order after
    /// one another (summary.md).
    TopGrouped,
    /// [`Order::TopGrouped`], and after a group's cases not at parity, its
    /// cases at parity by id, so that a group is whole in one place
    /// (report.html's first list).
    Grouped,
    /// Cases at parity that [`Order::Grouped`] does not visit (those of a
    /// group with no case other than at parity, and those of no group), by
    /// id, a group's cases together (report.html's second list).
    ParityById,
}

/// What orders cases: everything [`Order::Top`] and [`Order::ParityById`]
/// compare, small enough to keep for 100,000 cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub verdict: Verdict,
    pub worst: Option<super::Severity>,
    pub differences: usize,
    pub id: Box<str>,
    /// The case's slowest answer ([`slowest`]): with the id and suite, all
    /// a renderer shows of a case at parity in a large report, so those
    /// are never read back.
    pub slowest: std::time::Duration,
    /// The case ended as its `expect:` says (JUnit counts it a pass).
    pub expected: bool,
    /// The length of the case's group at the start of `id` ([`group_of`]),
    /// so a key holds its group without another string.
    pub group_len: Option<u32>,
}

/// The group of a case: the `SUITE::CASE` of the case as written when it
/// ran as several (several hosts, a matrix), by which the reports keep
/// those cases together. Only a group that starts the case's id (as every
/// id edgeparity makes: `SUITE::CASE[axis=label]`, `SUITE::CASE@host`)
/// counts; a hand-edited `group` that does not is no group.
pub fn group_of(c: &CaseResult) -> Option<&str> {
    let g = c.group.as_deref()?;
    (!g.is_empty() && c.id.len() > g.len() && c.id.starts_with(g)).then_some(g)
}

/// The total time of a case's slowest answer (zero when none was timed).
pub fn slowest(c: &CaseResult) -> std::time::Duration {
    let ms = c
        .responses
        .iter()
        .map(|r| r.total_ms)
        .filter(|v| v.is_finite() && *v >= 0.0)
        .fold(0.0, f64::max);
    std::time::Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default()
}

impl SortKey {
    pub fn of(c: &CaseResult) -> SortKey {
        SortKey {
            verdict: c.verdict,
            worst: c.differences.iter().map(|d| d.severity).max(),
            differences: c.differences.len(),
            id: c.id.as_str().into(),
            slowest: slowest(c),
            expected: c.expect.is_some() && super::check_expectation(c).is_ok(),
            group_len: group_of(c).and_then(|g| u32::try_from(g.len()).ok()),
        }
    }

    /// The case's group ([`group_of`]).
    pub fn group(&self) -> Option<&str> {
        self.id.get(..self.group_len? as usize)
    }

    /// The case's group, or its id when it has none: what keeps a group's
    /// cases together when sorting by id.
    fn group_or_id(&self) -> &str {
        self.group().unwrap_or(&self.id)
    }

    /// Could a case with this key belong in `order`? For
    /// [`Order::Grouped`] and [`Order::ParityById`], which pick a case at
    /// parity by the others of its group, only [`arrange`] says.
    pub fn selected(&self, order: Order) -> bool {
        match order {
            Order::Plan | Order::BySuite | Order::Grouped => true,
            Order::NotParity | Order::NotParityGrouped | Order::Top | Order::TopGrouped => {
                self.verdict != Verdict::Parity
            }
            Order::ParityById => self.verdict == Verdict::Parity,
        }
    }

    /// The order of [`Order::Top`] (and, among cases at parity, of
    /// [`Order::ParityById`]: by id).
    pub fn top_cmp(&self, other: &SortKey) -> std::cmp::Ordering {
        other
            .worst
            .cmp(&self.worst)
            .then(other.differences.cmp(&self.differences))
            .then(self.verdict.cmp(&other.verdict))
            .then(self.id.cmp(&other.id))
    }
}

/// One group's cases in a report ([`group_of`]), counted from the keys:
/// what the reports say at its head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupTally {
    /// Its cases by verdict.
    pub counts: Summary,
    /// Some case of it is a matrix combination (`CASE[axis=label]`), not
    /// only the case on another host (`CASE@host`).
    pub matrix: bool,
}

impl GroupTally {
    /// The group's roll-up: `shop::home — 3 of 8 combinations differ`, or
    /// which verdicts when not all of those not at parity differ.
    pub fn rollup(&self, group: &str) -> String {
        let c = &self.counts;
        let what = if self.matrix { "combinations" } else { "hosts" };
        let loud = c.total - c.parity;
        if loud == 0 {
            return format!("{group} — {} {what}, all at parity", c.total);
        }
        if loud == c.differs {
            return format!("{group} — {loud} of {} {what} differ", c.total);
        }
        let parts: Vec<String> = [
            ("differs", c.differs),
            ("flaky", c.flaky),
            ("no-golden", c.no_golden),
            ("error", c.error),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(v, n)| format!("{n} {v}"))
        .collect();
        format!(
            "{group} — {loud} of {} {what} not at parity ({})",
            c.total,
            parts.join(", ")
        )
    }
}

/// Which groups [`group_tallies`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupsWith {
    /// Those with a case not at parity (all the text summary and
    /// summary.md show, and report.html's first list).
    NotParity,
    /// Those whose cases are all at parity (report.html's second list).
    OnlyParity,
}

/// The groups of at least two cases, counted from the keys alone (no case
/// is read back). Memory holds the names of the groups with a case not at
/// parity and the tallies asked for, never one entry per case.
pub fn group_tallies(
    cases: &dyn CaseSource,
    which: GroupsWith,
) -> std::collections::HashMap<Box<str>, GroupTally> {
    let mut loud: std::collections::HashSet<Box<str>> = Default::default();
    cases.for_each_key(&mut |k, _| {
        if let (Some(g), true) = (k.group(), k.verdict != Verdict::Parity) {
            if !loud.contains(g) {
                loud.insert(g.into());
            }
        }
    });
    let mut out: std::collections::HashMap<Box<str>, GroupTally> = Default::default();
    cases.for_each_key(&mut |k, _| {
        let Some(g) = k.group() else { return };
        if loud.contains(g) != (which == GroupsWith::NotParity) {
            return;
        }
        let t = match out.get_mut(g) {
            Some(t) => t,
            None => out.entry(g.into()).or_default(),
        };
        t.counts.add(k.verdict);
        t.matrix |= k.id[g.len()..].starts_with('[');
    });
    out.retain(|_, t| t.counts.total >= 2);
    out
}

/// The cases of a report, visited in an [`Order`] as often as a renderer
/// needs: from memory (a `Report`'s `cases`), or read back one at a time
/// from the spool a run writes them to as they finish (`spool`), so that
/// rendering 100,000 cases does not hold them all.
pub trait CaseSource {
    /// How many cases there are.
    fn count(&self) -> usize;
    /// Suites in order of first appearance, with their case counts.
    fn suites(&self) -> Vec<(String, usize)>;
    /// Call `f` on every case's key and suite, in plan order (without
    /// reading the cases back).
    fn for_each_key(&self, f: &mut dyn FnMut(&SortKey, &str));
    /// Call `f` on every case of `order`, in that order; stops at `f`'s
    /// first error (and at a spool that cannot be read back).
    fn visit(
        &self,
        order: Order,
        f: &mut dyn FnMut(&CaseResult) -> std::io::Result<()>,
    ) -> std::io::Result<()>;
    /// Call `f` on every case's compact JSON, in plan order: a spool hands
    /// over the bytes it holds without reading the cases back.
    fn visit_json(&self, f: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
        let mut buf = Vec::new();
        self.visit(Order::Plan, &mut |c| {
            buf.clear();
            serde_json::to_writer(&mut buf, c)?;
            f(&buf)
        })
    }
}

/// Plan positions of `keys` in `order` (shared by every [`CaseSource`]).
/// Beside the positions, the grouped orders keep only a map of the groups
/// of the cases not at parity.
pub fn arrange<'a>(
    keys: impl Iterator<Item = (&'a SortKey, usize)>,
    suite_of: impl Fn(usize) -> usize,
    order: Order,
) -> Vec<usize> {
    // `Grouped` and `ParityById` pick by the groups of the other cases.
    let every = matches!(order, Order::Grouped | Order::ParityById);
    let mut picked: Vec<(&SortKey, usize)> =
        keys.filter(|(k, _)| every || k.selected(order)).collect();
    match order {
        Order::Plan | Order::NotParity => {}
        Order::BySuite => picked.sort_by_key(|(_, i)| (suite_of(*i), *i)),
        Order::Top => picked.sort_by(|a, b| a.0.top_cmp(b.0)),
        Order::NotParityGrouped => return together(picked, Vec::new()),
        Order::TopGrouped => {
            picked.sort_by(|a, b| a.0.top_cmp(b.0));
            return together(picked, Vec::new());
        }
        Order::Grouped | Order::ParityById => {
            let (mut loud, mut quiet): (Vec<_>, Vec<_>) = picked
                .into_iter()
                .partition(|(k, _)| k.verdict != Verdict::Parity);
            loud.sort_by(|a, b| a.0.top_cmp(b.0));
            let mixed = groups_of(&loud);
            if order == Order::Grouped {
                quiet.retain(|(k, _)| k.group().is_some_and(|g| mixed.contains(g)));
                quiet.sort_by(|a, b| a.0.id.cmp(&b.0.id));
                return together(loud, quiet);
            }
            quiet.retain(|(k, _)| !k.group().is_some_and(|g| mixed.contains(g)));
            quiet.sort_by(|a, b| (a.0.group_or_id(), &a.0.id).cmp(&(b.0.group_or_id(), &b.0.id)));
            picked = quiet;
        }
    }
    picked.into_iter().map(|(_, i)| i).collect()
}

/// The groups with a case in `keys`.
fn groups_of<'a>(keys: &[(&'a SortKey, usize)]) -> std::collections::HashSet<&'a str> {
    keys.iter().filter_map(|(k, _)| k.group()).collect()
}

/// `first` in its order, except that the cases of one group follow each
/// other where its first one is; each group's cases in `then` (in their
/// order) after its cases in `first`. A case of `then` whose group has no
/// case in `first` is left out.
fn together(first: Vec<(&SortKey, usize)>, then: Vec<(&SortKey, usize)>) -> Vec<usize> {
    // Each case gets the rank of its unit (its group's, or its own), then
    // a stable sort by it keeps the order within a unit.
    let mut unit_of: std::collections::HashMap<&str, usize> = Default::default();
    let mut units = 0usize;
    let mut ranked: Vec<(usize, usize)> = Vec::with_capacity(first.len() + then.len());
    for (k, i) in first {
        let mut next = || {
            units += 1;
            units - 1
        };
        let u = match k.group() {
            Some(g) => *unit_of.entry(g).or_insert_with(next),
            None => next(),
        };
        ranked.push((u, i));
    }
    for (k, i) in then {
        if let Some(&u) = k.group().and_then(|g| unit_of.get(g)) {
            ranked.push((u, i));
        }
    }
    ranked.sort_by_key(|(u, _)| *u);
    ranked.into_iter().map(|(_, i)| i).collect()
}

impl CaseSource for Vec<CaseResult> {
    fn count(&self) -> usize {
        self.len()
    }

    fn suites(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = Default::default();
        for c in self {
            match at.get(c.suite.as_str()) {
                Some(&i) => out[i].1 += 1,
                None => {
                    at.insert(&c.suite, out.len());
                    out.push((c.suite.clone(), 1));
                }
            }
        }
        out
    }

    fn for_each_key(&self, f: &mut dyn FnMut(&SortKey, &str)) {
        for c in self {
            f(&SortKey::of(c), &c.suite);
        }
    }

    fn visit(
        &self,
        order: Order,
        f: &mut dyn FnMut(&CaseResult) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let keys: Vec<SortKey> = self.iter().map(SortKey::of).collect();
        let suites = self.suites();
        let suite_index: std::collections::HashMap<&str, usize> = suites
            .iter()
            .enumerate()
            .map(|(i, (s, _))| (s.as_str(), i))
            .collect();
        let suite_of = |i: usize| {
            suite_index
                .get(self[i].suite.as_str())
                .copied()
                .unwrap_or(0)
        };
        for i in arrange(keys.iter().zip(0..), suite_of, order) {
            f(&self[i])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, group: Option<&str>, verdict: &str, severity: Option<&str>) -> CaseResult {
        let differences: Vec<serde_json::Value> = severity
            .iter()
            .map(|s| {
                serde_json::json!({"provider": "b", "kind": "header", "severity": s,
                    "field": "x", "baseline": null, "candidate": null, "message": "m"})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": id, "suite": "s", "name": id, "group": group, "verdict": verdict,
            "differences": differences, "error": null, "failures": [],
            "responses": [], "probes": {}
        }))
        .expect("a case")
    }

    fn ids(cases: &Vec<CaseResult>, order: Order) -> Vec<String> {
        let mut out = Vec::new();
        cases
            .visit(order, &mut |c| {
                out.push(c.id.clone());
                Ok(())
            })
            .expect("in memory");
        out
    }

    #[test]
    fn a_group_is_one_only_where_it_starts_the_id() {
        let c = case("s::home[lang=fr]", Some("s::home"), "parity", None);
        assert_eq!(group_of(&c), Some("s::home"));
        assert_eq!(SortKey::of(&c).group(), Some("s::home"));
        for (id, group) in [
            ("s::home", "s::home"),
            ("s::other", "s::home"),
            ("s::x", ""),
        ] {
            let c = case(id, Some(group), "parity", None);
            assert_eq!(group_of(&c), None, "{id} in {group}");
            assert_eq!(SortKey::of(&c).group(), None, "{id} in {group}");
        }
    }

    #[test]
    fn grouped_orders_keep_a_groups_cases_together_ranked_by_its_worst() {
        let g = Some("s::m");
        let cases = vec![
            case("s::m[a=1]", g, "differs", Some("minor")),
            case("s::loud", None, "differs", Some("major")),
            case("s::m[a=2]", g, "parity", None),
            case("s::m[a=3]", g, "differs", Some("critical")),
            case("s::quiet", None, "parity", None),
            case("s::h@x.test", Some("s::h"), "parity", None),
            case("s::a", None, "parity", None),
            case("s::h@w.test", Some("s::h"), "parity", None),
        ];
        assert_eq!(
            ids(&cases, Order::Top),
            ["s::m[a=3]", "s::loud", "s::m[a=1]"]
        );
        assert_eq!(
            ids(&cases, Order::TopGrouped),
            ["s::m[a=3]", "s::m[a=1]", "s::loud"]
        );
        assert_eq!(
            ids(&cases, Order::NotParityGrouped),
            ["s::m[a=1]", "s::m[a=3]", "s::loud"]
        );
        // The group whole: its case at parity after its others.
        assert_eq!(
            ids(&cases, Order::Grouped),
            ["s::m[a=3]", "s::m[a=1]", "s::m[a=2]", "s::loud"]
        );
        // The rest at parity by id, a group's cases together.
        assert_eq!(
            ids(&cases, Order::ParityById),
            ["s::a", "s::h@w.test", "s::h@x.test", "s::quiet"]
        );
    }

    #[test]
    fn a_groups_rollup_counts_its_cases() {
        let g = Some("s::m");
        let cases = vec![
            case("s::m[a=1]", g, "differs", Some("minor")),
            case("s::m[a=2]", g, "parity", None),
            case("s::m[a=3]", g, "differs", Some("info")),
            case("s::h@x.test", Some("s::h"), "parity", None),
            case("s::h@y.test", Some("s::h"), "parity", None),
            case("s::e@x.test", Some("s::e"), "error", None),
            case("s::e@y.test", Some("s::e"), "flaky", Some("info")),
            case("s::e@z.test", Some("s::e"), "differs", Some("info")),
            case("s::one[a=1]", Some("s::one"), "differs", Some("info")),
        ];
        let loud = group_tallies(&cases, GroupsWith::NotParity);
        let quiet = group_tallies(&cases, GroupsWith::OnlyParity);
        let rollup = |g: &str| loud.get(g).or(quiet.get(g)).map(|t| t.rollup(g));
        assert_eq!(
            rollup("s::m").as_deref(),
            Some("s::m — 2 of 3 combinations differ")
        );
        assert_eq!(
            rollup("s::h").as_deref(),
            Some("s::h — 2 hosts, all at parity")
        );
        assert_eq!(
            rollup("s::e").as_deref(),
            Some("s::e — 3 of 3 hosts not at parity (1 differs, 1 flaky, 1 error)")
        );
        // One case of a group in the report (a filter, a shard): no head.
        assert_eq!(rollup("s::one"), None);
        let mut names: Vec<&str> = loud.keys().map(|k| &**k).collect();
        names.sort_unstable();
        assert_eq!(names, ["s::e", "s::m"]);
        let names: Vec<&str> = quiet.keys().map(|k| &**k).collect();
        assert_eq!(names, ["s::h"]);
    }
}
