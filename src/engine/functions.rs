//! Function calls: dispatch, argument evaluation and the instant-vector
//! functions. Range-vector functions compute their values in [`super::rangefns`].

use crate::promql::ast::{Call, Expr};
use chrono::{DateTime, Datelike, Timelike};

use super::error::{Annotation, EvalError};
use super::eval::{Evaluator, absent_labels};
use super::histogram::{Bucket, bucket_fraction, bucket_quantile};
use std::borrow::Cow;
use std::sync::Arc;

use super::labels::{Labels, METRIC_NAME};
use super::native::FloatHistogram;
use super::nativefns as nf;
use super::rangefns as rf;
use super::value::{
    HPoint, InstantVector, Point, Sample, StartTs, Value, Window, start_timestamp_at,
};
use crate::promql::analysis::unwrap_parens;

/// A matrix argument with the window `(start, end]` (ms) it was selected over.
struct RangeArg<'a> {
    matrix: Vec<Window<'a>>,
    start: i64,
    end: i64,
    range_ms: i64,
    /// The selector is `anchored` (its windows reach back a lookback delta
    /// before `start`).
    anchored: bool,
    /// The selector is `smoothed` (its windows also reach a lookback delta
    /// past `end`).
    smoothed: bool,
}

fn eval_range_arg<'a>(ev: &mut Evaluator<'a>, e: &Expr, t: i64) -> Result<RangeArg<'a>, EvalError> {
    match unwrap_parens(e) {
        Expr::MatrixSelector(ms) => {
            let (anchored, smoothed) = (ms.vs.anchored, ms.vs.smoothed);
            let end = ev.ref_time(&ms.vs.at, &ms.vs.offset, &ms.vs.offset_expr, t);
            let range_ms = ev.range_ms(&ms.range, &ms.range_expr);
            // Extended selectors see a lookback delta before the window
            // (anchored, smoothed) and after it (smoothed), as Prometheus'
            // matrix iteration for them.
            let lookback = ev.engine.lookback_delta_ms;
            let (sel_end, sel_range) = match (anchored, smoothed) {
                (true, _) => (end, range_ms.saturating_add(lookback)),
                (false, true) => (
                    end.saturating_add(lookback),
                    range_ms.saturating_add(lookback.saturating_mul(2)),
                ),
                _ => (end, range_ms),
            };
            let mut matrix = ev.select_windows(&ms.vs, sel_end, sel_range);
            if anchored || smoothed {
                // Start timestamps are not used with extended selectors
                // (Prometheus' `extendedRate` has none).
                for w in &mut matrix {
                    w.sts = &[];
                }
            }
            let peak = matrix
                .iter()
                .map(|s| s.points.len() + s.hpoints.len())
                .max()
                .unwrap_or(0);
            ev.check_peak(peak)?;
            Ok(RangeArg {
                matrix,
                start: end - range_ms,
                end,
                range_ms,
                anchored,
                smoothed,
            })
        }
        Expr::Subquery(sq) => {
            let (matrix, start, end) = ev.eval_subquery(sq, t)?;
            let total: usize = matrix
                .iter()
                .map(|s| s.points.len() + s.hpoints.len())
                .sum();
            ev.check_peak(total)?;
            Ok(RangeArg {
                matrix: matrix.into_iter().map(Window::from).collect(),
                start,
                end,
                range_ms: ev.range_ms(&sq.range, &sq.range_expr),
                anchored: false,
                smoothed: false,
            })
        }
        _ => Err(EvalError::eval("expected a range vector argument")),
    }
}

fn arg(c: &Call, i: usize) -> Result<&Expr, EvalError> {
    c.args
        .args
        .get(i)
        .map(|b| b.as_ref())
        .ok_or_else(|| EvalError::eval(format!("missing argument {} to {}", i + 1, c.func.name)))
}

fn string_arg(c: &Call, i: usize) -> Result<String, EvalError> {
    match unwrap_parens(arg(c, i)?) {
        Expr::StringLiteral(s) => Ok(s.val.clone()),
        _ => Err(EvalError::eval(format!(
            "expected string argument {} to {}",
            i + 1,
            c.func.name
        ))),
    }
}

