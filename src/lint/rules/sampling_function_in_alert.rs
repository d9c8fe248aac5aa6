//! `sampling-function-in-alert` (ML211): `topk`, `bottomk`, `limitk` or
//! `limit_ratio` deciding which series an alert returns. Which series are
//! picked changes between evaluations, so alerts resolve and re-fire
//! (and restart `for`) as the ranking shifts.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{op_str, returns_input_series};
use crate::promql::ast::Expr;
use crate::promql::selectors::name_span;

crate::declare_lint! {
    /// The `sampling-function-in-alert` lint.
    pub struct SamplingFunctionInAlert {
        code: "ML211",
        name: "sampling-function-in-alert",
        category: Suspicious,
        severity: Warning,
        summary: "`topk`/`bottomk`/`limitk`/`limit_ratio` pick an alert's series and make it flap",
    }
}

/// `topk by (labels) (1, …)`: one series per group, the idiom that
/// deduplicates replicas; the alert's identity is the grouping.
fn dedup(a: &crate::promql::ast::AggregateExpr) -> bool {
    let by = matches!(&a.modifier, Some(crate::promql::ast::LabelModifier::Include(l)) if !l.labels.is_empty());
    let one = matches!(a.param.as_deref(), Some(Expr::NumberLiteral(n)) if n.val == 1.0);
    by && one && op_str(&a.op) != "limit_ratio"
}

/// Sampling aggregations whose picked series reach the result (not under
/// another aggregation that combines them, e.g. `count(topk(…))`).
fn exposed<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::Aggregate(a) if returns_input_series(&op_str(&a.op)) => {
            if !dedup(a) {
                out.push(e);
            }
            exposed(&a.expr, out);
        }
        Expr::Paren(p) => exposed(&p.expr, out),
        Expr::Unary(u) => exposed(&u.expr, out),
        Expr::Binary(b) => {
            exposed(&b.lhs, out);
            exposed(&b.rhs, out);
        }
        Expr::Call(c) if !matches!(c.func.name, "scalar" | "absent" | "absent_over_time") => {
            for a in &c.args.args {
                exposed(a, out);
            }
        }
        Expr::Subquery(_) => {}
        _ => {}
    }
}

impl Lint for SamplingFunctionInAlert {
    /// Flags, in alerting rules, sampling aggregations not enclosed in a
    /// combining aggregation (`sum`, `count`, …), `scalar` or a subquery.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if !cx.rule.is_alert() {
            return;
        }
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let mut found = Vec::new();
        exposed(ast, &mut found);
        for e in found {
            let Expr::Aggregate(a) = e else { continue };
            let op = op_str(&a.op);
            let span = expr.span_or_whole(name_span(e));
            r.report(span, format!("`{op}` picks which series the alert returns: the pick changes between evaluations, so alerts resolve, re-fire and restart `for`"))
                .help("alert on every series over a threshold instead; use `topk` in dashboards or in annotations (`query`)");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: SlowestModels\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_topk_deciding_series() {
        let y = rule("topk(3, inference_latency_p99) > 2");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("topk").unwrap());
    }

    #[test]
    fn passes_combined_and_recording() {
        assert!(
            run_on(
                &super::META,
                &rule("count(topk(3, inference_latency_p99) > 2) > 1")
            )
            .is_empty()
        );
        assert!(
            run_on(
                &super::META,
                &rule("topk by (model, pod) (1, inference_latency_p99) > 2")
            )
            .is_empty()
        );
        assert!(
            run_on(
                &super::META,
                "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: topk(3, x)\n"
            )
            .is_empty()
        );
    }
}
