//! `long-window-evaluated-often` (ML220): a range selector of days over a
//! raw (scraped) series in a group evaluated more often than every 5
//! minutes. Each evaluation reads every sample of the window for every
//! series again: `rate(x_total[30d])` at a 30s scrape interval is 86,400
//! samples per series, every 30 seconds, for a result that moves by a
//! fraction of a percent between evaluations.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;
use crate::promql::ast::Expr;
use crate::promql::selectors::{selector_uses, window_span};
use crate::promql::types::is_recorded;

use super::for_below_evaluation_interval::EVALUATION_INTERVAL;
use super::rate_window_too_short::SCRAPE_INTERVAL;

crate::declare_lint! {
    /// `long-window-evaluated-often`: a window of days over raw series in a frequently evaluated group.
    pub struct LongWindowEvaluatedOften {
        code: "ML220",
        name: "long-window-evaluated-often",
        category: Suspicious,
        severity: Info,
        summary: "a window of days over raw series, read again at every evaluation of a frequently evaluated group",
    }
}

/// Windows longer than this (1 day) are long.
const LONG_WINDOW_MS: u64 = 24 * 3_600_000;
/// Groups evaluated less often than this (every 5 minutes) are left alone.
const OFTEN_MS: u64 = 5 * 60_000;

impl Lint for LongWindowEvaluatedOften {
    /// Flags the first range selector of a rule whose window is longer than
    /// 1 day, over a raw series (not a recorded one: `:` in the name), when
    /// the group is evaluated more often than every 5 minutes (its
    /// `interval`, else `evaluation_interval`, default 30s). One finding per
    /// rule, at the first such window. Subqueries are not checked.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let (interval, of) = match &cx.group.interval {
            Some(i) if i.value.ms > 0 => (i.value.ms, "the group's `interval`"),
            _ => (
                cx.config.get(&EVALUATION_INTERVAL).0,
                "the evaluation interval of groups without `interval`",
            ),
        };
        if interval >= OFTEN_MS {
            return;
        }
        let long: Vec<_> = selector_uses(ast)
            .into_iter()
            .filter_map(|u| {
                let Expr::MatrixSelector(ms) = u.expr else {
                    return None;
                };
                let window = ms.range.as_millis() as u64;
                (window > LONG_WINDOW_MS && !u.name.is_some_and(is_recorded)).then_some((u, window))
            })
            .collect();
        let Some((u, window)) = long.first() else {
            return;
        };
        let range = window_span(u.expr);
        // The window as written (`7d`, not `1w`).
        let written = range
            .as_ref()
            .and_then(|r| expr.text.value.get(r.start + 1..r.end - 1))
            .map(str::to_string)
            .unwrap_or_else(|| format_ms(*window));
        let span = range.map(|r| expr.span_of(r)).unwrap_or(expr.text.span);
        let scrape = u
            .vector()
            .map_or(cx.config.get(&SCRAPE_INTERVAL).0, |vs| {
                crate::lint::prometheus::scrape_interval(cx.config, u.name, vs).ms
            })
            .max(1);
        let what = match u.name {
            Some(n) => format!("`{n}`"),
            None => "the series".to_string(),
        };
        let more = match long.len() {
            1 => String::new(),
            n => format!(" (and {} more in this rule)", n - 1),
        };
        r.report(span, format!(
                "a {written} window over raw {what}, evaluated every {} ({of}): each evaluation reads about {} samples per series again, at a {} scrape interval{more}",
                format_ms(interval),
                window / scrape,
                format_ms(scrape),
            ))
            .help("evaluate it in a group with `interval: 5m` or longer, or build it from a recorded short-window rate (`avg_over_time(job:x:rate5m[30d])`)");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn group(interval: &str, expr: &str) -> String {
        format!(
            r#"
groups:
  - name: inference-slo
{interval}    rules:
      - alert: InferenceErrorBudgetBurn
        expr: {expr}
        for: 1h
        labels:
          severity: warning
"#
        )
    }

    #[test]
    fn flags_day_windows_over_raw_series_evaluated_often() {
        let y = group(
            "",
            "sum(rate(inference_errors_total[3d])) / sum(rate(inference_requests_total[3d])) > 0.001",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("[3d]").unwrap());
        assert_eq!(d[0].span.end, y.find("[3d]").unwrap() + 4);
        assert!(
            d[0].message.contains("evaluated every 30s"),
            "{}",
            d[0].message
        );
        assert!(d[0].message.contains("8640 samples"), "{}", d[0].message);
        assert!(d[0].message.starts_with("a 3d window"), "{}", d[0].message);
        assert!(
            d[0].message.contains("(and 1 more in this rule)"),
            "{}",
            d[0].message
        );
        for (interval, e) in [
            (
                "    interval: 1m\n",
                "avg_over_time(probe_success{job=\"model-api\"}[30d]) < 0.999",
            ),
            ("", "min_over_time(node_memory_MemFree_bytes[1w]) > 1e9"),
            (
                "    interval: 3m\n",
                "increase(inference_errors_total[30d]) > 100",
            ),
        ] {
            assert_eq!(run_on(&super::META, &group(interval, e)).len(), 1, "{e}");
        }
    }

    #[test]
    fn passes_recorded_series_slow_groups_and_a_day() {
        for (interval, e) in [
            // SLO windows over recorded series: few samples.
            (
                "",
                "avg_over_time(job:inference_errors:ratio_rate5m[30d]) > 0.001",
            ),
            // A slow group.
            (
                "    interval: 5m\n",
                "sum(rate(inference_errors_total[30d])) > 1",
            ),
            (
                "    interval: 1h\n",
                "increase(inference_errors_total[30d]) > 100",
            ),
            // A day is the usual daily comparison.
            ("", "increase(litellm_spend_metric_total[24h]) > 100"),
            ("", "rate(inference_requests_total[1d]) > 10"),
            ("", "rate(inference_requests_total[5m]) > 10"),
        ] {
            assert!(run_on(&super::META, &group(interval, e)).is_empty(), "{e}");
        }
    }
}
