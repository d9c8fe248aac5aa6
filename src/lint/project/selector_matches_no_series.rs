//! `selector-matches-no-series` (ML501): a selector of a rule matches no
//! series in the Prometheus the rules run on (the committed snapshot or a
//! live `--prometheus`), so every rule built on it is blind.

use crate::lint::prometheus::{recorded_in_run, run_selectors};
use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::prometheus::facts::{SelectorFact, matcher_text};
use crate::promql::selectors::selector_name_span;
use crate::promql::types::is_recorded;

crate::declare_lint! {
    /// `selector-matches-no-series`: a selector matches no series in Prometheus.
    pub struct SelectorMatchesNoSeries {
        code: "ML501",
        name: "selector-matches-no-series",
        category: Correctness,
        severity: Warning,
        summary: "a selector matches no series in Prometheus",
    }
}

impl Lint for SelectorMatchesNoSeries {
    /// With facts about Prometheus (`Config::facts`): flags a named
    /// selector whose metric had no series within the lookback, whose
    /// matchers leave none of the metric's series (naming the matcher that
    /// removes the last one), or whose metric stopped. Names a rule of the
    /// run records are skipped (they may not be deployed yet), and so are
    /// recorded names absent from Prometheus (`recording-rule-missing`).
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let Some(facts) = cx.config.facts() else {
            return;
        };
        let recorded = recorded_in_run(cx);
        for (file, expr, u) in run_selectors(cx) {
            let (Some(name), Some(vs)) = (u.name, u.vector()) else {
                continue;
            };
            if recorded.contains(name) {
                continue;
            }
            let at = expr.span_or_whole(selector_name_span(u.expr));
            match facts.selector(name, vs) {
                SelectorFact::Unknown | SelectorFact::Matches => {}
                SelectorFact::NameAbsent if is_recorded(name) => {}
                SelectorFact::NameAbsent => {
                    r.report_in(file, at, format!(
                            "`{name}` has no series in Prometheus ({}) within the last {}: this selector matches nothing",
                            facts.source, facts.lookback
                        ))
                        .help("check the metric name against the exporter's /metrics (a renamed metric, a missing exporter or scrape job), or refresh the snapshot with `mlalert snapshot`");
                }
                SelectorFact::NoMatch(nm) => {
                    let span = expr.span_of(nm.culprit.span.start..nm.culprit.span.end);
                    let seen = if nm.seen.is_empty() {
                        format!("no series of it has label `{}`", nm.culprit.name)
                    } else {
                        let v: Vec<String> = nm.seen.iter().map(|v| format!("{v:?}")).collect();
                        format!("`{}` takes {}", nm.culprit.name, v.join(", "))
                    };
                    let head = if nm.before.is_empty() {
                        format!("no series of `{name}` has `{}`", matcher_text(nm.culprit))
                    } else {
                        let before: Vec<String> =
                            nm.before.iter().map(|m| matcher_text(m)).collect();
                        format!(
                            "`{name}{{{}}}` exists, but no series has `{}`",
                            before.join(", "),
                            matcher_text(nm.culprit)
                        )
                    };
                    r.report_in(
                        file,
                        span,
                        format!(
                            "{head} in Prometheus ({}; {seen}): this selector matches nothing",
                            facts.source
                        ),
                    )
                    .help("fix the matcher's value or label name to one the series carry");
                }
                SelectorFact::Stopped(t) => {
                    r.report_in(file, at, format!(
                            "`{name}` stopped: Prometheus ({}) had series of it until about {t} and none at {}, so this selector matches nothing now",
                            facts.source, facts.taken_at
                        ))
                        .help("find out why the exporter or target stopped (a renamed metric after an upgrade, a removed scrape job); alert on its absence with `absent()` or on `up == 0`");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on_with;

    use crate::lint::snapshot_fixture_config as config;

    fn rule(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: GpuIdle\n    expr: {expr}\n    for: 5m\n")
    }

    #[test]
    fn names_the_matcher_that_removes_the_last_series() {
        let y = rule(r#"DCGM_FI_DEV_GPU_UTIL{job="gpu-exporter", gpu="8"} < 10"#);
        let d = run_on_with(&super::META, &[&y], config());
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains(
                r#"`DCGM_FI_DEV_GPU_UTIL{job="gpu-exporter"}` exists, but no series has `gpu="8"`"#
            ),
            "{}",
            d[0].message
        );
        assert_eq!(&y[d[0].span.start..d[0].span.end], r#"gpu="8""#);
    }

    #[test]
    fn absent_and_stopped_metrics_are_flagged() {
        let d = run_on_with(&super::META, &[&rule("gpu_utilisation < 10")], config());
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("has no series"), "{}", d[0].message);
        let d = run_on_with(&super::META, &[&rule("model_drift_score > 0.3")], config());
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("stopped"), "{}", d[0].message);
    }

    #[test]
    fn passes_matching_unknown_and_recorded_selectors() {
        for e in [
            r#"DCGM_FI_DEV_GPU_UTIL{gpu="0"} < 10"#,
            "never_asked_about < 1",
            "job:inference_requests:rate5m > 1",
        ] {
            assert!(
                run_on_with(&super::META, &[&rule(e)], config()).is_empty(),
                "{e}"
            );
        }
        // Without facts: nothing.
        assert!(crate::lint::run_on(&super::META, &rule("gpu_utilisation < 10")).is_empty());
    }
}
