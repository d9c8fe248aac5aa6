//! `condition-never-true` (ML214): a filter of an alerting rule that no
//! value can pass (`x == 0 > 0`, `count(x) == 0`, `absent(x) == 0`,
//! `up > 1`), so the alert, or the part of it that the filter ends, never
//! fires.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::conditions::{DeadFilter, OriginKind, values};
use crate::promql::selectors::comparison_span;

crate::declare_lint! {
    /// The `condition-never-true` lint.
    pub struct ConditionNeverTrue {
        code: "ML214",
        name: "condition-never-true",
        category: Correctness,
        severity: Error,
        summary: "a comparison in an alerting rule that no value can pass, so the alert never fires",
    }
}

impl Lint for ConditionNeverTrue {
    /// Flags every filtering comparison with a number (no `bool`) in an
    /// alerting rule whose input values cannot pass it, from
    /// `promql::conditions::values`: chains of filters (`x == 0 > 0`,
    /// `x < 1 > 5`), `count` (at least 1), `absent` (1), `up` (0 or 1),
    /// `bool` (0 or 1), `vector(c)`, clamps, and arithmetic with numbers.
    /// The finding points at the comparison and its number. Recording rules
    /// are not checked.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if !cx.rule.is_alert() {
            return;
        }
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let (top, dead) = values(ast);
        for d in &dead {
            let span = expr.span_or_whole(comparison_span(d.node));
            let consequence = if top.set.is_empty() {
                format!("alert {:?} can never fire", cx.rule.name.value)
            } else {
                "this part of the expression never returns a series".to_string()
            };
            r.report(span, format!("{}: {consequence}", d.reason()))
                .help(help(d));
        }
    }
}

fn help(d: &DeadFilter) -> String {
    match d.origin.as_ref().map(|o| o.kind) {
        Some(OriginKind::Filter) => "two comparisons in a row filter twice (`x == 0 > 0` is `(x == 0) > 0`): keep the one you meant; a range is `x > 1 < 5`, outside a range is `x < 1 or x > 5`".into(),
        Some(OriginKind::Count) => "`count` returns no series, never 0, when nothing matches: alert on `absent(…)` for no series, on `sum(…) == 0` when the series are 0/1 flags, or compare `(count(…) or vector(0))`".into(),
        Some(OriginKind::Absent) => "`absent(…)` is 1 when nothing matches and returns nothing otherwise: use it without a comparison, or `count(…) > 0` to alert on series that exist".into(),
        Some(OriginKind::Up) => "`up` is 1 for a successful scrape and 0 for a failed one: `up == 0` finds targets that are down".into(),
        Some(OriginKind::Bool) => "`bool` turns a comparison into 0 or 1: compare with 0 or 1, or drop `bool` to filter".into(),
        _ => "compare with a threshold that the values reaching the comparison can pass".into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            r#"groups:
  - name: lb
    rules:
      - alert: LoadBalancerDown
        expr: {expr}
        for: 5m
        labels:
          severity: critical
"#
        )
    }

    #[test]
    fn flags_filters_nothing_passes() {
        for (e, at, msg) in [
            (
                r#"sum(up{tier="lb"}) by (type) == 0 > 0"#,
                "> 0",
                "`== 0` keeps only series equal to 0, so `> 0` never passes: alert \"LoadBalancerDown\" can never fire",
            ),
            (
                "haproxy_backend_active_servers < 1 > 5",
                "> 5",
                "`< 1` keeps only series below 1, so `> 5` never passes",
            ),
            (
                "nvidia_gpu_temperature_celsius <= 4 >= 10",
                ">= 10",
                "`<= 4` keeps only series at most 4, so `>= 10` never passes",
            ),
            (
                "'count(traefik_backend_server_up) by (backend) == 0'",
                "== 0",
                "`count(…)` is at least 1 whenever it returns a series, so `== 0` never passes",
            ),
            (
                r#"absent(up{job="triton-inference-server"}) == 0"#,
                "== 0",
                "`absent(…)` returns 1 or nothing, so `== 0` never passes",
            ),
            (
                r#"up{job="kserve-predictor"} > 1"#,
                "> 1",
                "`up` is 0 or 1, so `> 1` never passes",
            ),
            (
                "vector(0) > 0",
                "> 0",
                "`vector(0)` is 0, so `> 0` never passes",
            ),
            (
                r#"0 > count(kube_pod_status_ready{condition="true", namespace="ml-serving"})"#,
                "0 >",
                "so `0 >` never passes",
            ),
        ] {
            let y = rule(e);
            let d = run_on(&super::META, &y);
            assert_eq!(d.len(), 1, "{e}: {d:?}");
            assert!(d[0].message.contains(msg), "{e}: {}", d[0].message);
            assert_eq!(&y[d[0].span.start..d[0].span.end], at, "{e}");
        }
    }

    #[test]
    fn a_dead_branch_is_flagged_as_a_part() {
        let e = r#"count(up{job="vllm"}) == 0 or up{job="vllm"} == 0"#;
        let d = run_on(&super::META, &rule(e));
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message
                .ends_with("this part of the expression never returns a series"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn passes_conditions_that_can_be_true() {
        for e in [
            // ranges whose ends overlap (kube-prometheus, traefik mixin)
            "sum(rate(apiserver_request_total[5m])) / sum(rate(apiserver_request_total[5m])) > 0.9 < 1",
            "max by (instance, sans) ((last_over_time(traefik_tls_certs_not_after[5m]) - time()) / 86400) < 14 > 7",
            // awesome-prometheus-alerts' redis rule: the fallback makes 0 reachable
            r#"'(count(redis_instance_info{role="master"}) or vector(0)) < 1'"#,
            r#"up{job="triton"} == 0"#,
            "count(up == 0) by (job) > 0",
            r#"absent(up{job="triton"} == 1)"#,
            "sum by (model) (inference_queue_depth) == 0",
            "DCGM_FI_DEV_GPU_UTIL != 0 != 100",
            "rate(inference_errors_total[5m]) > bool 1",
            "avg(up{job=\"ray\"}) < 0.5",
        ] {
            let d = run_on(&super::META, &rule(e));
            assert!(d.is_empty(), "{e}: {d:?}");
        }
        let rec = "groups:\n  - name: g\n    rules:\n      - record: job:up:count0\n        expr: count(up) by (job) == 0\n";
        assert!(run_on(&super::META, rec).is_empty());
    }
}
