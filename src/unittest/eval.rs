//! Rule group evaluation as Prometheus' rules package does it for promtool:
//! rules in order, each seeing the output of the rules before it in the same
//! step; recording-rule output, `ALERTS` and `ALERTS_FOR_STATE` appended to
//! storage; staleness markers for series a rule stopped returning.

use foldhash::{HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::engine::native::FloatHistogram;
use crate::engine::{Engine, Labels, Storage, Value};
use crate::model::rules::RuleKind;
use crate::promql::ast::Expr;
use crate::template::{self, AlertData, Context, QueryFn, QuerySample};

use super::alerts::{Alert, AlertResult, AlertingState, Annotations};
use super::compare::{labels_pairs, sorted_pairs};
use super::rules::{GroupDef, RuleDef};

/// Storage shared with the `query` template function.
pub type SharedStorage = Arc<RwLock<Storage>>;

/// Read access, surviving a poisoned lock.
pub fn read(s: &SharedStorage) -> RwLockReadGuard<'_, Storage> {
    s.read().unwrap_or_else(|e| e.into_inner())
}

/// Write access, surviving a poisoned lock.
pub fn write(s: &SharedStorage) -> RwLockWriteGuard<'_, Storage> {
    s.write().unwrap_or_else(|e| e.into_inner())
}

/// One sample of a rule query's result: labels, float value (0 for a
/// histogram, as Prometheus' `Sample.F`) and the native histogram, if any.
#[derive(Debug, Clone)]
pub struct GotSample {
    /// Labels.
    pub labels: Labels,
    /// Float value.
    pub value: f64,
    /// Native histogram, when the sample is one.
    pub histogram: Option<Arc<FloatHistogram>>,
}

/// Evaluates `expr` at `t_ms` as a rule query: a vector, or a scalar as one
/// sample without labels.
///
/// # Errors
/// The engine's error, or `rule result is not a vector or scalar`.
pub fn query_vector(
    engine: &Engine,
    storage: &Storage,
    expr: &Expr,
    t_ms: i64,
) -> Result<Vec<GotSample>, String> {
    let out = engine
        .instant_query_expr(storage, expr, t_ms)
        .map_err(|e| e.to_string())?;
    match out.value {
        Value::Vector(v) => Ok(v
            .into_iter()
            .map(|s| GotSample {
                labels: s.labels,
                value: if s.h.is_some() { 0.0 } else { s.v },
                histogram: s.h,
            })
            .collect()),
        Value::Scalar(f) => Ok(vec![GotSample {
            labels: Labels::empty(),
            value: f,
            histogram: None,
        }]),
        _ => Err("rule result is not a vector or scalar".into()),
    }
}

/// Mutable state of one rule.
#[derive(Debug, Clone, Default)]
pub struct RuleState {
    /// Series the last successful evaluation wrote.
    prev_series: HashSet<Labels>,
    /// Alert state (alerting rules).
    pub alerting: AlertingState,
    /// Error of the last evaluation.
    pub last_error: Option<String>,
    /// True once an evaluation returned at least one sample.
    pub nonempty: bool,
    /// The series the rule writes, by what they are built from: for a
    /// recording rule a result sample's labels ([`Output::Recorded`]:
    /// `__name__` and the rule's labels set), for an alerting rule a result
    /// sample's labels ([`Output::AlertLabels`], when no rule label is a
    /// template) and an alert's labels ([`Output::Alerts`] per state,
    /// [`Output::ForState`]). Each is a
    /// function of its key alone, so the same key gives the same shared
    /// label set at every step, whose hash is kept: storage and the
    /// stale-series bookkeeping find it without hashing its pairs again.
    /// Cleared when it outgrows [`MAX_OUTPUT_CACHE`].
    outputs: HashMap<(Labels, Output), Labels>,
}

/// What an entry of a rule's output-series cache builds from its labels
/// (see `RuleState::outputs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    /// A recording rule's series from a result sample's labels.
    Recorded,
    /// An alert's labels from a result sample's labels.
    AlertLabels,
    /// `ALERTS{alertstate="…"}` of an alert in this state.
    Alerts(super::alerts::AlertState),
    /// `ALERTS_FOR_STATE` of an alert.
    ForState,
}

