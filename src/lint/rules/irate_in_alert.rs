//! `irate-in-alert` (ML221): an alerting rule's condition uses `irate`,
//! which computes the rate from the last two samples of its window only.
//! Prometheus' documentation: "`irate` should only be used when graphing
//! volatile, fast-moving counters. Use `rate` for alerts and slow-moving
//! counters, as brief changes in the rate can reset the `for` clause".

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::walk;
use crate::promql::ast::Expr;

crate::declare_lint! {
    /// The `irate-in-alert` lint.
    pub struct IrateInAlert {
        code: "ML221",
        name: "irate-in-alert",
        category: Suspicious,
        severity: Warning,
        summary: "an alerting rule's condition uses `irate`, which looks at the last two samples only",
    }
}

impl Lint for IrateInAlert {
    /// Flags each `irate` call of an alerting rule's expression, at the
    /// function name, unless it sits inside a subquery (`max_over_time(
    /// irate(x[1m])[10m:1m])`), whose window already looks at many
    /// evaluations. Recording rules (a dashboard's fast-moving series) are
    /// not flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if !cx.rule.is_alert() {
            return;
        }
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        // `irate` calls under a subquery: smoothed over its range.
        let mut smoothed: Vec<*const Expr> = Vec::new();
        walk(ast, &mut |e| {
            if let Expr::Subquery(sq) = e {
                walk(&sq.expr, &mut |x| smoothed.push(x as *const Expr));
            }
        });
        walk(ast, &mut |e| {
            let Expr::Call(c) = e else { return };
            if c.func.name != "irate" {
                return;
            }
            if smoothed.contains(&(e as *const Expr)) {
                return;
            }
            let window = match c.args.args.first().map(|a| a.as_ref()) {
                Some(Expr::MatrixSelector(ms)) => {
                    crate::model::duration::format_ms(ms.range.as_millis() as u64)
                }
                _ => "…".to_string(),
            };
            r.report(
                expr.span_of(c.name_span.range()),
                format!(
                    "`irate` in alert {:?} reads only the last two samples of its [{window}] window: the condition follows single scrapes, so brief dips reset the `for` and brief spikes fire it",
                    cx.rule.name.value
                ),
            )
            .help(format!("use `rate(…[{window}])` (or `increase`), which averages over the whole window"));
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: IfErrors\n    expr: {expr}\n    for: 15m\n"
        )
    }

    #[test]
    fn flags_irate_conditions_at_the_function() {
        let y = alert("(irate(fcIfInvalidCrcs[5m])) > 0");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("irate").unwrap());
        assert!(d[0].message.contains("[5m] window"), "{}", d[0].message);
        let y = alert(
            "sum by (instance) (irate(a_total[1m])) / sum by (instance) (irate(b_total[1m])) > 0.1",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[1].span.start, y.rfind("irate").unwrap());
    }

    #[test]
    fn passes_rate_subqueries_and_recording_rules() {
        for e in [
            "rate(errors_total[5m]) > 0",
            "max_over_time(irate(errors_total[1m])[10m:1m]) > 5",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
        let rec = "groups:\n- name: g\n  rules:\n  - record: instance:errors:irate1m\n    expr: irate(errors_total[1m])\n";
        assert!(run_on(&super::META, rec).is_empty());
    }
}
