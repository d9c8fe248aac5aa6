//! `inhibit-rule-dead` (ML405): an inhibit rule that can never mute
//! anything given the alerting rules of the run: no alert satisfies its
//! source (or target) matchers, often an alertname typo, or its `equal`
//! labels can never be equal between a source and a target alert.

use crate::diagnostic::suggest::edit_distance;
use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::model::alertmanager::matchers::MatchType;
use crate::model::alertmanager::{InhibitRule, SpannedMatcher};
use crate::routing::inhibit::Sides;
use crate::routing::project::Alert;

crate::declare_lint! {
    /// The `inhibit-rule-dead` lint.
    pub struct InhibitRuleDead {
        code: "ML405",
        name: "inhibit-rule-dead",
        category: Correctness,
        severity: Warning,
        summary: "no alert rule can satisfy an inhibit rule's source or target matchers, or its `equal` labels",
    }
}

fn side_text(side: &[SpannedMatcher]) -> String {
    let v: Vec<String> = side.iter().map(|m| m.matcher.to_string()).collect();
    format!("{{{}}}", v.join(","))
}

/// The closest alert name to an `alertname` the side asks for, for typos.
fn suggestion(alerts: &[Alert], side: &[SpannedMatcher]) -> Option<String> {
    let wanted = side
        .iter()
        .find(|m| m.matcher.name == "alertname" && m.matcher.op == MatchType::Equal)?;
    let w = wanted.matcher.value.to_lowercase();
    alerts
        .iter()
        .map(|a| a.name())
        .filter(|n| {
            let n = n.to_lowercase();
            n.contains(&w) || w.contains(&n) || edit_distance(&n, &w) <= 2
        })
        .map(str::to_string)
        .next()
}

fn check(
    rule: &InhibitRule,
    alerts: &[Alert],
) -> Option<(String, Option<String>, crate::source::Span)> {
    let sides = Sides::new(rule, alerts);
    let dead: Vec<(&str, &Vec<SpannedMatcher>)> = [
        ("source", &rule.source, sides.sources.is_empty()),
        ("target", &rule.target, sides.targets.is_empty()),
    ]
    .into_iter()
    .filter(|(_, _, none)| *none)
    .map(|(w, side, _)| (w, side))
    .collect();
    if let Some((_, first)) = dead.first() {
        let at = first.first().map(|m| m.span).unwrap_or(rule.span);
        let what: Vec<String> = dead
            .iter()
            .map(|(w, side)| format!("the {w} matchers {}", side_text(side)))
            .collect();
        let help = dead
            .iter()
            .find_map(|(_, side)| suggestion(alerts, side))
            .map(|s| format!("did you mean alertname `{s}`? No alerting rule of the run is named as the matcher says"));
        return Some((
            format!(
                "no alerting rule in this run matches {} of this inhibit rule: it never mutes anything",
                what.join(", nor ")
            ),
            help,
            at,
        ));
    }
    if sides.equal_can_hold() {
        return None;
    }
    // Which equal label defeats it?
    let failing: Vec<usize> = (0..rule.equal.len())
        .filter(|&i| !sides.agree_on(i))
        .collect();
    // `equal: [alertname]` with neither side naming an alert is the policy
    // "an alert mutes its own lower-severity twin" (kube-prometheus'
    // default): it is written for every alert the Alertmanager receives,
    // from every rule source in the cluster, so that the run defines no
    // alert at both severities says nothing about whether it ever mutes.
    let pinned = |name: &str| {
        rule.source
            .iter()
            .chain(&rule.target)
            .any(|m| m.matcher.name == name)
    };
    if !failing.is_empty()
        && failing
            .iter()
            .all(|&i| rule.equal[i].value == "alertname" && !pinned("alertname"))
    {
        return None;
    }
    let culprit = failing.first().map_or(&rule.equal[0], |&i| &rule.equal[i]);
    Some((
        format!(
            "the `equal` label `{}` can never be equal between an alert matching the source {} and one matching the target {}: this inhibit rule never mutes anything",
            culprit.value,
            side_text(&rule.source),
            side_text(&rule.target)
        ),
        Some(format!(
            "drop `{}` from `equal`, or make source and target alerts carry the same `{}` value",
            culprit.value, culprit.value
        )),
        culprit.span,
    ))
}

impl Lint for InhibitRuleDead {
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        if an.alerts.is_empty() {
            return;
        }
        for c in &an.configs {
            for rule in c.am.inhibit_rules.iter().filter(|r| r.complete) {
                if let Some((msg, help, span)) = check(rule, &an.alerts) {
                    let mut d = r.report_in(c.file, span, msg);
                    if let Some(h) = help {
                        d = d.help(h);
                    } else {
                        d = d.help(
                            "check the matchers against the alerting rules' names and labels",
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

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: ServiceDown\n    expr: up == 0\n    for: 5m\n    labels: {severity: critical}\n  - alert: HighLatency\n    expr: sum by (service) (x) > 1\n    for: 5m\n    labels: {severity: warning}\n---\n";

    fn am(inhibit: &str) -> String {
        format!(
            "{RULES}route:\n  receiver: default\nreceivers:\n- name: default\ninhibit_rules:\n{inhibit}"
        )
    }

    #[test]
    fn typos_and_never_equal_labels() {
        let d = run_on(
            &super::META,
            &am(
                "- source_matchers: [alertname=ServiceDwn]\n  target_matchers: [severity=warning]\n",
            ),
        );
        assert_eq!(d.len(), 1);
        assert!(d[0].help.as_deref().unwrap_or("").contains("ServiceDown"));
        let d = run_on(
            &super::META,
            &am(
                "- source_matchers: [alertname=ServiceDown]\n  target_matchers: [alertname=HighLatency]\n  equal: [alertname]\n",
            ),
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("`alertname` can never be equal"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_severity_twin_policy_is_not_judged_by_the_run_s_alerts() {
        // kube-prometheus' default: no alert of the run exists at both
        // warning and info, but the policy is for every alert the
        // Alertmanager receives.
        let d = run_on(
            &super::META,
            &am(
                "- source_matchers: [severity=warning]\n  target_matchers: [severity=critical]\n  equal: [namespace, alertname]\n",
            ),
        );
        assert!(d.is_empty(), "{d:?}");
        // A side that names an alert: the run's rules decide.
        let d = run_on(
            &super::META,
            &am(
                "- source_matchers: [severity=critical]\n  target_matchers: [alertname=HighLatency]\n  equal: [alertname]\n",
            ),
        );
        assert_eq!(d.len(), 1, "{d:?}");
    }

    #[test]
    fn live_rules_pass() {
        let d = run_on(
            &super::META,
            &am(
                "- source_matchers: [alertname=ServiceDown]\n  target_matchers: [severity=warning]\n  equal: [service]\n",
            ),
        );
        assert!(d.is_empty(), "{d:?}");
    }
}
