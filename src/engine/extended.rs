//! Prometheus' extended range selectors (feature
//! `promql-extended-range-selectors`, Prometheus 3.7+): `x[5m] anchored`,
//! `x[5m] smoothed` and the instant selector `x smoothed`.
//!
//! Semantics as Prometheus' `promql/engine.go` and `promql/functions.go`
//! (`extendedRate`, `extendedHistogramRate`, `pickFirstSampleIndices`,
//! `extendFloats`, the smoothed vector selector), ported, not copied:
//!
//! * An **anchored** window `(start, end]` also sees the lookback delta
//!   before `start`; the last sample at or before `start` is the anchor
//!   (the value at the window's start). `rate`, `increase` and `delta` are
//!   `value at end - value at start` (plus the counter-reset correction),
//!   without extrapolation; `changes` and `resets` count from the anchor.
//! * A **smoothed** window also sees the lookback delta after `end`; the
//!   values at `start` and `end` are interpolated linearly between the
//!   samples around them (for counters, across a reset the counter is taken
//!   to restart from 0). Only `rate`, `increase` and `delta` accept it.
//! * `x smoothed` (an instant selector) is the value interpolated at the
//!   evaluation time between the samples around it within the lookback
//!   delta, or the last one when none follows.

use std::sync::Arc;

use super::error::{Annotation, EvalError};
use super::native::{FloatHistogram, ResetHint};
use super::value::{HPoint, Point};

/// Functions that accept an `anchored` range selector, sorted
/// (`AnchoredSafeFunctions`).
pub const ANCHORED_FUNCTIONS: [&str; 5] = ["changes", "delta", "increase", "rate", "resets"];
/// Functions that accept a `smoothed` range selector, sorted
/// (`SmoothedSafeFunctions`).
pub const SMOOTHED_FUNCTIONS: [&str; 3] = ["delta", "increase", "rate"];

/// The error of a function given an extended range selector it does not
/// accept, with Prometheus' text; `None` when the function accepts it.
pub fn check_function(name: &str, anchored: bool, smoothed: bool) -> Option<EvalError> {
    let (modifier, allowed): (&str, &[&str]) = if anchored {
        ("anchored", &ANCHORED_FUNCTIONS)
    } else if smoothed {
        ("smoothed", &SMOOTHED_FUNCTIONS)
    } else {
        return None;
    };
    if allowed.contains(&name) {
        return None;
    }
    Some(EvalError::eval(format!(
        "{modifier} modifier can only be used with: {} - not with {name}",
        allowed.join(", ")
    )))
}

