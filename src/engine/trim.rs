//! The native-histogram trim operators `h </ x` (TRIM_UPPER: keep the
//! observations below `x`) and `h >/ x` (TRIM_LOWER: keep the observations
//! above `x`), Prometheus 3.14 (`FloatHistogram.TrimBuckets`).
//!
//! Semantics, as pinned down by Prometheus' promqltest cases in
//! `native_histograms.test`:
//!
//! - Buckets entirely on the kept side stay, buckets entirely on the other
//!   side are removed, and the bucket containing `x` keeps the interpolated
//!   part of its count: exponentially (in log space) for exponential
//!   buckets, linearly for the zero bucket and custom buckets. So
//!   `histogram_count(h </ x) == histogram_fraction(-Inf, x, h) *
//!   histogram_count(h)`.
//! - If no observation is removed the histogram is returned unchanged.
//!   Otherwise the count is the sum of the kept counts and the sum is
//!   re-estimated from the kept buckets, each (part of a) bucket taken at
//!   its geometric mean (exponential buckets) or arithmetic mean (zero
//!   bucket, custom buckets).
//! - The zero bucket spans `[-w, w]`, or `[0, w]` when only positive
//!   buckets exist, or `[-w, 0]` when only negative buckets exist.
//! - The first custom bucket `(-Inf, u]` is taken as `[0, u]` when `u > 0`.
//!   A bucket of infinite width is never interpolated: the `+Inf` bucket is
//!   removed by `</ x` (finite `x`) and kept whole at `max(x, lower)` by
//!   `>/ x`; a first bucket `(-Inf, u]` with `u <= 0` is kept whole at
//!   `min(x, u)` by `</ x` and removed by `>/ x` (finite `x`). Prometheus
//!   also removes a first bucket `[0, u]` from `>/ x` for a negative `x`.

use super::native::FloatHistogram;

/// What trimming does to one bucket: how much of its count stays and at
/// which value those observations are taken for the sum.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    /// Kept entirely, observations at `rep`.
    Full { rep: f64 },
    /// Removed entirely.
    Drop,
    /// `fraction` of the count kept (possibly 1), observations at `rep`.
    Partial { fraction: f64, rep: f64 },
}

/// How a bucket's observations are spread.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Spread {
    /// Exponential bucket: log-linear, geometric mean.
    Exponential,
    /// Zero bucket or finite custom bucket: linear, arithmetic mean.
    Linear,
}

/// Trims a bucket `(lower, upper]` of finite bounds at `x`.
fn trim_finite(lower: f64, upper: f64, x: f64, keep_below: bool, spread: Spread) -> Part {
    let full_rep = || match spread {
        Spread::Linear => (lower + upper) / 2.0,
        Spread::Exponential => geo_mean(lower, upper),
    };
    let (full, dropped) = if keep_below {
        (upper <= x, lower >= x)
    } else {
        (lower >= x, upper <= x)
    };
    if full {
        return Part::Full { rep: full_rep() };
    }
    if dropped {
        return Part::Drop;
    }
    // `x` lies strictly inside: keep `[lower, x]` or `[x, upper]`.
    let (a, b) = if keep_below { (lower, x) } else { (x, upper) };
    match spread {
        Spread::Linear => Part::Partial {
            fraction: (b - a) / (upper - lower),
            rep: (a + b) / 2.0,
        },
        Spread::Exponential => Part::Partial {
            fraction: ((b.abs().ln() - a.abs().ln()) / (upper.abs().ln() - lower.abs().ln())).abs(),
            rep: geo_mean(a, b),
        },
    }
}

/// Geometric mean of two bounds of the same sign, with that sign.
fn geo_mean(a: f64, b: f64) -> f64 {
    let m = (a.abs() * b.abs()).sqrt();
    if a < 0.0 || b < 0.0 { -m } else { m }
}

/// Trims custom bucket `(lower, upper]`, where either bound may be
/// infinite (see the module documentation).
fn trim_custom(lower: f64, upper: f64, x: f64, keep_below: bool) -> Part {
    match (lower == f64::NEG_INFINITY, upper == f64::INFINITY) {
        (false, false) => trim_finite(lower, upper, x, keep_below, Spread::Linear),
        // The only bucket, (-Inf, +Inf].
        (true, true) => {
            let keep = if keep_below {
                x == f64::INFINITY
            } else {
                x == f64::NEG_INFINITY
            };
            if keep {
                Part::Full { rep: 0.0 }
            } else {
                Part::Drop
            }
        }
        // The first bucket (-Inf, upper].
        (true, false) => {
            if upper > 0.0 {
                // Taken as [0, upper].
                if !keep_below && x == f64::NEG_INFINITY {
                    return Part::Full { rep: upper / 2.0 };
                }
                if !keep_below && x < 0.0 {
                    return Part::Drop;
                }
                return trim_finite(0.0, upper, x, keep_below, Spread::Linear);
            }
            if keep_below {
                if x >= upper {
                    Part::Full { rep: upper }
                } else if x == f64::NEG_INFINITY {
                    Part::Drop
                } else {
                    Part::Partial {
                        fraction: 1.0,
                        rep: x,
                    }
                }
            } else if x == f64::NEG_INFINITY {
                Part::Full { rep: upper }
            } else {
                Part::Drop
            }
        }
        // The +Inf bucket (lower, +Inf].
        (false, true) => {
            if keep_below {
                if x == f64::INFINITY {
                    Part::Full { rep: lower }
                } else {
                    Part::Drop
                }
            } else if x <= lower {
                Part::Full { rep: lower }
            } else if x == f64::INFINITY {
                Part::Drop
            } else {
                Part::Partial {
                    fraction: 1.0,
                    rep: x,
                }
            }
        }
    }
}

