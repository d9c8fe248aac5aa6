//! `raw-counter-comparison` (ML208): a `_total` counter compared with a
//! threshold as it is. A counter counts since its process started: the
//! comparison says nothing about now, never resolves until a restart, and
//! flips back at every restart.

use crate::config::Config;
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{
    aggregation_preserves_quantity, op_str, preserves_quantity, selector_name, walk,
};
use crate::promql::ast::Expr;
use crate::promql::conditions::is_number;
use crate::promql::selectors::{binary_op_span, selector_name_span};
use crate::promql::types::{MetricKind, metric_kind};

crate::declare_lint! {
    /// The `raw-counter-comparison` lint.
    pub struct RawCounterComparison {
        code: "ML208",
        name: "raw-counter-comparison",
        category: Suspicious,
        severity: Warning,
        summary: "a raw counter is compared with a threshold instead of its rate or increase",
    }
}

impl Lint for RawCounterComparison {
    /// Flags comparisons with a number whose other side is a `_total`
    /// counter as scraped: through parentheses, aggregations that keep the
    /// value (`sum`, `max`, …), functions that keep it (`max_over_time`,
    /// `label_replace`, …) and scaling by a number. Differences of counters
    /// (`x - x offset 1h`) and ratios of two counters are not flagged.
    ///
    /// Only alerting rules are checked (a recording rule may keep the raw
    /// total for a dashboard), and `_total` names that read as a size or a
    /// capacity (`…_capacity_total`, `…_memory_total`, `…_replicas_total`,
    /// `…_devices_total`) are taken for the gauges they usually are.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if !cx.rule.is_alert() {
            return;
        }
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let config = cx.config;
        walk(ast, &mut |e| {
            let Expr::Binary(b) = e else { return };
            if !b.op.is_comparison_operator() {
                return;
            }
            let counter = if is_number(&b.rhs) {
                raw_counter(config, &b.lhs)
            } else if is_number(&b.lhs) {
                raw_counter(config, &b.rhs)
            } else {
                None
            };
            let Some(sel) = counter else { return };
            let name = selector_name(sel).unwrap_or_default();
            let span = expr.span_or_whole(selector_name_span(sel).or_else(|| binary_op_span(e)));
            r.report(span, format!(
                        "counter `{name}` is compared with `{}` as it is: it counts since the process started, so this says nothing about now and resets with every restart",
                        op_str(&b.op)
                    ))
                .help(format!("compare its change over a window: `increase({name}[10m]) > …` or `rate({name}[5m]) > …`"));
        });
    }
}

/// A counter as its Prometheus metadata declares (when the run knows it,
/// `lint::prometheus`), else a `_total` name that counts events.
fn is_total_counter(config: &Config, name: &str) -> bool {
    if crate::lint::prometheus::is_declared(config, name) {
        return crate::lint::prometheus::metric_kind(config, name) == MetricKind::Counter;
    }
    metric_kind(name) == MetricKind::Counter
        && name.ends_with("_total")
        && !gauge_like(name)
        && counts_events(name)
}

/// `_total` names that count events which go wrong (`…_errors_total`,
/// `…_failures_total`, `…_evicted_total`, `…_leader_changes_seen_total`):
/// the clear case, where a threshold on the raw value fires forever after
/// the first events. Other `_total` names are too often gauges of an amount
/// (`…_pending_request_total`, `…_membership_total`) to report by default.
fn counts_events(name: &str) -> bool {
    const EVENTS: &[&str] = &[
        "error",
        "errors",
        "fail",
        "failed",
        "failure",
        "failures",
        "failedtasks",
        "dropped",
        "drops",
        "evicted",
        "evictions",
        "rejected",
        "rejections",
        "timeout",
        "timeouts",
        "restarts",
        "panics",
        "crashes",
        "retries",
        "changes",
        "oom",
        "kills",
        "aborted",
        "denied",
        "discarded",
        "lost",
        "corrupted",
        "uncorrectable",
    ];
    let n = name.to_ascii_lowercase();
    n.split(['_', ':']).any(|w| EVENTS.contains(&w))
}

