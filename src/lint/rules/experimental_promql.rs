//! `experimental-promql` (ML222): an expression calls a PromQL function or
//! aggregation that Prometheus marks experimental (`Experimental: true` in
//! promql/parser/functions.go; `limitk` and `limit_ratio` in
//! promql/parser/parse.go). Without `--enable-feature=promql-experimental-functions`
//! Prometheus' parser rejects the expression (`function "mad_over_time" is
//! not enabled`), so the whole rule file fails to load, and `promtool check
//! rules` fails the same way.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::rules::Dialect;
use crate::promql::analysis::walk;
use crate::promql::ast::Expr;

crate::declare_setting! {
    /// `prometheus_features`: the `--enable-feature` flags of the
    /// Prometheus servers that load the run's rules.
    pub static PROMETHEUS_FEATURES: Vec<String> = {
        key: "prometheus_features",
        default: "[]",
        doc: "Feature flags your Prometheus servers run with (--enable-feature, e.g. [promql-experimental-functions]); read from a Prometheus Operator `Prometheus` (spec.enableFeatures) or a container's --enable-feature argument in the run when unset.",
        lint: "experimental-promql",
    }
}

/// The feature flag that enables experimental PromQL functions.
pub const EXPERIMENTAL_FUNCTIONS_FLAG: &str = "promql-experimental-functions";

/// PromQL functions Prometheus 3.x marks experimental (`Experimental: true`
/// in promql/parser/functions.go).
pub const EXPERIMENTAL_FUNCTIONS: &[&str] = &[
    "double_exponential_smoothing",
    "end",
    "first_over_time",
    "histogram_quantiles",
    "info",
    "integral",
    "mad_over_time",
    "range",
    "sort_by_label",
    "sort_by_label_desc",
    "start",
    "step",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
];

/// Aggregations behind the same flag (promql/parser/parse.go checks
/// `EnableExperimentalFunctions` for them).
pub const EXPERIMENTAL_AGGREGATIONS: &[&str] = &["limitk", "limit_ratio"];

crate::declare_lint! {
    /// The `experimental-promql` lint.
    pub struct ExperimentalPromql {
        code: "ML222",
        name: "experimental-promql",
        category: Correctness,
        severity: Warning,
        summary: "an expression uses an experimental PromQL function that Prometheus refuses unless a feature flag enables it",
    }
}

impl Lint for ExperimentalPromql {
    /// Flags each call of an experimental function or aggregation, at its
    /// name, unless `prometheus_features` (set, or read from the run)
    /// holds `promql-experimental-functions`. Rule files of the Thanos or
    /// Mimir dialect are not flagged: their rulers gate these functions
    /// with their own settings.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if cx
            .config
            .get(&PROMETHEUS_FEATURES)
            .iter()
            .any(|f| f == EXPERIMENTAL_FUNCTIONS_FLAG)
            || cx.group.dialect.is_some()
            || matches!(
                cx.config.extra_fields.dialect,
                Some(Dialect::Thanos | Dialect::Mimir)
            )
        {
            return;
        }
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let mut seen: Vec<(&str, usize)> = Vec::new();
        let mut nth = |name: &'static str| {
            let n = seen.iter().filter(|(s, _)| *s == name).count();
            seen.push((name, n));
            n
        };
        walk(ast, &mut |e| {
            let (name, what) = match e {
                Expr::Call(c) => match EXPERIMENTAL_FUNCTIONS.iter().find(|f| **f == c.func.name) {
                    Some(f) => (*f, "function"),
                    None => return,
                },
                Expr::Aggregate(a) => {
                    let op = crate::promql::analysis::op_str(&a.op);
                    match EXPERIMENTAL_AGGREGATIONS.iter().find(|f| **f == op) {
                        Some(f) => (*f, "aggregation"),
                        None => return,
                    }
                }
                _ => return,
            };
            let i = nth(name);
            r.report(
                expr.word_span(name, i),
                format!(
                    "`{name}` is an experimental PromQL {what}: Prometheus refuses the expression, and so fails to load the whole rule file, unless it runs with --enable-feature={EXPERIMENTAL_FUNCTIONS_FLAG}"
                ),
            )
            .help(format!(
                "if your Prometheus runs with that flag, say so once with `prometheus_features: [{EXPERIMENTAL_FUNCTIONS_FLAG}]` in .mlalert.yaml; otherwise use a stable function"
            ));
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    fn alert(expr: &str) -> String {
        format!(
            "groups:\n- name: inference\n  rules:\n  - alert: LatencyOutlier\n    expr: {expr}\n    for: 10m\n    labels:\n      severity: warning\n"
        )
    }

    #[test]
    fn flags_experimental_functions_and_aggregations_at_their_names() {
        let d = run_on(
            &super::META,
            &alert(
                "mad_over_time(model_latency_seconds[1h]) > 3 * avg_over_time(model_latency_seconds[1h])",
            ),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("`mad_over_time` is an experimental PromQL function")
        );
        let d = run_on(
            &super::META,
            &alert("limitk(5, rate(errors_total[5m])) > 1"),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("aggregation"), "{d:?}");
        let d = run_on(
            &super::META,
            &alert("sort_by_label(up, \"instance\") == 0 or sort_by_label(up, \"job\") == 0"),
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert_ne!(d[0].span, d[1].span);
    }

    #[test]
    fn stable_functions_dialects_and_enabled_servers_pass() {
        for e in [
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 1",
            "quantile_over_time(0.9, x[1h]) > 1",
            "topk(3, rate(errors_total[5m])) > 1",
            "stddev_over_time(x[1h]) > 1",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
        let bad = alert("mad_over_time(model_latency_seconds[1h]) > 3");
        // A Prometheus Operator `Prometheus` of the run enables the flag.
        let server = "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata:\n  name: k8s\nspec:\n  enableFeatures:\n  - promql-experimental-functions\n";
        assert!(run_on_files(&super::META, &[&bad, server]).is_empty());
        // So does a container argument.
        let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: prometheus\nspec:\n  template:\n    spec:\n      containers:\n      - name: prometheus\n        args:\n        - --config.file=/etc/prometheus/prometheus.yml\n        - --enable-feature=exemplar-storage,promql-experimental-functions\n";
        assert!(run_on_files(&super::META, &[&bad, sts]).is_empty());
        // Another flag does not.
        let other = sts.replace(",promql-experimental-functions", "");
        assert_eq!(run_on_files(&super::META, &[&bad, &other]).len(), 1);
        // A Thanos ruler file: its ruler gates them its own way.
        let thanos = bad.replace("  rules:", "  partial_response_strategy: warn\n  rules:");
        assert!(run_on(&super::META, &thanos).is_empty());
    }
}
