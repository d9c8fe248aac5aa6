//! `critical-alert-not-paging` (ML408): an alert with `severity: critical`
//! that reaches no receiver with a paging integration while the
//! Alertmanager config has one. Until mlalert 0.2 `alert-unrouted` (ML401)
//! reported this too.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// `critical-alert-not-paging`: a critical alert that wakes nobody.
    pub struct CriticalAlertNotPaging {
        code: "ML408",
        name: "critical-alert-not-paging",
        category: Correctness,
        severity: Warning,
        summary: "a critical alert reaches no receiver that pages while the config has one",
    }
}

impl Lint for CriticalAlertNotPaging {
    /// Flags an alerting rule with `severity: critical` when, in a config
    /// that has a paging receiver (PagerDuty, Opsgenie, VictorOps,
    /// incident.io, Pushover; webhook and SNS receivers may forward to a
    /// pager and count), none of the routes its alerts likely take ends at
    /// one. With several configs in the run, an alert paged by any of them
    /// is not reported. An alert that stays on the root route is
    /// `alert-unrouted`'s finding.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            if !c.has_paging() {
                continue;
            }
            let tree = &c.tree;
            for (i, (alert, routed)) in an.alerts.iter().zip(&c.routed).enumerate() {
                let root_only = routed.reaches_only_root();
                if !alert.severity_in(&["critical"])
                    || routed.likely.is_empty()
                    || (root_only && !tree.root().children.is_empty())
                    || an.may_page(i)
                {
                    continue;
                }
                let reached = c.receivers_reached(routed);
                let list: Vec<String> = reached.iter().map(|r| format!("{r:?}")).collect();
                let span = tree.nodes[routed.likely[0].1.finals[0]].head();
                r.report_in(
                    alert.file,
                    alert.rule.name.span,
                    format!(
                        "critical alert `{}` reaches no receiver that pages: only {}, which {} no pagerduty/opsgenie/victorops integration",
                        alert.name(),
                        list.join(", "),
                        if list.len() == 1 { "has" } else { "have" }
                    ),
                )
                .help("route critical alerts to a paging receiver (e.g. a `severity=\"critical\"` route with `continue: true`), or lower the alert's severity")
                .label_in(c.file, span, "the alert ends here");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn run(routes: &str) -> Vec<crate::lint::Diagnostic> {
        let y = format!(
            r#"groups:
- name: training
  rules:
  - alert: TrainingJobFailed
    expr: sum by (job) (kube_job_status_failed{{namespace="ml-training"}}) > 0
    for: 5m
    labels: {{severity: critical, team: ml}}
---
route:
  receiver: default
  routes:
{routes}receivers:
- name: default
- name: ml-slack
  slack_configs: [{{api_url_file: /etc/am/slack, channel: '#ml'}}]
- name: pager
  pagerduty_configs: [{{routing_key_file: /etc/am/pd}}]
"#
        );
        run_on(&super::META, &y)
    }

    #[test]
    fn flags_a_critical_alert_that_only_reaches_slack() {
        let d = run("  - matchers: [team=ml]\n    receiver: ml-slack\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("critical alert `TrainingJobFailed` reaches no receiver that pages"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].labels.len(), 1);
    }

    #[test]
    fn passes_when_a_route_pages_it() {
        let d = run(
            "  - matchers: [severity=critical]\n    receiver: pager\n    continue: true\n  - matchers: [team=ml]\n    receiver: ml-slack\n",
        );
        assert!(d.is_empty(), "{d:?}");
    }
}
