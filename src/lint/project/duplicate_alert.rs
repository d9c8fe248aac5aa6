//! `duplicate-alert` (ML107): two alerting rules in the run with the same
//! name and the same static labels produce alerts Alertmanager cannot tell
//! apart: they merge, flap between two conditions, and silences or
//! inhibitions written for one also hit the other.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `duplicate-alert` lint.
    pub struct DuplicateAlert {
        code: "ML107",
        name: "duplicate-alert",
        category: Suspicious,
        severity: Warning,
        summary: "two alerting rules have the same name and the same static labels",
    }
}

crate::declare_setting! {
    /// `duplicate_scope`: which files duplicates are looked for across.
    pub static DUPLICATE_SCOPE: String = {
        key: "duplicate_scope",
        default: "directory",
        doc: "Where duplicate-alert, duplicate-recording-rule and duplicate-rule-group compare rules: directory (files in one directory load into one Prometheus; the default) or run (every file of the run).",
        lint: "duplicate-alert",
    }
}

impl Lint for DuplicateAlert {
    /// Flags every alerting rule after the first with the same name and the
    /// same static labels (the rule's and its group's, empty values dropped)
    /// in the same deploy unit (by default, files of one directory, which
    /// load into one Prometheus; `duplicate_scope: run` compares every
    /// file); the message names the first. Two rules whose results cannot
    /// share a label set (`up{job="a"}` and `up{job="b"}`, `proxy="a"` and
    /// `proxy!~"a|b"`, `job="web"` and `job=~"api-.*"`, `sum()` and
    /// `sum by (proxy)`, as the output label inference shows) are distinct,
    /// and so are two whose conditions never hold at once for one series
    /// (`x == 0` and `(time() - x > 86400) and (x > 0)`,
    /// `promql::conditions::exclusive_conditions`). Nor are two that read
    /// no metric in common and whose annotations differ: one alert name
    /// for several causes, each rule saying which (the Cortex and SNMP
    /// mixins).
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        super::report_duplicates(
            cx,
            rep,
            true,
            |d| {
                format!(
                    "alert {:?} with {} is already defined at {}",
                    d.rule.name.value, d.labels, d.first_at
                )
            },
            "remove one of the two, or give them distinct labels (e.g. `severity: warning` and `severity: critical` with different thresholds)",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    const A: &str = "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 85\n    labels:\n      severity: warning\n";

    #[test]
    fn flags_same_name_and_labels_in_one_file_and_across_files() {
        let two = format!(
            "{A}  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 90\n    labels:\n      severity: warning\n"
        );
        assert_eq!(run_on(&super::META, &two).len(), 1);
        let d = run_on_files(&super::META, &[A, A]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].file, 1);
        assert!(d[0].message.contains("test0.yaml:4"), "{}", d[0].message);
    }

    #[test]
    fn group_labels_count_and_different_labels_pass() {
        let other = "groups:\n- name: h\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 95\n    labels:\n      severity: critical\n";
        assert!(run_on_files(&super::META, &[A, other]).is_empty());
        let by_group = "groups:\n- name: h\n  labels:\n    severity: critical\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 95\n    labels:\n      severity: warning\n";
        // The rule's label overrides the group's: same labels as A.
        assert_eq!(run_on_files(&super::META, &[A, by_group]).len(), 1);
        let other_job = "groups:\n- name: h\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP{job=\"b\"} > 95\n    labels:\n      severity: warning\n";
        let job_a = A.replace(
            "DCGM_FI_DEV_GPU_TEMP >",
            "DCGM_FI_DEV_GPU_TEMP{job=\"a\"} >",
        );
        assert!(run_on_files(&super::META, &[&job_a, other_job]).is_empty());
        assert_eq!(run_on_files(&super::META, &[A, other_job]).len(), 1);
        let team = "groups:\n- name: h\n  labels:\n    team: ml\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 95\n    labels:\n      severity: warning\n";
        assert!(run_on_files(&super::META, &[A, team]).is_empty());
    }

    #[test]
    fn one_name_for_several_causes_is_intended() {
        // The SNMP mixin: one alert name, one rule per counter, each
        // description naming its counter.
        let r = |metric: &str| {
            format!(
                "  - alert: InterfaceFCErrors\n    expr: rate({metric}[5m]) > 0\n    for: 15m\n    labels:\n      severity: warning\n    annotations:\n      description: '{metric} on {{{{ $labels.instance }}}}'\n"
            )
        };
        let y = format!(
            "groups:\n- name: g\n  rules:\n{}{}",
            r("fcIfFramesDiscard"),
            r("fcIfInvalidCrcs")
        );
        assert!(run_on(&super::META, &y).is_empty());
        // Same metric (a copy with a new threshold): still reported, even
        // with different annotations.
        let y = format!(
            "groups:\n- name: g\n  rules:\n{}{}",
            r("fcIfFramesDiscard"),
            r("fcIfFramesDiscard")
                .replace("> 0", "> 5")
                .replace("description: '", "description: 'many ")
        );
        assert_eq!(run_on(&super::META, &y).len(), 1);
        // Different metrics but the same annotations: a copy whose
        // expression was edited, still reported.
        let y = format!(
            "groups:\n- name: g\n  rules:\n{}{}",
            r("fcIfFramesDiscard"),
            r("fcIfInvalidCrcs").replace(
                "description: 'fcIfInvalidCrcs",
                "description: 'fcIfFramesDiscard"
            )
        );
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }

