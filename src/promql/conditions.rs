//! What makes an alert expression a condition: a filtering comparison
//! (`> 0.9`, without `bool`), a set filter (`and`, `unless`), `absent()`,
//! a heartbeat that reads no series (`vector(1)`), or `ALERTS` (alerts on
//! alerts already passed a condition).
//!
//! And what a condition can let through: the values each part of an
//! expression can take ([`values`], on [`super::intervals`]), the filters
//! that can never pass ([`dead_filters`]: `x == 0 > 0`, `count(x) == 0`,
//! `absent(x) == 0`, `up > 1`), and the fallbacks that make an expression
//! return a series on every evaluation ([`always_returns`]: `… or
//! vector(1)`).

use super::analysis::{is_constant, op_str, selector_name, walk};
use super::ast::{Expr, ValueType};
use super::intervals::{Cmp, ValueSet};

/// True when some part of `expr` filters series, so that the alert fires
/// only for some series or some of the time.
pub fn has_condition(expr: &Expr) -> bool {
    if is_constant(expr) {
        return true;
    }
    let mut found = false;
    walk(expr, &mut |e| match e {
        Expr::Binary(b) => {
            let op = op_str(&b.op);
            if (b.op.is_comparison_operator() && !b.return_bool())
                || matches!(op.as_str(), "and" | "unless")
            {
                found = true;
            }
        }
        Expr::Call(c) if matches!(c.func.name, "absent" | "absent_over_time") => found = true,
        Expr::VectorSelector(_) | Expr::MatrixSelector(_)
            if matches!(selector_name(e), Some("ALERTS" | "ALERTS_FOR_STATE"))
                || filters_info_metric(e) =>
        {
            found = true
        }
        _ => {}
    });
    found
}

/// True for a selector of an info-like metric (value always 1, the labels
/// are the data: `_info`, `_labels`, `_metadata`) with a label matcher: the
/// matcher is the condition (`iface_info{operstate="down"}`).
fn filters_info_metric(e: &Expr) -> bool {
    let vs = match e {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return false,
    };
    let Some(name) = selector_name(e) else {
        return false;
    };
    let info = name.contains("_info")
        || ["_labels", "_metadata", "_annotations"]
            .iter()
            .any(|s| name.ends_with(s));
    info && vs.matchers.matchers.iter().any(|m| m.name != "__name__")
}

/// True for a number, or an expression of numbers (`0.9`, `100 * 0.95`, `-1`).
pub fn is_number(e: &Expr) -> bool {
    match e {
        Expr::NumberLiteral(_) => true,
        Expr::Paren(p) => is_number(&p.expr),
        Expr::Unary(u) => is_number(&u.expr),
        Expr::Binary(b) => is_number(&b.lhs) && is_number(&b.rhs),
        _ => false,
    }
}

/// The value of a number expression (`0.9`, `100 * 0.95`, `-(1)`), folded
/// with the arithmetic PromQL applies to scalars (promql/engine.go
/// `scalarBinop`); `None` for anything else, comparisons included.
pub fn number_value(e: &Expr) -> Option<f64> {
    match e {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => number_value(&p.expr),
        Expr::Unary(u) => number_value(&u.expr).map(|v| -v),
        Expr::Binary(b) if !b.op.is_comparison_operator() => {
            let (l, r) = (number_value(&b.lhs)?, number_value(&b.rhs)?);
            Some(match op_str(&b.op).as_str() {
                "+" => l + r,
                "-" => l - r,
                "*" => l * r,
                "/" => l / r,
                "%" => l % r,
                "^" => l.powf(r),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// What is known about the values of one part of an expression: the set
/// of values its series (or its scalar) can have, and the step that made
/// it known, for messages. An empty set means the part never returns a
/// series.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// The possible values.
    pub set: ValueSet,
    /// The last step that narrowed the set, with the set right after it.
    pub origin: Option<Origin>,
}

/// A step that made values known: a filter (`== 0`), a function or
/// aggregation with a known range (`count`, `absent`), `up`, `vector(0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// What the step guarantees, in words: "`== 0` keeps only series equal
    /// to 0", "`count(…)` is at least 1 whenever it returns a series".
    pub phrase: String,
    /// The values right after the step.
    pub set: ValueSet,
    /// What kind of step it is.
    pub kind: OriginKind,
}

/// The kinds of [`Origin`], for advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginKind {
    /// A filtering comparison with a number (`== 0`).
    Filter,
    /// `count`, `count_values` or `count_over_time`: at least 1.
    Count,
    /// `absent`/`absent_over_time`: 1.
    Absent,
    /// The `up` series: 0 or 1.
    Up,
    /// A `bool` comparison: 0 or 1.
    Bool,
    /// Another function, aggregation or series with known values.
    Other,
}

impl Values {
    fn any() -> Values {
        Values {
            set: ValueSet::any(),
            origin: None,
        }
    }

    fn known(set: ValueSet, kind: OriginKind, phrase: String) -> Values {
        Values {
            origin: Some(Origin {
                phrase,
                set: set.clone(),
                kind,
            }),
            set,
        }
    }

    /// Keeps the origin of `self` for a set derived from it (`sum`,
    /// arithmetic with a number).
    fn derived(&self, set: ValueSet) -> Values {
        Values {
            set,
            origin: self.origin.clone(),
        }
    }

    /// The same set, as nothing: a part that never returns a series stays
    /// one whatever is done with it.
    fn empty(&self) -> Values {
        self.derived(ValueSet::empty())
    }
}

/// A filtering comparison with a number that no value reaching it can
/// pass: the part of the expression it ends never returns a series.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadFilter<'a> {
    /// The comparison (an `Expr::Binary`).
    pub node: &'a Expr,
    /// The comparison as written (`>` in `0 > x` stays `>`).
    pub op: Cmp,
    /// The number compared with.
    pub number: f64,
    /// True when the number is the left operand (`0 < count(x)`).
    pub number_left: bool,
    /// The values that reach the comparison (non-empty).
    pub input: ValueSet,
    /// Why those values are known, when a single step tells.
    pub origin: Option<Origin>,
}

impl DeadFilter<'_> {
    /// The comparison as written, `== 0` or `0 <`.
    pub fn written(&self) -> String {
        written(self.op, self.number, self.number_left)
    }

    /// Why it never passes: "`== 0` keeps only series equal to 0, so `> 0`
    /// never passes"; "`up` is 0 or 1, so the values reaching `< 0` are at
    /// least 0 and it never passes".
    pub fn reason(&self) -> String {
        let w = self.written();
        match &self.origin {
            Some(o) if o.set == self.input => format!("{}, so `{w}` never passes", o.phrase),
            Some(o) => format!(
                "{}, so the values reaching `{w}` are {} and it never passes",
                o.phrase,
                self.input.describe()
            ),
            None => format!(
                "the values reaching `{w}` can only be {}, so it never passes",
                self.input.describe()
            ),
        }
    }
}

