//! Analysis helpers shared by lints and the evaluator: walking the AST,
//! unwrapping parentheses, operator names, selectors, the labels an
//! expression keeps or creates, and the one list of which aggregations keep
//! their input series or quantity.

use super::ast::{Expr, LabelModifier, Span, TokenType};

/// `e` without its enclosing parentheses: `((x))` → `x`; any other
/// expression unchanged.
pub fn unwrap_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unwrap_parens(&p.expr),
        other => other,
    }
}

/// The operands of `expr`'s outermost `or` chain, left to right
/// (parentheses looked through): `a > 1 or (b or absent(c))` gives `a > 1`,
/// `b`, `absent(c)`; an expression without a top-level `or` is its own one
/// branch. For an alerting rule these are the conditions whose series
/// become alerts side by side, as in Prometheus' `VectorOr`.
pub fn or_branches(expr: &Expr) -> Vec<&Expr> {
    match unwrap_parens(expr) {
        Expr::Binary(b) if op_str(&b.op) == "or" => {
            let mut out = or_branches(&b.lhs);
            out.extend(or_branches(&b.rhs));
            out
        }
        e => vec![e],
    }
}

/// The direct sub-expressions of `expr`, in source order (an aggregation's
/// parameter before its argument).
pub fn children(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Aggregate(a) => a
            .param
            .iter()
            .map(|p| p.as_ref())
            .chain([a.expr.as_ref()])
            .collect(),
        Expr::Unary(u) => vec![&u.expr],
        Expr::Binary(b) => vec![&b.lhs, &b.rhs],
        Expr::Paren(p) => vec![&p.expr],
        Expr::Subquery(s) => vec![&s.expr],
        Expr::Call(c) => c.args.args.iter().map(|a| a.as_ref()).collect(),
        Expr::MatrixSelector(_)
        | Expr::VectorSelector(_)
        | Expr::NumberLiteral(_)
        | Expr::StringLiteral(_) => Vec::new(),
    }
}

/// Calls `f` on `expr` and every sub-expression, parents first (pre-order,
/// children in source order). Iterative: its stack is on the heap, so any
/// depth is safe.
pub fn walk<'a>(expr: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        f(e);
        stack.extend(children(e).into_iter().rev());
    }
}

/// Every node of `expr`, children before their parent (post-order), for
/// bottom-up computations memoised per node. Iterative.
pub fn post_order(expr: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        out.push(e);
        stack.extend(children(e));
    }
    // Reversed pre-order with children pushed in order is a post-order.
    out.reverse();
    out
}

/// The text of an operator or aggregation token: `"/"`, `"+"`, `"sum"`, `">"`.
pub fn op_str(op: &TokenType) -> String {
    op.to_string()
}

/// True when the expression reads no series (`vector(1)`, `time() > 0`):
/// its result does not depend on any scraped data.
pub fn is_constant(expr: &Expr) -> bool {
    let mut found = false;
    walk(expr, &mut |e| {
        if matches!(e, Expr::VectorSelector(_) | Expr::MatrixSelector(_)) {
            found = true;
        }
    });
    !found
}

/// The metric name a selector reads (from `name{…}` or `{__name__="name"}`).
pub fn selector_name(expr: &Expr) -> Option<&str> {
    let vs = match expr {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return None,
    };
    if let Some(n) = &vs.name {
        return Some(n);
    }
    vs.matchers
        .matchers
        .iter()
        .find(|m| m.name == "__name__" && matches!(m.op, super::ast::MatchOp::Equal))
        .map(|m| m.value.as_str())
}

/// Labels an expression sets by name: `by (…)` of aggregations and the
/// destination labels of `label_replace`/`label_join`, each with what set
/// it and the byte span where it is written (the name in the `by` list,
/// the quoted destination).
pub fn labels_kept_or_created(expr: &Expr) -> Vec<(String, LabelSource, Option<Span>)> {
    let mut out = Vec::new();
    walk(expr, &mut |e| match e {
        Expr::Aggregate(a) => {
            if let Some(LabelModifier::Include(labels)) = &a.modifier {
                for (i, l) in labels.labels.iter().enumerate() {
                    out.push((
                        l.clone(),
                        LabelSource::AggregationBy(op_str(&a.op)),
                        labels.spans.get(i).copied(),
                    ));
                }
            }
        }
        Expr::Call(c) if matches!(c.func.name, "label_replace" | "label_join") => {
            if let Some(Expr::StringLiteral(s)) = c.args.args.get(1).map(|b| b.as_ref()) {
                out.push((
                    s.val.clone(),
                    LabelSource::LabelFunction(c.func.name),
                    Some(s.span),
                ));
            }
        }
        _ => {}
    });
    out
}

