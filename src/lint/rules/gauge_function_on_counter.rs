//! `gauge-function-on-counter` (ML219): `delta`, `idelta`, `deriv` or
//! `predict_linear` over a counter. They have no reset handling, so a
//! restart of the process reads as a drop of the whole counter: a huge
//! negative change, a steep negative slope, a prediction of "empty soon".
//! The mirror of `counter-function-on-gauge` (ML207).

use crate::lint::prometheus::is_surely_counter;
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::selectors::{selector_name_span, selector_uses};
use crate::promql::types::is_gauge_function;

crate::declare_lint! {
    /// `gauge-function-on-counter`: a gauge function over a counter.
    pub struct GaugeFunctionOnCounter {
        code: "ML219",
        name: "gauge-function-on-counter",
        category: Correctness,
        severity: Warning,
        summary: "`delta`/`deriv`/`idelta`/`predict_linear` over a counter: a reset reads as a huge drop",
    }
}

/// The counter function that does what `f` was meant to.
fn counter_form(f: &str) -> &'static str {
    match f {
        "delta" => "use `increase` for the change of a counter",
        "idelta" => "use `irate` (per second) or `increase` for the change of a counter",
        "deriv" => "use `rate` for a counter's per-second slope",
        _ => "predict from the rate, which handles resets: `x_total + rate(x_total[1h]) * 3600`",
    }
}

impl Lint for GaugeFunctionOnCounter {
    /// Flags range selectors passed straight to `delta`, `idelta`, `deriv`
    /// or `predict_linear` whose metric is surely a counter
    /// (`promql::types::is_surely_counter`): `_total`, `_bucket`, DCGM
    /// counter fields, and `_count`/`_sum` named for what a histogram or
    /// summary observes (`_seconds_count`, `_bytes_sum`). Bare `_count`
    /// (`pg_stat_activity_count`) is as often a gauge and is not flagged,
    /// nor are the few gauges exporters name `_total`.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        for u in selector_uses(ast) {
            let Some(name) = u.name else { continue };
            let Some(call) = u.direct_call() else {
                continue;
            };
            let f = call.func.name;
            if !is_gauge_function(f) || !is_surely_counter(cx.config, name) {
                continue;
            }
            let span = expr.span_or_whole(selector_name_span(u.expr));
            r.report(span, format!(
                    "`{f}` over `{name}`, which is a counter: `{f}` does not handle counter resets, so a restart reads as a drop of the whole counter"
                ))
                .help(counter_form(f));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            r#"
groups:
  - name: inference
    rules:
      - alert: InferenceErrorsGrowing
        expr: {expr}
        for: 10m
        labels:
          severity: warning
"#
        )
    }

    #[test]
    fn flags_gauge_functions_over_counters_at_the_name() {
        let y = rule("delta(inference_errors_total{job=\"triton\"}[10m]) > 5");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("inference_errors_total").unwrap());
        assert_eq!(
            d[0].span.end,
            y.find("inference_errors_total").unwrap() + "inference_errors_total".len()
        );
        assert!(d[0].help.as_deref().unwrap_or("").contains("increase"));
        for e in [
            "deriv(process_cpu_seconds_total[5m]) > 0.9",
            "idelta(node_network_receive_errs_total[5m]) > 0",
            "predict_linear(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION[1h], 3600) > 1e9",
            "histogram_quantile(0.99, sum by (le) (delta(inference_request_duration_seconds_bucket[5m]))) > 2",
            "delta(inference_request_duration_seconds_count[5m]) > 100",
            "delta(http_response_size_bytes_sum[5m]) > 1e9",
        ] {
            assert_eq!(run_on(&super::META, &rule(e)).len(), 1, "{e}");
        }
    }

    #[test]
    fn passes_gauges_rates_and_counter_named_gauges() {
        for e in [
            "increase(inference_errors_total[10m]) > 5",
            "deriv(rate(inference_errors_total[5m])[30m:1m]) > 0",
            "predict_linear(node_filesystem_avail_bytes{fstype!=\"tmpfs\"}[6h], 4 * 3600) < 0",
            "delta(DCGM_FI_DEV_GPU_TEMP[10m]) > 10",
            "deriv(job:inference_errors:rate5m[30m]) > 0",
            // Gauges with counter-like names.
            "delta(pg_stat_activity_count[5m]) > 50",
            "delta(promscale_sql_database_chunks_metrics_uncompressed_count[10m]) > 0",
            "delta(systemd_socket_refused_connections_total[5m]) > 3",
            "delta(cortex_compactor_disk_out_of_space_errors_total[24h]) >= 1",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