/// A comparison with a number as written: `== 0`, or `0 <` when the
/// number is the left operand.
fn written(op: Cmp, number: f64, number_left: bool) -> String {
    let n = crate::go::float::format_v(number);
    if number_left {
        format!("{n} {}", op.as_str())
    } else {
        format!("{} {n}", op.as_str())
    }
}

/// The values of `e`'s series (or scalar), with every filter inside `e`
/// that can never pass. Semantics as Prometheus' promql/engine.go and
/// functions.go: a filter keeps the vector side's values (also with the
/// number on the left), `bool` gives 0 or 1, `count` is at least 1,
/// `absent` is 1, `up` is 0 or 1 (the scrape's health, set by the
/// scrape loop), `ALERTS` is 1; operations on a part that returns nothing
/// return nothing, except `or` with a side that returns something,
/// `absent`, `vector` and `scalar`, and vector matching with `fill`.
pub fn values(e: &Expr) -> (Values, Vec<DeadFilter<'_>>) {
    let mut dead = Vec::new();
    let v = eval(e, &mut dead);
    (v, dead)
}

/// Every filter of `e` that can never pass (see [`values`]), outermost
/// last; a filter whose input already never returns a series is not
/// listed (the first cause is).
pub fn dead_filters(e: &Expr) -> Vec<DeadFilter<'_>> {
    values(e).1
}

/// True when `e` has vector type (a filter or `bool` on it, not a scalar).
fn is_vector(e: &Expr) -> bool {
    matches!(e.value_type(), ValueType::Vector | ValueType::Matrix)
}

fn has_fill(b: &super::ast::BinaryExpr) -> bool {
    b.modifier
        .as_ref()
        .is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
}

fn filter_words(op: Cmp, n: &str) -> String {
    match op {
        Cmp::Eq => format!("equal to {n}"),
        Cmp::Ne => format!("not equal to {n}"),
        Cmp::Lt => format!("below {n}"),
        Cmp::Le => format!("at most {n}"),
        Cmp::Gt => format!("above {n}"),
        Cmp::Ge => format!("at least {n}"),
    }
}

/// A sum of values in `set`: non-negative when they all are,
/// non-positive when they all are, else anything.
fn sum_of(set: &ValueSet) -> ValueSet {
    let inf = f64::INFINITY;
    let nonneg = ValueSet::between(0.0, inf, true);
    let nonpos = ValueSet::between(-inf, 0.0, true);
    if set.is_subset(&nonneg) {
        ValueSet::between(0.0, inf, set.nan)
    } else if set.is_subset(&nonpos) {
        ValueSet::between(-inf, 0.0, set.nan)
    } else {
        ValueSet::any()
    }
}

