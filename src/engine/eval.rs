//! The evaluator: instant and range queries, selectors, `offset`/`@`,
//! subqueries, unary minus. Binary operators, aggregations and functions live
//! in their own modules and are dispatched from here.
//!
//! Range queries are evaluated step by step: the expression is evaluated as an
//! instant query at every step and the results are merged into series. This
//! gives Prometheus' results because every PromQL construct only depends on
//! the evaluation timestamp and the query's start/end (for `@ start()` /
//! `@ end()`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::{HashSet, HashSetExt};
use std::time::{Duration, SystemTime};

use crate::promql::analysis::unwrap_parens;
use crate::promql::ast::token::{T_TRIM_LOWER, T_TRIM_UPPER};
use crate::promql::ast::{AtModifier, DurationExpr, Expr, Offset, SubqueryExpr, VectorSelector};
use crate::promql::ast::{MatchOp, Matcher, Matchers};

use super::error::{Annotation, EvalError};
use super::labels::{Labels, METRIC_NAME};
use super::native::{FloatHistogram, ResetHint};
use super::parse::parse_expr;
use super::storage::{Storage, StoredSeries, is_stale_nan};
use super::value::{HPoint, InstantVector, Matrix, Point, Sample, Series, Value, Window};

/// Default lookback delta: 5 minutes, in ms.
pub const DEFAULT_LOOKBACK_DELTA_MS: i64 = 5 * 60 * 1000;
/// promtool's sample limit for rule unit tests.
pub const DEFAULT_MAX_SAMPLES: usize = 10_000;
/// Most evaluation steps one query may take, counted before they are taken:
/// a range query's steps plus, for every subquery evaluation, its steps
/// (nested subqueries multiply). Prometheus has no such count; it stops a
/// subquery whose points pass the sample limit, which a subquery over no
/// series never does (`max_over_time(absent_metric[1y:1ms])` runs for days).
/// A query over the budget fails with the sample limit's message.
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;

/// Query engine settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Engine {
    /// How far back an instant selector looks for a sample, in ms (default 5m).
    pub lookback_delta_ms: i64,
    /// Maximum number of samples a query may hold at once (promtool: 10,000).
    pub max_samples: usize,
    /// Maximum evaluation steps of one query ([`DEFAULT_MAX_STEPS`]).
    pub max_steps: u64,
    /// Prometheus' delayed `__name__` removal (promqltest enables it; promtool
    /// does not by default).
    pub delayed_name_removal: bool,
    /// Step of subqueries written without one (`[5m:]`), in ms. Prometheus
    /// uses the rule group's evaluation interval; the default is 1m.
    pub default_subquery_step_ms: i64,
    /// Use the samples' start timestamps: `rate`, `increase` and `irate`
    /// take a start timestamp after the previous sample as a counter reset
    /// and one inside the range as the counter's zero point instead of
    /// extrapolating, `resets` counts such resets, `start_timestamp()`
    /// returns them (Prometheus' `EngineOpts.UseStartTimestamps`, behind
    /// `--enable-feature=use-start-timestamps` since 3.12; on in
    /// promqltest's engine). Off by default; it changes nothing for samples
    /// without start timestamps, which is all that `mlalert test` loads.
    pub use_start_timestamps: bool,
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            lookback_delta_ms: DEFAULT_LOOKBACK_DELTA_MS,
            max_samples: DEFAULT_MAX_SAMPLES,
            max_steps: DEFAULT_MAX_STEPS,
            delayed_name_removal: false,
            default_subquery_step_ms: 60_000,
            use_start_timestamps: false,
        }
    }
}

/// A query result with the annotations (warnings/infos) it produced.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    /// The result value. Range queries always return [`Value::Matrix`].
    pub value: Value,
    /// Warnings and infos, deduplicated, in the order first produced.
    pub annotations: Vec<Annotation>,
}

impl Engine {
    /// Parses `query` and evaluates it at `t_ms`.
    pub fn instant_query(
        &self,
        storage: &Storage,
        query: &str,
        t_ms: i64,
    ) -> Result<Value, EvalError> {
        let expr = parse_expr(query)?;
        Ok(self.instant_query_expr(storage, &expr, t_ms)?.value)
    }

    /// Evaluates a parsed expression at `t_ms`.
    pub fn instant_query_expr(
        &self,
        storage: &Storage,
        expr: &Expr,
        t_ms: i64,
    ) -> Result<QueryOutput, EvalError> {
        let mut ev = Evaluator::new(self, storage, t_ms, t_ms, false);
        let v = ev.eval(expr, t_ms)?;
        let value = match v {
            Value::Vector(mut vec) => {
                ev.finish_vector(&mut vec)?;
                Value::Vector(vec)
            }
            Value::Matrix(mut m) => {
                for s in m.iter_mut() {
                    if s.drop_name {
                        s.labels.drop_metric_name();
                        s.drop_name = false;
                    }
                }
                let mut seen = HashSet::new();
                for s in &m {
                    if !seen.insert(&s.labels) {
                        return Err(dup_labelset());
                    }
                }
                Value::Matrix(m)
            }
            other => other,
        };
        Ok(QueryOutput {
            value,
            annotations: ev.annotations,
        })
    }

