//! `rate-of-sum` (ML210): `rate` (or `irate`, `increase`, `resets`) over an
//! aggregation, through a subquery (`rate(sum(x_total)[5m:])`) or a
//! recording rule of the same group that sums raw counters. When one of the
//! summed counters resets, the sum drops and `rate` reads that as a reset
//! of the whole sum: a huge spike.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{op_str, returns_input_series, unwrap_parens, walk};
use crate::promql::ast::Expr;
use crate::promql::selectors::{call_name_range, selector_name_range, selector_uses};
use crate::promql::types::{is_change_function, is_counter_function, metric_kind};

crate::declare_lint! {
    /// The `rate-of-sum` lint.
    pub struct RateOfSum {
        code: "ML210",
        name: "rate-of-sum",
        category: Correctness,
        severity: Error,
        summary: "`rate` of a sum of counters: one reset looks like the whole sum resetting",
    }
}

/// Aggregations that combine series (not `topk` & co, which return them).
fn combines(e: &Expr) -> Option<String> {
    match unwrap_parens(e) {
        Expr::Aggregate(a) => {
            let op = op_str(&a.op);
            (!returns_input_series(&op)).then_some(op)
        }
        _ => None,
    }
}

/// True when `e` sums raw counters: an aggregation reading counter
/// selectors not under a rate-like function.
fn sums_raw_counters(e: &Expr) -> bool {
    combines(e).is_some()
        && selector_uses(e).iter().any(|u| {
            u.name.is_some_and(|n| metric_kind(n).is_counter_like())
                && !u.inside_call(is_change_function)
        })
}

impl Lint for RateOfSum {
    /// Flags counter functions over a subquery of an aggregation, and over
    /// a recorded series defined in the same group as an aggregation of raw
    /// counters (`record: job:requests_total:sum`, `expr: sum by (job) (requests_total)`).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let text = &expr.text.value;
        walk(ast, &mut |e| {
            let Expr::Call(c) = e else { return };
            let f = c.func.name;
            if !is_counter_function(f) {
                return;
            }
            let Some(arg) = c.args.args.first() else {
                return;
            };
            match unwrap_parens(arg) {
                Expr::Subquery(s) => {
                    let Some(op) = combines(&s.expr) else { return };
                    let span = call_name_range(text, expr.tokens(), ast, unwrap_parens(&s.expr))
                        .map(|r| expr.span_of(r))
                        .unwrap_or(expr.text.span);
                    r.report(span, format!("`{f}` over `{op}(…)`: when one summed counter resets, the {op} drops and `{f}` reads it as a reset of the whole {op}"))
                        .help(format!("aggregate after the rate: `{op}(rate(x_total[5m]))`"));
                }
                m @ Expr::MatrixSelector(ms) => {
                    let Some(name) = ms.vs.name.as_deref() else {
                        return;
                    };
                    let Some(rec) = cx.group.rules.iter().find(|r| {
                        !r.is_alert()
                            && r.name.value == name
                            && r.expr
                                .as_ref()
                                .and_then(|x| x.ast.as_ref())
                                .is_some_and(|a| sums_raw_counters(a))
                    }) else {
                        return;
                    };
                    let span = selector_name_range(text, expr.tokens(), ast, m)
                        .map(|r| expr.span_of(r))
                        .unwrap_or(expr.text.span);
                    r.report(span, format!("`{f}` over `{name}`, which aggregates raw counters: when one of them resets, the aggregate drops and `{f}` reads it as a reset of the whole"))
                        .label(rec.name.span, "recorded here from raw counters")
                        .help("record the aggregation of the rates instead: `sum by (…) (rate(x_total[5m]))`");
                }
                _ => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_subquery_and_recorded_sums() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(sum by (model) (inference_requests_total)[5m:]) > 100\n    for: 5m\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("sum").unwrap());
        let y = "groups:\n- name: g\n  rules:\n  - record: model:inference_requests_total:sum\n    expr: sum by (model) (inference_requests_total)\n  - alert: A\n    expr: rate(model:inference_requests_total:sum[5m]) > 100\n    for: 5m\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
    }

    #[test]
    fn passes_sum_of_rates() {
        let y = "groups:\n- name: g\n  rules:\n  - record: model:inference_requests:rate5m\n    expr: sum by (model) (rate(inference_requests_total[5m]))\n  - alert: A\n    expr: sum by (model) (rate(inference_requests_total[5m])) > 100 or deriv(model:inference_requests:rate5m[10m]) > 1 or rate(model:inference_requests:rate5m[5m]) > 1\n    for: 5m\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
