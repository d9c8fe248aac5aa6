//! Output label inference: which label sets the series of an expression's
//! result can carry, with the values known from equality matchers.
//!
//! An expression has one or more *alternative* label sets (`a or b` has
//! both sides'). Each set lists label names with what is known about their
//! values, and says whether it is *closed* (no other label can appear, e.g.
//! after `sum by (job)`) or *open* (a selector's series may carry any other
//! label). Semantics follow Prometheus' engine (promql/engine.go
//! `resultMetric`, aggregations, functions.go for label functions).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::marker::PhantomData;

use super::analysis::{op_str, returns_input_series};
use super::ast::{Expr, LabelModifier, MatchOp, VectorMatchCardinality};
use crate::go::regex::literal_alternatives;

/// Most alternatives kept for one expression (cross products are capped).
pub const MAX_ALTERNATIVES: usize = 32;

/// What is known about a label's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// One of these values (from `=` or a literal `=~"a|b"` matcher).
    OneOf(BTreeSet<String>),
    /// Any value (unknown, templated or computed).
    Any,
}

impl Value {
    /// The values either side allows (merging two alternatives' knowledge).
    pub fn union(&self, other: &Value) -> Value {
        match (self, other) {
            (Value::OneOf(a), Value::OneOf(b)) => Value::OneOf(a.union(b).cloned().collect()),
            _ => Value::Any,
        }
    }

    /// True when `v` is a possible value.
    pub fn allows(&self, v: &str) -> bool {
        match self {
            Value::OneOf(set) => set.contains(v),
            Value::Any => true,
        }
    }
}

/// What is known about one label of the series (or alerts) a [`LabelSet`]
/// describes: the one answer PromQL analysis (vector matching) and routing
/// (matchers, inhibit `equal`) share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Never present (removed, not produced, or only ever `""`).
    Absent,
    /// Present with one of these (non-empty) values.
    Values(BTreeSet<String>),
    /// Present, value unknown (named in `by`, templated, computed).
    Present,
    /// May be absent or carry any value (an open selector's other labels).
    Maybe,
}

impl Known {
    /// Whether two series (or alerts) known this way can carry the same
    /// value of the label, absent on both counting as equal: the test of
    /// vector matching on a label and of an inhibit rule's `equal`.
    pub fn can_agree(&self, other: &Known) -> bool {
        match (self, other) {
            (Known::Maybe, _) | (_, Known::Maybe) => true,
            (Known::Absent, Known::Absent) => true,
            (Known::Absent, _) | (_, Known::Absent) => false,
            (Known::Values(a), Known::Values(b)) => a.intersection(b).next().is_some(),
            _ => true,
        }
    }

    /// For messages: `absent`, `unknown`, `present`, or the values
    /// (`"a" or "b"`).
    pub fn describe(&self) -> String {
        match self {
            Known::Absent => "absent".into(),
            Known::Maybe => "unknown".into(),
            Known::Present => "present".into(),
            Known::Values(v) => {
                let v: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
                v.join(" or ")
            }
        }
    }
}

/// One possible label set of an expression's result series.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSet {
    /// Labels known to be present, with their possible values.
    pub labels: BTreeMap<String, Value>,
    /// Labels known to be absent (removed by `without`, `ignoring`, `on`, …)
    /// even on an open set.
    pub absent: BTreeSet<String>,
    /// True when no label other than `labels` can appear.
    pub closed: bool,
    /// Values a label cannot take, from `!=` and literal `!~"a|b"`
    /// matchers (the label may still be absent).
    pub excluded: BTreeMap<String, BTreeSet<String>>,
    /// An anchored regex (RE2, as written in a `=~` matcher that is not a
    /// literal alternation) the label's value matches.
    pub patterns: BTreeMap<String, String>,
}

impl LabelSet {
    /// A closed, empty label set (scalars, `vector(1)`, `sum(x)`).
    pub fn empty() -> LabelSet {
        LabelSet {
            closed: true,
            ..LabelSet::default()
        }
    }

