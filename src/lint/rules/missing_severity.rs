//! `missing-severity` (ML104): an alerting rule without a `severity` label
//! cannot be routed or inhibited by severity in Alertmanager.

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `missing-severity` lint.
    pub struct MissingSeverity {
        code: "ML104",
        name: "missing-severity",
        category: Style,
        severity: Warning,
        summary: "an alerting rule has no `severity` label",
    }
}

impl Lint for MissingSeverity {
    /// Flags alerting rules with no non-empty `severity` label, neither their
    /// own nor their group's.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        if cx
            .group
            .label_of(rule, "severity")
            .is_some_and(|kv| !kv.value.value.trim().is_empty())
        {
            return;
        }
        let allowed = cx
            .config
            .get(&crate::lint::rules::severity_not_allowed::ALLOWED_SEVERITIES);
        let example = allowed
            .iter()
            .find(|s| *s == "warning")
            .or(allowed.first())
            .map(String::as_str)
            .unwrap_or("warning");
        r.report(rule.name.span, format!("alert {:?} has no `severity` label", rule.name.value))
            .help(format!(
                "add `labels: {{severity: {example}}}` ({}): Alertmanager routes, silences and inhibits on it",
                allowed.join(", ")
            ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_alert_without_severity() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      team: ml\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
        let empty = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      severity: ''\n";
        assert_eq!(run_on(&super::META, empty).len(), 1);
    }

    #[test]
    fn accepts_rule_or_group_severity_and_ignores_recording_rules() {
        for y in [
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      severity: page\n",
            "groups:\n- name: g\n  labels:\n    severity: warning\n  rules:\n  - alert: A\n    expr: up == 0\n",
            "groups:\n- name: g\n  rules:\n  - record: a:b:c\n    expr: up\n",
        ] {
            assert!(run_on(&super::META, y).is_empty(), "{y}");
        }
    }
}
