//! Aggregation operators: sum avg min max count group stddev stdvar topk
//! bottomk quantile count_values limitk limit_ratio, with `by`/`without`.

use foldhash::{HashMap, HashMapExt};
use std::cmp::Ordering;

use crate::promql::ast::token::{
    T_AVG, T_BOTTOMK, T_COUNT, T_COUNT_VALUES, T_GROUP, T_LIMIT_RATIO, T_LIMITK, T_MAX, T_MIN,
    T_QUANTILE, T_STDDEV, T_STDVAR, T_SUM, T_TOPK,
};
use crate::promql::ast::{AggregateExpr, LabelModifier};

use super::error::{Annotation, EvalError};
use super::eval::Evaluator;
use super::labels::Labels;
use super::native::{FloatHistogram, HistAccumulator};
use super::storage::{GroupKeyMemo, Storage};
use super::value::{Sample, Value};
use std::sync::MutexGuard;

/// Kahan-Babuska summation step (Prometheus' `kahansum.Inc`).
pub fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// Prometheus' `quantile` over unsorted values: linear interpolation between
/// closest ranks; NaN sorts first.
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(nan_first_cmp);
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Ascending order with NaN before everything.
pub fn nan_first_cmp(a: &f64, b: &f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// The group key of a sample.
fn group_labels(labels: &Labels, modifier: &Option<LabelModifier>) -> Labels {
    match modifier {
        None => Labels::empty(),
        Some(LabelModifier::Include(l)) => labels.keep_only(&l.labels),
        Some(LabelModifier::Exclude(l)) => labels.drop_all(&l.labels).without_name(),
    }
}

/// Whether label `name` is part of the group key under `modifier` (the
/// labels [`group_labels`] keeps).
fn in_group_key(name: &str, modifier: &Option<LabelModifier>) -> bool {
    match modifier {
        None => false,
        Some(LabelModifier::Include(l)) => l.labels.iter().any(|n| n == name),
        Some(LabelModifier::Exclude(l)) => {
            name != super::labels::METRIC_NAME && !l.labels.iter().any(|n| n == name)
        }
    }
}

/// Groups of an aggregation found by a hash of the grouping labels read
/// from each sample's labels (as Prometheus' `HashForLabels`), so the key
/// label set is built once per group rather than once per sample; samples
/// whose hashes collide are told apart by comparing the labels. With the
/// storage's [`GroupKeyMemo`], hash and key come from earlier evaluations.
struct GroupIndex<'s> {
    /// Hash to the newest group with it.
    first: HashMap<u64, usize>,
    /// Per group: the previous group with the same hash (`usize::MAX`: none).
    next: Vec<usize>,
    /// Per group, in order of first appearance: its key labels.
    keys: Vec<Labels>,
    /// The memo and this aggregation's grouping in it.
    memo: Option<(MutexGuard<'s, GroupKeyMemo>, u32)>,
}

impl<'s> GroupIndex<'s> {
    /// An empty index; keys are remembered in `storage` for a grouping.
    fn new(storage: &'s Storage, modifier: &Option<LabelModifier>) -> Self {
        let memo = modifier.as_ref().and_then(|m| {
            let mut memo = storage.group_keys()?;
            let text = match m {
                LabelModifier::Include(l) => format!("by{:?}", l.labels),
                LabelModifier::Exclude(l) => format!("without{:?}", l.labels),
            };
            let id = memo.grouping(&text);
            Some((memo, id))
        });
        GroupIndex {
            first: HashMap::new(),
            next: Vec::new(),
            keys: Vec::new(),
            memo,
        }
    }

    /// The group of a sample with `labels` and whether it is new (then its
    /// key is the last of `keys`).
    fn slot(&mut self, labels: &Labels, modifier: &Option<LabelModifier>) -> (usize, bool) {
        let key_pairs = || labels.iter().filter(|(k, _)| in_group_key(k, modifier));
        let hash = || {
            use std::hash::{BuildHasher, Hasher};
            let mut hasher = foldhash::fast::FixedState::with_seed(0x67_726f_7570).build_hasher();
            for (k, v) in key_pairs() {
                hasher.write(k.as_bytes());
                hasher.write_u8(0xff);
                hasher.write(v.as_bytes());
                hasher.write_u8(0xff);
            }
            hasher.finish()
        };
        let (h, key) = match &mut self.memo {
            Some((memo, grouping)) => {
                let (h, key) = memo.key(*grouping, labels, || {
                    (hash(), group_labels(labels, modifier))
                });
                (h, Some(key))
            }
            None => (hash(), None),
        };
        let mut at = self.first.get(&h).copied().unwrap_or(usize::MAX);
        while at != usize::MAX {
            let same = match &key {
                Some(k) => *k == self.keys[at],
                None => key_pairs().eq(self.keys[at].iter()),
            };
            if same {
                return (at, false);
            }
            at = self.next[at];
        }
        let i = self.keys.len();
        self.keys
            .push(key.unwrap_or_else(|| group_labels(labels, modifier)));
        self.next
            .push(self.first.insert(h, i).unwrap_or(usize::MAX));
        (i, true)
    }
}

#[derive(Default)]
struct Group {
    labels: Labels,
    drop_name: bool,
    count: usize,
    sum: f64,
    c: f64,
    mean: f64,
    incremental: bool,
    value: f64,
    m2: f64,
    values: Vec<f64>,
    members: Vec<Sample>,
    /// The running sum or mean of histogram members (`sum`, `avg`).
    hist: Option<HistAccumulator>,
    has_float: bool,
    has_hist: bool,
    /// Two members' histograms could not be combined: no result.
    incompatible: bool,
}

/// Evaluates an aggregation at `t`.
pub(crate) fn eval_aggregate(
    ev: &mut Evaluator<'_>,
    a: &AggregateExpr,
    t: i64,
) -> Result<Value, EvalError> {
    let op = a.op.id();
    let mut param_f = None;
    let mut param_s = None;
    if let Some(p) = &a.param {
        match ev.eval(p, t)? {
            Value::Scalar(v) => param_f = Some(v),
            Value::String(s) => param_s = Some(s),
            other => {
                return Err(EvalError::eval(format!(
                    "expected scalar or string parameter, got {}",
                    other.type_name()
                )));
            }
        }
    }
    let input = ev.eval_vector(&a.expr, t)?;

    if op == T_COUNT_VALUES {
        return count_values(a, param_s.unwrap_or_default(), input, t);
    }

    let mut index = GroupIndex::new(ev.storage, &a.modifier);
    let mut groups: Vec<Group> = Vec::new();

    match op {
        T_TOPK | T_BOTTOMK | T_LIMITK => {
            let f = param_f.unwrap_or(f64::NAN);
            if f.is_nan() {
                return Err(EvalError::eval("Parameter value is NaN"));
            }
            let k = if f >= i64::MAX as f64 {
                i64::MAX
            } else if f <= i64::MIN as f64 {
                i64::MIN
            } else {
                f as i64
            };
            if k < 1 {
                return Ok(Value::Vector(Vec::new()));
            }
            let mut input = input;
            if op != T_LIMITK && input.iter().any(|s| s.h.is_some()) {
                ev.annotate(ignored_histogram(a));
                input.retain(|s| s.h.is_none());
            }
            let k = k.min(input.len() as i64) as usize;
            for s in input {
                let (i, new) = index.slot(&s.labels, &a.modifier);
                if new {
                    groups.push(Group::default());
                }
                groups[i].members.push(s);
            }
            let mut out = Vec::new();
            for g in groups {
                let mut members = g.members;
                match op {
                    T_TOPK => {
                        members.sort_by(|x, y| topk_cmp(x.v, y.v));
                        members.truncate(k);
                    }
                    T_BOTTOMK => {
                        members.sort_by(|x, y| bottomk_cmp(x.v, y.v));
                        members.truncate(k);
                    }
                    _ => members.truncate(k),
                }
                out.extend(members);
            }
            return Ok(Value::Vector(out));
        }
        T_LIMIT_RATIO => {
            let mut r = param_f.unwrap_or(f64::NAN);
            if r.is_nan() {
                return Err(EvalError::eval("Ratio value is NaN"));
            }
            if !(-1.0..=1.0).contains(&r) {
                let capped = r.clamp(-1.0, 1.0);
                ev.annotate(Annotation::warning(format!(
                    "ratio value should be between -1 and 1, got {}, capping to {}",
                    go_g(r),
                    go_g(capped)
                )));
                r = capped;
            }
            let out = input
                .into_iter()
                .filter(|s| {
                    let off = s.labels.prom_hash() as f64 / u64::MAX as f64;
                    (r >= 0.0 && off < r) || (r < 0.0 && off >= 1.0 + r)
                })
                .collect();
            return Ok(Value::Vector(out));
        }
        _ => {}
    }

    if op == T_QUANTILE {
        let q = param_f.unwrap_or(f64::NAN);
        if q.is_nan() || !(0.0..=1.0).contains(&q) {
            ev.annotate(Annotation::warning(format!(
                "quantile value should be between 0 and 1, got {}",
                go_g(q)
            )));
        }
    }

    for s in input {
        if s.h.is_some() && matches!(op, T_MIN | T_MAX | T_STDDEV | T_STDVAR | T_QUANTILE) {
            ev.annotate(ignored_histogram(a));
            continue;
        }
        let (i, new) = index.slot(&s.labels, &a.modifier);
        if new {
            groups.push(Group {
                labels: index.keys[i].clone(),
                sum: 0.0,
                value: s.v,
                mean: 0.0,
                ..Group::default()
            });
        }
        let g = &mut groups[i];
        g.count += 1;
        g.drop_name |= s.drop_name;
        if let Some(h) = &s.h {
            g.has_hist = true;
            if matches!(op, T_SUM | T_AVG) && !g.incompatible {
                let metric = s.labels.metric_name();
                let added = add_histogram(g, h, op == T_AVG);
                if g.hist
                    .as_ref()
                    .is_some_and(HistAccumulator::counter_reset_collision)
                {
                    ev.annotate(super::nativefns::counter_reset_collision("aggregation"));
                }
                match added {
                    Ok(true) => ev.annotate(super::nativefns::reconciled("aggregation")),
                    Ok(false) => {}
                    Err(()) => {
                        g.incompatible = true;
                        ev.annotate(Annotation::warning(format!(
                            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metric}\""
                        )));
                    }
                }
            }
            continue;
        }
        g.has_float = true;
        let v = s.v;
        match op {
            T_SUM => {
                let (ns, nc) = kahan_inc(v, g.sum, g.c);
                g.sum = ns;
                g.c = nc;
            }
            T_AVG => {
                let count = g.count as f64;
                if g.count == 1 {
                    g.sum = v;
                    g.c = 0.0;
                    continue;
                }
                if !g.incremental {
                    let (ns, nc) = kahan_inc(v, g.sum, g.c);
                    if !ns.is_infinite() {
                        g.sum = ns;
                        g.c = nc;
                        continue;
                    }
                    g.incremental = true;
                    g.mean = g.sum / (count - 1.0);
                    g.c /= count - 1.0;
                }
                let q = (count - 1.0) / count;
                let (m, c) = kahan_inc(v / count, q * g.mean, q * g.c);
                g.mean = m;
                g.c = c;
            }
            T_MAX => {
                if g.count > 1 && (g.value < v || g.value.is_nan()) {
                    g.value = v;
                }
            }
            T_MIN => {
                if g.count > 1 && (g.value > v || g.value.is_nan()) {
                    g.value = v;
                }
            }
            T_STDDEV | T_STDVAR => {
                if g.count == 1 {
                    g.mean = 0.0;
                    g.m2 = 0.0;
                }
                let delta = v - g.mean;
                g.mean += delta / g.count as f64;
                g.m2 += delta * (v - g.mean);
            }
            T_QUANTILE => g.values.push(v),
            T_COUNT | T_GROUP => {}
            _ => {
                return Err(EvalError::eval(format!(
                    "unsupported aggregation operator {}",
                    a.op
                )));
            }
        }
    }

    let mut out = Vec::with_capacity(groups.len());
    for mut g in groups {
        if matches!(op, T_SUM | T_AVG) && g.has_hist {
            if g.has_float {
                ev.annotate(Annotation::warning(
                    "encountered a mix of histograms and floats for aggregation",
                ));
                continue;
            }
            if g.incompatible {
                continue;
            }
            let Some(acc) = g.hist.take() else { continue };
            let mut h = if op == T_AVG { acc.mean() } else { acc.sum() };
            h.compact();
            let drop_name = g.drop_name && g.labels.get(super::labels::METRIC_NAME).is_some();
            out.push(Sample {
                labels: g.labels,
                t,
                v: 0.0,
                h: Some(std::sync::Arc::new(h)),
                drop_name,
            });
            continue;
        }
        let v = match op {
            T_SUM => {
                if g.sum.is_infinite() {
                    g.sum
                } else {
                    g.sum + g.c
                }
            }
            T_AVG => {
                if g.incremental {
                    g.mean + g.c
                } else {
                    let n = g.count as f64;
                    g.sum / n + g.c / n
                }
            }
            T_MAX | T_MIN => g.value,
            T_COUNT => g.count as f64,
            T_GROUP => 1.0,
            T_STDVAR => g.m2 / g.count as f64,
            T_STDDEV => (g.m2 / g.count as f64).sqrt(),
            T_QUANTILE => quantile(param_f.unwrap_or(f64::NAN), &mut g.values),
            _ => f64::NAN,
        };
        let drop_name = g.drop_name && g.labels.get(super::labels::METRIC_NAME).is_some();
        out.push(Sample {
            labels: g.labels,
            t,
            v,
            h: None,
            drop_name,
        });
    }
    Ok(Value::Vector(out))
}

