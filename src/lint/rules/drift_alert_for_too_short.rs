//! `drift-alert-for-too-short` (ML254): drift, accuracy and data-quality
//! metrics are computed over windows of noisy samples; an alert on them with
//! a short `for` flaps with every batch.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;
use crate::promql::analysis::{selector_name, walk};
use crate::promql::ast::Expr;
use crate::promql::names::model_quality_word;

crate::declare_lint! {
    /// The `drift-alert-for-too-short` lint.
    pub struct DriftAlertForTooShort {
        code: "ML254",
        name: "drift-alert-for-too-short",
        category: Suspicious,
        severity: Warning,
        summary: "a drift or model-quality alert with a `for` under 10m flaps",
    }
}

crate::declare_setting! {
    /// `drift_min_for`: shortest `for` of a drift or accuracy alert, in milliseconds.
    pub static DRIFT_MIN_FOR: crate::config::Millis = {
        key: "drift_min_for",
        default: "10m",
        doc: "Shortest `for` of a drift or accuracy alert (drift-alert-for-too-short).",
        lint: "drift-alert-for-too-short",
    }
}

impl Lint for DriftAlertForTooShort {
    /// Flags alerting rules about drift or model quality (by a word of the
    /// alert's name or of a metric it reads: drift, accuracy, psi,
    /// divergence, kolmogorov_smirnov, wasserstein, data quality,
    /// distribution shift, training/serving skew) whose `for` is shorter than
    /// `drift_min_for` (default 10m). A missing `for` is `missing-for`'s.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(for_) = &rule.for_ else { return };
        let min = cx.config.get(&DRIFT_MIN_FOR).0;
        if for_.value.ms >= min {
            return;
        }
        let Some((_, ast)) = cx.parsed() else {
            return;
        };
        let mut why = model_quality_word(&rule.name.value)
            .map(|w| (w, format!("alert name {:?}", rule.name.value)));
        if why.is_none() {
            walk(ast, &mut |e| {
                if why.is_some() {
                    return;
                }
                if let Some(n) = selector_name(e)
                    && matches!(e, Expr::VectorSelector(_) | Expr::MatrixSelector(_))
                    && let Some(w) = model_quality_word(n)
                {
                    why = Some((w, format!("metric `{n}`")));
                }
            });
        }
        let Some((word, source)) = why else { return };
        r.report(for_.span, format!(
                    "alert {:?} is about {word} (from its {source}) but has `for: {}`: drift and model-quality metrics are noisy and the alert will flap",
                    rule.name.value, for_.value.text
                ))
            .help(format!(
                "hold the condition for at least {} (`for: {}`), or smooth the metric with `avg_over_time(…[30m])`",
                format_ms(min),
                format_ms(min)
            ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(name: &str, expr: &str, for_: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: {name}\n    expr: {expr}\n    for: {for_}\n"
        )
    }

    #[test]
    fn flags_short_for_on_drift_and_quality_alerts() {
        for (n, e, f) in [
            ("DataDriftDetected", "drift_score > 0.15", "1m"),
            ("FeatureShift", "feature_psi > 0.2", "5m"),
            ("ModelDegraded", "model_kl_divergence > 0.1", "0s"),
            (
                "DataQualityCheckFailed",
                "data_quality_check_passed == 0",
                "1m",
            ),
            ("ModelAccuracyLow", "model_accuracy < 0.9", "9m59s"),
        ] {
            assert_eq!(run_on(&super::META, &alert(n, e, f)).len(), 1, "{n}");
        }
    }

    #[test]
    fn passes_long_for_other_alerts_and_missing_for() {
        for (n, e, f) in [
            ("DataDriftDetected", "drift_score > 0.15", "10m"),
            ("ModelAccuracyDrift", "model_accuracy < 0.9", "1h"),
            ("GPUHot", "DCGM_FI_DEV_GPU_TEMP > 85", "1m"),
            (
                "NodeClockSkewDetected",
                "node_timex_offset_seconds > 0.05",
                "2m",
            ),
        ] {
            assert!(run_on(&super::META, &alert(n, e, f)).is_empty(), "{n}");
        }
        let no_for =
            "groups:\n- name: g\n  rules:\n  - alert: DataDrift\n    expr: drift_score > 0.15\n";
        assert!(run_on(&super::META, no_for).is_empty());
    }
}