    /// Parses `query` and evaluates it from `start_ms` to `end_ms` (inclusive)
    /// every `step_ms`.
    pub fn range_query(
        &self,
        storage: &Storage,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Value, EvalError> {
        let expr = parse_expr(query)?;
        Ok(self
            .range_query_expr(storage, &expr, start_ms, end_ms, step_ms)?
            .value)
    }

    /// Evaluates a parsed expression as a range query. The result is a matrix
    /// sorted by labels.
    pub fn range_query_expr(
        &self,
        storage: &Storage,
        expr: &Expr,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<QueryOutput, EvalError> {
        use crate::promql::ast::value::ValueType;
        match expr.value_type() {
            ValueType::Scalar | ValueType::Vector => {}
            ValueType::Matrix => {
                return Err(EvalError::eval(
                    "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector",
                ));
            }
            ValueType::String => {
                return Err(EvalError::eval(
                    "invalid expression type \"string\" for range query, must be Scalar or instant Vector",
                ));
            }
        }
        if step_ms <= 0 {
            return Err(EvalError::eval(
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ));
        }
        if end_ms < start_ms {
            return Err(EvalError::eval(
                "end timestamp must not be before start time",
            ));
        }
        let mut ev = Evaluator::new(self, storage, start_ms, end_ms, true);
        ev.step = step_ms;
        ev.charge_steps(steps_between(start_ms, end_ms, step_ms))?;
        let mut out: BTreeMap<Labels, Series> = BTreeMap::new();
        let mut t = start_ms;
        while t <= end_ms {
            ev.samples = 0;
            match ev.eval(expr, t)? {
                Value::Scalar(v) => {
                    out.entry(Labels::empty())
                        .or_insert_with(|| Series {
                            labels: Labels::empty(),
                            points: Vec::new(),
                            hpoints: Vec::new(),
                            drop_name: false,
                        })
                        .points
                        .push(Point { t, v });
                }
                Value::Vector(mut vec) => {
                    ev.finish_vector(&mut vec)?;
                    for s in vec {
                        let entry = out.entry(s.labels.clone()).or_insert_with(|| Series {
                            labels: s.labels.clone(),
                            points: Vec::new(),
                            hpoints: Vec::new(),
                            drop_name: false,
                        });
                        match s.h {
                            Some(h) => entry.hpoints.push(HPoint { t, h }),
                            None => entry.points.push(Point { t, v: s.v }),
                        }
                    }
                }
                other => {
                    return Err(EvalError::eval(format!(
                        "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                        other.type_name()
                    )));
                }
            }
            t = match t.checked_add(step_ms) {
                Some(n) => n,
                None => break,
            };
        }
        Ok(QueryOutput {
            value: Value::Matrix(out.into_values().collect()),
            annotations: ev.annotations,
        })
    }
}

pub(crate) fn dup_labelset() -> EvalError {
    EvalError::eval("vector cannot contain metrics with the same labelset")
}

/// Converts a `SystemTime` to ms since the epoch (negative before it).
pub(crate) fn system_time_ms(st: &SystemTime) -> i64 {
    match st.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// A duration in ms.
pub(crate) fn duration_ms(d: &Duration) -> i64 {
    d.as_millis() as i64
}

/// The error of an anchored or smoothed range selector evaluated on its own
/// (a range vector result) over native histograms, which Prometheus'
/// `extendFloats` does not cover.
pub const UNSUPPORTED_EXTENDED_HISTOGRAMS: &str = "mlalert does not evaluate anchored or smoothed range selectors over native histograms as a range vector result yet";

/// An offset in ms (negative offsets look into the future).
pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ms(d),
        Some(Offset::Neg(d)) => -duration_ms(d),
    }
}

/// Per-query evaluation state.
pub(crate) struct Evaluator<'a> {
    pub engine: &'a Engine,
    pub storage: &'a Storage,
    /// Query start (for `@ start()`), ms.
    pub start: i64,
    /// Query end (for `@ end()`), ms.
    pub end: i64,
    /// True for range queries.
    pub is_range: bool,
    /// Range query step in ms (0 for instant queries), for `step()`.
    pub step: i64,
    pub annotations: Vec<Annotation>,
    /// Samples loaded during the current step.
    pub samples: usize,
    /// Evaluation steps charged so far ([`Engine::max_steps`]).
    pub steps: u64,
    /// Whether the selectors being evaluated read histograms as
    /// Prometheus' `HistogramStatsIterator` ([`HistStats`]).
    pub hist_stats: HistStats,
}

/// Whether a selector's histograms are read by Prometheus'
/// `HistogramStatsIterator` (engine.go `detectHistogramStatsDecoding`):
/// under `histogram_count`/`histogram_sum`/`histogram_avg`, unless a
/// subquery, `histogram_quantile`/`histogram_quantiles`/
/// `histogram_fraction` or a trim operator (`</`, `>/`) is around it too.
/// That iterator gives a stored "unknown" counter-reset hint (the first
/// histogram of a chunk) the hint detected against the previous histogram
/// it read, so `sum`/`avg` there can see "reset" next to "not a reset" and
/// warn about conflicting counter resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistStats {
    /// No histogram-statistics function around.
    #[default]
    Off,
    /// Read as the statistics iterator does.
    On,
    /// A construct that needs whole histograms is around.
    Vetoed,
}

impl HistStats {
    /// The state inside a call of `func`.
    pub fn in_call(self, func: &str) -> HistStats {
        match func {
            "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
                HistStats::Vetoed
            }
            "histogram_count" | "histogram_sum" | "histogram_avg" if self == HistStats::Off => {
                HistStats::On
            }
            _ => self,
        }
    }
}

/// `hpoints` with the hints Prometheus' `HistogramStatsIterator` gives
/// them when it starts reading at `seek` (ms, inclusive) and `before` is
/// the histogram stored before `hpoints[0]`: a stored "unknown" becomes
/// "reset" or "not a reset" as detected against the previous histogram
/// read, and stays "unknown" for the first one read. Borrowed when no hint
/// changes.
pub(crate) fn stats_hints<'h>(
    hpoints: &'h [HPoint],
    before: Option<&HPoint>,
    seek: i64,
) -> Cow<'h, [HPoint]> {
    let mut out: Option<Vec<HPoint>> = None;
    for (i, p) in hpoints.iter().enumerate() {
        if p.h.hint != ResetHint::Unknown {
            continue;
        }
        let prev = match i {
            0 => before.filter(|b| b.t >= seek),
            _ => Some(&hpoints[i - 1]),
        };
        let Some(prev) = prev else {
            continue;
        };
        let mut h = (*p.h).clone();
        h.hint = if h.detect_reset(&prev.h) {
            ResetHint::Reset
        } else {
            ResetHint::NotReset
        };
        out.get_or_insert_with(|| hpoints.to_vec())[i].h = Arc::new(h);
    }
    match out {
        Some(v) => Cow::Owned(v),
        None => Cow::Borrowed(hpoints),
    }
}

/// Steps `t = start, start + step, …, t <= end`; 0 when `end < start`.
fn steps_between(start: i64, end: i64, step: i64) -> u64 {
    if end < start || step <= 0 {
        return 0;
    }
    let span = i128::from(end) - i128::from(start);
    u64::try_from(span / i128::from(step) + 1).unwrap_or(u64::MAX)
}

impl<'a> Evaluator<'a> {
    pub fn new(
        engine: &'a Engine,
        storage: &'a Storage,
        start: i64,
        end: i64,
        is_range: bool,
    ) -> Self {
        Evaluator {
            engine,
            storage,
            start,
            end,
            is_range,
            step: 0,
            annotations: Vec::new(),
            samples: 0,
            steps: 0,
            hist_stats: HistStats::Off,
        }
    }

