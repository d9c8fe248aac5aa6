//! `absent-without-down-case` (ML216): an alerting rule that is only
//! `absent(up{job="x"})` fires when the targets vanish from service
//! discovery, not when they are discovered but fail their scrapes
//! (`up == 0`), the more common failure; flagged unless another alerting
//! rule of the run compares those `up` series.

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::promql::analysis::unwrap_parens;
use crate::promql::ast::{Expr, VectorSelector};
use crate::promql::conditions::compared_selectors;
use crate::promql::names::{absence_word, is_health_metric};
use crate::promql::selectors::matchers_cover;

crate::declare_lint! {
    /// The `absent-without-down-case` lint.
    pub struct AbsentWithoutDownCase {
        code: "ML216",
        name: "absent-without-down-case",
        category: Suspicious,
        severity: Warning,
        summary: "an alert on `absent(up{…})` alone misses targets that are discovered but down",
    }
}

impl Lint for AbsentWithoutDownCase {
    /// Flags alerting rules whose whole expression is
    /// `absent(M{…})`/`absent_over_time(M{…}[…])` of a bare selector of a
    /// health series `M` (`up`, `*_up`), unless an alerting rule of the run
    /// compares `M` with a filter (`up{job="x"} == 0`, `count(up == 0) by
    /// (job) > 0`, `absent(up{job="x"} == 1)`) through a selector whose
    /// matchers select every series the `absent` one does (no matchers, the
    /// same ones, or a regex the value satisfies). Alerts whose name says
    /// they are about absence (`CertManagerAbsent`, `DriftJobMissing`,
    /// `…Disappeared`, `…Gone`) are what they say and are not flagged.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let mut compared: Vec<&VectorSelector> = Vec::new();
        for (_, _, rule) in cx.rules() {
            if !rule.is_alert() {
                continue;
            }
            if let Some(ast) = rule.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                compared.extend(compared_selectors(ast));
            }
        }
        for (f, _, rule) in cx.rules() {
            if !rule.is_alert() {
                continue;
            }
            let Some(expr) = &rule.expr else { continue };
            let Some(ast) = &expr.ast else { continue };
            if absence_word(&rule.name.value).is_some() {
                continue;
            }
            let Some((call, vs)) = absent_of_health(ast) else {
                continue;
            };
            let Some(name) = vs.name.as_deref() else {
                continue;
            };
            if compared
                .iter()
                .any(|c| c.name.as_deref() == Some(name) && matchers_cover(c, vs))
            {
                continue;
            }
            let sel = selector_text(vs);
            let down = if name == "up" {
                "a target that is discovered but fails its scrape"
            } else {
                "an exporter that is scraped but reports what it watches as down"
            };
            r.report_in(f.file, expr.span_of(call.name_span.range()), format!(
                    "alert {:?} fires only when no `{sel}` series exists: {down} (`{sel} == 0`) does not fire it, and no alerting rule of the run compares `{sel}`",
                    rule.name.value
                ))
                .help(format!(
                    "use `absent({sel} == 1)` to fire when no target is up, missing or down, or add `or {sel} == 0` to fire for each target that is down"
                ));
        }
    }
}

/// `(func, selector)` when `e` is `absent(M{…})` or
/// `absent_over_time(M{…}[…])` of a health series `M`, through parentheses.
fn absent_of_health(e: &Expr) -> Option<(&crate::promql::ast::Call, &VectorSelector)> {
    let Expr::Call(c) = unwrap_parens(e) else {
        return None;
    };
    if !matches!(c.func.name, "absent" | "absent_over_time") {
        return None;
    }
    let vs = match unwrap_parens(c.args.args.first()?) {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return None,
    };
    is_health_metric(vs.name.as_deref()?).then_some((c, vs))
}

