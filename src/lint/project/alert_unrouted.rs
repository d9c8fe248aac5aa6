//! `alert-unrouted` (ML401): an alert that reaches only the root route's
//! default receiver although the tree has specific routes, because it lacks
//! a label those routes partition alerts by (matched with two values or
//! more). A `critical` alert that reaches no pager is
//! `critical-alert-not-paging` (ML408), which this lint reported until 0.2.

use std::collections::{BTreeMap, BTreeSet};

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::model::alertmanager::matchers::MatchType;
use crate::promql::labels::Known;
use crate::routing::alerts::know;
use crate::routing::overlap::{is_universal, literal_alternatives};

crate::declare_lint! {
    /// The `alert-unrouted` lint.
    pub struct AlertUnrouted {
        code: "ML401",
        name: "alert-unrouted",
        category: Correctness,
        severity: Warning,
        summary: "an alert reaches only the default receiver because it lacks a label the routes partition by",
    }
}

impl Lint for AlertUnrouted {
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        // With several Alertmanager configs in one run (one per cluster or
        // team), an alert is usually meant for one of them: it is reported
        // only when no config of the run routes it below the root.
        for c in &an.configs {
            let tree = &c.tree;
            let root = tree.root();
            // Labels the root's children partition alerts by: matched
            // positively with two values or more (`team`, not a lone
            // `severity="critical"` filter).
            let mut values: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            for (m, _) in root
                .children
                .iter()
                .flat_map(|&i| tree.nodes[i].matchers.iter())
            {
                if !matches!(m.op, MatchType::Equal | MatchType::Regexp)
                    || m.value.is_empty()
                    || is_universal(m)
                {
                    continue;
                }
                let e = values.entry(m.name.as_str()).or_default();
                match (m.op, literal_alternatives(&m.value)) {
                    (MatchType::Equal, _) => {
                        e.insert(m.value.clone());
                    }
                    (_, Some(l)) => e.extend(l),
                    // A pattern stands for several values.
                    (_, None) => {
                        e.insert(format!("/{}/", m.value));
                        e.insert(format!("/{}/+", m.value));
                    }
                }
            }
            let keys: BTreeSet<&str> = values
                .iter()
                .filter(|(_, v)| v.len() >= 2)
                .map(|(k, _)| *k)
                .collect();
            for (i, (alert, routed)) in an.alerts.iter().zip(&c.routed).enumerate() {
                let root_only = !root.children.is_empty()
                    && routed.reaches_only_root()
                    && !an.routed_below_root(i);
                let missing: Vec<&str> = keys
                    .iter()
                    .copied()
                    .filter(|k| {
                        alert
                            .sets
                            .iter()
                            .all(|s| matches!(know(s, k), Known::Absent | Known::Maybe))
                    })
                    .collect();
                // A partition label the alert carries with a value no route
                // below the root matches (`team: ml-training` against routes
                // for `team="ml"` and `team="infra"`).
                // (`severity` values are `severity-not-allowed`'s business;
                // routes on `alertname` pick out single alerts, such as
                // Watchdog, and do not partition the others.)
                let unmatched: Vec<(&str, String)> = keys
                    .iter()
                    .copied()
                    .filter(|k| !matches!(*k, "severity" | "alertname"))
                    .filter_map(|k| {
                        let mut values = BTreeSet::new();
                        for s in &alert.sets {
                            match know(s, k) {
                                Known::Values(v) => values.extend(v),
                                _ => return None,
                            }
                        }
                        let matched = values.iter().any(|v| {
                            root.children.iter().any(|&ch| {
                                tree.nodes[ch]
                                    .matchers
                                    .iter()
                                    .any(|(m, _)| m.name == k && m.matches(v))
                            })
                        });
                        (!matched).then(|| {
                            let v: Vec<String> = values.iter().map(|x| format!("{x:?}")).collect();
                            (k, v.join(" or "))
                        })
                    })
                    .collect();
                let name = alert.name();
                if root_only && missing.is_empty() && !unmatched.is_empty() {
                    let (k, v) = &unmatched[0];
                    let expected: Vec<String> = values
                        .get(k)
                        .map(|vs| {
                            vs.iter()
                                .filter(|x| !x.starts_with('/'))
                                .map(|x| format!("{x:?}"))
                                .collect()
                        })
                        .unwrap_or_default();
                    let _d = r.report_in(alert.file, alert.rule.name.span, format!(
                            "alert `{name}` reaches only the default receiver {:?}: its `{k}` is {v}, which no route below the root matches{}",
                            root.opts.receiver.value,
                            if expected.is_empty() { String::new() } else { format!(" (they match {})", expected.join(", ")) }
                        ))
                    .help(format!("fix the `{k}` value of the rule (or its group), or add a route for it"))
                    .label_in(c.file, root.head(), "the alert stays on the root route");
                }
                if root_only && !missing.is_empty() {
                    let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
                    let _d = r.report_in(alert.file, alert.rule.name.span, format!(
                            "alert `{name}` reaches only the default receiver {:?}: it has no {} label, by which the routes below the root partition alerts",
                            root.opts.receiver.value,
                            list.join(" or ")
                        ))
                    .help(format!(
                        "add {} to the rule's (or its group's) labels, or add a route that matches it",
                        list.join(" / ")
                    ))
                    .label_in(c.file, root.head(), "the alert stays on the root route");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: GpuHot\n    expr: sum by (gpu) (t) > 85\n    for: 5m\n    labels: {severity: warning}\n  - alert: TrainFailed\n    expr: sum by (job) (f) > 0\n    for: 5m\n    labels: {severity: critical, team: ml}\n";

    fn am(routes: &str) -> String {
        format!(
            "{RULES}---\nroute:\n  receiver: default\n  routes:\n{routes}receivers:\n- name: default\n- name: ml\n  slack_configs: [{{api_url_file: /etc/am/slack, channel: '#ml'}}]\n- name: pager\n  pagerduty_configs: [{{routing_key: x}}]\n"
        )
    }

    #[test]
    fn missing_team_label_is_reported_and_the_critical_case_is_ml408s() {
        let y = am(
            "  - matchers: [team=ml]\n    receiver: ml\n  - matchers: [team=infra]\n    receiver: pager\n",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("`GpuHot` reaches only the default receiver"),
            "{}",
            d[0].message
        );
        let critical = run_on(&crate::lint::project::critical_alert_not_paging::META, &y);
        assert_eq!(critical.len(), 1, "{critical:?}");
        assert!(
            critical[0].message.contains("`TrainFailed`"),
            "{}",
            critical[0].message
        );
    }

    #[test]
    fn routed_alerts_pass() {
        let y = am(
            "  - matchers: [severity=critical]\n    receiver: pager\n    continue: true\n  - matchers: [severity=~\"warning|critical\"]\n    receiver: ml\n",
        );
        assert!(run_on(&super::META, &y).is_empty());
        // Without rules there is nothing to say.
        let only_am = am("  - matchers: [team=ml]\n    receiver: ml\n");
        let only_am = only_am.split("---\n").nth(1).unwrap();
        assert!(run_on(&super::META, only_am).is_empty());
    }

    #[test]
    fn an_alert_routed_by_another_config_of_the_run_is_not_reported() {
        // The same rules with a second config that does route `GpuHot` (by
        // gpu team) and pages `TrainFailed`: neither is reported against the first.
        let other = "---\nroute:\n  receiver: default\n  routes:\n  - matchers: [severity=~\"warning|critical\"]\n    receiver: pager\nreceivers:\n- name: default\n- name: pager\n  pagerduty_configs: [{routing_key_file: /etc/am/pd}]\n";
        let y = am(
            "  - matchers: [team=ml]\n    receiver: ml\n  - matchers: [team=infra]\n    receiver: pager\n",
        );
        assert!(run_on(&super::META, &format!("{y}{other}")).is_empty());
    }

    #[test]
    fn a_label_value_no_route_matches() {
        let rules = "groups:\n- name: g\n  rules:\n  - alert: TrainingStalled\n    expr: sum by (job) (rate(steps_total[15m])) == 0\n    for: 30m\n    labels: {severity: warning, team: ml-training}\n---\n";
        let am = "route:\n  receiver: default\n  routes:\n  - matchers: [team=ml]\n    receiver: ml\n  - matchers: ['team=~\"infra|data\"']\n    receiver: ml\nreceivers:\n- name: default\n- name: ml\n  slack_configs: [{api_url_file: /etc/am/slack, channel: '#ml'}]\n";
        let d = run_on(&super::META, &format!("{rules}{am}"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("its `team` is \"ml-training\", which no route below the root matches (they match \"data\", \"infra\", \"ml\")"),
            "{}",
            d[0].message
        );
        let ok = rules.replace("ml-training", "data");
        assert!(run_on(&super::META, &format!("{ok}{am}")).is_empty());
    }
}
