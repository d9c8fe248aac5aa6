//! `receiver-unreachable` (ML404): a receiver that routes send to, but that
//! no alerting rule of the run can reach: every route that sends to it is out
//! of reach of every rule. A receiver no route uses at all is
//! `unused-receiver`'s (ML308) finding; the root route's receiver is the
//! catch-all for alerts from elsewhere and is never reported. A receiver
//! that pages (PagerDuty, Opsgenie, …) is `pager-unreachable`'s (ML409)
//! finding: one whose people believe they are on call for something.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `receiver-unreachable` lint.
    pub struct ReceiverUnreachable {
        code: "ML404",
        name: "receiver-unreachable",
        category: Suspicious,
        severity: Info,
        summary: "no alert rule in the run reaches the routes that send to this receiver",
    }
}

impl Lint for ReceiverUnreachable {
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            for (r, routes) in c
                .unreached_receivers(!an.alerts.is_empty())
                .into_iter()
                .filter(|(r, _)| c.pages(&r.name.value) != Some(true))
            {
                super::report_unreached_receiver(rep, c, r, &routes, "receiver");
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