/// `up{job="x"}`: the selector as written in messages (name and matchers
/// other than `__name__`, in order).
fn selector_text(vs: &VectorSelector) -> String {
    let name = vs.name.as_deref().unwrap_or_default();
    let m: Vec<String> = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| m.name != "__name__")
        .map(|m| format!("{}{}{}", m.name, m.op, crate::go::quote::quote(&m.value)))
        .collect();
    if m.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", m.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    const ABSENT: &str = r#"groups:
  - name: triton
    rules:
      - alert: TritonDown
        expr: absent(up{job="triton-inference-server"})
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: Triton has disappeared from Prometheus target discovery.
"#;

    #[test]
    fn flags_absent_alone() {
        let d = run_on(&super::META, ABSENT);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(&ABSENT[d[0].span.start..d[0].span.end], "absent");
        assert!(
            d[0].message
                .contains(r#"(`up{job="triton-inference-server"} == 0`) does not fire it"#),
            "{}",
            d[0].message
        );
        for e in [
            r#"absent(up{job=~".*promscale.*"})"#,
            "absent_over_time(mysql_up{instance=\"db-0\"}[5m])",
            r#"(absent(up{job="ray-head"}))"#,
        ] {
            let y = ABSENT.replace(r#"absent(up{job="triton-inference-server"})"#, e);
            assert_eq!(run_on(&super::META, &y).len(), 1, "{e}");
        }
        let y = ABSENT.replace(
            r#"absent(up{job="triton-inference-server"})"#,
            "absent(redis_up)",
        );
        let d = run_on(&super::META, &y);
        assert!(
            d[0].message.contains(
                "an exporter that is scraped but reports what it watches as down (`redis_up == 0`)"
            ),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn flags_when_the_down_alert_watches_another_job() {
        let other = r#"groups:
  - name: vllm
    rules:
      - alert: VllmDown
        expr: up{job="vllm"} == 0
        for: 5m
"#;
        assert_eq!(run_on_files(&super::META, &[ABSENT, other]).len(), 1);
    }

    #[test]
    fn passes_when_the_down_case_is_covered() {
        for expr in [
            // the same group, the same job
            r#"up{job="triton-inference-server"} == 0"#,
            // kube-prometheus' TargetDown covers every job
            "100 * (count(up == 0) BY (cluster, job, namespace, service) / count(up) BY (cluster, job, namespace, service)) > 10",
            // awesome-prometheus-alerts' PrometheusTargetMissing
            "up == 0",
            r#"avg by (job) (up{job=~"triton.*"}) < 0.5"#,
        ] {
            let y = format!(
                "{ABSENT}      - alert: TargetDown\n        expr: '{}'\n        for: 5m\n",
                expr.replace('\'', "''")
            );
            assert!(run_on(&super::META, &y).is_empty(), "{expr}");
        }
        // in another file of the run
        let other = "groups:\n  - name: general\n    rules:\n      - alert: TargetDown\n        expr: up == 0\n";
        assert!(run_on_files(&super::META, &[ABSENT, other]).is_empty());
    }

    #[test]
    fn passes_other_absent_alerts() {
        for e in [
            // kube-prometheus and the Thanos mixin: no target up, missing or down
            r#"absent(up{job="kube-scheduler"} == 1)"#,
            r#"absent(up{job="triton"}) or up{job="triton"} == 0"#,
            "absent(nvidia_gpu_duty_cycle)",
            r#"absent(kube_deployment_status_replicas_available{deployment="kserve-controller"})"#,
            r#"absent(up{job="ray"}) and on() vector(1)"#,
        ] {
            let y = ABSENT.replace(r#"absent(up{job="triton-inference-server"})"#, e);
            assert!(run_on(&super::META, &y).is_empty(), "{e}");
        }
        // the name says the alert is about absence (cert-manager mixin)
        let named = ABSENT.replace("TritonDown", "TritonAbsent");
        assert!(run_on(&super::META, &named).is_empty());
        let rec = "groups:\n  - name: g\n    rules:\n      - record: job:absent:up\n        expr: absent(up{job=\"x\"})\n";
        assert!(run_on(&super::META, rec).is_empty());
    }
}
