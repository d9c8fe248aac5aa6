//! `route-shadowed` (ML301): a route that can never receive an alert because
//! an earlier sibling without `continue: true` matches every alert it would
//! match. Alertmanager stops at the first matching sibling, so the later
//! route (and its receiver) is dead.
//!
//! Only full shadowing is reported here: when the earlier sibling takes
//! every alert the later one matches. Partial overlap (some alerts taken)
//! depends on which alerts exist, and is `alert-swallowed`'s job, which
//! reads the alerting rules.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::Route;
use crate::routing::tree::Tree;
use crate::source::Span;

crate::declare_lint! {
    /// The `route-shadowed` lint.
    pub struct RouteShadowed {
        code: "ML301",
        name: "route-shadowed",
        category: Correctness,
        severity: Error,
        summary: "an earlier sibling route without `continue` takes every alert this route matches",
    }
}

impl Lint for RouteShadowed {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        let Some(root) = &cx.am.route else { return };
        // The tree finds shadowing siblings through an index of their
        // matchers: linear in the routes, not quadratic in the siblings.
        let tree = Tree::new(root);
        for (idx, by) in tree.shadowed_by.iter().enumerate() {
            if let Some(by) = *by {
                report(tree.nodes[idx].route, tree.nodes[by].route, r);
            }
        }
    }
}

fn report(later: &Route, earlier: &Route, r: &mut Reporter) {
    let what = if earlier.matchers.is_empty() {
        "has no matchers, so it takes every alert".to_string()
    } else {
        let list: Vec<String> = earlier
            .matchers
            .iter()
            .map(|m| m.matcher.to_string())
            .collect();
        format!(
            "matches every alert this route matches ({})",
            list.join(", ")
        )
    };
    let receiver = later
        .receiver
        .as_ref()
        .map(|r| format!(" (receiver {:?})", r.value))
        .unwrap_or_default();
    r.report(head(later), format!("this route{receiver} never receives an alert: an earlier sibling without `continue: true` {what}"))
        .label(head(earlier), "this route takes the alerts first")
        .help("move the more specific route before the broader one, or add `continue: true` to the earlier route");
}

/// Where to point for a route: its first matcher, else its receiver, else the route.
fn head(route: &Route) -> Span {
    route
        .matchers
        .first()
        .map(|m| m.span)
        .or(route.receiver.as_ref().map(|r| r.span))
        .unwrap_or(route.span)
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const HEAD: &str = "route:\n  receiver: default\n  routes:\n";
    const RECEIVERS: &str = "receivers:\n- name: default\n- name: a\n- name: b\n";

    fn am(routes: &str) -> String {
        format!("{HEAD}{routes}{RECEIVERS}")
    }

    #[test]
    fn catch_all_and_broader_siblings_shadow() {
        let y = am(
            "  - receiver: a\n    matchers: [severity=~\"critical|warning\"]\n  - receiver: b\n    matchers: [severity=critical, team=ml]\n",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("severity=critical").unwrap());
        assert_eq!(d[0].labels[0].span.start, y.find("severity=~").unwrap());
        let y = am("  - receiver: a\n  - receiver: b\n    match: {team: ml}\n");
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }

    #[test]
    fn a_route_with_an_invalid_matcher_shadows_nothing() {
        let y = am(
            "  - receiver: a\n    matchers: ['alertname=~\"GPU(Xid|Temp\"']\n  - receiver: b\n    matchers: [team=ml]\n",
        );
        assert!(run_on(&super::META, &y).is_empty());
    }

    #[test]
    fn continue_disjoint_and_partial_overlap_pass() {
        for routes in [
            "  - receiver: a\n    continue: true\n  - receiver: b\n    matchers: [team=ml]\n",
            "  - receiver: a\n    continue: yes\n  - receiver: b\n    matchers: [team=ml]\n",
            "  - receiver: a\n    matchers: [team=infra]\n  - receiver: b\n    matchers: [team=ml]\n",
            "  - receiver: a\n    matchers: [severity=critical]\n  - receiver: b\n    matchers: [team=ml]\n",
            "  - receiver: b\n    matchers: [severity=critical, team=ml]\n  - receiver: a\n    matchers: [severity=critical]\n",
        ] {
            assert!(run_on(&super::META, &am(routes)).is_empty(), "{routes}");
        }
    }
}