/// An average of values in `set`: within its hull when the hull's ends are
/// small integers (`avg(up)` is within 0 and 1: sums of such integers are
/// exact in float64 and the division rounds monotonically, so the mean
/// stays within the ends); else anything (`avg` of three 0.1 is above 0.1).
fn avg_of(set: &ValueSet) -> ValueSet {
    let hull = set.hull_set();
    let exact = |v: f64| v.fract() == 0.0 && v.abs() <= 1e6;
    match (hull.intervals().first(), hull.intervals().last()) {
        (Some(a), Some(b)) if exact(a.lo) && exact(b.hi) => hull,
        (None, None) => hull,
        _ => ValueSet::any(),
    }
}

fn eval<'a>(e: &'a Expr, dead: &mut Vec<DeadFilter<'a>>) -> Values {
    match e {
        Expr::NumberLiteral(n) => Values {
            set: ValueSet::point(n.val),
            origin: None,
        },
        Expr::StringLiteral(_) => Values::any(),
        Expr::Paren(p) => eval(&p.expr, dead),
        Expr::Subquery(s) => eval(&s.expr, dead),
        Expr::Unary(u) => {
            let v = eval(&u.expr, dead);
            v.derived(v.set.neg())
        }
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => match selector_name(e) {
            Some("up") => Values::known(
                ValueSet::zero_or_one(),
                OriginKind::Up,
                "`up` is 0 or 1".into(),
            ),
            Some("ALERTS") => Values::known(
                ValueSet::point(1.0),
                OriginKind::Other,
                "`ALERTS` is always 1".into(),
            ),
            _ => Values::any(),
        },
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                eval(p, dead);
            }
            let inner = eval(&a.expr, dead);
            if inner.set.is_empty() {
                return inner;
            }
            let op = op_str(&a.op);
            match op.as_str() {
                "count" | "count_values" => Values::known(
                    ValueSet::at_least(1.0),
                    OriginKind::Count,
                    format!("`{op}(…)` is at least 1 whenever it returns a series"),
                ),
                "group" => Values::known(
                    ValueSet::point(1.0),
                    OriginKind::Other,
                    "`group(…)` is always 1".into(),
                ),
                "max" | "min" | "topk" | "bottomk" | "limitk" | "limit_ratio" => inner,
                "sum" => inner.derived(sum_of(&inner.set)),
                "avg" => inner.derived(avg_of(&inner.set)),
                "stddev" | "stdvar" => Values::known(
                    ValueSet::between(0.0, f64::INFINITY, true),
                    OriginKind::Other,
                    format!("`{op}(…)` is never negative"),
                ),
                _ => Values::any(),
            }
        }
        Expr::Call(c) => {
            let args: Vec<Values> = c.args.args.iter().map(|a| eval(a, dead)).collect();
            let name = c.func.name;
            let first = args.first().cloned().unwrap_or_else(Values::any);
            let num = |i: usize| c.args.args.get(i).and_then(|a| number_value(a));
            match name {
                "absent" | "absent_over_time" => Values::known(
                    ValueSet::point(1.0),
                    OriginKind::Absent,
                    format!("`{name}(…)` returns 1 or nothing"),
                ),
                "vector" => match num(0) {
                    Some(v) => Values::known(
                        ValueSet::point(v),
                        OriginKind::Other,
                        format!(
                            "`vector({})` is {}",
                            crate::go::float::format_v(v),
                            crate::go::float::format_v(v)
                        ),
                    ),
                    None => first.derived(first.set.clone()),
                },
                "scalar" => first.derived(first.set.union(&ValueSet::point(f64::NAN))),
                _ if first.set.is_empty() && c.args.args.first().is_some_and(|a| is_vector(a)) => {
                    first
                }
                "present_over_time" => Values::known(
                    ValueSet::point(1.0),
                    OriginKind::Other,
                    "`present_over_time(…)` is always 1".into(),
                ),
                "count_over_time" => Values::known(
                    ValueSet::at_least(1.0),
                    OriginKind::Count,
                    "`count_over_time(…)` is at least 1 whenever it returns a series".into(),
                ),
                "changes" | "resets" => Values::known(
                    ValueSet::at_least(0.0),
                    OriginKind::Other,
                    format!("`{name}(…)` is never negative"),
                ),
                "abs" | "sqrt" | "stddev_over_time" | "stdvar_over_time" => Values::known(
                    ValueSet::between(0.0, f64::INFINITY, true),
                    OriginKind::Other,
                    format!("`{name}(…)` is never negative"),
                ),
                "clamp_min" | "clamp_max" | "clamp" => {
                    let (lo, hi) = match name {
                        "clamp_min" => (num(1), Some(f64::INFINITY)),
                        "clamp_max" => (Some(f64::NEG_INFINITY), num(1)),
                        _ => (num(1), num(2)),
                    };
                    match (lo, hi) {
                        (Some(lo), Some(hi)) if hi < lo => first.empty(),
                        (Some(lo), Some(hi)) if !lo.is_nan() && !hi.is_nan() => {
                            let set = ValueSet::between(lo, hi, first.set.nan);
                            Values::known(
                                set.clone(),
                                OriginKind::Other,
                                format!(
                                    "`{name}(…)` is {}",
                                    ValueSet::between(lo, hi, false).describe()
                                ),
                            )
                        }
                        _ => Values::any(),
                    }
                }
                "label_replace" | "label_join" | "sort" | "sort_desc" | "sort_by_label"
                | "sort_by_label_desc" | "last_over_time" | "max_over_time" | "min_over_time" => {
                    first
                }
                "sum_over_time" => first.derived(sum_of(&first.set)),
                "avg_over_time" => first.derived(avg_of(&first.set)),
                _ => Values::any(),
            }
        }
        Expr::Binary(_) if number_value(e).is_some() => Values {
            set: ValueSet::point(number_value(e).unwrap_or(f64::NAN)),
            origin: None,
        },
        Expr::Binary(b) => {
            let l = eval(&b.lhs, dead);
            let r = eval(&b.rhs, dead);
            let (lv, rv) = (is_vector(&b.lhs), is_vector(&b.rhs));
            let l_empty = lv && l.set.is_empty();
            let r_empty = rv && r.set.is_empty();
            let op = op_str(&b.op);
            match op.as_str() {
                "or" => {
                    if l.set.is_empty() {
                        r
                    } else if r.set.is_empty() {
                        l
                    } else {
                        Values {
                            set: l.set.union(&r.set),
                            origin: None,
                        }
                    }
                }
                "and" if l_empty || r_empty => l.empty(),
                "and" | "unless" => l,
                _ if has_fill(b) => {
                    if l_empty && r_empty {
                        l.empty()
                    } else {
                        Values::any()
                    }
                }
                _ if l_empty => l,
                _ if r_empty => r,
                _ if b.op.is_comparison_operator() => {
                    let Some(cmp) = Cmp::parse(&op) else {
                        return Values::any();
                    };
                    if b.return_bool() {
                        return Values::known(
                            ValueSet::zero_or_one(),
                            OriginKind::Bool,
                            "a `bool` comparison is 0 or 1".into(),
                        );
                    }
                    let (vec, number, number_left, test) =
                        match (lv, rv, number_value(&b.lhs), number_value(&b.rhs)) {
                            (true, false, _, Some(n)) => (&l, Some(n), false, cmp),
                            (false, true, Some(n), _) => (&r, Some(n), true, cmp.flip()),
                            (true, false, _, None) => (&l, None, false, cmp),
                            (false, true, None, _) => (&r, None, true, cmp.flip()),
                            // vector == vector keeps the left side's values
                            _ => (&l, None, false, cmp),
                        };
                    let Some(n) = number else {
                        let mut set = vec.set.clone();
                        set.nan &= cmp == Cmp::Ne;
                        return vec.derived(set);
                    };
                    let out = vec.set.filter(test, n);
                    if out.is_empty() {
                        dead.push(DeadFilter {
                            node: e,
                            op: cmp,
                            number: n,
                            number_left,
                            input: vec.set.clone(),
                            origin: vec.origin.clone(),
                        });
                        return vec.empty();
                    }
                    if out == vec.set {
                        return vec.derived(out);
                    }
                    let words = filter_words(test, &crate::go::float::format_v(n));
                    let written = written(cmp, n, number_left);
                    Values {
                        set: out.clone(),
                        origin: Some(Origin {
                            phrase: format!("`{written}` keeps only series {words}"),
                            set: ValueSet::passing(test, n),
                            kind: OriginKind::Filter,
                        }),
                    }
                }
                arith => {
                    let (vals, n, number_left) = match (number_value(&b.lhs), number_value(&b.rhs))
                    {
                        (None, Some(n)) => (&l, n, false),
                        (Some(n), None) => (&r, n, true),
                        _ => return Values::any(),
                    };
                    let set = match (arith, number_left) {
                        ("+", _) => vals.set.add(n),
                        ("-", false) => vals.set.sub(n),
                        ("-", true) => vals.set.sub_from(n),
                        ("*", _) => vals.set.mul(n),
                        ("/", false) => vals.set.div(n),
                        _ => None,
                    };
                    match set {
                        Some(s) => vals.derived(s),
                        None => Values::any(),
                    }
                }
            }
        }
    }
}

