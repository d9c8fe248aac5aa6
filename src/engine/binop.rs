//! Binary operators: arithmetic, comparisons (with and without `bool`), set
//! operators, vector matching (`on`/`ignoring`, `group_left`/`group_right`,
//! `fill`).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::promql::ast::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD,
    T_MUL, T_NEQ, T_POW, T_SUB, T_TRIM_LOWER, T_TRIM_UPPER, TokenId,
};
use crate::promql::ast::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};

use std::sync::Arc;

use super::error::{Annotation, EvalError};
use super::eval::Evaluator;
use super::labels::{Labels, METRIC_NAME};
use super::native::FloatHistogram;
use super::value::{InstantVector, Sample, Value};

/// True for operators after which Prometheus drops the metric name.
fn drops_name(op: TokenId) -> bool {
    matches!(op, T_ADD | T_SUB | T_MUL | T_DIV | T_POW | T_MOD | T_ATAN2)
}

fn is_comparison(op: TokenId) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

/// Applies `op` to two floats. Returns the value and whether to keep the
/// element (comparisons filter; the value is then the left operand).
pub fn apply_op(op: TokenId, l: f64, r: f64) -> Result<(f64, bool), EvalError> {
    Ok(match op {
        T_ADD => (l + r, true),
        T_SUB => (l - r, true),
        T_MUL => (l * r, true),
        T_DIV => (l / r, true),
        T_POW => (l.powf(r), true),
        T_MOD => (l % r, true),
        T_ATAN2 => (l.atan2(r), true),
        T_EQLC => (l, l == r),
        T_NEQ => (l, l != r),
        T_GTR => (l, l > r),
        T_LSS => (l, l < r),
        T_GTE => (l, l >= r),
        T_LTE => (l, l <= r),
        _ => {
            return Err(EvalError::eval(format!(
                "operator {op} not allowed for scalar or float operations"
            )));
        }
    })
}

/// One side of an element-wise operation: a float, or a histogram.
type Operand<'a> = (f64, Option<&'a Arc<FloatHistogram>>);

/// What an element-wise operation yields: the float value, the histogram
/// value, whether the element is kept, and the annotation to add.
struct Elem {
    v: f64,
    h: Option<Arc<FloatHistogram>>,
    keep: bool,
    note: Option<Annotation>,
    /// A warning that keeps the element (conflicting counter resets).
    warning: Option<Annotation>,
}

/// `vectorElemBinop` (promql/engine.go): floats as [`apply_op`];
/// `histogram * float`, `float * histogram`, `histogram / float`,
/// `histogram + histogram`, `histogram - histogram`, `==` and `!=` of two
/// histograms are defined; any other mix drops the element with an info.
fn elem_op(op: TokenId, (l, lh): Operand<'_>, (r, rh): Operand<'_>) -> Result<Elem, EvalError> {
    let done = |v: f64, h: Option<FloatHistogram>, keep: bool| Elem {
        v,
        h: h.map(Arc::new),
        keep,
        note: None,
        warning: None,
    };
    let name = crate::promql::ast::token::TokenType::new(op).to_string();
    let incompatible = |a: &str, b: &str| Elem {
        v: 0.0,
        h: None,
        keep: false,
        note: Some(Annotation::info(format!(
            "incompatible sample types encountered for binary operator \"{name}\": {a} {name} {b}"
        ))),
        warning: None,
    };
    Ok(match (lh, rh) {
        (None, None) if matches!(op, T_TRIM_UPPER | T_TRIM_LOWER) => incompatible("float", "float"),
        (None, None) => {
            let (v, keep) = apply_op(op, l, r)?;
            done(v, None, keep)
        }
        (None, Some(h)) => match op {
            T_MUL => {
                let mut x = (**h).clone();
                x.mul(l).compact();
                done(0.0, Some(x), true)
            }
            _ => incompatible("float", "histogram"),
        },
        (Some(h), None) => match op {
            T_TRIM_UPPER | T_TRIM_LOWER => {
                done(0.0, Some(super::trim::trim(h, r, op == T_TRIM_UPPER)), true)
            }
            T_MUL | T_DIV => {
                let mut x = (**h).clone();
                if op == T_MUL {
                    x.mul(r);
                } else {
                    x.div(r);
                }
                x.compact();
                done(0.0, Some(x), true)
            }
            _ => incompatible("histogram", "float"),
        },
        (Some(a), Some(b)) => match op {
            T_ADD | T_SUB => {
                let mut x = (**a).clone();
                let word = if op == T_ADD {
                    "addition"
                } else {
                    "subtraction"
                };
                // As `FloatHistogram.Add`/`Sub` (adjustCounterReset).
                let collision = super::native::counter_resets_collide(a.hint, b.hint)
                    .then(|| super::nativefns::counter_reset_collision(word));
                let res = if op == T_ADD { x.add(b) } else { x.sub(b) };
                match res {
                    Err(_) => Elem {
                        v: 0.0,
                        h: None,
                        keep: false,
                        note: Some(Annotation::warning(format!(
                            "incompatible bucket layout encountered for binary operator {name}"
                        ))),
                        warning: None,
                    },
                    Ok(reconciled) => {
                        x.compact();
                        let mut e = done(0.0, Some(x), true);
                        if reconciled {
                            e.note = Some(super::nativefns::reconciled(word));
                        }
                        e.warning = collision;
                        e
                    }
                }
            }
            T_EQLC | T_NEQ => {
                let eq = a.equals(b);
                Elem {
                    v: 0.0,
                    h: Some(a.clone()),
                    keep: eq == (op == T_EQLC),
                    note: None,
                    warning: None,
                }
            }
            _ => incompatible("histogram", "histogram"),
        },
    })
}

