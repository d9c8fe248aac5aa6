//! Vector matching between the two sides of a binary operation, decided
//! from [`super::labels`]' output label inference: can any series of the
//! left side find a partner on the right?
//!
//! Prometheus matches on the label set without `__name__` (minus
//! `ignoring(…)` labels), or on the `on(…)` labels only; a label missing on
//! one side matches only a missing label on the other.

use super::ast::{BinaryExpr, LabelModifier};
use super::labels::{LabelSet, Labeller};

/// Why two label sets cannot match: the first label that differs, with
/// each side's state described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The label.
    pub label: String,
    /// On the left: "absent", or the values it can take ("any value").
    pub left: String,
    /// On the right.
    pub right: String,
}

/// Checks one pair of alternatives; `Some` when they can never match.
fn pair_mismatch(l: &LabelSet, r: &LabelSet, matching: Option<&LabelModifier>) -> Option<Mismatch> {
    let names: Vec<String> = match matching {
        Some(LabelModifier::Include(on)) => on.labels.clone(),
        other => {
            let ignoring: &[String] = match other {
                Some(LabelModifier::Exclude(i)) => &i.labels,
                _ => &[],
            };
            let mut n: Vec<String> = l
                .labels
                .keys()
                .chain(r.labels.keys())
                .filter(|k| *k != "__name__" && !ignoring.contains(k))
                .cloned()
                .collect();
            n.sort();
            n.dedup();
            n
        }
    };
    names.into_iter().find_map(|n| {
        let (a, b) = (l.known(&n), r.known(&n));
        (!a.can_agree(&b)).then(|| Mismatch {
            left: a.describe(),
            right: b.describe(),
            label: n,
        })
    })
}

/// For a binary operation between two vectors (arithmetic, comparison,
/// `and`, `unless`), the reason no left series can ever match a right
/// series, or `None` when some can (or it cannot be told). `or` and
/// operations with a scalar side are never mismatched. `labeller` is the
/// shared, memoised inference over the expression `b` belongs to (or over
/// `b` itself).
pub fn never_matches<'a>(labeller: &Labeller<'a>, b: &'a BinaryExpr) -> Option<Mismatch> {
    if b.op.to_string() == "or" || is_scalar_side(&b.lhs) || is_scalar_side(&b.rhs) {
        return None;
    }
    let matching = b.modifier.as_ref().and_then(|m| m.matching.as_ref());
    let (ls, rs) = (
        labeller.output_labels(&b.lhs),
        labeller.output_labels(&b.rhs),
    );
    let mut first = None;
    for l in &ls {
        for r in &rs {
            match pair_mismatch(l, r, matching) {
                None => return None,
                Some(m) => {
                    first.get_or_insert(m);
                }
            }
        }
    }
    first
}

fn is_scalar_side(e: &super::ast::Expr) -> bool {
    use super::ast::{Expr, ValueType};
    match e {
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => true,
        Expr::Paren(p) => is_scalar_side(&p.expr),
        _ => e.value_type() == ValueType::Scalar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::{ast::Expr, parse};

    fn check(e: &str) -> Option<Mismatch> {
        let ast = parse(e).unwrap();
        let Expr::Binary(b) = ast.as_ref() else {
            panic!("{e}")
        };
        never_matches(&Labeller::new(&ast), b)
    }

    #[test]
    fn different_closed_label_sets_never_match() {
        let m = check("sum by (model) (a) / sum by (model_name) (b)").unwrap();
        assert_eq!(m.label, "model");
        assert!(check("sum by (job, instance) (a) / sum by (instance) (b)").is_some());
        assert!(check("sum by (job) (a) / vector(2)").is_some());
        assert!(check("a{env=\"prod\"} / b{env=\"staging\"}").is_some());
        assert!(check("sum by (a) (x) and sum by (b) (y)").is_some());
    }

    #[test]
    fn reconciled_or_open_sets_can_match() {
        for e in [
            "sum by (model) (a) / on (model) sum by (model, pod) (b)",
            "sum by (job, instance) (a) / ignoring (job) sum by (instance) (b)",
            "sum by (model) (a) / sum by (model) (b)",
            "a / b",
            "a{env=\"prod\"} / b",
            "sum by (job) (a) > 3",
            "sum(a) / scalar(sum(b))",
            "sum by (a) (x) or sum by (b) (y)",
            "a / on () group_left sum(b)",
            "sum by (model) (a) / on (model) group_left label_replace(sum by (name) (b), \"model\", \"$1\", \"name\", \"(.*)\")",
        ] {
            assert_eq!(check(e), None, "{e}");
        }
    }
}
