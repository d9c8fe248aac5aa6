//! `repeat-interval-below-group-interval` (ML307): Alertmanager only checks
//! whether to repeat a notification when a group is flushed, every
//! `group_interval`: a shorter `repeat_interval` does not repeat faster, it
//! is rounded up to the next flush.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::Route;
use crate::model::duration::format_ms;

crate::declare_lint! {
    /// The `repeat-interval-below-group-interval` lint.
    pub struct RepeatIntervalBelowGroupInterval {
        code: "ML307",
        name: "repeat-interval-below-group-interval",
        category: Suspicious,
        severity: Warning,
        summary: "`repeat_interval` shorter than `group_interval` is rounded up to it",
    }
}

/// Alertmanager's defaults.
const DEFAULT_GROUP_INTERVAL: u64 = 5 * 60_000;
const DEFAULT_REPEAT_INTERVAL: u64 = 4 * 3_600_000;

impl Lint for RepeatIntervalBelowGroupInterval {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        if let Some(root) = &cx.am.route {
            visit(root, DEFAULT_GROUP_INTERVAL, DEFAULT_REPEAT_INTERVAL, r);
        }
    }
}

fn visit(route: &Route, gi: u64, ri: u64, r: &mut Reporter) {
    let group = route.group_interval.as_ref().map_or(gi, |d| d.value.ms);
    let repeat = route.repeat_interval.as_ref().map_or(ri, |d| d.value.ms);
    // Reported where one of the two is set; a child inheriting both is not reported again.
    let at = route
        .repeat_interval
        .as_ref()
        .map(|d| d.span)
        .or(route.group_interval.as_ref().map(|d| d.span));
    if let Some(span) = at
        && repeat > 0
        && repeat < group
    {
        r.report(span, format!(
                    "`repeat_interval` ({}) is shorter than `group_interval` ({}): notifications repeat every {} at most",
                    format_ms(repeat),
                    format_ms(group),
                    format_ms(group)
                ))
            .help("set `repeat_interval` to a multiple of `group_interval` (it is usually hours: the default is 4h)");
    }
    for child in &route.routes {
        visit(child, group, repeat, r);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_inherited_group_interval() {
        let y = "route:\n  receiver: a\n  group_interval: 10m\n  routes:\n  - receiver: a\n    repeat_interval: 5m\nreceivers:\n- name: a\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("5m").unwrap());
    }

    #[test]
    fn passes_longer_repeat() {
        let y = "route:\n  receiver: a\n  group_interval: 5m\n  repeat_interval: 4h\nreceivers:\n- name: a\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
