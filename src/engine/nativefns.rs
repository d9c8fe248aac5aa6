//! PromQL functions over native histograms, as Prometheus 3.x
//! `promql/functions.go` and `promql/quantile.go`: `histogram_quantile` and
//! `histogram_fraction` of one histogram, `histogram_stddev`, the
//! histogram rate family (`rate`, `increase`, `delta`, `irate`, `idelta`)
//! and `sum_over_time`/`avg_over_time` of histogram windows.
//!
//! Functions return the value and the annotations Prometheus adds (message
//! texts without the `PromQL warning: ` / `PromQL info: ` prefix); callers
//! hand the annotations to the evaluator.

use super::aggregate::kahan_inc;
use super::error::Annotation;
use super::native::{FloatHistogram, HistAccumulator, ResetHint};
use super::value::HPoint;

/// `HistogramQuantile` (quantile.go): the `q` quantile of `h`, with
/// exponential interpolation inside exponential buckets and linear
/// interpolation in the zero bucket and in custom buckets. A histogram
/// whose sum is NaN holds NaN observations: it is walked forwards, and the
/// result is NaN (rank past the buckets) or skewed higher, with an info.
pub fn quantile(q: f64, h: &FloatHistogram, metric: &str, annos: &mut Vec<Annotation>) -> f64 {
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if h.count == 0.0 || q.is_nan() {
        return f64::NAN;
    }
    let forward = h.sum.is_nan() || q < 0.5;
    let mut buckets = h.all_buckets();
    let mut rank = if forward {
        q * h.count
    } else {
        buckets.reverse();
        (1.0 - q) * h.count
    };
    let mut count = 0.0;
    let mut bucket = super::native::Bucket {
        lower: 0.0,
        upper: 0.0,
        count: 0.0,
    };
    for b in buckets {
        if b.count == 0.0 {
            continue;
        }
        bucket = b;
        count += b.count;
        if count >= rank {
            break;
        }
    }
    let custom = h.uses_custom_buckets();
    if !custom && bucket.lower < 0.0 && bucket.upper > 0.0 {
        if h.negative.is_empty() && !h.positive.is_empty() {
            bucket.lower = 0.0;
        } else if h.positive.is_empty() && !h.negative.is_empty() {
            bucket.upper = 0.0;
        }
    } else if custom {
        if bucket.lower == f64::NEG_INFINITY {
            if bucket.upper <= 0.0 {
                return bucket.upper;
            }
            bucket.lower = 0.0;
        } else if bucket.upper == f64::INFINITY {
            return bucket.lower;
        }
    }
    if count > h.count {
        count = h.count;
    }
    if count < rank {
        if h.sum.is_nan() {
            annos.push(Annotation::info(with_metric(
                "input to histogram_quantile has NaN observations, result is NaN",
                metric,
            )));
            return f64::NAN;
        }
        return bucket.upper;
    }
    if h.sum.is_nan() {
        annos.push(Annotation::info(with_metric(
            "input to histogram_quantile has NaN observations, result is skewed higher",
            metric,
        )));
    }
    if forward {
        rank -= count - bucket.count;
    } else {
        rank = count - rank;
    }
    let fraction = rank / bucket.count;
    if custom || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
        return bucket.lower + (bucket.upper - bucket.lower) * fraction;
    }
    let log_lower = bucket.lower.abs().log2();
    let log_upper = bucket.upper.abs().log2();
    if bucket.lower > 0.0 {
        return (log_lower + (log_upper - log_lower) * fraction).exp2();
    }
    -(log_upper + (log_lower - log_upper) * (1.0 - fraction)).exp2()
}

