//! Functions over a range of points (one series' window): rate family,
//! regression, `*_over_time`, `changes`, `resets`.

use super::aggregate::{kahan_inc, quantile};
use super::value::Point;

/// `rate`/`increase`/`delta` with Prometheus' extrapolation. The window is
/// `(range_start, range_end]` in ms; `range_ms` is the selector range.
/// `sts` are the points' start timestamps ([`super::value::Window::
/// float_start_timestamps`], empty for none): for a counter, a start
/// timestamp after the previous sample is a reset ([`is_start_timestamp_reset`]),
/// and the first sample's, inside the range, its zero point
/// ([`starts_at_start_timestamp`]); `overlap` is set when a start timestamp
/// overlaps the previous sample ([`start_time_overlaps`]). Returns `None`
/// for fewer than two points, unless the first's start timestamp is the
/// zero point (as Prometheus' `extrapolatedRate`).
#[allow(clippy::too_many_arguments)]
pub fn extrapolated_rate(
    points: &[Point],
    sts: &[i64],
    range_start: i64,
    range_end: i64,
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
    overlap: &mut bool,
) -> Option<f64> {
    let first = *points.first()?;
    let last = points[points.len() - 1];
    let mut result = last.v - first.v;
    if is_counter {
        for (i, w) in points.windows(2).enumerate() {
            let st = sts.get(i).zip(sts.get(i + 1));
            if let Some((&prev_st, &cur_st)) = st
                && start_time_overlaps(prev_st, w[0].t, cur_st)
            {
                *overlap = true;
            }
            if w[1].v < w[0].v
                || st.is_some_and(|(&p, &c)| is_start_timestamp_reset(p, w[0].t, c, w[1].t))
            {
                result += w[0].v;
            }
        }
    }
    let w = Extrapolation {
        first_t: first.t,
        last_t: last.t,
        samples: points.len(),
        first_value: first.v,
        result,
        first_st: sts.first().copied().unwrap_or(0),
    };
    if starts_at_start_timestamp(&w, range_start, is_counter) {
        result += first.v;
    }
    let factor = extrapolation_factor(w, range_start, range_end, range_ms, is_counter, is_rate)?;
    Some(result * factor)
}

/// Whether a start timestamp marks a counter reset between the previous
/// sample (`prev_t`, start `prev_st`) and the current one (`cur_t`,
/// `cur_st`), as Prometheus' `isStartTimestampReset`: no start timestamp
/// (0), one at or after its own sample (OpenTelemetry's unknown start,
/// invalid), or one before the previous sample is none; one after the
/// previous sample is; one equal to it is for a delta series (the previous
/// sample's own start known and before it) and not for a cumulative series
/// whose start is unknown.
pub fn is_start_timestamp_reset(prev_st: i64, prev_t: i64, cur_st: i64, cur_t: i64) -> bool {
    if cur_st == 0 || cur_st >= cur_t || cur_st < prev_t {
        return false;
    }
    if cur_st > prev_t {
        return true;
    }
    prev_st <= prev_t && prev_st != 0 && prev_st != prev_t
}

/// Whether a sample's start timestamp overlaps the previous sample: set,
/// before the previous sample, and not the previous sample's start
/// (Prometheus' `checkStartTimeOverlap`; a delta's start is the previous
/// sample, a cumulative series keeps its start).
pub fn start_time_overlaps(prev_st: i64, prev_t: i64, cur_st: i64) -> bool {
    cur_st != 0 && cur_st < prev_t && cur_st != prev_st
}

/// The warning for [`start_time_overlaps`] (once per series and query).
pub fn start_time_overlap_warning(metric: &str) -> super::error::Annotation {
    super::error::Annotation::warning(format!(
        "sample has start time that overlaps with previous sample timestamp for metric \"{metric}\""
    ))
}