/// Evaluates a binary expression at `t`.
pub(crate) fn eval_binary(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    t: i64,
) -> Result<Value, EvalError> {
    let op = b.op.id();
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    let lhs = ev.eval(&b.lhs, t)?;
    let rhs = ev.eval(&b.rhs, t)?;
    match (lhs, rhs) {
        (Value::Scalar(l), Value::Scalar(r)) => {
            if matches!(op, T_TRIM_UPPER | T_TRIM_LOWER) {
                // As Prometheus' `scalarBinop`, which has no case for them.
                return Err(EvalError::eval(format!(
                    "operator \"{}\" not allowed for Scalar operations",
                    crate::promql::ast::token::TokenType::new(op)
                )));
            }
            let (v, keep) = apply_op(op, l, r)?;
            if is_comparison(op) {
                Ok(Value::Scalar(if keep { 1.0 } else { 0.0 }))
            } else {
                Ok(Value::Scalar(v))
            }
        }
        (Value::Vector(l), Value::Scalar(r)) => {
            vector_scalar(ev, op, l, r, false, return_bool).map(Value::Vector)
        }
        (Value::Scalar(l), Value::Vector(r)) => {
            vector_scalar(ev, op, r, l, true, return_bool).map(Value::Vector)
        }
        (Value::Vector(l), Value::Vector(r)) => {
            let default = BinModifier::default();
            let m = b.modifier.as_ref().unwrap_or(&default);
            let out = match op {
                T_LAND => vector_and(l, r, m, true),
                T_LUNLESS => vector_and(l, r, m, false),
                T_LOR => vector_or(l, r, m),
                _ => vector_binop(ev, op, l, r, m)?,
            };
            ev.check_dups_now(&out)?;
            Ok(Value::Vector(out))
        }
        (l, r) => Err(EvalError::eval(format!(
            "binary expression must contain only scalar and instant vector types, got {} and {}",
            l.type_name(),
            r.type_name()
        ))),
    }
}

fn vector_scalar(
    ev: &mut Evaluator<'_>,
    op: TokenId,
    vec: InstantVector,
    scalar: f64,
    swap: bool,
    return_bool: bool,
) -> Result<InstantVector, EvalError> {
    let mut out = Vec::with_capacity(vec.len());
    for mut s in vec {
        let hist = s.h.take();
        let (l, r) = if swap {
            ((scalar, None), (s.v, hist.as_ref()))
        } else {
            ((s.v, hist.as_ref()), (scalar, None))
        };
        let mut e = elem_op(op, l, r)?;
        if let Some(w) = e.warning.take() {
            ev.annotate(w);
        }
        if let Some(a) = e.note {
            ev.annotate(a);
            if !e.keep {
                continue;
            }
        }
        let (mut v, mut h, mut keep) = (e.v, e.h, e.keep);
        if is_comparison(op) && swap {
            v = r.0;
            h = r.1.cloned();
        }
        if return_bool {
            v = if keep { 1.0 } else { 0.0 };
            h = None;
            keep = true;
        }
        if keep {
            s.v = v;
            s.h = h;
            if drops_name(op) || return_bool {
                let mut f = s.drop_name;
                ev.drop_name(&mut s.labels, &mut f);
                s.drop_name = f;
            }
            out.push(s);
        }
    }
    ev.check_dups_now(&out)?;
    Ok(out)
}

