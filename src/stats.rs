//! The statistics behind `edgeparity watch`: pure functions, no I/O, no other
//! edgeparity module. `canary` turns them into a verdict.
//!
//! # What is here, and why these methods
//!
//! - **Normal distribution** (`normal_cdf`, `normal_sf`, `normal_quantile`):
//!   from the `statrs` crate, the maintained statistics crate of the Rust
//!   ecosystem, so no error function of our own.
//! - **Two proportions** (error rate, non-2xx rate, cache-hit ratio):
//!   - [`two_proportion_z_test`] asks "do the rates differ at all?". Its
//!     standard error is **pooled**: under its null hypothesis (p1 = p2) the
//!     best estimate of the one common rate uses both samples. Its z squared
//!     is R's `prop.test(correct = FALSE)` X-squared.
//!   - [`difference_exceeds_margin`] asks "is sample 1 worse than sample 2
//!     by more than a margin δ?" (H0: p1 − p2 ≤ δ). Under that null the rates
//!     differ, so a pooled estimate is wrong; the standard error is
//!     **unpooled** (Wald).
//!   - [`newcombe_interval`] is the confidence interval for p1 − p2 that the
//!     judge acts on: Newcombe's hybrid score interval (Newcombe 1998,
//!     method 10), built from two Wilson intervals. Error rates live near 0,
//!     where the Wald interval is too narrow (it collapses to a point when a
//!     sample has no errors at all) and so raises false alarms; Newcombe's
//!     interval keeps its coverage there. [`wald_interval`] is kept for
//!     comparison and for the margin test.
//! - **Latency** (time to first byte), the Kayenta approach:
//!   - [`mann_whitney_u`]: the Wilcoxon–Mann–Whitney rank-sum test. Ties get
//!     mid-ranks and the tie-corrected variance; the normal approximation has
//!     an optional continuity correction; the exact null distribution is used
//!     for small samples without ties (both samples under 50 values, R's
//!     rule), computed by the Gaussian-binomial generating function in exact
//!     integer arithmetic.
//!   - [`hodges_lehmann_shift`]: the Hodges–Lehmann estimate of the shift
//!     (median of all pairwise differences candidate − baseline) and its
//!     distribution-free confidence interval (Moses): the C-th smallest and
//!     C-th largest pairwise difference, C from the exact U distribution for
//!     small untied samples, else from its normal approximation,
//!     C = ⌊mn/2 − z·σ_U⌋ with the tie-corrected σ_U of the test (Hollander
//!     & Wolfe 1999; these are the limits SAS PROC NPAR1WAY prints as
//!     "Asymptotic (Moses)", checked on two of its published examples).
//!     Rounding C down widens the interval: the conservative side.
//!
//! `statrs` also has a Mann–Whitney test, but it checks its input with a loop
//! over all pairs (quadratic), its exact p-value enumerates every subset
//! (C(1005, 5) ≈ 8·10¹² of them for 5 against 1,000 values), and it has no
//! Hodges–Lehmann estimate or interval; so those are written here.
//!
//! # Cost is bounded
//!
//! Ranking sorts: O(N log N) for N values. The n·m pairwise differences are
//! never built: an order statistic of them is found by bisection over the
//! 64-bit ordering of `f64` values, counting the differences at or below a
//! candidate value with two pointers over the sorted samples, O(n + m) per
//! step and at most 64 steps. So the Hodges–Lehmann estimate and its interval
//! are exact for any sample size, in O((n + m) log(n + m)) time and O(n + m)
//! memory, with no cap and no subsampling. The exact U distribution costs
//! O(min(n, m)·n·m) and is only used below 50 values per sample.
//!
//! # Bad input is an error, never a panic
//!
//! Empty samples, NaN or infinite values, counts above their totals and
//! confidence levels outside (0, 1) return a [`StatsError`].

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Largest sample size (per sample) for which the exact distribution of U is
/// computed, as in R's `wilcox.test`: exact when both samples have fewer
/// than this many values and there are no ties.
pub const EXACT_LIMIT: usize = 50;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    #[error("a sample is empty")]
    EmptySample,
    #[error("a value is NaN or infinite")]
    NonFinite,
    #[error("a count ({count}) is larger than its total ({total})")]
    CountExceedsTotal { count: u64, total: u64 },
    #[error("a confidence level must lie strictly between 0 and 1")]
    InvalidConfidence,
    #[error("a margin must be a finite number")]
    InvalidMargin,
    #[error("a probability must lie in [0, 1]")]
    InvalidProbability,
    #[error("the exact distribution of U is only computed below {EXACT_LIMIT} values per sample")]
    ExactTooLarge,
    #[error("the exact distribution of U needs samples without ties")]
    ExactWithTies,
}

/// A closed interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    /// Whether `value` lies in the interval (bounds included).
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    /// Whether the whole interval lies strictly above `value`.
    pub fn entirely_above(&self, value: f64) -> bool {
        self.lower > value
    }
}

// ---------------------------------------------------------------------------
// The normal distribution
// ---------------------------------------------------------------------------

/// Φ(z), the standard normal distribution function. NaN gives NaN.
pub fn normal_cdf(z: f64) -> f64 {
    Normal::standard().cdf(z)
}

/// 1 − Φ(z), computed without cancellation for large z. NaN gives NaN.
pub fn normal_sf(z: f64) -> f64 {
    Normal::standard().sf(z)
}

/// Φ⁻¹(p) for p strictly between 0 and 1; `None` otherwise (and for NaN).
pub fn normal_quantile(p: f64) -> Option<f64> {
    if p > 0.0 && p < 1.0 {
        Some(Normal::standard().inverse_cdf(p))
    } else {
        None
    }
}

/// The z with Φ(z) = (1 + confidence) / 2: the multiplier of a two-sided
/// interval at `confidence` (1.959964 for 0.95).
pub fn two_sided_z(confidence: f64) -> Result<f64, StatsError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::InvalidConfidence);
    }
    normal_quantile((1.0 + confidence) / 2.0).ok_or(StatsError::InvalidConfidence)
}

// ---------------------------------------------------------------------------
// Plain summaries
// ---------------------------------------------------------------------------

