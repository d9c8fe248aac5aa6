//! `group-by-label-missing` (ML407): a `group_by` label that none of the
//! alerting rules routed to the route carries: usually a typo or a label
//! renamed in the rules (`model` vs `model_name`), and all those alerts
//! then share one group for it. Labels Prometheus commonly adds as external
//! labels (`cluster`, `region`, …) are assumed present.

use std::collections::BTreeSet;

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
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            let tree = &c.tree;
            let mut reported: BTreeSet<usize> = BTreeSet::new();
            for (idx, node) in tree.nodes.iter().enumerate() {
                let GroupBy::Labels(labels) = &node.opts.group_by.value else {
                    continue;
                };
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
                let Some(written) = &tree.nodes[owner].route.group_by else {
                    continue;
                };
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
                            "no alert routed to {} carries the `group_by` label `{l}` ({} alert rule{}: {})",
                            tree.describe(idx),
                            alerts.len(),
                            if alerts.len() == 1 { "" } else { "s" },
                            names(&alerts, 3)
                        ))
                    .help(format!("check the label name against the rules' labels and `by (…)` clauses, or remove `{l}` from `group_by`"));
                    if owner != idx {
                        d = d.label_in(c.file, node.head(), "alerts routed here are grouped by it");
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
}
