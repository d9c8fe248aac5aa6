//! `group-interval-too-long` (ML112): a group with recording rules evaluated
//! less often than the query lookback delta (5m) writes series that go stale
//! between evaluations: dashboards and alerts built on them see gaps.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;

crate::declare_lint! {
    /// The `group-interval-too-long` lint.
    pub struct GroupIntervalTooLong {
        code: "ML112",
        name: "group-interval-too-long",
        category: Suspicious,
        severity: Warning,
        summary: "a group with recording rules is evaluated less often than every 5m, so their series go stale",
    }
}

crate::declare_setting! {
    /// `max_group_interval`: longest evaluation interval of a group with recording rules before their results go stale (the 5m lookback delta), in milliseconds.
    pub static MAX_GROUP_INTERVAL: crate::config::Millis = {
        key: "max_group_interval",
        default: "5m",
        doc: "Longest group interval before recording rules go stale (group-interval-too-long).",
        lint: "group-interval-too-long",
    }
}

impl Lint for GroupIntervalTooLong {
    /// Flags a group's `interval` longer than `max_group_interval` (default
    /// 5m, Prometheus' lookback delta) when the group has recording rules;
    /// reported once per group, from its first recording rule.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        let Some(interval) = &cx.group.interval else {
            return;
        };
        let max = cx.config.get(&MAX_GROUP_INTERVAL).0;
        if rule.is_alert() || interval.value.ms <= max {
            return;
        }
        if cx
            .group
            .rules
            .iter()
            .find(|r| !r.is_alert())
            .is_some_and(|first| first.index != rule.index)
        {
            return;
        }
        let records = cx.group.rules.iter().filter(|r| !r.is_alert()).count();
        r.report(interval.span, format!(
                    "group {:?} is evaluated every {}, longer than the {} lookback: its {records} recording rule{} go stale between evaluations",
                    cx.group.name.value,
                    interval.value.text,
                    format_ms(max),
                    if records == 1 { "" } else { "s" }
                ))
            .help(format!(
                "evaluate the group at most every {} (e.g. `interval: 1m`); for slow, expensive rules keep the interval short and widen their range windows instead",
                format_ms(max)
            ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn group(interval: &str, rules: &str) -> String {
        format!("groups:\n- name: g\n  interval: {interval}\n  rules:\n{rules}")
    }
    const REC: &str = "  - record: job:up:sum\n    expr: sum by (job) (up)\n";
    const ALERT: &str = "  - alert: A\n    expr: up == 0\n    for: 5m\n";

    #[test]
    fn flags_long_interval_with_recording_rules_once() {
        assert_eq!(run_on(&super::META, &group("10m", REC)).len(), 1);
        assert_eq!(
            run_on(&super::META, &group("1h", &format!("{ALERT}{REC}{REC}"))).len(),
            1
        );
    }

    #[test]
    fn passes_short_intervals_and_alert_only_groups() {
        assert!(run_on(&super::META, &group("5m", REC)).is_empty());
        assert!(run_on(&super::META, &group("30s", REC)).is_empty());
        assert!(run_on(&super::META, &group("1h", ALERT)).is_empty());
    }
}