    /// Whether label `name` can be present on the series.
    pub fn may_have(&self, name: &str) -> bool {
        self.labels.contains_key(name) || (!self.closed && !self.absent.contains(name))
    }

    /// What is known about label `name` on the series this set describes.
    /// An empty value is no label (Prometheus drops empty labels and
    /// Alertmanager treats `""` as absent), so `OneOf({""})` is
    /// [`Known::Absent`] and `""` is dropped from other alternatives.
    pub fn known(&self, name: &str) -> Known {
        match self.labels.get(name) {
            Some(Value::OneOf(v)) => {
                let v: BTreeSet<String> = v.iter().filter(|x| !x.is_empty()).cloned().collect();
                if v.is_empty() {
                    Known::Absent
                } else {
                    Known::Values(v)
                }
            }
            Some(Value::Any) => Known::Present,
            None if self.may_have(name) => Known::Maybe,
            None => Known::Absent,
        }
    }

    fn remove(&mut self, name: &str) {
        self.labels.remove(name);
        self.excluded.remove(name);
        self.patterns.remove(name);
        self.absent.insert(name.to_string());
    }

    /// Sets label `name` to `value` (a label written by the expression:
    /// `label_replace`, `group_left`, `count_values`), forgetting what the
    /// selectors said about it.
    fn set(&mut self, name: &str, value: Value) {
        self.absent.remove(name);
        self.excluded.remove(name);
        self.patterns.remove(name);
        self.labels.insert(name.to_string(), value);
    }

    fn keep_only(&mut self, names: &[String]) {
        self.labels.retain(|k, _| names.contains(k));
        self.excluded.retain(|k, _| names.contains(k));
        self.patterns.retain(|k, _| names.contains(k));
        // Labels kept by name but not known to be present may still appear.
        for n in names {
            if !self.labels.contains_key(n) && !self.closed && !self.absent.contains(n) {
                self.labels.insert(n.clone(), Value::Any);
            }
        }
        self.closed = true;
        self.absent.clear();
    }
}

/// The possible label sets of `expr`'s result (at least one).
///
/// One pass per call, memoised per node ([`Labeller`], which lints asking
/// about many sub-expressions of one expression share); every node's alternatives are capped at
/// [`MAX_ALTERNATIVES`] as they are built (an `a or b or …` chain would
/// otherwise hold a quadratic number of sets).
pub fn output_labels(expr: &Expr) -> Vec<LabelSet> {
    Labeller::new(expr).output_labels(expr)
}

fn selector(vs: &super::ast::VectorSelector) -> LabelSet {
    let mut set = LabelSet {
        closed: false,
        ..LabelSet::default()
    };
    if let Some(name) = &vs.name {
        set.labels
            .insert("__name__".into(), Value::OneOf([name.clone()].into()));
    }
    if let Some(own) = vs.name.as_deref().and_then(workload_label) {
        // kube-state-metrics: `kube_statefulset_*` series always carry
        // `statefulset`, and never another workload kind's label.
        set.patterns.insert(own.into(), ".+".into());
        for other in WORKLOAD_LABELS.iter().filter(|l| **l != own) {
            set.absent.insert((*other).into());
        }
    }
    for m in &vs.matchers.matchers {
        let value = match &m.op {
            MatchOp::Equal if m.value.is_empty() => {
                // `x=""` means the label is absent.
                set.absent.insert(m.name.clone());
                continue;
            }
            MatchOp::Equal => Value::OneOf([m.value.clone()].into()),
            MatchOp::Re(_) => match literal_alternatives(&m.value) {
                Some(alts) if !alts.iter().any(String::is_empty) => {
                    Value::OneOf(alts.into_iter().collect())
                }
                Some(_) => continue,
                None => {
                    // Only a pattern that cannot match "" proves presence.
                    if !regex_matches(&m.value, "") {
                        set.patterns.insert(m.name.clone(), m.value.clone());
                    }
                    continue;
                }
            },
            MatchOp::NotEqual if !m.value.is_empty() => {
                set.excluded
                    .entry(m.name.clone())
                    .or_default()
                    .insert(m.value.clone());
                continue;
            }
            MatchOp::NotRe(_) => {
                if let Some(alts) = literal_alternatives(&m.value) {
                    set.excluded
                        .entry(m.name.clone())
                        .or_default()
                        .extend(alts.into_iter().filter(|a| !a.is_empty()));
                }
                continue;
            }
            _ => continue,
        };
        set.labels.insert(m.name.clone(), value);
    }
    set
}