/// What [`extrapolation_factor`] needs of a window: its first and last
/// sample times (ms), how many samples (at least 1), for counters the
/// first value and the raw increase (for a histogram, their counts), and
/// the first sample's start timestamp (0 for none).
#[derive(Debug, Clone, Copy)]
pub struct Extrapolation {
    /// Time of the first sample, ms.
    pub first_t: i64,
    /// Time of the last sample, ms.
    pub last_t: i64,
    /// Number of samples, at least 1.
    pub samples: usize,
    /// The first sample's value (a histogram's count).
    pub first_value: f64,
    /// The increase before extrapolation (a histogram's count).
    pub result: f64,
    /// The first sample's start timestamp, ms; 0 for none.
    pub first_st: i64,
}

/// Whether a counter window starts from its first sample's start
/// timestamp rather than extrapolating to the left: the start timestamp is
/// inside the range (after its exclusive start) and before the sample.
/// The caller then adds the first sample's value to the increase (the
/// counter was 0 at its start), as Prometheus' `extrapolatedRate`.
pub fn starts_at_start_timestamp(w: &Extrapolation, range_start: i64, is_counter: bool) -> bool {
    is_counter && w.first_st != 0 && w.first_st > range_start && w.first_st < w.first_t
}

/// The factor `extrapolatedRate` (functions.go) multiplies a window's
/// increase by: extrapolated to the range's edges when the samples come
/// within 110% of their average spacing of them, else by half a spacing;
/// a counter never extrapolated below zero, or measured from its first
/// sample's start timestamp ([`starts_at_start_timestamp`]); divided by
/// the range in seconds for `rate`. `None` for a single sample without
/// such a start timestamp.
pub fn extrapolation_factor(
    w: Extrapolation,
    range_start: i64,
    range_end: i64,
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    let mut to_start = (w.first_t - range_start) as f64 / 1000.0;
    let mut to_end = (range_end - w.last_t) as f64 / 1000.0;
    let mut sampled = (w.last_t - w.first_t) as f64 / 1000.0;
    let avg = if w.samples > 1 {
        sampled / (w.samples - 1) as f64
    } else {
        0.0
    };
    let threshold = avg * 1.1;
    if starts_at_start_timestamp(&w, range_start, is_counter) {
        // A zero-value sample at the start timestamp instead of
        // extrapolating to the left; a single sample is not extrapolated
        // to the right either (no average spacing).
        to_start = 0.0;
        sampled = (w.last_t - w.first_st) as f64 / 1000.0;
    } else if w.samples < 2 {
        return None;
    } else {
        if to_start >= threshold {
            to_start = avg / 2.0;
        }
        if is_counter && w.result > 0.0 && w.first_value >= 0.0 {
            let to_zero = sampled * (w.first_value / w.result);
            if to_zero < to_start {
                to_start = to_zero;
            }
        }
    }
    if to_end >= threshold {
        to_end = avg / 2.0;
    }
    let mut factor = if sampled != 0.0 {
        (sampled + to_start + to_end) / sampled
    } else {
        1.0
    };
    if is_rate {
        factor /= range_ms as f64 / 1000.0;
    }
    Some(factor)
}

/// `irate` (`is_rate`) and `idelta` from the last two points; `sts` as for
/// [`extrapolated_rate`] (a start-timestamp reset makes `irate` take the
/// last value, as a drop does).
pub fn instant_value(points: &[Point], sts: &[i64], is_rate: bool) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len();
    let a = points[n - 2];
    let b = points[n - 1];
    let interval = b.t - a.t;
    if interval == 0 {
        return None;
    }
    let st_reset = n == sts.len() && is_start_timestamp_reset(sts[n - 2], a.t, sts[n - 1], b.t);
    let mut v = if is_rate && (b.v < a.v || st_reset) {
        b.v
    } else {
        b.v - a.v
    };
    if is_rate {
        v /= interval as f64 / 1000.0;
    }
    Some(v)
}

/// Least-squares regression of the points with x in seconds relative to
/// `intercept_t` (ms). Returns `(slope, intercept)`.
pub fn linear_regression(points: &[Point], intercept_t: i64) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sxy, mut cxy, mut sx2, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = points[0].v;
    let mut const_y = true;
    for (i, p) in points.iter().enumerate() {
        if const_y && i > 0 && p.v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (p.t - intercept_t) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(p.v, sy, cy);
        (sxy, cxy) = kahan_inc(x * p.v, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    let intercept = sy / n - slope * sx / n;
    (slope, intercept)
}

/// `sum_over_time` with Kahan summation.
pub fn sum_over_time(points: &[Point]) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for p in points {
        (s, c) = kahan_inc(p.v, s, c);
    }
    if s.is_infinite() { s } else { s + c }
}

