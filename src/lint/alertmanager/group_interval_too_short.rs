//! `group-interval-too-short` (ML306): a `group_interval` under one minute
//! re-sends a group's notification every time one alert of it changes.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::Route;

crate::declare_lint! {
    /// The `group-interval-too-short` lint.
    pub struct GroupIntervalTooShort {
        code: "ML306",
        name: "group-interval-too-short",
        category: Suspicious,
        severity: Warning,
        summary: "a `group_interval` under one minute sends a notification for every change of a group",
    }
}

/// Shortest `group_interval` not reported, in milliseconds.
pub const MIN_GROUP_INTERVAL_MS: u64 = 60_000;

impl Lint for GroupIntervalTooShort {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for route in cx.routes() {
            visit(route, r);
        }
    }
}

fn visit(route: &Route, r: &mut Reporter) {
    // Zero is refused by Alertmanager (alertmanager-invalid).
    if let Some(gi) = route
        .group_interval
        .as_ref()
        .filter(|g| g.value.ms > 0 && g.value.ms < MIN_GROUP_INTERVAL_MS)
    {
        r.report(gi.span, format!(
                    "`group_interval: {}` sends an updated notification for a group every time one of its alerts fires or resolves, as often as every {}",
                    gi.value, gi.value
                ))
            .help("use a few minutes (Alertmanager's default is 5m): `group_wait` already controls how fast the first notification goes out");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_seconds() {
        let y = "route:\n  receiver: a\n  group_interval: 10s\n  routes:\n  - receiver: a\n    group_interval: 30s\nreceivers:\n- name: a\n";
        assert_eq!(run_on(&super::META, y).len(), 2);
    }

    #[test]
    fn passes_minutes() {
        let y = "route:\n  receiver: a\n  group_interval: 1m\nreceivers:\n- name: a\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
