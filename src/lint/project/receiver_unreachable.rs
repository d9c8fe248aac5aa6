//! `receiver-unreachable` (ML404): a receiver that routes send to, but that
//! no alerting rule of the run can reach: every route that sends to it is out
//! of reach of every rule. A receiver no route uses at all is
//! `unused-receiver`'s (ML308) finding; the root route's receiver is the
//! catch-all for alerts from elsewhere and is never reported.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `receiver-unreachable` lint.
    pub struct ReceiverUnreachable {
        code: "ML404",
        name: "receiver-unreachable",
        category: Suspicious,
        severity: Warning,
        summary: "no alert rule in the run reaches the routes that send to this receiver",
    }
}

impl Lint for ReceiverUnreachable {
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            let tree = &c.tree;
            for (r, routes) in c.unreached_receivers(!an.alerts.is_empty()) {
                let name = &r.name.value;
                let mut d = rep.report_in(c.file, r.name.span, format!(
                        "no alerting rule in this run reaches receiver {name:?}: none of its {} route{} receives an alert",
                        routes.len(),
                        if routes.len() == 1 { "" } else { "s" }
                    ))
                .help("check the matchers of the routes that send to it against the rules' labels");
                for &i in routes.iter().take(3) {
                    d = d.label_in(
                        c.file,
                        tree.nodes[i].head(),
                        format!("{} is never reached", tree.describe(i)),
                    );
                }
                drop(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn unreached_receivers_but_not_unused_ones() {
        let am = "route:\n  receiver: default\n  routes:\n  - matchers: [team=ml]\n    receiver: ml\nreceivers:\n- name: default\n- name: ml\n- name: old\n";
        // Without rules nothing is reported; an unused receiver is unused-receiver's finding.
        assert!(run_on(&super::META, am).is_empty());
        let rules = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(x) > 1\n    for: 5m\n    labels: {team: infra}\n---\n";
        let d = run_on(&super::META, &format!("{rules}{am}"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("\"ml\""), "{}", d[0].message);
        let rules_ml = rules.replace("infra", "ml");
        assert!(run_on(&super::META, &format!("{rules_ml}{am}")).is_empty());
    }
}