/// Entries [`RuleState`] keeps in its output-series cache.
const MAX_OUTPUT_CACHE: usize = 10_000;

/// A group with its rules' state.
#[derive(Debug, Clone)]
pub struct GroupRun {
    /// The definition.
    pub def: GroupDef,
    /// Per-rule state, same order as `def.rules`.
    pub rules: Vec<RuleState>,
}

impl GroupRun {
    /// Fresh state for `def`.
    pub fn new(def: GroupDef) -> Self {
        let rules = def
            .rules
            .iter()
            .map(|r| RuleState {
                alerting: AlertingState::new(r.for_ms, r.keep_firing_for_ms),
                ..RuleState::default()
            })
            .collect();
        GroupRun { def, rules }
    }
}

/// What a group evaluation needs besides the group.
pub struct EvalEnv<'a> {
    /// The engine.
    pub engine: &'a Engine,
    /// Storage.
    pub storage: &'a SharedStorage,
    /// `$externalLabels`.
    pub external_labels: &'a [(String, String)],
    /// `$externalURL`.
    pub external_url: &'a str,
}

/// Evaluates every rule of `g` at `ts` (ms). Errors are left in each rule's
/// `last_error`.
pub fn eval_group(g: &mut GroupRun, ts: i64, env: &EvalEnv) {
    let offset = g.def.query_offset_ms;
    let t = ts.saturating_sub(offset);
    let limit = g.def.limit;
    for (rule, state) in g.def.rules.iter().zip(g.rules.iter_mut()) {
        let result = match rule.kind {
            RuleKind::Recording => eval_recording(rule, state, t, limit, env),
            RuleKind::Alerting => eval_alerting(rule, state, ts, t, limit, env),
        };
        let samples = match result {
            Ok(s) => s,
            Err(e) => {
                state.last_error = Some(e);
                continue;
            }
        };
        state.last_error = None;
        let mut st = write(env.storage);
        let mut returned = Vec::with_capacity(samples.len());
        for smp in samples {
            match append_checked(&mut st, &smp.labels, t, smp.value, smp.histogram) {
                Ok(()) => returned.push(smp.labels),
                Err(e) => state.last_error = Some(e),
            }
        }
        // The usual step writes the series of the last one again: then
        // nothing went stale, and the set stays as it is.
        let unchanged = returned.len() == state.prev_series.len()
            && returned.iter().all(|l| state.prev_series.contains(l))
            && crate::engine::labels::all_distinct(&returned, |l| l);
        if unchanged {
            continue;
        }
        let returned: HashSet<Labels> = returned.into_iter().collect();
        for old in &state.prev_series {
            if !returned.contains(old) {
                // Errors (the series was written by another rule) are ignored.
                let _ = append_checked(&mut st, old, t, crate::engine::stale_nan(), None);
            }
        }
        state.prev_series = returned;
    }
}

/// Appends as the TSDB head does ([`Storage::append_checked`],
/// [`Storage::append_histogram_checked`]).
fn append_checked(
    st: &mut Storage,
    labels: &Labels,
    t: i64,
    v: f64,
    h: Option<Arc<FloatHistogram>>,
) -> Result<(), String> {
    match h {
        Some(h) => st.append_histogram_checked(labels, t, h),
        None => st.append_checked(labels, t, v),
    }
    .map_err(str::to_string)
}

fn has_same_labelset(v: &[GotSample]) -> bool {
    !crate::engine::labels::all_distinct(v, |s| &s.labels)
}