/// Evaluates a function call at `t`.
pub(crate) fn eval_call(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let name = c.func.name;
    // A function given an anchored or smoothed range selector must accept
    // it (Prometheus checks the call's first range-selector argument).
    let first_range = c.args.args.iter().find_map(|a| match unwrap_parens(a) {
        Expr::MatrixSelector(ms) => Some(ms),
        _ => None,
    });
    if let Some(ms) = first_range
        && let Some(e) = super::extended::check_function(name, ms.vs.anchored, ms.vs.smoothed)
    {
        return Err(e);
    }
    match name {
        "time" => return Ok(Value::Scalar(t as f64 / 1000.0)),
        "step" => return Ok(Value::Scalar(ev.step_and_range_secs().0)),
        "pi" => return Ok(Value::Scalar(std::f64::consts::PI)),
        "min_of" | "max_of" => {
            let a = ev.eval_scalar(arg(c, 0)?, t)?;
            let b = ev.eval_scalar(arg(c, 1)?, t)?;
            // Go's math.Min/Max: NaN wins.
            let v = if a.is_nan() || b.is_nan() {
                f64::NAN
            } else if name == "min_of" {
                a.min(b)
            } else {
                a.max(b)
            };
            return Ok(Value::Scalar(v));
        }
        "start" => return Ok(Value::Scalar(ev.start as f64 / 1000.0)),
        "end" => return Ok(Value::Scalar(ev.end as f64 / 1000.0)),
        "range" => return Ok(Value::Scalar((ev.end - ev.start) as f64 / 1000.0)),
        "scalar" => {
            // The one float sample; histograms do not count (`funcScalar`).
            let v = ev.eval_vector(arg(c, 0)?, t)?;
            let mut floats = v.iter().filter(|s| s.h.is_none());
            let x = match (floats.next(), floats.next()) {
                (Some(s), None) => s.v,
                _ => f64::NAN,
            };
            return Ok(Value::Scalar(x));
        }
        "vector" => {
            let v = ev.eval_scalar(arg(c, 0)?, t)?;
            return Ok(Value::Vector(vec![Sample {
                labels: Labels::empty(),
                t,
                v,
                h: None,
                drop_name: false,
            }]));
        }
        "timestamp" => {
            let a = arg(c, 0)?;
            let vec = match unwrap_parens(a) {
                Expr::VectorSelector(vs) => ev.select_instant(vs, t, true)?,
                other => ev.eval_vector(other, t)?,
            };
            let out = map_samples(ev, vec, t, |s| s.t as f64 / 1000.0);
            ev.check_dups_now(&out)?;
            return Ok(Value::Vector(out));
        }
        "start_timestamp" => {
            // The start timestamps (s) of an instant selector's samples, 0
            // for a sample without one; nothing for any other expression
            // (it has none), nor without start timestamps in use
            // (`funcStartTimestamp`).
            let a = arg(c, 0)?;
            let vec = match unwrap_parens(a) {
                Expr::VectorSelector(vs) if ev.engine.use_start_timestamps => {
                    let mut vec = ev.select_instant(vs, t, true)?;
                    for s in &mut vec {
                        let st = ev
                            .storage
                            .get(&s.labels)
                            .map_or(0, |x| x.start_timestamp_at(s.t));
                        s.v = st as f64 / 1000.0;
                    }
                    vec
                }
                other => {
                    ev.eval_vector(other, t)?;
                    Vec::new()
                }
            };
            let out = map_samples(ev, vec, t, |s| s.v);
            ev.check_dups_now(&out)?;
            return Ok(Value::Vector(out));
        }
        "absent" => {
            let a = arg(c, 0)?;
            let vec = ev.eval_vector(a, t)?;
            if !vec.is_empty() {
                return Ok(Value::Vector(Vec::new()));
            }
            return Ok(Value::Vector(vec![Sample {
                labels: absent_labels(a),
                t,
                v: 1.0,
                h: None,
                drop_name: false,
            }]));
        }
        "absent_over_time" => {
            let a = arg(c, 0)?;
            let r = eval_range_arg(ev, a, t)?;
            if r.matrix
                .iter()
                .any(|s| !s.points.is_empty() || !s.hpoints.is_empty())
            {
                return Ok(Value::Vector(Vec::new()));
            }
            let labels = match unwrap_parens(a) {
                Expr::MatrixSelector(_) => absent_labels(a),
                _ => Labels::empty(),
            };
            return Ok(Value::Vector(vec![Sample {
                labels,
                t,
                v: 1.0,
                h: None,
                drop_name: false,
            }]));
        }
        "label_replace" => return label_replace(ev, c, t),
        "label_join" => return label_join(ev, c, t),
        "histogram_quantile" => return histogram_quantile(ev, c, t),
        "histogram_fraction" => return histogram_fraction(ev, c, t),
        "histogram_count" | "histogram_sum" | "histogram_avg" | "histogram_stddev"
        | "histogram_stdvar" => {
            // Only native histograms carry these; float samples are ignored
            // (`simpleHistogramFunc`).
            let vec = ev.eval_vector(arg(c, 0)?, t)?;
            let f = match name {
                "histogram_count" => |h: &FloatHistogram| h.count,
                "histogram_sum" => |h: &FloatHistogram| h.sum,
                "histogram_avg" => |h: &FloatHistogram| h.sum / h.count,
                "histogram_stddev" => |h: &FloatHistogram| nf::stdvar(h).sqrt(),
                _ => nf::stdvar,
            };
            let hists = vec.into_iter().filter(|s| s.h.is_some()).collect();
            let out = map_samples(ev, hists, t, |s| s.h.as_deref().map_or(f64::NAN, f));
            ev.check_dups_now(&out)?;
            return Ok(Value::Vector(out));
        }
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" => {
            return sort_fn(ev, c, t);
        }
        _ => {}
    }

    if let Some(v) = range_function(ev, c, t)? {
        return Ok(v);
    }

    // Date functions: optional vector argument, default vector(time()).
    if matches!(
        name,
        "day_of_month"
            | "day_of_week"
            | "day_of_year"
            | "days_in_month"
            | "hour"
            | "minute"
            | "month"
            | "year"
    ) {
        let f = date_fn(name);
        if c.args.args.is_empty() {
            return Ok(Value::Vector(vec![Sample {
                labels: Labels::empty(),
                t,
                v: f(t.div_euclid(1000) as f64),
                h: None,
                drop_name: false,
            }]));
        }
        let vec = ev.eval_vector(arg(c, 0)?, t)?;
        let out = map_vector(ev, vec, t, |s| f(s.v));
        ev.check_dups_now(&out)?;
        return Ok(Value::Vector(out));
    }

    let simple: Option<fn(f64) -> f64> = match name {
        "abs" => Some(f64::abs),
        "ceil" => Some(f64::ceil),
        "floor" => Some(f64::floor),
        "exp" => Some(f64::exp),
        "sqrt" => Some(f64::sqrt),
        "ln" => Some(f64::ln),
        "log2" => Some(f64::log2),
        "log10" => Some(f64::log10),
        "sin" => Some(f64::sin),
        "cos" => Some(f64::cos),
        "tan" => Some(f64::tan),
        "asin" => Some(f64::asin),
        "acos" => Some(f64::acos),
        "atan" => Some(f64::atan),
        "sinh" => Some(f64::sinh),
        "cosh" => Some(f64::cosh),
        "tanh" => Some(f64::tanh),
        "asinh" => Some(f64::asinh),
        "acosh" => Some(f64::acosh),
        "atanh" => Some(f64::atanh),
        "rad" => Some(|v| v * std::f64::consts::PI / 180.0),
        "deg" => Some(|v| v * 180.0 / std::f64::consts::PI),
        "sgn" => Some(|v: f64| {
            if v < 0.0 {
                -1.0
            } else if v > 0.0 {
                1.0
            } else {
                v
            }
        }),
        _ => None,
    };
    if let Some(f) = simple {
        let vec = ev.eval_vector(arg(c, 0)?, t)?;
        let out = map_vector(ev, vec, t, |s| f(s.v));
        ev.check_dups_now(&out)?;
        return Ok(Value::Vector(out));
    }

    match name {
        "round" => {
            let vec = ev.eval_vector(arg(c, 0)?, t)?;
            let to_nearest = match c.args.args.get(1) {
                Some(e) => ev.eval_scalar(e, t)?,
                None => 1.0,
            };
            let inv = 1.0 / to_nearest;
            let out = map_vector(ev, vec, t, |s| (s.v * inv + 0.5).floor() / inv);
            ev.check_dups_now(&out)?;
            Ok(Value::Vector(out))
        }
        "clamp" | "clamp_min" | "clamp_max" => {
            let vec = ev.eval_vector(arg(c, 0)?, t)?;
            let (lo, hi) = match name {
                "clamp" => (
                    ev.eval_scalar(arg(c, 1)?, t)?,
                    ev.eval_scalar(arg(c, 2)?, t)?,
                ),
                "clamp_min" => (ev.eval_scalar(arg(c, 1)?, t)?, f64::INFINITY),
                _ => (f64::NEG_INFINITY, ev.eval_scalar(arg(c, 1)?, t)?),
            };
            if hi < lo {
                return Ok(Value::Vector(Vec::new()));
            }
            let out = map_vector(ev, vec, t, |s| go_max(lo, go_min(hi, s.v)));
            ev.check_dups_now(&out)?;
            Ok(Value::Vector(out))
        }
        "step" => Ok(Value::Scalar(ev.step as f64 / 1000.0)),
        "min_of" | "max_of" => {
            let a = ev.eval_scalar(arg(c, 0)?, t)?;
            let b = ev.eval_scalar(arg(c, 1)?, t)?;
            Ok(Value::Scalar(if name == "min_of" {
                go_min(a, b)
            } else {
                go_max(a, b)
            }))
        }
        "histogram_quantiles" => histogram_quantiles(ev, c, t),
        "info" => info_fn(ev, c, t),
        _ => Err(EvalError::eval(format!(
            "function \"{name}\" is not supported"
        ))),
    }
}

