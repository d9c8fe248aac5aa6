//! `unused-receiver` (ML308): a receiver no route sends to.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::Route;

crate::declare_lint! {
    /// The `unused-receiver` lint.
    pub struct UnusedReceiver {
        code: "ML308",
        name: "unused-receiver",
        category: Suspicious,
        severity: Warning,
        summary: "a receiver that no route sends to",
    }
}

impl Lint for UnusedReceiver {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        let Some(root) = &cx.am.route else { return };
        let mut used = std::collections::HashSet::new();
        collect(root, &mut used);
        for recv in &cx.am.receivers {
            if !used.contains(recv.name.value.as_str()) {
                r.report(recv.name.span, format!("receiver {:?} is not used by any route", recv.name.value))
                    .help("route alerts to it, or remove it (a typo in a route's `receiver` would be reported as undefined)");
            }
        }
    }
}

fn collect<'a>(route: &'a Route, used: &mut std::collections::HashSet<&'a str>) {
    if let Some(r) = &route.receiver {
        used.insert(&r.value);
    }
    for child in &route.routes {
        collect(child, used);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_unused() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n- name: b\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("\"b\""));
    }

    #[test]
    fn passes_used_in_child() {
        let y = "route:\n  receiver: a\n  routes:\n  - receiver: b\n    matchers: [x=y]\nreceivers:\n- name: a\n- name: b\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
