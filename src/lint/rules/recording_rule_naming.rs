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

impl Lint for RecordingRuleNaming {
    /// Flags recording rules whose name is not at least three `:`-separated
    /// parts with non-empty metric and operations parts. An empty level
    /// (`:node_memory_MemAvailable_bytes:sum`, a cluster-wide aggregate) and
    /// operations chained with more colons (`instance:node_cpu:rate:sum`) are
    /// accepted, as kube-prometheus writes them.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if rule.is_alert() || rule.name.value.contains('{') {
            return;
        }
        let name = rule.name.value.as_str();
        let parts: Vec<&str> = name.split(':').collect();
        let why = match parts.as_slice() {
            [_] => "has no `:`",
            [_, _] => "has one `:`",
            [_, rest @ ..] if rest.iter().all(|p| !p.is_empty()) => return,
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
            format!("recording rule {name:?} {why}: it is not `level:metric:operations`"),
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
            "job:up",
            "job::sum",
            "a:b::d",
            "'job:up:'",
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
}
