//! `counter-function-on-gauge` (ML207): `rate`, `irate`, `increase` or
//! `resets` over a gauge. They treat every decrease as a counter reset, so
//! a gauge that goes down produces huge bogus rates.

use crate::lint::prometheus::metric_kind;
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::dcgm;
use crate::promql::selectors::{selector_name_span, selector_uses};
use crate::promql::types::{MetricKind, is_counter_function};

crate::declare_lint! {
    /// The `counter-function-on-gauge` lint.
    pub struct CounterFunctionOnGauge {
        code: "ML207",
        name: "counter-function-on-gauge",
        category: Correctness,
        severity: Error,
        summary: "`rate`/`irate`/`increase`/`resets` over a gauge",
    }
}

impl Lint for CounterFunctionOnGauge {
    /// Flags range selectors passed straight to a counter function whose
    /// metric is known to be a gauge: dcgm-exporter's gauge fields
    /// (`DCGM_FI_DEV_XID_ERRORS`, temperatures, utilisation) and the gauge
    /// suffixes of `promql::types` (`_info`, `_ratio`, `_timestamp_seconds`, `up`, …).
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
            if !is_counter_function(f) || metric_kind(cx.config, name) != MetricKind::Gauge {
                continue;
            }
            // Deprecated aliases describe themselves as such: use the field they alias.
            let what = match dcgm::field(name).map(|f| dcgm::field(f.alias_of).unwrap_or(f)) {
                Some(field) => format!("a gauge (dcgm-exporter: {})", field.description),
                None if crate::lint::prometheus::is_declared(cx.config, name) => {
                    "a gauge (its type in Prometheus' metadata)".to_string()
                }
                None => "a gauge".to_string(),
            };
            let span = expr.span_or_whole(selector_name_span(u.expr));
            r.report(span, format!("`{f}` over `{name}`, which is {what}: every decrease is read as a counter reset"))
                .help("use a gauge function: `delta`/`deriv` for change, `changes` for how often it changed, `max_over_time` for peaks");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: GPUXid\n    expr: {expr}\n    for: 5m\n")
    }

    #[test]
    fn flags_rate_of_dcgm_gauge() {
        let y = rule("rate(DCGM_FI_DEV_XID_ERRORS[5m]) > 0");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("DCGM_FI_DEV_XID_ERRORS").unwrap());
        assert_eq!(
            run_on(&super::META, &rule("increase(model_info[1h]) > 0")).len(),
            1
        );
    }

    #[test]
    fn passes_counters_and_gauge_functions() {
        for e in [
            "changes(DCGM_FI_DEV_XID_ERRORS[10m]) > 0",
            "rate(inference_requests_total[5m]) > 0",
            "increase(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION[1h]) > 0",
            "rate(job:x:sum[5m]) > 0",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
