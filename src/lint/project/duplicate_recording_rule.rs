//! `duplicate-recording-rule` (ML118): two recording rules of one deploy
//! unit (one Prometheus) with the same name and static labels whose results
//! can share a label set: both write the same series. Prometheus appends
//! both results under one series, so the recorded values jump between the
//! two expressions at every evaluation (or one is dropped as a duplicate
//! sample), and every alert built on the recording sees whichever came last.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `duplicate-recording-rule` lint.
    pub struct DuplicateRecordingRule {
        code: "ML118",
        name: "duplicate-recording-rule",
        category: Correctness,
        severity: Warning,
        summary: "two recording rules write the same series",
    }
}

impl Lint for DuplicateRecordingRule {
    /// Flags every recording rule after the first of its deploy unit (by
    /// default files of one directory; `duplicate_scope: run` compares every
    /// file) with the same `record:` name and static labels, unless their
    /// results cannot share a label set (`sum by (job) (x{job="a"})` and
    /// `… {job="b"}`, a `sum()` and a `sum by (model)`).
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        super::report_duplicates(
            cx,
            rep,
            false,
            |d| {
                format!(
                    "recording rule {:?} with {} is already defined at {}: both write the same series",
                    d.rule.name.value, d.labels, d.first_at
                )
            },
            "remove one of the two, or give them distinct labels; if both are meant (one per cluster), keep them in files loaded by different Prometheus servers",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    fn rec(name: &str, expr: &str) -> String {
        format!("  - record: {name}\n    expr: {expr}\n")
    }

    #[test]
    fn flags_two_rules_writing_one_series() {
        let y = format!(
            "groups:\n- name: gpu\n  rules:\n{}{}",
            rec(
                "node:gpu_utilisation:avg",
                "avg by (node) (DCGM_FI_DEV_GPU_UTIL)"
            ),
            rec(
                "node:gpu_utilisation:avg",
                "avg by (node) (DCGM_FI_DEV_GPU_UTIL / 100)"
            ),
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("is already defined at line 4"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].labels.len(), 1);
        // Across files of one directory too.
        let a = format!(
            "groups:\n- name: a\n  rules:\n{}",
            rec("job:up:sum", "sum by (job) (up)")
        );
        let b = format!(
            "groups:\n- name: b\n  rules:\n{}",
            rec("job:up:sum", "sum by (job) (up == 1)")
        );
        assert_eq!(run_on_files(&super::META, &[&a, &b]).len(), 1);
    }

    #[test]
    fn distinct_labels_and_selectors_pass() {
        let y = format!(
            "groups:\n- name: g\n  rules:\n{}{}{}{}{}  - record: job:up:sum\n    expr: sum by (job) (up)\n    labels: {{cluster: b}}\n",
            rec("job:up:sum", "sum by (job) (up{job=\"a\"})"),
            rec("job:up:sum", "sum by (job) (up{job=\"b\"})"),
            rec("cluster:up:sum", "sum(up)"),
            // kube-prometheus' apiserver burn-rate rules: one per status class.
            rec(
                "code_verb:apiserver_request_total:increase1h",
                "sum by (cluster, code, verb) (increase(apiserver_request_total{code=~\"2..\"}[1h]))"
            ),
            rec(
                "code_verb:apiserver_request_total:increase1h",
                "sum by (cluster, code, verb) (increase(apiserver_request_total{code=~\"3..\"}[1h]))"
            ),
        );
        assert!(
            run_on(&super::META, &y).is_empty(),
            "{:?}",
            run_on(&super::META, &y)
        );
    }

    #[test]
    fn gmp_rules_of_different_scopes_are_evaluated_apart() {
        let crd = |kind: &str, ns: &str| {
            format!(
                "apiVersion: monitoring.googleapis.com/v1\nkind: {kind}\nmetadata:\n  name: r\n  namespace: {ns}\nspec:\n  groups:\n  - name: g\n    interval: 30s\n    rules:\n    - record: job:up:sum\n      expr: sum without(instance) (up)\n"
            )
        };
        // GMP's example: the same recording rule as namespaced Rules and as
        // ClusterRules, and Rules in two namespaces.
        let y = format!(
            "{}---\n{}---\n{}",
            crd("Rules", "gmp-test"),
            crd("ClusterRules", "gmp-test"),
            crd("Rules", "other")
        );
        assert!(
            run_on(&super::META, &y).is_empty(),
            "{:?}",
            run_on(&super::META, &y)
        );
        // The same scope twice still writes one series twice.
        let y = format!(
            "{}---\n{}",
            crd("Rules", "gmp-test"),
            crd("Rules", "gmp-test")
        );
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }
}
