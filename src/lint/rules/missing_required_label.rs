//! `missing-required-label` (ML113, pedantic): an alerting rule without a
//! label the team's routing or ownership depends on (`required_labels`,
//! default `team`). Off by default; enable it with `enable:
//! [missing-required-label]` and set the list your Alertmanager routes on.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::find;

crate::declare_lint! {
    /// The `missing-required-label` lint.
    pub struct MissingRequiredLabel {
        code: "ML113",
        name: "missing-required-label",
        category: Pedantic,
        severity: Warning,
        summary: "an alerting rule lacks a label the policy requires (default `team`)",
    }
}

crate::declare_setting! {
    /// `required_labels`: labels every alerting rule must set.
    pub static REQUIRED_LABELS: Vec<String> = {
        key: "required_labels",
        default: "[team]",
        doc: "Labels every alerting rule must set (missing-required-label, off by default: enable it above).",
        lint: "missing-required-label",
    }
}

impl Lint for MissingRequiredLabel {
    /// Flags alerting rules where a label of `required_labels` is set neither
    /// by the rule nor by its group (a label from the expression's series may
    /// be missing on some series, so it does not count).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        for label in cx.config.get(&REQUIRED_LABELS) {
            if find(&rule.labels, label).is_some_and(|kv| !kv.value.value.is_empty())
                || find(&cx.group.labels, label).is_some()
            {
                continue;
            }
            r.report(rule.name.span, format!("alert {:?} has no `{label}` label, which the policy requires", rule.name.value))
                .help(format!("add `{label}: …` to the rule's labels (or the group's) so that routing and ownership do not depend on the series"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_missing_team_unless_set_on_rule_or_group() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
        let on_rule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels: {team: ml}\n";
        assert!(run_on(&super::META, on_rule).is_empty());
        let on_group =
            "groups:\n- name: g\n  labels: {team: ml}\n  rules:\n  - alert: A\n    expr: up == 0\n";
        assert!(run_on(&super::META, on_group).is_empty());
    }
}
