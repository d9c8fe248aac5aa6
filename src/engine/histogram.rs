//! `histogram_quantile` and `histogram_fraction` over classic histograms
//! (series with an `le` label). Native histograms are out of scope.

use std::cmp::Ordering;

/// One classic bucket: cumulative `count` of observations `<= upper`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Upper bound (`le`).
    pub upper: f64,
    /// Cumulative count.
    pub count: f64,
}

/// Outcome flags of [`bucket_quantile`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QuantileFix {
    /// Counts had to be raised to make them monotonic.
    pub forced_monotonic: bool,
}

fn prepare(buckets: &mut Vec<Bucket>) -> Option<QuantileFix> {
    if buckets.is_empty() {
        return None;
    }
    buckets.sort_by(|a, b| a.upper.partial_cmp(&b.upper).unwrap_or(Ordering::Equal));
    let last = buckets[buckets.len() - 1];
    if !(last.upper.is_infinite() && last.upper > 0.0) {
        return None;
    }
    // Coalesce equal upper bounds.
    let mut merged: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for b in buckets.iter() {
        match merged.last_mut() {
            Some(m) if m.upper == b.upper => m.count += b.count,
            _ => merged.push(*b),
        }
    }
    *buckets = merged;
    // Ignore tiny precision errors, then force monotonicity.
    let mut fix = QuantileFix::default();
    let mut prev = buckets[0].count;
    for b in buckets.iter_mut().skip(1) {
        let curr = b.count;
        if curr == prev {
            continue;
        }
        if ((curr - prev).abs() / curr.abs().max(prev.abs())) <= 1e-12 {
            b.count = prev;
            continue;
        }
        if curr < prev {
            b.count = prev;
            fix.forced_monotonic = true;
            continue;
        }
        prev = curr;
    }
    Some(fix)
}

/// Prometheus' `BucketQuantile`: linear interpolation inside the bucket
/// holding rank `q * count`; the lowest bucket starts at 0 when its bound is
/// positive; the `+Inf` bucket returns the second-highest bound.
pub fn bucket_quantile(q: f64, mut buckets: Vec<Bucket>) -> (f64, QuantileFix) {
    if q.is_nan() {
        return (f64::NAN, QuantileFix::default());
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, QuantileFix::default());
    }
    if q > 1.0 {
        return (f64::INFINITY, QuantileFix::default());
    }
    let Some(fix) = prepare(&mut buckets) else {
        return (f64::NAN, QuantileFix::default());
    };
    if buckets.len() < 2 {
        return (f64::NAN, fix);
    }
    let n = buckets.len();
    let observations = buckets[n - 1].count;
    if observations == 0.0 || observations.is_nan() {
        return (f64::NAN, fix);
    }
    let mut rank = q * observations;
    let b = buckets[..n - 1].partition_point(|x| x.count < rank);
    if b == n - 1 {
        return (buckets[n - 2].upper, fix);
    }
    if b == 0 && buckets[0].upper <= 0.0 {
        return (buckets[0].upper, fix);
    }
    let mut start = 0.0;
    let end = buckets[b].upper;
    let mut count = buckets[b].count;
    if b > 0 {
        start = buckets[b - 1].upper;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    (start + (end - start) * (rank / count), fix)
}

/// Prometheus' `BucketFraction`: the estimated share of observations in
/// `(lower, upper]`.
pub fn bucket_fraction(lower: f64, upper: f64, mut buckets: Vec<Bucket>) -> f64 {
    if prepare(&mut buckets).is_none() {
        return f64::NAN;
    }
    let n = buckets.len();
    let total = buckets[n - 1].count;
    if total == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    for i in 0..n {
        let b_lower = if i == 0 {
            if buckets[0].upper > 0.0 {
                0.0
            } else {
                f64::NEG_INFINITY
            }
        } else {
            buckets[i - 1].upper
        };
        let b_upper = buckets[i].upper;
        let b_count = buckets[i].count - if i == 0 { 0.0 } else { buckets[i - 1].count };
        let interp = |v: f64| -> f64 {
            if b_lower.is_infinite() {
                // No interpolation in an infinitely wide bucket.
                rank + b_count
            } else if b_upper.is_infinite() {
                rank
            } else {
                rank + b_count * (v - b_lower) / (b_upper - b_lower)
            }
        };
        if !lower_set && b_lower >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b_lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b_lower < lower && b_upper > lower {
            lower_rank = interp(lower);
            lower_set = true;
        }
        if !upper_set && b_lower < upper && b_upper > upper {
            upper_rank = interp(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b_count;
    }
    if !lower_set || lower_rank > total {
        lower_rank = total;
    }
    if !upper_set || upper_rank > total {
        upper_rank = total;
    }
    (upper_rank - lower_rank) / total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(upper: f64, count: f64) -> Bucket {
        Bucket { upper, count }
    }

    #[test]
    fn quantile_interpolates() {
        let bs = vec![b(1.0, 10.0), b(2.0, 20.0), b(f64::INFINITY, 20.0)];
        assert_eq!(bucket_quantile(0.5, bs.clone()).0, 1.0);
        assert_eq!(bucket_quantile(0.75, bs.clone()).0, 1.5);
        assert!(bucket_quantile(0.5, vec![b(1.0, 1.0)]).0.is_nan());
    }

    #[test]
    fn quantile_forces_monotonicity() {
        let bs = vec![b(1.0, 10.0), b(2.0, 5.0), b(f64::INFINITY, 10.0)];
        assert!(bucket_quantile(0.5, bs).1.forced_monotonic);
    }
}
