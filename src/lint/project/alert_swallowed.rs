//! `alert-swallowed` (ML402): an alert matches a later route written for it
//! (one that matches on a label of the alert other than its severity), but an
//! earlier sibling without `continue: true` takes it first, so the later
//! route and its receiver never see it.
//!
//! A later route that the earlier one shadows for *every* alert is
//! `route-shadowed` (ML301); this lint reports the alerts that fall into a
//! partial overlap.

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::model::alertmanager::matchers::MatchType;
use crate::routing::alerts::choice_text;
use crate::routing::overlap::{covers, is_universal};
use crate::routing::tree::Tree;

use super::receivers;

crate::declare_lint! {
    /// The `alert-swallowed` lint.
    pub struct AlertSwallowed {
        code: "ML402",
        name: "alert-swallowed",
        category: Correctness,
        severity: Warning,
        summary: "an earlier sibling route without `continue` takes an alert a later route was written for",
    }
}

/// Labels that classify urgency rather than say whose an alert is.
const GENERIC: &[&str] = &["severity", "priority", "urgency"];

/// Whether route `later` is written for alerts like this one: it matches on
/// a non-severity label with a positive matcher the earlier route does not have.
fn written_for(tree: &Tree, earlier: usize, later: usize) -> bool {
    let e = &tree.nodes[earlier];
    tree.nodes[later].matchers.iter().any(|(m, _)| {
        matches!(m.op, MatchType::Equal | MatchType::Regexp)
            && !m.value.is_empty()
            && !is_universal(m)
            && !GENERIC.contains(&m.name.as_str())
            && !e.matchers.iter().any(|(x, _)| x.name == m.name)
    })
}

fn shadowed(tree: &Tree, earlier: usize, later: usize) -> bool {
    let b: Vec<_> = tree.nodes[earlier].matchers.iter().map(|m| &m.0).collect();
    let n: Vec<_> = tree.nodes[later].matchers.iter().map(|m| &m.0).collect();
    covers(&b, &n)
}

impl Lint for AlertSwallowed {
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            let tree = &c.tree;
            for (alert, routed) in an.alerts.iter().zip(&c.routed) {
                let mut seen: Vec<(usize, usize)> = Vec::new();
                for (sc, t) in &routed.likely {
                    for &(earlier, later) in &t.swallowed {
                        if seen.contains(&(earlier, later))
                            || !written_for(tree, earlier, later)
                            || shadowed(tree, earlier, later)
                        {
                            continue;
                        }
                        seen.push((earlier, later));
                        // A blackhole that drops these alerts on purpose (a
                        // whole environment, a noisy team) does not swallow
                        // them by mistake, unless a critical alert ends there.
                        let dropped = t
                            .finals
                            .iter()
                            .all(|&f| c.is_blackhole(&tree.nodes[f].opts.receiver.value));
                        if dropped && !alert.severity_in(&["critical"]) {
                            continue;
                        }
                        let missed = tree.match_from(later, &sc.get());
                        let when = if sc.choices.is_empty() {
                            String::new()
                        } else {
                            let c: Vec<String> =
                                sc.choices.iter().map(|(n, v)| choice_text(n, v)).collect();
                            format!(" (when {})", c.join(", "))
                        };
                        r.report_in(alert.file, alert.rule.name.span, format!(
                                "alert `{}` matches {} but {} takes it first{when}: it reaches {} and never {}",
                                alert.name(),
                                tree.describe(later),
                                tree.describe(earlier),
                                receivers(tree, &t.finals),
                                receivers(tree, &missed),
                            ))
                        .help("add `continue: true` to the earlier route, or move the later route before it")
                        .label_in(
                            c.file,
                            tree.nodes[earlier].head(),
                            "this route takes the alert (no `continue: true`)",
                        )
                        .label_in(c.file, tree.nodes[later].head(), "this route never sees it");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: GpuHot\n    expr: sum by (gpu) (t) > 85\n    for: 5m\n    labels: {severity: critical, team: ml}\n";
    const RECEIVERS: &str = "receivers:\n- name: default\n- name: pager\n- name: ml\n";

    #[test]
    fn team_route_after_a_severity_route() {
        let y = format!(
            "{RULES}---\nroute:\n  receiver: default\n  routes:\n  - matchers: [severity=critical]\n    receiver: pager\n  - matchers: [team=ml]\n    receiver: ml\n{RECEIVERS}"
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("reaches \"pager\" and never \"ml\""),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].labels.len(), 2);
    }

    #[test]
    fn continue_order_and_generic_later_routes_pass() {
        for routes in [
            "  - matchers: [severity=critical]\n    receiver: pager\n    continue: true\n  - matchers: [team=ml]\n    receiver: ml\n",
            "  - matchers: [team=ml]\n    receiver: ml\n  - matchers: [severity=critical]\n    receiver: pager\n",
        ] {
            let y =
                format!("{RULES}---\nroute:\n  receiver: default\n  routes:\n{routes}{RECEIVERS}");
            assert!(run_on(&super::META, &y).is_empty(), "{routes}");
        }
    }

    #[test]
    fn a_blackhole_that_drops_an_environment_swallows_only_critical_alerts() {
        let rules = |severity: &str| {
            format!(
                "groups:\n- name: g\n  rules:\n  - alert: GpuHot\n    expr: sum by (gpu, env) (t) > 85\n    for: 5m\n    labels: {{severity: {severity}, team: ml}}\n"
            )
        };
        let am = r##"route:
  receiver: default
  routes:
  - matchers: [env=dev]
    receiver: blackhole
  - matchers: [team=ml]
    receiver: ml
receivers:
- name: default
  webhook_configs: [{url: "http://hooks.example.com/default"}]
- name: blackhole
- name: ml
  slack_configs: [{api_url: "http://hooks.example.com/ml", channel: "#ml"}]
"##;
        let warning = format!("{}---\n{am}", rules("warning"));
        assert!(run_on(&super::META, &warning).is_empty());
        let critical = format!("{}---\n{am}", rules("critical"));
        let d = run_on(&super::META, &critical);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("reaches \"blackhole\""),
            "{}",
            d[0].message
        );
    }
}