fn check_finite(values: &[f64]) -> Result<(), StatsError> {
    if values.is_empty() {
        return Err(StatsError::EmptySample);
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(StatsError::NonFinite);
    }
    Ok(())
}

fn sorted_copy(values: &[f64]) -> Result<Vec<f64>, StatsError> {
    check_finite(values)?;
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// The `p`-quantile (0 ≤ p ≤ 1) of an ascending sorted sample, by linear
/// interpolation between order statistics (Hyndman & Fan type 7, R's and
/// numpy's default). `None` for an empty sample or `p` outside [0, 1].
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// The `p`-quantile of a sample in any order (type 7, see [`quantile_sorted`]).
pub fn quantile(values: &[f64], p: f64) -> Result<f64, StatsError> {
    let sorted = sorted_copy(values)?;
    quantile_sorted(&sorted, p).ok_or(StatsError::InvalidProbability)
}

/// The median of a sample (the mean of the two middle values for an even
/// count).
pub fn median(values: &[f64]) -> Result<f64, StatsError> {
    quantile(values, 0.5)
}

// ---------------------------------------------------------------------------
// Two proportions
// ---------------------------------------------------------------------------

fn check_count(count: u64, total: u64) -> Result<f64, StatsError> {
    if total == 0 {
        return Err(StatsError::EmptySample);
    }
    if count > total {
        return Err(StatsError::CountExceedsTotal { count, total });
    }
    Ok(count as f64 / total as f64)
}

/// The pooled two-proportion z-test of H0: p1 = p2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TwoProportionTest {
    /// x1 / n1.
    pub p1: f64,
    /// x2 / n2.
    pub p2: f64,
    /// p1 − p2.
    pub difference: f64,
    /// (x1 + x2) / (n1 + n2), the common rate under H0.
    pub pooled: f64,
    /// √(pooled·(1 − pooled)·(1/n1 + 1/n2)).
    pub standard_error: f64,
    /// difference / standard_error; 0 when the standard error is 0 (both
    /// samples all successes or all failures: no difference at all).
    pub z: f64,
    /// P(|Z| ≥ |z|).
    pub p_two_sided: f64,
    /// P(Z ≥ z): the p-value for H1: p1 > p2.
    pub p_greater: f64,
}

/// The two-proportion z-test with a pooled standard error, for "do the two
/// rates differ?" (H0: p1 = p2). `x1` of `n1` against `x2` of `n2`.
pub fn two_proportion_z_test(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
) -> Result<TwoProportionTest, StatsError> {
    let p1 = check_count(x1, n1)?;
    let p2 = check_count(x2, n2)?;
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 as f64 + x2 as f64) / (n1f + n2f);
    let standard_error = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    let difference = p1 - p2;
    let z = if standard_error > 0.0 {
        difference / standard_error
    } else {
        0.0
    };
    Ok(TwoProportionTest {
        p1,
        p2,
        difference,
        pooled,
        standard_error,
        z,
        p_two_sided: (2.0 * normal_sf(z.abs())).min(1.0),
        p_greater: normal_sf(z),
    })
}

/// The one-sided test of H0: p1 − p2 ≤ margin against H1: p1 − p2 > margin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarginTest {
    /// p1 − p2.
    pub difference: f64,
    /// The margin δ of the hypotheses.
    pub margin: f64,
    /// Unpooled: √(p1(1 − p1)/n1 + p2(1 − p2)/n2).
    pub standard_error: f64,
    /// (difference − margin) / standard_error; `None` when the standard
    /// error is 0 (every rate 0 or 1), where the p-value is decided by the
    /// sign of difference − margin alone.
    pub z: Option<f64>,
    /// P(Z ≥ z).
    pub p_value: f64,
}

/// Is p1 larger than p2 by more than `margin`? The Wald z-test with an
/// unpooled standard error (under this null the rates differ, so pooling
/// them would be wrong).
pub fn difference_exceeds_margin(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    margin: f64,
) -> Result<MarginTest, StatsError> {
    if !margin.is_finite() {
        return Err(StatsError::InvalidMargin);
    }
    let p1 = check_count(x1, n1)?;
    let p2 = check_count(x2, n2)?;
    let difference = p1 - p2;
    let standard_error = (p1 * (1.0 - p1) / n1 as f64 + p2 * (1.0 - p2) / n2 as f64).sqrt();
    let excess = difference - margin;
    let (z, p_value) = if standard_error > 0.0 {
        let z = excess / standard_error;
        (Some(z), normal_sf(z))
    } else if excess > 0.0 {
        (None, 0.0)
    } else if excess < 0.0 {
        (None, 1.0)
    } else {
        (None, 0.5)
    };
    Ok(MarginTest {
        difference,
        margin,
        standard_error,
        z,
        p_value,
    })
}

/// The Wilson score interval for one proportion `x` of `n`.
pub fn wilson_interval(x: u64, n: u64, confidence: f64) -> Result<Interval, StatsError> {
    let p = check_count(x, n)?;
    let z = two_sided_z(confidence)?;
    let nf = n as f64;
    let z2 = z * z;
    let denominator = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denominator;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denominator;
    // At x = 0 and x = n the bounds are exactly 0 and 1; say so rather than
    // trust the rounding of centre ∓ half.
    let lower = if x == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let upper = if x == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Ok(Interval { lower, upper })
}

/// The Wald interval for p1 − p2: (p1 − p2) ± z·SE with the unpooled SE.
/// R's `prop.test(correct = FALSE)` prints this interval.
pub fn wald_interval(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    confidence: f64,
) -> Result<Interval, StatsError> {
    let t = difference_exceeds_margin(x1, n1, x2, n2, 0.0)?;
    let z = two_sided_z(confidence)?;
    Ok(Interval {
        lower: (t.difference - z * t.standard_error).max(-1.0),
        upper: (t.difference + z * t.standard_error).min(1.0),
    })
}