/// The labels kube-state-metrics puts on the series of one workload kind
/// (`kube_deployment_*` → `deployment`, in its internal/store/*.go), which
/// no other kind's series carry.
pub const WORKLOAD_LABELS: [&str; 4] = ["deployment", "statefulset", "daemonset", "replicaset"];

/// The workload label every series of kube-state-metrics metric `name`
/// carries (`kube_statefulset_status_replicas` → `statefulset`), or `None`
/// for other metrics.
pub fn workload_label(name: &str) -> Option<&'static str> {
    let rest = name.strip_prefix("kube_")?;
    WORKLOAD_LABELS
        .iter()
        .find(|l| rest.strip_prefix(**l).is_some_and(|r| r.starts_with('_')))
        .copied()
}

fn map_all(sets: Vec<LabelSet>, f: impl Fn(&mut LabelSet)) -> Vec<LabelSet> {
    sets.into_iter()
        .map(|mut s| {
            f(&mut s);
            s
        })
        .collect()
}

/// Output label inference over one expression, memoised per node: the
/// label sets of every sub-expression are computed at most once, so that a
/// lint asking about every operator of an `a + b + …` chain does linear,
/// not quadratic, work. Nodes are keyed by address, valid while the
/// expression is borrowed (`'a`).
pub struct Labeller<'a> {
    /// Nodes that are scalars: number literals, `scalar()`, `time()`,
    /// `pi()`, and parentheses, signs and binary operators over scalars only.
    scalars: HashSet<*const Expr>,
    memo: RefCell<HashMap<*const Expr, Vec<LabelSet>>>,
    _root: PhantomData<&'a Expr>,
}