/// `h </ x` (`keep_below`) or `h >/ x`: see the module documentation.
/// The result is compacted; an unchanged histogram is returned as is.
pub fn trim(h: &FloatHistogram, x: f64, keep_below: bool) -> FloatHistogram {
    if x.is_nan() {
        return h.clone();
    }
    let custom = h.uses_custom_buckets();
    let mut out = h.layout();
    let mut changed = false;
    let (mut count, mut sum) = (0.0, 0.0);
    // Applies `part` to a bucket of `c` observations; returns the kept count.
    let mut apply = |c: f64, part: Part| -> f64 {
        if c == 0.0 {
            return 0.0;
        }
        let (kept, rep) = match part {
            Part::Full { rep } => (c, rep),
            Part::Drop => (0.0, 0.0),
            Part::Partial { fraction, rep } => (c * fraction, rep),
        };
        if !matches!(part, Part::Full { .. }) {
            changed = true;
        }
        if kept != 0.0 {
            count += kept;
            sum += kept * rep;
        }
        kept
    };
    let spread = |lower: f64, upper: f64| {
        if custom {
            trim_custom(lower, upper, x, keep_below)
        } else {
            trim_finite(lower, upper, x, keep_below, Spread::Exponential)
        }
    };
    for &(i, c) in &h.negative {
        let (lower, upper) = (-h.upper_bound(i), -h.upper_bound(i - 1));
        out.negative.push((i, apply(c, spread(lower, upper))));
    }
    if !custom {
        let w = h.zero_threshold;
        let (mut lower, mut upper) = (-w, w);
        if h.negative.is_empty() && !h.positive.is_empty() {
            lower = 0.0;
        } else if h.positive.is_empty() && !h.negative.is_empty() {
            upper = 0.0;
        }
        let part = trim_finite(lower, upper, x, keep_below, Spread::Linear);
        out.zero_count = apply(h.zero_count, part);
    }
    for &(i, c) in &h.positive {
        let upper = h.upper_bound(i);
        let lower = if custom {
            if i <= 0 {
                f64::NEG_INFINITY
            } else {
                h.upper_bound(i - 1)
            }
        } else {
            h.upper_bound(i - 1)
        };
        out.positive.push((i, apply(c, spread(lower, upper))));
    }
    if !changed {
        return h.clone();
    }
    out.count = count;
    out.sum = sum;
    out.compact();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::native::parse_notation;

    fn h(s: &str) -> FloatHistogram {
        parse_notation(s).expect("valid notation")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn exponential_trim_interpolates_in_log_space() {
        // schema 0: positive buckets (0.5,1] (1,2] (2,4], zero bucket [0, 0.01].
        let x = h("schema:0 count:15 sum:20 z_bucket:1 z_bucket_w:0.01 buckets:[2 4 8]");
        // </ 2: zero bucket, (0.5,1], (1,2] kept whole; (2,4] removed.
        let t = trim(&x, 2.0, true);
        assert!(close(t.count, 7.0));
        let want = 0.005 + 2.0 * 0.5f64.sqrt() + 4.0 * 2f64.sqrt();
        assert!(close(t.sum, want), "{} vs {want}", t.sum);
        assert_eq!(t.positive, vec![(0, 2.0), (1, 4.0)]);
        // >/ 2·√2 keeps the upper half (in log space) of (2,4]: 4 at 2^1.75.
        let t = trim(&x, 2.0 * 2f64.sqrt(), false);
        assert!(close(t.count, 4.0));
        assert!(close(t.sum, 4.0 * 2f64.powf(1.75)), "{}", t.sum);
        assert_eq!(t.zero_count, 0.0);
        assert_eq!(t.positive.len(), 1);
        assert_eq!(t.positive[0].0, 2);
        assert!(close(t.positive[0].1, 4.0));
        // >/ 0.005 keeps half of the zero bucket [0, 0.01], at 0.0075.
        let t = trim(&x, 0.005, false);
        assert!(close(t.zero_count, 0.5));
        assert!(close(t.count, 14.5));
        // Nothing removed: unchanged, original sum.
        assert_eq!(trim(&x, 0.0, false), x);
        assert_eq!(trim(&x, f64::INFINITY, true), x);
    }

    #[test]
    fn custom_trim_interpolates_linearly_and_keeps_inf_bucket_whole() {
        // Buckets [0,5] (5,10] (10,+Inf].
        let x = h("schema:-53 count:16 sum:100 custom_values:[5 10] buckets:[2 4 10]");
        // </ 7: [0,5] whole at 2.5, 2/5 of (5,10] at 6, +Inf bucket removed.
        let t = trim(&x, 7.0, true);
        assert!(close(t.count, 2.0 + 1.6));
        assert!(close(t.sum, 2.0 * 2.5 + 1.6 * 6.0), "{}", t.sum);
        assert_eq!(t.positive.len(), 2);
        assert!(close(t.positive[1].1, 1.6));
        // >/ 12: only the +Inf bucket, kept whole at 12.
        let t = trim(&x, 12.0, false);
        assert!(close(t.count, 10.0));
        assert!(close(t.sum, 120.0));
        assert_eq!(t.positive, vec![(2, 10.0)]);
        // >/ 1: 4/5 of [0,5] at 3, (5,10] at 7.5, +Inf bucket at its lower bound 10.
        let t = trim(&x, 1.0, false);
        assert!(close(t.count, 1.6 + 4.0 + 10.0));
        assert!(close(t.sum, 1.6 * 3.0 + 4.0 * 7.5 + 100.0), "{}", t.sum);
        // </ -1 removes everything but keeps the bounds.
        let t = trim(&x, -1.0, true);
        assert_eq!(t.count, 0.0);
        assert!(t.positive.is_empty());
        assert_eq!(t.custom_values, vec![5.0, 10.0]);
    }
}
