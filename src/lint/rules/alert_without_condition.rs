//! `alert-without-condition` (ML206): an alerting rule whose expression
//! has no comparison or filter fires for every series it returns, all the
//! time.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::conditions::has_condition;

crate::declare_lint! {
    /// The `alert-without-condition` lint.
    pub struct AlertWithoutCondition {
        code: "ML206",
        name: "alert-without-condition",
        category: Correctness,
        severity: Error,
        summary: "an alert expression with no comparison or filter fires for every series",
    }
}

impl Lint for AlertWithoutCondition {
    /// Flags alerting rules whose expression has no filtering comparison
    /// (`>`, `==`, … without `bool`), no `and`/`unless`, no `absent()`, does
    /// not read `ALERTS`, and does read series (`vector(1)` heartbeats pass).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(expr) = &rule.expr else { return };
        let Some(ast) = &expr.ast else { return };
        if has_condition(ast) {
            return;
        }
        r.report(expr.text.span, format!(
                    "alert {:?} has no condition: it fires for every series the expression returns, whatever the value",
                    rule.name.value
                ))
            .help("compare with a threshold (`… > 0.9`) or filter with `and`/`unless`; `bool` comparisons do not filter");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: ModelDrift\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_bare_values() {
        for e in [
            "model_drift_score",
            "rate(inference_errors_total[5m])",
            "drift_score > bool 0.3",
        ] {
            assert_eq!(run_on(&super::META, &rule(e)).len(), 1, "{e}");
        }
    }

    #[test]
    fn passes_conditions_heartbeats_and_recording_rules() {
        for e in [
            "model_drift_score > 0.3",
            "vector(1)",
            "absent(up{job=\"triton\"})",
            "up{job=\"triton\"} unless on (pod) ready",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
        assert!(
            run_on(
                &super::META,
                "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: x\n"
            )
            .is_empty()
        );
    }
}