/// Newcombe's hybrid score interval for p1 − p2 (Newcombe 1998, method 10):
/// from the Wilson intervals [l1, u1] and [l2, u2],
/// lower = d − √((p1 − l1)² + (u2 − p2)²), upper = d + √((u1 − p1)² + (p2 − l2)²).
pub fn newcombe_interval(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    confidence: f64,
) -> Result<Interval, StatsError> {
    let p1 = check_count(x1, n1)?;
    let p2 = check_count(x2, n2)?;
    let w1 = wilson_interval(x1, n1, confidence)?;
    let w2 = wilson_interval(x2, n2, confidence)?;
    let d = p1 - p2;
    Ok(Interval {
        lower: d - ((p1 - w1.lower).powi(2) + (w2.upper - p2).powi(2)).sqrt(),
        upper: d + ((w1.upper - p1).powi(2) + (p2 - w2.lower).powi(2)).sqrt(),
    })
}

// ---------------------------------------------------------------------------
// Mann–Whitney U
// ---------------------------------------------------------------------------

/// The alternative hypothesis of a rank test, about the first sample `x`
/// against the second `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alternative {
    /// x and y differ in location.
    TwoSided,
    /// x tends to be larger than y.
    Greater,
    /// x tends to be smaller than y.
    Less,
}

/// How the p-value of U is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UMethod {
    /// Exact when both samples have fewer than [`EXACT_LIMIT`] values and
    /// there are no ties; otherwise the normal approximation with continuity
    /// correction. R's `wilcox.test` default.
    Auto,
    /// The exact null distribution; an error with ties or large samples.
    Exact,
    /// The normal approximation with the tie-corrected variance.
    Normal { continuity: bool },
}

/// The result of a Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U of the first sample: the number of pairs (xᵢ, yⱼ) with xᵢ > yⱼ,
    /// ties counting one half. R's W.
    pub u: f64,
    /// Size of x.
    pub n_x: usize,
    /// Size of y.
    pub n_y: usize,
    /// The normal-approximation statistic (continuity correction applied
    /// when asked); reported for the exact test too. 0 when every value is
    /// the same.
    pub z: f64,
    /// The p-value for the chosen alternative.
    pub p_value: f64,
    /// Whether `p_value` comes from the exact distribution.
    pub exact: bool,
    /// Whether the pooled sample has tied values.
    pub ties: bool,
}

/// Ranks of the pooled sample: (rank sum of x, Σ(t³ − t) over tie groups).
fn rank_sum(x: &[f64], y: &[f64]) -> (f64, f64) {
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < pooled.len() {
        let mut j = i + 1;
        // `==`, not `total_cmp`: -0.0 and 0.0 are one value here.
        while j < pooled.len() && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        // Positions i..j (0-based) share the mid-rank of ranks i+1..=j.
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        let in_x = pooled[i..j].iter().filter(|p| p.1).count();
        rank_sum_x += mid_rank * in_x as f64;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    (rank_sum_x, tie_term)
}

/// The Wilcoxon–Mann–Whitney test of `x` against `y`.
pub fn mann_whitney_u(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
    method: UMethod,
) -> Result<MannWhitney, StatsError> {
    check_finite(x)?;
    check_finite(y)?;
    let (m, n) = (x.len(), y.len());
    let (mf, nf) = (m as f64, n as f64);
    let (rank_sum_x, tie_term) = rank_sum(x, y);
    let ties = tie_term > 0.0;
    let u = rank_sum_x - mf * (mf + 1.0) / 2.0;

    let mean = mf * nf / 2.0;
    let total = mf + nf;
    let variance = mf * nf / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    let continuity = match method {
        UMethod::Auto => true,
        UMethod::Exact => false,
        UMethod::Normal { continuity } => continuity,
    };
    let delta = u - mean;
    let correction = if !continuity {
        0.0
    } else {
        match alternative {
            // R: sign(U − mn/2) · 0.5, and no correction at the centre.
            Alternative::TwoSided if delta > 0.0 => 0.5,
            Alternative::TwoSided if delta < 0.0 => -0.5,
            Alternative::TwoSided => 0.0,
            Alternative::Greater => 0.5,
            Alternative::Less => -0.5,
        }
    };
    let z = if variance > 0.0 {
        (delta - correction) / variance.sqrt()
    } else {
        0.0
    };
    let normal_p = match alternative {
        _ if variance <= 0.0 => 1.0,
        Alternative::TwoSided => (2.0 * normal_cdf(z).min(normal_sf(z))).min(1.0),
        Alternative::Greater => normal_sf(z),
        Alternative::Less => normal_cdf(z),
    };

    let small = m < EXACT_LIMIT && n < EXACT_LIMIT;
    let exact = match method {
        UMethod::Auto => small && !ties,
        UMethod::Exact if ties => return Err(StatsError::ExactWithTies),
        UMethod::Exact if !small => return Err(StatsError::ExactTooLarge),
        UMethod::Exact => true,
        UMethod::Normal { .. } => false,
    };
    let p_value = if exact {
        // Without ties U is a whole number.
        let dist = UDistribution::new(m, n);
        let u = u.round() as usize;
        match alternative {
            Alternative::Greater => dist.upper_tail(u),
            Alternative::Less => dist.cdf(u),
            Alternative::TwoSided => {
                let p = if 2 * u > m * n {
                    dist.upper_tail(u)
                } else {
                    dist.cdf(u)
                };
                (2.0 * p).min(1.0)
            }
        }
    } else {
        normal_p
    };
    Ok(MannWhitney {
        u,
        n_x: m,
        n_y: n,
        z,
        p_value,
        exact,
        ties,
    })
}

/// The exact null distribution of U for samples of sizes m and n without
/// ties: `counts[u]` arrangements of the pooled ranks give U = u, out of
/// C(m + n, m). The counts are the coefficients of the Gaussian binomial
/// [m+n choose m]_q = Π_{i=1..k} (1 − q^{l+i}) / (1 − q^i), k = min(m, n),
/// l = max(m, n), built one factor at a time in exact integers. Below 50
/// values per sample every count fits in an i128 (C(98, 49) ≈ 2.5e28).
struct UDistribution {
    counts: Vec<i128>,
    total: i128,
}

impl UDistribution {
    fn new(m: usize, n: usize) -> UDistribution {
        let (k, l) = (m.min(n), m.max(n));
        let mut poly: Vec<i128> = vec![1];
        for i in 1..=k {
            // Multiply by (1 − q^(l+i)).
            let shift = l + i;
            let mut next = vec![0i128; poly.len() + shift];
            for (d, &c) in poly.iter().enumerate() {
                next[d] += c;
                next[d + shift] -= c;
            }
            // Divide by (1 − q^i): the quotient has degree l·i.
            let degree = l * i;
            next.truncate(degree + i + 1);
            let mut quotient = vec![0i128; degree + 1];
            for d in 0..=degree {
                let carried = if d >= i { quotient[d - i] } else { 0 };
                quotient[d] = next.get(d).copied().unwrap_or(0) + carried;
            }
            poly = quotient;
        }
        let total = poly.iter().sum();
        UDistribution {
            counts: poly,
            total,
        }
    }

    /// P(U ≤ u).
    fn cdf(&self, u: usize) -> f64 {
        let upto = u.min(self.counts.len().saturating_sub(1));
        let c: i128 = self.counts.iter().take(upto + 1).sum();
        c as f64 / self.total as f64
    }

    /// P(U ≥ u).
    fn upper_tail(&self, u: usize) -> f64 {
        let c: i128 = self.counts.iter().skip(u).sum();
        c as f64 / self.total as f64
    }
}

/// The two-sided critical value of U from its exact distribution: the
/// largest c with P(U ≤ c) ≤ alpha / 2, so that U ≤ c rejects "same
/// distribution" at level `alpha` (the number in printed Mann–Whitney
/// tables). `None` when even U = 0 is not that rare (samples too small for
/// this alpha), when alpha is not in (0, 1), or when a sample has
/// [`EXACT_LIMIT`] values or more.
pub fn u_critical_value(m: usize, n: usize, alpha: f64) -> Option<usize> {
    if m == 0 || n == 0 || m >= EXACT_LIMIT || n >= EXACT_LIMIT || !(alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    let dist = UDistribution::new(m, n);
    let limit = alpha / 2.0 * dist.total as f64;
    let mut cumulative: i128 = 0;
    let mut critical = None;
    for (u, &c) in dist.counts.iter().enumerate() {
        cumulative += c;
        if cumulative as f64 <= limit {
            critical = Some(u);
        } else {
            break;
        }
    }
    critical
}

// ---------------------------------------------------------------------------
// Hodges–Lehmann shift
// ---------------------------------------------------------------------------

/// How the confidence interval of the shift is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftMethod {
    /// Exact for small samples without ties (as [`UMethod::Auto`]), else
    /// the normal approximation.
    Auto,
    /// C from the exact distribution of U; an error with ties or large
    /// samples.
    Exact,
    /// C from the normal approximation of U (Moses).
    Asymptotic,
}

/// The Hodges–Lehmann estimate of the shift candidate − baseline, with its
/// distribution-free confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShiftEstimate {
    /// Median of the n·m differences candidateⱼ − baselineᵢ.
    pub estimate: f64,
    /// The interval [D(C), D(nm + 1 − C)] over the sorted differences D
    /// (1-based);
    /// `None` when the samples are too small to reach the confidence level
    /// (C would be below 1).
    pub interval: Option<Interval>,
    /// The confidence level asked for.
    pub confidence: f64,
    /// Whether C came from the exact distribution of U.
    pub exact: bool,
    /// C, the rank of the lower limit among the sorted differences.
    pub rank: Option<u64>,
    /// n·m, the number of pairwise differences.
    pub pairs: u64,
}

