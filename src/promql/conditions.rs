//! What makes an alert expression a condition: a filtering comparison
//! (`> 0.9`, without `bool`), a set filter (`and`, `unless`), `absent()`,
//! a heartbeat that reads no series (`vector(1)`), or `ALERTS` (alerts on
//! alerts already passed a condition).

use super::analysis::{is_constant, op_str, selector_name, walk};
use super::ast::Expr;

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
}
