//! `group-wait-zero` (ML302): `group_wait: 0s` sends each new alert group at
//! once, so the first alert of a burst goes out alone and its siblings
//! follow one `group_interval` later.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::Route;

crate::declare_lint! {
    /// The `group-wait-zero` lint.
    pub struct GroupWaitZero {
        code: "ML302",
        name: "group-wait-zero",
        category: Suspicious,
        severity: Warning,
        summary: "`group_wait: 0s` sends the first alert of a burst without its siblings",
    }
}

impl Lint for GroupWaitZero {
    /// Flags every route (root included) that sets `group_wait` to zero;
    /// children that inherit it are not flagged again.
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for route in cx.routes() {
            visit(route, r);
        }
    }
}

fn visit(route: &Route, r: &mut Reporter) {
    if let Some(gw) = route.group_wait.as_ref().filter(|g| g.value.ms == 0) {
        r.report(gw.span, format!("`group_wait: {}` sends each alert group the moment its first alert arrives", gw.value))
                .help("use a few seconds (Alertmanager's default is 30s; 10s for paging routes) so that alerts firing together are sent together");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_zero_on_root_and_child() {
        let y = "route:\n  receiver: a\n  group_wait: 0s\n  routes:\n  - receiver: a\n    group_wait: 0\n  - receiver: a\nreceivers:\n- name: a\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].span.start, y.find("0s").unwrap());
    }

    #[test]
    fn passes_non_zero() {
        assert!(
            run_on(
                &super::META,
                "route:\n  receiver: a\n  group_wait: 10s\nreceivers:\n- name: a\n"
            )
            .is_empty()
        );
    }
}