/// Where a label set by an expression comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSource {
    /// `sum by (label)`; the aggregation's name.
    AggregationBy(String),
    /// `label_replace`/`label_join` destination; the function's name.
    LabelFunction(&'static str),
}

/// Functions whose result has the same meaning and unit as their input
/// (the value of a gauge over time, clamping, rounding).
pub fn preserves_quantity(func: &str) -> bool {
    matches!(
        func,
        "avg_over_time"
            | "max_over_time"
            | "min_over_time"
            | "last_over_time"
            | "quantile_over_time"
            | "abs"
            | "clamp"
            | "clamp_max"
            | "clamp_min"
            | "round"
            | "ceil"
            | "floor"
            | "sort"
            | "sort_desc"
            | "label_replace"
            | "label_join"
    )
}

/// Aggregations that return some of their input series as they are, with
/// all their labels (`topk`, `bottomk`, `limitk`, `limit_ratio`), rather than
/// one new series per group: they neither combine series nor drop labels
/// (Prometheus' promql/engine.go `aggregationK`/`aggregationLimitK`).
pub fn returns_input_series(op: &str) -> bool {
    matches!(op, "topk" | "bottomk" | "limitk" | "limit_ratio")
}

/// Aggregations whose result has the same meaning (and unit) as their
/// input: the series kept by [`returns_input_series`], and `sum`, `avg`,
/// `max`, `min`, `quantile` of the values.
pub fn aggregation_preserves_quantity(op: &str) -> bool {
    returns_input_series(op) || matches!(op, "sum" | "avg" | "max" | "min" | "quantile")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::parse;

    #[test]
    fn or_branches_of_the_outermost_chain() {
        let e = crate::promql::parse("up == 0 or (x > 1 or absent(up)) ").unwrap();
        let b: Vec<String> = or_branches(&e).iter().map(|e| e.to_string()).collect();
        assert_eq!(b, ["up == 0", "x > 1", "absent(up)"]);
        let e = crate::promql::parse("increase((a or 0 * absent(a))[15m:1m]) >= 4").unwrap();
        assert_eq!(or_branches(&e).len(), 1);
    }

    #[test]
    fn parens_and_aggregation_kinds() {
        let e = parse("((sum(x)))").unwrap();
        assert!(matches!(unwrap_parens(&e), Expr::Aggregate(_)));
        let s = parse("x").unwrap();
        assert!(std::ptr::eq(unwrap_parens(&s), &*s));
        assert!(returns_input_series("limit_ratio") && returns_input_series("topk"));
        assert!(!returns_input_series("sum") && !returns_input_series("count_values"));
        assert!(
            aggregation_preserves_quantity("limitk") && aggregation_preserves_quantity("quantile")
        );
        assert!(
            !aggregation_preserves_quantity("count") && !aggregation_preserves_quantity("stddev")
        );
    }

    #[test]
    fn constant_expressions() {
        assert!(is_constant(&parse("vector(1)").unwrap()));
        assert!(is_constant(&parse("vector(time()) > 0").unwrap()));
        assert!(!is_constant(&parse("up == 0").unwrap()));
        assert!(!is_constant(&parse("absent(up{job=\"x\"})").unwrap()));
    }

    #[test]
    fn labels_from_by_and_label_functions() {
        let e = parse("sum by (model, request_id) (rate(x[5m])) or label_replace(y, \"trace_id\", \"$1\", \"a\", \"(.*)\")").unwrap();
        let names: Vec<String> = labels_kept_or_created(&e)
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(names, ["model", "request_id", "trace_id"]);
        assert_eq!(
            op_str(&match parse("a / b").unwrap().as_ref() {
                Expr::Binary(b) => b.op,
                _ => unreachable!(),
            }),
            "/"
        );
    }

    #[test]
    fn selector_names() {
        let e = parse("{__name__=\"up\", job=\"x\"}").unwrap();
        assert_eq!(selector_name(&e), Some("up"));
    }
}