/// The selectors of `e` whose values a filtering comparison tests (`up`
/// in `up{job="x"} == 0`, `count(up == 0) by (job) > 0` and
/// `avg(up) < 0.5`): a selector with a comparison without `bool` among
/// its enclosing nodes.
pub fn compared_selectors(e: &Expr) -> Vec<&super::ast::VectorSelector> {
    super::selectors::selector_uses(e)
        .into_iter()
        .filter(|u| {
            u.ancestors.iter().any(|a| {
                matches!(a, Expr::Binary(b) if b.op.is_comparison_operator() && !b.return_bool())
            })
        })
        .filter_map(|u| u.vector())
        .collect()
}

/// What the top-level `and` chain of `e` requires of bare selectors: for
/// every conjunct that is a filter `selector CMP number` or `number CMP
/// selector` (without `bool`, through parentheses), the selector's
/// canonical text and the values that pass. A series `e` returns carries
/// the labels of one series of each such selector (an `and` without
/// `on`/`ignoring` matches on every label but `__name__`), and that series
/// has a passing value. Conjuncts of any other shape add nothing; an `and`
/// with `on`/`ignoring` ends the chain.
pub fn required_selector_values(e: &Expr) -> Vec<(String, ValueSet)> {
    and_chain_filters(e)
        .into_iter()
        .filter_map(|(x, passing)| match unparen(x) {
            Expr::VectorSelector(vs) => Some((vs.to_string(), passing)),
            _ => None,
        })
        .collect()
}

