//! `repeat-interval-below-group-interval` (ML307): Alertmanager only checks
//! whether to repeat a notification when a group is flushed, every
//! `group_interval`: a shorter `repeat_interval` does not repeat faster, it
//! is rounded up to the next flush.

use crate::lint::{AmCtx, Category, Diagnostic, Lint, LintMeta, Severity};
use crate::model::alertmanager::Route;
use crate::model::duration::format_ms;

/// Metadata of `repeat-interval-below-group-interval`.
pub static META: LintMeta = LintMeta {
    code: "ML307",
    name: "repeat-interval-below-group-interval",
    category: Category::Suspicious,
    severity: Severity::Warning,
    summary: "`repeat_interval` shorter than `group_interval` is rounded up to it",
};

/// Alertmanager's defaults.
const DEFAULT_GROUP_INTERVAL: u64 = 5 * 60_000;
const DEFAULT_REPEAT_INTERVAL: u64 = 4 * 3_600_000;

/// The `repeat-interval-below-group-interval` lint.
pub struct RepeatIntervalBelowGroupInterval;

impl Lint for RepeatIntervalBelowGroupInterval {
    fn meta(&self) -> &'static LintMeta {
        &META
    }

    fn check_alertmanager(&self, cx: &AmCtx, out: &mut Vec<Diagnostic>) {
        if let Some(root) = &cx.am.route {
            visit(
                root,
                DEFAULT_GROUP_INTERVAL,
                DEFAULT_REPEAT_INTERVAL,
                cx,
                out,
            );
        }
    }
}

fn visit(route: &Route, gi: u64, ri: u64, cx: &AmCtx, out: &mut Vec<Diagnostic>) {
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
        out.push(
            Diagnostic::new(
                &META,
                cx.file,
                span,
                format!(
                    "`repeat_interval` ({}) is shorter than `group_interval` ({}): notifications repeat every {} at most",
                    format_ms(repeat),
                    format_ms(group),
                    format_ms(group)
                ),
            )
            .with_help("set `repeat_interval` to a multiple of `group_interval` (it is usually hours: the default is 4h)"),
        );
    }
    for child in &route.routes {
        visit(child, group, repeat, cx, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_inherited_group_interval() {
        let y = "route:\n  receiver: a\n  group_interval: 10m\n  routes:\n  - receiver: a\n    repeat_interval: 5m\nreceivers:\n- name: a\n";
        let d = run_on("ML307", y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("5m").unwrap());
    }

    #[test]
    fn passes_longer_repeat() {
        let y = "route:\n  receiver: a\n  group_interval: 5m\n  repeat_interval: 4h\nreceivers:\n- name: a\n";
        assert!(run_on("ML307", y).is_empty());
    }
}
