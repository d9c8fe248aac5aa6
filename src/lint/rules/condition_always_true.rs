//! `condition-always-true` (ML215): a `vector(…)` fallback that makes an
//! alerting rule return a series on every evaluation (`… or vector(1)`),
//! or a recording rule of `up` whose fallback records "up" when the
//! targets are missing.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::rules::RuleKind;
use crate::promql::analysis::{is_constant, op_str, unwrap_parens};
use crate::promql::ast::Expr;
use crate::promql::conditions::{always_returns, number_value};
use crate::promql::names::is_health_metric;
use crate::promql::selectors::{call_span, selector_uses};

crate::declare_lint! {
    /// The `condition-always-true` lint.
    pub struct ConditionAlwaysTrue {
        code: "ML215",
        name: "condition-always-true",
        category: Correctness,
        severity: Warning,
        summary: "a `vector(…)` fallback makes an alert fire on every evaluation, or records a missing target as up",
    }
}

impl Lint for ConditionAlwaysTrue {
    /// Alerting rules: flags an expression that reads series but returns
    /// a series on every evaluation through a `vector(…)` (`… or
    /// vector(1)`, `… or vector(0)` with no filter after it, or a filter
    /// every value passes), from `promql::conditions::always_returns`.
    /// Expressions that read no series (`vector(1)`, the Watchdog) are
    /// meant to fire always and are not flagged.
    ///
    /// Recording rules: flags `… or vector(c)` with `c` not 0 at the top
    /// when the other side reads only health series (`up`, `*_up`): when
    /// the targets disappear, the recorded series says they are up. A
    /// `… or vector(0)` default is not flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        match cx.rule.kind {
            RuleKind::Alerting => {
                if is_constant(ast) {
                    return;
                }
                let Some(f) = always_returns(ast) else { return };
                let span = expr.span_or_whole(call_span(f.vector));
                let vector = vector_text(f.value);
                let passes = match f.passes.as_slice() {
                    [] => String::new(),
                    [one] => format!("`{one}` lets every value through, and "),
                    more => format!("`{}` let every value through, and ", more.join("`, `")),
                };
                let gives = if f.in_or {
                    format!(
                        "when the rest of the expression returns nothing, `{vector}` gives a series"
                    )
                } else {
                    format!("`{vector}` always gives a series")
                };
                let msg = format!(
                    "{passes}{gives}: alert {:?} fires on every evaluation",
                    cx.rule.name.value
                );
                r.report(span, msg).help(
                    "an alerting rule fires for every series it returns, so a default value makes it fire: drop the fallback, or use `or absent(…)` to alert when the series is missing",
                );
            }
            RuleKind::Recording => {
                let Expr::Binary(b) = unwrap_parens(ast) else {
                    return;
                };
                if op_str(&b.op) != "or" {
                    return;
                }
                let fallback = unwrap_parens(&b.rhs);
                let Expr::Call(c) = fallback else { return };
                let value = c.args.args.first().and_then(|a| number_value(a));
                if c.func.name != "vector" || value.is_none_or(|v| v == 0.0) {
                    return;
                }
                let uses = selector_uses(&b.lhs);
                let Some(name) = uses.first().and_then(|u| u.name) else {
                    return;
                };
                if !uses.iter().all(|u| u.name.is_some_and(is_health_metric)) {
                    return;
                }
                let span = expr.span_or_whole(call_span(fallback));
                r.report(span, format!(
                    "when no `{name}` series matches (the targets are gone), `{}` records {:?} as up: a missing target looks healthy",
                    vector_text(value),
                    cx.rule.name.value
                ))
                .help("use `or vector(0)` so that missing reads as down, or drop the fallback and alert on `absent(…)`");
            }
        }
    }
}

fn vector_text(value: Option<f64>) -> String {
    match value {
        Some(v) => format!("vector({})", crate::go::float::format_v(v)),
        None => "vector(…)".into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(expr: &str) -> String {
        format!(
            r#"groups:
  - name: inference
    rules:
      - alert: InferenceErrorsHigh
        expr: {expr}
        for: 10m
        labels:
          severity: warning
"#
        )
    }

    fn record(name: &str, expr: &str) -> String {
        format!(
            "groups:\n  - name: slo\n    rules:\n      - record: {name}\n        expr: {expr}\n"
        )
    }

    #[test]
    fn flags_alerts_with_a_fallback() {
        for (e, at) in [
            (
                "sum(rate(inference_errors_total[5m])) / sum(rate(inference_requests_total[5m])) > 0.05 or vector(1)",
                "vector(1)",
            ),
            (
                "sum by (model) (rate(inference_errors_total[5m])) > 1 or on() vector(0)",
                "vector(0)",
            ),
            (
                r#"(count(kube_pod_status_ready{namespace="ml-serving", condition="true"}) or vector(0)) >= 0"#,
                "vector(0)",
            ),
            (
                r#"label_replace(sum(rate(triton_errors_total[5m])), "model", "all", "", "") > 3 or vector(0)"#,
                "vector(0)",
            ),
        ] {
            let y = alert(e);
            let d = run_on(&super::META, &y);
            assert_eq!(d.len(), 1, "{e}: {d:?}");
            assert_eq!(&y[d[0].span.start..d[0].span.end], at, "{e}");
            assert!(d[0].message.contains("fires on every evaluation"));
        }
    }

    #[test]
    fn passes_heartbeats_and_fallbacks_under_a_filter() {
        for e in [
            "vector(1)",
            r#"label_replace(vector(1), "cluster", "gpu-a", "", "")"#,
            // awesome-prometheus-alerts' redis rule
            r#"'(count(redis_instance_info{role="master"}) or vector(0)) < 1'"#,
            "(sum(rate(inference_errors_total[5m])) or vector(0)) > 10",
            r#"up{job="triton"} == 0 or absent(up{job="triton"})"#,
            "sum(rate(inference_errors_total[5m])) > 1",
        ] {
            let d = run_on(&super::META, &alert(e));
            assert!(d.is_empty(), "{e}: {d:?}");
        }
    }

    #[test]
    fn flags_recorded_availability_that_hides_missing_targets() {
        let y = record(
            "job:up:avg",
            r#"avg by (job) (up{job="triton"}) or vector(1)"#,
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(&y[d[0].span.start..d[0].span.end], "vector(1)");
        assert!(d[0].message.contains("a missing target looks healthy"));
        assert_eq!(
            run_on(
                &super::META,
                &record("mysql:up", "min(mysql_up) or vector(1)")
            )
            .len(),
            1
        );
    }

    #[test]
    fn passes_recorded_defaults() {
        for (n, e) in [
            // kube-prometheus and the OpenShift rules default to 0
            (
                "code:apiserver_request_total:increase30d",
                r#"sum by (cluster) (code:apiserver_request_total:increase30d{code=~"5.."} or vector(0))"#,
            ),
            (
                "cluster:nlb:active",
                "sum(ingress_controller_aws_nlb_active) or vector(0)",
            ),
            (
                "job:up:avg",
                r#"avg by (job) (up{job="triton"}) or vector(0)"#,
            ),
            (
                "slo:success:ratio",
                "sum(rate(inference_success_total[5m])) / sum(rate(inference_requests_total[5m])) or vector(1)",
            ),
            ("heartbeat", "vector(1)"),
        ] {
            let d = run_on(&super::META, &record(n, e));
            assert!(d.is_empty(), "{e}: {d:?}");
        }
    }
}