/// The filters `x CMP number` or `number CMP x` (without `bool`, through
/// parentheses) of the top-level `and` chain of `e` (an `and` with
/// `on`/`ignoring` ends it): each `x` with the values that pass.
fn and_chain_filters(e: &Expr) -> Vec<(&Expr, ValueSet)> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Paren(p) => stack.push(&p.expr),
            Expr::Binary(b)
                if op_str(&b.op) == "and"
                    && b.modifier.as_ref().is_none_or(|m| m.matching.is_none()) =>
            {
                stack.push(&b.lhs);
                stack.push(&b.rhs);
            }
            Expr::Binary(b) if b.op.is_comparison_operator() && !b.return_bool() => {
                let Some(cmp) = Cmp::parse(&op_str(&b.op)) else {
                    continue;
                };
                match (number_value(&b.rhs), number_value(&b.lhs)) {
                    (Some(c), None) => out.push((b.lhs.as_ref(), ValueSet::passing(cmp, c))),
                    (None, Some(c)) => out.push((b.rhs.as_ref(), ValueSet::passing(cmp.flip(), c))),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

/// True when `a` and `b` can never return a series with the same labels at
/// the same evaluation: both require values of one selector (the same
/// canonical text, [`required_selector_values`]) and no value passes both,
/// as the Cortex mixin's `x == 0` and `(time() - x > 86400) and (x > 0)`
/// under one alert name. Series of one selector differ in labels other
/// than `__name__`, and an alert's labels drop `__name__`, so two results
/// with the same labels come from one series of it, which has one value.
///
/// The same holds per group of one aggregation ([`group_requirements`]):
/// the Loki mixin's `min by (g) (time() - (ts > 0)) > 10800` needs some
/// series of `ts` in the group above 0, and `max by (g)
/// (max_over_time(ts[3h])) == 0` needs every series of it at most 0.
pub fn exclusive_conditions(a: &Expr, b: &Expr) -> bool {
    let (ra, rb) = (required_selector_values(a), required_selector_values(b));
    let all = |r: &[(String, ValueSet)], sel: &str| {
        r.iter()
            .filter(|(s, _)| s == sel)
            .fold(ValueSet::any(), |acc, (_, v)| acc.intersect(v))
    };
    if ra.iter().any(|(sel, _)| {
        rb.iter().any(|(s, _)| s == sel) && all(&ra, sel).intersect(&all(&rb, sel)).is_empty()
    }) {
        return true;
    }
    let (ga, gb) = (group_requirements(a), group_requirements(b));
    ga.iter().any(|x| {
        gb.iter().any(|y| {
            x.grouping == y.grouping
                && x.selector == y.selector
                && (x.every || y.every)
                && x.values.intersect(&y.values).is_empty()
        })
    })
}

/// What a top-level aggregation filter requires of the series of one
/// selector within the group it returns ([`group_requirements`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRequirement {
    /// The aggregation's grouping, as written (`by (cluster, namespace)`,
    /// labels sorted); two requirements speak of one group only when equal.
    pub grouping: String,
    /// The selector's canonical text.
    pub selector: String,
    /// True when every series of the selector in the group has a value in
    /// `values`; false when at least one has.
    pub every: bool,
    /// The values.
    pub values: ValueSet,
}

/// Requirements of the conjuncts `AGG by (g) (inner) CMP c` (no `bool`) of
/// the top-level `and` chain of `e`, per group (promql/engine.go
/// aggregation semantics):
/// - any aggregation returns a group only when `inner` has a series in it,
///   so an `inner` that is a filter `selector CMP2 c2`, under arithmetic
///   with numbers or `time()`, needs some series of the selector in the
///   group to pass it;
/// - `max` over the selector or its `max_over_time` passing an upper bound
///   (`== 0`, `< 5`) needs every series of the selector in the group at or
///   below it (a window of at least the 5m lookback delta holds the sample
///   an instant selector sees), and `min` / `min_over_time` likewise with a
///   lower bound.
pub fn group_requirements(e: &Expr) -> Vec<GroupRequirement> {
    use super::ast::LabelModifier;
    let mut out = Vec::new();
    for (x, passing) in and_chain_filters(e) {
        let Expr::Aggregate(agg) = unparen(x) else {
            continue;
        };
        let grouping = match &agg.modifier {
            None => "by ()".to_string(),
            Some(LabelModifier::Include(l)) => {
                let mut v = l.labels.clone();
                v.sort();
                format!("by ({})", v.join(","))
            }
            Some(LabelModifier::Exclude(l)) => {
                let mut v = l.labels.clone();
                v.sort();
                format!("without ({})", v.join(","))
            }
        };
        let op = op_str(&agg.op);
        if let Some((selector, values)) = inner_filter(&agg.expr) {
            out.push(GroupRequirement {
                grouping: grouping.clone(),
                selector,
                every: false,
                values,
            });
        }
        let over = |want: &str| -> Option<String> {
            match unparen(&agg.expr) {
                Expr::VectorSelector(vs) => Some(vs.to_string()),
                // A window shorter than the lookback delta (5m)
                // may miss the sample an instant selector sees.
                Expr::Call(c) if c.func.name == want => {
                    match c.args.args.first().map(|a| unparen(a)) {
                        Some(Expr::MatrixSelector(ms)) if ms.range.as_secs() >= 300 => {
                            Some(ms.vs.to_string())
                        }
                        _ => None,
                    }
                }
                _ => None,
            }
        };
        let hull = passing.hull_set();
        let Some(span) = hull.intervals().first() else {
            continue;
        };
        let bound = match op.as_str() {
            "max" if span.hi.is_finite() => over("max_over_time")
                .map(|s| (s, ValueSet::between(f64::NEG_INFINITY, span.hi, true))),
            "min" if span.lo.is_finite() => {
                over("min_over_time").map(|s| (s, ValueSet::between(span.lo, f64::INFINITY, true)))
            }
            _ => None,
        };
        if let Some((selector, values)) = bound {
            out.push(GroupRequirement {
                grouping,
                selector,
                every: true,
                values,
            });
        }
    }
    out
}

fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        _ => e,
    }
}