/// `avg_over_time`: direct mean with Kahan summation, incremental on overflow.
pub fn avg_over_time(points: &[Point]) -> f64 {
    let mut sum = points[0].v;
    let mut count = 1.0;
    let (mut mean, mut c) = (0.0, 0.0);
    let mut incremental = false;
    for (i, p) in points.iter().enumerate().skip(1) {
        count = (i + 1) as f64;
        if !incremental {
            let (ns, nc) = kahan_inc(p.v, sum, c);
            if !ns.is_infinite() {
                sum = ns;
                c = nc;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(p.v / count, q * mean, q * c);
    }
    if incremental {
        mean + c
    } else {
        sum / count + c / count
    }
}

/// Population variance with Kahan-compensated Welford updates.
pub fn variance_over_time(points: &[Point]) -> f64 {
    let (mut count, mut mean, mut cm, mut aux, mut ca) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in points {
        count += 1.0;
        let delta = p.v - (mean + cm);
        (mean, cm) = kahan_inc(delta / count, mean, cm);
        (aux, ca) = kahan_inc(delta * (p.v - (mean + cm)), aux, ca);
    }
    (aux + ca) / count
}

/// `max_over_time` (`max`) or `min_over_time`; NaN only if all are NaN.
/// With `ts` returns the timestamp (s) of the chosen point instead.
pub fn extreme_over_time(points: &[Point], max: bool, ts: bool) -> f64 {
    let mut best = points[0].v;
    let mut best_t = points[0].t;
    for p in points {
        let better = if ts {
            if max { p.v >= best } else { p.v <= best }
        } else if max {
            p.v > best
        } else {
            p.v < best
        };
        if better || best.is_nan() {
            best = p.v;
            best_t = p.t;
        }
    }
    if ts { best_t as f64 / 1000.0 } else { best }
}

/// `quantile_over_time`.
pub fn quantile_over_time(q: f64, points: &[Point]) -> f64 {
    let mut vals: Vec<f64> = points.iter().map(|p| p.v).collect();
    quantile(q, &mut vals)
}

/// `mad_over_time`: median absolute deviation from the median.
pub fn mad_over_time(points: &[Point]) -> f64 {
    if points.iter().any(|p| p.v.is_nan()) {
        return f64::NAN;
    }
    let mut vals: Vec<f64> = points.iter().map(|p| p.v).collect();
    let median = quantile(0.5, &mut vals);
    let mut dev: Vec<f64> = points.iter().map(|p| (p.v - median).abs()).collect();
    quantile(0.5, &mut dev)
}

/// `changes`: how often the value changed (NaN to NaN is no change).
pub fn changes(points: &[Point]) -> f64 {
    let mut n = 0;
    for w in points.windows(2) {
        let (a, b) = (w[0].v, w[1].v);
        if a != b && !(a.is_nan() && b.is_nan()) {
            n += 1;
        }
    }
    n as f64
}

/// `resets`: how often the value decreased or a start timestamp marked a
/// reset ([`is_start_timestamp_reset`]; `sts` as for [`extrapolated_rate`]).
pub fn resets(points: &[Point], sts: &[i64]) -> f64 {
    points
        .windows(2)
        .enumerate()
        .filter(|(i, w)| {
            w[1].v < w[0].v
                || sts
                    .get(*i)
                    .zip(sts.get(i + 1))
                    .is_some_and(|(&p, &c)| is_start_timestamp_reset(p, w[0].t, c, w[1].t))
        })
        .count() as f64
}

/// `double_exponential_smoothing` (formerly `holt_winters`).
pub fn double_exponential_smoothing(points: &[Point], sf: f64, tf: f64) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0, points[0].v);
    let mut b = points[1].v - points[0].v;
    for (i, p) in points.iter().enumerate().skip(1) {
        let x = sf * p.v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    Some(s1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(vals: &[(i64, f64)]) -> Vec<Point> {
        vals.iter().map(|&(t, v)| Point { t, v }).collect()
    }

    #[test]
    fn rate_extrapolates_to_window_edges() {
        // Samples every 60s over a 5m window ending exactly on a sample.
        let p = pts(&[
            (60_000, 10.0),
            (120_000, 20.0),
            (180_000, 30.0),
            (240_000, 40.0),
            (300_000, 50.0),
        ]);
        // 40 increase over 240s, extrapolated to 300s (start is 60s away = avg).
        let mut overlap = false;
        let r = extrapolated_rate(&p, &[], 0, 300_000, 300_000, true, false, &mut overlap)
            .unwrap_or(f64::NAN);
        assert!((r - 50.0).abs() < 1e-9, "{r}");
        assert!(!overlap);
    }

    #[test]
    fn rate_handles_counter_reset_and_zero_point() {
        let p = pts(&[(60_000, 5.0), (120_000, 1.0), (180_000, 3.0)]);
        let mut o = false;
        let r = extrapolated_rate(&p, &[], 0, 180_000, 180_000, true, false, &mut o)
            .unwrap_or(f64::NAN);
        // result = 3 - 5 + 5 = 3 over 120s; zero point at 120*(5/3)=200s > 60s.
        assert!((r - 3.0 * 180.0 / 120.0).abs() < 1e-9, "{r}");
        assert!(extrapolated_rate(&p[..1], &[], 0, 180_000, 180_000, true, true, &mut o).is_none());
    }

    #[test]
    fn start_timestamps_mark_resets_and_the_zero_point() {
        // promqltest start_timestamps.test, "various counter resets before
        // the first sample": 5 (ST 1m) at 2m, 5 (ST 2m59s) at 3m, 2 at 4m,
        // increase over (0, 5m].
        let p = pts(&[(120_000, 5.0), (180_000, 5.0), (240_000, 2.0)]);
        let sts = [60_000, 179_000, 0];
        let mut o = false;
        let r = extrapolated_rate(&p, &sts, 0, 300_000, 300_000, true, false, &mut o);
        assert_eq!(r, Some(16.0));
        assert!(!o);
        assert_eq!(resets(&p, &sts), 2.0);
        assert_eq!(resets(&p, &[]), 1.0);
        // A delta series (each start is the previous sample) is a reset at
        // every sample; a cumulative one with unknown start (the first
        // start is the sample itself) is not.
        assert!(is_start_timestamp_reset(60_000, 120_000, 120_000, 180_000));
        assert!(!is_start_timestamp_reset(
            120_000, 120_000, 120_000, 180_000
        ));
        assert!(!is_start_timestamp_reset(0, 120_000, 120_000, 180_000));
        assert!(!is_start_timestamp_reset(
            180_000, 120_000, 120_000, 180_000
        ));
        // A start before the previous sample that is not its start overlaps.
        assert!(start_time_overlaps(0, 120_000, 60_000));
        assert!(!start_time_overlaps(60_000, 120_000, 60_000));
        // A single sample whose start is inside the range: 3 over its life.
        let one = pts(&[(240_000, 3.0)]);
        let r = extrapolated_rate(
            &one,
            &[90_000],
            60_000,
            360_000,
            300_000,
            true,
            false,
            &mut o,
        );
        assert_eq!(r, Some(3.0));
        assert!(
            extrapolated_rate(
                &one,
                &[60_000],
                60_000,
                360_000,
                300_000,
                true,
                false,
                &mut o
            )
            .is_none()
        );
        // irate after a start-timestamp reset takes the last value.
        let d = pts(&[(60_000, 60.0), (120_000, 60.0)]);
        assert_eq!(instant_value(&d, &[1, 60_000], true), Some(1.0));
        assert_eq!(instant_value(&d, &[], true), Some(0.0));
    }

    #[test]
    fn irate_uses_last_two_points() {
        let p = pts(&[(0, 1.0), (10_000, 5.0), (20_000, 2.0)]);
        assert_eq!(instant_value(&p, &[], true), Some(0.2));
        assert_eq!(instant_value(&p, &[], false), Some(-3.0));
    }
}
