//! `histogram-quantile-misuse` (ML202): `histogram_quantile` over bucket
//! counters without `rate()`, with the `le` label aggregated away, or over a
//! series that is not a histogram at all.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{op_str, returns_input_series, walk};
use crate::promql::ast::{Expr, LabelModifier};
use crate::promql::labels::output_labels;
use crate::promql::selectors::{name_span, selector_name_span, selector_uses};
use crate::promql::types::{MetricKind, is_recorded, metric_kind};

crate::declare_lint! {
    /// The `histogram-quantile-misuse` lint.
    pub struct HistogramQuantileMisuse {
        code: "ML202",
        name: "histogram-quantile-misuse",
        category: Correctness,
        severity: Error,
        summary: "`histogram_quantile` over raw bucket counters, without `le`, or over a non-histogram",
    }
}

impl Lint for HistogramQuantileMisuse {
    /// For every `histogram_quantile(φ, v)`: flags `_bucket` selectors in
    /// `v` not under `rate`/`irate`/`increase`; an aggregation in `v` that
    /// drops `le` (every alternative of `v`'s output labels lacks it); and
    /// `v` reading only series that are known not to be histograms (`_total`,
    /// `_count`, `_sum`, gauges). Recorded series (`job:x_bucket:rate5m`)
    /// are not flagged; a name with no histogram suffix (possibly a native
    /// histogram) is flagged when it is read without `rate()`-like function.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        walk(ast, &mut |e| {
            let Expr::Call(c) = e else { return };
            if c.func.name != "histogram_quantile" {
                return;
            }
            let Some(arg) = c.args.args.last() else {
                return;
            };
            let hq_span = expr.span_or_whole(name_span(e));
            let uses = selector_uses(arg);
            let mut classic = false;
            for u in &uses {
                let Some(name) = u.name else { continue };
                if is_recorded(name) {
                    classic |= name.contains("_bucket");
                    continue;
                }
                if metric_kind(name) != MetricKind::HistogramBucket {
                    continue;
                }
                classic = true;
                if u.inside_call(|f| matches!(f, "rate" | "irate" | "increase")) {
                    continue;
                }
                let span = selector_name_span(u.expr).map_or(hq_span, |r| expr.span_of(r));
                r.report(span, format!("`histogram_quantile` reads `{name}` without `rate()`: bucket counters count since the process started, so the quantile covers its whole lifetime and jumps at restarts"))
                    .help(format!("take the rate of the buckets first: `histogram_quantile(0.99, sum by (le) (rate({name}[5m])))`"));
            }
            if classic {
                let sets = output_labels(arg);
                if sets.iter().all(|s| !s.may_have("le")) {
                    let at = dropping_aggregation(arg)
                        .and_then(name_span)
                        .map_or(hq_span, |r| expr.span_of(r));
                    r.report(at, "the `le` label is aggregated away before `histogram_quantile`: without it there are no buckets and the result is always empty")
                        .help("keep `le` in the grouping: `sum by (le, model) (rate(…_bucket[5m]))`");
                }
                return;
            }
            let known: Vec<&str> = uses
                .iter()
                .filter_map(|u| u.name)
                .filter(|n| {
                    !is_recorded(n)
                        && matches!(
                            metric_kind(n),
                            MetricKind::Counter
                                | MetricKind::HistogramCountOrSum
                                | MetricKind::Gauge
                        )
                })
                .collect();
            let all_known = !uses.is_empty()
                && uses
                    .iter()
                    .all(|u| u.name.is_some_and(|n| known.contains(&n)));
            if all_known {
                r.report(hq_span, format!("`histogram_quantile` over `{}`, which is not a histogram: there are no buckets and the result is always empty", known[0]))
                    .help("pass the histogram's `_bucket` series (classic) or the histogram itself (native)");
                return;
            }
            // A name with no histogram suffix may be a native histogram: read
            // raw, it too counts every observation since the process started.
            for u in &uses {
                let Some(name) = u.name else { continue };
                if is_recorded(name)
                    || metric_kind(name) != MetricKind::Unknown
                    || u.inside_call(|f| {
                        matches!(f, "rate" | "irate" | "increase" | "delta" | "idelta")
                            || f.ends_with("_over_time")
                    })
                {
                    continue;
                }
                let span = selector_name_span(u.expr).map_or(hq_span, |r| expr.span_of(r));
                r.report(span, format!("`histogram_quantile` reads `{name}` without `rate()`: a histogram read raw (native, or classic buckets) holds every observation since the process started, so the quantile describes its whole lifetime, not the last minutes"))
                    .help(format!("take the rate first: `histogram_quantile(0.95, sum(rate({name}[5m])))` (native) or `histogram_quantile(0.95, sum by (le) (rate({name}_bucket[5m])))` (classic)"));
            }
        });
    }
}

/// The outermost aggregation in `e` that drops `le` (`by` without it, or
/// `without (le)`).
fn dropping_aggregation(e: &Expr) -> Option<&Expr> {
    let mut found = None;
    walk(e, &mut |n| {
        if found.is_some() {
            return;
        }
        if let Expr::Aggregate(a) = n {
            let drops = match &a.modifier {
                Some(LabelModifier::Include(l)) => !l.labels.iter().any(|x| x == "le"),
                Some(LabelModifier::Exclude(l)) => l.labels.iter().any(|x| x == "le"),
                None => !returns_input_series(&op_str(&a.op)),
            };
            if drops {
                found = Some(n);
            }
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn a_raw_histogram_without_a_suffix_is_flagged_and_its_rate_is_not() {
        let rule =
            |e: &str| format!("groups:\n- name: g\n  rules:\n  - record: r\n    expr: '{e}'\n");
        let d = run_on(
            &super::META,
            &rule("histogram_quantile(0.95, model_inference_duration_seconds)"),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("without `rate()`"),
            "{}",
            d[0].message
        );
        for ok in [
            "histogram_quantile(0.95, sum(rate(model_inference_duration_seconds[5m])))",
            "histogram_quantile(0.95, model:inference_duration_seconds:rate5m)",
            "histogram_quantile(0.95, sum by (le) (rate(model_inference_duration_seconds_bucket[5m])))",
        ] {
            assert!(run_on(&super::META, &rule(ok)).is_empty(), "{ok}");
        }
    }

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: InferenceLatencyHigh\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_missing_rate_lost_le_and_non_histograms() {
        let y = rule("histogram_quantile(0.99, sum by (le) (latency_seconds_bucket)) > 1");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("latency_seconds_bucket").unwrap());
        let y =
            rule("histogram_quantile(0.99, sum by (model) (rate(latency_seconds_bucket[5m]))) > 1");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("sum").unwrap());
        assert_eq!(
            run_on(
                &super::META,
                &rule("histogram_quantile(0.9, rate(requests_total[5m])) > 1")
            )
            .len(),
            1
        );
    }

    #[test]
    fn passes_correct_native_and_recorded() {
        for e in [
            "histogram_quantile(0.99, sum by (le, model) (rate(latency_seconds_bucket[5m]))) > 1",
            "histogram_quantile(0.99, sum without (pod) (rate(latency_seconds_bucket[5m]))) > 1",
            "histogram_quantile(0.99, rate(latency_seconds[5m])) > 1",
            "histogram_quantile(0.99, model:latency_seconds_bucket:rate5m) > 1",
            "histogram_quantile(0.99, sum by (le) (model:latency_seconds_bucket:rate5m)) > 1",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