/// The matching key of a series under `on`/`ignoring`.
fn signature(labels: &Labels, m: &BinModifier) -> Labels {
    match &m.matching {
        Some(LabelModifier::Include(l)) => labels.keep_only(&l.labels),
        Some(LabelModifier::Exclude(l)) => labels.drop_all(&l.labels).without_name(),
        None => labels.without_name(),
    }
}

fn vector_and(l: InstantVector, r: InstantVector, m: &BinModifier, and: bool) -> InstantVector {
    let rsigs: HashSet<Labels> = r.iter().map(|s| signature(&s.labels, m)).collect();
    l.into_iter()
        .filter(|s| rsigs.contains(&signature(&s.labels, m)) == and)
        .collect()
}

fn vector_or(l: InstantVector, r: InstantVector, m: &BinModifier) -> InstantVector {
    let lsigs: HashSet<Labels> = l.iter().map(|s| signature(&s.labels, m)).collect();
    let mut out = l;
    for s in r {
        if !lsigs.contains(&signature(&s.labels, m)) {
            out.push(s);
        }
    }
    out
}

fn matching_labels(m: &BinModifier) -> (bool, Vec<String>) {
    match &m.matching {
        Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
        Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
        None => (false, Vec::new()),
    }
}

/// The labels Prometheus prints for a match group.
fn match_group(labels: &Labels, m: &BinModifier) -> Labels {
    let (on, names) = matching_labels(m);
    if on {
        labels.keep_only(&names)
    } else {
        let mut n = names;
        n.push(METRIC_NAME.to_string());
        labels.drop_all(&n)
    }
}

fn result_labels(
    ev: &Evaluator<'_>,
    ls: &Sample,
    rs_labels: &Labels,
    op: TokenId,
    m: &BinModifier,
    one_to_one: bool,
    return_bool: bool,
) -> (Labels, bool) {
    let mut labels = ls.labels.clone();
    let mut drop = ls.drop_name;
    if drops_name(op) || return_bool {
        ev.drop_name(&mut labels, &mut drop);
    }
    let (on, names) = matching_labels(m);
    if one_to_one {
        if on {
            labels = labels.keep_only(&names);
        } else {
            labels = labels.drop_all(&names);
        }
    }
    if let Some(include) = m.card.labels() {
        for ln in &include.labels {
            match rs_labels.get(ln) {
                Some(v) => labels.set(ln.clone(), v.to_string()),
                None => labels.remove(ln),
            }
        }
    }
    (labels, drop)
}