/// `ignored histogram in <op> aggregation` (an info).
fn ignored_histogram(a: &AggregateExpr) -> Annotation {
    Annotation::info(format!("ignored histogram in {} aggregation", a.op))
}

/// Adds histogram member `h` to the group's compensated running sum, or
/// for `avg` to its mean ([`HistAccumulator`]). Returns whether custom
/// buckets were reconciled.
fn add_histogram(g: &mut Group, h: &FloatHistogram, avg: bool) -> Result<bool, ()> {
    let Some(acc) = g.hist.as_mut() else {
        if !g.has_float || g.count == 1 {
            g.hist = Some(HistAccumulator::new(h));
        }
        return Ok(false);
    };
    let step = if avg { acc.add_to_mean(h) } else { acc.add(h) };
    step.map_err(|_| ())
}

/// Descending with NaN last (topk order).
fn topk_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    }
}

/// Ascending with NaN last (bottomk order).
fn bottomk_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn count_values(
    a: &AggregateExpr,
    label: String,
    input: Vec<Sample>,
    t: i64,
) -> Result<Value, EvalError> {
    if !is_valid_label_name(&label) {
        return Err(EvalError::eval(format!(
            "invalid label name {}",
            crate::go::quote::quote(&label)
        )));
    }
    let mut order: Vec<Labels> = Vec::new();
    let mut counts: HashMap<Labels, usize> = HashMap::new();
    for s in input {
        // A histogram counts under its `String()` form, as Prometheus'
        // aggregation of count_values.
        let value = match &s.h {
            Some(h) => h.display(),
            None => crate::go::float::format_f_shortest(s.v),
        };
        let mut l = s.labels.clone();
        l.set(label.clone(), value.clone());
        let key = match &a.modifier {
            None => Labels::from_pairs([(label.clone(), value)]),
            Some(LabelModifier::Include(by)) => {
                let mut names = by.labels.clone();
                names.push(label.clone());
                l.keep_only(&names)
            }
            Some(LabelModifier::Exclude(w)) => l.drop_all(&w.labels).without_name(),
        };
        let c = counts.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            0
        });
        *c += 1;
    }
    Ok(Value::Vector(
        order
            .into_iter()
            .map(|k| {
                let v = counts.get(&k).copied().unwrap_or(0) as f64;
                Sample {
                    labels: k,
                    t,
                    v,
                    h: None,
                    drop_name: false,
                }
            })
            .collect(),
    ))
}

