//! `rate-window-too-short` (ML209): a `rate`-like function over a window
//! shorter than two scrape intervals. It needs two samples in the window;
//! with fewer it returns nothing, and the alert silently never fires.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;
use crate::promql::ast::Expr;
use crate::promql::selectors::{selector_uses, window_span};

crate::declare_lint! {
    /// The `rate-window-too-short` lint.
    pub struct RateWindowTooShort {
        code: "ML209",
        name: "rate-window-too-short",
        category: Correctness,
        severity: Warning,
        summary: "a rate window shorter than two scrape intervals often holds one sample and returns nothing",
    }
}

crate::declare_setting! {
    /// `scrape_interval`: the scrape interval rate windows are checked against, in milliseconds.
    pub static SCRAPE_INTERVAL: crate::config::Millis = {
        key: "scrape_interval",
        default: "30s",
        doc: "Your Prometheus scrape interval (rate-window-too-short wants windows of at least twice it); 30s, the common Kubernetes default, unless set.",
        lint: "rate-window-too-short",
    }
}

/// Functions that need at least two samples in their window.
const TWO_SAMPLE_FUNCTIONS: &[&str] = &[
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "deriv",
    "predict_linear",
];

impl Lint for RateWindowTooShort {
    /// Flags range selectors passed to `rate`, `irate`, `increase`,
    /// `delta`, `idelta`, `deriv` or `predict_linear` whose window is below
    /// twice `scrape_interval` (default 30s). Subqueries are not checked:
    /// their step, not the scrape interval, spaces their samples.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        for u in selector_uses(ast) {
            let Expr::MatrixSelector(ms) = u.expr else {
                continue;
            };
            let Some(call) = u.direct_call() else {
                continue;
            };
            let f = call.func.name;
            if !TWO_SAMPLE_FUNCTIONS.contains(&f) {
                continue;
            }
            let window = ms.range.as_millis() as u64;
            let scrape = crate::lint::prometheus::scrape_interval(cx.config, u.name, &ms.vs);
            let min = scrape.ms.saturating_mul(2);
            if window >= min {
                continue;
            }
            let span = expr.span_or_whole(window_span(u.expr));
            let interval = format_ms(scrape.ms);
            let assumed = match scrape.origin {
                Some(origin) => format!("the {interval} scrape interval of {origin}"),
                None => format!(
                    "an assumed {interval} scrape interval (the common Kubernetes default; set `scrape_interval` in .mlalert.yaml if yours differs)"
                ),
            };
            r.report(span, format!(
                        "`{f}` over a {} window with {assumed}: it needs two samples in the window and often has one, so it returns nothing",
                        format_ms(window),
                    ))
                .help(format!(
                    "use a window of at least {} (4× the scrape interval is safer); if your targets are scraped more often, set `scrape_interval` in .mlalert.yaml",
                    format_ms(min)
                ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: InferenceErrors\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_short_windows_at_the_window() {
        let y = rule("rate(inference_errors_total[30s]) > 1");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("[30s]").unwrap());
        assert_eq!(d[0].span.end, y.find("[30s]").unwrap() + 5);
        assert!(
            d[0].message.contains("an assumed 30s scrape interval"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_configured_interval_is_named_as_such() {
        let y = rule("rate(inference_errors_total[1m]) > 1");
        let source = crate::source::SourceFile::from_text("t.yaml", y.clone(), 0);
        let mut config = crate::config::Config::default();
        config.set(
            &super::SCRAPE_INTERVAL,
            crate::config::Value::Ms(crate::config::Millis(60_000)),
        );
        let d: Vec<_> = crate::lint::run_sources(vec![source], &config)
            .diagnostics
            .into_iter()
            .filter(|d| d.lint.code == super::META.code)
            .collect();
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message
                .contains("the 1m scrape interval of .mlalert.yaml"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn passes_long_windows_over_time_and_subqueries() {
        for e in [
            "rate(inference_errors_total[2m]) > 1",
            "rate(inference_errors_total[1m]) > 1",
            "avg_over_time(gpu_util[30s]) > 1",
            "max_over_time(rate(x_total[5m])[1m:10s]) > 1",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