fn eval_recording(
    rule: &RuleDef,
    state: &mut RuleState,
    t: i64,
    limit: usize,
    env: &EvalEnv,
) -> Result<Vec<GotSample>, String> {
    let mut v = query_vector(env.engine, &read(env.storage), &rule.expr, t)?;
    if !v.is_empty() {
        state.nonempty = true;
    }
    for GotSample { labels, .. } in v.iter_mut() {
        *labels = output_series(
            &mut state.outputs,
            labels.clone(),
            Output::Recorded,
            |input| {
                let mut l = input.clone();
                l.set(crate::engine::labels::METRIC_NAME, rule.name.as_str());
                for (k, val) in &rule.labels {
                    l.set(k.as_str(), val.as_str());
                }
                l
            },
        );
    }
    if has_same_labelset(&v) {
        return Err(
            "vector contains metrics with the same labelset after applying rule labels".into(),
        );
    }
    if limit > 0 && v.len() > limit {
        return Err(format!("exceeded limit of {limit} with {} series", v.len()));
    }
    Ok(v)
}

fn query_fn(env: &EvalEnv, ts: i64) -> QueryFn {
    let storage = Arc::clone(env.storage);
    let engine = env.engine.clone();
    Arc::new(move |q: &str| {
        let expr = crate::engine::parse_expr(q).map_err(|e| e.to_string())?;
        let v = query_vector(&engine, &read(&storage), &expr, ts)?;
        Ok(v.into_iter()
            .map(|s| QuerySample {
                labels: labels_pairs(&s.labels),
                value: s.value,
            })
            .collect())
    })
}

fn eval_alerting(
    rule: &RuleDef,
    state: &mut RuleState,
    ts: i64,
    t: i64,
    limit: usize,
    env: &EvalEnv,
) -> Result<Vec<GotSample>, String> {
    let res = query_vector(env.engine, &read(env.storage), &rule.expr, t)?;
    if !res.is_empty() {
        state.nonempty = true;
    }
    let uses_query = rule
        .labels
        .iter()
        .chain(&rule.annotations)
        .any(|(_, v)| v.contains("query"));
    let ctx = Context {
        name: format!("__alert_{}", rule.name),
        ts_ms: ts,
        external_url: env.external_url.to_string(),
        query: uses_query.then(|| query_fn(env, ts)),
    };
    // Without `query`, annotations are expanded only when a test reads them.
    let deferred =
        (!uses_query).then(|| (Arc::new(rule.annotations.clone()), Arc::new(ctx.clone())));
    let templated_labels = rule.labels.iter().any(|(_, v)| v.contains("{{"));
    let mut results = Vec::with_capacity(res.len());
    for GotSample {
        labels: sample_labels,
        value,
        ..
    } in res
    {
        let data = AlertData {
            labels: labels_pairs(&sample_labels),
            external_labels: env.external_labels.to_vec(),
            external_url: env.external_url.to_string(),
            value,
        };
        let labels = if templated_labels {
            alert_labels(rule, &sample_labels, &data, &ctx)
        } else {
            // Without templates the labels depend on the sample's alone.
            output_series(
                &mut state.outputs,
                sample_labels.clone(),
                Output::AlertLabels,
                |l| alert_labels(rule, l, &data, &ctx),
            )
        };
        let annotations = match &deferred {
            None => {
                Annotations::Expanded(sorted_pairs(rule.annotations.iter().map(|(k, raw)| {
                    (k.clone(), template::expand_alert_or_error(raw, &data, &ctx))
                })))
            }
            Some((texts, ctx)) => {
                let (texts, ctx) = (Arc::clone(texts), Arc::clone(ctx));
                Annotations::Deferred(Arc::new(move || {
                    sorted_pairs(texts.iter().map(|(k, raw)| {
                        (k.clone(), template::expand_alert_or_error(raw, &data, &ctx))
                    }))
                }))
            }
        };
        results.push(AlertResult {
            labels,
            annotations,
            value,
        });
    }
    if !crate::engine::labels::all_distinct(&results, |r| &r.labels) {
        return Err(
            "vector contains metrics with the same labelset after applying alert labels".into(),
        );
    }
    let alerts = state.alerting.update(ts, results);
    if limit > 0 && alerts.len() > limit {
        state.alerting.reset();
        return Err(format!(
            "exceeded limit of {limit} with {} alerts",
            alerts.len()
        ));
    }
    let mut out = Vec::with_capacity(alerts.len() * 2);
    for a in &alerts {
        let tag = Output::Alerts(a.state);
        out.push(GotSample {
            labels: output_series(&mut state.outputs, a.labels.clone(), tag, |_| {
                alert_series(rule, a, "ALERTS", true)
            }),
            value: 1.0,
            histogram: None,
        });
        out.push(GotSample {
            labels: output_series(
                &mut state.outputs,
                a.labels.clone(),
                Output::ForState,
                |_| alert_series(rule, a, "ALERTS_FOR_STATE", false),
            ),
            value: a.active_at.div_euclid(1000) as f64,
            histogram: None,
        });
    }
    Ok(out)
}