    /// Charges `n` evaluation steps before they are taken; fails, with the
    /// sample limit's message, when the query's total passes
    /// [`Engine::max_steps`].
    pub fn charge_steps(&mut self, n: u64) -> Result<(), EvalError> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.engine.max_steps {
            return Err(EvalError::TooManySamples("query execution"));
        }
        Ok(())
    }

    /// Records an annotation once.
    pub fn annotate(&mut self, a: Annotation) {
        if !self.annotations.contains(&a) {
            self.annotations.push(a);
        }
    }

    /// Accounts for `n` samples loaded at once; fails over the limit.
    pub fn load_samples(&mut self, n: usize) -> Result<(), EvalError> {
        self.samples = self.samples.saturating_add(n);
        if self.samples > self.engine.max_samples {
            return Err(EvalError::TooManySamples("query execution"));
        }
        Ok(())
    }

    /// Checks a peak of `n` samples held together with what is already loaded.
    pub fn check_peak(&self, n: usize) -> Result<(), EvalError> {
        if self.samples.saturating_add(n) > self.engine.max_samples {
            return Err(EvalError::TooManySamples("query execution"));
        }
        Ok(())
    }

    /// True under delayed name removal: functions mark the metric name for
    /// removal at the end of the query instead of removing it.
    pub fn delays_name_removal(&self) -> bool {
        self.engine.delayed_name_removal
    }

    /// Removes the metric name now, or marks it for removal at the end of the
    /// query under delayed name removal.
    pub fn drop_name(&self, labels: &mut Labels, flag: &mut bool) {
        if self.engine.delayed_name_removal {
            *flag = true;
        } else {
            labels.drop_metric_name();
        }
    }

    /// Errors when a vector holds the same label set twice (checked where
    /// Prometheus checks it without delayed name removal).
    pub fn check_dups_now(&self, v: &InstantVector) -> Result<(), EvalError> {
        if self.engine.delayed_name_removal {
            return Ok(());
        }
        check_dups(v)
    }

    /// End-of-step cleanup: applies delayed name removal and checks for
    /// duplicate label sets.
    pub fn finish_vector(&self, v: &mut InstantVector) -> Result<(), EvalError> {
        for s in v.iter_mut() {
            if s.drop_name {
                s.labels.drop_metric_name();
                s.drop_name = false;
            }
        }
        check_dups(v)
    }

    /// The reference time of a selector or subquery: `@` (or `t`) minus
    /// offset (a written duration expression, `offset (1h + step())`, is
    /// computed with the query's step and range).
    pub fn ref_time(
        &self,
        at: &Option<AtModifier>,
        offset: &Option<Offset>,
        offset_expr: &Option<DurationExpr>,
        t: i64,
    ) -> i64 {
        let base = match at {
            None => t,
            Some(AtModifier::Start) => self.start,
            Some(AtModifier::End) => self.end,
            Some(AtModifier::At(st)) => system_time_ms(st),
        };
        let off = match offset_expr {
            Some(e) => self.duration_expr_ms(e),
            None => offset_ms(offset),
        };
        base.saturating_sub(off)
    }

    /// The query's step and range in seconds, as `step()` and `range()`
    /// give them (0 for an instant query), as Prometheus' duration visitor.
    pub fn step_and_range_secs(&self) -> (f64, f64) {
        if self.is_range {
            (
                self.step as f64 / 1000.0,
                (self.end - self.start) as f64 / 1000.0,
            )
        } else {
            (0.0, 0.0)
        }
    }

    /// A duration expression's value in ms (rounded as Prometheus'
    /// `time.Duration(math.Round(v * 1e9))`, then truncated to ms).
    pub fn duration_expr_ms(&self, e: &DurationExpr) -> i64 {
        let (step, range) = self.step_and_range_secs();
        let v = e.eval(step, range) * 1000.0;
        if v.is_finite() {
            v.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
        } else {
            0
        }
    }

    /// A range or step as written: the duration, or the duration expression.
    pub fn range_ms(&self, d: &std::time::Duration, e: &Option<DurationExpr>) -> i64 {
        match e {
            Some(e) if e.depends_on_query() => self.duration_expr_ms(e),
            _ => duration_ms(d),
        }
    }

    /// Evaluates `expr` at `t` (ms).
    pub fn eval(&mut self, expr: &Expr, t: i64) -> Result<Value, EvalError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, t),
            Expr::Unary(u) => match self.eval(&u.expr, t)? {
                Value::Scalar(v) => Ok(Value::Scalar(-v)),
                Value::Vector(mut vec) => {
                    for s in vec.iter_mut() {
                        // As Prometheus' engine: a histogram is multiplied
                        // by -1 and becomes a gauge histogram.
                        if let Some(h) = s.h.as_mut() {
                            let h = Arc::make_mut(h);
                            h.mul(-1.0);
                            h.hint = ResetHint::Gauge;
                            h.compact();
                        }
                        s.v = -s.v;
                        let mut f = s.drop_name;
                        self.drop_name(&mut s.labels, &mut f);
                        s.drop_name = f;
                    }
                    self.check_dups_now(&vec)?;
                    Ok(Value::Vector(vec))
                }
                other => Err(EvalError::eval(format!(
                    "unary expression only allowed on expressions of type scalar or vector, got {}",
                    other.type_name()
                ))),
            },
            Expr::VectorSelector(vs) => {
                let v = self.select_instant(vs, t, false)?;
                Ok(Value::Vector(v))
            }
            Expr::MatrixSelector(ms) if ms.vs.anchored || ms.vs.smoothed => {
                let m = self.select_extended_range(ms, t)?;
                let total: usize = m.iter().map(|s| s.points.len()).sum();
                self.load_samples(total)?;
                Ok(Value::Matrix(m))
            }
            Expr::MatrixSelector(ms) => {
                let ref_t = self.ref_time(&ms.vs.at, &ms.vs.offset, &ms.vs.offset_expr, t);
                let m =
                    self.select_range(&ms.vs, ref_t, self.range_ms(&ms.range, &ms.range_expr))?;
                let total: usize = m.iter().map(|s| s.points.len()).sum();
                self.load_samples(total)?;
                Ok(Value::Matrix(m))
            }
            Expr::Subquery(sq) => {
                let (m, _, _) = self.eval_subquery(sq, t)?;
                let total: usize = m.iter().map(|s| s.points.len()).sum();
                self.load_samples(total)?;
                Ok(Value::Matrix(m))
            }
            Expr::Binary(b) if matches!(b.op.id(), T_TRIM_UPPER | T_TRIM_LOWER) => {
                let saved = std::mem::replace(&mut self.hist_stats, HistStats::Vetoed);
                let v = super::binop::eval_binary(self, b, t);
                self.hist_stats = saved;
                v
            }
            Expr::Binary(b) => super::binop::eval_binary(self, b, t),
            Expr::Aggregate(a) => super::aggregate::eval_aggregate(self, a, t),
            Expr::Call(c) => {
                let saved = self.hist_stats;
                self.hist_stats = saved.in_call(c.func.name);
                let v = super::functions::eval_call(self, c, t);
                self.hist_stats = saved;
                v
            }
        }
    }

    /// Evaluates `expr` and requires an instant vector.
    pub fn eval_vector(&mut self, expr: &Expr, t: i64) -> Result<InstantVector, EvalError> {
        match self.eval(expr, t)? {
            Value::Vector(v) => Ok(v),
            other => Err(EvalError::eval(format!(
                "expected instant vector, got {}",
                other.type_name()
            ))),
        }
    }

    /// Evaluates `expr` and requires a scalar.
    pub fn eval_scalar(&mut self, expr: &Expr, t: i64) -> Result<f64, EvalError> {
        match self.eval(expr, t)? {
            Value::Scalar(v) => Ok(v),
            other => Err(EvalError::eval(format!(
                "expected scalar, got {}",
                other.type_name()
            ))),
        }
    }

    /// Series a selector matches (metric name plus matchers).
    pub fn select_series(&self, vs: &VectorSelector) -> Vec<&'a StoredSeries> {
        self.storage.select(vs.name.as_deref(), &vs.matchers)
    }

    /// Instant selection at `t`: the latest sample in the lookback window
    /// `(ref - lookback, ref]`, unless it is a staleness marker. Output samples
    /// carry `t`, or the sample's own timestamp when `keep_ts` is set.
    pub fn select_instant(
        &mut self,
        vs: &VectorSelector,
        t: i64,
        keep_ts: bool,
    ) -> Result<InstantVector, EvalError> {
        // `anchored` changes nothing for an instant selector, nor `smoothed`
        // for `timestamp()` (which reads the sample's own time: Prometheus'
        // `vectorSelectorSingle`).
        if vs.smoothed && !keep_ts {
            return self.select_smoothed(vs, t);
        }
        let ref_t = self.ref_time(&vs.at, &vs.offset, &vs.offset_expr, t);
        let lookback = self.engine.lookback_delta_ms;
        let mut out = Vec::new();
        let lo = ref_t.saturating_sub(lookback);
        for s in self.select_series(vs) {
            let idx = s.first_after(ref_t);
            let float = (idx > 0).then(|| s.points[idx - 1]).filter(|p| p.t > lo);
            let mut stats_hist = None;
            let hist = if s.hpoints.is_empty() {
                None
            } else {
                let i = s.first_hist_after(ref_t);
                let h = (i > 0).then(|| &s.hpoints[i - 1]).filter(|p| p.t > lo);
                if let Some(h) = h
                    && self.hist_stats == HistStats::On
                    && h.h.hint == ResetHint::Unknown
                {
                    // Read from the first sample at or after `ref - lookback`.
                    let before = (i > 1).then(|| &s.hpoints[i - 2]);
                    if let Cow::Owned(mut v) = stats_hints(std::slice::from_ref(h), before, lo) {
                        stats_hist = v.pop();
                    }
                }
                stats_hist.as_ref().or(h)
            };
            // The newest sample in the lookback window wins; a staleness
            // marker newer than any histogram ends the series.
            let sample = match (float, hist) {
                (Some(p), Some(h)) if h.t > p.t => Sample {
                    labels: s.labels.clone(),
                    t: if keep_ts { h.t } else { t },
                    v: 0.0,
                    h: Some(h.h.clone()),
                    drop_name: false,
                },
                (None, Some(h)) => Sample {
                    labels: s.labels.clone(),
                    t: if keep_ts { h.t } else { t },
                    v: 0.0,
                    h: Some(h.h.clone()),
                    drop_name: false,
                },
                (Some(p), _) if !is_stale_nan(p.v) => {
                    Sample::float(s.labels.clone(), if keep_ts { p.t } else { t }, p.v, false)
                }
                _ => continue,
            };
            out.push(sample);
        }
        self.load_samples(out.len())?;
        Ok(out)
    }

    /// `x smoothed` at `t`: per series, the value interpolated at the
    /// reference time between the samples around it within the lookback
    /// delta on either side ([`super::extended::smoothed_value`]). Series
    /// keep their name, as plain instant selection.
    fn select_smoothed(&mut self, vs: &VectorSelector, t: i64) -> Result<InstantVector, EvalError> {
        use super::extended::{Smoothed, smoothed_value};
        let ref_t = self.ref_time(&vs.at, &vs.offset, &vs.offset_expr, t);
        let lookback = self.engine.lookback_delta_ms;
        let windows = self.select_windows(
            vs,
            ref_t.saturating_add(lookback),
            lookback.saturating_mul(2),
        );
        let mut out = Vec::new();
        let mut annos = Vec::new();
        for w in windows {
            let metric = w.labels.metric_name().to_string();
            let ts = t;
            match smoothed_value(&w.points, &w.hpoints, ref_t, &metric, &mut annos) {
                Smoothed::None => {}
                Smoothed::Float(v) => out.push(Sample::float(w.labels.into_owned(), ts, v, false)),
                Smoothed::Histogram(h) => out.push(Sample {
                    labels: w.labels.into_owned(),
                    t: ts,
                    v: 0.0,
                    h: Some(h),
                    drop_name: false,
                }),
            }
        }
        for a in annos {
            self.annotate(a);
        }
        self.load_samples(out.len())?;
        Ok(out)
    }

    /// An anchored or smoothed matrix selector evaluated as a range vector
    /// (`extendFloats`): per series, points at the window's start and end
    /// (the anchor's value or the interpolated one) around the samples
    /// strictly inside it.
    fn select_extended_range(
        &mut self,
        ms: &crate::promql::ast::MatrixSelector,
        t: i64,
    ) -> Result<Matrix, EvalError> {
        let end = self.ref_time(&ms.vs.at, &ms.vs.offset, &ms.vs.offset_expr, t);
        let range = self.range_ms(&ms.range, &ms.range_expr);
        let lookback = self.engine.lookback_delta_ms;
        let smoothed = ms.vs.smoothed && !ms.vs.anchored;
        let (sel_end, sel_range) = if smoothed {
            (
                end.saturating_add(lookback),
                range.saturating_add(lookback.saturating_mul(2)),
            )
        } else {
            (end, range.saturating_add(lookback))
        };
        let mut out = Vec::new();
        for w in self.select_windows(&ms.vs, sel_end, sel_range) {
            if !w.hpoints.is_empty() {
                return Err(EvalError::eval(UNSUPPORTED_EXTENDED_HISTOGRAMS));
            }
            let points = super::extended::extend_floats(&w.points, end - range, end, smoothed);
            if points.is_empty() {
                continue;
            }
            out.push(Series {
                labels: w.labels.into_owned(),
                points,
                hpoints: Vec::new(),
                drop_name: false,
            });
        }
        Ok(out)
    }

    /// Range selection: points in `(ref_t - range_ms, ref_t]`, staleness
    /// markers removed; series without points are left out.
    pub fn select_range(
        &self,
        vs: &VectorSelector,
        ref_t: i64,
        range_ms: i64,
    ) -> Result<Matrix, EvalError> {
        Ok(self
            .select_windows(vs, ref_t, range_ms)
            .into_iter()
            .map(Window::into_series)
            .collect())
    }

    /// [`select_range`](Self::select_range) without copying: each series'
    /// window borrows the stored labels, and the stored points too unless
    /// the window holds staleness markers (then only the other points are
    /// copied). Range functions read these windows in place, so a long
    /// window evaluated at every step costs no allocation per point.
    pub fn select_windows(
        &self,
        vs: &VectorSelector,
        ref_t: i64,
        range_ms: i64,
    ) -> Vec<Window<'a>> {
        let lo = ref_t.saturating_sub(range_ms);
        let mut out = Vec::new();
        for s in self.select_series(vs) {
            let a = s.first_after(lo);
            let b = s.first_after(ref_t);
            let hpoints: &[HPoint] = if s.hpoints.is_empty() {
                &[]
            } else {
                &s.hpoints[s.first_hist_after(lo)..s.first_hist_after(ref_t)]
            };
            if a >= b && hpoints.is_empty() {
                continue;
            }
            let hpoints: Cow<'a, [HPoint]> = if self.hist_stats == HistStats::On {
                let first = s.first_hist_after(lo);
                let before = first.checked_sub(1).map(|j| &s.hpoints[j]);
                stats_hints(hpoints, before, lo)
            } else {
                Cow::Borrowed(hpoints)
            };
            let window = &s.points[a..b.max(a)];
            let points = if s.has_stale() && window.iter().any(|p| is_stale_nan(p.v)) {
                let kept: Vec<Point> = window
                    .iter()
                    .filter(|p| !is_stale_nan(p.v))
                    .copied()
                    .collect();
                if kept.is_empty() && hpoints.is_empty() {
                    continue;
                }
                Cow::Owned(kept)
            } else {
                Cow::Borrowed(window)
            };
            let sts = if self.engine.use_start_timestamps {
                s.start_timestamps_in(lo, ref_t)
            } else {
                &[]
            };
            out.push(Window {
                labels: Cow::Borrowed(&s.labels),
                points,
                hpoints,
                drop_name: false,
                source: Some((s.uid, a, b.max(a))),
                sts,
            });
        }
        out
    }

    /// Evaluates a subquery at `t`. Returns the matrix and the window
    /// `(start, end]` it covers, in ms.
    pub fn eval_subquery(
        &mut self,
        sq: &SubqueryExpr,
        t: i64,
    ) -> Result<(Matrix, i64, i64), EvalError> {
        // Counter resets across a subquery's steps are detected on whole
        // histograms (no statistics iterator inside).
        let saved = std::mem::replace(&mut self.hist_stats, HistStats::Vetoed);
        let out = self.subquery_steps(sq, t);
        self.hist_stats = saved;
        out
    }

    /// [`eval_subquery`](Self::eval_subquery) itself.
    fn subquery_steps(
        &mut self,
        sq: &SubqueryExpr,
        t: i64,
    ) -> Result<(Matrix, i64, i64), EvalError> {
        let ref_t = self.ref_time(&sq.at, &sq.offset, &sq.offset_expr, t);
        let range = self.range_ms(&sq.range, &sq.range_expr);
        let step = match &sq.step {
            Some(d) if self.range_ms(d, &sq.step_expr) > 0 => self.range_ms(d, &sq.step_expr),
            _ => self.engine.default_subquery_step_ms.max(1),
        };
        let lo = ref_t.saturating_sub(range);
        let mut ts = (lo.div_euclid(step) + 1).saturating_mul(step);
        // Per series: floats, histograms and the stored histogram the last
        // step returned.
        type Gathered = (Vec<Point>, Vec<HPoint>, Option<Arc<FloatHistogram>>);
        let mut series: BTreeMap<(Labels, bool), Gathered> = BTreeMap::new();
        let saved = self.samples;
        self.charge_steps(steps_between(ts, ref_t, step))?;
        // The points gathered so far count against the sample limit while
        // the next steps run (Prometheus' subquery result is a range
        // query's matrix, loaded step by step).
        let mut points = 0usize;
        while ts <= ref_t {
            self.samples = saved.saturating_add(points);
            let vec = self.eval_vector(&sq.expr, ts)?;
            points = points.saturating_add(vec.len());
            if saved.saturating_add(points) > self.engine.max_samples {
                return Err(EvalError::TooManySamples("query execution"));
            }
            for s in vec {
                let e = series.entry((s.labels, s.drop_name)).or_default();
                match s.h {
                    Some(h) => {
                        // Steps do not see every stored sample, so a
                        // "not a reset" hint (true of the sample before in
                        // storage) becomes "unknown" and resets are detected
                        // between the steps' histograms; the same stored
                        // histogram returned again at a later step is not a
                        // second counter reset. As Prometheus' subquery
                        // evaluation.
                        let repeat = e.2.as_ref().is_some_and(|p| Arc::ptr_eq(p, &h));
                        e.2 = Some(h.clone());
                        let hint = match h.hint {
                            ResetHint::Reset if repeat => ResetHint::NotReset,
                            ResetHint::NotReset => ResetHint::Unknown,
                            other => other,
                        };
                        let h = if hint == h.hint {
                            h
                        } else {
                            let mut copy = (*h).clone();
                            copy.hint = hint;
                            Arc::new(copy)
                        };
                        e.1.push(HPoint { t: ts, h });
                    }
                    None => e.0.push(Point { t: ts, v: s.v }),
                }
            }
            ts = match ts.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
        self.samples = saved;
        let m = series
            .into_iter()
            .map(|((labels, drop_name), (points, hpoints, _))| Series {
                labels,
                points,
                hpoints,
                drop_name,
            })
            .collect();
        Ok((m, lo, ref_t))
    }
}