/// The Hodges–Lehmann shift of `candidate` against `baseline` (positive:
/// the candidate is larger, e.g. slower) and its confidence interval at
/// `confidence`, without building the n·m differences (see the module docs).
pub fn hodges_lehmann_shift(
    baseline: &[f64],
    candidate: &[f64],
    confidence: f64,
    method: ShiftMethod,
) -> Result<ShiftEstimate, StatsError> {
    let z = two_sided_z(confidence)?;
    let b = sorted_copy(baseline)?;
    let c = sorted_copy(candidate)?;
    let pairs = b.len() as u64 * c.len() as u64;
    let differences = PairwiseDifferences::new(&c, &b)?;

    let estimate = if pairs % 2 == 1 {
        differences.kth(pairs / 2 + 1)
    } else {
        let low = differences.kth(pairs / 2);
        let high = differences.kth(pairs / 2 + 1);
        low + (high - low) / 2.0
    };

    let small = b.len() < EXACT_LIMIT && c.len() < EXACT_LIMIT;
    let (_, tie_term) = rank_sum(&b, &c);
    let ties = tie_term > 0.0;
    let exact = match method {
        ShiftMethod::Auto => small && !ties,
        ShiftMethod::Exact if !small => return Err(StatsError::ExactTooLarge),
        ShiftMethod::Exact if ties => return Err(StatsError::ExactWithTies),
        ShiftMethod::Exact => true,
        ShiftMethod::Asymptotic => false,
    };
    let rank = if exact {
        // H&W: C = largest c with P(U ≤ c − 1) ≤ α/2, i.e. critical + 1.
        u_critical_value(b.len(), c.len(), 1.0 - confidence).map(|k| k as u64 + 1)
    } else {
        // The variance of U with the tie correction, as in the test.
        let (m, n) = (b.len() as f64, c.len() as f64);
        let total = m + n;
        let variance = m * n / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
        let c_alpha = (m * n / 2.0 - z * variance.max(0.0).sqrt()).floor();
        (c_alpha >= 1.0).then_some(c_alpha as u64)
    };
    let interval = rank.map(|k| Interval {
        lower: differences.kth(k),
        upper: differences.kth(pairs + 1 - k),
    });
    Ok(ShiftEstimate {
        estimate,
        interval,
        confidence,
        exact,
        rank,
        pairs,
    })
}

/// The multiset {aᵢ − bⱼ} of two sorted samples, queried by order statistic
/// without being built.
struct PairwiseDifferences<'a> {
    a: &'a [f64],
    b: &'a [f64],
    min: f64,
    max: f64,
}

