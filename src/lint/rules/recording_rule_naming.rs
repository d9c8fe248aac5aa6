//! `recording-rule-naming` (ML109): a recording rule's name does not follow
//! Prometheus' `level:metric:operations` convention, so nobody can tell it
//! from a scraped metric or see what it aggregates.

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `recording-rule-naming` lint.
    pub struct RecordingRuleNaming {
        code: "ML109",
        name: "recording-rule-naming",
        category: Style,
        severity: Info,
        summary: "a recording rule's name is not `level:metric:operations`",
    }
}

crate::declare_setting! {
    /// `recording_rule_style`: the scheme recording rule names follow.
    pub static RECORDING_RULE_STYLE: String = {
        key: "recording_rule_style",
        default: "level:metric:operations",
        doc: "The scheme recording rule names follow: level:metric:operations, prefix:name (one colon), plain (no colon) or any; when unset, the scheme at least 80% of the run's recording rules follow (at least 5 rules), else level:metric:operations.",
        lint: "recording-rule-naming",
    }
}

impl Lint for RecordingRuleNaming {
    /// Flags recording rules whose name departs from `recording_rule_style`.
    /// For `level:metric:operations`: names with no `:` at all (they look
    /// like a scraped metric) and names with an empty metric or operations
    /// part (`job::sum`). One colon (`apiserver_request:burnrate1h`,
    /// `cluster:master_nodes`) is accepted: it already marks the series as
    /// derived, and upstream mixins write such names that dashboards and
    /// consumers depend on. So are an empty level
    /// (`:node_memory_MemAvailable_bytes:sum`), a trailing colon
    /// (`node_namespace_pod:kube_pod_info:`) and operations chained with more
    /// colons (`instance:node_cpu:rate:sum`), as kube-prometheus writes them. When the config does not set it, the
    /// scheme is the one most of the run's recording rules follow, so a
    /// repository with a consistent scheme of its own hears only about the
    /// odd ones out (and nothing when it has no dominant scheme).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        use crate::lint::conventions::{RecordShape, record_shape};
        let rule = cx.rule;
        if rule.is_alert() || rule.name.value.contains('{') {
            return;
        }
        let name = rule.name.value.as_str();
        let style = cx.config.get(&RECORDING_RULE_STYLE).as_str();
        let shape = record_shape(name);
        if style == "any" || (shape.as_str() == style && shape != RecordShape::Malformed) {
            return;
        }
        if style == RecordShape::LevelMetricOperations.as_str() && shape == RecordShape::PrefixName
        {
            return;
        }
        let of_run = match cx.config.origin(&RECORDING_RULE_STYLE) {
            Some(o) if !cx.config.is_set(&RECORDING_RULE_STYLE) => format!(" ({o})"),
            _ => String::new(),
        };
        if style != RecordShape::LevelMetricOperations.as_str() {
            r.report(
                rule.name.span,
                format!("recording rule {name:?} does not follow the `{style}` scheme of this repository{of_run}"),
            )
            .help("name it like the other recording rules of the repository");
            return;
        }
        let parts: Vec<&str> = name.split(':').collect();
        let why = match shape {
            RecordShape::Plain => "has no `:`",
            _ => "has an empty metric or operations part",
        };
        let help = match parts.as_slice() {
            [metric] => format!(
                "name it `<level>:{metric}:<operations>`, e.g. `job:{metric}:sum` for a sum by job"
            ),
            _ => "name it `level:metric:operations`: the labels it keeps, the metric it is built from, and what was applied (`job:inference_requests:rate5m`)".to_string(),
        };
        r.report(
            rule.name.span,
            format!("recording rule {name:?} {why}: it is not `level:metric:operations`{of_run}"),
        )
        .help(help);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rec(name: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: {name}\n    expr: sum by (job) (up)\n")
    }

    #[test]
    fn flags_names_without_the_three_parts() {
        for n in [
            "gpu_memory_used_total",
            "job::sum",
            "a:b::d",
            "'job:up::'",
            "'job:'",
        ] {
            assert_eq!(run_on(&super::META, &rec(n)).len(), 1, "{n}");
        }
    }

    #[test]
    fn passes_level_metric_operations_and_alerts() {
        for n in [
            "job:up:sum",
            "instance:node_cpu_utilisation:rate5m",
            ":node_memory_MemAvailable_bytes:sum",
            "instance:node_cpu:rate:sum",
            // One colon marks a derived series; upstream mixins name SLO
            // series so (`apiserver_request:burnrate1h`).
            "apiserver_request:burnrate1h",
            "cluster:master_nodes",
            // kubernetes-mixin's join target.
            "'node_namespace_pod:kube_pod_info:'",
        ] {
            assert!(run_on(&super::META, &rec(n)).is_empty(), "{n}");
        }
        assert!(
            run_on(
                &super::META,
                "groups:\n- name: g\n  rules:\n  - alert: up_down\n    expr: up == 0\n"
            )
            .is_empty()
        );
    }

    fn recs(names: &[&str]) -> String {
        let mut y = String::from("groups:\n- name: g\n  rules:\n");
        for n in names {
            y.push_str(&format!("  - record: {n}\n    expr: sum by (job) (up)\n"));
        }
        y
    }

    #[test]
    fn the_run_s_own_scheme_and_its_odd_ones_out() {
        // A repository naming `component_ops:rate_5m`: one colon is the scheme.
        let y = recs(&[
            "apiserver_ops:rate_5m",
            "etcd_ops:rate_5m",
            "kubelet_ops:rate_1h",
            "scheduler_ops:rate_5m",
            "proxy_ops:rate_5m",
            "controller_ops_rate_5m",
        ]);
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("\"controller_ops_rate_5m\" does not follow the `prefix:name` scheme"),
            "{}",
            d[0].message
        );
        // A mixed repository: nothing.
        let y = recs(&["a:b", "c_d", "job:x:sum", "e:f", "g_h"]);
        assert!(run_on(&super::META, &y).is_empty());
        // The standard scheme dominant: the departures are reported as before.
        let y = recs(&[
            "job:a:sum",
            "job:b:sum",
            "job:c:sum",
            "job:d:sum",
            "job:e:sum",
            "gpu_memory_used",
        ]);
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("has no `:`"), "{}", d[0].message);
    }
}
