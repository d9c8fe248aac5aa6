//! `division-may-be-zero` (ML213, pedantic): an alert divides by something
//! that is 0 whenever the data is flat (`stddev_over_time`, `changes`,
//! `deriv`, …). Any non-zero numerator over 0 is `+Inf` (or `-Inf`), which
//! passes `> threshold`: the alert fires exactly when nothing is happening.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{aggregation_preserves_quantity, op_str, walk};
use crate::promql::ast::Expr;
use crate::promql::selectors::{binary_op_span, name_span};

crate::declare_lint! {
    /// The `division-may-be-zero` lint.
    pub struct DivisionMayBeZero {
        code: "ML213",
        name: "division-may-be-zero",
        category: Pedantic,
        severity: Warning,
        summary: "an alert divides by a value that is 0 when the data is flat, and fires on `+Inf`",
    }
}

/// The node of `e` that makes it 0 on flat data, unless guarded.
fn zero_source(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Paren(p) => zero_source(&p.expr),
        Expr::Call(c)
            if matches!(
                c.func.name,
                "stddev_over_time"
                    | "stdvar_over_time"
                    | "changes"
                    | "resets"
                    | "delta"
                    | "idelta"
                    | "deriv"
            ) =>
        {
            Some(e)
        }
        Expr::Call(c)
            if matches!(
                c.func.name,
                "abs" | "sort" | "sort_desc" | "label_replace" | "label_join"
            ) =>
        {
            c.args.args.first().and_then(|a| zero_source(a))
        }
        Expr::Aggregate(a) => match op_str(&a.op).as_str() {
            "stddev" | "stdvar" => Some(e),
            o if aggregation_preserves_quantity(o) => zero_source(&a.expr),
            _ => None,
        },
        _ => None,
    }
}

/// True when `e` is kept away from 0: a filtering comparison or `clamp_min`/`clamp` inside.
fn guarded(e: &Expr) -> bool {
    let mut g = false;
    walk(e, &mut |n| match n {
        Expr::Binary(b) if b.op.is_comparison_operator() && !b.return_bool() => g = true,
        Expr::Binary(b) if matches!(op_str(&b.op).as_str(), "+" | "or") => g = true,
        Expr::Call(c) if matches!(c.func.name, "clamp_min" | "clamp") => g = true,
        _ => {}
    });
    g
}

impl Lint for DivisionMayBeZero {
    /// Flags `/` in alerting rules whose denominator is a standard
    /// deviation or variance (`stddev_over_time`, `stddev`), or a change
    /// (`changes`, `resets`, `delta`, `idelta`, `deriv`), through
    /// parentheses and `sum`/`avg`/`max`/`min`, unless it is guarded by a
    /// comparison (`(… > 0)`), an addition (`+ 1e-9`), `or`, or `clamp_min`.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if !cx.rule.is_alert() {
            return;
        }
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        walk(ast, &mut |e| {
            let Expr::Binary(b) = e else { return };
            if op_str(&b.op) != "/" || guarded(&b.rhs) {
                return;
            }
            let Some(src) = zero_source(&b.rhs) else {
                return;
            };
            let name = match src {
                Expr::Call(c) => c.func.name.to_string(),
                Expr::Aggregate(a) => op_str(&a.op),
                _ => return,
            };
            let span = expr.span_or_whole(name_span(src).or_else(|| binary_op_span(e)));
            r.report(span, format!("the denominator `{name}(…)` is 0 when the data is flat: the division gives `+Inf`, which passes any `>` threshold"))
                .help("keep the denominator away from 0: `/ clamp_min(stddev_over_time(x[1h]), 1e-9)` or filter it: `/ (stddev_over_time(x[1h]) > 0)`");
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: FeatureDrift\n    expr: {expr}\n    for: 15m\n"
        )
    }

    #[test]
    fn flags_zscore_without_guard() {
        let y = rule(
            "abs(feature_mean - avg_over_time(feature_mean[7d])) / stddev_over_time(feature_mean[7d]) > 3",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("stddev_over_time").unwrap());
    }

    #[test]
    fn passes_guarded_denominators() {
        for e in [
            "abs(feature_mean - avg_over_time(feature_mean[7d])) / clamp_min(stddev_over_time(feature_mean[7d]), 1e-9) > 3",
            "abs(feature_mean - avg_over_time(feature_mean[7d])) / (stddev_over_time(feature_mean[7d]) > 0) > 3",
            "rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