impl<'a> PairwiseDifferences<'a> {
    fn new(a: &'a [f64], b: &'a [f64]) -> Result<Self, StatsError> {
        let (Some(&a0), Some(&a1), Some(&b0), Some(&b1)) =
            (a.first(), a.last(), b.first(), b.last())
        else {
            return Err(StatsError::EmptySample);
        };
        let (min, max) = (a0 - b1, a1 - b0);
        // Finite samples can still overflow when subtracted.
        if !min.is_finite() || !max.is_finite() {
            return Err(StatsError::NonFinite);
        }
        Ok(PairwiseDifferences { a, b, min, max })
    }

    /// How many differences are ≤ v. For a fixed aᵢ the differences fall as
    /// bⱼ grows, so those ≤ v are a suffix of b, and that suffix starts no
    /// earlier for the next (larger) aᵢ: one pass with two pointers. The
    /// comparison uses the same rounded subtraction as everywhere else, so
    /// the count is exact for the differences as computed.
    fn count_at_most(&self, v: f64) -> u64 {
        let mut start = 0;
        let mut count = 0u64;
        for &ai in self.a {
            while start < self.b.len() && ai - self.b[start] > v {
                start += 1;
            }
            count += (self.b.len() - start) as u64;
        }
        count
    }

    /// The k-th smallest difference, 1 ≤ k ≤ n·m: the smallest value v with
    /// at least k differences ≤ v, found by bisection over the ordered bit
    /// patterns of finite `f64` values (at most 64 steps).
    fn kth(&self, k: u64) -> f64 {
        let mut lo = order_key(self.min);
        let mut hi = order_key(self.max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.count_at_most(from_order_key(mid)) >= k {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // + 0.0 turns a -0.0 into 0.0.
        from_order_key(lo) + 0.0
    }
}

/// A u64 whose order is the numeric order of finite f64 values.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn from_order_key(key: u64) -> f64 {
    if key >> 63 == 1 {
        f64::from_bits(key & !(1 << 63))
    } else {
        f64::from_bits(!key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "expected {expected} ± {tolerance}, got {actual}"
        );
    }

    // -- normal ------------------------------------------------------------

    #[test]
    fn normal_matches_the_printed_table() {
        // NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.1, table
        // of the area from 0 to z: 0.34134 at 1.00, 0.47500 at 1.96,
        // 0.49506 at 2.58.
        close(normal_cdf(1.00), 0.5 + 0.34134, 5e-6);
        close(normal_cdf(1.96), 0.5 + 0.47500, 5e-6);
        close(normal_cdf(2.58), 0.5 + 0.49506, 5e-6);
        close(normal_sf(1.96), 0.025, 5e-6);
        // Same handbook, 1.3.6.7.1: the critical values 1.645 (one-sided
        // 0.05) and 1.960 (two-sided 0.05).
        close(two_sided_z(0.95).unwrap(), 1.960, 5e-4);
        close(normal_quantile(0.95).unwrap(), 1.645, 5e-4);
    }

    #[test]
    fn normal_quantile_refuses_what_has_no_answer() {
        assert_eq!(normal_quantile(0.0), None);
        assert_eq!(normal_quantile(1.0), None);
        assert_eq!(normal_quantile(f64::NAN), None);
        assert_eq!(two_sided_z(1.0), Err(StatsError::InvalidConfidence));
        assert_eq!(two_sided_z(f64::NAN), Err(StatsError::InvalidConfidence));
    }

    // -- summaries -----------------------------------------------------------

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        // By the definition of type 7 (Hyndman & Fan 1996): h = (n − 1)p.
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]).unwrap(), 2.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.9).unwrap(), 4.6);
        assert_eq!(quantile_sorted(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[1.0], 1.5), None);
        assert_eq!(median(&[]), Err(StatsError::EmptySample));
        assert_eq!(median(&[1.0, f64::NAN]), Err(StatsError::NonFinite));
    }

    // -- proportions -----------------------------------------------------------

    #[test]
    fn pooled_z_test_matches_r_prop_test() {
        // R: prop.test(x = c(82, 104), n = c(108, 143), correct = FALSE)
        // prints X-squared = 0.32805, p-value = 0.5668 and the proportions
        // 0.7592593 and 0.7272727 (output reproduced in published course
        // notes). Its X-squared is the pooled z squared.
        let t = two_proportion_z_test(82, 108, 104, 143).unwrap();
        close(t.p1, 0.7592593, 5e-8);
        close(t.p2, 0.7272727, 5e-8);
        close(t.z * t.z, 0.32805, 5e-6);
        close(t.p_two_sided, 0.5668, 5e-5);

        // R: prop.test(x = c(21, 38), n = c(100, 100), correct = F):
        // X-squared = 6.948, p-value = 0.008392; with alt = "less":
        // p-value = 0.004196 (published R session; its hand computation
        // gives z0 = -2.635897).
        let t = two_proportion_z_test(21, 100, 38, 100).unwrap();
        close(t.z, -2.635897, 5e-7);
        close(t.z * t.z, 6.948, 5e-4);
        close(t.p_two_sided, 0.008392, 5e-7);
        close(1.0 - t.p_greater, 0.004196, 5e-7);
    }

    #[test]
    fn pooled_z_test_without_variance_says_no_difference() {
        let t = two_proportion_z_test(0, 50, 0, 80).unwrap();
        assert_eq!((t.z, t.p_two_sided, t.p_greater), (0.0, 1.0, 0.5));
        let t = two_proportion_z_test(7, 7, 9, 9).unwrap();
        assert_eq!(t.z, 0.0);
    }

    #[test]
    fn proportions_refuse_bad_counts() {
        assert_eq!(
            two_proportion_z_test(5, 4, 1, 10),
            Err(StatsError::CountExceedsTotal { count: 5, total: 4 })
        );
        assert_eq!(
            two_proportion_z_test(0, 0, 1, 10),
            Err(StatsError::EmptySample)
        );
        assert_eq!(
            difference_exceeds_margin(1, 10, 1, 10, f64::NAN),
            Err(StatsError::InvalidMargin)
        );
        assert_eq!(
            newcombe_interval(1, 10, 1, 10, 1.5),
            Err(StatsError::InvalidConfidence)
        );
    }

    #[test]
    fn wald_interval_matches_r_and_newcombe() {
        // R: prop.test(c(82, 104), c(108, 143), correct = FALSE) prints the
        // 95 percent confidence interval -0.0767781 0.1407512.
        let i = wald_interval(82, 108, 104, 143, 0.95).unwrap();
        close(i.lower, -0.0767781, 5e-8);
        close(i.upper, 0.1407512, 5e-8);
        // R: prop.test(c(21, 38), c(100, 100), correct = F, conf.level =
        // 0.99) prints -0.333214919 -0.006785081.
        let i = wald_interval(21, 100, 38, 100, 0.99).unwrap();
        close(i.lower, -0.333214919, 5e-9);
        close(i.upper, -0.006785081, 5e-9);
        // Newcombe (1998), Statistics in Medicine 17:873-890, table II,
        // example (a) 56/70 - 48/80, method 1 (Wald): 0.0575 to 0.3425.
        let i = wald_interval(56, 70, 48, 80, 0.95).unwrap();
        close(i.lower, 0.0575, 5e-5);
        close(i.upper, 0.3425, 5e-5);
    }

    #[test]
    fn newcombe_interval_matches_the_paper() {
        // Newcombe (1998), Statistics in Medicine 17:873-890, table II,
        // method 10 (score interval for each proportion combined), 95%.
        let cases = [
            ((56, 70, 48, 80), (0.0524, 0.3339)), // (a)
            ((9, 10, 3, 10), (0.1705, 0.8090)),   // (b)
            ((5, 56, 0, 29), (-0.0381, 0.1926)),  // (d)
            ((0, 10, 0, 20), (-0.1611, 0.2775)),  // (e)
            ((0, 10, 0, 10), (-0.2775, 0.2775)),  // (f)
        ];
        for ((x1, n1, x2, n2), (lower, upper)) in cases {
            let i = newcombe_interval(x1, n1, x2, n2, 0.95).unwrap();
            close(i.lower, lower, 5e-5);
            close(i.upper, upper, 5e-5);
        }
    }

    #[test]
    fn wilson_interval_is_exactly_closed_at_the_ends() {
        let i = wilson_interval(0, 25, 0.95).unwrap();
        assert_eq!(i.lower, 0.0);
        assert!(i.upper > 0.0 && i.upper < 0.2);
        let i = wilson_interval(25, 25, 0.95).unwrap();
        assert_eq!(i.upper, 1.0);
        assert!(i.lower > 0.8);
    }

    #[test]
    fn margin_test_is_one_sided_and_unpooled() {
        // The Wald interval and the margin test are the same computation:
        // the margin at the lower 97.5% bound gives p = 0.025.
        let i = wald_interval(56, 70, 48, 80, 0.95).unwrap();
        let t = difference_exceeds_margin(56, 70, 48, 80, i.lower).unwrap();
        close(t.p_value, 0.025, 1e-9);
        let t = difference_exceeds_margin(56, 70, 48, 80, 0.2).unwrap();
        close(t.p_value, 0.5, 1e-12);
        // No variance: the sign decides.
        let t = difference_exceeds_margin(10, 10, 0, 10, 0.05).unwrap();
        assert_eq!((t.z, t.p_value), (None, 0.0));
        let t = difference_exceeds_margin(0, 10, 0, 10, 0.05).unwrap();
        assert_eq!((t.z, t.p_value), (None, 1.0));
    }

    // -- Mann–Whitney ----------------------------------------------------------

    // R's ?wilcox.test two-sample example, Hollander & Wolfe (1973), p. 69f:
    // permeability constants of the human chorioamnion at term (x) and at
    // 12-26 weeks (y).
    const HW_X: [f64; 10] = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const HW_Y: [f64; 5] = [1.15, 0.88, 0.90, 0.74, 1.21];

    #[test]
    fn mann_whitney_exact_matches_r() {
        // wilcox.test(x, y, alternative = "g") prints "Wilcoxon rank sum
        // exact test, W = 35, p-value = 0.1272".
        let t = mann_whitney_u(&HW_X, &HW_Y, Alternative::Greater, UMethod::Auto).unwrap();
        assert!(t.exact && !t.ties);
        assert_eq!(t.u, 35.0);
        close(t.p_value, 0.1272, 5e-5);
        // The same statistic from the other side.
        let t = mann_whitney_u(&HW_Y, &HW_X, Alternative::Less, UMethod::Exact).unwrap();
        assert_eq!(t.u, 15.0);
        close(t.p_value, 0.1272, 5e-5);
    }

    #[test]
    fn mann_whitney_normal_matches_r() {
        // wilcox.test(x, y, alternative = "greater", exact = FALSE, correct =
        // FALSE) ("H&W large sample approximation"): W = 35, p-value = 0.1103.
        let method = UMethod::Normal { continuity: false };
        let t = mann_whitney_u(&HW_X, &HW_Y, Alternative::Greater, method).unwrap();
        assert!(!t.exact);
        close(t.p_value, 0.1103, 5e-5);
    }

    #[test]
    fn mann_whitney_with_ties_matches_r() {
        // r-help, 2 October 2013, "Interpreting the result of a Wilcoxon
        // (Mann-Whitney U) test": wilcox.test(a, b, exact = FALSE) with
        // continuity correction prints W = 145 and p-values 0.08969
        // (two-sided), 0.04485 (less), 0.9582 (greater).
        let a = [
            1., 1., 1., 1., 1., 1., 1., 1., 3., 1., 1., 1., 2., 1., 5., 1., 1., 1., 3., 1., 1., 1.,
            1., 1., 1., 3., 1., 1.,
        ];
        let b = [1., 2., 1., 1., 2., 3., 2., 2., 1., 2., 1., 1., 1., 2.];
        let m = UMethod::Normal { continuity: true };
        let two = mann_whitney_u(&a, &b, Alternative::TwoSided, m).unwrap();
        assert!(two.ties);
        assert_eq!(two.u, 145.0);
        close(two.p_value, 0.08969, 5e-6);
        let less = mann_whitney_u(&a, &b, Alternative::Less, m).unwrap();
        close(less.p_value, 0.04485, 5e-6);
        let greater = mann_whitney_u(&a, &b, Alternative::Greater, m).unwrap();
        close(greater.p_value, 0.9582, 5e-5);
        // Auto falls back to the normal approximation with ties.
        let auto = mann_whitney_u(&a, &b, Alternative::TwoSided, UMethod::Auto).unwrap();
        assert_eq!(auto.p_value, two.p_value);
        assert_eq!(
            mann_whitney_u(&a, &b, Alternative::TwoSided, UMethod::Exact),
            Err(StatsError::ExactWithTies)
        );
    }

    #[test]
    fn mann_whitney_more_published_r_outputs() {
        // R: x <- c(1,5,9,24,56,21,3,7,21,4); y <- c(12,15,5,9,9,14,56,22,
        // 3,7,32,5); wilcox.test(x, y): "Wilcoxon rank sum test with
        // continuity correction, W = 51.5, p-value = 0.5966"; with
        // y <- c(1233,4356,987,39999,1111,200000): W = 0, p-value = 0.001364
        // (endmemo.com, R wilcox.test page).
        let x = [1., 5., 9., 24., 56., 21., 3., 7., 21., 4.];
        let y = [12., 15., 5., 9., 9., 14., 56., 22., 3., 7., 32., 5.];
        let t = mann_whitney_u(&x, &y, Alternative::TwoSided, UMethod::Auto).unwrap();
        assert_eq!(t.u, 51.5);
        close(t.p_value, 0.5966, 5e-5);
        let y = [1233., 4356., 987., 39999., 1111., 200000.];
        let t = mann_whitney_u(&x, &y, Alternative::TwoSided, UMethod::Auto).unwrap();
        assert_eq!(t.u, 0.0);
        assert!(!t.exact, "x has ties, so R used the normal approximation");
        close(t.p_value, 0.001364, 5e-7);
    }

    #[test]
    fn mann_whitney_refuses_bad_samples() {
        let ok = [1.0, 2.0];
        for bad in [&[][..], &[f64::NAN][..], &[f64::INFINITY][..]] {
            assert!(mann_whitney_u(bad, &ok, Alternative::Greater, UMethod::Auto).is_err());
            assert!(mann_whitney_u(&ok, bad, Alternative::Greater, UMethod::Auto).is_err());
        }
        let big: Vec<f64> = (0..60).map(f64::from).collect();
        assert_eq!(
            mann_whitney_u(&big, &[0.5, 1.5], Alternative::Greater, UMethod::Exact),
            Err(StatsError::ExactTooLarge)
        );
    }

    #[test]
    fn mann_whitney_of_identical_constants_is_not_evidence() {
        let a = [5.0; 20];
        let t = mann_whitney_u(&a, &a, Alternative::Greater, UMethod::Auto).unwrap();
        assert_eq!((t.u, t.z, t.p_value), (200.0, 0.0, 1.0));
    }

    #[test]
    fn exact_distribution_counts_every_arrangement() {
        // Σ counts = C(m + n, m), and the distribution is symmetric.
        let d = UDistribution::new(10, 5);
        assert_eq!(d.total, 3003);
        assert_eq!(d.counts.len(), 51);
        for u in 0..=50 {
            assert_eq!(d.counts[u], d.counts[50 - u]);
        }
        let d = UDistribution::new(49, 49);
        // C(98, 49).
        assert_eq!(d.total, 25_477_612_258_980_856_902_730_428_600);
        assert!(d.counts.iter().all(|&c| c > 0));
    }

    #[test]
    fn critical_values_match_the_printed_table() {
        // Critical values of the Mann-Whitney U for a two-tailed test at
        // alpha = 0.05 (the standard table, e.g. numeracy-bank.net's "Table
        // of Critical Values ... (α) of 0.05 for the U statistic"; the same
        // entries are in the table reproduced on docstoc, "Critical values
        // of Mann-Whitney U at p = 0.05 (two-tailed test)").
        let table = [
            ((5, 5), 2),
            ((5, 10), 8),
            ((7, 12), 18),
            ((8, 8), 13),
            ((10, 10), 23),
            ((20, 20), 127),
        ];
        for ((m, n), critical) in table {
            assert_eq!(u_critical_value(m, n, 0.05), Some(critical), "{m} x {n}");
            assert_eq!(u_critical_value(n, m, 0.05), Some(critical), "{n} x {m}");
        }
        // Two against two can never reach 0.05: the table has no entry.
        assert_eq!(u_critical_value(2, 2, 0.05), None);
        assert_eq!(u_critical_value(50, 5, 0.05), None);
    }

    // -- Hodges–Lehmann ----------------------------------------------------------

    #[test]
    #[allow(clippy::approx_constant)] // 3.140 is a measurement, not π
    fn hodges_lehmann_matches_sas_hollander_wolfe_chicken() {
        // PHUSE CAMIS, "Non-parametric point estimation in SAS"
        // (SAS/nparestimate.qmd): PROC NPAR1WAY HL (REFCLASS = "B") on the
        // Hollander-Wolfe example gives Location Shift (A - B) 0.5600 and
        // Asymptotic (Moses) 95% Confidence Limits -0.3700 1.1830.
        let a = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
        let b = [
            0.878, 0.647, 0.598, 2.050, 1.060, 1.290, 1.060, 3.140, 1.290,
        ];
        let s = hodges_lehmann_shift(&b, &a, 0.95, ShiftMethod::Asymptotic).unwrap();
        close(s.estimate, 0.56, 5e-9);
        let i = s.interval.unwrap();
        close(i.lower, -0.37, 5e-9);
        close(i.upper, 1.183, 5e-9);
        assert_eq!(s.pairs, 81);
        // The data have ties, so Auto uses the same asymptotic interval.
        let auto = hodges_lehmann_shift(&b, &a, 0.95, ShiftMethod::Auto).unwrap();
        assert_eq!(auto, s);
    }

    #[test]
    fn hodges_lehmann_matches_sas_documentation_example() {
        // SAS/STAT User's Guide, PROC NPAR1WAY, Example "Hodges-Lehmann
        // Estimation" (data set React of the "Exact Wilcoxon Two-Sample
        // Test" example), ALPHA=.02: Location Shift 0.3500, Asymptotic
        // (Moses) 98% Confidence Limits 0.0000 0.8200. SAS takes the larger
        // class (Stim 1) as the reference.
        let stim1 = [
            1.94, 1.94, 2.92, 2.92, 2.92, 2.92, 3.27, 3.27, 3.27, 3.27, 3.70, 3.70, 3.74,
        ];
        let stim2 = [3.27, 3.27, 3.27, 3.70, 3.70, 3.74];
        let s = hodges_lehmann_shift(&stim1, &stim2, 0.98, ShiftMethod::Asymptotic).unwrap();
        close(s.estimate, 0.35, 5e-9);
        let i = s.interval.unwrap();
        close(i.lower, 0.0, 5e-9);
        close(i.upper, 0.82, 5e-9);
    }

    /// The k-th difference by brute force, to check the selection.
    fn brute_kth(a: &[f64], b: &[f64], k: usize) -> f64 {
        let mut all: Vec<f64> = a
            .iter()
            .flat_map(|x| b.iter().map(move |y| x - y))
            .collect();
        all.sort_by(f64::total_cmp);
        all[k - 1]
    }

    #[test]
    fn selection_agrees_with_sorting_every_difference() {
        // A small deterministic generator; values with ties, negatives and
        // zeros.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state % 2001) as f64 - 1000.0) / 8.0
        };
        for (na, nb) in [(1, 1), (1, 7), (9, 4), (30, 31), (64, 3)] {
            let mut a: Vec<f64> = (0..na).map(|_| next()).collect();
            let mut b: Vec<f64> = (0..nb).map(|_| next()).collect();
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            let d = PairwiseDifferences::new(&a, &b).unwrap();
            for k in 1..=(na * nb) {
                assert_eq!(d.kth(k as u64), brute_kth(&a, &b, k), "{na}x{nb} k={k}");
            }
        }
    }

    #[test]
    fn exact_interval_is_the_inverted_exact_test() {
        // Without ties and below 50 values the interval comes from the exact
        // distribution of U, and is the set of shifts θ that the exact
        // two-sided test of x − θ against y does not reject (Hollander &
        // Wolfe's construction). Checked on R's example data with the exact
        // p-value (itself checked against R above): just inside the lower
        // limit the test does not reject at 5%, just outside it does.
        let s = hodges_lehmann_shift(&HW_Y, &HW_X, 0.95, ShiftMethod::Auto).unwrap();
        assert!(s.exact);
        let i = s.interval.unwrap();
        let p_at = |theta: f64| {
            let shifted: Vec<f64> = HW_X.iter().map(|x| x - theta).collect();
            mann_whitney_u(&shifted, &HW_Y, Alternative::TwoSided, UMethod::Exact)
                .unwrap()
                .p_value
        };
        let eps = 1e-6;
        assert!(p_at(i.lower - eps) <= 0.05);
        assert!(p_at(i.lower + eps) > 0.05);
        assert!(p_at(i.upper - eps) > 0.05);
        assert!(p_at(i.upper + eps) <= 0.05);
        // R's wilcox.test(x, y, conf.int = TRUE) estimate is the median of
        // the 50 differences x − y.
        let mut all: Vec<f64> = HW_X
            .iter()
            .flat_map(|x| HW_Y.iter().map(move |y| x - y))
            .collect();
        all.sort_by(f64::total_cmp);
        close(s.estimate, (all[24] + all[25]) / 2.0, 1e-12);
    }

    #[test]
    fn hodges_lehmann_scales_without_building_the_pairs() {
        // 20,000 against 20,000 values: 4e8 pairs, far too many to sort.
        let baseline: Vec<f64> = (0..20_000).map(|i| f64::from(i % 997)).collect();
        let candidate: Vec<f64> = (0..20_000).map(|i| f64::from(i % 997) + 10.0).collect();
        let s = hodges_lehmann_shift(&baseline, &candidate, 0.95, ShiftMethod::Auto).unwrap();
        assert!(!s.exact);
        assert_eq!(s.estimate, 10.0);
        let i = s.interval.unwrap();
        assert!(i.contains(10.0) && i.lower > 0.0, "{i:?}");
    }

    #[test]
    fn hodges_lehmann_refuses_bad_input_and_tiny_samples() {
        assert_eq!(
            hodges_lehmann_shift(&[], &[1.0], 0.95, ShiftMethod::Auto),
            Err(StatsError::EmptySample)
        );
        assert_eq!(
            hodges_lehmann_shift(&[1.0, f64::NAN], &[1.0], 0.95, ShiftMethod::Auto),
            Err(StatsError::NonFinite)
        );
        assert_eq!(
            hodges_lehmann_shift(&[f64::MAX], &[-f64::MAX], 0.95, ShiftMethod::Auto),
            Err(StatsError::NonFinite)
        );
        assert_eq!(
            hodges_lehmann_shift(&[1.0], &[2.0], 0.0, ShiftMethod::Auto),
            Err(StatsError::InvalidConfidence)
        );
        // Two against two cannot give a 95% interval: an estimate, no interval.
        let s = hodges_lehmann_shift(&[1.0, 2.0], &[3.0, 5.0], 0.95, ShiftMethod::Auto).unwrap();
        assert_eq!(s.estimate, 2.5);
        assert_eq!(s.interval, None);
        let s =
            hodges_lehmann_shift(&[1.0, 2.0], &[3.0, 5.0], 0.95, ShiftMethod::Asymptotic).unwrap();
        assert_eq!(s.interval, None);
    }

    #[test]
    fn order_keys_follow_numeric_order() {
        let values = [
            -f64::MAX,
            -1.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            1e-300,
            2.0,
            f64::MAX,
        ];
        for w in values.windows(2) {
            assert!(order_key(w[0]) < order_key(w[1]), "{} {}", w[0], w[1]);
        }
        for v in values {
            assert_eq!(from_order_key(order_key(v)).to_bits(), v.to_bits());
        }
    }
}