impl<'a> Labeller<'a> {
    /// Prepares inference for `root` and its sub-expressions (scalar-ness
    /// computed bottom-up, once per node, without recursion).
    pub fn new(root: &'a Expr) -> Labeller<'a> {
        let mut set = HashSet::new();
        for e in super::analysis::post_order(root) {
            let yes = match e {
                Expr::NumberLiteral(_) => true,
                Expr::Paren(p) => set.contains(&(p.expr.as_ref() as *const Expr)),
                Expr::Unary(u) => set.contains(&(u.expr.as_ref() as *const Expr)),
                Expr::Binary(b) => {
                    set.contains(&(b.lhs.as_ref() as *const Expr))
                        && set.contains(&(b.rhs.as_ref() as *const Expr))
                }
                Expr::Call(c) => matches!(c.func.name, "scalar" | "time" | "pi"),
                _ => false,
            };
            if yes {
                set.insert(e as *const Expr);
            }
        }
        Labeller {
            scalars: set,
            memo: RefCell::new(HashMap::new()),
            _root: PhantomData,
        }
    }

    /// [`output_labels`] of `e`, a sub-expression of the root (or the root).
    pub fn output_labels(&self, e: &'a Expr) -> Vec<LabelSet> {
        let mut out = infer(self, e);
        if out.is_empty() {
            out.push(LabelSet::empty());
        }
        out
    }

    fn contains(&self, e: &Expr) -> bool {
        self.scalars.contains(&(e as *const Expr))
    }
}

fn infer(sc: &Labeller, expr: &Expr) -> Vec<LabelSet> {
    let key = expr as *const Expr;
    if let Some(hit) = sc.memo.borrow().get(&key) {
        return hit.clone();
    }
    let mut out = infer_node(sc, expr);
    out.truncate(MAX_ALTERNATIVES);
    sc.memo.borrow_mut().insert(key, out.clone());
    out
}

fn infer_node(sc: &Labeller, expr: &Expr) -> Vec<LabelSet> {
    match expr {
        Expr::VectorSelector(vs) => vec![selector(vs)],
        Expr::MatrixSelector(ms) => vec![selector(&ms.vs)],
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => vec![LabelSet::empty()],
        Expr::Paren(p) => infer(sc, &p.expr),
        Expr::Subquery(s) => infer(sc, &s.expr),
        Expr::Unary(u) => map_all(infer(sc, &u.expr), |s| s.remove("__name__")),
        Expr::Aggregate(a) => {
            let op = op_str(&a.op);
            let inner = infer(sc, &a.expr);
            if returns_input_series(&op) {
                // These return input series (with all their labels) selected per group.
                return inner;
            }
            let kept = match &a.modifier {
                Some(LabelModifier::Include(l)) => {
                    let names = l.labels.clone();
                    map_all(inner, |s| {
                        s.keep_only(&names);
                    })
                }
                Some(LabelModifier::Exclude(l)) => {
                    let names = l.labels.clone();
                    map_all(inner, |s| {
                        for n in &names {
                            s.remove(n);
                        }
                        s.remove("__name__");
                    })
                }
                None => vec![LabelSet::empty()],
            };
            match op.as_str() {
                "count_values" => {
                    let label = match a.param.as_deref() {
                        Some(Expr::StringLiteral(s)) => s.val.clone(),
                        _ => return kept,
                    };
                    map_all(kept, |s| s.set(&label, Value::Any))
                }
                _ => kept,
            }
        }
        Expr::Call(c) => call(sc, c),
        Expr::Binary(b) => binary(sc, b),
    }
}

fn call(sc: &Labeller, c: &super::ast::Call) -> Vec<LabelSet> {
    let args = &c.args.args;
    let first = || {
        args.first()
            .map(|a| infer(sc, a))
            .unwrap_or_else(|| vec![LabelSet::empty()])
    };
    match c.func.name {
        "vector" | "scalar" | "time" | "pi" => vec![LabelSet::empty()],
        "absent" | "absent_over_time" => {
            // The result carries the equality matchers' labels of the selector.
            let mut set = LabelSet::empty();
            if let Some(Expr::VectorSelector(vs))
            | Some(Expr::MatrixSelector(super::ast::MatrixSelector { vs, .. })) =
                args.first().map(|a| a.as_ref())
            {
                for m in &vs.matchers.matchers {
                    if matches!(m.op, MatchOp::Equal) && m.name != "__name__" && !m.value.is_empty()
                    {
                        set.labels
                            .insert(m.name.clone(), Value::OneOf([m.value.clone()].into()));
                    }
                }
            }
            vec![set]
        }
        "label_replace" | "label_join" => {
            let dst = match args.get(1).map(|a| a.as_ref()) {
                Some(Expr::StringLiteral(s)) => s.val.clone(),
                _ => return first(),
            };
            let literal = match (c.func.name, args.get(2).map(|a| a.as_ref())) {
                ("label_replace", Some(Expr::StringLiteral(r))) if !r.val.contains('$') => {
                    Some(r.val.clone())
                }
                _ => None,
            };
            map_all(first(), |s| {
                let v = match &literal {
                    Some(l) if l.is_empty() => {
                        s.remove(&dst);
                        s.absent.remove(&dst);
                        return;
                    }
                    Some(l) => Value::OneOf([l.clone()].into()),
                    None => Value::Any,
                };
                s.set(&dst, v);
            })
        }
        "histogram_quantile" | "histogram_fraction" => {
            let data = args
                .last()
                .map(|a| infer(sc, a))
                .unwrap_or_else(|| vec![LabelSet::empty()]);
            map_all(data, |s| {
                s.remove("le");
                s.remove("__name__");
            })
        }
        // Functions that keep the metric name: they return the input samples.
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" | "last_over_time"
        | "first_over_time" | "timestamp" => first(),
        _ => {
            // Every other function returns values computed from one vector
            // argument and drops the metric name.
            let vector_arg = args
                .iter()
                .find(|a| !matches!(a.as_ref(), Expr::NumberLiteral(_) | Expr::StringLiteral(_)));
            match vector_arg {
                Some(a) => map_all(infer(sc, a), |s| s.remove("__name__")),
                None => vec![LabelSet::empty()],
            }
        }
    }
}

fn binary(sc: &Labeller, b: &super::ast::BinaryExpr) -> Vec<LabelSet> {
    let op = op_str(&b.op);
    let comparison = b.op.is_comparison_operator();
    let drops_name = !comparison || b.return_bool();
    let fix_name = |mut sets: Vec<LabelSet>| {
        if drops_name {
            for s in &mut sets {
                s.remove("__name__");
            }
        }
        sets
    };
    let (ls, rs) = (sc.contains(&b.lhs), sc.contains(&b.rhs));
    if ls && rs {
        return vec![LabelSet::empty()];
    }
    if rs {
        return fix_name(infer(sc, &b.lhs));
    }
    if ls {
        return fix_name(infer(sc, &b.rhs));
    }
    let (lhs, rhs) = (infer(sc, &b.lhs), infer(sc, &b.rhs));
    match op.as_str() {
        "or" => {
            let mut out = lhs;
            out.extend(rhs);
            out
        }
        "and" | "unless" => lhs,
        _ => {
            let modifier = b.modifier.as_ref();
            let card = modifier.map(|m| &m.card);
            let matching = modifier.and_then(|m| m.matching.as_ref());
            let mut out = Vec::new();
            let (base, other) = match card {
                Some(VectorMatchCardinality::OneToMany(_)) => (&rhs, &lhs),
                _ => (&lhs, &rhs),
            };
            for l in base {
                for r in other {
                    let mut s = l.clone();
                    if drops_name {
                        s.remove("__name__");
                    }
                    match card {
                        Some(
                            VectorMatchCardinality::ManyToOne(include)
                            | VectorMatchCardinality::OneToMany(include),
                        ) => {
                            // group_left/right(include): those labels come from the "one" side.
                            for n in &include.labels {
                                let v = match r.known(n) {
                                    Known::Absent => {
                                        s.remove(n);
                                        continue;
                                    }
                                    Known::Values(v) => Value::OneOf(v),
                                    Known::Present | Known::Maybe => Value::Any,
                                };
                                s.set(n, v);
                            }
                        }
                        _ => match matching {
                            Some(LabelModifier::Include(on)) => s.keep_only(&on.labels),
                            Some(LabelModifier::Exclude(ignoring)) => {
                                for n in &ignoring.labels {
                                    s.remove(n);
                                }
                            }
                            None => {}
                        },
                    }
                    out.push(s);
                    if out.len() >= MAX_ALTERNATIVES {
                        return out;
                    }
                }
            }
            out
        }
    }
}

/// Whether PromQL's anchored regex `re` (as a `=~` matcher compiles it,
/// Go's RE2 syntax) matches `value`; a regex that does not compile matches
/// everything (the expression does not parse then anyway).
fn regex_matches(re: &str, value: &str) -> bool {
    crate::go::regex::compile_promql_cached(re).is_none_or(|r| r.is_match(value))
}

/// The literal text every match of anchored regex `re` starts with: the
/// characters before its first metacharacter; empty when the pattern has a
/// top-level alternation or flags, where no such prefix is sure.
fn literal_prefix(re: &str) -> &str {
    if re.contains('|') || re.starts_with("(?") {
        return "";
    }
    let end = re
        .find(|c: char| "\\.+*?()|[]{}^$".contains(c))
        .unwrap_or(re.len());
    // A quantifier applies to the last literal character: drop it.
    match re[end..].chars().next() {
        Some('*' | '?' | '{') => &re[..re[..end].char_indices().last().map_or(0, |(i, _)| i)],
        _ => &re[..end],
    }
}

/// True when no series of one expression's result can carry the same
/// labels as a series of the other's: for every pair of alternatives some
/// label (not skipped by `ignore`) has known values on one side and cannot
/// be present on the other, or has known values on both sides that do not
/// overlap (`up{job="a"}` and `up{job="b"}`).
pub fn disjoint(a: &[LabelSet], b: &[LabelSet], ignore: &dyn Fn(&str) -> bool) -> bool {
    let pair_disjoint = |x: &LabelSet, y: &LabelSet| {
        let one_way = |x: &LabelSet, y: &LabelSet| {
            x.labels.iter().any(|(name, xv)| {
                if ignore(name) {
                    return false;
                }
                // `by (l)` lists labels that may be absent: only values known
                // from matchers prove presence.
                match (xv, y.known(name)) {
                    (Value::OneOf(_), Known::Absent) => true,
                    (Value::OneOf(s1), Known::Values(s2)) => s1.is_disjoint(&s2),
                    // `proxy="a"` against `proxy!~"a|b"`, or a value no
                    // pattern of the other side matches (`job="web"`
                    // against `job=~"api-.*"`).
                    (Value::OneOf(s1), _) => {
                        y.excluded.get(name).is_some_and(|ex| s1.is_subset(ex))
                            || y.patterns
                                .get(name)
                                .is_some_and(|re| s1.iter().all(|v| !regex_matches(re, v)))
                    }
                    // `sum by (model) (…)` against `sum(…)`: a label the
                    // aggregation names against a set that cannot carry it.
                    (Value::Any, Known::Absent) => y.closed,
                    _ => false,
                }
            })
        };
        // A label one side's pattern proves present (`statefulset` on
        // kube-state-metrics' StatefulSet series) that the other lacks.
        let present_absent = |x: &LabelSet, y: &LabelSet| {
            x.patterns.iter().any(|(name, re)| {
                !ignore(name) && !regex_matches(re, "") && y.known(name) == Known::Absent
            })
        };
        if present_absent(x, y) || present_absent(y, x) {
            return true;
        }
        // Two anchored patterns whose literal prefixes diverge (`code=~"2.."`
        // and `code=~"3.."`) match no common value.
        let patterns_diverge = x.patterns.iter().any(|(name, a)| {
            !ignore(name)
                && y.patterns.get(name).is_some_and(|b| {
                    let (pa, pb) = (literal_prefix(a), literal_prefix(b));
                    !pa.is_empty() && !pb.is_empty() && !pa.starts_with(pb) && !pb.starts_with(pa)
                })
        });
        one_way(x, y) || one_way(y, x) || patterns_diverge
    };
    a.iter().all(|x| b.iter().all(|y| pair_disjoint(x, y)))
}

/// Where a label list names a label the series there cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedUse {
    /// `by (l)` of an aggregation whose input never has `l`: every input
    /// series falls into the one group without it.
    AggregationBy,
    /// `on (l)` of a binary operation neither of whose sides has `l`: the
    /// sides match on nothing.
    MatchingOn,
    /// `group_left (l)` / `group_right (l)` whose "one" side never has
    /// `l`: Prometheus copies nothing, and drops `l` from the result
    /// (promql/engine.go `resultMetric`).
    GroupInclude,
}

