//! `raw-counter-comparison` (ML208): a `_total` counter compared with a
//! threshold as it is. A counter counts since its process started: the
//! comparison says nothing about now, never resolves until a restart, and
//! flips back at every restart.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{
    aggregation_preserves_quantity, op_str, preserves_quantity, selector_name, walk,
};
use crate::promql::ast::Expr;
use crate::promql::conditions::is_number;
use crate::promql::selectors::{binary_op_range, selector_name_range};
use crate::promql::types::{MetricKind, metric_kind};

crate::declare_lint! {
    /// The `raw-counter-comparison` lint.
    pub struct RawCounterComparison {
        code: "ML208",
        name: "raw-counter-comparison",
        category: Pedantic,
        severity: Warning,
        summary: "a raw counter is compared with a threshold instead of its rate or increase",
    }
}

impl Lint for RawCounterComparison {
    /// Flags comparisons with a number whose other side is a `_total`
    /// counter as scraped: through parentheses, aggregations that keep the
    /// value (`sum`, `max`, …), functions that keep it (`max_over_time`,
    /// `label_replace`, …) and scaling by a number. Differences of counters
    /// (`x - x offset 1h`) and ratios of two counters are not flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some(expr) = &cx.rule.expr else { return };
        let Some(ast) = &expr.ast else { return };
        let text = &expr.text.value;
        walk(ast, &mut |e| {
            let Expr::Binary(b) = e else { return };
            if !b.op.is_comparison_operator() {
                return;
            }
            let counter = if is_number(&b.rhs) {
                raw_counter(&b.lhs)
            } else if is_number(&b.lhs) {
                raw_counter(&b.rhs)
            } else {
                None
            };
            let Some(sel) = counter else { return };
            let name = selector_name(sel).unwrap_or_default();
            let span = selector_name_range(text, expr.tokens(), ast, sel)
                .or_else(|| binary_op_range(text, expr.tokens(), ast, e))
                .map(|r| expr.span_of(r))
                .unwrap_or(expr.text.span);
            r.report(span, format!(
                        "counter `{name}` is compared with `{}` as it is: it counts since the process started, so this says nothing about now and resets with every restart",
                        op_str(&b.op)
                    ))
                .help(format!("compare its change over a window: `increase({name}[10m]) > …` or `rate({name}[5m]) > …`"));
        });
    }
}

fn is_total_counter(name: &str) -> bool {
    metric_kind(name) == MetricKind::Counter && name.ends_with("_total")
}

/// The counter selector `e` is, unchanged in meaning.
fn raw_counter(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::VectorSelector(_) => selector_name(e).is_some_and(is_total_counter).then_some(e),
        Expr::MatrixSelector(_) => None,
        Expr::Paren(p) => raw_counter(&p.expr),
        Expr::Aggregate(a) if aggregation_preserves_quantity(&op_str(&a.op)) => {
            raw_counter(&a.expr)
        }
        Expr::Call(c) if preserves_quantity(c.func.name) => {
            c.args.args.iter().find_map(|a| match a.as_ref() {
                m @ Expr::MatrixSelector(_) => {
                    selector_name(m).is_some_and(is_total_counter).then_some(m)
                }
                other => raw_counter(other),
            })
        }
        Expr::Binary(b)
            if !b.op.is_comparison_operator()
                && matches!(op_str(&b.op).as_str(), "*" | "/" | "+" | "-") =>
        {
            if is_number(&b.rhs) {
                raw_counter(&b.lhs)
            } else if is_number(&b.lhs) {
                raw_counter(&b.rhs)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: InferenceErrors\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_raw_counters() {
        for e in [
            "inference_errors_total > 100",
            "sum by (model) (inference_errors_total) > 100",
            "100 < max_over_time(inference_errors_total[1h])",
        ] {
            let y = rule(e);
            let d = run_on(&super::META, &y);
            assert_eq!(d.len(), 1, "{e}");
            assert_eq!(
                d[0].span.start,
                y.find("inference_errors_total").unwrap(),
                "{e}"
            );
        }
    }

    #[test]
    fn passes_rates_differences_and_ratios() {
        for e in [
            "increase(inference_errors_total[10m]) > 100",
            "inference_errors_total - inference_errors_total offset 1h > 100",
            "inference_errors_total / inference_requests_total > 0.05",
            "job:inference_errors_total:sum > 100",
            "model_drift_score > 0.3",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