/// The filter `selector CMP c` that every series of `e` passed, through
/// parentheses and arithmetic with numbers or `time()` (`time() - (ts >
/// 0)`): its selector's canonical text and passing values.
fn inner_filter(e: &Expr) -> Option<(String, ValueSet)> {
    let mut e = unparen(e);
    loop {
        let Expr::Binary(b) = e else { return None };
        let constant = |x: &Expr| {
            number_value(x).is_some()
                || matches!(unparen(x), Expr::Call(c) if c.func.name == "time")
        };
        if b.op.is_comparison_operator() {
            if b.return_bool() {
                return None;
            }
            let cmp = Cmp::parse(&op_str(&b.op))?;
            return match (
                unparen(&b.lhs),
                number_value(&b.rhs),
                unparen(&b.rhs),
                number_value(&b.lhs),
            ) {
                (Expr::VectorSelector(vs), Some(c), _, _) => {
                    Some((vs.to_string(), ValueSet::passing(cmp, c)))
                }
                (_, _, Expr::VectorSelector(vs), Some(c)) => {
                    Some((vs.to_string(), ValueSet::passing(cmp.flip(), c)))
                }
                _ => None,
            };
        }
        if !matches!(op_str(&b.op).as_str(), "+" | "-" | "*" | "/") {
            return None;
        }
        e = if constant(&b.lhs) {
            unparen(&b.rhs)
        } else if constant(&b.rhs) {
            unparen(&b.lhs)
        } else {
            return None;
        };
    }
}

/// Why an expression returns at least one series on every evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback<'a> {
    /// The `vector(…)` call that always gives a series.
    pub vector: &'a Expr,
    /// Its value, when it is a number.
    pub value: Option<f64>,
    /// True when it is a branch of an `or` (`… or vector(1)`).
    pub in_or: bool,
    /// Filters between it and the top that every value passes, as
    /// written (`>= 0` in `(count(x) or vector(0)) >= 0`).
    pub passes: Vec<String>,
}

/// Functions that return one series for each series of their first
/// argument (promql/functions.go: element-wise math and label functions).
fn keeps_every_series(func: &str) -> bool {
    matches!(
        func,
        "label_replace"
            | "label_join"
            | "sort"
            | "sort_desc"
            | "abs"
            | "ceil"
            | "floor"
            | "round"
            | "clamp_min"
            | "clamp_max"
            | "exp"
            | "ln"
            | "log2"
            | "log10"
            | "sqrt"
            | "sgn"
            | "timestamp"
    )
}