/// Errors when two samples share a label set.
pub(crate) fn check_dups(v: &InstantVector) -> Result<(), EvalError> {
    if v.len() < 2 {
        return Ok(());
    }
    if !super::labels::all_distinct(v, |s| &s.labels) {
        return Err(dup_labelset());
    }
    Ok(())
}

/// Used by `absent`: labels from the equality matchers of a selector.
pub(crate) fn absent_labels(expr: &Expr) -> Labels {
    let vs = match unwrap_parens(expr) {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Labels::empty(),
    };
    absent_labels_from_matchers(&vs.matchers)
}

fn absent_labels_from_matchers(m: &Matchers) -> Labels {
    let mut l = Labels::empty();
    let mut has: HashSet<&str> = HashSet::new();
    let all: Vec<&Matcher> = m.matchers.iter().collect();
    for ma in all {
        if ma.name == METRIC_NAME {
            continue;
        }
        if matches!(ma.op, MatchOp::Equal) && !has.contains(ma.name.as_str()) {
            l.set(ma.name.clone(), ma.value.clone());
            has.insert(ma.name.as_str());
        } else {
            l.remove(&ma.name);
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(lines: &[(&str, &[(i64, f64)])]) -> Storage {
        let mut s = Storage::new();
        for (series, pts) in lines {
            let (labels, _) =
                crate::engine::series_desc::parse_metric(series).unwrap_or((Labels::empty(), ""));
            for &(t, v) in pts.iter() {
                s.append(&labels, t, v);
            }
        }
        s
    }

    fn scalar_of(v: &Value) -> Vec<f64> {
        match v {
            Value::Vector(v) => v.iter().map(|s| s.v).collect(),
            Value::Scalar(f) => vec![*f],
            _ => vec![],
        }
    }

    #[test]
    fn extended_range_selectors_through_queries() {
        // 1, 2, 3, 4 at 0s, 15s, 30s, 45s.
        let s = store(&[(
            "m",
            &[(0, 1.0), (15_000, 2.0), (30_000, 3.0), (45_000, 4.0)],
        )]);
        let e = Engine::default();
        let q = |x: &str, t| e.instant_query(&s, x, t).map(|v| scalar_of(&v));
        // Anchored: (20s, 50s] starts from the 15s sample: 4 - 2.
        assert_eq!(q("increase(m[30s] anchored)", 50_000), Ok(vec![2.0]));
        // Smoothed: 2.333… at 20s and 4 (last sample carried) at 50s.
        let v = q("increase(m[30s] smoothed)", 50_000).unwrap();
        assert!((v[0] - (4.0 - 7.0 / 3.0)).abs() < 1e-9, "{v:?}");
        // An instant smoothed selector interpolates and keeps the name.
        assert_eq!(q("m smoothed", 37_500), Ok(vec![3.5]));
        // Functions that do not accept the modifier are refused.
        let err = q("max_over_time(m[1m] smoothed)", 50_000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "smoothed modifier can only be used with: delta, increase, rate - not with max_over_time"
        );
    }

    #[test]
    fn lookback_is_five_minutes_left_open() {
        let s = store(&[("m", &[(0, 1.0)])]);
        let e = Engine::default();
        let at = |t| e.instant_query(&s, "m", t).map(|v| scalar_of(&v));
        assert_eq!(at(0), Ok(vec![1.0]));
        assert_eq!(at(299_999), Ok(vec![1.0]));
        assert_eq!(at(300_000), Ok(vec![]));
        assert_eq!(at(-1), Ok(vec![]));
    }

    /// Range functions over a window that did not change reuse the last
    /// result; a sample replaced, inserted or removed inside the window,
    /// or appended to it, gives a new one.
    #[test]
    fn window_results_are_reused_only_while_the_window_holds_the_same_points() {
        let m = Labels::from_pairs([("__name__", "m")]);
        let mut s = store(&[("m", &[(0, 1.0), (300_000, 3.0)])]);
        let e = Engine::default();
        let q = |s: &Storage, x: &str, t| e.instant_query(s, x, t).map(|v| scalar_of(&v));
        // Steps between samples read the same window (0, 300s].
        for t in [300_000, 360_000, 420_000, 540_000] {
            assert_eq!(q(&s, "avg_over_time(m[10m])", t), Ok(vec![2.0]), "{t}");
            assert_eq!(q(&s, "max_over_time(m[10m])", t), Ok(vec![3.0]), "{t}");
        }
        // Replaced in place: the same index range holds another value.
        s.append(&m, 300_000, 5.0);
        assert_eq!(q(&s, "avg_over_time(m[10m])", 540_000), Ok(vec![3.0]));
        assert_eq!(q(&s, "max_over_time(m[10m])", 540_000), Ok(vec![5.0]));
        // Inserted out of order.
        s.append(&m, 120_000, 6.0);
        assert_eq!(q(&s, "avg_over_time(m[10m])", 540_000), Ok(vec![4.0]));
        // Appended: the window grows.
        s.append(&m, 480_000, 9.0);
        assert_eq!(q(&s, "avg_over_time(m[10m])", 540_000), Ok(vec![5.25]));
        // The window slides past the first sample.
        assert_eq!(q(&s, "sum_over_time(m[10m])", 600_000), Ok(vec![20.0]));
        // A cleared store starts over (uids are not reused).
        s.clear();
        s.append(&m, 0, 4.0);
        assert_eq!(q(&s, "avg_over_time(m[10m])", 300_000), Ok(vec![4.0]));
    }

    /// Property: with random appends, replacements, out-of-order inserts
    /// and staleness markers between queries, every range function answers
    /// as a clone of the store (whose memo starts empty) answers.
    #[test]
    fn window_memo_never_changes_a_result() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let series = [
            Labels::from_pairs([("__name__", "m"), ("i", "a")]),
            Labels::from_pairs([("__name__", "m"), ("i", "b")]),
        ];
        let mut s = Storage::new();
        let e = Engine::default();
        let funcs = [
            "avg_over_time",
            "sum_over_time",
            "max_over_time",
            "count_over_time",
            "changes",
            "last_over_time",
            "ts_of_min_over_time",
        ];
        let mut now = 0i64;
        let mut last = String::new();
        for step in 0..3000 {
            let l = &series[usize::try_from(rnd(2)).unwrap_or(0)];
            match rnd(10) {
                0 => s.append_stale(l, now),
                1 => s.append(
                    l,
                    now.saturating_sub(i64::try_from(rnd(5)).unwrap_or(0) * 60_000),
                    7.0,
                ),
                _ => {
                    now += 60_000;
                    s.append(l, now, f64::from(u32::try_from(rnd(100)).unwrap_or(0)));
                }
            }
            // Half the time the last query again, as a rule at every step.
            if rnd(2) == 0 || last.is_empty() {
                let f = funcs[usize::try_from(rnd(funcs.len() as u64)).unwrap_or(0)];
                last = format!("{f}(m[{}m])", 1 + rnd(15));
            }
            let q = last.clone();
            let t = now - i64::try_from(rnd(3)).unwrap_or(0) * 60_000;
            let fresh = s.clone();
            let got = e.instant_query(&s, &q, t).map(|v| scalar_of(&v));
            let want = e.instant_query(&fresh, &q, t).map(|v| scalar_of(&v));
            assert_eq!(
                got.map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>()),
                want.map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>()),
                "step {step}: {q} at {t}"
            );
        }
    }

    #[test]
    fn staleness_marker_ends_lookback() {
        let mut s = store(&[("m", &[(0, 1.0)])]);
        s.append_stale(&Labels::from_pairs([("__name__", "m")]), 60_000);
        let e = Engine::default();
        assert_eq!(
            e.instant_query(&s, "m", 30_000).map(|v| scalar_of(&v)),
            Ok(vec![1.0])
        );
        assert_eq!(
            e.instant_query(&s, "m", 60_000).map(|v| scalar_of(&v)),
            Ok(vec![])
        );
        // Stale markers are not part of range selections.
        assert_eq!(
            e.instant_query(&s, "count_over_time(m[5m])", 120_000)
                .map(|v| scalar_of(&v)),
            Ok(vec![1.0])
        );
    }

    #[test]
    fn offset_and_at_modifiers() {
        let s = store(&[("m", &[(0, 1.0), (60_000, 2.0), (120_000, 3.0)])]);
        let e = Engine::default();
        let q = |x: &str, t| e.instant_query(&s, x, t).map(|v| scalar_of(&v));
        assert_eq!(q("m offset 1m", 120_000), Ok(vec![2.0]));
        assert_eq!(q("m offset -1m", 60_000), Ok(vec![3.0]));
        assert_eq!(q("m @ 0", 120_000), Ok(vec![1.0]));
        let r = e.range_query(&s, "m @ end()", 0, 120_000, 60_000);
        match r {
            Ok(Value::Matrix(m)) => {
                assert_eq!(m.len(), 1);
                assert!(m[0].points.iter().all(|p| p.v == 3.0));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rate_over_selector_extrapolates() {
        let pts: Vec<(i64, f64)> = (0..=10).map(|i| (i * 60_000, i as f64 * 60.0)).collect();
        let s = store(&[("c_total", &pts)]);
        let e = Engine::default();
        let v = e
            .instant_query(&s, "rate(c_total[5m])", 600_000)
            .map(|v| scalar_of(&v));
        assert_eq!(v, Ok(vec![1.0]));
    }

    #[test]
    fn vector_matching_errors_use_prometheus_wording() {
        let s = store(&[
            (r#"a{x="1", y="1"}"#, &[(0, 1.0)]),
            (r#"a{x="1", y="2"}"#, &[(0, 1.0)]),
            (r#"b{x="1"}"#, &[(0, 1.0)]),
        ]);
        let e = Engine::default();
        let err = e
            .instant_query(&s, "b + on(x) a", 0)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                r#"found duplicate series for the match group {x="1"} on the right hand-side of the operation: [{__name__="a", x="1", y="1"}, {__name__="a", x="1", y="2"}];many-to-many matching not allowed: matching labels must be unique on one side"#
            )
        );
        let err = e
            .instant_query(&s, "a + on(x) b", 0)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
            )
        );
        let ok = e
            .instant_query(&s, "a + on(x) group_left b", 0)
            .map(|v| scalar_of(&v));
        assert_eq!(ok, Ok(vec![2.0, 2.0]));
    }

    #[test]
    fn an_empty_side_short_circuits_before_duplicate_checks() {
        // Issue 12 item 1: Prometheus returns nothing, with no error, when
        // either side is empty, even when the other side's match groups are
        // not unique (`metric{x!=""} + on (x) group_left info` with no
        // `metric` yet).
        let s = store(&[
            (r#"a{x="1", y="1"}"#, &[(0, 1.0)]),
            (r#"a{x="1", y="2"}"#, &[(0, 1.0)]),
        ]);
        let e = Engine::default();
        for q in [
            "missing + on(x) group_left a",
            "a + on(x) group_right missing",
            "missing + on(x) a",
            "a + on(x) missing",
            "a == on(x) missing",
        ] {
            let v = e.instant_query(&s, q, 0).map(|v| scalar_of(&v));
            assert_eq!(v, Ok(vec![]), "{q}");
        }
        // With both sides present the duplicate is still an error.
        let s = store(&[
            (r#"a{x="1", y="1"}"#, &[(0, 1.0)]),
            (r#"a{x="1", y="2"}"#, &[(0, 1.0)]),
            (r#"b{x="1"}"#, &[(0, 1.0)]),
        ]);
        assert!(e.instant_query(&s, "b + on(x) group_left a", 0).is_err());
    }

    #[test]
    fn sample_limit_is_enforced() {
        let pts: Vec<(i64, f64)> = (0..100).map(|i| (i * 1000, 1.0)).collect();
        let s = store(&[("m", &pts)]);
        let e = Engine {
            max_samples: 50,
            ..Engine::default()
        };
        let err = e
            .instant_query(&s, "m[100s]", 99_000)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("query processing would load too many samples into memory in query execution")
        );
    }

    #[test]
    fn subquery_steps_are_counted_before_they_run() {
        let too_many =
            Some("query processing would load too many samples into memory in query execution");
        let s = store(&[("m", &[(0, 1.0)])]);
        let e = Engine::default();
        let err = |q: &str| e.instant_query(&s, q, 60_000).err().map(|e| e.to_string());
        // 3.15e10 steps over no series: refused before the first step.
        assert_eq!(err("max_over_time(nope[1y:1ms])").as_deref(), too_many);
        // Nested: each inner subquery charges its steps.
        assert_eq!(
            err("max_over_time(max_over_time(nope[1d:1s])[1d:1s])").as_deref(),
            too_many
        );
        // Over a series: the points pass the sample limit as they accumulate.
        assert_eq!(err("max_over_time(vector(1)[1d:1s])").as_deref(), too_many);
        // Within both budgets it runs.
        assert_eq!(err("max_over_time(m[5m:1s])"), None);
        // A range query's own steps count too.
        let r = e.range_query(&s, "1", 0, 10_000_000_000, 1);
        assert_eq!(r.err().map(|e| e.to_string()).as_deref(), too_many);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let s = Storage::new();
        let e = Engine::default();
        assert!(e.instant_query(&s, "sum(", 0).is_err());
        assert!(e.instant_query(&s, "1 / 0", 0).is_ok());
        assert!(e.range_query(&s, "foo[5m]", 0, 10, 1).is_err());
        assert!(e.range_query(&s, "1", 0, 10, 0).is_err());
    }

    #[test]
    fn trim_operators_through_queries() {
        let mut s = store(&[("f", &[(0, 7.0)])]);
        let h = crate::engine::native::parse_notation(
            "schema:-53 count:10 sum:30 custom_values:[2 4] buckets:[2 8]",
        )
        .expect("valid notation");
        let (l, _) = crate::engine::series_desc::parse_metric("h").expect("labels");
        s.append_histogram(&l, 0, std::sync::Arc::new(h));
        let e = Engine::default();
        let run = |q: &str| {
            let expr = parse_expr(q).expect("parses");
            e.instant_query_expr(&s, &expr, 0)
        };
        // [0,2] whole at 1, 1/2 of (2,4] at 2.5; the name is kept.
        let out = run("h </ 3").expect("evaluates");
        let Value::Vector(v) = out.value else {
            panic!("not a vector")
        };
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].labels.get("__name__"), Some("h"));
        let t = v[0].h.as_ref().expect("a histogram");
        assert_eq!((t.count, t.sum), (6.0, 2.0 + 4.0 * 2.5));
        // A float operand drops the element with an info.
        let out = run("f </ 3").expect("evaluates");
        assert_eq!(out.value, Value::Vector(vec![]));
        assert_eq!(out.annotations.len(), 1);
        assert!(
            out.annotations[0].message.contains(
                "incompatible sample types encountered for binary operator \"</\": float </ float"
            ),
            "{:?}",
            out.annotations
        );
        // A histogram on the right is no trim either.
        let out = run("3 >/ h").expect("evaluates");
        assert_eq!(out.value, Value::Vector(vec![]));
        // Two scalars: an error, as Prometheus' scalarBinop.
        let err = run("1 >/ 2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "operator \">/\" not allowed for Scalar operations"
        );
    }

    /// promqltest native_histograms.test "reset": the counter reset hints
    /// histogram_count/sum/avg see (HistogramStatsIterator), and the
    /// conflicting-counter-resets warning of `sum` and `sum_over_time`.
    #[test]
    fn statistics_functions_see_detected_counter_resets() {
        use crate::engine::series_desc::{SeqValue, parse_series_line};
        let mut st = Storage::new();
        for line in [
            "reset{timing=\"late\"} {{schema:0 sum:1 count:0 buckets:[1 1 1]}} {{schema:0 sum:1 count:2 buckets:[1 1 1]}} {{schema:0 sum:1 count:3 buckets:[1 1 1]}} {{schema:0 sum:1 count:2 buckets:[1 1 1]}}",
            "reset{timing=\"early\"} {{schema:0 sum:1 count:3 buckets:[1 1 1]}} {{schema:0 sum:1 count:2 buckets:[1 1 1]}} {{schema:0 sum:1 count:2 buckets:[1 1 1]}} {{schema:0 sum:1 count:3 buckets:[1 1 1]}}",
        ] {
            let (labels, vals) = parse_series_line(line).expect("valid series");
            for (i, v) in vals.into_iter().enumerate() {
                if let SeqValue::Histogram(h) = v {
                    st.append_histogram(&labels, i as i64 * 60_000, h);
                }
            }
        }
        // A reset starts a chunk, read back as "unknown".
        let late = st
            .all()
            .find(|s| s.labels.get_or_empty("timing") == "late")
            .expect("stored");
        let hints: Vec<ResetHint> = late.hpoints.iter().map(|p| p.h.hint).collect();
        use ResetHint::{NotReset, Unknown};
        assert_eq!(hints, [Unknown, NotReset, NotReset, Unknown]);
        // The statistics iterator reads from `ref - range` on: the 3m
        // histogram is a reset against the 2m one.
        let seen = stats_hints(&late.hpoints[1..], Some(&late.hpoints[0]), 0);
        let hints: Vec<ResetHint> = seen.iter().map(|p| p.h.hint).collect();
        assert_eq!(hints, [NotReset, NotReset, ResetHint::Reset]);
        assert!(matches!(
            stats_hints(&late.hpoints[..1], None, 0),
            Cow::Borrowed(_)
        ));
        let engine = Engine::default();
        let conflict = "PromQL warning: conflicting counter resets during histogram aggregation";
        let warned = |q: &str, t: i64| {
            let e = parse_expr(q).expect("valid query");
            let out = engine.instant_query_expr(&st, &e, t).expect("evaluates");
            (
                scalar_of(&out.value),
                out.annotations.iter().any(|a| a.message == conflict),
            )
        };
        assert_eq!(
            warned("histogram_count(sum(reset))", 300_000),
            (vec![5.0], true)
        );
        assert_eq!(
            warned("histogram_count(sum(reset))", 30_000),
            (vec![3.0], false)
        );
        assert_eq!(
            warned(
                "histogram_count(sum_over_time(reset{timing=\"late\"}[5m]))",
                300_000
            ),
            (vec![7.0], true)
        );
        // Without a statistics function, or with a subquery around, stored
        // hints are read: no conflict.
        assert!(!warned("count(sum(reset))", 300_000).1);
        let sub = "histogram_count(sum_over_time(reset{timing=\"late\"}[5m:1m]))";
        assert!(!warned(sub, 300_000).1);
        // `+` warns too, as `FloatHistogram.Add`.
        let e = parse_expr(
            "histogram_count(reset{timing=\"late\"} + ignoring(timing) reset{timing=\"early\"})",
        )
        .expect("valid query");
        let out = engine
            .instant_query_expr(&st, &e, 300_000)
            .expect("evaluates");
        assert_eq!(scalar_of(&out.value), [5.0]);
        assert_eq!(
            out.annotations[0].message,
            "PromQL warning: conflicting counter resets during histogram addition"
        );
        assert_eq!(HistStats::Off.in_call("histogram_sum"), HistStats::On);
        assert_eq!(
            HistStats::On.in_call("histogram_fraction"),
            HistStats::Vetoed
        );
        assert_eq!(
            HistStats::Vetoed.in_call("histogram_avg"),
            HistStats::Vetoed
        );
        assert_eq!(HistStats::On.in_call("sum_over_time"), HistStats::On);
    }
}
