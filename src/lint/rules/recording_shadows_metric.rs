//! `recording-shadows-metric` (ML120): a recording rule writes its result
//! under the name of a metric its own expression reads (`record:
//! probe_success` over `probe_success{…}`), or under a name Prometheus writes
//! itself (`up`, `ALERTS`, the `scrape_*` series). The recorded series then
//! live beside the scraped ones under one name: every query of that name
//! sees both, and where the labels coincide the two writers collide.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{selector_name, walk};

crate::declare_lint! {
    /// The `recording-shadows-metric` lint.
    pub struct RecordingShadowsMetric {
        code: "ML120",
        name: "recording-shadows-metric",
        category: Correctness,
        severity: Warning,
        summary: "a recording rule writes under the name of a metric it reads or that Prometheus writes itself",
    }
}

/// Series names Prometheus writes itself: per target (`up`, `scrape_*`,
/// scrape.go's report) and per alerting rule (`ALERTS`, `ALERTS_FOR_STATE`,
/// rules/alerting.go).
const PROMETHEUS_SERIES: &[&str] = &[
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
];

impl Lint for RecordingShadowsMetric {
    /// Flags, at the recorded name, a recording rule whose name is one its
    /// expression selects, or one of the series Prometheus writes itself.
    /// Names with a `:` are recording-rule names by convention and are
    /// never scraped: one that reads itself (`… + (x:total offset 25s)`) is
    /// an accumulator built on purpose, and is not flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if rule.is_alert() {
            return;
        }
        let name = rule.name.value.as_str();
        if PROMETHEUS_SERIES.contains(&name) {
            r.report(
                rule.name.span,
                format!("recording rule writes `{name}`, a series Prometheus writes itself: queries and alerts on `{name}` now also see this rule's output"),
            )
            .help("give the recording a name of its own, `level:metric:operations` (e.g. `job:up:sum`)");
            return;
        }
        let Some((_, ast)) = cx.parsed().filter(|_| !name.contains(':')) else {
            return;
        };
        let mut reads_itself = false;
        walk(ast, &mut |e| {
            if selector_name(e) == Some(name) {
                reads_itself = true;
            }
        });
        if reads_itself {
            r.report(
                rule.name.span,
                format!("recording rule writes `{name}`, the metric its own expression reads: the recorded series mix with the scraped ones under one name, so every query of `{name}` sees both"),
            )
            .help(format!("give the recording a name of its own, `level:metric:operations` (e.g. `job:{name}:max`)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rec(name: &str, expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: {name}\n    expr: {expr}\n")
    }

    #[test]
    fn flags_a_recording_that_reads_or_shadows_its_own_name() {
        let y = rec(
            "probe_success",
            "max by (instance) (probe_success{job=\"blackbox\"})",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("probe_success").unwrap());
        assert!(
            d[0].message.contains("the metric its own expression reads"),
            "{}",
            d[0].message
        );
        let d = run_on(&super::META, &rec("up", "max by (job) (probe_success)"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("a series Prometheus writes itself"),
            "{}",
            d[0].message
        );
        assert_eq!(run_on(&super::META, &rec("ALERTS", "vector(1)")).len(), 1);
    }

    #[test]
    fn passes_recordings_of_their_own_name_and_alerts() {
        for (name, expr) in [
            ("job:probe_success:max", "max by (job) (probe_success)"),
            (
                "gpu_memory_used_ratio",
                "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)",
            ),
            ("job:up:sum", "sum by (job) (up)"),
            // An accumulator reading its own earlier value (OpenShift's
            // cluster:usage:… rules).
            (
                "cluster:usage:cpu_seconds",
                "sum_over_time(x[30s:1s]) + (cluster:usage:cpu_seconds offset 25s)",
            ),
        ] {
            assert!(run_on(&super::META, &rec(name, expr)).is_empty(), "{name}");
        }
        let alert = "groups:\n- name: g\n  rules:\n  - alert: up\n    expr: up == 0\n    for: 5m\n";
        assert!(run_on(&super::META, alert).is_empty());
    }
}