    #[test]
    fn conditions_exclusive_per_group_are_distinct() {
        // The Loki mixin: "last ran over 3h ago" and "never ran in 3h" of
        // one compactor, as one alert name.
        let r = |expr: &str| {
            format!(
                "  - alert: CompactorNotRun\n    expr: {expr}\n    for: 1h\n    labels:\n      severity: critical\n"
            )
        };
        let y = format!(
            "groups:\n- name: g\n  rules:\n{}{}",
            r("min by (cluster, namespace) (time() - (last_run_ts > 0)) > 10800"),
            r("max by (cluster, namespace) (max_over_time(last_run_ts[3h])) == 0")
        );
        assert!(run_on(&super::META, &y).is_empty());
        let y = format!(
            "groups:\n- name: g\n  rules:\n{}{}",
            r("min by (cluster, namespace) (time() - (last_run_ts > 0)) > 10800"),
            r("max by (cluster, namespace) (max_over_time(last_run_ts[3h])) < 100")
        );
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }

    fn alert(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: ProxyErrors\n    expr: {expr}\n    for: 5m\n    labels:\n      severity: warning\n"
        )
    }

    #[test]
    fn negative_matchers_regexes_and_aggregations_make_rules_distinct() {
        for (a, b) in [
            (
                "sum by (proxy) (rate(errors_total{proxy!~\"a|b\"}[5m])) > 1",
                "sum by (proxy) (rate(errors_total{proxy=\"a\"}[5m])) > 5",
            ),
            (
                "rate(errors_total{proxy!=\"a\"}[5m]) > 1",
                "rate(errors_total{proxy=\"a\"}[5m]) > 5",
            ),
            (
                "rate(errors_total{job=~\"api-.*\"}[5m]) > 1",
                "rate(errors_total{job=\"web\"}[5m]) > 5",
            ),
            (
                "sum(rate(errors_total[5m])) > 100",
                "sum by (proxy) (rate(errors_total[5m])) > 5",
            ),
        ] {
            assert!(
                run_on_files(&super::META, &[&alert(a), &alert(b)]).is_empty(),
                "{a} / {b}"
            );
        }
        // Overlapping ones are still duplicates.
        let (a, b) = (
            "rate(errors_total{proxy!~\"a|b\"}[5m]) > 1",
            "rate(errors_total{proxy=\"c\"}[5m]) > 5",
        );
        assert_eq!(run_on_files(&super::META, &[&alert(a), &alert(b)]).len(), 1);
        let (a, b) = (
            "rate(errors_total{job=~\"api-.*\"}[5m]) > 1",
            "rate(errors_total{job=\"api-eu\"}[5m]) > 5",
        );
        assert_eq!(run_on_files(&super::META, &[&alert(a), &alert(b)]).len(), 1);
    }

    #[test]
    fn conditions_that_never_hold_together_are_distinct() {
        // The Cortex mixin's CortexCompactorHasNotSuccessfullyRunCompaction:
        // one rule for "never ran" (== 0), one for "ran, but long ago" (> 0).
        let stale = "(time() - cortex_compactor_last_successful_run_timestamp_seconds > 86400) and (cortex_compactor_last_successful_run_timestamp_seconds > 0)";
        let never = "cortex_compactor_last_successful_run_timestamp_seconds == 0";
        assert!(run_on_files(&super::META, &[&alert(stale), &alert(never)]).is_empty());
        // A third cause under the same name can fire beside either.
        let failed = "increase(cortex_compactor_runs_failed_total[2h]) >= 2";
        assert_eq!(
            run_on_files(
                &super::META,
                &[&alert(stale), &alert(never), &alert(failed)]
            )
            .len(),
            1
        );
        // Overlapping values stay duplicates.
        let (a, b) = ("x > 0", "x > 5");
        assert_eq!(run_on_files(&super::META, &[&alert(a), &alert(b)]).len(), 1);
    }

    #[test]
    fn kube_state_metrics_workload_kinds_are_distinct() {
        // The Cortex mixin's CortexRolloutStuck, once for StatefulSets and
        // once for Deployments: their series differ by `statefulset` vs
        // `deployment`, so Alertmanager never merges them.
        let sts = "(kube_statefulset_replicas != kube_statefulset_status_replicas_updated) and (changes(kube_statefulset_status_replicas_updated[15m]) == 0) * on(cluster, namespace) group_left max by(cluster, namespace) (cortex_build_info)";
        let deploy = "(kube_deployment_spec_replicas != kube_deployment_status_replicas_updated) and (changes(kube_deployment_status_replicas_updated[15m]) == 0) * on(cluster, namespace) group_left max by(cluster, namespace) (cortex_build_info)";
        assert!(run_on_files(&super::META, &[&alert(sts), &alert(deploy)]).is_empty());
        // Two rules over the same kind still clash, and so do the kinds
        // once an aggregation drops the workload label.
        let sts2 = "kube_statefulset_status_replicas_ready < kube_statefulset_replicas";
        assert_eq!(
            run_on_files(&super::META, &[&alert(sts), &alert(sts2)]).len(),
            1
        );
        let (a, b) = (
            "sum by (namespace) (kube_statefulset_replicas) > 0",
            "sum by (namespace) (kube_deployment_spec_replicas) > 0",
        );
        assert_eq!(run_on_files(&super::META, &[&alert(a), &alert(b)]).len(), 1);
    }
}