fn vector_binop(
    ev: &mut Evaluator<'_>,
    op: TokenId,
    lhs: InstantVector,
    rhs: InstantVector,
    m: &BinModifier,
) -> Result<InstantVector, EvalError> {
    let return_bool = m.return_bool;
    let one_to_many = matches!(m.card, VectorMatchCardinality::OneToMany(_));
    let one_to_one = matches!(m.card, VectorMatchCardinality::OneToOne);
    if matches!(m.card, VectorMatchCardinality::ManyToMany) {
        return Err(EvalError::eval(
            "many-to-many only allowed for set operators",
        ));
    }
    // Short-circuit before any matching check, as Prometheus'
    // `VectorBinop` (promql/engine.go): with a side empty nothing can match,
    // so a duplicate match group on the other side is no error. A fill value
    // can still produce samples from the non-empty side.
    let no_fill = m.fill_values.lhs.is_none() && m.fill_values.rhs.is_none();
    if (lhs.is_empty() && rhs.is_empty()) || ((lhs.is_empty() || rhs.is_empty()) && no_fill) {
        return Ok(Vec::new());
    }
    let (lhs, rhs) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
    let fill_l = m.fill_values.lhs;
    let fill_r = m.fill_values.rhs;
    // Fill values apply to the sides after the one-to-many swap.
    let (fill_many, fill_one) = (fill_l, fill_r);

    // The "one" side, hashed by signature.
    let mut right_sigs: HashMap<Labels, usize> = HashMap::with_capacity(rhs.len());
    for (i, rs) in rhs.iter().enumerate() {
        let sig = signature(&rs.labels, m);
        if let Some(&j) = right_sigs.get(&sig) {
            let side = if one_to_many { "left" } else { "right" };
            let (a, b) = (&rhs[j].labels, &rs.labels);
            let (first, second) = if a <= b { (a, b) } else { (b, a) };
            return Err(EvalError::eval(format!(
                "found duplicate series for the match group {} on the {} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                match_group(&rs.labels, m),
                side,
                first,
                second
            )));
        }
        right_sigs.insert(sig, i);
    }

    let mut matched: HashMap<Labels, Option<HashSet<Labels>>> = HashMap::new();
    let mut used_right: HashSet<usize> = HashSet::new();
    let mut out = Vec::new();
    let mut notes: Vec<Annotation> = Vec::new();
    let evr: &Evaluator<'_> = ev;
    let mut emit = |ls: &Sample,
                    rs_labels: &Labels,
                    lv: Operand<'_>,
                    rv: Operand<'_>,
                    sig: Labels,
                    out: &mut Vec<Sample>|
     -> Result<(), EvalError> {
        let (fl, fr) = if one_to_many { (rv, lv) } else { (lv, rv) };
        let mut e = elem_op(op, fl, fr)?;
        if let Some(w) = e.warning.take() {
            notes.push(w);
        }
        if let Some(a) = e.note {
            notes.push(a);
            if !e.keep {
                return Ok(());
            }
        }
        let (mut v, mut h, mut keep) = (e.v, e.h, e.keep);
        if return_bool {
            v = if keep { 1.0 } else { 0.0 };
            h = None;
            keep = true;
        }
        let (labels, drop) = result_labels(evr, ls, rs_labels, op, m, one_to_one, return_bool);
        // Matching errors are detected before comparisons filter samples.
        let entry = matched.entry(sig);
        match entry {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if one_to_one {
                    return Err(EvalError::eval(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                    ));
                }
                let set = e.get_mut().get_or_insert_with(HashSet::new);
                if !set.insert(labels.clone()) {
                    return Err(EvalError::eval(
                        "multiple matches for matching labels: grouping labels must ensure unique matches",
                    ));
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                if one_to_one {
                    e.insert(None);
                } else {
                    let mut set = HashSet::new();
                    set.insert(labels.clone());
                    e.insert(Some(set));
                }
            }
        }
        if !keep {
            return Ok(());
        }
        out.push(Sample {
            labels,
            t: ls.t,
            v,
            h,
            drop_name: drop,
        });
        Ok(())
    };

    for ls in &lhs {
        let sig = signature(&ls.labels, m);
        match right_sigs.get(&sig) {
            Some(&ri) => {
                used_right.insert(ri);
                let rs = &rhs[ri];
                emit(
                    ls,
                    &rs.labels,
                    (ls.v, ls.h.as_ref()),
                    (rs.v, rs.h.as_ref()),
                    sig,
                    &mut out,
                )?;
            }
            None => {
                if let Some(fv) = fill_one {
                    emit(
                        ls,
                        &Labels::empty(),
                        (ls.v, ls.h.as_ref()),
                        (fv, None),
                        sig,
                        &mut out,
                    )?;
                }
            }
        }
    }
    if let Some(fv) = fill_many {
        for (ri, rs) in rhs.iter().enumerate() {
            if used_right.contains(&ri) {
                continue;
            }
            // Synthesize the missing "many" side from the "one" side's labels.
            let sig = signature(&rs.labels, m);
            let fake = Sample {
                labels: match_group(&rs.labels, m),
                t: rs.t,
                v: fv,
                h: None,
                drop_name: false,
            };
            emit(
                &fake,
                &rs.labels,
                (fv, None),
                (rs.v, rs.h.as_ref()),
                sig,
                &mut out,
            )?;
        }
    }
    for a in notes {
        ev.annotate(a);
    }
    Ok(out)
}