/// Go's `math.Max` (NaN wins).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min` (NaN wins).
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Applies `f` to each float sample, dropping the metric name; histogram
/// samples are left out (`simpleFloatFunc`).
fn map_vector(
    ev: &Evaluator<'_>,
    vec: InstantVector,
    t: i64,
    f: impl Fn(&Sample) -> f64,
) -> InstantVector {
    let floats = vec.into_iter().filter(|s| s.h.is_none()).collect();
    map_samples(ev, floats, t, f)
}

/// Applies `f` to every sample (a float result), dropping the metric name.
fn map_samples(
    ev: &Evaluator<'_>,
    vec: InstantVector,
    t: i64,
    f: impl Fn(&Sample) -> f64,
) -> InstantVector {
    vec.into_iter()
        .map(|mut s| {
            let v = f(&s);
            let mut drop = s.drop_name;
            ev.drop_name(&mut s.labels, &mut drop);
            Sample {
                labels: s.labels,
                t,
                v,
                h: None,
                drop_name: drop,
            }
        })
        .collect()
}

fn date_fn(name: &str) -> fn(f64) -> f64 {
    fn dt(v: f64) -> Option<DateTime<chrono::Utc>> {
        if !v.is_finite() {
            return None;
        }
        let secs = v.trunc();
        if secs.abs() > 8.0e15 {
            return None;
        }
        DateTime::from_timestamp(secs as i64, 0)
    }
    match name {
        "day_of_month" => |v| dt(v).map_or(f64::NAN, |d| d.day() as f64),
        "day_of_week" => |v| dt(v).map_or(f64::NAN, |d| d.weekday().num_days_from_sunday() as f64),
        "day_of_year" => |v| dt(v).map_or(f64::NAN, |d| d.ordinal() as f64),
        "days_in_month" => |v| {
            dt(v).map_or(f64::NAN, |d| {
                let (y, m) = (d.year(), d.month());
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                match (
                    chrono::NaiveDate::from_ymd_opt(y, m, 1),
                    chrono::NaiveDate::from_ymd_opt(ny, nm, 1),
                ) {
                    (Some(a), Some(b)) => (b - a).num_days() as f64,
                    _ => f64::NAN,
                }
            })
        },
        "hour" => |v| dt(v).map_or(f64::NAN, |d| d.hour() as f64),
        "minute" => |v| dt(v).map_or(f64::NAN, |d| d.minute() as f64),
        "month" => |v| dt(v).map_or(f64::NAN, |d| d.month() as f64),
        _ => |v| dt(v).map_or(f64::NAN, |d| d.year() as f64),
    }
}