/// A label of a `by`, `on` or `group_left`/`group_right` list that no
/// series reaching it can carry, because an inner aggregation, `without`,
/// `on` or an `x=""` matcher removed it (pint's `promql/impossible`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedLabel {
    /// The label.
    pub label: String,
    /// Which list names it.
    pub used_in: RemovedUse,
    /// The aggregation operator (`sum`) or binary operator (`/`), for messages.
    pub op: String,
    /// Byte span of the label's name in its list.
    pub span: Option<super::ast::Span>,
}

/// Every label of a `by (…)`, `on (…)` or `group_left/right (…)` list that
/// is absent from every alternative label set of the operand(s) it applies
/// to (see [`RemovedUse`]), in walk order. Only provable absence counts:
/// a selector's open label set never makes a label absent. Inference is
/// memoised per node ([`Labeller`]), so the check stays linear in the
/// expression's size however many lists it has.
pub fn removed_labels_used(expr: &Expr) -> Vec<RemovedLabel> {
    let absent_all = |sets: &[LabelSet], l: &str| sets.iter().all(|s| s.known(l) == Known::Absent);
    let lab = Labeller::new(expr);
    let mut out = Vec::new();
    super::analysis::walk(expr, &mut |e| match e {
        Expr::Aggregate(a) => {
            let Some(LabelModifier::Include(by)) = &a.modifier else {
                return;
            };
            if by.labels.is_empty() {
                return;
            }
            let inner = lab.output_labels(&a.expr);
            for (i, l) in by.labels.iter().enumerate() {
                if absent_all(&inner, l) {
                    out.push(RemovedLabel {
                        label: l.clone(),
                        used_in: RemovedUse::AggregationBy,
                        op: op_str(&a.op),
                        span: by.spans.get(i).copied(),
                    });
                }
            }
        }
        Expr::Binary(b) => {
            let Some(m) = &b.modifier else { return };
            let empty = super::ast::Labels::default();
            let on = match &m.matching {
                Some(LabelModifier::Include(on)) => on,
                _ => &empty,
            };
            let include = match &m.card {
                VectorMatchCardinality::ManyToOne(l) | VectorMatchCardinality::OneToMany(l) => l,
                _ => &empty,
            };
            if on.is_empty() && include.is_empty() {
                return;
            }
            if lab.contains(&b.lhs) || lab.contains(&b.rhs) {
                return;
            }
            let (lhs, rhs) = (lab.output_labels(&b.lhs), lab.output_labels(&b.rhs));
            let op = op_str(&b.op);
            for (i, l) in on.labels.iter().enumerate() {
                if absent_all(&lhs, l) && absent_all(&rhs, l) {
                    out.push(RemovedLabel {
                        label: l.clone(),
                        used_in: RemovedUse::MatchingOn,
                        op: op.clone(),
                        span: on.spans.get(i).copied(),
                    });
                }
            }
            let one = match &m.card {
                VectorMatchCardinality::OneToMany(_) => &lhs,
                _ => &rhs,
            };
            for (i, l) in include.labels.iter().enumerate() {
                if absent_all(one, l) {
                    out.push(RemovedLabel {
                        label: l.clone(),
                        used_in: RemovedUse::GroupInclude,
                        op: op.clone(),
                        span: include.spans.get(i).copied(),
                    });
                }
            }
        }
        _ => {}
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::parse;

    fn labels(e: &str) -> Vec<LabelSet> {
        output_labels(&parse(e).unwrap())
    }

    fn one(v: &str) -> Value {
        Value::OneOf([v.to_string()].into())
    }

    #[test]
    fn labels_used_after_they_were_removed() {
        let used = |e: &str| {
            removed_labels_used(&parse(e).unwrap())
                .into_iter()
                .map(|r| (r.label, r.used_in))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            used("sum by (job) (sum by (instance) (rate(x_total[5m])))"),
            [("job".to_string(), RemovedUse::AggregationBy)]
        );
        assert_eq!(
            used("count by (node) (count by (gpu) (DCGM_FI_DEV_GPU_UTIL))"),
            [("node".to_string(), RemovedUse::AggregationBy)]
        );
        assert_eq!(
            used(
                "sum by (job) (rate(a_total[5m])) / on (instance) sum by (job) (rate(b_total[5m]))"
            ),
            [("instance".to_string(), RemovedUse::MatchingOn)]
        );
        assert_eq!(
            used(
                "sum by (job) (rate(a_total[5m])) * on (job) group_left (team) sum by (job) (team_info)"
            ),
            [("team".to_string(), RemovedUse::GroupInclude)]
        );
        // What the operands can carry is not flagged.
        for e in [
            "sum by (job) (rate(x_total[5m]))",
            "sum by (job) (sum by (job, instance) (rate(x_total[5m])))",
            "max by (pod) (label_replace(sum by (container) (x), \"pod\", \"$1\", \"container\", \"(.*)\"))",
            "sum by (job) (rate(a_total[5m])) / on (job) sum by (job) (rate(b_total[5m]))",
            "a * on (job) group_left (team) team_info",
            "sum by (job) (a) * on (job) group_left (team) max by (job, team) (team_info)",
            "sum by (cluster) (job:up:sum)",
            "sum by (job) (a or sum by (instance) (b))",
        ] {
            assert!(used(e).is_empty(), "{e}: {:?}", used(e));
        }
    }

    #[test]
    fn kube_state_metrics_series_carry_their_workload_label_only() {
        assert_eq!(
            workload_label("kube_statefulset_status_replicas"),
            Some("statefulset")
        );
        assert_eq!(
            workload_label("kube_deployment_spec_replicas"),
            Some("deployment")
        );
        assert_eq!(workload_label("kube_pod_info"), None);
        assert_eq!(workload_label("kube_deploymentx_y"), None);
        let s = &labels("kube_daemonset_status_number_ready")[0];
        assert_eq!(s.known("deployment"), Known::Absent);
        assert_eq!(s.known("daemonset"), Known::Maybe);
        assert!(s.patterns.contains_key("daemonset"));
        let ignore_name = |l: &str| l == "__name__";
        assert!(disjoint(
            &labels("kube_daemonset_status_number_ready"),
            &labels("kube_deployment_status_replicas"),
            &ignore_name
        ));
        assert!(!disjoint(
            &labels("kube_daemonset_status_number_ready"),
            &labels("up"),
            &ignore_name
        ));
    }

    #[test]
    fn selectors_carry_equality_values_and_stay_open() {
        let s = &labels("up{job=\"gpu\", env=~\"prod|staging\", pod!=\"x\"}")[0];
        assert_eq!(s.labels.get("job"), Some(&one("gpu")));
        assert_eq!(
            s.labels.get("env"),
            Some(&Value::OneOf(
                ["prod".to_string(), "staging".to_string()].into()
            ))
        );
        assert!(!s.closed && s.may_have("anything"));
    }

    #[test]
    fn aggregations_close_or_remove_labels() {
        let s = &labels("sum by (model) (rate(x{model=\"bert\", pod=\"a\"}[5m]))")[0];
        assert!(s.closed);
        assert_eq!(s.known("model"), Known::Values(["bert".to_string()].into()));
        assert_eq!(s.known("pod"), Known::Absent);
        let s = &labels("sum without (pod) (x{job=\"a\"})")[0];
        assert!(!s.may_have("pod") && !s.may_have("__name__") && s.may_have("instance"));
        assert!(labels("sum(x)")[0].labels.is_empty() && labels("sum(x)")[0].closed);
        assert!(
            labels("topk(3, x{job=\"a\"})")[0]
                .labels
                .contains_key("__name__")
        );
    }

    #[test]
    fn binary_operations_follow_result_metric() {
        // Comparison without bool keeps the name; arithmetic drops it.
        assert!(labels("x > 1")[0].labels.contains_key("__name__"));
        assert!(!labels("x * 2")[0].may_have("__name__"));
        // One-to-one with on(): only the on labels remain.
        let s = &labels("a{job=\"j\"} / on (gpu) b")[0];
        assert!(s.closed && s.may_have("gpu") && !s.may_have("job"));
        // group_left(model) brings model from the right side.
        let s = &labels("a / on (gpu) group_left (model) b{model=\"llama\"}")[0];
        assert_eq!(
            s.known("model"),
            Known::Values(["llama".to_string()].into())
        );
        // or: alternatives from both sides.
        assert_eq!(labels("a{t=\"1\"} or b{t=\"2\"}").len(), 2);
    }

    #[test]
    fn functions() {
        let s = &labels("label_replace(up, \"team\", \"ml\", \"\", \"\")")[0];
        assert_eq!(s.known("team"), Known::Values(["ml".to_string()].into()));
        let s = &labels("absent(up{job=\"trainer\"})")[0];
        assert!(s.closed);
        assert_eq!(
            s.known("job"),
            Known::Values(["trainer".to_string()].into())
        );
        let s = &labels("histogram_quantile(0.9, sum by (le, model) (rate(x_bucket[5m])))")[0];
        assert!(s.closed && s.may_have("model") && !s.may_have("le"));
        assert!(!labels("rate(x[5m])")[0].may_have("__name__"));
        assert!(labels("vector(1)")[0].labels.is_empty());
    }
}
