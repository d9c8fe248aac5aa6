//! `label-already-removed` (ML223): a `by (…)`, `on (…)` or
//! `group_left/right (…)` list names a label that no series reaching it
//! can carry, because an inner aggregation (or `without`, `on`, an `x=""`
//! matcher) removed it first. pint reports the same as `promql/impossible`.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::labels::{RemovedUse, removed_labels_used};

crate::declare_lint! {
    /// The `label-already-removed` lint.
    pub struct LabelAlreadyRemoved {
        code: "ML223",
        name: "label-already-removed",
        category: Correctness,
        severity: Warning,
        summary: "a by, on or group_left list names a label that an inner aggregation already removed",
    }
}

impl Lint for LabelAlreadyRemoved {
    /// Flags each such label, at its name in the list, in alerting and
    /// recording rules. Only labels that are provably absent count
    /// ([`removed_labels_used`]): a selector's series may carry any label,
    /// so `sum by (team) (x)` is never flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        for f in removed_labels_used(ast) {
            // At the label's name in its list.
            let span = expr.span_or_whole(f.span.map(|s| s.range()));
            let (msg, mut help) = match f.used_in {
                RemovedUse::AggregationBy => (
                    format!(
                        "`{} by ({})` groups by a label its input no longer has: an inner aggregation removed {:?}, so every series falls into one group",
                        f.op, f.label, f.label
                    ),
                    format!(
                        "keep {:?} in the inner aggregation's `by (…)`, or drop it here",
                        f.label
                    ),
                ),
                RemovedUse::MatchingOn => (
                    format!(
                        "`{} on ({})` matches on a label neither side has: both sides removed {:?}, so they match on nothing and several series per side fail the match",
                        f.op, f.label, f.label
                    ),
                    format!(
                        "keep {:?} on both sides' aggregations, or match on a label they keep",
                        f.label
                    ),
                ),
                RemovedUse::GroupInclude => (
                    format!(
                        "group_left/group_right copies {:?} from a side that no longer has it: nothing is copied and Prometheus drops {:?} from the result",
                        f.label, f.label
                    ),
                    format!(
                        "keep {:?} in the `by (…)` of the side it is copied from",
                        f.label
                    ),
                ),
            };
            if f.label == "__name__" {
                // Removed by a function or an arithmetic operator, not by a
                // `by (…)` the user can extend.
                help = "functions, arithmetic and aggregations drop `__name__`: remove it from this list, or copy the metric name into another label with `label_replace` before it is dropped".to_string();
            }
            r.report(span, msg).help(help);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn record(expr: &str) -> String {
        format!("groups:\n- name: gpu\n  rules:\n  - record: node:gpu_util:avg\n    expr: {expr}\n")
    }

    #[test]
    fn flags_the_label_in_its_list() {
        let y = record("avg by (node) (avg by (gpu) (DCGM_FI_DEV_GPU_UTIL))");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("(node)").unwrap() + 1);
        assert!(d[0].message.contains("`avg by (node)`"), "{d:?}");
        // group_left copying a label the info side aggregated away.
        let y = "groups:\n- name: inference\n  rules:\n  - alert: ModelErrors\n    expr: |\n      sum by (model) (rate(inference_errors_total[5m]))\n        * on (model) group_left (team) max by (model) (model_owner_info)\n        > 1\n    for: 10m\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("(team)").unwrap() + 1);
        // on() of a label both sides dropped.
        let y = record(
            "sum by (job) (rate(a_total[5m])) / on (instance) sum by (job) (rate(b_total[5m]))",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("instance").unwrap());
        // group_left (__name__) from a side whose arithmetic dropped it
        // (awesome-prometheus-alerts' PrometheusTargetMissingWithWarmupTime).
        let y = record(
            "sum by (instance, job) ((up == 0) * on (instance) group_left (__name__) (node_time_seconds - node_boot_time_seconds > 600))",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("__name__").unwrap());
        assert!(
            d[0].help.as_deref().unwrap_or("").contains("label_replace"),
            "{d:?}"
        );
    }

    #[test]
    fn passes_labels_that_can_be_there() {
        for e in [
            "avg by (node, gpu) (DCGM_FI_DEV_GPU_UTIL)",
            "avg by (node) (avg by (node, gpu) (DCGM_FI_DEV_GPU_UTIL))",
            "sum by (model) (rate(inference_errors_total[5m])) * on (model) group_left (team) max by (model, team) (model_owner_info)",
            "sum by (cluster) (node:gpu_util:avg)",
            "rate(a_total[5m]) / on (instance) rate(b_total[5m])",
        ] {
            assert!(run_on(&super::META, &record(e)).is_empty(), "{e}");
        }
    }
}