/// `HistogramFraction` (quantile.go): the fraction of `h`'s observations
/// in `(lower, upper]`, interpolated as [`quantile`]. NaN observations
/// count in the total only, with an info.
pub fn fraction(
    lower: f64,
    upper: f64,
    h: &FloatHistogram,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> f64 {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if h.sum.is_nan() {
        annos.push(Annotation::info(with_metric(
            "input to histogram_fraction has NaN observations, which are excluded from all fractions",
            metric,
        )));
    }
    if lower >= upper {
        return 0.0;
    }
    let custom = h.uses_custom_buckets();
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    for mut b in h.all_buckets() {
        let mut zero = false;
        // As Prometheus' HistogramFraction, also for custom buckets: the
        // first custom bucket (-Inf, x] with x ≥ 0 is taken as [0, x].
        if b.lower <= 0.0 && b.upper >= 0.0 {
            zero = true;
            if h.negative.is_empty() && !h.positive.is_empty() {
                b.lower = 0.0;
            } else if h.positive.is_empty() && !h.negative.is_empty() {
                b.upper = 0.0;
            }
        }
        let interpolate = |v: f64| -> f64 {
            // No interpolation in a bucket of infinite width: its
            // observations lie below any value in (-Inf, x] and above any
            // value in (x, +Inf], so they fall into no finite range.
            if b.lower == f64::NEG_INFINITY {
                return rank + b.count;
            }
            if b.upper == f64::INFINITY {
                return rank;
            }
            if custom || zero {
                return rank + b.count * (v - b.lower) / (b.upper - b.lower);
            }
            let log_lower = b.lower.abs().log2();
            let log_upper = b.upper.abs().log2();
            let log_v = v.abs().log2();
            let f = if v > 0.0 {
                (log_v - log_lower) / (log_upper - log_lower)
            } else {
                1.0 - (log_v - log_upper) / (log_lower - log_upper)
            };
            rank + b.count * f
        };
        if !lower_set && b.lower >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b.lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b.lower < lower && b.upper > lower {
            lower_rank = interpolate(lower);
            lower_set = true;
        }
        if !upper_set && b.lower < upper && b.upper > upper {
            upper_rank = interpolate(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b.count;
    }
    // NaN observations count in `h.count` but in no bucket: ranks stop at
    // the buckets' total.
    let total = if h.sum.is_nan() {
        h.all_buckets().iter().map(|b| b.count).sum()
    } else {
        h.count
    };
    if !lower_set || lower_rank > total {
        lower_rank = total;
    }
    if !upper_set || upper_rank > total {
        upper_rank = total;
    }
    (upper_rank - lower_rank) / h.count
}

/// `histogram_stdvar` of `h` (`funcHistogramStdVar`): each bucket's
/// observations taken at its geometric mean (exponential buckets), 0 (the
/// zero bucket) or its arithmetic mean (custom buckets).
pub fn stdvar(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let (mut variance, mut c) = (0.0, 0.0);
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        let val = if h.uses_custom_buckets() {
            (b.upper + b.lower) / 2.0
        } else if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let v = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 { -v } else { v }
        };
        let delta = val - mean;
        (variance, c) = kahan_inc(b.count * delta * delta, variance, c);
    }
    (variance + c) / h.count
}

/// `maybeAddMetricName`: ` for metric name "x"` when there is a name.
pub fn with_metric(msg: &str, metric: &str) -> String {
    if metric.is_empty() {
        msg.to_string()
    } else {
        format!("{msg} for metric name \"{metric}\"")
    }
}

/// The warning for histograms with exponential and custom buckets mixed.
pub(crate) fn mixed_schemas(metric: &str) -> Annotation {
    Annotation::warning(format!(
        "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metric}\""
    ))
}

/// The warning for histograms with the hints "reset" and "not a reset"
/// combined by `op` (`aggregation`, `addition`, `subtraction`).
pub(crate) fn counter_reset_collision(op: &str) -> Annotation {
    Annotation::warning(format!("conflicting counter resets during histogram {op}"))
}

/// The info for custom bucket bounds reconciled during `op`.
pub(crate) fn reconciled(op: &str) -> Annotation {
    Annotation::info(format!(
        "mismatched custom buckets were reconciled during {op}"
    ))
}

/// `histogramRate` (functions.go): `last - first` at the lowest schema of
/// the window, plus the value before every counter reset (`is_counter`),
/// as a gauge histogram, compacted. `None` when the histograms cannot be
/// combined (mixed exponential and custom buckets), with a warning.
/// `sts` are the points' start timestamps (aligned, empty for none): a
/// start-timestamp reset counts as a counter reset, and one overlapping
/// the previous sample gives one warning
/// ([`super::rangefns::is_start_timestamp_reset`],
/// [`super::rangefns::start_time_overlaps`]).
pub fn rate(
    points: &[HPoint],
    sts: &[i64],
    is_counter: bool,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> Option<FloatHistogram> {
    let first = &points[0].h;
    let last = &points[points.len() - 1].h;
    let not_counter = || {
        Annotation::warning(format!(
            "this native histogram metric is not a counter: \"{metric}\""
        ))
    };
    if is_counter && (first.hint == ResetHint::Gauge || last.hint == ResetHint::Gauge) {
        annos.push(not_counter());
    }
    // After a reset between the first two points: an empty histogram.
    let reset_base: FloatHistogram;
    let mut prev: &FloatHistogram = first;
    let mut custom = prev.uses_custom_buckets();
    let st_reset = |i: usize| {
        sts.get(i).zip(sts.get(i + 1)).is_some_and(|(&p, &c)| {
            super::rangefns::is_start_timestamp_reset(p, points[i].t, c, points[i + 1].t)
        })
    };
    if is_counter && points.len() > 1 && (st_reset(0) || points[1].h.detect_reset(prev)) {
        let second = &points[1].h;
        reset_base = FloatHistogram {
            schema: second.schema,
            custom_values: second.custom_values.clone(),
            ..FloatHistogram::default()
        };
        prev = &reset_base;
        custom = second.uses_custom_buckets();
    }
    if last.uses_custom_buckets() != custom {
        annos.push(mixed_schemas(metric));
        return None;
    }
    let mut min_schema = prev.schema.min(last.schema);
    if points.len() > 2 {
        for p in &points[1..points.len() - 1] {
            if !is_counter {
                continue;
            }
            if p.h.hint == ResetHint::Gauge {
                annos.push(not_counter());
            }
            min_schema = min_schema.min(p.h.schema);
            if p.h.uses_custom_buckets() != custom {
                annos.clear();
                annos.push(mixed_schemas(metric));
                return None;
            }
        }
    }
    let mut h = last.to_schema(min_schema);
    match h.sub(prev) {
        Err(_) => {
            annos.push(mixed_schemas(metric));
            return None;
        }
        Ok(true) => annos.push(reconciled("subtraction")),
        Ok(false) => {}
    }
    if is_counter {
        let mut overlap = false;
        for (i, p) in points[1..].iter().enumerate() {
            if !overlap
                && let Some((&ps, &cs)) = sts.get(i).zip(sts.get(i + 1))
                && super::rangefns::start_time_overlaps(ps, points[i].t, cs)
            {
                annos.push(super::rangefns::start_time_overlap_warning(metric));
                overlap = true;
            }
            if st_reset(i) || p.h.detect_reset(prev) {
                match h.add(prev) {
                    Err(_) => {
                        annos.push(mixed_schemas(metric));
                        return None;
                    }
                    Ok(true) => annos.push(reconciled("addition")),
                    Ok(false) => {}
                }
            }
            prev = &p.h;
        }
    } else if first.hint != ResetHint::Gauge || last.hint != ResetHint::Gauge {
        annos.push(Annotation::warning(format!(
            "this native histogram metric is not a gauge: \"{metric}\""
        )));
    }
    h.hint = ResetHint::Gauge;
    h.compact();
    Some(h)
}

/// `irate`/`idelta` of two histograms (`instantValue`): `last - previous`
/// (for `irate` after a counter reset, `last`), per second for `irate`;
/// `st_reset` when the start timestamps mark a reset between the two.
pub fn instant(
    previous: &HPoint,
    last: &HPoint,
    st_reset: bool,
    is_rate: bool,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> Option<FloatHistogram> {
    let mut h = (*last.h).clone();
    let gauge = |x: &FloatHistogram| x.hint == ResetHint::Gauge;
    if is_rate && (gauge(&previous.h) || gauge(&last.h)) {
        annos.push(Annotation::warning(format!(
            "this native histogram metric is not a counter: \"{metric}\""
        )));
    }
    if !is_rate && (!gauge(&previous.h) || !gauge(&last.h)) {
        annos.push(Annotation::warning(format!(
            "this native histogram metric is not a gauge: \"{metric}\""
        )));
    }
    if !is_rate || (!st_reset && !last.h.detect_reset(&previous.h)) {
        match h.sub(&previous.h) {
            Err(_) => {
                annos.push(mixed_schemas(metric));
                return None;
            }
            Ok(true) => annos.push(reconciled("subtraction")),
            Ok(false) => {}
        }
    }
    h.hint = ResetHint::Gauge;
    h.compact();
    if is_rate {
        let interval = last.t - previous.t;
        if interval == 0 {
            return None;
        }
        h.div(interval as f64 / 1000.0);
    }
    Some(h)
}

/// `sum_over_time` of histograms: their compensated sum, compacted.
/// `None` (with a warning) when exponential and custom buckets mix.
pub fn sum(points: &[HPoint], metric: &str, annos: &mut Vec<Annotation>) -> Option<FloatHistogram> {
    accumulate(points, metric, annos, false)
}

/// `avg_over_time` of histograms: the compensated sum divided by the
/// count, an incremental mean once the sum overflows ([`HistAccumulator`]).
pub fn avg(points: &[HPoint], metric: &str, annos: &mut Vec<Annotation>) -> Option<FloatHistogram> {
    accumulate(points, metric, annos, true)
}

fn accumulate(
    points: &[HPoint],
    metric: &str,
    annos: &mut Vec<Annotation>,
    mean: bool,
) -> Option<FloatHistogram> {
    let mut acc = HistAccumulator::new(&points.first()?.h);
    let mut rec = false;
    for p in &points[1..] {
        let step = if mean {
            acc.add_to_mean(&p.h)
        } else {
            acc.add(&p.h)
        };
        match step {
            Err(_) => {
                annos.push(mixed_schemas(metric));
                return None;
            }
            Ok(r) => rec |= r,
        }
    }
    if acc.counter_reset_collision() {
        annos.push(counter_reset_collision("aggregation"));
    }
    if rec {
        annos.push(reconciled("aggregation"));
    }
    let mut out = if mean { acc.mean() } else { acc.sum() };
    out.compact();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::native::parse_notation;
    use std::sync::Arc;

    fn h(s: &str) -> FloatHistogram {
        parse_notation(s).expect("valid notation")
    }

    #[test]
    fn quantiles_interpolate_exponentially_and_flag_nan_observations() {
        let mut a = Vec::new();
        // 12 observations in (0.5, 1], 3 NaN: forward walk, skewed higher.
        let x = h("schema:0 count:15 sum:NaN buckets:[12]");
        assert_eq!(quantile(0.8, &x, "m", &mut a), 1.0);
        assert!((quantile(0.4, &x, "m", &mut a) - 0.5f64.sqrt()).abs() < 1e-12);
        assert!(quantile(1.0, &x, "m", &mut a).is_nan());
        assert_eq!(a.len(), 3);
        assert!(a[2].message.contains("result is NaN for metric name \"m\""));
        // Without NaN: 1 observation in each of (0.5,1], (1,2], (2,4]; the
        // median is the middle of (1,2] on a log scale.
        let y = h("schema:0 count:3 sum:5 buckets:[1 1 1]");
        assert!((quantile(0.5, &y, "", &mut a) - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(quantile(-1.0, &y, "", &mut a), f64::NEG_INFINITY);
    }

    #[test]
    fn fractions_invert_quantiles() {
        let mut a = Vec::new();
        let y = h("schema:0 count:3 sum:5 buckets:[1 1 1]");
        let q = quantile(0.25, &y, "", &mut a);
        assert!((fraction(f64::NEG_INFINITY, q, &y, "", &mut a) - 0.25).abs() < 1e-12);
        assert_eq!(fraction(1.0, 1.0, &y, "", &mut a), 0.0);
        assert!(a.is_empty());
    }

    #[test]
    fn rates_add_back_counter_resets() {
        let pts: Vec<HPoint> = [
            "schema:0 count:4 sum:4 buckets:[4]",
            "schema:0 count:6 sum:6 buckets:[6]",
            "schema:0 count:1 sum:1 buckets:[1]",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| HPoint {
            t: i as i64 * 60_000,
            h: Arc::new(h(s)),
        })
        .collect();
        let mut a = Vec::new();
        let r = rate(&pts, &[], true, "m", &mut a).expect("compatible");
        // 1 - 4 + 6 (the value before the reset) = 3.
        assert_eq!((r.count, r.positive.clone()), (3.0, vec![(0, 3.0)]));
        assert_eq!(r.hint, ResetHint::Gauge);
        assert!(a.is_empty());
        // delta of counter histograms warns.
        let _ = rate(&pts, &[], false, "m", &mut a);
        assert_eq!(a.len(), 1);
        assert!(a[0].message.contains("is not a gauge: \"m\""));
        // Start timestamps: the second sample starts after the first (a
        // reset, 4 added back), the third's start overlaps the second
        // sample without being its start (one warning).
        a.clear();
        let sts = [1, 30_000, 45_000];
        let r = rate(&pts, &sts, true, "m", &mut a).expect("compatible");
        // 1 - 0 (nulled first) + 6 + 0 (empty prev at the first step) = 7.
        assert_eq!(r.count, 7.0);
        assert_eq!(a.len(), 1);
        assert!(
            a[0].message
                .contains("overlaps with previous sample timestamp")
        );
    }
}