/// Range-vector functions. Returns `None` if `c` is not one.
fn range_function(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Option<Value>, EvalError> {
    let name = c.func.name;
    let matrix_idx = match name {
        "rate"
        | "irate"
        | "increase"
        | "delta"
        | "idelta"
        | "deriv"
        | "predict_linear"
        | "avg_over_time"
        | "sum_over_time"
        | "min_over_time"
        | "max_over_time"
        | "count_over_time"
        | "last_over_time"
        | "first_over_time"
        | "present_over_time"
        | "stddev_over_time"
        | "stdvar_over_time"
        | "mad_over_time"
        | "changes"
        | "resets"
        | "ts_of_max_over_time"
        | "ts_of_min_over_time"
        | "ts_of_first_over_time"
        | "ts_of_last_over_time"
        | "double_exponential_smoothing" => 0,
        "quantile_over_time" => 1,
        _ => return Ok(None),
    };
    // Scalar arguments first, as Prometheus evaluates them.
    let mut scalars = Vec::new();
    for (i, a) in c.args.args.iter().enumerate() {
        if i != matrix_idx {
            scalars.push(ev.eval_scalar(a, t)?);
        }
    }
    let mut r = eval_range_arg(ev, arg(c, matrix_idx)?, t)?;
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let extended = r.anchored || r.smoothed;
    if matches!(name, "rate" | "increase" | "irate") && !extended {
        for s in &r.matrix {
            let n = s.labels.metric_name();
            let counter_like = ["_total", "_sum", "_count", "_bucket"]
                .iter()
                .any(|suf| n.ends_with(suf));
            if !n.is_empty() && !counter_like && s.points.len() > 1 && s.hpoints.is_empty() {
                ev.annotate(Annotation::info(format!(
                    "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"{n}\""
                )));
            }
        }
    }
    if name == "quantile_over_time" {
        let q = scalars.first().copied().unwrap_or(f64::NAN);
        if (q.is_nan() || !(0.0..=1.0).contains(&q))
            && r.matrix.iter().any(|s| !s.points.is_empty())
        {
            ev.annotate(Annotation::warning(format!(
                "quantile value should be between 0 and 1, got {}",
                super::aggregate::go_g(q)
            )));
        }
    }
    if name == "double_exponential_smoothing" {
        let sf = scalars.first().copied().unwrap_or(f64::NAN);
        let tf = scalars.get(1).copied().unwrap_or(f64::NAN);
        if !(sf > 0.0 && sf < 1.0) {
            return Err(EvalError::eval(format!(
                "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
            )));
        }
        if !(tf > 0.0 && tf < 1.0) {
            return Err(EvalError::eval(format!(
                "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
            )));
        }
    }
    // Functions of the points alone (not of `t`, the range's bounds or a
    // scalar) over a window that did not change since the last step give
    // the last step's result (`Storage::memo_window`).
    let memo_id = memo_id(name).filter(|_| scalars.is_empty() && !extended);
    let mut out = Vec::with_capacity(r.matrix.len());
    let matrix = std::mem::take(&mut r.matrix);
    for s in matrix {
        // Anchored `changes`/`resets` count from the anchor: the latest
        // sample at or before the window's start.
        let s = if r.anchored && matches!(name, "changes" | "resets") {
            let Some((f, h)) = super::extended::anchored_start(&s.points, &s.hpoints, r.start)
            else {
                continue;
            };
            Window {
                points: Cow::Owned(s.points[f..].to_vec()),
                hpoints: Cow::Owned(s.hpoints[h..].to_vec()),
                source: None,
                ..s
            }
        } else {
            s
        };
        if extended && matches!(name, "rate" | "increase" | "delta") {
            let Some((v, h)) = extended_rate(ev, name, &s, &r) else {
                continue;
            };
            if h.is_none() && name != "delta" {
                counter_name_info(ev, &s.labels);
            }
            let mut drop = s.drop_name;
            let mut labels = if ev.delays_name_removal() {
                s.labels.into_owned()
            } else {
                s.labels.without_metric_name()
            };
            ev.drop_name(&mut labels, &mut drop);
            out.push(Sample {
                labels,
                t,
                v,
                h: h.map(Arc::new),
                drop_name: drop,
            });
            continue;
        }
        let p = &s.points;
        // The points' start timestamps, for the functions that read them.
        let sts = if s.sts.is_empty() || !matches!(name, "rate" | "increase" | "irate" | "resets") {
            Vec::new()
        } else {
            s.float_start_timestamps()
        };
        let mut overlap = false;
        if !s.hpoints.is_empty() {
            // Histograms in the window: the functions that read them, and
            // the annotations of those that ignore them.
            let (v, h) = match histogram_window(ev, name, &s, &scalars, &r, t) {
                HistWindow::Done => continue,
                HistWindow::Float(v) => (v, None),
                HistWindow::Histogram(h) => (0.0, Some(Arc::new(h))),
                HistWindow::Floats => {
                    let v = float_window(name, p, &sts, &scalars, &r, t, &mut overlap);
                    if overlap {
                        ev.annotate(rf::start_time_overlap_warning(s.labels.metric_name()));
                    }
                    match v {
                        Some(v) => (v, None),
                        None => continue,
                    }
                }
            };
            let mut drop = s.drop_name;
            let mut labels = if !keep_name && !ev.delays_name_removal() {
                s.labels.without_metric_name()
            } else {
                s.labels.into_owned()
            };
            if !keep_name {
                ev.drop_name(&mut labels, &mut drop);
            }
            out.push(Sample {
                labels,
                t,
                v,
                h,
                drop_name: drop,
            });
            continue;
        }
        if p.is_empty() {
            continue;
        }
        let v = match (memo_id, s.source) {
            (Some(f), Some((uid, a, b))) if sts.is_empty() => {
                ev.storage.memo_window(uid, f, a, b, || {
                    float_window(name, p, &[], &scalars, &r, t, &mut overlap)
                })
            }
            _ => float_window(name, p, &sts, &scalars, &r, t, &mut overlap),
        };
        if overlap {
            ev.annotate(rf::start_time_overlap_warning(s.labels.metric_name()));
        }
        let Some(v) = v else {
            continue;
        };
        let mut drop = s.drop_name;
        let mut labels = if !keep_name && !ev.delays_name_removal() {
            s.labels.without_metric_name()
        } else {
            s.labels.into_owned()
        };
        if !keep_name {
            ev.drop_name(&mut labels, &mut drop);
        }
        out.push(Sample {
            labels,
            t,
            v,
            h: None,
            drop_name: drop,
        });
    }
    ev.load_samples(out.len())?;
    ev.check_dups_now(&out)?;
    Ok(Some(Value::Vector(out)))
}

/// The info Prometheus gives `rate`/`increase` of a metric whose name does
/// not look like a counter's.
fn counter_name_info(ev: &mut Evaluator<'_>, labels: &Labels) {
    let n = labels.metric_name();
    let counter_like = ["_total", "_sum", "_count", "_bucket"]
        .iter()
        .any(|suf| n.ends_with(suf));
    if !n.is_empty() && !counter_like {
        ev.annotate(Annotation::info(format!(
            "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"{n}\""
        )));
    }
}

/// `rate`/`increase`/`delta` over an anchored or smoothed window
/// ([`super::extended`]): a float or a histogram, `None` for no result
/// (a window mixing floats and histograms has none, with a warning).
fn extended_rate(
    ev: &mut Evaluator<'_>,
    name: &str,
    s: &Window<'_>,
    r: &RangeArg<'_>,
) -> Option<(f64, Option<FloatHistogram>)> {
    let is_counter = name != "delta";
    let is_rate = name == "rate";
    let metric = s.labels.metric_name().to_string();
    if !s.points.is_empty() && !s.hpoints.is_empty() {
        ev.annotate(super::extended::mixed_floats_histograms(&metric));
        return None;
    }
    if !s.hpoints.is_empty() {
        let mut annos = Vec::new();
        let h = super::extended::histogram_rate(
            &s.hpoints, r.start, r.end, r.range_ms, r.smoothed, is_counter, is_rate, &metric,
            &mut annos,
        );
        for a in annos {
            ev.annotate(a);
        }
        return h.map(|h| (0.0, Some(h)));
    }
    super::extended::rate(
        &s.points, r.start, r.end, r.range_ms, r.smoothed, is_counter, is_rate,
    )
    .map(|v| (v, None))
}

/// What a range function makes of a window holding histograms.
enum HistWindow {
    /// No output sample.
    Done,
    /// A float result.
    Float(f64),
    /// A histogram result.
    Histogram(FloatHistogram),
    /// The float points decide (histograms ignored).
    Floats,
}

/// A range function over a window with histograms (`s.hpoints` non-empty),
/// as Prometheus 3.x functions.go: the rate family and `sum`/`avg_over_time`
/// compute histograms (a window mixing floats and histograms has no result
/// and a warning); counting and first/last functions read both kinds;
/// the float-only functions ignore histograms, with an info when floats
/// are there too.
fn histogram_window(
    ev: &mut Evaluator<'_>,
    name: &str,
    s: &Window<'_>,
    scalars: &[f64],
    r: &RangeArg<'_>,
    t: i64,
) -> HistWindow {
    let _ = (scalars, t);
    let metric = s.labels.metric_name().to_string();
    let (p, hp) = (&s.points, &s.hpoints);
    let mut annos = Vec::new();
    let mixed_warning = || {
        Annotation::warning(format!(
            "encountered a mix of histograms and floats for metric name \"{metric}\""
        ))
    };
    let out = match name {
        "rate" | "increase" | "delta" => {
            if !p.is_empty() {
                ev.annotate(mixed_warning());
                return HistWindow::Done;
            }
            let is_counter = name != "delta";
            let sts = if is_counter {
                s.histogram_start_timestamps()
            } else {
                Vec::new()
            };
            let w = rf::Extrapolation {
                first_t: hp[0].t,
                last_t: hp[hp.len() - 1].t,
                samples: hp.len(),
                first_value: hp[0].h.count,
                result: 0.0,
                first_st: sts.first().copied().unwrap_or(0),
            };
            let from_st = rf::starts_at_start_timestamp(&w, r.start, is_counter);
            if hp.len() < 2 && !from_st {
                return HistWindow::Done;
            }
            let mut h = if hp.len() > 1 {
                match nf::rate(hp, &sts, is_counter, &metric, &mut annos) {
                    Some(h) => h,
                    None => {
                        for a in annos {
                            ev.annotate(a);
                        }
                        return HistWindow::Done;
                    }
                }
            } else {
                // A single sample from its start timestamp: the sample
                // itself, as Prometheus copies it.
                (*hp[0].h).clone()
            };
            if from_st && hp.len() > 1 {
                // The counter was 0 at the first sample's start.
                match h.add(&hp[0].h) {
                    Err(_) => {
                        ev.annotate(nf::mixed_schemas(&metric));
                        return HistWindow::Done;
                    }
                    Ok(true) => annos.push(nf::reconciled("addition")),
                    Ok(false) => {}
                }
            }
            let factor = rf::extrapolation_factor(
                rf::Extrapolation {
                    result: h.count,
                    ..w
                },
                r.start,
                r.end,
                r.range_ms,
                is_counter,
                name == "rate",
            );
            match factor {
                Some(f) => {
                    h.mul(f);
                    HistWindow::Histogram(h)
                }
                None => HistWindow::Done,
            }
        }
        "irate" | "idelta" => {
            // The last two samples of either kind.
            let mut last: Vec<(i64, Option<&HPoint>)> = p
                .iter()
                .rev()
                .take(2)
                .map(|x| (x.t, None))
                .chain(hp.iter().rev().take(2).map(|x| (x.t, Some(x))))
                .collect();
            last.sort_by_key(|x| x.0);
            if last.len() < 2 {
                return HistWindow::Done;
            }
            let (a, b) = (last[last.len() - 2], last[last.len() - 1]);
            match (a.1, b.1) {
                (Some(a), Some(b)) => {
                    let st = |t| start_timestamp_at(s.sts, t);
                    let st_reset =
                        name == "irate" && rf::is_start_timestamp_reset(st(a.t), a.t, st(b.t), b.t);
                    match nf::instant(a, b, st_reset, name == "irate", &metric, &mut annos) {
                        Some(h) => HistWindow::Histogram(h),
                        None => HistWindow::Done,
                    }
                }
                (None, None) => HistWindow::Floats,
                _ => {
                    ev.annotate(mixed_warning());
                    HistWindow::Done
                }
            }
        }
        "sum_over_time" | "avg_over_time" => {
            if !p.is_empty() {
                ev.annotate(mixed_warning());
                return HistWindow::Done;
            }
            let h = if name == "sum_over_time" {
                nf::sum(hp, &metric, &mut annos)
            } else {
                nf::avg(hp, &metric, &mut annos)
            };
            match h {
                Some(h) => HistWindow::Histogram(h),
                None => HistWindow::Done,
            }
        }
        "count_over_time" => HistWindow::Float((p.len() + hp.len()) as f64),
        "present_over_time" => HistWindow::Float(1.0),
        "last_over_time" | "first_over_time" | "ts_of_last_over_time" | "ts_of_first_over_time" => {
            let last = name.contains("last");
            let fp = if last { p.last() } else { p.first() };
            let hq = if last { hp.last() } else { hp.first() };
            let take_hist = match (fp, hq) {
                (Some(f), Some(h)) => (h.t > f.t) == last,
                (None, Some(_)) => true,
                _ => false,
            };
            match (name.starts_with("ts_of"), take_hist) {
                (true, true) => HistWindow::Float(hq.map_or(0, |h| h.t) as f64 / 1000.0),
                (true, false) => HistWindow::Float(fp.map_or(0, |f| f.t) as f64 / 1000.0),
                (false, true) => {
                    HistWindow::Histogram(hq.map(|h| (*h.h).clone()).unwrap_or_default())
                }
                (false, false) => HistWindow::Floats,
            }
        }
        "changes" | "resets" => {
            let sts = if name == "resets" { s.sts } else { &[] };
            HistWindow::Float(changes_or_resets(p, hp, sts, name == "resets"))
        }
        _ => {
            // Float-only functions.
            let needed = match name {
                "deriv" | "predict_linear" | "double_exponential_smoothing" => 2,
                _ => 1,
            };
            if p.len() >= needed || (needed == 2 && p.len() == 1) {
                ev.annotate(Annotation::info(format!(
                    "ignored histograms in a range containing both floats and histograms for metric name \"{metric}\""
                )));
            }
            if p.len() < needed {
                return HistWindow::Done;
            }
            HistWindow::Floats
        }
    };
    for a in annos {
        ev.annotate(a);
    }
    out
}

/// `changes` / `resets` over floats and histograms in time order
/// (`funcChanges`, `funcResets`): a switch between a float and a histogram
/// counts as a change and a reset; for `resets`, so does a start-timestamp
/// reset between two samples of a kind (`sts`, the window's start
/// timestamps, empty for none; [`rf::is_start_timestamp_reset`]).
fn changes_or_resets(p: &[Point], hp: &[HPoint], sts: &[StartTs], resets: bool) -> f64 {
    enum S<'a> {
        F(f64),
        H(&'a FloatHistogram),
    }
    let (mut i, mut j) = (0, 0);
    let mut prev: Option<(S<'_>, i64, i64)> = None;
    let mut n = 0.0;
    while i < p.len() || j < hp.len() {
        let (cur, t) = if j >= hp.len() || (i < p.len() && p[i].t < hp[j].t) {
            i += 1;
            (S::F(p[i - 1].v), p[i - 1].t)
        } else {
            j += 1;
            (S::H(&hp[j - 1].h), hp[j - 1].t)
        };
        let st = start_timestamp_at(sts, t);
        if let Some((pr, pt, pst)) = &prev {
            let st_reset = || rf::is_start_timestamp_reset(*pst, *pt, st, t);
            let counted = match (pr, &cur) {
                (S::F(a), S::F(b)) => {
                    if resets {
                        b < a || st_reset()
                    } else {
                        a != b && !(a.is_nan() && b.is_nan())
                    }
                }
                (S::H(a), S::H(b)) => {
                    if resets {
                        st_reset() || b.detect_reset(a)
                    } else {
                        !b.equals(a)
                    }
                }
                _ => true,
            };
            if counted {
                n += 1.0;
            }
        }
        prev = Some((cur, t, st));
    }
    n
}

/// An id for the range functions whose result over float points depends on
/// those points alone, for [`crate::engine::storage::Storage::memo_window`].
fn memo_id(name: &str) -> Option<u8> {
    const PURE: [&str; 17] = [
        "avg_over_time",
        "sum_over_time",
        "min_over_time",
        "max_over_time",
        "count_over_time",
        "stddev_over_time",
        "stdvar_over_time",
        "last_over_time",
        "first_over_time",
        "present_over_time",
        "mad_over_time",
        "changes",
        "resets",
        "ts_of_min_over_time",
        "ts_of_max_over_time",
        "ts_of_first_over_time",
        "ts_of_last_over_time",
    ];
    PURE.iter()
        .position(|&f| f == name)
        .and_then(|i| u8::try_from(i).ok())
}

/// A range function over a window's float points; `None` for no sample.
/// `sts` are the points' start timestamps (aligned, empty for none);
/// `overlap` is set when one overlaps the previous sample.
fn float_window(
    name: &str,
    p: &[Point],
    sts: &[i64],
    scalars: &[f64],
    r: &RangeArg<'_>,
    t: i64,
    overlap: &mut bool,
) -> Option<f64> {
    if p.is_empty() {
        return None;
    }
    let (start, end, range) = (r.start, r.end, r.range_ms);
    match name {
        "rate" => rf::extrapolated_rate(p, sts, start, end, range, true, true, overlap),
        "increase" => rf::extrapolated_rate(p, sts, start, end, range, true, false, overlap),
        "delta" => rf::extrapolated_rate(p, &[], start, end, range, false, false, overlap),
        "irate" => rf::instant_value(p, sts, true),
        "idelta" => rf::instant_value(p, &[], false),
        "deriv" => (p.len() >= 2).then(|| rf::linear_regression(p, p[0].t).0),
        "predict_linear" => (p.len() >= 2).then(|| {
            let (slope, intercept) = rf::linear_regression(p, t);
            slope * scalars.first().copied().unwrap_or(f64::NAN) + intercept
        }),
        "avg_over_time" => Some(rf::avg_over_time(p)),
        "sum_over_time" => Some(rf::sum_over_time(p)),
        "min_over_time" => Some(rf::extreme_over_time(p, false, false)),
        "max_over_time" => Some(rf::extreme_over_time(p, true, false)),
        "ts_of_min_over_time" => Some(rf::extreme_over_time(p, false, true)),
        "ts_of_max_over_time" => Some(rf::extreme_over_time(p, true, true)),
        "ts_of_first_over_time" => Some(p[0].t as f64 / 1000.0),
        "ts_of_last_over_time" => Some(p[p.len() - 1].t as f64 / 1000.0),
        "count_over_time" => Some(p.len() as f64),
        "last_over_time" => Some(p[p.len() - 1].v),
        "first_over_time" => Some(p[0].v),
        "present_over_time" => Some(1.0),
        "stddev_over_time" => Some(rf::variance_over_time(p).sqrt()),
        "stdvar_over_time" => Some(rf::variance_over_time(p)),
        "mad_over_time" => Some(rf::mad_over_time(p)),
        "changes" => Some(rf::changes(p)),
        "resets" => Some(rf::resets(p, sts)),
        "quantile_over_time" => Some(rf::quantile_over_time(
            scalars.first().copied().unwrap_or(f64::NAN),
            p,
        )),
        "double_exponential_smoothing" => rf::double_exponential_smoothing(
            p,
            scalars.first().copied().unwrap_or(f64::NAN),
            scalars.get(1).copied().unwrap_or(f64::NAN),
        ),
        _ => None,
    }
}

fn sort_fn(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let name = c.func.name;
    let mut vec = ev.eval_vector(arg(c, 0)?, t)?;
    if ev.is_range {
        ev.annotate(Annotation::warning(
            "sort is ineffective for range queries since results are always ordered by labels",
        ));
    }
    if matches!(name, "sort" | "sort_desc") {
        // sort and sort_desc order floats; histogram samples are dropped
        // (Prometheus' funcSort/funcSortDesc).
        vec.retain(|s| s.h.is_none());
    }
    match name {
        "sort" => vec.sort_by(|a, b| {
            // Ascending, NaN last.
            match (a.v.is_nan(), b.v.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => a.v.partial_cmp(&b.v).unwrap_or(std::cmp::Ordering::Equal),
            }
        }),
        "sort_desc" => vec.sort_by(|a, b| match (a.v.is_nan(), b.v.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => b.v.partial_cmp(&a.v).unwrap_or(std::cmp::Ordering::Equal),
        }),
        _ => {
            let mut names = Vec::new();
            for i in 1..c.args.args.len() {
                names.push(string_arg(c, i)?);
            }
            let desc = name == "sort_by_label_desc";
            vec.sort_by(|a, b| {
                for n in &names {
                    let (x, y) = (a.labels.get_or_empty(n), b.labels.get_or_empty(n));
                    if x == y {
                        continue;
                    }
                    let o = natural_cmp(x, y);
                    return if desc { o.reverse() } else { o };
                }
                let o = a.labels.cmp(&b.labels);
                if desc { o.reverse() } else { o }
            });
        }
    }
    Ok(Value::Vector(vec))
}

/// Natural ("human") string order: digit runs compare numerically.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let na = a[si..i].trim_start_matches('0');
            let nb = b[sj..j].trim_start_matches('0');
            let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            if ab[i] != bb[j] {
                return ab[i].cmp(&bb[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}

fn label_replace(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let dst = string_arg(c, 1)?;
    let repl = string_arg(c, 2)?;
    let src = string_arg(c, 3)?;
    let re_src = string_arg(c, 4)?;
    let re = crate::go::regex::compile_promql(&re_src).map_err(|_| {
        EvalError::eval(format!(
            "invalid regular expression in label_replace(): {re_src}"
        ))
    })?;
    if !super::aggregate::is_valid_label_name(&dst) {
        return Err(EvalError::eval(format!(
            "invalid destination label name in label_replace(): {dst}"
        )));
    }
    let mut vec = ev.eval_vector(arg(c, 0)?, t)?;
    for s in vec.iter_mut() {
        let val = s.labels.get_or_empty(&src).to_string();
        if let Some(caps) = re.captures(&val) {
            let mut res = String::new();
            caps.expand(&repl, &mut res);
            s.labels.set(dst.clone(), res);
            if dst == METRIC_NAME {
                s.drop_name = false;
            }
        }
    }
    ev.check_dups_now(&vec)?;
    Ok(Value::Vector(vec))
}

fn label_join(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let dst = string_arg(c, 1)?;
    let sep = string_arg(c, 2)?;
    let mut srcs = Vec::new();
    for i in 3..c.args.args.len() {
        srcs.push(string_arg(c, i)?);
    }
    if !super::aggregate::is_valid_label_name(&dst) {
        return Err(EvalError::eval(format!(
            "invalid destination label name in label_join(): {dst}"
        )));
    }
    let mut vec = ev.eval_vector(arg(c, 0)?, t)?;
    for s in vec.iter_mut() {
        let joined = srcs
            .iter()
            .map(|n| s.labels.get_or_empty(n).to_string())
            .collect::<Vec<_>>()
            .join(&sep);
        s.labels.set(dst.clone(), joined);
        if dst == METRIC_NAME {
            s.drop_name = false;
        }
    }
    ev.check_dups_now(&vec)?;
    Ok(Value::Vector(vec))
}

/// Parses a bucket bound like Go's `strconv.ParseFloat` (see
/// [`crate::go::float::parse_float`]); `None` on any error.
pub fn parse_go_float(s: &str) -> Option<f64> {
    crate::go::float::parse_float(s).ok()
}

/// One native histogram input of `histogram_quantile`/`histogram_fraction`:
/// output labels, whether the name is dropped later, the metric name (for
/// annotations) and the histogram.
type NativeInput = (Labels, bool, String, Arc<FloatHistogram>);

/// A classic histogram's bucket series of one label set (without `le`):
/// labels, whether the name is dropped, buckets.
type ClassicGroup = (Labels, bool, Vec<Bucket>);

/// Splits a `histogram_quantile`/`histogram_fraction` input into native
/// histograms and classic bucket groups (`resetHistograms`): a native
/// histogram with the labels of a classic group (without `le`) drops both,
/// with a warning.
fn histogram_inputs(
    ev: &mut Evaluator<'_>,
    vec: InstantVector,
) -> (Vec<NativeInput>, Vec<ClassicGroup>) {
    let delayed = ev.engine.delayed_name_removal;
    let mut natives = Vec::new();
    let mut floats = Vec::new();
    for s in vec {
        match s.h {
            Some(h) => {
                let metric = s.labels.metric_name().to_string();
                let key = s.labels.clone();
                let labels = if delayed {
                    s.labels
                } else {
                    s.labels.without_metric_name()
                };
                natives.push((labels, delayed, metric, h, key));
            }
            None => floats.push(s),
        }
    }
    let mut classic = classic_bucket_groups(ev, floats);
    let mut kept = Vec::with_capacity(natives.len());
    for (labels, drop, metric, h, key) in natives {
        if let Some(i) = classic.iter().position(|g| g.3 == key) {
            ev.annotate(Annotation::warning(nf::with_metric(
                "vector contains a mix of classic and native histograms",
                &metric,
            )));
            classic.remove(i);
            continue;
        }
        kept.push((labels, drop, metric, h));
    }
    (
        kept,
        classic.into_iter().map(|(l, d, b, _)| (l, d, b)).collect(),
    )
}

/// Classic bucket groups with the labels (without `le`) that identify them.
fn classic_bucket_groups(
    ev: &mut Evaluator<'_>,
    vec: InstantVector,
) -> Vec<(Labels, bool, Vec<Bucket>, Labels)> {
    let mut order: Vec<Labels> = Vec::new();
    let mut map: std::collections::HashMap<Labels, (Labels, Vec<Bucket>)> =
        std::collections::HashMap::new();
    for s in vec {
        let le = s.labels.get_or_empty("le").to_string();
        let Some(upper) = parse_go_float(&le) else {
            ev.annotate(Annotation::warning(format!(
                "bucket label \"le\" is missing or has a malformed value of \"{}\" for metric name \"{}\"",
                le,
                s.labels.metric_name()
            )));
            continue;
        };
        let mut key = s.labels.clone();
        key.remove("le");
        let mut out_labels = key.clone();
        if !ev.engine.delayed_name_removal {
            out_labels.remove(METRIC_NAME);
        }
        let e = map.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (out_labels, Vec::new())
        });
        e.1.push(Bucket { upper, count: s.v });
    }
    let delayed = ev.engine.delayed_name_removal;
    order
        .into_iter()
        .filter_map(|k| map.remove(&k).map(|(l, b)| (l, delayed, b, k)))
        .collect()
}

fn histogram_quantile(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let q = ev.eval_scalar(arg(c, 0)?, t)?;
    let vec = ev.eval_vector(arg(c, 1)?, t)?;
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        ev.annotate(Annotation::warning(format!(
            "quantile value should be between 0 and 1, got {}",
            super::aggregate::go_g(q)
        )));
    }
    let mut out = Vec::new();
    let (natives, classic) = histogram_inputs(ev, vec);
    let mut annos = Vec::new();
    for (labels, drop, metric, h) in natives {
        let v = nf::quantile(q, &h, &metric, &mut annos);
        out.push(Sample::float(labels, t, v, drop));
    }
    for a in annos {
        ev.annotate(a);
    }
    for (labels, drop, buckets) in classic {
        let (v, fix) = bucket_quantile(q, buckets);
        if fix.forced_monotonic {
            let name = if ev.engine.delayed_name_removal {
                labels.metric_name().to_string()
            } else {
                String::new()
            };
            ev.annotate(Annotation::info(format!(
                "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"{name}\""
            )));
        }
        out.push(Sample {
            labels,
            t,
            v,
            h: None,
            drop_name: drop,
        });
    }
    ev.check_dups_now(&out)?;
    Ok(Value::Vector(out))
}

fn histogram_fraction(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let lower = ev.eval_scalar(arg(c, 0)?, t)?;
    let upper = ev.eval_scalar(arg(c, 1)?, t)?;
    let vec = ev.eval_vector(arg(c, 2)?, t)?;
    let mut out = Vec::new();
    let (natives, classic) = histogram_inputs(ev, vec);
    let mut annos = Vec::new();
    for (labels, drop, metric, h) in natives {
        let v = nf::fraction(lower, upper, &h, &metric, &mut annos);
        out.push(Sample::float(labels, t, v, drop));
    }
    for a in annos {
        ev.annotate(a);
    }
    for (labels, drop, buckets) in classic {
        out.push(Sample {
            labels,
            t,
            v: bucket_fraction(lower, upper, buckets),
            h: None,
            drop_name: drop,
        });
    }
    ev.check_dups_now(&out)?;
    Ok(Value::Vector(out))
}

fn histogram_quantiles(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    let vec = ev.eval_vector(arg(c, 0)?, t)?;
    let label = string_arg(c, 1)?;
    let mut qs = Vec::new();
    for i in 2..c.args.args.len() {
        let q = ev.eval_scalar(arg(c, i)?, t)?;
        if q.is_nan() || !(0.0..=1.0).contains(&q) {
            ev.annotate(Annotation::warning(format!(
                "quantile value should be between 0 and 1, got {}",
                super::aggregate::go_g(q)
            )));
        }
        qs.push(q);
    }
    let (natives, groups) = histogram_inputs(ev, vec);
    let mut out = Vec::new();
    for q in qs {
        let mut annos = Vec::new();
        for (labels, drop, metric, h) in &natives {
            let v = nf::quantile(q, h, metric, &mut annos);
            let mut l = labels.clone();
            l.set(label.clone(), format_openmetrics_float(q));
            out.push(Sample::float(l, t, v, *drop));
        }
        for a in annos {
            ev.annotate(a);
        }
        for (labels, drop, buckets) in &groups {
            let (v, fix) = bucket_quantile(q, buckets.clone());
            if fix.forced_monotonic {
                let name = if ev.engine.delayed_name_removal {
                    labels.metric_name().to_string()
                } else {
                    String::new()
                };
                ev.annotate(Annotation::info(format!(
                    "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"{name}\""
                )));
            }
            let mut l = labels.clone();
            l.set(label.clone(), format_openmetrics_float(q));
            out.push(Sample {
                labels: l,
                t,
                v,
                h: None,
                drop_name: *drop,
            });
        }
    }
    ev.check_dups_now(&out)?;
    Ok(Value::Vector(out))
}

/// Prometheus' `labels.FormatOpenMetricsFloat`: like `%g` but integers keep a
/// `.0` suffix.
pub fn format_openmetrics_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let s = super::aggregate::go_g(v);
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// `info(v, [selector])`: adds data labels of info series (default
/// `target_info`) that share `instance` and `job` with each sample.
/// The time at which `info()` looks up info series for a first argument
/// `e` evaluated at `t` (ms): the time its samples are read at, following
/// the `@` and `offset` of the selector and of every subquery on the way
/// down (the first selector in argument order decides), as Prometheus 3.x
/// evaluates the info series "as of" the base samples.
fn info_time(ev: &Evaluator<'_>, e: &Expr, t: i64) -> i64 {
    let mut e = e;
    let mut t = t;
    // Iterative: the expression's depth is bounded, but no recursion is needed.
    loop {
        e = unwrap_parens(e);
        match e {
            Expr::VectorSelector(vs) => return ev.ref_time(&vs.at, &vs.offset, &vs.offset_expr, t),
            Expr::MatrixSelector(ms) => {
                return ev.ref_time(&ms.vs.at, &ms.vs.offset, &ms.vs.offset_expr, t);
            }
            Expr::Subquery(sq) => {
                t = ev.ref_time(&sq.at, &sq.offset, &sq.offset_expr, t);
                e = &sq.expr;
            }
            Expr::Call(c) => match c.args.args.iter().find(|a| has_selector(a)) {
                Some(a) => e = a,
                None => return t,
            },
            Expr::Aggregate(a) => e = &a.expr,
            Expr::Unary(u) => e = &u.expr,
            Expr::Binary(b) => e = if has_selector(&b.lhs) { &b.lhs } else { &b.rhs },
            _ => return t,
        }
    }
}

/// True when `e` reads series (holds a vector or matrix selector).
fn has_selector(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::VectorSelector(_) | Expr::MatrixSelector(_) => return true,
            Expr::Paren(p) => stack.push(&p.expr),
            Expr::Subquery(sq) => stack.push(&sq.expr),
            Expr::Call(c) => stack.extend(c.args.args.iter().map(|a| a.as_ref())),
            Expr::Aggregate(a) => stack.push(&a.expr),
            Expr::Unary(u) => stack.push(&u.expr),
            Expr::Binary(b) => {
                stack.push(&b.lhs);
                stack.push(&b.rhs);
            }
            _ => {}
        }
    }
    false
}

