//! `group-by-label-missing` (ML407): a `group_by` label that none of the
//! alerting rules routed to the route carries: usually a typo or a label
//! renamed in the rules (`model` vs `model_name`), and all those alerts
//! then share one group for it. Labels Prometheus commonly adds as external
//! labels (`cluster`, `region`, …) are assumed present.

use std::collections::{BTreeMap, BTreeSet};

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::routing::alerts::may_carry;
use crate::routing::tree::GroupBy;

use super::names;

crate::declare_lint! {
    /// The `group-by-label-missing` lint.
    pub struct GroupByLabelMissing {
        code: "ML407",
        name: "group-by-label-missing",
        category: Suspicious,
        severity: Warning,
        summary: "a route groups by a label that no alert routed to it carries",
    }
}

impl Lint for GroupByLabelMissing {
    /// Judges each written `group_by` once, over every alert it groups: the
    /// alerts routed to the route that writes it and to every descendant
    /// that inherits it. A label is reported when none of them may carry
    /// it. A root `group_by: [namespace]` that a heartbeat route inherits
    /// (`Watchdog` has no `namespace`) is not a typo when the alerts of the
    /// other routes carry `namespace`.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            let tree = &c.tree;
            // Route writing a group_by → (alerts it groups, a route that
            // inherits it and has alerts, for a label).
            let mut by_owner: BTreeMap<usize, (BTreeSet<usize>, Option<usize>)> = BTreeMap::new();
            for (idx, node) in tree.nodes.iter().enumerate() {
                if !matches!(node.opts.group_by.value, GroupBy::Labels(_)) {
                    continue;
                }
                let here: Vec<usize> = c
                    .routed
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.likely.iter().any(|(_, t)| t.finals.contains(&idx)))
                    .map(|(i, _)| i)
                    .collect();
                if here.is_empty() {
                    continue;
                }
                // The route where this group_by is written.
                let mut owner = idx;
                while !tree.nodes[owner].opts.group_by.own {
                    match tree.nodes[owner].parent {
                        Some(p) => owner = p,
                        None => break,
                    }
                }
                let e = by_owner.entry(owner).or_default();
                e.0.extend(here);
                if owner != idx && e.1.is_none() {
                    e.1 = Some(idx);
                }
            }
            for (owner, (here, heir)) in by_owner {
                let GroupBy::Labels(labels) = &tree.nodes[owner].opts.group_by.value else {
                    continue;
                };
                let Some(written) = &tree.nodes[owner].route.group_by else {
                    continue;
                };
                let mut reported: BTreeSet<usize> = BTreeSet::new();
                for l in labels {
                    let carried = here
                        .iter()
                        .any(|&i| an.alerts[i].sets.iter().any(|s| may_carry(s, l)));
                    let Some(entry) = written.iter().find(|e| &e.value == l) else {
                        continue;
                    };
                    if carried || !reported.insert(entry.span.start) {
                        continue;
                    }
                    let alerts: Vec<String> = here
                        .iter()
                        .map(|&i| an.alerts[i].name().to_string())
                        .collect();
                    let mut d = r.report_in(c.file, entry.span, format!(
                            "no alert grouped by {} carries its `group_by` label `{l}` ({} alert rule{}: {})",
                            tree.describe(owner),
                            alerts.len(),
                            if alerts.len() == 1 { "" } else { "s" },
                            names(&alerts, 3)
                        ))
                    .help(format!("check the label name against the rules' labels and `by (…)` clauses, or remove `{l}` from `group_by`"));
                    if let Some(h) = heir {
                        d = d.label_in(
                            c.file,
                            tree.nodes[h].head(),
                            "alerts routed here are grouped by it",
                        );
                    }
                    drop(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: ModelSlow\n    expr: sum by (model_name) (x) > 1\n    for: 5m\n    labels: {severity: warning}\n---\n";

    #[test]
    fn typo_in_group_by() {
        let am = "route:\n  receiver: default\n  group_by: [alertname, model, cluster]\nreceivers:\n- name: default\n";
        let d = run_on(&super::META, &format!("{RULES}{am}"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("`model`"));
        assert!(
            run_on(
                &super::META,
                &format!("{RULES}{}", am.replace("model,", "model_name,"))
            )
            .is_empty()
        );
        assert!(run_on(&super::META, am).is_empty());
    }

    #[test]
    fn an_inherited_group_by_is_judged_over_every_route_using_it() {
        // kube-prometheus: root `group_by: [namespace]`, a Watchdog route
        // whose one alert has no namespace, other alerts that have it.
        let rules = "groups:\n- name: g\n  rules:\n  - alert: Watchdog\n    expr: vector(1)\n    labels: {severity: none}\n  - alert: PodCrash\n    expr: sum by (namespace, pod) (rate(restarts_total[5m])) > 0\n    for: 15m\n    labels: {severity: warning}\n---\n";
        let am = "route:\n  receiver: default\n  group_by: [namespace]\n  routes:\n  - receiver: heartbeat\n    matchers: [alertname = Watchdog]\nreceivers:\n- name: default\n- name: heartbeat\n";
        let d = run_on(&super::META, &format!("{rules}{am}"));
        assert!(d.is_empty(), "{d:?}");
        // A typo in the root's group_by is still reported, at the root,
        // with the inheriting route labelled.
        let typo = am.replace("[namespace]", "[namespce]");
        let d = run_on(&super::META, &format!("{rules}{typo}"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("`namespce`"), "{}", d[0].message);
    }
}
