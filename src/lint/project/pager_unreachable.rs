//! `pager-unreachable` (ML409): a receiver that pages someone (PagerDuty,
//! Opsgenie, VictorOps, incident.io, Pushover) that routes send to, but that
//! no alerting rule of the run can reach. The people behind it believe they
//! are on call for alerts that never come. Other unreached receivers are
//! `receiver-unreachable`'s (ML404, info), which reported paging ones too
//! until 0.3.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `pager-unreachable` lint.
    pub struct PagerUnreachable {
        code: "ML409",
        name: "pager-unreachable",
        category: Correctness,
        severity: Warning,
        summary: "no alert rule in the run reaches the routes that send to a paging receiver",
    }
}

impl Lint for PagerUnreachable {
    /// Flags, in a run that holds alerting rules, a paging receiver every
    /// route of which is out of reach of every rule (labels from outside the
    /// rules, such as external labels, count as possible), at its name, with
    /// up to three of its routes.
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            for (r, routes) in c
                .unreached_receivers(!an.alerts.is_empty())
                .into_iter()
                .filter(|(r, _)| c.pages(&r.name.value) == Some(true))
            {
                super::report_unreached_receiver(rep, c, r, &routes, "paging receiver");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const AM: &str = r##"route:
  receiver: default
  routes:
  - matchers: [team="ml-training"]
    receiver: training-pager
  - matchers: [team="ml-serving"]
    receiver: serving-slack
receivers:
- name: default
- name: training-pager
  pagerduty_configs: [{routing_key: "<secret>"}]
- name: serving-slack
  slack_configs: [{api_url: "http://hooks.example.com/x", channel: "#serving"}]
"##;

    fn rules(team: &str) -> String {
        format!(
            "groups:\n- name: training\n  rules:\n  - alert: TrainingJobStalled\n    expr: sum by (job) (rate(training_steps_total[15m])) == 0\n    for: 30m\n    labels: {{severity: critical, team: {team}}}\n---\n"
        )
    }

    #[test]
    fn a_pager_no_rule_reaches() {
        // The rules say `training`, the route `ml-training`.
        let d = run_on(&super::META, &format!("{}{AM}", rules("training")));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("paging receiver \"training-pager\""),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn reached_pagers_and_non_paging_receivers_pass() {
        assert!(run_on(&super::META, &format!("{}{AM}", rules("ml-training"))).is_empty());
        // Without rules in the run nothing is known about reachability.
        assert!(run_on(&super::META, AM).is_empty());
    }
}
