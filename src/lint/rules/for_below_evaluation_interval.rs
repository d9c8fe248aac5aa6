//! `for-below-evaluation-interval` (ML119): an alert's `for` is shorter than
//! its group's evaluation interval, so it means "one evaluation" and protects
//! from nothing.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;

crate::declare_lint! {
    /// `for-below-evaluation-interval`: a `for` that waits less than one evaluation.
    pub struct ForBelowEvaluationInterval {
        code: "ML119",
        name: "for-below-evaluation-interval",
        category: Correctness,
        severity: Warning,
        summary: "an alert's `for` is shorter than its group's evaluation interval",
    }
}

crate::declare_setting! {
    /// `evaluation_interval`: the interval of groups without `interval`, in
    /// milliseconds.
    pub static EVALUATION_INTERVAL: crate::config::Millis = {
        key: "evaluation_interval",
        default: "30s",
        doc: "Your Prometheus evaluation interval, for groups without `interval`; read from a prometheus.yml in the run, else 30s (the Prometheus Operator's default, the shorter of the common ones, so a finding holds under Prometheus' own 1m too).",
        lint: "for-below-evaluation-interval",
    }
}

impl Lint for ForBelowEvaluationInterval {
    /// Flags an alerting rule whose `for` is non-zero and shorter than the
    /// group's `interval` (30s when the group sets none: the Prometheus
    /// Operator's default; Prometheus' own is 1m). Prometheus checks `for` only at evaluations
    /// (rules/alerting.go: the alert fires at the first evaluation at least
    /// `for` after it became pending), so such a `for` fires on the second
    /// matching evaluation, whatever it says. `for: 0s` is `missing-for`'s
    /// business.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        let Some(f) = rule.for_.as_ref().filter(|_| rule.is_alert()) else {
            return;
        };
        let (interval, group_sets) = match &cx.group.interval {
            Some(i) if i.value.ms > 0 => (i.value.ms, true),
            _ => (cx.config.get(&EVALUATION_INTERVAL).0, false),
        };
        if f.value.ms == 0 || f.value.ms >= interval {
            return;
        }
        let of = match (group_sets, cx.config.origin(&EVALUATION_INTERVAL)) {
            (true, _) => format!("the group's `interval: {}`", format_ms(interval)),
            (false, Some(origin)) => format!(
                "the evaluation interval ({}, from {origin}; the group sets no `interval`)",
                format_ms(interval)
            ),
            (false, None) => format!(
                "the shortest common default evaluation interval ({}, the Prometheus Operator's; the group sets no `interval`; set `evaluation_interval` in .mlalert.yaml if yours differs)",
                format_ms(interval)
            ),
        };
        r.report(
            f.span,
            format!(
                "`for: {}` is shorter than {of}: the alert fires at the next evaluation that still matches, so the `for` waits one evaluation, not {}",
                f.value,
                f.value
            ),
        )
        .help(format!(
            "use a `for` of several evaluation intervals (e.g. `for: {}`), or `for: 0s` if one evaluation is meant",
            format_ms(interval * 5)
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn group(interval: &str, for_: &str) -> String {
        format!(
            "groups:\n- name: g\n{interval}  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 85\n    for: {for_}\n"
        )
    }

    #[test]
    fn flags_a_for_below_the_interval_at_the_for() {
        let y = group("", "10s");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.start, y.find("10s").unwrap());
        assert!(
            d[0].message.contains("default evaluation interval (30s"),
            "{}",
            d[0].message
        );
        let y = group("  interval: 5m\n", "2m");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("`interval: 5m`"), "{}", d[0].message);
    }

    #[test]
    fn passes_a_for_of_an_interval_or_more_zero_and_recording_rules() {
        for y in [
            group("", "30s"),
            group("", "0s"),
            group("  interval: 15s\n", "30s"),
            "groups:\n- name: g\n  interval: 5m\n  rules:\n  - record: job:x:sum\n    expr: sum(x)\n".to_string(),
        ] {
            assert!(run_on(&super::META, &y).is_empty(), "{y}");
        }
    }
}