/// `_total` names that exporters use for gauges: sizes, capacities and
/// counts of things that exist (`kube_node_status_capacity_total`,
/// `machine_memory_total`, `gpu_devices_total`).
fn gauge_like(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "capacity",
        "allocatable",
        "size",
        "limit",
        "memory",
        "space",
        "available",
        "replicas",
        "cores",
        "cpus",
        "devices",
        "slots",
        "nodes",
        "num",
        "number",
        "max",
        "inodes",
        "resource",
        "resources",
        "offline",
        "online",
        "files",
        "pages",
    ];
    let n = name.to_ascii_lowercase();
    let words: Vec<&str> = n.trim_end_matches("_total").split(['_', ':']).collect();
    WORDS.iter().any(|w| words.contains(w))
}

/// The counter selector `e` is, unchanged in meaning.
fn raw_counter<'e>(config: &Config, e: &'e Expr) -> Option<&'e Expr> {
    match e {
        Expr::VectorSelector(_) => selector_name(e)
            .is_some_and(|n| is_total_counter(config, n))
            .then_some(e),
        Expr::MatrixSelector(_) => None,
        Expr::Paren(p) => raw_counter(config, &p.expr),
        Expr::Aggregate(a) if aggregation_preserves_quantity(&op_str(&a.op)) => {
            raw_counter(config, &a.expr)
        }
        Expr::Call(c) if preserves_quantity(c.func.name) => {
            c.args.args.iter().find_map(|a| match a.as_ref() {
                m @ Expr::MatrixSelector(_) => selector_name(m)
                    .is_some_and(|n| is_total_counter(config, n))
                    .then_some(m),
                other => raw_counter(config, other),
            })
        }
        Expr::Binary(b)
            if !b.op.is_comparison_operator()
                && matches!(op_str(&b.op).as_str(), "*" | "/" | "+" | "-") =>
        {
            if is_number(&b.rhs) {
                raw_counter(config, &b.lhs)
            } else if is_number(&b.lhs) {
                raw_counter(config, &b.rhs)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn recording_rules_and_gauge_named_totals_are_not_flagged() {
        let rec = "groups:\n- name: g\n  rules:\n  - record: job:inference_errors:total\n    expr: sum by (job) (inference_errors_total) > 0\n";
        assert!(run_on(&super::META, rec).is_empty());
        for e in [
            "kube_node_status_capacity_total < 4",
            "sum(nvidia_gpu_devices_total) < 8",
            "machine_memory_total > 1e9",
            "container_fs_inodes_total > 1e6",
            "minio_cluster_nodes_offline_total > 0",
            "openstack_placement_resource_total < 10",
            "apache_uptime_seconds_total < 600",
            "argocd_repo_pending_request_total > 10",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
        assert_eq!(
            run_on(&super::META, &rule("training_job_failures_total > 0")).len(),
            1
        );
    }

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: InferenceErrors\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_raw_counters() {
        for e in [
            "inference_errors_total > 100",
            "sum by (model) (inference_errors_total) > 100",
            "100 < max_over_time(inference_errors_total[1h])",
        ] {
            let y = rule(e);
            let d = run_on(&super::META, &y);
            assert_eq!(d.len(), 1, "{e}");
            assert_eq!(
                d[0].span.start,
                y.find("inference_errors_total").unwrap(),
                "{e}"
            );
        }
    }

    #[test]
    fn passes_rates_differences_and_ratios() {
        for e in [
            "increase(inference_errors_total[10m]) > 100",
            "inference_errors_total - inference_errors_total offset 1h > 100",
            "inference_errors_total / inference_requests_total > 0.05",
            "job:inference_errors_total:sum > 100",
            "model_drift_score > 0.3",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