/// Go's `sort.Search(n, f)`: the first `i` in `0..n` with `f(i)`, or `n`.
fn search(n: usize, f: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if f(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The samples that bound an extended window: `first` is the last sample at
/// or before `start` (else the first sample), `last` the last sample, or for
/// a smoothed window the first sample at or after `end` (else the last).
/// `None` when no sample lies after `start`, or (smoothed) all lie after
/// `end`. `ts` are the sample times in order.
fn boundary_indices(
    len: usize,
    t: impl Fn(usize) -> i64,
    start: i64,
    end: i64,
    smoothed: bool,
) -> Option<(usize, usize)> {
    if len == 0 {
        return None;
    }
    let mut last = len - 1;
    let first = search(last, |i| t(i) > start).saturating_sub(1);
    if smoothed {
        last = search(last, |i| t(i) >= end);
    }
    if t(last) <= start || (smoothed && t(first) > end) {
        return None;
    }
    Some((first, last))
}

/// Linear interpolation at `t` between two float samples; for a counter
/// that fell between them, from 0 (the counter restarted).
fn interpolate(a: Point, b: Point, t: i64, is_counter: bool) -> f64 {
    let y1 = if is_counter && b.v < a.v { 0.0 } else { a.v };
    y1 + (b.v - y1) * (t - a.t) as f64 / (b.t - a.t) as f64
}

/// The samples strictly inside `(start, end)` among `first..=last`.
fn inner(p: &[Point], first: usize, last: usize, start: i64, end: i64) -> &[Point] {
    let lo = first + usize::from(p[first].t <= start);
    let hi = last + 1 - usize::from(p[last].t >= end);
    if lo < hi { &p[lo..hi] } else { &[] }
}

/// `rate`/`increase`/`delta` over an anchored or smoothed window of float
/// points selected over `(start - lookback, end]` (anchored) or
/// `(start - lookback, end + lookback]` (smoothed). `None` for no result.
pub fn rate(
    p: &[Point],
    start: i64,
    end: i64,
    range_ms: i64,
    smoothed: bool,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    let (first, last) = boundary_indices(p.len(), |i| p[i].t, start, end, smoothed)?;
    let (left, right) = boundary_values(p, first, last, start, end, smoothed, is_counter);
    let mut result = right - left;
    if is_counter {
        // Resets at the boundaries are in the interpolation; correct for
        // those between the samples strictly inside the window.
        let mut prev = left;
        for q in inner(p, first, last, start, end) {
            if q.v < prev {
                result += prev;
            }
            prev = q.v;
        }
        if right < prev {
            result += prev;
        }
    }
    if is_rate {
        result /= range_ms as f64 / 1000.0;
    }
    Some(result)
}

fn mixed_schemas(metric: &str) -> Annotation {
    Annotation::warning(format!(
        "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metric}\""
    ))
}

/// The warning of a window or lookback mixing floats and histograms.
pub fn mixed_floats_histograms(metric: &str) -> Annotation {
    Annotation::warning(format!(
        "encountered a mix of histograms and floats for metric name \"{metric}\""
    ))
}

fn reconciled(op: &str) -> Annotation {
    Annotation::info(format!(
        "mismatched custom buckets were reconciled during {op}"
    ))
}

/// `a += b` (or `a -= b`), with Prometheus' annotations; false when the
/// histograms cannot be combined (the warning is added).
fn combine(
    a: &mut FloatHistogram,
    b: &FloatHistogram,
    add: bool,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> bool {
    let r = if add { a.add(b) } else { a.sub(b) };
    match r {
        Ok(true) => {
            annos.push(reconciled(if add { "addition" } else { "subtraction" }));
            true
        }
        Ok(false) => true,
        Err(_) => {
            annos.push(mixed_schemas(metric));
            false
        }
    }
}

/// Linear interpolation at `t` between two histograms; for a counter reset
/// between them, `b` scaled by the elapsed fraction (the counter restarted
/// from zero). `None` when the histograms cannot be combined (no
/// annotation: callers add the mixed-schema warning).
pub fn interpolate_histograms(
    a: &HPoint,
    b: &HPoint,
    t: i64,
    is_counter: bool,
    annos: &mut Vec<Annotation>,
) -> Option<FloatHistogram> {
    if t == a.t {
        return Some((*a.h).clone());
    }
    if t == b.t {
        return Some((*b.h).clone());
    }
    let fraction = (t - a.t) as f64 / (b.t - a.t) as f64;
    let mut out = (*b.h).clone();
    if is_counter && b.h.detect_reset(&a.h) {
        out.mul(fraction);
        return Some(out);
    }
    match out.sub(&a.h) {
        Ok(true) => annos.push(reconciled("subtraction")),
        Ok(false) => {}
        Err(_) => return None,
    }
    out.mul(fraction);
    match out.add(&a.h) {
        Ok(true) => annos.push(reconciled("addition")),
        Ok(false) => {}
        Err(_) => return None,
    }
    Some(out)
}

/// `rate`/`increase`/`delta` over an anchored or smoothed window of
/// histograms (`extendedHistogramRate`): the histogram at the end minus the
/// one at the start, plus for counters the value before each reset inside
/// the window, per second for `rate`, as a compacted gauge histogram.
#[allow(clippy::too_many_arguments)]
pub fn histogram_rate(
    h: &[HPoint],
    start: i64,
    end: i64,
    range_ms: i64,
    smoothed: bool,
    is_counter: bool,
    is_rate: bool,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> Option<FloatHistogram> {
    let (first, last) = boundary_indices(h.len(), |i| h[i].t, start, end, smoothed)?;
    // The samples used must agree on exponential or custom buckets.
    let custom = h[first].h.uses_custom_buckets();
    for p in &h[first..=last] {
        if p.h.uses_custom_buckets() != custom {
            annos.push(mixed_schemas(metric));
            return None;
        }
        if is_counter && p.h.hint == ResetHint::Gauge {
            annos.push(Annotation::warning(format!(
                "this native histogram metric is not a counter: \"{metric}\""
            )));
        }
    }
    let left = if smoothed && h[first].t < start {
        interpolate_histograms(&h[first], &h[first + 1], start, is_counter, annos)
    } else {
        Some((*h[first].h).clone())
    };
    let Some(left) = left else {
        annos.push(mixed_schemas(metric));
        return None;
    };
    let right = if smoothed && last > 0 && h[last].t > end {
        interpolate_histograms(&h[last - 1], &h[last], end, is_counter, annos)
    } else {
        Some((*h[last].h).clone())
    };
    let Some(right) = right else {
        annos.push(mixed_schemas(metric));
        return None;
    };
    if !is_counter && (left.hint != ResetHint::Gauge || right.hint != ResetHint::Gauge) {
        annos.push(Annotation::warning(format!(
            "this native histogram metric is not a gauge: \"{metric}\""
        )));
    }
    let mut result = right.clone();
    if !combine(&mut result, &left, false, metric, annos) {
        return None;
    }
    if is_counter {
        let correction = histogram_reset_correction(
            h, first, last, &left, &right, start, smoothed, metric, annos,
        )?;
        if let Some(c) = correction
            && !combine(&mut result, &c, true, metric, annos)
        {
            return None;
        }
    }
    if is_rate {
        result.div(range_ms as f64 / 1000.0);
    }
    result.hint = ResetHint::Gauge;
    result.compact();
    Some(result)
}

/// The counter-reset correction of [`histogram_rate`]
/// (`correctForCounterResetsHistogram`): the value before every reset
/// between the boundary samples `first` (represented by `left`) and `last`
/// (represented by `right`, a copy of it or interpolated with its hint).
/// `Some(None)` for no correction, `None` when histograms cannot be added.
#[allow(clippy::too_many_arguments)]
fn histogram_reset_correction(
    h: &[HPoint],
    first: usize,
    last: usize,
    left: &FloatHistogram,
    right: &FloatHistogram,
    start: i64,
    smoothed: bool,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> Option<Option<FloatHistogram>> {
    let mut from = first + 1;
    let mut prev: &FloatHistogram = left;
    if smoothed && h[first].t < start && h[first + 1].h.detect_reset(&h[first].h) {
        // The left interpolation already spans this reset: the sample after
        // it is the reference for a reset right after.
        prev = &h[first + 1].h;
        from += 1;
    }
    // `last` itself is represented by `right` (checked at the end).
    if from > last {
        // Both boundaries interpolated within one reset interval (or a
        // single sample): nothing to correct.
        return Some(None);
    }
    let mut correction: Option<FloatHistogram> = None;
    let mut add = |c: &FloatHistogram, annos: &mut Vec<Annotation>| -> bool {
        match correction.as_mut() {
            None => {
                correction = Some(c.clone());
                true
            }
            Some(acc) => combine(acc, c, true, metric, annos),
        }
    };
    for p in h.get(from..last).unwrap_or(&[]) {
        if p.h.detect_reset(prev) && !add(prev, annos) {
            return None;
        }
        prev = &p.h;
    }
    if right.detect_reset(prev) && !add(prev, annos) {
        return None;
    }
    Some(correction)
}

/// The first float and histogram index of an anchored window for
/// `changes`/`resets` (`pickFirstSampleIndices`): the anchor is the latest
/// sample of either kind at or before `start`; earlier samples are skipped.
/// `None` when no sample lies after `start`.
pub fn anchored_start(p: &[Point], hp: &[HPoint], start: i64) -> Option<(usize, usize)> {
    // Samples at or before the start.
    let nf = p.partition_point(|q| q.t <= start);
    let nh = hp.partition_point(|q| q.t <= start);
    if nf >= p.len() && nh >= hp.len() {
        return None;
    }
    Some(match (nf, nh) {
        (0, 0) => (0, 0),
        (f, 0) => (f - 1, 0),
        (0, h) => (0, h - 1),
        (f, h) if p[f - 1].t >= hp[h - 1].t => (f - 1, h),
        (f, h) => (f, h - 1),
    })
}

/// The points an anchored or smoothed matrix selector returns
/// (`extendFloats`): a point at `start` (the anchor's value, or the value
/// interpolated there), the samples inside `(start, end)`, and a point at
/// `end`. Empty when no sample lies after `start` (or, smoothed, all lie
/// after `end`).
pub fn extend_floats(p: &[Point], start: i64, end: i64, smoothed: bool) -> Vec<Point> {
    let Some((first, last)) = boundary_indices(p.len(), |i| p[i].t, start, end, smoothed) else {
        return Vec::new();
    };
    let (left, right) = boundary_values(p, first, last, start, end, smoothed, false);
    let mid = inner(p, first, last, start, end);
    let mut out = Vec::with_capacity(mid.len() + 2);
    out.push(Point { t: start, v: left });
    out.extend_from_slice(mid);
    out.push(Point { t: end, v: right });
    out
}

/// What a smoothed instant selector yields for one series.
pub enum Smoothed {
    /// No sample.
    None,
    /// A float value.
    Float(f64),
    /// A histogram.
    Histogram(Arc<FloatHistogram>),
}

/// The value of `x smoothed` at `t` for one series, from its floats `p` and
/// histograms `hp` in `(t - lookback, t + lookback]` (staleness markers
/// removed): the sample at `t`, the value interpolated between the samples
/// around `t`, or the last sample before `t` when none follows. A lookback
/// holding floats and histograms has no value and a warning; so has an
/// interpolation between exponential and custom buckets.
pub fn smoothed_value(
    p: &[Point],
    hp: &[HPoint],
    t: i64,
    metric: &str,
    annos: &mut Vec<Annotation>,
) -> Smoothed {
    if !p.is_empty() && !hp.is_empty() {
        annos.push(mixed_floats_histograms(metric));
        return Smoothed::None;
    }
    if !p.is_empty() {
        let i = p.partition_point(|q| q.t < t);
        return if i < p.len() && p[i].t == t {
            Smoothed::Float(p[i].v)
        } else if i > 0 && i < p.len() {
            // Floats are not known to be counters: plain interpolation.
            Smoothed::Float(interpolate(p[i - 1], p[i], t, false))
        } else if i > 0 {
            Smoothed::Float(p[i - 1].v)
        } else {
            Smoothed::None
        };
    }
    let i = hp.partition_point(|q| q.t < t);
    if i < hp.len() && hp[i].t == t {
        Smoothed::Histogram(hp[i].h.clone())
    } else if i > 0 && i < hp.len() {
        if hp[i - 1].h.uses_custom_buckets() != hp[i].h.uses_custom_buckets() {
            annos.push(mixed_schemas(metric));
            return Smoothed::None;
        }
        let is_counter = hp[i - 1].h.hint != ResetHint::Gauge;
        match interpolate_histograms(&hp[i - 1], &hp[i], t, is_counter, annos) {
            Some(h) => Smoothed::Histogram(Arc::new(h)),
            None => {
                annos.push(mixed_schemas(metric));
                Smoothed::None
            }
        }
    } else if i > 0 {
        Smoothed::Histogram(hp[i - 1].h.clone())
    } else {
        Smoothed::None
    }
}

/// The values at the window's `start` and `end` (ms) from points `first`
/// and `last` of `p`: interpolated between the points around each bound
/// when `smoothed` and the point lies outside the window (from 0 across a
/// counter reset when `is_counter`), else the points' own values.
fn boundary_values(
    p: &[Point],
    first: usize,
    last: usize,
    start: i64,
    end: i64,
    smoothed: bool,
    is_counter: bool,
) -> (f64, f64) {
    let left = match p.get(first + 1) {
        Some(next) if smoothed && p[first].t < start => {
            interpolate(p[first], *next, start, is_counter)
        }
        _ => p[first].v,
    };
    let right = if smoothed && last > 0 && p[last].t > end {
        interpolate(p[last - 1], p[last], end, is_counter)
    } else {
        p[last].v
    };
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(i64, f64)]) -> Vec<Point> {
        v.iter().map(|&(t, v)| Point { t, v }).collect()
    }

    #[test]
    fn anchored_increase_takes_the_sample_before_the_window() {
        // 1, 2, 3 at 0s, 15s, 30s: the window (20s, 80s] starts with the
        // 15s sample (2) and ends with the 30s one (3).
        let p = pts(&[(0, 1.0), (15_000, 2.0), (30_000, 3.0)]);
        let v = rate(&p, 20_000, 80_000, 60_000, false, true, false);
        assert_eq!(v, Some(1.0));
        // Without a sample after the window start there is nothing.
        assert_eq!(rate(&p, 30_000, 90_000, 60_000, false, true, false), None);
    }

    #[test]
    fn anchored_increase_corrects_a_reset_inside_the_window() {
        // 5, 10, 3 (reset): 3 - 5 + 10.
        let p = pts(&[(0, 5.0), (30_000, 10.0), (60_000, 3.0)]);
        assert_eq!(rate(&p, 0, 70_000, 70_000, false, true, false), Some(8.0));
        // delta ignores resets.
        assert_eq!(rate(&p, 0, 70_000, 70_000, false, false, false), Some(-2.0));
    }

    #[test]
    fn smoothed_rate_interpolates_at_both_edges() {
        // 1 at 0s, 2 at 15s, ..., window (5s, 65s]: left 1 + 5/15,
        // right 5 + 4·5/15 (between 5 at 60s and 9 at 75s).
        let p = pts(&[
            (0, 1.0),
            (15_000, 2.0),
            (30_000, 3.0),
            (45_000, 4.0),
            (60_000, 5.0),
            (75_000, 9.0),
        ]);
        let inc = rate(&p, 5_000, 65_000, 60_000, true, true, false).unwrap();
        assert!((inc - 5.0).abs() < 1e-9, "{inc}");
        let r = rate(&p, 5_000, 65_000, 60_000, true, true, true).unwrap();
        assert!((r - 5.0 / 60.0).abs() < 1e-12, "{r}");
    }

    #[test]
    fn smoothed_counter_interpolation_restarts_from_zero() {
        // 100 then 10 (a reset): at 2s the counter is 10·2/15, at 12s 10·12/15.
        let p = pts(&[(0, 100.0), (15_000, 10.0)]);
        let r = rate(&p, 2_000, 12_000, 10_000, true, true, true).unwrap();
        assert!((r - 0.666_666_666_666_667).abs() < 1e-12, "{r}");
    }

    #[test]
    fn unsupported_functions_are_refused_with_prometheus_text() {
        let e = check_function("deriv", true, false).expect("error");
        assert_eq!(
            e.to_string(),
            "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with deriv"
        );
        let e = check_function("resets", false, true).expect("error");
        assert_eq!(
            e.to_string(),
            "smoothed modifier can only be used with: delta, increase, rate - not with resets"
        );
        assert!(check_function("resets", true, false).is_none());
        assert!(check_function("max_over_time", false, false).is_none());
    }

    #[test]
    fn anchored_changes_start_at_the_anchor() {
        let p = pts(&[(0, 1.0), (60_000, 2.0), (120_000, 3.0)]);
        // Window (60s, 120s]: the anchor is the 60s sample.
        assert_eq!(anchored_start(&p, &[], 60_000), Some((1, 0)));
        assert_eq!(anchored_start(&p, &[], 120_000), None);
        assert_eq!(anchored_start(&p, &[], -1), Some((0, 0)));
    }

    #[test]
    fn extended_matrix_points() {
        let p = pts(&[(0, 1.0), (10_000, 2.0), (20_000, 4.0)]);
        // An anchored window is selected up to its end only.
        let a = extend_floats(&p[..2], 5_000, 15_000, false);
        assert_eq!(a, pts(&[(5_000, 1.0), (10_000, 2.0), (15_000, 2.0)]));
        let s = extend_floats(&p, 5_000, 15_000, true);
        assert_eq!(s, pts(&[(5_000, 1.5), (10_000, 2.0), (15_000, 3.0)]));
    }

    #[test]
    fn smoothed_instant_value() {
        let p = pts(&[(0, 1.0), (10_000, 2.0)]);
        let v = |t| match smoothed_value(&p, &[], t, "m", &mut Vec::new()) {
            Smoothed::Float(v) => Some(v),
            _ => None,
        };
        assert_eq!(v(5_000), Some(1.5));
        assert_eq!(v(10_000), Some(2.0));
        assert_eq!(v(20_000), Some(2.0));
        assert_eq!(v(-1), None);
    }
}
