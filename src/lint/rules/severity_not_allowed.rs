//! `severity-not-allowed` (ML105): a `severity` label value outside the
//! team's vocabulary matches no Alertmanager route or inhibition written for
//! the allowed values.

use crate::diagnostic::suggest::closest;
use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `severity-not-allowed` lint.
    pub struct SeverityNotAllowed {
        code: "ML105",
        name: "severity-not-allowed",
        category: Style,
        severity: Info,
        summary: "a `severity` label value is not one of the allowed severities",
    }
}

crate::declare_setting! {
    /// `allowed_severities`: values of the `severity` label teams route on.
    pub static ALLOWED_SEVERITIES: Vec<String> = {
        key: "allowed_severities",
        default: "[critical, warning, info, none]",
        doc: "Values of the `severity` label your routes use (severity-not-allowed).",
        lint: "severity-not-allowed",
    }
}

impl Lint for SeverityNotAllowed {
    /// Flags an alerting rule's `severity` label (its own, or its group's
    /// when the rule has none) whose value is not in `allowed_severities`.
    /// Empty values (`missing-severity`) and templated ones are left alone.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(kv) = cx.group.label_of(rule, "severity") else {
            return;
        };
        let value = kv.value.value.as_str();
        let allowed = cx.config.get(&ALLOWED_SEVERITIES);
        if value.trim().is_empty() || value.contains("{{") || allowed.iter().any(|a| a == value) {
            return;
        }
        // A rule inherits its group's label: report it once, on the group's
        // label, from the group's first alerting rule.
        let from_group = crate::model::find(&rule.labels, "severity").is_none();
        if from_group
            && cx
                .group
                .rules
                .iter()
                .find(|r| r.is_alert() && crate::model::find(&r.labels, "severity").is_none())
                .is_some_and(|first| first.index != rule.index)
        {
            return;
        }
        let lower = value.trim().to_ascii_lowercase();
        let suggestion = allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(&lower))
            .or_else(|| allowed.iter().find(|a| a.starts_with(&lower)))
            .map(String::as_str)
            .or_else(|| closest(&lower, allowed.iter().map(String::as_str), 2));
        let help = match suggestion {
            Some(s) => {
                format!("write `severity: {s}`; Alertmanager matchers are case-sensitive and exact")
            }
            None => format!(
                "use one of {}, or add {value:?} to `allowed_severities` in .mlalert.yaml if your routes handle it",
                allowed.join(", ")
            ),
        };
        r.report(kv.value.span, format!(
                    "alert {:?} has severity {value:?}, which is not one of the allowed severities ({})",
                    rule.name.value,
                    allowed.join(", ")
                ))
            .help(help);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(sev: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      severity: {sev}\n"
        )
    }

    #[test]
    fn flags_values_outside_the_vocabulary() {
        for s in ["Critical", "page", "high", "warn", "P1"] {
            assert_eq!(run_on(&super::META, &rule(s)).len(), 1, "{s}");
        }
        let d = run_on(&super::META, &rule("Critical"));
        assert!(d[0].help.as_deref().unwrap().contains("severity: critical"));
        let d = run_on(&super::META, &rule("warn"));
        assert!(d[0].help.as_deref().unwrap().contains("severity: warning"));
    }

    #[test]
    fn passes_allowed_empty_and_templated_values() {
        for s in [
            "critical",
            "warning",
            "info",
            "none",
            "''",
            "'{{ $labels.severity }}'",
        ] {
            assert!(run_on(&super::META, &rule(s)).is_empty(), "{s}");
        }
    }

    #[test]
    fn group_label_is_reported_once() {
        let y = "groups:\n- name: g\n  labels:\n    severity: page\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
    }
}