/// Label names Prometheus 3 accepts: any non-empty valid UTF-8 string (a
/// string literal with escapes such as `"\xff"` is not, see
/// [`crate::go::quote::has_raw_bytes`]).
pub fn is_valid_label_name(s: &str) -> bool {
    !s.is_empty() && !crate::go::quote::has_raw_bytes(s)
}

/// Formats a float like Go's `%g`.
pub fn go_g(v: f64) -> String {
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
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..21).contains(&exp) {
        let s = format!("{v:e}");
        // Rust: 1e21, 1.5e-5 ; Go: 1e+21, 1.5e-05
        if let Some((m, e)) = s.split_once('e') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            let digits = if digits.len() < 2 {
                format!("0{digits}")
            } else {
                digits.to_string()
            };
            return format!("{m}e{sign}{digits}");
        }
        s
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Engine, Labels, Storage, Value};

    fn sum_at(st: &Storage, q: &str, t: i64) -> Vec<(Labels, f64)> {
        match Engine::default().instant_query(st, q, t) {
            Ok(Value::Vector(v)) => v.into_iter().map(|s| (s.labels, s.v)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn group_keys_are_shared_across_evaluations_and_groupings_kept_apart() {
        let mut st = Storage::new();
        for (pod, job) in [("p0", "a"), ("p1", "a"), ("p2", "b")] {
            let l = Labels::from_pairs([("__name__", "up"), ("job", job), ("pod", pod)]);
            st.append(&l, 0, 1.0);
            st.append(&l, 60_000, 2.0);
        }
        let first = sum_at(&st, "sum by (job) (up)", 0);
        let again = sum_at(&st, "sum by (job) (up)", 60_000);
        assert_eq!(
            first
                .iter()
                .map(|(l, v)| (l.to_string(), *v))
                .collect::<Vec<_>>(),
            [
                (r#"{job="a"}"#.to_string(), 2.0),
                (r#"{job="b"}"#.to_string(), 1.0)
            ]
        );
        assert_eq!(again[0].1, 4.0);
        assert!(first[0].0.ptr_eq(&again[0].0), "one shared key per group");
        // Other groupings of the same series get their own keys.
        let by_pod = sum_at(&st, "sum by (pod) (up)", 0);
        assert_eq!(by_pod.len(), 3);
        assert_eq!(by_pod[0].0.to_string(), r#"{pod="p0"}"#);
        let without = sum_at(&st, "sum without (pod) (up)", 0);
        assert_eq!(without[0].0.to_string(), r#"{job="a"}"#);
        assert!(!without[0].0.ptr_eq(&first[0].0));
        // A nested aggregation (the memo held by the outer one) still works.
        let nested = sum_at(&st, "count by (job) (sum by (job, pod) (up))", 0);
        assert_eq!(nested[0].1, 2.0);
    }
}