/// The `vector(…)` that makes `e` return a series on every evaluation,
/// whatever the data: `vector(c)` itself, kept through `or` (either side),
/// aggregations that make a group of any input (`sum`, `max`, `count`, …),
/// functions that keep every series, arithmetic with a number, `bool`
/// comparisons and filters that every value reaching them passes. `None`
/// when some evaluation may return nothing.
pub fn always_returns(e: &Expr) -> Option<Fallback<'_>> {
    match e {
        Expr::Paren(p) => always_returns(&p.expr),
        Expr::Call(c) if c.func.name == "vector" => Some(Fallback {
            vector: e,
            value: c.args.args.first().and_then(|a| number_value(a)),
            in_or: false,
            passes: Vec::new(),
        }),
        Expr::Call(c) if keeps_every_series(c.func.name) => always_returns(c.args.args.first()?),
        Expr::Aggregate(a) => {
            let op = op_str(&a.op);
            if super::analysis::returns_input_series(&op) {
                return None;
            }
            always_returns(&a.expr)
        }
        Expr::Binary(b) => {
            let op = op_str(&b.op);
            if op == "or" {
                let mut f = always_returns(&b.rhs).or_else(|| always_returns(&b.lhs))?;
                f.in_or = true;
                return Some(f);
            }
            if b.op.is_set_operator() || has_fill(b) {
                return None;
            }
            let (lv, rv) = (is_vector(&b.lhs), is_vector(&b.rhs));
            let side = match (lv, rv) {
                (true, false) => &b.lhs,
                (false, true) => &b.rhs,
                _ => return None,
            };
            let mut f = always_returns(side)?;
            if b.op.is_comparison_operator() && !b.return_bool() {
                let cmp = Cmp::parse(&op)?;
                let (n, test) = if lv {
                    (number_value(&b.rhs)?, cmp)
                } else {
                    (number_value(&b.lhs)?, cmp.flip())
                };
                let (v, _) = values(side);
                if !v.set.is_subset(&ValueSet::passing(test, n)) {
                    return None;
                }
                f.passes.push(written(cmp, n, !lv));
            }
            Some(f)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::parse;

    #[test]
    fn conditions() {
        for e in [
            "x > 1",
            "absent(up{job=\"a\"})",
            "vector(1)",
            "x and on (pod) y",
            "sum(ALERTS{alertstate=\"firing\"})",
            "rate(x[5m]) / (y > 0)",
            "iface_info{operstate=\"down\"}",
        ] {
            assert!(has_condition(&parse(e).unwrap()), "{e}");
        }
        for e in [
            "x",
            "model_info",
            "rate(x[5m])",
            "x > bool 1",
            "x or y",
            "sum by (a) (x) / 2",
        ] {
            assert!(!has_condition(&parse(e).unwrap()), "{e}");
        }
        assert!(is_number(&parse("100 * (0.9)").unwrap()));
    }

    fn reasons(e: &str) -> Vec<String> {
        let ast = parse(e).unwrap();
        dead_filters(&ast).iter().map(|d| d.reason()).collect()
    }

    #[test]
    fn dead_filter_chains_and_known_values() {
        assert_eq!(
            reasons("sum(up{tier=\"lb\"}) by (type) == 0 > 0"),
            ["`== 0` keeps only series equal to 0, so `> 0` never passes"]
        );
        assert_eq!(
            reasons("x < 1 > 5"),
            ["`< 1` keeps only series below 1, so `> 5` never passes"]
        );
        assert_eq!(
            reasons("x <= 4 >= 10"),
            ["`<= 4` keeps only series at most 4, so `>= 10` never passes"]
        );
        assert_eq!(
            reasons("count(traefik_backend_server_up) by (backend) == 0"),
            ["`count(…)` is at least 1 whenever it returns a series, so `== 0` never passes"]
        );
        assert_eq!(
            reasons("absent(up{job=\"x\"}) == 0"),
            ["`absent(…)` returns 1 or nothing, so `== 0` never passes"]
        );
        assert_eq!(
            reasons("up{job=\"x\"} > 1"),
            ["`up` is 0 or 1, so `> 1` never passes"]
        );
        assert_eq!(
            reasons("sum(up) < 0"),
            ["`up` is 0 or 1, so the values reaching `< 0` are at least 0 and it never passes"]
        );
        assert_eq!(
            reasons("vector(0) > 0"),
            ["`vector(0)` is 0, so `> 0` never passes"]
        );
        assert_eq!(
            reasons("0 > count(x)"),
            ["`count(…)` is at least 1 whenever it returns a series, so `0 >` never passes"]
        );
        assert_eq!(reasons("count(x) - 1 < 0").len(), 1);
        assert_eq!(reasons("(x > bool 1) == 2").len(), 1);
        assert_eq!(reasons("clamp(x, 0, 1) > 1").len(), 1);
        assert_eq!(
            reasons("(count(x) or vector(2)) < 1"),
            ["the values reaching `< 1` can only be at least 1, so it never passes"]
        );
        // Only the first cause: the outer filter's input is already empty.
        assert_eq!(reasons("(x == 0 > 0) < 5").len(), 1);
    }

    #[test]
    fn live_filters() {
        for e in [
            "x > 0.9 < 1",
            "max by (instance) (x) < 14 > 7",
            "(count(redis_instance_info{role=\"master\"}) or vector(0)) < 1",
            "count(up == 0) > 0",
            "up == 0",
            "absent(x) == 1",
            "sum(x) == 0",
            "x != 0 != 1",
            "(x * 0) != 0",
            "avg(x == 0.1) > 0.1",
            "rate(x[5m]) < 0",
            "x + fill(0) (count(y) == 0)",
            "time() - x > 0",
            "x > bool 1",
            "count(x) > 0",
        ] {
            assert!(reasons(e).len() <= 1, "{e}");
            if !e.contains("fill") {
                assert!(reasons(e).is_empty(), "{e}: {:?}", reasons(e));
            }
        }
    }

    #[test]
    fn fallbacks_that_always_return() {
        let f = |e: &str| {
            let ast = parse(e).unwrap();
            always_returns(&ast).map(|f| (f.value, f.in_or, f.passes.len()))
        };
        assert_eq!(
            f("up{job=\"x\"} == 0 or vector(1)"),
            Some((Some(1.0), true, 0))
        );
        assert_eq!(
            f("sum(rate(x[5m])) > 5 or on() vector(0)"),
            Some((Some(0.0), true, 0))
        );
        assert_eq!(
            f("(count(x) or vector(0)) >= 0"),
            Some((Some(0.0), true, 1))
        );
        assert_eq!(f("vector(1)"), Some((Some(1.0), false, 0)));
        assert_eq!(f("(count(x) or vector(0)) < 1"), None);
        assert_eq!(f("(sum(x) or vector(0)) > 0"), None);
        assert_eq!(f("x or absent(y)"), None);
        assert_eq!(f("vector(1) and x"), None);
        assert_eq!(f("topk(1, vector(1))"), None);
    }

    #[test]
    fn selectors_under_comparisons() {
        let names = |e: &str| {
            let ast = parse(e).unwrap();
            compared_selectors(&ast)
                .iter()
                .map(|v| v.name.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("100 * (count(up == 0) by (job) / count(up) by (job)) > 10"),
            ["up", "up"]
        );
        assert_eq!(names("absent(up{job=\"x\"} == 1)"), ["up"]);
        assert_eq!(names("up > bool 0"), Vec::<String>::new());
        assert_eq!(names("absent(up{job=\"x\"})"), Vec::<String>::new());
    }

    #[test]
    fn exclusive_conditions_need_disjoint_values_of_one_selector() {
        let p = |e: &str| crate::promql::parse(e).unwrap();
        let never_ran = p("cortex_compactor_last_successful_run_timestamp_seconds == 0");
        let stale = p(
            "(time() - cortex_compactor_last_successful_run_timestamp_seconds > 60 * 60 * 24) and (cortex_compactor_last_successful_run_timestamp_seconds > 0)",
        );
        assert!(exclusive_conditions(&never_ran, &stale));
        assert!(exclusive_conditions(&stale, &never_ran));
        assert!(exclusive_conditions(
            &p("up{job=\"a\"} == 0"),
            &p("1 <= up{job=\"a\"}")
        ));
        // Overlapping values, other selectors, other matchers, `bool`,
        // `or`, and `and on (…)` prove nothing.
        for (a, b) in [
            ("x > 0", "x > 5"),
            ("x == 0", "y > 0"),
            ("x{job=\"a\"} == 0", "x{job=\"b\"} > 0"),
            ("x == bool 0", "x > 0"),
            ("x == 0 or y", "x > 0"),
            ("z and on (job) x == 0", "z and on (job) x > 0"),
            ("increase(x_total[2h]) >= 2", "x_total == 0"),
        ] {
            assert!(!exclusive_conditions(&p(a), &p(b)), "{a} / {b}");
        }
    }

    #[test]
    fn exclusive_conditions_per_group_of_one_aggregation() {
        let p = |e: &str| crate::promql::parse(e).unwrap();
        // The Loki mixin's two compactor alerts under one name.
        let stale = p("min by (cluster, namespace) (time() - (ts > 0)) > 60 * 60 * 3");
        let never = p("max by (namespace, cluster) (max_over_time(ts[3h])) == 0");
        assert!(exclusive_conditions(&stale, &never));
        assert!(exclusive_conditions(&never, &stale));
        assert!(exclusive_conditions(
            &p("count by (job) (up == 1) > 0"),
            &p("max by (job) (up) == 0")
        ));
        // Other groupings, a lookback-short window, `some` against `some`,
        // overlapping values, `sum` (no bound on each series): nothing.
        for (a, b) in [
            (
                "min by (cluster) (time() - (ts > 0)) > 10800",
                "max by (namespace) (max_over_time(ts[3h])) == 0",
            ),
            (
                "min by (g) (time() - (ts > 0)) > 10800",
                "max by (g) (max_over_time(ts[1m])) == 0",
            ),
            ("min by (g) (ts > 0) > 1", "min by (g) (ts < 0) < 1"),
            (
                "min by (g) (time() - (ts > 0)) > 10800",
                "max by (g) (ts) <= 5",
            ),
            (
                "min by (g) (time() - (ts > 0)) > 10800",
                "sum by (g) (ts) == 0",
            ),
        ] {
            assert!(!exclusive_conditions(&p(a), &p(b)), "{a} / {b}");
        }
    }
}