fn info_fn(ev: &mut Evaluator<'_>, c: &Call, t: i64) -> Result<Value, EvalError> {
    use crate::promql::ast::{MatchOp, Matcher};
    let base = ev.eval_vector(arg(c, 0)?, t)?;
    let mut name_m: Vec<Matcher> = Vec::new();
    let mut data_m: Vec<Matcher> = Vec::new();
    if let Some(sel) = c.args.args.get(1)
        && let Expr::VectorSelector(vs) = unwrap_parens(sel)
    {
        {
            if let Some(n) = &vs.name {
                name_m.push(Matcher::new(MatchOp::Equal, METRIC_NAME, n));
            }
            for m in &vs.matchers.matchers {
                if m.name == METRIC_NAME {
                    name_m.push(m.clone());
                } else {
                    data_m.push(m.clone());
                }
            }
        }
    }
    // The effective name matchers (Prometheus' `effectiveInfoNameMatchers`,
    // promql/info.go): `target_info` by default; negated matchers alone
    // filter `.+_info` names rather than select any other metric.
    if name_m.is_empty() {
        name_m.push(Matcher::new(MatchOp::Equal, METRIC_NAME, "target_info"));
    } else if !name_m
        .iter()
        .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Re(_)))
    {
        name_m.push(Matcher::new(
            MatchOp::Re(crate::promql::ast::Regex::new(".+_info")),
            METRIC_NAME,
            ".+_info",
        ));
    }
    let matches =
        |l: &Labels, ms: &[Matcher]| ms.iter().all(|m| super::storage::matcher_matches(l, m));
    // Info series with a current sample at the time the first argument's
    // samples are read (its `@` and `offset`), newest first.
    let t = info_time(ev, arg(c, 0)?, t);
    let lookback = ev.engine.lookback_delta_ms;
    let mut infos: Vec<(Labels, i64)> = Vec::new();
    for s in ev.storage.all() {
        if !matches(&s.labels, &name_m) || !matches(&s.labels, &data_m) {
            continue;
        }
        // An info series must hold floats (promql/info.go errors on a
        // histogram sample).
        let hidx = s.first_hist_after(t);
        let newest_float = s.points[..s.first_after(t)].last().map(|p| p.t);
        if hidx > 0
            && s.hpoints[hidx - 1].t > t - lookback
            && newest_float.is_none_or(|f| f < s.hpoints[hidx - 1].t)
        {
            return Err(EvalError::eval(format!(
                "this should be an info metric, with float samples: {}",
                s.labels
            )));
        }
        let idx = s.first_after(t);
        if idx == 0 {
            continue;
        }
        let p = s.points[idx - 1];
        if p.t <= t - lookback || super::storage::is_stale_nan(p.v) {
            continue;
        }
        infos.push((s.labels.clone(), p.t));
    }
    infos.sort_by_key(|x| std::cmp::Reverse(x.1));
    let empty_ok = data_m
        .iter()
        .all(|m| super::storage::matcher_matches(&Labels::empty(), m));
    let mut out = Vec::with_capacity(base.len());
    for mut s in base {
        // Info metrics among the base series are returned as they are.
        if matches(&s.labels, &name_m) {
            out.push(s);
            continue;
        }
        let found: Vec<&Labels> = infos
            .iter()
            .filter(|(l, _)| {
                l.get_or_empty("instance") == s.labels.get_or_empty("instance")
                    && l.get_or_empty("job") == s.labels.get_or_empty("job")
            })
            .map(|(l, _)| l)
            .collect();
        // Of several series of one info metric (churn: the `state` changed),
        // the newest sample wins; different info metrics must agree.
        let mut names_seen: Vec<&str> = Vec::new();
        let found: Vec<&Labels> = found
            .into_iter()
            .filter(|l| {
                let n = l.metric_name();
                let first = !names_seen.contains(&n);
                names_seen.push(n);
                first
            })
            .collect();
        if found.is_empty() {
            if empty_ok {
                out.push(s);
            }
            continue;
        }
        let original = s.labels.clone();
        for l in found {
            for (k, v) in l.iter() {
                if k == METRIC_NAME || k == "instance" || k == "job" {
                    continue;
                }
                if !data_m.is_empty() && !data_m.iter().any(|m| m.name == k) {
                    continue;
                }
                if original.get(k).is_some() {
                    continue;
                }
                match s.labels.get(k) {
                    Some(had) if had != v => {
                        return Err(EvalError::eval(format!(
                            "conflicting label {k:?}: info series give both {had:?} and {v:?} for {original}"
                        )));
                    }
                    Some(_) => {}
                    None => s.labels.set(k, v),
                }
            }
        }
        out.push(s);
    }
    ev.check_dups_now(&out)?;
    Ok(Value::Vector(out))
}