/// An alert's labels from one result sample, as Prometheus'
/// `AlertingRule.Eval` builds them: the sample's labels minus `__name__`,
/// the rule's labels expanded as templates with the sample (`$labels`,
/// `$value`), then `alertname`. A label without a template action is used
/// as written, without expanding it.
pub fn alert_labels(
    rule: &RuleDef,
    sample_labels: &Labels,
    data: &AlertData,
    ctx: &Context,
) -> Labels {
    let mut labels = sample_labels.without_name();
    for (k, raw) in &rule.labels {
        if raw.contains("{{") {
            labels.set(k.as_str(), template::expand_alert_or_error(raw, data, ctx));
        } else {
            labels.set(k.as_str(), raw.as_str());
        }
    }
    labels.set("alertname", rule.name.as_str());
    labels
}

/// The series `build` makes from `labels`, from `cache` when it was built
/// before under the same tag (see `RuleState::outputs`).
fn output_series(
    cache: &mut HashMap<(Labels, Output), Labels>,
    labels: Labels,
    tag: Output,
    build: impl FnOnce(&Labels) -> Labels,
) -> Labels {
    let key = (labels, tag);
    if let Some(out) = cache.get(&key) {
        return out.clone();
    }
    if cache.len() >= MAX_OUTPUT_CACHE {
        cache.clear();
    }
    let out = build(&key.0);
    cache.insert(key, out.clone());
    out
}

/// `ALERTS{…, alertstate="…"}` or `ALERTS_FOR_STATE{…}`: the rule's raw
/// labels overridden by the alert's labels, as Prometheus builds them.
fn alert_series(rule: &RuleDef, a: &Alert, name: &str, with_state: bool) -> Labels {
    let mut l = Labels::from_pairs(rule.labels.iter().cloned());
    for (k, v) in a.labels.iter() {
        l.set(k, v);
    }
    l.set(crate::engine::labels::METRIC_NAME, name);
    if with_state {
        l.set("alertstate", a.state.as_str());
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_series_are_built_once_per_key_and_the_cache_stays_bounded() {
        let mut cache = HashMap::default();
        let build = |l: &Labels| {
            let mut out = l.clone();
            out.set("__name__", "job:up:sum");
            out
        };
        let input = Labels::from_pairs([("job", "a")]);
        let first = output_series(&mut cache, input.clone(), Output::Recorded, build);
        assert_eq!(
            first,
            Labels::from_pairs([("__name__", "job:up:sum"), ("job", "a")])
        );
        // The same labels (another copy) give the very same shared set.
        let again = output_series(
            &mut cache,
            Labels::from_pairs([("job", "a")]),
            Output::Recorded,
            build,
        );
        assert!(again.ptr_eq(&first));
        // Another tag is another series.
        let other = output_series(&mut cache, input, Output::ForState, |l| {
            let mut out = l.clone();
            out.set("__name__", "ALERTS_FOR_STATE");
            out
        });
        assert_eq!(other.metric_name(), "ALERTS_FOR_STATE");
        for i in 0..MAX_OUTPUT_CACHE + 10 {
            let l = Labels::from_pairs([("job", i.to_string())]);
            let out = output_series(&mut cache, l, Output::Recorded, build);
            assert_eq!(out.get("job"), Some(i.to_string().as_str()));
            assert!(cache.len() <= MAX_OUTPUT_CACHE);
        }
    }
}
